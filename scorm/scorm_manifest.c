/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imsmanifest.xml -> course tree (cJSON), for SCORM 1.2 (CAM 1.2 / IMS CP 1.1.2) and SCORM 2004
 * 2nd, 3rd and 4th edition (CAM 1.3, IMS CP 1.1.4, IMS SS 1.0, ADL CP/SEQ/NAV 1.3).
 *
 * libxml2 2.9.14 is treated as an expendable component (security.md §4): the manifest is at
 * most 1 MiB, read from memory with XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
 * only (never NOENT, DTDLOAD, DTDATTR, DTDVALID, HUGE or XInclude); a DOCTYPE or entity
 * declaration is refused by a SAX hook that stops the parser; only UTF-8 and ISO-8859-1 are
 * accepted; the tree is walked under a node budget. Elements are matched by namespace URI and
 * local name, never by prefix (authors bind odd prefixes). hrefs are resolved through the
 * xml:base chain (manifest -> resources -> resource, CAM 3.4.1.x) and must stay inside the
 * package (security.md §5.3).
 */
#include "scorm/scorm_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/sc_json.h"

#define NS_CP12 "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
#define NS_CP2004 "http://www.imsglobal.org/xsd/imscp_v1p1"

/* ---- manifest walk ---------------------------------------------------------------------- */

struct pctx {
    struct scorm__mctx m;
    cJSON *ridx; /* resource id -> resource (references) */
    cJSON *sidx; /* sub-manifest id -> sub-manifest (references) */
};

static int missing_attr(struct scorm__mctx *c, const xmlNode *n, const char *attr, const char *rule)
{
    scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(n), "imsmanifest.xml",
                    "<%s> has no %s attribute (%s)", (const char *)n->name, attr, rule);
    return SCORM_ERR_MANIFEST;
}

static int parse_resource(struct pctx *p, const xmlNode *r, const char *base, cJSON *list)
{
    struct scorm__mctx *c = &p->m;
    int rc = SCORM_OK;
    xmlChar *id = NULL, *type = NULL, *st = NULL, *href = NULL;
    char *rbase = NULL;
    cJSON *o = NULL, *files, *deps;
    struct scorm__href h = {0};

    id = scorm__xml_attr(r, NULL, "identifier");
    if (!id || !*id) {
        rc = missing_attr(c, r, "identifier", "CAM 3.4.1.16: resource identifier is required");
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(p->ridx, (const char *)id)) {
        scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(r), "imsmanifest.xml",
                        "resource identifier '%s' is not unique (CAM 3.4.1.16, xs:ID)",
                        (const char *)id);
        rc = SCORM_ERR_MANIFEST;
        goto out;
    }
    rc = scorm__base_join(c, r, base, &rbase);
    if (rc)
        goto out;
    o = cJSON_CreateObject();
    if (!o) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    cJSON_AddStringToObject(o, "identifier", (const char *)id);
    type = scorm__xml_attr(r, NULL, "type");
    cJSON_AddStringToObject(o, "type", type ? (const char *)type : "");
    st = scorm__xml_attr_adlcp(r, "scormtype");
    if (st) {
        char *t = scorm__trim_dup((const char *)st);
        for (char *q = t; q && *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (t && strcmp(t, "sco") != 0 && strcmp(t, "asset") != 0) {
            scorm__warn(c->warnings,
                        "line %d: resource '%s' has scormType '%s'; treated as asset (CAM "
                        "3.4.1.18)",
                        SCORM__LINE(r), (const char *)id, t);
            sc_free(t);
            t = sc_strdup("asset");
        }
        cJSON_AddStringToObject(o, "scormType", t ? t : "asset");
        sc_free(t);
    } else {
        /* CAM 3.4.1.18: without adlcp:scormType the resource is an asset */
        cJSON_AddStringToObject(o, "scormType", "asset");
    }
    cJSON_AddStringToObject(o, "base", rbase);
    href = scorm__xml_attr(r, NULL, "href");
    if (href) {
        rc = scorm__href_resolve(c, r, rbase, (const char *)href, &h);
        if (rc)
            goto out;
        if (h.url) {
            cJSON_AddStringToObject(o, "href", h.url);
            cJSON_AddBoolToObject(o, "external", 1);
        } else {
            cJSON_AddStringToObject(o, "href", h.path);
            if (h.query[0])
                cJSON_AddStringToObject(o, "query", h.query);
        }
        scorm__href_free(&h);
    }
    files = cJSON_AddArrayToObject(o, "files");
    deps = cJSON_AddArrayToObject(o, "dependencies");
    if (!files || !deps) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    for (const xmlNode *k = r->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (scorm__xml_is_cp(c, k, "file")) {
            xmlChar *fh = scorm__xml_attr(k, NULL, "href");
            if (!fh) {
                rc = missing_attr(c, k, "href", "CAM 3.4.1.19: file href is required");
                goto out;
            }
            rc = scorm__href_resolve(c, k, rbase, (const char *)fh, &h);
            xmlFree(fh);
            if (rc)
                goto out;
            cJSON_AddItemToArray(files, cJSON_CreateString(h.url ? h.url : h.path));
            scorm__href_free(&h);
        } else if (scorm__xml_is_cp(c, k, "dependency")) {
            xmlChar *ref = scorm__xml_attr(k, NULL, "identifierref");
            if (!ref) {
                rc = missing_attr(c, k, "identifierref",
                                  "CAM 3.4.1.21: dependency identifierref is required");
                goto out;
            }
            cJSON_AddItemToArray(deps, cJSON_CreateString((const char *)ref));
            xmlFree(ref);
        }
    }
    if (scorm__add_ref(p->ridx, (const char *)id, o)) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    cJSON_AddItemToArray(list, o);
    o = NULL;
out:
    scorm__href_free(&h);
    cJSON_Delete(o);
    xmlFree(id);
    xmlFree(type);
    xmlFree(st);
    xmlFree(href);
    sc_free(rbase);
    return rc;
}

