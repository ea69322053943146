/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the store is (issue 19): the LMDB data directory (--data DIR, the default), or a
 * PostgreSQL database (--store postgres://..., env SCOLAR_STORE, config key `store`) shared by
 * every scolar node on it, with --data as the node's own folder. Every command that opens the
 * store comes through lrs_cli_open_db, so `serve`, `check`, `creds`, `user` ... all take
 * --store. A store location that is not a PostgreSQL URL, or a database that cannot be reached,
 * is one line naming the option (the URL's password never printed) and exit status 1.
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lrs_cli_usage_error(const char *usage, const char *fmt, const char *arg)
{
    if (fmt) {
        fprintf(stderr, "scolar: ");
        fprintf(stderr, fmt, arg ? arg : "");
        fprintf(stderr, "\n");
    }
    fputs(usage, stderr);
    return 2;
}

int lrs_store_is_url(const char *s)
{
    return s && (!strncmp(s, "postgres://", 11) || !strncmp(s, "postgresql://", 13));
}

void lrs_store_redact(const char *url, char *out, size_t n)
{
    /* postgres://user:secret@host/db?password=secret: both forms of a password (libpq 34.1.1) */
    const char *auth = strstr(url, "://"), *at, *colon, *q;
    size_t off = 0;
    if (!n)
        return;
    out[0] = '\0';
    if (!auth) {
        snprintf(out, n, "%s", url);
        return;
    }
    auth += 3;
    at = strchr(auth, '@');
    q = strchr(auth, '?');
    if (at && (!q || at < q)) {
        colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon) {
            off = (size_t)snprintf(out, n, "%.*s:***", (int)(colon - url), url);
            url = at;
        }
    }
    if (off >= n)
        return;
    for (const char *p = url; *p && off + 1 < n;) {
        if ((p[0] == '?' || p[0] == '&') && !strncmp(p + 1, "password=", 9)) {
            int w = snprintf(out + off, n - off, "%cpassword=***", p[0]);
            off += w > 0 ? (size_t)w : 0;
            p += 10;
            p += strcspn(p, "&");
            continue;
        }
        out[off++] = *p++;
    }
    out[off < n ? off : n - 1] = '\0';
}

int lrs_store_check(const char *store, char *err, size_t errlen)
{
    char shown[600];
    if (!store || !store[0] || lrs_store_is_url(store))
        return 0;
    lrs_store_redact(store, shown, sizeof shown);
    snprintf(err, errlen,
             "--store '%s': not a PostgreSQL URL (postgres://USER@HOST/DB or postgresql://...); "
             "an LMDB store is a data directory, --data DIR",
             shown);
    return -1;
}

static int open_at(const char *store, const char *dir, struct stmt_db **db)
{
    char err[1024] = "", shown[600];
    int rc;
    if (lrs_store_check(store, err, sizeof err)) {
        fprintf(stderr, "scolar: %s\n", err);
        return 1;
    }
    if (store && store[0]) {
        /* libpq waits for ever on a host that does not answer: a bounded first connection
         * unless the operator chose otherwise (PGCONNECT_TIMEOUT or connect_timeout=) */
        setenv("PGCONNECT_TIMEOUT", "10", 0);
    }
    rc = stmt_db_open_url(store, dir, db, err, sizeof err);
    for (size_t n = strlen(err); rc && n && (err[n - 1] == '\n' || err[n - 1] == ' ');)
        err[--n] = '\0'; /* libpq's messages end in a newline */
    if (rc == STMT_DB_ERR_FULL && strncmp(err, "the disk is full", 16)) {
        char disk[600];
        lrs_disk_state(dir, disk, sizeof disk);
        fprintf(stderr, "scolar: the disk is full: %s: %s\n", disk, err);
        return 1;
    }
    if (rc && store && store[0]) {
        lrs_store_redact(store, shown, sizeof shown);
        fprintf(stderr, "scolar: --store %s: %s\n", shown, err);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "scolar: %s\n", err);
        return 1;
    }
    if (lrs_db_register(*db, err, sizeof err)) { /* each module's own tables */
        fprintf(stderr, "scolar: %s\n", err);
        stmt_db_close(*db);
        *db = NULL;
        return 1;
    }
    return 0;
}

int lrs_cli_open_db(const struct lrs_config *cfg, struct stmt_db **db)
{
    return open_at(cfg->store, cfg->data_dir, db);
}

int lrs_cli_open_dir(const char *data_dir, struct stmt_db **db)
{
    return open_at(NULL, data_dir, db);
}

const char *lrs_store_describe(const struct lrs_config *cfg, char *out, size_t n)
{
    if (cfg->store[0])
        lrs_store_redact(cfg->store, out, n);
    else
        snprintf(out, n, "%s/store.mdb", cfg->data_dir);
    return out;
}
