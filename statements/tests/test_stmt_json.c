/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict JSON scan (security.md 3, RFC 8259): a table of accepted and rejected texts, each
 * with the exact code and, for rejections, the JSON path of the offending value. Accepted texts
 * are also parsed by cJSON and round-tripped (print, re-scan, re-parse, compare) as a
 * differential check that the scan and cJSON agree on the tree.
 */
#include <stdlib.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "common/tap.h"
#include "statements/stmt_json.h"

struct jcase {
    const char *name;
    const char *text; /* NULL-free bytes; len = explicit or strlen */
    size_t len;       /* 0: strlen(text) */
    int want;
    const char *path; /* expected diag path for rejections (NULL: don't check) */
};

#define OKC(n, t)                                                                                  \
    {                                                                                              \
        n, t, 0, STMT_OK, NULL                                                                     \
    }
#define BAD(n, t, p)                                                                               \
    {                                                                                              \
        n, t, 0, STMT_ERR_JSON, p                                                                  \
    }
#define LIM(n, t, p)                                                                               \
    {                                                                                              \
        n, t, 0, STMT_ERR_LIMIT, p                                                                 \
    }

static const struct jcase cases[] = {
    OKC("object", "{\"a\":1}"),
    OKC("empty object", "{}"),
    OKC("empty array", "[]"),
    OKC("nested", "{\"a\":[1,{\"b\":[true,false,null]}]}"),
    OKC("scalar string", "\"x\""),
    OKC("scalar number", "42"),
    OKC("scalar true", "true"),
    OKC("scalar null", "null"),
    OKC("whitespace around", " \t\r\n{ \"a\" : 1 } \n"),
    OKC("negative zero", "-0"),
    OKC("fraction", "3.25"),
    OKC("exponent", "1e10"),
    OKC("exponent sign", "-1.5E-7"),
    OKC("exponent plus", "2e+3"),
    OKC("underflow is finite", "1e-400"),
    OKC("large double", "1.5e308"),
    OKC("long string with escapes and UTF-8",
        "[\"abcdefghijklmnop\\\"qrstuvwx\\\\yz0123456789\xc3\xa9"
        "abcdefgh\xe2\x82\xac"
        "12345678\"]"),
    OKC("largest safe double", "1.79769313486231e308"),
    OKC("escapes", "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""),
    OKC("unicode escape", "\"\\u00e9\\u4e2d\""),
    OKC("surrogate pair escape", "\"\\ud83d\\ude00\""),
    OKC("utf8 2 byte", "\"\xc3\xa9\""),
    OKC("utf8 3 byte", "\"\xe4\xb8\xad\""),
    OKC("utf8 4 byte", "\"\xf0\x9f\x98\x80\""),
    OKC("utf8 U+10FFFF", "\"\xf4\x8f\xbf\xbf\""),
    OKC("utf8 U+FFFF", "\"\xef\xbf\xbf\""),
    OKC("DEL raw", "\"\x7f\""),
    OKC("keys differing by case", "{\"a\":1,\"A\":2}"),
    OKC("same key in sibling objects", "[{\"a\":1},{\"a\":2}]"),
    OKC("same key in nested object", "{\"a\":{\"a\":1}}"),
    OKC("key prefix of another", "{\"ab\":1,\"a\":2}"),
    OKC("depth 64", NULL),
    OKC("10000 members", NULL),
    BAD("empty input", "", "$"),
    BAD("only whitespace", "  \n ", "$"),
    BAD("trailing bytes", "{} x", "$"),
    BAD("two values", "1 2", "$"),
    BAD("trailing comma object", "{\"a\":1,}", "$"),
    BAD("trailing comma array", "[1,]", "$[1]"),
    BAD("missing colon", "{\"a\" 1}", "$"),
    BAD("single quotes", "{'a':1}", "$"),
    BAD("unquoted key", "{a:1}", "$"),
    BAD("leading zero", "{\"n\":0123}", "$.n"),
    BAD("leading zero neg", "-01", "$"),
    BAD("plus sign", "[+1]", "$[0]"),
    BAD("leading dot", "[.5]", "$[0]"),
    BAD("trailing dot", "[1.]", "$[0]"),
    BAD("exponent without digits", "[1e]", "$[0]"),
    BAD("exponent sign only", "[1e+]", "$[0]"),
    BAD("NaN", "{\"x\":NaN}", "$.x"),
    BAD("Infinity", "[Infinity]", "$[0]"),
    BAD("minus Infinity", "[-Infinity]", "$[0]"),
    BAD("hex number", "[0x10]", "$"),
    BAD("DBL_MAX would print as inf", "[1.7976931348623157e308]", "$[0]"),
    BAD("1e400 overflows", "{\"s\":1e400}", "$.s"),
    BAD("-1e400 overflows", "[-1e400]", "$[0]"),
    BAD("bad literal", "[tru]", "$[0]"),
    BAD("capital True", "[True]", "$[0]"),
    BAD("raw newline in string", "[\"a\nb\"]", "$[0]"),
    BAD("raw tab in string", "{\"k\":\"a\tb\"}", "$.k"),
    BAD("raw NUL byte in string", NULL, "$[0]"),
    BAD("escaped NUL", "{\"id\":\"x\\u0000y\"}", "$.id"),
    BAD("lone high surrogate", "[\"\\ud800\"]", "$[0]"),
    BAD("lone low surrogate", "[\"\\udc00\"]", "$[0]"),
    BAD("high then non-surrogate", "[\"\\ud800\\u0041\"]", "$[0]"),
    BAD("reversed surrogates", "[\"\\udc00\\ud800\"]", "$[0]"),
    BAD("short unicode escape", "[\"\\u12\"]", "$[0]"),
    BAD("non-hex unicode escape", "[\"\\u12g4\"]", "$[0]"),
    BAD("invalid escape", "[\"\\x41\"]", "$[0]"),
    BAD("unterminated string", "[\"abc", "$[0]"),
    BAD("invalid byte FF", "[\"\xff\"]", "$[0]"),
    BAD("lone continuation byte", "[\"\x80\"]", "$[0]"),
    BAD("overlong slash C0 AF", "[\"\xc0\xaf\"]", "$[0]"),
    BAD("overlong 3 byte", "[\"\xe0\x80\xaf\"]", "$[0]"),
    BAD("overlong 4 byte", "[\"\xf0\x80\x80\xaf\"]", "$[0]"),
    BAD("utf8 surrogate ED A0 80", "[\"\xed\xa0\x80\"]", "$[0]"),
    BAD("above U+10FFFF", "[\"\xf4\x90\x80\x80\"]", "$[0]"),
    BAD("F5 lead", "[\"\xf5\x80\x80\x80\"]", "$[0]"),
    BAD("truncated sequence", "[\"\xe4\xb8\"]", "$[0]"),
    BAD("truncated at end", "\"\xe4", "$"),
    BAD("non-ASCII outside string", "[\xc3\xa9]", "$[0]"),
    BAD("BOM", "\xef\xbb\xbf{}", "$"),
    /* past the eight-byte fast loop of the string scan */
    BAD("raw control after 13 bytes", "[\"abcdefghijklm\x01nop\"]", "$[0]"),
    BAD("raw DEL is fine, raw tab is not", "[\"abcdefghijk\x7fmnopqrs\tu\"]", "$[0]"),
    BAD("invalid UTF-8 after 9 bytes", "[\"abcdefghi\xff\"]", "$[0]"),
    BAD("overlong after 16 bytes", "[\"abcdefghijklmnop\xc0\xaf\"]", "$[0]"),
    BAD("unterminated long string", "[\"abcdefghijklmnopqrstuvwxyz", "$[0]"),
    BAD("bad escape after 17 bytes", "[\"abcdefghijklmnopq\\x\"]", "$[0]"),
    BAD("duplicate key", "{\"a\":1,\"a\":2}", "$.a"),
    BAD("duplicate key nested", "{\"actor\":{\"mbox\":\"x\",\"name\":\"n\",\"mbox\":\"y\"}}",
        "$.actor.mbox"),
    BAD("duplicate key after escape", "{\"ab\":1,\"a\\u0062\":2}", "$.ab"),
    BAD("duplicate key in array element", "[{},{\"k\":1,\"z\":0,\"k\":2}]", "$[1].k"),
    /* two keys twice: the smaller is named, for small objects (pairwise) and large (sorted) */
    BAD("two duplicate keys", "{\"b\":1,\"a\":1,\"b\":2,\"a\":2}", "$.a"),
    BAD("two duplicate keys, 14 members",
        "{\"m\":0,\"n\":0,\"z\":1,\"c\":1,\"d\":0,\"e\":0,\"f\":0,\"g\":0,\"h\":0,\"i\":0,"
        "\"j\":0,\"k\":0,\"z\":2,\"c\":2}",
        "$.c"),
    BAD("duplicate after a prefix key", "{\"ab\":1,\"a\":1,\"ab\":2}", "$.ab"),
    BAD("number with exponent beyond double", "[1e400]", "$[0]"),
    BAD("negative number with exponent beyond double", "[-2E+308]", "$[0]"),
    BAD("unclosed object", "{\"a\":1", "$"),
    BAD("unclosed array", "[1,2", "$"),
    BAD("comment", "{} // c", "$"),
    LIM("depth 65", NULL, NULL),
    LIM("10001 members", NULL, NULL),
    LIM("10001 array elements", NULL, NULL),
    LIM("number longer than 63",
        "[1.00000000000000000000000000000000000000000000000000000000000000001]", "$[0]"),
};

static char *repeat_nest(unsigned depth)
{
    char *s = sc_malloc(2 * depth + 2);
    for (unsigned i = 0; i < depth; i++)
        s[i] = '[';
    for (unsigned i = 0; i < depth; i++)
        s[depth + i] = ']';
    s[2 * depth] = '\0';
    return s;
}

static char *many_members(size_t n, int object)
{
    size_t cap = n * 16 + 8, len = 0;
    char *s = sc_malloc(cap);
    s[len++] = object ? '{' : '[';
    for (size_t i = 0; i < n; i++) {
        int w = object ? snprintf(s + len, cap - len, "%s\"k%zu\":%zu", i ? "," : "", i, i)
                       : snprintf(s + len, cap - len, "%s%zu", i ? "," : "", i);
        len += (size_t)w;
    }
    s[len++] = object ? '}' : ']';
    s[len] = '\0';
    return s;
}

static void differential(const char *name, const char *text, size_t len)
{
    struct stmt_diag d;
    cJSON *a = stmt_json_parse(text, len, NULL, &d), *b = NULL;
    char *printed = NULL;

    ok(a != NULL, "%s: cJSON builds the tree the scan accepted", name);
    if (!a)
        return;
    printed = cJSON_PrintUnformatted(a);
    ok(printed && stmt_json_scan(printed, strlen(printed), NULL, &d) == STMT_OK,
       "%s: cJSON's serialisation passes the scan", name);
    b = printed ? stmt_json_parse(printed, strlen(printed), NULL, &d) : NULL;
    ok(b && cJSON_Compare(a, b, 1), "%s: round trip gives the same tree", name);
    cJSON_free(printed);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

int main(void)
{
    size_t n = sizeof(cases) / sizeof(cases[0]);
    size_t naccept = 0, nreject = 0;

    sc_alloc_init_cjson();
    for (size_t i = 0; i < n; i++) {
        const struct jcase *c = &cases[i];
        char *gen = NULL;
        const char *text = c->text;
        size_t len;
        struct stmt_diag d;
        int rc;

        memset(&d, 0, sizeof(d));
        if (!text) {
            if (strcmp(c->name, "depth 64") == 0)
                text = gen = repeat_nest(64);
            else if (strcmp(c->name, "depth 65") == 0)
                text = gen = repeat_nest(65);
            else if (strcmp(c->name, "10000 members") == 0)
                text = gen = many_members(10000, 1);
            else if (strcmp(c->name, "10001 members") == 0)
                text = gen = many_members(10001, 1);
            else if (strcmp(c->name, "10001 array elements") == 0)
                text = gen = many_members(10001, 0);
            else
                text = "[\"a\0b\"]"; /* raw NUL byte */
        }
        len = c->len ? c->len : (strcmp(c->name, "raw NUL byte in string") == 0 ? 7 : strlen(text));
        rc = stmt_json_scan(text, len, NULL, &d);
        is_int(rc, c->want, "scan %s", c->name);
        if (rc != STMT_OK) {
            nreject++;
            is_int(d.code, rc, "%s: diag code", c->name);
            ok(d.msg[0] != '\0', "%s: diag message (%s)", c->name, d.msg);
            if (c->path)
                is_str(d.path, c->path, "%s: diag path", c->name);
            ok(stmt_json_parse(text, len, NULL, &d) == NULL, "%s: parse refuses too", c->name);
        } else {
            naccept++;
            differential(c->name, text, len);
        }
        sc_free(gen);
    }
    tap_diag("%zu cases: %zu accepted, %zu rejected", n, naccept, nreject);
    ok(n >= 60, "at least 60 cases");

    /* configurable limits */
    {
        struct stmt_json_limits lim = {2, 3, 4, 5};
        struct stmt_diag d;
        is_int(stmt_json_scan("[[1]]", 5, &lim, &d), STMT_OK, "limit depth 2 accepts [[1]]");
        is_int(stmt_json_scan("[[[1]]]", 7, &lim, &d), STMT_ERR_LIMIT, "limit depth 2 refuses 3");
        is_str(d.path, "$[0][0]", "limit depth path");
        is_int(stmt_json_scan("[1,2,3]", 7, &lim, &d), STMT_OK, "limit 3 members accepts 3");
        is_int(stmt_json_scan("[1,2,3,4]", 9, &lim, &d), STMT_ERR_LIMIT, "limit 3 members");
        is_int(stmt_json_scan("\"abcd\"", 6, &lim, &d), STMT_OK, "limit string 4 accepts 4");
        is_int(stmt_json_scan("\"abcde\"", 7, &lim, &d), STMT_ERR_LIMIT,
               "limit string 4 refuses 5");
        is_int(stmt_json_scan("\"ab\\u00e9\"", 10, &lim, &d), STMT_OK,
               "string limit counts unescaped bytes (4)");
        is_int(stmt_json_scan("[[1],[2]]", 9, &lim, &d), STMT_OK, "5 tokens ok");
        is_int(stmt_json_scan("[[1],[2],3]", 11, &lim, &d), STMT_ERR_LIMIT, "6 tokens refused");
    }
    /* not NUL-terminated: the scan must stop at len */
    {
        const char body[] = {'{', '"', 'a', '"', ':', '1', '}', 'x'};
        struct stmt_diag d;
        cJSON *j;
        is_int(stmt_json_scan(body, 7, NULL, &d), STMT_OK, "length-bounded input accepted");
        j = stmt_json_parse(body, 7, NULL, &d);
        ok(j && cJSON_GetObjectItemCaseSensitive(j, "a") &&
               cJSON_GetObjectItemCaseSensitive(j, "a")->valuedouble == 1.0,
           "length-bounded parse gives a=1");
        cJSON_Delete(j);
        is_int(stmt_json_scan(body, 8, NULL, &d), STMT_ERR_JSON, "with the x it is trailing");
    }
    /* allocation failures: NOMEM with a diag, no crash or leak, then the normal tree */
    {
        static const char doc[] = "{\"a\":[1,2,{\"b\":\"x\",\"c\":{\"d\":null}}],\"e\":\"f\","
                                  "\"g\":{\"h\":1,\"i\":2,\"j\":3}}";
        struct stmt_diag d;
        cJSON *j = NULL;
        int nfail = 0, all_nomem = 1;
        for (long k = 0; k < 10000; k++) {
            sc_alloc_fail_after(k);
            j = stmt_json_parse(doc, sizeof(doc) - 1, NULL, &d);
            sc_alloc_fail_after(-1);
            if (j)
                break;
            nfail++;
            if (d.code != STMT_ERR_NOMEM)
                all_nomem = 0;
        }
        ok(nfail > 3 && all_nomem, "parse: %d injected failures all reported as NOMEM", nfail);
        ok(j && cJSON_GetObjectItem(j, "g") && cJSON_GetArraySize(cJSON_GetObjectItem(j, "a")) == 3,
           "parse after the failures gives the tree");
        cJSON_Delete(j);
    }
    is_str(stmt_strerror(STMT_ERR_JSON), "malformed JSON", "strerror JSON");
    is_str(stmt_strerror(STMT_ERR_INVALID), "invalid xAPI statement", "strerror INVALID");
    is_str(stmt_strerror(12345), "unknown statement error", "strerror unknown");
    return tap_done();
}