static int add_text(cJSON *o, const char *key, const xmlNode *n)
{
    char *t = scorm__xml_text(n);
    if (!t)
        return SCORM_ERR_NOMEM;
    cJSON_DeleteItemFromObject(o, key); /* a repeated element: the last one wins */
    cJSON_AddStringToObject(o, key, t);
    sc_free(t);
    return SCORM_OK;
}

/* adlcp:completionThreshold: 4th edition attributes, or the 2nd/3rd edition decimal text. */
static int parse_threshold(struct scorm__mctx *c, const xmlNode *n, cJSON *item)
{
    cJSON *o;
    cJSON_DeleteItemFromObject(item, "completionThreshold");
    o = cJSON_AddObjectToObject(item, "completionThreshold");
    char *t;
    double v;
    if (!o)
        return SCORM_ERR_NOMEM;
    t = scorm__xml_text(n);
    if (!t)
        return SCORM_ERR_NOMEM;
    if (t[0]) {
        if (scorm__parse_num(t, &v))
            cJSON_AddNumberToObject(o, "value", v);
        else
            scorm__warn(c->warnings, "line %d: completionThreshold '%s' is not a decimal",
                        SCORM__LINE(n), t);
    } else {
        /* CAM 4th 3.4.1.12 (adlcp:completionThreshold attributes) */
        scorm__attr_bool(c, o, n, NULL, "completedByMeasure", 0);
        scorm__attr_num(c, o, n, NULL, "minProgressMeasure", 1.0);
        scorm__attr_num(c, o, n, NULL, "progressWeight", 1.0);
    }
    sc_free(t);
    return SCORM_OK;
}

static int parse_items(struct pctx *p, const xmlNode *parent, cJSON *list, int depth);

