/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the sequencing engine on small hand-written activity trees (the JSON shape of
 * scorm_manifest_parse). Each case names the SN 4th process it checks. The golf packages,
 * seeds and the random walk are in test_seq_golf.c.
 */
#include "scorm/tests/seq_test_util.h"
#include "statements/tests/pg_test_util.h"
/* NB.2.1 Navigation Request Process: requests invalid in the state are refused, nothing
 * changes */
static void test_nb21(void)
{
    struct seq_tree *t = tree_new(NULL, LEAF("a") "," LEAF("b"));
    struct seq_result r;
    char *before, *after;
    ok(t != NULL, "NB.2.1: tree built");
    if (!t)
        return;
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    is_str(r.exception, "NB.2.1-2", "NB.2.1: continue without a current activity -> NB.2.1-2");
    nav(t, SEQ_NAV_RESUME_ALL, NULL, &r);
    is_str(r.exception, "NB.2.1-3", "NB.2.1: resumeAll with nothing suspended -> NB.2.1-3");
    nav(t, SEQ_NAV_EXIT, NULL, &r);
    is_str(r.exception, "NB.2.1-2", "NB.2.1: exit without a current activity -> NB.2.1-2");
    is_str(nav(t, SEQ_NAV_START, NULL, &r), "a", "SB.2.5: start delivers the first leaf");
    before = state_text(t);
    nav(t, SEQ_NAV_START, NULL, &r);
    is_str(r.exception, "NB.2.1-1", "NB.2.1: start during a session -> NB.2.1-1");
    ok(r.deliver == NULL, "NB.2.1: a refused request delivers nothing");
    nav(t, SEQ_NAV_CHOICE, "nope", &r);
    is_str(r.exception, "NB.2.1-11", "NB.2.1: choice of an unknown activity -> NB.2.1-11");
    nav(t, SEQ_NAV_FORWARD, NULL, &r);
    is_str(r.exception, "NB.2.1-7", "NB.2.1: forward is not supported -> NB.2.1-7");
    after = state_text(t);
    ok(before && after && strcmp(before, after) == 0, "NB.2.1: refused requests change nothing");
    is_str(seq_tree_current(t), "a", "NB.2.1: the current activity is unchanged");
    cJSON_free(before);
    cJSON_free(after);
    seq_tree_destroy(t);
}

/* SB.2.7 / SB.2.8 / SB.2.1: flow through the tree, past the end, backward at the start */
static void test_flow(void)
{
    struct seq_tree *t = tree_new(
        NULL, LEAF("a") ",{\"identifier\":\"c\",\"title\":\"c\",\"sequencing\":{\"controlMode\":"
                        "{\"flow\":true}},\"items\":[" LEAF("c1") "," LEAF("c2") "]}");
    struct seq_result r;
    if (!ok(t != NULL, "SB.2.7: tree built"))
        return;
    nav(t, SEQ_NAV_START, NULL, &r);
    nav(t, SEQ_NAV_PREVIOUS, NULL, &r);
    is_str(r.exception, "SB.2.1-3", "SB.2.8/SB.2.1: previous from the first leaf -> SB.2.1-3");
    is_int(r.ended, 0, "SB.2.8: previous never ends the session");
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "c1", "SB.2.7: continue enters the cluster");
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "c2", "SB.2.7: continue to the sibling");
    is_str(nav(t, SEQ_NAV_PREVIOUS, NULL, &r), "c1", "SB.2.8: previous to the sibling");
    is_str(nav(t, SEQ_NAV_PREVIOUS, NULL, &r), "a", "SB.2.8: previous leaves the cluster");
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    ok(r.deliver == NULL && r.ended, "SB.2.1: continue past the last leaf ends the session");
    ok(seq_tree_current(t) == NULL, "OP.1: no current activity after the session ended");
    seq_tree_destroy(t);
}

