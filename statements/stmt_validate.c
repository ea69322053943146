/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structural validation of xAPI 1.0.3 statements: every property of Data 2.4 and its
 * sub-objects, with the LRS requirements of Data 2.2 (xapi-lrs.md 1.2): no unknown properties
 * (V5), no nulls outside extensions (V1), the right JSON types, formatted strings (IRI, mailto,
 * UUID, language tags, timestamps, durations), enumerations in their exact case.
 *
 * The walk keeps a JSON path of where it is; the first violation wins and is reported with
 * that path and a message citing the section. Values inside extensions are never inspected
 * (Data 4.1: "An LRS MUST NOT reject a Statement based on the values of the extensions map").
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/sc_alloc.h"
#include "statements/stmt_validate.h"

struct v {
    struct stmt_diag *diag;
    int v2; /* STMT_VALIDATE_V2: the rules of IEEE 9274.1.1 (xAPI 2.0) */
    char path[256];
    size_t plen;
};

static size_t push(struct v *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t push(struct v *v, const char *fmt, ...)
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

static void pop(struct v *v, size_t old)
{
    v->plen = old;
    if (old < sizeof(v->path))
        v->path[old] = '\0';
}

static int fail(struct v *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct v *v, const char *fmt, ...)
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
static int fail_at(struct v *v, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct v *v, const char *key, const char *fmt, ...)
{
    size_t m = push(v, ".%s", key);
    va_list ap;

    if (v->diag) {
        v->diag->code = STMT_ERR_INVALID;
        snprintf(v->diag->path, sizeof(v->diag->path), "%s", v->path);
        va_start(ap, fmt);
        vsnprintf(v->diag->msg, sizeof(v->diag->msg), fmt, ap);
        va_end(ap);
    }
    pop(v, m);
    return STMT_ERR_INVALID;
}

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int in_list(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0)
            return 1;
    return 0;
}

/* Data 2.2: reject keys not allowed by the spec (V5, also wrong-case keys) and nulls (V1). */
static int check_keys(struct v *v, const cJSON *o, const char *const *allowed, const char *what,
                      const char *sec)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, o)
    {
        if (!c->string || !in_list(c->string, allowed))
            return fail_at(v, c->string ? c->string : "",
                           "xAPI Data %s: property \"%s\" is not allowed in %s (Data 2.2: keys "
                           "not allowed by the specification, or in the wrong case, are rejected)",
                           sec, c->string ? c->string : "", what);
        if (cJSON_IsNull(c))
            return fail_at(v, c->string,
                           "xAPI Data 2.2: null is not allowed (only inside extensions)");
    }
    return STMT_OK;
}

static int expect_object(struct v *v, const cJSON *j, const char *what, const char *sec)
{
    if (!cJSON_IsObject(j))
        return fail(v, "xAPI Data %s: %s must be a JSON object", sec, what);
    return STMT_OK;
}

/* optional string member; *out is NULL when absent */
static int opt_str(struct v *v, const cJSON *o, const char *key, const char *sec, const char **out)
{
    const cJSON *c = get(o, key);

    *out = NULL;
    if (!c)
        return STMT_OK;
    if (!cJSON_IsString(c) || !c->valuestring)
        return fail_at(v, key,
                       "xAPI Data %s: \"%s\" must be a string (Data 2.2: wrong data "
                       "types are rejected)",
                       sec, key);
    *out = c->valuestring;
    return STMT_OK;
}

static int req_str(struct v *v, const cJSON *o, const char *key, const char *sec, const char **out)
{
    int rc = opt_str(v, o, key, sec, out);
    if (rc == STMT_OK && !*out)
        return fail_at(v, key, "xAPI Data %s: \"%s\" is required", sec, key);
    return rc;
}

static int opt_iri(struct v *v, const cJSON *o, const char *key, const char *sec, int required)
{
    const char *s;
    int rc = required ? req_str(v, o, key, sec, &s) : opt_str(v, o, key, sec, &s);
    if (rc != STMT_OK)
        return rc;
    if (s && !stmt_validate_iri(s))
        return fail_at(v, key,
                       "xAPI Data %s: \"%s\" must be an absolute IRI with a scheme "
                       "(Data 2.2, 4.3)",
                       sec, key);
    return STMT_OK;
}

static int opt_uuid(struct v *v, const cJSON *o, const char *key, const char *sec, int required)
{
    const char *s;
    int rc = required ? req_str(v, o, key, sec, &s) : opt_str(v, o, key, sec, &s);
    if (rc != STMT_OK)
        return rc;
    if (s && !stmt_validate_uuid(s))
        return fail_at(v, key,
                       "xAPI Data %s: \"%s\" must be a UUID in standard string form "
                       "(Data 4.4)",
                       sec, key);
    return STMT_OK;
}

static int opt_bool(struct v *v, const cJSON *o, const char *key, const char *sec)
{
    const cJSON *c = get(o, key);
    if (c && !cJSON_IsBool(c))
        return fail_at(v, key,
                       "xAPI Data %s: \"%s\" must be a boolean (Data 2.2: not a "
                       "string or number)",
                       sec, key);
    return STMT_OK;
}

/* Data 4.2: keys RFC 5646 tags, values strings */
static int lang_map(struct v *v, const cJSON *o, const char *key, const char *sec, int required)
{
    const cJSON *m = get(o, key), *c;
    size_t mark;
    int rc = STMT_OK;

    if (!m) {
        if (required)
            return fail_at(v, key, "xAPI Data %s: \"%s\" (a language map) is required", sec, key);
        return STMT_OK;
    }
    mark = push(v, ".%s", key);
    if (!cJSON_IsObject(m)) {
        rc = fail(v, "xAPI Data 4.2: \"%s\" must be a language map (a JSON object)", key);
        goto out;
    }
    cJSON_ArrayForEach(c, m)
    {
        if (!stmt_validate_lang_tag(c->string)) {
            rc = fail_at(v, c->string ? c->string : "",
                         "xAPI Data 2.2, 4.2: language map key \"%s\" is not an RFC 5646 "
                         "language tag",
                         c->string ? c->string : "");
            goto out;
        }
        if (!cJSON_IsString(c)) {
            rc = fail_at(v, c->string, "xAPI Data 4.2: language map values must be strings%s",
                         cJSON_IsNull(c) ? " (Data 2.2: null is not allowed)" : "");
            goto out;
        }
    }
out:
    pop(v, mark);
    return rc;
}

