/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Document store of the xAPI Document Resources (xAPI 1.0.3 Communication 2.2, 2.3, 2.6, 2.7)
 * and the Activity / Agent knowledge behind the Activities and Agents Resources (Comm 2.4, 2.5).
 *
 * A document is keyed by (kind, Activity id, Agent IFI, registration, document id) and holds
 * its bytes as received, their content type, an ETag (the quoted lowercase hex SHA-1 of the
 * stored bytes, Comm 3.1) and the time it was last updated (Comm 2.2 "Last Modified").
 * Every change is one LMDB write transaction that reads the current document, checks the
 * preconditions (If-Match / If-None-Match, Comm 3.1) and writes: two writers can never both
 * succeed from the same ETag, which is what prevents lost updates.
 *
 * Tables (registered by stmt_db_open): "docs", "activities", "agents". Keys are SHA-256 hashes of
 * the identifiers; the full identifiers are kept in each record and compared on every read.
 */
#ifndef STMT_DOC_H
#define STMT_DOC_H

#include "statements/stmt_db.h"
#include "statements/stmt_json.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/** Error codes of the document store (-300..-399). */
enum stmt_doc_err {
    STMT_DOC_OK = 0,
    STMT_DOC_ERR_NOTFOUND = -300,     /* no such document (GET) */
    STMT_DOC_ERR_PRECONDITION = -301, /* If-Match / If-None-Match failed (Comm 3.1: 412) */
    STMT_DOC_ERR_CONFLICT = -302,     /* PUT on an existing document without either header
                                         where one is required (Comm 3.1: 409) */
    STMT_DOC_ERR_MERGE = -303,        /* POST merge where a side is not a JSON object (2.2: 400) */
    STMT_DOC_ERR_TOO_LARGE = -304,    /* the (merged) document exceeds the size cap (413) */
    STMT_DOC_ERR_ARG = -305,          /* missing or malformed identifier from the caller */
    STMT_DOC_ERR_NOMEM = -306,
    STMT_DOC_ERR_FULL = -307,      /* storage full */
    STMT_DOC_ERR_IO = -308,        /* LMDB failure */
    STMT_DOC_ERR_CORRUPT = -309,   /* a stored record cannot be decoded */
    STMT_DOC_ERR_NO_HEADER = -310, /* a write to an absent document where a header is required
                                      has neither If-Match nor If-None-Match (400) */
};

/** Static name of a stmt_doc_err code (never NULL). */
const char *stmt_doc_strerror(int code);

enum stmt_doc_kind {
    STMT_DOC_STATE = 1,            /* Comm 2.3: activityId + agent [+ registration] + stateId */
    STMT_DOC_ACTIVITY_PROFILE = 2, /* Comm 2.7: activityId + profileId */
    STMT_DOC_AGENT_PROFILE = 3,    /* Comm 2.6: agent + profileId */
};

/** The set a document belongs to. Strings are borrowed for the duration of the call.
 *  State needs activity_id and agent_ifi (registration optional, compared as given, so pass it
 *  lowercased); Activity Profile needs activity_id only; Agent Profile agent_ifi only. Fields
 *  the kind does not use must be NULL. */
struct stmt_doc_ctx {
    enum stmt_doc_kind kind;
    const char *activity_id;
    const char *agent_ifi; /* canonical IFI string from stmt_store_agent_ifi */
    const char *registration;
};

/** Preconditions of a write (Comm 3.1), header values as received (NULL when absent). */
struct stmt_doc_cond {
    const char *if_match;      /* "*" or a list of entity tags */
    const char *if_none_match; /* "*" or a list of entity tags */
    int require_header;        /* 1 (profile PUT, Comm 3.1 "MUST include"): with neither
                                  header, STMT_DOC_ERR_CONFLICT when the document exists
                                  (409), STMT_DOC_ERR_NO_HEADER when it does not (400);
                                  2 (State PUT under xAPI 2.0): 409 when it exists, allowed
                                  when it does not */
};

#define STMT_DOC_ETAG_LEN 43 /* '"' + 40 hex + '"' + NUL */

/** One document as read. Every pointer is owned; release with stmt_doc_free. */
struct stmt_doc {
    char *content; /* len bytes, NUL-terminated for convenience */
    size_t len;
    char *content_type;
    char etag[STMT_DOC_ETAG_LEN];
    int64_t updated_us;
};

/** NULL-tolerant; leaves *d zeroed. */
void stmt_doc_free(struct stmt_doc *d);

/** Write limits; zero fields mean the defaults. */
struct stmt_doc_limits {
    size_t max_doc; /* bytes of one stored document, merged result included; default 1 MiB */
};
#define STMT_DOC_MAX_DEFAULT (1024 * 1024)

