/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Course content through scorm_content.h (issue 19 step 6) on the store's backend: files on
 * disk for LMDB, content/blob/blob_chunk rows for PostgreSQL (test_scorm_content_pg,
 * SCOLAR_TEST_BACKEND=pg), and the database layout forced on a second LMDB store, so the rows'
 * code runs under every build even without PostgreSQL.
 *
 * A real package of the shared corpus (a generated one without it) plus files over and at the
 * chunk size, an empty one, a duplicate and a path too long for a key: every file read back
 * byte-identical with its size and type, reads across chunk boundaries, ETags; the row counts
 * against a model computed here (distinct SHA-256 of the files still imported): a re-import
 * writes no chunk, a delete keeps what another course uses; imports failed by allocation
 * failures at each step leave the rows, the records and DATA/content as they were.
 */
#include <fcntl.h>
#include <pthread.h>

#include <libxml/parser.h>

#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/tap.h"
#include "scorm/scorm_content.h"
#include "scorm/scorm_int.h"
#include "scorm/tests/content_test_util.h"
#include "scorm/tests/scorm_test_util.h"

#define CHUNK SCORM_CONTENT_CHUNK

struct pkg {
    char *path[256];
    unsigned char *data[256];
    size_t len[256];
    size_t n;
};

static void pkg_add(struct pkg *p, const char *path, const void *data, size_t len)
{
    if (p->n == 256)
        return;
    p->path[p->n] = strdup(path);
    p->data[p->n] = malloc(len ? len : 1);
    if (len)
        memcpy(p->data[p->n], data, len);
    p->len[p->n] = len;
    p->n++;
}

static void pkg_set(struct pkg *p, const char *path, const void *data, size_t len)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->path[i], path)) {
            free(p->data[i]);
            p->data[i] = malloc(len ? len : 1);
            memcpy(p->data[i], data, len);
            p->len[i] = len;
            return;
        }
    pkg_add(p, path, data, len);
}

static void pkg_copy(struct pkg *dst, const struct pkg *src)
{
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; i < src->n; i++)
        pkg_add(dst, src->path[i], src->data[i], src->len[i]);
}

static void pkg_free(struct pkg *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->path[i]);
        free(p->data[i]);
    }
    p->n = 0;
}

/* every file below root/rel except dot-files (as tu_zip_add_tree) */
static void pkg_load_dir(struct pkg *p, const char *root, const char *rel)
{
    char dir[4096];
    DIR *d;
    struct dirent *de;
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    if (!(d = opendir(dir)))
        return;
    while ((de = readdir(d)) != NULL) {
        char sub[2048], full[8192];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        if (stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            pkg_load_dir(p, root, sub);
        } else {
            size_t len = 0;
            char *b = tu_read(full, &len);
            if (b)
                pkg_add(p, sub, b, len);
            free(b);
        }
    }
    closedir(d);
}

static char *pkg_zip(const struct pkg *p, size_t *len)
{
    char zp[512];
    zip_t *za = tu_zip_new(zp, sizeof zp);
    for (size_t i = 0; i < p->n; i++)
        tu_zip_add(za, p->path[i], p->data[i], p->len[i], 0);
    return tu_zip_finish(za, zp, len);
}

static const unsigned char *pkg_get(const struct pkg *p, const char *path, size_t *len)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->path[i], path)) {
            *len = p->len[i];
            return p->data[i];
        }
    return NULL;
}

/* The model: the counts the tables must have with these packages imported (mult[i] times). */
static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32 + 8);
}

static void model(const struct pkg *const *pk, const int *mult, size_t np,
                  struct scorm_content_stats *m)
{
    unsigned char(*h)[40] = NULL;
    size_t n = 0;
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < np; i++) {
        h = realloc(h, (n + pk[i]->n) * sizeof *h);
        for (size_t f = 0; f < pk[i]->n; f++) {
            uint64_t len = pk[i]->len[f];
            sc_sha256(pk[i]->data[f], pk[i]->len[f], h[n]);
            memcpy(h[n] + 32, &len, 8);
            n++;
        }
        m->files += pk[i]->n * (size_t)mult[i];
    }
    qsort(h, n, sizeof *h, cmp32);
    for (size_t i = 0; i < n; i++) {
        uint64_t len;
        if (i && !memcmp(h[i], h[i - 1], 32))
            continue;
        memcpy(&len, h[i] + 32, 8);
        m->blobs++;
        m->chunks += (size_t)((len + CHUNK - 1) / CHUNK);
        m->blob_bytes += len;
    }
    free(h);
}

