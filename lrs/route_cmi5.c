/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP side of cmi5 (scorm/cmi5.h holds the rules). docs/cmi5.md.
 *
 * API origin:
 *   POST /api/courses (route_courses.c hands cmi5 uploads here: a zip with cmi5.xml, or the
 *        course structure XML as text/xml) -> 201 the course; 400 {"message","rule","where"}
 *   GET|DELETE /api/courses/<cmi5 id>[?force=1], GET /api/courses/<id>/registrations
 *   POST /api/registrations {"course", "learner": {"id","name"} | "actor": Agent,
 *        "registration"?} -> 201 (200 when it names an existing one of the same course and actor)
 *   GET|DELETE /api/registrations/<reg>; POST /api/registrations/<reg>/launch {"au", "launchMode",
 *        "returnURL"} -> 201 {"session","launch_url",...}; POST .../waive {"au","reason"}
 *   POST /api/cmi5/sessions/<session>/abandon; GET /api/cmi5/courses
 *   POST /cmi5/fetch/<session>?k=KEY (no credential: the key is the secret; spec 8.2)
 * Content origin:
 *   GET /cmi5/content/<course>/<file> (package files)
 *   GET /cmi5/launch/<reg>/<au>?t=TOKEN[&mode=Browse] (the console's launch link: a new
 *        session, then 302 to the AU)
 * xAPI: a session's auth token authenticates /xapi/ (lrs_cmi5_auth from dispatch); its
 * statements and documents pass the cmi5 rules (lrs_cmi5_statements, lrs_cmi5_document).
 */
#include "lrs/lrs.h"
#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "scorm/cmi5.h"
#include "scorm/scorm_content.h"
#include "statements/stmt_json.h"
#include "statements/stmt_validate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int lrs_cmi5_open(struct lrs_app *app)
{
    struct cmi5_opts o;
    char ep[400], fb[400], cb[400];
    snprintf(ep, sizeof ep, "%s/xapi", app->cfg.public_url);
    snprintf(fb, sizeof fb, "%s/cmi5/fetch/", app->cfg.public_url);
    snprintf(cb, sizeof cb, "%s/cmi5/content/", app->cfg.content_url);
    o.endpoint = ep;
    o.fetch_base = fb;
    o.content_base = cb;
    o.learner_home = app->cfg.public_url;
    int rc = cmi5_open(app->db, app->store, &o, &app->cmi5);
    if (rc) {
        lrs_log(LRS_LOG_ERROR, "cmi5: cannot open: %s",
                rc == CMI5_ERR_NOMEM ? "out of memory"
                                     : "indexing older registrations failed (storage error)");
        return -1;
    }
    return 0;
}

void lrs_cmi5_close(struct lrs_app *app)
{
    cmi5_close(app->cmi5);
    app->cmi5 = NULL;
}

static int status_of(int rc)
{
    switch (rc) {
    case CMI5_ERR_INVALID:
    case CMI5_ERR_ARG:
        return 400;
    case CMI5_ERR_REFUSED:
        return 403;
    case CMI5_ERR_NOTFOUND:
        return 404;
    case CMI5_ERR_STATE:
        return 409;
    default:
        return 500;
    }
}

