/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LMS's statement rules for an AU session (cmi5 spec 9 "xAPI Statement Data Model" and 10,
 * 11): what a session's auth token may write, in order. Every refusal names the requirement
 * (the ids of ADL's cmi5 requirement list, e.g. 9.3.0.0-4) and the JSON path. A statement that
 * satisfies its AU's moveOn criterion brings the LMS's satisfied statements for the blocks and
 * the course it completes (9.3.9); the caller stores them in the same batch as the AU's
 * statements, so one writer transaction holds both.
 */
#include "scorm/cmi5_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "common/sc_text.h"
#include "statements/stmt_store.h"
#include "statements/stmt_validate.h"

struct cmi5_plan {
    pthread_mutex_t *lock; /* held from cmi5_statements_check to cmi5_plan_finish */
    struct stmt_store *store;
    char session[37];
    cJSON *sess, *reg;
    struct stmt_row rows[2]; /* cmi5_plan_rows: the records, written with the batch */
    char *txt[2];
    int in_batch;
};

static int has_cat(const cJSON *s, const char *id)
{
    const cJSON *e;
    cJSON_ArrayForEach(
        e, cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "context"),
                                                "contextActivities"),
               "category"))
    {
        if (cmi5__str(e, "id") && !strcmp(cmi5__str(e, "id"), id))
            return 1;
    }
    return 0;
}

static int refuse(struct cmi5_diag *d, const char *rule, const char *where, const char *msg)
{
    cmi5__diag(d, rule, where, "%s: %s (cmi5 %s)", where, msg, rule);
    return CMI5_ERR_REFUSED;
}

/* xAPI timestamps are RFC 3339; UTC is "Z" or an offset of zero (9.7.0.0-2) */
static int utc(const char *ts)
{
    size_t n = ts ? strlen(ts) : 0;
    return n && (ts[n - 1] == 'Z' || ts[n - 1] == 'z' || (n > 6 && !strcmp(ts + n - 6, "+00:00")));
}

static int score_rules(const cJSON *res, const cJSON *s, const cJSON *au, const char *verb,
                       const char *w, struct cmi5_diag *d)
{
    const cJSON *sc = cJSON_GetObjectItem(res, "score"),
                *ms = cJSON_GetObjectItem(au, "masteryScore");
    const cJSON *ext = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(s, "context"), "extensions"), CMI5_EXT_MASTERY);
    const cJSON *scaled = cJSON_GetObjectItem(sc, "scaled");
    int passed = !strcmp(verb, CMI5_VERB_PASSED);
    if (cJSON_GetObjectItem(sc, "raw") &&
        (!cJSON_GetObjectItem(sc, "min") || !cJSON_GetObjectItem(sc, "max")))
        return refuse(d, "9.5.1.0-3", w, "a raw score needs min and max");
    if (ext && (!ms || !cJSON_IsNumber(ext) || fabs(ext->valuedouble - ms->valuedouble) > 1e-9))
        return refuse(d, "9.6.3.2-2", w,
                      "the masteryscore extension must be the masteryScore of the launch data");
    if (ms && cJSON_IsNumber(scaled)) {
        if (!ext)
            return refuse(d, "9.6.3.2-2", w,
                          "a scored passed/failed statement must carry the masteryscore "
                          "extension");
        if (passed && scaled->valuedouble < ms->valuedouble)
            return refuse(d, "9.3.4.0-2", w, "passed with a scaled score below the masteryScore");
        if (!passed && scaled->valuedouble >= ms->valuedouble)
            return refuse(d, "9.3.5.0-2", w,
                          "failed with a scaled score at or above the masteryScore");
    }
    return CMI5_OK;
}

