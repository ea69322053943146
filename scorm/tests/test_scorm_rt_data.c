/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared data (adl.data; CAM 4th 3.4.1.13-14, RTE 4th 4.3) through the run-time: the launch
 * payload's initial["adl.data"], commits of adl.data.n.store (351 / 404 refusals, atomic with
 * the rest of the commit), the store's scope (sharedDataGlobalToSystem true: the learner's,
 * across registrations; false: the registration's current attempt on the course).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/scorm_rt.h"
#include "scorm/seq.h"
#include "scorm/tests/scorm_test_util.h"
#include "statements/stmt_db.h"

#define MANIFEST_HEAD                                                                              \
    "<?xml version=\"1.0\"?>\n"                                                                    \
    "<manifest identifier=\"%s\" version=\"1\" xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\""  \
    " xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\""                                        \
    " xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\">\n"                                       \
    "<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion>"          \
    "</metadata>\n"

/* %s: manifest id, organization attributes */
static const char MANIFEST[] = MANIFEST_HEAD
    "<organizations default=\"o\"><organization identifier=\"o\" %s><title>SD</title>\n"
    " <item identifier=\"s1\" identifierref=\"r\"><title>One</title><adlcp:data>"
    "<adlcp:map targetID=\"t1\"/><adlcp:map targetID=\"t2\" readSharedData=\"false\"/>"
    "<adlcp:map targetID=\"t3\" writeSharedData=\"false\"/></adlcp:data></item>\n"
    " <item identifier=\"s2\" identifierref=\"r\"><title>Two</title><adlcp:data>"
    "<adlcp:map targetID=\"t1\" writeSharedData=\"false\"/></adlcp:data></item>\n"
    " <item identifier=\"s3\" identifierref=\"r\"><title>Three</title></item>\n"
    " <imsss:sequencing><imsss:controlMode flow=\"true\"/></imsss:sequencing>\n"
    "</organization></organizations>\n"
    "<resources><resource identifier=\"r\" type=\"webcontent\" adlcp:scormType=\"sco\" "
    "href=\"a.html\"><file href=\"a.html\"/></resource></resources></manifest>\n";

static char manifest_buf[4096];

static const char *manifest(const char *id, const char *org_attrs)
{
    snprintf(manifest_buf, sizeof manifest_buf, MANIFEST, id, org_attrs);
    return manifest_buf;
}

/* launch sco; *sess gets the session; returns initial["adl.data"] printed (owned) or NULL */
static char *launch(struct scorm_rt *rt, const char *reg, const char *sco, char *sess, size_t len)
{
    cJSON *out = NULL, *sd;
    char s64[64], *txt;
    sess[0] = '\0';
    if (tu_launch(rt, reg, sco, s64, &out) != 0)
        return NULL;
    snprintf(sess, len, "%s", s64);
    sd = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "initial"), "adl.data");
    txt = sd ? cJSON_PrintUnformatted(sd) : sc_strdup("absent");
    cJSON_Delete(out);
    return txt;
}

static int commit(struct scorm_rt *rt, const char *reg, const char *sess, int seq,
                  const char *changes, struct scorm_diag *d)
{
    return tu_commit(rt, reg, sess, seq, 1, changes, -1, NULL, d);
}

static void is_launch(struct scorm_rt *rt, const char *reg, const char *sco, const char *want,
                      const char *name)
{
    char sess[64];
    char *got = launch(rt, reg, sco, sess, sizeof sess);
    is_str(got ? got : "(launch failed)", want, "%s", name);
    sc_free(got);
}

