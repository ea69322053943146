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
 * Rows whose last put had STMT_DB_NEW (the key is known to be absent) go as a plain INSERT
 * instead, without ON CONFLICT's speculative insertion (about half the server's time per row),
 * in a savepoint, pipelined with the upsert of the other rows (flush_pipelined: one round
 * trip); a present key after all undoes that INSERT and the batch is sent as upserts.
 */
#ifdef SCOLAR_HAVE_PG /* without libpq this file is empty (stmt_db_pg.c refuses URLs) */

#include "statements/stmt_db_pg_int.h"
#include "common/sc_alloc.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 4096
/* savepoints of plain inserts per transaction: PostgreSQL keeps 64 subtransactions per backend
 * in shared memory (PGPROC_MAX_CACHED_SUBXIDS); past that every snapshot of every session
 * must look them up in pg_subtrans, so stay well below */
#define PG_SUB_MAX 32
#define BATCH_BYTES (4u << 20)
#define OID_BYTEA 17
#define OID_TEXT 25

struct brow {
    size_t off; /* table name (NUL-terminated), key, value in the arena */
    uint32_t klen, vlen;
    uint32_t tlen, seq; /* seq: order of the puts (the last of equal keys wins) */
    int isnew;          /* put with STMT_DB_NEW */
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
                       const void *val, size_t vlen, unsigned flags)
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
    w->isnew = (flags & STMT_DB_NEW) != 0;
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

