/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xAPI 1.0.3 statement validation (every rule of the Data part, xapi-lrs.md 1.2 V1-V11),
 * statement comparison for the immutability check (Data 2.3.1, xapi-lrs.md S3) and the
 * GET formats exact / ids / canonical (Communication 2.1.3).
 *
 * All functions are pure: they read cJSON trees, never modify their inputs, never log.
 */
#ifndef STMT_VALIDATE_H
#define STMT_VALIDATE_H

#include <stddef.h>

#include "statements/stmt_json.h"

/** The reserved voiding verb (Data 2.3.2). */
#define STMT_VERB_VOIDED "http://adlnet.gov/expapi/verbs/voided"

/* Flags of stmt_validate() */
#define STMT_VALIDATE_DEFAULT 0u
/** The statement must carry an "id" (e.g. a statement read back from the store). */
#define STMT_VALIDATE_REQUIRE_ID 0x1u
/** The statement is as stored by the LRS: id, stored, timestamp, authority and version are
 *  required (Data 2.4.8, 2.4.9, 2.4.10). Implies STMT_VALIDATE_REQUIRE_ID. */
#define STMT_VALIDATE_STORED 0x2u
/** The rules of xAPI 2.0 (IEEE 9274.1.1) instead of 1.0.3: contextAgents and contextGroups
 *  (Data 2.4.6), version "2.0.x" (Data 2.4.10), timestamps (Data 4.5). */
#define STMT_VALIDATE_V2 0x4u

/**
 * Validate one statement (a JSON object as POSTed or PUT) against xAPI 1.0.3 Data 2.2-4.6.
 * Unknown properties are rejected everywhere (V5), nulls outside extensions (V1).
 * @return STMT_OK or STMT_ERR_INVALID with diag->path (e.g. "$.actor.mbox") and diag->msg
 *         citing the rule; STMT_ERR_ARG when stmt is NULL.
 */
int stmt_validate(const cJSON *stmt, unsigned flags, struct stmt_diag *diag);

/**
 * Validate a POST body: one statement object or an array of them (Comm 2.1.2). Paths of
 * array elements are "$[i]...". Two statements with the same "id" in one batch are rejected
 * (Comm 2.1.2, xapi-lrs.md S4) with the path of the second id.
 */
int stmt_validate_batch(const cJSON *body, unsigned flags, struct stmt_diag *diag);

/**
 * Validate an Agent or Group object such as the "agent" query parameter (Data 2.2 "The LRS
 * MUST validate parameter values to the same standards", 2.4.2). Paths are rooted at "$".
 */
int stmt_validate_agent(const cJSON *agent, struct stmt_diag *diag);

/** 1 when s is an absolute IRI (scheme ":" non-empty rest, no spaces/controls, valid
 *  percent-escapes; best effort as Data 2.2 allows), else 0. NULL gives 0. */
int stmt_validate_iri(const char *s);
/** 1 when s has the RFC 5646 tag shape (Data 2.2 "sequence of token lengths"), else 0. */
int stmt_validate_lang_tag(const char *s);
/** 1 when s is an ISO 8601:2004 4.4.3.2 duration (Data 4.6), e.g. "PT1H30M", "P4W". */
int stmt_validate_duration(const char *s);
/** 1 when s is a UUID in standard string form (Data 4.4), else 0. */
int stmt_validate_uuid(const char *s);
/** 1 when s is an RFC 3339 / ISO 8601 timestamp with zone, not "-00:00" (Data 4.5). */
int stmt_validate_timestamp(const char *s);

/**
 * Statement comparison (Data 2.3.1 "Statement Comparision Requirements"): 1 when a and b
 * differ only in ways the immutability exceptions allow (id, authority, stored, version,
 * timestamp zone or absence, Activity definitions, Verb display, Group member order,
 * attachments, contextActivities single object vs array, case of mbox domain / UUIDs /
 * language tags, duration precision beyond 0.01 s), 0 when they differ, STMT_ERR_NOMEM.
 * Both inputs should be valid statements.
 */
int stmt_equal(const cJSON *a, const cJSON *b);

/**
 * Normalise a validated statement in place before it is stored (stmt_normalize.c): single
 * context activities become one-element arrays (Data 2.4.6.2), also in a SubStatement.
 * @return STMT_OK or STMT_ERR_NOMEM (the statement may then be partly normalised).
 */
int stmt_normalize(cJSON *stmt);

enum stmt_format {
    STMT_FORMAT_EXACT = 0,
    STMT_FORMAT_IDS = 1,
    STMT_FORMAT_CANONICAL = 2,
};

/** Parse "exact" / "ids" / "canonical" (Comm 2.1.3 "format"); -1 when unknown. */
int stmt_format_from_string(const char *s);

/**
 * Format a stored statement for GET (Comm 2.1.3 "format"). Returns an owned new tree (free
 * with cJSON_Delete) or NULL when out of memory or stored_stmt is not an object.
 * In every format contextActivities values are returned as arrays (Data 2.4.6.2).
 *  - exact: as stored.
 *  - ids: Agents/identified Groups reduced to objectType + IFI, anonymous Groups to
 *    objectType + members so reduced, Activities to objectType + id, Verbs to id; also
 *    inside SubStatements, context and authority.
 *  - canonical: Activity definition language maps (name, description, component
 *    descriptions) and Verb display keep one language, chosen per map with accept_language
 *    (an HTTP Accept-Language value, may be NULL) as in Comm 2.1.3 "Language Filtering".
 */
cJSON *stmt_format(const cJSON *stored_stmt, enum stmt_format fmt, const char *accept_language);

/**
 * Pick the key of language map `map` that best matches accept_language (RFC 7231 5.3.5,
 * q-values, prefix match, "*"); when nothing matches or accept_language is NULL, the first
 * key. Returns a borrowed pointer to the chosen member of map, NULL for an empty map.
 */
const cJSON *stmt_lang_pick(const cJSON *map, const char *accept_language);

/** Module-private (stmt_format.c, used by stmt_compare.c): turn the object x in place into an
 *  array holding that object, keeping x's key and position in its parent. 0 or -1 (NOMEM). */
int stmt__wrap_in_array(cJSON *x);

#endif
