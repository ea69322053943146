/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sequencing rules and limit conditions (SN 4th: UP.1 Limit Conditions Check Process, UP.2
 * Sequencing Rules Check Process, UP.2.1 Sequencing Rule Check Subprocess, UP.5 Check Activity
 * Process). Conditions are evaluated in three-valued logic (true, false, unknown) as SN 4th
 * UP.2.1 and the ADL sample RTE do: "not" keeps unknown, and a rule fires only when its
 * combined result is true.
 */
#include "scorm/seq_int.h"

#include "common/sc_time.h"

static int time_limit_exceeded(const struct seq_tree *t, const struct seq__act *a);
static int outside_time_range(const struct seq_tree *t, const struct seq__act *a);

/* Evaluate one rule condition for activity a (IMS SS 5.2.3 condition vocabulary). */
int seq__cond_eval(const struct seq_tree *t, const struct seq__act *a,
                   const struct seq__condition *c, int rollup)
{
    const struct seq__obj *o =
        &a->objs[c->objective >= 0 && (size_t)c->objective < a->n_objs ? c->objective : 0];
    int r;
    (void)rollup;
    switch (c->cond) {
    case SEQ__C_ALWAYS:
        r = 1;
        break;
    case SEQ__C_SATISFIED:
        r = seq__obj_progress(t, a, o) ? seq__obj_satisfied(t, a, o) : -1;
        break;
    case SEQ__C_OBJ_STATUS_KNOWN:
        r = seq__obj_progress(t, a, o);
        break;
    case SEQ__C_OBJ_MEASURE_KNOWN:
        r = seq__obj_measure_status(t, a, o);
        break;
    case SEQ__C_MEASURE_GT:
        r = seq__obj_measure_status(t, a, o) ? seq__obj_measure(t, a, o) > c->threshold : -1;
        break;
    case SEQ__C_MEASURE_LT:
        r = seq__obj_measure_status(t, a, o) ? seq__obj_measure(t, a, o) < c->threshold : -1;
        break;
    case SEQ__C_COMPLETED:
        if (o != &a->objs[0])
            r = !a->tracked ? 0 : seq__obj_completion_known(t, o) ? seq__obj_completed(t, o) : -1;
        else
            r = seq__act_progress_known(t, a) ? seq__act_completed(t, a) : -1;
        break;
    case SEQ__C_PROGRESS_KNOWN:
        if (o != &a->objs[0]) {
            r = a->tracked && seq__obj_completion_known(t, o);
            break;
        }
        /* attempt progress (possibly read from a global objective, CTS CO-06) */
        r = seq__act_progress_known(t, a);
        break;
    case SEQ__C_ATTEMPTED:
        r = a->activity_progress_status ? a->attempt_count > 0 : 0;
        break;
    case SEQ__C_ATTEMPT_LIMIT_EXCEEDED:
        r = a->activity_progress_status && a->attempt_limit > 0 &&
            a->attempt_count >= a->attempt_limit;
        break;
    case SEQ__C_TIME_LIMIT_EXCEEDED:
        r = time_limit_exceeded(t, a);
        break;
    case SEQ__C_OUTSIDE_TIME_RANGE:
        r = outside_time_range(t, a);
        break;
    default:
        r = -1;
        break;
    }
    if (c->negate && r >= 0)
        r = !r;
    return r;
}

