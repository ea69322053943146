/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `scolar copy-store --from STORE --to STORE` (issue 19): a whole store from one backend to
 * the other (an LMDB data directory, a PostgreSQL URL, either way, or between two of a kind).
 *
 * Every registered table of the source (the statement store's, scorm/'s, lrs/'s: statements,
 * their indexes and tallies, documents, attachments, courses, registrations, run-time data,
 * credentials, users, forwarders ...) is read in key order inside one read transaction of the
 * source, so the copy is one consistent snapshot, and put into the target in write
 * transactions of COPY_TXN_ROWS rows (or COPY_TXN_BYTES of keys and values, whichever comes
 * first): a copy of millions of rows never holds one huge transaction on either side. The rows
 * are copied as they are stored (no re-validation, no re-indexing): the two backends keep the
 * same tables, keys and values (docs/architecture.md, PostgreSQL backend). At the end the rows
 * of every table are counted on both sides; a difference fails the command.
 *
 * The target must hold no rows (a new data directory or an empty database) unless --resume is
 * given: then tables whose counts already match are skipped and the others are put again, row
 * for row (a put over a row copied before is the same row), so a copy cut short (a crash, a
 * lost connection) is finished by running the same command again with --resume.
 *
 * Course content (scorm/scorm_content.h) is kept differently by the two backends: files in
 * DATA/content/<course>/<version>/ on LMDB, rows of the tables content, blob and blob_chunk on
 * PostgreSQL. Between two stores of one kind the tables are copied and the content folder (LMDB)
 * too; between the two kinds those three tables are not copied nor counted, and each version is
 * converted after the tables (scorm_content_put_dir: one write transaction per version, as an
 * import stores it; scorm_content_export: a temporary folder renamed into place), every version
 * again on --resume, which gives the same rows or files. cmi5 package files likewise (files in
 * DATA/cmi5/<course>/ on LMDB, content rows under "cmi5:<course>" on PostgreSQL): converted a
 * course at a time by cmi5_content_convert after the SCORM versions, the cmi5 folder copied
 * between two data directories.
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "scorm/cmi5.h"
#include "scorm/scorm_content.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define COPY_TXN_ROWS 1000
#define COPY_TXN_BYTES (64u << 20)
/* rescans of one table after a full LMDB map: each doubles the map (64 MiB * 2^40 is enough) */
#define COPY_GROWTHS 40

static const char COPY_USAGE[] =
    "usage: scolar copy-store --from STORE --to STORE [--data DIR] [--resume]\n"
    "\n"
    "  Copies a whole store into another: STORE is an LMDB data directory or a PostgreSQL\n"
    "  URL (postgres://USER@HOST/DB), so it moves a scolar between the two backends.\n"
    "  Every table is copied in transactions of 1,000 rows, then the rows of every table are\n"
    "  counted on both sides. Stop every server on both stores first.\n"
    "\n"
    "  --from STORE   the store to read (not changed)\n"
    "  --to STORE     the store to write: an empty database, or a data directory without a\n"
    "                 store (created)\n"
    "  --data DIR     the node folder of the PostgreSQL side (env SCOLAR_DATA; default\n"
    "                 ./scolar-data); course content is converted between rows in the\n"
    "                 database and files in the LMDB data directory\n"
    "  --resume       finish a copy that was cut short (the target holds part of it)\n"
    "\n"
    "  Then: scolar check --store URL (or --data DIR) on the copy.\n";

struct copy_ctx {
    struct stmt_db *to;
    struct stmt_db_txn *wt; /* the target's open write transaction, or NULL */
    const char *table;
    size_t in_txn, bytes, rows;
    int rc;
    /* the last key committed in the target (for a rescan after a full map), and the key the
     * current transaction's first row came after */
    unsigned char *last;
    size_t lastlen, lastcap;
    int have_last, skip_last;
};

/* Keep key as the last one committed. 0 or STMT_DB_ERR_NOMEM. */
static int keep_last(struct copy_ctx *c, const void *key, size_t klen)
{
    if (klen > c->lastcap) {
        unsigned char *n = sc_realloc(c->last, klen);
        if (!n)
            return STMT_DB_ERR_NOMEM;
        c->last = n;
        c->lastcap = klen;
    }
    if (klen)
        memcpy(c->last, key, klen);
    c->lastlen = klen;
    c->have_last = 1;
    return 0;
}

