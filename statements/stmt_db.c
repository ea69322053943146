/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LMDB environment of a data directory: open with a format check, named tables, short
 * transactions, and a map that grows on demand.
 *
 * Growth: mdb_env_set_mapsize may only be called while the process has no transaction open
 * (LMDB 0.9.24 lmdb.h). Every transaction therefore holds a read lock on `resize_lock` for its
 * whole life; a write transaction that finds `want_grow` set takes the write lock first,
 * doubles the map and goes on. The rwlock prefers writers so a stream of readers cannot
 * starve a resize. A thread must not begin a transaction while it holds another.
 *
 * Durability: no MDB_NOSYNC / MDB_NOMETASYNC / MDB_WRITEMAP (security.md §8).
 */
#include "statements/stmt_db.h"
#include "statements/stmt_db_int.h"
#include "statements/stmt_db_pg.h"
#include "common/sc_alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

#define INITIAL_MAP (64UL << 20)
#define MAX_TABLES STMT__DB_MAX_TABLES
#define META_TABLE "meta"

const char *stmt_db_strerror(int code)
{
    switch (code) {
    case STMT_DB_OK:
        return "ok";
    case STMT_DB_NOTFOUND:
        return "not found";
    case STMT_DB_ERR_IO:
        return "storage I/O error";
    case STMT_DB_ERR_NOMEM:
        return "out of memory";
    case STMT_DB_ERR_FULL:
        return "storage full";
    case STMT_DB_ERR_VERSION:
        return "store written by a newer scolar format";
    case STMT_DB_ERR_CORRUPT:
        return "store is corrupt or not a scolar store";
    case STMT_DB_ERR_ACCESS:
        return "data directory not accessible";
    case STMT_DB_ERR_KEY:
        return "invalid key";
    case STMT_DB_ERR_EXISTS:
        return "key exists";
    case STMT_DB_ERR_LOCKED:
        return "data directory in use by another process";
    case STMT_DB_ERR_TABLE:
        return "table not registered (stmt_db_tables_register)";
    default:
        return "unknown storage error";
    }
}

int stmt__db_err(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return STMT_DB_OK;
    case MDB_NOTFOUND:
        return STMT_DB_NOTFOUND;
    case MDB_KEYEXIST:
        return STMT_DB_ERR_EXISTS;
    case MDB_MAP_FULL:
    case ENOSPC:
        return STMT_DB_ERR_FULL;
    case ENOMEM:
        return STMT_DB_ERR_NOMEM;
    case MDB_INVALID:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
        return STMT_DB_ERR_CORRUPT;
    case MDB_BAD_VALSIZE:
        return STMT_DB_ERR_KEY;
    case EACCES:
    case EROFS:
        return STMT_DB_ERR_ACCESS;
    default:
        return STMT_DB_ERR_IO;
    }
}

const char *stmt_db_dir(const struct stmt_db *db)
{
    return db->dir;
}

int stmt_db_is_pg(const struct stmt_db *db)
{
    return db && db->pg != NULL;
}

void stmt__db_want_grow(struct stmt_db *db)
{
    atomic_store(&db->want_grow, 1);
}

static void grow_locked(struct stmt_db *db)
{
    MDB_envinfo info;
    if (!atomic_load(&db->want_grow))
        return;
    mdb_env_info(db->env, &info);
    size_t next = info.me_mapsize * 2;
    if (mdb_env_set_mapsize(db->env, next) == MDB_SUCCESS)
        atomic_store(&db->want_grow, 0);
}

