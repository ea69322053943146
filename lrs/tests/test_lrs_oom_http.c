/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation-failure injection over the write paths of lrs/ driven through real request
 * handling: the server (lrs_app_open, lrs_server_start: civetweb on 127.0.0.1) runs in this
 * process and the test talks HTTP to it over a socket, with no allocation of its own while a
 * request is in flight. For each write (documents with ETag/If-Match and JSON merge, console
 * sign-in and sign-out, console users, SCORM registrations create/reset/delete, course delete,
 * cmi5 registration and launch, forwarders and webhooks create/delete) the Nth allocation of
 * the process fails, N = 0, 1, ... until a request runs without meeting the failure. After
 * each request:
 *   - an answer 2xx: the write is stored, whole, and the body names it (nothing acknowledged
 *     is lost);
 *   - any other answer: 5xx with a JSON message, and every table of the store is byte for byte
 *     as before (nothing half-written remains); then the same request without injection
 *     succeeds and changes the record count by exactly the write's own.
 * The background threads of the server (the statement writer, forward senders) share the
 * countdown: a failure they take instead is a request that succeeds, which the checks above
 * cover as well.
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "lrs/lrs_console.h"
#include "common/sc_alloc.h"
#include "common/sc_base64.h"
#include "common/tap.h"
#include "scorm/scorm.h"
#include "statements/stmt_db.h"
#include "statements/stmt_doc.h"
#include "statements/stmt_store.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zip.h>

static struct lrs_app app;
static char tmp[256];

static void bail(const char *why)
{
    printf("Bail out! %s\n", why);
    exit(2);
}

static const char *str_or(const char *s)
{
    return s ? s : "";
}

/* the countdown of the next request: armed by http() right before it connects, so that the
 * test's own reads before a request take none of it */
static long pending_arm = -1;
static int api_port, content_port;
static char basic[200]; /* "Basic ..." of the admin credential */

/* ---- a client that allocates nothing ------------------------------------------------------ */

struct resp {
    int status;
    char head[8192];
    char body[65536];
    size_t blen;
};

static int port_of(struct mg_context *ctx)
{
    struct mg_server_port p[2];
    return mg_get_server_ports(ctx, 2, p) > 0 ? p[0].port : -1;
}

/* One request on its own connection (Connection: close). extra: header lines, each ending
 * in \r\n. Returns the status, or -1 when no answer came. */
