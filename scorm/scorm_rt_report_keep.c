/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The course report kept as the run-time writes (issue 14: "maintain what they need as
 * statements are written, in the writer's transaction ... no full scans per request").
 *
 * Every write of a SCO's run-time record (launch, delivery, commit, exit: scorm_rt_session.c
 * cmi_put), a registration's creation (scorm_rt_reg.c) and its reset or deletion
 * (scorm_rt_index.c) calls in here inside its own write transaction. What a registration adds
 * to its course's report (its "contribution") is kept beside it, and the course's tallies move
 * by the difference between the old and the new contribution, so a report is read, never
 * recomputed. scorm_rt_report.c keeps the computation over every registration's records as
 * the reference: `scolar check` and the tests compare the two.
 *
 *   "reg_contrib"  reg UUID -> {"course", "sids": [{"id","t"}...] (the SCOs of its course
 *                  version, organization order), "scos": {sco id: part}}
 *                  part = {"st":0|1, "c":completion, "s":success, "sc"?:scaled, "t":time_all_cs,
 *                          "o": [{"id","c","p","f","sc"?}], "i": [{"id","ty"?,"pat"?,"ok",
 *                          "v"?,"rc","l"?}]}   (o, i from the data scorm_rt_registration_get
 *                          reports: the current attempt's, or the finished one's)
 *   "course_report" "<course>\x1f#"          -> {reg, st, c, p, f, sn, ss, h[10]}
 *                   "<course>\x1fs\x1f<sco>" -> {id, title, ord, reg, st, c, p, f, t, sn, ss}
 *                   "<course>\x1fo\x1f<obj>" -> {id, reg, c, p, f, sn, ss}
 *                   "<course>\x1fi\x1f<id>"  -> {id, type?, pat?, att, ok, ln, ls,
 *                                                rs: {response: [count, judged correct]}}
 *   "course_report_idx" "<course>\x1fS\x1f<score>\x1f<reg>" (registrations with a score) and
 *                   "<course>\x1fT\x1f<time>\x1f<reg>" (started ones, time spent in cs) -> ""
 *                   in value order: min, max and percentiles are cursor walks, not sorts.
 * A row whose count drops to 0 is deleted, so a course whose registrations are all deleted
 * leaves nothing behind. An id too long for a key is replaced by "#" + SHA-256 hex.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "scorm/seq.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "statements/stmt_db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP '\x1f'
#define T_CONTRIB "reg_contrib"
#define T_REPORT "course_report"
#define T_IDX "course_report_idx"
#define MARKER "\x1fv1" /* in T_REPORT: every registration has its contribution */

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

static int is(const char *s, const char *want)
{
    return s && !strcmp(s, want);
}

static void add(cJSON *row, const char *k, double d)
{
    if (d != 0 || !cJSON_GetObjectItemCaseSensitive(row, k))
        scorm__jset_num(row, k, jnum(row, k) + d);
}

/* "<course>\x1f<kind>[\x1f<id>]" into key (cap STMT_DB_MAX_KEY + 1); 0 or -1 */
static int row_key(char *key, const char *course, char kind, const char *id)
{
    char hex[65];
    int n;
    if (!id)
        n = snprintf(key, STMT_DB_MAX_KEY + 1, "%s%c%c", course, SEP, kind);
    else {
        n = snprintf(key, STMT_DB_MAX_KEY + 1, "%s%c%c%c%s", course, SEP, kind, SEP, id);
        if (n < 0 || n > STMT_DB_MAX_KEY) {
            unsigned char h[32];
            sc_sha256(id, strlen(id), h);
            sc_hex(h, sizeof h, hex);
            n = snprintf(key, STMT_DB_MAX_KEY + 1, "%s%c%c%c#%s", course, SEP, kind, SEP, hex);
        }
    }
    return n < 0 || n > STMT_DB_MAX_KEY ? -1 : 0;
}

/* The row under key, an empty object when there is none. */
static int row_get(struct stmt_db_txn *txn, const char *key, cJSON **row)
{
    int rc = scorm__rt_get(txn, T_REPORT, key, row);
    if (rc == SCORM_RT_ERR_NOTFOUND) {
        *row = cJSON_CreateObject();
        return *row ? SCORM_RT_OK : SCORM_RT_ERR_NOMEM;
    }
    return rc;
}

/* Write the row back, or delete it when it counts nothing any more (keep = 0). */
static int row_put(struct stmt_db_txn *txn, const char *key, cJSON *row, int keep)
{
    int rc;
    if (keep)
        return scorm__rt_put(txn, T_REPORT, key, row);
    rc = stmt_db_del(txn, T_REPORT, key, strlen(key));
    return rc && rc != STMT_DB_NOTFOUND ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
}

