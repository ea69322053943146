/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The statement store's front half: open/close, the caller side of inserts (prepare the batch
 * in the caller's thread so the single writer only copies bytes and probes keys), single gets
 * (Comm 2.1.3 statementId / voidedStatementId) and Consistent-Through (G9).
 *
 * Preparing in the caller's thread matters on a 2-core machine: printing JSON and hashing the
 * index terms of a batch of 100 costs more than writing it, and callers run in parallel while
 * the writer is serial.
 */
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/sc_json.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *stmt_store_strerror(int code)
{
    switch (code) {
    case STMT_STORE_OK:
        return "ok";
    case STMT_STORE_ERR_CONFLICT:
        return "a statement with this id and different content is stored (xAPI Comm 2.1.1)";
    case STMT_STORE_ERR_VOID_VOIDING:
        return "the statement voids a voiding statement, which cannot be voided (xAPI Data 2.3.2)";
    case STMT_STORE_ERR_DUP_ID:
        return "two statements in the batch have the same id (xAPI Comm 2.1.2)";
    case STMT_STORE_ERR_FULL:
        return "statement storage is full";
    case STMT_STORE_ERR_IO:
        return "statement storage I/O error";
    case STMT_STORE_ERR_NOMEM:
        return "out of memory";
    case STMT_STORE_ERR_NOTFOUND:
        return "no such statement";
    case STMT_STORE_ERR_CURSOR:
        return "the more cursor is malformed, altered, expired or belongs to another query";
    case STMT_STORE_ERR_ARG:
        return "invalid argument";
    case STMT_STORE_ERR_CLOSED:
        return "statement store is closing";
    case STMT_STORE_ERR_FN:
        return "the batch was aborted by the work done in its transaction";
    case STMT_STORE_ERR_DAMAGED:
        return "the statement id table or query indexes are damaged (statements are not); "
               "`scolar check` lists the findings, `scolar reindex` rebuilds them";
    default:
        return "unknown statement store error";
    }
}

int stmt__db_to_store(int rc)
{
    switch (rc) {
    case STMT_DB_OK:
        return STMT_STORE_OK;
    case STMT_DB_NOTFOUND:
        return STMT_STORE_ERR_NOTFOUND;
    case STMT_DB_ERR_FULL:
        return STMT_STORE_ERR_FULL;
    case STMT_DB_ERR_NOMEM:
        return STMT_STORE_ERR_NOMEM;
    default:
        return STMT_STORE_ERR_IO;
    }
}

void stmt__store_names(struct stmt_store *st)
{
    st->tbl.stmt = stmt__db_table_ref(st->db, "stmt");
    st->tbl.id = stmt__db_table_ref(st->db, "stmt_id");
    st->tbl.voided = stmt__db_table_ref(st->db, "stmt_voided");
    st->tbl.ref = stmt__db_table_ref(st->db, "stmt_ref");
    st->tbl.idx = stmt__db_table_ref(st->db, "stmt_idx");
    st->tbl.meta = stmt__db_table_ref(st->db, "stmt_meta");
    st->tbl.rpt = stmt__db_table_ref(st->db, "stmt_rpt");
}

static int open_tables(struct stmt_store *st)
{
    struct stmt_db_txn *t = NULL;
    struct stmt_db_cursor *cur = NULL;
    struct stmt_db_kv kv;
    const void *v;
    size_t vl;
    int rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc)
        return stmt__db_to_store(rc);
    stmt__store_names(st);
    rc = stmt_db_cursor_open(t, st->tbl.stmt, &cur);
    if (rc)
        goto out;
    rc = stmt_db_cursor_last(cur, &kv);
    if (rc == STMT_DB_OK && kv.klen == 8)
        st->last_us = (int64_t)stmt__be64_get(kv.key);
    rc = rc == STMT_DB_NOTFOUND ? STMT_DB_OK : rc;
    stmt_db_cursor_close(cur);
    if (!rc) {
        if (stmt_db_get(t, st->tbl.meta, "indexed_through", 15, &v, &vl) == STMT_DB_OK && vl == 8)
            st->indexed_us = (int64_t)stmt__be64_get(v);
        if (st->indexed_us > st->last_us)
            st->indexed_us = st->last_us;
        st->unindexed = st->indexed_us < st->last_us;
    }
