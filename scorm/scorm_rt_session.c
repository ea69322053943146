/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attempts and sessions of one SCO of a registration: launch (entry, resume, LMS-supplied
 * values), commits (sequence numbers, server-side validation, session_time and exit), the
 * end of a session (total_time, SCORM 1.2 lesson_status rules and mastery score, 2004 status
 * evaluation, next entry or a new attempt), the player's state and the registration report.
 *
 * Rules (reference/scorm-runtime.md §7, §8, §11):
 * - entry: "ab-initio" at the first launch of an attempt, "resume" after exit=suspend (2004
 *   also adl.nav.request=suspendAll) and after a session that never reached Terminate (its
 *   data kept: "a session that never reached Terminate keeps its data and resumes"); any
 *   other exit ends the attempt and the next launch starts a new one (ab-initio, fresh data).
 * - total_time = sum of session_time of the sessions of the attempt, added once when the
 *   session ends (final commit or implicit end); the last session_time set in a session wins.
 * - SCORM 1.2 at LMSFinish (1.2 RTE 3.4.4 cmi.core.lesson_status / mastery_score): browse mode
 *   and status "not attempted" -> "browsed"; otherwise "not attempted" -> "completed"; with
 *   credit, a mastery score and a numeric score.raw the LMS sets "passed" (raw >= mastery) or
 *   "failed".
 * - SCORM 2004: completion_status from progress_measure when completion_threshold is defined
 *   (RTE 4.2.4.1), success_status from score.scaled when scaled_passing_score is defined
 *   (RTE 4.2.22.1), as the shim evaluates them on GetValue.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "scorm/seq.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int scorm__rt_put(struct stmt_db_txn *txn, const char *table, const char *key, const cJSON *j);
int scorm__rt_get(struct stmt_db_txn *txn, const char *table, const char *key, cJSON **out);

#define KEY_MAX 420
_Static_assert(KEY_MAX + 64 == SCORM__SCO_KEY_MAX, "scorm__sco_key buffers");

/* A number member, 0 when absent (cJSON_GetNumberValue gives NaN). */
static double jnum(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

void scorm__sco_key(char *out, size_t outlen, const char *reg, const char *sco, int attempt)
{
    char tail[32] = "";
    if (attempt > 0)
        snprintf(tail, sizeof tail, "/%d", attempt);
    if (strlen(reg) + strlen(sco) + strlen(tail) + 2 < KEY_MAX) {
        snprintf(out, outlen, "%s/%s%s", reg, sco, tail);
    } else {
        unsigned char h[32];
        char hex[65];
        sc_sha256(sco, strlen(sco), h);
        sc_hex(h, sizeof h, hex);
        snprintf(out, outlen, "%s/#%s%s", reg, hex, tail);
    }
}

/* ---- the course tree ------------------------------------------------------------------- */

static const cJSON *find_item(const cJSON *items, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        const char *iid = scorm__jstr(it, "identifier");
        const cJSON *f;
        if (iid && !strcmp(iid, id))
            return it;
        f = find_item(cJSON_GetObjectItemCaseSensitive(it, "items"), id);
        if (f)
            return f;
    }
    return NULL;
}

/* Items in tree order: append {"item": borrowed pointer as index, depth} to a flat list. */
struct flat {
    const cJSON *item[2048];
    int depth[2048];
    size_t n;
};

static void flatten(const cJSON *items, int depth, struct flat *f)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        if (f->n >= sizeof f->item / sizeof f->item[0])
            return;
        f->item[f->n] = it;
        f->depth[f->n++] = depth;
        flatten(cJSON_GetObjectItemCaseSensitive(it, "items"), depth + 1, f);
    }
}

struct regctx {
    struct scorm_rt *rt;
    cJSON *reg;                      /* registration record */
    cJSON *ver;                      /* version record (owned unless cached) */
    struct scorm__tree_entry *entry; /* the cache entry holding ver, or NULL */
    const cJSON *tree;
    const cJSON *org;
    int is12;
    long fails0; /* sc_alloc_failures() when the call began (commit_out) */
};

/* Validation mode of the registration's commits: spec-exact when the run-time was opened
 * strict or the registration was created with "strict": true (scorm_rt_reg_opts), so the
 * server checks exactly as the player's shim, which gets the same flag at launch. */
static int strict_of(const struct regctx *c)
{
    return c->rt->strict || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->reg, "strict"));
}

/* the learner id of the registration (borrowed) or NULL */
static const char *learner_of(const struct regctx *c)
{
    return scorm__jstr(cJSON_GetObjectItemCaseSensitive(c->reg, "learner"), "id");
}

static void regctx_free(struct regctx *c)
{
    cJSON_Delete(c->reg);
    if (c->entry) {
        pthread_mutex_lock(&c->rt->cache_lock);
        c->entry->refs--;
        pthread_mutex_unlock(&c->rt->cache_lock);
    } else {
        cJSON_Delete(c->ver);
    }
    memset(c, 0, sizeof *c);
}

/* The version record of (course, version), from the cache when the stored text is unchanged. */
static int version_load(struct scorm_rt *rt, const char *course, int version, struct regctx *c)
{
    char key[SCORM_MAX_COURSE_ID + 16], *v = NULL;
    size_t vl, i, slot = SCORM__TREE_CACHE;
    uint64_t h;
    cJSON *ver;
    int rc;
    if (!course || strlen(course) > SCORM_MAX_COURSE_ID)
        return SCORM_RT_ERR_NOTFOUND;
    scorm__version_key(key, sizeof key, course, version);
    rc = stmt_db_get1(rt->db, "course_versions", key, strlen(key), &v, &vl);
    if (rc)
        return rc == STMT_DB_NOTFOUND ? SCORM_RT_ERR_NOTFOUND : SCORM_RT_ERR_STORE;
    h = sc_hash64(v, vl);
    pthread_mutex_lock(&rt->cache_lock);
    for (i = 0; i < SCORM__TREE_CACHE; i++) {
        struct scorm__tree_entry *e = &rt->cache[i];
        if (e->ver && !strcmp(e->key, key) && e->hash == h && e->len == vl) {
            e->refs++;
            c->ver = e->ver;
            c->entry = e;
            pthread_mutex_unlock(&rt->cache_lock);
            sc_free(v);
            return SCORM_RT_OK;
        }
    }
    pthread_mutex_unlock(&rt->cache_lock);
    ver = cJSON_ParseWithLength(v, vl);
    sc_free(v);
    if (!ver)
        return SCORM_RT_ERR_STORE;
    pthread_mutex_lock(&rt->cache_lock);
    for (i = 0; i < SCORM__TREE_CACHE; i++) {
        if (!rt->cache[i].ver) {
            slot = i;
            break;
        }
        if (slot == SCORM__TREE_CACHE && rt->cache[i].refs == 0)
            slot = i; /* replace an unused entry if no slot is free */
    }
    if (slot < SCORM__TREE_CACHE) {
        struct scorm__tree_entry *e = &rt->cache[slot];
        cJSON_Delete(e->ver);
        snprintf(e->key, sizeof e->key, "%s", key);
        e->hash = h;
        e->len = vl;
        e->ver = ver;
        e->refs = 1;
        c->entry = e;
    }
    pthread_mutex_unlock(&rt->cache_lock);
    c->ver = ver;
    return SCORM_RT_OK;
}

