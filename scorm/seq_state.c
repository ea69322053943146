/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tracking state of an activity tree as JSON, and its persistence in LMDB (DESIGN.md
 * "Storage": sequencing state per registration in table "seq_state"; global objectives shared
 * by the learner's registrations in table "global_obj" when the organization's
 * objectivesGlobalToSystem is true, SCORM CAM 4th 3.4.1.3 / SN 4th 4.2.1.4).
 *
 * State JSON: {"v":1,"current":ID|null,"suspended":ID|null,"ended":bool,"rng":"16 hex digits",
 *   "acts":{ID:{"a","s","n","pa","aps","ps","cs","as","am","ad","vd","vs","ts","te","sel","rnd","avail":[ID],
 *               "objs":[[progress,satisfied,measureStatus,measure,completionKnown,completed]]}},
 *   "globals":[{"id","sk","sat","mk","m","ck","c","pk","p"}]}
 */
#include "scorm/seq_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "common/sc_alloc.h"
#include "statements/stmt_db.h"

#define STATE_VERSION 1

static cJSON *global_json(const struct seq__global *g)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (!cJSON_AddStringToObject(o, "id", g->id) || !cJSON_AddBoolToObject(o, "sk", g->sat_known) ||
        !cJSON_AddBoolToObject(o, "sat", g->satisfied) ||
        !cJSON_AddBoolToObject(o, "mk", g->measure_known) ||
        !cJSON_AddNumberToObject(o, "m", g->measure) ||
        !cJSON_AddBoolToObject(o, "ck", g->completion_known) ||
        !cJSON_AddBoolToObject(o, "c", g->completed) ||
        !cJSON_AddBoolToObject(o, "pk", g->progress_known) ||
        !cJSON_AddNumberToObject(o, "p", g->progress)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *act_json(const struct seq__act *a)
{
    cJSON *o = cJSON_CreateObject(), *objs, *av;
    if (!o)
        return NULL;
    cJSON_AddBoolToObject(o, "a", a->active);
    cJSON_AddBoolToObject(o, "s", a->suspended);
    cJSON_AddNumberToObject(o, "n", a->attempt_count);
    cJSON_AddNumberToObject(o, "pa", a->parent_attempt);
    cJSON_AddBoolToObject(o, "aps", a->activity_progress_status);
    cJSON_AddBoolToObject(o, "ps", a->attempt_progress_status);
    cJSON_AddBoolToObject(o, "cs", a->attempt_completion_status);
    cJSON_AddBoolToObject(o, "as", a->completion_amount_status);
    cJSON_AddNumberToObject(o, "am", a->completion_amount);
    cJSON_AddNumberToObject(o, "ad", a->attempt_duration);
    cJSON_AddNumberToObject(o, "vd", a->activity_duration);
    /* wall clock of the absolute durations (us since the epoch, exact in a double) */
    cJSON_AddNumberToObject(o, "vs", (double)a->activity_start_us);
    cJSON_AddNumberToObject(o, "ts", (double)a->attempt_start_us);
    cJSON_AddNumberToObject(o, "te", (double)a->attempt_end_us);
    cJSON_AddBoolToObject(o, "sel", a->selected);
    cJSON_AddBoolToObject(o, "rnd", a->randomized);
    av = cJSON_AddArrayToObject(o, "avail");
    objs = cJSON_AddArrayToObject(o, "objs");
    if (!av || !objs) {
        cJSON_Delete(o);
        return NULL;
    }
    for (size_t i = 0; i < a->n_avail; i++)
        cJSON_AddItemToArray(av, cJSON_CreateString(a->avail[i]->id));
    for (size_t i = 0; i < a->n_objs; i++) {
        const struct seq__obj *ob = &a->objs[i];
        double v[4] = {ob->progress_status, ob->satisfied_status, ob->measure_status, ob->measure};
        cJSON_AddItemToArray(objs, cJSON_CreateDoubleArray(v, 4));
    }
    if (cJSON_GetArraySize(av) != (int)a->n_avail || cJSON_GetArraySize(objs) != (int)a->n_objs) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int seq_state_to_json(const struct seq_tree *t, cJSON **out)
{
    cJSON *o, *acts, *gl;
    char rng[17];
    if (!t || !out)
        return SEQ_ERR_ARG;
    o = cJSON_CreateObject();
    if (!o)
        return SEQ_ERR_NOMEM;
    cJSON_AddNumberToObject(o, "v", STATE_VERSION);
    if (t->current)
        cJSON_AddStringToObject(o, "current", t->current->id);
    else
        cJSON_AddNullToObject(o, "current");
    if (t->suspended)
        cJSON_AddStringToObject(o, "suspended", t->suspended->id);
    else
        cJSON_AddNullToObject(o, "suspended");
    cJSON_AddBoolToObject(o, "ended", t->ended);
    /* all 64 bits of the generator (a JSON number keeps only 53) */
    snprintf(rng, sizeof rng, "%016" PRIx64, t->rng);
    cJSON_AddStringToObject(o, "rng", rng);
    acts = cJSON_AddObjectToObject(o, "acts");
    gl = cJSON_AddArrayToObject(o, "globals");
    if (!acts || !gl)
        goto nomem;
    for (size_t i = 0; i < t->n_acts; i++) {
        cJSON *a = act_json(t->acts[i]);
        if (!a)
            goto nomem;
        if (!cJSON_AddItemToObject(acts, t->acts[i]->id, a)) { /* the key's copy failed */
            cJSON_Delete(a);
            goto nomem;
        }
    }
    for (size_t i = 0; i < t->n_globals; i++) {
        cJSON *g = global_json(&t->globals[i]);
        if (!g)
            goto nomem;
        cJSON_AddItemToArray(gl, g);
    }
    if (cJSON_GetArraySize(acts) != (int)t->n_acts)
        goto nomem;
    *out = o;
    return SEQ_OK;
nomem:
    cJSON_Delete(o);
    return SEQ_ERR_NOMEM;
}

static int jb(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static double jn(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static int fail(struct seq_diag *d, const char *path, const char *msg)
{
    if (d) {
        d->code = SEQ_ERR_STATE;
        snprintf(d->path, sizeof d->path, "%s", path);
        snprintf(d->msg, sizeof d->msg, "%s", msg);
    }
    return SEQ_ERR_STATE;
}

/* "rng": 16 hex digits (the full generator state); states written before it was a string
 * hold a number (48 bits), still accepted. 1 when *out was set, 0 when absent, -1 when bad. */
static int rng_read(const cJSON *v, uint64_t *out)
{
    const char *h = cJSON_GetStringValue(v);
    uint64_t x = 0;
    if (!v)
        return 0;
    if (cJSON_IsNumber(v)) {
        if (!(v->valuedouble >= 0 && v->valuedouble < 18446744073709551616.0))
            return -1;
        if (v->valuedouble > 0)
            *out = (uint64_t)v->valuedouble;
        return 1;
    }
    if (!h || strlen(h) != 16)
        return -1;
    for (const char *p = h; *p; p++) {
        int d = *p >= '0' && *p <= '9'   ? *p - '0'
                : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        x = x << 4 | (uint64_t)d;
    }
    *out = x;
    return 1;
}

/* check that the state fits the tree before anything is changed */
static int validate(const struct seq_tree *t, const cJSON *s, struct seq_diag *d)
{
    const cJSON *acts = cJSON_GetObjectItemCaseSensitive(s, "acts"), *a, *x;
    const char *cur = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "current"));
    const char *sus = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "suspended"));
    if (!cJSON_IsObject(s) || jn(s, "v") != STATE_VERSION)
        return fail(d, "v", "state version is not 1");
    if (!cJSON_IsObject(acts))
        return fail(d, "acts", "acts is not an object");
    {
        uint64_t rng;
        if (rng_read(cJSON_GetObjectItemCaseSensitive(s, "rng"), &rng) < 0)
            return fail(d, "rng",
                        "rng is not 16 hex digits (the SR.1/SR.2 selection and randomization "
                        "generator state)");
    }
    if ((cur && !seq__act_find(t, cur)) || (sus && !seq__act_find(t, sus)))
        return fail(d, "current", "current or suspended names no activity of this tree");
    cJSON_ArrayForEach(a, acts)
    {
        const struct seq__act *act = seq__act_find(t, a->string);
        const cJSON *av = cJSON_GetObjectItemCaseSensitive(a, "avail");
        if (!act)
            return fail(d, "acts", "an activity of the state is not in the tree");
        if (!cJSON_IsArray(av) || (size_t)cJSON_GetArraySize(av) > act->n_kids)
            return fail(d, "acts.avail", "available children do not fit the tree");
        cJSON_ArrayForEach(x, av)
        {
            const struct seq__act *k = seq__act_find(t, cJSON_GetStringValue(x));
            if (!k || k->parent != act)
                return fail(d, "acts.avail", "an available child is not a child of its activity");
        }
        if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "objs")) != (int)act->n_objs)
            return fail(d, "acts.objs", "objective count differs from the tree");
    }
    return SEQ_OK;
}

