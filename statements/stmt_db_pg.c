/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL backend of stmt_db.h (issue 19): several scolar nodes on one database.
 *
 * Schema (versioned migrations, MIGRATIONS below, applied at open by one node at a time under
 * the session advisory lock MIGRATE_LOCK; scolar_schema holds the versions applied):
 *   scolar_kv(tbl text, k bytea, v bytea, primary key (tbl, k))
 * every registered table of the LMDB store is the set of rows with that tbl. bytea compares as
 * memcmp, then the shorter first (PostgreSQL byteacmp), which is LMDB's default key order, so
 * stmt_db_scan visits keys in the same order on both backends.
 *
 * Transactions keep LMDB's contract, across nodes: one write transaction at a time. A write
 * transaction begins with pg_advisory_xact_lock(WRITE_LOCK) (PostgreSQL 15 docs §9.27.10),
 * held to its commit or rollback by whichever node holds it, in READ COMMITTED: each statement
 * after the lock sees every transaction committed before it, and no other writer commits
 * meanwhile, so a read-modify-write in one transaction is as safe across nodes as LMDB's single
 * writer makes it in one process (no serialization failures to retry). A read transaction is
 * REPEATABLE READ READ ONLY: one snapshot for its whole life, taken at its begin (a first
 * SELECT: PostgreSQL takes it at the first statement, docs §13.2.2), as an LMDB read
 * transaction.
 * Durability: synchronous_commit = on for every connection (docs §20.5.1), so COMMIT returns
 * after the WAL is flushed: a committed transaction is durable, as with LMDB.
 *
 * Connections: a pool per store; a transaction takes one (connecting when none is free, at
 * most POOL_MAX, then waits) and gives it back at its end. libpq connections are not shared
 * between threads at once (libpq docs §34.20), which the pool guarantees.
 *
 * Ordered scans page with a keyset (k > last ORDER BY k LIMIT SCAN_PAGE): each page is a whole
 * result, so the visitor may call stmt_db_get/put on the same transaction between rows.
 * Cursors, counts and clears: stmt_db_pg_cursor.c.
 */
#include "statements/stmt_db_pg.h"
#include "common/sc_alloc.h"

#include <string.h>

int stmt__pg_is_url(const char *loc)
{
    return loc && (strncmp(loc, "postgres://", 11) == 0 || strncmp(loc, "postgresql://", 13) == 0);
}

#ifndef SCOLAR_HAVE_PG

#include <stdio.h>

int stmt__pg_open(const char *url, struct stmt__pg **out, char *err, size_t errlen)
{
    (void)url;
    (void)out;
    snprintf(err, errlen, "this scolar was built without PostgreSQL (libpq-dev missing)");
    return STMT_DB_ERR_ACCESS;
}
void stmt__pg_close(struct stmt__pg *pg)
{
    (void)pg;
}
int stmt__pg_begin(struct stmt__pg *pg, int write, struct stmt__pgtxn **out)
{
    (void)pg, (void)write, (void)out;
    return STMT_DB_ERR_IO;
}
int stmt__pg_end(struct stmt__pgtxn *t, int commit)
{
    (void)t, (void)commit;
    return STMT_DB_ERR_IO;
}
int stmt__pg_put(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                 const void *val, size_t vlen, unsigned flags)
{
    (void)t, (void)table, (void)key, (void)klen, (void)val, (void)vlen, (void)flags;
    return STMT_DB_ERR_IO;
}
int stmt__pg_get(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                 const void **val, size_t *vlen)
{
    (void)t, (void)table, (void)key, (void)klen, (void)val, (void)vlen;
    return STMT_DB_ERR_IO;
}
int stmt__pg_reserve(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                     size_t vlen, unsigned flags, void **buf)
{
    (void)t, (void)table, (void)key, (void)klen, (void)vlen, (void)flags, (void)buf;
    return STMT_DB_ERR_IO;
}
int stmt__pg_del(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen)
{
    (void)t, (void)table, (void)key, (void)klen;
    return STMT_DB_ERR_IO;
}
int stmt__pg_scan(struct stmt__pgtxn *t, const char *table, const void *from, size_t flen,
                  stmt_db_visit_fn fn, void *ctx)
{
    (void)t, (void)table, (void)from, (void)flen, (void)fn, (void)ctx;
    return STMT_DB_ERR_IO;
}
int stmt__pg_stats(struct stmt__pg *pg, struct stmt_db_stats *out)
{
    (void)pg, (void)out;
    return STMT_DB_ERR_IO;
}
int stmt__pg_savepoint(struct stmt__pgtxn *t, int op)
{
    (void)t, (void)op;
    return STMT_DB_ERR_IO;
}

