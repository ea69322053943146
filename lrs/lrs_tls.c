/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTPS on both origins (--tls-cert/--tls-key, issue 18), served by the system's civetweb.
 *
 * Debian 12's civetweb 1.15 loads OpenSSL at run time under the names "libssl.so" and
 * "libcrypto.so" and asks for SSL_get_peer_certificate, which OpenSSL 3 does not export; with
 * nothing done, the first TLS connection calls a NULL pointer (lrs_tls_shim.c tells the whole
 * story). lrs_tls_open loads the two compatibility libraries built beside scolar
 * (scolar-tls-libssl.so, scolar-tls-libcrypto.so: next to the executable in the build tree,
 * PREFIX/lib/scolar once installed) before civetweb starts, so that civetweb's dlopen gets them.
 *
 * The certificate: civetweb's SSL_CTX carries none. A certificate callback
 * (SSL_CTX_set_cert_cb, run for each handshake before the certificate is chosen) hands each
 * connection the current pair, held in an SSL_CTX of our own that lrs_tls_reload replaces on
 * SIGHUP: new connections get the new files, open ones keep theirs (each SSL holds references
 * to its certificate and key). TLS 1.2 and newer only (RFC 8996 deprecates 1.0 and 1.1).
 * Handshake deadline: civetweb's, the request timeout (sslize); after it, the header and body
 * deadlines of lrs_guard.c apply as on plain HTTP (they work on the socket).
 */
#include "lrs/lrs.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef SCOLAR_LIB_DIR
#define SCOLAR_LIB_DIR "/usr/lib/scolar"
#endif

static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *pair; /* the current certificate and key (under tls_mu) */
static char cert_file[1024], key_file[1024];
static void *shim_ssl, *shim_crypto; /* never closed: civetweb holds pointers into them */

/* OpenSSL's reason for the last error, for messages ("no start line", "key values mismatch") */
static const char *ossl_reason(void)
{
    unsigned long e = ERR_peek_error(); /* the first: "no start line", not "PEM lib" */
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

/* The certificate chain and key from their files into a new SSL_CTX, or NULL with err naming
 * the file and OpenSSL's reason. */
static SSL_CTX *load_pair(char *err, size_t errlen)
{
    SSL_CTX *c;
    EVP_PKEY *pkey = NULL;
    BIO *bio;
    ERR_clear_error();
    c = SSL_CTX_new(TLS_server_method());
    if (!c) {
        snprintf(err, errlen, "TLS: cannot create an OpenSSL context: %s", ossl_reason());
        return NULL;
    }
    if (SSL_CTX_use_certificate_chain_file(c, cert_file) != 1) {
        snprintf(err, errlen, "tls-cert %s: not a PEM certificate (chain): %s", cert_file,
                 ossl_reason());
        goto fail;
    }
    bio = BIO_new_file(key_file, "r");
    pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!pkey) {
        snprintf(err, errlen, "tls-key %s: not a PEM private key (unencrypted): %s", key_file,
                 ossl_reason());
        goto fail;
    }
    ERR_clear_error();
    if (SSL_CTX_use_PrivateKey(c, pkey) != 1 || SSL_CTX_check_private_key(c) != 1) {
        /* (OpenSSL's reason is "key values mismatch", or "no certificate assigned" for a key
         * of another type: the sentence says it better) */
        snprintf(err, errlen, "tls-key %s: not the private key of the certificate in %s", key_file,
                 cert_file);
        goto fail;
    }
    ERR_clear_error();
    EVP_PKEY_free(pkey);
    return c;
fail:
    ERR_clear_error();
    EVP_PKEY_free(pkey);
    SSL_CTX_free(c);
    return NULL;
}

/* One compatibility library by file name: beside the executable (the build tree), in
 * ../lib/scolar from it (an installed tree wherever it lies), then in SCOLAR_LIB_DIR. */
static void *load_shim(const char *name, char *err, size_t errlen)
{
    char exe[PATH_MAX], path[PATH_MAX + 64];
    const char *where[] = {"", "/../lib/scolar"};
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
    void *h = NULL;
    if (slash)
        *slash = 0;
    for (size_t i = 0; slash && !h && i < sizeof where / sizeof *where; i++) {
        snprintf(path, sizeof path, "%s%s/%s", exe, where[i], name);
        if (!access(path, R_OK))
            h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    }
    if (!h) {
        snprintf(path, sizeof path, "%s/%s", SCOLAR_LIB_DIR, name);
        h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    }
    if (!h || !dlsym(h, "lrs_tls_shim_version")) {
        snprintf(err, errlen, "--tls-cert: cannot load %s (%s): civetweb needs it to use OpenSSL 3",
                 path, h ? "not scolar's compatibility library" : dlerror());
        return NULL;
    }
    return h;
}

static int cert_cb(SSL *ssl, void *arg)
{
    STACK_OF(X509) *chain = NULL;
    int ok;
    (void)arg;
    pthread_mutex_lock(&tls_mu);
    ok = pair && SSL_CTX_get0_chain_certs(pair, &chain) == 1 &&
         SSL_use_cert_and_key(ssl, SSL_CTX_get0_certificate(pair), SSL_CTX_get0_privatekey(pair),
                              chain, 1) == 1;
    pthread_mutex_unlock(&tls_mu);
    return ok ? 1 : 0; /* 0: the handshake fails */
}

int lrs_tls_open(const struct lrs_config *c, char *err, size_t errlen)
{
    SSL_CTX *p;
    snprintf(cert_file, sizeof cert_file, "%s", c->tls_cert);
    snprintf(key_file, sizeof key_file, "%s", c->tls_key[0] ? c->tls_key : c->tls_cert);
    p = load_pair(err, errlen);
    if (!p)
        return -1;
    if (!shim_ssl && !(shim_ssl = load_shim("scolar-tls-libssl.so", err, errlen)))
        goto fail;
    if (!shim_crypto && !(shim_crypto = load_shim("scolar-tls-libcrypto.so", err, errlen)))
        goto fail;
    pthread_mutex_lock(&tls_mu);
    SSL_CTX_free(pair);
    pair = p;
    pthread_mutex_unlock(&tls_mu);
    return 0;
fail:
    SSL_CTX_free(p);
    return -1;
}

int lrs_tls_setup_ctx(void *ssl_ctx)
{
    SSL_CTX *ctx = ssl_ctx;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        return -1;
    SSL_CTX_set_cert_cb(ctx, cert_cb, NULL);
    return 1; /* civetweb: the context is ready (it loads no certificate itself) */
}

int lrs_tls_reload(char *err, size_t errlen)
{
    SSL_CTX *p, *old;
    if (!cert_file[0]) {
        snprintf(err, errlen, "TLS is not configured");
        return -1;
    }
    p = load_pair(err, errlen);
    if (!p)
        return -1;
    pthread_mutex_lock(&tls_mu);
    old = pair;
    pair = p;
    pthread_mutex_unlock(&tls_mu);
    SSL_CTX_free(old);
    return 0;
}

void lrs_tls_close(void)
{
    pthread_mutex_lock(&tls_mu);
    SSL_CTX_free(pair);
    pair = NULL;
    pthread_mutex_unlock(&tls_mu);
}
