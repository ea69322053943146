/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `scolar check`, SCORM part (issue 15): the run-time data against its statements. A SCO that
 * the registration's summary reports completed (table reg_summary, written in the commit's
 * transaction) must have its "completed" bridge statement (xAPI SCORM Profile §6.0; the bridge
 * emits it when the SCO session ends, as a bridge_outbox row of the same transaction,
 * scorm_outbox.c): in the statement store, with context.registration the registration and the
 * SCO's activity as object, or still waiting as an outbox row (a crash before the insert; the
 * next start stores it). A SCO whose session is still open (never terminated) has no
 * statement yet and is counted apart. Dead outbox rows (statements the store refused) are
 * findings too, and so is a run-time record (cmi, attempts, sessions, reg_contrib, reg_summary)
 * its codec refuses (scorm_rt_rec.c: the message names the member).
 */
#include "scorm/scorm_rt_int.h"
#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "statements/stmt_db.h"
#include "statements/stmt_store.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define V_COMPLETED "http://adlnet.gov/expapi/verbs/completed"

struct ck {
    cJSON *open;    /* "reg\x1fsco" -> true: a session still open */
    cJSON *pending; /* "reg\x1fobject id" -> true: completed statements waiting as rows */
    int nomem;
    struct scorm_check *res;
    struct sc_buf *report;
};

static void pair_key(struct sc_buf *b, const char *a, const char *c)
{
    sc_buf_reset(b);
    sc_buf_puts(b, a);
    sc_buf_putc(b, '\x1f');
    sc_buf_puts(b, c);
}

static void mark(struct ck *k, cJSON *set, const char *a, const char *c)
{
    struct sc_buf b = SC_BUF_INIT;
    sc_buf_init(&b, 4096);
    pair_key(&b, a, c);
    if (sc_buf_error(&b) || !b.data || !cJSON_AddTrueToObject(set, b.data))
        k->nomem = 1;
    sc_buf_free(&b);
}

/* sessions: remember the (registration, SCO) pairs with a session still open */
static int visit_session(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct ck *k = ctx;
    struct scorm__session s;
    struct scorm_diag d;
    int rc = scorm__session_decode(val, vlen, &s, &d);
    if (rc == SCORM_RT_ERR_NOMEM) {
        k->nomem = 1;
        return -1;
    }
    if (rc) { /* a finding: the session record is not one */
        k->res->unreadable++;
        sc_buf_printf(k->report, "scorm: session %.*s: %s (sessions)\n",
                      (int)(klen > 64 ? 64 : klen), (const char *)key, d.msg);
        return 0;
    }
    if (s.open)
        mark(k, k->open, s.registration, s.sco);
    scorm__session_free(&s);
    return k->nomem ? -1 : 0;
}

/* cmi, attempts and reg_contrib: every record decodes (scorm_rt_rec.c); one that does not is a
 * finding naming its key and the member */
struct recs {
    const char *table;
    int (*decode)(const void *text, size_t len, void *out, struct scorm_diag *diag);
    void (*release)(void *out);
    struct ck *k;
};

static int dec_sco(const void *t, size_t l, void *o, struct scorm_diag *d)
{
    return scorm__sco_rec_decode(t, l, o, d);
}
static void rel_sco(void *o)
{
    scorm__sco_rec_free(o);
}
static int dec_att(const void *t, size_t l, void *o, struct scorm_diag *d)
{
    return scorm__attempt_rec_decode(t, l, o, d);
}
static void rel_att(void *o)
{
    scorm__attempt_rec_free(o);
}
static int dec_con(const void *t, size_t l, void *o, struct scorm_diag *d)
{
    return scorm__contrib_decode(t, l, o, d);
}
static void rel_con(void *o)
{
    scorm__contrib_free(o);
}

static int visit_record(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct recs *r = ctx;
    union {
        struct scorm__sco_rec sco;
        struct scorm__attempt_rec att;
        struct scorm__contrib con;
    } u;
    struct scorm_diag d;
    int rc;
    memset(&d, 0, sizeof d);
    rc = r->decode(val, vlen, &u, &d);
    if (rc == SCORM_RT_ERR_NOMEM) {
        r->k->nomem = 1;
        return -1;
    }
    if (rc) {
        r->k->res->unreadable++;
        sc_buf_printf(r->k->report, "scorm: %s %.*s: %s\n", r->table,
                      (int)(klen > 200 ? 200 : klen), (const char *)key, d.msg);
        return 0;
    }
    r->release(&u);
    return 0;
}

