/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rollup (SN 4th RB.1.x): measure rollup (RB.1.1a), completion measure rollup (RB.1.1b),
 * objective rollup by measure / rules / defaults (RB.1.2a-c), activity progress rollup by
 * measure / rules / defaults (RB.1.3a-c), the rollup rule check with child activity sets
 * (RB.1.4, RB.1.4.1) and the 4th edition rollup considerations (RB.1.4.2), walked from an
 * activity up to the root by the Overall Rollup Process (RB.1.5).
 */
#include "scorm/seq_int.h"

/* IMS SS 5.1.1 useCurrentAttemptObjectiveInfo / useCurrentAttemptProgressInfo: a child's data
 * counts in its parent's rollup only when it comes from an attempt begun during the parent's
 * current attempt (the ADL sample RTE's "dirty" children). This hides the child's own (local)
 * objective and attempt progress information only: a value the child reads through mapInfo
 * from a global objective (SN 4th 4.2.1.4) is shared state, not attempt data, and counts
 * whenever it was written (the seq__*_global checks below; golf SimpleRemediation: quizzes
 * skipped in the wrapper's retry count with the status their global objectives hold). */
static int obj_current(const struct seq__act *c)
{
    return !c->parent || !c->parent->use_cur_obj || c->parent_attempt == c->parent->attempt_count;
}

static int prog_current(const struct seq__act *c)
{
    return !c->parent || !c->parent->use_cur_prog || c->parent_attempt == c->parent->attempt_count;
}

/* RB.1.1a Measure Rollup Process */
static void measure_rollup(struct seq_tree *t, struct seq__act *a)
{
    double total = 0, counted = 0;
    int valid = 0;
    for (size_t i = 0; i < a->n_avail; i++) {
        struct seq__act *c = a->avail[i];
        if (!c->tracked)
            continue;
        counted += c->measure_weight;
        if ((obj_current(c) || seq__obj_measure_global(t, c, &c->objs[0])) &&
            seq__obj_measure_status(t, c, &c->objs[0])) {
            total += seq__obj_measure(t, c, &c->objs[0]) * c->measure_weight;
            valid = 1;
        }
    }
    if (!valid || counted <= 0)
        seq__obj_set_measure(t, a, &a->objs[0], 0, 0);
    else
        seq__obj_set_measure(t, a, &a->objs[0], 1, total / counted);
}

/* RB.1.1b Completion Measure Rollup Process (4th edition progress weights) */
static void completion_measure_rollup(struct seq_tree *t, struct seq__act *a)
{
    double total = 0, counted = 0;
    int valid = 0;
    for (size_t i = 0; i < a->n_avail; i++) {
        struct seq__act *c = a->avail[i];
        if (!c->tracked)
            continue;
        counted += c->progress_weight;
        if ((prog_current(c) || seq__act_amount_global(t, c)) && seq__act_amount_known(t, c)) {
            total += seq__act_amount(t, c) * c->progress_weight;
            valid = 1;
        }
    }
    if (!valid || counted <= 0)
        seq__act_set_amount(t, a, 0, 0);
    else
        seq__act_set_amount(t, a, 1, total / counted);
}

/* RB.1.4.2 Check Child for Rollup Subprocess */
static int child_for_rollup(const struct seq_tree *t, const struct seq__act *c, unsigned action)
{
    enum seq__req req;
    if (action & (SEQ__A_SATISFIED | SEQ__A_NOT_SATISFIED)) {
        if (!c->rollup_satisfied)
            return 0;
        req = action == SEQ__A_SATISFIED ? c->req_sat : c->req_not_sat;
    } else {
        if (!c->rollup_progress)
            return 0;
        req = action == SEQ__A_COMPLETED ? c->req_comp : c->req_incomp;
    }
    switch (req) {
    case SEQ__REQ_IF_NOT_SUSPENDED:
        if (!c->activity_progress_status || (c->attempt_count > 0 && c->suspended))
            return 0;
        break;
    case SEQ__REQ_IF_ATTEMPTED:
        if (!c->activity_progress_status || c->attempt_count == 0)
            return 0;
        break;
    case SEQ__REQ_IF_NOT_SKIPPED:
        if (seq__rules_check(t, c, c->pre, c->n_pre, SEQ__A_SKIP))
            return 0;
        break;
    default:
        break;
    }
    return 1;
}