/* ---- a registration's figures (as scorm_rt_registration_get gives them) -------------------- */

struct lvl {
    int present, started, completed, passed, failed, scored;
    double score, time_cs;
};

static const cJSON *part_of(const cJSON *con, const char *sco)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(con, "scos"), sco);
}

/* Course level: completed when every SCO is, passed when one passed and none failed, score the
 * mean scaled score, time the sum of every attempt's time (scorm_rt_registration_get). */
static void level(const cJSON *con, struct lvl *l)
{
    const cJSON *s;
    int n = 0, nc = 0, ns = 0, np = 0, nf = 0, nsc = 0;
    double ss = 0, t = 0;
    memset(l, 0, sizeof *l);
    if (!con)
        return;
    l->present = 1;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(con, "sids"))
    {
        const cJSON *p = part_of(con, scorm__jstr(s, "id") ? scorm__jstr(s, "id") : "");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(p, "sc");
        n++;
        if (!p)
            continue;
        nc += is(scorm__jstr(p, "c"), "completed");
        ns += jnum(p, "st") > 0;
        np += is(scorm__jstr(p, "s"), "passed");
        nf += is(scorm__jstr(p, "s"), "failed");
        if (cJSON_IsNumber(sc)) {
            ss += sc->valuedouble;
            nsc++;
        }
        t += jnum(p, "t");
    }
    l->completed = n && nc == n;
    l->started = ns > 0;
    l->failed = nf > 0;
    l->passed = !nf && np > 0;
    l->scored = nsc > 0;
    l->score = nsc ? ss / nsc : 0;
    l->time_cs = t;
}

static int bin_of(double v)
{
    int b = (int)floor(v * 10 + 1e-9);
    return b < 0 ? 0 : b > 9 ? 9 : b;
}

/* An order-preserving key for a double (sign flipped, negatives inverted), as 16 hex digits. */
static void dkey(double v, char out[17])
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    u = (u >> 63) ? ~u : u | (1ULL << 63);
    snprintf(out, 17, "%016llx", (unsigned long long)u);
}

static int idx_set(struct stmt_db_txn *txn, const char *course, char kind, const char *hex,
                   const char *reg, int put)
{
    char key[STMT_DB_MAX_KEY + 1];
    int n = snprintf(key, sizeof key, "%s%c%c%c%s%c%s", course, SEP, kind, SEP, hex, SEP, reg);
    int rc;
    if (n < 0 || n > STMT_DB_MAX_KEY)
        return SCORM_RT_ERR_STORE;
    rc = put ? stmt_db_put(txn, T_IDX, key, (size_t)n, "", 0, 0)
             : stmt_db_del(txn, T_IDX, key, (size_t)n);
    return rc && !(rc == STMT_DB_NOTFOUND && !put) ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
}

static int apply_level(struct stmt_db_txn *txn, const char *course, const char *reg,
                       const struct lvl *a, const struct lvl *b)
{
    char key[STMT_DB_MAX_KEY + 1], ha[17], hb[17];
    cJSON *row = NULL, *h;
    int rc;
    if (a->present == b->present && a->started == b->started && a->completed == b->completed &&
        a->passed == b->passed && a->failed == b->failed && a->scored == b->scored &&
        a->score == b->score && a->time_cs == b->time_cs)
        return SCORM_RT_OK;
    if (row_key(key, course, '#', NULL))
        return SCORM_RT_ERR_STORE;
    if ((rc = row_get(txn, key, &row)))
        return rc;
    add(row, "reg", b->present - a->present);
    add(row, "st", b->started - a->started);
    add(row, "c", b->completed - a->completed);
    add(row, "p", b->passed - a->passed);
    add(row, "f", b->failed - a->failed);
    add(row, "sn", b->scored - a->scored);
    add(row, "ss", (b->scored ? b->score : 0) - (a->scored ? a->score : 0));
    if (jnum(row, "sn") <= 0)
        scorm__jset_num(row, "ss", 0); /* no drift left behind */
    h = cJSON_GetObjectItemCaseSensitive(row, "h");
    if (!cJSON_IsArray(h)) {
        h = cJSON_CreateArray();
        for (int i = 0; h && i < 10; i++)
            cJSON_AddItemToArray(h, cJSON_CreateNumber(0));
        scorm__jset(row, "h", h);
    }
    if (cJSON_GetArraySize(h) != 10) {
        cJSON_Delete(row);
        return SCORM_RT_ERR_NOMEM;
    }
    if (a->scored) {
        cJSON *x = cJSON_GetArrayItem(h, bin_of(a->score));
        cJSON_SetNumberValue(x, x->valuedouble - 1);
    }
    if (b->scored) {
        cJSON *x = cJSON_GetArrayItem(h, bin_of(b->score));
        cJSON_SetNumberValue(x, x->valuedouble + 1);
    }
    rc = row_put(txn, key, row, jnum(row, "reg") > 0);
    cJSON_Delete(row);
    if (rc)
        return rc;
    /* the value indexes */
    dkey(a->score, ha);
    dkey(b->score, hb);
    if (a->scored && !(b->scored && a->score == b->score) &&
        (rc = idx_set(txn, course, 'S', ha, reg, 0)))
        return rc;
    if (b->scored && !(a->scored && a->score == b->score) &&
        (rc = idx_set(txn, course, 'S', hb, reg, 1)))
        return rc;
    snprintf(ha, sizeof ha, "%016llx", (unsigned long long)(a->time_cs > 0 ? a->time_cs : 0));
    snprintf(hb, sizeof hb, "%016llx", (unsigned long long)(b->time_cs > 0 ? b->time_cs : 0));
    if (a->started && !(b->started && !strcmp(ha, hb)) &&
        (rc = idx_set(txn, course, 'T', ha, reg, 0)))
        return rc;
    if (b->started && !(a->started && !strcmp(ha, hb)) &&
        (rc = idx_set(txn, course, 'T', hb, reg, 1)))
        return rc;
    return SCORM_RT_OK;
}

