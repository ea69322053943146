/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Failure counts of the sign-in limits (lrs_fails.h). The console's windows, on both backends:
 * their rules once (win_*), kept in a table in memory on LMDB (one process sees every request)
 * and as rows of the store on PostgreSQL, for several nodes on one database. The Basic-auth
 * buckets as rows on PostgreSQL (lrs_auth.c keeps them in memory on LMDB, by the same rule).
 * On PostgreSQL reads are one read transaction with one batched lookup of both names
 * (stmt_db_get_many: one round trip); a change is one grouped write transaction
 * (stmt_db_txn_run_grouped) whose read-modify-write is safe across nodes because the database
 * has one writer at a time (stmt_db_pg.c).
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

/* ---- windows: the rules, the same on both backends -------------------------------------
 *
 * A window counts one name's failures from its first one for window_us; a failure after it
 * ended begins a new one. The names of a sign-in (lrs_session.c) are its address's, its key's
 * (or user name's) and the pair's (that address against that key): a failure counts for all
 * three, the wait is the later of the address's and the key's, and a successful sign-in takes
 * the pair's failures back from the other two and forgets the pair. What it takes back is
 * only what that address failed against that key: an attacker who can sign in as someone (an
 * account of their own, or the account's owner signing in meanwhile) cannot clear what was
 * counted against a guesser at another address, nor against other names from theirs. */

struct win {
    int64_t start;
    uint64_t fails; /* 0: no window */
};

static int win_alive(const struct win *w, int64_t window_us, int64_t now)
{
    return w->fails && w->start + window_us >= now;
}

static void win_fail(struct win *w, int64_t window_us, int64_t now)
{
    if (!win_alive(w, window_us, now)) {
        w->start = now;
        w->fails = 0;
    }
    w->fails++;
}

/* seconds until w lets its name try again, 0 now */
static int64_t win_wait(const struct win *w, int max, int64_t window_us, int64_t now)
{
    int64_t end = w->start + window_us;
    if (!w->fails || w->fails < (uint64_t)max || end <= now)
        return 0;
    return (end - now) / 1000000 + 1;
}

/* w[0], w[1] the address's and the key's windows, w[2] the pair's: bit i set when w[i]
 * changed. A window begun after the pair's first failure holds only some of the pair's
 * failures, which ones is not known: it is left as it is (the limit only stays tighter). */
static int win_forgive(struct win w[3], int64_t window_us, int64_t now)
{
    int changed = 0;
    if (!win_alive(&w[2], window_us, now))
        return 0;
    for (int i = 0; i < 2; i++) {
        if (!win_alive(&w[i], window_us, now) || w[i].start > w[2].start)
            continue;
        w[i].fails = w[i].fails > w[2].fails ? w[i].fails - w[2].fails : 0;
        changed |= 1 << i;
    }
    return changed;
}

/* ---- windows in memory (LMDB: one process sees every request) --------------------------
 *
 * A table of MEM_SETS sets of MEM_WAYS windows, placed by an HMAC of the name under a random
 * key of the process: nobody outside can choose a name (an address of their /64, a key name)
 * that lands on another's window. A full set gives up its window with the fewest failures
 * (then the oldest): pushing a name out takes MEM_WAYS live windows with more failures in its
 * set, which one cannot aim at without the key. */
#define MEM_SETS 1024
#define MEM_WAYS 4

static struct {
    uint64_t tag; /* 0: empty */
    struct win w;
} mem[MEM_SETS][MEM_WAYS];
static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t mem_once = PTHREAD_ONCE_INIT;
static unsigned char mem_key[32];

static void mem_init(void)
{
    if (sc_random_bytes(mem_key, sizeof mem_key) != 0)
        lrs_log(LRS_LOG_WARN, "sign-in failure counts: no randomness, the table's key is fixed");
}

