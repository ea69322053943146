/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract of stmt_db.h, the same on both backends (issue 19):
 *   test_stmt_db_contract lmdb   on a fresh LMDB data directory
 *   test_stmt_db_contract pg     on a fresh PostgreSQL database (SCOLAR_TEST_PG, tools/pg-gate.sh)
 * Round trips of binary keys and values, no-overwrite, deletes, key and table refusals, abort,
 * key order and paged scans (more rows than a page), writes from a scan's visitor, borrowed
 * values, read snapshots, the grouped forms, and read-modify-write from many threads (on
 * PostgreSQL through two handles on one database: two nodes) losing no update. On PostgreSQL
 * also: an acknowledged commit is read by another node, two nodes migrating at once, and a
 * database of a newer schema or format is refused. On both, a writer killed with SIGKILL loses
 * none of its acknowledged commits.
 */
#include "statements/stmt_db.h"
#include "common/sc_alloc.h"
#include "common/tap.h"
#include "statements/tests/pg_test_util.h"
#include "statements/tests/contract_cursor.h"
#include "statements/tests/contract_many.h"
#include "statements/tests/contract_seek.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int use_pg;
static char tmpdir[256];
static const char *const TABLES[] = {"t_kv", "t_other", "t_count"};

/* A fresh store: a new LMDB directory, or a new database (and a local folder). loc gets the
 * location so that a second handle ("another node") can open the same store. */
static struct stmt_db *fresh(char *loc, size_t n)
{
    static int seq;
    struct stmt_db *db = NULL;
    char dir[320], err[512];
    snprintf(dir, sizeof dir, "%s/d%d", tmpdir, seq++);
    if (use_pg) {
        if (pgtu_fresh_url(loc, n)) {
            fprintf(stderr, "no fresh database on SCOLAR_TEST_PG\n");
            exit(2);
        }
    } else {
        snprintf(loc, n, "%s", dir);
    }
    if (stmt_db_open_url(loc, dir, &db, err, sizeof err) != STMT_DB_OK ||
        stmt_db_tables_register(db, TABLES, 3) != STMT_DB_OK) {
        fprintf(stderr, "open %s: %s\n", loc, err);
        exit(2);
    }
    return db;
}

/* Another handle on the same database (PostgreSQL: a second node; its own local folder). */
static struct stmt_db *node(const char *loc, int *rc, char *err, size_t errlen)
{
    static int seq;
    struct stmt_db *db = NULL;
    char dir[320];
    snprintf(dir, sizeof dir, "%s/n%d", tmpdir, seq++);
    *rc = stmt_db_open_url(loc, dir, &db, err, errlen);
    if (!*rc)
        *rc = stmt_db_tables_register(db, TABLES, 3);
    return db;
}

static int collect(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    char *acc = ctx;
    (void)v;
    (void)vl;
    for (size_t i = 0; i < kl; i++) {
        unsigned char c = ((const unsigned char *)k)[i];
        size_t l = strlen(acc);
        if (c >= 'a' && c <= 'z')
            acc[l] = (char)c, acc[l + 1] = 0;
        else
            snprintf(acc + l, 8, "\\%02x", c);
    }
    strcat(acc, ",");
    return 0;
}

struct counting {
    int n, stop_at;
    char first[16], last[16];
};

static int count_rows(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct counting *c = ctx;
    (void)v;
    (void)vl;
    if (kl != 5 || ((const char *)k)[0] != 'r')
        return 0; /* only the r0000..r0699 rows */
    if (c->n == 0)
        snprintf(c->first, sizeof c->first, "%.*s", (int)kl, (const char *)k);
    snprintf(c->last, sizeof c->last, "%.*s", (int)kl, (const char *)k);
    c->n++;
    return c->stop_at && c->n == c->stop_at ? 42 : 0;
}

/* visitor that writes into another table of the same transaction */
static int copy_row(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    if (kl != 5 || ((const char *)k)[0] != 'r')
        return 0;
    return stmt_db_put(ctx, "t_other", k, kl, v, vl, 0);
}

/* ---- read-modify-write from many threads ---------------------------------------------------- */

struct incr {
    struct stmt_db *db;
    int grouped, fails;
};

