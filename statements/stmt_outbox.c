/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The forwarding and webhook outbox (stmt_outbox.h for the layout and the guarantees). The
 * filters live in memory under one mutex; the writer matches each group's new statements in
 * its transaction (stmt__outbox_write) by the index terms it computed for them, so matching
 * costs a few binary searches per statement and target. Other operations are short
 * transactions of their own through the stmt_db API.
 */
#include "statements/stmt_outbox_int.h"
#include "statements/stmt_needles.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define OBX_RETRIES 8 /* a transaction that met a full map is redone after the map grew */

void stmt__obx_watch_clear(struct watch *w)
{
    for (int i = 0; i < w->nf; i++)
        stmt__needles_free(&w->f[i].nd);
    w->nf = 0;
}

int stmt__outbox_init(struct stmt_store *st)
{
    struct stmt__obx *o = sc_calloc(1, sizeof *o);
    if (!o)
        return STMT_STORE_ERR_NOMEM;
    /* registered with the statement store's tables (stmt_db.c) */
    o->tbl = stmt__db_table_ref(st->db, OBX_TABLE);
    pthread_mutex_init(&o->mu, NULL);
    st->obx = o;
    return STMT_STORE_OK;
}

void stmt__outbox_free(struct stmt_store *st)
{
    struct stmt__obx *o = st->obx;
    if (!o)
        return;
    for (size_t i = 0; i < o->nw; i++)
        stmt__obx_watch_clear(&o->w[i]);
    sc_free(o->w);
    sc_free(o->s);
    pthread_mutex_destroy(&o->mu);
    sc_free(o);
    st->obx = NULL;
}

/* ---- filters ------------------------------------------------------------------------- */

/* The filter terms of GET /xapi/statements (Comm 2.1.3), as stmt_query.c plans them. */
static int add_term(struct watch *w, char kind, const char *value)
{
    struct ofilt *f = &w->f[w->nf++];
    return stmt__needles_init(&f->nd, kind, value, &f->hash);
}

int stmt__obx_build_watch(struct watch *w, const struct stmt_outbox_filter *f)
{
    int rc = STMT_STORE_OK;
    if (f && f->agent)
        rc = add_term(w, f->related_agents ? STMT_TERM_REL_AGENT : STMT_TERM_AGENT, f->agent);
    if (!rc && f && f->verb)
        rc = add_term(w, STMT_TERM_VERB, f->verb);
    if (!rc && f && f->activity)
        rc = add_term(w, f->related_activities ? STMT_TERM_REL_ACTIVITY : STMT_TERM_ACTIVITY,
                      f->activity);
    if (!rc && f && f->registration)
        rc = add_term(w, STMT_TERM_REGISTRATION, f->registration);
    return rc;
}

/* Put w (consumed, also on failure) in memory for its target, replacing an earlier one. */
static int install_watch(struct stmt__obx *o, struct watch *w)
{
    pthread_mutex_lock(&o->mu);
    for (size_t i = 0; i < o->nw; i++) {
        if (o->w[i].id == w->id) {
            stmt__obx_watch_clear(&o->w[i]);
            o->w[i] = *w;
            pthread_mutex_unlock(&o->mu);
            return STMT_STORE_OK;
        }
    }
    if (o->nw == o->wcap) {
        size_t nc = o->wcap ? o->wcap * 2 : 8;
        struct watch *nw = sc_realloc(o->w, nc * sizeof *nw);
        if (!nw) {
            pthread_mutex_unlock(&o->mu);
            stmt__obx_watch_clear(w);
            return STMT_STORE_ERR_NOMEM;
        }
        o->w = nw;
        o->wcap = nc;
    }
    o->w[o->nw++] = *w;
    pthread_mutex_unlock(&o->mu);
    return STMT_STORE_OK;
}

