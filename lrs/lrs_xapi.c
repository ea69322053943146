/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every /xapi/ request and response share: the version header (xAPI Comm 3.3), CORS for
 * browser clients (xapi-lrs.md §1.10; never on /api/), and preflights answered by us.
 */
#include "lrs/lrs.h"
#include "common/sc_time.h"
#include "statements/stmt_store.h"

#include <string.h>

/* xAPI Comm 3.3: accept "1.0" and any "1.0.x"; reject a missing header and other versions. */
static int version_ok(const char *v)
{
    if (!strcmp(v, "1.0"))
        return 1;
    if (strncmp(v, "1.0.", 4) != 0 || !v[4])
        return 0;
    for (const char *p = v + 4; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

static void cors(struct lrs_req *r)
{
    const char *origin = lrs_req_header(r, "Origin");
    const char *allowed = r->app->cfg.cors_origins;
    if (!origin)
        return;
    if (!strcmp(allowed, "*")) {
        lrs_resp_header(r, "Access-Control-Allow-Origin", "*");
    } else {
        size_t n = strlen(origin);
        const char *p = allowed;
        int ok = 0;
        while (p && *p && !ok) {
            const char *c = strchr(p, ',');
            size_t len = c ? (size_t)(c - p) : strlen(p);
            ok = len == n && !strncmp(p, origin, n);
            p = c ? c + 1 : NULL;
        }
        if (!ok)
            return;
        lrs_resp_header(r, "Access-Control-Allow-Origin", "%s", origin);
        lrs_resp_header(r, "Vary", "Origin");
    }
    lrs_resp_header(r, "Access-Control-Expose-Headers",
                    "ETag, Last-Modified, X-Experience-API-Consistent-Through, "
                    "X-Experience-API-Version");
}

int lrs_xapi_pre(struct lrs_req *r)
{
    const char *v;
    if (!strcmp(r->method, "OPTIONS")) {
        /* the CORS origin headers are added by lrs_xapi_headers when the reply goes out */
        lrs_resp_header(r, "Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, DELETE");
        lrs_resp_header(r, "Access-Control-Allow-Headers",
                        "Authorization, Content-Type, X-Experience-API-Version, If-Match, "
                        "If-None-Match");
        lrs_resp_header(r, "Access-Control-Max-Age", "600");
        lrs_reply(r, 204, NULL, NULL, 0);
        return 1;
    }
    /* xAPI Comm 2.8: the About resource is never rejected for its version header. */
    if (!strcmp(r->path, "/xapi/about"))
        return 0;
    v = lrs_req_header(r, "X-Experience-API-Version");
    if (!v) {
        /* Alternate request syntax carries the header as a form field (Comm 1.3). */
        if (!strcmp(r->method, "POST") && strstr(r->query, "method="))
            return 0;
        lrs_reply_error(r, 400, "X-Experience-API-Version header missing (xAPI Comm 3.3)");
        return 1;
    }
    if (!version_ok(v)) {
        lrs_reply_error(r, 400,
                        "X-Experience-API-Version '%.32s' not supported: this LRS serves 1.0.x "
                        "(xAPI Comm 3.3)",
                        v);
        return 1;
    }
    return 0;
}

void lrs_xapi_headers(struct lrs_req *r)
{
    lrs_resp_header(r, "X-Experience-API-Version", "1.0.3");
    /* Comm 2.1.3 (G9): on every Statement resource response, errors included. */
    if (r->app->store && !strncmp(r->path, "/xapi/statements", 16)) {
        char ts[SC_TIME_ISO_LEN];
        lrs_resp_header(r, "X-Experience-API-Consistent-Through", "%s",
                        sc_time_format_iso(stmt_store_consistent_through(r->app->store), 3, ts));
    }
    cors(r);
}
