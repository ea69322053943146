/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run-time's records of a SCO as C structs, each with one codec at the storage edge
 * (issue 15: string-keyed cJSON records read a mistyped key as a silent 0): the SCO record
 * (table "cmi": the current attempt), an archived attempt ("attempts"), a session
 * ("sessions"), and a registration's contribution to its course's kept report ("reg_contrib",
 * scorm_rt_report_keep.c). The stored JSON keeps its member names (scorm_rt.h, scorm_rt_int.h), so
 * a store written before the structs loads unchanged.
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

/* values (borrowed) as member k of j without copying it. Not cJSON_AddItemReferenceToObject:
 * cJSON 1.7.15 leaks its reference when adding it fails (an allocation failure, ASan). A
 * reference's children are not freed with it. */
static int evalues(cJSON *j, const char *k, const cJSON *values)
{
    cJSON *ref = cJSON_CreateObjectReference(values->child);
    if (ref && cJSON_AddItemToObject(j, k, ref))
        return 0;
    cJSON_Delete(ref);
    return -1;
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
    s.has_exit = cJSON_GetObjectItemCaseSensitive(j, "exit") != NULL;
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
             (!s->has_exit || cJSON_AddStringToObject(j, "exit", s->exit)) &&
             (!s->nav_request || cJSON_AddStringToObject(j, "nav_request", s->nav_request)) &&
             (!s->has_terminated || cJSON_AddBoolToObject(j, "terminated", s->terminated)) &&
             (!s->ended_us || cJSON_AddNumberToObject(j, "ended", (double)s->ended_us));
    return finish(j, ok, out);
}

/* ---- a registration's contribution ("reg_contrib") ----------------------------------------- */

static void obj_free(struct scorm__contrib_obj *o)
{
    sc_free(o->id);
}

static void int_free(struct scorm__contrib_int *i)
{
    sc_free(i->id);
    sc_free(i->ty);
    sc_free(i->pat);
    sc_free(i->v);
}

void scorm__contrib_part_free(struct scorm__contrib_part *p)
{
    if (!p)
        return;
    for (size_t k = 0; k < p->n_o; k++)
        obj_free(&p->o[k]);
    for (size_t k = 0; k < p->n_i; k++)
        int_free(&p->i[k]);
    sc_free(p->o);
    sc_free(p->i);
    memset(p, 0, sizeof *p);
}

void scorm__contrib_free(struct scorm__contrib *c)
{
    if (!c)
        return;
    for (size_t k = 0; k < c->n; k++) {
        sc_free(c->scos[k].id);
        sc_free(c->scos[k].t);
        scorm__contrib_part_free(&c->scos[k].part);
    }
    sc_free(c->scos);
    sc_free(c->course);
    memset(c, 0, sizeof *c);
}

static int str_same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

int scorm__contrib_objs_same(const struct scorm__contrib_obj *a, size_t na,
                             const struct scorm__contrib_obj *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t k = 0; k < na; k++) {
        const struct scorm__contrib_obj *x = &a[k], *y = &b[k];
        if (!str_same(x->id, y->id) || x->c != y->c || x->p != y->p || x->f != y->f ||
            x->has_sc != y->has_sc || (x->has_sc && x->sc != y->sc))
            return 0;
    }
    return 1;
}

int scorm__contrib_ints_same(const struct scorm__contrib_int *a, size_t na,
                             const struct scorm__contrib_int *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t k = 0; k < na; k++) {
        const struct scorm__contrib_int *x = &a[k], *y = &b[k];
        if (!str_same(x->id, y->id) || !str_same(x->ty, y->ty) || !str_same(x->pat, y->pat) ||
            !str_same(x->v, y->v) || x->ok != y->ok || x->rc != y->rc || x->has_l != y->has_l ||
            (x->has_l && x->l != y->l))
            return 0;
    }
    return 1;
}

int scorm__contrib_part_same(const struct scorm__contrib_part *a,
                             const struct scorm__contrib_part *b)
{
    if (!a || !b)
        return a == b;
    return a->st == b->st && a->c == b->c && a->s == b->s && a->has_sc == b->has_sc &&
           (!a->has_sc || a->sc == b->sc) && a->t == b->t &&
           scorm__contrib_objs_same(a->o, a->n_o, b->o, b->n_o) &&
           scorm__contrib_ints_same(a->i, a->n_i, b->i, b->n_i);
}

struct scorm__contrib_sco *scorm__contrib_find(const struct scorm__contrib *c, const char *id,
                                               size_t *ord)
{
    for (size_t k = 0; c && id && k < c->n; k++)
        if (!strcmp(c->scos[k].id, id)) {
            if (ord)
                *ord = k;
            return &c->scos[k];
        }
    return NULL;
}

/* an optional string member copied (*out NULL when absent); -1 bad, -2 no memory */
static int dstrdup(const struct dec *d, const cJSON *o, const char *k, int required, char **out)
{
    const char *v;
    *out = NULL;
    if (dstr(d, o, k, required, &v))
        return -1;
    if (v && !(*out = sc_strdup(v)))
        return -2;
    return 0;
}

