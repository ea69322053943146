/* SPDX-License-Identifier: Apache-2.0 */
/* See sc_rand.h. */
#include "common/sc_rand.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/random.h>

int sc_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

void sc_hex(const void *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    const unsigned char *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int sc_uuid_v4(char out[SC_UUID_LEN])
{
    unsigned char b[16];
    char h[33];
    if (sc_random_bytes(b, sizeof b))
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    sc_hex(b, 16, h);
    snprintf(out, SC_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
    return 0;
}

int sc_uuid_valid(const char *s, size_t n)
{
    if (n != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

void sc_sha1(const void *data, size_t n, unsigned char out[20])
{
    SHA1(data, n, out);
}

/* SHA256() fetches the algorithm from the provider and builds a context on every call, which
 * costs more than hashing a short key (the statement store hashes ids and IFIs per statement):
 * the algorithm is fetched once and each thread keeps one context (freed when it ends). */
static EVP_MD *sha256_md;
static pthread_key_t sha256_key;
static int sha256_ready;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_ctx_free(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void sha256_init(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    sha256_ready = sha256_md && !pthread_key_create(&sha256_key, sha256_ctx_free);
}

void sc_sha256(const void *data, size_t n, unsigned char out[32])
{
    EVP_MD_CTX *ctx = NULL;
    pthread_once(&sha256_once, sha256_init);
    if (sha256_ready) {
        ctx = pthread_getspecific(sha256_key);
        if (!ctx && (ctx = EVP_MD_CTX_new()) && pthread_setspecific(sha256_key, ctx)) {
            EVP_MD_CTX_free(ctx);
            ctx = NULL;
        }
    }
    if (ctx && EVP_DigestInit_ex2(ctx, sha256_md, NULL) && EVP_DigestUpdate(ctx, data, n) &&
        EVP_DigestFinal_ex(ctx, out, NULL))
        return;
    SHA256(data, n, out); /* out of memory for the context: the slow path */
}

void sc_hmac_sha256(const void *key, size_t klen, const void *data, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, data, n, out, &len);
}

int sc_pbkdf2(const char *secret, const unsigned char *salt, size_t saltlen, unsigned iterations,
              unsigned char out[32])
{
    return PKCS5_PBKDF2_HMAC(secret, -1, salt, (int)saltlen, (int)iterations, EVP_sha256(), 32,
                             out) == 1
               ? 0
               : -1;
}

int sc_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

uint64_t sc_hash64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}