/* SB.2.2 with UP.2 (skip) and UP.5 (disabled); DB.1.1 refuses a disabled target */
static void test_rules(void)
{
    struct seq_tree *t =
        tree_new(NULL, LEAF("a") "," LEAFS("b", "{\"sequencingRules\":{\"preConditionRules\":[{"
                                                "\"conditions\":["
                                                "{\"condition\":\"always\"}],\"action\":\"skip\"}"
                                                "]}}") "," LEAFS("c", "{\"sequencingRules\":{"
                                                                      "\"preConditionRules\":[{"
                                                                      "\"conditions\":[{"
                                                                      "\"condition\":\"always\"}]"
                                                                      ","
                                                                      "\"action\":\"disabled\"}]}"
                                                                      "}") "," LEAF("d"));
    struct seq_result r;
    if (!ok(t != NULL, "UP.2: tree built"))
        return;
    nav(t, SEQ_NAV_START, NULL, &r);
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    is_str(r.exception, "SB.2.2-2", "UP.2 skip, then UP.5 disabled stops flow -> SB.2.2-2");
    ok(r.deliver == NULL, "SB.2.2: nothing delivered");
    nav(t, SEQ_NAV_CHOICE, "d", &r);
    is_str(r.deliver, "d", "SB.2.9: choice of an enabled activity delivers it");
    nav(t, SEQ_NAV_CHOICE, "c", &r);
    is_str(r.exception, "DB.1.1-3", "DB.1.1: a disabled activity is not delivered -> DB.1.1-3");
    ok(!seq_tree_nav_valid(t, SEQ_NAV_CHOICE, "c"), "request_valid: choice c is not valid");
    ok(seq_tree_nav_valid(t, SEQ_NAV_CHOICE, "a"), "request_valid: choice a is valid");
    seq_tree_destroy(t);
}

/* UP.1 Limit Conditions Check: attemptLimit 1 */
static void test_limit(void)
{
    struct seq_tree *t =
        tree_new(NULL, LEAFS("a", "{\"limitConditions\":{\"attemptLimit\":1}}") "," LEAF("b"));
    struct seq_result r;
    if (!ok(t != NULL, "UP.1: tree built"))
        return;
    is_str(nav(t, SEQ_NAV_START, NULL, &r), "a", "UP.1: first attempt allowed");
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "b", "UP.1: continue");
    nav(t, SEQ_NAV_CHOICE, "a", &r);
    is_str(r.exception, "DB.1.1-3", "UP.1: a second attempt past attemptLimit -> DB.1.1-3");
    seq_tree_destroy(t);
}

#define T0 1800000000000000LL /* 2027-01-15T08:00:00Z in us */
#define SEC 1000000LL

static void report_time(struct seq_tree *t, enum seq_status completion, double session_seconds)
{
    struct seq_cmi c;
    memset(&c, 0, sizeof c);
    c.primary.completion = completion;
    c.session_seconds = session_seconds;
    seq_tree_report(t, &c);
}

/* state JSON -> a fresh tree of the same manifest (persistence of the limit tracking) */
static struct seq_tree *tree_reload(struct seq_tree *t, const char *items, long long clock)
{
    cJSON *s = NULL;
    struct seq_tree *u = tree_new(NULL, items);
    if (!u || seq_state_to_json(t, &s) != SEQ_OK || seq_state_from_json(u, s, NULL) != SEQ_OK) {
        cJSON_Delete(s);
        seq_tree_destroy(u);
        return NULL;
    }
    cJSON_Delete(s);
    seq_tree_set_clock(u, clock);
    return u;
}

/* UP.1 steps 4 and 6: attempt and activity absolute durations run on the wall clock from the
 * start of the (first) attempt, including time between attempts for the activity */
