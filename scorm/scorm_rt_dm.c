/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server-side validation of SCORM run-time values against runtime_js/datamodel.json, the one
 * declarative data model the browser shim (runtime_js/scorm-api.js) uses too. This file
 * implements the same type kinds and SetValue rules as the shim's Validator and setValue
 * (element lookup, access, keywords, collection order and size, 408 dependencies, type and
 * range, sco_forbidden, length limits, unique and write_once), so a value the shim accepted is
 * accepted here and anything else is refused. Kinds and codes: SCORM 2004 4th ed. RTE 4.1-4.2,
 * SCORM 1.2 RTE 3.4; the strict/lenient split is documented in runtime_js/README.md.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "common/sc_alloc.h"
#include "common/sc_json.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DM_MAX_LEVELS 4
#define DM_MAX_PATH 512

const char *scorm__jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* sc_json_set: a replacement never copies the key (cJSON 1.7.15 does not check that copy) */
void scorm__jset(cJSON *o, const char *name, cJSON *n)
{
    sc_json_set(o, name, n);
}

void scorm__jset_str(cJSON *o, const char *name, const char *v)
{
    scorm__jset(o, name, cJSON_CreateString(v ? v : ""));
}

void scorm__jset_num(cJSON *o, const char *name, double v)
{
    scorm__jset(o, name, cJSON_CreateNumber(v));
}

void scorm__jset_bool(cJSON *o, const char *name, int v)
{
    scorm__jset(o, name, cJSON_CreateBool(v));
}

/* ---- compile ---------------------------------------------------------------------------- */

int scorm__dm_compile(struct scorm__dm *dm, const char *json, size_t len, struct scorm_diag *diag)
{
    const char *models[] = {"scorm12", "scorm2004"};
    const cJSON *it;

    memset(dm, 0, sizeof *dm);
    dm->root = cJSON_ParseWithLength(json, len);
    if (!dm->root) {
        scorm__diag_set(diag, SCORM_RT_ERR_DATAMODEL, 0, "datamodel.json", "not valid JSON");
        return SCORM_RT_ERR_DATAMODEL;
    }
    dm->types = cJSON_GetObjectItemCaseSensitive(dm->root, "types");
    dm->itypes = cJSON_GetObjectItemCaseSensitive(dm->root, "interaction_types");
    dm->itypes12 = cJSON_GetObjectItemCaseSensitive(dm->root, "interaction_types_12");
    dm->vocab = cJSON_GetObjectItemCaseSensitive(dm->root, "vocabularies");
    if (!cJSON_IsObject(dm->types) || !cJSON_IsObject(dm->itypes)) {
        scorm__diag_set(diag, SCORM_RT_ERR_DATAMODEL, 0, "datamodel.json",
                        "types and interaction_types must be objects");
        goto fail;
    }
    for (size_t m = 0; m < 2; m++) {
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(dm->root, "models"), models[m]);
        const cJSON *els = cJSON_GetObjectItemCaseSensitive(model, "elements");
        if (!cJSON_IsObject(els) ||
            !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(model, "containers"))) {
            scorm__diag_set(diag, SCORM_RT_ERR_DATAMODEL, 0, "datamodel.json",
                            "models.%s needs elements and containers", models[m]);
            goto fail;
        }
        cJSON_ArrayForEach(it, els)
        {
            const char *t = scorm__jstr(it, "type");
            if (!t || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(dm->types, t))) {
                scorm__diag_set(diag, SCORM_RT_ERR_DATAMODEL, 0, "datamodel.json",
                                "models.%s.elements[\"%s\"].type is not in types", models[m],
                                it->string);
                goto fail;
            }
        }
    }
    cJSON_ArrayForEach(it, dm->itypes12)
    {
        const char *re = scorm__jstr(it, "regex");
        if (!re || dm->n_re12 >= (int)(sizeof dm->re12 / sizeof dm->re12[0]))
            continue;
        if (regcomp(&dm->re12[dm->n_re12], re, REG_EXTENDED | REG_NOSUB)) {
            scorm__diag_set(diag, SCORM_RT_ERR_DATAMODEL, 0, "datamodel.json",
                            "interaction_types_12.%s.regex does not compile", it->string);
            goto fail;
        }
        dm->re12_type[dm->n_re12++] = it;
    }
    return SCORM_RT_OK;
fail:
    scorm__dm_free(dm);
    return SCORM_RT_ERR_DATAMODEL;
}

void scorm__dm_free(struct scorm__dm *dm)
{
    for (int i = 0; i < dm->n_re12; i++)
        regfree(&dm->re12[i]);
    cJSON_Delete(dm->root);
    memset(dm, 0, sizeof *dm);
}

/* ---- paths and collections ------------------------------------------------------------- */

