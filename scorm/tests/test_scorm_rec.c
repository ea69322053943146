/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The codecs of the run-time's records (scorm_rt_rec.c, issue 15): the SCO record ("cmi"), an
 * archived attempt ("attempts"), a session ("sessions") and a registration's contribution to
 * its course's kept report ("reg_contrib"). For each: a record as the JSON code wrote it before
 * the structs decodes, and encodes back to the same members and values; a record missing a
 * required member, or with any member of the wrong type, is SCORM_RT_ERR_STORE naming that
 * member (never a default); a member the codec does not know is ignored and not written back;
 * an allocation failure anywhere is SCORM_RT_ERR_NOMEM, never "corrupt", and leaks nothing
 * (ASan in tools/test.sh). tests/data/rec/main-ee008b5.jsonl holds the records a server built
 * from main ee008b5 (before the structs) wrote for a 2004 and a 1.2 course (suspend, resume,
 * normal exit and its archived attempt, a session left open, objectives, interactions, a
 * registration never launched): each decodes and encodes back with every member it had.
 */
#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/scorm_rt_int.h"
#include "scorm/tests/scorm_test_util.h"
#include "statements/stmt_store.h"

#include <stdlib.h>
#include <string.h>

union any {
    struct scorm__sco_rec sco;
    struct scorm__attempt_rec att;
    struct scorm__session sess;
    struct scorm__contrib con;
};

struct codec {
    const char *name;
    const char *full;                /* every member present, as the JSON code wrote it */
    const char *const *required;     /* top-level members that must be there */
    const char *const *bad_nested;   /* records wrong below the top level */
    const char *const *bad_nested_m; /* the member each names */
    int (*decode)(const char *text, union any *u, struct scorm_diag *d);
    int (*encode)(const union any *u, char **out);
    void (*release)(union any *u);
};

/* ---- the records ---------------------------------------------------------------------------- */

#define UUID_A "0b9c1a52-8a3e-4d2e-9a51-3f2c4b1d0e7a"
#define UUID_B "6f1d2c3b-4a59-4e8f-8d7c-1b2a3c4d5e6f"
#define UUID_R "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"

/* a SCORM 2004 SCO after a suspended session and a commit of the next one */
static const char SCO_FULL[] =
    "{\"attempt\":2,\"attempt_id\":\"" UUID_A "\",\"entry\":\"resume\",\"values\":{"
    "\"cmi.location\":\"p3\",\"cmi.completion_status\":\"incomplete\",\"cmi.score.raw\":\"50\"},"
    "\"total_cs\":1200,\"sessions\":3,\"session\":\"" UUID_B "\",\"attempt_sessions\":2,"
    "\"result\":{\"completion\":\"incomplete\",\"success\":\"unknown\",\"score\":{\"scaled\":0.5,"
    "\"raw\":50}},\"time_all_cs\":4500,\"activity_attempt\":2}";
/* the same SCO as new_sco_record wrote it before any session (no optional member) */
static const char SCO_NEW[] =
    "{\"attempt\":1,\"attempt_id\":\"" UUID_A "\",\"entry\":\"ab-initio\","
    "\"values\":{},\"total_cs\":0,\"sessions\":0}";
static const char *const SCO_REQ[] = {"attempt",  "attempt_id", "entry", "values",
                                      "total_cs", "sessions",   NULL};
static const char *const SCO_BAD[] = {
    "{\"attempt\":1,\"attempt_id\":\"x\",\"entry\":\"resume\",\"values\":{\"cmi.location\":3},"
    "\"total_cs\":0,\"sessions\":0}",
    "{\"attempt\":1,\"attempt_id\":\"x\",\"entry\":\"resumed\",\"values\":{},\"total_cs\":0,"
    "\"sessions\":0}",
    "{\"attempt\":0,\"attempt_id\":\"x\",\"entry\":\"resume\",\"values\":{},\"total_cs\":0,"
    "\"sessions\":0}",
    "{\"attempt\":1.5,\"attempt_id\":\"x\",\"entry\":\"resume\",\"values\":{},\"total_cs\":0,"
    "\"sessions\":0}",
    "{\"attempt\":1,\"attempt_id\":\"x\",\"entry\":\"resume\",\"values\":{},\"total_cs\":-5,"
    "\"sessions\":0}",
    "{\"attempt\":1,\"attempt_id\":\"x\",\"entry\":\"resume\",\"values\":{},\"total_cs\":0,"
    "\"sessions\":0,\"result\":{\"completion\":\"done\",\"success\":\"unknown\"}}",
    "{\"attempt\":1,\"attempt_id\":\"x\",\"entry\":\"resume\",\"values\":{},\"total_cs\":0,"
    "\"sessions\":0,\"result\":{\"completion\":\"completed\"}}",
    "{\"attempt\":1,\"attempt_id\":\"x\",\"entry\":\"resume\",\"values\":{},\"total_cs\":0,"
    "\"sessions\":0,\"result\":{\"completion\":\"completed\",\"success\":\"passed\",\"score\":"
    "{\"scaled\":\"0.5\"}}}",
    "{\"attempt\":1,\"attempt_id\":\"x\",\"entry\":\"resume\",\"values\":{},\"total_cs\":0,"
    "\"sessions\":0,\"result\":{\"completion\":\"completed\",\"success\":\"passed\","
    "\"lesson_status\":\"done\"}}",
    NULL};