/* ---- per SCO, objective and interaction rows ----------------------------------------------- */

static int apply_objective(struct stmt_db_txn *txn, const char *course, const cJSON *e, int sign)
{
    char key[STMT_DB_MAX_KEY + 1];
    const char *id = scorm__jstr(e, "id");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(e, "sc");
    cJSON *row = NULL;
    int rc;
    if (!id || row_key(key, course, 'o', id))
        return id ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
    if ((rc = row_get(txn, key, &row)))
        return rc;
    scorm__jset_str(row, "id", id);
    add(row, "reg", sign);
    add(row, "c", sign * jnum(e, "c"));
    add(row, "p", sign * jnum(e, "p"));
    add(row, "f", sign * jnum(e, "f"));
    if (cJSON_IsNumber(sc)) {
        add(row, "sn", sign);
        add(row, "ss", sign * sc->valuedouble);
    }
    if (jnum(row, "sn") <= 0)
        scorm__jset_num(row, "ss", 0);
    rc = row_put(txn, key, row, jnum(row, "reg") > 0);
    cJSON_Delete(row);
    return rc;
}

static int apply_interaction(struct stmt_db_txn *txn, const char *course, const cJSON *e, int sign)
{
    char key[STMT_DB_MAX_KEY + 1];
    const char *id = scorm__jstr(e, "id"), *v = scorm__jstr(e, "v");
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(e, "l");
    cJSON *row = NULL, *rs, *r;
    int rc;
    if (!id || row_key(key, course, 'i', id))
        return id ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
    if ((rc = row_get(txn, key, &row)))
        return rc;
    scorm__jset_str(row, "id", id);
    if (sign > 0 && scorm__jstr(e, "ty")) /* the latest given wins */
        scorm__jset_str(row, "type", scorm__jstr(e, "ty"));
    if (sign > 0 && scorm__jstr(e, "pat"))
        scorm__jset_str(row, "pat", scorm__jstr(e, "pat"));
    add(row, "att", sign);
    add(row, "ok", sign * jnum(e, "ok"));
    if (cJSON_IsNumber(lat)) {
        add(row, "ln", sign);
        add(row, "ls", sign * lat->valuedouble);
    }
    if (jnum(row, "ln") <= 0)
        scorm__jset_num(row, "ls", 0);
    rs = cJSON_GetObjectItemCaseSensitive(row, "rs");
    if (!rs) {
        rs = cJSON_CreateObject();
        scorm__jset(row, "rs", rs);
        rs = cJSON_GetObjectItemCaseSensitive(row, "rs");
    }
    if (v && rs) {
        r = cJSON_GetObjectItemCaseSensitive(rs, v);
        double n = (cJSON_IsArray(r) ? cJSON_GetNumberValue(cJSON_GetArrayItem(r, 0)) : 0) + sign;
        double k = (cJSON_IsArray(r) ? cJSON_GetNumberValue(cJSON_GetArrayItem(r, 1)) : 0) +
                   sign * jnum(e, "rc");
        if (n <= 0)
            cJSON_DeleteItemFromObjectCaseSensitive(rs, v);
        else {
            const double pair[2] = {n, k < 0 ? 0 : k};
            scorm__jset(rs, v, cJSON_CreateDoubleArray(pair, 2));
        }
    }
    rc = row_put(txn, key, row, jnum(row, "att") > 0);
    cJSON_Delete(row);
    return rc;
}

