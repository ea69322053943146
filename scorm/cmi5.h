/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scorm/cmi5: the LMS side of cmi5 (the xAPI profile for launched content; spec in
 * ../shared/specs/cmi5/cmi5_spec.md, "Quartz" edition). This header is the whole interface:
 *
 *  - import (cmi5_course.c): a course structure (cmi5.xml, spec 13) alone or in a zip
 *    (spec 14), checked against the course structure XSD (element order, attribute types) and
 *    the rules of sections 3, 8.1 and 13 (absolute IRIs, unique ids, AU URLs, reserved launch
 *    parameters); files are extracted to DATA/cmi5/<course>/; the course is a record of table
 *    cmi5_courses.
 *  - launch (cmi5_launch.c): registrations (table cmi5_regs), sessions (cmi5_sessions), the
 *    launch URL (spec 8.1), the one-time fetch URL and its auth token (8.2), LMS.LaunchData
 *    (10), the LMS's statements launched, abandoned, waived and satisfied (9.3), moveOn (moveOn
 *    section 10.2.5 and 9.3.9), NotApplicable at registration.
 *  - statement rules (cmi5_rules.c): what an AU session may write (spec 9 and 10: state
 *    machine, verbs, results, context), each refusal a message naming the rule.
 *
 * Threads: any function from any thread. Writes of one registration are serialised by a lock
 * inside struct cmi5 (from cmi5_statements_check to cmi5_plan_finish).
 */
#ifndef SCORM_CMI5_H
#define SCORM_CMI5_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct stmt_db;
struct stmt_store;
struct stmt_row;

enum cmi5_err {
    CMI5_OK = 0,
    CMI5_ERR_NOMEM = -1,
    CMI5_ERR_INVALID = -2,  /* the course structure or package breaks a rule (diag says which) */
    CMI5_ERR_NOTFOUND = -3, /* no such course, registration, session or AU */
    CMI5_ERR_STORE = -4,    /* LMDB or statement store failure */
    CMI5_ERR_IO = -5,       /* file system */
    CMI5_ERR_REFUSED = -6,  /* a statement or document refused by a cmi5 rule (HTTP 403) */
    CMI5_ERR_ARG = -7,      /* a bad argument from the API caller (HTTP 400) */
    CMI5_ERR_STATE = -8,    /* not now: terminated session, satisfied AU... (HTTP 409) */
};
const char *cmi5_strerror(int code);

/** Why: the spec requirement id when there is one ("13.1.4.0-2"), the element or field, and a
 *  message naming the rule. */
struct cmi5_diag {
    char rule[32];
    char where[256];
    char msg[512];
};

#define CMI5_MAX_XML (4u << 20)
#define CMI5_MAX_AUS 10000

struct cmi5;

/** Settings: endpoint is the xAPI endpoint given to AUs (no trailing slash), fetch_base the
 *  prefix of fetch URLs (API origin + "/cmi5/fetch/"), content_base the prefix that serves
 *  extracted package files (content origin + "/cmi5/content/"). Copied. */
struct cmi5_opts {
    const char *endpoint;
    const char *fetch_base;
    const char *content_base;
    const char *learner_home; /* account.homePage for learners given by id */
};
int cmi5_open(struct stmt_db *db, struct stmt_store *store, const struct cmi5_opts *o,
              struct cmi5 **out);
void cmi5_close(struct cmi5 *c);

/* ---- courses (cmi5_course.c) ---- */
/** 1 when the bytes look like a cmi5 course: a zip holding cmi5.xml at its root and no
 *  imsmanifest.xml, or an XML document whose root element is courseStructure. */
int cmi5_sniff(const void *buf, size_t len);
/**
 * Import a course: is_zip 1 for a package (cmi5.xml at the root, spec 14.1), 0 for a bare
 * course structure XML (every AU URL must then be absolute, 14.2). On success *out (owned) =
 * the course record (see cmi5_course_get). On CMI5_ERR_INVALID diag names the rule and
 * element; nothing is stored.
 */
int cmi5_course_import(struct cmi5 *c, const void *buf, size_t len, int is_zip, cJSON **out,
                       struct cmi5_diag *diag);
/** Check a bare course structure (as cmi5_course_import with is_zip 0, storing nothing):
 *  *out (owned) = {"publisherId","title","description","blocks","aus","objectives"}. For
 *  tests and the fuzz target. */
