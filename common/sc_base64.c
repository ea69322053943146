/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 encoding; see sc_base64.h. */
#include "common/sc_base64.h"

size_t sc_base64_len(size_t n, int url)
{
    return url ? n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0) : (n + 2) / 3 * 4;
}

void sc_base64_encode(const void *in, size_t n, char *out, int url)
{
    const unsigned char *p = in;
    const char *tbl = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = tbl[(v >> 6) & 63];
        else if (!url)
            out[o++] = '=';
        if (i + 2 < n)
            out[o++] = tbl[v & 63];
        else if (!url)
            out[o++] = '=';
    }
    out[o] = 0;
}
