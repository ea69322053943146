/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run-time's side of the sequencing tracking model (issue 15).
 *
 * - Tracking: a SCORM 2004 commit (scorm_rt_commit) derives the sequencing tracking of the
 *   delivered activity from the run-time data it has just validated, in its own transaction
 *   (scorm__track_commit): the RTE -> SN mapping of SCORM 2004 4th ed. (RTE 4.2.4
 *   completion_status with completion_threshold, 4.2.18 progress_measure, 4.2.20 score.scaled,
 *   4.2.22 success_status with scaled_passing_score, 4.2.17 objectives by id; at Terminate
 *   4.2.8 cmi.exit "suspend" and 4.2.23 session_time), applied by seq_tree_report. The
 *   navigation request carries no run-time data any more: what it sees is what was committed.
 * - Status: the registration report and the player read each item's status through
 *   seq_item_status with the registration's sequencing tree (scorm__seq_tree_of), the same
 *   function the table of contents uses, so an item never shows two statuses.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "scorm/seq.h"
#include "common/sc_alloc.h"
#include "statements/stmt_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int scorm__seq_tree_of(struct scorm_rt *rt, struct stmt_db_txn *txn, const cJSON *tree,
                       const char *reg, const char *learner, struct seq_tree **out)
{
    struct seq_tree *t = NULL;
    struct seq_diag sd;
    const char *version = scorm__jstr(tree, "version");
    int rc;

    *out = NULL;
    if (!version || !strcmp(version, "scorm12") || !reg)
        return SCORM_RT_OK; /* SCORM 1.2 has no sequencing */
    /* a registration never sequenced has no tracking: known without building the tree */
    if (txn) {
        const void *v;
        size_t vl;
        rc = stmt_db_get(txn, "seq_state", reg, strlen(reg), &v, &vl);
    } else {
        char *v = NULL;
        size_t vl;
        rc = stmt_db_get1(rt->db, "seq_state", reg, strlen(reg), &v, &vl);
        sc_free(v);
    }
    if (rc == STMT_DB_NOTFOUND)
        return SCORM_RT_OK;
    if (rc)
        return SCORM_RT_ERR_STORE;
    memset(&sd, 0, sizeof sd);
    rc = seq_tree_create(tree, NULL, &t, &sd);
    if (rc)
        return rc == SEQ_ERR_NOMEM ? SCORM_RT_ERR_NOMEM : SCORM_RT_OK; /* the player's tree order */
    rc = txn ? seq_state_load_txn(txn, reg, learner, t, &sd)
             : seq_state_load(rt->db, reg, learner, t, &sd);
    if (rc == SEQ_OK) {
        *out = t;
        return SCORM_RT_OK;
    }
    seq_tree_destroy(t);
    return rc == SEQ_ERR_NOTFOUND ? SCORM_RT_OK
           : rc == SEQ_ERR_NOMEM  ? SCORM_RT_ERR_NOMEM
                                  : SCORM_RT_ERR_STORE;
}

/* ---- the commit's tracking (RTE 4th 4.2 -> SN 4th 4.2) ---------------------------------- */

/* A run-time status value as the tracking model takes it; UNSET when the SCO never set it.
 * "not attempted" counts as incomplete (the attempt began: RTE 4th 4.2.4, SN 4th 4.2.1.3). */
static enum seq_status status_of(const char *v)
{
    if (!v || !*v)
        return SEQ_STATUS_UNSET;
    if (!strcmp(v, "completed"))
        return SEQ_STATUS_COMPLETED;
    if (!strcmp(v, "incomplete") || !strcmp(v, "not attempted"))
        return SEQ_STATUS_INCOMPLETE;
    if (!strcmp(v, "passed"))
        return SEQ_STATUS_PASSED;
    if (!strcmp(v, "failed"))
        return SEQ_STATUS_FAILED;
    return SEQ_STATUS_UNKNOWN; /* "unknown" (the data model admits nothing else) */
}

/* a real of the data model (validated on SetValue); 0 when absent or empty */
static int num_of(const cJSON *values, const char *k, double *out)
{
    const char *s = scorm__jstr(values, k);
    char *end;
    if (!s || !*s)
        return 0;
    *out = strtod(s, &end);
    return !*end;
}

