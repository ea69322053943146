/* SPDX-License-Identifier: Apache-2.0 */
/* stmt_db: key/value round trips, scans, map growth, format refusal, directory lock. */
#include "statements/stmt_db.h"
#include "statements/stmt_db_int.h"
#include "common/sc_alloc.h"
#include "common/tap.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static int collect(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    char *acc = ctx;
    (void)v;
    (void)vl;
    strncat(acc, k, kl);
    strcat(acc, ",");
    return 0;
}

struct gw_arg {
    struct stmt_db *db;
    int id;
    int fails;
};

/* 50 grouped transactions per thread; every third one is aborted instead of committed */
static void *group_writer(void *p)
{
    struct gw_arg *a = p;
    for (int i = 0; i < 50; i++) {
        struct stmt_db_txn *t;
        char key[32];
        int n = snprintf(key, sizeof key, "g%02d-%02d", a->id, i);
        if (stmt_db_txn_begin_grouped(a->db, &t)) {
            a->fails++;
            continue;
        }
        if (stmt_db_put(t, "t_group", key, (size_t)n, "v", 1, 0)) {
            a->fails++;
            stmt_db_txn_abort(t);
            continue;
        }
        if (i % 3 == 2)
            stmt_db_txn_abort(t);
        else if (stmt_db_txn_commit(t))
            a->fails++;
    }
    return NULL;
}

static int count_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k;
    (void)kl;
    (void)v;
    (void)vl;
    (*(int *)ctx)++;
    return 0;
}

static void rm_rf(const char *d);

/* ---- the group thread: work handed over, one thread per write transaction -------------- */

static int g_sessions_handed; /* sessions whose calls ran on another thread (the leader's) */
static pthread_mutex_t g_seen_mu = PTHREAD_MUTEX_INITIALIZER;

struct pair_ctx {
    char a[32], b[32];
    int fail; /* write a, then fail before b */
};

/* One logical write of two keys; with fail, the first is written and the function fails. */
static int pair_fn(struct stmt_db_txn *t, void *p)
{
    struct pair_ctx *c = p;
    int rc;
    rc = stmt_db_put(t, "t_group", c->a, strlen(c->a), "v", 1, 0);
    if (rc)
        return rc;
    if (c->fail)
        return -77; /* the caller's own error */
    return stmt_db_put(t, "t_group", c->b, strlen(c->b), "v", 1, 0);
}

/* the visitor runs on the thread that makes the LMDB call; ctx: the session's caller */
static int scan_seen(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k;
    (void)kl;
    (void)v;
    (void)vl;
    if (!pthread_equal(*(pthread_t *)ctx, pthread_self())) {
        pthread_mutex_lock(&g_seen_mu);
        g_sessions_handed++;
        pthread_mutex_unlock(&g_seen_mu);
    }
    return 1; /* one key is enough */
}

/* 1 when key is visible to a fresh read transaction of the calling thread */
static int visible(struct stmt_db *db, const char *key)
{
    char *v = NULL;
    int rc = stmt_db_get1(db, "t_group", key, strlen(key), &v, NULL);
    sc_free(v);
    return rc == STMT_DB_OK;
}

struct pw_arg {
    struct stmt_db *db;
    int id, bad, early, split, wrong_rc;
};

/* 40 pairs per thread, alternately as a function and as a session; every fifth fails after
 * its first key. After each return the caller checks, in a read transaction of its own, that
 * an acknowledged pair is visible whole (it was committed before the answer) and that a failed
 * one left nothing. */
static void *pair_writer(void *p)
{
    struct pw_arg *a = p;
    for (int i = 0; i < 40; i++) {
        struct pair_ctx c = {.fail = i % 5 == 4};
        int rc;
        snprintf(c.a, sizeof c.a, "p%02d-%02d-a", a->id, i);
        snprintf(c.b, sizeof c.b, "p%02d-%02d-b", a->id, i);
        if (i % 2 == 0) {
            rc = stmt_db_txn_run_grouped(a->db, pair_fn, &c);
        } else {
            struct stmt_db_txn *t;
            rc = stmt_db_txn_begin_grouped(a->db, &t);
            if (rc) {
                a->bad++;
                continue;
            }
            rc = stmt_db_put(t, "t_group", c.a, strlen(c.a), "v", 1, 0);
            pthread_t me = pthread_self();
            stmt_db_scan(t, "t_group", NULL, 0, scan_seen, &me);
            if (!rc && c.fail) {
                stmt_db_txn_abort(t);
                rc = -77;
            } else if (!rc) {
                rc = stmt_db_put(t, "t_group", c.b, strlen(c.b), "v", 1, 0);
                rc = rc ? (stmt_db_txn_abort(t), rc) : stmt_db_txn_commit(t);
            } else {
                stmt_db_txn_abort(t);
            }
        }
        if (c.fail) {
            a->wrong_rc += rc != -77;
            a->split += visible(a->db, c.a) || visible(a->db, c.b);
        } else if (rc) {
            a->bad++;
        } else {
            int va = visible(a->db, c.a), vb = visible(a->db, c.b);
            a->early += !va && !vb;
            a->split += va != vb;
        }
    }
    return NULL;
}

