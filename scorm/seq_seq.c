/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sequencing requests (SN 4th SB.2.x) and delivery (DB.1.1, DB.2, DB.2.1): flow and choice
 * traversal with forwardOnly, stopForwardTraversal, skip and disabled rules, limit conditions,
 * and the 4th edition constrained choice (constrainChoice, preventActivation).
 */
#include "scorm/seq_int.h"

#include "common/sc_alloc.h"

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

enum dir { FORWARD, BACKWARD, NODIR };

static struct seq__act *first_avail(const struct seq__act *a)
{
    return a->n_avail ? a->avail[0] : NULL;
}

static struct seq__act *last_avail(const struct seq__act *a)
{
    return a->n_avail ? a->avail[a->n_avail - 1] : NULL;
}

static int is_last_sibling(const struct seq__act *a)
{
    return a->parent && last_avail(a->parent) == a;
}

static int is_first_sibling(const struct seq__act *a)
{
    return a->parent && first_avail(a->parent) == a;
}

/* last activity of a forward preorder traversal of the (available) tree */
static int is_last_in_tree(const struct seq_tree *t, const struct seq__act *a)
{
    const struct seq__act *x = t->root;
    while (x->n_avail)
        x = last_avail(x);
    return x == a;
}

/* SB.2.1 Flow Tree Traversal Subprocess */
static struct seq__act *flow_tree_traversal(struct seq_tree *t, struct seq__act *a, enum dir d,
                                            int consider_children, enum dir prev, enum dir *out_dir,
                                            struct seq__out *o)
{
    int reversed = 0;
    *out_dir = d;
    if (prev == BACKWARD && is_last_sibling(a)) {
        d = BACKWARD;
        a = first_avail(a->parent);
        reversed = 1;
        *out_dir = d;
    }
    if (d == FORWARD) {
        if (is_last_in_tree(t, a) || (!consider_children && !a->parent)) {
            seq__terminate_descendents(t, t->root);
            o->end_session = 1;
            seq__exc(o, "SB.2.1-1");
            return NULL;
        }
        if (seq__is_leaf(a) || !consider_children) {
            if (is_last_sibling(a))
                return flow_tree_traversal(t, a->parent, FORWARD, 0, NODIR, out_dir, o);
            return a->parent->avail[seq__avail_index(a) + 1];
        }
        if (a->n_avail)
            return first_avail(a);
        seq__exc(o, "SB.2.1-2");
        return NULL;
    }
    /* backward */
    if (!a->parent) {
        seq__exc(o, "SB.2.1-3");
        return NULL;
    }
    if (seq__is_leaf(a) || !consider_children) {
        if (!reversed && a->parent->forward_only) {
            seq__exc(o, "SB.2.1-4");
            return NULL;
        }
        if (is_first_sibling(a))
            return flow_tree_traversal(t, a->parent, BACKWARD, 0, NODIR, out_dir, o);
        return a->parent->avail[seq__avail_index(a) - 1];
    }
    if (a->n_avail) {
        if (a->forward_only) {
            *out_dir = FORWARD;
            return first_avail(a);
        }
        return last_avail(a);
    }
    seq__exc(o, "SB.2.1-2");
    return NULL;
}

/* SB.2.2 Flow Activity Traversal Subprocess */
static struct seq__act *flow_activity_traversal(struct seq_tree *t, struct seq__act *a, enum dir d,
                                                enum dir prev, struct seq__out *o, int depth)
{
    enum dir nd;
    struct seq__act *next;
    if (depth > 4096) {
        seq__exc(o, "SB.2.2-1");
        return NULL;
    }
    if (a->parent && !a->parent->flow) {
        seq__exc(o, "SB.2.2-1");
        return NULL;
    }
    if (seq__rules_check(t, a, a->pre, a->n_pre, SEQ__A_SKIP)) {
        next = flow_tree_traversal(t, a, d, 0, prev, &nd, o);
        if (!next)
            return NULL;
        if (prev == BACKWARD && nd == BACKWARD)
            return flow_activity_traversal(t, next, nd, NODIR, o, depth + 1);
        return flow_activity_traversal(t, next, d, prev, o, depth + 1);
    }
    if (seq__check_activity(t, a)) {
        seq__exc(o, "SB.2.2-2");
        return NULL;
    }
    if (!seq__is_leaf(a)) {
        next = flow_tree_traversal(t, a, d, 1, NODIR, &nd, o);
        if (!next)
            return NULL;
        if (d == BACKWARD && nd == FORWARD)
            return flow_activity_traversal(t, next, FORWARD, BACKWARD, o, depth + 1);
        return flow_activity_traversal(t, next, d, NODIR, o, depth + 1);
    }
    return a;
}

