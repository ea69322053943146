/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: scorm_manifest_parse (security.md §4 options and DOCTYPE hook, §12 T-FUZZ).
 * Invariants: a result or an error code with a diag message, never both; the tree serialises.
 */
#include <libxml/parser.h>

#include "scorm/fuzz/fuzz_common.h"
#include "scorm/scorm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *tree = NULL, *warnings = cJSON_CreateArray();
    struct scorm_diag d;
    memset(&d, 0, sizeof d);
    int rc = scorm_manifest_parse(data, size, 0, &tree, warnings, &d);
    if (rc == 0) {
        char *s = cJSON_PrintUnformatted(tree);
        if (!s || !cJSON_GetObjectItem(tree, "version"))
            abort();
        cJSON_free(s);
    } else if (tree || d.code != rc || d.msg[0] == '\0') {
        abort();
    }
    cJSON_Delete(tree);
    cJSON_Delete(warnings);
    return 0;
}

#ifndef SCORM_LIBFUZZER
FUZZ_REPLAY_MAIN_XML(400)
#endif
