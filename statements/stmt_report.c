/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Activity report tallies (issue 14, stmt_report.h): kept by the writer in the fold
 * transaction, read by stmt_report_activity with a few range scans. The fold visits each
 * record once, in stored order, so "latest" (passed/failed) is the latest stored. A voiding
 * statement subtracts exactly what its target added: the same extraction runs on the target's
 * record.
 */
#include "statements/stmt_report_int.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A stmt_db code as the store's (stmt_db_put already asked the map to grow on a full map). */
static int db_err(int rc)
{
    return stmt__db_to_store(rc);
}

/* ---- the writer's state: queued facts and a write-back cache of counters ------------------ */

/* slots (a power of two). 131,072 put a server with 1M statements of 10,000 agents at 105 MiB
 * RssAnon (bench/run_memory.sh, over the 100 MB of issue 3); 32,768: 87 MiB */
#define CACHE_CAP 32768
#define CACHE_FLUSH (CACHE_CAP / 2) /* entries held before a flush */
#define CACHE_KEY 29
#define KNOWN_CAP 65536  /* text hashes known to be stored */
#define QUEUE_MAX 262144 /* facts waiting for their fold; past it the fold parses the record */

struct centry {
    unsigned char state; /* 0 empty, 1 loaded, 2 changed */
    unsigned char klen;
    unsigned short nv;
    unsigned char key[CACHE_KEY];
    uint64_t *v;     /* nv values: inl, or owned */
    uint64_t inl[2]; /* small values live in the slot (one cache miss less) */
};

struct qitem {
    int64_t seq;
    struct stmt__rfacts *f;
};

struct stmt__rstate {
    struct centry *slots;
    size_t used;
    uint64_t *known; /* open addressing, 0 = empty */
    size_t nknown;
    struct stmt_db_txn *stat_txn; /* the transaction voided_any was read in */
    int voided_any;               /* its voided set has entries */
    struct qitem *q;              /* ring */
    size_t qhead, qn, qcap;
    /* PostgreSQL (several nodes write the tallies): the "rpt_version" row of stmt_meta the
     * cached counters match; each fold transaction reads it first and bumps it at its flush */
    uint64_t version;
};

#define RPT_VERSION_KEY "rpt_version"

static struct stmt__rstate *rstate(struct stmt_store *st)
{
    if (!st->rpt) {
        struct stmt__rstate *r = sc_calloc(1, sizeof *r);
        if (!r)
            return NULL;
        r->slots = sc_calloc(CACHE_CAP, sizeof *r->slots);
        r->known = sc_calloc(KNOWN_CAP, sizeof *r->known);
        if (!r->slots || !r->known) {
            sc_free(r->slots);
            sc_free(r->known);
            sc_free(r);
            return NULL;
        }
        st->rpt = r;
    }
    return st->rpt;
}

void stmt__report_queue(struct stmt_store *st, int64_t seq, struct stmt__rfacts *f)
{
    struct stmt__rstate *r = rstate(st);
    if (!r || r->qn == QUEUE_MAX) {
        sc_free(f);
        return;
    }
    if (r->qn == r->qcap) {
        size_t nc = r->qcap ? r->qcap * 2 : 1024;
        struct qitem *nq = sc_malloc(nc * sizeof *nq);
        if (!nq) {
            sc_free(f);
            return;
        }
        for (size_t i = 0; i < r->qn; i++)
            nq[i] = r->q[(r->qhead + i) % r->qcap];
        sc_free(r->q);
        r->q = nq;
        r->qcap = nc;
        r->qhead = 0;
    }
    r->q[(r->qhead + r->qn) % r->qcap] = (struct qitem){seq, f};
    r->qn++;
}

void stmt__report_unqueue(struct stmt_store *st, int64_t after)
{
    struct stmt__rstate *r = st->rpt;
    while (r && r->qn && r->q[(r->qhead + r->qn - 1) % r->qcap].seq > after) {
        sc_free(r->q[(r->qhead + r->qn - 1) % r->qcap].f);
        r->qn--;
    }
}