int stmt_db_txn_begin(struct stmt_db *db, int write, struct stmt_db_txn **out)
{
    struct stmt_db_txn *t;
    int rc;

    if (db->pg) { /* PostgreSQL (stmt_db_pg.c): no map, no resize lock */
        t = sc_calloc(1, sizeof *t);
        if (!t)
            return STMT_DB_ERR_NOMEM;
        rc = stmt__pg_begin(db->pg, write, &t->pgt);
        if (rc) {
            sc_free(t);
            return rc;
        }
        t->db = db;
        t->write = write;
        *out = t;
        return STMT_DB_OK;
    }
    if (write && atomic_load(&db->want_grow)) {
        pthread_rwlock_wrlock(&db->resize_lock);
        grow_locked(db);
        pthread_rwlock_unlock(&db->resize_lock);
    }
    t = sc_calloc(1, sizeof *t);
    if (!t)
        return STMT_DB_ERR_NOMEM;
    pthread_rwlock_rdlock(&db->resize_lock);
    rc = mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    if (rc == MDB_MAP_RESIZED) {
        /* another process grew the map: adopt it (no txn of ours is open... except readers
         * of other threads, which hold the read lock; safe per lmdb.h to pass 0 here only
         * without active txns, so retry after a quiesce). */
        pthread_rwlock_unlock(&db->resize_lock);
        pthread_rwlock_wrlock(&db->resize_lock);
        mdb_env_set_mapsize(db->env, 0);
        pthread_rwlock_unlock(&db->resize_lock);
        pthread_rwlock_rdlock(&db->resize_lock);
        rc = mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    }
    if (rc) {
        pthread_rwlock_unlock(&db->resize_lock);
        sc_free(t);
        return stmt__db_err(rc);
    }
    t->db = db;
    t->write = write;
    t->owner = pthread_self();
    *out = t;
    return STMT_DB_OK;
}

static atomic_long wrong_thread; /* write txn calls refused: made on another thread */

long stmt__db_wrong_thread(void)
{
    return atomic_load(&wrong_thread);
}

/* lmdb.h: "A transaction and its cursors must only be used by a single thread". A write
 * transaction used on another thread than the one that began it is refused (and counted). */
static inline int owner_check(const struct stmt_db_txn *t)
{
    if (!t->write || t->pgt || pthread_equal(t->owner, pthread_self()))
        return STMT_DB_OK;
    atomic_fetch_add(&wrong_thread, 1);
    return STMT_DB_ERR_IO;
}

int stmt_db_copy_fd(struct stmt_db *db, int fd)
{
    if (db->pg) /* a PostgreSQL store is copied with PostgreSQL's tools (pg_dump) */
        return STMT_DB_ERR_IO;
    /* the copy's read transaction holds the resize lock as every transaction does: the map is
     * not resized under it (a writer that needs a larger map waits for the copy's end) */
    pthread_rwlock_rdlock(&db->resize_lock);
    int rc = mdb_env_copyfd2(db->env, fd, MDB_CP_COMPACT);
    pthread_rwlock_unlock(&db->resize_lock);
    return rc == ENOSPC ? STMT_DB_ERR_FULL : stmt__db_err(rc);
}

/* LMDB answers a short write with EIO (mdb_page_flush: "wres != wsize"), and a filesystem that
 * runs out of space mid-write gives a short write, not ENOSPC. So EIO on a commit while the data
 * directory's filesystem has (almost) no space left is the disk being full (issue 18): the
 * transaction was aborted as a whole, and the caller answers 507 instead of 500. */
static int commit_errno(struct stmt_db *db, int rc)
{
    struct statvfs v;
    if (rc == EIO && statvfs(db->dir, &v) == 0 &&
        (unsigned long long)v.f_bavail * v.f_frsize < (1ULL << 20))
        return ENOSPC;
    return rc;
}

int stmt_db_txn_commit(struct stmt_db_txn *t)
{
    if (t->grouped) /* the group's parent commits through here (stmt_db_group.c) */
        return stmt__db_group_end(t, 1);
    if (t->pgt) {
        int prc = stmt__pg_end(t->pgt, 1);
        sc_free(t);
        return prc;
    }
    if (owner_check(t)) /* a programming error: abort it from its own thread instead */
        return STMT_DB_ERR_IO;
    int rc = commit_errno(t->db, mdb_txn_commit(t->txn));
    struct stmt_db *db = t->db;
    if (rc == MDB_MAP_FULL)
        stmt__db_want_grow(db);
    pthread_rwlock_unlock(&db->resize_lock);
    sc_free(t);
    return stmt__db_err(rc);
}

void stmt_db_txn_abort(struct stmt_db_txn *t)
{
    if (!t)
        return;
    if (t->grouped) {
        stmt__db_group_end(t, 0);
        return;
    }
    if (t->pgt) {
        stmt__pg_end(t->pgt, 0);
        sc_free(t);
        return;
    }
    mdb_txn_abort(t->txn);
    pthread_rwlock_unlock(&t->db->resize_lock);
    sc_free(t);
}

