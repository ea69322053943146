/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The content origin (security.md §6): the player page, the run-time JS, package files, and
 * the token-authenticated launch / state / commit endpoints the player calls.
 *
 *   GET  /player/<reg>?token=T                 the player page (runtime_js/player.html)
 *   GET  /player/<reg>/state?token=T           table of contents, statuses, where to resume
 *   POST /player/<reg>/launch                  {token, sco} -> session and the SCO's initial CMI
 *   POST /player/<reg>/initialized/<session>   {token}: the SCO called Initialize
 *   POST /player/<reg>/nav                     {token, request, target?, session?,
 *                                              commit_seq?}: the SCORM 2004 sequencing
 *                                              engine (lrs_navigation_run);
 *                                              every SCORM 2004 course (SN defaults when it
 *                                              has no imsss); {"sequencing": false} for 1.2
 *   POST /player/<reg>/commit/<session>        {token, seq, final, changes} (text/plain, so
 *                                              navigator.sendBeacon works: no preflight)
 *   GET  /runtime/<file>                       scorm-api.js, player.js, player.css, datamodel.json
 *   GET  /content/<course>/<version>/<path>    package files: MIME from our table, unknown types
 *                                              as attachments, nosniff, CSP frame-ancestors
 *
 * The run-time files and datamodel.json are read once, at first use, from the directory
 * configured at build time (SCOLAR_RUNTIME_DIR; the environment variable of that name
 * overrides it), so the shim the browser gets and the data model the server validates with
 * are the same file. No cookies: the launch token authorises one registration only.
 */
#include "lrs/lrs.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "scorm/scorm_content.h"
#include "scorm/scorm_rt.h"
#include "statements/stmt_store.h"
#include "statements/stmt_validate.h"

#include <civetweb.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#ifndef SCOLAR_RUNTIME_DIR
#define SCOLAR_RUNTIME_DIR "runtime_js"
#endif

#define COMMIT_MAX_BODY (4u << 20) /* a full commit: 64k suspend_data + 1000 interactions */

struct rt_file {
    const char *name;
    const char *ctype;
    char *data;
    size_t len;
};

static struct rt_file rt_files[] = {
    {"player.html", "text/html; charset=utf-8", NULL, 0},
    {"player.js", "text/javascript; charset=utf-8", NULL, 0},
    {"player.css", "text/css; charset=utf-8", NULL, 0},
    {"scorm-api.js", "text/javascript; charset=utf-8", NULL, 0},
    {"datamodel.json", "application/json", NULL, 0},
};

/* Loaded once by lrs_rt_open (before the HTTP server starts), read-only afterwards. */

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct sc_buf b;
    char chunk[16384];
    size_t n;
    if (!f)
        return -1;
    sc_buf_init(&b, 64u << 20);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (sc_buf_append(&b, chunk, n)) {
            fclose(f);
            sc_buf_free(&b);
            return -1;
        }
    fclose(f);
    if (sc_buf_append(&b, "", 0)) {
        sc_buf_free(&b);
        return -1;
    }
    *out = sc_buf_steal(&b, len);
    return 0;
}

const char *lrs_runtime_dir(void)
{
    const char *d = getenv("SCOLAR_RUNTIME_DIR");
    return d && *d ? d : SCOLAR_RUNTIME_DIR;
}

