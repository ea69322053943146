/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console sign-in's failure windows (lrs_fails.h, lrs_auth_fails.c) with a clock the test
 * sets: in memory on LMDB (test_lrs_fails), rows of auth_fails on PostgreSQL
 * (test_lrs_fails_pg, SCOLAR_TEST_BACKEND=pg, a fresh database of SCOLAR_TEST_PG). The same
 * rules on both:
 *   - a name waits once `max` failures are in its window, until the window ends;
 *   - a success takes back its pair's failures from the address's and the key's windows,
 *     not another address's, not the address's against other keys;
 *   - a window that began after the pair's first failure (the address's ended and began again)
 *     is left as it is: only what is known to be the pair's is taken back;
 *   - a success with no failure of its own changes nothing.
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "lrs/lrs_fails.h"
#include "common/sc_alloc.h"
#include "common/tap.h"
#include "statements/stmt_db.h"
#include "statements/tests/pg_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define W (300 * INT64_C(1000000))
#define S INT64_C(1000000)

static struct stmt_db *db;

struct who {
    char a[64], n[64], p[128];
    const char *names[3];
};

static void who(struct who *w, const char *addr, const char *key)
{
    snprintf(w->a, sizeof w->a, "a:%s", addr);
    snprintf(w->n, sizeof w->n, "n:%s", key);
    snprintf(w->p, sizeof w->p, "p:%s\x1f%s", addr, key);
    w->names[0] = w->a;
    w->names[1] = w->n;
    w->names[2] = w->p;
}

static int fail(const char *addr, const char *key, int64_t now)
{
    struct who w;
    who(&w, addr, key);
    return lrs__fails_window_note(db, w.names, W, now);
}

static int forgive(const char *addr, const char *key, int64_t now)
{
    struct who w;
    who(&w, addr, key);
    return lrs__fails_window_forgive(db, w.names, W, now);
}

/* seconds the pair (addr, key) waits with a limit of max, or -1 on an error */
static int64_t wait_of(const char *addr, const char *key, int max, int64_t now)
{
    struct who w;
    int64_t s = 0;
    who(&w, addr, key);
    return lrs__fails_window_wait(db, w.names, max, W, now, &s) ? -1 : s;
}

int main(void)
{
    const char *be = getenv("SCOLAR_TEST_BACKEND");
    int pg = be && !strcmp(be, "pg");
    char dir[] = "/tmp/scolar-fails-XXXXXX", url[512] = "";
    struct lrs_config cfg;
    int64_t t0 = INT64_C(1800000000) * S; /* a wall clock the test moves */

    sc_alloc_init_cjson();
    if (!mkdtemp(dir)) {
        ok(0, "a data directory");
        return tap_done();
    }
    lrs_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    if (pg && pgtu_fresh_url(url, sizeof url) == 0)
        snprintf(cfg.store, sizeof cfg.store, "%s", url);
    if ((pg && !url[0]) || lrs_cli_open_db(&cfg, &db)) {
        ok(0, "open the store");
        return tap_done();
    }
    tap_diag("backend: %s", pg ? "PostgreSQL (rows of auth_fails)" : "LMDB (in memory)");
    is_int(lrs__fails_shared(db), pg, "counted %s", pg ? "in the store" : "in memory");

    /* the limit and its end */
    ok(!fail("10.0.0.1", "k1", t0) && !fail("10.0.0.1", "k1", t0 + S), "two failures noted");
    is_int((int)wait_of("10.0.0.1", "k1", 3, t0 + 2 * S), 0, "under a limit of 3: no wait");
    is_int((int)wait_of("10.0.0.1", "k1", 2, t0 + 2 * S), 299, "at a limit of 2: 299 s to wait");
    is_int((int)wait_of("10.0.0.9", "k1", 2, t0 + 2 * S), 299, "another address: the key waits");
    is_int((int)wait_of("10.0.0.1", "k9", 2, t0 + 2 * S), 299, "another key: the address waits");
    is_int((int)wait_of("10.0.0.1", "k1", 2, t0 + W + 1), 0, "the window ended: no wait");

    /* a success takes back its own pair's failures, from both windows */
    ok(!forgive("10.0.0.1", "k1", t0 + 3 * S), "10.0.0.1 signs in as k1");
    is_int((int)wait_of("10.0.0.1", "k1", 1, t0 + 4 * S), 0,
           "its two failures are taken back: not even a limit of 1 is reached");
    ok(!fail("10.0.0.1", "k1", t0 + 5 * S), "one more failure");
    is_int((int)wait_of("10.0.0.1", "k1", 1, t0 + 6 * S), 300,
           "counted from it: the emptied windows begin again at the next failure");

    /* not another address's, not the address's against other keys */
    ok(!fail("10.0.0.2", "k2", t0) && !fail("10.0.0.3", "k2", t0) && !fail("10.0.0.3", "k3", t0),
       "10.0.0.2 fails once as k2; 10.0.0.3 once as k2, once as k3");
    ok(!forgive("10.0.0.3", "k2", t0 + S), "10.0.0.3 signs in as k2");
    is_int((int)wait_of("10.0.0.4", "k2", 1, t0 + 2 * S), 299,
           "k2 keeps 10.0.0.2's failure (a limit of 1 reached)");
    is_int((int)wait_of("10.0.0.3", "k4", 1, t0 + 2 * S), 299,
           "10.0.0.3 keeps its failure as k3 (a limit of 1 reached)");
    is_int((int)wait_of("10.0.0.3", "k4", 2, t0 + 2 * S), 0,
           "and only that one: its failure as k2 is taken back");
    ok(!forgive("10.0.0.5", "k5", t0 + S), "a success without a failure of its own");
    is_int((int)wait_of("10.0.0.4", "k2", 1, t0 + 2 * S), 299, "changes nothing");

    /* a window begun after the pair's first failure is left as it is */
    ok(!fail("10.0.0.6", "k6", t0) && !fail("10.0.0.6", "k7", t0 + 100 * S),
       "10.0.0.6 fails as k6, then 100 s later as k7 (the pair's window begins then)");
    ok(!fail("10.0.0.6", "k8", t0 + W + S), "its address's window ended: a failure as k8 begins "
                                            "a new one");
    ok(!forgive("10.0.0.6", "k7", t0 + W + 2 * S), "10.0.0.6 signs in as k7");
    is_int((int)wait_of("10.0.0.6", "k9", 1, t0 + W + 3 * S), 299,
           "the address's new window keeps its failure (as k8)");
    is_int((int)wait_of("10.0.0.9", "k7", 1, t0 + W + 3 * S), 0,
           "k7's window gives its failure back");

    stmt_db_close(db);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            tap_diag("could not remove %s", dir);
    }
    return tap_done();
}