/* SB.2.3 Flow Subprocess */
static struct seq__act *flow(struct seq_tree *t, struct seq__act *a, enum dir d,
                             int consider_children, struct seq__out *o)
{
    enum dir nd;
    struct seq__act *next = flow_tree_traversal(t, a, d, consider_children, NODIR, &nd, o);
    if (!next)
        return NULL;
    return flow_activity_traversal(t, next, d, NODIR, o, 0);
}

/* SB.2.4 Choice Activity Traversal Subprocess */
static int choice_activity_traversal(struct seq_tree *t, struct seq__act *a, enum dir d,
                                     struct seq__out *o)
{
    if (d == FORWARD) {
        if (seq__rules_check(t, a, a->pre, a->n_pre, SEQ__A_STOP_FORWARD)) {
            seq__exc(o, "SB.2.4-1");
            return 0;
        }
        return 1;
    }
    if (a->parent) {
        if (a->parent->forward_only) {
            seq__exc(o, "SB.2.4-2");
            return 0;
        }
        return 1;
    }
    seq__exc(o, "SB.2.4-3");
    return 0;
}

/* SB.2.5 Start Sequencing Request Process */
static struct seq__act *start_request(struct seq_tree *t, struct seq__out *o)
{
    if (t->current) {
        seq__exc(o, "SB.2.5-1");
        return NULL;
    }
    if (seq__is_leaf(t->root))
        return t->root;
    return flow(t, t->root, FORWARD, 1, o);
}

/* SB.2.6 Resume All Sequencing Request Process */
static struct seq__act *resume_all_request(struct seq_tree *t, struct seq__out *o)
{
    if (t->current) {
        seq__exc(o, "SB.2.6-1");
        return NULL;
    }
    if (!t->suspended) {
        seq__exc(o, "SB.2.6-2");
        return NULL;
    }
    return t->suspended;
}

/* SB.2.7 Continue Sequencing Request Process */
static struct seq__act *continue_request(struct seq_tree *t, struct seq__out *o)
{
    if (!t->current) {
        seq__exc(o, "SB.2.7-1");
        return NULL;
    }
    if (t->current->parent && !t->current->parent->flow) {
        seq__exc(o, "SB.2.7-2");
        return NULL;
    }
    return flow(t, t->current, FORWARD, 0, o);
}

/* SB.2.8 Previous Sequencing Request Process */
static struct seq__act *previous_request(struct seq_tree *t, struct seq__out *o)
{
    struct seq__act *r;
    if (!t->current) {
        seq__exc(o, "SB.2.8-1");
        return NULL;
    }
    if (t->current->parent && !t->current->parent->flow) {
        seq__exc(o, "SB.2.8-2");
        return NULL;
    }
    r = flow(t, t->current, BACKWARD, 0, o);
    o->end_session = 0; /* SN 4th SB.2.8: a previous request never ends the session */
    return r;
}

/* SB.2.9.2 Choice Flow Tree Traversal Subprocess */
static struct seq__act *choice_flow_tree_traversal(struct seq_tree *t, struct seq__act *a,
                                                   enum dir d)
{
    if (d == FORWARD) {
        if (is_last_in_tree(t, a) || !a->parent)
            return NULL;
        if (is_last_sibling(a))
            return choice_flow_tree_traversal(t, a->parent, FORWARD);
        return a->parent->avail[seq__avail_index(a) + 1];
    }
    if (!a->parent)
        return NULL;
    if (is_first_sibling(a))
        return choice_flow_tree_traversal(t, a->parent, BACKWARD);
    return a->parent->avail[seq__avail_index(a) - 1];
}