static int regctx_load(struct scorm_rt *rt, const char *reg, struct regctx *c)
{
    char *v = NULL;
    size_t vl;
    int rc;
    memset(c, 0, sizeof *c);
    c->rt = rt;
    c->fails0 = sc_alloc_failures();
    if (!reg || !sc_uuid_valid(reg, strlen(reg)))
        return SCORM_RT_ERR_NOTFOUND;
    rc = stmt_db_get1(rt->db, "registrations", reg, strlen(reg), &v, &vl);
    if (rc)
        return rc == STMT_DB_NOTFOUND ? SCORM_RT_ERR_NOTFOUND : SCORM_RT_ERR_STORE;
    c->reg = cJSON_ParseWithLength(v, vl);
    sc_free(v);
    if (!c->reg)
        return SCORM_RT_ERR_STORE;
    rc = version_load(rt, scorm__jstr(c->reg, "course"), (int)jnum(c->reg, "course_version"), c);
    if (rc) {
        regctx_free(c);
        return rc;
    }
    c->tree = cJSON_GetObjectItemCaseSensitive(c->ver, "tree");
    c->org = scorm__default_org(c->tree);
    c->is12 =
        scorm__jstr(c->tree, "version") && !strcmp(scorm__jstr(c->tree, "version"), "scorm12");
    return SCORM_RT_OK;
}

/* Every write of a SCO's record goes through here: the course report's tallies move in the
 * same transaction (scorm_rt_report_keep.c). */
static int cmi_put(struct stmt_db_txn *txn, const struct regctx *c, const char *sco,
                   const char *key, const cJSON *rec)
{
    int rc = scorm__rt_put(txn, "cmi", key, rec);
    return rc ? rc : scorm__report_sco(txn, c->reg, sco, rec);
}

/* ---- results --------------------------------------------------------------------------- */

static int num_of(const cJSON *values, const char *k, double *out)
{
    const char *s = scorm__jstr(values, k);
    char *end;
    if (!s || !*s)
        return 0;
    *out = strtod(s, &end);
    return !*end && isfinite(*out);
}

/* The LMS-side threshold values of a SCO (NULL when not defined). */
void scorm__rt_thresholds(const cJSON *item, int is12, char *thr, size_t thrl, char *pass,
                          size_t passl, char *mastery, size_t ml)
{
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(item, "completionThreshold");
    const cJSON *prim = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(item, "sequencing"),
                                         "objectives"),
        "primary");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(item, "masteryscore");
    thr[0] = pass[0] = mastery[0] = 0;
    if (is12) {
        if (cJSON_IsNumber(ms))
            snprintf(mastery, ml, "%g", ms->valuedouble);
        return;
    }
    if (ct) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ct, "value");
        if (cJSON_IsNumber(v))
            snprintf(thr, thrl, "%g", v->valuedouble);
        else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ct, "completedByMeasure"))) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(ct, "minProgressMeasure");
            snprintf(thr, thrl, "%g", cJSON_IsNumber(m) ? m->valuedouble : 1.0);
        }
    }
    /* RTE 4.2.18: from imsss:minNormalizedMeasure when satisfiedByMeasure=true */
    if (prim && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(prim, "satisfiedByMeasure"))) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(prim, "minNormalizedMeasure");
        snprintf(pass, passl, "%g", cJSON_IsNumber(m) ? m->valuedouble : 1.0);
    }
}

/* {completion, success, score{scaled,raw,min,max}} of a SCO's flat values. */
static cJSON *result_of(const cJSON *values, const cJSON *item, int is12)
{
    cJSON *r = cJSON_CreateObject(), *score;
    char thr[32], pass[32], mastery[32];
    double raw, mn, mx, sc, x, y;
    const char *comp = "not attempted", *succ = "unknown";
    int has_raw, has_min, has_max, has_scaled;

    if (!r)
        return NULL;
    scorm__rt_thresholds(item, is12, thr, sizeof thr, pass, sizeof pass, mastery, sizeof mastery);
    if (is12) {
        const char *st = scorm__jstr(values, "cmi.core.lesson_status");
        if (!st)
            st = "not attempted";
        if (!strcmp(st, "passed") || !strcmp(st, "failed") || !strcmp(st, "completed"))
            comp = "completed";
        else if (!strcmp(st, "incomplete") || !strcmp(st, "browsed"))
            comp = "incomplete";
        if (!strcmp(st, "passed") || !strcmp(st, "failed"))
            succ = st;
        has_raw = num_of(values, "cmi.core.score.raw", &raw);
        has_min = num_of(values, "cmi.core.score.min", &mn);
        has_max = num_of(values, "cmi.core.score.max", &mx);
        has_scaled = 0;
        cJSON_AddStringToObject(r, "lesson_status", st);
    } else {
        comp = scorm__jstr(values, "cmi.completion_status");
        succ = scorm__jstr(values, "cmi.success_status");
        if (!comp)
            comp = "unknown";
        if (!succ)
            succ = "unknown";
        if (thr[0]) {
            comp = num_of(values, "cmi.progress_measure", &x)
                       ? (x >= strtod(thr, NULL) ? "completed" : "incomplete")
                       : "unknown";
        }
        if (pass[0]) {
            succ = num_of(values, "cmi.score.scaled", &y)
                       ? (y >= strtod(pass, NULL) ? "passed" : "failed")
                       : "unknown";
        }
        has_raw = num_of(values, "cmi.score.raw", &raw);
        has_min = num_of(values, "cmi.score.min", &mn);
        has_max = num_of(values, "cmi.score.max", &mx);
        has_scaled = num_of(values, "cmi.score.scaled", &sc);
    }
    cJSON_AddStringToObject(r, "completion", comp);
    cJSON_AddStringToObject(r, "success", succ);
    if (has_raw || has_scaled) {
        score = cJSON_AddObjectToObject(r, "score");
        if (!has_scaled && has_raw) {
            double lo = has_min ? mn : 0, hi = has_max ? mx : 100;
            if (hi > lo) {
                sc = (raw - lo) / (hi - lo);
                has_scaled = 1;
            }
        }
        if (has_scaled)
            cJSON_AddNumberToObject(score, "scaled", sc < -1 ? -1 : sc > 1 ? 1 : sc);
        if (has_raw)
            cJSON_AddNumberToObject(score, "raw", raw);
        if (has_min)
            cJSON_AddNumberToObject(score, "min", mn);
        if (has_max)
            cJSON_AddNumberToObject(score, "max", mx);
    }
    return r;
}

/* 1.2 rules at LMSFinish (see the file header). Modifies values. */
static void lesson_status_finish(cJSON *values, const cJSON *item, const cJSON *reg)
{
    const char *st = scorm__jstr(values, "cmi.core.lesson_status");
    const char *mode = scorm__jstr(reg, "mode"), *credit = scorm__jstr(reg, "credit");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(item, "masteryscore");
    double raw;
    if (!st || !strcmp(st, "not attempted")) {
        if (mode && !strcmp(mode, "browse"))
            scorm__jset_str(values, "cmi.core.lesson_status", "browsed");
        else
            scorm__jset_str(values, "cmi.core.lesson_status", "completed");
    }
    if (cJSON_IsNumber(ms) && (!credit || !strcmp(credit, "credit")) &&
        num_of(values, "cmi.core.score.raw", &raw))
        scorm__jset_str(values, "cmi.core.lesson_status",
                        raw >= ms->valuedouble ? "passed" : "failed");
}

/* ---- launch ---------------------------------------------------------------------------- */

static void add_initial(cJSON *init, const char *k, const char *v)
{
    if (v && !cJSON_GetObjectItemCaseSensitive(init, k))
        cJSON_AddStringToObject(init, k, v);
}

