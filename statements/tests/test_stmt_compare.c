/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statement comparison (Data 2.3.1, xapi-lrs.md S3): one equal/unequal pair per immutability
 * exception and per non-exception; then golden outputs of the ids / canonical / exact formats
 * (Comm 2.1.3) and the Accept-Language choice.
 */
#include <string.h>

#include "common/sc_alloc.h"
#include "common/tap.h"
#include "statements/stmt_validate.h"

#define ACT "\"actor\":{\"mbox\":\"mailto:ana@example.com\",\"name\":\"Ana\"}"
#define VERB "\"verb\":{\"id\":\"http://example.com/v\",\"display\":{\"en-US\":\"did\"}}"
#define OBJ "\"object\":{\"id\":\"http://example.com/a\"}"
#define SHA "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"
#define S3(x) "{" ACT "," VERB "," OBJ x "}"

struct pair {
    const char *name, *a, *b;
    int want;
};

static const struct pair pairs[] = {
    {"identical", S3(""), S3(""), 1},
    {"id differs (LRS-assigned)", S3(",\"id\":\"fd41c918-b88b-4b20-a0a5-a4c32391aaa0\""), S3(""),
     1},
    {"authority differs", S3(",\"authority\":{\"mbox\":\"mailto:lrs@example.com\"}"),
     S3(",\"authority\":{\"account\":{\"homePage\":\"https://x.com\",\"name\":\"c\"}}"), 1},
    {"stored differs", S3(",\"stored\":\"2024-01-01T00:00:00Z\""),
     S3(",\"stored\":\"2025-01-01T00:00:00Z\""), 1},
    {"version absent vs 1.0.0", S3(""), S3(",\"version\":\"1.0.0\""), 1},
    {"timestamp same instant, other zone", S3(",\"timestamp\":\"2024-03-01T10:00:00Z\""),
     S3(",\"timestamp\":\"2024-03-01T12:00:00+02:00\""), 1},
    {"timestamp differs by a second", S3(",\"timestamp\":\"2024-03-01T10:00:00Z\""),
     S3(",\"timestamp\":\"2024-03-01T10:00:01Z\""), 0},
    {"timestamp differs by a millisecond", S3(",\"timestamp\":\"2024-03-01T10:00:00.001Z\""),
     S3(",\"timestamp\":\"2024-03-01T10:00:00.002Z\""), 0},
    {"timestamp differs below a millisecond", S3(",\"timestamp\":\"2024-03-01T10:00:00.1234Z\""),
     S3(",\"timestamp\":\"2024-03-01T10:00:00.1239Z\""), 1},
    {"timestamp absent on one side (LRS sets it)", S3(",\"timestamp\":\"2024-03-01T10:00:00Z\""),
     S3(""), 1},
    {"activity definition differs",
     "{" ACT "," VERB ",\"object\":{\"id\":\"http://example.com/a\",\"definition\":{\"name\":"
     "{\"en\":\"A\"}}}}",
     "{" ACT "," VERB ",\"object\":{\"id\":\"http://example.com/a\",\"definition\":{\"name\":"
     "{\"en\":\"B\"}}}}",
     1},
    {"activity id differs", S3(""),
     "{" ACT "," VERB ",\"object\":{\"id\":\"http://example.com/b\"}}", 0},
    {"verb display differs", S3(""),
     "{" ACT ",\"verb\":{\"id\":\"http://example.com/v\",\"display\":{\"fr\":\"fait\"}}," OBJ "}",
     1},
    {"verb display absent", S3(""), "{" ACT ",\"verb\":{\"id\":\"http://example.com/v\"}," OBJ "}",
     1},
    {"verb id differs", S3(""), "{" ACT ",\"verb\":{\"id\":\"http://example.com/w\"}," OBJ "}", 0},
    {"group member order",
     "{\"actor\":{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@x.com\"},{\"mbox\":"
     "\"mailto:b@x.com\"}]}," VERB "," OBJ "}",
     "{\"actor\":{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:b@x.com\"},{\"mbox\":"
     "\"mailto:a@x.com\"}]}," VERB "," OBJ "}",
     1},
    {"group member differs",
     "{\"actor\":{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@x.com\"}]}," VERB
     "," OBJ "}",
     "{\"actor\":{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:c@x.com\"}]}," VERB
     "," OBJ "}",
     0},
    {"attachments differ",
     S3(",\"attachments\":[{\"usageType\":\"http://x.com/u\",\"display\":{\"en\":\"a\"},"
        "\"contentType\":\"text/plain\",\"length\":1,\"sha2\":\"" SHA "\"}]"),
     S3(""), 1},
    {"mbox domain case", S3(""),
     "{\"actor\":{\"mbox\":\"mailto:ana@EXAMPLE.com\",\"name\":\"Ana\"}," VERB "," OBJ "}", 1},
    {"mbox local part case", S3(""),
     "{\"actor\":{\"mbox\":\"mailto:Ana@example.com\",\"name\":\"Ana\"}," VERB "," OBJ "}", 0},
    {"actor name differs", S3(""),
     "{\"actor\":{\"mbox\":\"mailto:ana@example.com\",\"name\":\"Anna\"}," VERB "," OBJ "}", 0},
    {"actor objectType absent vs Agent", S3(""),
     "{\"actor\":{\"objectType\":\"Agent\",\"mbox\":\"mailto:ana@example.com\",\"name\":\"Ana\"}"
     "," VERB "," OBJ "}",
     1},
    {"object objectType absent vs Activity", S3(""),
     "{" ACT "," VERB ",\"object\":{\"objectType\":\"Activity\",\"id\":\"http://example.com/a\"}}",
     1},
    {"mbox_sha1sum case",
     "{\"actor\":{\"mbox_sha1sum\":\"ebd31e95054c018b10727ccffd2ef2ec3a016ee9\"}," VERB "," OBJ "}",
     "{\"actor\":{\"mbox_sha1sum\":\"EBD31E95054C018B10727CCFFD2EF2EC3A016EE9\"}," VERB "," OBJ "}",
     1},
    {"contextActivities single vs array",
     S3(",\"context\":{\"contextActivities\":{\"parent\":{\"id\":\"http://x.com/p\"}}}"),
     S3(",\"context\":{\"contextActivities\":{\"parent\":[{\"id\":\"http://x.com/p\"}]}}"), 1},
    {"contextActivities parent differs",
     S3(",\"context\":{\"contextActivities\":{\"parent\":[{\"id\":\"http://x.com/p\"}]}}"),
     S3(",\"context\":{\"contextActivities\":{\"parent\":[{\"id\":\"http://x.com/q\"}]}}"), 0},
    {"contextActivities definition differs",
     S3(",\"context\":{\"contextActivities\":{\"category\":[{\"id\":\"http://x.com/p\","
        "\"definition\":{\"type\":\"http://x.com/t\"}}]}}"),
     S3(",\"context\":{\"contextActivities\":{\"category\":[{\"id\":\"http://x.com/p\"}]}}"), 1},
    {"registration case",
     S3(",\"context\":{\"registration\":\"ec531277-b57b-4c15-8d91-d292c5b2b8f7\"}"),
     S3(",\"context\":{\"registration\":\"EC531277-B57B-4C15-8D91-D292C5B2B8F7\"}"), 1},
    {"registration differs",
     S3(",\"context\":{\"registration\":\"ec531277-b57b-4c15-8d91-d292c5b2b8f7\"}"),
     S3(",\"context\":{\"registration\":\"ec531277-b57b-4c15-8d91-d292c5b2b8f8\"}"), 0},
    {"context language case", S3(",\"context\":{\"language\":\"en-US\"}"),
     S3(",\"context\":{\"language\":\"en-us\"}"), 1},
    {"context platform differs", S3(",\"context\":{\"platform\":\"a\"}"),
     S3(",\"context\":{\"platform\":\"b\"}"), 0},
    {"duration beyond 0.01 s", S3(",\"result\":{\"duration\":\"PT1.234S\"}"),
     S3(",\"result\":{\"duration\":\"PT1.23S\"}"), 1},
    {"duration is a string (PT1M vs PT60S)", S3(",\"result\":{\"duration\":\"PT1M\"}"),
     S3(",\"result\":{\"duration\":\"PT60S\"}"), 0},
    {"duration differs at 0.01 s", S3(",\"result\":{\"duration\":\"PT1.23S\"}"),
     S3(",\"result\":{\"duration\":\"PT1.24S\"}"), 0},
    {"score raw differs", S3(",\"result\":{\"score\":{\"raw\":1}}"),
     S3(",\"result\":{\"score\":{\"raw\":2}}"), 0},
    {"score 1 vs 1.0", S3(",\"result\":{\"score\":{\"raw\":1}}"),
     S3(",\"result\":{\"score\":{\"raw\":1.0}}"), 1},
    {"success absent vs true", S3(",\"result\":{}"), S3(",\"result\":{\"success\":true}"), 0},
    {"response differs", S3(",\"result\":{\"response\":\"a\"}"),
     S3(",\"result\":{\"response\":\"A\"}"), 0},
    {"extensions differ", S3(",\"result\":{\"extensions\":{\"http://x.com/e\":1}}"),
     S3(",\"result\":{\"extensions\":{\"http://x.com/e\":2}}"), 0},
    {"extension value null vs absent", S3(",\"result\":{\"extensions\":{\"http://x.com/e\":null}}"),
     S3(",\"result\":{\"extensions\":{}}"), 0},
    {"key order differs", "{" VERB "," OBJ "," ACT "}", S3(""), 1},
    {"StatementRef id case",
     "{" ACT "," VERB ",\"object\":{\"objectType\":\"StatementRef\",\"id\":"
     "\"fd41c918-b88b-4b20-a0a5-a4c32391aaa0\"}}",
     "{" ACT "," VERB ",\"object\":{\"objectType\":\"StatementRef\",\"id\":"
     "\"FD41C918-B88B-4B20-A0A5-A4C32391AAA0\"}}",
     1},
    {"SubStatement definition differs",
     "{" ACT "," VERB ",\"object\":{\"objectType\":\"SubStatement\"," ACT "," VERB
     ",\"object\":{\"id\":\"http://x.com/a\",\"definition\":{\"name\":{\"en\":\"x\"}}}}}",
     "{" ACT "," VERB ",\"object\":{\"objectType\":\"SubStatement\"," ACT "," VERB
     ",\"object\":{\"id\":\"http://x.com/a\"}}}",
     1},
    {"SubStatement timestamp differs (not LRS-set)",
     "{" ACT "," VERB ",\"object\":{\"objectType\":\"SubStatement\"," ACT "," VERB "," OBJ
     ",\"timestamp\":\"2030-01-01T00:00:00Z\"}}",
     "{" ACT "," VERB ",\"object\":{\"objectType\":\"SubStatement\"," ACT "," VERB "," OBJ "}}", 0},
    {"SubStatement actor differs",
     "{" ACT "," VERB ",\"object\":{\"objectType\":\"SubStatement\"," ACT "," VERB "," OBJ "}}",
     "{" ACT "," VERB ",\"object\":{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":"
     "\"mailto:bo@example.com\"}," VERB "," OBJ "}}",
     0},
};

