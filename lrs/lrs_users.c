/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console users (issue 13): a name and a password for people who sign in to the console
 * instead of using an admin credential's key and secret. Table "users": name -> {name, salt,
 * hash, iter, created}; the password is kept only as PBKDF2-HMAC-SHA-256 with a 16-byte random
 * salt and USER_ITER iterations (OWASP 2023 asks 600,000 for SHA-256; 210,000 costs ~60 ms
 * on this machine's cores, a price paid only at sign-in). A console user has the admin scope.
 *
 * GET /api/users -> {"items": [{name, created}], "total", "offset", "limit"}, POST /api/users
 * {"name","password"} -> 201 {name, created}, DELETE /api/users/NAME -> 204 (and the user's
 * sessions end).
 */
#include "lrs/lrs_console.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_json.h"

#include <stdio.h>
#include <string.h>

#define USER_TABLE "users"
#define USER_ITER 210000

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > LRS_USER_MAX_NAME)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@'))
            return 0;
    }
    return 1;
}

int lrs_user_create(struct stmt_db *db, const char *name, const char *password, char *err,
                    size_t errlen)
{
    unsigned char salt[16], hash[32];
    char hx[65], ts[SC_TIME_ISO_LEN];
    cJSON *rec = NULL;
    char *json = NULL;
    int rc;

    if (!name || !valid_name(name)) {
        if (err)
            snprintf(err, errlen, "a user name is 1 to %d letters, digits or . _ - @",
                     LRS_USER_MAX_NAME);
        return LRS_USER_ERR_NAME;
    }
    if (!password || strlen(password) < LRS_USER_MIN_PASSWORD || strlen(password) > 1024) {
        if (err)
            snprintf(err, errlen, "a password has %d to 1024 characters", LRS_USER_MIN_PASSWORD);
        return LRS_USER_ERR_PASSWORD;
    }
    if (sc_random_bytes(salt, sizeof salt) ||
        sc_pbkdf2(password, salt, sizeof salt, USER_ITER, hash)) {
        if (err)
            snprintf(err, errlen, "cannot hash the password");
        return LRS_USER_ERR_STORE;
    }
    rec = cJSON_CreateObject();
    rc = LRS_USER_ERR_STORE;
    if (!rec || !cJSON_AddStringToObject(rec, "name", name))
        goto out;
    sc_hex(salt, sizeof salt, hx);
    if (!cJSON_AddStringToObject(rec, "salt", hx))
        goto out;
    sc_hex(hash, sizeof hash, hx);
    if (!cJSON_AddStringToObject(rec, "hash", hx) ||
        !cJSON_AddNumberToObject(rec, "iter", USER_ITER) ||
        !cJSON_AddStringToObject(rec, "created", sc_time_format_iso(sc_time_now_us(), 3, ts)))
        goto out;
    json = cJSON_PrintUnformatted(rec);
    if (!json)
        goto out;
    rc = stmt_db_put1(db, USER_TABLE, name, strlen(name), json, strlen(json), STMT_DB_NOOVERWRITE);
    if (rc == STMT_DB_ERR_EXISTS) {
        rc = LRS_USER_ERR_EXISTS;
        if (err)
            snprintf(err, errlen, "a user called %s exists", name);
    } else if (rc) {
        rc = LRS_USER_ERR_STORE;
    }
out:
    if (rc == LRS_USER_ERR_STORE && err)
        snprintf(err, errlen, "cannot store the user");
    cJSON_free(json);
    cJSON_Delete(rec);
    return rc;
}

int lrs_user_delete(struct stmt_db *db, const char *name)
{
    struct stmt_db_txn *t = NULL;
    int rc;
    if (!name || !valid_name(name))
        return STMT_DB_NOTFOUND;
    /* one transaction: a user deleted with sessions left over would have them back if a user
     * of the same name were created again */
    rc = stmt_db_txn_begin(db, 1, &t);
    if (rc)
        return rc;
    rc = stmt_db_del(t, USER_TABLE, name, strlen(name));
    if (!rc)
        rc = lrs_session_drop_all_txn(t, "user", name);
    if (rc) {
        stmt_db_txn_abort(t);
        return rc;
    }
    return stmt_db_txn_commit(t);
}

int lrs_user_exists(struct stmt_db *db, const char *name)
{
    char *v = NULL;
    size_t vl;
    int rc;
    if (!name || !valid_name(name))
        return 0;
    rc = stmt_db_get1(db, USER_TABLE, name, strlen(name), &v, &vl);
    sc_free(v);
    /* an error (out of memory, storage) is not an answer: a session must not end on it */
    return rc == STMT_DB_OK ? 1 : rc == STMT_DB_NOTFOUND ? 0 : -1;
}

static int list_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    cJSON *arr = ctx, *rec = cJSON_ParseWithLength(v, vl), *o;
    (void)k;
    (void)kl;
    if (!rec)
        return 0;
    o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        cJSON_Delete(rec);
        return -1;
    }
    cJSON_AddItemToObject(o, "name",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "name"), 0));
    cJSON_AddItemToObject(o, "created",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "created"), 0));
    cJSON_Delete(rec);
    return 0;
}

