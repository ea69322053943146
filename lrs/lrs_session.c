/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console sessions and the /api/ guards (issue 13 sign-in, issue 15 admin API findings;
 * security.md §7).
 *
 * POST /api/session signs in with an admin credential ({"key","secret"}) or a console user
 * ({"user","password"}) and sets the cookie scolar_session (HttpOnly; SameSite=Strict; Path=/;
 * Secure when the public URL is https). The cookie holds 32 random bytes (base64url); the store
 * keeps only their SHA-256 (table "console_sessions"), so a copy of the store opens no
 * session. Each session has a synchronizer CSRF token that every non-GET/HEAD request made
 * with the cookie must repeat in X-CSRF-Token, and an idle expiry (SCOLAR_SESSION_IDLE, 30 min
 * by default); sessions are in LMDB, so they survive a restart.
 *
 * Guards on every /api/ request (lrs_console_origin_guard, lrs_console_type_guard): a browser
 * request from another origin is refused whatever its credentials (an Origin header that is not
 * the API origin's), and a body must carry its declared type (application/json; uploads a zip
 * or multipart), so that a cross-site form (text/plain, urlencoded) can never reach the admin
 * API.
 *
 * Sign-in failures do not tell whether a key or user exists: an unknown one costs the same
 * PBKDF2 run against a dummy hash and gets the same answer. Failures are limited per client
 * address and per key or user name (SCOLAR_SIGNIN_FAILS, default 10, in SIGNIN_WINDOW_S, then
 * 429 until the window ends), so guessing costs the guesser time and cannot keep the cores busy
 * with PBKDF2. A successful sign-in takes back only the failures of its own address against its
 * own key or user name (signin_succeeded). On PostgreSQL the counts are rows of the store, so N
 * nodes behind a load balancer allow what one node allows, and a restart forgets nothing
 * (lrs_fails.h).
 */
#include "lrs/lrs_console.h"
#include "lrs/lrs_fails.h"
#include "common/sc_alloc.h"
#include "common/sc_base64.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_json.h"

#include <civetweb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SESS_TABLE "console_sessions"
#define SESS_COOKIE_LEN 44    /* base64url of 32 bytes and the NUL */
#define CRED_DUMMY_ITER 20000 /* lrs_auth.c PBKDF2_ITER: what a known key's check costs */

static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                          "base-uri 'none'; frame-ancestors 'none'";

void lrs_console_headers(struct lrs_req *r)
{
    lrs_resp_header(r, "Content-Security-Policy", "%s", CSP);
    lrs_resp_header(r, "X-Frame-Options", "DENY");
    lrs_resp_header(r, "Referrer-Policy", "no-referrer");
}

/* ---- small encoders --------------------------------------------------------------------- */

/* 32 random bytes as base64url (43 characters) */
static int random_token(char out[SESS_COOKIE_LEN])
{
    unsigned char raw[32];
    if (sc_random_bytes(raw, sizeof raw))
        return -1;
    sc_base64_encode(raw, sizeof raw, out, 1);
    return 0;
}

static void token_key(const char *token, char hex[65])
{
    unsigned char h[32];
    sc_sha256(token, strlen(token), h);
    sc_hex(h, sizeof h, hex);
}

/* ---- guards ----------------------------------------------------------------------------- */

/* "scheme://host[:port]" of a URL: its length (up to the first '/' after the authority). */
static size_t origin_len(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return 0;
    p += 3;
    while (*p && *p != '/' && *p != '?' && *p != '#')
        p++;
    return (size_t)(p - url);
}

static int same_origin(struct lrs_req *r, const char *origin)
{
    const char *pub = r->app->cfg.public_url, *host = lrs_req_header(r, "Host");
    size_t n = origin_len(pub);
    if (n && strlen(origin) == n && !strncasecmp(origin, pub, n))
        return 1;
    if (host && *host) {
        size_t hl = strlen(host);
        if (!strncasecmp(origin, "http://", 7) && strlen(origin + 7) == hl &&
            !strcasecmp(origin + 7, host))
            return 1;
        if (!strncasecmp(origin, "https://", 8) && strlen(origin + 8) == hl &&
            !strcasecmp(origin + 8, host))
            return 1;
    }
    return 0;
}

/* The media type of a Content-Type value equals `want` (parameters ignored). */
static int media_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, n))
        return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == 0 || *ct == ';';
}

