/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the scorm/ run-time files (scorm_rt_*.c, scorm_bridge.c). */
#ifndef SCORM_RT_INT_H
#define SCORM_RT_INT_H

#include <pthread.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/sc_rand.h"
#include "scorm/scorm_rt.h"

/** The compiled datamodel.json (immutable after scorm__dm_compile). */
struct scorm__dm {
    cJSON *root;
    cJSON *types, *itypes, *itypes12, *vocab;
    regex_t re12[8]; /* interaction_types_12 regexes, in itypes12 order (strict 1.2 feedback) */
    const cJSON *re12_type[8];
    int n_re12;
};

/* Parsed course version records, shared read-only by the requests (a commit would otherwise
 * parse the whole course tree again); an entry is used only while the stored record still
 * hashes the same, so a deleted and re-imported course id never serves a stale tree. */
#define SCORM__TREE_CACHE 32
struct scorm__tree_entry {
    char key[SCORM_MAX_COURSE_ID + 16];
    uint64_t hash;
    size_t len;
    cJSON *ver; /* owned by the cache; never modified once inserted */
    int refs;   /* requests using it: an entry is replaced only at refs == 0 */
};

struct scorm_rt {
    pthread_mutex_t cache_lock;
    struct scorm__tree_entry cache[SCORM__TREE_CACHE];
    struct stmt_db *db;
    struct scorm__dm dm;
    int strict;
    int64_t token_ttl_s;
    char *activity_base;
    char *learner_home;
    scorm_rt_emit_fn emit;
    void *emit_ctx;
    struct stmt_store *store; /* where the bridge outbox goes (scorm_outbox.c); may be NULL */
    char *authority;          /* authority JSON of the bridge's statements (owned) */
    int no_drain;             /* tests: rows wait for scorm_rt_outbox_drain (a crash) */
    /* the bridge outbox (scorm_outbox.c): queued row deletions and the drainer thread */
    int obx_inited;
    pthread_mutex_t obx_lock;
    pthread_cond_t obx_cond;
    pthread_t obx_thread;
    int obx_running, obx_stop;
    unsigned char (*obx_done)[46];
    size_t obx_ndone, obx_cap;
    /* broadcast (under obx_lock) after every applied commit: a navigation request waits on it
     * for the commits the player sent before it (scorm_rt_commit_wait) */
    pthread_cond_t commit_cond;
};

int scorm__dm_compile(struct scorm__dm *dm, const char *json, size_t len, struct scorm_diag *diag);
void scorm__dm_free(struct scorm__dm *dm);

/* ---- scorm_rt_dm_kind.c: one value against its datamodel.json type ---- */
/** Characters (UTF-8 code points) in s. */
size_t scorm__dm_char_len(const char *s);
/** 1 when the n bytes at s are all ASCII digits (n > 0). */
int scorm__dm_all_digits(const char *s, size_t n);
/** 1 when v is one of the strings of arr. */
int scorm__dm_in_values(const cJSON *arr, const char *v);
/** 1 and *out set when t[name] is a number. */
int scorm__dm_num_field(const cJSON *t, const char *name, double *out);
/** Validate v against type t (the shim's Validator.check): 0, or the SCORM error code (406,
 *  407...). itype is the interaction type for responses (may be NULL). */
int scorm__dm_check_type(const struct scorm__dm *dm, int strict, const cJSON *t, const char *v,
                         const char *itype);

/** The _count of every collection prefix present in values: {"cmi.interactions": 3, ...}. */
cJSON *scorm__dm_counts(const cJSON *values);

/**
 * Validate `path` = `value` as a SetValue of model ("scorm12"/"scorm2004") against values and
 * counts, and on success store it in both (values and counts are modified). Returns 0 or the
 * 2004 error code (401, 402, 404, 351, 406, 407, 408); why gets the reason.
 */
int scorm__dm_set(const struct scorm__dm *dm, const char *model, int strict, cJSON *values,
                  cJSON *counts, const char *path, const char *value, char *why, size_t whylen);

