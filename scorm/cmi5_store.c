/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmi5 records: the JSON records of tables cmi5_courses, cmi5_regs and cmi5_sessions (one
 * write transaction per logical change, retried after the map grows), and the course list and
 * delete. Keys: the course id, the lowercase registration UUID, the lowercase session UUID.
 */
#include "scorm/cmi5_int.h"
#include "scorm/scorm_int.h"

#include <stdio.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "statements/stmt_db.h"

/* ---- records ----------------------------------------------------------------------------- */

int cmi5__load(struct cmi5 *c, const char *table, const char *key, cJSON **out)
{
    char *v = NULL;
    size_t vl = 0;
    int rc = stmt_db_get1(c->db, table, key, strlen(key), &v, &vl);
    if (rc == STMT_DB_NOTFOUND)
        return CMI5_ERR_NOTFOUND;
    if (rc)
        return CMI5_ERR_STORE;
    *out = cJSON_ParseWithLength(v, vl);
    sc_free(v);
    return *out ? CMI5_OK : CMI5_ERR_NOMEM;
}

int cmi5__save(struct cmi5 *c, size_t n, const char *const *tables, const char *const *keys,
               cJSON *const *vals)
{
    return cmi5__save_fn(c, n, tables, keys, vals, NULL, NULL);
}

int cmi5__save_fn(struct cmi5 *c, size_t n, const char *const *tables, const char *const *keys,
                  cJSON *const *vals, cmi5__txn_fn fn, void *ctx)
{
    struct stmt_db_txn *t = NULL;
    int rc = CMI5_OK;
    for (int attempt = 0; attempt < 3; attempt++) {
        rc = CMI5_OK;
        if (stmt_db_txn_begin(c->db, 1, &t))
            return CMI5_ERR_STORE;
        for (size_t i = 0; i < n && !rc; i++) {
            int r;
            if (!vals[i]) {
                r = stmt_db_del(t, tables[i], keys[i], strlen(keys[i]));
                if (r == STMT_DB_NOTFOUND)
                    r = 0;
            } else {
                char *s = cJSON_PrintUnformatted(vals[i]);
                if (!s) {
                    rc = CMI5_ERR_NOMEM;
                    break;
                }
                r = stmt_db_put(t, tables[i], keys[i], strlen(keys[i]), s, strlen(s), 0);
                cJSON_free(s);
            }
            if (r)
                rc = r == STMT_DB_ERR_FULL ? 1 : CMI5_ERR_STORE;
        }
        if (!rc && fn) {
            int r = fn(t, ctx);
            if (r)
                rc = r == STMT_DB_ERR_FULL ? 1 : r;
        }
        if (rc) {
            stmt_db_txn_abort(t);
            if (rc == 1)
                continue; /* the map grew: retry */
            return rc;
        }
        if (stmt_db_txn_commit(t) == 0)
            return CMI5_OK;
        rc = CMI5_ERR_STORE;
    }
    return rc == 1 ? CMI5_ERR_STORE : rc;
}

int cmi5_course_get(struct cmi5 *c, const char *id, cJSON **out)
{
    if (!scorm__course_id_valid(id))
        return CMI5_ERR_NOTFOUND;
    return cmi5__load(c, CMI5_T_COURSES, id, out);
}

int cmi5_course_exists(struct cmi5 *c, const char *id)
{
    cJSON *x = NULL;
    int rc = cmi5_course_get(c, id, &x);
    cJSON_Delete(x);
    return rc == CMI5_OK;
}

int cmi5_course_dir(struct cmi5 *c, const char *id, char *out, size_t outlen)
{
    if (!cmi5_course_exists(c, id))
        return CMI5_ERR_NOTFOUND;
    return cmi5__dir(c, id, out, outlen);
}

struct list_ctx {
    cJSON *arr;
    const char *course; /* counting registrations of one course */
    int count;
};

static int visit_course(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct list_ctx *l = ctx;
    cJSON *o = cJSON_ParseWithLength(v, vl), *s;
    (void)k;
    (void)kl;
    if (!o)
        return CMI5_ERR_NOMEM;
    s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "id", cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")));
    cJSON_AddStringToObject(s, "type", "cmi5");
    cJSON_AddStringToObject(s, "title", cJSON_GetStringValue(cJSON_GetObjectItem(o, "title")));
    cJSON_AddStringToObject(s, "publisherId",
                            cJSON_GetStringValue(cJSON_GetObjectItem(o, "publisherId")));
    cJSON_AddNumberToObject(s, "aus", cJSON_GetArraySize(cJSON_GetObjectItem(o, "aus")));
    cJSON_AddStringToObject(s, "created", cJSON_GetStringValue(cJSON_GetObjectItem(o, "created")));
    cJSON_AddItemToArray(l->arr, s);
    cJSON_Delete(o);
    return 0;
}

