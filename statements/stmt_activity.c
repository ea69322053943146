/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the LRS learns about Activities and Agents from statements, behind the Activities
 * Resource (xAPI 1.0.3 Communication 2.5: "the complete Activity Object") and the Agents
 * Resource (Comm 2.4: a Person Object combining what is known of an Agent).
 *
 * Activities: table "activities", key SHA-256(id), value {"id":..., "definition":{...}}. A new
 * definition is merged into the stored one: language maps (name, description) and extensions
 * key by key, every other property replaced by the newer one (Data 2.4.4.1 lets the LRS keep
 * the definition it receives from a trusted source; Comm 2.5 XAPI-00254 wants both language
 * entries of two statements kept). Agents: table "agents", key SHA-256(IFI), value
 * {"ifi":..., "names":[...]} with at most AGENT_MAX_NAMES distinct names.
 */
#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/sc_json.h"
#include "common/sc_rand.h"
#include "statements/stmt_db.h"
#include "statements/stmt_doc.h"
#include "statements/stmt_store.h"

#include <stdlib.h>
#include <string.h>

#define ACT_TABLE "activities"
#define AGENT_TABLE "agents"
#define AGENT_MAX_NAMES 32
#define IFI_MAX 2048
#define LEARN_ATTEMPTS 8

/* A record read ahead (PostgreSQL): the bytes of table `tbl` (0 activities, 1 agents) under
 * key as the pass's transaction sees them (val NULL: absent). */
struct ahead_rec {
    unsigned char key[32];
    int tbl;
    unsigned char *val;
    size_t vlen;
};

/* One pass of stmt_activity_learn: `check` reads only and notes whether a write would change
 * anything (then stops early); otherwise it writes. `collect` only notes the keys the
 * statements name (ahead_collect). */
struct learn {
    int check;
    int dirty; /* a record is (or would be) changed */
    int collect;
    struct ahead_rec *ah; /* sorted by (tbl, key); NULL: read each record when needed */
    size_t nah, capah;
};

static int db_err(int rc)
{
    switch (rc) {
    case STMT_DB_OK:
        return STMT_DOC_OK;
    case STMT_DB_NOTFOUND:
        return STMT_DOC_ERR_NOTFOUND;
    case STMT_DB_ERR_NOMEM:
        return STMT_DOC_ERR_NOMEM;
    case STMT_DB_ERR_FULL:
        return STMT_DOC_ERR_FULL;
    default:
        return STMT_DOC_ERR_IO;
    }
}

static int ahead_cmp(const void *x, const void *y)
{
    const struct ahead_rec *a = x, *b = y;
    return a->tbl != b->tbl ? a->tbl - b->tbl : memcmp(a->key, b->key, 32);
}

static int table_no(const char *table)
{
    return strcmp(table, ACT_TABLE) != 0;
}

static struct ahead_rec *ahead_find(const struct learn *l, const char *table,
                                    const unsigned char key[32])
{
    struct ahead_rec k;
    if (!l || !l->ah)
        return NULL;
    memcpy(k.key, key, 32);
    k.tbl = table_no(table);
    return bsearch(&k, l->ah, l->nah, sizeof k, ahead_cmp);
}

/* collect: note the key of a record the statements name. */
static int ahead_note(struct learn *l, const char *table, const unsigned char key[32])
{
    if (l->nah == l->capah) {
        size_t nc = l->capah ? l->capah * 2 : 64;
        struct ahead_rec *n = sc_realloc(l->ah, nc * sizeof *n);
        if (!n)
            return STMT_DOC_ERR_NOMEM;
        l->ah = n;
        l->capah = nc;
    }
    memcpy(l->ah[l->nah].key, key, 32);
    l->ah[l->nah].tbl = table_no(table);
    l->ah[l->nah].val = NULL;
    l->ah[l->nah++].vlen = 0;
    return STMT_DOC_OK;
}

