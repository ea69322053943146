/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 encoding (RFC 4648): the standard alphabet with padding, or the URL-safe alphabet
 * without padding (section 5) for tokens in URLs and cookies. */
#ifndef SC_BASE64_H
#define SC_BASE64_H

#include <stddef.h>

/** The length of the encoding of n bytes, without the terminating NUL. */
size_t sc_base64_len(size_t n, int url);
/** Encode n bytes of in into out, which holds sc_base64_len(n, url) + 1 bytes; NUL-terminated.
 *  url: the URL-safe alphabet ("-_") and no '=' padding. */
void sc_base64_encode(const void *in, size_t n, char *out, int url);

#endif