int lrs_console_origin_guard(struct lrs_req *r)
{
    const char *origin = lrs_req_header(r, "Origin");
    /* issue 15: the admin API answers only its own pages, never another site's script or
     * form (whatever the credentials: a cookie, or a Basic header a browser cached) */
    if (origin && !same_origin(r, origin)) {
        lrs_reply_error(r, 403, "cross-origin requests are refused on /api (Origin %.100s)",
                        origin);
        return 1;
    }
    return 0;
}

int lrs_console_type_guard(struct lrs_req *r)
{
    const char *ct;
    int has_body, upload;

    if (strcmp(r->method, "POST") && strcmp(r->method, "PUT") && strcmp(r->method, "PATCH"))
        return 0;
    has_body = r->ri->content_length > 0 || lrs_req_header(r, "Transfer-Encoding") != NULL;
    if (!has_body)
        return 0;
    ct = lrs_req_header(r, "Content-Type");
    upload = !strcmp(r->method, "POST") &&
             (!strcmp(r->path, "/api/courses") || !strcmp(r->path, "/api/courses/"));
    if (upload) {
        if (ct &&
            (media_is(ct, "application/zip") || media_is(ct, "application/octet-stream") ||
             media_is(ct, "application/x-zip-compressed") || media_is(ct, "multipart/form-data") ||
             media_is(ct, "text/xml") || media_is(ct, "application/xml"))) /* cmi5 14.2 */
            return 0;
        lrs_reply_error(
            r, 415,
            "Content-Type '%.64s' not accepted: send the package as application/zip "
            "(or application/octet-stream), a cmi5 course structure as text/xml, or as a "
            "multipart/form-data upload",
            ct ? ct : "(none)");
        return 1;
    }
    if (ct && media_is(ct, "application/json"))
        return 0;
    lrs_reply_error(r, 415,
                    "Content-Type '%.64s' not accepted: the admin API takes application/json",
                    ct ? ct : "(none)");
    return 1;
}

/* ---- the session store ------------------------------------------------------------------ */

static pthread_once_t idle_once = PTHREAD_ONCE_INIT;
static int64_t idle_s = LRS_SESSION_IDLE_S;

static void idle_init(void)
{
    const char *e = getenv("SCOLAR_SESSION_IDLE");
    char *end;
    long long v;
    if (!e || !*e)
        return;
    v = strtoll(e, &end, 10);
    if (*end || v < 1 || v > 366LL * 86400) {
        lrs_log(LRS_LOG_WARN, "SCOLAR_SESSION_IDLE=%s ignored: seconds from 1 to 31622400", e);
        return;
    }
    idle_s = v;
}

int64_t lrs_session_idle_s(void)
{
    pthread_once(&idle_once, idle_init);
    return idle_s;
}

/* The record of session `key`: 0 and *rec (owned), STMT_DB_NOTFOUND, or another error (out of
 * memory, storage: the session may well exist). */
static int sess_load(struct stmt_db *db, const char *key, cJSON **rec)
{
    char *v = NULL;
    size_t vl;
    int rc = stmt_db_get1(db, SESS_TABLE, key, 64, &v, &vl);
    if (rc)
        return rc;
    *rec = cJSON_ParseWithLength(v, vl);
    sc_free(v);
    return *rec ? 0 : STMT_DB_ERR_NOMEM;
}

static int sess_save(struct stmt_db *db, const char *key, const cJSON *rec)
{
    char *s = cJSON_PrintUnformatted(rec);
    int rc;
    if (!s)
        return STMT_DB_ERR_NOMEM;
    rc = stmt_db_put1(db, SESS_TABLE, key, 64, s, strlen(s), 0);
    cJSON_free(s);
    return rc;
}

