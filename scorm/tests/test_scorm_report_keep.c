/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The course report kept by the run-time's writes (scorm_rt_report_keep.c) against the one
 * computed from every registration's records (scorm_rt_report.c), over a seeded random walk
 * of what learners and admins do: registrations, launches, commits with statuses, scores,
 * objectives and interactions, exits that start new attempts, suspends, resets, deletions,
 * previews, and a second course version with other SCOs. After every step the two must
 * agree (scorm_rt_course_reports_check); a few exact figures are asserted as well, a rebuild
 * from the records gives the same tallies, and an older store (no kept tables) gets them at
 * open. Packages are generated here (no ../shared needed).
 */
#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/scorm_rt.h"
#include "scorm/tests/scorm_test_util.h"

static int sink(void *ctx, cJSON **stmts, size_t n)
{
    (void)ctx;
    (void)stmts;
    (void)n;
    return 0;
}

/* A SCORM 2004 course with SCOs s1..s3 (v1) or s1, s4 (v2) and an asset. */
static const char *manifest(int v2)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "<?xml version=\"1.0\"?>\n"
             "<manifest identifier=\"rk\" version=\"1\" xmlns=\"http://www.imsglobal.org/xsd/"
             "imscp_v1p1\" xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\">\n"
             "<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th "
             "Edition</schemaversion></metadata>\n"
             "<organizations default=\"o\"><organization identifier=\"o\"><title>Kept "
             "report</title>\n"
             "<item identifier=\"s1\" identifierref=\"r1\"><title>One</title></item>\n"
             "%s"
             "<item identifier=\"asset\" identifierref=\"ra\"><title>Asset</title></item>\n"
             "</organization></organizations>\n"
             "<resources>\n"
             "<resource identifier=\"r1\" type=\"webcontent\" adlcp:scormType=\"sco\" "
             "href=\"a.html\"><file href=\"a.html\"/></resource>\n"
             "<resource identifier=\"r2\" type=\"webcontent\" adlcp:scormType=\"sco\" "
             "href=\"a.html\"><file href=\"a.html\"/></resource>\n"
             "<resource identifier=\"r3\" type=\"webcontent\" adlcp:scormType=\"sco\" "
             "href=\"a.html\"><file href=\"a.html\"/></resource>\n"
             "<resource identifier=\"ra\" type=\"webcontent\" adlcp:scormType=\"asset\" "
             "href=\"a.html\"><file href=\"a.html\"/></resource>\n"
             "</resources></manifest>\n",
             v2 ? "<item identifier=\"s4\" identifierref=\"r3\"><title>Four</title></item>\n"
                : "<item identifier=\"s2\" identifierref=\"r2\"><title>Two</title></item>\n"
                  "<item identifier=\"s3\" identifierref=\"r3\"><title>Three</title></item>\n");
    return buf;
}

