/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bridge outbox (DESIGN.md "Principles learned": one logical write, one durable
 * transaction). The statements a SCORM call produces (launch, initialized, commit, a
 * delivery, the end of a course attempt) are written as rows of table "bridge_outbox" in the
 * transaction that writes the run-time data, so a committed call always has its statements:
 *
 *   "bridge_outbox"      be64(us) be16(n) statement id (36) -> the statement, compact JSON with
 *                                                              its "id" (assigned when the row
 *                                                              is written), validated
 *   "bridge_outbox_dead" the same key                        -> a row the statement store
 *                                                              refused for good (409/400)
 *
 * Rows become statements three ways, each by stmt_store_insert (or the emit sink of the
 * options) followed by deleting the rows:
 * - right after the commit, by the calling thread, with the statements it holds in memory
 *   (statements appear as promptly as before); the rows' deletion is queued and done in
 *   batches by the drainer thread (or by the caller when no thread runs or the queue is long);
 * - at start-up, before the server serves (scorm_rt_outbox_drain): every row a crash left;
 * - by the drainer thread (scorm_rt_outbox_start), every second: rows older than two seconds,
 *   i.e. those whose insert failed (store error, allocation failure) or was cut short.
 * A row may thus be inserted twice (a crash between the insert and the row's deletion, or the
 * drainer racing a slow caller): the statement store treats a statement whose id is stored
 * with the same content as a no-op (xAPI Comm 2.1.1 S1/S2, stmt_store_insert), so the second
 * insert changes nothing (scorm/tests/test_scorm_outbox.c checks it).
 */
#include "scorm/scorm_rt_int.h"
#include "common/sc_be.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"
#include "statements/stmt_store.h"
#include "statements/stmt_validate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define OBX_TABLE "bridge_outbox"
#define OBX_DEAD "bridge_outbox_dead"
#define OBX_BATCH 256      /* rows per drain step */
#define OBX_DELETE_MAX 512 /* queued deletions before the caller flushes them itself */
#define OBX_AGE_US 2000000 /* the drainer thread retries rows older than this */
#define OBX_PERIOD_MS 500  /* the drainer thread's period */

int scorm__outbox_init(struct scorm_rt *rt)
{
    pthread_condattr_t ca;
    if (pthread_mutex_init(&rt->obx_lock, NULL))
        return SCORM_RT_ERR_NOMEM;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_cond_init(&rt->obx_cond, &ca)) {
        pthread_condattr_destroy(&ca);
        pthread_mutex_destroy(&rt->obx_lock);
        return SCORM_RT_ERR_NOMEM;
    }
    if (pthread_cond_init(&rt->commit_cond, &ca)) {
        pthread_condattr_destroy(&ca);
        pthread_cond_destroy(&rt->obx_cond);
        pthread_mutex_destroy(&rt->obx_lock);
        return SCORM_RT_ERR_NOMEM;
    }
    pthread_condattr_destroy(&ca);
    rt->obx_inited = 1;
    return SCORM_RT_OK;
}

void scorm__obx_free(struct scorm__obx *ob)
{
    sc_free(ob->key);
    memset(ob, 0, sizeof *ob);
}

/* Is there anywhere for the statements to go? Without a store or a sink (tools, some tests)
 * no rows are written. */
static int has_destination(const struct scorm_rt *rt)
{
    return rt->store || rt->emit;
}

