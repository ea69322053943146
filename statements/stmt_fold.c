/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fold (deferred indexing, DESIGN.md "Storage"; split from stmt_writer.c): committed
 * statements' id entries, index terms (their own, their StatementRef chain's, G5) and report
 * tallies, written from the records in stored order, epoch by epoch (stmt_epoch.c). The writer
 * thread folds in its own transactions (stmt__fold), or inline in a group's transaction
 * (stmt__fold_txn: index_inline, and always on PostgreSQL).
 */
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"

#include <string.h>

static const char EMPTY[1] = ""; /* the value of index entries */

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

/* flags: STMT_DB_NEW for a statement's own terms as it is folded (its stored value is new);
 * 0 for terms handed on (a referrer may have the term already). */
static int idx_put(struct stmt_store *st, struct stmt_db_txn *t, uint32_t epoch, uint64_t term,
                   const unsigned char *seq8, unsigned flags)
{
    unsigned char key[STMT_IDX_KEY];
    int rc;
    stmt__idx_key(key, epoch, term, stmt__be64_get(seq8));
    rc = stmt_db_put(t, st->tbl.idx, key, sizeof key, EMPTY, 0, flags);
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
                ret = idx_put(st, t, stmt__epv_of(&ev, stmt__be64_get(seq8)), terms->v[i], seq8, 0);
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
int stmt__has_folded_referrer(struct stmt_store *st, struct stmt_db_txn *t,
                              struct stmt_db_cursor **cur, const unsigned char id[16], int64_t upto,
                              int *yes)
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
 * by the caller (puts may move pages of the map). refcur: the fold's "stmt_ref" cursor;
 * has_ref: whether id has referrers, read ahead for a batch (ref_ahead), or -1: seek refcur. */
static int index_one(struct stmt_store *st, struct stmt_db_txn *t, struct stmt_db_cursor *refcur,
                     int has_ref, uint32_t epoch, const unsigned char id[16], unsigned flags,
                     const unsigned char ref[16], const uint64_t *terms, size_t nterms,
                     const unsigned char seq8[8])
{
    struct u64vec chain = {0};
    struct stmt_db_kv kv;
    int ret = STMT_STORE_OK, yes;

    for (size_t i = 0; i < nterms; i++)
        if ((ret = idx_put(st, t, epoch, terms[i], seq8, STMT_DB_NEW)))
            return ret;
    if (flags & STMT_REC_REF) {
        if ((ret = chain_terms(st, t, ref, &chain)))
            goto out;
        for (size_t i = 0; i < chain.n && !ret; i++)
            ret = idx_put(st, t, epoch, chain.v[i], seq8, 0); /* may repeat an own term */
        if (ret)
            goto out;
    }
    yes = has_ref >= 0 ? has_ref : ref_first(refcur, id, &kv); /* has referrers */
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
                    int has_ref, const unsigned char *key, size_t klen, const unsigned char *r,
                    size_t len, struct u64vec *terms)
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
    /* a new id (do_req checked it is not stored): STMT_DB_NEW */
    prc = stmt_db_put(t, st->tbl.id, ik, sizeof ik, seq8, sizeof seq8, STMT_DB_NEW);
    if (prc)
        return db_to_store(prc);
    stmt__bloom_add(&st->ep, e, id);
    st->ep.fill++;
    return index_one(st, t, refcur, has_ref, e, id, flags, ref, terms->v, terms->n, seq8);
}

/* A shared store's records read ahead, FOLD_AHEAD at a time, before the fold writes: on
 * PostgreSQL a cursor step after a write of its transaction reads a page again from the
 * cursor's key (stmt_db_pg_cursor.c), which per record would read the group's records over
 * and over. buf holds key (8) ‖ record of each, off[i] where record i begins. */
