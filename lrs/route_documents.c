/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Document Resources (xAPI 1.0.3 Communication 2.2): /xapi/activities/state (2.3),
 * /xapi/activities/profile (2.7) and /xapi/agents/profile (2.6), over statements/stmt_doc.h.
 *
 * One handler serves the three; a table row says which parameters identify a document. Every
 * parameter is checked before anything is read or written (unknown or mis-cased names, agent
 * JSON, activity IRI, registration UUID, since timestamp: 400). Concurrency follows Comm 3.1:
 * ETag = quoted SHA-1 of the stored bytes, If-Match / If-None-Match → 412, a profile PUT on an
 * existing document without either header → 409 (State is exempt in 1.0.3).
 *
 * Scopes (issue 4, xapi-lrs.md §2): `state` for State, `profile` for both profile resources,
 * `all` for everything, `all/read` for GET/HEAD only; otherwise 403.
 */
#include "lrs/lrs.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_doc.h"
#include "statements/stmt_store.h"
#include "statements/stmt_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct doc_resource {
    enum stmt_doc_kind kind;
    const char *path;
    const char *id_param; /* stateId / profileId */
    int activity;         /* activityId required */
    int agent;            /* agent required */
    int registration;     /* registration allowed */
    const char *section;  /* spec section cited in errors */
};

static const struct doc_resource RESOURCES[] = {
    /* scopes: the one table in lrs_auth.c */
    {STMT_DOC_STATE, "/xapi/activities/state", "stateId", 1, 1, 1, "2.3"},
    {STMT_DOC_ACTIVITY_PROFILE, "/xapi/activities/profile", "profileId", 1, 0, 0, "2.7"},
    {STMT_DOC_AGENT_PROFILE, "/xapi/agents/profile", "profileId", 0, 1, 0, "2.6"},
};

size_t lrs_doc_max(const struct lrs_app *app)
{
    /* lrs_config.c: default, SCOLAR_MAX_DOCUMENT, then --max-document */
    return app->cfg.max_doc ? app->cfg.max_doc : STMT_DOC_MAX_DEFAULT;
}

/* Parse and validate the "agent" parameter (Comm 2.3 / 2.6: an Agent, not a Group) into its
 * canonical IFI. 0, or answers 400 and returns -1. */
int lrs_agent_param(struct lrs_req *r, const char *v, char *ifi, size_t ifilen, cJSON **agent_out)
{
    struct stmt_diag diag;
    struct stmt_json_limits lim = STMT_JSON_LIMITS_DEFAULT;
    cJSON *a, *ot;

    memset(&diag, 0, sizeof diag);
    a = stmt_json_parse(v, strlen(v), &lim, &diag);
    if (!a) {
        lrs_reply_error(r, diag.code == STMT_ERR_NOMEM ? 500 : 400,
                        "agent parameter is not JSON: %s %s", diag.path, diag.msg);
        return -1;
    }
    ot = cJSON_GetObjectItemCaseSensitive(a, "objectType");
    if (!cJSON_IsObject(a) || (cJSON_IsString(ot) && strcmp(ot->valuestring, "Agent"))) {
        cJSON_Delete(a);
        lrs_reply_error(r, 400,
                        "agent parameter must be an Agent object, not a Group (xAPI Comm 2.6)");
        return -1;
    }
    if (stmt_validate_agent(a, &diag)) {
        cJSON_Delete(a);
        lrs_reply_error(r, 400, "agent parameter: %s: %s", diag.path, diag.msg);
        return -1;
    }
    if (stmt_store_agent_ifi(a, ifi, ifilen) != STMT_STORE_OK) {
        cJSON_Delete(a);
        lrs_reply_error(r, 400, "agent parameter has no usable identifier (xAPI Data 2.4.2.3)");
        return -1;
    }
    if (agent_out)
        *agent_out = a;
    else
        cJSON_Delete(a);
    return 0;
}

/* Unknown (or mis-cased) and repeated parameters → 400 (xapi-lrs.md §1.11). */
int lrs_params_check(struct lrs_req *r, const char *const *allowed, const char *section)
{
    for (size_t i = 0; i < r->nparams; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, r->params[i].name);
        if (!ok) {
            lrs_reply_error(r, 400, "parameter '%.64s' not allowed on %s %s (xAPI Comm %s)",
                            r->params[i].name, r->method, r->path, section);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(r->params[i].name, r->params[j].name)) {
                lrs_reply_error(r, 400, "parameter '%.64s' given twice", r->params[i].name);
                return -1;
            }
        }
    }
    return 0;
}

