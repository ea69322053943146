/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_store_insert_rows: another module's records written in the writer's transaction with a
 * statement batch. Stored batch: rows present (puts and a delete); refused batch (a conflicting
 * id): none of its rows written, the earlier values intact; rows of concurrent requests in one
 * group each land with their own batch.
 * stmt_store_insert_fn: the caller's function runs on the writer's thread in the batch's
 * transaction (it sees the batch's rows; its writes land with them); a failing function
 * stores nothing of its batch (no statement, no row, none of its own writes) and another
 * request of the same group still commits.
 */
#include "statements/stmt_store.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/tap.h"
#include "statements/tests/pg_test_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct stmt_db *db;
static struct stmt_store *st;

static cJSON *stmt(const char *id, const char *verb)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"actor\":{\"mbox\":\"mailto:a@example.com\"},\"verb\":{\"id\":"
             "\"http://example.com/%s\"},\"object\":{\"id\":\"http://example.com/o\"}}",
             id, verb);
    return cJSON_Parse(buf);
}

static int get(const char *key, char *out, size_t n)
{
    char *v = NULL;
    size_t vl = 0;
    int rc = stmt_db_get1(db, "rows_test", key, strlen(key), &v, &vl);
    if (rc == 0)
        snprintf(out, n, "%.*s", (int)vl, v);
    sc_free(v);
    return rc;
}

struct worker {
    int i, rc;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    char id[SC_UUID_LEN], key[32], val[32];
    sc_uuid_v4(id);
    snprintf(key, sizeof key, "w%d", w->i);
    snprintf(val, sizeof val, "v%d", w->i);
    cJSON *s = stmt(id, "did");
    struct stmt_row r = {"rows_test", key, strlen(key), val, strlen(val)};
    w->rc = stmt_store_insert_rows(st, &s, 1, NULL, &r, 1, NULL);
    cJSON_Delete(s);
    return NULL;
}

struct fnctx {
    int fail, runs, saw_row;
    pthread_t thread;
};

/* Reads the batch's row (visible only inside the writer's uncommitted transaction), writes a
 * counter read-modify-write, then fails when asked to after its writes. */
static int count_fn(struct stmt_db_txn *txn, void *vctx)
{
    struct fnctx *c = vctx;
    const void *v;
    size_t vl;
    char buf[32];
    int n = 0, rc;
    c->runs++;
    c->thread = pthread_self();
    c->saw_row = stmt_db_get(txn, "rows_test", "fnrow", 5, &v, &vl) == 0;
    if (stmt_db_get(txn, "rows_test", "counter", 7, &v, &vl) == 0)
        n = atoi((const char *)v); /* "%d" and a NUL: written below */
    snprintf(buf, sizeof buf, "%d", n + 1);
    rc = stmt_db_put(txn, "rows_test", "counter", 7, buf, strlen(buf) + 1, 0);
    if (rc)
        return rc;
    return c->fail ? 42 : 0;
}

struct fnworker {
    struct fnctx c;
    int rc, frc;
    char id[SC_UUID_LEN];
};

static void *run_fn(void *arg)
{
    struct fnworker *w = arg;
    cJSON *s = stmt(w->id, "counted");
    w->rc = stmt_store_insert_fn(st, &s, 1, NULL, NULL, 0, count_fn, &w->c, &w->frc, NULL);
    cJSON_Delete(s);
    return NULL;
}

