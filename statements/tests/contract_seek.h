/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_db_cursor_seek_le, part of the stmt_db.h contract (test_stmt_db_contract.c, both
 * backends): the last key <= a key (exact, between keys, before the first, after the last, an
 * empty key, a prefix of keys), the walk on from there in both directions, across more rows
 * than a PostgreSQL page, an empty table, a write of the cursor's transaction, refusals.
 */
#ifndef CONTRACT_SEEK_H
#define CONTRACT_SEEK_H
/* Included by test_stmt_db_contract.c (one TAP counter per program). */
#include "statements/stmt_db.h"
#include "common/tap.h"

#include <stdio.h>
#include <string.h>

#define SEEK_ROWS 300

static const char *const ST[] = {"t_seek"};

static int seek_is(const struct stmt_db_kv *kv, const char *k)
{
    return kv->klen == strlen(k) && memcmp(kv->key, k, kv->klen) == 0;
}

static void contract_seek(struct stmt_db *db)
{
    struct stmt_db_txn *t, *r;
    struct stmt_db_cursor *c;
    struct stmt_db_kv kv;
    char k[16], big[STMT_DB_MAX_KEY + 2];
    int rc = 0, n, good;

    is_int(stmt_db_tables_register(db, ST, 1), STMT_DB_OK, "seek_le: table registered");
    stmt_db_txn_begin(db, 0, &r);
    stmt_db_cursor_open(r, "t_seek", &c);
    is_int(stmt_db_cursor_seek_le(c, "k", 1, &kv), STMT_DB_NOTFOUND, "seek_le: empty table");
    is_int(stmt_db_cursor_seek_le(c, "", 0, &kv), STMT_DB_NOTFOUND,
           "seek_le: empty table, empty key");
    is_int(stmt_db_cursor_next(c, &kv), STMT_DB_NOTFOUND, "seek_le: then next finds nothing");
    stmt_db_cursor_close(c);
    stmt_db_txn_abort(r);

    /* keys k0010, k0020, ... k3000 (even tens), plus "k" and "m" */
    stmt_db_txn_begin(db, 1, &t);
    for (int i = 1; i <= SEEK_ROWS && !rc; i++) {
        snprintf(k, sizeof k, "k%04d", i * 10);
        rc = stmt_db_put(t, "t_seek", k, 5, "v", 1, STMT_DB_APPEND);
    }
    if (!rc)
        rc = stmt_db_put(t, "t_seek", "k", 1, "short", 5, 0);
    if (!rc)
        rc = stmt_db_put(t, "t_seek", "m", 1, "end", 3, 0);
    is_int(rc, STMT_DB_OK, "seek_le: 302 rows put");
    stmt_db_txn_commit(t);

    stmt_db_txn_begin(db, 0, &r);
    stmt_db_cursor_open(r, "t_seek", &c);
    ok(stmt_db_cursor_seek_le(c, "k1500", 5, &kv) == 0 && seek_is(&kv, "k1500"),
       "seek_le: an exact key");
    ok(stmt_db_cursor_seek_le(c, "k1505", 5, &kv) == 0 && seek_is(&kv, "k1500"),
       "seek_le: between keys, the smaller");
    ok(stmt_db_cursor_prev(c, &kv) == 0 && seek_is(&kv, "k1490"), "seek_le: then prev");
    ok(stmt_db_cursor_next(c, &kv) == 0 && seek_is(&kv, "k1500") &&
           stmt_db_cursor_next(c, &kv) == 0 && seek_is(&kv, "k1510"),
       "seek_le: then next, next");
    ok(stmt_db_cursor_seek_le(c, "k15", 3, &kv) == 0 && seek_is(&kv, "k1490"),
       "seek_le: a prefix of keys: the last key before them");
    ok(stmt_db_cursor_seek_le(c, "k0000", 5, &kv) == 0 && seek_is(&kv, "k"),
       "seek_le: before the first k-number: the shorter key \"k\"");
    is_int(stmt_db_cursor_seek_le(c, "a", 1, &kv), STMT_DB_NOTFOUND,
           "seek_le: before the first key: none");
    ok(stmt_db_cursor_next(c, &kv) == 0 && seek_is(&kv, "k"),
       "seek_le: then the cursor is before the start (next: the first key)");
    ok(stmt_db_cursor_seek_le(c, "z", 1, &kv) == 0 && seek_is(&kv, "m"),
       "seek_le: after the last key: the last");
    ok(stmt_db_cursor_seek_le(c, "", 0, &kv) == 0 && seek_is(&kv, "m"),
       "seek_le: an empty key: the last");
    /* a descending walk from the middle over more rows than a page */
    rc = stmt_db_cursor_seek_le(c, "k2999", 5, &kv);
    n = 0;
    good = rc == 0 && seek_is(&kv, "k2990");
    while (rc == 0) {
        n++;
        rc = stmt_db_cursor_prev(c, &kv);
    }
    ok(good && rc == STMT_DB_NOTFOUND && n == 299 + 1,
       "seek_le: a walk down from k2990 gives 299 numbered keys and \"k\" (%d)", n);
    memset(big, 'k', sizeof big);
    is_int(stmt_db_cursor_seek_le(c, big, sizeof big, &kv), STMT_DB_ERR_KEY,
           "seek_le: a too long key is refused");
    stmt_db_cursor_close(c);
    stmt_db_txn_abort(r);

    /* a write of the cursor's own transaction is seen */
    stmt_db_txn_begin(db, 1, &t);
    stmt_db_cursor_open(t, "t_seek", &c);
    rc = stmt_db_put(t, "t_seek", "k1505", 5, "new", 3, 0);
    ok(!rc && stmt_db_cursor_seek_le(c, "k1508", 5, &kv) == 0 && seek_is(&kv, "k1505") &&
           kv.vlen == 3 && !memcmp(kv.val, "new", 3),
       "seek_le: sees its transaction's insert");
    stmt_db_cursor_close(c);
    stmt_db_txn_abort(t);
}

#endif
