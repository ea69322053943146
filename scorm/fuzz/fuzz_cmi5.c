/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: cmi5_structure_check, the cmi5 course structure parser and its rules
 * (scorm/cmi5_course.c; libxml2 with no network, no entities, no DTD).
 * Invariants: a structure or an error with a message, never both; an accepted structure has
 * at least one AU, each with an absolute id, a url and a moveOn, and it serialises.
 */
#include <libxml/parser.h>

#include "scorm/cmi5.h"
#include "scorm/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *out = NULL, *au;
    struct cmi5_diag d;
    memset(&d, 0, sizeof d);
    int rc = cmi5_structure_check(data, size, &out, &d);
    if (rc == 0) {
        char *s = cJSON_PrintUnformatted(out);
        if (!s || cJSON_GetArraySize(cJSON_GetObjectItem(out, "aus")) < 1)
            abort();
        cJSON_free(s);
        cJSON_ArrayForEach(au, cJSON_GetObjectItem(out, "aus"))
        {
            if (!cJSON_GetStringValue(cJSON_GetObjectItem(au, "publisherId")) ||
                !cJSON_GetStringValue(cJSON_GetObjectItem(au, "url")) ||
                !cJSON_GetStringValue(cJSON_GetObjectItem(au, "moveOn")))
                abort();
        }
    } else if (out || d.msg[0] == '\0' || (rc != CMI5_ERR_INVALID && rc != CMI5_ERR_NOMEM)) {
        abort();
    }
    cJSON_Delete(out);
    return 0;
}

#ifndef SCORM_LIBFUZZER
FUZZ_REPLAY_MAIN_XML(400)
#endif