int stmt__db_snapshot_begin(struct stmt_db_txn *w, struct stmt_db_txn **out)
{
    struct stmt_db_txn *s;
    int rc;
    if (!w->txn) /* PostgreSQL */
        return STMT_DB_ERR_IO;
    s = sc_calloc(1, sizeof *s);
    if (!s)
        return STMT_DB_ERR_NOMEM;
    /* MDB_NOTLS: a read transaction beside the thread's write transaction */
    rc = mdb_txn_begin(w->db->env, NULL, MDB_RDONLY, &s->txn);
    if (rc) {
        sc_free(s);
        return stmt__db_err(rc);
    }
    s->db = w->db;
    *out = s;
    return STMT_DB_OK;
}

void stmt__db_snapshot_end(struct stmt_db_txn *s)
{
    if (!s)
        return;
    mdb_txn_abort(s->txn);
    sc_free(s);
}

/* Lock-free: registration appends an entry, then publishes it by raising ntables (an atomic),
 * so every entry below ntables is complete and never changes. A name that is the registered
 * entry's own string (stmt__db_table_ref) is found without comparing. */
/* The registered entry whose own name string `name` is (stmt__db_table_ref), or -1. */
static inline int table_own(struct stmt_db *db, const char *name, int n)
{
    uintptr_t off = (uintptr_t)name - (uintptr_t)db->tables;
    if (off >= sizeof db->tables || off % sizeof db->tables[0])
        return -1;
    return off / sizeof db->tables[0] < (uintptr_t)n ? (int)(off / sizeof db->tables[0]) : -1;
}

static int lookup_table_db(struct stmt_db *db, const char *name, MDB_dbi *out)
{
    int n = atomic_load_explicit(&db->ntables, memory_order_acquire);
    int own = table_own(db, name, n);
    if (own >= 0) {
        *out = db->tables[own].dbi;
        return STMT_DB_OK;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(db->tables[i].name, name) == 0) {
            *out = db->tables[i].dbi;
            return STMT_DB_OK;
        }
    }
    return STMT_DB_NOTFOUND;
}

