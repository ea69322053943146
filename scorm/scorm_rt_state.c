/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the run-time reports about a registration: the player's state (table of contents,
 * statuses, where to resume) and the registration report (course level and, per SCO, the
 * current attempt's data, interactions and objectives). An item's status comes from
 * seq_item_status (one status per item, issue 15). Also scorm_rt_dm_check for tests and tools.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "scorm/seq.h"
#include "common/sc_alloc.h"
#include "statements/stmt_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A number member, 0 when absent (cJSON_GetNumberValue gives NaN). */
static double jnum(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

/* The members of the player's state and of the registration report that name it. */
static void add_head(cJSON *res, const char *reg, const struct scorm__regctx *c)
{
    cJSON_AddStringToObject(res, "registration", reg);
    cJSON_AddStringToObject(res, "course", scorm__jstr(c->reg, "course"));
    cJSON_AddNumberToObject(res, "course_version", jnum(c->reg, "course_version"));
    cJSON_AddStringToObject(res, "scorm_version", c->is12 ? "scorm12" : "scorm2004");
}

/* Read a SCO's record into *rec: 1, 0 when never launched (rec initial), or an error. */
static int sco_record(struct scorm_rt *rt, const char *reg, const char *sco,
                      struct scorm__sco_rec *rec)
{
    char key[SCORM__SCO_KEY_MAX];
    int rc;
    scorm__sco_rec_init(rec);
    scorm__sco_key(key, sizeof key, reg, sco, 0);
    rc = scorm__sco_rec_get1(rt->db, key, rec);
    return rc == SCORM_RT_ERR_NOTFOUND ? 0 : rc ? rc : 1;
}

/* The item's completion and success (borrowed static names) and score (owned, may be NULL):
 * one status per item (issue 15), the run-time's result where the tracking has none. */
static int item_status(const struct seq_tree *st, const char *id, const struct scorm__sco_rec *rec,
                       int has, const char **comp, const char **succ, cJSON **score)
{
    const struct scorm__result *r = has && rec->has_result ? &rec->result : NULL;
    int nomem = 0;
    seq_item_status(st, id, r ? scorm__completion_name(r->completion) : NULL,
                    r ? scorm__success_name(r->success) : NULL, comp, succ);
    *score = scorm__score_json(r, &nomem);
    return nomem ? SCORM_RT_ERR_NOMEM : SCORM_RT_OK;
}

int scorm_rt_player_state(struct scorm_rt *rt, const char *reg, cJSON **out)
{
    struct scorm__regctx c;
    struct scorm__flat *f = NULL;
    struct seq_tree *st = NULL; /* the sequencing tracking: one status per item */
    cJSON *res = NULL, *items;
    const char *resume = NULL, *first_open = NULL, *first = NULL;
    int rc = scorm__regctx_load(rt, reg, &c);
    if (rc)
        return rc;
    if ((rc = scorm__seq_tree_of(rt, NULL, c.tree, reg, scorm__regctx_learner(&c), &st)))
        goto out;
    f = sc_calloc(1, sizeof *f);
    res = cJSON_CreateObject();
    if (!f || !res) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    scorm__flatten(cJSON_GetObjectItemCaseSensitive(c.org, "items"), 0, f);
    add_head(res, reg, &c);
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
        const char *id = scorm__jstr(it, "identifier"), *comp, *succ;
        cJSON *o = cJSON_CreateObject(), *score = NULL;
        struct scorm__sco_rec rec;
        int has = 0;
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
        scorm__sco_rec_init(&rec);
        if ((scorm__jstr(it, "launch") && (has = sco_record(rt, reg, id, &rec)) < 0) ||
            (rc = item_status(st, id, &rec, has, &comp, &succ, &score))) {
            rc = has < 0 ? has : rc;
            cJSON_Delete(o);
            scorm__sco_rec_free(&rec);
            goto out;
        }
        cJSON_AddStringToObject(o, "completion", comp);
        cJSON_AddStringToObject(o, "success", succ);
        if (score)
            cJSON_AddItemToObject(o, "score", score);
        cJSON_AddStringToObject(o, "entry",
                                scorm__entry_name(has ? rec.entry : SCORM__E_AB_INITIO));
        if (scorm__jstr(it, "launch")) {
            if (!first)
                first = id;
            /* an asset has no status: it is never where the learner left off */
            if (!first_open && scorm__item_is_sco(it) && (!comp || strcmp(comp, "completed")))
                first_open = id;
            if (scorm__jstr(c.reg, "last_sco") && !strcmp(scorm__jstr(c.reg, "last_sco"), id) &&
                has && rec.entry == SCORM__E_RESUME)
                resume = id;
        }
        scorm__sco_rec_free(&rec);
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
    scorm__regctx_free(&c);
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
    struct scorm__regctx c;
    struct scorm__flat *f = NULL;
    struct seq_tree *st = NULL; /* the sequencing tracking: one status per item */
    cJSON *res = NULL, *scos = NULL, *assets;
    int rc = scorm__regctx_load(rt, reg, &c);
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
    if ((rc = scorm__seq_tree_of(rt, NULL, c.tree, reg, scorm__regctx_learner(&c), &st)))
        goto out;
    scorm__flatten(cJSON_GetObjectItemCaseSensitive(c.org, "items"), 0, f);
    add_head(res, reg, &c);
    cJSON_AddItemToObject(res, "learner",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c.reg, "learner"), 1));
    cJSON_AddStringToObject(res, "created", scorm__jstr(c.reg, "created"));
    scos = cJSON_CreateArray();
    assets = cJSON_AddArrayToObject(res, "assets");
    for (size_t i = 0; i < f->n; i++) {
        const cJSON *it = f->item[i];
        const char *id = scorm__jstr(it, "identifier"), *comp, *succ;
        cJSON *o, *values, *score = NULL;
        struct scorm__sco_rec rec;
        struct scorm__attempt_rec prev;
        int has;
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
        memset(&prev, 0, sizeof prev);
        if ((has = sco_record(rt, reg, id, &rec)) < 0 ||
            (rc = item_status(st, id, &rec, has, &comp, &succ, &score))) {
            rc = has < 0 ? has : rc;
            scorm__sco_rec_free(&rec);
            goto out;
        }
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "title",
                                scorm__jstr(it, "title") ? scorm__jstr(it, "title") : id);
        int attempt = has ? rec.attempt : 0;
        /* attempts started: the current one counts once a session of it was launched */
        int started = has ? attempt - (rec.attempt_sessions > 0 ? 0 : 1) : 0;
        int64_t tcs = has ? rec.total_cs : 0;
        cJSON_AddStringToObject(o, "completion", comp);
        cJSON_AddStringToObject(o, "success", succ);
        const double scaled = has && rec.has_result ? rec.result.scaled : 0;
        const int has_scaled = has && rec.has_result && rec.result.has_scaled;
        if (score)
            cJSON_AddItemToObject(o, "score", score);
        cJSON_AddNumberToObject(o, "attempt", attempt);
        cJSON_AddNumberToObject(o, "attempts", started);
        cJSON_AddNumberToObject(o, "sessions", has ? rec.sessions : 0);
        cJSON_AddStringToObject(o, "entry",
                                scorm__entry_name(has ? rec.entry : SCORM__E_AB_INITIO));
        if (c.is12)
            scorm_rt_cs_timespan12(tcs, tbuf, sizeof tbuf);
        else
            scorm_rt_cs_duration(tcs, tbuf, sizeof tbuf);
        cJSON_AddStringToObject(o, "total_time", tbuf); /* the current attempt's cmi.total_time */
        cJSON_AddNumberToObject(o, "total_time_cs", (double)tcs);
        int64_t all = has ? rec.time_all_cs : 0;
        cJSON_AddNumberToObject(o, "time_spent_cs", (double)all); /* every attempt */
        values = has ? rec.values : NULL;
        int data_attempt = attempt;
        if (has && attempt > 1 && rec.attempt_sessions <= 0) {
            /* the new attempt has not started: report the finished one's data */
            char key[SCORM__SCO_KEY_MAX];
            scorm__sco_key(key, sizeof key, reg, id, attempt - 1);
            rc = scorm__attempt_rec_get1(rt->db, key, &prev);
            if (!rc) {
                values = prev.values;
                data_attempt = attempt - 1;
            } else if (rc != SCORM_RT_ERR_NOTFOUND) {
                cJSON_Delete(o);
                scorm__sco_rec_free(&rec);
                goto out;
            }
            rc = SCORM_RT_OK;
        }
        cJSON_AddNumberToObject(o, "data_attempt", data_attempt);
        cJSON_AddItemToObject(o, "cmi", values ? cJSON_Duplicate(values, 1) : cJSON_CreateObject());
        cJSON_AddItemToObject(o, "interactions", scorm__collect(values, "cmi.interactions."));
        cJSON_AddItemToObject(o, "objectives", scorm__collect(values, "cmi.objectives."));
        scorm__attempt_rec_free(&prev);
        cJSON_AddItemToArray(scos, o);
        if (comp && !strcmp(comp, "completed"))
            n_completed++;
        if (has && (started || (comp && strcmp(comp, "not attempted"))))
            n_started++;
        if (succ && !strcmp(succ, "passed"))
            n_passed++;
        if (succ && !strcmp(succ, "failed"))
            n_failed++;
        if (has_scaled) {
            scaled_sum += scaled;
            n_scored++;
        }
        if (started > max_attempts)
            max_attempts = started;
        time_cs += all;
        scorm__sco_rec_free(&rec);
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
    scos = NULL;
    *out = res;
    res = NULL;
out:
    cJSON_Delete(scos);
    seq_tree_destroy(st);
    cJSON_Delete(res);
    sc_free(f);
    scorm__regctx_free(&c);
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
