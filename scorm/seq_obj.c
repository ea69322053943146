/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Objectives: local objective progress information and its mapping to shared global
 * objectives (IMS SS 4.2.1.2 mapInfo, SN 4th 4.2.1.4; the 4th edition adlseq:objectives
 * extension of CAM 4th 5.1.10 shares completion status, progress measure and raw/min/max
 * scores as well). A read goes to the first readable map whose global objective holds a known
 * value, else to the local state; a write updates the local state and every global objective
 * the objective writes to. Resets at a new attempt touch only local state.
 */
#include "scorm/seq_int.h"

#include <string.h>

#include "common/sc_alloc.h"

struct seq__global *seq__global_get(struct seq_tree *t, const char *id, int create)
{
    struct seq__global *n;
    for (size_t i = 0; i < t->n_globals; i++)
        if (seq__id_equal(t->globals[i].id, id))
            return &t->globals[i];
    if (!create)
        return NULL;
    n = sc_realloc(t->globals, (t->n_globals + 1) * sizeof *n);
    if (!n)
        return NULL;
    t->globals = n;
    memset(&n[t->n_globals], 0, sizeof *n);
    n[t->n_globals].id = sc_strdup(id);
    if (!n[t->n_globals].id)
        return NULL;
    return &t->globals[t->n_globals++];
}

static const struct seq__global *gfind(const struct seq_tree *t, const char *id)
{
    for (size_t i = 0; i < t->n_globals; i++)
        if (seq__id_equal(t->globals[i].id, id))
            return &t->globals[i];
    return NULL;
}

/* the global objective an objective reads its satisfied status from, or NULL */
static const struct seq__global *read_sat(const struct seq_tree *t, const struct seq__obj *o)
{
    for (size_t i = 0; i < o->n_maps; i++) {
        const struct seq__global *g = o->maps[i].read_sat ? gfind(t, o->maps[i].target) : NULL;
        if (g && g->sat_known)
            return g;
    }
    return NULL;
}

static const struct seq__global *read_measure(const struct seq_tree *t, const struct seq__obj *o)
{
    for (size_t i = 0; i < o->n_maps; i++) {
        const struct seq__global *g = o->maps[i].read_measure ? gfind(t, o->maps[i].target) : NULL;
        if (g && g->measure_known)
            return g;
    }
    return NULL;
}

/* SN 4th RB.1.2a: an objective satisfied by measure takes its status from the measure
 * (read at evaluation time, so a measure read from a global objective counts too) */
static int by_measure(const struct seq__act *a, const struct seq__obj *o)
{
    return o->satisfied_by_measure && (!a->active || a->measure_sat_if_active);
}

static int has_read_sat(const struct seq__obj *o)
{
    for (size_t i = 0; i < o->n_maps; i++)
        if (o->maps[i].read_sat)
            return 1;
    return 0;
}

/* IMS SS 5.1.1 useCurrentAttemptObjectiveInfo / useCurrentAttemptProgressInfo: does a value
 * come from a global objective? A global objective is shared state, not the information of one
 * attempt on the child, so it counts in the parent's rollup whichever attempt wrote it. */
int seq__obj_sat_global(const struct seq_tree *t, const struct seq__act *a,
                        const struct seq__obj *o)
{
    if (!a->tracked)
        return 0;
    if (by_measure(a, o))
        return read_measure(t, o) != NULL;
    return read_sat(t, o) != NULL;
}

int seq__obj_measure_global(const struct seq_tree *t, const struct seq__act *a,
                            const struct seq__obj *o)
{
    return a->tracked && read_measure(t, o) != NULL;
}

static int read_progress_known(const struct seq_tree *t, const struct seq__obj *o)
{
    for (size_t i = 0; i < o->n_maps; i++) {
        const struct seq__global *g = o->maps[i].read_progress ? gfind(t, o->maps[i].target) : NULL;
        if (g && g->progress_known)
            return 1;
    }
    return 0;
}

int seq__act_amount_global(const struct seq_tree *t, const struct seq__act *a)
{
    return a->tracked && read_progress_known(t, &a->objs[0]);
}

int seq__act_completion_global(const struct seq_tree *t, const struct seq__act *a)
{
    const struct seq__obj *o = &a->objs[0];
    if (!a->tracked)
        return 0;
    if (a->completed_by_measure)
        return read_progress_known(t, o);
    for (size_t i = 0; i < o->n_maps; i++) {
        const struct seq__global *g =
            o->maps[i].read_completion ? gfind(t, o->maps[i].target) : NULL;
        if (g && g->completion_known)
            return 1;
    }
    return 0;
}

