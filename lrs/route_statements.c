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
#include "lrs/fwd.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_text.h"
#include "common/sc_time.h"
#include "lrs/lrs_multipart.h"
#include "scorm/cmi5.h"
#include "statements/stmt_attach.h"
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
    int status = lrs_status(LRS_ERRS_STORE, rc); /* lrs_status.c: the one table */
    switch (rc) {
    case STMT_STORE_ERR_CONFLICT:
        lrs_reply_error(r, status,
                        "statement %zu: a statement with this id exists with different content "
                        "(xAPI Comm 2.1.2: statements are immutable)",
                        bad_index);
        break;
    case STMT_STORE_ERR_VOID_VOIDING:
        lrs_reply_error(r, status,
                        "statement %zu: a voiding statement cannot be voided (xAPI Data 2.3.2)",
                        bad_index);
        break;
    case STMT_STORE_ERR_DUP_ID:
        lrs_reply_error(r, status,
                        "statement %zu: two statements in the batch share one id (xAPI "
                        "Comm 2.1.2)",
                        bad_index);
        break;
    case STMT_STORE_ERR_FULL:
        lrs_reply_error(r, status, "storage full: statement not stored");
        break;
    case STMT_STORE_ERR_CLOSED:
        lrs_reply_error(r, status, "server is shutting down");
        break;
    case STMT_STORE_ERR_ARG:
        lrs_reply_error(r, status, "invalid statement batch");
        break;
    default:
        lrs_reply_error(r, status >= 500 ? status : 500, "storage error: %s",
                        stmt_store_strerror(rc));
    }
}

static int has_scope(struct lrs_req *r, unsigned want)
{
    return (r->cred.scopes & (want | LRS_SCOPE_ALL)) != 0;
}

#define SIGNATURE_USAGE "http://adlnet.gov/expapi/attachments/signature"
#define MAX_PARTS 1000

/* The raw attachment parts of a multipart/mixed request, borrowed from the body. */
struct att_part {
    const char *data;
    size_t len;
    char sha2[STMT_SHA2_HEX_MAX];
    int used;
};

struct stmt_req {
    cJSON *body; /* owned */
    struct att_part *parts;
    size_t nparts;
};

static void stmt_req_free(struct stmt_req *q)
{
    cJSON_Delete(q->body);
    sc_free(q->parts);
    memset(q, 0, sizeof *q);
}