static int incr_fn(struct stmt_db_txn *t, void *ctx)
{
    const void *v;
    size_t vl;
    long n = 0;
    char buf[32];
    (void)ctx;
    int rc = stmt_db_get(t, "t_count", "c", 1, &v, &vl);
    if (rc == STMT_DB_OK)
        n = strtol(snprintf(buf, sizeof buf, "%.*s", (int)vl, (const char *)v) ? buf : "0", NULL,
                   10);
    else if (rc != STMT_DB_NOTFOUND)
        return rc;
    snprintf(buf, sizeof buf, "%ld", n + 1);
    return stmt_db_put(t, "t_count", "c", 1, buf, strlen(buf), 0);
}

/* writes, then fails: nothing of it may stay */
static int failing_work(struct stmt_db_txn *t, void *ctx)
{
    int rc = stmt_db_put(t, "t_kv", "half", 4, "1", 1, 0);
    (void)ctx;
    return rc ? rc : stmt_db_put(t, "t_kv", "one", 3, "2", 1, STMT_DB_NOOVERWRITE);
}

static void *incr_thread(void *p)
{
    struct incr *a = p;
    for (int i = 0; i < 25; i++) {
        struct stmt_db_txn *t;
        if (a->grouped) {
            a->fails += stmt_db_txn_run_grouped(a->db, incr_fn, NULL) != STMT_DB_OK;
            continue;
        }
        if (stmt_db_txn_begin(a->db, 1, &t)) {
            a->fails++;
            continue;
        }
        if (incr_fn(t, NULL)) {
            stmt_db_txn_abort(t);
            a->fails++;
            continue;
        }
        a->fails += stmt_db_txn_commit(t) != STMT_DB_OK;
    }
    return NULL;
}

