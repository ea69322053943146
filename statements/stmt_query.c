/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statement queries (xAPI 1.0.3 Comm 2.1.3 "GET Statements", Data 2.5 "Retrieval of
 * Statements"): a planner that walks the most selective index term in stored order, cheap
 * index probes for the other terms, confirmation against the record, voided statements left
 * out (Comm 2.1.4), the StatementRef rule (G5), and signed `more` cursors.
 *
 * Planner: every filter is one term; each term's entries inside the time window are counted
 * up to PLAN_CAP and the smallest drives the walk (no filter: the main table). Other terms are
 * checked by a point lookup of epoch ‖ hash ‖ seq in "stmt_idx" before the record is read.
 * Index keys begin with their fold epoch (stmt_epoch.c), so a term is walked epoch by epoch
 * in stored order, each epoch's part clipped to the time window.
 *
 * Confirmation: a record matches when every filter's hash is among its own terms (header)
 * and the filter's value occurs in its JSON as a JSON string; failing that, when its
 * StatementRef target matches (recursively, G5). Records are read in place from the map and
 * copied once, into the page.
 *
 * Cursor (`more`): hex of version ‖ query hash ‖ last seq ‖ snapshot seq ‖ issue time, and a
 * truncated HMAC-SHA-256 under the store's key. The snapshot is the last committed sequence
 * when the first page ran; later pages never go beyond it and continue after the last seq
 * returned, so concurrent writes cause neither gaps nor duplicates (G8). Each page is its own
 * short read transaction.
 */
#include "statements/stmt_needles.h"
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PLAN_CAP 1000
#define MAX_FILTERS 4
#define CURSOR_VERSION 1
#define CURSOR_RAW 33 /* 1 + 8 + 8 + 8 + 8 */
#define CURSOR_MAC 16

struct filter {
    char kind;
    uint64_t hash;
    struct stmt__needles nd; /* what must occur in the record's JSON (stmt_needles.h) */
};

struct plan {
    struct filter f[MAX_FILTERS];
    int nf;
    int driver; /* index into f, or -1 for the main table */
    uint64_t lo, hi;
    struct stmt__epv ev; /* the epochs of the query's transaction */
    /* Read-your-writes (stmt_tail.c): index entries exist up to ix; after it, the candidates
     * are the tail's statements of one filter term (newest first), or the main table. */
    uint64_t ix;
    int64_t *tail;
    size_t ntail;
    struct stmt__voided_view vv; /* shared stores: the voided set when small (stmt_store.c) */
};

static void plan_free(struct plan *p)
{
    sc_free(p->tail);
    for (int i = 0; i < p->nf; i++)
        stmt__needles_free(&p->f[i].nd);
}

static int add_filter(struct plan *p, char kind, const char *value)
{
    struct filter *f = &p->f[p->nf++];
    f->kind = kind;
    return stmt__needles_init(&f->nd, kind, value, &f->hash);
}

static int own_match(const struct plan *p, const unsigned char *rec, size_t len)
{
    size_t nt = (size_t)(rec[2] << 8 | rec[3]), hdr = STMT_REC_HDR + 8 * nt;
    const char *json = (const char *)rec + hdr;
    size_t jl;
    if (hdr > len)
        return 0;
    jl = len - hdr;
    for (int i = 0; i < p->nf; i++) {
        const struct filter *f = &p->f[i];
        if (!stmt__rec_has_term(rec, nt, f->hash))
            return 0;
        if (!stmt__needles_in(&f->nd, json, jl))
            return 0;
    }
    return 1;
}

/* Comm 2.1.3 "Filter Conditions for StatementRefs": a statement matches when it does, or when
 * the statement its StatementRef targets does, recursively. 1 match, 0 not, < 0 error. */
static int rec_match(struct stmt_store *st, struct stmt_db_txn *t, const struct plan *p,
                     const unsigned char *rec, size_t len)
{
    for (int d = 0; d <= STMT_REF_DEPTH; d++) {
        const void *v;
        size_t vl;
        int rc;
        if (len < STMT_REC_HDR)
            return STMT_STORE_ERR_IO;
        if (own_match(p, rec, len))
            return 1;
        if (!(rec[1] & STMT_REC_REF))
            return 0;
        uint64_t seq;
        unsigned char seq8[8];
        /* a target not folded yet is in the recent map (stmt_store_get does the same) */
        pthread_mutex_lock(&st->lock);
        seq = (uint64_t)stmt__idmap_get(&st->recent, rec + 20);
        pthread_mutex_unlock(&st->lock);
        rc = seq ? STMT_DB_OK : stmt__id_find_t(st, t, &p->ev, 0, rec + 20, &seq);
        if (rc == STMT_DB_OK) {
            stmt__be64_put(seq8, seq);
            rc = stmt_db_get(t, st->tbl.stmt, seq8, 8, &v, &vl);
        }
        if (rc == STMT_DB_NOTFOUND)
            return 0;
        if (rc)
            return stmt__db_to_store(rc);
        rec = v;
        len = vl;
    }
    return 0;
}

static int epoch_span(const struct stmt__epv *ev, uint32_t e, uint64_t lo, uint64_t hi,
                      uint64_t *elo, uint64_t *ehi)
{
    uint64_t first = stmt__epv_first(ev, e);
    uint64_t end = e + 1 < ev->n ? stmt__epv_first(ev, e + 1) - 1 : UINT64_MAX;
    *elo = lo > first ? lo : first;
    *ehi = hi < end ? hi : end;
    return *elo <= *ehi;
}

/* Entries of one term within [lo, hi], counted up to cap (<= PLAN_CAP). */
static size_t term_count(struct stmt_store *st, struct stmt_db_txn *t, const struct stmt__epv *ev,
                         uint64_t term, uint64_t lo, uint64_t hi, size_t cap)
{
    struct stmt_db_cursor *cur;
    size_t n = 0;
    if (stmt_db_cursor_open(t, st->tbl.idx, &cur))
        return cap;
    for (uint32_t e = ev->n; e-- > 0 && n < cap;) {
        unsigned char from[STMT_IDX_KEY], to[STMT_IDX_KEY];
        uint64_t elo, ehi;
        size_t got = 0;
        if (!epoch_span(ev, e, lo, hi, &elo, &ehi))
            continue;
        /* keys epoch ‖ term ‖ seq for seq in [elo, ehi]: one range of the index */
        stmt__idx_key(from, e, term, elo);
        stmt__idx_key(to, e, term, ehi);
        if (stmt_db_cursor_count(cur, from, sizeof from, to, sizeof to, cap - n, &got))
            break;
        n += got;
    }
    stmt_db_cursor_close(cur);
    return n;
}

static int query_hash(const struct stmt_query *q, size_t limit, unsigned char out[32])
{
    struct sc_buf b;
    const char *s[] = {q->agent, q->verb, q->activity, q->registration, q->scope};
    int rc = 0;
    sc_buf_init(&b, 0);
    for (size_t i = 0; i < sizeof s / sizeof s[0] && !rc; i++)
        rc = s[i] ? sc_buf_printf(&b, "%zu:%s|", strlen(s[i]), s[i]) : sc_buf_puts(&b, "-|");
    if (!rc)
        rc = sc_buf_printf(&b, "%d|%d|%lld|%lld|%d|%zu", !!q->related_activities,
                           !!q->related_agents, (long long)q->since_us, (long long)q->until_us,
                           !!q->ascending, limit);
    if (rc) {
        sc_buf_free(&b);
        return STMT_STORE_ERR_NOMEM;
    }
    sc_sha256(b.data, b.len, out);
    sc_buf_free(&b);
    return STMT_STORE_OK;
}

static void cursor_encode(struct stmt_store *st, const unsigned char qh[32], uint64_t last,
                          uint64_t snapshot, char out[STMT_STORE_MORE_LEN])
{
    unsigned char raw[CURSOR_RAW + CURSOR_MAC], mac[32];
    raw[0] = CURSOR_VERSION;
    memcpy(raw + 1, qh, 8);
    stmt__be64_put(raw + 9, last);
    stmt__be64_put(raw + 17, snapshot);
    stmt__be64_put(raw + 25, (uint64_t)(sc_time_now_us() / 1000000));
    sc_hmac_sha256(st->cursor_key, sizeof st->cursor_key, raw, CURSOR_RAW, mac);
    memcpy(raw + CURSOR_RAW, mac, CURSOR_MAC);
    sc_hex(raw, sizeof raw, out);
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int cursor_decode(struct stmt_store *st, const char *s, const unsigned char qh[32],
                         uint64_t *last, uint64_t *snapshot)
{
    unsigned char raw[CURSOR_RAW + CURSOR_MAC], mac[32];
    int64_t issued, now = sc_time_now_us() / 1000000;
    if (strlen(s) != 2 * sizeof raw)
        return STMT_STORE_ERR_CURSOR;
    for (size_t i = 0; i < sizeof raw; i++) {
        int hi = hexv((unsigned char)s[2 * i]), lo = hexv((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return STMT_STORE_ERR_CURSOR;
        raw[i] = (unsigned char)(hi << 4 | lo);
    }
    sc_hmac_sha256(st->cursor_key, sizeof st->cursor_key, raw, CURSOR_RAW, mac);
    if (!sc_ct_equal(mac, raw + CURSOR_RAW, CURSOR_MAC) || raw[0] != CURSOR_VERSION ||
        memcmp(raw + 1, qh, 8) != 0)
        return STMT_STORE_ERR_CURSOR;
    issued = (int64_t)stmt__be64_get(raw + 25);
    if (issued > now + 300 || now - issued > STMT_STORE_CURSOR_TTL_S)
        return STMT_STORE_ERR_CURSOR;
    *last = stmt__be64_get(raw + 9);
    *snapshot = stmt__be64_get(raw + 17);
    return STMT_STORE_OK;
}

/* Positions `cur` (on a table keyed prefix(plen) ‖ seq(8)) for a walk from `start` in the
 * given direction and returns the first key, STMT_DB_NOTFOUND at the end of the table. */
static int walk_first(struct stmt_db_cursor *cur, const unsigned char *prefix, size_t plen,
                      uint64_t lo, uint64_t hi, int asc, struct stmt_db_kv *kv)
{
    unsigned char key[STMT_IDX_KEY];
    if (plen)
        memcpy(key, prefix, plen);
    stmt__be64_put(key + plen, asc ? lo : hi);
    /* descending: the last key <= prefix ‖ hi (one query on PostgreSQL, not a seek and a step
     * back); the walk checks the prefix */
    return asc ? stmt_db_cursor_seek(cur, key, plen + 8, kv)
               : stmt_db_cursor_seek_le(cur, key, plen + 8, kv);
}

struct collect {
    struct stmt_page_item *items;
    size_t n, want; /* want = limit + 1 to learn whether more exist */
};

static int page_add(struct collect *c, uint64_t seq, const unsigned char *rec, size_t len)
{
    size_t hdr = STMT_REC_HDR + 8 * (size_t)(rec[2] << 8 | rec[3]);
    struct stmt_page_item *it = &c->items[c->n];
    if (hdr > len)
        return STMT_STORE_ERR_IO;
    it->json = sc_strndup((const char *)rec + hdr, len - hdr);
    if (!it->json)
        return STMT_STORE_ERR_NOMEM;
    it->len = len - hdr;
    it->stored_us = (int64_t)seq;
    stmt__uuid_format(rec + 4, it->id);
    c->n++;
    return STMT_STORE_OK;
}

/* Candidates of a walk, confirmed a batch at a time with stmt_db_get_many: the other terms'
 * index entries, the records, the voided set, each one call for the whole batch (on
 * PostgreSQL one round trip each instead of one per candidate; on LMDB the same gets). */
#define BATCH_MAX 256
/* Batches: what the page still needs (LMDB), that scaled by the matches seen (PostgreSQL),
 * or one candidate at a time (the walk before batching: bench A/B only). */
enum { BATCH_NEED, BATCH_ADAPTIVE, BATCH_ONE };
struct batch {
    uint64_t seq[BATCH_MAX];
    unsigned char key[BATCH_MAX][STMT_IDX_KEY];
    struct stmt_db_kv kv[BATCH_MAX];
    size_t n;
    int mode;  /* BATCH_*: how batches are sized */
    int probe; /* the other filters' index entries are probed before the records are read */
};

/* Probes: on LMDB a probe is cheaper than a record (read in place, no copy), so always. On
 * PostgreSQL (BATCH_ADAPTIVE) an index entry costs what a record costs (one descent of the
 * same btree, ~2 us) plus a round trip, and each record is checked against every filter anyway
 * (own_match: its terms and the values in its JSON), so a walk starts without them (never more
 * lookups than candidates) and probes from the batch after one where fewer than half of the
 * candidates matched (then the records not read are worth a round trip: bytes, and the JSON
 * scan of each). */
static void probe_after(struct batch *b, size_t seen, size_t matched)
{
    if (b->mode == BATCH_ADAPTIVE && seen > 2 * matched)
        b->probe = 1;
}

/* Keep the candidates whose kv found a value (drop == 0) or none (drop == 1), in order. */
static size_t batch_keep(struct batch *b, size_t n, int absent)
{
    size_t m = 0;
    for (size_t j = 0; j < n; j++)
        if ((b->kv[j].val == NULL) == absent) {
            b->seq[m] = b->seq[j];
            b->kv[m++] = b->kv[j];
        }
    return m;
}

/* The voided state of the ids kv[0..m) (an empty key: a voiding statement, never voided):
 * kv[j].val not NULL when voided (Comm 2.1.4). From the query's view of the voided set when
 * it holds all of it, else one stmt_db_get_many. */
static int voided_many(struct stmt_store *st, struct stmt_db_txn *t, const struct plan *p,
                       struct stmt_db_kv *kv, size_t m)
{
    if (!p->vv.all)
        return stmt_db_get_many(t, st->tbl.voided, kv, m);
    for (size_t j = 0; j < m; j++) {
        const struct stmt_db_kv *v = stmt__vv_find(&p->vv, kv[j].key, kv[j].klen);
        kv[j].val = v ? v->val : NULL;
        kv[j].vlen = v ? v->vlen : 0;
    }
    return STMT_DB_OK;
}

/* Confirm the b->n candidates of an index walk (seqs in walk order) and collect the matches
 * until the page is full. */
static int confirm(struct stmt_store *st, struct stmt_db_txn *t, const struct plan *p,
                   struct batch *b, struct collect *c)
{
    size_t n = b->n;
    int rc;
    /* the other filters: a point lookup of each term's entry epoch ‖ hash ‖ seq */
    for (int i = 0; i < p->nf && n && b->probe; i++) {
        if (i == p->driver)
            continue;
        for (size_t j = 0; j < n; j++) {
            stmt__idx_key(b->key[j], stmt__epv_of(&p->ev, b->seq[j]), p->f[i].hash, b->seq[j]);
            b->kv[j] = (struct stmt_db_kv){b->key[j], NULL, STMT_IDX_KEY, 0};
        }
        if ((rc = stmt_db_get_many(t, st->tbl.idx, b->kv, n)))
            return stmt__db_to_store(rc);
        n = batch_keep(b, n, 0);
    }
    if (!n)
        return STMT_STORE_OK;
    /* the records */
    for (size_t j = 0; j < n; j++) {
        stmt__be64_put(b->key[j], b->seq[j]);
        b->kv[j] = (struct stmt_db_kv){b->key[j], NULL, 8, 0};
    }
    if ((rc = stmt_db_get_many(t, st->tbl.stmt, b->kv, n)))
        return stmt__db_to_store(rc);
    n = batch_keep(b, n, 0);
    {
        /* voided (Comm 2.1.4): the ids of the records in the voided set (a voiding statement
         * cannot be voided, Data 2.3.2: its lookup is left out with an empty key) */
        const unsigned char *rec[BATCH_MAX];
        size_t len[BATCH_MAX], m = 0;
        for (size_t j = 0; j < n; j++) {
            const unsigned char *r = b->kv[j].val;
            size_t l = b->kv[j].vlen;
            if (l < STMT_REC_HDR)
                continue;
            b->seq[m] = b->seq[j];
            rec[m] = r;
            len[m] = l;
            b->kv[m++] = (struct stmt_db_kv){r + 4, NULL, (r[1] & STMT_REC_VOIDING) ? 0 : 16, 0};
        }
        if (m && (rc = voided_many(st, t, p, b->kv, m)))
            return stmt__db_to_store(rc);
        for (size_t j = 0; j < m; j++) {
            int rc, mt;
            if (b->kv[j].val)
                continue; /* voided */
            mt = rec_match(st, t, p, rec[j], len[j]);
            if (mt < 0)
                return mt;
            if (!mt)
                continue;
            if (c->n + 1 == c->want) {
                c->n++; /* the look-ahead item: counted, not copied */
                return STMT_STORE_OK;
            }
            if ((rc = page_add(c, b->seq[j], rec[j], len[j])) != 0)
                return rc;
        }
    }
    return STMT_STORE_OK;
}

/* SCOLAR_QUERY_BATCH=adaptive|one sets the mode on either backend (tests and benchmarks only,
 * like SCOLAR_REPORT_DAY_US: test_stmt_query_batched runs the model queries with PostgreSQL's
 * sizes on LMDB; bench/results/pg-query.md compares one against adaptive); -1: unset. */
static int batch_forced(void)
{
    static atomic_int forced = -2;
    int f = atomic_load_explicit(&forced, memory_order_relaxed);
    if (f == -2) {
        const char *e = getenv("SCOLAR_QUERY_BATCH");
        f = !e ? -1 : !strcmp(e, "adaptive") ? BATCH_ADAPTIVE : !strcmp(e, "one") ? BATCH_ONE : -1;
        atomic_store_explicit(&forced, f, memory_order_relaxed);
    }
    return f;
}

/* How many candidates the next batch takes: as many as the page still needs; on PostgreSQL,
 * scaled by the share of candidates that matched so far (fewer round trips when the other
 * filters reject most). */
static size_t batch_size(const struct batch *b, const struct collect *c, size_t seen,
                         size_t matched)
{
    size_t need = c->want - c->n, nb = need;
    if (b->mode == BATCH_ONE)
        return 1;
    if (b->mode == BATCH_ADAPTIVE && seen > matched)
        nb = matched ? need * (seen / matched + 1) : BATCH_MAX;
    return nb < BATCH_MAX ? nb : BATCH_MAX;
}

/* Walk the index keys prefix ‖ seq (plen 12) for seq in [lo, hi] in order, confirm the
 * candidates a batch at a time and collect them. STMT_STORE_OK (also when the page is full)
 * or an error. */
static int walk(struct stmt_store *st, struct stmt_db_txn *t, struct stmt_db_cursor *cur,
                const struct plan *p, const unsigned char *prefix, size_t plen, uint64_t lo,
                uint64_t hi, int asc, struct collect *c, struct batch *b)
{
    struct stmt_db_kv kv;
    size_t seen = 0, matched = 0;
    int rc, have, end;
    /* PostgreSQL: the first batch's keys in the seek's own page (one round trip) */
    stmt_db_cursor_hint(cur, batch_size(b, c, 0, 0));
    rc = walk_first(cur, prefix, plen, lo, hi, asc, &kv), have = rc == 0, end = !have;
    while (!end && c->n < c->want) {
        size_t nb = batch_size(b, c, seen, matched), before = c->n;
        int ret;
        b->n = 0;
        while (b->n < nb) {
            uint64_t seq;
            /* kv holds the next candidate; the cursor steps only when one more is wanted */
            if (!have &&
                (rc = asc ? stmt_db_cursor_next(cur, &kv) : stmt_db_cursor_prev(cur, &kv)) != 0) {
                end = 1;
                break;
            }
            have = 0;
            if (kv.klen != plen + 8 || memcmp(kv.key, prefix, plen) != 0) {
                end = 1;
                break;
            }
            seq = stmt__be64_get((const unsigned char *)kv.key + plen);
            if (seq < lo || seq > hi) {
                end = 1;
                break;
            }
            b->seq[b->n++] = seq;
        }
        if (rc && rc != STMT_DB_NOTFOUND)
            return stmt__db_to_store(rc);
        seen += b->n;
        if (b->n && (ret = confirm(st, t, p, b, c)) != 0)
            return ret;
        matched += c->n - before;
        probe_after(b, seen, matched);
    }
    return rc && rc != STMT_DB_NOTFOUND ? stmt__db_to_store(rc) : STMT_STORE_OK;
}

/* The main table in [lo, hi] (no filter): each record is matched and copied into the page as
 * the cursor reads it, then the batch's ids are looked up in the voided set in one call and
 * the voided ones taken out again (Comm 2.1.4). */
static int walk_main(struct stmt_store *st, struct stmt_db_txn *t, struct stmt_db_cursor *cur,
                     const struct plan *p, uint64_t lo, uint64_t hi, int asc, struct collect *c,
                     struct batch *b)
{
    struct stmt_db_kv kv;
    int rc, have, end;
    stmt_db_cursor_hint(cur, c->want - c->n < BATCH_MAX ? c->want - c->n : BATCH_MAX);
    rc = walk_first(cur, NULL, 0, lo, hi, asc, &kv), have = rc == 0, end = !have;
    while (!end && c->n < c->want) {
        size_t base = c->n, nb = b->mode == BATCH_ONE ? 1 : c->want - c->n, w = base;
        if (nb > BATCH_MAX)
            nb = BATCH_MAX;
        b->n = 0;
        while (b->n < nb) {
            const unsigned char *rec;
            uint64_t seq;
            int m;
            if (!have &&
                (rc = asc ? stmt_db_cursor_next(cur, &kv) : stmt_db_cursor_prev(cur, &kv)) != 0) {
                end = 1;
                break;
            }
            have = 0;
            rec = kv.val;
            if (kv.klen != 8) {
                end = 1;
                break;
            }
            seq = stmt__be64_get(kv.key);
            if (seq < lo || seq > hi) {
                end = 1;
                break;
            }
            if (kv.vlen < STMT_REC_HDR)
                continue;
            m = rec_match(st, t, p, rec, kv.vlen);
            if (m < 0)
                return m;
            if (!m)
                continue;
            /* copied now (the cursor's value is borrowed until its next step); the look-ahead
             * item too, freed by stmt_store_query */
            if ((m = page_add(c, seq, rec, kv.vlen)) != 0)
                return m;
            memcpy(b->key[b->n], rec + 4, 16);
            b->kv[b->n] =
                (struct stmt_db_kv){b->key[b->n], NULL, (rec[1] & STMT_REC_VOIDING) ? 0 : 16, 0};
            b->n++;
        }
        if (rc && rc != STMT_DB_NOTFOUND)
            return stmt__db_to_store(rc);
        if (b->n && (rc = voided_many(st, t, p, b->kv, b->n)))
            return stmt__db_to_store(rc);
        for (size_t j = 0; j < b->n; j++) {
            if (b->kv[j].val) { /* voided */
                sc_free(c->items[base + j].json);
                continue;
            }
            c->items[w++] = c->items[base + j];
        }
        for (size_t j = w; j < c->n; j++)
            c->items[j].json = NULL;
        c->n = w;
    }
    return rc && rc != STMT_DB_NOTFOUND ? stmt__db_to_store(rc) : STMT_STORE_OK;
}

/* The unfolded tail (seqs after p->ix within [lo, hi]) in the walk's direction: each
 * candidate is confirmed against its record alone (its index entries are not written yet). */
static int walk_tail(struct stmt_store *st, struct stmt_db_txn *t, const struct plan *p, int asc,
                     struct collect *c)
{
    for (size_t i = 0; i < p->ntail && c->n < c->want; i++) {
        uint64_t seq = (uint64_t)p->tail[asc ? p->ntail - 1 - i : i];
        unsigned char seq8[8];
        const void *rv;
        size_t rl;
        int rc, m;
        if (seq <= p->ix || seq < p->lo || seq > p->hi)
            continue;
        stmt__be64_put(seq8, seq);
        rc = stmt_db_get(t, st->tbl.stmt, seq8, 8, &rv, &rl);
        if (rc == STMT_DB_NOTFOUND)
            continue;
        if (rc || rl < STMT_REC_HDR)
            return STMT_STORE_ERR_IO;
        if (stmt__is_voided(st, t, rv, rl))
            continue;
        m = rec_match(st, t, p, rv, rl);
        if (m < 0)
            return m;
        if (!m)
            continue;
        if (c->n + 1 == c->want) {
            c->n++; /* the look-ahead item */
            return STMT_STORE_OK;
        }
        if ((rc = page_add(c, seq, rv, rl)) != 0)
            return rc;
    }
    return STMT_STORE_OK;
}

static int run(struct stmt_store *st, struct stmt_db_txn *t, const struct plan *p, int asc,
               struct collect *c)
{
    struct stmt_db_cursor *cur = NULL;
    struct batch b; /* about 20 KiB of stack, no allocation per query */
    int ret = STMT_STORE_OK, rc;
    uint64_t ihi = p->hi < p->ix ? p->hi : p->ix; /* the folded part of the window */

    if (p->lo > p->hi)
        return STMT_STORE_OK;
    b.mode = batch_forced();
    if (b.mode < 0)
        b.mode = st->db->pg ? BATCH_ADAPTIVE : BATCH_NEED;
    b.probe = b.mode != BATCH_ADAPTIVE;
    if ((rc = stmt_db_cursor_open(t, p->driver >= 0 ? st->tbl.idx : st->tbl.stmt, &cur)))
        return stmt__db_to_store(rc);
    if (p->driver < 0) {
        /* the main table holds the tail too */
        ret = walk_main(st, t, cur, p, p->lo, p->hi, asc, c, &b);
    } else {
        /* Newest first: the tail, then the folded indexes; ascending: the other way. */
        if (!asc)
            ret = walk_tail(st, t, p, asc, c);
        /* The driving term, epoch by epoch in the walk's direction. */
        for (uint32_t i = 0; p->lo <= ihi && i < p->ev.n && !ret && c->n < c->want; i++) {
            uint32_t e = asc ? i : p->ev.n - 1 - i;
            unsigned char prefix[12];
            uint64_t elo, ehi;
            if (!epoch_span(&p->ev, e, p->lo, ihi, &elo, &ehi))
                continue;
            stmt__be32_put(prefix, e);
            stmt__be64_put(prefix + 4, p->f[p->driver].hash);
            ret = walk(st, t, cur, p, prefix, sizeof prefix, elo, ehi, asc, c, &b);
        }
        if (asc && !ret && c->n < c->want)
            ret = walk_tail(st, t, p, asc, c);
    }
    stmt_db_cursor_close(cur);
    return ret;
}

/* Add the tail's StatementRef statements to the candidates (both lists newest first): a
 * referrer matches through its target (G5), which its own terms do not show. */
static int merge_refs(const struct stmt__tail *t, struct plan *p)
{
    int64_t *refs = NULL, *all;
    size_t nrefs = 0, i = 0, j = 0, n = 0;
    if (stmt__tail_seqs(t, STMT_TAIL_REF_TERM, &refs, &nrefs))
        return -1;
    if (!nrefs)
        return 0;
    all = sc_malloc((p->ntail + nrefs) * sizeof *all);
    if (!all) {
        sc_free(refs);
        return -1;
    }
    while (i < p->ntail || j < nrefs) {
        int64_t v =
            j >= nrefs || (i < p->ntail && p->tail[i] >= refs[j]) ? p->tail[i++] : refs[j++];
        if (!n || all[n - 1] != v)
            all[n++] = v;
    }
    sc_free(refs);
    sc_free(p->tail);
    p->tail = all;
    p->ntail = n;
    return 0;
}

void stmt_page_free(struct stmt_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->n; i++)
        sc_free(page->items[i].json);
    sc_free(page->items);
    page->items = NULL;
    page->n = 0;
    page->more[0] = '\0';
}

int stmt_store_query(struct stmt_store *st, const struct stmt_query *q, struct stmt_page *page)
{
    struct plan p;
    struct collect c = {0};
    struct stmt_db_txn *t = NULL;
    unsigned char qh[32];
    uint64_t last = 0, snapshot = 0;
    size_t limit;
    int rc;

    memset(&p, 0, sizeof p);
    if (!st || !q || !page)
        return STMT_STORE_ERR_ARG;
    limit = (q->limit == 0 || q->limit > st->max_limit) ? st->max_limit : q->limit;
    if (q->since_us < 0 || q->until_us < 0)
        return STMT_STORE_ERR_ARG;
    rc = query_hash(q, limit, qh);
    if (rc)
        return rc;
    if (q->cursor && q->cursor[0] && (rc = cursor_decode(st, q->cursor, qh, &last, &snapshot)))
        return rc;
    if (q->agent &&
        (rc = add_filter(&p, q->related_agents ? STMT_TERM_REL_AGENT : STMT_TERM_AGENT, q->agent)))
        goto out;
    if (q->verb && (rc = add_filter(&p, STMT_TERM_VERB, q->verb)))
        goto out;
    if (q->activity &&
        (rc = add_filter(&p, q->related_activities ? STMT_TERM_REL_ACTIVITY : STMT_TERM_ACTIVITY,
                         q->activity)))
        goto out;
    if (q->registration && (rc = add_filter(&p, STMT_TERM_REGISTRATION, q->registration)))
        goto out;

    /* Read-your-writes: what is folded (ix) and the tail after it, read under the lock
     * before the transaction begins: a fold commits before it moves indexed_us, and a group
     * commits before its terms join the tail, so the transaction sees all of both. */
    pthread_mutex_lock(&st->lock);
    p.ix = (uint64_t)st->indexed_us;
    if (!q->cursor || !q->cursor[0])
        snapshot =
            st->utail.n && (uint64_t)st->utail.max_seq > p.ix ? (uint64_t)st->utail.max_seq : p.ix;
    if (p.nf && st->utail.n) {
        int best = 0;
        for (int i = 1; i < p.nf; i++)
            if (stmt__tail_count(&st->utail, p.f[i].hash) <
                stmt__tail_count(&st->utail, p.f[best].hash))
                best = i;
        if (stmt__tail_seqs(&st->utail, p.f[best].hash, &p.tail, &p.ntail) ||
            merge_refs(&st->utail, &p))
            rc = STMT_STORE_ERR_NOMEM;
    }
    pthread_mutex_unlock(&st->lock);
    if (rc)
        goto out;
    if (st->shared) {
        /* PostgreSQL (issue 19): other nodes write too, and every statement is indexed in its
         * own transaction: t's snapshot holds all of them through indexed_through. Begun in
         * one round trip with the Consistent-Through check and the epochs. */
        if ((rc = stmt__store_read_begin(st, &t, &p.ix, &p.ev, &p.vv))) {
            rc = stmt__db_to_store(rc);
            goto out;
        }
        if (!q->cursor || !q->cursor[0])
            snapshot = p.ix;
    } else {
        rc = stmt_db_txn_begin(st->db, 0, &t);
        if (rc) {
            rc = rc == STMT_DB_ERR_NOMEM ? STMT_STORE_ERR_NOMEM : STMT_STORE_ERR_IO;
            goto out;
        }
        if ((rc = stmt__epv_read(st, t, &p.ev))) {
            rc = stmt__db_to_store(rc);
            goto out;
        }
    }
    /* Comm 2.1.3: since exclusive, until inclusive; never beyond the snapshot. */
    p.lo = q->since_us ? (uint64_t)q->since_us + 1 : 0;
    p.hi = snapshot;
    if (q->until_us && (uint64_t)q->until_us < p.hi)
        p.hi = (uint64_t)q->until_us;
    if (q->cursor && q->cursor[0]) {
        if (q->ascending)
            p.lo = last + 1 > p.lo ? last + 1 : p.lo;
        else if (last == 0)
            p.hi = 0, p.lo = 1;
        else if (last - 1 < p.hi)
            p.hi = last - 1;
    }
    p.driver = -1;
    if (p.nf == 1 && p.lo <= p.hi) {
        p.driver = 0; /* one term: nothing to choose, no count (a round trip on PostgreSQL) */
    } else if (p.nf && p.lo <= p.hi) {
        /* Each count is capped at the smallest so far: a term with as many entries cannot
         * drive, so a common term (a verb) is not counted to PLAN_CAP after a rare one (an
         * agent): fewer index entries read (on PostgreSQL, with a heap visit each). Verbs are
         * counted last, being the commonest terms as a rule. */
        size_t best = PLAN_CAP + 1;
        int order[MAX_FILTERS], no = 0;
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < p.nf; i++)
                if ((p.f[i].kind == STMT_TERM_VERB) == pass)
                    order[no++] = i;
        for (int k = 0; k < no && best; k++) {
            int i = order[k];
            size_t cap = best <= PLAN_CAP ? best : PLAN_CAP;
            size_t n = p.lo <= p.ix ? term_count(st, t, &p.ev, p.f[i].hash, p.lo,
                                                 p.hi < p.ix ? p.hi : p.ix, cap)
                                    : 0;
            if (n < best) {
                best = n;
                p.driver = i;
            }
        }
    }
    c.want = limit + 1;
    c.items = sc_calloc(c.want, sizeof *c.items);
    if (!c.items) {
        rc = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    rc = run(st, t, &p, q->ascending, &c);
    if (rc)
        goto out;
    page->more[0] = '\0';
    if (c.n == c.want) {
        c.n--;                      /* the look-ahead item proves there is a next page */
        sc_free(c.items[c.n].json); /* walk_main copies it */
        c.items[c.n].json = NULL;
        cursor_encode(st, qh, (uint64_t)c.items[c.n - 1].stored_us, snapshot, page->more);
    }
    page->n = c.n;
    page->items = c.items;
    c.items = NULL;
    c.n = 0;
out:
    stmt_db_txn_abort(t);
    if (c.items) {
        for (size_t i = 0; i < c.n && i < c.want; i++)
            sc_free(c.items[i].json);
        sc_free(c.items);
    }
    plan_free(&p);
    return rc;
}
