/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the console lists without counting per request (issue 13: 10,000 courses and 100,000
 * registrations stay fast): per-course counters, registration indexes by course and by
 * learner, the learners, and a summary of each registration, all written in the transaction
 * that changes what they describe.
 *
 *   "course_stats"   course id                      -> {registrations, completed}
 *   "reg_by_course"  course \x1f inv-time \x1f reg   -> ""   (newest first)
 *   "reg_by_learner" learner \x1f inv-time \x1f reg  -> ""
 *   "learners"       learner id                     -> {id, name, registrations}
 *   "reg_summary"    registration UUID              -> {completion, success, score?,
 *                                                       total_time_cs, last_access?,
 *                                                       scos: {item id: {c, s, sc?, t}}}
 * inv-time is 16 hex digits of (2^64 - 1 - created µs), so a prefix scan walks a course's or a
 * learner's registrations newest first. Registration creation (scorm_rt_reg.c) calls
 * scorm__index_reg_add and a commit (scorm_rt_session.c) scorm__summary_commit inside their
 * own write transactions. Preview registrations are in none of these tables. A store written
 * before these tables existed is indexed once when the run-time opens (scorm__index_migrate);
 * its registrations start with a "not attempted" summary that their next commits fill in.
 *
 * The summary's course-level figures are the run-time's aggregate of the SCOs, as
 * scorm_rt_registration_get computes it without sequencing: completed when every launchable
 * item is, passed when one passed and none failed, score the mean scaled score, time the sum
 * of every attempt's time.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define IDX_SEP '\x1f'
#define IDX_KEY_MAX (SCORM_RT_MAX_LEARNER_ID + 64)
#define SCAN_PAGE_MAX 500

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

/* index key "<prefix>\x1f<inv-time>\x1f<reg>"; 0 or -1 when too long */
static int idx_key(char *out, size_t cap, const char *prefix, int64_t created_us, const char *reg)
{
    uint64_t inv = UINT64_MAX - (uint64_t)(created_us < 0 ? 0 : created_us);
    int n = snprintf(out, cap, "%s%c%016llx%c%s", prefix, IDX_SEP, (unsigned long long)inv, IDX_SEP,
                     reg);
    return (n < 0 || (size_t)n >= cap || (size_t)n > STMT_DB_MAX_KEY) ? -1 : 0;
}

/* Add delta to a counter member of a JSON record in table (created when absent). */
static int bump(struct stmt_db_txn *txn, const char *table, const char *key, const char *member,
                int delta)
{
    cJSON *rec = NULL;
    int rc = scorm__rt_get(txn, table, key, &rec);
    if (rc == SCORM_RT_ERR_NOTFOUND) {
        rec = cJSON_CreateObject();
        rc = rec ? SCORM_RT_OK : SCORM_RT_ERR_NOMEM;
    }
    if (rc)
        return rc;
    double v = jnum(rec, member) + delta;
    scorm__jset_num(rec, member, v < 0 ? 0 : v);
    rc = scorm__rt_put(txn, table, key, rec);
    cJSON_Delete(rec);
    return rc;
}

int scorm__index_reg_add(struct stmt_db_txn *txn, const cJSON *reg)
{
    const char *id = scorm__jstr(reg, "id"), *course = scorm__jstr(reg, "course");
    const cJSON *learner = cJSON_GetObjectItemCaseSensitive(reg, "learner");
    const char *lid = scorm__jstr(learner, "id"), *lname = scorm__jstr(learner, "name");
    int64_t created = (int64_t)jnum(reg, "created_us");
    char key[IDX_KEY_MAX + 64], who[SCORM_RT_MAX_LEARNER_ID + 300];
    cJSON *lrec = NULL;
    struct scorm__summary sum;
    int rc, wl;

    if (!id || !course || !lid)
        return SCORM_RT_ERR_ARG;
    /* the value is what a search (q) looks at: "<learner id>\x1f<learner name>" */
    wl = snprintf(who, sizeof who, "%s%c%s", lid, IDX_SEP, lname ? lname : "");
    if (wl < 0 || (size_t)wl >= sizeof who)
        wl = (int)strlen(who);
    if (idx_key(key, sizeof key, course, created, id) ||
        stmt_db_put(txn, "reg_by_course", key, strlen(key), who, (size_t)wl, 0))
        return SCORM_RT_ERR_STORE;
    if (idx_key(key, sizeof key, lid, created, id) ||
        stmt_db_put(txn, "reg_by_learner", key, strlen(key), who, (size_t)wl, 0))
        return SCORM_RT_ERR_STORE;
    rc = bump(txn, "course_stats", course, "registrations", 1);
    if (rc)
        return rc;
    rc = scorm__rt_get(txn, "learners", lid, &lrec);
    if (rc == SCORM_RT_ERR_NOTFOUND) {
        lrec = cJSON_CreateObject();
        rc = lrec && cJSON_AddStringToObject(lrec, "id", lid) ? SCORM_RT_OK : SCORM_RT_ERR_NOMEM;
    }
    if (rc)
        goto out;
    if (lname && *lname) /* the latest name given for the learner */
        scorm__jset_str(lrec, "name", lname);
    else if (!scorm__jstr(lrec, "name"))
        scorm__jset_str(lrec, "name", "");
    scorm__jset_num(lrec, "registrations", jnum(lrec, "registrations") + 1);
    rc = scorm__rt_put(txn, "learners", lid, lrec);
    if (rc)
        goto out;
    scorm__summary_init(&sum);
    rc = scorm__summary_put(txn, id, &sum);
out:
    cJSON_Delete(lrec);
    return rc;
}