/* RB.1.4.1 Evaluate Rollup Conditions Subprocess: three-valued */
static int eval_rollup_conditions(const struct seq_tree *t, const struct seq__act *c,
                                  const struct seq__rule *r)
{
    int all_true = 1, any_true = 0, any_false = 0;
    if (r->n_conds == 0)
        return 1;
    for (size_t i = 0; i < r->n_conds; i++) {
        struct seq__condition cond = r->conds[i];
        cond.objective = 0; /* rollup conditions read the rolled-up objective */
        int v = seq__cond_eval(t, c, &cond, 1);
        switch (cond.cond) {
        case SEQ__C_SATISFIED:
        case SEQ__C_OBJ_STATUS_KNOWN:
            if (!obj_current(c) && !seq__obj_sat_global(t, c, &c->objs[0]))
                v = -1;
            break;
        case SEQ__C_OBJ_MEASURE_KNOWN:
        case SEQ__C_MEASURE_GT:
        case SEQ__C_MEASURE_LT:
            if (!obj_current(c) && !seq__obj_measure_global(t, c, &c->objs[0]))
                v = -1;
            break;
        case SEQ__C_COMPLETED:
        case SEQ__C_PROGRESS_KNOWN:
            if (!prog_current(c) && !seq__act_completion_global(t, c))
                v = -1;
            break;
        default:
            break;
        }
        if (v != 1)
            all_true = 0;
        if (v == 1)
            any_true = 1;
        if (v == 0)
            any_false = 1;
    }
    if (r->any)
        return any_true ? 1 : (any_false && !all_true ? 0 : -1);
    return all_true ? 1 : (any_false ? 0 : -1);
}

/* RB.1.4 Rollup Rule Check Subprocess: does a rule with this action fire? */
static int rule_fires(const struct seq_tree *t, const struct seq__act *a, const struct seq__rule *r)
{
    size_t n = 0, n_true = 0, n_false = 0;
    for (size_t i = 0; i < a->n_avail; i++) {
        const struct seq__act *c = a->avail[i];
        if (!c->tracked || !child_for_rollup(t, c, r->action))
            continue;
        int v = eval_rollup_conditions(t, c, r);
        n++;
        if (v == 1)
            n_true++;
        else if (v == 0)
            n_false++;
    }
    if (n == 0) {
        /* no contributing child: "all" and "none" hold vacuously, as in the ADL sample RTE
         * (CTS RU-15b) */
        return r->set == SEQ__SET_ALL || r->set == SEQ__SET_NONE;
    }
    switch (r->set) {
    case SEQ__SET_ALL:
        return n_true == n;
    case SEQ__SET_ANY:
        return n_true > 0;
    case SEQ__SET_NONE:
        return n_false == n;
    case SEQ__SET_COUNT:
        return (double)n_true >= r->min_count;
    case SEQ__SET_PERCENT:
        return (double)n_true / (double)n >= r->min_percent; /* IMS SS: 0.0-1.0 */
    }
    return 0;
}

static int rollup_rule_check(const struct seq_tree *t, const struct seq__act *a, unsigned action)
{
    for (size_t i = 0; i < a->n_rollup; i++)
        if (a->rollup[i].action == action && rule_fires(t, a, &a->rollup[i]))
            return 1;
    return 0;
}

static int has_rule(const struct seq__act *a, unsigned mask)
{
    for (size_t i = 0; i < a->n_rollup; i++)
        if (a->rollup[i].action & mask)
            return 1;
    return 0;
}

/* the default rollup rules of SN 4th 4.6.4 / IMS SS 4.6.2 */
static int default_rule(const struct seq_tree *t, const struct seq__act *a, unsigned action,
                        enum seq__cond cond)
{
    struct seq__condition c = {cond, 0, 0, 0};
    struct seq__rule r = {0};
    r.conds = &c;
    r.n_conds = 1;
    r.action = action;
    r.set = SEQ__SET_ALL;
    return rule_fires(t, a, &r);
}

/* RB.1.2a Objective Rollup Using Measure Process; returns 1 when it applied */
static int objective_rollup_measure(struct seq_tree *t, struct seq__act *a)
{
    struct seq__obj *o = &a->objs[0];
    if (!o->satisfied_by_measure)
        return 0;
    if (!seq__obj_measure_status(t, a, o)) {
        seq__obj_set_satisfied(t, a, o, 0, 0);
    } else if (!a->active || a->measure_sat_if_active) {
        seq__obj_set_satisfied(t, a, o, 1, seq__obj_measure(t, a, o) >= o->min_measure);
    } else {
        seq__obj_set_satisfied(t, a, o, 0, 0);
    }
    return 1;
}