static const char *const SCO_BAD_M[] = {"\"values\"",  "\"entry\"",    "\"attempt\"",
                                        "\"attempt\"", "\"total_cs\"", "\"completion\"",
                                        "\"success\"", "\"scaled\"",   "\"lesson_status\""};

/* an attempt that ended with exit "normal" (a 1.2 result with lesson_status) */
static const char ATT_FULL[] =
    "{\"attempt\":1,\"attempt_id\":\"" UUID_A "\",\"values\":{\"cmi.core.lesson_status\":"
    "\"passed\",\"cmi.core.score.raw\":\"80\"},\"total_cs\":900,\"result\":{\"completion\":"
    "\"completed\",\"success\":\"passed\",\"lesson_status\":\"passed\",\"score\":{\"scaled\":0.8,"
    "\"raw\":80,\"min\":0,\"max\":100}},\"exit\":\"\"}";
static const char *const ATT_REQ[] = {"attempt", "attempt_id", "values", "total_cs", "exit", NULL};
static const char *const ATT_BAD[] = {
    "{\"attempt\":1,\"attempt_id\":\"x\",\"values\":{},\"total_cs\":0,\"exit\":"
    "\"a-very-long-exit-value\"}",
    "{\"attempt\":1,\"attempt_id\":\"x\",\"values\":{},\"total_cs\":0,\"exit\":\"\",\"result\":"
    "{\"completion\":\"completed\",\"success\":\"passed\",\"score\":[]}}",
    NULL};
static const char *const ATT_BAD_M[] = {"\"exit\"", "\"score\""};

/* a resumed session after a commit and Terminate */
static const char SESS_FULL[] =
    "{\"id\":\"" UUID_B "\",\"registration\":\"" UUID_R "\",\"sco\":\"intro\",\"attempt\":2,"
    "\"seq\":7,\"open\":false,\"entry\":\"resume\",\"session_cs\":640,\"started\":"
    "1765000000000000,\"start_result\":{\"completion\":\"incomplete\",\"success\":\"unknown\"},"
    "\"initialized\":true,\"exit\":\"suspend\",\"nav_request\":\"continue\",\"terminated\":true,"
    "\"ended\":1765000000640000}";
/* an open session as launch wrote it */
static const char SESS_OPEN[] =
    "{\"id\":\"" UUID_B "\",\"registration\":\"" UUID_R "\",\"sco\":\"intro\",\"attempt\":1,"
    "\"seq\":0,\"open\":true,\"entry\":\"ab-initio\",\"session_cs\":0,\"started\":"
    "1765000000000000,\"changed\":{\"cmi.location\":\"p1\"}}";
static const char *const SESS_REQ[] = {"id",   "registration", "sco",        "attempt", "seq",
                                       "open", "entry",        "session_cs", "started", NULL};
static const char *const SESS_BAD[] = {
    /* an open session without its changed set */
    "{\"id\":\"" UUID_B "\",\"registration\":\"" UUID_R "\",\"sco\":\"intro\",\"attempt\":1,"
    "\"seq\":0,\"open\":true,\"entry\":\"ab-initio\",\"session_cs\":0,\"started\":1}",
    "{\"id\":\"" UUID_B "\",\"registration\":\"" UUID_R "\",\"sco\":\"intro\",\"attempt\":1,"
    "\"seq\":0,\"open\":1,\"entry\":\"ab-initio\",\"session_cs\":0,\"started\":1,\"changed\":{}}",
    "{\"id\":\"" UUID_B "\",\"registration\":\"" UUID_R "-and-more\",\"sco\":\"intro\","
    "\"attempt\":1,\"seq\":0,\"open\":true,\"entry\":\"ab-initio\",\"session_cs\":0,\"started\":1,"
    "\"changed\":{}}",
    NULL};
