/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The batched-read part of the stmt_db.h contract (test_stmt_db_contract.c, both backends):
 * stmt_db_get_many gives, for keys in any order, repeated, absent, empty or too long, each
 * key's value or NULL; a large value and an empty one; more keys than one PostgreSQL query
 * takes; values that stay valid across further reads of the transaction; a write
 * transaction's own puts and deletes; a grouped work and a grouped session; refusals (an
 * unregistered table). On LMDB no allocation is needed. stmt_db_seek_many (contract_seek_many):
 * the first entry at or after each key, as a cursor seek finds it, in one call. Puts with the
 * STMT_DB_NEW hint (contract_put_new): a present key is put all the same (PostgreSQL: its plain
 * INSERT fails and the batch is put again as upserts), within and across batches, more times
 * than a transaction takes savepoints, in grouped works, and an abort keeps nothing.
 */
#ifndef CONTRACT_MANY_H
#define CONTRACT_MANY_H
/* Included by test_stmt_db_contract.c (one TAP counter per program). */
#include "statements/stmt_db.h"
#include "common/sc_alloc.h"
#include "common/tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANY_ROWS 5000 /* more than one query of stmt_db_pg_many.c (4,096 keys) */
#define MANY_BIG (1u << 20)

static const char *const MT[] = {"t_many"};

static void many_key(char *k, int i)
{
    snprintf(k, 8, "m%05d", i);
}

/* The value of key i: its key and i as text, i % 7 times (so lengths differ) */
static size_t many_val(char *v, int i)
{
    size_t n = (size_t)snprintf(v, 16, "m%05d", i);
    for (int r = 0; r < i % 7; r++)
        n += (size_t)snprintf(v + n, 16, ".%d", i);
    return n;
}

static int many_item_is(const struct stmt_db_kv *it, int i)
{
    char v[128];
    size_t n = many_val(v, i);
    return it->val && it->vlen == n && memcmp(it->val, v, n) == 0;
}

/* A grouped work: the values of three keys, one absent, read in the group's transaction. */
static int many_fn(struct stmt_db_txn *t, void *ctx)
{
    struct stmt_db_kv it[3] = {{"m00001", NULL, 6, 0}, {"zz", NULL, 2, 0}, {"m04999", NULL, 6, 0}};
    int rc = stmt_db_get_many(t, "t_many", it, 3);
    *(int *)ctx = !rc && many_item_is(&it[0], 1) && !it[1].val && many_item_is(&it[2], 4999);
    return rc;
}

/* found is the entry of key i (its key and value) */
static int seek_found_is(const struct stmt_db_kv *f, int i)
{
    char k[8];
    many_key(k, i);
    return f->key && f->klen == 6 && memcmp(f->key, k, 6) == 0 && many_item_is(f, i);
}

