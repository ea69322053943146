/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The activity tree (SN 4th 4.1, 4.2): built from the parsed manifest JSON of one
 * organization, with the IMS SS sequencing definition of each activity (defaults of SN Table
 * 3.1a / IMS SS 5 where an element is absent) and its tracking state. Also the mapping of the
 * run-time data a SCO reported onto the tracking model (RTE 4th 4.2.4, 4.2.21, 4.2.22, SN 4.2).
 */
#include "scorm/seq_int.h"

#include <stdio.h>
#include <stdlib.h>

#include <math.h>
#include <string.h>
#include <time.h>

#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_text.h"
#include "common/sc_time.h"

const char *seq_strerror(int code)
{
    switch (code) {
    case SEQ_OK:
        return "ok";
    case SEQ_ERR_NOMEM:
        return "out of memory";
    case SEQ_ERR_ARG:
        return "invalid argument";
    case SEQ_ERR_MANIFEST:
        return "the manifest has no usable organization";
    case SEQ_ERR_STATE:
        return "the saved sequencing state does not match the activity tree";
    case SEQ_ERR_STORE:
        return "sequencing state store failure";
    case SEQ_ERR_NOTFOUND:
        return "no sequencing state for this registration";
    }
    return "unknown error";
}

static void diag_set(struct seq_diag *d, int code, const char *path, const char *msg)
{
    if (!d)
        return;
    d->code = code;
    snprintf(d->path, sizeof d->path, "%s", path ? path : "");
    snprintf(d->msg, sizeof d->msg, "%s", msg);
}

/* Objective identifiers are compared as the ADL sample RTE does: URL-escaped spaces (%20)
 * and white space are not significant (CTS OB-02a, OB-12a write " obj%201 " for "obj 1"). */
static const char *id_next(const char *s)
{
    for (;;) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        else if (s[0] == '%' && s[1] == '2' && s[2] == '0')
            s += 3;
        else
            return s;
    }
}

int seq__id_equal(const char *a, const char *b)
{
    for (;;) {
        a = id_next(a);
        b = id_next(b);
        if (*a != *b)
            return 0;
        if (!*a)
            return 1;
        a++;
        b++;
    }
}

void seq__exc(struct seq__out *o, const char *code)
{
    snprintf(o->exc, sizeof o->exc, "%s", code);
}

/* splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014):
 * the state is a 64-bit counter and each output a full avalanche of it, so seeds that differ
 * in a few bits (or registrations created in the same second) give unrelated sequences. The
 * state JSON keeps all 64 bits ("rng", hex), so a reloaded tree draws what the saved one
 * would have drawn (SR.1/SR.2 "onEachNewAttempt" after a resume). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t seq__rand(struct seq_tree *t)
{
    t->rng += 0x9e3779b97f4a7c15ull;
    return mix64(t->rng);
}

/* a seed from the kernel CSPRNG (getrandom); if that fails, the microsecond clock mixed with
 * a stack address, never a constant */
static uint64_t fresh_seed(void)
{
    uint64_t s = 0;
    if (sc_random_bytes(&s, sizeof s) != 0)
        s = mix64((uint64_t)sc_time_now_us() ^ (uint64_t)(uintptr_t)&s);
    return s;
}

/* SR.1 / SR.2 with timing "once" (SN 4th 4.7) from the manifest's order of children */
static void select_once(struct seq_tree *t)
{
    for (size_t i = 0; i < t->n_acts; i++) {
        struct seq__act *a = t->acts[i];
        a->selected = a->randomized = 0;
        a->n_avail = 0;
        for (size_t k = 0; k < a->n_kids; k++)
            a->avail[a->n_avail++] = a->kids[k];
    }
    for (size_t i = 0; i < t->n_acts; i++) {
        seq__select_children(t, t->acts[i]);
        seq__randomize_children(t, t->acts[i]);
    }
}

void seq__tree_seed_registration(struct seq_tree *t, const char *registration)
{
    for (size_t i = 0; i < t->n_acts; i++)
        if (t->acts[i]->attempt_count > 0 || t->acts[i]->active || t->acts[i]->suspended)
            return; /* a tracked tree keeps its selection */
    t->rng = mix64(t->rng ^ mix64(sc_hash64(registration, strlen(registration))));
    select_once(t);
}

static int jbool(const cJSON *o, const char *k, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    return def;
}

