/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one LMDB environment of a scolar data directory (DESIGN.md "Storage").
 *
 * Only statements/ links LMDB, so this header also gives the other modules (scorm/, lrs/) a
 * small, transactional key/value API over named tables: credentials, courses, registrations,
 * attempts and so on are tables here. Keys are at most STMT_DB_MAX_KEY bytes (LMDB's limit is
 * 511); hash longer identifiers and keep the full value in the record.
 *
 * Threads: every function may be called from any thread. Write transactions are serialised
 * (LMDB allows one at a time); the map grows on demand (MDB_MAP_FULL → resize → retry), which
 * quiesces all transactions of the process for the moment of the resize. No unsafe flags
 * (MDB_NOSYNC, MDB_WRITEMAP, ...) are used: a committed transaction is durable.
 */
#ifndef STMT_DB_H
#define STMT_DB_H

#include <stddef.h>
#include <stdint.h>

#define STMT_DB_FORMAT 2    /* on-disk format version written in the meta table */
#define STMT_DB_MAX_KEY 480 /* bytes; longer keys are rejected with STMT_DB_ERR_KEY */

enum stmt_db_err {
    STMT_DB_OK = 0,
    STMT_DB_NOTFOUND = -1, /* key absent (not an error for callers that expect it) */
    STMT_DB_ERR_IO = -2,   /* I/O or LMDB failure; see diag message */
    STMT_DB_ERR_NOMEM = -3,
    STMT_DB_ERR_FULL = -4,    /* disk full or map cannot grow */
    STMT_DB_ERR_VERSION = -5, /* store written by a newer format */
    STMT_DB_ERR_CORRUPT = -6, /* not an LMDB file, or failed verification */
    STMT_DB_ERR_ACCESS = -7,  /* directory missing / not writable */
    STMT_DB_ERR_KEY = -8,     /* key too long or empty */
    STMT_DB_ERR_EXISTS = -9,  /* put with STMT_DB_NOOVERWRITE on an existing key */
    STMT_DB_ERR_LOCKED = -10, /* data dir used by another process */
    STMT_DB_ERR_TABLE = -11,  /* a table no module registered (stmt_db_tables_register) */
};

struct stmt_db;
struct stmt_db_txn;

/** Open (creating if needed) the store in directory `dir` (created if missing).
 *  On failure *out is untouched and, if err is non-NULL, a one-line reason is written there. */
int stmt_db_open(const char *dir, struct stmt_db **out, char *err, size_t errlen);
/** Whether a store is at `location` (as stmt_db_open_url takes it), creating nothing
 *  (stmt_db_probe.c): on PostgreSQL the database has scolar's schema (its table scolar_schema),
 *  else the LMDB folder (location, or dir when location is NULL or empty) holds store.mdb.
 *  1 yes; 0 no, with the finding in err ("no store in DIR (DIR/store.mdb: ...)", "DIR is not a
 *  directory", "no scolar store in this database ..."); a negative STMT_DB_ERR_* when it cannot
 *  tell (PostgreSQL unreachable), with the reason in err. For the commands that read or repair
 *  a store: stmt_db_open_url would create an empty one. */
int stmt_db_exists(const char *location, const char *dir, char *err, size_t errlen);
/** Open a store by its location (issue 19): a PostgreSQL URL (postgres://... or
 *  postgresql://..., libpq's syntax) opens the PostgreSQL backend (stmt_db_pg.c), with `dir` as
 *  this node's own folder (created if missing; stmt_db_dir returns it: course content files
 *  stay there until they move into the database); anything else is an LMDB data directory
 *  (location, or dir when location is NULL or empty), as stmt_db_open. Both backends keep the
 *  whole contract of this header: a committed transaction is durable, one write transaction
 *  at a time (on PostgreSQL across every node on the database), read transactions see one
 *  snapshot, scans go in the same key order (bytes, then the shorter first). On PostgreSQL,
 *  stmt_db_copy_fd/_open answer STMT_DB_ERR_IO (copy with pg_dump); stmt_db_txn_run_grouped
 *  runs each work in a savepoint of the group's one transaction (stmt_db_group.c) and
 *  stmt_db_txn_begin_grouped is a plain write transaction. The statement store (stmt_store.h)
 *  runs on both (on PostgreSQL shared by several nodes: docs/architecture.md). */
int stmt_db_open_url(const char *location, const char *dir, struct stmt_db **out, char *err,
                     size_t errlen);
