/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run-time object, registrations and launch tokens.
 *
 * A registration is a learner x course pinned to the course version current at creation (a
 * re-import adds a version; running registrations keep theirs). Its launch token is 32 random
 * bytes (base64url); the store keeps only the SHA-256 (security.md §7 "attempt tokens ...
 * random ..., expiring"), so a leaked store does not leak live tokens. A token authorises
 * only its own registration's player, launch and commit endpoints (security.md §6).
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "common/sc_alloc.h"
#include "common/sc_base64.h"
#include "common/sc_buf.h"
#include "common/sc_json.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"
#include "statements/stmt_json.h"

#include <stdio.h>
#include <string.h>

const char *scorm_rt_strerror(int code)
{
    switch (code) {
    case SCORM_RT_OK:
        return "ok";
    case SCORM_RT_ERR_DATAMODEL:
        return "datamodel.json is unreadable or malformed";
    case SCORM_RT_ERR_NOTFOUND:
        return "no such registration, SCO or session";
    case SCORM_RT_ERR_TOKEN:
        return "launch token unknown, revoked or for another registration";
    case SCORM_RT_ERR_EXPIRED:
        return "launch token expired";
    case SCORM_RT_ERR_PAYLOAD:
        return "commit body is not {token, seq, final, changes}";
    case SCORM_RT_ERR_ELEMENT:
        return "unknown data model element";
    case SCORM_RT_ERR_READONLY:
        return "data model element is read-only";
    case SCORM_RT_ERR_VALUE:
        return "invalid data model value";
    case SCORM_RT_ERR_CLOSED:
        return "the session has ended";
    case SCORM_RT_ERR_ARG:
        return "invalid argument";
    case SCORM_RT_ERR_STORE:
        return "store failure";
    case SCORM_RT_ERR_NOMEM:
        return "out of memory";
    case SCORM_RT_ERR_NOT_LAUNCHABLE:
        return "the item has nothing to launch";
    case SCORM_RT_ERR_OTHER_REG:
        return "the launch token belongs to another registration";
    default:
        return scorm_strerror(code);
    }
}

int scorm_rt_open(struct stmt_db *db, const char *datamodel_json, size_t len,
                  const struct scorm_rt_opts *opts, struct scorm_rt **out, struct scorm_diag *diag)
{
    struct scorm_rt *rt = sc_calloc(1, sizeof *rt);
    int rc;
    if (!rt)
        return SCORM_RT_ERR_NOMEM;
    rc = scorm__dm_compile(&rt->dm, datamodel_json, len, diag);
    if (rc) {
        sc_free(rt);
        return rc;
    }
    pthread_mutex_init(&rt->cache_lock, NULL);
    rt->db = db;
    if (opts) {
        rt->strict = opts->strict;
        rt->token_ttl_s = opts->token_ttl_s;
        rt->emit = opts->emit;
        rt->emit_ctx = opts->emit_ctx;
        rt->store = opts->store;
        rt->no_drain = opts->no_drain;
    }
    if (scorm__outbox_init(rt)) {
        scorm__dm_free(&rt->dm);
        pthread_mutex_destroy(&rt->cache_lock);
        sc_free(rt);
        return SCORM_RT_ERR_NOMEM;
    }
    if (rt->token_ttl_s <= 0)
        rt->token_ttl_s = SCORM_RT_TOKEN_TTL_S;
    rc = scorm__index_migrate(db); /* the console's lists of an older store */
    if (!rc)
        rc = scorm__report_migrate(db); /* and its kept course reports */
    if (rc) {
        scorm__diag_set(diag, rc, 0, "", "indexing the registrations: %s", scorm_rt_strerror(rc));
        scorm_rt_close(rt);
        return rc;
    }
    rt->activity_base = sc_strdup(opts && opts->activity_base ? opts->activity_base
                                                              : "http://scolar.invalid/courses/");
    rt->learner_home =
        sc_strdup(opts && opts->learner_home ? opts->learner_home : "http://scolar.invalid/");
    rt->authority = opts && opts->authority_json ? sc_strdup(opts->authority_json) : NULL;
    if (!rt->activity_base || !rt->learner_home ||
        (opts && opts->authority_json && !rt->authority)) {
        scorm_rt_close(rt);
        return SCORM_RT_ERR_NOMEM;
    }
    *out = rt;
    return SCORM_RT_OK;
}

void scorm_rt_close(struct scorm_rt *rt)
{
    if (!rt)
        return;
    scorm__outbox_fini(rt); /* the drainer thread first: it uses everything below */
    scorm__dm_free(&rt->dm);
    for (size_t i = 0; i < SCORM__TREE_CACHE; i++)
        cJSON_Delete(rt->cache[i].ver);
    pthread_mutex_destroy(&rt->cache_lock);
    sc_free(rt->activity_base);
    sc_free(rt->learner_home);
    sc_free(rt->authority);
    sc_free(rt);
}

static void token_hash(const char *token, char hex[65])
{
    unsigned char h[32];
    sc_sha256(token, strlen(token), h);
    sc_hex(h, sizeof h, hex);
}

static int put_json(struct stmt_db_txn *txn, const char *table, const char *key, const cJSON *j)
{
    struct sc_buf b = SC_BUF_INIT; /* cJSON_PrintUnformatted's bytes, faster (common/sc_json.c) */
    int rc;
    if (sc_json_print(j, &b)) {
        sc_buf_free(&b);
        return SCORM_RT_ERR_NOMEM;
    }
    rc = stmt_db_put(txn, table, key, strlen(key), b.data, b.len, 0);
    sc_buf_free(&b);
    return rc ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
}

int scorm__rt_raw(struct stmt_db_txn *txn, const char *table, const char *key, const void **v,
                  size_t *vl)
{
    int rc = stmt_db_get(txn, table, key, strlen(key), v, vl);
    if (rc == STMT_DB_NOTFOUND)
        return SCORM_RT_ERR_NOTFOUND;
    return rc ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
}

static int get_json(struct stmt_db_txn *txn, const char *table, const char *key, cJSON **out)
{
    const void *v;
    size_t vl;
    int rc = scorm__rt_raw(txn, table, key, &v, &vl);
    if (rc)
        return rc;
    *out = stmt_json_parse_stored(v, vl); /* cJSON_ParseWithLength's tree, faster */
    return *out ? SCORM_RT_OK : SCORM_RT_ERR_STORE;
}

/* Shared with scorm_rt_session.c through these two wrappers. */
int scorm__rt_put(struct stmt_db_txn *txn, const char *table, const char *key, const cJSON *j);
int scorm__rt_get(struct stmt_db_txn *txn, const char *table, const char *key, cJSON **out);
int scorm__rt_put(struct stmt_db_txn *txn, const char *table, const char *key, const cJSON *j)
{
    return put_json(txn, table, key, j);
}
int scorm__rt_get(struct stmt_db_txn *txn, const char *table, const char *key, cJSON **out)
{
    return get_json(txn, table, key, out);
}

/* New token stored for reg inside txn; the registration record gets its hash. */
static int token_new(struct scorm_rt *rt, struct stmt_db_txn *txn, cJSON *regrec,
                     char token[SCORM_RT_TOKEN_LEN], int64_t *expires_us)
{
    unsigned char raw[32];
    char hex[65];
    cJSON *t = NULL, *list;
    int64_t exp = sc_time_now_us() + rt->token_ttl_s * 1000000;
    int rc;
    if (sc_random_bytes(raw, sizeof raw))
        return SCORM_RT_ERR_STORE;
    sc_base64_encode(raw, sizeof raw, token, 1);
    token_hash(token, hex);
    t = cJSON_CreateObject();
    if (!t || !cJSON_AddStringToObject(t, "registration", scorm__jstr(regrec, "id")) ||
        !cJSON_AddNumberToObject(t, "expires", (double)exp) ||
        !cJSON_AddBoolToObject(t, "revoked", 0)) { /* never a token record without its owner */
        cJSON_Delete(t);
        return SCORM_RT_ERR_NOMEM;
    }
    rc = put_json(txn, "tokens", hex, t);
    cJSON_Delete(t);
    if (rc)
        return rc;
    list = cJSON_GetObjectItemCaseSensitive(regrec, "tokens");
    if (!list)
        list = cJSON_AddArrayToObject(regrec, "tokens");
    t = cJSON_CreateString(hex);
    if (!t || !cJSON_AddItemToArray(list, t)) { /* never a token the record does not list */
        cJSON_Delete(t);
        return SCORM_RT_ERR_NOMEM;
    }
    if (expires_us)
        *expires_us = exp;
    return SCORM_RT_OK;
}

int scorm_rt_registration_create(struct scorm_rt *rt, const char *course, const char *learner_id,
                                 const char *learner_name, cJSON **out, struct scorm_diag *diag)
{
    return scorm_rt_registration_create_ex(rt, course, learner_id, learner_name, NULL, NULL, out,
                                           diag);
}

int scorm_rt_registration_create_ex(struct scorm_rt *rt, const char *course, const char *learner_id,
                                    const char *learner_name, const char *mode, const char *credit,
                                    cJSON **out, struct scorm_diag *diag)
{
    struct scorm_rt_reg_opts o = {mode, credit, 0, 0};
    return scorm_rt_registration_create_opt(rt, course, learner_id, learner_name, &o, out, diag);
}

/* The answer of a registration create (owned), made inside its transaction, before the commit:
 * once the registration is stored nothing may fail. NULL without memory. */
static cJSON *create_answer(const char *id, const char *course, const cJSON *reg, const char *token,
                            int64_t exp, int strict)
{
    char ts[SC_TIME_ISO_LEN];
    cJSON *res = cJSON_CreateObject();
    if (!res || !cJSON_AddStringToObject(res, "registration", id) ||
        !cJSON_AddStringToObject(res, "course", course) ||
        !cJSON_AddNumberToObject(
            res, "course_version",
            cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(reg, "course_version"))) ||
        !cJSON_AddStringToObject(res, "token", token) ||
        !cJSON_AddStringToObject(res, "expires", sc_time_format_iso(exp, 0, ts)) ||
        !cJSON_AddBoolToObject(res, "strict", strict)) {
        cJSON_Delete(res);
        return NULL;
    }
    return res;
}

