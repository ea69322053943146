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
#include "statements/stmt_validate_int.h"

static int statement(struct stmt__vwalk *v, const cJSON *o, unsigned flags, int sub);

enum obj_kind { OBJ_ACTIVITY, OBJ_AGENT, OBJ_GROUP, OBJ_REF, OBJ_SUB };

/* Data 2.4.4: the object, by objectType (absent: Activity) */
static int object(struct stmt__vwalk *v, const cJSON *o, int sub, enum obj_kind *kind)
{
    const cJSON *ot;
    const char *t;
    int n;

    if (!cJSON_IsObject(o))
        return stmt__v_fail(v, "xAPI Data 2.4.4: object must be a JSON object");
    ot = stmt__v_get(o, "objectType");
    if (ot && !cJSON_IsString(ot))
        return stmt__v_fail_at(v, "objectType", "xAPI Data 2.4.4: objectType must be a string");
    t = ot ? ot->valuestring : "Activity";
    if (strcmp(t, "Activity") == 0) {
        *kind = OBJ_ACTIVITY;
        return stmt__v_activity(v, o);
    }
    if (strcmp(t, "Agent") == 0) {
        *kind = OBJ_AGENT;
        return stmt__v_agent(v, o);
    }
    if (strcmp(t, "Group") == 0) {
        *kind = OBJ_GROUP;
        return stmt__v_group(v, o, &n);
    }
    if (strcmp(t, "StatementRef") == 0) {
        *kind = OBJ_REF;
        return stmt__v_statement_ref(v, o);
    }
    if (strcmp(t, "SubStatement") == 0) {
        *kind = OBJ_SUB;
        if (sub)
            return stmt__v_fail_at(v, "objectType",
                                   "xAPI Data 2.4.4.3: a SubStatement MUST NOT contain "
                                   "a SubStatement of its own");
        return statement(v, o, 0, 1);
    }
    return stmt__v_fail_at(v, "objectType",
                           "xAPI Data 2.4.4: objectType \"%s\" is not one of Activity, "
                           "Agent, Group, SubStatement, StatementRef (case-sensitive)",
                           t);
}

static int number(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                  double *out, int *present)
{
    const cJSON *c = stmt__v_get(o, key);
    *present = 0;
    if (!c)
        return STMT_OK;
    if (!cJSON_IsNumber(c))
        return stmt__v_fail_at(
            v, key, "xAPI Data %s: \"%s\" must be a number (Data 2.2: not a string)", sec, key);
    *out = c->valuedouble;
    *present = 1;
    return STMT_OK;
}

/* Data 2.4.5.1 */
static int score(struct stmt__vwalk *v, const cJSON *o)
{
    static const char *const keys[] = {"scaled", "raw", "min", "max", NULL};
    double scaled = 0, raw = 0, mn = 0, mx = 0;
    int has_s, has_r, has_min, has_max, rc;

    if ((rc = stmt__v_check_keys(v, o, keys, "a Score", "2.4.5.1")) != STMT_OK ||
        (rc = number(v, o, "scaled", "2.4.5.1", &scaled, &has_s)) != STMT_OK ||
        (rc = number(v, o, "raw", "2.4.5.1", &raw, &has_r)) != STMT_OK ||
        (rc = number(v, o, "min", "2.4.5.1", &mn, &has_min)) != STMT_OK ||
        (rc = number(v, o, "max", "2.4.5.1", &mx, &has_max)) != STMT_OK)
        return rc;
    if (has_s && (scaled < -1.0 || scaled > 1.0))
        return stmt__v_fail_at(v, "scaled",
                               "xAPI Data 2.4.5.1: scaled must be between -1 and 1 "
                               "inclusive");
    if (has_min && has_max && mn > mx)
        return stmt__v_fail_at(v, "min", "xAPI Data 2.4.5.1: min must not be greater than max");
    if (has_r && has_min && raw < mn)
        return stmt__v_fail_at(v, "raw",
                               "xAPI Data 2.4.5.1: raw must be between min and max "
                               "inclusive (it is below min)");
    if (has_r && has_max && raw > mx)
        return stmt__v_fail_at(v, "raw",
                               "xAPI Data 2.4.5.1: raw must be between min and max "
                               "inclusive (it is above max)");
    return STMT_OK;
}