int cmi5_structure_check(const void *xml, size_t len, cJSON **out, struct cmi5_diag *diag);
/** The record: {"id","type":"cmi5","title","publisherId","activityId","created",
 *  "blocks":[{"index","publisherId","activityId","title","parent"}],
 *  "aus":[{"index","publisherId","activityId","title","url","moveOn","masteryScore"?,
 *  "launchMethod","launchParameters"?,"entitlementKey"?,"blocks":[index...]}],
 *  "registrations"}. *out owned. CMI5_ERR_NOTFOUND. */
int cmi5_course_get(struct cmi5 *c, const char *id, cJSON **out);
int cmi5_course_exists(struct cmi5 *c, const char *id);
/** Delete course, files; CMI5_ERR_STATE while registrations exist (unless force). */
int cmi5_course_delete(struct cmi5 *c, const char *id, int force);
/** [{"id","title","type":"cmi5","aus","registrations","created"}] (owned). */
int cmi5_course_list(struct cmi5 *c, cJSON **out);
/** Directory of a course's extracted files (DATA/cmi5/<id>); 0 or CMI5_ERR_NOTFOUND. */
int cmi5_course_dir(struct cmi5 *c, const char *id, char *out, size_t outlen);
struct scorm_content;
/** Open file `path` (scorm_content_path_ok) of course id's package for reading through
 *  scorm_content.h (size, type, ETag, read at any offset; scorm_content_close): DATA/cmi5/<id>/
 *  on LMDB, rows of the store on PostgreSQL (cmi5_content.c). CMI5_ERR_NOTFOUND (no such course
 *  or file), _NOMEM, _IO, _STORE. */
int cmi5_content_open(struct cmi5 *c, const char *id, const char *path, struct scorm_content **out);
/** `scolar copy-store` between an LMDB and a PostgreSQL store (lrs/cmd_copy.c): the package
 *  files of every cmi5 course of `from` with "package": true, DATA/cmi5/<id>/ of an LMDB store
 *  <-> the content rows under "cmi5:<id>" on PostgreSQL, after the course records were copied.
 *  Into PostgreSQL one write transaction per course (stored as the import stores them, blobs
 *  deduplicated, rows of an earlier try replaced); into LMDB a temporary folder renamed into
 *  place (one there already is replaced), so running it again (--resume) gives the same rows
 *  or files. *courses = the courses converted. CMI5_OK, or a CMI5_ERR_* with err naming the
 *  course and the file. Both stores of one kind: CMI5_ERR_ARG. */
int cmi5_content_convert(struct stmt_db *from, struct stmt_db *to, size_t *courses, char *err,
                         size_t errlen);

/* ---- registrations and launch (cmi5_launch.c) ---- */
/**
 * Create (or, when reg_id names an existing registration of the same course and actor, reuse)
 * a registration. actor is the learner Agent (borrowed; an account IFI is required, spec
 * 9.2.0.0-3). NotApplicable AUs are satisfied at creation, with the blocks and course they
 * satisfy (9.3.9, moveOn NotApplicable). *out (owned) = the registration report; *created 1
 * when new.
 */
int cmi5_registration_create(struct cmi5 *c, const char *course, const cJSON *actor,
                             const char *reg_id, cJSON **out, int *created, struct cmi5_diag *diag);
/** 0 when token is the launch-link token of reg (the console's links, GET /cmi5/launch/...),
 *  else CMI5_ERR_NOTFOUND. */
int cmi5_link_check(struct cmi5 *c, const char *reg, const char *token);
/** A new launch-link token of reg in token (the registration keeps only its SHA-256; the
 *  links made before stop working). The report of cmi5_registration_create carries the first
 *  one as "link_token"; no other read gives it back. CMI5_ERR_NOTFOUND. */
int cmi5_link_new(struct cmi5 *c, const char *reg, char token[33]);
/** cmi5_link_new in two steps, so that a caller can build its answer with the token before
 *  the old links stop working: a new random token (nothing stored; CMI5_ERR_IO), then store
 *  it as reg's (CMI5_ERR_NOTFOUND, _NOMEM, _STORE). */
int cmi5_link_token(char token[33]);
int cmi5_link_set(struct cmi5 *c, const char *reg, const char *token);
/** 1 when reg is a cmi5 registration. */
int cmi5_registration_exists(struct cmi5 *c, const char *reg);
/** {"registration","course","actor","created","satisfied","aus":[{"index","title",
 *  "moveOn","completed","passed","failed","waived","satisfied","sessions"}],"blocks":[...],
 *  "sessions":[{"session","au","launchMode","state","launched"}]}. */
int cmi5_registration_get(struct cmi5 *c, const char *reg, cJSON **out);
/** Registrations of a course, newest first: [{"registration","actor","satisfied",...}]. */
int cmi5_registration_list(struct cmi5 *c, const char *course, cJSON **out);
int cmi5_registration_delete(struct cmi5 *c, const char *reg);

