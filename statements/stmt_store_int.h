/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the statement store (stmt_store.c, stmt_writer.c, stmt_index.c, stmt_query.c):
 * the store object, the record format, the prepared-statement form the writer consumes. */
#ifndef STMT_STORE_INT_H
#define STMT_STORE_INT_H

#include "statements/stmt_store.h"
#include "statements/stmt_db_int.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>

/* Record in "stmt": fixed header, nterms big-endian term hashes, then the compact JSON.
 *   [0] format (1)  [1] flags  [2..3] nterms (BE)  [4..19] id  [20..35] ref target id */
#define STMT_REC_FORMAT 1
#define STMT_REC_HDR 36
#define STMT_REC_VOIDING 0x01u /* verb voided + object StatementRef (Data 2.3.2) */
#define STMT_REC_REF 0x02u     /* object is a StatementRef (any verb) */

#define STMT_TERM_AGENT 'a'
#define STMT_TERM_VERB 'v'
#define STMT_TERM_ACTIVITY 'o'
#define STMT_TERM_REGISTRATION 'r'
#define STMT_TERM_REL_ACTIVITY 'A'
#define STMT_TERM_REL_AGENT 'G'

/* Deferred indexing: fold after a commit once FOLD_MIN statements wait, or once the writer has
 * been idle for FOLD_IDLE_MS; at most FOLD_MAX per transaction. A fold rewrites most leaf pages
 * of the index whatever its size, so large folds are cheaper per statement (measured at 400k
 * statements: 4,000/20,000 -> 98 folds, 22.7 s; 50,000/200,000 -> 8 folds, 7.0 s); the price
 * is that acknowledgements wait while a fold runs (about 0.5 s for 100,000 statements) and
 * Consistent-Through lags by up to FOLD_MIN statements under sustained load.
 * bench/results/store.md. */
#define STMT_FOLD_MIN 50000
#define STMT_FOLD_MAX 100000
#define STMT_FOLD_IDLE_MS 20

/* Fold epochs (stmt_epoch.c): index and id keys begin with the epoch of their statement, a
 * run of STMT_EPOCH_SIZE consecutive statements, so a fold writes only pages of the newest
 * epoch's key range. LMDB 0.9.24 keeps a write transaction's dirty pages in process memory
 * for good (me_dpages), so this bounds memory outside the map by the epoch's index size
 * whatever the store holds (bench/results/store.md). */
#define STMT_EPOCH_SIZE 65536
#define STMT_LAYOUT 2   /* "layout" in stmt_meta: 2 = epoch-prefixed keys (absent: 1, unprefixed) */
#define STMT_IDX_KEY 20 /* epoch(4) ‖ term(8) ‖ seq(8) */
#define STMT_ID_KEY 20  /* epoch(4) ‖ id(16) */

#define STMT_REF_DEPTH 8 /* StatementRef chains followed at most this deep (G5) */

#define STMT_VOIDED_VERB "http://adlnet.gov/expapi/verbs/voided"

struct stmt__req;
struct stmt__rstate;

/** id -> seq of committed statements whose "stmt_id" entry is deferred to the next fold. Open
 *  addressing; seq 0 marks an empty slot (stored times are > 0). */
struct stmt__idmap {
    unsigned char (*keys)[16];
    int64_t *vals;
    size_t cap, n;
};
int stmt__idmap_put(struct stmt__idmap *m, const unsigned char id[16], int64_t seq);
int64_t stmt__idmap_get(const struct stmt__idmap *m, const unsigned char id[16]);
/** Drop entries with seq <= upto (they are in "stmt_id" now). */
void stmt__idmap_prune(struct stmt__idmap *m, int64_t upto);
void stmt__idmap_clear(struct stmt__idmap *m);
void stmt__idmap_free(struct stmt__idmap *m);

/** The unfolded tail (stmt_tail.c): (term, seq) of every committed statement after the last
 *  fold, each linked to the previous entry of its term; under st->lock. */