static double jnum(const cJSON *o, const char *name)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static const char *jstr(const cJSON *o, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

struct purge_ctx {
    int64_t now_us, idle_us;
    const char *kind, *name; /* NULL: expired ones */
    char (*keys)[65];
    size_t n, cap;
};

static int purge_visit(void *vctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct purge_ctx *c = vctx;
    cJSON *rec;
    int drop;
    long f0 = sc_alloc_failures();
    if (kl != 64 || c->n == c->cap)
        return 0;
    rec = cJSON_ParseWithLength(v, vl);
    if (!rec && sc_alloc_failures() != f0)
        return STMT_DB_ERR_NOMEM; /* unreadable for want of memory: not a broken record */
    if (!rec)
        drop = 1;
    else if (c->kind)
        drop = jstr(rec, "kind") && jstr(rec, "name") && !strcmp(jstr(rec, "kind"), c->kind) &&
               !strcmp(jstr(rec, "name"), c->name);
    else
        drop = (int64_t)jnum(rec, "last") + c->idle_us < c->now_us;
    cJSON_Delete(rec);
    if (drop) {
        memcpy(c->keys[c->n], k, 64);
        c->keys[c->n][64] = 0;
        c->n++;
    }
    return 0;
}

/* Delete expired sessions, or every session of (kind, name); at most 1024 per call. */
static void sess_purge(struct stmt_db *db, const char *kind, const char *name)
{
    struct purge_ctx c = {
        sc_time_now_us(), lrs_session_idle_s() * 1000000, kind, name, NULL, 0, 1024};
    struct stmt_db_txn *t = NULL;
    c.keys = sc_malloc(c.cap * sizeof *c.keys);
    if (!c.keys)
        return;
    if (!stmt_db_txn_begin(db, 0, &t)) {
        if (stmt_db_scan(t, SESS_TABLE, NULL, 0, purge_visit, &c))
            c.n = 0; /* scan cut short: delete nothing this time */
        stmt_db_txn_abort(t);
        t = NULL;
    }
    if (c.n && !stmt_db_txn_begin(db, 1, &t)) {
        for (size_t i = 0; i < c.n; i++)
            stmt_db_del(t, SESS_TABLE, c.keys[i], 64);
        if (stmt_db_txn_commit(t))
            lrs_log(LRS_LOG_WARN, "console sessions: cannot delete %zu stale ones", c.n);
    }
    sc_free(c.keys);
}

void lrs_session_drop_all(struct stmt_db *db, const char *kind, const char *name)
{
    sess_purge(db, kind, name);
}

int lrs_session_drop_all_txn(struct stmt_db_txn *t, const char *kind, const char *name)
{
    struct purge_ctx c = {0, 0, kind, name, NULL, 0, 1024};
    int rc;
    c.keys = sc_malloc(c.cap * sizeof *c.keys);
    if (!c.keys)
        return STMT_DB_ERR_NOMEM;
    rc = stmt_db_scan(t, SESS_TABLE, NULL, 0, purge_visit, &c);
    for (size_t i = 0; !rc && i < c.n; i++)
        rc = stmt_db_del(t, SESS_TABLE, c.keys[i], 64);
    sc_free(c.keys);
    return rc;
}

#define SESS_UNAVAILABLE 2 /* *had_cookie of sess_current: a cookie that cannot be checked now */

/* The session of the request's cookie, still valid (idle time, credential not revoked, user
 * still there): the owned record, and its store key in key. NULL otherwise (an expired one is
 * deleted). The last access is refreshed, at most every tenth of the idle time. *had_cookie: 0
 * no cookie, 1 a cookie, SESS_UNAVAILABLE when the store could not answer (out of memory): the
 * session is left as it was and the request is refused with 503, never 401. */
static cJSON *sess_current(struct lrs_req *r, char key[65], int *had_cookie)
{
    const char *cookies = lrs_req_header(r, "Cookie");
    char tok[128];
    cJSON *rec;
    int64_t now = sc_time_now_us(), idle_us = lrs_session_idle_s() * 1000000, last;
    const char *kind, *name;

    *had_cookie = 0;
    if (!cookies || mg_get_cookie(cookies, LRS_SESSION_COOKIE, tok, sizeof tok) <= 0)
        return NULL;
    *had_cookie = 1;
    if (strlen(tok) != SESS_COOKIE_LEN - 1)
        return NULL;
    token_key(tok, key);
    int lrc = sess_load(r->app->db, key, &rec);
    if (lrc) {
        if (lrc != STMT_DB_NOTFOUND)
            *had_cookie = SESS_UNAVAILABLE;
        return NULL;
    }
    last = (int64_t)jnum(rec, "last");
    kind = jstr(rec, "kind");
    name = jstr(rec, "name");
    if (last + idle_us < now || !kind || !name) {
        stmt_db_del1(r->app->db, SESS_TABLE, key, 64);
        cJSON_Delete(rec);
        return NULL;
    }
    if (!strcmp(kind, "credential")) {
        char *v = NULL;
        size_t vl;
        cJSON *cred = NULL;
        int ok = 0, grc = stmt_db_get1(r->app->db, "creds", name, strlen(name), &v, &vl);
        if (!grc) {
            cred = cJSON_ParseWithLength(v, vl);
            ok = cred && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cred, "revoked"));
        }
        sc_free(v);
        if ((grc && grc != STMT_DB_NOTFOUND) || (!grc && !cred)) {
            cJSON_Delete(rec); /* cannot tell now: the session stays */
            *had_cookie = SESS_UNAVAILABLE;
            return NULL;
        }
        cJSON_Delete(cred);
        if (!ok) { /* revoked since: its sessions end with it */
            stmt_db_del1(r->app->db, SESS_TABLE, key, 64);
            cJSON_Delete(rec);
            return NULL;
        }
    } else {
        int ex = lrs_user_exists(r->app->db, name);
        if (ex <= 0) {
            if (ex == 0) /* the user was deleted */
                stmt_db_del1(r->app->db, SESS_TABLE, key, 64);
            else
                *had_cookie = SESS_UNAVAILABLE;
            cJSON_Delete(rec);
            return NULL;
        }
    }
    if (now - last >= idle_us / 10) {
        /* in place: cJSON_ReplaceItemInObject, short of memory for the key's copy, leaves a
         * member without a name, and the record saved then lost "last" and every later member */
        cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "last"), (double)now);
        if (sess_save(r->app->db, key, rec))
            lrs_log(LRS_LOG_WARN, "console session: cannot record the last access");
    }
    return rec;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int lrs_session_auth(struct lrs_req *r)
{
    char key[65];
    int had;
    cJSON *rec = sess_current(r, key, &had);
    const char *csrf, *sent;

    if (!had)
        return 0;
    if (had == SESS_UNAVAILABLE) {
        lrs_reply_error(r, 503, "cannot check the session now (out of memory or storage): retry");
        return -1;
    }
    if (!rec) {
        lrs_reply_error(r, 401, "your session has expired or was ended: sign in again");
        return -1;
    }
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        csrf = jstr(rec, "csrf");
        sent = lrs_req_header(r, LRS_CSRF_HEADER);
        if (!csrf || !sent || strlen(sent) != strlen(csrf) ||
            !sc_ct_equal(sent, csrf, strlen(csrf))) {
            cJSON_Delete(rec);
            lrs_reply_error(r, 403,
                            "%s header missing or wrong: a request signed in by the session "
                            "cookie must repeat the session's CSRF token (GET /api/session)",
                            LRS_CSRF_HEADER);
            return -1;
        }
    }
    memset(&r->cred, 0, sizeof r->cred);
    copy_str(r->cred.key, sizeof r->cred.key, jstr(rec, "name"));
    copy_str(r->cred.name, sizeof r->cred.name, jstr(rec, "display"));
    r->cred.scopes = (unsigned)jnum(rec, "scopes");
    r->authed = 1;
    cJSON_Delete(rec);
    return 1;
}

