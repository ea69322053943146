/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cursors, counts, clears and reservations of stmt_db.h on both backends (issue 19, step 1 of
 * docs/architecture.md "PostgreSQL backend"): what statements/ took from LMDB directly.
 *
 * LMDB: an MDB_cursor of the transaction, opened once (its one allocation); each step is one
 * mdb_cursor_get, no allocation. The cursor's own state (not positioned, on a key, past the
 * end, before the start) gives both backends one behaviour at the ends: _prev past the end is
 * the last key (MDB_LAST), _next before the start the first (MDB_FIRST). A write cursor
 * follows the transaction's own writes: LMDB tracks every cursor of a write transaction and
 * moves it over inserts and deletes (lmdb.h mdb_cursor_open; mdb_del marks a cursor on the
 * deleted key so that MDB_NEXT gives the key after it).
 *
 * PostgreSQL: stmt_db_pg.c reads pages with a keyset in the walk's direction.
 */
#include "statements/stmt_db.h"
#include "statements/stmt_db_int.h"
#include "statements/stmt_db_pg.h"
#include "common/sc_alloc.h"

#include <lmdb.h>

enum { C_UNSET, C_ON, C_AFTER, C_BEFORE };

struct stmt_db_cursor {
    MDB_cursor *mc;          /* LMDB */
    struct stmt__pgcur *pgc; /* PostgreSQL */
    int state;               /* C_*, LMDB */
};

int stmt_db_cursor_open(struct stmt_db_txn *t, const char *table, struct stmt_db_cursor **out)
{
    struct stmt_db_cursor *c;
    MDB_dbi dbi;
    int rc;
    if (stmt__db_group_remote(t)) /* its LMDB transaction belongs to the group's leader */
        return STMT_DB_ERR_IO;
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc)
        return rc;
    c = sc_calloc(1, sizeof *c);
    if (!c)
        return STMT_DB_ERR_NOMEM;
    rc = t->pgt ? stmt__pg_cursor_open(t->pgt, table, &c->pgc)
                : stmt__db_err(mdb_cursor_open(t->txn, dbi, &c->mc));
    if (rc) {
        sc_free(c);
        return rc;
    }
    *out = c;
    return STMT_DB_OK;
}

void stmt_db_cursor_close(struct stmt_db_cursor *c)
{
    if (!c)
        return;
    if (c->pgc)
        stmt__pg_cursor_close(c->pgc);
    else
        mdb_cursor_close(c->mc);
    sc_free(c);
}

/* One mdb_cursor_get; on MDB_NOTFOUND the cursor's state is `end`. */
static int lm_get(struct stmt_db_cursor *c, MDB_val *k, MDB_cursor_op op, int end,
                  struct stmt_db_kv *out)
{
    MDB_val v;
    int rc = mdb_cursor_get(c->mc, k, &v, op);
    if (rc == MDB_SUCCESS) {
        c->state = C_ON;
        out->key = k->mv_data;
        out->klen = k->mv_size;
        out->val = v.mv_data;
        out->vlen = v.mv_size;
        return STMT_DB_OK;
    }
    c->state = rc == MDB_NOTFOUND ? end : C_UNSET;
    return stmt__db_err(rc);
}

int stmt_db_cursor_seek(struct stmt_db_cursor *c, const void *key, size_t klen,
                        struct stmt_db_kv *out)
{
    MDB_val k = {klen, (void *)key};
    if (klen > STMT_DB_MAX_KEY)
        return STMT_DB_ERR_KEY;
    if (c->pgc)
        return stmt__pg_cursor_get(c->pgc, STMT__PGC_SEEK, key, klen, out);
    if (!klen)
        return lm_get(c, &k, MDB_FIRST, C_AFTER, out);
    return lm_get(c, &k, MDB_SET_RANGE, C_AFTER, out);
}

int stmt_db_cursor_next(struct stmt_db_cursor *c, struct stmt_db_kv *out)
{
    MDB_val k;
    if (c->pgc)
        return stmt__pg_cursor_get(c->pgc, STMT__PGC_NEXT, NULL, 0, out);
    switch (c->state) {
    case C_ON:
        return lm_get(c, &k, MDB_NEXT, C_AFTER, out);
    case C_AFTER:
        return STMT_DB_NOTFOUND;
    default:
        return lm_get(c, &k, MDB_FIRST, C_AFTER, out);
    }
}

int stmt_db_cursor_prev(struct stmt_db_cursor *c, struct stmt_db_kv *out)
{
    MDB_val k;
    if (c->pgc)
        return stmt__pg_cursor_get(c->pgc, STMT__PGC_PREV, NULL, 0, out);
    switch (c->state) {
    case C_ON:
        return lm_get(c, &k, MDB_PREV, C_BEFORE, out);
    case C_BEFORE:
        return STMT_DB_NOTFOUND;
    default:
        return lm_get(c, &k, MDB_LAST, C_BEFORE, out);
    }
}

int stmt_db_cursor_last(struct stmt_db_cursor *c, struct stmt_db_kv *out)
{
    MDB_val k;
    if (c->pgc)
        return stmt__pg_cursor_get(c->pgc, STMT__PGC_LAST, NULL, 0, out);
    return lm_get(c, &k, MDB_LAST, C_UNSET, out);
}

int stmt_db_count(struct stmt_db_txn *t, const char *table, size_t *n)
{
    MDB_dbi dbi;
    MDB_stat st;
    int rc;
    if (stmt__db_group_remote(t))
        return STMT_DB_ERR_IO;
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_count(t->pgt, table, n);
    rc = mdb_stat(t->txn, dbi, &st);
    if (rc)
        return stmt__db_err(rc);
    *n = st.ms_entries;
    return STMT_DB_OK;
}

int stmt_db_clear(struct stmt_db_txn *t, const char *table)
{
    MDB_dbi dbi;
    int rc;
    if (stmt__db_group_remote(t))
        return STMT_DB_ERR_IO;
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_clear(t->pgt, table);
    if (!t->write)
        return STMT_DB_ERR_ACCESS;
    return stmt__db_err(mdb_drop(t->txn, dbi, 0));
}

int stmt_db_reserve(struct stmt_db_txn *t, const char *table, const void *key, size_t klen,
                    size_t vlen, unsigned flags, void **buf)
{
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key}, v = {vlen, NULL};
    unsigned mf;
    int rc;
    if (klen == 0 || klen > STMT_DB_MAX_KEY)
        return STMT_DB_ERR_KEY;
    if (stmt__db_group_remote(t)) /* the buffer would be the leader's to fill */
        return STMT_DB_ERR_IO;
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_reserve(t->pgt, table, key, klen, vlen, flags, buf);
    mf = MDB_RESERVE | ((flags & STMT_DB_NOOVERWRITE) ? MDB_NOOVERWRITE : 0);
    rc = mdb_put(t->txn, dbi, &k, &v, mf | ((flags & STMT_DB_APPEND) ? MDB_APPEND : 0));
    if (rc == MDB_KEYEXIST && (flags & STMT_DB_APPEND)) { /* not after the last key: a hint */
        v.mv_size = vlen;
        rc = mdb_put(t->txn, dbi, &k, &v, mf);
    }
    if (rc == MDB_MAP_FULL)
        stmt__db_want_grow(t->db);
    if (rc)
        return stmt__db_err(rc);
    *buf = v.mv_data;
    return STMT_DB_OK;
}