int scorm__outbox_put(struct scorm_rt *rt, struct stmt_db_txn *txn, cJSON *stmts, long fails0,
                      struct scorm__obx *ob)
{
    int n = cJSON_GetArraySize(stmts), i = 0;
    int64_t now = sc_time_now_us();
    cJSON *s;
    memset(ob, 0, sizeof *ob);
    if (n <= 0 || !has_destination(rt))
        return SCORM_RT_OK;
    ob->key = sc_calloc((size_t)n, sizeof *ob->key);
    if (!ob->key)
        return SCORM_RT_ERR_NOMEM;
    for (s = stmts ? stmts->child : NULL; s;) {
        cJSON *next = s->next;
        struct stmt_diag d;
        char id[SC_UUID_LEN], *json;
        int rc;
        memset(&d, 0, sizeof d);
        /* the bridge makes valid statements: one that is not lost a part to an allocation
         * failure (the call fails) or is a bug (left out rather than stored where the
         * drainer would retry it forever) */
        rc = stmt_validate(s, STMT_VALIDATE_DEFAULT, &d);
        if (rc == STMT_ERR_NOMEM || (rc && sc_alloc_failures() != fails0))
            return SCORM_RT_ERR_NOMEM;
        if (rc) {
            cJSON_Delete(cJSON_DetachItemViaPointer(stmts, s));
            s = next;
            continue;
        }
        if (!cJSON_GetObjectItemCaseSensitive(s, "id")) {
            if (sc_uuid_v4(id))
                return SCORM_RT_ERR_NOMEM;
            if (!cJSON_AddStringToObject(s, "id", id))
                return SCORM_RT_ERR_NOMEM;
        } else {
            snprintf(id, sizeof id, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(s, "id")));
        }
        sc_be64_put(ob->key[i], (uint64_t)now);
        ob->key[i][8] = (unsigned char)(i >> 8);
        ob->key[i][9] = (unsigned char)(i & 0xff);
        memcpy(ob->key[i] + 10, id, 36);
        json = cJSON_PrintUnformatted(s);
        if (!json)
            return SCORM_RT_ERR_NOMEM;
        rc = stmt_db_put(txn, OBX_TABLE, ob->key[i], SCORM__OBX_KEY, json, strlen(json), 0);
        cJSON_free(json);
        if (rc)
            return rc == STMT_DB_ERR_NOMEM ? SCORM_RT_ERR_NOMEM : SCORM_RT_ERR_STORE;
        ob->n = (size_t)++i;
        s = next;
    }
    return scorm__outbox_events(rt, txn, stmts); /* webhooks: same transaction (issue 17) */
}

/* Hand n statements to the store (or the sink). 0: stored (or already there, identical);
 * 1: refused for good (conflict, invalid); -1: failed, retry later. */
static int deliver(struct scorm_rt *rt, cJSON **arr, size_t n)
{
    int rc;
    if (rt->store) {
        struct stmt_insert_result res;
        rc = stmt_store_insert(rt->store, arr, n, rt->authority, &res);
        stmt_insert_result_free(&res);
        if (rc == STMT_STORE_OK)
            return 0;
        if (rc == STMT_STORE_ERR_CONFLICT || rc == STMT_STORE_ERR_ARG ||
            rc == STMT_STORE_ERR_VOID_VOIDING || rc == STMT_STORE_ERR_DUP_ID)
            return 1;
        return -1;
    }
    if (rt->emit)
        return rt->emit(rt->emit_ctx, arr, n) ? -1 : 0;
    return 0;
}

struct del_work {
    unsigned char (*keys)[SCORM__OBX_KEY];
    size_t n;
};

/* In the group's transaction (stmt_db_txn_run_grouped: on the group leader's thread). */
static int del_rows(struct stmt_db_txn *txn, void *p)
{
    const struct del_work *w = p;
    for (size_t i = 0; i < w->n; i++) {
        int rc = stmt_db_del(txn, OBX_TABLE, w->keys[i], SCORM__OBX_KEY);
        if (rc && rc != STMT_DB_NOTFOUND)
            return rc;
    }
    return STMT_DB_OK;
}

/* Delete the queued rows (one grouped transaction). Keys that cannot be deleted now are
 * dropped from the queue: their rows are inserted again later, which is harmless. */
static void flush_deletes(struct scorm_rt *rt)
{
    struct del_work w;
    pthread_mutex_lock(&rt->obx_lock);
    w.keys = rt->obx_done;
    w.n = rt->obx_ndone;
    rt->obx_done = NULL;
    rt->obx_ndone = rt->obx_cap = 0;
    pthread_mutex_unlock(&rt->obx_lock);
    if (w.n)
        (void)stmt_db_txn_run_grouped(rt->db, del_rows, &w); /* a failure leaves the rows */
    sc_free(w.keys);
}

