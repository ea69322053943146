/* SPDX-License-Identifier: Apache-2.0 */
/* sc_json_near: tolerance on numbers only, members by name, arrays in order, the path named. */
#include "common/sc_json.h"
#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/tap.h"

#include <math.h>
#include <string.h>

/* sc_json_print gives exactly cJSON_PrintUnformatted's bytes */
static int same_print(const cJSON *j, const char *what)
{
    struct sc_buf b = SC_BUF_INIT;
    char *want = cJSON_PrintUnformatted(j);
    int rc = sc_json_print(j, &b), same = want && !rc && b.data && !strcmp(want, b.data);
    if (!same)
        tap_diag("%s: cJSON %s, sc_json_print %s (rc %d)", what, want ? want : "(null)",
                 b.data ? b.data : "(null)", rc);
    cJSON_free(want);
    sc_buf_free(&b);
    return same;
}

/* the same tree, exactly: types, keys, strings, number bits, valueint, both links */
static int same_tree(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y, *lx = NULL, *ly = NULL;
    if (!a || !b)
        return a == b;
    if (a->type != b->type || a->valueint != b->valueint ||
        memcmp(&a->valuedouble, &b->valuedouble, sizeof a->valuedouble) ||
        !a->string != !b->string || (a->string && strcmp(a->string, b->string)) ||
        !a->valuestring != !b->valuestring ||
        (a->valuestring && strcmp(a->valuestring, b->valuestring)))
        return 0;
    for (x = a->child, y = b->child; x && y; lx = x, ly = y, x = x->next, y = y->next) {
        if (!same_tree(x, y) || (x != a->child && x->prev != lx) ||
            (y != b->child && y->prev != ly))
            return 0;
    }
    if (x || y)
        return 0;
    if (a->child && (a->child->prev != lx || b->child->prev != ly))
        return 0;
    return 1;
}

static const char *const parse_docs[] = {
    "{}",
    "[]",
    " [ 1 , 2 ] ",
    "{\"a\":[],\"b\":{},\"c\":[{}],\"d\":[[]],\"e\":[1,[2,[3]]]}",
    "[true,false,null,\"\",\"s\"]",
    "[0,-0,1,-1,2147483647,2147483648,-2147483648,-2147483649,1e400,-1e400,4.5,-4.5,"
    "0.1,1E2,1e-2,2.5e+3,123456789012345678901234567890,1.7976931348623157e308]",
    "{\"esc\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\/\\\\\\\"\",\"k\\n\\u00e9\":1}",
    "{\"u\":\"\\u00e9\\u20ac\\ud83d\\ude00\\uFFFF\\u0800\\u07FF\\u0080\\u007F\"}",
    "{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"\xc3\xa9\":\"x\"}",
    "\"just a string with \\\"quotes\\\" and a long run of plain bytes to pass the fast loop\"",
    "42",
    "{\"id\":\"b3f1e6b0-0000-4000-8000-000000000001\",\"actor\":{\"objectType\":\"Agent\","
    "\"name\":\"Learner 7\",\"mbox\":\"mailto:learner7@example.com\"},\"verb\":{\"id\":"
    "\"http://adlnet.gov/expapi/verbs/v7\",\"display\":{\"en-US\":\"v7\"}},\"object\":"
    "{\"objectType\":\"Activity\",\"id\":\"http://example.com/activity/7\",\"definition\":"
    "{\"name\":{\"en-US\":\"Activity 7\"}}},\"result\":{\"score\":{\"scaled\":0.07},"
    "\"completion\":true,\"duration\":\"PT7S\"},\"context\":{\"registration\":"
    "\"00000007-0000-4000-8000-000000000000\"}}",
    "[\"\\\\\",\"\\\\\\\\\",\"a\\\\\",\"\\\\a\",\"abcdefgh\\\\\\\"ijklmnop\\\\\"]",
};

/* A random valid JSON document (no "\\u0000", which the strict scan refuses) into b. */
static unsigned long long rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void gen_str(struct sc_buf *b)
{
    static const char *const bits[] = {"a",
                                       "Z",
                                       " ",
                                       "\\\"",
                                       "\\\\",
                                       "\\/",
                                       "\\b",
                                       "\\f",
                                       "\\n",
                                       "\\r",
                                       "\\t",
                                       "\\u0001",
                                       "\\u00e9",
                                       "\\u20AC",
                                       "\\ud83d\\ude00",
                                       "\xc3\xa9",
                                       "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80",
                                       "\x7f",
                                       "0123456789abcdef"};
    unsigned n = rnd(4) ? rnd(12) : rnd(300);
    sc_buf_putc(b, '"');
    for (unsigned i = 0; i < n; i++)
        sc_buf_puts(b, bits[rnd(sizeof bits / sizeof bits[0])]);
    sc_buf_putc(b, '"');
}

