/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_report: activity report tallies against a naive model computed from the statements
 * the test sent (SQLite's bitvec self-test pattern): after inserts in batches, after voiding
 * (a voiding statement after its target and one before it), with deferred and inline
 * indexing, across small fold epochs, after a reopen, after a reindex, through the windowed
 * path, and under allocation failure injection while reading. SCOLAR_TEST_BACKEND=pg
 * (test_stmt_report_pg): on a fresh PostgreSQL database per run (issue 19), where the store
 * always indexes inline and has no reindex.
 */
#include "statements/stmt_report.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "common/tap.h"
#include "statements/tests/pg_test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUTH "{\"objectType\":\"Agent\",\"name\":\"lrs\",\"mbox\":\"mailto:lrs@example.org\"}"
#define ADL "http://adlnet.gov/expapi/verbs/"
#define NACT 3
#define NACTORS 14 /* the last two only in the lone-actor voiding case */
#define NQ 4
#define NSTMT 400

static const char *const verbs[] = {ADL "experienced", ADL "completed", ADL "passed",
                                    ADL "failed",      ADL "answered",  ADL "attempted"};
#define NVERBS 6

/* The model's view of one statement. */
struct ms {
    char id[SC_UUID_LEN];
    int actor, verb, obj; /* obj: activity index, or NACT + q for question q */
    int ctx[NACT];        /* activity in context activities */
    int has_score;
    double scaled;
    int completion, success;
    int resp;
    int voided;
};

static struct ms model[NSTMT + 8];
static size_t nmodel;
static uint64_t seed = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned)(seed % n);
}

static void act_iri(int a, char *out, size_t n)
{
    if (a < NACT)
        snprintf(out, n, "http://example.org/course/%d", a);
    else
        snprintf(out, n, "http://example.org/question/%d", a - NACT);
}

static cJSON *build(const struct ms *m)
{
    char buf[2048], obj[128], ctx[512] = "", res[256] = "";
    size_t off = 0;
    act_iri(m->obj, obj, sizeof obj);
    for (int a = 0; a < NACT; a++) {
        char iri[128];
        if (!m->ctx[a])
            continue;
        act_iri(a, iri, sizeof iri);
        off +=
            (size_t)snprintf(ctx + off, sizeof ctx - off, "%s{\"id\":\"%s\"}", off ? "," : "", iri);
    }
    {
        size_t r = 0;
        r += (size_t)snprintf(res + r, sizeof res - r, "\"success\":%s,\"completion\":%s",
                              m->success ? "true" : "false", m->completion ? "true" : "false");
        if (m->has_score)
            r += (size_t)snprintf(res + r, sizeof res - r, ",\"score\":{\"scaled\":%.2f}",
                                  m->scaled);
        if (m->resp >= 0)
            snprintf(res + r, sizeof res - r, ",\"response\":\"choice-%d\"", m->resp);
    }
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"actor\":{\"mbox\":\"mailto:learner%d@example.org\"},"
             "\"verb\":{\"id\":\"%s\"},\"object\":{\"id\":\"%s\"%s},\"result\":{%s}"
             "%s%s%s}",
             m->id, m->actor, verbs[m->verb], obj,
             m->obj >= NACT ? ",\"definition\":{\"type\":\"http://adlnet.gov/expapi/activities/"
                              "cmi.interaction\",\"name\":{\"en-US\":\"Question\"}}"
                            : "",
             res, off ? ",\"context\":{\"contextActivities\":{\"parent\":[" : "", ctx,
             off ? "]}}" : "");
    return cJSON_Parse(buf);
}