static void fn_tests(void)
{
    char id[SC_UUID_LEN], id2[SC_UUID_LEN], got[64], *json = NULL;
    struct fnctx c = {0};
    int frc = -1;
    sc_uuid_v4(id);
    cJSON *a = stmt(id, "fn");
    struct stmt_row row = {"rows_test", "fnrow", 5, "r", 1};
    is_int(stmt_store_insert_fn(st, &a, 1, NULL, &row, 1, count_fn, &c, &frc, NULL), 0,
           "insert_fn: stored");
    is_int(frc, 0, "fn's code 0");
    ok(c.runs >= 1 && c.saw_row, "fn ran and saw the batch's row (same transaction)");
    ok(!pthread_equal(c.thread, pthread_self()), "fn ran on the writer's thread");
    ok(get("counter", got, sizeof got) == 0 && !strcmp(got, "1"), "fn's write is durable");
    ok(stmt_store_get(st, id, 0, &json, NULL) == 0, "the statement is there");
    sc_free(json);
    json = NULL;

    /* failing fn: nothing of the batch */
    struct fnctx f = {1, 0, 0, pthread_self()};
    sc_uuid_v4(id2);
    cJSON *b = stmt(id2, "fn");
    struct stmt_row row2 = {"rows_test", "fnrow2", 6, "x", 1};
    is_int(stmt_store_insert_fn(st, &b, 1, NULL, &row2, 1, count_fn, &f, &frc, NULL),
           STMT_STORE_ERR_FN, "failing fn: the batch is refused");
    is_int(frc, 42, "fn's own code is handed back");
    ok(stmt_store_get(st, id2, 0, &json, NULL) == STMT_STORE_ERR_NOTFOUND, "no statement stored");
    ok(get("fnrow2", got, sizeof got) != 0, "no row stored");
    ok(get("counter", got, sizeof got) == 0 && !strcmp(got, "1"), "fn's own write undone");

    /* a group mixing failing and succeeding fns: each succeeding one counts once */
    struct fnworker w[12];
    pthread_t th[12];
    int good = 0, all = 1;
    for (int i = 0; i < 12; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].c.fail = i % 3 == 0;
        good += !w[i].c.fail;
        sc_uuid_v4(w[i].id);
        pthread_create(&th[i], NULL, run_fn, &w[i]);
    }
    for (int i = 0; i < 12; i++) {
        pthread_join(th[i], NULL);
        int stored = stmt_store_get(st, w[i].id, 0, &json, NULL) == 0;
        sc_free(json);
        json = NULL;
        all &= w[i].c.fail ? (w[i].rc == STMT_STORE_ERR_FN && w[i].frc == 42 && !stored)
                           : (w[i].rc == 0 && stored);
    }
    ok(all, "12 concurrent insert_fn: failing ones store nothing, the others their statement");
    snprintf(id, sizeof id, "%d", 1 + good);
    ok(get("counter", got, sizeof got) == 0 && !strcmp(got, id),
       "the counter counts exactly the succeeding ones (read-modify-write in the writer)");
    cJSON_Delete(a);
    cJSON_Delete(b);
}

int main(void)
{
    char dir[] = "/tmp/stmt-rows-XXXXXX", err[256], got[64], id1[SC_UUID_LEN], id2[SC_UUID_LEN];
    static const char *const tables[] = {"rows_test"};
    if (!mkdtemp(dir))
        return 2;
    is_int(pgtu_open_env(dir, &db, err, sizeof err), 0, "open");
    is_int(stmt_db_tables_register(db, tables, 1), 0, "register the module's table");
    is_int(stmt_store_open(db, NULL, &st), 0, "store");
    ok(stmt_db_put1(db, "rows_test", "gone", 4, "x", 1, 0) == 0, "a row to delete");

    sc_uuid_v4(id1);
    cJSON *a = stmt(id1, "one");
    struct stmt_row rows[2] = {{"rows_test", "k", 1, "first", 5},
                               {"rows_test", "gone", 4, NULL, 0}};
    is_int(stmt_store_insert_rows(st, &a, 1, NULL, rows, 2, NULL), 0, "batch with rows stored");
    ok(get("k", got, sizeof got) == 0 && !strcmp(got, "first"), "the put is there");
    ok(get("gone", got, sizeof got) != 0, "the delete happened");
    char *json = NULL;
    ok(stmt_store_get(st, id1, 0, &json, NULL) == 0, "the statement is there");
    sc_free(json);

    /* a conflicting batch (same id, other content): refused, its rows not written */
    sc_uuid_v4(id2);
    cJSON *b[2] = {stmt(id2, "two"), stmt(id1, "changed")};
    struct stmt_row r2 = {"rows_test", "k", 1, "second", 6};
    is_int(stmt_store_insert_rows(st, b, 2, NULL, &r2, 1, NULL), STMT_STORE_ERR_CONFLICT,
           "conflicting batch refused");
    ok(get("k", got, sizeof got) == 0 && !strcmp(got, "first"), "its row was not written");
    ok(stmt_store_get(st, id2, 0, &json, NULL) == STMT_STORE_ERR_NOTFOUND, "nor its statements");

    /* concurrent requests share group commits; each one's row lands */
    struct worker w[16];
    pthread_t th[16];
    for (int i = 0; i < 16; i++) {
        w[i].i = i;
        pthread_create(&th[i], NULL, run, &w[i]);
    }
    int all = 1;
    for (int i = 0; i < 16; i++) {
        char key[32], want[32];
        pthread_join(th[i], NULL);
        snprintf(key, sizeof key, "w%d", i);
        snprintf(want, sizeof want, "v%d", i);
        all &= w[i].rc == 0 && get(key, got, sizeof got) == 0 && !strcmp(got, want);
    }
    ok(all, "16 concurrent batches, each with its row");
    fn_tests();

    cJSON_Delete(a);
    cJSON_Delete(b[0]);
    cJSON_Delete(b[1]);
    stmt_store_close(st);
    stmt_db_close(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        tap_diag("cannot remove %s", dir);
    return tap_done();
}
