/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statement export (issue 14, docs/reports.md): GET /api/export/statements?format=jsonl|csv
 * with the xAPI statement query filters, streamed with chunked transfer encoding, and the
 * shared walk behind `scolar export` (cmd_export.c).
 *
 * Constant memory: the walk runs the statement query page by page (STMT_STORE_MAX_LIMIT
 * statements) following its `more` cursor. Each page is one short read transaction that ends
 * before the page is written to the client, so a client that stops reading holds a worker,
 * not the store; the cursor's snapshot (the last folded statement when the export began)
 * keeps later pages from skipping or repeating statements while writes go on.
 */
#include "lrs/lrs.h"
#include "common/sc_alloc.h"
#include "statements/stmt_store.h"

#include <civetweb.h>
#include <stdio.h>
#include <string.h>

/* xAPI language maps: en-US, en, else the first entry. */
static const char *lang_pick(const cJSON *map)
{
    const cJSON *j;
    if (!cJSON_IsObject(map))
        return NULL;
    if ((j = cJSON_GetObjectItemCaseSensitive(map, "en-US")) && cJSON_IsString(j))
        return j->valuestring;
    if ((j = cJSON_GetObjectItemCaseSensitive(map, "en")) && cJSON_IsString(j))
        return j->valuestring;
    cJSON_ArrayForEach(j, map)
    {
        if (cJSON_IsString(j))
            return j->valuestring;
    }
    return NULL;
}

static const char *str_at(const cJSON *o, const char *name)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int num_field(struct sc_buf *b, const cJSON *v, int last)
{
    char num[64] = "";
    if (cJSON_IsNumber(v)) {
        /* the JSON text as sent would be nicer; the stored number is exact enough for
         * scores: 17 significant digits round-trip */
        double d = v->valuedouble;
        if (d == (double)(long long)d && d < 9e15 && d > -9e15)
            snprintf(num, sizeof num, "%lld", (long long)d);
        else
            lrs_num_shortest(d, num, sizeof num);
    }
    return lrs_csv_str(b, num, last);
}

static int bool_field(struct sc_buf *b, const cJSON *v, int last)
{
    return lrs_csv_str(b, cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? "true" : "false") : "", last);
}

/* The actor's IFI as one CSV cell: mbox / mbox_sha1sum / openid as "kind:value", an account
 * as "account:homePage|name"; empty for an anonymous Group. */
static int ifi_field(struct sc_buf *b, const cJSON *agent)
{
    char ifi[1024];
    if (stmt_store_agent_ifi(agent, ifi, sizeof ifi) != STMT_STORE_OK)
        ifi[0] = '\0';
    for (char *p = ifi; *p; p++)
        if (*p == '\x1f')
            *p = '|';
    return lrs_csv_str(b, ifi, 0);
}

const char LRS_EXPORT_CSV_HEADER[] =
    "id,timestamp,stored,actor_name,actor_ifi,verb_id,verb_display,object_id,object_type,"
    "object_name,registration,score_raw,score_scaled,success,completion,duration,json\r\n";

/* One statement as a CSV record (columns: LRS_EXPORT_CSV_HEADER). */
static int csv_record(struct sc_buf *b, const char *json, size_t len)
{
    cJSON *s = cJSON_ParseWithLength(json, len);
    const cJSON *actor, *verb, *obj, *res, *score, *ctx, *def;
    const char *otype;
    int bad = 0;
    if (!s)
        return -1;
    actor = cJSON_GetObjectItemCaseSensitive(s, "actor");
    verb = cJSON_GetObjectItemCaseSensitive(s, "verb");
    obj = cJSON_GetObjectItemCaseSensitive(s, "object");
    res = cJSON_GetObjectItemCaseSensitive(s, "result");
    score = cJSON_GetObjectItemCaseSensitive(res, "score");
    ctx = cJSON_GetObjectItemCaseSensitive(s, "context");
    def = cJSON_GetObjectItemCaseSensitive(obj, "definition");
    otype = str_at(obj, "objectType");
    if (!otype)
        otype = "Activity";
    bad |= lrs_csv_str(b, str_at(s, "id"), 0);
    bad |= lrs_csv_str(b, str_at(s, "timestamp"), 0);
    bad |= lrs_csv_str(b, str_at(s, "stored"), 0);
    bad |= lrs_csv_str(b, str_at(actor, "name"), 0);
    bad |= ifi_field(b, actor);
    bad |= lrs_csv_str(b, str_at(verb, "id"), 0);
    bad |= lrs_csv_str(b, lang_pick(cJSON_GetObjectItemCaseSensitive(verb, "display")), 0);
    if (!strcmp(otype, "Agent") || !strcmp(otype, "Group")) {
        char ifi[1024];
        if (stmt_store_agent_ifi(obj, ifi, sizeof ifi) != STMT_STORE_OK)
            ifi[0] = '\0';
        for (char *p = ifi; *p; p++)
            if (*p == '\x1f')
                *p = '|';
        bad |= lrs_csv_str(b, ifi, 0);
        bad |= lrs_csv_str(b, otype, 0);
        bad |= lrs_csv_str(b, str_at(obj, "name"), 0);
    } else {
        bad |= lrs_csv_str(b, str_at(obj, "id"), 0);
        bad |= lrs_csv_str(b, otype, 0);
        bad |= lrs_csv_str(b, lang_pick(cJSON_GetObjectItemCaseSensitive(def, "name")), 0);
    }
    bad |= lrs_csv_str(b, str_at(ctx, "registration"), 0);
    bad |= num_field(b, cJSON_GetObjectItemCaseSensitive(score, "raw"), 0);
    bad |= num_field(b, cJSON_GetObjectItemCaseSensitive(score, "scaled"), 0);
    bad |= bool_field(b, cJSON_GetObjectItemCaseSensitive(res, "success"), 0);
    bad |= bool_field(b, cJSON_GetObjectItemCaseSensitive(res, "completion"), 0);
    bad |= lrs_csv_str(b, str_at(res, "duration"), 0);
    bad |= lrs_csv_field(b, json, len, 1);
    cJSON_Delete(s);
    return bad;
}

