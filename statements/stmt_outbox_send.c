/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The senders' side of the outbox (stmt_outbox.h): peek at a target's rows, delete the ones it
 * took, park the ones it refused, counters and counts, and the records `scolar migrate` reads.
 * Each call is a short transaction of its own.
 */
#include "statements/stmt_outbox_int.h"
#include "common/sc_alloc.h"

#include <string.h>

struct peek {
    struct stmt_store *st;
    struct stmt_db_txn *t;
    uint32_t id;
    size_t max;
    struct stmt_outbox_item *items;
    size_t n;
    int err;
};

static int peek_row(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct peek *pk = ctx;
    const unsigned char *k = key;
    struct stmt_outbox_item *it;
    if (pk->n >= pk->max || klen != 13 || k[0] != 'q' || stmt__obx_be32_get(k + 1) != pk->id)
        return 1;
    it = &pk->items[pk->n];
    it->seq = stmt__be64_get(k + 5);
    it->json = NULL;
    it->len = 0;
    if (vlen) {
        it->json = sc_strndup(val, vlen); /* an event's payload */
        it->len = vlen;
    } else {
        const void *rv;
        size_t rl = 0;
        int rc = stmt_db_get(pk->t, pk->st->tbl.stmt, k + 5, 8, &rv, &rl);
        if (rc == 0 && rl >= STMT_REC_HDR) {
            const unsigned char *r = rv;
            size_t hdr = STMT_REC_HDR + 8 * (size_t)(r[2] << 8 | r[3]);
            if (hdr <= rl) {
                it->len = rl - hdr;
                it->json = sc_strndup((const char *)r + hdr, it->len);
            }
            if (!it->json)
                it->len = 0;
        } else if (rc != STMT_DB_NOTFOUND && rc != 0) {
            pk->err = stmt__db_to_store(rc);
            return -1;
        }
        if (rc == 0 && !it->json) {
            pk->err = STMT_STORE_ERR_NOMEM;
            return -1;
        }
    }
    if (vlen && !it->json) {
        pk->err = STMT_STORE_ERR_NOMEM;
        return -1;
    }
    pk->n++;
    return 0;
}

void stmt_outbox_items_free(struct stmt_outbox_item *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        sc_free(items[i].json);
    sc_free(items);
}

int stmt_outbox_peek(struct stmt_store *st, uint32_t id, uint64_t after, size_t max,
                     struct stmt_outbox_item **items, size_t *n)
{
    struct peek pk = {st, NULL, id, max, NULL, 0, 0};
    unsigned char from[13];
    int rc;
    if (max == 0)
        return STMT_STORE_ERR_ARG;
    pk.items = sc_calloc(max, sizeof *pk.items);
    if (!pk.items)
        return STMT_STORE_ERR_NOMEM;
    rc = stmt_db_txn_begin(st->db, 0, &pk.t);
    if (rc) {
        sc_free(pk.items);
        return stmt__db_to_store(rc);
    }
    stmt__obx_row_key(from, 'q', id, after + 1);
    rc = stmt_db_scan(pk.t, OBX_TABLE, from, sizeof from, peek_row, &pk);
    stmt_db_txn_abort(pk.t);
    if (pk.err || rc < 0) {
        stmt_outbox_items_free(pk.items, pk.n);
        return pk.err ? pk.err : stmt__db_to_store(rc);
    }
    *items = pk.items;
    *n = pk.n;
    return STMT_STORE_OK;
}

/* counters 'c': sent(8) parked(8) */
static int bump(struct stmt_db_txn *t, uint32_t id, uint64_t sent, uint64_t parked)
{
    unsigned char ck[5], v16[16];
    const void *v;
    size_t vl;
    int rc;
    ck[0] = 'c';
    stmt__obx_be32_put(ck + 1, id);
    rc = stmt_db_get(t, OBX_TABLE, ck, 5, &v, &vl);
    if (rc == STMT_DB_NOTFOUND)
        return STMT_DB_OK; /* the target was deleted meanwhile */
    if (rc)
        return rc;
    if (vl != 16)
        return STMT_DB_ERR_CORRUPT;
    stmt__be64_put(v16, stmt__be64_get(v) + sent);
    stmt__be64_put(v16 + 8, stmt__be64_get((const unsigned char *)v + 8) + parked);
    return stmt_db_put(t, OBX_TABLE, ck, 5, v16, 16, 0);
}

