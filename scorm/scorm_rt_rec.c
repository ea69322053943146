/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run-time's records of a SCO as C structs, each with one codec at the storage edge
 * (issue 15: string-keyed cJSON records read a mistyped key as a silent 0): the SCO record
 * (table "cmi": the current attempt), an archived attempt ("attempts") and a session
 * ("sessions"). The stored JSON keeps its member names (scorm_rt.h, scorm_rt_int.h), so a
 * store written before the structs loads unchanged.
 *
 * Decoding is strict: a required member missing, a member of the wrong type, a number that is
 * not a finite integer where one is expected, or a status outside its vocabulary (SCORM 2004
 * 4th RTE 4.2.4 completion_status, 4.2.22 success_status, SCORM 1.2 RTE 3.4.4
 * lesson_status) is SCORM_RT_ERR_STORE, and diag says which record and member. Members the
 * codec does not know are ignored: a record a later version wrote still loads (and loses them
 * at the next write). An allocation failure is SCORM_RT_ERR_NOMEM, never "corrupt".
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "common/sc_alloc.h"
#include "statements/stmt_db.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const ENTRY[] = {"ab-initio", "resume"};
static const char *const LESSON[] = {"passed",     "completed", "failed",
                                     "incomplete", "browsed",   "not attempted"};

const char *scorm__entry_name(enum scorm__cmi_entry e)
{
    return e == SCORM__E_RESUME ? ENTRY[1] : ENTRY[0];
}

/* ---- decoding helpers: each returns 0, or -1 after naming the member in d ---------------- */

struct dec {
    const char *rec; /* "cmi record", ... */
    struct scorm_diag *diag;
};

static int bad(const struct dec *d, const char *member, const char *what)
{
    scorm__diag_set(d->diag, SCORM_RT_ERR_STORE, 0, member, "%s: member \"%s\" %s", d->rec, member,
                    what);
    return -1;
}

/* number member k; *has 0 when absent and optional */
static int dnum(const struct dec *d, const cJSON *o, const char *k, int required, double *v,
                int *has)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (has)
        *has = 0;
    if (!x)
        return required ? bad(d, k, "is missing") : 0;
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
        return bad(d, k, "is not a number");
    *v = x->valuedouble;
    if (has)
        *has = 1;
    return 0;
}

/* an integer member in [lo, 2^53] */
static int dint(const struct dec *d, const cJSON *o, const char *k, int required, double lo,
                int64_t *v, int *has)
{
    double x = 0;
    int h = 0;
    if (dnum(d, o, k, required, &x, &h))
        return -1;
    if (h && (x != floor(x) || x < lo || x > 9007199254740992.0))
        return bad(d, k, "is not an integer in range");
    if (h)
        *v = (int64_t)x;
    if (has)
        *has = h;
    return 0;
}

static int dint32(const struct dec *d, const cJSON *o, const char *k, int required, double lo,
                  int *v, int *has)
{
    int64_t x = 0;
    int h = 0;
    if (dint(d, o, k, required, lo, &x, &h))
        return -1;
    if (h && x > 2147483647)
        return bad(d, k, "is not an integer in range");
    if (h)
        *v = (int)x;
    if (has)
        *has = h;
    return 0;
}

/* a string member (borrowed from o; NULL when absent and optional) */
static int dstr(const struct dec *d, const cJSON *o, const char *k, int required, const char **v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    *v = NULL;
    if (!x)
        return required ? bad(d, k, "is missing") : 0;
    if (!cJSON_IsString(x))
        return bad(d, k, "is not a string");
    *v = x->valuestring;
    return 0;
}

/* a string member copied into a fixed buffer (which stays "" when absent) */
static int dbuf(const struct dec *d, const cJSON *o, const char *k, int required, char *buf,
                size_t len)
{
    const char *v;
    if (dstr(d, o, k, required, &v))
        return -1;
    if (v && strlen(v) >= len)
        return bad(d, k, "is too long");
    snprintf(buf, len, "%s", v ? v : "");
    return 0;
}

