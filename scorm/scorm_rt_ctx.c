/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A registration's context for the run-time's calls (scorm_rt_session.c, scorm_rt_state.c):
 * its record, its course version's tree (from the run-time's cache of parsed versions while
 * the stored text is unchanged), the default organization, the SCORM version; and the course
 * tree's items (lookup by identifier, tree order).
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "scorm/seq.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "statements/stmt_db.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A number member, 0 when absent (cJSON_GetNumberValue gives NaN). */
static double jnum(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

const cJSON *scorm__find_item(const cJSON *items, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        const char *iid = scorm__jstr(it, "identifier");
        const cJSON *f;
        if (iid && !strcmp(iid, id))
            return it;
        f = scorm__find_item(cJSON_GetObjectItemCaseSensitive(it, "items"), id);
        if (f)
            return f;
    }
    return NULL;
}

void scorm__flatten(const cJSON *items, int depth, struct scorm__flat *f)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        if (f->n >= sizeof f->item / sizeof f->item[0])
            return;
        f->item[f->n] = it;
        f->depth[f->n++] = depth;
        scorm__flatten(cJSON_GetObjectItemCaseSensitive(it, "items"), depth + 1, f);
    }
}

/* Validation mode of the registration's commits: spec-exact when the run-time was opened
 * strict or the registration was created with "strict": true (scorm_rt_reg_opts), so the
 * server checks exactly as the player's shim, which gets the same flag at launch. */
int scorm__regctx_strict(const struct scorm__regctx *c)
{
    return c->rt->strict || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->reg, "strict"));
}

/* the learner id of the registration (borrowed) or NULL */
const char *scorm__regctx_learner(const struct scorm__regctx *c)
{
    return scorm__jstr(cJSON_GetObjectItemCaseSensitive(c->reg, "learner"), "id");
}

int scorm__regctx_seq(struct scorm__regctx *c, struct stmt_db_txn *txn, struct seq_tree **out)
{
    int rc = SCORM_RT_OK;
    if (!c->seq_loaded) {
        rc = scorm__seq_tree_of(c->rt, txn, c->tree, scorm__jstr(c->reg, "id"),
                                scorm__regctx_learner(c), &c->seq);
        c->seq_loaded = rc == SCORM_RT_OK;
    }
    *out = c->seq;
    return rc;
}

void scorm__regctx_free(struct scorm__regctx *c)
{
    seq_tree_destroy(c->seq);
    cJSON_Delete(c->reg);
    if (c->entry) {
        pthread_mutex_lock(&c->rt->cache_lock);
        c->entry->refs--;
        pthread_mutex_unlock(&c->rt->cache_lock);
    } else {
        cJSON_Delete(c->ver);
    }
    memset(c, 0, sizeof *c);
}

/* A hash of the version record's text for the cache, eight bytes a step (sc_hash64, FNV-1a byte
 * by byte, cost 4 instructions a byte on every commit: the record holds the course's tree). */
static uint64_t text_hash(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    h ^= h >> 29;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 32);
}

/* The version record of (course, version), from the cache when the stored text is unchanged. */
static int version_load(struct scorm_rt *rt, const char *course, int version,
                        struct scorm__regctx *c)
{
    char key[SCORM_MAX_COURSE_ID + 16], *v = NULL;
    size_t vl, i, slot = SCORM__TREE_CACHE;
    uint64_t h;
    cJSON *ver;
    int rc;
    if (!course || strlen(course) > SCORM_MAX_COURSE_ID)
        return SCORM_RT_ERR_NOTFOUND;
    scorm__version_key(key, sizeof key, course, version);
    rc = stmt_db_get1(rt->db, "course_versions", key, strlen(key), &v, &vl);
    if (rc)
        return rc == STMT_DB_NOTFOUND ? SCORM_RT_ERR_NOTFOUND : SCORM_RT_ERR_STORE;
    h = text_hash(v, vl);
    pthread_mutex_lock(&rt->cache_lock);
    for (i = 0; i < SCORM__TREE_CACHE; i++) {
        struct scorm__tree_entry *e = &rt->cache[i];
        if (e->ver && !strcmp(e->key, key) && e->hash == h && e->len == vl) {
            e->refs++;
            c->ver = e->ver;
            c->entry = e;
            pthread_mutex_unlock(&rt->cache_lock);
            sc_free(v);
            return SCORM_RT_OK;
        }
    }
    pthread_mutex_unlock(&rt->cache_lock);
    ver = cJSON_ParseWithLength(v, vl);
    sc_free(v);
    if (!ver)
        return SCORM_RT_ERR_STORE;
    pthread_mutex_lock(&rt->cache_lock);
    for (i = 0; i < SCORM__TREE_CACHE; i++) {
        if (!rt->cache[i].ver) {
            slot = i;
            break;
        }
        if (slot == SCORM__TREE_CACHE && rt->cache[i].refs == 0)
            slot = i; /* replace an unused entry if no slot is free */
    }
    if (slot < SCORM__TREE_CACHE) {
        struct scorm__tree_entry *e = &rt->cache[slot];
        cJSON_Delete(e->ver);
        snprintf(e->key, sizeof e->key, "%s", key);
        e->hash = h;
        e->len = vl;
        e->ver = ver;
        e->refs = 1;
        c->entry = e;
    }
    pthread_mutex_unlock(&rt->cache_lock);
    c->ver = ver;
    return SCORM_RT_OK;
}

int scorm__regctx_load(struct scorm_rt *rt, const char *reg, struct scorm__regctx *c)
{
    char *v = NULL;
    size_t vl;
    int rc;
    memset(c, 0, sizeof *c);
    c->rt = rt;
    c->fails0 = sc_alloc_failures();
    if (!reg || !sc_uuid_valid(reg, strlen(reg)))
        return SCORM_RT_ERR_NOTFOUND;
    rc = stmt_db_get1(rt->db, "registrations", reg, strlen(reg), &v, &vl);
    if (rc)
        return rc == STMT_DB_NOTFOUND ? SCORM_RT_ERR_NOTFOUND : SCORM_RT_ERR_STORE;
    c->reg = cJSON_ParseWithLength(v, vl);
    sc_free(v);
    if (!c->reg)
        return SCORM_RT_ERR_STORE;
    rc = version_load(rt, scorm__jstr(c->reg, "course"), (int)jnum(c->reg, "course_version"), c);
    if (rc) {
        scorm__regctx_free(c);
        return rc;
    }
    c->tree = cJSON_GetObjectItemCaseSensitive(c->ver, "tree");
    c->org = scorm__default_org(c->tree);
    c->is12 =
        scorm__jstr(c->tree, "version") && !strcmp(scorm__jstr(c->tree, "version"), "scorm12");
    return SCORM_RT_OK;
}
