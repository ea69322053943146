/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An import's new blobs are written before its transaction (scorm_content_pre.c, issue 19):
 *  - after the stage is open (before the course transaction) the new blobs' chunks are stored,
 *    under pending rows, and `scolar check`'s walk finds nothing wrong; the transaction then
 *    only references them, and the pending rows go;
 *  - a failed import gives its blobs back at once;
 *  - an import that crashes between the two (a child process that exits after the stage
 *    opened, PostgreSQL only: an LMDB directory is one process's) leaves pending rows, blobs
 *    and chunks that scorm_import_cleanup leaves alone during the grace and the collection
 *    then removes; a blob an import referenced meanwhile stays;
 *  - a delete that releases a blob's last reference keeps its chunks while an import is
 *    writing them (a pending row), and the collection removes them afterwards;
 *  - a file that changed size after it was hashed is refused by both chunk writers
 *    (scorm__cdb_extracted_chunks), naming it, and nothing is stored under its hash;
 *  - a package of more files than the import's transaction looks up at once, with equal
 *    contents within and across its pages and contents known before: counts stay right.
 * LMDB runs the rows' code too (scorm__content_force_db); SCOLAR_TEST_BACKEND=pg
 * (test_scorm_content_pre_pg) on a fresh PostgreSQL database.
 */
#include "scorm/scorm_content_int.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "common/tap.h"
#include "scorm/tests/scorm_test_util.h"

#include <sys/wait.h>

#define BIG (600 * 1024) /* three chunks */

static size_t rows(struct stmt_db *db, const char *table)
{
    struct stmt_db_txn *t = NULL;
    size_t n = (size_t)-1;
    if (stmt_db_txn_begin(db, 0, &t) == 0)
        if (stmt_db_count(t, table, &n) != 0)
            n = (size_t)-1;
    stmt_db_txn_abort(t);
    return n;
}

static unsigned char *pseudo(size_t n, uint32_t seed)
{
    unsigned char *b = sc_malloc(n);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = (unsigned char)x;
    }
    return b;
}

/* A folder as the worker extracts one: big.bin (3 chunks), a.html and b.html (the same
 * bytes: one blob), empty.txt; the content depends on seed. */
static void make_dir(const char *dir, uint32_t seed)
{
    char p[600];
    unsigned char *big = pseudo(BIG, seed), *small = pseudo(1000, seed + 1000);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/big.bin", dir);
    tu_write(p, big, BIG);
    snprintf(p, sizeof p, "%s/a.html", dir);
    tu_write(p, small, 1000);
    snprintf(p, sizeof p, "%s/b.html", dir);
    tu_write(p, small, 1000);
    snprintf(p, sizeof p, "%s/empty.txt", dir);
    tu_write(p, "", 0);
    sc_free(big);
    sc_free(small);
}

static int bad_rows(struct stmt_db *db)
{
    struct scorm_content_stats st;
    if (scorm_content_stats(db, &st) != SCORM_OK)
        return -1;
    return (int)st.bad;
}

/* The stage of dir placed as (course, 1) in one transaction, as scorm_import.c does. */
static int import_dir(struct stmt_db *db, const char *dir, const char *course)
{
    struct scorm__content_stage *s = NULL;
    struct stmt_db_txn *t = NULL;
    struct scorm_diag d;
    int rc = scorm__content_stage_open(db, dir, &s, &d);
    if (rc)
        return rc;
    rc = stmt_db_txn_begin(db, 1, &t) ? SCORM_ERR_STORE : SCORM_OK;
    if (!rc)
        rc = scorm__content_stage_place(s, t, course, 1, &d);
    if (!rc)
        rc = stmt_db_txn_commit(t) ? SCORM_ERR_STORE : SCORM_OK;
    else
        stmt_db_txn_abort(t);
    scorm__content_stage_end(s, rc == SCORM_OK);
    return rc;
}

static int same_file(struct stmt_db *db, const char *course, const char *path, uint32_t seed)
{
    struct scorm_content *c = NULL;
    unsigned char *want = pseudo(BIG, seed), *got = sc_malloc(BIG);
    size_t n = 0, off = 0;
    int ok_ = scorm_content_open(db, course, 1, path, &c) == SCORM_OK;
    while (ok_ && off < BIG) {
        ok_ = scorm_content_read(c, off, got + off, BIG - off, &n) == SCORM_OK && n > 0;
        off += n;
    }
    ok_ = ok_ && off == BIG && memcmp(want, got, BIG) == 0;
    scorm_content_close(c);
    sc_free(want);
    sc_free(got);
    return ok_;
}