static void apply(struct seq_tree *t, const cJSON *s)
{
    const cJSON *acts = cJSON_GetObjectItemCaseSensitive(s, "acts"), *a, *x;
    const char *cur = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "current"));
    const char *sus = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "suspended"));
    cJSON_ArrayForEach(a, acts)
    {
        struct seq__act *act = seq__act_find(t, a->string);
        size_t k = 0;
        act->active = jb(a, "a");
        act->suspended = jb(a, "s");
        act->attempt_count = (int)jn(a, "n");
        act->parent_attempt = (int)jn(a, "pa");
        act->activity_progress_status = jb(a, "aps");
        act->attempt_progress_status = jb(a, "ps");
        act->attempt_completion_status = jb(a, "cs");
        act->completion_amount_status = jb(a, "as");
        act->completion_amount = jn(a, "am");
        act->attempt_duration = jn(a, "ad");
        act->activity_duration = jn(a, "vd");
        act->activity_start_us = (long long)jn(a, "vs");
        act->attempt_start_us = (long long)jn(a, "ts");
        act->attempt_end_us = (long long)jn(a, "te");
        act->selected = jb(a, "sel");
        act->randomized = jb(a, "rnd");
        act->n_avail = 0;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(a, "avail"))
            act->avail[act->n_avail++] = seq__act_find(t, cJSON_GetStringValue(x));
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(a, "objs"))
        {
            struct seq__obj *o = &act->objs[k++];
            o->progress_status = cJSON_GetArrayItem(x, 0) && cJSON_GetArrayItem(x, 0)->valuedouble;
            o->satisfied_status = cJSON_GetArrayItem(x, 1) && cJSON_GetArrayItem(x, 1)->valuedouble;
            o->measure_status = cJSON_GetArrayItem(x, 2) && cJSON_GetArrayItem(x, 2)->valuedouble;
            o->measure = cJSON_GetArrayItem(x, 3) ? cJSON_GetArrayItem(x, 3)->valuedouble : 0;
            o->completion_known = cJSON_GetArrayItem(x, 4) && cJSON_GetArrayItem(x, 4)->valuedouble;
            o->completed = cJSON_GetArrayItem(x, 5) && cJSON_GetArrayItem(x, 5)->valuedouble;
        }
    }
    t->current = cur ? seq__act_find(t, cur) : NULL;
    t->suspended = sus ? seq__act_find(t, sus) : NULL;
    t->ended = jb(s, "ended");
    rng_read(cJSON_GetObjectItemCaseSensitive(s, "rng"), &t->rng);
}

