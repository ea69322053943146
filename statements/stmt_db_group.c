/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Group commit for small write transactions (SCORM run-time commits, one per learner action),
 * with every LMDB write transaction used by one thread only (lmdb.h: "A transaction and its
 * cursors must only be used by a single thread").
 *
 * LMDB syncs the disk once per top-level commit; a child transaction (mdb_txn_begin with a
 * parent) commits into its parent without I/O. Callers queue their work; the first caller that
 * finds no group running becomes its leader (flat combining): on its own thread it begins the
 * parent, runs the queued work one item after another, each in a child of its own (nested
 * transactions are sequential), including the work queued meanwhile (up to
 * GROUP_MAX_CHILDREN), then commits the parent (one fsync) and only then releases the callers,
 * so an acknowledged write is durable exactly as with stmt_db_txn_begin. Work queued during the
 * commit goes to the next group, whose leader is the first of those callers. The parent and
 * every child of a group are used by the leader's thread alone. Under no concurrency a group
 * holds the leader's own work and costs what a plain transaction costs. Leaders change from
 * group to group, so the serial part runs on threads that were waiting (the scheduler treats
 * them as it treated the callers of the earlier design).
 *
 * A caller's work is either a function (stmt_db_txn_run_grouped: the leader calls it) or a
 * session (stmt_db_txn_begin_grouped: the caller keeps a handle and calls stmt_db_put/get/del/
 * scan on it as on any transaction). A session whose caller leads runs on the caller's thread;
 * any other session's calls are handed to the leader, which makes each LMDB call in the
 * session's child and hands back the result, so only the leader's thread touches the
 * transaction (two hand-offs per call: functions are the fast form).
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
    pthread_cond_t cv; /* a session's caller waits here for the result of a call */
    int state;         /* IT_*, under gmu */
    int rc;            /* the result the caller gets once IT_DONE */
    pthread_t server;  /* the thread that makes the LMDB calls of this work (the leader) */
    /* a function (stmt_db_txn_run_grouped) */
    stmt_db_txn_fn fn;
    void *ctx;
    /* a session (stmt_db_txn_begin_grouped): its handle and the call waiting to run */
    struct stmt_db_txn *txn;
    const struct stmt__gop *call; /* set by the caller, cleared by the leader */
    int call_rc;
    int end; /* END_*: set by the caller */
    /* a session whose caller leads: the group it leads */
    struct stmt_db_txn *parent;
};

int stmt__db_group_remote(const struct stmt_db_txn *t)
{
    return t->grouped == 1 && !pthread_equal(pthread_self(), t->item->server);
}

/* ---- the leader ------------------------------------------------------------------------- */

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

/* End a child: commit (rc 0 or the commit's error) or abort. */
static int child_end(MDB_txn *child, int commit)
{
    if (commit)
        return stmt__db_err(mdb_txn_commit(child));
    mdb_txn_abort(child);
    return STMT_DB_OK;
}

/* Serve another caller's session: its calls until it ends. Called and returns with gmu held. */
static int serve_session(struct stmt_db *db, struct stmt__gitem *it, MDB_txn *child)
{
    it->txn->txn = child;
    it->txn->owner = pthread_self();
    it->state = IT_BEGUN;
    pthread_cond_broadcast(&db->gwait);
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
        int rc = child_end(child, it->end == END_COMMIT);
        it->txn->txn = NULL;
        pthread_mutex_lock(&db->gmu);
        return rc;
    }
}

/* One queued work in a child of parent. Called and returns with gmu held. */
static void run_item(struct stmt_db *db, struct stmt_db_txn *parent, struct stmt__gitem *it)
{
    MDB_txn *child = NULL;
    int rc;
    it->server = pthread_self();
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
        struct stmt_db_txn t = {
            .db = db, .txn = child, .write = 1, .grouped = 2, .owner = pthread_self()};
        rc = it->fn(&t, it->ctx);
        int crc = child_end(child, rc == 0);
        if (!rc)
            rc = crc;
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

/* The rest of a group whose parent is open (or could not begin: prc): run the queued work,
 * commit, release every caller of the group (done holds those already run, n of them), then
 * wake the callers queued meanwhile: the first of them to run leads the next group (as the
 * earlier design let the first waiter that ran begin it). Called and returns with gmu held. */
static void group_finish(struct stmt_db *db, struct stmt_db_txn *parent, int prc,
                         struct stmt__gitem *done, int n)
{
    struct stmt__gitem **dtail = &done;
    while (*dtail)
        dtail = &(*dtail)->next;
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
        *dtail = db->ghead;
        for (struct stmt__gitem *it = db->ghead; it; it = it->next)
            it->rc = prc;
        db->ghead = db->gtail = NULL;
    } else {
        useconds_t delay = test_delay();
        pthread_mutex_unlock(&db->gmu);
        if (delay)
            usleep(delay);
        prc = stmt_db_txn_commit(parent); /* the group's one fsync */
        pthread_mutex_lock(&db->gmu);
    }
    /* Release the callers only now: their writes are durable (or failed together). */
    for (struct stmt__gitem *it = done, *next; it; it = next) {
        next = it->next;
        it->next = NULL;
        if (!it->rc && (it->fn || it->end == END_COMMIT))
            it->rc = prc;
        it->state = IT_DONE;
    }
    db->gleading = 0;
    pthread_cond_broadcast(&db->gwait);
}

