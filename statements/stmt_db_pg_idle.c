/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The database server's clock, and whether its one write lock is free right now (issue 19;
 * PostgreSQL only).
 *
 * On PostgreSQL the statement writer takes stored values from the server's clock
 * (clock_timestamp(), read after its transaction took the write lock: stmt_writer.c), so the
 * nodes' own clocks, which may disagree by milliseconds, never order statements. A write
 * transaction of any node holds pg_advisory_xact_lock(7310730100002) (stmt_db_pg.c) from its
 * begin to its end. So when the lock is free at a moment L, every statement committed later
 * gets a stored value read after L from the same clock: a reading T0 taken before L is a
 * Consistent-Through (xAPI Comm 2.1.3) for any read transaction that begins after L, which
 * keeps it at the present on an idle database, as on LMDB. The lock is seen in pg_locks
 * (PostgreSQL 15 docs §54.12: an advisory lock on a bigint key shows its high 32 bits as
 * classid, the low ones as objid, objsubid 1); T0 is read first (the FROM subquery).
 */
#include "statements/stmt_db_int.h"

#ifdef SCOLAR_HAVE_PG

#include "statements/stmt_db_pg_int.h"

#include <stdlib.h>

/* The server's clock in microseconds since 1970 as text column 0 of r's only row. */
#define CLOCK_US "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"

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

int stmt__db_write_idle(struct stmt_db *db, int *idle, int64_t *t0)
{
    struct stmt_db_txn *t = NULL;
    PGresult *r;
    int rc;
    if (!db->pg)
        return STMT_DB_ERR_IO;
    rc = stmt_db_txn_begin(db, 0, &t);
    if (rc)
        return rc;
    /* 7310730100002 = 1702 << 32 | 695762210 (WRITE_LOCK of stmt_db_pg.c) */
    r = PQexec(t->pgt->c, "SELECT t0, NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype ="
                          " 'advisory' AND classid = 1702 AND objid = 695762210 AND objsubid = 1"
                          " AND granted AND database = (SELECT oid FROM pg_database"
                          " WHERE datname = current_database()))"
                          " FROM (SELECT " CLOCK_US " AS t0) s");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        *t0 = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        *idle = PQgetvalue(r, 0, 1)[0] == 't';
        rc = STMT_DB_OK;
    } else {
        rc = STMT_DB_ERR_IO;
    }
    PQclear(r);
    stmt_db_txn_abort(t);
    return rc;
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

#endif