int lrs_rt_open(struct lrs_app *app)
{
    char path[PATH_MAX], base[600];
    struct sc_buf auth = SC_BUF_INIT;
    struct scorm_rt_opts o;
    struct scorm_diag d;
    memset(&o, 0, sizeof o);
    memset(&d, 0, sizeof d);
    app->rt_error[0] = '\0';
    for (size_t i = 0; i < sizeof rt_files / sizeof rt_files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", lrs_runtime_dir(), rt_files[i].name);
        if (read_file(path, &rt_files[i].data, &rt_files[i].len)) {
            snprintf(app->rt_error, sizeof app->rt_error, "cannot read %.300s: %.100s", path,
                     strerror(errno));
            break;
        }
    }
    if (!app->rt_error[0]) {
        snprintf(base, sizeof base, "%s/courses/", app->cfg.public_url);
        o.activity_base = base;
        o.learner_home = app->cfg.public_url;
        /* launch token lifetime in seconds (default 7 days); 0 or junk keeps the default */
        const char *ttl = getenv("SCOLAR_TOKEN_TTL");
        if (ttl && *ttl)
            o.token_ttl_s = strtoll(ttl, NULL, 10);
        /* the bridge's statements go to the store with an authority naming scolar's
         * run-time (xAPI Data 2.4.9), through the outbox of scorm_outbox.c */
        sc_buf_init(&auth, 4096);
        sc_buf_puts(&auth, "{\"objectType\":\"Agent\",\"name\":\"scolar SCORM run-time\","
                           "\"account\":{\"homePage\":");
        sc_buf_json_str(&auth, app->cfg.public_url, strlen(app->cfg.public_url));
        sc_buf_puts(&auth, ",\"name\":\"scolar-scorm-runtime\"}}");
        o.store = app->store;
        o.authority_json = auth.data;
        if (!auth.data)
            snprintf(app->rt_error, sizeof app->rt_error, "out of memory");
        else if (scorm_rt_open(app->db, rt_files[4].data, rt_files[4].len, &o, &app->rt, &d))
            snprintf(app->rt_error, sizeof app->rt_error, "%.200s/datamodel.json: %.250s",
                     lrs_runtime_dir(), d.msg);
        sc_buf_free(&auth);
    }
    if (!app->rt_error[0] && app->store) {
        /* before serving: the rows a crash left become statements, then the drainer retries
         * what fails later (scorm_outbox.c) */
        size_t n = 0;
        int rc = scorm_rt_outbox_drain(app->rt, &n);
        if (rc)
            lrs_log(LRS_LOG_ERROR, "scorm bridge outbox: %s (%zu rows stored; the rest is retried)",
                    scorm_rt_strerror(rc), n);
        else if (n)
            lrs_log(LRS_LOG_INFO,
                    "scorm bridge outbox: %zu rows of the last run handled (statements stored, "
                    "or found stored already)",
                    n);
        if (scorm_rt_outbox_start(app->rt))
            lrs_log(LRS_LOG_ERROR, "scorm bridge outbox: cannot start the drainer thread");
    }
    if (!app->rt_error[0])
        return 0;
    lrs_log(LRS_LOG_ERROR, "SCORM run-time unavailable: %s", app->rt_error);
    return -1;
}

void lrs_rt_close(struct lrs_app *app)
{
    scorm_rt_close(app->rt);
    app->rt = NULL;
    for (size_t i = 0; i < sizeof rt_files / sizeof rt_files[0]; i++) {
        sc_free(rt_files[i].data);
        rt_files[i].data = NULL;
        rt_files[i].len = 0;
    }
}

struct scorm_rt *lrs_rt_get(struct lrs_app *app, char *err, size_t errlen)
{
    if (!app->rt && err)
        snprintf(err, errlen, "%s", app->rt_error[0] ? app->rt_error : "not opened");
    return app->rt;
}

/* Headers of everything the content origin sends: it may be framed only by itself and the
 * LMS origin (security.md §6). */
static void content_headers(struct lrs_req *r)
{
    lrs_resp_header(r, "Content-Security-Policy", "frame-ancestors 'self' %s",
                    r->app->cfg.public_url);
    lrs_resp_header(r, "Cross-Origin-Resource-Policy", "same-site");
}

/* ---- token ----------------------------------------------------------------------------- */

static int check_token(struct lrs_req *r, struct scorm_rt *rt, const char *reg, const char *token)
{
    int rc = scorm_rt_token_check(rt, reg, token);
    if (rc == SCORM_RT_OK)
        return 0;
    if (rc == SCORM_RT_ERR_STORE)
        lrs_reply_error(r, 500, "cannot read the token store");
    else
        lrs_reply_error(r, lrs_rt_status(rc), "%s%s", scorm_rt_strerror(rc),
                        token && *token ? "" : " (no token given)");
    return -1;
}

/* ---- /runtime/ ------------------------------------------------------------------------- */

static const struct rt_file *rt_file_get(const char *name)
{
    for (size_t i = 0; i < sizeof rt_files / sizeof rt_files[0]; i++)
        if (!strcmp(rt_files[i].name, name))
            return &rt_files[i];
    return NULL;
}