static cJSON *initial_values(const struct regctx *c, const cJSON *item, const cJSON *rec)
{
    cJSON *init = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "values"), 1);
    const cJSON *learner = cJSON_GetObjectItemCaseSensitive(c->reg, "learner");
    const char *entry = scorm__jstr(rec, "entry");
    int64_t total = (int64_t)jnum(rec, "total_cs");
    char tbuf[64], thr[32], pass[32], mastery[32];
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(item, "sequencing"), "limitConditions");
    if (!init)
        init = cJSON_CreateObject();
    if (!init)
        return NULL;
    scorm__rt_thresholds(item, c->is12, thr, sizeof thr, pass, sizeof pass, mastery,
                         sizeof mastery);
    if (c->is12) {
        add_initial(init, "cmi.core.student_id", scorm__jstr(learner, "id"));
        add_initial(init, "cmi.core.student_name", scorm__jstr(learner, "name"));
        add_initial(init, "cmi.core.credit", scorm__jstr(c->reg, "credit"));
        add_initial(init, "cmi.core.lesson_mode", scorm__jstr(c->reg, "mode"));
        add_initial(init, "cmi.core.entry", entry);
        scorm_rt_cs_timespan12(total, tbuf, sizeof tbuf);
        add_initial(init, "cmi.core.total_time", tbuf);
        add_initial(init, "cmi.launch_data", scorm__jstr(item, "datafromlms"));
        if (mastery[0])
            add_initial(init, "cmi.student_data.mastery_score", mastery);
        add_initial(init, "cmi.student_data.max_time_allowed", scorm__jstr(item, "maxtimeallowed"));
        add_initial(init, "cmi.student_data.time_limit_action",
                    scorm__jstr(item, "timelimitaction"));
    } else {
        add_initial(init, "cmi.learner_id", scorm__jstr(learner, "id"));
        add_initial(init, "cmi.learner_name", scorm__jstr(learner, "name"));
        add_initial(init, "cmi.credit", scorm__jstr(c->reg, "credit"));
        add_initial(init, "cmi.mode", scorm__jstr(c->reg, "mode"));
        add_initial(init, "cmi.entry", entry);
        scorm_rt_cs_duration(total, tbuf, sizeof tbuf);
        add_initial(init, "cmi.total_time", tbuf);
        add_initial(init, "cmi.launch_data", scorm__jstr(item, "datafromlms"));
        if (thr[0])
            add_initial(init, "cmi.completion_threshold", thr);
        if (pass[0])
            add_initial(init, "cmi.scaled_passing_score", pass);
        add_initial(init, "cmi.time_limit_action", scorm__jstr(item, "timelimitaction"));
        add_initial(init, "cmi.max_time_allowed", scorm__jstr(lim, "attemptAbsoluteDurationLimit"));
    }
    return init;
}

/* SCORM 2004 RTE 4.2.17: at the start of an attempt the LMS initialises cmi.objectives.n.id
 * with the objectives of the item's sequencing information (primary first, then the others,
 * manifest order); a SCO finds them with cmi.objectives._count / .n.id. */
static void seed_objectives(const cJSON *item, cJSON *values)
{
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(item, "sequencing"), "objectives");
    const cJSON *prim = cJSON_GetObjectItemCaseSensitive(objs, "primary"), *o;
    char k[64];
    int n = 0;
    if (!values || !objs || cJSON_GetObjectItemCaseSensitive(values, "cmi.objectives.0.id"))
        return;
    if (scorm__jstr(prim, "objectiveID")) {
        snprintf(k, sizeof k, "cmi.objectives.%d.id", n++);
        scorm__jset_str(values, k, scorm__jstr(prim, "objectiveID"));
    }
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(objs, "objectives"))
    {
        if (!scorm__jstr(o, "objectiveID") || n >= 100)
            continue;
        snprintf(k, sizeof k, "cmi.objectives.%d.id", n++);
        scorm__jset_str(values, k, scorm__jstr(o, "objectiveID"));
    }
}

static cJSON *new_sco_record(void)
{
    cJSON *rec = cJSON_CreateObject();
    char aid[SC_UUID_LEN];
    if (!rec)
        return NULL;
    sc_uuid_v4(aid);
    cJSON_AddNumberToObject(rec, "attempt", 1);
    cJSON_AddStringToObject(rec, "attempt_id", aid);
    cJSON_AddStringToObject(rec, "entry", "ab-initio");
    cJSON_AddObjectToObject(rec, "values");
    cJSON_AddNumberToObject(rec, "total_cs", 0);
    cJSON_AddNumberToObject(rec, "sessions", 0);
    return rec;
}

/* Begins a grouped write transaction and reads the SCO's record (cmi table, key written to
 * key), a fresh one when the SCO has none yet. On error *txn may be open: the caller aborts. */
static int sco_record_begin(struct scorm_rt *rt, const char *reg, const char *sco, char *key,
                            size_t keylen, struct stmt_db_txn **txn, cJSON **rec)
{
    int rc;
    scorm__sco_key(key, keylen, reg, sco, 0);
    if (stmt_db_txn_begin_grouped(rt->db, txn))
        return SCORM_RT_ERR_STORE;
    rc = scorm__rt_get(*txn, "cmi", key, rec);
    if (rc == SCORM_RT_ERR_NOTFOUND) {
        *rec = new_sco_record();
        rc = *rec ? SCORM_RT_OK : SCORM_RT_ERR_NOMEM;
    }
    return rc;
}

static void bridge_ctx(struct scorm_rt *rt, const struct regctx *c, const cJSON *item,
                       const cJSON *rec, const char *session, struct scorm__bridge_ctx *b)
{
    const cJSON *learner = cJSON_GetObjectItemCaseSensitive(c->reg, "learner");
    memset(b, 0, sizeof *b);
    b->rt = rt;
    b->registration = scorm__jstr(c->reg, "id");
    b->course = scorm__jstr(c->reg, "course");
    b->course_title = scorm__jstr(c->reg, "title");
    b->sco = scorm__jstr(item, "identifier");
    b->sco_title = scorm__jstr(item, "title");
    b->learner_id = scorm__jstr(learner, "id");
    b->learner_name = scorm__jstr(learner, "name");
    b->session = session;
    b->attempt = (int)jnum(rec, "attempt");
    b->attempt_id = scorm__jstr(rec, "attempt_id");
    b->is12 = c->is12;
    b->preview = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->reg, "preview"));
}

/* The start statement of a session, once: initialized, or resumed when its entry is resume. */
static void session_started(struct scorm_rt *rt, const struct regctx *c, const cJSON *item,
                            const cJSON *rec, cJSON *sess, cJSON *stmts)
{
    struct scorm__bridge_ctx b;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sess, "initialized")))
        return;
    scorm__jset_bool(sess, "initialized", 1);
    bridge_ctx(rt, c, item, rec, scorm__jstr(sess, "id"), &b);
    if (stmts)
        scorm__bridge_start(&b, scorm__jstr(sess, "entry"), stmts);
}

/*
 * End the SCO's current attempt inside txn: archive it (table "attempts") and start the next
 * one (attempt + 1, entry ab-initio, fresh values, total_time 0). exitv is the exit the
 * attempt ended with (borrowed, may be NULL). rec is modified.
 */
static int attempt_next(struct stmt_db_txn *txn, const struct regctx *c, const cJSON *item,
                        cJSON *rec, const char *exitv)
{
    char key[KEY_MAX + 64], aid[SC_UUID_LEN];
    cJSON *arch = cJSON_CreateObject();
    cJSON *values = cJSON_GetObjectItemCaseSensitive(rec, "values");
    int n = (int)jnum(rec, "attempt"), rc;
    if (!arch)
        return SCORM_RT_ERR_NOMEM;
    cJSON_AddNumberToObject(arch, "attempt", n);
    cJSON_AddStringToObject(arch, "attempt_id",
                            scorm__jstr(rec, "attempt_id") ? scorm__jstr(rec, "attempt_id") : "");
    cJSON_AddItemToObject(arch, "values", cJSON_Duplicate(values, 1));
    cJSON_AddNumberToObject(arch, "total_cs", jnum(rec, "total_cs"));
    cJSON_AddItemToObject(arch, "result",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "result"), 1));
    cJSON_AddStringToObject(arch, "exit", exitv ? exitv : "");
    scorm__sco_key(key, sizeof key, scorm__jstr(c->reg, "id"), scorm__jstr(item, "identifier"), n);
    rc = scorm__rt_put(txn, "attempts", key, arch);
    cJSON_Delete(arch);
    if (rc)
        return rc;
    sc_uuid_v4(aid);
    scorm__jset_num(rec, "attempt", n + 1);
    scorm__jset_str(rec, "attempt_id", aid);
    scorm__jset_str(rec, "entry", "ab-initio");
    scorm__jset(rec, "values", cJSON_CreateObject());
    scorm__jset_num(rec, "total_cs", 0);
    scorm__jset_num(rec, "attempt_sessions", 0);
    return SCORM_RT_OK;
}

