/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scorm/ run-time: registrations, launch tokens, attempts and sessions, CMI validation and
 * persistence, and the SCORM -> xAPI bridge (DESIGN.md "Data flow" 4; reference/
 * scorm-runtime.md §3-§11; security.md §6).
 *
 * The data model is NOT described here: it is runtime_js/datamodel.json, the same file the
 * browser shim (runtime_js/scorm-api.js) validates with. scorm_rt_open() compiles it and every
 * committed value is checked again against it (server side, the shim's lenient mode unless
 * opts.strict), so the two can never disagree.
 *
 * Storage (tables of struct stmt_db):
 *   "registrations"  UUID                     -> {id, course, version, learner{id,name}, created,
 *                                                 credit, mode, strict, token_hash, token_expires}
 *   "tokens"         hex SHA-256 of the token -> {registration, expires, revoked}
 *   "cmi"            UUID "/" item id         -> per-SCO state of the current attempt:
 *                                                 {attempt, attempt_id, entry, values{flat},
 *                                                  total_cs, sessions, attempt_sessions,
 *                                                  time_all_cs, session, activity_attempt,
 *                                                  result{...}}
 *   "attempts"       UUID "/" item id "/" n   -> a finished attempt (values, total_cs, result)
 *   "sessions"       session UUID             -> {registration, sco, attempt, seq, open, entry,
 *                                                 session_cs, exit, started, ...}
 * (keys longer than the LMDB limit are replaced by the hex SHA-256 of the key.) These three
 * and "reg_contrib" are C structs with one codec each (scorm_rt_int.h, scorm_rt_rec.c).
 *
 * Threads: every function may be called from any thread; read-modify-write of one SCO's
 * state happens inside one LMDB write transaction (one writer at a time), so concurrent
 * commits of one session are serialised and the sequence check is exact.
 */
#ifndef SCORM_RT_H
#define SCORM_RT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "scorm/scorm.h"

struct stmt_db;
struct stmt_store;

/** Run-time codes (scorm.h uses -1..-99). */
enum scorm_rt_err {
    SCORM_RT_OK = 0,
    SCORM_RT_ERR_DATAMODEL = -100, /* datamodel.json unreadable or malformed */
    SCORM_RT_ERR_NOTFOUND = -101,  /* registration, course, SCO or session unknown */
    SCORM_RT_ERR_TOKEN = -102,     /* token unknown, for another registration, revoked */
    SCORM_RT_ERR_EXPIRED = -103,   /* token expired */
    SCORM_RT_ERR_PAYLOAD = -104,   /* commit body not {token, seq, final, changes} */
    SCORM_RT_ERR_ELEMENT = -105,   /* unknown data model element (2004 401) */
    SCORM_RT_ERR_READONLY = -106,  /* element read-only or a keyword (404) */
    SCORM_RT_ERR_VALUE = -107,     /* type mismatch, range, SPM, set rule (406/407/351/408) */
    SCORM_RT_ERR_CLOSED = -108,    /* the session has ended (a late commit: ignored) */
    SCORM_RT_ERR_ARG = -109,       /* bad argument (learner id empty, ...) */
    SCORM_RT_ERR_STORE = -110,     /* LMDB failure */
    SCORM_RT_ERR_NOMEM = -111,
    SCORM_RT_ERR_NOT_LAUNCHABLE = -112, /* the item has no launch (not a SCO or asset) */
    SCORM_RT_ERR_OTHER_REG = -113,      /* a valid token of another registration */
    SCORM_RT_ERR_SEQUENCING = -114,     /* the sequencing engine cannot build the course's tree */
};

/** Static English text for a scorm_rt code (falls back to scorm_strerror); never NULL. */
const char *scorm_rt_strerror(int code);

#define SCORM_RT_TOKEN_LEN 44            /* base64url of 32 random bytes, NUL included */
#define SCORM_RT_TOKEN_TTL_S (7 * 86400) /* default token lifetime */
#define SCORM_RT_MAX_CHANGES 5000        /* elements in one commit */
#define SCORM_RT_MAX_LEARNER_ID 255

/**
 * A statement sink (tests and tools without a statement store): called with statements of
 * the bridge outbox (scorm_outbox.c) after the call that produced them is durable, and again
 * for the same rows when an earlier call returned non-zero. stmts[i] stay owned by the
 * caller of the sink; 0 = taken (the rows are deleted).
 */
