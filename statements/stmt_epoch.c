/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fold epochs: the key layout that bounds the statement store's memory.
 *
 * LMDB 0.9.24 keeps every page a write transaction dirtied on its own free list until the
 * environment closes (mdb_page_free → me_dpages), so the process holds the largest
 * transaction's dirty set for good. With keys term ‖ seq and id, a fold of 100,000 statements
 * dirties about one leaf per distinct term and per id-table leaf anywhere in the store: 141 MiB
 * with 10,000 agents at 1M statements, and growing with the store (bench/results/store.md).
 *
 * Keys of "stmt_idx" are epoch(4) ‖ term(8) ‖ seq(8) and keys of "stmt_id" epoch(4) ‖ id(16),
 * where an epoch is a run of epoch_size consecutive statements in stored order. A fold writes
 * only into the newest epoch and stops at its end, so its dirty set is bounded by one epoch's
 * index, whatever the store size and the data's variety. The epochs are listed in stmt_meta
 * ("epochs": the first stored value of each, big-endian; "epoch_fill": statements folded into
 * the last one), written by the fold in its own transaction, so every reader sees epochs and
 * entries from the same snapshot.
 *
 * Reading: a query walks a term epoch by epoch (a handful per million statements). A lookup
 * by id probes the epochs newest first, except those whose Bloom filter (10 bits per
 * statement, 7 probes, < 1% false positives) rules the id out, so the writer's conflict check
 * of every incoming id (Comm 2.1.1) and a GET by statementId cost about one probe however many
 * epochs there are. The fold that closes an epoch writes its filter into stmt_meta ("bloom" ‖
 * epoch, 128 KiB, never changed again) in the same transaction as the epoch list, so a reader
 * tests the filters of its own snapshot, in the map, and the process holds no filter but the
 * open epoch's (which the writer keeps in memory, rebuilt from "stmt_id" at open). Before,
 * every filter lived in process memory (2 MiB per million statements) and was rebuilt from the
 * whole id table at each start (0.9 s per million). The writer reads persisted filters through
 * a read snapshot taken inside its write transaction (stmt__db_snapshot_begin; LMDB with
 * MDB_NOTLS), whose pointers stay valid until that transaction ends; a write transaction's own
 * pointers would not (LMDB: "valid only until a subsequent update operation").
 *
 * Layout 1 stores (no "layout" in stmt_meta, unprefixed keys, format record 1) are migrated
 * at open: the id and index tables are emptied and the format record raised in one
 * transaction, and the fold rebuilds the tables from the records, which hold their terms
 * (1.08M statements: 6.7 s).
 */
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BLOOM_BITS_PER_ID 10
#define BLOOM_K 7

void stmt__be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