static int dbool(const struct dec *d, const cJSON *o, const char *k, int required, int *v, int *has)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (has)
        *has = x != NULL;
    if (!x)
        return required ? bad(d, k, "is missing") : 0;
    if (!cJSON_IsBool(x))
        return bad(d, k, "is not a boolean");
    *v = cJSON_IsTrue(x);
    return 0;
}

/* name -> index of names[n], or -1 */
static int dvocab(const struct dec *d, const char *k, const char *v, const char *const *names,
                  size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (!strcmp(v, names[i]))
            return (int)i;
    bad(d, k, "is not one of its values");
    return -1;
}

static int dentry(const struct dec *d, const cJSON *o, enum scorm__cmi_entry *e)
{
    const char *v;
    int i;
    if (dstr(d, o, "entry", 1, &v) || (i = dvocab(d, "entry", v, ENTRY, 2)) < 0)
        return -1;
    *e = (enum scorm__cmi_entry)i;
    return 0;
}

/* member k, an object of strings (the flat CMI values), detached from j into *out */
static int dvalues(const struct dec *d, cJSON *j, const char *k, int required, cJSON **out)
{
    cJSON *x = cJSON_GetObjectItemCaseSensitive(j, k), *v;
    *out = NULL;
    if (!x)
        return required ? bad(d, k, "is missing") : 0;
    if (!cJSON_IsObject(x))
        return bad(d, k, "is not an object");
    cJSON_ArrayForEach(v, x)
    {
        if (!cJSON_IsString(v))
            return bad(d, k, "has a value that is not a string");
    }
    *out = cJSON_DetachItemViaPointer(j, x);
    return 0;
}

static int dresult(const struct dec *d, const cJSON *o, const char *k, int *has,
                   struct scorm__result *r)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k), *sc;
    struct dec dr = {k, d->diag};
    const char *c, *s, *ls;
    int i;
    memset(r, 0, sizeof *r);
    *has = x != NULL;
    if (!x)
        return 0;
    if (!cJSON_IsObject(x))
        return bad(d, k, "is not an object");
    if (dstr(&dr, x, "completion", 1, &c) || dstr(&dr, x, "success", 1, &s) ||
        dstr(&dr, x, "lesson_status", 0, &ls))
        return -1;
    if (scorm__completion_parse(c, &r->completion))
        return bad(&dr, "completion", "is not one of its values");
    if (scorm__success_parse(s, &r->success))
        return bad(&dr, "success", "is not one of its values");
    if (ls) {
        if ((i = dvocab(&dr, "lesson_status", ls, LESSON, sizeof LESSON / sizeof LESSON[0])) < 0)
            return -1;
        r->lesson_status = LESSON[i];
    }
    sc = cJSON_GetObjectItemCaseSensitive(x, "score");
    if (sc && !cJSON_IsObject(sc))
        return bad(&dr, "score", "is not an object");
    dr.rec = "result score";
    return dnum(&dr, sc, "scaled", 0, &r->scaled, &r->has_scaled) ||
                   dnum(&dr, sc, "raw", 0, &r->raw, &r->has_raw) ||
                   dnum(&dr, sc, "min", 0, &r->min, &r->has_min) ||
                   dnum(&dr, sc, "max", 0, &r->max, &r->has_max)
               ? -1
               : 0;
}

/* Parse text into *j: SCORM_RT_ERR_NOMEM when an allocation failed, _STORE when it is not an
 * object. */
static int parse(const struct dec *d, const void *text, size_t len, cJSON **j)
{
    long f0 = sc_alloc_failures();
    *j = cJSON_ParseWithLength(text, len);
    if (cJSON_IsObject(*j))
        return SCORM_RT_OK;
    cJSON_Delete(*j);
    *j = NULL;
    if (sc_alloc_failures() != f0)
        return SCORM_RT_ERR_NOMEM;
    scorm__diag_set(d->diag, SCORM_RT_ERR_STORE, 0, d->rec, "%s: not a JSON object", d->rec);
    return SCORM_RT_ERR_STORE;
}

