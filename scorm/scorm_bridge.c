/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCORM -> xAPI: the statements a SCO session produces, following the ADL xAPI SCORM Profile
 * (specs/xapi-scorm-profile/xapi-scorm-profile.md): §5.0 temporal model (initialized or
 * resumed at the start, suspended or terminated at the end), §3.2 activity IRIs
 * (<course>/<sco>, <sco>/interactions/<id>, <sco>/objectives/<id>), context registration,
 * grouping = course and attempt, category = the profile activity, every statement with a
 * timestamp; §6.0 mapping (completed, passed, failed, scored, responded per interaction,
 * objectives as activities with the SCO as parent). Scores are clamped into the ranges xAPI
 * accepts (scaled in [-1, 1], raw in [min, max]; scorm-runtime.md §11).
 *
 * scorm/ does not store statements: it returns them to lrs/ through the sink of
 * struct scorm_rt_opts, which inserts them into the statement store with scolar's authority.
 */
#include "scorm/scorm_rt_int.h"
#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/sc_text.h"
#include "common/sc_time.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V_ADL "http://adlnet.gov/expapi/verbs/"
#define T_ADL "http://adlnet.gov/expapi/activities/"
#define PROFILE_IRI "https://w3id.org/xapi/scorm"

/* cJSON's adders leave the item to the caller when they fail (a NULL container, a key copy
 * that failed): these free it, so a statement built during an allocation failure leaks
 * nothing (the call then commits nothing: scorm_outbox.c). */
static void add_obj(cJSON *o, const char *k, cJSON *v)
{
    if (!cJSON_AddItemToObject(o, k, v))
        cJSON_Delete(v);
}

static void add_arr(cJSON *a, cJSON *v)
{
    if (!cJSON_AddItemToArray(a, v))
        cJSON_Delete(v);
}

/* Percent-encode one IRI path segment (RFC 3987: keep unreserved characters). */
static void put_seg(struct sc_buf *b, const char *s)
{
    if (s)
        (void)sc_pct_encode(b, s, strlen(s), NULL); /* b's error is sticky */
}

char *scorm__activity_iri(const char *base, const char *course, const char *sco, const char *kind,
                          const char *leaf)
{
    struct sc_buf b;
    sc_buf_init(&b, 8192);
    sc_buf_puts(&b, base);
    put_seg(&b, course);
    if (sco) {
        sc_buf_putc(&b, '/');
        put_seg(&b, sco);
    }
    if (kind) {
        sc_buf_printf(&b, "/%s/", kind);
        put_seg(&b, leaf);
    }
    return sc_buf_steal(&b, NULL);
}

static char *iri(const struct scorm__bridge_ctx *c, int with_sco, const char *kind,
                 const char *leaf)
{
    return scorm__activity_iri(c->rt->activity_base, c->course, with_sco ? c->sco : NULL, kind,
                               leaf);
}

static cJSON *lang_map(const char *text)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "en-US", text && *text ? text : "(untitled)");
    return m;
}

static cJSON *activity(const char *id, const char *name, const char *type)
{
    cJSON *a = cJSON_CreateObject(), *d;
    cJSON_AddStringToObject(a, "objectType", "Activity");
    cJSON_AddStringToObject(a, "id", id);
    d = cJSON_AddObjectToObject(a, "definition");
    if (name)
        add_obj(d, "name", lang_map(name));
    cJSON_AddStringToObject(d, "type", type);
    return a;
}

static cJSON *sco_activity(const struct scorm__bridge_ctx *c)
{
    char *id = iri(c, 1, NULL, NULL);
    cJSON *a = activity(id ? id : "", c->sco_title ? c->sco_title : c->sco, T_ADL "lesson");
    sc_free(id);
    return a;
}

static cJSON *verb(const char *name)
{
    cJSON *v = cJSON_CreateObject();
    char id[128];
    snprintf(id, sizeof id, V_ADL "%s", name);
    cJSON_AddStringToObject(v, "id", id);
    add_obj(v, "display", lang_map(name));
    return v;
}

