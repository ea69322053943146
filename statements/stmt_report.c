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

#define PF_PASSED 1
#define PF_FAILED 2

/* What one statement contributes (pointers borrow from the parsed tree). */
struct facts {
    uint64_t actor;
    const char *verb;
    uint64_t verb_h;
    int has_obj;
    uint64_t obj;
    int completed; /* completed verb, or result.completion true */
    int pf;        /* PF_PASSED / PF_FAILED by verb, else 0 */
    int has_score;
    double scaled;
    int question; /* object is a cmi.interaction */
    const char *qid, *qname, *response;
    int success; /* result.success: 1 true, 0 otherwise */
    uint64_t ctx[STMT_REPORT_MAX_CONTEXT];
    size_t nctx;
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

static void add_ctx(struct facts *f, const cJSON *a)
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

static void facts_of(const cJSON *s, struct facts *f)
{
    const cJSON *actor = cJSON_GetObjectItemCaseSensitive(s, "actor");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(s, "object");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(s, "result");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(s, "context");
    const cJSON *verb = cJSON_GetObjectItemCaseSensitive(s, "verb");
    const char *ot = str_member(obj, "objectType");
    char ifi[1024];

    memset(f, 0, sizeof *f);
    if (stmt_store_agent_ifi(actor, ifi, sizeof ifi) == STMT_STORE_OK) {
        f->actor = hash_str(STMT_TERM_AGENT, ifi);
    } else {
        /* An anonymous Group: its members make it one actor. */
        char *txt = cJSON_PrintUnformatted(actor);
        f->actor = txt ? hash_str(STMT_TERM_AGENT, txt) : 0;
        cJSON_free(txt);
    }
    f->verb = str_member(verb, "id");
    if (!f->verb)
        f->verb = "";
    f->verb_h = hash_str(STMT_TERM_VERB, f->verb);
    if (!ot || !strcmp(ot, "Activity")) {
        const char *id = str_member(obj, "id");
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(obj, "definition");
        const char *type = str_member(def, "type");
        if (id) {
            f->has_obj = 1;
            f->obj = hash_str(STMT_TERM_ACTIVITY, id);
            if (type && !strcmp(type, TYPE_INTERACTION)) {
                f->question = 1;
                f->qid = id;
                f->qname = lang_pick(cJSON_GetObjectItemCaseSensitive(def, "name"));
            }
        }
    }
    f->completed = !strcmp(f->verb, VERB_COMPLETED) ||
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "completion"));
    f->pf = !strcmp(f->verb, VERB_PASSED)   ? PF_PASSED
            : !strcmp(f->verb, VERB_FAILED) ? PF_FAILED
                                            : 0;
    {
        const cJSON *score = cJSON_GetObjectItemCaseSensitive(res, "score");
        const cJSON *scaled = cJSON_GetObjectItemCaseSensitive(score, "scaled");
        if (cJSON_IsNumber(scaled)) {
            f->has_score = 1;
            f->scaled = scaled->valuedouble;
        }
    }
    f->success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "success"));
    f->response = str_member(res, "response");
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

/* ---- keys and counters ----------------------------------------------------------------- */

struct key {
    unsigned char b[40];
    size_t n;
};

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

/* Add delta[i] to the i-th of nf 64-bit counters under key k (absent = zeros); the key is
 * deleted when every counter is zero. old/now (may be NULL) get the values before/after. */
static int counters(struct stmt_store *st, MDB_txn *txn, const struct key *k, size_t nf,
                    const int64_t *delta, uint64_t *old, uint64_t *now)
{
    uint64_t v[8] = {0};
    MDB_val kv = {k->n, (void *)k->b}, vv;
    int rc = mdb_get(txn, st->t_rpt, &kv, &vv), zero = 1;
    if (rc == 0 && vv.mv_size == nf * 8)
        memcpy(v, vv.mv_data, nf * 8);
    else if (rc && rc != MDB_NOTFOUND)
        return mdb_err(st, rc);
    if (old)
        memcpy(old, v, nf * 8);
    for (size_t i = 0; i < nf; i++) {
        v[i] += (uint64_t)delta[i];
        zero &= v[i] == 0;
    }
    if (now)
        memcpy(now, v, nf * 8);
    if (zero) {
        rc = mdb_del(txn, st->t_rpt, &kv, NULL);
        return rc && rc != MDB_NOTFOUND ? mdb_err(st, rc) : STMT_STORE_OK;
    }
    vv.mv_size = nf * 8;
    vv.mv_data = v;
    rc = mdb_put(txn, st->t_rpt, &kv, &vv, 0);
    return rc ? mdb_err(st, rc) : STMT_STORE_OK;
}