typedef int (*apply_fn)(struct stmt_db_txn *txn, const char *course, const cJSON *e, int sign);

static int parts_same(const cJSON *a, const cJSON *b);

/* The entries of list `name` ("o" or "i") go from part p0's to p1's: out, then in. */
static int apply_list(struct stmt_db_txn *txn, const char *course, const cJSON *p0, const cJSON *p1,
                      const char *name, apply_fn fn)
{
    const cJSON *l0 = cJSON_GetObjectItemCaseSensitive(p0, name);
    const cJSON *l1 = cJSON_GetObjectItemCaseSensitive(p1, name), *x;
    int rc;
    if (parts_same(l0, l1))
        return SCORM_RT_OK;
    cJSON_ArrayForEach(x, l0)
    {
        if ((rc = fn(txn, course, x, -1)))
            return rc;
    }
    cJSON_ArrayForEach(x, l1)
    {
        if ((rc = fn(txn, course, x, 1)))
            return rc;
    }
    return SCORM_RT_OK;
}

static int parts_same(const cJSON *a, const cJSON *b)
{
    return (!a && !b) || (a && b && cJSON_Compare(a, b, 1));
}

/* The SCO sid (entry {id, t} at position ord) going from part p0 (in0: listed before) to p1. */
static int apply_sco(struct stmt_db_txn *txn, const char *course, const cJSON *sid, int ord,
                     int in0, int in1, const cJSON *p0, const cJSON *p1)
{
    char key[STMT_DB_MAX_KEY + 1];
    const char *id = scorm__jstr(sid, "id");
    const cJSON *s0, *s1;
    cJSON *row = NULL;
    int rc;
    if (!id || (in0 == in1 && parts_same(p0, p1)))
        return SCORM_RT_OK;
    if (row_key(key, course, 's', id))
        return SCORM_RT_ERR_STORE;
    if ((rc = row_get(txn, key, &row)))
        return rc;
    scorm__jset_str(row, "id", id);
    if (in1) {
        scorm__jset_str(row, "title", scorm__jstr(sid, "t") ? scorm__jstr(sid, "t") : id);
        scorm__jset_num(row, "ord", ord);
    }
    add(row, "reg", in1 - in0);
    add(row, "st", jnum(p1, "st") - jnum(p0, "st"));
    add(row, "c", is(scorm__jstr(p1, "c"), "completed") - is(scorm__jstr(p0, "c"), "completed"));
    add(row, "p", is(scorm__jstr(p1, "s"), "passed") - is(scorm__jstr(p0, "s"), "passed"));
    add(row, "f", is(scorm__jstr(p1, "s"), "failed") - is(scorm__jstr(p0, "s"), "failed"));
    add(row, "t", jnum(p1, "t") - jnum(p0, "t"));
    s0 = cJSON_GetObjectItemCaseSensitive(p0, "sc");
    s1 = cJSON_GetObjectItemCaseSensitive(p1, "sc");
    add(row, "sn", cJSON_IsNumber(s1) - cJSON_IsNumber(s0));
    add(row, "ss",
        (cJSON_IsNumber(s1) ? s1->valuedouble : 0) - (cJSON_IsNumber(s0) ? s0->valuedouble : 0));
    if (jnum(row, "sn") <= 0)
        scorm__jset_num(row, "ss", 0);
    rc = row_put(txn, key, row, jnum(row, "reg") > 0);
    cJSON_Delete(row);
    if (rc)
        return rc;
    /* objectives and interactions only when they changed (a commit mostly moves time) */
    if ((rc = apply_list(txn, course, p0, p1, "o", apply_objective)))
        return rc;
    return apply_list(txn, course, p0, p1, "i", apply_interaction);
}

static const cJSON *sid_find(const cJSON *sids, const char *id, int *ord)
{
    const cJSON *s;
    int i = 0;
    cJSON_ArrayForEach(s, sids)
    {
        if (is(scorm__jstr(s, "id"), id)) {
            if (ord)
                *ord = i;
            return s;
        }
        i++;
    }
    return NULL;
}

