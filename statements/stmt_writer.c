/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The single writer thread of the statement store (security.md 8 "One writer"; DESIGN.md
 * "Storage"). It takes every queued batch into one write transaction of stmt_db.h (group
 * commit), commits with full sync, and only then acknowledges the callers, so a 2xx always
 * means durable. A batch is all or nothing (Comm 3.2, S6): its conflicts (same id with other
 * content, S2; voiding a voiding statement, Data 2.3.2) are checked before any of its records
 * are written, so a failing batch leaves no trace while the rest of the group commits.
 * A full map (LMDB) at any point aborts the whole transaction; the map grows and the group is
 * redone with fresh stored times (nothing was acknowledged yet).
 */
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "statements/stmt_validate.h"

#define GROW_ATTEMPTS 40

static const char EMPTY[1] = ""; /* the value of index and reference entries */

struct u64vec {
    uint64_t *v;
    size_t n, cap;
};

static int vec_add(struct u64vec *a, uint64_t x)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 32;
        uint64_t *nv = sc_realloc(a->v, nc * sizeof *nv);
        if (!nv)
            return STMT_STORE_ERR_NOMEM;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = x;
    return STMT_STORE_OK;
}

/* A stmt_db error as the store's (stmt_db marked a full LMDB map for growth already). */
static int db_to_store(int rc)
{
    if (rc == STMT_DB_ERR_FULL)
        return STMT_STORE_ERR_FULL;
    return rc == STMT_DB_ERR_NOMEM ? STMT_STORE_ERR_NOMEM : STMT_STORE_ERR_IO;
}

/* S3 / Data 2.3.1: same content modulo the immutability exceptions (stmt_equal). */
int stmt__same_content(const cJSON *incoming, const char *stored_json, size_t len)
{
    cJSON *a = cJSON_ParseWithLength(stored_json, len);
    int eq = 0;
    if (a)
        eq = stmt_equal(a, incoming) == 1;
    cJSON_Delete(a);
    return eq;
}

static size_t rec_nterms(const unsigned char *rec)
{
    return (size_t)(rec[2] << 8 | rec[3]);
}

/* Terms of the statement `ref` points to, and of its target, ... (G5, STMT_REF_DEPTH). */
static int chain_terms(struct stmt_store *st, struct stmt_db_txn *t, const unsigned char ref[16],
                       struct u64vec *out)
{
    unsigned char cur[16];
    memcpy(cur, ref, 16);
    for (int d = 0; d < STMT_REF_DEPTH; d++) {
        const unsigned char *rec;
        uint64_t seq;
        size_t len;
        int rc = stmt__rec_by_id_t(st, t, cur, &seq, &rec, &len);
        if (rc == STMT_DB_NOTFOUND)
            return STMT_STORE_OK;
        if (rc)
            return db_to_store(rc);
        size_t nt = rec_nterms(rec);
        if (STMT_REC_HDR + 8 * nt > len)
            return STMT_STORE_ERR_IO;
        for (size_t i = 0; i < nt; i++)
            if (vec_add(out, stmt__be64_get(rec + STMT_REC_HDR + 8 * i)))
                return STMT_STORE_ERR_NOMEM;
        if (!(rec[1] & STMT_REC_REF))
            return STMT_STORE_OK;
        memcpy(cur, rec + 20, 16);
    }
    return STMT_STORE_OK;
}

static int idx_put(struct stmt_store *st, struct stmt_db_txn *t, uint32_t epoch, uint64_t term,
                   const unsigned char *seq8)
{
    unsigned char key[STMT_IDX_KEY];
    int rc;
    stmt__idx_key(key, epoch, term, stmt__be64_get(seq8));
    rc = stmt_db_put(t, st->tbl.idx, key, sizeof key, EMPTY, 0, 0);
    return rc ? db_to_store(rc) : STMT_STORE_OK;
}

/* The first "stmt_ref" entry of target `id` (key id ‖ seq of the referrer) at or after id ‖ 0
 * in *kv: 1 when there is one, 0 when not, or a negative stmt_db error. */