out:
    stmt_db_txn_abort(t);
    return stmt__db_to_store(rc);
}

int stmt__store_resync(struct stmt_store *st, struct stmt_db_txn *t)
{
    struct stmt_db_cursor *cur = NULL;
    struct stmt_db_kv kv;
    /* the rows of stmt_meta the writer's state comes from, in one read (a round trip on
     * PostgreSQL; the epochs are needed only when another node wrote, which with several
     * nodes writing is nearly every time) */
    struct stmt_db_kv meta[3] = {{.key = "indexed_through", .klen = 15},
                                 {.key = "epochs", .klen = 6},
                                 {.key = "epoch_fill", .klen = 10}};
    int64_t last = 0, ix = 0;
    int rc = stmt_db_cursor_open(t, st->tbl.stmt, &cur);
    if (rc)
        return rc;
    rc = stmt_db_cursor_last(cur, &kv);
    if (rc == STMT_DB_OK && kv.klen == 8)
        last = (int64_t)stmt__be64_get(kv.key);
    stmt_db_cursor_close(cur);
    if (rc && rc != STMT_DB_NOTFOUND)
        return rc;
    if ((rc = stmt_db_get_many(t, st->tbl.meta, meta, 3)))
        return rc;
    if (meta[0].val && meta[0].vlen == 8)
        ix = (int64_t)stmt__be64_get(meta[0].val);
    else if (meta[0].val)
        return STMT_DB_ERR_CORRUPT;
    if (ix > last)
        ix = last;
    /* Stored values only grow: the same last one means no other node wrote since ours (the
     * epochs in memory are current); else they are read again. */
    if (last != st->last_us || ix != st->indexed_us) {
        if ((rc = stmt__epochs_reload(st, &meta[1], &meta[2])))
            return rc;
        pthread_mutex_lock(&st->lock);
        st->last_us = last;
        st->indexed_us = ix;
        pthread_mutex_unlock(&st->lock);
    }
    return STMT_DB_OK;
}

/* The snapshot of this thread's last query on a shared store, for the
 * X-Experience-API-Consistent-Through of its answer (stmt_store_consistent_through). */
static _Thread_local struct {
    const struct stmt_store *st;
    int64_t seq;
} query_snap;

/* The present as a bound: the database's clock, then no node holds the write lock
 * (stmt_db_pg_idle.c):
 * every statement committed after the check is stored after t0, so every one with stored <=
 * t0 is committed already, in any transaction that begins after. 0 when a node writes now. */
static int64_t bound_of(int idle, int64_t t0)
{
    return idle && t0 > 0 ? t0 - 1 : 0;
}

static int64_t present_bound(struct stmt_store *st)
{
    int64_t t0 = 0;
    int idle = 0;
    return stmt__db_write_idle(st->db, &idle, &t0) == STMT_DB_OK ? bound_of(idle, t0) : 0;
}

/* indexed_through as a transaction read it: *seq (0 when absent). */
static int snapshot_of(const void *v, size_t vl, uint64_t *seq)
{
    if (!v) {
        *seq = 0;
        return STMT_DB_OK;
    }
    if (vl != 8)
        return STMT_DB_ERR_CORRUPT;
    *seq = stmt__be64_get(v);
    return STMT_DB_OK;
}