static int in_db;

static void check_stats(struct stmt_db *db, const struct scorm_content_stats *want,
                        const char *what)
{
    struct scorm_content_stats s;
    struct scorm_content_stats zero = {0, 0, 0, 0, 0};
    if (!in_db)
        want = &zero; /* files on disk: the tables stay empty */
    is_int(scorm_content_stats(db, &s), 0, "%s: stats", what);
    is_int(s.files, want->files, "%s: %zu content rows", what, want->files);
    is_int(s.blobs, want->blobs, "%s: %zu blob rows", what, want->blobs);
    is_int(s.chunks, want->chunks, "%s: %zu chunk rows", what, want->chunks);
    is_int(s.blob_bytes, want->blob_bytes, "%s: blob bytes", what);
    is_int(s.bad, 0, "%s: reference counts and chunks consistent", what);
}

/* Read a whole file through scorm_content in pieces of `piece` bytes. */
static unsigned char *read_all(struct stmt_db *db, const char *course, int v, const char *path,
                               size_t piece, size_t *len, char etag[80], char type[128])
{
    struct scorm_content *c = NULL;
    if (scorm_content_open(db, course, v, path, &c) != 0)
        return NULL;
    return ct_read_back(c, piece, len, etag, type);
}

/* every file of p, byte-identical, with its size and type */
static void check_files(struct stmt_db *db, const char *course, int v, const struct pkg *p,
                        const char *what)
{
    size_t same = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t len = 0;
        char type[128] = "";
        /* an odd piece size: reads start and end inside chunks */
        unsigned char *b = read_all(db, course, v, p->path[i], 100003, &len, NULL, type);
        const char *want = scorm_content_mime(p->path[i]);
        int type_ok = !strcmp(type, want ? want : "");
        if (b && len == p->len[i] && !memcmp(b, p->data[i], len) && type_ok)
            same++;
        else
            tap_diag("%s: %s differs (%zu of %zu bytes read, type %s)", what, p->path[i], len,
                     p->len[i], type);
        free(b);
    }
    is_int(same, p->n, "%s: all %zu files read back byte-identical, types by extension", what,
           p->n);
}

static char *import_zip(struct stmt_db *db, const char *zip, size_t len, const char *id,
                        int existing, int in_process, int *version)
{
    struct scorm_import_opts o;
    struct scorm_diag d;
    cJSON *res = NULL;
    char *course = NULL;
    memset(&o, 0, sizeof o);
    o.course_id = id;
    o.existing = existing;
    o.in_process = in_process;
    if (zip && scorm_import_mem(db, zip, len, &o, &res, &d) == 0) {
        course = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(res, "course")));
        *version = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(res, "course_version"));
    } else {
        tap_diag("import: %s", d.msg);
    }
    cJSON_Delete(res);
    return course;
}

static char *import(struct stmt_db *db, const struct pkg *p, const char *id, int existing,
                    int in_process, int *version)
{
    size_t len = 0;
    char *zip = pkg_zip(p, &len), *course = NULL;
    if (zip)
        course = import_zip(db, zip, len, id, existing, in_process, version);
    free(zip);
    return course;
}

static unsigned char *pseudo(size_t n, uint32_t seed)
{
    unsigned char *b = malloc(n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(seed >> 16);
    }
    return b;
}

/* The base package: a real one of the corpus, else a generated one; then the files this test
 * needs. */
static void make_p1(struct pkg *p)
{
    char dir[1024];
    unsigned char *big = pseudo(700 * 1024 + 3, 1), *exact = pseudo(CHUNK, 2);
    char longp[700];
    struct stat st;
    memset(p, 0, sizeof *p);
    snprintf(dir, sizeof dir, "%s/scorm-packages/golf-2004v3-RunTimeAdvancedCalls", tu_shared());
    if (stat(dir, &st) == 0) {
        pkg_load_dir(p, dir, "");
    } else {
        char *m = tu_gen_manifest(2, 2);
        pkg_add(p, "imsmanifest.xml", m, strlen(m));
        sc_free(m);
        for (int r = 0; r < 2; r++)
            for (int f = 0; f < 2; f++) {
                char name[64], body[64];
                snprintf(name, sizeof name, "m%03d/page_%02d.html", r, f);
                snprintf(body, sizeof body, "<html>%d %d</html>", r, f);
                pkg_add(p, name, body, strlen(body));
            }
    }
    pkg_add(p, "media/big.mp4", big, 700 * 1024 + 3);         /* 3 chunks, the last partial */
    pkg_add(p, "media/copy-of-big.bin", big, 700 * 1024 + 3); /* the same content twice */
    pkg_add(p, "media/exact.webm", exact, CHUNK);             /* exactly one chunk */
    pkg_add(p, "empty.txt", "", 0);                           /* no chunk */
    /* a path longer than a key can hold: the key has its hash */
    snprintf(longp, sizeof longp, "deep/%0200d/%0200d/%0150d.css", 1, 2, 3);
    pkg_add(p, longp, "body{}", 6);
    free(big);
    free(exact);
}

