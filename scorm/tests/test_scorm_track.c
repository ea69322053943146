/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sequencing tracking is derived on the server, in the SCORM commit's transaction (issue
 * 15; scorm_rt_track.c), on the ADL golf package golf-2004v3-SequencingForcedSequential (each
 * SCO is disabled until the previous one is satisfied):
 * - a commit of the delivered SCO's cmi.completion_status / success_status updates its
 *   activity: the table of contents shows it and continue becomes valid, with no run-time
 *   data in the navigation request (one with "cmi" is refused);
 * - a commit of a SCO the engine does not deliver tracks nothing;
 * - at Terminate, cmi.exit "time-out" turns the next request into exitAll (RTE 4th 4.2.8);
 * - allocation failures injected at every point of the commit: a commit that returns OK has
 *   both its run-time data and its tracking, one that fails has neither (one transaction).
 */
#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/scorm_rt.h"
#include "scorm/tests/scorm_test_util.h"

/* a navigation request (body JSON text); the answer (owned) or NULL, *status its code */
static cJSON *nav(struct scorm_rt *rt, const char *reg, const char *body, int *status)
{
    cJSON *b = cJSON_Parse(body), *ans = NULL;
    char emsg[512], warn[512];
    int rc = scorm_rt_navigate(rt, reg, b, SCORM_RT_NAV_PLAYER, &ans, emsg, sizeof emsg, warn,
                               sizeof warn);
    if (rc && !status)
        tap_diag("navigate %s: %s", body, emsg);
    if (status)
        *status = rc;
    cJSON_Delete(b);
    return ans;
}

/* the toc entry of item in a navigation answer: "completion/success" into buf */
static const char *toc_status(const cJSON *ans, const char *item, char *buf, size_t len)
{
    const cJSON *e;
    snprintf(buf, len, "(absent)");
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(ans, "toc"))
    {
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "item")), item))
            snprintf(buf, len, "%s/%s", cJSON_GetStringValue(cJSON_GetObjectItem(e, "completion")),
                     cJSON_GetStringValue(cJSON_GetObjectItem(e, "success")));
    }
    return buf;
}

/* the run-time's stored cmi.completion_status of the registration's SCO `sco` ("" unset) */
static char *stored_completion(struct scorm_rt *rt, const char *reg, const char *sco)
{
    cJSON *rep = NULL, *s;
    char *out = NULL;
    if (scorm_rt_registration_get(rt, reg, &rep))
        return strdup("(no report)");
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(rep, "scos"))
    {
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(s, "id")), sco)) {
            const char *v = cJSON_GetStringValue(
                cJSON_GetObjectItem(cJSON_GetObjectItem(s, "cmi"), "cmi.completion_status"));
            out = strdup(v ? v : "");
        }
    }
    cJSON_Delete(rep);
    return out ? out : strdup("(no sco)");
}

static const char DONE[] = "{\"cmi.completion_status\":\"completed\",\"cmi.success_status\":"
                           "\"passed\",\"cmi.score.scaled\":\"0.9\"}";

