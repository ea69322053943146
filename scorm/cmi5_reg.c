/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmi5 registrations (table cmi5_regs): a learner (an Agent with an account, spec 9.2) and a
 * course; per AU the facts moveOn needs (completed, passed, failed, waived, satisfied) and its
 * open session; per block whether it is satisfied. A registration is created with the
 * satisfied statements of its NotApplicable AUs' blocks and course (9.6.1.1-3), and carries
 * the SHA-256 of the token of its launch links (GET /cmi5/launch/..., route_cmi5.c): the
 * plain token is handed out once, when it is made (creation, cmi5_link_new), never stored.
 */
#include "scorm/cmi5_int.h"
#include "scorm/scorm_rt_int.h"
#include "statements/stmt_db.h"

#include <stdio.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"

/* ---- registrations ----------------------------------------------------------------------- */

static void token_hash(const char *tok, char hex[65])
{
    unsigned char h[32];
    sc_sha256(tok, strlen(tok), h);
    sc_hex(h, sizeof h, hex);
}

int cmi5_link_token(char tok[33])
{
    unsigned char rnd[16];
    if (sc_random_bytes(rnd, sizeof rnd))
        return CMI5_ERR_IO;
    sc_hex(rnd, sizeof rnd, tok);
    return CMI5_OK;
}

/* tok (32 hex digits) becomes reg's launch-link token: reg keeps its SHA-256 only (as the SCORM
 * launch tokens, scorm_rt_reg.c). */
static int link_hash_set(cJSON *reg, const char *tok)
{
    char hex[65];
    token_hash(tok, hex);
    cJSON_DeleteItemFromObjectCaseSensitive(reg, "link_token"); /* records made before */
    cJSON_DeleteItemFromObjectCaseSensitive(reg, "link_sha256");
    return cJSON_AddStringToObject(reg, "link_sha256", hex) ? CMI5_OK : CMI5_ERR_NOMEM;
}

/* A new launch-link token in tok (128 random bits), its hash in reg. */
static int link_token(cJSON *reg, char tok[33])
{
    int rc = cmi5_link_token(tok);
    return rc ? rc : link_hash_set(reg, tok);
}

static int actor_ok(const cJSON *a)
{
    const cJSON *acc = cJSON_GetObjectItemCaseSensitive(a, "account");
    const char *ot = cmi5__str(a, "objectType");
    return cJSON_IsObject(a) && (!ot || !strcmp(ot, "Agent")) && cJSON_IsObject(acc) &&
           cmi5__str(acc, "homePage") && cmi5__str(acc, "name") && *cmi5__str(acc, "name") &&
           cmi5__iri_abs(cmi5__str(acc, "homePage"));
}

static int same_actor(const cJSON *a, const cJSON *b)
{
    const cJSON *x = cJSON_GetObjectItem(a, "account"), *y = cJSON_GetObjectItem(b, "account");
    return cmi5__str(x, "homePage") && cmi5__str(y, "homePage") &&
           !strcmp(cmi5__str(x, "homePage"), cmi5__str(y, "homePage")) &&
           !strcmp(cmi5__sstr(x, "name"), cmi5__sstr(y, "name"));
}

/* ---- console indexes (scorm_rt_index.c) --------------------------------------------------- */

/* The learner of a registration in the console: the account name of its actor (9.2). */
static const char *learner_id(const cJSON *reg)
{
    return cmi5__str(cJSON_GetObjectItem(cJSON_GetObjectItem(reg, "actor"), "account"), "name");
}

static int index_rc(int rc)
{
    return rc == SCORM_RT_OK          ? CMI5_OK
           : rc == STMT_DB_ERR_FULL   ? rc /* the writer grows the map and retries */
           : rc == SCORM_RT_ERR_NOMEM ? CMI5_ERR_NOMEM
                                      : CMI5_ERR_STORE;
}

/* The console's summary of a registration from its moveOn facts: completed when the course
 * is satisfied (9.6.1.3), incomplete once an AU has a result, passed when an AU passed and
 * none failed without passing, failed when one failed without passing. A change to completed,
 * passed or failed is also a webhook event (scorm_events.c), written in the same transaction. */
