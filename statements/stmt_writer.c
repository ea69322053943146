/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The single writer thread of the statement store (security.md 8 "One writer"; DESIGN.md
 * "Storage"). It takes every queued batch into one write transaction of stmt_db.h (group
 * commit), commits with full sync, and only then acknowledges the callers, so a 2xx always
 * means durable. A batch is all or nothing (Comm 3.2, S6): its conflicts (same id with other
 * content, S2; voiding a voiding statement, Data 2.3.2) are checked before any of its records
 * are written, so a failing batch leaves no trace while the rest of the group commits.
 * A full map (LMDB) at any point aborts the whole transaction; the map grows and the group is
 * redone with fresh stored times (nothing was acknowledged yet).
 */
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "statements/stmt_validate.h"

#define GROW_ATTEMPTS 40

static const char EMPTY[1] = ""; /* the value of reference entries */

/* A stmt_db error as the store's (stmt_db marked a full LMDB map for growth already). */
static int db_to_store(int rc)
{
    if (rc == STMT_DB_ERR_FULL)
        return STMT_STORE_ERR_FULL;
    return rc == STMT_DB_ERR_NOMEM ? STMT_STORE_ERR_NOMEM : STMT_STORE_ERR_IO;
}

/* S3 / Data 2.3.1: same content modulo the immutability exceptions (stmt_equal). */
int stmt__same_content(const cJSON *incoming, const char *stored_json, size_t len)
{
    cJSON *a = cJSON_ParseWithLength(stored_json, len);
    int eq = 0;
    if (a)
        eq = stmt_equal(a, incoming) == 1;
    cJSON_Delete(a);
    return eq;
}

static size_t rec_nterms(const unsigned char *rec)
{
    return (size_t)(rec[2] << 8 | rec[3]);
}

static int write_one(struct stmt_store *st, struct stmt_db_txn *t, struct stmt__prep *p,
                     int64_t seq)
{
    char iso[SC_TIME_ISO_LEN], suffix[128];
    unsigned char seq8[8], *r;
    void *buf;
    size_t slen, size;
    int n, rc;

    /* Data 2.4.8 stored; A2: a missing timestamp is set to stored. Microsecond precision
     * keeps stored distinct and usable as since/until without loss. */
    sc_time_format_iso(seq, 6, iso);
    if (p->has_timestamp)
        n = snprintf(suffix, sizeof suffix, ",\"stored\":\"%s\"}", iso);
    else
        n = snprintf(suffix, sizeof suffix, ",\"stored\":\"%s\",\"timestamp\":\"%s\"}", iso, iso);
    if (n < 0 || (size_t)n >= sizeof suffix)
        return STMT_STORE_ERR_IO;
    slen = (size_t)n;
    stmt__be64_put(seq8, (uint64_t)seq);
    size = STMT_REC_HDR + 8 * p->nterms + p->json_len + slen;
    /* stored is the key and grows: an append (LMDB: MDB_RESERVE | MDB_APPEND, no copy), a new
     * key (PostgreSQL: a plain INSERT, STMT_DB_NEW) */
    rc = stmt_db_reserve(t, st->tbl.stmt, seq8, sizeof seq8, size, STMT_DB_APPEND | STMT_DB_NEW,
                         &buf);
    if (rc)
        return db_to_store(rc);
    r = buf;
    r[0] = STMT_REC_FORMAT;
    r[1] = (unsigned char)p->flags;
    r[2] = (unsigned char)(p->nterms >> 8);
    r[3] = (unsigned char)(p->nterms & 0xff);
    memcpy(r + 4, p->id, 16);
    memcpy(r + 20, p->ref, 16);
    for (size_t i = 0; i < p->nterms; i++)
        stmt__be64_put(r + STMT_REC_HDR + 8 * i, p->terms[i]);
    memcpy(r + STMT_REC_HDR + 8 * p->nterms, p->json, p->json_len);
    memcpy(r + STMT_REC_HDR + 8 * p->nterms + p->json_len, suffix, slen);
    stmt__grecs_add(&st->grecs, seq8, r, size); /* the inline fold's source (shared stores) */
    if (stmt__idmap_put(&st->pending, p->id, seq)) {
        /* The id entry is a random key, written by the fold with the index terms (inline:
         * the fold of this group's records in its own transaction, write_group); until then
         * the id is found in st->pending and then st->recent. Records are append-only. */
        return STMT_STORE_ERR_NOMEM;
    }
    if (p->flags & STMT_REC_REF) {
        unsigned char rk[24];
        memcpy(rk, p->ref, 16);
        memcpy(rk + 16, seq8, 8);
        rc = stmt_db_put(t, st->tbl.ref, rk, sizeof rk, EMPTY, 0, STMT_DB_NEW); /* new seq */
        if (rc)
            return db_to_store(rc);
        if (p->flags & STMT_REC_VOIDING) {
            /* The voided set is written with the record, not deferred: statementId and
             * voidedStatementId answers are exact as soon as the insert returns. */
            rc = stmt_db_put(t, st->tbl.voided, p->ref, 16, seq8, 8, STMT_DB_NOOVERWRITE);
            if (rc && rc != STMT_DB_ERR_EXISTS)
                return db_to_store(rc);
        }
    }
    return STMT_STORE_OK;
}

