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

/* Course level: completed when every SCO is, passed when one passed and none failed, score the
 * mean scaled score, time the sum of every attempt's time (scorm_rt_registration_get). */
static void level(const struct scorm__contrib *con, struct lvl *l)
{
    int n = 0, nc = 0, ns = 0, np = 0, nf = 0, nsc = 0;
    double ss = 0, t = 0;
    memset(l, 0, sizeof *l);
    if (!con)
        return;
    l->present = 1;
    for (size_t k = 0; k < con->n; k++) {
        const struct scorm__contrib_part *p = &con->scos[k].part;
        n++;
        if (!con->scos[k].has_part)
            continue;
        nc += p->c == SCORM__C_COMPLETED;
        ns += p->st > 0;
        np += p->s == SCORM__S_PASSED;
        nf += p->s == SCORM__S_FAILED;
        if (p->has_sc) {
            ss += p->sc;
            nsc++;
        }
        t += p->t;
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

static int apply_objective(struct stmt_db_txn *txn, const char *course,
                           const struct scorm__contrib_obj *e, int sign)
{
    char key[STMT_DB_MAX_KEY + 1];
    cJSON *row = NULL;
    int rc;
    if (row_key(key, course, 'o', e->id))
        return SCORM_RT_ERR_STORE;
    if ((rc = row_get(txn, key, &row)))
        return rc;
    scorm__jset_str(row, "id", e->id);
    add(row, "reg", sign);
    add(row, "c", sign * e->c);
    add(row, "p", sign * e->p);
    add(row, "f", sign * e->f);
    if (e->has_sc) {
        add(row, "sn", sign);
        add(row, "ss", sign * e->sc);
    }
    if (jnum(row, "sn") <= 0)
        scorm__jset_num(row, "ss", 0);
    rc = row_put(txn, key, row, jnum(row, "reg") > 0);
    cJSON_Delete(row);
    return rc;
}

static int apply_interaction(struct stmt_db_txn *txn, const char *course,
                             const struct scorm__contrib_int *e, int sign)
{
    char key[STMT_DB_MAX_KEY + 1];
    const char *v = e->v;
    cJSON *row = NULL, *rs, *r;
    int rc;
    if (row_key(key, course, 'i', e->id))
        return SCORM_RT_ERR_STORE;
    if ((rc = row_get(txn, key, &row)))
        return rc;
    scorm__jset_str(row, "id", e->id);
    if (sign > 0 && e->ty) /* the latest given wins */
        scorm__jset_str(row, "type", e->ty);
    if (sign > 0 && e->pat)
        scorm__jset_str(row, "pat", e->pat);
    add(row, "att", sign);
    add(row, "ok", sign * e->ok);
    if (e->has_l) {
        add(row, "ln", sign);
        add(row, "ls", sign * e->l);
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
        double k =
            (cJSON_IsArray(r) ? cJSON_GetNumberValue(cJSON_GetArrayItem(r, 1)) : 0) + sign * e->rc;
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

/* The objectives and interactions of part p0 go out and p1's come in (NULL: none), only when
 * they changed (a commit mostly moves time). */
static int apply_lists(struct stmt_db_txn *txn, const char *course,
                       const struct scorm__contrib_part *p0, const struct scorm__contrib_part *p1)
{
    static const struct scorm__contrib_part none;
    int rc;
    if (!p0)
        p0 = &none;
    if (!p1)
        p1 = &none;
    if (!scorm__contrib_objs_same(p0->o, p0->n_o, p1->o, p1->n_o)) {
        for (size_t k = 0; k < p0->n_o; k++)
            if ((rc = apply_objective(txn, course, &p0->o[k], -1)))
                return rc;
        for (size_t k = 0; k < p1->n_o; k++)
            if ((rc = apply_objective(txn, course, &p1->o[k], 1)))
                return rc;
    }
    if (!scorm__contrib_ints_same(p0->i, p0->n_i, p1->i, p1->n_i)) {
        for (size_t k = 0; k < p0->n_i; k++)
            if ((rc = apply_interaction(txn, course, &p0->i[k], -1)))
                return rc;
        for (size_t k = 0; k < p1->n_i; k++)
            if ((rc = apply_interaction(txn, course, &p1->i[k], 1)))
                return rc;
    }
    return SCORM_RT_OK;
}

static int is_c(const struct scorm__contrib_part *p, enum scorm__completion c)
{
    return p && p->c == c;
}

static int is_s(const struct scorm__contrib_part *p, enum scorm__success s)
{
    return p && p->s == s;
}

/* The SCO sid (at position ord) going from part p0 (in0: listed before) to p1. */
static int apply_sco(struct stmt_db_txn *txn, const char *course,
                     const struct scorm__contrib_sco *sid, size_t ord, int in0, int in1,
                     const struct scorm__contrib_part *p0, const struct scorm__contrib_part *p1)
{
    char key[STMT_DB_MAX_KEY + 1];
    cJSON *row = NULL;
    int rc;
    if (in0 == in1 && scorm__contrib_part_same(p0, p1))
        return SCORM_RT_OK;
    if (row_key(key, course, 's', sid->id))
        return SCORM_RT_ERR_STORE;
    if ((rc = row_get(txn, key, &row)))
        return rc;
    scorm__jset_str(row, "id", sid->id);
    if (in1) {
        scorm__jset_str(row, "title", sid->t);
        scorm__jset_num(row, "ord", (double)ord);
    }
    add(row, "reg", in1 - in0);
    add(row, "st", (p1 ? p1->st : 0) - (p0 ? p0->st : 0));
    add(row, "c", is_c(p1, SCORM__C_COMPLETED) - is_c(p0, SCORM__C_COMPLETED));
    add(row, "p", is_s(p1, SCORM__S_PASSED) - is_s(p0, SCORM__S_PASSED));
    add(row, "f", is_s(p1, SCORM__S_FAILED) - is_s(p0, SCORM__S_FAILED));
    add(row, "t", (p1 ? p1->t : 0) - (p0 ? p0->t : 0));
    add(row, "sn", (p1 && p1->has_sc) - (p0 && p0->has_sc));
    add(row, "ss", (p1 && p1->has_sc ? p1->sc : 0) - (p0 && p0->has_sc ? p0->sc : 0));
    if (jnum(row, "sn") <= 0)
        scorm__jset_num(row, "ss", 0);
    rc = row_put(txn, key, row, jnum(row, "reg") > 0);
    cJSON_Delete(row);
    return rc ? rc : apply_lists(txn, course, p0, p1);
}

static const struct scorm__contrib_part *part_of(const struct scorm__contrib_sco *e)
{
    return e && e->has_part ? &e->part : NULL;
}

/* The course's tallies go from contribution c0 to c1 (NULL: not a registration). */
static int apply(struct stmt_db_txn *txn, const char *course, const char *reg,
                 const struct scorm__contrib *c0, const struct scorm__contrib *c1)
{
    struct lvl a, b;
    int rc;
    level(c0, &a);
    level(c1, &b);
    if ((rc = apply_level(txn, course, reg, &a, &b)))
        return rc;
    for (size_t k = 0; c1 && k < c1->n; k++) {
        const struct scorm__contrib_sco *e0 = scorm__contrib_find(c0, c1->scos[k].id, NULL);
        if ((rc = apply_sco(txn, course, &c1->scos[k], k, e0 != NULL, 1, part_of(e0),
                            part_of(&c1->scos[k]))))
            return rc;
    }
    for (size_t k = 0; c0 && k < c0->n; k++)
        if (!scorm__contrib_find(c1, c0->scos[k].id, NULL) &&
            (rc = apply_sco(txn, course, &c0->scos[k], k, 1, 0, part_of(&c0->scos[k]), NULL)))
            return rc;
    return SCORM_RT_OK;
}

/* ---- contributions ------------------------------------------------------------------------- */

/* The SCOs of items, depth first, appended to c; -1 when out of memory. */
static int sids_add(const cJSON *items, struct scorm__contrib *c, size_t *cap)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        if (scorm__item_is_sco(it)) {
            const char *id = scorm__jstr(it, "identifier");
            struct scorm__contrib_sco *e;
            if (c->n == *cap) {
                size_t nc = *cap ? *cap * 2 : 8;
                e = sc_realloc(c->scos, nc * sizeof *e);
                if (!e)
                    return -1;
                c->scos = e;
                *cap = nc;
            }
            e = &c->scos[c->n];
            memset(e, 0, sizeof *e);
            e->id = sc_strdup(id);
            e->t = sc_strdup(scorm__jstr(it, "title") ? scorm__jstr(it, "title") : id);
            c->n++;
            if (!e->id || !e->t)
                return -1;
        }
        if (sids_add(cJSON_GetObjectItemCaseSensitive(it, "items"), c, cap))
            return -1;
    }
    return 0;
}

/* A registration's contribution with no SCO data yet, into *c. SCORM_RT_OK or _NOMEM. */
static int contrib_new(const char *course, const cJSON *org, struct scorm__contrib *c)
{
    size_t cap = 0;
    memset(c, 0, sizeof *c);
    if (!(c->course = sc_strdup(course)) ||
        sids_add(cJSON_GetObjectItemCaseSensitive(org, "items"), c, &cap)) {
        scorm__contrib_free(c);
        return SCORM_RT_ERR_NOMEM;
    }
    return SCORM_RT_OK;
}

static double latency_s(const char *s)
{
    int64_t cs;
    if (!s || !*s)
        return -1;
    cs = s[0] == 'P' ? scorm_rt_duration_cs(s) : scorm_rt_timespan12_cs(s);
    return cs < 0 ? -1 : (double)cs / 100.0;
}

/* text copied, NULL stays NULL; -1 when out of memory */
static int dup_opt(const char *v, char **out)
{
    *out = v ? sc_strdup(v) : NULL;
    return v && !*out ? -1 : 0;
}

/* The part of SCO sco of registration reg from its record rec (read in txn) into *p (zeroed
 * first; free it with scorm__contrib_part_free either way). */
static int part_new(struct stmt_db_txn *txn, const char *reg, const char *sco,
                    const struct scorm__sco_rec *rec, const struct seq_tree *t,
                    struct scorm__contrib_part *p)
{
    const struct scorm__result *r = rec->has_result ? &rec->result : NULL;
    const cJSON *values, *x;
    const char *comp = r ? scorm__completion_name(r->completion) : NULL;
    const char *succ = r ? scorm__success_name(r->success) : NULL;
    int attempt = rec->attempt, rc = SCORM_RT_OK;
    struct scorm__attempt_rec prev;
    cJSON *objs = NULL, *ints = NULL;
    memset(p, 0, sizeof *p);
    memset(&prev, 0, sizeof prev);
    /* one status per item (issue 15): the sequencing tracking decides when there is one */
    seq_item_status(t, sco, comp, succ, &comp, &succ);
    int started = attempt - (rec->attempt_sessions > 0 ? 0 : 1);
    p->st = started > 0 || (comp && strcmp(comp, "not attempted"));
    if (scorm__completion_parse(comp, &p->c))
        p->c = SCORM__C_NOT_ATTEMPTED;
    if (scorm__success_parse(succ, &p->s))
        p->s = SCORM__S_UNKNOWN;
    p->has_sc = r && r->has_scaled;
    p->sc = p->has_sc ? r->scaled : 0;
    p->t = (double)rec->time_all_cs;
    values = rec->values;
    if (attempt > 1 && rec->attempt_sessions <= 0) {
        /* the new attempt has not started: the finished one's data (registration_get) */
        char key[SCORM__SCO_KEY_MAX];
        scorm__sco_key(key, sizeof key, reg, sco, attempt - 1);
        rc = scorm__attempt_rec_get(txn, key, &prev);
        if (!rc)
            values = prev.values;
        else if (rc != SCORM_RT_ERR_NOTFOUND)
            goto out;
        rc = SCORM_RT_OK;
    }
    objs = scorm__collect(values, "cmi.objectives.");
    ints = scorm__collect(values, "cmi.interactions.");
    if (!objs || !ints ||
        (cJSON_GetArraySize(objs) &&
         !(p->o = sc_calloc((size_t)cJSON_GetArraySize(objs), sizeof *p->o))) ||
        (cJSON_GetArraySize(ints) &&
         !(p->i = sc_calloc((size_t)cJSON_GetArraySize(ints), sizeof *p->i)))) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    cJSON_ArrayForEach(x, objs)
    {
        const char *id = scorm__jstr(x, "id"), *su = scorm__jstr(x, "success_status");
        const char *co = scorm__jstr(x, "completion_status"), *st = scorm__jstr(x, "status");
        const char *ssc = scorm__jstr(x, "score.scaled");
        struct scorm__contrib_obj *e = &p->o[p->n_o];
        if (!id)
            continue;
        p->n_o++;
        if (!(e->id = sc_strdup(id))) {
            rc = SCORM_RT_ERR_NOMEM;
            goto out;
        }
        e->c = is(co, "completed") || is(st, "completed") || is(st, "passed");
        e->p = is(su, "passed") || is(st, "passed");
        e->f = is(su, "failed") || is(st, "failed");
        e->has_sc = ssc != NULL;
        e->sc = ssc ? strtod(ssc, NULL) : 0;
    }
    cJSON_ArrayForEach(x, ints)
    {
        const char *id = scorm__jstr(x, "id"), *res = scorm__jstr(x, "result");
        const char *v = scorm__jstr(x, "learner_response");
        const char *pat = scorm__jstr(x, "correct_responses.0.pattern");
        double lat = latency_s(scorm__jstr(x, "latency"));
        struct scorm__contrib_int *e = &p->i[p->n_i];
        if (!v)
            v = scorm__jstr(x, "student_response");
        if (!id)
            continue;
        p->n_i++;
        if (dup_opt(id, &e->id) || dup_opt(scorm__jstr(x, "type"), &e->ty) ||
            dup_opt(pat, &e->pat) || dup_opt(v, &e->v)) {
            rc = SCORM_RT_ERR_NOMEM;
            goto out;
        }
        e->ok = is(res, "correct");
        e->rc = (pat && v && !strcmp(pat, v)) || is(res, "correct");
        e->has_l = lat >= 0;
        e->l = lat >= 0 ? lat : 0;
    }
out:
    scorm__attempt_rec_free(&prev);
    cJSON_Delete(objs);
    cJSON_Delete(ints);
    return rc;
}

int scorm__report_reg_add(struct stmt_db_txn *txn, const cJSON *reg, const cJSON *tree)
{
    const char *id = scorm__jstr(reg, "id"), *course = scorm__jstr(reg, "course");
    struct scorm__contrib c;
    int rc;
    if (!id || !course)
        return SCORM_RT_ERR_ARG;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reg, "preview")))
        return SCORM_RT_OK; /* previews are in no report */
    if ((rc = contrib_new(course, scorm__default_org(tree), &c)))
        return rc;
    rc = apply(txn, course, id, NULL, &c);
    if (!rc)
        rc = scorm__contrib_put(txn, id, &c);
    scorm__contrib_free(&c);
    return rc;
}

