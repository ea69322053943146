/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The statement store's read-only code on stmt_db.h runs on both backends (issue 19 step 2):
 *   test_stmt_read_backends lmdb   on a fresh LMDB data directory
 *   test_stmt_read_backends pg     on a fresh PostgreSQL database (SCOLAR_TEST_PG)
 * The rows of a small folded store (the record, id, index and meta layout of stmt_store_int.h:
 * three statements in one epoch, one of them a StatementRef) are written with stmt_db_put,
 * then `scolar check` of the statement store (stmt_check.c: cursors over every table, the
 * epoch view, range seeks of the Bloom filter keys) and the upgrade check (stmt_upgrade.c)
 * read them: both must agree, and report a missing index entry, a dangling id entry, a filter
 * of an open epoch and a store folded without report tallies, on both backends alike.
 */
#include "statements/stmt_db.h"
#include "statements/stmt_store.h"
#include "statements/stmt_store_int.h"
#include "common/tap.h"
#include "statements/tests/pg_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t SEQ[3] = {1000001, 1000002, 1000003};
static const uint64_t TERMS[3][2] = {{11, 22}, {11, 33}, {22, 44}};

static int put(struct stmt_db_txn *t, const char *table, const void *k, size_t kl, const void *v,
               size_t vl)
{
    return stmt_db_put(t, table, k, kl, v, vl, 0);
}

/* Statement i: its record, id entry and index entries; statement 2 refers to statement 0. */
static int put_statement(struct stmt_db_txn *t, int i)
{
    unsigned char rec[STMT_REC_HDR + 16 + 64], k[STMT_IDX_KEY], s8[8];
    static const char json[] = "{\"id\":\"x\"}";
    size_t len = STMT_REC_HDR + 16 + sizeof json - 1;
    int rc;
    memset(rec, 0, sizeof rec);
    rec[0] = STMT_REC_FORMAT;
    rec[1] = i == 2 ? STMT_REC_REF : 0;
    rec[3] = 2; /* two terms */
    memset(rec + 4, 0xa0 + i, 16);
    if (i == 2)
        memset(rec + 20, 0xa0, 16);
    for (int j = 0; j < 2; j++)
        stmt__be64_put(rec + STMT_REC_HDR + 8 * j, TERMS[i][j]);
    memcpy(rec + STMT_REC_HDR + 16, json, sizeof json - 1);
    stmt__be64_put(s8, SEQ[i]);
    rc = put(t, "stmt", s8, 8, rec, len);
    stmt__be32_put(k, 0);
    memcpy(k + 4, rec + 4, 16);
    if (!rc)
        rc = put(t, "stmt_id", k, STMT_ID_KEY, s8, 8);
    for (int j = 0; j < 2 && !rc; j++) {
        stmt__idx_key(k, 0, TERMS[i][j], SEQ[i]);
        rc = put(t, "stmt_idx", k, STMT_IDX_KEY, "", 0);
    }
    return rc;
}

static struct stmt_db *fresh(int use_pg, const char *tmp)
{
    return pgtu_fresh_db(use_pg, tmp, NULL, 0);
}

int main(int argc, char **argv)
{
    int use_pg = argc > 1 && strcmp(argv[1], "pg") == 0;
    char tmp[] = "/tmp/scolar-readb-XXXXXX", report[4096], why[256], cmd[64];
    unsigned char lv[4], ep[8], thr[8], k[STMT_IDX_KEY], bk[9];
    struct stmt_db_txn *t;
    struct stmt_db *db;
    int rc = 0;

    if (!mkdtemp(tmp))
        return 2;
    tap_diag("backend: %s", use_pg ? "PostgreSQL" : "LMDB");
    db = fresh(use_pg, tmp);

    is_int(stmt_store_check(db, report, sizeof report), STMT_DB_OK, "an empty store checks clean");
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 0, "and needs no upgrade");

    stmt__be32_put(lv, STMT_LAYOUT);
    stmt__be64_put(ep, 1);
    stmt__be64_put(thr, SEQ[2]);
    stmt_db_txn_begin(db, 1, &t);
    for (int i = 0; i < 3 && !rc; i++)
        rc = put_statement(t, i);
    if (!rc)
        rc = put(t, "stmt_meta", "layout", 6, lv, 4);
    if (!rc)
        rc = put(t, "stmt_meta", "epochs", 6, ep, 8);
    if (!rc)
        rc = put(t, "stmt_meta", "indexed_through", 15, thr, 8);
    if (!rc)
        rc = put(t, "stmt_meta", "reports", 7, "1", 1);
    is_int(rc, STMT_DB_OK, "the rows of three folded statements");
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "commit");

    is_int(stmt_store_check(db, report, sizeof report), STMT_DB_OK, "check: clean");
    fprintf(stderr, "%s", report); /* not TAP: several lines */
    ok(strstr(report, "statements: 3 stored, 3 folded into 1 epochs, 6 index entries: ids and "
                      "indexes agree") != NULL,
       "check reads every record and entry");
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 0, "a current store needs no upgrade");

    /* damage: an index entry of statement 1 gone, an id entry pointing at no statement, a
     * Bloom filter for the open epoch */
    stmt_db_txn_begin(db, 1, &t);
    stmt__idx_key(k, 0, 33, SEQ[1]);
    rc = stmt_db_del(t, "stmt_idx", k, STMT_IDX_KEY);
    stmt__be32_put(k, 0);
    memset(k + 4, 0xee, 16);
    if (!rc)
        rc = put(t, "stmt_id", k, STMT_ID_KEY, thr, 8);
    memcpy(bk, "bloom", 5);
    stmt__be32_put(bk + 5, 0);
    if (!rc)
        rc = put(t, "stmt_meta", bk, 9, "\0\0\0\0\0\0\0\0", 8);
    is_int(rc, STMT_DB_OK, "three kinds of damage written");
    stmt_db_txn_commit(t);
    is_int(stmt_store_check(db, report, sizeof report), STMT_DB_ERR_CORRUPT, "check: findings");
    fprintf(stderr, "%s", report); /* not TAP: several lines */
    ok(strstr(report, "misses index term 2 of 2") != NULL, "the missing index entry");
    ok(strstr(report, "stmt_id: entry #4 points at no statement of its id") != NULL,
       "the id entry of no statement");
    ok(strstr(report, "a Bloom filter for epoch 0, which is not a closed epoch") != NULL,
       "the filter of the open epoch");
    ok(strstr(report, "stmt_id: 4 entries for 3 folded statements") != NULL,
       "the count of id entries");

    /* folded by a build without report tallies: the upgrade check says so */
    is_int(stmt_db_del1(db, "stmt_meta", "reports", 7), STMT_DB_OK, "no report tallies record");
    is_int(stmt_store_needs_upgrade(db, why, sizeof why), 1, "the upgrade check finds it");
    ok(strstr(why, "without report tallies") != NULL, "with the reason: %s", why);

    stmt_db_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0)
        tap_diag("cannot remove %s", tmp);
    return tap_done();
}
