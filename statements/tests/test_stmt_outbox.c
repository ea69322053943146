/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_outbox: the rows the writer queues for each forwarding filter, checked against a naive
 * model of the xAPI query filters (Comm 2.1.3: verb, activity, agent, registration,
 * related_activities, related_agents, and a StatementRef matching through its target) over
 * random statements; then targets, done/park counters, parked reasons, events, deletion,
 * persistence across a reopen, and stmt_outbox_records. SCOLAR_TEST_BACKEND=pg
 * (test_stmt_outbox_pg): the same on a fresh PostgreSQL database (issue 19).
 */
#include "statements/stmt_outbox.h"
#include "statements/stmt_store.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/tap.h"
#include "statements/tests/pg_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define N_STMTS 400
#define REG_A "6f1c0a52-5c2d-4b8e-9a61-1d2e3f4a5b6c"
#define REG_B "0b7d4d2e-8e9f-4a3b-b1c2-d3e4f5a6b7c8"
#define VOIDED "http://adlnet.gov/expapi/verbs/voided"

static const char *const VERBS[] = {"http://x.org/v/a", "http://x.org/v/b", "http://x.org/v/c"};
static const char *const ACTS[] = {"http://x.org/act/0", "http://x.org/act/1", "http://x.org/act/2",
                                   "http://x.org/act/3"};
static const char *const WHO[] = {"a@x.org", "b@x.org", "c@x.org"};

struct filt {
    struct stmt_outbox_filter f;
    const char *agent_mbox; /* model: mailto address of f.agent */
};

static const struct filt FILTERS[] = {
    {{NULL, NULL, NULL, NULL, 0, 0}, NULL},                       /* everything */
    {{NULL, "http://x.org/v/b", NULL, NULL, 0, 0}, NULL},         /* verb */
    {{NULL, NULL, "http://x.org/act/1", NULL, 0, 0}, NULL},       /* object activity */
    {{NULL, NULL, "http://x.org/act/1", NULL, 1, 0}, NULL},       /* related activities */
    {{"mbox:mailto:b@x.org", NULL, NULL, NULL, 0, 0}, "b@x.org"}, /* actor */
    {{"mbox:mailto:c@x.org", NULL, NULL, NULL, 0, 1}, "c@x.org"}, /* related agents */
    {{NULL, "http://x.org/v/a", NULL, REG_A, 0, 0}, NULL},        /* verb and registration */
    {{NULL, NULL, NULL, "0B7D4D2E-8E9F-4A3B-B1C2-D3E4F5A6B7C8", 0, 0}, NULL}, /* upper case */
};
#define NF (sizeof FILTERS / sizeof FILTERS[0])

static unsigned rnd(unsigned n)
{
    unsigned v = 0;
    sc_random_bytes(&v, sizeof v);
    return v % n;
}

static const char *sget(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_GetStringValue(x);
}

/* The model of one filter on a plain statement (no StatementRef). */
static int model_own(const struct filt *F, const cJSON *s)
{
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(s, "context");
    const char *actor = sget(s, "actor", "mbox");
    if (F->f.verb && strcmp(sget(s, "verb", "id"), F->f.verb))
        return 0;
    if (F->f.registration) {
        const char *r = sget(s, "context", "registration");
        if (!r || strcasecmp(r, F->f.registration))
            return 0;
    }
    if (F->f.activity) {
        int hit = !strcmp(sget(s, "object", "id"), F->f.activity);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(ctx, "contextActivities"), "parent"),
                    *e;
        if (F->f.related_activities)
            cJSON_ArrayForEach(e, p) hit |= !strcmp(sget(e, "id", NULL), F->f.activity);
        if (!hit)
            return 0;
    }
    if (F->agent_mbox) {
        char want[64];
        int hit;
        snprintf(want, sizeof want, "mailto:%s", F->agent_mbox);
        hit = !strcmp(actor, want);
        if (F->f.related_agents) {
            const char *ins = sget(ctx, "instructor", "mbox");
            hit |= ins && !strcmp(ins, want);
        }
        if (!hit)
            return 0;
    }
    return 1;
}

