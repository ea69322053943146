/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /api/registrations (admin origin, admin credential):
 *   POST   /api/registrations             {"course": ID, "learner": {"id", "name"},
 *                                          "mode"?: normal|browse|review, "credit"?:
 *                                          credit|no-credit, "strict"?: bool (false: the
 *                                          lenient validation documented in docs/api.md)}
 *                                         -> 201 {"registration", "launch_url", "token",
 *                                            "expires", "course", "course_version"}
 *   GET    /api/registrations/ID          the report: completion, success, score, total time,
 *                                         attempts, per-SCO runtime data (scorm_rt.h); for a
 *                                         SCORM 2004 course (with or without imsss) the course-
 *                                         level completion / success / score are the engine's
 *                                         rollup of the root activity (SN 4th RB.1.5) and
 *                                         "sequencing" holds {toc, current, suspended, ended,
 *                                         attempts}
 *   POST   /api/registrations/ID/token    a new launch token and URL (relaunch links)
 *   DELETE /api/registrations/ID/token    revoke every token of the registration -> 204
 *   POST   /api/registrations/ID/reset    clear its run-time data and attempts -> 200 {..}
 *                                         (registration, tokens and statements stay)
 *   DELETE /api/registrations/ID          delete it (run-time data, tokens; statements stay)
 * The launch URL is on the content origin (security.md §6): <content_url>/player/ID?token=T.
 */
#include "lrs/lrs.h"
#include "common/sc_alloc.h"
#include "common/sc_json.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "scorm/scorm_rt.h"

#include <stdio.h>
#include <string.h>

/*
 * The members of an answer that are known only once the write is done (the launch URL, a new
 * token's expiry) are made before it, as strings of the right length, and filled in place
 * after (lrs_json_str_of_len): adding them then needs no memory, so a stored registration or
 * token is always answered whole (2xx), and a refusal (5xx) always means nothing was stored.
 */
static int launch_url_len(struct lrs_req *r)
{
    return snprintf(NULL, 0, "%s/player/%*s?token=%*s", r->app->cfg.content_url, SC_UUID_LEN - 1,
                    "", SCORM_RT_TOKEN_LEN - 1, "");
}

/* fill the prepared `item` with the launch URL and move it into o as "launch_url" (constant
 * key: no allocation) */
static int add_launch_url(struct lrs_req *r, cJSON *o, cJSON *item, const char *reg,
                          const char *token)
{
    char url[1100];
    snprintf(url, sizeof url, "%s/player/%s?token=%s", r->app->cfg.content_url, reg ? reg : "",
             token ? token : "");
    if (lrs_json_str_fill(item, url))
        return -1;
    return cJSON_AddItemToObjectCS(o, "launch_url", item) ? 0 : -1;
}

/*
 * SCORM 2004 with sequencing: the course's result is the root activity's tracking status after
 * rollup (SN 4th 4.6, RB.1.5), not the run-time's aggregate of SCO statuses (a post test alone
 * may decide the course, content may not count). 0 when the report was left as it was (no
 * sequencing), -1 when out of memory.
 */
static int apply_sequencing(struct lrs_app *app, const char *reg, cJSON *rep)
{
    char err[512];
    cJSON *body = NULL, *ans = NULL, *seq = NULL;
    const cJSON *root;
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rep, "scorm_version"));
    const char *comp, *succ, *susp;
    double attempts;
    int rc = 0, st;
    long f0 = sc_alloc_failures(); /* a member replaced or added without memory: no report */

    if (!ver || strcmp(ver, "scorm2004") != 0)
        return 0;
    body = cJSON_CreateObject();
    if (!body || !cJSON_AddStringToObject(body, "request", "status")) {
        rc = -1;
        goto out;
    }
    /* LRS_NAV_PLAYER: every 2004 course has a sequencing state (the SN defaults apply when the
     * package has no imsss:sequencing) */
    st = lrs_navigation_run(app, reg, body, LRS_NAV_PLAYER, &ans, err, sizeof err);
    if (st != 200) {
        lrs_log(LRS_LOG_WARN, "report of %s: sequencing status: %s", reg, err);
        goto out;
    }
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "sequencing")))
        goto out;
    root = cJSON_GetObjectItemCaseSensitive(ans, "root");
    comp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "completion"));
    succ = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "success"));
    susp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ans, "suspended"));
    attempts = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "attemptCount"));
    if (!comp || !succ) {
        rc = -1;
        goto out;
    }
    /* completion: the root's attempt progress; an unknown status of a started course is
     * incomplete (RTE 4.2.4: not attempted only before any attempt) */
    sc_json_set(rep, "completion",
                cJSON_CreateString(!strcmp(comp, "completed") ? "completed"
                                   : attempts >= 1 || susp    ? "incomplete"
                                                              : "not attempted"));
    sc_json_set(rep, "success", cJSON_CreateString(succ));
    /* score: the root's objective normalized measure (RB.1.1 measure rollup), else none */
    cJSON_DeleteItemFromObjectCaseSensitive(rep, "score");
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, "measure"))) {
        cJSON *sc = cJSON_AddObjectToObject(rep, "score");
        if (!sc || !cJSON_AddNumberToObject(
                       sc, "scaled",
                       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "measure")))) {
            rc = -1;
            goto out;
        }
    }
    seq = cJSON_AddObjectToObject(rep, "sequencing");
    if (!seq) {
        rc = -1;
        goto out;
    }
    cJSON_AddItemToObject(seq, "toc", cJSON_DetachItemFromObjectCaseSensitive(ans, "toc"));
    cJSON_AddItemToObject(seq, "current", cJSON_DetachItemFromObjectCaseSensitive(ans, "current"));
    cJSON_AddItemToObject(seq, "suspended",
                          cJSON_DetachItemFromObjectCaseSensitive(ans, "suspended"));
    cJSON_AddItemToObject(seq, "ended", cJSON_DetachItemFromObjectCaseSensitive(ans, "ended"));
    if (!cJSON_AddNumberToObject(seq, "attempts", attempts) || sc_alloc_failures() != f0)
        rc = -1;
