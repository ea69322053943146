/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forwarding targets and webhooks (issue 17): validation of a definition, the registry of
 * running targets, their status for the admin API and /metrics. A definition is stored in the
 * statement store's outbox (stmt_outbox_target_*), and its filter or events are handed to the
 * store, which writes the outbox rows in the transactions that produce them; each target has a
 * sender thread (fwd_sender.c).
 * URLs: fwd_url.c.
 */
#include "lrs/fwd.h"
#include "common/sc_alloc.h"
#include "common/sc_json.h"
#include "common/sc_base64.h"
#include "common/sc_time.h"
#include "statements/stmt_outbox.h"
#include "statements/stmt_store.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    unsigned bit;
} EVENTS[] = {
    {"registration.completed", STMT_OUTBOX_EV_COMPLETED},
    {"registration.passed", STMT_OUTBOX_EV_PASSED},
    {"registration.failed", STMT_OUTBOX_EV_FAILED},
    {"course.imported", STMT_OUTBOX_EV_IMPORTED},
};

static const char *str_field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int retry_opts(const cJSON *body, cJSON *def, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        double min, max;
    } nums[] = {
        {"timeout_ms", 100, 600000},
        {"retry_initial_ms", 10, 3600000},
        {"retry_max_ms", 10, 24 * 3600000.0},
        {"give_up_s", 1, 365 * 86400.0},
        {"concurrency", 1, FWD_CONCURRENCY_MAX},
        {"max_lag_ms", 0, 3600000}, /* back-pressure bound (fwd_admit.c); 0: never holds */
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, nums[i].name);
        if (!v)
            continue;
        if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
            v->valuedouble < nums[i].min || v->valuedouble > nums[i].max) {
            snprintf(err, errlen, "%s: an integer from %.0f to %.0f", nums[i].name, nums[i].min,
                     nums[i].max);
            return -1;
        }
        if (!cJSON_AddNumberToObject(def, nums[i].name, v->valuedouble))
            return -2;
    }
    return 0;
}

/* The filter of a forwarder: the query parameters of GET /xapi/statements (Comm 2.1.3). */
static int check_filter(const cJSON *f, cJSON *def, char *err, size_t errlen)
{
    static const char *const iris[] = {"verb", "activity"};
    cJSON *out;
    const cJSON *v;
    if (!f)
        return 0;
    if (!cJSON_IsObject(f)) {
        snprintf(err, errlen, "filter: an object of xAPI query parameters");
        return -1;
    }
    cJSON_ArrayForEach(v, f)
    {
        const char *k = v->string;
        if (strcmp(k, "verb") && strcmp(k, "activity") && strcmp(k, "agent") &&
            strcmp(k, "registration") && strcmp(k, "related_activities") &&
            strcmp(k, "related_agents")) {
            snprintf(err, errlen,
                     "filter.%s: unknown (verb, activity, agent, registration, "
                     "related_activities, related_agents)",
                     k);
            return -1;
        }
    }
    for (size_t i = 0; i < 2; i++) {
        v = cJSON_GetObjectItemCaseSensitive(f, iris[i]);
        if (v && (!cJSON_IsString(v) || !strchr(v->valuestring, ':'))) {
            snprintf(err, errlen, "filter.%s: an IRI (Comm 2.1.3)", iris[i]);
            return -1;
        }
    }
    v = cJSON_GetObjectItemCaseSensitive(f, "registration");
    if (v && (!cJSON_IsString(v) || strlen(v->valuestring) != 36)) {
        snprintf(err, errlen, "filter.registration: a UUID (Comm 2.1.3)");
        return -1;
    }
    v = cJSON_GetObjectItemCaseSensitive(f, "agent");
    if (v) {
        char ifi[600];
        if (!cJSON_IsObject(v) || stmt_store_agent_ifi(v, ifi, sizeof ifi) != STMT_STORE_OK) {
            snprintf(err, errlen,
                     "filter.agent: an Agent or identified Group object with one "
                     "inverse functional identifier (Data 2.4.2.3)");
            return -1;
        }
    }
    for (int i = 0; i < 2; i++) {
        v = cJSON_GetObjectItemCaseSensitive(f, i ? "related_agents" : "related_activities");
        if (v && !cJSON_IsBool(v)) {
            snprintf(err, errlen, "filter.%s: true or false",
                     i ? "related_agents" : "related_activities");
            return -1;
        }
    }
    out = cJSON_Duplicate(f, 1);
    if (!out || !cJSON_AddItemToObject(def, "filter", out)) {
        cJSON_Delete(out);
        return -2;
    }
    return 0;
}

