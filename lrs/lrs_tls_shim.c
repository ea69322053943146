/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two small libraries that let Debian 12's civetweb 1.15 use OpenSSL 3 (lrs_tls.c).
 *
 * That civetweb is built for OpenSSL's 1.1 API and loads OpenSSL at run time: dlopen of
 * "libssl.so" and "libcrypto.so", then dlsym of each function it calls. OpenSSL 3 no longer
 * exports SSL_get_peer_certificate (now a macro for SSL_get1_peer_certificate), so the load
 * of libssl fails; and because civetweb 1.15 counts the crypto library's users before it loads
 * libssl and does not undo the count on that failure, its second initialisation (mg_start's)
 * reports success with that pointer NULL: every TLS connection then calls address 0 in
 * ssl_get_client_cert_info (seen with gdb: ssl_sw[23] "SSL_get_peer_certificate" = 0x0).
 *
 * Each library is built twice from this file: DT_SONAME "libssl.so" (-DLRS_TLS_SHIM_SSL, with
 * libssl.so.3 as its dependency and the missing function) and "libcrypto.so" (libcrypto.so.3).
 * lrs_tls.c loads both by path before civetweb starts; glibc's dlopen matches a name without
 * a slash against the DT_SONAME of the objects already loaded, so civetweb's dlopen returns
 * these, and its dlsym finds every other function in their dependencies (libssl.so.3,
 * libcrypto.so.3). Nothing else in the process asks for those names (libcurl and scolar link
 * libssl.so.3 and libcrypto.so.3). No libssl-dev needed at run time.
 */
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#ifdef LRS_TLS_SHIM_SSL
#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *s);

/* OpenSSL 1.1's SSL_get_peer_certificate returned a reference the caller frees (civetweb
 * calls X509_free on it): the same contract as OpenSSL 3's SSL_get1_peer_certificate. */
X509 *SSL_get_peer_certificate(const SSL *s)
{
    return SSL_get1_peer_certificate(s);
}
#endif

/* lrs_tls.c checks this after loading, so that a wrong file is refused by name; it also keeps
 * the crypto library's dependency on libcrypto.so.3 when linked --as-needed. */
unsigned long lrs_tls_shim_version(void);
unsigned long lrs_tls_shim_version(void)
{
    return OpenSSL_version_num();
}
