/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation-failure injection (as test_stmt_store and test_scorm_outbox do) over the write
 * paths of lrs/ that keep records of their own: credentials (create, revoke) and console
 * users (create, delete). The Nth allocation of a call fails, N swept over the call: what a
 * call acknowledged (0) is stored whole and works; what it refused left nothing, or left the
 * record as it was. A record missing a member after a failed cJSON_Add* would be a credential
 * stored "half-written".
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "lrs/lrs_console.h"
#include "common/sc_alloc.h"
#include "common/sc_base64.h"
#include "common/tap.h"
#include "statements/stmt_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct stmt_db *db;

static cJSON *cred_rec(const char *key)
{
    char *v = NULL;
    size_t n;
    cJSON *j = NULL;
    if (stmt_db_get1(db, "creds", key, strlen(key), &v, &n) == STMT_DB_OK)
        j = cJSON_ParseWithLength(v, n);
    sc_free(v);
    return j;
}

/* 1 when key:secret passes Basic authentication (the auth cache is flushed first) */
static int verifies(const char *key, const char *secret)
{
    char pair[200], b64[300], authz[320];
    struct lrs_cred c;
    int rc;
    snprintf(pair, sizeof pair, "%s:%s", key, secret);
    if (sc_base64_len(strlen(pair), 0) >= sizeof b64)
        return -1;
    sc_base64_encode(pair, strlen(pair), b64, 0);
    snprintf(authz, sizeof authz, "Basic %s", b64);
    lrs_auth_cache_flush();
    memset(&c, 0, sizeof c);
    rc = lrs_cred_verify_basic(db, authz, &c);
    lrs_cred_clear(&c);
    return rc == 0;
}

/* every member a credential record needs, with its type */
static int cred_whole(const cJSON *r)
{
    const cJSON *auth = cJSON_GetObjectItemCaseSensitive(r, "authority");
    const cJSON *acct = cJSON_GetObjectItemCaseSensitive(auth, "account");
    static const char *const strs[] = {"key", "name", "salt", "hash", "created"};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, strs[i])))
            return 0;
    return cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "scopes")) &&
           cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "iter")) &&
           cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(r, "revoked")) &&
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(auth, "objectType")) &&
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(acct, "homePage")) &&
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(acct, "name"));
}

#define ROUNDS 60

static void test_creds(void)
{
    char keys[ROUNDS][40], kout[80], sout[80];
    int acked[ROUNDS] = {0}, nacked = 0, failed = 0, half = 0, left = 0, broken = 0;
    int rev_ok = 0, rev_failed = 0, rev_lost = 0, rev_half = 0;
    for (int i = 0; i < ROUNDS; i++) {
        cJSON *r;
        int rc;
        snprintf(keys[i], sizeof keys[i], "oomkey%02d", i);
        sc_alloc_fail_after(i);
        rc = lrs_cred_create(db, "oom", LRS_SCOPE_ALL, keys[i], "oomsecret", kout, sizeof kout,
                             sout, sizeof sout);
        sc_alloc_fail_after(-1);
        r = cred_rec(keys[i]);
        if (rc == 0) {
            acked[i] = 1;
            nacked++;
            half += !r || !cred_whole(r);
            broken += verifies(keys[i], "oomsecret") != 1;
        } else {
            failed++;
            left += r != NULL;
        }
        cJSON_Delete(r);
    }
    ok(nacked > 0 && failed > 0, "credentials: %d created, %d refused under injection", nacked,
       failed);
    is_int(half, 0, "an acknowledged credential is stored whole");
    is_int(broken, 0, "and its key and secret authenticate");
    is_int(left, 0, "a refused one left no record");
    for (int i = 0; i < ROUNDS; i++) {
        cJSON *r;
        int rc;
        if (!acked[i])
            continue;
        sc_alloc_fail_after(i);
        rc = lrs_cred_revoke(db, keys[i]);
        sc_alloc_fail_after(-1);
        r = cred_rec(keys[i]);
        if (rc == 0) {
            rev_ok++;
            rev_lost += verifies(keys[i], "oomsecret") != 0; /* still accepted: not revoked */
            rev_half += !r || !cred_whole(r) ||
                        !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "revoked"));
        } else {
            rev_failed++;
            rev_half += !r || !cred_whole(r) ||
                        !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "revoked"));
        }
        cJSON_Delete(r);
    }
    ok(rev_ok > 0 && rev_failed > 0, "revocations: %d done, %d refused under injection", rev_ok,
       rev_failed);
    is_int(rev_lost, 0, "an acknowledged revocation is in force (the secret is refused)");
    is_int(rev_half, 0, "a record is revoked whole, or left as it was");
}

static void test_users(void)
{
    char name[40];
    int nacked = 0, failed = 0, wrong = 0, del_ok = 0, del_failed = 0, del_wrong = 0;
    for (int i = 0; i < ROUNDS; i++) {
        char err[200];
        int rc;
        snprintf(name, sizeof name, "oomuser%02d", i);
        sc_alloc_fail_after(i);
        rc = lrs_user_create(db, name, "a long password", err, sizeof err);
        sc_alloc_fail_after(-1);
        if (rc == 0) {
            nacked++;
            wrong += lrs_user_verify(db, name, "a long password") != 0;
        } else {
            failed++;
            wrong += lrs_user_exists(db, name) != 0;
        }
    }
    ok(nacked > 0 && failed > 0, "users: %d created, %d refused under injection", nacked, failed);
    is_int(wrong, 0, "an acknowledged user logs in; a refused one does not exist");
    for (int i = 0; i < ROUNDS; i++) {
        int rc, had;
        snprintf(name, sizeof name, "oomuser%02d", i);
        had = lrs_user_exists(db, name);
        sc_alloc_fail_after(i % 8);
        rc = lrs_user_delete(db, name);
        sc_alloc_fail_after(-1);
        if (rc == 0) {
            del_ok++;
            del_wrong += lrs_user_exists(db, name) != 0;
        } else {
            del_failed += had;
            del_wrong += had && lrs_user_exists(db, name) != 1;
        }
    }
    ok(del_ok > 0, "user deletions: %d done, %d refused under injection", del_ok, del_failed);
    is_int(del_wrong, 0, "a deleted user is gone, a refused deletion left the user");
}

int main(void)
{
    char dir[] = "/tmp/scolar-test-lrs-oom-XXXXXX", err[256], cmd[300];
    sc_alloc_init_cjson(); /* cJSON's allocations fail too, as in main() */
    if (!mkdtemp(dir))
        return 2;
    if (stmt_db_open(dir, &db, err, sizeof err) || lrs_db_register(db, err, sizeof err)) {
        fprintf(stderr, "open: %s\n", err);
        return 2;
    }
    test_creds();
    test_users();
    stmt_db_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        tap_diag("cleanup of %s failed", dir);
    return tap_done();
}
