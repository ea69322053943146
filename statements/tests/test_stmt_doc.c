/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stmt_doc / stmt_activity: put/get round trips with ETags (Comm 3.1), preconditions (412,
 * 409), POST merge and its refusals (Comm 2.2), id lists with since, delete one / all, context
 * separation, long identifiers, the map growing under writes, a randomized run against a naive
 * reference model, and Activity / Person merging.
 */
#include "statements/stmt_doc.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/tap.h"
#include "statements/stmt_db.h"
#include "statements/tests/pg_test_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void rm_rf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        tap_diag("cleanup of %s failed", d);
}

static void sha1_etag(const char *s, size_t n, char out[STMT_DOC_ETAG_LEN])
{
    unsigned char sha[20];
    char hex[41];
    sc_sha1(s, n, sha);
    sc_hex(sha, sizeof sha, hex);
    snprintf(out, STMT_DOC_ETAG_LEN, "\"%s\"", hex);
}

/* The stored content of (ctx,id) as an owned string, or NULL when absent. */
static char *content_of(struct stmt_db *db, const struct stmt_doc_ctx *c, const char *id)
{
    struct stmt_doc d;
    char *s;
    memset(&d, 0, sizeof d);
    if (stmt_doc_get(db, c, id, &d))
        return NULL;
    s = sc_strdup(d.content);
    stmt_doc_free(&d);
    return s;
}

static int content_is(struct stmt_db *db, const struct stmt_doc_ctx *c, const char *id,
                      const char *want)
{
    char *s = content_of(db, c, id);
    int eq = want ? (s && !strcmp(s, want)) : s == NULL;
    if (!eq)
        tap_diag("content of %s: got %s want %s", id, s ? s : "(absent)", want ? want : "(absent)");
    sc_free(s);
    return eq;
}

static char *ids_str(struct stmt_db *db, const struct stmt_doc_ctx *c, int64_t since,
                     int64_t *newest)
{
    cJSON *ids = NULL;
    char *s;
    if (stmt_doc_list(db, c, since, &ids, newest))
        return NULL;
    s = cJSON_PrintUnformatted(ids);
    cJSON_Delete(ids);
    return s;
}

