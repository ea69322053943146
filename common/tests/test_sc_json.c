/* SPDX-License-Identifier: Apache-2.0 */
/* sc_json_near: tolerance on numbers only, members by name, arrays in order, the path named. */
#include "common/sc_json.h"
#include "common/tap.h"

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
    return tap_done();
}