static void gen(struct sc_buf *b, int depth)
{
    static const char *const nums[] = {"0",
                                       "-0",
                                       "1",
                                       "-1",
                                       "0.5",
                                       "-2.25",
                                       "1e3",
                                       "1E-3",
                                       "2147483647",
                                       "2147483648",
                                       "-2147483649",
                                       "1e400",
                                       "123456789.123456789",
                                       "5e-324",
                                       "0.1",
                                       "99999999999999999999"};
    unsigned k = depth > 5 ? rnd(4) : rnd(6);
    switch (k) {
    case 0:
        gen_str(b);
        break;
    case 1:
        sc_buf_puts(b, nums[rnd(sizeof nums / sizeof nums[0])]);
        break;
    case 2:
        sc_buf_puts(b, rnd(3) == 0 ? "true" : rnd(2) ? "false" : "null");
        break;
    case 3:
        sc_buf_printf(b, "%u.%u", rnd(100000), rnd(1000));
        break;
    case 4:
    case 5: {
        unsigned n = rnd(6);
        sc_buf_puts(b, k == 4 ? "[" : "{");
        for (unsigned i = 0; i < n; i++) {
            if (i)
                sc_buf_puts(b, rnd(2) ? "," : " ,\n");
            if (k == 5) {
                gen_str(b);
                sc_buf_puts(b, rnd(2) ? ":" : " : ");
            }
            gen(b, depth + 1);
        }
        sc_buf_puts(b, k == 4 ? "]" : "}");
    }
    }
}

static void parse_tests(void)
{
    for (size_t i = 0; i < sizeof parse_docs / sizeof parse_docs[0]; i++) {
        cJSON *want = cJSON_Parse(parse_docs[i]);
        cJSON *got = sc_json_parse_valid(parse_docs[i], strlen(parse_docs[i]));
        ok(want && same_tree(want, got), "sc_json_parse_valid builds cJSON's tree for document %zu",
           i);
        cJSON_Delete(want);
        cJSON_Delete(got);
    }
    /* strings with escapes at every offset (the end of a string is found eight bytes at a time) */
    int all = 1;
    for (size_t len = 1; len <= 30 && all; len++)
        for (size_t at = 0; at < len && all; at++)
            for (int k = 0; k < 3 && all; k++) {
                char doc[80];
                size_t n = 0;
                doc[n++] = '"';
                for (size_t i = 0; i < len; i++) {
                    if (i == at) {
                        const char *e = k == 0 ? "\\\"" : k == 1 ? "\\\\" : "\\u00e9";
                        memcpy(doc + n, e, strlen(e));
                        n += strlen(e);
                    } else {
                        doc[n++] = (char)('a' + i % 26);
                    }
                }
                doc[n++] = '"';
                doc[n] = '\0';
                cJSON *want = cJSON_Parse(doc), *got = sc_json_parse_valid(doc, n);
                all = want && same_tree(want, got);
                if (!all)
                    tap_diag("%s", doc);
                cJSON_Delete(want);
                cJSON_Delete(got);
            }
    ok(all, "escapes at every offset of strings up to 30 characters");
    /* random documents: every node as cJSON builds it */
    all = 1;
    for (int i = 0; i < 3000 && all; i++) {
        struct sc_buf d = SC_BUF_INIT;
        gen(&d, 0);
        cJSON *want = cJSON_ParseWithLength(d.data, d.len),
              *got = sc_json_parse_valid(d.data, d.len);
        all = want && same_tree(want, got);
        if (!all)
            tap_diag("document %d: %.300s", i, d.data);
        cJSON_Delete(want);
        cJSON_Delete(got);
        sc_buf_free(&d);
    }
    ok(all, "3,000 random documents: the same trees as cJSON");
    /* out of memory at each allocation: NULL, nothing leaked (ASan) */
    const char *doc = parse_docs[11];
    int nulls = 0, done = 0;
    for (long k = 0; k < 200 && !done; k++) {
        sc_alloc_fail_after(k);
        cJSON *j = sc_json_parse_valid(doc, strlen(doc));
        sc_alloc_fail_after(-1);
        if (j) {
            done = 1;
            cJSON_Delete(j);
        } else {
            nulls++;
        }
    }
    ok(done && nulls > 20, "each allocation failure gives NULL (%d), then the tree", nulls);
}