static int ct_is(const char *ct, const char *type)
{
    size_t n = strlen(type);
    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    return !strncasecmp(ct, type, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Comm 1.5.2: split a multipart/mixed statement request. The first part holds the statements
 * (application/json); every other part is raw attachment data with X-Experience-API-Hash and
 * Content-Transfer-Encoding: binary. Our own hash of each part must equal its header. */
static int split_multipart(struct lrs_req *r, const char *ct, const char **json, size_t *jlen,
                           struct stmt_req *q)
{
    char boundary[80], err[160], hv[256];
    struct lrs_part *ps = NULL;
    size_t np = 0;

    if (lrs_multipart_boundary(ct, boundary, sizeof boundary)) {
        lrs_reply_error(r, 400,
                        "multipart/mixed without a valid boundary (RFC 2046, xAPI Comm "
                        "1.5.2)");
        return -1;
    }
    if (lrs_multipart_parse(r->body.data, r->body.len, boundary, MAX_PARTS, &ps, &np, err,
                            sizeof err)) {
        lrs_reply_error(r, 400, "multipart/mixed: %s (xAPI Comm 1.5.2)", err);
        return -1;
    }
    if (np == 0) {
        sc_free(ps);
        lrs_reply_error(r, 400, "multipart/mixed request has no parts (xAPI Comm 1.5.2)");
        return -1;
    }
    if (lrs_part_header(&ps[0], "Content-Type", hv, sizeof hv) || !ct_is(hv, "application/json")) {
        sc_free(ps);
        lrs_reply_error(r, 400,
                        "the first part must be the statements as application/json "
                        "(xAPI Comm 1.5.2)");
        return -1;
    }
    *json = ps[0].data;
    *jlen = ps[0].len;
    q->parts = sc_calloc(np, sizeof *q->parts);
    if (!q->parts) {
        sc_free(ps);
        lrs_reply_error(r, 500, "out of memory");
        return -1;
    }
    for (size_t i = 1; i < np; i++) {
        struct att_part *a = &q->parts[q->nparts];
        if (lrs_part_header(&ps[i], "X-Experience-API-Hash", hv, sizeof hv) || !hv[0]) {
            sc_free(ps);
            lrs_reply_error(r, 400,
                            "part %zu has no X-Experience-API-Hash header (xAPI Comm "
                            "1.5.2)",
                            i + 1);
            return -1;
        }
        for (char *c = hv; *c; c++)
            if (*c >= 'A' && *c <= 'F')
                *c = (char)(*c - 'A' + 'a');
        if (stmt_attach_sha2(ps[i].data, ps[i].len, strlen(hv), a->sha2) || strcmp(a->sha2, hv)) {
            sc_free(ps);
            lrs_reply_error(r, 400,
                            "part %zu: its SHA-2 does not match its X-Experience-API-Hash "
                            "header (xAPI Comm 1.5.2)",
                            i + 1);
            return -1;
        }
        {
            char cte[64];
            if (!lrs_part_header(&ps[i], "Content-Transfer-Encoding", cte, sizeof cte) &&
                strcasecmp(cte, "binary")) {
                sc_free(ps);
                lrs_reply_error(r, 400,
                                "part %zu: Content-Transfer-Encoding must be binary "
                                "(xAPI Comm 1.5.2)",
                                i + 1);
                return -1;
            }
        }
        a->data = ps[i].data;
        a->len = ps[i].len;
        q->nparts++;
    }
    sc_free(ps);
    return 0;
}

static struct att_part *find_part(struct stmt_req *q, const char *sha2)
{
    for (size_t i = 0; i < q->nparts; i++)
        if (!strcasecmp(q->parts[i].sha2, sha2))
            return &q->parts[i];
    return NULL;
}

/* Every attachment without a fileUrl needs a part (Comm 1.5.2 "MUST reject batches of
 * Statements having Attachments that neither contain a fileUrl nor match a received
 * Attachment part"); every part must belong to an attachment (XAPI-00128); signatures are
 * checked (Data 2.6). Returns 0 or answers and returns -1. */
static int check_attachments(struct lrs_req *r, struct stmt_req *q, int multipart)
{
    cJSON *stmt;
    size_t si = 0;
    cJSON *list = cJSON_IsArray(q->body) ? q->body : NULL;
    for (stmt = list ? list->child : q->body; stmt; stmt = list ? stmt->next : NULL, si++) {
        const cJSON *atts = cJSON_GetObjectItemCaseSensitive(stmt, "attachments"), *a;
        size_t ai = 0;
        cJSON_ArrayForEach(a, atts)
        {
            const char *sha2 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "sha2"));
            const char *usage =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "usageType"));
            int has_url = cJSON_GetObjectItemCaseSensitive(a, "fileUrl") != NULL;
            struct att_part *p = sha2 ? find_part(q, sha2) : NULL;
            if (!p && !has_url) {
                lrs_reply_error(r, 400,
                                "$[%zu].attachments[%zu]: no fileUrl and no %s (xAPI Comm 1.5.2)",
                                si, ai,
                                multipart ? "part with a matching X-Experience-API-Hash"
                                          : "raw data: send it as multipart/mixed");
                return -1;
            }
            if (p) {
                p->used = 1;
                if (usage && !strcmp(usage, SIGNATURE_USAGE)) {
                    struct stmt_diag diag;
                    const char *ctype =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "contentType"));
                    if (!ctype || strcmp(ctype, "application/octet-stream")) {
                        lrs_reply_error(r, 400,
                                        "$[%zu].attachments[%zu].contentType: a signature is "
                                        "application/octet-stream (xAPI Data 2.6)",
                                        si, ai);
                        return -1;
                    }
                    memset(&diag, 0, sizeof diag);
                    if (stmt_jws_verify(p->data, p->len, stmt, &diag)) {
                        lrs_reply_error(r, 400, "$[%zu].attachments[%zu]: %s", si, ai, diag.msg);
                        return -1;
                    }
                }
            }
            ai++;
        }
    }
    for (size_t i = 0; i < q->nparts; i++) {
        if (!q->parts[i].used) {
            lrs_reply_error(r, 400,
                            "part %zu is not the data of any attachment of the statements "
                            "(xAPI Comm 1.5.2)",
                            i + 2);
            return -1;
        }
    }
    return 0;
}