static int parse_item(struct pctx *p, const xmlNode *it, cJSON *list, int depth)
{
    struct scorm__mctx *c = &p->m;
    int rc = SCORM_OK;
    xmlChar *id = NULL, *ref = NULL, *params = NULL;
    cJSON *o = NULL, *kids = NULL, *hide = NULL, *data = NULL;
    struct sc_buf launch = SC_BUF_INIT;
    int line = SCORM__LINE(it);

    id = scorm__xml_attr(it, NULL, "identifier");
    if (!id || !*id) {
        rc = missing_attr(c, it, "identifier", "CAM 3.4.1.8: item identifier is required");
        goto out;
    }
    o = cJSON_CreateObject();
    if (!o) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    cJSON_AddStringToObject(o, "identifier", (const char *)id);
    cJSON_AddStringToObject(o, "title", "");
    scorm__attr_bool(c, o, it, NULL, "isvisible", 1);
    params = scorm__xml_attr(it, NULL, "parameters");
    if (params)
        cJSON_AddStringToObject(o, "parameters", (const char *)params);
    ref = scorm__xml_attr(it, NULL, "identifierref");
    if (ref) {
        cJSON_AddStringToObject(o, "identifierref", (const char *)ref);
        cJSON *res = cJSON_GetObjectItemCaseSensitive(p->ridx, (const char *)ref);
        cJSON *sub = cJSON_GetObjectItemCaseSensitive(p->sidx, (const char *)ref);
        if (res) {
            const char *href = cJSON_GetStringValue(cJSON_GetObjectItem(res, "href"));
            const char *q = cJSON_GetStringValue(cJSON_GetObjectItem(res, "query"));
            cJSON_AddStringToObject(o, "resource", (const char *)ref);
            cJSON_AddStringToObject(o, "scormType",
                                    cJSON_GetStringValue(cJSON_GetObjectItem(res, "scormType")));
            if (href) {
                /* CAM 3.4.1.10 parameters: '?' or '&' joins according to the href's query */
                const char *pp = params ? (const char *)params : "";
                sc_buf_init(&launch, 65536);
                if (cJSON_IsTrue(cJSON_GetObjectItem(res, "external")))
                    rc = sc_buf_puts(&launch, href);
                else
                    rc = scorm__url_encode_path(&launch, href);
                if (rc == 0 && q)
                    rc = sc_buf_puts(&launch, q);
                while (*pp == '?' || *pp == '&')
                    pp++;
                if (rc == 0 && *pp) {
                    if (params[0] == '#')
                        rc = sc_buf_puts(&launch, pp);
                    else
                        rc = sc_buf_printf(&launch, "%c%s",
                                           strchr(launch.data ? launch.data : "", '?') ? '&' : '?',
                                           pp);
                }
                if (rc != 0) {
                    rc = SCORM_ERR_NOMEM;
                    goto out;
                }
                cJSON_AddStringToObject(o, "href", href);
                cJSON_AddStringToObject(o, "launch", launch.data ? launch.data : "");
            } else {
                scorm__warn(c->warnings,
                            "line %d: item '%s' references resource '%s' which has no href; "
                            "the item cannot be launched (CAM 3.4.1.18)",
                            line, (const char *)id, (const char *)ref);
            }
        } else if (sub) {
            cJSON_AddStringToObject(o, "submanifest", (const char *)ref);
        } else {
            scorm__diag_set(c->diag, SCORM_ERR_RESOURCE_MISSING, line, "imsmanifest.xml",
                            "item '%s' references resource '%s', which the manifest does not "
                            "define (CAM 3.4.1.9 identifierref)",
                            (const char *)id, (const char *)ref);
            rc = SCORM_ERR_RESOURCE_MISSING;
            goto out;
        }
    }
    for (const xmlNode *k = it->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if ((rc = scorm__xml_visit(c, k)) != 0)
            goto out;
        if (scorm__xml_is_cp(c, k, "title")) {
            cJSON_DeleteItemFromObject(o, "title");
            if ((rc = add_text(o, "title", k)) != 0)
                goto out;
        } else if (scorm__xml_is_adlcp(k, "masteryscore")) {
            char *t = scorm__xml_text(k);
            double v;
            cJSON_DeleteItemFromObject(o, "masteryscore");
            if (t && scorm__parse_num(t, &v))
                cJSON_AddNumberToObject(o, "masteryscore", v);
            else if (t)
                scorm__warn(c->warnings, "line %d: masteryscore '%s' is not a number; ignored",
                            SCORM__LINE(k), t);
            sc_free(t);
        } else if (scorm__xml_is_adlcp(k, "prerequisites")) {
            cJSON_DeleteItemFromObject(o, "prerequisites");
            cJSON *pr = cJSON_AddObjectToObject(o, "prerequisites");
            if (!pr) {
                rc = SCORM_ERR_NOMEM;
                goto out;
            }
            scorm__attr_str(pr, k, NULL, "type", "aicc_script");
            if ((rc = add_text(pr, "value", k)) != 0)
                goto out;
        } else if (scorm__xml_is_adlcp(k, "maxtimeallowed")) {
            rc = add_text(o, "maxtimeallowed", k);
        } else if (scorm__xml_is_adlcp(k, "timelimitaction")) {
            rc = add_text(o, "timelimitaction", k);
        } else if (scorm__xml_is_adlcp(k, "datafromlms")) {
            rc = add_text(o, "datafromlms", k);
        } else if (scorm__xml_is_adlcp(k, "completionThreshold")) {
            rc = parse_threshold(c, k, o);
        } else if (scorm__xml_is_adlcp(k, "data")) {
            /* CAM 4th 3.4.1.13 adlcp:data / adlcp:map */
            if (!data && !(data = cJSON_AddArrayToObject(o, "data"))) {
                rc = SCORM_ERR_NOMEM;
                goto out;
            }
            for (const xmlNode *m = k->children; m; m = m->next) {
                if (!scorm__xml_is_adlcp(m, "map"))
                    continue;
                cJSON *mo = cJSON_CreateObject();
                if (!mo) {
                    rc = SCORM_ERR_NOMEM;
                    goto out;
                }
                cJSON_AddItemToArray(data, mo);
                xmlChar *tid = scorm__xml_attr(m, NULL, "targetID");
                if (!tid) {
                    rc = missing_attr(c, m, "targetID", "CAM 4th 3.4.1.14: targetID required");
                    goto out;
                }
                cJSON_AddStringToObject(mo, "targetID", (const char *)tid);
                xmlFree(tid);
                /* CAM 4th 3.4.1.14: readSharedData and writeSharedData default to true
                 * (adlcp_v1p3.xsd says false for writeSharedData; the book and the CTS, whose
                 * DDMa writes through maps without the attribute, say true) */
                scorm__attr_bool(c, mo, m, NULL, "readSharedData", 1);
                scorm__attr_bool(c, mo, m, NULL, "writeSharedData", 1);
            }
        } else if (scorm__xml_is(k, SCORM__NS_ADLNAV, "presentation")) {
            for (const xmlNode *ni = k->children; ni; ni = ni->next) {
                if (!scorm__xml_is(ni, SCORM__NS_ADLNAV, "navigationInterface"))
                    continue;
                for (const xmlNode *h = ni->children; h; h = h->next) {
                    if (!scorm__xml_is(h, SCORM__NS_ADLNAV, "hideLMSUI"))
                        continue;
                    if (!hide && !(hide = cJSON_AddArrayToObject(o, "hideLMSUI"))) {
                        rc = SCORM_ERR_NOMEM;
                        goto out;
                    }
                    char *t = scorm__xml_text(h);
                    if (!t) {
                        rc = SCORM_ERR_NOMEM;
                        goto out;
                    }
                    cJSON_AddItemToArray(hide, cJSON_CreateString(t));
                    sc_free(t);
                }
            }
        } else if (scorm__xml_is(k, SCORM__NS_IMSSS, "sequencing")) {
            cJSON *seq = NULL;
            char where[300];
            if ((rc = scorm__seq_parse(c, k, &seq)) != 0)
                goto out;
            snprintf(where, sizeof where, "item '%s'", (const char *)id);
            if ((rc = scorm__seq_resolve(c, &seq, where)) != 0) {
                cJSON_Delete(seq);
                goto out;
            }
            cJSON_DeleteItemFromObject(o, "sequencing"); /* at most one (CAM 5.1.1) */
            cJSON_AddItemToObject(o, "sequencing", seq);
        }
        if (rc)
            goto out;
    }
    if (cJSON_GetObjectItem(o, "submanifest")) {
        /* CAM 3.4.1.9: an item referencing a sub-manifest stands for its default
         * organization; its items become this item's children. */
        cJSON *sub = cJSON_GetObjectItemCaseSensitive(p->sidx, (const char *)ref);
        cJSON *orgs = cJSON_GetObjectItem(sub, "organizations"), *org, *def = NULL;
        cJSON_ArrayForEach(org, orgs) if (cJSON_IsTrue(cJSON_GetObjectItem(org, "default"))) def =
            org;
        if (def) {
            kids = cJSON_Duplicate(cJSON_GetObjectItem(def, "items"), 1);
            if (!kids) {
                rc = SCORM_ERR_NOMEM;
                goto out;
            }
        }
    }
    if (!kids) {
        kids = cJSON_CreateArray();
        if (!kids) {
            rc = SCORM_ERR_NOMEM;
            goto out;
        }
    }
    if ((rc = parse_items(p, it, kids, depth + 1)) != 0)
        goto out;
    if (cJSON_GetArraySize(kids) > 0) {
        cJSON_AddItemToObject(o, "items", kids);
    } else {
        cJSON_Delete(kids);
    }
    kids = NULL;
    cJSON_AddItemToArray(list, o);
    o = NULL;
out:
    sc_buf_free(&launch);
    cJSON_Delete(kids);
    cJSON_Delete(o);
    xmlFree(id);
    xmlFree(ref);
    xmlFree(params);
    return rc;
}

