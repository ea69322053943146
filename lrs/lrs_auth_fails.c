/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Failure counts of the sign-in limits as rows of the store, for several nodes on one
 * PostgreSQL database (lrs_fails.h for the layout). Reads are one read transaction with one
 * batched lookup of both names (stmt_db_get_many: one round trip); a failure is one grouped
 * write transaction (stmt_db_txn_run_grouped) whose read-modify-write is safe across nodes
 * because the database has one writer at a time (stmt_db_pg.c). What the limits allow is
 * decided exactly as by the in-memory tables of lrs_session.c and lrs_auth.c.
 */
#include "lrs/lrs_fails.h"
#include "lrs/lrs.h"
#include "common/sc_be.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "statements/stmt_db.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define KEY_LEN 33
#define VAL_LEN 16
#define PURGE_EVERY_US (60 * INT64_C(1000000))
#define PURGE_MAX 1024 /* rows deleted per purge */

int lrs__fails_shared(const struct stmt_db *db)
{
    return stmt_db_is_pg(db);
}

static void key_of(char kind, const char *name, unsigned char k[KEY_LEN])
{
    k[0] = (unsigned char)kind;
    sc_sha256(name, strlen(name), k + 1);
}

static double dbl_get(const unsigned char *p)
{
    uint64_t u = sc_be64_get(p);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void dbl_put(unsigned char *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    sc_be64_put(p, u);
}

/* The values of the rows of both names (vals[i] NULL: absent or no name), copied into out. */
static int read_rows(struct stmt_db *db, char kind, const char *const names[2],
                     unsigned char out[2][VAL_LEN], int have[2])
{
    unsigned char k[2][KEY_LEN];
    struct stmt_db_kv items[2];
    struct stmt_db_txn *t = NULL;
    size_t n = 0;
    int idx[2], rc;
    have[0] = have[1] = 0;
    for (int i = 0; i < 2; i++) {
        if (!names[i])
            continue;
        key_of(kind, names[i], k[n]);
        memset(&items[n], 0, sizeof items[n]);
        items[n].key = k[n];
        items[n].klen = KEY_LEN;
        idx[n++] = i;
    }
    if (!n)
        return STMT_DB_OK;
    rc = stmt_db_txn_begin(db, 0, &t);
    if (rc)
        return rc;
    rc = stmt_db_get_many(t, LRS_FAILS_TABLE, items, n);
    for (size_t j = 0; !rc && j < n; j++) {
        if (items[j].val && items[j].vlen == VAL_LEN) { /* another length: not ours, absent */
            memcpy(out[idx[j]], items[j].val, VAL_LEN);
            have[idx[j]] = 1;
        }
    }
    stmt_db_txn_abort(t);
    return rc;
}

/* ---- stale rows --------------------------------------------------------------------- */

struct purge {
    char kind;
    int64_t now, window_us;
    unsigned char (*keys)[KEY_LEN];
    size_t n;
};

static int purge_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct purge *p = ctx;
    const unsigned char *k = key, *v = val;
    int stale;
    if (p->n >= PURGE_MAX)
        return 1;
    if (!klen || k[0] != p->kind)
        return 1; /* past this kind's rows */
    if (klen != KEY_LEN || vlen != VAL_LEN)
        stale = 1; /* not a row of ours */
    else if (k[0] == 'w')
        stale = (int64_t)sc_be64_get(v) + p->window_us < p->now;
    else /* a bucket untouched for a minute is full again (lrs_auth.c: 20 tokens at 2 per s) */
        stale = (int64_t)sc_be64_get(v + 8) + PURGE_EVERY_US < p->now;
    if (stale)
        memcpy(p->keys[p->n++], key, KEY_LEN);
    return 0;
}

static pthread_mutex_t purge_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t purge_last[2]; /* windows, buckets */

/* Delete the rows of `kind` that can no longer limit anyone, at most once a minute per
 * process and kind. */
static void purge(struct stmt_db *db, char kind, int64_t window_us, int64_t now)
{
    struct purge p = {kind, now, window_us, NULL, 0};
    struct stmt_db_txn *t = NULL;
    int64_t *last = &purge_last[kind == 'b'];
    int rc;
    pthread_mutex_lock(&purge_lock);
    if (*last && now - *last < PURGE_EVERY_US) {
        pthread_mutex_unlock(&purge_lock);
        return;
    }
    *last = now;
    pthread_mutex_unlock(&purge_lock);
    p.keys = sc_malloc(PURGE_MAX * sizeof *p.keys);
    if (!p.keys)
        return; /* the next failure tries again in a minute */
    rc = stmt_db_txn_begin(db, 0, &t);
    if (!rc) {
        rc = stmt_db_scan(t, LRS_FAILS_TABLE, &kind, 1, purge_visit, &p);
        rc = rc < 0 ? rc : STMT_DB_OK; /* 1: the walk stopped past the kind or at PURGE_MAX */
        stmt_db_txn_abort(t);
        t = NULL;
    }
    if (!rc && p.n && !(rc = stmt_db_txn_begin(db, 1, &t))) {
        for (size_t i = 0; i < p.n && !rc; i++) {
            rc = stmt_db_del(t, LRS_FAILS_TABLE, p.keys[i], KEY_LEN);
            if (rc == STMT_DB_NOTFOUND) /* another node purged it */
                rc = STMT_DB_OK;
        }
        if (rc)
            stmt_db_txn_abort(t);
        else
            rc = stmt_db_txn_commit(t);
    }
    if (rc < STMT_DB_NOTFOUND)
        lrs_log(LRS_LOG_WARN, "sign-in failure counts: stale rows not deleted: %s",
                stmt_db_strerror(rc));
    sc_free(p.keys);
}