static int http(int port, const char *method, const char *path, const char *extra,
                const char *ctype, const char *body, struct resp *out)
{
    static char buf[sizeof out->head + sizeof out->body + 1];
    char req[4096];
    struct sockaddr_in a;
    size_t blen = body ? strlen(body) : 0, got = 0;
    int fd, n;
    char *sep;

    if (pending_arm >= 0) {
        sc_alloc_fail_after(pending_arm);
        pending_arm = -1;
    }
    out->status = -1;
    out->head[0] = out->body[0] = 0;
    out->blen = 0;
    n = snprintf(req, sizeof req,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s%s%s%s"
                 "Content-Length: %zu\r\n\r\n",
                 method, path, port, extra ? extra : "", ctype ? "Content-Type: " : "",
                 ctype ? ctype : "", ctype ? "\r\n" : "", blen);
    if (n < 0 || (size_t)n >= sizeof req)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        write(fd, req, (size_t)n) != n || (blen && write(fd, body, blen) != (ssize_t)blen)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while (got < sizeof buf - 1 && (n = (int)read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    buf[got] = 0;
    sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.1 %d", &out->status) != 1)
        return out->status = -1;
    snprintf(out->head, sizeof out->head, "%.*s", (int)(sep - buf), buf);
    out->blen = got - (size_t)(sep + 4 - buf);
    if (out->blen >= sizeof out->body)
        out->blen = sizeof out->body - 1;
    memcpy(out->body, sep + 4, out->blen);
    out->body[out->blen] = 0;
    return out->status;
}

static int api(const char *method, const char *path, const char *extra_hdrs, const char *ctype,
               const char *body, struct resp *out)
{
    char hdrs[1024];
    snprintf(hdrs, sizeof hdrs, "Authorization: %s\r\nX-Experience-API-Version: 1.0.3\r\n%s", basic,
             extra_hdrs ? extra_hdrs : "");
    return http(api_port, method, path, hdrs, ctype, body, out);
}

/* The value of header `name` in r (case-sensitive name), copied into out; 0 when absent. */
static int header(const struct resp *r, const char *name, char *out, size_t n)
{
    char pat[100];
    const char *p, *e;
    snprintf(pat, sizeof pat, "\r\n%s: ", name);
    if (!(p = strstr(r->head, pat)))
        return 0;
    p += strlen(pat);
    e = strstr(p, "\r\n");
    snprintf(out, n, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
    return 1;
}

/* ---- the store, read back (no injection while these run) ---------------------------------- */

/* every table of statements/, scorm/ and lrs/; check_tables() proves the list complete */
static const char *const TABLES[] = {"meta",
                                     "docs",
                                     "activities",
                                     "agents",
                                     "attachments",
                                     "outbox",
                                     "stmt",
                                     "stmt_id",
                                     "stmt_voided",
                                     "stmt_idx",
                                     "stmt_meta",
                                     "reports",
                                     "stmt_ref",
                                     "stmt_rpt",
                                     "courses",
                                     "course_versions",
                                     "course_stats",
                                     "registrations",
                                     "attempts",
                                     "tokens",
                                     "cmi",
                                     "sessions",
                                     "shared_data",
                                     "reg_by_course",
                                     "reg_by_learner",
                                     "learners",
                                     "reg_summary",
                                     "seq_state",
                                     "global_obj",
                                     "bridge_outbox",
                                     "bridge_outbox_dead",
                                     "reg_contrib",
                                     "course_report",
                                     "course_report_idx",
                                     "cmi5_courses",
                                     "cmi5_regs",
                                     "cmi5_sessions",
                                     "creds",
                                     "users",
                                     "console_sessions"};
#define NTABLES (sizeof TABLES / sizeof TABLES[0])

struct snap {
    uint64_t hash[NTABLES];
    size_t count[NTABLES];
};

struct hctx {
    uint64_t h;
    size_t n;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

static int hash_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct hctx *c = ctx;
    c->h = fnv(c->h, &kl, sizeof kl);
    c->h = fnv(c->h, k, kl);
    c->h = fnv(c->h, &vl, sizeof vl);
    c->h = fnv(c->h, v, vl);
    c->n++;
    return 0;
}

static void snapshot(struct snap *s)
{
    struct stmt_db_txn *t;
    memset(s, 0, sizeof *s);
    /* the statement writer folds index entries later, on its own: wait until it has */
    if (stmt_store_sync(app.store))
        bail("sync");
    if (stmt_db_txn_begin(app.db, 0, &t))
        bail("read transaction");
    for (size_t i = 0; i < NTABLES; i++) {
        struct hctx c = {14695981039346656037ULL, 0};
        if (stmt_db_scan(t, TABLES[i], NULL, 0, hash_visit, &c))
            bail("scan");
        s->hash[i] = c.h;
        s->count[i] = c.n;
    }
    stmt_db_txn_abort(t);
}

/* the tables that differ, into out ("" when none) */
static void snap_diff(const struct snap *a, const struct snap *b, char *out, size_t n)
{
    size_t off = 0;
    out[0] = 0;
    for (size_t i = 0; i < NTABLES && off < n; i++)
        if (a->hash[i] != b->hash[i])
            off += (size_t)snprintf(out + off, n - off, "%s%s(%zu->%zu)", off ? " " : "", TABLES[i],
                                    a->count[i], b->count[i]);
}

static size_t count_of(const char *table)
{
    struct snap s;
    snapshot(&s);
    for (size_t i = 0; i < NTABLES; i++)
        if (!strcmp(TABLES[i], table))
            return s.count[i];
    bail("no table");
    return 0;
}

/* every table stmt_db_check counts is one the snapshot covers */
static void check_tables(void)
{
    static char report[16384];
    int missing = 0;
    stmt_db_check(app.db, report, sizeof report);
    for (char *line = report, *next; *line; line = next) {
        char *colon = strchr(line, ':');
        int found = 0;
        next = strchr(line, '\n');
        next = next ? next + 1 : line + strlen(line);
        if (!colon || colon > next)
            continue;
        *colon = 0;
        for (size_t i = 0; i < NTABLES; i++)
            found |= !strcmp(TABLES[i], line);
        if (!found) {
            tap_diag("table %s is not in the snapshot", line);
            missing++;
        }
    }
    is_int(missing, 0, "the snapshot covers every table with records");
}

/* ---- the sweep ----------------------------------------------------------------------------- */

struct op {
    const char *name;
    const char *table; /* whose record count the write changes by `delta` */
    int delta;
    /* before attempt i (no injection): make what the request needs; 0 or -1 */
    int (*setup)(int i);
    /* the request of attempt i */
    void (*send)(int i, struct resp *r);
    /* after a 2xx of attempt i: 1 when the write is stored whole and the body names it */
    int (*stored)(int i, const struct resp *r);
    /* after the checks of attempt i (may be NULL): undo what would make the next one longer */
    void (*cleanup)(int i);
};

static int is_error_with_message(const struct resp *r)
{
    cJSON *j, *m;
    int ok;
    if (r->status < 500 || r->status > 599)
        return 0;
    j = cJSON_Parse(r->body);
    m = cJSON_GetObjectItemCaseSensitive(j, "message");
    ok = cJSON_IsString(m) && m->valuestring[0];
    cJSON_Delete(j);
    return ok;
}

#define MAX_N 3000

static void sweep(const struct op *op)
{
    int n, acked = 0, refused = 0, lost = 0, wrong_status = 0, changed = 0, retry_bad = 0;
    int fired_ok = 0, shown = 0;
    for (n = 0; n < MAX_N; n++) {
        struct snap before, after;
        struct resp r;
        char diff[512];
        long f0;
        size_t c0;
        int fired;
        if (op->setup && op->setup(n)) {
            tap_diag("%s: setup %d failed", op->name, n);
            retry_bad++;
            break;
        }
        snapshot(&before);
        c0 = count_of(op->table);
        f0 = sc_alloc_failures();
        pending_arm = n;
        op->send(n, &r);
        pending_arm = -1;
        sc_alloc_fail_after(-1);
        fired = sc_alloc_failures() != f0;
        if (r.status >= 200 && r.status < 300) {
            acked++;
            fired_ok += fired;
            if (!op->stored(n, &r) || count_of(op->table) != c0 + (size_t)(long)op->delta) {
                lost++;
                if (shown++ < 30)
                    tap_diag("%s N=%d: %d acknowledged, not stored whole (%zu -> %zu): %.300s",
                             op->name, n, r.status, c0, count_of(op->table), r.body);
            }
            if (op->cleanup)
                op->cleanup(n);
            if (!fired)
                break; /* the request ran to its end without meeting the failure */
            continue;
        }
        refused++;
        if (!fired) {
            tap_diag("%s N=%d: refused (%d) with no failure injected: %.300s", op->name, n,
                     r.status, r.body);
            retry_bad++;
            break;
        }
        snapshot(&after);
        snap_diff(&before, &after, diff, sizeof diff);
        if (!is_error_with_message(&r)) {
            wrong_status++;
            if (shown++ < 30)
                tap_diag("%s N=%d: answered %d: %.300s", op->name, n, r.status, r.body);
        }
        if (diff[0]) {
            changed++;
            if (shown++ < 30)
                tap_diag("%s N=%d: refused (%d) but changed %s", op->name, n, r.status, diff);
        }
        /* the same request again, without injection: done once */
        op->send(n, &r);
        if (r.status < 200 || r.status > 299 || !op->stored(n, &r) ||
            count_of(op->table) != c0 + (size_t)(long)op->delta) {
            retry_bad++;
            if (shown++ < 30)
                tap_diag("%s N=%d: retry answered %d (%zu -> %zu): %.300s", op->name, n, r.status,
                         c0, count_of(op->table), r.body);
        }
        if (op->cleanup)
            op->cleanup(n);
    }
    ok(n < MAX_N && refused > 0,
       "%s: %d requests refused under injection, %d acknowledged (%d of them after a failure)",
       op->name, refused, acked, fired_ok);
    is_int(lost, 0, "%s: every acknowledged write is stored whole", op->name);
    is_int(wrong_status, 0, "%s: every refusal is a 5xx with a message", op->name);
    is_int(changed, 0, "%s: a refused request changed nothing in the store", op->name);
    is_int(retry_bad, 0, "%s: the request again succeeds, with exactly its own record", op->name);
}

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

static char admin_key[80], admin_secret[80];

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

/* ---- SCORM registrations and courses ------------------------------------------------------- */

static char course12[200];
static char reg_id[40];

static const char MANIFEST12[] =
    "<?xml version=\"1.0\"?>\n"
    "<manifest identifier=\"oom12\" version=\"1\" "
    "xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\"\n"
    "  xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\">\n"
    "  <organizations default=\"o\"><organization identifier=\"o\"><title>OOM</title>\n"
    "    <item identifier=\"i1\" identifierref=\"r1\"><title>One</title></item>\n"
    "  </organization></organizations>\n"
    "  <resources>\n"
    "    <resource identifier=\"r1\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"a.html\">"
    "<file href=\"a.html\"/></resource>\n"
    "  </resources>\n"
    "</manifest>\n";

static int zip_put(zip_t *za, const char *name, const char *s)
{
    zip_source_t *src = zip_source_buffer(za, s, strlen(s), 0);
    if (!src || zip_file_add(za, name, src, ZIP_FL_OVERWRITE) < 0) {
        zip_source_free(src);
        return -1;
    }
    return 0;
}

static int import_course(char *out, size_t n)
{
    char zp[512];
    zip_t *za;
    cJSON *res = NULL;
    struct scorm_diag d;
    struct scorm_import_opts o;
    int rc, ze;
    snprintf(zp, sizeof zp, "%s/course.zip", tmp);
    za = zip_open(zp, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    if (!za || zip_put(za, "imsmanifest.xml", MANIFEST12) ||
        zip_put(za, "a.html", "<html>a</html>") || zip_close(za))
        bail("zip");
    memset(&o, 0, sizeof o);
    o.in_process = 1; /* the server's threads are running: no fork */
    rc = scorm_import_file(app.db, zp, &o, &res, &d);
    if (!rc)
        snprintf(out, n, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(res, "course")));
    cJSON_Delete(res);
    return rc;
}

static void reg_post_send(int i, struct resp *r)
{
    char body[400];
    snprintf(body, sizeof body, "{\"course\":\"%s\",\"learner\":{\"id\":\"l%d\",\"name\":\"L\"}}",
             course12, i);
    api("POST", "/api/registrations", NULL, "application/json", body, r);
}

static int reg_post_stored(int i, const struct resp *r)
{
    cJSON *j = cJSON_Parse(r->body);
    const char *reg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "registration"));
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "launch_url"));
    char path[100];
    struct resp g;
    int ok = r->status == 201 && reg && url &&
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "token")) &&
             strstr(url, reg) != NULL;
    (void)i;
    if (ok) {
        snprintf(path, sizeof path, "/api/registrations/%s", reg);
        ok = api("GET", path, NULL, NULL, NULL, &g) == 200;
    }
    cJSON_Delete(j);
    return ok;
}

