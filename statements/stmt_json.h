/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Base header of the statement data layer: error codes, the diagnostic out-parameter, and the
 * strict JSON pre-scan that runs before cJSON builds a tree.
 *
 * cJSON 1.7.15 accepts what xAPI must reject (security.md 3): duplicate keys, raw control
 * characters, invalid and overlong UTF-8, "\u0000" (silently truncating the string), leading
 * zeros, 1e400 (becomes inf), and it nests up to 1000 levels. stmt_json_scan() is a single-pass
 * RFC 8259 validator that rejects all of these with a JSON path and a reason; stmt_json_parse()
 * runs it and only then calls cJSON.
 */
#ifndef STMT_JSON_H
#define STMT_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/** Error codes of the statement data layer (stmt_db.h uses -1..-10, these -100..-199). */
enum stmt_err {
    STMT_OK = 0,
    STMT_ERR_JSON = -100,    /* not strict RFC 8259 JSON (syntax, UTF-8, duplicate key, ...) */
    STMT_ERR_LIMIT = -101,   /* JSON within the grammar but beyond a configured limit */
    STMT_ERR_INVALID = -102, /* well-formed JSON that breaks an xAPI 1.0.3 Data rule */
    STMT_ERR_NOMEM = -103,   /* allocation failed */
    STMT_ERR_ARG = -104,     /* bad argument from the caller (NULL buffer, unknown format) */
};

/** Human-readable name of a code of enum stmt_err (static string, never NULL). */
const char *stmt_strerror(int code);

/**
 * Diagnostic for the client. path is a JSON path ("$", "$.actor.mbox", "$[2].object.id");
 * msg names the rule and cites the spec ("xAPI Data 2.4.2.3: mbox must be a mailto: IRI").
 * Both are NUL-terminated and truncated to fit. Pass NULL where no diagnostic is wanted.
 */
struct stmt_diag {
    int code;
    char path[256];
    char msg[512];
};

/** Limits of the strict scan (security.md 3). Zero in a field means "use the default". */
struct stmt_json_limits {
    unsigned max_depth; /* nesting of arrays/objects; default 64 */
    size_t max_members; /* members of one object or elements of one array; default 10000 */
    size_t max_string;  /* bytes of one string (after unescaping); default 1 MiB */
    size_t max_tokens;  /* values in the whole document; default 1000000 */
};

#define STMT_JSON_MAX_DEPTH 64
#define STMT_JSON_MAX_MEMBERS 10000
#define STMT_JSON_MAX_STRING (1024 * 1024)
#define STMT_JSON_MAX_TOKENS 1000000
/* cJSON 1.7.15 copies at most 63 bytes of a number token before strtod: longer numbers are
 * refused by the scan rather than mis-parsed. */
#define STMT_JSON_MAX_NUMBER 63

#define STMT_JSON_LIMITS_DEFAULT                                                                   \
    {                                                                                              \
        STMT_JSON_MAX_DEPTH, STMT_JSON_MAX_MEMBERS, STMT_JSON_MAX_STRING, STMT_JSON_MAX_TOKENS     \
    }

/**
 * Strictly validate len bytes of buf (need not be NUL-terminated) as one RFC 8259 JSON text:
 * valid UTF-8 (no overlong forms, no encoded surrogates), well-paired \u surrogate escapes, no
 * "\u0000", no raw control characters in strings, no duplicate keys in an object (compared
 * byte-wise after unescaping), numbers in the JSON grammar and finite as doubles, no trailing
 * bytes, not empty, and within lim (NULL: defaults).
 * @return STMT_OK, STMT_ERR_JSON, STMT_ERR_LIMIT, STMT_ERR_NOMEM or STMT_ERR_ARG; diag is set on
 *         failure (path of the offending value, message with the byte offset).
 */
int stmt_json_scan(const char *buf, size_t len, const struct stmt_json_limits *lim,
                   struct stmt_diag *diag);

/**
 * stmt_json_scan() then cJSON_ParseWithLengthOpts(). Returns an owned tree (free with
 * cJSON_Delete) or NULL with diag set (code STMT_ERR_JSON, STMT_ERR_LIMIT or STMT_ERR_NOMEM).
 */
cJSON *stmt_json_parse(const char *buf, size_t len, const struct stmt_json_limits *lim,
                       struct stmt_diag *diag);

/**
 * A JSON record this program stored (run-time data, learned definitions): the tree of
 * cJSON_ParseWithLength(buf, len), built by sc_json_parse_valid when the text passes the strict
 * scan (about four times fewer instructions on long strings), else by cJSON as before (a record
 * written before the scan covered its path, or damaged bytes). NULL as cJSON gives it.
 */
cJSON *stmt_json_parse_stored(const char *buf, size_t len);

/**
 * Module-private (double underscore): fill diag (if non-NULL) with code, path and a printf
 * message. Returns code, so callers can `return stmt__diag_set(...)`.
 */
int stmt__diag_set(struct stmt_diag *diag, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
