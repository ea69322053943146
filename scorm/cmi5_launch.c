/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmi5 registrations, launch and the LMS's own statements (spec 8 "Content Launch
 * Mechanisms", 9.3 verbs written by the LMS, 10 "xAPI State Data Model", moveOn 13.1.4).
 *
 * A registration (table cmi5_regs) holds per AU the facts moveOn needs (completed, passed,
 * failed, waived, satisfied) and its open session; a session (cmi5_sessions) holds the launch
 * mode, the SHA-256 of its one-time fetch key and of its auth token, and the state machine of
 * spec 9.3 (fetched, initialized, terminated, abandoned, and what it recorded).
 *
 * The LMS's statements go through the statement store like any other (stmt_store_insert: the
 * store's validation, normalization and bookkeeping). Record writes and statement inserts are
 * two transactions; their order is chosen so that a crash between them leaves a state the
 * learner can go on from (the session record first, then launched; satisfied statements with
 * the AU statement that caused them, in the same batch, see cmi5_rules.c).
 */
#include "scorm/cmi5_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "common/sc_base64.h"
#include "common/sc_buf.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"
#include "statements/stmt_doc.h"
#include "statements/stmt_store.h"
#include "statements/stmt_validate.h"

#define LMS_AUTHORITY                                                                              \
    "{\"objectType\":\"Agent\",\"account\":{\"homePage\":\"urn:scolar:credential\","               \
    "\"name\":\"cmi5-lms\"}}"

int cmi5_open(struct stmt_db *db, struct stmt_store *store, const struct cmi5_opts *o,
              struct cmi5 **out)
{
    struct cmi5 *c = sc_calloc(1, sizeof *c);
    if (!c)
        return CMI5_ERR_NOMEM;
    c->db = db;
    c->store = store;
    c->endpoint = sc_strdup(o && o->endpoint ? o->endpoint : "http://localhost/xapi");
    c->fetch_base = sc_strdup(o && o->fetch_base ? o->fetch_base : "http://localhost/cmi5/fetch/");
    c->content_base =
        sc_strdup(o && o->content_base ? o->content_base : "http://localhost/cmi5/content/");
    c->learner_home = sc_strdup(o && o->learner_home ? o->learner_home : "http://scolar.invalid/");
    for (int i = 0; i < CMI5_LOCKS; i++)
        pthread_mutex_init(&c->locks[i], NULL); /* default attributes: cannot fail on Linux */
    if (!c->endpoint || !c->fetch_base || !c->content_base || !c->learner_home) {
        sc_free(c->endpoint);
        sc_free(c->fetch_base);
        sc_free(c->content_base);
        sc_free(c->learner_home);
        sc_free(c);
        return CMI5_ERR_NOMEM;
    }
    { /* the console's indexes of registrations made before them (cmi5_reg.c) */
        int rc = cmi5__index_migrate(db);
        if (rc) {
            cmi5_close(c);
            return rc;
        }
    }
    cmi5__content_cleanup(c);
    *out = c;
    return CMI5_OK;
}

void cmi5_close(struct cmi5 *c)
{
    if (!c)
        return;
    for (int i = 0; i < CMI5_LOCKS; i++)
        pthread_mutex_destroy(&c->locks[i]);
    sc_free(c->endpoint);
    sc_free(c->fetch_base);
    sc_free(c->content_base);
    sc_free(c->learner_home);
    sc_free(c);
}

int cmi5__uuid_lower(const char *in, char out[37])
{
    if (!in || strlen(in) != 36 || !sc_uuid_valid(in, 36))
        return -1;
    for (int i = 0; i < 37; i++)
        out[i] = (char)((in[i] >= 'A' && in[i] <= 'F') ? in[i] - 'A' + 'a' : in[i]);
    return 0;
}