static void run_pairs(void)
{
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        cJSON *a = cJSON_Parse(pairs[i].a), *b = cJSON_Parse(pairs[i].b);
        struct stmt_diag d;
        if (!tap_ok(a && b, "parse pair %s", pairs[i].name)) {
            cJSON_Delete(a);
            cJSON_Delete(b);
            continue;
        }
        /* every pair member is itself a valid statement */
        ok(stmt_validate(a, 0, &d) == STMT_OK && stmt_validate(b, 0, &d) == STMT_OK,
           "%s: both valid (%s %s)", pairs[i].name, d.path, d.msg);
        is_int(stmt_equal(a, b), pairs[i].want, "equal: %s", pairs[i].name);
        is_int(stmt_equal(b, a), pairs[i].want, "equal (swapped): %s", pairs[i].name);
        cJSON_Delete(a);
        cJSON_Delete(b);
    }
    {
        cJSON *a = cJSON_Parse(S3(""));
        char *before = cJSON_PrintUnformatted(a), *after;
        cJSON *b = cJSON_Parse("{\"actor\":{\"mbox\":\"mailto:ana@EXAMPLE.com\",\"name\":\"Ana\"},"
                               "\"verb\":{\"id\":\"http://example.com/v\"}," OBJ "}");
        stmt_equal(a, b);
        after = cJSON_PrintUnformatted(a);
        is_str(after, before, "stmt_equal does not modify its input");
        is_int(stmt_equal(a, NULL), STMT_ERR_ARG, "NULL argument");
        cJSON_free(before);
        cJSON_free(after);
        cJSON_Delete(a);
        cJSON_Delete(b);
    }
}

