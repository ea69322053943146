/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statement comparison for the immutability check (xAPI Data 2.3.1 "Statement Immutability"
 * and "Statement Comparision Requirements"; xapi-lrs.md S3): a statement PUT/POST again with
 * an id already stored is answered 204/200 when it is "the same" and 409 otherwise.
 *
 * Both statements are reduced to a comparison form in which every difference the exceptions
 * of Data 2.3.1 allow has been erased, then compared with cJSON_Compare (objects unordered,
 * case-sensitive keys):
 *  - LRS-assigned properties: id, authority, stored, version are dropped; timestamp is
 *    compared as an instant (Data 4.5: to the millisecond) and ignored when either side lacks
 *    it (the LRS fills it in);
 *  - Activity definitions and Verb display are dropped (not part of the statement);
 *  - attachments are dropped;
 *  - default objectTypes are made explicit (Agent for actors, Activity for objects);
 *  - Group members are sorted (an unordered list);
 *  - contextActivities values become arrays (the LRS returns single Activities as arrays);
 *  - case-insensitive values are lower-cased: mbox domain, mbox_sha1sum hex, UUIDs,
 *    the context language tag;
 *  - result.duration keeps at most 0.01 s precision (Data 4.6) and is otherwise a string.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "statements/stmt_validate.h"

static cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void lower(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static void lower_member(cJSON *o, const char *k)
{
    cJSON *c = get(o, k);
    if (cJSON_IsString(c))
        lower(c->valuestring);
}

static int set_default_type(cJSON *o, const char *type)
{
    if (get(o, "objectType"))
        return 0;
    return cJSON_AddStringToObject(o, "objectType", type) ? 0 : -1;
}

struct sorted {
    char *key;
    cJSON *item;
};

static int cmp_sorted(const void *a, const void *b)
{
    return strcmp(((const struct sorted *)a)->key, ((const struct sorted *)b)->key);
}

static int norm_agent(cJSON *o);

/* Data 2.4.2.2: "The list of Agents in a Group is not considered to be an ordered list" */
static int norm_members(cJSON *arr)
{
    int n = cJSON_GetArraySize(arr), rc = 0;
    struct sorted *v;
    cJSON *c;

    if (n <= 0)
        return 0;
    v = sc_calloc((size_t)n, sizeof(*v));
    if (!v)
        return -1;
    n = 0;
    cJSON_ArrayForEach(c, arr)
    {
        if (cJSON_IsObject(c) && norm_agent(c) != 0) {
            rc = -1;
            break;
        }
        v[n].item = c;
        v[n].key = cJSON_PrintUnformatted(c);
        if (!v[n++].key) {
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        qsort(v, (size_t)n, sizeof(*v), cmp_sorted);
        /* relink the children in sorted order (they stay owned by arr) */
        for (int i = 0; i < n; i++) {
            v[i].item->prev = i ? v[i - 1].item : v[n - 1].item; /* cJSON: head->prev = tail */
            v[i].item->next = i + 1 < n ? v[i + 1].item : NULL;
        }
        arr->child = v[0].item;
    }
    for (int i = 0; i < n; i++)
        cJSON_free(v[i].key);
    sc_free(v);
    return rc;
}

static int norm_agent(cJSON *o)
{
    cJSON *mbox = get(o, "mbox"), *m;

    if (set_default_type(o, "Agent") != 0)
        return -1;
    /* Data 2.3.1: "the domain portion of an e-mail address is case insensitive" */
    if (cJSON_IsString(mbox)) {
        char *at = strrchr(mbox->valuestring, '@');
        lower(at);
        for (char *p = mbox->valuestring; *p && *p != ':'; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    lower_member(o, "mbox_sha1sum");
    m = get(o, "member");
    if (cJSON_IsArray(m))
        return norm_members(m);
    return 0;
}

static int norm_activity(cJSON *o)
{
    /* Data 2.3.1: Activity Definitions are not part of the statement */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "definition");
    return set_default_type(o, "Activity");
}

/* Data 4.6: precision beyond 0.01 s SHOULD* NOT be included in the comparison */
static void norm_duration(cJSON *r)
{
    cJSON *d = get(r, "duration");
    char *s, *dot;

    if (!cJSON_IsString(d))
        return;
    s = d->valuestring;
    dot = strpbrk(s, ".,");
    if (dot && strchr(dot, 'S')) {
        char *sdes = strchr(dot, 'S');
        size_t digits = (size_t)(sdes - dot - 1);
        if (digits > 2)
            memmove(dot + 3, sdes, strlen(sdes) + 1);
    }
}

static int norm_timestamp(cJSON *o, int drop)
{
    cJSON *t = get(o, "timestamp"), *n;
    char buf[SC_TIME_ISO_LEN];
    int64_t us;

    if (!t)
        return 0;
    if (drop || !cJSON_IsString(t) ||
        sc_time_parse_iso(t->valuestring, strlen(t->valuestring), &us) != 0) {
        if (drop)
            cJSON_DeleteItemFromObjectCaseSensitive(o, "timestamp");
        return 0;
    }
    /* Data 4.5: millisecond precision is what an LRS must keep */
    us -= ((us % 1000) + 1000) % 1000;
    sc_time_format_iso(us, 3, buf);
    /* not cJSON_ReplaceItemInObject: in cJSON 1.7.15 it ignores a failed key strdup */
    n = cJSON_CreateString(buf);
    if (!n || !(n->string = cJSON_malloc(sizeof("timestamp")))) {
        cJSON_Delete(n);
        return -1;
    }
    memcpy(n->string, "timestamp", sizeof("timestamp"));
    return cJSON_ReplaceItemViaPointer(o, t, n) ? 0 : -1;
}

static int norm_statement(cJSON *s, int sub, int drop_ts);

static int norm_context(cJSON *c)
{
    cJSON *x, *ca;

    lower_member(c, "registration");
    lower_member(c, "language");
    if (cJSON_IsObject(x = get(c, "instructor")) && norm_agent(x) != 0)
        return -1;
    if (cJSON_IsObject(x = get(c, "team")) && norm_agent(x) != 0)
        return -1;
    if (cJSON_IsObject(x = get(c, "statement")))
        lower_member(x, "id");
    ca = get(c, "contextActivities");
    if (cJSON_IsObject(ca)) {
        cJSON_ArrayForEach(x, ca)
        {
            cJSON *a;
            if (cJSON_IsObject(x)) {
                /* Data 2.4.6.2: a single Activity is returned as an array of one */
                if (stmt__wrap_in_array(x) != 0)
                    return -1;
            }
            cJSON_ArrayForEach(a, x)
            {
                if (cJSON_IsObject(a) && norm_activity(a) != 0)
                    return -1;
            }
        }
    }
    return 0;
}

static int norm_statement(cJSON *s, int sub, int drop_ts)
{
    static const char *const lrs_set[] = {"id",      "authority",   "stored",
                                          "version", "attachments", NULL};
    cJSON *x;
    const char *type;

    for (int i = 0; lrs_set[i]; i++)
        if (!sub || strcmp(lrs_set[i], "attachments") == 0)
            cJSON_DeleteItemFromObjectCaseSensitive(s, lrs_set[i]);
    if (norm_timestamp(s, drop_ts) != 0)
        return -1;
    if (cJSON_IsObject(x = get(s, "actor")) && norm_agent(x) != 0)
        return -1;
    if (cJSON_IsObject(x = get(s, "verb")))
        cJSON_DeleteItemFromObjectCaseSensitive(x, "display"); /* Data 2.3.1 */
    x = get(s, "object");
    if (cJSON_IsObject(x)) {
        cJSON *ot = get(x, "objectType");
        type = cJSON_IsString(ot) ? ot->valuestring : "Activity";
        if (strcmp(type, "Activity") == 0) {
            if (norm_activity(x) != 0)
                return -1;
        } else if (strcmp(type, "Agent") == 0 || strcmp(type, "Group") == 0) {
            if (norm_agent(x) != 0)
                return -1;
        } else if (strcmp(type, "StatementRef") == 0) {
            lower_member(x, "id");
        } else if (strcmp(type, "SubStatement") == 0) {
            if (norm_statement(x, 1, 0) != 0)
                return -1;
        }
    }
    if (cJSON_IsObject(x = get(s, "context")) && norm_context(x) != 0)
        return -1;
    if (cJSON_IsObject(x = get(s, "result")))
        norm_duration(x);
    return 0;
}

int stmt_equal(const cJSON *a, const cJSON *b)
{
    cJSON *na = NULL, *nb = NULL;
    int rc, drop_ts;

    if (!cJSON_IsObject(a) || !cJSON_IsObject(b))
        return STMT_ERR_ARG;
    /* Data 2.4.7: the LRS sets a missing timestamp, so absence on one side is no difference */
    drop_ts = !(get(a, "timestamp") && get(b, "timestamp"));
    na = cJSON_Duplicate(a, 1);
    nb = cJSON_Duplicate(b, 1);
    if (!na || !nb || norm_statement(na, 0, drop_ts) != 0 || norm_statement(nb, 0, drop_ts) != 0) {
        rc = STMT_ERR_NOMEM;
        goto out;
    }
    rc = cJSON_Compare(na, nb, 1) ? 1 : 0;
out:
    cJSON_Delete(na);
    cJSON_Delete(nb);
    return rc;
}