/* 0/1 flag stored as a number */
static int dflag(const struct dec *d, const cJSON *o, const char *k, int *v)
{
    int64_t x = 0;
    if (dint(d, o, k, 1, 0, &x, NULL))
        return -1;
    if (x > 1)
        return bad(d, k, "is not 0 or 1");
    *v = (int)x;
    return 0;
}

/* the array member k of o (required), its length in *n */
static int darr(const struct dec *d, const cJSON *o, const char *k, const cJSON **a, size_t *n)
{
    *a = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!*a)
        return bad(d, k, "is missing");
    if (!cJSON_IsArray(*a))
        return bad(d, k, "is not an array");
    *n = (size_t)cJSON_GetArraySize(*a);
    return 0;
}

/* a part; -1 corrupt, -2 no memory (p holds what was made: the caller frees it) */
static int dpart(const struct dec *d0, const cJSON *x, struct scorm__contrib_part *p)
{
    struct dec d = {"reg_contrib part", d0->diag};
    const cJSON *o, *i, *e;
    const char *c, *s;
    size_t n;
    int rc;
    if (!cJSON_IsObject(x))
        return bad(d0, "scos", "has a part that is not an object");
    if (dflag(&d, x, "st", &p->st) || dstr(&d, x, "c", 1, &c) || dstr(&d, x, "s", 1, &s) ||
        dnum(&d, x, "sc", 0, &p->sc, &p->has_sc) || dnum(&d, x, "t", 1, &p->t, NULL) ||
        darr(&d, x, "o", &o, &n))
        return -1;
    if (scorm__completion_parse(c, &p->c))
        return bad(&d, "c", "is not one of its values");
    if (scorm__success_parse(s, &p->s))
        return bad(&d, "s", "is not one of its values");
    if (n && !(p->o = sc_calloc(n, sizeof *p->o)))
        return -2;
    d.rec = "reg_contrib objective";
    cJSON_ArrayForEach(e, o)
    {
        struct scorm__contrib_obj *ob = &p->o[p->n_o++];
        if (!cJSON_IsObject(e))
            return bad(&d, "o", "has an entry that is not an object");
        if ((rc = dstrdup(&d, e, "id", 1, &ob->id)) || (rc = dflag(&d, e, "c", &ob->c)) ||
            (rc = dflag(&d, e, "p", &ob->p)) || (rc = dflag(&d, e, "f", &ob->f)) ||
            (rc = dnum(&d, e, "sc", 0, &ob->sc, &ob->has_sc)))
            return rc;
    }
    d.rec = "reg_contrib part";
    if (darr(&d, x, "i", &i, &n))
        return -1;
    if (n && !(p->i = sc_calloc(n, sizeof *p->i)))
        return -2;
    d.rec = "reg_contrib interaction";
    cJSON_ArrayForEach(e, i)
    {
        struct scorm__contrib_int *in = &p->i[p->n_i++];
        if (!cJSON_IsObject(e))
            return bad(&d, "i", "has an entry that is not an object");
        if ((rc = dstrdup(&d, e, "id", 1, &in->id)) || (rc = dstrdup(&d, e, "ty", 0, &in->ty)) ||
            (rc = dstrdup(&d, e, "pat", 0, &in->pat)) || (rc = dstrdup(&d, e, "v", 0, &in->v)) ||
            (rc = dflag(&d, e, "ok", &in->ok)) || (rc = dflag(&d, e, "rc", &in->rc)) ||
            (rc = dnum(&d, e, "l", 0, &in->l, &in->has_l)))
            return rc;
    }
    return 0;
}

int scorm__contrib_decode(const void *text, size_t len, struct scorm__contrib *out,
                          struct scorm_diag *diag)
{
    struct dec d = {"reg_contrib record", diag};
    struct scorm__contrib c;
    const cJSON *sids, *scos, *x;
    size_t n;
    cJSON *j = NULL;
    int rc = parse(&d, text, len, &j), r;
    memset(&c, 0, sizeof c);
    if (rc)
        return rc;
    rc = SCORM_RT_ERR_STORE;
    if ((r = dstrdup(&d, j, "course", 1, &c.course)) || (r = darr(&d, j, "sids", &sids, &n)))
        goto fail;
    scos = cJSON_GetObjectItemCaseSensitive(j, "scos");
    if (!scos) {
        r = bad(&d, "scos", "is missing");
        goto fail;
    }
    if (!cJSON_IsObject(scos)) {
        r = bad(&d, "scos", "is not an object");
        goto fail;
    }
    if (n && !(c.scos = sc_calloc(n, sizeof *c.scos))) {
        r = -2;
        goto fail;
    }
    d.rec = "reg_contrib sid";
    cJSON_ArrayForEach(x, sids)
    {
        struct scorm__contrib_sco *e = &c.scos[c.n++];
        if (!cJSON_IsObject(x)) {
            r = bad(&d, "sids", "has an entry that is not an object");
            goto fail;
        }
        if ((r = dstrdup(&d, x, "id", 1, &e->id)) || (r = dstrdup(&d, x, "t", 1, &e->t)))
            goto fail;
    }
    d.rec = "reg_contrib record";
    cJSON_ArrayForEach(x, scos)
    {
        struct scorm__contrib_sco *e = scorm__contrib_find(&c, x->string, NULL);
        if (!e || e->has_part) {
            r = bad(&d, "scos", "has a part of a SCO not in sids");
            goto fail;
        }
        e->has_part = 1;
        if ((r = dpart(&d, x, &e->part)))
            goto fail;
    }
    *out = c;
    cJSON_Delete(j);
    return SCORM_RT_OK;
fail:
    rc = r == -2 ? SCORM_RT_ERR_NOMEM : SCORM_RT_ERR_STORE;
    scorm__contrib_free(&c);
    cJSON_Delete(j);
    return rc;
}

