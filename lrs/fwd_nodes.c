/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forwarding on several nodes of one PostgreSQL database (issues 17 and 19). Every node's
 * writer queues outbox rows for every target it knows, but one node at a time sends for a
 * target: the holder of its lease, an outbox row "fwd_lease/<kind>/<id>" = node id(16)
 * expiry_us(8, big-endian), taken or renewed in a short write transaction (all write
 * transactions of the database are serialized by its write lock, stmt_db_pg.c, so two nodes
 * never both take an expired lease). A coordinator thread per node, every FWD_SYNC_MS:
 *  - reads the stored definitions and starts, pauses/resumes or stops the local senders so
 *    they match what another node created, paused or deleted (queueing does not wait for
 *    this: every node's writer follows the filters stored with the targets in its own
 *    transaction, statements/stmt_outbox_spec.c, so rows are queued from the creation's
 *    commit on and never after the deletion's);
 *  - renews the leases it holds (every FWD_LEASE_RENEW_MS) and tries the others; a sender
 *    sends only while its lease is valid (FWD_LEASE_MARGIN_MS before the stored expiry).
 * A holder that dies (kill -9) stops renewing: another node takes over once the expiry passed
 * and sends the rows still queued, from the first (rows delivered but not yet deleted by the
 * dead node are sent again: at-least-once, as after a crash of one node).
 * On LMDB (one process) nothing of this runs: every lease is held for ever.
 */
#include "lrs/fwd.h"
#include "common/sc_be.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"
#include "statements/stmt_outbox.h"
#include "statements/stmt_store.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LEASE_TABLE "outbox"
#define LEASE_VAL 24

static int shared(const struct lrs_fwd *f)
{
    return stmt_db_is_pg(f->app->db);
}

static size_t lease_key(const struct fwd_target *t, char *k, size_t n)
{
    int w =
        snprintf(k, n, "fwd_lease/%s/%u", t->kind == FWD_WEBHOOK ? "webhook" : "forwarder", t->id);
    return w > 0 && (size_t)w < n ? (size_t)w : 0;
}

void fwd__lease_init(struct lrs_fwd *f, struct fwd_target *t)
{
    t->lease_until_us = shared(f) ? 0 : INT64_MAX;
    t->lease_renewed_us = 0;
}

int fwd__lease_ok(const struct fwd_target *t, int64_t now_us)
{
    return now_us < t->lease_until_us;
}

/* Take or renew the lease of t (release: give it up if ours). *held: 1 when ours now, with
 * the stored expiry in *until. A stmt_db code. */
static int lease_write(struct lrs_fwd *f, struct fwd_target *t, int release, int *held,
                       int64_t *until)
{
    struct stmt_db_txn *x = NULL;
    char k[64];
    size_t kl = lease_key(t, k, sizeof k);
    const void *v;
    size_t vl;
    unsigned char val[LEASE_VAL];
    int64_t now;
    int rc;
    *held = 0;
    if (!kl)
        return STMT_DB_ERR_KEY;
    rc = stmt_db_txn_begin(f->app->db, 1, &x);
    if (rc)
        return rc;
    now = sc_time_now_us(); /* after the write lock: no other node changes the row meanwhile */
    rc = stmt_db_get(x, LEASE_TABLE, k, kl, &v, &vl);
    if (rc == STMT_DB_OK && vl == LEASE_VAL && memcmp(v, f->node, 16) != 0 &&
        (int64_t)sc_be64_get((const unsigned char *)v + 16) > now) {
        stmt_db_txn_abort(x); /* another node holds it */
        return STMT_DB_OK;
    }
    if (rc != STMT_DB_OK && rc != STMT_DB_NOTFOUND) {
        stmt_db_txn_abort(x);
        return rc;
    }
    if (release && (rc == STMT_DB_NOTFOUND || vl != LEASE_VAL)) {
        stmt_db_txn_abort(x);
        return STMT_DB_OK;
    }
    *until = release ? 0 : now + (int64_t)FWD_LEASE_TTL_MS * 1000;
    memcpy(val, f->node, 16);
    sc_be64_put(val + 16, (uint64_t)*until);
    rc = stmt_db_put(x, LEASE_TABLE, k, kl, val, sizeof val, 0);
    if (rc) {
        stmt_db_txn_abort(x);
        return rc;
    }
    rc = stmt_db_txn_commit(x);
    if (!rc)
        *held = !release;
    return rc;
}

static void lease_tick(struct lrs_fwd *f, struct fwd_target *t)
{
    int64_t start = sc_time_now_us(), until = 0;
    int held, rc;
    if (t->lease_renewed_us && start - t->lease_renewed_us < (int64_t)FWD_LEASE_RENEW_MS * 1000)
        return;
    rc = lease_write(f, t, 0, &held, &until);
    if (rc) {
        lrs_log(LRS_LOG_WARN, "forwarding %u: lease not renewed: %s", t->id, stmt_db_strerror(rc));
        return; /* a held lease runs out on its own */
    }
    pthread_mutex_lock(&t->mu);
    if (held) {
        /* counted from before the transaction: the stored expiry is later than this */
        int64_t local = start + (int64_t)(FWD_LEASE_TTL_MS - FWD_LEASE_MARGIN_MS) * 1000;
        if (!fwd__lease_ok(t, start))
            lrs_log(LRS_LOG_INFO, "forwarding %u: this node sends now", t->id);
        t->lease_until_us = local < until ? local : until;
        t->lease_renewed_us = start;
        pthread_cond_broadcast(&t->cv);
    } else {
        t->lease_until_us = 0;
        t->lease_renewed_us = 0;
    }
    pthread_mutex_unlock(&t->mu);
}

void fwd__lease_drop(struct lrs_fwd *f, struct fwd_target *t)
{
    char k[64];
    size_t kl = lease_key(t, k, sizeof k);
    int rc;
    if (!shared(f) || !kl)
        return;
    rc = stmt_db_del1(f->app->db, LEASE_TABLE, k, kl);
    if (rc && rc != STMT_DB_NOTFOUND)
        lrs_log(LRS_LOG_WARN, "forwarding %u: lease row left: %s", t->id, stmt_db_strerror(rc));
}

/* ---- definitions of other nodes ------------------------------------------------------- */

struct defs {
    uint32_t *ids;
    cJSON **defs;
    size_t n, cap;
    int failed;
};

static int collect(void *ctx, uint32_t id, const char *def, size_t len)
{
    struct defs *d = ctx;
    cJSON *j;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        uint32_t *ids = sc_realloc(d->ids, cap * sizeof *ids);
        if (ids)
            d->ids = ids;
        cJSON **defs = ids ? sc_realloc(d->defs, cap * sizeof *defs) : NULL;
        if (!defs) {
            d->failed = 1;
            return 1;
        }
        d->defs = defs;
        d->cap = cap;
    }
    j = cJSON_ParseWithLength(def, len);
    if (!j) {
        d->failed = 1;
        return 1;
    }
    d->ids[d->n] = id;
    d->defs[d->n++] = j;
    return 0;
}

