/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Index terms of a statement: which (kind, value) pairs a query by agent, verb, activity,
 * registration, related_activities or related_agents must find it under (xAPI 1.0.3
 * Communication 2.1.3 "Query Parameters"), and small helpers for keys (UUIDs, big-endian).
 *
 * A term is a 64-bit FNV-1a hash of a kind byte and the value. Keys of "stmt_idx" are
 * hash(8) ‖ seq(8), so one term's statements are adjacent and in stored order (security.md 8:
 * composite keys instead of DUPSORT). Long IRIs fit because only the hash is in the key.
 */
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IFI_MAX 2048

void stmt__be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

uint64_t stmt__be64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* xAPI Data 4.3: UUIDs in the standard 8-4-4-4-12 string form; either case. */
int stmt__uuid_parse(const char *s, unsigned char out[16])
{
    size_t j = 0;
    if (!s || strlen(s) != 36)
        return -1;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return -1;
            continue;
        }
        int hi = hexval((unsigned char)s[i]), lo;
        if (hi < 0 || i + 1 >= 36)
            return -1;
        lo = hexval((unsigned char)s[i + 1]);
        if (lo < 0)
            return -1;
        out[j++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return j == 16 ? 0 : -1;
}

void stmt__uuid_format(const unsigned char id[16], char out[STMT_STORE_UUID_LEN])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[id[i] >> 4];
        out[o++] = hex[id[i] & 15];
    }
    out[o] = '\0';
}

uint64_t stmt__term_hash(char kind, const char *value, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    h ^= (unsigned char)kind;
    h *= 1099511628211ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)value[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Data 2.4.2.3: exactly one IFI; validation made sure of that, so take the first present. */
static int ifi_write(const cJSON *agent, char *out, size_t outlen)
{
    const char *v;
    int n;
    if (!cJSON_IsObject(agent))
        return -1;
    if ((v = str_of(agent, "mbox")))
        n = snprintf(out, outlen, "mbox:%s", v);
    else if ((v = str_of(agent, "mbox_sha1sum")))
        n = snprintf(out, outlen, "mbox_sha1sum:%s", v);
    else if ((v = str_of(agent, "openid")))
        n = snprintf(out, outlen, "openid:%s", v);
    else {
        const cJSON *acc = cJSON_GetObjectItemCaseSensitive(agent, "account");
        const char *hp = str_of(acc, "homePage"), *name = str_of(acc, "name");
        if (!hp || !name)
            return -1;
        n = snprintf(out, outlen, "account:%s\x1f%s", hp, name);
    }
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    return n;
}

int stmt_store_agent_ifi(const cJSON *agent, char *out, size_t outlen)
{
    return ifi_write(agent, out, outlen) < 0 ? STMT_STORE_ERR_ARG : STMT_STORE_OK;
}

struct terms {
    uint64_t *v;
    size_t n, cap;
    int err;
};

static void terms_add(struct terms *t, char kind, const char *value, size_t len)
{
    if (t->err)
        return;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        uint64_t *nv = sc_realloc(t->v, nc * sizeof *nv);
        if (!nv) {
            t->err = 1;
            return;
        }
        t->v = nv;
        t->cap = nc;
    }
    t->v[t->n++] = stmt__term_hash(kind, value, len);
}

static int is_type(const cJSON *o, const char *type)
{
    const char *t = str_of(o, "objectType");
    return t && strcmp(t, type) == 0;
}

/* An Agent or Group under `kind` (and `kind2` when non-zero): its IFI and its members'. */
static void add_agent(struct terms *t, const cJSON *agent, char kind, char kind2)
{
    char ifi[IFI_MAX];
    int n = ifi_write(agent, ifi, sizeof ifi);
    if (n > 0) {
        terms_add(t, kind, ifi, (size_t)n);
        if (kind2)
            terms_add(t, kind2, ifi, (size_t)n);
    }
    if (is_type(agent, "Group")) {
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(agent, "member"))
        {
            n = ifi_write(m, ifi, sizeof ifi);
            if (n > 0) {
                terms_add(t, kind, ifi, (size_t)n);
                if (kind2)
                    terms_add(t, kind2, ifi, (size_t)n);
            }
        }
    }
}

