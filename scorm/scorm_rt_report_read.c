/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the course report the run-time keeps (scorm_rt_report_keep.c has the tables), and
 * checking it against the one computed from the registrations' records (scorm_rt_report.c):
 * `scolar check`.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "common/sc_alloc.h"
#include "common/sc_json.h"
#include "statements/stmt_db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP '\x1f'
#define T_REPORT "course_report"
#define T_IDX "course_report_idx"

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

/* ---- reading it -------------------------------------------------------------------------- */

struct rd {
    const char *prefix;
    size_t plen;
    cJSON *sum, *scos, *objs, *ints;
    double *v;
    size_t n, cap;
    int nomem;
};

static int rd_rows(void *ctx, const void *k, size_t kl, const void *val, size_t vl)
{
    struct rd *r = ctx;
    cJSON *row, *dest;
    char kind;
    if (kl < r->plen + 1 || memcmp(k, r->prefix, r->plen))
        return 1;
    kind = ((const char *)k)[r->plen];
    row = cJSON_ParseWithLength(val, vl);
    if (!row) {
        r->nomem = 1;
        return 1;
    }
    dest = kind == 's' ? r->scos : kind == 'o' ? r->objs : kind == 'i' ? r->ints : NULL;
    if (kind == '#' && kl == r->plen + 1) {
        cJSON_Delete(r->sum);
        r->sum = row;
    } else if (dest && cJSON_AddItemToArray(dest, row)) {
        ;
    } else
        cJSON_Delete(row);
    return 0;
}

static int rd_vals(void *ctx, const void *k, size_t kl, const void *val, size_t vl)
{
    struct rd *r = ctx;
    char hex[17];
    unsigned long long u;
    (void)val;
    (void)vl;
    if (kl < r->plen + 17 || memcmp(k, r->prefix, r->plen))
        return 1;
    memcpy(hex, (const char *)k + r->plen, 16);
    hex[16] = 0;
    u = strtoull(hex, NULL, 16);
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 256;
        double *p = sc_realloc(r->v, nc * sizeof *p);
        if (!p) {
            r->nomem = 1;
            return 1;
        }
        r->v = p;
        r->cap = nc;
    }
    r->v[r->n++] = (double)u;
    return 0;
}

/* min and max of the course's scores: the first and last keys under "<course>\x1fS\x1f". */
struct mm {
    const char *prefix;
    size_t plen;
    int any;
    double min, max;
};

static double hex_to_score(const char *hex)
{
    char b[17];
    uint64_t u;
    double d;
    memcpy(b, hex, 16);
    b[16] = 0;
    u = strtoull(b, NULL, 16);
    u = (u >> 63) ? u & ~(1ULL << 63) : ~u;
    memcpy(&d, &u, sizeof d);
    return d;
}

static int mm_visit(void *ctx, const void *k, size_t kl, const void *val, size_t vl)
{
    struct mm *m = ctx;
    double d;
    (void)val;
    (void)vl;
    if (kl < m->plen + 16 || memcmp(k, m->prefix, m->plen))
        return 1;
    d = hex_to_score((const char *)k + m->plen);
    if (!m->any)
        m->min = d;
    m->max = d;
    m->any = 1;
    return 0;
}

static int by_ord(const void *a, const void *b)
{
    double x = jnum(*(cJSON *const *)a, "ord"), y = jnum(*(cJSON *const *)b, "ord");
    return x < y ? -1 : x > y;
}

static int by_count(const void *a, const void *b)
{
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    double cx = jnum(x, "count"), cy = jnum(y, "count");
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return strcmp(scorm__jstr(x, "response"), scorm__jstr(y, "response"));
}

/* Sort the items of arr with cmp (rebuilding the array in order). */
static int sort_array(cJSON *arr, int (*cmp)(const void *, const void *))
{
    int n = cJSON_GetArraySize(arr);
    cJSON **v;
    if (n < 2)
        return 0;
    v = sc_calloc((size_t)n, sizeof *v);
    if (!v)
        return -1;
    for (int i = 0; i < n; i++)
        v[i] = cJSON_DetachItemFromArray(arr, 0);
    qsort(v, (size_t)n, sizeof *v, cmp);
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, v[i]);
    sc_free(v);
    return 0;
}

static cJSON *mean_or_null(double s, double n)
{
    return n > 0 ? cJSON_CreateNumber(s / n) : cJSON_CreateNull();
}

