/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Course store semantics (issue 5 "Store"): versions on re-import, the records and the files,
 * course ids (given and derived), delete, start-up cleanup, and all-or-nothing when the
 * importing process is killed with SIGKILL at random moments.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/scorm_content.h"
#include "scorm/tests/scorm_test_util.h"

static char datadir[512];
static int on_pg; /* SCOLAR_TEST_BACKEND=pg: the content is in the database, not on disk */

/* 1 when version v of course id has the file path, read through scorm_content (either
 * backend), and on LMDB also on disk under DATA/content/ */
static int has_file(struct stmt_db *db, const char *id, int v, const char *path)
{
    struct scorm_content *c = NULL;
    char p[2048];
    struct stat st;
    int rc = scorm_content_open(db, id, v, path, &c);
    scorm_content_close(c);
    if (rc != 0)
        return 0;
    snprintf(p, sizeof p, "%s/content/%s/%d/%s", datadir, id, v, path);
    return on_pg ? stat(p, &st) != 0 : stat(p, &st) == 0;
}

static int path_exists(const char *fmt, const char *a, const char *b)
{
    char p[2048];
    struct stat st;
    snprintf(p, sizeof p, fmt, a, b);
    return stat(p, &st) == 0;
}

static int count_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char p[4096];
        if (de->d_name[0] == '.')
            continue;
        if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p)
            continue;
        if (de->d_type == DT_DIR)
            n += count_files(p);
        else
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

/* scolar's own demo course, SCORM 1.2 edition (tools/demo-course), zipped; malloc'd bytes. */
static char *demo_zip(char *zpath, size_t n, size_t *len)
{
    zip_t *za = tu_zip_new(zpath, n);
    if (tu_zip_add_demo(za, "12") != 0) {
        zip_discard(za);
        return NULL;
    }
    return tu_zip_finish(za, zpath, len);
}

