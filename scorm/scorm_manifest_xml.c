/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imsmanifest.xml helpers shared by the manifest walk (scorm_manifest.c) and the sequencing
 * parser (scorm_manifest_seq.c): elements matched by namespace URI and local name, trimmed
 * attribute values, typed attributes, and hrefs resolved through the xml:base chain so that they
 * stay inside the package (security.md §5.3, RFC 3986 5.2).
 */
#include "scorm/scorm_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/sc_text.h"
#include "common/sc_alloc.h"
#include "common/sc_buf.h"

#define NS_ADLCP_PREFIX "http://www.adlnet.org/xsd/adlcp_"
#define NS_XML "http://www.w3.org/XML/1998/namespace"

/* ---- small XML helpers ------------------------------------------------------------------ */

int scorm__xml_is(const xmlNode *n, const char *ns, const char *name)
{
    if (!n || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
        return 0;
    if (!ns)
        return n->ns == NULL || n->ns->href == NULL;
    return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

static int is_adlcp_ns(const xmlNs *ns)
{
    return ns && ns->href &&
           strncmp((const char *)ns->href, NS_ADLCP_PREFIX, strlen(NS_ADLCP_PREFIX)) == 0;
}

int scorm__xml_is_adlcp(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && is_adlcp_ns(n->ns) &&
           strcasecmp((const char *)n->name, name) == 0;
}

/* An element of the IMS CP namespace of this manifest. */
int scorm__xml_is_cp(const struct scorm__mctx *c, const xmlNode *n, const char *name)
{
    return scorm__xml_is(n, (const char *)c->cp_ns, name);
}

/* Attribute values are trimmed: xs:ID, xs:IDREF, xs:anyURI and xs:token collapse white space
 * (XML Schema 2, 3.3.8), and the ADL test packages rely on it (identifier="   SEQ01     "). */
static xmlChar *trim_attr(xmlChar *v)
{
    size_t n, s = 0;
    if (!v)
        return NULL;
    n = strlen((const char *)v);
    while (s < n && isspace(v[s]))
        s++;
    while (n > s && isspace(v[n - 1]))
        n--;
    memmove(v, v + s, n - s);
    v[n - s] = '\0';
    return v;
}

xmlChar *scorm__xml_attr(const xmlNode *n, const char *ns, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (strcmp((const char *)a->name, name) != 0)
            continue;
        if (ns ? (a->ns && a->ns->href && strcmp((const char *)a->ns->href, ns) == 0)
               : a->ns == NULL)
            return trim_attr(xmlNodeListGetString(n->doc, a->children, 1));
    }
    return NULL;
}

/* An attribute in any ADL CP namespace, name compared case-insensitively (scormtype). */
xmlChar *scorm__xml_attr_adlcp(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (is_adlcp_ns(a->ns) && strcasecmp((const char *)a->name, name) == 0)
            return trim_attr(xmlNodeListGetString(n->doc, a->children, 1));
    return NULL;
}

char *scorm__trim_dup(const char *s)
{
    const char *e;
    if (!s)
        return sc_strdup("");
    while (*s && isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    return sc_strndup(s, (size_t)(e - s));
}

char *scorm__xml_text(const xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    char *r = scorm__trim_dup((const char *)t);
    xmlFree(t);
    return r;
}

int scorm__xml_visit(struct scorm__mctx *c, const xmlNode *n)
{
    (void)n;
    if (++c->visits > SCORM_MAX_XML_NODES) {
        scorm__diag_set(c->diag, SCORM_ERR_XML_LIMIT, n ? SCORM__LINE(n) : 0, "imsmanifest.xml",
                        "the manifest has more than %u nodes (security.md 4 visit budget)",
                        SCORM_MAX_XML_NODES);
        return SCORM_ERR_XML_LIMIT;
    }
    return SCORM_OK;
}

int scorm__parse_bool(const char *s, int *out)
{
    char *t = scorm__trim_dup(s);
    int ok = 1;
    if (!t)
        return 0;
    if (strcmp(t, "true") == 0 || strcmp(t, "1") == 0)
        *out = 1;
    else if (strcmp(t, "false") == 0 || strcmp(t, "0") == 0)
        *out = 0;
    else
        ok = 0;
    sc_free(t);
    return ok;
}

int scorm__parse_num(const char *s, double *out)
{
    char *end;
    double v;
    while (*s && isspace((unsigned char)*s))
        s++;
    if (!*s)
        return 0;
    v = strtod(s, &end);
    while (*end && isspace((unsigned char)*end))
        end++;
    if (*end || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

void scorm__attr_bool(struct scorm__mctx *c, cJSON *obj, const xmlNode *n, const char *ns,
                      const char *name, int def)
{
    xmlChar *v = scorm__xml_attr(n, ns, name);
    int b = def;
    if (v && !scorm__parse_bool((const char *)v, &b)) {
        scorm__warn(
            c->warnings, "line %d: %s=\"%s\" on <%s> is not an xs:boolean; the default %s applies",
            SCORM__LINE(n), name, (const char *)v, (const char *)n->name, def ? "true" : "false");
        b = def;
    }
    xmlFree(v);
    cJSON_AddBoolToObject(obj, name, b);
}

void scorm__attr_num(struct scorm__mctx *c, cJSON *obj, const xmlNode *n, const char *ns,
                     const char *name, double def)
{
    xmlChar *v = scorm__xml_attr(n, ns, name);
    double d = def;
    if (v && !scorm__parse_num((const char *)v, &d)) {
        scorm__warn(c->warnings, "line %d: %s=\"%s\" on <%s> is not a number; ignored",
                    SCORM__LINE(n), name, (const char *)v, (const char *)n->name);
        d = def;
    }
    xmlFree(v);
    if (!isnan(d))
        cJSON_AddNumberToObject(obj, name, d);
}

void scorm__attr_str(cJSON *obj, const xmlNode *n, const char *ns, const char *name,
                     const char *def)
{
    xmlChar *v = scorm__xml_attr(n, ns, name);
    if (v) {
        char *t = scorm__trim_dup((const char *)v);
        if (t)
            cJSON_AddStringToObject(obj, name, t);
        sc_free(t);
    } else if (def) {
        cJSON_AddStringToObject(obj, name, def);
    }
    xmlFree(v);
}

/* ---- hrefs and xml:base (security.md 5.3, RFC 3986 5.2) --------------------------------- */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Scheme per RFC 3986 3.1; returns its length (0 when none). */
static size_t scheme_len(const char *s)
{
    size_t i = 0;
    if (!isalpha((unsigned char)s[0]))
        return 0;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' ? i : 0;
}

void scorm__href_free(struct scorm__href *h)
{
    sc_free(h->path);
    sc_free(h->query);
    sc_free(h->url);
    memset(h, 0, sizeof *h);
}

/*
 * Resolve base (the concatenated xml:base chain, may be "") + href. External http(s) URLs are
 * kept as links (the server never fetches them); other schemes, absolute paths, bad
 * percent-escapes and '..' above the root fail with SCORM_ERR_HREF.
 */
int scorm__href_resolve(struct scorm__mctx *c, const xmlNode *at, const char *base,
                        const char *href, struct scorm__href *out)
{
    int rc = SCORM_OK;
    struct sc_buf full = SC_BUF_INIT;
    char *path = NULL, *dec = NULL;
    size_t sl;
    int backslash = 0;
    int line = at ? SCORM__LINE(at) : 0;

    memset(out, 0, sizeof *out);
    sc_buf_init(&full, 16384);
    /* an absolute href ignores the base (RFC 3986 5.2.2) */
    if (scheme_len(href) > 1 || href[0] == '/' || href[0] == '\\')
        base = "";
    if (sc_buf_puts(&full, base) != 0 || sc_buf_puts(&full, href) != 0) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    for (char *p = full.data; p && *p; p++)
        if (*p == '\\') {
            *p = '/';
            backslash = 1;
        }
    if (!full.data) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    if (backslash)
        scorm__warn(c->warnings, "line %d: href '%s' uses '\\' separators; read as '/'", line,
                    href);
    sl = scheme_len(full.data);
    if (sl == 1) {
        scorm__diag_set(c->diag, SCORM_ERR_HREF, line, "imsmanifest.xml",
                        "href '%s' (with xml:base '%s') is a Windows drive path; hrefs must be "
                        "relative to the package (security.md 5.3)",
                        href, base);
        rc = SCORM_ERR_HREF;
        goto out;
    }
    if (sl > 0) {
        if ((sl == 4 && strncasecmp(full.data, "http", 4) == 0) ||
            (sl == 5 && strncasecmp(full.data, "https", 5) == 0)) {
            out->url = sc_strdup(full.data);
            rc = out->url ? SCORM_OK : SCORM_ERR_NOMEM;
            goto out;
        }
        scorm__diag_set(c->diag, SCORM_ERR_HREF, line, "imsmanifest.xml",
                        "href '%s' (with xml:base '%s') uses the scheme '%.*s'; only relative "
                        "paths and http(s) links are allowed (security.md 5.3)",
                        href, base, (int)sl, full.data);
        rc = SCORM_ERR_HREF;
        goto out;
    }
    if (full.data[0] == '/') {
        scorm__diag_set(c->diag, SCORM_ERR_HREF, line, "imsmanifest.xml",
                        "href '%s' (with xml:base '%s') is an absolute path; hrefs must be "
                        "relative to the package (security.md 5.3)",
                        href, base);
        rc = SCORM_ERR_HREF;
        goto out;
    }
    size_t plen = strcspn(full.data, "?#");
    out->query = sc_strdup(full.data + plen);
    dec = sc_malloc(plen + 1);
    path = sc_malloc(plen + 2);
    if (!out->query || !dec || !path) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    size_t d = 0;
    for (size_t i = 0; i < plen; i++) {
        char ch = full.data[i];
        if (ch == '%') {
            int h1 = i + 1 < plen ? hexval(full.data[i + 1]) : -1;
            int h2 = i + 2 < plen ? hexval(full.data[i + 2]) : -1;
            if (h1 < 0 || h2 < 0 || (h1 == 0 && h2 == 0)) {
                scorm__diag_set(c->diag, SCORM_ERR_HREF, line, "imsmanifest.xml",
                                "href '%s' has an invalid percent-escape (RFC 3986 2.1)", href);
                rc = SCORM_ERR_HREF;
                goto out;
            }
            ch = (char)(h1 * 16 + h2);
            i += 2;
            if (ch == '\\')
                ch = '/';
        }
        dec[d++] = ch;
    }
    dec[d] = '\0';
    /* remove_dot_segments (RFC 3986 5.2.4); '..' above the root is an escape. */
    size_t w = 0;
    const char *seg = dec;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.')) {
            /* skip */
        } else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            if (w == 0) {
                scorm__diag_set(c->diag, SCORM_ERR_HREF, line, "imsmanifest.xml",
                                "href '%s' (with xml:base '%s') leads outside the package "
                                "(security.md 5.3)",
                                href, base);
                rc = SCORM_ERR_HREF;
                goto out;
            }
            while (w > 0 && path[w - 1] != '/')
                w--;
            if (w > 0)
                w--;
        } else {
            if (w > 0)
                path[w++] = '/';
            memcpy(path + w, seg, len);
            w += len;
        }
        if (!slash)
            break;
        seg = slash + 1;
    }
    path[w] = '\0';
    if (w == 0) {
        scorm__diag_set(c->diag, SCORM_ERR_HREF, line, "imsmanifest.xml",
                        "href '%s' names no file (security.md 5.3)", href);
        rc = SCORM_ERR_HREF;
        goto out;
    }
    if (!scorm__utf8_valid(path, w)) {
        scorm__diag_set(c->diag, SCORM_ERR_HREF, line, "imsmanifest.xml",
                        "href '%s' does not decode to UTF-8", href);
        rc = SCORM_ERR_HREF;
        goto out;
    }
    out->path = path;
    path = NULL;
out:
    if (rc != SCORM_OK)
        scorm__href_free(out);
    sc_free(path);
    sc_free(dec);
    sc_buf_free(&full);
    return rc;
}

/* Percent-encode a package path for use in a URL (keeps unreserved characters and '/'). */
int scorm__url_encode_path(struct sc_buf *b, const char *p)
{
    /* RFC 3986 2.1, '/' kept (common/sc_text.h) */
    return sc_pct_encode(b, p, strlen(p), "/") ? SCORM_ERR_NOMEM : SCORM_OK;
}

/* Append xml:base of n (if any) to base; returns an owned string. A relative base without a
 * trailing '/' is taken as a folder (what players do), with a warning. */
int scorm__base_join(struct scorm__mctx *c, const xmlNode *n, const char *base, char **out)
{
    xmlChar *xb = scorm__xml_attr(n, NS_XML, "base");
    struct sc_buf b = SC_BUF_INIT;
    int rc = SCORM_OK;
    sc_buf_init(&b, 16384);
    if (xb) {
        char *t = scorm__trim_dup((const char *)xb);
        if (!t) {
            rc = SCORM_ERR_NOMEM;
            goto out;
        }
        if (scheme_len(t) > 1 || t[0] == '/') {
            /* an absolute base replaces the chain (RFC 3986 5.2.2); checked at resolution */
            rc = sc_buf_puts(&b, t);
        } else {
            rc = sc_buf_puts(&b, base);
            if (rc == 0)
                rc = sc_buf_puts(&b, t);
        }
        if (rc == 0 && t[0] && t[strlen(t) - 1] != '/' && t[strlen(t) - 1] != '\\') {
            scorm__warn(c->warnings,
                        "line %d: xml:base '%s' does not end with '/'; taken as a folder",
                        SCORM__LINE(n), t);
            rc = sc_buf_putc(&b, '/');
        }
        sc_free(t);
    } else {
        rc = sc_buf_puts(&b, base);
    }
    if (rc != 0) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    *out = b.data ? sc_buf_steal(&b, NULL) : sc_strdup("");
    if (!*out)
        rc = SCORM_ERR_NOMEM;
out:
    xmlFree(xb);
    sc_buf_free(&b);
    return rc;
}