/* Read, scan and validate the body into q. Returns 0, or -1 after answering. */
static int read_statements(struct lrs_req *r, int single, struct stmt_req *q)
{
    struct stmt_diag diag;
    struct stmt_json_limits lim = STMT_JSON_LIMITS_DEFAULT;
    const char *ct = lrs_req_header(r, "Content-Type"), *json;
    size_t jlen;
    int rc, multipart = ct_is(ct, "multipart/mixed");

    memset(q, 0, sizeof *q);
    if (!multipart && !ct_is(ct, "application/json")) {
        lrs_reply_error(r, 400,
                        "Content-Type '%.64s' not accepted: statements are application/json or "
                        "multipart/mixed (xAPI Comm 1.5)",
                        ct ? ct : "(none)");
        return -1;
    }
    rc = lrs_req_read_body(r, 0);
    if (rc) {
        lrs_reply_error(r, rc,
                        rc == 413 ? "request body larger than %zu bytes"
                                  : "cannot read "
                                    "body (%zu)",
                        r->app->cfg.max_body);
        return -1;
    }
    json = r->body.data;
    jlen = r->body.len;
    if (multipart && split_multipart(r, ct, &json, &jlen, q))
        goto fail;
    memset(&diag, 0, sizeof diag);
    q->body = stmt_json_parse(json, jlen, &lim, &diag);
    if (!q->body) {
        lrs_reply_error(r, diag.code == STMT_ERR_NOMEM ? 500 : 400, "%s: %s",
                        diag.path[0] ? diag.path : "$", diag.msg[0] ? diag.msg : "invalid JSON");
        goto fail;
    }
    if (single && !cJSON_IsObject(q->body)) {
        lrs_reply_error(r, 400, "$: PUT takes one statement object (xAPI Comm 2.1.1)");
        goto fail;
    }
    if (cJSON_IsArray(q->body) && cJSON_GetArraySize(q->body) == 0) {
        lrs_reply_error(r, 400, "$: empty statement array");
        goto fail;
    }
    rc = stmt_validate_batch(q->body, r->xver == LRS_XAPI_2 ? STMT_VALIDATE_V2 : 0, &diag);
    if (rc) {
        lrs_reply_error(r, rc == STMT_ERR_NOMEM ? 500 : 400, "%s: %s", diag.path, diag.msg);
        goto fail;
    }
    if (check_attachments(r, q, multipart))
        goto fail;
    return 0;
fail:
    stmt_req_free(q);
    return -1;
}

/* Store the attachment blobs; remembers which ones are new so a failed insert can remove
 * them again (a refused request changes nothing). */
