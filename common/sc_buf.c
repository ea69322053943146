/* SPDX-License-Identifier: Apache-2.0 */
/* Growable capped buffer; see sc_buf.h. */
#include "common/sc_buf.h"
#include "common/sc_alloc.h"

#include <stdio.h>
#include <string.h>

void sc_buf_init(struct sc_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = 0;
}

int sc_buf_error(const struct sc_buf *b)
{
    return b->err;
}

static int fail(struct sc_buf *b, int rc)
{
    b->err = rc;
    return rc;
}

int sc_buf_reserve(struct sc_buf *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    if (b->err)
        return b->err;
    if (extra > (size_t)-1 - b->len - 1)
        return fail(b, SC_BUF_ERR_CAP);
    need = b->len + extra + 1;
    if (b->max && need - 1 > b->max)
        return fail(b, SC_BUF_ERR_CAP);
    if (need <= b->cap)
        return SC_BUF_OK;
    ncap = b->cap ? b->cap : 256;
    while (ncap < need)
        ncap = ncap > ((size_t)-1) / 2 ? need : ncap * 2;
    p = sc_realloc(b->data, ncap);
    if (!p)
        return fail(b, SC_BUF_ERR_NOMEM);
    b->data = p;
    b->cap = ncap;
    return SC_BUF_OK;
}

int sc_buf_append(struct sc_buf *b, const void *p, size_t n)
{
    int rc = sc_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SC_BUF_OK;
}

int sc_buf_puts(struct sc_buf *b, const char *s)
{
    return sc_buf_append(b, s, strlen(s));
}

int sc_buf_putc(struct sc_buf *b, char c)
{
    return sc_buf_append(b, &c, 1);
}

int sc_buf_vprintf(struct sc_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (b->err)
        return b->err;
    if (n < 0)
        return fail(b, SC_BUF_ERR_NOMEM);
    rc = sc_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return SC_BUF_OK;
}

int sc_buf_printf(struct sc_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = sc_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int sc_buf_json_str(struct sc_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = sc_buf_putc(b, '"');
    size_t run = 0; /* s[run, i) needs no escape: appended in one piece */
    for (size_t i = 0; !rc && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc;
        char u[6] = {'\\', 'u', '0', '0'};
        size_t elen = 2;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c >= 0x20)
                continue;
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            esc = u;
            elen = 6;
        }
        rc = sc_buf_append(b, s + run, i - run);
        if (!rc)
            rc = sc_buf_append(b, esc, elen);
        run = i + 1;
    }
    if (!rc)
        rc = sc_buf_append(b, s + run, n - run);
    if (!rc)
        rc = sc_buf_putc(b, '"');
    return rc;
}

void sc_buf_reset(struct sc_buf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->data)
        b->data[0] = '\0';
}

void sc_buf_free(struct sc_buf *b)
{
    if (!b)
        return;
    sc_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = 0;
}

char *sc_buf_steal(struct sc_buf *b, size_t *len)
{
    char *p = b->data;
    if (!p)
        p = sc_strdup("");
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
