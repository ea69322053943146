/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One SCORM commit, one durable transaction (issue 15; scorm_outbox.c): the run-time data and
 * the bridge's statements (as bridge_outbox rows) commit together, against a real statement
 * store:
 * - a commit's statements are in the store when it returns, and no row is left;
 * - a crash right after the commit (rows written, not inserted: opts.no_drain) loses nothing:
 *   the start-up drain (scorm_rt_outbox_drain) makes every row a statement;
 * - a crash between the insert and the rows' deletion re-inserts harmlessly: the store takes a
 *   statement whose id is stored with the same content as a no-op (no duplicate, same text);
 * - allocation failures injected at every point of a commit: a commit that returns OK has its
 *   data and its statements (after the drain when its own insert failed), one that fails has
 *   neither and the session goes on (the same seq is applied on retry); no row is left behind.
 */
#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/scorm_rt.h"
#include "scorm/tests/scorm_test_util.h"
#include "statements/stmt_store.h"

#include <unistd.h>

#define AUTH                                                                                       \
    "{\"objectType\":\"Agent\",\"name\":\"scolar SCORM run-time\",\"account\":{\"homePage\":"      \
    "\"http://lms.example.com/\",\"name\":\"scolar-scorm-runtime\"}}"

static struct scorm_rt *rt_open(struct stmt_db *db, struct stmt_store *st, int no_drain)
{
    struct scorm_rt_opts o;
    memset(&o, 0, sizeof o);
    o.store = st;
    o.authority_json = AUTH;
    o.no_drain = no_drain;
    return tu_rt_open(db, &o);
}

static int commit(struct scorm_rt *rt, const char *reg, const char *sess, int seq, int final,
                  const char *changes_json)
{
    return tu_commit_applied(rt, reg, sess, seq, final, changes_json, -1);
}

static size_t store_count(struct stmt_store *st)
{
    size_t n = 0;
    stmt_store_count(st, &n);
    return n;
}

static size_t rows(struct scorm_rt *rt)
{
    size_t n = 0, dead = 0;
    scorm_rt_outbox_count(rt, &n, &dead);
    return n + dead * 1000000; /* a dead row is a failure of every test here */
}

/* the registration's current cmi.location (owned copy, "" when unset) */
static char *location(struct scorm_rt *rt, const char *reg)
{
    cJSON *rep = NULL;
    char *out;
    if (scorm_rt_registration_get(rt, reg, &rep))
        return strdup("(no report)");
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "scos"), 0);
    const char *v =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(s0, "cmi"), "cmi.location"));
    out = strdup(v ? v : "");
    cJSON_Delete(rep);
    return out;
}

/* the statements of the outbox rows (owned array) */
static int row_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k;
    (void)kl;
    cJSON_AddItemToArray(ctx, cJSON_ParseWithLength(v, vl));
    return 0;
}

static cJSON *row_statements(struct stmt_db *db)
{
    cJSON *arr = cJSON_CreateArray();
    struct stmt_db_txn *t = NULL;
    stmt_db_txn_begin(db, 0, &t);
    stmt_db_scan(t, "bridge_outbox", NULL, 0, row_visit, arr);
    stmt_db_txn_abort(t);
    return arr;
}

static void test_prompt(struct stmt_db *db, struct stmt_store *st, const char *course)
{
    struct scorm_rt *rt = rt_open(db, st, 0);
    char reg[64], sess[64];
    size_t n0 = store_count(st);
    ok(rt != NULL, "run-time open with a statement store");
    is_int(tu_reg_new(rt, course, "prompt", "prompt", reg), 0, "registration");
    is_int(tu_launch(rt, reg, "intro", sess, NULL), 0, "launch");
    is_int(commit(rt, reg, sess, 1, 0, "{\"cmi.location\":\"p1\"}"), 0, "commit 1");
    is_int((int)(store_count(st) - n0), 1, "initialized is stored when the commit returns");
    is_int(commit(rt, reg, sess, 2, 1,
                  "{\"cmi.completion_status\":\"completed\",\"cmi.exit\":\"normal\"}"),
           0, "final commit");
    is_int((int)(store_count(st) - n0), 3, "completed and terminated stored when it returns");
    is_int((int)rows(rt), 0, "no outbox row left (deleted in the caller when no drainer runs)");
    scorm_rt_close(rt);
}