/* Data 4.1: keys MUST be IRIs; values are never inspected */
static int extensions(struct v *v, const cJSON *o, const char *sec)
{
    const cJSON *e = get(o, "extensions"), *c;
    size_t mark;
    int rc = STMT_OK;

    if (!e)
        return STMT_OK;
    mark = push(v, ".extensions");
    if (!cJSON_IsObject(e)) {
        rc = fail(v, "xAPI Data %s, 4.1: extensions must be a JSON object", sec);
        goto out;
    }
    cJSON_ArrayForEach(c, e)
    {
        if (!stmt_validate_iri(c->string)) {
            rc = fail_at(v, c->string ? c->string : "",
                         "xAPI Data 4.1: extension keys MUST be IRIs (\"%s\" is not)",
                         c->string ? c->string : "");
            goto out;
        }
    }
out:
    pop(v, mark);
    return rc;
}

static int is_hex_str(const char *s, size_t n)
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

/* Data 2.4.2.3: mbox is "mailto:email address" */
static int mbox_valid(const char *s)
{
    const char *addr, *at;

    if (strncmp(s, "mailto:", 7) != 0)
        return 0;
    addr = s + 7;
    at = strchr(addr, '@');
    if (!at || at == addr || at[1] == '\0' || strchr(at + 1, '@'))
        return 0;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        if (*p <= 0x20 || *p == 0x7F || strchr("<>\"()[]\\,;", *p))
            return 0;
    return 1;
}

static const char *const ifi_keys[] = {"mbox", "mbox_sha1sum", "openid", "account", NULL};