static int parse_items(struct pctx *p, const xmlNode *parent, cJSON *list, int depth)
{
    int rc;
    for (const xmlNode *k = parent->children; k; k = k->next) {
        if (!scorm__xml_is_cp(&p->m, k, "item"))
            continue;
        if ((rc = scorm__xml_visit(&p->m, k)) != 0)
            return rc;
        if ((rc = parse_item(p, k, list, depth)) != 0)
            return rc;
    }
    return SCORM_OK;
}

static int parse_organizations(struct pctx *p, const xmlNode *orgs, cJSON *out)
{
    struct scorm__mctx *c = &p->m;
    int rc = SCORM_OK;
    xmlChar *def = scorm__xml_attr(orgs, NULL, "default");
    cJSON *list = cJSON_AddArrayToObject(out, "organizations");
    cJSON *found = NULL;

    if (!list) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    for (const xmlNode *k = orgs->children; k; k = k->next) {
        if (!scorm__xml_is_cp(c, k, "organization"))
            continue;
        xmlChar *id = scorm__xml_attr(k, NULL, "identifier");
        cJSON *o, *items;
        if (!id || !*id) {
            xmlFree(id);
            rc = missing_attr(c, k, "identifier",
                              "CAM 3.4.1.5: organization identifier is required");
            goto out;
        }
        o = cJSON_CreateObject();
        if (!o) {
            xmlFree(id);
            rc = SCORM_ERR_NOMEM;
            goto out;
        }
        cJSON_AddItemToArray(list, o);
        cJSON_AddStringToObject(o, "identifier", (const char *)id);
        cJSON_AddStringToObject(o, "title", "");
        cJSON_AddBoolToObject(o, "default", 0);
        if (def && strcmp((const char *)def, (const char *)id) == 0)
            found = o;
        xmlFree(id);
        scorm__attr_str(o, k, NULL, "structure", "hierarchical");
        /* CAM 4th 3.4.1.6: adlseq:objectivesGlobalToSystem, adlcp:sharedDataGlobalToSystem */
        scorm__attr_bool(c, o, k, SCORM__NS_ADLSEQ, "objectivesGlobalToSystem", 1);
        {
            xmlChar *sd = scorm__xml_attr_adlcp(k, "sharedDataGlobalToSystem");
            int b = 1;
            if (sd && !scorm__parse_bool((const char *)sd, &b))
                b = 1;
            xmlFree(sd);
            cJSON_AddBoolToObject(o, "sharedDataGlobalToSystem", b);
        }
        for (const xmlNode *t = k->children; t; t = t->next) {
            if (scorm__xml_is_cp(c, t, "title")) {
                cJSON_DeleteItemFromObject(o, "title");
                if ((rc = add_text(o, "title", t)) != 0)
                    goto out;
            } else if (scorm__xml_is(t, SCORM__NS_IMSSS, "sequencing")) {
                cJSON *seq = NULL;
                if ((rc = scorm__seq_parse(c, t, &seq)) != 0)
                    goto out;
                if ((rc = scorm__seq_resolve(c, &seq, "organization")) != 0) {
                    cJSON_Delete(seq);
                    goto out;
                }
                cJSON_DeleteItemFromObject(o, "sequencing");
                cJSON_AddItemToObject(o, "sequencing", seq);
            } else if (scorm__xml_is_adlcp(t, "completionThreshold")) {
                if ((rc = parse_threshold(c, t, o)) != 0)
                    goto out;
            }
        }
        if (!cJSON_GetStringValue(cJSON_GetObjectItem(o, "title"))[0])
            scorm__warn(c->warnings,
                        "line %d: organization '%s' has no <title> (CAM 3.4.1.7 requires one)",
                        SCORM__LINE(k), cJSON_GetStringValue(cJSON_GetObjectItem(o, "identifier")));
        items = cJSON_AddArrayToObject(o, "items");
        if (!items) {
            rc = SCORM_ERR_NOMEM;
            goto out;
        }
        if ((rc = parse_items(p, k, items, 1)) != 0)
            goto out;
    }
    if (!found && cJSON_GetArraySize(list) > 0) {
        found = cJSON_GetArrayItem(list, 0);
        scorm__warn(c->warnings,
                    "line %d: organizations default='%s' names no organization; the first "
                    "organization '%s' is used (CAM 3.4.1.4)",
                    SCORM__LINE(orgs), def ? (const char *)def : "",
                    cJSON_GetStringValue(cJSON_GetObjectItem(found, "identifier")));
    }
    if (found) {
        sc_json_set(found, "default", cJSON_CreateBool(1));
        cJSON_AddStringToObject(out, "default_organization",
                                cJSON_GetStringValue(cJSON_GetObjectItem(found, "identifier")));
    }
out:
    xmlFree(def);
    return rc;
}