const char *stmt__db_table_ref(struct stmt_db *db, const char *name)
{
    int n = atomic_load_explicit(&db->ntables, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (strcmp(db->tables[i].name, name) == 0)
            return db->tables[i].name;
    return name;
}

/* Create a table in its own committed write txn so its handle is valid for every thread. */
static int ensure_table(struct stmt_db *db, const char *name, unsigned flags)
{
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = mdb_txn_begin(db->env, NULL, 0, &txn);
    if (rc)
        return stmt__db_err(rc);
    rc = mdb_dbi_open(txn, name, flags | MDB_CREATE, &dbi);
    if (rc) {
        mdb_txn_abort(txn);
        return stmt__db_err(rc);
    }
    rc = mdb_txn_commit(txn);
    if (rc)
        return stmt__db_err(rc);
    pthread_mutex_lock(&db->dbi_lock);
    int found = 0;
    for (int i = 0; i < db->ntables; i++)
        found |= strcmp(db->tables[i].name, name) == 0;
    if (!found && db->ntables < MAX_TABLES) {
        int n = atomic_load(&db->ntables);
        snprintf(db->tables[n].name, sizeof db->tables[0].name, "%s", name);
        db->tables[n].dbi = dbi;
        atomic_store_explicit(&db->ntables, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&db->dbi_lock);
    return STMT_DB_OK;
}

/* On PostgreSQL a table is the rows of scolar_kv with its name: registering only names it. */
static int pg_table(struct stmt_db *db, const char *name)
{
    pthread_mutex_lock(&db->dbi_lock);
    if (db->ntables < MAX_TABLES) {
        int n = atomic_load(&db->ntables);
        snprintf(db->tables[n].name, sizeof db->tables[0].name, "%s", name);
        db->tables[n].dbi = 0;
        atomic_store_explicit(&db->ntables, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&db->dbi_lock);
    return STMT_DB_OK;
}

/* The statement store's own tables (this module). scorm/, lrs/ and later modules register
 * theirs with stmt_db_tables_register after stmt_db_open; statements/ names no other module's
 * table. */
static const char
    *const
        STMT_TABLES[] =
            {
                META_TABLE,    "docs",    "activities",  "agents",
                "attachments", "outbox", /* forwarding rows written in the writer's transaction
                                            (issue 17) */
                "stmt",        "stmt_id", "stmt_voided", "stmt_idx",
                "stmt_meta",   "reports", "stmt_ref",    "stmt_rpt",
};

int stmt_db_tables_register(struct stmt_db *db, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        MDB_dbi dbi;
        int rc;
        if (!names[i] || !names[i][0] || strlen(names[i]) >= sizeof db->tables[0].name)
            return STMT_DB_ERR_KEY;
        pthread_mutex_lock(&db->dbi_lock);
        rc = db->ntables == MAX_TABLES ? STMT_DB_ERR_FULL : STMT_DB_OK;
        for (int k = 0; k < db->ntables && !rc; k++)
            if (strcmp(db->tables[k].name, names[i]) == 0)
                rc = STMT_DB_ERR_EXISTS;
        pthread_mutex_unlock(&db->dbi_lock);
        if (rc == STMT_DB_ERR_EXISTS)
            continue; /* registered already: idempotent */
        if (rc)
            return rc;
        rc = db->pg ? pg_table(db, names[i]) : ensure_table(db, names[i], 0);
        if (rc)
            return rc;
        if (lookup_table_db(db, names[i], &dbi) != STMT_DB_OK)
            return STMT_DB_ERR_FULL;
    }
    return STMT_DB_OK;
}

static int table_for(struct stmt_db_txn *t, const char *name, MDB_dbi *out);

int stmt__db_resolve(struct stmt_db_txn *t, const char *name, MDB_dbi *out)
{
    return table_for(t, name, out);
}

static inline int table_for(struct stmt_db_txn *t, const char *name, MDB_dbi *out)
{
    int rc = owner_check(t);
    if (rc)
        return rc;
    /* the hot paths pass the registered name itself (stmt__db_table_ref): no lookup */
    rc = table_own(t->db, name, atomic_load_explicit(&t->db->ntables, memory_order_acquire));
    if (rc >= 0) {
        *out = t->db->tables[rc].dbi;
        return STMT_DB_OK;
    }
    return lookup_table_db(t->db, name, out) == STMT_DB_OK ? STMT_DB_OK : STMT_DB_ERR_TABLE;
}

static int check_key(size_t klen)
{
    return (klen == 0 || klen > STMT_DB_MAX_KEY) ? STMT_DB_ERR_KEY : STMT_DB_OK;
}

int stmt_db_put(struct stmt_db_txn *t, const char *table, const void *key, size_t klen,
                const void *val, size_t vlen, unsigned flags)
{
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    int rc = check_key(klen);
    if (rc)
        return rc;
    if (t->grouped == 1 && stmt__db_group_remote(t))
        return stmt__db_group_call(t, &(struct stmt__gop){.op = STMT__GOP_PUT,
                                                          .table = table,
                                                          .key = key,
                                                          .klen = klen,
                                                          .val = val,
                                                          .vlen = vlen,
                                                          .flags = flags});
    rc = table_for(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_put(t->pgt, table, key, klen, val, vlen, flags);
    unsigned mf = (flags & STMT_DB_NOOVERWRITE) ? MDB_NOOVERWRITE : 0;
    rc = mdb_put(t->txn, dbi, &k, &v, mf | ((flags & STMT_DB_APPEND) ? MDB_APPEND : 0));
    if (rc == MDB_KEYEXIST && (flags & STMT_DB_APPEND)) /* not after the last key: a hint */
        rc = mdb_put(t->txn, dbi, &k, &v, mf);
    if (rc == MDB_MAP_FULL)
        stmt__db_want_grow(t->db);
    return stmt__db_err(rc);
}

static int get_any(struct stmt_db_txn *t, const char *table, const void *key, size_t klen,
                   const void **val, size_t *vlen);

int stmt_db_get(struct stmt_db_txn *t, const char *table, const void *key, size_t klen,
                const void **val, size_t *vlen)
{
    /* The hot path (statement queries): an LMDB read transaction and a table passed as its
     * registered name (stmt__db_table_ref); everything else in get_any. */
    if (t->txn && !t->write && !t->grouped && klen - 1 < STMT_DB_MAX_KEY) {
        int own =
            table_own(t->db, table, atomic_load_explicit(&t->db->ntables, memory_order_acquire));
        if (own >= 0) {
            MDB_val k = {klen, (void *)key}, v;
            int rc = mdb_get(t->txn, t->db->tables[own].dbi, &k, &v);
            if (rc)
                return stmt__db_err(rc);
            *val = v.mv_data;
            *vlen = v.mv_size;
            return STMT_DB_OK;
        }
    }
    return get_any(t, table, key, klen, val, vlen);
}

__attribute__((noinline)) static int get_any(struct stmt_db_txn *t, const char *table,
                                             const void *key, size_t klen, const void **val,
                                             size_t *vlen)
{
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key}, v;
    int rc = check_key(klen);
    if (rc)
        return rc == STMT_DB_ERR_KEY ? STMT_DB_NOTFOUND : rc;
    if (t->grouped == 1 && stmt__db_group_remote(t))
        return stmt__db_group_call(t, &(struct stmt__gop){.op = STMT__GOP_GET,
                                                          .table = table,
                                                          .key = key,
                                                          .klen = klen,
                                                          .oval = val,
                                                          .ovlen = vlen});
    rc = table_for(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_get(t->pgt, table, key, klen, val, vlen);
    rc = mdb_get(t->txn, dbi, &k, &v);
    if (rc)
        return stmt__db_err(rc);
    *val = v.mv_data;
    *vlen = v.mv_size;
    return STMT_DB_OK;
}

int stmt_db_del(struct stmt_db_txn *t, const char *table, const void *key, size_t klen)
{
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key};
    int rc = check_key(klen);
    if (rc)
        return rc == STMT_DB_ERR_KEY ? STMT_DB_NOTFOUND : rc;
    if (t->grouped == 1 && stmt__db_group_remote(t))
        return stmt__db_group_call(
            t, &(struct stmt__gop){.op = STMT__GOP_DEL, .table = table, .key = key, .klen = klen});
    rc = table_for(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_del(t->pgt, table, key, klen);
    return stmt__db_err(mdb_del(t->txn, dbi, &k, NULL));
}

int stmt_db_scan(struct stmt_db_txn *t, const char *table, const void *from, size_t flen,
                 stmt_db_visit_fn fn, void *ctx)
{
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k = {flen, (void *)from}, v;
    int rc, op;
    if (t->grouped == 1 && stmt__db_group_remote(t))
        return stmt__db_group_call(t, &(struct stmt__gop){.op = STMT__GOP_SCAN,
                                                          .table = table,
                                                          .key = from,
                                                          .klen = flen,
                                                          .visit = fn,
                                                          .vctx = ctx});
    rc = table_for(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_scan(t->pgt, table, from, flen, fn, ctx);
    rc = mdb_cursor_open(t->txn, dbi, &cur);
    if (rc)
        return stmt__db_err(rc);
    op = (from && flen) ? MDB_SET_RANGE : MDB_FIRST;
    while ((rc = mdb_cursor_get(cur, &k, &v, op)) == MDB_SUCCESS) {
        int r = fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
        if (r) {
            mdb_cursor_close(cur);
            return r;
        }
        op = MDB_NEXT;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? STMT_DB_OK : stmt__db_err(rc);
}

/* ---- one-shot helpers ------------------------------------------------------------------ */

int stmt_db_put1(struct stmt_db *db, const char *table, const void *key, size_t klen,
                 const void *val, size_t vlen, unsigned flags)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        struct stmt_db_txn *t;
        int rc = stmt_db_txn_begin(db, 1, &t);
        if (rc)
            return rc;
        rc = stmt_db_put(t, table, key, klen, val, vlen, flags);
        if (rc) {
            stmt_db_txn_abort(t);
            if (rc == STMT_DB_ERR_FULL)
                continue;
            return rc;
        }
        rc = stmt_db_txn_commit(t);
        if (rc != STMT_DB_ERR_FULL)
            return rc;
    }
    return STMT_DB_ERR_FULL;
}

int stmt_db_get1(struct stmt_db *db, const char *table, const void *key, size_t klen, char **val,
                 size_t *vlen)
{
    struct stmt_db_txn *t;
    const void *p;
    size_t n;
    int rc;
    if (db->pg) { /* one statement, no BEGIN and ROLLBACK around it (stmt_db_pg_idle.c) */
        MDB_dbi dbi;
        if (check_key(klen))
            return STMT_DB_NOTFOUND; /* as stmt_db_get */
        if (lookup_table_db(db, table, &dbi) != STMT_DB_OK)
            return STMT_DB_ERR_TABLE;
        return stmt__db_get1_pg(db, table, key, klen, val, vlen);
    }
    rc = stmt_db_txn_begin(db, 0, &t);
    if (rc)
        return rc;
    rc = stmt_db_get(t, table, key, klen, &p, &n);
    if (rc == STMT_DB_OK) {
        char *copy = sc_strndup(p, n);
        if (!copy) {
            rc = STMT_DB_ERR_NOMEM;
        } else {
            *val = copy;
            if (vlen)
                *vlen = n;
        }
    }
    stmt_db_txn_abort(t);
    return rc;
}

int stmt_db_del1(struct stmt_db *db, const char *table, const void *key, size_t klen)
{
    struct stmt_db_txn *t;
    int rc = stmt_db_txn_begin(db, 1, &t);
    if (rc)
        return rc;
    rc = stmt_db_del(t, table, key, klen);
    if (rc) {
        stmt_db_txn_abort(t);
        return rc;
    }
    return stmt_db_txn_commit(t);
}

/* ---- open / close / check -------------------------------------------------------------- */

static int write_or_check_meta(struct stmt_db *db, char *err, size_t errlen)
{
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {6, "format"}, v;
    char buf[32];
    int rc = mdb_txn_begin(db->env, NULL, 0, &txn);
    if (rc) {
        snprintf(err, errlen, "cannot open store: %s", mdb_strerror(rc));
        return stmt__db_err(rc);
    }
    rc = mdb_dbi_open(txn, META_TABLE, MDB_CREATE, &dbi);
    if (rc)
        goto fail;
    rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) {
        int n = snprintf(buf, sizeof buf, "%d", STMT_DB_FORMAT);
        v.mv_size = (size_t)n;
        v.mv_data = buf;
        rc = mdb_put(txn, dbi, &k, &v, 0);
        if (rc)
            goto fail;
        rc = commit_errno(db, mdb_txn_commit(txn)); /* a short write on a full disk: ENOSPC */
        if (rc) {
            snprintf(err, errlen, "cannot write store format record: %s", mdb_strerror(rc));
            return stmt__db_err(rc);
        }
        return STMT_DB_OK;
    }
    if (rc)
        goto fail;
    {
        long fmt = 0;
        char tmp[32];
        size_t n = v.mv_size < sizeof tmp - 1 ? v.mv_size : sizeof tmp - 1;
        char *end;
        memcpy(tmp, v.mv_data, n);
        tmp[n] = '\0';
        fmt = strtol(tmp, &end, 10);
        mdb_txn_abort(txn);
        if (end == tmp || *end) {
            snprintf(err, errlen, "store format record is unreadable ('%s')", tmp);
            return STMT_DB_ERR_CORRUPT;
        }
        if (fmt > STMT_DB_FORMAT) {
            snprintf(err, errlen,
                     "store format %ld was written by a newer scolar (this one reads up to %d);"
                     " refusing to open it",
                     fmt, STMT_DB_FORMAT);
            return STMT_DB_ERR_VERSION;
        }
        /* An older format is upgraded by the module whose data changed, in the transaction
         * that converts it (format 2: the statement store's fold epochs, stmt_epoch.c), so
         * opening a store to check it changes nothing. */
    }
    return STMT_DB_OK;
fail:
    mdb_txn_abort(txn);
    snprintf(err, errlen, "cannot read store format record: %s", mdb_strerror(rc));
    return stmt__db_err(rc);
}

/* The data directory: created if missing, a writable directory. */
static int prepare_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data directory %s: %s", dir, strerror(errno));
        return STMT_DB_ERR_ACCESS;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "data directory %s is not a directory", dir);
        return STMT_DB_ERR_ACCESS;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "data directory %s is not writable: %s", dir, strerror(errno));
        return STMT_DB_ERR_ACCESS;
    }
    return STMT_DB_OK;
}