/* a registration per round (made over HTTP without injection) */
static int reg_setup(int i)
{
    struct resp r;
    cJSON *j;
    reg_post_send(100000 + i, &r);
    if (r.status != 201)
        return -1;
    j = cJSON_Parse(r.body);
    snprintf(reg_id, sizeof reg_id, "%s",
             str_or(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "registration"))));
    cJSON_Delete(j);
    return 0;
}

static void reg_reset_send(int i, struct resp *r)
{
    char path[100];
    (void)i;
    snprintf(path, sizeof path, "/api/registrations/%s/reset", reg_id);
    api("POST", path, NULL, NULL, NULL, r);
}

static int reg_reset_stored(int i, const struct resp *r)
{
    cJSON *j = cJSON_Parse(r->body);
    int ok =
        r->status == 200 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "reset")) &&
        !strcmp(str_or(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "registration"))),
                reg_id);
    (void)i;
    cJSON_Delete(j);
    return ok;
}

static void reg_del_send(int i, struct resp *r)
{
    char path[100];
    (void)i;
    snprintf(path, sizeof path, "/api/registrations/%s", reg_id);
    api("DELETE", path, NULL, NULL, NULL, r);
}

static int reg_del_stored(int i, const struct resp *r)
{
    struct resp g;
    char path[100];
    (void)i;
    snprintf(path, sizeof path, "/api/registrations/%s", reg_id);
    return r->status == 204 && api("GET", path, NULL, NULL, NULL, &g) == 404;
}