/* Nearest-rank percentile p of the sorted times (seconds); null when empty. */
static cJSON *pct(const struct rd *r, double p)
{
    size_t rank;
    if (!r->n)
        return cJSON_CreateNull();
    rank = (size_t)ceil(p / 100.0 * (double)r->n);
    if (rank < 1)
        rank = 1;
    return cJSON_CreateNumber(r->v[rank - 1] / 100.0);
}

/* "activity": the IRI of the course (sco NULL) or of one of its SCOs, as the bridge writes it */
static int add_iri(cJSON *o, const char *base, const char *course, const char *sco)
{
    char *s = scorm__activity_iri(base, course, sco, NULL, NULL);
    int rc = s && cJSON_AddStringToObject(o, "activity", s) ? 0 : -1;
    sc_free(s);
    return rc;
}

static int out_scos(cJSON *rep, cJSON *rows, const char *base, const char *course)
{
    cJSON *arr = cJSON_AddArrayToObject(rep, "scos"), *row;
    if (!arr || sort_array(rows, by_ord))
        return -1;
    cJSON_ArrayForEach(row, rows)
    {
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(arr, e)) {
            cJSON_Delete(e);
            return -1;
        }
        cJSON_AddStringToObject(e, "id", scorm__jstr(row, "id") ? scorm__jstr(row, "id") : "");
        cJSON_AddStringToObject(e, "title",
                                scorm__jstr(row, "title") ? scorm__jstr(row, "title") : "");
        if (add_iri(e, base, course, scorm__jstr(row, "id")))
            return -1;
        cJSON_AddNumberToObject(e, "registrations", jnum(row, "reg"));
        cJSON_AddNumberToObject(e, "started", jnum(row, "st"));
        cJSON_AddNumberToObject(e, "completed", jnum(row, "c"));
        cJSON_AddNumberToObject(e, "passed", jnum(row, "p"));
        cJSON_AddNumberToObject(e, "failed", jnum(row, "f"));
        cJSON_AddNumberToObject(e, "time_s", jnum(row, "t") / 100.0);
        cJSON_AddItemToObject(e, "mean_score", mean_or_null(jnum(row, "ss"), jnum(row, "sn")));
    }
    return 0;
}

static int out_objectives(cJSON *rep, const cJSON *rows)
{
    cJSON *arr = cJSON_AddArrayToObject(rep, "objectives");
    const cJSON *row;
    if (!arr)
        return -1;
    cJSON_ArrayForEach(row, rows)
    {
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(arr, e)) {
            cJSON_Delete(e);
            return -1;
        }
        cJSON_AddStringToObject(e, "id", scorm__jstr(row, "id") ? scorm__jstr(row, "id") : "");
        cJSON_AddNumberToObject(e, "registrations", jnum(row, "reg"));
        cJSON_AddNumberToObject(e, "completed", jnum(row, "c"));
        cJSON_AddNumberToObject(e, "passed", jnum(row, "p"));
        cJSON_AddNumberToObject(e, "failed", jnum(row, "f"));
        cJSON_AddItemToObject(e, "mean_score", mean_or_null(jnum(row, "ss"), jnum(row, "sn")));
    }
    return 0;
}

static int out_interactions(cJSON *rep, const cJSON *rows)
{
    cJSON *arr = cJSON_AddArrayToObject(rep, "interactions");
    const cJSON *row, *r;
    if (!arr)
        return -1;
    cJSON_ArrayForEach(row, rows)
    {
        cJSON *e = cJSON_CreateObject(), *rs;
        double att = jnum(row, "att"), ok = jnum(row, "ok");
        if (!e || !cJSON_AddItemToArray(arr, e)) {
            cJSON_Delete(e);
            return -1;
        }
        cJSON_AddStringToObject(e, "id", scorm__jstr(row, "id") ? scorm__jstr(row, "id") : "");
        if (scorm__jstr(row, "type"))
            cJSON_AddStringToObject(e, "type", scorm__jstr(row, "type"));
        if (scorm__jstr(row, "pat"))
            cJSON_AddStringToObject(e, "correct_pattern", scorm__jstr(row, "pat"));
        cJSON_AddNumberToObject(e, "attempts", att);
        cJSON_AddNumberToObject(e, "correct", ok);
        /* difficulty: the share of attempts not answered correctly (0 easy .. 1 hard) */
        cJSON_AddNumberToObject(e, "difficulty", att > 0 ? 1.0 - ok / att : 0);
        cJSON_AddItemToObject(e, "mean_latency_s", mean_or_null(jnum(row, "ls"), jnum(row, "ln")));
        rs = cJSON_AddArrayToObject(e, "responses");
        if (!rs)
            return -1;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(row, "rs"))
        {
            cJSON *x = cJSON_CreateObject();
            if (!x || !cJSON_AddItemToArray(rs, x)) {
                cJSON_Delete(x);
                return -1;
            }
            cJSON_AddStringToObject(x, "response", r->string);
            cJSON_AddNumberToObject(x, "count", cJSON_GetNumberValue(cJSON_GetArrayItem(r, 0)));
            cJSON_AddBoolToObject(x, "correct", cJSON_GetNumberValue(cJSON_GetArrayItem(r, 1)) > 0);
        }
        if (sort_array(rs, by_count))
            return -1;
    }
    return 0;
}