/*
 * End a session inside txn: add its time, apply the final rules, decide the next entry or
 * start a new attempt, and append the end statements. final = 1 for Terminate/LMSFinish,
 * 0 for a session that was left open (kept as a suspend). rec and sess are modified.
 */
static int session_end(struct scorm_rt *rt, struct stmt_db_txn *txn, const struct regctx *c,
                       const cJSON *item, cJSON *rec, cJSON *sess, int final, cJSON *stmts)
{
    cJSON *values = cJSON_GetObjectItemCaseSensitive(rec, "values");
    const char *exitv = scorm__jstr(sess, "exit"), *nav = scorm__jstr(sess, "nav_request");
    int64_t scs = (int64_t)jnum(sess, "session_cs");
    int64_t total = (int64_t)jnum(rec, "total_cs") + scs;
    int suspend =
        !final || (exitv && !strcmp(exitv, "suspend")) || (nav && !strcmp(nav, "suspendAll"));
    struct scorm__bridge_ctx b;
    cJSON *result;

    scorm__jset_num(rec, "total_cs", (double)total);
    scorm__jset_num(rec, "time_all_cs", jnum(rec, "time_all_cs") + (double)scs);
    if (final && c->is12)
        lesson_status_finish(values, item, c->reg);
    result = result_of(values, item, c->is12);
    scorm__jset(rec, "result", result);
    scorm__jset_bool(sess, "open", 0);
    scorm__jset_bool(sess, "terminated", final);
    scorm__jset_num(sess, "ended", (double)sc_time_now_us());
    if (final)
        session_started(rt, c, item, rec, sess, stmts);
    bridge_ctx(rt, c, item, rec, scorm__jstr(sess, "id"), &b);
    /* a session whose SCO never initialised has nothing to state */
    if (stmts && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sess, "initialized")))
        scorm__bridge_end(&b, values, cJSON_GetObjectItemCaseSensitive(sess, "changed"),
                          cJSON_GetObjectItemCaseSensitive(rec, "result"),
                          cJSON_GetObjectItemCaseSensitive(sess, "start_result"), suspend, scs,
                          stmts);
    cJSON_DeleteItemFromObjectCaseSensitive(sess, "changed");
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "session");
    if (suspend) {
        scorm__jset_str(rec, "entry", "resume");
        return SCORM_RT_OK;
    }
    /* a non-suspend exit ends the attempt: archive it and start the next (RTE 4.2.8) */
    return attempt_next(txn, c, item, rec, exitv);
}

/*
 * Commits *txn (cleared either way) with the call's statements written in it as bridge
 * outbox rows (one call, one durable transaction: DESIGN.md), then hands them to the
 * statement store. fails0 is sc_alloc_failures() when the call began: when an allocation
 * failed since, a value or a statement may be missing from what the call built, so nothing
 * is committed (SCORM_RT_ERR_NOMEM; the player retries). SCORM_RT_OK, _NOMEM, _STORE.
 */
static int commit_out(struct scorm_rt *rt, struct stmt_db_txn **txn, cJSON *stmts, long fails0)
{
    struct scorm__obx ob;
    int rc = scorm__outbox_put(rt, *txn, stmts, fails0, &ob);
    if (!rc && sc_alloc_failures() != fails0)
        rc = SCORM_RT_ERR_NOMEM;
    if (rc) {
        scorm__obx_free(&ob);
        stmt_db_txn_abort(*txn);
        *txn = NULL;
        return rc;
    }
    rc = stmt_db_txn_commit(*txn);
    *txn = NULL;
    if (rc) {
        scorm__obx_free(&ob);
        return SCORM_RT_ERR_STORE;
    }
    scorm__commit_done(rt);
    scorm__outbox_sent(rt, stmts, &ob);
    return SCORM_RT_OK;
}

/* The prologue of a session's calls (commit, initialized): the registration's context, a
 * statement array, a grouped write transaction and the session record, which must belong to
 * reg and be open. On error the outputs hold what was made (the caller frees them; c is safe
 * to free either way). */
static int session_open(struct scorm_rt *rt, const char *reg, const char *session, struct regctx *c,
                        struct stmt_db_txn **txn, cJSON **sess, cJSON **stmts)
{
    int rc;
    memset(c, 0, sizeof *c);
    if (!session || !sc_uuid_valid(session, strlen(session)))
        return SCORM_RT_ERR_NOTFOUND;
    rc = regctx_load(rt, reg, c);
    if (rc)
        return rc;
    *stmts = cJSON_CreateArray();
    if (!*stmts)
        return SCORM_RT_ERR_NOMEM;
    if (stmt_db_txn_begin_grouped(rt->db, txn))
        return SCORM_RT_ERR_STORE;
    rc = scorm__rt_get(*txn, "sessions", session, sess);
    if (rc)
        return rc;
    if (!scorm__jstr(*sess, "registration") || strcmp(scorm__jstr(*sess, "registration"), reg))
        return SCORM_RT_ERR_NOTFOUND;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(*sess, "open")))
        return SCORM_RT_ERR_CLOSED;
    return SCORM_RT_OK;
}

int scorm_rt_launch(struct scorm_rt *rt, const char *reg, const char *sco, cJSON **out,
                    struct scorm_diag *diag)
{
    struct regctx c;
    struct stmt_db_txn *txn = NULL;
    cJSON *rec = NULL, *sess = NULL, *old = NULL, *res = NULL, *stmts = NULL;
    const cJSON *item;
    char key[KEY_MAX + 64], sid[SC_UUID_LEN];
    int rc;

