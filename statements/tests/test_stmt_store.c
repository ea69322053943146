/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_store: LRS-set properties, immutability (S1/S2), batch atomicity (S6), duplicate ids
 * (S4), voiding (S7-S10), group commit under 16 concurrent threads, reopen, map growth
 * during ingest, a crash after acknowledgements, and the migration of a layout 1 store (keys
 * without fold epochs) at open.
 */
#include "statements/stmt_store.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "common/tap.h"
#include "statements/tests/pg_test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define AUTH "{\"objectType\":\"Agent\",\"name\":\"lrs\",\"mbox\":\"mailto:lrs@example.org\"}"
#define VOIDED "http://adlnet.gov/expapi/verbs/voided"

static void rm_rf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        tap_diag("cleanup of %s failed", d);
}

static cJSON *mk(const char *id, const char *mbox, const char *verb, const char *activity)
{
    char buf[1024];
    cJSON *s;
    snprintf(buf, sizeof buf,
             "{\"actor\":{\"mbox\":\"mailto:%s\"},\"verb\":{\"id\":\"%s\"},"
             "\"object\":{\"id\":\"%s\"}}",
             mbox, verb, activity);
    s = cJSON_Parse(buf);
    if (id)
        cJSON_AddStringToObject(s, "id", id);
    return s;
}

static cJSON *mk_void(const char *id, const char *target)
{
    char buf[512];
    cJSON *s;
    snprintf(buf, sizeof buf,
             "{\"actor\":{\"mbox\":\"mailto:admin@example.org\"},\"verb\":{\"id\":\"" VOIDED
             "\"},\"object\":{\"objectType\":\"StatementRef\",\"id\":\"%s\"}}",
             target);
    s = cJSON_Parse(buf);
    if (id)
        cJSON_AddStringToObject(s, "id", id);
    return s;
}

static int insert1(struct stmt_store *st, cJSON *s, struct stmt_insert_result *res)
{
    int rc = stmt_store_insert(st, &s, 1, AUTH, res);
    cJSON_Delete(s);
    return rc;
}

static size_t count(struct stmt_store *st)
{
    size_t n = 0;
    stmt_store_count(st, &n);
    return n;
}

static int present(struct stmt_store *st, const char *id, int voided)
{
    char *json = NULL;
    int rc = stmt_store_get(st, id, voided, &json, NULL);
    sc_free(json);
    return rc == STMT_STORE_OK;
}

/* A new store in dir (emptied first); 0 on success, else a failed test named `what`. */
static int fresh_store(const char *dir, const struct stmt_store_opts *o, struct stmt_db **db,
                       struct stmt_store **st, const char *what)
{
    char err[256] = "";
    rm_rf(dir);
    if (stmt_db_open(dir, db, err, sizeof err) || stmt_store_open(*db, o, st)) {
        ok(0, "open store for %s %s", what, err);
        return -1;
    }
    return 0;
}

static void uuid(char out[SC_UUID_LEN])
{
    sc_uuid_v4(out);
}

static void test_basics(struct stmt_store *st)
{
    struct stmt_insert_result res;
    char *json = NULL, iso[SC_TIME_ISO_LEN];
    int64_t stored = 0, before = sc_time_now_us();
    cJSON *got, *s;

    is_int(
        insert1(st, mk(NULL, "a@example.org", "http://ex.org/v/done", "http://ex.org/a/1"), &res),
        STMT_STORE_OK, "insert without id");
    is_int(res.n, 1, "one id returned");
    is_int(res.n_stored, 1, "one statement stored");
    ok(sc_uuid_valid(res.ids[0], 36), "generated id is a UUID: %s", res.ids[0]);
    ok(res.stored_us >= before, "stored is not before the call");
    is_int(stmt_store_get(st, res.ids[0], 0, &json, &stored), STMT_STORE_OK, "get by id");
    is_int(stored, res.stored_us, "get reports the stored time");
    got = cJSON_Parse(json);
    sc_time_format_iso(stored, 6, iso);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(got, "stored")), iso, "stored in record");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(got, "timestamp")), iso,
           "missing timestamp set to stored (A2)");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(got, "version")), "1.0.0",
           "missing version set to 1.0.0 (Data 2.4.10)");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(got, "id")), res.ids[0], "id in record");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(got, "authority"), "mbox")),
           "mailto:lrs@example.org", "authority from the caller (A3)");
    cJSON_Delete(got);
    sc_free(json);
    is_int(stmt_store_sync(st), STMT_STORE_OK, "sync");
    ok(stmt_store_consistent_through(st) >= res.stored_us, "consistent-through covers it");
    stmt_insert_result_free(&res);

    /* A submitted stored is overwritten; a submitted timestamp is kept. */
    s = mk(NULL, "a@example.org", "http://ex.org/v/done", "http://ex.org/a/1");
    cJSON_AddStringToObject(s, "stored", "2001-01-01T00:00:00Z");
    cJSON_AddStringToObject(s, "timestamp", "2002-02-02T00:00:00.000Z");
    cJSON_AddStringToObject(s, "version", "1.0.3");
    is_int(insert1(st, s, &res), STMT_STORE_OK, "insert with stored/timestamp/version");
    json = NULL;
    stmt_store_get(st, res.ids[0], 0, &json, &stored);
    got = cJSON_Parse(json);
    sc_time_format_iso(stored, 6, iso);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(got, "stored")), iso,
           "submitted stored overwritten (Data 2.4.8)");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(got, "timestamp")), "2002-02-02T00:00:00.000Z",
           "submitted timestamp kept");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(got, "version")), "1.0.3", "version kept");
    cJSON_Delete(got);
    sc_free(json);
    stmt_insert_result_free(&res);

    json = NULL;
    is_int(stmt_store_get(st, "not-a-uuid", 0, &json, NULL), STMT_STORE_ERR_NOTFOUND,
           "malformed id is not found");
    is_int(stmt_store_get(st, "00000000-0000-4000-8000-000000000000", 0, &json, NULL),
           STMT_STORE_ERR_NOTFOUND, "unknown id is not found");
    is_int(stmt_store_insert(st, NULL, 0, AUTH, &res), STMT_STORE_ERR_ARG, "empty batch");
}