static int parse_manifest_node(struct pctx *p, const xmlNode *m, const char *base, cJSON *out)
{
    struct scorm__mctx *c = &p->m;
    int rc = SCORM_OK;
    char *mbase = NULL, *rsbase = NULL;
    xmlChar *id = scorm__xml_attr(m, NULL, "identifier");
    cJSON *subs, *res;

    if (!id || !*id) {
        rc = missing_attr(c, m, "identifier", "CAM 3.4.1.1: manifest identifier is required");
        goto out;
    }
    cJSON_AddStringToObject(out, "identifier", (const char *)id);
    if ((rc = scorm__base_join(c, m, base, &mbase)) != 0)
        goto out;
    cJSON_AddStringToObject(out, "base", mbase);
    subs = cJSON_AddArrayToObject(out, "submanifests");
    res = cJSON_AddArrayToObject(out, "resources");
    if (!subs || !res) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    /* Sub-manifests first: their organizations and resources may be referenced here. */
    for (const xmlNode *k = m->children; k; k = k->next) {
        if (!scorm__xml_is_cp(c, k, "manifest"))
            continue;
        cJSON *s = cJSON_CreateObject();
        if (!s) {
            rc = SCORM_ERR_NOMEM;
            goto out;
        }
        cJSON_AddItemToArray(subs, s);
        if ((rc = parse_manifest_node(p, k, mbase, s)) != 0)
            goto out;
        const char *sid = cJSON_GetStringValue(cJSON_GetObjectItem(s, "identifier"));
        if (cJSON_GetObjectItemCaseSensitive(p->sidx, sid) ||
            cJSON_GetObjectItemCaseSensitive(p->ridx, sid)) {
            scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(k), "imsmanifest.xml",
                            "sub-manifest identifier '%s' is not unique (CAM 3.4.1.1)", sid);
            rc = SCORM_ERR_MANIFEST;
            goto out;
        }
        if (scorm__add_ref(p->sidx, sid, s)) {
            rc = SCORM_ERR_NOMEM;
            goto out;
        }
    }
    for (const xmlNode *k = m->children; k; k = k->next) {
        if (!scorm__xml_is_cp(c, k, "resources"))
            continue;
        sc_free(rsbase);
        rsbase = NULL;
        if ((rc = scorm__base_join(c, k, mbase, &rsbase)) != 0)
            goto out;
        for (const xmlNode *r = k->children; r; r = r->next) {
            if (!scorm__xml_is_cp(c, r, "resource"))
                continue;
            if ((rc = scorm__xml_visit(c, r)) != 0)
                goto out;
            if ((rc = parse_resource(p, r, rsbase, res)) != 0)
                goto out;
        }
    }
    int norgs = 0;
    for (const xmlNode *k = m->children; k; k = k->next) {
        if (!scorm__xml_is_cp(c, k, "organizations"))
            continue;
        if (norgs++) {
            scorm__warn(c->warnings, "line %d: a second <organizations> element is ignored",
                        SCORM__LINE(k));
            continue;
        }
        if ((rc = parse_organizations(p, k, out)) != 0)
            goto out;
    }
    if (!norgs && !cJSON_AddArrayToObject(out, "organizations"))
        rc = SCORM_ERR_NOMEM;
