/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statement queries of a store left by bench_store (STORE_KEEP=1), on LMDB or PostgreSQL
 * (issue 19: what batching the candidates' lookups saves, stmt_query.c):
 *   bench_query LOCATION DIR [RUNS] [KIND]   LOCATION a postgres:// URL, or the LMDB data
 *                                            directory; KIND 0-3: that query kind only
 * Query kinds, limit 100, RUNS of each (default 200), p50 and p99 and results per query:
 *   verb               a twentieth of the store: every candidate matches
 *   verb + course      related_activities of a course (a twentieth too): the walk's other
 *                      filter rejects most candidates
 *   no filter          the main table
 *   agent              a few statements
 * SCOLAR_QUERY_BATCH=one makes the walk confirm one candidate at a time (the walk before
 * batching) for an A/B on one build; run it under `strace -f -c -e trace=sendto` to count the
 * round trips to PostgreSQL.
 */
#include "bench/bench_stmt_gen.h"
#include "statements/stmt_store.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void run(struct stmt_store *st, const char *label, int kind, int n)
{
    int64_t *lat = sc_malloc((size_t)n * sizeof *lat);
    uint64_t seed = 42;
    long results = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        char verb[96], mbox[64], ifi[96], course[96];
        struct stmt_query q = {0};
        struct stmt_page page;
        int64_t t0;
        bench_verb((unsigned)(bench_rand(&seed) % BENCH_VERBS), verb, sizeof verb);
        bench_agent_mbox((unsigned)(bench_rand(&seed) % BENCH_AGENTS), mbox, sizeof mbox);
        snprintf(ifi, sizeof ifi, "mbox:%s", mbox);
        snprintf(course, sizeof course, "http://courses.example.org/course-%u",
                 (unsigned)(bench_rand(&seed) % (BENCH_ACTIVITIES / 50)));
        q.limit = 100;
        if (kind == 0 || kind == 1)
            q.verb = verb;
        if (kind == 1) {
            q.activity = course;
            q.related_activities = 1;
        }
        if (kind == 3)
            q.agent = ifi;
        t0 = sc_time_mono_us();
        if (stmt_store_query(st, &q, &page) == STMT_STORE_OK) {
            results += (long)page.n;
            stmt_page_free(&page);
        } else {
            failed++;
        }
        lat[i] = sc_time_mono_us() - t0;
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    printf("| %s | %d | %.3f ms | %.3f ms | %.1f | %ld |\n", label, n, (double)lat[n / 2] / 1e3,
           (double)lat[n * 99 / 100] / 1e3, (double)results / n, failed);
    sc_free(lat);
}

int main(int argc, char **argv)
{
    struct stmt_db *db;
    struct stmt_store *st;
    char err[256] = "";
    int n = argc > 3 ? atoi(argv[3]) : 200, only = argc > 4 ? atoi(argv[4]) : -1;
    static const char *const LABEL[] = {"verb", "verb + course (related)", "no filter", "agent"};
    size_t count = 0;
    if (argc < 3 || n < 1) {
        fprintf(stderr, "usage: bench_query LOCATION DIR [RUNS]\n");
        return 2;
    }
    sc_alloc_init_cjson();
    if (stmt_db_open_url(argv[1], argv[2], &db, err, sizeof err) ||
        stmt_store_open(db, NULL, &st)) {
        fprintf(stderr, "bench_query: cannot open %s: %s\n", argv[1], err);
        return 1;
    }
    stmt_store_count(st, &count);
    printf("%zu statements; batches: %s\n\n", count,
           getenv("SCOLAR_QUERY_BATCH") ? getenv("SCOLAR_QUERY_BATCH") : "default");
    printf("| query, limit 100 | runs | p50 | p99 | results/query | failed |\n"
           "|---|---|---|---|---|---|\n");
    for (int k = 0; k < 4; k++)
        if (only < 0 || only == k)
            run(st, LABEL[k], k, n);
    stmt_store_close(st);
    stmt_db_close(db);
    return 0;
}
