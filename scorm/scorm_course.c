/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The course tree against the package, and the course records in the store.
 *
 * Checks (issue 5 "Checks with clear messages"): the launch file of every launchable item
 * must be in the package (a case-only difference is what players tolerate: accepted with a
 * warning and the real name recorded); files listed by resources and missing are warnings
 * (the ADL test packages list applet files that are absent by design); the default
 * organization must have at least one launchable item.
 *
 * Tables: "courses" (key = course id, value = {"id","title","versions":[n...],"current",
 * "scorm_version","created"}) and "course_versions" (key = "<id>\x1f<n>", value = {"course",
 * "version","tree","report","warnings","path","imported"}).
 */
#include "scorm/scorm_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/sc_alloc.h"
#include "common/sc_json.h"
#include "common/sc_buf.h"
#include "statements/stmt_db.h"

int scorm__course_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > SCORM_MAX_COURSE_ID || id[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

int scorm__course_id_derive(const char *ident, char out[SCORM_MAX_COURSE_ID + 1])
{
    size_t w = 0;
    for (const char *p = ident ? ident : ""; *p && w < SCORM_MAX_COURSE_ID; p++) {
        char ch = *p;
        int okc = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        out[w++] = okc ? ch : '_';
    }
    out[w] = '\0';
    for (size_t i = 0; i < w && out[i] == '.'; i++)
        out[i] = '_'; /* never ".", ".." or a hidden ".tmp-*" folder */
    if (w == 0)
        snprintf(out, SCORM_MAX_COURSE_ID + 1, "course");
    return SCORM_OK;
}

/* ---- tree checks ------------------------------------------------------------------------ */

struct check {
    const struct scorm__zip *z;
    cJSON *warnings;
    struct scorm_diag *diag;
    int scos;
    int launchable;
};

static int fix_case(cJSON *item, const char *key, const char *real)
{
    cJSON *v = cJSON_CreateString(real);
    if (!v)
        return SCORM_ERR_NOMEM;
    cJSON_ReplaceItemInObjectCaseSensitive(item, key, v);
    return SCORM_OK;
}

static int check_items(struct check *ck, cJSON *items, int in_default)
{
    cJSON *it;
    int rc;
    cJSON_ArrayForEach(it, items)
    {
        const char *href = cJSON_GetStringValue(cJSON_GetObjectItem(it, "href"));
        const char *launch = cJSON_GetStringValue(cJSON_GetObjectItem(it, "launch"));
        if (href && launch) {
            int external = strncmp(launch, "http:", 5) == 0 || strncmp(launch, "https:", 6) == 0;
            if (external)
                /* the player opens it as that URL (runtime_js/player.js scoUrl) */
                scorm__warn(ck->warnings,
                            "item '%s' launches the absolute URL '%s': it opens from there, not "
                            "from the package; a SCO on another site cannot reach the SCORM API, "
                            "so it records nothing (put its files in the package)",
                            cJSON_GetStringValue(cJSON_GetObjectItem(it, "identifier")), launch);
            if (!external) {
                int case_only = 0;
                const struct scorm__entry *e = scorm__zip_find(ck->z, href, &case_only);
                if (!e) {
                    scorm__diag_set(ck->diag, SCORM_ERR_LAUNCH_MISSING, 0, href,
                                    "item '%s' launches '%s' (resource '%s'), which is not in "
                                    "the package (CAM 3.4.1.18 resource href)",
                                    cJSON_GetStringValue(cJSON_GetObjectItem(it, "identifier")),
                                    href,
                                    cJSON_GetStringValue(cJSON_GetObjectItem(it, "resource")));
                    return SCORM_ERR_LAUNCH_MISSING;
                }
                if (case_only) {
                    struct sc_buf b = SC_BUF_INIT;
                    size_t old_enc;
                    scorm__warn(ck->warnings,
                                "item '%s' launches '%s' but the package has '%s' (differs "
                                "only by case); the package's name is used",
                                cJSON_GetStringValue(cJSON_GetObjectItem(it, "identifier")), href,
                                e->name);
                    /* launch = encoded href + query/parameters: swap the encoded prefix */
                    sc_buf_init(&b, 0);
                    if (scorm__url_encode_path(&b, href) != 0) {
                        sc_buf_free(&b);
                        return SCORM_ERR_NOMEM;
                    }
                    old_enc = b.len;
                    sc_buf_reset(&b);
                    if (scorm__url_encode_path(&b, e->name) != 0 ||
                        sc_buf_puts(&b, launch + old_enc) != 0 || fix_case(it, "href", e->name) ||
                        fix_case(it, "launch", b.data)) {
                        sc_buf_free(&b);
                        return SCORM_ERR_NOMEM;
                    }
                    sc_buf_free(&b);
                }
            }
            if (in_default)
                ck->launchable++;
        }
        if ((rc = check_items(ck, cJSON_GetObjectItem(it, "items"), in_default)) != 0)
            return rc;
    }
    return SCORM_OK;
}

static int check_manifest(struct check *ck, cJSON *m, int top)
{
    cJSON *org, *res, *sub;
    int rc;
    cJSON_ArrayForEach(org, cJSON_GetObjectItem(m, "organizations"))
    {
        int def = top && cJSON_IsTrue(cJSON_GetObjectItem(org, "default"));
        if ((rc = check_items(ck, cJSON_GetObjectItem(org, "items"), def)) != 0)
            return rc;
    }
    cJSON_ArrayForEach(res, cJSON_GetObjectItem(m, "resources"))
    {
        cJSON *f;
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(res, "scormType"));
        if (st && strcmp(st, "sco") == 0)
            ck->scos++; /* SCO resources, as the corpus README counts them */
        struct sc_buf missing = SC_BUF_INIT;
        int nmiss = 0;
        sc_buf_init(&missing, 4096);
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(res, "files"))
        {
            int case_only = 0;
            const char *path = cJSON_GetStringValue(f);
            if (!path || strncmp(path, "http:", 5) == 0 || strncmp(path, "https:", 6) == 0)
                continue;
            const struct scorm__entry *e = scorm__zip_find(ck->z, path, &case_only);
            if (!e) {
                if (nmiss++ < 5)
                    sc_buf_printf(&missing, "%s'%s'", nmiss > 1 ? ", " : "", path);
            } else if (case_only) {
                scorm__warn(ck->warnings,
                            "resource '%s' lists '%s' but the package has '%s' (differs only "
                            "by case)",
                            cJSON_GetStringValue(cJSON_GetObjectItem(res, "identifier")), path,
                            e->name);
                if (!cJSON_SetValuestring(f, e->name)) {
                    sc_buf_free(&missing);
                    return SCORM_ERR_NOMEM;
                }
            }
        }
        if (nmiss)
            scorm__warn(ck->warnings,
                        "resource '%s' lists %d file%s not in the package: %s%s (CAM 3.4.1.19)",
                        cJSON_GetStringValue(cJSON_GetObjectItem(res, "identifier")), nmiss,
                        nmiss > 1 ? "s" : "", missing.data ? missing.data : "",
                        nmiss > 5 ? ", ..." : "");
        sc_buf_free(&missing);
    }
    cJSON_ArrayForEach(sub, cJSON_GetObjectItem(m, "submanifests"))
    {
        if ((rc = check_manifest(ck, sub, 0)) != 0)
            return rc;
    }
    return SCORM_OK;
}

