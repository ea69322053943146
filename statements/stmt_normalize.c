/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Normalisation applied to a validated statement before it is stored, so that the stored
 * form is what every GET format returns without re-parsing on the hot path.
 *
 * xAPI Data 2.4.6.2: "an LRS MUST return every context activity type (parent, grouping,
 * category, other) as an array, even if only a single Activity was sent" — a single object is
 * wrapped in a one-element array, here and in a SubStatement's context.
 */
#include "statements/stmt_validate.h"

#include <string.h>

static int wrap_context_activities(cJSON *stmt)
{
    static const char *const kinds[] = {"parent", "grouping", "category", "other"};
    cJSON *ctx = cJSON_GetObjectItemCaseSensitive(stmt, "context");
    cJSON *ca = cJSON_GetObjectItemCaseSensitive(ctx, "contextActivities");
    if (!cJSON_IsObject(ca))
        return STMT_OK;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(ca, kinds[i]);
        if (!cJSON_IsObject(v))
            continue;
        cJSON *arr = cJSON_CreateArray();
        if (!arr)
            return STMT_ERR_NOMEM;
        cJSON *detached = cJSON_DetachItemViaPointer(ca, v);
        cJSON_AddItemToArray(arr, detached);
        cJSON_AddItemToObject(ca, kinds[i], arr);
    }
    return STMT_OK;
}

int stmt_normalize(cJSON *stmt)
{
    int rc = wrap_context_activities(stmt);
    cJSON *obj = cJSON_GetObjectItemCaseSensitive(stmt, "object");
    const cJSON *ot = cJSON_GetObjectItemCaseSensitive(obj, "objectType");
    if (!rc && cJSON_IsString(ot) && !strcmp(ot->valuestring, "SubStatement"))
        rc = wrap_context_activities(obj);
    return rc;
}
