/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An import's new blobs written before its transaction (issue 19). Every write transaction
 * holds the store's one write lock (on PostgreSQL across every node, stmt_db_pg.c): an import
 * that wrote a large package's chunks inside its course transaction held off every other writer
 * of every node for that long. So, after the scan (scorm__cdb_stage_scan) and before the
 * transaction:
 *
 *   1. for each blob the store does not have (in batches, one short transaction each): a
 *      pending row SHA-256 -> token(16) created_us(8) (table blob_pending) with this import's
 *      random token; a blob whose pending row is another import's, younger than
 *      SCORM__PENDING_GRACE_US, is left to that import;
 *   2. the chunks, in transactions of PRE_TXN_BYTES; the transaction with a blob's last chunk
 *      also writes its blob row with no reference, if the pending row is still this import's
 *      (else another import or the collection took over: the blob is left to the import's
 *      transaction, which writes what is missing as before);
 *   3. the import's transaction (scorm__cdb_place) finds the blob rows and only adds
 *      references, and deletes the pending rows of the blobs this import wrote.
 *
 * Invariant: a blob row exists only with all its chunks. Chunks are deleted with their blob
 * row, and a delete that takes a blob's last reference keeps the chunks while a pending row
 * exists (scorm__cdb_drop), so chunks written under a pending row are never lost under it; a
 * pending row that is not this import's any more means nothing (the import falls back).
 * A failed import gives its blobs back at once (scorm__cdb_pre_end); an import that crashed
 * between its transactions leaves pending rows, blobs without reference and chunks, which
 * scorm_import_cleanup collects once they are older than the grace (scorm__cdb_collect; a
 * blob a later import referenced meanwhile stays, only its pending row goes).
 */
#include "scorm/scorm_content_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/sc_be.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"

#define CHUNK SCORM_CONTENT_CHUNK
#define PRE_BATCH 64                      /* files per pending-row transaction */
#define PRE_TXN_BYTES (4 * (size_t)CHUNK) /* chunk bytes per transaction: 1 MiB */
#define PENDING_LEN 24

struct scorm__cpre {
    unsigned char token[16];
    unsigned char *mine; /* per file: 1 when this import wrote (or writes) its blob */
};

int scorm__cdb_pre_mine(const struct scorm__content_stage *s, size_t i)
{
    return s->pre && s->pre->mine[i];
}

int scorm__cdb_pre_claim(struct stmt_db_txn *txn, const unsigned char hash[32])
{
    int rc = stmt_db_del(txn, SCORM__T_PENDING, hash, 32);
    return rc == STMT_DB_NOTFOUND ? STMT_DB_OK : rc; /* collected meanwhile: the blob is ours */
}