/* Copy bytes into a record read ahead (its previous copy freed). */
static int ahead_set(struct ahead_rec *a, const void *val, size_t vlen)
{
    unsigned char *c = NULL;
    if (val && !(c = sc_malloc(vlen ? vlen : 1)))
        return STMT_DOC_ERR_NOMEM;
    if (vlen)
        memcpy(c, val, vlen);
    sc_free(a->val);
    a->val = c;
    a->vlen = vlen;
    return STMT_DOC_OK;
}

static void ahead_drop(struct learn *l)
{
    for (size_t i = 0; i < l->nah; i++)
        sc_free(l->ah[i].val);
    sc_free(l->ah);
    l->ah = NULL;
    l->nah = l->capah = 0;
}

/* The records of l->ah as t sees them: one stmt_db_get_many per table (copied: the next write
 * of t ends what get_many lends). */
static int ahead_load(struct stmt_db_txn *t, struct learn *l)
{
    struct stmt_db_kv *kv = sc_malloc((l->nah ? l->nah : 1) * sizeof *kv);
    int rc = kv ? STMT_DOC_OK : STMT_DOC_ERR_NOMEM;
    for (int tbl = 0; tbl < 2 && !rc; tbl++) {
        size_t n = 0, first = 0;
        for (size_t i = 0; i < l->nah; i++) {
            if (l->ah[i].tbl != tbl)
                continue;
            if (!n)
                first = i;
            kv[n].key = l->ah[i].key;
            kv[n++].klen = 32;
        }
        if (!n)
            continue;
        rc = db_err(stmt_db_get_many(t, tbl ? AGENT_TABLE : ACT_TABLE, kv, n));
        for (size_t i = 0; i < n && !rc; i++) /* a table's records are adjacent (sorted) */
            rc = ahead_set(&l->ah[first + i], kv[i].val, kv[i].vlen);
    }
    sc_free(kv);
    return rc;
}

/* A record's bytes: read ahead, or from t. */
static int rec_get(struct stmt_db_txn *t, const struct learn *l, const char *table,
                   const unsigned char key[32], const void **val, size_t *vlen)
{
    const struct ahead_rec *a = ahead_find(l, table, key);
    if (!a)
        return stmt_db_get(t, table, key, 32, val, vlen);
    if (!a->val)
        return STMT_DB_NOTFOUND;
    *val = a->val;
    *vlen = a->vlen;
    return STMT_DB_OK;
}

/* Read a JSON record whose `field` must equal `ident` (else it is a hash collision: absent). */
static int read_rec(struct stmt_db_txn *t, const struct learn *l, const char *table,
                    const unsigned char key[32], const char *field, const char *ident, cJSON **out)
{
    const void *val;
    size_t vlen;
    cJSON *j, *f;
    int rc = rec_get(t, l, table, key, &val, &vlen);
    *out = NULL;
    if (rc == STMT_DB_NOTFOUND)
        return STMT_DOC_OK;
    if (rc)
        return db_err(rc);
    j = cJSON_ParseWithLength(val, vlen); /* short records: cJSON is as fast as scan + build */
    if (!j) {
        /* we wrote valid JSON: a failure is out of memory unless the bytes are damaged */
        struct stmt_diag d;
        int src = stmt_json_scan(val, vlen, NULL, &d);
        return src == STMT_OK || src == STMT_ERR_NOMEM ? STMT_DOC_ERR_NOMEM : STMT_DOC_ERR_CORRUPT;
    }
    f = cJSON_GetObjectItemCaseSensitive(j, field);
    if (!cJSON_IsString(f) || strcmp(f->valuestring, ident)) {
        cJSON_Delete(j);
        return STMT_DOC_OK;
    }
    *out = j;
    return STMT_DOC_OK;
}

/* Write j under key unless the stored bytes are already the same (then l->dirty stays as is,
 * so a statement that teaches nothing new costs no commit); a check only notes the change. */