static int globals_apply(struct seq_tree *t, const cJSON *gl, int replace)
{
    const cJSON *g;
    if (replace) {
        for (size_t i = 0; i < t->n_globals; i++)
            sc_free(t->globals[i].id);
        t->n_globals = 0;
    }
    cJSON_ArrayForEach(g, gl)
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "id"));
        struct seq__global *x;
        if (!id)
            continue;
        x = seq__global_get(t, id, 1);
        if (!x)
            return SEQ_ERR_NOMEM;
        x->sat_known = jb(g, "sk");
        x->satisfied = jb(g, "sat");
        x->measure_known = jb(g, "mk");
        x->measure = jn(g, "m");
        x->completion_known = jb(g, "ck");
        x->completed = jb(g, "c");
        x->progress_known = jb(g, "pk");
        x->progress = jn(g, "p");
        x->dirty = 0;
    }
    return SEQ_OK;
}

int seq_state_from_json(struct seq_tree *t, const cJSON *state, struct seq_diag *diag)
{
    int rc;
    if (!t || !state)
        return SEQ_ERR_ARG;
    if ((rc = validate(t, state, diag)) != SEQ_OK)
        return rc;
    apply(t, state);
    return globals_apply(t, cJSON_GetObjectItemCaseSensitive(state, "globals"), 1);
}

