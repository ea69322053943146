/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Alternate Request Syntax (xAPI 1.0.3 Communication 1.3, Appendix C; xapi-lrs.md §1.9).
 *
 * A client that cannot set headers or use methods other than POST sends
 *   POST /xapi/<resource>?method=PUT|GET|POST|DELETE
 * with a form body whose fields Authorization, X-Experience-API-Version, Content-Type,
 * Content-Length, If-Match and If-None-Match are headers, "content" is the request body, and
 * every other field is a query parameter. The request is rewritten in place into the ordinary
 * one before authentication and routing, so every resource sees one shape of request.
 *
 * Only under /xapi/ (never /api/), and only under 1.0.x: a 2.0 version, in the real header or
 * in the form, is refused here (IEEE 9274.1.1, xAPI 2.0, removes this syntax); the version
 * check that follows rejects versions not served at all. Rules: the outer method must be POST
 * (400), "method" must be the only query parameter (400, Comm 1.3 "MUST NOT include any other query
 * string parameters"), PUT and POST need a "content" field (400), a header field may appear once
 * (400). When the form gives no Content-Type, the content is taken as application/json (the type of
 * every xAPI body that the syntax can carry as UTF-8 text).
 */
#include "lrs/lrs.h"
#include "common/sc_alloc.h"

#include <stdio.h>
#include <civetweb.h>
#include <string.h>
#include <strings.h>

static const char *const HEADER_FIELDS[] = {
    "Authorization",
    "X-Experience-API-Version",
    "Content-Type",
    "Content-Length",
    "If-Match",
    "If-None-Match",
    NULL,
};

static const char *const METHODS[] = {"GET", "PUT", "POST", "DELETE", NULL};

static const char *header_field(const char *name)
{
    for (const char *const *h = HEADER_FIELDS; *h; h++)
        if (!strcasecmp(*h, name))
            return *h;
    return NULL;
}

/* The media type of the outer request: a form, or text/plain as Storyline sends it. */
static int form_type_ok(const char *ct)
{
    size_t n;
    if (!ct)
        return 1;
    while (*ct == ' ')
        ct++;
    n = strcspn(ct, "; ");
    return (n == 33 && !strncasecmp(ct, "application/x-www-form-urlencoded", n)) ||
           (n == 10 && !strncasecmp(ct, "text/plain", n));
}

static int add_param(struct lrs_param **ps, size_t *n, char *name, char *value)
{
    struct lrs_param *grown = sc_realloc(*ps, (*n + 1) * sizeof **ps);
    if (!grown)
        return -1;
    *ps = grown;
    (*ps)[*n].name = name;
    (*ps)[*n].value = value;
    (*n)++;
    return 0;
}

/* 1 when a browser marks the request as coming from another site: Sec-Fetch-Site other than
 * same-origin or none, or an Origin that is neither the public URL nor http(s)://<Host>. */
static int cross_site(struct lrs_req *r)
{
    const char *sfs = mg_get_header(r->conn, "Sec-Fetch-Site");
    const char *origin = mg_get_header(r->conn, "Origin");
    const char *host = mg_get_header(r->conn, "Host");
    char self[320];
    if (sfs && strcmp(sfs, "same-origin") && strcmp(sfs, "none"))
        return 1;
    if (!origin)
        return 0;
    if (!strcmp(origin, r->app->cfg.public_url))
        return 0;
    if (host) {
        snprintf(self, sizeof self, "http://%s", host);
        if (!strcmp(origin, self))
            return 0;
        snprintf(self, sizeof self, "https://%s", host);
        if (!strcmp(origin, self))
            return 0;
    }
    return 1;
}

int lrs_altsyntax_apply(struct lrs_req *r)
{
    struct lrs_param *q = NULL, *form = NULL, *params = NULL, *hdrs = NULL;
    size_t nq = 0, nform = 0, nparams = 0, nhdrs = 0;
    const char *method = NULL;
    char *content = NULL;
    int has_ctype = 0, answered = 1, rc;

    /* CORS preflights go on to lrs_xapi_pre whatever their query says */
    if (!strstr(r->query, "method") || !strcmp(r->method, "OPTIONS"))
        return 0;
    if ((rc = lrs_params_parse(r->query, strlen(r->query), &q, &nq))) {
        lrs_reply_error(r, rc, rc == 500 ? "out of memory" : "malformed query string");
        return 1;
    }
    for (size_t i = 0; i < nq && !method; i++)
        if (!strcmp(q[i].name, "method"))
            method = q[i].value;
    if (!method) {
        answered = 0; /* an ordinary request */
        goto out;
    }
    /* Errors below are answered under the version of the real header when it has one. */
    r->xver = lrs_xapi_version_parse(lrs_req_header(r, "X-Experience-API-Version"));
    if (r->xver == LRS_XAPI_2) {
        lrs_reply_error(r, 400,
                        "alternate request syntax (the method parameter) is not part of xAPI "
                        "2.0: IEEE 9274.1.1 removed xAPI 1.0.3 Comm 1.3; send the request "
                        "itself, or X-Experience-API-Version 1.0.3");
        goto out;
    }
    if (strcmp(r->method, "POST")) {
        lrs_reply_error(r, 400,
                        "the method parameter is only allowed on POST (xAPI Comm 1.3 Alternate "
                        "Request Syntax)");
        goto out;
    }
    if (nq != 1) {
        lrs_reply_error(r, 400,
                        "alternate request syntax: 'method' must be the only query parameter; "
                        "send the others as form fields (xAPI Comm 1.3)");
        goto out;
    }
    for (const char *const *m = METHODS; *m && method != *m; m++)
        if (!strcmp(*m, method))
            method = *m; /* static string: outlives q */
    if (method == q[0].value) {
        lrs_reply_error(r, 400,
                        "alternate request syntax: method '%.16s' is not one of GET, "
                        "PUT, POST, DELETE (xAPI Comm 1.3)",
                        q[0].value);
        goto out;
    }
    if (!form_type_ok(lrs_req_header(r, "Content-Type"))) {
        lrs_reply_error(r, 400,
                        "alternate request syntax: the body must be "
                        "application/x-www-form-urlencoded (xAPI Comm 1.3)");
        goto out;
    }
    rc = lrs_req_read_body(r, 0);
    if (rc) {
        lrs_reply_error(r, rc, rc == 413 ? "request body too large" : "cannot read the body");
        goto out;
    }
    if ((rc = lrs_params_parse(r->body.data, r->body.len, &form, &nform))) {
        lrs_reply_error(r, rc,
                        rc == 500 ? "out of memory"
                                  : "alternate request syntax: the form body is not valid "
                                    "application/x-www-form-urlencoded (xAPI Comm 1.3)");
        goto out;
    }
    for (size_t i = 0; i < nform; i++) {
        const char *h = header_field(form[i].name);
        int dup = 0;
        if (!strcmp(form[i].name, "content")) {
            if (content) {
                lrs_reply_error(r, 400, "alternate request syntax: 'content' given twice");
                goto out;
            }
            content = form[i].value;
            form[i].value = NULL;
            continue;
        }
        if (!h) {
            if (add_param(&params, &nparams, form[i].name, form[i].value))
                goto nomem;
            form[i].name = form[i].value = NULL;
            continue;
        }
        for (size_t j = 0; j < nhdrs; j++)
            dup |= !strcmp(hdrs[j].name, h);
        if (dup) {
            lrs_reply_error(r, 400, "alternate request syntax: form field %s given twice", h);
            goto out;
        }
        has_ctype |= !strcmp(h, "Content-Type");
        {
            char *hn = sc_strdup(h);
            if (!hn || add_param(&hdrs, &nhdrs, hn, form[i].value)) {
                sc_free(hn);
                goto nomem;
            }
            form[i].value = NULL;
        }
    }
    for (size_t j = 0; j < nhdrs; j++) {
        if (!strcmp(hdrs[j].name, "X-Experience-API-Version") &&
            lrs_xapi_version_parse(hdrs[j].value) == LRS_XAPI_2) {
            r->xver = LRS_XAPI_2;
            lrs_reply_error(r, 400,
                            "alternate request syntax (the method parameter) is not part of "
                            "xAPI 2.0: IEEE 9274.1.1 removed xAPI 1.0.3 Comm 1.3");
            goto out;
        }
    }
    if (!content && (method[1] == 'U' || method[1] == 'O')) { /* PUT, POST */
        lrs_reply_error(r, 400,
                        "alternate request syntax: %s needs the body in the form field "
                        "'content' (xAPI Comm 1.3)",
                        method);
        goto out;
    }
    if (!has_ctype) {
        char *hn = sc_strdup("Content-Type"), *hv = sc_strdup("application/json");
        if (!hn || !hv || add_param(&hdrs, &nhdrs, hn, hv)) {
            sc_free(hn);
            sc_free(hv);
            goto nomem;
        }
    }
    /* A browser keeps the Basic credential an admin once typed for /xapi (the 401 carries a
     * Basic challenge, RFC 7235) and sends it with any request to this origin, including a
     * form another site submits: with this syntax that form could write statements (issue 15,
     * low). The clients the syntax exists for cannot set headers and put Authorization in the
     * form (Comm 1.3); so a request that relies on the header while a browser says it comes
     * from another site (Origin, Sec-Fetch-Site) is refused. Non-browser clients send neither
     * and are unaffected. */
    {
        int form_auth = 0;
        for (size_t j = 0; j < nhdrs; j++)
            form_auth |= !strcmp(hdrs[j].name, "Authorization");
        if (!form_auth && mg_get_header(r->conn, "Authorization") && cross_site(r)) {
            lrs_reply_error(r, 403,
                            "alternate request syntax from another site with the browser's "
                            "stored credentials is refused: send Authorization as a form field "
                            "(xAPI Comm 1.3)");
            goto out;
        }
    }
    /* The rewrite: method, headers, parameters and body of the ordinary request. */
    sc_buf_free(&r->body);
    sc_buf_init(&r->body, 0);
    if (sc_buf_append(&r->body, content ? content : "", content ? strlen(content) : 0))
        goto nomem;
    r->body_done = 1;
    r->method = method;
    r->head = 0;
    r->query = "";
    lrs_params_free(r->params, r->nparams);
    r->params = params;
    r->nparams = nparams;
    params = NULL;
    nparams = 0;
    r->alt_hdrs = hdrs;
    r->nalt_hdrs = nhdrs;
    hdrs = NULL;
    nhdrs = 0;
    answered = 0;
    goto out;
nomem:
    lrs_reply_error(r, 500, "out of memory");
    answered = 1;
out:
    sc_free(content);
    lrs_params_free(q, nq);
    lrs_params_free(form, nform);
    lrs_params_free(params, nparams);
    lrs_params_free(hdrs, nhdrs);
    return answered;
}