int stmt__store_read_begin(struct stmt_store *st, struct stmt_db_txn **out, uint64_t *seq,
                           struct stmt__epv *ev, struct stmt__voided_view *vv)
{
    /* the first get takes the snapshot, after the check (stmt__db_begin_bound) */
    struct stmt_db_kv kv[2] = {{"indexed_through", NULL, 15, 0}, {"epochs", NULL, 6, 0}};
    struct stmt_db_txn *t = NULL;
    int64_t t0 = 0, bound;
    int idle = 0;
    size_t nv = STMT_VOIDED_VIEW + 1;
    int rc = stmt__db_begin_bound(st->db, st->tbl.meta, kv, 2, vv ? st->tbl.voided : NULL,
                                  vv ? vv->ids : NULL, &nv, &idle, &t0, &t);
    if (rc)
        return rc;
    if (vv) { /* one more than the view holds: the whole set only when fewer came */
        vv->all = nv <= STMT_VOIDED_VIEW;
        vv->n = vv->all ? nv : 0;
    }
    if ((rc = snapshot_of(kv[0].val, kv[0].vlen, seq)) ||
        (rc = stmt__epv_from(kv[1].val, kv[1].vlen, ev))) {
        stmt_db_txn_abort(t);
        return rc;
    }
    bound = bound_of(idle, t0);
    query_snap.st = st;
    /* nobody wrote between the check and the snapshot: complete through the clock */
    query_snap.seq = bound > (int64_t)*seq ? bound : (int64_t)*seq;
    *out = t;
    return STMT_DB_OK;
}

/* The cursor key survives restarts so `more` links stay valid >= 24 h (Data 2.5). */
static int load_cursor_key(struct stmt_store *st)
{
    char *val = NULL;
    size_t vlen = 0;
    unsigned char fresh[32];
    int rc = stmt_db_get1(st->db, "stmt_meta", "cursor_key", 10, &val, &vlen);
    if (rc == STMT_DB_NOTFOUND) {
        if (sc_random_bytes(fresh, sizeof fresh) != 0)
            return STMT_STORE_ERR_IO;
        rc = stmt_db_put1(st->db, "stmt_meta", "cursor_key", 10, fresh, sizeof fresh,
                          STMT_DB_NOOVERWRITE);
        if (rc && rc != STMT_DB_ERR_EXISTS)
            return stmt__db_to_store(rc);
        rc = stmt_db_get1(st->db, "stmt_meta", "cursor_key", 10, &val, &vlen);
    }
    if (rc)
        return stmt__db_to_store(rc);
    if (vlen != sizeof st->cursor_key) {
        sc_free(val);
        return STMT_STORE_ERR_IO;
    }
    memcpy(st->cursor_key, val, vlen);
    sc_free(val);
    return STMT_STORE_OK;
}

int stmt_store_open(struct stmt_db *db, const struct stmt_store_opts *o, struct stmt_store **out)
{
    struct stmt_store *st;
    int rc;

    if (!db || !out)
        return STMT_STORE_ERR_ARG;
    st = sc_calloc(1, sizeof *st);
    if (!st)
        return STMT_STORE_ERR_NOMEM;
    st->db = db;
    st->max_limit = (o && o->max_limit) ? o->max_limit : STMT_STORE_MAX_LIMIT;
    st->index_inline = o ? o->index_inline : 0;
    st->fold_min = (o && o->fold_min) ? o->fold_min : STMT_FOLD_MIN;
    st->fold_max = (o && o->fold_max) ? o->fold_max : STMT_FOLD_MAX;
    if (st->fold_max < st->fold_min)
        st->fold_max = st->fold_min;
    st->epoch_size = (o && o->epoch_size) ? o->epoch_size : STMT_EPOCH_SIZE;
    st->reindex = o ? o->reindex : 0;
    /* PostgreSQL (issue 19 steps 3-5): other nodes write the same database. Each write
     * transaction indexes its own statements (no unfolded tail or recent map in one process's
     * memory), so a statement acknowledged by any node is in every node's next query; one
     * epoch (the epochs bound LMDB's dirty pages; an id lookup is then one key, no filter). */
    st->shared = db->pg != NULL;
    if (st->shared) {
        st->index_inline = 1;
        st->epoch_size = (size_t)1 << 62;
    }
    if (!st->shared && !(o && o->epoch_size) && getenv("SCOLAR_FOLD_EPOCH")) {
        /* Tests of the whole server (kill -9 during ingest) use small epochs so that folds
         * cross many epoch boundaries; like SCOLAR_DB_INITIAL_MAP, not for production. */
        char *end;
        unsigned long long v = strtoull(getenv("SCOLAR_FOLD_EPOCH"), &end, 10);
        if (!*end && v >= 1 && v <= (1ULL << 30))
            st->epoch_size = (size_t)v;
    }
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->work, NULL);
    pthread_cond_init(&st->done, NULL);
    rc = open_tables(st);
    if (rc)
        goto fail;
    rc = load_cursor_key(st);
    if (rc)
        goto fail;
    rc = stmt__outbox_init(st);
    if (rc)
        goto fail;
    rc = stmt__epochs_open(st);
    if (rc)
        goto fail;
    st->committed_us = st->last_us;
    /* Deferred id entries and index terms of a previous run: fold them before serving, so
     * every committed id is in "stmt_id" (the in-memory map starts empty). */
    rc = stmt__fold_all(st);
    if (rc == STMT_STORE_ERR_FULL) /* the disk is full: serve them unfolded (stmt_unfolded.c) */
        rc = stmt__unfolded_load(st);
    if (rc)
        goto fail;
    if (pthread_create(&st->writer, NULL, stmt__writer_main, st) != 0) {
        rc = STMT_STORE_ERR_IO;
        goto fail;
    }
    st->writer_started = 1;
    *out = st;
    return STMT_STORE_OK;
