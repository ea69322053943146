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

static char *dm_text;
static size_t dm_len;

static const char *src_dir(void)
{
    const char *s = getenv("SRC_DIR");
    return s ? s : ".";
}

static char *import_pkg(struct stmt_db *db, const char *name)
{
    char zp[512], dir[1024];
    size_t len;
    zip_t *za = tu_zip_new(zp, sizeof zp);
    cJSON *res = NULL;
    struct scorm_diag d;
    struct scorm_import_opts o;
    char *course = NULL;
    snprintf(dir, sizeof dir, "%s/scorm-packages/%s", tu_shared(), name);
    tu_zip_add_tree(za, dir, "");
    free(tu_zip_finish(za, zp, &len));
    memset(&o, 0, sizeof o);
    o.in_process = 1;
    if (scorm_import_file(db, zp, &o, &res, &d) == 0)
        course = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(res, "course")));
    else
        tap_diag("import %s: %s %s", name, scorm_strerror(d.code), d.msg);
    cJSON_Delete(res);
    return course;
}

static int new_registration(struct scorm_rt *rt, const char *course, const char *learner,
                            char reg[64])
{
    cJSON *r = NULL;
    struct scorm_diag d;
    int rc = scorm_rt_registration_create(rt, course, learner, learner, &r, &d);
    if (!rc)
        snprintf(reg, 64, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(r, "registration")));
    cJSON_Delete(r);
    return rc;
}

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

static int launch(struct scorm_rt *rt, const char *reg, const char *sco, char sess[64])
{
    cJSON *L = NULL;
    struct scorm_diag d;
    int rc = scorm_rt_launch(rt, reg, sco, &L, &d);
    if (!rc)
        snprintf(sess, 64, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(L, "session")));
    cJSON_Delete(L);
    return rc;
}

static int commit_inj(struct scorm_rt *rt, const char *reg, const char *sess, int seq, int final,
                      const char *changes_json, long fail_after)
{
    cJSON *p = cJSON_CreateObject(), *out = NULL;
    struct scorm_diag d;
    int rc;
    cJSON_AddNumberToObject(p, "seq", seq);
    cJSON_AddBoolToObject(p, "final", final);
    cJSON_AddItemToObject(p, "changes", cJSON_Parse(changes_json));
    memset(&d, 0, sizeof d);
    sc_alloc_fail_after(fail_after);
    rc = scorm_rt_commit(rt, reg, sess, p, &out, &d);
    sc_alloc_fail_after(-1);
    if (rc == 0 && !cJSON_IsTrue(cJSON_GetObjectItem(out, "applied")))
        rc = 1;
    cJSON_Delete(p);
    cJSON_Delete(out);
    return rc;
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
    is_int(new_registration(rt, course, "trk-1", reg), 0, "registration");
    a = nav(rt, reg, "{\"request\":\"launch\"}", NULL);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(a, "deliver")), "playing_item",
           "launch delivers the first SCO");
    cJSON_Delete(a);
    is_int(launch(rt, reg, "playing_item", sess), 0, "its session");
    /* a navigation request with run-time data is refused: the commit carries it */
    a = nav(rt, reg, "{\"request\":\"report\",\"cmi\":{\"completion_status\":\"completed\"}}", &st);
    is_int(st, SCORM_RT_ERR_PAYLOAD, "a request with \"cmi\" is refused");
    ok(a == NULL, "no answer");
    /* a commit of a SCO that is not delivered tracks nothing */
    is_int(launch(rt, reg, "etuqiette_item", other), 0, "a SCO launched outside sequencing");
    is_int(commit_inj(rt, reg, other, 1, 0, DONE, -1), 0, "its commit is stored");
    a = nav(rt, reg, "{\"request\":\"status\"}", NULL);
    is_str(toc_status(a, "etuqiette_item", buf, sizeof buf), "not attempted/unknown",
           "... and tracks nothing (not the delivered activity)");
    is_str(toc_status(a, "playing_item", buf, sizeof buf), "unknown/unknown",
           "the delivered SCO has reported nothing yet");
    ok(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "valid"), "continue")),
       "continue is not valid before the first SCO is satisfied");
    cJSON_Delete(a);
    /* the delivered SCO's commit: tracking follows in the commit's transaction */
    is_int(commit_inj(rt, reg, sess, 1, 0, DONE, -1), 0, "the delivered SCO commits");
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
    is_int(launch(rt, reg, "etuqiette_item", sess), 0, "second SCO launched");
    is_int(commit_inj(rt, reg, sess, 1, 1,
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
        if (new_registration(rt, course, learner, reg) ||
            !(a = nav(rt, reg, "{\"request\":\"launch\"}", NULL))) {
            bad++;
            break;
        }
        cJSON_Delete(a);
        if (launch(rt, reg, "playing_item", sess)) {
            bad++;
            break;
        }
        f0 = sc_alloc_failures();
        rc = commit_inj(rt, reg, sess, 1, 0, DONE, k);
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
    char path[1024], dir[512];
    struct stmt_db *db;
    struct scorm_rt *rt = NULL;
    struct scorm_rt_opts o;
    struct scorm_diag d;
    char *course;

    sc_alloc_init_cjson();
    tu_init();
    snprintf(path, sizeof path, "%s/../runtime_js/datamodel.json", src_dir());
    dm_text = tu_read(path, &dm_len);
    if (!dm_text) {
        printf("Bail out! cannot read %s\n", path);
        return 1;
    }
    db = tu_db_open(dir, sizeof dir);
    memset(&o, 0, sizeof o);
    o.activity_base = "http://lms.example.com/courses/";
    o.learner_home = "http://lms.example.com/";
    if (!db || scorm_rt_open(db, dm_text, dm_len, &o, &rt, &d)) {
        printf("Bail out! cannot open the run-time\n");
        return 1;
    }
    course = import_pkg(db, "golf-2004v3-SequencingForcedSequential");
    ok(course != NULL, "ForcedSequential imported");
    if (course) {
        test_derived(rt, course);
        test_alloc_failures(rt, course);
    }
    free(course);
    scorm_rt_close(rt);
    stmt_db_close(db);
    free(dm_text);
    tu_fini();
    return tap_done();
}