static void test_basic(struct stmt_db *db)
{
    struct stmt_doc_ctx st = {STMT_DOC_STATE, "http://ex.com/a", "mbox:mailto:a@ex.com", NULL};
    struct stmt_doc_ctx st_reg = {STMT_DOC_STATE, "http://ex.com/a", "mbox:mailto:a@ex.com",
                                  "9e8a6bd6-7e40-4f0f-9a3b-2d4b0fd7b5a1"};
    struct stmt_doc_ctx ap = {STMT_DOC_ACTIVITY_PROFILE, "http://ex.com/a", NULL, NULL};
    struct stmt_doc_ctx gp = {STMT_DOC_AGENT_PROFILE, NULL, "mbox:mailto:a@ex.com", NULL};
    struct stmt_doc_cond none = {NULL, NULL, 0}, prof = {NULL, NULL, 1};
    struct stmt_doc d;
    struct stmt_diag diag;
    char etag[STMT_DOC_ETAG_LEN], want[STMT_DOC_ETAG_LEN], *s;
    int64_t newest = 0;

    memset(&d, 0, sizeof d);
    is_int(stmt_doc_get(db, &st, "s1", &d), STMT_DOC_ERR_NOTFOUND, "absent document");
    is_int(stmt_doc_put(db, &st, "s1", "hello", 5, "text/plain", &none, NULL, 1000, NULL),
           STMT_DOC_OK, "put state");
    is_int(stmt_doc_get(db, &st, "s1", &d), STMT_DOC_OK, "get state");
    is_int((long long)d.len, 5, "length");
    is_str(d.content, "hello", "content round trip");
    is_str(d.content_type, "text/plain", "content type kept");
    sha1_etag("hello", 5, want);
    is_str(d.etag, want, "ETag = quoted lowercase SHA-1 of the bytes");
    is_int(d.updated_us, 1000, "updated time");
    snprintf(etag, sizeof etag, "%s", d.etag);
    stmt_doc_free(&d);

    /* the same id in other contexts is another document */
    ok(content_is(db, &st_reg, "s1", NULL), "registration separates state");
    ok(content_is(db, &ap, "s1", NULL), "activity profile is another kind");
    ok(content_is(db, &gp, "s1", NULL), "agent profile is another kind");

    /* preconditions */
    {
        struct stmt_doc_cond bad = {"\"1111111111111111111111111111111111111111\"", NULL, 0};
        struct stmt_doc_cond good = {etag, NULL, 0};
        struct stmt_doc_cond star_none = {NULL, "*", 0};
        struct stmt_doc_cond list = {NULL, NULL, 0};
        char both[200];
        is_int(stmt_doc_put(db, &st, "s1", "x", 1, "text/plain", &bad, NULL, 2000, NULL),
               STMT_DOC_ERR_PRECONDITION, "If-Match mismatch → precondition");
        ok(content_is(db, &st, "s1", "hello"), "unchanged after refused If-Match");
        is_int(stmt_doc_put(db, &st, "s1", "x", 1, "text/plain", &star_none, NULL, 2000, NULL),
               STMT_DOC_ERR_PRECONDITION, "If-None-Match: * on existing → precondition");
        ok(content_is(db, &st, "s1", "hello"), "unchanged after refused If-None-Match");
        snprintf(both, sizeof both, "\"abc\", %s", etag);
        list.if_match = both;
        is_int(stmt_doc_put(db, &st, "s1", "world", 5, "text/plain", &list, NULL, 3000, NULL),
               STMT_DOC_OK, "If-Match list containing the ETag");
        ok(content_is(db, &st, "s1", "world"), "replaced");
        is_int(stmt_doc_put(db, &st, "s1", "x", 1, NULL, &good, NULL, 4000, NULL),
               STMT_DOC_ERR_PRECONDITION, "stale ETag after a change → precondition");
        is_int(stmt_doc_put(db, &st, "s9", "x", 1, NULL, &good, NULL, 4000, NULL),
               STMT_DOC_ERR_PRECONDITION, "If-Match on an absent document → precondition");
        ok(content_is(db, &st, "s9", NULL), "absent stays absent");
        is_int(stmt_doc_put(db, &st, "s9", "x", 1, NULL, &star_none, NULL, 4000, NULL), STMT_DOC_OK,
               "If-None-Match: * creates");
        is_int(stmt_doc_get(db, &st, "s9", &d), STMT_DOC_OK, "created");
        is_str(d.content_type, "application/octet-stream", "default content type");
        stmt_doc_free(&d);
    }

    /* 409 only where a header is required (profile PUT) */
    is_int(stmt_doc_put(db, &ap, "p", "{\"a\":1}", 7, "application/json", &prof, NULL, 5000, NULL),
           STMT_DOC_ERR_NO_HEADER, "profile PUT without headers on an absent document");
    ok(content_is(db, &ap, "p", NULL), "not created");
    is_int(
        stmt_doc_post(db, &ap, "p", "{\"a\":1}[", 8, "application/json", &none, NULL, 5000, NULL),
        STMT_DOC_ERR_MERGE, "POST of invalid JSON as application/json, absent document");
    ok(content_is(db, &ap, "p", NULL), "not created");
    is_int(stmt_doc_post(db, &ap, "p", "{\"a\":1}", 7, "application/json", &none, NULL, 5000, NULL),
           STMT_DOC_OK, "profile POST creates without headers");
    memset(&diag, 0, sizeof diag);
    is_int(stmt_doc_put(db, &ap, "p", "{\"a\":2}", 7, "application/json", &prof, NULL, 5000, &diag),
           STMT_DOC_ERR_CONFLICT, "profile PUT on existing without headers → conflict");
    ok(strstr(diag.msg, "If-Match") != NULL, "conflict message tells to use If-Match: %s",
       diag.msg);
    ok(content_is(db, &ap, "p", "{\"a\":1}"), "unchanged after conflict");
    is_int(stmt_doc_put(db, &st, "s1", "again", 5, NULL, &none, NULL, 5000, NULL), STMT_DOC_OK,
           "state PUT without headers overwrites (Comm 3.1 exemption)");

    /* POST merge */
    is_int(stmt_doc_post(db, &ap, "p", "{\"b\":{\"c\":1},\"a\":3}", 19,
                         "application/json; "
                         "charset=utf-8",
                         &none, NULL, 6000, NULL),
           STMT_DOC_OK, "merge");
    ok(content_is(db, &ap, "p", "{\"a\":3,\"b\":{\"c\":1}}"), "top-level properties merged");
    is_int(stmt_doc_post(db, &ap, "p", "{\"b\":{\"d\":2}}", 13, "application/json", &none, NULL,
                         6000, NULL),
           STMT_DOC_OK, "merge replaces whole objects");
    ok(content_is(db, &ap, "p", "{\"a\":3,\"b\":{\"d\":2}}"), "only one level deep");
    is_int(stmt_doc_post(db, &ap, "p", "[1]", 3, "application/json", &none, NULL, 7000, NULL),
           STMT_DOC_ERR_MERGE, "posted array → merge error");
    is_int(stmt_doc_post(db, &ap, "p", "{\"a\":1", 6, "application/json", &none, NULL, 7000, NULL),
           STMT_DOC_ERR_MERGE, "posted invalid JSON → merge error");
    is_int(stmt_doc_post(db, &ap, "p", "{\"a\":1}", 7, "text/plain", &none, NULL, 7000, NULL),
           STMT_DOC_ERR_MERGE, "posted non-JSON type → merge error");
    is_int(stmt_doc_post(db, &ap, "p", "{\"a\":1,\"a\":2}", 13, "application/json", &none, NULL,
                         7000, NULL),
           STMT_DOC_ERR_MERGE, "duplicate keys refused (strict JSON)");
    ok(content_is(db, &ap, "p", "{\"a\":3,\"b\":{\"d\":2}}"), "unchanged after refused merges");
    is_int(
        stmt_doc_post(db, &st, "s1", "{\"a\":1}", 7, "application/json", &none, NULL, 7000, NULL),
        STMT_DOC_ERR_MERGE, "stored non-JSON → merge error");
    ok(content_is(db, &st, "s1", "again"), "stored document unchanged");
    is_int(stmt_doc_post(db, &st, "new", "not json", 8, "text/plain", &none, NULL, 7000, NULL),
           STMT_DOC_OK, "POST without a current document stores as is");
    ok(content_is(db, &st, "new", "not json"), "stored as is");
    {
        struct stmt_doc_cond bad = {"\"0000000000000000000000000000000000000000\"", NULL, 0};
        is_int(
            stmt_doc_post(db, &ap, "p", "{\"z\":1}", 7, "application/json", &bad, NULL, 7000, NULL),
            STMT_DOC_ERR_PRECONDITION, "POST with failing If-Match");
        is_int(stmt_doc_delete(db, &ap, "p", &bad), STMT_DOC_ERR_PRECONDITION,
               "DELETE with failing If-Match");
        ok(content_is(db, &ap, "p", "{\"a\":3,\"b\":{\"d\":2}}"), "unchanged");
    }

    /* size cap */
    {
        struct stmt_doc_limits lim = {8};
        is_int(stmt_doc_put(db, &gp, "big", "123456789", 9, NULL, &none, &lim, 8000, NULL),
               STMT_DOC_ERR_TOO_LARGE, "over the cap");
        ok(content_is(db, &gp, "big", NULL), "nothing stored");
        is_int(stmt_doc_put(db, &gp, "big", "12345678", 8, NULL, &none, &lim, 8000, NULL),
               STMT_DOC_OK, "at the cap");
        is_int(
            stmt_doc_put(db, &gp, "m", "{\"a\":1}", 7, "application/json", &none, &lim, 8000, NULL),
            STMT_DOC_OK, "small JSON");
        is_int(stmt_doc_post(db, &gp, "m", "{\"b\":2}", 7, "application/json", &none, &lim, 8000,
                             NULL),
               STMT_DOC_ERR_TOO_LARGE, "merged result over the cap");
        ok(content_is(db, &gp, "m", "{\"a\":1}"), "unchanged");
    }

    /* lists and since (exclusive) */
    s = ids_str(db, &st, 0, &newest);
    ok(s && strstr(s, "\"s1\"") && strstr(s, "\"s9\"") && strstr(s, "\"new\""), "all state ids: %s",
       s ? s : "(null)");
    is_int(newest, 7000, "newest update among them");
    sc_free(s);
    s = ids_str(db, &st, 5000, &newest);
    is_str(s, "[\"new\"]", "since is exclusive");
    sc_free(s);
    s = ids_str(db, &st, 7000, &newest);
    is_str(s, "[]", "nothing after the newest");
    is_int(newest, 0, "newest 0 when empty");
    sc_free(s);
    is_int(stmt_doc_put(db, &st_reg, "r", "1", 1, NULL, &none, NULL, 9000, NULL), STMT_DOC_OK,
           "registration doc");
    s = ids_str(db, &st_reg, 0, NULL);
    is_str(s, "[\"r\"]", "list is per registration");
    sc_free(s);

    /* delete */
    is_int(stmt_doc_delete(db, &st, "s9", &none), STMT_DOC_OK, "delete one");
    ok(content_is(db, &st, "s9", NULL), "deleted");
    is_int(stmt_doc_delete(db, &st, "s9", &none), STMT_DOC_OK, "deleting an absent doc is ok");
    {
        size_t n = 0;
        is_int(stmt_doc_delete_all(db, &st, &n), STMT_DOC_OK, "delete all");
        is_int((long long)n, 2, "two documents removed");
        s = ids_str(db, &st, 0, NULL);
        is_str(s, "[]", "context empty");
        sc_free(s);
        ok(content_is(db, &st_reg, "r", "1"), "other registration untouched");
        ok(content_is(db, &ap, "p", "{\"a\":3,\"b\":{\"d\":2}}"), "activity profile untouched");
    }

    /* arguments */
    is_int(stmt_doc_put(db, &st, "", "x", 1, NULL, &none, NULL, 1, NULL), STMT_DOC_ERR_ARG,
           "empty id");
    {
        struct stmt_doc_ctx bad = {STMT_DOC_STATE, "http://ex.com/a", NULL, NULL};
        is_int(stmt_doc_put(db, &bad, "x", "x", 1, NULL, &none, NULL, 1, NULL), STMT_DOC_ERR_ARG,
               "state without agent");
    }
}

