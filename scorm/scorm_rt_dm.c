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

/* cJSON_ReplaceItemInObject copies the key without checking the copy (cJSON 1.7.15): after an
 * allocation failure the object held a member without a name. The old member's key moves to
 * the new one instead (no allocation); a failed add frees the new member. */
void scorm__jset(cJSON *o, const char *name, cJSON *n)
{
    cJSON *old;
    if (!n)
        return;
    old = cJSON_GetObjectItemCaseSensitive(o, name);
    if (old && old->string && !(old->type & cJSON_StringIsConst)) {
        n->string = old->string;
        n->type &= ~cJSON_StringIsConst;
        old->string = NULL;
        cJSON_ReplaceItemViaPointer(o, old, n);
    } else if (old) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(o, name, n))
            cJSON_Delete(n);
    } else if (!cJSON_AddItemToObject(o, name, n)) {
        cJSON_Delete(n);
    }
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

/* ---- value kinds (the shim's Validator, one function per kind) ------------------------- */

/* Characters = code points (SPMs count characters, RTE 4.1.1.5). */
static size_t char_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int all_digits(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* real(10,7): [-+]? (\d+(\.\d*)? | \.\d+) */
static int is_real_n(const char *s, size_t n)
{
    size_t i = 0, d1 = 0, d2 = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < n && isdigit((unsigned char)s[i]))
        i++, d1++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit((unsigned char)s[i]))
            i++, d2++;
    }
    return i == n && (d1 || d2);
}
static int is_real(const char *s)
{
    return is_real_n(s, strlen(s));
}

/* CMIDecimal: -? (\d+(\.\d+)? | \.\d+) */
static int is_dec12(const char *s)
{
    size_t i = 0, n = strlen(s), d1 = 0, d2 = 0;
    if (s[0] == '-')
        i++;
    while (i < n && isdigit((unsigned char)s[i]))
        i++, d1++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit((unsigned char)s[i]))
            i++, d2++;
        if (!d2)
            return 0;
    }
    return i == n && (d1 || d2);
}

static int in_values(const cJSON *arr, const char *v)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr)
    {
        if (cJSON_IsString(x) && !strcmp(x->valuestring, v))
            return 1;
    }
    return 0;
}

static int has_space(const char *s)
{
    for (; *s; s++)
        if (isspace((unsigned char)*s))
            return 1;
    return 0;
}

static int in_vocab_ci(const cJSON *arr, const char *v, size_t n)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr)
    {
        if (cJSON_IsString(x) && strlen(x->valuestring) == n && !strncasecmp(x->valuestring, v, n))
            return 1;
    }
    return 0;
}

/* RFC 3066 language tag (RTE 4.2 language_type). */
static int check_language(const struct scorm__dm *dm, int strict, const char *v, size_t n,
                          int allow_empty)
{
    size_t i = 0, seg = 0, first = 1, plen = 0;
    if (!n)
        return allow_empty ? 0 : 406;
    for (i = 0; i <= n; i++) {
        if (i == n || v[i] == '-') {
            if (seg == 0 || seg > 8)
                return 406;
            if (first)
                plen = seg;
            first = 0;
            seg = 0;
            continue;
        }
        if (first ? !isalpha((unsigned char)v[i]) : !isalnum((unsigned char)v[i]))
            return 406;
        seg++;
    }
    if (!strict)
        return 0;
    if ((plen == 1 && (v[0] == 'i' || v[0] == 'I' || v[0] == 'x' || v[0] == 'X')) ||
        (plen == 2 && in_vocab_ci(cJSON_GetObjectItemCaseSensitive(dm->vocab, "iso639_1"), v, 2)) ||
        (plen == 3 && in_vocab_ci(cJSON_GetObjectItemCaseSensitive(dm->vocab, "iso639_2"), v, 3)))
        return 0;
    return 406;
}

static int uri_char(int c)
{
    return isalnum(c) || strchr("-._~:/?#@!$&'()*+,;=%", c) != NULL;
}