/** Read a string member (NULL when absent or not a string). */
const char *scorm__jstr(const cJSON *o, const char *name);
/** Replace or add member name with n (consumed; NULL: nothing), without the unchecked key copy
 *  of cJSON_ReplaceItemInObject. */
void scorm__jset(cJSON *o, const char *name, cJSON *n);
/** Replace or add a string / number member. */
void scorm__jset_str(cJSON *o, const char *name, const char *v);
void scorm__jset_num(cJSON *o, const char *name, double v);
void scorm__jset_bool(cJSON *o, const char *name, int v);

/* ---- scorm_rt_data.c (shared data, adl.data) ---- */
struct stmt_db_txn;
/** scorm_rt_data_entries inside the caller's transaction. */
int scorm__data_entries(struct stmt_db_txn *txn, const cJSON *org, const cJSON *item,
                        const char *learner, const char *reg, cJSON **out);
/** scorm_rt_data_set inside the caller's write transaction (nothing written on failure). */
int scorm__data_set(struct stmt_db_txn *txn, const cJSON *org, const cJSON *item,
                    const char *learner, const char *reg, const char *path, const char *value,
                    size_t value_max, struct scorm_diag *diag);

/* ---- scorm_rt_index.c (console lists; see its header) ---- */
/** Index a new registration record (not a preview) inside the creating transaction. */
int scorm__index_reg_add(struct stmt_db_txn *txn, const cJSON *reg);
/** Take a registration out of the indexes (reg_by_course, reg_by_learner, the counters of its
 *  course and learner) inside the deleting transaction. */
int scorm__index_reg_remove(struct stmt_db_txn *txn, const char *course, const char *lid,
                            int64_t created, const char *reg);
/** The course-level outcome of a registration kept apart from the run-time (cmi5). */
struct scorm__reg_outcome {
    int completion; /* enum scorm__completion */
    int success;    /* enum scorm__success */
    int has_score;
    double score;            /* mean scaled score */
    double total_time_cs;    /* < 0: unchanged */
    const char *last_access; /* ISO 8601, NULL: unchanged */
};
/** Set that outcome in an indexed registration's summary; its course's completed counter
 *  follows. A registration without a summary (not indexed) is left alone. When was is not
 *  NULL it gets the completion and success before (the new ones when not indexed). */
int scorm__index_reg_outcome(struct stmt_db_txn *txn, const char *course, const char *reg,
                             const struct scorm__reg_outcome *now, int was[2]);
/** The keys of table that are 36 bytes long (UUIDs), in key order: *ids (owned, sc_free) and
 *  *n. SCORM_RT_OK, _NOMEM or _STORE (then *ids is NULL). */
int scorm__uuid_keys(struct stmt_db_txn *txn, const char *table, char (**ids)[SC_UUID_LEN],
                     size_t *n);
/** Index the registrations of a store written before the console's tables, once (a marker
 *  in course_stats). */
int scorm__index_migrate(struct stmt_db *db);
/** Update the registration's summary (and its course's completed counter) from the SCO
 *  record `rec` of item `sco` after a commit, inside the commit's transaction. */
struct scorm__sco_rec;
int scorm__summary_commit(struct stmt_db_txn *txn, const cJSON *reg, const cJSON *org,
                          const char *sco, const struct scorm__sco_rec *rec);

/* ---- scorm_rt_report_keep.c (the course report kept by the writes; see its header) ---- */
/** A new registration (not a preview) of the course version whose tree is `tree`. */
int scorm__report_reg_add(struct stmt_db_txn *txn, const cJSON *reg, const cJSON *tree);
/** SCO `sco` of registration `reg` now has the record `rec` (written in txn); t (may be NULL)
 *  is the registration's sequencing tracking, which decides the SCO's status (seq_item_status). */
struct seq_tree;
int scorm__report_sco(struct stmt_db_txn *txn, const cJSON *reg, const char *sco,
                      const struct scorm__sco_rec *rec, const struct seq_tree *t);