    rc = regctx_load(rt, reg, &c);
    if (rc)
        return rc;
    item = sco ? find_item(cJSON_GetObjectItemCaseSensitive(c.org, "items"), sco) : NULL;
    if (!item) {
        scorm__diag_set(diag, SCORM_RT_ERR_NOTFOUND, 0, "sco", "no item %.100s in the course",
                        sco ? sco : "(none)");
        rc = SCORM_RT_ERR_NOTFOUND;
        goto out;
    }
    if (!scorm__jstr(item, "launch")) {
        scorm__diag_set(diag, SCORM_RT_ERR_NOT_LAUNCHABLE, 0, "sco",
                        "item %.100s has no resource to launch", sco);
        rc = SCORM_RT_ERR_NOT_LAUNCHABLE;
        goto out;
    }
    stmts = cJSON_CreateArray();
    res = cJSON_CreateObject();
    if (!stmts || !res || sc_uuid_v4(sid)) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    rc = sco_record_begin(rt, reg, sco, key, sizeof key, &txn, &rec);
    if (rc)
        goto out;
    /* a session of this SCO left open (tab closed, no Terminate): end it as a suspend */
    if (scorm__jstr(rec, "session")) {
        if (scorm__rt_get(txn, "sessions", scorm__jstr(rec, "session"), &old) == SCORM_RT_OK &&
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(old, "open"))) {
            rc = session_end(rt, txn, &c, item, rec, old, 0, stmts);
            if (!rc)
                rc = scorm__rt_put(txn, "sessions", scorm__jstr(old, "id"), old);
            if (rc)
                goto out;
        } else {
            cJSON_DeleteItemFromObjectCaseSensitive(rec, "session");
        }
    }
    sess = cJSON_CreateObject();
    if (!sess) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    cJSON_AddStringToObject(sess, "id", sid);
    cJSON_AddStringToObject(sess, "registration", reg);
    cJSON_AddStringToObject(sess, "sco", sco);
    cJSON_AddNumberToObject(sess, "attempt", jnum(rec, "attempt"));
    cJSON_AddNumberToObject(sess, "seq", 0);
    cJSON_AddBoolToObject(sess, "open", 1);
    cJSON_AddStringToObject(sess, "entry", scorm__jstr(rec, "entry"));
    cJSON_AddNumberToObject(sess, "session_cs", 0);
    cJSON_AddNumberToObject(sess, "started", (double)sc_time_now_us());
    cJSON_AddObjectToObject(sess, "changed");
    if (!strcmp(scorm__jstr(rec, "entry") ? scorm__jstr(rec, "entry") : "", "resume") &&
        cJSON_GetObjectItemCaseSensitive(rec, "result"))
        cJSON_AddItemToObject(sess, "start_result",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "result"), 1));
    if (jnum(rec, "attempt_sessions") <= 0 && !c.is12)
        seed_objectives(item, cJSON_GetObjectItemCaseSensitive(rec, "values"));
    scorm__jset_str(rec, "session", sid);
    scorm__jset_num(rec, "sessions", jnum(rec, "sessions") + 1);
    scorm__jset_num(rec, "attempt_sessions", jnum(rec, "attempt_sessions") + 1);
    /* initialized / resumed are stated when the SCO calls Initialize (the player reports it)
     * or at its first commit, whichever comes first: content that never initialises leaves
     * no statements (xAPI SCORM Profile §5.0) */
    cJSON *init = initial_values(&c, item, rec);
    if (!init) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    cJSON_AddItemToObject(res, "initial", init);
    /* shared data stores of the SCO (adl.data, RTE 4th 4.3) */
    if (!c.is12 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(item, "data")) > 0) {
        cJSON *sd = NULL;
        rc = scorm__data_entries(txn, c.org, item, learner_of(&c), reg, &sd);
        if (rc)
            goto out;
        cJSON_AddItemToObject(init, "adl.data", sd);
    }
    /* the entry of later launches, unless this session ends otherwise: a session that never
     * reaches Terminate resumes (scorm-runtime.md §8) */
    scorm__jset_str(rec, "entry", "resume");
    /* the registration record is re-read inside this write transaction: a token issued since
     * regctx_load must not be lost by writing back the older copy */
    {
        cJSON *cur = NULL;
        rc = scorm__rt_get(txn, "registrations", reg, &cur);
        if (!rc) {
            scorm__jset_str(cur, "last_sco", sco);
            rc = scorm__rt_put(txn, "registrations", reg, cur);
        }
        cJSON_Delete(cur);
        if (rc)
            goto out;
    }
    if ((rc = cmi_put(txn, &c, sco, key, rec)) || (rc = scorm__rt_put(txn, "sessions", sid, sess)))
        goto out;
    /* the answer is made before the commit: a failure after it would leave a session the
     * player never hears of */
    cJSON_AddStringToObject(res, "session", sid);
    cJSON_AddStringToObject(res, "sco", sco);
    cJSON_AddStringToObject(res, "title",
                            scorm__jstr(item, "title") ? scorm__jstr(item, "title") : sco);
    cJSON_AddStringToObject(res, "href", scorm__jstr(item, "launch"));
    cJSON_AddStringToObject(res, "scorm_version", c.is12 ? "scorm12" : "scorm2004");
    cJSON_AddNumberToObject(res, "seq", 0);
    cJSON_AddBoolToObject(res, "strict", strict_of(&c));
    if ((rc = commit_out(rt, &txn, stmts, c.fails0)))
        goto out;
    *out = res;
    res = NULL;
    rc = SCORM_RT_OK;
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(rec);
    cJSON_Delete(sess);
    cJSON_Delete(old);
    cJSON_Delete(res);
    cJSON_Delete(stmts);
    regctx_free(&c);
    return rc;
}

/*
 * End the SCO's current attempt inside txn, closing first a session left open (tab closed
 * without Terminate) as a launch would; its next launch is ab-initio. rec is modified.
 */
static int sco_attempt_end(struct scorm_rt *rt, struct stmt_db_txn *txn, const struct regctx *c,
                           const cJSON *item, cJSON *rec, cJSON *stmts)
{
    cJSON *old = NULL;
    int rc = SCORM_RT_OK;
    if (scorm__jstr(rec, "session") &&
        scorm__rt_get(txn, "sessions", scorm__jstr(rec, "session"), &old) == SCORM_RT_OK &&
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(old, "open"))) {
        rc = session_end(rt, txn, c, item, rec, old, 0, stmts);
        if (!rc)
            rc = scorm__rt_put(txn, "sessions", scorm__jstr(old, "id"), old);
    }
    cJSON_Delete(old);
    if (rc)
        return rc;
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "session");
    return attempt_next(txn, c, item, rec, NULL);
}

int scorm_rt_delivered(struct scorm_rt *rt, const char *reg, const char *sco, int activity_attempt)
{
    struct regctx c;
    struct stmt_db_txn *txn = NULL;
    cJSON *rec = NULL, *stmts = NULL;
    const cJSON *item, *known;
    char key[KEY_MAX + 64];
    int rc;

    if (activity_attempt < 1)
        return SCORM_RT_ERR_ARG;
    rc = regctx_load(rt, reg, &c);
    if (rc)
        return rc;
    item = sco ? find_item(cJSON_GetObjectItemCaseSensitive(c.org, "items"), sco) : NULL;
    if (!item) {
        rc = SCORM_RT_ERR_NOTFOUND;
        goto out;
    }
    stmts = cJSON_CreateArray();
    if (!stmts) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    rc = sco_record_begin(rt, reg, sco, key, sizeof key, &txn, &rec);
    if (rc)
        goto out;
    known = cJSON_GetObjectItemCaseSensitive(rec, "activity_attempt");
    if (cJSON_IsNumber(known) && (int)known->valuedouble == activity_attempt)
        goto out; /* the same attempt (a resume, a relaunch): nothing changes */
    /* SN 4th DB.2: the sequencer began a new attempt on the activity (a suspended activity is
     * resumed in the same attempt). RTE 4th 4.2.7 / 4.2.8: the SCO's learner attempt is that
     * attempt, so its data of the earlier one ends and cmi.entry is ab-initio. A record with
     * no attempt known yet (a first delivery) only learns it. */
    if (cJSON_IsNumber(known) && (int)known->valuedouble != activity_attempt &&
        jnum(rec, "attempt_sessions") > 0) {
        rc = sco_attempt_end(rt, txn, &c, item, rec, stmts);
        if (rc)
            goto out;
    }
    scorm__jset_num(rec, "activity_attempt", activity_attempt);
    if ((rc = cmi_put(txn, &c, sco, key, rec)))
        goto out;
    rc = commit_out(rt, &txn, stmts, c.fails0);
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(rec);
    cJSON_Delete(stmts);
    regctx_free(&c);
    return rc;
}

int scorm_rt_course_exited(struct scorm_rt *rt, const char *reg)
{
    struct regctx c;
    struct stmt_db_txn *txn = NULL;
    struct flat *f = NULL;
    cJSON *rec = NULL, *stmts = NULL;
    char key[KEY_MAX + 64];
    int rc = regctx_load(rt, reg, &c);
    if (rc)
        return rc;
    f = sc_calloc(1, sizeof *f);
    stmts = cJSON_CreateArray();
    if (!f || !stmts) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    flatten(cJSON_GetObjectItemCaseSensitive(c.org, "items"), 0, f);
    if (stmt_db_txn_begin_grouped(rt->db, &txn)) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    for (size_t i = 0; i < f->n; i++) {
        const char *id = scorm__jstr(f->item[i], "identifier");
        if (!id || !scorm__jstr(f->item[i], "launch"))
            continue;
        scorm__sco_key(key, sizeof key, reg, id, 0);
        rc = scorm__rt_get(txn, "cmi", key, &rec);
        if (rc == SCORM_RT_ERR_NOTFOUND) {
            rc = SCORM_RT_OK;
            continue;
        }
        if (rc)
            goto out;
        /* an attempt with sessions is still going: a suspended SCO (cmi.exit "suspend") or
         * one whose session never reached Terminate; a SCO that exited otherwise already
         * started its next attempt (attempt_sessions 0) */
        if (jnum(rec, "attempt_sessions") > 0) {
            rc = sco_attempt_end(rt, txn, &c, f->item[i], rec, stmts);
            if (!rc)
                rc = cmi_put(txn, &c, id, key, rec);
            if (rc)
                goto out;
        }
        cJSON_Delete(rec);
        rec = NULL;
    }
    rc = commit_out(rt, &txn, stmts, c.fails0);
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(rec);
    cJSON_Delete(stmts);
    sc_free(f);
    regctx_free(&c);
    return rc;
}