static void reply_doc_err(struct lrs_req *r, int rc, const struct stmt_diag *diag)
{
    const char *msg = diag && diag->msg[0] ? diag->msg : stmt_doc_strerror(rc);
    int status = lrs_status(LRS_ERRS_DOC, rc); /* lrs_status.c: the one table */
    if (rc == STMT_DOC_ERR_NOTFOUND)
        lrs_reply_error(r, status, "no document with this id");
    else if (rc == STMT_DOC_ERR_FULL)
        lrs_reply_error(r, status, "storage full: document not stored");
    else if (status >= 500)
        lrs_reply_error(r, status, "document store: %s", stmt_doc_strerror(rc));
    else
        lrs_reply_error(r, status, "%s", msg);
}

static void add_etag_of(struct lrs_req *r, const void *body, size_t n)
{
    unsigned char sha[20];
    char hex[41];
    sc_sha1(body, n, sha);
    sc_hex(sha, sizeof sha, hex);
    lrs_resp_header(r, "ETag", "\"%s\"", hex);
}

static void doc_get(struct lrs_req *r, const struct stmt_doc_ctx *ctx, const char *id,
                    int64_t since_us)
{
    char date[SC_TIME_ISO_LEN];
    int rc;
    if (id) {
        struct stmt_doc d;
        memset(&d, 0, sizeof d);
        rc = stmt_doc_get(r->app->db, ctx, id, &d);
        if (rc) {
            reply_doc_err(r, rc, NULL);
            return;
        }
        /* Comm 3.1: quoted SHA-1 of the contents; Comm 2.2: Last-Modified */
        lrs_resp_header(r, "ETag", "%s", d.etag);
        lrs_resp_header(r, "Last-Modified", "%s", sc_time_format_http(d.updated_us, date));
        lrs_reply(r, 200, d.content_type, d.content, d.len);
        stmt_doc_free(&d);
        return;
    }
    {
        cJSON *ids = NULL;
        int64_t newest = 0;
        char *s;
        rc = stmt_doc_list(r->app->db, ctx, since_us, &ids, &newest);
        if (rc) {
            reply_doc_err(r, rc, NULL);
            return;
        }
        s = cJSON_PrintUnformatted(ids);
        cJSON_Delete(ids);
        if (!s) {
            lrs_reply_error(r, 500, "out of memory");
            return;
        }
        add_etag_of(r, s, strlen(s));
        /* Comm 2.2: the newest modification among the documents returned */
        if (newest)
            lrs_resp_header(r, "Last-Modified", "%s", sc_time_format_http(newest, date));
        lrs_reply(r, 200, "application/json", s, strlen(s));
        cJSON_free(s);
    }
}

static void doc_write(struct lrs_req *r, const struct doc_resource *res,
                      const struct stmt_doc_ctx *ctx, const char *id)
{
    struct stmt_doc_cond cond;
    struct stmt_doc_limits lim;
    struct stmt_diag diag;
    const char *ctype = lrs_req_header(r, "Content-Type");
    int put = !strcmp(r->method, "PUT");
    int rc;

    memset(&cond, 0, sizeof cond);
    memset(&diag, 0, sizeof diag);
    cond.if_match = lrs_req_header(r, "If-Match");
    cond.if_none_match = lrs_req_header(r, "If-None-Match");
    /* Comm 3.1: 1.0.3 exempts the State Resource from the 409 rule; IEEE 9274.1.1 4.1.4
     * (xAPI 2.0 "Concurrency") applies it to State too: a PUT without If-Match or
     * If-None-Match on an existing State document is 409 (an absent one is still created). */
    if (!put)
        cond.require_header = 0;
    else if (res->kind != STMT_DOC_STATE)
        cond.require_header = 1;
    else
        cond.require_header = r->xver == LRS_XAPI_2 ? 2 : 0;
    lim.max_doc = lrs_doc_max(r->app);
    rc = lrs_req_read_body(r, lim.max_doc);
    if (rc) {
        lrs_reply_error(r, rc,
                        rc == 413 ? "document larger than %zu bytes (--max-document)"
                                  : "cannot read the request body (%zu)",
                        lim.max_doc);
        return;
    }
    if (put)
        rc = stmt_doc_put(r->app->db, ctx, id, r->body.data, r->body.len, ctype, &cond, &lim,
                          sc_time_now_us(), &diag);
    else
        rc = stmt_doc_post(r->app->db, ctx, id, r->body.data, r->body.len, ctype, &cond, &lim,
                           sc_time_now_us(), &diag);
    if (rc) {
        reply_doc_err(r, rc, &diag);
        return;
    }
    lrs_reply(r, 204, NULL, NULL, 0);
}

