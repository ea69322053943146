/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statement store benchmark (issue 3 targets), in process, through stmt_store_insert /
 * stmt_store_query / stmt_store_get, durable (full sync):
 *   1. ingest: 8 threads x batches of 100
 *   2. ingest: 32 threads x single statements (group commit)
 *   3. fill to `fill` statements, then agent+verb (limit 100) and agent (limit 100) query
 *      latency p50/p99, get-by-id p50, and process memory (RssAnon = outside the LMDB map).
 *
 *   [STORE_INLINE=1] [STORE_FOLD_MIN=n STORE_FOLD_MAX=n] [STORE_KEEP=1] bench_store
 * [batched=200000] [single=20000] [fill=1000000] [dir=/tmp/scolar-bench-store]
 * STORE_REUSE=1 opens the store left in dir by STORE_KEEP=1 instead of a new one; with
 * batched and single 0 that is a query-only run (A/B of two builds on one store).
 * STORE_URL=postgres://... runs on that PostgreSQL database (issue 19; use an empty one).
 */
#include "bench/bench_stmt_gen.h"
#include "statements/stmt_store.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTH "{\"objectType\":\"Agent\",\"name\":\"bench\",\"mbox\":\"mailto:bench@example.org\"}"
#define SAMPLE_IDS 20000

static struct stmt_store *st;
static atomic_long remaining;
static char sample[SAMPLE_IDS][STMT_STORE_UUID_LEN];
static atomic_int nsample;
static atomic_long failures;

struct job {
    int batch;
    uint64_t seed;
};

static void *ingest(void *arg)
{
    struct job *j = arg;
    cJSON *b[100];
    while (atomic_fetch_sub(&remaining, j->batch) > 0) {
        struct stmt_insert_result res;
        for (int i = 0; i < j->batch; i++)
            b[i] = bench_stmt(&j->seed);
        if (stmt_store_insert(st, b, (size_t)j->batch, AUTH, &res) != STMT_STORE_OK) {
            atomic_fetch_add(&failures, 1);
        } else if (bench_rand(&j->seed) % 8 == 0) {
            int k = atomic_fetch_add(&nsample, 1);
            if (k < SAMPLE_IDS)
                memcpy(sample[k], res.ids[0], STMT_STORE_UUID_LEN);
        }
        stmt_insert_result_free(&res);
        for (int i = 0; i < j->batch; i++)
            cJSON_Delete(b[i]);
    }
    return NULL;
}

