/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scorm/seq: the SCORM 2004 4th edition Sequencing and Navigation engine (SN book, IMS SS 1.0).
 *
 * An activity tree is built from the parsed manifest (scorm_manifest_parse /
 * scorm_course_version_get JSON) and carries the tracking state of one registration. The
 * Overall Sequencing Process (OP.1) takes a navigation request and answers with the activity
 * to deliver, or the SN exception code that refused it. The run-time reports what a SCO set
 * (cmi.completion_status, cmi.success_status, cmi.score.scaled, cmi.progress_measure,
 * cmi.objectives.n.*, cmi.exit) with seq_tree_report() before it issues the navigation
 * request that the SCO (adl.nav.request) or the learner (player UI) asked for.
 *
 * Threads: a struct seq_tree is not shared; callers load it per request (seq_state_load),
 * navigate, and save it (seq_state_save) under their own lock or LMDB write transaction.
 */
#ifndef SCORM_SEQ_H
#define SCORM_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct stmt_db;
struct stmt_db_txn;
struct seq_tree;

enum seq_err {
    SEQ_OK = 0,
    SEQ_ERR_NOMEM = -1,
    SEQ_ERR_ARG = -2,      /* bad argument (unknown request name, NULL tree, ...) */
    SEQ_ERR_MANIFEST = -3, /* the manifest tree has no organization / no items */
    SEQ_ERR_STATE = -4,    /* saved state JSON does not fit this tree */
    SEQ_ERR_STORE = -5,    /* LMDB failure */
    SEQ_ERR_NOTFOUND = -6, /* no saved state for the registration */
};

/** Static English text for a code; never NULL. */
const char *seq_strerror(int code);

struct seq_diag {
    int code;
    char path[128];
    char msg[384];
};

/** Navigation requests (SN 4.4.1, plus the 4th edition jump). */
enum seq_nav {
    SEQ_NAV_START,
    SEQ_NAV_RESUME_ALL,
    SEQ_NAV_CONTINUE,
    SEQ_NAV_PREVIOUS,
    SEQ_NAV_FORWARD,
    SEQ_NAV_BACKWARD,
    SEQ_NAV_CHOICE,
    SEQ_NAV_JUMP,
    SEQ_NAV_EXIT,
    SEQ_NAV_EXIT_ALL,
    SEQ_NAV_ABANDON,
    SEQ_NAV_ABANDON_ALL,
    SEQ_NAV_SUSPEND_ALL,
};

/** "start", "resumeAll", ... -> *out. Returns 0 or SEQ_ERR_ARG. */
int seq_nav_parse(const char *name, enum seq_nav *out);
/** Static name of a request. */
const char *seq_nav_name(enum seq_nav nav);

/** Options of seq_tree_create; NULL means defaults. */
struct seq_opts {
    const char *organization; /* NULL: the manifest's default organization */
    uint64_t seed;            /* selection/randomization (SR.1, SR.2) seed; 0: a random seed
                                 from the kernel CSPRNG, mixed with the registration id by
                                 seq_state_load when the registration has no state yet */
};

/**
 * Build the activity tree of one organization of a parsed manifest (borrowed; nothing of it
 * is kept). Selection and randomization with timing "once" happen here (SR.1, SR.2).
 * *out (owned, free with seq_tree_destroy) is assigned on success only.
 * Returns 0, SEQ_ERR_NOMEM or SEQ_ERR_MANIFEST (diag, may be NULL, says why).
 */
int seq_tree_create(const cJSON *manifest, const struct seq_opts *opts, struct seq_tree **out,
                    struct seq_diag *diag);
void seq_tree_destroy(struct seq_tree *t);

/** The answer of one navigation request. */
struct seq_result {
    const char *deliver; /* item identifier to launch (borrowed from the tree) or NULL */
    char exception[16];  /* SN exception code ("NB.2.1-2") or "" */
    int ended;           /* 1: the sequencing session has ended */
};

/**
 * OP.1 Overall Sequencing Process. target names an item (choice, jump), else NULL.
 * Returns 0 (the result, including a refused request, is in *res) or SEQ_ERR_ARG.
 * A request refused by the Navigation Request Process (NB.2.1) changes nothing; later
 * exceptions follow the SN book (the current attempt may have ended).
 */
int seq_tree_navigate(struct seq_tree *t, enum seq_nav nav, const char *target,
                      struct seq_result *res);

/**
 * Launch (or relaunch) the course as an LMS does (SN 4th 4.4, RTE 4th 3.1): resumeAll when an
 * activity is suspended (start when the suspended activity cannot be delivered), else start.
 * Tracking state is kept (a new attempt on the root begins); seq_tree_reset clears it when
 * the caller starts a new registration attempt. When a session is still open, nothing is
 * navigated and res->deliver is the current activity if it is active.
 */
int seq_tree_launch(struct seq_tree *t, struct seq_result *res);

/** Clear all tracking state for a new attempt on the whole course. Global objectives are
 *  kept when the organization's objectivesGlobalToSystem is true (CAM 4th 3.4.1.3), else
 *  cleared with the rest. */
void seq_tree_reset(struct seq_tree *t);

/**
 * Would this request be valid now (adl.nav.request_valid, TOC, player buttons)? Runs OP.1 on
 * a copy of the state and restores it: 1 valid (it delivers something or ends the session
 * as asked), 0 not valid.
 */
int seq_tree_nav_valid(struct seq_tree *t, enum seq_nav nav, const char *target);

