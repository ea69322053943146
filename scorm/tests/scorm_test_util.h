/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the scorm/ tests: build zips with libzip (from folders of the shared
 * corpus or from buffers), a throw-away data directory, a snapshot of DATA/content to prove
 * that a failed import left nothing behind, and the run-time's steps (import a package, a new
 * registration, a launch, a commit with allocation failure injection).
 */
#ifndef SCORM_TEST_UTIL_H
#define SCORM_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/tap.h"
#include "scorm/scorm.h"
#include "scorm/scorm_rt.h"
#include "statements/stmt_db.h"
#include "statements/tests/pg_test_util.h"

static char tu_tmp[256];

static inline const char *tu_shared(void)
{
    const char *s = getenv("SHARED_DIR");
    return s ? s : "../../shared";
}

static inline char *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else if (buf) {
            buf[n] = '\0';
            *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static inline int tu_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int rc;
    if (!f)
        return -1;
    rc = fwrite(data, 1, len, f) == len ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

static inline int tu_rm_visit(const char *p, const struct stat *st, int fl, struct FTW *ftw)
{
    (void)st;
    (void)fl;
    (void)ftw;
    return remove(p);
}

static inline void tu_rm_rf(const char *p)
{
    nftw(p, tu_rm_visit, 16, FTW_DEPTH | FTW_PHYS);
}

/* A scratch folder for zip files, removed by tu_fini(). */
static inline void tu_init(void)
{
    snprintf(tu_tmp, sizeof tu_tmp, "/tmp/scorm-test-XXXXXX");
    if (!mkdtemp(tu_tmp)) {
        perror("mkdtemp");
        exit(2);
    }
}

static char *tu_dm;

static inline void tu_fini(void)
{
    tu_rm_rf(tu_tmp);
    free(tu_dm);
    tu_dm = NULL;
}

/* A fresh data directory with its store. With SCOLAR_TEST_BACKEND=pg (the *_pg tests,
 * tools/pg-gate.sh) the store is a new database on the cluster of SCOLAR_TEST_PG and dir the
 * node's own folder (issue 19). */
static inline struct stmt_db *tu_db_open(char *dir, size_t len)
{
    struct stmt_db *db = NULL;
    char err[256], url[512];
    const char *be = getenv("SCOLAR_TEST_BACKEND");
    int pg = be && strcmp(be, "pg") == 0;
    static int n;
    snprintf(dir, len, "%s/data%d", tu_tmp, n++);
    if (pg && pgtu_fresh_url(url, sizeof url) != 0) {
        fprintf(stderr, "SCOLAR_TEST_BACKEND=pg: no database on SCOLAR_TEST_PG\n");
        exit(2);
    }
    if (stmt_db_open_url(pg ? url : dir, dir, &db, err, sizeof err) != 0) {
        fprintf(stderr, "stmt_db_open: %s\n", err);
        exit(2);
    }
    if (scorm_db_register(db) != SCORM_OK) {
        fprintf(stderr, "scorm_db_register failed\n");
        exit(2);
    }
    return db;
}

/* Start a zip in the scratch folder. */
static inline zip_t *tu_zip_new(char *path, size_t len)
{
    static int n;
    int ze;
    zip_t *za;
    snprintf(path, len, "%s/z%d.zip", tu_tmp, n++);
    za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    if (!za) {
        fprintf(stderr, "zip_open %s failed: %d\n", path, ze);
        exit(2);
    }
    return za;
}

/* Add a copy of data as `name` (stored or deflated). Returns the entry index or -1. */
static inline zip_int64_t tu_zip_add(zip_t *za, const char *name, const void *data, size_t len,
                                     int store)
{
    void *copy = len ? malloc(len) : NULL;
    zip_source_t *s;
    zip_int64_t idx;
    if (len && !copy)
        return -1;
    if (len)
        memcpy(copy, data, len);
    s = zip_source_buffer(za, copy, len, len ? 1 : 0);
    if (!s) {
        free(copy);
        return -1;
    }
    idx = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8);
    if (idx < 0) /* not UTF-8: written as raw bytes (hostile names) */
        idx = zip_file_add(za, name, s, ZIP_FL_ENC_CP437);
    if (idx < 0) {
        zip_source_free(s);
        return -1;
    }
    if (store)
        zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    return idx;
}