static void set_str(cJSON *o, const char *k, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

pthread_mutex_t *cmi5__reg_lock(struct cmi5 *c, const char *reg)
{
    uint32_t h = 2166136261u; /* FNV-1a over the lowercase UUID */
    for (const char *p = reg ? reg : ""; *p; p++) {
        char ch = (*p >= 'A' && *p <= 'F') ? (char)(*p - 'A' + 'a') : *p;
        h = (h ^ (unsigned char)ch) * 16777619u;
    }
    return &c->locks[h % CMI5_LOCKS];
}

pthread_mutex_t *cmi5__session_lock(struct cmi5 *c, const char *session)
{
    cJSON *s = NULL;
    pthread_mutex_t *lk = NULL;
    if (cmi5__load(c, CMI5_T_SESSIONS, session, &s) == CMI5_OK)
        lk = cmi5__reg_lock(c, cmi5__str(s, "registration"));
    cJSON_Delete(s);
    return lk;
}

/* ---- LMS statements ---------------------------------------------------------------------- */

cJSON *cmi5__lms_statement(const cJSON *actor, const char *verb, const char *display,
                           const char *object_id, const char *type, const char *publisher,
                           const char *reg, const char *session)
{
    long f0 = sc_alloc_failures();
    char id[SC_UUID_LEN], ts[SC_TIME_ISO_LEN];
    cJSON *s = cJSON_CreateObject(), *v, *o, *ctx, *ca, *cat, *grp, *ext, *e;
    if (!s || sc_uuid_v4(id))
        goto fail;
    cJSON_AddStringToObject(s, "id", id);
    /* 9.7.0.0-2: UTC */
    cJSON_AddStringToObject(s, "timestamp", sc_time_format_iso(sc_time_now_us(), 3, ts));
    cmi5__put(s, "actor", cJSON_Duplicate(actor, 1));
    v = cJSON_AddObjectToObject(s, "verb");
    cJSON_AddStringToObject(v, "id", verb);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(v, "display"), "en-US", display);
    o = cJSON_AddObjectToObject(s, "object");
    cJSON_AddStringToObject(o, "id", object_id);
    cJSON_AddStringToObject(o, "objectType", "Activity");
    if (type)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "definition"), "type", type);
    ctx = cJSON_AddObjectToObject(s, "context");
    cJSON_AddStringToObject(ctx, "registration", reg);
    ca = cJSON_AddObjectToObject(ctx, "contextActivities");
    cat = cJSON_AddArrayToObject(ca, "category"); /* 9.6.2.1 */
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", CMI5_CAT_CMI5);
    cmi5__push(cat, e);
    if (publisher) { /* 9.6.2.3: the publisher's id in grouping */
        grp = cJSON_AddArrayToObject(ca, "grouping");
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", publisher);
        cmi5__push(grp, e);
    }
    if (session) { /* 9.6.3.1 */
        ext = cJSON_AddObjectToObject(ctx, "extensions");
        cJSON_AddStringToObject(ext, CMI5_EXT_SESSION, session);
    }
    if (sc_alloc_failures() != f0) /* a tree that lost an item is never stored as if whole */
        goto fail;
    return s;
fail:
    cJSON_Delete(s);
    return NULL;
}

int cmi5__insert(struct cmi5 *c, cJSON *arr, size_t nrec, const char *const *tables,
                 const char *const *keys, cJSON *const *vals)
{
    return cmi5__insert_fn(c, arr, nrec, tables, keys, vals, NULL, NULL);
}

int cmi5__insert_fn(struct cmi5 *c, cJSON *arr, size_t nrec, const char *const *tables,
                    const char *const *keys, cJSON *const *vals, cmi5__txn_fn fn, void *ctx)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    cJSON **v = NULL, *e;
    struct stmt_diag d;
    struct stmt_insert_result res;
    struct stmt_row rows[4];
    char *txt[4] = {NULL, NULL, NULL, NULL};
    int rc = CMI5_OK;
    if (!n || !c->store) /* nothing for the statement store: the records alone */
        return nrec || fn ? cmi5__save_fn(c, nrec, tables, keys, vals, fn, ctx) : CMI5_OK;
    if (nrec > 4 || stmt_validate_batch(arr, 0, &d))
        return CMI5_ERR_STORE;
    v = sc_calloc(n, sizeof *v);
    if (!v)
        return CMI5_ERR_NOMEM;
    cJSON_ArrayForEach(e, arr)
    {
        if (stmt_normalize(e)) {
            rc = CMI5_ERR_NOMEM;
            goto out;
        }
        v[i++] = e;
    }
    /* the records go in the writer's transaction with the statements (stmt_store_insert_rows):
     * durable together or not at all */
    for (size_t k = 0; k < nrec; k++) {
        rows[k].table = tables[k];
        rows[k].key = keys[k];
        rows[k].klen = strlen(keys[k]);
        if (vals[k] && !(txt[k] = cJSON_PrintUnformatted(vals[k]))) {
            rc = CMI5_ERR_NOMEM;
            goto out;
        }
        rows[k].val = txt[k];
        rows[k].vlen = txt[k] ? strlen(txt[k]) : 0;
    }
    memset(&res, 0, sizeof res);
    {
        int frc = 0, src = stmt_store_insert_fn(c->store, v, n, LMS_AUTHORITY, rows, nrec, fn, ctx,
                                                &frc, &res);
        rc = src == STMT_STORE_ERR_FN ? frc : src ? CMI5_ERR_STORE : CMI5_OK;
    }
    stmt_insert_result_free(&res);
out:
    for (size_t k = 0; k < 4; k++)
        cJSON_free(txt[k]);
    sc_free(v);
    return rc;
}