static int do_checks(struct stmt_store *st, struct stmt_db_txn *t, struct stmt__req *req,
                     const uint64_t *pre);

/* The requests of a group whose statements are checked and written (not taken out by their
 * fn in an earlier try), and the number of their statements. */
static size_t group_items(const struct stmt__req *group)
{
    size_t n = 0;
    for (const struct stmt__req *r = group; r; r = r->next)
        n += r->fn_rc ? 0 : r->n;
    return n;
}

/* A shared store (PostgreSQL): for each request r of the group (without fn_rc), at pre + 2 *
 * (the statements of the requests before it), the stored values of its ids (i < r->n) and of
 * its voiding statements' targets (r->n + i) from "stmt_id", for the whole group one
 * stmt_db_get_many per epoch instead of one per request (each also sent the rows written
 * before it) or a round trip per statement; 0 where absent. Read in the group's transaction
 * before any of its writes: "stmt_id" gets this group's ids only from the fold at its end, and
 * an id written by an earlier request of the group is found in st->pending (rec_of).
 * 0 or a store error. */
static int prefetch_ids(struct stmt_store *st, struct stmt_db_txn *t, const struct stmt__req *group,
                        size_t total, uint64_t *pre)
{
    size_t *at = sc_malloc(2 * total * sizeof *at);
    struct stmt_db_kv *kv = sc_calloc(2 * total, sizeof *kv);
    unsigned char(*keys)[STMT_ID_KEY] = sc_malloc(2 * total * STMT_ID_KEY);
    int rc = STMT_STORE_OK;
    memset(pre, 0, 2 * total * sizeof *pre);
    if (!at || !kv || !keys)
        rc = STMT_STORE_ERR_NOMEM;
    for (uint32_t e = st->ep.n; e-- > 0 && !rc;) { /* newest epoch first */
        size_t k = 0, base = 0;
        for (const struct stmt__req *r = group; r; r = r->next) {
            size_t n = r->n;
            if (r->fn_rc)
                continue;
            for (size_t i = 0; i < 2 * n; i++) {
                const struct stmt__prep *p = &r->items[i % n];
                if (pre[base + i] || (i >= n && !(p->flags & STMT_REC_VOIDING)))
                    continue;
                stmt__be32_put(keys[k], e);
                memcpy(keys[k] + 4, i < n ? p->id : p->ref, 16);
                kv[k].key = keys[k];
                kv[k].klen = STMT_ID_KEY;
                at[k++] = base + i;
            }
            base += 2 * n;
        }
        if (k && (rc = stmt_db_get_many(t, st->tbl.id, kv, k)))
            rc = db_to_store(rc);
        for (size_t j = 0; j < k && !rc; j++)
            if (kv[j].val && kv[j].vlen == 8)
                pre[at[j]] = stmt__be64_get(kv[j].val);
    }
    sc_free(at);
    sc_free(kv);
    sc_free(keys);
    return rc;
}