static void test_monotonic(struct stmt_store *st)
{
    cJSON *b[20];
    struct stmt_insert_result res;
    int64_t prev = 0;
    int mono = 1;
    for (int i = 0; i < 20; i++)
        b[i] = mk(NULL, "m@example.org", "http://ex.org/v/m", "http://ex.org/a/m");
    is_int(stmt_store_insert(st, b, 20, AUTH, &res), STMT_STORE_OK, "batch of 20");
    for (int i = 0; i < 20; i++) {
        int64_t s = 0;
        char *json = NULL;
        stmt_store_get(st, res.ids[i], 0, &json, &s);
        sc_free(json);
        if (s <= prev)
            mono = 0;
        prev = s;
        cJSON_Delete(b[i]);
    }
    ok(mono, "stored strictly increases in batch order (A1)");
    stmt_insert_result_free(&res);
}

static void test_immutability(struct stmt_store *st)
{
    char id[SC_UUID_LEN], id2[SC_UUID_LEN], id3[SC_UUID_LEN], upper[SC_UUID_LEN];
    struct stmt_insert_result res;
    size_t before;
    cJSON *b[3];

    uuid(id);
    is_int(insert1(st, mk(id, "i@example.org", "http://ex.org/v/x", "http://ex.org/a/x"), &res),
           STMT_STORE_OK, "insert with id");
    is_str(res.ids[0], id, "given id returned");
    stmt_insert_result_free(&res);
    before = count(st);
    is_int(insert1(st, mk(id, "i@example.org", "http://ex.org/v/x", "http://ex.org/a/x"), &res),
           STMT_STORE_OK, "same id same content: success (S2)");
    is_int(res.n_stored, 0, "nothing newly stored (PUT 204)");
    is_str(res.ids[0], id, "its id is returned");
    is_int(count(st), before, "store unchanged (S1)");
    stmt_insert_result_free(&res);

    {
        /* S3 / Data 2.3.1: a Verb display and a timestamp in another zone are not differences */
        cJSON *same = mk(id, "i@example.org", "http://ex.org/v/x", "http://ex.org/a/x");
        cJSON_AddItemToObject(cJSON_GetObjectItem(same, "verb"), "display",
                              cJSON_Parse("{\"en-US\":\"did x\"}"));
        is_int(insert1(st, same, &res), STMT_STORE_OK,
               "same id, only a verb display added: still the same statement (S3)");
        is_int(res.n_stored, 0, "nothing stored");
        stmt_insert_result_free(&res);
    }
    is_int(insert1(st, mk(id, "i@example.org", "http://ex.org/v/y", "http://ex.org/a/x"), &res),
           STMT_STORE_ERR_CONFLICT, "same id other content: conflict (S2, 409)");
    is_int(res.bad_index, 0, "conflicting statement index");
    is_int(res.n, 0, "no ids on failure");
    is_int(count(st), before, "store unchanged after conflict (S1)");

    /* Batch atomicity (S6): the two new statements before the conflict are not stored. */
    uuid(id2);
    uuid(id3);
    b[0] = mk(id2, "i@example.org", "http://ex.org/v/x", "http://ex.org/a/x");
    b[1] = mk(id3, "i@example.org", "http://ex.org/v/x", "http://ex.org/a/x");
    b[2] = mk(id, "i@example.org", "http://ex.org/v/z", "http://ex.org/a/x");
    is_int(stmt_store_insert(st, b, 3, AUTH, &res), STMT_STORE_ERR_CONFLICT,
           "batch with a conflicting statement fails");
    is_int(res.bad_index, 2, "the third statement is named");
    ok(!present(st, id2, 0) && !present(st, id3, 0), "nothing of the batch was stored");
    is_int(count(st), before, "count unchanged");
    for (int i = 0; i < 3; i++)
        cJSON_Delete(b[i]);

    /* S4: duplicate ids in one batch, compared as UUIDs (case-insensitive). */
    for (size_t i = 0; i <= 36; i++)
        upper[i] = (id2[i] >= 'a' && id2[i] <= 'f') ? (char)(id2[i] - 32) : id2[i];
    b[0] = mk(id2, "i@example.org", "http://ex.org/v/x", "http://ex.org/a/x");
    b[1] = mk(NULL, "i@example.org", "http://ex.org/v/x", "http://ex.org/a/x");
    b[2] = mk(upper, "i@example.org", "http://ex.org/v/x", "http://ex.org/a/x");
    {
        size_t dup = 99;
        is_int(stmt_store_check_batch_ids(b, 3, &dup), STMT_STORE_ERR_DUP_ID,
               "check_batch_ids finds the duplicate");
        is_int(dup, 2, "at the second occurrence");
    }
    is_int(stmt_store_insert(st, b, 3, AUTH, &res), STMT_STORE_ERR_DUP_ID,
           "insert refuses duplicate ids");
    is_int(count(st), before, "count unchanged");
    for (int i = 0; i < 3; i++)
        cJSON_Delete(b[i]);
}

