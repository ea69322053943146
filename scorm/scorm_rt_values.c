/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LMS side of a SCO's data model values (scorm_rt_session.c uses them): the result of a
 * SCO's values (completion, success and score, with the 2004 completion_threshold and
 * scaled_passing_score and the 1.2 mastery score), the 1.2 lesson_status rules at LMSFinish,
 * and the values the LMS supplies at launch (learner, credit, mode, entry, total time,
 * thresholds, launch data, time limits; 2004 objectives from the manifest). Rules:
 * reference/scorm-runtime.md §7, §11; SCORM 2004 4th RTE 4.2; SCORM 1.2 RTE 3.4.4.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "common/sc_alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The result of a SCO's flat values (the statuses are vocabulary values: RTE 4.2.4, 4.2.22,
 * 1.2 RTE 3.4.4). */
void scorm__result_of(const cJSON *values, const cJSON *item, int is12, struct scorm__result *r)
{
    static const char *const LESSON[] = {"passed",     "completed", "failed",
                                         "incomplete", "browsed",   "not attempted"};
    char thr[32], pass[32], mastery[32];
    double raw = 0, mn = 0, mx = 0, sc = 0, x, y;
    const char *comp = "not attempted", *succ = "unknown";
    int has_raw, has_min, has_max, has_scaled;

    memset(r, 0, sizeof *r);
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
        r->lesson_status = LESSON[5];
        for (size_t i = 0; i < sizeof LESSON / sizeof LESSON[0]; i++)
            if (!strcmp(st, LESSON[i]))
                r->lesson_status = LESSON[i];
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
    if (scorm__completion_parse(comp, &r->completion))
        r->completion = SCORM__C_UNKNOWN;
    if (scorm__success_parse(succ, &r->success))
        r->success = SCORM__S_UNKNOWN;
    if (has_raw || has_scaled) {
        if (!has_scaled && has_raw) {
            double lo = has_min ? mn : 0, hi = has_max ? mx : 100;
            if (hi > lo) {
                sc = (raw - lo) / (hi - lo);
                has_scaled = 1;
            }
        }
        r->has_scaled = has_scaled;
        r->scaled = has_scaled ? (sc < -1 ? -1 : sc > 1 ? 1 : sc) : 0;
        r->has_raw = has_raw;
        r->raw = raw;
        r->has_min = has_min;
        r->min = mn;
        r->has_max = has_max;
        r->max = mx;
    }
}

/* 1.2 rules at LMSFinish (see the file header). Modifies values. */
void scorm__lesson_status_finish(cJSON *values, const cJSON *item, const cJSON *reg)
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

cJSON *scorm__initial_values(const struct scorm__regctx *c, const cJSON *item,
                             const struct scorm__sco_rec *rec)
{
    cJSON *init = cJSON_Duplicate(rec->values, 1);
    const cJSON *learner = cJSON_GetObjectItemCaseSensitive(c->reg, "learner");
    const char *entry = scorm__entry_name(rec->entry);
    int64_t total = rec->total_cs;
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
void scorm__seed_objectives(const cJSON *item, cJSON *values)
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
