/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for common/: buffer caps, ISO 8601 round trips and rejections, UUIDs, hashes. */
#include "common/sc_alloc.h"
#include "common/sc_base64.h"
#include "common/sc_buf.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "common/tap.h"

static void test_buf(void)
{
    struct sc_buf b;
    sc_buf_init(&b, 8);
    is_int(sc_buf_puts(&b, "abcd"), SC_BUF_OK, "append under cap");
    is_int(sc_buf_puts(&b, "efghi"), SC_BUF_ERR_CAP, "append past cap fails");
    is_str(b.data, "abcd", "failed append leaves buffer unchanged");
    is_int(sc_buf_error(&b), SC_BUF_ERR_CAP, "the error is kept");
    is_int(sc_buf_puts(&b, "e"), SC_BUF_ERR_CAP, "sticky: a later append that would fit fails");
    is_int(sc_buf_printf(&b, "%d", 1), SC_BUF_ERR_CAP, "sticky: printf too");
    is_str(b.data, "abcd", "nothing appended after the error");
    sc_buf_reset(&b);
    is_int(sc_buf_error(&b), SC_BUF_OK, "reset clears the error");
    is_int(sc_buf_puts(&b, "abcdefgh"), SC_BUF_OK, "append up to cap exactly");
    sc_buf_free(&b);
    sc_buf_init(&b, 0);
    sc_buf_json_str(&b, "a\"\n\x01", 4);
    is_str(b.data, "\"a\\\"\\n\\u0001\"", "json string escaping");
    sc_buf_free(&b);

    sc_buf_init(&b, 0);
    sc_alloc_fail_after(0);
    is_int(sc_buf_puts(&b, "x"), SC_BUF_ERR_NOMEM, "injected allocation failure surfaces");
    is_int(sc_buf_puts(&b, "y"), SC_BUF_ERR_NOMEM, "and stays: the builder checks once");
    is_int(sc_buf_error(&b), SC_BUF_ERR_NOMEM, "sc_buf_error tells it");
    sc_buf_reset(&b);
    is_int(sc_buf_puts(&b, "x"), SC_BUF_OK, "after a reset the next allocation succeeds");
    sc_buf_free(&b);
}

static void test_time(void)
{
    char out[SC_TIME_ISO_LEN];
    int64_t us = 0;
    static const struct {
        const char *in;
        int ok;
        const char *utc;
    } cases[] = {
        {"2013-05-18T05:32:34.804Z", 1, "2013-05-18T05:32:34.804Z"},
        {"2013-05-18T05:32:34.804+00:00", 1, "2013-05-18T05:32:34.804Z"},
        {"2013-05-18T05:32:34.804+01:30", 1, "2013-05-18T04:02:34.804Z"},
        {"2013-05-18T05:32:34+0100", 1, "2013-05-18T04:32:34.000Z"},
        {"2013-05-18T05:32:34-05", 1, "2013-05-18T10:32:34.000Z"},
        {"2016-02-29T00:00:00Z", 1, "2016-02-29T00:00:00.000Z"},
        {"2013-05-18T05:32:34.804-00:00", 0, NULL},
        {"2013-05-18T05:32:34.804-0000", 0, NULL},
        {"2013-05-18T05:32:34.804-00", 0, NULL},
        {"2013-05-18T05:32:34", 0, NULL},
        {"2013-02-29T00:00:00Z", 0, NULL},
        {"2013-13-01T00:00:00Z", 0, NULL},
        {"2013-05-18 05:32:34Z", 0, NULL},
        {"2013-05-18T05:32:34.Z", 0, NULL},
        {"2013-05-18T05:32:34Zjunk", 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = sc_time_parse_iso(cases[i].in, strlen(cases[i].in), &us);
        is_int(rc == 0, cases[i].ok, "parse %s", cases[i].in);
        if (rc == 0 && cases[i].utc)
            is_str(sc_time_format_iso(us, 3, out), cases[i].utc, "utc form of %s", cases[i].in);
    }
    is_str(sc_time_format_http(784111777000000LL, out), "Sun, 06 Nov 1994 08:49:37 GMT",
           "http date");
}

static void test_uuid_hash(void)
{
    char u[SC_UUID_LEN], hex[65];
    unsigned char h[32];
    is_int(sc_uuid_v4(u), 0, "uuid generated");
    ok(sc_uuid_valid(u, strlen(u)), "generated uuid is valid: %s", u);
    ok(u[14] == '4', "version nibble is 4");
    ok(!sc_uuid_valid("fd41c918-b88b-4b20-a0a5-a4c32391aaa", 35), "short uuid rejected");
    ok(!sc_uuid_valid("fd41c918-b88b-4b20-a0a5-a4c32391aaag", 36), "non-hex uuid rejected");
    ok(sc_uuid_valid("FD41C918-B88B-4B20-A0A5-A4C32391AAA0", 36), "upper-case uuid accepted");
    sc_sha1("abc", 3, h);
    sc_hex(h, 20, hex);
    is_str(hex, "a9993e364706816aba3e25717850c26c9cd0d89d", "sha1(abc)");
    sc_sha256("abc", 3, h);
    sc_hex(h, 32, hex);
    is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256(abc)");
    ok(sc_ct_equal("abc", "abc", 3) && !sc_ct_equal("abc", "abd", 3), "constant-time compare");
}

/* RFC 4648 section 10 test vectors; the URL-safe form without padding (section 5) */
static void test_base64(void)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const std[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[16];
    static const unsigned char hi[] = {0xfb, 0xff, 0xbf};
    for (int i = 0; i < 7; i++) {
        size_t n = strlen(in[i]);
        sc_base64_encode(in[i], n, out, 0);
        is_str(out, std[i], "base64 of a RFC 4648 vector");
        is_int((int)sc_base64_len(n, 0), (int)strlen(std[i]), "base64 length");
        sc_base64_encode(in[i], n, out, 1);
        is_str(out, url[i], "base64url of a RFC 4648 vector, unpadded");
        is_int((int)sc_base64_len(n, 1), (int)strlen(url[i]), "base64url length");
    }
    sc_base64_encode(hi, 3, out, 0);
    is_str(out, "+/+/", "the standard alphabet's last two letters");
    sc_base64_encode(hi, 3, out, 1);
    is_str(out, "-_-_", "the URL-safe alphabet's last two letters");
}

int main(void)
{
    test_buf();
    test_base64();
    test_time();
    test_uuid_hash();
    return tap_done();
}