static inline int tu_zip_add_str(zip_t *za, const char *name, const char *s)
{
    return tu_zip_add(za, name, s, strlen(s), 0) < 0 ? -1 : 0;
}

/* Add every file below fsdir as prefix/relative-path (skipping names in `skip` at top). */
static inline int tu_zip_add_tree(zip_t *za, const char *fsdir, const char *prefix)
{
    DIR *d = opendir(fsdir);
    struct dirent *de;
    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL) {
        char path[4096], name[2048];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", fsdir, de->d_name) >= (int)sizeof path ||
            snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "/" : "", de->d_name) >=
                (int)sizeof name)
            continue;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (tu_zip_add_tree(za, path, name) != 0) {
                closedir(d);
                return -1;
            }
        } else if (zip_name_locate(za, name, 0) < 0) {
            zip_source_t *s = zip_source_file(za, path, 0, -1);
            if (!s || zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8) < 0) {
                zip_source_free(s);
                closedir(d);
                return -1;
            }
        }
    }
    closedir(d);
    return 0;
}

/* Add scolar's own demo course (tools/demo-course, found from SRC_DIR = scorm/) as a package
 * root: edition "2004" or "12" picks the manifest; the pages are shared. 0 or -1. */
static inline int tu_zip_add_demo(zip_t *za, const char *edition)
{
    static const char *const files[] = {"intro.html", "intro.js", "quiz.html",
                                        "quiz.js",    "sco.js",   "common.css"};
    const char *src = getenv("SRC_DIR");
    char path[2048];
    if (!src)
        src = ".";
    snprintf(path, sizeof path, "%s/../tools/demo-course/scorm%s/imsmanifest.xml", src, edition);
    zip_source_t *s = zip_source_file(za, path, 0, -1);
    if (!s || zip_file_add(za, "imsmanifest.xml", s, ZIP_FL_ENC_UTF_8) < 0) {
        zip_source_free(s);
        return -1;
    }
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/../tools/demo-course/%s", src, files[i]);
        s = zip_source_file(za, path, 0, -1);
        if (!s || zip_file_add(za, files[i], s, ZIP_FL_ENC_UTF_8) < 0) {
            zip_source_free(s);
            return -1;
        }
    }
    return 0;
}

/* 1 when the third-party corpus (SHARED_DIR/scorm-packages) is present. Without it the tests
 * that need it are reported as skipped ("ok N # SKIP", issue 18), except under CI=true, where
 * its absence is a failure. */
static inline int tu_corpus(const char *what)
{
    char dir[1024];
    struct stat st;
    const char *ci = getenv("CI");
    snprintf(dir, sizeof dir, "%s/scorm-packages", tu_shared());
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    if (ci && !strcmp(ci, "true"))
        ok(0, "%s: the corpus %s is required when CI=true", what, dir);
    else
        ok(1, "# SKIP %s: needs the third-party SCORM corpus %s", what, dir);
    return 0;
}

/* Close the zip and read it back into memory (malloc'd). */
static inline char *tu_zip_finish(zip_t *za, const char *path, size_t *len)
{
    if (zip_close(za) != 0) {
        fprintf(stderr, "zip_close: %s\n", zip_strerror(za));
        zip_discard(za);
        return NULL;
    }
    return tu_read(path, len);
}

/* A zip of a corpus folder. ADL test packages (and CM-01-derived fixtures) are assembled as
 * the CTS does: the SCO depot goes to resources/, includes/ and the shared script as listed. */
