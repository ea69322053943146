/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration: defaults, then SCOLAR_* environment variables, then command-line flags
 * (applied by main.c), in that order of weight. docs/configuration.md lists every knob. */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void lrs_config_defaults(struct lrs_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "./scolar-data");
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->content_listen, sizeof c->content_listen, "127.0.0.1:8081");
    c->max_body = 16u << 20;
    c->max_upload = 512u << 20;
    c->max_doc = 1u << 20;
    /* per origin; see start_ctx in lrs_http.c: a connection holds a worker while it is open,
     * so the pool is what a crowd of slow or idle clients must exhaust (issue 15) */
    c->threads = 512;
    c->max_conn_per_addr = 256;
    c->request_timeout_ms = 10000;
    c->body_grace_ms = 20000;
    c->log_level = LRS_LOG_INFO;
    snprintf(c->cors_origins, sizeof c->cors_origins, "*");
}

static void env_str(const char *name, char *dst, size_t n)
{
    const char *v = getenv(name);
    if (v && *v)
        snprintf(dst, n, "%s", v);
}

static void env_size(const char *name, size_t *dst)
{
    const char *v = getenv(name);
    if (v && *v) {
        char *end;
        unsigned long long x = strtoull(v, &end, 10);
        if (!*end && x > 0)
            *dst = (size_t)x;
    }
}

void lrs_config_from_env(struct lrs_config *c)
{
    env_str("SCOLAR_DATA", c->data_dir, sizeof c->data_dir);
    env_str("SCOLAR_STORE", c->store, sizeof c->store);
    env_str("SCOLAR_LISTEN", c->listen, sizeof c->listen);
    env_str("SCOLAR_CONTENT_LISTEN", c->content_listen, sizeof c->content_listen);
    env_str("SCOLAR_PUBLIC_URL", c->public_url, sizeof c->public_url);
    env_str("SCOLAR_CONTENT_URL", c->content_url, sizeof c->content_url);
    env_str("SCOLAR_CORS_ORIGINS", c->cors_origins, sizeof c->cors_origins);
    env_size("SCOLAR_MAX_BODY", &c->max_body);
    env_size("SCOLAR_MAX_UPLOAD", &c->max_upload);
    env_size("SCOLAR_MAX_DOCUMENT", &c->max_doc);
    size_t t = 0;
    env_size("SCOLAR_THREADS", &t);
    if (t > 0 && t <= LRS_MAX_THREADS)
        c->threads = (int)t;
    size_t m = SIZE_MAX;
    env_size("SCOLAR_MAX_CONN_PER_ADDR", &m);
    if (m <= 1000000)
        c->max_conn_per_addr = (int)m;
    m = 0;
    env_size("SCOLAR_REQUEST_TIMEOUT_MS", &m);
    if (m >= 100 && m <= 3600000)
        c->request_timeout_ms = (int)m;
    m = 0;
    env_size("SCOLAR_BODY_GRACE_MS", &m);
    if (m >= 100 && m <= 3600000)
        c->body_grace_ms = (int)m;
    env_str("SCOLAR_TLS_CERT", c->tls_cert, sizeof c->tls_cert);
    env_str("SCOLAR_TLS_KEY", c->tls_key, sizeof c->tls_key);
    env_str("SCOLAR_TRUSTED_PROXY", c->trusted_proxies, sizeof c->trusted_proxies);
    const char *lf = getenv("SCOLAR_LOG_FORMAT");
    if (lf && !strcmp(lf, "json"))
        c->log_json = 1;
    const char *lv = getenv("SCOLAR_LOG_LEVEL");
    if (lv) {
        if (!strcmp(lv, "debug"))
            c->log_level = LRS_LOG_DEBUG;
        else if (!strcmp(lv, "warn"))
            c->log_level = LRS_LOG_WARN;
        else if (!strcmp(lv, "error"))
            c->log_level = LRS_LOG_ERROR;
    }
}