struct stmt__tail_ent {
    uint64_t term;
    int64_t seq;
    uint32_t prev; /* previous entry of the same term, UINT32_MAX: none */
};
struct stmt__tail_slot {
    uint64_t term;
    uint32_t head; /* newest entry of the term, UINT32_MAX: empty slot */
    uint32_t count;
};
struct stmt__tail {
    struct stmt__tail_ent *e;
    size_t n, cap;
    struct stmt__tail_slot *slots;
    size_t scap, nterms; /* scap a power of two, at most half full */
    int64_t max_seq;     /* newest statement ever added (never decreases) */
};
/** Pseudo-term under which the tail also lists every statement whose object is a
 *  StatementRef: queries take those as candidates too, so the StatementRef filter rule (G5,
 *  which the fold writes as index entries of the referrer) holds for the tail as well. */
#define STMT_TAIL_REF_TERM 0x7265662d7461696cULL
/** Add statement seq (newer than any added) with its n terms. 0, or -1 out of memory (the
 *  tail is then unchanged for this statement... or partly: the caller folds at once). */
int stmt__tail_add(struct stmt__tail *t, int64_t seq, const uint64_t *terms, size_t n);
/** Writer, without the lock: when adding `more` entries would grow the arrays, build into
 *  *next a copy of t with room for them (swap it in under the lock, then free the old one);
 *  else *next is left empty (next->e NULL). 0, or -1 out of memory (*next empty). */
int stmt__tail_prepare(const struct stmt__tail *t, size_t more, struct stmt__tail *next);
/** Writer, without the lock: *next = the tail without the statements with seq <= upto (what
 *  a fold committed), to swap in under the lock. 0, or -1 out of memory (*next empty). */
int stmt__tail_pruned(const struct stmt__tail *t, int64_t upto, struct stmt__tail *next);
/** Drop the statements with seq <= upto in place (a fold committed them to "stmt_idx"). */
void stmt__tail_prune(struct stmt__tail *t, int64_t upto);
/** Entries of `term` in the tail. */
size_t stmt__tail_count(const struct stmt__tail *t, uint64_t term);
/** The seqs of `term`, newest first, into an owned array (sc_free). 0 or -1 (no memory). */
int stmt__tail_seqs(const struct stmt__tail *t, uint64_t term, int64_t **out, size_t *n);
void stmt__tail_free(struct stmt__tail *t);

/** The epochs of a store as one transaction sees them: n big-endian first stored values (the
 *  "epochs" value of stmt_meta, read in place, or the writer's own copy). */
struct stmt__epv {
    const unsigned char *first;
    uint32_t n;
};

struct stmt__filter {
    const unsigned char *b;
    size_t bytes;
};

/** The writer's epochs: committed state, plus the Bloom filters of the ids of the epochs whose
 *  filter is not in stmt_meta yet (stmt_epoch.c). */
struct stmt__epochs {
    unsigned char *first; /* n x be64 */
    uint32_t n, cap;
    uint64_t fill; /* statements folded into the last epoch */
    /* bloom[e] for persisted <= e < nbloom: the open epoch and those closed by the
     * transaction in progress; NULL if the allocation failed (lookups probe the epoch).
     * Epochs below `persisted` have their filter in stmt_meta (or none: probed). */
    unsigned char **bloom;
    uint32_t nbloom, persisted;
    size_t bloom_bytes; /* a power of two; fixed at open */
    /* The writer's read snapshot of the persisted filters during one write transaction,
     * and the filters it has looked up (snap_b[0..snap_n), cap entries). */
    struct stmt_db_txn *snap;
    struct stmt__filter *snap_b;
    uint32_t snap_n;
};

/** A shared store's group, as its transaction wrote it: key (8) ‖ record of each statement, in
 *  stored order, record i at off[i] (stmt_fold.c). The inline fold reads them from here
 *  instead of from the database. */