/* stmt_db_seek_many on t_many as contract_many left it ("big", "empty", m00000..m04999). */
static void contract_seek_many(struct stmt_db *db)
{
    static char keys[MANY_ROWS][8];
    struct stmt_db_kv from[MANY_ROWS], *found = calloc(MANY_ROWS, sizeof *found);
    struct stmt_db_txn *t;
    struct stmt_db_cursor *c;
    struct stmt_db_kv kv;
    int rc, good;

    if (!found)
        exit(2);
    stmt_db_txn_begin(db, 0, &t);
    from[0] = (struct stmt_db_kv){"m00042", NULL, 6, 0};     /* a key: itself */
    from[1] = (struct stmt_db_kv){"m0004", NULL, 5, 0};      /* a prefix: the first key after */
    from[2] = (struct stmt_db_kv){"m00042\x00", NULL, 7, 0}; /* just after a key: the next */
    from[3] = (struct stmt_db_kv){"a", NULL, 1, 0};          /* before every key: the first */
    from[4] = (struct stmt_db_kv){"m05", NULL, 3, 0};        /* after the last: none */
    from[5] = (struct stmt_db_kv){"c", NULL, 1, 0};          /* "empty": an empty value */
    from[6] = (struct stmt_db_kv){"m00042", NULL, 6, 0};     /* repeated */
    for (int i = 0; i < 7; i++)
        found[i] = (struct stmt_db_kv){"stale", "stale", 5, 5}; /* the call sets every output */
    is_int(stmt_db_seek_many(t, "t_many", from, found, 7), STMT_DB_OK, "seek many: 7 keys");
    ok(seek_found_is(&found[0], 42) && seek_found_is(&found[6], 42),
       "seek many: a key finds itself");
    ok(seek_found_is(&found[1], 40), "seek many: a prefix finds the first key after it");
    ok(seek_found_is(&found[2], 43), "seek many: just after a key finds the next one");
    ok(found[3].key && found[3].klen == 3 && !memcmp(found[3].key, "big", 3) &&
           found[3].vlen == MANY_BIG,
       "seek many: before every key finds the first, with its 1 MiB value");
    ok(!found[4].key && !found[4].klen && !found[4].val, "seek many: past the last key: none");
    ok(found[5].key && found[5].klen == 5 && !memcmp(found[5].key, "empty", 5) && found[5].val &&
           found[5].vlen == 0,
       "seek many: an empty value is present");
    /* the same answers as a cursor seek, for more keys than one PostgreSQL query takes */
    for (int i = 0; i < MANY_ROWS; i++) {
        many_key(keys[i], (i * 37) % MANY_ROWS);
        keys[i][5] = '\0'; /* "m0123": a prefix of ten keys */
        from[i] = (struct stmt_db_kv){keys[i], NULL, 5, 0};
    }
    rc = stmt_db_seek_many(t, "t_many", from, found, MANY_ROWS);
    is_int(rc, STMT_DB_OK, "seek many: 5,000 keys");
    good = !stmt_db_cursor_open(t, "t_many", &c);
    for (int i = 0; i < MANY_ROWS && good; i++)
        good = !rc && !stmt_db_cursor_seek(c, from[i].key, 5, &kv) && found[i].klen == kv.klen &&
               !memcmp(found[i].key, kv.key, kv.klen);
    stmt_db_cursor_close(c);
    ok(good, "seek many: each as a cursor seek finds it");
    is_int(stmt_db_seek_many(t, "t_many", from, found, 0), STMT_DB_OK, "seek many: no keys");
    from[1] = (struct stmt_db_kv){"", NULL, 0, 0};
    is_int(stmt_db_seek_many(t, "t_many", from, found, 2), STMT_DB_ERR_KEY,
           "seek many: an empty key is refused");
    is_int(stmt_db_seek_many(t, "nobody", from, found, 1), STMT_DB_ERR_TABLE,
           "seek many: an unregistered table is refused");
    stmt_db_txn_abort(t);

    /* a write transaction sees its own puts and deletes, unsent batched puts included */
    stmt_db_txn_begin(db, 1, &t);
    rc = stmt_db_put(t, "t_many", "m000420", 7, "N", 1, 0);
    if (!rc)
        rc = stmt_db_del(t, "t_many", "m00100", 6);
    from[0] = (struct stmt_db_kv){"m00042\x00", NULL, 7, 0};
    from[1] = (struct stmt_db_kv){"m00100", NULL, 6, 0};
    if (!rc)
        rc = stmt_db_seek_many(t, "t_many", from, found, 2);
    ok(!rc && found[0].klen == 7 && !memcmp(found[0].key, "m000420", 7) && found[0].vlen == 1 &&
           seek_found_is(&found[1], 101),
       "seek many: a write transaction's own put and delete");
    stmt_db_txn_abort(t);
    free(found);
}

/* value of key k in a new read transaction is v (NULL: absent) */
static int new_is(struct stmt_db *db, const char *k, const char *v)
{
    struct stmt_db_txn *r;
    const void *gv;
    size_t gl;
    int rc, good;
    if (stmt_db_txn_begin(db, 0, &r))
        return 0;
    rc = stmt_db_get(r, "t_many", k, strlen(k), &gv, &gl);
    good = v ? rc == STMT_DB_OK && gl == strlen(v) && !memcmp(gv, v, gl) : rc == STMT_DB_NOTFOUND;
    stmt_db_txn_abort(r);
    return good;
}