/* ---- sign-in failure limit -------------------------------------------------------------- */

#define SIGNIN_MAX_FAILS 10 /* default of SCOLAR_SIGNIN_FAILS */
#define SIGNIN_WINDOW_S 300

static pthread_once_t max_fails_once = PTHREAD_ONCE_INIT;
static int max_fails = SIGNIN_MAX_FAILS;

static void max_fails_init(void)
{
    const char *e = getenv("SCOLAR_SIGNIN_FAILS");
    char *end;
    long v;
    if (!e || !*e)
        return;
    v = strtol(e, &end, 10);
    if (*end || v < 1 || v > 1000000)
        lrs_log(LRS_LOG_WARN, "SCOLAR_SIGNIN_FAILS=%s ignored: a number from 1 to 1000000", e);
    else
        max_fails = (int)v;
}

/* The three names a sign-in is counted under (lrs_fails.h): "a:<address>", "n:<key or user
 * name>", and the pair "p:<address>\x1f<name>" (what that address failed against that name,
 * which its successful sign-in takes back). A name longer than its buffer is cut: two names
 * that share their first 297 bytes share a count, which only tightens the limit. */
struct signin_names {
    char a[300], n[300], p[600];
    const char *names[3];
};

static void signin_names(struct signin_names *sn, const char *addr, const char *name)
{
    snprintf(sn->a, sizeof sn->a, "a:%s", addr ? addr : "");
    snprintf(sn->n, sizeof sn->n, "n:%s", name ? name : "");
    snprintf(sn->p, sizeof sn->p, "p:%.250s\x1f%s", addr ? addr : "", name ? name : "");
    sn->names[0] = sn->a;
    sn->names[1] = sn->n;
    sn->names[2] = sn->p;
}

