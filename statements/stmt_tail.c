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
 * drops the prefix it folded and the table is rebuilt from what is left (folds are rare, and
 * a fold run while clients keep writing leaves at most what arrived during it). Everything
 * is under st->lock.
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

void stmt__tail_free(struct stmt__tail *t)
{
    sc_free(t->e);
    sc_free(t->slots);
    memset(t, 0, sizeof *t);
}