/** Registration reg's data was cleared (reset; del = 0) or it was deleted (del = 1). */
int scorm__report_reg_clear(struct stmt_db_txn *txn, const char *reg, int del);
/** Build the kept course reports from every registration's records, in txn. */
int scorm__report_rebuild_txn(struct stmt_db_txn *txn);
/** Build them once for a store written before they existed (a marker in course_report). */
int scorm__report_migrate(struct stmt_db *db);

/* ---- scorm_rt_reg.c: a JSON record of table in txn (NOTFOUND, STORE, NOMEM) ---- */
int scorm__rt_put(struct stmt_db_txn *txn, const char *table, const char *key, const cJSON *j);
int scorm__rt_get(struct stmt_db_txn *txn, const char *table, const char *key, cJSON **out);
/** The stored text of key in table (borrowed until the next write in txn). */
int scorm__rt_raw(struct stmt_db_txn *txn, const char *table, const char *key, const void **v,
                  size_t *vl);

/* ---- scorm_bridge.c: the activity IRI the bridge writes: base + course [/ sco] [/ kind / leaf],
 *      each segment percent-encoded (NULL when out of memory) ---- */
char *scorm__activity_iri(const char *base, const char *course, const char *sco, const char *kind,
                          const char *leaf) __attribute__((warn_unused_result));

/* ---- scorm_rt_session.c helpers shared with the report ---- */
#define SCORM__SCO_KEY_MAX 484
/** The key of a SCO's record ("cmi", attempt 0) or of one of its archived attempts. */
void scorm__sco_key(char *out, size_t outlen, const char *reg, const char *sco, int attempt);
/** Group flat "cmi.interactions.N.x" values under prefix into [{id, type, ...}]. */
cJSON *scorm__collect(const cJSON *values, const char *prefix);

/* ---- scorm_outbox.c (the bridge outbox; see its header) ---- */
#define SCORM__OBX_KEY 46 /* be64 time, be16 index, statement id (36) */
/** The rows one call wrote (their keys, in the order of its statement array). */
struct scorm__obx {
    unsigned char (*key)[SCORM__OBX_KEY];
    size_t n;
};
int scorm__outbox_init(struct scorm_rt *rt);
void scorm__outbox_fini(struct scorm_rt *rt);
/**
 * Inside the call's write transaction: validate the statements of the array stmts, give
 * each its id and write it as an outbox row; ob gets the keys (free with scorm__obx_free or
 * scorm__outbox_sent). fails0 is sc_alloc_failures() when the call began: a statement that
 * fails validation after an allocation failed is SCORM_RT_ERR_NOMEM (a part may be missing),
 * else it is left out. SCORM_RT_OK, _NOMEM, _STORE (the caller aborts).
 */
/* scorm_events.c: registration.completed/passed/failed events of a call's bridge statements,
 * in its transaction (issue 17). SCORM_RT_OK or an error. */
int scorm__outbox_events(struct scorm_rt *rt, struct stmt_db_txn *txn, const cJSON *stmts);
/* scorm_events.c: the same events for a registration whose outcome is kept apart from the
 * run-time (cmi5): registration.completed when its completion becomes completed,
 * registration.passed / .failed when its success becomes so (was: completion and success
 * before, as scorm__index_reg_outcome gives them), in the changing transaction. learner is
 * {"id","name"} or NULL. SCORM_RT_OK or an error. */
int scorm__outcome_events(struct stmt_store *st, struct stmt_db_txn *txn, const char *reg,
                          const char *course, const cJSON *learner, const int was[2],
                          int completion, int success);
int scorm__outbox_put(struct scorm_rt *rt, struct stmt_db_txn *txn, cJSON *stmts, long fails0,
                      struct scorm__obx *ob);
/** After the transaction is durable: the statements go to the store now and their rows are
 *  queued for deletion (rows whose insert fails stay for the drainer). Frees ob. */
