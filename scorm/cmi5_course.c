/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmi5 course import (spec 13 "Course Structure Data Model", 14 "Content Packaging"): parse
 * cmi5.xml with libxml2 (no network, no entities, no DTD), check it against the course
 * structure XSD by hand (the element order of courseType, blockType and auType, required
 * attributes, the moveOn / launchMethod enumerations, masteryScore in [0, 1]) and the rules the
 * XSD cannot say (3.0.0.0-1 absolute IRIs, 13.1.x unique ids, 13.1.4.0-2 valid AU URLs,
 * 8.1.0.0-6 no reserved launch parameters, 14.1.0.0-4 relative URLs name a file of the zip,
 * 14.2.0.0-1 absolute URLs without a zip). A zip's files go to DATA/cmi5/<course>/ (a
 * temporary folder renamed once the record is committed; the zip entry checks are scorm_zip.c's),
 * or on a PostgreSQL store to content rows in the record's transaction (cmi5_content.c).
 */
#include "scorm/cmi5_int.h"
#include "scorm/scorm_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sc_alloc.h"
#include "common/sc_json.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"

#define NS "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"

const char *cmi5_strerror(int code)
{
    switch (code) {
    case CMI5_OK:
        return "success";
    case CMI5_ERR_NOMEM:
        return "out of memory";
    case CMI5_ERR_INVALID:
        return "invalid cmi5 course structure or package";
    case CMI5_ERR_NOTFOUND:
        return "not found";
    case CMI5_ERR_STORE:
        return "store failure";
    case CMI5_ERR_IO:
        return "file system error";
    case CMI5_ERR_REFUSED:
        return "refused by a cmi5 rule";
    case CMI5_ERR_ARG:
        return "invalid argument";
    case CMI5_ERR_STATE:
        return "not allowed in the current state";
    }
    return "unknown error";
}

void cmi5__diag(struct cmi5_diag *d, const char *rule, const char *where, const char *fmt, ...)
{
    va_list ap;
    if (!d)
        return;
    snprintf(d->rule, sizeof d->rule, "%s", rule ? rule : "");
    snprintf(d->where, sizeof d->where, "%s", where ? where : "");
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

int cmi5__iri_abs(const char *s)
{
    const char *p = s;
    if (!s || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    while (*p && *p != ':') {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '-' || *p == '.'))
            return 0;
        p++;
    }
    if (*p != ':' || !p[1])
        return 0;
    for (p++; *p; p++)
        if ((unsigned char)*p <= ' ' || strchr("<>\"{}|\\^`", *p))
            return 0;
    return 1;
}

int cmi5__dir(struct cmi5 *c, const char *course, char *out, size_t outlen)
{
    int n = course ? snprintf(out, outlen, "%s/cmi5/%s", stmt_db_dir(c->db), course)
                   : snprintf(out, outlen, "%s/cmi5", stmt_db_dir(c->db));
    return n < 0 || (size_t)n >= outlen ? CMI5_ERR_IO : CMI5_OK;
}

static int rm_visit(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int cmi5__rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_visit, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* ---- parsing ---------------------------------------------------------------------------- */

struct parse {
    cJSON *blocks, *aus, *objectives;
    const char **ids; /* course, block and AU ids (13.1.2.0-1, 13.1.4.0-1) */
    size_t nids, capids;
    int zip;
    const struct scorm__zip *z;
    struct cmi5_diag *diag;
};

static int is_ours(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           !strcmp((const char *)n->ns->href, NS) &&
           (!name || !strcmp((const char *)n->name, name));
}

/* The next element child at or after n; foreign-namespace elements (the XSD's anyElement,
 * namespace ##other, processContents lax) are skipped; an element without a namespace is not
 * ##other: refused. */
static const xmlNode *next_el(const xmlNode *n, struct parse *p, int *bad)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_ours(n, NULL))
            return n;
        if (!n->ns) {
            cmi5__diag(
                p->diag, "13.2.0.0-1", (const char *)n->name,
                "line %ld: element <%s> is not in the course structure namespace and not "
                "in another namespace (CourseStructure.xsd: only ##other elements extend it)",
                xmlGetLineNo(n), n->name);
            *bad = 1;
            return NULL;
        }
    }
    return NULL;
}