int cmi5__au_moveon_met(const cJSON *au_def, const cJSON *st)
{
    const char *m = cmi5__str(au_def, "moveOn");
    int comp = cmi5__flag(st, "completed"), pass = cmi5__flag(st, "passed");
    if (cmi5__flag(st, "waived") || !m || !strcmp(m, "NotApplicable"))
        return 1;
    if (!strcmp(m, "Completed"))
        return comp;
    if (!strcmp(m, "Passed"))
        return pass;
    if (!strcmp(m, "CompletedAndPassed"))
        return comp && pass;
    return comp || pass; /* CompletedOrPassed */
}

/* A block or the course is satisfied once every AU under it is (moveOn, 9.3.9). Blocks are in
 * document (pre-)order, so walking them backwards satisfies inner blocks before outer ones. */
int cmi5__satisfy(const cJSON *course, cJSON *reg, const char *session, cJSON *out)
{
    const cJSON *aus = cJSON_GetObjectItem(course, "aus"),
                *blocks = cJSON_GetObjectItem(course, "blocks");
    cJSON *ast = cJSON_GetObjectItem(reg, "aus"), *bst = cJSON_GetObjectItem(reg, "blocks");
    const cJSON *actor = cJSON_GetObjectItem(reg, "actor");
    const char *regid = cmi5__str(reg, "registration");
    int nb = cJSON_GetArraySize(blocks), all = 1;

    for (int i = 0; i < cJSON_GetArraySize(aus); i++) {
        cJSON *st = cJSON_GetArrayItem(ast, i);
        if (cmi5__au_moveon_met(cJSON_GetArrayItem(aus, i), st))
            cmi5__set_flag(st, "satisfied", 1);
        all &= cmi5__flag(st, "satisfied");
    }
    for (int b = nb - 1; b >= 0; b--) {
        const cJSON *bd = cJSON_GetArrayItem(blocks, b);
        cJSON *bs = cJSON_GetArrayItem(bst, b);
        int ok = 1;
        if (cmi5__flag(bs, "satisfied"))
            continue;
        for (int i = 0; i < cJSON_GetArraySize(aus) && ok; i++) {
            const cJSON *e;
            cJSON_ArrayForEach(e, cJSON_GetObjectItem(cJSON_GetArrayItem(aus, i), "blocks"))
            {
                if ((int)e->valuedouble == b &&
                    !cmi5__flag(cJSON_GetArrayItem(ast, i), "satisfied"))
                    ok = 0;
            }
        }
        if (ok) {
            cJSON *s = cmi5__lms_statement(actor, CMI5_VERB_SATISFIED, "satisfied",
                                           cmi5__str(bd, "activityId"), CMI5_TYPE "block",
                                           cmi5__str(bd, "publisherId"), regid, session);
            if (!s)
                return CMI5_ERR_NOMEM;
            cmi5__push(out, s);
            cmi5__set_flag(bs, "satisfied", 1);
        }
    }
    if (all && !cmi5__flag(reg, "satisfied")) {
        cJSON *s = cmi5__lms_statement(actor, CMI5_VERB_SATISFIED, "satisfied",
                                       cmi5__str(course, "activityId"), CMI5_TYPE "course",
                                       cmi5__str(course, "publisherId"), regid, session);
        if (!s)
            return CMI5_ERR_NOMEM;
        cmi5__push(out, s);
        cmi5__set_flag(reg, "satisfied", 1);
    }
    return CMI5_OK;
}

/* ---- launch ------------------------------------------------------------------------------ */

static void url_enc(struct sc_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-_.~", ch))
            sc_buf_putc(b, (char)ch);
        else
            sc_buf_printf(b, "%%%02X", ch);
    }
}

static void hash_hex(const char *s, char out[65])
{
    unsigned char h[32];
    sc_sha256(s, strlen(s), h);
    sc_hex(h, sizeof h, out);
}

static void duration(int64_t us, char *out, size_t n)
{
    if (us < 0)
        us = 0;
    /* ISO 8601 duration, 0.01 s precision (xAPI Data 4.6) */
    snprintf(out, n, "PT%lld.%02lldS", (long long)(us / 1000000),
             (long long)(us % 1000000 / 10000));
}

/* abandoned (9.3.6) for session record s; appended to out. */
static int abandoned_stmt(cJSON *s, const cJSON *reg, const cJSON *au, cJSON *out)
{
    char d[64];
    cJSON *st =
        cmi5__lms_statement(cJSON_GetObjectItem(reg, "actor"), CMI5_VERB_ABANDONED, "abandoned",
                            cmi5__str(au, "activityId"), NULL, cmi5__str(au, "publisherId"),
                            cmi5__str(reg, "registration"), cmi5__str(s, "session"));
    if (!st)
        return CMI5_ERR_NOMEM;
    duration(sc_time_now_us() -
                 (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "launched_us")),
             d, sizeof d);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(st, "result"), "duration", d); /* 9.5.4.2-1 */
    cmi5__push(out, st);
    cmi5__set_flag(s, "abandoned", 1);
    return CMI5_OK;
}

