/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SCORM import benchmark (issue 5 "Speed"): median wall time of
 *   - importing the largest package of ../shared/scorm-packages (zipped in memory first),
 *   - importing a generated 2,000-file package whose manifest is about 150 KB,
 *   - importing a generated ~20 MB package (200 files of 100 KB, incompressible),
 *   - parsing that 150 KB manifest alone, and the largest ADL CTS manifest,
 * each N times (default 10) into a throw-away data directory. Prints a Markdown table and
 * writes it to --out (default bench/results/import.md).
 *
 *   bench_import [--shared DIR] [--out FILE] [-n N]
 * Targets: a 20 MB package imported in under 1 s; a 150 KB manifest parsed in under 20 ms.
 */
#include <sys/utsname.h>
#include <time.h>

#include <libxml/parser.h>

#include "common/sc_alloc.h"
#include "common/sc_time.h"
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

static double bench_import(struct stmt_db *db, const char *buf, size_t len, int n, int in_process,
                           const char *label)
{
    int64_t *t = calloc((size_t)n, sizeof *t);
    struct scorm_import_opts o;
    memset(&o, 0, sizeof o);
    o.in_process = in_process;
    for (int i = 0; i < n; i++) {
        cJSON *r = NULL;
        struct scorm_diag d;
        int64_t t0 = sc_time_mono_us();
        int rc = scorm_import_mem(db, buf, len, &o, &r, &d);
        t[i] = sc_time_mono_us() - t0;
        if (rc != 0) {
            fprintf(stderr, "%s: import failed: %s\n", label, d.msg);
            exit(1);
        }
        scorm_course_delete(db, cJSON_GetStringValue(cJSON_GetObjectItem(r, "course")));
        cJSON_Delete(r);
    }
    double m = median_ms(t, n);
    free(t);
    return m;
}

static double bench_parse(const char *xml, size_t len, int n, int *items)
{
    int64_t *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++) {
        cJSON *tree = NULL, *w = cJSON_CreateArray();
        struct scorm_diag d;
        int64_t t0 = sc_time_mono_us();
        if (scorm_manifest_parse(xml, len, 0, &tree, w, &d) != 0) {
            fprintf(stderr, "parse failed: %s\n", d.msg);
            exit(1);
        }
        t[i] = sc_time_mono_us() - t0;
        *items = cJSON_GetArraySize(cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(tree, "organizations"), 0), "items"));
        cJSON_Delete(tree);
        cJSON_Delete(w);
    }
    double m = median_ms(t, n);
    free(t);
    return m;
}

static long dir_bytes(const char *dir)
{
    long total = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char p[4096];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (lstat(p, &st) != 0)
            continue;
        total += S_ISDIR(st.st_mode) ? dir_bytes(p) : (long)st.st_size;
    }
    if (d)
        closedir(d);
    return total;
}