int scorm__report_sco(struct stmt_db_txn *txn, const cJSON *reg, const char *sco,
                      const struct scorm__sco_rec *rec, const struct seq_tree *t)
{
    const char *id = scorm__jstr(reg, "id"), *course = scorm__jstr(reg, "course");
    struct scorm__contrib c;
    struct scorm__contrib_part p, old;
    struct scorm__contrib_sco *e;
    struct lvl a, b;
    size_t ord = 0;
    int rc, had;
    if (!id || !course || !sco || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reg, "preview")))
        return SCORM_RT_OK;
    memset(&c, 0, sizeof c);
    memset(&p, 0, sizeof p);
    rc = scorm__contrib_get(txn, id, &c);
    if (rc)
        return rc == SCORM_RT_ERR_NOTFOUND ? SCORM_RT_ERR_STORE : rc; /* kept since open */
    if (!(e = scorm__contrib_find(&c, sco, &ord)))
        goto out; /* an asset: no data, no status */
    if ((rc = part_new(txn, id, sco, rec, t, &p)))
        goto out;
    if (scorm__contrib_part_same(part_of(e), &p))
        goto out; /* nothing the report shows moved */
    /* the part is swapped in place: the levels before and after, then that SCO's rows */
    level(&c, &a);
    had = e->has_part;
    old = e->part;
    e->part = p;
    e->has_part = 1;
    memset(&p, 0, sizeof p);
    level(&c, &b);
    if (!(rc = apply_level(txn, course, id, &a, &b)) &&
        !(rc = apply_sco(txn, course, e, ord, 1, 1, had ? &old : NULL, &e->part)))
        rc = scorm__contrib_put(txn, id, &c);
    scorm__contrib_part_free(&old);