static void test_limit_absolute(void)
{
    const char *items =
        LEAFS("a", "{\"limitConditions\":{\"attemptAbsoluteDurationLimit\":\"PT1M\"}}") "," LEAFS(
            "c",
            "{\"limitConditions\":{\"activityAbsoluteDurationLimit\":\"PT1H\"}}") "," LEAF("b");
    struct seq_tree *t = tree_new(NULL, items), *u;
    struct seq_result r;
    cJSON *s = NULL, *x;
    if (!ok(t != NULL, "UP.1 abs: tree built"))
        return;
    seq_tree_set_clock(t, T0);
    is_str(nav(t, SEQ_NAV_START, NULL, &r), "a", "UP.1 abs: start delivers a");
    seq_tree_set_clock(t, T0 + 30 * SEC);
    report(t, SEQ_STATUS_COMPLETED, SEQ_STATUS_UNSET);
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "c", "UP.1 abs: a's attempt lasted 30 s");
    ok(seq_tree_nav_valid(t, SEQ_NAV_CHOICE, "a"), "UP.1 abs: choice a valid (30 s < PT1M)");
    is_str(nav(t, SEQ_NAV_CHOICE, "a", &r), "a", "UP.1 abs: a second attempt on a");
    seq_tree_set_clock(t, T0 + 100 * SEC); /* a's second attempt: 70 s, ends here */
    is_str(nav(t, SEQ_NAV_CHOICE, "b", &r), "b", "UP.1 abs: choice b");
    seq_tree_set_clock(t, T0 + 120 * SEC);
    ok(!seq_tree_nav_valid(t, SEQ_NAV_CHOICE, "a"), "UP.1 abs: choice a not valid (70 s)");
    nav(t, SEQ_NAV_CHOICE, "a", &r);
    is_str(r.exception, "DB.1.1-3", "UP.1 abs: attemptAbsoluteDurationLimit reached -> DB.1.1-3");
    ok(r.deliver == NULL, "UP.1 abs: a is not delivered");
    /* c: first attempt at +30 s; activityAbsoluteDurationLimit PT1H counts between attempts */
    seq_tree_set_clock(t, T0 + 1800 * SEC);
    is_str(nav(t, SEQ_NAV_CHOICE, "c", &r), "c", "UP.1 abs: c again after 30 min");
    seq_tree_set_clock(t, T0 + 3700 * SEC);
    is_str(nav(t, SEQ_NAV_CHOICE, "b", &r), "b", "UP.1 abs: leave c after 61 min");
    nav(t, SEQ_NAV_CHOICE, "c", &r);
    is_str(r.exception, "DB.1.1-3", "UP.1 abs: activityAbsoluteDurationLimit reached -> DB.1.1-3");
    /* persisted in the state JSON: wall clock of the first attempt, the attempt start/end */
    if (ok(seq_state_to_json(t, &s) == SEQ_OK, "UP.1 abs: state JSON")) {
        x = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "acts"), "a");
        ok(cJSON_GetNumberValue(cJSON_GetObjectItem(x, "vs")) == (double)T0,
           "UP.1 abs: state vs = start of a's first attempt");
        ok(cJSON_GetNumberValue(cJSON_GetObjectItem(x, "ts")) == (double)(T0 + 30 * SEC),
           "UP.1 abs: state ts = start of a's last attempt");
        ok(cJSON_GetNumberValue(cJSON_GetObjectItem(x, "te")) == (double)(T0 + 100 * SEC),
           "UP.1 abs: state te = end of a's last attempt");
    }
    cJSON_Delete(s);
    u = tree_reload(t, items, T0 + 3700 * SEC);
    if (ok(u != NULL, "UP.1 abs: state restored on a new tree")) {
        ok(!seq_tree_nav_valid(u, SEQ_NAV_CHOICE, "a"), "UP.1 abs: restored a still refused");
        ok(!seq_tree_nav_valid(u, SEQ_NAV_CHOICE, "c"), "UP.1 abs: restored c still refused");
    }
    seq_tree_destroy(u);
    seq_tree_destroy(t);
}

/* UP.1 steps 5 and 7: experienced durations are the SCO's reported session times (the wall
 * clock does not move here) */
static void test_limit_experienced(void)
{
    struct seq_tree *t = tree_new(
        NULL,
        LEAFS("a",
              "{\"limitConditions\":{\"attemptExperiencedDurationLimit\":"
              "\"PT10M\"}}") "," LEAFS("c",
                                       "{\"limitConditions\":{\"activityExperiencedDurationLimit\":"
                                       "\"PT12M\"}}") "," LEAF("b"));
    struct seq_result r;
    if (!ok(t != NULL, "UP.1 exp: tree built"))
        return;
    seq_tree_set_clock(t, T0);
    nav(t, SEQ_NAV_START, NULL, &r);
    report_time(t, SEQ_STATUS_COMPLETED, 599);
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "c", "UP.1 exp: continue to c");
    is_str(nav(t, SEQ_NAV_CHOICE, "a", &r), "a", "UP.1 exp: a again after 599 s (< PT10M)");
    report_time(t, SEQ_STATUS_COMPLETED, 300);
    report_time(t, SEQ_STATUS_COMPLETED, 300); /* two sessions in one attempt: 600 s */
    is_str(nav(t, SEQ_NAV_CHOICE, "c", &r), "c", "UP.1 exp: choice c");
    nav(t, SEQ_NAV_CHOICE, "a", &r);
    is_str(r.exception, "DB.1.1-3", "UP.1 exp: attemptExperiencedDurationLimit -> DB.1.1-3");
    report_time(t, SEQ_STATUS_COMPLETED, 400);
    is_str(nav(t, SEQ_NAV_CHOICE, "b", &r), "b", "UP.1 exp: choice b");
    is_str(nav(t, SEQ_NAV_CHOICE, "c", &r), "c", "UP.1 exp: c again after 400 s of 720");
    report_time(t, SEQ_STATUS_COMPLETED, 320); /* 720 s over two attempts */
    is_str(nav(t, SEQ_NAV_CHOICE, "b", &r), "b", "UP.1 exp: choice b again");
    nav(t, SEQ_NAV_CHOICE, "c", &r);
    is_str(r.exception, "DB.1.1-3", "UP.1 exp: activityExperiencedDurationLimit -> DB.1.1-3");
    seq_tree_destroy(t);
}