void lrs_config_urls(struct lrs_config *c)
{
    const char *scheme = c->tls_cert[0] ? "https" : "http";
    if (!c->public_url[0])
        snprintf(c->public_url, sizeof c->public_url, "%s://%s", scheme, c->listen);
    if (!c->content_url[0])
        snprintf(c->content_url, sizeof c->content_url, "%s://%s", scheme, c->content_listen);
    /* launch links and activity IRIs are built as URL + "/...": no trailing slash */
    for (char *u = c->public_url; *u && u[strlen(u) - 1] == '/';)
        u[strlen(u) - 1] = '\0';
    for (char *u = c->content_url; *u && u[strlen(u) - 1] == '/';)
        u[strlen(u) - 1] = '\0';
}

/* an absolute http(s) URL with a host and no query, fragment or spaces (RFC 3986 §3) */
static int url_ok(const char *u)
{
    const char *h = !strncmp(u, "http://", 7) ? u + 7 : !strncmp(u, "https://", 8) ? u + 8 : NULL;
    if (!h || !*h || *h == '/')
        return 0;
    for (const char *p = u; *p; p++)
        if (*p == '?' || *p == '#' || (unsigned char)*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static int addr_ok(const char *a, size_t n)
{
    char tmp[64];
    unsigned char buf[16];
    if (!n || n >= sizeof tmp)
        return 0;
    memcpy(tmp, a, n);
    tmp[n] = '\0';
    return inet_pton(AF_INET, tmp, buf) == 1 || inet_pton(AF_INET6, tmp, buf) == 1;
}

int lrs_config_validate(const struct lrs_config *c, char *err, size_t errlen)
{
    if (lrs_store_check(c->store, err, errlen))
        return -1;
    if (c->public_url[0] && !url_ok(c->public_url)) {
        snprintf(err, errlen,
                 "public-url '%s' must be an absolute http:// or https:// URL without query",
                 c->public_url);
        return -1;
    }
    if (c->content_url[0] && !url_ok(c->content_url)) {
        snprintf(err, errlen,
                 "content-url '%s' must be an absolute http:// or https:// URL without query",
                 c->content_url);
        return -1;
    }
    if (c->tls_key[0] && !c->tls_cert[0]) {
        snprintf(err, errlen, "tls-key is set but tls-cert is not");
        return -1;
    }
    if (c->tls_cert[0] && access(c->tls_cert, R_OK)) {
        snprintf(err, errlen, "tls-cert %s: %s", c->tls_cert, strerror(errno));
        return -1;
    }
    if (c->tls_key[0] && access(c->tls_key, R_OK)) {
        snprintf(err, errlen, "tls-key %s: %s", c->tls_key, strerror(errno));
        return -1;
    }
    for (const char *p = c->trusted_proxies; *p;) {
        size_t n = strcspn(p, ",");
        while (n && p[n - 1] == ' ')
            n--;
        if (!addr_ok(p, n)) {
            snprintf(err, errlen,
                     "trusted-proxy '%s': a comma-separated list of IPv4 or IPv6 addresses",
                     c->trusted_proxies);
            return -1;
        }
        p += strcspn(p, ",");
        p += strspn(p, ", ");
    }
    return 0;
}

static int is_trusted(const struct lrs_config *c, const char *a, size_t n)
{
    for (const char *p = c->trusted_proxies; *p;) {
        size_t m = strcspn(p, ", ");
        if (m == n && !strncmp(p, a, n))
            return 1;
        p += m;
        p += strspn(p, ", ");
    }
    return 0;
}

/* X-Forwarded-For lists the client and then every proxy that passed the request on, each
 * appending the address it received it from; only the entries added by proxies we trust are
 * believed, so the answer is the rightmost entry that is not a trusted proxy (what a client
 * wrote itself at the left is never taken). */
void lrs_client_addr(const struct lrs_config *c, const char *remote, const char *xff, char *out,
                     size_t n)
{
    snprintf(out, n, "%s", remote ? remote : "");
    if (!xff || !c->trusted_proxies[0] || !remote || !is_trusted(c, remote, strlen(remote)))
        return;
    size_t end = strlen(xff);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && xff[a] == ' ')
            a++;
        while (b > a && xff[b - 1] == ' ')
            b--;
        if (!addr_ok(xff + a, b - a))
            return; /* garbage: keep what we know */
        snprintf(out, n, "%.*s", (int)(b - a), xff + a);
        if (!is_trusted(c, xff + a, b - a))
            return;
        end = start ? start - 1 : 0;
    }
}