static void test_voiding(struct stmt_store *st)
{
    char t[SC_UUID_LEN], v[SC_UUID_LEN], x[SC_UUID_LEN], v2[SC_UUID_LEN], w1[SC_UUID_LEN],
        w2[SC_UUID_LEN];
    struct stmt_insert_result res;
    size_t before;
    cJSON *b[2];

    uuid(t);
    uuid(v);
    insert1(st, mk(t, "t@example.org", "http://ex.org/v/t", "http://ex.org/a/t"), &res);
    stmt_insert_result_free(&res);
    ok(present(st, t, 0), "target visible before voiding");
    is_int(insert1(st, mk_void(v, t), &res), STMT_STORE_OK, "voiding statement stored (S7)");
    stmt_insert_result_free(&res);
    ok(!present(st, t, 0), "voided target: statementId gives 404 (S10)");
    ok(present(st, t, 1), "voided target: voidedStatementId gives it (S10)");
    ok(present(st, v, 0), "voiding statement visible");
    ok(!present(st, v, 1), "voiding statement is not voided");

    /* S8: void before target. */
    uuid(x);
    uuid(v2);
    is_int(insert1(st, mk_void(v2, x), &res), STMT_STORE_OK,
           "voiding a missing target is accepted (S9)");
    stmt_insert_result_free(&res);
    insert1(st, mk(x, "x@example.org", "http://ex.org/v/x", "http://ex.org/a/x"), &res);
    stmt_insert_result_free(&res);
    ok(!present(st, x, 0) && present(st, x, 1), "target arriving later is voided (S8)");

    /* Data 2.3.2: a voiding statement cannot be voided. */
    before = count(st);
    is_int(insert1(st, mk_void(NULL, v), &res), STMT_STORE_ERR_VOID_VOIDING,
           "voiding a voiding statement is refused");
    is_int(count(st), before, "nothing stored");
    ok(present(st, v, 0), "the voiding statement stays unvoided");
    uuid(w1);
    uuid(w2);
    b[0] = mk_void(w1, w2);
    b[1] = mk_void(w2, t);
    is_int(stmt_store_insert(st, b, 2, AUTH, &res), STMT_STORE_ERR_VOID_VOIDING,
           "voiding a voiding statement of the same batch is refused");
    is_int(res.bad_index, 0, "the first statement is named");
    ok(!present(st, w1, 0) && !present(st, w2, 0), "nothing of the batch stored");
    cJSON_Delete(b[0]);
    cJSON_Delete(b[1]);
}

/* ---- 16 threads -------------------------------------------------------------------------- */

#define THREADS 16
#define PER_THREAD 40

struct worker {
    struct stmt_store *st;
    int idx;
    char ids[PER_THREAD * 3][SC_UUID_LEN];
    size_t nids;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        cJSON *b[3];
        size_t n = (size_t)(i % 3) + 1;
        struct stmt_insert_result res;
        char mbox[64];
        snprintf(mbox, sizeof mbox, "w%d@example.org", w->idx);
        for (size_t j = 0; j < n; j++)
            b[j] = mk(NULL, mbox, "http://ex.org/v/c", "http://ex.org/a/c");
        if (stmt_store_insert(w->st, b, n, AUTH, &res) == STMT_STORE_OK) {
            for (size_t j = 0; j < n; j++)
                memcpy(w->ids[w->nids++], res.ids[j], SC_UUID_LEN);
        } else {
            w->failures++;
        }
        stmt_insert_result_free(&res);
        for (size_t j = 0; j < n; j++)
            cJSON_Delete(b[j]);
    }
    return NULL;
}

static void test_concurrent(struct stmt_store *st)
{
    static struct worker w[THREADS];
    pthread_t th[THREADS];
    size_t before = count(st), total = 0, missing = 0, failures = 0;
    for (int i = 0; i < THREADS; i++) {
        w[i].st = st;
        w[i].idx = i;
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        total += w[i].nids;
        failures += (size_t)w[i].failures;
        for (size_t j = 0; j < w[i].nids; j++)
            missing += !present(st, w[i].ids[j], 0);
    }
    is_int(failures, 0, "16 threads: every insert acknowledged");
    is_int(total, THREADS * (PER_THREAD / 3 * 6 + 1 + (PER_THREAD % 3 == 2 ? 2 : 0)),
           "16 threads: all ids returned");
    is_int(missing, 0, "every acknowledged statement is present");
    is_int(count(st) - before, total, "and stored exactly once");
}

