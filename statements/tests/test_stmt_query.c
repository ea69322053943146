/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_store_query against a naive reference model (an in-memory list scanned in full, as in
 * SQLite's bitvec self-test): random statements with groups, context activities,
 * SubStatements, StatementRefs (before and after their targets) and voiding; random queries
 * over every filter, since/until, order and small limits, paged with `more`. Then paging
 * while a writer thread inserts (no gap, no duplicate), tampered and foreign cursors, and a
 * cursor that survives a reopen.
 */
#include "statements/stmt_store.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/tap.h"
#include "statements/tests/pg_test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define AUTH "{\"objectType\":\"Agent\",\"mbox\":\"mailto:auth@example.org\"}"
#define VOIDED "http://adlnet.gov/expapi/verbs/voided"
#define NSTMT 500

static unsigned long long rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void rm_rf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        tap_diag("cleanup of %s failed", d);
}

/* ---- pools ---------------------------------------------------------------------------------- */

static const char *const AGENTS[] = {
    "{\"mbox\":\"mailto:ann@example.org\"}",
    "{\"mbox\":\"mailto:bob@example.org\",\"name\":\"Bob\"}",
    "{\"openid\":\"http://id.example.org/carl\"}",
    "{\"account\":{\"homePage\":\"http://lms.example.org\",\"name\":\"dora\"}}",
    "{\"mbox_sha1sum\":\"ebd31e95054c018b10727ccffd2ef2ec3a016ee9\"}",
    "{\"account\":{\"homePage\":\"http://lms.example.org\",\"name\":\"ed\"}}",
};
#define NAGENTS (sizeof AGENTS / sizeof AGENTS[0])
static const char *const VERBS[] = {"http://ex.org/v/attempted", "http://ex.org/v/passed",
                                    "http://ex.org/v/failed", "http://ex.org/v/answered"};
#define NVERBS 4
static const char *const ACTS[] = {"http://ex.org/a/course", "http://ex.org/a/m1",
                                   "http://ex.org/a/m2", "http://ex.org/a/q1",
                                   "http://ex.org/a/q2"};
#define NACTS 5
static const char *const REGS[] = {"6a2b6e3c-1f2a-4c3b-9d4e-5f6a7b8c9d0e",
                                   "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f"};

static cJSON *agent(unsigned i)
{
    return cJSON_Parse(AGENTS[i]);
}

static cJSON *group(void)
{
    cJSON *g = cJSON_CreateObject(), *m = cJSON_AddArrayToObject(g, "member");
    cJSON_AddStringToObject(g, "objectType", "Group");
    if (rnd(2))
        cJSON_AddStringToObject(g, "mbox", "mailto:team@example.org");
    cJSON_AddItemToArray(m, agent(rnd(NAGENTS)));
    cJSON_AddItemToArray(m, agent(rnd(NAGENTS)));
    return g;
}

static cJSON *actor(void)
{
    return rnd(5) == 0 ? group() : agent(rnd(NAGENTS));
}

static cJSON *activity(void)
{
    cJSON *a = cJSON_CreateObject();
    if (rnd(2))
        cJSON_AddStringToObject(a, "objectType", "Activity");
    cJSON_AddStringToObject(a, "id", ACTS[rnd(NACTS)]);
    return a;
}

static cJSON *context(void)
{
    cJSON *c = cJSON_CreateObject();
    if (rnd(2))
        cJSON_AddStringToObject(c, "registration", REGS[rnd(2)]);
    if (rnd(2)) {
        cJSON *ca = cJSON_AddObjectToObject(c, "contextActivities");
        if (rnd(2))
            cJSON_AddItemToObject(ca, "parent", activity());
        else {
            cJSON *arr = cJSON_AddArrayToObject(ca, "grouping");
            cJSON_AddItemToArray(arr, activity());
            cJSON_AddItemToArray(arr, activity());
        }
    }
    if (rnd(3) == 0)
        cJSON_AddItemToObject(c, "instructor", agent(rnd(NAGENTS)));
    if (rnd(4) == 0) {
        cJSON *t = group();
        cJSON_AddItemToObject(c, "team", t);
    }
    return c;
}

static char ids[NSTMT][SC_UUID_LEN];
static int nids;