/* The course-level figures of sum from its SCOs (n_sco launchable items). */
static void summary_aggregate(struct scorm__summary *sum, int n_sco)
{
    int n_completed = 0, n_started = 0, n_passed = 0, n_failed = 0, n_scored = 0;
    double scaled = 0, time_cs = 0;
    for (size_t i = 0; i < sum->n_scos; i++) {
        const struct scorm__sco_summary *e = &sum->scos[i];
        n_completed += e->c == SCORM__C_COMPLETED;
        n_started++; /* a SCO with a record was launched */
        n_passed += e->s == SCORM__S_PASSED;
        n_failed += e->s == SCORM__S_FAILED;
        if (e->has_scaled) {
            scaled += e->scaled;
            n_scored++;
        }
        time_cs += e->time_cs;
    }
    sum->completion = n_sco && n_completed >= n_sco ? SCORM__C_COMPLETED
                      : n_started                   ? SCORM__C_INCOMPLETE
                                                    : SCORM__C_NOT_ATTEMPTED;
    sum->success = n_failed ? SCORM__S_FAILED : n_passed ? SCORM__S_PASSED : SCORM__S_UNKNOWN;
    sum->has_score = n_scored > 0;
    sum->score = n_scored ? scaled / n_scored : 0;
    sum->total_time_cs = time_cs;
}

int scorm__summary_commit(struct stmt_db_txn *txn, const cJSON *reg, const cJSON *org,
                          const char *sco, const struct scorm__sco_rec *rec)
{
    const char *id = scorm__jstr(reg, "id"), *course = scorm__jstr(reg, "course");
    struct scorm__summary sum;
    struct scorm__sco_summary *e;
    char ts[SC_TIME_ISO_LEN];
    int rc, was, now;

    if (!id || !course || !sco || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reg, "preview")))
        return SCORM_RT_OK;
    rc = scorm__summary_get(txn, id, &sum);
    if (rc == SCORM_RT_ERR_NOTFOUND) /* a registration made before the index: from now on */
        return SCORM_RT_OK;
    if (rc)
        return rc;
    was = sum.completion == SCORM__C_COMPLETED;
    if (!(e = scorm__summary_sco(&sum, sco, 1))) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    /* the run-time's result of the SCO (none yet: never reported) */
    e->c = rec->has_result ? rec->result.completion : SCORM__C_NOT_ATTEMPTED;
    e->s = rec->has_result ? rec->result.success : SCORM__S_UNKNOWN;
    e->has_scaled = rec->has_result && rec->result.has_scaled;
    e->scaled = e->has_scaled ? rec->result.scaled : 0;
    e->time_cs = (double)rec->time_all_cs;
    summary_aggregate(&sum, scorm__count_scos(cJSON_GetObjectItemCaseSensitive(org, "items")));
    snprintf(sum.last_access, sizeof sum.last_access, "%s",
             sc_time_format_iso(sc_time_now_us(), 3, ts));
    now = sum.completion == SCORM__C_COMPLETED;
    rc = scorm__summary_put(txn, id, &sum);
    if (!rc && was != now)
        rc = bump(txn, "course_stats", course, "completed", now ? 1 : -1);