/* A statement skeleton: actor, verb, object (consumed), context, timestamp. */
static cJSON *statement(const struct scorm__bridge_ctx *c, const char *vname, cJSON *object,
                        int parent_sco, int64_t ts_us)
{
    cJSON *s = cJSON_CreateObject(), *actor, *acct, *ctx, *ca, *grp, *cat, *prof;
    char *course_id = iri(c, 0, NULL, NULL), *sco_id = iri(c, 1, NULL, NULL);
    struct sc_buf att;
    char ts[SC_TIME_ISO_LEN];

    actor = cJSON_AddObjectToObject(s, "actor");
    cJSON_AddStringToObject(actor, "objectType", "Agent");
    if (c->learner_name && *c->learner_name)
        cJSON_AddStringToObject(actor, "name", c->learner_name);
    acct = cJSON_AddObjectToObject(actor, "account");
    cJSON_AddStringToObject(acct, "homePage", c->rt->learner_home);
    cJSON_AddStringToObject(acct, "name", c->learner_id ? c->learner_id : "");
    add_obj(s, "verb", verb(vname));
    add_obj(s, "object", object);
    ctx = cJSON_AddObjectToObject(s, "context");
    cJSON_AddStringToObject(ctx, "registration", c->registration);
    ca = cJSON_AddObjectToObject(ctx, "contextActivities");
    if (parent_sco) {
        cJSON *par = cJSON_AddArrayToObject(ca, "parent");
        add_arr(par, sco_activity(c));
    }
    grp = cJSON_AddArrayToObject(ca, "grouping");
    add_arr(grp, activity(course_id ? course_id : "", c->course_title ? c->course_title : c->course,
                          T_ADL "course"));
    /* the attempt activity (profile §5.0: "<sco IRI>?attemptId=<id>") */
    sc_buf_init(&att, 8192);
    sc_buf_printf(&att, "%s?attemptId=%s", sco_id ? sco_id : "",
                  c->attempt_id ? c->attempt_id : c->session);
    {
        char name[300];
        snprintf(name, sizeof name, "Attempt %d of %.250s", c->attempt,
                 c->sco_title ? c->sco_title : c->sco);
        add_arr(grp, activity(att.data ? att.data : "", name, T_ADL "attempt"));
    }
    sc_buf_free(&att);
    cat = cJSON_AddArrayToObject(ca, "category");
    prof = cJSON_CreateObject();
    cJSON_AddStringToObject(prof, "id", PROFILE_IRI);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(prof, "definition"), "type", T_ADL "profile");
    add_arr(cat, prof);
    cJSON_AddStringToObject(s, "timestamp", sc_time_format_iso(ts_us, 3, ts));
    sc_free(course_id);
    sc_free(sco_id);
    return s;
}

void scorm__bridge_start(const struct scorm__bridge_ctx *c, const char *entry, cJSON *arr)
{
    if (c->preview) /* a preview records nothing */
        return;
    int resumed = entry && !strcmp(entry, "resume");
    add_arr(arr, statement(c, resumed ? "resumed" : "initialized", sco_activity(c), 0,
                           sc_time_now_us()));
}

static int num(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return 0;
    *out = strtod(s, &end);
    return !*end && isfinite(*out);
}

/* xAPI score from a SCO's score fields (prefix "cmi.score." or "cmi.core.score."). */
static cJSON *score_of(const cJSON *values, const char *prefix, int is12)
{
    char k[300];
    double raw = 0, mn = 0, mx = 0, sc = 0;
    int hr, hmn, hmx, hs;
    cJSON *s;
    snprintf(k, sizeof k, "%sraw", prefix);
    hr = num(scorm__jstr(values, k), &raw);
    snprintf(k, sizeof k, "%smin", prefix);
    hmn = num(scorm__jstr(values, k), &mn);
    snprintf(k, sizeof k, "%smax", prefix);
    hmx = num(scorm__jstr(values, k), &mx);
    snprintf(k, sizeof k, "%sscaled", prefix);
    hs = !is12 && num(scorm__jstr(values, k), &sc);
    if (!hr && !hs)
        return NULL;
    if (hmn && hmx && mn >= mx)
        hmn = hmx = 0; /* xAPI Data 2.4.5.1: min < max */
    s = cJSON_CreateObject();
    if (hs)
        cJSON_AddNumberToObject(s, "scaled", sc < -1 ? -1 : sc > 1 ? 1 : sc);
    if (hr) {
        if (hmn && raw < mn)
            raw = mn;
        if (hmx && raw > mx)
            raw = mx;
        cJSON_AddNumberToObject(s, "raw", raw);
    }
    if (hmn)
        cJSON_AddNumberToObject(s, "min", mn);
    if (hmx)
        cJSON_AddNumberToObject(s, "max", mx);
    return s;
}

