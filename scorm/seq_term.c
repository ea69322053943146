/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Termination (SN 4th): UP.3 Terminate Descendent Attempts Process, UP.4 End Attempt Process,
 * TB.2.1 Sequencing Exit Action Rules Subprocess, TB.2.2 Sequencing Post Condition Rules
 * Subprocess and TB.2.3 Termination Request Process.
 */
#include "scorm/seq_int.h"

#include <stdio.h>
#include <stdlib.h>

/* UP.4 End Attempt Process */
void seq__end_attempt(struct seq_tree *t, struct seq__act *a)
{
    if (seq__is_leaf(a)) {
        if (a->tracked && !a->suspended) {
            /* SN 4th UP.4: content that does not set status is taken as completed/satisfied */
            /* a status the SCO set explicitly (even "unknown") is the content's (CM-06) */
            if (!a->completion_by_content && !a->attempt_progress_status && !a->reported_completion)
                seq__act_set_completion(t, a, 1, 1);
            if (!a->objective_by_content) {
                struct seq__obj *o = &a->objs[0];
                if (!o->progress_status && !a->reported_success)
                    seq__obj_set_satisfied(t, a, o, 1, 1);
            }
        }
    } else {
        int any = 0;
        for (size_t i = 0; i < a->n_avail; i++)
            if (a->avail[i]->suspended)
                any = 1;
        a->suspended = any;
    }
    /* UP.4: the attempt ends now unless it is suspended (its absolute duration, SN 4th
     * 4.2.1.3, keeps running through the suspension) */
    if (a->active && !a->suspended)
        a->attempt_end_us = seq__now(t);
    a->active = 0;
    seq__rollup_overall(t, a);
    /* SR.1/SR.2 with timing onEachNewAttempt prepare the next attempt (SN 4th 4.7) */
    if (!seq__is_leaf(a) && !a->suspended) {
        if (a->sel_timing == 2)
            a->selected = 0;
        if (a->rnd_timing == 2)
            a->randomized = 0;
        seq__select_children(t, a);
        seq__randomize_children(t, a);
    }
}

/* UP.3 Terminate Descendent Attempts Process: end the attempts between the current activity
 * and a (both exclusive) */
void seq__terminate_descendents(struct seq_tree *t, struct seq__act *a)
{
    struct seq__act *cur = t->current, *anc;
    if (!cur)
        return;
    anc = seq__common_ancestor(cur, a);
    for (struct seq__act *x = cur->parent; x && x != anc; x = x->parent)
        seq__end_attempt(t, x);
}

/* TB.2.1 Sequencing Exit Action Rules Subprocess */
static void exit_action_rules(struct seq_tree *t)
{
    struct seq__act *path[64], *exit_target = NULL;
    size_t n = 0;
    for (struct seq__act *x = t->current->parent; x && n < 64; x = x->parent)
        path[n++] = x;
    /* from the root down to the parent of the current activity */
    while (n-- > 0) {
        if (seq__rules_check(t, path[n], path[n]->exit_rules, path[n]->n_exit, SEQ__A_EXIT)) {
            exit_target = path[n];
            break;
        }
    }
    if (exit_target) {
        seq__terminate_descendents(t, exit_target);
        seq__end_attempt(t, exit_target);
        t->current = exit_target;
    }
}

/* TB.2.2 Sequencing Post Condition Rules Subprocess */
static void post_condition_rules(struct seq_tree *t, enum seq__treq *treq, enum seq__sreq *sreq)
{
    struct seq__act *a = t->current;
    unsigned act;
    *treq = SEQ__T_NONE;
    *sreq = SEQ__S_NONE;
    if (a->suspended)
        return;
    act = seq__rules_check(t, a, a->post, a->n_post,
                           SEQ__A_EXIT_PARENT | SEQ__A_EXIT_ALL | SEQ__A_RETRY | SEQ__A_RETRY_ALL |
                               SEQ__A_CONTINUE | SEQ__A_PREVIOUS);
    switch (act) {
    case SEQ__A_RETRY:
        *sreq = SEQ__S_RETRY;
        break;
    case SEQ__A_CONTINUE:
        *sreq = SEQ__S_CONTINUE;
        break;
    case SEQ__A_PREVIOUS:
        *sreq = SEQ__S_PREVIOUS;
        break;
    case SEQ__A_EXIT_PARENT:
        *treq = SEQ__T_EXIT; /* "exit parent" handled by the caller's loop */
        *sreq = SEQ__S_EXIT;
        break;
    case SEQ__A_EXIT_ALL:
        *treq = SEQ__T_EXIT_ALL;
        break;
    case SEQ__A_RETRY_ALL:
        *treq = SEQ__T_EXIT_ALL;
        *sreq = SEQ__S_RETRY;
        break;
    default:
        break;
    }
}