int scorm__course_check(cJSON *tree, const struct scorm__zip *z, cJSON *warnings, int *scos,
                        struct scorm_diag *diag)
{
    struct check ck = {z, warnings, diag, 0, 0};
    int rc = check_manifest(&ck, tree, 1);
    if (rc)
        return rc;
    if (ck.launchable == 0) {
        scorm__diag_set(diag, SCORM_ERR_NO_LAUNCH, 0, "imsmanifest.xml",
                        "the default organization has no launchable item (an item whose "
                        "identifierref names a resource with an href, CAM 3.4.1.9)");
        return SCORM_ERR_NO_LAUNCH;
    }
    /* one definition of a SCO (issue 15): a launchable item of the default organization
     * whose resource is a SCO (assets apart), as the report and the player count them */
    (void)ck.scos;
    *scos = scorm__count_scos(cJSON_GetObjectItem(scorm__default_org(tree), "items"));
    return SCORM_OK;
}

const cJSON *scorm__default_org(const cJSON *tree)
{
    const cJSON *orgs = cJSON_GetObjectItemCaseSensitive(tree, "organizations"), *o;
    const char *def =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tree, "default_organization"));
    cJSON_ArrayForEach(o, orgs)
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "identifier"));
        if (def && id && !strcmp(id, def))
            return o;
    }
    return cJSON_GetArrayItem(orgs, 0);
}

