/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmi5 package files through cmi5_content_open / scorm_content.h (issue 19 step 6) on the
 * store's backend: DATA/cmi5/<course>/ on LMDB (as before), content/blob/blob_chunk rows under
 * the course key "cmi5:<course>" on PostgreSQL (test_cmi5_content_pg, SCOLAR_TEST_BACKEND=pg),
 * and the database layout forced on a second LMDB store so the rows' code runs in every build.
 *
 * The shared corpus's cmi5 packages (scorm-packages/cmi5) and one built here with a file of
 * several chunks: every file read back byte-identical, with its size, type and a stable ETag,
 * reads at offsets across chunk boundaries; the row counts (no DATA/cmi5/ folder in the
 * database); a second import of the same package shares its blobs and the delete of one keeps
 * the other readable; after the deletes no row is left; unknown course or file, and bad paths:
 * not found.
 */
#include <dirent.h>
#include <libxml/parser.h>

#include "common/sc_alloc.h"
#include "scorm/tests/content_test_util.h"
#include "scorm/tests/scorm_test_util.h"
#include "common/sc_rand.h"
#include "common/tap.h"
#include "scorm/cmi5.h"
#include "scorm/cmi5_int.h"
#include "scorm/scorm_content.h"
#include "scorm/scorm_int.h"
#include "statements/stmt_store.h"

static int in_db;

/* the whole file `path` of course id through the handle, in reads of `step` bytes */
static unsigned char *read_all(struct cmi5 *c, const char *id, const char *path, size_t step,
                               size_t *len, char etag[80])
{
    struct scorm_content *h = NULL;
    if (cmi5_content_open(c, id, path, &h) != CMI5_OK)
        return NULL;
    return ct_read_back(h, step, len, etag, NULL);
}

struct files {
    char name[16][64];
    unsigned char *data[16];
    size_t len[16];
    int n;
};

static void check_files(struct cmi5 *c, const char *id, const struct files *f, const char *what)
{
    for (int i = 0; i < f->n; i++) {
        size_t len = 0, len2 = 0;
        char e1[80] = "", e2[80] = "";
        unsigned char *a = read_all(c, id, f->name[i], 65536, &len, e1);
        unsigned char *b = read_all(c, id, f->name[i], 100000, &len2, e2);
        ok(a && len == f->len[i] && !memcmp(a, f->data[i], len), "%s: %s byte-identical (%zu)",
           what, f->name[i], len);
        ok(b && len2 == f->len[i] && !memcmp(b, f->data[i], len2) && e1[0] == '"' &&
               !strcmp(e1, e2),
           "%s: %s again in other pieces, the same ETag %s", what, f->name[i], e1);
        free(a);
        free(b);
    }
}

static void load_dir(const char *dir, struct files *f)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    memset(f, 0, sizeof *f);
    while (d && (e = readdir(d)) && f->n < 16) {
        char path[1200];
        if (e->d_name[0] == '.')
            continue;
        if (strlen(e->d_name) >= 64)
            continue;
        memcpy(f->name[f->n], e->d_name, strlen(e->d_name) + 1);
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        f->data[f->n] = (unsigned char *)tu_read(path, &f->len[f->n]);
        f->n++;
    }
    if (d)
        closedir(d);
}

static void files_free(struct files *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->data[i]);
}

static void check_stats(struct stmt_db *db, size_t files, const char *what)
{
    struct scorm_content_stats s;
    is_int(scorm_content_stats(db, &s), 0, "%s: stats", what);
    is_int((int)s.files, in_db ? (int)files : 0, "%s: %zu content rows", what, in_db ? files : 0);
    is_int((int)s.bad, 0, "%s: no finding in the rows", what);
}

static char *import(struct cmi5 *c, const char *zip, size_t len, const char *what)
{
    cJSON *out = NULL;
    struct cmi5_diag d;
    char *id = NULL;
    memset(&d, 0, sizeof d);
    ok(zip && cmi5_course_import(c, zip, len, 1, &out, &d) == 0, "%s imports (%s)", what, d.msg);
    if (out)
        id = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(out, "id")));
    cJSON_Delete(out);
    return id;
}

static void check_folder(const char *datadir, const char *id, int want, const char *what)
{
    char path[1200];
    struct stat st;
    snprintf(path, sizeof path, "%s/cmi5/%s", datadir, id);
    is_int(stat(path, &st) == 0, want, "%s: DATA/cmi5/%s %s", what, id,
           want ? "present" : "absent");
}