static int expect_fail(struct parse *p, const xmlNode *parent, const xmlNode *got, const char *want)
{
    if (got)
        cmi5__diag(
            p->diag, "13.2.0.0-1", (const char *)got->name,
            "line %ld: <%s> where CourseStructure.xsd expects %s inside <%s> (element order)",
            xmlGetLineNo(got), got->name, want, parent->name);
    else
        cmi5__diag(p->diag, "13.2.0.0-1", (const char *)parent->name,
                   "line %ld: <%s> lacks %s (CourseStructure.xsd)", xmlGetLineNo(parent),
                   parent->name, want);
    return CMI5_ERR_INVALID;
}

static char *trimmed(const xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    char *s, *e, *out;
    if (!t)
        return sc_strdup("");
    s = (char *)t;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    out = sc_malloc((size_t)(e - s) + 1);
    if (out) {
        memcpy(out, s, (size_t)(e - s));
        out[e - s] = 0;
    }
    xmlFree(t);
    return out;
}

/* textType: langstring+ (13.1.1 title / description); the first langstring is kept. */
static int text_type(struct parse *p, const xmlNode *el, char **first)
{
    int bad = 0, n = 0;
    const xmlNode *c = next_el(el->children, p, &bad);
    *first = NULL;
    for (; c; c = next_el(c->next, p, &bad)) {
        if (!is_ours(c, "langstring"))
            return expect_fail(p, el, c, "<langstring>");
        if (!n++ && !(*first = trimmed(c)))
            return CMI5_ERR_NOMEM;
    }
    if (bad)
        return CMI5_ERR_INVALID;
    if (!n)
        return expect_fail(p, el, NULL, "a <langstring>");
    return CMI5_OK;
}

static int attr_check(struct parse *p, const xmlNode *el, const char *const *allowed)
{
    for (const xmlAttr *a = el->properties; a; a = a->next) {
        int ok = a->ns != NULL; /* anyAttribute namespace="##other" */
        for (const char *const *k = allowed; !ok && *k; k++)
            ok = !strcmp((const char *)a->name, *k);
        if (!ok) {
            cmi5__diag(p->diag, "13.2.0.0-1", (const char *)el->name,
                       "line %ld: attribute %s is not allowed on <%s> (CourseStructure.xsd)",
                       xmlGetLineNo(el), a->name, el->name);
            return CMI5_ERR_INVALID;
        }
    }
    return CMI5_OK;
}

static char *attr(const xmlNode *el, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(el, (const xmlChar *)name);
    char *s = v ? sc_strdup((const char *)v) : NULL;
    xmlFree(v);
    return s;
}

static int add_id(struct parse *p, const char *id, const xmlNode *el)
{
    for (size_t i = 0; i < p->nids; i++)
        if (!strcmp(p->ids[i], id)) {
            const char *rule = !strcmp((const char *)el->name, "block") ? "13.1.2.0-1"
                               : !strcmp((const char *)el->name, "au")  ? "13.1.4.0-1"
                                                                        : "13.1.0.0-1";
            cmi5__diag(p->diag, rule, id,
                       "line %ld: <%s id=\"%s\">: the id is already used in this course structure "
                       "(ids of the course, blocks and AUs must be unique)",
                       xmlGetLineNo(el), el->name, id);
            return CMI5_ERR_INVALID;
        }
    if (p->nids == p->capids) {
        size_t cap = p->capids ? p->capids * 2 : 64;
        const char **n = sc_realloc(p->ids, cap * sizeof *n);
        if (!n)
            return CMI5_ERR_NOMEM;
        p->ids = n;
        p->capids = cap;
    }
    p->ids[p->nids++] = id;
    return CMI5_OK;
}

/* id attribute: required, an absolute IRI (3.0.0.0-1), unique. Stored in o["publisherId"]. */
static int id_attr(struct parse *p, const xmlNode *el, cJSON *o)
{
    char *id = attr(el, "id");
    cJSON *s;
    if (!id) {
        cmi5__diag(p->diag, "13.2.0.0-1", (const char *)el->name,
                   "line %ld: <%s> lacks the required id attribute", xmlGetLineNo(el), el->name);
        return CMI5_ERR_INVALID;
    }
    if (!cmi5__iri_abs(id)) {
        cmi5__diag(p->diag, "3.0.0.0-1", id,
                   "line %ld: <%s id=\"%.200s\">: ids must be absolute IRIs (a scheme, ':' and "
                   "no spaces)",
                   xmlGetLineNo(el), el->name, id);
        sc_free(id);
        return CMI5_ERR_INVALID;
    }
    s = cJSON_AddStringToObject(o, "publisherId", id);
    sc_free(id);
    if (!s)
        return CMI5_ERR_NOMEM;
    if (!strcmp((const char *)el->name, "objective"))
        return CMI5_OK;
    return add_id(p, s->valuestring, el);
}

