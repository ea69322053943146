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
#include "common/sc_text.h"
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

int stmt_validate_lang_tag(const char *s)
{
    /* Data 2.2 / 4.2: RFC 5646 language tags (common/sc_text.h, the program's one checker) */
    return s && sc_lang_tag_valid(s, strlen(s), SC_LANG_RFC5646);
}

int stmt_validate_duration(const char *s)
{
    /* Data 4.6: ISO 8601:2004 4.4.3.2 durations (common/sc_text.h, the one parser) */
    return sc_duration_parse(s, SC_DURATION_ISO, NULL) == 0;
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