int scorm_rt_registration_create_opt(struct scorm_rt *rt, const char *course,
                                     const char *learner_id, const char *learner_name,
                                     const struct scorm_rt_reg_opts *o, cJSON **out,
                                     struct scorm_diag *diag)
{
    const char *mode = o ? o->mode : NULL, *credit = o ? o->credit : NULL;
    cJSON *ver = NULL, *reg = NULL, *res = NULL, *learner;
    struct stmt_db_txn *txn = NULL;
    char id[SC_UUID_LEN], token[SCORM_RT_TOKEN_LEN], ts[SC_TIME_ISO_LEN];
    int64_t exp = 0;
    int rc;

    if (!course || !*course) {
        scorm__diag_set(diag, SCORM_RT_ERR_ARG, 0, "course", "a course id is required");
        return SCORM_RT_ERR_ARG;
    }
    if (!learner_id || !*learner_id || strlen(learner_id) > SCORM_RT_MAX_LEARNER_ID) {
        scorm__diag_set(diag, SCORM_RT_ERR_ARG, 0, "learner.id",
                        "learner.id must be 1..%d characters (it becomes cmi.learner_id)",
                        SCORM_RT_MAX_LEARNER_ID);
        return SCORM_RT_ERR_ARG;
    }
    for (const char *p = learner_id; *p; p++)
        if ((unsigned char)*p <= ' ') {
            /* SCORM 2004 RTE 4.2.13 long_identifier_type / 1.2 CMIIdentifier: no whitespace */
            scorm__diag_set(diag, SCORM_RT_ERR_ARG, 0, "learner.id",
                            "learner.id may not contain whitespace or control characters "
                            "(cmi.learner_id is an identifier, RTE 4.2.13)");
            return SCORM_RT_ERR_ARG;
        }
    /* RTE 4.2.12 cmi.mode / 4.2.5 cmi.credit vocabularies (1.2: lesson_mode, credit) */
    if (!mode)
        mode = "normal";
    if (!credit)
        credit = "credit";
    if (strcmp(mode, "normal") && strcmp(mode, "browse") && strcmp(mode, "review")) {
        scorm__diag_set(diag, SCORM_RT_ERR_ARG, 0, "mode",
                        "mode must be normal, browse or review (cmi.mode, RTE 4.2.12)");
        return SCORM_RT_ERR_ARG;
    }
    if (strcmp(credit, "credit") && strcmp(credit, "no-credit")) {
        scorm__diag_set(diag, SCORM_RT_ERR_ARG, 0, "credit",
                        "credit must be credit or no-credit (cmi.credit, RTE 4.2.5)");
        return SCORM_RT_ERR_ARG;
    }
    if (learner_name && strlen(learner_name) > 250) {
        scorm__diag_set(diag, SCORM_RT_ERR_ARG, 0, "learner.name",
                        "learner.name longer than 250 characters (cmi.learner_name SPM)");
        return SCORM_RT_ERR_ARG;
    }
    rc = scorm_course_version_get(rt->db, course, 0, &ver);
    if (rc) {
        scorm__diag_set(diag, SCORM_RT_ERR_NOTFOUND, 0, "course", "no course %.100s", course);
        return rc == SCORM_ERR_NOTFOUND ? SCORM_RT_ERR_NOTFOUND : SCORM_RT_ERR_STORE;
    }
    const cJSON *tree = cJSON_GetObjectItemCaseSensitive(ver, "tree");
    /* the record's members are added unchecked: a failure count that moved means one is
     * missing, and nothing is stored (a registration without its course_version or learner
     * would be half-written) */
    long f0 = sc_alloc_failures();
    reg = cJSON_CreateObject();
    if (!reg || sc_uuid_v4(id)) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    cJSON_AddStringToObject(reg, "id", id);
    cJSON_AddStringToObject(reg, "course", course);
    cJSON_AddNumberToObject(reg, "course_version",
                            cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ver, "version")));
    cJSON_AddStringToObject(reg, "scorm_version",
                            scorm__jstr(tree, "version") ? scorm__jstr(tree, "version") : "");
    cJSON_AddStringToObject(reg, "title",
                            scorm__jstr(tree, "title") ? scorm__jstr(tree, "title") : course);
    learner = cJSON_AddObjectToObject(reg, "learner");
    cJSON_AddStringToObject(learner, "id", learner_id);
    cJSON_AddStringToObject(learner, "name", learner_name ? learner_name : "");
    int64_t now = sc_time_now_us();
    cJSON_AddStringToObject(reg, "created", sc_time_format_iso(now, 3, ts));
    cJSON_AddNumberToObject(reg, "created_us", (double)now);
    if (o && o->preview)
        cJSON_AddBoolToObject(reg, "preview", 1);
    cJSON_AddStringToObject(reg, "credit", credit);
    cJSON_AddStringToObject(reg, "mode", mode);
    cJSON_AddBoolToObject(reg, "strict", o && o->strict);
    if (sc_alloc_failures() != f0) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    /* a store error may be a full map, which the next write transaction grows: try again */
    for (int attempt = 0; attempt < 4; attempt++) {
        cJSON_DeleteItemFromObjectCaseSensitive(reg, "tokens");
        cJSON_Delete(res);
        res = NULL;
        rc = stmt_db_txn_begin(rt->db, 1, &txn);
        if (rc) {
            rc = SCORM_RT_ERR_STORE;
            goto out;
        }
        rc = token_new(rt, txn, reg, token, &exp);
        if (!rc)
            rc = put_json(txn, "registrations", id, reg);
        if (!rc && !(o && o->preview)) /* the console's indexes and counters (scorm_rt_index.c) */
            rc = scorm__index_reg_add(txn, reg);
        if (!rc) /* the course report's tallies (scorm_rt_report_keep.c) */
            rc = scorm__report_reg_add(txn, reg, tree);
        if (!rc && !(res = create_answer(id, course, reg, token, exp, o && o->strict)))
            rc = SCORM_RT_ERR_NOMEM;
        if (!rc && sc_alloc_failures() != f0) /* token_new's members */
            rc = SCORM_RT_ERR_NOMEM;
        if (!rc)
            rc = stmt_db_txn_commit(txn) ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
        else
            stmt_db_txn_abort(txn);
        txn = NULL;
        if (rc != SCORM_RT_ERR_STORE)
            break;
    }
    if (rc)
        goto out;
    *out = res;
    res = NULL;
    rc = SCORM_RT_OK;