static struct stmt_db *db_new(const char *dir)
{
    struct stmt_db *db = sc_calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->lock_fd = -1;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&db->resize_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&db->dbi_lock, NULL);
    pthread_mutex_init(&db->gmu, NULL);
    pthread_cond_init(&db->gcv, NULL);
    pthread_cond_init(&db->gwait, NULL);
    db->dir = sc_strdup(dir);
    if (!db->dir) {
        stmt_db_close(db);
        return NULL;
    }
    return db;
}

int stmt_db_open_url(const char *location, const char *dir, struct stmt_db **out, char *err,
                     size_t errlen)
{
    struct stmt_db *db;
    char scratch[8];
    int rc;
    if (!stmt__pg_is_url(location))
        return stmt_db_open(location && *location ? location : dir, out, err, errlen);
    if (!err) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    /* the node's own folder (content files, until they move into the database) */
    rc = prepare_dir(dir, err, errlen);
    if (rc)
        return rc;
    db = db_new(dir);
    if (!db)
        return STMT_DB_ERR_NOMEM;
    rc = stmt__pg_open(location, &db->pg, err, errlen);
    if (!rc) {
        rc = stmt_db_tables_register(db, STMT_TABLES, sizeof STMT_TABLES / sizeof STMT_TABLES[0]);
        if (rc)
            snprintf(err, errlen, "cannot register the statement store's tables: %s",
                     stmt_db_strerror(rc));
    }
    if (rc) {
        stmt_db_close(db);
        return rc;
    }
    *out = db;
    return STMT_DB_OK;
}