/* The course's tallies go from contribution c0 to c1 (NULL: not a registration). */
static int apply(struct stmt_db_txn *txn, const char *course, const char *reg, const cJSON *c0,
                 const cJSON *c1)
{
    const cJSON *s0 = cJSON_GetObjectItemCaseSensitive(c0, "sids");
    const cJSON *s1 = cJSON_GetObjectItemCaseSensitive(c1, "sids"), *s;
    struct lvl a, b;
    int rc, ord = 0;
    level(c0, &a);
    level(c1, &b);
    if ((rc = apply_level(txn, course, reg, &a, &b)))
        return rc;
    cJSON_ArrayForEach(s, s1)
    {
        const char *id = scorm__jstr(s, "id");
        int in0 = id && sid_find(s0, id, NULL);
        if (id && (rc = apply_sco(txn, course, s, ord, in0, 1, in0 ? part_of(c0, id) : NULL,
                                  part_of(c1, id))))
            return rc;
        ord++;
    }
    cJSON_ArrayForEach(s, s0)
    {
        const char *id = scorm__jstr(s, "id");
        int o0 = 0;
        if (id && !sid_find(s1, id, NULL) &&
            (rc = apply_sco(txn, course, sid_find(s0, id, &o0), o0, 1, 0, part_of(c0, id), NULL)))
            return rc;
    }
    return SCORM_RT_OK;
}

/* ---- contributions ------------------------------------------------------------------------- */

static void sids_add(const cJSON *items, cJSON *out)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        if (scorm__item_is_sco(it)) {
            cJSON *e = cJSON_CreateObject();
            const char *id = scorm__jstr(it, "identifier");
            cJSON_AddStringToObject(e, "id", id);
            cJSON_AddStringToObject(e, "t",
                                    scorm__jstr(it, "title") ? scorm__jstr(it, "title") : id);
            cJSON_AddItemToArray(out, e);
        }
        sids_add(cJSON_GetObjectItemCaseSensitive(it, "items"), out);
    }
}

/* A registration's contribution with no SCO data yet. */
static cJSON *contrib_new(const char *course, const cJSON *org)
{
    cJSON *c = cJSON_CreateObject(), *sids;
    if (!c || !cJSON_AddStringToObject(c, "course", course) ||
        !(sids = cJSON_AddArrayToObject(c, "sids")) || !cJSON_AddObjectToObject(c, "scos")) {
        cJSON_Delete(c);
        return NULL;
    }
    sids_add(cJSON_GetObjectItemCaseSensitive(org, "items"), sids);
    return c;
}

static double latency_s(const char *s)
{
    int64_t cs;
    if (!s || !*s)
        return -1;
    cs = s[0] == 'P' ? scorm_rt_duration_cs(s) : scorm_rt_timespan12_cs(s);
    return cs < 0 ? -1 : (double)cs / 100.0;
}