/* UP.1 steps 8 and 9 (beginTimeLimit, endTimeLimit); the timeLimitExceeded and
 * outsideAvailableTimeRange rule conditions (IMS SS 5.2.3) */
static void test_limit_time_range(void)
{
    struct seq_tree *t =
        tree_new(NULL, LEAF("a") "," LEAFS("w", "{\"limitConditions\":{\"beginTimeLimit\":"
                                                "\"2027-02-01T00:00:00Z\",\"endTimeLimit\":"
                                                "\"2027-03-01T00:00:00\"}}") "," LEAF("b"));
    struct seq_tree *u =
        tree_new(NULL, LEAFS("a", "{\"limitConditions\":{\"attemptExperiencedDurationLimit\":"
                                  "\"PT1M\"},"
                                  "\"sequencingRules\":{\"preConditionRules\":[{"
                                  "\"conditions\":[{\"condition\":"
                                  "\"timeLimitExceeded\"}],\"action\":\"hiddenFromChoice\"}]}"
                                  "}") "," LEAFS("w", "{\"limitConditions\":{\"endTimeLimit\":"
                                                      "\"2027-03-01T00:00:00Z\"},"
                                                      "\"sequencingRules\":{\"preConditionRules\":"
                                                      "[{\"conditions\":[{\"condition\":"
                                                      "\"outsideAvailableTimeRange\"}],\"action\":"
                                                      "\"skip\"}]}}") "," LEAF("b"));
    struct seq_result r;
    char b1[32];
    if (!ok(t != NULL && u != NULL, "UP.1 time: trees built")) {
        seq_tree_destroy(t);
        seq_tree_destroy(u);
        return;
    }
    seq_tree_set_clock(t, T0); /* 2027-01-15: before w's beginTimeLimit */
    is_str(nav(t, SEQ_NAV_START, NULL, &r), "a", "UP.1 time: start");
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    is_str(r.exception, "SB.2.2-2", "UP.1 time: before beginTimeLimit flow stops -> SB.2.2-2");
    ok(!seq_tree_nav_valid(t, SEQ_NAV_CHOICE, "w"), "UP.1 time: choice w not valid yet");
    seq_tree_set_clock(t, T0 + 30LL * 86400 * SEC); /* 2027-02-14 */
    is_str(nav(t, SEQ_NAV_CHOICE, "w", &r), "w", "UP.1 time: inside the range w is delivered");
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "b", "UP.1 time: continue to b");
    seq_tree_set_clock(t, T0 + 45LL * 86400 * SEC); /* 2027-03-01T08:00Z, past endTimeLimit */
    nav(t, SEQ_NAV_CHOICE, "w", &r);
    is_str(r.exception, "DB.1.1-3", "UP.1 time: after endTimeLimit (no zone: UTC) -> DB.1.1-3");

    seq_tree_set_clock(u, T0);
    nav(u, SEQ_NAV_START, NULL, &r);
    is_str(toc_field(u, "a", "hidden", b1, sizeof b1), "false",
           "timeLimitExceeded: false before any time is reported");
    report_time(u, SEQ_STATUS_COMPLETED, 61);
    is_str(toc_field(u, "a", "hidden", b1, sizeof b1), "true",
           "timeLimitExceeded: true once 61 s of PT1M are reported");
    is_str(nav(u, SEQ_NAV_CONTINUE, NULL, &r), "w",
           "outsideAvailableTimeRange: false, w delivered");
    seq_tree_set_clock(u, T0 + 45LL * 86400 * SEC);
    is_str(nav(u, SEQ_NAV_PREVIOUS, NULL, &r), "", "previous to a refused (a's limit)");
    seq_tree_set_clock(u, T0);
    nav(u, SEQ_NAV_EXIT_ALL, NULL, &r);
    seq_tree_set_clock(u, T0 + 45LL * 86400 * SEC);
    seq_tree_reset(u);
    nav(u, SEQ_NAV_START, NULL, &r);
    is_str(nav(u, SEQ_NAV_CONTINUE, NULL, &r), "b", "outsideAvailableTimeRange: w skipped");
    seq_tree_destroy(t);
    seq_tree_destroy(u);
}