/* combine three-valued results: all (AND) or any (OR) */
static int rule_eval(const struct seq_tree *t, const struct seq__act *a, const struct seq__rule *r)
{
    int all_true = 1, any_true = 0, any_false = 0;
    if (r->n_conds == 0)
        return 1; /* IMS SS 5.2.3: an empty condition set is "always" */
    for (size_t i = 0; i < r->n_conds; i++) {
        int v = seq__cond_eval(t, a, &r->conds[i], 0);
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

/* UP.2.1 Sequencing Rule Check Subprocess: 1 when the rule's conditions evaluate to true */
static int rule_check(const struct seq_tree *t, const struct seq__act *a, const struct seq__rule *r)
{
    return rule_eval(t, a, r) == 1;
}

/* UP.2 Sequencing Rules Check Process: the action of the first rule (in document order) whose
 * action is in mask and whose conditions are true; SEQ__A_NONE if none. */
unsigned seq__rules_check(const struct seq_tree *t, const struct seq__act *a,
                          const struct seq__rule *rules, size_t n, unsigned mask)
{
    for (size_t i = 0; i < n; i++) {
        if (!(rules[i].action & mask))
            continue;
        if (rule_check(t, a, &rules[i]))
            return rules[i].action;
    }
    return SEQ__A_NONE;
}

long long seq__now(const struct seq_tree *t)
{
    return t->clock_us ? t->clock_us : (long long)sc_time_now_us();
}

void seq_tree_set_clock(struct seq_tree *t, long long now_us)
{
    if (t)
        t->clock_us = now_us > 0 ? now_us : 0;
}

/* SN 4th 4.2.1.3 Attempt Absolute Duration: wall clock from the start of the attempt to its end,
 * suspensions included (to now while the attempt is active or suspended). */
static double attempt_abs_duration(const struct seq_tree *t, const struct seq__act *a)
{
    long long end;
    if (!a->attempt_start_us)
        return 0;
    end = a->active || a->suspended || !a->attempt_end_us ? seq__now(t) : a->attempt_end_us;
    return end > a->attempt_start_us ? (double)(end - a->attempt_start_us) / 1e6 : 0;
}

/* SN 4th 4.2.1.2 Activity Absolute Duration: wall clock from the start of the first attempt to
 * the end of the last one (to now while an attempt is open). */
static double activity_abs_duration(const struct seq_tree *t, const struct seq__act *a)
{
    long long end;
    if (!a->activity_start_us)
        return 0;
    end = a->active || a->suspended || !a->attempt_end_us ? seq__now(t) : a->attempt_end_us;
    return end > a->activity_start_us ? (double)(end - a->activity_start_us) / 1e6 : 0;
}

/* "exceeded": the duration reached the limit (UP.1 compares with >=) */
static int dur_over(double limit, double value)
{
    return limit >= 0 && value >= limit;
}

/* IMS SS 5.2.3 timeLimitExceeded: an attempt or activity duration limit is reached (the
 * current attempt counts up to now). Unknown-free: false when no limit is set. */
static int time_limit_exceeded(const struct seq_tree *t, const struct seq__act *a)
{
    if (!a->tracked || !a->activity_progress_status)
        return 0;
    return dur_over(a->activity_abs_dur_limit, activity_abs_duration(t, a)) ||
           dur_over(a->activity_exp_dur_limit, a->activity_duration) ||
           (a->attempt_progress_status || a->active || a->suspended
                ? dur_over(a->attempt_abs_dur_limit, attempt_abs_duration(t, a)) ||
                      dur_over(a->attempt_exp_dur_limit, a->attempt_duration)
                : 0);
}

/* IMS SS 5.2.3 outsideAvailableTimeRange: now is before beginTimeLimit or after endTimeLimit */
static int outside_time_range(const struct seq_tree *t, const struct seq__act *a)
{
    long long now = seq__now(t);
    return (a->begin_time_us && now < a->begin_time_us) || (a->end_time_us && now > a->end_time_us);
}

/* UP.1 Limit Conditions Check Process: 1 when a limit condition is violated. The step numbers
 * follow the SN 4th pseudo-code. */
int seq__limit_check(const struct seq_tree *t, const struct seq__act *a)
{
    long long now;
    /* 1: an activity that is not tracked has no limits */
    if (!a->tracked)
        return 0;
    /* 2: only checked before a new attempt: not while active or suspended */
    if (a->active || a->suspended)
        return 0;
    /* 3: attempt limit */
    if (a->attempt_limit > 0 && a->activity_progress_status && a->attempt_count >= a->attempt_limit)
        return 1;
    /* 4: activity absolute duration limit */
    if (a->activity_progress_status &&
        dur_over(a->activity_abs_dur_limit, activity_abs_duration(t, a)))
        return 1;
    /* 5: activity experienced duration limit */
    if (a->activity_progress_status && dur_over(a->activity_exp_dur_limit, a->activity_duration))
        return 1;
    /* 6: attempt absolute duration limit */
    if (a->activity_progress_status && a->attempt_progress_status &&
        dur_over(a->attempt_abs_dur_limit, attempt_abs_duration(t, a)))
        return 1;
    /* 7: attempt experienced duration limit */
    if (a->activity_progress_status && a->attempt_progress_status &&
        dur_over(a->attempt_exp_dur_limit, a->attempt_duration))
        return 1;
    /* 8, 9: begin and end time limits */
    now = seq__now(t);
    if (a->begin_time_us && now < a->begin_time_us)
        return 1;
    if (a->end_time_us && now > a->end_time_us)
        return 1;
    return 0;
}

/* UP.5 Check Activity Process: 1 when the activity may not be delivered (disabled rule fires or
 * a limit condition is violated) */
int seq__check_activity(const struct seq_tree *t, const struct seq__act *a)
{
    if (seq__rules_check(t, a, a->pre, a->n_pre, SEQ__A_DISABLED))
        return 1;
    return seq__limit_check(t, a);
}
