/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's pages (issue 13): GET / (index.html) and GET /web/<file> on the API origin,
 * from the files embedded at build time (lrs/lrs_web.h); GET /favicon.ico on both origins
 * (web/favicon.svg). A file goes gzip-compressed when the client accepts gzip, with a strong
 * ETag (If-None-Match -> 304). index.html loads the other files from /web/<lrs_web_version>/
 * (tools/embed.py): under the current version they are immutable (cached for a year, no
 * revalidation); index.html itself, unversioned paths and an older version's paths (a page
 * open during an upgrade) are Cache-Control: no-cache.
 * Every answer carries the console's Content-Security-Policy, X-Frame-Options: DENY and
 * Referrer-Policy: no-referrer (security.md §6 "LMS and admin responses").
 */
#include "lrs/lrs_console.h"
#include "lrs/lrs_web.h"

#include <string.h>
#include <strings.h>

const struct lrs_web_file *lrs_web_find(const char *name)
{
    for (size_t i = 0; i < lrs_web_nfiles; i++)
        if (!strcmp(lrs_web_files[i].name, name))
            return &lrs_web_files[i];
    return NULL;
}

/* Accept-Encoding lists gzip with a non-zero quality (RFC 9110 12.5.3). */
static int accepts_gzip(const char *ae)
{
    const char *p = ae;
    while (p && (p = strcasestr(p, "gzip")) != NULL) {
        const char *q = p + 4;
        while (*q == ' ')
            q++;
        if (*q == ';') {
            const char *qv = strcasestr(q, "q=");
            const char *comma = strchr(q, ',');
            if (qv && (!comma || qv < comma)) {
                qv += 2;
                while (*qv == '0' || *qv == '.')
                    qv++;
                if (*qv < '1' || *qv > '9') {
                    p = q;
                    continue; /* q=0: refused */
                }
            }
        }
        return 1;
    }
    return 0;
}

/* If-None-Match names the ETag, strong or weak (W/"..."), or is "*". */
static int etag_matches(const char *inm, const char *etag)
{
    return inm && (strstr(inm, etag) || !strcmp(inm, "*"));
}

static void serve_file(struct lrs_req *r, const struct lrs_web_file *f, int immutable)
{
    int gz = f->gz && accepts_gzip(lrs_req_header(r, "Accept-Encoding"));
    lrs_console_headers(r);
    lrs_resp_header(r, "Cache-Control", "%s",
                    immutable ? "public, max-age=31536000, immutable" : "no-cache");
    lrs_resp_header(r, "ETag", "%s", f->etag);
    if (f->gz)
        lrs_resp_header(r, "Vary", "Accept-Encoding");
    if (etag_matches(lrs_req_header(r, "If-None-Match"), f->etag)) {
        lrs_reply(r, 304, NULL, NULL, 0);
        return;
    }
    if (gz) {
        lrs_resp_header(r, "Content-Encoding", "gzip");
        lrs_reply(r, 200, f->ctype, f->gz, f->gzlen);
    } else {
        lrs_reply(r, 200, f->ctype, f->data, f->len);
    }
}

void lrs_route_console(struct lrs_req *r)
{
    const struct lrs_web_file *f = NULL;
    const char *name = NULL;
    int immutable = 0;
    if (!strcmp(r->path, "/") || !strcmp(r->path, "/index.html"))
        name = "index.html";
    else if (!strncmp(r->path, "/web/", 5))
        name = r->path + 5;
    if (name && !strncmp(name, "v-", 2) && strchr(name, '/')) { /* /web/<version>/<file> */
        const char *slash = strchr(name, '/');
        immutable = (size_t)(slash - name) == strlen(lrs_web_version) &&
                    !strncmp(name, lrs_web_version, strlen(lrs_web_version));
        name = slash + 1;
    }
    if (name && !strstr(name, ".."))
        f = lrs_web_find(name);
    if (!f) {
        lrs_console_headers(r);
        lrs_reply_error(r, 404, "no console file at %s", r->path);
        return;
    }
    serve_file(r, f, immutable && strcmp(name, "index.html"));
}

void lrs_route_favicon(struct lrs_req *r)
{
    const struct lrs_web_file *f = lrs_web_find("favicon.ico");
    if (!f)
        f = lrs_web_find("favicon.svg");
    if (!f) {
        lrs_reply_error(r, 404, "no favicon");
        return;
    }
    serve_file(r, f, 0);
}
