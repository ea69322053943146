/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared data of SCORM 2004 4th edition: adlcp:data / adlcp:map in the manifest (CAM 4th
 * 3.4.1.13, 3.4.1.14) offered to a SCO as adl.data (RTE 4th 4.3), stored on the server.
 *
 * Table "shared_data", value = the stored characters:
 *   "L" 0x1f learner 0x1f targetID        the organization's sharedDataGlobalToSystem is true
 *                                         (the default, CAM 4th 3.4.1.6): one store for the
 *                                         learner across registrations and courses;
 *   "R" 0x1f registration 0x1f n 0x1f targetID
 *                                         sharedDataGlobalToSystem="false": the store belongs
 *                                         to attempt n on the course (the root activity's
 *                                         attempt count in the registration's sequencing state,
 *                                         table "seq_state"; 0 without one), so a new attempt on
 *                                         the course (relaunch after exitAll) starts empty and a
 *                                         resumed (suspendAll) attempt keeps it (CTS DDMb).
 * A key longer than the LMDB limit keeps its prefix and ends with the hex SHA-256 of the
 * target id. Setting "" removes the store (GetValue then answers 403, as the CTS expects).
 * A write in a registration's course attempt n deletes the stores of its earlier attempts
 * (they can never be read again).
 */
#include "scorm/scorm_rt_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "scorm/scorm_int.h"
#include "statements/stmt_db.h"

/* attempt count of the root activity in the saved sequencing state (seq_state.c writes
 * {"acts":{ROOT:{"n":..},...}} in preorder: the first member is the root) */
static int course_attempt(struct stmt_db_txn *txn, const char *reg, long *out)
{
    const void *v = NULL;
    size_t vl = 0;
    cJSON *s, *root, *n;
    int rc = stmt_db_get(txn, "seq_state", reg, strlen(reg), &v, &vl);
    *out = 0;
    if (rc == STMT_DB_NOTFOUND)
        return SCORM_RT_OK;
    if (rc)
        return SCORM_RT_ERR_STORE;
    s = cJSON_ParseWithLength(v, vl);
    if (!s)
        return SCORM_RT_ERR_STORE;
    root = cJSON_GetObjectItemCaseSensitive(s, "acts");
    root = root ? root->child : NULL;
    n = cJSON_GetObjectItemCaseSensitive(root, "n");
    if (cJSON_IsNumber(n) && n->valuedouble > 0)
        *out = (long)n->valuedouble;
    cJSON_Delete(s);
    return SCORM_RT_OK;
}

/* the store key of target `tid`; 0 or SCORM_RT_ERR_ARG */
static int data_key(struct stmt_db_txn *txn, const cJSON *org, const char *learner, const char *reg,
                    const char *tid, char *key, size_t *klen)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(org, "sharedDataGlobalToSystem");
    char prefix[STMT_DB_MAX_KEY + 1];
    int n, rc;
    size_t tl = strlen(tid);
    if (cJSON_IsFalse(g)) {
        long attempt;
        if (!reg || !*reg)
            return SCORM_RT_ERR_ARG;
        if ((rc = course_attempt(txn, reg, &attempt)) != SCORM_RT_OK)
            return rc;
        n = snprintf(prefix, sizeof prefix, "R\x1f%s\x1f%ld\x1f", reg, attempt);
    } else {
        if (!learner || !*learner)
            return SCORM_RT_ERR_ARG;
        n = snprintf(prefix, sizeof prefix, "L\x1f%s\x1f", learner);
    }
    if (n < 0 || (size_t)n + 64 > STMT_DB_MAX_KEY)
        return SCORM_RT_ERR_ARG;
    memcpy(key, prefix, (size_t)n);
    if ((size_t)n + tl <= STMT_DB_MAX_KEY) {
        memcpy(key + n, tid, tl);
        *klen = (size_t)n + tl;
    } else {
        unsigned char h[32];
        sc_sha256(tid, tl, h);
        sc_hex(h, sizeof h, key + n);
        *klen = (size_t)n + 64;
    }
    return SCORM_RT_OK;
}

