/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The unfolded tail (stmt_tail.c) against a naive model: random statements with random
 * terms are added, the tail is grown by prepare-and-swap and in place, folds prune it by a
 * built copy and in place; after every step each term's list (newest first) and count must
 * equal the model's.
 */
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"
#include "common/tap.h"

#include <stdlib.h>
#include <string.h>

#define NSTMT 20000
#define NTERMS 300 /* distinct terms: lists long and short */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

struct mstmt {
    int64_t seq;
    uint64_t terms[6];
    size_t n;
};
static struct mstmt model[NSTMT];
static size_t nmodel, folded; /* model[folded..nmodel) are in the tail */

static uint64_t term(unsigned i)
{
    return 0x1000003ULL * (i + 1) ^ 0xabcdef12345ULL; /* any 64-bit values */
}

/* 1 when every term's list and count equal the model */
static int check(const struct stmt__tail *t)
{
    int bad = 0;
    for (unsigned i = 0; i < NTERMS && !bad; i++) {
        int64_t *v = NULL, want[NSTMT];
        size_t n = 0, nw = 0;
        for (size_t k = nmodel; k-- > folded;)
            for (size_t j = 0; j < model[k].n; j++)
                if (model[k].terms[j] == term(i))
                    want[nw++] = model[k].seq;
        if (stmt__tail_seqs(t, term(i), &v, &n) != 0)
            return 0;
        bad = n != nw || stmt__tail_count(t, term(i)) != nw ||
              (n && memcmp(v, want, n * sizeof *v) != 0);
        sc_free(v);
    }
    return !bad;
}

int main(void)
{
    struct stmt__tail t = {0};
    int bad = 0, steps = 0, swaps = 0, prunes = 0;
    int64_t seq = 1000;

    while (nmodel < NSTMT) {
        /* a group of 1-200 statements, published as the writer does */
        size_t g = 1 + rnd(200), more = 0;
        struct stmt__tail grown, old = {0};
        if (nmodel + g > NSTMT)
            g = NSTMT - nmodel;
        for (size_t k = nmodel; k < nmodel + g; k++) {
            struct mstmt *m = &model[k];
            m->seq = seq += 1 + rnd(3);
            m->n = 1 + rnd(6);
            for (size_t j = 0; j < m->n; j++) {
                /* distinct terms within one statement, skewed towards the first ones */
                unsigned x = rnd(4) ? rnd(20) : rnd(NTERMS);
                int dup = 0;
                for (size_t q = 0; q < j; q++)
                    dup |= m->terms[q] == term(x);
                m->terms[j] = dup ? term(20 + (unsigned)j) : term(x);
                for (size_t q = 0; q < j && dup; q++)
                    if (m->terms[q] == m->terms[j])
                        m->terms[j] = term(40 + (unsigned)j * 7 + (unsigned)q);
            }
            more += m->n;
        }
        if (rnd(2)) {
            /* the writer's way: grow outside the lock, swap */
            bad += stmt__tail_prepare(&t, more, &grown) != 0;
            if (grown.e) {
                old = t;
                t = grown;
                swaps++;
            }
        }
        for (size_t k = nmodel; k < nmodel + g; k++)
            bad += stmt__tail_add(&t, model[k].seq, model[k].terms, model[k].n) != 0;
        stmt__tail_free(&old);
        nmodel += g;
        if (!rnd(4)) {
            /* a fold: all of the tail, or a part of it (an epoch end) */
            size_t upto = rnd(3) ? nmodel : folded + rnd((unsigned)(nmodel - folded) + 1);
            int64_t useq = upto > 0 ? model[upto - 1].seq : 0;
            struct stmt__tail left;
            if (rnd(2) && stmt__tail_pruned(&t, useq, &left) == 0) {
                stmt__tail_free(&t);
                t = left;
            } else {
                stmt__tail_prune(&t, useq);
            }
            if (upto > folded)
                folded = upto;
            prunes++;
        }
        bad += !check(&t);
        steps++;
    }
    is_int(bad, 0, "%d steps (%d grown by swap, %d folds): every term's list equals the model",
           steps, swaps, prunes);
    ok(t.max_seq == model[NSTMT - 1].seq, "max_seq is the newest statement");
    stmt__tail_prune(&t, model[NSTMT - 1].seq);
    is_int((int)t.n, 0, "a fold of everything empties the tail");
    stmt__tail_free(&t);
    return tap_done();
}