struct stmt__grecs {
    unsigned char *buf;
    size_t len, cap;
    size_t *off; /* n + 1 entries */
    size_t n, ocap;
    int64_t after; /* the records follow every folded one: stored > after = indexed_us */
    int usable;    /* set by the writer when indexed_us = last stored at the group's start */
};

struct stmt_store {
    struct stmt_db *db;
    /* The tables by their registered names (stmt__db_table_ref: found without a string
     * comparison); the store reaches them through stmt_db.h only (issue 19). */
    struct {
        const char *stmt, *id, *voided, *ref, *idx, *meta, *rpt;
    } tbl;
    struct stmt__rstate *rpt; /* writer only: queued facts, counter cache (stmt_report.c) */
    unsigned char cursor_key[32];
    size_t max_limit;

    pthread_mutex_t lock;
    pthread_cond_t work; /* writer waits for batches */
    pthread_cond_t done; /* callers wait for their commit */
    struct stmt__req *head, *tail;
    /* Adaptive group gathering (stmt_writer.c): requests queued, the size of the last group,
     * the last commit's duration, and whether the writer waits for gather_target requests. */
    size_t queued, last_group, gather_target;
    int64_t last_commit_us;
    int gathering;
    int closing;
    int busy;             /* writer has taken a group and not yet acknowledged it */
    int64_t busy_from_us; /* first stored value the current group may use, minus one */
    int64_t committed_us; /* stored time of the last committed statement */
    int64_t last_us;      /* last assigned stored (writer only) */
    int64_t indexed_us;   /* every statement with stored <= this is in the indexes */
    int64_t unfolded_us;  /* stored of the oldest statement not folded, when there is one */
    size_t unindexed;     /* committed statements not yet folded into the indexes */
    int fold_failed;      /* the last fold wrote nothing (error): wait for a commit */
    int fold_err;         /* that fold's error (STMT_STORE_ERR_FULL on a full disk) */
    int sync_waiters;     /* callers blocked in stmt_store_sync */
    int index_inline;     /* index in the commit itself instead of folding later */
    /* The database may have other writers (PostgreSQL: other nodes, issue 19): index_inline,
     * one epoch without Bloom filters, the writer's state (last stored, indexed_through,
     * epochs) read again in each write transaction, queries' snapshots from the database. */
    int shared;
    size_t fold_min, fold_max;  /* deferred indexing thresholds (stmt_store_opts) */
    size_t epoch_size;          /* statements per fold epoch (stmt_store_opts) */
    struct stmt__epochs ep;     /* writer only (and open/close) */
    size_t open_folded;         /* statements stmt_store_open folded before serving */
    int open_migrated;          /* stmt_store_open converted a layout 1 store or reindexed */
    int reindex;                /* stmt_store_opts.reindex */
    struct stmt__idmap recent;  /* committed, not yet folded ids (under lock; writer writes) */
    struct stmt__idmap pending; /* ids written by the open group transaction (writer only) */
    struct stmt__tail utail;    /* terms of committed, not yet folded statements (under lock) */
    pthread_t writer;
    int writer_started;
    struct stmt__obx *obx;    /* forwarding and webhook filters (stmt_outbox.c) */
    struct stmt__grecs grecs; /* shared stores: the open group's records (writer only) */
    /* opened on a full disk: the statements served unfolded, from memory (stmt_unfolded.c) */
    size_t open_full;
};

/** One statement prepared in the caller's thread. */
struct stmt__prep {
    cJSON *src; /* the caller's tree (borrowed), for the immutability comparison */
    unsigned char id[16];
    char id_str[STMT_STORE_UUID_LEN];
    int had_id;
    int has_timestamp;
    unsigned flags;
    unsigned char ref[16];
    uint64_t *terms;         /* own terms, deduplicated */
    struct stmt__rfacts *rf; /* report facts (stmt_report.c); the writer takes them */
    size_t nterms;
    char *json; /* compact JSON without its closing brace, no "stored" */
    size_t json_len;
    /* set by the writer */
    int dup;
    int64_t stored_us;
};