static void print_tests(void)
{
    static const char *const docs[] = {
        "{}",
        "[]",
        "{\"a\":[],\"b\":{},\"c\":[{}],\"d\":[[]]}",
        "{\"id\":\"b3f1e6b0-0000-4000-8000-000000000001\",\"actor\":{\"mbox\":"
        "\"mailto:a@example.com\",\"name\":\"A \\\"quoted\\\" name\"},\"result\":{\"score\":"
        "{\"scaled\":0.95,\"raw\":-3,\"min\":-1e300,\"max\":1.5e-300},\"success\":true,"
        "\"completion\":false,\"response\":null}}",
        "[0,-0,1,-1,2147483647,-2147483648,2147483648,9007199254740993,123456789012345678901,"
        "0.1,0.30000000000000004,1e21,1.7976931348623157e308,5e-324,3.14159265358979323846]",
        "{\"esc\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f/\\\\\\\"\",\"k\\n\\u0002\":1}",
        "{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"\xc3\xa9\":\"\\ud83d\\ude00\"}",
        "[\"\",\"a\",\"\\u0000x\"]",
        "[[[[[[[[[[1]]]]]]]]]]",
        "[999999999999999,1e15,1000000000000001,4294967296,1e14,12345678901234,-0.0,-5,0.0,"
        "1764900000000000,1.5,100.0]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        cJSON *j = cJSON_Parse(docs[i]);
        ok(j && same_print(j, docs[i]), "sc_json_print matches cJSON on document %zu", i);
        cJSON_Delete(j);
    }
    /* nodes only a program makes: NaN and infinity (null), raw text, a NULL string, a
     * constant key, numbers set by hand */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "nan", NAN);
    cJSON_AddNumberToObject(o, "inf", -INFINITY);
    cJSON_AddRawToObject(o, "raw", "{\"x\": [1, 2]}");
    cJSON_AddItemToObjectCS(o, "const", cJSON_CreateString("c"));
    cJSON_AddNumberToObject(o, "third", 1.0 / 3.0);
    cJSON_AddNumberToObject(o, "big", 1e15 + 0.5);
    cJSON *ns = cJSON_CreateString("x");
    cJSON_free(ns->valuestring);
    ns->valuestring = NULL;
    cJSON_AddItemToObject(o, "nullstr", ns);
    ok(same_print(o, "program-built nodes"), "sc_json_print matches cJSON on program-built nodes");
    cJSON_Delete(o);

    /* each character that needs an escape, at every offset of strings up to 40 bytes (the
     * print scans eight bytes at a time), with UTF-8 and DEL around it */
    static const char special[] = {'"',  '\\', '\b', '\f', '\n',      '\r',
                                   '\t', 1,    0x1f, 0x7f, (char)0xc3};
    int all = 1;
    for (size_t len = 1; len <= 40 && all; len++)
        for (size_t at = 0; at < len && all; at++)
            for (size_t k = 0; k < sizeof special && all; k++) {
                char str[48];
                for (size_t i = 0; i < len; i++)
                    str[i] = (char)('a' + i % 26);
                str[at] = special[k];
                if (at + 1 < len && special[k] == (char)0xc3)
                    str[at + 1] = (char)0xa9;
                str[len] = '\0';
                cJSON *sj = cJSON_CreateString(str);
                all = same_print(sj, "escape at an offset");
                cJSON_Delete(sj);
            }
    ok(all, "sc_json_print matches cJSON with an escape at every offset");

    struct sc_buf b = SC_BUF_INIT;
    cJSON *bad = cJSON_CreateRaw("1");
    cJSON *arr = cJSON_CreateArray();
    cJSON_free(bad->valuestring);
    bad->valuestring = NULL;
    cJSON_AddItemToArray(arr, bad);
    char *cj = cJSON_PrintUnformatted(arr);
    ok(sc_json_print(arr, &b) != 0 && !cj, "a raw node without text: an error, as cJSON fails");
    cJSON_free(cj);
    cJSON_Delete(arr);
    sc_buf_free(&b);

    /* allocation failure: an error, never a truncated document taken for whole */
    cJSON *big = cJSON_Parse(docs[3]);
    int failed = 0;
    for (long k = 0; k < 8; k++) {
        struct sc_buf fb = SC_BUF_INIT;
        sc_alloc_fail_after(k);
        failed += sc_json_print(big, &fb) == SC_BUF_ERR_NOMEM;
        sc_alloc_fail_after(-1);
        sc_buf_free(&fb);
    }
    ok(failed >= 1, "an allocation failure is reported (%d of 8 runs)", failed);
    cJSON_Delete(big);
}