/* The window of name (NULL when absent and !create). mem_lock held. */
static struct win *mem_find(const char *name, int create, int64_t window_us, int64_t now)
{
    unsigned char mac[32];
    uint64_t tag;
    size_t set, pick = 0;
    sc_hmac_sha256(mem_key, sizeof mem_key, name, strlen(name), mac);
    tag = sc_be64_get(mac) | 1; /* never 0 */
    set = (size_t)(sc_be64_get(mac + 8) % MEM_SETS);
    for (size_t i = 0; i < MEM_WAYS; i++)
        if (mem[set][i].tag == tag)
            return &mem[set][i].w;
    if (!create)
        return NULL;
    for (size_t i = 1; i < MEM_WAYS; i++) {
        const struct win *b = &mem[set][pick].w, *c = &mem[set][i].w;
        int alive_b = mem[set][pick].tag && win_alive(b, window_us, now);
        int alive_c = mem[set][i].tag && win_alive(c, window_us, now);
        if (alive_b &&
            (!alive_c || c->fails < b->fails || (c->fails == b->fails && c->start < b->start)))
            pick = i;
    }
    mem[set][pick].tag = tag;
    memset(&mem[set][pick].w, 0, sizeof mem[set][pick].w);
    return &mem[set][pick].w;
}

/* The windows of names[0..n) into w (absent: none), their places into m when m is not NULL
 * (NULL: absent). mem_lock held. */
static void mem_load(const char *const *names, int n, struct win *w, struct win **m,
                     int64_t window_us, int64_t now)
{
    for (int i = 0; i < n; i++) {
        struct win *f = mem_find(names[i], 0, window_us, now);
        if (f)
            w[i] = *f;
        else
            memset(&w[i], 0, sizeof w[i]);
        if (m)
            m[i] = f;
    }
}

/* ---- windows as rows (PostgreSQL) ---------------------------------------------------- */

static void win_of_row(const unsigned char *v, struct win *w)
{
    w->start = (int64_t)sc_be64_get(v);
    w->fails = sc_be64_get(v + 8);
}

/* The windows of names[0..n) in t (absent: no window; another length: not ours, absent). */
static int rows_get(struct stmt_db_txn *t, const char *const *names, int n, struct win *w)
{
    for (int i = 0; i < n; i++) {
        unsigned char k[KEY_LEN];
        const void *v;
        size_t vl;
        int rc;
        memset(&w[i], 0, sizeof w[i]);
        key_of('w', names[i], k);
        rc = stmt_db_get(t, LRS_FAILS_TABLE, k, KEY_LEN, &v, &vl);
        if (rc == STMT_DB_NOTFOUND)
            continue;
        if (rc)
            return rc;
        if (vl == VAL_LEN)
            win_of_row(v, &w[i]);
    }
    return STMT_DB_OK;
}

static int row_put(struct stmt_db_txn *t, const char *name, const struct win *w)
{
    unsigned char k[KEY_LEN], v[VAL_LEN];
    key_of('w', name, k);
    sc_be64_put(v, (uint64_t)w->start);
    sc_be64_put(v + 8, w->fails);
    return stmt_db_put(t, LRS_FAILS_TABLE, k, KEY_LEN, v, VAL_LEN, 0);
}

struct wnote {
    const char *const *names;
    int64_t window_us, now;
};

static int note_rows(struct stmt_db_txn *t, void *ctx)
{
    const struct wnote *n = ctx;
    struct win w[3];
    int rc = rows_get(t, n->names, 3, w);
    for (int i = 0; i < 3 && !rc; i++) {
        win_fail(&w[i], n->window_us, n->now);
        rc = row_put(t, n->names[i], &w[i]);
    }
    return rc;
}

static int forgive_rows(struct stmt_db_txn *t, void *ctx)
{
    const struct wnote *n = ctx;
    unsigned char k[KEY_LEN];
    struct win w[3];
    int rc = rows_get(t, n->names, 3, w), changed = rc ? 0 : win_forgive(w, n->window_us, n->now);
    for (int i = 0; i < 2 && !rc; i++)
        if (changed & 1 << i)
            rc = row_put(t, n->names[i], &w[i]);
    if (rc)
        return rc;
    key_of('w', n->names[2], k);
    rc = stmt_db_del(t, LRS_FAILS_TABLE, k, KEY_LEN);
    return rc == STMT_DB_NOTFOUND ? STMT_DB_OK : rc;
}

/* ---- windows: the interface ------------------------------------------------------------ */