static cJSON *gen(int i)
{
    cJSON *s = cJSON_CreateObject(), *verb = cJSON_CreateObject();
    unsigned kind = rnd(12);
    cJSON_AddStringToObject(s, "id", ids[i]);
    cJSON_AddItemToObject(s, "actor", actor());
    cJSON_AddItemToObject(s, "verb", verb);
    if (kind == 0 && i > 0) {
        /* voiding: usually an earlier statement, sometimes a later one (S8) */
        int target = rnd(4) == 0 && i + 1 < nids ? i + 1 + (int)rnd((unsigned)(nids - i - 1))
                                                 : (int)rnd((unsigned)i);
        cJSON *o = cJSON_AddObjectToObject(s, "object");
        cJSON_AddStringToObject(verb, "id", VOIDED);
        cJSON_AddStringToObject(o, "objectType", "StatementRef");
        cJSON_AddStringToObject(o, "id", ids[target]);
        return s;
    }
    cJSON_AddStringToObject(verb, "id", VERBS[rnd(NVERBS)]);
    if (kind == 1 && i > 0) {
        /* StatementRef to an earlier or a later statement (G5) */
        int target = rnd(3) == 0 && i + 1 < nids ? i + 1 + (int)rnd((unsigned)(nids - i - 1))
                                                 : (int)rnd((unsigned)i);
        cJSON *o = cJSON_AddObjectToObject(s, "object");
        cJSON_AddStringToObject(o, "objectType", "StatementRef");
        cJSON_AddStringToObject(o, "id", ids[target]);
    } else if (kind == 2) {
        cJSON *o = agent(rnd(NAGENTS));
        cJSON_AddStringToObject(o, "objectType", "Agent");
        cJSON_AddItemToObject(s, "object", o);
    } else if (kind == 3) {
        cJSON *o = cJSON_AddObjectToObject(s, "object");
        cJSON_AddStringToObject(o, "objectType", "SubStatement");
        cJSON_AddItemToObject(o, "actor", actor());
        cJSON *v = cJSON_AddObjectToObject(o, "verb");
        cJSON_AddStringToObject(v, "id", VERBS[rnd(NVERBS)]);
        cJSON_AddItemToObject(o, "object", activity());
        if (rnd(2))
            cJSON_AddItemToObject(o, "context", context());
    } else {
        cJSON_AddItemToObject(s, "object", activity());
    }
    if (rnd(3))
        cJSON_AddItemToObject(s, "context", context());
    return s;
}

/* ---- the model ------------------------------------------------------------------------------ */

struct mstmt {
    cJSON *s; /* as stored (from stmt_store_get) */
    int64_t stored;
    int present;
};
static struct mstmt model[NSTMT];

static const char *sv(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int is_type(const cJSON *o, const char *t)
{
    const char *x = sv(o, "objectType");
    return x && strcmp(x, t) == 0;
}

/* Same IFI (Data 2.4.2.3) as the query agent (a pool index). */
static int same_agent(const cJSON *a, const cJSON *q)
{
    const char *k[] = {"mbox", "mbox_sha1sum", "openid"};
    if (!cJSON_IsObject(a))
        return 0;
    for (int i = 0; i < 3; i++)
        if (sv(q, k[i]))
            return sv(a, k[i]) && strcmp(sv(a, k[i]), sv(q, k[i])) == 0;
    {
        const cJSON *qa = cJSON_GetObjectItem(q, "account"),
                    *aa = cJSON_GetObjectItem(a, "account");
        return aa && strcmp(sv(aa, "homePage"), sv(qa, "homePage")) == 0 &&
               strcmp(sv(aa, "name"), sv(qa, "name")) == 0;
    }
}

static int agent_or_members(const cJSON *a, const cJSON *q)
{
    const cJSON *m;
    if (same_agent(a, q))
        return 1;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(a, "member")) if (same_agent(m, q)) return 1;
    return 0;
}

static int ctx_agents(const cJSON *c, const cJSON *q)
{
    return agent_or_members(cJSON_GetObjectItem(c, "instructor"), q) ||
           agent_or_members(cJSON_GetObjectItem(c, "team"), q);
}

static int act_is(const cJSON *a, const char *id)
{
    return cJSON_IsObject(a) && (!sv(a, "objectType") || is_type(a, "Activity")) && sv(a, "id") &&
           strcmp(sv(a, "id"), id) == 0;
}

static int ctx_acts(const cJSON *c, const char *id)
{
    const char *cats[] = {"parent", "grouping", "category", "other"};
    const cJSON *ca = cJSON_GetObjectItem(c, "contextActivities"), *x;
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItem(ca, cats[i]);
        if (cJSON_IsArray(v)) {
            cJSON_ArrayForEach(x, v) if (act_is(x, id)) return 1;
        } else if (act_is(v, id)) {
            return 1;
        }
    }
    return 0;
}

struct mq {
    int agent; /* pool index or -1 */
    int verb, act, reg;
    int rel_agents, rel_acts;
};