struct stmt__req {
    struct stmt__req *next;
    struct stmt__prep *items;
    size_t n;
    const struct stmt_row *rows; /* written in the same transaction (stmt_store_insert_rows) */
    size_t nrows;
    int (*fn)(struct stmt_db_txn *, void *); /* run in the same transaction (insert_fn) */
    void *fn_ctx;
    int fn_rc; /* fn's failure: the request is left out of the group's retry */
    int rc;
    size_t bad_index;
    /* Posted by the writer once this request is acknowledged: each caller is woken alone (a
     * broadcast on one condition variable made every waiter of a group fight for st->lock). */
    sem_t acked;
};

/* stmt_index.c */
uint64_t stmt__term_hash(char kind, const char *value, size_t len);
/** Own terms of a statement tree into an owned, sorted, deduplicated array. */
int stmt__terms_collect(const cJSON *stmt, uint64_t **out, size_t *n);
int stmt__uuid_parse(const char *s, unsigned char out[16]);
void stmt__uuid_format(const unsigned char id[16], char out[STMT_STORE_UUID_LEN]);
void stmt__be64_put(unsigned char *p, uint64_t v);
uint64_t stmt__be64_get(const unsigned char *p);
/** Flags and ref target of a statement tree (voiding / StatementRef). */
unsigned stmt__ref_of(const cJSON *stmt, unsigned char ref[16]);

/* stmt_epoch.c */
/** The epochs as `t` sees them (an empty view on a new store). 0 or an stmt_db error. */
int stmt__epv_read(struct stmt_store *st, struct stmt_db_txn *t, struct stmt__epv *out);
/** The view of an "epochs" value v (vl bytes, borrowed; NULL: an empty view). 0 or
 *  STMT_DB_ERR_CORRUPT. */
int stmt__epv_from(const void *v, size_t vl, struct stmt__epv *out);
/** The epoch holding stored value `seq` (the last whose first value is <= seq; 0 if none). */
uint32_t stmt__epv_of(const struct stmt__epv *v, uint64_t seq);
uint64_t stmt__epv_first(const struct stmt__epv *v, uint32_t e);
void stmt__be32_put(unsigned char *p, uint32_t v);
uint32_t stmt__be32_get(const unsigned char *p);
/** "stmt_idx" key of (epoch, term, seq) into key[STMT_IDX_KEY]. */
void stmt__idx_key(unsigned char *key, uint32_t epoch, uint64_t term, uint64_t seq);
/** Stored value of a statement id in "stmt_id": the epochs of `v`, newest first, skipping
 *  those whose Bloom filter rules the id out (writer: `writer` 1, the filters it holds and the
 *  persisted ones; other threads: 0, the persisted filters of the epochs closed in t's
 *  snapshot). STMT_DB_OK with *seq set, STMT_DB_NOTFOUND or an stmt_db error. */
int stmt__id_find_t(struct stmt_store *st, struct stmt_db_txn *t, const struct stmt__epv *v,
                    int writer, const unsigned char id[16], uint64_t *seq);
/** Writer, after each write transaction (committed or not): end its snapshot of the persisted
 *  filters; after a commit, free the filters of the epochs it closed (they are persisted). */
void stmt__epochs_txn_end(struct stmt__epochs *ep, int committed);
/** Writer, in the fold that closes epoch e: persist its filter in stmt_meta. 0 or an stmt_db
 *  error. */
int stmt__bloom_close(struct stmt_store *st, struct stmt_db_txn *t, uint32_t e);
/** The persisted filter of closed epoch e in txn's snapshot on id: 1 it may hold the id, 0 it
 *  rules it out, -1 there is no filter (scolar check). */
int stmt__bloom_test(struct stmt_store *st, struct stmt_db_txn *t, uint32_t e,
                     const unsigned char id[16]);