static void reply_diag(struct lrs_req *r, int rc, const struct cmi5_diag *d)
{
    cJSON *j = cJSON_CreateObject();
    int st = status_of(rc);
    if (!j) {
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    cJSON_AddBoolToObject(j, "error", 1);
    cJSON_AddNumberToObject(j, "status", st);
    cJSON_AddStringToObject(j, "message", d && d->msg[0] ? d->msg : cmi5_strerror(rc));
    if (d && d->rule[0])
        cJSON_AddStringToObject(j, "rule", d->rule);
    if (d && d->where[0])
        cJSON_AddStringToObject(j, "where", d->where);
    lrs_reply_json(r, st, j);
    cJSON_Delete(j);
}

/* ---- authentication of /xapi/ by a session's auth token -------------------------------- */

static int b64_val(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

int lrs_cmi5_auth(struct lrs_req *r, const char *authz)
{
    char dec[200], *colon, session[37];
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0, rc;
    if (!r->app->cmi5 || !authz || strncasecmp(authz, "Basic ", 6))
        return 0;
    for (authz += 6; *authz == ' '; authz++)
        ;
    for (const char *p = authz; *p && *p != '='; p++) {
        int v = b64_val((unsigned char)*p);
        if (v < 0)
            return 0;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= sizeof dec)
                return 0;
            dec[n++] = (char)((acc >> bits) & 0xFF);
        }
    }
    dec[n] = 0;
    colon = strchr(dec, ':');
    if (!colon)
        return 0;
    *colon = 0;
    rc = cmi5_auth(r->app->cmi5, dec, colon + 1, session);
    if (rc <= 0)
        return rc;
    snprintf(r->cred.key, sizeof r->cred.key, "%.70s", dec);
    snprintf(r->cred.name, sizeof r->cred.name, "cmi5 session %s", session);
    snprintf(r->cred.cmi5_session, sizeof r->cred.cmi5_session, "%s", session);
    /* 6.3.0.0-1 and 8.1.2: write its own statements and documents, read what it wrote */
    r->cred.scopes = LRS_SCOPE_STATEMENTS_WRITE | LRS_SCOPE_STATEMENTS_READ_MINE | LRS_SCOPE_STATE |
                     LRS_SCOPE_PROFILE;
    /* the authority names the session's key, so statements/read/mine is this session's own */
    {
        char auth[200];
        snprintf(auth, sizeof auth,
                 "{\"objectType\":\"Agent\",\"account\":{\"homePage\":\"" LRS_AUTHORITY_HOME
                 "\",\"name\":\"%s\"}}",
                 r->cred.key);
        r->cred.authority = sc_strdup(auth);
    }
    return r->cred.authority ? 1 : -1;
}

int lrs_cmi5_statements(struct lrs_req *r, cJSON *const *stmts, size_t n, cJSON **extra,
                        struct cmi5_plan **plan, const struct stmt_row **rows, size_t *nrows,
                        size_t *at)
{
    struct cmi5_diag d;
    int rc;
    memset(&d, 0, sizeof d);
    rc = cmi5_statements_check(r->app->cmi5, r->cred.cmi5_session, stmts, n, extra, at, plan, &d);
    struct stmt_diag sd;
    memset(&sd, 0, sizeof sd);
    if (!rc && cJSON_GetArraySize(*extra) && stmt_validate_batch(*extra, 0, &sd)) {
        cmi5_plan_finish(r->app->cmi5, *plan, 0);
        cJSON_Delete(*extra);
        lrs_reply_error(r, 500, "the LMS's satisfied statements failed validation");
        return -1;
    }
    /* the session and registration records go in the batch's transaction */
    if (!rc && cmi5_plan_rows(*plan, rows, nrows)) {
        cmi5_plan_finish(r->app->cmi5, *plan, 0);
        cJSON_Delete(*extra);
        lrs_reply_error(r, 500, "out of memory");
        return -1;
    }
    if (rc) {
        lrs_log(LRS_LOG_INFO, "cmi5 session %s: statement refused (%s)", r->cred.cmi5_session,
                d.rule);
        reply_diag(r, rc, &d);
        return -1;
    }
    return 0;
}

void lrs_cmi5_statements_done(struct lrs_req *r, struct cmi5_plan *plan, int stored)
{
    if (cmi5_plan_finish(r->app->cmi5, plan, stored))
        lrs_log(LRS_LOG_ERROR,
                "cmi5 session %s: statements stored but the session record "
                "could not be updated",
                r->cred.cmi5_session);
}