/* long/short identifier: strict RFC 3986 characters and urn:NID:NSS; lenient: no whitespace. */
static int check_identifier(int strict, const char *v, size_t n)
{
    if (!n)
        return 406;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (isspace(c) || (strict && !uri_char(c)))
            return 406;
    }
    if (strict && n >= 4 && !strncasecmp(v, "urn:", 4)) {
        size_t i = 4, nid = 0;
        if (i >= n || !isalnum((unsigned char)v[i]))
            return 406;
        while (i < n && (isalnum((unsigned char)v[i]) || v[i] == '-'))
            i++, nid++;
        if (nid > 32 || i >= n || v[i] != ':' || i + 1 >= n)
            return 406;
    }
    return 0;
}

/* localized_string_type: optional {lang=<language>} prefix then a characterstring. */
static int check_localized(const struct scorm__dm *dm, int strict, const char *v, size_t n)
{
    if (n >= 6 && !strncmp(v, "{lang=", 6)) {
        const char *end = memchr(v, '}', n);
        if (!end)
            return 406;
        if (check_language(dm, strict, v + 6, (size_t)(end - v - 6), 0))
            return 406;
    }
    return 0;
}

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* time(second,10,0): YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], years 1970..2038 (RTE 4.2). */
static int check_time(const char *v)
{
    size_t n = strlen(v), i;
    int y, mo = 0;
    if (n < 4 || !all_digits(v, 4))
        return 406;
    y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
    if (y < 1970 || y > 2038)
        return 406;
    i = 4;
    if (i == n)
        return 0;
    if (v[i] != '-' || i + 3 > n || !all_digits(v + i + 1, 2))
        return 406;
    mo = num2(v + i + 1);
    if (mo < 1 || mo > 12)
        return 406;
    i += 3;
    if (i == n)
        return 0;
    if (v[i] != '-' || i + 3 > n || !all_digits(v + i + 1, 2))
        return 406;
    int d = num2(v + i + 1);
    if (d < 1 || d > days_in(y, mo))
        return 406;
    i += 3;
    if (i == n)
        return 0;
    if (v[i] != 'T' || i + 3 > n || !all_digits(v + i + 1, 2) || num2(v + i + 1) > 23)
        return 406;
    i += 3;
    if (i == n)
        return 0;
    if (v[i] != ':' || i + 3 > n || !all_digits(v + i + 1, 2) || num2(v + i + 1) > 59)
        return 406;
    i += 3;
    if (i == n)
        return 0;
    if (v[i] != ':' || i + 3 > n || !all_digits(v + i + 1, 2) || num2(v + i + 1) > 59)
        return 406;
    i += 3;
    if (i == n)
        return 0;
    if (v[i] != '.')
        return 406;
    i++;
    size_t f = 0;
    while (i < n && isdigit((unsigned char)v[i]))
        i++, f++;
    if (f < 1 || f > 2)
        return 406;
    if (i == n)
        return 0;
    if (v[i] == 'Z')
        return i + 1 == n ? 0 : 406;
    if (v[i] != '+' && v[i] != '-')
        return 406;
    i++;
    if (i + 2 > n || !all_digits(v + i, 2) || num2(v + i) > 23)
        return 406;
    i += 2;
    if (i == n)
        return 0;
    if (v[i] != ':' || i + 3 != n || !all_digits(v + i + 1, 2) || num2(v + i + 1) > 59)
        return 406;
    return 0;
}