/* ---- commit ---------------------------------------------------------------------------- */

/* the 2004 model's value_max (characters stored in full, RTE 4.1.1.5); 0 when absent */
static size_t value_max(const struct scorm_rt *rt)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rt->dm.root, "models"), "scorm2004");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value_max");
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (size_t)v->valuedouble : 0;
}

static int map_code(int scorm_code)
{
    switch (scorm_code) {
    case 401:
    case 402:
        return SCORM_RT_ERR_ELEMENT;
    case 404:
        return SCORM_RT_ERR_READONLY;
    default:
        return SCORM_RT_ERR_VALUE;
    }
}

int scorm_rt_commit(struct scorm_rt *rt, const char *reg, const char *session, const cJSON *payload,
                    cJSON **out, struct scorm_diag *diag)
{
    struct regctx c;
    struct stmt_db_txn *txn = NULL;
    cJSON *sess = NULL, *rec = NULL, *counts = NULL, *stmts = NULL, *res = NULL;
    const cJSON *seqj = cJSON_GetObjectItemCaseSensitive(payload, "seq");
    const cJSON *finalj = cJSON_GetObjectItemCaseSensitive(payload, "final");
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(payload, "changes"), *ch;
    const cJSON *item;
    char key[KEY_MAX + 64], why[512];
    double seq;
    int rc, applied = 0, final = cJSON_IsTrue(finalj), nchanges = 0;

    memset(&c, 0, sizeof c);
    if (!cJSON_IsObject(payload) || !cJSON_IsNumber(seqj) || seqj->valuedouble < 1 ||
        seqj->valuedouble != floor(seqj->valuedouble) || seqj->valuedouble > 9007199254740991.0 ||
        (finalj && !cJSON_IsBool(finalj)) || (changes && !cJSON_IsObject(changes))) {
        scorm__diag_set(diag, SCORM_RT_ERR_PAYLOAD, 0, "seq",
                        "commit body must be {\"seq\": integer >= 1, \"final\": boolean, "
                        "\"changes\": {element: string}}");
        return SCORM_RT_ERR_PAYLOAD;
    }
    seq = seqj->valuedouble;
    cJSON_ArrayForEach(ch, changes)
    {
        if (!cJSON_IsString(ch)) {
            scorm__diag_set(diag, SCORM_RT_ERR_PAYLOAD, 0, ch->string,
                            "changes.%.200s must be a string (SetValue values are strings)",
                            ch->string);
            return SCORM_RT_ERR_PAYLOAD;
        }
        if (++nchanges > SCORM_RT_MAX_CHANGES) {
            scorm__diag_set(diag, SCORM_RT_ERR_PAYLOAD, 0, "changes",
                            "more than %d changes in one commit", SCORM_RT_MAX_CHANGES);
            return SCORM_RT_ERR_PAYLOAD;
        }
    }
    rc = session_open(rt, reg, session, &c, &txn, &sess, &stmts);
    if (rc)
        goto out;
    if (seq <= jnum(sess, "seq")) {
        rc = SCORM_RT_OK; /* a duplicate or a late arrival: nothing changes */
        goto answer;
    }
    item = find_item(cJSON_GetObjectItemCaseSensitive(c.org, "items"), scorm__jstr(sess, "sco"));
    if (!item) {
        rc = SCORM_RT_ERR_NOTFOUND;
        goto out;
    }
    scorm__sco_key(key, sizeof key, reg, scorm__jstr(sess, "sco"), 0);
    rc = scorm__rt_get(txn, "cmi", key, &rec);
    if (rc)
        goto out;
    session_started(rt, &c, item, rec, sess, stmts); /* a commit means Initialize happened */
    cJSON *values = cJSON_GetObjectItemCaseSensitive(rec, "values");
    cJSON *changed = cJSON_GetObjectItemCaseSensitive(sess, "changed");
    if (!values || !changed) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    counts = scorm__dm_counts(values);
    if (!counts) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    /* exit, session_time and adl.nav.request live in the session, not in the attempt's values;
     * a commit may set them more than once across commits: the last value wins */
    const char *ex_key = c.is12 ? "cmi.core.exit" : "cmi.exit";
    const char *st_key = c.is12 ? "cmi.core.session_time" : "cmi.session_time";
    cJSON_ArrayForEach(ch, changes)
    {
        int code;
        if (!c.is12 && !strncmp(ch->string, "adl.data.", 9)) {
            /* shared data goes to its store (scorm_rt_data.c), not to the attempt's values */
            rc = scorm__data_set(txn, c.org, item, learner_of(&c), reg, ch->string, ch->valuestring,
                                 value_max(rt), diag);
            if (rc)
                goto out;
            continue;
        }
        code = scorm__dm_set(&rt->dm, c.is12 ? "scorm12" : "scorm2004", strict_of(&c), values,
                             counts, ch->string, ch->valuestring, why, sizeof why);
        if (code) {
            rc = map_code(code);
            scorm__diag_set(diag, code, 0, ch->string, "%s", why);
            goto out;
        }
        scorm__jset_str(changed, ch->string, ch->valuestring);
    }
    {
        const char *v;
        if ((v = scorm__jstr(values, ex_key))) {
            scorm__jset_str(sess, "exit", v);
            cJSON_DeleteItemFromObjectCaseSensitive(values, ex_key);
        }
        if ((v = scorm__jstr(values, st_key))) {
            int64_t cs = c.is12 ? scorm_rt_timespan12_cs(v) : scorm_rt_duration_cs(v);
            if (cs >= 0)
                scorm__jset_num(sess, "session_cs", (double)cs);
            cJSON_DeleteItemFromObjectCaseSensitive(values, st_key);
        }
        if ((v = scorm__jstr(values, "adl.nav.request"))) {
            scorm__jset_str(sess, "nav_request", v);
            cJSON_DeleteItemFromObjectCaseSensitive(values, "adl.nav.request");
        }
    }
    scorm__jset_num(sess, "seq", seq);
    {
        cJSON *result = result_of(values, item, c.is12);
        scorm__jset(rec, "result", result);
    }
    /* the sequencing tracking follows the validated data in this transaction (issue 15) */
    if (!c.is12 &&
        (rc = scorm__track_commit(rt, txn, c.tree, reg, learner_of(&c), item, values, sess, final)))
        goto out;
    if (final) {
        rc = session_end(rt, txn, &c, item, rec, sess, 1, stmts);
        if (rc)
            goto out;
    }
    /* the console's summary and counters move in the same transaction (scorm_rt_index.c) */
    if ((rc = cmi_put(txn, &c, scorm__jstr(sess, "sco"), key, rec)) ||
        (rc = scorm__rt_put(txn, "sessions", session, sess)) ||
        (rc = scorm__summary_commit(txn, c.reg, c.org, scorm__jstr(sess, "sco"), rec)))
        goto out;
    applied = 1;
    if (out) { /* made before the commit: nothing can fail once it is durable */
        res = cJSON_CreateObject();
        if (!res || !cJSON_AddBoolToObject(res, "applied", 1) ||
            !cJSON_AddNumberToObject(res, "seq", seq) ||
            !cJSON_AddBoolToObject(res, "final", final)) {
            rc = SCORM_RT_ERR_NOMEM;
            goto out;
        }
    }
    if ((rc = commit_out(rt, &txn, stmts, c.fails0)))
        goto out;
    if (out) {
        *out = res;
        res = NULL;
    }
    rc = SCORM_RT_OK;
    goto out;
answer:
    if (out) {
        res = cJSON_CreateObject();
        if (!res) {
            rc = SCORM_RT_ERR_NOMEM;
            goto out;
        }
        cJSON_AddBoolToObject(res, "applied", applied);
        cJSON_AddNumberToObject(res, "seq", seq);
        cJSON_AddBoolToObject(res, "final", final && applied);
        *out = res;
        res = NULL;
    }
    rc = SCORM_RT_OK;
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(res);
    cJSON_Delete(sess);
    cJSON_Delete(rec);
    cJSON_Delete(counts);
    cJSON_Delete(stmts);
    regctx_free(&c);
    return rc;
}