/* The text behind hash h, written once. a/b: two parts joined by a NUL (b may be NULL). */
static int text_put(struct stmt_store *st, MDB_txn *txn, uint64_t h, const char *a, const char *b)
{
    struct key k;
    char buf[2 * STMT_REPORT_MAX_TEXT + 2];
    size_t na = strlen(a), nb = b ? strlen(b) : 0, n;
    MDB_val kv, vv;
    int rc;
    key_start(&k, 'T', h);
    kv.mv_size = k.n;
    kv.mv_data = k.b;
    rc = mdb_get(txn, st->t_rpt, &kv, &vv);
    if (rc == 0)
        return STMT_STORE_OK;
    if (rc != MDB_NOTFOUND)
        return mdb_err(st, rc);
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
    vv.mv_size = n;
    vv.mv_data = buf;
    rc = mdb_put(txn, st->t_rpt, &kv, &vv, 0);
    return rc ? mdb_err(st, rc) : STMT_STORE_OK;
}

/* The latest passed/failed of (act, actor) among the 'F' keys: *pf 0 when none. */
static int latest_pf(struct stmt_store *st, MDB_txn *txn, uint64_t act, uint64_t actor,
                     uint64_t *pf, uint64_t *seq)
{
    struct key k;
    MDB_cursor *cur;
    MDB_val kv, vv;
    int rc;
    *pf = *seq = 0;
    key_start(&k, 'F', act);
    key_u64(&k, actor);
    key_u64(&k, UINT64_MAX); /* past the last seq of the actor (never a stored value) */
    kv.mv_size = k.n;
    kv.mv_data = k.b;
    if ((rc = mdb_cursor_open(txn, st->t_rpt, &cur)))
        return mdb_err(st, rc);
    rc = mdb_cursor_get(cur, &kv, &vv, MDB_SET_RANGE);
    if (rc == 0)
        rc = mdb_cursor_get(cur, &kv, &vv, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &kv, &vv, MDB_LAST);
    if (rc == 0 && kv.mv_size == 25 && ((unsigned char *)kv.mv_data)[0] == 'F' &&
        stmt__be64_get((unsigned char *)kv.mv_data + 1) == act &&
        stmt__be64_get((unsigned char *)kv.mv_data + 9) == actor && vv.mv_size == 1) {
        *pf = ((unsigned char *)vv.mv_data)[0];
        *seq = stmt__be64_get((unsigned char *)kv.mv_data + 17);
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? STMT_STORE_OK : mdb_err(st, rc);
}

/* One statement (sign +1) or its removal (-1) for activity act. */
static int apply_one(struct stmt_store *st, MDB_txn *txn, const struct facts *f, uint64_t act,
                     uint32_t day, uint64_t seq, int sign)
{
    int is_obj = f->has_obj && act == f->obj;
    int64_t s = sign, c = is_obj && f->completed ? sign : 0;
    uint64_t o[4], n[4], u[4] = {0}, su[4];
    int64_t d[5] = {0};
    struct key k;
    MDB_val kv, vv;
    int rc;

    /* (act, actor, day): statements and completions; the day's distinct actors. */
    key_start(&k, 'P', act);
    key_u64(&k, f->actor);
    key_u32(&k, day);
    {
        int64_t dp[2] = {s, c};
        if ((rc = counters(st, txn, &k, 2, dp, o, n)))
            return rc;
    }
    key_start(&k, 'D', act);
    key_u32(&k, day);
    {
        int64_t dd[2] = {s, (o[0] == 0 && n[0] > 0) - (o[0] > 0 && n[0] == 0)};
        if ((rc = counters(st, txn, &k, 2, dd, NULL, NULL)))
            return rc;
    }

    /* (act, actor) all time: n, completions, latest pass/fail and its seq. */
    key_start(&k, 'U', act);
    key_u64(&k, f->actor);
    kv.mv_size = k.n;
    kv.mv_data = k.b;
    rc = mdb_get(txn, st->t_rpt, &kv, &vv);
    if (rc == 0 && vv.mv_size == sizeof u)
        memcpy(u, vv.mv_data, sizeof u);
    else if (rc && rc != MDB_NOTFOUND)
        return mdb_err(st, rc);
    memcpy(su, u, sizeof u);
    u[0] += (uint64_t)s;
    u[1] += (uint64_t)c;
    if (is_obj && f->pf) {
        struct key fk;
        MDB_val fkv, fvv;
        unsigned char pfb = (unsigned char)f->pf;
        key_start(&fk, 'F', act);
        key_u64(&fk, f->actor);
        key_u64(&fk, seq);
        fkv.mv_size = fk.n;
        fkv.mv_data = fk.b;
        if (sign > 0) {
            fvv.mv_size = 1;
            fvv.mv_data = &pfb;
            if ((rc = mdb_put(txn, st->t_rpt, &fkv, &fvv, 0)))
                return mdb_err(st, rc);
            if (seq >= u[3]) {
                u[2] = (uint64_t)f->pf;
                u[3] = seq;
            }
        } else {
            rc = mdb_del(txn, st->t_rpt, &fkv, NULL);
            if (rc && rc != MDB_NOTFOUND)
                return mdb_err(st, rc);
            if (u[3] == seq && (rc = latest_pf(st, txn, act, f->actor, &u[2], &u[3])))
                return rc;
        }
    }
    if (u[0] == 0 && u[1] == 0 && u[2] == 0) {
        rc = mdb_del(txn, st->t_rpt, &kv, NULL);
        if (rc && rc != MDB_NOTFOUND)
            return mdb_err(st, rc);
    } else {
        vv.mv_size = sizeof u;
        vv.mv_data = u;
        if ((rc = mdb_put(txn, st->t_rpt, &kv, &vv, 0)))
            return mdb_err(st, rc);
    }
    d[0] = s;
    d[1] = (su[0] == 0 && u[0] > 0) - (su[0] > 0 && u[0] == 0);
    d[2] = (su[1] == 0 && u[1] > 0) - (su[1] > 0 && u[1] == 0);
    d[3] = (u[2] == PF_PASSED) - (su[2] == PF_PASSED);
    d[4] = (u[2] == PF_FAILED) - (su[2] == PF_FAILED);
    key_start(&k, 'S', act);
    if ((rc = counters(st, txn, &k, 5, d, NULL, NULL)))
        return rc;

    key_start(&k, 'V', act);
    key_u32(&k, day);
    key_u64(&k, f->verb_h);
    if ((rc = counters(st, txn, &k, 1, &s, NULL, NULL)))
        return rc;
    if (sign > 0 && (rc = text_put(st, txn, f->verb_h, f->verb, NULL)))
        return rc;

    if (is_obj && f->has_score) {
        uint64_t bits;
        double v = f->scaled == 0 ? 0.0 : f->scaled; /* -0 and 0 are one score */
        memcpy(&bits, &v, 8);
        key_start(&k, 'X', act);
        key_u32(&k, day);
        key_u64(&k, bits);
        if ((rc = counters(st, txn, &k, 1, &s, NULL, NULL)))
            return rc;
    }

    if (!is_obj && f->question) {
        uint64_t qh = hash_str('q', f->qid);
        int64_t dq[2] = {s, f->success ? s : 0};
        key_start(&k, 'Q', act);
        key_u32(&k, day);
        key_u64(&k, qh);
        if ((rc = counters(st, txn, &k, 2, dq, NULL, NULL)))
            return rc;
        if (sign > 0 && (rc = text_put(st, txn, qh, f->qid, f->qname ? f->qname : "")))
            return rc;
        if (f->response) {
            uint64_t rh = hash_str('p', f->response);
            k.b[0] = 'R'; /* 'R' act day question response */
            key_u64(&k, rh);
            if ((rc = counters(st, txn, &k, 1, &s, NULL, NULL)))
                return rc;
            if (sign > 0 && (rc = text_put(st, txn, rh, f->response, NULL)))
                return rc;
        }
    }
    return STMT_STORE_OK;
}

static int apply(struct stmt_store *st, MDB_txn *txn, const unsigned char *rec, size_t len,
                 uint64_t seq, int sign)
{
    size_t nt = (size_t)(rec[2] << 8 | rec[3]), hdr = STMT_REC_HDR + 8 * nt;
    uint32_t day = (uint32_t)(seq / (uint64_t)STMT_REPORT_DAY_US);
    struct facts *f;
    cJSON *tree;
    int rc = STMT_STORE_OK;
    if (hdr > len)
        return STMT_STORE_ERR_IO;
    tree = cJSON_ParseWithLength((const char *)rec + hdr, len - hdr);
    if (!tree)
        return STMT_STORE_ERR_NOMEM; /* the writer wrote it from a parsed tree */
    f = sc_malloc(sizeof *f);
    if (!f) {
        cJSON_Delete(tree);
        return STMT_STORE_ERR_NOMEM;
    }
    facts_of(tree, f);
    if (f->has_obj)
        rc = apply_one(st, txn, f, f->obj, day, seq, sign);
    for (size_t i = 0; i < f->nctx && !rc; i++)
        rc = apply_one(st, txn, f, f->ctx[i], day, seq, sign);
    sc_free(f);
    cJSON_Delete(tree);
    return rc;
}

int stmt__report_fold(struct stmt_store *st, MDB_txn *txn, const unsigned char *rec, size_t len,
                      uint64_t seq)
{
    unsigned char id[16], ref[16];
    MDB_val k, v;
    int rc;
    if (len < STMT_REC_HDR)
        return STMT_STORE_ERR_IO;
    memcpy(id, rec + 4, 16);
    memcpy(ref, rec + 20, 16);
    if (rec[1] & STMT_REC_VOIDING) {
        /* Take the target out if it was counted: stored before this statement, and this is
         * its first voiding statement (the one in "stmt_voided"). */
        MDB_val tseq, trec;
        unsigned char sb[8];
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
            return apply(st, txn, t, trec.mv_size, ts, -1);
        }
    }
    /* Voided by a statement stored before it: never counted. */
    k.mv_size = 16;
    k.mv_data = id;
    rc = mdb_get(txn, st->t_voided, &k, &v);
    if (rc == 0 && v.mv_size == 8 && stmt__be64_get(v.mv_data) < seq)
        return STMT_STORE_OK;
    if (rc && rc != MDB_NOTFOUND)
        return mdb_err(st, rc);
    return apply(st, txn, rec, len, seq, +1);
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
    sc_time_format_iso((int64_t)stmt__be32_get(k + 9) * STMT_REPORT_DAY_US, 0, iso);
    iso[10] = '\0';
    c->statements += val_u64(v, 0);
    if (!cJSON_AddStringToObject(o, "day", iso) ||
        !cJSON_AddNumberToObject(o, "statements", (double)val_u64(v, 0)) ||
        !cJSON_AddNumberToObject(o, "actors", (double)val_u64(v, 1)))
        return STMT_STORE_ERR_NOMEM;
    return STMT_STORE_OK;
}