static void test_concurrent(struct stmt_db *a, struct stmt_db *b)
{
    pthread_t th[8];
    struct incr arg[8];
    char *val = NULL;
    size_t vl;
    int fails = 0;
    for (int i = 0; i < 8; i++) {
        arg[i] = (struct incr){.db = (i & 1) ? b : a, .grouped = (i & 2) != 0};
        pthread_create(&th[i], NULL, incr_thread, &arg[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        fails += arg[i].fails;
    }
    is_int(fails, 0, "200 read-modify-write transactions from 8 threads on two handles succeed");
    is_int(stmt_db_get1(a, "t_count", "c", 1, &val, &vl), STMT_DB_OK, "counter readable");
    is_str(val, "200", "no increment lost (one writer at a time%s)",
           use_pg ? ", across nodes" : "");
    sc_free(val);
}

/* ---- kill -9 during writes: nothing acknowledged is lost ---------------------------------------
 */

/* A child process (a node) commits one-put transactions and writes each acknowledged key's
 * number to a pipe after its commit returned; the parent kills it with SIGKILL mid-stream, then
 * opens the store itself (another node; on LMDB the same directory after the writer died) and
 * finds every acknowledged key. */
static void test_kill9(const char *loc)
{
    int fds[2], rc, acked = 0, missing = 0;
    pid_t pid;
    struct stmt_db *db;
    char err[512];
    if (pipe(fds) != 0) {
        ok(0, "pipe");
        return;
    }
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        db = node(loc, &rc, err, sizeof err);
        if (rc)
            _exit(3);
        for (int i = 0;; i++) {
            char k[16];
            int n = snprintf(k, sizeof k, "kill%06d", i);
            if (stmt_db_put1(db, "t_kv", k, (size_t)n, k, (size_t)n, 0) != STMT_DB_OK)
                _exit(4);
            if (write(fds[1], &i, sizeof i) != sizeof i) /* acknowledged */
                _exit(5);
        }
    }
    close(fds[1]);
    {
        int i, got = 0;
        /* let it write for a while, then kill it without warning */
        while (got < 200 && read(fds[0], &i, sizeof i) == sizeof i)
            got++;
        kill(pid, SIGKILL);
        while (read(fds[0], &i, sizeof i) == sizeof i)
            got++;
        acked = got;
        waitpid(pid, NULL, 0);
    }
    close(fds[0]);
    ok(acked >= 200, "the killed writer had %d commits acknowledged", acked);
    db = node(loc, &rc, err, sizeof err);
    is_int(rc, STMT_DB_OK, "the store opens after the writer's kill -9");
    for (int i = 0; i < acked && !rc; i++) {
        char k[16], *val = NULL;
        size_t vl;
        int n = snprintf(k, sizeof k, "kill%06d", i);
        missing += stmt_db_get1(db, "t_kv", k, (size_t)n, &val, &vl) != STMT_DB_OK;
        sc_free(val);
    }
    is_int(missing, 0, "every acknowledged commit of the killed writer is there");
    stmt_db_close(db);
}

/* ---- PostgreSQL only: nodes, migrations, refusals ---------------------------------------------
 */

struct opener {
    const char *loc;
    int rc;
    struct stmt_db *db;
};

static void *open_thread(void *p)
{
    struct opener *o = p;
    char err[256];
    o->db = node(o->loc, &o->rc, err, sizeof err);
    return NULL;
}

static void test_pg_only(void)
{
    char loc[512], err[512];
    int rc;
    struct stmt_db *a, *b, *c;
    char *val = NULL;
    size_t vl;

    /* two nodes start at once on an empty database: each migration is applied once */
    if (pgtu_fresh_url(loc, sizeof loc) == 0) {
        pthread_t th[3];
        struct opener o[3] = {{.loc = loc}, {.loc = loc}, {.loc = loc}};
        for (int i = 0; i < 3; i++)
            pthread_create(&th[i], NULL, open_thread, &o[i]);
        for (int i = 0; i < 3; i++)
            pthread_join(th[i], NULL);
        is_int(o[0].rc | o[1].rc | o[2].rc, STMT_DB_OK,
               "three nodes open one new database at once");
        for (int i = 0; i < 3; i++)
            stmt_db_close(o[i].db);
        is_int(pgtu_exec(loc, "DO $$ BEGIN IF (SELECT count(*) FROM scolar_schema) <> 1 THEN"
                              " RAISE 'migrations applied twice'; END IF; END $$"),
               0, "the schema migration was applied once (scolar_schema has one row)");
    }

    /* an acknowledged commit on node A is in node B's next read */
    a = fresh(loc, sizeof loc);
    b = node(loc, &rc, err, sizeof err);
    is_int(rc, STMT_DB_OK, "a second node opens the database");
    is_int(stmt_db_put1(a, "t_kv", "ack", 3, "yes", 3, 0), STMT_DB_OK, "node A commits");
    is_int(stmt_db_get1(b, "t_kv", "ack", 3, &val, &vl), STMT_DB_OK, "node B reads it at once");
    is_str(val, "yes", "node B sees node A's value");
    sc_free(val);
    val = NULL;
    /* an open write transaction of A holds every other writer, B's too */
    {
        struct stmt_db_txn *ta, *tb;
        struct stmt_db_stats s;
        stmt_db_txn_begin(a, 1, &ta);
        stmt_db_put(ta, "t_kv", "pending", 7, "1", 1, 0);
        is_int(stmt_db_get1(b, "t_kv", "pending", 7, &val, &vl), STMT_DB_NOTFOUND,
               "node B does not see node A's uncommitted write");
        stmt_db_txn_abort(ta);
        is_int(stmt_db_txn_begin(b, 0, &tb), STMT_DB_OK, "read transaction on B");
        stmt_db_txn_abort(tb);
        is_int(stmt_db_stats(a, &s), STMT_DB_OK, "stats on PostgreSQL");
        ok(s.used_bytes > 0 && s.readers >= 1, "stats: database size %zu, %u connections",
           s.used_bytes, s.readers);
        is_int(stmt_db_copy_fd(a, 1), STMT_DB_ERR_IO, "copy_fd is refused on PostgreSQL");
    }
    /* the server drops every connection of the pool (restart, failover): the next
     * transaction reconnects */
    is_int(pgtu_exec(loc, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
                          " datname = current_database() AND pid <> pg_backend_pid()"),
           0, "the server terminates the nodes' connections");
    is_int(stmt_db_put1(a, "t_kv", "after", 5, "1", 1, 0), STMT_DB_OK,
           "node A's next write reconnects and commits");
    is_int(stmt_db_get1(b, "t_kv", "after", 5, &val, &vl), STMT_DB_OK,
           "node B's next read reconnects and sees it");
    sc_free(val);
    val = NULL;
    stmt_db_close(b);
    stmt_db_close(a);

    /* a database of a newer schema, or of a newer store format, is refused with the reason */
    a = fresh(loc, sizeof loc);
    stmt_db_close(a);
    pgtu_exec(loc, "INSERT INTO scolar_schema (version) VALUES (99)");
    c = node(loc, &rc, err, sizeof err);
    is_int(rc, STMT_DB_ERR_VERSION, "a newer schema version is refused");
    ok(strstr(err, "schema version 99") != NULL, "the message names it: %s", err);
    stmt_db_close(c);
    a = fresh(loc, sizeof loc);
    stmt_db_close(a);
    pgtu_exec(loc, "UPDATE scolar_kv SET v = '9' WHERE tbl = 'meta' AND k = 'format'");
    c = node(loc, &rc, err, sizeof err);
    is_int(rc, STMT_DB_ERR_VERSION, "a newer store format is refused");
    ok(strstr(err, "format 9") != NULL, "the message names it: %s", err);
    stmt_db_close(c);

    /* a server that is not there */
    c = node("postgresql://scolar@/nodb?host=/nonexistent&port=1", &rc, err, sizeof err);
    is_int(rc, STMT_DB_ERR_ACCESS, "no server: refused");
    ok(strstr(err, "cannot connect to PostgreSQL") != NULL, "the message says so: %s", err);
    stmt_db_close(c);
}

int main(int argc, char **argv)
{
    struct stmt_db *db, *db2;
    struct stmt_db_txn *t, *r;
    char loc[512], err[512], acc[512] = "", *val = NULL;
    size_t vl = 0;
    const void *v1, *v2;
    size_t l1, l2;
    int rc;

    use_pg = argc > 1 && strcmp(argv[1], "pg") == 0;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/scolar-contract-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 2;
    tap_diag("backend: %s", use_pg ? "PostgreSQL" : "LMDB");
    db = fresh(loc, sizeof loc);

    /* round trips: binary keys and values (NUL bytes), overwrite, no-overwrite, delete */
    is_int(stmt_db_put1(db, "t_kv", "k\0x", 3, "v\0\xff", 3, 0), STMT_DB_OK, "put binary");
    is_int(stmt_db_get1(db, "t_kv", "k\0x", 3, &val, &vl), STMT_DB_OK, "get binary");
    ok(vl == 3 && memcmp(val, "v\0\xff", 3) == 0, "binary value round trip (%zu bytes)", vl);
    sc_free(val);
    is_int(stmt_db_get1(db, "t_kv", "k", 1, &val, &vl), STMT_DB_NOTFOUND,
           "a key's prefix is another key");
    is_int(stmt_db_put1(db, "t_kv", "k\0x", 3, "w", 1, STMT_DB_NOOVERWRITE), STMT_DB_ERR_EXISTS,
           "no-overwrite on an existing key");
    is_int(stmt_db_put1(db, "t_kv", "k\0x", 3, "w", 1, 0), STMT_DB_OK, "overwrite");
    is_int(stmt_db_get1(db, "t_kv", "k\0x", 3, &val, &vl), STMT_DB_OK, "get after overwrite");
    is_str(val, "w", "overwritten value");
    sc_free(val);
    is_int(stmt_db_put1(db, "t_other", "k\0x", 3, "o", 1, STMT_DB_NOOVERWRITE), STMT_DB_OK,
           "tables are separate key spaces");
    is_int(stmt_db_put1(db, "t_kv", "empty", 5, "", 0, 0), STMT_DB_OK, "empty value");
    is_int(stmt_db_get1(db, "t_kv", "empty", 5, &val, &vl), STMT_DB_OK, "get empty value");
    is_int(vl, 0, "empty value has length 0");
    sc_free(val);
    is_int(stmt_db_del1(db, "t_kv", "k\0x", 3), STMT_DB_OK, "delete");
    is_int(stmt_db_del1(db, "t_kv", "k\0x", 3), STMT_DB_NOTFOUND, "delete of an absent key");
    is_int(stmt_db_get1(db, "t_other", "k\0x", 3, &val, &vl), STMT_DB_OK,
           "the other table's row stays");
    sc_free(val);
    val = NULL;
    {
        char big[STMT_DB_MAX_KEY + 1];
        memset(big, 'a', sizeof big);
        is_int(stmt_db_put1(db, "t_kv", big, sizeof big, "v", 1, 0), STMT_DB_ERR_KEY,
               "a key over STMT_DB_MAX_KEY is refused");
        is_int(stmt_db_put1(db, "t_kv", big, STMT_DB_MAX_KEY, "v", 1, 0), STMT_DB_OK,
               "a key of STMT_DB_MAX_KEY bytes is taken");
        is_int(stmt_db_del1(db, "t_kv", big, STMT_DB_MAX_KEY), STMT_DB_OK, "and deleted");
    }
    is_int(stmt_db_put1(db, "t_kv", "", 0, "v", 1, 0), STMT_DB_ERR_KEY, "empty key refused");
    is_int(stmt_db_put1(db, "nobody", "k", 1, "v", 1, 0), STMT_DB_ERR_TABLE,
           "an unregistered table is refused");
    {
        /* a large value */
        size_t n = 1 << 20;
        char *big = malloc(n);
        for (size_t i = 0; i < n; i++)
            big[i] = (char)(i * 7);
        is_int(stmt_db_put1(db, "t_kv", "big", 3, big, n, 0), STMT_DB_OK, "put 1 MiB value");
        is_int(stmt_db_get1(db, "t_kv", "big", 3, &val, &vl), STMT_DB_OK, "get 1 MiB value");
        ok(vl == n && memcmp(val, big, n) == 0, "1 MiB value round trip");
        sc_free(val);
        val = NULL;
        stmt_db_del1(db, "t_kv", "big", 3);
        free(big);
    }

    /* abort discards, commit keeps; borrowed values stay valid until the next write */
    is_int(stmt_db_txn_begin(db, 1, &t), STMT_DB_OK, "begin write");
    stmt_db_put(t, "t_kv", "gone", 4, "1", 1, 0);
    stmt_db_txn_abort(t);
    is_int(stmt_db_get1(db, "t_kv", "gone", 4, &val, &vl), STMT_DB_NOTFOUND,
           "an aborted write is not kept");
    stmt_db_txn_begin(db, 1, &t);
    stmt_db_put(t, "t_kv", "one", 3, "1", 1, 0);
    stmt_db_put(t, "t_kv", "two", 3, "22", 2, 0);
    is_int(stmt_db_get(t, "t_kv", "one", 3, &v1, &l1), STMT_DB_OK, "a txn reads its own write");
    is_int(stmt_db_get(t, "t_kv", "two", 3, &v2, &l2), STMT_DB_OK, "second get");
    ok(l1 == 1 && memcmp(v1, "1", 1) == 0 && l2 == 2 && memcmp(v2, "22", 2) == 0,
       "both borrowed values are valid together");
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "commit");

    /* key order: bytes, then the shorter first; scans from a key, pages, early stop */
    {
        static const char *const keys[] = {"b", "ab", "a", "\xff", "a\x01", "aa"};
        static const size_t lens[] = {1, 2, 1, 1, 2, 2};
        stmt_db_txn_begin(db, 1, &t);
        for (int i = 0; i < 6; i++)
            stmt_db_put(t, "t_other", keys[i], lens[i], "v", 1, 0);
        stmt_db_del(t, "t_other", "k\0x", 3);
        stmt_db_txn_commit(t);
        stmt_db_txn_begin(db, 0, &r);
        is_int(stmt_db_scan(r, "t_other", NULL, 0, collect, acc), 0, "scan all");
        is_str(acc, "a,a\\01,aa,ab,b,\\ff,", "byte order, the shorter first");
        acc[0] = 0;
        stmt_db_scan(r, "t_other", "a\x02", 2, collect, acc);
        is_str(acc, "aa,ab,b,\\ff,", "scan from a key between two keys");
        stmt_db_txn_abort(r);
    }
    {
        struct counting c = {0};
        char k[16];
        stmt_db_txn_begin(db, 1, &t);
        for (int i = 0; i < 700; i++) {
            int n = snprintf(k, sizeof k, "r%04d", i);
            stmt_db_put(t, "t_kv", k, (size_t)n, k, (size_t)n, 0);
        }
        is_int(stmt_db_txn_commit(t), STMT_DB_OK, "700 rows in one transaction");
        stmt_db_txn_begin(db, 0, &r);
        stmt_db_scan(r, "t_kv", "r", 1, count_rows, &c);
        is_int(c.n, 700, "a scan visits all 700 rows (several pages)");
        is_str(c.last, "r0699", "in order to the last");
        c = (struct counting){.stop_at = 300};
        is_int(stmt_db_scan(r, "t_kv", "r0100", 5, count_rows, &c), 42,
               "the visitor's non-zero ends the scan and is returned");
        is_str(c.first, "r0100", "the scan began at its key");
        is_str(c.last, "r0399", "and stopped where the visitor said");
        stmt_db_txn_abort(r);
        /* a visitor that writes in the scan's transaction */
        stmt_db_txn_begin(db, 1, &t);
        is_int(stmt_db_scan(t, "t_kv", "r", 1, copy_row, t), 0, "scan whose visitor writes");
        is_int(stmt_db_txn_commit(t), STMT_DB_OK, "commit the copies");
        c = (struct counting){0};
        stmt_db_txn_begin(db, 0, &r);
        stmt_db_scan(r, "t_other", "r", 1, count_rows, &c);
        stmt_db_txn_abort(r);
        is_int(c.n, 700, "every row was copied");
    }

    /* a read transaction keeps its snapshot while another handle commits */
    db2 = node(loc, &rc, err, sizeof err);
    if (!use_pg) { /* LMDB: one process per data directory; the same handle from a thread */
        is_int(rc, STMT_DB_ERR_LOCKED, "LMDB: a second handle on the directory is refused");
        db2 = db;
    }
    stmt_db_txn_begin(db, 0, &r);
    is_int(stmt_db_put1(db2, "t_kv", "one", 3, "X", 1, 0), STMT_DB_OK, "commit after a reader");
    is_int(stmt_db_get(r, "t_kv", "one", 3, &v1, &l1), STMT_DB_OK, "the reader reads");
    ok(l1 == 1 && memcmp(v1, "1", 1) == 0, "the reader sees its snapshot, not the later commit");
    stmt_db_txn_abort(r);
    is_int(stmt_db_get1(db, "t_kv", "one", 3, &val, &vl), STMT_DB_OK, "a new reader");
    is_str(val, "X", "sees the commit");
    sc_free(val);
    val = NULL;

    /* the grouped forms */
    stmt_db_txn_begin_grouped(db, &t);
    stmt_db_put(t, "t_kv", "gs", 2, "1", 1, 0);
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "grouped session commits");
    is_int(stmt_db_get1(db, "t_kv", "gs", 2, &val, &vl), STMT_DB_OK, "its write is kept");
    sc_free(val);
    val = NULL;

    is_int(stmt_db_txn_run_grouped(db, failing_work, NULL), STMT_DB_ERR_EXISTS,
           "a grouped work's error is returned");
    is_int(stmt_db_get1(db, "t_kv", "half", 4, &val, &vl), STMT_DB_NOTFOUND,
           "and its writes are undone");
    is_int(stmt_db_txn_run_grouped(db, incr_fn, NULL), STMT_DB_OK, "the next grouped work runs");
    is_int(stmt_db_del1(db, "t_count", "c", 1), STMT_DB_OK, "and is kept");

    /* cursors, counts, clears (contract_cursor.h) */
    contract_cursor(db, !use_pg);
    /* batched reads (contract_many.h) */
    contract_many(db, !use_pg);
    contract_seek(db);

    /* many writers, read-modify-write, none lost */
    test_concurrent(db, db2);

    {
        char report[2048];
        is_int(stmt_db_check(db, report, sizeof report), STMT_DB_OK, "check is clean");
        ok(strstr(report, "t_kv: ") != NULL, "check counts the registered tables");
    }
    if (db2 != db)
        stmt_db_close(db2);
    stmt_db_close(db);
    test_kill9(loc);
    if (use_pg)
        test_pg_only();
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
            tap_diag("cannot remove %s", tmpdir);
    }
    return tap_done();
}