static int ref_first(struct stmt_db_cursor *c, const unsigned char id[16], struct stmt_db_kv *kv)
{
    unsigned char from[24];
    int rc;
    memcpy(from, id, 16);
    memset(from + 16, 0, 8);
    rc = stmt_db_cursor_seek(c, from, sizeof from, kv);
    if (rc == STMT_DB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    return kv->klen == 24 && memcmp(kv->key, id, 16) == 0;
}

/* A target arrived after statements that refer to it: give them (and their referrers) its
 * terms so G5 queries find them by index, in each referrer's epoch. Only referrers folded
 * already (stored <= upto, the statement being folded): a later one takes the terms of its
 * chain when it is folded itself (index_one → chain_terms), and its epoch is not known yet. */
static int propagate(struct stmt_store *st, struct stmt_db_txn *t, const unsigned char id[16],
                     const struct u64vec *terms, uint64_t upto, int depth)
{
    struct stmt__epv ev = {st->ep.first, st->ep.n};
    struct stmt_db_cursor *cur = NULL;
    struct stmt_db_kv kv;
    unsigned char(*next)[16] = NULL;
    size_t nnext = 0, capnext = 0;
    int rc, ret = STMT_STORE_OK;

    if (depth >= STMT_REF_DEPTH || terms->n == 0)
        return STMT_STORE_OK;
    rc = stmt_db_cursor_open(t, st->tbl.ref, &cur);
    if (rc)
        return db_to_store(rc);
    rc = ref_first(cur, id, &kv);
    while (rc == 1) {
        unsigned char seq8[8];
        const void *rv;
        size_t rl;
        memcpy(seq8, (const unsigned char *)kv.key + 16, 8);
        if (stmt__be64_get(seq8) <= upto) {
            for (size_t i = 0; i < terms->n && !ret; i++)
                ret = idx_put(st, t, stmt__epv_of(&ev, stmt__be64_get(seq8)), terms->v[i], seq8);
            if (ret)
                goto out;
            rc = stmt_db_get(t, st->tbl.stmt, seq8, 8, &rv, &rl);
            if (rc == STMT_DB_OK && rl >= STMT_REC_HDR) {
                if (nnext == capnext) {
                    size_t nc = capnext ? capnext * 2 : 8;
                    void *nn = sc_realloc(next, nc * 16);
                    if (!nn) {
                        ret = STMT_STORE_ERR_NOMEM;
                        goto out;
                    }
                    next = nn;
                    capnext = nc;
                }
                memcpy(next[nnext++], (const unsigned char *)rv + 4, 16);
            } else if (rc && rc != STMT_DB_NOTFOUND) {
                ret = db_to_store(rc);
                goto out;
            }
        }
        rc = stmt_db_cursor_next(cur, &kv);
        if (rc == STMT_DB_OK)
            rc = kv.klen == 24 && memcmp(kv.key, id, 16) == 0;
        else if (rc == STMT_DB_NOTFOUND)
            rc = 0;
    }
    if (rc < 0) {
        ret = db_to_store(rc);
        goto out;
    }
    stmt_db_cursor_close(cur);
    cur = NULL;
    for (size_t i = 0; i < nnext && !ret; i++)
        ret = propagate(st, t, next[i], terms, upto, depth + 1);
out:
    stmt_db_cursor_close(cur);
    sc_free(next);
    return ret;
}

/* Read-your-writes: a statement folded before its StatementRef target arrived gets the
 * target's terms only when the target is folded (propagate). *yes when `id` has such a
 * referrer (stored <= upto, the last folded statement). *cur: a "stmt_ref" cursor of t, opened
 * by the first call (the caller closes it). */
static int has_folded_referrer(struct stmt_store *st, struct stmt_db_txn *t,
                               struct stmt_db_cursor **cur, const unsigned char id[16],
                               int64_t upto, int *yes)
{
    struct stmt_db_kv kv;
    int rc = *cur ? 0 : stmt_db_cursor_open(t, st->tbl.ref, cur);
    if (rc)
        return db_to_store(rc);
    rc = ref_first(*cur, id, &kv);
    if (rc < 0)
        return db_to_store(rc);
    *yes = rc == 1 && stmt__be64_get((const unsigned char *)kv.key + 16) <= (uint64_t)upto;
    return STMT_STORE_OK;
}

/* Index entries of one statement: its own terms, the terms of its StatementRef chain (G5),
 * and its terms handed to statements that referred to it before it arrived. terms are copied
 * by the caller (puts may move pages of the map). refcur: the fold's "stmt_ref" cursor. */
static int index_one(struct stmt_store *st, struct stmt_db_txn *t, struct stmt_db_cursor *refcur,
                     uint32_t epoch, const unsigned char id[16], unsigned flags,
                     const unsigned char ref[16], const uint64_t *terms, size_t nterms,
                     const unsigned char seq8[8])
{
    struct u64vec chain = {0};
    struct stmt_db_kv kv;
    int ret = STMT_STORE_OK, yes;

    for (size_t i = 0; i < nterms; i++)
        if ((ret = idx_put(st, t, epoch, terms[i], seq8)))
            return ret;
    if (flags & STMT_REC_REF) {
        if ((ret = chain_terms(st, t, ref, &chain)))
            goto out;
        for (size_t i = 0; i < chain.n && !ret; i++)
            ret = idx_put(st, t, epoch, chain.v[i], seq8);
        if (ret)
            goto out;
    }
    yes = ref_first(refcur, id, &kv); /* has referrers */
    if (yes <= 0) {
        ret = yes ? db_to_store(yes) : STMT_STORE_OK;
        goto out;
    }
    for (size_t i = 0; i < nterms && !ret; i++)
        ret = vec_add(&chain, terms[i]);
    if (!ret)
        ret = propagate(st, t, id, &chain, stmt__be64_get(seq8), 0);
out:
    sc_free(chain.v);
    return ret;
}

static int write_one(struct stmt_store *st, struct stmt_db_txn *t, struct stmt__prep *p,
                     int64_t seq)
{
    char iso[SC_TIME_ISO_LEN], suffix[128];
    unsigned char seq8[8], *r;
    void *buf;
    size_t slen, size;
    int n, rc;

    /* Data 2.4.8 stored; A2: a missing timestamp is set to stored. Microsecond precision
     * keeps stored distinct and usable as since/until without loss. */
    sc_time_format_iso(seq, 6, iso);
    if (p->has_timestamp)
        n = snprintf(suffix, sizeof suffix, ",\"stored\":\"%s\"}", iso);
    else
        n = snprintf(suffix, sizeof suffix, ",\"stored\":\"%s\",\"timestamp\":\"%s\"}", iso, iso);
    if (n < 0 || (size_t)n >= sizeof suffix)
        return STMT_STORE_ERR_IO;
    slen = (size_t)n;
    stmt__be64_put(seq8, (uint64_t)seq);
    size = STMT_REC_HDR + 8 * p->nterms + p->json_len + slen;
    /* stored is the key and grows: an append (LMDB: MDB_RESERVE | MDB_APPEND, no copy) */
    rc = stmt_db_reserve(t, st->tbl.stmt, seq8, sizeof seq8, size, STMT_DB_APPEND, &buf);
    if (rc)
        return db_to_store(rc);
    r = buf;
    r[0] = STMT_REC_FORMAT;
    r[1] = (unsigned char)p->flags;
    r[2] = (unsigned char)(p->nterms >> 8);
    r[3] = (unsigned char)(p->nterms & 0xff);
    memcpy(r + 4, p->id, 16);
    memcpy(r + 20, p->ref, 16);
    for (size_t i = 0; i < p->nterms; i++)
        stmt__be64_put(r + STMT_REC_HDR + 8 * i, p->terms[i]);
    memcpy(r + STMT_REC_HDR + 8 * p->nterms, p->json, p->json_len);
    memcpy(r + STMT_REC_HDR + 8 * p->nterms + p->json_len, suffix, slen);
    if (stmt__idmap_put(&st->pending, p->id, seq)) {
        /* The id entry is a random key, written by the fold with the index terms (inline:
         * the fold of this group's records in its own transaction, write_group); until then
         * the id is found in st->pending and then st->recent. Records are append-only. */
        return STMT_STORE_ERR_NOMEM;
    }
    if (p->flags & STMT_REC_REF) {
        unsigned char rk[24];
        memcpy(rk, p->ref, 16);
        memcpy(rk + 16, seq8, 8);
        rc = stmt_db_put(t, st->tbl.ref, rk, sizeof rk, EMPTY, 0, 0);
        if (rc)
            return db_to_store(rc);
        if (p->flags & STMT_REC_VOIDING) {
            /* The voided set is written with the record, not deferred: statementId and
             * voidedStatementId answers are exact as soon as the insert returns. */
            rc = stmt_db_put(t, st->tbl.voided, p->ref, 16, seq8, 8, STMT_DB_NOOVERWRITE);
            if (rc && rc != STMT_DB_ERR_EXISTS)
                return db_to_store(rc);
        }
    }
    return STMT_STORE_OK;
}

static int put_indexed_through(struct stmt_store *st, struct stmt_db_txn *t, int64_t seq)
{
    unsigned char v8[8];
    int rc;
    stmt__be64_put(v8, (uint64_t)seq);
    rc = stmt_db_put(t, st->tbl.meta, "indexed_through", 15, v8, sizeof v8, 0);
    return rc ? db_to_store(rc) : STMT_STORE_OK;
}

/* Index one committed record: key (its stored value, 8 bytes) and record r of len bytes, both
 * read before any write (they may be borrowed until the transaction's next write). */
static int fold_one(struct stmt_store *st, struct stmt_db_txn *t, struct stmt_db_cursor *refcur,
                    const unsigned char *key, size_t klen, const unsigned char *r, size_t len,
                    struct u64vec *terms)
{
    unsigned char id[16], ref[16], seq8[8], ik[STMT_ID_KEY];
    unsigned flags;
    size_t nt;
    uint32_t e;
    int ret = STMT_STORE_OK, prc;
    if (klen != 8 || len < STMT_REC_HDR)
        return STMT_STORE_ERR_IO;
    memcpy(seq8, key, 8);
    nt = (size_t)(r[2] << 8 | r[3]);
    flags = r[1];
    memcpy(id, r + 4, 16);
    memcpy(ref, r + 20, 16);
    terms->n = 0;
    if (STMT_REC_HDR + 8 * nt > len)
        return STMT_STORE_ERR_IO;
    for (size_t i = 0; i < nt && !ret; i++)
        ret = vec_add(terms, stmt__be64_get(r + STMT_REC_HDR + 8 * i));
    /* the tallies first: the record is borrowed until the transaction's next write */
    if (!ret)
        ret = stmt__report_fold(st, t, r, len, stmt__be64_get(seq8));
    if (!ret && (st->ep.n == 0 || st->ep.fill >= st->epoch_size)) {
        /* The last epoch is full: keep its filter, then open the next one. */
        int brc = st->ep.n ? stmt__bloom_close(st, t, st->ep.n - 1) : 0;
        if (brc)
            ret = db_to_store(brc);
        else if (stmt__epochs_push(&st->ep, stmt__be64_get(seq8)))
            ret = STMT_STORE_ERR_NOMEM;
    }
    if (ret)
        return ret;
    e = st->ep.n - 1;
    stmt__be32_put(ik, e);
    memcpy(ik + 4, id, 16);
    prc = stmt_db_put(t, st->tbl.id, ik, sizeof ik, seq8, sizeof seq8, 0);
    if (prc)
        return db_to_store(prc);
    stmt__bloom_add(&st->ep, e, id);
    st->ep.fill++;
    return index_one(st, t, refcur, e, id, flags, ref, terms->v, terms->n, seq8);
}

/* A shared store's records read ahead, FOLD_AHEAD at a time, before the fold writes: on
 * PostgreSQL a cursor step after a write of its transaction reads a page again from the
 * cursor's key (stmt_db_pg_cursor.c), which per record would read the group's records over
 * and over. buf holds key (8) ‖ record of each, off[i] where record i begins. */
#define FOLD_AHEAD 1024
struct ahead {
    unsigned char *buf;
    size_t len, cap, *off, n;
};

static int ahead_add(struct ahead *a, const struct stmt_db_kv *kv)
{
    size_t need = a->len + 8 + kv->vlen;
    if (kv->klen != 8)
        return STMT_STORE_ERR_IO;
    if (!a->off && !(a->off = sc_malloc((FOLD_AHEAD + 1) * sizeof *a->off)))
        return STMT_STORE_ERR_NOMEM;
    if (need > a->cap) {
        size_t nc = a->cap ? a->cap : 65536;
        unsigned char *nb;
        while (nc < need)
            nc *= 2;
        if (!(nb = sc_realloc(a->buf, nc)))
            return STMT_STORE_ERR_NOMEM;
        a->buf = nb;
        a->cap = nc;
    }
    a->off[a->n++] = a->len;
    memcpy(a->buf + a->len, kv->key, 8);
    memcpy(a->buf + a->len + 8, kv->val, kv->vlen);
    a->len = need;
    a->off[a->n] = a->len;
    return STMT_STORE_OK;
}

/* Index up to `max` committed statements after indexed_us in `t`: the id entry and the
 * index terms of each, in the epoch it falls into (a new epoch begins once the last one holds
 * epoch_size statements), then the epochs and indexed_through, so a crash resumes where the
 * last committed fold ended. Changes st->ep in place; the caller restores it when the
 * transaction is not committed. *last is the last stored value indexed, *next the stored value
 * of the first statement left for a later fold (0: none). */
static int fold_txn(struct stmt_store *st, struct stmt_db_txn *t, size_t max, int64_t *last,
                    size_t *n, int64_t *next)
{
    struct stmt_db_cursor *cur = NULL, *refcur = NULL;
    struct stmt_db_kv kv;
    unsigned char from[8];
    struct u64vec terms = {0};
    struct ahead a = {0};
    int rc, ret = STMT_STORE_OK;

    *last = st->indexed_us;
    *n = 0;
    *next = 0;
    stmt__be64_put(from, (uint64_t)st->indexed_us + 1);
    rc = stmt_db_cursor_open(t, st->tbl.stmt, &cur);
    if (!rc)
        rc = stmt_db_cursor_open(t, st->tbl.ref, &refcur);
    if (!rc)
        rc = stmt_db_cursor_seek(cur, from, sizeof from, &kv);
    while (rc == 0 && *n < max && !ret) {
        if (!st->shared) { /* LMDB: each record in place (a write leaves the cursor valid) */
            int64_t seq = kv.klen == 8 ? (int64_t)stmt__be64_get(kv.key) : 0;
            ret = fold_one(st, t, refcur, kv.key, kv.klen, kv.val, kv.vlen, &terms);
            *last = seq;
            ++*n;
            if (!ret)
                rc = stmt_db_cursor_next(cur, &kv);
            continue;
        }
        a.n = a.len = 0;
        while (rc == 0 && *n + a.n < max && a.n < FOLD_AHEAD && !ret)
            if (!(ret = ahead_add(&a, &kv)))
                rc = stmt_db_cursor_next(cur, &kv);
        if (!ret && rc == 0) /* the next record's key, to seek again after the writes */
            memcpy(from, kv.key, kv.klen == 8 ? 8 : 0);
        for (size_t i = 0; i < a.n && !ret; i++) {
            const unsigned char *k = a.buf + a.off[i];
            ret = fold_one(st, t, refcur, k, 8, k + 8, a.off[i + 1] - a.off[i] - 8, &terms);
            *last = (int64_t)stmt__be64_get(k);
            ++*n;
        }
        if (!ret && rc == 0)
            rc = stmt_db_cursor_seek(cur, from, sizeof from, &kv);
    }
    if (!ret && rc == 0 && kv.klen == 8)
        *next = (int64_t)stmt__be64_get(kv.key); /* stopped at max: the next record */
    stmt_db_cursor_close(refcur);
    stmt_db_cursor_close(cur);
    sc_free(terms.v);
    sc_free(a.buf);
    sc_free(a.off);
    if (!ret && rc && rc != STMT_DB_NOTFOUND)
        ret = db_to_store(rc);
    if (!ret && *n)
        ret = stmt__report_flush(st, t);
    if (!ret && *n && (rc = stmt__epochs_put(st, t, &st->ep)))
        ret = db_to_store(rc);
    if (!ret && *n)
        ret = put_indexed_through(st, t, *last);
    return ret;
}

/* Deferred indexing: fold up to `max` committed statements in one transaction (DESIGN.md
 * "Storage": index entries in larger batches), never past the end of the newest epoch, so
 * the pages a fold dirties (kept by LMDB in process memory) stay within one epoch's range.
 * Returns the number indexed. */
static size_t fold(struct stmt_store *st, size_t max)
{
    size_t room =
        st->ep.n && st->ep.fill < st->epoch_size ? st->epoch_size - st->ep.fill : st->epoch_size;
    if (max > room)
        max = room;
    for (int attempt = 0; attempt < 40; attempt++) {
        struct stmt_db_txn *t = NULL;
        uint32_t ep_n;
        uint64_t ep_fill;
        int64_t last, next;
        size_t n;
        int ret;

        if (stmt_db_txn_begin(st->db, 1, &t))
            return 0;
        if (st->shared && stmt__store_resync(st, t)) {
            stmt_db_txn_abort(t);
            return 0;
        }
        ep_n = st->ep.n;
        ep_fill = st->ep.fill;
        ret = fold_txn(st, t, max, &last, &n, &next);
        if (!ret && n) {
            int rc = stmt_db_txn_commit(t);
            if (rc == STMT_DB_ERR_FULL)
                ret = STMT_STORE_ERR_FULL;
            else if (rc)
                ret = STMT_STORE_ERR_IO;
        } else {
            stmt_db_txn_abort(t);
        }
        if (ret || !n) {
            st->fold_err = ret ? ret : STMT_STORE_ERR_IO; /* read under st->lock after return */
            stmt__report_discard(st);
            st->ep.n = ep_n; /* not committed: the epochs are as before */
            st->ep.fill = ep_fill;
            stmt__epochs_txn_end(&st->ep, 0);
            if (ret == STMT_STORE_ERR_FULL)
                continue;
            return 0;
        }
        stmt__epochs_txn_end(&st->ep, 1);
        /* The tail without what was folded, built outside the lock (stmt_tail.c). */
        struct stmt__tail left, old = {0};
        int built = stmt__tail_pruned(&st->utail, last, &left) == 0;
        pthread_mutex_lock(&st->lock);
        st->indexed_us = last;
        st->unfolded_us = next;
        stmt__idmap_prune(&st->recent, last);
        if (built) {
            old = st->utail;
            st->utail = left;
        } else {
            stmt__tail_prune(&st->utail, last);
        }
        st->unindexed = st->unindexed > n ? st->unindexed - n : 0;
        pthread_cond_broadcast(&st->done);
        pthread_mutex_unlock(&st->lock);
        stmt__tail_free(&old);
        return n;
    }
    return 0;
}

/* Check a batch, then write it. Batch-level failures (conflict, void-voiding) write nothing
 * and are returned with *bad set; other errors fail the whole transaction. */
static int do_req(struct stmt_store *st, struct stmt_db_txn *t, struct stmt__req *req, int64_t now,
                  int64_t *last)
{
    for (size_t i = 0; i < req->n; i++) {
        struct stmt__prep *p = &req->items[i];
        const unsigned char *rec;
        uint64_t seq;
        size_t len;
        int rc;
        p->dup = 0;
        p->stored_us = 0;
        rc = stmt__rec_by_id_t(st, t, p->id, &seq, &rec, &len);
        if (rc == STMT_DB_OK) {
            size_t hdr = STMT_REC_HDR + 8 * rec_nterms(rec);
            if (hdr > len)
                return STMT_STORE_ERR_IO;
            /* S1/S2: same id, same content: no-op; different content: 409. */
            if (!stmt__same_content(p->src, (const char *)rec + hdr, len - hdr)) {
                req->bad_index = i;
                return STMT_STORE_ERR_CONFLICT;
            }
            p->dup = 1;
            continue;
        }
        if (rc != STMT_DB_NOTFOUND)
            return db_to_store(rc);
        if (p->flags & STMT_REC_VOIDING) {
            /* Data 2.3.2: "Any Statement that voids another cannot itself be voided." */
            for (size_t j = 0; j < req->n; j++) {
                if (j != i && (req->items[j].flags & STMT_REC_VOIDING) &&
                    memcmp(req->items[j].id, p->ref, 16) == 0) {
                    req->bad_index = i;
                    return STMT_STORE_ERR_VOID_VOIDING;
                }
            }
            rc = stmt__rec_by_id_t(st, t, p->ref, &seq, &rec, &len);
            if (rc == STMT_DB_OK && (rec[1] & STMT_REC_VOIDING)) {
                req->bad_index = i;
                return STMT_STORE_ERR_VOID_VOIDING;
            }
            if (rc && rc != STMT_DB_NOTFOUND)
                return db_to_store(rc);
        }
    }
    for (size_t i = 0; i < req->n; i++) {
        struct stmt__prep *p = &req->items[i];
        int64_t seq;
        int rc;
        if (p->dup)
            continue;
        /* A1: stored strictly monotonic, max(now, last + 1); it is also the key. */
        seq = now > *last ? now : *last + 1;
        rc = write_one(st, t, p, seq);
        if (rc)
            return rc == STMT_STORE_ERR_CONFLICT ? STMT_STORE_ERR_IO : rc;
        *last = seq;
        p->stored_us = seq;
    }
    return STMT_STORE_OK;
}

/* Hand the report facts of the group's new statements to the fold (stored order). */
static void queue_facts(struct stmt_store *st, struct stmt__req *group)
{
    for (struct stmt__req *r = group; r; r = r->next) {
        for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n; i++) {
            struct stmt__prep *p = &r->items[i];
            if (p->dup || !p->rf)
                continue;
            stmt__report_queue(st, p->stored_us, p->rf);
            p->rf = NULL;
        }
    }
}

