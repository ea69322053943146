/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reports JSON API (issue 14, docs/reports.md), admin scope:
 *   GET /api/reports/activity?activity=IRI[&since=&until=][&format=csv&table=...]
 *   GET /api/reports/course?course=ID[&format=csv&table=...]
 *   GET /api/reports/learner?learner=ID[&limit=&more=]
 * Activity numbers come from the tallies the statement writer keeps (statements/
 * stmt_report.h); the course report from the SCORM run-time's records (scorm/scorm_rt.h).
 * Every table of a report is also CSV: format=csv&table=NAME.
 */
#include "lrs/lrs.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "statements/stmt_report.h"
#include "statements/stmt_store.h"
#include "scorm/scorm_rt.h"
#include "statements/stmt_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CSV of report tables ---------------------------------------------------------------- */

struct table {
    const char *name;   /* table= value */
    const char *member; /* array member of the report (NULL: the report object itself) */
    const char *const *cols;
};

static int csv_value(struct sc_buf *b, const cJSON *v, int last)
{
    char num[64];
    if (cJSON_IsString(v))
        return lrs_csv_str(b, v->valuestring, last);
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d && d < 9e15 && d > -9e15)
            snprintf(num, sizeof num, "%lld", (long long)d);
        else
            lrs_num_shortest(d, num, sizeof num);
        return lrs_csv_str(b, num, last);
    }
    if (cJSON_IsBool(v))
        return lrs_csv_str(b, cJSON_IsTrue(v) ? "true" : "false", last);
    return lrs_csv_str(b, "", last); /* null or absent */
}

/* A member by dotted path ("score.mean"). */
static const cJSON *path_get(const cJSON *o, const char *path)
{
    char part[64];
    while (o && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof part)
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        o = cJSON_GetObjectItemCaseSensitive(o, part);
        path += dot ? n + 1 : n;
    }
    return o;
}

static int csv_row(struct sc_buf *b, const cJSON *o, const char *const *cols)
{
    int bad = 0;
    for (size_t i = 0; cols[i]; i++)
        bad |= csv_value(b, path_get(o, cols[i]), cols[i + 1] == NULL);
    return bad;
}

static int csv_header(struct sc_buf *b, const char *const *cols)
{
    int bad = 0;
    for (size_t i = 0; cols[i]; i++)
        bad |= lrs_csv_str(b, cols[i], cols[i + 1] == NULL);
    return bad;
}

/* Rows of a flattened nested list: for each item of `outer`, each item of its member `inner`,
 * with the outer columns prefixed (questions -> responses). */
static int csv_nested(struct sc_buf *b, const cJSON *outer, const char *inner,
                      const char *const *ocols, const char *const *icols)
{
    const cJSON *o, *i;
    int bad = 0;
    cJSON_ArrayForEach(o, outer)
    {
        cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(o, inner))
        {
            for (size_t c = 0; ocols[c]; c++)
                bad |= csv_value(b, path_get(o, ocols[c]), 0);
            bad |= csv_row(b, i, icols);
        }
    }
    return bad;
}