#else

#include "statements/stmt_db_pg_int.h"

#include <stdio.h>
#include <stdlib.h>

#define SCAN_PAGE 256
/* advisory lock keys (one bigint space per database): "scolar" + a small number */
#define MIGRATE_LOCK "7310730100001"
/* WRITE_LOCK: stmt_db_pg_int.h (stmt_db_pg_idle.c tries it too) */

/* Each migration runs once, in its own transaction with the row recording it. Append only:
 * a released migration is never edited; a change is a new one. */
static const char *const MIGRATIONS[] = {
    /* 1: the key/value tables of stmt_db.h */
    "CREATE TABLE scolar_kv (tbl text NOT NULL, k bytea NOT NULL, v bytea NOT NULL,"
    " PRIMARY KEY (tbl, k))",
};
#define NMIGRATIONS (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0])

/* The prepared statements of every connection: name, SQL, parameter count. */
static const struct {
    const char *name, *sql;
    int n;
} PREP[] = {
    {"g", "SELECT v FROM scolar_kv WHERE tbl = $1 AND k = $2", 2},
    {"p",
     "INSERT INTO scolar_kv (tbl, k, v) VALUES ($1, $2, $3)"
     " ON CONFLICT (tbl, k) DO UPDATE SET v = EXCLUDED.v",
     3},
    {"pn", "INSERT INTO scolar_kv (tbl, k, v) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", 3},
    {"d", "DELETE FROM scolar_kv WHERE tbl = $1 AND k = $2", 2},
    {"s0", "SELECT k, v FROM scolar_kv WHERE tbl = $1 AND k >= $2 ORDER BY k LIMIT $3", 3},
    {"s1", "SELECT k, v FROM scolar_kv WHERE tbl = $1 AND k > $2 ORDER BY k LIMIT $3", 3},
    {"cp", "SELECT k, v FROM scolar_kv WHERE tbl = $1 AND k < $2 ORDER BY k DESC LIMIT $3", 3},
    {"cl", "SELECT k, v FROM scolar_kv WHERE tbl = $1 ORDER BY k DESC LIMIT $2", 2},
    {"cq", "SELECT k, v FROM scolar_kv WHERE tbl = $1 AND k <= $2 ORDER BY k DESC LIMIT $3", 3},
    {"n", "SELECT count(*) FROM scolar_kv WHERE tbl = $1", 1},
    {"cn",
     "SELECT count(*) FROM (SELECT 1 FROM scolar_kv WHERE tbl = $1 AND k >= $2 AND k <= $3"
     " LIMIT $4) s",
     4},
    {"x", "DELETE FROM scolar_kv WHERE tbl = $1", 1},
    /* stmt_db_get_many (stmt_db_pg_many.c): the keys as one bytea[]; each found row with the
     * 1-based position of its key (PostgreSQL docs §9.19 unnest, §7.2.1.4 WITH ORDINALITY) */
    {"gm",
     "SELECT a.i, s.v FROM unnest($2::bytea[]) WITH ORDINALITY AS a(k, i)"
     " JOIN scolar_kv s ON s.tbl = $1 AND s.k = a.k",
     2},
    /* stmt_db_seek_many: the first row at or after each key (docs §7.2.1.5 LATERAL) */
    {"sm",
     "SELECT a.i, s.k, s.v FROM unnest($2::bytea[]) WITH ORDINALITY AS a(k, i) CROSS JOIN"
     " LATERAL (SELECT k, v FROM scolar_kv WHERE tbl = $1 AND k >= a.k ORDER BY k LIMIT 1) s",
     2},
};