/* bridge_outbox rows: remember the completed statements that wait */
static int visit_row(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct ck *k = ctx;
    cJSON *s = cJSON_ParseWithLength(val, vlen);
    const char *verb = scorm__jstr(cJSON_GetObjectItemCaseSensitive(s, "verb"), "id");
    const char *reg = scorm__jstr(cJSON_GetObjectItemCaseSensitive(s, "context"), "registration");
    const char *obj = scorm__jstr(cJSON_GetObjectItemCaseSensitive(s, "object"), "id");
    (void)key;
    (void)klen;
    if (verb && !strcmp(verb, V_COMPLETED) && reg && obj)
        mark(k, k->pending, reg, obj);
    cJSON_Delete(s);
    return k->nomem ? -1 : 0;
}

/* 1 when object IRI `id` is the SCO's activity: it ends with "/" + the SCO id encoded as the
 * bridge encodes one IRI path segment (scorm_bridge.c put_seg) */
static int is_sco_activity(const char *id, const char *sco)
{
    struct sc_buf b = SC_BUF_INIT;
    size_t il = strlen(id);
    int yes;
    sc_buf_init(&b, 4096);
    sc_buf_putc(&b, '/');
    for (const char *p = sco; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            sc_buf_putc(&b, (char)c);
        else
            sc_buf_printf(&b, "%%%02X", c);
    }
    yes = !sc_buf_error(&b) && b.data && il >= b.len && !memcmp(id + il - b.len, b.data, b.len);
    sc_buf_free(&b);
    return yes;
}

/* the object ids of the registration's stored "completed" statements (owned array) */
static int completed_objects(struct stmt_store *st, const char *reg, cJSON **out)
{
    struct stmt_query q;
    struct stmt_page page;
    char more[STMT_STORE_MORE_LEN] = "";
    cJSON *ids = cJSON_CreateArray();
    int rc = SCORM_RT_OK;
    if (!ids)
        return SCORM_RT_ERR_NOMEM;
    do {
        memset(&q, 0, sizeof q);
        q.verb = V_COMPLETED;
        q.registration = reg;
        q.cursor = more[0] ? more : NULL;
        if (stmt_store_query(st, &q, &page) != STMT_STORE_OK) {
            rc = SCORM_RT_ERR_STORE;
            break;
        }
        for (size_t i = 0; i < page.n; i++) {
            cJSON *s = cJSON_ParseWithLength(page.items[i].json, page.items[i].len);
            const char *obj = scorm__jstr(cJSON_GetObjectItemCaseSensitive(s, "object"), "id");
            if (obj && !cJSON_AddItemToArray(ids, cJSON_CreateString(obj)))
                rc = SCORM_RT_ERR_NOMEM;
            cJSON_Delete(s);
        }
        snprintf(more, sizeof more, "%s", page.more);
        stmt_page_free(&page);
    } while (!rc && more[0]);
    if (rc) {
        cJSON_Delete(ids);
        return rc;
    }
    *out = ids;
    return SCORM_RT_OK;
}

struct sums {
    struct stmt_store *st;
    struct ck *k;
    struct scorm_check *res;
    struct sc_buf *report;
    int rc;
};