/* A node that dies after its stage opened: the chunks written, no course transaction. */
static int crash_after_stage(const char *url, const char *dir, const char *node)
{
    pid_t pid = fork();
    int status = 0;
    if (pid == 0) {
        struct stmt_db *db = NULL;
        struct scorm__content_stage *s = NULL;
        struct scorm_diag d;
        char err[256];
        if (stmt_db_open_url(url, node, &db, err, sizeof err) || scorm_db_register(db) ||
            scorm__content_stage_open(db, dir, &s, &d))
            _exit(1);
        _exit(0); /* no stage_end, no close: as kill -9 */
    }
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

int main(void)
{
    const char *be = getenv("SCOLAR_TEST_BACKEND");
    int pg = be && !strcmp(be, "pg");
    char url[512] = "", dir[600], node[600], pkg[600], err[256];
    struct stmt_db *db = NULL;
    size_t n = 0, chunks0, blobs0;
    struct stmt_db_txn *t6 = NULL;

    tu_init();
    tap_diag("backend: %s", pg ? "PostgreSQL" : "LMDB with the database layout");
    if (!pg)
        scorm__content_force_db(1);
    snprintf(dir, sizeof dir, "%s/data", tu_tmp);
    if ((pg && pgtu_fresh_url(url, sizeof url)) ||
        stmt_db_open_url(pg ? url : dir, dir, &db, err, sizeof err) || scorm_db_register(db)) {
        ok(0, "open a store: %s", err);
        return tap_done();
    }

    /* 1. the chunks before the transaction, then only references */
    {
        struct scorm__content_stage *s = NULL;
        struct stmt_db_txn *t = NULL;
        struct scorm_diag d;
        snprintf(pkg, sizeof pkg, "%s/pkg1", tu_tmp);
        make_dir(pkg, 1);
        ok(scorm__content_stage_open(db, pkg, &s, &d) == SCORM_OK, "the stage opens");
        ok(rows(db, SCORM__T_CHUNK) == 4 && rows(db, SCORM__T_BLOB) == 2 &&
               rows(db, SCORM__T_PENDING) == 2 && rows(db, SCORM__T_CONTENT) == 0,
           "before the course transaction: 4 chunks, 2 blobs without reference, 2 pending rows, "
           "no content row (%zu chunks, %zu blobs, %zu pending)",
           rows(db, SCORM__T_CHUNK), rows(db, SCORM__T_BLOB), rows(db, SCORM__T_PENDING));
        ok(bad_rows(db) == 0, "scolar check's walk: nothing wrong while an import writes");
        ok(stmt_db_txn_begin(db, 1, &t) == 0 &&
               scorm__content_stage_place(s, t, "course1", 1, &d) == SCORM_OK &&
               stmt_db_txn_commit(t) == 0,
           "the course transaction");
        scorm__content_stage_end(s, 1);
        ok(rows(db, SCORM__T_PENDING) == 0 && rows(db, SCORM__T_BLOB) == 3 &&
               rows(db, SCORM__T_CHUNK) == 4 && rows(db, SCORM__T_CONTENT) == 4,
           "after it: no pending row, 3 blobs (the empty one too), 4 chunks, 4 content rows");
        ok(bad_rows(db) == 0, "reference counts are the content rows'");
        ok(same_file(db, "course1", "big.bin", 1), "big.bin reads back whole");
    }

    /* 2. a failed import gives its blobs back */
    chunks0 = rows(db, SCORM__T_CHUNK);
    blobs0 = rows(db, SCORM__T_BLOB);
    {
        struct scorm__content_stage *s = NULL;
        struct scorm_diag d;
        snprintf(pkg, sizeof pkg, "%s/pkg2", tu_tmp);
        make_dir(pkg, 2);
        ok(scorm__content_stage_open(db, pkg, &s, &d) == SCORM_OK &&
               rows(db, SCORM__T_CHUNK) == chunks0 + 4,
           "a second package's chunks are stored");
        scorm__content_stage_end(s, 0);
        ok(rows(db, SCORM__T_CHUNK) == chunks0 && rows(db, SCORM__T_BLOB) == blobs0 &&
               rows(db, SCORM__T_PENDING) == 0,
           "its transaction failed: its blobs and chunks are gone at once");
        ok(import_dir(db, pkg, "course2") == SCORM_OK && same_file(db, "course2", "big.bin", 2),
           "imported again: stored and read back");
    }

    /* 3. a crash between the two transactions (another process on the database) */
    if (pg) {
        chunks0 = rows(db, SCORM__T_CHUNK);
        blobs0 = rows(db, SCORM__T_BLOB);
        snprintf(pkg, sizeof pkg, "%s/pkg3", tu_tmp);
        snprintf(node, sizeof node, "%s/node-b", tu_tmp);
        make_dir(pkg, 3);
        ok(crash_after_stage(url, pkg, node), "a node writes a package's chunks, then dies");
        ok(rows(db, SCORM__T_CHUNK) == chunks0 + 4 && rows(db, SCORM__T_PENDING) == 2,
           "it left its chunks and pending rows");
        ok(bad_rows(db) == 0, "scolar check's walk does not count them as damage");
        ok(scorm_import_cleanup(db) == SCORM_OK && rows(db, SCORM__T_PENDING) == 2,
           "a start within the grace leaves them (the import may be running on that node)");
        ok(scorm__cdb_collect(db, sc_time_now_us() + 1, &n) == SCORM_OK && n == 2,
           "collected once older than the grace: %zu blobs", n);
        ok(rows(db, SCORM__T_CHUNK) == chunks0 && rows(db, SCORM__T_BLOB) == blobs0 &&
               rows(db, SCORM__T_PENDING) == 0 && bad_rows(db) == 0,
           "nothing of the crashed import is left");

        /* the same crash, then an import of the same files before the collection */
        snprintf(pkg, sizeof pkg, "%s/pkg4", tu_tmp);
        make_dir(pkg, 4);
        ok(crash_after_stage(url, pkg, node), "another node dies after its chunks");
        ok(import_dir(db, pkg, "course4") == SCORM_OK, "the same files imported here");
        ok(scorm__cdb_collect(db, sc_time_now_us() + 1, &n) == SCORM_OK && n == 0 &&
               rows(db, SCORM__T_PENDING) == 0,
           "the collection removes the pending rows only (%zu blobs removed)", n);
        ok(same_file(db, "course4", "big.bin", 4) && bad_rows(db) == 0,
           "the blobs the import referenced stay, whole");
    }

    /* 4. a delete while another import writes the same blob */
    {
        struct stmt_db_txn *t = NULL;
        unsigned char h[32], val[24] = "another-import..";
        unsigned char *big = pseudo(BIG, 1);
        int64_t now = sc_time_now_us();
        sc_sha256(big, BIG, h);
        sc_free(big);
        for (int i = 7; i >= 0; i--, now >>= 8)
            val[16 + i] = (unsigned char)now;
        chunks0 = rows(db, SCORM__T_CHUNK);
        ok(stmt_db_txn_begin(db, 1, &t) == 0 &&
               stmt_db_put(t, SCORM__T_PENDING, h, 32, val, sizeof val, 0) == 0 &&
               scorm__cdb_drop(t, "course1", 1, NULL) == SCORM_OK && stmt_db_txn_commit(t) == 0,
           "course1 deleted while an import has a pending row for its big.bin");
        ok(rows(db, SCORM__T_CHUNK) == chunks0 - 1,
           "big.bin's 3 chunks stay for that import (only a.html's chunk went)");
        ok(bad_rows(db) == 0, "and the walk finds nothing wrong");
        ok(scorm__cdb_collect(db, sc_time_now_us() + 1, &n) == SCORM_OK && n == 1 &&
               rows(db, SCORM__T_CHUNK) == chunks0 - 4 && bad_rows(db) == 0,
           "that import never finished: collected");
    }
    /* 5. a file that changed size after it was hashed: both chunk writers (before the
     * transaction, and in it for a blob not written before) refuse it, naming it, and store
     * nothing under its hash */
    {
        struct scorm__content_stage st;
        struct scorm__cfile f;
        struct stmt_db_txn *t = NULL;
        struct scorm_diag d;
        unsigned char *big = pseudo(BIG, 5);
        char p[700];
        size_t content0 = rows(db, SCORM__T_CONTENT);
        int rc;
        snprintf(pkg, sizeof pkg, "%s/pkg5", tu_tmp);
        mkdir(pkg, 0755);
        snprintf(p, sizeof p, "%s/grown.bin", pkg);
        tu_write(p, big, BIG - 1000); /* 1000 bytes short of what was hashed */
        memset(&st, 0, sizeof st);
        memset(&f, 0, sizeof f);
        st.db = db;
        st.in_db = 1;
        snprintf(st.tmpdir, sizeof st.tmpdir, "%s", pkg);
        f.path = "grown.bin";
        f.size = BIG;
        sc_sha256(big, BIG, f.hash);
        st.files = &f;
        st.n = st.cap = 1;
        chunks0 = rows(db, SCORM__T_CHUNK);
        blobs0 = rows(db, SCORM__T_BLOB);
        memset(&d, 0, sizeof d);
        rc = scorm__cdb_prewrite(&st, &d);
        ok(rc == SCORM_ERR_IO && !strcmp(d.file, "grown.bin") &&
               !strcmp(d.msg, "the extracted grown.bin changed size"),
           "before the transaction: refused, '%s' (%s)", d.msg, d.file);
        scorm__cdb_pre_end(&st, 0);
        ok(rows(db, SCORM__T_CHUNK) == chunks0 && rows(db, SCORM__T_BLOB) == blobs0 &&
               rows(db, SCORM__T_PENDING) == 0,
           "nothing of it is stored (its 2 whole chunks given back)");
        memset(&d, 0, sizeof d);
        rc = stmt_db_txn_begin(db, 1, &t) ? SCORM_ERR_STORE : SCORM_OK;
        if (rc == SCORM_OK)
            rc = scorm__cdb_place(&st, t, "course5", 1, &d);
        stmt_db_txn_abort(t);
        ok(rc == SCORM_ERR_IO && !strcmp(d.file, "grown.bin") &&
               !strcmp(d.msg, "the extracted grown.bin changed size"),
           "in the transaction: refused, '%s' (%s)", d.msg, d.file);
        ok(rows(db, SCORM__T_CHUNK) == chunks0 && rows(db, SCORM__T_BLOB) == blobs0 &&
               rows(db, SCORM__T_CONTENT) == content0,
           "and nothing of it is stored");
        unlink(p);
        memset(&d, 0, sizeof d);
        ok(scorm__cdb_prewrite(&st, &d) == SCORM_ERR_IO && !strcmp(d.file, "grown.bin") &&
               !strncmp(d.msg, "cannot open the extracted grown.bin: ", 37),
           "a file gone: '%s'", d.msg);
        scorm__cdb_pre_end(&st, 0);
        sc_free(big);
    }
    /* 6. a package of more files than the import's transaction looks up at once (pages of
     * 256, scorm_content_db.c): 600 files of 300 contents, equal ones within a page and across
     * pages, half of them known from another course; reference counts are the content rows' */
    {
        struct scorm_content_stats st0, st1;
        char p[700], body[64];
        struct scorm_content *c = NULL;
        size_t got = 0;
        snprintf(pkg, sizeof pkg, "%s/pkg6", tu_tmp);
        mkdir(pkg, 0755);
        for (int i = 0; i < 150; i++) { /* contents 0..149, imported first as course6a */
            snprintf(p, sizeof p, "%s/f%03d.txt", pkg, i);
            snprintf(body, sizeof body, "content %d", i);
            tu_write(p, body, strlen(body));
        }
        ok(scorm_content_stats(db, &st0) == SCORM_OK && import_dir(db, pkg, "course6a") == 0,
           "150 small files imported");
        for (int i = 0; i < 600; i++) {
            snprintf(p, sizeof p, "%s/f%03d.txt", pkg, i);
            snprintf(body, sizeof body, "content %d", i % 300);
            tu_write(p, body, strlen(body));
        }
        ok(import_dir(db, pkg, "course6b") == 0, "then 600 files of 300 contents");
        memset(&st1, 0, sizeof st1);
        ok(scorm_content_stats(db, &st1) == SCORM_OK, "stats");
        ok(st1.files == st0.files + 750 && st1.blobs == st0.blobs + 300 && st1.bad == 0,
           "750 more content rows, 300 more blobs, reference counts right (%zu, %zu, %zu bad)",
           st1.files - st0.files, st1.blobs - st0.blobs, st1.bad);
        body[0] = 0;
        ok(scorm_content_open(db, "course6b", 1, "f599.txt", &c) == SCORM_OK &&
               scorm_content_read(c, 0, body, sizeof body - 1, &got) == SCORM_OK &&
               got == strlen("content 299") && !memcmp(body, "content 299", got),
           "the last file reads back");
        scorm_content_close(c);
        ok(stmt_db_txn_begin(db, 1, &t6) == 0 && scorm__cdb_drop(t6, "course6a", 1, NULL) == 0 &&
               stmt_db_txn_commit(t6) == 0 && scorm_content_stats(db, &st1) == SCORM_OK &&
               st1.blobs == st0.blobs + 300 && st1.bad == 0,
           "course6a deleted: every blob still referenced by course6b stays");
    }
    stmt_db_close(db);
    tu_fini();
    return tap_done();
}