static int store_blobs(struct lrs_req *r, struct stmt_req *q, int *created)
{
    for (size_t i = 0; i < q->nparts; i++) {
        int rc = stmt_attach_put(r->app->db, q->parts[i].sha2, q->parts[i].data, q->parts[i].len,
                                 &created[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static void unstore_blobs(struct lrs_req *r, struct stmt_req *q, const int *created)
{
    for (size_t i = 0; i < q->nparts; i++)
        if (created[i])
            stmt_attach_del(r->app->db, q->parts[i].sha2);
}

static void do_insert(struct lrs_req *r, struct stmt_req *q, int put)
{
    struct stmt_insert_result res;
    cJSON *body = q->body, *extra = NULL;
    cJSON **stmts;
    struct cmi5_plan *plan = NULL;
    const struct stmt_row *rows = NULL;
    size_t nrows = 0;
    int *created = NULL;
    size_t n = cJSON_IsArray(body) ? (size_t)cJSON_GetArraySize(body) : 1, i = 0, dup = 0;
    size_t nall = n, ins = n, m = 0; /* the LMS's statements are stmts[ins, ins + m) */
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
    /* xAPI 2.0 (IEEE 9274.1.1) Data 2.4.10: a statement sent under 2.0 without "version" is 2.0.0
     * (the store sets "1.0.0" for 1.0.3, Data 2.4.10 of 1.0.3). */
    for (i = 0; r->xver == LRS_XAPI_2 && i < n; i++)
        if (!cJSON_GetObjectItemCaseSensitive(stmts[i], "version") &&
            !cJSON_AddStringToObject(stmts[i], "version", "2.0.0")) {
            sc_free(stmts);
            lrs_reply_error(r, 500, "out of memory");
            return;
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
    /* cmi5 (route_cmi5.c): an AU session's statements pass the LMS's rules; the satisfied
     * statements they cause join this batch, so one writer transaction stores both */
    if (r->cred.cmi5_session[0]) {
        cJSON *e, **grown;
        if (lrs_cmi5_statements(r, stmts, n, &extra, &plan, &rows, &nrows, &ins)) {
            sc_free(stmts);
            return;
        }
        m = (size_t)cJSON_GetArraySize(extra);
        grown = sc_realloc(stmts, (n + m + 1) * sizeof *stmts);
        if (!grown) {
            lrs_cmi5_statements_done(r, plan, 0);
            cJSON_Delete(extra);
            sc_free(stmts);
            lrs_reply_error(r, 500, "out of memory");
            return;
        }
        stmts = grown;
        /* right after the statement that satisfied the AU (cmi5 9.3.9) */
        memmove(&stmts[ins + m], &stmts[ins], (n - ins) * sizeof *stmts);
        nall = ins;
        cJSON_ArrayForEach(e, extra)
        {
            if (stmt_normalize(e)) {
                lrs_cmi5_statements_done(r, plan, 0);
                cJSON_Delete(extra);
                sc_free(stmts);
                lrs_reply_error(r, 500, "out of memory");
                return;
            }
            stmts[nall++] = e;
        }
        nall = n + m;
    }
    memset(&res, 0, sizeof res);
    created = sc_calloc(q->nparts + 1, sizeof *created);
    if (!created) {
        lrs_cmi5_statements_done(r, plan, 0);
        cJSON_Delete(extra);
        sc_free(stmts);
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    rc = store_blobs(r, q, created);
    if (rc) {
        if (plan)
            lrs_cmi5_statements_done(r, plan, 0);
        cJSON_Delete(extra);
        unstore_blobs(r, q, created);
        sc_free(created);
        sc_free(stmts);
        lrs_reply_error(r, lrs_status(LRS_ERRS_DB, rc) == 507 ? 507 : 500,
                        "cannot store attachments: %s", stmt_db_strerror(rc));
        return;
    }
    /* a cmi5 AU's batch: the console's summary of its registration in the same transaction */
    rc = stmt_store_insert_fn(r->app->store, stmts, nall, r->cred.authority, rows, nrows,
                              plan ? cmi5_plan_index : NULL, plan, NULL, &res);
    sc_free(stmts);
    if (plan)
        lrs_cmi5_statements_done(r, plan, rc == 0);
    cJSON_Delete(extra);
    if (rc) {
        unstore_blobs(r, q, created);
        sc_free(created);
        reply_store_err(r, rc, res.bad_index);
        stmt_insert_result_free(&res);
        return;
    }
    sc_free(created);
    lrs_statements_learn(r, body); /* route_activities.c: define/all scopes only */
    if (put) {
        lrs_reply(r, 204, NULL, NULL, 0);
    } else {
        struct sc_buf b = SC_BUF_INIT;
        sc_buf_putc(&b, '[');
        for (size_t k = 0, first = 1; k < res.n; k++) {
            if (k >= ins && k < ins + m)
                continue; /* the LMS's satisfied statements: not the client's */
            if (!first)
                sc_buf_putc(&b, ',');
            first = 0;
            sc_buf_json_str(&b, res.ids[k], strlen(res.ids[k]));
        }
        sc_buf_putc(&b, ']');
        lrs_reply_buf(r, 200, "application/json", &b);
        sc_buf_free(&b);
    }
    stmt_insert_result_free(&res);
}

static void statements_put(struct lrs_req *r)
{
    const char *sid;
    struct stmt_req q;
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
    if (read_statements(r, 1, &q))
        return;
    body = q.body;
    id = cJSON_GetObjectItemCaseSensitive(body, "id");
    if (id) {
        if (strcasecmp(id->valuestring, sid)) {
            lrs_reply_error(r, 400,
                            "$.id '%.64s' differs from the statementId parameter (xAPI Comm "
                            "2.1.1)",
                            id->valuestring);
            stmt_req_free(&q);
            return;
        }
    } else {
        cJSON_AddStringToObject(body, "id", sid);
    }
    lrs_fwd_admit(r->app, 1); /* forwarding back-pressure: may wait, never refuses (fwd_admit.c) */
    do_insert(r, &q, 1);
    stmt_req_free(&q);
}

static void statements_post(struct lrs_req *r)
{
    struct stmt_req q;
    if (r->nparams) {
        lrs_reply_error(r, 400, "parameter '%.64s' not allowed on POST (xAPI Comm 2.1.2)",
                        r->params[0].name);
        return;
    }
    if (read_statements(r, 0, &q))
        return;
    /* forwarding back-pressure: may wait, never refuses (fwd_admit.c) */
    lrs_fwd_admit(r->app, cJSON_IsArray(q.body) ? (size_t)cJSON_GetArraySize(q.body) : 1);
    do_insert(r, &q, 0);
    stmt_req_free(&q);
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

/* Collect the attachments of one stored statement (sha2 → contentType) into `atts`, once. */
static void collect_attachments(const char *json, size_t len, cJSON *atts)
{
    cJSON *t = cJSON_ParseWithLength(json, len), *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(t, "attachments"))
    {
        const char *sha2 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "sha2"));
        const char *ct = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "contentType"));
        if (sha2 && !cJSON_GetObjectItemCaseSensitive(atts, sha2))
            cJSON_AddStringToObject(atts, sha2, ct ? ct : "application/octet-stream");
    }
    cJSON_Delete(t);
}

/* Comm 2.1.3 "attachments": true → multipart/mixed, the statements first as
 * application/json, then each attachment's raw data with X-Experience-API-Hash (Comm 1.5.2).
 * Attachments known only by fileUrl have no data here and are left out. */
static void reply_multipart(struct lrs_req *r, const struct sc_buf *json, const cJSON *atts)
{
    char boundary[48], hex[33], ct[128];
    unsigned char rnd[16];
    struct sc_buf b = SC_BUF_INIT;
    const cJSON *a;
    int bad = 0;

    if (sc_buf_error(json)) { /* half a statement document: never send it */
        lrs_reply_error(r, 500, "out of memory while building the answer");
        return;
    }
    if (sc_random_bytes(rnd, sizeof rnd) != 0) {
        lrs_reply_error(r, 500, "no random bytes for the multipart boundary");
        return;
    }
    sc_hex(rnd, sizeof rnd, hex);
    snprintf(boundary, sizeof boundary, "scolar-%s", hex);
    bad |= sc_buf_printf(&b, "--%s\r\nContent-Type: application/json\r\n\r\n", boundary);
    bad |= sc_buf_append(&b, json->data, json->len);
    cJSON_ArrayForEach(a, atts)
    {
        char *data = NULL;
        size_t n = 0;
        if (stmt_attach_get(r->app->db, a->string, &data, &n))
            continue;
        bad |= sc_buf_printf(&b,
                             "\r\n--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: "
                             "binary\r\nX-Experience-API-Hash: %s\r\n\r\n",
                             boundary, a->valuestring, a->string);
        bad |= sc_buf_append(&b, data, n);
        sc_free(data);
    }
    bad |= sc_buf_printf(&b, "\r\n--%s--\r\n", boundary);
    if (bad) {
        sc_buf_free(&b);
        lrs_reply_error(r, 500, "cannot build the multipart response");
        return;
    }
    snprintf(ct, sizeof ct, "multipart/mixed; boundary=%s", boundary);
    lrs_reply_buf(r, 200, ct, &b);
    sc_buf_free(&b);
}

/* statements/read/mine (issue 4): a credential with only this read scope sees the statements
 * whose authority is its own agent. */
static int read_mine_only(struct lrs_req *r)
{
    return !has_scope(r, LRS_SCOPE_STATEMENTS_READ | LRS_SCOPE_ALL_READ) &&
           (r->cred.scopes & LRS_SCOPE_STATEMENTS_READ_MINE);
}

static int written_by_me(struct lrs_req *r, const char *json, size_t len)
{
    cJSON *t = cJSON_ParseWithLength(json, len);
    const cJSON *acct = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(t, "authority"), "account");
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(acct, "name"));
    const char *home = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(acct, "homePage"));
    int mine = name && home && !strcmp(name, r->cred.key) && !strcmp(home, LRS_AUTHORITY_HOME);
    cJSON_Delete(t);
    return mine;
}