out:
    scorm__contrib_part_free(&p);
    scorm__contrib_free(&c);
    return rc;
}

int scorm__report_reg_clear(struct stmt_db_txn *txn, const char *reg, int del)
{
    struct scorm__contrib c0, c1;
    int rc = scorm__contrib_get(txn, reg, &c0);
    if (rc == SCORM_RT_ERR_NOTFOUND)
        return SCORM_RT_OK; /* a preview */
    if (rc)
        return rc;
    memset(&c1, 0, sizeof c1);
    if (!del) { /* reset: still registered, nothing started: the same SCOs without parts */
        c1.course = sc_strdup(c0.course);
        c1.scos = c0.n ? sc_calloc(c0.n, sizeof *c1.scos) : NULL;
        if (!c1.course || (c0.n && !c1.scos))
            rc = SCORM_RT_ERR_NOMEM;
        for (size_t k = 0; !rc && k < c0.n; k++) {
            c1.scos[c1.n].id = sc_strdup(c0.scos[k].id);
            c1.scos[c1.n++].t = sc_strdup(c0.scos[k].t);
            if (!c1.scos[k].id || !c1.scos[k].t)
                rc = SCORM_RT_ERR_NOMEM;
        }
    }
    if (!rc)
        rc = apply(txn, c0.course, reg, &c0, del ? NULL : &c1);
    if (!rc && !del)
        rc = scorm__contrib_put(txn, reg, &c1);
    else if (!rc) {
        int d = stmt_db_del(txn, T_CONTRIB, reg, strlen(reg));
        rc = d ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
    }
    scorm__contrib_free(&c0);
    scorm__contrib_free(&c1);
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
    cJSON *reg = NULL, *ver = NULL;
    struct scorm__contrib c;
    struct seq_tree *t = NULL; /* the registration's sequencing tracking, if any */
    char vkey[SCORM_MAX_COURSE_ID + 16];
    const char *course;
    int rc = scorm__rt_get(txn, "registrations", regid, &reg);
    memset(&c, 0, sizeof c);
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
    if (rc == SCORM_RT_ERR_NOTFOUND) /* a registration of a version gone: no SCOs */
        rc = contrib_new(course, NULL, &c);
    else if (!rc)
        rc = contrib_new(course, scorm__default_org(cJSON_GetObjectItemCaseSensitive(ver, "tree")),
                         &c);
    if (rc)
        goto out;
    if (ver && (rc = scorm__seq_tree_of(
                    NULL, txn, cJSON_GetObjectItemCaseSensitive(ver, "tree"), regid,
                    scorm__jstr(cJSON_GetObjectItemCaseSensitive(reg, "learner"), "id"), &t)))
        goto out;
    for (size_t k = 0; k < c.n; k++) {
        char key[SCORM__SCO_KEY_MAX];
        struct scorm__sco_rec rec;
        scorm__sco_key(key, sizeof key, regid, c.scos[k].id, 0);
        scorm__sco_rec_init(&rec);
        rc = scorm__sco_rec_get(txn, key, &rec);
        if (rc == SCORM_RT_ERR_NOTFOUND) {
            rc = SCORM_RT_OK;
            continue;
        }
        if (rc)
            goto out;
        c.scos[k].has_part = 1;
        rc = part_new(txn, regid, c.scos[k].id, &rec, t, &c.scos[k].part);
        scorm__sco_rec_free(&rec);
        if (rc)
            goto out;
    }
    rc = apply(txn, course, regid, NULL, &c);
    if (!rc)
        rc = scorm__contrib_put(txn, regid, &c);
out:
    seq_tree_destroy(t);
    cJSON_Delete(reg);
    cJSON_Delete(ver);
    scorm__contrib_free(&c);
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