static char del_course[200];

static int course_del_setup(int i)
{
    (void)i;
    return import_course(del_course, sizeof del_course) ? -1 : 0;
}

static void course_del_send(int i, struct resp *r)
{
    char path[300];
    (void)i;
    snprintf(path, sizeof path, "/api/courses/%s", del_course);
    api("DELETE", path, NULL, NULL, NULL, r);
}

static int course_del_stored(int i, const struct resp *r)
{
    char path[300];
    struct resp g;
    (void)i;
    snprintf(path, sizeof path, "/api/courses/%s", del_course);
    return r->status == 204 && api("GET", path, NULL, NULL, NULL, &g) == 404 &&
           !scorm_course_exists(app.db, del_course);
}

/* ---- cmi5 ------------------------------------------------------------------------------------ */

static char cmi5_course[300], cmi5_reg[40];

static void cmi5_reg_send(int i, struct resp *r)
{
    char body[600];
    snprintf(body, sizeof body, "{\"course\":\"%s\",\"learner\":{\"id\":\"c%d\",\"name\":\"C\"}}",
             cmi5_course, i);
    api("POST", "/api/registrations", NULL, "application/json", body, r);
}

static int cmi5_reg_stored(int i, const struct resp *r)
{
    cJSON *j = cJSON_Parse(r->body);
    const char *reg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "registration"));
    cJSON *aus = cJSON_GetObjectItemCaseSensitive(j, "aus");
    int ok =
        r->status == 201 && reg && cJSON_GetArraySize(aus) == 1 &&
        cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "launch_url")) &&
        cJSON_IsString(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(aus, 0), "launch_url"));
    char path[100];
    struct resp g;
    (void)i;
    if (ok) {
        snprintf(path, sizeof path, "/api/registrations/%s", reg);
        ok = api("GET", path, NULL, NULL, NULL, &g) == 200;
    }
    cJSON_Delete(j);
    return ok;
}