int main(int argc, char **argv)
{
    const char *shared = "../shared", *out = "bench/results/import.md";
    int n = 10;
    char datadir[512], pkgs[1024], largest[1024] = "", best_adl[2048] = "";
    long largest_bytes = 0, adl_bytes = 0;
    struct sc_buf md = SC_BUF_INIT;
    struct utsname un;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--shared") == 0 && i + 1 < argc)
            shared = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = (int)strtol(argv[++i], NULL, 10);
    }
    if (n < 1)
        n = 1;
    setenv("SHARED_DIR", shared, 1);
    xmlInitParser();
    sc_alloc_init_cjson();
    tu_init();
    struct stmt_db *db = tu_db_open(datadir, sizeof datadir);

    /* the largest content package of the corpus */
    snprintf(pkgs, sizeof pkgs, "%s/scorm-packages", shared);
    DIR *d = opendir(pkgs);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char p[2048];
        if (strncmp(de->d_name, "golf-", 5) && strncmp(de->d_name, "derived-", 8) &&
            strncmp(de->d_name, "emp-", 4))
            continue;
        snprintf(p, sizeof p, "%s/%s", pkgs, de->d_name);
        long b = dir_bytes(p);
        if (b > largest_bytes) {
            largest_bytes = b;
            snprintf(largest, sizeof largest, "%s", de->d_name);
        }
    }
    if (d)
        closedir(d);
    snprintf(pkgs, sizeof pkgs, "%s/scorm-packages/adl-cts-2004-4th-lmsrte/Courses", shared);
    d = opendir(pkgs);
    while (d && (de = readdir(d)) != NULL) {
        char p[2048];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s/imsmanifest.xml", pkgs, de->d_name);
        if (stat(p, &st) == 0 && st.st_size > adl_bytes) {
            adl_bytes = st.st_size;
            snprintf(best_adl, sizeof best_adl, "%s", p);
        }
    }
    if (d)
        closedir(d);

    size_t l1 = 0, l2 = 0, l3 = 0, ml = 0, al = 0;
    char p1[2048];
    snprintf(p1, sizeof p1, "%s/scorm-packages/%s", shared, largest);
    char *z1 = tu_zip_package(p1, 0, &l1);
    char *z2 = tu_gen_package(200, 10, 2000, &l2);
    char *z3 = tu_gen_package(20, 10, 100 * 1024, &l3);
    char *m2 = tu_gen_manifest(200, 10);
    char *adl = tu_read(best_adl, &al);
    ml = strlen(m2);
    if (!z1 || !z2 || !z3 || !adl) {
        fprintf(stderr, "cannot prepare the inputs (corpus at %s?)\n", shared);
        return 1;
    }
    /* the 20 MB package: make its files incompressible so the zip is ~20 MB too */
    {
        sc_free(z3);
        char path[512];
        zip_t *za = tu_zip_new(path, sizeof path);
        char *m = tu_gen_manifest(20, 10);
        unsigned char *body = malloc(100 * 1024);
        uint64_t x = 88172645463325252ull;
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
        free(body);
        z3 = tu_zip_finish(za, path, &l3);
    }

    int items = 0, adl_items = 0;
    double t1 = bench_import(db, z1, l1, n, 0, largest);
    double t1p = bench_import(db, z1, l1, n, 1, largest);
    double t2 = bench_import(db, z2, l2, n, 0, "generated 2000 files");
    double t2p = bench_import(db, z2, l2, n, 1, "generated 2000 files");
    double t3 = bench_import(db, z3, l3, n, 0, "generated 20 MB");
    double t3p = bench_import(db, z3, l3, n, 1, "generated 20 MB");
    double tp = bench_parse(m2, ml, n * 5, &items);
    double ta = bench_parse(adl, al, n * 5, &adl_items);

    uname(&un);
    sc_buf_printf(&md,
                  "# SCORM import benchmark\n\n"
                  "`bench/bench_import -n %d` (bench/bench_import.c): median of %d runs each "
                  "(parse: %d runs), wall time, one data directory on the local disk, a "
                  "non-sanitized `-Dbuildtype=release` build, %s %s, 2 shared cores.\n"
                  "Import = zip checks, manifest parse, tree checks, extraction with syncfs, "
                  "rename and one LMDB commit. \"worker\" runs that work in the rlimited child "
                  "process (the default); \"in-process\" skips the fork.\n\n"
                  "| input | zip bytes | files | median (worker) | median (in-process) | "
                  "target |\n|---|---|---|---|---|---|\n",
                  n, n, n * 5, un.sysname, un.release);
    sc_buf_printf(&md,
                  "| largest corpus package `%s` | %zu | (folder %ld bytes) | %.1f ms | "
                  "%.1f ms | |\n",
                  largest, l1, largest_bytes, t1, t1p);
    sc_buf_printf(&md,
                  "| generated 2,000-file package, %zu-byte manifest | %zu | 2001 | %.1f ms | "
                  "%.1f ms | |\n",
                  ml, l2, t2, t2p);
    sc_buf_printf(&md,
                  "| generated 20 MB package (200 x 100 KB incompressible) | %zu | 201 | %.1f ms "
                  "| %.1f ms | < 1000 ms: %s |\n\n",
                  l3, t3, t3p, t3 < 1000 ? "met" : "MISSED");
    sc_buf_printf(&md, "| manifest parse only | bytes | items | median | target |\n"
                       "|---|---|---|---|---|\n");
    sc_buf_printf(&md,
                  "| generated manifest (200 items with sequencing, 2,000 files) | %zu | %d | "
                  "%.2f ms | < 20 ms: %s |\n",
                  ml, items, tp, tp < 20 ? "met" : "MISSED");
    const char *adl_name = strstr(best_adl, "LMSTestPackage_");
    sc_buf_printf(&md, "| largest ADL CTS manifest `%s` | %zu | %d | %.2f ms | |\n",
                  adl_name ? adl_name : best_adl, al, adl_items, ta);
    fputs(md.data, stdout);
    FILE *f = fopen(out, "w");
    if (f) {
        fputs(md.data, f);
        fclose(f);
    } else {
        fprintf(stderr, "cannot write %s\n", out);
    }
    sc_buf_free(&md);
    free(z1);
    free(z2);
    free(z3);
    sc_free(m2);
    free(adl);
    stmt_db_close(db);
    tu_fini();
    xmlCleanupParser();
    return 0;
}