#define SIGNIN_WINDOW_US ((int64_t)SIGNIN_WINDOW_S * 1000000)

/* Seconds until sign-in from `addr` and for `name` (a key or user name) may be tried again, 0
 * now, -1 when the store cannot tell (answer 503). In memory on LMDB, rows of the store shared
 * by every node on PostgreSQL (lrs_auth_fails.c). */
static int64_t signin_wait(struct stmt_db *db, const char *addr, const char *name, int64_t now)
{
    struct signin_names sn;
    int64_t wait;
    pthread_once(&max_fails_once, max_fails_init);
    signin_names(&sn, addr, name);
    if (lrs__fails_window_wait(db, sn.names, max_fails, SIGNIN_WINDOW_US, now, &wait))
        return -1;
    return wait;
}

static void signin_failed(struct stmt_db *db, const char *addr, const char *name, int64_t now)
{
    struct signin_names sn;
    int rc;
    signin_names(&sn, addr, name);
    rc = lrs__fails_window_note(db, sn.names, SIGNIN_WINDOW_US, now);
    if (rc)
        lrs_log(LRS_LOG_WARN, "a failed sign-in was not counted: %s", stmt_db_strerror(rc));
}

/* A session was opened from `addr` for `name`: what that address failed against that name (a
 * user's own typos) is taken back, and nothing else (lrs_auth_fails.c win_forgive). OWASP's
 * Authentication Cheat Sheet ("Account Lockout") counts failures per account and resets the
 * count after a successful login; resetting all of it would let anyone who can sign in as
 * someone clear the limit standing against a guesser at another address. */
static void signin_succeeded(struct stmt_db *db, const char *addr, const char *name, int64_t now)
{
    struct signin_names sn;
    int rc;
    signin_names(&sn, addr, name);
    rc = lrs__fails_window_forgive(db, sn.names, SIGNIN_WINDOW_US, now);
    if (rc) /* they stay counted: the limit is only tighter */
        lrs_log(LRS_LOG_WARN, "a sign-in's earlier failures were not taken back: %s",
                stmt_db_strerror(rc));
}

/* ---- /api/session ----------------------------------------------------------------------- */

/* The answer about a session: {who, csrf, expires} (owned), or NULL without memory. */
static cJSON *session_json(const cJSON *rec)
{
    char ts[SC_TIME_ISO_LEN];
    cJSON *out = cJSON_CreateObject(), *who, *scopes = NULL;
    int64_t exp = (int64_t)jnum(rec, "last") + lrs_session_idle_s() * 1000000;
    who = cJSON_AddObjectToObject(out, "who");
    if (!who || !cJSON_AddStringToObject(who, "kind", jstr(rec, "kind")) ||
        !cJSON_AddStringToObject(who, "name", jstr(rec, "display")) ||
        (!strcmp(jstr(rec, "kind"), "credential") &&
         !cJSON_AddStringToObject(who, "key", jstr(rec, "name"))) ||
        !(scopes = lrs_scopes_json((unsigned)jnum(rec, "scopes")))) {
        cJSON_Delete(out);
        return NULL;
    }
    if (!cJSON_AddItemToObject(who, "scopes", scopes)) {
        cJSON_Delete(scopes); /* not moved into who */
        cJSON_Delete(out);
        return NULL;
    }
    if (!cJSON_AddStringToObject(out, "csrf", jstr(rec, "csrf")) ||
        !cJSON_AddStringToObject(out, "expires", sc_time_format_iso(exp, 0, ts))) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

static void reply_session(struct lrs_req *r, int status, const cJSON *rec)
{
    cJSON *out = session_json(rec);
    if (!out) {
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    lrs_resp_header(r, "Cache-Control", "no-store");
    lrs_reply_json(r, status, out);
    cJSON_Delete(out);
}

static const char *cookie_secure(struct lrs_req *r)
{
    return !strncasecmp(r->app->cfg.public_url, "https://", 8) ? "; Secure" : "";
}

/* The credential's record when key/secret are right and the key is active, else -1 after the
 * same work as a check of a known key. */
static int check_credential(struct lrs_req *r, const char *key, const char *secret,
                            struct lrs_cred *out)
{
    char *v = NULL, pair[160], hdr[240];
    size_t vl;
    int known = 0, grc = STMT_DB_NOTFOUND;
    if (strlen(key) <= 64 && strlen(secret) <= 72 && !strchr(key, ':') &&
        !(grc = stmt_db_get1(r->app->db, "creds", key, strlen(key), &v, &vl))) {
        cJSON *rec = cJSON_ParseWithLength(v, vl);
        if (!rec)
            grc = STMT_DB_ERR_NOMEM;
        known = rec && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "revoked"));
        cJSON_Delete(rec);
    }
    sc_free(v);
    if (grc && grc != STMT_DB_NOTFOUND)
        return LRS_AUTH_UNAVAILABLE; /* not a wrong secret: no failure is counted */
    if (!known) {
        /* an unknown or revoked key costs what a wrong secret of a known one costs */
        static const unsigned char salt[16] = "scolar-dummy-slt";
        unsigned char h[32];
        (void)sc_pbkdf2(secret, salt, sizeof salt, CRED_DUMMY_ITER, h);
        return -1;
    }
    snprintf(pair, sizeof pair, "%s:%s", key, secret);
    memcpy(hdr, "Basic ", 6);
    sc_base64_encode(pair, strlen(pair), hdr + 6, 0);
    return lrs_cred_verify_basic(r->app->db, hdr, out);
}