static double jnum(const cJSON *o, const char *k, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* xs:duration -> seconds (years 365 days, months 30 days: only used for limit comparisons;
 * common/sc_text.h). -1 when absent or not an xs:duration: the limit's control is false
 * (IMS SS 5.1.2). */
static double duration_seconds(const char *s)
{
    int64_t cs;
    if (!s || sc_duration_parse(s, 0, &cs))
        return -1;
    return (double)cs / 100.0;
}

/* xs:dateTime (beginTimeLimit, endTimeLimit; IMS SS 5.1.2) -> us since the epoch; a time
 * without a zone is taken as UTC. 0 when absent or not a date-time (the control is false). */
static long long time_limit_us(const char *s)
{
    int64_t us = 0;
    char buf[64];
    size_t n;
    if (!s || !*s)
        return 0;
    n = strlen(s);
    if (sc_time_parse_iso(s, n, &us) == 0)
        return us;
    if (n + 2 > sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = 'Z';
    buf[n + 1] = 0;
    return sc_time_parse_iso(buf, n + 1, &us) == 0 ? us : 0;
}

static unsigned action_of(const char *s)
{
    static const struct {
        const char *name;
        unsigned a;
    } tab[] = {{"skip", SEQ__A_SKIP},
               {"disabled", SEQ__A_DISABLED},
               {"hiddenFromChoice", SEQ__A_HIDDEN},
               {"stopForwardTraversal", SEQ__A_STOP_FORWARD},
               {"exit", SEQ__A_EXIT},
               {"exitParent", SEQ__A_EXIT_PARENT},
               {"exitAll", SEQ__A_EXIT_ALL},
               {"retry", SEQ__A_RETRY},
               {"retryAll", SEQ__A_RETRY_ALL},
               {"continue", SEQ__A_CONTINUE},
               {"previous", SEQ__A_PREVIOUS},
               {"satisfied", SEQ__A_SATISFIED},
               {"notSatisfied", SEQ__A_NOT_SATISFIED},
               {"completed", SEQ__A_COMPLETED},
               {"incomplete", SEQ__A_INCOMPLETE}};
    for (size_t i = 0; s && i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(s, tab[i].name) == 0)
            return tab[i].a;
    return SEQ__A_NONE;
}

static enum seq__cond cond_of(const char *s)
{
    static const struct {
        const char *name;
        enum seq__cond c;
    } tab[] = {{"always", SEQ__C_ALWAYS},
               {"satisfied", SEQ__C_SATISFIED},
               {"objectiveStatusKnown", SEQ__C_OBJ_STATUS_KNOWN},
               {"objectiveMeasureKnown", SEQ__C_OBJ_MEASURE_KNOWN},
               {"objectiveMeasureGreaterThan", SEQ__C_MEASURE_GT},
               {"objectiveMeasureLessThan", SEQ__C_MEASURE_LT},
               {"completed", SEQ__C_COMPLETED},
               {"activityProgressKnown", SEQ__C_PROGRESS_KNOWN},
               {"attempted", SEQ__C_ATTEMPTED},
               {"attemptLimitExceeded", SEQ__C_ATTEMPT_LIMIT_EXCEEDED},
               {"timeLimitExceeded", SEQ__C_TIME_LIMIT_EXCEEDED},
               {"outsideAvailableTimeRange", SEQ__C_OUTSIDE_TIME_RANGE}};
    for (size_t i = 0; s && i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(s, tab[i].name) == 0)
            return tab[i].c;
    return SEQ__C_UNKNOWN_NAME;
}

static enum seq__req req_of(const char *s)
{
    if (!s)
        return SEQ__REQ_ALWAYS;
    if (strcmp(s, "ifAttempted") == 0)
        return SEQ__REQ_IF_ATTEMPTED;
    if (strcmp(s, "ifNotSkipped") == 0)
        return SEQ__REQ_IF_NOT_SKIPPED;
    if (strcmp(s, "ifNotSuspended") == 0)
        return SEQ__REQ_IF_NOT_SUSPENDED;
    return SEQ__REQ_ALWAYS;
}

static int timing_of(const char *s)
{
    if (!s)
        return 0;
    if (strcmp(s, "once") == 0)
        return 1;
    if (strcmp(s, "onEachNewAttempt") == 0)
        return 2;
    return 0;
}

static void rules_free(struct seq__rule *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sc_free(r[i].conds);
    sc_free(r);
}

static void act_free(struct seq__act *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_kids; i++)
        act_free(a->kids[i]);
    sc_free(a->kids);
    sc_free(a->avail);
    sc_free(a->id);
    sc_free(a->title);
    rules_free(a->pre, a->n_pre);
    rules_free(a->exit_rules, a->n_exit);
    rules_free(a->post, a->n_post);
    rules_free(a->rollup, a->n_rollup);
    for (size_t i = 0; i < a->n_objs; i++) {
        for (size_t m = 0; m < a->objs[i].n_maps; m++)
            sc_free(a->objs[i].maps[m].target);
        sc_free(a->objs[i].maps);
        sc_free(a->objs[i].id);
    }
    sc_free(a->objs);
    sc_free(a);
}

void seq_tree_destroy(struct seq_tree *t)
{
    if (!t)
        return;
    act_free(t->root);
    sc_free(t->acts);
    for (size_t i = 0; i < t->n_globals; i++)
        sc_free(t->globals[i].id);
    sc_free(t->globals);
    sc_free(t);
}

/* Resolve a rule condition's referencedObjective to an objective index (IMS SS 5.2.3:
 * absent -> the rolled-up (primary) objective). Called after the objectives are built. */
static int objective_index(const struct seq__act *a, const char *ref)
{
    if (!ref || !*ref)
        return 0;
    for (size_t i = 0; i < a->n_objs; i++)
        if (seq__id_equal(a->objs[i].id, ref))
            return (int)i;
    return 0;
}

static int parse_rule_list(struct seq__act *a, const cJSON *arr, int rollup, struct seq__rule **out,
                           size_t *nout)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), k = 0;
    struct seq__rule *r;
    const cJSON *it;
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return SEQ_OK;
    r = sc_calloc(n, sizeof *r);
    if (!r)
        return SEQ_ERR_NOMEM;
    cJSON_ArrayForEach(it, arr)
    {
        struct seq__rule *ru = &r[k++];
        const cJSON *conds = cJSON_GetObjectItemCaseSensitive(it, "conditions"), *c;
        const char *comb = jstr(it, "conditionCombination");
        ru->any = comb ? strcmp(comb, "any") == 0 : rollup;
        ru->action = action_of(jstr(it, "action"));
        if (rollup) {
            const char *set = jstr(it, "childActivitySet");
            ru->set = !set || strcmp(set, "all") == 0    ? SEQ__SET_ALL
                      : strcmp(set, "any") == 0          ? SEQ__SET_ANY
                      : strcmp(set, "none") == 0         ? SEQ__SET_NONE
                      : strcmp(set, "atLeastCount") == 0 ? SEQ__SET_COUNT
                                                         : SEQ__SET_PERCENT;
            ru->min_count = jnum(it, "minimumCount", 0);
            ru->min_percent = jnum(it, "minimumPercent", 0);
        }
        size_t nc = (size_t)cJSON_GetArraySize(conds), j = 0;
        if (nc) {
            ru->conds = sc_calloc(nc, sizeof *ru->conds);
            if (!ru->conds) {
                rules_free(r, n);
                return SEQ_ERR_NOMEM;
            }
        }
        cJSON_ArrayForEach(c, conds)
        {
            struct seq__condition *sc = &ru->conds[j++];
            const char *op = jstr(c, "operator");
            sc->cond = cond_of(jstr(c, "condition"));
            sc->negate = op && strcmp(op, "not") == 0;
            sc->objective = objective_index(a, jstr(c, "referencedObjective"));
            sc->threshold = jnum(c, "measureThreshold", 0);
        }
        ru->n_conds = j;
    }
    *out = r;
    *nout = k;
    return SEQ_OK;
}