/* The part of SCO sco of registration reg from its record rec (read in txn). */
static cJSON *part_new(struct stmt_db_txn *txn, const char *reg, const char *sco,
                       const struct scorm__sco_rec *rec, const struct seq_tree *t)
{
    const struct scorm__result *r = rec->has_result ? &rec->result : NULL;
    const cJSON *values, *x;
    const char *comp = r ? scorm__completion_name(r->completion) : NULL;
    const char *succ = r ? scorm__success_name(r->success) : NULL;
    int attempt = rec->attempt;
    /* one status per item (issue 15): the sequencing tracking decides when there is one */
    seq_item_status(t, sco, comp, succ, &comp, &succ);
    int started = attempt - (rec->attempt_sessions > 0 ? 0 : 1);
    struct scorm__attempt_rec prev;
    cJSON *p = cJSON_CreateObject(), *objs = NULL, *ints = NULL, *o, *i;
    memset(&prev, 0, sizeof prev);
    if (!p)
        return NULL;
    cJSON_AddNumberToObject(p, "st", started > 0 || (comp && strcmp(comp, "not attempted")));
    cJSON_AddStringToObject(p, "c", comp ? comp : "not attempted");
    cJSON_AddStringToObject(p, "s", succ ? succ : "unknown");
    if (r && r->has_scaled)
        cJSON_AddNumberToObject(p, "sc", r->scaled);
    cJSON_AddNumberToObject(p, "t", (double)rec->time_all_cs);
    values = rec->values;
    if (attempt > 1 && rec->attempt_sessions <= 0) {
        /* the new attempt has not started: the finished one's data (registration_get) */
        char key[SCORM__SCO_KEY_MAX];
        scorm__sco_key(key, sizeof key, reg, sco, attempt - 1);
        if (!scorm__attempt_rec_get(txn, key, &prev))
            values = prev.values;
    }
    objs = scorm__collect(values, "cmi.objectives.");
    ints = scorm__collect(values, "cmi.interactions.");
    o = cJSON_AddArrayToObject(p, "o");
    i = cJSON_AddArrayToObject(p, "i");
    if (!objs || !ints || !o || !i) {
        cJSON_Delete(p);
        p = NULL;
        goto out;
    }
    cJSON_ArrayForEach(x, objs)
    {
        const char *id = scorm__jstr(x, "id"), *su = scorm__jstr(x, "success_status");
        const char *co = scorm__jstr(x, "completion_status"), *st = scorm__jstr(x, "status");
        const char *ssc = scorm__jstr(x, "score.scaled");
        cJSON *e;
        if (!id || !(e = cJSON_CreateObject()))
            continue;
        cJSON_AddStringToObject(e, "id", id);
        cJSON_AddNumberToObject(e, "c",
                                is(co, "completed") || is(st, "completed") || is(st, "passed"));
        cJSON_AddNumberToObject(e, "p", is(su, "passed") || is(st, "passed"));
        cJSON_AddNumberToObject(e, "f", is(su, "failed") || is(st, "failed"));
        if (ssc)
            cJSON_AddNumberToObject(e, "sc", strtod(ssc, NULL));
        cJSON_AddItemToArray(o, e);
    }
    cJSON_ArrayForEach(x, ints)
    {
        const char *id = scorm__jstr(x, "id"), *res = scorm__jstr(x, "result");
        const char *v = scorm__jstr(x, "learner_response");
        const char *pat = scorm__jstr(x, "correct_responses.0.pattern");
        double lat = latency_s(scorm__jstr(x, "latency"));
        cJSON *e;
        if (!v)
            v = scorm__jstr(x, "student_response");
        if (!id || !(e = cJSON_CreateObject()))
            continue;
        cJSON_AddStringToObject(e, "id", id);
        if (scorm__jstr(x, "type"))
            cJSON_AddStringToObject(e, "ty", scorm__jstr(x, "type"));
        if (pat)
            cJSON_AddStringToObject(e, "pat", pat);
        cJSON_AddNumberToObject(e, "ok", is(res, "correct"));
        if (v)
            cJSON_AddStringToObject(e, "v", v);
        cJSON_AddNumberToObject(e, "rc", (pat && v && !strcmp(pat, v)) || is(res, "correct"));
        if (lat >= 0)
            cJSON_AddNumberToObject(e, "l", lat);
        cJSON_AddItemToArray(i, e);
    }
out:
    scorm__attempt_rec_free(&prev);
    cJSON_Delete(objs);
    cJSON_Delete(ints);
    return p;
}

static int contrib_get(struct stmt_db_txn *txn, const char *reg, cJSON **out)
{
    return scorm__rt_get(txn, T_CONTRIB, reg, out);
}

int scorm__report_reg_add(struct stmt_db_txn *txn, const cJSON *reg, const cJSON *tree)
{
    const char *id = scorm__jstr(reg, "id"), *course = scorm__jstr(reg, "course");
    cJSON *c;
    int rc;
    if (!id || !course)
        return SCORM_RT_ERR_ARG;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reg, "preview")))
        return SCORM_RT_OK; /* previews are in no report */
    c = contrib_new(course, scorm__default_org(tree));
    if (!c)
        return SCORM_RT_ERR_NOMEM;
    rc = apply(txn, course, id, NULL, c);
    if (!rc)
        rc = scorm__rt_put(txn, T_CONTRIB, id, c);
    cJSON_Delete(c);
    return rc;
}

int scorm__report_sco(struct stmt_db_txn *txn, const cJSON *reg, const char *sco,
                      const struct scorm__sco_rec *rec, const struct seq_tree *t)
{
    const char *id = scorm__jstr(reg, "id"), *course = scorm__jstr(reg, "course");
    cJSON *c0 = NULL, *c1 = NULL, *p = NULL;
    int rc;
    if (!id || !course || !sco || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reg, "preview")))
        return SCORM_RT_OK;
    rc = contrib_get(txn, id, &c0);
    if (rc)
        return rc == SCORM_RT_ERR_NOTFOUND ? SCORM_RT_ERR_STORE : rc; /* kept since open */
    if (!sid_find(cJSON_GetObjectItemCaseSensitive(c0, "sids"), sco, NULL))
        goto out; /* an asset: no data, no status */
    p = part_new(txn, id, sco, rec, t);
    if (!p) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if (parts_same(part_of(c0, sco), p))
        goto out; /* nothing the report shows moved */
    c1 = cJSON_Duplicate(c0, 1);
    if (!c1 || !cJSON_GetObjectItemCaseSensitive(c1, "scos")) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    scorm__jset(cJSON_GetObjectItemCaseSensitive(c1, "scos"), sco, p);
    p = NULL;
    if (!part_of(c1, sco)) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    rc = apply(txn, course, id, c0, c1);
    if (!rc)
        rc = scorm__rt_put(txn, T_CONTRIB, id, c1);
