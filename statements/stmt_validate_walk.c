/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The validator's walk (stmt_validate_int.h): the JSON path of where it is, the first
 * violation reported with that path, and the member checks every part of a statement uses
 * (Data 2.2: allowed keys, no nulls, JSON types; Data 4.1 extensions; Data 4.2 language maps).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "statements/stmt_validate_int.h"

size_t stmt__v_push(struct stmt__vwalk *v, const char *fmt, ...)
{
    size_t old = v->plen;
    va_list ap;
    int n;

    if (v->plen < sizeof(v->path) - 1) {
        va_start(ap, fmt);
        n = vsnprintf(v->path + v->plen, sizeof(v->path) - v->plen, fmt, ap);
        va_end(ap);
        if (n > 0)
            v->plen += (size_t)n;
    }
    return old;
}

void stmt__v_pop(struct stmt__vwalk *v, size_t old)
{
    v->plen = old;
    if (old < sizeof(v->path))
        v->path[old] = '\0';
}

int stmt__v_fail(struct stmt__vwalk *v, const char *fmt, ...)
{
    va_list ap;

    if (v->diag) {
        v->diag->code = STMT_ERR_INVALID;
        snprintf(v->diag->path, sizeof(v->diag->path), "%s", v->path);
        va_start(ap, fmt);
        vsnprintf(v->diag->msg, sizeof(v->diag->msg), fmt, ap);
        va_end(ap);
    }
    return STMT_ERR_INVALID;
}

/* fail with the path of member `key` of the current object */
int stmt__v_fail_at(struct stmt__vwalk *v, const char *key, const char *fmt, ...)
{
    size_t m = stmt__v_push(v, ".%s", key);
    va_list ap;

    if (v->diag) {
        v->diag->code = STMT_ERR_INVALID;
        snprintf(v->diag->path, sizeof(v->diag->path), "%s", v->path);
        va_start(ap, fmt);
        vsnprintf(v->diag->msg, sizeof(v->diag->msg), fmt, ap);
        va_end(ap);
    }
    stmt__v_pop(v, m);
    return STMT_ERR_INVALID;
}

const cJSON *stmt__v_get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

int stmt__v_in_list(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0)
            return 1;
    return 0;
}

/* Data 2.2: reject keys not allowed by the spec (V5, also wrong-case keys) and nulls (V1). */
int stmt__v_check_keys(struct stmt__vwalk *v, const cJSON *o, const char *const *allowed,
                       const char *what, const char *sec)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, o)
    {
        if (!c->string || !stmt__v_in_list(c->string, allowed))
            return stmt__v_fail_at(
                v, c->string ? c->string : "",
                "xAPI Data %s: property \"%s\" is not allowed in %s (Data 2.2: keys "
                "not allowed by the specification, or in the wrong case, are rejected)",
                sec, c->string ? c->string : "", what);
        if (cJSON_IsNull(c))
            return stmt__v_fail_at(v, c->string,
                                   "xAPI Data 2.2: null is not allowed (only inside extensions)");
    }
    return STMT_OK;
}

int stmt__v_expect_object(struct stmt__vwalk *v, const cJSON *j, const char *what, const char *sec)
{
    if (!cJSON_IsObject(j))
        return stmt__v_fail(v, "xAPI Data %s: %s must be a JSON object", sec, what);
    return STMT_OK;
}

/* optional string member; *out is NULL when absent */
int stmt__v_opt_str(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                    const char **out)
{
    const cJSON *c = stmt__v_get(o, key);

    *out = NULL;
    if (!c)
        return STMT_OK;
    if (!cJSON_IsString(c) || !c->valuestring)
        return stmt__v_fail_at(v, key,
                               "xAPI Data %s: \"%s\" must be a string (Data 2.2: wrong data "
                               "types are rejected)",
                               sec, key);
    *out = c->valuestring;
    return STMT_OK;
}

int stmt__v_req_str(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                    const char **out)
{
    int rc = stmt__v_opt_str(v, o, key, sec, out);
    if (rc == STMT_OK && !*out)
        return stmt__v_fail_at(v, key, "xAPI Data %s: \"%s\" is required", sec, key);
    return rc;
}

