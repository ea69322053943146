/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /xapi/statements (xAPI 1.0.3 Communication 2.1): PUT, POST, GET (single and query), HEAD.
 *
 * Every write goes: body read in a loop up to the cap → strict JSON scan → cJSON →
 * stmt_validate (every Data rule) → duplicate-id check → stmt_store_insert, which returns only
 * after the writer thread's group commit is durable. Nothing is acknowledged before that.
 * Errors are answered with the JSON path and the rule (the statements/ diagnostics).
 */
#include "lrs/lrs.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_store.h"
#include "statements/stmt_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const GET_PARAMS[] = {
    "statementId",        "voidedStatementId", "agent", "verb",  "activity", "registration",
    "related_activities", "related_agents",    "since", "until", "limit",    "format",
    "attachments",        "ascending",         "more",  NULL,
};

static int in_list(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(*list, name))
            return 1;
    return 0;
}

static void reply_store_err(struct lrs_req *r, int rc, size_t bad_index)
{
    switch (rc) {
    case STMT_STORE_ERR_CONFLICT:
        lrs_reply_error(r, 409,
                        "statement %zu: a statement with this id exists with different content "
                        "(xAPI Comm 2.1.2: statements are immutable)",
                        bad_index);
        break;
    case STMT_STORE_ERR_VOID_VOIDING:
        lrs_reply_error(r, 400,
                        "statement %zu: a voiding statement cannot be voided (xAPI Data 2.3.2)",
                        bad_index);
        break;
    case STMT_STORE_ERR_DUP_ID:
        lrs_reply_error(r, 400,
                        "statement %zu: two statements in the batch share one id (xAPI "
                        "Comm 2.1.2)",
                        bad_index);
        break;
    case STMT_STORE_ERR_FULL:
        lrs_reply_error(r, 507, "storage full: statement not stored");
        break;
    case STMT_STORE_ERR_CLOSED:
        lrs_reply_error(r, 503, "server is shutting down");
        break;
    case STMT_STORE_ERR_ARG:
        lrs_reply_error(r, 400, "invalid statement batch");
        break;
    default:
        lrs_reply_error(r, 500, "storage error: %s", stmt_store_strerror(rc));
    }
}

static int has_scope(struct lrs_req *r, unsigned want)
{
    return (r->cred.scopes & (want | LRS_SCOPE_ALL)) != 0;
}

