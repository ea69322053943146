/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Selection and randomization (SN 4th SR.1 Select Children Process, SR.2 Randomize Children
 * Process; IMS SS 5.1.4). The available children of a cluster are a subset (selectCount) of
 * its children, possibly reordered; the choice is kept in the state so that a resumed
 * registration sees the same order.
 */
#include "scorm/seq_int.h"

#include <string.h>

/* SR.1 Select Children Process */
void seq__select_children(struct seq_tree *t, struct seq__act *a)
{
    if (seq__is_leaf(a) || a->active || a->suspended || a->sel_timing == 0 || a->selected)
        return;
    if (a->select_count >= 0 && (size_t)a->select_count < a->n_kids) {
        /* choose select_count children at random, keeping their manifest order */
        unsigned char pick[1024] = {0};
        size_t want = (size_t)a->select_count, n = a->n_kids > 1024 ? 1024 : a->n_kids, k = 0;
        while (k < want) {
            size_t i = seq__rand(t) % n;
            if (!pick[i]) {
                pick[i] = 1;
                k++;
            }
        }
        a->n_avail = 0;
        for (size_t i = 0; i < n; i++)
            if (pick[i])
                a->avail[a->n_avail++] = a->kids[i];
    }
    a->selected = 1;
}

/* SR.2 Randomize Children Process */
void seq__randomize_children(struct seq_tree *t, struct seq__act *a)
{
    if (seq__is_leaf(a) || a->active || a->suspended || a->rnd_timing == 0 || a->randomized)
        return;
    if (a->reorder) {
        for (size_t i = a->n_avail; i > 1; i--) {
            size_t j = seq__rand(t) % i;
            struct seq__act *x = a->avail[i - 1];
            a->avail[i - 1] = a->avail[j];
            a->avail[j] = x;
        }
    }
    a->randomized = 1;
}