/*
 * LMDB's lock file (store.mdb-lock) is a shared mapping written through memory (its reader
 * table). On a full filesystem a page of it not yet allocated faults with SIGBUS: a new store on
 * a full tmpfs killed the process inside mdb_env_open (issue 18), and a reader slot touched for
 * the first time once the disk filled could do the same mid-run. So its blocks are allocated
 * before LMDB maps it; a full disk is then an error (ENOSPC) here. 32896 bytes is LMDB's size
 * for 512 readers on LP64 ((maxreaders - 1) * sizeof(MDB_reader) + sizeof(MDB_txninfo)); a
 * larger file is kept (LMDB adopts its size), a smaller one is what LMDB would extend.
 */
#define LOCKFILE_BYTES 32896
static int lockfile_reserve(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    struct stat sb;
    int fd, rc = 0;
    snprintf(path, sizeof path, "%s/store.mdb-lock", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return 0; /* LMDB reports it, with its own words */
    if (fstat(fd, &sb) == 0)
        rc = posix_fallocate(fd, 0, sb.st_size > LOCKFILE_BYTES ? sb.st_size : LOCKFILE_BYTES);
    close(fd);
    if (rc == ENOSPC) {
        struct statvfs v;
        unsigned long long avail = 0;
        if (statvfs(dir, &v) == 0)
            avail = (unsigned long long)v.f_bavail * v.f_frsize;
        snprintf(err, errlen,
                 "the disk is full: %s: no space left on device (ENOSPC), %llu KiB free; the "
                 "store's lock file needs %d KiB: free space and start again",
                 path, avail >> 10, (LOCKFILE_BYTES + 1023) / 1024);
        return STMT_DB_ERR_FULL;
    }
    return 0; /* EOPNOTSUPP and the like: as before */
}

int stmt_db_open(const char *dir, struct stmt_db **out, char *err, size_t errlen)
{
    struct stmt_db *db = NULL;
    char path[4096], scratch[8];
    int rc;

    if (!err) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    rc = prepare_dir(dir, err, errlen);
    if (rc)
        return rc;
    db = db_new(dir);
    if (!db)
        return STMT_DB_ERR_NOMEM;
    /* One process per data dir: LMDB tolerates several, but the single-writer design and
     * the content folder do not. */
    snprintf(path, sizeof path, "%s/scolar.lock", dir);
    db->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (db->lock_fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        rc = STMT_DB_ERR_ACCESS;
        goto fail;
    }
    if (flock(db->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "data directory %s is in use by another scolar process", dir);
        rc = STMT_DB_ERR_LOCKED;
        goto fail;
    }
    rc = lockfile_reserve(dir, err, errlen);
    if (rc)
        goto fail;
    rc = mdb_env_create(&db->env);
    if (rc) {
        snprintf(err, errlen, "cannot create LMDB environment: %s", mdb_strerror(rc));
        rc = stmt__db_err(rc);
        goto fail;
    }
    mdb_env_set_maxdbs(db->env, MAX_TABLES);
    mdb_env_set_maxreaders(db->env, 512);
    {
        /* Tests set a small initial map to exercise growth; the default suits production. */
        const char *im = getenv("SCOLAR_DB_INITIAL_MAP");
        size_t initial = INITIAL_MAP;
        if (im && *im) {
            char *end;
            unsigned long long v = strtoull(im, &end, 10);
            if (!*end && v >= (1ULL << 16))
                initial = (size_t)v;
        }
        mdb_env_set_mapsize(db->env, initial);
    }
    snprintf(path, sizeof path, "%s/store.mdb", dir);
    rc = mdb_env_open(db->env, path, MDB_NOSUBDIR | MDB_NOTLS, 0640);
    if (rc) {
        snprintf(err, errlen, "cannot open store %s: %s%s", path, mdb_strerror(rc),
                 rc == ENOSPC ? " (ENOSPC): the disk is full; free space and start again" : "");
        rc = stmt__db_err(rc);
        goto fail;
    }
    /* Adopt a map size grown by an earlier run (0 = use the size recorded in the file). */
    mdb_env_set_mapsize(db->env, 0);
    {
        int dead = 0;
        mdb_reader_check(db->env, &dead);
    }
    rc = write_or_check_meta(db, err, errlen);
    if (rc)
        goto fail;
    rc = stmt_db_tables_register(db, STMT_TABLES, sizeof STMT_TABLES / sizeof STMT_TABLES[0]);
    if (rc) {
        snprintf(err, errlen, "cannot open the statement store's tables: %s", stmt_db_strerror(rc));
        goto fail;
    }
    *out = db;
    return STMT_DB_OK;
fail:
    stmt_db_close(db);
    return rc;
}

void stmt_db_close(struct stmt_db *db)
{
    if (!db)
        return;
    stmt__pg_close(db->pg);
    if (db->env)
        mdb_env_close(db->env);
    if (db->lock_fd >= 0)
        close(db->lock_fd);
    pthread_rwlock_destroy(&db->resize_lock);
    pthread_mutex_destroy(&db->dbi_lock);
    pthread_mutex_destroy(&db->gmu);
    pthread_cond_destroy(&db->gcv);
    pthread_cond_destroy(&db->gwait);
    sc_free(db->dir);
    sc_free(db);
}

static int count_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k;
    (void)kl;
    (void)v;
    (void)vl;
    (*(size_t *)ctx)++;
    return 0;
}