static char *import_course(struct stmt_db *db, int v2, const char *version_of)
{
    return tu_import_manifest(db, manifest(v2), NULL, version_of);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

struct live {
    char reg[64];
    char sess[64];
    char sco[16];
    int seq;
};

static int agree(struct scorm_rt *rt, struct stmt_db *db, const char *what)
{
    char report[2048];
    int err = 0, bad = scorm_rt_course_reports_check(rt, db, report, sizeof report, &err);
    if (bad) {
        report[strcspn(report, "\n")] = 0;
        tap_diag("%s: %s (err %d)", what, report, err);
    }
    return bad == 0;
}

/* One random commit of session L: statuses, a score, an objective and interactions. */
static int random_commit(struct scorm_rt *rt, struct live *L, int final)
{
    static const char *const comp[] = {"completed", "incomplete", "not attempted", "unknown"};
    static const char *const succ[] = {"passed", "failed", "unknown"};
    static const char *const resp[] = {"a", "b", "c"};
    static const char *const exits[] = {"", "suspend", "normal", "logout"};
    cJSON *p = cJSON_CreateObject(), *ch = cJSON_CreateObject(), *out = NULL;
    struct scorm_diag d;
    char k[96], v[64];
    int rc, ni = (int)rnd(3);
    cJSON_AddStringToObject(ch, "cmi.completion_status", comp[rnd(4)]);
    cJSON_AddStringToObject(ch, "cmi.success_status", succ[rnd(3)]);
    if (rnd(3)) {
        snprintf(v, sizeof v, "%.2f", rnd(101) / 100.0);
        cJSON_AddStringToObject(ch, "cmi.score.scaled", v);
    }
    snprintf(v, sizeof v, "PT%uS", 1 + rnd(300));
    cJSON_AddStringToObject(ch, "cmi.session_time", v);
    if (rnd(2)) {
        /* an objective's id is set once per attempt (RTE 4.2.17.1): one per SCO */
        cJSON_AddStringToObject(ch, "cmi.objectives.0.id",
                                strcmp(L->sco, "s2") ? "obj-a" : "obj-b");
        cJSON_AddStringToObject(ch, "cmi.objectives.0.success_status", succ[rnd(3)]);
        snprintf(v, sizeof v, "%.1f", rnd(11) / 10.0);
        cJSON_AddStringToObject(ch, "cmi.objectives.0.score.scaled", v);
    }
    for (int i = 0; i < ni; i++) {
        const char *r = resp[rnd(3)];
        snprintf(k, sizeof k, "cmi.interactions.%d.id", i);
        snprintf(v, sizeof v, "q%u", rnd(3));
        cJSON_AddStringToObject(ch, k, v);
        snprintf(k, sizeof k, "cmi.interactions.%d.type", i);
        cJSON_AddStringToObject(ch, k, "choice");
        snprintf(k, sizeof k, "cmi.interactions.%d.correct_responses.0.pattern", i);
        cJSON_AddStringToObject(ch, k, "a");
        snprintf(k, sizeof k, "cmi.interactions.%d.learner_response", i);
        cJSON_AddStringToObject(ch, k, r);
        snprintf(k, sizeof k, "cmi.interactions.%d.result", i);
        cJSON_AddStringToObject(ch, k, !strcmp(r, "a") ? "correct" : "incorrect");
        snprintf(k, sizeof k, "cmi.interactions.%d.latency", i);
        snprintf(v, sizeof v, "PT%uS", rnd(30));
        cJSON_AddStringToObject(ch, k, v);
    }
    if (final)
        cJSON_AddStringToObject(ch, "cmi.exit", exits[rnd(4)]);
    cJSON_AddNumberToObject(p, "seq", ++L->seq);
    cJSON_AddBoolToObject(p, "final", final);
    cJSON_AddItemToObject(p, "changes", ch);
    memset(&d, 0, sizeof d);
    rc = scorm_rt_commit(rt, L->reg, L->sess, p, &out, &d);
    if (rc)
        tap_diag("commit: %s %s", scorm_rt_strerror(rc), d.msg);
    cJSON_Delete(p);
    cJSON_Delete(out);
    return rc;
}

static double num(const cJSON *o, const char *k)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void test_exact(struct scorm_rt *rt, struct stmt_db *db, const char *course)
{
    cJSON *rep = NULL;
    char regid[64], sess[64];
    is_int(tu_reg_new(rt, course, "x-1", "X", regid), 0, "registration");
    is_int(scorm_rt_course_report(rt, db, course, &rep), 0, "kept report");
    is_int((int)num(rep, "registrations"), 1, "one registration, counted at creation");
    is_int((int)num(rep, "started"), 0, "nothing started");
    is_int(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "scos")), 3, "three SCOs, the asset apart");
    cJSON_Delete(rep);
    rep = NULL;
    is_int(tu_launch(rt, regid, "s2", sess, NULL), 0, "launch s2");
    is_int(tu_commit(rt, regid, sess, 1, 1,
                     "{\"cmi.completion_status\":\"completed\",\"cmi.success_status\":\"passed\","
                     "\"cmi.score.scaled\":\"0.75\",\"cmi.session_time\":\"PT90S\","
                     "\"cmi.exit\":\"suspend\"}",
                     -1, NULL, NULL),
           0, "commit");
    is_int(scorm_rt_course_report(rt, db, course, &rep), 0, "kept report after the commit");
    is_int((int)num(rep, "started"), 1, "started");
    is_int((int)num(rep, "completed"), 0, "one SCO of three completed: not the course");
    is_int((int)num(rep, "passed"), 1, "passed");
    ok(num(cJSON_GetObjectItem(rep, "score"), "mean") == 0.75, "mean score 0.75");
    ok(num(cJSON_GetObjectItem(rep, "time"), "median_s") == 90, "time 90 s");
    {
        const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "scos"), 1);
        is_str(cJSON_GetStringValue(cJSON_GetObjectItem(s, "id")), "s2",
               "SCOs in organization order");
        is_str(cJSON_GetStringValue(cJSON_GetObjectItem(s, "title")), "Two", "with their titles");
        is_int((int)num(s, "completed"), 1, "s2 completed");
    }
    cJSON_Delete(rep);
    ok(agree(rt, db, "exact"), "kept = computed after the exact steps");
    is_int(scorm_rt_registration_delete(rt, regid), 0, "delete it");
    is_int(scorm_rt_course_report(rt, db, course, &rep), 0, "report after deletion");
    is_int((int)num(rep, "registrations"), 0, "no registration left");
    is_int(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "scos")), 0, "and no SCO row");
    cJSON_Delete(rep);
}