typedef int (*scorm_rt_emit_fn)(void *ctx, cJSON **stmts, size_t n);

struct scorm_rt_opts {
    int strict;                /* 1: spec-exact validation (conformance), 0: the shim's lenient */
    int64_t token_ttl_s;       /* 0 = SCORM_RT_TOKEN_TTL_S */
    const char *activity_base; /* IRI prefix for course/SCO activity ids, e.g.
                                  "http://127.0.0.1:8080/courses/" (copied) */
    const char *learner_home;  /* account homePage of learners (copied) */
    scorm_rt_emit_fn emit;
    void *emit_ctx;
    /* The statement store the bridge's statements go to (borrowed; must outlive the
     * run-time), with authority_json (copied) as their authority. Every call that produces
     * statements writes them as rows of "bridge_outbox" in its own transaction; the rows are
     * inserted right after it (scorm_rt_outbox_drain and the drainer thread of
     * scorm_rt_outbox_start insert what is left). NULL: the emit sink, if any. */
    struct stmt_store *store;
    const char *authority_json;
    int no_drain; /* tests: leave the rows (a crash right after the commit) */
};

struct scorm_rt;

/**
 * Compile the data model (the text of datamodel.json, len bytes, borrowed for the call) and
 * bind the run-time to db (borrowed; must outlive the run-time). *out owned: scorm_rt_close.
 * @return SCORM_RT_OK, SCORM_RT_ERR_DATAMODEL (diag says what is wrong), SCORM_RT_ERR_NOMEM.
 */
int scorm_rt_open(struct stmt_db *db, const char *datamodel_json, size_t len,
                  const struct scorm_rt_opts *opts, struct scorm_rt **out, struct scorm_diag *diag);
void scorm_rt_close(struct scorm_rt *rt);

/**
 * Create a registration of learner (id, name) for course `course`, pinned to the course's
 * current version, with a fresh launch token. *out (owned) is
 * {"registration": UUID, "course", "course_version", "token", "expires"}. The token is only
 * in this answer: the store keeps its SHA-256.
 * @return SCORM_RT_OK, SCORM_RT_ERR_NOTFOUND (no course), SCORM_RT_ERR_ARG, _STORE, _NOMEM.
 */
int scorm_rt_registration_create(struct scorm_rt *rt, const char *course, const char *learner_id,
                                 const char *learner_name, cJSON **out, struct scorm_diag *diag);
/**
 * The same with the registration's lesson mode ("normal", "browse", "review"; NULL = normal)
 * and credit ("credit", "no-credit"; NULL = credit): cmi.mode / cmi.core.lesson_mode and
 * cmi.credit / cmi.core.credit. In 1.2 browse mode a status left "not attempted" becomes
 * "browsed" at LMSFinish; with no-credit the mastery score is not applied.
 * SCORM_RT_ERR_ARG (diag names "mode" or "credit") for another value.
 */
int scorm_rt_registration_create_ex(struct scorm_rt *rt, const char *course, const char *learner_id,
                                    const char *learner_name, const char *mode, const char *credit,
                                    cJSON **out, struct scorm_diag *diag);

/** Options of a registration (scorm_rt_registration_create_opt). */
struct scorm_rt_reg_opts {
    const char *mode;   /* "normal" (NULL), "browse", "review": cmi.mode / cmi.core.lesson_mode */
    const char *credit; /* "credit" (NULL), "no-credit": cmi.credit / cmi.core.credit */
    int strict;         /* 1: spec-exact validation of every SetValue in the player's shim and of
                           every commit (the ADL conformance scripts); 0: the shim's lenient mode
                           (unless the run-time was opened with opts.strict) */
    int preview;        /* 1: a preview (the console's "preview" launch): its run-time works as
                           usual but the bridge writes no statements and it is in no list,
                           counter or learner record */
};

/**
 * scorm_rt_registration_create_ex with every option in o (borrowed; NULL = defaults). The
 * registration record keeps "strict"; scorm_rt_launch answers it to the player and
 * scorm_rt_commit validates with it.
 */
int scorm_rt_registration_create_opt(struct scorm_rt *rt, const char *course,
                                     const char *learner_id, const char *learner_name,
                                     const struct scorm_rt_reg_opts *o, cJSON **out,
                                     struct scorm_diag *diag);

