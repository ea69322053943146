/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What one statement contributes to the activity report tallies (stmt_report_int.h):
 * computed in the caller's thread from its parsed tree and handed to the writer, or by the
 * fold from the record's JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "statements/stmt_report_int.h"

#define VERB_COMPLETED "http://adlnet.gov/expapi/verbs/completed"
#define VERB_PASSED "http://adlnet.gov/expapi/verbs/passed"
#define VERB_FAILED "http://adlnet.gov/expapi/verbs/failed"
#define TYPE_INTERACTION "http://adlnet.gov/expapi/activities/cmi.interaction"
#define STMT_REPORT_MAX_MEMBERS 256

int64_t stmt__report_day_us(void)
{
    const char *e = getenv("SCOLAR_REPORT_DAY_US");
    char *end = NULL;
    long long x;
    if (!e)
        return STMT_REPORT_DAY_US;
    x = strtoll(e, &end, 10);
    return (end && !*end && x >= 500000 && x <= STMT_REPORT_DAY_US) ? x : STMT_REPORT_DAY_US;
}

/* A language map's en-US, en, or first entry. */
static const char *lang_pick(const cJSON *map)
{
    const cJSON *j;
    const char *s;
    if (!cJSON_IsObject(map))
        return NULL;
    if ((s = stmt__report_str_member(map, "en-US")) || (s = stmt__report_str_member(map, "en")))
        return s;
    cJSON_ArrayForEach(j, map)
    {
        if (cJSON_IsString(j))
            return j->valuestring;
    }
    return NULL;
}