/** Register a module's tables. Each module names its own tables and registers them right
 *  after stmt_db_open, before its first transaction (statements/ registers its own inside
 *  stmt_db_open; scorm/ with scorm_db_register, lrs/ with lrs_db_register): a missing table
 *  is created in a committed write transaction of its own, so its handle is valid in every
 *  thread and transaction. A table nobody registered cannot be used (STMT_DB_ERR_TABLE), and
 *  `scolar check` counts the records of every registered table. Registering a name again is
 *  harmless. Call it when no transaction of the calling thread is open (at open; it takes the
 *  write lock once per new table). names: n short ASCII identifiers (under 32 bytes).
 *  @return STMT_DB_OK, STMT_DB_ERR_KEY (bad name), STMT_DB_ERR_FULL (more than 64 tables) or
 *  a storage error. */
int stmt_db_tables_register(struct stmt_db *db, const char *const *names, size_t n);
/** The name of registered table i (0, 1, ... in the order of registration; the statement
 *  store's first), or NULL past the last: borrowed, valid until close (stmt_db_tables.c). */
const char *stmt_db_table_name(struct stmt_db *db, int i);
/** Close; waits for nothing: callers stop their threads first. NULL-tolerant. */
void stmt_db_close(struct stmt_db *db);
const char *stmt_db_strerror(int code);
/** The data directory the store was opened on (borrowed, valid until close). */
const char *stmt_db_dir(const struct stmt_db *db);
/** 1 when the store is on PostgreSQL (stmt_db_open_url with a URL), 0 for LMDB or NULL: for
 *  the data that lives in the node's folder on LMDB and in the database on PostgreSQL (course
 *  content files, scorm/scorm_content.h). */
int stmt_db_is_pg(const struct stmt_db *db);

/** Sizes of the LMDB environment, for monitoring. */
struct stmt_db_stats {
    size_t map_bytes;  /* the current map size (it grows on demand) */
    size_t used_bytes; /* pages in use up to the highest one written, times the page size */
    unsigned readers;  /* reader slots in use */
};
int stmt_db_stats(struct stmt_db *db, struct stmt_db_stats *out);

/** Copy the store of data directory `dir` (another process, a running server, may be using
 *  it) to the new file `dest`, compacted (mdb_env_copy2 with MDB_CP_COMPACT): everything
 *  committed before the copy began. 0, or an error with the reason in err
 *  (stmt_db_copy.c). */
int stmt_db_copy_compact(const char *dir, const char *dest, char *err, size_t errlen);
/** The same for a store this process has open: a compacted copy written to `fd` (from its
 *  current offset), consistent as of the copy's start, while other threads go on writing. */
int stmt_db_copy_fd(struct stmt_db *db, int fd);
/** stmt_db_copy_fd into a new file `dest` (never written over); removed on failure. */
int stmt_db_copy_open(struct stmt_db *db, const char *dest, char *err, size_t errlen);
/** Verify the store: meta record, format version, every registered table readable. Writes findings
 *  to `report` (one per line) and returns 0 when clean, STMT_DB_ERR_CORRUPT otherwise. */
int stmt_db_check(struct stmt_db *db, char *report, size_t reportlen);

/* ---- transactions ---------------------------------------------------------------------- */

/** Begin a transaction; `write` 1 for a write transaction (blocks until the writer slot is
 *  free). Read transactions are cheap; keep them short and never hold one across requests. */
int stmt_db_txn_begin(struct stmt_db *db, int write, struct stmt_db_txn **out);
/** Group commit (stmt_db_group.c): small write transactions of many threads share one disk
 *  sync. The callers' work is queued; one caller at a time leads a group: on its own thread it
 *  runs every queued work in a nested transaction of the group's transaction and commits the
 *  group; a caller returns only after that commit is durable, with its result, so an
 *  acknowledged write is as durable as with stmt_db_txn_begin. Each LMDB write transaction is
 *  used by the leader's thread only (lmdb.h). Use it for small, frequent writes from many
 *  threads. Never nest: no grouped or write transaction may be begun while one is open in the
 *  same thread (it would wait forever). */
/** The work of stmt_db_txn_run_grouped: it runs on the leader's thread (maybe another caller's)
 *  with txn, a nested write transaction; 0 keeps its writes, anything else discards them (and
 *  is returned to the caller). It must not commit or abort txn, begin another transaction, nor
 *  keep pointers from stmt_db_get past its return; ctx is the caller's (the caller waits). */
typedef int (*stmt_db_txn_fn)(struct stmt_db_txn *txn, void *ctx);
/** Run fn in the next group and wait until the group is durable: fn's result, or a storage
 *  error of the group's commit (then nothing of fn stays). The fast form. */