static int cmi5_launch_setup(int i)
{
    struct resp r;
    cJSON *j;
    /* a registration per round: each launch adds a session its record keeps */
    cmi5_reg_send(100000 + i, &r);
    j = cJSON_Parse(r.body);
    snprintf(cmi5_reg, sizeof cmi5_reg, "%s",
             str_or(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "registration"))));
    cJSON_Delete(j);
    return r.status == 201 ? 0 : -1;
}

static void cmi5_launch_send(int i, struct resp *r)
{
    char path[100];
    (void)i;
    snprintf(path, sizeof path, "/api/registrations/%s/launch", cmi5_reg);
    api("POST", path, NULL, "application/json", "{\"au\":0}", r);
}

static int cmi5_launch_stored(int i, const struct resp *r)
{
    cJSON *j = cJSON_Parse(r->body);
    int ok = r->status == 201 && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "session")) &&
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "launch_url")) &&
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "fetch_url"));
    (void)i;
    cJSON_Delete(j);
    return ok;
}

/* ---- forwarders and webhooks (a target that is never reached: port 9 on loopback) ----------- */

static void fwd_post_send(int i, struct resp *r)
{
    (void)i;
    api("POST", "/api/forwarders", NULL, "application/json",
        "{\"url\":\"http://127.0.0.1:9/xapi/\",\"auth\":{\"key\":\"k\",\"secret\":\"s\"}}", r);
}