/** Launch options; NULL fields take defaults. */
struct cmi5_launch_opts {
    const char *launch_mode; /* "Normal" (default), "Browse", "Review" (spec 10.2.2) */
    const char *return_url;  /* LMS.LaunchData returnURL, optional */
};
/**
 * A new session of AU au (index in document order) of registration reg: abandons the
 * registration's open session of that AU first (9.3.6), writes LMS.LaunchData (10) and the
 * launched statement (9.3.1), and returns *out (owned) {"session","launch_url","fetch_url",
 * "launchMethod"}.
 */
int cmi5_launch(struct cmi5 *c, const char *reg, int au, const struct cmi5_launch_opts *o,
                cJSON **out, struct cmi5_diag *diag);

/** The fetch URL (spec 8.2): session and key from the URL. Fills *json (owned) with the answer
 *  document: {"auth-token": ...} the first time, {"error-code","error-text"} after (8.2.3). */
int cmi5_fetch(struct cmi5 *c, const char *session, const char *key, cJSON **json);

/** Authorization of an xAPI request by a session's auth token (Basic key:secret). Returns
 *  1 and fills session (37 bytes) when key is a cmi5 key and the secret matches a live session;
 *  0 when key is not a cmi5 key; -1 when it is one but refused (unknown, terminated,
 *  abandoned: 8.1.2.0-2). */
int cmi5_auth(struct cmi5 *c, const char *key, const char *secret, char session[37]);
/** The session's actor (owned JSON) and AU activity id / registration (copied). */
int cmi5_session_info(struct cmi5 *c, const char *session, cJSON **actor, char *activity,
                      size_t alen, char *reg, size_t rlen);

/** Abandon a session (9.3.6): writes abandoned with the duration since launch. */
int cmi5_abandon(struct cmi5 *c, const char *session, struct cmi5_diag *diag);
/** Waive AU au of reg (9.3.7) with reason (Tested Out, Equivalent AU, Equivalent Outside
 *  Activity, Administrative), then the satisfied statements it causes. */
int cmi5_waive(struct cmi5 *c, const char *reg, int au, const char *reason, struct cmi5_diag *diag);

/* ---- the statement rules (cmi5_rules.c) ---- */
struct cmi5_plan;
/**
 * Check the statements an AU session sends (validated, normalized xAPI statements; ids set for
 * PUT) against spec 9 and 10, in order. On CMI5_OK *extra (owned array, may be empty) holds the
 * LMS's statements to store after them in the same batch (satisfied, 9.3.9) and *plan the
 * session and registration changes; *at is where *extra belongs in the batch (the index after
 * the statement that satisfied the AU, 9.3.9; n when nothing was satisfied); the registration
 * stays locked until cmi5_plan_finish.
 * CMI5_ERR_REFUSED with diag naming the rule: nothing to do.
 */
int cmi5_statements_check(struct cmi5 *c, const char *session, cJSON *const *stmts, size_t n,
                          cJSON **extra, size_t *at, struct cmi5_plan **plan,
                          struct cmi5_diag *diag);
/** The session and registration records of the plan as rows for stmt_store_insert_rows, so
 *  the writer stores them in the batch's transaction (*rows borrowed from the plan, valid until
 *  cmi5_plan_finish). 0 or CMI5_ERR_NOMEM. */
int cmi5_plan_rows(struct cmi5_plan *plan, const struct stmt_row **rows, size_t *n);
struct stmt_db_txn;
/** The console's summary and course counter of the plan's registration, for
 *  stmt_store_insert_fn (ctx: the plan): run by the writer in the batch's transaction. */
int cmi5_plan_index(struct stmt_db_txn *txn, void *plan);
/** stored 1: the batch was stored (with the rows of cmi5_plan_rows, else the records are
 *  written now); 0: drop the plan. Unlocks, frees. */
int cmi5_plan_finish(struct cmi5 *c, struct cmi5_plan *plan, int stored);

/** Document rules for a session (spec 10.2 and 11): kind 1 State, 3 Agent Profile; write 1
 *  for PUT/POST/DELETE; id the stateId/profileId (NULL: all); agent_ifi the request's agent;
 *  ctype and body for writes. CMI5_ERR_REFUSED with diag, or CMI5_OK. A read of the learner
 *  preferences is remembered (11.0.0.0-3: before initialized). */
int cmi5_document_check(struct cmi5 *c, const char *session, int kind, int write, const char *id,
                        const char *agent_ifi, const char *ctype, const void *body, size_t len,
                        struct cmi5_diag *diag);

#endif