int stmt_db_txn_run_grouped(struct stmt_db *db, stmt_db_txn_fn fn, void *ctx);
/** The same as a session: the caller gets a handle and uses it as any write transaction
 *  (stmt_db_put/get/del/scan, then commit or abort). When the caller leads the group the calls
 *  run on its thread; otherwise each call is handed to the leader, which makes it in the
 *  caller's nested transaction, so only one thread touches the LMDB transaction (two
 *  hand-offs per call). Commit returns after the group's durable commit, with its result;
 *  abort discards only this caller's changes. Tables must be registered. */
int stmt_db_txn_begin_grouped(struct stmt_db *db, struct stmt_db_txn **out);
/** Commit (durable when it returns 0) and free. On failure the transaction is aborted. */
int stmt_db_txn_commit(struct stmt_db_txn *txn);
/** Abort and free. NULL-tolerant. */
void stmt_db_txn_abort(struct stmt_db_txn *txn);

#define STMT_DB_NOOVERWRITE 1u
/** A hint: the key sorts after every key of the table (LMDB: MDB_APPEND, a cheaper insert at
 *  the end). When it does not, the put is made as without the flag; PostgreSQL ignores it. */
#define STMT_DB_APPEND 2u
/** A hint: the caller knows the key is absent (a new stored time, a new id, a new statement's
 *  own index entry). LMDB ignores it. PostgreSQL inserts such rows of a batch with a plain
 *  INSERT instead of INSERT ... ON CONFLICT (no speculative insertion: about half the server
 *  time per row, bench/results/pg_ingest.md); should one be present after all, that insert is
 *  rolled back to its savepoint and the rows are put as without the flag, so the result is a
 *  put's either way. */
#define STMT_DB_NEW 4u

/** Tables are registered names (stmt_db_tables_register); another name gives
 *  STMT_DB_ERR_TABLE. */
int stmt_db_put(struct stmt_db_txn *txn, const char *table, const void *key, size_t klen,
                const void *val, size_t vlen, unsigned flags);
/** Put a value of vlen bytes that the caller writes after the call (LMDB: MDB_RESERVE, no
 *  copy): *buf has room for vlen bytes, to be filled before the next call on txn (LMDB: in
 *  the map; PostgreSQL: a buffer of the transaction, put at its next call or commit). flags:
 *  STMT_DB_NOOVERWRITE, STMT_DB_APPEND as for stmt_db_put. */
int stmt_db_reserve(struct stmt_db_txn *txn, const char *table, const void *key, size_t klen,
                    size_t vlen, unsigned flags, void **buf);
/** *val points into the map: valid until the next write in this txn or its end. Copy it. */
int stmt_db_get(struct stmt_db_txn *txn, const char *table, const void *key, size_t klen,
                const void **val, size_t *vlen);
int stmt_db_del(struct stmt_db_txn *txn, const char *table, const void *key, size_t klen);

/** Visit keys >= `from` (or all keys when from is NULL) in key order; stops when the callback
 *  returns non-zero (that value is returned) or at the end (0). Key/value are borrowed. */
typedef int (*stmt_db_visit_fn)(void *ctx, const void *key, size_t klen, const void *val,
                                size_t vlen);
int stmt_db_scan(struct stmt_db_txn *txn, const char *table, const void *from, size_t flen,
                 stmt_db_visit_fn fn, void *ctx);

/** Records in a table as txn sees them (LMDB: mdb_stat, no walk; PostgreSQL: count(*)). */
int stmt_db_count(struct stmt_db_txn *txn, const char *table, size_t *n);
/** Delete every record of a table in txn (LMDB: mdb_drop; PostgreSQL: one DELETE). */
int stmt_db_clear(struct stmt_db_txn *txn, const char *table);

/* ---- cursors (issue 19): ordered walks in both directions ------------------------------- */

/** One record under a cursor: borrowed, valid until the next call on this cursor, the next
 *  write of its transaction, or the cursor's close, whichever comes first. */
struct stmt_db_kv {
    const void *key, *val;
    size_t klen, vlen;
};
struct stmt_db_cursor;
/** Open a cursor on a registered table of txn (one allocation here, none per step on LMDB).
 *  It is not positioned: _next then gives the first key, _prev the last. Close it before txn
 *  ends. On PostgreSQL it reads pages of keys (keyset, growing to a few hundred rows). Not on
 *  a stmt_db_txn_begin_grouped session whose calls go to another thread (STMT_DB_ERR_IO). */
int stmt_db_cursor_open(struct stmt_db_txn *txn, const char *table, struct stmt_db_cursor **out);
/** Position at the first key >= key (klen 0: the first key of the table). STMT_DB_NOTFOUND
 *  when there is none: the cursor is then past the end (_prev gives the last key). */
