/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Navigation (SN 4th): NB.2.1 Navigation Request Process and OP.1 Overall Sequencing Process,
 * plus what the player asks of them: request validity (adl.nav.request_valid.*) and the table
 * of contents with hidden and disabled entries.
 */
#include "scorm/seq_int.h"

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "common/sc_alloc.h"

static const char *const nav_names[] = {
    "start", "resumeAll", "continue", "previous", "forward",    "backward",  "choice",
    "jump",  "exit",      "exitAll",  "abandon",  "abandonAll", "suspendAll"};

int seq_nav_parse(const char *name, enum seq_nav *out)
{
    for (size_t i = 0; name && i < sizeof nav_names / sizeof nav_names[0]; i++) {
        if (strcmp(name, nav_names[i]) == 0) {
            *out = (enum seq_nav)i;
            return SEQ_OK;
        }
    }
    return SEQ_ERR_ARG;
}

const char *seq_nav_name(enum seq_nav nav)
{
    if ((size_t)nav < sizeof nav_names / sizeof nav_names[0])
        return nav_names[nav];
    return "?";
}

/* NB.2.1 Navigation Request Process. Returns 0 (valid; *treq and *sreq set) or -1 (o->exc). */
int seq__nav_request(struct seq_tree *t, enum seq_nav nav, struct seq__act *target,
                     enum seq__treq *treq, enum seq__sreq *sreq, struct seq__out *o)
{
    struct seq__act *cur = t->current;
    *treq = SEQ__T_NONE;
    *sreq = SEQ__S_NONE;
    switch (nav) {
    case SEQ_NAV_START:
        if (cur) {
            seq__exc(o, "NB.2.1-1");
            return -1;
        }
        *sreq = SEQ__S_START;
        return 0;
    case SEQ_NAV_RESUME_ALL:
        if (cur) {
            seq__exc(o, "NB.2.1-1");
            return -1;
        }
        if (!t->suspended) {
            seq__exc(o, "NB.2.1-3");
            return -1;
        }
        *sreq = SEQ__S_RESUME_ALL;
        return 0;
    case SEQ_NAV_CONTINUE:
        if (!cur) {
            seq__exc(o, "NB.2.1-2");
            return -1;
        }
        if (cur->parent && cur->parent->flow) {
            if (cur->active)
                *treq = SEQ__T_EXIT;
            *sreq = SEQ__S_CONTINUE;
            return 0;
        }
        seq__exc(o, "NB.2.1-4");
        return -1;
    case SEQ_NAV_PREVIOUS:
        if (!cur) {
            seq__exc(o, "NB.2.1-2");
            return -1;
        }
        if (!cur->parent) {
            seq__exc(o, "NB.2.1-6");
            return -1;
        }
        if (cur->parent->flow && !cur->parent->forward_only) {
            if (cur->active)
                *treq = SEQ__T_EXIT;
            *sreq = SEQ__S_PREVIOUS;
            return 0;
        }
        seq__exc(o, "NB.2.1-5");
        return -1;
    case SEQ_NAV_FORWARD:
    case SEQ_NAV_BACKWARD:
        seq__exc(o, "NB.2.1-7");
        return -1;
    case SEQ_NAV_CHOICE:
        if (!target) {
            seq__exc(o, "NB.2.1-11");
            return -1;
        }
        if (target->parent && !target->parent->choice) {
            seq__exc(o, "NB.2.1-10");
            return -1;
        }
        if (cur && cur->parent != target->parent) {
            struct seq__act *anc = seq__common_ancestor(cur, target);
            for (struct seq__act *x = cur; x && x != anc; x = x->parent) {
                if (x->active && !x->choice_exit) {
                    seq__exc(o, "NB.2.1-8");
                    return -1;
                }
            }
        }
        if (cur && cur->active)
            *treq = SEQ__T_EXIT;
        *sreq = SEQ__S_CHOICE;
        return 0;
    case SEQ_NAV_JUMP:
        if (!target || !seq__is_avail(target)) {
            seq__exc(o, "NB.2.1-11");
            return -1;
        }
        if (cur && cur->active)
            *treq = SEQ__T_EXIT;
        *sreq = SEQ__S_JUMP;
        return 0;
    case SEQ_NAV_EXIT:
    case SEQ_NAV_ABANDON:
        if (!cur) {
            seq__exc(o, "NB.2.1-2");
            return -1;
        }
        if (!cur->active) {
            seq__exc(o, "NB.2.1-12");
            return -1;
        }
        *treq = nav == SEQ_NAV_EXIT ? SEQ__T_EXIT : SEQ__T_ABANDON;
        *sreq = SEQ__S_EXIT;
        return 0;
    case SEQ_NAV_EXIT_ALL:
    case SEQ_NAV_ABANDON_ALL:
    case SEQ_NAV_SUSPEND_ALL:
        if (!cur) {
            seq__exc(o, "NB.2.1-2");
            return -1;
        }
        *treq = nav == SEQ_NAV_EXIT_ALL      ? SEQ__T_EXIT_ALL
                : nav == SEQ_NAV_ABANDON_ALL ? SEQ__T_ABANDON_ALL
                                             : SEQ__T_SUSPEND_ALL;
        *sreq = SEQ__S_EXIT;
        return 0;
    }
    seq__exc(o, "NB.2.1-13");
    return -1;
}