out:
    cJSON_Delete(ans);
    cJSON_Delete(body);
    return rc;
}

static void reg_create(struct lrs_req *r, struct scorm_rt *rt)
{
    cJSON *body = NULL, *out = NULL, *url = NULL;
    const cJSON *learner, *strict;
    struct scorm_rt_reg_opts ro;
    struct scorm_diag d;
    int rc = lrs_req_read_body(r, 64 * 1024);
    if (rc) {
        lrs_reply_error(r, rc, rc == 413 ? "body larger than 64 KiB" : "cannot read the body");
        return;
    }
    body = lrs_req_json(r, "registration body {\"course\": ID, \"learner\": {\"id\", \"name\"}}");
    if (!body)
        goto out;
    learner = cJSON_GetObjectItemCaseSensitive(body, "learner");
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, "course"))) {
        lrs_reply_error(r, 400, "course: a string course id is required");
        goto out;
    }
    if (!cJSON_IsObject(learner) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(learner, "id"))) {
        lrs_reply_error(r, 400, "learner.id: a string is required");
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(learner, "name") &&
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(learner, "name"))) {
        lrs_reply_error(r, 400, "learner.name must be a string");
        goto out;
    }
    for (const char *const *k = (const char *const[]){"mode", "credit", NULL}; *k; k++)
        if (cJSON_GetObjectItemCaseSensitive(body, *k) &&
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, *k))) {
            lrs_reply_error(r, 400, "%s must be a string", *k);
            goto out;
        }
    strict = cJSON_GetObjectItemCaseSensitive(body, "strict");
    if (strict && !cJSON_IsBool(strict)) {
        lrs_reply_error(r, 400, "strict must be true or false (spec-exact or lenient validation)");
        goto out;
    }
    url = lrs_json_str_of_len((size_t)launch_url_len(r));
    if (!url) {
        lrs_reply_error(r, 500, "out of memory");
        goto out;
    }
    memset(&ro, 0, sizeof ro); /* every option not given is its default (preview: no) */
    ro.mode = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "mode"));
    ro.credit = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "credit"));
    ro.strict = cJSON_IsTrue(strict);
    memset(&d, 0, sizeof d);
    rc = scorm_rt_registration_create_opt(
        rt, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "course")),
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(learner, "id")),
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(learner, "name")), &ro, &out, &d);
    if (rc) {
        lrs_reply_error(r, lrs_rt_status(rc), "%s%s%s", d.file[0] ? d.file : "",
                        d.file[0] ? ": " : "", d.msg[0] ? d.msg : scorm_rt_strerror(rc));
        goto out;
    }
    if (add_launch_url(r, out, url, cJSON_GetStringValue(cJSON_GetObjectItem(out, "registration")),
                       cJSON_GetStringValue(cJSON_GetObjectItem(out, "token"))) == 0)
        url = NULL; /* moved into out */
    lrs_log(LRS_LOG_INFO, "registration %s created",
            cJSON_GetStringValue(cJSON_GetObjectItem(out, "registration")));
    lrs_reply_json(r, 201, out); /* prints without allocating when it must (lrs_http.c) */
out:
    cJSON_Delete(url);
    cJSON_Delete(out);
    cJSON_Delete(body);
}

