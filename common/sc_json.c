/* SPDX-License-Identifier: Apache-2.0 */
#include "common/sc_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int kind(const cJSON *j)
{
    return j ? j->type & 0xff : 0;
}

static int near(const cJSON *a, const cJSON *b, double rel, char *path, size_t plen, char *why,
                size_t wl)
{
    size_t used = strlen(path);
    const cJSON *x;
    if (kind(a) != kind(b)) {
        snprintf(why, wl, "%s: a %s and a %s", path, cJSON_IsNumber(a) ? "number" : "value",
                 cJSON_IsNumber(b) ? "number" : "value of another kind");
        return 0;
    }
    if (cJSON_IsNumber(a)) {
        if (fabs(a->valuedouble - b->valuedouble) <= rel * (1 + fabs(b->valuedouble)))
            return 1;
        snprintf(why, wl, "%s: %.17g and %.17g", path, a->valuedouble, b->valuedouble);
        return 0;
    }
    if (cJSON_IsString(a)) {
        if (!strcmp(a->valuestring, b->valuestring))
            return 1;
        snprintf(why, wl, "%s: \"%.80s\" and \"%.80s\"", path, a->valuestring, b->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(a) && !cJSON_IsObject(a))
        return 1; /* null, true, false: the kind says it all */
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) {
        snprintf(why, wl, "%s: %d and %d members", path, cJSON_GetArraySize(a),
                 cJSON_GetArraySize(b));
        return 0;
    }
    {
        int i = 0;
        cJSON_ArrayForEach(x, a)
        {
            const cJSON *y = cJSON_IsArray(a) ? cJSON_GetArrayItem(b, i)
                                              : cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (cJSON_IsArray(a))
                snprintf(path + used, plen - used, "[%d]", i);
            else
                snprintf(path + used, plen - used, ".%.60s", x->string);
            if (!y) {
                snprintf(why, wl, "%s: only in the first", path);
                return 0;
            }
            if (!near(x, y, rel, path, plen, why, wl))
                return 0;
            path[used] = 0;
            i++;
        }
    }
    return 1;
}

int sc_json_near(const cJSON *a, const cJSON *b, double rel, char *why, size_t whylen)
{
    char path[512] = "$";
    char dummy[8];
    if (!why || !whylen) {
        why = dummy;
        whylen = sizeof dummy;
    }
    why[0] = 0;
    return near(a, b, rel, path, sizeof path, why, whylen);
}