/**
 * PUT (Comm 2.2-2.7): store content (len bytes, copied) with content_type (NULL: stored as
 * "application/octet-stream") as document id of ctx, replacing any current one, once cond holds.
 * @return STMT_DOC_OK; STMT_DOC_ERR_PRECONDITION, STMT_DOC_ERR_CONFLICT, STMT_DOC_ERR_NO_HEADER,
 *         STMT_DOC_ERR_TOO_LARGE,
 *         STMT_DOC_ERR_ARG (nothing changed); STMT_DOC_ERR_FULL / _IO / _NOMEM. diag may be NULL.
 */
int stmt_doc_put(struct stmt_db *db, const struct stmt_doc_ctx *ctx, const char *id,
                 const void *content, size_t len, const char *content_type,
                 const struct stmt_doc_cond *cond, const struct stmt_doc_limits *lim,
                 int64_t now_us, struct stmt_diag *diag);
/** The same PUT inside the caller's write transaction t (e.g. the writer's transaction of
 *  stmt_store_insert_fn), so that a document and the records it goes with are one write; the
 *  caller commits or aborts t. Same codes; nothing is retried. */
int stmt_doc_put_txn(struct stmt_db_txn *t, const struct stmt_doc_ctx *ctx, const char *id,
                     const void *content, size_t len, const char *content_type,
                     const struct stmt_doc_cond *cond, const struct stmt_doc_limits *lim,
                     int64_t now_us, struct stmt_diag *diag);

/**
 * POST (Comm 2.2 "JSON Procedure"): a posted application/json document must be a JSON object
 * (else STMT_DOC_ERR_MERGE, ADL suite XAPI-00314). With no current document, as PUT. Otherwise
 * both the current
 * and the posted document must be application/json and parse (strictly) as JSON objects; the
 * posted top-level properties replace the current ones and the result is stored. Else
 * STMT_DOC_ERR_MERGE and nothing changes. Other codes as stmt_doc_put.
 */
int stmt_doc_post(struct stmt_db *db, const struct stmt_doc_ctx *ctx, const char *id,
                  const void *content, size_t len, const char *content_type,
                  const struct stmt_doc_cond *cond, const struct stmt_doc_limits *lim,
                  int64_t now_us, struct stmt_diag *diag);

/** GET one document: fills *out (owned; stmt_doc_free) or returns STMT_DOC_ERR_NOTFOUND. */
int stmt_doc_get(struct stmt_db *db, const struct stmt_doc_ctx *ctx, const char *id,
                 struct stmt_doc *out);

/**
 * GET ids (Comm 2.3 "Multiple Document GET"): *out gets an owned cJSON array of the ids of the
 * documents of ctx updated after since_us (exclusive; 0 = all), in key order, and *newest_us
 * (may be NULL) the latest update time among them (0 when empty).
 */
int stmt_doc_list(struct stmt_db *db, const struct stmt_doc_ctx *ctx, int64_t since_us, cJSON **out,
                  int64_t *newest_us);

/** DELETE one document once cond holds. Deleting an absent document succeeds unless cond has
 *  an If-Match (then STMT_DOC_ERR_PRECONDITION, RFC 2616 14.24). */
int stmt_doc_delete(struct stmt_db *db, const struct stmt_doc_ctx *ctx, const char *id,
                    const struct stmt_doc_cond *cond);

/** DELETE every document of ctx (Comm 2.3 "Multiple Document DELETE"), in one transaction.
 *  *ndeleted (may be NULL) gets the count. */
int stmt_doc_delete_all(struct stmt_db *db, const struct stmt_doc_ctx *ctx, size_t *ndeleted);

/**
 * 1 when an If-Match / If-None-Match header value `hdr` lists entity tag `etag` (quoted) or is
 * "*"; weak tags ("W/...") never match; a bare unquoted tag is compared as if quoted.
 */
int stmt_doc_etag_listed(const char *hdr, const char *etag);

/* ---- Activities and Agents learned from statements (stmt_activity.c) ------------------- */

/**
 * Learn from stored statements (`stmts`: one validated statement object or an array of them,
 * borrowed): merge the definition of every Activity
 * it names (object, context activities, and those of a SubStatement) into the canonical one
 * (language maps and extensions merged key by key, other properties replaced by the newer), and
 * record the name seen with each Agent identifier (actor, Agent object, instructor, team
 * members). One write transaction for the whole batch. Callers pass only statements from
 * trusted credentials. Returns STMT_DOC_OK, STMT_DOC_ERR_ARG, _NOMEM, _FULL, _IO, _CORRUPT.
 */
int stmt_activity_learn(struct stmt_db *db, const cJSON *stmts);

/** GET /activities (Comm 2.5): *out gets an owned Activity object: objectType, id, and the
 *  merged definition when one is known (just objectType and id otherwise). */
int stmt_activity_get(struct stmt_db *db, const char *activity_id, cJSON **out);

/**
 * GET /agents (Comm 2.4): *out gets an owned Person object for `agent` (a validated Agent,
 * borrowed): objectType "Person", its identifier as a one-element array, and "name" with every
 * name recorded for that identifier plus the one in `agent` (omitted when there are none).
 */
int stmt_agent_person(struct stmt_db *db, const cJSON *agent, cJSON **out);

#endif