/* The stored definition of a POST body: -1 with err (400), -2 without memory. */
static int make_def(const struct lrs_config *cfg, enum fwd_kind kind, const cJSON *body,
                    cJSON **out, char *err, size_t errlen)
{
    cJSON *def = cJSON_CreateObject();
    const char *url = str_field(body, "url");
    char iso[SC_TIME_ISO_LEN];
    int rc = -2;
    if (!def)
        return -2;
    if (!cJSON_IsObject(body)) {
        snprintf(err, errlen, "body: a JSON object");
        rc = -1;
        goto fail;
    }
    if (fwd__check_url(cfg, url, err, errlen)) {
        rc = -1;
        goto fail;
    }
    if (!cJSON_AddStringToObject(def, "kind", kind == FWD_WEBHOOK ? "webhook" : "forwarder") ||
        !cJSON_AddStringToObject(def, "url", url) ||
        !cJSON_AddStringToObject(def, "created", sc_time_format_iso(sc_time_now_us(), 3, iso)) ||
        !cJSON_AddFalseToObject(def, "paused"))
        goto fail;
    if ((rc = retry_opts(body, def, err, errlen)))
        goto fail;
    rc = -1;
    if (kind == FWD_FORWARDER) {
        const cJSON *auth = cJSON_GetObjectItemCaseSensitive(body, "auth");
        const char *ver = str_field(body, "version");
        if (cJSON_GetObjectItemCaseSensitive(body, "version") && !ver) {
            snprintf(err, errlen, "version: \"1.0.3\" or \"2.0.0\"");
            goto fail;
        }
        if (ver && strcmp(ver, "1.0.3") && strcmp(ver, "2.0.0")) {
            snprintf(err, errlen, "version: \"1.0.3\" or \"2.0.0\" (X-Experience-API-Version)");
            goto fail;
        }
        if (auth) {
            const char *k = str_field(auth, "key"), *s = str_field(auth, "secret"),
                       *b = str_field(auth, "bearer");
            if (!cJSON_IsObject(auth) || (b && (k || s)) || (!b && !(k && s)) ||
                (k && strchr(k, ':')) || cJSON_GetArraySize(auth) != (b ? 1 : 2)) {
                snprintf(err, errlen,
                         "auth: {\"key\", \"secret\"} (HTTP Basic, a key without "
                         "':') or {\"bearer\"}");
                goto fail;
            }
            cJSON *a = cJSON_Duplicate(auth, 1);
            if (!a || !cJSON_AddItemToObject(def, "auth", a)) {
                cJSON_Delete(a);
                rc = -2;
                goto fail;
            }
        }
        if (!cJSON_AddStringToObject(def, "version", ver ? ver : "1.0.3")) {
            rc = -2;
            goto fail;
        }
        if ((rc = check_filter(cJSON_GetObjectItemCaseSensitive(body, "filter"), def, err, errlen)))
            goto fail;
    } else {
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(body, "events"), *e;
        const char *secret = str_field(body, "secret");
        if (!cJSON_IsArray(ev) || cJSON_GetArraySize(ev) == 0) {
            snprintf(err, errlen,
                     "events: a non-empty array of registration.completed, "
                     "registration.passed, registration.failed, course.imported");
            goto fail;
        }
        cJSON_ArrayForEach(e, ev)
        {
            size_t i;
            for (i = 0; i < sizeof EVENTS / sizeof EVENTS[0]; i++)
                if (cJSON_IsString(e) && !strcmp(e->valuestring, EVENTS[i].name))
                    break;
            if (i == sizeof EVENTS / sizeof EVENTS[0]) {
                snprintf(err, errlen,
                         "events: unknown event (registration.completed, "
                         "registration.passed, registration.failed, "
                         "course.imported)");
                goto fail;
            }
        }
        if (!secret || strlen(secret) < 16 || strlen(secret) > 256) {
            snprintf(err, errlen,
                     "secret: a string of 16 to 256 characters (the HMAC-SHA256 "
                     "key of the signature)");
            goto fail;
        }
        cJSON *evc = cJSON_Duplicate(ev, 1);
        if (!evc || !cJSON_AddItemToObject(def, "events", evc)) {
            cJSON_Delete(evc); /* not moved into def */
            rc = -2;
            goto fail;
        }
        if (!cJSON_AddStringToObject(def, "secret", secret)) { /* evc is def's: freed with it */
            rc = -2;
            goto fail;
        }
    }
    *out = def;
    return 0;
fail:
    cJSON_Delete(def);
    return rc;
}

