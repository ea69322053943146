/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scorm/cmi5: the course structure rules as data (tests/data/cmi5/good-*.xml must pass,
 * bad-<rule>--*.xml must be refused with that rule), the shared cmi5 packages imported from
 * zips built here (and refused as bare structures, 14.2.0.0-1) with the store and files checked,
 * the moveOn table against a model, and a session: launch, fetch once, auth, the statement
 * rules and the satisfied statements they bring, terminate ends the token.
 */
#include "common/sc_alloc.h"
#include "scorm/tests/scorm_test_util.h"

#include <libxml/parser.h>

#include "common/sc_rand.h"
#include "common/tap.h"
#include "scorm/cmi5.h"
#include "scorm/cmi5_int.h"
#include "scorm/scorm_content.h"
#include "statements/stmt_store.h"

static void structure_cases(void)
{
    char dir[512], path[1024];
    DIR *d;
    struct dirent *de;
    int n = 0;
    snprintf(dir, sizeof dir, "%s/tests/data/cmi5", getenv("SRC_DIR") ? getenv("SRC_DIR") : ".");
    d = opendir(dir);
    ok(d != NULL, "data folder %s", dir);
    while (d && (de = readdir(d)) != NULL) {
        size_t len = 0;
        char *xml, rule[32] = "";
        cJSON *out = NULL;
        struct cmi5_diag diag;
        int rc;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        xml = tu_read(path, &len);
        memset(&diag, 0, sizeof diag);
        rc = cmi5_structure_check(xml, len, &out, &diag);
        if (!strncmp(de->d_name, "good-", 5)) {
            ok(rc == 0 && out, "%s accepted (%s)", de->d_name, diag.msg);
        } else {
            const char *e = strstr(de->d_name, "--");
            snprintf(rule, sizeof rule, "%.*s", e ? (int)(e - de->d_name - 4) : 0, de->d_name + 4);
            ok(rc == CMI5_ERR_INVALID && !out, "%s refused", de->d_name);
            is_str(diag.rule, rule, "%s names rule %s: %s", de->d_name, rule, diag.msg);
            ok(diag.msg[0] != 0, "%s has a message", de->d_name);
        }
        if (!strcmp(de->d_name, "good-nested-blocks.xml") && out) {
            const cJSON *au = cJSON_GetArrayItem(cJSON_GetObjectItem(out, "aus"), 0);
            is_int(cJSON_GetArraySize(cJSON_GetObjectItem(out, "blocks")), 2, "two blocks");
            is_str(cJSON_GetStringValue(cJSON_GetObjectItem(au, "launchParameters")), "p=1",
                   "launchParameters trimmed");
            ok(cJSON_GetNumberValue(cJSON_GetObjectItem(au, "masteryScore")) == 0.75,
               "masteryScore");
            is_int(cJSON_GetArraySize(cJSON_GetObjectItem(au, "blocks")), 2,
                   "the AU is under both blocks");
            is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
                       cJSON_GetArrayItem(cJSON_GetObjectItem(out, "aus"), 1), "moveOn")),
                   "NotApplicable", "moveOn defaults to NotApplicable (XSD)");
        }
        cJSON_Delete(out);
        free(xml);
        n++;
    }
    if (d)
        closedir(d);
    ok(n >= 10, "%d structure cases", n);
}

static const char *const SHARED_PKGS[] = {"masteryscore_framed",
                                          "masteryscore_responsive",
                                          "multi_au_framed",
                                          "pre_post_test_framed",
                                          "single_au_basic_framed",
                                          "single_au_basic_responsive",
                                          NULL};