static void test_walk(struct scorm_rt *rt, struct stmt_db *db, const char *course, int steps)
{
    struct live L[12];
    int n = 0, disagree = 0, failures = 0;
    memset(L, 0, sizeof L);
    for (int step = 0; step < steps; step++) {
        unsigned op = rnd(100);
        struct scorm_diag d;
        cJSON *out = NULL;
        if (n < 12 && (n == 0 || op < 10)) {
            int preview = rnd(8) == 0;
            struct scorm_rt_reg_opts o = {NULL, NULL, 0, preview};
            char lid[32];
            snprintf(lid, sizeof lid, "w-%d", step);
            if (scorm_rt_registration_create_opt(rt, course, lid, "W", &o, &out, &d) == 0) {
                snprintf(L[n].reg, sizeof L[n].reg, "%s",
                         cJSON_GetStringValue(cJSON_GetObjectItem(out, "registration")));
                L[n].sess[0] = 0;
                n++;
            } else
                failures++;
        } else {
            struct live *x = &L[rnd((unsigned)n)];
            if (op < 40 || !x->sess[0]) {
                static const char *const sco[] = {"s1", "s2", "s3", "s4", "asset"};
                const char *which = sco[rnd(5)];
                int r = scorm_rt_launch(rt, x->reg, which, &out, &d);
                if (r == 0) {
                    snprintf(x->sco, sizeof x->sco, "%s", which);
                    snprintf(x->sess, sizeof x->sess, "%s",
                             cJSON_GetStringValue(cJSON_GetObjectItem(out, "session")));
                    x->seq = 0;
                } else if (r != SCORM_RT_ERR_NOTFOUND)
                    failures++; /* an item of the other version: not found */
            } else if (op < 85) {
                int final = rnd(3) == 0;
                if (random_commit(rt, x, final) == 0 && final)
                    x->sess[0] = 0;
                else if (final)
                    x->sess[0] = 0;
            } else if (op < 92) {
                failures += scorm_rt_registration_reset(rt, x->reg) != 0;
                x->sess[0] = 0;
            } else if (op < 96) {
                failures += scorm_rt_registration_delete(rt, x->reg) != 0;
                *x = L[--n];
            } else {
                failures += scorm_rt_course_exited(rt, x->reg) != 0;
                x->sess[0] = 0;
            }
        }
        cJSON_Delete(out);
        if (!agree(rt, db, "walk")) {
            if (!disagree)
                tap_diag("first disagreement at step %d (op %u)", step, op);
            disagree++;
            if (disagree > 3)
                break;
        }
    }
    is_int(failures, 0, "every registration, reset, deletion and exit of the walk succeeded");
    is_int(disagree, 0, "kept report = computed report after every step of the walk");
}