out:
    cJSON_Delete(p);
    cJSON_Delete(c0);
    cJSON_Delete(c1);
    return rc;
}

int scorm__report_reg_clear(struct stmt_db_txn *txn, const char *reg, int del)
{
    cJSON *c0 = NULL, *c1 = NULL;
    int rc = contrib_get(txn, reg, &c0);
    const char *course;
    if (rc == SCORM_RT_ERR_NOTFOUND)
        return SCORM_RT_OK; /* a preview */
    if (rc)
        return rc;
    course = scorm__jstr(c0, "course");
    if (!course) {
        cJSON_Delete(c0);
        return SCORM_RT_ERR_STORE;
    }
    if (!del) { /* reset: still registered, nothing started */
        c1 = cJSON_Duplicate(c0, 1);
        if (c1)
            scorm__jset(c1, "scos", cJSON_CreateObject());
        if (!c1 || !cJSON_GetObjectItemCaseSensitive(c1, "scos")) {
            cJSON_Delete(c0);
            cJSON_Delete(c1);
            return SCORM_RT_ERR_NOMEM;
        }
    }
    rc = apply(txn, course, reg, c0, c1);
    if (!rc && c1)
        rc = scorm__rt_put(txn, T_CONTRIB, reg, c1);
    else if (!rc) {
        int d = stmt_db_del(txn, T_CONTRIB, reg, strlen(reg));
        rc = d ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
    }
    cJSON_Delete(c0);
    cJSON_Delete(c1);
    return rc;
}

/* ---- building it for a store that has none (or again: scolar reindex) ----------------------- */

struct keys {
    char **k;
    size_t *l, n, cap;
    int nomem;
};

static int keys_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct keys *k = ctx;
    (void)val;
    (void)vlen;
    if (k->n == k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 256;
        char **nk = sc_realloc(k->k, nc * sizeof *nk);
        size_t *nl = nk ? sc_realloc(k->l, nc * sizeof *nl) : NULL;
        if (nk)
            k->k = nk;
        if (!nk || !nl) {
            k->nomem = 1;
            return 1;
        }
        k->l = nl;
        k->cap = nc;
    }
    k->k[k->n] = sc_malloc(klen + 1);
    if (!k->k[k->n]) {
        k->nomem = 1;
        return 1;
    }
    memcpy(k->k[k->n], key, klen);
    k->k[k->n][klen] = 0;
    k->l[k->n++] = klen;
    return 0;
}

static void keys_free(struct keys *k)
{
    for (size_t i = 0; i < k->n; i++)
        sc_free(k->k[i]);
    sc_free(k->k);
    sc_free(k->l);
    memset(k, 0, sizeof *k);
}

static int wipe(struct stmt_db_txn *txn, const char *table)
{
    struct keys k = {0};
    int rc = stmt_db_scan(txn, table, NULL, 0, keys_visit, &k);
    if (k.nomem)
        rc = SCORM_RT_ERR_NOMEM;
    else if (rc && rc != STMT_DB_NOTFOUND)
        rc = SCORM_RT_ERR_STORE;
    else
        rc = SCORM_RT_OK;
    for (size_t i = 0; !rc && i < k.n; i++)
        if (stmt_db_del(txn, table, k.k[i], k.l[i]))
            rc = SCORM_RT_ERR_STORE;
    keys_free(&k);
    return rc;
}

