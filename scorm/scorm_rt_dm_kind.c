/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The value kinds of runtime_js/datamodel.json, one function per kind, as the browser shim's
 * Validator checks them (SCORM 2004 4th ed. RTE 4.1-4.2, SCORM 1.2 RTE 3.4): characterstring,
 * language, identifiers, time, timeinterval (ISO 8601 and the 1.2 timespan), real ranges,
 * interaction responses by type, and the 1.2 feedback patterns. scorm_rt_dm.c looks elements
 * up and applies the SetValue rules; this file says whether one value fits its type.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "common/sc_text.h"
#include "common/sc_alloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* ---- value kinds (the shim's Validator, one function per kind) ------------------------- */

/* Characters = code points (SPMs count characters, RTE 4.1.1.5). */
size_t scorm__dm_char_len(const char *s)
{
    /* UTF-8: one character per byte that is not a continuation byte (10xxxxxx); eight bytes at
     * a time (suspend_data is checked at every commit), the flags summed per byte lane (31 words
     * at most: the eight lanes then sum to 248 at most, which one byte holds) */
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), n = len, i = 0;
    while (i + 8 <= len) {
        uint64_t lanes = 0;
        for (int w = 0; w < 31 && i + 8 <= len; w++, i += 8) {
            uint64_t x;
            memcpy(&x, p + i, 8);
            lanes += (x & ~(x << 1) & 0x8080808080808080ULL) >> 7;
        }
        n -= (size_t)((lanes * 0x0101010101010101ULL) >> 56);
    }
    for (; i < len; i++)
        n -= (p[i] & 0xC0) == 0x80;
    return n;
}

int scorm__dm_all_digits(const char *s, size_t n)
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

int scorm__dm_in_values(const cJSON *arr, const char *v)
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

/* RFC 3066 language tag (RTE 4.2 language_type; the shape: common/sc_text.h), in strict mode
 * with a primary subtag from ISO 639. */
static int check_language(const struct scorm__dm *dm, int strict, const char *v, size_t n,
                          int allow_empty)
{
    const char *dash = memchr(v, '-', n);
    size_t plen = dash ? (size_t)(dash - v) : n;
    if (!n)
        return allow_empty ? 0 : 406;
    if (!sc_lang_tag_valid(v, n, 0))
        return 406;
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
    if (n < 4 || !scorm__dm_all_digits(v, 4))
        return 406;
    y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
    if (y < 1970 || y > 2038)
        return 406;
    i = 4;
    if (i == n)
        return 0;
    if (v[i] != '-' || i + 3 > n || !scorm__dm_all_digits(v + i + 1, 2))
        return 406;
    mo = num2(v + i + 1);
    if (mo < 1 || mo > 12)
        return 406;
    i += 3;
    if (i == n)
        return 0;
    if (v[i] != '-' || i + 3 > n || !scorm__dm_all_digits(v + i + 1, 2))
        return 406;
    int d = num2(v + i + 1);
    if (d < 1 || d > days_in(y, mo))
        return 406;
    i += 3;
    if (i == n)
        return 0;
    if (v[i] != 'T' || i + 3 > n || !scorm__dm_all_digits(v + i + 1, 2) || num2(v + i + 1) > 23)
        return 406;
    i += 3;
    if (i == n)
        return 0;
    if (v[i] != ':' || i + 3 > n || !scorm__dm_all_digits(v + i + 1, 2) || num2(v + i + 1) > 59)
        return 406;
    i += 3;
    if (i == n)
        return 0;
    if (v[i] != ':' || i + 3 > n || !scorm__dm_all_digits(v + i + 1, 2) || num2(v + i + 1) > 59)
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
    if (i + 2 > n || !scorm__dm_all_digits(v + i, 2) || num2(v + i) > 23)
        return 406;
    i += 2;
    if (i == n)
        return 0;
    if (v[i] != ':' || i + 3 != n || !scorm__dm_all_digits(v + i + 1, 2) || num2(v + i + 1) > 59)
        return 406;
    return 0;
}

/* ISO 8601 duration P[nY][nM][nD][T[nH][nM][n[.n]S]] -> parts; 0 ok, 406 malformed. */
static int parse_duration(const char *v, int strict, int64_t *cs_out)
{
    /* RTE 4.2 timeinterval (second,10,2): common/sc_text.h, the program's one parser */
    return sc_duration_parse(v, strict ? SC_DURATION_CS2 : 0, cs_out) ? 406 : 0;
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
    if (h + 6 > n || v[h] != ':' || !scorm__dm_all_digits(v + h + 1, 2) || v[h + 3] != ':' ||
        !scorm__dm_all_digits(v + h + 4, 2))
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
        if (v[i] != '.' || n - i - 1 < 1 || n - i - 1 > 2 ||
            !scorm__dm_all_digits(v + i + 1, n - i - 1))
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
            int allowed = is_pattern && scorm__dm_in_values(prefixes, names[k]);
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
        return scorm__dm_char_len(v) <= (size_t)spm ? 0 : 406;
    }
    for (int i = 0; i < dm->n_re12; i++)
        if (dm->re12_type[i] == t && regexec(&dm->re12[i], v, 0, NULL, 0))
            return 406;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "decimal")) && !is_dec12(v))
        return 406;
    const cJSON *spm = cJSON_GetObjectItemCaseSensitive(t, "spm");
    if (cJSON_IsNumber(spm) && scorm__dm_char_len(v) > (size_t)spm->valuedouble)
        return 406;
    return 0;
}

int scorm__dm_num_field(const cJSON *t, const char *name, double *out)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(t, name);
    if (!cJSON_IsNumber(x))
        return 0;
    *out = x->valuedouble;
    return 1;
}

/* Validate value v against type t (the shim's Validator.check). */
int scorm__dm_check_type(const struct scorm__dm *dm, int strict, const cJSON *t, const char *v,
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
        return scorm__dm_in_values(values, v) ? 0 : 406;
    if (!strcmp(kind, "real")) {
        if (!is_real(v))
            return 406;
        x = strtod(v, NULL);
        if ((scorm__dm_num_field(t, "min", &lo) && x < lo) ||
            (scorm__dm_num_field(t, "max", &hi) && x > hi))
            return 407;
        return 0;
    }
    if (!strcmp(kind, "vocab_or_real")) {
        const char *rk = scorm__jstr(t, "real_kind");
        if (scorm__dm_in_values(values, v))
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
        if (scorm__dm_in_values(values, v))
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
        if ((scorm__dm_num_field(t, "min", &lo) && x < lo) ||
            (scorm__dm_num_field(t, "max", &hi) && x > hi))
            return 406;
        return 0;
    }
    if (!strcmp(kind, "integer12")) {
        size_t i = v[0] == '-' ? 1 : 0;
        if (!scorm__dm_all_digits(v + i, strlen(v + i)) || strlen(v) > 12)
            return 406;
        x = strtod(v, NULL);
        scorm__dm_num_field(t, "min", &lo);
        scorm__dm_num_field(t, "max", &hi);
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