/* objectivesGlobalToSystem (CAM 4th 3.4.1.3): false scopes the global objectives to one
 * experience of the organization, so a retry of the root (SB.2.10) starts without them (CTS
 * RU-13d); true keeps them */
static void test_global_scope(void)
{
    static const char root[] =
        "{\"controlMode\":{\"flow\":true,\"choice\":false},\"sequencingRules\":{"
        "\"postConditionRules\":[{\"conditions\":[{\"condition\":\"satisfied\",\"operator\":"
        "\"not\"}],\"action\":\"retry\"}]},\"objectives\":{\"primary\":{\"objectiveID\":\"p\","
        "\"mapInfo\":[{\"targetObjectiveID\":\"g\"}]}}}";
    static const char items[] =
        LEAFS("a", "{\"sequencingRules\":{\"preConditionRules\":[{\"conditions\":[{\"condition\":"
                   "\"objectiveStatusKnown\",\"referencedObjective\":\"o\"}],\"action\":\"skip\"}"
                   "]},"
                   "\"objectives\":{\"primary\":{},\"objectives\":[{\"objectiveID\":\"o\","
                   "\"mapInfo\":[{\"targetObjectiveID\":\"g\",\"writeSatisfiedStatus\":true}]}]}"
                   "}") "," LEAFS("b", "{\"sequencingRules\":{\"postConditionRules\":[{"
                                       "\"conditions\":[{\"condition\":"
                                       "\"always\"}],\"action\":\"exitParent\"}]}}");
    for (int sys = 0; sys < 2; sys++) {
        struct seq_tree *t =
            tree_new_org(sys ? NULL : "\"objectivesGlobalToSystem\":false,", root, items);
        struct seq_result r;
        struct seq_cmi c;
        struct seq_cmi_obj ob;
        if (!ok(t != NULL, "objectivesGlobalToSystem: tree built"))
            return;
        is_str(nav(t, SEQ_NAV_START, NULL, &r), "a", "objectivesGlobalToSystem: start delivers a");
        memset(&c, 0, sizeof c);
        memset(&ob, 0, sizeof ob);
        ob.id = "o";
        ob.success = SEQ_STATUS_FAILED;
        c.objectives = &ob;
        c.n_objectives = 1;
        c.primary.completion = SEQ_STATUS_COMPLETED;
        seq_tree_report(t, &c); /* o failed -> g failed -> the root is not satisfied */
        is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "b", "objectivesGlobalToSystem: continue to b");
        /* b exits its parent (the root), whose post-condition retries the whole tree */
        is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), sys ? "b" : "a",
               sys ? "objectivesGlobalToSystem true: the retry still sees g, a is skipped"
                   : "objectivesGlobalToSystem false: the retry no longer sees g, a is delivered");
        seq_tree_destroy(t);
    }
}

/* TB.2.2 / TB.2.3: post-condition exitAll ends the session; retry re-delivers */
static void test_post(void)
{
    struct seq_tree *t =
        tree_new(NULL, LEAFS("a", "{\"sequencingRules\":{\"postConditionRules\":[{\"conditions\":[{"
                                  "\"condition\":\"satisfied\",\"operator\":\"not\"}],\"action\":"
                                  "\"retry\"},{\"conditions\":[{\"condition\":\"satisfied\"}],"
                                  "\"action\":\"exitAll\"}]}}") "," LEAF("b"));
    struct seq_result r;
    if (!ok(t != NULL, "TB.2.2: tree built"))
        return;
    nav(t, SEQ_NAV_START, NULL, &r);
    report(t, SEQ_STATUS_COMPLETED, SEQ_STATUS_FAILED);
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "a", "TB.2.2: post-condition retry (SB.2.10)");
    report(t, SEQ_STATUS_COMPLETED, SEQ_STATUS_PASSED);
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    ok(r.deliver == NULL && r.ended, "TB.2.3: post-condition exitAll ends the session");
    seq_tree_destroy(t);
}