#define FOLD_AHEAD 1024
struct ahead {
    unsigned char *buf;
    size_t len, cap, *off, n;
    unsigned char *has_ref; /* has record i's id referrers in "stmt_ref"? (ref_ahead) */
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

/* Which of the read-ahead records' ids have referrers ("stmt_ref" keys id ‖ seq): one
 * stmt_db_seek_many for the batch (the first key at or after id ‖ 0 of each) instead of a
 * cursor seek per record. The fold writes no "stmt_ref" entry, so each answer stays what a
 * seek at the record's own turn would find. */
static int ref_ahead(struct stmt_store *st, struct stmt_db_txn *t, struct ahead *a)
{
    struct stmt_db_kv *from = sc_malloc(2 * a->n * sizeof *from), *found = from + a->n;
    unsigned char(*keys)[24] = sc_malloc(a->n * 24);
    int rc = !from || !keys ? STMT_STORE_ERR_NOMEM : STMT_STORE_OK;
    if (!rc && !a->has_ref && !(a->has_ref = sc_malloc(FOLD_AHEAD)))
        rc = STMT_STORE_ERR_NOMEM;
    for (size_t i = 0; i < a->n && !rc; i++) {
        if (a->off[i + 1] - a->off[i] < 8 + STMT_REC_HDR) {
            rc = STMT_STORE_ERR_IO; /* as fold_one: a record shorter than its header */
            break;
        }
        memcpy(keys[i], a->buf + a->off[i] + 8 + 4, 16); /* the record's id */
        memset(keys[i] + 16, 0, 8);
        from[i].key = keys[i];
        from[i].klen = 24;
    }
    if (!rc && (rc = stmt_db_seek_many(t, st->tbl.ref, from, found, a->n)))
        rc = db_to_store(rc);
    for (size_t i = 0; i < a->n && !rc; i++)
        a->has_ref[i] = found[i].key && found[i].klen == 24 && !memcmp(found[i].key, keys[i], 16);
    sc_free(from);
    sc_free(keys);
    return rc;
}

void stmt__grecs_add(struct stmt__grecs *g, const unsigned char seq8[8], const void *rec,
                     size_t len)
{
    size_t need = g->len + 8 + len;
    if (!g->usable)
        return;
    if (g->n + 2 > g->ocap) {
        size_t nc = g->ocap ? 2 * g->ocap : 256;
        size_t *no = sc_realloc(g->off, nc * sizeof *no);
        if (!no)
            goto nomem;
        g->off = no;
        g->ocap = nc;
    }
    if (need > g->cap) {
        size_t nc = g->cap ? g->cap : 65536;
        unsigned char *nb;
        while (nc < need)
            nc *= 2;
        if (!(nb = sc_realloc(g->buf, nc)))
            goto nomem;
        g->buf = nb;
        g->cap = nc;
    }
    g->off[g->n++] = g->len;
    memcpy(g->buf + g->len, seq8, 8);
    memcpy(g->buf + g->len + 8, rec, len);
    g->len = need;
    g->off[g->n] = g->len;
    return;
nomem:
    g->usable = 0; /* the fold reads the records from the database */
}

void stmt__grecs_reset(struct stmt__grecs *g, int usable, int64_t after)
{
    g->len = g->n = 0;
    g->usable = usable;
    g->after = after;
}

void stmt__grecs_free(struct stmt__grecs *g)
{
    sc_free(g->buf);
    sc_free(g->off);
    memset(g, 0, sizeof *g);
}

/* The next record of the fold's source: a cursor, or the group's own records (mem). */
static int src_next(struct stmt_db_cursor *cur, const struct stmt__grecs *mem, size_t *mi,
                    struct stmt_db_kv *kv)
{
    if (!mem)
        return stmt_db_cursor_next(cur, kv);
    if (++*mi >= mem->n)
        return STMT_DB_NOTFOUND;
    kv->key = mem->buf + mem->off[*mi];
    kv->klen = 8;
    kv->val = mem->buf + mem->off[*mi] + 8;
    kv->vlen = mem->off[*mi + 1] - mem->off[*mi] - 8;
    return STMT_DB_OK;
}

/* Index up to `max` committed statements after indexed_us in `t`: the id entry and the
 * index terms of each, in the epoch it falls into (a new epoch begins once the last one holds
 * epoch_size statements), then the epochs and indexed_through, so a crash resumes where the
 * last committed fold ended. Changes st->ep in place; the caller restores it when the
 * transaction is not committed. *last is the last stored value indexed, *next the stored value
 * of the first statement left for a later fold (0: none). */
int stmt__fold_txn(struct stmt_store *st, struct stmt_db_txn *t, size_t max, int64_t *last,
                   size_t *n, int64_t *next)
{
    struct stmt_db_cursor *cur = NULL, *refcur = NULL;
    struct stmt_db_kv kv;
    unsigned char from[8];
    struct u64vec terms = {0};
    struct ahead a = {0};
    /* A shared store's inline fold: the records after indexed_us are exactly the ones this
     * group's transaction wrote (st->grecs, the writer holds the database's write lock), so
     * they come from memory instead of being read back from the database */
    const struct stmt__grecs *mem =
        st->shared && st->grecs.usable && st->grecs.after == st->indexed_us ? &st->grecs : NULL;
    size_t mi = 0;
    int rc, ret = STMT_STORE_OK;

    *last = st->indexed_us;
    *n = 0;
    *next = 0;
    stmt__be64_put(from, (uint64_t)st->indexed_us + 1);
    rc = mem ? STMT_DB_OK : stmt_db_cursor_open(t, st->tbl.stmt, &cur);
    if (!rc)
        rc = stmt_db_cursor_open(t, st->tbl.ref, &refcur);
    if (!rc && mem) {
        mi = (size_t)-1;
        rc = src_next(NULL, mem, &mi, &kv);
    } else if (!rc) {
        rc = stmt_db_cursor_seek(cur, from, sizeof from, &kv);
    }
    while (rc == 0 && *n < max && !ret) {
        if (!st->shared) { /* LMDB: each record in place (a write leaves the cursor valid) */
            int64_t seq = kv.klen == 8 ? (int64_t)stmt__be64_get(kv.key) : 0;
            ret = fold_one(st, t, refcur, -1, kv.key, kv.klen, kv.val, kv.vlen, &terms);
            *last = seq;
            ++*n;
            if (!ret)
                rc = stmt_db_cursor_next(cur, &kv);
            continue;
        }
        a.n = a.len = 0;
        while (rc == 0 && *n + a.n < max && a.n < FOLD_AHEAD && !ret)
            if (!(ret = ahead_add(&a, &kv)))
                rc = src_next(cur, mem, &mi, &kv);
        if (!ret && rc == 0) /* the next record's key, to seek again after the writes */
            memcpy(from, kv.key, kv.klen == 8 ? 8 : 0);
        /* the tally counters and texts these records' facts touch, in three batched reads
         * (stmt_report_prefetch.c) instead of a round trip per counter */
        if (!ret && a.n)
            ret = stmt__report_prefetch(st, t, (int64_t)stmt__be64_get(a.buf),
                                        (int64_t)stmt__be64_get(a.buf + a.off[a.n - 1]));
        if (!ret && a.n)
            ret = ref_ahead(st, t, &a);
        for (size_t i = 0; i < a.n && !ret; i++) {
            const unsigned char *k = a.buf + a.off[i];
            ret = fold_one(st, t, refcur, a.has_ref[i], k, 8, k + 8, a.off[i + 1] - a.off[i] - 8,
                           &terms);
            *last = (int64_t)stmt__be64_get(k);
            ++*n;
        }
        if (!ret && rc == 0 && !mem) /* mem: kv is the next record still */
            rc = stmt_db_cursor_seek(cur, from, sizeof from, &kv);
    }
    if (!ret && rc == 0 && kv.klen == 8)
        *next = (int64_t)stmt__be64_get(kv.key); /* stopped at max: the next record */
    stmt_db_cursor_close(refcur);
    stmt_db_cursor_close(cur);
    sc_free(terms.v);
    sc_free(a.buf);
    sc_free(a.off);
    sc_free(a.has_ref);
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
size_t stmt__fold(struct stmt_store *st, size_t max)
{
    size_t room =
        st->ep.n && st->ep.fill < st->epoch_size ? st->epoch_size - st->ep.fill : st->epoch_size;
    if (max > room)
        max = room;
    stmt__grecs_reset(&st->grecs, 0, 0); /* a transaction of its own: records from the database */
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
        ret = stmt__fold_txn(st, t, max, &last, &n, &next);
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

int stmt__fold_all(struct stmt_store *st)
{
    while (st->indexed_us < st->last_us) {
        size_t n = stmt__fold(st, st->fold_max);
        if (n == 0 && st->shared && st->indexed_us >= st->last_us)
            break;  /* another node folded them */
        if (n == 0) /* STMT_STORE_ERR_FULL on a full disk: stmt_store_open goes on without */
            return st->fold_err == STMT_STORE_ERR_FULL ? STMT_STORE_ERR_FULL : STMT_STORE_ERR_IO;
        st->open_folded += n;
    }
    return STMT_STORE_OK;
}