int cmi5_course_list(struct cmi5 *c, cJSON **out)
{
    struct stmt_db_txn *t = NULL;
    struct list_ctx l = {cJSON_CreateArray(), NULL, 0};
    int rc;
    if (!l.arr)
        return CMI5_ERR_NOMEM;
    if (stmt_db_txn_begin(c->db, 0, &t)) {
        cJSON_Delete(l.arr);
        return CMI5_ERR_STORE;
    }
    rc = stmt_db_scan(t, CMI5_T_COURSES, NULL, 0, visit_course, &l);
    stmt_db_txn_abort(t);
    if (rc && rc != STMT_DB_NOTFOUND) {
        cJSON_Delete(l.arr);
        return rc == CMI5_ERR_NOMEM ? rc : CMI5_ERR_STORE;
    }
    *out = l.arr;
    return CMI5_OK;
}

struct regs_ctx {
    struct stmt_db_txn *txn;
    cJSON *arr; /* NULL: count only */
    size_t plen;
    const char *prefix; /* "<course>\x1f" */
    int count, rc;
};

/* A reg_by_course key of the course: "<course>\x1f<inverted time>\x1f<registration>"
 * (scorm_rt_index.c). SCORM registrations of an equal course id are not in cmi5_regs. */
static int visit_reg(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct regs_ctx *l = ctx;
    const void *rv;
    size_t rvl;
    char reg[37];
    int rc;
    (void)v;
    (void)vl;
    if (kl < l->plen || memcmp(k, l->prefix, l->plen))
        return 1; /* past the course's keys */
    if (kl < l->plen + 36)
        return 0;
    memcpy(reg, (const char *)k + kl - 36, 36);
    reg[36] = 0;
    rc = stmt_db_get(l->txn, CMI5_T_REGS, reg, 36, &rv, &rvl);
    if (rc == STMT_DB_NOTFOUND)
        return 0;
    if (rc) {
        l->rc = CMI5_ERR_STORE;
        return 1;
    }
    l->count++;
    if (l->arr) {
        cJSON *o = cJSON_ParseWithLength(rv, rvl);
        if (!o || !cJSON_AddItemToArray(l->arr, o)) {
            cJSON_Delete(o);
            l->rc = CMI5_ERR_NOMEM;
            return 1;
        }
    }
    return 0;
}

/* The registrations of a course (full records, newest first), or only their count when arr is
 * NULL: the console's index reg_by_course (every cmi5 registration is in it: created with it,
 * or by cmi5__index_migrate at open for a store older than the index). */
int cmi5__course_regs(struct cmi5 *c, const char *course, cJSON *arr, int *count)
{
    struct stmt_db_txn *t = NULL;
    char prefix[STMT_DB_MAX_KEY + 2];
    struct regs_ctx l = {NULL, arr, 0, prefix, 0, 0};
    int rc, n = snprintf(prefix, sizeof prefix, "%s\x1f", course);
    if (n < 0 || (size_t)n >= sizeof prefix) {
        *count = 0;
        return CMI5_OK; /* no course id is that long */
    }
    l.plen = (size_t)n;
    if (stmt_db_txn_begin(c->db, 0, &t))
        return CMI5_ERR_STORE;
    l.txn = t;
    rc = stmt_db_scan(t, "reg_by_course", prefix, l.plen, visit_reg, &l);
    stmt_db_txn_abort(t);
    if (l.rc)
        return l.rc;
    if (rc < 0 && rc != STMT_DB_NOTFOUND)
        return CMI5_ERR_STORE;
    *count = l.count;
    return CMI5_OK;
}

int cmi5_course_delete(struct cmi5 *c, const char *id, int force)
{
    char dir[4096];
    int n = 0, rc;
    if (!cmi5_course_exists(c, id))
        return CMI5_ERR_NOTFOUND;
    rc = cmi5__course_regs(c, id, NULL, &n);
    if (rc)
        return rc;
    if (n && !force)
        return CMI5_ERR_STATE;
    if (n) { /* force: the registrations go too (their statements stay in the LRS) */
        cJSON *regs = cJSON_CreateArray(), *e;
        if (!regs || (rc = cmi5__course_regs(c, id, regs, &n))) {
            cJSON_Delete(regs);
            return regs ? rc : CMI5_ERR_NOMEM;
        }
        cJSON_ArrayForEach(e, regs)
        {
            const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(e, "registration"));
            if (k && (rc = cmi5__reg_delete(c, k)) && rc != CMI5_ERR_NOTFOUND) {
                cJSON_Delete(regs);
                return rc;
            }
        }
        cJSON_Delete(regs);
    }
    {
        const char *t[] = {CMI5_T_COURSES};
        const char *k[] = {id};
        cJSON *v[] = {NULL};
        struct cmi5__content_place_ctx pc = {c, id, NULL, NULL};
        /* on PostgreSQL the package's rows go in the record's transaction (cmi5_content.c) */
        rc = cmi5__save_fn(c, 1, t, k, v, cmi5__content_in_db(c) ? cmi5__content_drop : NULL, &pc);
        scorm__content_drop_end(pc.drop, rc == CMI5_OK);
    }
    if (rc)
        return rc;
    if (!cmi5__content_in_db(c) && !cmi5__dir(c, id, dir, sizeof dir))
        cmi5__rm_rf(dir);
    return CMI5_OK;
}