static void test_long_ids(struct stmt_db *db)
{
    char *act = sc_malloc(5001), *id = sc_malloc(3001);
    struct stmt_doc_ctx c = {STMT_DOC_ACTIVITY_PROFILE, act, NULL, NULL};
    struct stmt_doc_cond none = {NULL, NULL, 0};
    char *s;
    memcpy(act, "http://ex.com/", 14);
    memset(act + 14, 'a', 5000 - 14);
    act[5000] = '\0';
    memset(id, 'i', 3000);
    id[3000] = '\0';
    is_int(stmt_doc_put(db, &c, id, "v", 1, NULL, &none, NULL, 1, NULL), STMT_DOC_OK,
           "5000-byte activity and 3000-byte id");
    ok(content_is(db, &c, id, "v"), "read back");
    s = ids_str(db, &c, 0, NULL);
    ok(s && strlen(s) == 3004, "full id listed");
    sc_free(s);
    sc_free(act);
    sc_free(id);
}

/* Random operations against a naive model: one context, 6 ids, values are counters. */
static void test_model(struct stmt_db *db)
{
    struct stmt_doc_ctx c = {STMT_DOC_AGENT_PROFILE, NULL, "openid:http://ex.com/model", NULL};
    char model[6][32];
    int present[6] = {0}, bad = 0;
    unsigned seed = 12345;
    for (int i = 0; i < 600; i++) {
        int k, op;
        char id[8], val[32], etag[STMT_DOC_ETAG_LEN];
        struct stmt_doc_cond cond = {NULL, NULL, 0};
        int rc, want;
        seed = seed * 1103515245u + 12345u;
        k = (int)((seed >> 8) % 6);
        op = (int)((seed >> 16) % 4);
        snprintf(id, sizeof id, "d%d", k);
        snprintf(val, sizeof val, "v%d", i);
        if (present[k])
            sha1_etag(model[k], strlen(model[k]), etag);
        else
            snprintf(etag, sizeof etag, "\"none\"");
        if ((seed >> 24) & 1)
            cond.if_match = etag;
        switch (op) {
        case 0: /* PUT with If-Match of the model's ETag: succeeds only when present */
            rc = stmt_doc_put(db, &c, id, val, strlen(val), NULL, &cond, NULL, i + 1, NULL);
            want = cond.if_match && !present[k] ? STMT_DOC_ERR_PRECONDITION : STMT_DOC_OK;
            if (want == STMT_DOC_OK) {
                snprintf(model[k], sizeof model[k], "%s", val);
                present[k] = 1;
            }
            break;
        case 1: /* If-None-Match: * */
            cond.if_match = NULL;
            cond.if_none_match = "*";
            rc = stmt_doc_put(db, &c, id, val, strlen(val), NULL, &cond, NULL, i + 1, NULL);
            want = present[k] ? STMT_DOC_ERR_PRECONDITION : STMT_DOC_OK;
            if (want == STMT_DOC_OK) {
                snprintf(model[k], sizeof model[k], "%s", val);
                present[k] = 1;
            }
            break;
        case 2:
            rc = stmt_doc_delete(db, &c, id, &cond);
            want = cond.if_match && !present[k] ? STMT_DOC_ERR_PRECONDITION : STMT_DOC_OK;
            if (want == STMT_DOC_OK)
                present[k] = 0;
            break;
        default: {
            struct stmt_doc d;
            memset(&d, 0, sizeof d);
            rc = stmt_doc_get(db, &c, id, &d);
            want = present[k] ? STMT_DOC_OK : STMT_DOC_ERR_NOTFOUND;
            if (rc == STMT_DOC_OK && strcmp(d.content, model[k]))
                bad++;
            stmt_doc_free(&d);
        }
        }
        if (rc != want) {
            bad++;
            tap_diag("step %d op %d id %s: rc %d want %d", i, op, id, rc, want);
        }
    }
    is_int(bad, 0, "600 random operations agree with the reference model");
    {
        int n = 0;
        cJSON *ids = NULL;
        for (int k = 0; k < 6; k++)
            n += present[k];
        is_int(stmt_doc_list(db, &c, 0, &ids, NULL), STMT_DOC_OK, "list");
        is_int(cJSON_GetArraySize(ids), n, "list size matches the model");
        cJSON_Delete(ids);
    }
}

