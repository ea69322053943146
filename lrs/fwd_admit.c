/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Back-pressure of forwarding on ingest (issue 17: forwarding keeps pace with ingest, the lag
 * stays bounded). When the source and the target share the machine, or the target is simply
 * slower than the clients, a sender that only sends faster cannot keep pace: ingest takes the
 * CPU (or the target's capacity) the sender needs. So, as admission control does elsewhere, a
 * statement write (POST/PUT /xapi/statements, route_statements.c) waits before it is accepted
 * while a forwarder is behind:
 *
 *   - a forwarder holds ingest only while it is healthy: not paused, not retrying after a
 *     failed request, and, while rows wait, a batch was taken within FWD_STALL_MS (a target
 *     that hangs stops counting after that). A dead, failing, hanging or paused target never
 *     slows ingest, so one bad target cannot block the LRS;
 *   - and only once it caught up: its lag was under the bound while healthy since its last
 *     failure or pause. The backlog a pause or an outage left drains at the sender's own pace
 *     without holding ingest; back-pressure engages again when the sender is under the bound;
 *   - the lag is the age of the oldest row the sender knows to be waiting or in flight (the
 *     head of its window, fwd_sender.c), so the check costs no storage access;
 *   - a request waits until every such forwarder is under its bound, at most the hold time
 *     (SCOLAR_FORWARD_HOLD_MS, default 1 s): clients never hang, and a valid statement is
 *     never refused because of forwarding (after the hold it is accepted as before).
 *
 * Bound: SCOLAR_FORWARD_MAX_LAG_MS (default 2000; 0 switches back-pressure off), or a
 * forwarder's "max_lag_ms" (0: this forwarder never holds ingest). SCORM and cmi5 run-time
 * commits of the player (scorm/scorm_outbox.c) are not held: a learner's browser waits on them
 * and their rate is that of people; `scolar migrate` and imports do not run in `serve`.
 */
#include "lrs/fwd.h"
#include "common/sc_time.h"
#include "statements/stmt_outbox.h"
#include "statements/stmt_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ADMIT_POLL_US 20000 /* a held request looks again at least this often */

static int64_t env_ms(const char *name, int64_t dflt, int64_t max)
{
    const char *v = getenv(name);
    char *end;
    long long x;
    if (!v || !*v)
        return dflt;
    x = strtoll(v, &end, 10);
    if (*end || x < 0 || x > max) {
        lrs_log(LRS_LOG_WARN, "%s=%s ignored: a whole number of ms from 0 to %lld", name, v,
                (long long)max);
        return dflt;
    }
    return x;
}

void fwd__admit_init(struct lrs_fwd *f)
{
    f->max_lag_us = env_ms("SCOLAR_FORWARD_MAX_LAG_MS", FWD_MAX_LAG_MS_DEFAULT, 3600000) * 1000;
    f->hold_us = env_ms("SCOLAR_FORWARD_HOLD_MS", FWD_HOLD_MS_DEFAULT, FWD_HOLD_MS_MAX) * 1000;
    pthread_mutex_init(&f->adm_mu, NULL);
    pthread_cond_init(&f->adm_cv, NULL);
}

void fwd__admit_free(struct lrs_fwd *f)
{
    pthread_cond_destroy(&f->adm_cv);
    pthread_mutex_destroy(&f->adm_mu);
}

void fwd__admit_oldest(struct fwd_target *t, uint64_t oldest_us)
{
    int64_t mono = sc_time_mono_us();
    pthread_mutex_lock(&t->mu);
    if (!t->oldest_us && oldest_us) {
        t->busy_since = mono;
    } else if (t->oldest_us && !oldest_us && t->busy_since) {
        t->rate_busy_us += mono - t->busy_since;
        t->busy_since = 0;
    }
    t->oldest_us = oldest_us;
    pthread_mutex_unlock(&t->mu);
    if (t->fwd && __atomic_load_n(&t->fwd->adm_waiters, __ATOMIC_RELAXED)) {
        pthread_mutex_lock(&t->fwd->adm_mu);
        pthread_cond_broadcast(&t->fwd->adm_cv);
        pthread_mutex_unlock(&t->fwd->adm_mu);
    }
}

void fwd__admit_sent(struct fwd_target *t, size_t n)
{
    int64_t mono = sc_time_mono_us();
    int64_t busy = t->rate_busy_us + (t->busy_since ? mono - t->busy_since : 0);
    t->rate_rows += n;
    if (busy >= FWD_RATE_MS * 1000) {
        double r = (double)t->rate_rows * 1e6 / (double)busy;
        t->send_rate = t->send_rate > 0 ? 0.5 * t->send_rate + 0.5 * r : r;
        t->rate_rows = 0;
        t->rate_busy_us = 0;
        if (t->busy_since)
            t->busy_since = mono;
    }
}

/* The sender's pace in rows per second of sending (t->mu held): the last measure, or before
 * the first one, what the current window shows. 0 when unknown. */
static double pace(const struct fwd_target *t, int64_t mono)
{
    int64_t busy = t->rate_busy_us + (t->busy_since ? mono - t->busy_since : 0);
    if (t->send_rate > 0)
        return t->send_rate;
    return t->rate_rows && busy > 0 ? (double)t->rate_rows * 1e6 / (double)busy : 0;
}

/* Rows that may wait before the backlog alone holds ingest: what the sender sends in the
 * bound, at least one full window of batches (t->mu held); 0: no such limit (pace unknown). */
static uint64_t row_bound(const struct fwd_target *t, int64_t mono)
{
    double r = pace(t, mono), rows = r * (double)t->max_lag_us / 1e6;
    uint64_t window = (uint64_t)FWD_BATCH * (uint64_t)(t->concurrency > 0 ? t->concurrency : 1);
    if (r <= 0)
        return 0;
    return rows > (double)window ? (uint64_t)rows : window;
}

/* Count t's queued rows again when the count is older than FWD_COUNT_MS, or than FWD_RECOUNT_MS
 * when the estimate (the last count plus the statements admitted since, which may not all
 * match the forwarder's filter) is over the row bound: a request is held on a fresh count only.
 * A scan of at most the row bound + 1 rows (f->mu held, so t stays; t->mu not held). */
static void recount(struct fwd_target *t)
{
    int64_t mono = sc_time_mono_us();
    uint64_t after, max, n = 0;
    int rc;
    pthread_mutex_lock(&t->mu);
    max = row_bound(t, mono);
    if (t->kind != FWD_FORWARDER || !t->max_lag_us || t->counting || !max ||
        mono - t->counted_at <
            (t->queued_est > max ? FWD_RECOUNT_MS : FWD_COUNT_MS) * (int64_t)1000) {
        pthread_mutex_unlock(&t->mu);
        return;
    }
    t->counting = 1;
    after = t->cursor;
    pthread_mutex_unlock(&t->mu);
    rc = stmt_outbox_count(t->store, t->id, after, max + 1, &n);
    pthread_mutex_lock(&t->mu);
    t->counting = 0;
    t->counted_at = mono;
    if (rc == STMT_STORE_OK)
        t->queued_est = n;
    pthread_mutex_unlock(&t->mu);
}

enum bp_state { BP_OFF, BP_INACTIVE, BP_CATCHING_UP, BP_ARMED, BP_HOLDING };
static const char *const BP_NAMES[] = {"off", "inactive", "catching_up", "armed", "holding"};

/* Where target t stands (t->mu held); *over: how far past the bound (us) when holding: the age
 * of its oldest waiting row, or the time its pace needs to send the rows waiting, whichever is
 * further. */
static enum bp_state state_of(struct fwd_target *t, int64_t now, int64_t *over)
{
    int64_t lag, mono = sc_time_mono_us();
    uint64_t rows = row_bound(t, mono);
    *over = 0;
    if (t->kind != FWD_FORWARDER || !t->max_lag_us || !t->fwd || !t->fwd->hold_us)
        return BP_OFF;
    lag = t->oldest_us && (int64_t)t->oldest_us < now ? now - (int64_t)t->oldest_us : 0;
    if (t->paused || t->failing ||
        (t->oldest_us && (!t->last_ok_us || now - t->last_ok_us > FWD_STALL_MS * 1000))) {
        t->bp_armed = 0;
        return BP_INACTIVE;
    }
    if (rows && t->oldest_us && t->queued_est > rows) { /* an idle sender has none waiting */
        int64_t drain = (int64_t)((double)t->queued_est * 1e6 / pace(t, mono));
        if (drain > lag)
            lag = drain;
    }
    if (lag <= t->max_lag_us) {
        t->bp_armed = 1;
        return BP_ARMED;
    }
    if (!t->bp_armed)
        return BP_CATCHING_UP;
    *over = lag - t->max_lag_us;
    return BP_HOLDING;
}

/* The id of the forwarder furthest over its bound that holds ingest now, 0 when none. */
static uint32_t holder(struct lrs_fwd *f)
{
    int64_t now = sc_time_now_us(), worst = 0;
    uint32_t id = 0;
    pthread_mutex_lock(&f->mu);
    for (struct fwd_target *t = f->list; t; t = t->next) {
        int64_t over;
        recount(t);
        pthread_mutex_lock(&t->mu);
        if (state_of(t, now, &over) == BP_HOLDING && over > worst) {
            worst = over;
            id = t->id;
        }
        pthread_mutex_unlock(&t->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return id;
}

/* n statements were admitted: they count in every forwarder's estimate until its next count. */
static void admitted(struct lrs_fwd *f, size_t n)
{
    pthread_mutex_lock(&f->mu);
    for (struct fwd_target *t = f->list; t; t = t->next) {
        pthread_mutex_lock(&t->mu);
        if (t->kind == FWD_FORWARDER && t->max_lag_us)
            t->queued_est += n;
        pthread_mutex_unlock(&t->mu);
    }
    pthread_mutex_unlock(&f->mu);
}

void lrs_fwd_admit(struct lrs_app *app, size_t n)
{
    struct lrs_fwd *f = app ? app->fwd : NULL;
    int64_t t0, until, held;
    uint32_t first, still;
    if (!f || !f->hold_us)
        return;
    if (!(first = holder(f))) {
        admitted(f, n);
        return;
    }
    t0 = sc_time_mono_us();
    until = t0 + f->hold_us;
    __atomic_add_fetch(&f->adm_waiters, 1, __ATOMIC_RELAXED);
    do {
        int64_t wake = sc_time_now_us() + ADMIT_POLL_US; /* the condition variable's clock */
        struct timespec ts = {(time_t)(wake / 1000000), (long)(wake % 1000000) * 1000};
        pthread_mutex_lock(&f->adm_mu);
        pthread_cond_timedwait(&f->adm_cv, &f->adm_mu, &ts);
        pthread_mutex_unlock(&f->adm_mu);
        still = holder(f);
    } while (still && sc_time_mono_us() < until);
    __atomic_sub_fetch(&f->adm_waiters, 1, __ATOMIC_RELAXED);
    held = sc_time_mono_us() - t0;
    pthread_mutex_lock(&f->adm_mu);
    f->held_n++;
    f->held_capped += still != 0;
    f->held_us += held;
    pthread_mutex_unlock(&f->adm_mu);
    pthread_mutex_lock(&f->mu);
    for (struct fwd_target *t = f->list; t; t = t->next) {
        if (t->id == first && t->kind == FWD_FORWARDER) {
            pthread_mutex_lock(&t->mu);
            t->held_n++;
            t->held_us += held;
            pthread_mutex_unlock(&t->mu);
        }
    }
    pthread_mutex_unlock(&f->mu);
    admitted(f, n);
}

cJSON *fwd__admit_status(struct fwd_target *t, int64_t now)
{
    int64_t over;
    enum bp_state s = state_of(t, now, &over);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddNumberToObject(o, "max_lag_ms", (double)(t->max_lag_us / 1000)) ||
        !cJSON_AddStringToObject(o, "state", BP_NAMES[s]) ||
        !cJSON_AddNumberToObject(o, "held_requests", (double)t->held_n) ||
        !cJSON_AddNumberToObject(o, "held_s", (double)t->held_us / 1e6)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

void fwd__admit_metrics(struct lrs_fwd *f, struct sc_buf *b)
{
    uint64_t n, capped;
    int64_t us, now = sc_time_now_us();
    pthread_mutex_lock(&f->adm_mu);
    n = f->held_n;
    capped = f->held_capped;
    us = f->held_us;
    pthread_mutex_unlock(&f->adm_mu);
    sc_buf_printf(b,
                  "# HELP scolar_forward_ingest_held_total Statement writes held back by "
                  "forwarding back-pressure.\n# TYPE scolar_forward_ingest_held_total counter\n"
                  "scolar_forward_ingest_held_total %llu\n",
                  (unsigned long long)n);
    sc_buf_printf(b,
                  "# HELP scolar_forward_ingest_held_capped_total Held writes accepted at the "
                  "end of the hold time with a forwarder still over its bound.\n"
                  "# TYPE scolar_forward_ingest_held_capped_total counter\n"
                  "scolar_forward_ingest_held_capped_total %llu\n",
                  (unsigned long long)capped);
    sc_buf_printf(b,
                  "# HELP scolar_forward_ingest_held_seconds_total Time statement writes waited "
                  "for forwarding back-pressure.\n"
                  "# TYPE scolar_forward_ingest_held_seconds_total counter\n"
                  "scolar_forward_ingest_held_seconds_total %.6f\n",
                  (double)us / 1e6);
    sc_buf_printf(b,
                  "# HELP scolar_forward_ingest_holding Statement writes waiting now.\n"
                  "# TYPE scolar_forward_ingest_holding gauge\nscolar_forward_ingest_holding %d\n",
                  __atomic_load_n(&f->adm_waiters, __ATOMIC_RELAXED));
    sc_buf_printf(b, "# HELP scolar_forward_backpressure Whether a forwarder holds ingest now "
                     "(1) or not (0).\n# TYPE scolar_forward_backpressure gauge\n");
    pthread_mutex_lock(&f->mu);
    for (struct fwd_target *t = f->list; t; t = t->next) {
        int64_t over;
        int on;
        if (t->kind != FWD_FORWARDER)
            continue;
        pthread_mutex_lock(&t->mu);
        on = state_of(t, now, &over) == BP_HOLDING;
        pthread_mutex_unlock(&t->mu);
        sc_buf_printf(b, "scolar_forward_backpressure{kind=\"forwarder\",id=\"%u\"} %d\n", t->id,
                      on);
    }
    pthread_mutex_unlock(&f->mu);
}
