/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict JSON pre-scan (security.md 3 "JSON: strict pre-scan, then cJSON"), RFC 8259.
 *
 * One recursive-descent pass over the bytes, bounded by max_depth, that checks what cJSON 1.7.15
 * lets through: UTF-8 validity (RFC 3629: no overlong forms, no surrogates D800-DFFF, nothing
 * above U+10FFFF), escapes (RFC 8259 7: \u surrogates must pair; "\u0000" is refused because
 * cJSON truncates the string there), raw control characters, the number grammar (RFC 8259 6)
 * and finiteness, duplicate keys (xapi-lrs.md V6: scolar rejects them), and the limits.
 *
 * Duplicate keys: the unescaped keys of the objects being scanned live on one stack buffer;
 * when an object closes, its key entries are sorted and adjacent ones compared, then popped.
 * That is O(n log n) per object, so a 10000-member object costs nothing noticeable.
 */
#include "statements/stmt_json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "common/sc_json.h"

const char *stmt_strerror(int code)
{
    switch (code) {
    case STMT_OK:
        return "success";
    case STMT_ERR_JSON:
        return "malformed JSON";
    case STMT_ERR_LIMIT:
        return "JSON exceeds a size or nesting limit";
    case STMT_ERR_INVALID:
        return "invalid xAPI statement";
    case STMT_ERR_NOMEM:
        return "out of memory";
    case STMT_ERR_ARG:
        return "invalid argument";
    default:
        return "unknown statement error";
    }
}

int stmt__diag_set(struct stmt_diag *diag, int code, const char *path, const char *fmt, ...)
{
    va_list ap;

    if (!diag)
        return code;
    diag->code = code;
    snprintf(diag->path, sizeof(diag->path), "%s", path ? path : "");
    va_start(ap, fmt);
    vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
    va_end(ap);
    return code;
}

struct key_ent {
    size_t off, len;
};

/* One step of the path to the value being scanned, on the C stack of the recursion. */
struct frame {
    const struct frame *up;
    int is_index;
    size_t idx;        /* array index */
    size_t koff, klen; /* key bytes in scan.keys (stable: keys of open objects stay) */
};

#define STMT_JSON_PATH_FRAMES 128
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

struct scan {
    const unsigned char *start, *p, *end;
    struct stmt_json_limits lim;
    struct stmt_diag *diag;
    const struct frame *cur; /* where the scan is; the path is only built on failure */
    size_t tokens;
    char *keys; /* unescaped keys of all open objects, stacked */
    size_t klen, kcap;
    char kbuf[256]; /* keys start here: a small document scans without an allocation */
    struct key_ent *ents;
    size_t nents, ecap;
    struct key_ent ebuf[32];
};