/* Is the pending row of hash this import's (token)? 1, 0, or a stmt_db error < 0. */
static int pending_ours(struct stmt_db_txn *t, const unsigned char hash[32],
                        const unsigned char token[16])
{
    const void *v;
    size_t vl;
    int rc = stmt_db_get(t, SCORM__T_PENDING, hash, 32, &v, &vl);
    if (rc == STMT_DB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    return vl == PENDING_LEN && memcmp(v, token, 16) == 0;
}

/* ---- 1. pending rows ------------------------------------------------------------------- */

static int cmp_file(const void *a, const void *b, void *files)
{
    const struct scorm__cfile *f = files;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = memcmp(f[x].hash, f[y].hash, 32);
    return c ? c : (x > y) - (x < y);
}

/* Pending rows for the blobs of files idx[0..n) that the store lacks (first of equal hashes
 * only: the caller passes one file per hash). */
static int mark_batch(struct scorm__content_stage *s, const size_t *idx, size_t n, int64_t now)
{
    struct stmt_db_kv blobs[PRE_BATCH], pend[PRE_BATCH];
    struct stmt_db_txn *t = NULL;
    unsigned char val[PENDING_LEN];
    int rc;
    for (size_t j = 0; j < n; j++) {
        memset(&blobs[j], 0, sizeof blobs[j]);
        blobs[j].key = s->files[idx[j]].hash;
        blobs[j].klen = 32;
        pend[j] = blobs[j];
    }
    memcpy(val, s->pre->token, 16);
    sc_be64_put(val + 16, (uint64_t)now);
    /* first without the write lock: a package whose blobs are all known takes no write */
    rc = stmt_db_txn_begin(s->db, 0, &t);
    if (rc)
        return rc;
    rc = stmt_db_get_many(t, SCORM__T_BLOB, blobs, n);
    {
        size_t m = 0;
        for (size_t j = 0; j < n && !rc; j++)
            if (!blobs[j].val)
                m++;
        stmt_db_txn_abort(t);
        t = NULL;
        if (rc || m == 0)
            return rc;
    }
    rc = stmt_db_txn_begin(s->db, 1, &t);
    if (rc)
        return rc;
    /* two batched lookups under the write lock: the blobs, and other imports' pending rows */
    rc = stmt_db_get_many(t, SCORM__T_BLOB, blobs, n);
    if (!rc)
        rc = stmt_db_get_many(t, SCORM__T_PENDING, pend, n);
    for (size_t j = 0; j < n && !rc; j++) {
        if (blobs[j].val)
            continue; /* known: the import's transaction adds a reference */
        if (pend[j].val && pend[j].vlen == PENDING_LEN &&
            (int64_t)sc_be64_get((const unsigned char *)pend[j].val + 16) +
                    SCORM__PENDING_GRACE_US >
                now)
            continue; /* another import writes it now */
        s->pre->mine[idx[j]] = 1;
    }
    /* the puts after the lookups: values of get_many are valid until the next write */
    for (size_t j = 0; j < n && !rc; j++)
        if (s->pre->mine[idx[j]])
            rc = stmt_db_put(t, SCORM__T_PENDING, s->files[idx[j]].hash, 32, val, sizeof val, 0);
    if (rc) {
        stmt_db_txn_abort(t);
        for (size_t j = 0; j < n; j++)
            s->pre->mine[idx[j]] = 0;
        return rc;
    }
    rc = stmt_db_txn_commit(t);
    if (rc)
        for (size_t j = 0; j < n; j++)
            s->pre->mine[idx[j]] = 0;
    return rc;
}

/* ---- 2. chunks -------------------------------------------------------------------------- */

struct writer {
    struct scorm__content_stage *s;
    struct stmt_db_txn *t;
    size_t bytes; /* chunk bytes in t */
    size_t *done; /* files whose last chunk is in t */
    size_t ndone;
};

/* Commit t: the blob rows of the files finished in it first (if still ours). */
static int flush(struct writer *w)
{
    int rc = STMT_DB_OK;
    if (!w->t)
        return STMT_DB_OK;
    for (size_t j = 0; j < w->ndone && !rc; j++) {
        const struct scorm__cfile *f = &w->s->files[w->done[j]];
        const void *v;
        size_t vl;
        int ours = pending_ours(w->t, f->hash, w->s->pre->token);
        if (ours < 0) {
            rc = ours;
            break;
        }
        if (!ours) {
            w->s->pre->mine[w->done[j]] = 0; /* taken over: the import's transaction decides */
            continue;
        }
        rc = stmt_db_get(w->t, SCORM__T_BLOB, f->hash, 32, &v, &vl);
        if (rc == STMT_DB_NOTFOUND) {
            unsigned char b[16];
            sc_be64_put(b, f->size);
            sc_be64_put(b + 8, 0); /* no reference yet */
            rc = stmt_db_put(w->t, SCORM__T_BLOB, f->hash, 32, b, sizeof b, 0);
        }
    }
    if (rc) {
        stmt_db_txn_abort(w->t);
    } else {
        rc = stmt_db_txn_commit(w->t);
    }
    w->t = NULL;
    w->bytes = 0;
    w->ndone = 0;
    return rc;
}

struct file_put {
    struct writer *w;
    size_t i;
};

/* One chunk of file i in the writer's transaction (begun when none is open), committed once
 * PRE_TXN_BYTES are in it. */
static int put_chunk(void *ctx, uint32_t n, const unsigned char *chunk, size_t len, int last,
                     struct scorm_diag *diag)
{
    struct file_put *fp = ctx;
    struct writer *w = fp->w;
    const struct scorm__cfile *f = &w->s->files[fp->i];
    unsigned char k[36];
    int dbrc = 0;
    if (!w->t && (dbrc = stmt_db_txn_begin(w->s->db, 1, &w->t)) != 0)
        goto fail;
    scorm__cdb_chunk_key(k, f->hash, n);
    dbrc = stmt_db_put(w->t, SCORM__T_CHUNK, k, sizeof k, chunk, len, 0);
    if (dbrc)
        goto fail;
    w->bytes += len;
    if (last)
        w->done[w->ndone++] = fp->i;
    if (w->bytes >= PRE_TXN_BYTES && (dbrc = flush(w)) != 0)
        goto fail;
    return SCORM_OK;
fail:
    scorm__diag_set(diag, SCORM_ERR_STORE, 0, f->path, "storing %s: %s", f->path,
                    stmt_db_strerror(dbrc));
    return SCORM_ERR_STORE;
}

static int write_file(struct writer *w, size_t i, unsigned char *buf, struct scorm_diag *diag)
{
    struct file_put fp = {w, i};
    return scorm__cdb_extracted_chunks(w->s->tmpdir, &w->s->files[i], buf, put_chunk, &fp, diag);
}

int scorm__cdb_prewrite(struct scorm__content_stage *s, struct scorm_diag *diag)
{
    struct writer w = {s, NULL, 0, NULL, 0};
    size_t *idx = NULL, nidx = 0;
    unsigned char *buf = NULL;
    int64_t now = sc_time_now_us();
    int rc = SCORM_OK;
    if (!s->n)
        return SCORM_OK;
    s->pre = sc_calloc(1, sizeof *s->pre);
    if (!s->pre || !(s->pre->mine = sc_calloc(s->n, 1)) || !(idx = sc_malloc(s->n * sizeof *idx)) ||
        !(w.done = sc_malloc(s->n * sizeof *w.done))) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    if (sc_random_bytes(s->pre->token, sizeof s->pre->token) != 0) {
        rc = SCORM_ERR_IO;
        goto out;
    }
    /* one file per new hash (identical files of the package share a blob), not empty ones */
    for (size_t i = 0; i < s->n; i++)
        if (s->files[i].size)
            idx[nidx++] = i;
    qsort_r(idx, nidx, sizeof *idx, cmp_file, s->files);
    {
        size_t u = 0;
        for (size_t i = 0; i < nidx; i++)
            if (!u || memcmp(s->files[idx[i]].hash, s->files[idx[u - 1]].hash, 32) != 0)
                idx[u++] = idx[i];
        nidx = u;
    }
    for (size_t i = 0; i < nidx && rc == SCORM_OK; i += PRE_BATCH) {
        size_t n = nidx - i < PRE_BATCH ? nidx - i : PRE_BATCH;
        int dbrc = mark_batch(s, idx + i, n, now);
        if (dbrc) {
            scorm__diag_set(diag, SCORM_ERR_STORE, 0, "", "storing the package's files: %s",
                            stmt_db_strerror(dbrc));
            rc = SCORM_ERR_STORE;
        }
    }
    if (rc == SCORM_OK && !(buf = sc_malloc(CHUNK)))
        rc = SCORM_ERR_NOMEM;
    for (size_t i = 0; i < s->n && rc == SCORM_OK; i++)
        if (s->pre->mine[i])
            rc = write_file(&w, i, buf, diag);
    if (rc == SCORM_OK) {
        int dbrc = flush(&w);
        if (dbrc) {
            scorm__diag_set(diag, SCORM_ERR_STORE, 0, "", "storing the package's files: %s",
                            stmt_db_strerror(dbrc));
            rc = SCORM_ERR_STORE;
        }
    }
out:
    if (w.t)
        stmt_db_txn_abort(w.t); /* its chunks are not stored; the pending rows are released */
    sc_free(buf);
    sc_free(idx);
    sc_free(w.done);
    return rc;
}

/* ---- giving back and collecting --------------------------------------------------------- */

struct keys {
    unsigned char (*k)[36];
    size_t n, cap;
    const unsigned char *hash;
    int nomem;
};

static int chunk_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct keys *ks = ctx;
    (void)val, (void)vlen;
    if (klen != 36 || memcmp(key, ks->hash, 32) != 0)
        return 1;
    if (ks->n == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 16;
        void *nk = sc_realloc(ks->k, cap * 36);
        if (!nk) {
            ks->nomem = 1;
            return -1;
        }
        ks->k = nk;
        ks->cap = cap;
    }
    memcpy(ks->k[ks->n++], key, 36);
    return 0;
}