/* One statement against the session (sess) and registration (ast: this AU's state). */
static int check_one(const cJSON *s, const char *w, cJSON *sess, cJSON *ast, const cJSON *au,
                     const cJSON *actor, struct cmi5_diag *d)
{
    const char *verb = cmi5__sstr(cJSON_GetObjectItem(s, "verb"), "id");
    const cJSON *a = cJSON_GetObjectItem(s, "actor"), *acc = cJSON_GetObjectItem(a, "account");
    const cJSON *ctx = cJSON_GetObjectItem(s, "context"), *res = cJSON_GetObjectItem(s, "result");
    const char *mode = (cmi5__str(sess, "launchMode") ? cmi5__str(sess, "launchMode") : "Normal");
    int cat = has_cat(s, CMI5_CAT_CMI5), moveon = has_cat(s, CMI5_CAT_MOVEON);
    int is_init = !strcmp(verb, CMI5_VERB_INITIALIZED),
        is_comp = !strcmp(verb, CMI5_VERB_COMPLETED);
    int is_pass = !strcmp(verb, CMI5_VERB_PASSED), is_fail = !strcmp(verb, CMI5_VERB_FAILED);
    int is_term = !strcmp(verb, CMI5_VERB_TERMINATED);
    int au_verb = is_init || is_comp || is_pass || is_fail || is_term;
    int on_au =
        !strcmp(cmi5__sstr(cJSON_GetObjectItem(s, "object"), "id"), cmi5__str(au, "activityId"));
    int defined;
    const char *sid;

    if (cmi5__flag(sess, "terminated"))
        return refuse(d, "9.3.0.0-5", w, "the session has terminated: nothing more is recorded");
    if (!strcmp(verb, CMI5_VERB_VOIDED))
        return refuse(d, "6.3.0.0-1", w, "an AU may not void statements");
    if (!strcmp(verb, CMI5_VERB_LAUNCHED) || !strcmp(verb, CMI5_VERB_ABANDONED) ||
        !strcmp(verb, CMI5_VERB_WAIVED) || !strcmp(verb, CMI5_VERB_SATISFIED))
        return refuse(d, "9.3.0.0-1", w,
                      "launched, abandoned, waived and satisfied are the LMS's verbs");
    if (!cmi5__str(s, "id"))
        return refuse(d, "9.1.0.0-1", w, "the AU must assign the statement id");
    if (!cmi5__str(s, "timestamp"))
        return refuse(d, "9.7.0.0-1", w, "the AU must set the timestamp");
    if (!utc(cmi5__str(s, "timestamp")))
        return refuse(d, "9.7.0.0-2", w, "timestamps must be in UTC");
    if (cmi5__str(a, "objectType") && strcmp(cmi5__str(a, "objectType"), "Agent"))
        return refuse(d, "9.2.0.0-2", w, "the actor must be an Agent");
    if (!cJSON_IsObject(acc))
        return refuse(d, "9.2.0.0-3", w, "the actor must be identified by an account");
    {
        const cJSON *want = cJSON_GetObjectItem(actor, "account");
        if (strcmp(cmi5__sstr(acc, "homePage"), cmi5__sstr(want, "homePage")) ||
            strcmp(cmi5__sstr(acc, "name"), cmi5__sstr(want, "name")))
            return refuse(d, "9.2.0.0-1", w, "the actor must be the launch's actor");
    }
    if (!cJSON_IsObject(ctx))
        return refuse(d, "9.6.0.0-1", w, "a statement needs a context");
    if (!cmi5__str(ctx, "registration") ||
        strcasecmp(cmi5__str(ctx, "registration"), cmi5__sstr(sess, "registration")))
        return refuse(d, "9.6.1.0-1", w, "context.registration must be the launch's registration");
    sid = cmi5__str(cJSON_GetObjectItem(ctx, "extensions"), CMI5_EXT_SESSION);
    if (!sid || strcasecmp(sid, cmi5__sstr(sess, "session")))
        return refuse(d, "9.6.3.1-4", w, "context.extensions must carry this session's sessionid");
    /* cmi5 defined: a cmi5 verb about the AU, or anything in the cmi5 category (9.3, 9.6.2.1) */
    defined = cat || (au_verb && on_au);
    if (defined && !au_verb)
        return refuse(d, "9.6.2.1-1", w,
                      "the cmi5 category is for the cmi5 defined verbs (initialized, completed, "
                      "passed, failed, terminated)");
    if (defined && !cat)
        return refuse(d, "9.6.2.1-1", w, "a cmi5 defined statement needs the cmi5 category");
    if (defined && !on_au)
        return refuse(d, "8.1.5.0-6", w,
                      "the object of a cmi5 defined statement is the AU's "
                      "activityId given at launch");
    if (moveon && !(defined && (is_comp || is_pass || is_fail)))
        return refuse(d, "9.6.2.2-2", w,
                      "the moveon category is only for completed, passed and failed");
    if (!cmi5__flag(sess, "initialized") && !(defined && is_init))
        return refuse(d, "9.3.0.0-4", w, "initialized must be the session's first statement");
    if (!defined)
        return CMI5_OK; /* cmi5 allowed (9.3.0.0-9) */
    if (is_init) {
        if (cmi5__flag(sess, "initialized"))
            return refuse(d, "9.3.2.0-3", w, "the session is already initialized");
        if (!cmi5__flag(sess, "prefs_read"))
            return refuse(d, "11.0.0.0-3", w,
                          "the AU must read the learner preferences (agent profile "
                          "cmi5LearnerPreferences) before initialized");
        cmi5__set_flag(sess, "initialized", 1);
        return CMI5_OK;
    }
    if (is_term) {
        int64_t cs = 0;
        if (!cmi5__str(res, "duration"))
            return refuse(d, "9.5.4.1-1", w, "terminated needs result.duration");
        cmi5__set_flag(sess, "terminated", 1);
        /* the session's total time (9.5.4.1): the AU's time is the sum over its sessions */
        if (!sc_duration_parse(cmi5__str(res, "duration"), SC_DURATION_ISO, &cs)) {
            const cJSON *t = cJSON_GetObjectItem(ast, "time_cs");
            cmi5__set_num(ast, "time_cs", (cJSON_IsNumber(t) ? t->valuedouble : 0) + (double)cs);
        }
        return CMI5_OK;
    }
    /* completed, passed, failed */
    if (strcmp(mode, "Normal"))
        return refuse(d, !strcmp(mode, "Browse") ? "10.2.2.0-2" : "10.2.2.0-3", w,
                      "completed, passed and failed are not recorded in Browse or Review mode");
    if (!moveon)
        return refuse(d, "9.6.2.2-1", w, "completed, passed and failed need the moveon category");
    if (is_comp) {
        if (!cJSON_IsTrue(cJSON_GetObjectItem(res, "completion")))
            return refuse(d, "9.5.3.0-1", w, "completed needs result.completion true");
        if (cJSON_GetObjectItem(res, "success"))
            return refuse(d, "9.5.2.0-3", w, "completed must not have result.success");
        if (cJSON_GetObjectItem(res, "score"))
            return refuse(d, "9.5.1.0-2", w, "completed must not have a score");
        if (!cmi5__str(res, "duration"))
            return refuse(d, "9.5.4.1-2", w, "completed needs result.duration");
        if (cmi5__flag(sess, "completed"))
            return refuse(d, "9.3.0.0-2", w, "completed was already recorded in this session");
        if (cmi5__flag(ast, "completed"))
            return refuse(d, "9.3.0.0-6", w, "completed is recorded at most once per registration");
        cmi5__set_flag(sess, "completed", 1);
        cmi5__set_flag(ast, "completed", 1);
        return CMI5_OK;
    }
    if (is_pass && !cJSON_IsTrue(cJSON_GetObjectItem(res, "success")))
        return refuse(d, "9.5.2.0-1", w, "passed needs result.success true");
    if (is_fail && !cJSON_IsFalse(cJSON_GetObjectItem(res, "success")))
        return refuse(d, "9.5.2.0-2", w, "failed needs result.success false");
    if (cJSON_GetObjectItem(res, "completion"))
        return refuse(d, "9.5.3.0-2", w, "passed and failed must not have result.completion");
    if (!cmi5__str(res, "duration"))
        return refuse(d, is_pass ? "9.5.4.1-3" : "9.5.4.1-4", w,
                      "passed and failed need result.duration");
    {
        int rc = score_rules(res, s, au, verb, w, d);
        const cJSON *scaled = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "score"), "scaled");
        if (rc)
            return rc;
        if (cJSON_IsNumber(scaled)) /* the AU's score: its passed or failed statement's */
            cmi5__set_num(ast, "score", scaled->valuedouble);
    }
    if (is_pass) {
        if (cmi5__flag(sess, "passed"))
            return refuse(d, "9.3.0.0-2", w, "passed was already recorded in this session");
        if (cmi5__flag(sess, "failed"))
            return refuse(d, "9.3.0.0-3", w, "passed after failed in the same session");
        if (cmi5__flag(ast, "passed"))
            return refuse(d, "9.3.0.0-7", w, "passed is recorded at most once per registration");
        cmi5__set_flag(sess, "passed", 1);
        cmi5__set_flag(ast, "passed", 1);
        return CMI5_OK;
    }
    if (cmi5__flag(sess, "failed"))
        return refuse(d, "9.3.0.0-2", w, "failed was already recorded in this session");
    if (cmi5__flag(sess, "passed") || cmi5__flag(ast, "passed"))
        return refuse(d, "9.3.0.0-8", w, "failed after passed in this registration");
    cmi5__set_flag(sess, "failed", 1);
    cmi5__set_flag(ast, "failed", 1);
    return CMI5_OK;
}

