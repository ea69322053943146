/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cursor part of the stmt_db.h contract (test_stmt_db_contract.c, both backends): key order
 * in both directions over more rows than a PostgreSQL page, seeks between keys and past the
 * end, the ends (prev past the end is the last key, next before the start the first), turning
 * round in the middle of a page and across pages, writes of the cursor's own transaction seen
 * by the walk (an insert after the cursor, a delete of the next and of the current key, an
 * overwrite with a large value), the append hint out of order, counts, range counts and
 * clears, a cursor in a grouped work, reservations (stmt_db_reserve), and refusals (long key,
 * unregistered table).
 */
#ifndef CONTRACT_CURSOR_H
#define CONTRACT_CURSOR_H
/* Included by test_stmt_db_contract.c (one TAP counter per program). */
#include "statements/stmt_db.h"
#include "common/sc_alloc.h"
#include "common/tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NROWS 700
#define BIG (1u << 20)

static const char *const CT[] = {"t_cur", "t_cur2"};

/* printable form of a key (letters and digits as they are, other bytes as \xx) */
static const char *kstr(const struct stmt_db_kv *kv)
{
    static char buf[64];
    size_t o = 0;
    for (size_t i = 0; i < kv->klen && o + 4 < sizeof buf; i++) {
        unsigned char c = ((const unsigned char *)kv->key)[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\\%02x", c);
    }
    buf[o] = 0;
    return buf;
}

static int key_is(const struct stmt_db_kv *kv, const char *k)
{
    return kv->klen == strlen(k) && memcmp(kv->key, k, kv->klen) == 0;
}

static int count_fn(struct stmt_db_txn *t, void *ctx)
{
    struct stmt_db_cursor *c;
    struct stmt_db_kv kv;
    int rc = stmt_db_cursor_open(t, "t_cur", &c), n = 0;
    char buf[16];
    if (rc)
        return rc;
    while ((rc = stmt_db_cursor_next(c, &kv)) == STMT_DB_OK)
        n++;
    stmt_db_cursor_close(c);
    if (rc != STMT_DB_NOTFOUND)
        return rc;
    *(int *)ctx = n;
    snprintf(buf, sizeof buf, "%d", n);
    return stmt_db_put(t, "t_cur2", "n", 1, buf, strlen(buf), 0);
}

/* lmdb: also check that stepping allocates nothing (the LMDB backend) */
static void contract_cursor(struct stmt_db *db, int lmdb)
{
    static const char *const odd[] = {"b", "ab", "a", "\xff", "a\x01", "aa"};
    struct stmt_db_txn *t, *r;
    struct stmt_db_cursor *c;
    struct stmt_db_kv kv;
    char k[16], fwd[8192] = "", back[8192] = "";
    size_t n = 0, total = NROWS + 6 + 1;
    int rc, got, ok_order;
    unsigned char *big = malloc(BIG);

    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 13 + 1);
    is_int(stmt_db_tables_register(db, CT, 2), STMT_DB_OK, "cursor: tables registered");

    /* an empty table */
    stmt_db_txn_begin(db, 0, &r);
    is_int(stmt_db_cursor_open(r, "t_cur", &c), STMT_DB_OK, "cursor opens on an empty table");
    is_int(stmt_db_cursor_next(c, &kv), STMT_DB_NOTFOUND, "empty: next finds nothing");
    is_int(stmt_db_cursor_prev(c, &kv), STMT_DB_NOTFOUND, "empty: prev finds nothing");
    is_int(stmt_db_cursor_last(c, &kv), STMT_DB_NOTFOUND, "empty: last finds nothing");
    is_int(stmt_db_cursor_seek(c, "a", 1, &kv), STMT_DB_NOTFOUND, "empty: seek finds nothing");
    stmt_db_cursor_close(c);
    is_int(stmt_db_count(r, "t_cur", &n), STMT_DB_OK, "count of an empty table");
    is_int((long)n, 0, "is 0");
    is_int(stmt_db_cursor_open(r, "nobody", &c), STMT_DB_ERR_TABLE,
           "a cursor on an unregistered table is refused");
    stmt_db_txn_abort(r);

    /* 700 rows appended in order, the odd keys, then an append hint that is out of order */
    stmt_db_txn_begin(db, 1, &t);
    rc = 0;
    for (int i = 0; i < NROWS && !rc; i++) {
        int kl = snprintf(k, sizeof k, "r%04d", i);
        rc = stmt_db_put(t, "t_cur", k, (size_t)kl, k, (size_t)kl, STMT_DB_APPEND);
    }
    is_int(rc, STMT_DB_OK, "700 puts with the append hint, in key order");
    for (int i = 0; i < 6 && !rc; i++)
        rc = stmt_db_put(t, "t_cur", odd[i], strlen(odd[i]), "o", 1, 0);
    is_int(stmt_db_put(t, "t_cur", "m", 1, big, BIG, STMT_DB_APPEND), STMT_DB_OK,
           "an append hint for a key that is not the last is still stored");
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "commit");

    stmt_db_txn_begin(db, 0, &r);
    is_int(stmt_db_count(r, "t_cur", &n), STMT_DB_OK, "count");
    is_int((long)n, (long)total, "counts every record");
    stmt_db_cursor_open(r, "t_cur", &c);
    got = 0;
    ok_order = 1;
    while ((rc = stmt_db_cursor_next(c, &kv)) == STMT_DB_OK) {
        if (got < 9 || got >= (int)total - 2) {
            strcat(fwd, kstr(&kv));
            strcat(fwd, ",");
        }
        if (got >= 6 && got < 6 + NROWS) {
            snprintf(k, sizeof k, "r%04d", got - 6);
            ok_order &= key_is(&kv, k) && kv.vlen == 5 && memcmp(kv.val, k, 5) == 0;
        }
        if (key_is(&kv, "m"))
            ok(kv.vlen == BIG && memcmp(kv.val, big, BIG) == 0, "the 1 MiB value under a cursor");
        got++;
    }
    is_int(rc, STMT_DB_NOTFOUND, "next ends with not found");
    is_int(got, (int)total, "next from an unpositioned cursor visits every key");
    is_str(fwd, "a,a\\01,aa,ab,b,m,r0000,r0001,r0002,r0699,\\ff,",
           "in key order: bytes, then the shorter first");
    ok(ok_order, "the 700 rows in order with their values (several pages)");
    is_int(stmt_db_cursor_next(c, &kv), STMT_DB_NOTFOUND, "next past the end stays at the end");
    is_int(stmt_db_cursor_prev(c, &kv), STMT_DB_OK, "prev past the end");
    ok(key_is(&kv, "\xff"), "is the last key (%s)", kstr(&kv));

    /* backwards from the last key */
    got = 0;
    rc = stmt_db_cursor_last(c, &kv);
    while (rc == STMT_DB_OK) {
        if (got < 3 || got >= (int)total - 3) {
            strcat(back, kstr(&kv));
            strcat(back, ",");
        }
        got++;
        rc = stmt_db_cursor_prev(c, &kv);
    }
    is_int(rc, STMT_DB_NOTFOUND, "prev ends with not found");
    is_int(got, (int)total, "last, then prev, visits every key");
    is_str(back, "\\ff,r0699,r0698,aa,a\\01,a,", "in reverse key order");
    is_int(stmt_db_cursor_next(c, &kv), STMT_DB_OK, "next before the start");
    ok(key_is(&kv, "a"), "is the first key (%s)", kstr(&kv));
    is_int(stmt_db_cursor_prev(c, &kv), STMT_DB_NOTFOUND, "prev from the first key");

    /* seeks */
    is_int(stmt_db_cursor_seek(c, "a\x02", 2, &kv), STMT_DB_OK, "seek between two keys");
    ok(key_is(&kv, "aa"), "gives the next key (%s)", kstr(&kv));
    is_int(stmt_db_cursor_seek(c, "r0100", 5, &kv), STMT_DB_OK, "seek to a key");
    ok(key_is(&kv, "r0100"), "gives that key (%s)", kstr(&kv));
    is_int(stmt_db_cursor_seek(c, "", 0, &kv), STMT_DB_OK, "seek to the empty key");
    ok(key_is(&kv, "a"), "gives the first key (%s)", kstr(&kv));
    is_int(stmt_db_cursor_seek(c, "\xff\x00", 2, &kv), STMT_DB_NOTFOUND, "seek past the end");
    is_int(stmt_db_cursor_next(c, &kv), STMT_DB_NOTFOUND, "then next finds nothing");
    is_int(stmt_db_cursor_seek(c, "\xff\x00", 2, &kv), STMT_DB_NOTFOUND, "seek past the end");
    is_int(stmt_db_cursor_prev(c, &kv), STMT_DB_OK, "then prev");
    ok(key_is(&kv, "\xff"), "gives the last key (%s)", kstr(&kv));
    {
        char longkey[STMT_DB_MAX_KEY + 1];
        memset(longkey, 'r', sizeof longkey);
        is_int(stmt_db_cursor_seek(c, longkey, sizeof longkey, &kv), STMT_DB_ERR_KEY,
               "seek with a key over STMT_DB_MAX_KEY is refused");
    }

    /* range counts */
    n = 0;
    is_int(stmt_db_cursor_count(c, "r0100", 5, "r0199", 5, 1000, &n), STMT_DB_OK, "range count");
    is_int((long)n, 100, "counts the keys from lo to hi, both included");
    stmt_db_cursor_count(c, "r0100", 5, "r0199", 5, 10, &n);
    is_int((long)n, 10, "up to the cap");
    stmt_db_cursor_count(c, "r01", 3, "r01\xff", 4, 1000, &n);
    is_int((long)n, 100, "a prefix range (keys longer than its ends)");
    stmt_db_cursor_count(c, "r0100a", 6, "r0100z", 6, 1000, &n);
    is_int((long)n, 0, "a range between two keys holds none");
    stmt_db_cursor_count(c, "r0200", 5, "r0100", 5, 1000, &n);
    is_int((long)n, 0, "lo after hi holds none");
    stmt_db_cursor_count(c, "", 0, "\xff\xff", 2, (size_t)-1, &n);
    is_int((long)n, (long)total, "from the empty key to past the end, no cap: every key");
    rc = stmt_db_cursor_next(c, &kv);
    ok(!rc && key_is(&kv, "a"), "the cursor is unpositioned after a count (%s)", kstr(&kv));

    /* turning round, within a page and across pages */
    stmt_db_cursor_seek(c, "r0100", 5, &kv);
    rc = STMT_DB_OK;
    for (int i = 0; i < 300 && !rc; i++)
        rc = stmt_db_cursor_next(c, &kv);
    ok(!rc && key_is(&kv, "r0400"), "300 steps forward from r0100 (%s)", kstr(&kv));
    for (int i = 0; i < 350 && !rc; i++)
        rc = stmt_db_cursor_prev(c, &kv);
    ok(!rc && key_is(&kv, "r0050"), "then 350 back (%s)", kstr(&kv));
    rc = stmt_db_cursor_next(c, &kv);
    ok(!rc && key_is(&kv, "r0051"), "then one forward (%s)", kstr(&kv));
    if (lmdb) {
        /* every sc_ allocation from here fails: seeks and steps must not need one */
        long before = sc_alloc_failures();
        int steps = 0;
        sc_alloc_fail_after(0);
        rc = stmt_db_cursor_seek(c, "r", 1, &kv);
        while (rc == STMT_DB_OK && steps < 2 * NROWS)
            rc = ++steps < NROWS ? stmt_db_cursor_next(c, &kv) : stmt_db_cursor_prev(c, &kv);
        sc_alloc_fail_after(-1);
        ok(rc == STMT_DB_OK && steps == 2 * NROWS && sc_alloc_failures() == before,
           "LMDB: %d seeks and steps allocate nothing", steps);
    }
    stmt_db_cursor_close(c);
    stmt_db_txn_abort(r);

    /* writes of the cursor's own transaction during the walk */
    stmt_db_txn_begin(db, 1, &t);
    stmt_db_cursor_open(t, "t_cur", &c);
    stmt_db_cursor_seek(c, "r0100", 5, &kv);
    is_int(stmt_db_put(t, "t_cur", "r0100x", 6, "new", 3, 0), STMT_DB_OK,
           "insert after the cursor");
    rc = stmt_db_cursor_next(c, &kv);
    ok(!rc && key_is(&kv, "r0100x") && kv.vlen == 3 && memcmp(kv.val, "new", 3) == 0,
       "next gives the key inserted meanwhile (%s)", kstr(&kv));
    is_int(stmt_db_del(t, "t_cur", "r0101", 5), STMT_DB_OK, "delete the next key");
    rc = stmt_db_cursor_next(c, &kv);
    ok(!rc && key_is(&kv, "r0102"), "next skips the deleted key (%s)", kstr(&kv));
    is_int(stmt_db_del(t, "t_cur", "r0102", 5), STMT_DB_OK, "delete the cursor's own key");
    rc = stmt_db_cursor_next(c, &kv);
    ok(!rc && key_is(&kv, "r0103"), "next gives the key after it (%s)", kstr(&kv));
    is_int(stmt_db_put(t, "t_cur", "r0104", 5, big, BIG, 0), STMT_DB_OK,
           "overwrite the next key with 1 MiB");
    is_int(stmt_db_put(t, "t_cur2", "copy", 4, "x", 1, 0), STMT_DB_OK, "write another table");
    rc = stmt_db_cursor_next(c, &kv);
    ok(!rc && key_is(&kv, "r0104") && kv.vlen == BIG && memcmp(kv.val, big, BIG) == 0,
       "next reads the new large value (%s, %zu bytes)", kstr(&kv), kv.vlen);
    rc = stmt_db_cursor_prev(c, &kv);
    ok(!rc && key_is(&kv, "r0103"), "prev after the writes (%s)", kstr(&kv));
    rc = stmt_db_cursor_prev(c, &kv);
    ok(!rc && key_is(&kv, "r0100x"), "prev passes the deleted keys (%s)", kstr(&kv));
    stmt_db_cursor_close(c);
    is_int(stmt_db_count(t, "t_cur", &n), STMT_DB_OK, "count in the write transaction");
    is_int((long)n, (long)total - 1, "sees its own inserts and deletes");
    is_int(stmt_db_clear(t, "t_cur"), STMT_DB_OK, "clear a table");
    stmt_db_count(t, "t_cur", &n);
    is_int((long)n, 0, "nothing left in the transaction");
    stmt_db_cursor_open(t, "t_cur", &c);
    is_int(stmt_db_cursor_next(c, &kv), STMT_DB_NOTFOUND, "a cursor finds nothing after it");
    stmt_db_cursor_close(c);
    stmt_db_txn_abort(t);

    stmt_db_txn_begin(db, 0, &r);
    stmt_db_count(r, "t_cur", &n);
    is_int((long)n, (long)total, "the aborted clear and writes left every record");
    stmt_db_txn_abort(r);

    /* reservations: the caller fills the value after the call */
    {
        void *buf = NULL;
        const void *v;
        size_t vl;
        stmt_db_txn_begin(db, 1, &t);
        is_int(stmt_db_reserve(t, "t_cur2", "res", 3, 5, 0, &buf), STMT_DB_OK, "reserve 5 bytes");
        memcpy(buf, "hello", 5);
        rc = stmt_db_get(t, "t_cur2", "res", 3, &v, &vl);
        ok(!rc && vl == 5 && memcmp(v, "hello", 5) == 0, "the filled value is read back");
        is_int(stmt_db_reserve(t, "t_cur2", "res", 3, 1, STMT_DB_NOOVERWRITE, &buf),
               STMT_DB_ERR_EXISTS, "reserve with no-overwrite on an existing key");
        is_int(stmt_db_reserve(t, "t_cur2", "\xff\xff", 2, BIG, STMT_DB_APPEND, &buf), STMT_DB_OK,
               "reserve 1 MiB with the append hint, the last call before commit");
        memcpy(buf, big, BIG);
        is_int(stmt_db_txn_commit(t), STMT_DB_OK, "commit");
        stmt_db_txn_begin(db, 1, &t);
        is_int(stmt_db_reserve(t, "t_cur2", "gone", 4, 3, 0, &buf), STMT_DB_OK, "reserve");
        memcpy(buf, "abc", 3);
        stmt_db_txn_abort(t);
        stmt_db_txn_begin(db, 0, &r);
        rc = stmt_db_get(r, "t_cur2", "\xff\xff", 2, &v, &vl);
        ok(!rc && vl == BIG && memcmp(v, big, BIG) == 0, "the reserved 1 MiB value was kept");
        rc = stmt_db_get(r, "t_cur2", "res", 3, &v, &vl);
        ok(!rc && vl == 5 && memcmp(v, "hello", 5) == 0, "and the 5 bytes");
        is_int(stmt_db_get(r, "t_cur2", "gone", 4, &v, &vl), STMT_DB_NOTFOUND,
               "an aborted reservation is not kept");
        stmt_db_txn_abort(r);
    }

    /* a cursor in a grouped work */
    got = -1;
    is_int(stmt_db_txn_run_grouped(db, count_fn, &got), STMT_DB_OK, "a grouped work walks");
    is_int(got, (int)total, "it counts every record with a cursor");
    free(big);
}

#endif