struct rows {
    uint32_t id;
    const uint64_t *seqs;
    size_t n;
    const char *reason; /* park: the reason; done: NULL */
};

static int done_work(struct stmt_db_txn *t, void *ctx)
{
    const struct rows *r = ctx;
    size_t gone = 0;
    int rc = STMT_DB_OK;
    for (size_t i = 0; i < r->n && !rc; i++) {
        unsigned char k[13];
        stmt__obx_row_key(k, 'q', r->id, r->seqs[i]);
        rc = stmt_db_del(t, OBX_TABLE, k, sizeof k);
        if (rc == STMT_DB_NOTFOUND)
            rc = STMT_DB_OK; /* deleted with its target */
        else if (!rc)
            gone++;
    }
    return rc ? rc : bump(t, r->id, gone, 0);
}

int stmt_outbox_done(struct stmt_store *st, uint32_t id, const uint64_t *seqs, size_t n)
{
    struct rows r = {id, seqs, n, NULL};
    return stmt__obx_write_txn(st, done_work, &r);
}

static int park_work(struct stmt_db_txn *t, void *ctx)
{
    const struct rows *r = ctx;
    unsigned char k[13], pk[13];
    int rc;
    stmt__obx_row_key(k, 'q', r->id, r->seqs[0]);
    stmt__obx_row_key(pk, 'p', r->id, r->seqs[0]);
    rc = stmt_db_del(t, OBX_TABLE, k, sizeof k);
    if (!rc)
        rc = stmt_db_put(t, OBX_TABLE, pk, sizeof pk, r->reason, strlen(r->reason), 0);
    return rc ? rc : bump(t, r->id, 0, 1);
}

int stmt_outbox_park(struct stmt_store *st, uint32_t id, uint64_t seq, const char *reason)
{
    struct rows r = {id, &seq, 1, reason};
    return stmt__obx_write_txn(st, park_work, &r);
}

struct count {
    uint32_t id;
    uint64_t n, oldest;
};

static int count_row(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct count *c = ctx;
    const unsigned char *k = key;
    (void)val;
    (void)vlen;
    if (klen != 13 || k[0] != 'q' || stmt__obx_be32_get(k + 1) != c->id)
        return 1;
    if (!c->n)
        c->oldest = stmt__be64_get(k + 5);
    c->n++;
    return 0;
}

int stmt_outbox_stats(struct stmt_store *st, uint32_t id, uint64_t after,
                      struct stmt_outbox_stats *out)
{
    struct stmt_db_txn *t = NULL;
    struct count c = {id, 0, 0};
    unsigned char from[13];
    const void *v;
    size_t vl;
    int rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc)
        return stmt__db_to_store(rc);
    memset(out, 0, sizeof *out);
    from[0] = 'c';
    stmt__obx_be32_put(from + 1, id);
    rc = stmt_db_get(t, OBX_TABLE, from, 5, &v, &vl);
    if (rc == STMT_DB_OK && vl == 16) {
        out->sent = stmt__be64_get(v);
        out->parked = stmt__be64_get((const unsigned char *)v + 8);
    }
    stmt__obx_row_key(from, 'q', id, after + 1);
    rc = stmt_db_scan(t, OBX_TABLE, from, sizeof from, count_row, &c);
    stmt_db_txn_abort(t);
    if (rc < 0)
        return stmt__db_to_store(rc);
    out->queued = c.n;
    out->oldest_us = c.oldest;
    return STMT_STORE_OK;
}

struct bcount {
    uint32_t id;
    uint64_t n, max;
};

static int bcount_row(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct bcount *c = ctx;
    const unsigned char *k = key;
    (void)val;
    (void)vlen;
    if (c->n >= c->max || klen != 13 || k[0] != 'q' || stmt__obx_be32_get(k + 1) != c->id)
        return 1;
    c->n++;
    return 0;
}