/* The registration r (held locked by the caller), its course, and AU au_idx of both: the
 * course's AU and the registration's state of it (*au, *ast borrowed from *course, *reg). */
static int load_au(struct cmi5 *c, const char *r, int au_idx, cJSON **reg, cJSON **course,
                   cJSON **au, cJSON **ast, struct cmi5_diag *diag)
{
    int rc;
    if ((rc = cmi5__load(c, CMI5_T_REGS, r, reg)) ||
        (rc = cmi5_course_get(c, cmi5__str(*reg, "course"), course)))
        return rc;
    *au = cJSON_GetArrayItem(cJSON_GetObjectItem(*course, "aus"), au_idx);
    *ast = cJSON_GetArrayItem(cJSON_GetObjectItem(*reg, "aus"), au_idx);
    if (au_idx < 0 || !*au || !*ast) {
        cmi5__diag(diag, "", "au", "the course has no AU %d", au_idx);
        return CMI5_ERR_NOTFOUND;
    }
    return CMI5_OK;
}

/* LMS.LaunchData (10.2) of a launch, written in the insert's transaction (a cmi5__txn_fn) */
struct launch_doc {
    struct stmt_doc_ctx ctx;
    const char *json;
};

static int launch_doc_put(struct stmt_db_txn *txn, void *vctx)
{
    struct launch_doc *d = vctx;
    struct stmt_doc_cond cond;
    struct stmt_doc_limits lim;
    memset(&cond, 0, sizeof cond);
    memset(&lim, 0, sizeof lim);
    return stmt_doc_put_txn(txn, &d->ctx, "LMS.LaunchData", d->json, strlen(d->json),
                            "application/json", &cond, &lim, sc_time_now_us(), NULL)
               ? CMI5_ERR_STORE
               : CMI5_OK;
}