static int jbool_def(const cJSON *o, const char *k, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

int scorm__data_entries(struct stmt_db_txn *txn, const cJSON *org, const cJSON *item,
                        const char *learner, const char *reg, cJSON **out)
{
    const cJSON *maps = cJSON_GetObjectItemCaseSensitive(item, "data"), *m;
    cJSON *arr = cJSON_CreateArray();
    char key[STMT_DB_MAX_KEY + 1];
    int rc = SCORM_RT_OK;
    if (!arr)
        return SCORM_RT_ERR_NOMEM;
    cJSON_ArrayForEach(m, maps)
    {
        const char *tid = scorm__jstr(m, "targetID");
        const void *v = NULL;
        size_t vl = 0, kl = 0;
        cJSON *e;
        if (!tid)
            continue;
        if ((rc = data_key(txn, org, learner, reg, tid, key, &kl)) != SCORM_RT_OK)
            goto out;
        e = cJSON_CreateObject();
        if (!e) {
            rc = SCORM_RT_ERR_NOMEM;
            goto out;
        }
        cJSON_AddItemToArray(arr, e);
        cJSON_AddStringToObject(e, "id", tid);
        cJSON_AddBoolToObject(e, "read", jbool_def(m, "readSharedData", 1));
        cJSON_AddBoolToObject(e, "write", jbool_def(m, "writeSharedData", 1));
        rc = stmt_db_get(txn, "shared_data", key, kl, &v, &vl);
        if (rc == 0) {
            char *s = sc_malloc(vl + 1);
            if (!s) {
                rc = SCORM_RT_ERR_NOMEM;
                goto out;
            }
            memcpy(s, v, vl);
            s[vl] = '\0';
            cJSON_AddStringToObject(e, "store", s);
            sc_free(s);
        } else if (rc != STMT_DB_NOTFOUND) {
            rc = SCORM_RT_ERR_STORE;
            goto out;
        }
        rc = SCORM_RT_OK;
        if (!cJSON_GetObjectItemCaseSensitive(e, "write")) {
            rc = SCORM_RT_ERR_NOMEM;
            goto out;
        }
    }
    *out = arr;
    arr = NULL;
out:
    cJSON_Delete(arr);
    return rc;
}

/* "adl.data.<n>.<rest>": n (canonical non-negative integer) and rest; 0 or -1 */
static int parse_path(const char *path, long *n, const char **rest)
{
    const char *p = path + 9;
    char *end;
    if (strncmp(path, "adl.data.", 9) != 0 || *p < '0' || *p > '9' || (p[0] == '0' && p[1] != '.'))
        return -1;
    *n = strtol(p, &end, 10);
    if (*end != '.' || *n < 0)
        return -1;
    *rest = end + 1;
    return 0;
}

/* keys of one registration's earlier course attempts, collected while scanning */
struct prune {
    const char *reg_prefix, *cur_prefix; /* "R" US reg US, "R" US reg US n US */
    size_t reg_len, cur_len;
    char **keys;
    size_t *lens, n, cap;
    int nomem;
};

static int prune_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct prune *p = ctx;
    (void)val;
    (void)vlen;
    if (klen < p->reg_len || memcmp(key, p->reg_prefix, p->reg_len) != 0)
        return 1; /* past this registration's keys */
    if (klen >= p->cur_len && memcmp(key, p->cur_prefix, p->cur_len) == 0)
        return 0; /* the current attempt */
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 8;
        char **nk = sc_realloc(p->keys, nc * sizeof *nk);
        size_t *nl = nk ? sc_realloc(p->lens, nc * sizeof *nl) : NULL;
        if (nk)
            p->keys = nk;
        if (!nk || !nl) {
            p->nomem = 1;
            return 1;
        }
        p->lens = nl;
        p->cap = nc;
    }
    if (!(p->keys[p->n] = sc_malloc(klen))) {
        p->nomem = 1;
        return 1;
    }
    memcpy(p->keys[p->n], key, klen);
    p->lens[p->n++] = klen;
    return 0;
}

/* A registration-scoped store was written for the current course attempt (key "R" US reg US
 * n US target): the stores of its earlier attempts can never be read again; delete them. */
static int prune_attempts(struct stmt_db_txn *txn, const char *key, size_t kl)
{
    const char *us1 = memchr(key, 0x1f, kl), *us2, *us3;
    struct prune p;
    int rc = SCORM_RT_OK;
    memset(&p, 0, sizeof p);
    us2 = us1 ? memchr(us1 + 1, 0x1f, kl - (size_t)(us1 + 1 - key)) : NULL;
    us3 = us2 ? memchr(us2 + 1, 0x1f, kl - (size_t)(us2 + 1 - key)) : NULL;
    if (!us3)
        return SCORM_RT_OK;
    p.reg_prefix = key;
    p.reg_len = (size_t)(us2 + 1 - key);
    p.cur_prefix = key;
    p.cur_len = (size_t)(us3 + 1 - key);
    if (stmt_db_scan(txn, "shared_data", key, p.reg_len, prune_visit, &p) < 0)
        rc = SCORM_RT_ERR_STORE;
    else if (p.nomem)
        rc = SCORM_RT_ERR_NOMEM;
    for (size_t i = 0; i < p.n; i++) {
        if (rc == SCORM_RT_OK && stmt_db_del(txn, "shared_data", p.keys[i], p.lens[i]) != 0)
            rc = SCORM_RT_ERR_STORE;
        sc_free(p.keys[i]);
    }
    sc_free(p.keys);
    sc_free(p.lens);
    return rc;
}

