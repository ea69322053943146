/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The database server's clock, whether its one write lock is free right now, and the round
 * trips a read costs on PostgreSQL (issue 19; PostgreSQL only).
 *
 * On PostgreSQL the statement writer takes stored values from the server's clock
 * (clock_timestamp(), read after its transaction took the write lock: stmt_writer.c), so the
 * nodes' own clocks, which may disagree by milliseconds, never order statements. A write
 * transaction of any node holds pg_advisory_xact_lock(7310730100002) (stmt_db_pg.c) from its
 * begin to its end. So when the lock is free at a moment L, every statement committed later
 * gets a stored value read after L from the same clock: a reading T0 taken before L is a
 * Consistent-Through (xAPI Comm 2.1.3) for any read transaction that begins after L, which
 * keeps it at the present on an idle database, as on LMDB. The lock is free at L when a shared
 * try of it succeeds at L (PostgreSQL 15 docs §9.27.10: pg_try_advisory_xact_lock_shared
 * conflicts with the exclusive lock a writer holds); T0 is read first (IDLE_SQL).
 *
 * Round trips: a query's read transaction is begun in one pipeline (libpq docs §34.5) of two
 * segments, [the check][BEGIN, the first gets]: the server runs the check to its end before
 * the BEGIN's first statement takes the transaction's snapshot (a REPEATABLE READ snapshot is
 * taken at the first statement after BEGIN, docs §13.2.2), so the snapshot begins after L, as
 * when the check had a transaction of its own, and the check, the BEGIN and the gets cost one
 * round trip instead of six (a query also reads the first keys of the voided set there, which
 * is often all of it). stmt_db_get1 is one statement outside any transaction (its own
 * implicit one sees every transaction committed before it began, as a read transaction begun
 * then would): one round trip instead of three (BEGIN, the get, ROLLBACK).
 */
#include "statements/stmt_db_int.h"

#ifdef SCOLAR_HAVE_PG

#include "statements/stmt_db_pg_int.h"
#include "common/sc_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The server's clock in microseconds since 1970 as text column 0 of r's only row. */
#define CLOCK_US "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"

/* T0 (the FROM subquery: a volatile target list keeps it from being pulled up, so it is read
 * before the outer target list runs), then whether the write lock (WRITE_LOCK of
 * stmt_db_pg.c) is free: a shared try of it, which succeeds only when no transaction holds it
 * (nor waits for it ahead of us: then the answer is "busy", which only costs the bound),
 * taken at transaction level so it goes at the end of this statement's implicit transaction
 * (never left behind by a cancel). Cheaper than reading pg_locks, which copies the lock
 * table of every backend under all its partition locks. */
#define IDLE_SQL                                                                                   \
    "SELECT t0, pg_try_advisory_xact_lock_shared(" WRITE_LOCK ")"                                  \
    " FROM (SELECT " CLOCK_US " AS t0) s"

#define READ_BEGIN "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
#define BOUND_MAX_GETS 8

int stmt__db_clock(struct stmt_db_txn *t, int64_t *us)
{
    PGresult *r;
    int rc = STMT_DB_ERR_IO;
    if (!t->pgt)
        return STMT_DB_ERR_IO;
    r = PQexec(t->pgt->c, "SELECT " CLOCK_US);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        *us = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        rc = *us > 0 ? STMT_DB_OK : STMT_DB_ERR_IO;
    }
    PQclear(r);
    return rc;
}

/* The answer of IDLE_SQL (text): 0, or STMT_DB_ERR_IO (*idle and *t0 untouched). */
static int idle_of(const PGresult *r, int *idle, int64_t *t0)
{
    int64_t v;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 2)
        return STMT_DB_ERR_IO;
    v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    if (v <= 0)
        return STMT_DB_ERR_IO;
    *t0 = v;
    *idle = PQgetvalue(r, 0, 1)[0] == 't';
    return STMT_DB_OK;
}

int stmt__db_write_idle(struct stmt_db *db, int *idle, int64_t *t0)
{
    PGconn *c;
    PGresult *r;
    int rc = STMT_DB_ERR_IO;
    if (!db->pg)
        return STMT_DB_ERR_IO;
    /* one statement outside any transaction: one round trip */
    for (int attempt = 0; attempt < 2 && rc; attempt++) {
        int lost;
        if (!(c = stmt__pg_pool_take(db->pg)))
            return STMT_DB_ERR_IO;
        r = PQexec(c, IDLE_SQL);
        rc = idle_of(r, idle, t0);
        PQclear(r);
        lost = PQstatus(c) == CONNECTION_BAD;
        stmt__pg_pool_give(db->pg, c);
        if (!lost)
            break;
    }
    return rc;
}