/* stmt__rec_by_id_t with the id table's answer read ahead (pre: prefetch_ids, NULL: none). */
static int rec_of(struct stmt_store *st, struct stmt_db_txn *t, const unsigned char id[16],
                  const uint64_t *pre, uint64_t *seq, const unsigned char **rec, size_t *len)
{
    unsigned char k[8];
    const void *v;
    size_t vl;
    int rc;
    if (!pre)
        return stmt__rec_by_id_t(st, t, id, seq, rec, len);
    /* written by an earlier request of this group (not in "stmt_id" before its fold) */
    *seq = (uint64_t)stmt__idmap_get(&st->pending, id);
    if (!*seq)
        *seq = *pre;
    if (!*seq)
        return STMT_DB_NOTFOUND;
    stmt__be64_put(k, *seq);
    if ((rc = stmt_db_get(t, st->tbl.stmt, k, sizeof k, &v, &vl)))
        return rc;
    if (vl < STMT_REC_HDR)
        return STMT_DB_ERR_CORRUPT;
    *rec = v;
    *len = vl;
    return STMT_DB_OK;
}

/* Check a batch, then write it. Batch-level failures (conflict, void-voiding) write nothing
 * and are returned with *bad set; other errors fail the whole transaction. pre: the id table's
 * answers for this request, read ahead (prefetch_ids), or NULL. */
static int do_req(struct stmt_store *st, struct stmt_db_txn *t, struct stmt__req *req, int64_t now,
                  int64_t *last, const uint64_t *pre)
{
    int prc = do_checks(st, t, req, pre);
    if (prc)
        return prc;
    for (size_t i = 0; i < req->n; i++) {
        struct stmt__prep *p = &req->items[i];
        int64_t seq;
        int rc;
        if (p->dup)
            continue;
        /* A1: stored strictly monotonic, max(now, last + 1); it is also the key. */
        seq = now > *last ? now : *last + 1;
        rc = write_one(st, t, p, seq);
        if (rc)
            return rc == STMT_STORE_ERR_CONFLICT ? STMT_STORE_ERR_IO : rc;
        *last = seq;
        p->stored_us = seq;
    }
    return STMT_STORE_OK;
}

/* The checks of do_req, before anything of the request is written. */
static int do_checks(struct stmt_store *st, struct stmt_db_txn *t, struct stmt__req *req,
                     const uint64_t *pre)
{
    for (size_t i = 0; i < req->n; i++) {
        struct stmt__prep *p = &req->items[i];
        const unsigned char *rec;
        uint64_t seq;
        size_t len;
        int rc;
        p->dup = 0;
        p->stored_us = 0;
        rc = rec_of(st, t, p->id, pre ? &pre[i] : NULL, &seq, &rec, &len);
        if (rc == STMT_DB_OK) {
            size_t hdr = STMT_REC_HDR + 8 * rec_nterms(rec);
            if (hdr > len)
                return STMT_STORE_ERR_IO;
            /* S1/S2: same id, same content: no-op; different content: 409. */
            if (!stmt__same_content(p->src, (const char *)rec + hdr, len - hdr)) {
                req->bad_index = i;
                return STMT_STORE_ERR_CONFLICT;
            }
            p->dup = 1;
            continue;
        }
        if (rc != STMT_DB_NOTFOUND)
            return db_to_store(rc);
        if (p->flags & STMT_REC_VOIDING) {
            /* Data 2.3.2: "Any Statement that voids another cannot itself be voided." */
            for (size_t j = 0; j < req->n; j++) {
                if (j != i && (req->items[j].flags & STMT_REC_VOIDING) &&
                    memcmp(req->items[j].id, p->ref, 16) == 0) {
                    req->bad_index = i;
                    return STMT_STORE_ERR_VOID_VOIDING;
                }
            }
            rc = rec_of(st, t, p->ref, pre ? &pre[req->n + i] : NULL, &seq, &rec, &len);
            if (rc == STMT_DB_OK && (rec[1] & STMT_REC_VOIDING)) {
                req->bad_index = i;
                return STMT_STORE_ERR_VOID_VOIDING;
            }
            if (rc && rc != STMT_DB_NOTFOUND)
                return db_to_store(rc);
        }
    }
    return STMT_STORE_OK;
}