/* SB.2.9.1 Choice Flow Subprocess */
static struct seq__act *choice_flow(struct seq_tree *t, struct seq__act *a, enum dir d)
{
    struct seq__act *n = choice_flow_tree_traversal(t, a, d);
    return n ? n : a;
}

/* is b after a in a preorder traversal? (available activities only) */
static int is_forward_of(const struct seq_tree *t, const struct seq__act *a,
                         const struct seq__act *b)
{
    /* compare by position in the available tree: walk the common ancestor's children */
    struct seq__act *anc = seq__common_ancestor((struct seq__act *)a, (struct seq__act *)b);
    const struct seq__act *ca = a, *cb = b;
    (void)t;
    if (anc == a)
        return 1;
    if (anc == b)
        return 0;
    while (ca->parent != anc)
        ca = ca->parent;
    while (cb->parent != anc)
        cb = cb->parent;
    return seq__avail_index(cb) > seq__avail_index(ca);
}

/* SB.2.9 Choice Sequencing Request Process */
static struct seq__act *choice_request(struct seq_tree *t, struct seq__act *target,
                                       struct seq__out *o)
{
    struct seq__act *path[64], *cur = t->current, *anc;
    size_t n = 0;
    if (!target) {
        seq__exc(o, "SB.2.9-1");
        return NULL;
    }
    for (struct seq__act *x = target; x && n < 64; x = x->parent)
        path[n++] = x;
    for (size_t i = n; i-- > 0;) {
        struct seq__act *x = path[i];
        if (x->parent && seq__avail_index(x) < 0) {
            seq__exc(o, "SB.2.9-2");
            return NULL;
        }
        if (seq__rules_check(t, x, x->pre, x->n_pre, SEQ__A_HIDDEN)) {
            seq__exc(o, "SB.2.9-3");
            return NULL;
        }
    }
    if (target->parent && !target->parent->choice) {
        seq__exc(o, "SB.2.9-4");
        return NULL;
    }
    anc = cur ? seq__common_ancestor(cur, target) : t->root;
    if (cur == target) {
        /* case 1: the current activity */
    } else if (cur && cur->parent == target->parent) {
        /* case 2: siblings */
        int ci = seq__avail_index(cur), ti = seq__avail_index(target);
        enum dir d = ti < ci ? BACKWARD : FORWARD;
        int step = d == FORWARD ? 1 : -1;
        for (int i = ci; ci >= 0 && ti >= 0; i += step) {
            if (!choice_activity_traversal(t, target->parent->avail[i], d, o))
                return NULL;
            if (i == ti)
                break;
        }
    } else if (!cur || cur == anc) {
        /* case 3: the target is a descendant of the current activity (or nothing current) */
        struct seq__act *p[64];
        size_t m = 0;
        for (struct seq__act *x = target; x && x != anc && m < 64; x = x->parent)
            p[m++] = x;
        /* from the common ancestor (exclusive) down to the target; the target itself is
         * checked for stopForwardTraversal only as the last step (SN 4th SB.2.9 case 3) */
        for (size_t i = m; i-- > 0;) {
            if (i > 0 && !choice_activity_traversal(t, p[i], FORWARD, o))
                return NULL;
            if (!p[i]->active && p[i]->prevent_activation && p[i] != target) {
                seq__exc(o, "SB.2.9-6");
                return NULL;
            }
        }
    } else if (target == anc) {
        /* case 4: the target is an ancestor of the current activity */
        for (struct seq__act *x = cur; x && x != target; x = x->parent) {
            if (!x->choice_exit) {
                seq__exc(o, "SB.2.9-7");
                return NULL;
            }
        }
    } else {
        /* case 5: the target is forward or backward in another branch */
        struct seq__act *constrained = NULL, *p[64];
        size_t m = 0;
        for (struct seq__act *x = cur; x && x != anc; x = x->parent) {
            if (!x->choice_exit) {
                seq__exc(o, "SB.2.9-7");
                return NULL;
            }
            /* constrainChoice restricts choice among an activity's descendants: a leaf has
             * none, so the current leaf's own flag does not apply (CTS CM-07d) */
            if (!constrained && x->constrain_choice && !seq__is_leaf(x))
                constrained = x;
        }
        if (constrained) {
            enum dir d = is_forward_of(t, constrained, target) ? FORWARD : BACKWARD;
            struct seq__act *consider = choice_flow(t, constrained, d);
            if (!seq__is_ancestor(consider, target) && target != constrained) {
                seq__exc(o, "SB.2.9-8");
                return NULL;
            }
        }
        for (struct seq__act *x = target; x && x != anc && m < 64; x = x->parent)
            p[m++] = x;
        if (is_forward_of(t, cur, target)) {
            for (size_t i = m; i-- > 0;) {
                if (i > 0 && !choice_activity_traversal(t, p[i], FORWARD, o))
                    return NULL;
                if (!p[i]->active && p[i]->prevent_activation && p[i] != target) {
                    seq__exc(o, "SB.2.9-6");
                    return NULL;
                }
            }
        } else {
            for (size_t i = m; i-- > 0;) {
                if (!p[i]->active && p[i]->prevent_activation && p[i] != target) {
                    seq__exc(o, "SB.2.9-6");
                    return NULL;
                }
            }
        }
    }
    if (seq__is_leaf(target))
        return target;
    {
        struct seq__out fo = {{0}, 0, NULL};
        struct seq__act *d = flow(t, target, FORWARD, 1, &fo);
        if (!d) {
            /* SN 4th SB.2.9: nothing to deliver; the target becomes current */
            seq__terminate_descendents(t, anc);
            seq__end_attempt(t, anc);
            t->current = target;
            seq__exc(o, "SB.2.9-9");
            return NULL;
        }
        return d;
    }
}