static void test_global(struct scorm_rt *rt, struct stmt_db *db)
{
    char *course = tu_import_manifest(db, manifest("sdg", ""), NULL, NULL);
    char r1[64], r2[64], r3[64], sess[64];
    struct scorm_diag d;
    char *got;
    if (!ok(course != NULL, "global: course imported"))
        return;
    ok(tu_reg_new(rt, course, "u1", "L", r1) == 0 && tu_reg_new(rt, course, "u1", "L", r2) == 0 &&
           tu_reg_new(rt, course, "u2", "L", r3) == 0,
       "global: three registrations (u1 twice, u2)");
    got = launch(rt, r1, "s1", sess, sizeof sess);
    is_str(got ? got : "",
           "[{\"id\":\"t1\",\"read\":true,\"write\":true},{\"id\":\"t2\",\"read\":false,\"write\":"
           "true},{\"id\":\"t3\",\"read\":true,\"write\":false}]",
           "launch: initial[adl.data] lists the item's maps, nothing stored yet");
    sc_free(got);
    /* refusals: nothing of the commit is stored */
    is_int(
        commit(rt, r1, sess, 1, "{\"adl.data.0.store\":\"early\",\"adl.data.2.store\":\"x\"}", &d),
        SCORM_RT_ERR_READONLY, "commit: writeSharedData=false -> refused");
    is_int(d.code, 404, "commit: writeSharedData=false is SCORM 404");
    is_str(d.file, "adl.data.2.store", "commit: diag names the element");
    is_int(commit(rt, r1, sess, 2, "{\"adl.data.3.store\":\"x\"}", &d), SCORM_RT_ERR_VALUE,
           "commit: an index beyond the maps -> refused");
    is_int(d.code, 351, "commit: index beyond the maps is 351");
    is_int(commit(rt, r1, sess, 3, "{\"adl.data.0.id\":\"x\"}", &d), SCORM_RT_ERR_READONLY,
           "commit: adl.data.n.id is read-only");
    is_int(commit(rt, r1, sess, 4, "{\"adl.data.00.store\":\"x\"}", &d), SCORM_RT_ERR_ELEMENT,
           "commit: a non-canonical index is not an element");
    is_int(d.code, 401, "commit: non-canonical index is 401");
    is_int(commit(rt, r1, sess, 5,
                  "{\"cmi.location\":\"p1\",\"adl.data.0.store\":\"hello\",\"adl.data.1.store\":"
                  "\"secret\"}",
                  &d),
           0, "commit: stores written with cmi values");
    is_launch(rt, r1, "s1",
              "[{\"id\":\"t1\",\"read\":true,\"write\":true,\"store\":\"hello\"},{\"id\":\"t2\","
              "\"read\":false,\"write\":true,\"store\":\"secret\"},{\"id\":\"t3\",\"read\":true,"
              "\"write\":false}]",
              "relaunch: the stores (the early value of the refused commit is not there)");
    is_launch(rt, r1, "s2", "[{\"id\":\"t1\",\"read\":true,\"write\":false,\"store\":\"hello\"}]",
              "another SCO mapping t1 reads it");
    is_launch(rt, r2, "s2", "[{\"id\":\"t1\",\"read\":true,\"write\":false,\"store\":\"hello\"}]",
              "sharedDataGlobalToSystem: another registration of the learner reads it");
    is_launch(rt, r3, "s2", "[{\"id\":\"t1\",\"read\":true,\"write\":false}]",
              "another learner does not");
    is_launch(rt, r1, "s3", "absent", "an item without adlcp:data gets no adl.data");
    got = launch(rt, r1, "s1", sess, sizeof sess);
    sc_free(got);
    is_int(commit(rt, r1, sess, 1, "{\"adl.data.0.store\":\"\"}", &d), 0, "commit: \"\" accepted");
    is_launch(rt, r2, "s2", "[{\"id\":\"t1\",\"read\":true,\"write\":false}]",
              "\"\" removes the store (GetValue 403 again)");
    free(course);
}