static void gen(struct ms *m)
{
    memset(m, 0, sizeof *m);
    sc_uuid_v4(m->id);
    m->actor = (int)rnd(NACTORS - 2);
    m->verb = (int)rnd(NVERBS);
    m->resp = -1;
    if (rnd(4) == 0) {
        /* a question inside one or two activities */
        m->obj = NACT + (int)rnd(NQ);
        m->verb = 4;
        m->ctx[rnd(NACT)] = 1;
        if (rnd(3) == 0)
            m->ctx[rnd(NACT)] = 1;
        m->resp = (int)rnd(3);
        m->success = m->resp == 0;
    } else {
        m->obj = (int)rnd(NACT);
        if (rnd(5) == 0)
            m->ctx[(m->obj + 1) % NACT] = 1; /* another activity only in context */
        m->success = (int)rnd(2);
        m->completion = rnd(6) == 0;
        if (rnd(2)) {
            m->has_score = 1;
            m->scaled = (double)rnd(101) / 100.0;
        }
    }
}

/* The model's report of activity a, compared member by member with the store's. */
static void check(struct stmt_store *st, int a, const char *what, int64_t since, int64_t until)
{
    char iri[128];
    cJSON *rep = NULL;
    long statements = 0, actors = 0, completed = 0, passed = 0, failed = 0;
    int seen[NACTORS] = {0}, comp[NACTORS] = {0}, pf[NACTORS] = {0};
    long vcount[NVERBS] = {0}, sc_n = 0, hist[10] = {0};
    long q_att[NQ] = {0}, q_ok[NQ] = {0}, q_resp[NQ][3] = {{0}};
    double sum = 0, mn = 2, mx = -2;
    int okall = 1;

    for (size_t i = 0; i < nmodel; i++) {
        const struct ms *m = &model[i];
        if (m->voided || !(m->obj == a || m->ctx[a]))
            continue;
        statements++;
        seen[m->actor] = 1;
        vcount[m->verb]++;
        if (m->obj == a) {
            if (m->verb == 1 || m->completion)
                comp[m->actor] = 1;
            if (m->verb == 2 || m->verb == 3)
                pf[m->actor] = m->verb == 2 ? 1 : 2;
            if (m->has_score) {
                int bin = (int)floor(m->scaled * 10 + 1e-9);
                sc_n++;
                sum += m->scaled;
                mn = m->scaled < mn ? m->scaled : mn;
                mx = m->scaled > mx ? m->scaled : mx;
                hist[bin < 0 ? 0 : bin > 9 ? 9 : bin]++;
            }
        } else if (m->obj >= NACT) {
            int q = m->obj - NACT;
            q_att[q]++;
            q_ok[q] += m->success;
            q_resp[q][m->resp]++;
        }
    }
    for (int i = 0; i < NACTORS; i++) {
        actors += seen[i];
        completed += comp[i];
        passed += pf[i] == 1;
        failed += pf[i] == 2;
    }
    act_iri(a, iri, sizeof iri);
    if (stmt_report_activity(st, iri, since, until, &rep) != STMT_STORE_OK) {
        ok(0, "%s: report of %s", what, iri);
        return;
    }
#define NUM(o, k) cJSON_GetNumberValue(cJSON_GetObjectItem((o), (k)))
#define SAME(k, v)                                                                                 \
    do {                                                                                           \
        if ((long)NUM(rep, k) != (v)) {                                                            \
            tap_diag("%s %s: %s = %ld, model %ld", what, iri, k, (long)NUM(rep, k), (long)(v));    \
            okall = 0;                                                                             \
        }                                                                                          \
    } while (0)
    SAME("statements", statements);
    SAME("actors", actors);
    SAME("completed", completed);
    SAME("passed", passed);
    SAME("failed", failed);
    {
        cJSON *sc = cJSON_GetObjectItem(rep, "score"), *h = cJSON_GetObjectItem(sc, "histogram");
        if ((long)NUM(sc, "count") != sc_n || cJSON_GetArraySize(h) != 10) {
            tap_diag("%s: score count %ld, model %ld", what, (long)NUM(sc, "count"), sc_n);
            okall = 0;
        }
        for (int i = 0; i < 10 && cJSON_GetArraySize(h) == 10; i++)
            if ((long)cJSON_GetNumberValue(cJSON_GetArrayItem(h, i)) != hist[i]) {
                tap_diag("%s: histogram[%d] %ld, model %ld", what, i,
                         (long)cJSON_GetNumberValue(cJSON_GetArrayItem(h, i)), hist[i]);
                okall = 0;
            }
        if (sc_n && (fabs(NUM(sc, "mean") - sum / (double)sc_n) > 1e-9 || NUM(sc, "min") != mn ||
                     NUM(sc, "max") != mx)) {
            tap_diag("%s: mean/min/max", what);
            okall = 0;
        }
    }
    {
        cJSON *v;
        long total = 0, prev = -1;
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(rep, "verbs"))
        {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(v, "id"));
            long c = (long)NUM(v, "count"), want = -1;
            for (int i = 0; i < NVERBS; i++)
                if (id && !strcmp(id, verbs[i]))
                    want = vcount[i];
            if (c != want || (prev >= 0 && c > prev)) {
                tap_diag("%s: verb %s %ld, model %ld (or out of order)", what, id, c, want);
                okall = 0;
            }
            prev = c;
            total += c;
        }
        if (total != statements) {
            tap_diag("%s: verbs sum %ld != statements %ld", what, total, statements);
            okall = 0;
        }
    }
    {
        cJSON *q;
        int nq = 0, want_nq = 0;
        for (int i = 0; i < NQ; i++)
            want_nq += q_att[i] > 0;
        cJSON_ArrayForEach(q, cJSON_GetObjectItem(rep, "questions"))
        {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(q, "id"));
            int qi = id ? atoi(strrchr(id, '/') + 1) : 0;
            cJSON *r;
            nq++;
            if ((long)NUM(q, "attempts") != q_att[qi] || (long)NUM(q, "correct") != q_ok[qi] ||
                strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(q, "name")), "Question")) {
                tap_diag("%s: question %d attempts %ld/%ld correct %ld/%ld", what, qi,
                         (long)NUM(q, "attempts"), q_att[qi], (long)NUM(q, "correct"), q_ok[qi]);
                okall = 0;
            }
            cJSON_ArrayForEach(r, cJSON_GetObjectItem(q, "responses"))
            {
                const char *rs = cJSON_GetStringValue(cJSON_GetObjectItem(r, "response"));
                int ri = rs ? atoi(rs + 7) : 0;
                if ((long)NUM(r, "count") != q_resp[qi][ri]) {
                    tap_diag("%s: question %d response %d", what, qi, ri);
                    okall = 0;
                }
            }
        }
        if (nq != want_nq) {
            tap_diag("%s: %d questions, model %d", what, nq, want_nq);
            okall = 0;
        }
    }
    {
        cJSON *d;
        long total = 0;
        cJSON_ArrayForEach(d, cJSON_GetObjectItem(rep, "by_day")) total +=
            (long)NUM(d, "statements");
        if (total != statements) {
            tap_diag("%s: by_day sum %ld", what, total);
            okall = 0;
        }
    }
    ok(okall, "%s: report of activity %d matches the model (%ld statements)", what, a, statements);
    cJSON_Delete(rep);
}