static int title_desc(struct parse *p, const xmlNode *el, const xmlNode **c, cJSON *o)
{
    int bad = 0, rc;
    char *t = NULL;
    static const char *const names[] = {"title", "description"};
    for (int i = 0; i < 2; i++) {
        if (!*c || !is_ours(*c, names[i]))
            return expect_fail(p, el, *c, i ? "<description>" : "<title>");
        rc = text_type(p, *c, &t);
        if (rc)
            return rc;
        if (!cJSON_AddStringToObject(o, names[i], t)) {
            sc_free(t);
            return CMI5_ERR_NOMEM;
        }
        sc_free(t);
        *c = next_el((*c)->next, p, &bad);
        if (bad)
            return CMI5_ERR_INVALID;
    }
    return CMI5_OK;
}

/* referencesObjectivesType: objective+ with idref (3.0.0.0-1: IRIs; the objectives of the
 * course structure). */
static int objective_refs(struct parse *p, const xmlNode *el, cJSON *o)
{
    int bad = 0;
    cJSON *arr = cJSON_AddArrayToObject(o, "objectives");
    if (!arr)
        return CMI5_ERR_NOMEM;
    for (const xmlNode *c = next_el(el->children, p, &bad); c; c = next_el(c->next, p, &bad)) {
        char *ref;
        if (!is_ours(c, "objective"))
            return expect_fail(p, el, c, "<objective idref=...>");
        ref = attr(c, "idref");
        if (!ref || !cmi5__iri_abs(ref)) {
            cmi5__diag(p->diag, "3.0.0.0-1", ref ? ref : "objective",
                       "line %ld: <objective idref=\"%.200s\">: an objective reference must be "
                       "the absolute IRI of an objective",
                       xmlGetLineNo(c), ref ? ref : "");
            sc_free(ref);
            return CMI5_ERR_INVALID;
        }
        cJSON_AddItemToArray(arr, cJSON_CreateString(ref));
        sc_free(ref);
    }
    return bad ? CMI5_ERR_INVALID : CMI5_OK;
}

/* spec 8.1.0.0-6: the AU URL must not carry the launch parameters the LMS adds */
static const char *const RESERVED[] = {"endpoint",     "fetch",      "actor",
                                       "registration", "activityId", NULL};

static int url_check(struct parse *p, const xmlNode *el, const char *url)
{
    const char *q = strchr(url, '?');
    if (!*url || strpbrk(url, " \t\r\n<>\"{}|\\^`")) {
        cmi5__diag(p->diag, "13.1.4.0-2", url,
                   "line %ld: AU url '%.200s' is not a valid URL (13.1.4: a URL-encoded IRI; no "
                   "spaces)",
                   xmlGetLineNo(el), url);
        return CMI5_ERR_INVALID;
    }
    for (const char *s = q; s && *s; s = strchr(s + 1, '&')) {
        const char *name = s + 1;
        size_t n = strcspn(name, "=&#");
        for (const char *const *r = RESERVED; *r; r++)
            if (strlen(*r) == n && !strncmp(name, *r, n)) {
                cmi5__diag(p->diag, "8.1.0.0-6", url,
                           "line %ld: AU url '%.200s' carries the launch parameter '%s' that the "
                           "LMS adds at launch",
                           xmlGetLineNo(el), url, *r);
                return CMI5_ERR_INVALID;
            }
    }
    if (cmi5__iri_abs(url))
        return CMI5_OK;
    /* relative: only inside a zip, and naming one of its files (14.1.0.0-4, 14.2.0.0-1) */
    if (!p->zip) {
        cmi5__diag(p->diag, "14.2.0.0-1", url,
                   "line %ld: AU url '%.200s' is relative but the course structure came without "
                   "a package: every AU url must be absolute",
                   xmlGetLineNo(el), url);
        return CMI5_ERR_INVALID;
    }
    {
        char path[1024];
        size_t n = strcspn(url, "?#");
        int case_only = 0;
        const struct scorm__entry *e;
        if (n >= sizeof path || url[0] == '/') {
            cmi5__diag(p->diag, "14.1.0.0-4", url,
                       "line %ld: AU url '%.200s' must be relative to the package root",
                       xmlGetLineNo(el), url);
            return CMI5_ERR_INVALID;
        }
        memcpy(path, url, n);
        path[n] = 0;
        e = scorm__zip_find(p->z, path, &case_only);
        if (!e || case_only) {
            cmi5__diag(p->diag, "14.1.0.0-4", url,
                       "line %ld: AU url '%.200s' names no file of the package", xmlGetLineNo(el),
                       url);
            return CMI5_ERR_INVALID;
        }
    }
    return CMI5_OK;
}