int scorm__item_is_sco(const cJSON *item)
{
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "scormType"));
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "identifier")) &&
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "launch")) && t &&
           !strcmp(t, "sco");
}

int scorm__add_ref(cJSON *obj, const char *key, cJSON *item)
{
    /* cJSON_AddItemReferenceToObject leaks its reference when the key's copy fails */
    cJSON *ref = cJSON_IsObject(item)  ? cJSON_CreateObjectReference(item->child)
                 : cJSON_IsArray(item) ? cJSON_CreateArrayReference(item->child)
                                       : NULL;
    if (!ref || !cJSON_AddItemToObject(obj, key, ref)) {
        cJSON_Delete(ref);
        return -1;
    }
    return 0;
}

int scorm__count_scos(const cJSON *items)
{
    const cJSON *it;
    int n = 0;
    cJSON_ArrayForEach(it, items)
    {
        n += scorm__item_is_sco(it);
        n += scorm__count_scos(cJSON_GetObjectItemCaseSensitive(it, "items"));
    }
    return n;
}

/* ---- store ------------------------------------------------------------------------------ */

static int store_err(int rc, struct scorm_diag *diag, const char *what)
{
    if (rc == STMT_DB_NOTFOUND)
        return SCORM_ERR_NOTFOUND;
    if (rc == STMT_DB_ERR_NOMEM)
        return SCORM_ERR_NOMEM;
    scorm__diag_set(diag, SCORM_ERR_STORE, 0, "", "%s: %s", what, stmt_db_strerror(rc));
    return SCORM_ERR_STORE;
}

int scorm__course_get_txn(struct stmt_db_txn *txn, const char *id, cJSON **out)
{
    const void *v;
    size_t vl;
    int rc = stmt_db_get(txn, "courses", id, strlen(id), &v, &vl);
    if (rc)
        return store_err(rc, NULL, "reading the course record");
    *out = cJSON_ParseWithLength(v, vl);
    return *out ? SCORM_OK : SCORM_ERR_STORE;
}

int scorm__version_key(char *buf, size_t len, const char *id, int version)
{
    int n = snprintf(buf, len, "%s\x1f%d", id, version);
    return (n < 0 || (size_t)n >= len) ? -1 : n;
}

struct list_ctx {
    cJSON *arr;
    int rc;
};

static int list_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct list_ctx *lc = ctx;
    cJSON *o = cJSON_ParseWithLength(val, vlen);
    (void)key;
    (void)klen;
    if (!o) {
        lc->rc = SCORM_ERR_STORE;
        return 1;
    }
    cJSON_AddItemToArray(lc->arr, o);
    return 0;
}

int scorm_course_list(struct stmt_db *db, cJSON **out)
{
    struct stmt_db_txn *txn = NULL;
    struct list_ctx lc = {cJSON_CreateArray(), SCORM_OK};
    int rc;
    if (!lc.arr)
        return SCORM_ERR_NOMEM;
    rc = stmt_db_txn_begin(db, 0, &txn);
    if (rc) {
        cJSON_Delete(lc.arr);
        return store_err(rc, NULL, "begin");
    }
    rc = stmt_db_scan(txn, "courses", NULL, 0, list_visit, &lc);
    stmt_db_txn_abort(txn);
    if (rc == 1)
        rc = lc.rc;
    else if (rc)
        rc = store_err(rc, NULL, "scan");
    if (rc) {
        cJSON_Delete(lc.arr);
        return rc;
    }
    *out = lc.arr;
    return SCORM_OK;
}

/* ---- the console's list ----------------------------------------------------------------- */

static void stats_txn(struct stmt_db_txn *txn, const char *id, int *regs, int *done);

static const char *edition(const char *v)
{
    static const struct {
        const char *v, *e;
    } E[] = {{"scorm12", "1.2"},
             {"scorm2004-2nd", "2004 2nd"},
             {"scorm2004-3rd", "2004 3rd"},
             {"scorm2004-4th", "2004 4th"}};
    for (size_t i = 0; v && i < sizeof E / sizeof E[0]; i++)
        if (!strcmp(E[i].v, v))
            return E[i].e;
    return v ? v : "";
}

int scorm__contains(const void *hay, size_t n, const char *needle)
{
    const char *h = hay;
    size_t m = strlen(needle);
    if (m == 0)
        return 1;
    for (size_t i = 0; h && i + m <= n; i++)
        if (!strncasecmp(h + i, needle, m))
            return 1;
    return 0;
}