/**
 * The registration's report: course-level completion, success, score, total time, attempt
 * count, and per SCO the current attempt's runtime data (with interactions and objectives)
 * and its result. *out owned. SCORM_RT_ERR_NOTFOUND when unknown.
 */
int scorm_rt_registration_get(struct scorm_rt *rt, const char *reg, cJSON **out);

/**
 * The course report (issue 14) over every registration of `course` (not previews):
 * {course, registrations, started, completed, passed, failed, completion_rate,
 * score{count, mean, min, max, histogram[10]}, time{median_s, p90_s}, scos[], objectives[],
 * interactions[]}. Read from the tallies the run-time keeps in its write transactions
 * (scorm_rt_report_keep.c): its cost does not grow with the data of the registrations. *out
 * owned. SCORM_RT_OK, SCORM_RT_ERR_ARG, SCORM_RT_ERR_STORE, SCORM_RT_ERR_NOMEM.
 */
int scorm_rt_course_report(struct scorm_rt *rt, struct stmt_db *db, const char *course,
                           cJSON **out);
/**
 * The same report computed from every registration's records (scorm_rt_report.c): the
 * reference the kept one is checked against (scolar check, tests). Its cost grows with the
 * registrations of the course.
 */
int scorm_rt_course_report_scan(struct scorm_rt *rt, struct stmt_db *db, const char *course,
                                cJSON **out);
/**
 * Compare the kept course report of every course with the computed one. Returns the number of
 * courses that differ (each described in report, a newline-separated text), or -1 with
 * SCORM_RT error in *err on a store failure.
 */
int scorm_rt_course_reports_check(struct scorm_rt *rt, struct stmt_db *db, char *report,
                                  size_t reportlen, int *err);
/** Rebuild the kept course reports from the registrations' records (scolar reindex). */
int scorm_rt_course_reports_rebuild(struct scorm_rt *rt, struct stmt_db *db);

/** Issue a new token for a registration (the old one stays valid until revoked or expired).
 *  token_out gets SCORM_RT_TOKEN_LEN bytes; *expires_us may be NULL. */
int scorm_rt_token_issue(struct scorm_rt *rt, const char *reg, char token_out[SCORM_RT_TOKEN_LEN],
                         int64_t *expires_us);
/** Revoke every token of a registration. SCORM_RT_ERR_NOTFOUND when unknown. */
int scorm_rt_token_revoke(struct scorm_rt *rt, const char *reg);
/**
 * Check that `token` is valid now for registration `reg` (constant-time hash comparison).
 * @return SCORM_RT_OK, SCORM_RT_ERR_TOKEN (unknown or revoked), SCORM_RT_ERR_OTHER_REG (a
 *         live token of another registration), SCORM_RT_ERR_EXPIRED, SCORM_RT_ERR_STORE.
 */
int scorm_rt_token_check(struct scorm_rt *rt, const char *reg, const char *token);

/**
 * What the player needs to draw the course: {"registration","course","course_version",
 * "scorm_version","title","learner","content_base": "/content/<course>/<version>/",
 * "items":[{"id","title","depth","launchable","href"?,"sco","isvisible","hide":[hideLMSUI],
 * "completion","success","score"?,"entry"}...] (tree order), "resume": item
 * id of the SCO to start with (the suspended one, else the first incomplete one)}. *out owned.
 */
int scorm_rt_player_state(struct scorm_rt *rt, const char *reg, cJSON **out);

/**
 * Launch item `sco` (item identifier) of the registration: ends a session of that SCO left
 * open (tab closed without Terminate: its data kept, the attempt resumes, scorm-runtime.md
 * §8), starts a session and decides entry/attempt. *out (owned) is {"session": UUID, "sco",
 * "href" (path under the course version's content folder, with parameters), "scorm_version",
 * "seq": 0, "strict": bool (the shim's strict mode: the registration's
 * or the run-time's), "initial": {flat element -> value, as the shim's opts.initial}}. The start
 * statement waits for scorm_rt_initialized() or the first commit.
 * @return SCORM_RT_OK, SCORM_RT_ERR_NOTFOUND, SCORM_RT_ERR_NOT_LAUNCHABLE, _STORE, _NOMEM.
 */
int scorm_rt_launch(struct scorm_rt *rt, const char *reg, const char *sco, cJSON **out,
                    struct scorm_diag *diag);