out:
    scorm__summary_free(&sum);
    return rc;
}

/* ---- lists ------------------------------------------------------------------------------ */

/* One item of a registration list from its record and summary (both in txn). */
/* A list item's outcome members from a registration's summary (SCORM and cmi5 alike). */
static void add_outcome(cJSON *o, const struct scorm__summary *sum)
{
    char tbuf[64];
    cJSON_AddStringToObject(o, "completion", scorm__completion_name(sum->completion));
    cJSON_AddStringToObject(o, "success", scorm__success_name(sum->success));
    if (sum->has_score)
        cJSON_AddNumberToObject(o, "score", sum->score);
    else
        cJSON_AddNullToObject(o, "score");
    scorm_rt_cs_duration((int64_t)sum->total_time_cs, tbuf, sizeof tbuf);
    cJSON_AddStringToObject(o, "total_time", tbuf);
    if (sum->last_access[0])
        cJSON_AddStringToObject(o, "last_access", sum->last_access);
    else
        cJSON_AddNullToObject(o, "last_access");
}

static cJSON *cmi5_reg_item(struct stmt_db_txn *txn, const char *reg);

static cJSON *reg_item(struct stmt_db_txn *txn, const char *reg)
{
    cJSON *rec = NULL, *o = NULL, *l;
    struct scorm__summary sum;
    const cJSON *learner;
    if (scorm__rt_get(txn, "registrations", reg, &rec))
        return cmi5_reg_item(txn, reg);
    /* absent (a registration made before the index) or unreadable: an initial summary */
    if (scorm__summary_get(txn, reg, &sum) != SCORM_RT_OK)
        scorm__summary_init(&sum);
    learner = cJSON_GetObjectItemCaseSensitive(rec, "learner");
    o = cJSON_CreateObject();
    if (!o)
        goto out;
    cJSON_AddStringToObject(o, "registration", reg);
    l = cJSON_AddObjectToObject(o, "learner");
    cJSON_AddStringToObject(l, "id", scorm__jstr(learner, "id") ? scorm__jstr(learner, "id") : "");
    cJSON_AddStringToObject(l, "name",
                            scorm__jstr(learner, "name") ? scorm__jstr(learner, "name") : "");
    cJSON_AddStringToObject(o, "course", scorm__jstr(rec, "course"));
    cJSON_AddStringToObject(o, "course_title",
                            scorm__jstr(rec, "title") ? scorm__jstr(rec, "title") : "");
    cJSON_AddNumberToObject(o, "course_version", jnum(rec, "course_version"));
    add_outcome(o, &sum);
    cJSON_AddStringToObject(o, "created", scorm__jstr(rec, "created"));
out:
    cJSON_Delete(rec);
    scorm__summary_free(&sum);
    return o;
}

/* A cmi5 registration (table cmi5_regs, cmi5_reg.c) as a list item: its learner is the
 * account of its actor (cmi5 9.2); completion, success, score, total time and last access from
 * its summary (reg_summary, cmi5_reg.c cmi5__index_outcome). */
static cJSON *cmi5_reg_item(struct stmt_db_txn *txn, const char *reg)
{
    cJSON *rec = NULL, *crs = NULL, *o = NULL, *l;
    const cJSON *actor, *acc;
    struct scorm__summary sum;
    if (scorm__rt_get(txn, "cmi5_regs", reg, &rec))
        return NULL;
    if (scorm__summary_get(txn, reg, &sum) != SCORM_RT_OK)
        scorm__summary_init(&sum);
    actor = cJSON_GetObjectItemCaseSensitive(rec, "actor");
    acc = cJSON_GetObjectItemCaseSensitive(actor, "account");
    if (scorm__jstr(rec, "course") &&
        scorm__rt_get(txn, "cmi5_courses", scorm__jstr(rec, "course"), &crs))
        crs = NULL;
    o = cJSON_CreateObject();
    if (!o)
        goto out;
    cJSON_AddStringToObject(o, "registration", reg);
    cJSON_AddStringToObject(o, "type", "cmi5");
    l = cJSON_AddObjectToObject(o, "learner");
    cJSON_AddStringToObject(l, "id", scorm__jstr(acc, "name") ? scorm__jstr(acc, "name") : "");
    cJSON_AddStringToObject(l, "name",
                            scorm__jstr(actor, "name") ? scorm__jstr(actor, "name") : "");
    cJSON_AddStringToObject(o, "course",
                            scorm__jstr(rec, "course") ? scorm__jstr(rec, "course") : "");
    cJSON_AddStringToObject(o, "course_title",
                            scorm__jstr(crs, "title") ? scorm__jstr(crs, "title") : "");
    add_outcome(o, &sum);
    cJSON_AddBoolToObject(o, "satisfied", cJSON_IsTrue(cJSON_GetObjectItem(rec, "satisfied")));
    cJSON_AddStringToObject(o, "created",
                            scorm__jstr(rec, "created") ? scorm__jstr(rec, "created") : "");
out:
    cJSON_Delete(rec);
    cJSON_Delete(crs);
    scorm__summary_free(&sum);
    return o;
}