void scorm__outbox_sent(struct scorm_rt *rt, cJSON *stmts, struct scorm__obx *ob);
void scorm__obx_free(struct scorm__obx *ob);
/** After a commit of session is durable: wake the navigation requests waiting for it. */
void scorm__commit_done(struct scorm_rt *rt);

/* ---- scorm_bridge.c ---- */
/** Context of one SCO for statements. All strings borrowed. */
struct scorm__bridge_ctx {
    const struct scorm_rt *rt;
    const char *registration;
    const char *course;
    const char *course_title;
    const char *sco;
    const char *sco_title;
    const char *learner_id;
    const char *learner_name;
    const char *session;
    const char *attempt_id;
    int attempt;
    int is12;
    int preview; /* a preview registration: no statements */
};

/** initialized (entry ab-initio/"") or resumed (entry resume). Appends to arr. */
void scorm__bridge_start(const struct scorm__bridge_ctx *c, const char *entry, cJSON *arr);
/**
 * The end of a session: one responded per interaction set in this session, objective
 * statements, completed / passed / failed / scored when the SCO reported them, then
 * suspended (exit=suspend) or terminated with the session duration. start is the SCO's
 * result when the session began (NULL for a new attempt): status statements only on change. values
 * are the attempt's flat CMI values after the session, changed is the object of elements set in the
 * session.
 */
struct scorm__result;
void scorm__bridge_end(const struct scorm__bridge_ctx *c, const cJSON *values, const cJSON *changed,
                       const struct scorm__result *result, const struct scorm__result *start,
                       int suspended, int64_t session_cs, cJSON *arr);

/* ---- scorm_rt_summary.c: the registration summary record and its one codec ---- */
enum scorm__completion {
    SCORM__C_NOT_ATTEMPTED,
    SCORM__C_INCOMPLETE,
    SCORM__C_COMPLETED,
    SCORM__C_UNKNOWN
};
enum scorm__success { SCORM__S_UNKNOWN, SCORM__S_PASSED, SCORM__S_FAILED };
/** Static names ("not attempted", ...; "unknown", "passed", "failed"). */
const char *scorm__completion_name(enum scorm__completion c);
const char *scorm__success_name(enum scorm__success s);
/** Name -> value: 0, or -1 for a name that is not one (out untouched). */
int scorm__completion_parse(const char *v, enum scorm__completion *out);
int scorm__success_parse(const char *v, enum scorm__success *out);

/** One SCO of a registration summary: its run-time result (the current attempt's). */
struct scorm__sco_summary {
    char *id; /* item identifier (owned) */
    enum scorm__completion c;
    enum scorm__success s;
    int has_scaled;
    double scaled;  /* score.scaled */
    double time_cs; /* time of every attempt, centiseconds */
};
/** Table "reg_summary": the console's figures of a registration (scorm_rt_index.c). */
struct scorm__summary {
    enum scorm__completion completion; /* course level: the aggregate of the SCOs */
    enum scorm__success success;
    int has_score;
    double score; /* mean scaled score */
    double total_time_cs;
    char last_access[40];            /* ISO 8601, "" when never */
    struct scorm__sco_summary *scos; /* owned, n_scos of them */
    size_t n_scos;
};
/** A summary of a registration with no data yet ("not attempted", no SCO). */
void scorm__summary_init(struct scorm__summary *s);
/** Free what s owns and make it an initial summary again; NULL-tolerant. */
void scorm__summary_free(struct scorm__summary *s);
/** The entry of SCO id (borrowed from s), added as "not attempted" when add is 1 and it is
 *  missing; NULL when absent (add 0) or out of memory. */
struct scorm__sco_summary *scorm__summary_sco(struct scorm__summary *s, const char *id, int add);
/** Stored text -> *out (init it first or not: it is overwritten on success only; free with
 *  scorm__summary_free). SCORM_RT_ERR_STORE for a record that is not one (wrong type, unknown
 *  status), SCORM_RT_ERR_NOMEM. */