/* count the IFIs of an Agent/Group and validate each (Data 2.4.2.3, 2.4.2.4) */
static int ifis(struct v *v, const cJSON *o, int *count)
{
    const char *s;
    const cJSON *acc;
    int rc;

    *count = 0;
    for (int i = 0; ifi_keys[i]; i++)
        if (get(o, ifi_keys[i]))
            (*count)++;
    if ((rc = opt_str(v, o, "mbox", "2.4.2.3", &s)) != STMT_OK)
        return rc;
    if (s && !mbox_valid(s))
        return fail_at(v, "mbox",
                       "xAPI Data 2.4.2.3: mbox must be a mailto: IRI "
                       "(\"mailto:email address\")");
    if ((rc = opt_str(v, o, "mbox_sha1sum", "2.4.2.3", &s)) != STMT_OK)
        return rc;
    if (s && !is_hex_str(s, 40))
        return fail_at(v, "mbox_sha1sum",
                       "xAPI Data 2.4.2.3: mbox_sha1sum must be the hex SHA1 (40 hex digits)");
    if ((rc = opt_iri(v, o, "openid", "2.4.2.3", 0)) != STMT_OK)
        return rc;
    acc = get(o, "account");
    if (acc) {
        static const char *const keys[] = {"homePage", "name", NULL};
        size_t mark = push(v, ".account");
        if ((rc = expect_object(v, acc, "account", "2.4.2.4")) == STMT_OK &&
            (rc = check_keys(v, acc, keys, "an Account", "2.4.2.4")) == STMT_OK &&
            (rc = opt_iri(v, acc, "homePage", "2.4.2.4", 1)) == STMT_OK)
            rc = req_str(v, acc, "name", "2.4.2.4", &s);
        pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    return STMT_OK;
}

static const char *const agent_keys[] = {"objectType", "name",    "mbox", "mbox_sha1sum",
                                         "openid",     "account", NULL};
static const char *const group_keys[] = {"objectType",   "name",   "member",  "mbox",
                                         "mbox_sha1sum", "openid", "account", NULL};

/* Data 2.4.2.1: an Agent, objectType "Agent" or absent, exactly one IFI */
static int agent(struct v *v, const cJSON *o)
{
    const char *s;
    int rc, n;

    if ((rc = expect_object(v, o, "an Agent", "2.4.2.1")) != STMT_OK ||
        (rc = check_keys(v, o, agent_keys, "an Agent", "2.4.2.1")) != STMT_OK ||
        (rc = opt_str(v, o, "objectType", "2.4.2.1", &s)) != STMT_OK)
        return rc;
    if (s && strcmp(s, "Agent") != 0)
        return fail_at(v, "objectType",
                       "xAPI Data 2.4.2.1: objectType of an Agent must be "
                       "\"Agent\" (case-sensitive)");
    if ((rc = opt_str(v, o, "name", "2.4.2.1", &s)) != STMT_OK || (rc = ifis(v, o, &n)) != STMT_OK)
        return rc;
    if (n == 0)
        return fail(v, "xAPI Data 2.4.2.1: an Agent MUST be identified by one Inverse Functional "
                       "Identifier (mbox, mbox_sha1sum, openid or account)");
    if (n > 1)
        return fail(v, "xAPI Data 2.4.2.1: an Agent MUST NOT include more than one Inverse "
                       "Functional Identifier");
    return STMT_OK;
}

/* Data 2.4.2.2: Group, anonymous (member required) or identified (exactly one IFI);
 * members are Agents only. *nmembers gets the member count (for authority). */
static int group(struct v *v, const cJSON *o, int *nmembers)
{
    const cJSON *m, *c;
    const char *s;
    int rc, n, i = 0;

    *nmembers = 0;
    if ((rc = expect_object(v, o, "a Group", "2.4.2.2")) != STMT_OK ||
        (rc = check_keys(v, o, group_keys, "a Group", "2.4.2.2")) != STMT_OK ||
        (rc = opt_str(v, o, "objectType", "2.4.2.2", &s)) != STMT_OK)
        return rc;
    if (!s || strcmp(s, "Group") != 0)
        return fail_at(v, "objectType",
                       "xAPI Data 2.4.2.2: a Group MUST have objectType "
                       "\"Group\"");
    if ((rc = opt_str(v, o, "name", "2.4.2.2", &s)) != STMT_OK || (rc = ifis(v, o, &n)) != STMT_OK)
        return rc;
    if (n > 1)
        return fail(v, "xAPI Data 2.4.2.2: an Identified Group MUST include exactly one Inverse "
                       "Functional Identifier");
    m = get(o, "member");
    if (!m) {
        if (n == 0)
            return fail_at(v, "member",
                           "xAPI Data 2.4.2.2: an Anonymous Group MUST include a "
                           "\"member\" property listing its Agents");
        return STMT_OK;
    }
    if (!cJSON_IsArray(m))
        return fail_at(v, "member", "xAPI Data 2.4.2.2: member must be an array of Agents");
    cJSON_ArrayForEach(c, m)
    {
        size_t mark = push(v, ".member[%d]", i++);
        const cJSON *ot = cJSON_IsObject(c) ? get(c, "objectType") : NULL;
        if (cJSON_IsString(ot) && strcmp(ot->valuestring, "Group") == 0)
            rc = fail_at(v, "objectType",
                         "xAPI Data 2.4.2.2: a Group MUST NOT contain Group "
                         "Objects in \"member\"");
        else
            rc = agent(v, c);
        pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    *nmembers = i;
    return STMT_OK;
}

/* Data 2.4.2: Agent (objectType optional) or Group */
static int actor(struct v *v, const cJSON *o)
{
    const cJSON *ot;
    int n;

    if (!cJSON_IsObject(o))
        return fail(v, "xAPI Data 2.4.2: an Actor must be an Agent or Group object");
    ot = get(o, "objectType");
    if (ot && cJSON_IsString(ot) && strcmp(ot->valuestring, "Group") == 0)
        return group(v, o, &n);
    if (ot && cJSON_IsString(ot) && strcmp(ot->valuestring, "Agent") != 0)
        return fail_at(v, "objectType",
                       "xAPI Data 2.4.2: objectType must be \"Agent\" or "
                       "\"Group\" (case-sensitive)");
    return agent(v, o);
}

static int member_obj(struct v *v, const cJSON *o, const char *key, const char *what,
                      const char *sec, int (*fn)(struct v *, const cJSON *))
{
    const cJSON *c = get(o, key);
    size_t mark;
    int rc;

    if (!c)
        return STMT_OK;
    mark = push(v, ".%s", key);
    rc =
        cJSON_IsObject(c) ? fn(v, c) : fail(v, "xAPI Data %s: %s must be a JSON object", sec, what);
    pop(v, mark);
    return rc;
}

/* Data 2.4.3 */
static int verb(struct v *v, const cJSON *o)
{
    static const char *const keys[] = {"id", "display", NULL};
    int rc;

    if ((rc = expect_object(v, o, "verb", "2.4.3")) != STMT_OK ||
        (rc = check_keys(v, o, keys, "a Verb", "2.4.3")) != STMT_OK ||
        (rc = opt_iri(v, o, "id", "2.4.3", 1)) != STMT_OK)
        return rc;
    return lang_map(v, o, "display", "2.4.3", 0);
}

static const char *const interaction_types[] = {
    "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
    "sequencing", "likert", "numeric", "other",        NULL};

/* Data 2.4.4.1 "Interaction Components": which lists go with which interactionType */
static int component_allowed(const char *list, const char *itype)
{
    if (!itype)
        return 0;
    if (strcmp(list, "choices") == 0)
        return strcmp(itype, "choice") == 0 || strcmp(itype, "sequencing") == 0;
    if (strcmp(list, "scale") == 0)
        return strcmp(itype, "likert") == 0;
    if (strcmp(list, "source") == 0 || strcmp(list, "target") == 0)
        return strcmp(itype, "matching") == 0;
    return strcmp(itype, "performance") == 0; /* steps */
}

static int components(struct v *v, const cJSON *def, const char *list, const char *itype)
{
    static const char *const keys[] = {"id", "description", NULL};
    const cJSON *a = get(def, list), *c;
    size_t mark;
    int rc = STMT_OK, i = 0;

    if (!a)
        return STMT_OK;
    if (!component_allowed(list, itype))
        return fail_at(v, list,
                       "xAPI Data 2.4.4.1: interaction component list \"%s\" is not "
                       "supported for interactionType %s%s%s",
                       list, itype ? "\"" : "(absent)", itype ? itype : "", itype ? "\"" : "");
    mark = push(v, ".%s", list);
    if (!cJSON_IsArray(a)) {
        rc = fail(v, "xAPI Data 2.4.4.1: \"%s\" must be an array of interaction components", list);
        goto out;
    }
    cJSON_ArrayForEach(c, a)
    {
        size_t m2 = push(v, "[%d]", i);
        const char *id;
        const cJSON *prev;
        int j = 0;
        if ((rc = expect_object(v, c, "an interaction component", "2.4.4.1")) == STMT_OK &&
            (rc = check_keys(v, c, keys, "an interaction component", "2.4.4.1")) == STMT_OK &&
            (rc = req_str(v, c, "id", "2.4.4.1", &id)) == STMT_OK)
            rc = lang_map(v, c, "description", "2.4.4.1", 0);
        if (rc == STMT_OK) {
            /* Data 2.4.4.1: "Within an array of interaction components, all id values MUST be
             * distinct." */
            cJSON_ArrayForEach(prev, a)
            {
                const cJSON *pid;
                if (j++ >= i)
                    break;
                pid = get(prev, "id");
                if (cJSON_IsString(pid) && strcmp(pid->valuestring, id) == 0) {
                    rc = fail_at(v, "id",
                                 "xAPI Data 2.4.4.1: interaction component ids within "
                                 "a list MUST be distinct (\"%s\" repeats)",
                                 id);
                    break;
                }
            }
        }
        pop(v, m2);
        if (rc != STMT_OK)
            goto out;
        i++;
    }
out:
    pop(v, mark);
    return rc;
}

/* Data 2.4.4.1 "Activity Definition" and "Interaction Activities" */
static int definition(struct v *v, const cJSON *d)
{
    static const char *const keys[] = {"name",
                                       "description",
                                       "type",
                                       "moreInfo",
                                       "extensions",
                                       "interactionType",
                                       "correctResponsesPattern",
                                       "choices",
                                       "scale",
                                       "source",
                                       "target",
                                       "steps",
                                       NULL};
    static const char *const lists[] = {"choices", "scale", "source", "target", "steps", NULL};
    const char *itype;
    const cJSON *crp, *c;
    int rc;

    if ((rc = expect_object(v, d, "an Activity Definition", "2.4.4.1")) != STMT_OK ||
        (rc = check_keys(v, d, keys, "an Activity Definition", "2.4.4.1")) != STMT_OK ||
        (rc = lang_map(v, d, "name", "2.4.4.1", 0)) != STMT_OK ||
        (rc = lang_map(v, d, "description", "2.4.4.1", 0)) != STMT_OK ||
        (rc = opt_iri(v, d, "type", "2.4.4.1", 0)) != STMT_OK ||
        (rc = opt_iri(v, d, "moreInfo", "2.4.4.1", 0)) != STMT_OK ||
        (rc = extensions(v, d, "2.4.4.1")) != STMT_OK ||
        (rc = opt_str(v, d, "interactionType", "2.4.4.1", &itype)) != STMT_OK)
        return rc;
    if (itype && !in_list(itype, interaction_types))
        return fail_at(v, "interactionType",
                       "xAPI Data 2.4.4.1: interactionType \"%s\" is not one of true-false, "
                       "choice, fill-in, long-fill-in, matching, performance, sequencing, "
                       "likert, numeric, other (case-sensitive)",
                       itype);
    crp = get(d, "correctResponsesPattern");
    if (crp) {
        int i = 0;
        if (!itype)
            return fail_at(v, "correctResponsesPattern",
                           "xAPI Data 2.4.4.1: correctResponsesPattern is an interaction "
                           "property and requires a valid interactionType");
        if (!cJSON_IsArray(crp))
            return fail_at(v, "correctResponsesPattern",
                           "xAPI Data 2.4.4.1: correctResponsesPattern must be an array of "
                           "strings");
        cJSON_ArrayForEach(c, crp)
        {
            if (!cJSON_IsString(c)) {
                size_t mark = push(v, ".correctResponsesPattern[%d]", i);
                rc = fail(v, "xAPI Data 2.4.4.1: correctResponsesPattern must be an array of "
                             "strings");
                pop(v, mark);
                return rc;
            }
            i++;
        }
    }
    for (int i = 0; lists[i]; i++)
        if ((rc = components(v, d, lists[i], itype)) != STMT_OK)
            return rc;
    return STMT_OK;
}

/* Data 2.4.4.1: Activity */
static int activity(struct v *v, const cJSON *o)
{
    static const char *const keys[] = {"objectType", "id", "definition", NULL};
    const char *s;
    int rc;

    if ((rc = expect_object(v, o, "an Activity", "2.4.4.1")) != STMT_OK ||
        (rc = check_keys(v, o, keys, "an Activity", "2.4.4.1")) != STMT_OK ||
        (rc = opt_str(v, o, "objectType", "2.4.4.1", &s)) != STMT_OK)
        return rc;
    if (s && strcmp(s, "Activity") != 0)
        return fail_at(v, "objectType",
                       "xAPI Data 2.4.4.1: objectType of an Activity MUST be "
                       "\"Activity\" when present");
    if ((rc = opt_iri(v, o, "id", "2.4.4.1", 1)) != STMT_OK)
        return rc;
    return member_obj(v, o, "definition", "definition", "2.4.4.1", definition);
}

/* Data 2.4.4.3 "Statement References" */
static int statement_ref(struct v *v, const cJSON *o)
{
    static const char *const keys[] = {"objectType", "id", NULL};
    const char *s;
    int rc;

    if ((rc = expect_object(v, o, "a Statement Reference", "2.4.4.3")) != STMT_OK ||
        (rc = check_keys(v, o, keys, "a Statement Reference", "2.4.4.3")) != STMT_OK ||
        (rc = opt_str(v, o, "objectType", "2.4.4.3", &s)) != STMT_OK)
        return rc;
    if (!s || strcmp(s, "StatementRef") != 0)
        return fail_at(v, "objectType",
                       "xAPI Data 2.4.4.3: a Statement Reference MUST have "
                       "objectType \"StatementRef\"");
    return opt_uuid(v, o, "id", "2.4.4.3", 1);
}

static int statement(struct v *v, const cJSON *o, unsigned flags, int sub);

enum obj_kind { OBJ_ACTIVITY, OBJ_AGENT, OBJ_GROUP, OBJ_REF, OBJ_SUB };

/* Data 2.4.4: the object, by objectType (absent: Activity) */
static int object(struct v *v, const cJSON *o, int sub, enum obj_kind *kind)
{
    const cJSON *ot;
    const char *t;
    int n;

    if (!cJSON_IsObject(o))
        return fail(v, "xAPI Data 2.4.4: object must be a JSON object");
    ot = get(o, "objectType");
    if (ot && !cJSON_IsString(ot))
        return fail_at(v, "objectType", "xAPI Data 2.4.4: objectType must be a string");
    t = ot ? ot->valuestring : "Activity";
    if (strcmp(t, "Activity") == 0) {
        *kind = OBJ_ACTIVITY;
        return activity(v, o);
    }
    if (strcmp(t, "Agent") == 0) {
        *kind = OBJ_AGENT;
        return agent(v, o);
    }
    if (strcmp(t, "Group") == 0) {
        *kind = OBJ_GROUP;
        return group(v, o, &n);
    }
    if (strcmp(t, "StatementRef") == 0) {
        *kind = OBJ_REF;
        return statement_ref(v, o);
    }
    if (strcmp(t, "SubStatement") == 0) {
        *kind = OBJ_SUB;
        if (sub)
            return fail_at(v, "objectType",
                           "xAPI Data 2.4.4.3: a SubStatement MUST NOT contain "
                           "a SubStatement of its own");
        return statement(v, o, 0, 1);
    }
    return fail_at(v, "objectType",
                   "xAPI Data 2.4.4: objectType \"%s\" is not one of Activity, "
                   "Agent, Group, SubStatement, StatementRef (case-sensitive)",
                   t);
}

static int number(struct v *v, const cJSON *o, const char *key, const char *sec, double *out,
                  int *present)
{
    const cJSON *c = get(o, key);
    *present = 0;
    if (!c)
        return STMT_OK;
    if (!cJSON_IsNumber(c))
        return fail_at(v, key, "xAPI Data %s: \"%s\" must be a number (Data 2.2: not a string)",
                       sec, key);
    *out = c->valuedouble;
    *present = 1;
    return STMT_OK;
}

/* Data 2.4.5.1 */
static int score(struct v *v, const cJSON *o)
{
    static const char *const keys[] = {"scaled", "raw", "min", "max", NULL};
    double scaled = 0, raw = 0, mn = 0, mx = 0;
    int has_s, has_r, has_min, has_max, rc;

    if ((rc = check_keys(v, o, keys, "a Score", "2.4.5.1")) != STMT_OK ||
        (rc = number(v, o, "scaled", "2.4.5.1", &scaled, &has_s)) != STMT_OK ||
        (rc = number(v, o, "raw", "2.4.5.1", &raw, &has_r)) != STMT_OK ||
        (rc = number(v, o, "min", "2.4.5.1", &mn, &has_min)) != STMT_OK ||
        (rc = number(v, o, "max", "2.4.5.1", &mx, &has_max)) != STMT_OK)
        return rc;
    if (has_s && (scaled < -1.0 || scaled > 1.0))
        return fail_at(v, "scaled",
                       "xAPI Data 2.4.5.1: scaled must be between -1 and 1 "
                       "inclusive");
    if (has_min && has_max && mn > mx)
        return fail_at(v, "min", "xAPI Data 2.4.5.1: min must not be greater than max");
    if (has_r && has_min && raw < mn)
        return fail_at(v, "raw",
                       "xAPI Data 2.4.5.1: raw must be between min and max "
                       "inclusive (it is below min)");
    if (has_r && has_max && raw > mx)
        return fail_at(v, "raw",
                       "xAPI Data 2.4.5.1: raw must be between min and max "
                       "inclusive (it is above max)");
    return STMT_OK;
}

/* Data 2.4.5 */
static int result(struct v *v, const cJSON *o)
{
    static const char *const keys[] = {"score",    "success",    "completion", "response",
                                       "duration", "extensions", NULL};
    const char *s;
    int rc;

    if ((rc = check_keys(v, o, keys, "a Result", "2.4.5")) != STMT_OK ||
        (rc = member_obj(v, o, "score", "score", "2.4.5.1", score)) != STMT_OK ||
        (rc = opt_bool(v, o, "success", "2.4.5")) != STMT_OK ||
        (rc = opt_bool(v, o, "completion", "2.4.5")) != STMT_OK ||
        (rc = opt_str(v, o, "response", "2.4.5", &s)) != STMT_OK ||
        (rc = opt_str(v, o, "duration", "2.4.5", &s)) != STMT_OK)
        return rc;
    if (s && !stmt_validate_duration(s))
        return fail_at(v, "duration",
                       "xAPI Data 4.6: duration must be an ISO 8601:2004 4.4.3.2 "
                       "duration such as \"PT1H2M3.5S\" or \"P4W\"");
    return extensions(v, o, "2.4.5");
}

static int context_activities(struct v *v, const cJSON *o)
{
    static const char *const keys[] = {"parent", "grouping", "category", "other", NULL};
    const cJSON *c;
    int rc;

    if ((rc = check_keys(v, o, keys, "contextActivities", "2.4.6.2")) != STMT_OK)
        return rc;
    cJSON_ArrayForEach(c, o)
    {
        size_t mark = push(v, ".%s", c->string);
        if (cJSON_IsObject(c)) {
            rc = activity(v, c);
        } else if (cJSON_IsArray(c)) {
            const cJSON *a;
            int i = 0;
            cJSON_ArrayForEach(a, c)
            {
                size_t m2 = push(v, "[%d]", i++);
                rc = activity(v, a);
                pop(v, m2);
                if (rc != STMT_OK)
                    break;
            }
        } else {
            rc = fail(v, "xAPI Data 2.4.6.2: every contextActivities value MUST be an Activity "
                         "object or an array of Activity objects");
        }
        pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    return STMT_OK;
}

static int team(struct v *v, const cJSON *o)
{
    int n;
    const cJSON *ot = get(o, "objectType");
    if (!cJSON_IsString(ot) || strcmp(ot->valuestring, "Group") != 0)
        return fail_at(v, "objectType",
                       "xAPI Data 2.4.6: context team MUST be a Group "
                       "(objectType \"Group\")");
    return group(v, o, &n);
}

/* IEEE 9274.1.1 (xAPI 2.0) Data 2.4.6 Context, "contextAgents" / "contextGroups": an array
 * of objects with objectType "contextAgent" / "contextGroup" (required), "agent" an Agent /
 * "group" a Group (required) and "relevantTypes", an optional non-empty array of IRIs. */
static int context_who(struct v *v, const cJSON *o, const char *key, int groups)
{
    static const char *const akeys[] = {"objectType", "agent", "relevantTypes", NULL};
    static const char *const gkeys[] = {"objectType", "group", "relevantTypes", NULL};
    const char *want = groups ? "contextGroup" : "contextAgent";
    const cJSON *arr = get(o, key), *e;
    size_t mark;
    int i = 0, rc = STMT_OK;

    if (!arr)
        return STMT_OK;
    if (!v->v2)
        return fail_at(v, key,
                       "xAPI 1.0.3 Data 2.4.6: \"%s\" is not a Context property in xAPI 1.0.3 "
                       "(it is new in xAPI 2.0, IEEE 9274.1.1, Data 2.4.6; send "
                       "X-Experience-API-Version: 2.0.0)",
                       key);
    mark = push(v, ".%s", key);
    if (!cJSON_IsArray(arr)) {
        rc = fail(v, "xAPI 2.0 Data 2.4.6: %s must be an array of %s objects", key, want);
        pop(v, mark);
        return rc;
    }
    cJSON_ArrayForEach(e, arr)
    {
        size_t m2 = push(v, "[%d]", i++);
        const cJSON *ot, *who, *rt;
        if (!cJSON_IsObject(e)) {
            rc = fail(v, "xAPI 2.0 Data 2.4.6: each %s entry must be a %s object", key, want);
        } else if ((rc = check_keys(v, e, groups ? gkeys : akeys, want, "2.4.6")) != STMT_OK) {
        } else if (!cJSON_IsString(ot = get(e, "objectType")) || strcmp(ot->valuestring, want)) {
            rc = fail_at(v, "objectType",
                         "xAPI 2.0 Data 2.4.6: objectType of a %s entry MUST be \"%s\"", key, want);
        } else if (!(who = get(e, groups ? "group" : "agent"))) {
            rc = fail_at(v, groups ? "group" : "agent",
                         "xAPI 2.0 Data 2.4.6: a %s entry MUST have \"%s\"", key,
                         groups ? "group" : "agent");
        } else {
            size_t m3 = push(v, groups ? ".group" : ".agent");
            const cJSON *wot = get(who, "objectType");
            if (!cJSON_IsObject(who))
                rc = fail(v, "xAPI 2.0 Data 2.4.6: must be %s object",
                          groups ? "a Group" : "an Agent");
            else if (groups && (!cJSON_IsString(wot) || strcmp(wot->valuestring, "Group")))
                rc = fail_at(v, "objectType",
                             "xAPI 2.0 Data 2.4.6: a contextGroup's group MUST be a Group "
                             "(objectType \"Group\")");
            else if (groups) {
                int n;
                rc = group(v, who, &n);
            } else if (wot && (!cJSON_IsString(wot) || strcmp(wot->valuestring, "Agent")))
                rc = fail_at(v, "objectType",
                             "xAPI 2.0 Data 2.4.6: a contextAgent's agent MUST be an Agent");
            else
                rc = agent(v, who);
            pop(v, m3);
        }
        if (rc == STMT_OK && (rt = get(e, "relevantTypes"))) {
            const cJSON *t;
            int k = 0;
            if (!cJSON_IsArray(rt) || cJSON_GetArraySize(rt) == 0)
                rc = fail_at(v, "relevantTypes",
                             "xAPI 2.0 Data 2.4.6: relevantTypes MUST be a non-empty array of "
                             "IRIs");
            cJSON_ArrayForEach(t, rt)
            {
                if (rc != STMT_OK)
                    break;
                if (!cJSON_IsString(t) || !stmt_validate_iri(t->valuestring)) {
                    size_t m3 = push(v, ".relevantTypes[%d]", k);
                    rc = fail(v, "xAPI 2.0 Data 2.4.6: relevantTypes entries MUST be IRIs");
                    pop(v, m3);
                }
                k++;
            }
        }
        pop(v, m2);
        if (rc != STMT_OK)
            break;
    }
    pop(v, mark);
    return rc;
}

/* Data 2.4.6 */
static int context(struct v *v, const cJSON *o, enum obj_kind kind)
{
    static const char *const keys[] = {"registration",      "instructor",    "team",
                                       "contextActivities", "revision",      "platform",
                                       "language",          "statement",     "extensions",
                                       "contextAgents",     "contextGroups", NULL};
    const char *s;
    int rc;

    if ((rc = context_who(v, o, "contextAgents", 0)) != STMT_OK ||
        (rc = context_who(v, o, "contextGroups", 1)) != STMT_OK ||
        (rc = check_keys(v, o, keys, "a Context", "2.4.6")) != STMT_OK ||
        (rc = opt_uuid(v, o, "registration", "2.4.6", 0)) != STMT_OK ||
        (rc = member_obj(v, o, "instructor", "instructor", "2.4.6", actor)) != STMT_OK ||
        (rc = member_obj(v, o, "team", "team", "2.4.6", team)) != STMT_OK ||
        (rc = member_obj(v, o, "contextActivities", "contextActivities", "2.4.6.2",
                         context_activities)) != STMT_OK ||
        (rc = opt_str(v, o, "revision", "2.4.6", &s)) != STMT_OK)
        return rc;
    if (s && kind != OBJ_ACTIVITY)
        return fail_at(v, "revision",
                       "xAPI Data 2.4.6: \"revision\" MUST only be used if the "
                       "Statement's Object is an Activity");
    if ((rc = opt_str(v, o, "platform", "2.4.6", &s)) != STMT_OK)
        return rc;
    if (s && kind != OBJ_ACTIVITY)
        return fail_at(v, "platform",
                       "xAPI Data 2.4.6: \"platform\" MUST only be used if the "
                       "Statement's Object is an Activity");
    if ((rc = opt_str(v, o, "language", "2.4.6", &s)) != STMT_OK)
        return rc;
    if (s && !stmt_validate_lang_tag(s))
        return fail_at(v, "language",
                       "xAPI Data 2.4.6: language must be an RFC 5646 language "
                       "tag");
    if ((rc = member_obj(v, o, "statement", "statement", "2.4.6", statement_ref)) != STMT_OK)
        return rc;
    return extensions(v, o, "2.4.6");
}

/* Data 2.4.9: an Agent, or a Group of exactly two Agents (3-legged OAuth) */
static int authority(struct v *v, const cJSON *o)
{
    const cJSON *ot = get(o, "objectType");
    int n, rc;

    if (cJSON_IsString(ot) && strcmp(ot->valuestring, "Group") == 0) {
        static const char *const ifis[] = {"mbox", "mbox_sha1sum", "openid", "account", NULL};
        /* Data 2.4.9: the OAuth authority Group is anonymous: its two members identify it */
        for (int i = 0; ifis[i]; i++)
            if (get(o, ifis[i]))
                return fail_at(v, ifis[i],
                               "xAPI Data 2.4.9: a Group authority is an anonymous Group of the "
                               "OAuth consumer and user, not an identified Group");
        if ((rc = group(v, o, &n)) != STMT_OK)
            return rc;
        if (n != 2)
            return fail_at(v, "member",
                           "xAPI Data 2.4.9: a Group authority MUST have exactly "
                           "two Agents (OAuth consumer and user)");
        return STMT_OK;
    }
    return agent(v, o);
}

/* Data 2.4.10 and Comm 3.3 ("accept 1.0 as 1.0.0 and any 1.0.x", xapi-lrs.md H2/V9): "1.0",
 * or "1.0." followed by a patch number; under xAPI 2.0 (IEEE 9274.1.1, Data 2.4.10) also
 * "2.0" and "2.0.x" (a 2.0 LRS stores statements of both versions). */
static int version_valid(const char *s, int v2)
{
    const char *p;
    if (strcmp(s, "1.0") == 0 || (v2 && strcmp(s, "2.0") == 0))
        return 1;
    if (strncmp(s, "1.0.", 4) != 0 && !(v2 && strncmp(s, "2.0.", 4) == 0))
        return 0;
    p = s + 4;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    return *p == '\0';
}

static int is_token_char(int c)
{
    return c > 0x20 && c < 0x7F && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* RFC 2046 / RFC 7231 3.1.1.1: type "/" subtype *( OWS ";" OWS parameter ) */
static int media_type_valid(const char *s)
{
    const char *p = s;
    int n = 0;
    while (is_token_char((unsigned char)*p))
        p++, n++;
    if (!n || *p++ != '/')
        return 0;
    n = 0;
    while (is_token_char((unsigned char)*p))
        p++, n++;
    if (!n)
        return 0;
    /* parameters: accept anything printable after ';' */
    if (*p == '\0')
        return 1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != ';')
        return 0;
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            return 0;
    return 1;
}

/* Data 2.4.11 */
static int attachment(struct v *v, const cJSON *o)
{
    static const char *const keys[] = {"usageType", "display", "description", "contentType",
                                       "length",    "sha2",    "fileUrl",     NULL};
    const cJSON *len;
    const char *s;
    int rc;

    if ((rc = expect_object(v, o, "an Attachment", "2.4.11")) != STMT_OK ||
        (rc = check_keys(v, o, keys, "an Attachment", "2.4.11")) != STMT_OK ||
        (rc = opt_iri(v, o, "usageType", "2.4.11", 1)) != STMT_OK ||
        (rc = lang_map(v, o, "display", "2.4.11", 1)) != STMT_OK ||
        (rc = lang_map(v, o, "description", "2.4.11", 0)) != STMT_OK ||
        (rc = req_str(v, o, "contentType", "2.4.11", &s)) != STMT_OK)
        return rc;
    if (!media_type_valid(s))
        return fail_at(v, "contentType",
                       "xAPI Data 2.4.11: contentType must be an Internet "
                       "Media Type (RFC 2046), e.g. \"application/pdf\"");
    len = get(o, "length");
    if (!len)
        return fail_at(v, "length", "xAPI Data 2.4.11: \"length\" is required");
    if (!cJSON_IsNumber(len) || len->valuedouble < 0 || len->valuedouble > 9007199254740992.0 ||
        floor(len->valuedouble) != len->valuedouble)
        return fail_at(v, "length",
                       "xAPI Data 2.4.11: length must be a non-negative integer "
                       "(octets)");
    if ((rc = req_str(v, o, "sha2", "2.4.11", &s)) != STMT_OK)
        return rc;
    if (!is_hex_str(s, 56) && !is_hex_str(s, 64) && !is_hex_str(s, 96) && !is_hex_str(s, 128))
        return fail_at(v, "sha2",
                       "xAPI Data 2.4.11: sha2 must be the hex SHA-2 hash of the "
                       "attachment (56, 64, 96 or 128 hex digits)");
    return opt_iri(v, o, "fileUrl", "2.4.11", 0);
}

static int timestamp(struct v *v, const cJSON *o, const char *key, const char *sec)
{
    const char *s;
    int rc = opt_str(v, o, key, sec, &s);
    if (rc != STMT_OK)
        return rc;
    if (s && !stmt_validate_timestamp(s))
        return fail_at(v, key,
                       "xAPI Data 4.5: \"%s\" must be an ISO 8601 timestamp with a time "
                       "zone (RFC 3339; an offset of -00:00 is rejected)",
                       key);
    return STMT_OK;
}

static int statement(struct v *v, const cJSON *o, unsigned flags, int sub)
{
    static const char *const keys[] = {"id",        "actor",   "verb",        "object",
                                       "result",    "context", "timestamp",   "stored",
                                       "authority", "version", "attachments", NULL};
    static const char *const sub_keys[] = {"objectType", "actor",       "verb",
                                           "object",     "result",      "context",
                                           "timestamp",  "attachments", NULL};
    static const char *const sub_forbidden[] = {"id", "stored", "version", "authority", NULL};
    enum obj_kind kind = OBJ_ACTIVITY;
    const cJSON *c;
    const char *s;
    int rc;
    size_t mark;

    if (!cJSON_IsObject(o))
        return fail(v, "xAPI Data 2.4: a Statement must be a JSON object");
    if (sub)
        for (int i = 0; sub_forbidden[i]; i++)
            if (get(o, sub_forbidden[i]))
                return fail_at(v, sub_forbidden[i],
                               "xAPI Data 2.4.4.3: a SubStatement MUST "
                               "NOT have the \"%s\" property",
                               sub_forbidden[i]);
    if ((rc = check_keys(v, o, sub ? sub_keys : keys, sub ? "a SubStatement" : "a Statement",
                         sub ? "2.4.4.3" : "2.4")) != STMT_OK)
        return rc;
    if (!sub) {
        if ((rc = opt_uuid(v, o, "id", "2.4.1", 0)) != STMT_OK)
            return rc;
        if ((flags & (STMT_VALIDATE_REQUIRE_ID | STMT_VALIDATE_STORED)) && !get(o, "id"))
            return fail_at(v, "id", "xAPI Data 2.4.1: the statement has no id");
    }
    /* Data 2.2: "A Statement MUST use actor, verb, and object." */
    if (!(c = get(o, "actor")))
        return fail_at(v, "actor", "xAPI Data 2.2, 2.4.2: \"actor\" is required");
    mark = push(v, ".actor");
    rc = actor(v, c);
    pop(v, mark);
    if (rc != STMT_OK)
        return rc;
    if (!(c = get(o, "verb")))
        return fail_at(v, "verb", "xAPI Data 2.2, 2.4.3: \"verb\" is required");
    mark = push(v, ".verb");
    rc = verb(v, c);
    pop(v, mark);
    if (rc != STMT_OK)
        return rc;
    if (!(c = get(o, "object")))
        return fail_at(v, "object", "xAPI Data 2.2, 2.4.4: \"object\" is required");
    mark = push(v, ".object");
    rc = object(v, c, sub, &kind);
    pop(v, mark);
    if (rc != STMT_OK)
        return rc;
    /* Data 2.3.2: "When issuing a Statement that voids another, the Object of that voiding
     * Statement MUST have the objectType property set to StatementRef." */
    if (!sub && kind != OBJ_REF) {
        const cJSON *vid = get(get(o, "verb"), "id");
        if (cJSON_IsString(vid) && strcmp(vid->valuestring, STMT_VERB_VOIDED) == 0) {
            mark = push(v, ".object");
            rc = fail_at(v, "objectType",
                         "xAPI Data 2.3.2: the object of a voiding statement "
                         "MUST be a StatementRef");
            pop(v, mark);
            return rc;
        }
    }
    if ((c = get(o, "result"))) {
        mark = push(v, ".result");
        rc = cJSON_IsObject(c) ? result(v, c)
                               : fail(v, "xAPI Data 2.4.5: result must be a "
                                         "JSON object");
        pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    if ((c = get(o, "context"))) {
        mark = push(v, ".context");
        rc = cJSON_IsObject(c) ? context(v, c, kind)
                               : fail(v, "xAPI Data 2.4.6: context must "
                                         "be a JSON object");
        pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    if ((rc = timestamp(v, o, "timestamp", "2.4.7")) != STMT_OK)
        return rc;
    if (!sub) {
        if ((rc = timestamp(v, o, "stored", "2.4.8")) != STMT_OK ||
            (rc = member_obj(v, o, "authority", "authority", "2.4.9", authority)) != STMT_OK ||
            (rc = opt_str(v, o, "version", "2.4.10", &s)) != STMT_OK)
            return rc;
        if (s && !version_valid(s, v->v2))
            return fail_at(v, "version",
                           v->v2 ? "xAPI 2.0 Data 2.4.10: version MUST be \"1.0.x\" or "
                                   "\"2.0.x\" (e.g. \"2.0.0\")"
                                 : "xAPI 1.0.3 Data 2.4.10: version MUST be \"1.0\" or "
                                   "\"1.0.x\" (e.g. \"1.0.0\"; \"2.0.x\" needs "
                                   "X-Experience-API-Version: 2.0.0)");
        if (flags & STMT_VALIDATE_STORED) {
            static const char *const req[] = {"stored", "timestamp", "authority", "version", NULL};
            for (int i = 0; req[i]; i++)
                if (!get(o, req[i]))
                    return fail_at(v, req[i],
                                   "xAPI Data 2.4.7-2.4.10: a stored statement "
                                   "has \"%s\"",
                                   req[i]);
        }
    }
    if ((c = get(o, "attachments"))) {
        int i = 0;
        const cJSON *a;
        mark = push(v, ".attachments");
        if (!cJSON_IsArray(c)) {
            rc = fail(v, "xAPI Data 2.4.11: attachments must be an array of Attachment objects");
        } else {
            cJSON_ArrayForEach(a, c)
            {
                size_t m2 = push(v, "[%d]", i++);
                rc = attachment(v, a);
                pop(v, m2);
                if (rc != STMT_OK)
                    break;
            }
        }
        pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    return STMT_OK;
}

static void v_init(struct v *v, struct stmt_diag *diag)
{
    memset(v, 0, sizeof(*v));
    v->diag = diag;
    v->path[0] = '$';
    v->plen = 1;
    if (diag) {
        diag->code = STMT_OK;
        diag->path[0] = '\0';
        diag->msg[0] = '\0';
    }
}

int stmt_validate(const cJSON *stmt, unsigned flags, struct stmt_diag *diag)
{
    struct v v;

    v_init(&v, diag);
    v.v2 = !!(flags & STMT_VALIDATE_V2);
    if (!stmt)
        return stmt__diag_set(diag, STMT_ERR_ARG, "$", "no statement");
    return statement(&v, stmt, flags, 0);
}

int stmt_validate_agent(const cJSON *agent_j, struct stmt_diag *diag)
{
    struct v v;

    v_init(&v, diag);
    if (!agent_j)
        return stmt__diag_set(diag, STMT_ERR_ARG, "$", "no agent");
    return actor(&v, agent_j);
}

struct id_ref {
    const char *id;
    int index;
};

static int cmp_id(const void *a, const void *b)
{
    const struct id_ref *x = a, *y = b;
    int c = strcasecmp(x->id, y->id);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

int stmt_validate_batch(const cJSON *body, unsigned flags, struct stmt_diag *diag)
{
    struct v v;
    struct id_ref *ids = NULL;
    const cJSON *c;
    int rc = STMT_OK, i = 0, n = 0;

    v_init(&v, diag);
    v.v2 = !!(flags & STMT_VALIDATE_V2);
    if (!body)
        return stmt__diag_set(diag, STMT_ERR_ARG, "$", "no body");
    if (cJSON_IsObject(body))
        return statement(&v, body, flags, 0);
    if (!cJSON_IsArray(body))
        return fail(&v, "xAPI Communication 2.1.2: the body must be a Statement object or an "
                        "array of Statements");
    cJSON_ArrayForEach(c, body)
    {
        size_t mark = push(&v, "[%d]", i++);
        rc = statement(&v, c, flags, 0);
        pop(&v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    /* Comm 2.1.2 (xapi-lrs.md S4): the same id twice in one batch is rejected */
    if (i > 1) {
        ids = sc_malloc((size_t)i * sizeof(*ids));
        if (!ids)
            return stmt__diag_set(diag, STMT_ERR_NOMEM, "$", "out of memory");
        i = 0;
        cJSON_ArrayForEach(c, body)
        {
            const cJSON *id = get(c, "id");
            if (cJSON_IsString(id)) {
                ids[n].id = id->valuestring;
                ids[n].index = i;
                n++;
            }
            i++;
        }
        qsort(ids, (size_t)n, sizeof(*ids), cmp_id);
        for (int k = 1; k < n; k++) {
            if (strcasecmp(ids[k - 1].id, ids[k].id) == 0) {
                push(&v, "[%d].id", ids[k].index);
                rc = fail(&v,
                          "xAPI Communication 2.1.2: the batch contains the statement id %s "
                          "twice",
                          ids[k].id);
                break;
            }
        }
        sc_free(ids);
    }
    return rc;
}