/* Answer report `rep` as the CSV table named by the table parameter. */
static void reply_csv(struct lrs_req *r, const cJSON *rep, const struct table *tables,
                      const char *base)
{
    const char *name = lrs_req_param(r, "table");
    const struct table *t = NULL;
    struct sc_buf b = SC_BUF_INIT;
    int bad = 0;
    char names[256] = "";
    for (const struct table *x = tables; x->name; x++) {
        if (name && !strcmp(name, x->name))
            t = x;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                 x == tables ? "" : ", ", x->name);
    }
    if (!t) {
        lrs_reply_error(r, 400, "table must be one of %s with format=csv", names);
        return;
    }
    if (t->member && strchr(t->member, '/')) {
        /* "questions/responses": one row per response */
        char outer[64];
        const char *sl = strchr(t->member, '/');
        static const char *const ocols[] = {"id", NULL};
        snprintf(outer, sizeof outer, "%.*s", (int)(sl - t->member), t->member);
        bad |= lrs_csv_str(&b, "question", 0);
        bad |= csv_header(&b, t->cols);
        bad |= csv_nested(&b, cJSON_GetObjectItemCaseSensitive(rep, outer), sl + 1, ocols, t->cols);
    } else if (t->member && !strcmp(t->member, "score.histogram")) {
        const cJSON *h = path_get(rep, "score.histogram"), *c;
        int i = 0;
        bad |= sc_buf_puts(&b, "from,to,count\r\n");
        cJSON_ArrayForEach(c, h)
        {
            bad |= sc_buf_printf(&b, "%.1f,%.1f,", i / 10.0, (i + 1) / 10.0);
            bad |= csv_value(&b, c, 1);
            i++;
        }
    } else {
        const cJSON *o;
        bad |= csv_header(&b, t->cols);
        if (!t->member) {
            bad |= csv_row(&b, rep, t->cols);
        } else {
            cJSON_ArrayForEach(o, path_get(rep, t->member))
            {
                bad |= csv_row(&b, o, t->cols);
            }
        }
    }
    if (bad) {
        sc_buf_free(&b);
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    lrs_resp_header(r, "Content-Disposition", "attachment; filename=\"%s-%s.csv\"", base, t->name);
    lrs_reply(r, 200, "text/csv; charset=utf-8", b.data, b.len);
    sc_buf_free(&b);
}

static int check_format(struct lrs_req *r, int *csv)
{
    const char *f = lrs_req_param(r, "format");
    *csv = 0;
    if (!f || !strcmp(f, "json"))
        return 0;
    if (!strcmp(f, "csv")) {
        *csv = 1;
        return 0;
    }
    lrs_reply_error(r, 400, "format must be json or csv");
    return -1;
}

/* 400 naming a parameter this endpoint does not take, or one given twice. */
static int params_check(struct lrs_req *r, const char *const *allowed)
{
    for (size_t i = 0; i < r->nparams; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, r->params[i].name);
        if (!ok) {
            lrs_reply_error(r, 400, "unknown parameter '%.64s'", r->params[i].name);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(r->params[i].name, r->params[j].name)) {
                lrs_reply_error(r, 400, "parameter '%.64s' given twice", r->params[i].name);
                return -1;
            }
        }
    }
    return 0;
}

static int parse_time(struct lrs_req *r, const char *name, int64_t *out)
{
    const char *v = lrs_req_param(r, name);
    *out = 0;
    if (!v)
        return 0;
    if (sc_time_parse_iso(v, strlen(v), out) || *out <= 0) {
        lrs_reply_error(r, 400, "%s '%.64s' is not an ISO 8601 timestamp", name, v);
        return -1;
    }
    return 0;
}

/* ---- activity report --------------------------------------------------------------------- */

static const char *const C_SUMMARY[] = {
    "activity", "since",       "until",      "statements", "actors",    "completed", "passed",
    "failed",   "score.count", "score.mean", "score.min",  "score.max", NULL};
static const char *const C_VERBS[] = {"id", "count", NULL};
static const char *const C_QUESTIONS[] = {"id", "name", "attempts", "correct", NULL};
static const char *const C_RESPONSES[] = {"response", "count", NULL};
static const char *const C_DAYS[] = {"day", "statements", "actors", NULL};
static const char *const C_SCORE[] = {"from", "to", "count", NULL};

static const struct table ACTIVITY_TABLES[] = {
    {"summary", NULL, C_SUMMARY},
    {"verbs", "verbs", C_VERBS},
    {"questions", "questions", C_QUESTIONS},
    {"responses", "questions/responses", C_RESPONSES},
    {"by_day", "by_day", C_DAYS},
    {"score", "score.histogram", C_SCORE},
    {NULL, NULL, NULL},
};