static int match_own(const cJSON *s, const struct mq *q)
{
    const cJSON *obj = cJSON_GetObjectItem(s, "object");
    const cJSON *ctx = cJSON_GetObjectItem(s, "context");
    if (q->agent >= 0) {
        cJSON *qa = agent(q->agent);
        int m = agent_or_members(cJSON_GetObjectItem(s, "actor"), qa) ||
                ((is_type(obj, "Agent") || is_type(obj, "Group")) && agent_or_members(obj, qa));
        if (!m && q->rel_agents) {
            m = agent_or_members(cJSON_GetObjectItem(s, "authority"), qa) || ctx_agents(ctx, qa);
            if (!m && is_type(obj, "SubStatement")) {
                const cJSON *so = cJSON_GetObjectItem(obj, "object");
                m = agent_or_members(cJSON_GetObjectItem(obj, "actor"), qa) ||
                    ((is_type(so, "Agent") || is_type(so, "Group")) && agent_or_members(so, qa)) ||
                    ctx_agents(cJSON_GetObjectItem(obj, "context"), qa);
            }
        }
        cJSON_Delete(qa);
        if (!m)
            return 0;
    }
    if (q->verb >= 0 && strcmp(sv(cJSON_GetObjectItem(s, "verb"), "id"), VERBS[q->verb]) != 0)
        return 0;
    if (q->act >= 0) {
        const char *id = ACTS[q->act];
        int m = act_is(obj, id);
        if (!m && q->rel_acts) {
            m = ctx_acts(ctx, id);
            if (!m && is_type(obj, "SubStatement"))
                m = act_is(cJSON_GetObjectItem(obj, "object"), id) ||
                    ctx_acts(cJSON_GetObjectItem(obj, "context"), id);
        }
        if (!m)
            return 0;
    }
    if (q->reg >= 0) {
        const char *r = sv(ctx, "registration");
        if (!r || strcasecmp(r, REGS[q->reg]) != 0)
            return 0;
    }
    return 1;
}

static int find(const char *id)
{
    for (int i = 0; i < nids; i++)
        if (model[i].present && strcasecmp(ids[i], id) == 0)
            return i;
    return -1;
}

static int match(const cJSON *s, const struct mq *q, int depth)
{
    const cJSON *obj = cJSON_GetObjectItem(s, "object");
    if (match_own(s, q))
        return 1;
    if (depth < 8 && is_type(obj, "StatementRef")) {
        int t = find(sv(obj, "id"));
        return t >= 0 && match(model[t].s, q, depth + 1);
    }
    return 0;
}

static int is_voiding(const cJSON *s)
{
    return strcmp(sv(cJSON_GetObjectItem(s, "verb"), "id"), VOIDED) == 0 &&
           is_type(cJSON_GetObjectItem(s, "object"), "StatementRef");
}

static int voided(int i)
{
    if (is_voiding(model[i].s))
        return 0;
    for (int j = 0; j < nids; j++)
        if (model[j].present && is_voiding(model[j].s) &&
            strcasecmp(sv(cJSON_GetObjectItem(model[j].s, "object"), "id"), ids[i]) == 0)
            return 1;
    return 0;
}

static int by_stored(const void *a, const void *b)
{
    int64_t x = model[*(const int *)a].stored, y = model[*(const int *)b].stored;
    return x < y ? -1 : x > y;
}

/* ---- comparing ------------------------------------------------------------------------------ */

static int run_query(struct stmt_store *st, const struct mq *mq, int64_t since, int64_t until,
                     int asc, size_t limit, char (*out)[SC_UUID_LEN], int *nout, int *pages)
{
    char ifi[512];
    struct stmt_query q = {0};
    char more[STMT_STORE_MORE_LEN] = "";
    int n = 0;
    if (mq->agent >= 0) {
        cJSON *a = agent(mq->agent);
        stmt_store_agent_ifi(a, ifi, sizeof ifi);
        cJSON_Delete(a);
        q.agent = ifi;
    }
    q.verb = mq->verb >= 0 ? VERBS[mq->verb] : NULL;
    q.activity = mq->act >= 0 ? ACTS[mq->act] : NULL;
    q.registration = mq->reg >= 0 ? REGS[mq->reg] : NULL;
    q.related_agents = mq->rel_agents;
    q.related_activities = mq->rel_acts;
    q.since_us = since;
    q.until_us = until;
    q.ascending = asc;
    q.limit = limit;
    *pages = 0;
    for (;;) {
        struct stmt_page page;
        int rc;
        q.cursor = more[0] ? more : NULL;
        rc = stmt_store_query(st, &q, &page);
        if (rc)
            return rc;
        (*pages)++;
        for (size_t i = 0; i < page.n && n < NSTMT * 2; i++)
            memcpy(out[n++], page.items[i].id, SC_UUID_LEN);
        snprintf(more, sizeof more, "%s", page.more);
        stmt_page_free(&page);
        if (!more[0] || *pages > NSTMT)
            break;
    }
    *nout = n;
    return 0;
}