int lrs_cmi5_document(struct lrs_req *r, int kind, const char *id, const char *agent_ifi)
{
    struct cmi5_diag d;
    int write = strcmp(r->method, "GET") && !r->head, rc;
    const void *body = NULL;
    size_t len = 0;
    memset(&d, 0, sizeof d);
    if (write && strcmp(r->method, "DELETE")) {
        if (lrs_req_read_body(r, lrs_doc_max(r->app))) {
            lrs_reply_error(r, 413, "document larger than the cap");
            return -1;
        }
        body = r->body.data ? r->body.data : "";
        len = r->body.len;
    }
    rc = cmi5_document_check(r->app->cmi5, r->cred.cmi5_session, kind, write, id, agent_ifi,
                             lrs_req_header(r, "Content-Type"), body, len, &d);
    if (rc) {
        reply_diag(r, rc, &d);
        return -1;
    }
    return 0;
}

/* ---- fetch URL (8.2) ---------------------------------------------------------------------- */

void lrs_route_cmi5_fetch(struct lrs_req *r)
{
    const char *sid = r->path + strlen("/cmi5/fetch/");
    cJSON *j = NULL;
    /* the AU may live on another origin: the fetch URL answers any (the key is the secret) */
    lrs_resp_header(r, "Access-Control-Allow-Origin", "*");
    lrs_resp_header(r, "Cache-Control", "no-store");
    if (!strcmp(r->method, "OPTIONS")) {
        lrs_resp_header(r, "Access-Control-Allow-Methods", "POST");
        lrs_resp_header(r, "Access-Control-Allow-Headers", "Content-Type");
        lrs_reply(r, 204, NULL, NULL, 0);
        return;
    }
    if (strcmp(r->method, "POST")) { /* 8.2.1.0-2: the AU POSTs */
        lrs_reply_error(r, 405, "the fetch URL takes POST (cmi5 8.2.1)");
        return;
    }
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return;
    }
    if (!r->app->cmi5 || cmi5_fetch(r->app->cmi5, sid, lrs_req_param(r, "k"), &j)) {
        lrs_reply_error(r, 500, "cannot answer the fetch request");
        return;
    }
    lrs_reply_json(r, 200, j); /* 8.2.2.0-3, 8.2.3: errors are 200 with an error-code */
    cJSON_Delete(j);
}

/* ---- courses ------------------------------------------------------------------------------ */

void lrs_cmi5_course_post(struct lrs_req *r, const void *buf, size_t len)
{
    struct cmi5_diag d;
    cJSON *out = NULL;
    int is_zip = len >= 2 && ((const char *)buf)[0] == 'P' && ((const char *)buf)[1] == 'K';
    int rc;
    memset(&d, 0, sizeof d);
    rc = cmi5_course_import(r->app->cmi5, buf, len, is_zip, &out, &d);
    if (rc) {
        lrs_log(LRS_LOG_INFO, "cmi5 course refused: %s %s", d.rule, d.where);
        reply_diag(r, rc, &d);
        return;
    }
    cJSON_AddStringToObject(out, "course", cJSON_GetStringValue(cJSON_GetObjectItem(out, "id")));
    lrs_reply_json(r, 201, out);
    cJSON_Delete(out);
}

int lrs_cmi5_is_course(struct lrs_req *r, const char *id)
{
    return r->app->cmi5 && cmi5_course_exists(r->app->cmi5, id);
}

void lrs_cmi5_course(struct lrs_req *r, const char *id, const char *sub)
{
    cJSON *out = NULL;
    int rc;
    if (sub && !strcmp(sub, "/registrations") && (!strcmp(r->method, "GET") || r->head)) {
        rc = cmi5_registration_list(r->app->cmi5, id, &out);
    } else if (sub) {
        lrs_reply_error(r, 404, "no resource at %s", r->path);
        return;
    } else if (!strcmp(r->method, "GET") || r->head) {
        rc = cmi5_course_get(r->app->cmi5, id, &out);
    } else if (!strcmp(r->method, "DELETE")) {
        const char *f;
        if (lrs_req_parse_query(r)) {
            lrs_reply_error(r, 400, "malformed query string");
            return;
        }
        f = lrs_req_param(r, "force");
        rc = cmi5_course_delete(r->app->cmi5, id, f && !strcmp(f, "1"));
        if (rc == CMI5_ERR_STATE)
            lrs_reply_error(r, 409,
                            "course %s has registrations: delete them first or use "
                            "?force=1",
                            id);
        else if (rc)
            lrs_reply_error(r, status_of(rc), "%s", cmi5_strerror(rc));
        else
            lrs_reply(r, 204, NULL, NULL, 0);
        return;
    } else {
        lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
        return;
    }
    if (rc) {
        lrs_reply_error(r, status_of(rc), "%s", cmi5_strerror(rc));
        return;
    }
    lrs_reply_json(r, 200, out);
    cJSON_Delete(out);
}

