/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sequencing engine on the ADL golf sequencing packages (SHARED_DIR/scorm-packages): the
 * packages walked as their manifests say, simple remediation, selection and randomization
 * seeds (per registration, kept in the state, resumed), and a random walk of requests whose
 * state must round-trip exactly. Split from test_seq_process.c (no source over 1,000 lines).
 */
#include "scorm/tests/seq_test_util.h"
#include "statements/tests/pg_test_util.h"

/* Parse a golf package's manifest from SHARED_DIR into *m (owned). 0 on success. */
static int golf_manifest(const char *dir, cJSON **m)
{
    const char *shared = getenv("SHARED_DIR");
    char path[1024];
    FILE *f;
    char *xml = NULL;
    long n = 0;
    struct scorm_diag d;
    int rc = -1;
    *m = NULL;
    if (!shared)
        return -1;
    snprintf(path, sizeof path, "%s/scorm-packages/%s/imsmanifest.xml", shared, dir);
    f = fopen(path, "rb");
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (xml = sc_malloc((size_t)n)) != NULL && fread(xml, 1, (size_t)n, f) != (size_t)n) {
        sc_free(xml);
        xml = NULL;
    }
    if (f)
        fclose(f);
    if (xml && scorm_manifest_parse(xml, (size_t)n, 0, m, NULL, &d) == 0)
        rc = 0;
    sc_free(xml);
    return rc;
}

/* What a golf SCO reports at Terminate: content pages set completed + passed; a quiz sets
 * completed, score.scaled and passed at 0.7 or more (shared/launchpage.html RecordTest) */
static void golf_report(struct seq_tree *t, int quiz, double scaled)
{
    struct seq_cmi c;
    memset(&c, 0, sizeof c);
    c.primary.completion = SEQ_STATUS_COMPLETED;
    c.primary.success = !quiz || scaled >= 0.7 ? SEQ_STATUS_PASSED : SEQ_STATUS_FAILED;
    if (quiz) {
        c.primary.has_scaled = 1;
        c.primary.scaled = scaled;
    }
    c.session_seconds = 30;
    seq_tree_report(t, &c);
}

/* the available children of the root in their order ("a b c d"), from the state JSON */
static void root_order(struct seq_tree *t, char *buf, size_t len)
{
    cJSON *s = NULL, *e;
    size_t used = 0;
    buf[0] = '\0';
    if (seq_state_to_json(t, &s) != SEQ_OK)
        return;
    cJSON_ArrayForEach(
        e, cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "acts"), "org"), "avail"))
    {
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
                                     cJSON_GetStringValue(e));
    }
    cJSON_Delete(s);
}

static const char *state_rng(const struct seq_tree *t, char *buf, size_t len)
{
    cJSON *s = NULL;
    buf[0] = '\0';
    if (seq_state_to_json(t, &s) == SEQ_OK && cJSON_GetStringValue(cJSON_GetObjectItem(s, "rng")))
        snprintf(buf, len, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(s, "rng")));
    cJSON_Delete(s);
    return buf;
}

/* count how many of n orders are distinct, and how many distinct first children they have */
static void count_orders(char (*orders)[64], int n, int *distinct, int *firsts)
{
    *distinct = *firsts = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0, seen_first = 0;
        for (int k = 0; k < i; k++) {
            seen |= strcmp(orders[k], orders[i]) == 0;
            seen_first |= orders[k][0] == orders[i][0];
        }
        *distinct += !seen;
        *firsts += !seen_first;
    }
}

/* SR.2 Randomize Children: the shuffle seed. A fair shuffle of 4 children over 64 trees shows
 * every child first (a miss has probability 4 * (3/4)^64 < 1e-7) and at least 16 of the 24
 * orders (expected ~22.4). With a fixed seed the registration id alone must spread the orders
 * (seq_state_load mixes it in); with the random seed (0) the same registration id must too.
 * A reloaded registration keeps its order and its full 64-bit generator state. */
