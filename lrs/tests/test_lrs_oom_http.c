/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation-failure injection through real requests (lrs_oom_http.h) over the xAPI document
 * resources (State PUT and JSON-merge POST, Activity Profile PUT with If-Match, Agent Profile
 * DELETE with If-Match) and the console's sessions and users (sign-in, sign-out, user create
 * and delete).
 */
#include "lrs/tests/lrs_oom_http.h"

/* ---- documents ------------------------------------------------------------------------------ */

#define ACT "http%3A%2F%2Fexample.com%2Fa"
#define AGENT "%7B%22mbox%22%3A%22mailto%3Aoom%40example.com%22%7D"
#define AGENT_IFI "mbox:mailto:oom@example.com"

static int doc_content(enum stmt_doc_kind kind, const char *id, struct stmt_doc *d)
{
    struct stmt_doc_ctx c;
    memset(&c, 0, sizeof c);
    memset(d, 0, sizeof *d);
    c.kind = kind;
    c.activity_id = kind == STMT_DOC_AGENT_PROFILE ? NULL : "http://example.com/a";
    c.agent_ifi = kind == STMT_DOC_ACTIVITY_PROFILE ? NULL : AGENT_IFI;
    return stmt_doc_get(app.db, &c, id, d);
}

static void state_put_send(int i, struct resp *r)
{
    char path[400], body[100];
    snprintf(path, sizeof path, "%s&stateId=s%d",
             "/xapi/activities/state?activityId=" ACT "&agent=" AGENT, i);
    snprintf(body, sizeof body, "{\"round\":%d}", i);
    api("PUT", path, NULL, "application/json", body, r);
}

static int state_put_stored(int i, const struct resp *r)
{
    struct stmt_doc d;
    char id[20], want[100];
    int ok;
    snprintf(id, sizeof id, "s%d", i);
    snprintf(want, sizeof want, "{\"round\":%d}", i);
    ok = r->status == 204 && !doc_content(STMT_DOC_STATE, id, &d) && !strcmp(d.content, want);
    stmt_doc_free(&d);
    return ok;
}

/* POST merges into one document: {"base":1} plus a member per round */
static int state_post_setup(int i)
{
    struct resp r;
    (void)i; /* the document starts over each round: its merge costs the same every time */
    return api("PUT", "/xapi/activities/state?activityId=" ACT "&agent=" AGENT "&stateId=merge",
               NULL, "application/json", "{\"base\":1}", &r) == 204
               ? 0
               : -1;
}

static void state_post_send(int i, struct resp *r)
{
    char body[100];
    snprintf(body, sizeof body, "{\"k%d\":%d}", i, i);
    api("POST", "/xapi/activities/state?activityId=" ACT "&agent=" AGENT "&stateId=merge", NULL,
        "application/json", body, r);
}

static int state_post_stored(int i, const struct resp *r)
{
    struct stmt_doc d;
    cJSON *j = NULL;
    char k[20];
    int ok;
    snprintf(k, sizeof k, "k%d", i);
    ok = r->status == 204 && !doc_content(STMT_DOC_STATE, "merge", &d) &&
         (j = cJSON_Parse(d.content)) &&
         cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, k)) == i &&
         cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "base")) == 1;
    cJSON_Delete(j);
    stmt_doc_free(&d);
    return ok;
}

/* PUT on an existing activity profile with If-Match: the current ETag */
static int profile_setup(int i)
{
    struct resp r;
    if (i)
        return 0;
    return api("PUT", "/xapi/activities/profile?activityId=" ACT "&profileId=p",
               "If-None-Match: *\r\n", "application/json", "{\"v\":-1}", &r) == 204
               ? 0
               : -1;
}

static void profile_send(int i, struct resp *r)
{
    struct stmt_doc d;
    char hdr[100], body[100];
    if (doc_content(STMT_DOC_ACTIVITY_PROFILE, "p", &d))
        bail("profile p");
    snprintf(hdr, sizeof hdr, "If-Match: %s\r\n", d.etag);
    stmt_doc_free(&d);
    snprintf(body, sizeof body, "{\"v\":%d}", i);
    api("PUT", "/xapi/activities/profile?activityId=" ACT "&profileId=p", hdr, "application/json",
        body, r);
}