/* RB.1.2 / RB.1.3 default rollup; RB.1.4 rule with atLeastCount */
static void test_rollup(void)
{
    char b1[32];
    struct seq_tree *t = tree_new(NULL, LEAF("a") "," LEAF("b"));
    struct seq_result r;
    if (!ok(t != NULL, "RB.1.5: tree built"))
        return;
    nav(t, SEQ_NAV_START, NULL, &r);
    report(t, SEQ_STATUS_COMPLETED, SEQ_STATUS_PASSED);
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    report(t, SEQ_STATUS_INCOMPLETE, SEQ_STATUS_FAILED);
    is_str(toc_field(t, "org", "success", b1, sizeof b1), "failed",
           "RB.1.2c: default rollup: all known, not all satisfied -> not satisfied");
    is_str(toc_field(t, "org", "completion", b1, sizeof b1), "incomplete",
           "RB.1.3c: default rollup: all progress known, not all completed -> incomplete");
    report(t, SEQ_STATUS_COMPLETED, SEQ_STATUS_PASSED);
    is_str(toc_field(t, "org", "success", b1, sizeof b1), "passed",
           "RB.1.2c: all satisfied -> satisfied");
    is_str(toc_field(t, "org", "completion", b1, sizeof b1), "completed",
           "RB.1.3c: all completed -> completed");
    seq_tree_destroy(t);

    t = tree_new("{\"controlMode\":{\"flow\":true},\"rollupRules\":{\"rules\":[{"
                 "\"childActivitySet\":\"atLeastCount\",\"minimumCount\":1,\"conditions\":[{"
                 "\"condition\":\"satisfied\"}],\"action\":\"satisfied\"}]}}",
                 LEAF("a") "," LEAF("b") "," LEAF("c"));
    if (!ok(t != NULL, "RB.1.4: tree built"))
        return;
    nav(t, SEQ_NAV_START, NULL, &r);
    report(t, SEQ_STATUS_COMPLETED, SEQ_STATUS_PASSED);
    is_str(toc_field(t, "org", "success", b1, sizeof b1), "passed",
           "RB.1.4: atLeastCount 1 satisfied -> satisfied");
    seq_tree_destroy(t);
}

/* objectives: local objective mapped to a global one (mapInfo), read by another activity */
static void test_global(void)
{
    struct seq_tree *t =
        tree_new(NULL, LEAFS("a", "{\"objectives\":{\"primary\":{\"objectiveID\":\"pa\","
                                  "\"mapInfo\":[{"
                                  "\"targetObjectiveID\":\"g1\",\"writeSatisfiedStatus\":true}]"
                                  "}}}") "," LEAFS("b", "{\"sequencingRules\":{"
                                                        "\"preConditionRules\":[{\"conditions\":[{"
                                                        "\"condition\":\"satisfied\"}],\"action\":"
                                                        "\"skip\"}]},\"objectives\":{"
                                                        "\"primary\":{\"objectiveID\":\"pb\","
                                                        "\"mapInfo\":[{\"targetObjectiveID\":"
                                                        "\"g1\"}]}}}") "," LEAF("c"));
    struct seq_result r;
    if (!ok(t != NULL, "SN 4.2.1.4: tree built"))
        return;
    nav(t, SEQ_NAV_START, NULL, &r);
    report(t, SEQ_STATUS_COMPLETED, SEQ_STATUS_PASSED);
    is_str(nav(t, SEQ_NAV_CONTINUE, NULL, &r), "c",
           "mapInfo: b reads a's satisfied status from g1 and is skipped");
    seq_tree_destroy(t);
}