static void test_seed(void)
{
    static const char *const rnd =
        "{\"controlMode\":{\"flow\":true,\"choice\":true},\"randomizationControls\":{"
        "\"randomizationTiming\":\"once\",\"reorderChildren\":true}}";
    static const char *const items = LEAF("a") "," LEAF("b") "," LEAF("c") "," LEAF("d");
    static char orders[64][64];
    char dir[] = "/tmp/seqseedXXXXXX", err[128], reg[32], first[64], again[64], r1[32], r2[32];
    struct stmt_db *db = NULL;
    struct seq_diag d;
    int distinct, firsts, fails = 0;
    if (!ok(mkdtemp(dir) != NULL, "seed: temp dir"))
        return;
    if (!ok(pgtu_open_env(dir, &db, err, sizeof err) == 0 && scorm_db_register(db) == SCORM_OK,
            "seed: store opened"))
        goto out;
    /* the same fixed seed, 64 registrations */
    for (int i = 0; i < 64; i++) {
        struct seq_tree *t = tree_new_seed(NULL, rnd, items, 42);
        snprintf(reg, sizeof reg, "reg-%d", i);
        fails += !t || seq_state_load(db, reg, "learner", t, &d) != SEQ_ERR_NOTFOUND;
        if (t)
            root_order(t, orders[i], sizeof orders[i]);
        seq_tree_destroy(t);
    }
    count_orders(orders, 64, &distinct, &firsts);
    is_int(fails, 0, "seed: 64 registrations without state (SEQ_ERR_NOTFOUND)");
    is_int(firsts, 4, "SR.2: same seed, 64 registrations: every child comes first for some");
    ok(distinct >= 16, "SR.2: same seed, 64 registrations: %d of 24 orders", distinct);
    {
        struct seq_tree *t = tree_new_seed(NULL, rnd, items, 42);
        seq_state_load(db, "reg-7", "learner", t, &d);
        root_order(t, again, sizeof again);
        is_str(again, orders[7], "SR.2: same seed and registration -> same order");
        seq_tree_destroy(t);
    }
    /* the random seed, one registration id */
    for (int i = 0; i < 64; i++) {
        struct seq_tree *t = tree_new_seed(NULL, rnd, items, 0);
        fails += !t || seq_state_load(db, "reg-same", "learner", t, &d) != SEQ_ERR_NOTFOUND;
        if (t)
            root_order(t, orders[i], sizeof orders[i]);
        seq_tree_destroy(t);
    }
    count_orders(orders, 64, &distinct, &firsts);
    is_int(fails, 0, "seed: random seeds built");
    is_int(firsts, 4, "SR.2: random seed, one registration id: every child comes first");
    ok(distinct >= 16, "SR.2: random seed, one registration id: %d of 24 orders", distinct);
    /* persisted: a registration reloaded (each time with a new random seed) keeps its order */
    {
        struct seq_tree *t = tree_new_seed(NULL, rnd, items, 0);
        struct seq_result r;
        seq_state_load(db, "reg-keep", "learner", t, &d);
        root_order(t, first, sizeof first);
        nav(t, SEQ_NAV_START, NULL, &r);
        is_int(seq_state_save(db, "reg-keep", "learner", t), SEQ_OK, "seed: state saved");
        state_rng(t, r1, sizeof r1);
        ok(strlen(r1) == 16 && strspn(r1, "0123456789abcdef") == 16,
           "state JSON: rng is 16 hex digits (%s)", r1);
        seq_tree_destroy(t);
        fails = 0;
        for (int i = 0; i < 16; i++) {
            t = tree_new_seed(NULL, rnd, items, 0);
            fails += !t || seq_state_load(db, "reg-keep", "learner", t, &d) != SEQ_OK;
            if (t) {
                root_order(t, again, sizeof again);
                fails += strcmp(again, first) != 0 || strcmp(state_rng(t, r2, sizeof r2), r1) != 0;
            }
            seq_tree_destroy(t);
        }
        is_int(fails, 0, "SR.2: 16 reloads keep the order and the generator state");
    }
    /* all 64 bits survive the JSON round trip; a bad rng is refused and changes nothing */
    {
        struct seq_tree *t = tree_new_seed(NULL, rnd, items, 0xfedcba9876543210ull);
        struct seq_tree *t2 = tree_new_seed(NULL, rnd, items, 5);
        cJSON *s = NULL;
        char *before = NULL, *after = NULL;
        if (t && t2 && seq_state_to_json(t, &s) == SEQ_OK) {
            is_int(seq_state_from_json(t2, s, &d), SEQ_OK, "state: restored");
            is_str(state_rng(t2, r2, sizeof r2), state_rng(t, r1, sizeof r1),
                   "state: the 64-bit generator state round trips");
            root_order(t, first, sizeof first);
            root_order(t2, again, sizeof again);
            is_str(again, first, "state: the order round trips");
            before = state_text(t2);
            cJSON_ReplaceItemInObject(s, "rng", cJSON_CreateString("12345"));
            is_int(seq_state_from_json(t2, s, &d), SEQ_ERR_STATE, "state: rng \"12345\" refused");
            is_str(d.path, "rng", "state: the diag names rng");
            cJSON_ReplaceItemInObject(s, "rng", cJSON_CreateString("fedcba987654321g"));
            is_int(seq_state_from_json(t2, s, &d), SEQ_ERR_STATE, "state: a non-hex rng refused");
            after = state_text(t2);
            ok(before && after && strcmp(before, after) == 0,
               "state: a refused state changes nothing");
            cJSON_ReplaceItemInObject(s, "rng", cJSON_CreateNumber(123456789));
            is_int(seq_state_from_json(t2, s, &d), SEQ_OK,
                   "state: a numeric rng (states written before the hex form) is read");
            is_str(state_rng(t2, r2, sizeof r2), "00000000075bcd15", "state: numeric rng value");
        } else {
            ok(0, "seed: trees built");
        }
        cJSON_free(before);
        cJSON_free(after);
        cJSON_Delete(s);
        seq_tree_destroy(t);
        seq_tree_destroy(t2);
    }
    stmt_db_close(db);
out:
    snprintf(err, sizeof err, "rm -rf %s", dir);
    ok(system(err) == 0, "seed: temp dir removed");
}