fail:
    stmt_store_close(st);
    return rc;
}

void stmt_store_close(struct stmt_store *st)
{
    if (!st)
        return;
    if (st->writer_started) {
        pthread_mutex_lock(&st->lock);
        st->closing = 1;
        pthread_cond_broadcast(&st->work);
        pthread_mutex_unlock(&st->lock);
        pthread_join(st->writer, NULL);
    }
    stmt__report_free(st);
    stmt__outbox_free(st);
    stmt__grecs_free(&st->grecs);
    stmt__idmap_free(&st->recent);
    stmt__tail_free(&st->utail);
    stmt__idmap_free(&st->pending);
    stmt__epochs_free(&st->ep);
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->work);
    pthread_cond_destroy(&st->done);
    sc_free(st);
}

void stmt_insert_result_free(struct stmt_insert_result *res)
{
    if (!res)
        return;
    sc_free(res->ids);
    res->ids = NULL;
    res->n = 0;
}

struct id_pos {
    unsigned char id[16];
    size_t pos;
};

static int cmp_id_pos(const void *a, const void *b)
{
    const struct id_pos *x = a, *y = b;
    int c = memcmp(x->id, y->id, 16);
    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Sorts (id, position) pairs; reports the later position of the first duplicate found. */
static int find_dup(struct id_pos *v, size_t m, size_t *dup_index)
{
    size_t best = (size_t)-1;
    qsort(v, m, sizeof *v, cmp_id_pos);
    for (size_t i = 1; i < m; i++)
        if (memcmp(v[i].id, v[i - 1].id, 16) == 0 && v[i].pos < best)
            best = v[i].pos;
    if (best == (size_t)-1)
        return STMT_STORE_OK;
    if (dup_index)
        *dup_index = best;
    return STMT_STORE_ERR_DUP_ID;
}

int stmt_store_check_batch_ids(cJSON *const *stmts, size_t n, size_t *dup_index)
{
    struct id_pos *v;
    size_t m = 0;
    int rc;
    if (n < 2)
        return STMT_STORE_OK;
    v = sc_malloc(n * sizeof *v);
    if (!v)
        return STMT_STORE_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(stmts[i], "id");
        if (cJSON_IsString(id) && stmt__uuid_parse(id->valuestring, v[m].id) == 0)
            v[m++].pos = i;
    }
    rc = find_dup(v, m, dup_index);
    sc_free(v);
    return rc;
}

