/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the subcommands in lrs/ (private to lrs/). */
#ifndef LRS_CLI_H
#define LRS_CLI_H

#include "lrs/lrs.h"

#include <stdio.h>

/** Print "scolar: <fmt>" and the usage to stderr; returns 2 (the usage exit code). */
int lrs_cli_usage_error(const char *usage, const char *fmt, const char *arg);
/** getopt_long value of --store URL (every command that opens the store takes it). */
#define LRS_OPT_STORE 0x5354
/** Open the store of cfg (cfg->store, a PostgreSQL URL, else the LMDB store of cfg->data_dir;
 *  lrs_config_store.c) and register every module's tables, printing one line on failure
 *  (naming --store, its password hidden); 0 or 1 (the exit code). */
int lrs_cli_open_db(const struct lrs_config *cfg, struct stmt_db **db);
/** The store of cfg for a command that reads or repairs it (check, reindex: cmd_store_open.c):
 *  it must exist (stmt_db_exists), else one line naming the data directory or --store and 1,
 *  nothing created. On PostgreSQL a --data folder that does not exist is not created: a new
 *  temporary folder takes its place in cfg->data_dir, its path in tmp ("" otherwise). 0 or 1
 *  (the exit code); close with lrs_cli_close_existing. */
int lrs_cli_open_existing(struct lrs_config *cfg, struct stmt_db **db, char *tmp, size_t tmplen);
/** Close db (NULL-tolerant) and remove the temporary folder tmp when there is one. */
void lrs_cli_close_existing(struct stmt_db *db, char *tmp);
/** The same for the LMDB store of directory data_dir. */
int lrs_cli_open_dir(const char *data_dir, struct stmt_db **db);
/** 1 when s is a PostgreSQL URL (postgres:// or postgresql://). */
int lrs_store_is_url(const char *s);
/** 0 when store is empty or a PostgreSQL URL; else -1 and the reason naming --store in err. */
int lrs_store_check(const char *store, char *err, size_t errlen);
/** url with its password (user:PASSWORD@ or password=) shown as *** into out. */
void lrs_store_redact(const char *url, char *out, size_t n);
/** "DIR/store.mdb" or the redacted URL of cfg's store into out; returns out. */
const char *lrs_store_describe(const struct lrs_config *cfg, char *out, size_t n);
/** `scolar copy-store` (cmd_copy.c): every table of one store into another (LMDB or
 *  PostgreSQL either way). */
int lrs_cmd_copy_store(int argc, char **argv);
/** Copy every registered table of `from` into `to` (a scan per table, write transactions of
 *  about 1,000 rows); with `resume`, tables whose counts already match are skipped and rows
 *  are put again over a partial copy. Between an LMDB and a PostgreSQL store the content
 *  tables (scorm_content_is_table) are left out: `copy-store` converts course content after
 *  it (scorm_content_put_dir / scorm_content_export). Progress lines to `log` (NULL: quiet).
 *  0, or -1 with the reason in err (cmd_copy.c). */
int lrs_store_copy(struct stmt_db *from, struct stmt_db *to, int resume, FILE *log, char *err,
                   size_t errlen);
/** Copy the tree src into dst, skipping files dst has (cmd_ops.c). 0 or -1 (err). */
int lrs_copy_tree(const char *src, const char *dst, char *err, size_t errlen);
/** scolar check: the activity report tallies of the open store db (of cfg) against
 *  tallies rebuilt on a copy (an LMDB copy in a folder of cfg->data_dir, also of a PostgreSQL
 *  store); findings to stderr, 0 or 1 (cmd_check_reports.c). */
int lrs_check_activity_reports(const struct lrs_config *cfg, struct stmt_db *db);
/** Parse --data/--store/--help; -1 after printing help, 2 on a usage error, 0 and *first_arg. */
int lrs_cli_data_opts(int argc, char **argv, const char *usage, struct lrs_config *cfg,
                      int *first_arg);

/** Opens what serve needs beyond the store (statement store, SCORM tables) and closes it. */
/* Register the tables of scorm/ and lrs/ in a store just opened (stmt_db_tables_register;
 * lrs_cli_open_db does it). 0, or -1 with a reason in err. */
int lrs_db_register(struct stmt_db *db, char *err, size_t errlen);
int lrs_app_open(struct lrs_app *app, char *err, size_t errlen);
/** "DIR: no space left on device (ENOSPC), 12 KiB free of 3.0 MiB" into out, for messages
 *  about a full disk (lrs_app.c). */
void lrs_disk_state(const char *dir, char *out, size_t n);

/* Issue 18: when opening the statement store of `db` would convert an older format
 * (stmt_store_needs_upgrade), write DATA/backup-before-upgrade-<UTC>/store.mdb first and log
 * where. 0 (also: nothing to convert), or -1 with the reason in err (then nothing is opened).
 * serve, check, export and migrate call it before stmt_store_open. */
int lrs_backup_before_upgrade(struct stmt_db *db, char *err, size_t errlen);
void lrs_app_close(struct lrs_app *app);

/** `scolar migrate` (cmd_migrate.c). */
int lrs_cmd_migrate(int argc, char **argv);

/** `scolar import`. */
int lrs_cmd_import(int argc, char **argv);

/* cmd_ops.c (issue 18) */
int lrs_cmd_backup(int argc, char **argv);
int lrs_cmd_restore(int argc, char **argv);
int lrs_cmd_config(int argc, char **argv);
/** Takes --config FILE / --config=FILE (or SCOLAR_CONFIG) out of argv and applies the file
 *  (lrs_config_file). 0, or 1 after printing why. */
int lrs_cli_config_prepass(int *argc, char **argv);

#endif
