/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The course report (issue 14, docs/reports.md): registrations, started, completed, passed,
 * failed, completion rate, score distribution, time spent (median, 90th percentile), per SCO,
 * per objective and per interaction (difficulty, mean latency, responses with the correct
 * pattern marked), from the run-time's own records.
 *
 * Computed over the course's registrations (scorm_rt_registration_get of each): its cost grows
 * with the number of registrations of the course (and the scan of the registration table).
 * The report the API serves is the one the run-time keeps as it writes (scorm_rt_report_keep.c);
 * this computation is its reference, which `scolar check` and the tests compare it with.
 */
#include "scorm/scorm_rt.h"
#include "scorm/scorm_rt_int.h"
#include "common/sc_alloc.h"
#include "common/sc_json.h"
#include "statements/stmt_db.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct regids {
    char (*id)[40];
    size_t n, cap;
    const char *course;
    int nomem;
};

/* Registration records name their course: keep the ids of this course's. */
static int visit_reg(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct regids *r = ctx;
    cJSON *rec;
    const cJSON *c;
    int mine;
    if (klen >= sizeof r->id[0])
        return 0;
    rec = cJSON_ParseWithLength(val, vlen);
    c = cJSON_GetObjectItemCaseSensitive(rec, "course");
    mine = cJSON_IsString(c) && !strcmp(c->valuestring, r->course) &&
           !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "preview"));
    cJSON_Delete(rec);
    if (!mine)
        return 0;
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 64;
        void *p = sc_realloc(r->id, nc * sizeof r->id[0]);
        if (!p) {
            r->nomem = 1;
            return 1;
        }
        r->id = p;
        r->cap = nc;
    }
    memcpy(r->id[r->n], key, klen);
    r->id[r->n][klen] = '\0';
    r->n++;
    return 0;
}

struct dvec {
    double *v;
    size_t n, cap;
};

static int dvec_add(struct dvec *d, double x)
{
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        double *p = sc_realloc(d->v, nc * sizeof *p);
        if (!p)
            return -1;
        d->v = p;
        d->cap = nc;
    }
    d->v[d->n++] = x;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (p in 0..100) of d (sorted in place); null when empty. */
static cJSON *percentile(struct dvec *d, double p)
{
    size_t rank;
    if (!d->n)
        return cJSON_CreateNull();
    qsort(d->v, d->n, sizeof *d->v, cmp_double);
    rank = (size_t)ceil(p / 100.0 * (double)d->n);
    if (rank < 1)
        rank = 1;
    return cJSON_CreateNumber(d->v[rank - 1]);
}

/* {count, mean, min, max, histogram[10]} over scaled scores. */
static cJSON *score_stats(const struct dvec *d)
{
    cJSON *o = cJSON_CreateObject(), *h;
    double sum = 0, mn = 0, mx = 0;
    double hist[10] = {0};
    if (!o)
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        double v = d->v[i];
        int bin = (int)floor(v * 10 + 1e-9);
        bin = bin < 0 ? 0 : bin > 9 ? 9 : bin;
        hist[bin]++;
        sum += v;
        mn = i == 0 || v < mn ? v : mn;
        mx = i == 0 || v > mx ? v : mx;
    }
    cJSON_AddNumberToObject(o, "count", (double)d->n);
    if (d->n) {
        cJSON_AddNumberToObject(o, "mean", sum / (double)d->n);
        cJSON_AddNumberToObject(o, "min", mn);
        cJSON_AddNumberToObject(o, "max", mx);
    } else {
        cJSON_AddNullToObject(o, "mean");
        cJSON_AddNullToObject(o, "min");
        cJSON_AddNullToObject(o, "max");
    }
    h = cJSON_AddArrayToObject(o, "histogram");
    for (int i = 0; h && i < 10; i++)
        cJSON_AddItemToArray(h, cJSON_CreateNumber(hist[i]));
    return o;
}

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int is(const char *s, const char *want)
{
    return s && !strcmp(s, want);
}

