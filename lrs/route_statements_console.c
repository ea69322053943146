/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /api/statements?FILTERS[&limit=][&more=]: the statement query of GET /xapi/statements
 * (the same filters: agent, verb, activity, registration, related_activities, related_agents,
 * since, until, ascending; parsed by lrs_query_params) for the console's statement browser,
 * which signs in with a session (admin) and so cannot use /xapi/statements. Read-only; voided
 * statements are left out (as the xAPI query does). Answers
 * {"statements": [...], "more": "<cursor>" | null}: pass `more` back with the same filters.
 * Console-only parameter: voiding=false leaves out voiding statements (the xAPI query returns
 * a voiding statement when its target matches the filters, StatementRef rule G5; a report's
 * numbers never count them, so the console's links to "the statements behind a number" ask
 * for them to be left out). Unknown parameters and parameters given twice are 400.
 */
#include "lrs/lrs.h"
#include "statements/stmt_store.h"

#include <string.h>

static const char *const ALLOWED[] = {
    "agent",          "verb",    "activity", "registration", "related_activities",
    "related_agents", "since",   "until",    "limit",        "ascending",
    "more",           "voiding", NULL,
};

static int is_voiding(const char *json, size_t len)
{
    cJSON *t = cJSON_ParseWithLength(json, len);
    const char *verb = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "verb"), "id"));
    int v = verb && !strcmp(verb, "http://adlnet.gov/expapi/verbs/voided");
    cJSON_Delete(t);
    return v;
}

void lrs_route_statements_console(struct lrs_req *r)
{
    struct stmt_query q;
    struct stmt_page page;
    struct sc_buf b = SC_BUF_INIT;
    char ifi[1024];
    int rc, bad = 0, keep_voiding = 1, first = 1;
    const char *v;

    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        lrs_reply_error(r, 405,
                        "statements are read with GET here (write them to /xapi/statements)");
        return;
    }
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return;
    }
    for (size_t i = 0; i < r->nparams; i++) {
        int ok = 0;
        for (const char *const *a = ALLOWED; *a && !ok; a++)
            ok = !strcmp(*a, r->params[i].name);
        if (!ok) {
            lrs_reply_error(r, 400, "unknown parameter '%.64s'", r->params[i].name);
            return;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(r->params[i].name, r->params[j].name)) {
                lrs_reply_error(r, 400, "parameter '%.64s' given twice", r->params[i].name);
                return;
            }
        }
    }
    if ((v = lrs_req_param(r, "voiding"))) {
        if (strcmp(v, "true") && strcmp(v, "false")) {
            lrs_reply_error(r, 400, "voiding must be true or false");
            return;
        }
        keep_voiding = !strcmp(v, "true");
    }
    if (lrs_query_params(r, &q, ifi, sizeof ifi))
        return;
    q.cursor = lrs_req_param(r, "more");
    q.scope = r->cred.key;
    memset(&page, 0, sizeof page);
    rc = stmt_store_query(r->app->store, &q, &page);
    if (rc) {
        lrs_reply_error(r, rc == STMT_STORE_ERR_CURSOR || rc == STMT_STORE_ERR_ARG ? 400 : 500,
                        "%s",
                        rc == STMT_STORE_ERR_CURSOR ? "the more cursor is invalid or expired"
                                                    : stmt_store_strerror(rc));
        return;
    }
    bad |= sc_buf_puts(&b, "{\"statements\":[");
    for (size_t i = 0; i < page.n; i++) {
        if (!keep_voiding && is_voiding(page.items[i].json, page.items[i].len))
            continue;
        if (!first)
            bad |= sc_buf_putc(&b, ',');
        first = 0;
        bad |= sc_buf_append(&b, page.items[i].json, page.items[i].len);
    }
    bad |= sc_buf_puts(&b, "],\"more\":");
    bad |=
        page.more[0] ? sc_buf_json_str(&b, page.more, strlen(page.more)) : sc_buf_puts(&b, "null");
    bad |= sc_buf_puts(&b, "}");
    stmt_page_free(&page);
    if (bad) {
        sc_buf_free(&b);
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    lrs_reply_buf(r, 200, "application/json", &b);
    sc_buf_free(&b);
}
