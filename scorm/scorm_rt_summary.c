/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration summary record (table "reg_summary", scorm_rt_index.c) as a C struct, and
 * its one codec at the storage edge (issue 15: a string-keyed cJSON record read with a mistyped
 * key silently gave 0 or NULL). The stored text keeps its format, so stores written before read
 * unchanged:
 *
 *   {"completion": "not attempted"|"incomplete"|"completed"|"unknown",
 *    "success": "unknown"|"passed"|"failed", "score"?: number (mean scaled score),
 *    "total_time_cs": number, "last_access"?: ISO 8601,
 *    "scos": {item id: {"c": completion, "s": success, "sc"?: scaled, "t": time_all_cs}}}
 *
 * Decoding is strict: a member of the wrong type or an unknown status is SCORM_RT_ERR_STORE
 * (a corrupt record), never a default.
 */
#include "scorm/scorm_rt_int.h"
#include "common/sc_alloc.h"
#include "statements/stmt_db.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const COMPLETION[] = {"not attempted", "incomplete", "completed", "unknown"};
static const char *const SUCCESS[] = {"unknown", "passed", "failed"};

const char *scorm__completion_name(enum scorm__completion c)
{
    return (unsigned)c < sizeof COMPLETION / sizeof COMPLETION[0] ? COMPLETION[c] : "unknown";
}

const char *scorm__success_name(enum scorm__success s)
{
    return (unsigned)s < sizeof SUCCESS / sizeof SUCCESS[0] ? SUCCESS[s] : "unknown";
}

int scorm__completion_parse(const char *v, enum scorm__completion *out)
{
    for (size_t i = 0; v && i < sizeof COMPLETION / sizeof COMPLETION[0]; i++)
        if (!strcmp(v, COMPLETION[i])) {
            *out = (enum scorm__completion)i;
            return 0;
        }
    return -1;
}

int scorm__success_parse(const char *v, enum scorm__success *out)
{
    for (size_t i = 0; v && i < sizeof SUCCESS / sizeof SUCCESS[0]; i++)
        if (!strcmp(v, SUCCESS[i])) {
            *out = (enum scorm__success)i;
            return 0;
        }
    return -1;
}

void scorm__summary_init(struct scorm__summary *s)
{
    memset(s, 0, sizeof *s);
    s->completion = SCORM__C_NOT_ATTEMPTED;
    s->success = SCORM__S_UNKNOWN;
}

void scorm__summary_free(struct scorm__summary *s)
{
    for (size_t i = 0; s && i < s->n_scos; i++)
        sc_free(s->scos[i].id);
    if (s) {
        sc_free(s->scos);
        scorm__summary_init(s);
    }
}

struct scorm__sco_summary *scorm__summary_sco(struct scorm__summary *s, const char *id, int add)
{
    struct scorm__sco_summary *n;
    for (size_t i = 0; i < s->n_scos; i++)
        if (!strcmp(s->scos[i].id, id))
            return &s->scos[i];
    if (!add)
        return NULL;
    n = sc_realloc(s->scos, (s->n_scos + 1) * sizeof *n);
    if (!n)
        return NULL;
    s->scos = n;
    n = &s->scos[s->n_scos];
    memset(n, 0, sizeof *n);
    n->id = sc_strdup(id);
    if (!n->id)
        return NULL;
    n->c = SCORM__C_NOT_ATTEMPTED;
    n->s = SCORM__S_UNKNOWN;
    s->n_scos++;
    return n;
}

/* a number member: 0 absent (*has 0), 1 present, -1 of another type */
static int num(const cJSON *o, const char *k, double *v, int *has)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    *has = 0;
    if (!x)
        return 0;
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
        return -1;
    *v = x->valuedouble;
    *has = 1;
    return 1;
}