int cmi5__index_outcome(struct stmt_db_txn *txn, void *outcome_ctx)
{
    const struct cmi5__outcome *o = outcome_ctx;
    const cJSON *reg = o->reg, *a;
    struct scorm__reg_outcome now = {0, 0, 0, 0, 0, o->last_access};
    int any = 0, passed = 0, failed = 0, n_scored = 0, was[2], rc;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(reg, "aus"))
    {
        const cJSON *sc = cJSON_GetObjectItem(a, "score"), *t = cJSON_GetObjectItem(a, "time_cs");
        any |= cmi5__flag(a, "completed") || cmi5__flag(a, "passed") || cmi5__flag(a, "failed") ||
               cmi5__flag(a, "waived") || cmi5__flag(a, "satisfied");
        passed |= cmi5__flag(a, "passed");
        failed |= cmi5__flag(a, "failed") && !cmi5__flag(a, "passed");
        if (cJSON_IsNumber(sc)) { /* the score of the AU's passed or failed statement */
            now.score += sc->valuedouble;
            n_scored++;
        }
        if (cJSON_IsNumber(t)) /* the sum of its sessions' durations (terminated) */
            now.total_time_cs += t->valuedouble;
    }
    now.completion = cmi5__flag(reg, "satisfied") ? SCORM__C_COMPLETED
                     : any                        ? SCORM__C_INCOMPLETE
                                                  : SCORM__C_NOT_ATTEMPTED;
    now.success = failed ? SCORM__S_FAILED : passed ? SCORM__S_PASSED : SCORM__S_UNKNOWN;
    now.has_score = n_scored > 0;
    now.score = n_scored ? now.score / n_scored : 0; /* the mean, as for SCOs */
    rc = scorm__index_reg_outcome(txn, cmi5__sstr(reg, "course"), cmi5__sstr(reg, "registration"),
                                  &now, was);
    if (!rc && o->store) {
        cJSON *l = cJSON_CreateObject();
        if (!l || !cJSON_AddStringToObject(l, "id", learner_id(reg) ? learner_id(reg) : "") ||
            !cJSON_AddStringToObject(l, "name",
                                     cmi5__sstr(cJSON_GetObjectItem(reg, "actor"), "name"))) {
            cJSON_Delete(l); /* no event without its learner */
            return CMI5_ERR_NOMEM;
        }
        rc = scorm__outcome_events(o->store, txn, cmi5__sstr(reg, "registration"),
                                   cmi5__sstr(reg, "course"), l, was, now.completion, now.success);
        cJSON_Delete(l);
    }
    return index_rc(rc);
}

int cmi5_plan_index(struct stmt_db_txn *txn, void *plan)
{
    /* an AU's statements: the learner's last access is now (the batch's stored time) */
    char iso[SC_TIME_ISO_LEN];
    struct cmi5__outcome o = {cmi5__plan_store(plan), cmi5__plan_reg(plan),
                              sc_time_format_iso(sc_time_now_us(), 3, iso)};
    return cmi5__index_outcome(txn, &o);
}

/* Indexed exactly as a SCORM registration (reg_by_course, reg_by_learner, learners,
 * course_stats, reg_summary), in the transaction that creates it: counters are
 * read-modify-write, so they are updated by the writer (stmt_store_insert_fn). */
int cmi5__index_reg(struct stmt_db_txn *txn, void *outcome_ctx)
{
    const cJSON *reg = ((const struct cmi5__outcome *)outcome_ctx)->reg;
    cJSON *ix = cJSON_CreateObject(), *l;
    int rc;
    if (!ix)
        return CMI5_ERR_NOMEM;
    cJSON_AddStringToObject(ix, "id", cmi5__sstr(reg, "registration"));
    cJSON_AddStringToObject(ix, "course", cmi5__sstr(reg, "course"));
    l = cJSON_AddObjectToObject(ix, "learner");
    cJSON_AddStringToObject(l, "id", learner_id(reg) ? learner_id(reg) : "");
    cJSON_AddStringToObject(l, "name", cmi5__sstr(cJSON_GetObjectItem(reg, "actor"), "name"));
    cJSON_AddNumberToObject(ix, "created_us",
                            cJSON_GetNumberValue(cJSON_GetObjectItem(reg, "created_us")));
    rc = index_rc(scorm__index_reg_add(txn, ix));
    cJSON_Delete(ix);
    return rc ? rc : cmi5__index_outcome(txn, outcome_ctx); /* NotApplicable: maybe satisfied */
}

