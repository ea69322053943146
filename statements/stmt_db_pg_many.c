/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_db_get_many on PostgreSQL (issue 19, stmt_db.h): the n keys go as one bytea[] parameter
 * in binary form (PostgreSQL's array_send layout: dimensions, flags, element type, then each
 * element's length and bytes; docs §8.15 and src/backend/utils/adt/arrayfuncs.c array_recv) to
 * the prepared statement "gm" of stmt_db_pg.c, which joins unnest(keys) WITH ORDINALITY with
 * scolar_kv: each row found comes back with its key's 1-based position, so the values land in
 * their items without comparing keys. One round trip whatever n is; the result is lent to the
 * transaction like stmt_db_get's (freed at its next write or end).
 */
#include "statements/stmt_db_pg.h"

#ifndef SCOLAR_HAVE_PG

int stmt__pg_get_many(struct stmt__pgtxn *t, const char *table, struct stmt_db_kv *items, size_t n)
{
    (void)t, (void)table, (void)items, (void)n;
    return STMT_DB_ERR_IO;
}

#else

#include "statements/stmt_db_pg_int.h"
#include "common/sc_alloc.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define BYTEA_OID 17

static unsigned char *be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return p + 4;
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int stmt__pg_get_many(struct stmt__pgtxn *t, const char *table, struct stmt_db_kv *items, size_t n)
{
    size_t size = 20, rows;
    unsigned char *arr, *w;
    const char *vals[2];
    int lens[2], fmts[2] = {0, 1}, rc;
    PGresult *r;

    for (size_t i = 0; i < n; i++) {
        items[i].val = NULL;
        items[i].vlen = 0;
        size += 4 + items[i].klen;
    }
    if (n > INT_MAX / 2 || size > INT_MAX)
        return STMT_DB_ERR_NOMEM;
    if ((rc = stmt__pg_flush_resv(t)))
        return rc;
    arr = sc_malloc(size);
    if (!arr)
        return STMT_DB_ERR_NOMEM;
    /* one dimension, no NULLs, bytea elements; n of them from index 1 */
    w = be32(arr, 1);
    w = be32(w, 0);
    w = be32(w, BYTEA_OID);
    w = be32(w, (uint32_t)n);
    w = be32(w, 1);
    for (size_t i = 0; i < n; i++) {
        w = be32(w, (uint32_t)items[i].klen);
        memcpy(w, items[i].key, items[i].klen);
        w += items[i].klen;
    }
    vals[0] = table;
    vals[1] = (const char *)arr;
    lens[0] = 0;
    lens[1] = (int)size;
    r = PQexecPrepared(t->c, "gm", 2, vals, lens, fmts, 1);
    sc_free(arr);
    rc = stmt__pg_result_err(t, r, PGRES_TUPLES_OK);
    if (rc) {
        PQclear(r);
        return rc;
    }
    rows = (size_t)PQntuples(r);
    for (size_t j = 0; j < rows; j++) {
        uint64_t i;
        if (PQgetlength(r, (int)j, 0) != 8) {
            PQclear(r);
            return STMT_DB_ERR_IO;
        }
        i = get_be64((const unsigned char *)PQgetvalue(r, (int)j, 0));
        if (i < 1 || i > n) {
            PQclear(r);
            return STMT_DB_ERR_IO;
        }
        items[i - 1].val = PQgetvalue(r, (int)j, 1);
        items[i - 1].vlen = (size_t)PQgetlength(r, (int)j, 1);
    }
    if (!rows) {
        PQclear(r);
        return STMT_DB_OK;
    }
    return stmt__pg_lend(t, r); /* the values are the result's bytes */
}

#endif
