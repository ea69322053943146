/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation of the statement's actors (Data 2.4.2: Agents, Groups, their Inverse Functional
 * Identifiers), its verb (Data 2.4.3), Activities with their definitions and interaction
 * components (Data 2.4.4.1) and Statement References (Data 2.4.4.3).
 */
#include <string.h>

#include "statements/stmt_validate_int.h"

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
static int ifis(struct stmt__vwalk *v, const cJSON *o, int *count)
{
    const char *s;
    const cJSON *acc;
    int rc;

    *count = 0;
    for (int i = 0; ifi_keys[i]; i++)
        if (stmt__v_get(o, ifi_keys[i]))
            (*count)++;
    if ((rc = stmt__v_opt_str(v, o, "mbox", "2.4.2.3", &s)) != STMT_OK)
        return rc;
    if (s && !mbox_valid(s))
        return stmt__v_fail_at(v, "mbox",
                               "xAPI Data 2.4.2.3: mbox must be a mailto: IRI "
                               "(\"mailto:email address\")");
    if ((rc = stmt__v_opt_str(v, o, "mbox_sha1sum", "2.4.2.3", &s)) != STMT_OK)
        return rc;
    if (s && !stmt__v_is_hex_str(s, 40))
        return stmt__v_fail_at(
            v, "mbox_sha1sum",
            "xAPI Data 2.4.2.3: mbox_sha1sum must be the hex SHA1 (40 hex digits)");
    if ((rc = stmt__v_opt_iri(v, o, "openid", "2.4.2.3", 0)) != STMT_OK)
        return rc;
    acc = stmt__v_get(o, "account");
    if (acc) {
        static const char *const keys[] = {"homePage", "name", NULL};
        size_t mark = stmt__v_push(v, ".account");
        if ((rc = stmt__v_expect_object(v, acc, "account", "2.4.2.4")) == STMT_OK &&
            (rc = stmt__v_check_keys(v, acc, keys, "an Account", "2.4.2.4")) == STMT_OK &&
            (rc = stmt__v_opt_iri(v, acc, "homePage", "2.4.2.4", 1)) == STMT_OK)
            rc = stmt__v_req_str(v, acc, "name", "2.4.2.4", &s);
        stmt__v_pop(v, mark);
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
int stmt__v_agent(struct stmt__vwalk *v, const cJSON *o)
{
    const char *s;
    int rc, n;

    if ((rc = stmt__v_expect_object(v, o, "an Agent", "2.4.2.1")) != STMT_OK ||
        (rc = stmt__v_check_keys(v, o, agent_keys, "an Agent", "2.4.2.1")) != STMT_OK ||
        (rc = stmt__v_opt_str(v, o, "objectType", "2.4.2.1", &s)) != STMT_OK)
        return rc;
    if (s && strcmp(s, "Agent") != 0)
        return stmt__v_fail_at(v, "objectType",
                               "xAPI Data 2.4.2.1: objectType of an Agent must be "
                               "\"Agent\" (case-sensitive)");
    if ((rc = stmt__v_opt_str(v, o, "name", "2.4.2.1", &s)) != STMT_OK ||
        (rc = ifis(v, o, &n)) != STMT_OK)
        return rc;
    if (n == 0)
        return stmt__v_fail(
            v, "xAPI Data 2.4.2.1: an Agent MUST be identified by one Inverse Functional "
               "Identifier (mbox, mbox_sha1sum, openid or account)");
    if (n > 1)
        return stmt__v_fail(v, "xAPI Data 2.4.2.1: an Agent MUST NOT include more than one Inverse "
                               "Functional Identifier");
    return STMT_OK;
}

/* Data 2.4.2.2: Group, anonymous (member required) or identified (exactly one IFI);
 * members are Agents only. *nmembers gets the member count (for authority). */
int stmt__v_group(struct stmt__vwalk *v, const cJSON *o, int *nmembers)
{
    const cJSON *m, *c;
    const char *s;
    int rc, n, i = 0;

    *nmembers = 0;
    if ((rc = stmt__v_expect_object(v, o, "a Group", "2.4.2.2")) != STMT_OK ||
        (rc = stmt__v_check_keys(v, o, group_keys, "a Group", "2.4.2.2")) != STMT_OK ||
        (rc = stmt__v_opt_str(v, o, "objectType", "2.4.2.2", &s)) != STMT_OK)
        return rc;
    if (!s || strcmp(s, "Group") != 0)
        return stmt__v_fail_at(v, "objectType",
                               "xAPI Data 2.4.2.2: a Group MUST have objectType "
                               "\"Group\"");
    if ((rc = stmt__v_opt_str(v, o, "name", "2.4.2.2", &s)) != STMT_OK ||
        (rc = ifis(v, o, &n)) != STMT_OK)
        return rc;
    if (n > 1)
        return stmt__v_fail(
            v, "xAPI Data 2.4.2.2: an Identified Group MUST include exactly one Inverse "
               "Functional Identifier");
    m = stmt__v_get(o, "member");
    if (!m) {
        if (n == 0)
            return stmt__v_fail_at(v, "member",
                                   "xAPI Data 2.4.2.2: an Anonymous Group MUST include a "
                                   "\"member\" property listing its Agents");
        return STMT_OK;
    }
    if (!cJSON_IsArray(m))
        return stmt__v_fail_at(v, "member", "xAPI Data 2.4.2.2: member must be an array of Agents");
    cJSON_ArrayForEach(c, m)
    {
        size_t mark = stmt__v_push(v, ".member[%d]", i++);
        const cJSON *ot = cJSON_IsObject(c) ? stmt__v_get(c, "objectType") : NULL;
        if (cJSON_IsString(ot) && strcmp(ot->valuestring, "Group") == 0)
            rc = stmt__v_fail_at(v, "objectType",
                                 "xAPI Data 2.4.2.2: a Group MUST NOT contain Group "
                                 "Objects in \"member\"");
        else
            rc = stmt__v_agent(v, c);
        stmt__v_pop(v, mark);
        if (rc != STMT_OK)
            return rc;
    }
    *nmembers = i;
    return STMT_OK;
}

/* Data 2.4.2: Agent (objectType optional) or Group */
int stmt__v_actor(struct stmt__vwalk *v, const cJSON *o)
{
    const cJSON *ot;
    int n;

    if (!cJSON_IsObject(o))
        return stmt__v_fail(v, "xAPI Data 2.4.2: an Actor must be an Agent or Group object");
    ot = stmt__v_get(o, "objectType");
    if (ot && cJSON_IsString(ot) && strcmp(ot->valuestring, "Group") == 0)
        return stmt__v_group(v, o, &n);
    if (ot && cJSON_IsString(ot) && strcmp(ot->valuestring, "Agent") != 0)
        return stmt__v_fail_at(v, "objectType",
                               "xAPI Data 2.4.2: objectType must be \"Agent\" or "
                               "\"Group\" (case-sensitive)");
    return stmt__v_agent(v, o);
}

/* Data 2.4.3 */
int stmt__v_verb(struct stmt__vwalk *v, const cJSON *o)
{
    static const char *const keys[] = {"id", "display", NULL};
    int rc;

    if ((rc = stmt__v_expect_object(v, o, "verb", "2.4.3")) != STMT_OK ||
        (rc = stmt__v_check_keys(v, o, keys, "a Verb", "2.4.3")) != STMT_OK ||
        (rc = stmt__v_opt_iri(v, o, "id", "2.4.3", 1)) != STMT_OK)
        return rc;
    return stmt__v_lang_map(v, o, "display", "2.4.3", 0);
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

static int components(struct stmt__vwalk *v, const cJSON *def, const char *list, const char *itype)
{
    static const char *const keys[] = {"id", "description", NULL};
    const cJSON *a = stmt__v_get(def, list), *c;
    size_t mark;
    int rc = STMT_OK, i = 0;

    if (!a)
        return STMT_OK;
    if (!component_allowed(list, itype))
        return stmt__v_fail_at(v, list,
                               "xAPI Data 2.4.4.1: interaction component list \"%s\" is not "
                               "supported for interactionType %s%s%s",
                               list, itype ? "\"" : "(absent)", itype ? itype : "",
                               itype ? "\"" : "");
    mark = stmt__v_push(v, ".%s", list);
    if (!cJSON_IsArray(a)) {
        rc = stmt__v_fail(v, "xAPI Data 2.4.4.1: \"%s\" must be an array of interaction components",
                          list);
        goto out;
    }
    cJSON_ArrayForEach(c, a)
    {
        size_t m2 = stmt__v_push(v, "[%d]", i);
        const char *id;
        const cJSON *prev;
        int j = 0;
        if ((rc = stmt__v_expect_object(v, c, "an interaction component", "2.4.4.1")) == STMT_OK &&
            (rc = stmt__v_check_keys(v, c, keys, "an interaction component", "2.4.4.1")) ==
                STMT_OK &&
            (rc = stmt__v_req_str(v, c, "id", "2.4.4.1", &id)) == STMT_OK)
            rc = stmt__v_lang_map(v, c, "description", "2.4.4.1", 0);
        if (rc == STMT_OK) {
            /* Data 2.4.4.1: "Within an array of interaction components, all id values MUST be
             * distinct." */
            cJSON_ArrayForEach(prev, a)
            {
                const cJSON *pid;
                if (j++ >= i)
                    break;
                pid = stmt__v_get(prev, "id");
                if (cJSON_IsString(pid) && strcmp(pid->valuestring, id) == 0) {
                    rc = stmt__v_fail_at(v, "id",
                                         "xAPI Data 2.4.4.1: interaction component ids within "
                                         "a list MUST be distinct (\"%s\" repeats)",
                                         id);
                    break;
                }
            }
        }
        stmt__v_pop(v, m2);
        if (rc != STMT_OK)
            goto out;
        i++;
    }
out:
    stmt__v_pop(v, mark);
    return rc;
}

/* Data 2.4.4.1 "Activity Definition" and "Interaction Activities" */
static int definition(struct stmt__vwalk *v, const cJSON *d)
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

    if ((rc = stmt__v_expect_object(v, d, "an Activity Definition", "2.4.4.1")) != STMT_OK ||
        (rc = stmt__v_check_keys(v, d, keys, "an Activity Definition", "2.4.4.1")) != STMT_OK ||
        (rc = stmt__v_lang_map(v, d, "name", "2.4.4.1", 0)) != STMT_OK ||
        (rc = stmt__v_lang_map(v, d, "description", "2.4.4.1", 0)) != STMT_OK ||
        (rc = stmt__v_opt_iri(v, d, "type", "2.4.4.1", 0)) != STMT_OK ||
        (rc = stmt__v_opt_iri(v, d, "moreInfo", "2.4.4.1", 0)) != STMT_OK ||
        (rc = stmt__v_extensions(v, d, "2.4.4.1")) != STMT_OK ||
        (rc = stmt__v_opt_str(v, d, "interactionType", "2.4.4.1", &itype)) != STMT_OK)
        return rc;
    if (itype && !stmt__v_in_list(itype, interaction_types))
        return stmt__v_fail_at(
            v, "interactionType",
            "xAPI Data 2.4.4.1: interactionType \"%s\" is not one of true-false, "
            "choice, fill-in, long-fill-in, matching, performance, sequencing, "
            "likert, numeric, other (case-sensitive)",
            itype);
    crp = stmt__v_get(d, "correctResponsesPattern");
    if (crp) {
        int i = 0;
        if (!itype)
            return stmt__v_fail_at(v, "correctResponsesPattern",
                                   "xAPI Data 2.4.4.1: correctResponsesPattern is an interaction "
                                   "property and requires a valid interactionType");
        if (!cJSON_IsArray(crp))
            return stmt__v_fail_at(v, "correctResponsesPattern",
                                   "xAPI Data 2.4.4.1: correctResponsesPattern must be an array of "
                                   "strings");
        cJSON_ArrayForEach(c, crp)
        {
            if (!cJSON_IsString(c)) {
                size_t mark = stmt__v_push(v, ".correctResponsesPattern[%d]", i);
                rc = stmt__v_fail(v,
                                  "xAPI Data 2.4.4.1: correctResponsesPattern must be an array of "
                                  "strings");
                stmt__v_pop(v, mark);
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
int stmt__v_activity(struct stmt__vwalk *v, const cJSON *o)
{
    static const char *const keys[] = {"objectType", "id", "definition", NULL};
    const char *s;
    int rc;

    if ((rc = stmt__v_expect_object(v, o, "an Activity", "2.4.4.1")) != STMT_OK ||
        (rc = stmt__v_check_keys(v, o, keys, "an Activity", "2.4.4.1")) != STMT_OK ||
        (rc = stmt__v_opt_str(v, o, "objectType", "2.4.4.1", &s)) != STMT_OK)
        return rc;
    if (s && strcmp(s, "Activity") != 0)
        return stmt__v_fail_at(v, "objectType",
                               "xAPI Data 2.4.4.1: objectType of an Activity MUST be "
                               "\"Activity\" when present");
    if ((rc = stmt__v_opt_iri(v, o, "id", "2.4.4.1", 1)) != STMT_OK)
        return rc;
    return stmt__v_member_obj(v, o, "definition", "definition", "2.4.4.1", definition);
}

/* Data 2.4.4.3 "Statement References" */
int stmt__v_statement_ref(struct stmt__vwalk *v, const cJSON *o)
{
    static const char *const keys[] = {"objectType", "id", NULL};
    const char *s;
    int rc;

    if ((rc = stmt__v_expect_object(v, o, "a Statement Reference", "2.4.4.3")) != STMT_OK ||
        (rc = stmt__v_check_keys(v, o, keys, "a Statement Reference", "2.4.4.3")) != STMT_OK ||
        (rc = stmt__v_opt_str(v, o, "objectType", "2.4.4.3", &s)) != STMT_OK)
        return rc;
    if (!s || strcmp(s, "StatementRef") != 0)
        return stmt__v_fail_at(v, "objectType",
                               "xAPI Data 2.4.4.3: a Statement Reference MUST have "
                               "objectType \"StatementRef\"");
    return stmt__v_opt_uuid(v, o, "id", "2.4.4.3", 1);
}