/* ---- map growth ---------------------------------------------------------------------------- */

static void test_growth(const char *dir)
{
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    char err[256], pad[1500];
    size_t stored = 0;
    int fails = 0;
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    setenv("SCOLAR_DB_INITIAL_MAP", "1048576", 1);
    rm_rf(dir);
    is_int(stmt_db_open(dir, &db, err, sizeof err), STMT_DB_OK, "open small-map store");
    is_int(stmt_store_open(db, NULL, &st), STMT_STORE_OK, "open store");
    for (int i = 0; i < 40; i++) {
        cJSON *b[100];
        struct stmt_insert_result res;
        for (int j = 0; j < 100; j++) {
            b[j] = mk(NULL, "g@example.org", "http://ex.org/v/g", "http://ex.org/a/g");
            cJSON_AddItemToObject(b[j], "result", cJSON_CreateObject());
            cJSON_AddStringToObject(cJSON_GetObjectItem(b[j], "result"), "response", pad);
        }
        if (stmt_store_insert(st, b, 100, AUTH, &res) == STMT_STORE_OK)
            stored += res.n_stored;
        else
            fails++;
        stmt_insert_result_free(&res);
        for (int j = 0; j < 100; j++)
            cJSON_Delete(b[j]);
    }
    is_int(fails, 0, "6 MB ingested into a 1 MB initial map without failure");
    is_int(count(st), 4000, "all 4000 statements stored");
    is_int(stored, 4000, "and acknowledged");
    stmt_store_close(st);
    stmt_db_close(db);
    unsetenv("SCOLAR_DB_INITIAL_MAP");
    rm_rf(dir);
}

/* A process that dies right after its inserts were acknowledged (no close, so nothing of the
 * deferred work ran: ids and index terms not folded) loses nothing: the next open folds. With
 * `o` (small fold epochs and folds), the child folds part of its statements across several
 * epoch boundaries before it dies, and the open resumes in the middle of an epoch. */
static void test_crash_after_ack(const char *dir, const struct stmt_store_opts *o)
{
    int fds[2];
    pid_t pid;
    char got[60][SC_UUID_LEN];
    int n = 0, missing = 0;
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    char err[256];
    size_t found = 0;

    rm_rf(dir);
    if (pipe(fds) != 0)
        return;
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (stmt_db_open(dir, &db, err, sizeof err) || stmt_store_open(db, o, &st))
            _exit(2);
        for (int i = 0; i < 60; i++) {
            struct stmt_insert_result res;
            cJSON *s = mk(NULL, "crash@example.org", "http://ex.org/v/crash", "http://ex.org/a/c");
            if (stmt_store_insert(st, &s, 1, AUTH, &res) == STMT_STORE_OK &&
                write(fds[1], res.ids[0], SC_UUID_LEN) != SC_UUID_LEN)
                _exit(3);
            stmt_insert_result_free(&res);
            cJSON_Delete(s);
        }
        _exit(0); /* as kill -9: no stmt_store_close, no fold */
    }
    close(fds[1]);
    while (n < 60 && read(fds[0], got[n], SC_UUID_LEN) == SC_UUID_LEN)
        n++;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    is_int(n, 60, "child acknowledged 60 inserts before dying");
    is_int(stmt_db_open(dir, &db, err, sizeof err), STMT_DB_OK, "open after the crash");
    is_int(stmt_store_open(db, o, &st), STMT_STORE_OK, "store open folds the backlog");
    for (int i = 0; i < n; i++)
        missing += !present(st, got[i], 0);
    is_int(missing, 0, "every acknowledged statement is readable by id");
    {
        struct stmt_query q = {0};
        struct stmt_page page;
        q.verb = "http://ex.org/v/crash";
        if (stmt_store_query(st, &q, &page) == STMT_STORE_OK) {
            found = page.n;
            stmt_page_free(&page);
        }
    }
    is_int(found, 60, "and found by a query at once (indexes folded at open)");
    stmt_store_close(st);
    stmt_db_close(db);
    rm_rf(dir);
}

/* ---- layout 1 → 2 ------------------------------------------------------------------------ */

struct kv {
    unsigned char k[32], v[8];
    size_t kl, vl;
};

struct kvs {
    struct kv *a;
    size_t n, cap;
    size_t bad; /* keys not of the expected size */
    size_t want_klen;
};

static int collect(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct kvs *c = ctx;
    if (kl != c->want_klen || vl > 8) {
        c->bad++;
        return 0;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->a = realloc(c->a, c->cap * sizeof *c->a);
    }
    memcpy(c->a[c->n].k, k, kl);
    memcpy(c->a[c->n].v, v, vl);
    c->a[c->n].kl = kl;
    c->a[c->n].vl = vl;
    c->n++;
    return 0;
}

static size_t query_verb(struct stmt_store *st, const char *verb)
{
    struct stmt_query q = {0};
    struct stmt_page page;
    size_t n = 0;
    q.verb = verb;
    q.limit = 1000;
    if (stmt_store_query(st, &q, &page) == STMT_STORE_OK) {
        n = page.n;
        stmt_page_free(&page);
    }
    return n;
}