static int new_fail_fn(struct stmt_db_txn *t, void *ctx)
{
    int rc = stmt_db_put(t, "t_many", "n-grp-bad", 9, "x", 1, STMT_DB_NEW);
    (void)ctx;
    return rc ? rc : STMT_DB_ERR_IO; /* fails after its put: the put is undone */
}

static int new_ok_fn(struct stmt_db_txn *t, void *ctx)
{
    const void *gv;
    size_t gl;
    int rc = stmt_db_put(t, "t_many", "m00009", 6, "grp9", 4, STMT_DB_NEW); /* present */
    if (!rc)
        rc = stmt_db_put(t, "t_many", "n-grp-ok", 8, "y", 1, STMT_DB_NEW);
    if (!rc) /* sent now: the plain insert meets m00009 */
        rc = stmt_db_get(t, "t_many", "m00009", 6, &gv, &gl);
    *(int *)ctx = !rc && gl == 4 && !memcmp(gv, "grp9", 4);
    return rc;
}

static void contract_put_new(struct stmt_db *db)
{
    struct stmt_db_txn *t;
    const void *gv;
    size_t gl;
    char k[16], v[16];
    int rc, good, seen = 0;

    /* a present key among new ones, and an ordinary put in the same batch */
    stmt_db_txn_begin(db, 1, &t);
    rc = stmt_db_put(t, "t_many", "n-a", 3, "A", 1, STMT_DB_NEW);
    if (!rc)
        rc = stmt_db_put(t, "t_many", "m00005", 6, "five", 4, STMT_DB_NEW); /* present */
    if (!rc)
        rc = stmt_db_put(t, "t_many", "n-b", 3, "B", 1, 0);
    if (!rc)
        rc = stmt_db_put(t, "t_many", "n-c", 3, "C", 1, STMT_DB_NEW);
    if (!rc) /* the batch is sent before the get */
        rc = stmt_db_get(t, "t_many", "m00005", 6, &gv, &gl);
    ok(!rc && gl == 4 && !memcmp(gv, "five", 4), "new: a present key is put all the same");
    /* the same key new twice, across a batch sent in between */
    if (!rc)
        rc = stmt_db_put(t, "t_many", "n-a", 3, "A2", 2, STMT_DB_NEW);
    is_int(rc, STMT_DB_OK, "new: the same key again after its batch was sent");
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "new: committed");
    ok(new_is(db, "n-a", "A2") && new_is(db, "m00005", "five") && new_is(db, "n-b", "B") &&
           new_is(db, "n-c", "C") && new_is(db, "m00006", NULL) == 0,
       "new: every row as put, the last value of a key put twice");

    /* more sent batches than a transaction takes savepoints (PostgreSQL: 32), each with a
     * present key every fourth time */
    stmt_db_txn_begin(db, 1, &t);
    rc = STMT_DB_OK;
    for (int i = 0; i < 48 && !rc; i++) {
        snprintf(k, sizeof k, "n-%03d", i);
        snprintf(v, sizeof v, "v%d", i);
        rc = stmt_db_put(t, "t_many", k, strlen(k), v, strlen(v), STMT_DB_NEW);
        if (!rc && i % 4 == 0)
            rc = stmt_db_put(t, "t_many", "n-a", 3, v, strlen(v), STMT_DB_NEW);
        if (!rc)
            rc = stmt_db_get(t, "t_many", k, strlen(k), &gv, &gl);
    }
    is_int(rc, STMT_DB_OK, "new: 48 batches sent in one transaction");
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "new: committed");
    good = new_is(db, "n-a", "v44");
    for (int i = 0; i < 48; i++) {
        snprintf(k, sizeof k, "n-%03d", i);
        snprintf(v, sizeof v, "v%d", i);
        good &= new_is(db, k, v);
    }
    ok(good, "new: all 48 rows and the overwritten key");

    /* an abort after a sent batch keeps nothing, also not a present key's new value */
    stmt_db_txn_begin(db, 1, &t);
    rc = stmt_db_put(t, "t_many", "n-gone", 6, "G", 1, STMT_DB_NEW);
    if (!rc)
        rc = stmt_db_put(t, "t_many", "n-b", 3, "B2", 2, STMT_DB_NEW);
    if (!rc)
        rc = stmt_db_get(t, "t_many", "n-gone", 6, &gv, &gl);
    is_int(rc, STMT_DB_OK, "new: rows sent, then the transaction aborted");
    stmt_db_txn_abort(t);
    ok(new_is(db, "n-gone", NULL) && new_is(db, "n-b", "B"), "new: an abort keeps nothing");

    /* grouped works: a failed one's new row is undone, the next one's present key is put */
    is_int(stmt_db_txn_run_grouped(db, new_fail_fn, NULL), STMT_DB_ERR_IO,
           "new: a grouped work that fails after its put");
    is_int(stmt_db_txn_run_grouped(db, new_ok_fn, &seen), STMT_DB_OK,
           "new: a grouped work with a present key");
    ok(seen && new_is(db, "n-grp-bad", NULL) && new_is(db, "n-grp-ok", "y") &&
           new_is(db, "m00009", "grp9"),
       "new: the failed work left nothing, the other one its rows");
}

