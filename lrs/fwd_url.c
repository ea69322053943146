/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The URL of a forwarding target or webhook (issue 17): http and https only, and never the
 * content origin: untrusted course content is served there, and a target on it would let a
 * package's scripts receive the organisation's statements or events. The check compares
 * servers, not strings: see same_server.
 */
#include "lrs/fwd.h"

#include <curl/curl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* The scheme, host (lower case, without IPv6 brackets or trailing dots) and port (the
 * scheme's default filled in) of a URL. 0 or -1. */
static int url_parts(const char *url, char *scheme, size_t sl, char *host, size_t hl, long *port)
{
    CURLU *u = curl_url();
    char *s = NULL, *h = NULL, *p = NULL;
    int rc = -1;
    if (!u)
        return -1;
    scheme[0] = 0;
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK)
        snprintf(scheme, sl, "%s", s);
    if (scheme[0] && curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h[0] &&
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        snprintf(host, hl, "%s", h);
        *port = strtol(p, NULL, 10);
        rc = 0;
    }
    curl_free(s);
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

/* host in canonical text: lower case, no [] around an IPv6 address, no trailing dots (RFC 1034
 * 3.1: "example.org." is "example.org"). */
static void host_canon(char *host)
{
    size_t n = strlen(host);
    for (char *c = host; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
        n -= 2;
    }
    while (n > 1 && host[n - 1] == '.')
        host[--n] = 0;
}

/* "host:port" or "[v6]:port" of a listen address. 0 or -1. */
static int listen_parts(const char *listen, char *host, size_t hl, long *port)
{
    const char *colon = strrchr(listen, ':');
    char *end;
    if (!colon)
        return -1;
    *port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || (size_t)(colon - listen) >= hl)
        return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    return 0;
}

enum { ADDR_MAX = 16 };
struct addrs {
    struct sockaddr_storage a[ADDR_MAX];
    size_t n;
};

/* The addresses of host (numeric forms included: 127.1, 2130706433, ::ffff:127.0.0.1). A name
 * that does not resolve has none. */
static void resolve(const char *host, struct addrs *out)
{
    struct addrinfo hints, *res = NULL;
    out->n = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (!host[0] || getaddrinfo(host, NULL, &hints, &res) != 0)
        return;
    for (struct addrinfo *ai = res; ai && out->n < ADDR_MAX; ai = ai->ai_next)
        if (ai->ai_addrlen <= sizeof out->a[0])
            memcpy(&out->a[out->n++], ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(res);
}

/* 16 bytes of an address (IPv4 as IPv4-mapped IPv6) and what it is: 1 loopback or unspecified
 * (0.0.0.0 and :: reach this host too), 0 other. */
static int addr_key(const struct sockaddr_storage *sa, unsigned char k[16])
{
    static const unsigned char v6any[16] = {0}, v6lo[16] = {[15] = 1};
    memset(k, 0, 16);
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        const unsigned char *b = (const unsigned char *)&a->sin_addr;
        k[10] = k[11] = 0xff;
        memcpy(k + 12, b, 4);
        return b[0] == 127 || (b[0] | b[1] | b[2] | b[3]) == 0;
    }
    if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        memcpy(k, &a->sin6_addr, 16);
        if (k[10] == 0xff && k[11] == 0xff && !memcmp(k, v6any, 10)) /* ::ffff:a.b.c.d */
            return k[12] == 127 || (k[12] | k[13] | k[14] | k[15]) == 0;
        return !memcmp(k, v6any, 16) || !memcmp(k, v6lo, 16);
    }
    return 0;
}

/* Does host:port (a target) reach the server listening at ohost:oport (the content origin)?
 * Aliases count: the same name in other case or with a trailing dot, the same address in
 * another notation, a name that resolves to one of its addresses, and every loopback or
 * unspecified address (127.0.0.1, localhost, [::1], 0.0.0.0) for one on this host. A wildcard
 * listener (0.0.0.0, [::]) is reached by any address of this host's interfaces. Names are
 * resolved only when the ports are equal. */
static int same_server(const char *host, long port, const char *ohost, long oport)
{
    char a[300], b[300];
    struct addrs ta, oa;
    int o_local = 0, o_any = 0;
    if (port != oport)
        return 0;
    snprintf(a, sizeof a, "%s", host);
    snprintf(b, sizeof b, "%s", ohost);
    host_canon(a);
    host_canon(b);
    if (!strcmp(a, b))
        return 1;
    resolve(a, &ta);
    if (!b[0]) {
        o_any = 1; /* ":8081": every address */
        oa.n = 0;
    } else {
        resolve(b, &oa);
    }
    for (size_t j = 0; j < oa.n; j++) {
        unsigned char k[16];
        static const unsigned char v4any[16] = {[10] = 0xff, [11] = 0xff};
        static const unsigned char v6any[16] = {0};
        if (addr_key(&oa.a[j], k)) {
            o_local = 1;
            if (!memcmp(k, v4any, 16) || !memcmp(k, v6any, 16))
                o_any = 1;
        }
    }
    for (size_t i = 0; i < ta.n; i++) {
        unsigned char k[16], ko[16];
        int t_local = addr_key(&ta.a[i], k);
        if (t_local && o_local)
            return 1;
        for (size_t j = 0; j < oa.n; j++)
            if (addr_key(&oa.a[j], ko) >= 0 && !memcmp(k, ko, 16))
                return 1;
        if (o_any) {
            struct ifaddrs *ifs = NULL;
            int hit = t_local;
            if (!hit && getifaddrs(&ifs) == 0) {
                for (struct ifaddrs *f = ifs; f && !hit; f = f->ifa_next) {
                    struct sockaddr_storage ss;
                    if (!f->ifa_addr ||
                        (f->ifa_addr->sa_family != AF_INET && f->ifa_addr->sa_family != AF_INET6))
                        continue;
                    memset(&ss, 0, sizeof ss);
                    memcpy(&ss, f->ifa_addr,
                           f->ifa_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                                             : sizeof(struct sockaddr_in6));
                    (void)addr_key(&ss, ko);
                    hit = !memcmp(k, ko, 16);
                }
                freeifaddrs(ifs);
            }
            if (hit)
                return 1;
        }
    }
    return 0;
}

/* A target URL: absolute http(s), not the content origin. 0, or -1 with err. */
int fwd__check_url(const struct lrs_config *cfg, const char *url, char *err, size_t errlen)
{
    char scheme[16], host[300], cs[16], chost[300];
    long port = 0, cport = 0;
    if (!url || !*url || strlen(url) > 2000) {
        snprintf(err, errlen,
                 "url: required, an absolute http or https URL of at most 2000 "
                 "characters");
        return -1;
    }
    int bad = url_parts(url, scheme, sizeof scheme, host, sizeof host, &port);
    if (scheme[0] && strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
        snprintf(err, errlen, "url: scheme %s refused: http or https only", scheme);
        return -1;
    }
    if (bad) {
        snprintf(err, errlen, "url: not an absolute http or https URL with a host (RFC 3986)");
        return -1;
    }
    /* the content origin as configured (content_url) and as listened on (content_listen) */
    if ((url_parts(cfg->content_url, cs, sizeof cs, chost, sizeof chost, &cport) == 0 &&
         same_server(host, port, chost, cport)) ||
        (listen_parts(cfg->content_listen, chost, sizeof chost, &cport) == 0 &&
         same_server(host, port, chost, cport))) {
        host_canon(host);
        snprintf(err, errlen,
                 "url: the content origin (%s:%ld) is refused: it serves uploaded "
                 "course content",
                 host, port);
        return -1;
    }
    return 0;
}
