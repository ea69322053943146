/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tables of scorm/ (stmt_db_tables_register): this module names them, statements/ does
 * not. Registered right after stmt_db_open by every program and test that uses scorm/.
 */
#include "scorm/scorm.h"
#include "statements/stmt_db.h"

static const char *const SCORM_TABLES[] = {
    /* courses and their imported versions (scorm_course.c, scorm_import.c) */
    "courses",
    "course_versions",
    "course_stats",
    /* the files of course versions on a PostgreSQL store (scorm_content_db.c; LMDB keeps them
     * in DATA/content/): content rows, blobs by SHA-256 and their 256 KiB chunks */
    "content",
    "blob",
    "blob_chunk",
    "blob_pending", /* blobs an import writes before its transaction (scorm_content_pre.c) */
    /* registrations, attempts, launch tokens, run-time data and sessions (scorm_rt_*.c) */
    "registrations",
    "attempts",
    "tokens",
    "cmi",
    "sessions",
    "shared_data",
    /* the console's registration indexes and summaries (scorm_rt_index.c) */
    "reg_by_course",
    "reg_by_learner",
    "learners",
    "reg_summary",
    /* sequencing state and global objectives (seq_state.c) */
    "seq_state",
    "global_obj",
    /* bridge statements waiting for the statement store (scorm_outbox.c) */
    "bridge_outbox",
    "bridge_outbox_dead",
    /* the course report kept by the run-time's writes (scorm_rt_report_keep.c) */
    "reg_contrib",
    "course_report",
    "course_report_idx",
    /* cmi5 courses, registrations and AU sessions (cmi5_store.c, cmi5_reg.c, cmi5_launch.c) */
    "cmi5_courses",
    "cmi5_regs",
    "cmi5_sessions",
};

int scorm_db_register(struct stmt_db *db)
{
    return stmt_db_tables_register(db, SCORM_TABLES, sizeof SCORM_TABLES / sizeof SCORM_TABLES[0])
               ? SCORM_ERR_STORE
               : SCORM_OK;
}