/* One registration's contribution from its records, applied (in txn). */
static int rebuild_one(struct stmt_db_txn *txn, const char *regid)
{
    cJSON *reg = NULL, *ver = NULL, *c = NULL;
    struct seq_tree *t = NULL; /* the registration's sequencing tracking, if any */
    const cJSON *s;
    char vkey[SCORM_MAX_COURSE_ID + 16];
    const char *course;
    int rc = scorm__rt_get(txn, "registrations", regid, &reg);
    if (rc)
        return rc == SCORM_RT_ERR_NOTFOUND ? SCORM_RT_OK : rc;
    course = scorm__jstr(reg, "course");
    if (!course || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reg, "preview")))
        goto out;
    if (strlen(course) > SCORM_MAX_COURSE_ID ||
        scorm__version_key(vkey, sizeof vkey, course, (int)jnum(reg, "course_version")) < 0) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    rc = scorm__rt_get(txn, "course_versions", vkey, &ver);
    if (rc == SCORM_RT_ERR_NOTFOUND) { /* a registration of a version gone: no SCOs */
        rc = SCORM_RT_OK;
        c = contrib_new(course, NULL);
    } else if (!rc)
        c = contrib_new(course, scorm__default_org(cJSON_GetObjectItemCaseSensitive(ver, "tree")));
    if (rc)
        goto out;
    if (!c) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if (ver && (rc = scorm__seq_tree_of(
                    NULL, txn, cJSON_GetObjectItemCaseSensitive(ver, "tree"), regid,
                    scorm__jstr(cJSON_GetObjectItemCaseSensitive(reg, "learner"), "id"), &t)))
        goto out;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "sids"))
    {
        char key[SCORM__SCO_KEY_MAX];
        struct scorm__sco_rec rec;
        cJSON *p;
        scorm__sco_key(key, sizeof key, regid, scorm__jstr(s, "id"), 0);
        scorm__sco_rec_init(&rec);
        rc = scorm__sco_rec_get(txn, key, &rec);
        if (rc == SCORM_RT_ERR_NOTFOUND) {
            rc = SCORM_RT_OK;
            continue;
        }
        if (rc)
            goto out;
        p = part_new(txn, regid, scorm__jstr(s, "id"), &rec, t);
        scorm__sco_rec_free(&rec);
        if (!p) {
            rc = SCORM_RT_ERR_NOMEM;
            goto out;
        }
        scorm__jset(cJSON_GetObjectItemCaseSensitive(c, "scos"), scorm__jstr(s, "id"), p);
    }
    rc = apply(txn, course, regid, NULL, c);
    if (!rc)
        rc = scorm__rt_put(txn, T_CONTRIB, regid, c);
out:
    seq_tree_destroy(t);
    cJSON_Delete(reg);
    cJSON_Delete(ver);
    cJSON_Delete(c);
    return rc;
}

int scorm__report_rebuild_txn(struct stmt_db_txn *txn)
{
    struct keys regs = {0};
    int rc;
    if ((rc = wipe(txn, T_CONTRIB)) || (rc = wipe(txn, T_REPORT)) || (rc = wipe(txn, T_IDX)))
        return rc;
    rc = stmt_db_scan(txn, "registrations", NULL, 0, keys_visit, &regs);
    if (regs.nomem)
        rc = SCORM_RT_ERR_NOMEM;
    else if (rc && rc != STMT_DB_NOTFOUND)
        rc = SCORM_RT_ERR_STORE;
    else
        rc = SCORM_RT_OK;
    for (size_t i = 0; !rc && i < regs.n; i++)
        rc = rebuild_one(txn, regs.k[i]);
    keys_free(&regs);
    if (!rc && stmt_db_put(txn, T_REPORT, MARKER, strlen(MARKER), "1", 1, 0))
        rc = SCORM_RT_ERR_STORE;
    return rc;
}

int scorm__report_migrate(struct stmt_db *db)
{
    struct stmt_db_txn *txn = NULL;
    const void *v;
    size_t vl;
    int rc;
    if (stmt_db_txn_begin(db, 0, &txn))
        return SCORM_RT_ERR_STORE;
    rc = stmt_db_get(txn, T_REPORT, MARKER, strlen(MARKER), &v, &vl);
    stmt_db_txn_abort(txn);
    if (rc == STMT_DB_OK)
        return SCORM_RT_OK;
    if (rc != STMT_DB_NOTFOUND)
        return SCORM_RT_ERR_STORE;
    if (stmt_db_txn_begin(db, 1, &txn))
        return SCORM_RT_ERR_STORE;
    rc = scorm__report_rebuild_txn(txn);
    if (rc) {
        stmt_db_txn_abort(txn);
        return rc;
    }
    return stmt_db_txn_commit(txn) ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
}

int scorm_rt_course_reports_rebuild(struct scorm_rt *rt, struct stmt_db *db)
{
    struct stmt_db_txn *txn = NULL;
    int rc;
    (void)rt;
    if (stmt_db_txn_begin(db, 1, &txn))
        return SCORM_RT_ERR_STORE;
    rc = scorm__report_rebuild_txn(txn);
    if (rc) {
        stmt_db_txn_abort(txn);
        return rc;
    }
    return stmt_db_txn_commit(txn) ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
}
