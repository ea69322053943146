/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attachments (xAPI Comm 1.5.2, Data 2.4.11) and signed statements (Data 2.6).
 *
 * Attachment blobs are content-addressed in the "attachments" table under the SHA-2 that WE
 * compute over the received bytes (security.md §9, T14): a part is accepted only when our
 * hash equals both its X-Experience-API-Hash header and the statement's sha2, so one client
 * cannot poison another's attachment by declaring a hash it did not send.
 */
#ifndef STMT_ATTACH_H
#define STMT_ATTACH_H

#include <stddef.h>

#include "statements/stmt_db.h"
#include "statements/stmt_json.h"

#define STMT_SHA2_HEX_MAX 129 /* SHA-512 in hex and the NUL */

/**
 * SHA-2 of data, in lower-case hex, with the variant chosen by the length of the declared
 * hash (64 hex = SHA-256, 96 = SHA-384, 128 = SHA-512; Comm 1.5.2 recommends these).
 * Returns 0, or -1 when declared_len is not one of those.
 */
int stmt_attach_sha2(const void *data, size_t n, size_t declared_len, char out[STMT_SHA2_HEX_MAX]);

/** Store a blob under sha2 (lower-case hex). *created = 1 when it was not there before. */
int stmt_attach_put(struct stmt_db *db, const char *sha2, const void *data, size_t n, int *created);
/** Owned copy of a blob (free with sc_free). STMT_DB_NOTFOUND when absent. */
int stmt_attach_get(struct stmt_db *db, const char *sha2, char **data, size_t *n);
int stmt_attach_del(struct stmt_db *db, const char *sha2);

/**
 * Verify a JWS signature attachment (Data 2.6 "LRS Requirements") for statement `stmt`:
 * compact serialization, header JSON (strict), alg RS256/RS384/RS512 only, payload a JSON
 * statement logically equal to `stmt` (Data 2.3.1 comparison, stmt_equal), and, when the
 * header has "x5c", the RSA signature checked against the first certificate.
 * @return STMT_OK, or STMT_ERR_INVALID with diag naming what is wrong (→ 400).
 */
int stmt_jws_verify(const char *jws, size_t n, const cJSON *stmt, struct stmt_diag *diag);

#endif
