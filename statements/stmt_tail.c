/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The unfolded tail: an in-memory index of the statements that are committed and
 * acknowledged but not yet folded into "stmt_idx" (deferred indexing, stmt_writer.c). Queries
 * walk the folded indexes up to the last fold and this tail after it, so a statement is in
 * every query that starts after its acknowledgement (read-your-writes, issue 12) while the
 * fold stays a large, cheap batch (bench/results/store.md).
 *
 * Shape: entries (term, seq) appended in stored order, each linked to the previous entry of
 * its term; an open-addressing table maps a term to its newest entry and its entry count.
 * The writer appends after each commit and before it acknowledges; a fold that committed
 * drops the prefix it folded. Readers (queries) read under st->lock; the writer is the only
 * mutator, so it builds every O(n) change (larger arrays, the tail left after a fold) into a
 * new structure without the lock, from the current one, and swaps it in under the lock: a
 * query never waits for a rehash.
 */
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"

#include <string.h>

#define NIL UINT32_MAX

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* The slot of `term`: its own, or the empty one where it would go. */
static struct stmt__tail_slot *slot_of(const struct stmt__tail *t, uint64_t term)
{
    size_t mask = t->scap - 1;
    for (size_t i = mix(term) & mask;; i = (i + 1) & mask)
        if (t->slots[i].head == NIL || t->slots[i].term == term)
            return &t->slots[i];
}

static int rehash(struct stmt__tail *t, size_t scap)
{
    struct stmt__tail_slot *s = sc_malloc(scap * sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < scap; i++)
        s[i].head = NIL;
    sc_free(t->slots);
    t->slots = s;
    t->scap = scap;
    t->nterms = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct stmt__tail_slot *sl = slot_of(t, t->e[i].term);
        if (sl->head == NIL) {
            sl->term = t->e[i].term;
            sl->count = 0;
            t->nterms++;
            t->e[i].prev = NIL;
        } else {
            t->e[i].prev = sl->head;
        }
        sl->head = (uint32_t)i;
        sl->count++;
    }
    return 0;
}

int stmt__tail_add(struct stmt__tail *t, int64_t seq, const uint64_t *terms, size_t n)
{
    if (t->n + n >= NIL)
        return -1;
    if (t->n + n > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->n + n)
            cap *= 2;
        struct stmt__tail_ent *e = sc_realloc(t->e, cap * sizeof *e);
        if (!e)
            return -1;
        t->e = e;
        t->cap = cap;
    }
    if ((t->nterms + n) * 2 > t->scap) {
        size_t scap = t->scap ? t->scap : 4096;
        while ((t->nterms + n) * 2 > scap)
            scap *= 2;
        if (rehash(t, scap))
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct stmt__tail_slot *sl = slot_of(t, terms[i]);
        struct stmt__tail_ent *e = &t->e[t->n];
        e->term = terms[i];
        e->seq = seq;
        if (sl->head == NIL) {
            sl->term = terms[i];
            sl->count = 0;
            t->nterms++;
            e->prev = NIL;
        } else {
            e->prev = sl->head;
        }
        sl->head = (uint32_t)t->n++;
        sl->count++;
    }
    if (seq > t->max_seq)
        t->max_seq = seq;
    return 0;
}

void stmt__tail_prune(struct stmt__tail *t, int64_t upto)
{
    size_t k = 0;
    while (k < t->n && t->e[k].seq <= upto)
        k++;
    if (!k)
        return;
    memmove(t->e, t->e + k, (t->n - k) * sizeof *t->e);
    t->n -= k;
    if (t->scap && rehash(t, t->scap)) {
        /* Cannot happen (same size), but stay consistent: an empty table finds nothing, so
         * drop the entries too and let queries see them once folded. */
        t->n = 0;
    }
    if (t->n == 0 && t->cap > 65536) {
        /* after a burst, give the memory back */
        sc_free(t->e);
        t->e = NULL;
        t->cap = 0;
        sc_free(t->slots);
        t->slots = NULL;
        t->scap = 0;
        t->nterms = 0;
    }
}