/* ISO 8601 duration P[nY][nM][nD][T[nH][nM][n[.n]S]] -> parts; 0 ok, 406 malformed. */
static int parse_duration(const char *v, int strict, int64_t *cs_out)
{
    const char *p = v;
    int64_t days = 0, secs = 0, cs = 0;
    int any = 0, in_time = 0, time_any = 0;
    const char *order_d = "YMD", *order_t = "HMS";
    size_t od = 0, ot = 0;
    if (*p++ != 'P')
        return 406;
    while (*p) {
        if (*p == 'T') {
            if (in_time)
                return 406;
            in_time = 1;
            p++;
            continue;
        }
        const char *s = p;
        while (isdigit((unsigned char)*p))
            p++;
        if (p == s)
            return 406;
        int64_t num = 0;
        for (const char *q = s; q < p; q++) {
            if (num > 100000000000LL)
                return 406;
            num = num * 10 + (*q - '0');
        }
        int64_t frac = 0;
        if (*p == '.') {
            const char *fs = ++p;
            while (isdigit((unsigned char)*p))
                p++;
            if (p == fs || !in_time || *p != 'S')
                return 406;
            if (strict && p - fs > 2)
                return 406;
            /* centiseconds: first two fraction digits, rounded by the third */
            int d1 = fs[0] - '0', d2 = p - fs > 1 ? fs[1] - '0' : 0,
                d3 = p - fs > 2 ? fs[2] - '0' : 0;
            frac = d1 * 10 + d2 + (d3 >= 5 ? 1 : 0);
        }
        char u = *p++;
        if (!in_time) {
            const char *at = strchr(order_d + od, u);
            if (!u || !at)
                return 406;
            od = (size_t)(at - order_d) + 1;
            days += u == 'Y' ? num * 365 : u == 'M' ? num * 30 : num;
        } else {
            const char *at = strchr(order_t + ot, u);
            if (!u || !at)
                return 406;
            ot = (size_t)(at - order_t) + 1;
            secs += u == 'H' ? num * 3600 : u == 'M' ? num * 60 : num;
            cs += frac;
            time_any = 1;
        }
        any = 1;
    }
    if (!any || (in_time && !time_any))
        return 406;
    if (cs_out)
        *cs_out = (days * 86400 + secs) * 100 + cs;
    return 0;
}

int64_t scorm_rt_duration_cs(const char *s)
{
    int64_t cs;
    if (!s || parse_duration(s, 0, &cs))
        return -1;
    return cs;
}

/* CMITimespan HHHH:MM:SS[.S{1,2}] (hours 2-4 digits). */
static int parse_timespan12(const char *v, int is_time, int64_t *cs_out)
{
    size_t n = strlen(v), h = 0;
    while (h < n && isdigit((unsigned char)v[h]))
        h++;
    if (is_time ? h != 2 : (h < 2 || h > 4))
        return 406;
    if (h + 6 > n || v[h] != ':' || !all_digits(v + h + 1, 2) || v[h + 3] != ':' ||
        !all_digits(v + h + 4, 2))
        return 406;
    int64_t hh = 0;
    for (size_t i = 0; i < h; i++)
        hh = hh * 10 + (v[i] - '0');
    int mm = num2(v + h + 1), ss = num2(v + h + 4);
    if (mm > 59 || ss > 59 || (is_time && hh > 23))
        return 406;
    size_t i = h + 6;
    int64_t frac = 0;
    if (i < n) {
        if (v[i] != '.' || n - i - 1 < 1 || n - i - 1 > 2 || !all_digits(v + i + 1, n - i - 1))
            return 406;
        frac = (v[i + 1] - '0') * 10 + (n - i - 1 == 2 ? v[i + 2] - '0' : 0);
    }
    if (cs_out)
        *cs_out = ((hh * 3600) + mm * 60 + ss) * 100 + frac;
    return 0;
}

int64_t scorm_rt_timespan12_cs(const char *s)
{
    int64_t cs;
    if (!s || parse_timespan12(s, 0, &cs))
        return -1;
    return cs;
}