static void test_crash_after_commit(struct stmt_db *db, struct stmt_store *st, const char *course)
{
    struct scorm_rt *rt = rt_open(db, st, 1);
    char reg[64], sess[64];
    size_t n0 = store_count(st), n_rows, stored = 0;
    cJSON *before, *s;
    int same = 0;
    is_int(tu_reg_new(rt, course, "crash", "crash", reg), 0, "registration");
    is_int(tu_launch(rt, reg, "intro", sess, NULL), 0, "launch");
    is_int(commit(rt, reg, sess, 1, 1,
                  "{\"cmi.completion_status\":\"completed\",\"cmi.exit\":\"normal\"}"),
           0, "final commit acknowledged");
    n_rows = rows(rt);
    is_int((int)n_rows, 3, "its 3 statements are outbox rows (the crash: not inserted)");
    is_int((int)(store_count(st) - n0), 0, "nothing in the store yet");
    before = row_statements(db);
    scorm_rt_close(rt);
    /* the restart */
    rt = rt_open(db, st, 0);
    is_int(scorm_rt_outbox_drain(rt, &stored), 0, "start-up drain");
    is_int((int)stored, 3, "3 rows handled");
    is_int((int)(store_count(st) - n0), 3, "every row became a statement");
    is_int((int)rows(rt), 0, "no row left");
    cJSON_ArrayForEach(s, before)
    {
        char *json = NULL;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(s, "id"));
        if (id && stmt_store_get(st, id, 0, &json, NULL) == 0) {
            cJSON *got = cJSON_Parse(json);
            same += cJSON_Compare(cJSON_GetObjectItem(got, "verb"), cJSON_GetObjectItem(s, "verb"),
                                  1) &&
                    cJSON_Compare(cJSON_GetObjectItem(got, "timestamp"),
                                  cJSON_GetObjectItem(s, "timestamp"), 1);
            cJSON_Delete(got);
        }
        sc_free(json);
    }
    is_int(same, 3, "each stored under the id its row was given, verb and timestamp kept");
    cJSON_Delete(before);
    scorm_rt_close(rt);
}

static void test_reinsert(struct stmt_db *db, struct stmt_store *st, const char *course)
{
    struct scorm_rt *rt = rt_open(db, st, 1);
    char reg[64], sess[64];
    size_t n0 = store_count(st), stored = 0, n1;
    cJSON *stmts, *s;
    cJSON **arr;
    char *first = NULL, *again = NULL;
    int n, i = 0;
    struct stmt_insert_result res;
    is_int(tu_reg_new(rt, course, "reinsert", "reinsert", reg), 0, "registration");
    is_int(tu_launch(rt, reg, "intro", sess, NULL), 0, "launch");
    is_int(commit(rt, reg, sess, 1, 1, "{\"cmi.exit\":\"suspend\"}"), 0, "final commit");
    scorm_rt_close(rt);
    /* the crash came after the insert, before the rows' deletion */
    stmts = row_statements(db);
    n = cJSON_GetArraySize(stmts);
    is_int(n, 2, "2 rows (initialized, suspended)");
    arr = calloc((size_t)n, sizeof *arr);
    cJSON_ArrayForEach(s, stmts) arr[i++] = s;
    is_int(stmt_store_insert(st, arr, (size_t)n, AUTH, &res), 0, "inserted before the crash");
    stmt_insert_result_free(&res);
    n1 = store_count(st);
    is_int((int)(n1 - n0), 2, "2 statements stored");
    stmt_store_get(st, cJSON_GetStringValue(cJSON_GetObjectItem(arr[0], "id")), 0, &first, NULL);
    rt = rt_open(db, st, 0);
    is_int(scorm_rt_outbox_drain(rt, &stored), 0,
           "the start-up drain inserts the same statements again: OK (same id, same content)");
    is_int((int)stored, 2, "both rows handled");
    is_int((int)store_count(st), (int)n1, "no duplicate statement");
    is_int((int)rows(rt), 0, "rows deleted");
    stmt_store_get(st, cJSON_GetStringValue(cJSON_GetObjectItem(arr[0], "id")), 0, &again, NULL);
    ok(first && again && !strcmp(first, again), "the stored statement is unchanged");
    sc_free(first);
    sc_free(again);
    free(arr);
    cJSON_Delete(stmts);
    scorm_rt_close(rt);
}

/* The drainer thread retries rows older than 2 s (an insert that failed, or never ran). */
static void test_drainer_thread(struct stmt_db *db, struct stmt_store *st, const char *course)
{
    struct scorm_rt *rt = rt_open(db, st, 1); /* no insert after the commit: the rows wait */
    char reg[64], sess[64];
    size_t n0 = store_count(st);
    int waited = 0;
    is_int(tu_reg_new(rt, course, "thread", "thread", reg), 0, "registration");
    is_int(tu_launch(rt, reg, "intro", sess, NULL), 0, "launch");
    is_int(commit(rt, reg, sess, 1, 1, "{\"cmi.exit\":\"suspend\"}"), 0, "final commit");
    is_int((int)rows(rt), 2, "2 rows wait");
    is_int(scorm_rt_outbox_start(rt), 0, "drainer thread started");
    while (rows(rt) > 0 && waited < 100) { /* at most 10 s */
        usleep(100000);
        waited++;
    }
    is_int((int)rows(rt), 0, "the thread stored them and deleted the rows");
    ok(waited >= 15, "not before they were 2 s old (%d00 ms)", waited);
    is_int((int)(store_count(st) - n0), 2, "2 statements stored");
    scorm_rt_close(rt); /* joins the thread */
}

