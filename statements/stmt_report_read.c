/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the activity report tallies (stmt_report.h, stmt_report_activity): a few range
 * scans of the tallies table in one read transaction, aggregated into the report.
 */
#include "statements/stmt_report_int.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"

#include <stdlib.h>
#include <string.h>

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
    struct stmt_db_txn *t;
    uint64_t act;
    uint32_t d0, d1;
    int windowed;
};

typedef int (*visit_fn)(struct rd *r, const unsigned char *k, size_t kn, const struct stmt_db_kv *v,
                        void *ctx);

/* Every key of kind `kind` for the activity, in key order. */
static int scan(struct rd *r, char kind, visit_fn fn, void *ctx)
{
    struct key k;
    struct stmt_db_cursor *cur;
    struct stmt_db_kv kv;
    int rc, ret = STMT_STORE_OK;
    key_start(&k, kind, r->act);
    if ((rc = stmt_db_cursor_open(r->t, r->st->tbl.rpt, &cur)))
        return stmt__db_to_store(rc);
    rc = stmt_db_cursor_seek(cur, k.b, k.n, &kv);
    while (rc == 0 && kv.klen >= 9 && !memcmp(kv.key, k.b, 9) && !ret) {
        ret = fn(r, kv.key, kv.klen, &kv, ctx);
        rc = stmt_db_cursor_next(cur, &kv);
    }
    stmt_db_cursor_close(cur);
    if (ret)
        return ret;
    return rc == 0 || rc == STMT_DB_NOTFOUND ? STMT_STORE_OK : stmt__db_to_store(rc);
}