int cmi5_launch(struct cmi5 *c, const char *reg_id, int au_idx, const struct cmi5_launch_opts *o,
                cJSON **out, struct cmi5_diag *diag)
{
    long f0 = sc_alloc_failures();
    char r[37], sid[SC_UUID_LEN], key[33], hk[65], ts[SC_TIME_ISO_LEN], ifi[2048];
    unsigned char rnd[16];
    const char *mode = o && o->launch_mode ? o->launch_mode : "Normal";
    cJSON *reg = NULL, *course = NULL, *sess = NULL, *old = NULL, *stmts = NULL, *ld = NULL;
    cJSON *au, *ast, *launched, *ext, *tmpl, *answer = NULL;
    struct sc_buf url = SC_BUF_INIT, fetch = SC_BUF_INIT, auurl = SC_BUF_INIT;
    pthread_mutex_t *lk;
    char *actor_json = NULL, *ldjson = NULL;
    const char *u;
    int rc;

    if (strcmp(mode, "Normal") && strcmp(mode, "Browse") && strcmp(mode, "Review")) {
        cmi5__diag(diag, "10.2.2.0-1", "launchMode",
                   "launchMode '%.32s' is not Normal, Browse or Review", mode);
        return CMI5_ERR_ARG;
    }
    if (cmi5__uuid_lower(reg_id, r))
        return CMI5_ERR_NOTFOUND;
    lk = cmi5__reg_lock(c, r);
    pthread_mutex_lock(lk);
    if ((rc = load_au(c, r, au_idx, &reg, &course, &au, &ast, diag)))
        goto out;
    stmts = cJSON_CreateArray();
    if (!stmts) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    /* a session of this AU left open: abandoned before the new one starts (9.3.6) */
    if (cmi5__str(ast, "open") &&
        cmi5__load(c, CMI5_T_SESSIONS, cmi5__str(ast, "open"), &old) == CMI5_OK &&
        !cmi5__flag(old, "terminated") && !cmi5__flag(old, "abandoned") &&
        (rc = abandoned_stmt(old, reg, au, stmts)))
        goto out;
    if (sc_uuid_v4(sid) || sc_random_bytes(rnd, sizeof rnd)) {
        rc = CMI5_ERR_IO;
        goto out;
    }
    sc_hex(rnd, sizeof rnd, key);
    hash_hex(key, hk);
    sess = cJSON_CreateObject();
    cJSON_AddStringToObject(sess, "session", sid);
    cJSON_AddStringToObject(sess, "registration", r);
    cJSON_AddStringToObject(sess, "course", cmi5__str(course, "id"));
    cJSON_AddNumberToObject(sess, "au", au_idx);
    cJSON_AddStringToObject(sess, "launchMode", mode);
    cJSON_AddStringToObject(sess, "fetch_hash", hk);
    cJSON_AddNumberToObject(sess, "launched_us", (double)sc_time_now_us());
    cJSON_AddStringToObject(sess, "launched", sc_time_format_iso(sc_time_now_us(), 3, ts));
    for (const char *const *k =
             (const char *const[]){"fetched", "prefs_read", "initialized", "terminated",
                                   "abandoned", "completed", "passed", "failed", NULL};
         *k; k++)
        cJSON_AddBoolToObject(sess, *k, 0);
    set_str(ast, "open", sid);
    cmi5__push(cJSON_GetObjectItem(reg, "sessions"), cJSON_CreateString(sid));

    /* the AU's URL: absolute, or a file of the package on the content origin (8.1) */
    u = cmi5__str(au, "url");
    if (!cmi5__iri_abs(u)) {
        sc_buf_puts(&auurl, c->content_base);
        sc_buf_puts(&auurl, cmi5__str(course, "id"));
        sc_buf_putc(&auurl, '/');
    }
    {
        size_t n = strcspn(u, "#");
        sc_buf_append(&auurl, u, n);
        actor_json = cJSON_PrintUnformatted(cJSON_GetObjectItem(reg, "actor"));
        sc_buf_puts(&fetch, c->fetch_base);
        sc_buf_puts(&fetch, sid);
        sc_buf_puts(&fetch, "?k=");
        sc_buf_puts(&fetch, key);
        sc_buf_append(&url, auurl.data, auurl.len);
        sc_buf_putc(&url, memchr(u, '?', n) ? '&' : '?');
        sc_buf_puts(&url, "endpoint=");
        url_enc(&url, c->endpoint);
        sc_buf_puts(&url, "&fetch=");
        sc_buf_putc(&fetch, 0);
        url_enc(&url, fetch.data ? fetch.data : "");
        sc_buf_puts(&url, "&actor=");
        url_enc(&url, actor_json ? actor_json : "");
        sc_buf_puts(&url, "&registration=");
        url_enc(&url, r);
        sc_buf_puts(&url, "&activityId=");
        url_enc(&url, cmi5__str(au, "activityId"));
        sc_buf_puts(&url, u + n);
        sc_buf_putc(&url, 0);
        sc_buf_append(&auurl, u + n, strlen(u + n));
        sc_buf_putc(&auurl, 0);
    }
    if (sc_buf_error(&url) || sc_buf_error(&fetch) || sc_buf_error(&auurl) || !actor_json) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }

    /* LMS.LaunchData (10.2) */
    ld = cJSON_CreateObject();
    tmpl = cJSON_AddObjectToObject(ld, "contextTemplate");
    {
        cJSON *grp = cJSON_AddArrayToObject(cJSON_AddObjectToObject(tmpl, "contextActivities"),
                                            "grouping"),
              *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "id", cmi5__str(au, "publisherId")); /* 10.2.1.0-3 */
        cmi5__push(grp, g);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(tmpl, "extensions"), CMI5_EXT_SESSION, sid);
    }
    cJSON_AddStringToObject(ld, "launchMode", mode);
    if (cmi5__str(au, "launchParameters"))
        cJSON_AddStringToObject(ld, "launchParameters", cmi5__str(au, "launchParameters"));
    if (cJSON_GetObjectItem(au, "masteryScore"))
        cJSON_AddNumberToObject(ld, "masteryScore",
                                cJSON_GetNumberValue(cJSON_GetObjectItem(au, "masteryScore")));
    cJSON_AddStringToObject(ld, "moveOn", cmi5__str(au, "moveOn"));
    if (o && o->return_url)
        cJSON_AddStringToObject(ld, "returnURL", o->return_url);
    if (cmi5__str(au, "entitlementKey"))
        cJSON_AddStringToObject(cJSON_AddObjectToObject(ld, "entitlementKey"), "courseStructure",
                                cmi5__str(au, "entitlementKey"));
    ldjson = cJSON_PrintUnformatted(ld);

    /* launched (9.3.1, 9.6.3) */
    launched = cmi5__lms_statement(cJSON_GetObjectItem(reg, "actor"), CMI5_VERB_LAUNCHED,
                                   "launched", cmi5__str(au, "activityId"), NULL,
                                   cmi5__str(au, "publisherId"), r, sid);
    if (!launched || !ldjson) {
        cJSON_Delete(launched);
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    ext = cJSON_GetObjectItem(cJSON_GetObjectItem(launched, "context"), "extensions");
    cJSON_AddStringToObject(ext, CMI5_EXT "launchmode", mode);
    cJSON_AddStringToObject(ext, CMI5_EXT "launchurl", auurl.data);
    cJSON_AddStringToObject(ext, CMI5_EXT "moveon", cmi5__str(au, "moveOn"));
    if (cmi5__str(au, "launchParameters"))
        cJSON_AddStringToObject(ext, CMI5_EXT "launchparameters",
                                cmi5__str(au, "launchParameters"));
    if (cJSON_GetObjectItem(au, "masteryScore"))
        cJSON_AddNumberToObject(ext, CMI5_EXT_MASTERY,
                                cJSON_GetNumberValue(cJSON_GetObjectItem(au, "masteryScore")));
    cmi5__push(stmts, launched);
    if (sc_alloc_failures() != f0) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    if (stmt_store_agent_ifi(cJSON_GetObjectItem(reg, "actor"), ifi, sizeof ifi)) {
        rc = CMI5_ERR_ARG;
        goto out;
    }
    /* the answer before anything is written: once the session is stored nothing may fail */
    answer = cJSON_CreateObject();
    if (!answer || !cJSON_AddStringToObject(answer, "registration", r) ||
        !cJSON_AddStringToObject(answer, "session", sid) ||
        !cJSON_AddNumberToObject(answer, "au", au_idx) ||
        !cJSON_AddStringToObject(answer, "launchMode", mode) ||
        !cJSON_AddStringToObject(answer, "launchMethod", cmi5__sstr(au, "launchMethod")) ||
        !cJSON_AddStringToObject(answer, "launch_url", url.data) ||
        !cJSON_AddStringToObject(answer, "fetch_url", fetch.data)) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    {
        /* LMS.LaunchData goes in the writer's transaction with the session, the registration
         * and the statements: a launch that fails leaves the open session's LaunchData as it was */
        struct launch_doc ldoc = {{STMT_DOC_STATE, cmi5__str(au, "activityId"), ifi, r}, ldjson};
        const char *t[] = {CMI5_T_SESSIONS, CMI5_T_REGS, CMI5_T_SESSIONS};
        const char *k[] = {sid, r, old ? cmi5__str(old, "session") : sid};
        cJSON *v[] = {sess, reg, old ? old : sess};
        if ((rc = cmi5__insert_fn(c, stmts, 3, t, k, v, launch_doc_put, &ldoc)))
            goto out;
    }
    *out = answer;
    answer = NULL;
out:
    cJSON_Delete(answer);
    pthread_mutex_unlock(lk);
    sc_buf_free(&url);
    sc_buf_free(&fetch);
    sc_buf_free(&auurl);
    cJSON_free(actor_json);
    cJSON_free(ldjson);
    cJSON_Delete(ld);
    cJSON_Delete(stmts);
    cJSON_Delete(sess);
    cJSON_Delete(old);
    cJSON_Delete(reg);
    cJSON_Delete(course);
    return rc;
}

