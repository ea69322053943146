/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Activity report tallies (issue 14, stmt_report.h): kept by the writer in the fold
 * transaction, read by stmt_report_activity with a few range scans. The fold visits each
 * record once, in stored order, so "latest" (passed/failed) is the latest stored. A voiding
 * statement subtracts exactly what its target added: the same extraction runs on the target's
 * record.
 */
#include "statements/stmt_report.h"
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VERB_COMPLETED "http://adlnet.gov/expapi/verbs/completed"
#define VERB_PASSED "http://adlnet.gov/expapi/verbs/passed"
#define VERB_FAILED "http://adlnet.gov/expapi/verbs/failed"
#define TYPE_INTERACTION "http://adlnet.gov/expapi/activities/cmi.interaction"

/* The length of a report day: a UTC day; SCOLAR_REPORT_DAY_US shortens it for tests only
 * (like SCOLAR_FOLD_EPOCH), so that a test crosses many days. */
static int64_t day_us(void)
{
    const char *e = getenv("SCOLAR_REPORT_DAY_US");
    char *end = NULL;
    long long x;
    if (!e)
        return STMT_REPORT_DAY_US;
    x = strtoll(e, &end, 10);
    return (end && !*end && x >= 500000 && x <= STMT_REPORT_DAY_US) ? x : STMT_REPORT_DAY_US;
}

#define PF_PASSED 1
#define PF_FAILED 2

/* What one statement contributes, computed in the caller's thread from its parsed tree
 * (stmt__report_facts) and handed to the writer with the statement, or, for statements
 * folded without them (a backlog at open, a reindex), from the record's JSON. Texts are not
 * kept: when a verb, question or response is new to the store, the fold reads them from the
 * record. */
struct stmt__rfacts {
    uint64_t actor, verb_h, obj, qh, rh;
    double scaled;
    unsigned char has_obj, completed, pf, has_score, question, success, has_resp, nctx;
    uint64_t ctx[];
};

/* Texts of a statement, borrowed from its tree. */
struct texts {
    const char *verb, *qid, *qname, *response;
};

static int mdb_err(struct stmt_store *st, int rc)
{
    if (rc == MDB_MAP_FULL) {
        stmt__db_want_grow(st->db);
        return STMT_STORE_ERR_FULL;
    }
    return rc == ENOMEM ? STMT_STORE_ERR_NOMEM : STMT_STORE_ERR_IO;
}

static uint64_t hash_str(char kind, const char *s)
{
    return stmt__term_hash(kind, s, strlen(s));
}

static const char *str_member(const cJSON *o, const char *name)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* A language map's en-US, en, or first entry. */
static const char *lang_pick(const cJSON *map)
{
    const cJSON *j;
    const char *s;
    if (!cJSON_IsObject(map))
        return NULL;
    if ((s = str_member(map, "en-US")) || (s = str_member(map, "en")))
        return s;
    cJSON_ArrayForEach(j, map)
    {
        if (cJSON_IsString(j))
            return j->valuestring;
    }
    return NULL;
}

static void add_ctx(struct stmt__rfacts *f, const cJSON *a)
{
    const char *id = str_member(a, "id");
    uint64_t h;
    if (!id || f->nctx == STMT_REPORT_MAX_CONTEXT)
        return;
    h = hash_str(STMT_TERM_ACTIVITY, id);
    if (f->has_obj && h == f->obj)
        return;
    for (size_t i = 0; i < f->nctx; i++)
        if (f->ctx[i] == h)
            return;
    f->ctx[f->nctx++] = h;
}

/* Facts (into f, room for STMT_REPORT_MAX_CONTEXT) and texts of a statement tree. */
static void facts_of(const cJSON *s, struct stmt__rfacts *f, struct texts *t)
{
    const cJSON *actor = cJSON_GetObjectItemCaseSensitive(s, "actor");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(s, "object");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(s, "result");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(s, "context");
    const cJSON *verb = cJSON_GetObjectItemCaseSensitive(s, "verb");
    const char *ot = str_member(obj, "objectType");
    char ifi[1024];

    memset(f, 0, sizeof *f);
    memset(t, 0, sizeof *t);
    if (stmt_store_agent_ifi(actor, ifi, sizeof ifi) == STMT_STORE_OK) {
        f->actor = hash_str(STMT_TERM_AGENT, ifi);
    } else {
        /* An anonymous Group: its members make it one actor. */
        char *txt = cJSON_PrintUnformatted(actor);
        f->actor = txt ? hash_str(STMT_TERM_AGENT, txt) : 0;
        cJSON_free(txt);
    }
    t->verb = str_member(verb, "id");
    if (!t->verb)
        t->verb = "";
    f->verb_h = hash_str(STMT_TERM_VERB, t->verb);
    if (!ot || !strcmp(ot, "Activity")) {
        const char *id = str_member(obj, "id");
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(obj, "definition");
        const char *type = str_member(def, "type");
        if (id) {
            f->has_obj = 1;
            f->obj = hash_str(STMT_TERM_ACTIVITY, id);
            if (type && !strcmp(type, TYPE_INTERACTION)) {
                f->question = 1;
                t->qid = id;
                t->qname = lang_pick(cJSON_GetObjectItemCaseSensitive(def, "name"));
                f->qh = hash_str('q', id);
            }
        }
    }
    f->completed = !strcmp(t->verb, VERB_COMPLETED) ||
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "completion"));
    f->pf = !strcmp(t->verb, VERB_PASSED)   ? PF_PASSED
            : !strcmp(t->verb, VERB_FAILED) ? PF_FAILED
                                            : 0;
    {
        const cJSON *score = cJSON_GetObjectItemCaseSensitive(res, "score");
        const cJSON *scaled = cJSON_GetObjectItemCaseSensitive(score, "scaled");
        if (cJSON_IsNumber(scaled)) {
            f->has_score = 1;
            f->scaled = scaled->valuedouble == 0 ? 0.0 : scaled->valuedouble; /* -0 is 0 */
        }
    }
    f->success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "success"));
    t->response = str_member(res, "response");
    if (t->response) {
        f->has_resp = 1;
        f->rh = hash_str('p', t->response);
    }
    {
        static const char *const kinds[] = {"parent", "grouping", "category", "other"};
        const cJSON *ca = cJSON_GetObjectItemCaseSensitive(ctx, "contextActivities");
        for (size_t k = 0; k < 4; k++) {
            const cJSON *list = cJSON_GetObjectItemCaseSensitive(ca, kinds[k]), *a;
            if (cJSON_IsObject(list)) {
                add_ctx(f, list);
                continue;
            }
            cJSON_ArrayForEach(a, list)
            {
                add_ctx(f, a);
            }
        }
    }
}