static void prep_free(struct stmt__prep *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        sc_free(p[i].terms);
        sc_free(p[i].json);
        stmt__report_facts_free(p[i].rf);
    }
    sc_free(p);
}

/* Set obj.key = val (consumed, also on failure; NULL: a failed create) with sc_json_set, whose
 * replaced member's key moves to val (cJSON 1.7.15's replacement copies it unchecked). */
static int set_member(cJSON *obj, const char *key, cJSON *val)
{
    return sc_json_set(obj, key, val) ? STMT_STORE_OK : STMT_STORE_ERR_NOMEM;
}

/* Caller-thread half of an insert: LRS-set properties, terms, JSON. */
static int prepare_one(cJSON *s, const cJSON *authority, struct stmt__prep *p)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(s, "id");
    int rc;
    size_t len;

    if (!cJSON_IsObject(s))
        return STMT_STORE_ERR_ARG;
    p->src = s;
    if (id) {
        /* Data 2.4.1: the id is a UUID; validation checked it, a bad one is the caller's bug. */
        if (!cJSON_IsString(id) || stmt__uuid_parse(id->valuestring, p->id) != 0)
            return STMT_STORE_ERR_ARG;
        p->had_id = 1;
        snprintf(p->id_str, sizeof p->id_str, "%s", id->valuestring);
    } else {
        /* Data 2.4.1: the LRS generates an id when the statement has none. */
        if (sc_uuid_v4(p->id_str) != 0)
            return STMT_STORE_ERR_IO;
        stmt__uuid_parse(p->id_str, p->id);
        rc = set_member(s, "id", cJSON_CreateString(p->id_str));
        if (rc)
            return rc;
    }
    /* A3 / Data 2.4.9: authority comes from the credential. */
    if (authority && (rc = set_member(s, "authority", cJSON_Duplicate(authority, 1))))
        return rc;
    /* Data 2.4.10: "1.0.0" when absent. */
    if (!cJSON_GetObjectItemCaseSensitive(s, "version") &&
        (rc = set_member(s, "version", cJSON_CreateString("1.0.0"))))
        return rc;
    /* Data 2.4.8: stored is set by the LRS, overwriting any submitted value. */
    cJSON_DeleteItemFromObjectCaseSensitive(s, "stored");
    p->has_timestamp = cJSON_GetObjectItemCaseSensitive(s, "timestamp") != NULL;
    p->flags = stmt__ref_of(s, p->ref);
    rc = stmt__terms_collect(s, &p->terms, &p->nterms);
    if (rc)
        return rc;
    if (!(p->flags & STMT_REC_VOIDING) && (rc = stmt__report_facts(s, &p->rf)))
        return rc;
    if (p->nterms > 0xffff) /* the record header counts terms in 16 bits */
        return STMT_STORE_ERR_ARG;
    /* cJSON_PrintUnformatted's bytes, without its buffer growth per node (common/sc_json.c) */
    {
        struct sc_buf b = SC_BUF_INIT;
        if (sc_buf_reserve(&b, 1024) || sc_json_print(s, &b)) {
            sc_buf_free(&b);
            return STMT_STORE_ERR_NOMEM;
        }
        p->json = sc_buf_steal(&b, &len);
    }
    if (len < 2 || p->json[len - 1] != '}')
        return STMT_STORE_ERR_ARG;
    p->json_len = len - 1; /* the writer appends "stored" (and "timestamp") and the brace */
    return STMT_STORE_OK;
}

int stmt_store_insert(struct stmt_store *st, cJSON **stmts, size_t n, const char *authority_json,
                      struct stmt_insert_result *res)
{
    return stmt_store_insert_rows(st, stmts, n, authority_json, NULL, 0, res);
}

int stmt_store_insert_rows(struct stmt_store *st, cJSON **stmts, size_t n,
                           const char *authority_json, const struct stmt_row *rows, size_t nrows,
                           struct stmt_insert_result *res)
{
    return stmt_store_insert_fn(st, stmts, n, authority_json, rows, nrows, NULL, NULL, NULL, res);
}