/* golf RandomTest (posttest_item randomizationTiming onEachNewAttempt): a registration
 * reloaded from LMDB before the retry draws the same next order as the tree that was never
 * unloaded (the saved generator state is complete) */
static void test_seed_resume(void)
{
    cJSON *m = NULL;
    struct seq_tree *a = NULL, *b = NULL;
    struct seq_opts o = {NULL, 0};
    struct seq_result ra, rb;
    struct seq_diag d;
    char dir[] = "/tmp/seqseedXXXXXX", err[128];
    struct stmt_db *db = NULL;
    char *sa = NULL, *sb = NULL;
    int made = 0;
    if (!ok(golf_manifest("golf-2004v3-SequencingRandomTest", &m) == 0 &&
                (made = mkdtemp(dir) != NULL) && pgtu_open_env(dir, &db, err, sizeof err) == 0 &&
                scorm_db_register(db) == SCORM_OK && seq_tree_create(m, &o, &a, NULL) == SEQ_OK &&
                seq_tree_create(m, &o, &b, NULL) == SEQ_OK,
            "seed resume: manifest, store, trees")) {
        goto out;
    }
    /* the wall-clock marks of the state (attempt start/end) are the same for both */
    seq_tree_set_clock(a, 1700000000000000ll);
    seq_tree_set_clock(b, 1700000000000000ll);
    seq_state_load(db, "rt-reg", "learner", a, &d);
    seq_tree_launch(a, &ra);
    for (int i = 0; i < 4; i++) {
        golf_report(a, 0, 0);
        seq_tree_navigate(a, SEQ_NAV_CONTINUE, NULL, &ra);
    }
    ok(ra.deliver && strncmp(ra.deliver, "test_", 5) == 0, "seed resume: a test delivered (%s)",
       ra.deliver ? ra.deliver : "none");
    is_int(seq_state_save(db, "rt-reg", "learner", a), SEQ_OK, "seed resume: saved");
    is_int(seq_state_load(db, "rt-reg", "learner", b, &d), SEQ_OK, "seed resume: reloaded");
    for (int k = 0; k < 3; k++) {
        /* a failed test: exitParent, then posttest_item's retry draws a new order */
        golf_report(a, 1, 0);
        golf_report(b, 1, 0);
        seq_tree_navigate(a, SEQ_NAV_CONTINUE, NULL, &ra);
        seq_tree_navigate(b, SEQ_NAV_CONTINUE, NULL, &rb);
        is_str(rb.deliver, ra.deliver, "SR.2 onEachNewAttempt after a reload: same test (%d)", k);
    }
    sa = state_text(a);
    sb = state_text(b);
    ok(sa && sb && strcmp(sa, sb) == 0, "seed resume: the states are identical");
out:
    if (db)
        stmt_db_close(db);
    if (made) {
        snprintf(err, sizeof err, "rm -rf %s", dir);
        ok(system(err) == 0, "seed resume: temp dir removed");
    }
    cJSON_free(sa);
    cJSON_free(sb);
    seq_tree_destroy(a);
    seq_tree_destroy(b);
    cJSON_Delete(m);
}