static int check_against_model(struct stmt_store *st, int nq)
{
    static char got[NSTMT * 2][SC_UUID_LEN];
    int bad = 0, order[NSTMT];
    for (int k = 0; k < nq; k++) {
        struct mq mq = {-1, -1, -1, -1, 0, 0};
        int nexp = 0, ngot = 0, pages = 0, asc = (int)rnd(2), ok1;
        int64_t since = 0, until = 0;
        size_t limit = 1 + rnd(9);
        if (rnd(2))
            mq.agent = (int)rnd(NAGENTS);
        if (rnd(3) == 0)
            mq.verb = (int)rnd(NVERBS);
        if (rnd(3) == 0)
            mq.act = (int)rnd(NACTS);
        if (rnd(4) == 0)
            mq.reg = (int)rnd(2);
        mq.rel_agents = (int)rnd(2);
        mq.rel_acts = (int)rnd(2);
        if (rnd(3) == 0)
            since = model[rnd((unsigned)nids)].stored;
        if (rnd(3) == 0)
            until = model[rnd((unsigned)nids)].stored;
        for (int i = 0; i < nids; i++) {
            if (!model[i].present || voided(i) || !match(model[i].s, &mq, 0))
                continue;
            if ((since && model[i].stored <= since) || (until && model[i].stored > until))
                continue;
            order[nexp++] = i;
        }
        qsort(order, (size_t)nexp, sizeof order[0], by_stored);
        if (run_query(st, &mq, since, until, asc, limit, got, &ngot, &pages)) {
            bad++;
            continue;
        }
        ok1 = ngot == nexp;
        for (int i = 0; ok1 && i < nexp; i++) {
            int mi = asc ? order[i] : order[nexp - 1 - i];
            ok1 = strcasecmp(got[i], ids[mi]) == 0;
        }
        /* pages: ceil(n / limit), and one page when nothing matches */
        if (ok1 && pages != (nexp ? (int)((nexp + (int)limit - 1) / (int)limit) : 1))
            ok1 = 0;
        if (!ok1) {
            if (bad < 5)
                tap_diag("query %d (agent %d verb %d act %d reg %d rel %d/%d since %lld until "
                         "%lld asc %d limit %zu): got %d in %d pages, want %d",
                         k, mq.agent, mq.verb, mq.act, mq.reg, mq.rel_agents, mq.rel_acts,
                         (long long)since, (long long)until, asc, limit, ngot, pages, nexp);
            bad++;
        }
    }
    return bad;
}

static int load_model(struct stmt_store *st, int upto)
{
    int fails = 0;
    for (int i = 0; i < upto; i++) {
        char *json = NULL;
        int64_t stored = 0;
        if (model[i].present)
            continue;
        if (stmt_store_get(st, ids[i], 0, &json, &stored) != STMT_STORE_OK &&
            stmt_store_get(st, ids[i], 1, &json, &stored) != STMT_STORE_OK) {
            fails++;
            continue;
        }
        model[i].s = cJSON_Parse(json);
        model[i].stored = stored;
        model[i].present = 1;
        sc_free(json);
    }
    return fails;
}