static int icontains(const char *hay, const char *needle)
{
    return hay && scorm__contains(hay, strlen(hay), needle);
}

/* A record's JSON text can contain q only if its bytes do, unless q has characters JSON
 * escapes (cJSON writes other UTF-8 as is): a cheap test before parsing each record. */
static int raw_may_contain(const void *v, size_t vl, const char *q)
{
    for (const char *c = q; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
            return 1;
    return scorm__contains(v, vl, q);
}

/* registrations, completed and completion_rate (null without registrations) of a list item */
static void add_counts(cJSON *o, int regs, int done)
{
    cJSON_AddNumberToObject(o, "registrations", regs);
    cJSON_AddNumberToObject(o, "completed", done);
    if (regs > 0)
        cJSON_AddNumberToObject(o, "completion_rate", (double)done / regs);
    else
        cJSON_AddNullToObject(o, "completion_rate");
}

struct page_ctx {
    struct stmt_db_txn *txn;
    const char *q;
    size_t offset, limit, seen, n;
    cJSON *items;
    int rc, cmi5;
};

/* A cmi5 course (table cmi5_courses, cmi5_store.c) as an item of the course list: kind "cmi5",
 * its AU count, registrations and how many satisfied the course (cmi5 9.6.1.3). */
static cJSON *page_item_cmi5(struct page_ctx *p, const cJSON *c)
{
    cJSON *o = cJSON_CreateObject();
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(c, "id"));
    int regs, done;
    if (!o || !id)
        return o;
    /* registrations and those that satisfied the course (9.6.1.3): the course's counters,
     * kept by the transactions that create, change and delete them (cmi5_reg.c through
     * scorm_rt_index.c) */
    stats_txn(p->txn, id, &regs, &done);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "kind", "cmi5");
    sc_json_add(o, "title", cJSON_Duplicate(cJSON_GetObjectItem(c, "title"), 0));
    cJSON_AddNumberToObject(o, "aus", cJSON_GetArraySize(cJSON_GetObjectItem(c, "aus")));
    add_counts(o, regs, done);
    sc_json_add(o, "created", cJSON_Duplicate(cJSON_GetObjectItem(c, "created"), 0));
    sc_json_add(o, "updated", cJSON_Duplicate(cJSON_GetObjectItem(c, "created"), 0));
    return o;
}

static cJSON *page_item(struct stmt_db_txn *txn, const cJSON *c)
{
    cJSON *o = cJSON_CreateObject();
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(c, "id"));
    const cJSON *scos = cJSON_GetObjectItem(c, "scos");
    int regs, done;
    if (!o || !id)
        return o;
    stats_txn(txn, id, &regs, &done);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(
        o, "kind",
        strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "scorm_version"))
                   ? cJSON_GetStringValue(cJSON_GetObjectItem(c, "scorm_version"))
                   : "",
               "scorm12")
            ? "scorm2004"
            : "scorm12");
    sc_json_add(o, "title", cJSON_Duplicate(cJSON_GetObjectItem(c, "title"), 0));
    cJSON_AddNumberToObject(o, "version", cJSON_GetNumberValue(cJSON_GetObjectItem(c, "current")));
    cJSON_AddStringToObject(o, "edition",
                            edition(cJSON_GetStringValue(cJSON_GetObjectItem(c, "scorm_version"))));
    cJSON_AddItemToObject(o, "scorm_version",
                          cJSON_Duplicate(cJSON_GetObjectItem(c, "scorm_version"), 0));
    if (!cJSON_IsNumber(scos)) { /* a record from before "scos" was kept in it */
        char key[SCORM_MAX_COURSE_ID + 32];
        const void *v;
        size_t vl;
        cJSON *ver = NULL;
        scorm__version_key(key, sizeof key, id,
                           (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "current")));
        if (stmt_db_get(txn, "course_versions", key, strlen(key), &v, &vl) == 0)
            ver = cJSON_ParseWithLength(v, vl);
        cJSON_AddNumberToObject(
            o, "scos",
            cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(ver, "report"), "scos")));
        cJSON_Delete(ver);
    } else {
        cJSON_AddNumberToObject(o, "scos", scos->valuedouble);
    }
    add_counts(o, regs, done);
    sc_json_add(o, "created", cJSON_Duplicate(cJSON_GetObjectItem(c, "created"), 0));
    cJSON_AddItemToObject(o, "updated",
                          cJSON_Duplicate(cJSON_GetObjectItem(c, "updated")
                                              ? cJSON_GetObjectItem(c, "updated")
                                              : cJSON_GetObjectItem(c, "created"),
                                          0));
    return o;
}