/* In t: the pending row of hash goes; the blob too, with every chunk stored under its hash,
 * unless something references it. token: only when the pending row is that import's (NULL:
 * whoever's, the collection). *gone: 1 when the blob went. */
static int drop_pending(struct stmt_db_txn *t, const unsigned char hash[32],
                        const unsigned char *token, int64_t before_us, int *gone)
{
    struct keys ks = {NULL, 0, 0, hash, 0};
    const void *v;
    size_t vl;
    uint64_t size = 0;
    long long refs = 0;
    int rc = stmt_db_get(t, SCORM__T_PENDING, hash, 32, &v, &vl);
    *gone = 0;
    if (rc)
        return rc == STMT_DB_NOTFOUND ? STMT_DB_OK : rc;
    if (token && (vl != PENDING_LEN || memcmp(v, token, 16) != 0))
        return STMT_DB_OK; /* another import's now */
    if (!token && vl == PENDING_LEN &&
        (int64_t)sc_be64_get((const unsigned char *)v + 16) >= before_us)
        return STMT_DB_OK; /* renewed by an import since the list was made */
    rc = stmt_db_del(t, SCORM__T_PENDING, hash, 32);
    if (!rc)
        rc = stmt_db_get(t, SCORM__T_BLOB, hash, 32, &v, &vl);
    if (rc == STMT_DB_OK) {
        if (scorm__cdb_blob_parse(v, vl, &size, &refs) != 0)
            return STMT_DB_ERR_CORRUPT;
        if (refs > 0)
            return STMT_DB_OK; /* referenced by a course: it stays */
        rc = stmt_db_del(t, SCORM__T_BLOB, hash, 32);
    } else if (rc == STMT_DB_NOTFOUND) {
        rc = STMT_DB_OK; /* chunks without blob row: the import stopped before its last */
    }
    if (rc)
        return rc;
    {
        unsigned char from[36];
        scorm__cdb_chunk_key(from, hash, 0);
        int s = stmt_db_scan(t, SCORM__T_CHUNK, from, sizeof from, chunk_visit, &ks);
        rc = ks.nomem ? STMT_DB_ERR_NOMEM : s < 0 ? s : STMT_DB_OK;
    }
    for (size_t i = 0; i < ks.n && !rc; i++) {
        rc = stmt_db_del(t, SCORM__T_CHUNK, ks.k[i], 36);
        if (rc == STMT_DB_NOTFOUND)
            rc = STMT_DB_OK;
    }
    sc_free(ks.k);
    if (!rc)
        *gone = 1;
    return rc;
}