/* ---- registrations ----------------------------------------------------------------------- */

/* The launch URL of AU i of registration reg (link token tok) into out; its length. With reg
 * and tok NULL: the length such a URL has (a UUID and a 32-character token). */
static int link_url(struct lrs_req *r, const char *reg, int i, const char *tok, char *out, size_t n)
{
    return snprintf(out, n, "%s/cmi5/launch/%*s/%d?t=%*s", r->app->cfg.content_url, 36,
                    reg ? reg : "", i, 32, tok ? tok : "");
}

/* Launch links made before a registration is written (lrs_json_str_of_len): one per AU of the
 * course and the first one again for the top level. */
struct links {
    cJSON **au, *top;
    int n;
};

static void links_free(struct links *l)
{
    for (int i = 0; i < l->n; i++)
        cJSON_Delete(l->au[i]);
    sc_free(l->au);
    cJSON_Delete(l->top);
    memset(l, 0, sizeof *l);
}

/* 0, or -1 without memory; a course that cannot be read leaves l empty (the create says why) */
static int links_prepare(struct lrs_req *r, const char *course_id, struct links *l)
{
    cJSON *course = NULL;
    int n;
    memset(l, 0, sizeof *l);
    if (!course_id || cmi5_course_get(r->app->cmi5, course_id, &course))
        return 0;
    n = cJSON_GetArraySize(cJSON_GetObjectItem(course, "aus"));
    cJSON_Delete(course);
    l->au = sc_calloc(n ? (size_t)n : 1, sizeof *l->au);
    if (!l->au)
        return -1;
    for (l->n = 0; l->n < n; l->n++)
        if (!(l->au[l->n] = lrs_json_str_of_len((size_t)link_url(r, NULL, l->n, NULL, NULL, 0))))
            return -1;
    if (n && !(l->top = lrs_json_str_of_len((size_t)link_url(r, NULL, 0, NULL, NULL, 0))))
        return -1;
    return 0;
}

/* Fill the prepared links into out (no allocation when they fit); 0, or -1 when they do not
 * (then add_links makes them). */
static int links_fill(struct lrs_req *r, cJSON *out, struct links *l)
{
    cJSON *aus = cJSON_GetObjectItem(out, "aus"), *e;
    const char *reg = cJSON_GetStringValue(cJSON_GetObjectItem(out, "registration"));
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItem(out, "link_token"));
    char url[1024];
    int k = 0;
    if (!tok)
        return 0;
    if (!reg || !l->top || cJSON_GetArraySize(aus) != l->n)
        return -1;
    cJSON_ArrayForEach(e, aus)
    {
        link_url(r, reg, (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "index")), tok, url,
                 sizeof url);
        if (lrs_json_str_fill(l->au[k], url) || !cJSON_AddItemToObjectCS(e, "launch_url", l->au[k]))
            return -1;
        l->au[k++] = NULL;
        if (k == 1) {
            if (lrs_json_str_fill(l->top, url) ||
                !cJSON_AddItemToObjectCS(out, "launch_url", l->top))
                return -1;
            l->top = NULL;
        }
    }
    cJSON_DeleteItemFromObject(out, "link_token");
    return 0;
}

/* The launch links of a registration whose link token was just made; 0, or -1 without memory
 * (then some are missing: the caller does not answer 2xx with it). */