/**
 * The sequencing engine delivers item `sco` of the registration in its attempt number
 * `activity_attempt` (the activity's SN attempt count, >= 1; SN 4th DB.2). When the SCO's
 * data belongs to another attempt of the activity (e.g. it set cmi.exit = "suspend" and the
 * course attempt then ended with exitAll, so the activity starts over), that SCO attempt ends
 * (archived as by a non-suspend exit) and the next scorm_rt_launch is ab-initio with fresh
 * data (RTE 4th 4.2.7 cmi.entry); a resumed activity (same attempt) keeps it. Call it before
 * scorm_rt_launch of the delivery.
 * @return SCORM_RT_OK, SCORM_RT_ERR_ARG, SCORM_RT_ERR_NOTFOUND, _STORE, _NOMEM.
 */
int scorm_rt_delivered(struct scorm_rt *rt, const char *reg, const char *sco, int activity_attempt);

/**
 * The attempt on the whole course ended (SN 4th TB.2.3 exitAll: the player's Exit, or a SCO
 * that terminated with cmi.exit "time-out" / "logout", RTE 4th 4.2.8): every SCO attempt
 * still going (suspended with cmi.exit "suspend", or left open) ends with it, so each SCO's
 * next launch is ab-initio with fresh data. Only suspendAll keeps them.
 * @return SCORM_RT_OK, SCORM_RT_ERR_NOTFOUND, _STORE, _NOMEM.
 */
int scorm_rt_course_exited(struct scorm_rt *rt, const char *reg);

/**
 * The SCO of session `session` called Initialize (the player reports it): states initialized
 * (or resumed) once; a first commit does the same when this report is late or lost.
 * @return SCORM_RT_OK (also when already stated), SCORM_RT_ERR_NOTFOUND, SCORM_RT_ERR_CLOSED,
 *         SCORM_RT_ERR_STORE, SCORM_RT_ERR_NOMEM.
 */
int scorm_rt_initialized(struct scorm_rt *rt, const char *reg, const char *session);

/**
 * Apply one commit payload {token?, seq, final, changes{element: value}} (borrowed) of
 * session `session` of registration `reg`. Every change is validated against the data model
 * in order, as SetValue would (access, collections in order, type, range, SPM, dependencies,
 * uniqueness); one bad change rejects the whole commit and nothing is stored. A seq not above
 * the session's last one is a duplicate: nothing changes and *out says {"applied": false}.
 * final (Terminate/LMSFinish) closes the session: session_time added to total_time once,
 * 1.2 lesson_status rules and mastery score, 2004 status evaluation, the next entry
 * (resume after suspend, else a new attempt). *out (owned, may be NULL) is {"applied", "seq",
 * "final"}; on a rejected value diag.file holds the element and diag.code the SCORM error
 * code (401/404/406/407/351/408).
 * @return SCORM_RT_OK, SCORM_RT_ERR_NOTFOUND, SCORM_RT_ERR_CLOSED, SCORM_RT_ERR_PAYLOAD,
 *         SCORM_RT_ERR_ELEMENT, SCORM_RT_ERR_READONLY, SCORM_RT_ERR_VALUE, _STORE, _NOMEM.
 */
int scorm_rt_commit(struct scorm_rt *rt, const char *reg, const char *session, const cJSON *payload,
                    cJSON **out, struct scorm_diag *diag);

/**
 * Validate one SetValue of `element` = `value` for model "scorm12" or "scorm2004" against the
 * current flat values (borrowed). Returns 0 or the SCORM 2004 error code the shim would give
 * (401, 402, 404, 351, 406, 407, 408); why (may be NULL) gets a message. For tests and tools.
 */
int scorm_rt_dm_check(struct scorm_rt *rt, const char *model, const cJSON *values,
                      const char *element, const char *value, char *why, size_t whylen);

/* ---- shared data (scorm_rt_data.c; CAM 4th 3.4.1.13-14, RTE 4th 4.3) ----
 * Table "shared_data". An organization with sharedDataGlobalToSystem true (the default) shares
 * a store per learner and targetID across all registrations and courses; "false" gives each
 * attempt on the course (the root activity's attempt count in the registration's sequencing
 * state) its own stores, so a new attempt starts empty and a resumed one keeps them.
 * scorm_rt_launch puts the SCO's stores in initial["adl.data"]; scorm_rt_commit writes
 * "adl.data.<n>.store" changes through scorm_rt_data_set's rules in the commit transaction. */

