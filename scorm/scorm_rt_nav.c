/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Navigation requests through the SCORM 2004 sequencing engine (scorm/seq.h, SN 4th OP.1) for
 * a registration: the core of POST /api/registrations/ID/navigation and POST /player/<reg>/nav
 * (moved from lrs/route_navigation.c, issue 15: lrs/ stays a thin HTTP layer). The request
 * and answer are described in docs/sequencing.md and scorm_rt.h (scorm_rt_navigate).
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "scorm/seq.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "statements/stmt_db.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NAV_COMMIT_WAIT_MS 3000 /* how long a request waits for a commit sent before it */

/* Load-navigate-save of one registration must not interleave with another request's for the
 * same state. The state is the registration's plus the learner's global objectives when the
 * organization's objectivesGlobalToSystem is true (SN 4th 3.10.1: shared across the learner's
 * registrations), so requests are serialised per learner: a striped table of locks keyed by
 * the learner id's hash. Different learners navigate in parallel (a collision of two learners
 * on one stripe only serialises them). */
#define NAV_LOCK_STRIPES 64
static pthread_mutex_t nav_locks[NAV_LOCK_STRIPES];
static pthread_once_t nav_locks_once = PTHREAD_ONCE_INIT;

static void nav_locks_init(void)
{
    for (size_t i = 0; i < NAV_LOCK_STRIPES; i++)
        pthread_mutex_init(&nav_locks[i], NULL);
}

/* the stripe of a learner; borrowed, lives for the process */
static pthread_mutex_t *nav_lock_of(const char *learner)
{
    pthread_once(&nav_locks_once, nav_locks_init);
    return &nav_locks[sc_hash64(learner, strlen(learner)) % NAV_LOCK_STRIPES];
}

/* The exit of the SCO session `session` of registration reg ("" when unknown), read after its
 * commits were applied: "time-out" and "logout" end the course attempt (RTE 4th 4.2.8). */
static void session_exit(struct scorm_rt *rt, const char *reg, const char *session, char *out,
                         size_t len)
{
    struct scorm__session s;
    out[0] = '\0';
    if (!session || scorm__session_get1(rt->db, session, &s))
        return;
    if (!strcmp(s.registration, reg))
        snprintf(out, len, "%s", s.exit);
    scorm__session_free(&s);
}

/* The statuses of every activity of t (seq_item_status with the tracking alone), owned, NULL
 * when out of memory; *n their number. */
static const char **statuses_of(const struct seq_tree *t, size_t *n)
{
    const char **st;
    *n = 0;
    while (seq_tree_item_at(t, *n))
        (*n)++;
    st = sc_calloc(2 * *n + 1, sizeof *st);
    for (size_t i = 0; st && i < *n; i++)
        seq_item_status(t, seq_tree_item_at(t, i), NULL, NULL, &st[2 * i], &st[2 * i + 1]);
    return st;
}

/* The course report follows a SCO whose status the navigation changed (one status per item,
 * issue 15: e.g. completionSetByContent false completes an activity at the end of its
 * attempt, SN 4th TB.2.3 / UP.4), in the navigation's transaction. before: statuses_of t
 * before the request. */
static int report_changed(struct stmt_db_txn *txn, const cJSON *regrec, const char *reg,
                          const struct seq_tree *t, const char **before, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *id = seq_tree_item_at(t, i), *c, *s;
        char key[SCORM__SCO_KEY_MAX];
        struct scorm__sco_rec rec;
        int rc;
        seq_item_status(t, id, NULL, NULL, &c, &s);
        if (!strcmp(c, before[2 * i]) && !strcmp(s, before[2 * i + 1]))
            continue;
        scorm__sco_key(key, sizeof key, reg, id, 0);
        scorm__sco_rec_init(&rec);
        rc = scorm__sco_rec_get(txn, key, &rec);
        if (rc == SCORM_RT_ERR_NOTFOUND)
            continue; /* never launched (or a cluster): not in the report's SCO rows */
        if (!rc)
            rc = scorm__report_sco(txn, regrec, id, &rec, t);
        scorm__sco_rec_free(&rec);
        if (rc)
            return rc;
    }
    return SCORM_RT_OK;
}

/* {"sequencing":true,"deliver","exception","ended","current","toc","valid":{"continue",
 * "previous"}}; NULL when out of memory */