/* ---- fetch and auth (8.2) ---------------------------------------------------------------- */

static cJSON *fetch_error(const char *code, const char *text)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error-code", code); /* 8.2.3: 1 used, 2 security, 3 other */
    cJSON_AddStringToObject(j, "error-text", text);
    return j;
}

int cmi5_fetch(struct cmi5 *c, const char *session, const char *key, cJSON **json)
{
    char s[37], hk[65], secret[33], ha[65], user[40], tok[256], cred[128];
    unsigned char rnd[16];
    cJSON *sess = NULL;
    pthread_mutex_t *lk;
    int rc = CMI5_OK;

    if (cmi5__uuid_lower(session, s) || !key || strlen(key) != 32) {
        *json = fetch_error("2", "unknown fetch URL");
        return *json ? CMI5_OK : CMI5_ERR_NOMEM;
    }
    lk = cmi5__session_lock(c, s);
    if (!lk) {
        *json = fetch_error("2", "unknown fetch URL");
        return *json ? CMI5_OK : CMI5_ERR_NOMEM;
    }
    pthread_mutex_lock(lk);
    if (cmi5__load(c, CMI5_T_SESSIONS, s, &sess) != CMI5_OK) {
        *json = fetch_error("2", "unknown fetch URL");
        goto out;
    }
    hash_hex(key, hk);
    if (!sc_ct_equal(hk, cmi5__sstr(sess, "fetch_hash"), 64)) {
        *json = fetch_error("2", "unknown fetch URL");
        goto out;
    }
    if (cmi5__flag(sess, "fetched") || cmi5__flag(sess, "terminated") ||
        cmi5__flag(sess, "abandoned")) {
        /* 8.2.3.0-1: one-time use */
        *json = fetch_error("1", "the auth token of this session was already retrieved");
        goto out;
    }
    if (sc_random_bytes(rnd, sizeof rnd)) {
        rc = CMI5_ERR_IO;
        goto out;
    }
    sc_hex(rnd, sizeof rnd, secret);
    hash_hex(secret, ha);
    cmi5__set_flag(sess, "fetched", 1);
    set_str(sess, "auth_hash", ha);
    {
        const char *t[] = {CMI5_T_SESSIONS};
        const char *k[] = {s};
        if ((rc = cmi5__save(c, 1, t, k, &sess)))
            goto out;
    }
    /* key "c5" + the session's 32 hex digits: cmi5_auth recognises it */
    snprintf(user, sizeof user, "c5%.8s%.4s%.4s%.4s%.12s", s, s + 9, s + 14, s + 19, s + 24);
    snprintf(cred, sizeof cred, "%s:%s", user, secret);
    sc_base64_encode(cred, strlen(cred), tok, 0);
    *json = cJSON_CreateObject();
    if (*json)
        cJSON_AddStringToObject(*json, "auth-token", tok); /* 8.2.2 */
out:
    pthread_mutex_unlock(lk);
    cJSON_Delete(sess);
    if (!rc && !*json)
        rc = CMI5_ERR_NOMEM;
    return rc;
}