void scorm_rt_cs_duration(int64_t cs, char *out, size_t outlen)
{
    /* The shim's csToDuration, byte for byte (runtime_js/scorm-api.js): days, then only the
     * non-zero parts, e.g. "PT1M", "PT2H20S", "P29D"; "PT0H0M0S" for zero. The ADL CTS DMB
     * script compares cmi.total_time as a string in this form. */
    char t[64];
    int64_t s, f, d, h, m;
    int tl;
    if (cs <= 0) {
        snprintf(out, outlen, "PT0H0M0S");
        return;
    }
    s = cs / 100;
    f = cs % 100;
    d = s / 86400;
    h = (s % 86400) / 3600;
    m = (s % 3600) / 60;
    s %= 60;
    tl = 0;
    t[0] = '\0';
    if (h)
        tl += snprintf(t + tl, sizeof t - (size_t)tl, "%lldH", (long long)h);
    if (m)
        tl += snprintf(t + tl, sizeof t - (size_t)tl, "%lldM", (long long)m);
    if (f)
        snprintf(t + tl, sizeof t - (size_t)tl, "%lld.%02lldS", (long long)s, (long long)f);
    else if (s)
        snprintf(t + tl, sizeof t - (size_t)tl, "%lldS", (long long)s);
    if (d)
        snprintf(out, outlen, "P%lldD%s%s", (long long)d, t[0] ? "T" : "", t);
    else
        snprintf(out, outlen, "PT%s", t);
}

void scorm_rt_cs_timespan12(int64_t cs, char *out, size_t outlen)
{
    if (cs < 0)
        cs = 0;
    int64_t s = cs / 100, f = cs % 100;
    int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
    if (h > 9999)
        h = 9999;
    snprintf(out, outlen, "%04lld:%02lld:%02lld.%02lld", (long long)h, (long long)m, (long long)sec,
             (long long)f);
}

/* Split v on the literal separator sep; calls fn per item; stops at the first non-zero. */
static int split_each(const char *v, size_t n, const char *sep,
                      int (*fn)(void *, const char *, size_t), void *ctx, size_t *count)
{
    size_t sl = sep ? strlen(sep) : 0, start = 0;
    *count = 0;
    for (size_t i = 0; i <= n;) {
        if (i == n || (sl && i + sl <= n && !memcmp(v + i, sep, sl))) {
            (*count)++;
            if (fn) {
                int c = fn(ctx, v + start, i - start);
                if (c)
                    return c;
            }
            if (i == n)
                break;
            i += sl;
            start = i;
            continue;
        }
        i++;
    }
    return 0;
}

static const char *find_sub(const char *s, size_t n, const char *sub)
{
    size_t m = strlen(sub);
    for (size_t i = 0; i + m <= n; i++)
        if (!memcmp(s + i, sub, m))
            return s + i;
    return NULL;
}

struct item_ctx {
    const struct scorm__dm *dm;
    int strict, is_pattern;
    const char *kind;
    const char *seen[300];
    size_t seen_len[300];
    size_t nseen;
    int unique;
};

static int range_ok(const char *s, size_t n)
{
    const char *c = find_sub(s, n, "[:]");
    if (!c)
        return 0;
    const char *a = s, *b = c + 3;
    size_t al = (size_t)(c - s), bl = n - al - 3;
    if (find_sub(b, bl, "[:]"))
        return 0;
    char ab[64], bb[64];
    if ((al && !is_real_n(a, al)) || (bl && !is_real_n(b, bl)))
        return 0;
    if (al && bl && al < sizeof ab && bl < sizeof bb) {
        memcpy(ab, a, al);
        ab[al] = 0;
        memcpy(bb, b, bl);
        bb[bl] = 0;
        if (strtod(ab, NULL) > strtod(bb, NULL))
            return 0;
    }
    return 1;
}