static void test_ranges(struct stmt_db *db, const char *course, const struct pkg *p)
{
    size_t blen = 0;
    const unsigned char *big = pkg_get(p, "media/big.mp4", &blen);
    struct scorm_content *c = NULL;
    static const size_t cases[][2] = {{0, 10},
                                      {CHUNK - 10, 20},
                                      {CHUNK, 1},
                                      {2 * CHUNK - 1, 2},
                                      {CHUNK - 1, CHUNK + 2},
                                      {0, 700 * 1024 + 3},
                                      {700 * 1024, 100},
                                      {2 * CHUNK + 5, 7}};
    unsigned char *buf = malloc(blen + 200);
    size_t got = 0;
    int good = 0;
    is_int(scorm_content_open(db, course, 1, "media/big.mp4", &c), 0, "open the big file");
    if (!c) {
        free(buf);
        return;
    }
    is_int(scorm_content_size(c), blen, "its size");
    is_str(scorm_content_type(c), "video/mp4", "its type");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t want = cases[i][0] + cases[i][1] > blen ? blen - cases[i][0] : cases[i][1];
        got = 0;
        if (scorm_content_read(c, cases[i][0], buf, cases[i][1], &got) == 0 && got == want &&
            !memcmp(buf, big + cases[i][0], want))
            good++;
        else
            tap_diag("range %zu+%zu: got %zu", cases[i][0], cases[i][1], got);
    }
    is_int(good, (int)(sizeof cases / sizeof cases[0]), "reads across chunk boundaries");
    /* backwards and random: the handle goes back to an earlier chunk */
    srand(7);
    good = 0;
    for (int i = 0; i < 40; i++) {
        size_t off = (size_t)rand() % blen, n = (size_t)rand() % 300000;
        size_t want = off + n > blen ? blen - off : n;
        if (scorm_content_read(c, off, buf, n, &got) == 0 && got == want &&
            !memcmp(buf, big + off, want))
            good++;
    }
    is_int(good, 40, "40 random reads");
    is_int(scorm_content_read(c, blen, buf, 10, &got), 0, "read at the end");
    is_int(got, 0, "nothing at the end");
    is_int(scorm_content_read(c, blen + 5, buf, 10, &got), 0, "read past the end");
    is_int(got, 0, "nothing past the end");
    scorm_content_close(c);
    free(buf);

    /* not there */
    static const char *const bad[] = {
        "nope.html", "../imsmanifest.xml", "media/../empty.txt", "/empty.txt", "media", "media/",
        ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = NULL;
        is_int(scorm_content_open(db, course, 1, bad[i], &c), SCORM_ERR_NOTFOUND, "no file '%s'",
               bad[i]);
        scorm_content_close(c);
    }
    is_int(scorm_content_open(db, course, 9, "empty.txt", &c), SCORM_ERR_NOTFOUND, "no version 9");
    is_int(scorm_content_open(db, course, 0, "empty.txt", &c), SCORM_ERR_NOTFOUND, "no version 0");
    is_int(scorm_content_open(db, "../x", 1, "empty.txt", &c), SCORM_ERR_NOTFOUND, "bad course");
    is_int(scorm_content_open(db, "nope", 1, "empty.txt", &c), SCORM_ERR_NOTFOUND, "no course");
    if (!in_db) { /* on disk: the open stays inside the version's folder, regular files only */
        struct ct_course o = {NULL, db, course};
        char base[1200];
        snprintf(base, sizeof base, "%s/content/%s/1", stmt_db_dir(db), course);
        ct_confinement(base, "empty.txt", &o, SCORM_ERR_NOTFOUND, "SCORM version folder");
    }
}

