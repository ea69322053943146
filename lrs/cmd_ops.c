/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Operating commands (issue 18): `scolar backup DEST`, `scolar restore BACKUP`, `scolar config
 * check`, and the --config option every command takes.
 *
 * A backup is a directory: store.mdb (a compacted LMDB copy, stmt_db_copy_compact) and
 * content/ (the extracted course packages). It is made while a server runs: content is copied,
 * then the store, then content again (files that appeared meanwhile), so every course version
 * the copied store names has its files, unless it was imported and deleted again during the
 * few seconds of the backup. Restore copies a backup into a data directory that has no store
 * and verifies it as `scolar check` does.
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "statements/stmt_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char BACKUP_USAGE[] =
    "usage: scolar backup DEST [--data DIR]\n"
    "  writes DEST/ (a new directory): store.mdb, a compacted copy of the store, and content/,\n"
    "  the course files; works while `scolar serve` runs on DIR and writes\n";
static const char RESTORE_USAGE[] =
    "usage: scolar restore BACKUP [--data DIR]\n"
    "  copies a backup made by `scolar backup` into DIR (which must hold no store), then\n"
    "  verifies it as `scolar check` does\n";
static const char CONFIG_USAGE[] =
    "usage: scolar config check [--config FILE]\n"
    "  reads FILE (or SCOLAR_CONFIG) and the environment, checks every setting, prints the\n"
    "  settings `scolar serve` would use; exit 1 naming the first wrong one\n";

/* Copy file src to dst (created, mode 0640). 0 or -1 with errno. */
static int copy_file(const char *src, const char *dst)
{
    char buf[1 << 16];
    int in = open(src, O_RDONLY | O_CLOEXEC), out, rc = 0;
    ssize_t n;
    if (in < 0)
        return -1;
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (out < 0) {
        close(in);
        return -1;
    }
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    if (n < 0)
        rc = -1;
    if (!rc && fsync(out))
        rc = -1;
    int e = errno;
    close(in);
    if (close(out) && !rc)
        rc = -1;
    errno = e;
    return rc;
}

/* Copy the tree src into dst, skipping entries dst already has and import scratch folders
 * (.tmp-*). 0, or -1 with the failing path in err. */
