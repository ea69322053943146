/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Admin API of forwarding targets and webhooks (issue 17; docs/api.md "Forwarding"):
 *   POST   /api/forwarders            {url, auth, filter, version, timeout_ms, retry_initial_ms,
 *                                      retry_max_ms, give_up_s, concurrency, max_lag_ms}
 *                                      -> 201 the target with status
 *   GET    /api/forwarders            -> {"forwarders": [...]}
 *   GET    /api/forwarders/ID         -> the target: definition (no secrets) and status
 *   GET    /api/forwarders/ID/parked  -> {"parked": [{time, reason}]} (first 1000)
 *   POST   /api/forwarders/ID/pause   POST /api/forwarders/ID/resume -> 200 the target
 *   DELETE /api/forwarders/ID         -> 204 (its queued and parked rows go with it)
 * and the same under /api/webhooks with {url, events, secret}.
 */
#include "lrs/fwd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply_target(struct lrs_req *r, enum fwd_kind kind, uint32_t id, int status)
{
    cJSON *o = lrs_fwd_show(r->app, kind, id);
    if (!o) {
        lrs_reply_error(r, 404, "no %s %u", kind == FWD_WEBHOOK ? "webhook" : "forwarder", id);
        return;
    }
    lrs_reply_json(r, status, o);
    cJSON_Delete(o);
}

static void route(struct lrs_req *r, enum fwd_kind kind, const char *prefix)
{
    const char *rest = r->path + strlen(prefix);
    const char *what = kind == FWD_WEBHOOK ? "webhook" : "forwarder";
    char *end;
    unsigned long id;
    if (!r->app->fwd) {
        lrs_reply_error(r, 503, "forwarding is not running");
        return;
    }
    if (!*rest || !strcmp(rest, "/")) {
        if (!strcmp(r->method, "GET")) {
            cJSON *l = lrs_fwd_list(r->app, kind);
            if (!l) {
                lrs_reply_error(r, 503, "storage unavailable");
                return;
            }
            lrs_reply_json(r, 200, l);
            cJSON_Delete(l);
            return;
        }
        if (!strcmp(r->method, "POST")) {
            char err[512];
            uint32_t nid;
            int rc = lrs_req_read_body(r, 0);
            cJSON *j;
            if (rc) {
                lrs_reply_error(r, rc, rc == 413 ? "body too large" : "cannot read body");
                return;
            }
            j = lrs_req_json(r, what);
            if (!j)
                return;
            rc = lrs_fwd_create(r->app, kind, j, &nid, err, sizeof err);
            cJSON_Delete(j);
            if (rc) {
                lrs_reply_error(r, rc, "%s", err);
                return;
            }
            {
                cJSON *o = lrs_fwd_show(r->app, kind, nid);
                if (!o) {
                    /* created, but its answer cannot be made (out of memory): a 404 here told
                     * the client it did not exist while it ran. Take it back and say 503, so
                     * that a retry does not make a second one. */
                    int drc = lrs_fwd_delete(r->app, kind, nid);
                    if (drc)
                        lrs_log(LRS_LOG_ERROR, "%s %u: created without an answer (%d)", what, nid,
                                drc);
                    lrs_reply_error(r, 503, "out of memory answering the new %s: retry", what);
                    return;
                }
                lrs_reply_json(r, 201, o);
                cJSON_Delete(o);
            }
            return;
        }
        lrs_resp_header(r, "Allow", "GET, POST");
        lrs_reply_error(r, 405, "%s: GET or POST", prefix);
        return;
    }
    if (rest[0] != '/' || rest[1] < '1' || rest[1] > '9') {
        lrs_reply_error(r, 404, "no such %s", what);
        return;
    }
    errno = 0;
    id = strtoul(rest + 1, &end, 10);
    if (errno || id > UINT32_MAX || (*end && *end != '/')) {
        lrs_reply_error(r, 404, "no such %s", what);
        return;
    }
    if (!*end) {
        if (!strcmp(r->method, "GET")) {
            reply_target(r, kind, (uint32_t)id, 200);
        } else if (!strcmp(r->method, "DELETE")) {
            int rc = lrs_fwd_delete(r->app, kind, (uint32_t)id);
            if (rc == 404)
                lrs_reply_error(r, 404, "no %s %lu", what, id);
            else if (rc)
                lrs_reply_error(r, 503, "cannot delete %s %lu", what, id);
            else
                lrs_reply(r, 204, NULL, NULL, 0);
        } else {
            lrs_resp_header(r, "Allow", "GET, DELETE");
            lrs_reply_error(r, 405, "%s/ID: GET or DELETE", prefix);
        }
        return;
    }
    if (!strcmp(end, "/pause") || !strcmp(end, "/resume")) {
        int rc;
        if (strcmp(r->method, "POST")) {
            lrs_resp_header(r, "Allow", "POST");
            lrs_reply_error(r, 405, "%s/ID%s: POST", prefix, end);
            return;
        }
        rc = lrs_fwd_pause(r->app, kind, (uint32_t)id, end[1] == 'p');
        if (rc == 404) {
            lrs_reply_error(r, 404, "no %s %lu", what, id);
        } else if (rc) {
            lrs_reply_error(r, 503, "cannot store the change");
        } else {
            cJSON *o = lrs_fwd_show(r->app, kind, (uint32_t)id);
            if (o) {
                lrs_reply_json(r, 200, o);
                cJSON_Delete(o);
            } else {
                /* stored: the change is answered even when its full status cannot be made
                 * (it said 404 "no forwarder" for a target that runs) */
                char b[96];
                int n = snprintf(b, sizeof b, "{\"id\":%lu,\"kind\":\"%s\",\"paused\":%s}", id,
                                 what, end[1] == 'p' ? "true" : "false");
                lrs_reply(r, 200, "application/json", b, (size_t)n);
            }
        }
        return;
    }
    if (!strcmp(end, "/parked") && !strcmp(r->method, "GET")) {
        cJSON *o = lrs_fwd_parked(r->app, kind, (uint32_t)id, 1000);
        if (!o) {
            lrs_reply_error(r, 404, "no %s %lu", what, id);
            return;
        }
        lrs_reply_json(r, 200, o);
        cJSON_Delete(o);
        return;
    }
    lrs_reply_error(r, 404, "no such resource");
}

void lrs_route_forwarders(struct lrs_req *r)
{
    route(r, FWD_FORWARDER, "/api/forwarders");
}

void lrs_route_webhooks(struct lrs_req *r)
{
    route(r, FWD_WEBHOOK, "/api/webhooks");
}