int scorm_rt_course_report(struct scorm_rt *rt, struct stmt_db *db, const char *course, cJSON **out)
{
    char prefix[STMT_DB_MAX_KEY + 1];
    struct stmt_db_txn *t = NULL;
    struct rd r;
    struct mm m;
    cJSON *rep = NULL, *sc, *h, *time;
    double n, sn;
    int rc, bad = 0;

    if (!rt || !db || !course || !out)
        return SCORM_RT_ERR_ARG;
    if (strlen(course) > SCORM_MAX_COURSE_ID)
        return SCORM_RT_ERR_NOTFOUND;
    memset(&r, 0, sizeof r);
    memset(&m, 0, sizeof m);
    r.scos = cJSON_CreateArray();
    r.objs = cJSON_CreateArray();
    r.ints = cJSON_CreateArray();
    rep = cJSON_CreateObject();
    if (!r.scos || !r.objs || !r.ints || !rep) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if (stmt_db_txn_begin(db, 0, &t)) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    /* one read snapshot: the rows and the value indexes agree */
    snprintf(prefix, sizeof prefix, "%s%c", course, SEP);
    r.prefix = prefix;
    r.plen = strlen(prefix);
    rc = stmt_db_scan(t, T_REPORT, prefix, r.plen, rd_rows, &r);
    if (!r.nomem && (rc >= 0 || rc == STMT_DB_NOTFOUND)) {
        snprintf(prefix, sizeof prefix, "%s%cS%c", course, SEP, SEP);
        m.prefix = prefix;
        m.plen = strlen(prefix);
        rc = stmt_db_scan(t, T_IDX, prefix, m.plen, mm_visit, &m);
    }
    if (!r.nomem && (rc >= 0 || rc == STMT_DB_NOTFOUND)) {
        snprintf(prefix, sizeof prefix, "%s%cT%c", course, SEP, SEP);
        r.prefix = prefix;
        r.plen = strlen(prefix);
        rc = stmt_db_scan(t, T_IDX, prefix, r.plen, rd_vals, &r);
    }
    stmt_db_txn_abort(t);
    if (r.nomem) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if (rc < 0 && rc != STMT_DB_NOTFOUND) { /* > 0: a visitor stopped at the prefix's end */
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    n = jnum(r.sum, "reg");
    sn = jnum(r.sum, "sn");
    cJSON_AddStringToObject(rep, "course", course);
    /* the xAPI activity the bridge's statements are about (the statement browser's filter) */
    bad |= add_iri(rep, rt->activity_base, course, NULL);
    cJSON_AddNumberToObject(rep, "registrations", n);
    cJSON_AddNumberToObject(rep, "started", jnum(r.sum, "st"));
    cJSON_AddNumberToObject(rep, "completed", jnum(r.sum, "c"));
    cJSON_AddNumberToObject(rep, "passed", jnum(r.sum, "p"));
    cJSON_AddNumberToObject(rep, "failed", jnum(r.sum, "f"));
    cJSON_AddItemToObject(rep, "completion_rate", mean_or_null(jnum(r.sum, "c"), n));
    sc = cJSON_AddObjectToObject(rep, "score");
    if (!sc) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    cJSON_AddNumberToObject(sc, "count", sn);
    cJSON_AddItemToObject(sc, "mean", mean_or_null(jnum(r.sum, "ss"), sn));
    cJSON_AddItemToObject(sc, "min", m.any ? cJSON_CreateNumber(m.min) : cJSON_CreateNull());
    cJSON_AddItemToObject(sc, "max", m.any ? cJSON_CreateNumber(m.max) : cJSON_CreateNull());
    h = cJSON_AddArrayToObject(sc, "histogram");
    for (int i = 0; h && i < 10; i++) {
        const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r.sum, "h"), i);
        cJSON_AddItemToArray(h, cJSON_CreateNumber(cJSON_IsNumber(x) ? x->valuedouble : 0));
    }
    time = cJSON_AddObjectToObject(rep, "time");
    if (!h || !time) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    cJSON_AddItemToObject(time, "median_s", pct(&r, 50));
    cJSON_AddItemToObject(time, "p90_s", pct(&r, 90));
    bad |= out_scos(rep, r.scos, rt->activity_base, course);
    bad |= out_objectives(rep, r.objs);
    bad |= out_interactions(rep, r.ints);
    rc = bad ? SCORM_RT_ERR_NOMEM : SCORM_RT_OK;
