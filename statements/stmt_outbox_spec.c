/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What each forwarding or webhook target queues, stored with the target (issue 19: several
 * nodes on one PostgreSQL database; stmt_outbox.h for the table):
 *   'w' target(4) -> spec    'f' flags(1) then agent, verb, activity, registration, each
 *                            length(2, big-endian; 0xFFFF: absent) and bytes (flags: 1
 *                            related_activities, 2 related_agents); or 'e' events(4)
 *   'v'           -> version(8)  bumped by every transaction that adds, changes or removes a
 *                                spec (stmt_outbox_target_create_for/_delete, _watch on a
 *                                store written before specs were stored)
 * The writer's group transaction (stmt__outbox_write) and a caller's event transaction
 * (stmt_outbox_event) read 'v' first and, when it is not the version of the filters in memory,
 * load every spec as that transaction sees them before they match. Write transactions are
 * serialized (LMDB: one writer; PostgreSQL: the database's write lock, across every node), so
 * a target whose transaction committed before a statement's gets that statement's row on
 * every node, with no wait for the definition sync of lrs/fwd_nodes.c; and a target deleted
 * through another node gets no more rows. The cost when nothing changed: one get per write
 * transaction.
 */
#include "statements/stmt_outbox_int.h"
#include "common/sc_alloc.h"

#include <string.h>

#define SPEC_ABSENT 0xFFFFu

static size_t field_len(const char *s)
{
    return s ? strlen(s) : 0;
}

int stmt__obx_spec_encode(const struct stmt_outbox_filter *f, unsigned events, unsigned char **out,
                          size_t *len)
{
    const char *fields[4];
    size_t n = 2, off;
    unsigned char *b;
    if (!f) {
        if (!(b = sc_malloc(5)))
            return STMT_STORE_ERR_NOMEM;
        b[0] = 'e';
        stmt__obx_be32_put(b + 1, events);
        *out = b;
        *len = 5;
        return STMT_STORE_OK;
    }
    fields[0] = f->agent;
    fields[1] = f->verb;
    fields[2] = f->activity;
    fields[3] = f->registration;
    for (int i = 0; i < 4; i++) {
        if (field_len(fields[i]) >= SPEC_ABSENT)
            return STMT_STORE_ERR_ARG; /* an IRI of 64 KiB: refused as a filter */
        n += 2 + field_len(fields[i]);
    }
    if (!(b = sc_malloc(n)))
        return STMT_STORE_ERR_NOMEM;
    b[0] = 'f';
    b[1] = (unsigned char)((f->related_activities ? 1 : 0) | (f->related_agents ? 2 : 0));
    off = 2;
    for (int i = 0; i < 4; i++) {
        size_t l = field_len(fields[i]);
        unsigned v = fields[i] ? (unsigned)l : SPEC_ABSENT;
        b[off] = (unsigned char)(v >> 8);
        b[off + 1] = (unsigned char)v;
        memcpy(b + off + 2, fields[i] ? fields[i] : "", l);
        off += 2 + l;
    }
    *out = b;
    *len = n;
    return STMT_STORE_OK;
}

/* A stored spec into *w (a forwarder, *is_sub 0) or *events (a webhook, *is_sub 1). */
static int spec_decode(const unsigned char *v, size_t vl, struct watch *w, unsigned *events,
                       int *is_sub)
{
    char *fields[4] = {NULL, NULL, NULL, NULL};
    struct stmt_outbox_filter f;
    size_t off = 2;
    int rc = STMT_STORE_OK;
    if (vl == 5 && v[0] == 'e') {
        *events = stmt__obx_be32_get(v + 1);
        *is_sub = 1;
        return STMT_STORE_OK;
    }
    if (vl < 2 + 8 || v[0] != 'f')
        return STMT_STORE_ERR_IO;
    for (int i = 0; i < 4 && !rc; i++) {
        unsigned l;
        if (off + 2 > vl) {
            rc = STMT_STORE_ERR_IO;
            break;
        }
        l = (unsigned)v[off] << 8 | v[off + 1];
        off += 2;
        if (l == SPEC_ABSENT)
            continue;
        if (off + l > vl) {
            rc = STMT_STORE_ERR_IO;
            break;
        }
        if (!(fields[i] = sc_strndup((const char *)v + off, l)))
            rc = STMT_STORE_ERR_NOMEM;
        off += l;
    }
    if (!rc && off != vl)
        rc = STMT_STORE_ERR_IO;
    if (!rc) {
        f.agent = fields[0];
        f.verb = fields[1];
        f.activity = fields[2];
        f.registration = fields[3];
        f.related_activities = (v[1] & 1) != 0;
        f.related_agents = (v[1] & 2) != 0;
        *is_sub = 0;
        rc = stmt__obx_build_watch(w, &f);
        if (rc)
            stmt__obx_watch_clear(w);
    }
    for (int i = 0; i < 4; i++)
        sc_free(fields[i]);
    return rc;
}

static int ver_get(struct stmt_db_txn *t, const char *tbl, uint64_t *ver)
{
    const void *v;
    size_t vl;
    int rc = stmt_db_get(t, tbl, "v", 1, &v, &vl);
    if (rc == STMT_DB_NOTFOUND) {
        *ver = 0;
        return STMT_DB_OK;
    }
    if (rc)
        return rc;
    if (vl != 8)
        return STMT_DB_ERR_CORRUPT;
    *ver = stmt__be64_get(v);
    return STMT_DB_OK;
}

static int ver_bump(struct stmt_db_txn *t)
{
    unsigned char nv[8];
    uint64_t ver;
    int rc = ver_get(t, OBX_TABLE, &ver);
    if (rc)
        return rc;
    stmt__be64_put(nv, ver + 1);
    return stmt_db_put(t, OBX_TABLE, "v", 1, nv, 8, 0);
}

static void spec_key(unsigned char k[5], uint32_t id)
{
    k[0] = 'w';
    stmt__obx_be32_put(k + 1, id);
}

int stmt__obx_spec_put(struct stmt_db_txn *t, uint32_t id, const unsigned char *spec, size_t len)
{
    unsigned char k[5];
    int rc;
    spec_key(k, id);
    rc = stmt_db_put(t, OBX_TABLE, k, 5, spec, len, 0);
    return rc ? rc : ver_bump(t);
}

int stmt__obx_spec_del(struct stmt_db_txn *t, uint32_t id)
{
    unsigned char k[5];
    int rc;
    spec_key(k, id);
    rc = stmt_db_del(t, OBX_TABLE, k, 5);
    if (rc == STMT_DB_NOTFOUND)
        return STMT_DB_OK; /* a target of a store written before specs were stored */
    return rc ? rc : ver_bump(t);
}

struct persist {
    uint32_t id;
    const unsigned char *spec;
    size_t len;
    int write; /* 1: the target exists and its stored spec is another */
};

static int persist_check(struct stmt_db_txn *t, struct persist *p)
{
    unsigned char tk[5], wk[5];
    const void *v;
    size_t vl;
    int rc;
    tk[0] = 't';
    stmt__obx_be32_put(tk + 1, p->id);
    spec_key(wk, p->id);
    p->write = 0;
    rc = stmt_db_get(t, OBX_TABLE, tk, 5, &v, &vl);
    if (rc)
        return rc == STMT_DB_NOTFOUND ? STMT_DB_OK : rc; /* no target: nothing to store */
    rc = stmt_db_get(t, OBX_TABLE, wk, 5, &v, &vl);
    if (rc && rc != STMT_DB_NOTFOUND)
        return rc;
    p->write = rc == STMT_DB_NOTFOUND || vl != p->len || memcmp(v, p->spec, vl) != 0;
    return STMT_DB_OK;
}

static int persist_work(struct stmt_db_txn *t, void *ctx)
{
    struct persist *p = ctx;
    int rc = persist_check(t, p); /* again under the write lock */
    if (rc || !p->write)
        return rc;
    return stmt__obx_spec_put(t, p->id, p->spec, p->len);
}

int stmt__obx_spec_persist(struct stmt_store *st, uint32_t id, const unsigned char *spec,
                           size_t len)
{
    struct persist p = {id, spec, len, 0};
    struct stmt_db_txn *t = NULL;
    int rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc)
        return stmt__db_to_store(rc);
    rc = persist_check(t, &p);
    stmt_db_txn_abort(t);
    if (rc)
        return stmt__db_to_store(rc);
    return p.write ? stmt__obx_write_txn(st, persist_work, &p) : STMT_STORE_OK;
}