static const char *const SESS_BAD_M[] = {"\"changed\"", "\"open\"", "\"registration\""};

/* a registration of a course with two SCOs, one with data */
static const char CON_FULL[] =
    "{\"course\":\"golf\",\"sids\":[{\"id\":\"s1\",\"t\":\"One\"},{\"id\":\"s2\",\"t\":\"Two\"}],"
    "\"scos\":{\"s1\":{\"st\":1,\"c\":\"completed\",\"s\":\"passed\",\"sc\":0.8,\"t\":1200,\"o\":"
    "[{\"id\":\"o1\",\"c\":1,\"p\":1,\"f\":0,\"sc\":0.5},{\"id\":\"o2\",\"c\":0,\"p\":0,\"f\":1}],"
    "\"i\":[{\"id\":\"q1\",\"ty\":\"choice\",\"pat\":\"a\",\"ok\":1,\"v\":\"a\",\"rc\":1,\"l\":2.5}"
    ","
    "{\"id\":\"q2\",\"ok\":0,\"rc\":0}]}}}";
static const char *const CON_REQ[] = {"course", "sids", "scos", NULL};
static const char *const CON_BAD[] = {
    "{\"course\":\"g\",\"sids\":[],\"scos\":{\"s9\":{\"st\":0,\"c\":\"unknown\",\"s\":\"unknown\","
    "\"t\":0,\"o\":[],\"i\":[]}}}",
    "{\"course\":\"g\",\"sids\":[{\"id\":\"s1\"}],\"scos\":{}}",
    "{\"course\":\"g\",\"sids\":[{\"id\":\"s1\",\"t\":\"T\"}],\"scos\":{\"s1\":{\"st\":1,\"c\":"
    "\"done\",\"s\":\"unknown\",\"t\":0,\"o\":[],\"i\":[]}}}",
    "{\"course\":\"g\",\"sids\":[{\"id\":\"s1\",\"t\":\"T\"}],\"scos\":{\"s1\":{\"st\":1,\"c\":"
    "\"completed\",\"s\":\"unknown\",\"t\":0,\"i\":[]}}}",
    "{\"course\":\"g\",\"sids\":[{\"id\":\"s1\",\"t\":\"T\"}],\"scos\":{\"s1\":{\"st\":1,\"c\":"
    "\"completed\",\"s\":\"unknown\",\"t\":0,\"o\":[{\"id\":\"o\",\"c\":2,\"p\":0,\"f\":0}],"
    "\"i\":[]}}}",
    "{\"course\":\"g\",\"sids\":[{\"id\":\"s1\",\"t\":\"T\"}],\"scos\":{\"s1\":{\"st\":1,\"c\":"
    "\"completed\",\"s\":\"unknown\",\"t\":0,\"o\":[],\"i\":[{\"id\":\"q\",\"ok\":1,\"rc\":1,"
    "\"v\":7}]}}}",
    NULL};
static const char *const CON_BAD_M[] = {"\"scos\"", "\"t\"", "\"c\"", "\"o\"", "\"c\"", "\"v\""};

/* ---- the codecs behind one interface ------------------------------------------------------ */

static int dec_sco(const char *t, union any *u, struct scorm_diag *d)
{
    return scorm__sco_rec_decode(t, strlen(t), &u->sco, d);
}
static int enc_sco(const union any *u, char **o)
{
    return scorm__sco_rec_encode(&u->sco, o);
}
static void rel_sco(union any *u)
{
    scorm__sco_rec_free(&u->sco);
}
static int dec_att(const char *t, union any *u, struct scorm_diag *d)
{
    return scorm__attempt_rec_decode(t, strlen(t), &u->att, d);
}
static int enc_att(const union any *u, char **o)
{
    return scorm__attempt_rec_encode(&u->att, o);
}
static void rel_att(union any *u)
{
    scorm__attempt_rec_free(&u->att);
}
static int dec_sess(const char *t, union any *u, struct scorm_diag *d)
{
    return scorm__session_decode(t, strlen(t), &u->sess, d);
}
static int enc_sess(const union any *u, char **o)
{
    return scorm__session_encode(&u->sess, o);
}
static void rel_sess(union any *u)
{
    scorm__session_free(&u->sess);
}
static int dec_con(const char *t, union any *u, struct scorm_diag *d)
{
    return scorm__contrib_decode(t, strlen(t), &u->con, d);
}
static int enc_con(const union any *u, char **o)
{
    return scorm__contrib_encode(&u->con, o);
}
static void rel_con(union any *u)
{
    scorm__contrib_free(&u->con);
}