/* Bring the local senders in line with the stored definitions (f->mu held). */
static void sync_defs(struct lrs_fwd *f)
{
    struct defs d = {0};
    int rc = stmt_outbox_targets(f->app->store, collect, &d);
    if (rc || d.failed) {
        lrs_log(LRS_LOG_WARN, "forwarding: cannot read the targets: %s",
                rc ? stmt_store_strerror(rc) : "out of memory or an unreadable definition");
        goto out;
    }
    /* stopped: deleted through another node */
    for (struct fwd_target **pp = &f->list; *pp;) {
        struct fwd_target *t = *pp;
        size_t i = 0;
        while (i < d.n && d.ids[i] != t->id)
            i++;
        if (i < d.n) {
            pp = &t->next;
            continue;
        }
        *pp = t->next;
        fwd__target_stop(t);
        stmt_outbox_forget(f->app->store, t->id);
        lrs_log(LRS_LOG_INFO, "forwarding %u: deleted through another node", t->id);
        fwd__target_free(t);
    }
    for (size_t i = 0; i < d.n; i++) {
        struct fwd_target *t = f->list;
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(d.defs[i], "paused");
        while (t && t->id != d.ids[i])
            t = t->next;
        if (!t) {
            /* created through another node */
            t = fwd__target_new(f, d.ids[i], d.defs[i]);
            d.defs[i] = NULL; /* consumed */
            if (!t || fwd__target_start(t)) {
                if (t)
                    stmt_outbox_forget(f->app->store, t->id);
                fwd__target_free(t);
                lrs_log(LRS_LOG_WARN, "forwarding %u: cannot start (created elsewhere)", d.ids[i]);
                continue;
            }
            t->next = f->list;
            f->list = t;
            lrs_log(LRS_LOG_INFO, "forwarding %u: created through another node", t->id);
            continue;
        }
        cJSON *mine = cJSON_GetObjectItemCaseSensitive(t->def, "paused");
        if (cJSON_IsBool(pv) && cJSON_IsBool(mine) && cJSON_IsTrue(pv) != cJSON_IsTrue(mine)) {
            int p = cJSON_IsTrue(pv);
            /* in place (as lrs_fwd_pause does): no allocation */
            mine->type = (mine->type & ~0xFF) | (p ? cJSON_True : cJSON_False);
            pthread_mutex_lock(&t->mu);
            t->paused = p;
            t->bp_armed = 0;
            t->failing = p ? t->failing : 0;
            t->next_try_us = 0;
            pthread_cond_broadcast(&t->cv);
            pthread_mutex_unlock(&t->mu);
        }
    }
out:
    for (size_t i = 0; i < d.n; i++)
        cJSON_Delete(d.defs[i]);
    sc_free(d.ids);
    sc_free(d.defs);
}

