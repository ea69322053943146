/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key/value micro-benchmark of stmt_db.h on either backend (issue 19; bench/run_kv.sh):
 *   bench_kv LOCATION [N]   LOCATION an empty data directory (LMDB) or a postgres:// URL
 * On a fresh store, with N rows (default 20000) of 48-byte keys and 200-byte values:
 *   put      N puts, 100 per write transaction                      (rows/s)
 *   get      N random gets, 100 per read transaction                (gets/s)
 *   scan     one ordered scan of the N rows                         (rows/s)
 *   commit   500 one-put write transactions, one after another      (p50/p99 ms each)
 *   grouped  8 threads x 100 one-put stmt_db_txn_run_grouped calls  (commits/s)
 *   cursors  the N rows with stmt_db_cursor_next, then with _last/_prev (rows/s), 1,000
 *            seeks to random keys with 9 steps after each (seeks/s), and one
 *            stmt_db_cursor_count of the N rows (rows/s); each the best of 5 rounds
 * Prints one Markdown table row. Every commit is durable (no unsafe flag on either backend).
 */
#include "statements/stmt_db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const TABLES[] = {"bench_kv"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int key_of(char *k, long i)
{
    return snprintf(k, 64, "key-%016lx-%026ld", (unsigned long)(i * 2654435761UL), i);
}

static int die(const char *what, int rc)
{
    fprintf(stderr, "bench_kv: %s: %s\n", what, stmt_db_strerror(rc));
    exit(1);
}

static int visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k;
    (void)v;
    *(size_t *)ctx += kl + vl;
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct gctx {
    struct stmt_db *db;
    int id;
};

static int one_put(struct stmt_db_txn *t, void *p)
{
    char k[64], v[200];
    long *i = p;
    int n = key_of(k, 1000000 + *i);
    memset(v, 'g', sizeof v);
    return stmt_db_put(t, "bench_kv", k, (size_t)n, v, sizeof v, 0);
}