static long num_field(const cJSON *def, const char *name, long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(def, name);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

static void target_free(struct fwd_target *t)
{
    if (!t)
        return;
    cJSON_Delete(t->def);
    sc_free(t->post_url);
    sc_free(t->authz);
    sc_free(t->secret);
    sc_free(t->pend);
    sc_free(t->fl_buf);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    sc_free(t);
}

/* What definition def queues: a forwarder's filter (*of, its agent's IFI in ifi; *is_fwd 1) or
 * a webhook's events (*mask). 0, or -1 for an agent with no IFI (stmt_store_agent_ifi). */
static int def_spec(const cJSON *def, struct stmt_outbox_filter *of, char *ifi, size_t ifilen,
                    unsigned *mask, int *is_fwd)
{
    const char *kind = str_field(def, "kind");
    memset(of, 0, sizeof *of);
    *mask = 0;
    *is_fwd = !kind || strcmp(kind, "webhook") != 0;
    if (*is_fwd) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(def, "filter");
        if (f) {
            const cJSON *ag = cJSON_GetObjectItemCaseSensitive(f, "agent");
            of->verb = str_field(f, "verb");
            of->activity = str_field(f, "activity");
            of->registration = str_field(f, "registration");
            of->related_activities =
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "related_activities"));
            of->related_agents =
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "related_agents"));
            if (ag) {
                if (stmt_store_agent_ifi(ag, ifi, ifilen) != STMT_STORE_OK)
                    return -1;
                of->agent = ifi;
            }
        }
    } else {
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(def, "events"), *e;
        cJSON_ArrayForEach(e, ev)
        {
            for (size_t i = 0; i < sizeof EVENTS / sizeof EVENTS[0]; i++)
                if (cJSON_IsString(e) && !strcmp(e->valuestring, EVENTS[i].name))
                    *mask |= EVENTS[i].bit;
        }
    }
    return 0;
}

/* A target from its stored definition (consumes def). Also installs its filter or events in
 * the store. NULL on failure (memory, or a definition the store refuses). */