/* ---- index of a store older than the console's indexes --------------------------------- */

#define CMI5_INDEXED_KEY "#cmi5-indexed" /* in course_stats, as scorm_rt_index.c's "#indexed" */

static int index_migrate_once(struct stmt_db *db)
{
    struct stmt_db_txn *txn = NULL;
    char(*ids)[SC_UUID_LEN] = NULL;
    size_t n = 0;
    const void *v;
    size_t vl;
    int rc;
    if (stmt_db_txn_begin(db, 0, &txn))
        return CMI5_ERR_STORE;
    rc = stmt_db_get(txn, "course_stats", CMI5_INDEXED_KEY, strlen(CMI5_INDEXED_KEY), &v, &vl);
    stmt_db_txn_abort(txn);
    if (rc == 0)
        return CMI5_OK;
    if (rc != STMT_DB_NOTFOUND)
        return CMI5_ERR_STORE;
    if (stmt_db_txn_begin(db, 1, &txn))
        return CMI5_ERR_STORE;
    /* in the write transaction: no registration is created meanwhile */
    rc = scorm__uuid_keys(txn, CMI5_T_REGS, &ids, &n);
    rc = rc == SCORM_RT_ERR_NOMEM ? CMI5_ERR_NOMEM : rc ? CMI5_ERR_STORE : CMI5_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        cJSON *reg = NULL;
        char *text = NULL;
        if (stmt_db_get(txn, CMI5_T_REGS, ids[i], 36, &v, &vl)) {
            rc = CMI5_ERR_STORE;
            break;
        }
        if (!(reg = cJSON_ParseWithLength(v, vl))) {
            rc = CMI5_ERR_NOMEM;
            break;
        }
        if (!cJSON_IsNumber(cJSON_GetObjectItem(reg, "created_us"))) {
            const char *created = cmi5__str(reg, "created");
            int64_t us = 0;
            struct cmi5__outcome o = {NULL, reg, NULL}; /* no webhook events for the past */
            if (created)
                sc_time_parse_iso(created, strlen(created), &us);
            if (!cJSON_AddNumberToObject(reg, "created_us", (double)us) ||
                !(text = cJSON_PrintUnformatted(reg)))
                rc = CMI5_ERR_NOMEM;
            else if (stmt_db_put(txn, CMI5_T_REGS, ids[i], 36, text, strlen(text), 0))
                rc = CMI5_ERR_STORE;
            else if (learner_id(reg))
                rc = cmi5__index_reg(txn, &o);
            cJSON_free(text);
        }
        cJSON_Delete(reg);
    }
    if (!rc &&
        stmt_db_put(txn, "course_stats", CMI5_INDEXED_KEY, strlen(CMI5_INDEXED_KEY), "1", 1, 0))
        rc = CMI5_ERR_STORE;
    if (!rc)
        rc = stmt_db_txn_commit(txn) ? CMI5_ERR_STORE : CMI5_OK;
    else
        stmt_db_txn_abort(txn);
    sc_free(ids);
    return rc;
}

int cmi5__index_migrate(struct stmt_db *db)
{
    int rc = CMI5_ERR_STORE;
    /* one transaction for the whole store: a full map grows at the next begin, try again */
    for (int attempt = 0; attempt < 6 && (rc == CMI5_ERR_STORE || rc == STMT_DB_ERR_FULL);
         attempt++)
        rc = index_migrate_once(db);
    return rc;
}

/* The reverse, in the deleting transaction; a record made before the indexes (no
 * created_us) was never indexed. */