void lrs_route_report_activity(struct lrs_req *r)
{
    static const char *const allowed[] = {"activity", "since", "until", "format", "table", NULL};
    const char *act;
    int64_t since = 0, until = 0;
    cJSON *rep = NULL;
    int csv, rc;

    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        lrs_reply_error(r, 405, "reports are read with GET");
        return;
    }
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return;
    }
    if (params_check(r, allowed) || check_format(r, &csv))
        return;
    act = lrs_req_param(r, "activity");
    if (!act) {
        lrs_reply_error(r, 400, "activity parameter missing (an activity IRI)");
        return;
    }
    if (!stmt_validate_iri(act)) {
        lrs_reply_error(r, 400, "activity '%.64s' is not an IRI", act);
        return;
    }
    if (parse_time(r, "since", &since) || parse_time(r, "until", &until))
        return;
    if (since && until && until < since) {
        lrs_reply_error(r, 400, "until is before since");
        return;
    }
    rc = stmt_report_activity(r->app->store, act, since, until, &rep);
    if (rc == STMT_STORE_ERR_FULL) { /* the fold that keeps the tallies cannot write (issue 18) */
        lrs_resp_header(r, "Retry-After", "60");
        lrs_reply_error(r, 503,
                        "storage full: the report cannot include the latest statements until "
                        "space is freed on the data directory's disk");
        return;
    }
    if (rc) {
        lrs_reply_error(r, 500, "report failed: %s", stmt_store_strerror(rc));
        return;
    }
    if (csv)
        reply_csv(r, rep, ACTIVITY_TABLES, "activity");
    else
        lrs_reply_json(r, 200, rep);
    cJSON_Delete(rep);
}

/* ---- course report ----------------------------------------------------------------------- */

static const char *const C_COURSE[] = {
    "course",    "registrations",   "started",     "completed",  "passed",
    "failed",    "completion_rate", "score.count", "score.mean", "score.min",
    "score.max", "time.median_s",   "time.p90_s",  NULL};
static const char *const C_SCOS[] = {"id",     "title",  "registrations", "started", "completed",
                                     "passed", "failed", "mean_score",    "time_s",  NULL};
static const char *const C_OBJECTIVES[] = {"id",     "registrations", "completed", "passed",
                                           "failed", "mean_score",    NULL};
static const char *const C_INTERACTIONS[] = {
    "id", "type", "attempts", "correct", "difficulty", "mean_latency_s", "correct_pattern", NULL};
static const char *const C_IRESPONSES[] = {"response", "count", "correct", NULL};

static const struct table COURSE_TABLES[] = {
    {"summary", NULL, C_COURSE},
    {"scos", "scos", C_SCOS},
    {"objectives", "objectives", C_OBJECTIVES},
    {"interactions", "interactions", C_INTERACTIONS},
    {"responses", "interactions/responses", C_IRESPONSES},
    {"score", "score.histogram", C_SCORE},
    {NULL, NULL, NULL},
};

void lrs_route_report_course(struct lrs_req *r)
{
    static const char *const allowed[] = {"course", "format", "table", NULL};
    struct scorm_rt *rt;
    const char *course;
    char err[256], *rec = NULL;
    size_t rlen = 0;
    cJSON *rep = NULL;
    int csv, rc;

    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        lrs_reply_error(r, 405, "reports are read with GET");
        return;
    }
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return;
    }
    if (params_check(r, allowed) || check_format(r, &csv))
        return;
    course = lrs_req_param(r, "course");
    if (!course || !*course) {
        lrs_reply_error(r, 400, "course parameter missing (a course id)");
        return;
    }
    if (stmt_db_get1(r->app->db, "courses", course, strlen(course), &rec, &rlen) != STMT_DB_OK) {
        lrs_reply_error(r, 404, "no course %.64s", course);
        return;
    }
    sc_free(rec);
    rt = lrs_rt_get(r->app, err, sizeof err);
    if (!rt) {
        lrs_reply_error(r, 503, "the SCORM run-time is not available: %s", err);
        return;
    }
    rc = scorm_rt_course_report(rt, r->app->db, course, &rep);
    if (rc) {
        lrs_reply_error(r, lrs_rt_status(rc), "course report failed: %s", scorm_rt_strerror(rc));
        return;
    }
    if (csv)
        reply_csv(r, rep, COURSE_TABLES, "course");
    else
        lrs_reply_json(r, 200, rep);
    cJSON_Delete(rep);
}

/* ---- learner timeline ------------------------------------------------------------------- */

