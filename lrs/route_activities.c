/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /xapi/activities (xAPI 1.0.3 Communication 2.5) and /xapi/agents (Comm 2.4): GET and HEAD.
 * The Activity returned is the definition merged from statements written by credentials with
 * the `define` (or `all`) scope; the Person combines the names seen with that identifier.
 * Reading either needs `all`, `all/read` or `define` (403 otherwise).
 */
#include "lrs/lrs.h"
#include "common/sc_rand.h"
#include "statements/stmt_doc.h"
#include "statements/stmt_validate.h"

#include <string.h>

static int read_checks(struct lrs_req *r, const char *const *allowed, const char *section)
{
    if (strcmp(r->method, "GET") && !r->head) {
        lrs_reply_error(r, 405, "method %s not allowed on %s (xAPI Comm %s: GET only)", r->method,
                        r->path, section);
        return -1;
    }
    if (lrs_req_parse_query(r)) {
        lrs_reply_error(r, 400, "malformed query string");
        return -1;
    }
    return lrs_params_check(r, allowed, section);
}

static void reply_object(struct lrs_req *r, cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    unsigned char sha[20];
    char hex[41];
    if (!s) {
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    /* Comm 3.1: GET responses carry an ETag */
    sc_sha1(s, strlen(s), sha);
    sc_hex(sha, sizeof sha, hex);
    lrs_resp_header(r, "ETag", "\"%s\"", hex);
    lrs_reply(r, 200, "application/json", s, strlen(s));
    cJSON_free(s);
}

void lrs_route_activities(struct lrs_req *r)
{
    static const char *const allowed[] = {"activityId", NULL};
    const char *id;
    cJSON *act = NULL;
    int rc;

    if (read_checks(r, allowed, "2.5"))
        return;
    id = lrs_req_param(r, "activityId");
    if (!id) {
        lrs_reply_error(r, 400, "activityId parameter required (xAPI Comm 2.5)");
        return;
    }
    if (!stmt_validate_iri(id)) {
        lrs_reply_error(r, 400, "activityId '%.64s' is not an IRI (xAPI Data 2.4.4.1)", id);
        return;
    }
    rc = stmt_activity_get(r->app->db, id, &act);
    if (rc) {
        lrs_reply_error(r, 500, "activity store: %s", stmt_doc_strerror(rc));
        return;
    }
    reply_object(r, act);
    cJSON_Delete(act);
}

void lrs_route_agents(struct lrs_req *r)
{
    static const char *const allowed[] = {"agent", NULL};
    const char *v;
    char ifi[2048];
    cJSON *agent = NULL, *person = NULL;
    int rc;

    if (read_checks(r, allowed, "2.4"))
        return;
    v = lrs_req_param(r, "agent");
    if (!v) {
        lrs_reply_error(r, 400, "agent parameter required (xAPI Comm 2.4)");
        return;
    }
    if (lrs_agent_param(r, v, ifi, sizeof ifi, &agent))
        return;
    rc = stmt_agent_person(r->app->db, agent, &person);
    cJSON_Delete(agent);
    if (rc) {
        lrs_reply_error(r, 500, "agent store: %s", stmt_doc_strerror(rc));
        return;
    }
    reply_object(r, person);
    cJSON_Delete(person);
}

void lrs_statements_learn(struct lrs_req *r, const cJSON *body)
{
    int rc;
    /* issue 4: only statements of trusted credentials (re)define Activities and Agents */
    if (!lrs_scope_may(r->cred.scopes, "/xapi/activities", 1))
        return;
    rc = stmt_activity_learn(r->app->db, body);
    if (rc)
        lrs_log(LRS_LOG_WARN, "activity/agent definitions not updated: %s", stmt_doc_strerror(rc));
}
