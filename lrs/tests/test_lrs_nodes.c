/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Two nodes on one PostgreSQL database (issue 19 step 4): two store handles opened on the same
 * database stand for two scolar processes (each handle has its own connections; the only
 * thing they share is the database). What lrs/ keeps in process memory about stored state must
 * never let node B accept what node A changed:
 *   - a credential verified (and cached) on B, then revoked through A: B refuses it at once;
 *   - a credential verified on B, then deleted and created again under the same key with
 *     another secret through A (a rotation, or a restore): B refuses the old secret, takes the
 *     new one; deleted outright: B refuses it.
 * The verification cache is global to the process, so the test never flushes it between A's
 * change and B's check: B's next verification is exactly what a second process would do with
 * a warm cache. Then `lrs_store_copy` (cmd_copy.c) from the database into an LMDB directory
 * and back into a second database: every table's rows equal on the three.
 *   test_lrs_nodes          (tools/pg-gate.sh: needs SCOLAR_TEST_PG)
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "common/sc_alloc.h"
#include "common/sc_base64.h"
#include "common/tap.h"
#include "statements/stmt_db.h"
#include "statements/tests/pg_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int verify(struct stmt_db *db, const char *key, const char *secret)
{
    char pair[200], b64[300], authz[320];
    struct lrs_cred c;
    int rc;
    snprintf(pair, sizeof pair, "%s:%s", key, secret);
    sc_base64_encode(pair, strlen(pair), b64, 0);
    snprintf(authz, sizeof authz, "Basic %s", b64);
    memset(&c, 0, sizeof c);
    rc = lrs_cred_verify_from(db, authz, NULL, &c);
    lrs_cred_clear(&c);
    return rc;
}

static struct stmt_db *open_pg(const char *url, const char *dir)
{
    struct lrs_config cfg;
    struct stmt_db *db = NULL;
    lrs_config_defaults(&cfg);
    snprintf(cfg.store, sizeof cfg.store, "%s", url);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    return lrs_cli_open_db(&cfg, &db) ? NULL : db;
}

/* every registered table of a has as many rows in b */
static int same_counts(struct stmt_db *a, struct stmt_db *b, size_t *total)
{
    const char *name;
    *total = 0;
    for (int i = 0; (name = stmt_db_table_name(a, i)) != NULL; i++) {
        struct stmt_db_txn *ta = NULL, *tb = NULL;
        size_t na = 0, nb = 1;
        if (stmt_db_txn_begin(a, 0, &ta) || stmt_db_count(ta, name, &na) ||
            stmt_db_txn_begin(b, 0, &tb) || stmt_db_count(tb, name, &nb) || na != nb) {
            tap_diag("table %s: %zu rows vs %zu", name, na, nb);
            stmt_db_txn_abort(ta);
            stmt_db_txn_abort(tb);
            return 0;
        }
        *total += na;
        stmt_db_txn_abort(ta);
        stmt_db_txn_abort(tb);
    }
    return 1;
}

int main(void)
{
    char url[1024], url2[1024], dir[] = "/tmp/scolar-nodes-XXXXXX", sub[1100], err[512] = "";
    char k[80], s[80], k2[80], s2[80], s3[80];
    struct stmt_db *a = NULL, *b = NULL, *l = NULL, *c = NULL;
    size_t total = 0;

    sc_alloc_init_cjson();
    if (pgtu_fresh_url(url, sizeof url) || pgtu_fresh_url(url2, sizeof url2) || !mkdtemp(dir)) {
        printf("1..1\nnot ok 1 - two fresh databases on SCOLAR_TEST_PG\n");
        return 1;
    }
    snprintf(sub, sizeof sub, "%s/a", dir);
    a = open_pg(url, sub);
    snprintf(sub, sizeof sub, "%s/b", dir);
    b = open_pg(url, sub);
    ok(a && b, "nodes A and B open one database");
    if (!a || !b)
        return tap_done();

    /* revocation through A */
    ok(!lrs_cred_create(a, "lms", LRS_SCOPE_ALL, NULL, NULL, k, sizeof k, s, sizeof s),
       "A creates a credential");
    is_int(verify(b, k, s), 0, "B accepts it (and caches the verification)");
    is_int(verify(b, k, s), 0, "B accepts it again (from its cache)");
    is_int(lrs_cred_revoke(a, k), 0, "A revokes it");
    is_int(verify(b, k, s), -1, "B refuses the revoked credential at its next request");

    /* the same key given another secret through A */
    ok(!lrs_cred_create(a, "rot", LRS_SCOPE_ALL, "rotkey", "first-secret", k2, sizeof k2, s2,
                        sizeof s2),
       "A creates key rotkey");
    is_int(verify(b, "rotkey", "first-secret"), 0, "B accepts rotkey:first-secret");
    is_int(stmt_db_del1(a, "creds", "rotkey", 6), 0, "A deletes the record");
    is_int(verify(b, "rotkey", "first-secret"), -1, "B refuses the deleted credential");
    ok(!lrs_cred_create(a, "rot", LRS_SCOPE_ALL, "rotkey", "second-secret", k2, sizeof k2, s3,
                        sizeof s3),
       "A creates rotkey again with another secret");
    is_int(verify(b, "rotkey", "first-secret"), -1,
           "B refuses the old secret although it verified it before");
    is_int(verify(b, "rotkey", "second-secret"), 0, "B accepts the new secret");
    is_int(verify(a, "rotkey", "second-secret"), 0, "A accepts the new secret");

    /* the whole store: PostgreSQL -> LMDB -> another PostgreSQL database */
    snprintf(sub, sizeof sub, "%s/lmdb", dir);
    ok(!lrs_cli_open_dir(sub, &l), "an LMDB store opens");
    is_int(lrs_store_copy(a, l, 0, NULL, err, sizeof err), 0, "copy PostgreSQL -> LMDB: %s", err);
    ok(same_counts(a, l, &total) && total >= 3, "every table has the same rows");
    is_int(verify(l, "rotkey", "second-secret"), 0, "the copy accepts the new secret");
    is_int(verify(l, k, s), -1, "the copy refuses the revoked credential");
    snprintf(sub, sizeof sub, "%s/c", dir);
    c = open_pg(url2, sub);
    ok(c != NULL, "a second database opens");
    is_int(c ? lrs_store_copy(l, c, 0, NULL, err, sizeof err) : -1, 0,
           "copy LMDB -> PostgreSQL: %s", err);
    ok(c && same_counts(l, c, &total), "every table has the same rows again");
    is_int(c ? lrs_store_copy(l, c, 0, NULL, err, sizeof err) : 0, -1,
           "a second copy into the non-empty database is refused");
    ok(strstr(err, "not empty") && strstr(err, "--resume"), "... saying why: %s", err);
    is_int(c ? lrs_store_copy(l, c, 1, NULL, err, sizeof err) : -1, 0,
           "--resume over a complete copy: nothing to do, counts equal");
    is_int(c ? verify(c, "rotkey", "second-secret") : -1, 0, "the last copy accepts it too");

    stmt_db_close(c);
    stmt_db_close(l);
    stmt_db_close(b);
    stmt_db_close(a);
    snprintf(sub, sizeof sub, "rm -rf '%s'", dir);
    if (system(sub) != 0)
        tap_diag("cannot remove %s", dir);
    return tap_done();
}