/* A put or commit met a full LMDB map: the target's transaction is gone with its rows
 * (stmt_db.c has asked for a larger map, which the next write transaction takes), so they are
 * copied again from the last key committed. */
static int copy_full(struct copy_ctx *c)
{
    stmt_db_txn_abort(c->wt);
    c->wt = NULL;
    c->rows -= c->in_txn;
    c->in_txn = c->bytes = 0;
    return c->rc = STMT_DB_ERR_FULL;
}

static int copy_visit(void *vctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct copy_ctx *c = vctx;
    int rc;
    if (c->skip_last) { /* a rescan starts at the last key committed, which is in already */
        c->skip_last = 0;
        if (klen == c->lastlen && !memcmp(key, c->last, klen))
            return 0;
    }
    if (!c->wt && (rc = stmt_db_txn_begin(c->to, 1, &c->wt)) != 0)
        return c->rc = rc;
    /* keys come in order: the append hint makes the LMDB insert cheap (a hint only: over a
     * partial copy a key that is not the last is put as without it) */
    rc = stmt_db_put(c->wt, c->table, key, klen, val, vlen, STMT_DB_APPEND);
    if (rc == STMT_DB_ERR_FULL)
        return copy_full(c);
    if (rc)
        return c->rc = rc;
    c->rows++;
    c->in_txn++;
    c->bytes += klen + vlen;
    if (c->in_txn >= COPY_TXN_ROWS || c->bytes >= COPY_TXN_BYTES) {
        rc = stmt_db_txn_commit(c->wt); /* frees it, also on failure */
        c->wt = NULL;
        if (rc == STMT_DB_ERR_FULL)
            return copy_full(c);
        c->in_txn = c->bytes = 0;
        if (rc)
            return c->rc = rc;
        if ((rc = keep_last(c, key, klen)) != 0)
            return c->rc = rc;
    }
    return 0;
}

/* Rows of every table on one side, in a read transaction of its own. */
static int count_rows(struct stmt_db *db, const char *table, size_t *n)
{
    struct stmt_db_txn *t = NULL;
    int rc = stmt_db_txn_begin(db, 0, &t);
    if (!rc)
        rc = stmt_db_count(t, table, n);
    stmt_db_txn_abort(t);
    return rc;
}

int lrs_store_copy(struct stmt_db *from, struct stmt_db *to, int resume, FILE *log, char *err,
                   size_t errlen)
{
    struct stmt_db_txn *rt = NULL;
    const char *name;
    int rc, convert = stmt_db_is_pg(from) != stmt_db_is_pg(to);

    /* an empty target, or --resume: the rows open itself writes (meta) do not count */
    for (int i = 0; !resume && (name = stmt_db_table_name(to, i)) != NULL; i++) {
        size_t n = 0;
        if (!strcmp(name, "meta"))
            continue;
        rc = count_rows(to, name, &n);
        if (rc) {
            snprintf(err, errlen, "cannot count the rows of the target's table %s: %s", name,
                     stmt_db_strerror(rc));
            return -1;
        }
        if (n) {
            snprintf(err, errlen,
                     "the target is not empty (table %s holds %zu rows): copy into an empty "
                     "database or a new data directory, or add --resume to finish a copy "
                     "that was cut short",
                     name, n);
            return -1;
        }
    }
    rc = stmt_db_txn_begin(from, 0, &rt); /* one snapshot of the source for every table */
    if (rc) {
        snprintf(err, errlen, "cannot read the source: %s", stmt_db_strerror(rc));
        return -1;
    }
    for (int i = 0; (name = stmt_db_table_name(from, i)) != NULL; i++) {
        struct copy_ctx c = {to, NULL, name, 0, 0, 0, 0, NULL, 0, 0, 0, 0};
        int fulls = 0;
        size_t have = 0, want = 0;
        int64_t t0 = sc_time_mono_us();
        if (convert && scorm_content_is_table(name))
            continue; /* converted by the caller (lrs_store_copy_content) */
        rc = stmt_db_count(rt, name, &want);
        if (!rc && resume)
            rc = count_rows(to, name, &have);
        if (rc) {
            snprintf(err, errlen, "cannot count the rows of table %s: %s", name,
                     stmt_db_strerror(rc));
            goto fail;
        }
        if (resume && have == want) {
            if (log)
                fprintf(log, "  %-18s %10zu rows (already copied)\n", name, want);
            continue;
        }
        for (;;) {
            rc = stmt_db_scan(rt, name, c.have_last ? c.last : NULL, c.lastlen, copy_visit, &c);
            if (!rc && c.wt) {
                rc = stmt_db_txn_commit(c.wt);
                c.wt = NULL;
                if (rc == STMT_DB_ERR_FULL)
                    rc = copy_full(&c);
            }
            /* a full LMDB map grows at the next write transaction (doubling): scan again from
             * the last key committed, as long as the map can still grow */
            if (rc != STMT_DB_ERR_FULL || c.rc != STMT_DB_ERR_FULL || ++fulls > COPY_GROWTHS)
                break;
            c.rc = 0;
            c.skip_last = c.have_last;
        }
        stmt_db_txn_abort(c.wt);
        sc_free(c.last);
        if (rc) {
            snprintf(err, errlen,
                     "copying table %s stopped after %zu rows: %s (the rows committed so far "
                     "stay: run again with --resume)",
                     name, c.rows, stmt_db_strerror(c.rc ? c.rc : rc));
            goto fail;
        }
        if (log && want)
            fprintf(log, "  %-18s %10zu rows in %.1f s\n", name, c.rows,
                    (double)(sc_time_mono_us() - t0) / 1e6);
    }
    stmt_db_txn_abort(rt);
    rt = NULL;
    /* every table counted on both sides after the last commit */
    for (int i = 0; (name = stmt_db_table_name(from, i)) != NULL; i++) {
        size_t a = 0, b = 0;
        if (convert && scorm_content_is_table(name))
            continue;
        rc = count_rows(from, name, &a);
        if (!rc)
            rc = count_rows(to, name, &b);
        if (rc) {
            snprintf(err, errlen, "cannot count the rows of table %s: %s", name,
                     stmt_db_strerror(rc));
            return -1;
        }
        if (a != b) {
            snprintf(err, errlen,
                     "table %s: %zu rows in the source, %zu in the copy (was a server "
                     "writing to either store?)",
                     name, a, b);
            return -1;
        }
    }
    return 0;
fail:
    stmt_db_txn_abort(rt);
    return -1;
}