int stmt__db_get1_pg(struct stmt_db *db, const char *table, const void *key, size_t klen,
                     char **val, size_t *vlen)
{
    const char *vals[2] = {table, (const char *)key};
    int lens[2] = {0, (int)klen}, fmts[2] = {0, 1};
    int rc = STMT_DB_ERR_IO;
    if (!db->pg)
        return STMT_DB_ERR_IO;
    /* an idle connection whose server went away shows it when used: once more on a new one */
    for (int attempt = 0; attempt < 2; attempt++) {
        PGconn *c = stmt__pg_pool_take(db->pg);
        PGresult *r;
        int lost;
        if (!c)
            return STMT_DB_ERR_IO;
        r = PQexecPrepared(c, "g", 2, vals, lens, fmts, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = STMT_DB_ERR_IO;
        } else if (PQntuples(r) == 0) {
            rc = STMT_DB_NOTFOUND;
        } else {
            size_t n = (size_t)PQgetlength(r, 0, 0);
            char *copy = sc_strndup(PQgetvalue(r, 0, 0), n);
            rc = copy ? STMT_DB_OK : STMT_DB_ERR_NOMEM;
            if (copy) {
                *val = copy;
                if (vlen)
                    *vlen = n;
            }
        }
        PQclear(r);
        lost = PQstatus(c) == CONNECTION_BAD;
        stmt__pg_pool_give(db->pg, c);
        if (rc != STMT_DB_ERR_IO || !lost)
            break;
    }
    return rc;
}

/* The next result of c (in pipeline mode), which must have status want; then the NULL that
 * ends it. 0, or STMT_DB_ERR_IO. *keep receives the result when keep is given (else cleared). */
static int next_result(PGconn *c, ExecStatusType want, PGresult **keep)
{
    PGresult *r = PQgetResult(c), *end;
    int rc = r && PQresultStatus(r) == want ? STMT_DB_OK : STMT_DB_ERR_IO;
    if (!r)
        return STMT_DB_ERR_IO;
    if (keep && !rc)
        *keep = r;
    else
        PQclear(r);
    if (want == PGRES_PIPELINE_SYNC)
        return rc; /* a sync's result is not followed by NULL */
    if ((end = PQgetResult(c)) != NULL) {
        PQclear(end);
        return STMT_DB_ERR_IO;
    }
    return rc;
}

/* The pipeline of stmt__db_begin_bound on t's connection: 0 with t's transaction open (the
 * gets' results lent to it), or an error (the caller rolls back and gives the connection). */
static int bound_pipeline(struct stmt__pgtxn *t, const char *table, struct stmt_db_kv *items,
                          size_t n, const char *scan, struct stmt_db_kv *first, size_t *nfirst,
                          int *idle, int64_t *t0)
{
    char limit[24];
    PGconn *c = t->c;
    PGresult *r = NULL;
    int ok = PQenterPipelineMode(c), rc = STMT_DB_OK;
    ok = ok && PQsendQueryParams(c, IDLE_SQL, 0, NULL, NULL, NULL, NULL, 0);
    ok = ok && PQpipelineSync(c);
    ok = ok && PQsendQueryParams(c, READ_BEGIN, 0, NULL, NULL, NULL, NULL, 0);
    for (size_t i = 0; i < n && ok; i++) {
        const char *vals[2] = {table, (const char *)items[i].key};
        int lens[2] = {0, (int)items[i].klen}, fmts[2] = {0, 1};
        ok = PQsendQueryPrepared(c, "g", 2, vals, lens, fmts, 1);
    }
    if (scan && ok) { /* "s0": k >= '' (every key) ORDER BY k LIMIT *nfirst */
        const char *vals[3] = {scan, "", limit};
        int lens[3] = {0, 0, 0}, fmts[3] = {0, 1, 0};
        snprintf(limit, sizeof limit, "%zu", *nfirst);
        ok = PQsendQueryPrepared(c, "s0", 3, vals, lens, fmts, 1);
    }
    ok = ok && PQpipelineSync(c);
    if (!ok)
        return STMT_DB_ERR_IO; /* left in pipeline mode: the pool closes it */
    /* segment 1: the check (an error there leaves *idle 0: Consistent-Through falls back to
     * the snapshot's indexed_through), then its sync */
    *idle = 0;
    r = PQgetResult(c);
    if (!r)
        return STMT_DB_ERR_IO;
    if (idle_of(r, idle, t0))
        *idle = 0;
    PQclear(r);
    if ((r = PQgetResult(c)) != NULL) {
        PQclear(r);
        return STMT_DB_ERR_IO;
    }
    if ((rc = next_result(c, PGRES_PIPELINE_SYNC, NULL)))
        return rc;
    /* segment 2: BEGIN, the gets, the sync */
    rc = next_result(c, PGRES_COMMAND_OK, NULL);
    for (size_t i = 0; i < n; i++) {
        PGresult *g = NULL;
        int grc = next_result(c, PGRES_TUPLES_OK, &g);
        items[i].val = NULL;
        items[i].vlen = 0;
        if (grc || rc) {
            rc = rc ? rc : grc;
            PQclear(g);
            continue;
        }
        if (PQntuples(g) == 1) {
            items[i].val = PQgetvalue(g, 0, 0);
            items[i].vlen = (size_t)PQgetlength(g, 0, 0);
            rc = stmt__pg_lend(t, g); /* clears g on failure */
        } else {
            PQclear(g);
        }
    }
    if (scan) {
        PGresult *g = NULL;
        int grc = next_result(c, PGRES_TUPLES_OK, &g);
        size_t rows;
        if (grc || rc || PQnfields(g) != 2 || (size_t)PQntuples(g) > *nfirst) {
            rc = rc ? rc : STMT_DB_ERR_IO;
            PQclear(g);
        } else {
            rows = (size_t)PQntuples(g);
            for (size_t i = 0; i < rows; i++)
                first[i] = (struct stmt_db_kv){PQgetvalue(g, (int)i, 0), PQgetvalue(g, (int)i, 1),
                                               (size_t)PQgetlength(g, (int)i, 0),
                                               (size_t)PQgetlength(g, (int)i, 1)};
            *nfirst = rows;
            if (rows)
                rc = stmt__pg_lend(t, g);
            else
                PQclear(g);
        }
    }
    if (next_result(c, PGRES_PIPELINE_SYNC, NULL) && !rc)
        rc = STMT_DB_ERR_IO;
    if (!PQexitPipelineMode(c) && !rc)
        rc = STMT_DB_ERR_IO;
    return rc;
}