static void session_create(struct lrs_req *r)
{
    struct stmt_diag d;
    cJSON *body = NULL, *rec = NULL, *answer = NULL;
    const char *key, *secret, *user, *password;
    char tok[SESS_COOKIE_LEN], csrf[SESS_COOKIE_LEN], skey[65];
    struct lrs_cred cred;
    int64_t now = sc_time_now_us();
    int rc = lrs_req_read_body(r, 16 * 1024);

    memset(&cred, 0, sizeof cred);
    if (rc) {
        lrs_reply_error(r, rc, rc == 413 ? "body larger than 16 KiB" : "cannot read the body");
        return;
    }
    memset(&d, 0, sizeof d);
    body = stmt_json_parse(r->body.data, r->body.len, NULL, &d);
    if (!body && d.code == STMT_ERR_NOMEM) {
        lrs_reply_error(r, 500, "out of memory reading the body");
        return;
    }
    if (!cJSON_IsObject(body)) {
        lrs_reply_error(r, 400,
                        "body must be {\"key\", \"secret\"} (an admin credential) or "
                        "{\"user\", \"password\"} (a console user)%s%s",
                        d.msg[0] ? ": " : "", d.msg);
        goto out;
    }
    key = jstr(body, "key");
    secret = jstr(body, "secret");
    user = jstr(body, "user");
    password = jstr(body, "password");
    {
        int64_t wait = signin_wait(r->app->db, r->client, key ? key : user, now);
        if (wait < 0) {
            lrs_reply_error(r, 503,
                            "cannot check the credentials now (out of memory or "
                            "storage): retry");
            goto out;
        }
        if (wait) {
            lrs_resp_header(r, "Retry-After", "%lld", (long long)wait);
            lrs_reply_error(r, 429, "too many failed sign-ins: try again in %lld s",
                            (long long)wait);
            goto out;
        }
    }
    rec = cJSON_CreateObject();
    if (!rec)
        goto oom;
    if (key && secret) {
        int crc = check_credential(r, key, secret, &cred);
        if (crc == LRS_AUTH_UNAVAILABLE) {
            lrs_reply_error(r, 503,
                            "cannot check the credentials now (out of memory or "
                            "storage): retry");
            goto out;
        }
        if (crc) {
            signin_failed(r->app->db, r->client, key, now);
            lrs_reply_error(r, 401, "key or secret is wrong");
            goto out;
        }
        if (!(cred.scopes & LRS_SCOPE_ADMIN)) {
            lrs_reply_error(r, 403, "this credential has no admin scope: the console needs one");
            goto out;
        }
        if (!cJSON_AddStringToObject(rec, "kind", "credential") ||
            !cJSON_AddStringToObject(rec, "name", cred.key) ||
            !cJSON_AddStringToObject(rec, "display", cred.name) ||
            !cJSON_AddNumberToObject(rec, "scopes", cred.scopes))
            goto oom;
    } else if (user && password) {
        if (lrs_user_verify(r->app->db, user, password)) {
            signin_failed(r->app->db, r->client, user, now);
            lrs_reply_error(r, 401, "user name or password is wrong");
            goto out;
        }
        if (!cJSON_AddStringToObject(rec, "kind", "user") ||
            !cJSON_AddStringToObject(rec, "name", user) ||
            !cJSON_AddStringToObject(rec, "display", user) ||
            !cJSON_AddNumberToObject(rec, "scopes", LRS_SCOPE_ADMIN))
            goto oom;
    } else {
        lrs_reply_error(r, 400,
                        "body must be {\"key\", \"secret\"} (an admin credential) or "
                        "{\"user\", \"password\"} (a console user), all strings");
        goto out;
    }
    if (random_token(tok) || random_token(csrf)) {
        lrs_reply_error(r, 500, "no randomness available");
        goto out;
    }
    if (!cJSON_AddStringToObject(rec, "csrf", csrf) ||
        !cJSON_AddNumberToObject(rec, "created", (double)now) ||
        !cJSON_AddNumberToObject(rec, "last", (double)now))
        goto oom;
    /* the whole answer (body and cookie) is made before the session is stored: once it is,
     * nothing that can fail for want of memory stands between it and the client */
    answer = session_json(rec);
    if (!answer)
        goto oom;
    lrs_resp_header(r, "Set-Cookie", "%s=%s; HttpOnly; SameSite=Strict; Path=/%s",
                    LRS_SESSION_COOKIE, tok, cookie_secure(r));
    lrs_resp_header(r, "Cache-Control", "no-store");
    if (sc_buf_error(&r->hdrs)) {
        sc_buf_reset(&r->hdrs);
        goto oom;
    }
    sess_purge(r->app->db, NULL, NULL);
    token_key(tok, skey);
    if (sess_save(r->app->db, skey, rec)) {
        sc_buf_reset(&r->hdrs); /* no cookie for a session that is not stored */
        lrs_reply_error(r, 500, "cannot store the session");
        goto out;
    }
    signin_succeeded(r->app->db, r->client, jstr(rec, "name"), now);
    lrs_log(LRS_LOG_INFO, "console sign-in: %s %s", jstr(rec, "kind"), jstr(rec, "name"));
    lrs_reply_json(r, 200, answer);
    goto out;
oom:
    lrs_reply_error(r, 500, "out of memory");
out:
    lrs_cred_clear(&cred);
    cJSON_Delete(answer);
    cJSON_Delete(rec);
    cJSON_Delete(body);
}