/* TB.2.3 suspendAll, state JSON round trip, SB.2.6 resumeAll; LMDB save/load */
static void test_suspend_state(void)
{
    const char *items = LEAF("a") "," LEAF("b") "," LEAF("c");
    struct seq_tree *t = tree_new(NULL, items), *t2 = tree_new(NULL, items);
    struct seq_result r;
    struct seq_diag d;
    cJSON *s = NULL, *bad;
    char dir[] = "/tmp/seqtestXXXXXX", err[128];
    struct stmt_db *db = NULL;
    if (!ok(t && t2, "TB.2.3: trees built"))
        goto out;
    nav(t, SEQ_NAV_START, NULL, &r);
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    nav(t, SEQ_NAV_SUSPEND_ALL, NULL, &r);
    ok(r.ended && r.deliver == NULL, "TB.2.3: suspendAll ends the session");
    is_str(seq_tree_suspended(t), "b", "TB.2.3: b is the suspended activity");
    ok(seq_state_to_json(t, &s) == SEQ_OK, "state: to JSON");
    bad = cJSON_Parse("{\"v\":1,\"acts\":{\"zz\":{\"avail\":[],\"objs\":[]}}}");
    is_int(seq_state_from_json(t2, bad, &d), SEQ_ERR_STATE, "state: unknown activity refused");
    cJSON_Delete(bad);
    is_int(seq_state_from_json(t2, s, &d), SEQ_OK, "state: restored on a fresh tree");
    is_str(nav(t2, SEQ_NAV_RESUME_ALL, NULL, &r), "b", "SB.2.6: resumeAll delivers b");
    is_str(seq_tree_suspended(t2), NULL, "DB.2: the suspended activity is cleared");
    if (ok(mkdtemp(dir) != NULL, "temp dir") &&
        ok(pgtu_open_env(dir, &db, err, sizeof err) == 0 && scorm_db_register(db) == SCORM_OK,
           "store opened")) {
        struct seq_tree *t3 = tree_new(NULL, items);
        is_int(seq_state_load(db, "reg-1", "learner", t3, &d), SEQ_ERR_NOTFOUND,
               "LMDB: no state yet -> SEQ_ERR_NOTFOUND");
        is_int(seq_state_save(db, "reg-1", "learner", t), SEQ_OK, "LMDB: saved");
        is_int(seq_state_load(db, "reg-1", "learner", t3, &d), SEQ_OK, "LMDB: loaded");
        is_str(nav(t3, SEQ_NAV_RESUME_ALL, NULL, &r), "b", "LMDB: resume after reload gives b");
        seq_tree_destroy(t3);
        stmt_db_close(db);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        ok(system(cmd) == 0, "temp dir removed");
    }
out:
    cJSON_Delete(s);
    seq_tree_destroy(t);
    seq_tree_destroy(t2);
}

/* Root attempt count from the state JSON ("acts" -> id -> "n"). */
static int attempts_of(const struct seq_tree *t, const char *id)
{
    cJSON *s = NULL;
    int n = -1;
    if (seq_state_to_json(t, &s) == SEQ_OK) {
        cJSON *a = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "acts"), id);
        if (cJSON_IsNumber(cJSON_GetObjectItem(a, "n")))
            n = cJSON_GetObjectItem(a, "n")->valueint;
    }
    cJSON_Delete(s);
    return n;
}

/* TB.2.3 exitAll after SCOs set cmi.exit "suspend" (the golf SCOs do at every unload): no
 * activity stays suspended, so the next start begins a new attempt on the root (DB.2) instead
 * of resuming the ended one */
static void test_exit_all_after_suspend(void)
{
    struct seq_tree *t = tree_new(NULL, LEAF("a") "," LEAF("b"));
    struct seq_result r;
    struct seq_cmi c;
    if (!ok(t != NULL, "exitAll/suspend: tree built"))
        return;
    is_str(nav(t, SEQ_NAV_START, NULL, &r), "a", "start delivers a");
    is_int(attempts_of(t, "org"), 1, "root: first attempt");
    memset(&c, 0, sizeof c);
    c.suspend = 1; /* a leaves with cmi.exit "suspend" */
    seq_tree_report(t, &c);
    is_str(nav(t, SEQ_NAV_CHOICE, "b", &r), "b", "choice delivers b; a stays suspended");
    seq_tree_report(t, &c); /* b too */
    nav(t, SEQ_NAV_EXIT_ALL, NULL, &r);
    ok(r.ended && !r.deliver, "exitAll ends the session");
    is_str(seq_tree_suspended(t), NULL, "exitAll: nothing to resume");
    is_str(nav(t, SEQ_NAV_START, NULL, &r), "a", "start after exitAll delivers a");
    is_int(attempts_of(t, "org"), 2, "DB.2: a new attempt on the root");
    is_int(attempts_of(t, "a"), 2, "DB.2: a new attempt on a");
    seq_tree_destroy(t);
}

/* TB.2.3 suspendAll from an inactive activity suspends its parent (here the root, a cluster
 * DB.1.1 will not deliver): seq_tree_launch falls back to start */