static int parse_au(struct parse *p, const xmlNode *el, cJSON *parents)
{
    static const char *const attrs[] = {"id",           "moveOn",       "masteryScore",
                                        "launchMethod", "activityType", NULL};
    const xmlNode *c;
    cJSON *au = cJSON_CreateObject();
    char *v = NULL, *url = NULL;
    int bad = 0, rc;

    if (!au)
        return CMI5_ERR_NOMEM;
    cJSON_AddItemToArray(p->aus, au);
    if ((rc = attr_check(p, el, attrs)) || (rc = id_attr(p, el, au)))
        return rc;
    cJSON_AddNumberToObject(au, "index", cJSON_GetArraySize(p->aus) - 1);
    v = attr(el, "moveOn");
    if (v && strcmp(v, "NotApplicable") && strcmp(v, "Passed") && strcmp(v, "Completed") &&
        strcmp(v, "CompletedAndPassed") && strcmp(v, "CompletedOrPassed")) {
        cmi5__diag(p->diag, "13.1.4.0-4", "moveOn",
                   "line %ld: moveOn=\"%.64s\" is not one of NotApplicable, Passed, Completed, "
                   "CompletedAndPassed, CompletedOrPassed",
                   xmlGetLineNo(el), v);
        sc_free(v);
        return CMI5_ERR_INVALID;
    }
    cJSON_AddStringToObject(au, "moveOn", v ? v : "NotApplicable"); /* XSD default */
    sc_free(v);
    v = attr(el, "masteryScore");
    if (v) {
        char *end;
        double d = strtod(v, &end);
        /* xs:decimal: digits with an optional sign and point, no exponent */
        if (end == v || *end || strpbrk(v, "eEnN") || d < 0 || d > 1) {
            cmi5__diag(p->diag, "13.1.4.0-5", "masteryScore",
                       "line %ld: masteryScore=\"%.64s\" must be a decimal from 0 to 1",
                       xmlGetLineNo(el), v);
            sc_free(v);
            return CMI5_ERR_INVALID;
        }
        cJSON_AddNumberToObject(au, "masteryScore", d);
        sc_free(v);
    }
    v = attr(el, "launchMethod");
    if (v && strcmp(v, "AnyWindow") && strcmp(v, "OwnWindow")) {
        cmi5__diag(p->diag, "13.1.4.0-6", "launchMethod",
                   "line %ld: launchMethod=\"%.64s\" is not AnyWindow or OwnWindow",
                   xmlGetLineNo(el), v);
        sc_free(v);
        return CMI5_ERR_INVALID;
    }
    cJSON_AddStringToObject(au, "launchMethod", v ? v : "AnyWindow");
    sc_free(v);
    v = attr(el, "activityType");
    if (v)
        cJSON_AddStringToObject(au, "activityType", v);
    sc_free(v);
    sc_json_add(au, "blocks", cJSON_Duplicate(parents, 1));

    c = next_el(el->children, p, &bad);
    if (bad || (rc = title_desc(p, el, &c, au)))
        return bad ? CMI5_ERR_INVALID : rc;
    if (c && is_ours(c, "objectives")) {
        if ((rc = objective_refs(p, c, au)))
            return rc;
        c = next_el(c->next, p, &bad);
    }
    if (!c || !is_ours(c, "url"))
        return expect_fail(p, el, c, "<url>");
    if (!(url = trimmed(c)))
        return CMI5_ERR_NOMEM;
    rc = url_check(p, c, url);
    if (!rc && !cJSON_AddStringToObject(au, "url", url))
        rc = CMI5_ERR_NOMEM;
    sc_free(url);
    if (rc)
        return rc;
    c = next_el(c->next, p, &bad);
    for (int i = 0; i < 2 && c; i++) {
        static const char *const opt[] = {"launchParameters", "entitlementKey"};
        if (is_ours(c, opt[i])) {
            if (!(v = trimmed(c)))
                return CMI5_ERR_NOMEM;
            cJSON_AddStringToObject(au, opt[i], v);
            sc_free(v);
            c = next_el(c->next, p, &bad);
        }
    }
    if (c)
        return expect_fail(p, el, c, "nothing more of the course structure namespace");
    return bad ? CMI5_ERR_INVALID : CMI5_OK;
}

