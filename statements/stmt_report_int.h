/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the activity report tallies (stmt_report*.c): what one statement contributes
 * (stmt_report_facts.c), the layout of the tallies' keys and values shared by the fold
 * (stmt_report.c) and the reader (stmt_report_read.c).
 */
#ifndef STMT_REPORT_INT_H
#define STMT_REPORT_INT_H

#include <stdint.h>
#include <string.h>

#include "statements/stmt_report.h"
#include "statements/stmt_store_int.h"

/* The length of a report day: a UTC day; SCOLAR_REPORT_DAY_US shortens it for tests only
 * (like SCOLAR_FOLD_EPOCH), so that a test crosses many days. */
int64_t stmt__report_day_us(void);

#define PF_PASSED 1
#define PF_FAILED 2

/* What one statement contributes, computed in the caller's thread from its parsed tree
 * (stmt__report_facts) and handed to the writer with the statement, or, for statements
 * folded without them (a backlog at open, a reindex), from the record's JSON. Texts are not
 * kept: when a verb, question or response is new to the store, the fold reads them from the
 * record. */
struct stmt__rfacts {
    /* actor: who counts (an anonymous Group: its sorted members); walk: the index term under
     * which the actor's statements are found (an anonymous Group: its first sorted member) */
    uint64_t actor, walk, verb_h, obj, qh, rh;
    double scaled;
    unsigned char has_obj, completed, pf, has_score, question, success, has_resp, nctx;
    uint64_t ctx[];
};

/* Texts of a statement, borrowed from its tree. */
struct stmt__rtexts {
    const char *verb, *qid, *qname, *response;
};

#define STMT__RFACTS_MAX (sizeof(struct stmt__rfacts) + STMT_REPORT_MAX_CONTEXT * sizeof(uint64_t))

/* Facts (into f, room for STMT_REPORT_MAX_CONTEXT) and texts of a statement tree. */
void stmt__report_facts_of(const cJSON *s, struct stmt__rfacts *f, struct stmt__rtexts *t);

/* The latest passed/failed (PF_*) of (act, actor ordinal) among the 'F' keys stored in
 * [lo, below): *pf 0 when none (stmt_report.c). */
int stmt__report_latest_pf(struct stmt_store *st, struct stmt_db_txn *txn, uint64_t act,
                           uint32_t ord, uint64_t below, uint64_t lo, unsigned *pf);

static inline uint64_t stmt__report_hash(char kind, const char *s)
{
    return stmt__term_hash(kind, s, strlen(s));
}

static inline const char *stmt__report_str_member(const cJSON *o, const char *name)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* Keys of the tallies table: a kind byte, the activity hash, then big-endian fields. */
struct key {
    unsigned char b[40];
    size_t n;
};

static inline void key_start(struct key *k, char kind, uint64_t act)
{
    k->b[0] = (unsigned char)kind;
    stmt__be64_put(k->b + 1, act);
    k->n = 9;
}

static inline void key_u32(struct key *k, uint32_t v)
{
    stmt__be32_put(k->b + k->n, v);
    k->n += 4;
}

static inline void key_u64(struct key *k, uint64_t v)
{
    stmt__be64_put(k->b + k->n, v);
    k->n += 8;
}

#define CHUNK 2048       /* actors per bitmap chunk (4 bitmaps: 1 KiB, no overflow page) */
#define BMW (CHUNK / 64) /* words of one bitmap */
/* Bitmap words: 'B' act chunk -> seen, completed, passed, failed (all time, 8 words each);
 * 'b' act day chunk -> seen, completed (that day). */
#define BM_SEEN 0
#define BM_COMP BMW
#define BM_PASS (2 * BMW)
#define BM_FAIL (3 * BMW)

/* Scores in 'D' act day: count, sum, min, max (doubles as bits), stale, histogram[10]. Voiding
 * takes a score out of count, sum and histogram exactly; when it was the day's min or max, the day
 * is marked stale and a report recomputes min/max of that day from its statements. */
/* 'D' act day: statements and actors of the day, then the day's scores (H_*). */
enum { D_ST, D_ACT, H_N, H_SUM, H_MIN, H_MAX, H_STALE, H_HIST, D_NV = H_HIST + 10 };

/* For the prefetch (stmt_report_prefetch.c), stmt_report.c: */
/* The per-transaction start of the fold (version row, voided set) if not done in txn yet. */
int stmt__report_txn(struct stmt_store *st, struct stmt_db_txn *txn);
/* The queued facts of the statements stored in [first, last], in order (borrowed until their
 * fold), at most max: their number. */
size_t stmt__report_queued(struct stmt_store *st, int64_t first, int64_t last,
                           const struct stmt__rfacts **f, int64_t *seq, size_t max);
/* The nv counters of key k in the cache: the entry there, or a new one of zeros (*fresh 1: the
 * caller fills it with the table's value before the fold uses it); *key the entry's own copy of
 * the key (stable until the cache is flushed). NULL when the cache is full or out of memory. */
uint64_t *stmt__report_slot(struct stmt_store *st, const struct key *k, size_t nv, int *fresh,
                            const unsigned char **key);
/* Is the text behind hash h known to be stored (add 1: it is now)? */
int stmt__report_known(struct stmt_store *st, uint64_t h, int add);
/* Drop the cache (a prefetch that failed left entries unfilled: its transaction aborts). */
void stmt__report_forget(struct stmt_store *st);

static inline double dget(const uint64_t *v, int i)
{
    double d;
    memcpy(&d, &v[i], 8);
    return d;
}

#endif