static const struct codec CODECS[] = {
    {"cmi", SCO_FULL, SCO_REQ, SCO_BAD, SCO_BAD_M, dec_sco, enc_sco, rel_sco},
    {"attempts", ATT_FULL, ATT_REQ, ATT_BAD, ATT_BAD_M, dec_att, enc_att, rel_att},
    {"sessions", SESS_FULL, SESS_REQ, SESS_BAD, SESS_BAD_M, dec_sess, enc_sess, rel_sess},
    {"reg_contrib", CON_FULL, CON_REQ, CON_BAD, CON_BAD_M, dec_con, enc_con, rel_con},
};

/* ---- the checks ------------------------------------------------------------------------------ */

/* 1 when the JSON texts a and b hold the same members with the same values (any order) */
static int same_json(const char *a, const char *b)
{
    cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
    int same = x && y && cJSON_Compare(x, y, 1);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return same;
}

/* the text of full with member k replaced by v (v NULL: removed) */
static char *edit(const char *full, const char *k, cJSON *v)
{
    cJSON *j = cJSON_Parse(full);
    char *t;
    if (v && cJSON_GetObjectItemCaseSensitive(j, k))
        cJSON_ReplaceItemInObjectCaseSensitive(j, k, v);
    else if (v)
        cJSON_AddItemToObject(j, k, v);
    else
        cJSON_DeleteItemFromObjectCaseSensitive(j, k);
    t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

/* a value of another JSON type than x */
static cJSON *wrong_type(const cJSON *x)
{
    if (cJSON_IsString(x))
        return cJSON_CreateNumber(12);
    if (cJSON_IsNumber(x) || cJSON_IsBool(x))
        return cJSON_CreateString("12");
    if (cJSON_IsObject(x))
        return cJSON_CreateArray();
    return cJSON_CreateObject();
}

static void refused(const struct codec *c, const char *text, const char *member, const char *why)
{
    union any u;
    struct scorm_diag d;
    int rc;
    memset(&d, 0, sizeof d);
    rc = c->decode(text, &u, &d);
    is_int(rc, SCORM_RT_ERR_STORE, "%s: %s is refused as corrupt", c->name, why);
    ok(strstr(d.msg, member) != NULL, "... and the message names %s: %s", member, d.msg);
    if (rc == SCORM_RT_OK)
        c->release(&u);
}

static void test_codec(const struct codec *c)
{
    union any u, v;
    struct scorm_diag d;
    char *t1 = NULL, *t2 = NULL, *t;
    cJSON *full = cJSON_Parse(c->full);
    const cJSON *m;

    /* the stored text of before the structs: decoded and written back member for member */
    is_int(c->decode(c->full, &u, &d), SCORM_RT_OK, "%s: a stored record decodes", c->name);
    is_int(c->encode(&u, &t1), SCORM_RT_OK, "%s: encodes", c->name);
    ok(t1 && same_json(c->full, t1), "%s: every member and value written back:\n# %s\n# %s",
       c->name, c->full, t1 ? t1 : "(null)");
    is_int(c->decode(t1, &v, &d), SCORM_RT_OK, "%s: its encoding decodes", c->name);
    is_int(c->encode(&v, &t2), SCORM_RT_OK, "%s: and encodes again", c->name);
    ok(t1 && t2 && !strcmp(t1, t2), "%s: round trip stable", c->name);
    c->release(&u);
    c->release(&v);
    cJSON_free(t2);

    /* every required member, missing */
    for (const char *const *k = c->required; *k; k++) {
        char want[64];
        ok(cJSON_GetObjectItemCaseSensitive(full, *k) != NULL, "%s: the sample has %s", c->name,
           *k);
        t = edit(c->full, *k, NULL);
        snprintf(want, sizeof want, "\"%s\"", *k);
        refused(c, t, want, *k);
        cJSON_free(t);
    }
    /* every member, of the wrong type */
    cJSON_ArrayForEach(m, full)
    {
        char want[64];
        t = edit(c->full, m->string, wrong_type(m));
        snprintf(want, sizeof want, "\"%s\"", m->string);
        refused(c, t, want, m->string);
        cJSON_free(t);
    }
    /* wrong below the top level */
    for (size_t i = 0; c->bad_nested[i]; i++)
        refused(c, c->bad_nested[i], c->bad_nested_m[i], c->bad_nested[i]);
    refused(c, "[1,2]", "not a JSON object", "an array");
    refused(c, "{\"attempt\":", "not a JSON object", "a truncated text");

    /* a member it does not know: read past, not written back */
    t = edit(c->full, "zz_later", cJSON_CreateString("from a later version"));
    ok(t && strstr(t, "\"zz_later\":\"from a later version\""), "%s: a record with zz_later",
       c->name);
    is_int(c->decode(t, &u, &d), SCORM_RT_OK, "%s: an unknown member is ignored", c->name);
    cJSON_free(t);
    t = NULL;
    is_int(c->encode(&u, &t), SCORM_RT_OK, "%s: encodes", c->name);
    ok(t && !strstr(t, "zz_later") && same_json(t, t1), "%s: ... and is not written back", c->name);
    cJSON_free(t);
    c->release(&u);

    /* allocation failures: NOMEM (never "corrupt"), or the whole record */
    {
        int k, badrc = 0, partial = 0, enc_bad = 0;
        for (k = 0; k < 2000; k++) {
            long f0 = sc_alloc_failures();
            int rc;
            sc_alloc_fail_after(k);
            rc = c->decode(c->full, &u, &d);
            sc_alloc_fail_after(-1);
            if (rc == SCORM_RT_OK) {
                t = NULL;
                if (c->encode(&u, &t) != SCORM_RT_OK || !same_json(t, t1))
                    partial++;
                cJSON_free(t);
                c->release(&u);
            } else if (rc != SCORM_RT_ERR_NOMEM) {
                badrc++;
            }
            if (sc_alloc_failures() == f0)
                break;
        }
        ok(k > 3 && k < 2000, "%s: decode met an allocation failure at each of its %d", c->name, k);
        is_int(badrc, 0, "%s: decode under allocation failure: NOMEM only", c->name);
        is_int(partial, 0, "%s: ... or the whole record", c->name);
        is_int(c->decode(c->full, &u, &d), SCORM_RT_OK, "%s: decode for encode", c->name);
        for (k = 0; k < 2000; k++) {
            long f0 = sc_alloc_failures();
            int rc;
            t = NULL;
            sc_alloc_fail_after(k);
            rc = c->encode(&u, &t);
            sc_alloc_fail_after(-1);
            if (rc == SCORM_RT_OK)
                enc_bad += !t || !same_json(t, t1);
            else
                enc_bad += rc != SCORM_RT_ERR_NOMEM || t != NULL;
            cJSON_free(t);
            if (sc_alloc_failures() == f0)
                break;
        }
        c->release(&u);
        ok(k > 3 && k < 2000, "%s: encode met an allocation failure at each of its %d", c->name, k);
        is_int(enc_bad, 0, "%s: encode under allocation failure: NOMEM and no text, or all",
               c->name);
    }
    cJSON_free(t1);
    cJSON_Delete(full);
}

/* The records an older build wrote: each decodes, and encodes back with the same members and
 * values (plus the members it lacked, at their default). */
static void test_old_store(void)
{
    char path[1024], *text, *line, *save = NULL;
    size_t len = 0;
    int n = 0, bad = 0;
    const char *src = getenv("SRC_DIR");
    snprintf(path, sizeof path, "%s/tests/data/rec/main-ee008b5.jsonl", src ? src : ".");
    text = tu_read(path, &len);
    if (!ok(text != NULL, "read %s", path))
        return;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *rec = cJSON_Parse(line), *old, *now = NULL;
        const char *table = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "table"));
        const char *value = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "value"));
        const struct codec *c = NULL;
        union any u;
        struct scorm_diag d;
        char *enc = NULL;
        const cJSON *m;
        for (size_t i = 0; table && i < sizeof CODECS / sizeof CODECS[0]; i++)
            if (!strcmp(CODECS[i].name, table))
                c = &CODECS[i];
        n++;
        memset(&d, 0, sizeof d);
        if (!c || !value || c->decode(value, &u, &d) != SCORM_RT_OK) {
            tap_diag("%s: %s", table ? table : "?", d.msg);
            bad++;
            cJSON_Delete(rec);
            continue;
        }
        if (c->encode(&u, &enc) != SCORM_RT_OK)
            bad++;
        old = cJSON_Parse(value);
        now = enc ? cJSON_Parse(enc) : NULL;
        cJSON_ArrayForEach(m, old)
        {
            if (!cJSON_Compare(m, cJSON_GetObjectItemCaseSensitive(now, m->string), 1)) {
                tap_diag("%s: member %s changed", table, m->string);
                bad++;
            }
        }
        cJSON_ArrayForEach(m, now)
        {
            if (!cJSON_GetObjectItemCaseSensitive(old, m->string) &&
                !((!strcmp(m->string, "attempt_sessions") || !strcmp(m->string, "time_all_cs")) &&
                  cJSON_GetNumberValue(m) == 0)) {
                tap_diag("%s: member %s added", table, m->string);
                bad++;
            }
        }
        cJSON_Delete(old);
        cJSON_Delete(now);
        cJSON_free(enc);
        c->release(&u);
        cJSON_Delete(rec);
    }
    ok(n >= 12, "%d records of the older build", n);
    is_int(bad, 0, "each decodes and encodes back member for member");
    free(text);
}