/* one objective (prefix "cmi." for the primary, "cmi.objectives.N." for the others) */
static void cmi_obj(const cJSON *values, const char *p, struct seq_cmi_obj *o)
{
    char k[64];
    memset(o, 0, sizeof *o);
    snprintf(k, sizeof k, "%scompletion_status", p);
    o->completion = status_of(scorm__jstr(values, k));
    snprintf(k, sizeof k, "%ssuccess_status", p);
    o->success = status_of(scorm__jstr(values, k));
    snprintf(k, sizeof k, "%sscore.scaled", p);
    o->has_scaled = num_of(values, k, &o->scaled);
    snprintf(k, sizeof k, "%sprogress_measure", p);
    o->has_progress = num_of(values, k, &o->progress);
}

int scorm__track_commit(struct stmt_db_txn *txn, struct seq_tree *t, const char *reg,
                        const char *learner, const cJSON *item, const cJSON *values,
                        const struct scorm__session *sess, int final)
{
    struct seq_cmi cmi;
    struct seq_cmi_obj objs[SCORM__TRACK_MAX_OBJECTIVES];
    const char *sco = sess->sco, *cur, *nav = sess->nav_request;
    char thr[32], pass[32], mastery[32];
    int rc = SCORM_RT_OK;

    cur = seq_tree_current(t);
    /* the data is the current activity's only while it is delivered (SN 4th 4.2: a commit of
     * a SCO the engine does not deliver, e.g. launched outside the player, tracks nothing) */
    if (!cur || !sco || strcmp(cur, sco) != 0)
        goto out;
    /* an abandoned attempt's data is discarded (SN 4th 4.4.1: abandon, abandonAll) */
    if (final && nav && (!strcmp(nav, "abandon") || !strcmp(nav, "abandonAll")))
        goto out;
    memset(&cmi, 0, sizeof cmi);
    cmi_obj(values, "cmi.", &cmi.primary);
    /* RTE 4th 4.2.4.1 and 4.2.22.1: completion_threshold and scaled_passing_score decide as
     * GetValue answers the SCO */
    scorm__rt_thresholds(item, 0, thr, sizeof thr, pass, sizeof pass, mastery, sizeof mastery);
    if (thr[0])
        cmi.primary.completion = !cmi.primary.has_progress ? SEQ_STATUS_UNKNOWN
                                 : cmi.primary.progress >= strtod(thr, NULL)
                                     ? SEQ_STATUS_COMPLETED
                                     : SEQ_STATUS_INCOMPLETE;
    if (pass[0])
        cmi.primary.success = !cmi.primary.has_scaled                    ? SEQ_STATUS_UNKNOWN
                              : cmi.primary.scaled >= strtod(pass, NULL) ? SEQ_STATUS_PASSED
                                                                         : SEQ_STATUS_FAILED;
    /* RTE 4th 4.2.17: cmi.objectives.n map to the activity's objectives by id (a collection
     * is written in index order, so the first missing id ends it) */
    for (size_t i = 0; i < SCORM__TRACK_MAX_OBJECTIVES; i++) {
        char p[40], k[64];
        const char *id;
        snprintf(p, sizeof p, "cmi.objectives.%zu.", i);
        snprintf(k, sizeof k, "%sid", p);
        if (!(id = scorm__jstr(values, k)) || !*id)
            break;
        cmi_obj(values, p, &objs[cmi.n_objectives]);
        objs[cmi.n_objectives++].id = id;
    }
    cmi.objectives = objs;
    if (final) {
        /* at Terminate: cmi.exit and the session's time (RTE 4th 4.2.8, 4.2.23; SN 4th
         * 4.2.1.2 attempt / activity experienced duration) count once */
        cmi.suspend = !strcmp(sess->exit, "suspend");
        cmi.session_seconds = sess->session_cs > 0 ? (double)sess->session_cs / 100.0 : 0;
    }
    if ((rc = seq_tree_report(t, &cmi)) != SEQ_OK) {
        rc = rc == SEQ_ERR_NOMEM ? SCORM_RT_ERR_NOMEM : SCORM_RT_ERR_STORE;
        goto out;
    }
    rc = seq_state_save_txn(txn, reg, learner, t);
    rc = rc == SEQ_OK ? SCORM_RT_OK : rc == SEQ_ERR_NOMEM ? SCORM_RT_ERR_NOMEM : SCORM_RT_ERR_STORE;
out:
    return rc;
}