static int icontains(const char *hay, const char *needle)
{
    return hay && scorm__contains(hay, strlen(hay), needle);
}

/* A page of registrations under an index prefix; q (may be NULL) filters by learner id/name. */
struct reg_page {
    struct stmt_db_txn *txn;
    const char *prefix;
    size_t plen;
    const char *q;
    size_t offset, limit, seen, n;
    int stop_at_page; /* the total is known: no need to walk past the page */
    cJSON *items;
    int rc;
};

static int reg_page_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct reg_page *p = ctx;
    char reg[SC_UUID_LEN];
    const char *sep = vl ? memchr(v, IDX_SEP, vl) : NULL;
    if (kl != p->plen + 17 + 36 || memcmp(k, p->prefix, p->plen))
        return 1; /* past the prefix */
    memcpy(reg, (const char *)k + kl - 36, 36);
    reg[36] = 0;
    if (p->q && *p->q && sep) { /* the learner's id and name are in the value */
        size_t il = (size_t)(sep - (const char *)v);
        if (!scorm__contains(v, il, p->q) && !scorm__contains(sep + 1, vl - il - 1, p->q))
            return 0;
    } else if (p->q && *p->q) {
        cJSON *rec = NULL;
        int hit = 0;
        if (!scorm__rt_get(p->txn, "registrations", reg, &rec)) {
            const cJSON *l = cJSON_GetObjectItemCaseSensitive(rec, "learner");
            hit = icontains(scorm__jstr(l, "id"), p->q) || icontains(scorm__jstr(l, "name"), p->q);
        }
        cJSON_Delete(rec);
        if (!hit)
            return 0;
    }
    if (p->n >= p->limit)
        return p->stop_at_page ? 1 : (p->seen++, 0); /* counting the total */
    if (p->seen++ < p->offset)
        return 0;
    cJSON *it = reg_item(p->txn, reg);
    if (!it) {
        p->rc = SCORM_RT_ERR_STORE;
        return 1;
    }
    cJSON_AddItemToArray(p->items, it);
    p->n++;
    return 0;
}

static cJSON *page_object(cJSON *items, size_t total, size_t offset, size_t limit)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToObject(o, "items", items)) {
        cJSON_Delete(o);
        cJSON_Delete(items);
        return NULL;
    }
    cJSON_AddNumberToObject(o, "total", (double)total);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    return o;
}

/* Registrations under "<key>\x1f" of table, newest first. The total is the counter member
 * `counter` of table `ctable` (key) when given and there is no q, else counted by the walk. */
static int reg_list(struct scorm_rt *rt, const char *table, const char *key, const char *q,
                    size_t offset, size_t limit, const char *ctable, const char *counter,
                    cJSON **out)
{
    long long total = -1;
    char prefix[IDX_KEY_MAX + 2];
    struct reg_page p;
    int rc;
    if (limit > SCAN_PAGE_MAX)
        limit = SCAN_PAGE_MAX;
    if (strlen(key) > IDX_KEY_MAX - 60)
        return SCORM_RT_ERR_NOTFOUND;
    snprintf(prefix, sizeof prefix, "%s%c", key, IDX_SEP);
    memset(&p, 0, sizeof p);
    p.prefix = prefix;
    p.plen = strlen(prefix);
    p.q = q;
    p.offset = offset;
    p.limit = limit;
    p.items = cJSON_CreateArray();
    if (!p.items)
        return SCORM_RT_ERR_NOMEM;
    if (stmt_db_txn_begin(rt->db, 0, &p.txn)) {
        cJSON_Delete(p.items);
        return SCORM_RT_ERR_STORE;
    }
    if (ctable && (!q || !*q)) {
        cJSON *c = NULL;
        rc = scorm__rt_get(p.txn, ctable, key, &c);
        if (rc == SCORM_RT_OK)
            total = (long long)jnum(c, counter);
        else if (rc == SCORM_RT_ERR_NOTFOUND)
            total = 0;
        cJSON_Delete(c);
        p.stop_at_page = total >= 0;
    }
    /* the walk stops at the page's end only when a counter gives the total */
    rc = stmt_db_scan(p.txn, table, prefix, p.plen, reg_page_visit, &p);
    stmt_db_txn_abort(p.txn);
    if (rc < 0 || p.rc) {
        cJSON_Delete(p.items);
        return p.rc ? p.rc : SCORM_RT_ERR_STORE;
    }
    *out = page_object(p.items, total >= 0 ? (size_t)total : p.seen, offset, limit);
    return *out ? SCORM_RT_OK : SCORM_RT_ERR_NOMEM;
}