int seq__obj_progress(const struct seq_tree *t, const struct seq__act *a, const struct seq__obj *o)
{
    if (!a->tracked)
        return 0; /* IMS SS 5.1.7: no objective status for an untracked activity (OB-06) */
    if (by_measure(a, o))
        return seq__obj_measure_status(t, a, o);
    if (has_read_sat(o))
        return read_sat(t, o) != NULL;
    return o->progress_status;
}

int seq__obj_satisfied(const struct seq_tree *t, const struct seq__act *a, const struct seq__obj *o)
{
    const struct seq__global *g;
    if (!a->tracked)
        return 0;
    if (by_measure(a, o))
        return seq__obj_measure_status(t, a, o) && seq__obj_measure(t, a, o) >= o->min_measure;
    /* SN 4th 4.2.1.4: a read objective map takes precedence when the global is known */
    if ((g = read_sat(t, o)) != NULL)
        return g->satisfied;
    if (has_read_sat(o))
        return 0;
    return o->progress_status && o->satisfied_status;
}

int seq__obj_measure_status(const struct seq_tree *t, const struct seq__act *a,
                            const struct seq__obj *o)
{
    if (!a->tracked)
        return 0;
    return o->measure_status || read_measure(t, o) != NULL;
}

double seq__obj_measure(const struct seq_tree *t, const struct seq__act *a,
                        const struct seq__obj *o)
{
    const struct seq__global *g;
    (void)a;
    if ((g = read_measure(t, o)) != NULL)
        return g->measure;
    return o->measure_status ? o->measure : 0.0;
}

void seq__obj_set_satisfied(struct seq_tree *t, struct seq__act *a, struct seq__obj *o, int known,
                            int satisfied)
{
    (void)a;
    o->progress_status = known;
    o->satisfied_status = known && satisfied;
    for (size_t i = 0; i < o->n_maps; i++) {
        if (!o->maps[i].write_sat)
            continue;
        struct seq__global *g =
            t->no_global_writes ? NULL : seq__global_get(t, o->maps[i].target, 1);
        if (!g)
            continue; /* out of memory: the local state still holds the value */
        g->sat_known = known;
        g->satisfied = known && satisfied;
        g->dirty = 1;
    }
}

void seq__obj_set_measure(struct seq_tree *t, struct seq__act *a, struct seq__obj *o, int known,
                          double measure)
{
    (void)a;
    o->measure_status = known;
    o->measure = known ? measure : 0.0;
    for (size_t i = 0; i < o->n_maps; i++) {
        if (!o->maps[i].write_measure)
            continue;
        struct seq__global *g =
            t->no_global_writes ? NULL : seq__global_get(t, o->maps[i].target, 1);
        if (!g)
            continue;
        g->measure_known = known;
        g->measure = known ? measure : 0.0;
        g->dirty = 1;
    }
}

int seq__act_amount_known(const struct seq_tree *t, const struct seq__act *a)
{
    return a->completion_amount_status || read_progress_known(t, &a->objs[0]);
}

double seq__act_amount(const struct seq_tree *t, const struct seq__act *a)
{
    const struct seq__obj *o = &a->objs[0];
    /* a readable global progress measure takes precedence over the local one (CO-12d) */
    for (size_t i = 0; i < o->n_maps; i++) {
        const struct seq__global *g = o->maps[i].read_progress ? gfind(t, o->maps[i].target) : NULL;
        if (g && g->progress_known)
            return g->progress;
    }
    return a->completion_amount_status ? a->completion_amount : 0;
}

/* CAM 4th 5.1.10: the primary objective's adlseq maps carry attempt completion status;
 * SN 4th RB.1.3a: completion by measure follows the progress measure */
int seq__act_progress_known(const struct seq_tree *t, const struct seq__act *a)
{
    const struct seq__obj *o = &a->objs[0];
    if (!a->tracked)
        return 0; /* IMS SS 5.1.7: no tracking status for an untracked activity (CO-05a) */
    int reads = 0;
    if (a->completed_by_measure)
        return seq__act_amount_known(t, a);
    /* as for satisfied status: a readable global completion status is authoritative
     * (CTS CO-07a) */
    for (size_t i = 0; i < o->n_maps; i++) {
        const struct seq__global *g =
            o->maps[i].read_completion ? gfind(t, o->maps[i].target) : NULL;
        reads |= o->maps[i].read_completion;
        if (g && g->completion_known)
            return 1;
    }
    return reads ? 0 : a->attempt_progress_status;
}

