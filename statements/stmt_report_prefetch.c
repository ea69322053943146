/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prefetch of the report tallies a fold will touch (stmt_store_int.h stmt__report_prefetch;
 * issue 19). The fold (stmt_report.c) loads each counter on its first use with one
 * stmt_db_get: on PostgreSQL a round trip for each new actor ordinal, activity day, verb,
 * question and text, about three a statement, all under the one write lock of every node.
 * From the queued facts of the statements about to be folded, this computes the same keys and
 * loads them into the fold's cache with stmt_db_get_many: the actors' ordinals first (the
 * bitmaps' chunk depends on them; a new actor's ordinal is predicted from the next free one),
 * then every counter, then the texts. A key the prediction missed is read by the fold as
 * before: the prefetch changes no tally, only when it is read.
 */
#include "statements/stmt_report_int.h"
#include "common/sc_alloc.h"

#include <string.h>

#define PF_MAX 1024 /* statements per call */

struct pf {
    struct stmt_db_kv *kv;
    uint64_t **dst; /* the cache entry each key fills */
    size_t *nv;
    size_t n, cap;
    int full; /* the cache has no room left: stop adding */
};

static int pf_grow(struct pf *p)
{
    size_t cap = p->cap ? p->cap * 2 : 256;
    struct stmt_db_kv *kv = sc_realloc(p->kv, cap * sizeof *kv);
    uint64_t **dst;
    size_t *nv;
    if (!kv)
        return -1;
    p->kv = kv;
    dst = sc_realloc(p->dst, cap * sizeof *dst);
    if (!dst)
        return -1;
    p->dst = dst;
    nv = sc_realloc(p->nv, cap * sizeof *nv);
    if (!nv)
        return -1;
    p->nv = nv;
    p->cap = cap;
    return 0;
}

/* The cache entry of k: new ones join the list to be read. The entry's values, or NULL. */
static uint64_t *want(struct stmt_store *st, struct pf *p, const struct key *k, size_t nv)
{
    const unsigned char *kp;
    int fresh = 0;
    uint64_t *v;
    if (p->full)
        return NULL;
    if (p->n == p->cap && pf_grow(p)) {
        p->full = 1;
        return NULL;
    }
    v = stmt__report_slot(st, k, nv, &fresh, &kp);
    if (!v) {
        p->full = 1;
        return NULL;
    }
    if (fresh) {
        p->kv[p->n] = (struct stmt_db_kv){kp, NULL, k->n, 0};
        p->dst[p->n] = v;
        p->nv[p->n++] = nv;
    }
    return v;
}

/* Read the listed keys into their entries (absent: zeros, as the fold's own load). */
static int fill(struct stmt_store *st, struct stmt_db_txn *txn, struct pf *p)
{
    int rc = p->n ? stmt_db_get_many(txn, st->tbl.rpt, p->kv, p->n) : STMT_DB_OK;
    if (rc)
        return stmt__db_to_store(rc);
    for (size_t i = 0; i < p->n; i++)
        if (p->kv[i].val && p->kv[i].vlen == p->nv[i] * 8)
            memcpy(p->dst[i], p->kv[i].val, p->nv[i] * 8);
    p->n = 0;
    return STMT_STORE_OK;
}

/* The counters apply_one of stmt_report.c takes for activity act (the same keys and sizes). */
static void want_act(struct stmt_store *st, struct pf *p, const struct stmt__rfacts *f,
                     uint32_t ord, uint64_t act, uint32_t day)
{
    struct key k;
    key_start(&k, 'B', act);
    key_u32(&k, ord / CHUNK);
    want(st, p, &k, 4 * BMW);
    key_start(&k, 'b', act);
    key_u32(&k, day);
    key_u32(&k, ord / CHUNK);
    want(st, p, &k, 2 * BMW);
    key_start(&k, 'D', act);
    key_u32(&k, day);
    want(st, p, &k, D_NV);
    key_start(&k, 'V', act);
    key_u32(&k, day);
    key_u64(&k, f->verb_h);
    want(st, p, &k, 1);
    if (!(f->has_obj && act == f->obj) && f->question) {
        key_start(&k, 'Q', act);
        key_u32(&k, day);
        key_u64(&k, f->qh);
        want(st, p, &k, 2);
        if (f->has_resp) {
            k.b[0] = 'R';
            key_u64(&k, f->rh);
            want(st, p, &k, 1);
        }
    }
}

