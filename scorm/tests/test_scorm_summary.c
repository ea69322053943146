/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration summary record's codec (scorm_rt_summary.c, issue 15): a record written by
 * the JSON code before the struct (the same text format) decodes to the same figures; encode
 * and decode round-trip; a record with a mistyped status or a member of the wrong type is
 * refused as corrupt (SCORM_RT_ERR_STORE), never read as a default.
 */
#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/scorm_rt_int.h"

#include <stdlib.h>
#include <string.h>

static int decode(const char *text, struct scorm__summary *s)
{
    return scorm__summary_decode(text, strlen(text), s);
}

int main(void)
{
    /* as scorm_rt_index.c wrote it before the struct (issue 13) */
    static const char OLD[] =
        "{\"completion\":\"incomplete\",\"success\":\"passed\",\"score\":0.75,"
        "\"total_time_cs\":12500,\"last_access\":\"2026-12-06T02:00:00.000Z\",\"scos\":{"
        "\"intro\":{\"c\":\"completed\",\"s\":\"unknown\",\"t\":6000},"
        "\"quiz\":{\"c\":\"incomplete\",\"s\":\"passed\",\"sc\":0.75,\"t\":6500}}}";
    struct scorm__summary s, r;
    char *text = NULL;

    sc_alloc_init_cjson();
    is_int(decode(OLD, &s), SCORM_RT_OK, "a stored record decodes");
    is_str(scorm__completion_name(s.completion), "incomplete", "completion");
    is_str(scorm__success_name(s.success), "passed", "success");
    ok(s.has_score && s.score == 0.75, "score");
    ok(s.total_time_cs == 12500, "total time");
    is_str(s.last_access, "2026-12-06T02:00:00.000Z", "last access");
    is_int((int)s.n_scos, 2, "two SCOs");
    ok(scorm__summary_sco(&s, "intro", 0) &&
           scorm__summary_sco(&s, "intro", 0)->c == SCORM__C_COMPLETED,
       "intro completed");
    ok(scorm__summary_sco(&s, "quiz", 0) && scorm__summary_sco(&s, "quiz", 0)->has_scaled &&
           scorm__summary_sco(&s, "quiz", 0)->scaled == 0.75,
       "quiz scaled score");
    ok(!scorm__summary_sco(&s, "intro", 0)->has_scaled, "intro has no score");
    ok(scorm__summary_sco(&s, "nope", 0) == NULL, "an unknown SCO is absent");

    is_int(scorm__summary_encode(&s, &text), SCORM_RT_OK, "encode");
    is_str(text, OLD, "the same text as before the struct");
    is_int(decode(text, &r), SCORM_RT_OK, "decode the encoding");
    ok(r.completion == s.completion && r.success == s.success && r.n_scos == s.n_scos &&
           r.total_time_cs == s.total_time_cs && !strcmp(r.last_access, s.last_access),
       "round trip");
    cJSON_free(text);
    scorm__summary_free(&r);
    scorm__summary_free(&s);

    scorm__summary_init(&s);
    is_int(scorm__summary_encode(&s, &text), SCORM_RT_OK, "an initial summary encodes");
    is_str(text,
           "{\"completion\":\"not attempted\",\"success\":\"unknown\",\"total_time_cs\":0,"
           "\"scos\":{}}",
           "as a new registration's");
    cJSON_free(text);

    /* corrupt records: refused, not read as defaults */
    static const char *const BAD[] = {
        "not json",
        "[]",
        "{\"completion\":\"complete\",\"success\":\"unknown\",\"scos\":{}}",
        "{\"completion\":\"completed\",\"success\":\"pased\",\"scos\":{}}",
        "{\"success\":\"unknown\",\"scos\":{}}",
        "{\"completion\":\"completed\",\"success\":\"unknown\",\"score\":\"0.5\",\"scos\":{}}",
        "{\"completion\":\"completed\",\"success\":\"unknown\",\"scos\":[]}",
        "{\"completion\":\"completed\",\"success\":\"unknown\",\"scos\":{\"a\":{\"c\":\"done\","
        "\"s\":\"unknown\",\"t\":0}}}",
        "{\"completion\":\"completed\",\"success\":\"unknown\",\"scos\":{\"a\":{\"c\":"
        "\"completed\",\"s\":\"unknown\",\"t\":\"9\"}}}",
        "{\"completion\":\"completed\",\"success\":\"unknown\",\"last_access\":5,\"scos\":{}}",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        scorm__summary_init(&s);
        s.completion = SCORM__C_COMPLETED; /* out is untouched on failure */
        is_int(decode(BAD[i], &s), SCORM_RT_ERR_STORE, "refused: %s", BAD[i]);
        ok(s.completion == SCORM__C_COMPLETED && s.n_scos == 0, "... and out untouched");
    }

    /* allocation failures: an error, never a half-decoded record */
    {
        int bad = 0, k;
        for (k = 0; k < 1000; k++) {
            long f0 = sc_alloc_failures();
            int rc;
            sc_alloc_fail_after(k);
            rc = decode(OLD, &s);
            sc_alloc_fail_after(-1);
            if (sc_alloc_failures() == f0) {
                bad += rc != SCORM_RT_OK;
                scorm__summary_free(&s);
                break;
            }
            if (rc == SCORM_RT_OK) {
                bad += s.n_scos != 2; /* a failure it could absorb: still whole */
                scorm__summary_free(&s);
            } else if (rc != SCORM_RT_ERR_NOMEM) {
                bad++; /* an allocation failure is never "corrupt" */
            }
        }
        ok(k > 5 && k < 1000, "every allocation of decode failed once (%d)", k);
        is_int(bad, 0, "an error or the whole record");
    }
    return tap_done();
}