static inline char *tu_zip_package(const char *dir, int adl, size_t *len)
{
    char path[512], sub[4096];
    zip_t *za = tu_zip_new(path, sizeof path);
    if (tu_zip_add_tree(za, dir, "") != 0)
        goto fail;
    if (adl) {
        const char *courses = "adl-cts-2004-4th-lmsrte/Courses";
        snprintf(sub, sizeof sub, "%s/scorm-packages/%s/SCODepot", tu_shared(), courses);
        if (tu_zip_add_tree(za, sub, "resources") != 0)
            goto fail;
        snprintf(sub, sizeof sub, "%s/scorm-packages/%s/includes", tu_shared(), courses);
        if (tu_zip_add_tree(za, sub, "includes") != 0)
            goto fail;
        snprintf(sub, sizeof sub, "%s/scorm-packages/%s/scripts/lmsrtefunctions.js", tu_shared(),
                 courses);
        zip_source_t *s = zip_source_file(za, sub, 0, -1);
        if (!s || zip_file_add(za, "common/lmsrtefunctions.js", s, 0) < 0) {
            zip_source_free(s);
            goto fail;
        }
    }
    return tu_zip_finish(za, path, len);
fail:
    zip_discard(za);
    return NULL;
}

/* Every path below DATA/content, sorted, one per line (to diff before and after). */
static inline int tu_snap_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void tu_snap_walk(const char *root, const char *rel, char ***v, size_t *n)
{
    char path[4096];
    DIR *d;
    struct dirent *de;
    if (snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel) >= (int)sizeof path)
        return;
    d = opendir(path);
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        char r[4096];
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) >= (int)sizeof r)
            continue;
        *v = realloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = strdup(r);
        if (de->d_type == DT_DIR)
            tu_snap_walk(root, r, v, n);
    }
    closedir(d);
}

static inline char *tu_snapshot(const char *datadir)
{
    char root[1024];
    char **v = NULL;
    size_t n = 0;
    struct sc_buf b = SC_BUF_INIT;
    snprintf(root, sizeof root, "%s/content", datadir);
    tu_snap_walk(root, "", &v, &n);
    if (n)
        qsort(v, n, sizeof *v, tu_snap_cmp);
    sc_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        sc_buf_printf(&b, "%s\n", v[i]);
        free(v[i]);
    }
    free(v);
    return sc_buf_steal(&b, NULL);
}

static inline int tu_course_count(struct stmt_db *db)
{
    cJSON *l = NULL;
    int n;
    if (scorm_course_list(db, &l) != 0)
        return -1;
    n = cJSON_GetArraySize(l);
    cJSON_Delete(l);
    return n;
}

static inline int tu_has_warning(const cJSON *res, const char *needle)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItem(res, "warnings"))
    {
        if (cJSON_IsString(w) && strstr(w->valuestring, needle))
            return 1;
    }
    return 0;
}

/* A generated SCORM 2004 4th package: nres SCO resources of files_per files each (plus an item
 * with sequencing per resource). The manifest of 200 x 10 is about 150 KB. */
static inline char *tu_gen_manifest(int nres, int files_per)
{
    struct sc_buf b = SC_BUF_INIT;
    sc_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<manifest identifier=\"generated.big.package\" version=\"1\"\n"
                    "  xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\"\n"
                    "  xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\"\n"
                    "  xmlns:adlseq=\"http://www.adlnet.org/xsd/adlseq_v1p3\"\n"
                    "  xmlns:adlnav=\"http://www.adlnet.org/xsd/adlnav_v1p3\"\n"
                    "  xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\">\n"
                    "<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th "
                    "Edition</schemaversion></metadata>\n"
                    "<organizations default=\"org\"><organization identifier=\"org\">"
                    "<title>Generated</title>\n");
    for (int r = 0; r < nres; r++)
        sc_buf_printf(&b,
                      "<item identifier=\"item_%03d\" identifierref=\"res_%03d\" "
                      "parameters=\"?page=%d\"><title>Module %d</title>"
                      "<imsss:sequencing><imsss:objectives><imsss:primaryObjective "
                      "objectiveID=\"obj_%03d\"><imsss:mapInfo targetObjectiveID=\"g_%03d\"/>"
                      "</imsss:primaryObjective></imsss:objectives></imsss:sequencing></item>\n",
                      r, r, r, r, r, r);
    sc_buf_puts(&b, "</organization></organizations>\n<resources>\n");
    for (int r = 0; r < nres; r++) {
        sc_buf_printf(&b,
                      "<resource identifier=\"res_%03d\" type=\"webcontent\" "
                      "adlcp:scormType=\"sco\" href=\"m%03d/page_00.html\">\n",
                      r, r);
        for (int f = 0; f < files_per; f++)
            sc_buf_printf(&b, "  <file href=\"m%03d/page_%02d.html\"/>\n", r, f);
        sc_buf_puts(&b, "</resource>\n");
    }
    sc_buf_puts(&b, "</resources>\n</manifest>\n");
    return sc_buf_steal(&b, NULL);
}