/* The entry named id in the array `arr` of objects (created with `init` members). */
static cJSON *entry(cJSON *arr, const char *id)
{
    cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (is(jstr(e, "id"), id))
            return e;
    }
    e = cJSON_CreateObject();
    if (!e || !cJSON_AddItemToArray(arr, e)) {
        cJSON_Delete(e);
        return NULL;
    }
    cJSON_AddStringToObject(e, "id", id);
    return e;
}

static void bump(cJSON *o, const char *name, double by)
{
    cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
    if (n)
        cJSON_SetNumberValue(n, n->valuedouble + by);
    else
        cJSON_AddNumberToObject(o, name, by);
}

/* Latency of an interaction in seconds: ISO 8601 duration (2004) or CMITimespan (1.2). */
static double latency_s(const char *s)
{
    int64_t cs;
    if (!s || !*s)
        return -1;
    cs = s[0] == 'P' ? scorm_rt_duration_cs(s) : scorm_rt_timespan12_cs(s);
    return cs < 0 ? -1 : (double)cs / 100.0;
}

/* Per interaction: attempts, correct, responses (learner_response / student_response) with
 * counts, the correct pattern, latency sum. Hidden members (leading '_') are dropped at the
 * end. */
static void add_interaction(cJSON *list, const cJSON *in)
{
    const char *id = jstr(in, "id"), *result = jstr(in, "result");
    const char *resp = jstr(in, "learner_response");
    const char *pattern = jstr(in, "correct_responses.0.pattern");
    double lat = latency_s(jstr(in, "latency"));
    cJSON *e, *rs, *r;
    if (!id)
        return;
    if (!resp)
        resp = jstr(in, "student_response");
    e = entry(list, id);
    if (!e)
        return;
    if (!cJSON_GetObjectItemCaseSensitive(e, "type") && jstr(in, "type"))
        cJSON_AddStringToObject(e, "type", jstr(in, "type"));
    if (pattern && !cJSON_GetObjectItemCaseSensitive(e, "correct_pattern"))
        cJSON_AddStringToObject(e, "correct_pattern", pattern);
    bump(e, "attempts", 1);
    bump(e, "correct", is(result, "correct"));
    if (lat >= 0) {
        bump(e, "_lat_sum", lat);
        bump(e, "_lat_n", 1);
    }
    rs = cJSON_GetObjectItemCaseSensitive(e, "responses");
    if (!rs)
        rs = cJSON_AddArrayToObject(e, "responses");
    if (!resp || !rs)
        return;
    cJSON_ArrayForEach(r, rs)
    {
        if (is(jstr(r, "response"), resp)) {
            bump(r, "count", 1);
            /* marked correct when any answer of it was judged correct */
            if ((pattern && !strcmp(pattern, resp)) || is(result, "correct"))
                sc_json_set(r, "correct", cJSON_CreateTrue());
            return;
        }
    }
    r = cJSON_CreateObject();
    if (!r || !cJSON_AddItemToArray(rs, r)) {
        cJSON_Delete(r);
        return;
    }
    cJSON_AddStringToObject(r, "response", resp);
    cJSON_AddNumberToObject(r, "count", 1);
    cJSON_AddBoolToObject(r, "correct",
                          (pattern && !strcmp(pattern, resp)) || is(result, "correct"));
}

static void finish_interactions(cJSON *list)
{
    cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        double att = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "attempts"));
        double ok = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "correct"));
        double ls = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "_lat_sum"));
        double ln = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "_lat_n"));
        /* difficulty: the share of attempts not answered correctly (0 easy .. 1 hard) */
        cJSON_AddNumberToObject(e, "difficulty", att > 0 ? 1.0 - ok / att : 0);
        if (ln > 0)
            cJSON_AddNumberToObject(e, "mean_latency_s", ls / ln);
        else
            cJSON_AddNullToObject(e, "mean_latency_s");
        cJSON_DeleteItemFromObjectCaseSensitive(e, "_lat_sum");
        cJSON_DeleteItemFromObjectCaseSensitive(e, "_lat_n");
    }
}