static void test_versions(struct stmt_db *db)
{
    char zpath[1024];
    size_t len = 0;
    char *buf;
    cJSON *r1 = NULL, *r2 = NULL, *c = NULL, *v1 = NULL, *list = NULL;
    struct scorm_diag d;
    const char *id;

    buf = demo_zip(zpath, sizeof zpath, &len);
    ok(buf != NULL, "demo course zipped to %s", zpath);
    is_int(scorm_import_mem(db, buf, len, NULL, &r1, &d), 0, "first import");
    id = cJSON_GetStringValue(cJSON_GetObjectItem(r1, "course"));
    is_str(id, "org.scolar.demo.safe-lifting.12",
           "course id derived from the "
           "manifest identifier");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "title")),
           "Safe lifting (scolar demo, SCORM 1.2)", "title of the default organization");
    is_int(cJSON_GetNumberValue(cJSON_GetObjectItem(r1, "course_version")), 1, "version 1");
    ok(cJSON_IsArray(cJSON_GetObjectItem(r1, "warnings")), "warnings array");
    ok(has_file(db, id, 1, "imsmanifest.xml"), "files in content/<id>/1");
    ok(has_file(db, id, 1, "intro.html"), "launch file extracted");

    {
        /* a new version must be asked for: a plain import is a new course (issue 13) */
        struct scorm_import_opts o = {0};
        o.course_id = id;
        o.existing = 1;
        is_int(scorm_import_file(db, zpath, &o, &r2, &d), 0, "re-import from the file");
    }
    is_int(cJSON_GetNumberValue(cJSON_GetObjectItem(r2, "course_version")), 2, "version 2");
    ok(has_file(db, id, 2, "imsmanifest.xml"), "files in content/<id>/2");
    ok(has_file(db, id, 1, "imsmanifest.xml"), "version 1 files kept");

    is_int(scorm_course_get(db, id, &c), 0, "course_get");
    is_int(cJSON_GetNumberValue(cJSON_GetObjectItem(c, "current")), 2, "current version 2");
    is_int(cJSON_GetArraySize(cJSON_GetObjectItem(c, "versions")), 2, "two versions listed");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(c, "scorm_version")), "scorm12",
           "scorm_version");
    {
        cJSON *org = cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(c, "tree"), "organizations"), 0);
        cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(org, "items"), 0);
        is_str(cJSON_GetStringValue(cJSON_GetObjectItem(item, "launch")), "intro.html",
               "item tree with the launch href");
    }
    is_int(scorm_course_version_get(db, id, 1, &v1), 0, "version 1 record still readable");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(v1, "path")),
           "content/org.scolar.demo.safe-lifting.12/1", "version 1 path");
    ok(cJSON_GetObjectItem(cJSON_GetObjectItem(v1, "report"), "files") != NULL,
       "import report stored");
    is_int(scorm_course_list(db, &list), 0, "course_list");
    is_int(cJSON_GetArraySize(list), 1, "one course");

    /* delete */
    char saved[128];
    snprintf(saved, sizeof saved, "%s", id);
    is_int(scorm_course_delete(db, saved), 0, "delete");
    is_int(scorm_course_get(db, saved, &c), SCORM_ERR_NOTFOUND, "course gone");
    is_int(scorm_course_version_get(db, saved, 1, &v1), SCORM_ERR_NOTFOUND, "version 1 gone");
    ok(!path_exists("%s/content/%s", datadir, saved), "files gone");
    ok(!has_file(db, saved, 1, "imsmanifest.xml") && !has_file(db, saved, 2, "intro.html"),
       "files gone from scorm_content");
    is_int(scorm_course_delete(db, saved), SCORM_ERR_NOTFOUND, "second delete: not found");
    is_int(scorm_course_delete(db, "../etc"), SCORM_ERR_NOTFOUND, "delete with a path id");
    {
        char *snap = tu_snapshot(datadir);
        is_str(snap, "", "content folder empty after delete");
        sc_free(snap);
    }
    cJSON_Delete(r1);
    cJSON_Delete(r2);
    cJSON_Delete(c);
    cJSON_Delete(v1);
    cJSON_Delete(list);

    /* given course ids */
    {
        struct scorm_import_opts o;
        static const char *const bad[] = {"",
                                          "../x",
                                          "a/b",
                                          ".hidden",
                                          "a b",
                                          "01234567890123456789012345678901234567890123456789"
                                          "012345678901234"};
        memset(&o, 0, sizeof o);
        o.course_id = "my-course_1.0";
        is_int(scorm_import_mem(db, buf, len, &o, &r1, &d), 0, "import with a given id");
        is_str(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "course")), "my-course_1.0",
               "given id used");
        cJSON_Delete(r1);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char *before = tu_snapshot(datadir);
            o.course_id = bad[i];
            r1 = NULL;
            is_int(scorm_import_mem(db, buf, len, &o, &r1, &d), SCORM_ERR_ARG, "bad id '%s'",
                   bad[i]);
            char *after = tu_snapshot(datadir);
            is_str(after, before, "bad id '%s': nothing written", bad[i]);
            sc_free(before);
            sc_free(after);
        }
        is_int(scorm_course_delete(db, "my-course_1.0"), 0, "delete given id");
    }
    free(buf);

    /* derived ids are sanitised */
    {
        char zp[512];
        static const char *const cases[][2] = {
            {"a b/c..d", "a_b_c..d"}, {"../../etc", "___.._etc"}, {"\xc3\xa9t\xc3\xa9", "__t__"}};
        for (size_t i = 0; i < 3; i++) {
            struct sc_buf m = SC_BUF_INIT;
            sc_buf_printf(&m,
                          "<manifest identifier=\"%s\" "
                          "xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\" "
                          "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\">"
                          "<organizations default=\"o\"><organization identifier=\"o\">"
                          "<title>t</title><item identifier=\"i\" identifierref=\"r\"/>"
                          "</organization></organizations><resources><resource "
                          "identifier=\"r\" type=\"webcontent\" adlcp:scormtype=\"sco\" "
                          "href=\"a.html\"/></resources></manifest>",
                          cases[i][0]);
            zip_t *za = tu_zip_new(zp, sizeof zp);
            tu_zip_add_str(za, "imsmanifest.xml", m.data);
            tu_zip_add_str(za, "a.html", "<html/>");
            sc_buf_free(&m);
            char *b = tu_zip_finish(za, zp, &len);
            r1 = NULL;
            is_int(scorm_import_mem(db, b, len, NULL, &r1, &d), 0, "import '%s'", cases[i][0]);
            is_str(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "course")), cases[i][1],
                   "id derived from '%s'", cases[i][0]);
            is_int(scorm_course_delete(db, cases[i][1]), 0, "delete %s", cases[i][1]);
            cJSON_Delete(r1);
            free(b);
        }
    }
}

static void test_cleanup(struct stmt_db *db)
{
    char p[2048], zpath[1024];
    size_t len = 0;
    cJSON *r = NULL;
    struct scorm_diag d;
    char *buf;

    buf = demo_zip(zpath, sizeof zpath, &len);
    is_int(scorm_import_mem(db, buf, len, NULL, &r, &d), 0, "import for the cleanup test");
    free(buf);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r, "course"));
    snprintf(p, sizeof p, "%s/content/.tmp-0123456789abcdef", datadir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/content/.tmp-0123456789abcdef/x.html", datadir);
    tu_write(p, "x", 1);
    snprintf(p, sizeof p, "%s/content/%s/7", datadir, id);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/content/ghost", datadir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/content/ghost/1", datadir);
    mkdir(p, 0755);
    is_int(scorm_import_cleanup(db), 0, "cleanup");
    ok(!path_exists("%s/content/.tmp-0123456789abcdef%s", datadir, ""), "stale .tmp removed");
    snprintf(p, sizeof p, "%s/7", id);
    ok(!path_exists("%s/content/%s", datadir, p), "version folder without record removed");
    if (on_pg) /* the node's folder may be an LMDB data directory: its courses are not ours */
        ok(path_exists("%s/content/ghost%s", datadir, ""), "course folder of no record kept (PG)");
    else
        ok(!path_exists("%s/content/ghost%s", datadir, ""), "course folder without record removed");
    ok(has_file(db, id, 1, "imsmanifest.xml"), "recorded version kept");
    if (on_pg) {
        snprintf(p, sizeof p, "%s/content/ghost", datadir);
        tu_rm_rf(p);
    }
    is_int(scorm_course_delete(db, id), 0, "delete after cleanup");
    cJSON_Delete(r);
}