int stmt_store_insert_fn(struct stmt_store *st, cJSON **stmts, size_t n, const char *authority_json,
                         const struct stmt_row *rows, size_t nrows, stmt_store_txn_fn fn, void *ctx,
                         int *fn_rc, struct stmt_insert_result *res)
{
    struct stmt__req req;
    struct stmt__prep *items = NULL;
    struct id_pos *ids = NULL;
    cJSON *authority = NULL;
    char(*res_ids)[STMT_STORE_UUID_LEN] = NULL;
    int rc = STMT_STORE_OK;
    size_t bad = 0;

    memset(&req, 0, sizeof req);
    if (res)
        memset(res, 0, sizeof *res);
    if (fn_rc)
        *fn_rc = 0;
    if (!st || !stmts || n == 0 || n > STMT_STORE_MAX_BATCH) {
        rc = STMT_STORE_ERR_ARG;
        goto out;
    }
    if (authority_json) {
        long f0 = sc_alloc_failures();
        authority = cJSON_Parse(authority_json);
        if (!cJSON_IsObject(authority)) {
            /* out of memory is not the caller's bad argument (400) */
            rc =
                !authority && sc_alloc_failures() != f0 ? STMT_STORE_ERR_NOMEM : STMT_STORE_ERR_ARG;
            goto out;
        }
    }
    items = sc_calloc(n, sizeof *items);
    ids = sc_malloc(n * sizeof *ids);
    /* the answer's ids, made before the write: once it is durable nothing may fail (a stored
     * batch answered with an error) */
    if (res)
        res_ids = sc_malloc(n * sizeof *res_ids);
    if (!items || !ids || (res && !res_ids)) {
        rc = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rc = prepare_one(stmts[i], authority, &items[i]);
        if (rc) {
            bad = i;
            goto out;
        }
        memcpy(ids[i].id, items[i].id, 16);
        ids[i].pos = i;
    }
    rc = find_dup(ids, n, &bad);
    if (rc)
        goto out;

    req.items = items;
    req.n = n;
    req.rows = rows;
    req.nrows = nrows;
    req.fn = fn;
    req.fn_ctx = ctx;
    if (sem_init(&req.acked, 0, 0) != 0) {
        rc = STMT_STORE_ERR_NOMEM;
        goto out;
    }
    pthread_mutex_lock(&st->lock);
    if (st->closing) {
        pthread_mutex_unlock(&st->lock);
        sem_destroy(&req.acked);
        rc = STMT_STORE_ERR_CLOSED;
        goto out;
    }
    if (st->tail)
        st->tail->next = &req;
    else
        st->head = &req;
    st->tail = &req;
    st->queued++;
    if (!st->gathering || st->queued >= st->gather_target)
        pthread_cond_signal(&st->work);
    pthread_mutex_unlock(&st->lock);
    while (sem_wait(&req.acked) != 0)
        ; /* EINTR */
    sem_destroy(&req.acked);
    rc = req.rc;
    bad = req.bad_index;
    if (fn_rc)
        *fn_rc = req.fn_rc;
    if (st->shared && rc == STMT_STORE_OK) {
        /* The answer's Consistent-Through without a read: every statement stored up to the
         * last committed one is committed (stored order is commit order on every node). */
        pthread_mutex_lock(&st->lock);
        query_snap.st = st;
        query_snap.seq = st->committed_us;
        pthread_mutex_unlock(&st->lock);
    }
    if (rc == STMT_STORE_OK && res) {
        res->ids = res_ids;
        res_ids = NULL;
        res->n = n;
        for (size_t i = 0; i < n; i++) {
            stmt__uuid_format(items[i].id, res->ids[i]);
            if (items[i].had_id)
                memcpy(res->ids[i], items[i].id_str, STMT_STORE_UUID_LEN);
            if (!items[i].dup) {
                if (!res->n_stored)
                    res->stored_us = items[i].stored_us;
                res->n_stored++;
            }
        }
    }
out:
    if (res) {
        res->status = rc;
        if (rc == STMT_STORE_ERR_CONFLICT || rc == STMT_STORE_ERR_VOID_VOIDING ||
            rc == STMT_STORE_ERR_DUP_ID || rc == STMT_STORE_ERR_ARG)
            res->bad_index = bad;
    }
    cJSON_Delete(authority);
    sc_free(res_ids);
    sc_free(ids);
    prep_free(items, n);
    return rc;
}