/* Allocation failures at every point of a final commit (and of the inserts right after it). */
static void test_alloc_failures(struct stmt_db *db, struct stmt_store *st, const char *course)
{
    struct scorm_rt *rt = rt_open(db, st, 0);
    char reg[64], sess[64], changes[256], want[32];
    int failed = 0, succeeded = 0, bad = 0, drained_ok = 0, left_rows = 0, k;
    is_int(tu_reg_new(rt, course, "oom", "oom", reg), 0, "registration");
    for (k = 0; k < 5000; k++) {
        size_t n0, n1, stored = 0;
        long f0;
        char *loc0, *loc1;
        int rc;
        if (tu_launch(rt, reg, "intro", sess, NULL)) {
            bad++;
            break;
        }
        n0 = store_count(st);
        loc0 = location(rt, reg);
        snprintf(want, sizeof want, "L%d", k);
        /* each session: resumed (or initialized) and suspended */
        snprintf(changes, sizeof changes,
                 "{\"cmi.location\":\"%s\",\"cmi.exit\":\"suspend\",\"cmi.session_time\":"
                 "\"PT1S\"}",
                 want);
        f0 = sc_alloc_failures();
        rc = tu_commit_applied(rt, reg, sess, 1, 1, changes, k);
        if (sc_alloc_failures() == f0) { /* the countdown never fired: every point was tried */
            if (rc != 0)
                bad++;
            free(loc0);
            break;
        }
        if (rows(rt) > 0)
            left_rows++; /* the insert after the commit failed: the drainer's work */
        if (scorm_rt_outbox_drain(rt, &stored) == 0)
            drained_ok++;
        n1 = store_count(st);
        loc1 = location(rt, reg);
        if (rc == 0) {
            succeeded++;
            if (strcmp(loc1, want) || n1 - n0 != 2) {
                tap_diag("k=%d OK commit: location %s (want %s), %zu statements (want 2)", k, loc1,
                         want, n1 - n0);
                bad++;
            }
        } else {
            failed++;
            if (strcmp(loc1, loc0) || n1 != n0) {
                tap_diag("k=%d failed commit (%d) left location %s (was %s), %zu statements", k, rc,
                         loc1, loc0, n1 - n0);
                bad++;
            }
            /* the session goes on: the player retries the same commit */
            if (commit(rt, reg, sess, 1, 1, changes) != 0 || store_count(st) - n0 != 2) {
                tap_diag("k=%d retry failed", k);
                bad++;
            }
        }
        if (rows(rt) != 0) {
            tap_diag("k=%d: %zu rows left", k, rows(rt));
            bad++;
        }
        free(loc0);
        free(loc1);
    }
    tap_diag("%d injection points: %d commits failed cleanly, %d succeeded, %d left rows that the "
             "drain turned into statements",
             k, failed, succeeded, left_rows);
    ok(k > 50 && k < 5000, "every allocation of the commit path was failed once");
    ok(failed > 0 && succeeded > 0, "some commits failed, some succeeded after a late failure");
    ok(left_rows > 0, "some commits left rows (their insert failed) and the drain stored them");
    is_int(bad, 0, "acknowledged: data and statements; failed: neither; no row left");
    (void)drained_ok;
    scorm_rt_close(rt);
}

/* ---- one definition of a SCO (issue 15) ------------------------------------------------ */

static const char MANIFEST_ASSET[] =
    "<?xml version=\"1.0\"?>\n"
    "<manifest identifier=\"sa\" version=\"1\" "
    "xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\"\n"
    "  xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\">\n"
    "  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>\n"
    "  <organizations default=\"o\"><organization identifier=\"o\"><title>SCO and asset</title>\n"
    "    <item identifier=\"intro\" identifierref=\"ra\"><title>Intro page</title></item>\n"
    "    <item identifier=\"s1\" identifierref=\"rs\"><title>Lesson</title></item>\n"
    "    <item identifier=\"s2\" identifierref=\"rs\"><title>Lesson again</title></item>\n"
    "  </organization></organizations>\n"
    "  <resources>\n"
    "    <resource identifier=\"ra\" type=\"webcontent\" adlcp:scormtype=\"asset\" "
    "href=\"a.html\"><file href=\"a.html\"/></resource>\n"
    "    <resource identifier=\"rs\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"s.html\">"
    "<file href=\"s.html\"/></resource>\n"
    "  </resources>\n"
    "</manifest>\n";