static int add_links(struct lrs_req *r, cJSON *out)
{
    cJSON *aus = cJSON_GetObjectItem(out, "aus"), *e;
    const char *reg = cJSON_GetStringValue(cJSON_GetObjectItem(out, "registration"));
    char url[1024];
    int rc = 0;
    if (!cJSON_GetStringValue(cJSON_GetObjectItem(out, "link_token")))
        return 0; /* only its SHA-256 is stored: links exist when made (created, /link) */
    cJSON_ArrayForEach(e, aus)
    {
        snprintf(url, sizeof url, "%s/cmi5/launch/%s/%d?t=%s", r->app->cfg.content_url, reg,
                 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "index")),
                 cJSON_GetStringValue(cJSON_GetObjectItem(out, "link_token")));
        if (!cJSON_AddStringToObject(e, "launch_url", url) ||
            (!cJSON_GetObjectItem(out, "launch_url") &&
             !cJSON_AddStringToObject(out, "launch_url", url)))
            rc = -1;
    }
    cJSON_DeleteItemFromObject(out, "link_token");
    return rc;
}

static int reg_create(struct lrs_req *r, const cJSON *body)
{
    const cJSON *learner = cJSON_GetObjectItem(body, "learner");
    const cJSON *actor = cJSON_GetObjectItem(body, "actor");
    const char *reg = cJSON_GetStringValue(cJSON_GetObjectItem(body, "registration"));
    cJSON *made = NULL, *out = NULL;
    struct cmi5_diag d;
    struct links links;
    int created = 0, rc, lrc;
    memset(&d, 0, sizeof d);
    if (!actor) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(learner, "id"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(learner, "name"));
        if (!id) {
            lrs_reply_error(r, 400, "learner.id (a string) or actor (an Agent) is required");
            return 1;
        }
        cJSON *acc = NULL;
        /* every member checked: an actor missing its account would be stored as another
         * learner's registration */
        made = cJSON_CreateObject();
        if (!made || !cJSON_AddStringToObject(made, "objectType", "Agent") ||
            (name && !cJSON_AddStringToObject(made, "name", name)) ||
            !(acc = cJSON_AddObjectToObject(made, "account")) ||
            !cJSON_AddStringToObject(acc, "homePage", r->app->cfg.public_url) ||
            !cJSON_AddStringToObject(acc, "name", id)) {
            cJSON_Delete(made);
            lrs_reply_error(r, 500, "out of memory");
            return 1;
        }
        actor = made;
    }
    if (links_prepare(r, cJSON_GetStringValue(cJSON_GetObjectItem(body, "course")), &links)) {
        links_free(&links);
        cJSON_Delete(made);
        lrs_reply_error(r, 500, "out of memory");
        return 1;
    }
    rc = cmi5_registration_create(r->app->cmi5,
                                  cJSON_GetStringValue(cJSON_GetObjectItem(body, "course")), actor,
                                  reg, &out, &created, &d);
    cJSON_Delete(made);
    if (rc) {
        links_free(&links);
        reply_diag(r, rc, &d);
        return 1;
    }
    lrc = links_fill(r, out, &links);
    links_free(&links);
    if (lrc && add_links(r, out)) {
        /* its launch links cannot be answered (they exist only now, in this answer): take the
         * new registration back, so that the refusal leaves nothing behind */
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(out, "registration"));
        int drc = created && id ? cmi5_registration_delete(r->app->cmi5, id) : 0;
        if (drc)
            lrs_log(LRS_LOG_ERROR, "cmi5 registration %s: stored without an answer: %s", id,
                    cmi5_strerror(drc));
        cJSON_Delete(out);
        lrs_reply_error(r, 503, "out of memory making the launch links: retry");
        return 1;
    }
    lrs_reply_json(r, created ? 201 : 200, out);
    cJSON_Delete(out);
    return 1;
}