void lrs_route_runtime(struct lrs_req *r)
{
    const char *name = r->path + strlen("/runtime/");
    const struct rt_file *f;
    char err[512];
    if (!lrs_rt_get(r->app, err, sizeof err)) {
        lrs_reply_error(r, 503, "SCORM run-time unavailable: %s", err);
        return;
    }
    f = rt_file_get(name);
    if (!f || !strcmp(name, "player.html")) {
        lrs_reply_error(r, 404, "no run-time file %.80s", name);
        return;
    }
    content_headers(r);
    lrs_resp_header(r, "Cache-Control", "no-cache");
    lrs_reply(r, 200, f->ctype, f->data, f->len);
}

/* ---- /content/ ------------------------------------------------------------------------- */

/* The media type table and the path rule live with the content (scorm/scorm_content.c), where
 * the import records a file's type; these names stay for route_cmi5.c. */
const char *lrs_content_mime(const char *path)
{
    return scorm_content_mime(path);
}

int lrs_content_path_ok(const char *p)
{
    return scorm_content_path_ok(p);
}

/* One "bytes=a-b" / "bytes=a-" / "bytes=-n" range (RFC 9110 14.1.2) of a file of `size` bytes:
 * 1 and [*from, *to] when satisfiable, 0 when absent or not a single byte range (the whole
 * file is sent), -1 when unsatisfiable (416). Media seeking in courses needs it. */
static int parse_range(const char *h, size_t size, size_t *from, size_t *to)
{
    unsigned long long a = 0, b = 0;
    char *end;
    if (!h || strncmp(h, "bytes=", 6) || strchr(h, ','))
        return 0;
    h += 6;
    if (*h == '-') {
        b = strtoull(h + 1, &end, 10);
        if (end == h + 1 || *end)
            return 0;
        if (!b || !size)
            return -1;
        *from = b >= size ? 0 : size - (size_t)b;
        *to = size - 1;
        return 1;
    }
    a = strtoull(h, &end, 10);
    if (end == h || *end != '-')
        return 0;
    h = end + 1;
    if (*h) {
        b = strtoull(h, &end, 10);
        if (*end || b < a)
            return 0;
    } else {
        b = size ? size - 1 : 0;
    }
    if (a >= size)
        return -1;
    *from = (size_t)a;
    *to = b >= size ? size - 1 : (size_t)b;
    return 1;
}

/* RFC 9110 13.1.2: If-None-Match is a list of entity tags (or "*"), compared weakly. */
int lrs_content_etag_listed(const char *h, const char *etag)
{
    size_t n = strlen(etag);
    while (h && *h) {
        while (*h == ' ' || *h == '\t' || *h == ',')
            h++;
        if (*h == '*')
            return 1;
        if (!strncmp(h, "W/", 2))
            h += 2;
        if (!strncmp(h, etag, n) && (h[n] == '\0' || h[n] == ',' || h[n] == ' ' || h[n] == '\t'))
            return 1;
        h = strchr(h, ',');
    }
    return 0;
}

/* The file of c to the client, whole or one range, read a piece at a time through
 * scorm_content (a chunk row at a time on PostgreSQL: never the whole file in memory). */