static int cmp_index(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
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

static const char UPSERT[] =
    "INSERT INTO scolar_kv (tbl, k, v) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[])"
    " ON CONFLICT (tbl, k) DO UPDATE SET v = EXCLUDED.v";
static const char PLAIN[] =
    "INSERT INTO scolar_kv (tbl, k, v) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[])";

/* The three arrays of the rows keep[0..n) into arr (freed by the caller). */
static int arrays_of(const struct stmt__pgbatch *b, const size_t *keep, size_t n,
                     unsigned char *arr[3], int lens[3])
{
    for (int f = 0; f < 3; f++)
        if (!(arr[f] = array_of(b, keep, n, f, &lens[f])))
            return STMT_DB_ERR_NOMEM;
    return STMT_DB_OK;
}

static int send_q(PGconn *c, const char *sql, unsigned char *const *arr, const int *lens)
{
    static const int fmts[3] = {1, 1, 1};
    return PQsendQueryParams(c, sql, arr ? 3 : 0, NULL, arr ? (const char *const *)arr : NULL,
                             arr ? lens : NULL, arr ? fmts : NULL, 1);
}

/* The rows put with STMT_DB_NEW (plain: a plain INSERT, under the savepoint scolar_b) and the
 * others (ups: the upsert, when nu > 0), sent in one pipeline (libpq docs §34.5: one round
 * trip). 0: both done; 1: the plain INSERT met a present key (unique_violation), so it was
 * rolled back to the savepoint and nothing of this call is kept (the caller puts every row as
 * an upsert); or an error (the transaction failed). */
static int flush_pipelined(struct stmt__pgtxn *t, unsigned char *const *plain, const int *plens,
                           unsigned char *const *ups, const int *ulens, size_t nu)
{
    static const char *const STEP[] = {"SAVEPOINT scolar_b", PLAIN, "RELEASE SAVEPOINT scolar_b",
                                       UPSERT};
    int nq = nu ? 4 : 3, sent = PQenterPipelineMode(t->c), conflict = 0, rc = STMT_DB_OK;
    for (int q = 0; q < nq && sent; q++)
        sent = send_q(t->c, STEP[q],
                      q == 1   ? plain
                      : q == 3 ? ups
                               : NULL,
                      q == 1   ? plens
                      : q == 3 ? ulens
                               : NULL);
    if (!sent || !PQpipelineSync(t->c)) {
        PQexitPipelineMode(t->c);
        t->failed = 1; /* the connection is unusable: nothing more of this transaction */
        return STMT_DB_ERR_IO;
    }
    t->nsub++;
    /* each query's result, then NULL; then the sync's (PGRES_PIPELINE_SYNC) */
    for (int q = 0; q <= nq; q++) {
        PGresult *r = PQgetResult(t->c);
        ExecStatusType st = PQresultStatus(r);
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        if (!r) {
            rc = STMT_DB_ERR_IO; /* connection lost */
            break;
        }
        if (q == nq ? st != PGRES_PIPELINE_SYNC
                    : st != PGRES_COMMAND_OK && st != PGRES_PIPELINE_ABORTED) {
            if (q == 1 && state && strcmp(state, "23505") == 0)
                conflict = 1;
            else if (!rc)
                rc = stmt__pg_result_err(t, r, PGRES_COMMAND_OK);
        }
        PQclear(r);
        if (q < nq && (r = PQgetResult(t->c))) { /* the end of query q's results */
            PQclear(r);
            rc = rc ? rc : STMT_DB_ERR_IO;
        }
    }
    if (!PQexitPipelineMode(t->c) && !rc)
        rc = STMT_DB_ERR_IO;
    if (rc) {
        t->failed = 1;
        return rc;
    }
    if (!conflict)
        return STMT_DB_OK;
    /* undo the failed plain INSERT (the upsert after it was skipped: aborted pipeline) */
    {
        PGresult *r = PQexec(t->c, "ROLLBACK TO SAVEPOINT scolar_b; RELEASE SAVEPOINT scolar_b");
        rc = stmt__pg_result_err(t, r, PGRES_COMMAND_OK);
        PQclear(r);
    }
    return rc ? rc : 1;
}

int stmt__pg_batch_flush(struct stmt__pgtxn *t)
{
    struct stmt__pgbatch *b = t->batch;
    unsigned char *arr[3] = {NULL, NULL, NULL}, *parr[3] = {NULL, NULL, NULL};
    int lens[3], plens[3], fmts[3] = {1, 1, 1}, rc = STMT_DB_OK;
    size_t *keep = NULL, nk = 0, np = 0;
    PGresult *r;
    if (!b || !b->n)
        return STMT_DB_OK;
    if (t->failed) {
        rc = STMT_DB_ERR_IO;
        goto out;
    }
    /* the last put of each key, in key order */
    qsort_r(b->r, b->n, sizeof *b->r, row_cmp, b->a);
    keep = sc_malloc(2 * b->n * sizeof *keep);
    if (!keep) {
        rc = STMT_DB_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < b->n; i++)
        if (i + 1 == b->n || !same_key(b, &b->r[i], &b->r[i + 1]))
            keep[nk++] = i;
    /* rows put with STMT_DB_NEW: a plain INSERT, while this transaction may take savepoints */
    if (t->nsub < PG_SUB_MAX) {
        size_t nu = 0, *plain = keep + b->n;
        for (size_t i = 0; i < nk; i++) {
            if (b->r[keep[i]].isnew)
                plain[np++] = keep[i];
            else
                keep[nu++] = keep[i];
        }
        if (np) {
            rc = arrays_of(b, plain, np, parr, plens);
            if (!rc && nu)
                rc = arrays_of(b, keep, nu, arr, lens);
            if (!rc)
                rc = flush_pipelined(t, parr, plens, arr, lens, nu);
            if (rc <= 0)
                goto out;
            /* a present key after all: every row as an upsert */
            memcpy(keep + nu, plain, np * sizeof *keep);
            qsort(keep, nu + np, sizeof *keep, cmp_index);
            for (int f = 0; f < 3; f++) {
                sc_free(arr[f]);
                arr[f] = NULL;
            }
        }
        nk = nu + np;
    }
    if ((rc = arrays_of(b, keep, nk, arr, lens)))
        goto out;
    r = PQexecParams(t->c, UPSERT, 3, NULL, (const char *const *)arr, lens, fmts, 1);
    rc = stmt__pg_result_err(t, r, PGRES_COMMAND_OK);
    PQclear(r);
out:
    if (rc)
        t->failed = 1;
    for (int f = 0; f < 3; f++) {
        sc_free(arr[f]);
        sc_free(parr[f]);
    }
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