static const char *const full =
    "{\"id\":\"fd41c918-b88b-4b20-a0a5-a4c32391aaa0\","
    "\"actor\":{\"objectType\":\"Agent\",\"name\":\"Ana\",\"mbox\":\"mailto:ana@example.com\"},"
    "\"verb\":{\"id\":\"http://example.com/answered\",\"display\":{\"en-US\":\"answered\","
    "\"fr-FR\":\"a répondu\",\"de\":\"beantwortet\"}},"
    "\"object\":{\"id\":\"http://example.com/q1\",\"definition\":{\"name\":{\"en-US\":\"Q1\","
    "\"fr\":\"Q un\"},\"description\":{\"de-DE\":\"Frage\"},\"interactionType\":\"choice\","
    "\"choices\":[{\"id\":\"a\",\"description\":{\"en-GB\":\"A\",\"fr-CA\":\"A fr\"}}]}},"
    "\"context\":{\"instructor\":{\"objectType\":\"Group\",\"name\":\"T\",\"member\":["
    "{\"name\":\"t1\",\"mbox\":\"mailto:t1@example.com\"}]},"
    "\"team\":{\"objectType\":\"Group\",\"name\":\"Team\",\"account\":{\"homePage\":"
    "\"https://x.com\",\"name\":\"team\"},\"member\":[{\"mbox\":\"mailto:m@example.com\"}]},"
    "\"contextActivities\":{\"parent\":{\"id\":\"http://example.com/quiz\",\"definition\":"
    "{\"name\":{\"en\":\"Quiz\"}}}}},"
    "\"authority\":{\"name\":\"client\",\"account\":{\"homePage\":\"https://lrs.example.com\","
    "\"name\":\"c1\"}},"
    "\"stored\":\"2024-03-01T10:00:01.000Z\",\"timestamp\":\"2024-03-01T10:00:00.000Z\","
    "\"version\":\"1.0.0\"}";