static int install_sub(struct stmt__obx *o, uint32_t id, unsigned events)
{
    pthread_mutex_lock(&o->mu);
    for (size_t i = 0; i < o->ns; i++) {
        if (o->s[i].id == id) {
            o->s[i].events = events;
            pthread_mutex_unlock(&o->mu);
            return STMT_STORE_OK;
        }
    }
    if (o->ns == o->scap) {
        size_t nc = o->scap ? o->scap * 2 : 8;
        struct sub *ns = sc_realloc(o->s, nc * sizeof *ns);
        if (!ns) {
            pthread_mutex_unlock(&o->mu);
            return STMT_STORE_ERR_NOMEM;
        }
        o->s = ns;
        o->scap = nc;
    }
    o->s[o->ns].id = id;
    o->s[o->ns++].events = events;
    pthread_mutex_unlock(&o->mu);
    return STMT_STORE_OK;
}

/* The spec of f (or of events when f is NULL) stored with target id when it is not yet
 * (stmt_outbox_spec.c), then the filter in memory. */
static int watch_or_subscribe(struct stmt_store *st, uint32_t id,
                              const struct stmt_outbox_filter *f, unsigned events)
{
    struct watch w;
    unsigned char *spec = NULL;
    size_t len = 0;
    int rc;
    memset(&w, 0, sizeof w);
    w.id = id;
    if (f && (rc = stmt__obx_build_watch(&w, f)) != 0) {
        stmt__obx_watch_clear(&w);
        return rc;
    }
    rc = stmt__obx_spec_encode(f, events, &spec, &len);
    if (!rc)
        rc = stmt__obx_spec_persist(st, id, spec, len);
    sc_free(spec);
    if (rc) {
        stmt__obx_watch_clear(&w);
        return rc;
    }
    return f ? install_watch(st->obx, &w) : install_sub(st->obx, id, events);
}

int stmt_outbox_watch(struct stmt_store *st, uint32_t id, const struct stmt_outbox_filter *f)
{
    static const struct stmt_outbox_filter all; /* no field: every statement */
    return watch_or_subscribe(st, id, f ? f : &all, 0);
}

int stmt_outbox_subscribe(struct stmt_store *st, uint32_t id, unsigned events)
{
    return watch_or_subscribe(st, id, NULL, events);
}

void stmt_outbox_forget(struct stmt_store *st, uint32_t id)
{
    struct stmt__obx *o = st->obx;
    pthread_mutex_lock(&o->mu);
    for (size_t i = 0; i < o->nw; i++) {
        if (o->w[i].id == id) {
            stmt__obx_watch_clear(&o->w[i]);
            o->w[i] = o->w[--o->nw];
            break;
        }
    }
    for (size_t i = 0; i < o->ns; i++) {
        if (o->s[i].id == id) {
            o->s[i] = o->s[--o->ns];
            break;
        }
    }
    pthread_mutex_unlock(&o->mu);
}

/* ---- matching in the writer's transaction -------------------------------------------- */