/* The zip of that package; every file holds `fsize` bytes of text. */
static inline char *tu_gen_package(int nres, int files_per, size_t fsize, size_t *len)
{
    char path[512];
    zip_t *za = tu_zip_new(path, sizeof path);
    char *m = tu_gen_manifest(nres, files_per);
    char *body = malloc(fsize + 1);
    uint32_t x = 7;
    for (size_t i = 0; i < fsize; i++) {
        x = x * 1103515245u + 12345u;
        body[i] = "abcdefghijklmnopqrstuvwxyz <>/\n"[(x >> 16) % 31];
    }
    tu_zip_add_str(za, "imsmanifest.xml", m);
    sc_free(m);
    for (int r = 0; r < nres; r++)
        for (int f = 0; f < files_per; f++) {
            char name[128];
            snprintf(name, sizeof name, "m%03d/page_%02d.html", r, f);
            tu_zip_add(za, name, body, fsize, 0);
        }
    free(body);
    return tu_zip_finish(za, path, len);
}

/* ---- the run-time's steps ------------------------------------------------------------------ */

static inline const char *tu_src_dir(void)
{
    const char *s = getenv("SRC_DIR");
    return s ? s : ".";
}

/* runtime_js/datamodel.json, read once (freed by tu_fini), or exit with a TAP bail out */
static size_t tu_dm_len;

static inline const char *tu_datamodel(size_t *len)
{
    char path[1024];
    if (!tu_dm) {
        snprintf(path, sizeof path, "%s/../runtime_js/datamodel.json", tu_src_dir());
        tu_dm = tu_read(path, &tu_dm_len);
        if (!tu_dm) {
            printf("Bail out! cannot read %s\n", path);
            exit(1);
        }
    }
    *len = tu_dm_len;
    return tu_dm;
}

/* The run-time on db with options o (NULL: none; activity_base and learner_home get the test
 * values when unset), or exit with a TAP bail out. */
static inline struct scorm_rt *tu_rt_open(struct stmt_db *db, struct scorm_rt_opts *o)
{
    struct scorm_rt_opts dflt;
    struct scorm_rt *rt = NULL;
    struct scorm_diag d;
    size_t len;
    const char *dm = tu_datamodel(&len);
    if (!o) {
        memset(&dflt, 0, sizeof dflt);
        o = &dflt;
    }
    if (!o->activity_base)
        o->activity_base = "http://lms.example.com/courses/";
    if (!o->learner_home)
        o->learner_home = "http://lms.example.com/";
    if (!db || scorm_rt_open(db, dm, len, o, &rt, &d)) {
        printf("Bail out! cannot open the run-time\n");
        exit(1);
    }
    return rt;
}

/* Import the zip at zp in process: a new course, or a new version of version_of when given.
 * The course id (malloc'd) or NULL (the reason as a TAP comment). */
static inline char *tu_import_zip(struct stmt_db *db, const char *zp, const char *version_of)
{
    cJSON *res = NULL;
    struct scorm_diag d;
    struct scorm_import_opts o;
    char *course = NULL;
    memset(&o, 0, sizeof o);
    memset(&d, 0, sizeof d);
    o.in_process = 1;
    o.course_id = version_of;
    o.existing = version_of ? 1 : 0;
    if (scorm_import_file(db, zp, &o, &res, &d) == 0)
        course = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(res, "course")));
    else
        tap_diag("import %s: %s %s", zp, scorm_strerror(d.code), d.msg);
    cJSON_Delete(res);
    return course;
}

/* a folder of the shared corpus (SHARED_DIR/scorm-packages/name) */
static inline char *tu_import_corpus(struct stmt_db *db, const char *name, const char *version_of)
{
    char zp[512], dir[1024];
    size_t len;
    zip_t *za = tu_zip_new(zp, sizeof zp);
    snprintf(dir, sizeof dir, "%s/scorm-packages/%s", tu_shared(), name);
    tu_zip_add_tree(za, dir, "");
    free(tu_zip_finish(za, zp, &len));
    return tu_import_zip(db, zp, version_of);
}