static int is_batch_error(int rc)
{
    return rc == STMT_STORE_ERR_CONFLICT || rc == STMT_STORE_ERR_VOID_VOIDING;
}

static void write_group(struct stmt_store *st, struct stmt__req *group, int64_t now)
{
    int fatal = STMT_STORE_ERR_FULL;
    int fold_now = 0; /* a new statement is the target of a folded StatementRef */
    for (int attempt = 0; attempt < GROW_ATTEMPTS; attempt++) {
        struct stmt_db_txn *t = NULL;
        int64_t last;
        uint32_t ep_n;
        uint64_t ep_fill;
        struct stmt_db_cursor *refcur = NULL; /* "stmt_ref", for has_folded_referrer */
        int rc;

        if (attempt)
            now = sc_time_now_us();
        fold_now = 0;
        stmt__idmap_clear(&st->pending);
        rc = stmt_db_txn_begin(st->db, 1, &t);
        if (rc) {
            fatal = rc == STMT_DB_ERR_FULL ? STMT_STORE_ERR_FULL : STMT_STORE_ERR_IO;
            break;
        }
        if (st->shared) {
            /* Stored order total across nodes (issue 19 step 3): the write transaction holds
             * the one write lock of the database, so the last stored value read here is the
             * newest of every node, and max(now, last + 1) with the clock read under the lock
             * gives commit order = stored order: a `more` cursor paging by stored never misses
             * a statement that commits later with a smaller value. */
            rc = stmt__store_resync(st, t);
            if (rc) {
                stmt_db_txn_abort(t);
                fatal = db_to_store(rc);
                break;
            }
            now = sc_time_now_us();
        }
        last = st->last_us;
        ep_n = st->ep.n;
        ep_fill = st->ep.fill;
        fatal = STMT_STORE_OK;
        int redo = 0; /* a request's fn failed: abort, retry the group without it */
        for (struct stmt__req *r = group; r; r = r->next) {
            if (r->fn_rc) {
                r->rc = STMT_STORE_ERR_FN; /* aborted by its fn in an earlier try */
                continue;
            }
            rc = do_req(st, t, r, now, &last);
            if (is_batch_error(rc)) {
                r->rc = rc;
                continue;
            }
            if (rc) {
                fatal = rc;
                break;
            }
            r->rc = STMT_STORE_OK;
            /* another module's records that go with this batch (stmt_store_insert_rows) */
            for (size_t k = 0; k < r->nrows && !fatal; k++) {
                const struct stmt_row *w = &r->rows[k];
                int prc = w->val ? stmt_db_put(t, w->table, w->key, w->klen, w->val, w->vlen, 0)
                                 : stmt_db_del(t, w->table, w->key, w->klen);
                if (prc && !(prc == STMT_DB_NOTFOUND && !w->val))
                    fatal = prc == STMT_DB_ERR_FULL ? STMT_STORE_ERR_FULL : STMT_STORE_ERR_IO;
            }
            /* the caller's work in this transaction (stmt_store_insert_fn), on this thread: its
             * failure takes the request's statements and rows out (all or nothing) */
            if (r->fn && !fatal) {
                int frc = r->fn(t, r->fn_ctx);
                if (frc == STMT_DB_ERR_FULL) {
                    fatal = STMT_STORE_ERR_FULL; /* grow the map and retry */
                } else if (frc) {
                    r->fn_rc = frc;
                    r->rc = STMT_STORE_ERR_FN;
                    redo = 1;
                    break;
                }
            }
            for (size_t i = 0; !st->index_inline && !fold_now && i < r->n && !fatal; i++)
                if (!r->items[i].dup)
                    fatal = has_folded_referrer(st, t, &refcur, r->items[i].id, st->indexed_us,
                                                &fold_now);
        }
        stmt_db_cursor_close(refcur);
        refcur = NULL;
        if (redo) {
            stmt_db_txn_abort(t);
            stmt__epochs_txn_end(&st->ep, 0);
            attempt--; /* not a growth: each redo leaves one more request out */
            continue;
        }
        if (!fatal)
            fatal = stmt__outbox_write(st, t, group); /* forwarding rows: same transaction */
        if (!fatal)
            queue_facts(st, group);
        if (fatal) {
            stmt_db_txn_abort(t);
            stmt__epochs_txn_end(&st->ep, 0);
            if (fatal == STMT_STORE_ERR_FULL)
                continue;
            break;
        }
        if (st->index_inline && last != st->last_us) {
            /* Inline indexing: fold this group's records in its own transaction. */
            size_t n;
            int64_t ilast, inext;
            rc = fold_txn(st, t, (size_t)-1, &ilast, &n, &inext);
            if (rc) {
                stmt_db_txn_abort(t);
                stmt__report_discard(st);
                stmt__report_unqueue(st, st->last_us);
                st->ep.n = ep_n;
                st->ep.fill = ep_fill;
                stmt__epochs_txn_end(&st->ep, 0);
                if (rc == STMT_STORE_ERR_FULL)
                    continue;
                fatal = rc;
                break;
            }
        }
        rc = stmt_db_txn_commit(t);
        if (rc) {
            st->ep.n = ep_n;
            st->ep.fill = ep_fill;
            stmt__report_discard(st); /* inline: the cache holds this transaction's tallies */
            stmt__report_unqueue(st, st->last_us);
        }
        stmt__epochs_txn_end(&st->ep, rc == 0);
        if (rc == STMT_DB_ERR_FULL) {
            fatal = STMT_STORE_ERR_FULL;
            continue;
        }
        if (rc) {
            fatal = STMT_STORE_ERR_IO;
            break;
        }
        st->last_us = last;
        if (st->index_inline) {
            /* The ids are in "stmt_id" already. */
            stmt__idmap_clear(&st->pending);
            return;
        }
        /* Publish the new ids and terms before anyone is acknowledged (stmt_store_get reads
         * the ids, queries the tail: read-your-writes). Larger tail arrays are built before
         * the lock is taken (stmt_tail.c). */
        size_t more = 0;
        struct stmt__tail grown, old = {0};
        for (struct stmt__req *r = group; r; r = r->next)
            for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n; i++)
                if (!r->items[i].dup)
                    more += r->items[i].nterms + !!(r->items[i].flags & STMT_REC_REF);
        if (stmt__tail_prepare(&st->utail, more, &grown))
            memset(&grown, 0, sizeof grown); /* tail_add grows under the lock or fails */
        pthread_mutex_lock(&st->lock);
        if (grown.e) {
            old = st->utail;
            st->utail = grown;
        }
        int short_mem = 0;
        for (size_t i = 0; i < st->pending.cap && st->pending.n && !short_mem; i++)
            if (st->pending.vals[i] &&
                stmt__idmap_put(&st->recent, st->pending.keys[i], st->pending.vals[i]))
                short_mem = 1;
        for (struct stmt__req *r = group; r && !short_mem; r = r->next)
            for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n && !short_mem; i++)
                if (!r->items[i].dup &&
                    (stmt__tail_add(&st->utail, r->items[i].stored_us, r->items[i].terms,
                                    r->items[i].nterms) ||
                     ((r->items[i].flags & STMT_REC_REF) &&
                      stmt__tail_add(&st->utail, r->items[i].stored_us,
                                     &(const uint64_t){STMT_TAIL_REF_TERM}, 1))))
                    short_mem = 1;
        if (short_mem || fold_now) {
            /* Out of memory: fold now so ids and terms are in the tables before the ack.
             * A target of a folded referrer: fold now, so the referrer has the target's terms
             * (propagate) when its query runs (G5; rare: the referrer came first). */
            pthread_mutex_unlock(&st->lock);
            while (st->indexed_us < last && fold(st, st->fold_max) > 0)
                ;
            pthread_mutex_lock(&st->lock);
        }
        pthread_mutex_unlock(&st->lock);
        stmt__tail_free(&old);
        stmt__idmap_clear(&st->pending);
        return;
    }
    for (struct stmt__req *r = group; r; r = r->next)
        r->rc = fatal;
}