static int parse_maps(struct seq__obj *o, const cJSON *maps)
{
    size_t n = (size_t)cJSON_GetArraySize(maps), k = 0;
    const cJSON *m;
    if (!n)
        return SEQ_OK;
    o->maps = sc_calloc(n, sizeof *o->maps);
    if (!o->maps)
        return SEQ_ERR_NOMEM;
    cJSON_ArrayForEach(m, maps)
    {
        struct seq__map *mp = &o->maps[k];
        mp->target = sc_strdup(jstr(m, "targetObjectiveID") ? jstr(m, "targetObjectiveID") : "");
        if (!mp->target)
            return SEQ_ERR_NOMEM;
        o->n_maps = ++k;
        mp->read_sat = (unsigned char)jbool(m, "readSatisfiedStatus", 1);
        mp->read_measure = (unsigned char)jbool(m, "readNormalizedMeasure", 1);
        mp->write_sat = (unsigned char)jbool(m, "writeSatisfiedStatus", 0);
        mp->write_measure = (unsigned char)jbool(m, "writeNormalizedMeasure", 0);
    }
    return SEQ_OK;
}

static int add_obj(struct seq__act *a, const cJSON *o, int primary)
{
    struct seq__obj *n = sc_realloc(a->objs, (a->n_objs + 1) * sizeof *a->objs), *ob;
    const char *id = jstr(o, "objectiveID");
    if (!n)
        return SEQ_ERR_NOMEM;
    a->objs = n;
    ob = &a->objs[a->n_objs];
    memset(ob, 0, sizeof *ob);
    ob->id = sc_strdup(id ? id : "");
    if (!ob->id)
        return SEQ_ERR_NOMEM;
    a->n_objs++;
    ob->primary = primary;
    ob->satisfied_by_measure = jbool(o, "satisfiedByMeasure", 0);
    ob->min_measure = jnum(o, "minNormalizedMeasure", 1.0);
    return parse_maps(ob, cJSON_GetObjectItemCaseSensitive(o, "mapInfo"));
}