static int au_index(const cJSON *body)
{
    const cJSON *au = cJSON_GetObjectItem(body, "au");
    return cJSON_IsNumber(au) && au->valuedouble >= 0 && au->valuedouble < CMI5_MAX_AUS &&
                   au->valuedouble == (int)au->valuedouble
               ? (int)au->valuedouble
               : -1;
}

int lrs_cmi5_registrations(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/api/registrations"), *sub;
    char reg[37];
    cJSON *body = NULL, *out = NULL;
    struct cmi5_diag d;
    int rc;

    if (!r->app->cmi5)
        return 0;
    memset(&d, 0, sizeof d);
    if (!*rest || !strcmp(rest, "/")) {
        const char *course;
        struct stmt_diag jd;
        long f0 = sc_alloc_failures();
        int exists;
        if (strcmp(r->method, "POST"))
            return 0;
        if ((rc = lrs_req_read_body(r, 64 * 1024))) {
            lrs_reply_error(r, rc, rc == 413 ? "body larger than 64 KiB" : "cannot read the body");
            return 1;
        }
        memset(&jd, 0, sizeof jd);
        /* the strict parse every JSON body gets (lrs_req_json), its errors worded by
         * route_registrations.c, except want of memory */
        body = stmt_json_parse(r->body.data ? r->body.data : "", r->body.len, NULL, &jd);
        course = cJSON_GetStringValue(cJSON_GetObjectItem(body, "course"));
        exists = course && cmi5_course_exists(r->app->cmi5, course);
        if (jd.code == STMT_ERR_NOMEM || (!exists && sc_alloc_failures() != f0)) {
            /* a cmi5 course may not have been seen for want of memory: never a SCORM 404 */
            cJSON_Delete(body);
            lrs_reply_error(r, 503, "out of memory reading the registration: retry");
            return 1;
        }
        if (!exists) {
            cJSON_Delete(body);
            return 0; /* a SCORM course (or an error route_registrations.c words) */
        }
        reg_create(r, body);
        cJSON_Delete(body);
        return 1;
    }
    rest++;
    sub = strchr(rest, '/');
    if ((sub ? (size_t)(sub - rest) : strlen(rest)) != 36)
        return 0;
    memcpy(reg, rest, 36);
    reg[36] = 0;
    {
        long f0 = sc_alloc_failures();
        if (!cmi5_registration_exists(r->app->cmi5, reg)) {
            if (sc_alloc_failures() == f0)
                return 0;
            /* not seen for want of memory: never the SCORM side's 404 */
            lrs_reply_error(r, 503, "out of memory reading the registration: retry");
            return 1;
        }
    }
    if (!sub) {
        if (!strcmp(r->method, "DELETE")) {
            rc = cmi5_registration_delete(r->app->cmi5, reg);
            if (rc)
                lrs_reply_error(r, status_of(rc), "%s", cmi5_strerror(rc));
            else
                lrs_reply(r, 204, NULL, NULL, 0);
            return 1;
        }
        if (strcmp(r->method, "GET") && !r->head) {
            lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
            return 1;
        }
        rc = cmi5_registration_get(r->app->cmi5, reg, &out);
        if (rc) {
            lrs_reply_error(r, status_of(rc), "%s", cmi5_strerror(rc));
            return 1;
        }
        add_links(r, out);
        lrs_reply_json(r, 200, out);
        cJSON_Delete(out);
        return 1;
    }
    if (strcmp(sub, "/launch") && strcmp(sub, "/waive") && strcmp(sub, "/link")) {
        lrs_reply_error(r, 404,
                        "no resource at %s (a cmi5 registration has /launch, /waive and /link)",
                        r->path);
        return 1;
    }
    if (strcmp(r->method, "POST")) {
        lrs_reply_error(r, 405, "use POST on %s", r->path);
        return 1;
    }
    if (!strcmp(sub, "/link")) {
        /* the answer (the registration with its new links) is built first: a refusal then
         * leaves the old links working */
        char tok[33];
        if ((rc = cmi5_link_token(tok)) || (rc = cmi5_registration_get(r->app->cmi5, reg, &out))) {
            lrs_reply_error(r, status_of(rc), "%s", cmi5_strerror(rc));
            return 1;
        }
        if (!cJSON_AddStringToObject(out, "link_token", tok) || add_links(r, out)) {
            cJSON_Delete(out);
            lrs_reply_error(r, 500, "out of memory: no new launch links (the old ones still work)");
            return 1;
        }
        if ((rc = cmi5_link_set(r->app->cmi5, reg, tok))) {
            cJSON_Delete(out);
            lrs_reply_error(r, status_of(rc), "%s", cmi5_strerror(rc));
            return 1;
        }
        lrs_reply_json(r, 200, out);
        cJSON_Delete(out);
        return 1;
    }
    if ((rc = lrs_req_read_body(r, 64 * 1024))) {
        lrs_reply_error(r, rc, "cannot read the body");
        return 1;
    }
    body = lrs_req_json(r, "{\"au\": index, ...}");
    if (!body)
        return 1;
    if (au_index(body) < 0) {
        lrs_reply_error(r, 400, "au: the index of an AU (0 for the first) is required");
        cJSON_Delete(body);
        return 1;
    }
    if (!strcmp(sub, "/launch")) {
        struct cmi5_launch_opts o;
        o.launch_mode = cJSON_GetStringValue(cJSON_GetObjectItem(body, "launchMode"));
        o.return_url = cJSON_GetStringValue(cJSON_GetObjectItem(body, "returnURL"));
        rc = cmi5_launch(r->app->cmi5, reg, au_index(body), &o, &out, &d);
        if (rc)
            reply_diag(r, rc, &d);
        else
            lrs_reply_json(r, 201, out);
    } else {
        rc = cmi5_waive(r->app->cmi5, reg, au_index(body),
                        cJSON_GetStringValue(cJSON_GetObjectItem(body, "reason")), &d);
        if (rc) {
            reply_diag(r, rc, &d);
        } else if (cmi5_registration_get(r->app->cmi5, reg, &out) == 0) {
            lrs_reply_json(r, 200, out);
        } else {
            /* stored: answered as done even when the registration's view cannot be made (it
             * said 500, and a retry then met 409 "already satisfied") */
            char b[128];
            int n = snprintf(b, sizeof b, "{\"registration\":\"%s\",\"au\":%d,\"waived\":true}",
                             reg, au_index(body));
            lrs_reply(r, 200, "application/json", b, (size_t)n);
        }
    }
    cJSON_Delete(out);
    cJSON_Delete(body);
    return 1;
}