void lrs_content_send(struct lrs_req *r, struct scorm_content *c, const char *ctype)
{
    char crange[96];
    char *piece;
    size_t size = (size_t)scorm_content_size(c), from = 0, to = size ? size - 1 : 0, left;
    const char *range = lrs_req_header(r, "Range"), *if_range = lrs_req_header(r, "If-Range");
    int status = 200, rg;
    /* RFC 9110 13.1.5: a Range with an If-Range that is not our (strong) ETag is ignored, so
     * a client resuming a file that changed gets the whole new one */
    if (range && if_range && strcmp(if_range, scorm_content_etag(c)) != 0)
        range = NULL;
    rg = parse_range(range, size, &from, &to);
    if (rg < 0) {
        lrs_resp_header(r, "Content-Range", "bytes */%zu", size);
        lrs_reply_error(r, 416, "range not satisfiable for %zu bytes", size);
        return;
    }
    if (rg > 0) {
        status = 206;
        snprintf(crange, sizeof crange, "bytes %zu-%zu/%zu", from, to, size);
    } else {
        from = 0;
        to = size ? size - 1 : 0;
    }
    piece = sc_malloc(65536); /* worker stacks are small: never on the stack */
    if (!piece) {
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    left = size ? to - from + 1 : 0;
    r->status = status;
    lrs_resp_header(r, "Accept-Ranges", "bytes");
    if (status == 206)
        lrs_resp_header(r, "Content-Range", "%s", crange);
    lrs_reply_head(r, status, ctype, 1, left, NULL, 0);
    while (!r->head && left > 0) {
        size_t got = 0;
        int rc = scorm_content_read(c, from, piece, left < 65536 ? left : 65536, &got);
        if (rc || got == 0) { /* the head is out: the connection ends short of its length */
            lrs_log(LRS_LOG_ERROR, "content %s: read at %zu: %s", r->path, from,
                    scorm_strerror(rc));
            break;
        }
        if (mg_write(r->conn, piece, got) <= 0)
            break;
        r->bytes_out += got;
        from += got;
        left -= got;
    }
    sc_free(piece);
}

void lrs_route_content(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/content/");
    const char *s1 = strchr(rest, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    struct scorm_content *c = NULL;
    char course[80];
    const char *rel, *ctype;
    char *end;
    long ver;
    int rc;

    if (!s1 || !s2 || (size_t)(s1 - rest) >= sizeof course || s1 == rest) {
        lrs_reply_error(r, 404, "expected /content/<course>/<version>/<file>");
        return;
    }
    memcpy(course, rest, (size_t)(s1 - rest));
    course[s1 - rest] = 0;
    for (const char *ch = course; *ch; ch++)
        if (!((*ch >= 'A' && *ch <= 'Z') || (*ch >= 'a' && *ch <= 'z') ||
              (*ch >= '0' && *ch <= '9') || *ch == '.' || *ch == '_' || *ch == '-') ||
            !strcmp(course, ".") || !strcmp(course, "..")) {
            lrs_reply_error(r, 404, "no course %.80s", course);
            return;
        }
    ver = strtol(s1 + 1, &end, 10);
    rel = s2 + 1;
    if (end != s2 || ver <= 0 || ver > INT_MAX || !scorm_content_path_ok(rel)) {
        lrs_reply_error(r, 404, "no such package file");
        return;
    }
    /* files on disk (LMDB) or rows of the store (PostgreSQL): scorm/scorm_content.h */
    rc = scorm_content_open(r->app->db, course, (int)ver, rel, &c);
    if (rc == SCORM_ERR_NOTFOUND) {
        lrs_reply_error(r, 404, "no file %.200s in %s version %ld", rel, course, ver);
        return;
    }
    if (rc) {
        lrs_reply_error(r, rc == SCORM_ERR_NOMEM ? 500 : 503, "cannot open %.200s: %s", rel,
                        scorm_strerror(rc));
        return;
    }
    ctype = scorm_content_type(c);
    content_headers(r);
    if (!ctype) {
        /* security.md §6: unknown types are downloads, never rendered */
        ctype = "application/octet-stream";
        lrs_resp_header(r, "Content-Disposition", "attachment");
    }
    lrs_resp_header(r, "Cache-Control", "private, max-age=300");
    lrs_resp_header(r, "ETag", "%s", scorm_content_etag(c));
    /* RFC 9110 13.1.2: a GET or HEAD whose If-None-Match names our ETag gets 304, no body */
    if (lrs_content_etag_listed(lrs_req_header(r, "If-None-Match"), scorm_content_etag(c)))
        lrs_reply(r, 304, NULL, NULL, 0);
    else
        lrs_content_send(r, c, ctype);
    scorm_content_close(c);
}

/* ---- /player/ -------------------------------------------------------------------------- */

/* Body of a POST: JSON object (sent as text/plain by sendBeacon or application/json). */
static cJSON *read_json_body(struct lrs_req *r, size_t cap)
{
    int rc = lrs_req_read_body(r, cap);
    cJSON *j;
    if (rc) {
        lrs_reply_error(r, rc, rc == 413 ? "body larger than %zu bytes" : "cannot read the body",
                        cap);
        return NULL;
    }
    j = lrs_req_json(r, "body");
    return j;
}

static void player_page(struct lrs_req *r, struct scorm_rt *rt, const char *reg)
{
    const struct rt_file *f = rt_file_get("player.html");
    lrs_req_parse_query(r);
    if (check_token(r, rt, reg, lrs_req_param(r, "token")))
        return;
    content_headers(r);
    lrs_resp_header(r, "Cache-Control", "no-store");
    /* the token is in this page's URL: never send it on in a Referer */
    lrs_resp_header(r, "Referrer-Policy", "no-referrer");
    lrs_reply(r, 200, f->ctype, f->data, f->len);
}

static void player_state(struct lrs_req *r, struct scorm_rt *rt, const char *reg)
{
    cJSON *out = NULL;
    int rc;
    lrs_req_parse_query(r);
    if (check_token(r, rt, reg, lrs_req_param(r, "token")))
        return;
    rc = scorm_rt_player_state(rt, reg, &out);
    if (rc) {
        lrs_reply_error(r, lrs_rt_status(rc), "%s", scorm_rt_strerror(rc));
        return;
    }
    lrs_resp_header(r, "Cache-Control", "no-store");
    lrs_reply_json(r, 200, out);
    cJSON_Delete(out);
}

static void player_launch(struct lrs_req *r, struct scorm_rt *rt, const char *reg)
{
    cJSON *body = read_json_body(r, 64 * 1024), *out = NULL;
    struct scorm_diag d;
    int rc;
    if (!body)
        return;
    memset(&d, 0, sizeof d);
    if (check_token(r, rt, reg, cJSON_GetStringValue(cJSON_GetObjectItem(body, "token"))))
        goto out;
    rc = scorm_rt_launch(rt, reg, cJSON_GetStringValue(cJSON_GetObjectItem(body, "sco")), &out, &d);
    if (rc) {
        lrs_reply_error(r, lrs_rt_status(rc), "%s", d.msg[0] ? d.msg : scorm_rt_strerror(rc));
        goto out;
    }
    lrs_resp_header(r, "Cache-Control", "no-store");
    lrs_reply_json(r, 200, out);
out:
    cJSON_Delete(out);
    cJSON_Delete(body);
}

static void player_commit(struct lrs_req *r, struct scorm_rt *rt, const char *reg,
                          const char *session)
{
    size_t cap = r->app->cfg.max_body < COMMIT_MAX_BODY ? r->app->cfg.max_body : COMMIT_MAX_BODY;
    cJSON *body = read_json_body(r, cap), *out = NULL;
    struct scorm_diag d;
    int rc;
    if (!body)
        return;
    memset(&d, 0, sizeof d);
    if (check_token(r, rt, reg, cJSON_GetStringValue(cJSON_GetObjectItem(body, "token"))))
        goto out;
    rc = scorm_rt_commit(rt, reg, session, body, &out, &d);
    if (rc == SCORM_RT_ERR_CLOSED) {
        /* a late arrival after Terminate: nothing changes (scorm-runtime.md §9) */
        lrs_reply_error(r, 409, "session %s has ended; the commit was ignored", session);
        goto out;
    }
    if (rc) {
        struct sc_buf b = SC_BUF_INIT;
        int status = lrs_rt_status(rc);
        if (rc == SCORM_RT_ERR_STORE || rc == SCORM_RT_ERR_NOMEM) {
            lrs_reply_error(r, 500, "%s", scorm_rt_strerror(rc));
            goto out;
        }
        /* {"error", "status", "message", "element", "scorm_error"}: nothing was stored */
        sc_buf_init(&b, 8192);
        sc_buf_printf(&b, "{\"error\":true,\"status\":%d,\"message\":", status);
        sc_buf_json_str(&b, d.msg[0] ? d.msg : scorm_rt_strerror(rc),
                        strlen(d.msg[0] ? d.msg : scorm_rt_strerror(rc)));
        if (d.file[0]) {
            sc_buf_puts(&b, ",\"element\":");
            sc_buf_json_str(&b, d.file, strlen(d.file));
        }
        if (d.code > 0)
            sc_buf_printf(&b, ",\"scorm_error\":%d", d.code);
        sc_buf_puts(&b, "}");
        lrs_reply_buf(r, status, "application/json", &b);
        sc_buf_free(&b);
        goto out;
    }
    lrs_reply_json(r, 200, out);
out:
    cJSON_Delete(out);
    cJSON_Delete(body);
}

/* The SCO called Initialize: {token} -> 204 (the start statement of the session). */
static void player_initialized(struct lrs_req *r, struct scorm_rt *rt, const char *reg,
                               const char *session)
{
    cJSON *body = read_json_body(r, 4096);
    int rc;
    if (!body)
        return;
    if (!check_token(r, rt, reg, cJSON_GetStringValue(cJSON_GetObjectItem(body, "token")))) {
        rc = scorm_rt_initialized(rt, reg, session);
        if (rc)
            lrs_reply_error(r, lrs_rt_status(rc), "%s", scorm_rt_strerror(rc));
        else
            lrs_reply(r, 204, NULL, NULL, 0);
    }
    cJSON_Delete(body);
}

/* A navigation request of the player: {token, request, target?, cmi?} -> the answer of
 * lrs_navigation_run (SN 4th OP.1 through scorm/seq.h). */
static void player_nav(struct lrs_req *r, struct scorm_rt *rt, const char *reg)
{
    cJSON *body = read_json_body(r, 64 * 1024), *out = NULL;
    char err[512];
    int status;
    if (!body)
        return;
    if (check_token(r, rt, reg, cJSON_GetStringValue(cJSON_GetObjectItem(body, "token"))))
        goto out;
    status = lrs_navigation_run(r->app, reg, body, LRS_NAV_PLAYER, &out, err, sizeof err);
    if (status != 200) {
        lrs_reply_error(r, status, "%s", err);
        goto out;
    }
    lrs_resp_header(r, "Cache-Control", "no-store");
    lrs_reply_json(r, 200, out);
out:
    cJSON_Delete(out);
    cJSON_Delete(body);
}

void lrs_route_player(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/player/");
    char reg[40], err[512];
    const char *sub;
    size_t n;
    struct scorm_rt *rt = lrs_rt_get(r->app, err, sizeof err);
    if (!rt) {
        lrs_reply_error(r, 503, "SCORM run-time unavailable: %s", err);
        return;
    }
    sub = strchr(rest, '/');
    n = sub ? (size_t)(sub - rest) : strlen(rest);
    if (n != 36) {
        lrs_reply_error(r, 404, "no registration %.60s", rest);
        return;
    }
    memcpy(reg, rest, n);
    reg[n] = 0;
    if (!sub || !sub[1]) {
        if (strcmp(r->method, "GET") && !r->head) {
            lrs_reply_error(r, 405, "method %s not allowed on the player page", r->method);
            return;
        }
        player_page(r, rt, reg);
        return;
    }
    sub++;
    if (!strcmp(sub, "state")) {
        if (strcmp(r->method, "GET") && !r->head)
            lrs_reply_error(r, 405, "use GET for %s", r->path);
        else
            player_state(r, rt, reg);
        return;
    }
    if (!strcmp(sub, "launch")) {
        if (strcmp(r->method, "POST"))
            lrs_reply_error(r, 405, "use POST for %s", r->path);
        else
            player_launch(r, rt, reg);
        return;
    }
    if (!strcmp(sub, "nav")) {
        if (strcmp(r->method, "POST"))
            lrs_reply_error(r, 405, "use POST for %s", r->path);
        else
            player_nav(r, rt, reg);
        return;
    }
    if (!strncmp(sub, "initialized/", 12)) {
        if (strcmp(r->method, "POST"))
            lrs_reply_error(r, 405, "use POST for %s", r->path);
        else
            player_initialized(r, rt, reg, sub + 12);
        return;
    }
    if (!strncmp(sub, "commit/", 7)) {
        if (strcmp(r->method, "POST"))
            lrs_reply_error(r, 405, "use POST for %s", r->path);
        else
            player_commit(r, rt, reg, sub + 7);
        return;
    }
    lrs_reply_error(r, 404, "no resource at %s", r->path);
}