int cmi5_statements_check(struct cmi5 *c, const char *session, cJSON *const *stmts, size_t n,
                          cJSON **extra, size_t *at, struct cmi5_plan **plan,
                          struct cmi5_diag *diag)
{
    struct cmi5_plan *p = sc_calloc(1, sizeof *p);
    cJSON *course = NULL, *out = cJSON_CreateArray(), *ast;
    const cJSON *au;
    long f0 = sc_alloc_failures();
    size_t at_i = n;
    int rc;

    if (!p || !out) {
        sc_free(p);
        cJSON_Delete(out);
        return CMI5_ERR_NOMEM;
    }
    snprintf(p->session, sizeof p->session, "%s", session);
    p->store = c->store;
    if (!(p->lock = cmi5__session_lock(c, session))) {
        sc_free(p);
        cJSON_Delete(out);
        return CMI5_ERR_NOTFOUND;
    }
    pthread_mutex_lock(p->lock);
    if ((rc = cmi5__load(c, CMI5_T_SESSIONS, session, &p->sess)) ||
        (rc = cmi5__load(c, CMI5_T_REGS, cmi5__str(p->sess, "registration"), &p->reg)) ||
        (rc = cmi5_course_get(c, cmi5__str(p->sess, "course"), &course)))
        goto fail;
    au = cJSON_GetArrayItem(cJSON_GetObjectItem(course, "aus"),
                            (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p->sess, "au")));
    ast = cJSON_GetArrayItem(cJSON_GetObjectItem(p->reg, "aus"),
                             (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p->sess, "au")));
    if (!au || !ast) {
        rc = CMI5_ERR_NOTFOUND;
        goto fail;
    }
    if (cmi5__flag(p->sess, "abandoned")) {
        rc = refuse(diag, "9.3.6.0-2", "$", "the session was abandoned");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        char w[32];
        int was = cmi5__flag(ast, "satisfied");
        const char *id = cmi5__str(stmts[i], "id");
        char *stored = NULL;
        /* xAPI Comm 2.1.1: a statement stored before (a client's retry) is the store's no-op
         * or its 409, not a second completed/passed for the rules */
        if (id && c->store && stmt_store_get(c->store, id, 0, &stored, NULL) == 0) {
            sc_free(stored);
            continue;
        }
        if (n > 1)
            snprintf(w, sizeof w, "$[%zu]", i);
        else
            snprintf(w, sizeof w, "$");
        rc = check_one(stmts[i], w, p->sess, ast, au, cJSON_GetObjectItem(p->reg, "actor"), diag);
        if (rc)
            goto fail;
        if (!was && cmi5__au_moveon_met(au, ast)) {
            if ((rc = cmi5__satisfy(course, p->reg, session, out)))
                goto fail;
            at_i = i + 1; /* an AU is satisfied once: one place in the batch */
        }
    }
    if (sc_alloc_failures() != f0) {
        rc = CMI5_ERR_NOMEM;
        goto fail;
    }
    cJSON_Delete(course);
    *extra = out;
    *at = at_i;
    *plan = p;
    return CMI5_OK; /* the lock stays held until cmi5_plan_finish */