/* Rewrite a table's epoch-prefixed keys as layout 1 wrote them (the 4-byte epoch dropped). */
static int unprefix(struct stmt_db_txn *t, const char *table, size_t klen)
{
    struct kvs c = {0};
    int rc = 0;
    c.want_klen = klen;
    stmt_db_scan(t, table, NULL, 0, collect, &c);
    for (size_t i = 0; i < c.n && !rc; i++) {
        rc = stmt_db_del(t, table, c.a[i].k, c.a[i].kl);
        if (!rc)
            rc = stmt_db_put(t, table, c.a[i].k + 4, c.a[i].kl - 4, c.a[i].v, c.a[i].vl, 0);
    }
    free(c.a);
    return rc || c.bad ? -1 : (int)c.n;
}

/* stmt_store_check finds a lost id entry, a lost index term and an index entry in the wrong
 * epoch; a reopen with reindex rebuilds both tables and the check passes again. */
static void test_check_reindex(struct stmt_db *db, const struct stmt_store_opts *o)
{
    char report[4096];
    struct stmt_db_txn *t = NULL;
    struct kvs ids = {0}, idx = {0};
    struct stmt_store_opts ro = *o;
    struct stmt_store *st = NULL;
    unsigned char moved[20];

    is_int(stmt_store_check(db, report, sizeof report), STMT_DB_OK, "check: a clean store");
    ok(strstr(report, "121 stored, 121 folded into 8 epochs") &&
           strstr(report, "ids and indexes agree"),
       "check reports the counts");
    ok(!strstr(report, "Bloom"), "every closed epoch has its persisted filter");

    ids.want_klen = idx.want_klen = 20;
    stmt_db_txn_begin(db, 1, &t);
    stmt_db_scan(t, "stmt_id", NULL, 0, collect, &ids);
    stmt_db_scan(t, "stmt_idx", NULL, 0, collect, &idx);
    stmt_db_del(t, "stmt_id", ids.a[5].k, 20);  /* an id entry lost */
    stmt_db_del(t, "stmt_idx", idx.a[9].k, 20); /* an index term lost */
    memcpy(moved, idx.a[40].k, 20);             /* an entry in the wrong epoch */
    moved[3] ^= 1;
    stmt_db_put(t, "stmt_idx", moved, 20, "", 0, 0);
    {
        /* A persisted filter that lost its bits would hide the ids of its epoch. */
        const void *f = NULL;
        size_t flen = 0;
        static char zero[32]; /* 10 bits x 16 statements, rounded up to a power of two */
        stmt_db_get(t, "stmt_meta", "bloom\0\0\0\2", 9, &f, &flen);
        ok(flen == sizeof zero, "epoch 2's filter is persisted (%zu bytes for 16 statements)",
           flen);
        stmt_db_put(t, "stmt_meta", "bloom\0\0\0\2", 9, zero, sizeof zero, 0);
    }
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "four faults written");
    free(ids.a);
    free(idx.a);

    is_int(stmt_store_check(db, report, sizeof report), STMT_DB_ERR_CORRUPT, "check finds them");
    ok(strstr(report, "has no id entry in epoch") != NULL, "the lost id entry");
    ok(strstr(report, "misses index term") != NULL, "the lost index term");
    ok(strstr(report, "stmt_idx: entry") && strstr(report, "its statement is not"),
       "the entry in the wrong epoch");
    ok(strstr(report, "stmt_id: 120 entries for 121 folded statements") != NULL, "the id count");
    ok(strstr(report, "is ruled out by the Bloom filter of epoch 2") != NULL,
       "the filter that lost its bits");

    /* A key that is no layout 2 id key in the open epoch (7), whose filter the store builds
     * at open: it refuses to open and says what to do. */
    is_int(stmt_db_put1(db, "stmt_id", "\0\0\0\a0123456789ab", 16, "\0\0\0\0\0\0\0\1", 8, 0),
           STMT_DB_OK, "a 16-byte id key written");
    is_int(stmt_store_open(db, o, &st), STMT_STORE_ERR_DAMAGED, "open refuses a damaged id table");
    ok(strstr(stmt_store_strerror(STMT_STORE_ERR_DAMAGED), "scolar reindex") != NULL,
       "and the message names scolar reindex");

    ro.reindex = 1;
    is_int(stmt_store_open(db, &ro, &st), STMT_STORE_OK, "open with reindex");
    {
        size_t folded = 0;
        int migrated = 0;
        stmt_store_open_info(st, &folded, &migrated);
        ok(migrated && folded == 121, "every statement re-indexed (%zu)", folded);
    }
    stmt_store_close(st);
    is_int(stmt_store_check(db, report, sizeof report), STMT_DB_OK, "check passes again");
    ok(!strstr(report, "Bloom"), "with every filter rebuilt");

    /* Closed epochs without a persisted filter (an allocation failed while they were open)
     * are probed, and the next open writes their filters. */
    for (unsigned char e = 0; e < 7; e++) {
        char key[9] = {'b', 'l', 'o', 'o', 'm', 0, 0, 0, (char)e};
        stmt_db_del1(db, "stmt_meta", key, 9);
    }
    is_int(stmt_store_check(db, report, sizeof report), STMT_DB_OK, "check: filters missing");
    ok(strstr(report, "epoch 6 has no Bloom filter") != NULL, "are noted, not faults");
    is_int(stmt_store_open(db, o, &st), STMT_STORE_OK, "open writes them");
    stmt_store_close(st);
    is_int(stmt_store_check(db, report, sizeof report), STMT_DB_OK, "check passes");
    ok(!strstr(report, "Bloom"), "and every closed epoch has its filter again");
    is_int(stmt_store_open(db, o, &st), STMT_STORE_OK, "a plain reopen");
    stmt_store_close(st);
    is_int(stmt_store_check(db, report, sizeof report), STMT_DB_OK, "check passes");
    ok(!strstr(report, "Bloom"), "and no filter was written for an epoch that is not closed");
}