void stmt__bloom_add(struct stmt__epochs *ep, uint32_t epoch, const unsigned char id[16]);
/** Make room for epoch n (n == ep->n: a new epoch starting at `first`). 0 or ENOMEM. */
int stmt__epochs_push(struct stmt__epochs *ep, uint64_t first);
void stmt__epochs_free(struct stmt__epochs *ep);
/** At open: migrate an unprefixed (layout 1) store by emptying its id and index tables (the
 *  fold then rebuilds them), load the writer's epochs and the open epoch's Bloom filter. */
int stmt__epochs_open(struct stmt_store *st);
/** Write the epochs and the fill of the last one into stmt_meta (in the fold's transaction).
 *  0 or an stmt_db error. */
int stmt__epochs_put(struct stmt_store *st, struct stmt_db_txn *t, const struct stmt__epochs *ep);

/* stmt_writer.c */
void *stmt__writer_main(void *arg);
/* stmt_fold.c */
/** Fold every committed statement into the indexes (used at open, before the writer runs). */
int stmt__fold_all(struct stmt_store *st);
/** Fold up to max committed statements in a transaction of its own; the number folded. */
size_t stmt__fold(struct stmt_store *st, size_t max);
/** Fold up to max committed statements after indexed_us in t (inline: the group's own). */
int stmt__fold_txn(struct stmt_store *st, struct stmt_db_txn *t, size_t max, int64_t *last,
                   size_t *n, int64_t *next);
/** The writer's copy of a record it wrote in the open group (st->grecs). Out of memory the list
 *  is no longer usable: the fold then reads the records from the database. */
void stmt__grecs_add(struct stmt__grecs *g, const unsigned char seq8[8], const void *rec,
                     size_t len);
/** Empty the list for a new transaction: usable when every record stored <= after is folded. */
void stmt__grecs_reset(struct stmt__grecs *g, int usable, int64_t after);
void stmt__grecs_free(struct stmt__grecs *g);
/** *yes when id has a "stmt_ref" referrer stored <= upto (*cur: a cursor of t, opened by the
 *  first call; the caller closes it). 0 or a store error. */
int stmt__has_folded_referrer(struct stmt_store *st, struct stmt_db_txn *t,
                              struct stmt_db_cursor **cur, const unsigned char id[16], int64_t upto,
                              int *yes);
/** Opening on a full disk (stmt_unfolded.c): the statements after indexed_us into the in-memory
 *  id map and tail instead of a fold; sets open_full. */
int stmt__unfolded_load(struct stmt_store *st);
/** Rough immutability comparison (see stmt_writer.c). 1 when equal. */
int stmt__same_content(const cJSON *incoming, const char *stored_json, size_t len);

/** Record of a statement id as the writer's transaction t sees it (written by the open group,
 *  committed and not folded, or in "stmt_id"): its stored value in *seq, the record in
 *  *rec and *len (borrowed until the next write of t). STMT_DB_OK, STMT_DB_NOTFOUND or an
 *  stmt_db error. Writer only. */
int stmt__rec_by_id_t(struct stmt_store *st, struct stmt_db_txn *t, const unsigned char id[16],
                      uint64_t *seq, const unsigned char **rec, size_t *len);

/* stmt_report.c */
struct stmt__rfacts;
/** Caller thread: what statement tree s adds to the report tallies (owned; free with
 *  stmt__report_facts_free). STMT_STORE_OK or STMT_STORE_ERR_NOMEM. */
int stmt__report_facts(const cJSON *s, struct stmt__rfacts **out);
void stmt__report_facts_free(struct stmt__rfacts *f);
/** Writer: the facts of statement seq, for its fold (consumes f; dropped when memory is short:
 *  the fold then reads the record). */
void stmt__report_queue(struct stmt_store *st, int64_t seq, struct stmt__rfacts *f);
/** Writer: forget queued facts of statements after `after` (their transaction aborted). */
void stmt__report_unqueue(struct stmt_store *st, int64_t after);
/** Writer, in the fold transaction, for each record in stored order before its index entries:
 *  add the statement to the report tallies, or for a voiding statement take its target out
 *  (stmt_report.h). Counters go through a write-back cache: stmt__report_flush writes them
 *  before the commit, stmt__report_discard drops them when the transaction aborts. rec is
 *  read before any write. 0 or a store error. */