/* The texts new_texts of stmt_report.c looks up: those not known yet, read in one call. */
static int texts(struct stmt_store *st, struct stmt_db_txn *txn, const struct stmt__rfacts **f,
                 size_t n)
{
    struct key *keys = sc_malloc(3 * n * sizeof *keys);
    struct stmt_db_kv *kv = sc_malloc(3 * n * sizeof *kv);
    uint64_t *h = sc_malloc(3 * n * sizeof *h);
    size_t m = 0;
    int rc = STMT_STORE_ERR_NOMEM;
    if (keys && kv && h) {
        for (size_t i = 0; i < n; i++) {
            uint64_t cand[3] = {f[i]->verb_h, f[i]->qh, f[i]->rh};
            int nc = f[i]->question && f[i]->nctx ? (f[i]->has_resp ? 3 : 2) : 1;
            if (!f[i]->has_obj && !f[i]->nctx)
                continue; /* about no activity: not folded */
            for (int c = 0; c < nc; c++) {
                if (stmt__report_known(st, cand[c], 0))
                    continue;
                key_start(&keys[m], 'T', cand[c]);
                kv[m] = (struct stmt_db_kv){keys[m].b, NULL, keys[m].n, 0};
                h[m++] = cand[c];
            }
        }
        rc = m ? stmt__db_to_store(stmt_db_get_many(txn, st->tbl.rpt, kv, m)) : STMT_STORE_OK;
        for (size_t i = 0; !rc && i < m; i++)
            if (kv[i].val)
                stmt__report_known(st, h[i], 1);
    }
    sc_free(keys);
    sc_free(kv);
    sc_free(h);
    return rc;
}

int stmt__report_prefetch(struct stmt_store *st, struct stmt_db_txn *txn, int64_t first,
                          int64_t last)
{
    const struct stmt__rfacts **f = sc_malloc(PF_MAX * sizeof *f);
    int64_t *seq = sc_malloc(PF_MAX * sizeof *seq);
    uint64_t **ordv = sc_malloc(PF_MAX * sizeof *ordv), *next;
    struct pf p = {0};
    struct key k;
    size_t n;
    uint32_t fresh_ord;
    int rc = STMT_STORE_ERR_NOMEM;

    if (!f || !seq || !ordv)
        goto out;
    if ((rc = stmt__report_txn(st, txn)))
        goto out;
    n = stmt__report_queued(st, first, last, f, seq, PF_MAX);
    /* the actors' ordinals and the next free one */
    key_start(&k, 'N', 0);
    next = want(st, &p, &k, 1);
    for (size_t i = 0; i < n; i++) {
        ordv[i] = NULL;
        if (!f[i]->has_obj && !f[i]->nctx)
            continue;
        k.b[0] = 'O';
        stmt__be64_put(k.b + 1, f[i]->actor);
        k.n = 9;
        ordv[i] = want(st, &p, &k, 1);
    }
    if ((rc = fill(st, txn, &p)))
        goto out;
    fresh_ord = next ? (uint32_t)next[0] : 0;
    for (size_t i = 0; i < n && !p.full; i++) {
        uint32_t day = (uint32_t)((uint64_t)seq[i] / (uint64_t)stmt__report_day_us()), ord;
        if (!ordv[i])
            continue;
        ord = ordv[i][0] ? (uint32_t)(ordv[i][0] - 1) : fresh_ord++; /* a new actor: predicted */
        if (f[i]->has_obj)
            want_act(st, &p, f[i], ord, f[i]->obj, day);
        for (size_t c = 0; c < f[i]->nctx; c++)
            want_act(st, &p, f[i], ord, f[i]->ctx[c], day);
    }
    if ((rc = fill(st, txn, &p)))
        goto out;
    rc = texts(st, txn, f, n);
out:
    if (rc && rc != STMT_STORE_ERR_NOMEM)
        stmt__report_forget(st); /* entries may be left unfilled */
    else if (rc && p.n)
        stmt__report_forget(st);
    sc_free(p.kv);
    sc_free(p.dst);
    sc_free(p.nv);
    sc_free(f);
    sc_free(seq);
    sc_free(ordv);
    return rc;
}