int seq__state_snapshot(const struct seq_tree *t, cJSON **out)
{
    return seq_state_to_json(t, out);
}

void seq__state_restore(struct seq_tree *t, const cJSON *snap)
{
    apply(t, snap);
    globals_apply(t, cJSON_GetObjectItemCaseSensitive(snap, "globals"), 1);
}

/* key of a learner's global objective: learner, unit separator, objective id */
static int gkey(char *buf, size_t len, const char *learner, const char *id, size_t *klen)
{
    int n = snprintf(buf, len, "%s\x1f%s", learner, id);
    if (n < 0 || (size_t)n >= len || (size_t)n > STMT_DB_MAX_KEY)
        return SEQ_ERR_ARG;
    *klen = (size_t)n;
    return SEQ_OK;
}

int seq_state_save(struct stmt_db *db, const char *registration, const char *learner,
                   const struct seq_tree *t)
{
    struct stmt_db_txn *txn = NULL;
    int rc;
    if (!db || !registration || !*registration || !t)
        return SEQ_ERR_ARG;
    if (stmt_db_txn_begin(db, 1, &txn) != 0)
        return SEQ_ERR_STORE;
    rc = seq_state_save_txn(txn, registration, learner, t);
    if (rc == SEQ_OK)
        rc = stmt_db_txn_commit(txn) == 0 ? SEQ_OK : SEQ_ERR_STORE;
    else
        stmt_db_txn_abort(txn);
    return rc;
}

int seq_state_save_txn(struct stmt_db_txn *txn, const char *registration, const char *learner,
                       const struct seq_tree *t)
{
    cJSON *s = NULL;
    char *text = NULL, key[STMT_DB_MAX_KEY + 1];
    int rc;
    if (!txn || !registration || !*registration || !t)
        return SEQ_ERR_ARG;
    if ((rc = seq_state_to_json(t, &s)) != SEQ_OK)
        return rc;
    if (t->objectives_global_to_system && learner && *learner) {
        /* shared across registrations: kept out of the registration's own state */
        cJSON_DeleteItemFromObjectCaseSensitive(s, "globals");
        cJSON_AddArrayToObject(s, "globals");
    }
    text = cJSON_PrintUnformatted(s);
    if (!text) {
        rc = SEQ_ERR_NOMEM;
        goto out;
    }
    if (stmt_db_put(txn, "seq_state", registration, strlen(registration), text, strlen(text), 0)) {
        rc = SEQ_ERR_STORE;
        goto out;
    }
    for (size_t i = 0; t->objectives_global_to_system && learner && *learner && i < t->n_globals;
         i++) {
        size_t klen;
        cJSON *g = global_json(&t->globals[i]);
        char *gt = g ? cJSON_PrintUnformatted(g) : NULL;
        cJSON_Delete(g);
        if (!gt) {
            rc = SEQ_ERR_NOMEM;
            goto out;
        }
        rc = gkey(key, sizeof key, learner, t->globals[i].id, &klen);
        if (rc == SEQ_OK && stmt_db_put(txn, "global_obj", key, klen, gt, strlen(gt), 0) != 0)
            rc = SEQ_ERR_STORE;
        cJSON_free(gt);
        if (rc)
            goto out;
    }
    rc = SEQ_OK;
out:
    cJSON_free(text);
    cJSON_Delete(s);
    return rc;
}