cJSON *lrs_user_list(struct stmt_db *db)
{
    struct stmt_db_txn *t;
    cJSON *arr = cJSON_CreateArray();
    if (!arr || stmt_db_txn_begin(db, 0, &t)) {
        cJSON_Delete(arr);
        return NULL;
    }
    if (stmt_db_scan(t, USER_TABLE, NULL, 0, list_visit, arr)) {
        cJSON_Delete(arr);
        arr = NULL;
    }
    stmt_db_txn_abort(t);
    return arr;
}

static int unhex(const char *hex, unsigned char *out, size_t n)
{
    if (!hex || strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1)
            return -1;
    return 0;
}

int lrs_user_verify(struct stmt_db *db, const char *name, const char *password)
{
    static const unsigned char dummy_salt[16] = "scolar-user-salt";
    unsigned char salt[16], want[32], got[32];
    unsigned iter = USER_ITER;
    char *v = NULL;
    size_t vl;
    cJSON *rec = NULL;
    int known = 0, rc = -1;

    if (name && valid_name(name) && !stmt_db_get1(db, USER_TABLE, name, strlen(name), &v, &vl)) {
        rec = cJSON_ParseWithLength(v, vl);
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(rec, "iter");
        known = rec &&
                !unhex(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "salt")), salt,
                       sizeof salt) &&
                !unhex(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "hash")), want,
                       sizeof want) &&
                cJSON_IsNumber(it) && it->valuedouble >= 1 && it->valuedouble <= 1e7;
        if (known)
            iter = (unsigned)it->valuedouble;
    }
    sc_free(v);
    if (!password || strlen(password) > 1024)
        password = "";
    /* an unknown user costs the same work as a known one: the time tells nothing */
    if (sc_pbkdf2(password, known ? salt : dummy_salt, 16, iter, got) == 0 && known &&
        sc_ct_equal(got, want, sizeof want))
        rc = 0;
    cJSON_Delete(rec);
    return rc;
}

/* ---- /api/users ------------------------------------------------------------------------- */

static void users_post(struct lrs_req *r)
{
    struct stmt_diag d;
    cJSON *body = NULL, *out = NULL;
    char err[160];
    int rc = lrs_req_read_body(r, 16 * 1024);
    if (rc) {
        lrs_reply_error(r, rc, rc == 413 ? "body larger than 16 KiB" : "cannot read the body");
        return;
    }
    memset(&d, 0, sizeof d);
    body = stmt_json_parse(r->body.data, r->body.len, NULL, &d);
    if (!body && d.code == STMT_ERR_NOMEM) {
        lrs_reply_error(r, 500, "out of memory reading the body");
        return;
    }
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "name"));
    const char *pw = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "password"));
    if (!cJSON_IsObject(body) || !name || !pw) {
        lrs_reply_error(r, 400, "body must be {\"name\", \"password\"}, both strings");
        goto out;
    }
    /* the answer is made before the user is stored: after that nothing may fail */
    out = cJSON_CreateObject();
    if (!out || !cJSON_AddStringToObject(out, "name", name)) {
        lrs_reply_error(r, 500, "out of memory");
        goto out;
    }
    rc = lrs_user_create(r->app->db, name, pw, err, sizeof err);
    if (rc) {
        lrs_reply_error(r, lrs_status(LRS_ERRS_USER, rc), "%s", err);
        goto out;
    }
    lrs_log(LRS_LOG_INFO, "console user %s created", name);
    lrs_reply_json(r, 201, out);
out:
    cJSON_Delete(out);
    cJSON_Delete(body);
}

void lrs_route_users(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/api/users");
    if (!*rest || !strcmp(rest, "/")) {
        if (!strcmp(r->method, "POST")) {
            users_post(r);
        } else if (!strcmp(r->method, "GET") || r->head) {
            cJSON *list = lrs_user_list(r->app->db), *out = cJSON_CreateObject();
            int n = cJSON_GetArraySize(list);
            if (!list || !out || !cJSON_AddItemToObject(out, "items", list)) {
                cJSON_Delete(list);
                cJSON_Delete(out);
                lrs_reply_error(r, 500, "cannot read the users");
                return;
            }
            /* every console list has the paged shape; users are few: one page */
            cJSON_AddNumberToObject(out, "total", n);
            cJSON_AddNumberToObject(out, "offset", 0);
            cJSON_AddNumberToObject(out, "limit", n);
            lrs_reply_json(r, 200, out);
            cJSON_Delete(out);
        } else {
            lrs_reply_error(r, 405, "method %s not allowed on /api/users", r->method);
        }
        return;
    }
    if (!strcmp(r->method, "DELETE")) {
        int rc = lrs_user_delete(r->app->db, rest + 1);
        if (rc == STMT_DB_NOTFOUND)
            lrs_reply_error(r, 404, "no user %.80s", rest + 1);
        else if (rc)
            lrs_reply_error(r, 500, "cannot delete the user");
        else
            lrs_reply(r, 204, NULL, NULL, 0);
        return;
    }
    lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
}
