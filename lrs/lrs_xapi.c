/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every /xapi/ request and response share: the version header (xAPI Comm 3.3), CORS for
 * browser clients (xapi-lrs.md §1.10; never on /api/), and preflights answered by us.
 */
#include "lrs/lrs.h"
#include "common/sc_time.h"
#include "statements/stmt_store.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* xAPI 1.0.3 Comm 3.3 and xAPI 2.0 (IEEE 9274.1.1) Comm 3.3 "Versioning": "1.0" and "1.0.x"
 * are answered under 1.0.3, "2.0" and "2.0.x" under 2.0.0; x is a number. */
static int patch_ok(const char *p)
{
    if (!*p)
        return 1;
    if (*p != '.' || !p[1])
        return 0;
    for (p++; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

int lrs_xapi_version_parse(const char *v)
{
    if (!v)
        return LRS_XAPI_NONE;
    if (!strncmp(v, "1.0", 3) && patch_ok(v + 3))
        return LRS_XAPI_1;
    if (!strncmp(v, "2.0", 3) && patch_ok(v + 3))
        return LRS_XAPI_2;
    return LRS_XAPI_NONE;
}

const char *lrs_xapi_version_name(int xver)
{
    return xver == LRS_XAPI_1 ? "1.0.3" : "2.0.0";
}

/*
 * A request without a usable version header is answered 400, and its response still carries
 * a version (Comm 3.3: every response). Which one? The version the same client (the same
 * Authorization value) last spoke, so a 1.0.3 client reads a 1.0.3 answer and a 2.0 client a
 * 2.0.0 one; a client never seen gets the newest. A small lossy table of atomics: a
 * collision only changes which version label an error answer carries.
 */
#define LAST_VER_SLOTS 256
static _Atomic unsigned char last_ver[LAST_VER_SLOTS];

static unsigned client_slot(struct lrs_req *r)
{
    const char *a = lrs_req_header(r, "Authorization");
    uint32_t h = 2166136261u;
    for (; a && *a; a++)
        h = (h ^ (unsigned char)*a) * 16777619u;
    return h % LAST_VER_SLOTS;
}

static int client_version(struct lrs_req *r)
{
    int v = atomic_load_explicit(&last_ver[client_slot(r)], memory_order_relaxed);
    return v ? v : LRS_XAPI_2;
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
        r->xver = client_version(r);
        lrs_resp_header(r, "Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, DELETE");
        lrs_resp_header(r, "Access-Control-Allow-Headers",
                        "Authorization, Content-Type, X-Experience-API-Version, If-Match, "
                        "If-None-Match");
        lrs_resp_header(r, "Access-Control-Max-Age", "600");
        lrs_reply(r, 204, NULL, NULL, 0);
        return 1;
    }
    v = lrs_req_header(r, "X-Experience-API-Version");
    r->xver = lrs_xapi_version_parse(v);
    if (r->xver) {
        atomic_store_explicit(&last_ver[client_slot(r)], (unsigned char)r->xver,
                              memory_order_relaxed);
        return 0;
    }
    r->xver = client_version(r);
    /* xAPI Comm 2.8, 9274.1.1 4.1.6.7: the About resource is never rejected for its version
     * header. */
    if (!strcmp(r->path, "/xapi/about"))
        return 0;
    if (!v) {
        lrs_reply_error(r, 400,
                        "X-Experience-API-Version header missing (xAPI 1.0.3 and 2.0 Comm 3.3): "
                        "this LRS serves 1.0.3 (send 1.0 or 1.0.x) and 2.0.0 (send 2.0 or "
                        "2.0.x)");
        return 1;
    }
    lrs_reply_error(r, 400,
                    "X-Experience-API-Version '%.32s' not supported: this LRS serves 1.0.3 (send "
                    "1.0 or 1.0.x) and 2.0.0 (send 2.0 or 2.0.x) (xAPI 1.0.3 and 2.0 Comm 3.3)",
                    v);
    return 1;
}

void lrs_xapi_headers(struct lrs_req *r)
{
    lrs_resp_header(r, "X-Experience-API-Version", "%s",
                    lrs_xapi_version_name(r->xver ? r->xver : client_version(r)));
    /* Comm 2.1.3 (G9), 9274.1.1 4.1.6.1: on every Statement resource response, errors
     * included. Queries include every acknowledged statement (read-your-writes). */
    if (r->app->store && !strncmp(r->path, "/xapi/statements", 16)) {
        char ts[SC_TIME_ISO_LEN];
        lrs_resp_header(r, "X-Experience-API-Consistent-Through", "%s",
                        sc_time_format_iso(stmt_store_consistent_through(r->app->store), 3, ts));
    }
    cors(r);
}