uint32_t stmt__be32_get(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void stmt__idx_key(unsigned char *key, uint32_t epoch, uint64_t term, uint64_t seq)
{
    stmt__be32_put(key, epoch);
    stmt__be64_put(key + 4, term);
    stmt__be64_put(key + 12, seq);
}

static int meta_get(struct stmt_store *st, struct stmt_db_txn *t, const char *name, const void **v,
                    size_t *vl)
{
    return stmt_db_get(t, st->tbl.meta, name, strlen(name), v, vl);
}

static int meta_put(struct stmt_store *st, struct stmt_db_txn *t, const char *name, const void *val,
                    size_t len)
{
    return stmt_db_put(t, st->tbl.meta, name, strlen(name), val, len, 0);
}

int stmt__epv_read(struct stmt_store *st, struct stmt_db_txn *t, struct stmt__epv *out)
{
    const void *v;
    size_t vl;
    int rc = meta_get(st, t, "epochs", &v, &vl);
    out->first = NULL;
    out->n = 0;
    if (rc == STMT_DB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    return stmt__epv_from(v, vl, out);
}

int stmt__epv_from(const void *v, size_t vl, struct stmt__epv *out)
{
    out->first = NULL;
    out->n = 0;
    if (!v)
        return 0;
    if (vl % 8 || vl / 8 > UINT32_MAX)
        return STMT_DB_ERR_CORRUPT;
    out->first = v;
    out->n = (uint32_t)(vl / 8);
    return 0;
}

uint64_t stmt__epv_first(const struct stmt__epv *v, uint32_t e)
{
    return stmt__be64_get(v->first + 8 * (size_t)e);
}

uint32_t stmt__epv_of(const struct stmt__epv *v, uint64_t seq)
{
    uint32_t lo = 0, hi = v->n; /* answer in [lo, hi) : last e with first[e] <= seq */
    if (v->n == 0)
        return 0;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (stmt__epv_first(v, mid) <= seq)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ---- Bloom filters --------------------------------------------------------------------- */

static const char BLOOM_KEY[] = "bloom"; /* stmt_meta: "bloom" ‖ be32(epoch) -> filter bytes */
#define BLOOM_KEY_LEN 9

static uint64_t mix64(uint64_t x)
{
    /* splitmix64 finaliser: ids from clients need not be random (v1, sequential). */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void bloom_hashes(const unsigned char id[16], uint64_t *h1, uint64_t *h2)
{
    uint64_t a = stmt__be64_get(id), b = stmt__be64_get(id + 8);
    *h1 = mix64(a ^ mix64(b));
    *h2 = mix64(b + 0x9e3779b97f4a7c15ULL) | 1;
}

/* A filter is ep->bloom_bytes bytes (a power of two), bit i in byte i / 8: the same in memory
 * and in stmt_meta, where a small one (tests' tiny epochs) need not be aligned. */
static void bloom_set(unsigned char *b, size_t bytes, const unsigned char id[16])
{
    uint64_t h1, h2, mask = (uint64_t)bytes * 8 - 1;
    bloom_hashes(id, &h1, &h2);
    for (int i = 0; i < BLOOM_K; i++) {
        uint64_t bit = (h1 + (uint64_t)i * h2) & mask;
        b[bit >> 3] |= (unsigned char)(1u << (bit & 7));
    }
}

/* 0 when the filter rules the id out; 1 when it may be there (or there is no filter). */
static int bloom_maybe(const unsigned char *b, size_t bytes, const unsigned char id[16])
{
    uint64_t h1, h2, mask = (uint64_t)bytes * 8 - 1;
    if (!b)
        return 1;
    bloom_hashes(id, &h1, &h2);
    for (int i = 0; i < BLOOM_K; i++) {
        uint64_t bit = (h1 + (uint64_t)i * h2) & mask;
        if (!(b[bit >> 3] & (1u << (bit & 7))))
            return 0;
    }
    return 1;
}

static void bloom_key(unsigned char key[BLOOM_KEY_LEN], uint32_t e)
{
    memcpy(key, BLOOM_KEY, 5);
    stmt__be32_put(key + 5, e);
}

/* The persisted filter of closed epoch e in txn's snapshot, its size in *bytes (that of the
 * epoch size it was written with); NULL when there is none (the allocation failed when e was
 * open, or the record is no power of two): probe e. */
static const unsigned char *bloom_stored(struct stmt_store *st, struct stmt_db_txn *t, uint32_t e,
                                         size_t *bytes)
{
    unsigned char key[BLOOM_KEY_LEN];
    const void *v;
    size_t vl;
    bloom_key(key, e);
    if (stmt_db_get(t, st->tbl.meta, key, sizeof key, &v, &vl) || vl < 8 || (vl & (vl - 1)))
        return NULL;
    *bytes = vl;
    return v;
}

int stmt__bloom_test(struct stmt_store *st, struct stmt_db_txn *t, uint32_t e,
                     const unsigned char id[16])
{
    size_t bytes;
    const unsigned char *b = bloom_stored(st, t, e, &bytes);
    return b ? bloom_maybe(b, bytes, id) : -1;
}

static unsigned char *bloom_mem(const struct stmt__epochs *ep, uint32_t e)
{
    return e >= ep->persisted && e < ep->nbloom ? ep->bloom[e] : NULL;
}

void stmt__bloom_add(struct stmt__epochs *ep, uint32_t epoch, const unsigned char id[16])
{
    unsigned char *b = bloom_mem(ep, epoch);
    if (b) /* else no filter (allocation failed): lookups probe this epoch */
        bloom_set(b, ep->bloom_bytes, id);
}

int stmt__bloom_close(struct stmt_store *st, struct stmt_db_txn *t, uint32_t e)
{
    unsigned char key[BLOOM_KEY_LEN], *b = bloom_mem(&st->ep, e);
    if (!b)
        return 0; /* no filter to keep: readers probe the epoch */
    bloom_key(key, e);
    return stmt_db_put(t, st->tbl.meta, key, sizeof key, b, st->ep.bloom_bytes, 0);
}

void stmt__epochs_txn_end(struct stmt__epochs *ep, int committed)
{
    stmt__db_snapshot_end(ep->snap);
    ep->snap = NULL;
    if (!committed || ep->n < 1)
        return;
    /* The filters of the epochs closed so far are in stmt_meta now. */
    for (uint32_t e = ep->persisted; e < ep->n - 1 && e < ep->nbloom; e++) {
        sc_free(ep->bloom[e]);
        ep->bloom[e] = NULL;
    }
    if (ep->persisted < ep->n - 1)
        ep->persisted = ep->n - 1;
}

int stmt__epochs_push(struct stmt__epochs *ep, uint64_t first)
{
    if (ep->n == ep->cap) {
        uint32_t nc = ep->cap ? ep->cap * 2 : 16;
        unsigned char *nf = sc_realloc(ep->first, (size_t)nc * 8);
        struct stmt__filter *ns;
        if (!nf)
            return ENOMEM;
        ep->first = nf;
        ns = sc_realloc(ep->snap_b, (size_t)nc * sizeof *ns);
        if (!ns)
            return ENOMEM;
        ep->snap_b = ns;
        ep->cap = nc;
    }
    stmt__be64_put(ep->first + 8 * (size_t)ep->n, first);
    ep->n++;
    ep->fill = 0;
    if (!ep->bloom_bytes) /* a shared store: no filters (the id lookup is one key) */
        return 0;
    if (ep->nbloom < ep->n) {
        unsigned char **nb = sc_realloc(ep->bloom, (size_t)ep->n * sizeof *nb);
        if (nb) {
            ep->bloom = nb;
            /* Epochs that got no filter when they began (allocation failure) hold ids by now:
             * an empty filter would rule them out, so they stay without one (probed). */
            while (ep->nbloom < ep->n - 1)
                ep->bloom[ep->nbloom++] = NULL;
            /* (At open, the epochs closed before have their filter in stmt_meta.) */
            ep->bloom[ep->nbloom++] =
                ep->n - 1 >= ep->persisted ? sc_calloc(1, ep->bloom_bytes) : NULL;
        }
    } else if (ep->bloom[ep->n - 1]) {
        /* A fold that opened this epoch was aborted and is redone: start it clean. */
        memset(ep->bloom[ep->n - 1], 0, ep->bloom_bytes);
    }
    return 0;
}

void stmt__epochs_free(struct stmt__epochs *ep)
{
    stmt__db_snapshot_end(ep->snap);
    for (uint32_t i = 0; i < ep->nbloom; i++)
        sc_free(ep->bloom[i]);
    sc_free(ep->bloom);
    sc_free(ep->snap_b);
    sc_free(ep->first);
    memset(ep, 0, sizeof *ep);
}

/* The writer's filter of epoch e: in memory while e is open or closed by the transaction in
 * progress, else the persisted one, read through a snapshot taken inside the write
 * transaction `txn` and cached until the transaction ends (stmt__epochs_txn_end). */
static const unsigned char *writer_filter(struct stmt_store *st, struct stmt_db_txn *t, uint32_t e,
                                          size_t *bytes)
{
    static const unsigned char none; /* cached: no persisted filter */
    struct stmt__epochs *ep = &st->ep;
    *bytes = ep->bloom_bytes;
    if (e >= ep->persisted)
        return bloom_mem(ep, e);
    if (!ep->snap) {
        if (stmt__db_snapshot_begin(t, &ep->snap)) {
            ep->snap = NULL;
            return NULL; /* probe */
        }
        ep->snap_n = 0;
    }
    while (ep->snap_n <= e) /* fill the cache up to e */
        ep->snap_b[ep->snap_n++].b = NULL;
    if (!ep->snap_b[e].b) {
        const unsigned char *b = bloom_stored(st, ep->snap, e, &ep->snap_b[e].bytes);
        ep->snap_b[e].b = b ? b : &none;
    }
    *bytes = ep->snap_b[e].bytes;
    return ep->snap_b[e].b == &none ? NULL : ep->snap_b[e].b;
}

int stmt__id_find_t(struct stmt_store *st, struct stmt_db_txn *t, const struct stmt__epv *v,
                    int writer, const unsigned char id[16], uint64_t *seq)
{
    unsigned char key[STMT_ID_KEY];
    memcpy(key + 4, id, 16);
    for (uint32_t e = v->n; e-- > 0;) {
        const void *val;
        size_t vl;
        const unsigned char *b = NULL;
        size_t bytes = 0;
        int rc;
        /* A reader tests the filters of the epochs closed in its snapshot; the open one it
         * probes. */
        if (writer)
            b = writer_filter(st, t, e, &bytes);
        else if (e + 1 < v->n)
            b = bloom_stored(st, t, e, &bytes);
        if (!bloom_maybe(b, bytes, id))
            continue;
        stmt__be32_put(key, e);
        rc = stmt_db_get(t, st->tbl.id, key, sizeof key, &val, &vl);
        if (rc == STMT_DB_NOTFOUND)
            continue;
        if (rc)
            return rc;
        if (vl != 8)
            return STMT_DB_ERR_CORRUPT;
        *seq = stmt__be64_get(val);
        return 0;
    }
    return STMT_DB_NOTFOUND;
}

/* Record of a statement id as this transaction sees it: written by this group (pending),
 * committed but not yet folded (recent), or in "stmt_id" (epochs whose Bloom filter may hold
 * it). The writer is the only thread that changes the maps and the epochs, so it reads them
 * without the lock. */
int stmt__rec_by_id_t(struct stmt_store *st, struct stmt_db_txn *t, const unsigned char id[16],
                      uint64_t *seq, const unsigned char **rec, size_t *len)
{
    int64_t s = stmt__idmap_get(&st->pending, id);
    unsigned char k[8];
    const void *v;
    size_t vl;
    int rc;
    if (!s)
        s = stmt__idmap_get(&st->recent, id);
    if (!s) {
        struct stmt__epv ev = {st->ep.first, st->ep.n};
        uint64_t found;
        rc = stmt__id_find_t(st, t, &ev, 1, id, &found);
        if (rc)
            return rc;
        s = (int64_t)found;
    }
    stmt__be64_put(k, (uint64_t)s);
    rc = stmt_db_get(t, st->tbl.stmt, k, sizeof k, &v, &vl);
    if (rc)
        return rc;
    if (vl < STMT_REC_HDR)
        return STMT_DB_ERR_CORRUPT;
    *seq = (uint64_t)s;
    *rec = v;
    *len = vl;
    return STMT_DB_OK;
}

int stmt__epochs_put(struct stmt_store *st, struct stmt_db_txn *t, const struct stmt__epochs *ep)
{
    unsigned char fill[8];
    int rc = meta_put(st, t, "epochs", ep->first, (size_t)ep->n * 8);
    stmt__be64_put(fill, ep->fill);
    return rc ? rc : meta_put(st, t, "epoch_fill", fill, sizeof fill);
}

/* Delete every persisted filter ("bloom" ‖ epoch keys of stmt_meta). */
static int drop_filters(struct stmt_store *st, struct stmt_db_txn *t)
{
    struct stmt_db_cursor *c = NULL;
    struct stmt_db_kv kv;
    int rc = stmt_db_cursor_open(t, st->tbl.meta, &c);
    if (rc)
        return rc;
    rc = stmt_db_cursor_seek(c, BLOOM_KEY, 5, &kv);
    while (rc == 0 && kv.klen == BLOOM_KEY_LEN && !memcmp(kv.key, BLOOM_KEY, 5)) {
        unsigned char key[BLOOM_KEY_LEN];
        memcpy(key, kv.key, sizeof key);
        if ((rc = stmt_db_del(t, st->tbl.meta, key, sizeof key)))
            break;
        rc = stmt_db_cursor_seek(c, BLOOM_KEY, 5, &kv);
    }
    stmt_db_cursor_close(c);
    return rc == STMT_DB_NOTFOUND ? 0 : rc;
}

/* Layout check and migration, in one write transaction. *wrote = 1 when the layout record
 * was written (a new or a layout 1 store), *migrated = 1 when the id and index tables were
 * emptied for a rebuild. 0 or an stmt_db error. */
static int layout(struct stmt_store *st, struct stmt_db_txn *t, int *migrated, int *wrote)
{
    unsigned char lv[4];
    const void *v;
    size_t vl, n1, n2;
    int rc = meta_get(st, t, "layout", &v, &vl);
    *migrated = *wrote = 0;
    if (rc == 0) {
        if (vl != 4)
            return STMT_DB_ERR_CORRUPT;
        if (stmt__be32_get(v) != STMT_LAYOUT)
            return STMT_DB_ERR_VERSION;
        if (!st->reindex) {
            /* Report tallies (stmt_report.c) are kept by the fold: a store folded by a build
             * without them is refolded once (below), a store with nothing folded starts now. */
            if (meta_get(st, t, "reports", &v, &vl) == 0)
                return 0;
            if (meta_get(st, t, "indexed_through", &v, &vl) == STMT_DB_NOTFOUND)
                return meta_put(st, t, "reports", "1", 1);
        }
    } else if (rc != STMT_DB_NOTFOUND) {
        return rc;
    }
    if ((rc = stmt_db_count(t, st->tbl.id, &n1)) || (rc = stmt_db_count(t, st->tbl.idx, &n2)))
        return rc;
    if (st->reindex || n1 || n2 || meta_get(st, t, "indexed_through", &v, &vl) == 0) {
        /* Layout 1 (unprefixed keys), or a rebuild asked for: empty both tables; the records
         * keep their terms, and the fold after open writes them again. */
        static const char *const stale[] = {"indexed_through", "epochs", "epoch_fill"};
        if ((rc = stmt_db_clear(t, st->tbl.id)) || (rc = stmt_db_clear(t, st->tbl.idx)) ||
            (rc = stmt_db_clear(t, st->tbl.rpt)))
            return rc;
        for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
            rc = stmt_db_del(t, st->tbl.meta, stale[i], strlen(stale[i]));
            if (rc && rc != STMT_DB_NOTFOUND)
                return rc;
        }
        if ((rc = drop_filters(st, t)))
            return rc;
        *migrated = 1;
    }
    if ((rc = meta_put(st, t, "reports", "1", 1)))
        return rc;
    stmt__be32_put(lv, STMT_LAYOUT);
    *wrote = 1;
    return meta_put(st, t, "layout", lv, sizeof lv);
}

/* The filter of epoch e from its "stmt_id" entries into b (bloom_bytes, cleared first). */
static int bloom_build(struct stmt_store *st, struct stmt_db_txn *t, uint32_t e, unsigned char *b)
{
    struct stmt_db_cursor *c = NULL;
    struct stmt_db_kv kv;
    unsigned char from[4];
    int rc;
    memset(b, 0, st->ep.bloom_bytes);
    stmt__be32_put(from, e);
    if ((rc = stmt_db_cursor_open(t, st->tbl.id, &c)))
        return rc;
    rc = stmt_db_cursor_seek(c, from, sizeof from, &kv);
    while (rc == 0 && kv.klen >= 4 && stmt__be32_get(kv.key) == e) {
        if (kv.klen != STMT_ID_KEY) {
            rc = STMT_DB_ERR_CORRUPT;
            break;
        }
        bloom_set(b, st->ep.bloom_bytes, (const unsigned char *)kv.key + 4);
        rc = stmt_db_cursor_next(c, &kv);
    }
    stmt_db_cursor_close(c);
    return rc == STMT_DB_NOTFOUND ? 0 : rc;
}

/* Best effort: write the missing filter of closed epoch e (an allocation failed while e was
 * open); without it lookups probe e, which is slower, not wrong. */
static void bloom_repair(struct stmt_store *st, uint32_t e)
{
    struct stmt_db_txn *t = NULL;
    unsigned char key[BLOOM_KEY_LEN], *b = sc_malloc(st->ep.bloom_bytes);
    if (!b || stmt_db_txn_begin(st->db, 1, &t)) {
        sc_free(b);
        return;
    }
    bloom_key(key, e);
    if (bloom_build(st, t, e, b) ||
        stmt_db_put(t, st->tbl.meta, key, sizeof key, b, st->ep.bloom_bytes, 0))
        stmt_db_txn_abort(t);
    else
        stmt_db_txn_commit(t);
    sc_free(b);
}

/* The writer's epochs from stmt_meta, and the open epoch's filter from "stmt_id". Sets
 * *missing to the first closed epoch without a persisted filter (UINT32_MAX: none). 0 or an
 * stmt_db error. */
static int load(struct stmt_store *st, struct stmt_db_txn *t, uint32_t *missing)
{
    struct stmt__epv view;
    const void *v;
    size_t vl, bytes;
    int rc = stmt__epv_read(st, t, &view);
    *missing = UINT32_MAX;
    if (rc)
        return rc;
    st->ep.persisted = view.n ? view.n - 1 : 0;
    for (uint32_t e = 0; e < view.n; e++)
        if (stmt__epochs_push(&st->ep, stmt__epv_first(&view, e)))
            return STMT_DB_ERR_NOMEM;
    rc = meta_get(st, t, "epoch_fill", &v, &vl);
    if (rc == 0 && vl == 8)
        st->ep.fill = stmt__be64_get(v);
    else if (rc != STMT_DB_NOTFOUND)
        return rc ? rc : STMT_DB_ERR_CORRUPT;
    for (uint32_t e = 0; e + 1 < view.n && *missing == UINT32_MAX; e++)
        if (!bloom_stored(st, t, e, &bytes))
            *missing = e;
    if (view.n && bloom_mem(&st->ep, view.n - 1))
        return bloom_build(st, t, view.n - 1, st->ep.bloom[view.n - 1]);
    return 0;
}

int stmt__epochs_reload(struct stmt_store *st, const struct stmt_db_kv *epochs,
                        const struct stmt_db_kv *fill)
{
    uint32_t n;
    if (epochs->val && (epochs->vlen % 8 || epochs->vlen / 8 > UINT32_MAX))
        return STMT_DB_ERR_CORRUPT;
    if (fill->val && fill->vlen != 8)
        return STMT_DB_ERR_CORRUPT;
    n = epochs->val ? (uint32_t)(epochs->vlen / 8) : 0;
    st->ep.n = 0;
    for (uint32_t e = 0; e < n; e++)
        if (stmt__epochs_push(&st->ep,
                              stmt__be64_get((const unsigned char *)epochs->val + 8 * (size_t)e)))
            return STMT_DB_ERR_NOMEM;
    st->ep.persisted = n ? n - 1 : 0;
    if (fill->val)
        st->ep.fill = stmt__be64_get(fill->val);
    return 0;
}

int stmt__epochs_open(struct stmt_store *st)
{
    struct stmt_db_txn *t = NULL;
    size_t bits = (size_t)BLOOM_BITS_PER_ID * st->epoch_size;
    uint32_t missing;
    int rc, migrated = 0, wrote = 0;

    /* A shared store (PostgreSQL): no Bloom filters; an id lookup is one primary key probe
     * in its one epoch (stmt_store.c). */
    st->ep.bloom_bytes = st->shared ? 0 : 8;
    while (st->ep.bloom_bytes && st->ep.bloom_bytes * 8 < bits)
        st->ep.bloom_bytes *= 2;
    /* Layout check (and migration) in a write transaction; retried after a map resize. */
    for (int attempt = 0;; attempt++) {
        if (attempt == 8)
            return STMT_STORE_ERR_FULL;
        rc = stmt_db_txn_begin(st->db, 1, &t);
        if (rc)
            return rc == STMT_DB_ERR_FULL ? STMT_STORE_ERR_FULL : STMT_STORE_ERR_IO;
        rc = layout(st, t, &migrated, &wrote);
        if (!rc && wrote) {
            /* The format record goes up with the layout (also on a format 1 store without
             * statements): from now on older builds, which write unprefixed keys, refuse it. */
            char fmt[16];
            int n = snprintf(fmt, sizeof fmt, "%d", STMT_DB_FORMAT);
            rc = stmt_db_put(t, "meta", "format", 6, fmt, (size_t)n, 0);
        }
        if (rc) {
            stmt_db_txn_abort(t);
            if (rc == STMT_DB_ERR_FULL) {
                stmt__db_want_grow(st->db);
                continue;
            }
            return STMT_STORE_ERR_IO; /* corrupt, or a newer layout (the format record of a
                                         store with one makes stmt_db_open refuse it first) */
        }
        rc = stmt_db_txn_commit(t);
        if (rc == STMT_DB_ERR_FULL)
            continue;
        if (rc)
            return STMT_STORE_ERR_IO;
        break;
    }
    if (migrated) {
        st->open_migrated = 1;
        st->indexed_us = 0;
        st->unindexed = st->last_us > 0;
    }
    rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc)
        return STMT_STORE_ERR_IO;
    rc = load(st, t, &missing);
    stmt_db_txn_abort(t);
    if (rc == STMT_DB_ERR_CORRUPT)
        return STMT_STORE_ERR_DAMAGED;
    if (rc)
        return rc == STMT_DB_ERR_NOMEM ? STMT_STORE_ERR_NOMEM : STMT_STORE_ERR_IO;
    for (uint32_t e = missing; !st->shared && missing != UINT32_MAX && e + 1 < st->ep.n; e++) {
        /* Closed epochs from `missing` on without a persisted filter get one now. */
        struct stmt_db_txn *rt = NULL;
        int have = 0;
        if (stmt_db_txn_begin(st->db, 0, &rt) == 0) {
            size_t bytes;
            have = bloom_stored(st, rt, e, &bytes) != NULL;
            stmt_db_txn_abort(rt);
        }
        if (!have)
            bloom_repair(st, e);
    }
    return STMT_STORE_OK;
}
