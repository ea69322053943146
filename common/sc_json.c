/* SPDX-License-Identifier: Apache-2.0 */
#include "common/sc_json.h"
#include "common/sc_buf.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int kind(const cJSON *j)
{
    return j ? j->type & 0xff : 0;
}

static int near(const cJSON *a, const cJSON *b, double rel, char *path, size_t plen, char *why,
                size_t wl)
{
    size_t used = strlen(path);
    const cJSON *x;
    if (kind(a) != kind(b)) {
        snprintf(why, wl, "%s: a %s and a %s", path, cJSON_IsNumber(a) ? "number" : "value",
                 cJSON_IsNumber(b) ? "number" : "value of another kind");
        return 0;
    }
    if (cJSON_IsNumber(a)) {
        if (fabs(a->valuedouble - b->valuedouble) <= rel * (1 + fabs(b->valuedouble)))
            return 1;
        snprintf(why, wl, "%s: %.17g and %.17g", path, a->valuedouble, b->valuedouble);
        return 0;
    }
    if (cJSON_IsString(a)) {
        if (!strcmp(a->valuestring, b->valuestring))
            return 1;
        snprintf(why, wl, "%s: \"%.80s\" and \"%.80s\"", path, a->valuestring, b->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(a) && !cJSON_IsObject(a))
        return 1; /* null, true, false: the kind says it all */
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) {
        snprintf(why, wl, "%s: %d and %d members", path, cJSON_GetArraySize(a),
                 cJSON_GetArraySize(b));
        return 0;
    }
    {
        int i = 0;
        cJSON_ArrayForEach(x, a)
        {
            const cJSON *y = cJSON_IsArray(a) ? cJSON_GetArrayItem(b, i)
                                              : cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (cJSON_IsArray(a))
                snprintf(path + used, plen - used, "[%d]", i);
            else
                snprintf(path + used, plen - used, ".%.60s", x->string);
            if (!y) {
                snprintf(why, wl, "%s: only in the first", path);
                return 0;
            }
            if (!near(x, y, rel, path, plen, why, wl))
                return 0;
            path[used] = 0;
            i++;
        }
    }
    return 1;
}

int sc_json_near(const cJSON *a, const cJSON *b, double rel, char *why, size_t whylen)
{
    char path[512] = "$";
    char dummy[8];
    if (!why || !whylen) {
        why = dummy;
        whylen = sizeof dummy;
    }
    why[0] = 0;
    return near(a, b, rel, path, sizeof path, why, whylen);
}

/* Room for n more bytes in b (and its NUL); the error of b when it cannot grow. */
static inline int room(struct sc_buf *b, size_t n)
{
    return b->len + n < b->cap && !b->max && !b->err ? 0 : sc_buf_reserve(b, n);
}

