/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Is the database's one write lock free right now? (issue 19; PostgreSQL only)
 *
 * A write transaction of any node holds pg_advisory_xact_lock(7310730100002) (stmt_db_pg.c)
 * from its begin to its end, and the statement writer reads its clock after taking it
 * (stmt_writer.c). So when the lock is free at a moment L, every statement committed later was
 * given a stored value after L by the clock of its node: a clock reading T0 taken before L is
 * a Consistent-Through (xAPI Comm 2.1.3) for any read transaction that begins after L. That
 * keeps Consistent-Through at the present on an idle database, as on LMDB (nodes' clocks are
 * assumed in step, NTP). The lock is seen in pg_locks (PostgreSQL 15 docs §54.12: an advisory
 * lock on a bigint key shows its high 32 bits as classid, the low ones as objid, objsubid 1).
 */
#include "statements/stmt_db_int.h"

#ifdef SCOLAR_HAVE_PG

#include "statements/stmt_db_pg_int.h"

int stmt__db_write_idle(struct stmt_db *db, int *idle)
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
    r = PQexec(t->pgt->c, "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                          " AND classid = 1702 AND objid = 695762210 AND objsubid = 1 AND granted"
                          " AND database = (SELECT oid FROM pg_database"
                          " WHERE datname = current_database()))");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        *idle = PQgetvalue(r, 0, 0)[0] == 't';
        rc = STMT_DB_OK;
    } else {
        rc = STMT_DB_ERR_IO;
    }
    PQclear(r);
    stmt_db_txn_abort(t);
    return rc;
}

#else

int stmt__db_write_idle(struct stmt_db *db, int *idle)
{
    (void)db;
    (void)idle;
    return STMT_DB_ERR_IO;
}

#endif