static void add_ctx(struct stmt__rfacts *f, const cJSON *a)
{
    const char *id = stmt__report_str_member(a, "id");
    uint64_t h;
    if (!id || f->nctx == STMT_REPORT_MAX_CONTEXT)
        return;
    h = stmt__report_hash(STMT_TERM_ACTIVITY, id);
    if (f->has_obj && h == f->obj)
        return;
    for (size_t i = 0; i < f->nctx; i++)
        if (f->ctx[i] == h)
            return;
    f->ctx[f->nctx++] = h;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * An anonymous Group (xAPI Data 2.4.2.2: no IFI, "a cluster of people") is one actor: the set of
 * its members' IFIs, sorted, whatever their order or the Group's name, so its statements count
 * as one actor and voiding one of them subtracts from the same one (stmt_report.c).
 */
static uint64_t anon_group_hash(const cJSON *actor, uint64_t *walk)
{
    const cJSON *m, *members = cJSON_GetObjectItemCaseSensitive(actor, "member");
    char *ifis[STMT_REPORT_MAX_MEMBERS];
    char ifi[1024], *txt;
    size_t n = 0, len = 0;
    uint64_t h = 0;
    int ok = cJSON_IsArray(members);
    *walk = 0;
    cJSON_ArrayForEach(m, members)
    {
        if (!ok || n == STMT_REPORT_MAX_MEMBERS ||
            stmt_store_agent_ifi(m, ifi, sizeof ifi) != STMT_STORE_OK ||
            !(ifis[n] = sc_strdup(ifi))) {
            ok = 0;
            break;
        }
        len += strlen(ifis[n++]) + 1;
    }
    if (ok && n) {
        qsort(ifis, n, sizeof *ifis, cmp_str);
        txt = sc_malloc(len + 1);
        if (txt) {
            size_t at = 0;
            for (size_t i = 0; i < n; i++) {
                size_t l = strlen(ifis[i]);
                memcpy(txt + at, ifis[i], l);
                txt[at + l] = '\n';
                at += l + 1;
            }
            txt[at] = 0;
            h = stmt__report_hash(STMT_TERM_AGENT, txt);
            *walk = stmt__report_hash(STMT_TERM_AGENT, ifis[0]);
            sc_free(txt);
        }
    } else { /* too many members to sort here, or one without an IFI: the Group as written */
        txt = cJSON_PrintUnformatted(actor);
        h = txt ? stmt__report_hash(STMT_TERM_AGENT, txt) : 0;
        *walk = h; /* not in the index: a voiding's recheck finds nothing (counted as gone) */
        cJSON_free(txt);
    }
    for (size_t i = 0; i < n; i++)
        sc_free(ifis[i]);
    return h;
}

void stmt__report_facts_of(const cJSON *s, struct stmt__rfacts *f, struct stmt__rtexts *t)
{
    const cJSON *actor = cJSON_GetObjectItemCaseSensitive(s, "actor");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(s, "object");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(s, "result");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(s, "context");
    const cJSON *verb = cJSON_GetObjectItemCaseSensitive(s, "verb");
    const char *ot = stmt__report_str_member(obj, "objectType");
    char ifi[1024];

    memset(f, 0, sizeof *f);
    memset(t, 0, sizeof *t);
    if (stmt_store_agent_ifi(actor, ifi, sizeof ifi) == STMT_STORE_OK) {
        f->actor = f->walk = stmt__report_hash(STMT_TERM_AGENT, ifi);
    } else {
        f->actor = anon_group_hash(actor, &f->walk);
    }
    t->verb = stmt__report_str_member(verb, "id");
    if (!t->verb)
        t->verb = "";
    f->verb_h = stmt__report_hash(STMT_TERM_VERB, t->verb);
    if (!ot || !strcmp(ot, "Activity")) {
        const char *id = stmt__report_str_member(obj, "id");
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(obj, "definition");
        const char *type = stmt__report_str_member(def, "type");
        if (id) {
            f->has_obj = 1;
            f->obj = stmt__report_hash(STMT_TERM_ACTIVITY, id);
            if (type && !strcmp(type, TYPE_INTERACTION)) {
                f->question = 1;
                t->qid = id;
                t->qname = lang_pick(cJSON_GetObjectItemCaseSensitive(def, "name"));
                f->qh = stmt__report_hash('q', id);
            }
        }
    }
    f->completed = !strcmp(t->verb, VERB_COMPLETED) ||
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "completion"));
    f->pf = !strcmp(t->verb, VERB_PASSED)   ? PF_PASSED
            : !strcmp(t->verb, VERB_FAILED) ? PF_FAILED
                                            : 0;
    {
        const cJSON *score = cJSON_GetObjectItemCaseSensitive(res, "score");
        const cJSON *scaled = cJSON_GetObjectItemCaseSensitive(score, "scaled");
        if (cJSON_IsNumber(scaled)) {
            f->has_score = 1;
            f->scaled = scaled->valuedouble == 0 ? 0.0 : scaled->valuedouble; /* -0 is 0 */
        }
    }
    f->success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "success"));
    t->response = stmt__report_str_member(res, "response");
    if (t->response) {
        f->has_resp = 1;
        f->rh = stmt__report_hash('p', t->response);
    }
    {
        static const char *const kinds[] = {"parent", "grouping", "category", "other"};
        const cJSON *ca = cJSON_GetObjectItemCaseSensitive(ctx, "contextActivities");
        for (size_t k = 0; k < 4; k++) {
            const cJSON *list = cJSON_GetObjectItemCaseSensitive(ca, kinds[k]), *a;
            if (cJSON_IsObject(list)) {
                add_ctx(f, list);
                continue;
            }
            cJSON_ArrayForEach(a, list)
            {
                add_ctx(f, a);
            }
        }
    }
}

int stmt__report_facts(const cJSON *s, struct stmt__rfacts **out)
{
    uint64_t buf[STMT__RFACTS_MAX / 8 + 1];
    struct stmt__rfacts *f = (struct stmt__rfacts *)buf, *c;
    struct stmt__rtexts t;
    size_t n;
    stmt__report_facts_of(s, f, &t);
    n = sizeof *f + f->nctx * sizeof(uint64_t);
    c = sc_malloc(n);
    if (!c)
        return STMT_STORE_ERR_NOMEM;
    memcpy(c, f, n);
    *out = c;
    return STMT_STORE_OK;
}

void stmt__report_facts_free(struct stmt__rfacts *f)
{
    sc_free(f);
}