/* RB.1.2b Objective Rollup Using Rules Process / RB.1.2c Using Default */
static void objective_rollup_rules(struct seq_tree *t, struct seq__act *a)
{
    struct seq__obj *o = &a->objs[0];
    int not_sat, sat;
    if (has_rule(a, SEQ__A_SATISFIED | SEQ__A_NOT_SATISFIED)) {
        not_sat = rollup_rule_check(t, a, SEQ__A_NOT_SATISFIED);
        sat = rollup_rule_check(t, a, SEQ__A_SATISFIED);
    } else {
        not_sat = default_rule(t, a, SEQ__A_NOT_SATISFIED, SEQ__C_OBJ_STATUS_KNOWN);
        sat = default_rule(t, a, SEQ__A_SATISFIED, SEQ__C_SATISFIED);
    }
    /* when no rule fires the status stays as it was (the ADL sample RTE; CTS RU-12a) */
    if (sat)
        seq__obj_set_satisfied(t, a, o, 1, 1);
    else if (not_sat)
        seq__obj_set_satisfied(t, a, o, 1, 0);
}

/* RB.1.3a Activity Progress Rollup Using Measure Process; 1 when it applied */
static int progress_rollup_measure(struct seq_tree *t, struct seq__act *a)
{
    if (!a->completed_by_measure)
        return 0;
    if (!seq__act_amount_known(t, a))
        seq__act_set_completion(t, a, 0, 0);
    else
        seq__act_set_completion(t, a, 1, seq__act_amount(t, a) >= a->min_progress);
    return 1;
}

/* RB.1.3b Activity Progress Rollup Using Rules / RB.1.3c Using Default */
static void progress_rollup_rules(struct seq_tree *t, struct seq__act *a)
{
    int inc, comp;
    if (has_rule(a, SEQ__A_COMPLETED | SEQ__A_INCOMPLETE)) {
        inc = rollup_rule_check(t, a, SEQ__A_INCOMPLETE);
        comp = rollup_rule_check(t, a, SEQ__A_COMPLETED);
    } else {
        inc = default_rule(t, a, SEQ__A_INCOMPLETE, SEQ__C_PROGRESS_KNOWN);
        comp = default_rule(t, a, SEQ__A_COMPLETED, SEQ__C_COMPLETED);
    }
    if (comp)
        seq__act_set_completion(t, a, 1, 1);
    else if (inc)
        seq__act_set_completion(t, a, 1, 0);
}

static void rollup_one(struct seq_tree *t, struct seq__act *a)
{
    if (!seq__is_leaf(a)) {
        measure_rollup(t, a);
        completion_measure_rollup(t, a);
        if (!objective_rollup_measure(t, a))
            objective_rollup_rules(t, a);
        if (!progress_rollup_measure(t, a))
            progress_rollup_rules(t, a);
    } else if (a->tracked) {
        objective_rollup_measure(t, a);
        progress_rollup_measure(t, a);
    }
}

/* Global objectives shared through mapInfo can change the status of activities outside the
 * rolled-up path (SN 4th 4.6: "the LMS shall ensure rollup reflects changes to shared global
 * objectives"): clusters not attempted yet are rolled up from their children, children before
 * parents; attempted clusters are rolled up on their own paths (RB.1.5). */
void seq__rollup_all(struct seq_tree *t)
{
    /* derived for reading only: nothing is written to global objectives (CTS OB-03c) */
    t->no_global_writes = 1;
    for (size_t i = t->n_acts; i-- > 0;)
        if (!seq__is_leaf(t->acts[i]) && t->acts[i]->attempt_count == 0)
            rollup_one(t, t->acts[i]);
    t->no_global_writes = 0;
}

/* RB.1.5 Overall Rollup Process: from the activity to the root */
void seq__rollup_overall(struct seq_tree *t, struct seq__act *a)
{
    for (; a; a = a->parent) {
        if (!seq__is_leaf(a)) {
            measure_rollup(t, a);
            completion_measure_rollup(t, a);
            if (!objective_rollup_measure(t, a))
                objective_rollup_rules(t, a);
            if (!progress_rollup_measure(t, a))
                progress_rollup_rules(t, a);
        } else if (a->tracked) {
            /* a leaf's own status follows its measure when so defined (RB.1.2a, RB.1.3a) */
            objective_rollup_measure(t, a);
            progress_rollup_measure(t, a);
        }
    }
}