static const char *const golden_ids =
    "{\"id\":\"fd41c918-b88b-4b20-a0a5-a4c32391aaa0\","
    "\"actor\":{\"objectType\":\"Agent\",\"mbox\":\"mailto:ana@example.com\"},"
    "\"verb\":{\"id\":\"http://example.com/answered\"},"
    "\"object\":{\"id\":\"http://example.com/q1\"},"
    "\"context\":{\"instructor\":{\"objectType\":\"Group\",\"member\":[{\"mbox\":"
    "\"mailto:t1@example.com\",\"objectType\":\"Agent\"}]},"
    "\"team\":{\"objectType\":\"Group\",\"account\":{\"homePage\":\"https://x.com\",\"name\":"
    "\"team\"}},"
    "\"contextActivities\":{\"parent\":[{\"id\":\"http://example.com/quiz\"}]}},"
    "\"authority\":{\"account\":{\"homePage\":\"https://lrs.example.com\",\"name\":\"c1\"},"
    "\"objectType\":\"Agent\"},"
    "\"stored\":\"2024-03-01T10:00:01.000Z\",\"timestamp\":\"2024-03-01T10:00:00.000Z\","
    "\"version\":\"1.0.0\"}";

static void check_format(const char *name, const char *in, int fmt, const char *lang,
                         const char *golden)
{
    cJSON *s = cJSON_Parse(in), *g = cJSON_Parse(golden), *out;
    char *txt;

    out = stmt_format(s, (enum stmt_format)fmt, lang);
    txt = out ? cJSON_PrintUnformatted(out) : NULL;
    if (!tap_ok(out && g && cJSON_Compare(out, g, 1), "format %s", name))
        tap_diag("  got %s", txt ? txt : "(null)");
    if (out) {
        struct stmt_diag d;
        ok(stmt_validate(out, 0, &d) == STMT_OK, "format %s output is a valid statement (%s %s)",
           name, d.path, d.msg);
    }
    cJSON_free(txt);
    cJSON_Delete(s);
    cJSON_Delete(g);
    cJSON_Delete(out);
}