/* ---- encoding helpers -------------------------------------------------------------------- */

static int eresult(cJSON *j, const char *k, const struct scorm__result *r)
{
    cJSON *o = cJSON_AddObjectToObject(j, k), *sc;
    if (!o || !cJSON_AddStringToObject(o, "completion", scorm__completion_name(r->completion)) ||
        !cJSON_AddStringToObject(o, "success", scorm__success_name(r->success)) ||
        (r->lesson_status && !cJSON_AddStringToObject(o, "lesson_status", r->lesson_status)))
        return -1;
    if (!(r->has_scaled || r->has_raw || r->has_min || r->has_max))
        return 0;
    sc = cJSON_AddObjectToObject(o, "score");
    return sc && (!r->has_scaled || cJSON_AddNumberToObject(sc, "scaled", r->scaled)) &&
                   (!r->has_raw || cJSON_AddNumberToObject(sc, "raw", r->raw)) &&
                   (!r->has_min || cJSON_AddNumberToObject(sc, "min", r->min)) &&
                   (!r->has_max || cJSON_AddNumberToObject(sc, "max", r->max))
               ? 0
               : -1;
}

/* values (borrowed) as member k of j without copying it */
static int evalues(cJSON *j, const char *k, const cJSON *values)
{
    return cJSON_AddItemReferenceToObject(j, k, (cJSON *)values) ? 0 : -1;
}

static int finish(cJSON *j, int ok, char **out)
{
    *out = ok ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return *out ? SCORM_RT_OK : SCORM_RT_ERR_NOMEM;
}

cJSON *scorm__score_json(const struct scorm__result *r, int *nomem)
{
    cJSON *j = cJSON_CreateObject(), *sc;
    *nomem = 0;
    if (!r || !(r->has_scaled || r->has_raw || r->has_min || r->has_max)) {
        cJSON_Delete(j);
        return NULL;
    }
    if (!j || eresult(j, "r", r) ||
        !(sc = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "r"),
                                                       "score"))) {
        cJSON_Delete(j);
        *nomem = 1;
        return NULL;
    }
    cJSON_Delete(j);
    return sc;
}

/* ---- the SCO record ("cmi") -------------------------------------------------------------- */

void scorm__sco_rec_init(struct scorm__sco_rec *r)
{
    memset(r, 0, sizeof *r);
}

void scorm__sco_rec_free(struct scorm__sco_rec *r)
{
    if (!r)
        return;
    cJSON_Delete(r->values);
    scorm__sco_rec_init(r);
}

int scorm__sco_rec_new(struct scorm__sco_rec *r)
{
    scorm__sco_rec_init(r);
    r->attempt = 1;
    r->entry = SCORM__E_AB_INITIO;
    r->values = cJSON_CreateObject();
    if (!r->values || sc_uuid_v4(r->attempt_id)) {
        scorm__sco_rec_free(r);
        return SCORM_RT_ERR_NOMEM;
    }
    return SCORM_RT_OK;
}

int scorm__sco_rec_decode(const void *text, size_t len, struct scorm__sco_rec *out,
                          struct scorm_diag *diag)
{
    struct dec d = {"cmi record", diag};
    struct scorm__sco_rec r;
    cJSON *j = NULL;
    int rc = parse(&d, text, len, &j);
    scorm__sco_rec_init(&r);
    if (rc)
        return rc;
    rc = SCORM_RT_ERR_STORE;
    if (dint32(&d, j, "attempt", 1, 1, &r.attempt, NULL) ||
        dbuf(&d, j, "attempt_id", 1, r.attempt_id, sizeof r.attempt_id) ||
        dentry(&d, j, &r.entry) || dvalues(&d, j, "values", 1, &r.values) ||
        dint(&d, j, "total_cs", 1, 0, &r.total_cs, NULL) ||
        dint32(&d, j, "sessions", 1, 0, &r.sessions, NULL) ||
        dint32(&d, j, "attempt_sessions", 0, 0, &r.attempt_sessions, NULL) ||
        dint(&d, j, "time_all_cs", 0, 0, &r.time_all_cs, NULL) ||
        dbuf(&d, j, "session", 0, r.session, sizeof r.session) ||
        dint32(&d, j, "activity_attempt", 0, 0, &r.activity_attempt, &r.has_activity_attempt) ||
        dresult(&d, j, "result", &r.has_result, &r.result))
        goto out;
    *out = r;
    scorm__sco_rec_init(&r);
    rc = SCORM_RT_OK;
out:
    scorm__sco_rec_free(&r);
    cJSON_Delete(j);
    return rc;
}