static void duration(int64_t cs, char *out, size_t n)
{
    scorm_rt_cs_duration(cs, out, n);
}

static int changed_prefix(const cJSON *changed, const char *prefix)
{
    const cJSON *x;
    size_t n = strlen(prefix);
    cJSON_ArrayForEach(x, changed)
    {
        if (!strncmp(x->string, prefix, n))
            return 1;
    }
    return 0;
}

/* Strip a leading {lang=..} from a localized string. */
static const char *unlocalize(const char *s)
{
    if (s && !strncmp(s, "{lang=", 6)) {
        const char *e = strchr(s, '}');
        if (e)
            return e + 1;
    }
    return s;
}

static void interaction_stmt(const struct scorm__bridge_ctx *c, const cJSON *values, long i,
                             int64_t ts, cJSON *arr)
{
    char k[200], p[100];
    const char *id, *type, *resp, *res, *lat, *desc;
    char *aid;
    cJSON *obj, *def, *result, *crp = NULL;
    snprintf(p, sizeof p, "cmi.interactions.%ld.", i);
#define IV(leaf) (snprintf(k, sizeof k, "%s%s", p, leaf), scorm__jstr(values, k))
    id = IV("id");
    if (!id)
        return;
    type = IV("type");
    resp = c->is12 ? IV("student_response") : IV("learner_response");
    res = IV("result");
    lat = IV("latency");
    desc = c->is12 ? NULL : IV("description");
    aid = iri(c, 1, "interactions", id);
    obj = activity(aid ? aid : "", NULL, T_ADL "cmi.interaction");
    sc_free(aid);
    def = cJSON_GetObjectItemCaseSensitive(obj, "definition");
    add_obj(def, "name", lang_map(id));
    if (desc)
        add_obj(def, "description", lang_map(unlocalize(desc)));
    if (type)
        cJSON_AddStringToObject(def, "interactionType", type);
    for (long j = 0; j < 1000; j++) {
        char pk[300];
        const char *pat;
        snprintf(pk, sizeof pk, "%scorrect_responses.%ld.pattern", p, j);
        pat = scorm__jstr(values, pk);
        if (!pat)
            break;
        if (!crp)
            crp = cJSON_AddArrayToObject(def, "correctResponsesPattern");
        add_arr(crp, cJSON_CreateString(pat));
    }
    if (!type) /* xAPI: interaction properties need an interactionType */
        cJSON_DeleteItemFromObjectCaseSensitive(def, "correctResponsesPattern");
    cJSON *s = statement(c, "responded", obj, 1, ts);
    result = cJSON_AddObjectToObject(s, "result");
    if (resp)
        cJSON_AddStringToObject(result, "response", resp);
    if (res && !strcmp(res, "correct"))
        cJSON_AddBoolToObject(result, "success", 1);
    else if (res && (!strcmp(res, "incorrect") || !strcmp(res, "wrong")))
        cJSON_AddBoolToObject(result, "success", 0);
    if (lat) {
        int64_t cs = c->is12 ? scorm_rt_timespan12_cs(lat) : scorm_rt_duration_cs(lat);
        char d[64];
        if (cs >= 0) {
            duration(cs, d, sizeof d);
            cJSON_AddStringToObject(result, "duration", d);
        }
    }
    if (!cJSON_GetArraySize(result))
        cJSON_DeleteItemFromObjectCaseSensitive(s, "result");
    add_arr(arr, s);
#undef IV
}

static void objective_stmts(const struct scorm__bridge_ctx *c, const cJSON *values, long i,
                            int64_t *ts, cJSON *arr)
{
    char k[200];
    const char *id, *succ, *comp;
    snprintf(k, sizeof k, "cmi.objectives.%ld.id", i);
    id = scorm__jstr(values, k);
    if (!id)
        return;
    if (c->is12) {
        snprintf(k, sizeof k, "cmi.objectives.%ld.status", i);
        succ = scorm__jstr(values, k);
        comp = succ;
    } else {
        snprintf(k, sizeof k, "cmi.objectives.%ld.success_status", i);
        succ = scorm__jstr(values, k);
        snprintf(k, sizeof k, "cmi.objectives.%ld.completion_status", i);
        comp = scorm__jstr(values, k);
    }
    const char *verbs[2] = {NULL, NULL};
    if (comp && !strcmp(comp, "completed"))
        verbs[0] = "completed";
    if (succ && (!strcmp(succ, "passed") || !strcmp(succ, "failed")))
        verbs[1] = succ;
    for (int v = 0; v < 2; v++) {
        char *oid;
        cJSON *obj;
        if (!verbs[v])
            continue;
        oid = iri(c, 1, "objectives", id);
        obj = activity(oid ? oid : "", id, T_ADL "objective");
        sc_free(oid);
        cJSON *s = statement(c, verbs[v], obj, 1, (*ts)++);
        char sp[64];
        snprintf(sp, sizeof sp, "cmi.objectives.%ld.score.", i);
        cJSON *score = score_of(values, sp, c->is12);
        if (score || v == 1) {
            cJSON *r = cJSON_AddObjectToObject(s, "result");
            if (v == 1)
                cJSON_AddBoolToObject(r, "success", !strcmp(verbs[v], "passed"));
            else
                cJSON_AddBoolToObject(r, "completion", 1);
            if (score)
                add_obj(r, "score", score);
        }
        add_arr(arr, s);
    }
}