/* GET /api/reports/learner?learner=ID (a SCORM learner: the bridge's account Agent) or
 * ?agent=JSON (any Agent), &limit=&more=: the learner's statements, newest first, paged with
 * the statement query (and its signed cursor). */
void lrs_route_report_learner(struct lrs_req *r)
{
    static const char *const allowed[] = {"learner", "agent", "limit", "more", NULL};
    struct stmt_query q;
    struct stmt_page page;
    struct sc_buf b = SC_BUF_INIT;
    const char *learner, *v;
    char ifi[1024];
    cJSON *agent = NULL;
    int rc, bad = 0;

    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        lrs_reply_error(r, 405, "reports are read with GET");
        return;
    }
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return;
    }
    if (params_check(r, allowed))
        return;
    learner = lrs_req_param(r, "learner");
    v = lrs_req_param(r, "agent");
    if (!!learner == !!v) {
        lrs_reply_error(r, 400, "give learner (a learner id) or agent (an Agent object)");
        return;
    }
    if (learner) {
        agent = cJSON_CreateObject();
        cJSON *acct = cJSON_AddObjectToObject(agent, "account");
        if (!acct || !cJSON_AddStringToObject(acct, "homePage", r->app->cfg.public_url) ||
            !cJSON_AddStringToObject(acct, "name", learner)) {
            cJSON_Delete(agent);
            lrs_reply_error(r, 500, "out of memory");
            return;
        }
        if (!*learner || stmt_store_agent_ifi(agent, ifi, sizeof ifi) != STMT_STORE_OK) {
            cJSON_Delete(agent);
            lrs_reply_error(r, 400, "learner '%.64s' is not a learner id", learner);
            return;
        }
    }
    memset(&q, 0, sizeof q);
    if (v) {
        /* agent and limit are parsed as GET /xapi/statements parses them */
        if (lrs_query_params(r, &q, ifi, sizeof ifi))
            return;
    } else if ((v = lrs_req_param(r, "limit"))) {
        char *end;
        unsigned long long l = strtoull(v, &end, 10);
        if (!*v || *end || v[0] == '-' || v[0] == '+') {
            cJSON_Delete(agent);
            lrs_reply_error(r, 400, "limit must be a non-negative integer");
            return;
        }
        q.limit = (size_t)l;
    }
    q.agent = ifi;
    q.cursor = lrs_req_param(r, "more");
    q.scope = r->cred.key;
    memset(&page, 0, sizeof page);
    rc = stmt_store_query(r->app->store, &q, &page);
    if (rc) {
        cJSON_Delete(agent);
        lrs_reply_error(r, rc == STMT_STORE_ERR_CURSOR ? 400 : 500, "%s",
                        rc == STMT_STORE_ERR_CURSOR ? "the more cursor is invalid or expired"
                                                    : stmt_store_strerror(rc));
        return;
    }
    bad |= sc_buf_puts(&b, "{\"learner\":");
    if (learner)
        bad |= sc_buf_json_str(&b, learner, strlen(learner));
    else
        bad |= sc_buf_puts(&b, "null");
    bad |= sc_buf_puts(&b, ",\"agent\":");
    if (agent) {
        char *a = cJSON_PrintUnformatted(agent);
        bad |= !a || sc_buf_puts(&b, a);
        cJSON_free(a);
    } else {
        bad |= sc_buf_puts(&b, lrs_req_param(r, "agent"));
    }
    bad |= sc_buf_puts(&b, ",\"statements\":[");
    for (size_t i = 0; i < page.n; i++) {
        if (i)
            bad |= sc_buf_putc(&b, ',');
        bad |= sc_buf_append(&b, page.items[i].json, page.items[i].len);
    }
    bad |= sc_buf_puts(&b, "],\"more\":");
    bad |=
        page.more[0] ? sc_buf_json_str(&b, page.more, strlen(page.more)) : sc_buf_puts(&b, "null");
    bad |= sc_buf_puts(&b, "}");
    stmt_page_free(&page);
    cJSON_Delete(agent);
    if (bad) {
        sc_buf_free(&b);
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    lrs_reply_buf(r, 200, "application/json", &b);
    sc_buf_free(&b);
}