/* adlseq:objectives (CAM 4th 5.1.10): extra read/write of completion, progress and scores */
static int parse_adlseq_objectives(struct seq__act *a, const cJSON *list)
{
    const cJSON *o, *m;
    cJSON_ArrayForEach(o, list)
    {
        const char *id = jstr(o, "objectiveID");
        struct seq__obj *ob = NULL;
        for (size_t i = 0; id && i < a->n_objs; i++)
            if (strcmp(a->objs[i].id, id) == 0)
                ob = &a->objs[i];
        if (!ob)
            continue; /* CAM 4th 5.1.10: must name an imsss objective; ignored otherwise */
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(o, "mapInfo"))
        {
            const char *tid = jstr(m, "targetObjectiveID");
            struct seq__map *mp = NULL;
            for (size_t i = 0; tid && i < ob->n_maps; i++)
                if (strcmp(ob->maps[i].target, tid) == 0)
                    mp = &ob->maps[i];
            if (!mp && tid) {
                struct seq__map *nm = sc_realloc(ob->maps, (ob->n_maps + 1) * sizeof *nm);
                if (!nm)
                    return SEQ_ERR_NOMEM;
                ob->maps = nm;
                mp = &ob->maps[ob->n_maps];
                memset(mp, 0, sizeof *mp);
                mp->target = sc_strdup(tid);
                if (!mp->target)
                    return SEQ_ERR_NOMEM;
                ob->n_maps++;
            }
            if (!mp)
                continue;
            mp->read_raw = (unsigned char)jbool(m, "readRawScore", 1);
            mp->read_min = (unsigned char)jbool(m, "readMinScore", 1);
            mp->read_max = (unsigned char)jbool(m, "readMaxScore", 1);
            mp->read_completion = (unsigned char)jbool(m, "readCompletionStatus", 1);
            mp->read_progress = (unsigned char)jbool(m, "readProgressMeasure", 1);
            mp->write_raw = (unsigned char)jbool(m, "writeRawScore", 0);
            mp->write_min = (unsigned char)jbool(m, "writeMinScore", 0);
            mp->write_max = (unsigned char)jbool(m, "writeMaxScore", 0);
            mp->write_completion = (unsigned char)jbool(m, "writeCompletionStatus", 0);
            mp->write_progress = (unsigned char)jbool(m, "writeProgressMeasure", 0);
        }
    }
    return SEQ_OK;
}