fail:
    pthread_mutex_unlock(p->lock);
    cJSON_Delete(course);
    cJSON_Delete(out);
    cJSON_Delete(p->sess);
    cJSON_Delete(p->reg);
    sc_free(p);
    return rc;
}

cJSON *cmi5__plan_reg(const struct cmi5_plan *p)
{
    return p->reg;
}

struct stmt_store *cmi5__plan_store(const struct cmi5_plan *p)
{
    return p->store;
}

int cmi5_plan_rows(struct cmi5_plan *p, const struct stmt_row **rows, size_t *n)
{
    const char *keys[2] = {p->session, cmi5__str(p->reg, "registration")};
    cJSON *vals[2] = {p->sess, p->reg};
    static const char *const tables[2] = {CMI5_T_SESSIONS, CMI5_T_REGS};
    for (int i = 0; i < 2; i++) {
        if (!p->txt[i] && !(p->txt[i] = cJSON_PrintUnformatted(vals[i])))
            return CMI5_ERR_NOMEM;
        p->rows[i].table = tables[i];
        p->rows[i].key = keys[i];
        p->rows[i].klen = strlen(keys[i]);
        p->rows[i].val = p->txt[i];
        p->rows[i].vlen = strlen(p->txt[i]);
    }
    p->in_batch = 1;
    *rows = p->rows;
    *n = 2;
    return CMI5_OK;
}