int scorm_rt_course_registrations(struct scorm_rt *rt, const char *course, const char *q,
                                  size_t offset, size_t limit, cJSON **out)
{
    return reg_list(rt, "reg_by_course", course, q, offset, limit, "course_stats", "registrations",
                    out);
}

struct learner_page {
    const char *q;
    size_t offset, limit, seen, n;
    cJSON *items;
};

static int learner_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct learner_page *p = ctx;
    cJSON *rec;
    (void)k;
    (void)kl;
    if (!p->q || !*p->q) { /* no filter: parse only the page */
        if (p->seen++ < p->offset || p->n >= p->limit)
            return 0;
        rec = cJSON_ParseWithLength(v, vl);
    } else {
        int escaped = 0; /* characters JSON text escapes: the bytes cannot rule q out */
        for (const char *c = p->q; *c; c++)
            escaped |= *c == '"' || *c == '\\' || (unsigned char)*c < 0x20;
        if (!escaped && !scorm__contains(v, vl, p->q))
            return 0; /* not even in the record's bytes */
        rec = cJSON_ParseWithLength(v, vl);
        if (!rec || !(icontains(scorm__jstr(rec, "id"), p->q) ||
                      icontains(scorm__jstr(rec, "name"), p->q))) {
            cJSON_Delete(rec);
            return 0;
        }
        if (p->seen++ < p->offset || p->n >= p->limit) {
            cJSON_Delete(rec);
            return 0;
        }
    }
    if (!rec)
        return 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", scorm__jstr(rec, "id") ? scorm__jstr(rec, "id") : "");
    cJSON_AddStringToObject(o, "name", scorm__jstr(rec, "name") ? scorm__jstr(rec, "name") : "");
    cJSON_AddNumberToObject(o, "registrations", jnum(rec, "registrations"));
    cJSON_AddItemToArray(p->items, o);
    p->n++;
    cJSON_Delete(rec);
    return 0;
}

int scorm_rt_learners(struct scorm_rt *rt, const char *q, size_t offset, size_t limit, cJSON **out)
{
    struct stmt_db_txn *txn = NULL;
    struct learner_page p = {q, offset, limit > SCAN_PAGE_MAX ? SCAN_PAGE_MAX : limit,
                             0, 0,      cJSON_CreateArray()};
    int rc;
    if (!p.items)
        return SCORM_RT_ERR_NOMEM;
    if (stmt_db_txn_begin(rt->db, 0, &txn)) {
        cJSON_Delete(p.items);
        return SCORM_RT_ERR_STORE;
    }
    rc = stmt_db_scan(txn, "learners", NULL, 0, learner_visit, &p);
    stmt_db_txn_abort(txn);
    if (rc < 0) {
        cJSON_Delete(p.items);
        return SCORM_RT_ERR_STORE;
    }
    *out = page_object(p.items, p.seen, offset, p.limit);
    return *out ? SCORM_RT_OK : SCORM_RT_ERR_NOMEM;
}