/* The sequencing definition of one activity (defaults: SN 4th Table 3.1a). */
static int parse_seq(struct seq__act *a, const cJSON *seq, const cJSON *threshold)
{
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(seq, "controlMode");
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(seq, "limitConditions");
    const cJSON *rr = cJSON_GetObjectItemCaseSensitive(seq, "rollupRules");
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(seq, "rollupConsiderations");
    const cJSON *ob = cJSON_GetObjectItemCaseSensitive(seq, "objectives");
    const cJSON *rnd = cJSON_GetObjectItemCaseSensitive(seq, "randomizationControls");
    const cJSON *dc = cJSON_GetObjectItemCaseSensitive(seq, "deliveryControls");
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(seq, "constrainedChoiceConsiderations");
    const cJSON *sr = cJSON_GetObjectItemCaseSensitive(seq, "sequencingRules");
    const cJSON *prim = cJSON_GetObjectItemCaseSensitive(ob, "primary"), *o;
    int rc_ = SEQ_OK;

    a->choice = jbool(cm, "choice", 1);
    a->choice_exit = jbool(cm, "choiceExit", 1);
    a->flow = jbool(cm, "flow", 0);
    a->forward_only = jbool(cm, "forwardOnly", 0);
    a->use_cur_obj = jbool(cm, "useCurrentAttemptObjectiveInfo", 1);
    a->use_cur_prog = jbool(cm, "useCurrentAttemptProgressInfo", 1);
    a->attempt_limit = (int)jnum(lim, "attemptLimit", 0);
    if (a->attempt_limit < 0)
        a->attempt_limit = 0;
    a->attempt_abs_dur_limit = duration_seconds(jstr(lim, "attemptAbsoluteDurationLimit"));
    a->attempt_exp_dur_limit = duration_seconds(jstr(lim, "attemptExperiencedDurationLimit"));
    a->activity_abs_dur_limit = duration_seconds(jstr(lim, "activityAbsoluteDurationLimit"));
    a->activity_exp_dur_limit = duration_seconds(jstr(lim, "activityExperiencedDurationLimit"));
    a->begin_time_us = time_limit_us(jstr(lim, "beginTimeLimit"));
    a->end_time_us = time_limit_us(jstr(lim, "endTimeLimit"));
    a->rollup_satisfied = jbool(rr, "rollupObjectiveSatisfied", 1);
    a->rollup_progress = jbool(rr, "rollupProgressCompletion", 1);
    a->measure_weight = jnum(rr, "objectiveMeasureWeight", 1.0);
    a->req_sat = req_of(jstr(rc, "requiredForSatisfied"));
    a->req_not_sat = req_of(jstr(rc, "requiredForNotSatisfied"));
    a->req_comp = req_of(jstr(rc, "requiredForCompleted"));
    a->req_incomp = req_of(jstr(rc, "requiredForIncomplete"));
    a->measure_sat_if_active = jbool(rc, "measureSatisfactionIfActive", 1);
    a->tracked = jbool(dc, "tracked", 1);
    a->completion_by_content = jbool(dc, "completionSetByContent", 0);
    a->objective_by_content = jbool(dc, "objectiveSetByContent", 0);
    a->prevent_activation = jbool(cc, "preventActivation", 0);
    a->constrain_choice = jbool(cc, "constrainChoice", 0);
    a->sel_timing = timing_of(jstr(rnd, "selectionTiming"));
    a->rnd_timing = timing_of(jstr(rnd, "randomizationTiming"));
    a->select_count = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rnd, "selectCount"))
                          ? (int)jnum(rnd, "selectCount", -1)
                          : -1;
    a->reorder = jbool(rnd, "reorderChildren", 0);
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(threshold, "value"))) {
        /* 3rd edition decimal completion threshold: completion by progress measure */
        a->completed_by_measure = 1;
        a->min_progress = jnum(threshold, "value", 1.0);
    } else {
        a->completed_by_measure = jbool(threshold, "completedByMeasure", 0);
        a->min_progress = jnum(threshold, "minProgressMeasure", 1.0);
    }
    a->progress_weight = jnum(threshold, "progressWeight", 1.0);

    /* objectives: objs[0] is the primary one (contributes to rollup, SN 4.6) */
    if (prim)
        rc_ = add_obj(a, prim, 1);
    else {
        cJSON *empty = cJSON_CreateObject();
        if (!empty)
            return SEQ_ERR_NOMEM;
        rc_ = add_obj(a, empty, 1);
        cJSON_Delete(empty);
    }
    if (rc_)
        return rc_;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(ob, "objectives"))
    {
        if ((rc_ = add_obj(a, o, 0)) != SEQ_OK)
            return rc_;
    }
    if ((rc_ =
             parse_adlseq_objectives(a, cJSON_GetObjectItemCaseSensitive(seq, "adlseqObjectives"))))
        return rc_;
    if ((rc_ = parse_rule_list(a, cJSON_GetObjectItemCaseSensitive(sr, "preConditionRules"), 0,
                               &a->pre, &a->n_pre)) ||
        (rc_ = parse_rule_list(a, cJSON_GetObjectItemCaseSensitive(sr, "exitConditionRules"), 0,
                               &a->exit_rules, &a->n_exit)) ||
        (rc_ = parse_rule_list(a, cJSON_GetObjectItemCaseSensitive(sr, "postConditionRules"), 0,
                               &a->post, &a->n_post)) ||
        (rc_ = parse_rule_list(a, cJSON_GetObjectItemCaseSensitive(rr, "rules"), 1, &a->rollup,
                               &a->n_rollup)))
        return rc_;
    return SEQ_OK;
}

struct build {
    struct seq_tree *t;
    size_t cap;
};