static int check_item(void *vctx, const char *it, size_t n)
{
    struct item_ctx *c = vctx;
    int rc = 0;
    if (!strcmp(c->kind, "boolean")) {
        rc = (n == 4 && !memcmp(it, "true", 4)) || (n == 5 && !memcmp(it, "false", 5)) ? 0 : 406;
    } else if (!strcmp(c->kind, "short_identifier")) {
        rc = check_identifier(c->strict, it, n);
        if (!rc && c->strict && find_sub(it, n, "[.]"))
            rc = 406;
    } else if (!strcmp(c->kind, "localized_string")) {
        rc = check_localized(c->dm, c->strict, it, n);
    } else if (!strcmp(c->kind, "pair")) {
        const char *d = find_sub(it, n, "[.]");
        if (!d || find_sub(d + 3, n - (size_t)(d - it) - 3, "[.]"))
            rc = 406;
        else
            rc = check_identifier(c->strict, it, (size_t)(d - it)) ||
                         check_identifier(c->strict, d + 3, n - (size_t)(d - it) - 3)
                     ? 406
                     : 0;
    } else if (!strcmp(c->kind, "step")) {
        const char *d = find_sub(it, n, "[.]");
        size_t al, bl;
        if (!d || find_sub(d + 3, n - (size_t)(d - it) - 3, "[.]"))
            return 406;
        al = (size_t)(d - it);
        bl = n - al - 3;
        if (!al && !bl)
            return 406;
        if (al)
            rc = check_identifier(c->strict, it, al);
        if (!rc && bl && c->is_pattern && find_sub(d + 3, bl, "[:]"))
            rc = range_ok(d + 3, bl) ? 0 : 406;
    } else if (!strcmp(c->kind, "real")) {
        rc = is_real_n(it, n) ? 0 : 406;
    } else if (!strcmp(c->kind, "string")) {
        rc = 0;
    } else {
        rc = 406;
    }
    if (rc)
        return rc;
    if (c->unique) {
        for (size_t i = 0; i < c->nseen; i++)
            if (c->seen_len[i] == n && !memcmp(c->seen[i], it, n))
                return 406;
        if (c->nseen < sizeof c->seen / sizeof c->seen[0]) {
            c->seen[c->nseen] = it;
            c->seen_len[c->nseen++] = n;
        }
    }
    return 0;
}

/* Interaction response / pattern grammar (RTE 4.2.9.1, 4.2.9.2), as the shim. */
static int check_interaction(const struct scorm__dm *dm, int strict, const char *v,
                             const char *itype, int is_pattern)
{
    const cJSON *g = itype ? cJSON_GetObjectItemCaseSensitive(dm->itypes, itype) : NULL;
    const cJSON *prefixes = cJSON_GetObjectItemCaseSensitive(g, "pattern_prefixes");
    const char *item = scorm__jstr(g, "item"), *sep = scorm__jstr(g, "separator");
    const char *rest = v, *lang = NULL;
    size_t lang_len = 0;
    int seen_case = 0, seen_order = 0;
    char *joined = NULL;
    int rc = 0;
    if (!g || !item)
        return 406;
    for (;;) {
        const char *names[] = {"case_matters", "order_matters", "lang"};
        size_t k, nl = 0;
        if (rest[0] != '{')
            break;
        for (k = 0; k < 3; k++) {
            nl = strlen(names[k]);
            if (!strncmp(rest + 1, names[k], nl) && rest[1 + nl] == '=')
                break;
        }
        if (k == 3)
            break;
        const char *val = rest + 2 + nl, *end = strchr(val, '}');
        if (!end)
            break;
        size_t vl = (size_t)(end - val);
        if (k == 2) {
            if (strcmp(item, "localized_string") || lang)
                break;
            lang = rest;
            lang_len = (size_t)(end + 1 - rest);
        } else {
            int allowed = is_pattern && in_values(prefixes, names[k]);
            int *seen = k == 0 ? &seen_case : &seen_order;
            if (!allowed || *seen ||
                !((vl == 4 && !strncmp(val, "true", 4)) ||
                  (vl == 5 && !strncmp(val, "false", 5)))) {
                if (lang || !is_pattern)
                    break;
                return 406;
            }
            *seen = 1;
        }
        rest = end + 1;
    }
    if (lang) {
        size_t rl = strlen(rest);
        joined = sc_malloc(lang_len + rl + 1);
        if (!joined)
            return 406;
        memcpy(joined, lang, lang_len);
        memcpy(joined + lang_len, rest, rl + 1);
        rest = joined;
    }
    size_t n = strlen(rest);
    if (is_pattern && scorm__jstr(g, "pattern_kind") &&
        !strcmp(scorm__jstr(g, "pattern_kind"), "range")) {
        if (!strict && is_real(rest))
            rc = 0;
        else
            rc = range_ok(rest, n) ? 0 : 406;
        goto out;
    }
    if (!n) {
        rc = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "allow_empty")) || !strict ? 0 : 406;
        goto out;
    }
    size_t count;
    split_each(rest, n, sep, NULL, NULL, &count);
    int items_max = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "items_max"));
    if (strict && (int)count > items_max) {
        rc = 406;
        goto out;
    }
    if (!sep && items_max == 1 && strcmp(item, "localized_string") && strcmp(item, "string") &&
        find_sub(rest, n, "[,]")) {
        rc = 406;
        goto out;
    }
    struct item_ctx *ic = sc_calloc(1, sizeof *ic);
    if (!ic) {
        rc = 406;
        goto out;
    }
    ic->dm = dm;
    ic->strict = strict;
    ic->is_pattern = is_pattern;
    ic->kind = item;
    ic->unique = strict && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "unique_items"));
    rc = split_each(rest, n, sep, check_item, ic, &count);
    sc_free(ic);