static void check_all(struct stmt_store *st, const char *what)
{
    int64_t now = sc_time_now_us();
    stmt_store_sync(st);
    for (int a = 0; a < NACT; a++)
        check(st, a, what, 0, 0);
    /* The windowed path (pair keys, pass/fail keys) over a window holding everything. */
    check(st, 0, "windowed", 1, now + 10 * STMT_REPORT_DAY_US);
    (void)now;
}

static void insert_batch(struct stmt_store *st, size_t from, size_t to)
{
    cJSON *b[NSTMT + 8];
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        b[n++] = build(&model[i]);
    if (stmt_store_insert(st, b, n, AUTH, NULL) != STMT_STORE_OK)
        ok(0, "insert batch %zu..%zu", from, to);
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(b[i]);
}

static void void_one(struct stmt_store *st, const char *target)
{
    char buf[512];
    cJSON *s;
    /* a statement id: 36 characters (%.64s keeps gcc's format-truncation check quiet) */
    snprintf(buf, sizeof buf,
             "{\"actor\":{\"mbox\":\"mailto:admin@example.org\"},\"verb\":{\"id\":\"" ADL
             "voided\"},\"object\":{\"objectType\":\"StatementRef\",\"id\":\"%.64s\"}}",
             target);
    s = cJSON_Parse(buf);
    if (stmt_store_insert(st, &s, 1, AUTH, NULL) != STMT_STORE_OK)
        ok(0, "void %s", target);
    cJSON_Delete(s);
}