static int key_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

const struct stmt_db_kv *stmt__vv_find(const struct stmt__voided_view *vv, const void *id,
                                       size_t len)
{
    size_t lo = 0, hi = vv->all ? vv->n : 0; /* the ids in key order (bytea's: memcmp) */
    while (len && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(id, len, vv->ids[mid].key, vv->ids[mid].klen);
        if (!c)
            return &vv->ids[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int stmt__is_voided(struct stmt_store *st, struct stmt_db_txn *t, const unsigned char *rec,
                    size_t len)
{
    const void *v;
    size_t vl;
    if (len < STMT_REC_HDR || (rec[1] & STMT_REC_VOIDING))
        return 0; /* Data 2.3.2: a voiding statement cannot be voided */
    return stmt_db_get(t, st->tbl.voided, rec + 4, 16, &v, &vl) == STMT_DB_OK;
}

int stmt_store_get(struct stmt_store *st, const char *id, int voided, char **json_out,
                   int64_t *stored_us)
{
    struct stmt_db_txn *t = NULL;
    unsigned char key[16], seqbuf[8];
    const void *v;
    size_t vl;
    int64_t recent;
    struct stmt__epv ev = {NULL, 0};
    struct stmt__voided_view vv; /* shared stores: the voided set when small */
    uint64_t snap = 0;
    int rc, is_voided;

    if (!st || !json_out)
        return STMT_STORE_ERR_ARG;
    if (stmt__uuid_parse(id, key) != 0)
        return STMT_STORE_ERR_NOTFOUND;
    /* The in-memory map first, then the transaction: an id removed from the map after its
     * fold committed is then in "stmt_id" for a transaction that begins afterwards. */
    pthread_mutex_lock(&st->lock);
    recent = stmt__idmap_get(&st->recent, key);
    pthread_mutex_unlock(&st->lock);
    vv.all = 0;
    vv.n = 0;
    if (st->shared) /* PostgreSQL: the answer's Consistent-Through in the same round trip */
        rc = stmt__store_read_begin(st, &t, &snap, &ev, &vv);
    else
        rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc)
        return stmt__db_to_store(rc);
    if (recent) {
        stmt__be64_put(seqbuf, (uint64_t)recent);
        rc = stmt_db_get(t, st->tbl.stmt, seqbuf, 8, &v, &vl);
    } else {
        uint64_t seq = 0;
        rc = st->shared ? STMT_DB_OK : stmt__epv_read(st, t, &ev);
        if (rc == STMT_DB_OK)
            rc = stmt__id_find_t(st, t, &ev, 0, key, &seq);
        if (rc == STMT_DB_OK) {
            stmt__be64_put(seqbuf, seq);
            rc = stmt_db_get(t, st->tbl.stmt, seqbuf, 8, &v, &vl);
        }
    }
    if (rc) {
        rc = stmt__db_to_store(rc); /* STMT_DB_NOTFOUND: STMT_STORE_ERR_NOTFOUND */
        goto out;
    }
    {
        const unsigned char *rec = v;
        size_t hdr;
        if (vl < STMT_REC_HDR) {
            rc = STMT_STORE_ERR_IO;
            goto out;
        }
        hdr = STMT_REC_HDR + 8 * (size_t)(rec[2] << 8 | rec[3]);
        /* Comm 2.1.4: voided statements only by voidedStatementId, and only those. */
        if (st->shared && vv.all) /* no round trip (stmt__store_read_begin) */
            is_voided = !(rec[1] & STMT_REC_VOIDING) && stmt__vv_find(&vv, rec + 4, 16);
        else
            is_voided = stmt__is_voided(st, t, rec, vl);
        if (is_voided != !!voided || hdr > vl) {
            rc = STMT_STORE_ERR_NOTFOUND;
            goto out;
        }
        char *copy = sc_strndup((const char *)rec + hdr, vl - hdr);
        if (!copy) {
            rc = STMT_STORE_ERR_NOMEM;
            goto out;
        }
        if (stored_us)
            *stored_us = (int64_t)stmt__be64_get(seqbuf);
        *json_out = copy;
        rc = STMT_STORE_OK;
    }
out:
    stmt_db_txn_abort(t);
    return rc;
}

int64_t stmt_store_consistent_through(struct stmt_store *st)
{
    int64_t r;
    if (st->shared) {
        /* Other nodes write too: this thread's last query answers with its own snapshot
         * (every statement through it was in the query's view); else the newest statement
         * committed now, as a new transaction sees it (a later one is stored after it). */
        uint64_t seq = 0;
        int64_t now;
        char *v = NULL;
        size_t vl = 0;
        if (query_snap.st == st) {
            query_snap.st = NULL;
            return query_snap.seq;
        }
        if ((now = present_bound(st)) > 0)
            return now;
        /* one statement of its own (stmt_db_get1): it sees every statement committed */
        if (stmt_db_get1(st->db, st->tbl.meta, "indexed_through", 15, &v, &vl) != STMT_DB_OK ||
            snapshot_of(v, vl, &seq) != STMT_DB_OK)
            seq = 0;
        sc_free(v);
        return (int64_t)seq;
    }
    pthread_mutex_lock(&st->lock);
    /* Queries read the folded indexes and the unfolded tail (stmt_tail.c), so every
     * acknowledged statement is visible: only a group being written is not. */
    if (st->busy) {
        r = st->busy_from_us;
    } else {
        /* Not in a group: the writer reads the clock under this lock when it takes the next
         * group, and stored values are >= that reading (max(now, last + 1)). */
        r = sc_time_now_us() - 1;
        if (r < st->committed_us)
            r = st->committed_us;
    }
    pthread_mutex_unlock(&st->lock);
    return r;
}

int stmt_store_sync(struct stmt_store *st)
{
    int rc = STMT_STORE_OK, asked = 0;
    int64_t target;
    pthread_mutex_lock(&st->lock);
    target = st->committed_us;
    st->sync_waiters++;
    while (st->indexed_us < target) {
        if (st->closing) {
            rc = STMT_STORE_ERR_CLOSED;
            break;
        }
        /* the fold asked for failed (a full disk: STMT_STORE_ERR_FULL): answer that instead
         * of waiting for a commit that may not come; the next sync asks again */
        if (asked && st->fold_failed) {
            rc = st->fold_err ? st->fold_err : STMT_STORE_ERR_IO;
            break;
        }
        asked = 1;
        st->fold_failed = 0;
        pthread_cond_signal(&st->work);
        pthread_cond_wait(&st->done, &st->lock);
    }
    st->sync_waiters--;
    pthread_mutex_unlock(&st->lock);
    return rc;
}

void stmt_store_open_info(const struct stmt_store *st, size_t *folded, int *migrated)
{
    *folded = st->open_folded;
    *migrated = st->open_migrated;
}

size_t stmt_store_open_full(const struct stmt_store *st)
{
    return st->open_full;
}

int stmt_store_count(struct stmt_store *st, size_t *n)
{
    struct stmt_db_txn *t = NULL;
    int rc = stmt_db_txn_begin(st->db, 0, &t);
    if (rc)
        return stmt__db_to_store(rc);
    rc = stmt_db_count(t, st->tbl.stmt, n);
    stmt_db_txn_abort(t);
    return rc ? STMT_STORE_ERR_IO : STMT_STORE_OK;
}