/* Hand the report facts of the group's new statements to the fold (stored order). */
static void queue_facts(struct stmt_store *st, struct stmt__req *group)
{
    for (struct stmt__req *r = group; r; r = r->next) {
        for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n; i++) {
            struct stmt__prep *p = &r->items[i];
            if (p->dup || !p->rf)
                continue;
            stmt__report_queue(st, p->stored_us, p->rf);
            p->rf = NULL;
        }
    }
}

static int is_batch_error(int rc)
{
    return rc == STMT_STORE_ERR_CONFLICT || rc == STMT_STORE_ERR_VOID_VOIDING;
}

/* Write a group in one transaction. t0: a write transaction begun already (a shared store:
 * stmt__writer_main takes the database's write lock before the group), used by the first
 * attempt; NULL: each attempt begins its own. */
static void write_group(struct stmt_store *st, struct stmt__req *group, int64_t now,
                        struct stmt_db_txn *t0)
{
    int fatal = STMT_STORE_ERR_FULL;
    int fold_now = 0; /* a new statement is the target of a folded StatementRef */
    for (int attempt = 0; attempt < GROW_ATTEMPTS; attempt++) {
        struct stmt_db_txn *t = NULL;
        int64_t last;
        uint32_t ep_n;
        uint64_t ep_fill;
        struct stmt_db_cursor *refcur = NULL; /* "stmt_ref", for has_folded_referrer */
        uint64_t *pre = NULL; /* shared stores: the id table's answers (prefetch_ids) */
        int rc;

        if (attempt)
            now = sc_time_now_us();
        fold_now = 0;
        stmt__idmap_clear(&st->pending);
        if (t0) {
            t = t0;
            t0 = NULL;
            rc = STMT_DB_OK;
        } else {
            rc = stmt_db_txn_begin(st->db, 1, &t);
        }
        if (rc) {
            fatal = rc == STMT_DB_ERR_FULL ? STMT_STORE_ERR_FULL : STMT_STORE_ERR_IO;
            break;
        }
        if (st->shared) {
            /* Stored order total across nodes (issue 19 step 3): the write transaction holds
             * the one write lock of the database, so the last stored value read here is the
             * newest of every node, and max(now, last + 1) with the database's clock read under the
             * lock gives commit order = stored order: a `more` cursor paging by stored never misses
             * a statement that commits later with a smaller value. */
            rc = stmt__store_resync(st, t);
            if (!rc) /* the database's clock: one clock for every node */
                rc = stmt__db_clock(t, &now);
            if (rc) {
                stmt_db_txn_abort(t);
                fatal = db_to_store(rc);
                break;
            }
        }
        last = st->last_us;
        /* the inline fold reads this group's records from memory when nothing before them is
         * left unfolded (shared stores: another node's transactions fold their own) */
        stmt__grecs_reset(&st->grecs, st->shared && st->index_inline && st->indexed_us == last,
                          last);
        ep_n = st->ep.n;
        ep_fill = st->ep.fill;
        fatal = STMT_STORE_OK;
        /* shared stores: the id table's answers for the whole group, read ahead */
        size_t total = st->shared ? group_items(group) : 0, base = 0;
        if (total > 1 && !(pre = sc_malloc(2 * total * sizeof *pre)))
            fatal = STMT_STORE_ERR_NOMEM;
        else if (total > 1)
            fatal = prefetch_ids(st, t, group, total, pre);
        int redo = 0; /* a request's fn failed: abort, retry the group without it */
        for (struct stmt__req *r = group; r && !fatal; r = r->next) {
            if (r->fn_rc) {
                r->rc = STMT_STORE_ERR_FN; /* aborted by its fn in an earlier try */
                continue;
            }
            rc = do_req(st, t, r, now, &last, pre ? pre + base : NULL);
            base += 2 * r->n;
            if (is_batch_error(rc)) {
                r->rc = rc;
                continue;
            }
            if (rc) {
                fatal = rc;
                break;
            }
            r->rc = STMT_STORE_OK;
            /* another module's records that go with this batch (stmt_store_insert_rows) */
            for (size_t k = 0; k < r->nrows && !fatal; k++) {
                const struct stmt_row *w = &r->rows[k];
                int prc = w->val ? stmt_db_put(t, w->table, w->key, w->klen, w->val, w->vlen, 0)
                                 : stmt_db_del(t, w->table, w->key, w->klen);
                if (prc && !(prc == STMT_DB_NOTFOUND && !w->val))
                    fatal = prc == STMT_DB_ERR_FULL ? STMT_STORE_ERR_FULL : STMT_STORE_ERR_IO;
            }
            /* the caller's work in this transaction (stmt_store_insert_fn), on this thread: its
             * failure takes the request's statements and rows out (all or nothing) */
            if (r->fn && !fatal) {
                int frc = r->fn(t, r->fn_ctx);
                if (frc == STMT_DB_ERR_FULL) {
                    fatal = STMT_STORE_ERR_FULL; /* grow the map and retry */
                } else if (frc) {
                    r->fn_rc = frc;
                    r->rc = STMT_STORE_ERR_FN;
                    redo = 1;
                    break;
                }
            }
            for (size_t i = 0; !st->index_inline && !fold_now && i < r->n && !fatal; i++)
                if (!r->items[i].dup)
                    fatal = stmt__has_folded_referrer(st, t, &refcur, r->items[i].id,
                                                      st->indexed_us, &fold_now);
        }
        stmt_db_cursor_close(refcur);
        refcur = NULL;
        sc_free(pre);
        pre = NULL;
        if (redo) {
            stmt_db_txn_abort(t);
            stmt__epochs_txn_end(&st->ep, 0);
            attempt--; /* not a growth: each redo leaves one more request out */
            continue;
        }
        if (!fatal)
            fatal = stmt__outbox_write(st, t, group); /* forwarding rows: same transaction */
        if (!fatal)
            queue_facts(st, group);
        if (fatal) {
            stmt_db_txn_abort(t);
            stmt__epochs_txn_end(&st->ep, 0);
            if (fatal == STMT_STORE_ERR_FULL)
                continue;
            break;
        }
        if (st->index_inline && last != st->last_us) {
            /* Inline indexing: fold this group's records in its own transaction. */
            size_t n;
            int64_t ilast, inext;
            rc = stmt__fold_txn(st, t, (size_t)-1, &ilast, &n, &inext);
            stmt__grecs_reset(&st->grecs, 0, 0);
            if (rc) {
                stmt_db_txn_abort(t);
                stmt__report_discard(st);
                stmt__report_unqueue(st, st->last_us);
                st->ep.n = ep_n;
                st->ep.fill = ep_fill;
                stmt__epochs_txn_end(&st->ep, 0);
                if (rc == STMT_STORE_ERR_FULL)
                    continue;
                fatal = rc;
                break;
            }
        }
        rc = stmt_db_txn_commit(t);
        if (rc) {
            st->ep.n = ep_n;
            st->ep.fill = ep_fill;
            stmt__report_discard(st); /* inline: the cache holds this transaction's tallies */
            stmt__report_unqueue(st, st->last_us);
        }
        stmt__epochs_txn_end(&st->ep, rc == 0);
        if (rc == STMT_DB_ERR_FULL) {
            fatal = STMT_STORE_ERR_FULL;
            continue;
        }
        if (rc) {
            fatal = STMT_STORE_ERR_IO;
            break;
        }
        st->last_us = last;
        if (st->index_inline) {
            /* The ids are in "stmt_id" already. */
            stmt__idmap_clear(&st->pending);
            return;
        }
        /* Publish the new ids and terms before anyone is acknowledged (stmt_store_get reads
         * the ids, queries the tail: read-your-writes). Larger tail arrays are built before
         * the lock is taken (stmt_tail.c). */
        size_t more = 0;
        struct stmt__tail grown, old = {0};
        for (struct stmt__req *r = group; r; r = r->next)
            for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n; i++)
                if (!r->items[i].dup)
                    more += r->items[i].nterms + !!(r->items[i].flags & STMT_REC_REF);
        if (stmt__tail_prepare(&st->utail, more, &grown))
            memset(&grown, 0, sizeof grown); /* tail_add grows under the lock or fails */
        pthread_mutex_lock(&st->lock);
        if (grown.e) {
            old = st->utail;
            st->utail = grown;
        }
        int short_mem = 0;
        for (size_t i = 0; i < st->pending.cap && st->pending.n && !short_mem; i++)
            if (st->pending.vals[i] &&
                stmt__idmap_put(&st->recent, st->pending.keys[i], st->pending.vals[i]))
                short_mem = 1;
        for (struct stmt__req *r = group; r && !short_mem; r = r->next)
            for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n && !short_mem; i++)
                if (!r->items[i].dup &&
                    (stmt__tail_add(&st->utail, r->items[i].stored_us, r->items[i].terms,
                                    r->items[i].nterms) ||
                     ((r->items[i].flags & STMT_REC_REF) &&
                      stmt__tail_add(&st->utail, r->items[i].stored_us,
                                     &(const uint64_t){STMT_TAIL_REF_TERM}, 1))))
                    short_mem = 1;
        if (short_mem || fold_now) {
            /* Out of memory: fold now so ids and terms are in the tables before the ack.
             * A target of a folded referrer: fold now, so the referrer has the target's terms
             * (propagate) when its query runs (G5; rare: the referrer came first). */
            pthread_mutex_unlock(&st->lock);
            while (st->indexed_us < last && stmt__fold(st, st->fold_max) > 0)
                ;
            pthread_mutex_lock(&st->lock);
        }
        pthread_mutex_unlock(&st->lock);
        stmt__tail_free(&old);
        stmt__idmap_clear(&st->pending);
        return;
    }
    for (struct stmt__req *r = group; r; r = r->next)
        r->rc = fatal;
}