int lrs__fails_window_wait(struct stmt_db *db, const char *const names[3], int max,
                           int64_t window_us, int64_t now_us, int64_t *wait_s)
{
    struct win w[2];
    *wait_s = 0;
    if (lrs__fails_shared(db)) {
        unsigned char v[2][VAL_LEN];
        int have[2];
        int rc = read_rows(db, 'w', names, v, have);
        if (rc)
            return rc;
        for (int i = 0; i < 2; i++) {
            memset(&w[i], 0, sizeof w[i]);
            if (have[i])
                win_of_row(v[i], &w[i]);
        }
    } else {
        pthread_once(&mem_once, mem_init);
        pthread_mutex_lock(&mem_lock);
        mem_load(names, 2, w, NULL, window_us, now_us);
        pthread_mutex_unlock(&mem_lock);
    }
    for (int i = 0; i < 2; i++) {
        int64_t s = win_wait(&w[i], max, window_us, now_us);
        if (s > *wait_s)
            *wait_s = s;
    }
    return STMT_DB_OK;
}

int lrs__fails_window_note(struct stmt_db *db, const char *const names[3], int64_t window_us,
                           int64_t now_us)
{
    struct wnote n = {names, window_us, now_us};
    int rc;
    if (!lrs__fails_shared(db)) {
        pthread_once(&mem_once, mem_init);
        pthread_mutex_lock(&mem_lock);
        for (int i = 0; i < 3; i++)
            win_fail(mem_find(names[i], 1, window_us, now_us), window_us, now_us);
        pthread_mutex_unlock(&mem_lock);
        return STMT_DB_OK;
    }
    rc = stmt_db_txn_run_grouped(db, note_rows, &n);
    if (!rc)
        purge(db, 'w', window_us, now_us);
    return rc;
}

int lrs__fails_window_forgive(struct stmt_db *db, const char *const names[3], int64_t window_us,
                              int64_t now_us)
{
    struct wnote n = {names, window_us, now_us};
    const char *pair[2] = {names[2], NULL};
    unsigned char v[2][VAL_LEN];
    int have[2], rc;
    if (!lrs__fails_shared(db)) {
        struct win *m[3], w[3];
        int changed;
        pthread_once(&mem_once, mem_init);
        pthread_mutex_lock(&mem_lock);
        mem_load(names, 3, w, m, window_us, now_us);
        changed = m[2] ? win_forgive(w, window_us, now_us) : 0;
        for (int i = 0; i < 2; i++)
            if (changed & 1 << i) /* only a window that is there changes */
                *m[i] = w[i];
        if (m[2])
            memset(m[2], 0, sizeof *m[2]);
        pthread_mutex_unlock(&mem_lock);
        return STMT_DB_OK;
    }
    /* first without the write lock: a sign-in with no failure of its own before it (the usual
     * one) writes nothing */
    rc = read_rows(db, 'w', pair, v, have);
    if (rc || !have[0])
        return rc;
    return stmt_db_txn_run_grouped(db, forgive_rows, &n);
}

/* ---- buckets ------------------------------------------------------------------------ */

struct bnote {
    const char *const *names;
    int64_t now;
    double burst, refill;
};

/* as bucket_tokens of lrs_auth.c: each name's bucket refilled since its last change, then one
 * token less */
static int take_rows(struct stmt_db_txn *t, void *ctx)
{
    const struct bnote *n = ctx;
    int rc = STMT_DB_OK;
    for (int i = 0; i < 2 && !rc; i++) {
        unsigned char k[KEY_LEN], nv[VAL_LEN];
        double tokens = n->burst;
        const void *v;
        size_t vl;
        if (!n->names[i])
            continue;
        key_of('b', n->names[i], k);
        rc = stmt_db_get(t, LRS_FAILS_TABLE, k, KEY_LEN, &v, &vl);
        if (rc && rc != STMT_DB_NOTFOUND)
            break;
        if (!rc && vl == VAL_LEN) {
            int64_t at = (int64_t)sc_be64_get((const unsigned char *)v + 8);
            tokens = dbl_get(v);
            if (n->now > at)
                tokens += (double)(n->now - at) / 1e6 * n->refill;
            if (tokens > n->burst)
                tokens = n->burst;
        }
        dbl_put(nv, tokens - 1.0);
        sc_be64_put(nv + 8, (uint64_t)n->now);
        rc = stmt_db_put(t, LRS_FAILS_TABLE, k, KEY_LEN, nv, VAL_LEN, 0);
    }
    return rc;
}

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
    struct bnote n = {names, now_us, burst, refill_per_s};
    int rc = stmt_db_txn_run_grouped(db, take_rows, &n);
    if (!rc)
        purge(db, 'b', 0, now_us);
    return rc;
}
