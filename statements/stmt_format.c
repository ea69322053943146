/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET statement formats (xAPI Communication 2.1.3 "format"): exact, ids, canonical, and the
 * per-map language choice of Communication 2.1.3 "Language Filtering Requirements for
 * Canonical Format Statements" (Accept-Language as in RFC 7231 5.3.5 / RFC 2616 14.4, applied
 * to each language map individually).
 *
 * scolar keeps no separate canonical Activity store in this layer: "canonical" is the stored
 * statement with every Activity-definition language map and Verb display reduced to one
 * language. All formats return contextActivities values as arrays (Data 2.4.6.2).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/sc_alloc.h"
#include "statements/stmt_validate.h"

static cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

int stmt_format_from_string(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "exact") == 0)
        return STMT_FORMAT_EXACT;
    if (strcmp(s, "ids") == 0)
        return STMT_FORMAT_IDS;
    if (strcmp(s, "canonical") == 0)
        return STMT_FORMAT_CANONICAL;
    return -1;
}

/* ---- Accept-Language ----------------------------------------------------------------- */

/* q-value of one language-range element ("en-US;q=0.8"), in thousandths; -1 if malformed */
static int parse_q(const char *p, const char *end)
{
    int q = 1000;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            int scale = 100;
            p += 2;
            if (p < end && (*p == '0' || *p == '1')) {
                q = (*p - '0') * 1000;
                p++;
                if (p < end && *p == '.') {
                    p++;
                    while (p < end && isdigit((unsigned char)*p)) {
                        q += (*p - '0') * scale;
                        scale /= 10;
                        p++;
                    }
                }
            } else {
                return -1;
            }
            if (q > 1000)
                q = 1000;
        }
        while (p < end && *p != ';')
            p++;
    }
    return q;
}

/* RFC 4647 3.3.1 basic filtering: range equals tag or is a prefix of it ending at '-' */
static int range_matches(const char *range, size_t rlen, const char *tag)
{
    if (rlen == 1 && range[0] == '*')
        return 1;
    if (strncasecmp(range, tag, rlen) != 0)
        return 0;
    return tag[rlen] == '\0' || tag[rlen] == '-';
}

const cJSON *stmt_lang_pick(const cJSON *map, const char *accept_language)
{
    const cJSON *c, *best = NULL;
    int best_q = -1, best_order = 0;

    if (!cJSON_IsObject(map) || !map->child)
        return NULL;
    if (!accept_language)
        return map->child;
    cJSON_ArrayForEach(c, map)
    {
        /* the most specific matching range decides this key's q (RFC 2616 14.4) */
        const char *p = accept_language;
        int q = 0, spec = -1, order = 0, idx = 0;
        while (*p) {
            const char *e = strchr(p, ','), *rb, *re;
            if (!e)
                e = p + strlen(p);
            rb = p;
            while (rb < e && (*rb == ' ' || *rb == '\t'))
                rb++;
            re = rb;
            while (re < e && *re != ';' && *re != ' ' && *re != '\t')
                re++;
            if (re > rb && c->string && range_matches(rb, (size_t)(re - rb), c->string)) {
                int rq = parse_q(re, e);
                int rspec = (re - rb == 1 && *rb == '*') ? 0 : (int)(re - rb);
                if (rq >= 0 && rspec > spec) {
                    spec = rspec;
                    q = rq;
                    order = idx;
                }
            }
            idx++;
            p = *e ? e + 1 : e;
        }
        if (spec >= 0 && q > 0 && (q > best_q || (q == best_q && order < best_order))) {
            best = c;
            best_q = q;
            best_order = order;
        }
    }
    return best ? best : map->child;
}

/* Turn object x into an array holding that object, keeping x's key and place in its parent
 * (Data 2.4.6.2 normalisation; also used by stmt_compare.c). Returns 0 or -1 (no memory). */
int stmt__wrap_in_array(cJSON *x)
{
    cJSON *inner = cJSON_CreateObject();

    if (!inner)
        return -1;
    inner->child = x->child;
    x->child = inner;
    x->type = cJSON_Array;
    inner->prev = inner; /* cJSON keeps the tail in head->prev */
    inner->next = NULL;
    return 0;
}

/* keep one language in the language map member `key` of o */
static void filter_map(cJSON *o, const char *key, const char *accept_language)
{
    cJSON *m = get(o, key), *c, *next;
    const cJSON *keep;

    if (!cJSON_IsObject(m))
        return;
    keep = stmt_lang_pick(m, accept_language);
    for (c = m->child; c; c = next) {
        next = c->next;
        if (c != keep)
            cJSON_Delete(cJSON_DetachItemViaPointer(m, c));
    }
}

/* ---- shared walk ----------------------------------------------------------------------- */

struct fmt {
    enum stmt_format fmt;
    const char *lang;
};

static const char *const ifi_keys[] = {"mbox", "mbox_sha1sum", "openid", "account", NULL};

static int is_ifi(const char *k)
{
    for (int i = 0; ifi_keys[i]; i++)
        if (strcmp(k, ifi_keys[i]) == 0)
            return 1;
    return 0;
}