static void one_package(struct cmi5 *c, struct stmt_db *db, const char *datadir, const char *name,
                        const char *zip, size_t zlen, const struct files *f)
{
    char *id = import(c, zip, zlen, name), *id2;
    struct scorm_content *h = NULL;
    if (!id)
        return;
    check_folder(datadir, id, !in_db, name);
    check_files(c, id, f, name);
    check_stats(db, (size_t)f->n, name);
    id2 = import(c, zip, zlen, "the same package again");
    check_stats(db, (size_t)f->n * 2, "two imports");
    is_int(cmi5_content_open(c, id, "nope.html", &h), CMI5_ERR_NOTFOUND, "%s: no such file", name);
    is_int(cmi5_content_open(c, id, "../cmi5.xml", &h), CMI5_ERR_NOTFOUND, "%s: ../ refused", name);
    if (!in_db) { /* on disk: the open stays inside DATA/cmi5/<course>/, regular files only */
        struct ct_course o = {c, NULL, id};
        char base[1200];
        snprintf(base, sizeof base, "%s/cmi5/%s", datadir, id);
        ct_confinement(base, "cmi5.xml", &o, CMI5_ERR_NOTFOUND, name);
    }
    is_int(cmi5_content_open(c, "cmi5-000000000000", "cmi5.xml", &h), CMI5_ERR_NOTFOUND,
           "no such course");
    ok(h == NULL, "no handle on failure");
    is_int(cmi5_course_delete(c, id, 0), 0, "%s: delete", name);
    check_folder(datadir, id, 0, "after the delete");
    is_int(cmi5_content_open(c, id, "cmi5.xml", &h), CMI5_ERR_NOTFOUND,
           "the deleted course's files are gone");
    check_stats(db, (size_t)f->n, "one import left");
    if (id2) {
        check_files(c, id2, f, "the other import (shared blobs kept)");
        is_int(cmi5_course_delete(c, id2, 0), 0, "delete the other");
    }
    check_stats(db, 0, "every import deleted");
    free(id);
    free(id2);
}

/* cmi5.xml and index.html of a shared package plus a file of 2.3 chunks and an empty one */
static char *built_zip(const char *dir, struct files *f, size_t *len)
{
    char path[600];
    zip_t *za = tu_zip_new(path, sizeof path);
    load_dir(dir, f);
    f->len[f->n] = SCORM_CONTENT_CHUNK * 2 + SCORM_CONTENT_CHUNK / 3;
    f->data[f->n] = malloc(f->len[f->n]);
    sc_random_bytes(f->data[f->n], f->len[f->n]);
    snprintf(f->name[f->n], 64, "big.bin");
    f->n++;
    f->data[f->n] = malloc(1);
    f->len[f->n] = 0;
    snprintf(f->name[f->n], 64, "empty.txt");
    f->n++;
    for (int i = 0; i < f->n; i++)
        tu_zip_add(za, f->name[i], f->data[i], f->len[i], i % 2);
    if (zip_close(za))
        return NULL;
    return tu_read(path, len);
}

/* imports failed by an allocation failure at each step leave no course, no content row and no
 * temporary folder; the first that succeeds is complete */
static void failed_imports(struct cmi5 *c, struct stmt_db *db, const char *datadir, const char *zip,
                           size_t zlen, const struct files *f)
{
    int fails = 0, clean = 0, done = 0;
    for (long n = 0; n < 5000 && !done; n++) {
        cJSON *out = NULL, *list = NULL;
        struct cmi5_diag d;
        struct scorm_content_stats cs;
        char tmpdir[700];
        int rc, leftovers = 0;
        DIR *dd;
        struct dirent *e;
        memset(&d, 0, sizeof d);
        sc_alloc_fail_after(n);
        rc = cmi5_course_import(c, zip, zlen, 1, &out, &d);
        sc_alloc_fail_after(-1);
        if (rc == CMI5_OK) {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(out, "id"));
            check_files(c, id, f, "the first import not failed");
            is_int(cmi5_course_delete(c, id, 0), 0, "delete it");
            cJSON_Delete(out);
            done = 1;
            break;
        }
        fails++;
        snprintf(tmpdir, sizeof tmpdir, "%s/content", datadir);
        dd = opendir(tmpdir);
        while (dd && (e = readdir(dd)))
            leftovers += !strncmp(e->d_name, ".tmp-", 5);
        if (dd)
            closedir(dd);
        snprintf(tmpdir, sizeof tmpdir, "%s/cmi5", datadir);
        dd = opendir(tmpdir);
        while (dd && (e = readdir(dd)))
            leftovers += e->d_name[0] != '.';
        if (dd)
            closedir(dd);
        clean += !out && scorm_content_stats(db, &cs) == 0 && cs.files == 0 && cs.blobs == 0 &&
                 cs.chunks == 0 && cmi5_course_list(c, &list) == 0 &&
                 cJSON_GetArraySize(list) == 0 && !leftovers;
        cJSON_Delete(list);
        cJSON_Delete(out);
    }
    ok(done, "an import succeeds once the injected failures are past (%d failed first)", fails);
    ok(fails > 0, "allocation failures were injected");
    is_int(clean, fails, "every failed import left no course, row or folder");
}

