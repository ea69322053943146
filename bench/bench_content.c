/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Course content on both backends (issue 19 step 6, scorm/scorm_content.h): one store per
 * location (an LMDB data directory, or a postgres:// URL), a generated package of 200 files of
 * 100 KB and one 20 MB file (incompressible), then medians of N rounds:
 *   - import (new course), re-import of the same package (every blob known: no chunk written),
 *     delete;
 *   - open + read of a 100 KB file (the player's common case) and of the 20 MB file, whole,
 *     in pieces of 64 KiB as the player reads (route_player.c): from the rows (node cache
 *     off), the read that fills the node's cache, and a read from it (PostgreSQL; on LMDB
 *     all three read the file).
 * One Markdown row per location on stdout (bench/run_content.sh).
 *
 *   bench_content LOCATION [N]
 */
#include <time.h>

#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "scorm/scorm_content.h"
#include "scorm/tests/scorm_test_util.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double median_ms(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    return (n % 2 ? (double)v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / 1000.0;
}

static char *make_package(size_t *len)
{
    char zp[512];
    zip_t *za = tu_zip_new(zp, sizeof zp);
    char *m = tu_gen_manifest(20, 10);
    unsigned char *body = malloc(20u << 20);
    uint32_t x = 12345;
    for (size_t i = 0; i < (20u << 20); i++) {
        x = x * 1103515245u + 12345u;
        body[i] = (unsigned char)(x >> 16);
    }
    tu_zip_add_str(za, "imsmanifest.xml", m);
    sc_free(m);
    for (int r = 0; r < 20; r++)
        for (int f = 0; f < 10; f++) {
            char name[64];
            snprintf(name, sizeof name, "m%03d/page_%02d.html", r, f);
            /* each file its own 100 KB of the buffer: 200 distinct contents */
            tu_zip_add(za, name, body + (size_t)(r * 10 + f) * 100000, 100000, 1);
        }
    tu_zip_add(za, "media/video.mp4", body, 20u << 20, 1);
    free(body);
    return tu_zip_finish(za, zp, len);
}

static char *import(struct stmt_db *db, const char *zip, size_t len, const char *id)
{
    struct scorm_import_opts o;
    struct scorm_diag d;
    cJSON *r = NULL;
    char *course = NULL;
    memset(&o, 0, sizeof o);
    o.in_process = 1;
    o.course_id = id;
    o.existing = id ? 1 : 0;
    if (scorm_import_mem(db, zip, len, &o, &r, &d) != 0) {
        fprintf(stderr, "import: %s\n", d.msg);
        exit(1);
    }
    course = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(r, "course")));
    cJSON_Delete(r);
    return course;
}

static int64_t read_file(struct stmt_db *db, const char *course, int v, const char *path,
                         unsigned char *buf)
{
    struct scorm_content *c = NULL;
    int64_t t0 = sc_time_mono_us();
    uint64_t at = 0, size;
    if (scorm_content_open(db, course, v, path, &c) != 0) {
        fprintf(stderr, "open %s failed\n", path);
        exit(1);
    }
    size = scorm_content_size(c);
    while (at < size) {
        size_t got = 0;
        if (scorm_content_read(c, at, buf, 65536, &got) != 0 || !got) {
            fprintf(stderr, "read %s failed\n", path);
            exit(1);
        }
        at += got;
    }
    scorm_content_close(c);
    return sc_time_mono_us() - t0;
}

int main(int argc, char **argv)
{
    const char *loc = argc > 1 ? argv[1] : NULL;
    int n = argc > 2 ? atoi(argv[2]) : 5;
    struct stmt_db *db = NULL;
    char err[256], dir[512];
    size_t len = 0;
    int64_t *ti = calloc((size_t)n, 8), *tr = calloc((size_t)n, 8), *td = calloc((size_t)n, 8);
    int64_t *ts = calloc((size_t)n * 50, 8), *tb = calloc((size_t)n, 8);
    int64_t *tf = calloc((size_t)n, 8), *tc = calloc((size_t)n, 8);
    unsigned char *buf = malloc(65536);
    char *zip;

    if (!loc || n < 1) {
        fprintf(stderr, "usage: bench_content LOCATION [N]\n");
        return 2;
    }
    tu_init();
    snprintf(dir, sizeof dir, "%s/node", tu_tmp);
    if (stmt_db_open_url(loc, dir, &db, err, sizeof err) != 0 || scorm_db_register(db) != 0) {
        fprintf(stderr, "open %s: %s\n", loc, err);
        return 1;
    }
    zip = make_package(&len);
    for (int i = 0; i < n; i++) {
        int64_t t0 = sc_time_mono_us();
        char *c = import(db, zip, len, NULL);
        ti[i] = sc_time_mono_us() - t0;
        t0 = sc_time_mono_us();
        free(import(db, zip, len, c));
        tr[i] = sc_time_mono_us() - t0;
        for (int k = 0; k < 50; k++)
            ts[i * 50 + k] = read_file(db, c, 1, "m007/page_03.html", buf);
        scorm_content_cache_limit(0); /* from the rows (PostgreSQL) */
        tb[i] = read_file(db, c, 2, "media/video.mp4", buf);
        scorm_import_cleanup(db); /* with the limit 0: the node cache emptied */
        scorm_content_cache_limit(SCORM_CONTENT_CACHE_DEFAULT);
        tf[i] = read_file(db, c, 2, "media/video.mp4", buf); /* fills this node's cache */
        tc[i] = read_file(db, c, 2, "media/video.mp4", buf); /* from it */
        t0 = sc_time_mono_us();
        if (scorm_course_delete(db, c) != 0) {
            fprintf(stderr, "delete failed\n");
            return 1;
        }
        td[i] = sc_time_mono_us() - t0;
        free(c);
    }
    double big = median_ms(tb, n), fill = median_ms(tf, n), cached = median_ms(tc, n);
    printf("| %s | %.0f | %.0f | %.0f | %.2f | %.1f (%.0f MB/s) | %.1f / %.1f |\n",
           stmt_db_is_pg(db) ? "PostgreSQL (rows)" : "LMDB (files)", median_ms(ti, n),
           median_ms(tr, n), median_ms(td, n), median_ms(ts, n * 50), big,
           (20.0 * 1048576 / 1e6) / (big / 1000.0), fill, cached);
    stmt_db_close(db);
    free(zip);
    free(ti);
    free(tr);
    free(td);
    free(ts);
    free(tb);
    free(tf);
    free(tc);
    free(buf);
    tu_fini();
    return 0;
}