static void shared_packages(struct cmi5 *c, const char *datadir)
{
    for (const char *const *p = SHARED_PKGS; *p; p++) {
        char dir[1024], path[1200];
        size_t len = 0, xl = 0;
        char *zip, *xml;
        cJSON *out = NULL, *again = NULL;
        struct cmi5_diag d;
        struct stat st;
        size_t xl0 = 0;
        snprintf(dir, sizeof dir, "%s/scorm-packages/cmi5/%s", tu_shared(), *p);
        snprintf(path, sizeof path, "%s/cmi5.xml", dir);
        if (stat(path, &st) == 0)
            xl0 = (size_t)st.st_size;
        zip = tu_zip_package(dir, 0, &len);
        memset(&d, 0, sizeof d);
        ok(zip && cmi5_course_import(c, zip, len, 1, &out, &d) == 0, "%s imports (%s)", *p, d.msg);
        if (out) {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(out, "id"));
            struct scorm_content *h = NULL;
            snprintf(path, sizeof path, "%s/cmi5/%s/cmi5.xml", datadir, id);
            /* LMDB: files under DATA/cmi5/<id>/; PostgreSQL: content rows, no folder */
            ok((stat(path, &st) == 0) == !stmt_db_is_pg(c->db), "%s: %s", *p,
               stmt_db_is_pg(c->db) ? "no DATA/cmi5 folder (rows)" : "files under DATA/cmi5/");
            ok(cmi5_content_open(c, id, "cmi5.xml", &h) == 0 && scorm_content_size(h) == xl0,
               "%s: cmi5.xml reads back (%zu bytes)", *p, xl0);
            scorm_content_close(h);
            h = NULL;
            ok(cmi5_course_get(c, id, &again) == 0 &&
                   cJSON_GetArraySize(cJSON_GetObjectItem(again, "aus")) ==
                       cJSON_GetArraySize(cJSON_GetObjectItem(out, "aus")),
               "%s: the stored record reads back", *p);
            ok(cmi5_course_delete(c, id, 0) == 0 && stat(path, &st) != 0 &&
                   !cmi5_course_exists(c, id) &&
                   cmi5_content_open(c, id, "cmi5.xml", &h) == CMI5_ERR_NOTFOUND,
               "%s: delete removes record and files", *p);
        }
        snprintf(path, sizeof path, "%s/cmi5.xml", dir);
        xml = tu_read(path, &xl);
        memset(&d, 0, sizeof d);
        cJSON_Delete(out);
        out = NULL;
        ok(xml && cmi5_course_import(c, xml, xl, 0, &out, &d) == CMI5_ERR_INVALID && !out,
           "%s: the bare structure is refused", *p);
        is_str(d.rule, "14.2.0.0-1", "%s: relative AU url without a package", *p);
        cJSON_Delete(again);
        free(zip);
        free(xml);
    }
}

/* moveOn against a model: one line per criterion over (completed, passed, waived). */
static void moveon_model(void)
{
    static const char *const M[] = {"NotApplicable", "Completed", "Passed", "CompletedAndPassed",
                                    "CompletedOrPassed"};
    for (int m = 0; m < 5; m++)
        for (int bits = 0; bits < 8; bits++) {
            int comp = bits & 1, pass = (bits >> 1) & 1, waived = (bits >> 2) & 1, want;
            cJSON *def = cJSON_CreateObject(), *st = cJSON_CreateObject();
            cJSON_AddStringToObject(def, "moveOn", M[m]);
            cJSON_AddBoolToObject(st, "completed", comp);
            cJSON_AddBoolToObject(st, "passed", pass);
            cJSON_AddBoolToObject(st, "waived", waived);
            want = waived || m == 0 || (m == 1 && comp) || (m == 2 && pass) ||
                   (m == 3 && comp && pass) || (m == 4 && (comp || pass));
            is_int(cmi5__au_moveon_met(def, st), want, "moveOn %s completed=%d passed=%d waived=%d",
                   M[m], comp, pass, waived);
            cJSON_Delete(def);
            cJSON_Delete(st);
        }
}

static cJSON *au_stmt(const char *verb, const char *actor_json, const char *activity,
                      const char *reg, const char *session, int moveon)
{
    char id[SC_UUID_LEN], buf[2048];
    sc_uuid_v4(id);
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"timestamp\":\"2026-12-06T10:00:00.000Z\",\"actor\":%s,"
             "\"verb\":{\"id\":\"%s\"},\"object\":{\"id\":\"%s\"},\"context\":{\"registration\":"
             "\"%s\",\"contextActivities\":{\"category\":[{\"id\":\"%s\"}%s]},\"extensions\":{"
             "\"%s\":\"%s\"}},\"result\":{\"duration\":\"PT1S\"%s}}",
             id, actor_json, verb, activity, reg, CMI5_CAT_CMI5,
             moveon ? ",{\"id\":\"" CMI5_CAT_MOVEON "\"}" : "", CMI5_EXT_SESSION, session,
             !strcmp(verb, CMI5_VERB_COMPLETED) ? ",\"completion\":true" : "");
    return cJSON_Parse(buf);
}