int scorm_rt_initialized(struct scorm_rt *rt, const char *reg, const char *session)
{
    struct regctx c;
    struct stmt_db_txn *txn = NULL;
    cJSON *sess = NULL, *rec = NULL, *stmts = NULL;
    const cJSON *item;
    char key[KEY_MAX + 64];
    int rc;

    rc = session_open(rt, reg, session, &c, &txn, &sess, &stmts);
    if (rc)
        goto out;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sess, "initialized")))
        goto out; /* rc is OK: said once already */
    item = find_item(cJSON_GetObjectItemCaseSensitive(c.org, "items"), scorm__jstr(sess, "sco"));
    scorm__sco_key(key, sizeof key, reg, scorm__jstr(sess, "sco"), 0);
    if (!item || (rc = scorm__rt_get(txn, "cmi", key, &rec))) {
        rc = rc ? rc : SCORM_RT_ERR_NOTFOUND;
        goto out;
    }
    session_started(rt, &c, item, rec, sess, stmts);
    if ((rc = scorm__rt_put(txn, "sessions", session, sess)))
        goto out;
    rc = commit_out(rt, &txn, stmts, c.fails0);
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(sess);
    cJSON_Delete(rec);
    cJSON_Delete(stmts);
    regctx_free(&c);
    return rc;
}

/* ---- player state and report ----------------------------------------------------------- */

/* Read a SCO's record (NULL when never launched); caller frees. */
static cJSON *sco_record(struct scorm_rt *rt, const char *reg, const char *sco)
{
    char key[KEY_MAX + 64], *v = NULL;
    size_t vl;
    cJSON *rec;
    scorm__sco_key(key, sizeof key, reg, sco, 0);
    if (stmt_db_get1(rt->db, "cmi", key, strlen(key), &v, &vl))
        return NULL;
    rec = cJSON_ParseWithLength(v, vl);
    sc_free(v);
    return rec;
}

int scorm_rt_player_state(struct scorm_rt *rt, const char *reg, cJSON **out)
{
    struct regctx c;
    struct flat *f = NULL;
    struct seq_tree *st = NULL; /* the sequencing tracking: one status per item */
    cJSON *res = NULL, *items;
    const char *resume = NULL, *first_open = NULL, *first = NULL;
    int rc = regctx_load(rt, reg, &c);
    if (rc)
        return rc;
    if ((rc = scorm__seq_tree_of(rt, NULL, c.tree, reg, learner_of(&c), &st)))
        goto out;
    f = sc_calloc(1, sizeof *f);
    res = cJSON_CreateObject();
    if (!f || !res) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    flatten(cJSON_GetObjectItemCaseSensitive(c.org, "items"), 0, f);
    cJSON_AddStringToObject(res, "registration", reg);
    cJSON_AddStringToObject(res, "course", scorm__jstr(c.reg, "course"));
    cJSON_AddNumberToObject(res, "course_version", jnum(c.reg, "course_version"));
    cJSON_AddStringToObject(res, "scorm_version", c.is12 ? "scorm12" : "scorm2004");
    cJSON_AddStringToObject(res, "title",
                            scorm__jstr(c.org, "title") ? scorm__jstr(c.org, "title")
                                                        : scorm__jstr(c.reg, "title"));
    cJSON_AddItemToObject(res, "learner",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c.reg, "learner"), 1));
    {
        char cb[SCORM_MAX_COURSE_ID + 64];
        snprintf(cb, sizeof cb, "/content/%s/%d/", scorm__jstr(c.reg, "course"),
                 (int)jnum(c.reg, "course_version"));
        cJSON_AddStringToObject(res, "content_base", cb);
    }
    items = cJSON_AddArrayToObject(res, "items");
    for (size_t i = 0; i < f->n; i++) {
        const cJSON *it = f->item[i];
        const char *id = scorm__jstr(it, "identifier");
        cJSON *o = cJSON_CreateObject(), *rec;
        if (!o || !id) {
            cJSON_Delete(o);
            continue;
        }
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "title",
                                scorm__jstr(it, "title") ? scorm__jstr(it, "title") : id);
        cJSON_AddNumberToObject(o, "depth", f->depth[i]);
        cJSON_AddBoolToObject(o, "launchable", scorm__jstr(it, "launch") != NULL);
        if (scorm__jstr(it, "launch"))
            cJSON_AddStringToObject(o, "href", scorm__jstr(it, "launch"));
        cJSON_AddBoolToObject(o, "sco", scorm__item_is_sco(it));
        cJSON_AddBoolToObject(o, "isvisible",
                              !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it, "isvisible")));
        cJSON_AddItemToObject(
            o, "hide",
            cJSON_GetObjectItemCaseSensitive(it, "hideLMSUI")
                ? cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(it, "hideLMSUI"), 1)
                : cJSON_CreateArray());
        rec = scorm__jstr(it, "launch") ? sco_record(rt, reg, id) : NULL;
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(rec, "result");
        const char *comp = scorm__jstr(r, "completion"), *succ = scorm__jstr(r, "success");
        seq_item_status(st, id, comp, succ, &comp, &succ);
        cJSON_AddStringToObject(o, "completion", comp);
        cJSON_AddStringToObject(o, "success", succ);
        if (cJSON_GetObjectItemCaseSensitive(r, "score"))
            cJSON_AddItemToObject(o, "score",
                                  cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "score"), 1));
        cJSON_AddStringToObject(o, "entry", rec ? scorm__jstr(rec, "entry") : "ab-initio");
        if (scorm__jstr(it, "launch")) {
            if (!first)
                first = id;
            /* an asset has no status: it is never where the learner left off */
            if (!first_open && scorm__item_is_sco(it) && (!comp || strcmp(comp, "completed")))
                first_open = id;
            if (scorm__jstr(c.reg, "last_sco") && !strcmp(scorm__jstr(c.reg, "last_sco"), id) &&
                rec && scorm__jstr(rec, "entry") && !strcmp(scorm__jstr(rec, "entry"), "resume"))
                resume = id;
        }
        cJSON_Delete(rec);
        cJSON_AddItemToArray(items, o);
    }
    /* start where the learner suspended, else at the first SCO not completed (MDL-46782) */
    cJSON_AddStringToObject(res, "resume",
                            resume       ? resume
                            : first_open ? first_open
                            : first      ? first
                                         : "");
    *out = res;
    res = NULL;
out:
    seq_tree_destroy(st);
    cJSON_Delete(res);
    sc_free(f);
    regctx_free(&c);
    return rc;
}

/* Group flat "cmi.interactions.N.x" values into [{id, type, ...}], objects per index. */
cJSON *scorm__collect(const cJSON *values, const char *prefix)
{
    cJSON *arr = cJSON_CreateArray();
    const cJSON *v;
    size_t pl = strlen(prefix);
    if (!arr)
        return NULL;
    cJSON_ArrayForEach(v, values)
    {
        char *end;
        long idx;
        if (strncmp(v->string, prefix, pl) || !cJSON_IsString(v))
            continue;
        idx = strtol(v->string + pl, &end, 10);
        if (end == v->string + pl || *end != '.' || idx < 0 || idx > 100000)
            continue;
        while (cJSON_GetArraySize(arr) <= idx)
            cJSON_AddItemToArray(arr, cJSON_CreateObject());
        scorm__jset_str(cJSON_GetArrayItem(arr, (int)idx), end + 1, v->valuestring);
    }
    return arr;
}

