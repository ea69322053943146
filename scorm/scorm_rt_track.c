/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run-time's side of the sequencing tracking model (issue 15).
 *
 * - Status: the registration report and the player read each item's status through
 *   seq_item_status with the registration's sequencing tree (scorm__seq_tree_of), the same
 *   function the table of contents uses, so an item never shows two statuses.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "scorm/seq.h"
#include "statements/stmt_db.h"

#include <string.h>

int scorm__seq_tree_of(struct scorm_rt *rt, struct stmt_db_txn *txn, const cJSON *tree,
                       const char *reg, const char *learner, struct seq_tree **out)
{
    struct seq_tree *t = NULL;
    struct seq_diag sd;
    const char *version = scorm__jstr(tree, "version");
    int rc;

    *out = NULL;
    if (!version || !strcmp(version, "scorm12"))
        return SCORM_RT_OK; /* SCORM 1.2 has no sequencing */
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