out:
    cJSON_Delete(res);
    stmt_db_txn_abort(txn);
    cJSON_Delete(ver);
    cJSON_Delete(reg);
    return rc;
}

int scorm_rt_token_issue(struct scorm_rt *rt, const char *reg, char token_out[SCORM_RT_TOKEN_LEN],
                         int64_t *expires_us)
{
    struct stmt_db_txn *txn = NULL;
    cJSON *rec = NULL;
    int rc = stmt_db_txn_begin(rt->db, 1, &txn);
    if (rc)
        return SCORM_RT_ERR_STORE;
    rc = get_json(txn, "registrations", reg, &rec);
    if (!rc)
        rc = token_new(rt, txn, rec, token_out, expires_us);
    if (!rc)
        rc = put_json(txn, "registrations", reg, rec);
    if (!rc) {
        rc = stmt_db_txn_commit(txn) ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
        txn = NULL;
    }
    stmt_db_txn_abort(txn);
    cJSON_Delete(rec);
    return rc;
}

int scorm_rt_token_revoke(struct scorm_rt *rt, const char *reg)
{
    struct stmt_db_txn *txn = NULL;
    cJSON *rec = NULL;
    const cJSON *h;
    int rc = stmt_db_txn_begin(rt->db, 1, &txn);
    if (rc)
        return SCORM_RT_ERR_STORE;
    rc = get_json(txn, "registrations", reg, &rec);
    if (rc)
        goto out;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(rec, "tokens"))
    {
        cJSON *t = NULL;
        if (!cJSON_IsString(h) || get_json(txn, "tokens", h->valuestring, &t))
            continue;
        scorm__jset_bool(t, "revoked", 1);
        rc = put_json(txn, "tokens", h->valuestring, t);
        cJSON_Delete(t);
        if (rc)
            goto out;
    }
    rc = stmt_db_txn_commit(txn) ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
    txn = NULL;
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(rec);
    return rc;
}