/* A store written by layout 1 (format 1, keys without epochs) is migrated at open: the id and
 * index tables are rebuilt from the records, every statement is found again by id and by
 * query, voided ones stay voided, and the format record is raised so older builds refuse it. */
static void test_layout_migration(const char *dir)
{
    struct stmt_store_opts o = {0};
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    struct stmt_db_txn *t = NULL;
    struct stmt_insert_result res;
    char ids[120][SC_UUID_LEN], voided[SC_UUID_LEN], err[256], *val = NULL;
    size_t vlen = 0, missing = 0;
    int nid = 0, nidx = 0;

    o.epoch_size = 16;
    if (fresh_store(dir, &o, &db, &st, "the migration test"))
        return;
    for (int i = 0; i < 120; i++) {
        insert1(st,
                mk(NULL, i % 2 ? "odd@example.org" : "even@example.org",
                   i % 3 ? "http://ex.org/v/m" : "http://ex.org/v/m3", "http://ex.org/a/m"),
                &res);
        memcpy(ids[i], res.ids[0], SC_UUID_LEN);
        stmt_insert_result_free(&res);
    }
    memcpy(voided, ids[7], SC_UUID_LEN);
    insert1(st, mk_void(NULL, voided), &res);
    stmt_insert_result_free(&res);
    stmt_store_sync(st);
    is_int(query_verb(st, "http://ex.org/v/m3"), 40, "before: 40 statements with verb m3");
    is_int(query_verb(st, "http://ex.org/v/m"), 80,
           "and 80 by verb m (79 left after voiding one, and the voiding statement that targets "
           "it, G5)");
    stmt_store_close(st);
    st = NULL;

    /* Turn it into a layout 1 store. */
    is_int(stmt_db_txn_begin(db, 1, &t), STMT_DB_OK, "write txn");
    nid = unprefix(t, "stmt_id", 20);
    nidx = unprefix(t, "stmt_idx", 20);
    is_int(nid, 121, "121 id entries rewritten without their epoch");
    ok(nidx > 121 * 3, "%d index entries rewritten without their epoch", nidx);
    stmt_db_del(t, "stmt_meta", "layout", 6);
    stmt_db_del(t, "stmt_meta", "epochs", 6);
    stmt_db_del(t, "stmt_meta", "epoch_fill", 10);
    stmt_db_put(t, "meta", "format", 6, "1", 1, 0);
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "layout 1 store written");
    stmt_db_close(db);
    db = NULL;

    is_int(stmt_db_open(dir, &db, err, sizeof err), STMT_DB_OK, "format 1 store opens");
    is_int(stmt_db_get1(db, "meta", "format", 6, &val, &vlen), STMT_DB_OK, "format record");
    ok(vlen == 1 && val[0] == '1', "opening the db alone changes nothing (scolar check)");
    sc_free(val);
    {
        char report[1024];
        is_int(stmt_store_check(db, report, sizeof report), STMT_DB_OK,
               "check of a layout 1 store");
        ok(strstr(report, "layout 1") != NULL, "says it is converted at the next serve");
    }
    is_int(stmt_store_open(db, &o, &st), STMT_STORE_OK, "store open migrates layout 1");
    {
        size_t folded = 0;
        int migrated = 0;
        stmt_store_open_info(st, &folded, &migrated);
        ok(migrated && folded == 121, "open reports the migration (%zu re-indexed)", folded);
    }
    is_int(stmt_db_get1(db, "meta", "format", 6, &val, &vlen), STMT_DB_OK, "format record");
    ok(vlen == 1 && val[0] == '2', "format record raised to 2 (older builds refuse it now)");
    sc_free(val);
    for (int i = 0; i < 120; i++)
        missing += i != 7 && !present(st, ids[i], 0);
    is_int(missing, 0, "every statement found by id after the migration");
    ok(present(st, voided, 1) && !present(st, voided, 0), "the voided one is still voided");
    is_int(query_verb(st, "http://ex.org/v/m3"), 40, "query by verb: the same 40");
    is_int(query_verb(st, "http://ex.org/v/m"), 80, "query by the other verb: the same 80");
    stmt_store_close(st);
    st = NULL;
    {
        struct kvs c = {0};
        c.want_klen = 20;
        stmt_db_txn_begin(db, 0, &t);
        stmt_db_scan(t, "stmt_idx", NULL, 0, collect, &c);
        stmt_db_txn_abort(t);
        is_int(c.bad, 0, "no layout 1 index key left");
        is_int(c.n, nidx, "the rebuilt index has as many entries as before");
        free(c.a);
        memset(&c, 0, sizeof c);
        c.want_klen = 20;
        stmt_db_txn_begin(db, 0, &t);
        stmt_db_scan(t, "stmt_id", NULL, 0, collect, &c);
        stmt_db_txn_abort(t);
        ok(c.bad == 0 && c.n == 121, "id table rebuilt with epoch keys (%zu, %zu bad)", c.n, c.bad);
        free(c.a);
    }
    is_int(stmt_db_get1(db, "stmt_meta", "epochs", 6, &val, &vlen), STMT_DB_OK, "epochs listed");
    is_int(vlen, 8 * 8, "121 statements in epochs of 16: 8 epochs");
    sc_free(val);
    test_check_reindex(db, &o);
    stmt_db_close(db);
    rm_rf(dir);
}