static inline int put(struct sc_buf *b, const void *p, size_t n)
{
    int rc = room(b, n);
    if (rc)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static inline int put1(struct sc_buf *b, char c)
{
    int rc = room(b, 1);
    if (rc)
        return rc;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return 0;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Bytes at the start of s[0, n) that print as they are: eight at a time (a word with a byte
 * below 0x20, a '"' or a '\\' stops the fast loop), then one by one. */
static size_t plain_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, q, b;
        memcpy(&x, s + i, 8);
        q = x ^ (ONES * '"');
        b = x ^ (ONES * '\\');
        if (((x - ONES * 0x20) & ~x & HIGHS) | ((q - ONES) & ~q & HIGHS) |
            ((b - ONES) & ~b & HIGHS))
            break;
    }
    while (i < n && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

/* cJSON 1.7.15 print_string_ptr: '"', '\\', \b \f \n \r \t by letter, other bytes below 0x20
 * as \u00xx (lower-case hex), every other byte as is; a NULL string prints as "". */
static int print_str(const char *str, struct sc_buf *b)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n = strlen((const char *)s), i = 0;
    char *o;
    int rc = room(b, n + 2); /* the text, its quotes; an escape makes room for itself */
    if (rc)
        return rc;
    o = b->data + b->len;
    *o++ = '"';
    for (;;) {
        size_t run = plain_run(s + i, n - i);
        unsigned char c;
        memcpy(o, s + i, run);
        o += run;
        i += run;
        if (i == n)
            break;
        c = s[i++];
        b->len = (size_t)(o - b->data);
        if ((rc = room(b, 6 + (n - i) + 1)))
            return rc;
        o = b->data + b->len;
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
    return 0;
}

static int print_value(const cJSON *j, struct sc_buf *b)
{
    const cJSON *c;
    int rc;
    switch (j->type & 0xff) {
    case cJSON_NULL:
        return put(b, "null", 4);
    case cJSON_False:
        return put(b, "false", 5);
    case cJSON_True:
        return put(b, "true", 4);
    case cJSON_Number: {
        /* cJSON's own formatting (%d, %1.15g or %1.17g, its locale handling), into a buffer
         * of ours: one number node prints alone. An integer below 1e15 in magnitude prints
         * as its digits either way (%d, or %1.15g without exponent, which reads back exact):
         * written here, without sprintf and sscanf (run-time records hold many); negative
         * ones go to cJSON (-0 prints as "-0"). */
        char num[64];
        double d = j->valuedouble;
        if (d >= 0 && d < 1e15 && d == (double)(long long)d && !signbit(d)) {
            unsigned long long u = (unsigned long long)d;
            char *e = num + sizeof num, *q = e;
            do
                *--q = (char)('0' + u % 10);
            while (u /= 10);
            return put(b, q, (size_t)(e - q));
        }
        if (!cJSON_PrintPreallocated((cJSON *)j, num, (int)sizeof num, 0))
            return -1;
        return put(b, num, strlen(num));
    }
    case cJSON_Raw:
        return j->valuestring ? put(b, j->valuestring, strlen(j->valuestring)) : -1;
    case cJSON_String:
        return print_str(j->valuestring, b);
    case cJSON_Array:
        rc = put1(b, '[');
        for (c = j->child; c && !rc; c = c->next) {
            rc = print_value(c, b);
            if (!rc && c->next)
                rc = put1(b, ',');
        }
        return rc ? rc : put1(b, ']');
    case cJSON_Object:
        rc = put1(b, '{');
        for (c = j->child; c && !rc; c = c->next) {
            rc = print_str(c->string, b);
            if (!rc)
                rc = put1(b, ':');
            if (!rc)
                rc = print_value(c, b);
            if (!rc && c->next)
                rc = put1(b, ',');
        }
        return rc ? rc : put1(b, '}');
    default:
        return -1;
    }
}

int sc_json_print(const cJSON *j, struct sc_buf *b)
{
    if (!j)
        return -1;
    if (b->err)
        return b->err;
    return print_value(j, b);
}

/* ---- parsing text the strict scan accepted ------------------------------------------------ */

struct pstate {
    const unsigned char *p, *end;
};

static void ws(struct pstate *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static unsigned hex4v(const unsigned char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* s->p at the opening quote; a new NUL-terminated string (cJSON_malloc) of the decoded bytes. */
static char *pstring(struct pstate *s)
{
    const unsigned char *b = ++s->p, *q = b;
    size_t n = 0, esc = 0;
    char *out, *o;
    /* the end of the string: eight bytes at a time while none is '"' or '\\' */
    for (;;) {
        while (s->end - q >= 8) {
            uint64_t x, a, c;
            memcpy(&x, q, 8);
            a = x ^ (ONES * '"');
            c = x ^ (ONES * '\\');
            if (((a - ONES) & ~a & HIGHS) | ((c - ONES) & ~c & HIGHS))
                break;
            q += 8;
        }
        while (*q != '"' && *q != '\\')
            q++;
        if (*q == '"')
            break;
        esc++;
        q += 2; /* an escape: the scan checked it (\uXXXX: the rest are plain hex digits) */
    }
    n = (size_t)(q - b);
    out = cJSON_malloc(n + 1); /* escapes only shrink: \uXXXX (6 bytes) is 3 at most in UTF-8,
                                  a surrogate pair (12) is 4 */
    if (!out)
        return NULL;
    s->p = q + 1;
    if (!esc) {
        memcpy(out, b, n);
        out[n] = '\0';
        return out;
    }
    o = out;
    for (const unsigned char *r = b; r < q;) {
        unsigned cp;
        if (*r != '\\') {
            *o++ = (char)*r++;
            continue;
        }
        switch (r[1]) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u':
            cp = hex4v(r + 2);
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* the scan checked the low half follows */
                cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4v(r + 8) - 0xDC00);
                r += 6;
            }
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | (cp >> 12));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | (cp >> 18));
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            r += 4;
            break;
        default: /* '"', '\\', '/' */
            *o++ = (char)r[1];
        }
        r += 2;
    }
    *o = '\0';
    return out;
}