int stmt_outbox_count(struct stmt_store *st, uint32_t id, uint64_t after, uint64_t max, uint64_t *n)
{
    struct stmt_db_txn *t = NULL;
    struct bcount c = {id, 0, max};
    unsigned char from[13];
    int rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc)
        return stmt__db_to_store(rc);
    stmt__obx_row_key(from, 'q', id, after + 1);
    rc = stmt_db_scan(t, OBX_TABLE, from, sizeof from, bcount_row, &c);
    stmt_db_txn_abort(t);
    if (rc < 0)
        return stmt__db_to_store(rc);
    *n = c.n;
    return STMT_STORE_OK;
}

struct pvisit {
    uint32_t id;
    size_t max, n;
    stmt_outbox_parked_fn fn;
    void *ctx;
};

static int visit_parked(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct pvisit *pv = ctx;
    const unsigned char *k = key;
    if (pv->n >= pv->max || klen != 13 || k[0] != 'p' || stmt__obx_be32_get(k + 1) != pv->id)
        return 1;
    pv->n++;
    return pv->fn(pv->ctx, stmt__be64_get(k + 5), val, vlen) ? 2 : 0;
}

int stmt_outbox_parked(struct stmt_store *st, uint32_t id, size_t max, stmt_outbox_parked_fn fn,
                       void *ctx)
{
    struct stmt_db_txn *t = NULL;
    struct pvisit pv = {id, max, 0, fn, ctx};
    unsigned char from[5];
    int rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc)
        return stmt__db_to_store(rc);
    from[0] = 'p';
    stmt__obx_be32_put(from + 1, id);
    rc = stmt_db_scan(t, OBX_TABLE, from, 5, visit_parked, &pv);
    stmt_db_txn_abort(t);
    return rc < 0 ? stmt__db_to_store(rc) : STMT_STORE_OK;
}

int stmt_outbox_records(struct stmt_store *st, uint64_t after, size_t max,
                        struct stmt_outbox_item **items, size_t *n)
{
    struct stmt_db_txn *t = NULL;
    struct stmt_outbox_item *it;
    struct stmt_db_cursor *cur = NULL;
    struct stmt_db_kv kv;
    unsigned char from[8];
    size_t got = 0;
    int rc, ret = STMT_STORE_OK;
    if (max == 0)
        return STMT_STORE_ERR_ARG;
    it = sc_calloc(max, sizeof *it);
    if (!it)
        return STMT_STORE_ERR_NOMEM;
    rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc) {
        sc_free(it);
        return stmt__db_to_store(rc);
    }
    stmt__be64_put(from, after + 1);
    rc = stmt_db_cursor_open(t, st->tbl.stmt, &cur);
    if (!rc)
        rc = stmt_db_cursor_seek(cur, from, sizeof from, &kv);
    while (!rc && got < max) {
        const unsigned char *r = kv.val;
        size_t hdr = kv.vlen >= STMT_REC_HDR ? STMT_REC_HDR + 8 * (size_t)(r[2] << 8 | r[3]) : 0;
        if (kv.klen != 8 || !hdr || hdr > kv.vlen) {
            rc = stmt_db_cursor_next(cur, &kv);
            continue;
        }
        it[got].seq = stmt__be64_get(kv.key);
        it[got].len = kv.vlen - hdr;
        it[got].json = sc_strndup((const char *)r + hdr, it[got].len);
        if (!it[got].json) {
            ret = STMT_STORE_ERR_NOMEM;
            break;
        }
        if (++got < max)
            rc = stmt_db_cursor_next(cur, &kv);
    }
    if (!ret && rc && rc != STMT_DB_NOTFOUND)
        ret = stmt__db_to_store(rc);
    stmt_db_cursor_close(cur);
    stmt_db_txn_abort(t);
    if (ret) {
        stmt_outbox_items_free(it, got);
        return ret;
    }
    *items = it;
    *n = got;
    return STMT_STORE_OK;
}
