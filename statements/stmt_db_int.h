/* SPDX-License-Identifier: Apache-2.0 */
/* Private to statements/: the backends' shared state (struct stmt_db) and a few helpers of the
 * statement store (table names found without a string comparison, the writer's read snapshot).
 * The statement store itself uses stmt_db.h only (issue 19); other modules too. */
#ifndef STMT_DB_INT_H
#define STMT_DB_INT_H

#include "statements/stmt_db.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>

/** Map an LMDB return code to stmt_db_err. */
int stmt__db_err(int mdb_rc);
/** Mark the map for growth; the next stmt_db_txn_begin(write) grows it. */
void stmt__db_want_grow(struct stmt_db *db);
/** The registered table `name` as the store's own copy of the name: passing that pointer to
 *  the stmt_db.h calls finds the table without a string comparison (hot paths keep it, e.g.
 *  struct stmt_store's table names). `name` itself when it is not registered. */
const char *stmt__db_table_ref(struct stmt_db *db, const char *name);
/** A read snapshot taken inside w, the calling thread's LMDB write transaction (which holds
 *  the resize lock, so none is taken again): its values stay valid until it ends, whatever w
 *  writes. End it with stmt__db_snapshot_end before w ends. STMT_DB_ERR_IO on PostgreSQL. */
int stmt__db_snapshot_begin(struct stmt_db_txn *w, struct stmt_db_txn **out);
/** NULL-tolerant. */
void stmt__db_snapshot_end(struct stmt_db_txn *s);
/** PostgreSQL (stmt_db_pg_idle.c; STMT_DB_ERR_IO on LMDB): the server's clock, read in t
 *  (microseconds since 1970); *t0 that clock, then *idle 1 when no transaction of any node
 *  holds the write lock, else 0. */
int stmt__db_clock(struct stmt_db_txn *t, int64_t *us);
int stmt__db_write_idle(struct stmt_db *db, int *idle, int64_t *t0);
/** PostgreSQL (stmt_db_pg_idle.c): stmt_db_get1 as one statement outside any transaction (one
 *  round trip); the table is checked by the caller. */
int stmt__db_get1_pg(struct stmt_db *db, const char *table, const void *key, size_t klen,
                     char **val, size_t *vlen);
/** PostgreSQL (stmt_db_pg_idle.c): a read transaction (as stmt_db_txn_begin(db, 0, out)) begun
 *  in one round trip with stmt__db_write_idle's check before it (*idle, *t0 as there; *idle 0
 *  when the check failed) and the values of n (1..8) keys of `table` read in it, the first
 *  read taking its snapshot, after the check: items[i].val and .vlen as stmt_db_get_many's
 *  (NULL when absent; borrowed until the transaction's end). With `scan` (a registered table,
 *  or NULL), also its first *nfirst (1..1024) rows in key order into first[] (borrowed the
 *  same way), *nfirst then the rows read: fewer than asked means the whole table. 0 or an
 *  stmt_db error (nothing open). */
int stmt__db_begin_bound(struct stmt_db *db, const char *table, struct stmt_db_kv *items, size_t n,
                         const char *scan, struct stmt_db_kv *first, size_t *nfirst, int *idle,
                         int64_t *t0, struct stmt_db_txn **out);
/** The table of a call on t (registered, t's own thread for a write transaction). */
int stmt__db_resolve(struct stmt_db_txn *t, const char *name, MDB_dbi *out);

/* ---- stmt_db.c and stmt_db_group.c only --------------------------------------------------- */

#define STMT__DB_MAX_TABLES 64

struct stmt__gitem;
struct stmt__pg;
struct stmt__pgtxn;

struct stmt_db {
    MDB_env *env;        /* NULL on PostgreSQL */
    struct stmt__pg *pg; /* the PostgreSQL backend (stmt_db_pg.c), or NULL for LMDB */
    char *dir;
    int lock_fd;
    pthread_rwlock_t resize_lock;
    atomic_int want_grow;
    pthread_mutex_t dbi_lock;
    /* group commit (stmt_db_group.c): the queue of callers' work, run by a leader */
    pthread_mutex_t gmu;
    pthread_cond_t gcv;   /* the leader waits here for a session's next call */
    pthread_cond_t gwait; /* callers wait here: their work done, a session begun, no leader */
    struct stmt__gitem *ghead, *gtail;
    int gleading;       /* a caller leads a group now */
    atomic_int ntables; /* entries below it are complete and never change (lock-free reads) */
    struct {
        char name[32];
        MDB_dbi dbi;
        char pad[64 - 32 - sizeof(MDB_dbi)]; /* 64 bytes: an entry from its name's address */
    } tables[STMT__DB_MAX_TABLES];
};

struct stmt_db_txn {
    struct stmt_db *db;
    MDB_txn *txn;
    int write;
    int grouped;              /* 1: a caller's session of stmt_db_txn_begin_grouped (its calls
                                 run on the group's leader); 2: the txn stmt_db_txn_run_grouped
                                 hands its function (on the leader's thread) */
    struct stmt__gitem *item; /* grouped 1: the caller's place in the group */
    pthread_t owner;          /* the one thread that may use a write transaction (lmdb.h) */
    struct stmt__pgtxn *pgt;  /* on PostgreSQL: the backend's transaction (txn is NULL) */
};

/* How many calls on a write transaction were refused because they came from another thread
 * than its own (tests: must stay 0). */
long stmt__db_wrong_thread(void);
/* Is t a session whose LMDB calls must be handed to the group's leader (not this thread)? */
int stmt__db_group_remote(const struct stmt_db_txn *t);
/* Run one stmt_db call of a session on the group's leader (op: STMT__GOP_*); returns its result. */
enum { STMT__GOP_PUT = 1, STMT__GOP_GET, STMT__GOP_DEL, STMT__GOP_SCAN };
struct stmt__gop {
    int op;
    const char *table;
    const void *key, *val;
    size_t klen, vlen;
    unsigned flags;
    const void **oval;
    size_t *ovlen;
    stmt_db_visit_fn visit;
    void *vctx;
};
int stmt__db_group_call(struct stmt_db_txn *t, const struct stmt__gop *op);
/* End a session (commit 1 or abort 0), wait for the group's durable commit, free t. */
int stmt__db_group_end(struct stmt_db_txn *t, int commit);

#endif