static int profile_stored(int i, const struct resp *r)
{
    struct stmt_doc d;
    char want[100];
    int ok;
    snprintf(want, sizeof want, "{\"v\":%d}", i);
    ok = r->status == 204 && !doc_content(STMT_DOC_ACTIVITY_PROFILE, "p", &d) &&
         !strcmp(d.content, want);
    stmt_doc_free(&d);
    return ok;
}

/* DELETE of an agent profile with If-Match */
static int agent_del_setup(int i)
{
    struct resp r;
    char path[300];
    snprintf(path, sizeof path, "%s&profileId=d%d", "/xapi/agents/profile?agent=" AGENT, i);
    return api("PUT", path, "If-None-Match: *\r\n", "application/json", "{\"x\":1}", &r) == 204
               ? 0
               : -1;
}

static void agent_del_send(int i, struct resp *r)
{
    struct stmt_doc d;
    char hdr[100], path[300], id[20];
    snprintf(id, sizeof id, "d%d", i);
    if (doc_content(STMT_DOC_AGENT_PROFILE, id, &d)) {
        /* deleted already (the retry after an acknowledged delete): If-Match fails, 412 */
        snprintf(hdr, sizeof hdr, "If-Match: \"none\"\r\n");
    } else {
        snprintf(hdr, sizeof hdr, "If-Match: %s\r\n", d.etag);
    }
    stmt_doc_free(&d);
    snprintf(path, sizeof path, "%s&profileId=%s", "/xapi/agents/profile?agent=" AGENT, id);
    api("DELETE", path, hdr, NULL, NULL, r);
}

static int agent_del_stored(int i, const struct resp *r)
{
    struct stmt_doc d;
    char id[20];
    int gone;
    snprintf(id, sizeof id, "d%d", i);
    gone = doc_content(STMT_DOC_AGENT_PROFILE, id, &d) == STMT_DOC_ERR_NOTFOUND;
    stmt_doc_free(&d);
    return r->status == 204 && gone;
}

/* ---- console sessions and users ------------------------------------------------------------ */

static void signin_send(int i, struct resp *r)
{
    char body[300];
    (void)i;
    snprintf(body, sizeof body, "{\"key\":\"%s\",\"secret\":\"%s\"}", admin_key, admin_secret);
    http(api_port, "POST", "/api/session", NULL, "application/json", body, r);
}

static int signin_stored(int i, const struct resp *r)
{
    char cookie[200];
    cJSON *j = cJSON_Parse(r->body);
    int ok = r->status == 200 && header(r, "Set-Cookie", cookie, sizeof cookie) &&
             !strncmp(cookie, LRS_SESSION_COOKIE "=", strlen(LRS_SESSION_COOKIE) + 1) &&
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "csrf")) &&
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "expires"));
    (void)i;
    cJSON_Delete(j);
    return ok;
}

/* every console session goes: a sign-in looks at each stored one (sess_purge), so the rounds
 * would grow longer than the sweep */
static int del_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct stmt_db_txn *t = ctx;
    (void)v;
    (void)vl;
    return stmt_db_del(t, "console_sessions", k, kl);
}

static void sessions_clear(int i)
{
    struct stmt_db_txn *t;
    (void)i;
    if (stmt_db_txn_begin(app.db, 1, &t))
        bail("write transaction");
    /* deleting the key a cursor stands on is allowed in LMDB; collect-free */
    if (stmt_db_scan(t, "console_sessions", NULL, 0, del_visit, t) || stmt_db_txn_commit(t))
        bail("clear sessions");
}

/* sign-out: a session made for each round */
static char so_cookie[200], so_csrf[100];

static int signout_setup(int i)
{
    struct resp r;
    cJSON *j;
    char *semi;
    (void)i;
    signin_send(0, &r);
    if (r.status != 200 || !header(&r, "Set-Cookie", so_cookie, sizeof so_cookie))
        return -1;
    if ((semi = strchr(so_cookie, ';')))
        *semi = 0;
    j = cJSON_Parse(r.body);
    snprintf(so_csrf, sizeof so_csrf, "%s",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "csrf")));
    cJSON_Delete(j);
    return 0;
}