int seq__act_completed(const struct seq_tree *t, const struct seq__act *a)
{
    const struct seq__obj *o = &a->objs[0];
    int reads = 0;
    if (a->completed_by_measure)
        return seq__act_amount_known(t, a) && seq__act_amount(t, a) >= a->min_progress;
    for (size_t i = 0; i < o->n_maps; i++) {
        const struct seq__global *g =
            o->maps[i].read_completion ? gfind(t, o->maps[i].target) : NULL;
        reads |= o->maps[i].read_completion;
        if (g && g->completion_known)
            return g->completed;
    }
    return reads ? 0 : a->attempt_progress_status && a->attempt_completion_status;
}

void seq__act_set_completion(struct seq_tree *t, struct seq__act *a, int known, int completed)
{
    struct seq__obj *o = &a->objs[0];
    a->attempt_progress_status = known;
    a->attempt_completion_status = known && completed;
    for (size_t i = 0; i < o->n_maps; i++) {
        if (!o->maps[i].write_completion)
            continue;
        struct seq__global *g =
            t->no_global_writes ? NULL : seq__global_get(t, o->maps[i].target, 1);
        if (!g)
            continue;
        g->completion_known = known;
        g->completed = known && completed;
        g->dirty = 1;
    }
}

void seq__act_set_amount(struct seq_tree *t, struct seq__act *a, int known, double amount)
{
    struct seq__obj *o = &a->objs[0];
    a->completion_amount_status = known;
    a->completion_amount = known ? amount : 0.0;
    if (!known)
        return;
    for (size_t i = 0; i < o->n_maps; i++) {
        if (!o->maps[i].write_progress)
            continue;
        struct seq__global *g =
            t->no_global_writes ? NULL : seq__global_get(t, o->maps[i].target, 1);
        if (!g)
            continue;
        g->progress_known = 1;
        g->progress = amount;
        g->dirty = 1;
    }
}

/* completion status of a non-primary objective (4th edition: cmi.objectives.n.completion_status,
 * shared through adlseq:mapInfo readCompletionStatus / writeCompletionStatus) */
int seq__obj_completion_known(const struct seq_tree *t, const struct seq__obj *o)
{
    if (o->completion_known)
        return 1;
    for (size_t i = 0; i < o->n_maps; i++) {
        const struct seq__global *g =
            o->maps[i].read_completion ? gfind(t, o->maps[i].target) : NULL;
        if (g && g->completion_known)
            return 1;
    }
    return 0;
}

int seq__obj_completed(const struct seq_tree *t, const struct seq__obj *o)
{
    if (o->completion_known)
        return o->completed;
    for (size_t i = 0; i < o->n_maps; i++) {
        const struct seq__global *g =
            o->maps[i].read_completion ? gfind(t, o->maps[i].target) : NULL;
        if (g && g->completion_known)
            return g->completed;
    }
    return 0;
}

void seq__obj_set_completion(struct seq_tree *t, struct seq__obj *o, int known, int completed)
{
    o->completion_known = known;
    o->completed = known && completed;
    for (size_t i = 0; i < o->n_maps; i++) {
        if (!o->maps[i].write_completion)
            continue;
        struct seq__global *g =
            t->no_global_writes ? NULL : seq__global_get(t, o->maps[i].target, 1);
        if (!g)
            continue;
        g->completion_known = known;
        g->completed = known && completed;
        g->dirty = 1;
    }
}

/* DB.2: "initialize the objective progress information and attempt progress information
 * required for the new attempt" - local data only; global objectives persist. */
void seq__obj_reset_attempt(struct seq__act *a)
{
    for (size_t i = 0; i < a->n_objs; i++) {
        a->objs[i].progress_status = 0;
        a->objs[i].satisfied_status = 0;
        a->objs[i].measure_status = 0;
        a->objs[i].measure = 0;
        a->objs[i].completion_known = 0;
        a->objs[i].completed = 0;
    }
    a->attempt_progress_status = 0;
    a->attempt_completion_status = 0;
    a->completion_amount_status = 0;
    a->completion_amount = 0;
    a->attempt_duration = 0;
    a->reported_completion = 0;
    a->reported_success = 0;
}
