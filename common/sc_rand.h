/* SPDX-License-Identifier: Apache-2.0 */
/* Randomness, UUIDs, hashes and hex: thin wrappers over getrandom(2) and libcrypto. */
#ifndef SC_RAND_H
#define SC_RAND_H

#include <stddef.h>
#include <stdint.h>

#define SC_UUID_LEN 37 /* 36 characters and the NUL */

/** Fill buf with n bytes from the kernel CSPRNG. Returns 0 or -1. */
int sc_random_bytes(void *buf, size_t n);
/** A random (version 4) UUID in lower-case canonical form. Returns 0 or -1. */
int sc_uuid_v4(char out[SC_UUID_LEN]);
/**
 * 1 when s (n bytes) is a UUID in the canonical 8-4-4-4-12 hex form (either case), else 0.
 * xAPI Data 2.4.1 / 4.3: "UUIDs in standard string form" (RFC 4122).
 */
int sc_uuid_valid(const char *s, size_t n);
/** Lower-case hex of n bytes into out (2n+1 bytes). */
void sc_hex(const void *in, size_t n, char *out);

/** SHA-1 / SHA-256 of data; out gets 20 / 32 bytes. */
void sc_sha1(const void *data, size_t n, unsigned char out[20]);
void sc_sha256(const void *data, size_t n, unsigned char out[32]);
/** HMAC-SHA-256(key, data) into out (32 bytes). */
void sc_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
                    unsigned char out[32]);
/** PBKDF2-HMAC-SHA-256 (slow, salted) for stored secrets. Returns 0 or -1. */
int sc_pbkdf2(const char *secret, const unsigned char *salt, size_t saltlen, unsigned iterations,
              unsigned char out[32]);
/** Constant-time comparison; 1 when equal. */
int sc_ct_equal(const void *a, const void *b, size_t n);
/** 64-bit FNV-1a, for index term hashes where collisions are confirmed against the record. */
uint64_t sc_hash64(const void *data, size_t n);

#endif