/* Windowed actors / completed / passed / failed from the (act, actor, day) keys. */
struct actor_ctx {
    uint64_t actors, completed, passed, failed;
    uint64_t cur; /* actor being counted */
    int have, done_c;
};

static int close_actor(struct rd *r, struct actor_ctx *c)
{
    struct key k;
    MDB_cursor *cur;
    MDB_val kv, vv;
    uint64_t lo = (uint64_t)r->d0 * (uint64_t)STMT_REPORT_DAY_US;
    uint64_t hi = ((uint64_t)r->d1 + 1) * (uint64_t)STMT_REPORT_DAY_US;
    int rc;
    if (!c->have)
        return STMT_STORE_OK;
    c->have = 0;
    /* The latest passed/failed stored in the window. */
    key_start(&k, 'F', r->act);
    key_u64(&k, c->cur);
    key_u64(&k, hi);
    kv.mv_size = k.n;
    kv.mv_data = k.b;
    if (mdb_cursor_open(r->txn, r->st->t_rpt, &cur))
        return STMT_STORE_ERR_IO;
    rc = mdb_cursor_get(cur, &kv, &vv, MDB_SET_RANGE);
    if (rc == 0)
        rc = mdb_cursor_get(cur, &kv, &vv, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &kv, &vv, MDB_LAST);
    if (rc == 0 && kv.mv_size == 25 && !memcmp(kv.mv_data, k.b, 17) &&
        stmt__be64_get((unsigned char *)kv.mv_data + 17) >= lo && vv.mv_size == 1) {
        unsigned char pf = ((unsigned char *)vv.mv_data)[0];
        c->passed += pf == PF_PASSED;
        c->failed += pf == PF_FAILED;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? STMT_STORE_OK : STMT_STORE_ERR_IO;
}

static int visit_actor(struct rd *r, const unsigned char *k, size_t kn, const MDB_val *v, void *ctx)
{
    struct actor_ctx *c = ctx;
    uint64_t actor;
    int rc;
    if (kn != 21 || !in_window(r, k + 17) || val_u64(v, 0) == 0)
        return STMT_STORE_OK;
    actor = stmt__be64_get(k + 9);
    if (!c->have || actor != c->cur) {
        if ((rc = close_actor(r, c)))
            return rc;
        c->have = 1;
        c->cur = actor;
        c->done_c = 0;
        c->actors++;
    }
    if (val_u64(v, 1) && !c->done_c) {
        c->done_c = 1;
        c->completed++;
    }
    return STMT_STORE_OK;
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

static int add_score(struct rd *r, cJSON *rep)
{
    struct aggv a = {0};
    uint64_t count = 0, hist[10] = {0};
    double sum = 0, mn = 0, mx = 0;
    cJSON *sc, *h;
    int rc = scan(r, 'X', visit_agg, &a);
    if (rc) {
        sc_free(a.v);
        return rc;
    }
    for (size_t i = 0; i < a.n; i++) {
        double v;
        int bin;
        memcpy(&v, &a.v[i].h, 8);
        if (!count || v < mn)
            mn = v;
        if (!count || v > mx)
            mx = v;
        count += a.v[i].a;
        sum += v * (double)a.v[i].a;
        /* [0,0.1) ... [0.9,1.0]; the tolerance puts 0.3 (2.9999... * 10) into [0.3,0.4). */
        bin = (int)floor(v * 10 + 1e-9);
        bin = bin < 0 ? 0 : bin > 9 ? 9 : bin;
        hist[bin] += a.v[i].a;
    }
    sc_free(a.v);
    sc = cJSON_AddObjectToObject(rep, "score");
    if (!sc || !cJSON_AddNumberToObject(sc, "count", (double)count))
        return STMT_STORE_ERR_NOMEM;
    if (count) {
        if (!cJSON_AddNumberToObject(sc, "mean", sum / (double)count) ||
            !cJSON_AddNumberToObject(sc, "min", mn) || !cJSON_AddNumberToObject(sc, "max", mx))
            return STMT_STORE_ERR_NOMEM;
    } else if (!cJSON_AddNullToObject(sc, "mean") || !cJSON_AddNullToObject(sc, "min") ||
               !cJSON_AddNullToObject(sc, "max")) {
        return STMT_STORE_ERR_NOMEM;
    }
    h = cJSON_AddArrayToObject(sc, "histogram");
    for (int i = 0; h && i < 10; i++)
        if (!cJSON_AddItemToArray(h, cJSON_CreateNumber((double)hist[i])))
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
    r.d0 = since_us ? (uint32_t)(since_us / STMT_REPORT_DAY_US) : 0;
    r.d1 = until_us ? (uint32_t)(until_us / STMT_REPORT_DAY_US) : UINT32_MAX;
    r.windowed = since_us || until_us;
    sc_time_format_iso(stmt_store_consistent_through(st), 3, iso);
    if (!cJSON_AddStringToObject(rep, "activity", activity) ||
        !cJSON_AddStringToObject(rep, "consistent_through", iso)) {
        rc = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    if (since_us) {
        sc_time_format_iso((int64_t)r.d0 * STMT_REPORT_DAY_US, 0, iso);
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
        sc_time_format_iso(((int64_t)r.d1 + 1) * STMT_REPORT_DAY_US - 1000, 3, iso);
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
        struct key k;
        MDB_val kv, vv = {0, NULL};
        key_start(&k, 'S', r.act);
        kv.mv_size = k.n;
        kv.mv_data = k.b;
        rc = mdb_get(r.txn, st->t_rpt, &kv, &vv);
        if (rc && rc != MDB_NOTFOUND) {
            rc = STMT_STORE_ERR_IO;
            goto out;
        }
        if (rc)
            vv.mv_size = 0;
        rc = add_num(rep, "statements", val_u64(&vv, 0));
        if (!rc)
            rc = add_num(rep, "actors", val_u64(&vv, 1));
        if (!rc)
            rc = add_num(rep, "completed", val_u64(&vv, 2));
        if (!rc)
            rc = add_num(rep, "passed", val_u64(&vv, 3));
        if (!rc)
            rc = add_num(rep, "failed", val_u64(&vv, 4));
    } else {
        struct actor_ctx ac = {0};
        rc = scan(&r, 'P', visit_actor, &ac);
        if (!rc)
            rc = close_actor(&r, &ac);
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
        rc = add_score(&r, rep);
    if (!rc)
        rc = add_verbs(&r, rep);
    if (!rc)
        rc = add_questions(&r, rep);
    if (!rc) {
        cJSON_AddItemToObject(rep, "by_day", dc.arr);
        dc.arr = NULL;
    }
out:
    stmt_db_txn_abort(t);
    cJSON_Delete(dc.arr);
    if (rc) {
        cJSON_Delete(rep);
        return rc;
    }
    *out = rep;
    return STMT_STORE_OK;
}