static uint64_t val_u64(const struct stmt_db_kv *v, size_t i)
{
    uint64_t x = 0;
    if (v->vlen >= (i + 1) * 8)
        memcpy(&x, (const unsigned char *)v->val + i * 8, 8);
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

static int visit_day(struct rd *r, const unsigned char *k, size_t kn, const struct stmt_db_kv *v,
                     void *ctx)
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
    sc_time_format_iso((int64_t)stmt__be32_get(k + 9) * stmt__report_day_us(), 0, iso);
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

static int visit_bday(struct rd *r, const unsigned char *k, size_t kn, const struct stmt_db_kv *v,
                      void *ctx)
{
    struct actor_ctx *c = ctx;
    uint32_t chunk;
    if (kn != 17 || !in_window(r, k + 9) || v->vlen != 2 * BMW * 8)
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
static int visit_all(struct rd *r, const unsigned char *k, size_t kn, const struct stmt_db_kv *v,
                     void *ctx)
{
    uint64_t *pop = ctx;
    (void)r;
    (void)k;
    if (kn != 13 || v->vlen != 4 * BMW * 8)
        return STMT_STORE_OK;
    for (size_t i = 0; i < 4 * BMW; i++)
        pop[i / BMW] += (uint64_t)__builtin_popcountll(val_u64(v, i));
    return STMT_STORE_OK;
}

/* The latest passed/failed of each actor in [lo, hi) from one walk of the activity's 'F' keys
 * (ordinal, then stored order): on PostgreSQL a few pages instead of a seek per actor. */
struct pf_table {
    uint64_t lo, hi;
    uint32_t *ord, cur;
    unsigned char *pf, cur_pf;
    size_t n, cap;
    int have;
};

static int pf_push(struct pf_table *t)
{
    if (!t->have || !t->cur_pf)
        return STMT_STORE_OK;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        uint32_t *o = sc_realloc(t->ord, nc * sizeof *o);
        unsigned char *p;
        if (!o)
            return STMT_STORE_ERR_NOMEM;
        t->ord = o;
        if (!(p = sc_realloc(t->pf, nc)))
            return STMT_STORE_ERR_NOMEM;
        t->pf = p;
        t->cap = nc;
    }
    t->ord[t->n] = t->cur;
    t->pf[t->n++] = t->cur_pf;
    return STMT_STORE_OK;
}

static int visit_f(struct rd *r, const unsigned char *k, size_t kn, const struct stmt_db_kv *v,
                   void *ctx)
{
    struct pf_table *t = ctx;
    uint32_t ord;
    uint64_t seq;
    int rc;
    (void)r;
    if (kn != 21 || v->vlen != 1)
        return STMT_STORE_OK;
    ord = stmt__be32_get(k + 9);
    seq = stmt__be64_get(k + 13);
    if (!t->have || ord != t->cur) {
        if ((rc = pf_push(t)))
            return rc;
        t->have = 1;
        t->cur = ord;
        t->cur_pf = 0;
    }
    if (seq >= t->lo && seq < t->hi)
        t->cur_pf = ((const unsigned char *)v->val)[0]; /* keys ascend: the latest wins */
    return STMT_STORE_OK;
}

static unsigned pf_find(const struct pf_table *t, uint32_t ord)
{
    size_t a = 0, b = t->n;
    while (a < b) {
        size_t m = (a + b) / 2;
        if (t->ord[m] < ord)
            a = m + 1;
        else
            b = m;
    }
    return a < t->n && t->ord[a] == ord ? t->pf[a] : 0;
}

static int window_actors(struct rd *r, struct actor_ctx *c)
{
    uint64_t lo = (uint64_t)r->d0 * (uint64_t)stmt__report_day_us();
    uint64_t hi =
        r->d1 == UINT32_MAX ? UINT64_MAX : ((uint64_t)r->d1 + 1) * (uint64_t)stmt__report_day_us();
    struct pf_table pt = {lo, hi, NULL, 0, NULL, 0, 0, 0, 0};
    int walk = r->st->db->pg != NULL; /* LMDB: a seek per actor costs less than the walk */
    int rc = scan(r, 'b', visit_bday, c);
    if (!rc && walk && !(rc = scan(r, 'F', visit_f, &pt)))
        rc = pf_push(&pt);
    for (size_t ch = 0; ch < c->nu && !rc; ch++) {
        for (unsigned i = 0; i < CHUNK && !rc; i++) {
            unsigned pf;
            uint32_t ord = (uint32_t)(ch * CHUNK + i);
            if (!(c->u[ch][BM_SEEN + i / 64] >> (i % 64) & 1))
                continue;
            c->actors++;
            c->completed += c->u[ch][BM_COMP + i / 64] >> (i % 64) & 1;
            if (walk)
                pf = pf_find(&pt, ord);
            else
                rc = stmt__report_latest_pf(r->st, r->t, r->act, ord, hi, lo, &pf);
            c->passed += pf == PF_PASSED;
            c->failed += pf == PF_FAILED;
        }
    }
    sc_free(pt.ord);
    sc_free(pt.pf);
    sc_free(c->u);
    return rc;
}

/* 'V', 'X', 'Q', 'R' keys into an aggregation vector (day filtered). */
static int visit_agg(struct rd *r, const unsigned char *k, size_t kn, const struct stmt_db_kv *v,
                     void *ctx)
{
    if (kn < 21 || !in_window(r, k + 9))
        return STMT_STORE_OK;
    return aggv_add(ctx, stmt__be64_get(k + 13), kn >= 29 ? stmt__be64_get(k + 21) : 0,
                    val_u64(v, 0), val_u64(v, 1));
}

/* Text of hash h ('T' key) into buf (NUL-terminated; up to two parts); an absent text is
 * empty. Returns STMT_STORE_OK, or the read's error (PostgreSQL: I/O, allocation). */
static int text_get(struct rd *r, uint64_t h, char *buf, size_t cap, size_t *n)
{
    struct key k;
    const void *v;
    size_t vl;
    int rc;
    key_start(&k, 'T', h);
    *n = 0;
    buf[0] = '\0';
    rc = stmt_db_get(r->t, r->st->tbl.rpt, k.b, k.n, &v, &vl);
    if (rc == STMT_DB_NOTFOUND)
        return STMT_STORE_OK;
    if (rc)
        return stmt__db_to_store(rc);
    *n = vl < cap - 1 ? vl : cap - 1;
    memcpy(buf, v, *n);
    buf[*n] = '\0';
    return STMT_STORE_OK;
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
        if ((rc = text_get(r, a.v[i].h, buf, sizeof buf, &n)))
            break;
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

static int visit_score(struct rd *r, const unsigned char *k, size_t kn, const struct stmt_db_kv *v,
                       void *ctx)
{
    struct score_ctx *c = ctx;
    uint64_t w[D_NV];
    if (kn != 13 || !in_window(r, k + 9) || v->vlen != sizeof w)
        return STMT_STORE_OK;
    memcpy(w, v->val, sizeof w);
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
        q.since_us = (int64_t)c->stale[d] * stmt__report_day_us() - 1; /* exclusive */
        q.until_us = ((int64_t)c->stale[d] + 1) * stmt__report_day_us() - 1;
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
                const char *id =
                    stmt__report_str_member(cJSON_GetObjectItemCaseSensitive(s, "object"), "id");
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
        if ((rc = text_get(r, q.v[i].h, buf, sizeof buf, &n)))
            break;
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
            if ((rc = text_get(r, resp.v[x].h, buf, sizeof buf, &n)))
                break;
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
    /* The tallies are written by the fold, and statement queries no longer wait for it
     * (read-your-writes, stmt_tail.c): fold what is committed so the report includes every
     * acknowledged statement too, and consistent_through (now) is honest. */
    if ((rc = stmt_store_sync(st)) != STMT_STORE_OK)
        return rc == STMT_STORE_ERR_CLOSED ? STMT_STORE_ERR_IO : rc;
    rep = cJSON_CreateObject();
    if (!rep)
        return STMT_STORE_ERR_NOMEM;
    r.st = st;
    r.act = stmt__report_hash(STMT_TERM_ACTIVITY, activity);
    r.d0 = since_us ? (uint32_t)(since_us / stmt__report_day_us()) : 0;
    r.d1 = until_us ? (uint32_t)(until_us / stmt__report_day_us()) : UINT32_MAX;
    r.windowed = since_us || until_us;
    sc_time_format_iso(stmt_store_consistent_through(st), 3, iso);
    if (!cJSON_AddStringToObject(rep, "activity", activity) ||
        !cJSON_AddStringToObject(rep, "consistent_through", iso)) {
        rc = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    if (since_us) {
        sc_time_format_iso((int64_t)r.d0 * stmt__report_day_us(), 0, iso);
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
        sc_time_format_iso(((int64_t)r.d1 + 1) * stmt__report_day_us() - 1000, 3, iso);
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
        rc = stmt__db_to_store(rc);
        goto out;
    }
    r.t = t;
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
