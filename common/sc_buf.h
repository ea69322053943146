/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growable byte buffer with a hard cap. Every buffer fed from outside input has a cap
 * (STYLE.md 4): appending past it fails with SC_BUF_ERR_CAP and leaves the buffer as it was.
 *
 * Errors are sticky (SQLite's sqlite3_str, curl's dynbuf; STYLE.md 3): after a failed append
 * every later append is a no-op returning the same error, and sc_buf_error() tells it, so a
 * builder checks once at the end and can never hand out half a document as if it were whole.
 * sc_buf_reset and sc_buf_init clear the error.
 */
#ifndef SC_BUF_H
#define SC_BUF_H

#include <stdarg.h>
#include <stddef.h>

enum sc_buf_err {
    SC_BUF_OK = 0,
    SC_BUF_ERR_NOMEM = -1,
    SC_BUF_ERR_CAP = -2,
};

/** data is always NUL-terminated when non-NULL (the NUL is not counted in len). */
struct sc_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* 0 = no cap */
    int err;    /* the first error of an append (enum sc_buf_err), 0 while none */
};

#define SC_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, 0, 0                                                                           \
    }

void sc_buf_init(struct sc_buf *b, size_t max);
int sc_buf_reserve(struct sc_buf *b, size_t extra);
int sc_buf_append(struct sc_buf *b, const void *p, size_t n);
int sc_buf_puts(struct sc_buf *b, const char *s);
int sc_buf_putc(struct sc_buf *b, char c);
int sc_buf_printf(struct sc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sc_buf_vprintf(struct sc_buf *b, const char *fmt, va_list ap);
/** Append s as a JSON string literal (with quotes and escapes). */
int sc_buf_json_str(struct sc_buf *b, const char *s, size_t n);
/** The first error of an append since init or reset (enum sc_buf_err), 0 when none. */
int sc_buf_error(const struct sc_buf *b);
void sc_buf_reset(struct sc_buf *b);
/** Frees the storage; the buffer may be reused after sc_buf_init. NULL-tolerant. */
void sc_buf_free(struct sc_buf *b);
/** Hands the storage to the caller (free with sc_free); the buffer is left empty. */
char *sc_buf_steal(struct sc_buf *b, size_t *len) __attribute__((warn_unused_result));

#endif