/* ---- loading the specs in a write transaction ------------------------------------------ */

struct load {
    struct watch *w;
    size_t nw, wcap;
    struct sub *s;
    size_t ns, scap;
    int rc;
};

static int load_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct load *l = ctx;
    const unsigned char *k = key;
    struct watch w;
    unsigned events = 0;
    int is_sub = 0;
    if (klen != 5 || k[0] != 'w')
        return 1; /* past the specs */
    memset(&w, 0, sizeof w);
    w.id = stmt__obx_be32_get(k + 1);
    l->rc = spec_decode(val, vlen, &w, &events, &is_sub);
    if (l->rc)
        return -1;
    if (is_sub) {
        if (l->ns == l->scap) {
            size_t nc = l->scap ? l->scap * 2 : 8;
            struct sub *ns = sc_realloc(l->s, nc * sizeof *ns);
            if (!ns) {
                l->rc = STMT_STORE_ERR_NOMEM;
                return -1;
            }
            l->s = ns;
            l->scap = nc;
        }
        l->s[l->ns].id = w.id;
        l->s[l->ns++].events = events;
        return 0;
    }
    if (l->nw == l->wcap) {
        size_t nc = l->wcap ? l->wcap * 2 : 8;
        struct watch *nw = sc_realloc(l->w, nc * sizeof *nw);
        if (!nw) {
            stmt__obx_watch_clear(&w);
            l->rc = STMT_STORE_ERR_NOMEM;
            return -1;
        }
        l->w = nw;
        l->wcap = nc;
    }
    l->w[l->nw++] = w;
    return 0;
}