static int parse_children(struct parse *p, const xmlNode *el, const xmlNode *c, cJSON *parents);

static int parse_block(struct parse *p, const xmlNode *el, cJSON *parents)
{
    static const char *const attrs[] = {"id", NULL};
    const xmlNode *c;
    cJSON *b = cJSON_CreateObject(), *mine;
    int bad = 0, rc, idx;

    if (!b)
        return CMI5_ERR_NOMEM;
    cJSON_AddItemToArray(p->blocks, b);
    idx = cJSON_GetArraySize(p->blocks) - 1;
    if ((rc = attr_check(p, el, attrs)) || (rc = id_attr(p, el, b)))
        return rc;
    cJSON_AddNumberToObject(b, "index", idx);
    cJSON_AddNumberToObject(
        b, "parent",
        cJSON_GetArraySize(parents)
            ? cJSON_GetArrayItem(parents, cJSON_GetArraySize(parents) - 1)->valuedouble
            : -1);
    c = next_el(el->children, p, &bad);
    if (bad || (rc = title_desc(p, el, &c, b)))
        return bad ? CMI5_ERR_INVALID : rc;
    if (c && is_ours(c, "objectives")) {
        if ((rc = objective_refs(p, c, b)))
            return rc;
        c = next_el(c->next, p, &bad);
    }
    mine = cJSON_Duplicate(parents, 1);
    if (!mine)
        return CMI5_ERR_NOMEM;
    cJSON_AddItemToArray(mine, cJSON_CreateNumber(idx));
    rc = parse_children(p, el, c, mine);
    cJSON_Delete(mine);
    return rc;
}

/* (au | block)+ then nothing of ours */
static int parse_children(struct parse *p, const xmlNode *el, const xmlNode *c, cJSON *parents)
{
    int n = 0, bad = 0, rc;
    for (; c; c = next_el(c->next, p, &bad), n++) {
        if (is_ours(c, "au"))
            rc = parse_au(p, c, parents);
        else if (is_ours(c, "block"))
            rc = parse_block(p, c, parents);
        else
            return expect_fail(p, el, c, n ? "<au> or <block>" : "an <au> or a <block>");
        if (rc)
            return rc;
        if (cJSON_GetArraySize(p->aus) > CMI5_MAX_AUS) {
            cmi5__diag(p->diag, "", "au", "more than %d AUs", CMI5_MAX_AUS);
            return CMI5_ERR_INVALID;
        }
    }
    if (bad)
        return CMI5_ERR_INVALID;
    if (!n)
        return expect_fail(p, el, NULL, "an <au> or a <block>");
    return CMI5_OK;
}

static int parse_objectives(struct parse *p, const xmlNode *el)
{
    int bad = 0, rc;
    for (const xmlNode *c = next_el(el->children, p, &bad); c; c = next_el(c->next, p, &bad)) {
        cJSON *o;
        const xmlNode *t;
        int have_t = 0, have_d = 0;
        if (!is_ours(c, "objective"))
            return expect_fail(p, el, c, "<objective>");
        o = cJSON_CreateObject();
        if (!o)
            return CMI5_ERR_NOMEM;
        cJSON_AddItemToArray(p->objectives, o);
        if ((rc = id_attr(p, c, o)))
            return rc;
        cJSON *e;
        cJSON_ArrayForEach(e, p->objectives)
        {
            const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(e, "publisherId"));
            if (e != o && a &&
                !strcmp(a, cJSON_GetStringValue(cJSON_GetObjectItem(o, "publisherId")))) {
                cmi5__diag(p->diag, "13.1.3.0-1", a,
                           "line %ld: objective id '%.200s' is declared twice", xmlGetLineNo(c), a);
                return CMI5_ERR_INVALID;
            }
        }
        /* xs:all: title and description once each, in any order */
        for (t = next_el(c->children, p, &bad); t; t = next_el(t->next, p, &bad)) {
            char *s = NULL;
            int *have = is_ours(t, "title") ? &have_t : is_ours(t, "description") ? &have_d : NULL;
            if (!have || *have)
                return expect_fail(p, c, t, "one <title> and one <description>");
            *have = 1;
            if ((rc = text_type(p, t, &s)))
                return rc;
            cJSON_AddStringToObject(o, have == &have_t ? "title" : "description", s);
            sc_free(s);
        }
        if (!have_t || !have_d)
            return expect_fail(p, c, NULL, have_t ? "<description>" : "<title>");
    }
    return bad ? CMI5_ERR_INVALID : CMI5_OK;
}