static void *grouped(void *p)
{
    struct gctx *g = p;
    for (long i = 0; i < 100; i++) {
        long id = g->id * 1000 + i;
        int rc = stmt_db_txn_run_grouped(g->db, one_put, &id);
        if (rc)
            die("grouped", rc);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct stmt_db *db;
    struct stmt_db_txn *t;
    char err[512], k[64], v[200];
    long n = argc > 2 ? atol(argv[2]) : 20000;
    double t0, put_s, get_s, scan_s, grp_s, lat[500], next_s, prev_s, seek_s, count_s;
    size_t bytes = 0, walked = 0, counted = 0;
    struct stmt_db_cursor *cur;
    struct stmt_db_kv kv;
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_kv LOCATION [N]\n");
        return 2;
    }
    rc = stmt_db_open_url(argv[1], "/tmp/scolar-bench-kv-local", &db, err, sizeof err);
    if (rc) {
        fprintf(stderr, "bench_kv: %s\n", err);
        return 1;
    }
    if ((rc = stmt_db_tables_register(db, TABLES, 1)))
        die("register", rc);
    memset(v, 'v', sizeof v);

    t0 = now();
    for (long i = 0; i < n; i += 100) {
        if ((rc = stmt_db_txn_begin(db, 1, &t)))
            die("begin", rc);
        for (long j = i; j < i + 100 && j < n; j++) {
            int kl = key_of(k, j);
            if ((rc = stmt_db_put(t, "bench_kv", k, (size_t)kl, v, sizeof v, 0)))
                die("put", rc);
        }
        if ((rc = stmt_db_txn_commit(t)))
            die("commit", rc);
    }
    put_s = now() - t0;

    srand(1);
    t0 = now();
    for (long i = 0; i < n; i += 100) {
        if ((rc = stmt_db_txn_begin(db, 0, &t)))
            die("begin read", rc);
        for (long j = 0; j < 100; j++) {
            const void *gv;
            size_t gl;
            int kl = key_of(k, rand() % n);
            if ((rc = stmt_db_get(t, "bench_kv", k, (size_t)kl, &gv, &gl)))
                die("get", rc);
        }
        stmt_db_txn_abort(t);
    }
    get_s = now() - t0;

    t0 = now();
    if ((rc = stmt_db_txn_begin(db, 0, &t)))
        die("begin read", rc);
    if ((rc = stmt_db_scan(t, "bench_kv", NULL, 0, visit, &bytes)))
        die("scan", rc);
    stmt_db_txn_abort(t);
    scan_s = now() - t0;

    /* cursors (issue 19 step 1): every row forwards, every row backwards, 1,000 seeks of 10
     * rows each, and a range count of every row; each the best of 5 rounds (these take
     * milliseconds on LMDB, where one preemption of a loaded machine would be the figure) */
    if ((rc = stmt_db_txn_begin(db, 0, &t)) || (rc = stmt_db_cursor_open(t, "bench_kv", &cur)))
        die("cursor", rc);
    next_s = prev_s = seek_s = count_s = 1e9;
    for (int round = 0; round < 5; round++) {
        double d;
        walked = 0;
        t0 = now();
        for (rc = stmt_db_cursor_next(cur, &kv); !rc; rc = stmt_db_cursor_next(cur, &kv))
            walked++;
        d = now() - t0;
        next_s = d < next_s ? d : next_s;
        t0 = now();
        for (rc = stmt_db_cursor_last(cur, &kv); !rc; rc = stmt_db_cursor_prev(cur, &kv))
            walked++;
        d = now() - t0;
        prev_s = d < prev_s ? d : prev_s;
        t0 = now();
        for (int i = 0; i < 1000; i++) {
            int kl = key_of(k, rand() % n);
            rc = stmt_db_cursor_seek(cur, k, (size_t)kl, &kv);
            for (int j = 0; j < 9 && !rc; j++)
                rc = stmt_db_cursor_next(cur, &kv);
        }
        d = now() - t0;
        seek_s = d < seek_s ? d : seek_s;
        t0 = now();
        if ((rc = stmt_db_cursor_count(cur, "", 0, "\xff", 1, (size_t)-1, &counted)))
            die("count", rc);
        d = now() - t0;
        count_s = d < count_s ? d : count_s;
        stmt_db_cursor_seek(cur, "", 0, &kv); /* the next round's first _next: the 2nd key */
        stmt_db_cursor_prev(cur, &kv);        /* back before the start */
    }
    stmt_db_cursor_close(cur);
    stmt_db_txn_abort(t);
    if (walked != 2 * (size_t)n || counted != (size_t)n)
        die("cursor walk or count (rows)", STMT_DB_ERR_CORRUPT);

    for (int i = 0; i < 500; i++) {
        int kl = key_of(k, 5000000 + i);
        double s = now();
        if ((rc = stmt_db_put1(db, "bench_kv", k, (size_t)kl, v, sizeof v, 0)))
            die("put1", rc);
        lat[i] = (now() - s) * 1e3;
    }
    qsort(lat, 500, sizeof lat[0], cmp_d);

    {
        pthread_t th[8];
        struct gctx g[8];
        t0 = now();
        for (int i = 0; i < 8; i++) {
            g[i] = (struct gctx){db, i};
            pthread_create(&th[i], NULL, grouped, &g[i]);
        }
        for (int i = 0; i < 8; i++)
            pthread_join(th[i], NULL);
        grp_s = now() - t0;
    }

    printf("| %s | %ld | %.0f | %.0f | %.0f | %.2f / %.2f | %.0f | %.0f | %.0f | %.0f | %.0f |\n",
           strncmp(argv[1], "postgres", 8) == 0 ? "PostgreSQL" : "LMDB", n, n / put_s, n / get_s,
           n / scan_s, lat[250], lat[494], 800 / grp_s, n / next_s, n / prev_s, 1000 / seek_s,
           n / count_s);
    stmt_db_close(db);
    return 0;
}