static void *coordinator(void *arg)
{
    struct lrs_fwd *f = arg;
    for (;;) {
        int64_t wake = sc_time_now_us() + (int64_t)FWD_SYNC_MS * 1000;
        struct timespec ts;
        struct fwd_target *head;
        pthread_mutex_lock(&f->co_mu);
        pthread_mutex_lock(&f->mu);
        if (f->co_quit) {
            pthread_mutex_unlock(&f->mu);
            pthread_mutex_unlock(&f->co_mu);
            break;
        }
        sync_defs(f);
        head = f->list;
        pthread_mutex_unlock(&f->mu);
        /* without mu (the write lock may be taken by another node's writer): co_mu keeps every
         * target from head on in the list */
        for (struct fwd_target *t = head; t; t = t->next)
            lease_tick(f, t);
        pthread_mutex_unlock(&f->co_mu);
        ts.tv_sec = (time_t)(wake / 1000000);
        ts.tv_nsec = (long)(wake % 1000000) * 1000;
        pthread_mutex_lock(&f->mu);
        while (!f->co_quit && sc_time_now_us() < wake)
            pthread_cond_timedwait(&f->co_cv, &f->mu, &ts);
        pthread_mutex_unlock(&f->mu);
    }
    return NULL;
}

int fwd__nodes_start(struct lrs_fwd *f)
{
    if (!shared(f))
        return 0;
    if (RAND_bytes(f->node, sizeof f->node) != 1)
        return -1;
    pthread_cond_init(&f->co_cv, NULL);
    f->co_quit = 0;
    if (pthread_create(&f->co_th, NULL, coordinator, f) != 0) {
        pthread_cond_destroy(&f->co_cv);
        return -1;
    }
    f->co_started = 1;
    return 0;
}

void fwd__nodes_stop(struct lrs_fwd *f)
{
    if (!f->co_started)
        return;
    pthread_mutex_lock(&f->mu);
    f->co_quit = 1;
    pthread_cond_broadcast(&f->co_cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->co_th, NULL);
    pthread_cond_destroy(&f->co_cv);
    f->co_started = 0;
    /* give the leases up: another node takes over at its next tick, not after the expiry */
    for (struct fwd_target *t = f->list; t; t = t->next) {
        int held;
        int64_t until;
        pthread_mutex_lock(&t->mu);
        t->lease_until_us = 0; /* the sender stops taking rows */
        pthread_mutex_unlock(&t->mu);
        fwd__target_stop(t);
        if (lease_write(f, t, 1, &held, &until))
            lrs_log(LRS_LOG_WARN, "forwarding %u: lease not given up", t->id);
    }
}