struct dm_path {
    char tpl[DM_MAX_PATH];
    int nidx;
    long idx[DM_MAX_LEVELS];
    size_t coll_len[DM_MAX_LEVELS]; /* length of the concrete prefix before each index */
    int kw;                         /* ends in _children/_count/_version */
    int target;                     /* adl.nav.request_valid.choice/jump.{target=...} */
    int bad;                        /* an index that is not a canonical integer */
};

static int parse_path(const char *path, struct dm_path *p)
{
    static const char nv[] = "adl.nav.request_valid.";
    size_t tl = 0, n = strlen(path);
    memset(p, 0, sizeof *p);
    if (!n || n >= DM_MAX_PATH)
        return -1;
    if (!strncmp(path, nv, sizeof nv - 1)) {
        const char *rest = path + sizeof nv - 1;
        if ((!strncmp(rest, "choice.{target=", 15) || !strncmp(rest, "jump.{target=", 13)) &&
            path[n - 1] == '}') {
            snprintf(p->tpl, sizeof p->tpl, "%s%s", nv,
                     rest[0] == 'c' ? "choice.{target=}" : "jump.{target=}");
            p->target = 1;
            return 0;
        }
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && path[j] != '.')
            j++;
        if (j == i)
            return -1;
        if (isdigit((unsigned char)path[i])) {
            if (!scorm__dm_all_digits(path + i, j - i) || (path[i] == '0' && j - i > 1) ||
                j - i > 9) {
                p->bad = 1;
                return 0;
            }
            if (p->nidx >= DM_MAX_LEVELS)
                return -1;
            p->idx[p->nidx] = strtol(path + i, NULL, 10);
            p->coll_len[p->nidx++] = i ? i - 1 : 0;
            if (tl + 2 >= sizeof p->tpl)
                return -1;
            p->tpl[tl++] = 'n';
        } else {
            if (tl + (j - i) + 1 >= sizeof p->tpl)
                return -1;
            memcpy(p->tpl + tl, path + i, j - i);
            tl += j - i;
        }
        if (j < n)
            p->tpl[tl++] = '.';
        i = j + 1;
        if (j == n - 1)
            return -1; /* trailing dot */
    }
    p->tpl[tl] = 0;
    const char *last = strrchr(p->tpl, '.');
    last = last ? last + 1 : p->tpl;
    if (!strcmp(last, "_children") || !strcmp(last, "_count") || !strcmp(last, "_version")) {
        p->kw = 1;
        if (last > p->tpl)
            p->tpl[last - p->tpl - 1] = 0;
    }
    return 0;
}

/* "cmi.interactions.3.objectives" -> counts key is the concrete prefix itself. */
static long count_of(const cJSON *counts, const char *prefix, size_t len)
{
    char key[DM_MAX_PATH];
    if (len >= sizeof key)
        return 0;
    memcpy(key, prefix, len);
    key[len] = 0;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(counts, key);
    return cJSON_IsNumber(c) ? (long)c->valuedouble : 0;
}

static void set_count(cJSON *counts, const char *prefix, size_t len, long n)
{
    char key[DM_MAX_PATH];
    if (len >= sizeof key)
        return;
    memcpy(key, prefix, len);
    key[len] = 0;
    scorm__jset_num(counts, key, (double)n);
}

cJSON *scorm__dm_counts(const cJSON *values)
{
    cJSON *counts = cJSON_CreateObject();
    const cJSON *it;
    struct dm_path p;
    if (!counts)
        return NULL;
    cJSON_ArrayForEach(it, values)
    {
        if (parse_path(it->string, &p) || p.bad || p.kw)
            continue;
        for (int i = 0; i < p.nidx; i++)
            if (count_of(counts, it->string, p.coll_len[i]) <= p.idx[i])
                set_count(counts, it->string, p.coll_len[i], p.idx[i] + 1);
    }
    return counts;
}

/* The template of a concrete prefix ("cmi.interactions.2.objectives" -> "...n.objectives"). */
static void tpl_of(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < outlen;) {
        size_t j = i;
        while (j < n && s[j] != '.')
            j++;
        if (isdigit((unsigned char)s[i]))
            out[o++] = 'n';
        else
            for (size_t k = i; k < j && o + 2 < outlen; k++)
                out[o++] = s[k];
        if (j < n)
            out[o++] = '.';
        i = j + 1;
    }
    out[o] = 0;
}

static const char *concrete(char *buf, size_t buflen, const char *path, size_t plen, long idx,
                            const char *leaf)
{
    snprintf(buf, buflen, "%.*s.%ld.%s", (int)plen, path, idx, leaf);
    return buf;
}