static void test_model(struct stmt_store *st, int inline_mode, int nq)
{
    int i = 0, fails = 0, bad = 0, nvoid_rejected = 0;
    for (int k = 0; k < NSTMT; k++) {
        cJSON_Delete(model[k].s);
        memset(&model[k], 0, sizeof model[k]);
    }
    nids = NSTMT;
    for (int k = 0; k < NSTMT; k++)
        sc_uuid_v4(ids[k]);
    while (i < NSTMT) {
        int n = 1 + (int)rnd(8);
        cJSON *b[8];
        struct stmt_insert_result res;
        int rc;
        if (i + n > NSTMT)
            n = NSTMT - i;
        for (int j = 0; j < n; j++)
            b[j] = gen(i + j);
        rc = stmt_store_insert(st, b, (size_t)n, AUTH, &res);
        if (rc == STMT_STORE_ERR_VOID_VOIDING) {
            /* Data 2.3.2: the batch voids a voiding statement; store the others alone. */
            nvoid_rejected++;
            for (int j = 0; j < n; j++) {
                struct stmt_insert_result r1;
                int rc1 = stmt_store_insert(st, &b[j], 1, AUTH, &r1);
                if (rc1 != STMT_STORE_OK && rc1 != STMT_STORE_ERR_VOID_VOIDING)
                    fails++;
                stmt_insert_result_free(&r1);
            }
        } else if (rc != STMT_STORE_OK) {
            fails++;
        }
        stmt_insert_result_free(&res);
        for (int j = 0; j < n; j++)
            cJSON_Delete(b[j]);
        i += n;
        if (i == NSTMT / 2) {
            /* Read-your-writes (issue 12): with deferred indexing as with inline indexing,
             * queries are complete as soon as the inserts returned (the unfolded tail). */
            load_model(st, i);
            bad += check_against_model(st, nq / 3);
        }
    }
    is_int(fails, 0, "model (%s indexing): %d statements inserted in random batches",
           inline_mode ? "inline" : "deferred", NSTMT);
    tap_diag("%d batches refused for voiding a voiding statement", nvoid_rejected);
    if (!inline_mode)
        is_int(stmt_store_sync(st), STMT_STORE_OK, "sync folds the backlog");
    ok(stmt_store_consistent_through(st) >= model[nids - 1].stored || !model[nids - 1].present,
       "consistent-through covers the last statement once indexed");
    load_model(st, NSTMT);
    bad += check_against_model(st, nq);
    is_int(bad, 0, "model (%s indexing): %d random queries, paged with more, equal the model",
           inline_mode ? "inline" : "deferred", nq + nq / 3);
}

/* ---- paging under concurrent writes ---------------------------------------------------------- */

struct bg {
    struct stmt_store *st;
    atomic_int stop;
    int inserted;
};

static cJSON *simple(const char *verb)
{
    char buf[256];
    snprintf(buf, sizeof buf,
             "{\"actor\":{\"mbox\":\"mailto:p@example.org\"},\"verb\":{\"id\":\"%s\"},"
             "\"object\":{\"id\":\"http://ex.org/a/p\"}}",
             verb);
    return cJSON_Parse(buf);
}