static void run_formats(void)
{
    char canon[4096];
    cJSON *s = cJSON_Parse(full), *exact;

    check_format("ids", full, STMT_FORMAT_IDS, NULL, golden_ids);
    /* exact: unchanged except contextActivities as arrays (Data 2.4.6.2) */
    exact = cJSON_Parse(full);
    {
        cJSON *ca = cJSON_GetObjectItem(cJSON_GetObjectItem(exact, "context"), "contextActivities");
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, cJSON_DetachItemFromObject(ca, "parent"));
        cJSON_AddItemToObject(ca, "parent", arr);
        char *g = cJSON_PrintUnformatted(exact);
        check_format("exact", full, STMT_FORMAT_EXACT, "fr", g);
        cJSON_free(g);
    }
    /* canonical with fr: verb fr-FR (prefix match), name fr, description the only one (de-DE),
     * choice description fr-CA */
    snprintf(canon, sizeof(canon), "%s", full);
    {
        cJSON *c = cJSON_Parse(full);
        cJSON *verb = cJSON_GetObjectItem(c, "verb");
        cJSON *def = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "object"), "definition");
        cJSON *ca = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "context"), "contextActivities");
        cJSON *arr = cJSON_CreateArray();
        char *g;
        cJSON_ReplaceItemInObject(verb, "display", cJSON_Parse("{\"fr-FR\":\"a répondu\"}"));
        cJSON_ReplaceItemInObject(def, "name", cJSON_Parse("{\"fr\":\"Q un\"}"));
        cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(def, "choices"), 0),
                                  "description", cJSON_Parse("{\"fr-CA\":\"A fr\"}"));
        cJSON_AddItemToArray(arr, cJSON_DetachItemFromObject(ca, "parent"));
        cJSON_AddItemToObject(ca, "parent", arr);
        g = cJSON_PrintUnformatted(c);
        check_format("canonical fr", full, STMT_FORMAT_CANONICAL, "fr", g);
        /* en;q=0.5, de;q=0.9: verb de, name en-US, choice en-GB */
        cJSON_ReplaceItemInObject(verb, "display", cJSON_Parse("{\"de\":\"beantwortet\"}"));
        cJSON_ReplaceItemInObject(def, "name", cJSON_Parse("{\"en-US\":\"Q1\"}"));
        cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(def, "choices"), 0),
                                  "description", cJSON_Parse("{\"en-GB\":\"A\"}"));
        cJSON_free(g);
        g = cJSON_PrintUnformatted(c);
        check_format("canonical en;q=0.5, de;q=0.9", full, STMT_FORMAT_CANONICAL,
                     "en;q=0.5, de;q=0.9", g);
        cJSON_free(g);
        cJSON_Delete(c);
    }
    /* SubStatement: ids reaches inside */
    check_format("ids inside SubStatement",
                 "{\"actor\":{\"mbox\":\"mailto:a@x.com\",\"name\":\"A\"},\"verb\":{\"id\":"
                 "\"http://x.com/v\",\"display\":{\"en\":\"v\"}},\"object\":{\"objectType\":"
                 "\"SubStatement\",\"actor\":{\"objectType\":\"Group\",\"name\":\"G\",\"member\":"
                 "[{\"openid\":\"https://id.x.com/a\",\"name\":\"a\"}]},\"verb\":{\"id\":"
                 "\"http://x.com/w\",\"display\":{\"en\":\"w\"}},\"object\":{\"id\":"
                 "\"http://x.com/a\",\"definition\":{\"name\":{\"en\":\"n\"}}}}}",
                 STMT_FORMAT_IDS, NULL,
                 "{\"actor\":{\"mbox\":\"mailto:a@x.com\",\"objectType\":\"Agent\"},\"verb\":{"
                 "\"id\":\"http://x.com/v\"},\"object\":{\"objectType\":\"SubStatement\","
                 "\"actor\":{\"objectType\":\"Group\",\"member\":[{\"openid\":"
                 "\"https://id.x.com/a\",\"objectType\":\"Agent\"}]},\"verb\":{\"id\":"
                 "\"http://x.com/w\"},\"object\":{\"id\":\"http://x.com/a\"}}}");
    ok(stmt_format(s, (enum stmt_format)7, NULL) == NULL, "unknown format gives NULL");
    ok(stmt_format(NULL, STMT_FORMAT_EXACT, NULL) == NULL, "NULL statement gives NULL");
    is_int(stmt_format_from_string("ids"), STMT_FORMAT_IDS, "format ids");
    is_int(stmt_format_from_string("canonical"), STMT_FORMAT_CANONICAL, "format canonical");
    is_int(stmt_format_from_string("exact"), STMT_FORMAT_EXACT, "format exact");
    is_int(stmt_format_from_string("Exact"), -1, "format names are case-sensitive");
    cJSON_Delete(s);
    cJSON_Delete(exact);
}