static cJSON *mk_ref(const char *target)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"actor\":{\"mbox\":\"mailto:ref@example.org\"},\"verb\":{\"id\":"
             "\"http://ex.org/v/ref\"},\"object\":{\"objectType\":\"StatementRef\",\"id\":"
             "\"%s\"}}",
             target);
    return cJSON_Parse(buf);
}

/* Allocation failures anywhere in the insert, the fold and the epoch bookkeeping (filters,
 * epoch lists, id maps, StatementRef term chains) may fail an insert but never lose an
 * acknowledged statement nor let an acknowledged id be taken by other content: with epochs of
 * 3 and folds of 2, every call below crosses epochs while the Nth allocation from now fails
 * (every `spacing` allocations over the rounds). Every 5th insert is a StatementRef to an
 * acknowledged statement, found by that statement's verb (G5). */
static void test_alloc_failures(const char *dir, int spacing)
{
    struct stmt_store_opts o = {0};
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    char acked[300][SC_UUID_LEN];
    int nacked = 0, missing = 0, taken = 0, failed = 0, nref = 0;

    o.epoch_size = 3;
    o.fold_min = 2;
    o.fold_max = 2;
    if (fresh_store(dir, &o, &db, &st, "the allocation failure test"))
        return;
    for (int round = 0; round < 300; round++) {
        char id[SC_UUID_LEN];
        cJSON *s;
        int rc;
        int ref = round % 5 == 4 && nacked > 0;
        uuid(id);
        s = ref ? mk_ref(acked[(round * 7) % nacked])
                : mk(id, "oom@example.org", "http://ex.org/v/oom", "http://ex.org/a/oom");
        sc_alloc_fail_after(round % spacing);
        rc = stmt_store_insert(st, &s, 1, AUTH, NULL);
        sc_alloc_fail_after(-1);
        cJSON_Delete(s);
        if (rc == STMT_STORE_OK && ref)
            nref++;
        else if (rc == STMT_STORE_OK)
            memcpy(acked[nacked++], id, SC_UUID_LEN);
        else
            failed++;
    }
    stmt_store_sync(st);
    for (int i = 0; i < nacked; i++) {
        struct stmt_insert_result res;
        cJSON *s = mk(acked[i], "other@example.org", "http://ex.org/v/other", "http://ex.org/a/o");
        missing += !present(st, acked[i], 0);
        taken += stmt_store_insert(st, &s, 1, AUTH, &res) != STMT_STORE_ERR_CONFLICT;
        stmt_insert_result_free(&res);
        cJSON_Delete(s);
    }
    ok(nacked > 50 && failed > 0, "%d inserts acknowledged, %d failed under injection", nacked,
       failed);
    is_int(missing, 0, "every acknowledged statement is found by id");
    is_int(taken, 0, "no acknowledged id accepted with other content (conflict check)");
    is_int(query_verb(st, "http://ex.org/v/oom"), nacked + nref,
           "and each is found by query, with the %d StatementRefs to them (G5)", nref);
    stmt_store_close(st);
    stmt_db_close(db);
    rm_rf(dir);
}

/* The epoch size is a setting, not a store property: a store written with one size and
 * reopened with another keeps every id findable (filters of closed epochs are tested at their
 * own size, the open epoch's is rebuilt at the new one) and refuses a conflicting id in any
 * epoch, and check passes after each step. */
