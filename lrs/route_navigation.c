/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /api/registrations/ID/navigation: a navigation request through the SCORM 2004
 * sequencing engine (scorm/seq.h, SN 4th OP.1) for a registration, as the player and
 * integrators use it:
 *   {"request": "start"|"resumeAll"|"continue"|"previous"|"choice"|"jump"|"exit"|"exitAll"|
 *               "abandon"|"abandonAll"|"suspendAll", "target": ITEM_ID,
 *    "session": SESSION, "commit_seq": N}  (optional, together: the current SCO session and
 *   the last commit seq the player sent in it; the request waits up to 3 s until that commit
 *   is applied, so a commit overtaken by the request, e.g. a beacon on unload, is not lost)
 * -> 200 {"deliver": ITEM_ID|null, "exception": "NB.2.1-2"|null, "ended": bool,
 *         "toc": [{"item","title","hidden","disabled","completion","success"}...]}
 *         "sequencing": true, "current": ITEM_ID|null, "valid": {"continue","previous"}}
 * "launch" runs seq_tree_launch (resumeAll when suspended, else start; RTE 4th 3.1),
 * The SCO's run-time data is not part of the request: its commits (POST /player/<reg>/commit)
 * derive the sequencing tracking in their own transaction (issue 15); a "cmi" member is 400.
 * "report" (a SCO terminated without a request) changes nothing and "status" reads the state
 * without changing it: the answer adds "suspended" and "root" (the root activity's rollup:
 * completion, success, measure, attemptCount; GET /api/registrations/ID takes the course-level
 * result from it). When the named session's SCO exited with "time-out" or "logout", the
 * request (report included) becomes exitAll (RTE 4th 4.2.8).
 * The player calls the same core (lrs_navigation_run) from POST /player/<reg>/nav; the core is
 * scorm_rt_navigate (scorm/scorm_rt_nav.c): this file only reads the body and maps the codes.
 * A refused request is still 200 (the answer is the SN exception); a malformed body is 400,
 * an unknown registration 404. State lives in LMDB (tables seq_state, global_obj).
 * Other paths under /api/registrations/ go to lrs_route_registrations.
 */
#include "lrs/lrs.h"

#include <stdio.h>
#include <string.h>

#include "scorm/scorm_rt.h"

#define NAV_MAX_BODY (64u * 1024u)

int lrs_navigation_run(struct lrs_app *app, const char *reg, const cJSON *body, int flags,
                       cJSON **answer, char *emsg, size_t elen)
{
    char err[256], warn[512];
    struct scorm_rt *rt = lrs_rt_get(app, err, sizeof err);
    int rc;
    *answer = NULL;
    if (!rt) {
        snprintf(emsg, elen, "SCORM run-time unavailable: %s", err);
        return 503;
    }
    rc = scorm_rt_navigate(rt, reg, body, flags & LRS_NAV_PLAYER ? SCORM_RT_NAV_PLAYER : 0, answer,
                           emsg, elen, warn, sizeof warn);
    if (warn[0])
        lrs_log(LRS_LOG_WARN, "%s", warn);
    if (rc == SCORM_RT_ERR_STORE)
        lrs_log(LRS_LOG_ERROR, "navigation of %s: %s", reg, emsg);
    return lrs_rt_status(rc); /* SEQUENCING: 409 (lrs_status.c) */
}

static void navigation(struct lrs_req *r, const char *reg)
{
    char err[512];
    cJSON *body = NULL, *answer = NULL;
    int rc = lrs_req_read_body(r, NAV_MAX_BODY);
    if (rc) {
        lrs_reply_error(r, rc,
                        rc == 413 ? "navigation body larger than %u bytes"
                                  : "cannot read the navigation body (%u)",
                        NAV_MAX_BODY);
        return;
    }
    body = lrs_req_json(r, "navigation body");
    if (!body)
        return;
    rc = lrs_navigation_run(r->app, reg, body, 0, &answer, err, sizeof err);
    if (rc == 200)
        lrs_reply_json(r, 200, answer);
    else
        lrs_reply_error(r, rc, "%s", err);
    cJSON_Delete(answer);
    cJSON_Delete(body);
}

void lrs_route_navigation(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/api/registrations/");
    const char *slash = strchr(rest, '/');
    char reg[128];
    if (!slash || strcmp(slash, "/navigation") != 0 || slash == rest ||
        (size_t)(slash - rest) >= sizeof reg) {
        lrs_route_registrations(r); /* not ours */
        return;
    }
    if (strcmp(r->method, "POST") != 0) {
        lrs_reply_error(r, 405, "method %s not allowed on navigation (POST only)", r->method);
        return;
    }
    memcpy(reg, rest, (size_t)(slash - rest));
    reg[slash - rest] = '\0';
    navigation(r, reg);
}