static int fwd_stored(const struct resp *r, int status)
{
    cJSON *j = cJSON_Parse(r->body);
    int ok = r->status == status && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "id")) &&
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "url"));
    cJSON_Delete(j);
    return ok;
}

static int fwd_post_stored(int i, const struct resp *r)
{
    (void)i;
    return fwd_stored(r, 201);
}

static int fwd_id;

static int fwd_del_setup(int i)
{
    struct resp r;
    cJSON *j;
    (void)i;
    fwd_post_send(0, &r);
    j = cJSON_Parse(r.body);
    fwd_id = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
    cJSON_Delete(j);
    return r.status == 201 ? 0 : -1;
}

static void fwd_del_send(int i, struct resp *r)
{
    char path[100];
    (void)i;
    snprintf(path, sizeof path, "/api/forwarders/%d", fwd_id);
    api("DELETE", path, NULL, NULL, NULL, r);
}

static int fwd_del_stored(int i, const struct resp *r)
{
    char path[100];
    struct resp g;
    (void)i;
    snprintf(path, sizeof path, "/api/forwarders/%d", fwd_id);
    return r->status == 204 && api("GET", path, NULL, NULL, NULL, &g) == 404;
}

static void hook_post_send(int i, struct resp *r)
{
    (void)i;
    api("POST", "/api/webhooks", NULL, "application/json",
        "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"statement.stored\"],"
        "\"secret\":\"0123456789abcdef\"}",
        r);
}

static int hook_post_stored(int i, const struct resp *r)
{
    (void)i;
    return fwd_stored(r, 201);
}

/* ---- main ------------------------------------------------------------------------------------ */

static const struct op OPS[] = {
    {"state PUT", "docs", 1, NULL, state_put_send, state_put_stored, NULL},
    {"state POST (JSON merge)", "docs", 0, state_post_setup, state_post_send, state_post_stored,
     NULL},
    {"activity profile PUT If-Match", "docs", 0, profile_setup, profile_send, profile_stored, NULL},
    {"agent profile DELETE If-Match", "docs", -1, agent_del_setup, agent_del_send, agent_del_stored,
     NULL},
    {"console sign-in", "console_sessions", 1, NULL, signin_send, signin_stored, sessions_clear},
    {"console sign-out", "console_sessions", -1, signout_setup, signout_send, signout_stored, NULL},
    {"console user create", "users", 1, NULL, user_post_send, user_post_stored, NULL},
    {"console user delete", "users", -1, user_del_setup, user_del_send, user_del_stored, NULL},
    {"registration create", "registrations", 1, NULL, reg_post_send, reg_post_stored, NULL},
    {"registration reset", "registrations", 0, reg_setup, reg_reset_send, reg_reset_stored, NULL},
    {"registration delete", "registrations", -1, reg_setup, reg_del_send, reg_del_stored, NULL},
    {"course delete", "courses", -1, course_del_setup, course_del_send, course_del_stored, NULL},
    {"cmi5 registration create", "cmi5_regs", 1, NULL, cmi5_reg_send, cmi5_reg_stored, NULL},
    {"cmi5 launch", "cmi5_sessions", 1, cmi5_launch_setup, cmi5_launch_send, cmi5_launch_stored,
     NULL},
    {"forwarder create", "outbox", 1, NULL, fwd_post_send, fwd_post_stored, NULL},
    {"forwarder delete", "outbox", -1, fwd_del_setup, fwd_del_send, fwd_del_stored, NULL},
    {"webhook create", "outbox", 1, NULL, hook_post_send, hook_post_stored, NULL},
};