static int sqlstate_err(const PGresult *r)
{
    const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!s)
        return STMT_DB_ERR_IO;
    if (strcmp(s, "53100") == 0) /* disk_full */
        return STMT_DB_ERR_FULL;
    if (strcmp(s, "53200") == 0) /* out_of_memory */
        return STMT_DB_ERR_NOMEM;
    if (strcmp(s, "23505") == 0) /* unique_violation */
        return STMT_DB_ERR_EXISTS;
    if (strncmp(s, "28", 2) == 0 || strcmp(s, "42501") == 0) /* authorization */
        return STMT_DB_ERR_ACCESS;
    return STMT_DB_ERR_IO;
}

/* Run a command that returns no rows; 0 or an stmt_db_err (reason in err when given). */
static int exec_cmd(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    int rc = ok ? STMT_DB_OK : sqlstate_err(r);
    if (!ok && err)
        snprintf(err, errlen, "PostgreSQL: %s", PQerrorMessage(c));
    PQclear(r);
    return rc;
}

static PGconn *connect_one(const char *url, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(url);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        if (err)
            snprintf(err, errlen, "cannot connect to PostgreSQL: %s",
                     c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return NULL;
    }
    /* durable before COMMIT returns, whatever the server's default */
    if (exec_cmd(c, "SET synchronous_commit = on; SET client_min_messages = warning", err,
                 errlen)) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int prepare_all(PGconn *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof PREP / sizeof PREP[0]; i++) {
        PGresult *r = PQprepare(c, PREP[i].name, PREP[i].sql, PREP[i].n, NULL);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        int rc = ok ? STMT_DB_OK : sqlstate_err(r);
        if (!ok && err)
            snprintf(err, errlen, "PostgreSQL: %s", PQerrorMessage(c));
        PQclear(r);
        if (rc)
            return rc;
    }
    return STMT_DB_OK;
}