static void *put_from_here(void *p)
{
    struct stmt_db_txn *t = p;
    return (void *)(intptr_t)stmt_db_put(t, "t_group", "x", 1, "v", 1, 0);
}

static void test_group_thread(const char *gdir)
{
    struct stmt_db *db = NULL;
    static const char *const mine[] = {"t_group"};
    /* a store of its own, whose group thread waits 2 ms before each commit: an answer given
     * before the commit would be seen (the pair not yet visible) */
    setenv("SCOLAR_TEST_GROUP_DELAY_US", "2000", 1);
    {
        /* LMDB's rule enforced: a write transaction used on another thread is refused */
        struct stmt_db *d0 = NULL;
        struct stmt_db_txn *t;
        pthread_t th;
        void *res = NULL;
        char d0dir[320];
        snprintf(d0dir, sizeof d0dir, "%s-0", gdir);
        rm_rf(d0dir);
        if (stmt_db_open(d0dir, &d0, NULL, 0) == STMT_DB_OK &&
            stmt_db_tables_register(d0, (const char *const[]){"t_group"}, 1) == STMT_DB_OK &&
            stmt_db_txn_begin(d0, 1, &t) == STMT_DB_OK) {
            pthread_create(&th, NULL, put_from_here, t);
            pthread_join(th, &res);
            is_int((int)(intptr_t)res, STMT_DB_ERR_IO,
                   "a write transaction used on another thread is refused");
            is_int(stmt__db_wrong_thread(), 1, "and counted");
            is_int(stmt_db_put(t, "t_group", "x", 1, "v", 1, 0), STMT_DB_OK,
                   "its own thread may use it");
            stmt_db_txn_abort(t);
        } else {
            ok(0, "store for the thread check");
        }
        stmt_db_close(d0);
        rm_rf(d0dir);
    }
    rm_rf(gdir);
    if (!ok(stmt_db_open(gdir, &db, NULL, 0) == STMT_DB_OK &&
                stmt_db_tables_register(db, mine, 1) == STMT_DB_OK,
            "group: store opened"))
        return;
    pthread_t th[8];
    struct pw_arg args[8];
    int bad = 0, early = 0, split = 0, wrong_rc = 0;
    for (int i = 0; i < 8; i++) {
        args[i] = (struct pw_arg){.db = db, .id = i};
        pthread_create(&th[i], NULL, pair_writer, &args[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        bad += args[i].bad;
        early += args[i].early;
        split += args[i].split;
        wrong_rc += args[i].wrong_rc;
    }
    is_int(bad, 0, "group: every pair was written");
    is_int(early, 0, "group: no caller was answered before its write was committed");
    is_int(split, 0, "group: a pair is all or nothing (a failed one leaves no key)");
    is_int(wrong_rc, 0, "group: a failing function's own result reaches its caller");
    is_int(stmt__db_wrong_thread(), 1,
           "group: every LMDB call on a write transaction came from its own thread");
    tap_diag("%d sessions had their calls made by another caller that led the group",
             g_sessions_handed);
    stmt_db_close(db);
    unsetenv("SCOLAR_TEST_GROUP_DELAY_US");
    rm_rf(gdir);
}

static void rm_rf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        tap_diag("cleanup of %s failed", d);
}

int main(void)
{
    struct stmt_db *db = NULL, *db2 = NULL;
    char err[512], *val = NULL, acc[256] = "";
    size_t vlen = 0;
    struct stmt_db_txn *t;

    snprintf(dir, sizeof dir, "/tmp/scolar-test-db-%d", (int)getpid());
    rm_rf(dir);
    setenv("SCOLAR_DB_INITIAL_MAP", "1048576", 1);
    is_int(stmt_db_open(dir, &db, err, sizeof err), STMT_DB_OK, "open creates the store");
    is_int(stmt_db_open(dir, &db2, err, sizeof err), STMT_DB_ERR_LOCKED,
           "second open of the same dir is refused");
    ok(strstr(err, "in use") != NULL, "lock message names the cause: %s", err);

    /* tables: each module registers its own (statements/ names only its own) */
    {
        static const char *const mine[] = {"t_kv", "t_big", "t_group"};
        static const char *const bad[] = {""};
        is_int(stmt_db_tables_register(db, mine, 3), STMT_DB_OK, "a module registers its tables");
        is_int(stmt_db_tables_register(db, mine, 2), STMT_DB_OK, "registering again is harmless");
        is_int(stmt_db_tables_register(db, bad, 1), STMT_DB_ERR_KEY, "an empty name is refused");
        is_int(stmt_db_put1(db, "courses", "k", 1, "v", 1, 0), STMT_DB_ERR_TABLE,
               "statements/ alone does not know scorm/'s tables");
        is_int(stmt_db_get1(db, "t_unknown", "k", 1, &val, &vlen), STMT_DB_ERR_TABLE,
               "a table nobody registered cannot be read");
    }

    is_int(stmt_db_put1(db, "t_kv", "k1", 2, "v1", 2, 0), STMT_DB_OK, "put");
    is_int(stmt_db_put1(db, "t_kv", "k1", 2, "zz", 2, STMT_DB_NOOVERWRITE), STMT_DB_ERR_EXISTS,
           "no-overwrite put on an existing key");
    is_int(stmt_db_get1(db, "t_kv", "k1", 2, &val, &vlen), STMT_DB_OK, "get");
    is_str(val, "v1", "value round trip");
    sc_free(val);
    val = NULL;
    is_int(stmt_db_get1(db, "t_kv", "nope", 4, &val, &vlen), STMT_DB_NOTFOUND, "missing key");
    is_int(stmt_db_put1(db, "t_kv", "", 0, "v", 1, 0), STMT_DB_ERR_KEY, "empty key rejected");

    stmt_db_put1(db, "t_kv", "k3", 2, "x", 1, 0);
    stmt_db_put1(db, "t_kv", "k2", 2, "x", 1, 0);
    is_int(stmt_db_txn_begin(db, 0, &t), STMT_DB_OK, "read txn");
    is_int(stmt_db_scan(t, "t_kv", "k2", 2, collect, acc), STMT_DB_OK, "scan from k2");
    stmt_db_txn_abort(t);
    is_str(acc, "k2,k3,", "scan visits keys in order from the start key");

    /* aborted write leaves nothing */
    stmt_db_txn_begin(db, 1, &t);
    stmt_db_put(t, "t_kv", "gone", 4, "x", 1, 0);
    stmt_db_txn_abort(t);
    is_int(stmt_db_get1(db, "t_kv", "gone", 4, &val, &vlen), STMT_DB_NOTFOUND,
           "aborted write is not visible");

    /* growth: 8 MiB of values into a 1 MiB map */
    {
        char *big = sc_calloc(1, 256 * 1024);
        int rc = 0;
        for (int i = 0; i < 32 && !rc; i++) {
            char key[16];
            int n = snprintf(key, sizeof key, "big%02d", i);
            rc = stmt_db_put1(db, "t_big", key, (size_t)n, big, 256 * 1024, 0);
        }
        is_int(rc, STMT_DB_OK, "writes past the initial map size succeed (map grows)");
        sc_free(big);
    }
    {
        /* group commit: 16 threads x 50 grouped transactions, every third aborted */
        pthread_t th[16];
        struct gw_arg args[16];
        int fails = 0, count = 0;
        struct stmt_db_txn *rt;
        for (int i = 0; i < 16; i++) {
            args[i] = (struct gw_arg){db, i, 0};
            pthread_create(&th[i], NULL, group_writer, &args[i]);
        }
        for (int i = 0; i < 16; i++) {
            pthread_join(th[i], NULL);
            fails += args[i].fails;
        }
        is_int(fails, 0, "every grouped commit succeeded");
        stmt_db_txn_begin(db, 0, &rt);
        stmt_db_scan(rt, "t_group", NULL, 0, count_visit, &count);
        stmt_db_txn_abort(rt);
        is_int(count, 16 * 34, "committed grouped writes are all there, aborted ones are not");
    }
    {
        char gdir[300];
        snprintf(gdir, sizeof gdir, "%s-group", dir);
        test_group_thread(gdir);
    }
    {
        char report[2048];
        is_int(stmt_db_check(db, report, sizeof report), STMT_DB_OK, "check passes");
        ok(strstr(report, "t_big: 32 records") != NULL, "check counts a registered table");
    }
    stmt_db_close(db);
    db = NULL;

    is_int(stmt_db_open(dir, &db, err, sizeof err), STMT_DB_OK, "reopen");
    {
        static const char *const mine[] = {"t_kv"};
        is_int(stmt_db_tables_register(db, mine, 1), STMT_DB_OK, "tables registered again");
    }
    is_int(stmt_db_get1(db, "t_kv", "k1", 2, &val, &vlen), STMT_DB_OK, "data survives reopen");
    sc_free(val);
    /* a store from the future is refused */
    stmt_db_put1(db, "meta", "format", 6, "999", 3, 0);
    stmt_db_close(db);
    db = NULL;
    is_int(stmt_db_open(dir, &db, err, sizeof err), STMT_DB_ERR_VERSION, "newer format refused");
    ok(strstr(err, "newer scolar") != NULL, "message says why: %s", err);

    /* garbage file */
    rm_rf(dir);
    if (system("mkdir -p /tmp/scolar-test-db-garbage && head -c 100000 /dev/urandom > "
               "/tmp/scolar-test-db-garbage/store.mdb") != 0)
        tap_diag("setup failed");
    is_int(stmt_db_open("/tmp/scolar-test-db-garbage", &db, err, sizeof err), STMT_DB_ERR_CORRUPT,
           "random bytes are refused as corrupt");
    ok(strstr(err, "store.mdb") != NULL, "message names the file: %s", err);
    rm_rf("/tmp/scolar-test-db-garbage");
    return tap_done();
}
