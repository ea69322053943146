/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /api/learners (issue 13, the console's learners page), admin only:
 *   GET /api/learners?q=&offset=&limit=   {"items": [{"id","name","registrations"}], "total",
 *                                          "offset", "limit"} by learner id; q matches id or
 *                                          name (case-insensitive substring)
 *   GET /api/learners/ID?offset=&limit=   {"id","name","registrations": [registration items],
 *                                          "total","offset","limit"} newest first
 * Learners are those of registrations (scorm_rt_index.c keeps them as registrations are made).
 * Also the paging parameters every console list shares (lrs_page_params).
 */
#include "lrs/lrs_console.h"
#include "scorm/scorm_rt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_DEFAULT 50
#define PAGE_MAX 500

static int size_param(struct lrs_req *r, const char *name, size_t def, size_t max, size_t *out)
{
    const char *v = lrs_req_param(r, name);
    char *end;
    unsigned long long n;
    *out = def;
    if (!v)
        return 0;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || n > max) {
        lrs_reply_error(r, 400, "%s must be a whole number from 0 to %zu", name, max);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

int lrs_page_params(struct lrs_req *r, const char **q, size_t *offset, size_t *limit)
{
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return -1;
    }
    *q = lrs_req_param(r, "q");
    if (*q && strlen(*q) > 256) {
        lrs_reply_error(r, 400, "q is longer than 256 characters");
        return -1;
    }
    if (size_param(r, "offset", 0, 100000000, offset) ||
        size_param(r, "limit", PAGE_DEFAULT, PAGE_MAX, limit))
        return -1;
    return 0;
}

void lrs_route_learners(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/api/learners"), *q;
    size_t offset, limit;
    char err[512];
    cJSON *out = NULL;
    struct scorm_rt *rt;
    int rc;

    if (strcmp(r->method, "GET") && !r->head) {
        lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
        return;
    }
    rt = lrs_rt_get(r->app, err, sizeof err);
    if (!rt) {
        lrs_reply_error(r, 503, "SCORM run-time unavailable: %s", err);
        return;
    }
    if (lrs_page_params(r, &q, &offset, &limit))
        return;
    if (!*rest || !strcmp(rest, "/"))
        rc = scorm_rt_learners(rt, q, offset, limit, &out);
    else if (*rest == '/')
        rc = scorm_rt_learner_get(rt, rest + 1, offset, limit, &out);
    else
        rc = SCORM_RT_ERR_NOTFOUND;
    if (rc == SCORM_RT_ERR_NOTFOUND) {
        lrs_reply_error(r, 404, "no learner %.300s", *rest ? rest + 1 : "");
        return;
    }
    if (rc) {
        lrs_reply_error(r, lrs_rt_status(rc), "%s", scorm_rt_strerror(rc));
        return;
    }
    lrs_reply_json(r, 200, out);
    cJSON_Delete(out);
}