static int unindex_reg(struct stmt_db_txn *txn, void *reg_record)
{
    const cJSON *reg = reg_record, *cu = cJSON_GetObjectItem(reg, "created_us");
    const char *r = cmi5__sstr(reg, "registration");
    int rc;
    if (!cJSON_IsNumber(cu) || !learner_id(reg))
        return CMI5_OK;
    { /* out of the completed counter */
        const struct scorm__reg_outcome none = {
            SCORM__C_NOT_ATTEMPTED, SCORM__S_UNKNOWN, 0, 0, -1, NULL};
        rc = scorm__index_reg_outcome(txn, cmi5__sstr(reg, "course"), r, &none, NULL);
    }
    if (!rc)
        rc = scorm__index_reg_remove(txn, cmi5__sstr(reg, "course"), learner_id(reg),
                                     (int64_t)cu->valuedouble, r);
    if (!rc) {
        int d = stmt_db_del(txn, "reg_summary", r, strlen(r));
        rc = d && d != STMT_DB_NOTFOUND ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
    }
    return index_rc(rc);
}

int cmi5__reg_delete(struct cmi5 *c, const char *r)
{
    const char *t[] = {CMI5_T_REGS};
    const char *k[] = {r};
    cJSON *v[] = {NULL}, *old = NULL;
    pthread_mutex_t *lk = cmi5__reg_lock(c, r);
    int rc;
    pthread_mutex_lock(lk);
    rc = cmi5__load(c, CMI5_T_REGS, r, &old);
    if (!rc)
        rc = cmi5__save_fn(c, 1, t, k, v, unindex_reg, old);
    pthread_mutex_unlock(lk);
    cJSON_Delete(old);
    return rc;
}

int cmi5_registration_exists(struct cmi5 *c, const char *reg)
{
    char r[37];
    cJSON *x = NULL;
    int rc;
    if (cmi5__uuid_lower(reg, r))
        return 0;
    rc = cmi5__load(c, CMI5_T_REGS, r, &x);
    cJSON_Delete(x);
    return rc == CMI5_OK;
}

static cJSON *reg_view(const char *r, const cJSON *reg, const cJSON *course);