void scorm__bridge_end(const struct scorm__bridge_ctx *c, const cJSON *values, const cJSON *changed,
                       const struct scorm__result *result, const struct scorm__result *start,
                       int suspended, int64_t session_cs, cJSON *arr)
{
    if (c->preview)
        return;
    const char *comp0 = start ? scorm__completion_name(start->completion) : NULL;
    const char *succ0 = start ? scorm__success_name(start->success) : NULL;
    int64_t ts = sc_time_now_us();
    const char *comp = result ? scorm__completion_name(result->completion) : NULL;
    const char *succ = result ? scorm__success_name(result->success) : NULL;
    const char *score_prefix = c->is12 ? "cmi.core.score." : "cmi.score.";
    char d[64];
    long n_inter = 0, n_obj = 0;
    const cJSON *x;

    /* which interactions / objectives were touched in this session */
    cJSON_ArrayForEach(x, values)
    {
        long idx;
        char *end;
        if (!strncmp(x->string, "cmi.interactions.", 17)) {
            idx = strtol(x->string + 17, &end, 10);
            if (end != x->string + 17 && idx + 1 > n_inter)
                n_inter = idx + 1;
        } else if (!strncmp(x->string, "cmi.objectives.", 15)) {
            idx = strtol(x->string + 15, &end, 10);
            if (end != x->string + 15 && idx + 1 > n_obj)
                n_obj = idx + 1;
        }
    }
    for (long i = 0; i < n_inter && i < 100000; i++) {
        char p[64];
        snprintf(p, sizeof p, "cmi.interactions.%ld.", i);
        if (changed_prefix(changed, p))
            interaction_stmt(c, values, i, ts++, arr);
    }
    for (long i = 0; i < n_obj && i < 100000; i++) {
        char p[64];
        snprintf(p, sizeof p, "cmi.objectives.%ld.", i);
        if (changed_prefix(changed, p))
            objective_stmts(c, values, i, &ts, arr);
    }
    cJSON *score = score_of(values, score_prefix, c->is12);
    /* status statements when the status changed during the session */
    if (comp && !strcmp(comp, "completed") && !(comp0 && !strcmp(comp0, comp))) {
        cJSON *s = statement(c, "completed", sco_activity(c), 0, ts++);
        cJSON_AddBoolToObject(cJSON_AddObjectToObject(s, "result"), "completion", 1);
        add_arr(arr, s);
    }
    if (succ && (!strcmp(succ, "passed") || !strcmp(succ, "failed")) &&
        !(succ0 && !strcmp(succ0, succ))) {
        cJSON *s = statement(c, succ, sco_activity(c), 0, ts++);
        cJSON *r = cJSON_AddObjectToObject(s, "result");
        cJSON_AddBoolToObject(r, "success", !strcmp(succ, "passed"));
        if (score)
            add_obj(r, "score", cJSON_Duplicate(score, 1));
        add_arr(arr, s);
    }
    if (score && changed_prefix(changed, score_prefix)) {
        cJSON *s = statement(c, "scored", sco_activity(c), 0, ts++);
        add_obj(cJSON_AddObjectToObject(s, "result"), "score", cJSON_Duplicate(score, 1));
        add_arr(arr, s);
    }
    cJSON_Delete(score);
    {
        cJSON *s = statement(c, suspended ? "suspended" : "terminated", sco_activity(c), 0, ts++);
        duration(session_cs, d, sizeof d);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "result"), "duration", d);
        add_arr(arr, s);
    }
}