/* One value of a one-row, one-column query as a long (or -1). */
static long query_long(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    long v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

/* The schema migrations, then the format record (meta/format as in the LMDB store), all
 * under the migration lock so that nodes starting together apply each migration once. */
static int migrate(PGconn *c, char *err, size_t errlen)
{
    int rc = exec_cmd(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", err, errlen);
    long have;
    if (rc)
        return rc;
    rc = exec_cmd(c,
                  "CREATE TABLE IF NOT EXISTS scolar_schema (version int PRIMARY KEY,"
                  " applied timestamptz NOT NULL DEFAULT now())",
                  err, errlen);
    have = rc ? -1 : query_long(c, "SELECT coalesce(max(version), 0) FROM scolar_schema");
    if (!rc && have < 0) {
        snprintf(err, errlen, "cannot read scolar_schema: %s", PQerrorMessage(c));
        rc = STMT_DB_ERR_CORRUPT;
    }
    if (!rc && have > NMIGRATIONS) {
        snprintf(err, errlen,
                 "database schema version %ld was written by a newer scolar (this one knows up"
                 " to %d); refusing to open it",
                 have, NMIGRATIONS);
        rc = STMT_DB_ERR_VERSION;
    }
    for (long v = have + 1; !rc && v <= NMIGRATIONS; v++) {
        char rec[96];
        snprintf(rec, sizeof rec, "INSERT INTO scolar_schema (version) VALUES (%ld)", v);
        rc = exec_cmd(c, "BEGIN", err, errlen);
        if (!rc)
            rc = exec_cmd(c, MIGRATIONS[v - 1], err, errlen);
        if (!rc)
            rc = exec_cmd(c, rec, err, errlen);
        if (!rc)
            rc = exec_cmd(c, "COMMIT", err, errlen);
        if (rc)
            exec_cmd(c, "ROLLBACK", NULL, 0);
    }
    if (!rc) {
        /* the store format (STMT_DB_FORMAT) as the LMDB store keeps it: meta/format */
        char sql[256];
        long fmt;
        snprintf(sql, sizeof sql,
                 "INSERT INTO scolar_kv VALUES ('meta', 'format', '%d') ON CONFLICT DO NOTHING",
                 STMT_DB_FORMAT);
        rc = exec_cmd(c, sql, err, errlen);
        fmt = rc ? -1
                 : query_long(c, "SELECT convert_from(v, 'UTF8') FROM scolar_kv"
                                 " WHERE tbl = 'meta' AND k = 'format'");
        if (!rc && fmt < 0) {
            snprintf(err, errlen, "store format record is unreadable");
            rc = STMT_DB_ERR_CORRUPT;
        } else if (!rc && fmt > STMT_DB_FORMAT) {
            snprintf(err, errlen,
                     "store format %ld was written by a newer scolar (this one reads up to %d);"
                     " refusing to open it",
                     fmt, STMT_DB_FORMAT);
            rc = STMT_DB_ERR_VERSION;
        }
    }
    exec_cmd(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", NULL, 0);
    return rc;
}

int stmt__pg_open(const char *url, struct stmt__pg **out, char *err, size_t errlen)
{
    struct stmt__pg *pg = sc_calloc(1, sizeof *pg);
    PGconn *c;
    int rc;
    if (!pg || !(pg->url = sc_strdup(url))) {
        sc_free(pg);
        return STMT_DB_ERR_NOMEM;
    }
    pthread_mutex_init(&pg->mu, NULL);
    pthread_cond_init(&pg->cv, NULL);
    c = connect_one(url, err, errlen);
    if (!c) {
        stmt__pg_close(pg);
        return STMT_DB_ERR_ACCESS;
    }
    rc = migrate(c, err, errlen);
    if (!rc)
        rc = prepare_all(c, err, errlen);
    if (rc) {
        PQfinish(c);
        stmt__pg_close(pg);
        return rc;
    }
    pg->idle[pg->nidle++] = c;
    pg->nopen = 1;
    *out = pg;
    return STMT_DB_OK;
}

void stmt__pg_close(struct stmt__pg *pg)
{
    if (!pg)
        return;
    for (int i = 0; i < pg->nidle; i++)
        PQfinish(pg->idle[i]);
    pthread_mutex_destroy(&pg->mu);
    pthread_cond_destroy(&pg->cv);
    sc_free(pg->url);
    sc_free(pg);
}

static PGconn *pool_take(struct stmt__pg *pg)
{
    PGconn *c = NULL;
    pthread_mutex_lock(&pg->mu);
    while (!pg->nidle && pg->nopen >= POOL_MAX)
        pthread_cond_wait(&pg->cv, &pg->mu);
    if (pg->nidle) {
        c = pg->idle[--pg->nidle];
        pthread_mutex_unlock(&pg->mu);
        if (PQstatus(c) == CONNECTION_OK)
            return c;
        /* the server closed it (restart, failover): a new one instead */
        PQfinish(c);
        pthread_mutex_lock(&pg->mu);
        pg->nopen--;
    }
    pg->nopen++;
    pthread_mutex_unlock(&pg->mu);
    c = connect_one(pg->url, NULL, 0);
    if (c && prepare_all(c, NULL, 0)) {
        PQfinish(c);
        c = NULL;
    }
    if (!c) {
        pthread_mutex_lock(&pg->mu);
        pg->nopen--;
        pthread_cond_signal(&pg->cv);
        pthread_mutex_unlock(&pg->mu);
    }
    return c;
}

static void pool_give(struct stmt__pg *pg, PGconn *c)
{
    int keep = PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE;
    if (!keep)
        PQfinish(c);
    pthread_mutex_lock(&pg->mu);
    if (keep)
        pg->idle[pg->nidle++] = c;
    else
        pg->nopen--;
    pthread_cond_signal(&pg->cv);
    pthread_mutex_unlock(&pg->mu);
}

/* stmt_db_pg_int.h: the pool for stmt_db_pg_idle.c (statements sent outside a transaction,
 * and a read transaction begun in one round trip with a check before it). */
PGconn *stmt__pg_pool_take(struct stmt__pg *pg)
{
    return pool_take(pg);
}

void stmt__pg_pool_give(struct stmt__pg *pg, PGconn *c)
{
    pool_give(pg, c);
}

int stmt__pg_lend(struct stmt__pgtxn *t, PGresult *r)
{
    if (t->nlent == t->caplent) {
        size_t cap = t->caplent ? t->caplent * 2 : 8;
        PGresult **n = sc_realloc(t->lent, cap * sizeof *n);
        if (!n) {
            PQclear(r);
            return STMT_DB_ERR_NOMEM;
        }
        t->lent = n;
        t->caplent = cap;
    }
    t->lent[t->nlent++] = r;
    return STMT_DB_OK;
}

void stmt__pg_free_lent(struct stmt__pgtxn *t)
{
    for (size_t i = 0; i < t->nlent; i++)
        PQclear(t->lent[i]);
    t->nlent = 0;
}

int stmt__pg_begin(struct stmt__pg *pg, int write, struct stmt__pgtxn **out)
{
    struct stmt__pgtxn *t = sc_calloc(1, sizeof *t);
    int rc;
    if (!t)
        return STMT_DB_ERR_NOMEM;
    t->pg = pg;
    t->write = write;
    /* an idle connection whose server went away (restart, failover) only shows it when used:
     * then once more on a new connection */
    for (int attempt = 0; attempt < 2; attempt++) {
        t->c = pool_take(pg);
        if (!t->c) {
            sc_free(t);
            return STMT_DB_ERR_IO;
        }
        rc = exec_cmd(t->c,
                      write ? "BEGIN ISOLATION LEVEL READ COMMITTED;"
                              " SELECT pg_advisory_xact_lock(" WRITE_LOCK ")"
                            : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1",
                      NULL, 0);
        if (!rc)
            break;
        int lost = PQstatus(t->c) == CONNECTION_BAD;
        exec_cmd(t->c, "ROLLBACK", NULL, 0);
        pool_give(pg, t->c);
        t->c = NULL;
        if (!lost || attempt) {
            sc_free(t);
            return rc;
        }
    }
    if (!t->c) {
        sc_free(t);
        return STMT_DB_ERR_IO;
    }
    *out = t;
    return STMT_DB_OK;
}

int stmt__pg_end(struct stmt__pgtxn *t, int commit)
{
    int rc = commit ? stmt__pg_flush_resv(t) : STMT_DB_OK;
    t->rpending = 0;
    stmt__pg_batch_free(t); /* an abort drops the rows not sent */
    stmt__pg_free_lent(t);
    if (commit && !t->failed && !rc) {
        PGresult *r = PQexec(t->c, "COMMIT");
        /* COMMIT of a transaction that failed answers ROLLBACK (docs: COMMIT) */
        if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(r), "COMMIT") != 0)
            rc = PQresultStatus(r) == PGRES_COMMAND_OK ? STMT_DB_ERR_IO : sqlstate_err(r);
        PQclear(r);
    } else {
        exec_cmd(t->c, "ROLLBACK", NULL, 0);
        if (commit && !rc)
            rc = STMT_DB_ERR_IO;
    }
    pool_give(t->pg, t->c);
    sc_free(t->lent);
    sc_free(t->rbuf);
    sc_free(t);
    return rc;
}

/* Run prepared statement name with (table, key[, val or limit]); bytea in binary. */
static PGresult *run(struct stmt__pgtxn *t, const char *name, const char *table, const void *key,
                     size_t klen, const void *val, size_t vlen, int third_text)
{
    const char *vals[3] = {table, key ? (const char *)key : "", (const char *)val};
    int lens[3] = {0, (int)klen, (int)vlen};
    int fmts[3] = {0, 1, third_text ? 0 : 1};
    return PQexecPrepared(t->c, name, val || third_text ? 3 : 2, vals, lens, fmts, 1);
}

int stmt__pg_result_err(struct stmt__pgtxn *t, PGresult *r, ExecStatusType want)
{
    if (PQresultStatus(r) == want)
        return STMT_DB_OK;
    t->failed = 1;
    return sqlstate_err(r);
}

static int put_now(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                   const void *val, size_t vlen, unsigned flags);

/* The value stmt_db_reserve handed out, filled by now: into the batch (copied). */
static int take_resv(struct stmt__pgtxn *t)
{
    if (!t->rpending)
        return STMT_DB_OK;
    t->rpending = 0;
    return stmt__pg_batch_put(t, t->rtable, t->rkey, t->rklen, t->rbuf, t->rlen, t->rflags);
}

/* The value stmt_db_reserve handed out, filled by now: put it before anything else. */
int stmt__pg_flush_resv(struct stmt__pgtxn *t)
{
    int rc = take_resv(t);
    /* and the batched puts (stmt_db_pg_batch.c): before any other statement */
    return rc ? rc : stmt__pg_batch_flush(t);
}

/* The opening of a write. The values lent by gets stay valid through it (a key or value the
 * caller passes may be one of them, as LMDB allows until the write): each public write frees
 * them at its end (stmt__pg_put, _reserve, _del, _clear, _savepoint). */
int stmt__pg_write_prep(struct stmt__pgtxn *t, int flush)
{
    int rc;
    if (!t->write)
        return STMT_DB_ERR_ACCESS;
    if (flush && (rc = stmt__pg_flush_resv(t)))
        return rc;
    t->wgen++;
    return STMT_DB_OK;
}

int stmt__pg_put(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                 const void *val, size_t vlen, unsigned flags)
{
    int rc = take_resv(t);
    if (!rc) {
        if (!(flags & STMT_DB_NOOVERWRITE)) /* batched: one statement for many puts */
            rc = stmt__pg_batch_put(t, table, key, klen, val, vlen, flags);
        else if (!(rc = stmt__pg_batch_flush(t))) /* its answer is needed now */
            rc = put_now(t, table, key, klen, val, vlen, flags);
    }
    stmt__pg_free_lent(t); /* key or val may have been lent */
    return rc;
}

int stmt__pg_reserve(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                     size_t vlen, unsigned flags, void **buf)
{
    int rc = take_resv(t); /* the previous reservation */
    if (rc)
        return rc;
    if (!t->write)
        return STMT_DB_ERR_ACCESS;
    if (flags & STMT_DB_NOOVERWRITE) { /* refused now, as LMDB refuses the reservation */
        const void *v;
        size_t vl;
        rc = stmt__pg_get(t, table, key, klen, &v, &vl);
        if (rc != STMT_DB_NOTFOUND)
            return rc ? rc : STMT_DB_ERR_EXISTS;
    }
    if (vlen > t->rcap || !t->rbuf) {
        unsigned char *nb = sc_realloc(t->rbuf, vlen ? vlen : 1);
        if (!nb)
            return STMT_DB_ERR_NOMEM;
        t->rbuf = nb;
        t->rcap = vlen ? vlen : 1;
    }
    snprintf(t->rtable, sizeof t->rtable, "%s", table);
    memcpy(t->rkey, key, klen);
    t->rklen = klen;
    t->rlen = vlen;
    t->rpending = 1;
    t->rflags = flags;
    *buf = t->rbuf;
    rc = stmt__pg_write_prep(t, 0);
    stmt__pg_free_lent(t); /* key may have been lent */
    return rc;
}

static int put_now(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                   const void *val, size_t vlen, unsigned flags)
{
    PGresult *r;
    int rc = stmt__pg_write_prep(t, 0); /* the batch was sent by the caller */
    if (rc)
        return rc;
    r = run(t, (flags & STMT_DB_NOOVERWRITE) ? "pn" : "p", table, key, klen, val ? val : "", vlen,
            0);
    rc = stmt__pg_result_err(t, r, PGRES_COMMAND_OK);
    if (!rc && (flags & STMT_DB_NOOVERWRITE) && strcmp(PQcmdTuples(r), "0") == 0)
        rc = STMT_DB_ERR_EXISTS;
    PQclear(r);
    return rc;
}

int stmt__pg_get(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                 const void **val, size_t *vlen)
{
    PGresult *r;
    int rc = stmt__pg_flush_resv(t);
    if (rc)
        return rc;
    r = run(t, "g", table, key, klen, NULL, 0, 0);
    rc = stmt__pg_result_err(t, r, PGRES_TUPLES_OK);
    if (!rc && PQntuples(r) == 0)
        rc = STMT_DB_NOTFOUND;
    if (rc) {
        PQclear(r);
        return rc;
    }
    /* borrowed until the next write of this transaction or its end, as with LMDB */
    if ((rc = stmt__pg_lend(t, r)))
        return rc;
    *val = PQgetvalue(r, 0, 0);
    *vlen = (size_t)PQgetlength(r, 0, 0);
    return STMT_DB_OK;
}

int stmt__pg_del(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen)
{
    PGresult *r;
    int rc = stmt__pg_write_prep(t, 1);
    if (rc)
        return rc;
    r = run(t, "d", table, key, klen, NULL, 0, 0);
    stmt__pg_free_lent(t); /* key may have been lent */
    rc = stmt__pg_result_err(t, r, PGRES_COMMAND_OK);
    if (!rc && strcmp(PQcmdTuples(r), "0") == 0)
        rc = STMT_DB_NOTFOUND;
    PQclear(r);
    return rc;
}

int stmt__pg_scan(struct stmt__pgtxn *t, const char *table, const void *from, size_t flen,
                  stmt_db_visit_fn fn, void *ctx)
{
    char limit[16], *last = NULL;
    size_t lastlen = 0;
    int first = 1, rc = stmt__pg_flush_resv(t);
    if (rc)
        return rc;
    snprintf(limit, sizeof limit, "%d", SCAN_PAGE);
    for (;;) {
        PGresult *r =
            first ? run(t, "s0", table, from && flen ? from : "", from ? flen : 0, limit, 0, 1)
                  : run(t, "s1", table, last, lastlen, limit, 0, 1);
        int n;
        first = 0;
        rc = stmt__pg_result_err(t, r, PGRES_TUPLES_OK);
        if (rc) {
            PQclear(r);
            break;
        }
        n = PQntuples(r);
        for (int i = 0; i < n && !rc; i++)
            rc = fn(ctx, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0), PQgetvalue(r, i, 1),
                    (size_t)PQgetlength(r, i, 1));
        if (!rc && n == SCAN_PAGE) { /* the keyset of the next page: after the last key */
            size_t kl = (size_t)PQgetlength(r, n - 1, 0);
            char *k = sc_realloc(last, kl ? kl : 1);
            if (!k) {
                rc = STMT_DB_ERR_NOMEM;
            } else {
                memcpy(k, PQgetvalue(r, n - 1, 0), kl);
                last = k;
                lastlen = kl;
            }
        }
        PQclear(r);
        if (rc || n < SCAN_PAGE)
            break;
    }
    sc_free(last);
    return rc;
}