/**
 * The shared data of item `item` (an ITEM of the course tree, scorm.h) of organization `org`
 * (both borrowed) for learner id `learner` / registration `registration`: *out (owned) is
 * [{"id": targetID, "store"?: value (absent: never written), "read": readSharedData,
 * "write": writeSharedData}] in adlcp:map order, the shape the shim's initial["adl.data"]
 * takes; [] for an item without adlcp:data.
 * @return SCORM_RT_OK, SCORM_RT_ERR_ARG (no learner / registration for the scope), _STORE,
 *         _NOMEM.
 */
int scorm_rt_data_entries(struct stmt_db *db, const cJSON *org, const cJSON *item,
                          const char *learner, const char *registration, cJSON **out);

/**
 * SetValue of `element` ("adl.data.<n>.store") = `value` for the same item and scope, as the
 * commit applies it: n must be one of the item's adlcp:map (else 351), the map must allow
 * writing (writeSharedData="false": 404; adl.data.n.id and keywords: 404), value at most
 * value_max characters (0: no limit; else 351). "" removes the store (GetValue: 403).
 * On a refused value diag->code is the SCORM 2004 error code and diag->file the element.
 * @return SCORM_RT_OK, SCORM_RT_ERR_ELEMENT (401), SCORM_RT_ERR_READONLY (404),
 *         SCORM_RT_ERR_VALUE (351), SCORM_RT_ERR_ARG, SCORM_RT_ERR_STORE.
 */
int scorm_rt_data_set(struct stmt_db *db, const cJSON *org, const cJSON *item, const char *learner,
                      const char *registration, const char *element, const char *value,
                      size_t value_max, struct scorm_diag *diag);

/* ---- console lists (scorm_rt_index.c) ----
 * A page is {"items": [...], "total", "offset", "limit"} (limit at most 500), owned by the
 * caller. A registration item is {"registration", "learner": {"id","name"}, "course",
 * "course_title", "course_version", "completion", "success", "score" (mean scaled score or
 * null), "total_time" (ISO 8601 duration), "last_access" (ISO or null), "created"}, newest
 * first; the figures are the run-time's aggregate kept by each commit. */

/** A course's registrations; q (may be NULL) keeps those whose learner id or name contains it
 *  (case-insensitive). Preview registrations are not listed. */
int scorm_rt_course_registrations(struct scorm_rt *rt, const char *course, const char *q,
                                  size_t offset, size_t limit, cJSON **out);
/** Learners {"id","name","registrations"} by id; q filters on id or name. */
int scorm_rt_learners(struct scorm_rt *rt, const char *q, size_t offset, size_t limit, cJSON **out);
/** {"id","name","registrations": [items], "total", "offset", "limit"}; SCORM_RT_ERR_NOTFOUND. */
int scorm_rt_learner_get(struct scorm_rt *rt, const char *learner, size_t offset, size_t limit,
                         cJSON **out);
/** Clear the registration's run-time data (every SCO's data and attempts, the sequencing
 *  state); the registration, its tokens and its statements stay. SCORM_RT_ERR_NOTFOUND. */
int scorm_rt_registration_reset(struct scorm_rt *rt, const char *reg);
/** Delete the registration, its run-time data and tokens (statements stay). */
int scorm_rt_registration_delete(struct scorm_rt *rt, const char *reg);

/* ---- the bridge outbox (scorm_outbox.c) ----
 * Table "bridge_outbox": be64(us) be16(n) statement id -> statement JSON (with its id);
 * "bridge_outbox_dead": rows the store refused for good (conflict, invalid). */

/** Every row becomes a statement (stmt_store_insert, a no-op for a statement already stored
 *  with the same content) and is deleted; call at start-up before serving. *stored (may be
 *  NULL) the rows handled. SCORM_RT_OK, _STORE (the store failed: rows stay), _NOMEM. */
int scorm_rt_outbox_drain(struct scorm_rt *rt, size_t *stored);
/** Start the drainer thread (stopped by scorm_rt_close): deletes the rows of inserted
 *  statements in batches and retries rows older than 2 s every 0.5 s. */
int scorm_rt_outbox_start(struct scorm_rt *rt);
/** Rows waiting and dead rows (dead may be NULL). */
int scorm_rt_outbox_count(struct scorm_rt *rt, size_t *rows, size_t *dead);
/** The same on a store without a run-time (scolar check). */
int scorm_outbox_count(struct stmt_db *db, size_t *rows, size_t *dead);