/* golf SimpleRemediation, the path of the browser test (test_sequencing_golf.mjs): content
 * read, quizzes 1 and 3 passed, 2 and 4 failed; test_4's exitParent post-condition ends the
 * wrapper's attempt, whose "not satisfied" post-condition retries it (SB.2.10); the retry skips
 * the satisfied objectives (pre-condition skip, read from the globals the passed quizzes
 * wrote); passing quizzes 2 and 4 satisfies every quiz's objective, so the wrapper's rollup
 * (RB.1.2c default rules over the quizzes) is satisfied and its post-condition exits all.
 * IMS SS 5.1.1 useCurrentAttemptObjectiveInfo drops only the local objective information of
 * children from earlier attempts: the skipped quizzes read their status from the global
 * objectives (SN 4th 4.2.1.4), which are not attempt data. */
static void test_golf_remediation(void)
{
    static const char *const content[] = {"playing_item", "etuqiette_item", "handicapping_item",
                                          "havingfun_item"};
    cJSON *m = NULL, *act = NULL;
    struct seq_tree *t = NULL;
    struct seq_opts o = {NULL, 7};
    struct seq_result r;
    char buf[64];
    if (!ok(golf_manifest("golf-2004v3-SequencingSimpleRemediation", &m) == 0 &&
                seq_tree_create(m, &o, &t, NULL) == SEQ_OK,
            "remediation: manifest parsed, tree built")) {
        cJSON_Delete(m);
        return;
    }
    is_str(nav(t, SEQ_NAV_START, NULL, &r), "playing_item", "remediation: start");
    for (int i = 0; i < 4; i++) {
        is_str(r.deliver, content[i], "remediation: content %d delivered", i + 1);
        golf_report(t, 0, 0);
        nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    }
    {
        static const double score[] = {1, 0, 1, 0};
        for (int i = 0; i < 4; i++) {
            snprintf(buf, sizeof buf, "test_%d", i + 1);
            is_str(r.deliver, buf, "remediation: quiz %d delivered", i + 1);
            golf_report(t, 1, score[i]);
            nav(t, SEQ_NAV_CONTINUE, NULL, &r);
        }
    }
    /* SB.2.10 retry of the wrapper; UP.2 skip of the satisfied objectives' activities */
    is_str(r.deliver, "etuqiette_item", "remediation: retry skips to the failed content");
    is_int(r.ended, 0, "remediation: not ended after the first pass");
    golf_report(t, 0, 0);
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "havingfun_item", "remediation: second content");
    golf_report(t, 0, 0);
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "test_2", "remediation: failed quiz 2 again");
    golf_report(t, 1, 1);
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "test_4", "remediation: failed quiz 4 again");
    golf_report(t, 1, 1);
    /* TB.2.2 exitParent (test_4), then the wrapper's post-condition satisfied -> exitAll */
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    is_str(r.deliver, NULL, "remediation: nothing delivered after the last quiz");
    is_str(r.exception, "", "remediation: no exception");
    is_int(r.ended, 1, "remediation: exitAll ends the session");
    ok(seq_tree_activity_json(t, "content_wrapper", &act) == SEQ_OK, "remediation: wrapper state");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(act, "success")), "passed",
           "RB.1.2c: the wrapper is satisfied (all four quizzes' objectives satisfied)");
    cJSON_Delete(act);
    act = NULL;
    ok(seq_tree_activity_json(t, "golf_sample_default_org", &act) == SEQ_OK,
       "remediation: root state");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(act, "success")), "passed",
           "RB.1.5: the root is satisfied");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(act, "completion")), "completed",
           "RB.1.3c: the root is completed");
    cJSON_Delete(act);
    seq_tree_destroy(t);
    cJSON_Delete(m);
}

/* The golf sequencing examples end to end through the engine: a learner who completes and
 * passes every SCO, continuing after each (OP.1 with the packages' real manifests). */