int cmi5_auth(struct cmi5 *c, const char *key, const char *secret, char session[37])
{
    char s[37], ha[65];
    cJSON *sess = NULL;
    int ok;
    if (!key || strncmp(key, "c5", 2) || strlen(key) != 34)
        return 0;
    for (int i = 2; i < 34; i++)
        if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
            return 0;
    snprintf(s, sizeof s, "%.8s-%.4s-%.4s-%.4s-%.12s", key + 2, key + 10, key + 14, key + 18,
             key + 22);
    if (cmi5__load(c, CMI5_T_SESSIONS, s, &sess) != CMI5_OK)
        return -1;
    hash_hex(secret ? secret : "", ha);
    /* 8.1.2.0-2: the token stops working when its session ends */
    ok = cmi5__flag(sess, "fetched") && cmi5__str(sess, "auth_hash") &&
         sc_ct_equal(ha, cmi5__str(sess, "auth_hash"), 64) && !cmi5__flag(sess, "terminated") &&
         !cmi5__flag(sess, "abandoned") &&
         cmi5_registration_exists(c, cmi5__str(sess, "registration"));
    cJSON_Delete(sess);
    if (!ok)
        return -1;
    memcpy(session, s, 37);
    return 1;
}

int cmi5_session_info(struct cmi5 *c, const char *session, cJSON **actor, char *activity,
                      size_t alen, char *reg, size_t rlen)
{
    cJSON *sess = NULL, *r = NULL, *course = NULL;
    const cJSON *au;
    int rc;
    if ((rc = cmi5__load(c, CMI5_T_SESSIONS, session, &sess)))
        return rc;
    if ((rc = cmi5__load(c, CMI5_T_REGS, cmi5__str(sess, "registration"), &r)) ||
        (rc = cmi5_course_get(c, cmi5__str(sess, "course"), &course)))
        goto out;
    au = cJSON_GetArrayItem(cJSON_GetObjectItem(course, "aus"),
                            (int)cJSON_GetNumberValue(cJSON_GetObjectItem(sess, "au")));
    if (!au) {
        rc = CMI5_ERR_NOTFOUND;
        goto out;
    }
    if (actor && !(*actor = cJSON_Duplicate(cJSON_GetObjectItem(r, "actor"), 1))) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    if (activity)
        snprintf(activity, alen, "%s", cmi5__str(au, "activityId"));
    if (reg)
        snprintf(reg, rlen, "%s", cmi5__str(r, "registration"));
out:
    cJSON_Delete(sess);
    cJSON_Delete(r);
    cJSON_Delete(course);
    return rc;
}

/* ---- abandon and waive ------------------------------------------------------------------- */