static void add_objective(cJSON *list, const cJSON *ob)
{
    const char *id = jstr(ob, "id");
    const char *succ = jstr(ob, "success_status"), *comp = jstr(ob, "completion_status");
    const char *st12 = jstr(ob, "status"), *scaled = jstr(ob, "score.scaled");
    cJSON *e;
    if (!id || !(e = entry(list, id)))
        return;
    bump(e, "registrations", 1);
    bump(e, "passed", is(succ, "passed") || is(st12, "passed"));
    bump(e, "failed", is(succ, "failed") || is(st12, "failed"));
    bump(e, "completed", is(comp, "completed") || is(st12, "completed") || is(st12, "passed"));
    if (scaled) {
        bump(e, "_score_sum", strtod(scaled, NULL));
        bump(e, "_score_n", 1);
    }
}

static void finish_objectives(cJSON *list)
{
    cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        double s = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "_score_sum"));
        double n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "_score_n"));
        if (n > 0)
            cJSON_AddNumberToObject(e, "mean_score", s / n);
        else
            cJSON_AddNullToObject(e, "mean_score");
        cJSON_DeleteItemFromObjectCaseSensitive(e, "_score_sum");
        cJSON_DeleteItemFromObjectCaseSensitive(e, "_score_n");
    }
}

int scorm_rt_course_report_scan(struct scorm_rt *rt, struct stmt_db *db, const char *course,
                                cJSON **out)
{
    struct regids ids = {0};
    struct stmt_db_txn *t = NULL;
    struct dvec scores = {0}, times = {0};
    cJSON *rep = NULL, *scos = NULL, *objectives = NULL, *interactions = NULL;
    size_t started = 0, completed = 0, passed = 0, failed = 0, n = 0;
    int rc;

    if (!rt || !db || !course || !out)
        return SCORM_RT_ERR_ARG;
    ids.course = course;
    if (stmt_db_txn_begin(db, 0, &t))
        return SCORM_RT_ERR_STORE;
    rc = stmt_db_scan(t, "registrations", NULL, 0, visit_reg, &ids);
    stmt_db_txn_abort(t);
    if (ids.nomem) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if (rc && rc != STMT_DB_NOTFOUND) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    rc = SCORM_RT_OK;
    rep = cJSON_CreateObject();
    scos = cJSON_CreateArray();
    objectives = cJSON_CreateArray();
    interactions = cJSON_CreateArray();
    if (!rep || !scos || !objectives || !interactions) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < ids.n; i++) {
        cJSON *r = NULL, *sco;
        const char *comp, *succ;
        double tcs = 0;
        int any_started = 0;
        if (scorm_rt_registration_get(rt, ids.id[i], &r) != SCORM_RT_OK)
            continue; /* deleted meanwhile */
        n++;
        comp = jstr(r, "completion");
        succ = jstr(r, "success");
        cJSON_ArrayForEach(sco, cJSON_GetObjectItemCaseSensitive(r, "scos"))
        {
            const char *sid = jstr(sco, "id"), *sc = jstr(sco, "completion");
            const char *ss = jstr(sco, "success");
            const cJSON *scaled = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(sco, "score"), "scaled");
            double spent =
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sco, "time_spent_cs"));
            int st = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sco, "attempts")) > 0 ||
                     (sc && strcmp(sc, "not attempted"));
            cJSON *e = sid ? entry(scos, sid) : NULL, *x;
            if (!e)
                continue;
            if (!cJSON_GetObjectItemCaseSensitive(e, "title")) {
                char *iri = scorm__activity_iri(rt->activity_base, course, sid, NULL, NULL);
                cJSON_AddStringToObject(e, "title", jstr(sco, "title") ? jstr(sco, "title") : sid);
                if (!iri || !cJSON_AddStringToObject(e, "activity", iri))
                    rc = SCORM_RT_ERR_NOMEM;
                sc_free(iri);
            }
            bump(e, "registrations", 1);
            bump(e, "started", st);
            bump(e, "completed", is(sc, "completed"));
            bump(e, "passed", is(ss, "passed"));
            bump(e, "failed", is(ss, "failed"));
            bump(e, "time_s", spent == spent ? spent / 100.0 : 0);
            if (cJSON_IsNumber(scaled)) {
                bump(e, "_score_sum", scaled->valuedouble);
                bump(e, "_score_n", 1);
            }
            any_started |= st;
            tcs += spent == spent ? spent : 0;
            cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(sco, "objectives"))
            {
                add_objective(objectives, x);
            }
            cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(sco, "interactions"))
            {
                add_interaction(interactions, x);
            }
        }
        if (any_started || (comp && strcmp(comp, "not attempted"))) {
            started++;
            if (dvec_add(&times, tcs / 100.0))
                rc = SCORM_RT_ERR_NOMEM;
        }
        completed += is(comp, "completed");
        passed += is(succ, "passed");
        failed += is(succ, "failed");
        {
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(r, "score"), "scaled");
            if (cJSON_IsNumber(s) && dvec_add(&scores, s->valuedouble))
                rc = SCORM_RT_ERR_NOMEM;
        }
        cJSON_Delete(r);
        if (rc)
            goto out;
    }
    {
        cJSON *e, *time;
        cJSON_ArrayForEach(e, scos)
        {
            double s = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "_score_sum"));
            double k = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "_score_n"));
            if (k > 0)
                cJSON_AddNumberToObject(e, "mean_score", s / k);
            else
                cJSON_AddNullToObject(e, "mean_score");
            cJSON_DeleteItemFromObjectCaseSensitive(e, "_score_sum");
            cJSON_DeleteItemFromObjectCaseSensitive(e, "_score_n");
        }
        finish_objectives(objectives);
        finish_interactions(interactions);
        char *iri = scorm__activity_iri(rt->activity_base, course, NULL, NULL, NULL);
        cJSON_AddStringToObject(rep, "course", course);
        if (!iri || !cJSON_AddStringToObject(rep, "activity", iri))
            rc = SCORM_RT_ERR_NOMEM;
        sc_free(iri);
        cJSON_AddNumberToObject(rep, "registrations", (double)n);
        cJSON_AddNumberToObject(rep, "started", (double)started);
        cJSON_AddNumberToObject(rep, "completed", (double)completed);
        cJSON_AddNumberToObject(rep, "passed", (double)passed);
        cJSON_AddNumberToObject(rep, "failed", (double)failed);
        if (n)
            cJSON_AddNumberToObject(rep, "completion_rate", (double)completed / (double)n);
        else
            cJSON_AddNullToObject(rep, "completion_rate");
        {
            cJSON *sst = score_stats(&scores);
            if (!sst || !cJSON_AddItemToObject(rep, "score", sst)) {
                cJSON_Delete(sst);
                rc = SCORM_RT_ERR_NOMEM;
            }
        }
        time = cJSON_AddObjectToObject(rep, "time");
        if (time) {
            cJSON *m = percentile(&times, 50), *p = percentile(&times, 90);
            if (!m || !cJSON_AddItemToObject(time, "median_s", m))
                cJSON_Delete(m);
            if (!p || !cJSON_AddItemToObject(time, "p90_s", p))
                cJSON_Delete(p);
        }
        if (cJSON_AddItemToObject(rep, "scos", scos))
            scos = NULL; /* moved into rep */
        if (cJSON_AddItemToObject(rep, "objectives", objectives))
            objectives = NULL;
        if (cJSON_AddItemToObject(rep, "interactions", interactions))
            interactions = NULL;
        if (scos || objectives || interactions)
            rc = SCORM_RT_ERR_NOMEM;
    }
out:
    sc_free(ids.id);
    sc_free(scores.v);
    sc_free(times.v);
    cJSON_Delete(scos);
    cJSON_Delete(objectives);
    cJSON_Delete(interactions);
    if (rc) {
        cJSON_Delete(rep);
        return rc;
    }
    *out = rep;
    return SCORM_RT_OK;
}