static void *bg_main(void *arg)
{
    struct bg *g = arg;
    while (!atomic_load(&g->stop)) {
        cJSON *b[3];
        struct stmt_insert_result res;
        for (int j = 0; j < 3; j++)
            b[j] = simple("http://ex.org/v/paged");
        if (stmt_store_insert(g->st, b, 3, AUTH, &res) == STMT_STORE_OK)
            g->inserted += 3;
        stmt_insert_result_free(&res);
        for (int j = 0; j < 3; j++)
            cJSON_Delete(b[j]);
    }
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_paging_concurrent(struct stmt_store *st)
{
    static char got[4000][SC_UUID_LEN], all[8000][SC_UUID_LEN];
    struct mq none = {-1, -1, -1, -1, 0, 0};
    struct stmt_query q = {0};
    struct bg g = {st, 0, 0};
    pthread_t th;
    int n = 0, dups = 0, pages = 0;
    int64_t first_stored = 0;
    (void)none;
    for (int i = 0; i < 100; i++) {
        cJSON *s = simple("http://ex.org/v/paged");
        struct stmt_insert_result res;
        stmt_store_insert(st, &s, 1, AUTH, &res);
        stmt_insert_result_free(&res);
        cJSON_Delete(s);
    }
    stmt_store_sync(st); /* the 100 are in the first snapshot; later ones may or may not be */
    pthread_create(&th, NULL, bg_main, &g);
    q.verb = "http://ex.org/v/paged";
    q.limit = 7;
    for (int asc = 0; asc < 2; asc++) {
        char more[STMT_STORE_MORE_LEN] = "";
        int64_t prev = asc ? 0 : INT64_MAX, maxs = 0;
        int mono = 1, base = n;
        q.ascending = asc;
        do {
            struct stmt_page page;
            q.cursor = more[0] ? more : NULL;
            if (stmt_store_query(st, &q, &page) != STMT_STORE_OK)
                break;
            pages++;
            for (size_t i = 0; i < page.n && n < 4000; i++) {
                int64_t s = page.items[i].stored_us;
                if (asc ? s <= prev : s >= prev)
                    mono = 0;
                prev = s;
                if (s > maxs)
                    maxs = s;
                if (!first_stored)
                    first_stored = s;
                memcpy(got[n++], page.items[i].id, SC_UUID_LEN);
            }
            snprintf(more, sizeof more, "%s", page.more);
            stmt_page_free(&page);
            usleep(2000); /* let the writer commit between pages */
        } while (more[0]);
        ok(mono, "%s paging under writes: strictly ordered by stored",
           asc ? "ascending" : "descending");
        /* The union must equal what a query bounded by the snapshot returns now. */
        {
            struct stmt_query full = {0};
            struct stmt_page page;
            int m = 0, same;
            char more2[STMT_STORE_MORE_LEN] = "";
            full.verb = q.verb;
            full.until_us = maxs;
            full.ascending = asc;
            do {
                full.cursor = more2[0] ? more2 : NULL;
                if (stmt_store_query(st, &full, &page) != STMT_STORE_OK)
                    break;
                for (size_t i = 0; i < page.n && m < 8000; i++)
                    memcpy(all[m++], page.items[i].id, SC_UUID_LEN);
                snprintf(more2, sizeof more2, "%s", page.more);
                stmt_page_free(&page);
            } while (more2[0]);
            same = m == n - base;
            for (int i = 0; same && i < m; i++)
                same = strcmp(all[i], got[base + i]) == 0;
            ok(same && m >= 100,
               "%s paging under writes: %d results, no gap, equal to the "
               "snapshot (%d)",
               asc ? "ascending" : "descending", n - base, m);
        }
    }
    atomic_store(&g.stop, 1);
    pthread_join(th, NULL);
    ok(g.inserted > 0, "the writer thread inserted %d statements meanwhile", g.inserted);
    qsort(got, (size_t)n, SC_UUID_LEN, cmp_id);
    for (int i = 1; i < n / 2; i++)
        dups += strcmp(got[i], got[i - 1]) == 0;
    tap_diag("%d pages", pages);
}

/* Waits (up to 10 s, polling) until Consistent-Through reaches stored_us: the idle fold has
 * run. Returns 0 if it never did. A liveness bound, not a speed assertion. */
static int wait_folded(struct stmt_store *st, int64_t stored_us)
{
    for (int t = 0; t < 1000; t++) {
        if (stmt_store_consistent_through(st) >= stored_us)
            return 1;
        usleep(10000);
    }
    return 0;
}

/* G9: everything stored at or before Consistent-Through (read before the query) is in the
 * results, whether or not the deferred indexer has folded the newest statements yet. */
static void test_consistent_through(struct stmt_store *st)
{
    int violations = 0, seen_lag = 0, seen_now = 0, loose = 0, folded = 0, prev_folded = 0;
    for (int i = 0; i < 30; i++) {
        char verb[64];
        cJSON *s;
        struct stmt_insert_result res;
        struct stmt_query q = {0};
        struct stmt_page page;
        int64_t ct;
        snprintf(verb, sizeof verb, "http://ex.org/v/ct-%d", i);
        s = simple(verb);
        stmt_store_insert(st, &s, 1, AUTH, &res);
        cJSON_Delete(s);
        /* Every other insert waits for the idle fold, with no other write pending; the next
         * one then lags behind a store that is folded up to it. */
        if (i % 2)
            folded += wait_folded(st, res.stored_us);
        ct = stmt_store_consistent_through(st);
        q.verb = verb;
        if (stmt_store_query(st, &q, &page) != STMT_STORE_OK) {
            violations++;
        } else {
            if (ct >= res.stored_us && page.n != 1)
                violations++;
            seen_now += page.n == 1;
            seen_lag += ct < res.stored_us;
            /* When every earlier statement is folded (the previous iteration waited for it),
             * a lagging Consistent-Through is the time just before this one, not the last
             * folded time (G9 asks for the latest complete point). */
            loose += i % 2 == 0 && prev_folded && ct < res.stored_us && ct != res.stored_us - 1;
            stmt_page_free(&page);
        }
        prev_folded = i % 2 && ct >= res.stored_us;
        stmt_insert_result_free(&res);
    }
    is_int(violations, 0, "queries are complete up to Consistent-Through (G9)");
    is_int(loose, 0, "a lagging Consistent-Through is the time just before the oldest unfolded");
    is_int(folded, 15, "an idle writer folds without another write to push it");
    ok(seen_now >= 15, "folded statements are found at once (%d of 30)", seen_now);
    tap_diag("%d of 30 inserts visible at once, %d with Consistent-Through behind", seen_now,
             seen_lag);
}

/* Read-your-writes with a StatementRef whose target comes last (G5): the referrer is folded
 * first; once the target is acknowledged a query by the target's verb returns both. */
static void test_late_target(struct stmt_store *st)
{
    char tid[SC_UUID_LEN], rid[SC_UUID_LEN];
    cJSON *r = simple("http://ex.org/v/refers"), *t = simple("http://ex.org/v/late-target");
    struct stmt_insert_result res;
    struct stmt_query q = {0};
    struct stmt_page page;
    sc_uuid_v4(tid);
    sc_uuid_v4(rid);
    cJSON_AddStringToObject(t, "id", tid);
    cJSON_AddStringToObject(r, "id", rid);
    cJSON_ReplaceItemInObject(r, "object",
                              cJSON_Parse("{\"objectType\":\"StatementRef\",\"id\":\"x\"}"));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(r, "object"), "id", cJSON_CreateString(tid));
    is_int(stmt_store_insert(st, &r, 1, AUTH, &res), STMT_STORE_OK, "referrer stored first");
    stmt_insert_result_free(&res);
    stmt_store_sync(st);
    is_int(stmt_store_insert(st, &t, 1, AUTH, &res), STMT_STORE_OK, "then its target");
    stmt_insert_result_free(&res);
    q.verb = "http://ex.org/v/late-target";
    is_int(stmt_store_query(st, &q, &page), STMT_STORE_OK, "query by the target's verb at once");
    ok(page.n == 2 && !strcmp(page.items[0].id, tid) && !strcmp(page.items[1].id, rid),
       "both the target and its earlier referrer are found (%zu)", page.n);
    stmt_page_free(&page);
    cJSON_Delete(r);
    cJSON_Delete(t);
}

