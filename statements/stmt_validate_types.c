/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Formatted string types of xAPI 1.0.3 statements: IRI (Data 4.3, best effort as Data 2.2
 * allows), RFC 5646 language tags (Data 2.2 "MUST at least validate that the sequence of token
 * lengths for language map keys matches"), ISO 8601 durations (Data 4.6), UUIDs (Data 4.4) and
 * timestamps (Data 4.5). Also used by lrs/ for query parameters (Data 2.2: parameters are
 * validated "to the same standards").
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_validate.h"

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_dig(int c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
    return is_dig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int stmt_validate_iri(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t scheme_len = 0;

    if (!s || !is_alpha(p[0]))
        return 0;
    /* RFC 3987 / 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    while (is_alpha(p[scheme_len]) || is_dig(p[scheme_len]) || p[scheme_len] == '+' ||
           p[scheme_len] == '-' || p[scheme_len] == '.')
        scheme_len++;
    if (p[scheme_len] != ':' || p[scheme_len + 1] == '\0')
        return 0; /* Data 2.2: "IRL or IRI values without a scheme" are rejected */
    for (const unsigned char *q = p + scheme_len + 1; *q; q++) {
        /* RFC 3987 2.2: no spaces, controls or the excluded ASCII delimiters */
        if (*q <= 0x20 || *q == 0x7F || strchr("<>\"{}|\\^`", *q))
            return 0;
        if (*q == '%' && !(is_hex(q[1]) && is_hex(q[2])))
            return 0;
    }
    /* http(s) IRLs need an authority with a host */
    if ((scheme_len == 4 && strncasecmp(s, "http", 4) == 0) ||
        (scheme_len == 5 && strncasecmp(s, "https", 5) == 0)) {
        const char *h = s + scheme_len + 1;
        if (strncmp(h, "//", 2) != 0)
            return 0;
        h += 2;
        if (*h == '\0' || *h == '/' || *h == '?' || *h == '#')
            return 0;
    }
    return 1;
}

static const char *const irregular_tags[] = {
    "en-GB-oed", "i-ami", "i-bnn",     "i-default", "i-enochian", "i-hak",
    "i-klingon", "i-lux", "i-mingo",   "i-navajo",  "i-pwn",      "i-tao",
    "i-tay",     "i-tsu", "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE",
};

static int all_of(const char *t, size_t n, int (*pred)(int))
{
    for (size_t i = 0; i < n; i++)
        if (!pred((unsigned char)t[i]))
            return 0;
    return 1;
}

static int is_alnum_c(int c)
{
    return is_alpha(c) || is_dig(c);
}

int stmt_validate_lang_tag(const char *s)
{
    /* RFC 5646 2.1 ABNF, checked subtag by subtag:
     * langtag = language ["-" script] ["-" region] *("-" variant) *("-" extension)
     *           ["-" privateuse]; or privateuse; or grandfathered. */
    enum { LANG, EXTLANG, SCRIPT, REGION, VARIANT, EXT, PRIV } st = LANG;
    const char *t = s;
    int nextlang = 0, ext_need = 0, priv_need = 0, lang_short = 0;

    if (!s || !*s)
        return 0;
    for (size_t i = 0; i < sizeof(irregular_tags) / sizeof(irregular_tags[0]); i++)
        if (strcasecmp(s, irregular_tags[i]) == 0)
            return 1;
    while (t) {
        const char *dash = strchr(t, '-');
        size_t n = dash ? (size_t)(dash - t) : strlen(t);
        if (n == 0 || n > 8 || !all_of(t, n, is_alnum_c))
            return 0;
        if (st == PRIV) {
            priv_need = 0; /* 1*8alphanum */
        } else if (st == LANG) {
            if (n == 1 && (t[0] == 'x' || t[0] == 'X')) {
                st = PRIV;
                priv_need = 1;
            } else if (n >= 2 && all_of(t, n, is_alpha)) {
                lang_short = n <= 3;
                st = lang_short ? EXTLANG : SCRIPT;
            } else {
                return 0;
            }
        } else {
            /* ordered optional parts: advance st to the first part this subtag can be */
            if (ext_need) {
                if (n < 2)
                    return 0;
                ext_need = 0;
                goto next;
            }
            if (st == EXTLANG && n == 3 && all_of(t, n, is_alpha) && nextlang < 3) {
                nextlang++;
                goto next;
            }
            if (st <= SCRIPT && n == 4 && all_of(t, n, is_alpha)) {
                st = REGION;
                goto next;
            }
            if (st <= REGION &&
                ((n == 2 && all_of(t, n, is_alpha)) || (n == 3 && all_of(t, n, is_dig)))) {
                st = VARIANT;
                goto next;
            }
            if (st <= VARIANT && ((n >= 5) || (n == 4 && is_dig((unsigned char)t[0])))) {
                st = VARIANT;
                goto next;
            }
            if (n == 1 && (t[0] == 'x' || t[0] == 'X')) {
                st = PRIV;
                priv_need = 1;
                goto next;
            }
            if (n == 1) {
                st = EXT;
                ext_need = 1;
                goto next;
            }
            if (st == EXT && n >= 2)
                goto next;
            return 0;
        }
next:
        t = dash ? dash + 1 : NULL;
    }
    return !ext_need && !priv_need;
}

int stmt_validate_duration(const char *s)
{
    /* ISO 8601:2004 4.4.3.2 (Data 4.6): PnYnMnDTnHnMnS or PnW; a decimal fraction only on the
     * lowest-order component given; the alternative format 4.4.3.3 is not allowed. */
    static const char date_des[] = "YMD", time_des[] = "HMS";
    const char *p = s;
    int in_time = 0, comps = 0, time_comps = 0, frac_seen = 0, pos = 0;

    if (!s || *p++ != 'P')
        return 0;
    if (is_dig((unsigned char)*p)) {
        const char *q = p;
        while (is_dig((unsigned char)*q))
            q++;
        if (*q == 'W' && q[1] == '\0')
            return 1;
    }
    while (*p) {
        const char *des;
        int frac = 0;
        if (*p == 'T') {
            if (in_time)
                return 0;
            in_time = 1;
            pos = 0;
            p++;
            continue;
        }
        if (frac_seen || !is_dig((unsigned char)*p))
            return 0;
        while (is_dig((unsigned char)*p))
            p++;
        if (*p == '.' || *p == ',') {
            p++;
            if (!is_dig((unsigned char)*p))
                return 0;
            while (is_dig((unsigned char)*p))
                p++;
            frac = 1;
        }
        des = in_time ? time_des : date_des;
        {
            const char *f = *p ? strchr(des + pos, *p) : NULL;
            if (!f)
                return 0;
            pos = (int)(f - des) + 1;
        }
        p++;
        comps++;
        if (in_time)
            time_comps++;
        frac_seen = frac;
    }
    return comps > 0 && (!in_time || time_comps > 0);
}

int stmt_validate_uuid(const char *s)
{
    return s && sc_uuid_valid(s, strlen(s));
}

int stmt_validate_timestamp(const char *s)
{
    int64_t us;
    size_t n;

    if (!s)
        return 0;
    n = strlen(s);
    if (n < 20 || n > 64)
        return 0;
    return sc_time_parse_iso(s, n, &us) == 0;
}
