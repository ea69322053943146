/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The xAPI statement store: durable single-writer group commit, secondary indexes, a query
 * planner with signed `more` cursors, and voiding (xAPI 1.0.3 Data 2.3, Communication 2.1;
 * reference/xapi-lrs.md S1-S10, A1-A3, G1-G10; DESIGN.md "Storage"; security.md 8).
 *
 * Layout in the LMDB environment of struct stmt_db (all keys big-endian so byte order is
 * numeric order and appends use MDB_APPEND; no DUPSORT, security.md 8):
 *   "stmt"        seq(8)                  -> record: header, own index terms, compact JSON
 *   "stmt_id"     uuid(16)                -> seq(8)
 *   "stmt_voided" target uuid(16)         -> seq(8) of the first voiding statement
 *   "stmt_ref"    target uuid(16) seq(8)  -> "" (who refers to a statement, for G5)
 *   "stmt_idx"    term hash(8) seq(8)     -> "" (one entry per term of a statement)
 *   "stmt_meta"   "cursor_key"            -> 32 random bytes (HMAC key of `more` cursors)
 *                 "indexed_through"       -> seq(8): every statement up to it is in stmt_idx
 *
 * The sequence IS the stored time in microseconds: the writer assigns
 * stored_us = max(now_us, last_stored_us + 1) (xapi-lrs.md A1), so one key orders by stored,
 * since/until are key ranges, and index walks are in stored order.
 *
 * Writes: ONE writer thread (indexing deferred by default: see struct stmt_store_opts).
 * stmt_store_insert() prepares a batch in the caller's thread (compact JSON, term hashes), queues
 * it and blocks; the writer takes every queued batch into one LMDB write transaction, checks each
 * batch's conflicts before writing any of it (so a failing batch writes nothing and the others go
 * on), commits (fsync, no unsafe flags) and only then wakes the callers. MDB_MAP_FULL aborts the
 * transaction, grows the map and redoes the whole group. Deferred indexing (measured in
 * bench/results/store.md): a group commit writes records, ids, references and the voided set
 * (all single gets are exact at once); index entries are folded later from the records'
 * term lists in transactions of 50,000-100,000 statements, because with random term keys a
 * fold costs about the same number of page writes whether it holds 1,000 or 100,000
 * statements. Until then the writer keeps the terms of committed, unfolded statements in
 * memory (the unfolded tail, stmt_tail.c), published before the ack: queries walk the folded
 * index and the tail, so they see every acknowledged statement (read-your-writes), and
 * Consistent-Through is the present.
 *
 * Index terms (64-bit FNV-1a hash of a kind byte and the value; collisions are confirmed
 * against the record: the hash must be among the record's own terms and the value text must
 * occur in the record's JSON):
 *   'a' agent: actor and object Agent/Group IFI, and each Group member's IFI
 *   'v' verb id          'o' object Activity id          'r' context.registration
 *   'A' related activities: object Activity, context activities, the same in a SubStatement
 *   'G' related agents: actor, object agent, authority, instructor, team, group members, and
 *       the same in a SubStatement
 * A statement whose object is a StatementRef also gets the terms of its target (and of the
 * target's target, ...) so that the StatementRef filter rule (Comm 2.1.3, G5) is an index walk;
 * a target that arrives after its referrer hands its terms to the referrers then.
 *
 * Threads: every function is thread-safe once open returned; close must not race others.
 */
#ifndef STMT_STORE_H
#define STMT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "statements/stmt_db.h"

/** Codes of the store (stmt_db.h uses -1..-10, stmt_json.h -100..-199). */
enum stmt_store_err {
    STMT_STORE_OK = 0,
    STMT_STORE_ERR_CONFLICT = -200,     /* same id, different content (Comm 2.1.1: 409) */
    STMT_STORE_ERR_VOID_VOIDING = -201, /* voids a voiding statement (Data 2.3.2: 400) */
    STMT_STORE_ERR_DUP_ID = -202,   /* two statements with one id in a batch (Comm 2.1.2: 400) */
    STMT_STORE_ERR_FULL = -203,     /* storage full, map cannot grow (507/503) */
    STMT_STORE_ERR_IO = -204,       /* LMDB or system failure (500) */
    STMT_STORE_ERR_NOMEM = -205,    /* (500) */
    STMT_STORE_ERR_NOTFOUND = -206, /* single get: absent, voided, or not voided (404) */
    STMT_STORE_ERR_CURSOR = -207,   /* `more` cursor malformed, tampered, expired or for another
                                       query (400) */
    STMT_STORE_ERR_ARG = -208,      /* bad argument: not a statement object, bad id, n == 0 (400) */
    STMT_STORE_ERR_CLOSED = -209,   /* the store is closing (503) */
    STMT_STORE_ERR_DAMAGED = -210,  /* open: id table or indexes unreadable (scolar reindex) */
    STMT_STORE_ERR_FN = -211,       /* stmt_store_insert_fn: the caller's function failed */
};

const char *stmt_store_strerror(int code);

#define STMT_STORE_MAX_LIMIT 500                /* server maximum page size (limit=0 means this) */
#define STMT_STORE_MAX_BATCH 100000             /* statements in one insert */
#define STMT_STORE_CURSOR_TTL_S (7 * 24 * 3600) /* `more` cursors stay valid >= 24 h (Data 2.5) */
#define STMT_STORE_MORE_LEN 128                 /* bytes for the cursor text incl. NUL */
#define STMT_STORE_UUID_LEN 37

struct stmt_store;

struct stmt_store_opts {
    size_t max_limit; /* page maximum; 0 = STMT_STORE_MAX_LIMIT */
    /* 0 (default): deferred indexing. A statement is acknowledged once its record, id and
     * voiding entries are durable; the writer folds index entries into the query indexes in
     * larger transactions (when idle, or once STMT_FOLD_MIN statements wait); queries read
     * the unfolded ones from the in-memory tail meanwhile (stmt_tail.c), so they include
     * every acknowledged statement in both modes (DESIGN.md "Storage", Comm 2.1.3).
     * 1: index entries are written in the same transaction as the records (queries see a
     * statement as soon as its insert returns; several times slower ingest on large stores:
     * bench/results/store.md). Single gets are immediate in both modes. */
    int index_inline;
    /* Deferred indexing: fold once fold_min statements wait (0 = STMT_FOLD_MIN, 50,000), at
     * most fold_max per transaction (0 = STMT_FOLD_MAX, 100,000), and never past the end of
     * an epoch (epoch_size). bench/results/store.md. */
    size_t fold_min, fold_max;
    /* Statements per fold epoch (0 = STMT_EPOCH_SIZE, 65,536). Index and id keys are
     * prefixed by their epoch so a fold writes only the newest epoch's pages: this bounds the
     * fold's dirty pages, which LMDB keeps in process memory, by the epoch size instead of the
     * store size. Queries visit each epoch (16 per million statements). Tests use small
     * epochs to cross many boundaries. */
    size_t epoch_size;
    /* 1: empty the id table and the query indexes at open and rebuild them from the records
     * (scolar reindex; what a layout 1 store gets at its first open). */
    int reindex;
};

/**
 * Open the statement store on an open stmt_db and start its writer thread. db stays owned by
 * the caller and must outlive the store. o may be NULL. Creates the cursor HMAC key on first
 * use. Returns STMT_STORE_OK (then *out is set) or an error code.
 */
int stmt_store_open(struct stmt_db *db, const struct stmt_store_opts *o, struct stmt_store **out);

/** Stop accepting writes, let queued batches commit, join the writer, free. NULL-tolerant. */
void stmt_store_close(struct stmt_store *st);

/** Result of one insert. ids are owned by the result: free with stmt_insert_result_free. */
struct stmt_insert_result {
    int status;                       /* the return value of stmt_store_insert */
    size_t n;                         /* number of ids (= n statements on success, 0 on failure) */
    char (*ids)[STMT_STORE_UUID_LEN]; /* ids in request order (generated ones included) */
    size_t n_stored;                  /* statements newly stored; 0 with OK = all were identical
                                         duplicates (PUT answers 204, Comm 2.1.1) */
    size_t bad_index;  /* on CONFLICT / VOID_VOIDING / DUP_ID: the offending statement */
    int64_t stored_us; /* stored time of the first newly stored statement, else 0 */
};

void stmt_insert_result_free(struct stmt_insert_result *res);

/**
 * 400 check of Comm 2.1.2 (S4): two statements of the batch carry the same id (compared as
 * UUIDs, case-insensitively). Returns STMT_STORE_OK or STMT_STORE_ERR_DUP_ID and sets
 * *dup_index (may be NULL) to the second occurrence. Statements without an id are skipped.
 */
int stmt_store_check_batch_ids(cJSON *const *stmts, size_t n, size_t *dup_index);

/**
 * Store a batch atomically and return after the transaction holding it is durably committed.
 * stmts are already validated statements (stmt_validate); the store MODIFIES them in place:
 * sets a missing "id" (UUID v4), replaces "authority" with authority_json when that is non-NULL
 * (A3), sets "version" to "1.0.0" when absent (Data 2.4.10), removes a submitted "stored"
 * (Data 2.4.8). The store sets "stored" and a missing "timestamp" (= stored, A2) in the
 * record. The trees stay owned by the caller.
 * A statement whose id is stored with the same content is a no-op (S1, S2); with different
 * content the whole batch fails with STMT_STORE_ERR_CONFLICT and nothing of it is stored.
 * @return STMT_STORE_OK, STMT_STORE_ERR_CONFLICT (409), STMT_STORE_ERR_VOID_VOIDING (400,
 *         Data 2.3.2 "Any Statement that voids another cannot itself be voided"),
 *         STMT_STORE_ERR_DUP_ID (400), STMT_STORE_ERR_ARG, STMT_STORE_ERR_FULL,
 *         STMT_STORE_ERR_IO, STMT_STORE_ERR_NOMEM, STMT_STORE_ERR_CLOSED. res (may be NULL) is
 *         always filled; on failure it holds no ids.
 */
int stmt_store_insert(struct stmt_store *st, cJSON **stmts, size_t n, const char *authority_json,
                      struct stmt_insert_result *res);

/** A record of another module that must be durable together with a statement batch: put
 *  (val non-NULL) or delete (val NULL) key in table (a registered table). Borrowed. */
struct stmt_row {
    const char *table;
    const void *key;
    size_t klen;
    const void *val;
    size_t vlen;
};
/**
 * stmt_store_insert, plus rows written by the writer in the transaction that stores the batch
 * (DESIGN.md: one logical write, one durable transaction): when it returns STMT_STORE_OK both
 * are durable; a refused batch (conflict, ...) writes none of its rows. rows are borrowed for
 * the duration of the call. nrows 0: exactly stmt_store_insert.
 */
int stmt_store_insert_rows(struct stmt_store *st, cJSON **stmts, size_t n,
                           const char *authority_json, const struct stmt_row *rows, size_t nrows,
                           struct stmt_insert_result *res);

/** The work of stmt_store_insert_fn: runs on the writer's thread with the writer's transaction
 *  (lmdb.h: a write transaction is used by one thread only); 0 keeps its writes, anything else
 *  aborts the batch. It may use stmt_db_get/put/del/scan on txn only (no commit, abort, other
 *  transaction, nor pointers from stmt_db_get kept past its return), and may run more than
 *  once (the transaction is retried after the map grows): only the last run's writes commit. */
typedef int (*stmt_store_txn_fn)(struct stmt_db_txn *txn, void *ctx);
/**
 * stmt_store_insert_rows, plus fn(txn, ctx) run by the writer after the batch's statements and
 * rows, in the same transaction: read-modify-write records of another module (counters) that
 * must be durable with the batch. fn returning non-zero aborts the batch: nothing of it (no
 * statement, row, nor fn's writes) is stored, the call returns STMT_STORE_ERR_FN and fn's
 * code is in *fn_rc (may be NULL); other requests of the same group commit as usual. A refused
 * batch (conflict, ...) does not run fn. fn NULL: exactly stmt_store_insert_rows.
 */
int stmt_store_insert_fn(struct stmt_store *st, cJSON **stmts, size_t n, const char *authority_json,
                         const struct stmt_row *rows, size_t nrows, stmt_store_txn_fn fn, void *ctx,
                         int *fn_rc, struct stmt_insert_result *res);

/**
 * Single statement by id (Comm 2.1.3 statementId / voidedStatementId). voided == 0: the
 * statement if it is not voided; voided == 1: the statement only if it is voided (S10).
 * *json_out is owned (NUL-terminated, free with sc_free); stored_us may be NULL.
 * @return STMT_STORE_OK, STMT_STORE_ERR_NOTFOUND, STMT_STORE_ERR_IO, STMT_STORE_ERR_NOMEM.
 */
int stmt_store_get(struct stmt_store *st, const char *id, int voided, char **json_out,
                   int64_t *stored_us);

/**
 * The canonical IFI string of an Agent or identified Group (Data 2.4.2.3): "mbox:<mailto IRI>",
 * "mbox_sha1sum:<hex>", "openid:<uri>" or "account:<homePage>\x1f<name>". Writes at most
 * outlen bytes (NUL included). Returns STMT_STORE_OK, or STMT_STORE_ERR_ARG when the object has
 * no IFI (anonymous Group) or the buffer is too small.
 */
int stmt_store_agent_ifi(const cJSON *agent, char *out, size_t outlen);

/** A statement query (Comm 2.1.3). Unused string filters are NULL. */
struct stmt_query {
    const char *agent;        /* IFI string from stmt_store_agent_ifi */
    const char *verb;         /* verb id IRI */
    const char *activity;     /* activity id IRI */
    const char *registration; /* UUID */
    int related_activities;
    int related_agents;
    int64_t since_us; /* 0 = none; exclusive */
    int64_t until_us; /* 0 = none; inclusive */
    int ascending;
    size_t limit;       /* 0 = server maximum; larger values are capped to it */
    const char *scope;  /* optional caller context bound into the cursor (credential, format) */
    const char *cursor; /* the `more` token of the previous page, or NULL for the first page */
};

struct stmt_page_item {
    char *json; /* compact statement JSON, NUL-terminated, owned by the page */
    size_t len;
    int64_t stored_us;
    char id[STMT_STORE_UUID_LEN];
};

struct stmt_page {
    size_t n;
    struct stmt_page_item *items;
    char more[STMT_STORE_MORE_LEN]; /* empty string when there are no more results */
};

/**
 * Run a query or continue one from q->cursor (the other fields must be the same as for the
 * first page; the cursor is bound to them by HMAC). Results: newest stored first (ascending:
 * oldest first), voided statements left out (S10), StatementRef rule G5 applied, since
 * exclusive, until inclusive, at most limit items. The cursor carries the snapshot (the last
 * stored sequence at the first page), so later pages neither skip nor repeat statements while
 * writes go on; it is valid for STMT_STORE_CURSOR_TTL_S. The snapshot is the newest
 * acknowledged statement (folded or in the unfolded tail): a query includes every statement
 * acknowledged before it started (read-your-writes), and results are complete up to
 * Consistent-Through (G9). page is filled on success only; free with stmt_page_free.
 * @return STMT_STORE_OK, STMT_STORE_ERR_CURSOR, STMT_STORE_ERR_ARG, STMT_STORE_ERR_IO,
 *         STMT_STORE_ERR_NOMEM.
 */
int stmt_store_query(struct stmt_store *st, const struct stmt_query *q, struct stmt_page *page);

void stmt_page_free(struct stmt_page *page);

/**
 * X-Experience-API-Consistent-Through (Comm 2.1.3, G9): a stored time (us) such that every
 * statement with stored <= it is committed and visible to queries. While the writer is idle
 * this is now - 1 us; while it writes a group, the time just before that group's first.
 * On PostgreSQL (other nodes write too): after a query of this thread, the stored value its
 * snapshot was complete through; else the newest statement committed on any node.
 */
int64_t stmt_store_consistent_through(struct stmt_store *st);

/** Block until every statement committed before the call is in the query indexes (deferred
 * indexing; returns at once with index_inline). Returns STMT_STORE_OK or
 * STMT_STORE_ERR_CLOSED. For tests, admin tools and a strict conformance mode. */
int stmt_store_sync(struct stmt_store *st);

/**
 * Verify the statement store of `db` (no server may have it open): every folded statement has
 * its id entry and its own index terms in the epoch it belongs to, and every id and index
 * entry lies in a listed epoch and points at a stored statement. One line per finding (the
 * first few of each kind) and a summary line go to `report`. Takes about 20 s per million
 * statements. Returns STMT_DB_OK or STMT_DB_ERR_CORRUPT (findings; `scolar reindex` rebuilds
 * the id table and the indexes from the statements).
 */
int stmt_store_check(struct stmt_db *db, char *report, size_t reportlen);

/** What stmt_store_open did before serving: *folded statements indexed (the backlog of a
 *  previous run, or all of them), *migrated 1 when a layout 1 store (keys without fold
 *  epochs, scolar format 1) was converted or opts.reindex was set: every index entry was rebuilt.
 */
void stmt_store_open_info(const struct stmt_store *st, size_t *folded, int *migrated);

/** Nonzero when stmt_store_open found the disk full and could not fold the previous run's
 *  statements: it then serves them from memory (their count; 1 when none), writes fail with
 *  STMT_STORE_ERR_FULL until space is freed, and the writer folds them after the first commit
 *  that succeeds. */
size_t stmt_store_open_full(const struct stmt_store *st);

/** 1 when stmt_store_open will convert the store of `db` (written by an older build: layout 1,
 *  or folded before report tallies), with what it converts in `why`; 0 when it will not (new,
 *  current, or a store the open refuses); a negative STMT_DB_ERR_* code when it cannot read.
 *  Read-only (stmt_upgrade.c): `scolar serve` writes a backup first. */
int stmt_store_needs_upgrade(struct stmt_db *db, char *why, size_t whylen);

/** Number of stored statements (including voided ones). */
int stmt_store_count(struct stmt_store *st, size_t *n);

#endif