int scorm__summary_decode(const void *text, size_t len, struct scorm__summary *out);
/** s -> stored text, *out owned (cJSON_free). SCORM_RT_OK or SCORM_RT_ERR_NOMEM. */
int scorm__summary_encode(const struct scorm__summary *s, char **out);
/** Read / write registration reg's summary in txn (get: SCORM_RT_ERR_NOTFOUND when none). */
int scorm__summary_get(struct stmt_db_txn *txn, const char *reg, struct scorm__summary *out);
int scorm__summary_put(struct stmt_db_txn *txn, const char *reg, const struct scorm__summary *s);

/* ---- scorm_rt_rec.c: the run-time's records as C structs, one codec each (issue 15) ----
 * A record is read with *_get / *_decode and written with *_put / *_encode; no other code
 * reads their JSON. Decoding is strict: a required member missing, a member of the wrong
 * type or a status outside its vocabulary is SCORM_RT_ERR_STORE with diag naming the record
 * and the member (diag may be NULL), never a default; members the codec does not know are
 * ignored (a record written by a later version still loads) and not written back. The stored
 * text keeps the member names of the JSON records before the structs, so old stores load. */
enum scorm__cmi_entry { SCORM__E_AB_INITIO, SCORM__E_RESUME }; /* cmi.entry */
const char *scorm__entry_name(enum scorm__cmi_entry e);
/** The run-time's result of a SCO's values (scorm__result_of). Stored as
 *  {"completion", "success", "lesson_status"? (1.2), "score"?: {"scaled"?, "raw"?, "min"?,
 *  "max"?}}. */
struct scorm__result {
    enum scorm__completion completion;
    enum scorm__success success;
    const char *lesson_status; /* 1.2 cmi.core.lesson_status (a static name), NULL in 2004 */
    int has_scaled, has_raw, has_min, has_max;
    double scaled, raw, min, max;
};
/** Table "cmi", key scorm__sco_key(reg, sco, 0): a SCO's current attempt. Stored as
 *  {"attempt", "attempt_id", "entry", "values", "total_cs", "sessions", "attempt_sessions"?,
 *   "time_all_cs"?, "session"?, "activity_attempt"?, "result"?}; the optional members are
 *  absent in records written before their first event (their default: 0, none). */
struct scorm__sco_rec {
    int attempt;                    /* >= 1 */
    char attempt_id[SC_UUID_LEN];   /* registration-unique UUID of the attempt */
    enum scorm__cmi_entry entry;    /* cmi.entry of the next launch */
    cJSON *values;                  /* flat {element: string} (owned), never NULL */
    int64_t total_cs;               /* the attempt's total_time */
    int64_t time_all_cs;            /* every attempt's time */
    int sessions, attempt_sessions; /* launched: ever / in this attempt */
    char session[SC_UUID_LEN];      /* the last session launched, "" once ended */
    int has_activity_attempt;       /* the sequencer's attempt it belongs to (2004) */
    int activity_attempt;
    int has_result; /* 0 until the first commit or session end */
    struct scorm__result result;
};
/** Table "attempts", key scorm__sco_key(reg, sco, n): a finished attempt. Stored as
 *  {"attempt", "attempt_id", "values", "total_cs", "result"?, "exit"}. */
struct scorm__attempt_rec {
    int attempt;
    char attempt_id[SC_UUID_LEN];
    cJSON *values; /* owned, never NULL */
    int64_t total_cs;
    int has_result;
    struct scorm__result result;
    char exit[16]; /* the cmi.exit it ended with ("" none) */
};
/** Table "sessions", key the session UUID. Stored as {"id", "registration", "sco", "attempt",
 *  "seq", "open", "entry", "session_cs", "started", "changed"? (absent once ended),
 *  "start_result"?, "initialized"?, "exit"?, "nav_request"?, "terminated"?, "ended"?}. */