/*
 * Group gathering (the commit_delay of PostgreSQL, binlog_group_commit_sync_delay of MySQL, made
 * adaptive). Called with st->lock held and a non-empty queue. Right after a group is acked its
 * clients send again within microseconds; starting the next commit on the first arrival would
 * make it carry one or two requests and leave the rest waiting a whole commit (two device
 * flushes). So when the last group had several requests and fewer than 3/4 of that many are
 * queued, wait for them, but never longer than half the last commit's duration (bounded by
 * STMT_GATHER_MAX_US): on a fast disk the wait vanishes, alone a client never waits.
 */
#define STMT_GATHER_MAX_US 2000
static void gather(struct stmt_store *st)
{
    int64_t wait_us = st->last_commit_us / 2;
    struct timespec ts;
    if (st->closing || st->last_group < 4 || st->queued * 4 >= st->last_group * 3 || wait_us < 20)
        return;
    if (wait_us > STMT_GATHER_MAX_US)
        wait_us = STMT_GATHER_MAX_US;
    st->gather_target = st->last_group * 3 / 4;
    st->gathering = 1;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)wait_us * 1000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (!st->closing && st->queued < st->gather_target)
        if (pthread_cond_timedwait(&st->work, &st->lock, &ts) == ETIMEDOUT)
            break;
    st->gathering = 0;
}

