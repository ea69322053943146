/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_store_insert_rows: another module's records written in the writer's transaction with a
 * statement batch. Stored batch: rows present (puts and a delete); refused batch (a conflicting
 * id): none of its rows written, the earlier values intact; rows of concurrent requests in one
 * group each land with their own batch.
 */
#include "statements/stmt_store.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/tap.h"

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

int main(void)
{
    char dir[] = "/tmp/stmt-rows-XXXXXX", err[256], got[64], id1[SC_UUID_LEN], id2[SC_UUID_LEN];
    static const char *const tables[] = {"rows_test"};
    if (!mkdtemp(dir))
        return 2;
    is_int(stmt_db_open(dir, &db, err, sizeof err), 0, "open");
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