/* Comm 2.1.3 ids: "only include minimum information necessary in Agent, Activity, Verb and
 * Group Objects to identify them. For Anonymous Groups this means including the minimum
 * information needed to identify each member." */
static int ids_agent(cJSON *o)
{
    cJSON *c, *next, *ot = get(o, "objectType");
    int group = cJSON_IsString(ot) && strcmp(ot->valuestring, "Group") == 0, has_ifi = 0;

    for (c = o->child; c; c = c->next)
        if (c->string && is_ifi(c->string))
            has_ifi = 1;
    for (c = o->child; c; c = next) {
        next = c->next;
        if (!c->string)
            continue;
        if (strcmp(c->string, "objectType") == 0 || is_ifi(c->string))
            continue;
        if (group && !has_ifi && strcmp(c->string, "member") == 0) {
            cJSON *m;
            cJSON_ArrayForEach(m, c)
            {
                if (cJSON_IsObject(m) && ids_agent(m) != 0)
                    return -1;
            }
            continue;
        }
        cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
    }
    if (!ot && !cJSON_AddStringToObject(o, "objectType", "Agent"))
        return -1;
    return 0;
}

static int do_activity(cJSON *a, const struct fmt *f)
{
    static const char *const lists[] = {"choices", "scale", "source", "target", "steps", NULL};
    cJSON *d;

    if (f->fmt == STMT_FORMAT_IDS) {
        /* Comm 2.1.3 ids: the minimum that identifies an Activity is its id */
        cJSON_DeleteItemFromObjectCaseSensitive(a, "definition");
        cJSON_DeleteItemFromObjectCaseSensitive(a, "objectType");
        return 0;
    }
    if (f->fmt != STMT_FORMAT_CANONICAL || !cJSON_IsObject(d = get(a, "definition")))
        return 0;
    filter_map(d, "name", f->lang);
    filter_map(d, "description", f->lang);
    for (int i = 0; lists[i]; i++) {
        cJSON *comp;
        cJSON_ArrayForEach(comp, get(d, lists[i]))
        {
            if (cJSON_IsObject(comp))
                filter_map(comp, "description", f->lang);
        }
    }
    return 0;
}

static int do_agent(cJSON *o, const struct fmt *f)
{
    if (f->fmt == STMT_FORMAT_IDS && cJSON_IsObject(o))
        return ids_agent(o);
    return 0;
}

static int do_context(cJSON *c, const struct fmt *f)
{
    cJSON *ca = get(c, "contextActivities"), *x;

    if (do_agent(get(c, "instructor"), f) != 0 || do_agent(get(c, "team"), f) != 0)
        return -1;
    if (!cJSON_IsObject(ca))
        return 0;
    for (x = ca->child; x; x = x->next) {
        cJSON *a;
        if (cJSON_IsObject(x)) {
            /* Data 2.4.6.2: "The LRS MUST return every value in the contextActivities Object
             * as an array, even if it arrived as a single Activity Object." */
            if (stmt__wrap_in_array(x) != 0)
                return -1;
        }
        cJSON_ArrayForEach(a, x)
        {
            if (cJSON_IsObject(a) && do_activity(a, f) != 0)
                return -1;
        }
    }
    return 0;
}

static int do_statement(cJSON *s, const struct fmt *f)
{
    cJSON *x;

    if (do_agent(get(s, "actor"), f) != 0 || do_agent(get(s, "authority"), f) != 0)
        return -1;
    x = get(s, "verb");
    if (cJSON_IsObject(x)) {
        if (f->fmt == STMT_FORMAT_IDS)
            cJSON_DeleteItemFromObjectCaseSensitive(x, "display");
        else if (f->fmt == STMT_FORMAT_CANONICAL)
            filter_map(x, "display", f->lang);
    }
    x = get(s, "object");
    if (cJSON_IsObject(x)) {
        cJSON *ot = get(x, "objectType");
        const char *t = cJSON_IsString(ot) ? ot->valuestring : "Activity";
        int rc = 0;
        if (strcmp(t, "Activity") == 0)
            rc = do_activity(x, f);
        else if (strcmp(t, "Agent") == 0 || strcmp(t, "Group") == 0)
            rc = do_agent(x, f);
        else if (strcmp(t, "SubStatement") == 0)
            rc = do_statement(x, f);
        if (rc != 0)
            return -1;
    }
    x = get(s, "context");
    if (cJSON_IsObject(x) && do_context(x, f) != 0)
        return -1;
    return 0;
}

cJSON *stmt_format(const cJSON *stored_stmt, enum stmt_format fmt, const char *accept_language)
{
    struct fmt f = {fmt, accept_language};
    cJSON *out;

    if (!cJSON_IsObject(stored_stmt) ||
        (fmt != STMT_FORMAT_EXACT && fmt != STMT_FORMAT_IDS && fmt != STMT_FORMAT_CANONICAL))
        return NULL;
    out = cJSON_Duplicate(stored_stmt, 1);
    if (!out)
        return NULL;
    if (do_statement(out, &f) != 0) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}
