/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_store_needs_upgrade (issue 18, backup before an upgrade): a new store and a current one
 * need none; a store folded before report tallies and a layout 1 store need one, and do not
 * after stmt_store_open converted them; the check itself writes nothing.
 */
#include "statements/stmt_store.h"
#include "common/sc_alloc.h"
#include "common/tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUTH "{\"objectType\":\"Agent\",\"name\":\"lrs\",\"mbox\":\"mailto:lrs@example.org\"}"

static void rm_rf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        tap_diag("cleanup of %s failed", d);
}

static size_t count(struct stmt_store *st)
{
    size_t n = 0;
    stmt_store_count(st, &n);
    return n;
}

static int has_meta(struct stmt_db *db, const char *table, const char *name)
{
    char *val = NULL;
    size_t vlen = 0;
    int rc = stmt_db_get1(db, table, name, strlen(name), &val, &vlen);
    sc_free(val);
    return rc == STMT_DB_OK;
}

static int del_meta(struct stmt_db *db, const char *name, const char *format)
{
    struct stmt_db_txn *t = NULL;
    if (stmt_db_txn_begin(db, 1, &t))
        return -1;
    if (stmt_db_del(t, "stmt_meta", name, strlen(name)) ||
        (format && stmt_db_put(t, "meta", "format", 6, format, strlen(format), 0))) {
        stmt_db_txn_abort(t);
        return -1;
    }
    return stmt_db_txn_commit(t);
}

int main(void)
{
    char dir[256], err[256] = "", why[256];
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    struct stmt_store_opts o = {0};
    struct stmt_insert_result res;
    cJSON *b[30];

    snprintf(dir, sizeof dir, "/tmp/test_stmt_upgrade.%d", (int)getpid());
    rm_rf(dir);
    o.epoch_size = 16;
    if (stmt_db_open(dir, &db, err, sizeof err)) {
        ok(0, "open %s: %s", dir, err);
        return tap_done();
    }
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 0, "a new data directory: no upgrade");
    is_int(stmt_store_open(db, &o, &st), STMT_STORE_OK, "store open");
    for (int i = 0; i < 30; i++) {
        char buf[256];
        snprintf(buf, sizeof buf,
                 "{\"actor\":{\"mbox\":\"mailto:u%d@example.org\"},\"verb\":{\"id\":"
                 "\"http://ex.org/v\"},\"object\":{\"id\":\"http://ex.org/a\"}}",
                 i);
        b[i] = cJSON_Parse(buf);
    }
    is_int(stmt_store_insert(st, b, 30, AUTH, &res), STMT_STORE_OK, "30 statements stored");
    stmt_insert_result_free(&res);
    for (int i = 0; i < 30; i++)
        cJSON_Delete(b[i]);
    is_int(stmt_store_sync(st), STMT_STORE_OK, "folded");
    stmt_store_close(st);
    st = NULL;
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 0, "a current store: no upgrade");

    /* A store folded by a build without report tallies (no "reports" record). */
    is_int(del_meta(db, "reports", NULL), STMT_DB_OK, "reports record removed");
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 1,
           "folded before report tallies: upgrade");
    ok(strstr(why, "report tallies") != NULL, "says why: %s", why);
    ok(!has_meta(db, "stmt_meta", "reports"), "the check wrote nothing");
    is_int(stmt_store_open(db, &o, &st), STMT_STORE_OK, "open converts it");
    is_int(count(st), 30, "30 statements after the refold");
    stmt_store_close(st);
    st = NULL;
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 0, "converted: no upgrade now");

    /* Layout 1: no "layout" record, format record 1, id and index tables full. */
    is_int(del_meta(db, "layout", "1"), STMT_DB_OK, "layout record removed, format 1");
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 1, "layout 1 store: upgrade");
    ok(strstr(why, "layout 1") != NULL, "says why: %s", why);
    ok(!has_meta(db, "stmt_meta", "layout"), "the check wrote nothing");
    is_int(stmt_store_open(db, &o, &st), STMT_STORE_OK, "open converts it");
    is_int(count(st), 30, "30 statements after the migration");
    stmt_store_close(st);
    st = NULL;
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 0, "migrated: no upgrade now");
    stmt_db_close(db);
    db = NULL;

    /* A layout 1 directory with no statement: nothing to convert. */
    rm_rf(dir);
    if (stmt_db_open(dir, &db, err, sizeof err) || stmt_store_open(db, &o, &st)) {
        ok(0, "open %s: %s", dir, err);
        return tap_done();
    }
    stmt_store_close(st);
    is_int(del_meta(db, "layout", "1"), STMT_DB_OK, "empty store made layout 1");
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 0, "nothing stored: no upgrade");
    stmt_db_close(db);
    rm_rf(dir);
    return tap_done();
}