static void test_epoch_size_change(const char *dir)
{
    static const size_t sizes[] = {16, 4096, 3, 16};
    static char ids[4 * 40][SC_UUID_LEN];
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    char err[256], report[4096];
    int n = 0;

    rm_rf(dir);
    for (size_t round = 0; round < sizeof sizes / sizeof sizes[0]; round++) {
        struct stmt_store_opts o = {0};
        struct stmt_insert_result res;
        int found = 0, refused = 0;
        o.epoch_size = sizes[round];
        if (stmt_db_open(dir, &db, err, sizeof err) || stmt_store_open(db, &o, &st)) {
            ok(0, "open with epochs of %zu: %s", sizes[round], err);
            return;
        }
        for (int i = 0; i < 40; i++) {
            insert1(st, mk(NULL, "ep@example.org", "http://ex.org/v/ep", "http://ex.org/a/ep"),
                    &res);
            if (res.n == 1)
                memcpy(ids[n++], res.ids[0], SC_UUID_LEN);
            stmt_insert_result_free(&res);
        }
        stmt_store_sync(st);
        for (int i = 0; i < n; i++) {
            found += present(st, ids[i], 0);
            /* every 7th id again, with other content: a conflict in whatever epoch it is */
            if (i % 7)
                continue;
            refused +=
                insert1(st,
                        mk(ids[i], "other@example.org", "http://ex.org/v/x", "http://ex.org/a/x"),
                        &res) == STMT_STORE_ERR_CONFLICT;
            stmt_insert_result_free(&res);
        }
        is_int(found, n, "epochs of %zu: all %d ids found by id", sizes[round], n);
        is_int(refused, (n + 6) / 7, "epochs of %zu: each reused id refused", sizes[round]);
        is_int((int)query_verb(st, "http://ex.org/v/ep"), n, "epochs of %zu: and by query",
               sizes[round]);
        stmt_store_close(st);
        is_int(stmt_store_check(db, report, sizeof report), STMT_DB_OK,
               "epochs of %zu: check passes", sizes[round]);
        ok(!strstr(report, "Bloom"), "epochs of %zu: every closed epoch has its filter",
           sizes[round]);
        stmt_db_close(db);
    }
    rm_rf(dir);
}

#include "statements/tests/store_nodes_tests.h"
#include "statements/tests/store_groups_tests.h"

int main(void)
{
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    char dir[256], dir2[256], err[256], keep[SC_UUID_LEN], url[512] = "";
    size_t n_before;
    struct stmt_insert_result res;
    const char *be = getenv("SCOLAR_TEST_BACKEND");
    int pg = be && strcmp(be, "pg") == 0;

    snprintf(dir, sizeof dir, "/tmp/scolar-test-store-%d", (int)getpid());
    snprintf(dir2, sizeof dir2, "/tmp/scolar-test-store-grow-%d", (int)getpid());
    rm_rf(dir);
    /* SCOLAR_TEST_BACKEND=pg (test_stmt_store_pg): the same on a fresh PostgreSQL database,
     * then two nodes on one database; the LMDB-only cases (map growth, kill -9 of an LMDB
     * writer, layout migration, epoch sizes, allocation failures) are left out. */
    if (pg && pgtu_fresh_url(url, sizeof url)) {
        ok(0, "a fresh database on SCOLAR_TEST_PG");
        return tap_done();
    }
    tap_diag("backend: %s", pg ? "PostgreSQL" : "LMDB");
    if (!ok(stmt_db_open_url(pg ? url : dir, dir, &db, err, sizeof err) == STMT_DB_OK, "open db %s",
            err))
        return tap_done();
    is_int(stmt_store_open(db, NULL, &st), STMT_STORE_OK, "open store");

    test_basics(st);
    test_monotonic(st);
    test_immutability(st);
    test_voiding(st);
    test_concurrent(st);

    /* Reopen keeps everything. */
    insert1(st, mk(NULL, "r@example.org", "http://ex.org/v/r", "http://ex.org/a/r"), &res);
    memcpy(keep, res.ids[0], SC_UUID_LEN);
    stmt_insert_result_free(&res);
    n_before = count(st);
    stmt_store_close(st);
    stmt_db_close(db);
    st = NULL;
    db = NULL;
    is_int(stmt_db_open_url(pg ? url : dir, dir, &db, err, sizeof err), STMT_DB_OK, "reopen db");
    is_int(stmt_store_open(db, NULL, &st), STMT_STORE_OK, "reopen store");
    is_int(count(st), n_before, "reopen keeps every statement");
    ok(present(st, keep, 0), "last statement readable after reopen");
    {
        int64_t s_old = 0, s_new = 0;
        char *json = NULL;
        stmt_store_get(st, keep, 0, &json, &s_old);
        sc_free(json);
        insert1(st, mk(NULL, "r@example.org", "http://ex.org/v/r", "http://ex.org/a/r"), &res);
        s_new = res.stored_us;
        stmt_insert_result_free(&res);
        ok(s_new > s_old, "stored keeps increasing across a reopen");
    }
    stmt_store_close(st);
    stmt_db_close(db);
    rm_rf(dir);
    if (pg) {
        if (stmt_db_open_url(url, dir, &db, err, sizeof err) == STMT_DB_OK) {
            test_put_batches(db);
            stmt_db_close(db);
        }
        rm_rf(dir);
        if (pgtu_fresh_url(url, sizeof url) == 0)
            test_two_nodes(url);
        else
            ok(0, "a second fresh database");
        if (pgtu_fresh_url(url, sizeof url) == 0)
            test_nodes_grouped(url);
        else
            ok(0, "a third fresh database");
        return tap_done();
    }

    test_growth(dir2);
    test_crash_after_ack(dir2, NULL);
    {
        struct stmt_store_opts o = {0};
        o.epoch_size = 7;
        o.fold_min = 4;
        o.fold_max = 4;
        test_crash_after_ack(dir2, &o);
    }
    test_layout_migration(dir2);
    test_epoch_size_change(dir2);
    test_alloc_failures(dir2, 41);
    test_alloc_failures(dir2, 97);
    return tap_done();
}