static void get_single(struct lrs_req *r, const char *id, int voided, int fmt, int attachments)
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
    if (rc == STMT_STORE_OK && read_mine_only(r) && !written_by_me(r, json, strlen(json))) {
        sc_free(json);
        json = NULL;
        rc = STMT_STORE_ERR_NOTFOUND;
    }
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
    /* Comm 2.1.3: Last-Modified on single statement GETs (= stored) */
    lrs_resp_header(r, "Last-Modified", "%s", sc_time_format_http(stored, date));
    if (attachments) {
        cJSON *atts = cJSON_CreateObject();
        collect_attachments(json, strlen(json), atts);
        reply_multipart(r, &b, atts);
        cJSON_Delete(atts);
    } else {
        lrs_reply_buf(r, 200, "application/json", &b);
    }
    sc_free(json);
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

int lrs_query_params(struct lrs_req *r, struct stmt_query *q, char *ifi, size_t ifilen)
{
    const char *v;
    memset(q, 0, sizeof *q);
    if ((v = lrs_req_param(r, "agent"))) {
        struct stmt_diag diag;
        struct stmt_json_limits lim = STMT_JSON_LIMITS_DEFAULT;
        cJSON *a = stmt_json_parse(v, strlen(v), &lim, &diag);
        if (!a || stmt_validate_agent(a, &diag) ||
            stmt_store_agent_ifi(a, ifi, ifilen) != STMT_STORE_OK) {
            cJSON_Delete(a);
            lrs_reply_error(r, 400, "agent parameter: %s %s", diag.path, diag.msg);
            return -1;
        }
        cJSON_Delete(a);
        q->agent = ifi;
    }
    if ((v = lrs_req_param(r, "verb"))) {
        if (!stmt_validate_iri(v)) {
            lrs_reply_error(r, 400, "verb '%.64s' is not an IRI (xAPI Data 2.2)", v);
            return -1;
        }
        q->verb = v;
    }
    if ((v = lrs_req_param(r, "activity"))) {
        if (!stmt_validate_iri(v)) {
            lrs_reply_error(r, 400, "activity '%.64s' is not an IRI (xAPI Data 2.2)", v);
            return -1;
        }
        q->activity = v;
    }
    if ((v = lrs_req_param(r, "registration"))) {
        if (!stmt_validate_uuid(v)) {
            lrs_reply_error(r, 400, "registration '%.64s' is not a UUID (xAPI Data 4.4)", v);
            return -1;
        }
        q->registration = v;
    }
    if ((v = lrs_req_param(r, "related_activities")) && parse_bool(v, &q->related_activities)) {
        lrs_reply_error(r, 400, "related_activities must be true or false");
        return -1;
    }
    if ((v = lrs_req_param(r, "related_agents")) && parse_bool(v, &q->related_agents)) {
        lrs_reply_error(r, 400, "related_agents must be true or false");
        return -1;
    }
    if ((v = lrs_req_param(r, "ascending")) && parse_bool(v, &q->ascending)) {
        lrs_reply_error(r, 400, "ascending must be true or false");
        return -1;
    }
    if ((v = lrs_req_param(r, "limit"))) {
        char *end;
        unsigned long long l = strtoull(v, &end, 10);
        if (!*v || *end || v[0] == '-' || v[0] == '+') {
            lrs_reply_error(r, 400, "limit must be a non-negative integer (xAPI Comm 2.1.3)");
            return -1;
        }
        q->limit = (size_t)l;
    }
    if (parse_time_param(r, "since", &q->since_us) || parse_time_param(r, "until", &q->until_us))
        return -1;
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
        get_single(r, sid ? sid : vsid, vsid != NULL, fmt, b_att);
        return;
    }

    if (lrs_query_params(r, &q, ifi, sizeof ifi))
        return;
    q.cursor = lrs_req_param(r, "more");
    q.scope = r->cred.key;
    char mine_ifi[1024];
    if (read_mine_only(r) && !q.agent) {
        /* walk the index of this credential's agent (authority is a related agent), then
         * keep only what it wrote (below) */
        cJSON *me = r->cred.authority ? cJSON_Parse(r->cred.authority) : NULL;
        int bad = !me || stmt_store_agent_ifi(me, mine_ifi, sizeof mine_ifi) != STMT_STORE_OK;
        cJSON_Delete(me);
        if (bad) {
            lrs_reply_error(r, 500, "credential has no usable authority agent");
            return;
        }
        q.agent = mine_ifi;
        q.related_agents = 1;
    }

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
        cJSON *atts = b_att ? cJSON_CreateObject() : NULL;
        int bad = sc_buf_puts(&b, "{\"statements\":[");
        int mine = read_mine_only(r), first = 1;
        int64_t newest = 0;
        for (size_t i = 0; !bad && i < page.n; i++) {
            if (mine && !written_by_me(r, page.items[i].json, page.items[i].len))
                continue;
            if (!first)
                sc_buf_putc(&b, ',');
            first = 0;
            if (page.items[i].stored_us > newest)
                newest = page.items[i].stored_us;
            bad = append_formatted(&b, page.items[i].json, page.items[i].len, fmt, lang);
            if (atts)
                collect_attachments(page.items[i].json, page.items[i].len, atts);
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
                (void)sc_pct_encode(&more, raw, strlen(raw), NULL); /* sticky: checked below */
                first = 0;
            }
            sc_buf_printf(&more, "%smore=%s", first ? "" : "&", page.more);
            if (sc_buf_error(&more) && !b.err)
                b.err = sc_buf_error(&more); /* never half a link: the reply is a 500 */
            else
                sc_buf_json_str(&b, more.data, more.len);
            sc_buf_free(&more);
        } else {
            sc_buf_puts(&b, "\"\"");
        }
        sc_buf_putc(&b, '}');
        stmt_page_free(&page);
        if (bad) {
            cJSON_Delete(atts);
            sc_buf_free(&b);
            lrs_reply_error(r, 500, "cannot format statements");
            return;
        }
        if (newest && r->xver == LRS_XAPI_2) {
            /* xAPI 2.0 Comm 2.1.3 (9274.1.1 4.1.6.1): Last-Modified on statement GETs, for a
             * list the stored time of its newest statement (as the ADL LRS does) */
            char date[SC_TIME_ISO_LEN];
            lrs_resp_header(r, "Last-Modified", "%s", sc_time_format_http(newest, date));
        }
        if (atts)
            reply_multipart(r, &b, atts);
        else
            lrs_reply_buf(r, 200, "application/json", &b);
        cJSON_Delete(atts);
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
        if (!strcmp(r->method, "PUT"))
            statements_put(r);
        else
            statements_post(r);
        return;
    }
    lrs_reply_error(r, 405, "method %s not allowed on /xapi/statements", r->method);
}