static void clear_globals(struct seq_tree *t)
{
    for (size_t i = 0; i < t->n_globals; i++)
        sc_free(t->globals[i].id);
    t->n_globals = 0;
}

/* SB.2.10 Retry Sequencing Request Process */
static struct seq__act *retry_request(struct seq_tree *t, struct seq__out *o)
{
    struct seq__act *cur = t->current;
    if (!cur) {
        seq__exc(o, "SB.2.10-1");
        return NULL;
    }
    if (cur->active || cur->suspended) {
        seq__exc(o, "SB.2.10-2");
        return NULL;
    }
    /* objectivesGlobalToSystem="false" (CAM 4th 3.4.1.3): the shared global objectives belong
     * to one experience of the organization; retrying the whole tree begins a new one that
     * does not see the previous attempt's global objectives (CTS RU-13d) */
    if (!cur->parent && !t->objectives_global_to_system)
        clear_globals(t);
    if (!seq__is_leaf(cur)) {
        struct seq__act *d = flow(t, cur, FORWARD, 1, o);
        if (!d) {
            o->end_session = 0;
            seq__exc(o, "SB.2.10-3");
            return NULL;
        }
        return d;
    }
    return cur;
}

/* SB.2.11 Exit Sequencing Request Process */
static struct seq__act *exit_request(struct seq_tree *t, struct seq__out *o)
{
    if (!t->current) {
        seq__exc(o, "SB.2.11-1");
        return NULL;
    }
    if (t->current->active) {
        seq__exc(o, "SB.2.11-2");
        return NULL;
    }
    if (!t->current->parent)
        o->end_session = 1;
    return NULL;
}

/* SB.2.13 Jump Sequencing Request Process (4th edition) */
static struct seq__act *jump_request(struct seq_tree *t, struct seq__act *target,
                                     struct seq__out *o)
{
    (void)t;
    if (!target) {
        seq__exc(o, "SB.2.13-1");
        return NULL;
    }
    return target;
}