/* page holds exactly the ids a, b, c (any order) */
static int page_has3(const struct stmt_page *p, const char *a, const char *b, const char *c)
{
    int seen = 0;
    for (size_t i = 0; i < p->n; i++) {
        const char *id = p->items[i].id;
        seen |= (strcmp(id, a) == 0) | (strcmp(id, b) == 0) << 1 | (strcmp(id, c) == 0) << 2;
    }
    return p->n == 3 && seen == 7;
}

/* The same in one batch: r1 refers to t, r2 to r1, t comes last. The group's records are
 * written before its fold, so r1 and r2 take t's terms through their chain (chain_terms), and
 * t's fold finds them as referrers (PostgreSQL: one stmt_db_seek_many per read-ahead batch;
 * test_late_target above is the case where only that finds them): a query by t's verb returns
 * all three at once (G5). */
static void test_late_target_batch(struct stmt_store *st)
{
    char tid[SC_UUID_LEN], r1id[SC_UUID_LEN], r2id[SC_UUID_LEN];
    cJSON *b[4] = {simple("http://ex.org/v/refers-1"), simple("http://ex.org/v/refers-2"),
                   simple("http://ex.org/v/batch-target"), simple("http://ex.org/v/bystander")};
    struct stmt_insert_result res;
    struct stmt_query q = {0};
    struct stmt_page page;
    sc_uuid_v4(tid);
    sc_uuid_v4(r1id);
    sc_uuid_v4(r2id);
    cJSON_AddStringToObject(b[0], "id", r1id);
    cJSON_AddStringToObject(b[1], "id", r2id);
    cJSON_AddStringToObject(b[2], "id", tid);
    for (int i = 0; i < 2; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "objectType", "StatementRef");
        cJSON_AddStringToObject(o, "id", i == 0 ? tid : r1id);
        cJSON_ReplaceItemInObject(b[i], "object", o);
    }
    is_int(stmt_store_insert(st, b, 4, AUTH, &res), STMT_STORE_OK,
           "one batch: two referrers, then their target");
    stmt_insert_result_free(&res);
    q.verb = "http://ex.org/v/batch-target";
    is_int(stmt_store_query(st, &q, &page), STMT_STORE_OK, "query by the target's verb at once");
    ok(page_has3(&page, tid, r1id, r2id), "the target and both referrers of its batch (%zu)",
       page.n);
    stmt_page_free(&page);
    for (int i = 0; i < 4; i++)
        cJSON_Delete(b[i]);
}