out:
    xmlFree(id);
    sc_free(mbase);
    sc_free(rsbase);
    return rc;
}

/* Version from the namespaces and metadata/schemaversion (CAM 1.2 / CAM 4th 3.4.1.3). */
static int detect_version(struct scorm__mctx *c, const xmlNode *root, cJSON *tree)
{
    char *sv = NULL;
    const char *ver = NULL;
    int is2004ns = c->cp_ns && strcmp((const char *)c->cp_ns, NS_CP2004) == 0;
    for (const xmlNode *k = root->children; k; k = k->next) {
        if (!scorm__xml_is_cp(c, k, "metadata"))
            continue;
        for (const xmlNode *s = k->children; s; s = s->next)
            if (scorm__xml_is_cp(c, s, "schemaversion") && !sv)
                sv = scorm__xml_text(s);
    }
    if (sv) {
        cJSON_AddStringToObject(tree, "schemaversion", sv);
        if (strcmp(sv, "1.2") == 0)
            ver = "scorm12";
        else if (strcmp(sv, "CAM 1.3") == 0)
            ver = "scorm2004-2nd";
        else if (strcmp(sv, "2004 3rd Edition") == 0)
            ver = "scorm2004-3rd";
        else if (strcmp(sv, "2004 4th Edition") == 0)
            ver = "scorm2004-4th";
    }
    if (!ver) {
        int adl12 = 0, ss = 0;
        for (const xmlNs *ns = root->nsDef; ns; ns = ns->next) {
            if (ns->href && strcmp((const char *)ns->href, "http://www.adlnet.org/xsd/"
                                                           "adlcp_rootv1p2") == 0)
                adl12 = 1;
            if (ns->href && strcmp((const char *)ns->href, SCORM__NS_IMSSS) == 0)
                ss = 1;
        }
        if (is2004ns && (ss || !adl12))
            ver = "scorm2004-2nd";
        else
            ver = "scorm12";
        scorm__warn(c->warnings,
                    "metadata/schemaversion is %s%s%s; version %s inferred from the namespaces",
                    sv ? "'" : "missing", sv ? sv : "", sv ? "' (unknown)" : "", ver);
    }
    c->is12 = strcmp(ver, "scorm12") == 0;
    cJSON_AddStringToObject(tree, "version", ver);
    sc_free(sv);
    return SCORM_OK;
}

/* ---- libxml2 set-up --------------------------------------------------------------------- */

struct dtd_flag {
    int seen;
    int err_line; /* the first error: libxml2 goes on after some and keeps the last */
    int err_code;
    char err_msg[300];
};

static void first_error(void *ud, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = ud;
    struct dtd_flag *f = ctxt ? ctxt->_private : NULL;
    if (!f || !e || f->err_code || e->level < XML_ERR_ERROR)
        return;
    f->err_code = e->code ? e->code : -1;
    f->err_line = e->line;
    snprintf(f->err_msg, sizeof f->err_msg, "%s", e->message ? e->message : "not well-formed");
}

/* SAX hooks for DOCTYPE and entity declarations: record and stop (security.md 4). */
static void refuse_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    xmlParserCtxtPtr ctxt = ctx;
    (void)name;
    (void)ext;
    (void)sys;
    ((struct dtd_flag *)ctxt->_private)->seen = 1;
    xmlStopParser(ctxt);
}

static void refuse_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                          const xmlChar *sys, xmlChar *content)
{
    xmlParserCtxtPtr ctxt = ctx;
    (void)name;
    (void)type;
    (void)pub;
    (void)sys;
    (void)content;
    ((struct dtd_flag *)ctxt->_private)->seen = 1;
    xmlStopParser(ctxt);
}

