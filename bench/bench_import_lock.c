/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How long other writers wait while a course is imported into a PostgreSQL store (issue 19):
 * a writer thread makes small write transactions back to back (begin, one put, commit; each
 * waits for the database's write lock, stmt_db_pg.c) while the main thread imports a package
 * n times (in process: the zip checks and extraction are the same either way). Prints, per
 * package, the median import time and the writer's transaction times during the imports:
 * median, p99 and the longest (the longest is the time the import held the write lock, plus
 * one commit).
 *
 *   bench_import_lock --store postgres://... [--shared DIR] [-n N]
 * Packages: the largest content package of ../shared/scorm-packages (its blobs are new only
 * at the first import: the next ones reference them), and n generated 20 MB ones (200
 * incompressible files of 100 KB each, new content every time), imported once each, then
 * again (blobs known). Every import is a new course.
 */
#include <pthread.h>
#include <time.h>

#include <libxml/parser.h>

#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "scorm/tests/scorm_test_util.h"

#define MAX_SAMPLES 200000

static struct stmt_db *g_db;
static volatile int g_stop, g_recording;
static int64_t *g_samples;
static size_t g_n;

static void *writer(void *arg)
{
    unsigned long i = 0;
    (void)arg;
    while (!g_stop) {
        struct stmt_db_txn *t = NULL;
        char k[32];
        int64_t t0 = sc_time_mono_us();
        snprintf(k, sizeof k, "w%lu", i++ % 64);
        if (stmt_db_txn_begin(g_db, 1, &t) != 0 ||
            stmt_db_put(t, "bench_lock", k, strlen(k), "x", 1, 0) != 0 ||
            stmt_db_txn_commit(t) != 0) {
            fprintf(stderr, "writer: a transaction failed\n");
            exit(1);
        }
        int64_t d = sc_time_mono_us() - t0;
        if (g_recording && g_n < MAX_SAMPLES)
            g_samples[g_n++] = d;
        struct timespec ts = {0, 1000000}; /* 1 ms between transactions */
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Import zips[i % nz] n times. */
static void run(const char *label, char *const *zips, const size_t *lens, int nz, int n)
{
    int64_t *imp = calloc((size_t)n, sizeof *imp);
    struct scorm_import_opts o;
    memset(&o, 0, sizeof o);
    o.in_process = 1;
    g_n = 0;
    g_recording = 1;
    for (int i = 0; i < n; i++) {
        cJSON *res = NULL;
        struct scorm_diag d;
        int64_t t0 = sc_time_mono_us();
        int rc = scorm_import_mem(g_db, zips[i % nz], lens[i % nz], &o, &res, &d);
        imp[i] = sc_time_mono_us() - t0;
        if (rc) {
            fprintf(stderr, "%s: import failed: %s\n", label, d.msg);
            exit(1);
        }
        cJSON_Delete(res);
    }
    g_recording = 0;
    qsort(imp, (size_t)n, sizeof *imp, cmp_i64);
    qsort(g_samples, g_n, sizeof *g_samples, cmp_i64);
    printf("| %s | %zu KB | %.1f | %zu | %.2f | %.2f | %.2f |\n", label, lens[0] / 1024,
           imp[n / 2] / 1000.0, g_n, g_n ? g_samples[g_n / 2] / 1000.0 : 0,
           g_n ? g_samples[g_n * 99 / 100] / 1000.0 : 0, g_n ? g_samples[g_n - 1] / 1000.0 : 0);
    free(imp);
}

static long dir_bytes(const char *path)
{
    char cmd[2200];
    long kb = 0;
    snprintf(cmd, sizeof cmd, "du -sk '%s' 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    if (p && fscanf(p, "%ld", &kb) != 1)
        kb = 0;
    if (p)
        pclose(p);
    return kb;
}

int main(int argc, char **argv)
{
    const char *shared = "../shared", *store = NULL;
    const char *const tables[] = {"bench_lock"};
    char dir[512], err[256], pkgs[1024], largest[1024] = "", p1[2048];
    long largest_kb = 0;
    int n = 5;
    pthread_t th;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--shared") && i + 1 < argc)
            shared = argv[++i];
        else if (!strcmp(argv[i], "--store") && i + 1 < argc)
            store = argv[++i];
        else if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = (int)strtol(argv[++i], NULL, 10);
    }
    if (!store || n < 1) {
        fprintf(stderr, "usage: bench_import_lock --store postgres://... [--shared DIR] [-n N]\n");
        return 2;
    }
    setenv("SHARED_DIR", shared, 1);
    xmlInitParser();
    sc_alloc_init_cjson();
    tu_init();
    snprintf(dir, sizeof dir, "%s/node", tu_tmp);
    if (stmt_db_open_url(store, dir, &g_db, err, sizeof err) || scorm_db_register(g_db) ||
        stmt_db_tables_register(g_db, tables, 1)) {
        fprintf(stderr, "open %s: %s\n", store, err);
        return 1;
    }
    snprintf(pkgs, sizeof pkgs, "%s/scorm-packages", shared);
    DIR *d = opendir(pkgs);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char p[2048];
        if (strncmp(de->d_name, "golf-", 5) && strncmp(de->d_name, "derived-", 8) &&
            strncmp(de->d_name, "emp-", 4))
            continue;
        snprintf(p, sizeof p, "%s/%s", pkgs, de->d_name);
        long kb = dir_bytes(p);
        if (kb > largest_kb) {
            largest_kb = kb;
            snprintf(largest, sizeof largest, "%s", de->d_name);
        }
    }
    if (d)
        closedir(d);
    size_t l1 = 0;
    snprintf(p1, sizeof p1, "%s/%s", pkgs, largest);
    char *z1 = tu_zip_package(p1, 0, &l1);
    char **z3 = calloc((size_t)n, sizeof *z3);
    size_t *l3 = calloc((size_t)n, sizeof *l3);
    unsigned char *body = malloc(100 * 1024);
    uint64_t x = 88172645463325252ull ^ (uint64_t)sc_time_now_us(); /* new blobs every run */
    for (int k = 0; k < n; k++) {
        char path[512];
        zip_t *za = tu_zip_new(path, sizeof path);
        char *m = tu_gen_manifest(20, 10);
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
        for (int r = 0; r < 20; r++)
            for (int f = 0; f < 10; f++) {
                char name[128];
                for (int i = 0; i < 100 * 1024; i++) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    body[i] = (unsigned char)x;
                }
                snprintf(name, sizeof name, "m%03d/page_%02d.html", r, f);
                tu_zip_add(za, name, body, 100 * 1024, 0);
            }
        z3[k] = tu_zip_finish(za, path, &l3[k]);
        if (!z3[k]) {
            fprintf(stderr, "cannot make a package\n");
            return 1;
        }
    }
    free(body);
    if (!z1) {
        fprintf(stderr, "cannot prepare the packages (corpus at %s?)\n", shared);
        return 1;
    }
    g_samples = calloc(MAX_SAMPLES, sizeof *g_samples);
    if (pthread_create(&th, NULL, writer, NULL) != 0)
        return 1;
    printf("| package | zip | import ms (median of %d) | writer txns | median ms | p99 ms | "
           "longest ms |\n|---|---|---|---|---|---|---|\n",
           n);
    {
        /* the writer alone, for reference */
        struct timespec ts = {1, 0};
        g_n = 0;
        g_recording = 1;
        nanosleep(&ts, NULL);
        g_recording = 0;
        qsort(g_samples, g_n, sizeof *g_samples, cmp_i64);
        printf("| (no import, 1 s) | - | - | %zu | %.2f | %.2f | %.2f |\n", g_n,
               g_samples[g_n / 2] / 1000.0, g_samples[g_n * 99 / 100] / 1000.0,
               g_samples[g_n - 1] / 1000.0);
    }
    run(largest, &z1, &l1, 1, n);
    run("20 MB generated, new content each time", z3, l3, n, n);
    run("20 MB generated, again (blobs known)", z3, l3, n, n);
    g_stop = 1;
    pthread_join(th, NULL);
    sc_free(z1);
    for (int k = 0; k < n; k++)
        sc_free(z3[k]);
    free(z3);
    free(l3);
    stmt_db_close(g_db);
    tu_fini();
    return 0;
}