static void session_flow(struct cmi5 *c)
{
    static const char XML[] =
        "<courseStructure xmlns=\"https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd\">"
        "<course id=\"https://example.com/c\"><title><langstring>C</langstring></title>"
        "<description><langstring>C</langstring></description></course>"
        "<block id=\"https://example.com/b\"><title><langstring>B</langstring></title>"
        "<description><langstring>B</langstring></description>"
        "<au id=\"https://example.com/au\" moveOn=\"Completed\"><title><langstring>A</langstring>"
        "</title><description><langstring>A</langstring></description>"
        "<url>https://au.example/a.html</url></au></block></courseStructure>";
    cJSON *course = NULL, *reg = NULL, *l = NULL, *f1 = NULL, *f2 = NULL, *extra = NULL;
    cJSON *actor = cJSON_Parse("{\"objectType\":\"Agent\",\"account\":{\"homePage\":"
                               "\"https://example.com\",\"name\":\"u1\"}}");
    struct cmi5_diag d;
    struct cmi5_plan *plan = NULL;
    size_t at = 0;
    char session[37], key[64], secret[64], tok[256];
    int created = 0;

    memset(&d, 0, sizeof d);
    ok(cmi5_course_import(c, XML, sizeof XML - 1, 0, &course, &d) == 0, "course (%s)", d.msg);
    const char *cid = cJSON_GetStringValue(cJSON_GetObjectItem(course, "id"));
    const char *auid = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(course, "aus"), 0), "activityId"));
    ok(cmi5_registration_create(c, cid, actor, NULL, &reg, &created, &d) == 0 && created,
       "registration");
    const char *rid = cJSON_GetStringValue(cJSON_GetObjectItem(reg, "registration"));
    ok(cmi5_launch(c, rid, 0, NULL, &l, &d) == 0, "launch (%s)", d.msg);
    const char *sid = cJSON_GetStringValue(cJSON_GetObjectItem(l, "session"));
    const char *fetch = cJSON_GetStringValue(cJSON_GetObjectItem(l, "fetch_url"));
    const char *k = strstr(fetch ? fetch : "", "?k=");
    ok(k != NULL, "fetch url has its key");
    ok(cmi5_fetch(c, sid, k ? k + 3 : "", &f1) == 0 &&
           cJSON_GetStringValue(cJSON_GetObjectItem(f1, "auth-token")),
       "first fetch: auth-token");
    ok(cmi5_fetch(c, sid, k ? k + 3 : "", &f2) == 0 && !cJSON_GetObjectItem(f2, "auth-token") &&
           !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(f2, "error-code")), "1"),
       "second fetch: error-code 1");
    {
        /* decode the token: "c5<hex>:<secret>" */
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(f1, "auth-token"));
        static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        unsigned acc = 0;
        int bits = 0;
        size_t n = 0;
        for (; t && *t && *t != '='; t++) {
            acc = (acc << 6) | (unsigned)(strchr(A, *t) - A);
            if ((bits += 6) >= 8) {
                bits -= 8;
                tok[n++] = (char)((acc >> bits) & 0xFF);
            }
        }
        tok[n] = 0;
        char *colon = strchr(tok, ':');
        snprintf(key, sizeof key, "%.*s", colon ? (int)(colon - tok) : 0, tok);
        snprintf(secret, sizeof secret, "%s", colon ? colon + 1 : "");
    }
    is_int(cmi5_auth(c, key, secret, session), 1, "the token authenticates");
    is_str(session, sid, "as its session");
    is_int(cmi5_auth(c, key, "wrong", session), -1, "a wrong secret is refused");
    is_int(cmi5_auth(c, "someone", "x", session), 0, "another key is not a cmi5 key");

    char *aj = cJSON_PrintUnformatted(actor);
    cJSON *s1 = au_stmt(CMI5_VERB_COMPLETED, aj, auid, rid, sid, 1);
    ok(cmi5_statements_check(c, sid, &s1, 1, &extra, &at, &plan, &d) == CMI5_ERR_REFUSED,
       "completed before initialized refused");
    is_str(d.rule, "9.3.0.0-4", "rule 9.3.0.0-4");
    cJSON *init = au_stmt(CMI5_VERB_INITIALIZED, aj, auid, rid, sid, 0);
    ok(cmi5_statements_check(c, sid, &init, 1, &extra, &at, &plan, &d) == CMI5_ERR_REFUSED,
       "initialized before the learner preferences were read refused");
    is_str(d.rule, "11.0.0.0-3", "rule 11.0.0.0-3");
    ok(cmi5_document_check(c, sid, 3, 0, "cmi5LearnerPreferences", NULL, NULL, NULL, 0, &d) == 0,
       "reading the preferences");
    cJSON *batch[3] = {init, s1, au_stmt(CMI5_VERB_TERMINATED, aj, auid, rid, sid, 0)};
    ok(cmi5_statements_check(c, sid, batch, 3, &extra, &at, &plan, &d) == 0, "a whole session (%s)",
       d.msg);
    is_int(cJSON_GetArraySize(extra), 2, "satisfied for the block and the course");
    is_int((int)at, 2, "right after completed, before terminated");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
               cJSON_GetObjectItem(cJSON_GetArrayItem(extra, 0), "object"), "id")),
           cJSON_GetStringValue(cJSON_GetObjectItem(
               cJSON_GetArrayItem(cJSON_GetObjectItem(course, "blocks"), 0), "activityId")),
           "the block first");
    ok(cmi5_plan_finish(c, plan, 1) == 0, "recorded");
    is_int(cmi5_auth(c, key, secret, session), -1, "terminated: the token stops working");
    cJSON *rep = NULL;
    ok(cmi5_registration_get(c, rid, &rep) == 0 &&
           cJSON_IsTrue(cJSON_GetObjectItem(rep, "satisfied")),
       "the registration is satisfied");
    cJSON_Delete(rep);
    for (int i = 1; i < 3; i++)
        cJSON_Delete(batch[i]);
    cJSON_Delete(init);
    cJSON_free(aj);
    cJSON_Delete(extra);
    cJSON_Delete(f1);
    cJSON_Delete(f2);
    cJSON_Delete(l);
    cJSON_Delete(reg);
    cJSON_Delete(course);
    cJSON_Delete(actor);
}