/* /api/cmi5/courses, /api/cmi5/sessions/<id>/abandon */
void lrs_route_cmi5_api(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/api/cmi5");
    struct cmi5_diag d;
    cJSON *out = NULL;
    int rc;
    memset(&d, 0, sizeof d);
    if (!r->app->cmi5) {
        lrs_reply_error(r, 503, "cmi5 unavailable");
        return;
    }
    if (!strcmp(rest, "/courses") && (!strcmp(r->method, "GET") || r->head)) {
        rc = cmi5_course_list(r->app->cmi5, &out);
        if (rc) {
            lrs_reply_error(r, status_of(rc), "%s", cmi5_strerror(rc));
            return;
        }
        lrs_reply_json(r, 200, out);
        cJSON_Delete(out);
        return;
    }
    if (!strncmp(rest, "/sessions/", 10) && strlen(rest) == 10 + 36 + 8 &&
        !strcmp(rest + 46, "/abandon")) {
        char sid[37];
        if (strcmp(r->method, "POST")) {
            lrs_reply_error(r, 405, "use POST on %s", r->path);
            return;
        }
        memcpy(sid, rest + 10, 36);
        sid[36] = 0;
        rc = cmi5_abandon(r->app->cmi5, sid, &d);
        if (rc) {
            reply_diag(r, rc, &d);
            return;
        }
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "session", sid);
        cJSON_AddBoolToObject(out, "abandoned", 1);
        lrs_reply_json(r, 200, out);
        cJSON_Delete(out);
        return;
    }
    lrs_reply_error(r, 404, "no resource at %s", r->path);
}