static int write_rec(struct stmt_db_txn *t, const char *table, const unsigned char key[32],
                     const cJSON *j, struct learn *l)
{
    struct sc_buf b = SC_BUF_INIT;
    const void *old;
    size_t olen;
    int rc;
    if (sc_json_print(j, &b)) { /* cJSON_PrintUnformatted's bytes */
        sc_buf_free(&b);
        return STMT_DOC_ERR_NOMEM;
    }
    rc = rec_get(t, l, table, key, &old, &olen);
    if (rc == STMT_DB_OK && olen == b.len && !memcmp(old, b.data, b.len)) {
        sc_buf_free(&b);
        return STMT_DOC_OK;
    }
    if (rc != STMT_DB_OK && rc != STMT_DB_NOTFOUND) {
        sc_buf_free(&b);
        return db_err(rc);
    }
    rc = l->check ? STMT_DOC_OK : db_err(stmt_db_put(t, table, key, 32, b.data, b.len, 0));
    if (!rc && !l->check && ahead_find(l, table, key)) /* later reads of the pass see it */
        rc = ahead_set(ahead_find(l, table, key), b.data, b.len);
    if (!rc)
        l->dirty = 1;
    sc_buf_free(&b);
    return rc;
}

/* Key-wise merge of object `add` into object `base` (both borrowed; base is changed). */
static int merge_keys(cJSON *base, const cJSON *add)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, add)
    {
        cJSON *c = cJSON_Duplicate(e, 1);
        if (!c)
            return STMT_DOC_ERR_NOMEM;
        if (cJSON_HasObjectItem(base, e->string)) {
            if (!cJSON_ReplaceItemInObjectCaseSensitive(base, e->string, c)) {
                cJSON_Delete(c);
                return STMT_DOC_ERR_NOMEM;
            }
        } else if (!cJSON_AddItemToObject(base, e->string, c)) {
            cJSON_Delete(c);
            return STMT_DOC_ERR_NOMEM;
        }
    }
    return STMT_DOC_OK;
}

static int merge_definition(cJSON *base, const cJSON *add)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, add)
    {
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(base, e->string);
        int keywise = !strcmp(e->string, "name") || !strcmp(e->string, "description") ||
                      !strcmp(e->string, "extensions");
        if (keywise && cJSON_IsObject(cur) && cJSON_IsObject(e)) {
            int rc = merge_keys(cur, e);
            if (rc)
                return rc;
            continue;
        }
        {
            cJSON *c = cJSON_Duplicate(e, 1);
            if (!c)
                return STMT_DOC_ERR_NOMEM;
            if (cur) {
                cJSON_ReplaceItemViaPointer(base, cur, c);
            } else if (!cJSON_AddItemToObject(base, e->string, c)) {
                cJSON_Delete(c);
                return STMT_DOC_ERR_NOMEM;
            }
        }
    }
    return STMT_DOC_OK;
}

static int learn_activity(struct stmt_db_txn *t, struct learn *l, const cJSON *act)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(act, "id");
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(act, "definition");
    const cJSON *ot = cJSON_GetObjectItemCaseSensitive(act, "objectType");
    unsigned char key[32];
    cJSON *rec = NULL, *cur;
    int rc;

    if (!cJSON_IsString(id) || !cJSON_IsObject(def) || (l->check && l->dirty))
        return STMT_DOC_OK;
    if (ot && (!cJSON_IsString(ot) || strcmp(ot->valuestring, "Activity")))
        return STMT_DOC_OK;
    sc_sha256(id->valuestring, strlen(id->valuestring), key);
    if (l->collect)
        return ahead_note(l, ACT_TABLE, key);
    rc = read_rec(t, l, ACT_TABLE, key, "id", id->valuestring, &rec);
    if (rc)
        return rc;
    if (!rec) {
        rec = cJSON_CreateObject();
        if (!rec || !cJSON_AddStringToObject(rec, "id", id->valuestring) ||
            !cJSON_AddObjectToObject(rec, "definition")) {
            cJSON_Delete(rec);
            return STMT_DOC_ERR_NOMEM;
        }
    }
    cur = cJSON_GetObjectItemCaseSensitive(rec, "definition");
    if (!cJSON_IsObject(cur)) {
        cJSON_Delete(rec);
        return STMT_DOC_ERR_CORRUPT;
    }
    rc = merge_definition(cur, def);
    if (!rc)
        rc = write_rec(t, ACT_TABLE, key, rec, l);
    cJSON_Delete(rec);
    return rc;
}