static void run_lang(void)
{
    static const struct {
        const char *accept, *want;
    } t[] = {
        {NULL, "en-US"},
        {"", "en-US"},
        {"fr", "fr-FR"},
        {"fr-FR", "fr-FR"},
        {"FR-fr", "fr-FR"},
        {"de-AT", "en-US"}, /* no match: first key */
        {"de", "de"},
        {"es, de;q=0.2", "de"},
        {"en;q=0.1, fr;q=0.9", "fr-FR"},
        {"*;q=0.5, de;q=0.9", "de"},
        {"*", "en-US"},
        {"en;q=0, *", "fr-FR"}, /* en refused, * takes the first remaining */
        {"en-US;q=0.3, en;q=1", "en-US"},
        {"fr;q=0.5, de;q=0.5", "fr-FR"}, /* tie: header order */
        {"fr ; q=0.4 , de ; q=0.6", "de"},
    };
    cJSON *m = cJSON_Parse("{\"en-US\":\"x\",\"fr-FR\":\"y\",\"de\":\"z\"}");
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const cJSON *c = stmt_lang_pick(m, t[i].accept);
        is_str(c ? c->string : NULL, t[i].want, "Accept-Language \"%s\"",
               t[i].accept ? t[i].accept : "(none)");
    }
    {
        cJSON *e = cJSON_CreateObject();
        ok(stmt_lang_pick(e, "en") == NULL, "empty map gives NULL");
        cJSON_Delete(e);
    }
    cJSON_Delete(m);
}

/* Every allocation failure gives NULL / STMT_ERR_NOMEM, never a crash or a leak (ASan), and
 * once allocations succeed the result is the normal one (STYLE.md 4, curl torture tests). */
static void run_oom(void)
{
    cJSON *s = cJSON_Parse(full), *g = cJSON_Parse(golden_ids);
    cJSON *b = cJSON_Parse(full);
    int nfail = 0, nfail_eq = 0, rc = 0;
    cJSON *out = NULL;

    for (long n = 0; n < 100000; n++) {
        sc_alloc_fail_after(n);
        out = stmt_format(s, STMT_FORMAT_IDS, NULL);
        sc_alloc_fail_after(-1);
        if (out)
            break;
        nfail++;
    }
    ok(nfail > 5 && out && cJSON_Compare(out, g, 1),
       "format ids survives %d injected allocation failures, then gives the golden output", nfail);
    cJSON_Delete(out);
    for (long n = 0; n < 100000; n++) {
        sc_alloc_fail_after(n);
        rc = stmt_equal(s, b);
        sc_alloc_fail_after(-1);
        if (rc != STMT_ERR_NOMEM)
            break;
        nfail_eq++;
    }
    ok(nfail_eq > 5 && rc == 1, "stmt_equal survives %d allocation failures, then gives 1 (%d)",
       nfail_eq, rc);
    cJSON_Delete(s);
    cJSON_Delete(b);
    cJSON_Delete(g);
}

int main(void)
{
    sc_alloc_init_cjson();
    run_oom();
    run_pairs();
    run_formats();
    run_lang();
    return tap_done();
}