int stmt__pg_savepoint(struct stmt__pgtxn *t, int op)
{
    static const char *const SQL[] = {"SAVEPOINT g", "RELEASE SAVEPOINT g",
                                      "ROLLBACK TO SAVEPOINT g; RELEASE SAVEPOINT g"};
    int rc;
    if (op == 2) { /* rows put since the savepoint and not sent: rolled back with it */
        stmt__pg_batch_discard(t);
        t->rpending = 0;
    }
    if ((rc = stmt__pg_write_prep(t, op != 2)))
        return rc;
    if (op == 1 && t->failed)
        return STMT_DB_ERR_IO;
    stmt__pg_free_lent(t);
    rc = exec_cmd(t->c, SQL[op], NULL, 0);
    if (rc)
        t->failed = 1; /* the group's transaction can only roll back now */
    else if (op == 2)
        t->failed = 0;
    return rc;
}

int stmt__pg_stats(struct stmt__pg *pg, struct stmt_db_stats *out)
{
    struct stmt__pgtxn *t;
    long size;
    int rc = stmt__pg_begin(pg, 0, &t);
    if (rc)
        return rc;
    size = query_long(t->c, "SELECT pg_database_size(current_database())");
    stmt__pg_end(t, 0);
    if (size < 0)
        return STMT_DB_ERR_IO;
    out->map_bytes = out->used_bytes = (size_t)size;
    pthread_mutex_lock(&pg->mu);
    out->readers = (unsigned)pg->nopen;
    pthread_mutex_unlock(&pg->mu);
    return STMT_DB_OK;
}

#endif