/* launchable items whose resource is a SCO, assets apart: the import's count, the report's
 * scos[] (and its course-level completion), the player's flags and where it resumes agree */
static void test_sco_definition(struct stmt_db *db, struct stmt_store *st)
{
    char zp[512], reg[64], sess[64];
    size_t len;
    zip_t *za = tu_zip_new(zp, sizeof zp);
    cJSON *res = NULL, *rep = NULL, *ps = NULL, *L = NULL, *x;
    struct scorm_diag d;
    struct scorm_import_opts io;
    struct scorm_rt *rt = rt_open(db, st, 0);
    const char *course;
    tu_zip_add_str(za, "imsmanifest.xml", MANIFEST_ASSET);
    tu_zip_add_str(za, "a.html", "<html>a</html>");
    tu_zip_add_str(za, "s.html", "<html>s</html>");
    free(tu_zip_finish(za, zp, &len));
    memset(&io, 0, sizeof io);
    io.in_process = 1;
    is_int(scorm_import_file(db, zp, &io, &res, &d), 0, "course with an asset item imported");
    course = cJSON_GetStringValue(cJSON_GetObjectItem(res, "course"));
    is_int((int)cJSON_GetNumberValue(cJSON_GetObjectItem(res, "scos")), 2,
           "import: 2 SCOs (two items of one SCO resource; the asset apart)");
    is_int(tu_reg_new(rt, course, "scodef", "scodef", reg), 0, "registration");
    is_int(scorm_rt_registration_get(rt, reg, &rep), 0, "report");
    is_int(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "scos")), 2,
           "report: scos[] holds the 2 SCOs");
    is_int((int)cJSON_GetNumberValue(cJSON_GetObjectItem(rep, "scos_total")), 2, "scos_total 2");
    x = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "assets"), 0);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(x, "id")), "intro",
           "the asset is listed apart");
    cJSON_Delete(rep);
    rep = NULL;
    is_int(scorm_rt_player_state(rt, reg, &ps), 0, "player state");
    x = cJSON_GetArrayItem(cJSON_GetObjectItem(ps, "items"), 0);
    ok(cJSON_IsFalse(cJSON_GetObjectItem(x, "sco")) &&
           cJSON_IsTrue(
               cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(ps, "items"), 1), "sco")),
       "player: the asset is not a SCO, the lesson is");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(ps, "resume")), "s1",
           "player: starts at the first SCO not completed, not at the asset");
    /* both SCOs completed: the course is completed although the asset has no status */
    for (int i = 1; i <= 2; i++) {
        char item[8];
        snprintf(item, sizeof item, "s%d", i);
        cJSON_Delete(L);
        L = NULL;
        is_int(scorm_rt_launch(rt, reg, item, &L, &d), 0, "launch %s", item);
        snprintf(sess, sizeof sess, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(L, "session")));
        is_int(commit(rt, reg, sess, 1, 1,
                      "{\"cmi.core.lesson_status\":\"completed\",\"cmi.core.exit\":\"\"}"),
               0, "%s completed", item);
    }
    is_int(scorm_rt_registration_get(rt, reg, &rep), 0, "report");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(rep, "completion")), "completed",
           "course completed: every SCO is (assets have no status)");
    is_int((int)cJSON_GetNumberValue(cJSON_GetObjectItem(rep, "scos_completed")), 2,
           "scos_completed 2");
    cJSON_Delete(L);
    cJSON_Delete(rep);
    cJSON_Delete(ps);
    cJSON_Delete(res);
    scorm_rt_close(rt);
}

int main(void)
{
    char dir[512];
    struct stmt_db *db;
    struct stmt_store *st = NULL;
    struct stmt_store_opts so;
    char *course;

    sc_alloc_init_cjson();
    tu_init();
    db = tu_db_open(dir, sizeof dir);
    memset(&so, 0, sizeof so);
    so.index_inline = 1;
    if (!db || stmt_store_open(db, &so, &st)) {
        printf("Bail out! cannot open the store\n");
        return 1;
    }
    course = tu_import_demo(db, "2004");
    ok(course != NULL, "demo 2004 course imported");
    if (course) {
        test_prompt(db, st, course);
        test_crash_after_commit(db, st, course);
        test_reinsert(db, st, course);
        test_drainer_thread(db, st, course);
        test_alloc_failures(db, st, course);
    }
    test_sco_definition(db, st);
    free(course);
    stmt_store_close(st);
    stmt_db_close(db);
    tu_fini();
    return tap_done();
}