int scorm__sco_rec_encode(const struct scorm__sco_rec *r, char **out)
{
    cJSON *j = cJSON_CreateObject();
    int ok = j && r->values && cJSON_AddNumberToObject(j, "attempt", r->attempt) &&
             cJSON_AddStringToObject(j, "attempt_id", r->attempt_id) &&
             cJSON_AddStringToObject(j, "entry", scorm__entry_name(r->entry)) &&
             !evalues(j, "values", r->values) &&
             cJSON_AddNumberToObject(j, "total_cs", (double)r->total_cs) &&
             cJSON_AddNumberToObject(j, "sessions", r->sessions) &&
             cJSON_AddNumberToObject(j, "attempt_sessions", r->attempt_sessions) &&
             cJSON_AddNumberToObject(j, "time_all_cs", (double)r->time_all_cs) &&
             (!r->session[0] || cJSON_AddStringToObject(j, "session", r->session)) &&
             (!r->has_activity_attempt ||
              cJSON_AddNumberToObject(j, "activity_attempt", r->activity_attempt)) &&
             (!r->has_result || !eresult(j, "result", &r->result));
    return finish(j, ok, out);
}

/* ---- an archived attempt ("attempts") ---------------------------------------------------- */

void scorm__attempt_rec_free(struct scorm__attempt_rec *r)
{
    if (!r)
        return;
    cJSON_Delete(r->values);
    memset(r, 0, sizeof *r);
}

int scorm__attempt_rec_decode(const void *text, size_t len, struct scorm__attempt_rec *out,
                              struct scorm_diag *diag)
{
    struct dec d = {"attempt record", diag};
    struct scorm__attempt_rec r;
    cJSON *j = NULL;
    int rc = parse(&d, text, len, &j);
    memset(&r, 0, sizeof r);
    if (rc)
        return rc;
    rc = SCORM_RT_ERR_STORE;
    if (dint32(&d, j, "attempt", 1, 1, &r.attempt, NULL) ||
        dbuf(&d, j, "attempt_id", 1, r.attempt_id, sizeof r.attempt_id) ||
        dvalues(&d, j, "values", 1, &r.values) ||
        dint(&d, j, "total_cs", 1, 0, &r.total_cs, NULL) ||
        dresult(&d, j, "result", &r.has_result, &r.result) ||
        dbuf(&d, j, "exit", 1, r.exit, sizeof r.exit))
        goto out;
    *out = r;
    memset(&r, 0, sizeof r);
    rc = SCORM_RT_OK;
out:
    scorm__attempt_rec_free(&r);
    cJSON_Delete(j);
    return rc;
}

int scorm__attempt_rec_encode(const struct scorm__attempt_rec *r, char **out)
{
    cJSON *j = cJSON_CreateObject();
    int ok = j && r->values && cJSON_AddNumberToObject(j, "attempt", r->attempt) &&
             cJSON_AddStringToObject(j, "attempt_id", r->attempt_id) &&
             !evalues(j, "values", r->values) &&
             cJSON_AddNumberToObject(j, "total_cs", (double)r->total_cs) &&
             (!r->has_result || !eresult(j, "result", &r->result)) &&
             cJSON_AddStringToObject(j, "exit", r->exit);
    return finish(j, ok, out);
}