static cJSON *random_stmt(void)
{
    char buf[2048], id[SC_UUID_LEN];
    unsigned reg = rnd(3), par = rnd(2), ins = rnd(3);
    sc_uuid_v4(id);
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"actor\":{\"mbox\":\"mailto:%s\"},\"verb\":{\"id\":\"%s\"},"
             "\"object\":{\"id\":\"%s\"},\"context\":{%s%s%s%s%s%s%s}}",
             id, WHO[rnd(3)], VERBS[rnd(3)], ACTS[rnd(4)],
             reg == 0   ? "\"registration\":\"" REG_A "\""
             : reg == 1 ? "\"registration\":\"" REG_B "\""
                        : "",
             reg < 2 && (par || ins == 0) ? "," : "",
             par ? "\"contextActivities\":{\"parent\":[{\"id\":\"" : "", par ? ACTS[rnd(4)] : "",
             par ? "\"}]}" : "", par && ins == 0 ? "," : "",
             ins == 0 ? "\"instructor\":{\"mbox\":\"mailto:c@x.org\"}" : "");
    return cJSON_Parse(buf);
}

static int64_t stored_of(struct stmt_store *st, const char *id)
{
    char *json = NULL;
    int64_t us = 0;
    if (stmt_store_get(st, id, 0, &json, &us) != STMT_STORE_OK &&
        stmt_store_get(st, id, 1, &json, &us) != STMT_STORE_OK)
        return 0;
    sc_free(json);
    return us;
}

static int cmp64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int parked_count(void *ctx, uint64_t seq, const char *reason, size_t len)
{
    (void)seq;
    *(int *)ctx += len == 9 && !memcmp(reason, "{\"x\":400}", 9);
    return 0;
}

/* Issue 19: node B (a second store on the database) queues rows for a target created
 * through node A in its next write transaction, with no call on B; and none once A deleted
 * it. The same for a webhook's events. */
static void two_nodes(struct stmt_db *db, struct stmt_store *st, const char *url, const char *dir)
{
    char dir2[4200], err[256];
    struct stmt_db *db2 = NULL;
    struct stmt_store *st2 = NULL;
    struct stmt_outbox_filter f = {NULL, NULL, "http://x.org/act/nodes", NULL, 0, 0};
    struct stmt_outbox_item *it = NULL;
    struct stmt_db_txn *t = NULL;
    uint32_t fwd = 0, hook = 0;
    size_t n = 0;
    cJSON *s1, *s2;
    snprintf(dir2, sizeof dir2, "%s/node-b", dir);
    if (stmt_db_open_url(url, dir2, &db2, err, sizeof err) || stmt_store_open(db2, NULL, &st2)) {
        ok(0, "node B on the same database: %s", err);
        stmt_db_close(db2);
        return;
    }
    /* B writes once first: its filters in memory are those of before the creation */
    s1 = cJSON_Parse("{\"actor\":{\"mbox\":\"mailto:a@x.org\"},\"verb\":{\"id\":"
                     "\"http://x.org/v/a\"},\"object\":{\"id\":\"http://x.org/act/nodes\"}}");
    s2 = cJSON_Duplicate(s1, 1);
    ok(stmt_store_insert(st2, &s1, 1, NULL, NULL) == 0, "B writes before the target exists");
    ok(stmt_outbox_target_create_for(st, "{}", 2, &f, 0, &fwd) == 0, "A creates a forwarder");
    ok(stmt_outbox_target_create_for(st, "{}", 2, NULL, STMT_OUTBOX_EV_PASSED, &hook) == 0,
       "A creates a webhook");
    ok(stmt_store_insert(st2, &s2, 1, NULL, NULL) == 0, "B writes right after");
    ok(stmt_outbox_peek(st, fwd, 0, 10, &it, &n) == 0 && n == 1 && it[0].json &&
           strstr(it[0].json, "act/nodes"),
       "the statement B wrote after the creation through A is queued for it (%zu rows)", n);
    stmt_outbox_items_free(it, n);
    stmt_db_txn_begin(db2, 1, &t);
    ok(stmt_outbox_event(st2, t, STMT_OUTBOX_EV_PASSED, "{\"e\":9}", 7) == 0 &&
           stmt_db_txn_commit(t) == 0,
       "B reports an event");
    n = 0;
    ok(stmt_outbox_peek(st, hook, 0, 10, &it, &n) == 0 && n == 1,
       "the event B reported is queued for the webhook A created (%zu rows)", n);
    stmt_outbox_items_free(it, n);
    ok(stmt_outbox_target_delete(st, fwd) == 0, "A deletes the forwarder");
    cJSON_Delete(s1);
    cJSON_Delete(s2);
    s1 = cJSON_Parse("{\"actor\":{\"mbox\":\"mailto:a@x.org\"},\"verb\":{\"id\":"
                     "\"http://x.org/v/a\"},\"object\":{\"id\":\"http://x.org/act/nodes\"}}");
    ok(stmt_store_insert(st2, &s1, 1, NULL, NULL) == 0, "B writes after the deletion");
    n = 0;
    ok(stmt_outbox_peek(st, fwd, 0, 10, &it, &n) == 0 && n == 0,
       "no row is queued by B for the deleted forwarder (%zu)", n);
    stmt_outbox_items_free(it, n);
    cJSON_Delete(s1);
    (void)db;
    stmt_store_close(st2);
    stmt_db_close(db2);
}

