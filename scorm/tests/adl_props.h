/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of test_seq_adl.c (split out so no source file is over 1,000 lines): a reader of the
 * ADL test suite's Java .properties files (line continuations, \uXXXX escapes), the run-time
 * status names as the engine takes them, and lookups in a parsed manifest tree.
 */
#ifndef ADL_PROPS_H
#define ADL_PROPS_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "scorm/seq.h"

/* snprintf that may truncate (diagnostics and paths well under the limits) */
static inline void fmt(char *buf, size_t len, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static inline void fmt(char *buf, size_t len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, len, f, ap);
    va_end(ap);
}

struct kv {
    char *k, *v;
};

struct props {
    struct kv *e;
    size_t n, cap;
};

static inline void props_free(struct props *p)
{
    for (size_t i = 0; i < p->n; i++) {
        sc_free(p->e[i].k);
        sc_free(p->e[i].v);
    }
    sc_free(p->e);
    memset(p, 0, sizeof *p);
}

static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = sc_malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            sc_free(buf);
            buf = NULL;
        }
        if (buf) {
            buf[n] = '\0';
            if (len)
                *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static inline char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

/* append code point cp as UTF-8 */
static inline size_t utf8_put(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* java.util.Properties escapes, in place: \uXXXX (to UTF-8, never longer than the escape),
 * \t \n \r \f, and \x -> x for any other x */
static inline void java_unescape(char *s)
{
    char *o = s;
    while (*s) {
        if (*s != '\\' || !s[1]) {
            *o++ = *s++;
            continue;
        }
        s++;
        if (*s == 'u') {
            char hex[5] = {0}, *end;
            unsigned long cp;
            memcpy(hex, s + 1, strnlen(s + 1, 4));
            cp = strtoul(hex, &end, 16);
            if (end == hex + 4) {
                o += utf8_put(o, cp);
                s += 5;
                continue;
            }
        }
        *o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 'f' ? '\f' : *s;
        s++;
    }
    *o = '\0';
}

/* 1 when the line ends in an odd number of backslashes (a .properties continuation) */
static inline int continues(const char *l)
{
    size_t n = strlen(l), k = 0;
    while (k < n && l[n - 1 - k] == '\\')
        k++;
    return k % 2 == 1;
}

/* java.util.Properties text: "key=value" logical lines (a trailing backslash continues the
 * line, the next line's leading white space dropped), # comments, escapes decoded */
static inline int props_load(const char *path, struct props *p)
{
    char *text = slurp(path, NULL), *line, *rest, *logical = NULL;
    size_t llen = 0;
    if (!text)
        return -1;
    for (rest = text; (line = strsep(&rest, "\n")) != NULL;) {
        char *l = logical ? line : trim(line), *eq;
        size_t n;
        if (logical)
            while (*l == ' ' || *l == '\t')
                l++;
        else if (*l == '#' || !*l)
            continue;
        n = strlen(l);
        if (n && l[n - 1] == '\r')
            l[--n] = '\0';
        int more = continues(l);
        if (more)
            l[--n] = '\0';
        char *nl = sc_realloc(logical, llen + n + 1);
        if (!nl)
            break;
        logical = nl;
        memcpy(logical + llen, l, n + 1);
        llen += n;
        if (more && rest)
            continue;
        l = logical;
        logical = NULL;
        llen = 0;
        if (!(eq = strchr(l, '='))) {
            sc_free(l);
            continue;
        }
        *eq = '\0';
        if (p->n == p->cap) {
            size_t nc = p->cap ? p->cap * 2 : 64;
            struct kv *ne = sc_realloc(p->e, nc * sizeof *ne);
            if (!ne) {
                sc_free(l);
                break;
            }
            p->e = ne;
            p->cap = nc;
        }
        p->e[p->n].k = sc_strdup(trim(l));
        p->e[p->n].v = sc_strdup(trim(eq + 1));
        sc_free(l);
        if (!p->e[p->n].k || !p->e[p->n].v) {
            sc_free(p->e[p->n].k);
            sc_free(p->e[p->n].v);
            break;
        }
        java_unescape(p->e[p->n].k);
        java_unescape(p->e[p->n].v);
        p->n++;
    }
    sc_free(logical);
    sc_free(text);
    return 0;
}

static inline const char *props_get(const struct props *p, const char *k)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->e[i].k, k) == 0)
            return p->e[i].v;
    return NULL;
}

static inline enum seq_status status_of(const char *v)
{
    if (strcmp(v, "completed") == 0)
        return SEQ_STATUS_COMPLETED;
    if (strcmp(v, "incomplete") == 0 || strcmp(v, "not attempted") == 0)
        return SEQ_STATUS_INCOMPLETE;
    if (strcmp(v, "passed") == 0)
        return SEQ_STATUS_PASSED;
    if (strcmp(v, "failed") == 0)
        return SEQ_STATUS_FAILED;
    if (strcmp(v, "unknown") == 0)
        return SEQ_STATUS_UNKNOWN;
    return SEQ_STATUS_UNSET;
}

/* item identifier for "act=N" in the item parameters, or with title t */
static inline const char *find_item(const cJSON *items, int act, const char *title,
                                    const char **res)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        const char *params = cJSON_GetStringValue(cJSON_GetObjectItem(it, "parameters"));
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(it, "title"));
        const char *r = cJSON_GetStringValue(cJSON_GetObjectItem(it, "launch"));
        const char *a = params ? strstr(params, "act=") : NULL;
        if (title && t && strcmp(t, title) == 0) {
            if (res)
                *res = r;
            return cJSON_GetStringValue(cJSON_GetObjectItem(it, "identifier"));
        }
        if (!title && a && strtol(a + 4, NULL, 10) == act) {
            if (res)
                *res = r;
            return cJSON_GetStringValue(cJSON_GetObjectItem(it, "identifier"));
        }
        const char *sub = find_item(cJSON_GetObjectItem(it, "items"), act, title, res);
        if (sub)
            return sub;
    }
    return NULL;
}

static inline const cJSON *default_org(const cJSON *tree)
{
    const cJSON *orgs = cJSON_GetObjectItem(tree, "organizations"), *o;
    const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(tree, "default_organization"));
    cJSON_ArrayForEach(o, orgs)
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(o, "identifier"));
        if (d && id && strcmp(d, id) == 0)
            return o;
    }
    return cJSON_GetArrayItem(orgs, 0);
}

#endif