static void test_derived(struct scorm_rt *rt, const char *course)
{
    char reg[64], sess[64], other[64], body[256], buf[64];
    cJSON *a;
    int st;
    is_int(tu_reg_new(rt, course, "trk-1", "trk-1", reg), 0, "registration");
    a = nav(rt, reg, "{\"request\":\"launch\"}", NULL);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(a, "deliver")), "playing_item",
           "launch delivers the first SCO");
    cJSON_Delete(a);
    is_int(tu_launch(rt, reg, "playing_item", sess, NULL), 0, "its session");
    /* a navigation request with run-time data is refused: the commit carries it */
    a = nav(rt, reg, "{\"request\":\"report\",\"cmi\":{\"completion_status\":\"completed\"}}", &st);
    is_int(st, SCORM_RT_ERR_PAYLOAD, "a request with \"cmi\" is refused");
    ok(a == NULL, "no answer");
    /* a commit of a SCO that is not delivered tracks nothing */
    is_int(tu_launch(rt, reg, "etuqiette_item", other, NULL), 0,
           "a SCO launched outside sequencing");
    is_int(tu_commit_applied(rt, reg, other, 1, 0, DONE, -1), 0, "its commit is stored");
    a = nav(rt, reg, "{\"request\":\"status\"}", NULL);
    is_str(toc_status(a, "etuqiette_item", buf, sizeof buf), "not attempted/unknown",
           "... and tracks nothing (not the delivered activity)");
    is_str(toc_status(a, "playing_item", buf, sizeof buf), "unknown/unknown",
           "the delivered SCO has reported nothing yet");
    ok(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "valid"), "continue")),
       "continue is not valid before the first SCO is satisfied");
    cJSON_Delete(a);
    /* the delivered SCO's commit: tracking follows in the commit's transaction */
    is_int(tu_commit_applied(rt, reg, sess, 1, 0, DONE, -1), 0, "the delivered SCO commits");
    a = nav(rt, reg, "{\"request\":\"status\"}", NULL);
    is_str(toc_status(a, "playing_item", buf, sizeof buf), "completed/passed",
           "its activity is completed and satisfied (RTE 4.2.4, 4.2.22 -> SN 4.2.1)");
    ok(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "valid"), "continue")),
       "continue is valid now, with no data in the request");
    cJSON_Delete(a);
    snprintf(body, sizeof body, "{\"request\":\"continue\",\"session\":\"%s\",\"commit_seq\":1}",
             sess);
    a = nav(rt, reg, body, NULL);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(a, "deliver")), "etuqiette_item",
           "continue delivers the second SCO");
    cJSON_Delete(a);
    /* cmi.exit "time-out" at Terminate: the next request of that session is exitAll */
    is_int(tu_launch(rt, reg, "etuqiette_item", sess, NULL), 0, "second SCO launched");
    is_int(tu_commit_applied(rt, reg, sess, 1, 1,
                             "{\"cmi.completion_status\":\"incomplete\",\"cmi.exit\":\"time-out\","
                             "\"cmi.session_time\":\"PT5S\"}",
                             -1),
           0, "it terminates with cmi.exit time-out");
    snprintf(body, sizeof body, "{\"request\":\"report\",\"session\":\"%s\",\"commit_seq\":1}",
             sess);
    a = nav(rt, reg, body, NULL);
    ok(cJSON_IsTrue(cJSON_GetObjectItem(a, "ended")), "the report became exitAll: ended");
    ok(cJSON_IsNull(cJSON_GetObjectItem(a, "current")), "nothing is current");
    cJSON_Delete(a);
}

static void test_alloc_failures(struct scorm_rt *rt, const char *course)
{
    int failed = 0, succeeded = 0, bad = 0, k;
    for (k = 0; k < 20000; k++) {
        char reg[64], sess[64], buf[64], learner[32];
        cJSON *a;
        long f0;
        int rc;
        char *comp;
        snprintf(learner, sizeof learner, "oom-%d", k);
        if (tu_reg_new(rt, course, learner, learner, reg) ||
            !(a = nav(rt, reg, "{\"request\":\"launch\"}", NULL))) {
            bad++;
            break;
        }
        cJSON_Delete(a);
        if (tu_launch(rt, reg, "playing_item", sess, NULL)) {
            bad++;
            break;
        }
        f0 = sc_alloc_failures();
        rc = tu_commit_applied(rt, reg, sess, 1, 0, DONE, k);
        if (sc_alloc_failures() == f0) { /* the countdown never fired: every point was tried */
            if (rc != 0)
                bad++;
            break;
        }
        comp = stored_completion(rt, reg, "playing_item");
        a = nav(rt, reg, "{\"request\":\"status\"}", NULL);
        toc_status(a, "playing_item", buf, sizeof buf);
        cJSON_Delete(a);
        if (rc == 0) {
            succeeded++;
            if (strcmp(comp, "completed") || strcmp(buf, "completed/passed")) {
                tap_diag("k=%d OK commit: stored %s, tracking %s", k, comp, buf);
                bad++;
            }
        } else {
            failed++;
            if (strcmp(comp, "") || strcmp(buf, "unknown/unknown")) {
                tap_diag("k=%d failed commit (%d): stored '%s', tracking %s", k, rc, comp, buf);
                bad++;
            }
        }
        free(comp);
    }
    tap_diag("%d injection points: %d commits failed cleanly, %d succeeded", k, failed, succeeded);
    ok(k > 50 && k < 20000, "every allocation of the commit path was failed once");
    ok(failed > 0, "some commits failed");
    is_int(bad, 0, "acknowledged: run-time data and tracking; failed: neither");
}

int main(void)
{
    char dir[512];
    struct stmt_db *db;
    struct scorm_rt *rt;
    char *course;

    sc_alloc_init_cjson();
    tu_init();
    db = tu_db_open(dir, sizeof dir);
    rt = tu_rt_open(db, NULL);
    course = tu_import_corpus(db, "golf-2004v3-SequencingForcedSequential", NULL);
    ok(course != NULL, "ForcedSequential imported");
    if (course) {
        test_derived(rt, course);
        test_alloc_failures(rt, course);
    }
    free(course);
    scorm_rt_close(rt);
    stmt_db_close(db);
    tu_fini();
    return tap_done();
}