static int refs_known(struct parse *p, cJSON *list)
{
    cJSON *o, *r;
    cJSON_ArrayForEach(o, list)
    {
        cJSON_ArrayForEach(r, cJSON_GetObjectItem(o, "objectives"))
        {
            int found = 0;
            cJSON *d;
            cJSON_ArrayForEach(d, p->objectives) found |= !strcmp(
                cJSON_GetStringValue(cJSON_GetObjectItem(d, "publisherId")), r->valuestring);
            if (!found) {
                cmi5__diag(p->diag, "13.1.3.0-1", r->valuestring,
                           "objective reference '%.200s' names no objective of the course "
                           "structure's <objectives>",
                           r->valuestring);
                return CMI5_ERR_INVALID;
            }
        }
    }
    return CMI5_OK;
}

/* Parse and check; *out = {"publisherId","title","description","blocks","aus","objectives"}. */
static int parse_structure(const char *xml, size_t len, struct parse *p, cJSON **out)
{
    xmlDocPtr doc = NULL;
    const xmlNode *root, *c;
    cJSON *course = NULL, *empty = NULL;
    int rc = CMI5_ERR_INVALID, bad = 0;

    if (len > CMI5_MAX_XML) {
        cmi5__diag(p->diag, "13.2.0.0-1", "cmi5.xml", "course structure larger than %u bytes",
                   CMI5_MAX_XML);
        return CMI5_ERR_INVALID;
    }
    doc = xmlReadMemory(xml, (int)len, "cmi5.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        cmi5__diag(p->diag, "13.2.0.0-1", "cmi5.xml", "not well-formed XML%s%s (line %d)",
                   e && e->message ? ": " : "", e && e->message ? e->message : "", e ? e->line : 0);
        return CMI5_ERR_INVALID;
    }
    if (doc->intSubset) {
        cmi5__diag(p->diag, "13.2.0.0-1", "cmi5.xml",
                   "a DOCTYPE is not allowed in a course structure (no DTD, no entities)");
        goto out;
    }
    root = xmlDocGetRootElement(doc);
    if (!root || !is_ours(root, "courseStructure")) {
        cmi5__diag(p->diag, "13.2.0.0-1", root ? (const char *)root->name : "cmi5.xml",
                   "the root element must be <courseStructure> in namespace %s", NS);
        goto out;
    }
    course = cJSON_CreateObject();
    p->blocks = cJSON_AddArrayToObject(course, "blocks");
    p->aus = cJSON_AddArrayToObject(course, "aus");
    p->objectives = cJSON_AddArrayToObject(course, "objectives");
    empty = cJSON_CreateArray();
    if (!p->blocks || !p->aus || !p->objectives || !empty) {
        rc = CMI5_ERR_NOMEM;
        goto out;
    }
    c = next_el(root->children, p, &bad);
    if (!c || !is_ours(c, "course")) {
        rc = bad ? CMI5_ERR_INVALID : expect_fail(p, root, c, "<course>");
        goto out;
    }
    {
        static const char *const attrs[] = {"id", NULL};
        const xmlNode *cc = next_el(c->children, p, &bad);
        if (bad || (rc = attr_check(p, c, attrs)) || (rc = id_attr(p, c, course)) ||
            (rc = title_desc(p, c, &cc, course)))
            goto out;
        if (cc) {
            rc = expect_fail(p, c, cc, "nothing more of the course structure namespace");
            goto out;
        }
    }
    c = next_el(c->next, p, &bad);
    if (c && is_ours(c, "objectives")) {
        if ((rc = parse_objectives(p, c)))
            goto out;
        c = next_el(c->next, p, &bad);
    }
    if (bad) {
        rc = CMI5_ERR_INVALID;
        goto out;
    }
    if ((rc = parse_children(p, root, c, empty)) || (rc = refs_known(p, p->aus)) ||
        (rc = refs_known(p, p->blocks)))
        goto out;
    *out = course;
    course = NULL;