int stmt__fold_all(struct stmt_store *st)
{
    while (st->indexed_us < st->last_us) {
        size_t n = fold(st, st->fold_max);
        if (n == 0 && st->shared && st->indexed_us >= st->last_us)
            break;  /* another node folded them */
        if (n == 0) /* STMT_STORE_ERR_FULL on a full disk: stmt_store_open goes on without */
            return st->fold_err == STMT_STORE_ERR_FULL ? STMT_STORE_ERR_FULL : STMT_STORE_ERR_IO;
        st->open_folded += n;
    }
    return STMT_STORE_OK;
}

/*
 * Group gathering (the commit_delay of PostgreSQL, binlog_group_commit_sync_delay of MySQL, made
 * adaptive). Called with st->lock held and a non-empty queue. Right after a group is acked its
 * clients send again within microseconds; starting the next commit on the first arrival would
 * make it carry one or two requests and leave the rest waiting a whole commit (two device
 * flushes). So when the last group had several requests and fewer than 3/4 of that many are
 * queued, wait for them, but never longer than half the last commit's duration (bounded by
 * STMT_GATHER_MAX_US): on a fast disk the wait vanishes, alone a client never waits.
 */
#define STMT_GATHER_MAX_US 2000
static void gather(struct stmt_store *st)
{
    int64_t wait_us = st->last_commit_us / 2;
    struct timespec ts;
    if (st->closing || st->last_group < 4 || st->queued * 4 >= st->last_group * 3 || wait_us < 20)
        return;
    if (wait_us > STMT_GATHER_MAX_US)
        wait_us = STMT_GATHER_MAX_US;
    st->gather_target = st->last_group * 3 / 4;
    st->gathering = 1;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)wait_us * 1000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (!st->closing && st->queued < st->gather_target)
        if (pthread_cond_timedwait(&st->work, &st->lock, &ts) == ETIMEDOUT)
            break;
    st->gathering = 0;
}