struct gscan {
    const char *prefix;
    size_t plen;
    cJSON *arr;
};

static int gvisit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct gscan *g = ctx;
    cJSON *o;
    if (klen < g->plen || memcmp(key, g->prefix, g->plen) != 0)
        return 1; /* past this learner's keys */
    o = cJSON_ParseWithLength(val, vlen);
    if (o)
        cJSON_AddItemToArray(g->arr, o);
    return 0;
}

int seq_state_load(struct stmt_db *db, const char *registration, const char *learner,
                   struct seq_tree *t, struct seq_diag *diag)
{
    struct stmt_db_txn *txn = NULL;
    int rc;
    if (!db || !registration || !*registration || !t)
        return SEQ_ERR_ARG;
    if (stmt_db_txn_begin(db, 0, &txn) != 0)
        return SEQ_ERR_STORE;
    rc = seq_state_load_txn(txn, registration, learner, t, diag);
    stmt_db_txn_abort(txn);
    return rc;
}

int seq_state_load_txn(struct stmt_db_txn *txn, const char *registration, const char *learner,
                       struct seq_tree *t, struct seq_diag *diag)
{
    char prefix[STMT_DB_MAX_KEY + 1];
    const void *text = NULL;
    size_t len = 0;
    cJSON *s = NULL, *gl = NULL;
    int rc, have;
    if (!txn || !registration || !*registration || !t)
        return SEQ_ERR_ARG;
    rc = stmt_db_get(txn, "seq_state", registration, strlen(registration), &text, &len);
    if (rc != 0 && rc != STMT_DB_NOTFOUND)
        return SEQ_ERR_STORE;
    have = rc == 0;
    if (have) {
        s = cJSON_ParseWithLength(text, len);
        if (!s) {
            rc = fail(diag, "seq_state", "stored state is not JSON");
            goto out;
        }
        if ((rc = seq_state_from_json(t, s, diag)) != SEQ_OK)
            goto out;
    }
    if (t->objectives_global_to_system && learner && *learner) {
        int n = snprintf(prefix, sizeof prefix, "%s\x1f", learner);
        struct gscan g = {prefix, (size_t)n, NULL};
        if (n < 0 || (size_t)n >= sizeof prefix) {
            rc = SEQ_ERR_ARG;
            goto out;
        }
        gl = cJSON_CreateArray();
        if (!gl) {
            rc = SEQ_ERR_NOMEM;
            goto out;
        }
        g.arr = gl;
        rc = stmt_db_scan(txn, "global_obj", prefix, g.plen, gvisit, &g);
        if (rc < 0) {
            rc = SEQ_ERR_STORE;
            goto out;
        }
        if ((rc = globals_apply(t, gl, 1)) != SEQ_OK)
            goto out;
    }
    if (!have)
        seq__tree_seed_registration(t, registration);
    rc = have ? SEQ_OK : SEQ_ERR_NOTFOUND;
out:
    cJSON_Delete(gl);
    cJSON_Delete(s);
    return rc;
}
