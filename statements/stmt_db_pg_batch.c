/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Puts of a PostgreSQL write transaction sent together (issue 19): stmt_db_put (without
 * STMT_DB_NOOVERWRITE, whose answer is needed at once) copies the row into the transaction's
 * batch; the batch goes to the server as ONE statement,
 *   INSERT INTO scolar_kv (tbl, k, v) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[])
 *   ON CONFLICT (tbl, k) DO UPDATE SET v = EXCLUDED.v
 * (arrays in binary, PostgreSQL's array_send format) before the transaction's next other
 * statement (a get, a cursor step, a delete, a savepoint, the commit) or once it holds
 * BATCH_ROWS rows or BATCH_BYTES bytes. So every read sees every earlier put of its
 * transaction, in order, as before; a statement writer's dozen index, id and tally rows per
 * statement cost one round trip per group instead of one each. A key put twice in one batch
 * keeps its last value (ON CONFLICT may not touch a row twice in one statement: earlier
 * duplicates are dropped). A failure fails the transaction (its commit answers the error). An
 * abort, or a rollback to a savepoint, discards the rows not sent.
 */
#ifdef SCOLAR_HAVE_PG /* without libpq this file is empty (stmt_db_pg.c refuses URLs) */

#include "statements/stmt_db_pg_int.h"
#include "common/sc_alloc.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 4096
#define BATCH_BYTES (4u << 20)
#define OID_BYTEA 17
#define OID_TEXT 25

struct brow {
    size_t off; /* table name (NUL-terminated), key, value in the arena */
    uint32_t klen, vlen;
    uint32_t tlen, seq; /* seq: order of the puts (the last of equal keys wins) */
};

struct stmt__pgbatch {
    unsigned char *a; /* arena */
    size_t alen, acap;
    struct brow *r;
    size_t n, rcap;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t nc = *cap ? *cap : 64;
    void *np;
    if (need <= *cap)
        return 0;
    while (nc < need)
        nc *= 2;
    np = sc_realloc(*p, nc * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

int stmt__pg_batch_put(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                       const void *val, size_t vlen)
{
    struct stmt__pgbatch *b = t->batch;
    size_t tlen = strlen(table), need;
    struct brow *w;
    if (!t->write)
        return STMT_DB_ERR_ACCESS;
    if (t->failed)
        return STMT_DB_ERR_IO;
    if (!b) {
        b = t->batch = sc_calloc(1, sizeof *b);
        if (!b)
            return STMT_DB_ERR_NOMEM;
    }
    if (b->n >= BATCH_ROWS || b->alen >= BATCH_BYTES) {
        int rc = stmt__pg_batch_flush(t);
        if (rc)
            return rc;
    }
    need = b->alen + tlen + 1 + klen + vlen;
    if (grow((void **)&b->a, &b->acap, need, 1) ||
        grow((void **)&b->r, &b->rcap, b->n + 1, sizeof *b->r))
        return STMT_DB_ERR_NOMEM;
    w = &b->r[b->n];
    w->off = b->alen;
    w->tlen = (uint32_t)tlen;
    w->klen = (uint32_t)klen;
    w->vlen = (uint32_t)vlen;
    w->seq = (uint32_t)b->n;
    memcpy(b->a + b->alen, table, tlen + 1);
    memcpy(b->a + b->alen + tlen + 1, key, klen);
    if (vlen)
        memcpy(b->a + b->alen + tlen + 1 + klen, val, vlen);
    b->alen = need;
    b->n++;
    /* a write: lent values and cursor pages are stale now, as after any put (freed after the
     * copy: val may be one of them) */
    return stmt__pg_write_prep(t, 0);
}

static int row_cmp(const void *x, const void *y, void *arena)
{
    const struct brow *p = x, *q = y;
    const unsigned char *a = arena;
    int c = strcmp((const char *)a + p->off, (const char *)a + q->off);
    size_t m = p->klen < q->klen ? p->klen : q->klen;
    if (c)
        return c;
    c = memcmp(a + p->off + p->tlen + 1, a + q->off + q->tlen + 1, m);
    if (c)
        return c;
    if (p->klen != q->klen)
        return p->klen < q->klen ? -1 : 1;
    return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static int same_key(const struct stmt__pgbatch *b, const struct brow *p, const struct brow *q)
{
    return p->tlen == q->tlen && p->klen == q->klen &&
           memcmp(b->a + p->off, b->a + q->off, p->tlen + 1 + p->klen) == 0;
}

static void be32(unsigned char *p, uint32_t v)
{
    v = htonl(v);
    memcpy(p, &v, 4);
}

/* One binary array (array_send: ndim, has-null, element type, size, lower bound, then length
 * and bytes of each element) of field f (0 table, 1 key, 2 value) of the rows kept. */
static unsigned char *array_of(const struct stmt__pgbatch *b, const size_t *keep, size_t n, int f,
                               int *len)
{
    size_t total = 20;
    unsigned char *out, *p;
    for (size_t i = 0; i < n; i++) {
        const struct brow *w = &b->r[keep[i]];
        total += 4 + (f == 0 ? w->tlen : f == 1 ? w->klen : w->vlen);
    }
    if (total > INT32_MAX || !(out = sc_malloc(total)))
        return NULL;
    be32(out, 1);
    be32(out + 4, 0);
    be32(out + 8, f == 0 ? OID_TEXT : OID_BYTEA);
    be32(out + 12, (uint32_t)n);
    be32(out + 16, 1);
    p = out + 20;
    for (size_t i = 0; i < n; i++) {
        const struct brow *w = &b->r[keep[i]];
        const unsigned char *src = b->a + w->off;
        uint32_t l = f == 0 ? w->tlen : f == 1 ? w->klen : w->vlen;
        if (f >= 1)
            src += w->tlen + 1;
        if (f == 2)
            src += w->klen;
        be32(p, l);
        memcpy(p + 4, src, l);
        p += 4 + l;
    }
    *len = (int)total;
    return out;
}

int stmt__pg_batch_flush(struct stmt__pgtxn *t)
{
    static const char SQL[] =
        "INSERT INTO scolar_kv (tbl, k, v) SELECT * FROM unnest($1::text[], $2::bytea[],"
        " $3::bytea[]) ON CONFLICT (tbl, k) DO UPDATE SET v = EXCLUDED.v";
    struct stmt__pgbatch *b = t->batch;
    unsigned char *arr[3] = {NULL, NULL, NULL};
    int lens[3], fmts[3] = {1, 1, 1}, rc = STMT_DB_OK;
    size_t *keep = NULL, nk = 0;
    PGresult *r;
    if (!b || !b->n)
        return STMT_DB_OK;
    if (t->failed) {
        rc = STMT_DB_ERR_IO;
        goto out;
    }
    /* the last put of each key, in key order */
    qsort_r(b->r, b->n, sizeof *b->r, row_cmp, b->a);
    keep = sc_malloc(b->n * sizeof *keep);
    if (!keep) {
        rc = STMT_DB_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < b->n; i++)
        if (i + 1 == b->n || !same_key(b, &b->r[i], &b->r[i + 1]))
            keep[nk++] = i;
    for (int f = 0; f < 3; f++)
        if (!(arr[f] = array_of(b, keep, nk, f, &lens[f]))) {
            rc = STMT_DB_ERR_NOMEM;
            goto out;
        }
    r = PQexecParams(t->c, SQL, 3, NULL, (const char *const *)arr, lens, fmts, 1);
    rc = stmt__pg_result_err(t, r, PGRES_COMMAND_OK);
    PQclear(r);
out:
    if (rc)
        t->failed = 1;
    for (int f = 0; f < 3; f++)
        sc_free(arr[f]);
    sc_free(keep);
    if (b) {
        b->n = 0;
        b->alen = 0;
    }
    return rc;
}

void stmt__pg_batch_discard(struct stmt__pgtxn *t)
{
    if (t->batch) {
        t->batch->n = 0;
        t->batch->alen = 0;
    }
}

void stmt__pg_batch_free(struct stmt__pgtxn *t)
{
    struct stmt__pgbatch *b = t->batch;
    if (!b)
        return;
    sc_free(b->a);
    sc_free(b->r);
    sc_free(b);
    t->batch = NULL;
}

#else
typedef int stmt__pg_batch_unused; /* ISO C: no empty translation unit */
#endif