/* ---- content origin ---------------------------------------------------------------------- */

void lrs_route_cmi5_content(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/cmi5/content/"), *slash = strchr(rest, '/');
    const char *ctype;
    char course[80];
    struct scorm_content *c = NULL;
    int rc;
    if (!r->app->cmi5 || !slash || (size_t)(slash - rest) >= sizeof course || slash == rest) {
        lrs_reply_error(r, 404, "expected /cmi5/content/<course>/<file>");
        return;
    }
    memcpy(course, rest, (size_t)(slash - rest));
    course[slash - rest] = 0;
    /* DATA/cmi5/<course>/ on LMDB, rows of the store on PostgreSQL (scorm/cmi5_content.c) */
    rc = cmi5_content_open(r->app->cmi5, course, slash + 1, &c);
    if (rc == CMI5_ERR_NOTFOUND) {
        lrs_reply_error(r, 404, "no file %.200s in course %s", slash + 1, course);
        return;
    }
    if (rc) {
        lrs_reply_error(r, rc == CMI5_ERR_NOMEM ? 500 : 503, "cannot open %.200s: %s", slash + 1,
                        cmi5_strerror(rc));
        return;
    }
    ctype = scorm_content_type(c);
    if (!ctype) { /* security.md §6: unknown types are downloads */
        ctype = "application/octet-stream";
        lrs_resp_header(r, "Content-Disposition", "attachment");
    }
    lrs_resp_header(r, "Content-Security-Policy", "frame-ancestors 'self' %s",
                    r->app->cfg.public_url);
    lrs_resp_header(r, "Cache-Control", "no-cache");
    lrs_resp_header(r, "ETag", "%s", scorm_content_etag(c));
    /* RFC 9110 13.1.2: a GET or HEAD whose If-None-Match names our ETag gets 304, no body */
    if (lrs_content_etag_listed(lrs_req_header(r, "If-None-Match"), scorm_content_etag(c)))
        lrs_reply(r, 304, NULL, NULL, 0);
    else
        lrs_content_send(r, c, ctype);
    scorm_content_close(c);
}

/* The console's launch link: a new session of the AU, then the AU (cmi5 8.1: the LMS builds
 * the launch URL at launch time, so a link can be used again). */
void lrs_route_cmi5_launch(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/cmi5/launch/"), *mode;
    char reg[37], *end;
    struct cmi5_launch_opts o;
    struct cmi5_diag d;
    cJSON *out = NULL;
    long au;
    int rc;
    if (!r->app->cmi5 || strlen(rest) < 38 || rest[36] != '/') {
        lrs_reply_error(r, 404, "expected /cmi5/launch/<registration>/<au>?t=TOKEN");
        return;
    }
    memcpy(reg, rest, 36);
    reg[36] = 0;
    au = strtol(rest + 37, &end, 10);
    if (*end || end == rest + 37 || au < 0 || lrs_req_parse_query(r)) {
        lrs_reply_error(r, 404, "expected /cmi5/launch/<registration>/<au>?t=TOKEN");
        return;
    }
    if (cmi5_link_check(r->app->cmi5, reg, lrs_req_param(r, "t"))) {
        lrs_reply_error(r, 403, "this launch link is not valid");
        return;
    }
    mode = lrs_req_param(r, "mode");
    memset(&d, 0, sizeof d);
    o.launch_mode = mode;
    o.return_url = NULL;
    rc = cmi5_launch(r->app->cmi5, reg, (int)au, &o, &out, &d);
    if (rc) {
        reply_diag(r, rc, &d);
        return;
    }
    lrs_resp_header(r, "Location", "%s",
                    cJSON_GetStringValue(cJSON_GetObjectItem(out, "launch_url")));
    lrs_resp_header(r, "Cache-Control", "no-store");
    lrs_reply(r, 302, NULL, NULL, 0);
    cJSON_Delete(out);
}