static void signout_send(int i, struct resp *r)
{
    char hdrs[400];
    (void)i;
    snprintf(hdrs, sizeof hdrs, "Cookie: %s\r\n" LRS_CSRF_HEADER ": %s\r\n", so_cookie, so_csrf);
    http(api_port, "DELETE", "/api/session", hdrs, NULL, NULL, r);
}

static int signout_stored(int i, const struct resp *r)
{
    struct resp g;
    char hdrs[300];
    (void)i;
    snprintf(hdrs, sizeof hdrs, "Cookie: %s\r\n", so_cookie);
    /* the cookie opens nothing any more */
    return r->status == 204 && http(api_port, "GET", "/api/session", hdrs, NULL, NULL, &g) == 401;
}

static void user_post_send(int i, struct resp *r)
{
    char body[200];
    snprintf(body, sizeof body, "{\"name\":\"oom%d\",\"password\":\"a long password\"}", i);
    api("POST", "/api/users", NULL, "application/json", body, r);
}

static int user_post_stored(int i, const struct resp *r)
{
    char name[40];
    cJSON *j = cJSON_Parse(r->body);
    int ok;
    snprintf(name, sizeof name, "oom%d", i);
    ok = r->status == 201 &&
         !strcmp(str_or(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "name"))), name) &&
         lrs_user_exists(app.db, name);
    cJSON_Delete(j);
    return ok;
}

/* a user with a session to delete each round (the session record written directly) */
static int user_del_setup(int i)
{
    char name[40], key[65], rec[200];
    snprintf(name, sizeof name, "oom%d", i);
    if (!lrs_user_exists(app.db, name) && lrs_user_create(app.db, name, "a long password", NULL, 0))
        return -1;
    snprintf(key, sizeof key, "%064d", i);
    snprintf(rec, sizeof rec,
             "{\"kind\":\"user\",\"name\":\"%s\",\"display\":\"%s\",\"scopes\":256,"
             "\"csrf\":\"x\",\"created\":1,\"last\":1}",
             name, name);
    return stmt_db_put1(app.db, "console_sessions", key, 64, rec, strlen(rec), 0) ? -1 : 0;
}

static void user_del_send(int i, struct resp *r)
{
    char path[100];
    snprintf(path, sizeof path, "/api/users/oom%d", i);
    api("DELETE", path, NULL, NULL, NULL, r);
}

static int user_del_stored(int i, const struct resp *r)
{
    char name[40], key[65], *v = NULL;
    size_t vl;
    int session_left;
    snprintf(name, sizeof name, "oom%d", i);
    snprintf(key, sizeof key, "%064d", i);
    session_left = stmt_db_get1(app.db, "console_sessions", key, 64, &v, &vl) == 0;
    sc_free(v);
    return r->status == 204 && !lrs_user_exists(app.db, name) && !session_left;
}

/* ---- main ------------------------------------------------------------------------------------ */

static const struct op OPS[] = {
    {"state PUT", "docs", 1, NULL, state_put_send, state_put_stored, NULL, NULL},
    {"state POST (JSON merge)", "docs", 0, state_post_setup, state_post_send, state_post_stored,
     NULL, NULL},
    {"activity profile PUT If-Match", "docs", 0, profile_setup, profile_send, profile_stored, NULL,
     NULL},
    {"agent profile DELETE If-Match", "docs", -1, agent_del_setup, agent_del_send, agent_del_stored,
     NULL, NULL},
    {"console sign-in", "console_sessions", 1, NULL, signin_send, signin_stored, sessions_clear,
     NULL},
    {"console sign-out", "console_sessions", -1, signout_setup, signout_send, signout_stored, NULL,
     NULL},
    {"console user create", "users", 1, NULL, user_post_send, user_post_stored, NULL, NULL},
    {"console user delete", "users", -1, user_del_setup, user_del_send, user_del_stored, NULL,
     NULL},
};

int main(int argc, char **argv)
{
    oomh_start();
    return oomh_run(OPS, sizeof OPS / sizeof OPS[0], argc > 1 ? argv[1] : NULL);
}