/* UTF-8 (BOM allowed) or ISO-8859-1 only (security.md 4 recipe). */
static int check_encoding(const unsigned char *b, size_t n, struct scorm_diag *diag)
{
    char enc[64] = "";
    if (n >= 2 &&
        ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF) ||
         (b[0] == 0 && b[1] == '<') || (b[0] == '<' && b[1] == 0) || (b[0] == 0 && b[1] == 0))) {
        scorm__diag_set(diag, SCORM_ERR_XML_ENCODING, 1, "imsmanifest.xml",
                        "the manifest is UTF-16/UTF-32; only UTF-8 and ISO-8859-1 are accepted "
                        "(security.md 4)");
        return SCORM_ERR_XML_ENCODING;
    }
    if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        b += 3;
        n -= 3;
    }
    if (n >= 5 && memcmp(b, "<?xml", 5) == 0) {
        size_t end = 5;
        while (end + 1 < n && end < 512 && !(b[end] == '?' && b[end + 1] == '>'))
            end++;
        const unsigned char *e = NULL;
        for (size_t i = 5; i + 8 <= end; i++)
            if (memcmp(b + i, "encoding", 8) == 0) {
                e = b + i + 8;
                break;
            }
        if (e) {
            while (e < b + end &&
                   (*e == ' ' || *e == '=' || *e == '\t' || *e == '\r' || *e == '\n'))
                e++;
            if (e < b + end && (*e == '"' || *e == '\'')) {
                unsigned char q = *e++;
                size_t k = 0;
                while (e < b + end && *e != q && k + 1 < sizeof enc)
                    enc[k++] = (char)*e++;
                enc[k] = '\0';
            }
        }
    }
    if (enc[0] && strcasecmp(enc, "UTF-8") != 0 && strcasecmp(enc, "UTF8") != 0 &&
        strcasecmp(enc, "ISO-8859-1") != 0 && strcasecmp(enc, "ISO_8859-1") != 0 &&
        strcasecmp(enc, "latin1") != 0 && strcasecmp(enc, "US-ASCII") != 0) {
        scorm__diag_set(diag, SCORM_ERR_XML_ENCODING, 1, "imsmanifest.xml",
                        "the manifest declares encoding '%s'; only UTF-8 and ISO-8859-1 are "
                        "accepted (security.md 4)",
                        enc);
        return SCORM_ERR_XML_ENCODING;
    }
    return SCORM_OK;
}

static unsigned long count_nodes(const xmlNode *n, unsigned long cap)
{
    unsigned long count = 0;
    const xmlNode *cur = n;
    while (cur) {
        if (++count > cap)
            return count;
        if (cur->children && cur->type == XML_ELEMENT_NODE) {
            cur = cur->children;
            continue;
        }
        while (cur && !cur->next && cur != n)
            cur = cur->parent;
        if (!cur || cur == n)
            break;
        cur = cur->next;
    }
    return count;
}