static cJSON *answer_of(struct seq_tree *t, const struct seq_result *res, int status_only)
{
    cJSON *out = cJSON_CreateObject(), *toc = NULL, *valid, *root = NULL;
    const char *cur = seq_tree_current(t), *susp = seq_tree_suspended(t);
    if (!out || seq_tree_toc(t, &toc) != SEQ_OK) {
        cJSON_Delete(out);
        return NULL;
    }
    /* the root activity's tracking state (its rollup, SN 4th RB.1.5) is the course's result */
    if (status_only && seq_tree_activity_json(t,
                                              cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                                  cJSON_GetArrayItem(toc, 0), "item")),
                                              &root) != SEQ_OK) {
        cJSON_Delete(toc);
        cJSON_Delete(out);
        return NULL;
    }
    cJSON_AddBoolToObject(out, "sequencing", 1);
    if (res->deliver)
        cJSON_AddStringToObject(out, "deliver", res->deliver);
    else
        cJSON_AddNullToObject(out, "deliver");
    if (res->exception[0])
        cJSON_AddStringToObject(out, "exception", res->exception);
    else
        cJSON_AddNullToObject(out, "exception");
    cJSON_AddBoolToObject(out, "ended", status_only ? seq_tree_ended(t) : res->ended);
    if (status_only) {
        if (susp)
            cJSON_AddStringToObject(out, "suspended", susp);
        else
            cJSON_AddNullToObject(out, "suspended");
        cJSON_AddItemToObject(out, "root", root);
    }
    if (cur)
        cJSON_AddStringToObject(out, "current", cur);
    else
        cJSON_AddNullToObject(out, "current");
    cJSON_AddItemToObject(out, "toc", toc);
    /* adl.nav.request_valid.continue / .previous and the player's buttons (SN 4th 4.5.3);
     * choice validity is the toc's "disabled" */
    valid = cJSON_AddObjectToObject(out, "valid");
    cJSON_AddBoolToObject(valid, "continue", seq_tree_nav_valid(t, SEQ_NAV_CONTINUE, NULL) == 1);
    cJSON_AddBoolToObject(valid, "previous", seq_tree_nav_valid(t, SEQ_NAV_PREVIOUS, NULL) == 1);
    if (!cJSON_GetObjectItemCaseSensitive(valid, "previous")) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