static void test_etag_listed(void)
{
    const char *e = "\"abc\"";
    ok(stmt_doc_etag_listed("*", e), "* matches");
    ok(stmt_doc_etag_listed("\"abc\"", e), "exact");
    ok(stmt_doc_etag_listed(" \"x\" , \"abc\"", e), "in a list");
    ok(stmt_doc_etag_listed("abc", e), "bare tag");
    ok(!stmt_doc_etag_listed("W/\"abc\"", e), "weak never matches");
    ok(!stmt_doc_etag_listed("\"abcd\"", e), "prefix is not a match");
    ok(!stmt_doc_etag_listed("", e), "empty header");
    ok(!stmt_doc_etag_listed("\"ab", e), "unterminated");
}

static cJSON *parse(const char *s)
{
    cJSON *j = cJSON_Parse(s);
    if (!j)
        tap_diag("bad test JSON %s", s);
    return j;
}

static void test_activities(struct stmt_db *db)
{
    cJSON *b = parse(
        "[{\"actor\":{\"mbox\":\"mailto:p@ex.com\",\"name\":\"Pat\"},\"verb\":{\"id\":\"http://"
        "v\"},"
        "\"object\":{\"objectType\":\"Activity\",\"id\":\"http://ex.com/act\",\"definition\":{"
        "\"name\":{\"en-US\":\"meeting\"},\"type\":\"http://t/1\",\"extensions\":{\"http://e/"
        "1\":1}}},"
        "\"context\":{\"contextActivities\":{\"parent\":[{\"id\":\"http://ex.com/parent\","
        "\"definition\":{\"name\":{\"en\":\"P\"}}}]}}},"
        "{\"actor\":{\"mbox\":\"mailto:p@ex.com\",\"name\":\"Patricia\"},\"verb\":{\"id\":\"http://"
        "v\"},"
        "\"object\":{\"id\":\"http://ex.com/act\",\"definition\":{\"name\":{\"fr-FR\":\"réunion\"},"
        "\"type\":\"http://t/2\",\"extensions\":{\"http://e/2\":2}}}}]");
    cJSON *a = NULL, *agent = parse("{\"mbox\":\"mailto:p@ex.com\",\"name\":\"P.\"}");
    char *s;

    is_int(stmt_activity_learn(db, b), STMT_DOC_OK, "learn a batch");
    is_int(stmt_activity_get(db, "http://ex.com/act", &a), STMT_DOC_OK, "get activity");
    s = cJSON_PrintUnformatted(a);
    is_str(s,
           "{\"objectType\":\"Activity\",\"id\":\"http://ex.com/act\",\"definition\":{\"name\":{"
           "\"en-US\":\"meeting\",\"fr-FR\":\"réunion\"},\"type\":\"http://t/2\",\"extensions\":{"
           "\"http://e/1\":1,\"http://e/2\":2}}}",
           "language maps and extensions merged, type replaced");
    cJSON_free(s);
    cJSON_Delete(a);
    is_int(stmt_activity_get(db, "http://ex.com/parent", &a), STMT_DOC_OK, "context activity");
    s = cJSON_PrintUnformatted(a);
    is_str(s,
           "{\"objectType\":\"Activity\",\"id\":\"http://ex.com/parent\",\"definition\":{\"name\":{"
           "\"en\":\"P\"}}}",
           "context activities are learned");
    cJSON_free(s);
    cJSON_Delete(a);
    is_int(stmt_activity_get(db, "http://ex.com/unknown", &a), STMT_DOC_OK, "unknown activity");
    s = cJSON_PrintUnformatted(a);
    is_str(s, "{\"objectType\":\"Activity\",\"id\":\"http://ex.com/unknown\"}",
           "unknown: id only (Comm 2.5 SHOULD*)");
    cJSON_free(s);
    cJSON_Delete(a);

    is_int(stmt_agent_person(db, agent, &a), STMT_DOC_OK, "person");
    s = cJSON_PrintUnformatted(a);
    is_str(s,
           "{\"objectType\":\"Person\",\"name\":[\"P.\",\"Pat\",\"Patricia\"],\"mbox\":["
           "\"mailto:p@ex.com\"]}",
           "Person combines the names seen");
    cJSON_free(s);
    cJSON_Delete(a);
    cJSON_Delete(agent);
    agent = parse("{\"account\":{\"homePage\":\"http://h\",\"name\":\"u1\"}}");
    is_int(stmt_agent_person(db, agent, &a), STMT_DOC_OK, "unknown person");
    s = cJSON_PrintUnformatted(a);
    is_str(s,
           "{\"objectType\":\"Person\",\"account\":[{\"homePage\":\"http://h\",\"name\":\"u1\"}]}",
           "unknown agent: its identifier only, as an array");
    cJSON_free(s);
    cJSON_Delete(a);
    cJSON_Delete(agent);
    is_int(stmt_activity_learn(db, b), STMT_DOC_OK, "learning the same batch again");
    is_int(stmt_activity_get(db, "http://ex.com/act", &a), STMT_DOC_OK, "get activity again");
    s = cJSON_PrintUnformatted(a);
    ok(s && strstr(s, "\"type\":\"http://t/2\"") && strstr(s, "réunion"), "unchanged: %s",
       s ? s : "(null)");
    cJSON_free(s);
    cJSON_Delete(a);
    is_int(stmt_activity_learn(db, NULL), STMT_DOC_ERR_ARG, "NULL statements");
    cJSON_Delete(b);
}