/* Comm 1.5: statements are sent as application/json (multipart/mixed for attachments). */
static int json_content_type(struct lrs_req *r)
{
    const char *ct = lrs_req_header(r, "Content-Type");
    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    return !strncasecmp(ct, "application/json", 16) &&
           (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

/* Read, scan and validate the body. Returns the tree (owned) or NULL after answering. */
static cJSON *read_statements(struct lrs_req *r, int single)
{
    struct stmt_diag diag;
    struct stmt_json_limits lim = STMT_JSON_LIMITS_DEFAULT;
    cJSON *body;
    int rc;

    if (!json_content_type(r)) {
        const char *ct = lrs_req_header(r, "Content-Type");
        lrs_reply_error(r, 400,
                        "Content-Type '%.64s' not accepted: statements are application/json "
                        "(xAPI Comm 1.5)",
                        ct ? ct : "(none)");
        return NULL;
    }
    rc = lrs_req_read_body(r, 0);
    if (rc) {
        lrs_reply_error(r, rc,
                        rc == 413 ? "request body larger than %zu bytes"
                                  : "cannot read "
                                    "body (%zu)",
                        r->app->cfg.max_body);
        return NULL;
    }
    memset(&diag, 0, sizeof diag);
    body = stmt_json_parse(r->body.data, r->body.len, &lim, &diag);
    if (!body) {
        lrs_reply_error(r, diag.code == STMT_ERR_NOMEM ? 500 : 400, "%s: %s",
                        diag.path[0] ? diag.path : "$", diag.msg[0] ? diag.msg : "invalid JSON");
        return NULL;
    }
    if (single && !cJSON_IsObject(body)) {
        cJSON_Delete(body);
        lrs_reply_error(r, 400, "$: PUT takes one statement object (xAPI Comm 2.1.1)");
        return NULL;
    }
    if (cJSON_IsArray(body) && cJSON_GetArraySize(body) == 0) {
        cJSON_Delete(body);
        lrs_reply_error(r, 400, "$: empty statement array");
        return NULL;
    }
    rc = stmt_validate_batch(body, STMT_VALIDATE_DEFAULT, &diag);
    if (rc) {
        cJSON_Delete(body);
        lrs_reply_error(r, rc == STMT_ERR_NOMEM ? 500 : 400, "%s: %s", diag.path, diag.msg);
        return NULL;
    }
    return body;
}

static void do_insert(struct lrs_req *r, cJSON *body, int put)
{
    struct stmt_insert_result res;
    cJSON **stmts;
    size_t n = cJSON_IsArray(body) ? (size_t)cJSON_GetArraySize(body) : 1, i = 0, dup = 0;
    int rc;

    stmts = sc_calloc(n, sizeof *stmts);
    if (!stmts) {
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    if (cJSON_IsArray(body)) {
        cJSON *e;
        cJSON_ArrayForEach(e, body) stmts[i++] = e;
    } else {
        stmts[0] = body;
    }
    for (size_t k = 0; k < n; k++) {
        if (stmt_normalize(stmts[k])) {
            sc_free(stmts);
            lrs_reply_error(r, 500, "out of memory");
            return;
        }
    }
    if (stmt_store_check_batch_ids(stmts, n, &dup)) {
        sc_free(stmts);
        reply_store_err(r, STMT_STORE_ERR_DUP_ID, dup);
        return;
    }
    memset(&res, 0, sizeof res);
    rc = stmt_store_insert(r->app->store, stmts, n, r->cred.authority, &res);
    sc_free(stmts);
    if (rc) {
        reply_store_err(r, rc, res.bad_index);
        stmt_insert_result_free(&res);
        return;
    }
    if (put) {
        lrs_reply(r, 204, NULL, NULL, 0);
    } else {
        struct sc_buf b = SC_BUF_INIT;
        sc_buf_putc(&b, '[');
        for (size_t k = 0; k < res.n; k++) {
            if (k)
                sc_buf_putc(&b, ',');
            sc_buf_json_str(&b, res.ids[k], strlen(res.ids[k]));
        }
        sc_buf_putc(&b, ']');
        lrs_reply(r, 200, "application/json", b.data, b.len);
        sc_buf_free(&b);
    }
    stmt_insert_result_free(&res);
}

static void statements_put(struct lrs_req *r)
{
    const char *sid;
    cJSON *body, *id;

    for (size_t i = 0; i < r->nparams; i++) {
        if (strcmp(r->params[i].name, "statementId")) {
            lrs_reply_error(r, 400, "parameter '%.64s' not allowed on PUT (xAPI Comm 2.1.1)",
                            r->params[i].name);
            return;
        }
    }
    sid = lrs_req_param(r, "statementId");
    if (!sid) {
        lrs_reply_error(r, 400, "statementId parameter required on PUT (xAPI Comm 2.1.1)");
        return;
    }
    if (!stmt_validate_uuid(sid)) {
        lrs_reply_error(r, 400, "statementId '%.64s' is not a UUID (xAPI Data 2.4.1)", sid);
        return;
    }
    body = read_statements(r, 1);
    if (!body)
        return;
    id = cJSON_GetObjectItemCaseSensitive(body, "id");
    if (id) {
        if (strcasecmp(id->valuestring, sid)) {
            cJSON_Delete(body);
            lrs_reply_error(r, 400,
                            "$.id '%.64s' differs from the statementId parameter (xAPI Comm "
                            "2.1.1)",
                            id->valuestring);
            return;
        }
    } else {
        cJSON_AddStringToObject(body, "id", sid);
    }
    do_insert(r, body, 1);
    cJSON_Delete(body);
}

static void statements_post(struct lrs_req *r)
{
    cJSON *body;
    if (r->nparams) {
        lrs_reply_error(r, 400, "parameter '%.64s' not allowed on POST (xAPI Comm 2.1.2)",
                        r->params[0].name);
        return;
    }
    body = read_statements(r, 0);
    if (!body)
        return;
    do_insert(r, body, 0);
    cJSON_Delete(body);
}

/* ---- GET ------------------------------------------------------------------------------- */

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true"))
        *out = 1;
    else if (!strcmp(v, "false"))
        *out = 0;
    else
        return -1;
    return 0;
}

/* Append one stored statement, formatted, to b. */
static int append_formatted(struct sc_buf *b, const char *json, size_t len, int fmt,
                            const char *lang)
{
    cJSON *t, *f;
    char *s;
    int rc;
    if (fmt == STMT_FORMAT_EXACT)
        return sc_buf_append(b, json, len);
    t = cJSON_ParseWithLength(json, len);
    if (!t)
        return -1;
    f = stmt_format(t, (enum stmt_format)fmt, lang);
    cJSON_Delete(t);
    if (!f)
        return -1;
    s = cJSON_PrintUnformatted(f);
    cJSON_Delete(f);
    if (!s)
        return -1;
    rc = sc_buf_puts(b, s);
    cJSON_free(s);
    return rc;
}

static void get_single(struct lrs_req *r, const char *id, int voided, int fmt)
{
    char *json = NULL;
    int64_t stored = 0;
    char date[SC_TIME_ISO_LEN];
    struct sc_buf b = SC_BUF_INIT;
    int rc;

    if (!stmt_validate_uuid(id)) {
        lrs_reply_error(r, 400, "%s '%.64s' is not a UUID (xAPI Data 2.4.1)",
                        voided ? "voidedStatementId" : "statementId", id);
        return;
    }
    rc = stmt_store_get(r->app->store, id, voided, &json, &stored);
    if (rc == STMT_STORE_ERR_NOTFOUND) {
        lrs_reply_error(r, 404, "no %sstatement with id %s", voided ? "voided " : "", id);
        return;
    }
    if (rc) {
        lrs_reply_error(r, 500, "storage error: %s", stmt_store_strerror(rc));
        return;
    }
    if (append_formatted(&b, json, strlen(json), fmt, lrs_req_header(r, "Accept-Language"))) {
        sc_free(json);
        sc_buf_free(&b);
        lrs_reply_error(r, 500, "cannot format statement");
        return;
    }
    sc_free(json);
    /* Comm 2.1.3: Last-Modified on single statement GETs (= stored) */
    lrs_resp_header(r, "Last-Modified", "%s", sc_time_format_http(stored, date));
    lrs_reply(r, 200, "application/json", b.data, b.len);
    sc_buf_free(&b);
}

static int parse_time_param(struct lrs_req *r, const char *name, int64_t *out)
{
    const char *v = lrs_req_param(r, name);
    if (!v)
        return 0;
    if (sc_time_parse_iso(v, strlen(v), out)) {
        lrs_reply_error(r, 400, "%s '%.64s' is not an ISO 8601 timestamp (xAPI Data 4.5)", name, v);
        return -1;
    }
    return 0;
}

static void statements_get(struct lrs_req *r)
{
    const char *sid, *vsid, *v;
    int fmt = STMT_FORMAT_EXACT, b_att = 0;
    struct stmt_query q;
    struct stmt_page page;
    char ifi[1024];
    int rc;

    if (!has_scope(r, LRS_SCOPE_STATEMENTS_READ | LRS_SCOPE_ALL_READ)) {
        lrs_reply_error(r, 403, "this credential may not read statements");
        return;
    }
    for (size_t i = 0; i < r->nparams; i++) {
        if (!in_list(r->params[i].name, GET_PARAMS)) {
            /* Comm 2.1.3 / xapi-lrs.md 1.11: unknown or mis-cased parameters → 400 */
            lrs_reply_error(r, 400, "unknown parameter '%.64s' (xAPI Comm 2.1.3)",
                            r->params[i].name);
            return;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(r->params[i].name, r->params[j].name)) {
                lrs_reply_error(r, 400, "parameter '%.64s' given twice", r->params[i].name);
                return;
            }
        }
    }
    if ((v = lrs_req_param(r, "format"))) {
        fmt = stmt_format_from_string(v);
        if (fmt < 0) {
            lrs_reply_error(r, 400, "format must be ids, exact or canonical (xAPI Comm 2.1.3)");
            return;
        }
    }
    if ((v = lrs_req_param(r, "attachments")) && parse_bool(v, &b_att)) {
        lrs_reply_error(r, 400, "attachments must be true or false");
        return;
    }
    sid = lrs_req_param(r, "statementId");
    vsid = lrs_req_param(r, "voidedStatementId");
    if (sid || vsid) {
        /* Comm 2.1.3: with statementId or voidedStatementId only attachments and format */
        for (size_t i = 0; i < r->nparams; i++) {
            const char *n = r->params[i].name;
            if ((sid && vsid) || (strcmp(n, "statementId") && strcmp(n, "voidedStatementId") &&
                                  strcmp(n, "attachments") && strcmp(n, "format"))) {
                lrs_reply_error(r, 400,
                                "statementId/voidedStatementId cannot be combined with '%.64s' "
                                "(xAPI Comm 2.1.3)",
                                (sid && vsid) ? "voidedStatementId" : n);
                return;
            }
        }
        get_single(r, sid ? sid : vsid, vsid != NULL, fmt);
        return;
    }

    memset(&q, 0, sizeof q);
    if ((v = lrs_req_param(r, "agent"))) {
        struct stmt_diag diag;
        struct stmt_json_limits lim = STMT_JSON_LIMITS_DEFAULT;
        cJSON *a = stmt_json_parse(v, strlen(v), &lim, &diag);
        if (!a || stmt_validate_agent(a, &diag) ||
            stmt_store_agent_ifi(a, ifi, sizeof ifi) != STMT_STORE_OK) {
            cJSON_Delete(a);
            lrs_reply_error(r, 400, "agent parameter: %s %s", diag.path, diag.msg);
            return;
        }
        cJSON_Delete(a);
        q.agent = ifi;
    }
    if ((v = lrs_req_param(r, "verb"))) {
        if (!stmt_validate_iri(v)) {
            lrs_reply_error(r, 400, "verb '%.64s' is not an IRI (xAPI Data 2.2)", v);
            return;
        }
        q.verb = v;
    }
    if ((v = lrs_req_param(r, "activity"))) {
        if (!stmt_validate_iri(v)) {
            lrs_reply_error(r, 400, "activity '%.64s' is not an IRI (xAPI Data 2.2)", v);
            return;
        }
        q.activity = v;
    }
    if ((v = lrs_req_param(r, "registration"))) {
        if (!stmt_validate_uuid(v)) {
            lrs_reply_error(r, 400, "registration '%.64s' is not a UUID (xAPI Data 4.4)", v);
            return;
        }
        q.registration = v;
    }
    if ((v = lrs_req_param(r, "related_activities")) && parse_bool(v, &q.related_activities)) {
        lrs_reply_error(r, 400, "related_activities must be true or false");
        return;
    }
    if ((v = lrs_req_param(r, "related_agents")) && parse_bool(v, &q.related_agents)) {
        lrs_reply_error(r, 400, "related_agents must be true or false");
        return;
    }
    if ((v = lrs_req_param(r, "ascending")) && parse_bool(v, &q.ascending)) {
        lrs_reply_error(r, 400, "ascending must be true or false");
        return;
    }
    if ((v = lrs_req_param(r, "limit"))) {
        char *end;
        unsigned long long l = strtoull(v, &end, 10);
        if (!*v || *end || v[0] == '-' || v[0] == '+') {
            lrs_reply_error(r, 400, "limit must be a non-negative integer (xAPI Comm 2.1.3)");
            return;
        }
        q.limit = (size_t)l;
    }
    if (parse_time_param(r, "since", &q.since_us) || parse_time_param(r, "until", &q.until_us))
        return;
    q.cursor = lrs_req_param(r, "more");
    q.scope = r->cred.key;

    memset(&page, 0, sizeof page);
    rc = stmt_store_query(r->app->store, &q, &page);
    if (rc == STMT_STORE_ERR_CURSOR) {
        lrs_reply_error(r, 400, "the more cursor is invalid, expired or altered");
        return;
    }
    if (rc) {
        lrs_reply_error(r, rc == STMT_STORE_ERR_ARG ? 400 : 500, "query failed: %s",
                        stmt_store_strerror(rc));
        return;
    }
    {
        struct sc_buf b = SC_BUF_INIT;
        const char *lang = lrs_req_header(r, "Accept-Language");
        int bad = sc_buf_puts(&b, "{\"statements\":[");
        for (size_t i = 0; !bad && i < page.n; i++) {
            if (i)
                sc_buf_putc(&b, ',');
            bad = append_formatted(&b, page.items[i].json, page.items[i].len, fmt, lang);
        }
        sc_buf_puts(&b, "],\"more\":");
        if (page.more[0]) {
            /* Data 2.5: a relative IRL; it repeats the query (the cursor is bound to it) */
            struct sc_buf more = SC_BUF_INIT;
            sc_buf_puts(&more, "/xapi/statements?");
            int first = 1;
            for (size_t i = 0; i < r->nparams; i++) {
                if (!strcmp(r->params[i].name, "more"))
                    continue;
                const char *raw = r->params[i].value;
                sc_buf_printf(&more, "%s%s=", first ? "" : "&", r->params[i].name);
                for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
                    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                        (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
                        *p == '~')
                        sc_buf_putc(&more, (char)*p);
                    else
                        sc_buf_printf(&more, "%%%02X", *p);
                }
                first = 0;
            }
            sc_buf_printf(&more, "%smore=%s", first ? "" : "&", page.more);
            sc_buf_json_str(&b, more.data, more.len);
            sc_buf_free(&more);
        } else {
            sc_buf_puts(&b, "\"\"");
        }
        sc_buf_putc(&b, '}');
        stmt_page_free(&page);
        if (bad) {
            sc_buf_free(&b);
            lrs_reply_error(r, 500, "cannot format statements");
            return;
        }
        lrs_reply(r, 200, "application/json", b.data, b.len);
        sc_buf_free(&b);
    }
}

void lrs_route_statements(struct lrs_req *r)
{
    if (!r->app->store) {
        lrs_reply_error(r, 503, "statement store not open");
        return;
    }
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return;
    }
    if (!strcmp(r->method, "GET") || r->head) {
        statements_get(r);
        return;
    }
    if (!strcmp(r->method, "PUT") || !strcmp(r->method, "POST")) {
        if (!has_scope(r, LRS_SCOPE_STATEMENTS_WRITE)) {
            lrs_reply_error(r, 403, "this credential may not write statements");
            return;
        }
        if (!strcmp(r->method, "PUT"))
            statements_put(r);
        else
            statements_post(r);
        return;
    }
    lrs_reply_error(r, 405, "method %s not allowed on /xapi/statements", r->method);
}