/* Data 2.4.5 */
static int result(struct stmt__vwalk *v, const cJSON *o)
{
    static const char *const keys[] = {"score",    "success",    "completion", "response",
                                       "duration", "extensions", NULL};
    const char *s;
    int rc;

    if ((rc = stmt__v_check_keys(v, o, keys, "a Result", "2.4.5")) != STMT_OK ||
        (rc = stmt__v_member_obj(v, o, "score", "score", "2.4.5.1", score)) != STMT_OK ||
        (rc = stmt__v_opt_bool(v, o, "success", "2.4.5")) != STMT_OK ||
        (rc = stmt__v_opt_bool(v, o, "completion", "2.4.5")) != STMT_OK ||
        (rc = stmt__v_opt_str(v, o, "response", "2.4.5", &s)) != STMT_OK ||
        (rc = stmt__v_opt_str(v, o, "duration", "2.4.5", &s)) != STMT_OK)
        return rc;
    if (s && !stmt_validate_duration(s))
        return stmt__v_fail_at(v, "duration",
                               "xAPI Data 4.6: duration must be an ISO 8601:2004 4.4.3.2 "
                               "duration such as \"PT1H2M3.5S\" or \"P4W\"");
    return stmt__v_extensions(v, o, "2.4.5");
}

static int context_activities(struct stmt__vwalk *v, const cJSON *o)
{
    static const char *const keys[] = {"parent", "grouping", "category", "other", NULL};
    const cJSON *c;
    int rc;

    if ((rc = stmt__v_check_keys(v, o, keys, "contextActivities", "2.4.6.2")) != STMT_OK)
        return rc;
    cJSON_ArrayForEach(c, o)
    {
        size_t mark = stmt__v_push(v, ".%s", c->string);
        if (cJSON_IsObject(c)) {
            rc = stmt__v_activity(v, c);
        } else if (cJSON_IsArray(c)) {
            const cJSON *a;
            int i = 0;
            cJSON_ArrayForEach(a, c)
            {
                size_t m2 = stmt__v_push(v, "[%d]", i++);
                rc = stmt__v_activity(v, a);
                stmt__v_pop(v, m2);
                if (rc != STMT_OK)
                    break;
            }
        } else {
            rc = stmt__v_fail(
                v, "xAPI Data 2.4.6.2: every contextActivities value MUST be an Activity "
                   "object or an array of Activity objects");
        }
        stmt__v_pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    return STMT_OK;
}

static int team(struct stmt__vwalk *v, const cJSON *o)
{
    int n;
    const cJSON *ot = stmt__v_get(o, "objectType");
    if (!cJSON_IsString(ot) || strcmp(ot->valuestring, "Group") != 0)
        return stmt__v_fail_at(v, "objectType",
                               "xAPI Data 2.4.6: context team MUST be a Group "
                               "(objectType \"Group\")");
    return stmt__v_group(v, o, &n);
}

/* IEEE 9274.1.1 (xAPI 2.0) Data 2.4.6 Context, "contextAgents" / "contextGroups": an array
 * of objects with objectType "contextAgent" / "contextGroup" (required), "agent" an Agent /
 * "group" a Group (required) and "relevantTypes", an optional non-empty array of IRIs. */
static int context_who(struct stmt__vwalk *v, const cJSON *o, const char *key, int groups)
{
    static const char *const akeys[] = {"objectType", "agent", "relevantTypes", NULL};
    static const char *const gkeys[] = {"objectType", "group", "relevantTypes", NULL};
    const char *want = groups ? "contextGroup" : "contextAgent";
    const cJSON *arr = stmt__v_get(o, key), *e;
    size_t mark;
    int i = 0, rc = STMT_OK;

    if (!arr)
        return STMT_OK;
    if (!v->v2)
        return stmt__v_fail_at(
            v, key,
            "xAPI 1.0.3 Data 2.4.6: \"%s\" is not a Context property in xAPI 1.0.3 "
            "(it is new in xAPI 2.0, IEEE 9274.1.1, Data 2.4.6; send "
            "X-Experience-API-Version: 2.0.0)",
            key);
    mark = stmt__v_push(v, ".%s", key);
    if (!cJSON_IsArray(arr)) {
        rc = stmt__v_fail(v, "xAPI 2.0 Data 2.4.6: %s must be an array of %s objects", key, want);
        stmt__v_pop(v, mark);
        return rc;
    }
    cJSON_ArrayForEach(e, arr)
    {
        size_t m2 = stmt__v_push(v, "[%d]", i++);
        const cJSON *ot, *who, *rt;
        if (!cJSON_IsObject(e)) {
            rc = stmt__v_fail(v, "xAPI 2.0 Data 2.4.6: each %s entry must be a %s object", key,
                              want);
        } else if ((rc = stmt__v_check_keys(v, e, groups ? gkeys : akeys, want, "2.4.6")) !=
                   STMT_OK) {
        } else if (!cJSON_IsString(ot = stmt__v_get(e, "objectType")) ||
                   strcmp(ot->valuestring, want)) {
            rc = stmt__v_fail_at(v, "objectType",
                                 "xAPI 2.0 Data 2.4.6: objectType of a %s entry MUST be \"%s\"",
                                 key, want);
        } else if (!(who = stmt__v_get(e, groups ? "group" : "agent"))) {
            rc = stmt__v_fail_at(v, groups ? "group" : "agent",
                                 "xAPI 2.0 Data 2.4.6: a %s entry MUST have \"%s\"", key,
                                 groups ? "group" : "agent");
        } else {
            size_t m3 = stmt__v_push(v, groups ? ".group" : ".agent");
            const cJSON *wot = stmt__v_get(who, "objectType");
            if (!cJSON_IsObject(who))
                rc = stmt__v_fail(v, "xAPI 2.0 Data 2.4.6: must be %s object",
                                  groups ? "a Group" : "an Agent");
            else if (groups && (!cJSON_IsString(wot) || strcmp(wot->valuestring, "Group")))
                rc = stmt__v_fail_at(v, "objectType",
                                     "xAPI 2.0 Data 2.4.6: a contextGroup's group MUST be a Group "
                                     "(objectType \"Group\")");
            else if (groups) {
                int n;
                rc = stmt__v_group(v, who, &n);
            } else if (wot && (!cJSON_IsString(wot) || strcmp(wot->valuestring, "Agent")))
                rc =
                    stmt__v_fail_at(v, "objectType",
                                    "xAPI 2.0 Data 2.4.6: a contextAgent's agent MUST be an Agent");
            else
                rc = stmt__v_agent(v, who);
            stmt__v_pop(v, m3);
        }
        if (rc == STMT_OK && (rt = stmt__v_get(e, "relevantTypes"))) {
            const cJSON *t;
            int k = 0;
            if (!cJSON_IsArray(rt) || cJSON_GetArraySize(rt) == 0)
                rc = stmt__v_fail_at(
                    v, "relevantTypes",
                    "xAPI 2.0 Data 2.4.6: relevantTypes MUST be a non-empty array of "
                    "IRIs");
            cJSON_ArrayForEach(t, rt)
            {
                if (rc != STMT_OK)
                    break;
                if (!cJSON_IsString(t) || !stmt_validate_iri(t->valuestring)) {
                    size_t m3 = stmt__v_push(v, ".relevantTypes[%d]", k);
                    rc = stmt__v_fail(v, "xAPI 2.0 Data 2.4.6: relevantTypes entries MUST be IRIs");
                    stmt__v_pop(v, m3);
                }
                k++;
            }
        }
        stmt__v_pop(v, m2);
        if (rc != STMT_OK)
            break;
    }
    stmt__v_pop(v, mark);
    return rc;
}

/* Data 2.4.6 */
static int context(struct stmt__vwalk *v, const cJSON *o, enum obj_kind kind)
{
    static const char *const keys[] = {"registration",      "instructor",    "team",
                                       "contextActivities", "revision",      "platform",
                                       "language",          "statement",     "extensions",
                                       "contextAgents",     "contextGroups", NULL};
    const char *s;
    int rc;

    if ((rc = context_who(v, o, "contextAgents", 0)) != STMT_OK ||
        (rc = context_who(v, o, "contextGroups", 1)) != STMT_OK ||
        (rc = stmt__v_check_keys(v, o, keys, "a Context", "2.4.6")) != STMT_OK ||
        (rc = stmt__v_opt_uuid(v, o, "registration", "2.4.6", 0)) != STMT_OK ||
        (rc = stmt__v_member_obj(v, o, "instructor", "instructor", "2.4.6", stmt__v_actor)) !=
            STMT_OK ||
        (rc = stmt__v_member_obj(v, o, "team", "team", "2.4.6", team)) != STMT_OK ||
        (rc = stmt__v_member_obj(v, o, "contextActivities", "contextActivities", "2.4.6.2",
                                 context_activities)) != STMT_OK ||
        (rc = stmt__v_opt_str(v, o, "revision", "2.4.6", &s)) != STMT_OK)
        return rc;
    if (s && kind != OBJ_ACTIVITY)
        return stmt__v_fail_at(v, "revision",
                               "xAPI Data 2.4.6: \"revision\" MUST only be used if the "
                               "Statement's Object is an Activity");
    if ((rc = stmt__v_opt_str(v, o, "platform", "2.4.6", &s)) != STMT_OK)
        return rc;
    if (s && kind != OBJ_ACTIVITY)
        return stmt__v_fail_at(v, "platform",
                               "xAPI Data 2.4.6: \"platform\" MUST only be used if the "
                               "Statement's Object is an Activity");
    if ((rc = stmt__v_opt_str(v, o, "language", "2.4.6", &s)) != STMT_OK)
        return rc;
    if (s && !stmt_validate_lang_tag(s))
        return stmt__v_fail_at(v, "language",
                               "xAPI Data 2.4.6: language must be an RFC 5646 language "
                               "tag");
    if ((rc = stmt__v_member_obj(v, o, "statement", "statement", "2.4.6", stmt__v_statement_ref)) !=
        STMT_OK)
        return rc;
    return stmt__v_extensions(v, o, "2.4.6");
}

/* Data 2.4.9: an Agent, or a Group of exactly two Agents (3-legged OAuth) */
static int authority(struct stmt__vwalk *v, const cJSON *o)
{
    const cJSON *ot = stmt__v_get(o, "objectType");
    int n, rc;

    if (cJSON_IsString(ot) && strcmp(ot->valuestring, "Group") == 0) {
        static const char *const ifis[] = {"mbox", "mbox_sha1sum", "openid", "account", NULL};
        /* Data 2.4.9: the OAuth authority Group is anonymous: its two members identify it */
        for (int i = 0; ifis[i]; i++)
            if (stmt__v_get(o, ifis[i]))
                return stmt__v_fail_at(
                    v, ifis[i],
                    "xAPI Data 2.4.9: a Group authority is an anonymous Group of the "
                    "OAuth consumer and user, not an identified Group");
        if ((rc = stmt__v_group(v, o, &n)) != STMT_OK)
            return rc;
        if (n != 2)
            return stmt__v_fail_at(v, "member",
                                   "xAPI Data 2.4.9: a Group authority MUST have exactly "
                                   "two Agents (OAuth consumer and user)");
        return STMT_OK;
    }
    return stmt__v_agent(v, o);
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
static int attachment(struct stmt__vwalk *v, const cJSON *o)
{
    static const char *const keys[] = {"usageType", "display", "description", "contentType",
                                       "length",    "sha2",    "fileUrl",     NULL};
    const cJSON *len;
    const char *s;
    int rc;

    if ((rc = stmt__v_expect_object(v, o, "an Attachment", "2.4.11")) != STMT_OK ||
        (rc = stmt__v_check_keys(v, o, keys, "an Attachment", "2.4.11")) != STMT_OK ||
        (rc = stmt__v_opt_iri(v, o, "usageType", "2.4.11", 1)) != STMT_OK ||
        (rc = stmt__v_lang_map(v, o, "display", "2.4.11", 1)) != STMT_OK ||
        (rc = stmt__v_lang_map(v, o, "description", "2.4.11", 0)) != STMT_OK ||
        (rc = stmt__v_req_str(v, o, "contentType", "2.4.11", &s)) != STMT_OK)
        return rc;
    if (!media_type_valid(s))
        return stmt__v_fail_at(v, "contentType",
                               "xAPI Data 2.4.11: contentType must be an Internet "
                               "Media Type (RFC 2046), e.g. \"application/pdf\"");
    len = stmt__v_get(o, "length");
    if (!len)
        return stmt__v_fail_at(v, "length", "xAPI Data 2.4.11: \"length\" is required");
    if (!cJSON_IsNumber(len) || len->valuedouble < 0 || len->valuedouble > 9007199254740992.0 ||
        floor(len->valuedouble) != len->valuedouble)
        return stmt__v_fail_at(v, "length",
                               "xAPI Data 2.4.11: length must be a non-negative integer "
                               "(octets)");
    if ((rc = stmt__v_req_str(v, o, "sha2", "2.4.11", &s)) != STMT_OK)
        return rc;
    if (!stmt__v_is_hex_str(s, 56) && !stmt__v_is_hex_str(s, 64) && !stmt__v_is_hex_str(s, 96) &&
        !stmt__v_is_hex_str(s, 128))
        return stmt__v_fail_at(v, "sha2",
                               "xAPI Data 2.4.11: sha2 must be the hex SHA-2 hash of the "
                               "attachment (56, 64, 96 or 128 hex digits)");
    return stmt__v_opt_iri(v, o, "fileUrl", "2.4.11", 0);
}

static int timestamp(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec)
{
    const char *s;
    int rc = stmt__v_opt_str(v, o, key, sec, &s);
    if (rc != STMT_OK)
        return rc;
    if (s && !stmt_validate_timestamp(s))
        return stmt__v_fail_at(v, key,
                               "xAPI Data 4.5: \"%s\" must be an ISO 8601 timestamp with a time "
                               "zone (RFC 3339; an offset of -00:00 is rejected)",
                               key);
    return STMT_OK;
}

static int statement(struct stmt__vwalk *v, const cJSON *o, unsigned flags, int sub)
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
        return stmt__v_fail(v, "xAPI Data 2.4: a Statement must be a JSON object");
    if (sub)
        for (int i = 0; sub_forbidden[i]; i++)
            if (stmt__v_get(o, sub_forbidden[i]))
                return stmt__v_fail_at(v, sub_forbidden[i],
                                       "xAPI Data 2.4.4.3: a SubStatement MUST "
                                       "NOT have the \"%s\" property",
                                       sub_forbidden[i]);
    if ((rc =
             stmt__v_check_keys(v, o, sub ? sub_keys : keys, sub ? "a SubStatement" : "a Statement",
                                sub ? "2.4.4.3" : "2.4")) != STMT_OK)
        return rc;
    if (!sub) {
        if ((rc = stmt__v_opt_uuid(v, o, "id", "2.4.1", 0)) != STMT_OK)
            return rc;
        if ((flags & (STMT_VALIDATE_REQUIRE_ID | STMT_VALIDATE_STORED)) && !stmt__v_get(o, "id"))
            return stmt__v_fail_at(v, "id", "xAPI Data 2.4.1: the statement has no id");
    }
    /* Data 2.2: "A Statement MUST use actor, verb, and object." */
    if (!(c = stmt__v_get(o, "actor")))
        return stmt__v_fail_at(v, "actor", "xAPI Data 2.2, 2.4.2: \"actor\" is required");
    mark = stmt__v_push(v, ".actor");
    rc = stmt__v_actor(v, c);
    stmt__v_pop(v, mark);
    if (rc != STMT_OK)
        return rc;
    if (!(c = stmt__v_get(o, "verb")))
        return stmt__v_fail_at(v, "verb", "xAPI Data 2.2, 2.4.3: \"verb\" is required");
    mark = stmt__v_push(v, ".verb");
    rc = stmt__v_verb(v, c);
    stmt__v_pop(v, mark);
    if (rc != STMT_OK)
        return rc;
    if (!(c = stmt__v_get(o, "object")))
        return stmt__v_fail_at(v, "object", "xAPI Data 2.2, 2.4.4: \"object\" is required");
    mark = stmt__v_push(v, ".object");
    rc = object(v, c, sub, &kind);
    stmt__v_pop(v, mark);
    if (rc != STMT_OK)
        return rc;
    /* Data 2.3.2: "When issuing a Statement that voids another, the Object of that voiding
     * Statement MUST have the objectType property set to StatementRef." */
    if (!sub && kind != OBJ_REF) {
        const cJSON *vid = stmt__v_get(stmt__v_get(o, "verb"), "id");
        if (cJSON_IsString(vid) && strcmp(vid->valuestring, STMT_VERB_VOIDED) == 0) {
            mark = stmt__v_push(v, ".object");
            rc = stmt__v_fail_at(v, "objectType",
                                 "xAPI Data 2.3.2: the object of a voiding statement "
                                 "MUST be a StatementRef");
            stmt__v_pop(v, mark);
            return rc;
        }
    }
    if ((c = stmt__v_get(o, "result"))) {
        mark = stmt__v_push(v, ".result");
        rc = cJSON_IsObject(c) ? result(v, c)
                               : stmt__v_fail(v, "xAPI Data 2.4.5: result must be a "
                                                 "JSON object");
        stmt__v_pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    if ((c = stmt__v_get(o, "context"))) {
        mark = stmt__v_push(v, ".context");
        rc = cJSON_IsObject(c) ? context(v, c, kind)
                               : stmt__v_fail(v, "xAPI Data 2.4.6: context must "
                                                 "be a JSON object");
        stmt__v_pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    if ((rc = timestamp(v, o, "timestamp", "2.4.7")) != STMT_OK)
        return rc;
    if (!sub) {
        if ((rc = timestamp(v, o, "stored", "2.4.8")) != STMT_OK ||
            (rc = stmt__v_member_obj(v, o, "authority", "authority", "2.4.9", authority)) !=
                STMT_OK ||
            (rc = stmt__v_opt_str(v, o, "version", "2.4.10", &s)) != STMT_OK)
            return rc;
        if (s && !version_valid(s, v->v2))
            return stmt__v_fail_at(v, "version",
                                   v->v2 ? "xAPI 2.0 Data 2.4.10: version MUST be \"1.0.x\" or "
                                           "\"2.0.x\" (e.g. \"2.0.0\")"
                                         : "xAPI 1.0.3 Data 2.4.10: version MUST be \"1.0\" or "
                                           "\"1.0.x\" (e.g. \"1.0.0\"; \"2.0.x\" needs "
                                           "X-Experience-API-Version: 2.0.0)");
        if (flags & STMT_VALIDATE_STORED) {
            static const char *const req[] = {"stored", "timestamp", "authority", "version", NULL};
            for (int i = 0; req[i]; i++)
                if (!stmt__v_get(o, req[i]))
                    return stmt__v_fail_at(v, req[i],
                                           "xAPI Data 2.4.7-2.4.10: a stored statement "
                                           "has \"%s\"",
                                           req[i]);
        }
    }
    if ((c = stmt__v_get(o, "attachments"))) {
        int i = 0;
        const cJSON *a;
        mark = stmt__v_push(v, ".attachments");
        if (!cJSON_IsArray(c)) {
            rc = stmt__v_fail(
                v, "xAPI Data 2.4.11: attachments must be an array of Attachment objects");
        } else {
            cJSON_ArrayForEach(a, c)
            {
                size_t m2 = stmt__v_push(v, "[%d]", i++);
                rc = attachment(v, a);
                stmt__v_pop(v, m2);
                if (rc != STMT_OK)
                    break;
            }
        }
        stmt__v_pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    return STMT_OK;
}

static void v_init(struct stmt__vwalk *v, struct stmt_diag *diag)
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
    struct stmt__vwalk v;

    v_init(&v, diag);
    v.v2 = !!(flags & STMT_VALIDATE_V2);
    if (!stmt)
        return stmt__diag_set(diag, STMT_ERR_ARG, "$", "no statement");
    return statement(&v, stmt, flags, 0);
}

int stmt_validate_agent(const cJSON *agent_j, struct stmt_diag *diag)
{
    struct stmt__vwalk v;

    v_init(&v, diag);
    if (!agent_j)
        return stmt__diag_set(diag, STMT_ERR_ARG, "$", "no agent");
    return stmt__v_actor(&v, agent_j);
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
    struct stmt__vwalk v;
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
        return stmt__v_fail(&v,
                            "xAPI Communication 2.1.2: the body must be a Statement object or an "
                            "array of Statements");
    cJSON_ArrayForEach(c, body)
    {
        size_t mark = stmt__v_push(&v, "[%d]", i++);
        rc = statement(&v, c, flags, 0);
        stmt__v_pop(&v, mark);
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
            const cJSON *id = stmt__v_get(c, "id");
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
                stmt__v_push(&v, "[%d].id", ids[k].index);
                rc =
                    stmt__v_fail(&v,
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