/* Queue the deletion of rows whose statements are stored. 1 when the caller should flush. */
static int queue_deletes(struct scorm_rt *rt, const struct scorm__obx *ob)
{
    int flush;
    pthread_mutex_lock(&rt->obx_lock);
    if (rt->obx_ndone + ob->n > rt->obx_cap) {
        size_t cap = (rt->obx_ndone + ob->n) * 2 + 16;
        void *p = sc_realloc(rt->obx_done, cap * sizeof *rt->obx_done);
        if (!p) { /* the rows stay: the drainer inserts them again, harmlessly */
            pthread_mutex_unlock(&rt->obx_lock);
            return 0;
        }
        rt->obx_done = p;
        rt->obx_cap = cap;
    }
    memcpy(rt->obx_done + rt->obx_ndone, ob->key, ob->n * sizeof *ob->key);
    rt->obx_ndone += ob->n;
    flush = !rt->obx_running || rt->obx_ndone >= OBX_DELETE_MAX;
    pthread_mutex_unlock(&rt->obx_lock);
    return flush;
}

void scorm__outbox_sent(struct scorm_rt *rt, cJSON *stmts, struct scorm__obx *ob)
{
    cJSON **arr = NULL;
    size_t n = 0;
    if (!ob->n || rt->no_drain)
        goto out;
    arr = sc_calloc(ob->n, sizeof *arr);
    if (!arr) /* the rows stay: the drainer inserts them */
        goto out;
    for (cJSON *s = stmts->child; s && n < ob->n; s = s->next)
        arr[n++] = s;
    if (deliver(rt, arr, n) == 0 && queue_deletes(rt, ob))
        flush_deletes(rt);
out:
    sc_free(arr);
    scorm__obx_free(ob);
}

/* ---- draining rows --------------------------------------------------------------------- */

struct row {
    unsigned char key[SCORM__OBX_KEY];
    cJSON *stmt;
    int fate; /* 0 stored, 1 refused for good, -1 retry */
};

struct scan {
    struct row *rows;
    size_t n, cap;
    uint64_t before_us; /* 0: every row */
    int nomem;
};

static int scan_row(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct scan *s = ctx;
    if (klen != SCORM__OBX_KEY)
        return 0; /* not ours: never written by this file */
    if (s->before_us && sc_be64_get(key) >= s->before_us)
        return 1;
    if (s->n == s->cap)
        return 1;
    memcpy(s->rows[s->n].key, key, SCORM__OBX_KEY);
    s->rows[s->n].stmt = cJSON_ParseWithLength(val, vlen);
    s->rows[s->n].fate = -1;
    if (!s->rows[s->n].stmt) {
        s->nomem = 1;
        return 1;
    }
    s->n++;
    return 0;
}

struct fate_work {
    const struct scan *s;
    size_t done;
    int nomem;
};

/* The rows whose fate is known go: a stored statement's row is deleted, a refused one moves to
 * the dead table. In the group's transaction (stmt_db_txn_run_grouped). */
static int write_fates(struct stmt_db_txn *txn, void *p)
{
    struct fate_work *w = p;
    w->done = 0;
    for (size_t i = 0; i < w->s->n; i++) {
        const struct row *r = &w->s->rows[i];
        int prc = STMT_DB_OK;
        if (r->fate < 0)
            continue;
        if (r->fate == 1) {
            char *json = cJSON_PrintUnformatted(r->stmt);
            prc = json ? stmt_db_put(txn, OBX_DEAD, r->key, SCORM__OBX_KEY, json, strlen(json), 0)
                       : STMT_DB_ERR_NOMEM;
            cJSON_free(json);
        }
        if (!prc)
            prc = stmt_db_del(txn, OBX_TABLE, r->key, SCORM__OBX_KEY);
        if (prc && prc != STMT_DB_NOTFOUND) {
            w->nomem = prc == STMT_DB_ERR_NOMEM;
            return prc;
        }
        w->done++;
    }
    return STMT_DB_OK;
}