int cmi5_abandon(struct cmi5 *c, const char *session, struct cmi5_diag *diag)
{
    char s[37];
    cJSON *sess = NULL, *reg = NULL, *course = NULL, *stmts = NULL;
    const cJSON *au;
    pthread_mutex_t *lk;
    int rc;
    if (cmi5__uuid_lower(session, s) || !(lk = cmi5__session_lock(c, s)))
        return CMI5_ERR_NOTFOUND;
    pthread_mutex_lock(lk);
    if ((rc = cmi5__load(c, CMI5_T_SESSIONS, s, &sess)) ||
        (rc = cmi5__load(c, CMI5_T_REGS, cmi5__str(sess, "registration"), &reg)) ||
        (rc = cmi5_course_get(c, cmi5__str(sess, "course"), &course)))
        goto out;
    if (cmi5__flag(sess, "terminated") || cmi5__flag(sess, "abandoned")) {
        cmi5__diag(diag, "9.3.6.0-2", "session", "session %s has already %s", s,
                   cmi5__flag(sess, "terminated") ? "terminated" : "been abandoned");
        rc = CMI5_ERR_STATE;
        goto out;
    }
    au = cJSON_GetArrayItem(cJSON_GetObjectItem(course, "aus"),
                            (int)cJSON_GetNumberValue(cJSON_GetObjectItem(sess, "au")));
    stmts = cJSON_CreateArray();
    if (!au || !stmts) {
        rc = au ? CMI5_ERR_NOMEM : CMI5_ERR_NOTFOUND;
        goto out;
    }
    if ((rc = abandoned_stmt(sess, reg, au, stmts)))
        goto out;
    {
        cJSON *ast = cJSON_GetArrayItem(cJSON_GetObjectItem(reg, "aus"),
                                        (int)cJSON_GetNumberValue(cJSON_GetObjectItem(sess, "au")));
        const char *t[] = {CMI5_T_SESSIONS, CMI5_T_REGS};
        const char *k[] = {s, cmi5__str(reg, "registration")};
        cJSON *v[] = {sess, reg};
        if (cmi5__str(ast, "open") && !strcmp(cmi5__str(ast, "open"), s))
            set_str(ast, "open", NULL);
        rc = cmi5__insert(c, stmts, 2, t, k, v);
    }
out:
    pthread_mutex_unlock(lk);
    cJSON_Delete(stmts);
    cJSON_Delete(sess);
    cJSON_Delete(reg);
    cJSON_Delete(course);
    return rc;
}

int cmi5_waive(struct cmi5 *c, const char *reg_id, int au_idx, const char *reason,
               struct cmi5_diag *diag)
{
    long f0 = sc_alloc_failures();
    static const char *const REASONS[] = {"Tested Out", "Equivalent AU",
                                          "Equivalent Outside Activity", "Administrative", NULL};
    char r[37], sid[SC_UUID_LEN];
    cJSON *reg = NULL, *course = NULL, *stmts = NULL, *st, *res, *cat, *e, *au, *ast;
    pthread_mutex_t *lk;
    int rc, ok = 0;

    for (const char *const *k = REASONS; reason && *k; k++)
        ok |= !strcmp(reason, *k);
    if (!ok) { /* 9.5.5.2: the reason extension's value space */
        cmi5__diag(diag, "9.5.5.2-1", "reason",
                   "reason must be one of Tested Out, Equivalent AU, Equivalent Outside Activity, "
                   "Administrative");
        return CMI5_ERR_ARG;
    }
    if (cmi5__uuid_lower(reg_id, r))
        return CMI5_ERR_NOTFOUND;
    lk = cmi5__reg_lock(c, r);
    pthread_mutex_lock(lk);
    if ((rc = load_au(c, r, au_idx, &reg, &course, &au, &ast, diag)))
        goto out;
    if (cmi5__flag(ast, "satisfied")) {
        cmi5__diag(diag, "9.3.7.0-1", "au", "AU %d is already satisfied: nothing to waive", au_idx);
        rc = CMI5_ERR_STATE;
        goto out;
    }
    stmts = cJSON_CreateArray();
    /* 9.3.7.0-3: a waived statement has a session id of its own */
    if (!stmts || sc_uuid_v4(sid)) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    st = cmi5__lms_statement(cJSON_GetObjectItem(reg, "actor"), CMI5_VERB_WAIVED, "waived",
                             cmi5__str(au, "activityId"), NULL, cmi5__str(au, "publisherId"), r,
                             sid);
    if (!st) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    res = cJSON_AddObjectToObject(st, "result"); /* 9.3.7.0-2, 9.5.2.0-1, 9.5.3.0-1 */
    cJSON_AddBoolToObject(res, "success", 1);
    cJSON_AddBoolToObject(res, "completion", 1);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "extensions"), CMI5_EXT_REASON, reason);
    cat = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(st, "context"), "contextActivities"), "category");
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", CMI5_CAT_MOVEON); /* 9.6.2.2-1 */
    cmi5__push(cat, e);
    cmi5__push(stmts, st);
    cmi5__set_flag(ast, "waived", 1);
    if ((rc = cmi5__satisfy(course, reg, sid, stmts)))
        goto out;
    if (sc_alloc_failures() != f0) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    {
        const char *t[] = {CMI5_T_REGS};
        const char *k[] = {r};
        struct cmi5__outcome o = {c->store, reg, NULL};
        rc = cmi5__insert_fn(c, stmts, 1, t, k, &reg, cmi5__index_outcome, &o);
    }
out:
    pthread_mutex_unlock(lk);
    cJSON_Delete(stmts);
    cJSON_Delete(reg);
    cJSON_Delete(course);
    return rc;
}