int stmt__report_fold(struct stmt_store *st, struct stmt_db_txn *txn, const unsigned char *rec,
                      size_t len, uint64_t seq);
int stmt__report_flush(struct stmt_store *st, struct stmt_db_txn *txn);
/** Writer, optional, before folding the statements stored in [first, last] in txn: load the
 *  tally counters and texts their queued facts will touch with a few stmt_db_get_many calls
 *  (stmt_report_prefetch.c: on PostgreSQL three round trips instead of about three per
 *  statement; on LMDB it saves nothing). 0, or a store error: then the cache is dropped and
 *  txn must be aborted (stmt__report_discard). */
int stmt__report_prefetch(struct stmt_store *st, struct stmt_db_txn *txn, int64_t first,
                          int64_t last);
void stmt__report_discard(struct stmt_store *st);
void stmt__report_free(struct stmt_store *st);

/* stmt_outbox.c: the filters of stmt_outbox.h; the writer writes a group's outbox rows in
 * its transaction (after every request of the group was written). 0 or a store error. */
int stmt__outbox_init(struct stmt_store *st);
void stmt__outbox_free(struct stmt_store *st);
int stmt__outbox_write(struct stmt_store *st, struct stmt_db_txn *txn, struct stmt__req *group);

/* stmt_query.c: voided state of a record (id in the voided set and not itself voiding). */
int stmt__is_voided(struct stmt_store *st, struct stmt_db_txn *t, const unsigned char *rec,
                    size_t len);
/* stmt_store.c, shared stores: the writer's last stored value, indexed_through and epochs as
 * write transaction t sees them (other nodes write too); 0 or an stmt_db error. */
int stmt__store_resync(struct stmt_store *st, struct stmt_db_txn *t);
/** The voided set ("stmt_voided": ids of voided statements) as a read transaction saw it, when
 *  it is small: ids[0..n) in key order, borrowed until the transaction ends, when all is 1;
 *  all 0: not read (look each id up). */
#define STMT_VOIDED_VIEW 32
struct stmt__voided_view {
    struct stmt_db_kv ids[STMT_VOIDED_VIEW + 1];
    size_t n;
    int all;
};
/** The entry of id (len bytes) in vv when vv holds the whole set and has it, else NULL. */
const struct stmt_db_kv *stmt__vv_find(const struct stmt__voided_view *vv, const void *id,
                                       size_t len);
/* stmt_store.c, shared stores: a read transaction for a query or a get (*out), begun in one
 * round trip with its snapshot's indexed_through (*seq: the stored value through which its
 * snapshot holds every statement, indexed; 0 on an empty store) and epochs
 * (*ev, borrowed until the transaction ends), and with vv the voided set when it has at
 * most STMT_VOIDED_VIEW ids (vv->all; the same round trip). This thread's next
 * stmt_store_consistent_through answers *seq, or the database's clock read before the
 * snapshot began when no node was writing then (stmt_db_pg_idle.c). 0 or an stmt_db error
 * (nothing open). */
int stmt__store_read_begin(struct stmt_store *st, struct stmt_db_txn **out, uint64_t *seq,
                           struct stmt__epv *ev, struct stmt__voided_view *vv);
/* stmt_epoch.c, shared stores: st->ep from the "epochs" and "epoch_fill" values of stmt_meta
 * as a transaction read them (val NULL: absent). 0 or an stmt_db error. */
int stmt__epochs_reload(struct stmt_store *st, const struct stmt_db_kv *epochs,
                        const struct stmt_db_kv *fill);
/* stmt_store.c: st->tbl from st->db (the registered names). */
void stmt__store_names(struct stmt_store *st);

/* stmt_store.c: a stmt_db code as the store's (enum stmt_store_err). */
int stmt__db_to_store(int rc);

#endif