/* ---- a session ("sessions") -------------------------------------------------------------- */

void scorm__session_free(struct scorm__session *s)
{
    if (!s)
        return;
    sc_free(s->sco);
    sc_free(s->nav_request);
    cJSON_Delete(s->changed);
    memset(s, 0, sizeof *s);
}

int scorm__session_decode(const void *text, size_t len, struct scorm__session *out,
                          struct scorm_diag *diag)
{
    struct dec d = {"session record", diag};
    struct scorm__session s;
    const char *sco = NULL, *nav = NULL;
    cJSON *j = NULL;
    int rc = parse(&d, text, len, &j);
    memset(&s, 0, sizeof s);
    if (rc)
        return rc;
    rc = SCORM_RT_ERR_STORE;
    if (dbuf(&d, j, "id", 1, s.id, sizeof s.id) ||
        dbuf(&d, j, "registration", 1, s.registration, sizeof s.registration) ||
        dstr(&d, j, "sco", 1, &sco) || dint32(&d, j, "attempt", 1, 0, &s.attempt, NULL) ||
        dint(&d, j, "seq", 1, 0, &s.seq, NULL) || dbool(&d, j, "open", 1, &s.open, NULL) ||
        dentry(&d, j, &s.entry) || dint(&d, j, "session_cs", 1, 0, &s.session_cs, NULL) ||
        dint(&d, j, "started", 1, 0, &s.started_us, NULL) ||
        dvalues(&d, j, "changed", 0, &s.changed) ||
        dresult(&d, j, "start_result", &s.has_start_result, &s.start_result) ||
        dbool(&d, j, "initialized", 0, &s.initialized, NULL) ||
        dbuf(&d, j, "exit", 0, s.exit, sizeof s.exit) || dstr(&d, j, "nav_request", 0, &nav) ||
        dbool(&d, j, "terminated", 0, &s.terminated, &s.has_terminated) ||
        dint(&d, j, "ended", 0, 0, &s.ended_us, NULL))
        goto out;
    /* an open session collects what it sets: its "changed" is there until it ends */
    if (s.open && !s.changed) {
        bad(&d, "changed", "is missing in an open session");
        goto out;
    }
    s.sco = sc_strdup(sco);
    s.nav_request = nav ? sc_strdup(nav) : NULL;
    if (!s.sco || (nav && !s.nav_request)) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    *out = s;
    memset(&s, 0, sizeof s);
    rc = SCORM_RT_OK;
out:
    scorm__session_free(&s);
    cJSON_Delete(j);
    return rc;
}

int scorm__session_encode(const struct scorm__session *s, char **out)
{
    cJSON *j = cJSON_CreateObject();
    int ok = j && s->sco && cJSON_AddStringToObject(j, "id", s->id) &&
             cJSON_AddStringToObject(j, "registration", s->registration) &&
             cJSON_AddStringToObject(j, "sco", s->sco) &&
             cJSON_AddNumberToObject(j, "attempt", s->attempt) &&
             cJSON_AddNumberToObject(j, "seq", (double)s->seq) &&
             cJSON_AddBoolToObject(j, "open", s->open) &&
             cJSON_AddStringToObject(j, "entry", scorm__entry_name(s->entry)) &&
             cJSON_AddNumberToObject(j, "session_cs", (double)s->session_cs) &&
             cJSON_AddNumberToObject(j, "started", (double)s->started_us) &&
             (!s->changed || !evalues(j, "changed", s->changed)) &&
             (!s->has_start_result || !eresult(j, "start_result", &s->start_result)) &&
             (!s->initialized || cJSON_AddBoolToObject(j, "initialized", 1)) &&
             (!s->exit[0] || cJSON_AddStringToObject(j, "exit", s->exit)) &&
             (!s->nav_request || cJSON_AddStringToObject(j, "nav_request", s->nav_request)) &&
             (!s->has_terminated || cJSON_AddBoolToObject(j, "terminated", s->terminated)) &&
             (!s->ended_us || cJSON_AddNumberToObject(j, "ended", (double)s->ended_us));
    return finish(j, ok, out);
}