out:
    cJSON_Delete(empty);
    cJSON_Delete(course);
    xmlFreeDoc(doc);
    return rc;
}

/* ---- import ------------------------------------------------------------------------------ */

int cmi5_sniff(const void *buf, size_t len)
{
    const unsigned char *b = buf;
    size_t i = 0;
    if (len >= 4 && b[0] == 'P' && b[1] == 'K') {
        struct scorm__zip *z = NULL;
        int case_only = 0, yes;
        if (scorm__zip_open_opt(buf, len, NULL, 0, &z, NULL, NULL))
            return 0;
        yes = scorm__zip_find(z, "cmi5.xml", &case_only) && !case_only &&
              !scorm__zip_find(z, "imsmanifest.xml", &case_only);
        scorm__zip_close(z);
        return yes;
    }
    if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        i = 3;
    while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
        i++;
    return i < len && b[i] == '<' && memmem(b, len < 65536 ? len : 65536, "courseStructure", 15);
}

static int unique_id(struct cmi5 *c, char out[SCORM_MAX_COURSE_ID + 1])
{
    unsigned char rnd[6];
    char hex[13];
    for (int i = 0; i < 8; i++) {
        cJSON *x = NULL;
        if (sc_random_bytes(rnd, sizeof rnd))
            return CMI5_ERR_IO;
        sc_hex(rnd, sizeof rnd, hex);
        snprintf(out, SCORM_MAX_COURSE_ID + 1, "cmi5-%s", hex);
        if (cmi5__load(c, CMI5_T_COURSES, out, &x) == CMI5_ERR_NOTFOUND)
            return CMI5_OK;
        cJSON_Delete(x);
    }
    return CMI5_ERR_IO;
}

/* The LMS's activity ids: distinct from the publisher's ids (8.1.5.0-3, 9.3.9.0-4), stable for
 * the course (8.1.5.0-4). */
static void lms_ids(cJSON *course, const char *id)
{
    char buf[512];
    cJSON *e;
    snprintf(buf, sizeof buf, "urn:scolar:cmi5:%s:course", id);
    cJSON_AddStringToObject(course, "activityId", buf);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(course, "blocks"))
    {
        snprintf(buf, sizeof buf, "urn:scolar:cmi5:%s:block:%d", id,
                 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "index")));
        cJSON_AddStringToObject(e, "activityId", buf);
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(course, "aus"))
    {
        snprintf(buf, sizeof buf, "urn:scolar:cmi5:%s:au:%d", id,
                 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "index")));
        cJSON_AddStringToObject(e, "activityId", buf);
    }
}

int cmi5_structure_check(const void *xml, size_t len, cJSON **out, struct cmi5_diag *diag)
{
    struct parse p;
    int rc;
    memset(&p, 0, sizeof p);
    p.diag = diag;
    rc = parse_structure(xml, len, &p, out);
    sc_free(p.ids);
    return rc;
}

int cmi5_course_import(struct cmi5 *c, const void *buf, size_t len, int is_zip, cJSON **out,
                       struct cmi5_diag *diag)
{
    struct parse p;
    struct scorm__zip *z = NULL;
    struct scorm_diag sd;
    char *xml = NULL, id[SCORM_MAX_COURSE_ID + 1], tmp[4200], dir[4096], ts[SC_TIME_ISO_LEN];
    size_t xlen = len;
    cJSON *course = NULL;
    int rc, tmp_made = 0, in_db = cmi5__content_in_db(c);
    struct cmi5__content_place_ctx pc = {0};