int stmt_db_check(struct stmt_db *db, char *report, size_t reportlen)
{
    struct stmt_db_txn *t;
    int rc, bad = 0;
    size_t off = 0;
    const void *v;
    size_t vl;

    report[0] = '\0';
    rc = stmt_db_txn_begin(db, 0, &t);
    if (rc) {
        snprintf(report, reportlen, "cannot begin read transaction: %s\n", stmt_db_strerror(rc));
        return STMT_DB_ERR_CORRUPT;
    }
    rc = stmt_db_get(t, META_TABLE, "format", 6, &v, &vl);
    if (rc) {
        off += (size_t)snprintf(report + off, reportlen - off, "meta: format record missing\n");
        bad++;
    }
    /* every registered table, in the order of registration (the statement store's first) */
    for (int i = 0; i < db->ntables && off < reportlen; i++) {
        char name[sizeof db->tables[0].name];
        size_t n = 0;
        pthread_mutex_lock(&db->dbi_lock);
        memcpy(name, db->tables[i].name, sizeof name);
        pthread_mutex_unlock(&db->dbi_lock);
        rc = stmt_db_scan(t, name, NULL, 0, count_visit, &n);
        if (rc) {
            off += (size_t)snprintf(report + off, reportlen - off, "%s: unreadable (%s)\n", name,
                                    stmt_db_strerror(rc));
            bad++;
        } else if (n) {
            off += (size_t)snprintf(report + off, reportlen - off, "%s: %zu records\n", name, n);
        }
    }
    stmt_db_txn_abort(t);
    return bad ? STMT_DB_ERR_CORRUPT : STMT_DB_OK;
}

int stmt_db_stats(struct stmt_db *db, struct stmt_db_stats *out)
{
    MDB_envinfo info;
    MDB_stat st;
    if (db->pg)
        return stmt__pg_stats(db->pg, out);
    if (mdb_env_info(db->env, &info) != MDB_SUCCESS || mdb_env_stat(db->env, &st) != MDB_SUCCESS)
        return STMT_DB_ERR_IO;
    out->map_bytes = info.me_mapsize;
    out->used_bytes = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
    out->readers = info.me_numreaders;
    return STMT_DB_OK;
}