static int build_act(struct build *b, const cJSON *item, struct seq__act *parent, int depth,
                     struct seq__act **out)
{
    struct seq__act *a = sc_calloc(1, sizeof *a);
    const cJSON *kids = cJSON_GetObjectItemCaseSensitive(item, "items"), *k;
    const char *id = jstr(item, "identifier"), *title = jstr(item, "title");
    int rc;
    if (!a)
        return SEQ_ERR_NOMEM;
    a->parent = parent;
    a->depth = depth;
    a->id = sc_strdup(id ? id : "");
    a->title = sc_strdup(title ? title : (id ? id : ""));
    a->visible = jbool(item, "isvisible", 1);
    a->launchable = jstr(item, "launch") != NULL || jstr(item, "identifierref") != NULL;
    a->select_count = -1;
    if (!a->id || !a->title) {
        act_free(a);
        return SEQ_ERR_NOMEM;
    }
    if ((rc = parse_seq(a, cJSON_GetObjectItemCaseSensitive(item, "sequencing"),
                        cJSON_GetObjectItemCaseSensitive(item, "completionThreshold"))) != 0) {
        act_free(a);
        return rc;
    }
    if (b->t->n_acts == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 16;
        struct seq__act **na = sc_realloc(b->t->acts, nc * sizeof *na);
        if (!na) {
            act_free(a);
            return SEQ_ERR_NOMEM;
        }
        b->t->acts = na;
        b->cap = nc;
    }
    a->index = (int)b->t->n_acts;
    b->t->acts[b->t->n_acts++] = a;
    size_t n = (size_t)cJSON_GetArraySize(kids);
    if (n) {
        a->kids = sc_calloc(n, sizeof *a->kids);
        a->avail = sc_calloc(n, sizeof *a->avail);
        if (!a->kids || !a->avail) {
            b->t->n_acts--;
            act_free(a);
            return SEQ_ERR_NOMEM;
        }
    }
    cJSON_ArrayForEach(k, kids)
    {
        struct seq__act *c = NULL;
        if ((rc = build_act(b, k, a, depth + 1, &c)) != 0) {
            /* children already built are owned by a; the preorder list is rebuilt by caller */
            act_free(a);
            return rc;
        }
        a->kids[a->n_kids++] = c;
        a->avail[a->n_avail++] = c;
    }
    *out = a;
    return SEQ_OK;
}

int seq_tree_create(const cJSON *manifest, const struct seq_opts *opts, struct seq_tree **out,
                    struct seq_diag *diag)
{
    const cJSON *orgs = cJSON_GetObjectItemCaseSensitive(manifest, "organizations"), *org = NULL,
                *o;
    const char *want =
        opts && opts->organization ? opts->organization : jstr(manifest, "default_organization");
    struct seq_tree *t = NULL;
    struct build b = {0};
    cJSON *root_item = NULL;
    int rc = SEQ_OK;

    if (!manifest || !out)
        return SEQ_ERR_ARG;
    cJSON_ArrayForEach(o, orgs)
    {
        const char *id = jstr(o, "identifier");
        if (!org)
            org = o; /* CAM 4th 3.4.1.3: the first organization when no default is named */
        if (want && id && strcmp(id, want) == 0) {
            org = o;
            break;
        }
    }
    if (!org || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(org, "items")) == 0) {
        diag_set(diag, SEQ_ERR_MANIFEST, "organizations",
                 "no organization with items (CAM 4th 3.4.1.3: an organization has at least "
                 "one item)");
        return SEQ_ERR_MANIFEST;
    }
    t = sc_calloc(1, sizeof *t);
    /* the organization is the root activity (SN 4th 1.3.1) */
    root_item = cJSON_CreateObject();
    if (!t || !root_item) {
        rc = SEQ_ERR_NOMEM;
        goto out;
    }
    if (!cJSON_AddStringToObject(root_item, "identifier",
                                 jstr(org, "identifier") ? jstr(org, "identifier") : "") ||
        !cJSON_AddStringToObject(root_item, "title",
                                 jstr(org, "title") ? jstr(org, "title") : "")) {
        rc = SEQ_ERR_NOMEM;
        goto out;
    }
    static const char *const borrowed[] = {"sequencing", "items", "completionThreshold"};
    for (size_t i = 0; i < 3; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(org, borrowed[i]), *ref;
        if (!v)
            continue;
        /* a reference (containers) or a copy (scalars) made here and added under a constant
         * key, which cannot fail: cJSON_AddItemReferenceToObject leaks its reference when the
         * key's copy fails */
        ref = cJSON_IsObject(v)  ? cJSON_CreateObjectReference(v->child)
              : cJSON_IsArray(v) ? cJSON_CreateArrayReference(v->child)
                                 : cJSON_Duplicate(v, 1);
        if (!ref || !cJSON_AddItemToObjectCS(root_item, borrowed[i], ref)) {
            cJSON_Delete(ref);
            rc = SEQ_ERR_NOMEM;
            goto out;
        }
    }
    t->objectives_global_to_system = jbool(org, "objectivesGlobalToSystem", 1);
    t->rng = opts && opts->seed ? opts->seed : fresh_seed();
    b.t = t;
    if ((rc = build_act(&b, root_item, NULL, 0, &t->root)) != 0) {
        t->n_acts = 0; /* the list points into freed activities */
        goto out;
    }
    /* SR.1 / SR.2 at tree creation for timing "once" (SN 4th 4.7) */
    select_once(t);
    *out = t;
    t = NULL;
out:
    if (rc == SEQ_ERR_NOMEM)
        diag_set(diag, rc, "", "out of memory");
    cJSON_Delete(root_item); /* references only */
    seq_tree_destroy(t);
    return rc;
}