/* Lead a group of the queued work (the caller's own is among it). gmu held. */
static void lead(struct stmt_db *db)
{
    struct stmt_db_txn *parent = NULL;
    int prc;
    pthread_mutex_unlock(&db->gmu);
    prc = stmt_db_txn_begin(db, 1, &parent);
    pthread_mutex_lock(&db->gmu);
    group_finish(db, parent, prc, NULL, 0);
}

/* ---- callers ---------------------------------------------------------------------------- */

/* Queue it (gmu held). */
static void enqueue(struct stmt_db *db, struct stmt__gitem *it)
{
    if (db->gtail)
        db->gtail->next = it;
    else
        db->ghead = it;
    db->gtail = it;
}

/* Take it out of the queue (gmu held). */
static void unqueue(struct stmt_db *db, struct stmt__gitem *it)
{
    struct stmt__gitem **pp = &db->ghead, *prev = NULL;
    while (*pp && *pp != it) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = it->next;
    if (db->gtail == it)
        db->gtail = prev;
    it->next = NULL;
}

int stmt_db_txn_run_grouped(struct stmt_db *db, stmt_db_txn_fn fn, void *ctx)
{
    struct stmt__gitem it = {.fn = fn, .ctx = ctx};
    if (!fn)
        return STMT_DB_ERR_IO;
    pthread_cond_init(&it.cv, NULL);
    pthread_mutex_lock(&db->gmu);
    enqueue(db, &it);
    while (it.state != IT_DONE) {
        if (!db->gleading) { /* no group runs: this caller leads one (its work is queued) */
            db->gleading = 1;
            lead(db);
            continue;
        }
        pthread_cond_wait(&db->gwait, &db->gmu);
    }
    pthread_mutex_unlock(&db->gmu);
    pthread_cond_destroy(&it.cv);
    return it.rc;
}

int stmt_db_txn_begin_grouped(struct stmt_db *db, struct stmt_db_txn **out)
{
    struct stmt_db_txn *t;
    struct stmt__gitem *it;
    int rc = STMT_DB_OK;
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
    enqueue(db, it);
    while (it->state == IT_QUEUED && db->gleading)
        pthread_cond_wait(&db->gwait, &db->gmu);
    if (it->state == IT_QUEUED) {
        /* This caller leads: its own session runs on its thread, first in the group. */
        struct stmt_db_txn *parent = NULL;
        MDB_txn *child = NULL;
        db->gleading = 1;
        unqueue(db, it);
        it->server = pthread_self();
        pthread_mutex_unlock(&db->gmu);
        rc = stmt_db_txn_begin(db, 1, &parent);
        if (!rc)
            rc = stmt__db_err(mdb_txn_begin(db->env, parent->txn, 0, &child));
        pthread_mutex_lock(&db->gmu);
        if (rc && !parent) {
            group_finish(db, NULL, rc, NULL, 0); /* the queued callers fail with it */
        } else if (rc) {
            it->rc = rc; /* no child: this caller fails, the group goes on */
            group_finish(db, parent, STMT_DB_OK, it, 1);
        } else {
            it->parent = parent;
            t->txn = child;
            t->owner = pthread_self();
            it->state = IT_BEGUN;
        }
    } else if (it->state == IT_DONE) {
        rc = it->rc; /* the group could not begin, or the child could not */
    }
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
    pthread_cond_broadcast(&db->gcv); /* the leader waits there for its sessions' calls */
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
    if (it->parent) {
        /* this caller leads: end its child here, then the rest of the group */
        int crc = child_end(t->txn, commit);
        t->txn = NULL;
        pthread_mutex_lock(&db->gmu);
        it->end = commit ? END_COMMIT : END_ABORT;
        it->rc = crc;
        group_finish(db, it->parent, STMT_DB_OK, it, 1);
    } else {
        pthread_mutex_lock(&db->gmu);
        it->end = commit ? END_COMMIT : END_ABORT;
        pthread_cond_broadcast(&db->gcv);
    }
    while (it->state != IT_DONE)
        pthread_cond_wait(&db->gwait, &db->gmu);
    rc = it->rc;
    pthread_mutex_unlock(&db->gmu);
    pthread_cond_destroy(&it->cv);
    sc_free(it);
    sc_free(t);
    return commit ? rc : STMT_DB_OK;
}