/* ---- scolar check (scorm_check.c) ---- */
struct stmt_store;
/** What scorm_check_statements found. */
struct scorm_check {
    size_t registrations; /* registration summaries read */
    size_t completed;     /* SCOs reported completed (table reg_summary) */
    size_t open;          /* of those, in a session never terminated: no statement yet */
    size_t pending;       /* of those, whose completed statement waits as an outbox row */
    size_t missing;       /* of those, with no completed statement: findings */
    size_t unreadable;    /* run-time records their codec refuses: findings */
    size_t rows, dead;    /* bridge outbox rows waiting / refused by the store (findings) */
};
/**
 * The SCORM run-time data against its statements (issue 15): every SCO a registration's
 * summary reports completed has its "completed" bridge statement (context.registration, the
 * SCO's activity) in the store or waiting as an outbox row, unless its session is still open;
 * dead outbox rows are counted. *report (owned, sc_free) gets one line per finding (at most 20
 * missing statements named). The check is a finding when missing, unreadable or dead is not 0.
 * @return SCORM_RT_OK, SCORM_RT_ERR_STORE, SCORM_RT_ERR_NOMEM (then *report is NULL).
 */
int scorm_check_statements(struct stmt_db *db, struct stmt_store *st, struct scorm_check *res,
                           char **report);

/**
 * Wait (at most timeout_ms) until session `session` of reg has applied the commit with
 * sequence number seq, or has ended: a navigation request carries the last commit seq the
 * player sent, which a beacon on unload may deliver after the request (issue 15). *arrived
 * is 0 when the wait timed out. Unknown sessions and seq < 1 return at once. SCORM_RT_OK.
 */
int scorm_rt_commit_wait(struct scorm_rt *rt, const char *reg, const char *session, double seq,
                         int timeout_ms, int *arrived);

/* ---- navigation (scorm_rt_nav.c; docs/sequencing.md) ---- */

/* SCORM_RT_NAV_PLAYER: a SCORM 1.2 course, or a 2004 one whose tree the engine cannot build,
 * answers {"sequencing": false} (the player keeps its tree order). */
#define SCORM_RT_NAV_PLAYER 1

/**
 * A navigation request of registration reg through the SCORM 2004 sequencing engine (SN 4th
 * OP.1): body {"request", "target"?, "session"?, "commit_seq"?} (borrowed; the request first
 * waits, at most 3 s, for the commit commit_seq of session, scorm_rt_commit_wait; a "cmi"
 * member is refused: the commits derive the tracking, issue 15); when that session's SCO exited
 * with "time-out" or "logout" the request becomes exitAll (RTE 4th 4.2.8); load the sequencing
 * state, navigate and save in one write transaction, end the course attempt after exitAll and
 * follow a delivery's attempt (scorm_rt_course_exited, scorm_rt_delivered). "report" changes
 * nothing (unless it becomes exitAll) and answers as a navigation would.
 * Requests of one learner are serialised (global objectives are the learner's).
 * @return SCORM_RT_OK with *answer (owned) set; else *answer is NULL and emsg says why:
 *         SCORM_RT_ERR_PAYLOAD (the field and the rule), _NOTFOUND, _SEQUENCING, _STORE,
 *         _NOMEM. warn (may be NULL) gets a problem that did not fail the request (to log).
 */
int scorm_rt_navigate(struct scorm_rt *rt, const char *reg, const cJSON *body, int flags,
                      cJSON **answer, char *emsg, size_t elen, char *warn, size_t wlen);

/* ---- time (centiseconds; Y = 365 d, M = 30 d as the shim) ---- */
/** ISO 8601 duration -> centiseconds; -1 when malformed. */
int64_t scorm_rt_duration_cs(const char *s);
/** CMITimespan HHHH:MM:SS.SS -> centiseconds; -1 when malformed. */
int64_t scorm_rt_timespan12_cs(const char *s);
/** Format cs as an ISO 8601 duration as the shim does: days, non-zero parts only ("PT1H3.04S",
 * "P2DT5M"; "PT0H0M0S" for 0). */
void scorm_rt_cs_duration(int64_t cs, char *out, size_t outlen);
/** Format cs as a CMITimespan "HHHH:MM:SS.SS". */
void scorm_rt_cs_timespan12(int64_t cs, char *out, size_t outlen);

#endif