struct seq__act *seq__act_find(const struct seq_tree *t, const char *id)
{
    for (size_t i = 0; id && i < t->n_acts; i++)
        if (strcmp(t->acts[i]->id, id) == 0)
            return t->acts[i];
    return NULL;
}

int seq__is_leaf(const struct seq__act *a)
{
    return a->n_kids == 0;
}

int seq__avail_index(const struct seq__act *a)
{
    if (!a->parent)
        return 0;
    for (size_t i = 0; i < a->parent->n_avail; i++)
        if (a->parent->avail[i] == a)
            return (int)i;
    return -1;
}

int seq__is_avail(const struct seq__act *a)
{
    for (; a->parent; a = a->parent)
        if (seq__avail_index(a) < 0)
            return 0;
    return 1;
}

int seq__is_ancestor(const struct seq__act *anc, const struct seq__act *a)
{
    for (; a; a = a->parent)
        if (a == anc)
            return 1;
    return 0;
}

struct seq__act *seq__common_ancestor(struct seq__act *a, struct seq__act *b)
{
    for (struct seq__act *x = a; x; x = x->parent)
        if (seq__is_ancestor(x, b))
            return x;
    return NULL;
}

const char *seq_tree_current(const struct seq_tree *t)
{
    return t && t->current ? t->current->id : NULL;
}

const char *seq_tree_suspended(const struct seq_tree *t)
{
    return t && t->suspended ? t->suspended->id : NULL;
}

const char *seq_tree_item_at(const struct seq_tree *t, size_t i)
{
    return t && i < t->n_acts ? t->acts[i]->id : NULL;
}

int seq_tree_ended(const struct seq_tree *t)
{
    return t ? t->ended : 0;
}

static void report_obj(struct seq_tree *t, struct seq__act *a, struct seq__obj *o,
                       const struct seq_cmi_obj *c)
{
    /* RTE 4th 4.2.22 / 4.1.1: success_status -> objective progress and satisfied status */
    if (c->success == SEQ_STATUS_PASSED || c->success == SEQ_STATUS_FAILED)
        seq__obj_set_satisfied(t, a, o, 1, c->success == SEQ_STATUS_PASSED);
    else if (c->success == SEQ_STATUS_UNKNOWN)
        seq__obj_set_satisfied(t, a, o, 0, 0);
    if (o == &a->objs[0] && c->success != SEQ_STATUS_UNSET)
        a->reported_success = 1;
    if (c->has_scaled) {
        seq__obj_set_measure(t, a, o, 1, c->scaled);
        /* IMS SS 5.4.1.2 satisfiedByMeasure on any objective: the measure decides, and the
         * status is written to the objective's global targets (CTS OB-13c); the primary
         * objective gets it from RB.1.2a */
        if (o->satisfied_by_measure && o != &a->objs[0])
            seq__obj_set_satisfied(t, a, o, 1, c->scaled >= o->min_measure);
    }
    /* RTE 4th 4.2.17: cmi.objectives.n.completion_status / progress_measure; for the primary
     * objective they are the activity's attempt progress (SN 4th 4.2.1.4, adlseq maps) */
    if (o == &a->objs[0]) {
        /* RTE 4th 4.2.4.1: with completedByMeasure the LMS decides from progress_measure */
        if (a->completed_by_measure)
            ;
        else if (c->completion == SEQ_STATUS_COMPLETED || c->completion == SEQ_STATUS_INCOMPLETE)
            seq__act_set_completion(t, a, 1, c->completion == SEQ_STATUS_COMPLETED);
        else if (c->completion == SEQ_STATUS_UNKNOWN)
            seq__act_set_completion(t, a, 0, 0);
        if (c->has_progress)
            seq__act_set_amount(t, a, 1, c->progress);
        if (c->completion != SEQ_STATUS_UNSET)
            a->reported_completion = 1;
    } else if (c->completion == SEQ_STATUS_COMPLETED || c->completion == SEQ_STATUS_INCOMPLETE) {
        seq__obj_set_completion(t, o, 1, c->completion == SEQ_STATUS_COMPLETED);
    } else if (c->completion == SEQ_STATUS_UNKNOWN) {
        seq__obj_set_completion(t, o, 0, 0);
    }
}