static cJSON *pvalue(struct pstate *s);

/* cJSON 1.7.15 parse_array / parse_object: children linked both ways, the first child's prev
 * is the last child. */
static cJSON *pcontainer(struct pstate *s, int obj)
{
    cJSON *item = cJSON_malloc(sizeof *item), *last = NULL;
    if (!item)
        return NULL;
    memset(item, 0, sizeof *item);
    item->type = obj ? cJSON_Object : cJSON_Array;
    s->p++;
    ws(s);
    if (*s->p == (obj ? '}' : ']')) {
        s->p++;
        return item;
    }
    for (;;) {
        char *key = NULL;
        cJSON *c;
        ws(s);
        if (obj) {
            key = pstring(s);
            if (!key)
                break;
            ws(s);
            s->p++; /* ':' */
        }
        c = pvalue(s);
        if (!c) {
            cJSON_free(key);
            break;
        }
        c->string = key;
        if (last) {
            last->next = c;
            c->prev = last;
        } else {
            item->child = c;
        }
        last = c;
        item->child->prev = last;
        ws(s);
        if (*s->p++ == ',')
            continue;
        return item; /* '}' or ']' */
    }
    cJSON_Delete(item);
    return NULL;
}

static cJSON *pvalue(struct pstate *s)
{
    cJSON *item;
    ws(s);
    if (*s->p == '{' || *s->p == '[')
        return pcontainer(s, *s->p == '{');
    item = cJSON_malloc(sizeof *item);
    if (!item)
        return NULL;
    memset(item, 0, sizeof *item);
    switch (*s->p) {
    case '"':
        item->type = cJSON_String;
        item->valuestring = pstring(s);
        if (!item->valuestring) {
            cJSON_free(item);
            return NULL;
        }
        return item;
    case 't':
        item->type = cJSON_True;
        item->valueint = 1;
        s->p += 4;
        return item;
    case 'f':
        item->type = cJSON_False;
        s->p += 5;
        return item;
    case 'n':
        item->type = cJSON_NULL;
        s->p += 4;
        return item;
    default: {
        /* cJSON parse_number: strtod of the token, valueint saturated */
        char num[64];
        size_t n = 0;
        double d;
        while (s->p < s->end && n < sizeof num - 1 &&
               ((*s->p >= '0' && *s->p <= '9') || *s->p == '-' || *s->p == '+' || *s->p == '.' ||
                *s->p == 'e' || *s->p == 'E'))
            num[n++] = (char)*s->p++;
        num[n] = '\0';
        d = strtod(num, NULL);
        item->type = cJSON_Number;
        item->valuedouble = d;
        item->valueint = d >= INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
        return item;
    }
    }
}

cJSON *sc_json_parse_valid(const char *buf, size_t len)
{
    struct pstate s = {(const unsigned char *)buf, (const unsigned char *)buf + len};
    if (!buf || !len)
        return NULL;
    return pvalue(&s);
}

int sc_json_add(cJSON *o, const char *key, cJSON *item)
{
    if (!item)
        return 0;
    if (cJSON_AddItemToObject(o, key, item))
        return 1;
    cJSON_Delete(item);
    return 0;
}

int sc_json_set(cJSON *o, const char *key, cJSON *item)
{
    cJSON *old;
    if (!item)
        return 0;
    old = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!old)
        return sc_json_add(o, key, item);
    if (!old->string || (old->type & cJSON_StringIsConst)) {
        /* a constant key cannot move: copy it, checked */
        char *k = (char *)cJSON_malloc(strlen(key) + 1);
        if (!k) {
            cJSON_Delete(item);
            return 0;
        }
        memcpy(k, key, strlen(key) + 1);
        if (item->string && !(item->type & cJSON_StringIsConst))
            cJSON_free(item->string);
        item->string = k;
    } else {
        if (item->string && !(item->type & cJSON_StringIsConst))
            cJSON_free(item->string);
        item->string = old->string;
        old->string = NULL;
    }
    item->type &= ~cJSON_StringIsConst;
    /* cannot fail: old is a member of o */
    cJSON_ReplaceItemViaPointer(o, old, item);
    return 1;
}