int scorm_rt_learner_get(struct scorm_rt *rt, const char *learner, size_t offset, size_t limit,
                         cJSON **out)
{
    struct stmt_db_txn *txn = NULL;
    cJSON *rec = NULL, *page = NULL, *o = NULL;
    int rc;
    if (!learner || !*learner || strlen(learner) > SCORM_RT_MAX_LEARNER_ID)
        return SCORM_RT_ERR_NOTFOUND;
    if (stmt_db_txn_begin(rt->db, 0, &txn))
        return SCORM_RT_ERR_STORE;
    rc = scorm__rt_get(txn, "learners", learner, &rec);
    stmt_db_txn_abort(txn);
    if (rc)
        return rc;
    rc = reg_list(rt, "reg_by_learner", learner, NULL, offset, limit, "learners", "registrations",
                  &page);
    if (rc)
        goto out;
    o = cJSON_CreateObject();
    if (!o) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    cJSON_AddStringToObject(o, "id", learner);
    cJSON_AddStringToObject(o, "name", scorm__jstr(rec, "name") ? scorm__jstr(rec, "name") : "");
    cJSON_AddItemToObject(o, "registrations", cJSON_DetachItemFromObject(page, "items"));
    cJSON_AddNumberToObject(o, "total", jnum(page, "total"));
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", jnum(page, "limit"));
    *out = o;
    o = NULL;
out:
    cJSON_Delete(o);
    cJSON_Delete(page);
    cJSON_Delete(rec);
    return rc;
}

/* ---- reset and delete ------------------------------------------------------------------- */

struct prefix_keys {
    const char *prefix;
    size_t plen;
    char **keys;
    size_t *lens;
    size_t n, cap;
    int rc;
};

static int collect_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct prefix_keys *p = ctx;
    (void)v;
    (void)vl;
    if (kl < p->plen || memcmp(k, p->prefix, p->plen))
        return 1;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        char **nk = sc_realloc(p->keys, cap * sizeof *nk);
        if (!nk) {
            p->rc = SCORM_RT_ERR_NOMEM;
            return 1;
        }
        p->keys = nk;
        size_t *nl = sc_realloc(p->lens, cap * sizeof *nl);
        if (!nl) {
            p->rc = SCORM_RT_ERR_NOMEM;
            return 1;
        }
        p->lens = nl;
        p->cap = cap;
    }
    p->keys[p->n] = sc_malloc(kl);
    if (!p->keys[p->n]) {
        p->rc = SCORM_RT_ERR_NOMEM;
        return 1;
    }
    memcpy(p->keys[p->n], k, kl);
    p->lens[p->n++] = kl;
    return 0;
}

/* Delete every key of table that starts with prefix, inside txn. */
static int delete_prefix(struct stmt_db_txn *txn, const char *table, const char *prefix)
{
    struct prefix_keys p;
    int rc;
    memset(&p, 0, sizeof p);
    p.prefix = prefix;
    p.plen = strlen(prefix);
    rc = stmt_db_scan(txn, table, prefix, p.plen, collect_visit, &p);
    if (rc < 0)
        p.rc = SCORM_RT_ERR_STORE;
    for (size_t i = 0; i < p.n; i++) {
        if (!p.rc && stmt_db_del(txn, table, p.keys[i], p.lens[i]))
            p.rc = SCORM_RT_ERR_STORE;
        sc_free(p.keys[i]);
    }
    sc_free(p.keys);
    sc_free(p.lens);
    return p.rc;
}

static int del_opt(struct stmt_db_txn *txn, const char *table, const char *key)
{
    int rc = stmt_db_del(txn, table, key, strlen(key));
    return rc && rc != STMT_DB_NOTFOUND ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
}

/* Clear the run-time data of reg (its SCOs' data and attempts, sequencing state) in txn and
 * put its summary back to "not attempted"; the course's completed counter follows. */
static int reg_clear(struct stmt_db_txn *txn, const cJSON *rec, const char *reg, int keep_summary)
{
    char prefix[64];
    struct scorm__summary sum;
    int rc, completed;
    snprintf(prefix, sizeof prefix, "%s/", reg);
    if ((rc = delete_prefix(txn, "cmi", prefix)) || (rc = delete_prefix(txn, "attempts", prefix)) ||
        (rc = del_opt(txn, "seq_state", reg)) ||
        (rc = scorm__report_reg_clear(txn, reg, !keep_summary)))
        return rc;
    rc = scorm__summary_get(txn, reg, &sum);
    if (rc == SCORM_RT_ERR_NOTFOUND)
        return SCORM_RT_OK;
    if (rc)
        return rc;
    completed = sum.completion == SCORM__C_COMPLETED;
    scorm__summary_free(&sum); /* back to the initial summary */
    if (completed && (rc = bump(txn, "course_stats", scorm__jstr(rec, "course"), "completed", -1)))
        return rc;
    if (!keep_summary)
        return del_opt(txn, "reg_summary", reg);
    return scorm__summary_put(txn, reg, &sum);
}