#define FACTS_MAX (sizeof(struct stmt__rfacts) + STMT_REPORT_MAX_CONTEXT * sizeof(uint64_t))

int stmt__report_facts(const cJSON *s, struct stmt__rfacts **out)
{
    uint64_t buf[FACTS_MAX / 8 + 1];
    struct stmt__rfacts *f = (struct stmt__rfacts *)buf, *c;
    struct texts t;
    size_t n;
    facts_of(s, f, &t);
    n = sizeof *f + f->nctx * sizeof(uint64_t);
    c = sc_malloc(n);
    if (!c)
        return STMT_STORE_ERR_NOMEM;
    memcpy(c, f, n);
    *out = c;
    return STMT_STORE_OK;
}

void stmt__report_facts_free(struct stmt__rfacts *f)
{
    sc_free(f);
}

/* ---- the writer's state: queued facts and a write-back cache of counters ------------------ */

#define CACHE_CAP 131072            /* slots (a power of two) */
#define CACHE_FLUSH (CACHE_CAP / 2) /* entries held before a flush */
#define CACHE_KEY 29
#define CHUNK 2048       /* actors per bitmap chunk (4 bitmaps: 1 KiB, no overflow page) */
#define BMW (CHUNK / 64) /* words of one bitmap */
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
    MDB_txn *stat_txn; /* the transaction voided_any was read in */
    int voided_any;    /* its voided set has entries */
    struct qitem *q;   /* ring */
    size_t qhead, qn, qcap;
};

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

struct key {
    unsigned char b[40];
    size_t n;
};

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
static int cache_flush(struct stmt_store *st, MDB_txn *txn, int keep)
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
        MDB_val kv = {e->klen, e->key}, vv = {e->nv * 8u, e->v};
        int zero = 1, rc;
        for (size_t j = 0; j < e->nv; j++)
            zero &= e->v[j] == 0;
        if (zero) {
            rc = mdb_del(txn, st->t_rpt, &kv, NULL);
            rc = rc == MDB_NOTFOUND ? 0 : rc;
        } else {
            rc = mdb_put(txn, st->t_rpt, &kv, &vv, 0);
        }
        if (rc)
            ret = mdb_err(st, rc);
        e->state = 1;
    }
    sc_free(v);
    if (!keep || ret)
        cache_clear(r);
    return ret;
}

void stmt__report_discard(struct stmt_store *st)
{
    if (st->rpt)
        st->rpt->stat_txn = NULL;
    if (st->rpt && st->rpt->used)
        cache_clear(st->rpt);
}

/* The nv counters under key k, loaded on first use; the caller changes them and marks the
 * entry changed (state 2). NULL with *err set on failure. */