/* Imports of p2 as course "c" failed by an allocation failure at step k: nothing changes. */
static int test_failures(struct stmt_db *db, const char *datadir, const struct pkg *p2,
                         const struct scorm_content_stats *before)
{
    size_t len = 0;
    char *zip = pkg_zip(p2, &len);
    char *snap0 = tu_snapshot(datadir);
    int failed = 0, unchanged = 0, courses0 = tu_course_count(db), done = 0;
    struct scorm_content_stats zero = {0, 0, 0, 0, 0};
    if (!in_db)
        before = &zero; /* files on disk: the tables stay empty */
    for (long k = 0; k < 100000 && !done; k += k < 40 ? 1 : k / 6) {
        struct scorm_import_opts o;
        struct scorm_diag d;
        cJSON *res = NULL;
        long f0 = sc_alloc_failures();
        memset(&o, 0, sizeof o);
        o.course_id = "c";
        o.existing = -1;
        o.in_process = 1;
        sc_alloc_fail_after(k);
        int rc = scorm_import_mem(db, zip, len, &o, &res, &d);
        sc_alloc_fail_after(-1);
        cJSON_Delete(res);
        if (rc == 0) {
            if (sc_alloc_failures() == f0)
                done = 1; /* past the last allocation: the import as it is */
            else
                is_int(scorm_course_delete(db, "c"), 0,
                       "step %ld: done despite the failure; "
                       "deleted",
                       k);
            continue;
        }
        failed++;
        struct scorm_content_stats s;
        char *snap = tu_snapshot(datadir);
        if (scorm_content_stats(db, &s) == 0 && s.files == before->files &&
            s.blobs == before->blobs && s.chunks == before->chunks && s.bad == 0 &&
            tu_course_count(db) == courses0 && !strcmp(snap, snap0))
            unchanged++;
        else
            tap_diag("step %ld (%s): files %zu blobs %zu chunks %zu bad %zu", k, d.msg, s.files,
                     s.blobs, s.chunks, s.bad);
        sc_free(snap);
    }
    ok(failed > 10, "%d imports failed by an allocation failure", failed);
    is_int(unchanged, failed, "each left the rows, the records and DATA/content as they were");
    ok(done, "the import succeeds past the last allocation");
    sc_free(snap0);
    free(zip);
    return done;
}

/* ---- the node-local cache (DB layout) ---------------------------------------------------- */

static void entry_of(const char *datadir, const struct pkg *p, const char *path, char *out,
                     size_t n)
{
    size_t len = 0;
    const unsigned char *d = pkg_get(p, path, &len);
    unsigned char h[32];
    char hex[65];
    sc_sha256(d, len, h);
    sc_hex(h, 32, hex);
    snprintf(out, n, "%s/content/.cache/%s", datadir, hex);
}

static int file_is(const char *path, const unsigned char *data, size_t len)
{
    size_t n = 0;
    char *b = tu_read(path, &n);
    int same = b && n == len && !memcmp(b, data, len);
    free(b);
    return same;
}

/* after reads of p1's and p2's big files from start to end on this node */
static void test_cache(struct stmt_db *db, const char *datadir, const char *course,
                       const struct pkg *p1, const struct pkg *p2)
{
    char e1[1024], e2[1024];
    size_t l1 = 0, l2 = 0, got = 0;
    const unsigned char *big1 = pkg_get(p1, "media/big.mp4", &l1);
    const unsigned char *big2 = pkg_get(p2, "media/big.mp4", &l2);
    unsigned char *x;
    struct stat st;
    entry_of(datadir, p1, "media/big.mp4", e1, sizeof e1);
    entry_of(datadir, p2, "media/big.mp4", e2, sizeof e2);
    ok(file_is(e1, big1, l1), "cache: p1's big file kept by its hash, whole");
    ok(file_is(e2, big2, l2), "cache: p2's big file too");
    entry_of(datadir, p1, "media/exact.webm", e2, sizeof e2);
    ok(stat(e2, &st) != 0, "cache: a file of one chunk is not kept (one read serves it)");
    entry_of(datadir, p2, "media/big.mp4", e2, sizeof e2);
    /* reads come from the entry: one changed in place (same size) is what a read returns */
    {
        unsigned char *junk = pseudo(l1, 77);
        tu_write(e1, junk, l1);
        x = read_all(db, course, 1, "media/copy-of-big.bin", 65536, &got, NULL, NULL);
        ok(x && got == l1 && !memcmp(x, junk, l1), "cache: an open on this node reads the entry");
        free(x);
        free(junk);
    }
    /* an entry of another size is not used (and is replaced by the next whole read) */
    tu_write(e1, "short", 5);
    x = read_all(db, course, 1, "media/copy-of-big.bin", 100000, &got, NULL, NULL);
    ok(x && got == l1 && !memcmp(x, big1, l1), "cache: a torn entry is ignored, the rows read");
    free(x);
    ok(file_is(e1, big1, l1), "cache: and the entry written again");
    /* the limit: past it the oldest entries go (start-up cleanup, or the next fill) */
    {
        struct timespec old[2] = {{1000, 0}, {1000, 0}}, newer[2] = {{2000, 0}, {2000, 0}};
        utimensat(AT_FDCWD, e1, old, 0);
        utimensat(AT_FDCWD, e2, newer, 0);
    }
    scorm_content_cache_limit(1u << 20);
    is_int(scorm_import_cleanup(db), 0, "cleanup with a 1 MiB cache");
    ok(stat(e1, &st) != 0 && file_is(e2, big2, l2),
       "cache: the oldest entry went, the newer stays");
    scorm_content_cache_limit(0);
    is_int(scorm_import_cleanup(db), 0, "cleanup with the cache off");
    ok(stat(e2, &st) != 0, "cache: off, emptied");
    x = read_all(db, course, 1, "media/copy-of-big.bin", 65536, &got, NULL, NULL);
    ok(x && got == l1 && !memcmp(x, big1, l1) && stat(e1, &st) != 0,
       "cache off: read from the rows, no entry");
    free(x);
    scorm_content_cache_limit(SCORM_CONTENT_CACHE_DEFAULT);
    {
        char p[1024];
        snprintf(p, sizeof p, "%s/content/.cache/.fill-0123", datadir);
        tu_write(p, "x", 1);
        is_int(scorm_import_cleanup(db), 0, "cleanup");
        ok(stat(p, &st) != 0, "cache: an interrupted fill removed at start-up");
    }
}