static struct fwd_target *target_new(struct lrs_fwd *fw, uint32_t id, cJSON *def)
{
    struct stmt_db *db = fw->app->db;
    struct stmt_store *st = fw->app->store;
    struct fwd_target *t = sc_calloc(1, sizeof *t);
    const char *kind = str_field(def, "kind"), *url = str_field(def, "url");
    const cJSON *auth = cJSON_GetObjectItemCaseSensitive(def, "auth");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(def, "paused");
    if (!t || !kind || !url) {
        sc_free(t);
        cJSON_Delete(def);
        return NULL;
    }
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->id = id;
    t->def = def;
    t->store = st;
    t->db = db;
    t->fwd = fw;
    fwd__lease_init(fw, t);
    t->max_lag_us = num_field(def, "max_lag_ms", -1) >= 0
                        ? (int64_t)num_field(def, "max_lag_ms", 0) * 1000
                        : fw->max_lag_us;
    t->kind = strcmp(kind, "webhook") == 0 ? FWD_WEBHOOK : FWD_FORWARDER;
    t->paused = cJSON_IsTrue(p);
    t->timeout_ms = num_field(def, "timeout_ms", FWD_TIMEOUT_MS_DEFAULT);
    t->connect_ms = t->timeout_ms < FWD_CONNECT_TIMEOUT_MS_DEFAULT ? t->timeout_ms
                                                                   : FWD_CONNECT_TIMEOUT_MS_DEFAULT;
    t->retry_initial_ms = num_field(def, "retry_initial_ms", FWD_RETRY_INITIAL_MS_DEFAULT);
    t->retry_max_ms = num_field(def, "retry_max_ms", FWD_RETRY_MAX_MS_DEFAULT);
    if (t->retry_max_ms < t->retry_initial_ms)
        t->retry_max_ms = t->retry_initial_ms;
    t->give_up_us = (int64_t)num_field(def, "give_up_s", FWD_GIVE_UP_S_DEFAULT) * 1000000;
    t->concurrency = (int)num_field(def, "concurrency", FWD_CONCURRENCY_DEFAULT);
    if (t->concurrency < 1 || t->concurrency > FWD_CONCURRENCY_MAX || !strcmp(kind, "webhook"))
        t->concurrency = 1;
    if (t->kind == FWD_FORWARDER) {
        size_t ul = strlen(url);
        const char *ver = str_field(def, "version");
        struct stmt_outbox_filter of;
        unsigned mask;
        int is_fwd;
        char ifi[600];
        snprintf(t->version, sizeof t->version, "%s", ver ? ver : "1.0.3");
        /* the target is an LRS endpoint: its Statement resource is <endpoint>statements */
        t->post_url = sc_malloc(ul + 12);
        if (!t->post_url)
            goto fail;
        snprintf(t->post_url, ul + 12, "%s%sstatements", url, ul && url[ul - 1] == '/' ? "" : "/");
        if (auth && str_field(auth, "bearer")) {
            size_t n = strlen(str_field(auth, "bearer")) + 32;
            t->authz = sc_malloc(n);
            if (!t->authz)
                goto fail;
            snprintf(t->authz, n, "Authorization: Bearer %s", str_field(auth, "bearer"));
        } else if (auth) {
            const char *k = str_field(auth, "key"), *s = str_field(auth, "secret");
            size_t kl = strlen(k), sl = strlen(s), n = kl + sl + 1;
            char *pair = sc_malloc(n + 1);
            if (!pair)
                goto fail;
            snprintf(pair, n + 1, "%s:%s", k, s);
            t->authz = sc_malloc(sc_base64_len(n, 0) + 32);
            if (!t->authz) {
                sc_free(pair);
                goto fail;
            }
            memcpy(t->authz, "Authorization: Basic ", 21);
            sc_base64_encode(pair, n, t->authz + 21, 0);
            sc_free(pair);
        }
        if (def_spec(def, &of, ifi, sizeof ifi, &mask, &is_fwd) != 0)
            goto fail;
        if (stmt_outbox_watch(st, id, &of) != STMT_STORE_OK)
            goto fail;
    } else {
        struct stmt_outbox_filter of;
        unsigned mask;
        int is_fwd;
        t->post_url = sc_strdup(url);
        t->secret = sc_strdup(str_field(def, "secret") ? str_field(def, "secret") : "");
        if (!t->post_url || !t->secret)
            goto fail;
        (void)def_spec(def, &of, NULL, 0, &mask, &is_fwd); /* a webhook: never fails */
        if (stmt_outbox_subscribe(st, id, mask) != STMT_STORE_OK)
            goto fail;
    }
    return t;
fail:
    target_free(t);
    return NULL;
}

static int target_start(struct fwd_target *t)
{
    if (pthread_create(&t->th, NULL, fwd__sender_main, t) != 0)
        return -1;
    t->started = 1;
    return 0;
}

static void target_stop(struct fwd_target *t)
{
    if (!t->started)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->th, NULL);
    t->started = 0;
}

struct load {
    struct lrs_fwd *f;
    int failed;
};

static int load_one(void *ctx, uint32_t id, const char *def, size_t len)
{
    struct load *l = ctx;
    cJSON *j = cJSON_ParseWithLength(def, len);
    struct fwd_target *t;
    if (!j) {
        l->failed = 1;
        return 1;
    }
    t = target_new(l->f, id, j);
    if (!t) {
        l->failed = 1;
        return 1;
    }
    t->next = l->f->list;
    l->f->list = t;
    return 0;
}