static int has_term(const uint64_t *terms, size_t n, uint64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (terms[mid] == t)
            return 1;
        if (terms[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* A record (the target of a StatementRef) matches w: terms and JSON of the record. */
static int rec_match(const struct watch *w, const unsigned char *rec, size_t len)
{
    size_t nt = (size_t)(rec[2] << 8 | rec[3]), hdr = STMT_REC_HDR + 8 * nt;
    if (hdr > len)
        return 0;
    for (int i = 0; i < w->nf; i++)
        if (!stmt__rec_has_term(rec, nt, w->f[i].hash) ||
            !stmt__needles_in(&w->f[i].nd, (const char *)rec + hdr, len - hdr))
            return 0;
    return 1;
}

/* Comm 2.1.3 "Filter Conditions for StatementRefs": p matches when it does, or when the
 * statement its StatementRef targets does, recursively (STMT_REF_DEPTH). 1, 0, or < 0. */
static int prep_match(struct stmt_store *st, struct stmt_db_txn *txn, const struct watch *w,
                      const struct stmt__prep *p)
{
    unsigned char cur[16];
    int own = 1;
    for (int i = 0; i < w->nf && own; i++)
        own = has_term(p->terms, p->nterms, w->f[i].hash) &&
              stmt__needles_in(&w->f[i].nd, p->json, p->json_len);
    if (own || !(p->flags & STMT_REC_REF))
        return own;
    memcpy(cur, p->ref, 16);
    for (int d = 0; d < STMT_REF_DEPTH; d++) {
        const unsigned char *rec = NULL;
        size_t len = 0;
        uint64_t seq;
        int rc = stmt__rec_by_id_t(st, txn, cur, &seq, &rec, &len);
        if (rc == STMT_DB_NOTFOUND)
            return 0;
        if (rc)
            return stmt__db_to_store(rc);
        if (rec_match(w, rec, len))
            return 1;
        if (!(rec[1] & STMT_REC_REF))
            return 0;
        memcpy(cur, rec + 20, 16);
    }
    return 0;
}

int stmt__outbox_write(struct stmt_store *st, struct stmt_db_txn *txn, struct stmt__req *group)
{
    struct stmt__obx *o = st->obx;
    uint32_t *hit = NULL;
    int ret = STMT_STORE_OK;
    if (!o)
        return STMT_STORE_OK;
    /* targets created (or deleted) through another node, or before this transaction began */
    ret = stmt__obx_sync(st, txn);
    if (ret)
        return stmt__db_to_store(ret);
    pthread_mutex_lock(&o->mu);
    if (o->nw == 0)
        goto out;
    hit = sc_malloc(o->nw * sizeof *hit);
    if (!hit) {
        ret = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    for (struct stmt__req *r = group; r && !ret; r = r->next) {
        for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n && !ret; i++) {
            struct stmt__prep *p = &r->items[i];
            size_t nh = 0;
            if (p->dup)
                continue;
            /* match everything first: a put may move the pages a record pointer points to */
            for (size_t t = 0; t < o->nw; t++) {
                int m = prep_match(st, txn, &o->w[t], p);
                if (m < 0) {
                    ret = m;
                    break;
                }
                if (m)
                    hit[nh++] = o->w[t].id;
            }
            for (size_t t = 0; t < nh && !ret; t++) {
                unsigned char k[13];
                int rc;
                stmt__obx_row_key(k, 'q', hit[t], (uint64_t)p->stored_us);
                rc = stmt_db_put(txn, o->tbl, k, sizeof k, "", 0, 0); /* grows a full map */
                if (rc)
                    ret = stmt__db_to_store(rc);
            }
        }
    }
out:
    pthread_mutex_unlock(&o->mu);
    sc_free(hit);
    return ret;
}

int stmt_outbox_event(struct stmt_store *st, struct stmt_db_txn *t, unsigned ev,
                      const char *payload, size_t len)
{
    struct stmt__obx *o = st ? st->obx : NULL;
    uint32_t *ids = NULL;
    size_t n = 0;
    uint64_t seq;
    int rc = STMT_DB_OK;
    if (!o)
        return STMT_DB_OK;
    if ((rc = stmt__obx_sync(st, t)) != 0) /* webhooks subscribed through another node */
        return rc;
    pthread_mutex_lock(&o->mu);
    if (o->ns && !(ids = sc_malloc(o->ns * sizeof *ids))) {
        pthread_mutex_unlock(&o->mu);
        return STMT_DB_ERR_NOMEM;
    }
    for (size_t i = 0; i < o->ns; i++)
        if (o->s[i].events & ev)
            ids[n++] = o->s[i].id;
    seq = (uint64_t)sc_time_now_us();
    if (seq <= o->last_ev)
        seq = o->last_ev + 1;
    o->last_ev = seq;
    pthread_mutex_unlock(&o->mu);
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char k[13];
        stmt__obx_row_key(k, 'q', ids[i], seq);
        rc = stmt_db_put(t, o->tbl, k, sizeof k, payload, len, 0);
    }
    sc_free(ids);
    return rc;
}

/* ---- targets ----------------------------------------------------------------------- */

/* Run work(t, ctx) in a write transaction of its own and commit it; a transaction that met a
 * full map is done again (the map grows in between, stmt_db.c), at most OBX_RETRIES times. A
 * stmt_store code. */
int stmt__obx_write_txn(struct stmt_store *st, int (*work)(struct stmt_db_txn *t, void *ctx),
                        void *ctx)
{
    int rc = STMT_DB_OK;
    for (int attempt = 0; attempt < OBX_RETRIES; attempt++) {
        struct stmt_db_txn *t = NULL;
        rc = stmt_db_txn_begin(st->db, 1, &t);
        if (rc)
            break;
        rc = work(t, ctx);
        if (rc) {
            stmt_db_txn_abort(t);
            if (rc == STMT_DB_ERR_FULL)
                continue;
            break;
        }
        rc = stmt_db_txn_commit(t);
        if (rc != STMT_DB_ERR_FULL)
            break;
    }
    return stmt__db_to_store(rc);
}

struct create {
    const char *def;
    size_t len;
    const unsigned char *spec; /* what it queues, stored with it (NULL: none yet) */
    size_t speclen;
    uint32_t id;
};

static int create_work(struct stmt_db_txn *t, void *ctx)
{
    struct create *c = ctx;
    const void *v;
    size_t vl;
    uint32_t next = 1;
    unsigned char nk[4], tk[5], ck[5], zero[16] = {0};
    int rc = stmt_db_get(t, OBX_TABLE, "n", 1, &v, &vl);
    if (rc == STMT_DB_OK && vl == 4)
        next = stmt__obx_be32_get(v);
    else if (rc != STMT_DB_NOTFOUND && rc != STMT_DB_OK)
        return rc;
    stmt__obx_be32_put(nk, next + 1);
    tk[0] = 't';
    ck[0] = 'c';
    stmt__obx_be32_put(tk + 1, next);
    stmt__obx_be32_put(ck + 1, next);
    if ((rc = stmt_db_put(t, OBX_TABLE, "n", 1, nk, 4, 0)) ||
        (rc = stmt_db_put(t, OBX_TABLE, tk, 5, c->def, c->len, 0)) ||
        (rc = stmt_db_put(t, OBX_TABLE, ck, 5, zero, 16, 0)) ||
        (c->spec && (rc = stmt__obx_spec_put(t, next, c->spec, c->speclen))))
        return rc;
    c->id = next;
    return STMT_DB_OK;
}

int stmt_outbox_target_create(struct stmt_store *st, const char *def, size_t len, uint32_t *id)
{
    struct create c = {def, len, NULL, 0, 0};
    int rc = stmt__obx_write_txn(st, create_work, &c);
    if (!rc)
        *id = c.id;
    return rc;
}

int stmt_outbox_target_create_for(struct stmt_store *st, const char *def, size_t len,
                                  const struct stmt_outbox_filter *f, unsigned events, uint32_t *id)
{
    struct create c = {def, len, NULL, 0, 0};
    struct watch w;
    unsigned char *spec = NULL;
    int rc;
    memset(&w, 0, sizeof w);
    if (f && (rc = stmt__obx_build_watch(&w, f)) != 0) { /* a bad filter: nothing stored */
        stmt__obx_watch_clear(&w);
        return rc;
    }
    rc = stmt__obx_spec_encode(f, events, &spec, &c.speclen);
    c.spec = spec;
    if (!rc)
        rc = stmt__obx_write_txn(st, create_work, &c);
    sc_free(spec);
    if (rc) {
        stmt__obx_watch_clear(&w);
        return rc;
    }
    /* at once in memory too (the writer would load it at its next transaction anyway) */
    w.id = c.id;
    rc = f ? install_watch(st->obx, &w) : install_sub(st->obx, c.id, events);
    if (rc) { /* stored but not matched here: remove it again, all or nothing */
        (void)stmt_outbox_target_delete(st, c.id);
        return rc;
    }
    *id = c.id;
    return STMT_STORE_OK;
}

int stmt_outbox_target_update(struct stmt_store *st, uint32_t id, const char *def, size_t len)
{
    unsigned char tk[5];
    char *old = NULL;
    size_t ol;
    int rc;
    tk[0] = 't';
    stmt__obx_be32_put(tk + 1, id);
    rc = stmt_db_get1(st->db, OBX_TABLE, tk, 5, &old, &ol);
    sc_free(old);
    if (rc)
        return stmt__db_to_store(rc);
    return stmt__db_to_store(stmt_db_put1(st->db, OBX_TABLE, tk, 5, def, len, 0));
}

struct keyvec {
    unsigned char (*k)[13];
    size_t n, cap;
    uint32_t id;
    unsigned char kind;
};

static int collect_rows(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct keyvec *kv = ctx;
    const unsigned char *k = key;
    (void)val;
    (void)vlen;
    if (klen != 13 || k[0] != kv->kind || stmt__obx_be32_get(k + 1) != kv->id)
        return 1;
    if (kv->n == kv->cap) {
        size_t nc = kv->cap ? kv->cap * 2 : 256;
        void *nk = sc_realloc(kv->k, nc * 13);
        if (!nk)
            return -1;
        kv->k = nk;
        kv->cap = nc;
    }
    memcpy(kv->k[kv->n++], k, 13);
    return 0;
}

static int delete_work(struct stmt_db_txn *t, void *ctx)
{
    uint32_t id = *(const uint32_t *)ctx;
    struct keyvec kv = {NULL, 0, 0, id, 0};
    unsigned char from[5], tk[5], ck[5];
    int rc;
    stmt__obx_be32_put(from + 1, id);
    memcpy(tk, from, 5);
    memcpy(ck, from, 5);
    tk[0] = 't';
    ck[0] = 'c';
    rc = stmt_db_get(t, OBX_TABLE, tk, 5, &(const void *){NULL}, &(size_t){0});
    for (int pass = 0; pass < 2 && !rc; pass++) {
        from[0] = pass ? 'p' : 'q';
        kv.kind = from[0];
        int s = stmt_db_scan(t, OBX_TABLE, from, 5, collect_rows, &kv);
        rc = s < 0 ? STMT_DB_ERR_NOMEM : STMT_DB_OK;
    }
    for (size_t i = 0; i < kv.n && !rc; i++)
        rc = stmt_db_del(t, OBX_TABLE, kv.k[i], 13);
    sc_free(kv.k);
    if (!rc)
        rc = stmt_db_del(t, OBX_TABLE, tk, 5);
    if (!rc)
        rc = stmt__obx_spec_del(t, id); /* no node matches for it from this commit on */
    if (!rc) {
        rc = stmt_db_del(t, OBX_TABLE, ck, 5);
        if (rc == STMT_DB_NOTFOUND)
            rc = STMT_DB_OK;
    }
    return rc;
}

int stmt_outbox_target_delete(struct stmt_store *st, uint32_t id)
{
    return stmt__obx_write_txn(st, delete_work, &id);
}

struct tvisit {
    stmt_outbox_target_fn fn;
    void *ctx;
};

static int visit_target(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct tvisit *tv = ctx;
    const unsigned char *k = key;
    if (klen != 5 || k[0] != 't')
        return 1;
    return tv->fn(tv->ctx, stmt__obx_be32_get(k + 1), val, vlen) ? 2 : 0;
}

int stmt_outbox_targets(struct stmt_store *st, stmt_outbox_target_fn fn, void *ctx)
{
    struct stmt_db_txn *t = NULL;
    struct tvisit tv = {fn, ctx};
    int rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc)
        return stmt__db_to_store(rc);
    rc = stmt_db_scan(t, OBX_TABLE, "t", 1, visit_target, &tv);
    stmt_db_txn_abort(t);
    return rc < 0 ? stmt__db_to_store(rc) : STMT_STORE_OK;
}