int cmi5_plan_finish(struct cmi5 *c, struct cmi5_plan *p, int stored)
{
    int rc = CMI5_OK;
    if (!p)
        return CMI5_OK;
    if (stored && !p->in_batch) {
        const char *t[] = {CMI5_T_SESSIONS, CMI5_T_REGS};
        const char *k[] = {p->session, cmi5__str(p->reg, "registration")};
        cJSON *v[] = {p->sess, p->reg};
        rc = cmi5__save(c, 2, t, k, v);
    }
    pthread_mutex_unlock(p->lock);
    cJSON_free(p->txt[0]);
    cJSON_free(p->txt[1]);
    cJSON_Delete(p->sess);
    cJSON_Delete(p->reg);
    sc_free(p);
    return rc;
}

/* 11.1: a comma-separated list of RFC 5646 tags */
static int lang_list(const char *s)
{
    char tag[128];
    if (!s || !*s)
        return 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (!n || n >= sizeof tag)
            return 0;
        memcpy(tag, s, n);
        tag[n] = 0;
        if (!stmt_validate_lang_tag(tag))
            return 0;
        s += n;
        if (*s == ',' && !*++s)
            return 0;
    }
    return 1;
}

int cmi5_document_check(struct cmi5 *c, const char *session, int kind, int write, const char *id,
                        const char *agent_ifi, const char *ctype, const void *body, size_t len,
                        struct cmi5_diag *diag)
{
    cJSON *sess = NULL, *reg = NULL;
    char ifi[2048];
    pthread_mutex_t *lk = cmi5__session_lock(c, session);
    int rc;

    if (!lk)
        return CMI5_ERR_NOTFOUND;
    pthread_mutex_lock(lk);
    if ((rc = cmi5__load(c, CMI5_T_SESSIONS, session, &sess)) ||
        (rc = cmi5__load(c, CMI5_T_REGS, cmi5__str(sess, "registration"), &reg)))
        goto out;
    if (agent_ifi && (stmt_store_agent_ifi(cJSON_GetObjectItem(reg, "actor"), ifi, sizeof ifi) ||
                      strcmp(ifi, agent_ifi))) {
        rc = refuse(diag, kind == 3 ? "11.0.0.0-1" : "10.1.0.0-4", "agent",
                    "the agent must be the actor of the launch");
        goto out;
    }
    if (kind == 1 && write && (!id || !strcmp(id, "LMS.LaunchData"))) {
        rc = refuse(diag, "10.2.1.0-5", "stateId",
                    "LMS.LaunchData is written by the LMS only; the AU may not change or delete "
                    "it");
        goto out;
    }
    if (kind == 3 && (!id || !strcmp(id, "cmi5LearnerPreferences"))) {
        if (!write) {
            if (id && !cmi5__flag(sess, "prefs_read")) { /* 11.0.0.0-3: read before initialized */
                const char *t[] = {CMI5_T_SESSIONS};
                const char *k[] = {session};
                cmi5__set_flag(sess, "prefs_read", 1);
                rc = cmi5__save(c, 1, t, k, &sess);
            }
            goto out;
        }
        if (!body) {
            rc = refuse(diag, "11.0.0.0-5", "profileId",
                        "the learner preferences are not deleted by the AU");
            goto out;
        }
        if (!ctype || strncasecmp(ctype, "application/json", 16)) {
            rc = refuse(diag, "11.0.0.0-5", "Content-Type",
                        "cmi5LearnerPreferences is an application/json document");
            goto out;
        }
        {
            cJSON *doc = cJSON_ParseWithLength(body, len);
            const char *lp = cmi5__str(doc, "languagePreference"),
                       *ap = cmi5__str(doc, "audioPreference");
            if (!cJSON_IsObject(doc) || !lp || !ap)
                rc = refuse(diag, "11.0.0.0-5", "$",
                            "cmi5LearnerPreferences is an object with languagePreference and "
                            "audioPreference");
            else if (!lang_list(lp))
                rc = refuse(diag, "11.1.0.0-1", "$.languagePreference",
                            "a comma-separated list of RFC 5646 language tags");
            else if (strcmp(ap, "on") && strcmp(ap, "off"))
                rc = refuse(diag, "11.2.0.0-1", "$.audioPreference", "\"on\" or \"off\"");
            cJSON_Delete(doc);
        }
    }
out:
    pthread_mutex_unlock(lk);
    cJSON_Delete(sess);
    cJSON_Delete(reg);
    return rc;
}