int cmi5_registration_create(struct cmi5 *c, const char *course_id, const cJSON *actor,
                             const char *reg_id, cJSON **out, int *created, struct cmi5_diag *diag)
{
    long f0 = sc_alloc_failures();
    cJSON *course = NULL, *reg = NULL, *old = NULL, *stmts = NULL, *view = NULL, *aus, *blocks, *e;
    char r[37], ts[SC_TIME_ISO_LEN], tok[33];
    pthread_mutex_t *lk;
    int rc;

    *created = 0;
    if (!actor_ok(actor)) {
        cmi5__diag(diag, "9.2.0.0-3", "actor",
                   "the learner must be an Agent with an account IFI (homePage an absolute IRI, "
                   "a name)");
        return CMI5_ERR_ARG;
    }
    if (strlen(cmi5__sstr(cJSON_GetObjectItem(actor, "account"), "name")) >
        SCORM_RT_MAX_LEARNER_ID) {
        cmi5__diag(diag, "", "actor.account.name",
                   "the learner's account name is the console's learner id: at most %d bytes",
                   SCORM_RT_MAX_LEARNER_ID);
        return CMI5_ERR_ARG;
    }
    if (reg_id && cmi5__uuid_lower(reg_id, r)) {
        cmi5__diag(diag, "", "registration", "registration '%.64s' is not a UUID", reg_id);
        return CMI5_ERR_ARG;
    }
    if ((rc = cmi5_course_get(c, course_id, &course)))
        return rc;
    if (!reg_id && sc_uuid_v4(r)) {
        cJSON_Delete(course);
        return CMI5_ERR_IO;
    }
    lk = cmi5__reg_lock(c, r);
    pthread_mutex_lock(lk);
    if (reg_id && cmi5__load(c, CMI5_T_REGS, r, &old) == CMI5_OK) {
        if (strcmp(cmi5__sstr(old, "course"), course_id) ||
            !same_actor(cJSON_GetObjectItem(old, "actor"), actor)) {
            cmi5__diag(diag, "", "registration",
                       "registration %s exists for another course or learner", r);
            rc = CMI5_ERR_STATE;
        } else {
            rc = cmi5_registration_get(c, r, out);
        }
        goto out;
    }
    reg = cJSON_CreateObject();
    stmts = cJSON_CreateArray();
    if (!reg || !stmts) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    cJSON_AddStringToObject(reg, "registration", r);
    cJSON_AddStringToObject(reg, "course", course_id);
    cmi5__put(reg, "actor", cJSON_Duplicate(actor, 1));
    {
        int64_t now = sc_time_now_us();
        cJSON_AddStringToObject(reg, "created", sc_time_format_iso(now, 3, ts));
        cJSON_AddNumberToObject(reg, "created_us", (double)now); /* the console's index keys */
    }
    cJSON_AddBoolToObject(reg, "satisfied", 0);
    if ((rc = link_token(reg, tok)))
        goto out;
    aus = cJSON_AddArrayToObject(reg, "aus");
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(course, "aus"))
    {
        cJSON *a = cJSON_CreateObject();
        for (const char *const *k = (const char *const[]){"completed", "passed", "failed", "waived",
                                                          "satisfied", NULL};
             *k; k++)
            cJSON_AddBoolToObject(a, *k, 0);
        cJSON_AddNullToObject(a, "open");
        cmi5__push(aus, a);
    }
    blocks = cJSON_AddArrayToObject(reg, "blocks");
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(course, "blocks"))
    {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddBoolToObject(b, "satisfied", 0);
        cmi5__push(blocks, b);
    }
    cJSON_AddArrayToObject(reg, "sessions");
    /* moveOn NotApplicable: the AU is satisfied at registration, and so may be its blocks and
     * the course (9.3.9, 9.6.1.1-3) */
    if ((rc = cmi5__satisfy(course, reg, NULL, stmts)))
        goto out;
    if (sc_alloc_failures() != f0) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    /* the answer is made before the insert: once the registration is stored, nothing may fail
     * for want of memory (a stored registration answered with an error) */
    if (!(view = reg_view(r, reg, course)) || !cJSON_AddStringToObject(view, "link_token", tok)) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    {
        const char *t[] = {CMI5_T_REGS};
        const char *k[] = {r};
        struct cmi5__outcome o = {c->store, reg, NULL};
        if ((rc = cmi5__insert_fn(c, stmts, 1, t, k, &reg, cmi5__index_reg, &o)))
            goto out;
    }
    *created = 1;
    *out = view;
    view = NULL;
out:
    cJSON_Delete(view);
    pthread_mutex_unlock(lk);
    cJSON_Delete(stmts);
    cJSON_Delete(reg);
    cJSON_Delete(old);
    cJSON_Delete(course);
    return rc;
}

/* The console's view of registration r (its record reg, its course's record), owned; NULL
 * without memory. */