int stmt_db_cursor_seek(struct stmt_db_cursor *c, const void *key, size_t klen,
                        struct stmt_db_kv *out);
/** A hint: the caller means to read about n keys after each of the cursor's positioning calls
 *  from now on (_seek, _seek_le, _last, or _next/_prev when it is not positioned). PostgreSQL
 *  reads that many (1..512) in the first page instead of 32, so a walk of a hundred keys is
 *  one round trip (later pages double from there); LMDB reads nothing ahead and ignores it. */
void stmt_db_cursor_hint(struct stmt_db_cursor *c, size_t n);
/** Position at the last key <= key (klen 0: the last key of the table), for walks in
 *  descending order: one query on PostgreSQL where _seek then _prev are two. STMT_DB_NOTFOUND
 *  when there is none: the cursor is then before the start (_next gives the first key). */
int stmt_db_cursor_seek_le(struct stmt_db_cursor *c, const void *key, size_t klen,
                           struct stmt_db_kv *out);
/** The next key (unpositioned or before the start: the first); STMT_DB_NOTFOUND at the end,
 *  the cursor then past the end. The cursor's transaction may write between calls: the walk
 *  goes on from the cursor's key and sees those writes (both backends). */
int stmt_db_cursor_next(struct stmt_db_cursor *c, struct stmt_db_kv *out);
/** The previous key (unpositioned or past the end: the last); STMT_DB_NOTFOUND before the
 *  first, the cursor then before the start (_next gives the first key). */
int stmt_db_cursor_prev(struct stmt_db_cursor *c, struct stmt_db_kv *out);
/** The last key of the table; STMT_DB_NOTFOUND when it is empty. */
int stmt_db_cursor_last(struct stmt_db_cursor *c, struct stmt_db_kv *out);
/** The number of keys k with lo <= k <= hi, counting up to cap (then *n = cap): one range
 *  count (LMDB: a walk of the cursor without per-key calls; PostgreSQL: one query). The
 *  cursor is left unpositioned. */
int stmt_db_cursor_count(struct stmt_db_cursor *c, const void *lo, size_t lolen, const void *hi,
                         size_t hilen, size_t cap, size_t *n);
/** NULL-tolerant. */
void stmt_db_cursor_close(struct stmt_db_cursor *c);

/* ---- batched reads (issue 19): a page of point lookups in one call -------------------- */

/** The values of n keys of one table: items[i].key and .klen in (keys may repeat, in any
 *  order), .val and .vlen out: the value, borrowed as stmt_db_get's (until the next write of
 *  txn or its end), or val NULL and vlen 0 when the key is absent (also an empty or too long
 *  key). LMDB: a loop of gets (the table resolved once); PostgreSQL: one round trip (the keys
 *  as one bytea array parameter joined with scolar_kv), so a query confirms a page of
 *  candidates in a few round trips instead of one per candidate (stmt_query.c). In a
 *  stmt_db_txn_begin_grouped session served by another thread: a loop of stmt_db_get.
 *  STMT_DB_OK, or an error (then the outputs are undefined). */
int stmt_db_get_many(struct stmt_db_txn *txn, const char *table, struct stmt_db_kv *items,
                     size_t n);
/** For each from[i].key (1..STMT_DB_MAX_KEY bytes), the first entry of the table at or after
 *  it, as stmt_db_cursor_seek finds it: found[i] its key and value (borrowed as stmt_db_get's),
 *  or key NULL when there is none. LMDB: one cursor, a seek per key; PostgreSQL: one round trip
 *  (a LATERAL subquery per key), so a batch of "has this id any referrer?" questions is one
 *  query (stmt_fold.c). An empty or too long key: STMT_DB_ERR_KEY. Not on a grouped session
 *  served by another thread (STMT_DB_ERR_IO). */
int stmt_db_seek_many(struct stmt_db_txn *txn, const char *table, const struct stmt_db_kv *from,
                      struct stmt_db_kv *found, size_t n);

/* ---- one-shot helpers (each its own transaction, retried after a map resize) ----------- */
int stmt_db_put1(struct stmt_db *db, const char *table, const void *key, size_t klen,
                 const void *val, size_t vlen, unsigned flags);
/** Returns an owned copy (free with sc_free) NUL-terminated for convenience. */
int stmt_db_get1(struct stmt_db *db, const char *table, const void *key, size_t klen, char **val,
                 size_t *vlen);
int stmt_db_del1(struct stmt_db *db, const char *table, const void *key, size_t klen);

#endif