/* OP.1 Overall Sequencing Process */
int seq_tree_navigate(struct seq_tree *t, enum seq_nav nav, const char *target,
                      struct seq_result *res)
{
    struct seq__out o = {{0}, 0, NULL};
    struct seq__act *tgt = NULL;
    enum seq__treq treq;
    enum seq__sreq sreq, repl;
    if (!t || !res)
        return SEQ_ERR_ARG;
    memset(res, 0, sizeof *res);
    if (nav == SEQ_NAV_CHOICE || nav == SEQ_NAV_JUMP)
        tgt = seq__act_find(t, target);
    if (seq__nav_request(t, nav, tgt, &treq, &sreq, &o) != 0)
        goto out;
    t->ended = 0;
    if (treq != SEQ__T_NONE) {
        if (seq__termination_request(t, treq, &repl, &o) != 0)
            goto out;
        if (repl != SEQ__S_NONE)
            sreq = repl;
    }
    if (t->n_globals)
        seq__rollup_all(t);
    if (sreq != SEQ__S_NONE) {
        if (seq__sequencing_request(t, sreq, tgt, &o) != 0)
            goto out;
        if (o.end_session) {
            /* SN 4th OP.1: the sequencing session ends; nothing is current any more */
            t->ended = 1;
            t->current = NULL;
            goto out;
        }
        if (!o.deliver) {
            /* an exit that does not end the session (SN 4th SB.2.11) */
            goto out;
        }
        if (seq__delivery_request(t, o.deliver, &o) != 0)
            goto out;
        seq__content_delivery(t, o.deliver);
        res->deliver = o.deliver->id;
    }
out:
    if (o.exc[0] && o.end_session) {
        t->ended = 1;
        t->current = NULL;
        o.exc[0] = '\0'; /* ending the session past the last activity is not an error */
    }
    snprintf(res->exception, sizeof res->exception, "%s", o.exc);
    res->ended = t->ended;
    return SEQ_OK;
}

int seq_tree_nav_valid(struct seq_tree *t, enum seq_nav nav, const char *target)
{
    cJSON *snap = NULL;
    struct seq_result r;
    int valid;
    if (!t || seq__state_snapshot(t, &snap) != SEQ_OK)
        return 0;
    seq_tree_navigate(t, nav, target, &r);
    valid = r.exception[0] == '\0' && (r.deliver != NULL || r.ended);
    seq__state_restore(t, snap);
    cJSON_Delete(snap);
    return valid;
}

static int hidden_from_choice(const struct seq_tree *t, const struct seq__act *a)
{
    for (const struct seq__act *x = a; x; x = x->parent)
        if (seq__rules_check(t, x, x->pre, x->n_pre, SEQ__A_HIDDEN))
            return 1;
    return !a->visible;
}

void seq_item_status(const struct seq_tree *t, const char *item, const char *rt_completion,
                     const char *rt_success, const char **completion, const char **success)
{
    const struct seq__act *a = t && item ? seq__act_find(t, item) : NULL;
    if (!a || !a->tracked) {
        /* no tracking: SCORM 1.2, a course the engine cannot build, an untracked activity (IMS
         * SS 5.1.7: tracked = false keeps no status), a registration never sequenced */
        *completion = rt_completion ? rt_completion : "not attempted";
        *success = rt_success ? rt_success : "unknown";
        return;
    }
    /* SN 4th 4.2.1.3: attempt progress status / attempt completion status of the activity (a
     * leaf's are cmi.completion_status, RTE 4th 4.2.4, or what the LMS set when
     * completionSetByContent is false); never attempted before its first attempt */
    if (seq__act_progress_known(t, a))
        *completion = seq__act_completed(t, a) ? "completed" : "incomplete";
    else
        *completion =
            a->attempt_count > 0 || a->active || a->suspended ? "unknown" : "not attempted";
    /* SN 4th 4.2.1.1: the primary objective's progress and satisfied status (a leaf's are
     * cmi.success_status, RTE 4th 4.2.22) */
    if (seq__obj_progress(t, a, &a->objs[0]))
        *success = seq__obj_satisfied(t, a, &a->objs[0]) ? "passed" : "failed";
    else
        *success = "unknown";
}

int seq_tree_toc(struct seq_tree *t, cJSON **out)
{
    cJSON *arr;
    if (!t || !out)
        return SEQ_ERR_ARG;
    arr = cJSON_CreateArray();
    if (!arr)
        return SEQ_ERR_NOMEM;
    for (size_t i = 0; i < t->n_acts; i++) {
        struct seq__act *a = t->acts[i];
        cJSON *e;
        if (!seq__is_avail(a))
            continue; /* not selected (SR.1): not part of this attempt */
        e = cJSON_CreateObject();
        if (!e) {
            cJSON_Delete(arr);
            return SEQ_ERR_NOMEM;
        }
        cJSON_AddItemToArray(arr, e);
        int hidden = hidden_from_choice(t, a);
        int disabled = hidden || !seq_tree_nav_valid(t, SEQ_NAV_CHOICE, a->id);
        const char *comp, *succ;
        seq_item_status(t, a->id, NULL, NULL, &comp, &succ);
        if (!cJSON_AddStringToObject(e, "item", a->id) ||
            !cJSON_AddStringToObject(e, "title", a->title) ||
            !cJSON_AddNumberToObject(e, "depth", a->depth) ||
            !cJSON_AddBoolToObject(e, "leaf", seq__is_leaf(a)) ||
            !cJSON_AddBoolToObject(e, "hidden", hidden) ||
            !cJSON_AddBoolToObject(e, "disabled", disabled) ||
            !cJSON_AddStringToObject(e, "completion", comp) ||
            !cJSON_AddStringToObject(e, "success", succ) ||
            !cJSON_AddBoolToObject(e, "current", t->current == a)) {
            cJSON_Delete(arr);
            return SEQ_ERR_NOMEM;
        }
    }
    *out = arr;
    return SEQ_OK;
}