int stmt__db_begin_bound(struct stmt_db *db, const char *table, struct stmt_db_kv *items, size_t n,
                         const char *scan, struct stmt_db_kv *first, size_t *nfirst, int *idle,
                         int64_t *t0, struct stmt_db_txn **out)
{
    struct stmt_db_txn *t;
    struct stmt__pgtxn *pt;
    int rc = STMT_DB_ERR_IO;
    if (!db->pg || n < 1 || n > BOUND_MAX_GETS || (scan && (!*nfirst || *nfirst > 1024)))
        return STMT_DB_ERR_IO;
    for (size_t i = 0; i < n; i++)
        if (items[i].klen == 0 || items[i].klen > STMT_DB_MAX_KEY)
            return STMT_DB_ERR_KEY;
    t = sc_calloc(1, sizeof *t);
    pt = sc_calloc(1, sizeof *pt);
    if (!t || !pt) {
        sc_free(t);
        sc_free(pt);
        return STMT_DB_ERR_NOMEM;
    }
    pt->pg = db->pg;
    /* as stmt__pg_begin: a connection the server dropped is replaced once */
    for (int attempt = 0; attempt < 2; attempt++) {
        int lost;
        if (!(pt->c = stmt__pg_pool_take(db->pg))) {
            rc = STMT_DB_ERR_IO;
            break;
        }
        if (!(rc = bound_pipeline(pt, table, items, n, scan, first, nfirst, idle, t0)))
            break;
        lost = PQstatus(pt->c) == CONNECTION_BAD;
        stmt__pg_free_lent(pt);
        if (PQpipelineStatus(pt->c) == PQ_PIPELINE_OFF &&
            PQtransactionStatus(pt->c) != PQTRANS_IDLE)
            PQclear(PQexec(pt->c, "ROLLBACK"));
        stmt__pg_pool_give(db->pg, pt->c); /* closed unless idle and healthy */
        pt->c = NULL;
        if (!lost)
            break;
    }
    if (rc) {
        sc_free(pt->lent);
        sc_free(pt);
        sc_free(t);
        return rc;
    }
    t->db = db;
    t->write = 0;
    t->pgt = pt;
    *out = t;
    return STMT_DB_OK;
}

#else

int stmt__db_clock(struct stmt_db_txn *t, int64_t *us)
{
    (void)t;
    (void)us;
    return STMT_DB_ERR_IO;
}

int stmt__db_write_idle(struct stmt_db *db, int *idle, int64_t *t0)
{
    (void)db;
    (void)idle;
    (void)t0;
    return STMT_DB_ERR_IO;
}

int stmt__db_get1_pg(struct stmt_db *db, const char *table, const void *key, size_t klen,
                     char **val, size_t *vlen)
{
    (void)db, (void)table, (void)key, (void)klen, (void)val, (void)vlen;
    return STMT_DB_ERR_IO;
}

int stmt__db_begin_bound(struct stmt_db *db, const char *table, struct stmt_db_kv *items, size_t n,
                         const char *scan, struct stmt_db_kv *first, size_t *nfirst, int *idle,
                         int64_t *t0, struct stmt_db_txn **out)
{
    (void)db, (void)table, (void)items, (void)n, (void)scan, (void)first, (void)nfirst;
    (void)idle, (void)t0, (void)out;
    return STMT_DB_ERR_IO;
}

#endif
