/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The result of a SCO's run-time data (scorm_rt_int.h): completion, success and score from its
 * flat values, the LMS-side thresholds, and SCORM 1.2's lesson_status rules at LMSFinish. Used
 * by the session's calls (scorm_rt_session.c).
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- results: moved from scorm_rt_session.c
 * --------------------------------------------------------------------------- */

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
cJSON *scorm__rt_result(const cJSON *values, const cJSON *item, int is12)
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

/* 1.2 rules at LMSFinish (see scorm_rt_session.c's header). Modifies values. */
void scorm__rt_lesson_status_finish(cJSON *values, const cJSON *item, const cJSON *reg)
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