static void run(struct stmt_db *db, const char *datadir, const char *label)
{
    struct pkg p1, p2;
    struct scorm_content_stats m;
    char *a, *a2, *b, *cc;
    int va = 0, va2 = 0, vb = 0, vc = 0;
    char e1[80] = "", e2[80] = "", e3[80] = "";
    size_t len;
    unsigned char *x;

    tap_diag("---- %s: content %s", label, in_db ? "in the store's tables" : "on disk");
    make_p1(&p1);
    /* the first import through the worker process, the others in process */
    a = import(db, &p1, NULL, 0, 0, &va);
    ok(a != NULL && va == 1, "%s: package imported (%zu files)", label, p1.n);
    if (!a)
        return;
    check_files(db, a, 1, &p1, "course a v1");
    test_ranges(db, a, &p1);
    {
        const struct pkg *pk[] = {&p1};
        int mult[] = {1};
        model(pk, mult, 1, &m);
        check_stats(db, &m, "one import");
        if (in_db)
            is_int(m.files - m.blobs, 1, "the duplicate file is one blob");
    }

    /* the same package again: a new version of a, then a new course b: no new chunk */
    a2 = import(db, &p1, a, 1, 1, &va2);
    ok(a2 && va2 == 2, "version 2 of %s", a);
    b = import(db, &p1, NULL, 0, 1, &vb);
    ok(b && strcmp(b, a) != 0, "the same package as a new course %s", b ? b : "?");
    {
        const struct pkg *pk[] = {&p1};
        int mult[] = {3};
        model(pk, mult, 1, &m);
        check_stats(db, &m, "three imports of one package");
    }
    check_files(db, a, 2, &p1, "course a v2");
    check_files(db, b, 1, &p1, "course b v1");
    x = read_all(db, a, 1, "media/big.mp4", 65536, &len, e1, NULL);
    free(x);
    x = read_all(db, b, 1, "media/big.mp4", 65536, &len, e2, NULL);
    free(x);
    x = read_all(db, a, 1, "media/exact.webm", 65536, &len, e3, NULL);
    free(x);
    ok(e1[0] == '"' && e1[strlen(e1) - 1] == '"', "a quoted ETag %s", e1);
    if (in_db)
        is_str(e1, e2, "one content, one ETag (its hash) in every course");
    ok(strcmp(e1, e3) != 0, "another content, another ETag");

    /* p2: p1 with big.mp4 changed and a new file, as course c; first failed imports */
    pkg_copy(&p2, &p1);
    {
        unsigned char *big2 = pseudo(600 * 1024, 9);
        pkg_set(&p2, "media/big.mp4", big2, 600 * 1024);
        pkg_add(&p2, "media/new.txt", "new", 3);
        free(big2);
    }
    {
        const struct pkg *pk[] = {&p1};
        int mult[] = {3};
        model(pk, mult, 1, &m);
    }
    if (test_failures(db, datadir, &p2, &m)) {
        cc = strdup("c");
        vc = 1;
    } else {
        cc = import(db, &p2, "c", -1, 1, &vc);
    }
    ok(cc && vc == 1, "course c imported");
    if (in_db) { /* reads that are not from start to end make no cache entry */
        struct scorm_content *c = NULL;
        char e[1024];
        unsigned char buf[100];
        size_t got = 0;
        struct stat st;
        scorm_content_open(db, "c", 1, "media/big.mp4", &c);
        ok(c && scorm_content_read(c, CHUNK, buf, sizeof buf, &got) == 0 && got == sizeof buf,
           "a read in the middle of c's big file");
        scorm_content_close(c);
        entry_of(datadir, &p2, "media/big.mp4", e, sizeof e);
        ok(stat(e, &st) != 0, "cache: no entry from a read in the middle");
    }
    check_files(db, "c", 1, &p2, "course c v1");
    if (in_db)
        test_cache(db, datadir, "c", &p1, &p2);
    {
        const struct pkg *pk[] = {&p1, &p2};
        int mult[] = {3, 1};
        model(pk, mult, 2, &m);
        check_stats(db, &m, "a (2 versions), b, c");
    }

    /* this node's cache entries of both big files (p1's is also a's, b's and c's copy) */
    char ce1[1024] = "", ce2[1024] = "";
    if (in_db) {
        size_t got = 0;
        x = read_all(db, "c", 1, "media/copy-of-big.bin", 65536, &got, NULL, NULL);
        free(x);
        x = read_all(db, "c", 1, "media/big.mp4", 65536, &got, NULL, NULL);
        free(x);
        entry_of(datadir, &p1, "media/big.mp4", ce1, sizeof ce1);
        entry_of(datadir, &p2, "media/big.mp4", ce2, sizeof ce2);
        ok(access(ce1, F_OK) == 0 && access(ce2, F_OK) == 0, "cache: entries of both big files");
    }

    /* delete: rows go, blobs another course uses stay; first deletes failed by an allocation
     * failure at each step, which change nothing */
    {
        int failed = 0, unchanged = 0, rc = -1;
        char *snap0 = tu_snapshot(datadir);
        struct scorm_content_stats s, want = m, zero = {0, 0, 0, 0, 0};
        if (!in_db)
            want = zero;
        for (long k = 0; k < 100000 && rc != 0; k += k < 100 ? 1 : k / 12) {
            sc_alloc_fail_after(k);
            rc = scorm_course_delete(db, a);
            sc_alloc_fail_after(-1);
            if (rc == 0)
                break;
            failed++;
            char *snap = tu_snapshot(datadir);
            memset(&s, 0, sizeof s);
            if ((rc == SCORM_ERR_NOMEM || rc == SCORM_ERR_STORE) &&
                scorm_content_stats(db, &s) == 0 && s.files == want.files &&
                s.blobs == want.blobs && s.chunks == want.chunks && s.bad == 0 &&
                scorm_course_exists(db, a) && !strcmp(snap, snap0))
                unchanged++;
            else
                tap_diag("delete step %ld: rc %d, files %zu blobs %zu", k, rc, s.files, s.blobs);
            sc_free(snap);
        }
        sc_free(snap0);
        ok(failed > 0, "%d deletes failed by an allocation failure", failed);
        is_int(unchanged, failed, "each answered an error and changed nothing");
        is_int(rc, 0, "delete %s", a);
    }
    {
        struct scorm_content *c = NULL;
        is_int(scorm_content_open(db, a, 1, "empty.txt", &c), SCORM_ERR_NOTFOUND, "a's files gone");
        is_int(scorm_content_open(db, a, 2, "media/big.mp4", &c), SCORM_ERR_NOTFOUND,
               "a v2's files gone");
    }
    {
        const struct pkg *pk[] = {&p1, &p2};
        int mult[] = {1, 1};
        model(pk, mult, 2, &m);
        check_stats(db, &m, "after deleting a");
    }
    check_files(db, b, 1, &p1, "course b after a's delete");
    if (in_db)
        ok(access(ce1, F_OK) == 0, "cache: the entry of a blob b and c still use stays");
    is_int(scorm_course_delete(db, b), 0, "delete %s", b);
    {
        /* p1's big.mp4 lives on as c's copy-of-big.bin */
        const struct pkg *pk[] = {&p2};
        int mult[] = {1};
        model(pk, mult, 1, &m);
        check_stats(db, &m, "after deleting b");
    }
    check_files(db, "c", 1, &p2, "course c after b's delete");
    if (in_db)
        ok(access(ce1, F_OK) == 0 && access(ce2, F_OK) == 0, "cache: c's entries stay");
    is_int(scorm_course_delete(db, "c"), 0, "delete c");
    memset(&m, 0, sizeof m);
    check_stats(db, &m, "every course deleted");
    if (in_db) /* the delete that freed the blobs took this node's entries (no cleanup here) */
        ok(access(ce1, F_OK) != 0 && access(ce2, F_OK) != 0,
           "cache: the entries of the blobs c's delete freed are gone");
    {
        char *snap = tu_snapshot(datadir);
        is_str(snap, in_db ? ".cache\n" : "", "DATA/content empty");
        sc_free(snap);
    }
    free(a);
    free(a2);
    free(b);
    free(cc);
    pkg_free(&p1);
    pkg_free(&p2);
}