int lrs_copy_tree(const char *src, const char *dst, char *err, size_t errlen)
{
    DIR *d;
    struct dirent *de;
    if (mkdir(dst, 0750) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dst, strerror(errno));
        return -1;
    }
    d = opendir(src);
    if (!d) {
        if (errno == ENOENT)
            return 0; /* no course yet */
        snprintf(err, errlen, "cannot read %s: %s", src, strerror(errno));
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        char s[4096], t[4096];
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            !strncmp(de->d_name, ".tmp", 4))
            continue;
        if (snprintf(s, sizeof s, "%s/%s", src, de->d_name) >= (int)sizeof s ||
            snprintf(t, sizeof t, "%s/%s", dst, de->d_name) >= (int)sizeof t) {
            snprintf(err, errlen, "path too long below %s", src);
            closedir(d);
            return -1;
        }
        if (lstat(s, &st))
            continue; /* deleted meanwhile */
        if (S_ISDIR(st.st_mode)) {
            if (lrs_copy_tree(s, t, err, errlen)) {
                closedir(d);
                return -1;
            }
        } else if (S_ISREG(st.st_mode) && access(t, F_OK) && copy_file(s, t) && errno != ENOENT) {
            snprintf(err, errlen, "cannot copy %.900s: %s", s, strerror(errno));
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

/* DEST or BACKUP (one argument) and --data; -1 after --help, else 0 or a usage status */
static int one_arg(int argc, char **argv, const char *usage, struct lrs_config *cfg,
                   const char **arg)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int c;
    lrs_config_defaults(cfg);
    lrs_config_from_env(cfg);
    optind = 1;
    opterr = 0;
    /* options before or after the directory (GNU getopt permutes) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", optarg);
        } else if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        } else {
            return lrs_cli_usage_error(usage, "unknown or incomplete option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return lrs_cli_usage_error(usage, "needs exactly one directory%s", "");
    *arg = argv[optind];
    return 0;
}

int lrs_cmd_backup(int argc, char **argv)
{
    struct lrs_config cfg;
    const char *dest = NULL;
    char path[4096], src[2048], err[1024];
    int rc = one_arg(argc, argv, BACKUP_USAGE, &cfg, &dest);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (cfg.store[0]) {
        fprintf(stderr, "scolar: backup: the store is in PostgreSQL (SCOLAR_STORE): back it up "
                        "with pg_dump, or copy it into a data directory with `scolar copy-store "
                        "--from URL --to DIR`\n");
        return 1;
    }
    if (mkdir(dest, 0750)) {
        fprintf(stderr, "scolar: cannot create %s: %s (the backup goes into a new directory)\n",
                dest, strerror(errno));
        return 1;
    }
    snprintf(src, sizeof src, "%s/content", cfg.data_dir);
    snprintf(path, sizeof path, "%s/content", dest);
    if (lrs_copy_tree(src, path, err, sizeof err)) {
        fprintf(stderr, "scolar: backup: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof path, "%s/store.mdb", dest);
    if (stmt_db_copy_compact(cfg.data_dir, path, err, sizeof err)) {
        fprintf(stderr, "scolar: backup: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof path, "%s/content", dest);
    if (lrs_copy_tree(src, path, err, sizeof err)) {
        fprintf(stderr, "scolar: backup: %s\n", err);
        return 1;
    }
    printf("backup of %s written to %s\n", cfg.data_dir, dest);
    return 0;
}

int lrs_cmd_restore(int argc, char **argv)
{
    struct lrs_config cfg;
    struct stmt_db *db = NULL;
    const char *from = NULL;
    char src[4096], dst[4096], err[1024], report[8192];
    struct stat st;
    int rc = one_arg(argc, argv, RESTORE_USAGE, &cfg, &from);
    if (rc)
        return rc < 0 ? 0 : rc;
    snprintf(src, sizeof src, "%s/store.mdb", from);
    if (stat(src, &st) || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "scolar: restore: %s is not a backup (no store.mdb)\n", from);
        return 1;
    }
    if (mkdir(cfg.data_dir, 0750) && errno != EEXIST) {
        fprintf(stderr, "scolar: cannot create %s: %s\n", cfg.data_dir, strerror(errno));
        return 1;
    }
    snprintf(dst, sizeof dst, "%s/store.mdb", cfg.data_dir);
    if (!stat(dst, &st)) {
        fprintf(stderr,
                "scolar: restore: %s already holds a store; restore into a new data "
                "directory\n",
                cfg.data_dir);
        return 1;
    }
    if (copy_file(src, dst)) {
        fprintf(stderr, "scolar: restore: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
        return 1;
    }
    snprintf(src, sizeof src, "%s/content", from);
    snprintf(dst, sizeof dst, "%s/content", cfg.data_dir);
    if (lrs_copy_tree(src, dst, err, sizeof err)) {
        fprintf(stderr, "scolar: restore: %s\n", err);
        return 1;
    }
    if (lrs_cli_open_dir(cfg.data_dir, &db))
        return 1;
    rc = stmt_db_check(db, report, sizeof report);
    if (!rc)
        rc = stmt_store_check(db, report, sizeof report);
    fputs(report, rc ? stderr : stdout);
    stmt_db_close(db);
    if (rc)
        return 1;
    printf("restored %s into %s\n", from, cfg.data_dir);
    return 0;
}

/* ---- configuration --------------------------------------------------------------------- */

int lrs_cli_config_prepass(int *argc, char **argv)
{
    const char *file = getenv("SCOLAR_CONFIG");
    char err[1200];
    int j = 0;
    for (int i = 0; i < *argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < *argc) {
            file = argv[++i];
            continue;
        }
        if (!strncmp(argv[i], "--config=", 9)) {
            file = argv[i] + 9;
            continue;
        }
        argv[j++] = argv[i];
    }
    argv[j] = NULL;
    *argc = j;
    if (file && *file && lrs_config_file(file, 1, err, sizeof err)) {
        fprintf(stderr, "scolar: %s\n", err);
        return 1;
    }
    return 0;
}

int lrs_cmd_config(int argc, char **argv)
{
    struct lrs_config c;
    char err[1200];
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(CONFIG_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check") || argc > 2)
        return lrs_cli_usage_error(CONFIG_USAGE, "unknown config subcommand '%s'", argv[1]);
    /* the file was read by the prepass (values checked there); the environment's values are
     * checked here as serve would take them */
    lrs_config_defaults(&c);
    lrs_config_from_env(&c);
    /* the TLS pair as serve loads it (the unit's ExecStartPre: a bad renewal shows here) */
    if (lrs_config_validate(&c, err, sizeof err) ||
        (c.tls_cert[0] && lrs_tls_open(&c, err, sizeof err))) {
        fprintf(stderr, "scolar: %s\n", err);
        return 1;
    }
    lrs_tls_close();
    lrs_config_urls(&c);
    printf("data = %s\nlisten = %s\ncontent-listen = %s\npublic-url = %s\ncontent-url = %s\n"
           "tls-cert = %s\ntls-key = %s\ntrusted-proxy = %s\nmax-body = %zu\nmax-document = "
           "%zu\nmax-upload = %zu\nthreads = %d\nmax-conn-per-addr = %d\nrequest-timeout-ms = "
           "%d\nbody-grace-ms = %d\ncors-origins = %s\nlog-format = %s\n",
           c.data_dir, c.listen, c.content_listen, c.public_url, c.content_url, c.tls_cert,
           c.tls_key, c.trusted_proxies, c.max_body, c.max_doc, c.max_upload, c.threads,
           c.max_conn_per_addr, c.request_timeout_ms, c.body_grace_ms, c.cors_origins,
           c.log_json ? "json" : "text");
    printf("config: ok\n");
    return 0;
}
