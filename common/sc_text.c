/* SPDX-License-Identifier: Apache-2.0 */
/* ISO 8601 durations, language tags and percent-encoding (sc_text.h). */
#include "common/sc_text.h"
#include "common/sc_buf.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_dig(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
    return is_alpha(c) || is_dig(c);
}

/* ---- ISO 8601 durations ----------------------------------------------------------------- */

#define DAY_CS (86400LL * 100)

/* total += num * unit + frac9 / 1e9 * unit (rounded half up); *over on overflow */
static void add_part(int64_t *total, int64_t num, int64_t unit, int64_t frac9, int *over)
{
    int64_t add;
    if (num > INT64_MAX / unit) {
        *over = 1;
        return;
    }
    add = num * unit + (frac9 * unit + 500000000) / 1000000000; /* frac9 * unit < 2^63 */
    if (*total > INT64_MAX - add)
        *over = 1;
    else
        *total += add;
}

int sc_duration_parse(const char *s, unsigned flags, int64_t *cs_out)
{
    /* ISO 8601:2004 4.4.3.2: PnYnMnDTnHnMnS or PnW; a decimal fraction only on the
     * lowest-order component given; the alternative format 4.4.3.3 is not allowed. */
    static const char date_des[] = "YMD", time_des[] = "HMS";
    static const int64_t date_cs[] = {365 * DAY_CS, 30 * DAY_CS, DAY_CS};
    static const int64_t time_cs[] = {360000, 6000, 100};
    const int iso = (flags & SC_DURATION_ISO) != 0;
    const char *p = s;
    int in_time = 0, comps = 0, time_comps = 0, frac_seen = 0, pos = 0, over = 0;
    int64_t total = 0;

    if (!s || *p++ != 'P')
        return -1;
    while (*p) {
        const char *des, *f;
        int64_t num = 0, frac9 = 0;
        int frac = 0, ndig = 0, idx;
        if (*p == 'T') {
            if (in_time)
                return -1;
            in_time = 1;
            pos = 0;
            p++;
            continue;
        }
        if (frac_seen || !is_dig((unsigned char)*p))
            return -1;
        for (; is_dig((unsigned char)*p); p++) {
            if (num > (INT64_MAX - 9) / 10)
                over = 1;
            else
                num = num * 10 + (*p - '0');
        }
        if (*p == '.' || (iso && *p == ',')) {
            int64_t scale = 100000000;
            p++;
            if (!is_dig((unsigned char)*p))
                return -1;
            for (; is_dig((unsigned char)*p); p++, ndig++) {
                frac9 += (*p - '0') * scale;
                scale /= 10;
            }
            frac = 1;
        }
        if (iso && !in_time && !comps && !frac && *p == 'W' && p[1] == '\0') {
            add_part(&total, num, 7 * DAY_CS, 0, &over); /* PnW: the whole duration */
            comps = 1;
            break;
        }
        des = in_time ? time_des : date_des;
        f = *p ? strchr(des + pos, *p) : NULL;
        if (!f)
            return -1;
        idx = (int)(f - des);
        pos = idx + 1;
        /* without SC_DURATION_ISO (xs:duration, SCORM timeinterval): seconds only */
        if (frac && !iso && !(in_time && *p == 'S'))
            return -1;
        if (frac && (flags & SC_DURATION_CS2) && ndig > 2)
            return -1;
        add_part(&total, num, in_time ? time_cs[idx] : date_cs[idx], frac9, &over);
        p++;
        comps++;
        if (in_time)
            time_comps++;
        frac_seen = frac;
    }
    if (!comps || (in_time && !time_comps))
        return -1;
    if (cs_out) {
        if (over)
            return -1;
        *cs_out = total;
    }
    return 0;
}

/* ---- language tags ---------------------------------------------------------------------- */

/* RFC 5646 2.2.8: irregular grandfathered tags, which do not follow the ABNF's subtags */
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

/* RFC 3066 2.1: Language-Tag = Primary-subtag *( "-" Subtag ); Primary-subtag = 1*8ALPHA;
 * Subtag = 1*8(ALPHA / DIGIT) */
static int rfc3066(const char *s, size_t n)
{
    size_t seg = 0, first = 1;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '-') {
            if (seg == 0 || seg > 8)
                return 0;
            first = 0;
            seg = 0;
            continue;
        }
        if (first ? !is_alpha((unsigned char)s[i]) : !is_alnum((unsigned char)s[i]))
            return 0;
        seg++;
    }
    return 1;
}

/* RFC 5646 2.1 ABNF, checked subtag by subtag:
 * langtag = language ["-" script] ["-" region] *("-" variant) *("-" extension)
 *           ["-" privateuse]; or privateuse; or grandfathered. */
static int rfc5646(const char *s, size_t len)
{
    enum { LANG, EXTLANG, SCRIPT, REGION, VARIANT, EXT, PRIV } st = LANG;
    const char *t = s, *end = s + len;
    int nextlang = 0, ext_need = 0, priv_need = 0, lang_short = 0;

    for (size_t i = 0; i < sizeof(irregular_tags) / sizeof(irregular_tags[0]); i++)
        if (strlen(irregular_tags[i]) == len && strncasecmp(s, irregular_tags[i], len) == 0)
            return 1;
    while (t) {
        const char *dash = memchr(t, '-', (size_t)(end - t));
        size_t n = dash ? (size_t)(dash - t) : (size_t)(end - t);
        if (n == 0 || n > 8 || !all_of(t, n, is_alnum))
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

int sc_lang_tag_valid(const char *s, size_t n, unsigned flags)
{
    if (!s || !n)
        return 0;
    return (flags & SC_LANG_RFC5646) ? rfc5646(s, n) : rfc3066(s, n);
}

/* ---- percent-encoding ------------------------------------------------------------------- */

int sc_pct_encode(struct sc_buf *b, const char *s, size_t n, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* RFC 3986 2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
        if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
            (keep && c && strchr(keep, c))) {
            sc_buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sc_buf_append(b, e, 3);
        }
    }
    return sc_buf_error(b);
}