static void load_free(struct watch *w, size_t nw, struct sub *s)
{
    for (size_t i = 0; i < nw; i++)
        stmt__obx_watch_clear(&w[i]);
    sc_free(w);
    sc_free(s);
}

int stmt__obx_sync(struct stmt_store *st, struct stmt_db_txn *t)
{
    struct stmt__obx *o = st->obx;
    struct load l;
    uint64_t ver;
    int rc = ver_get(t, o->tbl, &ver), current; /* o->tbl: OBX_TABLE, no name lookup */
    if (rc)
        return rc;
    pthread_mutex_lock(&o->mu);
    current = o->ver_known && o->ver == ver;
    pthread_mutex_unlock(&o->mu);
    if (current)
        return STMT_DB_OK;
    memset(&l, 0, sizeof l);
    rc = stmt_db_scan(t, OBX_TABLE, "w", 1, load_visit, &l);
    if (rc < 0 || l.rc) {
        load_free(l.w, l.nw, l.s);
        if (l.rc)
            return l.rc == STMT_STORE_ERR_NOMEM ? STMT_DB_ERR_NOMEM
                                                : STMT_DB_ERR_CORRUPT; /* unreadable */
        return rc;
    }
    pthread_mutex_lock(&o->mu);
    /* versions only grow: a transaction that read an older one installs nothing */
    if (!o->ver_known || ver >= o->ver) {
        struct watch *ow = o->w;
        struct sub *os = o->s;
        size_t onw = o->nw;
        o->w = l.w;
        o->nw = l.nw;
        o->wcap = l.wcap;
        o->s = l.s;
        o->ns = l.ns;
        o->scap = l.scap;
        o->ver = ver;
        o->ver_known = 1;
        l.w = ow;
        l.nw = onw;
        l.s = os;
    }
    pthread_mutex_unlock(&o->mu);
    load_free(l.w, l.nw, l.s);
    return STMT_DB_OK;
}