struct scorm__session {
    char id[SC_UUID_LEN];
    char registration[SC_UUID_LEN];
    char *sco; /* item identifier (owned) */
    int attempt;
    int64_t seq; /* the last commit applied */
    int open, initialized, has_terminated, terminated;
    enum scorm__cmi_entry entry;
    int64_t session_cs;           /* the last cmi.session_time set, centiseconds */
    int64_t started_us, ended_us; /* ended_us 0 while open */
    cJSON *changed;               /* {element: string} set in the session (owned; NULL: ended) */
    int has_start_result;         /* the SCO's result when a resumed session began */
    struct scorm__result start_result;
    int has_exit;      /* cmi.exit was set in the session (maybe to "") */
    char exit[16];     /* cmi.exit ("" when not set) */
    char *nav_request; /* adl.nav.request (owned, NULL when not set) */
};
void scorm__sco_rec_init(struct scorm__sco_rec *r);
void scorm__sco_rec_free(struct scorm__sco_rec *r);
void scorm__attempt_rec_free(struct scorm__attempt_rec *r);
void scorm__session_free(struct scorm__session *s);
/** A new SCO record: attempt 1 with a fresh id, ab-initio, no values. SCORM_RT_OK, _NOMEM. */
int scorm__sco_rec_new(struct scorm__sco_rec *r);
/** Decode: *out is set on success only (free it with the matching _free); SCORM_RT_ERR_STORE
 *  (diag names the member) or SCORM_RT_ERR_NOMEM. Encode: *out owned (cJSON_free);
 *  SCORM_RT_OK or SCORM_RT_ERR_NOMEM. */
int scorm__sco_rec_decode(const void *text, size_t len, struct scorm__sco_rec *out,
                          struct scorm_diag *diag);
int scorm__sco_rec_encode(const struct scorm__sco_rec *r, char **out);
int scorm__attempt_rec_decode(const void *text, size_t len, struct scorm__attempt_rec *out,
                              struct scorm_diag *diag);
int scorm__attempt_rec_encode(const struct scorm__attempt_rec *r, char **out);
int scorm__session_decode(const void *text, size_t len, struct scorm__session *out,
                          struct scorm_diag *diag);
int scorm__session_encode(const struct scorm__session *s, char **out);
/** Read / write in txn (get: SCORM_RT_ERR_NOTFOUND when there is none). */
int scorm__sco_rec_get(struct stmt_db_txn *txn, const char *key, struct scorm__sco_rec *out);
int scorm__sco_rec_put(struct stmt_db_txn *txn, const char *key, const struct scorm__sco_rec *r);
int scorm__attempt_rec_get(struct stmt_db_txn *txn, const char *key,
                           struct scorm__attempt_rec *out);
int scorm__attempt_rec_put(struct stmt_db_txn *txn, const char *key,
                           const struct scorm__attempt_rec *r);
int scorm__session_get(struct stmt_db_txn *txn, const char *id, struct scorm__session *out);
int scorm__session_put(struct stmt_db_txn *txn, const struct scorm__session *s);
/** Read outside a transaction (a read transaction of its own): as _get. */
int scorm__sco_rec_get1(struct stmt_db *db, const char *key, struct scorm__sco_rec *out);
int scorm__attempt_rec_get1(struct stmt_db *db, const char *key, struct scorm__attempt_rec *out);
int scorm__session_get1(struct stmt_db *db, const char *id, struct scorm__session *out);
/** The result's score as the reports give it ({"scaled"?, "raw"?, "min"?, "max"?}), owned; NULL
 *  when the result has no score or out of memory (*nomem set). */
cJSON *scorm__score_json(const struct scorm__result *r, int *nomem);

/* ---- scorm_rt_contrib.c: what a registration adds to its course's kept report (table
 *      "reg_contrib", scorm_rt_report_keep.c), a C struct with one codec (issue 15) ----
 * Stored as {"course", "sids": [{"id", "t"}...] (the SCOs of its course version, organization
 * order), "scos": {sco id: part}}, part = {"st": 0|1, "c", "s", "sc"?, "t", "o": [{"id", "c",
 * "p", "f", "sc"?}], "i": [{"id", "ty"?, "pat"?, "ok", "v"?, "rc", "l"?}]}. Decoding is as
 * strict as scorm_rt_rec.c's (unknown members ignored); a part of a SCO not in "sids" is
 * corrupt. */