static int page_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct page_ctx *p = ctx;
    cJSON *c = NULL, *o;
    (void)key;
    (void)klen;
    if (p->q && *p->q) {
        if (!raw_may_contain(val, vlen, p->q))
            return 0;
        c = cJSON_ParseWithLength(val, vlen);
        if (!c || !(icontains(cJSON_GetStringValue(cJSON_GetObjectItem(c, "id")), p->q) ||
                    icontains(cJSON_GetStringValue(cJSON_GetObjectItem(c, "title")), p->q))) {
            cJSON_Delete(c);
            return 0;
        }
    }
    /* without q only the page's records are parsed: the rest is counted */
    if (p->seen++ < p->offset || p->n >= p->limit) {
        cJSON_Delete(c);
        return 0;
    }
    if (!c)
        c = cJSON_ParseWithLength(val, vlen);
    o = c ? (p->cmi5 ? page_item_cmi5(p, c) : page_item(p->txn, c)) : NULL;
    cJSON_Delete(c);
    if (!o) {
        p->rc = c ? SCORM_ERR_NOMEM : SCORM_ERR_STORE;
        return 1;
    }
    cJSON_AddItemToArray(p->items, o);
    p->n++;
    return 0;
}

int scorm_course_page(struct stmt_db *db, const char *q, size_t offset, size_t limit, cJSON **out)
{
    struct page_ctx p;
    cJSON *o;
    int rc;
    memset(&p, 0, sizeof p);
    p.q = q;
    p.offset = offset;
    p.limit = limit > SCORM_PAGE_MAX ? SCORM_PAGE_MAX : limit;
    p.items = cJSON_CreateArray();
    if (!p.items)
        return SCORM_ERR_NOMEM;
    rc = stmt_db_txn_begin(db, 0, &p.txn);
    if (rc) {
        cJSON_Delete(p.items);
        return store_err(rc, NULL, "begin");
    }
    rc = stmt_db_scan(p.txn, "courses", NULL, 0, page_visit, &p);
    if (!rc || rc == STMT_DB_NOTFOUND) { /* then the cmi5 courses (kind "cmi5") */
        p.cmi5 = 1;
        rc = stmt_db_scan(p.txn, "cmi5_courses", NULL, 0, page_visit, &p);
    }
    if (rc == STMT_DB_NOTFOUND)
        rc = 0;
    stmt_db_txn_abort(p.txn);
    if (rc == 1)
        rc = p.rc;
    else if (rc)
        rc = store_err(rc, NULL, "scan");
    o = rc ? NULL : cJSON_CreateObject();
    if (!o || !cJSON_AddItemToObject(o, "items", p.items)) {
        cJSON_Delete(o);
        cJSON_Delete(p.items);
        return rc ? rc : SCORM_ERR_NOMEM;
    }
    cJSON_AddNumberToObject(o, "total", (double)p.seen);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", (double)p.limit);
    *out = o;
    return SCORM_OK;
}

int scorm_course_version_get(struct stmt_db *db, const char *id, int version, cJSON **tree)
{
    struct stmt_db_txn *txn = NULL;
    cJSON *course = NULL, *o = NULL;
    char key[SCORM_MAX_COURSE_ID + 32];
    const void *v;
    size_t vl;
    int rc;

    if (!scorm__course_id_valid(id))
        return SCORM_ERR_NOTFOUND;
    rc = stmt_db_txn_begin(db, 0, &txn);
    if (rc)
        return store_err(rc, NULL, "begin");
    if (version <= 0) {
        rc = scorm__course_get_txn(txn, id, &course);
        if (rc)
            goto out;
        version = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(course, "current"));
    }
    scorm__version_key(key, sizeof key, id, version);
    rc = stmt_db_get(txn, "course_versions", key, strlen(key), &v, &vl);
    if (rc) {
        rc = store_err(rc, NULL, "reading the version record");
        goto out;
    }
    o = cJSON_ParseWithLength(v, vl);
    if (!o) {
        rc = SCORM_ERR_STORE;
        goto out;
    }
    *tree = o;
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(course);
    return rc;
}

