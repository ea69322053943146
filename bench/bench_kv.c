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
    double t0, put_s, get_s, scan_s, grp_s, lat[500];
    size_t bytes = 0;
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

    printf("| %s | %ld | %.0f | %.0f | %.0f | %.2f / %.2f | %.0f |\n",
           strncmp(argv[1], "postgres", 8) == 0 ? "PostgreSQL" : "LMDB", n, n / put_s, n / get_s,
           n / scan_s, lat[250], lat[494], 800 / grp_s);
    stmt_db_close(db);
    return 0;
}