int lrs_fwd_open(struct lrs_app *app, char *err, size_t errlen)
{
    struct lrs_fwd *f = sc_calloc(1, sizeof *f);
    struct load l = {f, 0};
    int rc;
    if (!f) {
        snprintf(err, errlen, "forwarding: out of memory");
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_init(&f->mu, NULL);
    pthread_mutex_init(&f->co_mu, NULL);
    f->app = app;
    fwd__admit_init(f);
    app->fwd = f;
    rc = stmt_outbox_targets(app->store, load_one, &l);
    if (rc || l.failed) {
        snprintf(err, errlen, "forwarding: cannot load the targets: %s",
                 rc ? stmt_store_strerror(rc) : "a definition is unreadable");
        lrs_fwd_close(app);
        return -1;
    }
    for (struct fwd_target *t = f->list; t; t = t->next) {
        if (target_start(t)) {
            snprintf(err, errlen, "forwarding: cannot start a sender thread");
            lrs_fwd_close(app);
            return -1;
        }
    }
    if (fwd__nodes_start(f)) {
        snprintf(err, errlen, "forwarding: cannot start the coordinator of nodes");
        lrs_fwd_close(app);
        return -1;
    }
    return 0;
}

void lrs_fwd_close(struct lrs_app *app)
{
    struct lrs_fwd *f = app->fwd;
    if (!f)
        return;
    fwd__nodes_stop(f);
    for (struct fwd_target *t = f->list; t; t = t->next)
        target_stop(t);
    while (f->list) {
        struct fwd_target *t = f->list;
        f->list = t->next;
        stmt_outbox_forget(app->store, t->id);
        target_free(t);
    }
    pthread_mutex_destroy(&f->mu);
    pthread_mutex_destroy(&f->co_mu);
    fwd__admit_free(f);
    sc_free(f);
    app->fwd = NULL;
    curl_global_cleanup();
}

int lrs_fwd_create(struct lrs_app *app, enum fwd_kind kind, const cJSON *body, uint32_t *id,
                   char *err, size_t errlen)
{
    struct lrs_fwd *f = app->fwd;
    cJSON *def = NULL, *copy;
    char *text;
    struct fwd_target *t;
    uint32_t nid;
    int rc = make_def(&app->cfg, kind, body, &def, err, errlen);
    if (rc == -1)
        return 400;
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return 503;
    }
    text = cJSON_PrintUnformatted(def);
    copy = cJSON_Duplicate(def, 1);
    cJSON_Delete(def);
    if (!text || !copy) {
        cJSON_free(text);
        cJSON_Delete(copy);
        snprintf(err, errlen, "out of memory");
        return 503;
    }
    pthread_mutex_lock(&f->mu);
    {
        /* the filter is stored with the target: every node's writer matches it from the
         * commit on (stmt_outbox.h), before its definition sync starts a sender there */
        struct stmt_outbox_filter of;
        unsigned mask;
        int is_fwd;
        char ifi[600];
        rc = def_spec(copy, &of, ifi, sizeof ifi, &mask, &is_fwd) != 0
                 ? STMT_STORE_ERR_ARG
                 : stmt_outbox_target_create_for(app->store, text, strlen(text),
                                                 is_fwd ? &of : NULL, mask, &nid);
    }
    cJSON_free(text);
    if (rc) {
        pthread_mutex_unlock(&f->mu);
        cJSON_Delete(copy);
        snprintf(err, errlen, "cannot store the target: %s", stmt_store_strerror(rc));
        return 503;
    }
    t = target_new(f, nid, copy);
    if (!t || target_start(t)) {
        if (t)
            stmt_outbox_forget(app->store, nid);
        target_free(t);
        stmt_outbox_target_delete(app->store, nid);
        pthread_mutex_unlock(&f->mu);
        snprintf(err, errlen, "cannot start the target");
        return 503;
    }
    t->next = f->list;
    f->list = t;
    pthread_mutex_unlock(&f->mu);
    *id = nid;
    return 0;
}

static struct fwd_target *find(struct lrs_fwd *f, enum fwd_kind kind, uint32_t id)
{
    for (struct fwd_target *t = f->list; t; t = t->next)
        if (t->id == id && t->kind == kind)
            return t;
    return NULL;
}