static void test_golf(void)
{
    static const struct {
        const char *dir, *order;
        int ended;
    } cases[] = {
        {"golf-2004v3-SequencingForcedSequential",
         "playing_item etuqiette_item handicapping_item havingfun_item assessment_item", 1},
        {"golf-2004v3-SequencingPostTestRollup",
         "playing_item etuqiette_item handicapping_item havingfun_item assessment_item", 1},
        /* the passed pre-test satisfies the assessment objective: the post-test is disabled */
        {"golf-2004v3-SequencingPreOrPostTestRollup",
         "pretest_item playing_item etuqiette_item handicapping_item havingfun_item", 0},
        {"golf-2004v3-SequencingSimpleRemediation",
         "playing_item etuqiette_item handicapping_item havingfun_item test_1 test_2 test_3 "
         "test_4",
         1},
        /* SR.2: the four tests are reordered on each attempt; passing the first ends it */
        {"golf-2004v3-SequencingRandomTest",
         "playing_item etuqiette_item handicapping_item havingfun_item test_?", 1},
        {"golf-2004v4-SequencingPostTestRollup4thEd",
         "playing_item etuqiette_item handicapping_item havingfun_item assessment_item", 1},
    };
    const char *shared = getenv("SHARED_DIR");
    if (!shared) {
        ok(0, "golf: SHARED_DIR set");
        return;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024], order[512] = "";
        FILE *f;
        char *xml = NULL;
        long n = 0;
        cJSON *m = NULL;
        struct scorm_diag d;
        struct seq_tree *t = NULL;
        struct seq_opts o = {NULL, 7};
        struct seq_result r;
        size_t used = 0;
        snprintf(path, sizeof path, "%s/scorm-packages/%s/imsmanifest.xml", shared, cases[i].dir);
        f = fopen(path, "rb");
        if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (xml = sc_malloc((size_t)n)) != NULL && fread(xml, 1, (size_t)n, f) != (size_t)n) {
            sc_free(xml);
            xml = NULL;
        }
        if (f)
            fclose(f);
        if (!ok(xml && scorm_manifest_parse(xml, (size_t)n, 0, &m, NULL, &d) == 0 &&
                    seq_tree_create(m, &o, &t, NULL) == SEQ_OK,
                "golf %s: manifest parsed, tree built", cases[i].dir)) {
            sc_free(xml);
            cJSON_Delete(m);
            continue;
        }
        seq_tree_navigate(t, SEQ_NAV_START, NULL, &r);
        for (int k = 0; k < 20 && r.deliver; k++) {
            struct seq_cmi c;
            used += (size_t)snprintf(order + used, sizeof order - used, "%s%s", used ? " " : "",
                                     r.deliver);
            if (used >= sizeof order)
                break;
            memset(&c, 0, sizeof c);
            c.primary.completion = SEQ_STATUS_COMPLETED;
            c.primary.success = SEQ_STATUS_PASSED;
            c.primary.has_scaled = 1;
            c.primary.scaled = 0.9;
            seq_tree_report(t, &c);
            seq_tree_navigate(t, SEQ_NAV_CONTINUE, NULL, &r);
        }
        /* a trailing '?' in the expectation matches any one character (a random test) */
        {
            size_t wl = strlen(cases[i].order);
            if (wl && cases[i].order[wl - 1] == '?' && strlen(order) == wl &&
                strncmp(order, cases[i].order, wl - 1) == 0 && order[wl - 1] >= '1' &&
                order[wl - 1] <= '4')
                order[wl - 1] = '?';
        }
        is_str(order, cases[i].order, "golf %s: delivery order", cases[i].dir);
        is_int(r.ended, cases[i].ended, "golf %s: session ended", cases[i].dir);
        seq_tree_destroy(t);
        cJSON_Delete(m);
        sc_free(xml);
    }
}

/* OP.1 robustness: random navigation requests (valid or not, any target), random run-time
 * data, on every ADL test manifest. After each request: a delivered activity is the current
 * one; the state survives a JSON round trip unchanged; a request refused by NB.2.1 changed
 * nothing. Runs under ASan/UBSan in the test build. */