struct keyset {
    char k[4096][STMT_DB_MAX_KEY + 1];
    size_t l[4096], n;
};

static int keys_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct keyset *s = ctx;
    (void)v;
    (void)vl;
    if (s->n == 4096 || kl > STMT_DB_MAX_KEY)
        return 1;
    memcpy(s->k[s->n], k, kl);
    s->l[s->n++] = kl;
    return 0;
}

static char *report_text(struct scorm_rt *rt, struct stmt_db *db, const char *course)
{
    cJSON *r = NULL;
    char *s;
    if (scorm_rt_course_report(rt, db, course, &r))
        return NULL;
    s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

static void test_rebuild_and_migrate(struct scorm_rt **rt, struct stmt_db *db,
                                     struct scorm_rt_opts *o, const char *course)
{
    struct scorm_diag d;
    struct stmt_db_txn *t = NULL;
    struct keyset *ks = calloc(1, sizeof *ks);
    char *before = report_text(*rt, db, course), *after;
    int wiped = 0;
    ok(before != NULL, "report before rebuild");
    is_int(scorm_rt_course_reports_rebuild(*rt, db), 0, "rebuild from the records");
    ok(agree(*rt, db, "rebuild"), "rebuilt = computed");
    /* an older store: the kept tables are gone, their marker with them */
    scorm_rt_close(*rt);
    *rt = NULL;
    ok(stmt_db_txn_begin(db, 1, &t) == 0, "write txn");
    for (const char *const *tb =
             (const char *const[]){"reg_contrib", "course_report", "course_report_idx", NULL};
         *tb; tb++) {
        ks->n = 0;
        stmt_db_scan(t, *tb, NULL, 0, keys_visit, ks);
        for (size_t i = 0; i < ks->n; i++)
            wiped += stmt_db_del(t, *tb, ks->k[i], ks->l[i]) == 0;
    }
    ok(wiped > 10 && stmt_db_txn_commit(t) == 0, "kept tables wiped (%d rows)", wiped);
    is_int(scorm_rt_open(db, tu_dm, tu_dm_len, o, rt, &d), 0, "reopened: built at open");
    after = report_text(*rt, db, course);
    ok(after != NULL, "report after reopen");
    ok(agree(*rt, db, "migrate"), "built at open = computed");
    {
        /* the same figures as before (the order of rows may differ: compare the check) */
        cJSON *a = cJSON_Parse(before), *b = cJSON_Parse(after);
        is_int((int)num(a, "registrations"), (int)num(b, "registrations"),
               "same registrations after the rebuild at open");
        is_int((int)num(a, "started"), (int)num(b, "started"), "same started");
        cJSON_Delete(a);
        cJSON_Delete(b);
    }
    free(before);
    free(after);
    free(ks);
}

int main(void)
{
    char dir[512];
    size_t dm_len;
    const char *dm_text;
    struct scorm_rt *rt = NULL;
    struct scorm_rt_opts o;
    struct scorm_diag d;
    struct stmt_db *db;
    char *course, *v2;

    sc_alloc_init_cjson();
    tu_init();
    dm_text = tu_datamodel(&dm_len);
    db = tu_db_open(dir, sizeof dir);
    memset(&o, 0, sizeof o);
    o.emit = sink;
    o.activity_base = "http://lms.example.com/courses/";
    o.learner_home = "http://lms.example.com/";
    is_int(scorm_rt_open(db, dm_text, dm_len, &o, &rt, &d), 0, "run-time open");
    course = import_course(db, 0, NULL);
    ok(course != NULL, "generated course imported");
    if (course) {
        test_exact(rt, db, course);
        test_walk(rt, db, course, 400);
        v2 = import_course(db, 1, course);
        ok(v2 != NULL, "second version (SCOs s1, s4) imported");
        free(v2);
        test_walk(rt, db, course, 400);
        test_rebuild_and_migrate(&rt, db, &o, course);
    }
    free(course);
    scorm_rt_close(rt);
    stmt_db_close(db);
    tu_fini();
    return tap_done();
}