/* Lost updates at the store level: 8 threads read the counter, then write counter+1 with
 * If-Match of what they read; the final value must equal the number of successful writes. */
struct inc_ctx {
    struct stmt_db *db;
    int ok, refused, other;
};

static const struct stmt_doc_ctx COUNTER = {STMT_DOC_STATE, "http://ex.com/counter",
                                            "mbox:mailto:c@ex.com", NULL};

static void *inc_thread(void *arg)
{
    struct inc_ctx *c = arg;
    for (int i = 0; i < 150; i++) {
        struct stmt_doc d;
        struct stmt_doc_cond cond = {NULL, NULL, 0};
        char val[32];
        int rc;
        memset(&d, 0, sizeof d);
        if (stmt_doc_get(c->db, &COUNTER, "n", &d)) {
            c->other++;
            continue;
        }
        snprintf(val, sizeof val, "%ld", strtol(d.content, NULL, 10) + 1);
        cond.if_match = d.etag;
        rc = stmt_doc_put(c->db, &COUNTER, "n", val, strlen(val), "text/plain", &cond, NULL, 1,
                          NULL);
        stmt_doc_free(&d);
        if (rc == STMT_DOC_OK)
            c->ok++;
        else if (rc == STMT_DOC_ERR_PRECONDITION)
            c->refused++;
        else
            c->other++;
    }
    return NULL;
}

