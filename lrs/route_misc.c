/* SPDX-License-Identifier: Apache-2.0 */
/* Small routes: /healthz, /xapi/about (xAPI Comm 2.8) and /api/credentials. */
#include "lrs/lrs.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"

#include <string.h>

void lrs_route_healthz(struct lrs_req *r)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    lrs_reply(r, 200, "application/json", ok, sizeof ok - 1);
}

void lrs_route_not_found(struct lrs_req *r)
{
    lrs_reply_error(r, 404, "no resource at %s", r->path);
}

void lrs_route_about(struct lrs_req *r)
{
    /* xAPI Comm 2.8: version lists the latest patch of each major version served; no other
     * top-level property than version and extensions. */
    cJSON *j = cJSON_CreateObject();
    cJSON *v = cJSON_AddArrayToObject(j, "version");
    cJSON_AddItemToArray(v, cJSON_CreateString("1.0.3"));
    cJSON_AddItemToArray(v, cJSON_CreateString("2.0.0"));
    cJSON *ext = cJSON_AddObjectToObject(j, "extensions");
    cJSON *info = cJSON_AddObjectToObject(ext, "urn:scolar:about");
    cJSON_AddStringToObject(info, "name", "scolar");
    cJSON_AddStringToObject(info, "version", SCOLAR_VERSION);
    lrs_reply_json(r, 200, j);
    cJSON_Delete(j);
}

/* /api/credentials: GET lists, POST {"name":..,"scopes":[..]} creates (secret shown once),
 * DELETE /api/credentials/KEY revokes. */
void lrs_route_credentials(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/api/credentials");
    if (!strcmp(r->method, "GET") && (!*rest || !strcmp(rest, "/"))) {
        cJSON *l = lrs_cred_list(r->app->db);
        if (!l) {
            lrs_reply_error(r, 503, "storage unavailable");
            return;
        }
        lrs_reply_json(r, 200, l);
        cJSON_Delete(l);
        return;
    }
    if (!strcmp(r->method, "POST") && (!*rest || !strcmp(rest, "/"))) {
        int rc = lrs_req_read_body(r, 0);
        cJSON *j = NULL, *out;
        unsigned scopes = 0;
        char err[256], key[80], secret[80];
        if (rc) {
            lrs_reply_error(r, rc, rc == 413 ? "body too large" : "cannot read body");
            return;
        }
        j = lrs_req_json(r, "credential");
        if (!j)
            return;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "scopes");
        if (!cJSON_IsObject(j) || !cJSON_IsString(name) || !cJSON_IsArray(sc)) {
            cJSON_Delete(j);
            lrs_reply_error(r, 400, "body must be {\"name\": string, \"scopes\": [string, ...]}");
            return;
        }
        struct sc_buf b = SC_BUF_INIT;
        const cJSON *e;
        cJSON_ArrayForEach(e, sc)
        {
            if (!cJSON_IsString(e)) {
                sc_buf_free(&b);
                cJSON_Delete(j);
                lrs_reply_error(r, 400, "scopes must be strings");
                return;
            }
            sc_buf_printf(&b, "%s%s", b.len ? "," : "", e->valuestring);
        }
        if (sc_buf_error(&b)) { /* never a credential with a scope left out */
            sc_buf_free(&b);
            cJSON_Delete(j);
            lrs_reply_error(r, 500, "out of memory");
            return;
        }
        if (lrs_scopes_parse(b.data ? b.data : "", &scopes, err, sizeof err)) {
            sc_buf_free(&b);
            cJSON_Delete(j);
            lrs_reply_error(r, 400, "scopes: %s", err);
            return;
        }
        sc_buf_free(&b);
        /* the key and secret are made here and the whole answer before the credential is
         * stored: the secret is shown once, in this answer, so an answer that cannot be made
         * after the store would leave a credential nobody can use */
        {
            unsigned char rnd[48];
            cJSON *sj = NULL;
            if (sc_random_bytes(rnd, sizeof rnd)) {
                cJSON_Delete(j);
                lrs_reply_error(r, 503, "no randomness available");
                return;
            }
            sc_hex(rnd, 16, key);
            sc_hex(rnd + 16, 32, secret);
            out = cJSON_CreateObject();
            if (!out || !cJSON_AddStringToObject(out, "key", key) ||
                !cJSON_AddStringToObject(out, "secret", secret) ||
                !(sj = lrs_scopes_json(scopes)) || !cJSON_AddItemToObject(out, "scopes", sj)) {
                if (sj && !cJSON_GetObjectItem(out, "scopes"))
                    cJSON_Delete(sj);
                cJSON_Delete(out);
                cJSON_Delete(j);
                lrs_reply_error(r, 500, "out of memory");
                return;
            }
        }
        {
            char kout[80], sout[80];
            rc = lrs_cred_create(r->app->db, name->valuestring, scopes, key, secret, kout,
                                 sizeof kout, sout, sizeof sout);
        }
        cJSON_Delete(j);
        if (rc) {
            cJSON_Delete(out);
            lrs_reply_error(r, 503, "cannot store credential");
            return;
        }
        lrs_reply_json(r, 201, out);
        cJSON_Delete(out);
        return;
    }
    if (!strcmp(r->method, "DELETE") && rest[0] == '/' && rest[1]) {
        int rc = lrs_cred_revoke(r->app->db, rest + 1);
        if (rc == STMT_DB_NOTFOUND) {
            lrs_reply_error(r, 404, "no credential %s", rest + 1);
            return;
        }
        if (rc) {
            lrs_reply_error(r, 503, "cannot revoke: %s", stmt_db_strerror(rc));
            return;
        }
        lrs_reply(r, 204, NULL, NULL, 0);
        return;
    }
    lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
}