static void run(struct stmt_db *db, const char *datadir, const char *label)
{
    struct stmt_store *st = NULL;
    struct cmi5 *c = NULL;
    char left[1200];
    struct stat sb;
    tap_diag("---- %s", label);
    /* an import a crash interrupted on LMDB: DATA/cmi5/.tmp-* goes at the open */
    snprintf(left, sizeof left, "%s/cmi5", datadir);
    mkdir(left, 0755);
    snprintf(left, sizeof left, "%s/cmi5/.tmp-0123456789abcdef", datadir);
    mkdir(left, 0700);
    snprintf(left, sizeof left, "%s/cmi5/.tmp-0123456789abcdef/index.html", datadir);
    tu_write(left, "x", 1);
    ok(stmt_store_open(db, NULL, &st) == 0, "statement store");
    ok(cmi5_open(db, st, NULL, &c) == 0, "cmi5 open");
    snprintf(left, sizeof left, "%s/cmi5/.tmp-0123456789abcdef", datadir);
    is_int(stat(left, &sb) == 0, in_db, "DATA/cmi5/.tmp-* of an interrupted import %s at the open",
           in_db ? "left (not the rows' folder)" : "removed");
    scorm__rm_rf(left);
    if (!c)
        return;
    if (tu_corpus("the shared cmi5 packages (scorm-packages/cmi5)")) {
        static const char *const pk[] = {"multi_au_framed", "pre_post_test_framed",
                                         "single_au_basic_responsive", NULL};
        for (const char *const *p = pk; *p; p++) {
            char dir[1024];
            size_t len = 0;
            struct files f;
            char *zip;
            snprintf(dir, sizeof dir, "%s/scorm-packages/cmi5/%s", tu_shared(), *p);
            load_dir(dir, &f);
            zip = tu_zip_package(dir, 0, &len);
            one_package(c, db, datadir, *p, zip, len, &f);
            files_free(&f);
            free(zip);
        }
        {
            char dir[1024];
            size_t len = 0;
            struct files f;
            char *zip;
            snprintf(dir, sizeof dir, "%s/scorm-packages/cmi5/single_au_basic_framed", tu_shared());
            zip = built_zip(dir, &f, &len);
            one_package(c, db, datadir, "a package with a 2.3-chunk file", zip, len, &f);
            failed_imports(c, db, datadir, zip, len, &f);
            /* a read in the middle, across a chunk boundary (Range requests) */
            {
                char *id = import(c, zip, len, "again for offsets");
                struct scorm_content *h = NULL;
                unsigned char buf[5000];
                size_t got = 0, at = SCORM_CONTENT_CHUNK - 2000;
                is_int(cmi5_content_open(c, id, "big.bin", &h), 0, "open big.bin");
                if (h) {
                    is_int(scorm_content_read(h, at, buf, sizeof buf, &got), 0, "read at %zu", at);
                    ok(got == sizeof buf && !memcmp(buf, f.data[f.n - 2] + at, got),
                       "the bytes across the chunk boundary");
                    is_int(scorm_content_read(h, f.len[f.n - 2], buf, 10, &got), 0,
                           "read at the end");
                    is_int((int)got, 0, "nothing past the end");
                    is_str(scorm_content_type(h), NULL, "unknown extension: no type (download)");
                    scorm_content_close(h);
                }
                /* read whole, big.bin is kept in this node's cache; the delete that frees
                 * its blob takes the entry (the rows' layout only) */
                if (in_db) {
                    unsigned char h32[32];
                    char hex[65], entry[1200];
                    size_t blen = 0;
                    unsigned char *all = read_all(c, id, "big.bin", 65536, &blen, NULL);
                    sc_sha256(f.data[f.n - 2], f.len[f.n - 2], h32);
                    sc_hex(h32, 32, hex);
                    snprintf(entry, sizeof entry, "%s/content/.cache/%s", datadir, hex);
                    ok(all && blen == f.len[f.n - 2] && access(entry, F_OK) == 0,
                       "big.bin read whole: a cache entry on this node");
                    free(all);
                    is_int(cmi5_course_delete(c, id, 0), 0, "delete");
                    ok(access(entry, F_OK) != 0, "the delete took the entry of its freed blob");
                } else {
                    is_int(cmi5_course_delete(c, id, 0), 0, "delete");
                }
                check_stats(db, 0, "offsets");
                free(id);
            }
            files_free(&f);
            free(zip);
        }
    }
    cmi5_close(c);
    stmt_store_close(st);
}

int main(void)
{
    sc_alloc_init_cjson();
    xmlInitParser();
    tu_init();
    ct_each_layout(run, &in_db);
    tu_fini();
    xmlCleanupParser();
    return tap_done();
}