/* One step: up to OBX_BATCH rows (older than before_us when non-zero) become statements and
 * their rows go. *done the rows handled (stored or moved to the dead table), *found the rows
 * read. SCORM_RT_OK, _STORE, _NOMEM. */
static int drain_step(struct scorm_rt *rt, uint64_t before_us, size_t *found, size_t *done)
{
    struct scan s;
    struct stmt_db_txn *txn = NULL;
    cJSON **arr = NULL;
    int rc = SCORM_RT_OK;
    *found = *done = 0;
    memset(&s, 0, sizeof s);
    s.before_us = before_us;
    s.cap = OBX_BATCH;
    s.rows = sc_calloc(s.cap, sizeof *s.rows);
    arr = sc_calloc(s.cap, sizeof *arr);
    if (!s.rows || !arr) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    if (stmt_db_txn_begin(rt->db, 0, &txn)) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    rc = stmt_db_scan(txn, OBX_TABLE, NULL, 0, scan_row, &s);
    stmt_db_txn_abort(txn);
    txn = NULL;
    if (rc < 0 && rc != STMT_DB_NOTFOUND) {
        rc = SCORM_RT_ERR_STORE;
        goto out;
    }
    rc = s.nomem ? SCORM_RT_ERR_NOMEM : SCORM_RT_OK;
    *found = s.n;
    if (!s.n)
        goto out;
    for (size_t i = 0; i < s.n; i++)
        arr[i] = s.rows[i].stmt;
    int fate = deliver(rt, arr, s.n);
    if (fate >= 0) {
        for (size_t i = 0; i < s.n; i++)
            s.rows[i].fate = fate;
    }
    if (fate == 1) /* one of them is refused: find it, the others are stored */
        for (size_t i = 0; i < s.n; i++)
            s.rows[i].fate = deliver(rt, &arr[i], 1);
    {
        struct fate_work w = {&s, 0, 0};
        int grc = stmt_db_txn_run_grouped(rt->db, write_fates, &w);
        if (grc) {
            *done = 0;
            rc = grc == STMT_DB_ERR_NOMEM || w.nomem ? SCORM_RT_ERR_NOMEM : SCORM_RT_ERR_STORE;
            goto out;
        }
        *done = w.done;
    }
    if (*done < s.n && rc == SCORM_RT_OK)
        rc = SCORM_RT_ERR_STORE; /* the store failed some: retry later */
out:
    stmt_db_txn_abort(txn);
    for (size_t i = 0; s.rows && i < s.n; i++)
        cJSON_Delete(s.rows[i].stmt);
    sc_free(s.rows);
    sc_free(arr);
    return rc;
}

int scorm_rt_outbox_drain(struct scorm_rt *rt, size_t *stored)
{
    size_t found, done, total = 0;
    int rc;
    flush_deletes(rt);
    do {
        rc = drain_step(rt, 0, &found, &done);
        total += done;
    } while (rc == SCORM_RT_OK && found > 0);
    if (stored)
        *stored = total;
    return rc;
}

static int count_row(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    (void)key;
    (void)klen;
    (void)val;
    (void)vlen;
    ++*(size_t *)ctx;
    return 0;
}

int scorm_rt_outbox_count(struct scorm_rt *rt, size_t *rows, size_t *dead)
{
    return scorm_outbox_count(rt->db, rows, dead);
}

int scorm_outbox_count(struct stmt_db *db, size_t *rows, size_t *dead)
{
    struct stmt_db_txn *txn = NULL;
    int rc;
    *rows = 0;
    if (dead)
        *dead = 0;
    if (stmt_db_txn_begin(db, 0, &txn))
        return SCORM_RT_ERR_STORE;
    rc = stmt_db_scan(txn, OBX_TABLE, NULL, 0, count_row, rows);
    if (!rc && dead)
        rc = stmt_db_scan(txn, OBX_DEAD, NULL, 0, count_row, dead);
    stmt_db_txn_abort(txn);
    return rc && rc != STMT_DB_NOTFOUND ? SCORM_RT_ERR_STORE : SCORM_RT_OK;
}

/* ---- the drainer thread ---------------------------------------------------------------- */

