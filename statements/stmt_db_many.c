/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_db_get_many (stmt_db.h, issue 19): a page of point lookups in one call. LMDB: the table
 * resolved once, then one mdb_get per key (nothing to batch in a memory map); PostgreSQL: one
 * query for all the keys (stmt_db_pg_many.c). A grouped session whose calls go to the group's
 * leader takes the keys one by one through stmt_db_get, which hands each to the leader.
 */
#include "statements/stmt_db.h"
#include "statements/stmt_db_int.h"
#include "statements/stmt_db_pg.h"
#include "common/sc_alloc.h"

#include <lmdb.h>

#define PG_CHUNK 4096 /* keys per PostgreSQL query (a parameter of a few hundred KiB at most) */

static int valid_key(size_t klen)
{
    return klen > 0 && klen <= STMT_DB_MAX_KEY;
}

/* PostgreSQL: the valid keys, in chunks; the others are absent. */
static int pg_many(struct stmt_db_txn *t, const char *table, struct stmt_db_kv *items, size_t n)
{
    struct stmt_db_kv *sub;
    size_t *pos, m = 0;
    int rc = STMT_DB_OK;
    for (size_t i = 0; i < n && m == i; i++)
        m += valid_key(items[i].klen);
    if (m == n) { /* the usual case: every key valid, no copy */
        for (size_t i = 0; i < n && !rc; i += PG_CHUNK)
            rc = stmt__pg_get_many(t->pgt, table, items + i, n - i < PG_CHUNK ? n - i : PG_CHUNK);
        return rc;
    }
    sub = sc_malloc(n * sizeof *sub);
    pos = sc_malloc(n * sizeof *pos);
    if (!sub || !pos) {
        sc_free(sub);
        sc_free(pos);
        return STMT_DB_ERR_NOMEM;
    }
    m = 0;
    for (size_t i = 0; i < n; i++) {
        items[i].val = NULL;
        items[i].vlen = 0;
        if (valid_key(items[i].klen)) {
            sub[m] = items[i];
            pos[m++] = i;
        }
    }
    for (size_t i = 0; i < m && !rc; i += PG_CHUNK)
        rc = stmt__pg_get_many(t->pgt, table, sub + i, m - i < PG_CHUNK ? m - i : PG_CHUNK);
    for (size_t i = 0; i < m && !rc; i++)
        items[pos[i]] = sub[i];
    sc_free(sub);
    sc_free(pos);
    return rc;
}

int stmt_db_get_many(struct stmt_db_txn *t, const char *table, struct stmt_db_kv *items, size_t n)
{
    MDB_dbi dbi;
    int rc;
    if (stmt__db_group_remote(t)) {
        for (size_t i = 0; i < n; i++) {
            rc = stmt_db_get(t, table, items[i].key, items[i].klen, &items[i].val, &items[i].vlen);
            if (rc == STMT_DB_NOTFOUND) {
                items[i].val = NULL;
                items[i].vlen = 0;
            } else if (rc) {
                return rc;
            }
        }
        return STMT_DB_OK;
    }
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return n ? pg_many(t, table, items, n) : STMT_DB_OK;
    for (size_t i = 0; i < n; i++) {
        MDB_val k = {items[i].klen, (void *)items[i].key}, v;
        items[i].val = NULL;
        items[i].vlen = 0;
        if (!valid_key(items[i].klen))
            continue;
        rc = mdb_get(t->txn, dbi, &k, &v);
        if (rc == MDB_SUCCESS) {
            items[i].val = v.mv_data;
            items[i].vlen = v.mv_size;
        } else if (rc != MDB_NOTFOUND) {
            return stmt__db_err(rc);
        }
    }
    return STMT_DB_OK;
}

int stmt_db_seek_many(struct stmt_db_txn *t, const char *table, const struct stmt_db_kv *from,
                      struct stmt_db_kv *found, size_t n)
{
    MDB_dbi dbi;
    MDB_cursor *c;
    int rc;
    for (size_t i = 0; i < n; i++) {
        found[i].key = found[i].val = NULL;
        found[i].klen = found[i].vlen = 0;
        if (!valid_key(from[i].klen))
            return STMT_DB_ERR_KEY;
    }
    if (stmt__db_group_remote(t))
        return STMT_DB_ERR_IO; /* as cursors: a seek needs the transaction on this thread */
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc || !n)
        return rc;
    if (t->pgt) {
        for (size_t i = 0; i < n && !rc; i += PG_CHUNK)
            rc = stmt__pg_seek_many(t->pgt, table, from + i, found + i,
                                    n - i < PG_CHUNK ? n - i : PG_CHUNK);
        return rc;
    }
    rc = mdb_cursor_open(t->txn, dbi, &c);
    if (rc)
        return stmt__db_err(rc);
    for (size_t i = 0; i < n && !rc; i++) {
        MDB_val k = {from[i].klen, (void *)from[i].key}, v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc == MDB_SUCCESS) {
            found[i].key = k.mv_data;
            found[i].klen = k.mv_size;
            found[i].val = v.mv_data;
            found[i].vlen = v.mv_size;
        } else if (rc == MDB_NOTFOUND) {
            rc = MDB_SUCCESS;
        }
    }
    mdb_cursor_close(c);
    return rc ? stmt__db_err(rc) : STMT_DB_OK;
}