/* The queued facts of statement seq (owned by the caller now), or NULL. */
static struct stmt__rfacts *dequeue(struct stmt__rstate *r, int64_t seq)
{
    while (r->qn && r->q[r->qhead].seq < seq) {
        sc_free(r->q[r->qhead].f);
        r->qhead = (r->qhead + 1) % r->qcap;
        r->qn--;
    }
    if (r->qn && r->q[r->qhead].seq == seq) {
        struct stmt__rfacts *f = r->q[r->qhead].f;
        r->qhead = (r->qhead + 1) % r->qcap;
        r->qn--;
        return f;
    }
    return NULL;
}

static uint64_t mix(const unsigned char *k, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static int cmp_entry(const void *pa, const void *pb)
{
    const struct centry *a = *(const struct centry *const *)pa;
    const struct centry *b = *(const struct centry *const *)pb;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (int)a->klen - (int)b->klen;
}

static void cache_clear(struct stmt__rstate *r)
{
    for (size_t i = 0; r->used && i < CACHE_CAP; i++)
        if (r->slots[i].v != r->slots[i].inl)
            sc_free(r->slots[i].v);
    memset(r->slots, 0, CACHE_CAP * sizeof *r->slots);
    r->used = 0;
}

/* Write the changed values (in key order: neighbours share pages). keep: the cache stays
 * (entries now match the table: the end of a fold, whose transaction commits), else it is
 * emptied (full in the middle of a fold). */
static int cache_flush(struct stmt_store *st, struct stmt_db_txn *txn, int keep)
{
    struct stmt__rstate *r = st->rpt;
    struct centry **v;
    size_t n = 0;
    int ret = STMT_STORE_OK;
    if (!r || !r->used)
        return STMT_STORE_OK;
    v = sc_malloc(r->used * sizeof *v);
    if (!v)
        return STMT_STORE_ERR_NOMEM;
    for (size_t i = 0; i < CACHE_CAP; i++)
        if (r->slots[i].state == 2)
            v[n++] = &r->slots[i];
    qsort(v, n, sizeof *v, cmp_entry);
    for (size_t i = 0; i < n && !ret; i++) {
        struct centry *e = v[i];
        int zero = 1, rc;
        for (size_t j = 0; j < e->nv; j++)
            zero &= e->v[j] == 0;
        if (zero) {
            rc = stmt_db_del(txn, st->tbl.rpt, e->key, e->klen);
            rc = rc == STMT_DB_NOTFOUND ? 0 : rc;
        } else {
            rc = stmt_db_put(txn, st->tbl.rpt, e->key, e->klen, e->v, e->nv * 8u, 0);
        }
        if (rc)
            ret = db_err(rc);
        e->state = 1;
    }
    sc_free(v);
    if (!keep || ret)
        cache_clear(r);
    return ret;
}

void stmt__report_discard(struct stmt_store *st)
{
    struct stmt__rstate *r = st->rpt;
    if (!r)
        return;
    r->stat_txn = NULL;
    if (r->used)
        cache_clear(r);
    /* texts the aborted transaction stored are not stored: forget what is known (a fold
     * redone after the map grew would otherwise leave a verb without its id) */
    if (r->nknown) {
        memset(r->known, 0, KNOWN_CAP * sizeof *r->known);
        r->nknown = 0;
    }
}

/* The nv counters under key k, loaded on first use; the caller changes them and marks the
 * entry changed (state 2). NULL with *err set on failure. */
static struct centry *cache_get(struct stmt_store *st, struct stmt_db_txn *txn, const struct key *k,
                                size_t nv, int *err)
{
    struct stmt__rstate *r = st->rpt;
    size_t i, vlen = 0;
    const void *val = NULL;
    int rc;
    if (r->used >= CACHE_FLUSH && (*err = cache_flush(st, txn, 0)))
        return NULL;
    i = (size_t)mix(k->b, k->n) & (CACHE_CAP - 1);
    while (r->slots[i].state) {
        if (r->slots[i].klen == k->n && !memcmp(r->slots[i].key, k->b, k->n))
            return &r->slots[i];
        i = (i + 1) & (CACHE_CAP - 1);
    }
    rc = stmt_db_get(txn, st->tbl.rpt, k->b, k->n, &val, &vlen);
    if (rc && rc != STMT_DB_NOTFOUND) {
        *err = db_err(rc);
        return NULL;
    }
    memset(r->slots[i].inl, 0, sizeof r->slots[i].inl);
    r->slots[i].v = nv <= 2 ? r->slots[i].inl : sc_calloc(nv, 8);
    if (!r->slots[i].v) {
        *err = STMT_STORE_ERR_NOMEM;
        return NULL;
    }
    r->slots[i].state = 1;
    r->slots[i].klen = (unsigned char)k->n;
    r->slots[i].nv = (unsigned short)nv;
    memcpy(r->slots[i].key, k->b, k->n);
    if (rc == 0 && vlen == nv * 8)
        memcpy(r->slots[i].v, val, nv * 8);
    r->used++;
    return &r->slots[i];
}

/* Add delta[i] to the i-th of nv counters under k. */
static int counters(struct stmt_store *st, struct stmt_db_txn *txn, const struct key *k, size_t nv,
                    const int64_t *delta)
{
    int err = 0;
    struct centry *e = cache_get(st, txn, k, nv, &err);
    if (!e)
        return err;
    for (size_t i = 0; i < nv; i++)
        e->v[i] += (uint64_t)delta[i];
    e->state = 2;
    return STMT_STORE_OK;
}

static int known(struct stmt__rstate *r, uint64_t h, int add)
{
    size_t i;
    h |= 1; /* 0 marks an empty slot */
    if (add && r->nknown >= KNOWN_CAP / 2) {
        memset(r->known, 0, KNOWN_CAP * sizeof *r->known);
        r->nknown = 0;
    }
    for (i = (size_t)(h ^ (h >> 31)) & (KNOWN_CAP - 1); r->known[i]; i = (i + 1) & (KNOWN_CAP - 1))
        if (r->known[i] == h)
            return 1;
    if (add) {
        r->known[i] = h;
        r->nknown++;
    }
    return 0;
}

/* 1 when the text behind h is stored (checked in memory, then in the table). */
static int text_known(struct stmt_store *st, struct stmt_db_txn *txn, uint64_t h, int *err)
{
    struct key k;
    const void *val;
    size_t vlen;
    int rc;
    if (known(st->rpt, h, 0))
        return 1;
    key_start(&k, 'T', h);
    rc = stmt_db_get(txn, st->tbl.rpt, k.b, k.n, &val, &vlen);
    if (rc == 0) {
        known(st->rpt, h, 1);
        return 1;
    }
    if (rc != STMT_DB_NOTFOUND)
        *err = db_err(rc);
    return 0;
}

/* Store the text behind hash h: a, or a NUL b (b may be NULL). */
static int text_put(struct stmt_store *st, struct stmt_db_txn *txn, uint64_t h, const char *a,
                    const char *b)
{
    struct key k;
    char buf[2 * STMT_REPORT_MAX_TEXT + 2];
    size_t na = strlen(a), nb = b ? strlen(b) : 0, n;
    int rc;
    if (na > STMT_REPORT_MAX_TEXT)
        na = STMT_REPORT_MAX_TEXT;
    if (nb > STMT_REPORT_MAX_TEXT)
        nb = STMT_REPORT_MAX_TEXT;
    memcpy(buf, a, na);
    n = na;
    if (b) {
        buf[n++] = '\0';
        memcpy(buf + n, b, nb);
        n += nb;
    }
    key_start(&k, 'T', h);
    rc = stmt_db_put(txn, st->tbl.rpt, k.b, k.n, buf, n, 0);
    if (rc)
        return db_err(rc);
    known(st->rpt, h, 1);
    return STMT_STORE_OK;
}

/* The latest passed/failed of (act, ordinal) among the 'F' keys stored before `below`:
 * *pf 0 when none. */
int stmt__report_latest_pf(struct stmt_store *st, struct stmt_db_txn *txn, uint64_t act,
                           uint32_t ord, uint64_t below, uint64_t lo, unsigned *pf)
{
    struct key k;
    struct stmt_db_cursor *cur;
    struct stmt_db_kv kv;
    int rc;
    *pf = 0;
    key_start(&k, 'F', act);
    key_u32(&k, ord);
    key_u64(&k, below);
    if ((rc = stmt_db_cursor_open(txn, st->tbl.rpt, &cur)))
        return db_err(rc);
    /* the key before the first >= k (none: the cursor is past the end, and _prev gives the
     * last key of the table) */
    rc = stmt_db_cursor_seek(cur, k.b, k.n, &kv);
    if (rc == 0 || rc == STMT_DB_NOTFOUND)
        rc = stmt_db_cursor_prev(cur, &kv);
    if (rc == 0 && kv.klen == 21 && !memcmp(kv.key, k.b, 13) && kv.vlen == 1 &&
        stmt__be64_get((const unsigned char *)kv.key + 13) >= lo)
        *pf = ((const unsigned char *)kv.val)[0];
    stmt_db_cursor_close(cur);
    return rc == 0 || rc == STMT_DB_NOTFOUND ? STMT_STORE_OK : db_err(rc);
}

/* The dense ordinal of an actor ('O' actor -> ordinal + 1, 'N' -> the next one), so that
 * per-activity actor sets are bitmaps ('B', 'b'): a statement then touches a few hot keys of
 * its activities instead of one random key per (activity, actor). */
static int ordinal(struct stmt_store *st, struct stmt_db_txn *txn, uint64_t actor, uint32_t *ord)
{
    struct key k;
    struct centry *e, *n;
    int rc = 0;
    k.b[0] = 'O';
    stmt__be64_put(k.b + 1, actor);
    k.n = 9;
    if (!(e = cache_get(st, txn, &k, 1, &rc)))
        return rc;
    if (e->v[0]) {
        *ord = (uint32_t)(e->v[0] - 1);
        return STMT_STORE_OK;
    }
    key_start(&k, 'N', 0);
    if (!(n = cache_get(st, txn, &k, 1, &rc)))
        return rc;
    if (n->v[0] >= UINT32_MAX)
        return STMT_STORE_ERR_FULL;
    *ord = (uint32_t)n->v[0]++;
    n->state = 2;
    /* the lookup above may have flushed the cache: find the actor's entry again */
    k.b[0] = 'O';
    stmt__be64_put(k.b + 1, actor);
    k.n = 9;
    if (!(e = cache_get(st, txn, &k, 1, &rc)))
        return rc;
    e->v[0] = (uint64_t)*ord + 1;
    e->state = 2;
    return STMT_STORE_OK;
}

static int bit_get(const uint64_t *w, unsigned base, uint32_t ord)
{
    unsigned i = ord % CHUNK;
    return (int)(w[base + i / 64] >> (i % 64) & 1);
}

static void bit_set(uint64_t *w, unsigned base, uint32_t ord, int on)
{
    unsigned i = ord % CHUNK;
    uint64_t m = 1ull << (i % 64);
    if (on)
        w[base + i / 64] |= m;
    else
        w[base + i / 64] &= ~m;
}

/* Voiding took a statement of (act, actor) out: does the actor still have a counted
 * statement about act (*any), a completion (*comp), and the same on day `day`? Walks the
 * actor's index entries ('a' term `walk`: its IFI, or an anonymous Group's first member) stored
 * before `upto`, skipping the removed statement `gone` and statements voided by then. Rare
 * (voiding), so it may parse. */
/* Does the statement stored at seq count (stored, not voiding, not voided before upto)? 1 with
 * *rec and *len set (borrowed until the next write), 0, or a negative stmt_db error. */
static int counted(struct stmt_store *st, struct stmt_db_txn *txn, uint64_t seq, uint64_t upto,
                   const unsigned char **rec, size_t *len)
{
    unsigned char s8[8];
    const void *rv, *vv;
    size_t rl, vl;
    int rc;
    stmt__be64_put(s8, seq);
    rc = stmt_db_get(txn, st->tbl.stmt, s8, 8, &rv, &rl);
    if (rc)
        return rc == STMT_DB_NOTFOUND ? 0 : rc;
    *rec = rv;
    *len = rl;
    if (rl < STMT_REC_HDR || ((*rec)[1] & STMT_REC_VOIDING))
        return 0;
    rc = stmt_db_get(txn, st->tbl.voided, *rec + 4, 16, &vv, &vl);
    if (rc == 0)
        return !(vl == 8 && stmt__be64_get(vv) < upto);
    return rc == STMT_DB_NOTFOUND ? 1 : rc;
}

/* Voiding took a statement of (act, actor) out: does the actor still have a counted
 * statement about act (*any), a completion (*comp), and the same on day `day`? Walks the
 * actor's index entries ('a' term `walk`: its IFI, or an anonymous Group's first member) stored
 * before `upto`, skipping the removed statement `gone` and statements voided by then. Rare
 * (voiding), so it may parse. */
static int recheck(struct stmt_store *st, struct stmt_db_txn *txn, uint64_t act, uint64_t actor,
                   uint64_t walk, uint64_t upto, uint64_t gone, uint32_t day, int out[4])
{
    uint64_t buf[STMT__RFACTS_MAX / 8 + 1];
    struct stmt__rfacts *f = (struct stmt__rfacts *)buf;
    struct stmt_db_cursor *cur = NULL;
    int rc = 0;
    memset(out, 0, 4 * sizeof *out);
    if ((rc = stmt_db_cursor_open(txn, st->tbl.idx, &cur)))
        return db_err(rc);
    for (uint32_t e = 0; e < st->ep.n && !(out[0] && out[1] && out[2] && out[3]); e++) {
        unsigned char key[STMT_IDX_KEY];
        struct stmt_db_kv kv;
        stmt__idx_key(key, e, walk, 0);
        rc = stmt_db_cursor_seek(cur, key, sizeof key, &kv);
        while (rc == 0 && kv.klen == STMT_IDX_KEY && !memcmp(kv.key, key, 12)) {
            uint64_t seq = stmt__be64_get((const unsigned char *)kv.key + 12);
            const unsigned char *r = NULL;
            size_t len = 0;
            int c;
            if (seq >= upto)
                break;
            c = seq == gone ? 0 : counted(st, txn, seq, upto, &r, &len);
            if (c < 0) {
                rc = c;
                break;
            }
            if (c && STMT_REC_HDR + 8 * (size_t)(r[2] << 8 | r[3]) <= len) {
                size_t hdr = STMT_REC_HDR + 8 * (size_t)(r[2] << 8 | r[3]);
                struct stmt__rtexts t;
                cJSON *tree = cJSON_ParseWithLength((const char *)r + hdr, len - hdr);
                int about = 0;
                if (!tree) {
                    rc = STMT_DB_ERR_NOMEM;
                    break;
                }
                stmt__report_facts_of(tree, f, &t);
                cJSON_Delete(tree);
                about = f->actor == actor && f->has_obj && f->obj == act;
                for (size_t i = 0; i < f->nctx && !about; i++)
                    about = f->actor == actor && f->ctx[i] == act;
                if (about) {
                    int comp = f->has_obj && f->obj == act && f->completed;
                    int same = (uint32_t)(seq / (uint64_t)stmt__report_day_us()) == day;
                    out[0] = 1;
                    out[1] |= comp;
                    out[2] |= same;
                    out[3] |= same && comp;
                }
            }
            rc = stmt_db_cursor_next(cur, &kv);
        }
        if (rc == STMT_DB_NOTFOUND)
            rc = 0;
        if (rc)
            break;
    }
    stmt_db_cursor_close(cur);
    return rc ? db_err(rc) : STMT_STORE_OK;
}

static void dput(uint64_t *v, int i, double d)
{
    memcpy(&v[i], &d, 8);
}

static int score_bin(double v)
{
    int bin = (int)floor(v * 10 + 1e-9);
    return bin < 0 ? 0 : bin > 9 ? 9 : bin;
}

static void score_add(uint64_t *v, double x, int sign)
{
    if (sign > 0) {
        if (!v[H_N] || x < dget(v, H_MIN))
            dput(v, H_MIN, x);
        if (!v[H_N] || x > dget(v, H_MAX))
            dput(v, H_MAX, x);
        v[H_N]++;
        dput(v, H_SUM, dget(v, H_SUM) + x);
        v[H_HIST + score_bin(x)]++;
        return;
    }
    if (!v[H_N])
        return;
    v[H_N]--;
    dput(v, H_SUM, v[H_N] ? dget(v, H_SUM) - x : 0.0);
    if (v[H_HIST + score_bin(x)])
        v[H_HIST + score_bin(x)]--;
    if (!v[H_N])
        memset(v + H_N, 0, (D_NV - H_N) * 8); /* nothing left: no min, max or staleness */
    else if (x <= dget(v, H_MIN) || x >= dget(v, H_MAX))
        v[H_STALE] = 1;
}

/* One statement (sign +1) or its removal (-1, upto: the voiding statement) for activity act;
 * ord is the actor's ordinal. */
static int apply_one(struct stmt_store *st, struct stmt_db_txn *txn, const struct stmt__rfacts *f,
                     uint32_t ord, uint64_t act, uint32_t day, uint64_t seq, int sign,
                     uint64_t upto)
{
    int is_obj = f->has_obj && act == f->obj;
    int64_t s = sign, dday = 0;
    int comp, dseen, dcomp, pass1, fail1;
    struct centry *all, *dayb;
    struct key k, kd;
    int rc = 0, now[4] = {1, 1, 1, 1};

    key_start(&k, 'B', act);
    key_u32(&k, ord / CHUNK);
    key_start(&kd, 'b', act);
    key_u32(&kd, day);
    key_u32(&kd, ord / CHUNK);
    if (sign < 0 && (rc = recheck(st, txn, act, f->actor, f->walk, upto, seq, day, now)))
        return rc;
    if (sign > 0)
        now[1] = now[3] = is_obj && f->completed;
    /* all time */
    if (!(all = cache_get(st, txn, &k, 4 * BMW, &rc)))
        return rc;
    comp = bit_get(all->v, BM_COMP, ord);
    pass1 = bit_get(all->v, BM_PASS, ord);
    fail1 = bit_get(all->v, BM_FAIL, ord);
    if (is_obj && f->pf) {
        struct key fk;
        unsigned char pfb = f->pf;
        unsigned latest = f->pf;
        key_start(&fk, 'F', act);
        key_u32(&fk, ord);
        key_u64(&fk, seq);
        if (sign > 0) {
            rc = stmt_db_put(txn, st->tbl.rpt, fk.b, fk.n, &pfb, 1, 0);
        } else {
            rc = stmt_db_del(txn, st->tbl.rpt, fk.b, fk.n);
            rc = rc == STMT_DB_NOTFOUND ? 0 : rc;
            if (!rc && (rc = stmt__report_latest_pf(st, txn, act, ord, UINT64_MAX, 0, &latest)))
                return rc;
        }
        if (rc)
            return db_err(rc);
        pass1 = latest == PF_PASSED;
        fail1 = latest == PF_FAILED;
    }
    /* the bitmaps after the change: added bits are set, removed ones as the recheck found (no
     * cache_get since `all` was taken: the entry is still valid); all-time totals are the
     * bitmaps' populations */
    bit_set(all->v, BM_SEEN, ord, sign > 0 ? 1 : now[0]);
    bit_set(all->v, BM_COMP, ord, sign > 0 ? (comp || now[1]) : now[1]);
    bit_set(all->v, BM_PASS, ord, pass1);
    bit_set(all->v, BM_FAIL, ord, fail1);
    all->state = 2;
    /* the day */
    if (!(dayb = cache_get(st, txn, &kd, 2 * BMW, &rc)))
        return rc;
    dseen = bit_get(dayb->v, BM_SEEN, ord);
    dcomp = bit_get(dayb->v, BM_COMP, ord);
    if (sign > 0) {
        dday = !dseen;
        bit_set(dayb->v, BM_SEEN, ord, 1);
        bit_set(dayb->v, BM_COMP, ord, dcomp || now[3]);
    } else {
        dday = -(int64_t)(dseen && !now[2]);
        bit_set(dayb->v, BM_SEEN, ord, now[2]);
        bit_set(dayb->v, BM_COMP, ord, now[3]);
    }
    dayb->state = 2;

    key_start(&k, 'D', act);
    key_u32(&k, day);
    {
        struct centry *de = cache_get(st, txn, &k, D_NV, &rc);
        if (!de)
            return rc;
        de->v[D_ST] += (uint64_t)s;
        de->v[D_ACT] += (uint64_t)dday;
        if (is_obj && f->has_score)
            score_add(de->v, f->scaled, sign);
        de->state = 2;
    }
    key_start(&k, 'V', act);
    key_u32(&k, day);
    key_u64(&k, f->verb_h);
    if ((rc = counters(st, txn, &k, 1, &s)))
        return rc;
    if (!is_obj && f->question) {
        int64_t dq[2] = {s, f->success ? s : 0};
        key_start(&k, 'Q', act);
        key_u32(&k, day);
        key_u64(&k, f->qh);
        if ((rc = counters(st, txn, &k, 2, dq)))
            return rc;
        if (f->has_resp) {
            k.b[0] = 'R'; /* 'R' act day question response */
            key_u64(&k, f->rh);
            if ((rc = counters(st, txn, &k, 1, &s)))
                return rc;
        }
    }
    return STMT_STORE_OK;
}

/* The texts a statement brings that the store does not have yet, from its record (parsed
 * only then). rec is read before any write of this statement. */
static int new_texts(struct stmt_store *st, struct stmt_db_txn *txn, const struct stmt__rfacts *f,
                     const unsigned char *rec, size_t len)
{
    size_t nt = (size_t)(rec[2] << 8 | rec[3]), hdr = STMT_REC_HDR + 8 * nt;
    int err = 0, need;
    cJSON *tree;
    uint64_t buf[STMT__RFACTS_MAX / 8 + 1];
    struct stmt__rtexts t;
    need = !text_known(st, txn, f->verb_h, &err);
    if (!err && f->question && f->nctx)
        need |= !text_known(st, txn, f->qh, &err);
    if (!err && f->question && f->nctx && f->has_resp)
        need |= !text_known(st, txn, f->rh, &err);
    if (err || !need)
        return err;
    if (hdr > len)
        return STMT_STORE_ERR_IO;
    tree = cJSON_ParseWithLength((const char *)rec + hdr, len - hdr);
    if (!tree)
        return STMT_STORE_ERR_NOMEM;
    stmt__report_facts_of(tree, (struct stmt__rfacts *)buf, &t);
    err = text_put(st, txn, f->verb_h, t.verb, NULL);
    if (!err && t.qid)
        err = text_put(st, txn, f->qh, t.qid, t.qname ? t.qname : "");
    if (!err && t.qid && t.response)
        err = text_put(st, txn, f->rh, t.response, NULL);
    cJSON_Delete(tree);
    return err;
}

static int apply(struct stmt_store *st, struct stmt_db_txn *txn, const unsigned char *rec,
                 size_t len, uint64_t seq, int sign, struct stmt__rfacts *given, uint64_t upto)
{
    size_t nt = (size_t)(rec[2] << 8 | rec[3]), hdr = STMT_REC_HDR + 8 * nt;
    uint32_t day = (uint32_t)(seq / (uint64_t)stmt__report_day_us()), ord = 0;
    uint64_t buf[STMT__RFACTS_MAX / 8 + 1];
    struct stmt__rfacts *f = given;
    int rc = STMT_STORE_OK;
    if (hdr > len)
        return STMT_STORE_ERR_IO;
    if (!f) {
        struct stmt__rtexts t;
        cJSON *tree = cJSON_ParseWithLength((const char *)rec + hdr, len - hdr);
        if (!tree)
            return STMT_STORE_ERR_NOMEM; /* the writer wrote it from a parsed tree */
        f = (struct stmt__rfacts *)buf;
        stmt__report_facts_of(tree, f, &t);
        cJSON_Delete(tree);
    }
    if (!f->has_obj && !f->nctx)
        return STMT_STORE_OK; /* about no activity */
    if (sign > 0)
        rc = new_texts(st, txn, f, rec, len);
    if (!rc)
        rc = ordinal(st, txn, f->actor, &ord);
    if (!rc && f->has_obj)
        rc = apply_one(st, txn, f, ord, f->obj, day, seq, sign, upto);
    for (size_t i = 0; i < f->nctx && !rc; i++)
        rc = apply_one(st, txn, f, ord, f->ctx[i], day, seq, sign, upto);
    return rc;
}

/* PostgreSQL: another node may have changed the tallies since this node's last fold (plan
 * step 4): the cached counters are good only while "rpt_version" is the one they were
 * written at. Read in the fold's transaction, under the write lock every node takes. */
static int version_check(struct stmt_store *st, struct stmt__rstate *r, struct stmt_db_txn *txn)
{
    const void *v;
    size_t vl;
    uint64_t now = 0;
    int rc = stmt_db_get(txn, st->tbl.meta, RPT_VERSION_KEY, sizeof RPT_VERSION_KEY - 1, &v, &vl);
    if (rc && rc != STMT_DB_NOTFOUND)
        return db_err(rc);
    if (!rc && vl == 8)
        now = stmt__be64_get(v);
    if (now != r->version && r->used)
        cache_clear(r);
    r->version = now;
    return STMT_STORE_OK;
}

/* The first fold call of a transaction. Most stores void little: the lookup of each id in the
 * voided set is skipped while it is empty (one range count capped at one key). */
static int txn_start(struct stmt_store *st, struct stmt__rstate *r, struct stmt_db_txn *txn)
{
    static const unsigned char lo[1] = {0},
                               hi[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct stmt_db_cursor *c = NULL;
    size_t n = 1;
    int rc;
    if (st->db->pg && (rc = version_check(st, r, txn)))
        return rc;
    r->stat_txn = txn;
    if (!stmt_db_cursor_open(txn, st->tbl.voided, &c) &&
        stmt_db_cursor_count(c, lo, sizeof lo, hi, sizeof hi, 1, &n))
        n = 1; /* unknown: look each id up */
    stmt_db_cursor_close(c);
    r->voided_any = n > 0;
    return STMT_STORE_OK;
}

int stmt__report_fold(struct stmt_store *st, struct stmt_db_txn *txn, const unsigned char *rec,
                      size_t len, uint64_t seq)
{
    struct stmt__rstate *r = rstate(st);
    struct stmt__rfacts *f;
    unsigned char id[16], ref[16];
    const void *v = NULL;
    size_t vl = 0;
    int rc;
    if (!r)
        return STMT_STORE_ERR_NOMEM;
    if (len < STMT_REC_HDR)
        return STMT_STORE_ERR_IO;
    f = dequeue(r, (int64_t)seq);
    if (r->stat_txn != txn && (rc = txn_start(st, r, txn))) {
        sc_free(f);
        return rc;
    }
    memcpy(id, rec + 4, 16);
    memcpy(ref, rec + 20, 16);
    if (rec[1] & STMT_REC_VOIDING) {
        /* Take the target out if it was counted: stored before this statement, and this is
         * its first voiding statement (the one in "stmt_voided"). */
        const unsigned char *t = NULL;
        size_t tlen = 0;
        uint64_t ts = 0;
        sc_free(f);
        rc = stmt_db_get(txn, st->tbl.voided, ref, 16, &v, &vl);
        if (rc == STMT_DB_NOTFOUND)
            return STMT_STORE_OK;
        if (rc)
            return db_err(rc);
        if (vl != 8 || stmt__be64_get(v) != seq)
            return STMT_STORE_OK;
        rc = stmt__rec_by_id_t(st, txn, ref, &ts, &t, &tlen);
        if (rc == STMT_DB_NOTFOUND)
            return STMT_STORE_OK;
        if (rc)
            return db_err(rc);
        if (ts >= seq || (t[1] & STMT_REC_VOIDING))
            return STMT_STORE_OK;
        return apply(st, txn, t, tlen, ts, -1, NULL, seq);
    }
    /* Voided by a statement stored before it: never counted. */
    rc = r->voided_any ? stmt_db_get(txn, st->tbl.voided, id, 16, &v, &vl) : STMT_DB_NOTFOUND;
    if (rc == 0 && vl == 8 && stmt__be64_get(v) < seq) {
        sc_free(f);
        return STMT_STORE_OK;
    }
    if (rc && rc != STMT_DB_NOTFOUND) {
        sc_free(f);
        return db_err(rc);
    }
    rc = apply(st, txn, rec, len, seq, +1, f, seq);
    sc_free(f);
    return rc;
}

int stmt__report_flush(struct stmt_store *st, struct stmt_db_txn *txn)
{
    struct stmt__rstate *r = st->rpt;
    int rc;
    if (r)
        r->stat_txn = NULL;
    rc = cache_flush(st, txn, 1);
    if (!rc && r && st->db->pg) { /* the counters of this node's cache are the table's now */
        unsigned char v8[8];
        stmt__be64_put(v8, r->version + 1);
        rc = stmt_db_put(txn, st->tbl.meta, RPT_VERSION_KEY, sizeof RPT_VERSION_KEY - 1, v8, 8, 0);
        if (rc) {
            cache_clear(r);
            return db_err(rc);
        }
        r->version++;
    }
    return rc;
}

void stmt__report_free(struct stmt_store *st)
{
    struct stmt__rstate *r = st->rpt;
    if (!r)
        return;
    while (r->qn) {
        sc_free(r->q[r->qhead].f);
        r->qhead = (r->qhead + 1) % r->qcap;
        r->qn--;
    }
    sc_free(r->q);
    cache_clear(r);
    sc_free(r->slots);
    sc_free(r->known);
    sc_free(r);
    st->rpt = NULL;
}