/* SB.2.12 Sequencing Request Process. Returns 0 (o->deliver may be NULL) or -1 (o->exc). */
int seq__sequencing_request(struct seq_tree *t, enum seq__sreq sreq, struct seq__act *target,
                            struct seq__out *o)
{
    struct seq__act *d = NULL;
    o->deliver = NULL;
    switch (sreq) {
    case SEQ__S_START:
        d = start_request(t, o);
        break;
    case SEQ__S_RESUME_ALL:
        d = resume_all_request(t, o);
        break;
    case SEQ__S_CONTINUE:
        d = continue_request(t, o);
        break;
    case SEQ__S_PREVIOUS:
        d = previous_request(t, o);
        break;
    case SEQ__S_CHOICE:
        d = choice_request(t, target, o);
        break;
    case SEQ__S_JUMP:
        d = jump_request(t, target, o);
        break;
    case SEQ__S_RETRY:
        d = retry_request(t, o);
        break;
    case SEQ__S_EXIT:
        d = exit_request(t, o);
        return o->exc[0] ? -1 : 0;
    default:
        seq__exc(o, "SB.2.12-1");
        return -1;
    }
    if (!d)
        return o->end_session && !o->exc[0] ? 0 : -1;
    o->deliver = d;
    return 0;
}

/* DB.1.1 Delivery Request Process */
int seq__delivery_request(struct seq_tree *t, struct seq__act *a, struct seq__out *o)
{
    struct seq__act *path[64];
    size_t n = 0;
    if (!seq__is_leaf(a)) {
        seq__exc(o, "DB.1.1-1");
        return -1;
    }
    for (struct seq__act *x = a; x && n < 64; x = x->parent)
        path[n++] = x;
    for (size_t i = n; i-- > 0;) {
        if (seq__check_activity(t, path[i])) {
            seq__exc(o, "DB.1.1-3");
            return -1;
        }
    }
    return 0;
}

/* DB.2.1 Clear Suspended Activity Subprocess */
static void clear_suspended(struct seq_tree *t, struct seq__act *a)
{
    if (t->suspended) {
        struct seq__act *anc = seq__common_ancestor(a, t->suspended);
        for (struct seq__act *x = t->suspended; x; x = x->parent) {
            if (seq__is_leaf(x)) {
                x->suspended = 0;
            } else {
                int any = 0;
                for (size_t i = 0; i < x->n_avail; i++)
                    if (x->avail[i]->suspended)
                        any = 1;
                if (!any)
                    x->suspended = 0;
            }
            if (x == anc)
                break;
        }
    }
    t->suspended = NULL;
}

/* DB.2 Content Delivery Environment Process */
void seq__content_delivery(struct seq_tree *t, struct seq__act *a)
{
    struct seq__act *path[64];
    size_t n = 0;
    if (a != t->suspended)
        clear_suspended(t, a);
    seq__terminate_descendents(t, a);
    for (struct seq__act *x = a; x && n < 64; x = x->parent)
        path[n++] = x;
    for (size_t i = n; i-- > 0;) {
        struct seq__act *x = path[i];
        if (x->active)
            continue;
        if (x->tracked) {
            if (x->suspended) {
                x->suspended = 0;
            } else {
                long long now = seq__now(t);
                x->attempt_count++;
                if (x->attempt_count == 1) {
                    x->activity_progress_status = 1;
                    x->activity_start_us = now;
                }
                seq__obj_reset_attempt(x);
                /* SN 4th 4.2.1.3: the attempt's absolute duration runs from here */
                x->attempt_start_us = now;
                x->attempt_end_us = 0;
                /* which attempt of the parent this attempt belongs to: rollup of a parent
                 * with useCurrentAttemptObjectiveInfo/ProgressInfo ignores older data */
                x->parent_attempt = x->parent ? x->parent->attempt_count : 0;
            }
        }
        x->active = 1;
    }
    t->current = a;
    t->suspended = NULL;
}