/* Build the JSON path of s->cur ("$.a[3].b") into out; only called when reporting. */
static void build_path(const struct scan *s, char *out, size_t outlen)
{
    const struct frame *chain[STMT_JSON_PATH_FRAMES];
    size_t n = 0, len = 1;

    const struct frame *f = s->cur;

    for (; f && n < STMT_JSON_PATH_FRAMES; f = f->up)
        chain[n++] = f;
    len = (size_t)snprintf(out, outlen, "%s", f ? "$..." : "$"); /* f: deeper than we show */
    while (n-- > 0 && len < outlen - 1) {
        f = chain[n];
        int w = f->is_index
                    ? snprintf(out + len, outlen - len, "[%zu]", f->idx)
                    : snprintf(out + len, outlen - len, ".%.*s", (int)f->klen, s->keys + f->koff);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

static int fail(struct scan *s, int code, const char *what)
{
    char path[sizeof(((struct stmt_diag *)0)->path)];

    if (!s->diag)
        return code;
    build_path(s, path, sizeof(path));
    return stmt__diag_set(s->diag, code, path, "%s at byte %zu", what, (size_t)(s->p - s->start));
}

static void skip_ws(struct scan *s)
{
    /* RFC 8259 2: ws = space, tab, line feed, carriage return */
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int keys_append(struct scan *s, const void *b, size_t n)
{
    if (s->klen + n > s->kcap) {
        size_t nc = s->kcap ? s->kcap * 2 : 256;
        char *nk;
        while (nc < s->klen + n)
            nc *= 2;
        nk = s->keys == s->kbuf ? sc_malloc(nc) : sc_realloc(s->keys, nc);
        if (!nk)
            return STMT_ERR_NOMEM;
        if (s->keys == s->kbuf)
            memcpy(nk, s->kbuf, s->klen);
        s->keys = nk;
        s->kcap = nc;
    }
    memcpy(s->keys + s->klen, b, n);
    s->klen += n;
    return STMT_OK;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629 4, "UTF8-octets"), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n, avail = (size_t)(end - p);
    unsigned lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0; /* continuation byte, overlong lead C0/C1, or above U+10FFFF */
    if (avail < n)
        return 0;
    if (c == 0xE0)
        lo = 0xA0; /* overlong 3-byte */
    else if (c == 0xED)
        hi = 0x9F; /* UTF-16 surrogates encoded in UTF-8 */
    else if (c == 0xF0)
        lo = 0x90; /* overlong 4-byte */
    else if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

static size_t utf8_encode(unsigned cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* s->p is at the opening quote. When is_key, the unescaped bytes are pushed on s->keys. */
static int scan_string(struct scan *s, int is_key)
{
    size_t decoded = 0;
    int rc;

    s->p++; /* opening quote */
    for (;;) {
        const unsigned char *run = s->p;
        /* copy runs of plain bytes at once; printable ASCII needs no UTF-8 check: eight
         * bytes at a time while none is below 0x20, above 0x7F, a '"' or a '\\' */
        while (s->end - s->p >= 8) {
            uint64_t x, q, b;
            memcpy(&x, s->p, 8);
            q = x ^ (ONES * '"');
            b = x ^ (ONES * '\\');
            if ((x | (x - ONES * 0x20) | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS)
                break;
            s->p += 8;
        }
        while (s->p < s->end && *s->p != '"' && *s->p != '\\' && *s->p >= 0x20) {
            size_t n;
            if (*s->p < 0x80) {
                s->p++;
                continue;
            }
            n = utf8_len(s->p, s->end);
            if (n == 0)
                return fail(s, STMT_ERR_JSON,
                            "RFC 8259 8.1: invalid UTF-8 (bad, overlong or surrogate sequence)");
            s->p += n;
        }
        if (s->p > run) {
            decoded += (size_t)(s->p - run);
            if (is_key && (rc = keys_append(s, run, (size_t)(s->p - run))) != STMT_OK)
                return fail(s, rc, "out of memory");
        }
        if (decoded > s->lim.max_string)
            return fail(s, STMT_ERR_LIMIT, "string longer than the configured limit");
        if (s->p >= s->end)
            return fail(s, STMT_ERR_JSON, "RFC 8259 7: unterminated string");
        if (*s->p == '"') {
            s->p++;
            return STMT_OK;
        }
        if (*s->p < 0x20)
            return fail(s, STMT_ERR_JSON,
                        "RFC 8259 7: raw control character in string (must be escaped)");
        /* backslash */
        if (s->end - s->p < 2)
            return fail(s, STMT_ERR_JSON, "RFC 8259 7: unterminated escape");
        {
            unsigned char out[4];
            size_t on = 1;
            switch (s->p[1]) {
            case '"':
            case '\\':
            case '/':
                out[0] = s->p[1];
                break;
            case 'b':
                out[0] = '\b';
                break;
            case 'f':
                out[0] = '\f';
                break;
            case 'n':
                out[0] = '\n';
                break;
            case 'r':
                out[0] = '\r';
                break;
            case 't':
                out[0] = '\t';
                break;
            case 'u': {
                unsigned cp, lo;
                if (s->end - s->p < 6 || hex4(s->p + 2, &cp))
                    return fail(s, STMT_ERR_JSON, "RFC 8259 7: \\u needs four hex digits");
                if (cp == 0)
                    return fail(s, STMT_ERR_JSON,
                                "security.md 3: \\u0000 is refused (it would truncate the string)");
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return fail(s, STMT_ERR_JSON, "RFC 8259 8.2: lone low surrogate escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (s->end - s->p < 12 || s->p[6] != '\\' || s->p[7] != 'u' ||
                        hex4(s->p + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return fail(s, STMT_ERR_JSON,
                                    "RFC 8259 8.2: high surrogate escape without a low surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s->p += 6;
                }
                on = utf8_encode(cp, out);
                s->p += 4;
                break;
            }
            default:
                return fail(s, STMT_ERR_JSON, "RFC 8259 7: invalid escape sequence");
            }
            s->p += 2;
            decoded += on;
            if (is_key && (rc = keys_append(s, out, on)) != STMT_OK)
                return fail(s, rc, "out of memory");
        }
    }
}

static int is_digit(unsigned c)
{
    return c >= '0' && c <= '9';
}

static int scan_number(struct scan *s)
{
    const unsigned char *b = s->p;
    char tmp[STMT_JSON_MAX_NUMBER + 1];
    size_t n;
    double d;
    int exp = 0;

    /* RFC 8259 6: number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT ) */
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p >= s->end || !is_digit(*s->p))
        return fail(s, STMT_ERR_JSON, "RFC 8259 6: invalid number");
    if (*s->p == '0') {
        s->p++;
        if (s->p < s->end && is_digit(*s->p))
            return fail(s, STMT_ERR_JSON, "RFC 8259 6: leading zeros are not allowed");
    } else {
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return fail(s, STMT_ERR_JSON, "RFC 8259 6: a decimal point needs digits after it");
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        exp = 1;
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return fail(s, STMT_ERR_JSON, "RFC 8259 6: an exponent needs digits");
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    n = (size_t)(s->p - b);
    if (n > STMT_JSON_MAX_NUMBER) {
        s->p = b;
        return fail(s, STMT_ERR_LIMIT, "number token longer than 63 characters");
    }
    if (!exp)
        return STMT_OK; /* at most 63 characters without an exponent: below 1e63, finite */
    memcpy(tmp, b, n);
    tmp[n] = '\0';
    errno = 0;
    d = strtod(tmp, NULL);
    if (!isfinite(d)) {
        s->p = b;
        return fail(s, STMT_ERR_JSON, "RFC 8259 6: number out of range (not a finite double)");
    }
    /* cJSON 1.7.15 prints such a value with 15 digits as 1.79769313486232e+308, which reads
     * back as inf (its round-trip check compares inf as equal): refuse it before it is stored. */
    if (fabs(d) >= 1.797693134862315e308) {
        s->p = b;
        return fail(s, STMT_ERR_JSON,
                    "RFC 8259 6: number too close to the double range limit "
                    "to survive serialisation");
    }
    return STMT_OK;
}

static int scan_value(struct scan *s, unsigned depth);

#define SMALL_OBJECT 12 /* members up to which duplicate keys are found pairwise */

static int cmp_keys(const void *a, const void *b, void *arg)
{
    const struct key_ent *x = a, *y = b;
    const char *keys = arg;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(keys + x->off, keys + y->off, n);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static int scan_object(struct scan *s, unsigned depth)
{
    size_t first_ent = s->nents, first_key = s->klen, members = 0;
    int rc;

    s->p++; /* '{' */
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return STMT_OK;
    }
    for (;;) {
        struct key_ent ke;
        struct frame fr;

        skip_ws(s);
        if (s->p >= s->end || *s->p != '"')
            return fail(s, STMT_ERR_JSON, "RFC 8259 4: expected a string key");
        if (++members > s->lim.max_members)
            return fail(s, STMT_ERR_LIMIT, "object has more members than the configured limit");
        ke.off = s->klen;
        if ((rc = scan_string(s, 1)) != STMT_OK)
            return rc;
        ke.len = s->klen - ke.off;
        if (s->nents == s->ecap) {
            size_t nc = s->ecap ? s->ecap * 2 : 64;
            struct key_ent *ne = s->ents == s->ebuf ? sc_malloc(nc * sizeof(*ne))
                                                    : sc_realloc(s->ents, nc * sizeof(*ne));
            if (!ne)
                return fail(s, STMT_ERR_NOMEM, "out of memory");
            if (s->ents == s->ebuf)
                memcpy(ne, s->ebuf, s->nents * sizeof(*ne));
            s->ents = ne;
            s->ecap = nc;
        }
        s->ents[s->nents++] = ke;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return fail(s, STMT_ERR_JSON, "RFC 8259 4: expected ':' after key");
        s->p++;
        fr.up = s->cur;
        fr.is_index = 0;
        fr.idx = 0;
        fr.koff = ke.off;
        fr.klen = ke.len;
        s->cur = &fr;
        rc = scan_value(s, depth);
        if (rc != STMT_OK)
            return rc; /* s->cur is left pointing at the failing frame; the scan stops */
        s->cur = fr.up;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            break;
        }
        return fail(s, STMT_ERR_JSON, "RFC 8259 4: expected ',' or '}'");
    }
    /* xapi-lrs.md V6 / xAPI Data 2.2: a property at most once; scolar rejects duplicates. */
    if (members > 1) {
        struct key_ent *e = s->ents + first_ent;
        const struct key_ent *dup = NULL;
        if (members <= SMALL_OBJECT) {
            /* a statement's objects are small: each pair, without sorting (the smallest
             * duplicate key is reported, as the sorted scan below does) */
            for (size_t i = 0; i < members; i++)
                for (size_t j = i + 1; j < members; j++)
                    if (e[i].len == e[j].len &&
                        !memcmp(s->keys + e[i].off, s->keys + e[j].off, e[i].len) &&
                        (!dup || cmp_keys(&e[i], dup, s->keys) < 0))
                        dup = &e[i];
        } else {
            qsort_r(e, members, sizeof(*e), cmp_keys, s->keys);
            for (size_t i = 1; i < members && !dup; i++)
                if (cmp_keys(&e[i - 1], &e[i], s->keys) == 0)
                    dup = &e[i];
        }
        if (dup) {
            /* reported at the end of the object that holds the key twice */
            struct frame fr = {s->cur, 0, 0, dup->off, dup->len};
            s->cur = &fr;
            rc = fail(s, STMT_ERR_JSON,
                      "xAPI Data 2.2: duplicate key in object (a property "
                      "may appear only once)");
            s->cur = fr.up;
            return rc;
        }
    }
    s->nents = first_ent;
    s->klen = first_key;
    return STMT_OK;
}

static int scan_array(struct scan *s, unsigned depth)
{
    size_t i = 0;
    int rc;

    s->p++; /* '[' */
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return STMT_OK;
    }
    for (;; i++) {
        struct frame fr;
        if (i + 1 > s->lim.max_members)
            return fail(s, STMT_ERR_LIMIT, "array has more elements than the configured limit");
        fr.up = s->cur;
        fr.is_index = 1;
        fr.idx = i;
        fr.koff = fr.klen = 0;
        s->cur = &fr;
        rc = scan_value(s, depth);
        if (rc != STMT_OK)
            return rc;
        s->cur = fr.up;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return STMT_OK;
        }
        return fail(s, STMT_ERR_JSON, "RFC 8259 5: expected ',' or ']'");
    }
}

static int literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return fail(s, STMT_ERR_JSON, "RFC 8259 3: invalid literal");
    s->p += n;
    return STMT_OK;
}

static int scan_value(struct scan *s, unsigned depth)
{
    skip_ws(s);
    if (s->p >= s->end)
        return fail(s, STMT_ERR_JSON, "RFC 8259 3: expected a value");
    if (++s->tokens > s->lim.max_tokens)
        return fail(s, STMT_ERR_LIMIT, "more values than the configured token limit");
    switch (*s->p) {
    case '{':
    case '[':
        if (depth + 1 > s->lim.max_depth)
            return fail(s, STMT_ERR_LIMIT, "nesting deeper than the configured limit");
        return *s->p == '{' ? scan_object(s, depth + 1) : scan_array(s, depth + 1);
    case '"':
        return scan_string(s, 0);
    case 't':
        return literal(s, "true");
    case 'f':
        return literal(s, "false");
    case 'n':
        return literal(s, "null");
    default:
        if (*s->p == '-' || is_digit(*s->p))
            return scan_number(s);
        return fail(s, STMT_ERR_JSON,
                    "RFC 8259 3: unexpected character (not a JSON value; NaN, Infinity, '+' and "
                    "'.5' are not JSON)");
    }
}

int stmt_json_scan(const char *buf, size_t len, const struct stmt_json_limits *lim,
                   struct stmt_diag *diag)
{
    struct scan s;
    int rc;

    memset(&s, 0, sizeof(s));
    s.keys = s.kbuf;
    s.kcap = sizeof s.kbuf;
    s.ents = s.ebuf;
    s.ecap = sizeof s.ebuf / sizeof s.ebuf[0];
    s.diag = diag;
    if (!buf && len)
        return stmt__diag_set(diag, STMT_ERR_ARG, "$", "NULL buffer");
    s.start = s.p = (const unsigned char *)(buf ? buf : "");
    s.end = s.p + len;
    s.lim.max_depth = lim && lim->max_depth ? lim->max_depth : STMT_JSON_MAX_DEPTH;
    s.lim.max_members = lim && lim->max_members ? lim->max_members : STMT_JSON_MAX_MEMBERS;
    s.lim.max_string = lim && lim->max_string ? lim->max_string : STMT_JSON_MAX_STRING;
    s.lim.max_tokens = lim && lim->max_tokens ? lim->max_tokens : STMT_JSON_MAX_TOKENS;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        rc = fail(&s, STMT_ERR_JSON, "RFC 8259 8.1: a byte order mark is not allowed");
        goto out;
    }
    skip_ws(&s);
    if (s.p >= s.end) {
        rc = fail(&s, STMT_ERR_JSON, "RFC 8259 2: empty document");
        goto out;
    }
    rc = scan_value(&s, 0);
    if (rc != STMT_OK)
        goto out;
    skip_ws(&s);
    if (s.p != s.end)
        rc = fail(&s, STMT_ERR_JSON, "RFC 8259 2: trailing bytes after the JSON value");
out:
    if (s.keys != s.kbuf)
        sc_free(s.keys);
    if (s.ents != s.ebuf)
        sc_free(s.ents);
    return rc;
}

cJSON *stmt_json_parse(const char *buf, size_t len, const struct stmt_json_limits *lim,
                       struct stmt_diag *diag)
{
    cJSON *j;

    if (stmt_json_scan(buf, len, lim, diag) != STMT_OK)
        return NULL;
    /* the tree cJSON would build, built without its second pass over each string and its
     * number buffer (common/sc_json.c; never cJSON_GetErrorPtr, process-global: security.md 3) */
    j = sc_json_parse_valid(buf, len);
    if (!j) {
        /* The scan accepted the text, so cJSON can only have failed to allocate. */
        stmt__diag_set(diag, STMT_ERR_NOMEM, "$", "out of memory while building the JSON tree");
        return NULL;
    }
    return j;
}

cJSON *stmt_json_parse_stored(const char *buf, size_t len)
{
    if (buf && stmt_json_scan(buf, len, NULL, NULL) == STMT_OK)
        return sc_json_parse_valid(buf, len); /* NULL: out of memory, as cJSON would be */
    return cJSON_ParseWithLength(buf, len);
}