struct first_key {
    char k[STMT_DB_MAX_KEY + 1];
    size_t kl;
    const char *p;
};

static int first_cb(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct first_key *f = ctx;
    (void)v;
    (void)vl;
    if (kl < strlen(f->p) || memcmp(k, f->p, strlen(f->p)))
        return 1;
    memcpy(f->k, k, kl);
    f->kl = kl;
    return 1;
}

/* Delete every key of table beginning with prefix (in txn). */
static int del_prefix(struct stmt_db_txn *t, const char *table, const char *prefix)
{
    for (;;) {
        struct first_key f = {{0}, 0, prefix};
        int rc = stmt_db_scan(t, table, prefix, strlen(prefix), first_cb, &f);
        if (rc < 0 && rc != STMT_DB_NOTFOUND)
            return rc;
        if (!f.kl)
            return 0;
        if ((rc = stmt_db_del(t, table, f.k, f.kl)))
            return rc;
    }
}

/* A store whose cmi5 registration predates the console's indexes (no created_us, nothing in
 * reg_by_course, reg_by_learner, learners, course_stats, reg_summary): the course's list is
 * read from reg_by_course, so it misses it until cmi5_open indexes it, once. */
static void index_migration(struct stmt_db *db, struct stmt_store *st, struct cmi5 **c)
{
    static const char XML[] =
        "<courseStructure xmlns=\"https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd\">"
        "<course id=\"https://example.com/old\"><title><langstring>O</langstring></title>"
        "<description><langstring>O</langstring></description></course>"
        "<au id=\"https://example.com/old/au\"><title><langstring>A</langstring>"
        "</title><description><langstring>A</langstring></description>"
        "<url>https://au.example/a.html</url></au></courseStructure>";
    cJSON *course = NULL, *reg = NULL, *list = NULL, *rec = NULL;
    cJSON *actor = cJSON_Parse("{\"objectType\":\"Agent\",\"account\":{\"homePage\":"
                               "\"https://example.com\",\"name\":\"old-u\"},\"name\":\"Old\"}");
    struct cmi5_diag d;
    struct stmt_db_txn *t = NULL;
    char prefix[512], *text;
    const void *v;
    size_t vl;
    int created = 0, ok_strip = 1;

    memset(&d, 0, sizeof d);
    ok(cmi5_course_import(*c, XML, sizeof XML - 1, 0, &course, &d) == 0, "old course (%s)", d.msg);
    const char *cid = cJSON_GetStringValue(cJSON_GetObjectItem(course, "id"));
    ok(cmi5_registration_create(*c, cid, actor, NULL, &reg, &created, &d) == 0 && created,
       "old registration");
    const char *rid = cJSON_GetStringValue(cJSON_GetObjectItem(reg, "registration"));
    ok(cmi5_registration_list(*c, cid, &list) == 0 && cJSON_GetArraySize(list) == 1 &&
           !strcmp(cJSON_GetStringValue(
                       cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "registration")),
                   rid),
       "the course lists its registration (reg_by_course)");
    cJSON_Delete(list);
    list = NULL;

    /* make it an old store's record */
    ok(stmt_db_txn_begin(db, 1, &t) == 0, "write txn");
    ok_strip &= stmt_db_get(t, "cmi5_regs", rid, 36, &v, &vl) == 0 &&
                (rec = cJSON_ParseWithLength(v, vl)) != NULL;
    cJSON_DeleteItemFromObject(rec, "created_us");
    text = cJSON_PrintUnformatted(rec);
    ok_strip &= text && stmt_db_put(t, "cmi5_regs", rid, 36, text, strlen(text), 0) == 0;
    cJSON_free(text);
    snprintf(prefix, sizeof prefix, "%s\x1f", cid);
    ok_strip &= del_prefix(t, "reg_by_course", prefix) == 0;
    ok_strip &= del_prefix(t, "reg_by_learner", "old-u\x1f") == 0;
    ok_strip &= stmt_db_del(t, "learners", "old-u", 5) == 0;
    ok_strip &= stmt_db_del(t, "course_stats", cid, strlen(cid)) == 0;
    ok_strip &= stmt_db_del(t, "reg_summary", rid, 36) == 0;
    ok_strip &= stmt_db_del(t, "course_stats", "#cmi5-indexed", 13) != STMT_DB_ERR_IO;
    if (!ok_strip)
        stmt_db_txn_abort(t);
    ok(ok_strip && stmt_db_txn_commit(t) == 0, "stripped to an old store's registration");
    cJSON_Delete(rec);
    ok(cmi5_registration_list(*c, cid, &list) == 0 && cJSON_GetArraySize(list) == 0,
       "not indexed: not listed");
    cJSON_Delete(list);
    list = NULL;

    cmi5_close(*c);
    *c = NULL;
    ok(cmi5_open(db, st, NULL, c) == 0, "reopen: indexes the old registration");
    ok(cmi5_registration_list(*c, cid, &list) == 0 && cJSON_GetArraySize(list) == 1,
       "listed after the migration");
    ok(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "created_us")),
       "its record has created_us");
    cJSON_Delete(list);
    ok(stmt_db_txn_begin(db, 0, &t) == 0, "read txn");
    rec = stmt_db_get(t, "course_stats", cid, strlen(cid), &v, &vl) == 0
              ? cJSON_ParseWithLength(v, vl)
              : NULL;
    ok(rec && cJSON_GetNumberValue(cJSON_GetObjectItem(rec, "registrations")) == 1,
       "the course counts it");
    cJSON_Delete(rec);
    ok(stmt_db_get(t, "reg_summary", rid, 36, &v, &vl) == 0, "it has a summary");
    ok(stmt_db_get(t, "course_stats", "#cmi5-indexed", 13, &v, &vl) == 0, "marker written");
    stmt_db_txn_abort(t);
    ok(cmi5_course_delete(*c, cid, 0) == CMI5_ERR_STATE, "course delete refused: it has one");
    ok(cmi5_course_delete(*c, cid, 1) == CMI5_OK, "force delete");
    ok(cmi5_registration_exists(*c, rid) == 0, "its registration went with it");
    cJSON_Delete(reg);
    cJSON_Delete(course);
    cJSON_Delete(actor);
}

int main(void)
{
    char dir[512];
    struct stmt_db *db;
    struct stmt_store *st = NULL;
    struct cmi5 *c = NULL;
    xmlInitParser();
    tu_init();
    db = tu_db_open(dir, sizeof dir);
    ok(stmt_store_open(db, NULL, &st) == 0, "statement store");
    ok(cmi5_open(db, st, NULL, &c) == 0, "cmi5 open");
    structure_cases();
    if (tu_corpus("the shared cmi5 packages (scorm-packages/cmi5)"))
        shared_packages(c, dir);
    moveon_model();
    session_flow(c);
    index_migration(db, st, &c);
    cmi5_close(c);
    stmt_store_close(st);
    stmt_db_close(db);
    tu_fini();
    xmlCleanupParser();
    return tap_done();
}