out:
    sc_free(joined);
    return rc;
}

/* SCORM 1.2 CMIFeedback by interaction type (1.2 RTE 3.4.2). */
static int check_feedback12(const struct scorm__dm *dm, int strict, const char *v,
                            const char *itype)
{
    const cJSON *t = itype ? cJSON_GetObjectItemCaseSensitive(dm->itypes12, itype) : NULL;
    if (!strict || !t) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(dm->itypes12, "_lenient");
        double spm = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(l, "spm"));
        if (spm != spm || spm <= 0)
            spm = 4096;
        return char_len(v) <= (size_t)spm ? 0 : 406;
    }
    for (int i = 0; i < dm->n_re12; i++)
        if (dm->re12_type[i] == t && regexec(&dm->re12[i], v, 0, NULL, 0))
            return 406;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "decimal")) && !is_dec12(v))
        return 406;
    const cJSON *spm = cJSON_GetObjectItemCaseSensitive(t, "spm");
    if (cJSON_IsNumber(spm) && char_len(v) > (size_t)spm->valuedouble)
        return 406;
    return 0;
}

static int num_field(const cJSON *t, const char *name, double *out)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(t, name);
    if (!cJSON_IsNumber(x))
        return 0;
    *out = x->valuedouble;
    return 1;
}

