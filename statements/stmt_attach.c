/* SPDX-License-Identifier: Apache-2.0 */
/* Attachment blobs and JWS verification; see stmt_attach.h. */
#include "statements/stmt_attach.h"
#include "statements/stmt_validate.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <string.h>

#define ATTACH_TABLE "attachments"

int stmt_attach_sha2(const void *data, size_t n, size_t declared_len, char out[STMT_SHA2_HEX_MAX])
{
    unsigned char md[64];
    size_t mdlen;
    switch (declared_len) {
    case 64:
        SHA256(data, n, md);
        mdlen = 32;
        break;
    case 96:
        SHA384(data, n, md);
        mdlen = 48;
        break;
    case 128:
        SHA512(data, n, md);
        mdlen = 64;
        break;
    default:
        return -1;
    }
    sc_hex(md, mdlen, out);
    return 0;
}

int stmt_attach_put(struct stmt_db *db, const char *sha2, const void *data, size_t n, int *created)
{
    int rc = stmt_db_put1(db, ATTACH_TABLE, sha2, strlen(sha2), data, n, STMT_DB_NOOVERWRITE);
    if (rc == STMT_DB_ERR_EXISTS) {
        *created = 0;
        return STMT_DB_OK;
    }
    *created = rc == STMT_DB_OK;
    return rc;
}

int stmt_attach_get(struct stmt_db *db, const char *sha2, char **data, size_t *n)
{
    return stmt_db_get1(db, ATTACH_TABLE, sha2, strlen(sha2), data, n);
}

int stmt_attach_del(struct stmt_db *db, const char *sha2)
{
    return stmt_db_del1(db, ATTACH_TABLE, sha2, strlen(sha2));
}

/* RFC 7515 2: base64url without padding. Returns an owned buffer or NULL. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *outlen)
{
    unsigned char *out = sc_malloc(n * 3 / 4 + 3);
    unsigned acc = 0;
    int bits = 0;
    size_t k = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int v;
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '-')
            v = 62;
        else if (c == '_')
            v = 63;
        else {
            sc_free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    *outlen = k;
    return out;
}

static int fail(struct stmt_diag *diag, const char *msg)
{
    return stmt__diag_set(diag, STMT_ERR_INVALID, "$.attachments", "xAPI Data 2.6: %s", msg);
}

static int verify_x5c(const cJSON *hdr, const EVP_MD *md, const char *signing_input, size_t silen,
                      const unsigned char *sig, size_t siglen, struct stmt_diag *diag)
{
    const cJSON *x5c = cJSON_GetObjectItemCaseSensitive(hdr, "x5c");
    const cJSON *first;
    unsigned char *der = NULL;
    size_t derlen = 0;
    X509 *cert = NULL;
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *ctx = NULL;
    int rc = STMT_ERR_INVALID, ok = 0;

    if (!x5c)
        return STMT_OK; /* no certificate: nothing to check the signature against */
    first = cJSON_IsArray(x5c) ? cJSON_GetArrayItem(x5c, 0) : NULL;
    if (!cJSON_IsString(first))
        return fail(diag, "JWS header x5c must be an array of base64 certificates");
    {
        /* x5c is standard base64 (RFC 7515 4.1.6), not base64url */
        size_t n = strlen(first->valuestring);
        der = sc_malloc(n);
        if (!der)
            return STMT_ERR_NOMEM;
        int len = EVP_DecodeBlock(der, (const unsigned char *)first->valuestring, (int)n);
        if (len < 0) {
            sc_free(der);
            return fail(diag, "JWS header x5c certificate is not base64");
        }
        while (n && first->valuestring[n - 1] == '=') {
            len--;
            n--;
        }
        derlen = (size_t)len;
    }
    const unsigned char *p = der;
    cert = d2i_X509(NULL, &p, (long)derlen);
    if (!cert) {
        rc = fail(diag, "JWS header x5c certificate cannot be parsed");
        goto out;
    }
    pk = X509_get_pubkey(cert);
    if (!pk || EVP_PKEY_base_id(pk) != EVP_PKEY_RSA) {
        rc = fail(diag, "JWS x5c certificate does not hold an RSA key");
        goto out;
    }
    ctx = EVP_MD_CTX_new();
    ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) == 1 &&
         EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)signing_input, silen) == 1;
    rc = ok ? STMT_OK : fail(diag, "JWS signature does not verify against the x5c certificate");
out:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    X509_free(cert);
    sc_free(der);
    return rc;
}

int stmt_jws_verify(const char *jws, size_t n, const cJSON *stmt, struct stmt_diag *diag)
{
    const char *dot1 = memchr(jws, '.', n), *dot2;
    unsigned char *hdr_raw = NULL, *payload_raw = NULL, *sig = NULL;
    size_t hlen, plen, slen;
    cJSON *hdr = NULL, *payload = NULL;
    struct stmt_json_limits lim = STMT_JSON_LIMITS_DEFAULT;
    struct stmt_diag inner;
    const EVP_MD *md = NULL;
    int rc;

    dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(jws + n - dot1 - 1)) : NULL;
    if (!dot1 || !dot2 || memchr(dot2 + 1, '.', (size_t)(jws + n - dot2 - 1)))
        return fail(diag, "signature is not a JWS in compact serialization (three base64url "
                          "parts)");
    hdr_raw = b64url_decode(jws, (size_t)(dot1 - jws), &hlen);
    payload_raw = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
    sig = b64url_decode(dot2 + 1, (size_t)(jws + n - dot2 - 1), &slen);
    if (!hdr_raw || !payload_raw || !sig) {
        rc = fail(diag, "JWS parts are not base64url");
        goto out;
    }
    hdr = stmt_json_parse((const char *)hdr_raw, hlen, &lim, &inner);
    if (!cJSON_IsObject(hdr)) {
        rc = fail(diag, "JWS header is not a JSON object");
        goto out;
    }
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
    if (!cJSON_IsString(alg)) {
        rc = fail(diag, "JWS header has no alg");
        goto out;
    }
    /* Data 2.6: "MUST use an algorithm of RS256, RS384, or RS512" */
    if (!strcmp(alg->valuestring, "RS256"))
        md = EVP_sha256();
    else if (!strcmp(alg->valuestring, "RS384"))
        md = EVP_sha384();
    else if (!strcmp(alg->valuestring, "RS512"))
        md = EVP_sha512();
    else {
        rc = fail(diag, "JWS alg must be RS256, RS384 or RS512");
        goto out;
    }
    payload = stmt_json_parse((const char *)payload_raw, plen, &lim, &inner);
    if (!cJSON_IsObject(payload)) {
        rc = fail(diag, "JWS payload is not a JSON statement");
        goto out;
    }
    if (stmt_equal(payload, stmt) != 1) {
        rc = fail(diag, "JWS payload is not logically equivalent to the statement");
        goto out;
    }
    rc = verify_x5c(hdr, md, jws, (size_t)(dot2 - jws), sig, slen, diag);
out:
    cJSON_Delete(hdr);
    cJSON_Delete(payload);
    sc_free(hdr_raw);
    sc_free(payload_raw);
    sc_free(sig);
    return rc;
}