static int drop_one(struct stmt_db *db, const unsigned char hash[32], const unsigned char *token,
                    int64_t before_us, int *gone)
{
    struct stmt_db_txn *t = NULL;
    int rc = stmt_db_txn_begin(db, 1, &t);
    if (rc)
        return rc;
    rc = drop_pending(t, hash, token, before_us, gone);
    if (rc) {
        stmt_db_txn_abort(t);
        return rc;
    }
    return stmt_db_txn_commit(t);
}

void scorm__cdb_pre_end(struct scorm__content_stage *s, int committed)
{
    if (!s || !s->pre)
        return;
    for (size_t i = 0; !committed && i < s->n; i++) {
        int gone, rc;
        if (!s->pre->mine[i])
            continue;
        rc = drop_one(s->db, s->files[i].hash, s->pre->token, 0, &gone);
        if (rc) /* left for scorm_import_cleanup's collection (SCORM__PENDING_GRACE_US) */
            break;
    }
    sc_free(s->pre->mine);
    sc_free(s->pre);
    s->pre = NULL;
}

struct old {
    unsigned char (*h)[32];
    size_t n, cap;
    int64_t before;
    int nomem;
};

static int old_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct old *o = ctx;
    if (klen != 32 ||
        (vlen == PENDING_LEN && (int64_t)sc_be64_get((const unsigned char *)val + 16) >= o->before))
        return 0;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        void *nh = sc_realloc(o->h, cap * 32);
        if (!nh) {
            o->nomem = 1;
            return -1;
        }
        o->h = nh;
        o->cap = cap;
    }
    memcpy(o->h[o->n++], key, 32);
    return 0;
}

int scorm__cdb_collect(struct stmt_db *db, int64_t before_us, size_t *n)
{
    struct old o = {NULL, 0, 0, before_us, 0};
    struct stmt_db_txn *t = NULL;
    int rc;
    *n = 0;
    if (stmt_db_txn_begin(db, 0, &t))
        return SCORM_ERR_STORE;
    rc = stmt_db_scan(t, SCORM__T_PENDING, NULL, 0, old_visit, &o);
    stmt_db_txn_abort(t);
    if (rc || o.nomem) {
        sc_free(o.h);
        return o.nomem ? SCORM_ERR_NOMEM : SCORM_ERR_STORE;
    }
    for (size_t i = 0; i < o.n && !rc; i++) {
        int gone = 0;
        rc = drop_one(db, o.h[i], NULL, before_us, &gone);
        *n += (size_t)gone;
    }
    sc_free(o.h);
    return rc ? SCORM_ERR_STORE : SCORM_OK;
}
