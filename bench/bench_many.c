/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Batched gets of stmt_db.h on either backend (issue 19, stmt_db_get_many):
 *   bench_many LOCATION [N] [BATCH]   LOCATION an empty data directory (LMDB) or a postgres://
 *                                     URL; N rows (default 20000), BATCH keys (default 100)
 * On a fresh store with N rows of 20-byte keys and 400-byte values (about a statement record),
 * the same random keys read BATCH per read transaction, first with one stmt_db_get each, then
 * with one stmt_db_get_many per transaction; each the best of 5 rounds of N keys. Prints one
 * Markdown table row: keys/s of both, and the time of one batch (the round trips a query pays
 * to confirm a page of BATCH candidates).
 */
#include "statements/stmt_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const TABLES[] = {"bench_many"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void key_of(unsigned char *k, long i)
{
    unsigned long h = (unsigned long)i * 2654435761UL;
    memset(k, 0, 20);
    for (int b = 0; b < 8; b++) {
        k[b] = (unsigned char)(h >> (56 - 8 * b));
        k[12 + b] = (unsigned char)((unsigned long)i >> (56 - 8 * b));
    }
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_many: %s: %s\n", what, stmt_db_strerror(rc));
    exit(1);
}

int main(int argc, char **argv)
{
    const char *loc = argc > 1 ? argv[1] : NULL;
    long n = argc > 2 ? atol(argv[2]) : 20000, batch = argc > 3 ? atol(argv[3]) : 100;
    struct stmt_db *db;
    struct stmt_db_txn *t;
    struct stmt_db_kv *it;
    unsigned char(*keys)[20], val[400];
    long *order;
    double best_one = 1e9, best_many = 1e9;
    char err[256];
    int rc;

    if (!loc || n < 1 || batch < 1 || batch > n) {
        fprintf(stderr, "usage: bench_many LOCATION [N] [BATCH]\n");
        return 2;
    }
    rc = stmt_db_open_url(loc, "/tmp/scolar-bench-many-local", &db, err, sizeof err);
    if (rc) {
        fprintf(stderr, "bench_many: %s\n", err);
        return 1;
    }
    if ((rc = stmt_db_tables_register(db, TABLES, 1)))
        die("register", rc);
    keys = malloc((size_t)n * sizeof *keys);
    order = malloc((size_t)n * sizeof *order);
    it = malloc((size_t)batch * sizeof *it);
    if (!keys || !order || !it)
        return 1;
    memset(val, 'v', sizeof val);
    for (long i = 0; i < n; i += 1000) {
        if ((rc = stmt_db_txn_begin(db, 1, &t)))
            die("begin", rc);
        for (long j = i; j < n && j < i + 1000; j++) {
            key_of(keys[j], j);
            if ((rc = stmt_db_put(t, "bench_many", keys[j], 20, val, sizeof val, 0)))
                die("put", rc);
        }
        if ((rc = stmt_db_txn_commit(t)))
            die("commit", rc);
    }
    srand(7);
    for (long i = 0; i < n; i++)
        order[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = rand() % (i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (int round = 0; round < 5; round++) {
        double t0 = now(), t1;
        for (long i = 0; i + batch <= n; i += batch) {
            if ((rc = stmt_db_txn_begin(db, 0, &t)))
                die("begin", rc);
            for (long j = 0; j < batch; j++) {
                const void *v;
                size_t vl;
                if ((rc = stmt_db_get(t, "bench_many", keys[order[i + j]], 20, &v, &vl)))
                    die("get", rc);
            }
            stmt_db_txn_abort(t);
        }
        t1 = now();
        if (t1 - t0 < best_one)
            best_one = t1 - t0;
        t0 = now();
        for (long i = 0; i + batch <= n; i += batch) {
            if ((rc = stmt_db_txn_begin(db, 0, &t)))
                die("begin", rc);
            for (long j = 0; j < batch; j++)
                it[j] = (struct stmt_db_kv){keys[order[i + j]], NULL, 20, 0};
            if ((rc = stmt_db_get_many(t, "bench_many", it, (size_t)batch)))
                die("get_many", rc);
            for (long j = 0; j < batch; j++)
                if (!it[j].val || it[j].vlen != sizeof val)
                    die("get_many: a key is missing", STMT_DB_ERR_CORRUPT);
            stmt_db_txn_abort(t);
        }
        t1 = now();
        if (t1 - t0 < best_many)
            best_many = t1 - t0;
    }
    {
        long nb = n / batch, keys_read = nb * batch;
        printf("| %s | %ld | %ld | %.0f | %.0f | %.3f | %.3f |\n",
               strncmp(loc, "postgres", 8) == 0 ? "PostgreSQL" : "LMDB", n, batch,
               (double)keys_read / best_one, (double)keys_read / best_many,
               best_one / (double)nb * 1e3, best_many / (double)nb * 1e3);
    }
    stmt_db_close(db);
    free(keys);
    free(order);
    free(it);
    return 0;
}
