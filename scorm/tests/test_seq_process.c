/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the sequencing engine on small hand-written activity trees (the JSON shape of
 * scorm_manifest_parse). Each case names the SN 4th process it checks.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/scorm.h"
#include "scorm/seq.h"
#include "statements/stmt_db.h"

/* a manifest with one organization: flow at the root unless `root_seq` says otherwise;
 * seed 0 takes a random seed (seq_opts) */
static struct seq_tree *tree_new_seed(const char *org_attrs, const char *root_seq,
                                      const char *items, uint64_t seed)
{
    char buf[8192];
    cJSON *m;
    struct seq_tree *t = NULL;
    struct seq_opts o = {NULL, seed};
    snprintf(buf, sizeof buf,
             "{\"default_organization\":\"org\",\"organizations\":[{%s\"identifier\":\"org\","
             "\"title\":\"Org\",\"sequencing\":%s,\"items\":[%s]}]}",
             org_attrs ? org_attrs : "",
             root_seq ? root_seq : "{\"controlMode\":{\"flow\":true,\"choice\":true}}", items);
    m = cJSON_Parse(buf);
    if (!m)
        return NULL;
    if (seq_tree_create(m, &o, &t, NULL) != SEQ_OK)
        t = NULL;
    cJSON_Delete(m);
    return t;
}

static struct seq_tree *tree_new_org(const char *org_attrs, const char *root_seq, const char *items)
{
    return tree_new_seed(org_attrs, root_seq, items, 42);
}

static struct seq_tree *tree_new(const char *root_seq, const char *items)
{
    return tree_new_org(NULL, root_seq, items);
}

#define LEAF(id) "{\"identifier\":\"" id "\",\"title\":\"" id "\",\"launch\":\"x.html\"}"
#define LEAFS(id, seq)                                                                             \
    "{\"identifier\":\"" id "\",\"title\":\"" id "\",\"launch\":\"x.html\",\"sequencing\":" seq "}"

static const char *nav(struct seq_tree *t, enum seq_nav n, const char *target, struct seq_result *r)
{
    seq_tree_navigate(t, n, target, r);
    return r->deliver ? r->deliver : "";
}

static void report(struct seq_tree *t, enum seq_status completion, enum seq_status success)
{
    struct seq_cmi c;
    memset(&c, 0, sizeof c);
    c.primary.completion = completion;
    c.primary.success = success;
    seq_tree_report(t, &c);
}

static char *state_text(const struct seq_tree *t)
{
    cJSON *s = NULL;
    char *txt;
    if (seq_state_to_json(t, &s) != SEQ_OK)
        return NULL;
    txt = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    return txt;
}

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

static const char *toc_field(struct seq_tree *t, const char *item, const char *field, char *buf,
                             size_t len);

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

static const char *toc_field(struct seq_tree *t, const char *item, const char *field, char *buf,
                             size_t len)
{
    cJSON *toc = NULL, *e;
    buf[0] = '\0';
    if (seq_tree_toc(t, &toc) != SEQ_OK)
        return buf;
    cJSON_ArrayForEach(e, toc)
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "item")), item) == 0) {
            cJSON *v = cJSON_GetObjectItem(e, field);
            snprintf(buf, len, "%s",
                     cJSON_IsString(v) ? v->valuestring
                     : cJSON_IsTrue(v) ? "true"
                                       : "false");
        }
    }
    cJSON_Delete(toc);
    return buf;
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
        ok(stmt_db_open(dir, &db, err, sizeof err) == 0 && scorm_db_register(db) == SCORM_OK,
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
    if (!ok(stmt_db_open(dir, &db, err, sizeof err) == 0 && scorm_db_register(db) == SCORM_OK,
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
                (made = mkdtemp(dir) != NULL) && stmt_db_open(dir, &db, err, sizeof err) == 0 &&
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

/* 1 when the third-party corpus (SHARED_DIR/scorm-packages) is present; else a skipped test
 * (a failure when CI=true: issue 18) */
static int corpus(const char *what)
{
    char dir[1024];
    struct stat st;
    const char *shared = getenv("SHARED_DIR"), *ci = getenv("CI");
    snprintf(dir, sizeof dir, "%s/scorm-packages", shared ? shared : "../../shared");
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    if (ci && !strcmp(ci, "true"))
        ok(0, "%s: the corpus %s is required when CI=true", what, dir);
    else
        ok(1, "# SKIP %s: needs the third-party SCORM corpus %s", what, dir);
    return 0;
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