void *stmt__writer_main(void *arg)
{
    struct stmt_store *st = arg;
    pthread_mutex_lock(&st->lock);
    for (;;) {
        struct stmt__req *group;
        int64_t now, first, before;
        int idle = 0;
        size_t stored = 0;
        while (!st->head && !st->closing) {
            if (st->indexed_us < st->committed_us && !st->fold_failed) {
                /* A backlog: fold once the writer has been idle for STMT_FOLD_IDLE_MS (clients
                 * between two batches should not pay for a small fold) or when asked to. */
                if (idle || st->sync_waiters || st->unindexed >= st->fold_min) {
                    size_t n;
                    pthread_mutex_unlock(&st->lock);
                    n = stmt__fold(st, st->fold_max);
                    pthread_mutex_lock(&st->lock);
                    st->fold_failed = n == 0; /* retried after the next commit */
                    if (n == 0) /* stmt_store_sync's waiters learn of it (issue 18: a full
                                   disk left a report waiting for a fold that never came) */
                        pthread_cond_broadcast(&st->done);
                    /* Still idle: a fold that stopped at the end of an epoch goes on. */
                    idle = idle && n > 0;
                    continue;
                }
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += STMT_FOLD_IDLE_MS * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
                idle = pthread_cond_timedwait(&st->work, &st->lock, &ts) == ETIMEDOUT;
                continue;
            }
            pthread_cond_wait(&st->work, &st->lock);
        }
        if (!st->head) {
            pthread_mutex_unlock(&st->lock);
            while (st->indexed_us < st->committed_us && stmt__fold(st, st->fold_max) > 0)
                ;
            pthread_mutex_lock(&st->lock);
            break; /* closing and drained */
        }
        struct stmt_db_txn *t0 = NULL;
        int64_t c0;
        gather(st);
        if (st->shared) {
            /* Several nodes on one database (issue 19): the write transaction waits for the
             * database's one write lock (stmt_db_pg.c) while another node writes and commits.
             * Take the lock first, once there is work, and the group after: the requests that
             * arrived meanwhile (the other node's clients, acknowledged as the lock passed)
             * join this group instead of waiting for the next turn. The gather above waits
             * before the lock, which is never held idle. A failed begin leaves it to
             * write_group, which answers the group with the error. */
            pthread_mutex_unlock(&st->lock);
            if (stmt_db_txn_begin(st->db, 1, &t0))
                t0 = NULL;
            pthread_mutex_lock(&st->lock);
        }
        group = st->head;
        st->head = st->tail = NULL;
        st->last_group = st->queued;
        st->queued = 0;
        /* Read the clock under the lock: Consistent-Through relies on it (stmt_store.c). */
        now = sc_time_now_us();
        first = now > st->last_us ? now : st->last_us + 1;
        st->busy = 1;
        st->busy_from_us = first - 1;
        before = st->last_us;
        pthread_mutex_unlock(&st->lock);

        c0 = sc_time_now_us(); /* a commit's duration (on PostgreSQL without the lock wait) */
        write_group(st, group, now, t0);
        int64_t commit_us = sc_time_now_us() - c0;

        pthread_mutex_lock(&st->lock);
        st->last_commit_us = commit_us;
        if (st->last_us != before && st->indexed_us >= st->committed_us) {
            /* Everything was folded: this group's first statement is the oldest unfolded. */
            for (struct stmt__req *r = group; r && st->unfolded_us <= st->indexed_us; r = r->next)
                for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n; i++)
                    if (!r->items[i].dup) {
                        st->unfolded_us = r->items[i].stored_us;
                        break;
                    }
        }
        st->committed_us = st->last_us;
        st->fold_failed = 0;
        if (st->index_inline)
            st->indexed_us = st->last_us;
        st->busy = 0;
        for (struct stmt__req *r = group; r; r = r->next)
            for (size_t i = 0; r->rc == STMT_STORE_OK && i < r->n; i++)
                stored += !r->items[i].dup;
        if (!st->index_inline && st->last_us != before)
            st->unindexed += stored;
        if (st->sync_waiters)
            pthread_cond_broadcast(&st->done);
        pthread_mutex_unlock(&st->lock);
        /* Wake each caller alone, outside the lock (its answer reads Consistent-Through,
         * which takes it). A request lives on its caller's stack: read next before posting. */
        for (struct stmt__req *r = group, *next; r; r = next) {
            next = r->next;
            sem_post(&r->acked);
        }
        pthread_mutex_lock(&st->lock);
        if (!st->index_inline && (st->unindexed >= st->fold_min || st->sync_waiters)) {
            pthread_mutex_unlock(&st->lock);
            stmt__fold(st, st->fold_max);
            pthread_mutex_lock(&st->lock);
        }
    }
    pthread_mutex_unlock(&st->lock);
    return NULL;
}