struct scorm__contrib_obj { /* one objective of the SCO's data */
    char *id;
    int c, p, f; /* completed, passed, failed: 0 or 1 */
    int has_sc;
    double sc; /* score.scaled */
};
struct scorm__contrib_int {  /* one interaction */
    char *id, *ty, *pat, *v; /* id, type, first correct pattern, response (owned; NULL: none) */
    int ok, rc;              /* judged correct; response marked correct */
    int has_l;
    double l; /* latency, seconds */
};
struct scorm__contrib_part { /* a SCO's figures */
    int st;                  /* started */
    enum scorm__completion c;
    enum scorm__success s;
    int has_sc;
    double sc;
    double t; /* time of every attempt, centiseconds */
    struct scorm__contrib_obj *o;
    size_t n_o;
    struct scorm__contrib_int *i;
    size_t n_i;
};
struct scorm__contrib_sco {
    char *id, *t; /* item identifier and title (owned) */
    int has_part; /* 0: no data yet */
    struct scorm__contrib_part part;
};
struct scorm__contrib {
    char *course;                    /* owned */
    struct scorm__contrib_sco *scos; /* the "sids", in order, with their parts (owned) */
    size_t n;
};
void scorm__contrib_free(struct scorm__contrib *c);
void scorm__contrib_part_free(struct scorm__contrib_part *p);
/** 1 when two lists of objectives / interactions are the same. */
int scorm__contrib_objs_same(const struct scorm__contrib_obj *a, size_t na,
                             const struct scorm__contrib_obj *b, size_t nb);
int scorm__contrib_ints_same(const struct scorm__contrib_int *a, size_t na,
                             const struct scorm__contrib_int *b, size_t nb);
/** 1 when two parts would show the same in the report (NULL: no part). */
int scorm__contrib_part_same(const struct scorm__contrib_part *a,
                             const struct scorm__contrib_part *b);
/** The entry of SCO id (borrowed from c) or NULL; *ord (may be NULL) gets its position. */
struct scorm__contrib_sco *scorm__contrib_find(const struct scorm__contrib *c, const char *id,
                                               size_t *ord);
/** Decode / encode as scorm_rt_rec.c's codecs (SCORM_RT_ERR_STORE naming the member,
 *  SCORM_RT_ERR_NOMEM; *out set on success only). */
int scorm__contrib_decode(const void *text, size_t len, struct scorm__contrib *out,
                          struct scorm_diag *diag);
int scorm__contrib_encode(const struct scorm__contrib *c, char **out);
int scorm__contrib_get(struct stmt_db_txn *txn, const char *reg, struct scorm__contrib *out);
int scorm__contrib_put(struct stmt_db_txn *txn, const char *reg, const struct scorm__contrib *c);

/* ---- scorm_rt_ctx.c: a registration's context and its course tree's items ---- */
struct scorm__regctx {
    struct scorm_rt *rt;
    cJSON *reg;                      /* registration record */
    cJSON *ver;                      /* version record (owned unless cached) */
    struct scorm__tree_entry *entry; /* the cache entry holding ver, or NULL */
    const cJSON *tree;
    const cJSON *org;
    int is12;
    long fails0;          /* sc_alloc_failures() when the call began (commit_out) */
    struct seq_tree *seq; /* the sequencing tracking, read in the call's transaction (owned) */
    int seq_loaded;       /* seq was looked for (it stays NULL without tracking) */
};
/** Load registration reg's record and course version (SCORM_RT_ERR_NOTFOUND, _STORE); free
 *  with scorm__regctx_free (NULL-tolerant on a zeroed context). */