static cJSON *epart(const struct scorm__contrib_part *p)
{
    cJSON *x = cJSON_CreateObject(), *o, *i, *e;
    int ok = x && cJSON_AddNumberToObject(x, "st", p->st) &&
             cJSON_AddStringToObject(x, "c", scorm__completion_name(p->c)) &&
             cJSON_AddStringToObject(x, "s", scorm__success_name(p->s)) &&
             (!p->has_sc || cJSON_AddNumberToObject(x, "sc", p->sc)) &&
             cJSON_AddNumberToObject(x, "t", p->t) && (o = cJSON_AddArrayToObject(x, "o")) &&
             (i = cJSON_AddArrayToObject(x, "i"));
    for (size_t k = 0; ok && k < p->n_o; k++) {
        const struct scorm__contrib_obj *ob = &p->o[k];
        ok = (e = cJSON_CreateObject()) && cJSON_AddItemToArray(o, e) &&
             cJSON_AddStringToObject(e, "id", ob->id) && cJSON_AddNumberToObject(e, "c", ob->c) &&
             cJSON_AddNumberToObject(e, "p", ob->p) && cJSON_AddNumberToObject(e, "f", ob->f) &&
             (!ob->has_sc || cJSON_AddNumberToObject(e, "sc", ob->sc));
    }
    for (size_t k = 0; ok && k < p->n_i; k++) {
        const struct scorm__contrib_int *in = &p->i[k];
        ok = (e = cJSON_CreateObject()) && cJSON_AddItemToArray(i, e) &&
             cJSON_AddStringToObject(e, "id", in->id) &&
             (!in->ty || cJSON_AddStringToObject(e, "ty", in->ty)) &&
             (!in->pat || cJSON_AddStringToObject(e, "pat", in->pat)) &&
             cJSON_AddNumberToObject(e, "ok", in->ok) &&
             (!in->v || cJSON_AddStringToObject(e, "v", in->v)) &&
             cJSON_AddNumberToObject(e, "rc", in->rc) &&
             (!in->has_l || cJSON_AddNumberToObject(e, "l", in->l));
    }
    if (!ok) {
        cJSON_Delete(x);
        return NULL;
    }
    return x;
}

int scorm__contrib_encode(const struct scorm__contrib *c, char **out)
{
    cJSON *j = cJSON_CreateObject(), *sids = NULL, *scos = NULL, *e, *p;
    int ok = j && c->course && cJSON_AddStringToObject(j, "course", c->course) &&
             (sids = cJSON_AddArrayToObject(j, "sids")) &&
             (scos = cJSON_AddObjectToObject(j, "scos"));
    for (size_t k = 0; ok && k < c->n; k++) {
        const struct scorm__contrib_sco *s = &c->scos[k];
        ok = (e = cJSON_CreateObject()) && cJSON_AddItemToArray(sids, e) &&
             cJSON_AddStringToObject(e, "id", s->id) && cJSON_AddStringToObject(e, "t", s->t);
        if (ok && s->has_part) {
            p = epart(&s->part);
            ok = p && cJSON_AddItemToObject(scos, s->id, p);
            if (!ok)
                cJSON_Delete(p);
        }
    }
    return finish(j, ok, out);
}

/* ---- storage ----------------------------------------------------------------------------- */

typedef int (*decode_fn)(const void *text, size_t len, void *out, struct scorm_diag *diag);

static int get(struct stmt_db_txn *txn, const char *table, const char *key, decode_fn dec,
               void *out)
{
    const void *v;
    size_t vl;
    int rc = scorm__rt_raw(txn, table, key, &v, &vl);
    return rc ? rc : dec(v, vl, out, NULL);
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
static int dec_contrib(const void *t, size_t l, void *o, struct scorm_diag *d)
{
    return scorm__contrib_decode(t, l, o, d);
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

int scorm__contrib_get(struct stmt_db_txn *txn, const char *reg, struct scorm__contrib *out)
{
    return get(txn, "reg_contrib", reg, dec_contrib, out);
}

int scorm__contrib_put(struct stmt_db_txn *txn, const char *reg, const struct scorm__contrib *c)
{
    char *text = NULL;
    int rc = scorm__contrib_encode(c, &text);
    return put(txn, "reg_contrib", reg, text, rc);
}