static void test_local(struct scorm_rt *rt, struct stmt_db *db)
{
    const char *xml = manifest("sdl", "adlcp:sharedDataGlobalToSystem=\"false\"");
    char *course = tu_import_manifest(db, xml, NULL, NULL);
    char r1[64], r2[64], sess[64];
    struct scorm_diag d;
    char *got;
    cJSON *tree = NULL;
    struct seq_tree *t = NULL;
    struct seq_result res;
    struct scorm_diag md;
    if (!ok(course != NULL, "local: course imported"))
        return;
    ok(tu_reg_new(rt, course, "u1", "L", r1) == 0 && tu_reg_new(rt, course, "u1", "L", r2) == 0,
       "local: two registrations of u1");
    /* the sequencing state of r1: first attempt on the course */
    ok(scorm_manifest_parse(xml, strlen(xml), 0, &tree, NULL, &md) == 0 &&
           seq_tree_create(tree, NULL, &t, NULL) == SEQ_OK,
       "local: activity tree built");
    if (!t) {
        cJSON_Delete(tree);
        free(course);
        return;
    }
    seq_tree_launch(t, &res);
    is_int(seq_state_save(db, r1, "u1", t), SEQ_OK, "local: course attempt 1 saved");
    got = launch(rt, r1, "s1", sess, sizeof sess);
    is_str(got ? got : "",
           "[{\"id\":\"t1\",\"read\":true,\"write\":true},{\"id\":\"t2\",\"read\":false,\"write\":"
           "true},{\"id\":\"t3\",\"read\":true,\"write\":false}]",
           "local: nothing of the global scope (u1's t1 of course sdg is not seen)");
    sc_free(got);
    is_int(commit(rt, r1, sess, 1, "{\"adl.data.0.store\":\"mine\"}", &d), 0, "local: t1 written");
    is_launch(rt, r1, "s2", "[{\"id\":\"t1\",\"read\":true,\"write\":false,\"store\":\"mine\"}]",
              "local: same registration and course attempt reads it");
    is_launch(rt, r2, "s2", "[{\"id\":\"t1\",\"read\":true,\"write\":false}]",
              "local: another registration of the same learner does not");
    /* suspendAll and resume keep the attempt; exitAll and a new start begin attempt 2 */
    seq_tree_navigate(t, SEQ_NAV_SUSPEND_ALL, NULL, &res);
    seq_tree_launch(t, &res);
    seq_state_save(db, r1, "u1", t);
    is_launch(rt, r1, "s2", "[{\"id\":\"t1\",\"read\":true,\"write\":false,\"store\":\"mine\"}]",
              "local: a resumed course attempt keeps the store");
    seq_tree_navigate(t, SEQ_NAV_EXIT_ALL, NULL, &res);
    seq_tree_launch(t, &res);
    seq_state_save(db, r1, "u1", t);
    is_launch(rt, r1, "s2", "[{\"id\":\"t1\",\"read\":true,\"write\":false}]",
              "local: a new attempt on the course starts empty");
    {
        /* writing in attempt 2 deletes attempt 1's stores (they can never be read again) */
        char k1[128], k2[128], *v = NULL;
        size_t vl = 0;
        int n1 = snprintf(k1, sizeof k1,
                          "R\x1f%s\x1f"
                          "1\x1f"
                          "t1",
                          r1);
        int n2 = snprintf(k2, sizeof k2,
                          "R\x1f%s\x1f"
                          "2\x1f"
                          "t1",
                          r1);
        ok(stmt_db_get1(db, "shared_data", k1, (size_t)n1, &v, &vl) == 0 && vl == 4 &&
               memcmp(v, "mine", 4) == 0,
           "local: attempt 1's store is still there before a write");
        sc_free(v);
        v = NULL;
        got = launch(rt, r1, "s1", sess, sizeof sess);
        sc_free(got);
        is_int(commit(rt, r1, sess, 1, "{\"adl.data.0.store\":\"second\"}", &d), 0,
               "local: t1 written in attempt 2");
        is_int(stmt_db_get1(db, "shared_data", k1, (size_t)n1, &v, &vl), STMT_DB_NOTFOUND,
               "local: attempt 1's store deleted");
        sc_free(v);
        v = NULL;
        ok(stmt_db_get1(db, "shared_data", k2, (size_t)n2, &v, &vl) == 0 && vl == 6 &&
               memcmp(v, "second", 6) == 0,
           "local: attempt 2's store holds the value");
        sc_free(v);
    }
    seq_tree_destroy(t);
    cJSON_Delete(tree);
    free(course);
}

/* the DB-level functions the harness uses: arguments and scope checks */
static void test_api(struct stmt_db *db)
{
    cJSON *org = cJSON_Parse("{\"sharedDataGlobalToSystem\":true}");
    cJSON *item = cJSON_Parse("{\"data\":[{\"targetID\":\"k\",\"readSharedData\":true,"
                              "\"writeSharedData\":true}]}");
    cJSON *out = NULL;
    struct scorm_diag d;
    char *txt;
    is_int(scorm_rt_data_entries(db, org, item, NULL, "r", &out), SCORM_RT_ERR_ARG,
           "api: global scope needs a learner");
    is_int(scorm_rt_data_set(db, org, item, "api-u", NULL, "adl.data.0.store", "v", 5, &d), 0,
           "api: set within value_max");
    memset(&d, 0, sizeof d);
    is_int(scorm_rt_data_set(db, org, item, "api-u", NULL, "adl.data.0.store", "toolong", 5, &d),
           SCORM_RT_ERR_VALUE, "api: a value over value_max is refused");
    is_int(d.code, 351, "api: over value_max is 351");
    is_int(scorm_rt_data_set(db, org, item, "api-u", NULL, "adl.data._count", "1", 0, &d),
           SCORM_RT_ERR_READONLY, "api: _count is a read-only keyword");
    is_int(d.code, 404, "api: keyword is 404");
    is_int(scorm_rt_data_entries(db, org, item, "api-u", NULL, &out), 0, "api: entries");
    txt = cJSON_PrintUnformatted(out);
    is_str(txt, "[{\"id\":\"k\",\"read\":true,\"write\":true,\"store\":\"v\"}]",
           "api: the refused value left the store unchanged");
    cJSON_free(txt);
    cJSON_Delete(out);
    cJSON_Delete(org);
    cJSON_Delete(item);
}

int main(void)
{
    char dir[512];
    struct scorm_rt *rt;
    struct stmt_db *db;

    sc_alloc_init_cjson();
    tu_init();
    db = tu_db_open(dir, sizeof dir);
    rt = tu_rt_open(db, NULL);
    ok(rt != NULL, "datamodel.json compiled");
    test_global(rt, db);
    test_local(rt, db);
    test_api(db);
    scorm_rt_close(rt);
    stmt_db_close(db);
    tu_fini();
    return tap_done();
}