static void test_random_walk(void)
{
    const char *shared = getenv("SHARED_DIR");
    char dir[1024];
    DIR *d;
    struct dirent *de;
    unsigned long rnd = 12345;
    int trees = 0, requests = 0, bad_deliver = 0, bad_roundtrip = 0, bad_refusal = 0;
    if (!shared) {
        ok(0, "random walk: SHARED_DIR set");
        return;
    }
    snprintf(dir, sizeof dir, "%s/scorm-packages/adl-cts-2004-4th-lmsrte/Courses", shared);
    d = opendir(dir);
    if (!ok(d != NULL, "random walk: %s", dir))
        return;
    while ((de = readdir(d)) != NULL) {
        char path[2048];
        FILE *f;
        char *xml = NULL;
        long n = 0;
        cJSON *m = NULL, *toc = NULL;
        struct seq_tree *t = NULL;
        struct seq_opts o = {NULL, 99};
        struct scorm_diag sd;
        const char *ids[256];
        int nids = 0;
        if (strncmp(de->d_name, "LMSTestPackage_", 15) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s/imsmanifest.xml", dir, de->d_name);
        f = fopen(path, "rb");
        if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (xml = sc_malloc((size_t)n)) != NULL && fread(xml, 1, (size_t)n, f) != (size_t)n) {
            sc_free(xml);
            xml = NULL;
        }
        if (f)
            fclose(f);
        if (!xml || scorm_manifest_parse(xml, (size_t)n, 0, &m, NULL, &sd) != 0 ||
            seq_tree_create(m, &o, &t, NULL) != SEQ_OK || seq_tree_toc(t, &toc) != SEQ_OK) {
            sc_free(xml);
            cJSON_Delete(m);
            seq_tree_destroy(t);
            continue;
        }
        trees++;
        cJSON *e;
        cJSON_ArrayForEach(e, toc)
        {
            if (nids < 255)
                ids[nids++] = cJSON_GetStringValue(cJSON_GetObjectItem(e, "item"));
        }
        ids[nids++] = "no-such-item";
        for (int k = 0; k < 60; k++) {
            struct seq_result r;
            enum seq_nav nav;
            char *before = NULL, *after = NULL;
            rnd = rnd * 6364136223846793005ul + 1442695040888963407ul;
            nav = (enum seq_nav)((rnd >> 33) % 13);
            const char *target = ids[(rnd >> 40) % (unsigned long)nids];
            if ((rnd >> 20) % 3 == 0 && seq_tree_current(t)) {
                struct seq_cmi c;
                memset(&c, 0, sizeof c);
                c.primary.completion = (enum seq_status)((rnd >> 24) % 4);
                c.primary.success =
                    (enum seq_status)((rnd >> 26) % 2 ? SEQ_STATUS_PASSED : SEQ_STATUS_FAILED);
                c.primary.has_scaled = (rnd >> 28) % 2;
                c.primary.scaled = (double)((rnd >> 30) % 200) / 100.0 - 1.0;
                c.suspend = (rnd >> 31) % 5 == 0;
                seq_tree_report(t, &c);
            }
            before = state_text(t);
            seq_tree_navigate(t, nav, target, &r);
            requests++;
            after = state_text(t);
            if (r.deliver && (!seq_tree_current(t) || strcmp(seq_tree_current(t), r.deliver)))
                bad_deliver++;
            if (strncmp(r.exception, "NB.2.1", 6) == 0 && before && after &&
                strcmp(before, after) != 0)
                bad_refusal++;
            {
                cJSON *st = NULL;
                struct seq_tree *t2 = NULL;
                struct seq_diag dd;
                char *again = NULL;
                if (seq_state_to_json(t, &st) == SEQ_OK &&
                    seq_tree_create(m, &o, &t2, NULL) == SEQ_OK &&
                    seq_state_from_json(t2, st, &dd) == SEQ_OK)
                    again = state_text(t2);
                if (!again || !after || strcmp(again, after) != 0)
                    bad_roundtrip++;
                cJSON_free(again);
                cJSON_Delete(st);
                seq_tree_destroy(t2);
            }
            cJSON_free(before);
            cJSON_free(after);
            if (r.ended && (rnd >> 45) % 2)
                seq_tree_launch(t, &r);
        }
        cJSON_Delete(toc);
        seq_tree_destroy(t);
        cJSON_Delete(m);
        sc_free(xml);
    }
    closedir(d);
    ok(trees >= 189, "OP.1 random walk: %d activity trees", trees);
    ok(requests >= 189 * 60, "OP.1 random walk: %d requests", requests);
    is_int(bad_deliver, 0, "OP.1: a delivered activity is always the current one");
    is_int(bad_refusal, 0, "NB.2.1: refused requests never change the state");
    is_int(bad_roundtrip, 0, "state JSON round trip is exact after every request");
}

int main(void)
{
    sc_alloc_init_cjson();
    if (corpus("golf sequencing packages"))
        test_golf();
    if (corpus("golf-2004v3-SequencingSimpleRemediation"))
        test_golf_remediation();
    test_seed();
    if (corpus("golf-2004v3-SequencingRandomTest resumed"))
        test_seed_resume();
    if (corpus("random walk over golf packages"))
        test_random_walk();
    return tap_done();
}