static void exit_all(struct seq_tree *t)
{
    /* exitAll ends every attempt: no SCO's cmi.exit "suspend" survives it, the current one's
     * nor one left earlier in the session (only suspendAll keeps the session resumable; ADL
     * CTS OB-03b). Otherwise End Attempt (UP.4) would roll "suspended" up to the root and the
     * next start would resume the ended course attempt instead of beginning a new one (DB.2);
     * found with the golf SCOs, which set cmi.exit "suspend" at every unload. */
    for (size_t i = 0; i < t->n_acts; i++)
        if (seq__is_leaf(t->acts[i]))
            t->acts[i]->suspended = 0;
    if (t->current->active)
        seq__end_attempt(t, t->current);
    seq__terminate_descendents(t, t->root);
    seq__end_attempt(t, t->root);
    t->current = t->root;
}

/* TB.2.3 Termination Request Process. On success *sreq holds the sequencing request that
 * replaces the pending one (SEQ__S_NONE: keep the pending one). Returns 0 or -1 (o->exc). */
int seq__termination_request(struct seq_tree *t, enum seq__treq treq, enum seq__sreq *sreq,
                             struct seq__out *o)
{
    struct seq__act *cur = t->current;
    *sreq = SEQ__S_NONE;
    if (!cur) {
        seq__exc(o, "TB.2.3-1");
        return -1;
    }
    if ((treq == SEQ__T_EXIT || treq == SEQ__T_ABANDON) && !cur->active) {
        seq__exc(o, "TB.2.3-2");
        return -1;
    }
    switch (treq) {
    case SEQ__T_EXIT: {
        enum seq__treq pt;
        enum seq__sreq ps;
        int processed_exit;
        seq__end_attempt(t, t->current);
        exit_action_rules(t);
        do {
            processed_exit = 0;
            post_condition_rules(t, &pt, &ps);
            if (pt == SEQ__T_EXIT_ALL) {
                exit_all(t);
                /* retryAll: exit all, then retry the root */
                *sreq = ps == SEQ__S_RETRY ? SEQ__S_RETRY : SEQ__S_EXIT;
                return 0;
            }
            if (pt == SEQ__T_EXIT && ps == SEQ__S_EXIT) { /* exitParent */
                if (t->current->parent) {
                    t->current = t->current->parent;
                    seq__end_attempt(t, t->current);
                    processed_exit = 1;
                } else {
                    seq__exc(o, "TB.2.3-4");
                    return -1;
                }
            } else if (!t->current->parent && ps != SEQ__S_RETRY) {
                /* the root's attempt ended: the sequencing session ends (SN 4th TB.2.3) */
                *sreq = SEQ__S_EXIT;
                return 0;
            } else if (ps != SEQ__S_NONE) {
                *sreq = ps;
            }
        } while (processed_exit);
        return 0;
    }
    case SEQ__T_EXIT_ALL:
        exit_all(t);
        *sreq = SEQ__S_EXIT;
        return 0;
    case SEQ__T_SUSPEND_ALL: {
        struct seq__act *s;
        if (cur->active || cur->suspended) {
            seq__rollup_overall(t, cur);
            t->suspended = cur;
        } else if (cur->parent) {
            t->suspended = cur->parent;
        } else {
            seq__exc(o, "TB.2.3-3");
            return -1;
        }
        for (s = t->suspended; s; s = s->parent) {
            s->active = 0;
            s->suspended = 1;
        }
        t->current = t->root;
        *sreq = SEQ__S_EXIT;
        return 0;
    }
    case SEQ__T_ABANDON:
        cur->active = 0;
        return 0;
    case SEQ__T_ABANDON_ALL:
        for (struct seq__act *x = cur; x; x = x->parent)
            x->active = 0;
        t->current = t->root;
        *sreq = SEQ__S_EXIT;
        return 0;
    default:
        break;
    }
    seq__exc(o, "TB.2.3-7");
    return -1;
}
