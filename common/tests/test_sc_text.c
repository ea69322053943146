/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of common/sc_text.h: the program's one ISO 8601 duration parser, language-tag
 * checker and percent-encoder, under the rules of each caller (xAPI, SCORM, IMS SS). */
#include "common/sc_buf.h"
#include "common/sc_text.h"
#include "common/tap.h"

#include <stdint.h>
#include <string.h>

static long long cs_of(const char *s, unsigned flags)
{
    int64_t cs = -2;
    return sc_duration_parse(s, flags, &cs) == 0 ? (long long)cs : -1;
}

static void test_duration(void)
{
    /* ISO 8601 4.4.3.2 as xAPI Data 4.6 takes it */
    static const char *const iso_ok[] = {
        "PT1H30M", "P4W",  "P1Y2M3DT4H5M6.7S", "PT0S",  "P0D",   "PT1,5S", "P1.5D", "PT0.5H",
        "P1M",     "PT1M", "P1DT2H",           "PT36H", "P0.5Y", "PT1.5M"};
    static const char *const iso_bad[] = {
        "",      "P",        "PT",     "1H",    "P1H",          "PT1D",
        "P1S",   "P1.5W",    "P1WT1H", "P1W2D", "PT1.5H2M",     "P1D1M",
        "PTT1H", "P1DT",     "PT-1S",  "P.5D",  "P1.D",         "P1Y2M3DT4H5M6.7S8",
        "pt1h",  "P1DT2H3H", "P 1D",   "P1D ",  "PT1H30M0.5S1S"};
    for (size_t i = 0; i < sizeof iso_ok / sizeof *iso_ok; i++)
        is_int(sc_duration_parse(iso_ok[i], SC_DURATION_ISO, NULL), 0, "ISO 8601: %s", iso_ok[i]);
    for (size_t i = 0; i < sizeof iso_bad / sizeof *iso_bad; i++)
        is_int(sc_duration_parse(iso_bad[i], SC_DURATION_ISO, NULL), -1, "ISO 8601 refuses '%s'",
               iso_bad[i]);
    is_int(sc_duration_parse(NULL, SC_DURATION_ISO, NULL), -1, "NULL");
    /* xs:duration / SCORM timeinterval: fraction on seconds only, '.', no weeks */
    is_int(sc_duration_parse("P4W", 0, NULL), -1, "SCORM: no weeks");
    is_int(sc_duration_parse("P1.5D", 0, NULL), -1, "SCORM: a fraction only on seconds");
    is_int(sc_duration_parse("PT1,5S", 0, NULL), -1, "SCORM: '.' only");
    is_int(sc_duration_parse("PT1.123S", SC_DURATION_CS2, NULL), -1,
           "SCORM strict: at most two fraction digits (second,10,2)");
    is_int(sc_duration_parse("PT1.12S", SC_DURATION_CS2, NULL), 0, "SCORM strict: two digits");
    /* centiseconds: years 365 days, months 30, fraction rounded half up */
    is_int(cs_of("PT1H30M", 0), 540000, "PT1H30M = 540000 cs");
    is_int(cs_of("P1Y2M3DT4H5M6.7S", 0), (365LL + 60 + 3) * 8640000 + 4 * 360000 + 5 * 6000 + 670,
           "all components");
    is_int(cs_of("PT1.994S", 0), 199, "1.994 s rounds to 199 cs");
    is_int(cs_of("PT1.995S", 0), 200, "1.995 s rounds to 200 cs");
    is_int(cs_of("PT0.0049999S", 0), 0, "digits past the third do not round up");
    is_int(cs_of("P2W", SC_DURATION_ISO), 14 * 8640000LL, "P2W = 14 days");
    is_int(cs_of("P0.5D", SC_DURATION_ISO), 4320000, "P0.5D = 12 h");
    is_int(cs_of("PT99999999999999999999S", 0), -1, "overflow refused when the length is asked");
    is_int(sc_duration_parse("P99999999999999999999Y", SC_DURATION_ISO, NULL), 0,
           "a huge duration is still well-formed (xAPI validates the form)");
}

static void test_lang(void)
{
    static const char *const ok5646[] = {
        "en",           "en-US",      "zh-Hant-TW", "sl-rozaj-biske",
        "de-CH-1996",   "x-whatever", "i-klingon",  "EN-us",
        "en-a-bbb-x-a", "es-419",     "zh-yue-HK",  "qaa-Qaaa-QM-x-southern"};
    static const char *const bad5646[] = {
        "",     "e",          "en-",   "-en",     "en--US",      "123",     "en-a",
        "en-x", "toolongtag", "en_US", "en-US-a", "abcdefghi-x", "en-US-x-"};
    for (size_t i = 0; i < sizeof ok5646 / sizeof *ok5646; i++)
        ok(sc_lang_tag_valid(ok5646[i], strlen(ok5646[i]), SC_LANG_RFC5646), "RFC 5646: %s",
           ok5646[i]);
    for (size_t i = 0; i < sizeof bad5646 / sizeof *bad5646; i++)
        ok(!sc_lang_tag_valid(bad5646[i], strlen(bad5646[i]), SC_LANG_RFC5646),
           "RFC 5646 refuses '%s'", bad5646[i]);
    /* RFC 3066 (SCORM 2004 language_type): shape only */
    ok(sc_lang_tag_valid("en-a", 4, 0), "RFC 3066: en-a (any 1-8 alphanumeric subtag)");
    ok(sc_lang_tag_valid("frn", 3, 0), "RFC 3066: frn");
    ok(!sc_lang_tag_valid("1en", 3, 0), "RFC 3066: the primary subtag is letters");
    ok(!sc_lang_tag_valid("en-123456789", 12, 0), "RFC 3066: subtags of at most 8");
    ok(!sc_lang_tag_valid("en-", 3, 0), "RFC 3066: no empty subtag");
    ok(sc_lang_tag_valid("en-USxyz", 5, 0), "the length is the caller's (not NUL-terminated)");
    ok(!sc_lang_tag_valid(NULL, 0, 0), "NULL");
}

static void test_pct(void)
{
    struct sc_buf b;
    sc_buf_init(&b, 0);
    is_int(sc_pct_encode(&b, "a b/c~d%é", strlen("a b/c~d%é"), NULL), 0, "encode");
    is_str(b.data, "a%20b%2Fc~d%25%C3%A9", "RFC 3986 2.1: all but unreserved, upper-case hex");
    sc_buf_reset(&b);
    is_int(sc_pct_encode(&b, "dir/a b.html", 12, "/"), 0, "encode a path");
    is_str(b.data, "dir/a%20b.html", "keep: '/' stays");
    sc_buf_reset(&b);
    is_int(sc_pct_encode(&b, "a\0b", 3, "/"), 0, "a NUL byte");
    is_str(b.data, "a%00b", "NUL is encoded, never kept");
    sc_buf_free(&b);
    sc_buf_init(&b, 4);
    is_int(sc_pct_encode(&b, "a b c", 5, NULL), SC_BUF_ERR_CAP, "a full buffer's error");
    sc_buf_free(&b);
}

int main(void)
{
    test_duration();
    test_lang();
    test_pct();
    return tap_done();
}