static int visit_summary(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct sums *u = ctx;
    struct sc_buf kb = SC_BUF_INIT;
    struct scorm__summary sum;
    char reg[64];
    cJSON *objs = NULL;
    int rc;
    if (klen >= sizeof reg) /* not a registration UUID: not ours to judge */
        return 0;
    memcpy(reg, key, klen);
    reg[klen] = '\0';
    rc = scorm__summary_decode(val, vlen, &sum);
    if (rc == SCORM_RT_ERR_NOMEM) {
        u->rc = rc;
        return -1;
    }
    if (rc) {
        u->res->unreadable++;
        sc_buf_printf(u->report, "scorm: registration %s: its summary is not one (reg_summary)\n",
                      reg);
        return 0;
    }
    sc_buf_init(&kb, 4096);
    u->res->registrations++;
    for (size_t i = 0; i < sum.n_scos; i++) {
        const char *sco = sum.scos[i].id;
        int found = 0;
        if (sum.scos[i].c != SCORM__C_COMPLETED)
            continue;
        u->res->completed++;
        pair_key(&kb, reg, sco);
        if (kb.data && cJSON_GetObjectItemCaseSensitive(u->k->open, kb.data)) {
            u->res->open++; /* not terminated yet: the statement comes at its end */
            continue;
        }
        if (!objs && (u->rc = completed_objects(u->st, reg, &objs)) != SCORM_RT_OK)
            break;
        const cJSON *o;
        cJSON_ArrayForEach(o, objs)
        {
            found |= is_sco_activity(o->valuestring, sco);
        }
        if (!found) {
            const cJSON *p;
            cJSON_ArrayForEach(p, u->k->pending)
            {
                const char *sep = strchr(p->string, '\x1f');
                if (sep && (size_t)(sep - p->string) == strlen(reg) &&
                    !strncmp(p->string, reg, strlen(reg)) && is_sco_activity(sep + 1, sco))
                    found = 2;
            }
        }
        if (found == 2) {
            u->res->pending++;
        } else if (!found) {
            u->res->missing++;
            if (u->res->missing <= 20)
                sc_buf_printf(u->report,
                              "scorm: registration %s: SCO %.200s is reported completed but "
                              "has no completed statement\n",
                              reg, sco);
        }
    }
    sc_buf_free(&kb);
    cJSON_Delete(objs);
    scorm__summary_free(&sum);
    return u->rc ? -1 : 0;
}

int scorm_check_statements(struct stmt_db *db, struct stmt_store *st, struct scorm_check *res,
                           char **report)
{
    struct sc_buf rb = SC_BUF_INIT;
    struct ck k = {cJSON_CreateObject(), cJSON_CreateObject(), 0, res, &rb};
    struct stmt_db_txn *txn = NULL;
    struct sums u = {st, &k, res, &rb, SCORM_RT_OK};
    int rc = SCORM_RT_OK, s;

    memset(res, 0, sizeof *res);
    *report = NULL;
    sc_buf_init(&rb, 1 << 20);
    if (!k.open || !k.pending) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if ((rc = scorm_outbox_count(db, &res->rows, &res->dead)))
        goto out;
    if (stmt_db_txn_begin(db, 0, &txn)) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    s = stmt_db_scan(txn, "sessions", NULL, 0, visit_session, &k);
    {
        struct recs rs[] = {{"cmi", dec_sco, rel_sco, &k},
                            {"attempts", dec_att, rel_att, &k},
                            {"reg_contrib", dec_con, rel_con, &k}};
        for (size_t i = 0; i < sizeof rs / sizeof rs[0] && (s >= 0 || s == STMT_DB_NOTFOUND); i++)
            s = stmt_db_scan(txn, rs[i].table, NULL, 0, visit_record, &rs[i]);
    }
    if (s >= 0 || s == STMT_DB_NOTFOUND)
        s = stmt_db_scan(txn, "bridge_outbox", NULL, 0, visit_row, &k);
    if (k.nomem) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if (s < 0 && s != STMT_DB_NOTFOUND) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    s = stmt_db_scan(txn, "reg_summary", NULL, 0, visit_summary, &u);
    if (u.rc) {
        rc = u.rc;
        goto out;
    }
    if (s < 0 && s != STMT_DB_NOTFOUND) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    if (res->dead)
        sc_buf_printf(&rb,
                      "scorm bridge outbox: %zu statements refused by the store (table "
                      "bridge_outbox_dead)\n",
                      res->dead);
    if (sc_buf_error(&rb)) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    *report = rb.data ? sc_buf_steal(&rb, NULL) : sc_strdup("");
    if (!*report)
        rc = SCORM_RT_ERR_NOMEM;
out:
    stmt_db_txn_abort(txn);
    sc_buf_free(&rb);
    cJSON_Delete(k.open);
    cJSON_Delete(k.pending);
    return rc;
}