int scorm_rt_navigate(struct scorm_rt *rt, const char *reg, const cJSON *body, int flags,
                      cJSON **answer, char *emsg, size_t elen, char *warn, size_t wlen)
{
    cJSON *regrec = NULL, *ver = NULL;
    char *rv = NULL;
    size_t rvl = 0;
    struct seq_tree *t = NULL;
    struct seq_diag sd;
    struct seq_result res;
    struct stmt_db_txn *wtxn = NULL; /* load, navigate and save in one write transaction */
    const char **before = NULL;      /* statuses before the request (report_changed) */
    size_t n_acts = 0;
    char exitv[32];
    enum seq_nav nav = SEQ_NAV_START;
    const char *req, *target, *course, *learner, *version;
    const cJSON *o, *tree;
    pthread_mutex_t *lock = NULL;
    int rc = 0, status = SCORM_RT_ERR_NOMEM, launch = 0, report_only = 0, status_only = 0;

    *answer = NULL;
    if (warn && wlen)
        warn[0] = '\0';
    memset(&sd, 0, sizeof sd);
    memset(&res, 0, sizeof res);
    snprintf(emsg, elen, "out of memory");
    if (!cJSON_IsObject(body)) {
        snprintf(emsg, elen, "body must be a JSON object {\"request\": ..., \"target\": ...}");
        return SCORM_RT_ERR_PAYLOAD;
    }
    req = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "request"));
    if (req && !strcmp(req, "launch"))
        launch = 1;
    else if (req && !strcmp(req, "report"))
        report_only = 1;
    else if (req && !strcmp(req, "status"))
        status_only = 1;
    else if (!req || seq_nav_parse(req, &nav) != SEQ_OK || nav == SEQ_NAV_FORWARD ||
             nav == SEQ_NAV_BACKWARD) {
        snprintf(emsg, elen,
                 "request: '%.40s' is not a navigation request (SN 4th 4.4.1: start, "
                 "resumeAll, continue, previous, choice, jump, exit, exitAll, abandon, "
                 "abandonAll, suspendAll; or launch, report, status)",
                 req ? req : "(missing)");
        return SCORM_RT_ERR_PAYLOAD;
    }
    o = cJSON_GetObjectItemCaseSensitive(body, "target");
    target = cJSON_GetStringValue(o);
    if ((o && !cJSON_IsNull(o) && !target) ||
        (!launch && !report_only && !status_only &&
         (nav == SEQ_NAV_CHOICE || nav == SEQ_NAV_JUMP) && !target)) {
        snprintf(emsg, elen, "target: a string item identifier is required for %s", req);
        return SCORM_RT_ERR_PAYLOAD;
    }
    /* the run-time data travels in the commits, which derive the sequencing tracking in their
     * own transaction (issue 15, scorm_rt_track.c): a request carries none */
    if (cJSON_GetObjectItemCaseSensitive(body, "cmi")) {
        snprintf(emsg, elen,
                 "cmi: not accepted: the SCO's run-time data goes in its commits "
                 "(POST /player/<reg>/commit/<session>), which update the sequencing tracking");
        return SCORM_RT_ERR_PAYLOAD;
    }

    /* commits and navigation of a session are ordered (issue 15): the request names the
     * current session and the last commit seq the player sent; a commit still on its way (a
     * beacon on unload overtaken by this request) is applied first, waited for at most
     * NAV_COMMIT_WAIT_MS */
    o = cJSON_GetObjectItemCaseSensitive(body, "commit_seq");
    if (o || cJSON_GetObjectItemCaseSensitive(body, "session")) {
        const char *sess = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "session"));
        int arrived = 1;
        if (!sess || !cJSON_IsNumber(o) || o->valuedouble < 0 ||
            o->valuedouble != (double)(int64_t)o->valuedouble) {
            snprintf(emsg, elen, "session and commit_seq (an integer >= 0) go together");
            return SCORM_RT_ERR_PAYLOAD;
        }
        scorm_rt_commit_wait(rt, reg, sess, o->valuedouble, NAV_COMMIT_WAIT_MS, &arrived);
        if (!arrived && warn)
            snprintf(warn, wlen,
                     "navigation of %s: commit %.0f of session %s did not arrive within %d ms", reg,
                     o->valuedouble, sess, NAV_COMMIT_WAIT_MS);
        /* SCORM 2004 4th RTE 4.2.8 (cmi.exit): a SCO that terminated with "time-out" or
         * "logout" (deprecated) makes the LMS process an exitAll navigation request, whatever
         * it asked for: the attempt on the whole course ends (SN 4th 4.4.1, TB.2.3). An
         * abandon keeps its meaning (the SCO's data is discarded). */
        session_exit(rt, reg ? reg : "", sess, exitv, sizeof exitv);
        if ((!strcmp(exitv, "time-out") || !strcmp(exitv, "logout")) && !launch && !status_only &&
            nav != SEQ_NAV_ABANDON && nav != SEQ_NAV_ABANDON_ALL) {
            report_only = 0;
            nav = SEQ_NAV_EXIT_ALL;
        }
    }
    /* the registration's course version and learner (not the whole report) */
    if (!reg || !sc_uuid_valid(reg, strlen(reg)) ||
        (rc = stmt_db_get1(rt->db, "registrations", reg, strlen(reg), &rv, &rvl)) != 0) {
        status = !reg || !sc_uuid_valid(reg, strlen(reg)) || rc == STMT_DB_NOTFOUND
                     ? SCORM_RT_ERR_NOTFOUND
                     : SCORM_RT_ERR_STORE;
        snprintf(emsg, elen, "registration %.64s: %s", reg ? reg : "", scorm_rt_strerror(status));
        goto out;
    }
    regrec = cJSON_ParseWithLength(rv, rvl);
    if (!regrec) {
        status = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    course = scorm__jstr(regrec, "course");
    learner = scorm__jstr(cJSON_GetObjectItemCaseSensitive(regrec, "learner"), "id");
    rc = scorm_course_version_get(
        rt->db, course ? course : "",
        (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(regrec, "course_version")),
        &ver);
    if (rc) {
        snprintf(emsg, elen, "course of registration %.64s: %s", reg, scorm_strerror(rc));
        status = rc == SCORM_ERR_NOTFOUND ? SCORM_RT_ERR_NOTFOUND
                 : rc == SCORM_ERR_NOMEM  ? SCORM_RT_ERR_NOMEM
                                          : SCORM_RT_ERR_STORE;
        goto out;
    }
    tree = cJSON_GetObjectItemCaseSensitive(ver, "tree");
    version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tree, "version"));
    /* Every SCORM 2004 course goes through the engine, with or without imsss:sequencing: an
     * activity without a <sequencing> element has the SN defaults (SN 4th 3.2, CAM 4th 5.1:
     * controlMode choice = true, choiceExit = true, flow = false, forwardOnly = false), so a
     * package without sequencing offers the table of contents (choice) and no continue /
     * previous, and adl.nav.request_valid.continue answers false (ADL DMI Act1V1). */
    if ((flags & SCORM_RT_NAV_PLAYER) && (!version || !strcmp(version, "scorm12"))) {
        /* the player keeps its tree-order flow (SCORM 1.2 has no sequencing) */
        *answer = cJSON_CreateObject();
        if (!*answer || !cJSON_AddBoolToObject(*answer, "sequencing", 0))
            goto out;
        status = SCORM_RT_OK;
        goto out;
    }
    rc = seq_tree_create(tree, NULL, &t, &sd);
    if (rc) {
        snprintf(emsg, elen, "sequencing: %s", sd.msg);
        if ((flags & SCORM_RT_NAV_PLAYER) && rc != SEQ_ERR_NOMEM) {
            /* a tree the engine cannot build: the player falls back to tree order */
            if (warn)
                snprintf(warn, wlen, "sequencing of %s: %s", reg, sd.msg);
            *answer = cJSON_CreateObject();
            if (!*answer || !cJSON_AddBoolToObject(*answer, "sequencing", 0))
                goto out;
            status = SCORM_RT_OK;
            goto out;
        }
        status = rc == SEQ_ERR_NOMEM ? SCORM_RT_ERR_NOMEM : SCORM_RT_ERR_SEQUENCING;
        goto out;
    }
    lock = nav_lock_of(learner ? learner : "");
    pthread_mutex_lock(lock);
    /* a request that changes the state reads and writes it in one write transaction, so a
     * commit deriving tracking (its own write transaction) comes wholly before or after it */
    if (!status_only && !report_only && stmt_db_txn_begin(rt->db, 1, &wtxn) != 0) {
        snprintf(emsg, elen, "cannot begin the sequencing state's transaction");
        status = SCORM_RT_ERR_STORE;
        goto out;
    }
    rc = wtxn ? seq_state_load_txn(wtxn, reg, learner, t, &sd)
              : seq_state_load(rt->db, reg, learner, t, &sd);
    if (rc != SEQ_OK && rc != SEQ_ERR_NOTFOUND) {
        snprintf(emsg, elen, "sequencing state of the registration: %s %s", seq_strerror(rc),
                 sd.msg);
        status = SCORM_RT_ERR_STORE;
        goto out;
    }
    if (wtxn && !(before = statuses_of(t, &n_acts)))
        goto out;
    if (launch)
        seq_tree_launch(t, &res);
    else if (!report_only && !status_only)
        seq_tree_navigate(t, nav, target, &res);
    if (wtxn) {
        rc = seq_state_save_txn(wtxn, reg, learner, t);
        if (rc == SEQ_OK) {
            int r2 = report_changed(wtxn, regrec, reg, t, before, n_acts);
            rc = r2 == SCORM_RT_OK          ? SEQ_OK
                 : r2 == SCORM_RT_ERR_NOMEM ? SEQ_ERR_NOMEM
                                            : SEQ_ERR_STORE;
        }
        if (rc == SEQ_OK && stmt_db_txn_commit(wtxn) != 0)
            rc = SEQ_ERR_STORE;
        else if (rc != SEQ_OK)
            stmt_db_txn_abort(wtxn);
        wtxn = NULL;
        if (rc) {
            snprintf(emsg, elen, "cannot store the sequencing state: %s", seq_strerror(rc));
            status = rc == SEQ_ERR_NOMEM ? SCORM_RT_ERR_NOMEM : SCORM_RT_ERR_STORE;
            goto out;
        }
    }
    if (!launch && !report_only && !status_only && nav == SEQ_NAV_EXIT_ALL && res.ended) {
        /* exitAll ends the attempt on the course and every SCO attempt in it, a suspended
         * SCO's too (SN 4th TB.2.3; only suspendAll keeps them, RTE 4th 4.2.8) */
        rc = scorm_rt_course_exited(rt, reg);
        if (rc && warn)
            snprintf(warn, wlen, "end of the course attempt of %s: %s", reg, scorm_rt_strerror(rc));
    }
    if (res.deliver) {
        /* the SCO's run-time attempt follows the activity's attempt (SN 4th DB.2, RTE 4th
         * 4.2.7): a new attempt on it (after exitAll, a retry) starts the SCO ab-initio */
        cJSON *act = NULL;
        if (seq_tree_activity_json(t, res.deliver, &act) == SEQ_OK) {
            int n =
                (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(act, "attemptCount"));
            rc = n >= 1 ? scorm_rt_delivered(rt, reg, res.deliver, n) : SCORM_RT_OK;
            if (rc && warn)
                snprintf(warn, wlen, "attempt of %s in %s: %s", res.deliver, reg,
                         scorm_rt_strerror(rc));
        }
        cJSON_Delete(act);
    }
    *answer = answer_of(t, &res, status_only);
    if (*answer)
        status = SCORM_RT_OK;
out:
    sc_free(before);
    stmt_db_txn_abort(wtxn);
    if (lock)
        pthread_mutex_unlock(lock);
    if (status != SCORM_RT_OK) {
        cJSON_Delete(*answer);
        *answer = NULL;
    }
    seq_tree_destroy(t);
    cJSON_Delete(ver);
    cJSON_Delete(regrec);
    sc_free(rv);
    return status;
}