/* `scolar check` (scorm_check_statements) names every record its codec refuses */
static void test_check(void)
{
    char dir[512], *rep = NULL;
    struct stmt_db *db = tu_db_open(dir, sizeof dir);
    struct stmt_store *st = NULL;
    struct stmt_store_opts so;
    struct scorm_check ck;
    static const char *const rows[][3] = {
        {"cmi", UUID_R "/ok", SCO_NEW},
        {"cmi", UUID_R "/bad",
         "{\"attempt\":1,\"attempt_id\":\"x\",\"entry\":\"resume\","
         "\"values\":{},\"sessions\":0}"},
        {"attempts", UUID_R "/ok/1", ATT_FULL},
        {"attempts", UUID_R "/bad/1", "{\"attempt\":\"1\"}"},
        {"sessions", UUID_B, SESS_OPEN},
        {"sessions", UUID_A, "{\"id\":true}"},
        {"reg_contrib", UUID_R, CON_FULL},
        {"reg_contrib", UUID_A, "{\"course\":\"g\",\"sids\":{},\"scos\":{}}"},
    };
    memset(&so, 0, sizeof so);
    if (!ok(stmt_store_open(db, &so, &st) == 0, "a store to check"))
        return;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        stmt_db_put1(db, rows[i][0], rows[i][1], strlen(rows[i][1]), rows[i][2], strlen(rows[i][2]),
                     0);
    is_int(scorm_check_statements(db, st, &ck, &rep), SCORM_RT_OK, "check runs");
    is_int((int)ck.unreadable, 4, "the four corrupt records are findings, the good ones not");
    ok(rep && strstr(rep, "scorm: cmi " UUID_R "/bad: cmi record: member \"total_cs\" is missing"),
       "cmi: key and member named");
    ok(rep && strstr(rep, UUID_R "/bad/1: attempt record: member \"attempt\" is not a number"),
       "attempts: key and member named");
    ok(rep && strstr(rep, "scorm: session " UUID_A ": session record: member \"id\""),
       "sessions: key and member named");
    ok(rep && strstr(rep, "scorm: reg_contrib " UUID_A
                          ": reg_contrib record: member \"sids\" is not an array"),
       "reg_contrib: key and member named");
    sc_free(rep);
    stmt_store_close(st);
    stmt_db_close(db);
}

