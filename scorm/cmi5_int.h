/* SPDX-License-Identifier: Apache-2.0 */
/* Private to scorm/cmi5_*.c: the context, record helpers and the LMS's statement builders. */
#ifndef SCORM_CMI5_INT_H
#define SCORM_CMI5_INT_H

#include "scorm/cmi5.h"

#include <pthread.h>
#include <stdint.h>

/* JSON members of the records (borrowed): a string or NULL, a string or "", true, set a bool. */
static inline const char *cmi5__str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}
/* cJSON_AddItemToObject / cJSON_AddItemToArray that free the item when it cannot be added
 * (cJSON leaves it to the caller: out of memory, or a parent that was never made) */
static inline void cmi5__put(cJSON *o, const char *k, cJSON *item)
{
    if (!cJSON_AddItemToObject(o, k, item))
        cJSON_Delete(item);
}

static inline void cmi5__push(cJSON *a, cJSON *item)
{
    if (!cJSON_AddItemToArray(a, item))
        cJSON_Delete(item);
}

static inline const char *cmi5__sstr(const cJSON *o, const char *k)
{
    const char *s = cmi5__str(o, k);
    return s ? s : "";
}
static inline int cmi5__flag(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}
static inline void cmi5__set_flag(cJSON *o, const char *k, int v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddBoolToObject(o, k, v);
}
/* A number member (an allocation failure shows in sc_alloc_failures, as for flags). */
static inline void cmi5__set_num(cJSON *o, const char *k, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddNumberToObject(o, k, v);
}

#define CMI5_T_COURSES "cmi5_courses"
#define CMI5_T_REGS "cmi5_regs"
#define CMI5_T_SESSIONS "cmi5_sessions"

/* spec 9.3 verbs and 9.6 context IRIs */
#define CMI5_VERB_LAUNCHED "http://adlnet.gov/expapi/verbs/launched"
#define CMI5_VERB_INITIALIZED "http://adlnet.gov/expapi/verbs/initialized"
#define CMI5_VERB_COMPLETED "http://adlnet.gov/expapi/verbs/completed"
#define CMI5_VERB_PASSED "http://adlnet.gov/expapi/verbs/passed"
#define CMI5_VERB_FAILED "http://adlnet.gov/expapi/verbs/failed"
#define CMI5_VERB_ABANDONED "https://w3id.org/xapi/adl/verbs/abandoned"
#define CMI5_VERB_WAIVED "https://w3id.org/xapi/adl/verbs/waived"
#define CMI5_VERB_TERMINATED "http://adlnet.gov/expapi/verbs/terminated"
#define CMI5_VERB_SATISFIED "https://w3id.org/xapi/adl/verbs/satisfied"
#define CMI5_VERB_VOIDED "http://adlnet.gov/expapi/verbs/voided"
#define CMI5_CAT_CMI5 "https://w3id.org/xapi/cmi5/context/categories/cmi5"
#define CMI5_CAT_MOVEON "https://w3id.org/xapi/cmi5/context/categories/moveon"
#define CMI5_EXT "https://w3id.org/xapi/cmi5/context/extensions/"
#define CMI5_EXT_SESSION CMI5_EXT "sessionid"
#define CMI5_EXT_MASTERY CMI5_EXT "masteryscore"
#define CMI5_EXT_REASON "https://w3id.org/xapi/cmi5/result/extensions/reason"
#define CMI5_TYPE "https://w3id.org/xapi/cmi5/activitytype/"

#define CMI5_LOCKS 64

struct cmi5 {
    struct stmt_db *db;
    struct stmt_store *store;
    char *endpoint, *fetch_base, *content_base, *learner_home;
    /* serialise the changes of one registration (statement rules, launch, fetch, waive,
     * abandon): a registration's lock is locks[hash(registration) % CMI5_LOCKS], so learners
     * of different registrations rarely wait for each other */
    pthread_mutex_t locks[CMI5_LOCKS];
};

/** The lock of registration reg (a UUID string, any case). */
pthread_mutex_t *cmi5__reg_lock(struct cmi5 *c, const char *reg);
/** The lock of a session's registration, or NULL when there is no such session. */
pthread_mutex_t *cmi5__session_lock(struct cmi5 *c, const char *session);