int scorm_rt_registration_get(struct scorm_rt *rt, const char *reg, cJSON **out)
{
    struct regctx c;
    struct flat *f = NULL;
    struct seq_tree *st = NULL; /* the sequencing tracking: one status per item */
    cJSON *res = NULL, *scos, *assets;
    int rc = regctx_load(rt, reg, &c);
    int n_sco = 0, n_completed = 0, n_started = 0, n_passed = 0, n_failed = 0, n_scored = 0;
    int max_attempts = 0;
    double scaled_sum = 0;
    int64_t time_cs = 0;
    char tbuf[64];
    if (rc)
        return rc;
    f = sc_calloc(1, sizeof *f);
    res = cJSON_CreateObject();
    if (!f || !res) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if ((rc = scorm__seq_tree_of(rt, NULL, c.tree, reg, learner_of(&c), &st)))
        goto out;
    flatten(cJSON_GetObjectItemCaseSensitive(c.org, "items"), 0, f);
    cJSON_AddStringToObject(res, "registration", reg);
    cJSON_AddStringToObject(res, "course", scorm__jstr(c.reg, "course"));
    cJSON_AddNumberToObject(res, "course_version", jnum(c.reg, "course_version"));
    cJSON_AddStringToObject(res, "scorm_version", c.is12 ? "scorm12" : "scorm2004");
    cJSON_AddItemToObject(res, "learner",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c.reg, "learner"), 1));
    cJSON_AddStringToObject(res, "created", scorm__jstr(c.reg, "created"));
    scos = cJSON_CreateArray();
    assets = cJSON_AddArrayToObject(res, "assets");
    for (size_t i = 0; i < f->n; i++) {
        const cJSON *it = f->item[i];
        const char *id = scorm__jstr(it, "identifier");
        cJSON *o, *rec, *values;
        if (!id || !scorm__jstr(it, "launch"))
            continue;
        if (!scorm__item_is_sco(it)) {
            /* assets apart (one definition of a SCO, scorm_int.h): no data, no status */
            o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", id);
            cJSON_AddStringToObject(o, "title",
                                    scorm__jstr(it, "title") ? scorm__jstr(it, "title") : id);
            cJSON_AddItemToArray(assets, o);
            continue;
        }
        n_sco++;
        o = cJSON_CreateObject();
        rec = sco_record(rt, reg, id);
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "title",
                                scorm__jstr(it, "title") ? scorm__jstr(it, "title") : id);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(rec, "result");
        const char *comp = scorm__jstr(r, "completion"), *succ = scorm__jstr(r, "success");
        seq_item_status(st, id, comp, succ, &comp, &succ);
        int attempt = rec ? (int)jnum(rec, "attempt") : 0;
        /* attempts started: the current one counts once a session of it was launched */
        int started = rec ? attempt - (jnum(rec, "attempt_sessions") > 0 ? 0 : 1) : 0;
        int64_t tcs = rec ? (int64_t)jnum(rec, "total_cs") : 0;
        cJSON_AddStringToObject(o, "completion", comp);
        cJSON_AddStringToObject(o, "success", succ);
        if (cJSON_GetObjectItemCaseSensitive(r, "score"))
            cJSON_AddItemToObject(o, "score",
                                  cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "score"), 1));
        cJSON_AddNumberToObject(o, "attempt", attempt);
        cJSON_AddNumberToObject(o, "attempts", started);
        cJSON_AddNumberToObject(o, "sessions", rec ? jnum(rec, "sessions") : 0);
        cJSON_AddStringToObject(o, "entry", rec ? scorm__jstr(rec, "entry") : "ab-initio");
        if (c.is12)
            scorm_rt_cs_timespan12(tcs, tbuf, sizeof tbuf);
        else
            scorm_rt_cs_duration(tcs, tbuf, sizeof tbuf);
        cJSON_AddStringToObject(o, "total_time", tbuf); /* the current attempt's cmi.total_time */
        cJSON_AddNumberToObject(o, "total_time_cs", (double)tcs);
        int64_t all = rec ? (int64_t)jnum(rec, "time_all_cs") : 0;
        cJSON_AddNumberToObject(o, "time_spent_cs", (double)all); /* every attempt */
        values = cJSON_GetObjectItemCaseSensitive(rec, "values");
        cJSON *prev = NULL;
        int data_attempt = attempt;
        if (rec && attempt > 1 && jnum(rec, "attempt_sessions") <= 0) {
            /* the new attempt has not started: report the finished one's data */
            char key[KEY_MAX + 64], *v = NULL;
            size_t vl;
            scorm__sco_key(key, sizeof key, reg, id, attempt - 1);
            if (!stmt_db_get1(rt->db, "attempts", key, strlen(key), &v, &vl)) {
                prev = cJSON_ParseWithLength(v, vl);
                sc_free(v);
                if (cJSON_GetObjectItemCaseSensitive(prev, "values")) {
                    values = cJSON_GetObjectItemCaseSensitive(prev, "values");
                    data_attempt = attempt - 1;
                }
            }
        }
        cJSON_AddNumberToObject(o, "data_attempt", data_attempt);
        cJSON_AddItemToObject(o, "cmi", values ? cJSON_Duplicate(values, 1) : cJSON_CreateObject());
        cJSON_AddItemToObject(o, "interactions", scorm__collect(values, "cmi.interactions."));
        cJSON_AddItemToObject(o, "objectives", scorm__collect(values, "cmi.objectives."));
        cJSON_Delete(prev);
        cJSON_AddItemToArray(scos, o);
        if (comp && !strcmp(comp, "completed"))
            n_completed++;
        if (rec && (started || (comp && strcmp(comp, "not attempted"))))
            n_started++;
        if (succ && !strcmp(succ, "passed"))
            n_passed++;
        if (succ && !strcmp(succ, "failed"))
            n_failed++;
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r, "score"), "scaled");
        if (cJSON_IsNumber(sc)) {
            scaled_sum += sc->valuedouble;
            n_scored++;
        }
        if (started > max_attempts)
            max_attempts = started;
        time_cs += all;
        cJSON_Delete(rec);
    }
    /* course level: completed when every SCO is; passed when some SCO passed and none failed
     * (no 2004 rollup here: sequencing is another module); score = mean of scaled scores */
    cJSON_AddStringToObject(res, "completion",
                            n_sco && n_completed == n_sco ? "completed"
                            : n_started                   ? "incomplete"
                                                          : "not attempted");
    cJSON_AddStringToObject(res, "success", n_failed ? "failed" : n_passed ? "passed" : "unknown");
    if (n_scored) {
        cJSON *s = cJSON_AddObjectToObject(res, "score");
        cJSON_AddNumberToObject(s, "scaled", scaled_sum / n_scored);
    }
    if (c.is12)
        scorm_rt_cs_timespan12(time_cs, tbuf, sizeof tbuf);
    else
        scorm_rt_cs_duration(time_cs, tbuf, sizeof tbuf);
    cJSON_AddStringToObject(res, "total_time", tbuf);
    cJSON_AddNumberToObject(res, "total_time_cs", (double)time_cs);
    cJSON_AddNumberToObject(res, "attempts", max_attempts);
    cJSON_AddNumberToObject(res, "scos_completed", n_completed);
    cJSON_AddNumberToObject(res, "scos_total", n_sco);
    cJSON_AddItemToObject(res, "scos", scos);
    *out = res;
    res = NULL;
out:
    seq_tree_destroy(st);
    cJSON_Delete(res);
    sc_free(f);
    regctx_free(&c);
    return rc;
}

int scorm_rt_dm_check(struct scorm_rt *rt, const char *model, const cJSON *values,
                      const char *element, const char *value, char *why, size_t whylen)
{
    cJSON *v = cJSON_Duplicate(values ? values : NULL, 1);
    cJSON *counts;
    int code;
    if (!v)
        v = cJSON_CreateObject();
    counts = scorm__dm_counts(v);
    code = v && counts
               ? scorm__dm_set(&rt->dm, model, rt->strict, v, counts, element, value, why, whylen)
               : 101;
    cJSON_Delete(v);
    cJSON_Delete(counts);
    return code;
}