static void add_activity(struct terms *t, const cJSON *act, char kind, char kind2)
{
    const char *id = str_of(act, "id");
    if (!id)
        return;
    terms_add(t, kind, id, strlen(id));
    if (kind2)
        terms_add(t, kind2, id, strlen(id));
}

/* Comm 2.1.3 related_activities: context activities of every category, object or array. */
static void add_context(struct terms *t, const cJSON *ctx, int with_registration)
{
    static const char *const cats[] = {"parent", "grouping", "category", "other"};
    const cJSON *ca, *reg;
    if (!cJSON_IsObject(ctx))
        return;
    ca = cJSON_GetObjectItemCaseSensitive(ctx, "contextActivities");
    for (size_t i = 0; cJSON_IsObject(ca) && i < sizeof cats / sizeof cats[0]; i++) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(ca, cats[i]), *a;
        if (cJSON_IsArray(c)) {
            cJSON_ArrayForEach(a, c)
            {
                add_activity(t, a, STMT_TERM_REL_ACTIVITY, 0);
            }
        } else if (cJSON_IsObject(c)) {
            add_activity(t, c, STMT_TERM_REL_ACTIVITY, 0);
        }
    }
    add_agent(t, cJSON_GetObjectItemCaseSensitive(ctx, "instructor"), STMT_TERM_REL_AGENT, 0);
    add_agent(t, cJSON_GetObjectItemCaseSensitive(ctx, "team"), STMT_TERM_REL_AGENT, 0);
    reg = cJSON_GetObjectItemCaseSensitive(ctx, "registration");
    if (with_registration && cJSON_IsString(reg)) {
        char low[STMT_STORE_UUID_LEN];
        size_t n = strlen(reg->valuestring);
        if (n < sizeof low) {
            for (size_t i = 0; i <= n; i++) {
                char c = reg->valuestring[i];
                low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
            }
            terms_add(t, STMT_TERM_REGISTRATION, low, n);
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int stmt__terms_collect(const cJSON *stmt, uint64_t **out, size_t *n)
{
    struct terms t = {0};
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(stmt, "object");
    const char *verb = str_of(cJSON_GetObjectItemCaseSensitive(stmt, "verb"), "id");

    add_agent(&t, cJSON_GetObjectItemCaseSensitive(stmt, "actor"), STMT_TERM_AGENT,
              STMT_TERM_REL_AGENT);
    if (verb)
        terms_add(&t, STMT_TERM_VERB, verb, strlen(verb));
    if (is_type(obj, "Agent") || is_type(obj, "Group")) {
        add_agent(&t, obj, STMT_TERM_AGENT, STMT_TERM_REL_AGENT);
    } else if (is_type(obj, "SubStatement")) {
        /* Comm 2.1.3: related_* reach into a SubStatement; agent/activity do not. */
        const cJSON *sobj = cJSON_GetObjectItemCaseSensitive(obj, "object");
        add_agent(&t, cJSON_GetObjectItemCaseSensitive(obj, "actor"), STMT_TERM_REL_AGENT, 0);
        if (is_type(sobj, "Agent") || is_type(sobj, "Group"))
            add_agent(&t, sobj, STMT_TERM_REL_AGENT, 0);
        else if (!str_of(sobj, "objectType") || is_type(sobj, "Activity"))
            add_activity(&t, sobj, STMT_TERM_REL_ACTIVITY, 0);
        add_context(&t, cJSON_GetObjectItemCaseSensitive(obj, "context"), 0);
    } else if (!str_of(obj, "objectType") || is_type(obj, "Activity")) {
        add_activity(&t, obj, STMT_TERM_ACTIVITY, STMT_TERM_REL_ACTIVITY);
    }
    add_context(&t, cJSON_GetObjectItemCaseSensitive(stmt, "context"), 1);
    add_agent(&t, cJSON_GetObjectItemCaseSensitive(stmt, "authority"), STMT_TERM_REL_AGENT, 0);
    if (t.err) {
        sc_free(t.v);
        return STMT_STORE_ERR_NOMEM;
    }
    if (t.n) {
        size_t w = 1;
        qsort(t.v, t.n, sizeof *t.v, cmp_u64);
        for (size_t i = 1; i < t.n; i++)
            if (t.v[i] != t.v[w - 1])
                t.v[w++] = t.v[i];
        t.n = w;
    }
    *out = t.v;
    *n = t.n;
    return STMT_STORE_OK;
}

unsigned stmt__ref_of(const cJSON *stmt, unsigned char ref[16])
{
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(stmt, "object");
    const char *verb = str_of(cJSON_GetObjectItemCaseSensitive(stmt, "verb"), "id");
    unsigned flags = 0;
    memset(ref, 0, 16);
    if (!is_type(obj, "StatementRef") || stmt__uuid_parse(str_of(obj, "id"), ref) != 0)
        return 0;
    flags = STMT_REC_REF;
    /* Data 2.3.2: a voiding statement has the verb voided and a StatementRef object. */
    if (verb && strcmp(verb, STMT_VOIDED_VERB) == 0)
        flags |= STMT_REC_VOIDING;
    return flags;
}

/* ---- id map -------------------------------------------------------------------------------- */

static size_t slot_of(const struct stmt__idmap *m, const unsigned char id[16])
{
    /* Hashed, not taken from the UUID bytes: client ids need not be random. */
    return (size_t)(sc_hash64(id, 16) & (m->cap - 1));
}

static void raw_put(struct stmt__idmap *m, const unsigned char id[16], int64_t seq)
{
    size_t i = slot_of(m, id);
    while (m->vals[i] && memcmp(m->keys[i], id, 16) != 0)
        i = (i + 1) & (m->cap - 1);
    if (!m->vals[i])
        m->n++;
    memcpy(m->keys[i], id, 16);
    m->vals[i] = seq;
}

static int rehash(struct stmt__idmap *m, size_t cap, int64_t drop_upto)
{
    struct stmt__idmap old = *m;
    m->keys = sc_malloc(cap * sizeof *m->keys);
    m->vals = sc_calloc(cap, sizeof *m->vals);
    if (!m->keys || !m->vals) {
        sc_free(m->keys);
        sc_free(m->vals);
        *m = old;
        return STMT_STORE_ERR_NOMEM;
    }
    m->cap = cap;
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.vals[i] > drop_upto)
            raw_put(m, old.keys[i], old.vals[i]);
    sc_free(old.keys);
    sc_free(old.vals);
    return STMT_STORE_OK;
}

int stmt__idmap_put(struct stmt__idmap *m, const unsigned char id[16], int64_t seq)
{
    if ((m->n + 1) * 2 > m->cap) {
        int rc = rehash(m, m->cap ? m->cap * 2 : 1024, 0);
        if (rc)
            return rc;
    }
    raw_put(m, id, seq);
    return STMT_STORE_OK;
}

int64_t stmt__idmap_get(const struct stmt__idmap *m, const unsigned char id[16])
{
    size_t i;
    if (!m->n)
        return 0;
    i = slot_of(m, id);
    while (m->vals[i]) {
        if (memcmp(m->keys[i], id, 16) == 0)
            return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return 0;
}

void stmt__idmap_prune(struct stmt__idmap *m, int64_t upto)
{
    size_t keep = 0, cap = 1024;
    if (!m->n)
        return;
    for (size_t i = 0; i < m->cap; i++)
        keep += m->vals[i] > upto;
    if (keep == 0) {
        /* All folded: give the memory back (a backlog under load can take 100,000s of slots;
         * kept, the largest one would stay resident for good). */
        stmt__idmap_free(m);
        return;
    }
    while (cap < keep * 4)
        cap *= 2;
    /* Shrunk to the survivors. On allocation failure the map keeps the folded entries:
     * lookups stay correct. */
    (void)rehash(m, cap < m->cap ? cap : m->cap, upto);
}

void stmt__idmap_clear(struct stmt__idmap *m)
{
    if (m->n)
        memset(m->vals, 0, m->cap * sizeof *m->vals);
    m->n = 0;
}

void stmt__idmap_free(struct stmt__idmap *m)
{
    sc_free(m->keys);
    sc_free(m->vals);
    memset(m, 0, sizeof *m);
}
