/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's files (web/), embedded into the binary at build time by tools/embed.py
 * (web/meson.build). Immutable: every pointer is static data, valid for the life of the
 * process.
 */
#ifndef LRS_WEB_H
#define LRS_WEB_H

#include <stddef.h>

struct lrs_web_file {
    const char *name;  /* path under web/, e.g. "index.html", "app.js" */
    const char *ctype; /* Content-Type */
    const unsigned char *data;
    size_t len;
    const unsigned char *gz; /* gzip of data, or NULL when it would not be smaller */
    size_t gzlen;
    const char *etag; /* strong ETag, quoted */
};

/* Generated (web/console_files.c); ends with an entry whose name is NULL. */
extern const struct lrs_web_file lrs_web_files[];
extern const size_t lrs_web_nfiles;
/* "v-" and a hash of all the files: index.html loads them from /web/<version>/... */
extern const char lrs_web_version[];

/** The embedded file called `name` (no leading '/'), or NULL. */
const struct lrs_web_file *lrs_web_find(const char *name);

#endif