int scorm__index_reg_remove(struct stmt_db_txn *txn, const char *course, const char *lid,
                            int64_t created, const char *reg)
{
    char key[IDX_KEY_MAX + 64];
    cJSON *lrec = NULL;
    int rc;
    if ((!idx_key(key, sizeof key, course, created, reg) &&
         (rc = del_opt(txn, "reg_by_course", key))) ||
        (!idx_key(key, sizeof key, lid, created, reg) &&
         (rc = del_opt(txn, "reg_by_learner", key))) ||
        (rc = bump(txn, "course_stats", course, "registrations", -1)))
        return rc;
    if (!scorm__rt_get(txn, "learners", lid, &lrec)) {
        double n = jnum(lrec, "registrations") - 1;
        if (n <= 0) {
            rc = del_opt(txn, "learners", lid);
        } else {
            scorm__jset_num(lrec, "registrations", n);
            rc = scorm__rt_put(txn, "learners", lid, lrec);
        }
        cJSON_Delete(lrec);
    }
    return rc;
}

int scorm__index_reg_outcome(struct stmt_db_txn *txn, const char *course, const char *reg,
                             const struct scorm__reg_outcome *now, int was_out[2])
{
    struct scorm__summary sum;
    int rc = scorm__summary_get(txn, reg, &sum), was;
    if (was_out) {
        was_out[0] = rc ? now->completion : (int)sum.completion;
        was_out[1] = rc ? now->success : (int)sum.success;
    }
    if (rc == SCORM_RT_ERR_NOTFOUND)
        return SCORM_RT_OK; /* not indexed (made before the indexes): not counted either */
    if (rc)
        return rc;
    was = sum.completion == SCORM__C_COMPLETED;
    sum.completion = (enum scorm__completion)now->completion;
    sum.success = (enum scorm__success)now->success;
    sum.has_score = now->has_score;
    sum.score = now->has_score ? now->score : 0;
    if (now->total_time_cs >= 0)
        sum.total_time_cs = now->total_time_cs;
    if (now->last_access)
        snprintf(sum.last_access, sizeof sum.last_access, "%s", now->last_access);
    rc = scorm__summary_put(txn, reg, &sum);
    if (!rc && was != (now->completion == SCORM__C_COMPLETED))
        rc = bump(txn, "course_stats", course, "completed", was ? -1 : 1);
    scorm__summary_free(&sum);
    return rc;
}

static int reg_change_once(struct scorm_rt *rt, const char *reg, int del);

static int reg_change(struct scorm_rt *rt, const char *reg, int del)
{
    int rc = SCORM_RT_ERR_STORE;
    for (int attempt = 0; attempt < 4 && rc == SCORM_RT_ERR_STORE; attempt++)
        rc = reg_change_once(rt, reg, del); /* a full map grows at the next begin */
    return rc;
}

static int reg_change_once(struct scorm_rt *rt, const char *reg, int del)
{
    struct stmt_db_txn *txn = NULL;
    cJSON *rec = NULL;
    int rc;
    if (!reg || !sc_uuid_valid(reg, strlen(reg)))
        return SCORM_RT_ERR_NOTFOUND;
    if (stmt_db_txn_begin(rt->db, 1, &txn))
        return SCORM_RT_ERR_STORE;
    rc = scorm__rt_get(txn, "registrations", reg, &rec);
    if (rc)
        goto out;
    rc = reg_clear(txn, rec, reg, !del);
    if (rc || !del)
        goto commit;
    {
        const cJSON *tok, *learner = cJSON_GetObjectItemCaseSensitive(rec, "learner");
        const char *course = scorm__jstr(rec, "course"), *lid = scorm__jstr(learner, "id");
        int64_t created = (int64_t)jnum(rec, "created_us");
        int indexed = !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "preview")) &&
                      cJSON_GetObjectItemCaseSensitive(rec, "created_us");
        cJSON_ArrayForEach(tok, cJSON_GetObjectItemCaseSensitive(rec, "tokens"))
        {
            if (cJSON_IsString(tok) && (rc = del_opt(txn, "tokens", tok->valuestring)))
                goto out;
        }
        if (indexed && course && lid &&
            (rc = scorm__index_reg_remove(txn, course, lid, created, reg)))
            goto out;
        rc = del_opt(txn, "registrations", reg);
    }
