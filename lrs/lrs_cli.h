/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the subcommands in lrs/ (private to lrs/). */
#ifndef LRS_CLI_H
#define LRS_CLI_H

#include "lrs/lrs.h"

/** Print "scolar: <fmt>" and the usage to stderr; returns 2 (the usage exit code). */
int lrs_cli_usage_error(const char *usage, const char *fmt, const char *arg);
/** Open the store, printing one line on failure; 0 or 1 (the exit code). */
int lrs_cli_open_db(const char *data_dir, struct stmt_db **db);
/** scolar check: the activity report tallies of the open store db (of data_dir) against
 *  tallies rebuilt on a copy; findings to stderr, 0 or 1 (cmd_check_reports.c). */
int lrs_check_activity_reports(const char *data_dir, struct stmt_db *db);
/** Parse --data/--help; -1 after printing help, 2 on a usage error, 0 and *first_arg. */
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
