/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Group commit for small write transactions (SCORM run-time commits, one per learner action),
 * with every LMDB write transaction used by one thread only (lmdb.h: "A transaction and its
 * cursors must only be used by a single thread").
 *
 * LMDB syncs the disk once per top-level commit; a child transaction (mdb_txn_begin with a
 * parent) commits into its parent without I/O. One thread per store, the group thread (started
 * on first use), owns the group: it begins the parent, runs the queued callers' work one after
 * another, each in a child of its own (nested transactions are sequential), then commits the
 * parent (one fsync) and only then releases the callers, so an acknowledged write is durable
 * exactly as with stmt_db_txn_begin. Callers that queue while a group runs go into it (up to
 * GROUP_MAX_CHILDREN); those that queue during its commit go into the next one. Under no
 * concurrency a group holds one child and costs what a plain transaction costs, plus two
 * thread hand-offs.
 *
 * A caller's work is either a function (stmt_db_txn_run_grouped: it runs on the group thread,
 * one hand-off there and back) or a session (stmt_db_txn_begin_grouped: the caller keeps its
 * handle and calls stmt_db_put/get/del/scan on it as on any transaction; each call is handed
 * to the group thread, which makes the LMDB call in the caller's child and hands back the
 * result, so the caller's thread never touches the transaction).
 *
 * On PostgreSQL (issue 19) the group is one transaction of the backend (stmt_db_pg.c: it holds
 * the write lock of every node for the group) and each function runs in a savepoint of it, so
 * a group pays one lock hand-off and one WAL flush; a session is a plain write transaction
 * there (stmt_db_txn_begin_grouped), not queued.
 */
#include "statements/stmt_db.h"
#include "statements/stmt_db_int.h"
#include "statements/stmt_db_pg.h"
#include "common/sc_alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GROUP_MAX_CHILDREN 256 /* children per group commit */

enum { IT_QUEUED, IT_BEGUN, IT_DONE };
enum { END_NONE, END_COMMIT, END_ABORT };

struct stmt__gitem {
    struct stmt__gitem *next;
    pthread_cond_t cv; /* the caller waits here */
    int state;         /* IT_*, under gmu */
    int rc;            /* the result the caller gets once IT_DONE */
    /* a function (stmt_db_txn_run_grouped) */
    stmt_db_txn_fn fn;
    void *ctx;
    /* a session (stmt_db_txn_begin_grouped): its handle and the call waiting to run */
    struct stmt_db_txn *txn;
    const struct stmt__gop *call; /* set by the caller, cleared by the group thread */
    int call_rc;
    int end; /* END_*: set by the caller */
};

int stmt__db_group_remote(const struct stmt_db_txn *t)
{
    return t->grouped == 1 && !pthread_equal(pthread_self(), t->db->gthread);
}

/* ---- the group thread ------------------------------------------------------------------- */

static int run_call(struct stmt_db_txn *t, const struct stmt__gop *c)
{
    switch (c->op) {
    case STMT__GOP_PUT:
        return stmt_db_put(t, c->table, c->key, c->klen, c->val, c->vlen, c->flags);
    case STMT__GOP_GET:
        return stmt_db_get(t, c->table, c->key, c->klen, c->oval, c->ovlen);
    case STMT__GOP_DEL:
        return stmt_db_del(t, c->table, c->key, c->klen);
    case STMT__GOP_SCAN:
        return stmt_db_scan(t, c->table, c->key, c->klen, c->visit, c->vctx);
    default:
        return STMT_DB_ERR_IO;
    }
}

/* Serve a session: its calls until it ends. Called and returns with gmu held. */
static int serve_session(struct stmt_db *db, struct stmt__gitem *it, MDB_txn *child)
{
    it->txn->txn = child;
    it->state = IT_BEGUN;
    pthread_cond_signal(&it->cv);
    for (;;) {
        while (!it->call && it->end == END_NONE)
            pthread_cond_wait(&db->gcv, &db->gmu);
        if (it->call) {
            const struct stmt__gop *c = it->call;
            int rc;
            pthread_mutex_unlock(&db->gmu);
            rc = run_call(it->txn, c);
            pthread_mutex_lock(&db->gmu);
            it->call_rc = rc;
            it->call = NULL;
            pthread_cond_signal(&it->cv);
            continue;
        }
        pthread_mutex_unlock(&db->gmu);
        int rc = STMT_DB_OK;
        if (it->end == END_COMMIT)
            rc = stmt__db_err(mdb_txn_commit(child));
        else
            mdb_txn_abort(child);
        it->txn->txn = NULL;
        pthread_mutex_lock(&db->gmu);
        return rc;
    }
}

/* One caller's work in a child of parent. Called and returns with gmu held. */
static void run_item(struct stmt_db *db, struct stmt_db_txn *parent, struct stmt__gitem *it)
{
    MDB_txn *child = NULL;
    int rc;
    pthread_mutex_unlock(&db->gmu);
    if (parent->pgt) { /* PostgreSQL (only functions are queued): a savepoint is the child */
        rc = stmt__pg_savepoint(parent->pgt, 0);
        if (!rc) {
            struct stmt_db_txn t = {.db = db, .write = 1, .grouped = 2, .pgt = parent->pgt};
            rc = it->fn(&t, it->ctx);
            int end = stmt__pg_savepoint(parent->pgt, rc ? 2 : 1);
            rc = rc ? rc : end;
        }
        pthread_mutex_lock(&db->gmu);
        it->rc = rc;
        return;
    }
    rc = stmt__db_err(mdb_txn_begin(db->env, parent->txn, 0, &child));
    if (!rc && it->fn) {
        struct stmt_db_txn t = {.db = db, .txn = child, .write = 1, .grouped = 2};
        rc = it->fn(&t, it->ctx);
        if (rc)
            mdb_txn_abort(child);
        else
            rc = stmt__db_err(mdb_txn_commit(child));
    }
    pthread_mutex_lock(&db->gmu);
    if (!rc && !it->fn)
        rc = serve_session(db, it, child);
    it->rc = rc;
}

/* SCOLAR_TEST_GROUP_DELAY_US (tests only, like SCOLAR_FOLD_EPOCH): wait this long before
 * each group's commit, so that a test can see that no caller is answered before it. */
static useconds_t test_delay(void)
{
    const char *e = getenv("SCOLAR_TEST_GROUP_DELAY_US");
    long v = e ? strtol(e, NULL, 10) : 0;
    return v > 0 && v <= 1000000 ? (useconds_t)v : 0;
}

static void *group_main(void *arg)
{
    struct stmt_db *db = arg;
    useconds_t delay = test_delay();
    pthread_mutex_lock(&db->gmu);
    for (;;) {
        struct stmt__gitem *done = NULL, **dtail = &done;
        struct stmt_db_txn *parent = NULL;
        int n = 0, prc;
        while (!db->ghead && !db->gstop)
            pthread_cond_wait(&db->gcv, &db->gmu);
        if (!db->ghead)
            break;
        pthread_mutex_unlock(&db->gmu);
        prc = stmt_db_txn_begin(db, 1, &parent);
        pthread_mutex_lock(&db->gmu);
        while (!prc && db->ghead && n < GROUP_MAX_CHILDREN) {
            struct stmt__gitem *it = db->ghead;
            db->ghead = it->next;
            if (!db->ghead)
                db->gtail = NULL;
            it->next = NULL;
            run_item(db, parent, it);
            *dtail = it;
            dtail = &it->next;
            n++;
        }
        if (prc) { /* no parent: the queued callers fail now */
            done = db->ghead;
            db->ghead = db->gtail = NULL;
            for (struct stmt__gitem *it = done; it; it = it->next)
                it->rc = prc;
        } else {
            pthread_mutex_unlock(&db->gmu);
            if (delay)
                usleep(delay);
            prc = stmt_db_txn_commit(parent); /* the group's one fsync */
            pthread_mutex_lock(&db->gmu);
        }
        /* Release the callers only now: their writes are durable (or failed together). */
        for (struct stmt__gitem *it = done, *next; it; it = next) {
            next = it->next;
            if (!it->rc && (it->fn || it->end == END_COMMIT))
                it->rc = prc;
            it->state = IT_DONE;
            pthread_cond_signal(&it->cv);
        }
    }
    pthread_mutex_unlock(&db->gmu);
    return NULL;
}

/* ---- callers ---------------------------------------------------------------------------- */

/* Queue it (gmu held), starting the group thread on first use. */
static int enqueue(struct stmt_db *db, struct stmt__gitem *it)
{
    if (!db->gstarted) {
        int rc = pthread_create(&db->gthread, NULL, group_main, db);
        if (rc)
            return rc == EAGAIN ? STMT_DB_ERR_NOMEM : STMT_DB_ERR_IO;
        db->gstarted = 1;
    }
    if (db->gtail)
        db->gtail->next = it;
    else
        db->ghead = it;
    db->gtail = it;
    pthread_cond_signal(&db->gcv);
    return STMT_DB_OK;
}

int stmt_db_txn_run_grouped(struct stmt_db *db, stmt_db_txn_fn fn, void *ctx)
{
    struct stmt__gitem it = {.fn = fn, .ctx = ctx};
    int rc;
    if (!fn)
        return STMT_DB_ERR_IO;
    pthread_cond_init(&it.cv, NULL);
    pthread_mutex_lock(&db->gmu);
    rc = enqueue(db, &it);
    while (!rc && it.state != IT_DONE)
        pthread_cond_wait(&it.cv, &db->gmu);
    pthread_mutex_unlock(&db->gmu);
    pthread_cond_destroy(&it.cv);
    return rc ? rc : it.rc;
}

int stmt_db_txn_begin_grouped(struct stmt_db *db, struct stmt_db_txn **out)
{
    struct stmt_db_txn *t;
    struct stmt__gitem *it;
    int rc;
    if (db->pg) /* a plain write transaction (see stmt_db_txn_run_grouped) */
        return stmt_db_txn_begin(db, 1, out);
    t = sc_calloc(1, sizeof *t);
    it = sc_calloc(1, sizeof *it);
    if (!t || !it) {
        sc_free(t);
        sc_free(it);
        return STMT_DB_ERR_NOMEM;
    }
    t->db = db;
    t->write = 1;
    t->grouped = 1;
    t->item = it;
    it->txn = t;
    pthread_cond_init(&it->cv, NULL);
    pthread_mutex_lock(&db->gmu);
    rc = enqueue(db, it);
    while (!rc && it->state == IT_QUEUED)
        pthread_cond_wait(&it->cv, &db->gmu);
    if (!rc && it->state == IT_DONE)
        rc = it->rc; /* the group could not begin */
    pthread_mutex_unlock(&db->gmu);
    if (rc) {
        pthread_cond_destroy(&it->cv);
        sc_free(it);
        sc_free(t);
        return rc;
    }
    *out = t;
    return STMT_DB_OK;
}

int stmt__db_group_call(struct stmt_db_txn *t, const struct stmt__gop *op)
{
    struct stmt_db *db = t->db;
    struct stmt__gitem *it = t->item;
    int rc;
    pthread_mutex_lock(&db->gmu);
    it->call = op;
    pthread_cond_broadcast(&db->gcv); /* the group thread (it may wait beside other work) */
    while (it->call)
        pthread_cond_wait(&it->cv, &db->gmu);
    rc = it->call_rc;
    pthread_mutex_unlock(&db->gmu);
    return rc;
}

int stmt__db_group_end(struct stmt_db_txn *t, int commit)
{
    struct stmt_db *db = t->db;
    struct stmt__gitem *it = t->item;
    int rc;
    if (t->grouped != 1)
        return STMT_DB_ERR_IO; /* stmt_db_txn_run_grouped ends its transaction itself */
    pthread_mutex_lock(&db->gmu);
    it->end = commit ? END_COMMIT : END_ABORT;
    pthread_cond_broadcast(&db->gcv);
    while (it->state != IT_DONE)
        pthread_cond_wait(&it->cv, &db->gmu);
    rc = it->rc;
    pthread_mutex_unlock(&db->gmu);
    pthread_cond_destroy(&it->cv);
    sc_free(it);
    sc_free(t);
    return commit ? rc : STMT_DB_OK;
}

void stmt__db_group_stop(struct stmt_db *db)
{
    pthread_mutex_lock(&db->gmu);
    int started = db->gstarted;
    db->gstop = 1;
    pthread_cond_broadcast(&db->gcv);
    pthread_mutex_unlock(&db->gmu);
    if (started)
        pthread_join(db->gthread, NULL);
    db->gstarted = 0;
}