int main(void)
{
    union any u;
    struct scorm_diag d;
    char *t = NULL;

    sc_alloc_init_cjson();
    for (size_t i = 0; i < sizeof CODECS / sizeof CODECS[0]; i++)
        test_codec(&CODECS[i]);
    test_old_store();
    tu_init();
    test_check();
    tu_fini();

    /* what the members mean */
    is_int(dec_sco(SCO_FULL, &u, &d), SCORM_RT_OK, "cmi: decode");
    ok(u.sco.attempt == 2 && u.sco.entry == SCORM__E_RESUME && u.sco.total_cs == 1200 &&
           u.sco.sessions == 3 && u.sco.attempt_sessions == 2 && u.sco.time_all_cs == 4500 &&
           u.sco.has_activity_attempt && u.sco.activity_attempt == 2 &&
           !strcmp(u.sco.session, UUID_B) && !strcmp(u.sco.attempt_id, UUID_A),
       "cmi: counters, ids and entry");
    ok(u.sco.has_result && u.sco.result.completion == SCORM__C_INCOMPLETE &&
           u.sco.result.success == SCORM__S_UNKNOWN && u.sco.result.has_scaled &&
           u.sco.result.scaled == 0.5 && u.sco.result.has_raw && !u.sco.result.has_min &&
           !u.sco.result.lesson_status,
       "cmi: the result");
    is_str(scorm__jstr(u.sco.values, "cmi.location"), "p3", "cmi: the values");
    rel_sco(&u);
    /* a record written before its first session: the optional members take their meaning */
    is_int(dec_sco(SCO_NEW, &u, &d), SCORM_RT_OK, "cmi: a new SCO's record decodes");
    ok(u.sco.attempt == 1 && u.sco.entry == SCORM__E_AB_INITIO && !u.sco.attempt_sessions &&
           !u.sco.time_all_cs && !u.sco.session[0] && !u.sco.has_activity_attempt &&
           !u.sco.has_result && cJSON_GetArraySize(u.sco.values) == 0,
       "cmi: no session, no result, no time yet");
    rel_sco(&u);
    is_int(dec_att(ATT_FULL, &u, &d), SCORM_RT_OK, "attempts: decode");
    ok(u.att.has_result && u.att.result.lesson_status &&
           !strcmp(u.att.result.lesson_status, "passed") && u.att.result.has_min &&
           u.att.result.max == 100 && !u.att.exit[0],
       "attempts: 1.2 result and empty exit");
    rel_att(&u);
    is_int(dec_sess(SESS_OPEN, &u, &d), SCORM_RT_OK, "sessions: an open session decodes");
    ok(u.sess.open && !u.sess.initialized && !u.sess.has_terminated && !u.sess.nav_request &&
           !u.sess.exit[0] && !u.sess.has_start_result && u.sess.changed &&
           !strcmp(u.sess.sco, "intro"),
       "sessions: open, nothing ended");
    is_int(enc_sess(&u, &t), SCORM_RT_OK, "sessions: encodes");
    ok(same_json(t, SESS_OPEN), "sessions: the launch's record written back as it was");
    cJSON_free(t);
    rel_sess(&u);
    is_int(dec_sess(SESS_FULL, &u, &d), SCORM_RT_OK, "sessions: an ended one");
    ok(!u.sess.open && u.sess.terminated && u.sess.seq == 7 && !strcmp(u.sess.exit, "suspend") &&
           u.sess.nav_request && !strcmp(u.sess.nav_request, "continue") && !u.sess.changed &&
           u.sess.has_start_result && u.sess.start_result.completion == SCORM__C_INCOMPLETE,
       "sessions: exit, nav request, start result");
    rel_sess(&u);
    is_int(dec_con(CON_FULL, &u, &d), SCORM_RT_OK, "reg_contrib: decode");
    {
        const struct scorm__contrib_sco *s1 = scorm__contrib_find(&u.con, "s1", NULL);
        size_t ord = 9;
        ok(u.con.n == 2 && scorm__contrib_find(&u.con, "s2", &ord) && ord == 1 &&
               !u.con.scos[1].has_part,
           "reg_contrib: two SCOs in order, s2 without data");
        ok(s1 && s1->has_part && s1->part.c == SCORM__C_COMPLETED &&
               s1->part.s == SCORM__S_PASSED && s1->part.n_o == 2 && s1->part.n_i == 2 &&
               s1->part.o[1].f == 1 && !s1->part.o[1].has_sc && s1->part.i[0].has_l &&
               s1->part.i[0].l == 2.5 && !s1->part.i[1].ty && !s1->part.i[1].v,
           "reg_contrib: s1's part");
        ok(scorm__contrib_part_same(&s1->part, &s1->part) &&
               !scorm__contrib_part_same(&s1->part, NULL) && scorm__contrib_part_same(NULL, NULL),
           "reg_contrib: part_same");
    }
    rel_con(&u);
    return tap_done();
}