static double run_ingest(int threads, int batch, long total)
{
    pthread_t th[64];
    struct job jobs[64];
    int64_t t0, t1;
    atomic_store(&remaining, total);
    t0 = sc_time_mono_us();
    for (int i = 0; i < threads; i++) {
        jobs[i].batch = batch;
        jobs[i].seed = 0x1234567ULL * (uint64_t)(i + 1) + (uint64_t)sc_time_now_us();
        pthread_create(&th[i], NULL, ingest, &jobs[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    t1 = sc_time_mono_us();
    return (double)total * 1e6 / (double)(t1 - t0);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void mem_report(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS", 5) || !strncmp(line, "RssAnon", 7) ||
            !strncmp(line, "RssFile", 7) || !strncmp(line, "VmHWM", 5))
            printf("  %s", line);
    if (f)
        fclose(f);
}

static void query_bench(const char *label, int with_verb, int n)
{
    int64_t *lat = sc_malloc((size_t)n * sizeof *lat);
    uint64_t seed = 42;
    long results = 0;
    for (int i = 0; i < n; i++) {
        char mbox[64], ifi[96], verb[96];
        struct stmt_query q = {0};
        struct stmt_page page;
        int64_t t0;
        bench_agent_mbox((unsigned)(bench_rand(&seed) % BENCH_AGENTS), mbox, sizeof mbox);
        bench_verb((unsigned)(bench_rand(&seed) % BENCH_VERBS), verb, sizeof verb);
        snprintf(ifi, sizeof ifi, "mbox:%s", mbox);
        q.agent = ifi;
        q.verb = with_verb ? verb : NULL;
        q.limit = 100;
        t0 = sc_time_mono_us();
        if (stmt_store_query(st, &q, &page) == STMT_STORE_OK) {
            lat[i] = sc_time_mono_us() - t0;
            results += (long)page.n;
            /* ids for get_bench when this run ingested none (STORE_REUSE) */
            for (size_t j = 0; j < page.n && atomic_load(&nsample) < SAMPLE_IDS; j += 10)
                memcpy(sample[atomic_fetch_add(&nsample, 1)], page.items[j].id,
                       STMT_STORE_UUID_LEN);
            stmt_page_free(&page);
        } else {
            lat[i] = sc_time_mono_us() - t0;
        }
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    printf("| %s, limit 100 | %d | %.3f ms | %.3f ms | %.1f |\n", label, n,
           (double)lat[n / 2] / 1000.0, (double)lat[n * 99 / 100] / 1000.0, (double)results / n);
    sc_free(lat);
}

static void get_bench(int n)
{
    int64_t *lat = sc_malloc((size_t)n * sizeof *lat);
    uint64_t seed = 7;
    int have = atomic_load(&nsample) < SAMPLE_IDS ? atomic_load(&nsample) : SAMPLE_IDS, found = 0;
    for (int i = 0; i < n; i++) {
        char *json = NULL;
        int64_t t0 = sc_time_mono_us();
        found += stmt_store_get(st, sample[bench_rand(&seed) % (uint64_t)have], 0, &json, NULL) ==
                 STMT_STORE_OK;
        lat[i] = sc_time_mono_us() - t0;
        sc_free(json);
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    printf("| get by statementId | %d | %.3f ms | %.3f ms | %d found |\n", n,
           (double)lat[n / 2] / 1000.0, (double)lat[n * 99 / 100] / 1000.0, found);
    sc_free(lat);
}

int main(int argc, char **argv)
{
    long batched = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    long single = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
    long fill = argc > 3 ? strtol(argv[3], NULL, 10) : 1000000;
    const char *dir = argc > 4 ? argv[4] : "/tmp/scolar-bench-store";
    struct stmt_db *db;
    struct stmt_store_opts opts = {0, 0, 0, 0, 0, 0};
    char err[256], cmd[512];
    size_t count = 0;
    double r;

    sc_alloc_init_cjson();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!getenv("STORE_REUSE") && system(cmd) != 0)
        return 1;
    opts.index_inline = getenv("STORE_INLINE") != NULL;
    if (getenv("STORE_FOLD_MIN"))
        opts.fold_min = strtoul(getenv("STORE_FOLD_MIN"), NULL, 10);
    if (getenv("STORE_FOLD_MAX"))
        opts.fold_max = strtoul(getenv("STORE_FOLD_MAX"), NULL, 10);
    printf("fold: min %zu max %zu (0 = defaults)\n", opts.fold_min, opts.fold_max);
    printf("indexing: %s\n\n", opts.index_inline ? "inline (in the commit)" : "deferred (folded)");
    if (stmt_db_open_url(getenv("STORE_URL"), dir, &db, err, sizeof err) ||
        stmt_store_open(db, &opts, &st)) {
        fprintf(stderr, "bench_store: cannot open %s: %s\n", dir, err);
        return 1;
    }
    printf("## ingest (durable)\n\n| workload | statements | statements/s |\n|---|---|---|\n");
    if (batched) {
        r = run_ingest(8, 100, batched);
        printf("| 8 threads x batches of 100 | %ld | %.0f |\n", batched, r);
        fflush(stdout);
    }
    if (single) {
        r = run_ingest(32, 1, single);
        printf("| 32 threads x single statements | %ld | %.0f |\n", single, r);
        fflush(stdout);
    }
    stmt_store_count(st, &count);
    if ((long)count < fill) {
        long more = fill - (long)count;
        r = run_ingest(8, 100, more);
        printf("| fill: 8 threads x batches of 100 | %ld | %.0f |\n", more, r);
    }
    {
        /* Deferred indexing: time to fold what is left, then queries see everything. */
        int64_t t0 = sc_time_mono_us(), lag = sc_time_now_us() - stmt_store_consistent_through(st);
        stmt_store_sync(st);
        printf("\nindex lag after ingest (now - Consistent-Through): %.3f s; folding the rest "
               "took %.3f s\n",
               (double)lag / 1e6, (double)(sc_time_mono_us() - t0) / 1e6);
    }
    stmt_store_count(st, &count);
    printf("\nfailures: %ld; statements stored: %zu\n\n", atomic_load(&failures), count);
    printf("## queries with %zu statements stored\n\n", count);
    printf("| query | runs | p50 | p99 | results/query |\n|---|---|---|---|---|\n");
    query_bench("agent + verb", 1, 2000);
    query_bench("agent", 0, 2000);
    get_bench(20000);
    printf("\n## process memory after the queries\n\n");
    mem_report();
    /* The 40 load threads of this process leave freed memory in their malloc arenas; after
     * malloc_trim what remains is the live memory of the store and the load generator. */
    malloc_trim(0);
    printf("\nafter malloc_trim(0):\n\n");
    mem_report();
    stmt_store_close(st);
    stmt_db_close(db);
    if (!getenv("STORE_KEEP") && system(cmd) != 0) /* STORE_KEEP=1: leave the store */
        return 1;
    return 0;
}