/* ---- two nodes on one PostgreSQL database ------------------------------------------------ */

struct node_work {
    struct stmt_db *db;
    const char *zip; /* made before the threads: tu_zip_new is not thread-safe */
    size_t len;
    char *ids[4];
    int ok;
};

static void *node_import(void *arg)
{
    struct node_work *w = arg;
    for (int i = 0; i < 4; i++) {
        int v = 0;
        w->ids[i] = import_zip(w->db, w->zip, w->len, NULL, 0, 1, &v);
        w->ok += w->ids[i] != NULL && v == 1;
    }
    return NULL;
}

static void *node_delete(void *arg)
{
    struct node_work *w = arg;
    for (int i = 0; i < 4; i++) {
        w->ok += w->ids[i] && scorm_course_delete(w->db, w->ids[i]) == 0;
        free(w->ids[i]);
        w->ids[i] = NULL;
    }
    return NULL;
}

/* Nodes A and B (two stores, each with its own folder) on one database: what one imports the
 * other reads; imports and deletes of the same content from both at once keep the counts
 * exact; a file whose course another node deleted is not found, never read as other bytes. */
static void test_two_nodes(void)
{
    char url[512], da[600], db_[600], err[256];
    struct stmt_db *a = NULL, *b = NULL;
    struct pkg p1;
    struct scorm_content_stats m;
    struct node_work wa, wb;
    pthread_t ta, tb;
    char *first;
    int v = 0;

    if (pgtu_fresh_url(url, sizeof url) != 0) {
        ok(0, "a database for two nodes");
        return;
    }
    snprintf(da, sizeof da, "%s/node-a", tu_tmp);
    snprintf(db_, sizeof db_, "%s/node-b", tu_tmp);
    if (stmt_db_open_url(url, da, &a, err, sizeof err) || scorm_db_register(a) ||
        stmt_db_open_url(url, db_, &b, err, sizeof err) || scorm_db_register(b)) {
        ok(0, "two nodes open: %s", err);
        stmt_db_close(a);
        return;
    }
    tap_diag("---- two nodes on one PostgreSQL database");
    in_db = 1;
    make_p1(&p1);
    first = import(b, &p1, NULL, 0, 0, &v);
    ok(first != NULL, "node B imports");
    check_files(a, first, 1, &p1, "node A reads what B imported");

    memset(&wa, 0, sizeof wa);
    memset(&wb, 0, sizeof wb);
    wa.db = a;
    wb.db = b;
    char *zip = pkg_zip(&p1, &wa.len);
    wb.len = wa.len;
    wa.zip = wb.zip = zip;
    pthread_create(&ta, NULL, node_import, &wa);
    pthread_create(&tb, NULL, node_import, &wb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    free(zip);
    is_int(wa.ok + wb.ok, 8, "8 imports of one package at once, 4 through each node");
    {
        const struct pkg *pk[] = {&p1};
        int mult[] = {9};
        model(pk, mult, 1, &m);
        check_stats(a, &m, "after imports from both nodes");
    }
    wa.ok = wb.ok = 0;
    pthread_create(&ta, NULL, node_delete, &wa);
    pthread_create(&tb, NULL, node_delete, &wb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    is_int(wa.ok + wb.ok, 8, "8 deletes at once, 4 through each node");
    {
        const struct pkg *pk[] = {&p1};
        int mult[] = {1};
        model(pk, mult, 1, &m);
        check_stats(b, &m, "after deletes from both nodes");
    }
    check_files(a, first, 1, &p1, "node A still reads the first course");

    /* A streams the big file while B deletes the course: with A's cache off, from the chunk
     * rows (the next chunk is gone); with it, from A's entry (the same bytes) */
    scorm_content_cache_limit(0);
    {
        struct scorm_content *c = NULL;
        unsigned char *buf = malloc(CHUNK);
        size_t got = 0;
        is_int(scorm_content_open(a, first, 1, "media/big.mp4", &c), 0, "A opens the big file");
        is_int(scorm_content_read(c, 0, buf, 1000, &got), 0, "A reads its first chunk");
        is_int(scorm_course_delete(b, first), 0, "B deletes the course");
        is_int(scorm_content_read(c, 0, buf, 1000, &got), 0, "the chunk A holds is still read");
        is_int(scorm_content_read(c, CHUNK + 5, buf, 1000, &got), SCORM_ERR_NOTFOUND,
               "the next chunk is not found: never other bytes");
        scorm_content_close(c);
        free(buf);
    }
    scorm_content_cache_limit(SCORM_CONTENT_CACHE_DEFAULT);
    {
        struct scorm_content *c = NULL;
        size_t blen = 0, got = 0;
        const unsigned char *big = pkg_get(&p1, "media/big.mp4", &blen);
        unsigned char *buf = malloc(blen);
        v = 0;
        free(first);
        first = import(b, &p1, NULL, 0, 1, &v);
        free(read_all(a, first, 1, "media/big.mp4", 65536, &got, NULL, NULL)); /* A's entry */
        is_int(scorm_content_open(a, first, 1, "media/big.mp4", &c), 0, "A opens it again");
        is_int(scorm_course_delete(b, first), 0, "B deletes the course");
        is_int(scorm_content_read(c, 0, buf, blen, &got), 0, "A reads it from its cache");
        ok(got == blen && !memcmp(buf, big, blen), "the same bytes");
        scorm_content_close(c);
        c = NULL;
        is_int(scorm_content_open(a, first, 1, "media/big.mp4", &c), SCORM_ERR_NOTFOUND,
               "a new open on A: not found (the row is gone; the entry is never looked up)");
        free(buf);
        free(first);
        first = NULL;
    }
    {
        /* A keeps its entry of the freed blob (B's delete does not reach A's cache). It can
         * never give wrong bytes: entries are named by the SHA-256 of their bytes (checked
         * before the rename), and a file is served from the entry its content row's hash names.
         * Other bytes under the same path name another entry; the same bytes again name this
         * one, which holds exactly them. */
        struct pkg p2;
        char entry[1200];
        size_t blen = 0, got = 0;
        const unsigned char *big = pkg_get(&p1, "media/big.mp4", &blen);
        unsigned char *other = pseudo(blen, 77), *back;
        struct stat st0, st1;
        entry_of(da, &p1, "media/big.mp4", entry, sizeof entry);
        ok(stat(entry, &st0) == 0 && (size_t)st0.st_size == blen,
           "A still has its entry of the deleted big.mp4");
        pkg_copy(&p2, &p1);
        pkg_set(&p2, "media/big.mp4", other, blen);
        v = 0;
        first = import(b, &p2, NULL, 0, 1, &v);
        back = read_all(a, first, 1, "media/big.mp4", 65536, &got, NULL, NULL);
        ok(back && got == blen && !memcmp(back, other, blen),
           "B imports other bytes under that path: A serves the new bytes, not its entry's");
        free(back);
        is_int(scorm_course_delete(b, first), 0, "B deletes that course");
        free(first);
        first = import(b, &p1, NULL, 0, 1, &v);
        back = read_all(a, first, 1, "media/big.mp4", 65536, &got, NULL, NULL);
        ok(back && got == blen && !memcmp(back, big, blen),
           "B imports the first bytes again: A serves them (from the old entry)");
        ok(stat(entry, &st1) == 0 && st1.st_ino == st0.st_ino,
           "the entry is the one kept since the first delete, not written again");
        free(back);
        is_int(scorm_course_delete(b, first), 0, "B deletes it");
        free(other);
        pkg_free(&p2);
    }
    memset(&m, 0, sizeof m);
    check_stats(a, &m, "every course deleted");
    free(first);
    pkg_free(&p1);
    stmt_db_close(a);
    stmt_db_close(b);
}

int main(void)
{
    sc_alloc_init_cjson();
    xmlInitParser(); /* before threads (scorm.h) */
    tu_init();
    if (ct_each_layout(run, &in_db))
        test_two_nodes();
    tu_fini();
    return tap_done();
}