int scorm__data_set(struct stmt_db_txn *txn, const cJSON *org, const cJSON *item,
                    const char *learner, const char *reg, const char *path, const char *value,
                    size_t value_max, struct scorm_diag *diag)
{
    const cJSON *maps = cJSON_GetObjectItemCaseSensitive(item, "data"), *m;
    const char *rest = NULL, *tid;
    char key[STMT_DB_MAX_KEY + 1];
    size_t kl = 0, vl = strlen(value);
    long n = 0;
    int rc;
    if (!strcmp(path, "adl.data._count") || !strcmp(path, "adl.data._children")) {
        scorm__diag_set(diag, 404, 0, path, "\"%s\" is a keyword and read-only (RTE 4th 4.3)",
                        path);
        return SCORM_RT_ERR_READONLY;
    }
    if (parse_path(path, &n, &rest) != 0 || (strcmp(rest, "store") && strcmp(rest, "id"))) {
        scorm__diag_set(diag, 401, 0, path,
                        "\"%.200s\" is not an adl.data element (RTE 4th 4.3: adl.data.n.id, "
                        "adl.data.n.store)",
                        path);
        return SCORM_RT_ERR_ELEMENT;
    }
    m = n < cJSON_GetArraySize(maps) ? cJSON_GetArrayItem(maps, (int)n) : NULL;
    if (!m || !(tid = scorm__jstr(m, "targetID"))) {
        scorm__diag_set(diag, 351, 0, path,
                        "\"%.200s\": the item offers %d shared data store(s) (adlcp:map, CAM "
                        "4th 3.4.1.14); index %ld does not exist",
                        path, cJSON_GetArraySize(maps), n);
        return SCORM_RT_ERR_VALUE;
    }
    if (!strcmp(rest, "id")) {
        scorm__diag_set(diag, 404, 0, path, "\"%.200s\" is read-only (RTE 4th 4.3)", path);
        return SCORM_RT_ERR_READONLY;
    }
    if (!jbool_def(m, "writeSharedData", 1)) {
        scorm__diag_set(diag, 404, 0, path,
                        "adl.data \"%.200s\" has writeSharedData=\"false\" (CAM 4th 3.4.1.14): "
                        "read-only",
                        tid);
        return SCORM_RT_ERR_READONLY;
    }
    if (value_max && vl > value_max) {
        scorm__diag_set(diag, 351, 0, path,
                        "\"%.200s\": %zu characters, more than this LMS stores (%zu; SPM "
                        "64000, RTE 4th 4.3)",
                        path, vl, value_max);
        return SCORM_RT_ERR_VALUE;
    }
    if ((rc = data_key(txn, org, learner, reg, tid, key, &kl)) != SCORM_RT_OK) {
        scorm__diag_set(diag, 0, 0, path, "no learner or registration to scope shared data");
        return rc;
    }
    if (vl == 0)
        rc = stmt_db_del(txn, "shared_data", key, kl);
    else
        rc = stmt_db_put(txn, "shared_data", key, kl, value, vl, 0);
    if (rc != 0 && !(vl == 0 && rc == STMT_DB_NOTFOUND))
        return SCORM_RT_ERR_STORE;
    return key[0] == 'R' ? prune_attempts(txn, key, kl) : SCORM_RT_OK;
}

int scorm_rt_data_entries(struct stmt_db *db, const cJSON *org, const cJSON *item,
                          const char *learner, const char *registration, cJSON **out)
{
    struct stmt_db_txn *txn = NULL;
    cJSON *arr = NULL;
    int rc;
    if (!db || !org || !item || !out)
        return SCORM_RT_ERR_ARG;
    if (stmt_db_txn_begin(db, 0, &txn))
        return SCORM_RT_ERR_STORE;
    rc = scorm__data_entries(txn, org, item, learner, registration, &arr);
    stmt_db_txn_abort(txn);
    if (rc == SCORM_RT_OK)
        *out = arr;
    return rc;
}

int scorm_rt_data_set(struct stmt_db *db, const cJSON *org, const cJSON *item, const char *learner,
                      const char *registration, const char *element, const char *value,
                      size_t value_max, struct scorm_diag *diag)
{
    struct stmt_db_txn *txn = NULL;
    int rc;
    if (!db || !org || !item || !element || !value)
        return SCORM_RT_ERR_ARG;
    if (stmt_db_txn_begin(db, 1, &txn))
        return SCORM_RT_ERR_STORE;
    rc = scorm__data_set(txn, org, item, learner, registration, element, value, value_max, diag);
    if (rc) {
        stmt_db_txn_abort(txn);
        return rc;
    }
    return stmt_db_txn_commit(txn) ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
}