int main(void)
{
    char dir[] = "/tmp/scolar-outbox-XXXXXX", err[256], url[512] = "";
    const char *be = getenv("SCOLAR_TEST_BACKEND"), *loc = dir;
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    uint32_t ids[NF], hook;
    cJSON *all = cJSON_CreateArray();
    uint64_t *want[NF];
    size_t nwant[NF] = {0};

    if (be && strcmp(be, "pg") == 0) {
        if (pgtu_fresh_url(url, sizeof url)) {
            ok(0, "a fresh database on SCOLAR_TEST_PG");
            return tap_done();
        }
        loc = url;
    }
    tap_diag("backend: %s", loc == url ? "PostgreSQL" : "LMDB");
    if (!mkdtemp(dir) || stmt_db_open_url(loc, dir, &db, err, sizeof err) ||
        stmt_store_open(db, NULL, &st)) {
        ok(0, "open a store: %s", err);
        return tap_done();
    }
    for (size_t i = 0; i < NF; i++) {
        int rc = stmt_outbox_target_create(st, "{}", 2, &ids[i]);
        ok(rc == STMT_STORE_OK && ids[i] == i + 1, "target %zu created with id %u", i, ids[i]);
        ok(stmt_outbox_watch(st, ids[i], &FILTERS[i].f) == STMT_STORE_OK, "filter %zu", i);
        want[i] = sc_calloc(N_STMTS * 2, sizeof *want[i]);
    }
    {
        struct stmt_outbox_filter bad = {NULL, NULL, NULL, "not-a-uuid", 0, 0};
        ok(stmt_outbox_watch(st, 99, &bad) == STMT_STORE_ERR_ARG, "a bad registration refused");
    }
    /* random statements in batches of 1..20, some voiding earlier ones */
    for (int done = 0; done < N_STMTS;) {
        int n = 1 + (int)rnd(20);
        cJSON *batch[20];
        for (int i = 0; i < n && done < N_STMTS; i++, done++) {
            if (cJSON_GetArraySize(all) > 10 && rnd(10) == 0) {
                const cJSON *t =
                    cJSON_GetArrayItem(all, (int)rnd((unsigned)cJSON_GetArraySize(all)));
                char buf[512], id[SC_UUID_LEN];
                sc_uuid_v4(id);
                snprintf(buf, sizeof buf,
                         "{\"id\":\"%s\",\"actor\":{\"mbox\":\"mailto:admin@x.org\"},\"verb\":{"
                         "\"id\":\"" VOIDED "\"},\"object\":{\"objectType\":\"StatementRef\","
                         "\"id\":\"%s\"}}",
                         id, sget(t, "id", NULL));
                if (!strcmp(sget(t, "verb", "id"), VOIDED)) {
                    batch[i] = random_stmt(); /* never void a voiding statement */
                } else {
                    batch[i] = cJSON_Parse(buf);
                    cJSON_AddItemToObject(batch[i], "_target", cJSON_Duplicate(t, 1));
                }
            } else {
                batch[i] = random_stmt();
            }
            n = i + 1;
        }
        {
            cJSON *ins[20];
            int m = 0;
            for (int i = 0; i < n; i++) {
                cJSON *c = cJSON_Duplicate(batch[i], 1);
                cJSON_DeleteItemFromObject(c, "_target");
                ins[m++] = c;
            }
            int rc = stmt_store_insert(st, ins, (size_t)m, NULL, NULL);
            if (rc)
                ok(0, "insert: %s", stmt_store_strerror(rc));
            for (int i = 0; i < m; i++)
                cJSON_Delete(ins[i]);
        }
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(all, batch[i]);
    }
    /* the model */
    const cJSON *s;
    cJSON_ArrayForEach(s, all)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "_target");
        int64_t us = stored_of(st, sget(s, "id", NULL));
        for (size_t f = 0; f < NF; f++) {
            int m = t ? (model_own(&FILTERS[f], s) || model_own(&FILTERS[f], t))
                      : model_own(&FILTERS[f], s);
            if (m)
                want[f][nwant[f]++] = (uint64_t)us;
        }
    }
    for (size_t f = 0; f < NF; f++) {
        struct stmt_outbox_item *it = NULL;
        size_t n = 0, same = 1;
        int rc = stmt_outbox_peek(st, ids[f], 0, N_STMTS * 2, &it, &n);
        qsort(want[f], nwant[f], sizeof *want[f], cmp64);
        same = rc == 0 && n == nwant[f];
        for (size_t i = 0; same && i < n; i++)
            same = it[i].seq == want[f][i] && it[i].json && it[i].json[0] == '{';
        ok(same, "filter %zu: %zu rows in stored order, the model says %zu", f, n, nwant[f]);
        stmt_outbox_items_free(it, n);
    }
    ok(nwant[0] == N_STMTS, "the empty filter matches everything");

    /* done, park, stats, parked */
    {
        struct stmt_outbox_item *it = NULL;
        struct stmt_outbox_stats stats;
        uint64_t seqs[3];
        size_t n = 0;
        int np = 0;
        stmt_outbox_peek(st, ids[0], 0, 4, &it, &n);
        ok(n == 4, "peek takes at most max rows");
        for (int i = 0; i < 3; i++)
            seqs[i] = it[i].seq;
        ok(stmt_outbox_done(st, ids[0], seqs, 3) == 0, "done");
        ok(stmt_outbox_park(st, ids[0], it[3].seq, "{\"x\":400}") == 0, "park");
        stmt_outbox_items_free(it, n);
        int rc = stmt_outbox_stats(st, ids[0], 0, &stats);
        ok(rc == 0 && stats.queued == N_STMTS - 4 && stats.sent == 3 && stats.parked == 1 &&
               stats.oldest_us == want[0][4],
           "stats: queued %llu sent %llu parked %llu", (unsigned long long)stats.queued,
           (unsigned long long)stats.sent, (unsigned long long)stats.parked);
        ok(stmt_outbox_parked(st, ids[0], 10, parked_count, &np) == 0 && np == 1,
           "the parked row keeps its reason");
    }
    /* events */
    {
        struct stmt_db_txn *t = NULL;
        struct stmt_outbox_item *it = NULL;
        size_t n = 0;
        ok(stmt_outbox_target_create(st, "{\"k\":1}", 7, &hook) == 0, "webhook target");
        stmt_outbox_subscribe(st, hook, STMT_OUTBOX_EV_COMPLETED);
        stmt_db_txn_begin(db, 1, &t);
        ok(stmt_outbox_event(st, t, STMT_OUTBOX_EV_PASSED, "{\"e\":1}", 7) == 0 &&
               stmt_outbox_event(st, t, STMT_OUTBOX_EV_COMPLETED, "{\"e\":2}", 7) == 0,
           "events written in the caller's transaction");
        stmt_db_txn_abort(t);
        stmt_outbox_peek(st, hook, 0, 10, &it, &n);
        ok(n == 0, "an aborted transaction leaves no event");
        stmt_outbox_items_free(it, n);
        stmt_db_txn_begin(db, 1, &t);
        stmt_outbox_event(st, t, STMT_OUTBOX_EV_PASSED, "{\"e\":1}", 7);
        stmt_outbox_event(st, t, STMT_OUTBOX_EV_COMPLETED, "{\"e\":2}", 7);
        ok(stmt_db_txn_commit(t) == 0, "commit");
        stmt_outbox_peek(st, hook, 0, 10, &it, &n);
        ok(n == 1 && !strcmp(it[0].json, "{\"e\":2}"), "only the subscribed event is queued");
        stmt_outbox_items_free(it, n);
    }
    /* records, deletion, reopen */
    {
        struct stmt_outbox_item *it = NULL;
        size_t n = 0, total = 0;
        uint64_t after = 0;
        do {
            stmt_outbox_records(st, after, 37, &it, &n);
            if (n)
                after = it[n - 1].seq;
            total += n;
            stmt_outbox_items_free(it, n);
        } while (n);
        ok(total == N_STMTS, "stmt_outbox_records lists every statement, voided ones too (%zu)",
           total);
        stmt_outbox_forget(st, ids[1]);
        ok(stmt_outbox_target_delete(st, ids[1]) == 0, "delete a target");
        ok(stmt_outbox_target_delete(st, ids[1]) == STMT_STORE_ERR_NOTFOUND, "deleted once");
        stmt_outbox_peek(st, ids[1], 0, 10, &it, &n);
        ok(n == 0, "its rows went with it");
        stmt_outbox_items_free(it, n);
    }
    stmt_store_close(st);
    stmt_db_close(db);
    st = NULL;
    db = NULL;
    if (stmt_db_open_url(loc, dir, &db, err, sizeof err) || stmt_store_open(db, NULL, &st)) {
        ok(0, "reopen");
    } else {
        struct stmt_outbox_stats stats;
        ok(stmt_outbox_stats(st, ids[0], 0, &stats) == 0 && stats.queued == N_STMTS - 4 &&
               stats.sent == 3 && stats.parked == 1,
           "rows and counters survive a reopen");
        /* the filters are stored with their targets: the reopened store matches by them
         * before anyone calls stmt_outbox_watch (lrs/ does at its start) */
        cJSON *one = random_stmt();
        ok(stmt_store_insert(st, &one, 1, NULL, NULL) == 0 &&
               stmt_outbox_stats(st, ids[0], 0, &stats) == 0 && stats.queued == N_STMTS - 3,
           "a statement written after the reopen is queued by the stored filter (%llu)",
           (unsigned long long)stats.queued);
        cJSON_Delete(one);
        if (loc == url)
            two_nodes(db, st, url, dir);
        stmt_store_close(st);
        stmt_db_close(db);
    }
    for (size_t i = 0; i < NF; i++)
        sc_free(want[i]);
    cJSON_Delete(all);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            tap_diag("cleanup failed");
    }
    return tap_done();
}