enum seq_status {
    SEQ_STATUS_UNSET = 0,  /* the SCO did not set the element */
    SEQ_STATUS_UNKNOWN,    /* "unknown" */
    SEQ_STATUS_COMPLETED,  /* completion */
    SEQ_STATUS_INCOMPLETE, /* completion (also "not attempted") */
    SEQ_STATUS_PASSED,     /* success */
    SEQ_STATUS_FAILED,     /* success */
};

/** What a SCO reported for one objective (cmi.objectives.n) or the primary (cmi.*). */
struct seq_cmi_obj {
    const char *id; /* NULL for the primary objective */
    enum seq_status completion, success;
    int has_scaled, has_progress;
    double scaled, progress;
};

/** Run-time data of the current activity at Commit/Terminate (SCORM RTE 4th 4.2 ->
 *  SN 4.2 tracking model mapping). */
struct seq_cmi {
    struct seq_cmi_obj primary;
    const struct seq_cmi_obj *objectives;
    size_t n_objectives;
    int suspend;            /* cmi.exit == "suspend" */
    double session_seconds; /* cmi.session_time, added to the attempt duration */
};

/** Apply the current activity's run-time data (at Commit/Terminate, before the navigation
 *  request). Do not call it when the pending request is abandon/abandonAll: an abandoned
 *  attempt's data is discarded (SN 4th 4.4.1). SEQ_ERR_ARG when no activity is current. */
int seq_tree_report(struct seq_tree *t, const struct seq_cmi *cmi);

/**
 * Fix the clock the engine reads (us since the epoch) for the absolute durations, beginTimeLimit
 * and endTimeLimit (SN 4th UP.1, IMS SS 5.1.2); 0 returns to the wall clock (the default).
 * Tests and replays use it; the clock is not part of the saved state.
 */
void seq_tree_set_clock(struct seq_tree *t, long long now_us);

/** Identifier of the current activity (borrowed) or NULL. */
const char *seq_tree_current(const struct seq_tree *t);
/** Identifier of the suspended activity (borrowed) or NULL. */
const char *seq_tree_suspended(const struct seq_tree *t);
/** 1 when the last navigation ended the sequencing session. */
int seq_tree_ended(const struct seq_tree *t);

/**
 * One status per item (issue 15): the completion ("completed", "incomplete", "not attempted",
 * "unknown") and success ("passed", "failed", "unknown") of `item` wherever it is shown: the
 * table of contents (seq_tree_toc), the registration report's scos[] and through it the course
 * report (scorm_rt_registration_get). When t (may be NULL) holds a tracked activity `item`,
 * its tracking state decides (SN 4th 4.2.1: it holds what the SCO reported through the RTE ->
 * SN mapping and what the LMS set itself, e.g. completionSetByContent false); otherwise the
 * run-time's result does: rt_completion / rt_success, NULL when the SCO never ran. The strings
 * returned are static or the rt_ arguments.
 */
void seq_item_status(const struct seq_tree *t, const char *item, const char *rt_completion,
                     const char *rt_success, const char **completion, const char **success);

/**
 * Table of contents: *out (owned) = [{"item","title","depth","leaf","hidden","disabled",
 * "completion","success" (seq_item_status),
 * "current":bool}] in tree order. hidden: isvisible=false or a hiddenFromChoice pre-condition
 * rule fires; disabled: a choice request for the item would not be valid.
 */
int seq_tree_toc(struct seq_tree *t, cJSON **out);

/** Tracking state of one activity for tests and reports: *out (owned) JSON. */
int seq_tree_activity_json(const struct seq_tree *t, const char *item, cJSON **out);

/* ---- state (seq_state.c) ---------------------------------------------------------------- */

/** The whole tree state (every activity, objectives, globals, current/suspended) as JSON;
 *  *out owned by the caller. */
int seq_state_to_json(const struct seq_tree *t, cJSON **out);
/** Restore state written by seq_state_to_json onto a tree built from the same manifest.
 *  On failure (SEQ_ERR_STATE, diag names the path) the tree is unchanged. */
int seq_state_from_json(struct seq_tree *t, const cJSON *state, struct seq_diag *diag);

/**
 * Persist in LMDB: table "seq_state" keyed by registration (the tree state), table
 * "global_obj" keyed by "<learner>\x1f<objective id>" for the global objectives of an
 * organization whose objectivesGlobalToSystem is true (shared across the learner's
 * registrations); otherwise the globals stay in the registration's state.
 * seq_state_load returns SEQ_ERR_NOTFOUND when the registration has no state yet: the tree
 * then only gets the learner's shared global objectives, and, when nothing of it was attempted,
 * its selection/randomization seed is mixed with the registration id and the "once" selection
 * and randomization (SR.1, SR.2) are made again from it, so that two registrations differ even
 * with the same seed; saving that state keeps the order and the full 64-bit seed state.
 */
int seq_state_save(struct stmt_db *db, const char *registration, const char *learner,
                   const struct seq_tree *t);
int seq_state_load(struct stmt_db *db, const char *registration, const char *learner,
                   struct seq_tree *t, struct seq_diag *diag);
/** The same inside the caller's transaction (a write transaction for save): the SCORM commit
 *  derives the tracking in its own transaction (issue 15), and navigation loads and saves in
 *  one. Nothing is committed or aborted here. */
int seq_state_save_txn(struct stmt_db_txn *txn, const char *registration, const char *learner,
                       const struct seq_tree *t);
int seq_state_load_txn(struct stmt_db_txn *txn, const char *registration, const char *learner,
                       struct seq_tree *t, struct seq_diag *diag);

#endif