commit:
    if (rc)
        goto out;
    rc = stmt_db_txn_commit(txn) ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
    txn = NULL;
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(rec);
    return rc;
}

int scorm_rt_registration_reset(struct scorm_rt *rt, const char *reg)
{
    return reg_change(rt, reg, 0);
}

int scorm_rt_registration_delete(struct scorm_rt *rt, const char *reg)
{
    return reg_change(rt, reg, 1);
}

/* ---- stores written before the index ---------------------------------------------------- */

#define MIGRATED_KEY "#indexed" /* in course_stats: no course id has a '#' */

struct uuid_keys {
    char (*ids)[SC_UUID_LEN];
    size_t n, cap;
    int rc;
};

static int uuid_visit(void *vctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct uuid_keys *c = vctx;
    (void)v;
    (void)vl;
    if (kl != 36)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        char(*ids)[SC_UUID_LEN] = sc_realloc(c->ids, cap * sizeof *ids);
        if (!ids) {
            c->rc = SCORM_RT_ERR_NOMEM;
            return 1;
        }
        c->ids = ids;
        c->cap = cap;
    }
    memcpy(c->ids[c->n], k, 36);
    c->ids[c->n++][36] = 0;
    return 0;
}

int scorm__uuid_keys(struct stmt_db_txn *txn, const char *table, char (**ids)[SC_UUID_LEN],
                     size_t *n)
{
    struct uuid_keys c = {NULL, 0, 0, SCORM_RT_OK};
    int rc = stmt_db_scan(txn, table, NULL, 0, uuid_visit, &c);
    rc = c.rc ? c.rc : rc < 0 && rc != STMT_DB_NOTFOUND ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
    if (rc) {
        sc_free(c.ids);
        c.ids = NULL;
        c.n = 0;
    }
    *ids = c.ids;
    *n = c.n;
    return rc;
}

static int index_migrate_once(struct stmt_db *db);

int scorm__index_migrate(struct stmt_db *db)
{
    int rc = SCORM_RT_ERR_STORE;
    /* one transaction for the whole store: a full map grows at the next begin, try again */
    for (int attempt = 0; attempt < 6 && rc == SCORM_RT_ERR_STORE; attempt++)
        rc = index_migrate_once(db);
    return rc;
}

static int index_migrate_once(struct stmt_db *db)
{
    struct stmt_db_txn *txn = NULL;
    char(*ids)[SC_UUID_LEN] = NULL;
    size_t n = 0;
    const void *v;
    size_t vl;
    int rc;

    if (stmt_db_txn_begin(db, 0, &txn))
        return SCORM_RT_ERR_STORE;
    rc = stmt_db_get(txn, "course_stats", MIGRATED_KEY, strlen(MIGRATED_KEY), &v, &vl);
    stmt_db_txn_abort(txn);
    if (rc == 0)
        return SCORM_RT_OK;
    if (rc != STMT_DB_NOTFOUND)
        return SCORM_RT_ERR_STORE;
    if (stmt_db_txn_begin(db, 1, &txn))
        return SCORM_RT_ERR_STORE;
    /* in the write transaction: no registration is created meanwhile */
    rc = scorm__uuid_keys(txn, "registrations", &ids, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        cJSON *reg = NULL;
        int64_t us = 0;
        const char *created;
        rc = scorm__rt_get(txn, "registrations", ids[i], &reg);
        if (rc)
            break;
        created = scorm__jstr(reg, "created");
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reg, "preview")) &&
            !cJSON_GetObjectItemCaseSensitive(reg, "created_us")) {
            if (created)
                sc_time_parse_iso(created, strlen(created), &us);
            scorm__jset_num(reg, "created_us", (double)us);
            rc = scorm__index_reg_add(txn, reg);
            if (!rc)
                rc = scorm__rt_put(txn, "registrations", ids[i], reg);
        }
        cJSON_Delete(reg);
    }
    if (!rc && stmt_db_put(txn, "course_stats", MIGRATED_KEY, strlen(MIGRATED_KEY), "1", 1, 0))
        rc = SCORM_RT_ERR_STORE;
    if (!rc)
        rc = stmt_db_txn_commit(txn) ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
    else
        stmt_db_txn_abort(txn);
    sc_free(ids);
    return rc;
}