/* Validate value v against type t (the shim's Validator.check). */
static int check_type(const struct scorm__dm *dm, int strict, const cJSON *t, const char *v,
                      const char *itype)
{
    const char *kind = scorm__jstr(t, "kind");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(t, "values");
    double lo, hi, x;
    if (!kind)
        return 406;
    if (!strcmp(kind, "string"))
        return 0;
    if (!strcmp(kind, "vocab"))
        return in_values(values, v) ? 0 : 406;
    if (!strcmp(kind, "real")) {
        if (!is_real(v))
            return 406;
        x = strtod(v, NULL);
        if ((num_field(t, "min", &lo) && x < lo) || (num_field(t, "max", &hi) && x > hi))
            return 407;
        return 0;
    }
    if (!strcmp(kind, "vocab_or_real")) {
        const char *rk = scorm__jstr(t, "real_kind");
        if (in_values(values, v))
            return 0;
        return (rk && !strcmp(rk, "decimal12")) ? (is_dec12(v) ? 0 : 406) : (is_real(v) ? 0 : 406);
    }
    if (!strcmp(kind, "long_identifier") || !strcmp(kind, "short_identifier"))
        return check_identifier(strict, v, strlen(v));
    if (!strcmp(kind, "localized_string"))
        return check_localized(dm, strict, v, strlen(v));
    if (!strcmp(kind, "language"))
        return check_language(dm, strict, v, strlen(v),
                              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "allow_empty")));
    if (!strcmp(kind, "time"))
        return check_time(v);
    if (!strcmp(kind, "timeinterval"))
        return parse_duration(v, strict, NULL);
    if (!strcmp(kind, "response") || !strcmp(kind, "pattern"))
        return check_interaction(dm, strict, v, itype, !strcmp(kind, "pattern"));
    if (!strcmp(kind, "nav_request")) {
        const char *end;
        if (in_values(values, v))
            return 0;
        /* ^\{target=([^{}\s]+)\}(choice|jump)$ */
        if (strncmp(v, "{target=", 8) || !(end = strchr(v + 8, '}')) || end == v + 8)
            return 406;
        for (const char *p = v + 8; p < end; p++)
            if (*p == '{' || isspace((unsigned char)*p))
                return 406;
        return !strcmp(end + 1, "choice") || !strcmp(end + 1, "jump") ? 0 : 406;
    }
    if (!strcmp(kind, "identifier12")) {
        if (!strict)
            return *v ? 0 : 406;
        return *v && !has_space(v) && strlen(v) <= 255 ? 0 : 406;
    }
    if (!strcmp(kind, "decimal12")) {
        if (!*v && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "blank_ok")))
            return 0;
        if (!is_dec12(v))
            return 406;
        x = strtod(v, NULL);
        if ((num_field(t, "min", &lo) && x < lo) || (num_field(t, "max", &hi) && x > hi))
            return 406;
        return 0;
    }
    if (!strcmp(kind, "integer12")) {
        size_t i = v[0] == '-' ? 1 : 0;
        if (!all_digits(v + i, strlen(v + i)) || strlen(v) > 12)
            return 406;
        x = strtod(v, NULL);
        num_field(t, "min", &lo);
        num_field(t, "max", &hi);
        return x < lo || x > hi ? 406 : 0;
    }
    if (!strcmp(kind, "timespan12"))
        return parse_timespan12(v, 0, NULL);
    if (!strcmp(kind, "time12"))
        return parse_timespan12(v, 1, NULL);
    if (!strcmp(kind, "response12") || !strcmp(kind, "pattern12"))
        return check_feedback12(dm, strict, v, itype);
    return 406;
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
            if (!all_digits(path + i, j - i) || (path[i] == '0' && j - i > 1) || j - i > 9) {
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
    if (in_values(cJSON_GetObjectItemCaseSensitive(el, "sco_forbidden"), value))
        FAIL(406, "the SCO may not set \"%.200s\" to \"%.60s\"", path, value);
    code = check_type(dm, strict, t, value, itype);
    if (code)
        FAIL(code, "\"%.200s\" value %s (datamodel.json type %s, RTE 4.2)", path,
             code == 407 ? "is out of range" : "does not match its type", scorm__jstr(el, "type"));
    /* length: 1.2 limits are maximums (strict spm, lenient lenient_max); 2004 SPMs are
     * minimums, values are stored in full up to value_max (RTE 4.1.1.5) */
    {
        double spm = 0, lmax = 0, vmax = 0, lim;
        const cJSON *tt = cJSON_GetObjectItemCaseSensitive(dm->types, scorm__jstr(el, "type"));
        if (!num_field(el, "spm", &spm))
            num_field(tt, "spm", &spm);
        num_field(el, "lenient_max", &lmax);
        num_field(model, "value_max", &vmax);
        lim = is12 ? (strict ? spm : (lmax > 0 ? lmax : spm)) : (spm > vmax ? spm : vmax);
        if (lim > 0 && char_len(value) > (size_t)lim)
            FAIL(is12 ? 406 : 351, "\"%.200s\" has %zu characters, limit %.0f", path,
                 char_len(value), lim);
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