/* {"registrations","completed"} of a course in txn (zeros when it has no record) */
static void stats_txn(struct stmt_db_txn *txn, const char *id, int *regs, int *done)
{
    const void *v;
    size_t vl;
    cJSON *s = NULL;
    *regs = *done = 0;
    if (stmt_db_get(txn, "course_stats", id, strlen(id), &v, &vl) == 0)
        s = cJSON_ParseWithLength(v, vl);
    *regs = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "registrations"));
    *done = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "completed"));
    if (*regs < 0)
        *regs = 0;
    if (*done < 0)
        *done = 0;
    cJSON_Delete(s);
}

int scorm_course_exists(struct stmt_db *db, const char *id)
{
    char *v = NULL;
    size_t vl;
    int rc;
    if (!scorm__course_id_valid(id))
        return 0;
    rc = stmt_db_get1(db, "courses", id, strlen(id), &v, &vl);
    sc_free(v);
    return rc == 0;
}

int scorm_course_stats(struct stmt_db *db, const char *id, int *registrations, int *completed)
{
    struct stmt_db_txn *txn = NULL;
    if (!scorm__course_id_valid(id))
        return SCORM_ERR_NOTFOUND;
    if (stmt_db_txn_begin(db, 0, &txn))
        return SCORM_ERR_STORE;
    stats_txn(txn, id, registrations, completed);
    stmt_db_txn_abort(txn);
    return SCORM_OK;
}

/* "versions": [n, ...] -> [{"version","created","title","scos"}, ...] from the version
 * records (the stored course record keeps the numbers). */
static int versions_detail(struct stmt_db_txn *txn, cJSON *course)
{
    cJSON *nums = cJSON_GetObjectItem(course, "versions"), *arr = cJSON_CreateArray(), *n;
    char key[SCORM_MAX_COURSE_ID + 32];
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(course, "id"));
    if (!arr)
        return SCORM_ERR_NOMEM;
    cJSON_ArrayForEach(n, nums)
    {
        const void *v;
        size_t vl;
        cJSON *ver = NULL, *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return SCORM_ERR_NOMEM;
        }
        cJSON_AddNumberToObject(o, "version", cJSON_GetNumberValue(n));
        scorm__version_key(key, sizeof key, id ? id : "", (int)cJSON_GetNumberValue(n));
        if (stmt_db_get(txn, "course_versions", key, strlen(key), &v, &vl) == 0)
            ver = cJSON_ParseWithLength(v, vl);
        cJSON_AddItemToObject(o, "created",
                              cJSON_Duplicate(cJSON_GetObjectItem(ver, "imported"), 0));
        cJSON_AddItemToObject(
            o, "title",
            cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetObjectItem(ver, "tree"), "title"), 0));
        cJSON_AddItemToObject(
            o, "scos",
            cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetObjectItem(ver, "report"), "scos"), 0));
        cJSON_Delete(ver);
    }
    cJSON_ReplaceItemInObject(course, "versions", arr);
    return SCORM_OK;
}

int scorm_course_get(struct stmt_db *db, const char *id, cJSON **out)
{
    cJSON *course = NULL, *ver = NULL;
    struct stmt_db_txn *txn = NULL;
    int rc, regs, done;
    if (!scorm__course_id_valid(id))
        return SCORM_ERR_NOTFOUND;
    rc = stmt_db_txn_begin(db, 0, &txn);
    if (rc)
        return store_err(rc, NULL, "begin");
    rc = scorm__course_get_txn(txn, id, &course);
    if (!rc)
        rc = versions_detail(txn, course);
    stats_txn(txn, id, &regs, &done);
    stmt_db_txn_abort(txn);
    if (rc) {
        cJSON_Delete(course);
        return rc;
    }
    cJSON_AddNumberToObject(course, "registrations", regs);
    cJSON_AddNumberToObject(course, "completed", done);
    rc = scorm_course_version_get(
        db, id, (int)cJSON_GetNumberValue(cJSON_GetObjectItem(course, "current")), &ver);
    if (rc) {
        cJSON_Delete(course);
        return rc;
    }
    cJSON_AddItemToObject(course, "tree", cJSON_DetachItemFromObject(ver, "tree"));
    cJSON_AddItemToObject(course, "warnings", cJSON_DetachItemFromObject(ver, "warnings"));
    cJSON_Delete(ver);
    *out = course;
    return SCORM_OK;
}