static char pg_url[512]; /* the run's PostgreSQL database, or "" for LMDB in dir */

static int open_store(const char *dir, const struct stmt_store_opts *o, struct stmt_db **db,
                      struct stmt_store **st)
{
    char err[256] = "";
    int rc = stmt_db_open_url(pg_url[0] ? pg_url : dir, dir, db, err, sizeof err);
    if (rc || (rc = stmt_store_open(*db, o, st))) {
        ok(0, "open store: %d %s", rc, err);
        return -1;
    }
    return 0;
}

static void run(const char *dir, int inline_idx)
{
    struct stmt_store_opts o = {.index_inline = inline_idx, .epoch_size = 37, .fold_min = 50};
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    char cmd[512], what[64], unknown_id[SC_UUID_LEN];
    cJSON *rep = NULL;

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        tap_diag("cleanup failed");
    nmodel = 0;
    if (pg_url[0] && pgtu_fresh_url(pg_url, sizeof pg_url)) {
        ok(0, "a fresh database on SCOLAR_TEST_PG");
        return;
    }
    if (open_store(dir, &o, &db, &st))
        return;

    /* Unknown activity: zeros and empty lists. */
    ok(stmt_report_activity(st, "http://example.org/none", 0, 0, &rep) == STMT_STORE_OK &&
           cJSON_GetNumberValue(cJSON_GetObjectItem(rep, "statements")) == 0 &&
           cJSON_GetArraySize(cJSON_GetObjectItem(rep, "verbs")) == 0 &&
           cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "score"), "mean")),
       "unknown activity: zeros");
    cJSON_Delete(rep);

    for (size_t i = 0; i < NSTMT / 2; i++)
        gen(&model[nmodel++]);
    for (size_t i = 0; i < nmodel; i += 25) {
        insert_batch(st, i, i + 25 < nmodel ? i + 25 : nmodel);
        if (getenv("SCOLAR_REPORT_DAY_US"))
            usleep(150000);
    }
    snprintf(what, sizeof what, "%s, after inserts", inline_idx ? "inline" : "deferred");
    check_all(st, what);

    /* Voiding: ten statements after they were counted, including pass/fail ones. */
    for (size_t i = 0, n = 0; i < nmodel && n < 10; i += 7) {
        model[i].voided = 1;
        void_one(st, model[i].id);
        n++;
    }
    /* Lone actors: one completion and one pass each, then voided: the actor leaves the
     * activity's actors, completed and passed (the bitmaps are cleared after a recheck). */
    for (int a = NACTORS - 2; a < NACTORS; a++) {
        gen(&model[nmodel]);
        model[nmodel].actor = a;
        model[nmodel].obj = 1;
        model[nmodel].verb = a == NACTORS - 2 ? 1 : 2; /* completed / passed */
        model[nmodel].has_score = 1; /* the lowest and the highest score of activity 1 */
        model[nmodel].scaled = a == NACTORS - 2 ? -0.5 : 1.0;
        memset(model[nmodel].ctx, 0, sizeof model[nmodel].ctx);
        model[nmodel].ctx[2] = 1;
        insert_batch(st, nmodel, nmodel + 1);
        nmodel++;
    }
    check_all(st, "lone actors added");
    for (size_t i = nmodel - 2; i < nmodel; i++) {
        model[i].voided = 1;
        void_one(st, model[i].id);
    }
    check_all(st, "lone actors voided");

    /* A voiding statement that arrives before its target: the target is never counted. */
    gen(&model[nmodel]);
    model[nmodel].obj = 0;
    model[nmodel].verb = 2; /* passed */
    model[nmodel].voided = 1;
    memcpy(unknown_id, model[nmodel].id, SC_UUID_LEN);
    void_one(st, unknown_id);
    insert_batch(st, nmodel, nmodel + 1);
    nmodel++;
    snprintf(what, sizeof what, "%s, after voiding", inline_idx ? "inline" : "deferred");
    check_all(st, what);

    {
        size_t from = nmodel;
        for (size_t i = 0; i < NSTMT / 2 - 1; i++)
            gen(&model[nmodel++]);
        insert_batch(st, from, nmodel);
    }
    snprintf(what, sizeof what, "%s, more inserts", inline_idx ? "inline" : "deferred");
    check_all(st, what);

    if (getenv("SCOLAR_REPORT_DAY_US")) {
        int rc = stmt_report_activity(st, "http://example.org/course/0", 0, 0, &rep);
        int days = rc ? -1 : cJSON_GetArraySize(cJSON_GetObjectItem(rep, "by_day"));
        ok(days > 2, "short days: the statements span %d days", days);
        cJSON_Delete(rep);
    }

    /* A window in the past: nothing. */
    ok(stmt_report_activity(st, "http://example.org/course/0", 86400000000LL, 2 * 86400000000LL,
                            &rep) == STMT_STORE_OK &&
           cJSON_GetNumberValue(cJSON_GetObjectItem(rep, "statements")) == 0 &&
           cJSON_GetArraySize(cJSON_GetObjectItem(rep, "by_day")) == 0,
       "a window in 1970 holds nothing");
    cJSON_Delete(rep);

    /* Allocation failures while reading: an error or a report, never a crash or a leak. */
    {
        int errors = 0, oks = 0;
        int runs = 0;
        for (long n = 0; n < 20000; n += 61, runs++) {
            int rc;
            rep = NULL;
            sc_alloc_fail_after(n);
            rc = stmt_report_activity(st, "http://example.org/course/1", 0, 0, &rep);
            sc_alloc_fail_after(-1);
            if (rc == STMT_STORE_OK)
                oks++;
            else if (rc == STMT_STORE_ERR_NOMEM)
                errors++;
            cJSON_Delete(rep);
        }
        ok(errors > 0 && oks > 0 && errors + oks == runs,
           "allocation failures: %d errors, %d reports", errors, oks);
    }

    /* Persisted: the same after a reopen, and after a reindex (tallies rebuilt). */
    stmt_store_close(st);
    stmt_db_close(db);
    if (open_store(dir, &o, &db, &st))
        return;
    snprintf(what, sizeof what, "%s, reopened", inline_idx ? "inline" : "deferred");
    check_all(st, what);
    stmt_store_close(st);
    stmt_db_close(db);
    if (pg_url[0]) { /* no reindex on PostgreSQL (the store indexes inline) */
        if (system(cmd) != 0)
            tap_diag("cleanup failed");
        return;
    }
    o.reindex = 1;
    if (open_store(dir, &o, &db, &st))
        return;
    snprintf(what, sizeof what, "%s, reindexed", inline_idx ? "inline" : "deferred");
    check_all(st, what);
    stmt_store_close(st);
    stmt_db_close(db);
    if (system(cmd) != 0)
        tap_diag("cleanup failed");
}

int main(void)
{
    char dir[256];
    sc_alloc_init_cjson();
    snprintf(dir, sizeof dir, "/tmp/scolar-test-report-%d", (int)getpid());
    if (getenv("SCOLAR_TEST_BACKEND") && strcmp(getenv("SCOLAR_TEST_BACKEND"), "pg") == 0)
        snprintf(pg_url, sizeof pg_url, "pg"); /* each run takes a fresh database */
    tap_diag("backend: %s", pg_url[0] ? "PostgreSQL" : "LMDB");
    if (!pg_url[0])
        run(dir, 0);
    run(dir, 1);
    /* Days of 0.5 s (the shortest that keeps day numbers in 32 bits): statements cross many days,
     * earlier days are archived per actor, and voiding reaches into archived days. */
    setenv("SCOLAR_REPORT_DAY_US", "500000", 1);
    run(dir, 0);
    return tap_done();
}