/* a string member in a format checked by valid(); what: the format, for the message */
static int opt_formatted(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                         int required, int (*valid)(const char *), const char *what)
{
    const char *s;
    int rc = required ? stmt__v_req_str(v, o, key, sec, &s) : stmt__v_opt_str(v, o, key, sec, &s);
    if (rc != STMT_OK)
        return rc;
    if (s && !valid(s))
        return stmt__v_fail_at(v, key, "xAPI Data %s: \"%s\" must be %s", sec, key, what);
    return STMT_OK;
}

int stmt__v_opt_iri(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                    int required)
{
    return opt_formatted(v, o, key, sec, required, stmt_validate_iri,
                         "an absolute IRI with a scheme (Data 2.2, 4.3)");
}

int stmt__v_opt_uuid(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                     int required)
{
    return opt_formatted(v, o, key, sec, required, stmt_validate_uuid,
                         "a UUID in standard string form (Data 4.4)");
}

int stmt__v_opt_bool(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec)
{
    const cJSON *c = stmt__v_get(o, key);
    if (c && !cJSON_IsBool(c))
        return stmt__v_fail_at(v, key,
                               "xAPI Data %s: \"%s\" must be a boolean (Data 2.2: not a "
                               "string or number)",
                               sec, key);
    return STMT_OK;
}

/* Data 4.2: keys RFC 5646 tags, values strings */
int stmt__v_lang_map(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                     int required)
{
    const cJSON *m = stmt__v_get(o, key), *c;
    size_t mark;
    int rc = STMT_OK;

    if (!m) {
        if (required)
            return stmt__v_fail_at(v, key, "xAPI Data %s: \"%s\" (a language map) is required", sec,
                                   key);
        return STMT_OK;
    }
    mark = stmt__v_push(v, ".%s", key);
    if (!cJSON_IsObject(m)) {
        rc = stmt__v_fail(v, "xAPI Data 4.2: \"%s\" must be a language map (a JSON object)", key);
        goto out;
    }
    cJSON_ArrayForEach(c, m)
    {
        if (!stmt_validate_lang_tag(c->string)) {
            rc = stmt__v_fail_at(v, c->string ? c->string : "",
                                 "xAPI Data 2.2, 4.2: language map key \"%s\" is not an RFC 5646 "
                                 "language tag",
                                 c->string ? c->string : "");
            goto out;
        }
        if (!cJSON_IsString(c)) {
            rc = stmt__v_fail_at(v, c->string,
                                 "xAPI Data 4.2: language map values must be strings%s",
                                 cJSON_IsNull(c) ? " (Data 2.2: null is not allowed)" : "");
            goto out;
        }
    }
out:
    stmt__v_pop(v, mark);
    return rc;
}

/* Data 4.1: keys MUST be IRIs; values are never inspected */
int stmt__v_extensions(struct stmt__vwalk *v, const cJSON *o, const char *sec)
{
    const cJSON *e = stmt__v_get(o, "extensions"), *c;
    size_t mark;
    int rc = STMT_OK;

    if (!e)
        return STMT_OK;
    mark = stmt__v_push(v, ".extensions");
    if (!cJSON_IsObject(e)) {
        rc = stmt__v_fail(v, "xAPI Data %s, 4.1: extensions must be a JSON object", sec);
        goto out;
    }
    cJSON_ArrayForEach(c, e)
    {
        if (!stmt_validate_iri(c->string)) {
            rc = stmt__v_fail_at(v, c->string ? c->string : "",
                                 "xAPI Data 4.1: extension keys MUST be IRIs (\"%s\" is not)",
                                 c->string ? c->string : "");
            goto out;
        }
    }
out:
    stmt__v_pop(v, mark);
    return rc;
}

int stmt__v_is_hex_str(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

int stmt__v_member_obj(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *what,
                       const char *sec, int (*fn)(struct stmt__vwalk *, const cJSON *))
{
    const cJSON *c = stmt__v_get(o, key);
    size_t mark;
    int rc;

    if (!c)
        return STMT_OK;
    mark = stmt__v_push(v, ".%s", key);
    rc = cJSON_IsObject(c) ? fn(v, c)
                           : stmt__v_fail(v, "xAPI Data %s: %s must be a JSON object", sec, what);
    stmt__v_pop(v, mark);
    return rc;
}