int lrs_export_run(struct stmt_store *st, const struct stmt_query *q0, int csv, size_t max,
                   lrs_export_sink sink, void *ctx, size_t *count)
{
    struct stmt_query q = *q0;
    struct stmt_page page;
    struct sc_buf b = SC_BUF_INIT;
    char more[STMT_STORE_MORE_LEN];
    size_t n = 0;
    int rc = 0;

    q.limit = 0; /* the server maximum per page */
    q.cursor = NULL;
    for (int first = 1;; first = 0) {
        int bad = 0;
        memset(&page, 0, sizeof page);
        rc = stmt_store_query(st, &q, &page); /* its read transaction ends here */
        if (rc)
            goto out;
        sc_buf_reset(&b);
        if (first && csv) /* with the first page: nothing is sent before a query worked */
            bad = sc_buf_puts(&b, LRS_EXPORT_CSV_HEADER);
        for (size_t i = 0; i < page.n && (!max || n < max) && !bad; i++, n++) {
            if (csv)
                bad = csv_record(&b, page.items[i].json, page.items[i].len);
            else
                bad = sc_buf_append(&b, page.items[i].json, page.items[i].len) ||
                      sc_buf_putc(&b, '\n');
        }
        /* q.cursor was read by the query: the next page's cursor can take its place. */
        memcpy(more, page.more, sizeof more);
        stmt_page_free(&page);
        if (bad) {
            rc = STMT_STORE_ERR_NOMEM;
            goto out;
        }
        if (b.len && sink(ctx, b.data, b.len)) {
            rc = LRS_EXPORT_GONE;
            goto out;
        }
        if (!more[0] || (max && n >= max))
            break;
        q.cursor = more;
    }
out:
    sc_buf_free(&b);
    if (count)
        *count = n;
    return rc;
}

/* ---- GET /api/export/statements ---------------------------------------------------------- */

struct http_sink {
    struct lrs_req *r;
    int csv, started;
    size_t bytes;
};

/* The status line and headers go out with the first page, so an error before it (the first
 * query) can still be answered with its status. */
static void http_start(struct http_sink *h)
{
    if (h->started)
        return;
    h->started = 1;
    lrs_resp_header(h->r, "Transfer-Encoding", "chunked");
    lrs_resp_header(h->r, "Content-Disposition", "attachment; filename=\"statements.%s\"",
                    h->csv ? "csv" : "jsonl");
    lrs_resp_header(h->r, "Cache-Control", "no-store");
    lrs_reply_head(h->r, 200, h->csv ? "text/csv; charset=utf-8" : "application/x-ndjson", 0, 0,
                   NULL, 0);
    h->r->status = 200;
}

static int http_send(void *ctx, const char *data, size_t n)
{
    struct http_sink *h = ctx;
    http_start(h);
    if (mg_send_chunk(h->r->conn, data, (unsigned)n) <= 0)
        return -1; /* the client went away */
    h->bytes += n;
    return 0;
}

void lrs_route_export(struct lrs_req *r)
{
    static const char *const allowed[] = {
        "format",         "agent", "verb",  "activity", "registration", "related_activities",
        "related_agents", "since", "until", "limit",    "ascending",    NULL};
    struct stmt_query q;
    struct http_sink hs = {r, 0, 0, 0};
    char ifi[1024];
    const char *f = lrs_req_param(r, "format");
    size_t max, n = 0;
    int csv = 0, rc;

    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        lrs_reply_error(r, 405, "the export is read with GET");
        return;
    }
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return;
    }
    for (size_t i = 0; i < r->nparams; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, r->params[i].name);
        for (size_t j = 0; j < i && ok; j++)
            ok = strcmp(r->params[i].name, r->params[j].name) != 0;
        if (!ok) {
            lrs_reply_error(r, 400, "parameter '%.64s' unknown or given twice", r->params[i].name);
            return;
        }
    }
    f = lrs_req_param(r, "format");
    if (f && strcmp(f, "jsonl") && strcmp(f, "csv")) {
        lrs_reply_error(r, 400, "format must be jsonl or csv");
        return;
    }
    csv = f && !strcmp(f, "csv");
    if (lrs_query_params(r, &q, ifi, sizeof ifi))
        return;
    max = q.limit; /* limit: statements in the whole export (0 = all) */
    q.scope = r->cred.key;
    hs.csv = csv;
    if (r->head) {
        http_start(&hs);
        return;
    }
    rc = lrs_export_run(r->app->store, &q, csv, max, http_send, &hs, &n);
    if (rc && !hs.started) {
        lrs_reply_error(r, 500, "export failed: %s", stmt_store_strerror(rc));
        return;
    }
    http_start(&hs); /* an empty export */
    if (rc == 0)
        mg_send_chunk(r->conn, "", 0); /* the last chunk */
    else if (rc != LRS_EXPORT_GONE)
        lrs_log(LRS_LOG_WARN, "export stopped after %zu statements: %s", n,
                stmt_store_strerror(rc));
    /* After an error the stream ends without its last chunk: the client sees a truncated
     * body, never a complete-looking one (the status line went out with the first page). */
    r->bytes_out = hs.bytes;
}