static void test_launch_fallback(void)
{
    struct seq_tree *t = tree_new(NULL, LEAF("a") "," LEAF("b"));
    struct seq_result r;
    if (!ok(t != NULL, "launch: tree built"))
        return;
    is_str(nav(t, SEQ_NAV_START, NULL, &r), "a", "launch: start");
    nav(t, SEQ_NAV_EXIT, NULL, &r);
    ok(r.deliver == NULL && !r.ended && r.exception[0] == '\0', "SB.2.11: exit of a leaf");
    nav(t, SEQ_NAV_SUSPEND_ALL, NULL, &r);
    is_str(seq_tree_suspended(t), "org", "TB.2.3: the parent (root) is suspended");
    nav(t, SEQ_NAV_RESUME_ALL, NULL, &r);
    is_str(r.exception, "DB.1.1-1", "DB.1.1: a cluster is not delivered");
    nav(t, SEQ_NAV_SUSPEND_ALL, NULL, &r);
    ok(seq_tree_launch(t, &r) == SEQ_OK && r.deliver && strcmp(r.deliver, "a") == 0,
       "launch: falls back to start and delivers a");
    is_str(seq_tree_suspended(t), NULL, "DB.2.1: the suspension is cleared");
    seq_tree_destroy(t);
}

/* SR.1 Select Children: selectCount 2 of 4, kept across the state round trip */
static void test_select(void)
{
    struct seq_tree *t =
        tree_new("{\"controlMode\":{\"flow\":true},\"randomizationControls\":{"
                 "\"selectionTiming\":\"once\",\"selectCount\":2,\"randomizationTiming\":"
                 "\"once\",\"reorderChildren\":true}}",
                 LEAF("a") "," LEAF("b") "," LEAF("c") "," LEAF("d"));
    cJSON *toc = NULL;
    struct seq_result r;
    int n = 0;
    if (!ok(t != NULL, "SR.1: tree built"))
        return;
    ok(seq_tree_toc(t, &toc) == SEQ_OK, "SR.1: toc");
    n = cJSON_GetArraySize(toc);
    is_int(n, 3, "SR.1: the root and 2 of 4 children are available");
    nav(t, SEQ_NAV_START, NULL, &r);
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    ok(r.deliver != NULL, "SR.2: second selected child delivered");
    nav(t, SEQ_NAV_CONTINUE, NULL, &r);
    ok(r.ended, "SR.1: only the selected children are traversed");
    cJSON_Delete(toc);
    seq_tree_destroy(t);
}

/* SB.2.9 choice: choiceExit=false on an active cluster refuses leaving it (NB.2.1-8) and a
 * parent with choice=false refuses choice of its children (NB.2.1-10) */
static void test_choice(void)
{
    struct seq_tree *t = tree_new(
        NULL, "{\"identifier\":\"c\",\"title\":\"c\",\"sequencing\":{\"controlMode\":{"
              "\"flow\":true,\"choiceExit\":false}},\"items\":[" LEAF("c1") "," LEAF(
                  "c2") "]},"
                        "{\"identifier\":\"k\",\"title\":\"k\",\"sequencing\":{\"controlMode\":{"
                        "\"flow\":true,\"choice\":false}},\"items\":[" LEAF("k1") "]}");
    struct seq_result r;
    if (!ok(t != NULL, "SB.2.9: tree built"))
        return;
    is_str(nav(t, SEQ_NAV_START, NULL, &r), "c1", "SB.2.5: start");
    is_str(nav(t, SEQ_NAV_CHOICE, "c2", &r), "c2", "SB.2.9: choice of a sibling");
    nav(t, SEQ_NAV_CHOICE, "k", &r);
    is_str(r.exception, "NB.2.1-8", "NB.2.1: leaving an active choiceExit=false cluster");
    nav(t, SEQ_NAV_CHOICE, "k1", &r);
    is_str(r.exception, "NB.2.1-10", "NB.2.1: choice under choice=false -> NB.2.1-10");
    seq_tree_destroy(t);
}

int main(void)
{
    sc_alloc_init_cjson();
    test_nb21();
    test_flow();
    test_rules();
    test_limit();
    test_limit_absolute();
    test_limit_experienced();
    test_limit_time_range();
    test_post();
    test_rollup();
    test_global();
    test_global_scope();
    test_suspend_state();
    test_exit_all_after_suspend();
    test_launch_fallback();
    test_select();
    test_choice();
    return tap_done();
}
