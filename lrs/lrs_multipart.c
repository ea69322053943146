/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded multipart splitting; see lrs_multipart.h. RFC 2046 5.1.1: a delimiter is CRLF "--"
 * boundary, the first may come without the CRLF; the close delimiter adds "--". */
#include "lrs/lrs_multipart.h"
#include "common/sc_alloc.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_PART_HEADERS 8192

int lrs_multipart_boundary(const char *ct, char *out, size_t outlen)
{
    const char *p = ct ? strcasestr(ct, "boundary=") : NULL;
    size_t n = 0;
    if (!p)
        return -1;
    p += 9;
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');
        if (!q)
            return -1;
        n = (size_t)(q - p - 1);
        p++;
    } else {
        while (p[n] && p[n] != ';' && p[n] != ' ' && p[n] != '\t')
            n++;
    }
    if (n == 0 || n > 70 || n + 1 > outlen)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

static const char *find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    return memmem(hay, hlen, needle, nlen);
}

int lrs_multipart_parse(const char *body, size_t len, const char *boundary, size_t max_parts,
                        struct lrs_part **parts, size_t *nparts, char *err, size_t errlen)
{
    char delim[80];
    size_t dlen = (size_t)snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    const char *end = body + len, *p;
    struct lrs_part *ps = NULL;
    size_t np = 0;

    /* the first delimiter may start the body (no preceding CRLF) */
    if (len >= dlen - 2 && !memcmp(body, delim + 2, dlen - 2)) {
        p = body + dlen - 2;
    } else {
        const char *d = find(body, len, delim, dlen);
        if (!d) {
            snprintf(err, errlen, "multipart body has no opening boundary delimiter");
            return -1;
        }
        p = d + dlen;
    }
    for (;;) {
        /* after a delimiter: "--" closes, else optional whitespace then CRLF */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            snprintf(err, errlen, "malformed boundary delimiter line");
            goto fail;
        }
        p += 2;
        const char *next = find(p, (size_t)(end - p), delim, dlen);
        if (!next) {
            snprintf(err, errlen, "multipart body has no closing boundary delimiter");
            goto fail;
        }
        if (np == max_parts) {
            snprintf(err, errlen, "more than %zu parts", max_parts);
            goto fail;
        }
        const char *hend = (p + 2 <= next && p[0] == '\r' && p[1] == '\n')
                               ? p
                               : find(p, (size_t)(next - p), "\r\n\r\n", 4);
        if (!hend) {
            snprintf(err, errlen, "part %zu: headers not followed by a blank line", np + 1);
            goto fail;
        }
        if ((size_t)(hend - p) > MAX_PART_HEADERS) {
            snprintf(err, errlen, "part %zu: header block larger than %d bytes", np + 1,
                     MAX_PART_HEADERS);
            goto fail;
        }
        struct lrs_part *grown = sc_realloc(ps, (np + 1) * sizeof *ps);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        ps = grown;
        ps[np].headers = p;
        ps[np].headers_len = (size_t)(hend - p);
        ps[np].data = hend == p ? p + 2 : hend + 4;
        ps[np].len = (size_t)(next - ps[np].data);
        np++;
        p = next + dlen;
    }
    *parts = ps;
    *nparts = np;
    return 0;
fail:
    sc_free(ps);
    return -1;
}

int lrs_part_header(const struct lrs_part *p, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *h = p->headers, *end = p->headers + p->headers_len;
    while (h < end) {
        const char *eol = memmem(h, (size_t)(end - h), "\r\n", 2);
        const char *le = eol ? eol : end;
        if ((size_t)(le - h) > nlen && h[nlen] == ':' && !strncasecmp(h, name, nlen)) {
            const char *v = h + nlen + 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            size_t n = (size_t)(le - v);
            while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            if (n + 1 > outlen)
                return -1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
        h = le + 2;
    }
    return -1;
}