/* ---- windows ------------------------------------------------------------------------ */

int lrs__fails_window_wait(struct stmt_db *db, const char *const names[2], int max,
                           int64_t window_us, int64_t now_us, int64_t *wait_s)
{
    unsigned char v[2][VAL_LEN];
    int have[2];
    int rc = read_rows(db, 'w', names, v, have);
    *wait_s = 0;
    if (rc)
        return rc;
    for (int i = 0; i < 2; i++) {
        int64_t end;
        if (!have[i] || sc_be64_get(v[i] + 8) < (uint64_t)max)
            continue;
        end = (int64_t)sc_be64_get(v[i]) + window_us;
        if (end > now_us && (end - now_us) / 1000000 + 1 > *wait_s)
            *wait_s = (end - now_us) / 1000000 + 1;
    }
    return STMT_DB_OK;
}

struct note {
    const char *const *names;
    char kind;
    int64_t window_us, now;
    double burst, refill;
};

static int note_work(struct stmt_db_txn *t, void *ctx)
{
    const struct note *n = ctx;
    int rc = STMT_DB_OK;
    for (int i = 0; i < 2 && !rc; i++) {
        unsigned char k[KEY_LEN], nv[VAL_LEN];
        const void *v;
        size_t vl;
        if (!n->names[i])
            continue;
        key_of(n->kind, n->names[i], k);
        rc = stmt_db_get(t, LRS_FAILS_TABLE, k, KEY_LEN, &v, &vl);
        if (rc && rc != STMT_DB_NOTFOUND)
            break;
        if (rc || vl != VAL_LEN)
            v = NULL;
        if (n->kind == 'w') {
            /* as fail_note of lrs_session.c: a new window when none is running */
            const unsigned char *o = v;
            if (!o || (int64_t)sc_be64_get(o) + n->window_us < n->now) {
                sc_be64_put(nv, (uint64_t)n->now);
                sc_be64_put(nv + 8, 1);
            } else {
                memcpy(nv, o, 8);
                sc_be64_put(nv + 8, sc_be64_get(o + 8) + 1);
            }
        } else {
            /* as bucket_tokens of lrs_auth.c: refilled since its last change, then one less */
            double tokens = n->burst;
            if (v) {
                int64_t at = (int64_t)sc_be64_get((const unsigned char *)v + 8);
                tokens = dbl_get(v);
                if (n->now > at)
                    tokens += (double)(n->now - at) / 1e6 * n->refill;
                if (tokens > n->burst)
                    tokens = n->burst;
            }
            dbl_put(nv, tokens - 1.0);
            sc_be64_put(nv + 8, (uint64_t)n->now);
        }
        rc = stmt_db_put(t, LRS_FAILS_TABLE, k, KEY_LEN, nv, VAL_LEN, 0);
    }
    return rc;
}

int lrs__fails_window_note(struct stmt_db *db, const char *const names[2], int64_t window_us,
                           int64_t now_us)
{
    struct note n = {names, 'w', window_us, now_us, 0, 0};
    int rc = stmt_db_txn_run_grouped(db, note_work, &n);
    if (!rc)
        purge(db, 'w', window_us, now_us);
    return rc;
}

/* ---- buckets ------------------------------------------------------------------------ */

int lrs__fails_bucket_low(struct stmt_db *db, const char *const names[2], double burst,
                          double refill_per_s, int64_t now_us, int *low)
{
    unsigned char v[2][VAL_LEN];
    int have[2];
    int rc = read_rows(db, 'b', names, v, have);
    *low = 0;
    if (rc)
        return rc;
    for (int i = 0; i < 2; i++) {
        double tokens;
        int64_t at;
        if (!have[i])
            continue;
        tokens = dbl_get(v[i]);
        at = (int64_t)sc_be64_get(v[i] + 8);
        if (now_us > at)
            tokens += (double)(now_us - at) / 1e6 * refill_per_s;
        if (tokens > burst)
            tokens = burst;
        if (tokens < 1.0)
            *low = 1;
    }
    return STMT_DB_OK;
}

int lrs__fails_bucket_take(struct stmt_db *db, const char *const names[2], double burst,
                           double refill_per_s, int64_t now_us)
{
    struct note n = {names, 'b', 0, now_us, burst, refill_per_s};
    int rc = stmt_db_txn_run_grouped(db, note_work, &n);
    if (!rc)
        purge(db, 'b', 0, now_us);
    return rc;
}