void *stmt__writer_main(void *arg)
{
    struct stmt_store *st = arg;
    pthread_mutex_lock(&st->lock);
    for (;;) {
        struct stmt__req *group;
        int64_t now, first, before;
        int idle = 0;
        size_t stored = 0;
        while (!st->head && !st->closing) {
            if (st->indexed_us < st->committed_us && !st->fold_failed) {
                /* A backlog: fold once the writer has been idle for STMT_FOLD_IDLE_MS (clients
                 * between two batches should not pay for a small fold) or when asked to. */
                if (idle || st->sync_waiters || st->unindexed >= st->fold_min) {
                    size_t n;
                    pthread_mutex_unlock(&st->lock);
                    n = fold(st, st->fold_max);
                    pthread_mutex_lock(&st->lock);
                    st->fold_failed = n == 0; /* retried after the next commit */
                    if (n == 0) /* stmt_store_sync's waiters learn of it (issue 18: a full
                                   disk left a report waiting for a fold that never came) */
                        pthread_cond_broadcast(&st->done);
                    /* Still idle: a fold that stopped at the end of an epoch goes on. */
                    idle = idle && n > 0;
                    continue;
                }
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += STMT_FOLD_IDLE_MS * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
                idle = pthread_cond_timedwait(&st->work, &st->lock, &ts) == ETIMEDOUT;
                continue;
            }
            pthread_cond_wait(&st->work, &st->lock);
        }
        if (!st->head) {
            pthread_mutex_unlock(&st->lock);
            while (st->indexed_us < st->committed_us && fold(st, st->fold_max) > 0)
                ;
            pthread_mutex_lock(&st->lock);
            break; /* closing and drained */
        }
        gather(st);
        group = st->head;
        st->head = st->tail = NULL;
        st->last_group = st->queued;
        st->queued = 0;
        /* Read the clock under the lock: Consistent-Through relies on it (stmt_store.c). */
        now = sc_time_now_us();
        first = now > st->last_us ? now : st->last_us + 1;
        st->busy = 1;
        st->busy_from_us = first - 1;
        before = st->last_us;
        pthread_mutex_unlock(&st->lock);

        int64_t c0 = sc_time_now_us();
        write_group(st, group, now);
        int64_t commit_us = sc_time_now_us() - c0;

        pthread_mutex_lock(&st->lock);
        st->last_commit_us = commit_us;
        if (st->last_us != before && st->indexed_us >= st->committed_us) {
            /* Everything was folded: this group's first statement is the oldest unfolded. */
            for (struct stmt__req *r = group; r && st->unfolded_us <= st->indexed_us; r = r->next)
                for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n; i++)
                    if (!r->items[i].dup) {
                        st->unfolded_us = r->items[i].stored_us;
                        break;
                    }
        }
        st->committed_us = st->last_us;
        st->fold_failed = 0;
        if (st->index_inline)
            st->indexed_us = st->last_us;
        st->busy = 0;
        for (struct stmt__req *r = group; r; r = r->next)
            for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n; i++)
                stored += !r->items[i].dup;
        if (!st->index_inline && st->last_us != before)
            st->unindexed += stored;
        if (st->sync_waiters)
            pthread_cond_broadcast(&st->done);
        pthread_mutex_unlock(&st->lock);
        /* Wake each caller alone, outside the lock (its answer reads Consistent-Through,
         * which takes it). A request lives on its caller's stack: read next before posting. */
        for (struct stmt__req *r = group, *next; r; r = next) {
            next = r->next;
            sem_post(&r->acked);
        }
        pthread_mutex_lock(&st->lock);
        if (!st->index_inline && (st->unindexed >= st->fold_min || st->sync_waiters)) {
            pthread_mutex_unlock(&st->lock);
            fold(st, st->fold_max);
            pthread_mutex_lock(&st->lock);
        }
    }
    pthread_mutex_unlock(&st->lock);
    return NULL;
}