int scorm__summary_decode(const void *text, size_t len, struct scorm__summary *out)
{
    struct scorm__summary s;
    long f0 = sc_alloc_failures();
    cJSON *j = cJSON_ParseWithLength(text, len);
    const cJSON *scos, *x, *la;
    int has, rc = SCORM_RT_ERR_STORE;

    scorm__summary_init(&s);
    if (!cJSON_IsObject(j)) {
        if (sc_alloc_failures() != f0) /* out of memory, not a corrupt record */
            rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if (scorm__completion_parse(
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "completion")),
            &s.completion) ||
        scorm__success_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "success")),
                             &s.success) ||
        num(j, "score", &s.score, &s.has_score) < 0 ||
        num(j, "total_time_cs", &s.total_time_cs, &has) < 0)
        goto out;
    la = cJSON_GetObjectItemCaseSensitive(j, "last_access");
    if (la) {
        if (!cJSON_IsString(la) || strlen(la->valuestring) >= sizeof s.last_access)
            goto out;
        snprintf(s.last_access, sizeof s.last_access, "%s", la->valuestring);
    }
    scos = cJSON_GetObjectItemCaseSensitive(j, "scos");
    if (scos && !cJSON_IsObject(scos))
        goto out;
    cJSON_ArrayForEach(x, scos)
    {
        struct scorm__sco_summary *e;
        enum scorm__completion c;
        enum scorm__success su;
        double t = 0;
        if (!cJSON_IsObject(x) ||
            scorm__completion_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "c")),
                                    &c) ||
            scorm__success_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "s")),
                                 &su) ||
            num(x, "t", &t, &has) < 0)
            goto out;
        if (!(e = scorm__summary_sco(&s, x->string, 1))) {
            rc = SCORM_RT_ERR_NOMEM;
            goto out;
        }
        e->c = c;
        e->s = su;
        e->time_cs = t;
        if (num(x, "sc", &e->scaled, &e->has_scaled) < 0)
            goto out;
    }
    *out = s;
    scorm__summary_init(&s);
    rc = SCORM_RT_OK;
out:
    scorm__summary_free(&s);
    cJSON_Delete(j);
    return rc;
}

int scorm__summary_encode(const struct scorm__summary *s, char **out)
{
    cJSON *j = cJSON_CreateObject(), *scos;
    int ok = j && cJSON_AddStringToObject(j, "completion", scorm__completion_name(s->completion)) &&
             cJSON_AddStringToObject(j, "success", scorm__success_name(s->success)) &&
             (!s->has_score || cJSON_AddNumberToObject(j, "score", s->score)) &&
             cJSON_AddNumberToObject(j, "total_time_cs", s->total_time_cs) &&
             (!s->last_access[0] || cJSON_AddStringToObject(j, "last_access", s->last_access)) &&
             (scos = cJSON_AddObjectToObject(j, "scos")) != NULL;
    for (size_t i = 0; ok && i < s->n_scos; i++) {
        const struct scorm__sco_summary *e = &s->scos[i];
        cJSON *o = cJSON_AddObjectToObject(scos, e->id);
        ok = o && cJSON_AddStringToObject(o, "c", scorm__completion_name(e->c)) &&
             cJSON_AddStringToObject(o, "s", scorm__success_name(e->s)) &&
             (!e->has_scaled || cJSON_AddNumberToObject(o, "sc", e->scaled)) &&
             cJSON_AddNumberToObject(o, "t", e->time_cs);
    }
    *out = ok ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return *out ? SCORM_RT_OK : SCORM_RT_ERR_NOMEM;
}

int scorm__summary_get(struct stmt_db_txn *txn, const char *reg, struct scorm__summary *out)
{
    const void *v;
    size_t vl;
    int rc = scorm__rt_raw(txn, "reg_summary", reg, &v, &vl);
    return rc ? rc : scorm__summary_decode(v, vl, out);
}

int scorm__summary_put(struct stmt_db_txn *txn, const char *reg, const struct scorm__summary *s)
{
    char *text = NULL;
    int rc = scorm__summary_encode(s, &text);
    if (rc)
        return rc;
    rc = stmt_db_put(txn, "reg_summary", reg, strlen(reg), text, strlen(text), 0)
             ? SCORM_RT_ERR_STORE
             : SCORM_RT_OK;
    cJSON_free(text);
    return rc;
}