static int learn_agent(struct stmt_db_txn *t, struct learn *l, const cJSON *agent)
{
    char ifi[IFI_MAX];
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(agent, "name");
    const cJSON *e;
    unsigned char key[32];
    cJSON *rec = NULL, *names;
    int rc, n = 0;

    if (!cJSON_IsObject(agent) || !cJSON_IsString(name) || (l->check && l->dirty) ||
        stmt_store_agent_ifi(agent, ifi, sizeof ifi) != STMT_STORE_OK)
        return STMT_DOC_OK;
    sc_sha256(ifi, strlen(ifi), key);
    if (l->collect)
        return ahead_note(l, AGENT_TABLE, key);
    rc = read_rec(t, l, AGENT_TABLE, key, "ifi", ifi, &rec);
    if (rc)
        return rc;
    if (!rec) {
        rec = cJSON_CreateObject();
        if (!rec || !cJSON_AddStringToObject(rec, "ifi", ifi) ||
            !cJSON_AddArrayToObject(rec, "names")) {
            cJSON_Delete(rec);
            return STMT_DOC_ERR_NOMEM;
        }
    }
    names = cJSON_GetObjectItemCaseSensitive(rec, "names");
    if (!cJSON_IsArray(names)) {
        cJSON_Delete(rec);
        return STMT_DOC_ERR_CORRUPT;
    }
    cJSON_ArrayForEach(e, names)
    {
        n++;
        if (cJSON_IsString(e) && !strcmp(e->valuestring, name->valuestring)) {
            cJSON_Delete(rec);
            return STMT_DOC_OK; /* known already: no write */
        }
    }
    if (n >= AGENT_MAX_NAMES) {
        cJSON_Delete(rec);
        return STMT_DOC_OK;
    }
    if (!cJSON_AddItemToArray(names, cJSON_CreateString(name->valuestring))) {
        cJSON_Delete(rec);
        return STMT_DOC_ERR_NOMEM;
    }
    rc = write_rec(t, AGENT_TABLE, key, rec, l);
    cJSON_Delete(rec);
    return rc;
}

/* An Agent or a Group (with its members). */
static int learn_actor(struct stmt_db_txn *t, struct learn *l, const cJSON *actor)
{
    const cJSON *m, *members = cJSON_GetObjectItemCaseSensitive(actor, "member");
    int rc = learn_agent(t, l, actor);
    cJSON_ArrayForEach(m, members)
    {
        if (!rc)
            rc = learn_agent(t, l, m);
    }
    return rc;
}

static int learn_context(struct stmt_db_txn *t, struct learn *l, const cJSON *ctx)
{
    static const char *const kinds[] = {"parent", "grouping", "category", "other"};
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(ctx, "contextActivities");
    int rc = STMT_DOC_OK;
    if (!cJSON_IsObject(ctx))
        return rc;
    for (size_t k = 0; !rc && k < sizeof kinds / sizeof kinds[0]; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ca, kinds[k]), *a;
        if (cJSON_IsObject(v)) {
            rc = learn_activity(t, l, v);
            continue;
        }
        cJSON_ArrayForEach(a, v)
        {
            if (!rc)
                rc = learn_activity(t, l, a);
        }
    }
    if (!rc)
        rc = learn_actor(t, l, cJSON_GetObjectItemCaseSensitive(ctx, "instructor"));
    if (!rc)
        rc = learn_actor(t, l, cJSON_GetObjectItemCaseSensitive(ctx, "team"));
    return rc;
}

static int learn_stmt(struct stmt_db_txn *t, struct learn *l, const cJSON *s, int depth)
{
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(s, "object");
    const cJSON *ot = cJSON_GetObjectItemCaseSensitive(obj, "objectType");
    const char *type = cJSON_IsString(ot) ? ot->valuestring : "Activity";
    int rc = learn_actor(t, l, cJSON_GetObjectItemCaseSensitive(s, "actor"));
    if (!rc) {
        if (!strcmp(type, "Activity"))
            rc = learn_activity(t, l, obj);
        else if (!strcmp(type, "Agent") || !strcmp(type, "Group"))
            rc = learn_actor(t, l, obj);
        else if (!strcmp(type, "SubStatement") && depth == 0)
            rc = learn_stmt(t, l, obj, 1);
    }
    if (!rc)
        rc = learn_context(t, l, cJSON_GetObjectItemCaseSensitive(s, "context"));
    return rc;
}