out:
    cJSON_Delete(r.sum);
    cJSON_Delete(r.scos);
    cJSON_Delete(r.objs);
    cJSON_Delete(r.ints);
    sc_free(r.v);
    if (rc) {
        cJSON_Delete(rep);
        return rc;
    }
    *out = rep;
    return SCORM_RT_OK;
}

/* ---- checking it against the computed report (scolar check) and rebuilding it -------------- */

static const char *sort_key(const cJSON *o)
{
    const char *k = scorm__jstr(o, "id");
    return k ? k : scorm__jstr(o, "response");
}

static int by_key(const void *a, const void *b)
{
    const char *x = sort_key(*(cJSON *const *)a), *y = sort_key(*(cJSON *const *)b);
    return strcmp(x ? x : "", y ? y : "");
}

/* Arrays of objects named by "id" or "response" in a canonical order (the kept report lists
 * SCOs in organization order and the rest by key; the computed one as first met). */
static int canon(cJSON *j)
{
    cJSON *c;
    if (cJSON_IsArray(j) && cJSON_IsObject(cJSON_GetArrayItem(j, 0)) &&
        sort_key(cJSON_GetArrayItem(j, 0)) && sort_array(j, by_key))
        return -1;
    cJSON_ArrayForEach(c, j)
    {
        if (canon(c))
            return -1;
    }
    return 0;
}

struct ids {
    char (*id)[SCORM_MAX_COURSE_ID + 1];
    size_t n, cap;
    int nomem;
};

static int ids_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct ids *c = ctx;
    (void)v;
    (void)vl;
    if (kl > SCORM_MAX_COURSE_ID)
        return 0;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        void *p = sc_realloc(c->id, nc * sizeof c->id[0]);
        if (!p) {
            c->nomem = 1;
            return 1;
        }
        c->id = p;
        c->cap = nc;
    }
    memcpy(c->id[c->n], k, kl);
    c->id[c->n++][kl] = 0;
    return 0;
}

int scorm_rt_course_reports_check(struct scorm_rt *rt, struct stmt_db *db, char *report,
                                  size_t reportlen, int *err)
{
    struct stmt_db_txn *t = NULL;
    struct ids courses = {0};
    size_t used = 0;
    int rc, bad = 0;
    if (report && reportlen)
        report[0] = 0;
    *err = 0;
    if (stmt_db_txn_begin(db, 0, &t)) {
        *err = SCORM_RT_ERR_STORE;
        return -1;
    }
    rc = stmt_db_scan(t, "courses", NULL, 0, ids_visit, &courses);
    stmt_db_txn_abort(t);
    if (courses.nomem || (rc && rc != STMT_DB_NOTFOUND)) {
        sc_free(courses.id);
        *err = courses.nomem ? SCORM_RT_ERR_NOMEM : SCORM_RT_ERR_STORE;
        return -1;
    }
    for (size_t i = 0; i < courses.n; i++) {
        cJSON *kept = NULL, *ref = NULL;
        char why[400] = "";
        /* the two reads are separate snapshots: check a store nobody writes (scolar check) */
        rc = scorm_rt_course_report(rt, db, courses.id[i], &kept);
        if (!rc)
            rc = scorm_rt_course_report_scan(rt, db, courses.id[i], &ref);
        if (!rc && (canon(kept) || canon(ref)))
            rc = SCORM_RT_ERR_NOMEM;
        if (rc) {
            cJSON_Delete(kept);
            cJSON_Delete(ref);
            sc_free(courses.id);
            *err = rc;
            return -1;
        }
        if (!sc_json_near(kept, ref, 1e-9, why, sizeof why)) {
            bad++;
            if (report && used < reportlen) {
                int n = snprintf(report + used, reportlen - used,
                                 "course %.100s: the kept report differs from the computed "
                                 "one at %s\n",
                                 courses.id[i], why);
                used += n > 0 ? (size_t)n : 0;
            }
        }
        cJSON_Delete(kept);
        cJSON_Delete(ref);
    }
    sc_free(courses.id);
    return bad;
}