/* ---- storage ----------------------------------------------------------------------------- */

typedef int (*decode_fn)(const void *text, size_t len, void *out, struct scorm_diag *diag);

static int get(struct stmt_db_txn *txn, const char *table, const char *key, decode_fn dec,
               void *out)
{
    const void *v;
    size_t vl;
    int rc = stmt_db_get(txn, table, key, strlen(key), &v, &vl);
    if (rc == STMT_DB_NOTFOUND)
        return SCORM_RT_ERR_NOTFOUND;
    if (rc)
        return SCORM_RT_ERR_STORE;
    return dec(v, vl, out, NULL);
}

static int get1(struct stmt_db *db, const char *table, const char *key, decode_fn dec, void *out)
{
    char *v = NULL;
    size_t vl;
    int rc = stmt_db_get1(db, table, key, strlen(key), &v, &vl);
    if (rc == STMT_DB_NOTFOUND)
        return SCORM_RT_ERR_NOTFOUND;
    if (rc)
        return SCORM_RT_ERR_STORE;
    rc = dec(v, vl, out, NULL);
    sc_free(v);
    return rc;
}

static int put(struct stmt_db_txn *txn, const char *table, const char *key, char *text, int rc)
{
    if (rc)
        return rc;
    rc = stmt_db_put(txn, table, key, strlen(key), text, strlen(text), 0) ? SCORM_RT_ERR_STORE
                                                                          : SCORM_RT_OK;
    cJSON_free(text);
    return rc;
}

static int dec_sco(const void *t, size_t l, void *o, struct scorm_diag *d)
{
    return scorm__sco_rec_decode(t, l, o, d);
}
static int dec_att(const void *t, size_t l, void *o, struct scorm_diag *d)
{
    return scorm__attempt_rec_decode(t, l, o, d);
}
static int dec_sess(const void *t, size_t l, void *o, struct scorm_diag *d)
{
    return scorm__session_decode(t, l, o, d);
}

int scorm__sco_rec_get(struct stmt_db_txn *txn, const char *key, struct scorm__sco_rec *out)
{
    return get(txn, "cmi", key, dec_sco, out);
}

int scorm__sco_rec_put(struct stmt_db_txn *txn, const char *key, const struct scorm__sco_rec *r)
{
    char *text = NULL;
    int rc = scorm__sco_rec_encode(r, &text);
    return put(txn, "cmi", key, text, rc);
}

int scorm__attempt_rec_get(struct stmt_db_txn *txn, const char *key, struct scorm__attempt_rec *out)
{
    return get(txn, "attempts", key, dec_att, out);
}

int scorm__attempt_rec_put(struct stmt_db_txn *txn, const char *key,
                           const struct scorm__attempt_rec *r)
{
    char *text = NULL;
    int rc = scorm__attempt_rec_encode(r, &text);
    return put(txn, "attempts", key, text, rc);
}

int scorm__session_get(struct stmt_db_txn *txn, const char *id, struct scorm__session *out)
{
    return get(txn, "sessions", id, dec_sess, out);
}

int scorm__session_put(struct stmt_db_txn *txn, const struct scorm__session *s)
{
    char *text = NULL;
    int rc = scorm__session_encode(s, &text);
    return put(txn, "sessions", s->id, text, rc);
}

int scorm__sco_rec_get1(struct stmt_db *db, const char *key, struct scorm__sco_rec *out)
{
    return get1(db, "cmi", key, dec_sco, out);
}

int scorm__attempt_rec_get1(struct stmt_db *db, const char *key, struct scorm__attempt_rec *out)
{
    return get1(db, "attempts", key, dec_att, out);
}

int scorm__session_get1(struct stmt_db *db, const char *id, struct scorm__session *out)
{
    return get1(db, "sessions", id, dec_sess, out);
}