static void contract_many(struct stmt_db *db, int lmdb)
{
    static char keys[MANY_ROWS][8];
    struct stmt_db_kv *it = calloc(MANY_ROWS + 8, sizeof *it), one[2];
    struct stmt_db_txn *t, *r;
    char v[128], longkey[STMT_DB_MAX_KEY + 2];
    unsigned char *big = malloc(MANY_BIG);
    int rc = 0, good, in_group = 0;
    size_t n;

    if (!it || !big)
        exit(2);
    for (size_t i = 0; i < MANY_BIG; i++)
        big[i] = (unsigned char)(i * 7 + 3);
    memset(longkey, 'k', sizeof longkey);
    is_int(stmt_db_tables_register(db, MT, 1), STMT_DB_OK, "many: table registered");

    stmt_db_txn_begin(db, 1, &t);
    for (int i = 0; i < MANY_ROWS && !rc; i++) {
        many_key(keys[i], i);
        rc = stmt_db_put(t, "t_many", keys[i], 6, v, many_val(v, i), STMT_DB_APPEND);
    }
    if (!rc)
        rc = stmt_db_put(t, "t_many", "big", 3, big, MANY_BIG, 0);
    if (!rc)
        rc = stmt_db_put(t, "t_many", "empty", 5, "", 0, 0);
    is_int(rc, STMT_DB_OK, "many: 5,000 rows, a 1 MiB value and an empty one put");
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "many: committed");

    /* one call: present keys backwards and repeated, absent, empty, too long, big, empty value */
    stmt_db_txn_begin(db, 0, &r);
    n = 0;
    for (int i = 0; i < 600; i++)
        it[n++] = (struct stmt_db_kv){keys[(599 - i) * 7], NULL, 6, 0};
    it[n++] = (struct stmt_db_kv){keys[42], NULL, 6, 0};
    it[n++] = (struct stmt_db_kv){"m99999", NULL, 6, 0};
    it[n++] = (struct stmt_db_kv){"m0000", NULL, 5, 0}; /* a prefix of keys, not a key */
    it[n++] = (struct stmt_db_kv){"", NULL, 0, 0};
    it[n++] = (struct stmt_db_kv){longkey, NULL, STMT_DB_MAX_KEY + 1, 0};
    it[n++] = (struct stmt_db_kv){"big", NULL, 3, 0};
    it[n++] = (struct stmt_db_kv){"empty", NULL, 5, 0};
    it[n++] = (struct stmt_db_kv){keys[42], NULL, 6, 0};
    for (size_t i = 0; i < n; i++)
        it[i].val = "stale", it[i].vlen = 99; /* the call sets every output */
    is_int(stmt_db_get_many(r, "t_many", it, n), STMT_DB_OK, "many: 608 keys in one call");
    good = 1;
    for (int i = 0; i < 600; i++)
        good &= many_item_is(&it[i], (599 - i) * 7);
    ok(good, "many: each present key has its own value, in the caller's order");
    ok(many_item_is(&it[600], 42) && many_item_is(&it[607], 42), "many: a repeated key twice");
    ok(!it[601].val && !it[601].vlen && !it[602].val && !it[602].vlen,
       "many: absent keys are NULL (a prefix of keys too)");
    ok(!it[603].val && !it[604].val, "many: an empty and a too long key are absent");
    ok(it[605].val && it[605].vlen == MANY_BIG && memcmp(it[605].val, big, MANY_BIG) == 0,
       "many: the 1 MiB value");
    ok(it[606].val && it[606].vlen == 0, "many: an empty value is present (not NULL)");
    /* the values stay valid across further reads of the transaction */
    one[0] = (struct stmt_db_kv){keys[1], NULL, 6, 0};
    one[1] = (struct stmt_db_kv){"nope", NULL, 4, 0};
    {
        const void *gv;
        size_t gl;
        rc = stmt_db_get_many(r, "t_many", one, 2);
        if (!rc)
            rc = stmt_db_get(r, "t_many", keys[2], 6, &gv, &gl);
    }
    good = 1;
    for (int i = 0; i < 600; i++)
        good &= many_item_is(&it[i], (599 - i) * 7);
    ok(!rc && good && many_item_is(&one[0], 1) && !one[1].val,
       "many: earlier values still valid after more reads");
    is_int(stmt_db_get_many(r, "t_many", it, 0), STMT_DB_OK, "many: no keys");
    is_int(stmt_db_get_many(r, "nobody", one, 2), STMT_DB_ERR_TABLE,
           "many: an unregistered table is refused");

    /* every row: more keys than one PostgreSQL query takes */
    for (int i = 0; i < MANY_ROWS; i++)
        it[i] = (struct stmt_db_kv){keys[i], NULL, 6, 0};
    is_int(stmt_db_get_many(r, "t_many", it, MANY_ROWS), STMT_DB_OK, "many: 5,000 keys");
    good = 1;
    for (int i = 0; i < MANY_ROWS; i++)
        good &= many_item_is(&it[i], i);
    ok(good, "many: all 5,000 values");
    if (lmdb) {
        /* every sc_ allocation fails from here: the LMDB gets need none */
        long before = sc_alloc_failures();
        sc_alloc_fail_after(0);
        rc = stmt_db_get_many(r, "t_many", it, 600);
        sc_alloc_fail_after(-1);
        ok(rc == STMT_DB_OK && many_item_is(&it[599], 599) && sc_alloc_failures() == before,
           "many: LMDB gets allocate nothing");
    }
    stmt_db_txn_abort(r);

    /* a write transaction sees its own puts and deletes */
    stmt_db_txn_begin(db, 1, &t);
    rc = stmt_db_put(t, "t_many", "new", 3, "N", 1, 0);
    if (!rc)
        rc = stmt_db_del(t, "t_many", keys[3], 6);
    if (!rc)
        rc = stmt_db_put(t, "t_many", keys[4], 6, "four", 4, 0);
    it[0] = (struct stmt_db_kv){"new", NULL, 3, 0};
    it[1] = (struct stmt_db_kv){keys[3], NULL, 6, 0};
    it[2] = (struct stmt_db_kv){keys[4], NULL, 6, 0};
    it[3] = (struct stmt_db_kv){keys[5], NULL, 6, 0};
    if (!rc)
        rc = stmt_db_get_many(t, "t_many", it, 4);
    ok(!rc && it[0].vlen == 1 && !memcmp(it[0].val, "N", 1) && !it[1].val && it[2].vlen == 4 &&
           !memcmp(it[2].val, "four", 4) && many_item_is(&it[3], 5),
       "many: a write transaction's own put, delete and overwrite");
    stmt_db_txn_abort(t);

    /* grouped: a work on the leader's transaction, and a session */
    is_int(stmt_db_txn_run_grouped(db, many_fn, &in_group), STMT_DB_OK, "many: a grouped work");
    ok(in_group, "many: reads the group's transaction");
    stmt_db_txn_begin_grouped(db, &t);
    it[0] = (struct stmt_db_kv){keys[7], NULL, 6, 0};
    it[1] = (struct stmt_db_kv){"absent", NULL, 6, 0};
    rc = stmt_db_get_many(t, "t_many", it, 2);
    ok(!rc && many_item_is(&it[0], 7) && !it[1].val, "many: in a grouped session");
    stmt_db_txn_abort(t);

    contract_seek_many(db);
    contract_put_new(db);

    free(big);
    free(it);
}

#endif