int scorm__dm_set(const struct scorm__dm *dm, const char *model_name, int strict, cJSON *values,
                  cJSON *counts, const char *path, const char *value, char *why, size_t whylen)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(dm->root, "models"), model_name);
    const cJSON *els = cJSON_GetObjectItemCaseSensitive(model, "elements");
    const cJSON *conts = cJSON_GetObjectItemCaseSensitive(model, "containers");
    int is12 = !strcmp(model_name, "scorm12");
    struct dm_path p;
    char buf[DM_MAX_PATH + 64], tb[DM_MAX_PATH];
    const cJSON *el, *t;
    int created = -1, levels = 0, code;
    const char *itype = NULL;

#define FAIL(c, ...)                                                                               \
    do {                                                                                           \
        if (why)                                                                                   \
            snprintf(why, whylen, __VA_ARGS__);                                                    \
        return (c);                                                                                \
    } while (0)

    if (!model)
        FAIL(401, "unknown data model %s", model_name);
    if (parse_path(path, &p))
        FAIL(401, "\"%.200s\" is not a data model element", path);
    if (p.bad)
        FAIL(351, "\"%.200s\": collection index is not a canonical integer", path);
    if (p.kw) {
        if (cJSON_GetObjectItemCaseSensitive(conts, p.tpl) ||
            cJSON_GetObjectItemCaseSensitive(els, p.tpl))
            FAIL(404, "\"%.200s\" is a keyword and read-only (RTE 4.1.1)", path);
        FAIL(401, "\"%.200s\" is not defined", path);
    }
    el = cJSON_GetObjectItemCaseSensitive(els, p.tpl);
    if (!el)
        FAIL(401, "\"%.200s\" is not a data model element (RTE 4.2)", path);
    if (p.target)
        FAIL(404, "\"%.200s\" is read-only", path);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(el, "unimplemented")))
        FAIL(402, "\"%.200s\" is not implemented", path);
    {
        const char *acc = scorm__jstr(el, "access");
        if (acc && !strcmp(acc, "RO"))
            FAIL(404, "\"%.200s\" is read-only (RTE 4.2)", path);
    }
    if (p.nidx) {
        for (int i = 0; i < p.nidx; i++) {
            long n = created >= 0 ? 0 : count_of(counts, path, p.coll_len[i]);
            if (p.idx[i] > n)
                FAIL(351, "\"%.200s\": index %ld is beyond _count %ld (RTE 4.1.3)", path, p.idx[i],
                     n);
            if (p.idx[i] == n) {
                if (created < 0)
                    created = i;
                levels++;
            }
        }
        if (levels > 1 && !cJSON_GetObjectItemCaseSensitive(el, "depends"))
            FAIL(351, "\"%.200s\": the enclosing entry does not exist", path);
        if (!strcmp(p.tpl, "adl.data.n.store"))
            /* the stores are the SCO's adlcp:map entries, not attempt values: a commit writes
             * them through scorm_rt_data_set (scorm_rt_data.c); here no map is known */
            FAIL(351, "\"%.200s\": no adlcp:map store at this index (CAM 4th 3.4.1.14)", path);
        if (created >= 0) {
            const cJSON *ct;
            double max = 0;
            tpl_of(path, p.coll_len[created], tb, sizeof tb);
            ct = cJSON_GetObjectItemCaseSensitive(conts, tb);
            if (ct) {
                const cJSON *mx = cJSON_GetObjectItemCaseSensitive(ct, "max");
                const cJSON *lmx = cJSON_GetObjectItemCaseSensitive(ct, "lenient_max");
                max = cJSON_IsNumber(mx) ? mx->valuedouble : 0;
                if (!strict && cJSON_IsNumber(lmx))
                    max = lmx->valuedouble;
                if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ct, "max_by_type"))) {
                    /* the entry's interaction: prefix up to ".correct_responses" */
                    const char *dot = NULL;
                    for (size_t k = p.coll_len[created]; k > 0; k--)
                        if (path[k - 1] == '.') {
                            dot = path + k - 1;
                            break;
                        }
                    const char *ty = NULL;
                    if (dot) {
                        snprintf(buf, sizeof buf, "%.*s.type", (int)(dot - path), path);
                        ty = scorm__jstr(values, buf);
                    }
                    const cJSON *g = ty ? cJSON_GetObjectItemCaseSensitive(dm->itypes, ty) : NULL;
                    double pm =
                        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "patterns_max"));
                    max = g && pm == pm ? (strict ? pm : pm * 10) : 0;
                }
            }
            if (max > 0 && (double)p.idx[created] >= max)
                FAIL(351, "\"%.200s\": collection is full (%.0f entries)", path, max);
        }
    }
    /* dependencies (2004 RTE 4.2.9: 408) */
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(el, "depends");
    if (deps && !is12) {
        const cJSON *d;
        cJSON_ArrayForEach(d, deps)
        {
            if (!cJSON_IsString(d))
                continue;
            int up = d->valuestring[0] == '^';
            const char *name = d->valuestring + up;
            int lvl = p.nidx - (up ? 2 : 1);
            const char *dv;
            if (lvl >= 0)
                concrete(buf, sizeof buf, path, p.coll_len[lvl], p.idx[lvl], name);
            else
                snprintf(buf, sizeof buf, "%s", name);
            dv = scorm__jstr(values, buf);
            if (!dv)
                FAIL(408, "\"%.200s\" needs %.200s first (RTE 4.2.9, 408)", path, buf);
            if (!strcmp(name, "type"))
                itype = dv;
        }
    }
    t = cJSON_GetObjectItemCaseSensitive(dm->types, scorm__jstr(el, "type"));
    const char *kind = scorm__jstr(t, "kind");
    if (!itype && kind &&
        (!strcmp(kind, "response12") || !strcmp(kind, "pattern12") || !strcmp(kind, "response") ||
         !strcmp(kind, "pattern")) &&
        p.nidx) {
        concrete(buf, sizeof buf, path, p.coll_len[0], p.idx[0], "type");
        itype = scorm__jstr(values, buf);
    }
    if (!strict && scorm__jstr(el, "lenient_type"))
        t = cJSON_GetObjectItemCaseSensitive(dm->types, scorm__jstr(el, "lenient_type"));
    if (scorm__dm_in_values(cJSON_GetObjectItemCaseSensitive(el, "sco_forbidden"), value))
        FAIL(406, "the SCO may not set \"%.200s\" to \"%.60s\"", path, value);
    code = scorm__dm_check_type(dm, strict, t, value, itype);
    if (code)
        FAIL(code, "\"%.200s\" value %s (datamodel.json type %s, RTE 4.2)", path,
             code == 407 ? "is out of range" : "does not match its type", scorm__jstr(el, "type"));
    /* length: 1.2 limits are maximums (strict spm, lenient lenient_max); 2004 SPMs are
     * minimums, values are stored in full up to value_max (RTE 4.1.1.5) */
    {
        double spm = 0, lmax = 0, vmax = 0, lim;
        const cJSON *tt = cJSON_GetObjectItemCaseSensitive(dm->types, scorm__jstr(el, "type"));
        if (!scorm__dm_num_field(el, "spm", &spm))
            scorm__dm_num_field(tt, "spm", &spm);
        scorm__dm_num_field(el, "lenient_max", &lmax);
        scorm__dm_num_field(model, "value_max", &vmax);
        lim = is12 ? (strict ? spm : (lmax > 0 ? lmax : spm)) : (spm > vmax ? spm : vmax);
        if (lim > 0 && scorm__dm_char_len(value) > (size_t)lim)
            FAIL(is12 ? 406 : 351, "\"%.200s\" has %zu characters, limit %.0f", path,
                 scorm__dm_char_len(value), lim);
    }
    if (!is12 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(el, "unique")) && p.nidx) {
        int lv = p.nidx - 1;
        long n = count_of(counts, path, p.coll_len[lv]);
        const char *leaf = strrchr(p.tpl, '.') + 1;
        for (long k = 0; k < n; k++) {
            const char *o;
            if (k == p.idx[lv])
                continue;
            concrete(buf, sizeof buf, path, p.coll_len[lv], k, leaf);
            o = scorm__jstr(values, buf);
            if (o && !strcmp(o, value))
                FAIL(351, "\"%.200s\": \"%.100s\" is already used in the collection (RTE 4.2.17)",
                     path, value);
        }
    }
    if (!is12 && itype && kind && !strcmp(kind, "pattern")) {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(dm->itypes, itype);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "unique_patterns"))) {
            int lv = p.nidx - 1;
            long n = count_of(counts, path, p.coll_len[lv]);
            for (long k = 0; k < n; k++) {
                const char *o;
                if (k == p.idx[lv])
                    continue;
                concrete(buf, sizeof buf, path, p.coll_len[lv], k, "pattern");
                o = scorm__jstr(values, buf);
                if (o && !strcmp(o, value))
                    FAIL(351, "\"%.200s\": the same correct response exists (RTE 4.2.9.1)", path);
            }
        }
    }
    if (!is12 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(el, "write_once"))) {
        const char *old = scorm__jstr(values, path);
        if (old && strcmp(old, value))
            FAIL(351, "\"%.200s\" is already \"%.100s\" and may not change (RTE 4.2.17.1)", path,
                 old);
    }
    /* apply */
    if (!*value && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(el, "empty_is_unset")))
        cJSON_DeleteItemFromObjectCaseSensitive(values, path);
    else
        scorm__jset_str(values, path, value);
    if (created >= 0)
        set_count(counts, path, p.coll_len[created], p.idx[created] + 1);
    if (why && whylen)
        why[0] = 0;
    return 0;
#undef FAIL
}