int scorm_manifest_parse(const void *xml, size_t len, size_t max_bytes, cJSON **tree,
                         cJSON *warnings, struct scorm_diag *diag)
{
    int rc = SCORM_OK;
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    struct dtd_flag flag = {0};
    struct pctx p;
    cJSON *t = NULL;
    const xmlNode *root;

    memset(&p, 0, sizeof p);
    p.m.warnings = warnings;
    p.m.diag = diag;
    if (max_bytes == 0)
        max_bytes = SCORM_MAX_MANIFEST_BYTES;
    if (len > max_bytes) {
        scorm__diag_set(diag, SCORM_ERR_MANIFEST_SIZE, 0, "imsmanifest.xml",
                        "the manifest is %zu bytes, above the cap of %zu (security.md 4)", len,
                        max_bytes);
        return SCORM_ERR_MANIFEST_SIZE;
    }
    if (len == 0 || len > INT32_MAX) {
        scorm__diag_set(diag, SCORM_ERR_XML, 1, "imsmanifest.xml",
                        "the manifest is empty (XML 1.0 2.1: a document has a root element)");
        return SCORM_ERR_XML;
    }
    if ((rc = check_encoding(xml, len, diag)) != 0)
        return rc;
    ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
    if (!ctxt)
        return SCORM_ERR_NOMEM;
    ctxt->_private = &flag;
    ctxt->sax->internalSubset = refuse_subset;
    ctxt->sax->externalSubset = refuse_subset;
    ctxt->sax->entityDecl = refuse_entity;
    /* security.md 4: NONET, no NOENT/DTDLOAD/DTDATTR/DTDVALID/HUGE/XINCLUDE */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    ctxt->sax->serror = first_error; /* per context, never the global handler */
    ctxt->userData = ctxt;
    xmlParseDocument(ctxt);
    doc = ctxt->myDoc;
    ctxt->myDoc = NULL;
    if (flag.seen) {
        scorm__diag_set(diag, SCORM_ERR_XML_DOCTYPE, ctxt->input ? ctxt->input->line : 0,
                        "imsmanifest.xml",
                        "the manifest has a DOCTYPE or entity declaration; they are refused "
                        "(XXE and entity expansion, security.md 4)");
        rc = SCORM_ERR_XML_DOCTYPE;
        goto out;
    }
    if (!doc || !ctxt->wellFormed) {
        const xmlError *e = &ctxt->lastError;
        char msg[300];
        int eline = flag.err_code ? flag.err_line : e->line;
        int ecode = flag.err_code ? flag.err_code : e->code;
        snprintf(msg, sizeof msg, "%s",
                 flag.err_code ? flag.err_msg : (e->message ? e->message : "not well-formed"));
        for (char *q = msg; *q; q++)
            if (*q == '\n')
                *q = ' ';
        size_t ml = strlen(msg);
        while (ml > 0 && msg[ml - 1] == ' ')
            msg[--ml] = '\0';
        rc = (ecode == XML_ERR_INTERNAL_ERROR && strstr(msg, "depth")) ? SCORM_ERR_XML_LIMIT
                                                                       : SCORM_ERR_XML;
        scorm__diag_set(diag, rc, eline, "imsmanifest.xml",
                        "the manifest is not well-formed XML at line %d: %s (XML 1.0)", eline, msg);
        goto out;
    }
    root = xmlDocGetRootElement(doc);
    if (!root) {
        scorm__diag_set(diag, SCORM_ERR_XML, 1, "imsmanifest.xml", "the manifest is empty");
        rc = SCORM_ERR_XML;
        goto out;
    }
    if (count_nodes(root, SCORM_MAX_XML_NODES) > SCORM_MAX_XML_NODES) {
        scorm__diag_set(diag, SCORM_ERR_XML_LIMIT, 0, "imsmanifest.xml",
                        "the manifest has more than %u nodes (security.md 4 visit budget)",
                        SCORM_MAX_XML_NODES);
        rc = SCORM_ERR_XML_LIMIT;
        goto out;
    }
    if (strcmp((const char *)root->name, "manifest") != 0 ||
        (root->ns && root->ns->href && strcmp((const char *)root->ns->href, NS_CP12) != 0 &&
         strcmp((const char *)root->ns->href, NS_CP2004) != 0)) {
        scorm__diag_set(diag, SCORM_ERR_MANIFEST, SCORM__LINE(root), "imsmanifest.xml",
                        "the root element is <%s>%s%s, not an IMS CP <manifest> (CAM 3.4.1.1)",
                        (const char *)root->name, root->ns && root->ns->href ? " in " : "",
                        root->ns && root->ns->href ? (const char *)root->ns->href : "");
        rc = SCORM_ERR_MANIFEST;
        goto out;
    }
    p.m.cp_ns = root->ns ? root->ns->href : NULL;
    if (!p.m.cp_ns)
        scorm__warn(warnings, "the <manifest> element has no namespace; IMS CP elements are "
                              "read without one");
    t = cJSON_CreateObject();
    p.ridx = cJSON_CreateObject();
    p.sidx = cJSON_CreateObject();
    p.m.collection = cJSON_CreateObject();
    if (!t || !p.ridx || !p.sidx || !p.m.collection) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    if ((rc = detect_version(&p.m, root, t)) != 0)
        goto out;
    /* imsss:sequencingCollection (CAM 4th 5.1.5): parsed before any item refers to it */
    for (const xmlNode *k = root->children; k; k = k->next) {
        if (!scorm__xml_is(k, SCORM__NS_IMSSS, "sequencingCollection"))
            continue;
        for (const xmlNode *s = k->children; s; s = s->next) {
            if (!scorm__xml_is(s, SCORM__NS_IMSSS, "sequencing"))
                continue;
            xmlChar *sid = scorm__xml_attr(s, NULL, "ID");
            cJSON *seq = NULL;
            if (!sid) {
                rc = missing_attr(&p.m, s, "ID",
                                  "CAM 4th 5.1.5: sequencing in a collection needs an ID");
                goto out;
            }
            rc = scorm__seq_parse(&p.m, s, &seq);
            if (rc == 0)
                cJSON_AddItemToObject(p.m.collection, (const char *)sid, seq);
            xmlFree(sid);
            if (rc)
                goto out;
        }
    }
    if ((rc = parse_manifest_node(&p, root, "", t)) != 0)
        goto out;
    {
        const char *title = NULL;
        cJSON *org;
        cJSON_ArrayForEach(org, cJSON_GetObjectItem(t, "organizations"))
        {
            if (cJSON_IsTrue(cJSON_GetObjectItem(org, "default")))
                title = cJSON_GetStringValue(cJSON_GetObjectItem(org, "title"));
        }
        if (!title || !title[0])
            title = cJSON_GetStringValue(cJSON_GetObjectItem(t, "identifier"));
        cJSON_AddStringToObject(t, "title", title ? title : "");
    }
    *tree = t;
    t = NULL;
out:
    if (rc != SCORM_OK && diag && diag->code == 0)
        scorm__diag_set(diag, rc, 0, "imsmanifest.xml", "%s", scorm_strerror(rc));
    cJSON_Delete(p.ridx);
    cJSON_Delete(p.sidx);
    cJSON_Delete(p.m.collection);
    cJSON_Delete(t);
    xmlFreeDoc(doc);
    if (ctxt)
        xmlFreeParserCtxt(ctxt);
    return rc;
}