static void doc_delete(struct lrs_req *r, const struct doc_resource *res,
                       const struct stmt_doc_ctx *ctx, const char *id)
{
    struct stmt_doc_cond cond;
    int rc;
    memset(&cond, 0, sizeof cond);
    cond.if_match = lrs_req_header(r, "If-Match");
    cond.if_none_match = lrs_req_header(r, "If-None-Match");
    if (id) {
        rc = stmt_doc_delete(r->app->db, ctx, id, &cond);
    } else if (res->kind == STMT_DOC_STATE) {
        /* Comm 2.3 "Multiple Document DELETE" */
        rc = stmt_doc_delete_all(r->app->db, ctx, NULL);
    } else {
        lrs_reply_error(r, 400, "%s parameter required on DELETE (xAPI Comm %s)", res->id_param,
                        res->section);
        return;
    }
    if (rc) {
        reply_doc_err(r, rc, NULL);
        return;
    }
    lrs_reply(r, 204, NULL, NULL, 0);
}

static void serve(struct lrs_req *r, const struct doc_resource *res)
{
    const char *allowed[6];
    const char *activity = NULL, *agent = NULL, *reg = NULL, *id, *since;
    char ifi[2048], regl[40];
    int is_get = !strcmp(r->method, "GET") || r->head;
    int64_t since_us = 0;
    struct stmt_doc_ctx ctx;
    size_t na = 0;

    if (!is_get && strcmp(r->method, "PUT") && strcmp(r->method, "POST") &&
        strcmp(r->method, "DELETE")) {
        lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, res->path);
        return;
    }
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return;
    }
    if (res->activity)
        allowed[na++] = "activityId";
    if (res->agent)
        allowed[na++] = "agent";
    if (res->registration)
        allowed[na++] = "registration";
    allowed[na++] = res->id_param;
    if (is_get)
        allowed[na++] = "since";
    allowed[na] = NULL;
    if (lrs_params_check(r, allowed, res->section))
        return;

    id = lrs_req_param(r, res->id_param);
    since = lrs_req_param(r, "since");
    if (res->activity) {
        activity = lrs_req_param(r, "activityId");
        if (!activity) {
            lrs_reply_error(r, 400, "activityId parameter required (xAPI Comm %s)", res->section);
            return;
        }
        if (!stmt_validate_iri(activity)) {
            lrs_reply_error(r, 400, "activityId '%.64s' is not an IRI (xAPI Data 2.4.4.1)",
                            activity);
            return;
        }
    }
    if (res->agent) {
        agent = lrs_req_param(r, "agent");
        if (!agent) {
            lrs_reply_error(r, 400, "agent parameter required (xAPI Comm %s)", res->section);
            return;
        }
        if (lrs_agent_param(r, agent, ifi, sizeof ifi, NULL))
            return;
    }
    if (res->registration && (reg = lrs_req_param(r, "registration"))) {
        if (!stmt_validate_uuid(reg)) {
            lrs_reply_error(r, 400, "registration '%.64s' is not a UUID (xAPI Data 4.4)", reg);
            return;
        }
        /* UUIDs compare case-insensitively: key by the lowercase form */
        snprintf(regl, sizeof regl, "%s", reg);
        for (char *p = regl; *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
        reg = regl;
    }
    if (since && sc_time_parse_iso(since, strlen(since), &since_us)) {
        lrs_reply_error(r, 400, "since '%.64s' is not an ISO 8601 timestamp (xAPI Data 4.5)",
                        since);
        return;
    }
    if (id && !*id) {
        lrs_reply_error(r, 400, "%s must not be empty (xAPI Comm %s)", res->id_param, res->section);
        return;
    }
    if (!id && (!strcmp(r->method, "PUT") || !strcmp(r->method, "POST"))) {
        lrs_reply_error(r, 400, "%s parameter required on %s (xAPI Comm %s)", res->id_param,
                        r->method, res->section);
        return;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.kind = res->kind;
    ctx.activity_id = activity;
    ctx.agent_ifi = agent ? ifi : NULL;
    ctx.registration = reg;
    /* a cmi5 AU session: LMS.LaunchData is read-only, the learner preferences are checked
     * (cmi5 10.2, 11; route_cmi5.c) */
    if (r->cred.cmi5_session[0] && res->kind != STMT_DOC_ACTIVITY_PROFILE &&
        lrs_cmi5_document(r, res->kind, id, agent ? ifi : NULL))
        return;
    if (is_get)
        doc_get(r, &ctx, id, since_us);
    else if (!strcmp(r->method, "DELETE"))
        doc_delete(r, res, &ctx, id);
    else
        doc_write(r, res, &ctx, id);
}

void lrs_route_state(struct lrs_req *r)
{
    serve(r, &RESOURCES[0]);
}

void lrs_route_activity_profile(struct lrs_req *r)
{
    serve(r, &RESOURCES[1]);
}

void lrs_route_agent_profile(struct lrs_req *r)
{
    serve(r, &RESOURCES[2]);
}