static struct centry *cache_get(struct stmt_store *st, MDB_txn *txn, const struct key *k, size_t nv,
                                int *err)
{
    struct stmt__rstate *r = st->rpt;
    size_t i;
    MDB_val kv = {k->n, (void *)k->b}, vv;
    int rc;
    if (r->used >= CACHE_FLUSH && (*err = cache_flush(st, txn, 0)))
        return NULL;
    i = (size_t)mix(k->b, k->n) & (CACHE_CAP - 1);
    while (r->slots[i].state) {
        if (r->slots[i].klen == k->n && !memcmp(r->slots[i].key, k->b, k->n))
            return &r->slots[i];
        i = (i + 1) & (CACHE_CAP - 1);
    }
    rc = mdb_get(txn, st->t_rpt, &kv, &vv);
    if (rc && rc != MDB_NOTFOUND) {
        *err = mdb_err(st, rc);
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
    if (rc == 0 && vv.mv_size == nv * 8)
        memcpy(r->slots[i].v, vv.mv_data, nv * 8);
    r->used++;
    return &r->slots[i];
}

/* Add delta[i] to the i-th of nv counters under k. */
static int counters(struct stmt_store *st, MDB_txn *txn, const struct key *k, size_t nv,
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

static void key_start(struct key *k, char kind, uint64_t act)
{
    k->b[0] = (unsigned char)kind;
    stmt__be64_put(k->b + 1, act);
    k->n = 9;
}

static void key_u32(struct key *k, uint32_t v)
{
    stmt__be32_put(k->b + k->n, v);
    k->n += 4;
}

static void key_u64(struct key *k, uint64_t v)
{
    stmt__be64_put(k->b + k->n, v);
    k->n += 8;
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
static int text_known(struct stmt_store *st, MDB_txn *txn, uint64_t h, int *err)
{
    struct key k;
    MDB_val kv, vv;
    int rc;
    if (known(st->rpt, h, 0))
        return 1;
    key_start(&k, 'T', h);
    kv.mv_size = k.n;
    kv.mv_data = k.b;
    rc = mdb_get(txn, st->t_rpt, &kv, &vv);
    if (rc == 0) {
        known(st->rpt, h, 1);
        return 1;
    }
    if (rc != MDB_NOTFOUND)
        *err = mdb_err(st, rc);
    return 0;
}

/* Store the text behind hash h: a, or a NUL b (b may be NULL). */
static int text_put(struct stmt_store *st, MDB_txn *txn, uint64_t h, const char *a, const char *b)
{
    struct key k;
    char buf[2 * STMT_REPORT_MAX_TEXT + 2];
    size_t na = strlen(a), nb = b ? strlen(b) : 0, n;
    MDB_val kv, vv;
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
    kv.mv_size = k.n;
    kv.mv_data = k.b;
    vv.mv_size = n;
    vv.mv_data = buf;
    rc = mdb_put(txn, st->t_rpt, &kv, &vv, 0);
    if (rc)
        return mdb_err(st, rc);
    known(st->rpt, h, 1);
    return STMT_STORE_OK;
}

/* The latest passed/failed of (act, ordinal) among the 'F' keys stored before `below`:
 * *pf 0 when none. */
static int latest_pf(struct stmt_store *st, MDB_txn *txn, uint64_t act, uint32_t ord,
                     uint64_t below, uint64_t lo, unsigned *pf)
{
    struct key k;
    MDB_cursor *cur;
    MDB_val kv, vv;
    int rc;
    *pf = 0;
    key_start(&k, 'F', act);
    key_u32(&k, ord);
    key_u64(&k, below);
    kv.mv_size = k.n;
    kv.mv_data = k.b;
    if ((rc = mdb_cursor_open(txn, st->t_rpt, &cur)))
        return mdb_err(st, rc);
    rc = mdb_cursor_get(cur, &kv, &vv, MDB_SET_RANGE);
    if (rc == 0)
        rc = mdb_cursor_get(cur, &kv, &vv, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &kv, &vv, MDB_LAST);
    if (rc == 0 && kv.mv_size == 21 && !memcmp(kv.mv_data, k.b, 13) && vv.mv_size == 1 &&
        stmt__be64_get((unsigned char *)kv.mv_data + 13) >= lo)
        *pf = ((unsigned char *)vv.mv_data)[0];
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? STMT_STORE_OK : mdb_err(st, rc);
}

/* The dense ordinal of an actor ('O' actor -> ordinal + 1, 'N' -> the next one), so that
 * per-activity actor sets are bitmaps ('B', 'b'): a statement then touches a few hot keys of
 * its activities instead of one random key per (activity, actor). */
static int ordinal(struct stmt_store *st, MDB_txn *txn, uint64_t actor, uint32_t *ord)
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

/* Bitmap words: 'B' act chunk -> seen, completed, passed, failed (all time, 8 words each);
 * 'b' act day chunk -> seen, completed (that day). */
#define BM_SEEN 0
#define BM_COMP BMW
#define BM_PASS (2 * BMW)
#define BM_FAIL (3 * BMW)

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
 * actor's index entries ('a' term = the facts' actor hash) stored before `upto`, skipping
 * the removed statement `gone` and statements voided by then. Rare (voiding), so it may parse. */
static int recheck(struct stmt_store *st, MDB_txn *txn, uint64_t act, uint64_t actor, uint64_t upto,
                   uint64_t gone, uint32_t day, int out[4])
{
    uint64_t buf[FACTS_MAX / 8 + 1];
    struct stmt__rfacts *f = (struct stmt__rfacts *)buf;
    MDB_cursor *cur = NULL;
    int rc = 0;
    memset(out, 0, 4 * sizeof *out);
    if ((rc = mdb_cursor_open(txn, st->t_idx, &cur)))
        return mdb_err(st, rc);
    for (uint32_t e = 0; e < st->ep.n && !(out[0] && out[1] && out[2] && out[3]); e++) {
        unsigned char key[STMT_IDX_KEY];
        MDB_val k = {sizeof key, key}, v;
        stmt__idx_key(key, e, actor, 0);
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        while (rc == 0 && k.mv_size == STMT_IDX_KEY && !memcmp(k.mv_data, key, 12)) {
            uint64_t seq = stmt__be64_get((unsigned char *)k.mv_data + 12);
            unsigned char s8[8];
            MDB_val sk = {8, s8}, rv, vk, vv;
            if (seq >= upto)
                break;
            stmt__be64_put(s8, seq);
            if (seq != gone && mdb_get(txn, st->t_stmt, &sk, &rv) == 0 &&
                rv.mv_size >= STMT_REC_HDR &&
                !(((unsigned char *)rv.mv_data)[1] & STMT_REC_VOIDING)) {
                const unsigned char *r = rv.mv_data;
                size_t hdr = STMT_REC_HDR + 8 * (size_t)(r[2] << 8 | r[3]);
                int voided;
                vk.mv_size = 16;
                vk.mv_data = (void *)(r + 4);
                voided = mdb_get(txn, st->t_voided, &vk, &vv) == 0 && vv.mv_size == 8 &&
                         stmt__be64_get(vv.mv_data) < upto;
                if (!voided && hdr <= rv.mv_size) {
                    struct texts t;
                    cJSON *tree = cJSON_ParseWithLength((const char *)r + hdr, rv.mv_size - hdr);
                    int about = 0;
                    if (!tree) {
                        rc = ENOMEM;
                        break;
                    }
                    facts_of(tree, f, &t);
                    cJSON_Delete(tree);
                    about = f->actor == actor && f->has_obj && f->obj == act;
                    for (size_t i = 0; i < f->nctx && !about; i++)
                        about = f->actor == actor && f->ctx[i] == act;
                    if (about) {
                        int c = f->has_obj && f->obj == act && f->completed;
                        int same = (uint32_t)(seq / (uint64_t)day_us()) == day;
                        out[0] = 1;
                        out[1] |= c;
                        out[2] |= same;
                        out[3] |= same && c;
                    }
                }
            }
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
        if (rc)
            break;
    }
    mdb_cursor_close(cur);
    return rc ? mdb_err(st, rc) : STMT_STORE_OK;
}

/* Scores in 'D' act day: count, sum, min, max (doubles as bits), stale, histogram[10]. Voiding
 * takes a score out of count, sum and histogram exactly; when it was the day's min or max, the day
 * is marked stale and a report recomputes min/max of that day from its statements. */
/* 'D' act day: statements and actors of the day, then the day's scores (H_*). */
enum { D_ST, D_ACT, H_N, H_SUM, H_MIN, H_MAX, H_STALE, H_HIST, D_NV = H_HIST + 10 };

static double dget(const uint64_t *v, int i)
{
    double d;
    memcpy(&d, &v[i], 8);
    return d;
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
static int apply_one(struct stmt_store *st, MDB_txn *txn, const struct stmt__rfacts *f,
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
    if (sign < 0 && (rc = recheck(st, txn, act, f->actor, upto, seq, day, now)))
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
        MDB_val fkv, fvv;
        unsigned char pfb = f->pf;
        unsigned latest = f->pf;
        key_start(&fk, 'F', act);
        key_u32(&fk, ord);
        key_u64(&fk, seq);
        fkv.mv_size = fk.n;
        fkv.mv_data = fk.b;
        if (sign > 0) {
            fvv.mv_size = 1;
            fvv.mv_data = &pfb;
            rc = mdb_put(txn, st->t_rpt, &fkv, &fvv, 0);
        } else {
            rc = mdb_del(txn, st->t_rpt, &fkv, NULL);
            rc = rc == MDB_NOTFOUND ? 0 : rc;
            if (!rc && (rc = latest_pf(st, txn, act, ord, UINT64_MAX, 0, &latest)))
                return rc;
        }
        if (rc)
            return mdb_err(st, rc);
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
static int new_texts(struct stmt_store *st, MDB_txn *txn, const struct stmt__rfacts *f,
                     const unsigned char *rec, size_t len)
{
    size_t nt = (size_t)(rec[2] << 8 | rec[3]), hdr = STMT_REC_HDR + 8 * nt;
    int err = 0, need;
    cJSON *tree;
    uint64_t buf[FACTS_MAX / 8 + 1];
    struct texts t;
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
    facts_of(tree, (struct stmt__rfacts *)buf, &t);
    err = text_put(st, txn, f->verb_h, t.verb, NULL);
    if (!err && t.qid)
        err = text_put(st, txn, f->qh, t.qid, t.qname ? t.qname : "");
    if (!err && t.qid && t.response)
        err = text_put(st, txn, f->rh, t.response, NULL);
    cJSON_Delete(tree);
    return err;
}

static int apply(struct stmt_store *st, MDB_txn *txn, const unsigned char *rec, size_t len,
                 uint64_t seq, int sign, struct stmt__rfacts *given, uint64_t upto)
{
    size_t nt = (size_t)(rec[2] << 8 | rec[3]), hdr = STMT_REC_HDR + 8 * nt;
    uint32_t day = (uint32_t)(seq / (uint64_t)day_us()), ord = 0;
    uint64_t buf[FACTS_MAX / 8 + 1];
    struct stmt__rfacts *f = given;
    int rc = STMT_STORE_OK;
    if (hdr > len)
        return STMT_STORE_ERR_IO;
    if (!f) {
        struct texts t;
        cJSON *tree = cJSON_ParseWithLength((const char *)rec + hdr, len - hdr);
        if (!tree)
            return STMT_STORE_ERR_NOMEM; /* the writer wrote it from a parsed tree */
        f = (struct stmt__rfacts *)buf;
        facts_of(tree, f, &t);
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

int stmt__report_fold(struct stmt_store *st, MDB_txn *txn, const unsigned char *rec, size_t len,
                      uint64_t seq)
{
    struct stmt__rstate *r = rstate(st);
    struct stmt__rfacts *f;
    unsigned char id[16], ref[16];
    MDB_val k, v;
    int rc;
    if (!r)
        return STMT_STORE_ERR_NOMEM;
    if (len < STMT_REC_HDR)
        return STMT_STORE_ERR_IO;
    f = dequeue(r, (int64_t)seq);
    memcpy(id, rec + 4, 16);
    memcpy(ref, rec + 20, 16);
    if (rec[1] & STMT_REC_VOIDING) {
        /* Take the target out if it was counted: stored before this statement, and this is
         * its first voiding statement (the one in "stmt_voided"). */
        MDB_val tseq, trec;
        unsigned char sb[8];
        sc_free(f);
        k.mv_size = 16;
        k.mv_data = ref;
        rc = mdb_get(txn, st->t_voided, &k, &v);
        if (rc == MDB_NOTFOUND)
            return STMT_STORE_OK;
        if (rc)
            return mdb_err(st, rc);
        if (v.mv_size != 8 || stmt__be64_get(v.mv_data) != seq)
            return STMT_STORE_OK;
        rc = stmt__rec_by_id(st, txn, ref, &tseq, &trec, sb);
        if (rc == MDB_NOTFOUND)
            return STMT_STORE_OK;
        if (rc)
            return mdb_err(st, rc);
        {
            uint64_t ts = stmt__be64_get(tseq.mv_data);
            const unsigned char *t = trec.mv_data;
            if (ts >= seq || (t[1] & STMT_REC_VOIDING))
                return STMT_STORE_OK;
            return apply(st, txn, t, trec.mv_size, ts, -1, NULL, seq);
        }
    }
    /* Voided by a statement stored before it: never counted. (Most stores void little: the
     * lookup is skipped while the voided set of this transaction is empty.) */
    if (r->stat_txn != txn) {
        MDB_stat ms;
        r->stat_txn = txn;
        r->voided_any = mdb_stat(txn, st->t_voided, &ms) != 0 || ms.ms_entries > 0;
    }
    k.mv_size = 16;
    k.mv_data = id;
    rc = r->voided_any ? mdb_get(txn, st->t_voided, &k, &v) : MDB_NOTFOUND;
    if (rc == 0 && v.mv_size == 8 && stmt__be64_get(v.mv_data) < seq) {
        sc_free(f);
        return STMT_STORE_OK;
    }
    if (rc && rc != MDB_NOTFOUND) {
        sc_free(f);
        return mdb_err(st, rc);
    }
    rc = apply(st, txn, rec, len, seq, +1, f, seq);
    sc_free(f);
    return rc;
}

int stmt__report_flush(struct stmt_store *st, MDB_txn *txn)
{
    if (st->rpt)
        st->rpt->stat_txn = NULL;
    return cache_flush(st, txn, 1);
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

/* ---- reading --------------------------------------------------------------------------- */

struct agg {
    uint64_t h, h2; /* key hashes (h2: response) */
    uint64_t a, b;  /* counters */
};

struct aggv {
    struct agg *v;
    size_t n, cap;
};

static int aggv_add(struct aggv *a, uint64_t h, uint64_t h2, uint64_t x, uint64_t y)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        struct agg *nv = sc_realloc(a->v, nc * sizeof *nv);
        if (!nv)
            return STMT_STORE_ERR_NOMEM;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = (struct agg){h, h2, x, y};
    return STMT_STORE_OK;
}

static int cmp_hash(const void *pa, const void *pb)
{
    const struct agg *a = pa, *b = pb;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    if (a->h2 != b->h2)
        return a->h2 < b->h2 ? -1 : 1;
    return 0;
}

/* Sort by (h, h2) and sum equal ones. */
static void aggv_merge(struct aggv *a)
{
    size_t w = 0;
    if (!a->n)
        return;
    qsort(a->v, a->n, sizeof *a->v, cmp_hash);
    for (size_t i = 1; i < a->n; i++) {
        if (a->v[i].h == a->v[w].h && a->v[i].h2 == a->v[w].h2) {
            a->v[w].a += a->v[i].a;
            a->v[w].b += a->v[i].b;
        } else {
            a->v[++w] = a->v[i];
        }
    }
    a->n = w + 1;
}

struct rd {
    struct stmt_store *st;
    MDB_txn *txn;
    uint64_t act;
    uint32_t d0, d1;
    int windowed;
};

typedef int (*visit_fn)(struct rd *r, const unsigned char *k, size_t kn, const MDB_val *v,
                        void *ctx);

/* Every key of kind `kind` for the activity, in key order. */
static int scan(struct rd *r, char kind, visit_fn fn, void *ctx)
{
    struct key k;
    MDB_cursor *cur;
    MDB_val kv, vv;
    int rc, ret = STMT_STORE_OK;
    key_start(&k, kind, r->act);
    kv.mv_size = k.n;
    kv.mv_data = k.b;
    if ((rc = mdb_cursor_open(r->txn, r->st->t_rpt, &cur)))
        return STMT_STORE_ERR_IO;
    rc = mdb_cursor_get(cur, &kv, &vv, MDB_SET_RANGE);
    while (rc == 0 && kv.mv_size >= 9 && !memcmp(kv.mv_data, k.b, 9) && !ret) {
        ret = fn(r, kv.mv_data, kv.mv_size, &vv, ctx);
        rc = mdb_cursor_get(cur, &kv, &vv, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (ret)
        return ret;
    return rc == 0 || rc == MDB_NOTFOUND ? STMT_STORE_OK : STMT_STORE_ERR_IO;
}

static uint64_t val_u64(const MDB_val *v, size_t i)
{
    uint64_t x = 0;
    if (v->mv_size >= (i + 1) * 8)
        memcpy(&x, (const unsigned char *)v->mv_data + i * 8, 8);
    return x;
}

static int in_window(const struct rd *r, const unsigned char *dayp)
{
    uint32_t d = stmt__be32_get(dayp);
    return d >= r->d0 && d <= r->d1;
}

/* ctx: cJSON array by_day; also sums statements into the cJSON number "statements" holder */
struct day_ctx {
    cJSON *arr;
    uint64_t statements;
};

static int visit_day(struct rd *r, const unsigned char *k, size_t kn, const MDB_val *v, void *ctx)
{
    struct day_ctx *c = ctx;
    char iso[SC_TIME_ISO_LEN];
    cJSON *o;
    if (kn != 13 || !in_window(r, k + 9))
        return STMT_STORE_OK;
    o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(c->arr, o)) {
        cJSON_Delete(o);
        return STMT_STORE_ERR_NOMEM;
    }
    sc_time_format_iso((int64_t)stmt__be32_get(k + 9) * day_us(), 0, iso);
    iso[10] = '\0';
    c->statements += val_u64(v, 0);
    if (!cJSON_AddStringToObject(o, "day", iso) ||
        !cJSON_AddNumberToObject(o, "statements", (double)val_u64(v, 0)) ||
        !cJSON_AddNumberToObject(o, "actors", (double)val_u64(v, 1)))
        return STMT_STORE_ERR_NOMEM;
    return STMT_STORE_OK;
}

/* Windowed actors / completed / passed / failed: the union of the day bitmaps ('b') of the
 * window, and per actor in it the latest passed/failed stored in the window ('F'). */
struct actor_ctx {
    uint64_t actors, completed, passed, failed;
    uint64_t (*u)[2 * BMW]; /* per chunk: seen, completed */
    size_t nu;
    int nomem;
};

static int visit_bday(struct rd *r, const unsigned char *k, size_t kn, const MDB_val *v, void *ctx)
{
    struct actor_ctx *c = ctx;
    uint32_t chunk;
    if (kn != 17 || !in_window(r, k + 9) || v->mv_size != 2 * BMW * 8)
        return STMT_STORE_OK;
    chunk = stmt__be32_get(k + 13);
    if (chunk >= c->nu) {
        size_t nn = (size_t)chunk + 1;
        void *p = sc_realloc(c->u, nn * sizeof *c->u);
        if (!p)
            return STMT_STORE_ERR_NOMEM;
        c->u = p;
        memset(c->u + c->nu, 0, (nn - c->nu) * sizeof *c->u);
        c->nu = nn;
    }
    for (size_t i = 0; i < 2 * BMW; i++)
        c->u[chunk][i] |= val_u64(v, i);
    return STMT_STORE_OK;
}

/* All time: the populations of the four bitmaps of each chunk ('B'). */
static int visit_all(struct rd *r, const unsigned char *k, size_t kn, const MDB_val *v, void *ctx)
{
    uint64_t *pop = ctx;
    (void)r;
    (void)k;
    if (kn != 13 || v->mv_size != 4 * BMW * 8)
        return STMT_STORE_OK;
    for (size_t i = 0; i < 4 * BMW; i++)
        pop[i / BMW] += (uint64_t)__builtin_popcountll(val_u64(v, i));
    return STMT_STORE_OK;
}

static int window_actors(struct rd *r, struct actor_ctx *c)
{
    uint64_t lo = (uint64_t)r->d0 * (uint64_t)day_us();
    uint64_t hi = r->d1 == UINT32_MAX ? UINT64_MAX : ((uint64_t)r->d1 + 1) * (uint64_t)day_us();
    int rc = scan(r, 'b', visit_bday, c);
    for (size_t ch = 0; ch < c->nu && !rc; ch++) {
        for (unsigned i = 0; i < CHUNK && !rc; i++) {
            unsigned pf;
            if (!(c->u[ch][BM_SEEN + i / 64] >> (i % 64) & 1))
                continue;
            c->actors++;
            c->completed += c->u[ch][BM_COMP + i / 64] >> (i % 64) & 1;
            rc = latest_pf(r->st, r->txn, r->act, (uint32_t)(ch * CHUNK + i), hi, lo, &pf);
            c->passed += pf == PF_PASSED;
            c->failed += pf == PF_FAILED;
        }
    }
    sc_free(c->u);
    return rc;
}

/* 'V', 'X', 'Q', 'R' keys into an aggregation vector (day filtered). */
static int visit_agg(struct rd *r, const unsigned char *k, size_t kn, const MDB_val *v, void *ctx)
{
    if (kn < 21 || !in_window(r, k + 9))
        return STMT_STORE_OK;
    return aggv_add(ctx, stmt__be64_get(k + 13), kn >= 29 ? stmt__be64_get(k + 21) : 0,
                    val_u64(v, 0), val_u64(v, 1));
}

/* Text of hash h ('T' key) into buf (NUL-terminated; up to two parts). */
static void text_get(struct rd *r, uint64_t h, char *buf, size_t cap, size_t *n)
{
    struct key k;
    MDB_val kv, vv;
    key_start(&k, 'T', h);
    kv.mv_size = k.n;
    kv.mv_data = k.b;
    *n = 0;
    buf[0] = '\0';
    if (mdb_get(r->txn, r->st->t_rpt, &kv, &vv) == 0) {
        *n = vv.mv_size < cap - 1 ? vv.mv_size : cap - 1;
        memcpy(buf, vv.mv_data, *n);
        buf[*n] = '\0';
    }
}

static int cmp_count_desc(const void *pa, const void *pb)
{
    const struct agg *a = pa, *b = pb;
    if (a->a != b->a)
        return a->a > b->a ? -1 : 1;
    return a->h < b->h ? -1 : a->h > b->h;
}

static int add_verbs(struct rd *r, cJSON *rep)
{
    struct aggv a = {0};
    char buf[STMT_REPORT_MAX_TEXT + 1];
    size_t n;
    int rc = scan(r, 'V', visit_agg, &a);
    cJSON *arr = cJSON_AddArrayToObject(rep, "verbs");
    if (!arr)
        rc = STMT_STORE_ERR_NOMEM;
    aggv_merge(&a);
    if (a.n)
        qsort(a.v, a.n, sizeof *a.v, cmp_count_desc);
    for (size_t i = 0; i < a.n && !rc; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            rc = STMT_STORE_ERR_NOMEM;
            break;
        }
        text_get(r, a.v[i].h, buf, sizeof buf, &n);
        if (!cJSON_AddStringToObject(o, "id", buf) ||
            !cJSON_AddNumberToObject(o, "count", (double)a.v[i].a))
            rc = STMT_STORE_ERR_NOMEM;
    }
    sc_free(a.v);
    return rc;
}

struct score_ctx {
    uint64_t count, hist[10];
    double sum, mn, mx;
    int have; /* mn/mx hold the min/max of the days that are not stale */
    uint32_t *stale;
    size_t nstale;
    int nomem;
};

static int visit_score(struct rd *r, const unsigned char *k, size_t kn, const MDB_val *v, void *ctx)
{
    struct score_ctx *c = ctx;
    uint64_t w[D_NV];
    if (kn != 13 || !in_window(r, k + 9) || v->mv_size != sizeof w)
        return STMT_STORE_OK;
    memcpy(w, v->mv_data, sizeof w);
    if (!w[H_N])
        return STMT_STORE_OK;
    c->count += w[H_N];
    c->sum += dget(w, H_SUM);
    for (int i = 0; i < 10; i++)
        c->hist[i] += w[H_HIST + i];
    if (w[H_STALE]) {
        void *p = sc_realloc(c->stale, (c->nstale + 1) * sizeof *c->stale);
        if (!p)
            return STMT_STORE_ERR_NOMEM;
        c->stale = p;
        c->stale[c->nstale++] = stmt__be32_get(k + 9);
        return STMT_STORE_OK;
    }
    if (!c->have || dget(w, H_MIN) < c->mn)
        c->mn = dget(w, H_MIN);
    if (!c->have || dget(w, H_MAX) > c->mx)
        c->mx = dget(w, H_MAX);
    c->have = 1;
    return STMT_STORE_OK;
}

/* Min and max of the scores of `activity` on the stale days (a voided statement held the
 * day's min or max): from the statements themselves, through the statement query. */
static int stale_minmax(struct stmt_store *st, const char *activity, struct score_ctx *c)
{
    for (size_t d = 0; d < c->nstale; d++) {
        struct stmt_query q = {0};
        char more[STMT_STORE_MORE_LEN];
        q.activity = activity;
        q.since_us = (int64_t)c->stale[d] * day_us() - 1; /* exclusive */
        q.until_us = ((int64_t)c->stale[d] + 1) * day_us() - 1;
        q.scope = "report";
        for (;;) {
            struct stmt_page page;
            int rc = stmt_store_query(st, &q, &page);
            if (rc)
                return rc;
            for (size_t i = 0; i < page.n; i++) {
                cJSON *s = cJSON_ParseWithLength(page.items[i].json, page.items[i].len);
                const cJSON *x = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "result"),
                                                     "score"),
                    "scaled");
                const char *id = str_member(cJSON_GetObjectItemCaseSensitive(s, "object"), "id");
                if (!s) {
                    stmt_page_free(&page);
                    return STMT_STORE_ERR_NOMEM;
                }
                if (cJSON_IsNumber(x) && id && !strcmp(id, activity)) {
                    double v = x->valuedouble;
                    if (!c->have || v < c->mn)
                        c->mn = v;
                    if (!c->have || v > c->mx)
                        c->mx = v;
                    c->have = 1;
                }
                cJSON_Delete(s);
            }
            memcpy(more, page.more, sizeof more);
            stmt_page_free(&page);
            if (!more[0])
                break;
            q.cursor = more;
        }
    }
    return STMT_STORE_OK;
}

static int add_score(struct rd *r, cJSON *rep, struct score_ctx *c)
{
    cJSON *sc, *h;
    int rc = scan(r, 'D', visit_score, c);
    if (rc)
        return rc;
    sc = cJSON_AddObjectToObject(rep, "score");
    if (!sc || !cJSON_AddNumberToObject(sc, "count", (double)c->count))
        return STMT_STORE_ERR_NOMEM;
    /* min and max are set once the stale days are recomputed (stmt_report_activity) */
    if (c->count) {
        if (!cJSON_AddNumberToObject(sc, "mean", c->sum / (double)c->count) ||
            !cJSON_AddNumberToObject(sc, "min", c->mn) ||
            !cJSON_AddNumberToObject(sc, "max", c->mx))
            return STMT_STORE_ERR_NOMEM;
    } else if (!cJSON_AddNullToObject(sc, "mean") || !cJSON_AddNullToObject(sc, "min") ||
               !cJSON_AddNullToObject(sc, "max")) {
        return STMT_STORE_ERR_NOMEM;
    }
    h = cJSON_AddArrayToObject(sc, "histogram");
    for (int i = 0; h && i < 10; i++)
        if (!cJSON_AddItemToArray(h, cJSON_CreateNumber((double)c->hist[i])))
            return STMT_STORE_ERR_NOMEM;
    return h ? STMT_STORE_OK : STMT_STORE_ERR_NOMEM;
}

static int add_questions(struct rd *r, cJSON *rep)
{
    struct aggv q = {0}, resp = {0};
    char buf[2 * STMT_REPORT_MAX_TEXT + 3];
    size_t n, j = 0;
    int rc = scan(r, 'Q', visit_agg, &q);
    cJSON *arr = cJSON_AddArrayToObject(rep, "questions");
    if (!rc)
        rc = scan(r, 'R', visit_agg, &resp);
    if (!arr)
        rc = STMT_STORE_ERR_NOMEM;
    /* A 'Q' key has 21 bytes, an 'R' key 29: visit_agg stored h2 = 0 for 'Q'. */
    aggv_merge(&q);
    aggv_merge(&resp);
    for (size_t i = 0; i < q.n && !rc; i++) {
        cJSON *o = cJSON_CreateObject(), *ra;
        size_t j0;
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            rc = STMT_STORE_ERR_NOMEM;
            break;
        }
        text_get(r, q.v[i].h, buf, sizeof buf, &n);
        if (!cJSON_AddStringToObject(o, "id", buf) ||
            !cJSON_AddStringToObject(o, "name", strlen(buf) < n ? buf + strlen(buf) + 1 : "") ||
            !cJSON_AddNumberToObject(o, "attempts", (double)q.v[i].a) ||
            !cJSON_AddNumberToObject(o, "correct", (double)q.v[i].b) ||
            !(ra = cJSON_AddArrayToObject(o, "responses"))) {
            rc = STMT_STORE_ERR_NOMEM;
            break;
        }
        while (j < resp.n && resp.v[j].h < q.v[i].h)
            j++;
        j0 = j;
        while (j < resp.n && resp.v[j].h == q.v[i].h)
            j++;
        /* most frequent response first (swap h2 into h for the shared comparator) */
        for (size_t x = j0; x < j; x++) {
            uint64_t t = resp.v[x].h;
            resp.v[x].h = resp.v[x].h2;
            resp.v[x].h2 = t;
        }
        if (j > j0)
            qsort(resp.v + j0, j - j0, sizeof *resp.v, cmp_count_desc);
        for (size_t x = j0; x < j && !rc; x++) {
            cJSON *ro = cJSON_CreateObject();
            if (!ro || !cJSON_AddItemToArray(ra, ro)) {
                cJSON_Delete(ro);
                rc = STMT_STORE_ERR_NOMEM;
                break;
            }
            text_get(r, resp.v[x].h, buf, sizeof buf, &n);
            if (!cJSON_AddStringToObject(ro, "response", buf) ||
                !cJSON_AddNumberToObject(ro, "count", (double)resp.v[x].a))
                rc = STMT_STORE_ERR_NOMEM;
        }
    }
    sc_free(q.v);
    sc_free(resp.v);
    return rc;
}

static int add_num(cJSON *o, const char *name, uint64_t v)
{
    return cJSON_AddNumberToObject(o, name, (double)v) ? STMT_STORE_OK : STMT_STORE_ERR_NOMEM;
}

int stmt_report_activity(struct stmt_store *st, const char *activity, int64_t since_us,
                         int64_t until_us, cJSON **out)
{
    struct stmt_db_txn *t = NULL;
    struct rd r = {0};
    struct day_ctx dc = {0};
    struct score_ctx sc = {0};
    cJSON *rep = NULL;
    char iso[SC_TIME_ISO_LEN];
    int rc;

    if (!st || !activity || !out || since_us < 0 || until_us < 0)
        return STMT_STORE_ERR_ARG;
    rep = cJSON_CreateObject();
    if (!rep)
        return STMT_STORE_ERR_NOMEM;
    r.st = st;
    r.act = hash_str(STMT_TERM_ACTIVITY, activity);
    r.d0 = since_us ? (uint32_t)(since_us / day_us()) : 0;
    r.d1 = until_us ? (uint32_t)(until_us / day_us()) : UINT32_MAX;
    r.windowed = since_us || until_us;
    sc_time_format_iso(stmt_store_consistent_through(st), 3, iso);
    if (!cJSON_AddStringToObject(rep, "activity", activity) ||
        !cJSON_AddStringToObject(rep, "consistent_through", iso)) {
        rc = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    if (since_us) {
        sc_time_format_iso((int64_t)r.d0 * day_us(), 0, iso);
        if (!cJSON_AddStringToObject(rep, "since", iso)) {
            rc = STMT_STORE_ERR_NOMEM;
            goto out;
        }
    } else if (!cJSON_AddNullToObject(rep, "since")) {
        rc = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    if (until_us) {
        /* the last microsecond of the last day taken */
        sc_time_format_iso(((int64_t)r.d1 + 1) * day_us() - 1000, 3, iso);
        if (!cJSON_AddStringToObject(rep, "until", iso)) {
            rc = STMT_STORE_ERR_NOMEM;
            goto out;
        }
    } else if (!cJSON_AddNullToObject(rep, "until")) {
        rc = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc) {
        rc = STMT_STORE_ERR_IO;
        goto out;
    }
    r.txn = stmt__db_txn_raw(t);
    dc.arr = cJSON_CreateArray();
    if (!dc.arr) {
        rc = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    rc = scan(&r, 'D', visit_day, &dc);
    if (rc)
        goto out;
    if (!r.windowed) {
        uint64_t pop[4] = {0};
        rc = scan(&r, 'B', visit_all, pop);
        if (!rc)
            rc = add_num(rep, "statements", dc.statements);
        if (!rc)
            rc = add_num(rep, "actors", pop[0]);
        if (!rc)
            rc = add_num(rep, "completed", pop[1]);
        if (!rc)
            rc = add_num(rep, "passed", pop[2]);
        if (!rc)
            rc = add_num(rep, "failed", pop[3]);
    } else {
        struct actor_ctx ac = {0};
        rc = window_actors(&r, &ac);
        if (!rc)
            rc = add_num(rep, "statements", dc.statements);
        if (!rc)
            rc = add_num(rep, "actors", ac.actors);
        if (!rc)
            rc = add_num(rep, "completed", ac.completed);
        if (!rc)
            rc = add_num(rep, "passed", ac.passed);
        if (!rc)
            rc = add_num(rep, "failed", ac.failed);
    }
    if (!rc)
        rc = add_score(&r, rep, &sc);
    if (!rc)
        rc = add_verbs(&r, rep);
    if (!rc)
        rc = add_questions(&r, rep);
    if (!rc) {
        if (cJSON_AddItemToObject(rep, "by_day", dc.arr))
            dc.arr = NULL; /* moved into rep */
        else
            rc = STMT_STORE_ERR_NOMEM;
    }
out:
    stmt_db_txn_abort(t);
    cJSON_Delete(dc.arr);
    if (!rc && sc.nstale && sc.count) {
        /* after the read transaction: the statement query opens its own */
        cJSON *o = cJSON_GetObjectItemCaseSensitive(rep, "score");
        rc = stale_minmax(st, activity, &sc);
        if (!rc) {
            cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "min"), sc.mn);
            cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "max"), sc.mx);
        }
    }
    sc_free(sc.stale);
    if (rc) {
        cJSON_Delete(rep);
        return rc;
    }
    *out = rep;
    return STMT_STORE_OK;
}
