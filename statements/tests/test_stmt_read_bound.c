/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The read paths whose round trips were cut on PostgreSQL (issue 19, stmt_db_pg_idle.c), on
 * either backend (SCOLAR_TEST_BACKEND=pg: test_stmt_read_bound_pg):
 * - the voided set of a query: on PostgreSQL read with the query's first round trip when it
 *   has at most 32 ids (a binary search per page), else looked up per page as before; the
 *   answers must not depend on which (Comm 2.1.4): 0, 3, 32 (the view's edge), 33 and 43
 *   voided statements, queries with one filter, two (agent and verb: no index probe before
 *   the record on PostgreSQL) and none, and statementId / voidedStatementId gets;
 * - Consistent-Through (Comm 2.1.3) of a query's and a get's answer, with the write-lock
 *   check pipelined before the read's snapshot: the present when idle; the last committed
 *   statement while another handle holds the write lock (the check must see it), with the
 *   answers still complete; the present again once it is released;
 * - stmt_db_get1 (one statement outside any transaction on PostgreSQL): an unregistered
 *   table refused, a key over the limit not found, as on LMDB;
 * - stmt_db_cursor_hint (the first page's size on PostgreSQL): walks in both directions with
 *   hints 1, 5, 101 and 600 visit what a walk without one does.
 */
#include "statements/stmt_store.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "common/tap.h"
#include "statements/tests/pg_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUTH "{\"objectType\":\"Agent\",\"mbox\":\"mailto:auth@example.org\"}"
#define VERB "http://ex.org/v/bound"
#define AGENT_IFI "mbox:mailto:vv@example.org"
#define N 60

static char ids[N][STMT_STORE_UUID_LEN];
static int voided[N];
static int nvoided;
static int64_t last_stored; /* stored value of the last statement inserted */

static void rm_rf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        tap_diag("rm -rf %s failed", d);
}

static int insert_json(struct stmt_store *st, const char *json, char *id_out)
{
    cJSON *s = cJSON_Parse(json);
    struct stmt_insert_result res = {0};
    int rc = s ? stmt_store_insert(st, &s, 1, AUTH, &res) : STMT_STORE_ERR_ARG;
    if (rc == STMT_STORE_OK) {
        if (id_out)
            memcpy(id_out, res.ids[0], STMT_STORE_UUID_LEN);
        last_stored = res.stored_us;
    }
    stmt_insert_result_free(&res);
    cJSON_Delete(s);
    return rc;
}

/* Void statements ids[from..to) (one voiding statement each). */
static int void_range(struct stmt_store *st, int from, int to)
{
    char json[512];
    for (int i = from; i < to; i++) {
        snprintf(json, sizeof json,
                 "{\"actor\":{\"mbox\":\"mailto:voider@example.org\"},\"verb\":{\"id\":"
                 "\"http://adlnet.gov/expapi/verbs/voided\"},\"object\":{\"objectType\":"
                 "\"StatementRef\",\"id\":\"%s\"}}",
                 ids[i]);
        if (insert_json(st, json, NULL) != STMT_STORE_OK)
            return -1;
        voided[i] = 1;
        nvoided++;
    }
    return 0;
}

/* A query's page: the live statements of ids[] it holds (want: all of them), and whether it
 * holds a voided one. The voiding statements match a filter through their targets (Comm 2.1.3
 * "Filter Conditions for StatementRefs"), so they are there too: want_total. */
static int check_query(struct stmt_store *st, const char *agent, const char *verb, int want_total,
                       const char *what)
{
    struct stmt_query q = {0};
    struct stmt_page p;
    int bad = 0, live = 0;
    q.agent = agent;
    q.verb = verb;
    q.limit = 200;
    if (!ok(stmt_store_query(st, &q, &p) == STMT_STORE_OK, "%s: query", what))
        return -1;
    for (size_t k = 0; k < p.n; k++) {
        int found = -1;
        for (int i = 0; i < N && found < 0; i++)
            if (!strcmp(p.items[k].id, ids[i]))
                found = i;
        if (found >= 0 && voided[found])
            bad++;
        else if (found >= 0)
            live++;
    }
    is_int((int)p.n, want_total, "%s: %d statements (%d voided)", what, want_total, nvoided);
    is_int(live, N - nvoided, "%s: every live one", what);
    is_int(bad, 0, "%s: no voided one (Comm 2.1.4)", what);
    stmt_page_free(&p);
    return 0;
}

static void check_all(struct stmt_store *st, const char *stage)
{
    char what[128];
    int live = N - nvoided;
    snprintf(what, sizeof what, "%s, verb", stage);
    check_query(st, NULL, VERB, live + nvoided, what);
    snprintf(what, sizeof what, "%s, agent and verb", stage);
    check_query(st, AGENT_IFI, VERB, live + nvoided, what);
    /* no filter: the live statements and the voiding ones (which cannot be voided) */
    snprintf(what, sizeof what, "%s, no filter", stage);
    check_query(st, NULL, NULL, live + nvoided, what);
    {
        char *json = NULL;
        int64_t stored = 0;
        int v = 0, nv = 0;
        for (int i = 0; i < N; i++) {
            int as_voided = stmt_store_get(st, ids[i], 1, &json, &stored) == STMT_STORE_OK;
            sc_free(json);
            json = NULL;
            int as_live = stmt_store_get(st, ids[i], 0, &json, &stored) == STMT_STORE_OK;
            sc_free(json);
            json = NULL;
            v += as_voided == voided[i];
            nv += as_live == !voided[i];
        }
        is_int(v, N, "%s: voidedStatementId finds exactly the voided ones", stage);
        is_int(nv, N, "%s: statementId finds exactly the others", stage);
    }
}

static void test_voided(struct stmt_store *st)
{
    char json[512];
    for (int i = 0; i < N; i++) {
        snprintf(json, sizeof json,
                 "{\"actor\":{\"mbox\":\"mailto:vv@example.org\"},\"verb\":{\"id\":\"" VERB
                 "\"},\"object\":{\"id\":\"http://ex.org/a/%d\"}}",
                 i);
        if (!ok(insert_json(st, json, ids[i]) == STMT_STORE_OK, "insert %d", i))
            return;
    }
    check_all(st, "none voided");
    if (void_range(st, 0, 3))
        return;
    check_all(st, "3 voided");
    if (void_range(st, 3, 32))
        return;
    check_all(st, "32 voided (the view's size)");
    if (void_range(st, 32, 33))
        return;
    check_all(st, "33 voided (one more)");
    if (void_range(st, 40, 50))
        return;
    check_all(st, "43 voided");
}

/* PostgreSQL: Consistent-Through of a query and of a get, idle and while another handle holds
 * the database's write lock. */
static void test_consistent_through(struct stmt_store *st, const char *url, const char *dir)
{
    struct stmt_db *other = NULL;
    struct stmt_db_txn *wt = NULL;
    struct stmt_query q = {0};
    struct stmt_page p;
    char err[256], *json = NULL;
    int64_t t0, ct, stored;
    q.verb = VERB;
    q.limit = 200;

    t0 = sc_time_now_us();
    ok(stmt_store_query(st, &q, &p) == STMT_STORE_OK, "idle: query");
    stmt_page_free(&p);
    ct = stmt_store_consistent_through(st);
    ok(ct >= t0 - 1, "idle: a query's Consistent-Through is the present (%lld us behind)",
       (long long)(t0 - ct));
    t0 = sc_time_now_us();
    ok(stmt_store_get(st, ids[N - 1], 0, &json, &stored) == STMT_STORE_OK, "idle: get");
    sc_free(json);
    json = NULL;
    ct = stmt_store_consistent_through(st);
    ok(ct >= t0 - 1, "idle: a get's Consistent-Through is the present (%lld us behind)",
       (long long)(t0 - ct));

    if (!ok(stmt_db_open_url(url, dir, &other, err, sizeof err) == STMT_DB_OK,
            "a second handle on the database %s", err))
        return;
    if (!ok(stmt_db_txn_begin(other, 1, &wt) == STMT_DB_OK, "its write transaction (the lock)")) {
        stmt_db_close(other);
        return;
    }
    usleep(2000);
    t0 = sc_time_now_us();
    if (ok(stmt_store_query(st, &q, &p) == STMT_STORE_OK, "locked: query")) {
        is_int((int)p.n, N, "locked: the query is complete all the same");
        stmt_page_free(&p);
    }
    ct = stmt_store_consistent_through(st);
    ok(ct >= last_stored && ct < t0,
       "locked: a query's Consistent-Through is the last committed statement "
       "(%lld, last stored %lld, now %lld)",
       (long long)ct, (long long)last_stored, (long long)t0);
    ok(stmt_store_get(st, ids[N - 1], 0, &json, &stored) == STMT_STORE_OK, "locked: get");
    sc_free(json);
    json = NULL;
    ct = stmt_store_consistent_through(st);
    ok(ct >= last_stored && ct < t0, "locked: a get's Consistent-Through too (%lld)",
       (long long)ct);
    ct = stmt_store_consistent_through(st);
    ok(ct >= last_stored && ct < t0, "locked: without a read of this thread too (%lld)",
       (long long)ct);
    stmt_db_txn_abort(wt);
    t0 = sc_time_now_us();
    ok(stmt_store_query(st, &q, &p) == STMT_STORE_OK, "released: query");
    stmt_page_free(&p);
    ct = stmt_store_consistent_through(st);
    ok(ct >= t0 - 1, "released: the present again (%lld us behind)", (long long)(t0 - ct));
    stmt_db_close(other);
}

/* The keys of "stmt" walked with a cursor: from a seek (asc) or a seek_le to the end (desc),
 * hint 0 meaning none; into out (up to cap), their number. */
static size_t walk_keys(struct stmt_db *db, int asc, size_t hint, uint64_t *out, size_t cap)
{
    struct stmt_db_txn *t = NULL;
    struct stmt_db_cursor *c = NULL;
    struct stmt_db_kv kv;
    unsigned char from[8];
    size_t n = 0;
    int rc;
    memset(from, asc ? 0 : 0xff, sizeof from);
    if (stmt_db_txn_begin(db, 0, &t) || stmt_db_cursor_open(t, "stmt", &c)) {
        stmt_db_txn_abort(t);
        return 0;
    }
    if (hint)
        stmt_db_cursor_hint(c, hint);
    rc = asc ? stmt_db_cursor_seek(c, from, 1, &kv) : stmt_db_cursor_seek_le(c, from, 8, &kv);
    while (!rc && n < cap) {
        uint64_t v = 0;
        for (size_t i = 0; i < kv.klen && i < 8; i++)
            v = v << 8 | ((const unsigned char *)kv.key)[i];
        out[n++] = v;
        rc = asc ? stmt_db_cursor_next(c, &kv) : stmt_db_cursor_prev(c, &kv);
    }
    stmt_db_cursor_close(c);
    stmt_db_txn_abort(t);
    return n;
}

/* stmt_db_cursor_hint changes how many rows a page reads on PostgreSQL, never the walk. */
static void test_cursor_hint(struct stmt_db *db)
{
    static uint64_t want[256], got[256];
    static const size_t hints[] = {1, 5, 101, 600};
    for (int asc = 0; asc < 2; asc++) {
        size_t n = walk_keys(db, asc, 0, want, 256);
        ok(n == (size_t)(N + nvoided), "%s walk without a hint: every record (%zu)",
           asc ? "ascending" : "descending", n);
        for (size_t h = 0; h < sizeof hints / sizeof hints[0]; h++) {
            size_t m = walk_keys(db, asc, hints[h], got, 256);
            ok(m == n && !memcmp(got, want, n * sizeof *got), "%s walk with hint %zu: the same",
               asc ? "ascending" : "descending", hints[h]);
        }
    }
}

static void test_get1(struct stmt_db *db)
{
    char *val = NULL, key[600];
    size_t vl = 0;
    memset(key, 'k', sizeof key);
    is_int(stmt_db_get1(db, "nobody", "k", 1, &val, &vl), STMT_DB_ERR_TABLE,
           "get1: an unregistered table is refused");
    is_int(stmt_db_get1(db, "stmt_meta", key, sizeof key, &val, &vl), STMT_DB_NOTFOUND,
           "get1: a key over the limit is not found");
    is_int(stmt_db_get1(db, "stmt_meta", "no such key", 11, &val, &vl), STMT_DB_NOTFOUND,
           "get1: an absent key");
    if (ok(stmt_db_get1(db, "stmt_meta", "indexed_through", 15, &val, &vl) == STMT_DB_OK,
           "get1: a present key"))
        is_int((int)vl, 8, "get1: its value (8 bytes)");
    sc_free(val);
}

int main(void)
{
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    struct stmt_store_opts opts = {200, 1, 0, 0, 0, 0};
    char dir[256], err[256], url[512] = "";
    const char *be = getenv("SCOLAR_TEST_BACKEND");
    int pg = be && strcmp(be, "pg") == 0;

    snprintf(dir, sizeof dir, "/tmp/scolar-test-read-bound-%d", (int)getpid());
    rm_rf(dir);
    if (pg && pgtu_fresh_url(url, sizeof url)) {
        ok(0, "a fresh database on SCOLAR_TEST_PG");
        return tap_done();
    }
    tap_diag("backend: %s", pg ? "PostgreSQL" : "LMDB");
    if (!ok(stmt_db_open_url(pg ? url : dir, dir, &db, err, sizeof err) == STMT_DB_OK, "open db %s",
            err))
        return tap_done();
    if (!ok(stmt_store_open(db, &opts, &st) == STMT_STORE_OK, "open store")) {
        stmt_db_close(db);
        return tap_done();
    }
    test_voided(st);
    if (pg)
        test_consistent_through(st, url, dir);
    test_cursor_hint(db);
    test_get1(db);
    stmt_store_close(st);
    stmt_db_close(db);
    rm_rf(dir);
    return tap_done();
}