static void *drainer(void *arg)
{
    struct scorm_rt *rt = arg;
    pthread_mutex_lock(&rt->obx_lock);
    while (!rt->obx_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)OBX_PERIOD_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&rt->obx_cond, &rt->obx_lock, &ts);
        if (rt->obx_stop)
            break;
        pthread_mutex_unlock(&rt->obx_lock);
        flush_deletes(rt);
        {
            size_t found, done;
            int64_t now = sc_time_now_us();
            /* rows a caller could not turn into statements (or has not yet: hence the age) */
            while (drain_step(rt, (uint64_t)(now - OBX_AGE_US), &found, &done) == SCORM_RT_OK &&
                   found == OBX_BATCH)
                ;
        }
        pthread_mutex_lock(&rt->obx_lock);
    }
    pthread_mutex_unlock(&rt->obx_lock);
    return NULL;
}

int scorm_rt_outbox_start(struct scorm_rt *rt)
{
    int rc;
    pthread_mutex_lock(&rt->obx_lock);
    if (rt->obx_running) {
        pthread_mutex_unlock(&rt->obx_lock);
        return SCORM_RT_OK;
    }
    rt->obx_stop = 0;
    rc = pthread_create(&rt->obx_thread, NULL, drainer, rt);
    if (!rc)
        rt->obx_running = 1;
    pthread_mutex_unlock(&rt->obx_lock);
    return rc ? (rc == ENOMEM || rc == EAGAIN ? SCORM_RT_ERR_NOMEM : SCORM_RT_ERR_STORE)
              : SCORM_RT_OK;
}

void scorm__outbox_fini(struct scorm_rt *rt)
{
    int join;
    if (!rt->obx_inited)
        return;
    pthread_mutex_lock(&rt->obx_lock);
    join = rt->obx_running;
    rt->obx_stop = 1;
    pthread_cond_broadcast(&rt->obx_cond);
    pthread_mutex_unlock(&rt->obx_lock);
    if (join)
        pthread_join(rt->obx_thread, NULL);
    rt->obx_running = 0;
    if (!rt->no_drain)
        flush_deletes(rt);
    sc_free(rt->obx_done);
    rt->obx_done = NULL;
    pthread_cond_destroy(&rt->obx_cond);
    pthread_cond_destroy(&rt->commit_cond);
    pthread_mutex_destroy(&rt->obx_lock);
    rt->obx_inited = 0;
}

/* ---- commits before a navigation request ------------------------------------------------ */

void scorm__commit_done(struct scorm_rt *rt)
{
    pthread_mutex_lock(&rt->obx_lock);
    pthread_cond_broadcast(&rt->commit_cond);
    pthread_mutex_unlock(&rt->obx_lock);
}

/* 1 when the session has applied seq or ended (or is not the registration's), else 0 */
static int commit_arrived(struct scorm_rt *rt, const char *reg, const char *session, double seq)
{
    struct scorm__session sess;
    int done = 1;
    if (scorm__session_get1(rt->db, session, &sess))
        return 1;
    if (!strcmp(sess.registration, reg) && sess.open)
        done = (double)sess.seq >= seq;
    scorm__session_free(&sess);
    return done;
}

int scorm_rt_commit_wait(struct scorm_rt *rt, const char *reg, const char *session, double seq,
                         int timeout_ms, int *arrived)
{
    struct timespec dl;
    int done;
    *arrived = 1;
    if (!reg || !session || !sc_uuid_valid(session, strlen(session)) || seq < 1)
        return SCORM_RT_OK;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    dl.tv_sec += dl.tv_nsec / 1000000000L;
    dl.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&rt->obx_lock);
    /* the committer broadcasts under this lock after its transaction is durable, so a commit
     * that lands between the read and the wait still wakes this thread */
    while (!(done = commit_arrived(rt, reg, session, seq)))
        if (pthread_cond_timedwait(&rt->commit_cond, &rt->obx_lock, &dl) == ETIMEDOUT) {
            done = commit_arrived(rt, reg, session, seq);
            break;
        }
    pthread_mutex_unlock(&rt->obx_lock);
    *arrived = done;
    return SCORM_RT_OK;
}