struct conv_ctx {
    struct stmt_db *from, *to;
    size_t versions;
    char *err;
    size_t errlen;
};

static int conv_version(void *vctx, const char *course, int version)
{
    struct conv_ctx *c = vctx;
    char dir[4200];
    if (!stmt_db_is_pg(c->to)) /* PostgreSQL -> LMDB: files from the rows */
        return scorm_content_export(c->from, course, version, c->to, c->err, c->errlen)
                   ? -1
                   : (c->versions++, 0);
    snprintf(dir, sizeof dir, "%s/content/%s/%d", stmt_db_dir(c->from), course, version);
    if (scorm_content_put_dir(c->to, course, version, dir, c->err, c->errlen))
        return -1;
    c->versions++;
    return 0;
}

/* Course content after the tables: converted between the two backends, else the content
 * folder of an LMDB source copied to the LMDB target (a PostgreSQL copy has it in its rows). */
static int copy_content(struct stmt_db *from, struct stmt_db *to, FILE *log, char *err,
                        size_t errlen)
{
    struct conv_ctx c = {from, to, 0, err, errlen};
    char sdir[4200], ddir[4200];
    size_t ncmi5 = 0;
    int64_t t0 = sc_time_mono_us();
    int rc;
    if (stmt_db_is_pg(from) && stmt_db_is_pg(to))
        return 0;
    if (!stmt_db_is_pg(from) && !stmt_db_is_pg(to)) {
        for (int i = 0; i < 2; i++) { /* SCORM versions, then cmi5 packages */
            const char *sub = i ? "cmi5" : "content";
            snprintf(sdir, sizeof sdir, "%s/%s", stmt_db_dir(from), sub);
            snprintf(ddir, sizeof ddir, "%s/%s", stmt_db_dir(to), sub);
            if (strcmp(sdir, ddir) && lrs_copy_tree(sdir, ddir, err, errlen))
                return -1;
        }
        return 0;
    }
    err[0] = 0;
    scorm_content_cache_limit(0); /* reading the rows once: no node-local cache entries */
    rc = scorm_content_versions(from, conv_version, &c);
    if (rc) {
        if (!err[0])
            snprintf(err, errlen, "cannot list the course versions of the source (%d)", rc);
        return -1;
    }
    if (log)
        fprintf(log, "  %-18s %10zu course versions converted in %.1f s\n", "content", c.versions,
                (double)(sc_time_mono_us() - t0) / 1e6);
    t0 = sc_time_mono_us();
    err[0] = 0;
    if (cmi5_content_convert(from, to, &ncmi5, err, errlen)) {
        if (!err[0])
            snprintf(err, errlen, "cannot convert the cmi5 package files");
        return -1;
    }
    if (log)
        fprintf(log, "  %-18s %10zu cmi5 courses converted in %.1f s\n", "cmi5 content", ncmi5,
                (double)(sc_time_mono_us() - t0) / 1e6);
    return 0;
}