int main(int argc, char **argv)
{
    char dir[300], err[1024], pair[200];
    const char *only = argc > 1 ? argv[1] : NULL;
    struct resp r;

    sc_alloc_init_cjson(); /* cJSON's allocations fail too, as in main() */
    signal(SIGPIPE, SIG_IGN);
    setenv("SCOLAR_SIGNIN_FAILS", "1000000", 1);
    lrs_log_set_level(LRS_LOG_ERROR);
    snprintf(tmp, sizeof tmp, "/tmp/scolar-test-lrs-oom-http-XXXXXX");
    if (!mkdtemp(tmp))
        bail("mkdtemp");
    snprintf(dir, sizeof dir, "%s/data", tmp);
    memset(&app, 0, sizeof app);
    lrs_config_defaults(&app.cfg);
    snprintf(app.cfg.data_dir, sizeof app.cfg.data_dir, "%s", dir);
    snprintf(app.cfg.listen, sizeof app.cfg.listen, "127.0.0.1:0");
    snprintf(app.cfg.content_listen, sizeof app.cfg.content_listen, "127.0.0.1:0");
    app.cfg.threads = 2;
    if (stmt_db_open(dir, &app.db, err, sizeof err) || lrs_db_register(app.db, err, sizeof err))
        bail(err);
    if (lrs_cred_create(app.db, "admin", LRS_SCOPE_ALL | LRS_SCOPE_ADMIN, "oomadmin",
                        "oom-admin-secret", admin_key, sizeof admin_key, admin_secret,
                        sizeof admin_secret))
        bail("admin credential");
    snprintf(pair, sizeof pair, "%s:%s", admin_key, admin_secret);
    memcpy(basic, "Basic ", 6);
    sc_base64_encode(pair, strlen(pair), basic + 6, 0);
    lrs_config_urls(&app.cfg);
    if (lrs_app_open(&app, err, sizeof err) || lrs_server_start(&app, err, sizeof err))
        bail(err);
    api_port = port_of(app.ctx);
    content_port = port_of(app.content_ctx);
    ok(api_port > 0 && content_port > 0, "server listening on %d and %d", api_port, content_port);
    /* the URLs the server hands out name the ports it got */
    snprintf(app.cfg.public_url, sizeof app.cfg.public_url, "http://127.0.0.1:%d", api_port);
    snprintf(app.cfg.content_url, sizeof app.cfg.content_url, "http://127.0.0.1:%d", content_port);

    if (import_course(course12, sizeof course12))
        bail("import");
    {
        static char xml[8192];
        FILE *f = fopen(SOURCE_ROOT "/scorm/tests/data/cmi5/good-minimal.xml", "r");
        size_t len = f ? fread(xml, 1, sizeof xml - 1, f) : 0;
        cJSON *j;
        if (f)
            fclose(f);
        xml[len] = 0;
        if (!len || api("POST", "/api/courses", NULL, "text/xml", xml, &r) != 201)
            bail("cmi5 course");
        j = cJSON_Parse(r.body);
        snprintf(cmi5_course, sizeof cmi5_course, "%s",
                 str_or(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"))));
        cJSON_Delete(j);
    }
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (!only || strstr(OPS[i].name, only))
            sweep(&OPS[i]);
    check_tables();

    lrs_server_stop(&app);
    lrs_app_close(&app);
    stmt_db_close(app.db);
    snprintf(dir, sizeof dir, "rm -rf '%s'", tmp);
    if (system(dir) != 0)
        tap_diag("cleanup of %s failed", tmp);
    return tap_done();
}