size_t stmt__tail_count(const struct stmt__tail *t, uint64_t term)
{
    if (!t->scap)
        return 0;
    const struct stmt__tail_slot *sl = slot_of(t, term);
    return sl->head == NIL ? 0 : sl->count;
}

int stmt__tail_seqs(const struct stmt__tail *t, uint64_t term, int64_t **out, size_t *n)
{
    size_t cnt = stmt__tail_count(t, term), i = 0;
    int64_t *v;
    *out = NULL;
    *n = 0;
    if (!cnt)
        return 0;
    v = sc_malloc(cnt * sizeof *v);
    if (!v)
        return -1;
    for (uint32_t e = slot_of(t, term)->head; e != NIL && i < cnt; e = t->e[e].prev)
        v[i++] = t->e[e].seq;
    *out = v;
    *n = i;
    return 0;
}

static size_t pow2_at_least(size_t n, size_t min)
{
    size_t c = min;
    while (c < n)
        c *= 2;
    return c;
}

/* Insert the (term, head, count) of every used slot of `from` into the empty table `to`. */
static void slots_copy(const struct stmt__tail *from, struct stmt__tail *to)
{
    for (size_t i = 0; i < from->scap; i++) {
        const struct stmt__tail_slot *o = &from->slots[i];
        if (o->head != NIL)
            *slot_of(to, o->term) = *o;
    }
    to->nterms = from->nterms;
}

static int alloc_slots(struct stmt__tail *t, size_t scap)
{
    t->slots = sc_malloc(scap * sizeof *t->slots);
    if (!t->slots)
        return -1;
    t->scap = scap;
    for (size_t i = 0; i < scap; i++)
        t->slots[i].head = NIL;
    return 0;
}

int stmt__tail_prepare(const struct stmt__tail *t, size_t more, struct stmt__tail *next)
{
    memset(next, 0, sizeof *next);
    if (t->n + more <= t->cap && (t->nterms + more) * 2 <= t->scap)
        return 0;
    if (t->n + more >= NIL)
        return -1;
    next->cap = t->n + more <= t->cap ? t->cap : pow2_at_least(t->n + more, 4096);
    next->e = sc_malloc(next->cap * sizeof *next->e);
    if (!next->e || alloc_slots(next, (t->nterms + more) * 2 <= t->scap
                                          ? t->scap
                                          : pow2_at_least((t->nterms + more) * 2, 4096))) {
        stmt__tail_free(next);
        return -1;
    }
    if (t->n)
        memcpy(next->e, t->e, t->n * sizeof *t->e); /* prev links are indices: still valid */
    next->n = t->n;
    next->max_seq = t->max_seq;
    slots_copy(t, next);
    return 0;
}

int stmt__tail_pruned(const struct stmt__tail *t, int64_t upto, struct stmt__tail *next)
{
    size_t k = 0, left;
    memset(next, 0, sizeof *next);
    next->max_seq = t->max_seq;
    while (k < t->n && t->e[k].seq <= upto)
        k++;
    left = t->n - k;
    if (!left)
        return 0; /* all folded: the empty tail */
    next->cap = pow2_at_least(left, 4096);
    next->e = sc_malloc(next->cap * sizeof *next->e);
    if (!next->e ||
        alloc_slots(next, pow2_at_least(2 * left < t->scap ? 2 * left : t->scap, 4096))) {
        stmt__tail_free(next);
        next->max_seq = t->max_seq;
        return -1;
    }
    for (size_t i = 0; i < left; i++) {
        struct stmt__tail_ent *e = &next->e[i];
        struct stmt__tail_slot *sl;
        *e = t->e[k + i];
        /* a previous entry of the same term is either folded too or shifted by k */
        e->prev = e->prev != NIL && e->prev >= k ? (uint32_t)(e->prev - k) : NIL;
        sl = slot_of(next, e->term);
        if (sl->head == NIL) {
            sl->term = e->term;
            sl->count = 0;
            next->nterms++;
        }
        sl->head = (uint32_t)i;
        sl->count++;
    }
    next->n = left;
    return 0;
}

void stmt__tail_free(struct stmt__tail *t)
{
    sc_free(t->e);
    sc_free(t->slots);
    memset(t, 0, sizeof *t);
}
