/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSV fields (RFC 4180) for the export and the report tables: a field holding a comma, a
 * quote, CR or LF is quoted and its quotes doubled; records end with CRLF. Cells are written
 * as they are (no spreadsheet formula escaping: an export must keep the data; docs/reports.md).
 */
#include "lrs/lrs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lrs_csv_field(struct sc_buf *b, const char *s, size_t n, int last)
{
    int bad = 0;
    if (!s)
        s = "";
    if (memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n) || memchr(s, '\r', n)) {
        const char *p = s, *end = s + n, *q;
        bad |= sc_buf_putc(b, '"');
        while (p < end && (q = memchr(p, '"', (size_t)(end - p)))) {
            bad |= sc_buf_append(b, p, (size_t)(q - p + 1));
            bad |= sc_buf_putc(b, '"');
            p = q + 1;
        }
        bad |= sc_buf_append(b, p, (size_t)(end - p));
        bad |= sc_buf_putc(b, '"');
    } else {
        bad |= sc_buf_append(b, s, n);
    }
    bad |= last ? sc_buf_puts(b, "\r\n") : sc_buf_putc(b, ',');
    return bad;
}

int lrs_csv_str(struct sc_buf *b, const char *s, int last)
{
    return lrs_csv_field(b, s, s ? strlen(s) : 0, last);
}

void lrs_num_shortest(double d, char *out, size_t n)
{
    /* the shortest of %.15g .. %.17g that reads back as d (0.1 stays "0.1") */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            return;
    }
}