static int learn_all(struct stmt_db_txn *t, struct learn *l, const cJSON *stmts)
{
    const cJSON *s;
    int rc = STMT_DOC_OK;
    if (cJSON_IsObject(stmts))
        return learn_stmt(t, l, stmts, 0);
    cJSON_ArrayForEach(s, stmts)
    {
        if (!rc && cJSON_IsObject(s))
            rc = learn_stmt(t, l, s, 0);
    }
    return rc;
}

/* PostgreSQL (a round trip per read): the keys of every record the statements name, sorted,
 * each once, in l->ah; each pass then reads them with ahead_load. LMDB reads in place. */
static int ahead_collect(struct stmt_db *db, struct learn *l, const cJSON *stmts)
{
    size_t n = 0;
    int rc;
    if (!stmt_db_is_pg(db))
        return STMT_DOC_OK;
    l->collect = 1;
    rc = learn_all(NULL, l, stmts);
    l->collect = 0;
    if (rc || !l->nah) {
        ahead_drop(l);
        return rc;
    }
    qsort(l->ah, l->nah, sizeof *l->ah, ahead_cmp);
    for (size_t i = 0; i < l->nah; i++)
        if (!n || ahead_cmp(&l->ah[n - 1], &l->ah[i]))
            l->ah[n++] = l->ah[i];
    l->nah = n;
    return STMT_DOC_OK;
}

/* One pass in t: the records read ahead first (PostgreSQL), then the statements. */
static int learn_pass(struct stmt_db_txn *t, struct learn *l, const cJSON *stmts)
{
    int rc = l->ah ? ahead_load(t, l) : STMT_DOC_OK;
    return rc ? rc : learn_all(t, l, stmts);
}

int stmt_activity_learn(struct stmt_db *db, const cJSON *stmts)
{
    struct learn l = {1, 0, 0, NULL, 0, 0};
    int rc = STMT_DOC_ERR_FULL;
    if (!db || (!cJSON_IsObject(stmts) && !cJSON_IsArray(stmts)))
        return STMT_DOC_ERR_ARG;
    if ((rc = ahead_collect(db, &l, stmts)))
        return rc;
    {
        /* First a read transaction: a statement that teaches nothing new (the usual case: its
         * activities and agents are known) takes no write transaction, so it neither waits
         * for the statement writer's commits nor delays them. */
        struct stmt_db_txn *t;
        rc = db_err(stmt_db_txn_begin(db, 0, &t));
        if (rc)
            goto out;
        rc = learn_pass(t, &l, stmts);
        stmt_db_txn_abort(t);
        if (rc || !l.dirty)
            goto out;
        rc = STMT_DOC_ERR_FULL;
    }
    for (int attempt = 0; attempt < LEARN_ATTEMPTS && rc == STMT_DOC_ERR_FULL; attempt++) {
        struct stmt_db_txn *t;
        l.check = l.dirty = 0;
        rc = db_err(stmt_db_txn_begin(db, 1, &t));
        if (rc)
            goto out;
        rc = learn_pass(t, &l, stmts);
        if (rc || !l.dirty) /* nothing new learned: no commit, no fsync */
            stmt_db_txn_abort(t);
        else
            rc = db_err(stmt_db_txn_commit(t));
    }
out:
    ahead_drop(&l);
    return rc;
}