/* sc_json_set: replaces in place without allocating, adds when absent, consumes the item */
static void set_tests(void)
{
    cJSON *o = cJSON_Parse("{\"a\":1,\"b\":\"x\",\"c\":[2]}");
    ok(sc_json_set(o, "b", cJSON_CreateString("y")), "a member is replaced");
    ok(sc_json_set(o, "d", cJSON_CreateTrue()), "an absent member is added");
    ok(!sc_json_set(o, "e", NULL), "a NULL item (a failed create) is refused");
    cJSON *named = cJSON_CreateNumber(7);
    named->string = cJSON_malloc(8);
    strcpy(named->string, "old");
    ok(sc_json_set(o, "a", named), "an item that had a key of its own takes the member's");
    ok(same_print(o, "after set"), "printable");
    char *t = cJSON_PrintUnformatted(o);
    is_str(t, "{\"a\":7,\"b\":\"y\",\"c\":[2],\"d\":true}", "order kept, values set");
    cJSON_free(t);
    cJSON_AddItemToObjectCS(o, "k", cJSON_CreateNumber(1));
    ok(sc_json_set(o, "k", cJSON_CreateNumber(2)) &&
           cJSON_GetObjectItemCaseSensitive(o, "k")->valueint == 2,
       "a member with a constant key is replaced");
    /* out of memory: a replacement still succeeds (no allocation), an addition fails whole,
     * and no member is ever left without a name (cJSON_ReplaceItemInObject left one) */
    int replaced = 0, named_all = 1;
    for (long k = 0; k < 4; k++) {
        cJSON *n = cJSON_CreateNumber((double)k);
        sc_alloc_fail_after(0);
        replaced += sc_json_set(o, "b", n);
        int added = sc_json_set(o, "fresh", cJSON_CreateNull());
        sc_alloc_fail_after(-1);
        ok(!added, "an addition fails whole when its key cannot be copied (%ld)", k);
        for (cJSON *m = o->child; m; m = m->next)
            named_all &= m->string != NULL;
    }
    ok(replaced == 4, "replacements need no allocation (%d of 4)", replaced);
    ok(named_all, "every member keeps its name");
    ok(!cJSON_GetObjectItemCaseSensitive(o, "fresh"), "nothing half-added");
    ok(cJSON_GetObjectItemCaseSensitive(o, "d") != NULL, "members after the replaced one found");
    cJSON_Delete(o);
}

static int cmp(const char *a, const char *b, char *why, size_t wl)
{
    cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
    int r = sc_json_near(x, y, 1e-9, why, wl);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return r;
}

int main(void)
{
    sc_alloc_init_cjson(); /* cJSON allocates through sc_malloc: failures can be injected */
    char why[256];
    ok(cmp("{\"a\":0.30000000000000004,\"b\":[1,2]}", "{\"b\":[1,2],\"a\":0.3}", why, sizeof why),
       "drift in the last bits and member order do not matter");
    ok(!cmp("{\"a\":{\"b\":[1,2]}}", "{\"a\":{\"b\":[2,1]}}", why, sizeof why),
       "array order matters");
    is_str(why, "$.a.b[0]: 1 and 2", "the path and both values are named");
    ok(!cmp("{\"a\":0.5}", "{\"a\":0.50001}", why, sizeof why), "a real difference");
    ok(!cmp("{\"a\":null}", "{\"a\":0}", why, sizeof why), "null is not 0");
    ok(!cmp("{\"a\":1}", "{\"a\":1,\"b\":2}", why, sizeof why), "a member only in the second");
    is_str(why, "$: 1 and 2 members", "counted");
    ok(!cmp("{\"a\":\"x\"}", "{\"a\":\"y\"}", why, sizeof why), "strings exactly");
    ok(cmp("[true,false,null,\"s\"]", "[true,false,null,\"s\"]", why, sizeof why), "literals");
    print_tests();
    parse_tests();
    set_tests();
    return tap_done();
}