static cJSON *reg_view(const char *r, const cJSON *reg, const cJSON *course)
{
    long f0 = sc_alloc_failures();
    cJSON *o, *aus, *e;
    int i = 0;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "registration", r);
    cJSON_AddStringToObject(o, "type", "cmi5");
    cJSON_AddStringToObject(o, "course", cmi5__str(reg, "course"));
    cJSON_AddStringToObject(o, "course_title", cmi5__sstr(course, "title"));
    cmi5__put(o, "actor", cJSON_Duplicate(cJSON_GetObjectItem(reg, "actor"), 1));
    cJSON_AddStringToObject(o, "created", cmi5__sstr(reg, "created"));
    cJSON_AddBoolToObject(o, "satisfied", cmi5__flag(reg, "satisfied"));
    aus = cJSON_AddArrayToObject(o, "aus");
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(course, "aus"))
    {
        cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItem(reg, "aus"), i),
              *a = cJSON_CreateObject();
        cJSON_AddNumberToObject(a, "index", i++);
        cJSON_AddStringToObject(a, "title", cmi5__sstr(e, "title"));
        cJSON_AddStringToObject(a, "activityId", cmi5__str(e, "activityId"));
        cJSON_AddStringToObject(a, "moveOn", cmi5__str(e, "moveOn"));
        for (const char *const *k = (const char *const[]){"completed", "passed", "failed", "waived",
                                                          "satisfied", NULL};
             *k; k++)
            cJSON_AddBoolToObject(a, *k, cmi5__flag(st, *k));
        cmi5__put(a, "open", cJSON_Duplicate(cJSON_GetObjectItem(st, "open"), 1));
        cmi5__push(aus, a);
    }
    cmi5__put(o, "blocks", cJSON_Duplicate(cJSON_GetObjectItem(reg, "blocks"), 1));
    cmi5__put(o, "sessions", cJSON_Duplicate(cJSON_GetObjectItem(reg, "sessions"), 1));
    if (sc_alloc_failures() != f0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int cmi5_registration_get(struct cmi5 *c, const char *reg_id, cJSON **out)
{
    char r[37];
    cJSON *reg = NULL, *course = NULL, *o;
    int rc;
    if (cmi5__uuid_lower(reg_id, r))
        return CMI5_ERR_NOTFOUND;
    if ((rc = cmi5__load(c, CMI5_T_REGS, r, &reg)))
        return rc;
    if ((rc = cmi5_course_get(c, cmi5__str(reg, "course"), &course))) {
        cJSON_Delete(reg);
        return rc;
    }
    o = reg_view(r, reg, course);
    cJSON_Delete(reg);
    cJSON_Delete(course);
    if (!o)
        return CMI5_ERR_NOMEM;
    *out = o;
    return CMI5_OK;
}

int cmi5_link_check(struct cmi5 *c, const char *reg_id, const char *token)
{
    char r[37], hex[65];
    cJSON *reg = NULL;
    int ok;
    if (cmi5__uuid_lower(reg_id, r) || !token || strlen(token) != 32 ||
        cmi5__load(c, CMI5_T_REGS, r, &reg))
        return CMI5_ERR_NOTFOUND;
    token_hash(token, hex);
    ok = cmi5__str(reg, "link_sha256") && strlen(cmi5__str(reg, "link_sha256")) == 64 &&
         sc_ct_equal(cmi5__str(reg, "link_sha256"), hex, 64);
    cJSON_Delete(reg);
    return ok ? CMI5_OK : CMI5_ERR_NOTFOUND;
}

int cmi5_link_set(struct cmi5 *c, const char *reg_id, const char *token)
{
    char r[37];
    const char *t[] = {CMI5_T_REGS};
    const char *k[] = {r};
    cJSON *reg = NULL;
    pthread_mutex_t *lk;
    int rc;
    if (cmi5__uuid_lower(reg_id, r))
        return CMI5_ERR_NOTFOUND;
    lk = cmi5__reg_lock(c, r);
    pthread_mutex_lock(lk);
    if (!(rc = cmi5__load(c, CMI5_T_REGS, r, &reg)) && !(rc = link_hash_set(reg, token))) {
        cJSON *v[] = {reg};
        rc = cmi5__save(c, 1, t, k, v);
    }
    pthread_mutex_unlock(lk);
    cJSON_Delete(reg);
    return rc;
}

int cmi5_link_new(struct cmi5 *c, const char *reg_id, char token[33])
{
    int rc = cmi5_link_token(token);
    return rc ? rc : cmi5_link_set(c, reg_id, token);
}

int cmi5_registration_list(struct cmi5 *c, const char *course, cJSON **out)
{
    cJSON *arr = cJSON_CreateArray();
    int n = 0, rc;
    if (!arr)
        return CMI5_ERR_NOMEM;
    if ((rc = cmi5__course_regs(c, course, arr, &n))) {
        cJSON_Delete(arr);
        return rc;
    }
    *out = arr;
    return CMI5_OK;
}

int cmi5_registration_delete(struct cmi5 *c, const char *reg_id)
{
    char r[37];
    if (!cmi5_registration_exists(c, reg_id))
        return CMI5_ERR_NOTFOUND;
    cmi5__uuid_lower(reg_id, r);
    return cmi5__reg_delete(c, r);
}