/* SIGKILL an importing process at random moments: afterwards, with cleanup, the course is
 * either complete (record + every file) or absent (no record, no file). */
static void test_crash(void)
{
    size_t len = 0;
    char *buf = tu_gen_package(100, 10, 2000, &len);
    int complete = 0, absent = 0;
    unsigned seed = (unsigned)time(NULL);

    ok(buf != NULL, "generated package (1,000 files)");
    /* one undisturbed import sets the time scale for the kills */
    long span_us;
    {
        struct stmt_db *db;
        char err[256];
        cJSON *r = NULL;
        struct scorm_diag d;
        struct timespec t0, t1;
        if (stmt_db_open(datadir, &db, err, sizeof err) == 0)
            scorm_db_register(db);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        is_int(scorm_import_mem(db, buf, len, NULL, &r, &d), 0, "undisturbed import");
        clock_gettime(CLOCK_MONOTONIC, &t1);
        span_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
        is_int(scorm_course_delete(db, "generated.big.package"), 0, "delete it");
        cJSON_Delete(r);
        stmt_db_close(db);
        tap_diag("one import takes %ld ms", span_us / 1000);
    }
    tap_diag("crash test seed %u", seed);
    srand(seed);
    for (int round = 0; round < 10; round++) {
        struct stmt_db *db;
        char err[256];
        pid_t pid = fork();
        if (pid == 0) {
            struct stmt_db *cdb = NULL;
            cJSON *r = NULL;
            struct scorm_diag d;
            if (stmt_db_open(datadir, &cdb, err, sizeof err) != 0 || scorm_db_register(cdb))
                _exit(2);
            int rc = scorm_import_mem(cdb, buf, len, NULL, &r, &d);
            _exit(rc == 0 ? 0 : 3);
        }
        /* kill anywhere from the start to a little after the expected end */
        usleep((useconds_t)(round == 0   ? 0
                            : round == 9 ? span_us * 4
                                         : rand() % (span_us * 6 / 5 + 1)));
        int status = 0;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        if (WIFEXITED(status))
            tap_diag("round %d: the import finished first (exit %d)", round, WEXITSTATUS(status));
        /* the worker follows its parent (PR_SET_PDEATHSIG) and releases the store lock it
         * inherited; wait for that */
        int tries = 0;
        while (stmt_db_open(datadir, &db, err, sizeof err) != 0 && tries++ < 200)
            usleep(10000);
        if (tries > 200) {
            ok(0, "reopen after kill: %s", err);
            break;
        }
        is_int(scorm_db_register(db), 0, "round %d: tables", round);
        is_int(scorm_import_cleanup(db), 0, "round %d: cleanup", round);
        cJSON *c = NULL;
        int rc = scorm_course_get(db, "generated.big.package", &c);
        if (rc == 0) {
            char dir[1024];
            int cur = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "current"));
            snprintf(dir, sizeof dir, "%s/content/generated.big.package/%d", datadir, cur);
            is_int(count_files(dir), 1001, "round %d: recorded course has every file", round);
            is_int(scorm_course_delete(db, "generated.big.package"), 0, "round %d: delete", round);
            complete++;
        } else {
            is_int(rc, SCORM_ERR_NOTFOUND, "round %d: no record", round);
            absent++;
        }
        char *snap = tu_snapshot(datadir);
        is_str(snap, "", "round %d: nothing else left in DATA/content", round);
        sc_free(snap);
        cJSON_Delete(c);
        stmt_db_close(db);
    }
    tap_diag("killed imports: %d complete, %d absent", complete, absent);
    free(buf);
}

int main(void)
{
    struct stmt_db *db;
    const char *be = getenv("SCOLAR_TEST_BACKEND");
    on_pg = be && !strcmp(be, "pg");
    tu_init();
    db = tu_db_open(datadir, sizeof datadir);
    test_versions(db);
    test_cleanup(db);
    stmt_db_close(db);
    test_crash();
    tu_fini();
    return tap_done();
}
