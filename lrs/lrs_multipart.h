/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded multipart parser (RFC 2046 5.1) for multipart/form-data uploads and xAPI
 * multipart/mixed statement requests. civetweb's form API is never used (security.md §2, T3).
 * Parts point into the caller's body (borrowed): the body must outlive them.
 */
#ifndef LRS_MULTIPART_H
#define LRS_MULTIPART_H

#include <stddef.h>

struct lrs_part {
    const char *headers; /* raw header block of the part (not NUL-terminated) */
    size_t headers_len;
    const char *data; /* the part's bytes (not NUL-terminated) */
    size_t len;
};

/**
 * Extract the boundary parameter of a multipart Content-Type into out (NUL-terminated).
 * Returns 0, or -1 when absent, empty, longer than 70 characters (RFC 2046) or malformed.
 */
int lrs_multipart_boundary(const char *content_type, char *out, size_t outlen);

/**
 * Split body into at most max_parts parts. *parts is owned (free with sc_free).
 * Returns 0, or -1 with a reason in err: no opening delimiter, missing closing delimiter,
 * too many parts, header block without its blank line or over 8 KiB.
 */
int lrs_multipart_parse(const char *body, size_t len, const char *boundary, size_t max_parts,
                        struct lrs_part **parts, size_t *nparts, char *err, size_t errlen);

/** Copy the value of header `name` (case-insensitive) of a part into out; 0 or -1. */
int lrs_part_header(const struct lrs_part *p, const char *name, char *out, size_t outlen);

#endif