static void test_cursor(struct stmt_store *st, char saved[STMT_STORE_MORE_LEN])
{
    struct stmt_query q = {0};
    struct stmt_page page, p2;
    char more[STMT_STORE_MORE_LEN];
    q.verb = "http://ex.org/v/paged";
    q.limit = 5;
    is_int(stmt_store_query(st, &q, &page), STMT_STORE_OK, "first page");
    is_int(page.n, 5, "five items");
    ok(page.more[0] != '\0', "more cursor given");
    ok(strlen(page.more) < 120, "cursor is short (%zu chars)", strlen(page.more));
    snprintf(more, sizeof more, "%s", page.more);
    snprintf(saved, STMT_STORE_MORE_LEN, "%s", page.more);
    q.cursor = more;
    is_int(stmt_store_query(st, &q, &p2), STMT_STORE_OK, "second page");
    ok(p2.n == 5 && p2.items[0].stored_us < page.items[4].stored_us,
       "second page continues after the first");
    stmt_page_free(&p2);
    stmt_page_free(&page);

    more[10] = more[10] == 'a' ? 'b' : 'a';
    is_int(stmt_store_query(st, &q, &p2), STMT_STORE_ERR_CURSOR, "tampered cursor rejected");
    more[10] = saved[10];
    more[strlen(more) - 1] = more[strlen(more) - 1] == '0' ? '1' : '0';
    is_int(stmt_store_query(st, &q, &p2), STMT_STORE_ERR_CURSOR, "altered MAC rejected");
    snprintf(more, sizeof more, "%s", saved);
    q.limit = 6;
    is_int(stmt_store_query(st, &q, &p2), STMT_STORE_ERR_CURSOR,
           "cursor used with another query rejected");
    q.limit = 5;
    q.cursor = "zz";
    is_int(stmt_store_query(st, &q, &p2), STMT_STORE_ERR_CURSOR, "garbage cursor rejected");

    /* limit 0 = server maximum (opened with max_limit 50) */
    q.cursor = NULL;
    q.limit = 0;
    is_int(stmt_store_query(st, &q, &p2), STMT_STORE_OK, "limit 0");
    is_int(p2.n, 50, "limit 0 gives the server maximum");
    stmt_page_free(&p2);
    q.limit = 100000;
    is_int(stmt_store_query(st, &q, &p2), STMT_STORE_OK, "huge limit");
    is_int(p2.n, 50, "capped to the server maximum");
    stmt_page_free(&p2);
    q.verb = "http://ex.org/v/never";
    is_int(stmt_store_query(st, &q, &p2), STMT_STORE_OK, "no match");
    ok(p2.n == 0 && p2.more[0] == '\0', "no match: empty page, no more");
    stmt_page_free(&p2);
}

int main(void)
{
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    struct stmt_store_opts opts = {50, 0, 0, 0, 7, 0} /* epochs of 7: every query crosses many */;
    char dir[256], err[256], saved[STMT_STORE_MORE_LEN], url[512] = "";
    const char *be = getenv("SCOLAR_TEST_BACKEND");
    int pg = be && strcmp(be, "pg") == 0;

    snprintf(dir, sizeof dir, "/tmp/scolar-test-query-%d", (int)getpid());
    rm_rf(dir);
    /* SCOLAR_TEST_BACKEND=pg (test_stmt_query_pg): a fresh PostgreSQL database, where the
     * store always indexes inline (issue 19); the deferred indexer's Consistent-Through case
     * is LMDB's (test_stmt_store_pg checks it across two nodes). */
    if (pg && pgtu_fresh_url(url, sizeof url)) {
        ok(0, "a fresh database on SCOLAR_TEST_PG");
        return tap_done();
    }
    tap_diag("backend: %s", pg ? "PostgreSQL" : "LMDB");
    if (!ok(stmt_db_open_url(pg ? url : dir, dir, &db, err, sizeof err) == STMT_DB_OK, "open db %s",
            err))
        return tap_done();
    is_int(stmt_store_open(db, &opts, &st), STMT_STORE_OK, "open store (deferred indexing)");
    test_model(st, pg, pg ? 100 : 300);
    test_paging_concurrent(st);
    if (!pg)
        test_consistent_through(st);
    test_late_target(st);
    test_late_target_batch(st);
    stmt_store_sync(st);
    test_cursor(st, saved);
    stmt_store_close(st);
    stmt_db_close(db);
    is_int(stmt_db_open_url(pg ? url : dir, dir, &db, err, sizeof err), STMT_DB_OK, "reopen");
    is_int(stmt_store_open(db, &opts, &st), STMT_STORE_OK, "reopen store");
    {
        struct stmt_query q = {0};
        struct stmt_page p;
        q.verb = "http://ex.org/v/paged";
        q.limit = 5;
        q.cursor = saved;
        is_int(stmt_store_query(st, &q, &p), STMT_STORE_OK, "cursor still valid after reopen");
        is_int(p.n, 5, "and gives the next page");
        stmt_page_free(&p);
    }
    stmt_store_close(st);
    stmt_db_close(db);
    rm_rf(dir);
    if (pg) {
        for (int i = 0; i < NSTMT; i++)
            cJSON_Delete(model[i].s);
        return tap_done();
    }

    /* The same model check with index entries written in the commit itself. */
    opts.index_inline = 1;
    is_int(stmt_db_open(dir, &db, err, sizeof err), STMT_DB_OK, "open db for inline indexing");
    is_int(stmt_store_open(db, &opts, &st), STMT_STORE_OK, "open store (inline indexing)");
    test_model(st, 1, 150);
    stmt_store_close(st);
    stmt_db_close(db);
    for (int i = 0; i < NSTMT; i++)
        cJSON_Delete(model[i].s);
    rm_rf(dir);
    return tap_done();
}