/* The definition without secrets, and the status. Called with f->mu held. */
/* A true/false member set in place (no allocation); NULL-tolerant. */
static void set_bool(cJSON *item, int v)
{
    if (cJSON_IsBool(item))
        item->type = (item->type & ~0xFF) | (v ? cJSON_True : cJSON_False);
}

static cJSON *show(struct fwd_target *t)
{
    cJSON *o = cJSON_Duplicate(t->def, 1), *auth, *s;
    struct stmt_outbox_stats stats;
    char iso[SC_TIME_ISO_LEN];
    int64_t now = sc_time_now_us();
    if (!o)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(o, "secret");
    auth = cJSON_DetachItemFromObjectCaseSensitive(o, "auth");
    if (auth) {
        cJSON *a = cJSON_CreateObject();
        const char *k = str_field(auth, "key");
        if (!a || !cJSON_AddStringToObject(a, "type", k ? "basic" : "bearer") ||
            (k && !cJSON_AddStringToObject(a, "key", k)) || !cJSON_AddItemToObject(o, "auth", a)) {
            cJSON_Delete(a);
            cJSON_Delete(auth);
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_Delete(auth);
    }
    if (!cJSON_AddNumberToObject(o, "id", t->id) || !(s = cJSON_AddObjectToObject(o, "status"))) {
        cJSON_Delete(o);
        return NULL;
    }
    pthread_mutex_lock(&t->mu);
    uint64_t cursor = t->cursor, pending = t->pending_n + t->fl_n;
    pthread_mutex_unlock(&t->mu);
    if (stmt_outbox_stats(t->store, t->id, cursor, &stats) != STMT_STORE_OK) {
        cJSON_Delete(o);
        return NULL;
    }
    stats.sent += pending; /* delivered, their rows not deleted yet */
    pthread_mutex_lock(&t->mu);
    set_bool(cJSON_GetObjectItemCaseSensitive(o, "paused"), t->paused);
    cJSON_AddStringToObject(s, "state",
                            t->paused      ? "paused"
                            : t->failing   ? "retrying"
                            : stats.queued ? "sending"
                                           : "idle");
    cJSON_AddNumberToObject(s, "queued", (double)stats.queued);
    cJSON_AddNumberToObject(s, "sent", (double)stats.sent);
    cJSON_AddNumberToObject(s, "failed", (double)stats.parked);
    cJSON_AddNumberToObject(s, "lag_s",
                            stats.oldest_us && (int64_t)stats.oldest_us < now
                                ? (double)(now - (int64_t)stats.oldest_us) / 1e6
                                : 0);
    cJSON_AddNumberToObject(s, "requests", (double)t->attempts);
    cJSON_AddNumberToObject(s, "request_errors", (double)t->errors);
    if (t->lease_until_us != INT64_MAX) /* several nodes: this one sends (fwd_nodes.c) */
        cJSON_AddBoolToObject(s, "lease_held", fwd__lease_ok(t, now));
    if (t->last_ok_us)
        cJSON_AddStringToObject(s, "last_success", sc_time_format_iso(t->last_ok_us, 3, iso));
    if (t->last_err_us) {
        cJSON *e = cJSON_AddObjectToObject(s, "last_error");
        if (e) {
            cJSON_AddStringToObject(e, "time", sc_time_format_iso(t->last_err_us, 3, iso));
            cJSON_AddStringToObject(e, "message", t->last_error);
            if (t->last_status)
                cJSON_AddNumberToObject(e, "status", (double)t->last_status);
            cJSON_AddStringToObject(e, "answer", t->last_answer);
        }
    }
    if (t->failing && t->next_try_us)
        cJSON_AddStringToObject(s, "next_attempt", sc_time_format_iso(t->next_try_us, 3, iso));
    if (t->kind == FWD_FORWARDER)
        sc_json_add(s, "backpressure", fwd__admit_status(t, now));
    pthread_mutex_unlock(&t->mu);
    return o;
}

cJSON *lrs_fwd_show(struct lrs_app *app, enum fwd_kind kind, uint32_t id)
{
    struct lrs_fwd *f = app->fwd;
    struct fwd_target *t;
    cJSON *o = NULL;
    pthread_mutex_lock(&f->mu);
    t = find(f, kind, id);
    if (t)
        o = show(t);
    pthread_mutex_unlock(&f->mu);
    return o;
}

cJSON *lrs_fwd_list(struct lrs_app *app, enum fwd_kind kind)
{
    struct lrs_fwd *f = app->fwd;
    cJSON *o = cJSON_CreateObject(), *a;
    a = cJSON_AddArrayToObject(o, kind == FWD_WEBHOOK ? "webhooks" : "forwarders");
    if (!a) {
        cJSON_Delete(o);
        return NULL;
    }
    pthread_mutex_lock(&f->mu);
    for (struct fwd_target *t = f->list; t; t = t->next) {
        cJSON *one;
        if (t->kind != kind)
            continue;
        one = show(t);
        if (!one) {
            pthread_mutex_unlock(&f->mu);
            cJSON_Delete(o);
            return NULL;
        }
        /* the list is built newest first: keep id order */
        cJSON_InsertItemInArray(a, 0, one);
    }
    pthread_mutex_unlock(&f->mu);
    return o;
}

static int parked_one(void *ctx, uint64_t seq, const char *reason, size_t len)
{
    cJSON *a = ctx, *o = cJSON_CreateObject();
    char iso[SC_TIME_ISO_LEN];
    char *r = sc_strndup(reason, len);
    if (!o || !r || !cJSON_AddStringToObject(o, "time", sc_time_format_iso((int64_t)seq, 6, iso)) ||
        !cJSON_AddStringToObject(o, "reason", r) || !cJSON_AddItemToArray(a, o)) {
        sc_free(r);
        cJSON_Delete(o);
        return 1;
    }
    sc_free(r);
    return 0;
}

cJSON *lrs_fwd_parked(struct lrs_app *app, enum fwd_kind kind, uint32_t id, size_t max)
{
    struct lrs_fwd *f = app->fwd;
    cJSON *o = NULL, *a;
    pthread_mutex_lock(&f->mu);
    if (find(f, kind, id)) {
        o = cJSON_CreateObject();
        a = cJSON_AddArrayToObject(o, "parked");
        if (!a || stmt_outbox_parked(app->store, id, max, parked_one, a) != STMT_STORE_OK) {
            cJSON_Delete(o);
            o = NULL;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return o;
}

int lrs_fwd_pause(struct lrs_app *app, enum fwd_kind kind, uint32_t id, int paused)
{
    struct lrs_fwd *f = app->fwd;
    struct fwd_target *t;
    cJSON *pv;
    char *text;
    int rc, was;
    pthread_mutex_lock(&f->mu);
    t = find(f, kind, id);
    if (!t) {
        pthread_mutex_unlock(&f->mu);
        return 404;
    }
    /* the definition changes only here, under f->mu; the sender reads `paused` under t->mu.
     * In place (set_bool): cJSON_ReplaceItemInObject, short of memory for the key's copy,
     * left a member without a name, after which no later member (auth, version) was found:
     * the credential's secret was shown by GET and the stored definition lost its auth. */
    pv = cJSON_GetObjectItemCaseSensitive(t->def, "paused");
    if (!cJSON_IsBool(pv)) {
        pthread_mutex_unlock(&f->mu);
        return 503;
    }
    was = cJSON_IsTrue(pv);
    set_bool(pv, paused);
    text = cJSON_PrintUnformatted(t->def);
    rc = text ? stmt_outbox_target_update(app->store, id, text, strlen(text)) : -1;
    cJSON_free(text);
    if (rc)
        set_bool(pv, was); /* not stored: as it was */
    if (rc == 0) {
        pthread_mutex_lock(&t->mu);
        t->paused = paused;
        t->bp_armed = 0;                      /* its backlog drains before it holds ingest */
        t->failing = paused ? t->failing : 0; /* resume: try at once */
        t->next_try_us = 0;
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return rc ? 503 : 0;
}

int lrs_fwd_delete(struct lrs_app *app, enum fwd_kind kind, uint32_t id)
{
    struct lrs_fwd *f = app->fwd;
    struct fwd_target **pp, *t = NULL;
    int rc;
    pthread_mutex_lock(&f->co_mu); /* not while the coordinator renews leases (fwd_nodes.c) */
    pthread_mutex_lock(&f->mu);
    for (pp = &f->list; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id && (*pp)->kind == kind) {
            t = *pp;
            *pp = t->next;
            break;
        }
    }
    if (!t) {
        pthread_mutex_unlock(&f->mu);
        pthread_mutex_unlock(&f->co_mu);
        return 404;
    }
    target_stop(t);
    stmt_outbox_forget(app->store, id);
    rc = stmt_outbox_target_delete(app->store, id);
    if (rc) {
        /* not deleted (503): the target goes on as before, a new sender on its stored
         * definition; it was gone from the list until the next start */
        struct fwd_target *again = target_new(f, id, cJSON_Duplicate(t->def, 1));
        if (again && !target_start(again)) {
            again->next = f->list;
            f->list = again;
        } else {
            if (again)
                stmt_outbox_forget(app->store, id);
            target_free(again);
            lrs_log(LRS_LOG_ERROR, "forwarding: target %u stopped until the next start", id);
        }
    } else {
        fwd__lease_drop(f, t);
    }
    target_free(t);
    pthread_mutex_unlock(&f->mu);
    pthread_mutex_unlock(&f->co_mu);
    if (rc)
        lrs_log(LRS_LOG_ERROR, "forwarding: deleting target %u: %s", id, stmt_store_strerror(rc));
    return rc ? 503 : 0;
}

void lrs_fwd_metrics(struct lrs_app *app, struct sc_buf *b)
{
    struct lrs_fwd *f = app->fwd;
    static const char *const fam[][3] = {
        {"scolar_forward_queued", "gauge", "Outbox rows waiting for the target."},
        {"scolar_forward_sent_total", "counter", "Rows the target accepted."},
        {"scolar_forward_failed_total", "counter",
         "Rows the target refused for good or that passed the give-up window (parked)."},
        {"scolar_forward_lag_seconds", "gauge", "Age of the oldest waiting row."},
        {"scolar_forward_request_errors_total", "counter", "Requests that failed (retried)."},
    };
    int64_t now = sc_time_now_us();
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    for (size_t m = 0; m < sizeof fam / sizeof fam[0]; m++) {
        sc_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fam[m][0], fam[m][2], fam[m][0],
                      fam[m][1]);
        for (struct fwd_target *t = f->list; t; t = t->next) {
            struct stmt_outbox_stats s;
            double v;
            uint64_t cursor, pending;
            pthread_mutex_lock(&t->mu);
            cursor = t->cursor;
            pending = t->pending_n + t->fl_n;
            pthread_mutex_unlock(&t->mu);
            if (stmt_outbox_stats(t->store, t->id, cursor, &s) != STMT_STORE_OK)
                continue;
            s.sent += pending;
            switch (m) {
            case 0:
                v = (double)s.queued;
                break;
            case 1:
                v = (double)s.sent;
                break;
            case 2:
                v = (double)s.parked;
                break;
            case 3:
                v = s.oldest_us && (int64_t)s.oldest_us < now
                        ? (double)(now - (int64_t)s.oldest_us) / 1e6
                        : 0;
                break;
            default:
                pthread_mutex_lock(&t->mu);
                v = (double)t->errors;
                pthread_mutex_unlock(&t->mu);
                break;
            }
            sc_buf_printf(
                b, m == 3 ? "%s{kind=\"%s\",id=\"%u\"} %.3f\n" : "%s{kind=\"%s\",id=\"%u\"} %.0f\n",
                fam[m][0], t->kind == FWD_WEBHOOK ? "webhook" : "forwarder", t->id, v);
        }
    }
    pthread_mutex_unlock(&f->mu);
    fwd__admit_metrics(f, b);
}

struct fwd_target *fwd__target_new(struct lrs_fwd *fw, uint32_t id, cJSON *def)
{
    return target_new(fw, id, def);
}

int fwd__target_start(struct fwd_target *t)
{
    return target_start(t);
}

void fwd__target_stop(struct fwd_target *t)
{
    target_stop(t);
}

void fwd__target_free(struct fwd_target *t)
{
    target_free(t);
}