int scorm__regctx_load(struct scorm_rt *rt, const char *reg, struct scorm__regctx *c);
void scorm__regctx_free(struct scorm__regctx *c);
/** Validation mode of the registration's commits: spec-exact when the run-time was opened
 *  strict or the registration was created with "strict": true. */
int scorm__regctx_strict(const struct scorm__regctx *c);
/** The registration's sequencing tree with its state as txn sees it, loaded once per context
 *  (scorm__seq_tree_of); *out borrowed from c, NULL without tracking. */
int scorm__regctx_seq(struct scorm__regctx *c, struct stmt_db_txn *txn, struct seq_tree **out);
/** The learner id of the registration (borrowed) or NULL. */
const char *scorm__regctx_learner(const struct scorm__regctx *c);
/** The item `id` of an items array, depth first (borrowed) or NULL. */
const cJSON *scorm__find_item(const cJSON *items, const char *id);
/* Items in tree order: append {"item": borrowed pointer as index, depth} to a flat list. */
struct scorm__flat {
    const cJSON *item[2048];
    int depth[2048];
    size_t n;
};
void scorm__flatten(const cJSON *items, int depth, struct scorm__flat *f);

/* ---- scorm_rt_track.c: the run-time's side of the sequencing tracking model ---- */
struct seq_tree;
struct stmt_db_txn;
/** The sequencing tree of registration `reg` (course tree `tree`, borrowed) with its stored
 *  state read in txn (NULL: a read transaction of its own). *out (owned, seq_tree_destroy) is
 *  NULL when there is no tracking: SCORM 1.2, a tree the engine cannot build (the player falls
 *  back to tree order), or a registration not sequenced yet. SCORM_RT_OK, _STORE, _NOMEM. */
int scorm__seq_tree_of(struct scorm_rt *rt, struct stmt_db_txn *txn, const cJSON *tree,
                       const char *reg, const char *learner, struct seq_tree **out);

/* at most this many cmi.objectives.n are mapped to the activity's objectives (as the player
 * sent them before issue 15) */
#define SCORM__TRACK_MAX_OBJECTIVES 64
struct scorm__session;
/** Inside the commit's write transaction txn: derive the sequencing tracking of the delivered
 *  activity in t (the registration's tree with its state as txn sees it, scorm__regctx_seq;
 *  updated and saved in txn) from the SCO's validated run-time values (borrowed) of session
 *  sess (its "sco", "exit", "session_cs" and "nav_request"), item being the SCO's ITEM;
 *  final at Terminate. Nothing is done for a SCO the engine does not deliver now or for the
 *  final commit of an abandon. SCORM_RT_OK, _STORE, _NOMEM. */
int scorm__track_commit(struct stmt_db_txn *txn, struct seq_tree *t, const char *reg,
                        const char *learner, const cJSON *item, const cJSON *values,
                        const struct scorm__session *sess, int final);
/* ---- scorm_rt_values.c: the LMS side of a SCO's values ---- */
/** The result (completion, success, 1.2 lesson_status, score) of a SCO's flat values. */
void scorm__result_of(const cJSON *values, const cJSON *item, int is12, struct scorm__result *r);
/** SCORM 1.2 rules at LMSFinish (browsed / completed / mastery score); modifies values. */
void scorm__lesson_status_finish(cJSON *values, const cJSON *item, const cJSON *reg);
/** The values the LMS supplies at a launch of item with record rec (owned; NULL: no memory). */
cJSON *scorm__initial_values(const struct scorm__regctx *c, const cJSON *item,
                             const struct scorm__sco_rec *rec);
/** RTE 4th 4.2.17: cmi.objectives.n.id from the item's sequencing objectives. */
void scorm__seed_objectives(const cJSON *item, cJSON *values);
/** The LMS-side thresholds of an item (scorm_rt_values.c): completion_threshold and
 *  scaled_passing_score (2004), mastery score (1.2), as text; "" when not defined. */
void scorm__rt_thresholds(const cJSON *item, int is12, char *thr, size_t thrl, char *pass,
                          size_t passl, char *mastery, size_t ml);

#endif