void lrs_route_registrations(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/api/registrations");
    char reg[40], err[512];
    const char *sub;
    cJSON *out = NULL;
    size_t n;
    int rc;
    struct scorm_rt *rt = lrs_rt_get(r->app, err, sizeof err);
    if (!rt) {
        lrs_reply_error(r, 503, "SCORM run-time unavailable: %s", err);
        return;
    }
    if (lrs_cmi5_registrations(r)) /* cmi5 courses and registrations (route_cmi5.c) */
        return;
    if (!*rest || !strcmp(rest, "/")) {
        if (!strcmp(r->method, "POST"))
            reg_create(r, rt);
        else
            lrs_reply_error(r, 405, "method %s not allowed on /api/registrations", r->method);
        return;
    }
    rest++;
    sub = strchr(rest, '/');
    n = sub ? (size_t)(sub - rest) : strlen(rest);
    if (n != 36) {
        lrs_reply_error(r, 404, "no registration %.60s", rest);
        return;
    }
    memcpy(reg, rest, n);
    reg[n] = 0;
    if (!sub && !strcmp(r->method, "DELETE")) {
        rc = scorm_rt_registration_delete(rt, reg);
        if (rc == SCORM_RT_ERR_NOTFOUND)
            lrs_reply_error(r, 404, "no registration %s", reg);
        else if (rc)
            lrs_reply_error(r, lrs_rt_status(rc), "%s", scorm_rt_strerror(rc));
        else
            lrs_reply(r, 204, NULL, NULL, 0);
        return;
    }
    if (sub && !strcmp(sub, "/reset")) {
        if (strcmp(r->method, "POST")) {
            lrs_reply_error(r, 405, "use POST on %s", r->path);
            return;
        }
        rc = scorm_rt_registration_reset(rt, reg);
        if (rc == SCORM_RT_ERR_NOTFOUND) {
            lrs_reply_error(r, 404, "no registration %s", reg);
            return;
        }
        if (rc) {
            lrs_reply_error(r, lrs_rt_status(rc), "%s", scorm_rt_strerror(rc));
            return;
        }
        out = cJSON_CreateObject();
        if (!out || !cJSON_AddStringToObject(out, "registration", reg) ||
            !cJSON_AddBoolToObject(out, "reset", 1)) {
            cJSON_Delete(out);
            lrs_reply_error(r, 500, "out of memory");
            return;
        }
        lrs_reply_json(r, 200, out);
        cJSON_Delete(out);
        return;
    }
    if (!sub) {
        if (strcmp(r->method, "GET") && !r->head) {
            lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
            return;
        }
        rc = scorm_rt_registration_get(rt, reg, &out);
        if (rc) {
            lrs_reply_error(r, lrs_rt_status(rc), "%s%s%s",
                            rc == SCORM_RT_ERR_NOTFOUND ? "no registration " : "",
                            rc == SCORM_RT_ERR_NOTFOUND ? reg : "",
                            rc == SCORM_RT_ERR_NOTFOUND ? "" : scorm_rt_strerror(rc));
            return;
        }
        if (apply_sequencing(r->app, reg, out) != 0) {
            lrs_reply_error(r, 500, "out of memory");
            cJSON_Delete(out);
            return;
        }
        lrs_reply_json(r, 200, out);
        cJSON_Delete(out);
        return;
    }
    if (!strcmp(sub, "/token")) {
        if (!strcmp(r->method, "DELETE")) {
            rc = scorm_rt_token_revoke(rt, reg);
            if (rc)
                lrs_reply_error(r, lrs_rt_status(rc), "%s", scorm_rt_strerror(rc));
            else
                lrs_reply(r, 204, NULL, NULL, 0);
            return;
        }
        if (!strcmp(r->method, "POST")) {
            char token[SCORM_RT_TOKEN_LEN], ts[SC_TIME_ISO_LEN];
            int64_t exp;
            cJSON *tok = lrs_json_str_of_len(SCORM_RT_TOKEN_LEN - 1),
                  *url = lrs_json_str_of_len((size_t)launch_url_len(r));
            cJSON *expires = cJSON_CreateString(sc_time_format_iso(sc_time_now_us(), 0, ts));
            /* the whole answer before the token is stored (lrs_json_str_of_len) */
            out = cJSON_CreateObject();
            if (!out || !tok || !url || !expires ||
                !cJSON_AddStringToObject(out, "registration", reg) ||
                !cJSON_AddItemToObjectCS(out, "token", tok) ||
                !cJSON_AddItemToObjectCS(out, "expires", expires)) {
                if (!cJSON_GetObjectItem(out, "token"))
                    cJSON_Delete(tok);
                if (!cJSON_GetObjectItem(out, "expires"))
                    cJSON_Delete(expires);
                cJSON_Delete(url);
                cJSON_Delete(out);
                lrs_reply_error(r, 500, "out of memory");
                return;
            }
            rc = scorm_rt_token_issue(rt, reg, token, &exp);
            if (rc) {
                cJSON_Delete(out);
                cJSON_Delete(url);
                lrs_reply_error(r, lrs_rt_status(rc), "%s", scorm_rt_strerror(rc));
                return;
            }
            if (lrs_json_str_fill(tok, token) ||
                lrs_json_str_fill(expires, sc_time_format_iso(exp, 0, ts)) ||
                add_launch_url(r, out, url, reg, token))
                lrs_log(LRS_LOG_WARN, "registration %s: new token answered in part", reg);
            else
                url = NULL;
            lrs_reply_json(r, 201, out);
            cJSON_Delete(url);
            cJSON_Delete(out);
            return;
        }
        lrs_reply_error(r, 405, "use POST or DELETE on %s", r->path);
        return;
    }
    lrs_reply_error(r, 404, "no resource at %s", r->path);
}