void lrs_route_session(struct lrs_req *r)
{
    char key[65];
    int had;
    cJSON *rec;

    if (!strcmp(r->method, "POST")) {
        session_create(r);
        return;
    }
    if (strcmp(r->method, "GET") && !r->head && strcmp(r->method, "DELETE")) {
        lrs_reply_error(r, 405, "method %s not allowed on /api/session", r->method);
        return;
    }
    rec = sess_current(r, key, &had);
    if (had == SESS_UNAVAILABLE) {
        lrs_reply_error(r, 503, "cannot check the session now (out of memory or storage): retry");
        return;
    }
    if (!strcmp(r->method, "DELETE")) {
        if (rec) {
            const char *csrf = jstr(rec, "csrf"), *sent = lrs_req_header(r, LRS_CSRF_HEADER);
            if (!csrf || !sent || strlen(sent) != strlen(csrf) ||
                !sc_ct_equal(sent, csrf, strlen(csrf))) {
                cJSON_Delete(rec);
                lrs_reply_error(r, 403,
                                "%s header missing or wrong: signing out needs the session's "
                                "CSRF token",
                                LRS_CSRF_HEADER);
                return;
            }
            if (stmt_db_del1(r->app->db, SESS_TABLE, key, 64) != STMT_DB_OK) {
                cJSON_Delete(rec); /* not signed out: say so, the cookie still works */
                lrs_reply_error(r, 503, "cannot end the session now (storage): retry");
                return;
            }
            lrs_log(LRS_LOG_INFO, "console sign-out: %s %s", jstr(rec, "kind"), jstr(rec, "name"));
            cJSON_Delete(rec);
        }
        lrs_resp_header(r, "Set-Cookie", "%s=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
                        LRS_SESSION_COOKIE, cookie_secure(r));
        lrs_reply(r, 204, NULL, NULL, 0);
        return;
    }
    if (!rec) {
        lrs_reply_error(
            r, 401, had ? "your session has expired or was ended: sign in again" : "not signed in");
        return;
    }
    reply_session(r, 200, rec);
    cJSON_Delete(rec);
}
