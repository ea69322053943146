/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_db_get_many on PostgreSQL (issue 19, stmt_db.h): the n keys go as one bytea[] parameter
 * in binary form (PostgreSQL's array_send layout: dimensions, flags, element type, then each
 * element's length and bytes; docs §8.15 and src/backend/utils/adt/arrayfuncs.c array_recv) to
 * the prepared statement "gm" of stmt_db_pg.c, which joins unnest(keys) WITH ORDINALITY with
 * scolar_kv: each row found comes back with its key's 1-based position, so the values land in
 * their items without comparing keys. One round trip whatever n is; the result is lent to the
 * transaction like stmt_db_get's (freed at its next write or end). stmt_db_seek_many sends the
 * keys the same way to "sm", a LATERAL subquery per key that reads the first row at or after it.
 */
#include "statements/stmt_db_pg.h"

#ifndef SCOLAR_HAVE_PG

int stmt__pg_get_many(struct stmt__pgtxn *t, const char *table, struct stmt_db_kv *items, size_t n)
{
    (void)t, (void)table, (void)items, (void)n;
    return STMT_DB_ERR_IO;
}
int stmt__pg_seek_many(struct stmt__pgtxn *t, const char *table, const struct stmt_db_kv *from,
                       struct stmt_db_kv *found, size_t n)
{
    (void)t, (void)table, (void)from, (void)found, (void)n;
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

/* Run prepared statement `name` with (table, the n keys of kv as one binary bytea[]); the
 * result's rows begin with the 1-based position of a key (int8). NULL and *rc on failure. */
static PGresult *run_keys(struct stmt__pgtxn *t, const char *name, const char *table,
                          const struct stmt_db_kv *kv, size_t n, int *rc)
{
    size_t size = 20;
    unsigned char *arr, *w;
    const char *vals[2];
    int lens[2], fmts[2] = {0, 1};
    PGresult *r;

    for (size_t i = 0; i < n; i++)
        size += 4 + kv[i].klen;
    *rc = n > INT_MAX / 2 || size > INT_MAX ? STMT_DB_ERR_NOMEM : stmt__pg_flush_resv(t);
    if (*rc)
        return NULL;
    arr = sc_malloc(size);
    if (!arr) {
        *rc = STMT_DB_ERR_NOMEM;
        return NULL;
    }
    /* one dimension, no NULLs, bytea elements; n of them from index 1 */
    w = be32(arr, 1);
    w = be32(w, 0);
    w = be32(w, BYTEA_OID);
    w = be32(w, (uint32_t)n);
    w = be32(w, 1);
    for (size_t i = 0; i < n; i++) {
        w = be32(w, (uint32_t)kv[i].klen);
        memcpy(w, kv[i].key, kv[i].klen);
        w += kv[i].klen;
    }
    vals[0] = table;
    vals[1] = (const char *)arr;
    lens[0] = 0;
    lens[1] = (int)size;
    r = PQexecPrepared(t->c, name, 2, vals, lens, fmts, 1);
    sc_free(arr);
    *rc = stmt__pg_result_err(t, r, PGRES_TUPLES_OK);
    if (*rc) {
        PQclear(r);
        return NULL;
    }
    return r;
}

/* The position (0-based) row j of r answers, or -1 when it is not one of 1..n. */
static long row_pos(const PGresult *r, int j, size_t n)
{
    uint64_t i;
    if (PQgetlength(r, j, 0) != 8)
        return -1;
    i = get_be64((const unsigned char *)PQgetvalue(r, j, 0));
    return i >= 1 && i <= n ? (long)(i - 1) : -1;
}

int stmt__pg_get_many(struct stmt__pgtxn *t, const char *table, struct stmt_db_kv *items, size_t n)
{
    PGresult *r;
    int rc, rows;

    for (size_t i = 0; i < n; i++) {
        items[i].val = NULL;
        items[i].vlen = 0;
    }
    if (!(r = run_keys(t, "gm", table, items, n, &rc)))
        return rc;
    rows = PQntuples(r);
    for (int j = 0; j < rows; j++) {
        long i = row_pos(r, j, n);
        if (i < 0) {
            PQclear(r);
            return STMT_DB_ERR_IO;
        }
        items[i].val = PQgetvalue(r, j, 1);
        items[i].vlen = (size_t)PQgetlength(r, j, 1);
    }
    if (!rows) {
        PQclear(r);
        return STMT_DB_OK;
    }
    return stmt__pg_lend(t, r); /* the values are the result's bytes */
}

int stmt__pg_seek_many(struct stmt__pgtxn *t, const char *table, const struct stmt_db_kv *from,
                       struct stmt_db_kv *found, size_t n)
{
    PGresult *r;
    int rc, rows;

    if (!(r = run_keys(t, "sm", table, from, n, &rc)))
        return rc;
    rows = PQntuples(r);
    for (int j = 0; j < rows; j++) {
        long i = row_pos(r, j, n);
        if (i < 0) {
            PQclear(r);
            return STMT_DB_ERR_IO;
        }
        found[i].key = PQgetvalue(r, j, 1);
        found[i].klen = (size_t)PQgetlength(r, j, 1);
        found[i].val = PQgetvalue(r, j, 2);
        found[i].vlen = (size_t)PQgetlength(r, j, 2);
    }
    if (!rows) {
        PQclear(r);
        return STMT_DB_OK;
    }
    return stmt__pg_lend(t, r);
}

#endif