int seq_tree_report(struct seq_tree *t, const struct seq_cmi *cmi)
{
    struct seq__act *a;
    if (!t || !cmi || !t->current)
        return SEQ_ERR_ARG;
    a = t->current;
    if (!a->tracked)
        return SEQ_OK; /* SN 4th 3.13.1: no tracking data for an untracked activity */
    /* RTE 4th 4.2.4, 4.2.18, 4.2.21, 4.2.22: cmi.completion_status, progress_measure,
     * score.scaled and success_status are the primary objective's / activity's */
    report_obj(t, a, &a->objs[0], &cmi->primary);
    for (size_t i = 0; i < cmi->n_objectives; i++) {
        const struct seq_cmi_obj *c = &cmi->objectives[i];
        for (size_t k = 0; c->id && k < a->n_objs; k++)
            if (a->objs[k].id[0] && seq__id_equal(a->objs[k].id, c->id)) {
                struct seq_cmi_obj m = *c;
                if (k == 0) {
                    /* the primary objective: cmi.* set by the SCO win over its
                     * cmi.objectives.n entry (RTE 4th 4.2.17; CTS CO-13a) */
                    if (cmi->primary.completion != SEQ_STATUS_UNSET)
                        m.completion = SEQ_STATUS_UNSET;
                    if (cmi->primary.success != SEQ_STATUS_UNSET)
                        m.success = SEQ_STATUS_UNSET;
                    if (cmi->primary.has_scaled)
                        m.has_scaled = 0;
                    if (cmi->primary.has_progress)
                        m.has_progress = 0;
                }
                report_obj(t, a, &a->objs[k], &m);
            }
    }
    if (cmi->suspend)
        a->suspended = 1;
    if (cmi->session_seconds > 0) {
        a->attempt_duration += cmi->session_seconds;
        a->activity_duration += cmi->session_seconds;
    }
    seq__rollup_overall(t, a);
    return SEQ_OK;
}

static const char *tri(int known, int v, const char *yes, const char *no)
{
    return !known ? "unknown" : v ? yes : no;
}

int seq_tree_activity_json(const struct seq_tree *t, const char *item, cJSON **out)
{
    struct seq__act *a;
    cJSON *o;
    if (!t || !out)
        return SEQ_ERR_ARG;
    a = seq__act_find(t, item);
    if (!a)
        return SEQ_ERR_NOTFOUND;
    o = cJSON_CreateObject();
    if (!o)
        return SEQ_ERR_NOMEM;
    cJSON_AddStringToObject(o, "item", a->id);
    cJSON_AddBoolToObject(o, "active", a->active);
    cJSON_AddBoolToObject(o, "suspended", a->suspended);
    cJSON_AddNumberToObject(o, "attemptCount", a->attempt_count);
    cJSON_AddStringToObject(
        o, "completion",
        tri(seq__act_progress_known(t, a), seq__act_completed(t, a), "completed", "incomplete"));
    cJSON_AddStringToObject(o, "success",
                            tri(seq__obj_progress(t, a, &a->objs[0]),
                                seq__obj_satisfied(t, a, &a->objs[0]), "passed", "failed"));
    if (seq__obj_measure_status(t, a, &a->objs[0]))
        cJSON_AddNumberToObject(o, "measure", seq__obj_measure(t, a, &a->objs[0]));
    if (!cJSON_GetObjectItem(o, "success")) {
        cJSON_Delete(o);
        return SEQ_ERR_NOMEM;
    }
    *out = o;
    return SEQ_OK;
}

void seq_tree_reset(struct seq_tree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_acts; i++) {
        struct seq__act *a = t->acts[i];
        seq__obj_reset_attempt(a);
        a->active = a->suspended = 0;
        a->attempt_count = 0;
        a->parent_attempt = 0;
        a->activity_progress_status = 0;
        a->activity_duration = 0;
        a->activity_start_us = a->attempt_start_us = a->attempt_end_us = 0;
    }
    select_once(t);
    if (!t->objectives_global_to_system) {
        for (size_t i = 0; i < t->n_globals; i++)
            sc_free(t->globals[i].id);
        t->n_globals = 0;
    }
    t->current = t->suspended = NULL;
    t->ended = 0;
}

int seq_tree_launch(struct seq_tree *t, struct seq_result *res)
{
    if (!t || !res)
        return SEQ_ERR_ARG;
    if (t->current && !t->ended) {
        /* a session is open: deliver nothing new; the caller resumes the current activity */
        memset(res, 0, sizeof *res);
        res->deliver = t->current->active ? t->current->id : NULL;
        return SEQ_OK;
    }
    if (t->suspended) {
        int rc = seq_tree_navigate(t, SEQ_NAV_RESUME_ALL, NULL, res);
        /* a suspended cluster (suspendAll from an inactive activity, SN 4th TB.2.3) cannot be
         * delivered (DB.1.1-1): start instead; delivery clears the suspension (DB.2.1) */
        if (rc != SEQ_OK || res->deliver || !res->exception[0])
            return rc;
    }
    return seq_tree_navigate(t, SEQ_NAV_START, NULL, res);
}