    memset(&p, 0, sizeof p);
    memset(&sd, 0, sizeof sd);
    p.diag = diag;
    p.zip = is_zip;
    if (is_zip) {
        int case_only = 0;
        const struct scorm__entry *e;
        rc = scorm__zip_open_opt(buf, len, NULL, 0, &z, NULL, &sd);
        if (rc) {
            cmi5__diag(diag, "14.1.0.0-1", sd.file[0] ? sd.file : "package",
                       "the package is not an acceptable zip: %s",
                       sd.msg[0] ? sd.msg : scorm_strerror(rc));
            return CMI5_ERR_INVALID;
        }
        e = scorm__zip_find(z, "cmi5.xml", &case_only);
        if (!e || case_only) {
            cmi5__diag(diag, "14.1.0.0-2", "cmi5.xml",
                       "the package has no cmi5.xml at the root of the zip");
            rc = CMI5_ERR_INVALID;
            goto out;
        }
        rc = scorm__zip_read(z, (size_t)(e - z->ent), CMI5_MAX_XML, &xml, &xlen, &sd);
        if (rc) {
            cmi5__diag(diag, "14.1.0.0-2", "cmi5.xml", "cannot read cmi5.xml: %s",
                       sd.msg[0] ? sd.msg : scorm_strerror(rc));
            rc = CMI5_ERR_INVALID;
            goto out;
        }
        p.z = z;
    }
    rc = parse_structure(xml ? xml : buf, xml ? xlen : len, &p, &course);
    if (rc)
        goto out;
    if ((rc = unique_id(c, id)))
        goto out;
    cJSON_AddStringToObject(course, "id", id);
    cJSON_AddStringToObject(course, "type", "cmi5");
    cJSON_AddStringToObject(course, "created", sc_time_format_iso(sc_time_now_us(), 3, ts));
    cJSON_AddBoolToObject(course, "package", is_zip);
    lms_ids(course, id);
    if (is_zip) {
        unsigned char rnd[8];
        char hex[17];
        int fd;
        if (in_db) { /* extracted in the node's DATA/content/.tmp-* (start-up cleans it) */
            struct scorm_diag td;
            memset(&td, 0, sizeof td);
            if (scorm__content_tmp(c->db, tmp, sizeof tmp, &td)) {
                rc = CMI5_ERR_IO;
                goto out;
            }
        } else {
            if (cmi5__dir(c, NULL, dir, sizeof dir) || (mkdir(dir, 0755) && errno != EEXIST) ||
                sc_random_bytes(rnd, sizeof rnd)) {
                rc = CMI5_ERR_IO;
                goto out;
            }
            sc_hex(rnd, sizeof rnd, hex);
            snprintf(tmp, sizeof tmp, "%s/.tmp-%s", dir, hex);
            if (mkdir(tmp, 0700)) {
                rc = CMI5_ERR_IO;
                goto out;
            }
        }
        tmp_made = 1;
        fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            rc = CMI5_ERR_IO;
            goto out;
        }
        rc = scorm__zip_extract(z, fd, &sd);
        close(fd);
        if (rc) {
            cmi5__diag(diag, "14.1.0.0-1", sd.file, "cannot extract the package: %s",
                       sd.msg[0] ? sd.msg : scorm_strerror(rc));
            rc = CMI5_ERR_INVALID;
            goto out;
        }
        if (in_db) { /* hashed now, rows written in the record's transaction below */
            if ((rc = cmi5__content_stage(c, tmp, &pc.stage)))
                goto out;
        } else {
            if (cmi5__dir(c, id, dir, sizeof dir) || chmod(tmp, 0755) || rename(tmp, dir)) {
                rc = CMI5_ERR_IO;
                goto out;
            }
            tmp_made = 0;
        }
    }
    {
        const char *t[] = {CMI5_T_COURSES};
        const char *k[] = {id};
        pc.c = c;
        pc.id = id;
        rc = cmi5__save_fn(c, 1, t, k, &course, pc.stage ? cmi5__content_place : NULL, &pc);
    }
    if (pc.stage) {
        scorm__content_stage_end(pc.stage, rc == CMI5_OK);
        pc.stage = NULL;
    }
    if (rc) {
        if (is_zip && !in_db && !cmi5__dir(c, id, dir, sizeof dir))
            cmi5__rm_rf(dir);
        goto out;
    }
    *out = course;
    course = NULL;
out:
    if (tmp_made)
        cmi5__rm_rf(tmp);
    sc_free(p.ids);
    sc_free(xml);
    scorm__zip_close(z);
    cJSON_Delete(course);
    return rc;
}