/* The source must exist: copying from a mistyped directory or an empty database would create
 * an empty store there (on PostgreSQL its schema: stmt_db_exists asks without creating it). */
static int source_exists(const char *from)
{
    char path[4200], err[1200] = "", shown[600];
    struct stat sb;
    if (lrs_store_is_url(from)) {
        int rc;
        setenv("PGCONNECT_TIMEOUT", "10", 0); /* as lrs_cli_open_db: a bounded connection */
        rc = stmt_db_exists(from, NULL, err, sizeof err);
        if (rc == 1)
            return 1;
        for (size_t n = strlen(err); n && (err[n - 1] == '\n' || err[n - 1] == ' ');)
            err[--n] = '\0'; /* libpq's messages end in a newline */
        lrs_store_redact(from, shown, sizeof shown);
        fprintf(stderr, "scolar: --from %s: %s\n", shown, err);
        return 0;
    }
    snprintf(path, sizeof path, "%s/store.mdb", from);
    if (stat(path, &sb) == 0)
        return 1;
    fprintf(stderr, "scolar: --from %s: no store there (%s: %s)\n", from, path, strerror(errno));
    return 0;
}

static int open_side(const char *loc, const char *data_dir, struct stmt_db **db)
{
    if (lrs_store_is_url(loc)) {
        struct lrs_config c;
        lrs_config_defaults(&c);
        snprintf(c.store, sizeof c.store, "%s", loc);
        snprintf(c.data_dir, sizeof c.data_dir, "%s", data_dir);
        return lrs_cli_open_db(&c, db);
    }
    return lrs_cli_open_dir(loc, db);
}

int lrs_cmd_copy_store(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'}, {"to", required_argument, NULL, 't'},
        {"data", required_argument, NULL, 'd'}, {"resume", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},       {0, 0, 0, 0}};
    struct lrs_config cfg;
    struct stmt_db *src = NULL, *dst = NULL;
    const char *from = NULL, *to = NULL;
    char err[1024], a[600], b[600];
    int c, resume = 0, rc = 1;
    int64_t t0 = sc_time_mono_us();

    lrs_config_defaults(&cfg);
    lrs_config_from_env(&cfg);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            from = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'd':
            snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", optarg);
            break;
        case 'r':
            resume = 1;
            break;
        case 'h':
            fputs(COPY_USAGE, stdout);
            return 0;
        default:
            return lrs_cli_usage_error(COPY_USAGE, "unknown or incomplete option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind < argc)
        return lrs_cli_usage_error(COPY_USAGE, "unexpected argument '%s'", argv[optind]);
    if (!from || !to || !*from || !*to)
        return lrs_cli_usage_error(COPY_USAGE, "copy-store needs --from and --to%s", "");
    if (!strcmp(from, to))
        return lrs_cli_usage_error(COPY_USAGE, "--from and --to are the same store '%s'", from);
    if (!source_exists(from) || open_side(from, cfg.data_dir, &src))
        return 1;
    if (open_side(to, cfg.data_dir, &dst))
        goto out;
    lrs_store_redact(from, a, sizeof a);
    lrs_store_redact(to, b, sizeof b);
    printf("copying %s to %s\n", a, b);
    if (lrs_store_copy(src, dst, resume, stdout, err, sizeof err)) {
        fprintf(stderr, "scolar: copy-store: %s\n", err);
        goto out;
    }
    if (copy_content(src, dst, stdout, err, sizeof err)) {
        fprintf(stderr, "scolar: copy-store: course content: %s (run again with --resume)\n", err);
        goto out;
    }
    printf("copied %s to %s in %.1f s; every table has the same number of rows on both sides\n", a,
           b, (double)(sc_time_mono_us() - t0) / 1e6);
    rc = 0;
out:
    stmt_db_close(dst);
    stmt_db_close(src);
    return rc;
}