void cmi5__diag(struct cmi5_diag *d, const char *rule, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Read a JSON record (owned) of table by key; CMI5_ERR_NOTFOUND. */
int cmi5__load(struct cmi5 *c, const char *table, const char *key, cJSON **out);
/** Write records in one transaction: n (table, key, value) triples; value NULL deletes. */
int cmi5__save(struct cmi5 *c, size_t n, const char *const *tables, const char *const *keys,
               cJSON *const *vals);
struct stmt_db_txn;
/** Work done in the transaction that writes records (read-modify-write of other tables: the
 *  console's indexes); 0 keeps, anything else aborts all (returned as is). May run again
 *  after the map grows. */
typedef int (*cmi5__txn_fn)(struct stmt_db_txn *txn, void *ctx);
/** cmi5__save plus fn(txn, ctx) (may be NULL) in the same transaction. */
int cmi5__save_fn(struct cmi5 *c, size_t n, const char *const *tables, const char *const *keys,
                  cJSON *const *vals, cmi5__txn_fn fn, void *ctx);
/** 1 when s is an absolute IRI (RFC 3987: scheme ":" and more, no spaces; spec 3.0.0.0-1). */
int cmi5__iri_abs(const char *s);
/** Path of DATA/cmi5 (or one course folder under it). */
int cmi5__dir(struct cmi5 *c, const char *course, char *out, size_t outlen);
int cmi5__rm_rf(const char *path);
/* cmi5_content.c: package files as scorm_content rows on a PostgreSQL store (issue 19) */
struct scorm__content_stage;
struct scorm__content_drop;
struct cmi5__content_place_ctx {
    struct cmi5 *c;
    const char *id;
    struct scorm__content_stage *stage; /* cmi5__content_place only */
    struct scorm__content_drop *drop;   /* cmi5__content_drop: finish after the commit */
};
/** At open, LMDB store: remove DATA/cmi5/.tmp-* (imports a crash interrupted). The data
 *  directory is one process's (its lock), and cmi5_open runs before any import of it. */
void cmi5__content_cleanup(struct cmi5 *c);
/** 1 when c's package files are rows of the store (scorm__content_in_db), not DATA/cmi5/. */
int cmi5__content_in_db(struct cmi5 *c);
/** Hash the files extracted in tmpdir before the transaction; *out for place/stage_end. */
int cmi5__content_stage(struct cmi5 *c, const char *tmpdir, struct scorm__content_stage **out);
/** cmi5__txn_fn (ctx a cmi5__content_place_ctx): the staged files as the course's rows. */
int cmi5__content_place(struct stmt_db_txn *txn, void *ctx);
/** cmi5__txn_fn (ctx a cmi5__content_place_ctx): the course's rows go, unshared blobs too;
 *  the caller ends ctx->drop with scorm__content_drop_end after the transaction. */
int cmi5__content_drop(struct stmt_db_txn *txn, void *ctx);
/** The registration records of a course appended to arr (may be NULL: count only). */
int cmi5__course_regs(struct cmi5 *c, const char *course, cJSON *arr, int *count);

/* ---- LMS statements and moveOn (cmi5_launch.c) ---- */
/** A statement of the LMS (owned): actor (copied), verb, object activity id and type, the
 *  registration, publisher id in grouping, the cmi5 category, session id (may be NULL). */
cJSON *cmi5__lms_statement(const cJSON *actor, const char *verb, const char *display,
                           const char *object_id, const char *type, const char *publisher,
                           const char *reg, const char *session);
/** After AU au of reg (JSON records, modified) became satisfied: append to out the satisfied
 *  statements of the blocks and the course that are now satisfied (9.3.9, in that order). */
int cmi5__satisfy(const cJSON *course, cJSON *reg, const char *session, cJSON *out);
/** 1 when the AU's moveOn criterion holds for its registration state (moveOn section). */
int cmi5__au_moveon_met(const cJSON *au_def, const cJSON *au_state);
/** Insert statements (array, borrowed) through the store in one batch, with nrec (at most 4)
 *  records (table, key, value; value NULL deletes) in the same writer transaction
 *  (stmt_store_insert_rows). No statements: the records alone (cmi5__save). */
int cmi5__insert(struct cmi5 *c, cJSON *arr, size_t nrec, const char *const *tables,
                 const char *const *keys, cJSON *const *vals);
/** cmi5__insert plus fn(txn, ctx) in the writer's transaction of the batch
 *  (stmt_store_insert_fn), or in cmi5__save_fn's when there are no statements: all durable
 *  together or nothing. fn's failure is returned as is. */
int cmi5__insert_fn(struct cmi5 *c, cJSON *arr, size_t nrec, const char *const *tables,
                    const char *const *keys, cJSON *const *vals, cmi5__txn_fn fn, void *ctx);
/** Console indexes (scorm_rt_index.c) of a new cmi5 registration record (cmi5_regs) in txn:
 *  its learner (the account name, spec 9.2), course and creation time (created_us). */
int cmi5__index_reg(struct stmt_db_txn *txn, void *outcome_ctx);
/** The context of cmi5__index_reg and cmi5__index_outcome: the registration record and the
 *  statement store whose outbox gets the webhook events (NULL: none). */
struct cmi5__outcome {
    struct stmt_store *store;
    const cJSON *reg;
    const char *last_access; /* the learner's last access (ISO 8601), NULL: unchanged */
};
/** Index the cmi5 registrations of a store written before the console's indexes (no
 *  created_us), once (a marker in course_stats), in one transaction. */
int cmi5__index_migrate(struct stmt_db *db);
/** Delete registration r (lowercase UUID) and take it out of the console's indexes, in one
 *  transaction (under its registration lock). */
int cmi5__reg_delete(struct cmi5 *c, const char *r);
/** The console's summary (reg_summary) and its course's completed counter from a
 *  registration record's moveOn facts, in txn (a cmi5__txn_fn). */
int cmi5__index_outcome(struct stmt_db_txn *txn, void *outcome_ctx);
/** The registration record a plan will write, and the store it writes to (cmi5_rules.c). */
cJSON *cmi5__plan_reg(const struct cmi5_plan *p);
struct stmt_store *cmi5__plan_store(const struct cmi5_plan *p);
/** Lowercased copy of a registration / session UUID; 0 or -1 when not a UUID. */
int cmi5__uuid_lower(const char *in, char out[37]);

#endif