int stmt_activity_get(struct stmt_db *db, const char *activity_id, cJSON **out)
{
    struct stmt_db_txn *t = NULL;
    unsigned char key[32];
    cJSON *rec = NULL, *act = NULL, *def;
    int rc;

    if (!db || !activity_id || !out)
        return STMT_DOC_ERR_ARG;
    sc_sha256(activity_id, strlen(activity_id), key);
    rc = db_err(stmt_db_txn_begin(db, 0, &t));
    if (rc)
        return rc;
    rc = read_rec(t, NULL, ACT_TABLE, key, "id", activity_id, &rec);
    stmt_db_txn_abort(t);
    if (rc)
        return rc;
    act = cJSON_CreateObject();
    if (!act || !cJSON_AddStringToObject(act, "objectType", "Activity") ||
        !cJSON_AddStringToObject(act, "id", activity_id)) {
        rc = STMT_DOC_ERR_NOMEM;
        goto out;
    }
    def = cJSON_GetObjectItemCaseSensitive(rec, "definition");
    if (cJSON_IsObject(def) && def->child) {
        cJSON_DetachItemViaPointer(rec, def);
        if (!cJSON_AddItemToObject(act, "definition", def)) {
            cJSON_Delete(def);
            rc = STMT_DOC_ERR_NOMEM;
            goto out;
        }
    }
    *out = act;
    act = NULL;
out:
    cJSON_Delete(act);
    cJSON_Delete(rec);
    return rc;
}

/* Comm 2.4 "Person Properties": each identifier as a one-element array. */
static int add_ifi_array(cJSON *person, const cJSON *agent)
{
    static const char *const ifis[] = {"mbox", "mbox_sha1sum", "openid", "account"};
    for (size_t i = 0; i < sizeof ifis / sizeof ifis[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(agent, ifis[i]);
        cJSON *arr, *c;
        if (!v)
            continue;
        arr = cJSON_AddArrayToObject(person, ifis[i]);
        c = cJSON_Duplicate(v, 1);
        if (!arr || !c || !cJSON_AddItemToArray(arr, c)) {
            cJSON_Delete(c);
            return STMT_DOC_ERR_NOMEM;
        }
    }
    return STMT_DOC_OK;
}

int stmt_agent_person(struct stmt_db *db, const cJSON *agent, cJSON **out)
{
    char ifi[IFI_MAX];
    struct stmt_db_txn *t = NULL;
    unsigned char key[32];
    cJSON *rec = NULL, *person = NULL, *names = NULL;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(agent, "name"), *e;
    int rc;

    if (!db || !out || stmt_store_agent_ifi(agent, ifi, sizeof ifi) != STMT_STORE_OK)
        return STMT_DOC_ERR_ARG;
    sc_sha256(ifi, strlen(ifi), key);
    rc = db_err(stmt_db_txn_begin(db, 0, &t));
    if (rc)
        return rc;
    rc = read_rec(t, NULL, AGENT_TABLE, key, "ifi", ifi, &rec);
    stmt_db_txn_abort(t);
    if (rc)
        return rc;
    person = cJSON_CreateObject();
    names = cJSON_CreateArray();
    if (!person || !names || !cJSON_AddStringToObject(person, "objectType", "Person")) {
        rc = STMT_DOC_ERR_NOMEM;
        goto out;
    }
    if (cJSON_IsString(name) &&
        !cJSON_AddItemToArray(names, cJSON_CreateString(name->valuestring))) {
        rc = STMT_DOC_ERR_NOMEM;
        goto out;
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(rec, "names"))
    {
        if (!cJSON_IsString(e) ||
            (cJSON_IsString(name) && !strcmp(e->valuestring, name->valuestring)))
            continue;
        if (!cJSON_AddItemToArray(names, cJSON_CreateString(e->valuestring))) {
            rc = STMT_DOC_ERR_NOMEM;
            goto out;
        }
    }
    if (cJSON_GetArraySize(names) > 0) {
        if (!cJSON_AddItemToObject(person, "name", names)) {
            rc = STMT_DOC_ERR_NOMEM;
            goto out;
        }
        names = NULL;
    }
    rc = add_ifi_array(person, agent);
    if (rc)
        goto out;
    *out = person;
    person = NULL;
out:
    cJSON_Delete(names);
    cJSON_Delete(person);
    cJSON_Delete(rec);
    return rc;
}