/* a manifest and the pages it launches (NULL-terminated names; NULL: a.html), each a stub */
static inline char *tu_import_manifest(struct stmt_db *db, const char *xml,
                                       const char *const *pages, const char *version_of)
{
    static const char *const dflt[] = {"a.html", NULL};
    char zp[512];
    size_t len;
    zip_t *za = tu_zip_new(zp, sizeof zp);
    tu_zip_add_str(za, "imsmanifest.xml", xml);
    for (const char *const *p = pages ? pages : dflt; *p; p++)
        tu_zip_add_str(za, *p, "<html>page</html>");
    free(tu_zip_finish(za, zp, &len));
    return tu_import_zip(db, zp, version_of);
}

/* scolar's own demo course, edition "2004" or "12" */
static inline char *tu_import_demo(struct stmt_db *db, const char *edition)
{
    char zp[512];
    size_t len;
    zip_t *za = tu_zip_new(zp, sizeof zp);
    tu_zip_add_demo(za, edition);
    free(tu_zip_finish(za, zp, &len));
    return tu_import_zip(db, zp, NULL);
}

/* a new registration of learner (id, name) on course: its id into reg; the run-time's code */
static inline int tu_reg_new(struct scorm_rt *rt, const char *course, const char *learner,
                             const char *name, char reg[64])
{
    cJSON *r = NULL;
    struct scorm_diag d;
    int rc = scorm_rt_registration_create(rt, course, learner, name, &r, &d);
    reg[0] = '\0';
    if (!rc)
        snprintf(reg, 64, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(r, "registration")));
    cJSON_Delete(r);
    return rc;
}

/* launch sco: the session into sess; *out (may be NULL) gets the launch answer (owned) */
static inline int tu_launch(struct scorm_rt *rt, const char *reg, const char *sco, char sess[64],
                            cJSON **out)
{
    cJSON *L = NULL;
    struct scorm_diag d;
    int rc = scorm_rt_launch(rt, reg, sco, &L, &d);
    sess[0] = '\0';
    if (!rc)
        snprintf(sess, 64, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(L, "session")));
    if (out)
        *out = L;
    else
        cJSON_Delete(L);
    return rc;
}

/* A commit {seq, final, changes: changes_json} with an allocation failure injected after
 * fail_after allocations of the call (-1: none; the payload is made before). *out (may be
 * NULL) gets the answer, d (may be NULL) the diagnostic. The run-time's code. */
static inline int tu_commit(struct scorm_rt *rt, const char *reg, const char *sess, int seq,
                            int final, const char *changes_json, long fail_after, cJSON **out,
                            struct scorm_diag *d)
{
    cJSON *p = cJSON_CreateObject(), *res = NULL;
    struct scorm_diag dd;
    int rc;
    cJSON_AddNumberToObject(p, "seq", seq);
    cJSON_AddBoolToObject(p, "final", final);
    cJSON_AddItemToObject(p, "changes", cJSON_Parse(changes_json));
    if (!d)
        d = &dd;
    memset(d, 0, sizeof *d);
    sc_alloc_fail_after(fail_after);
    rc = scorm_rt_commit(rt, reg, sess, p, &res, d);
    sc_alloc_fail_after(-1);
    cJSON_Delete(p);
    if (out)
        *out = res;
    else
        cJSON_Delete(res);
    return rc;
}

/* tu_commit of a new seq: 0 only when it was applied (1: answered as a duplicate) */
static inline int tu_commit_applied(struct scorm_rt *rt, const char *reg, const char *sess, int seq,
                                    int final, const char *changes_json, long fail_after)
{
    cJSON *out = NULL;
    int rc = tu_commit(rt, reg, sess, seq, final, changes_json, fail_after, &out, NULL);
    if (rc == 0 && !cJSON_IsTrue(cJSON_GetObjectItem(out, "applied")))
        rc = 1;
    cJSON_Delete(out);
    return rc;
}

#endif