static void test_lost_update(struct stmt_db *db)
{
    pthread_t th[8];
    struct inc_ctx ctx[8];
    struct stmt_doc_cond none = {NULL, NULL, 0};
    int ok_total = 0, refused = 0, other = 0;
    char *final;
    char want[32];

    stmt_doc_put(db, &COUNTER, "n", "0", 1, "text/plain", &none, NULL, 1, NULL);
    for (int i = 0; i < 8; i++) {
        memset(&ctx[i], 0, sizeof ctx[i]);
        ctx[i].db = db;
        pthread_create(&th[i], NULL, inc_thread, &ctx[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        ok_total += ctx[i].ok;
        refused += ctx[i].refused;
        other += ctx[i].other;
    }
    final = content_of(db, &COUNTER, "n");
    snprintf(want, sizeof want, "%d", ok_total);
    is_str(final, want, "final counter = successful If-Match writes (%d ok, %d refused)", ok_total,
           refused);
    is_int(other, 0, "only success or precondition failure");
    is_int(ok_total + refused, 8 * 150, "every attempt answered");
    sc_free(final);
}

/* Every injected allocation failure gives STMT_DOC_ERR_NOMEM and changes nothing, never a
 * crash or a leak (ASan); once allocations succeed the result is the normal one. */
static void test_oom(struct stmt_db *db)
{
    struct stmt_doc_ctx c = {STMT_DOC_STATE, "http://ex.com/oom", "mbox:mailto:o@ex.com", NULL};
    struct stmt_doc_cond none = {NULL, NULL, 0};
    static const char orig[] = "{\"a\":1,\"b\":[1,2,3]}";
    int nfail = 0, bad = 0, rc = 0;

    is_int(stmt_doc_put(db, &c, "m", orig, strlen(orig), "application/json", &none, NULL, 5, NULL),
           STMT_DOC_OK, "oom: seed document");
    for (long n = 0; n < 100000; n++) {
        sc_alloc_fail_after(n);
        rc = stmt_doc_post(db, &c, "m", "{\"c\":{\"d\":1}}", 13, "application/json", &none, NULL, 6,
                           NULL);
        sc_alloc_fail_after(-1);
        if (rc == STMT_DOC_OK)
            break;
        if (rc != STMT_DOC_ERR_NOMEM || !content_is(db, &c, "m", orig))
            bad++;
        nfail++;
    }
    ok(nfail > 5 && rc == STMT_DOC_OK && bad == 0,
       "POST merge survives %d allocation failures unchanged (%d bad), then merges", nfail, bad);
    ok(content_is(db, &c, "m", "{\"a\":1,\"b\":[1,2,3],\"c\":{\"d\":1}}"), "merged once");

    nfail = bad = 0;
    for (long n = 0; n < 100000; n++) {
        struct stmt_doc d;
        memset(&d, 0, sizeof d);
        sc_alloc_fail_after(n);
        rc = stmt_doc_get(db, &c, "m", &d);
        sc_alloc_fail_after(-1);
        stmt_doc_free(&d);
        if (rc == STMT_DOC_OK)
            break;
        bad += rc != STMT_DOC_ERR_NOMEM;
        nfail++;
    }
    ok(nfail > 0 && rc == STMT_DOC_OK && bad == 0, "get survives %d allocation failures", nfail);

    nfail = bad = 0;
    for (long n = 0; n < 100000; n++) {
        cJSON *ids = NULL;
        sc_alloc_fail_after(n);
        rc = stmt_doc_list(db, &c, 0, &ids, NULL);
        sc_alloc_fail_after(-1);
        if (rc == STMT_DOC_OK) {
            ok(cJSON_GetArraySize(ids) == 1, "list after failures");
            cJSON_Delete(ids);
            break;
        }
        bad += rc != STMT_DOC_ERR_NOMEM || ids != NULL;
        nfail++;
    }
    ok(nfail > 0 && rc == STMT_DOC_OK && bad == 0, "list survives %d allocation failures", nfail);

    {
        cJSON *st = cJSON_Parse(
            "{\"actor\":{\"mbox\":\"mailto:oom@ex.com\",\"name\":\"O\"},\"verb\":{\"id\":"
            "\"http://v\"},\"object\":{\"id\":\"http://ex.com/oom-act\",\"definition\":{\"name\":"
            "{\"en\":\"x\"},\"extensions\":{\"http://e\":[1]}}}}");
        cJSON *a = NULL, *agent = cJSON_Parse("{\"mbox\":\"mailto:oom@ex.com\"}");
        char *s;
        nfail = bad = 0;
        for (long n = 0; n < 100000; n++) {
            sc_alloc_fail_after(n);
            rc = stmt_activity_learn(db, st);
            sc_alloc_fail_after(-1);
            if (rc == STMT_DOC_OK)
                break;
            bad += rc != STMT_DOC_ERR_NOMEM;
            nfail++;
        }
        ok(nfail > 5 && rc == STMT_DOC_OK && bad == 0, "learn survives %d allocation failures",
           nfail);
        nfail = bad = 0;
        for (long n = 0; n < 100000; n++) {
            sc_alloc_fail_after(n);
            rc = stmt_activity_get(db, "http://ex.com/oom-act", &a);
            sc_alloc_fail_after(-1);
            if (rc == STMT_DOC_OK)
                break;
            bad += rc != STMT_DOC_ERR_NOMEM;
            nfail++;
        }
        s = a ? cJSON_PrintUnformatted(a) : NULL;
        ok(nfail > 3 && bad == 0 && s &&
               !strcmp(s, "{\"objectType\":\"Activity\",\"id\":\"http://ex.com/oom-act\","
                          "\"definition\":{\"name\":{\"en\":\"x\"},\"extensions\":{"
                          "\"http://e\":[1]}}}"),
           "activity get survives %d allocation failures: %s", nfail, s ? s : "(null)");
        cJSON_free(s);
        cJSON_Delete(a);
        a = NULL;
        nfail = bad = 0;
        for (long n = 0; n < 100000; n++) {
            sc_alloc_fail_after(n);
            rc = stmt_agent_person(db, agent, &a);
            sc_alloc_fail_after(-1);
            if (rc == STMT_DOC_OK)
                break;
            bad += rc != STMT_DOC_ERR_NOMEM;
            nfail++;
        }
        s = a ? cJSON_PrintUnformatted(a) : NULL;
        ok(nfail > 3 && bad == 0 && s &&
               !strcmp(s, "{\"objectType\":\"Person\",\"name\":[\"O\"],\"mbox\":["
                          "\"mailto:oom@ex.com\"]}"),
           "person survives %d allocation failures: %s", nfail, s ? s : "(null)");
        cJSON_free(s);
        cJSON_Delete(a);
        cJSON_Delete(agent);
        cJSON_Delete(st);
    }
}

int main(void)
{
    char dir[256], err[256];
    struct stmt_db *db = NULL;
    sc_alloc_init_cjson(); /* cJSON through the wrapper: allocation failures can be injected */
    snprintf(dir, sizeof dir, "/tmp/scolar-test-doc-%d", (int)getpid());
    rm_rf(dir);
    /* a small map so the writes below make it grow (MDB_MAP_FULL → retry) */
    setenv("SCOLAR_DB_INITIAL_MAP", "1048576", 1);
    {
        /* SCOLAR_TEST_BACKEND=pg (test_stmt_doc_pg): the same on a fresh PostgreSQL database,
         * ETag concurrency included (issue 19) */
        const char *be = getenv("SCOLAR_TEST_BACKEND");
        char url[512];
        int pg = be && strcmp(be, "pg") == 0;
        if (pg && pgtu_fresh_url(url, sizeof url)) {
            ok(0, "a fresh database on SCOLAR_TEST_PG");
            return tap_done();
        }
        tap_diag("backend: %s", pg ? "PostgreSQL" : "LMDB");
        if (stmt_db_open_url(pg ? url : dir, dir, &db, err, sizeof err))
            db = NULL;
    }
    if (!db) {
        ok(0, "open: %s", err);
        return tap_done();
    }
    test_etag_listed();
    test_basic(db);
    test_long_ids(db);
    test_model(db);
    test_activities(db);
    test_oom(db);
    test_lost_update(db);
    {
        /* fill past the initial map: every put must still succeed */
        struct stmt_doc_ctx c = {STMT_DOC_ACTIVITY_PROFILE, "http://ex.com/fill", NULL, NULL};
        struct stmt_doc_cond none = {NULL, NULL, 0};
        char *big = sc_malloc(64 * 1024);
        int fails = 0;
        memset(big, 'x', 64 * 1024);
        for (int i = 0; i < 64; i++) {
            char id[16];
            snprintf(id, sizeof id, "f%d", i);
            fails += stmt_doc_put(db, &c, id, big, 64 * 1024, NULL, &none, NULL, 1, NULL) != 0;
        }
        is_int(fails, 0, "4 MiB of documents through a 1 MiB initial map");
        sc_free(big);
    }
    stmt_db_close(db);
    rm_rf(dir);
    return tap_done();
}