int scorm_rt_token_check(struct scorm_rt *rt, const char *reg, const char *token)
{
    char hex[65];
    char *v = NULL;
    size_t vl;
    cJSON *t = NULL;
    int rc;
    if (!token || !*token || strlen(token) > 128 || !reg)
        return SCORM_RT_ERR_TOKEN;
    token_hash(token, hex);
    rc = stmt_db_get1(rt->db, "tokens", hex, 64, &v, &vl);
    if (rc == STMT_DB_NOTFOUND)
        return SCORM_RT_ERR_TOKEN;
    if (rc)
        return SCORM_RT_ERR_STORE;
    t = cJSON_ParseWithLength(v, vl);
    sc_free(v);
    if (!t)
        return SCORM_RT_ERR_STORE;
    const char *r = scorm__jstr(t, "registration");
    if (!r || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "revoked")))
        rc = SCORM_RT_ERR_TOKEN;
    else if (strlen(r) != strlen(reg) || !sc_ct_equal(r, reg, strlen(reg)))
        rc = SCORM_RT_ERR_OTHER_REG; /* security.md §6: a token writes only its registration */
    else if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "expires")) <
             (double)sc_time_now_us())
        rc = SCORM_RT_ERR_EXPIRED;
    else
        rc = SCORM_RT_OK;
    cJSON_Delete(t);
    return rc;
}
