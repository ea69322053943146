/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Course content as rows of the key/value store (issue 19 step 6): what a PostgreSQL store
 * holds instead of DATA/content/, so that nodes on one database share nothing else. Tables
 * and keys are in scorm_content_int.h.
 *
 * Import: the files the worker extracted into the node's .tmp-* folder are hashed (SHA-256,
 * FIPS 180-4) before the write transaction, and the blobs the store does not have yet are
 * written then too, chunks (256 KiB each) and a blob row without reference, in short
 * transactions of their own (scorm_content_pre.c: the store's write lock is not held for the
 * package's bytes). In the import's one transaction with the course record, each file's blob
 * gets one more reference (a blob not written before gets its chunks there) and each file a
 * content row: a failed import leaves no content row and gives back its blobs, and identical
 * files of other versions and courses are stored once. Delete: the content rows of the version go,
 * each blob loses a reference, and a blob no row names any more goes with its chunks, in the
 * delete's transaction. The store's one writer at a time (stmt_db.h, on PostgreSQL across every
 * node) makes the read-modify-write of a reference count safe.
 *
 * Read: the content row (and, for a file of one chunk, that chunk in the same transaction),
 * then one short read transaction per chunk; chunks are immutable (keyed by the content's
 * hash), so reads of one file in several transactions cannot mix two versions of it.
 */
#include "scorm/scorm_content_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/sc_rand.h"
#include "statements/stmt_db.h"

#define CHUNK SCORM_CONTENT_CHUNK
#define PLACE_PAGE 256 /* files per batched lookup of the import's transaction */

static uint64_t nchunks(uint64_t size)
{
    return (size + CHUNK - 1) / CHUNK;
}

/* "<course>\x1f<version>\x1f<path>", or with "\x01" + SHA-256 of the path when the path would
 * not fit in a key (the full path is in the value). Returns the key's length. */
static size_t content_key(unsigned char k[STMT_DB_MAX_KEY], const char *course, int version,
                          const char *path)
{
    int n = snprintf((char *)k, STMT_DB_MAX_KEY, "%s\x1f%d\x1f", course, version);
    size_t pl = path ? strlen(path) : 0;
    if (n < 0 || n > STMT_DB_MAX_KEY - 33)
        return 0; /* not reached: a course id is at most 64 bytes */
    if (!path)
        return (size_t)n; /* the version's prefix */
    if ((size_t)n + pl <= STMT_DB_MAX_KEY) {
        memcpy(k + n, path, pl);
        return (size_t)n + pl;
    }
    k[n] = 0x01;
    sc_sha256(path, pl, k + n + 1);
    return (size_t)n + 33;
}

void scorm__cdb_chunk_key(unsigned char k[36], const unsigned char hash[32], uint32_t n)
{
    memcpy(k, hash, 32);
    k[32] = (unsigned char)(n >> 24);
    k[33] = (unsigned char)(n >> 16);
    k[34] = (unsigned char)(n >> 8);
    k[35] = (unsigned char)n;
}

static int unhex(const char *s, unsigned char out[32])
{
    if (!s || strlen(s) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        int v = 0;
        for (int j = 0; j < 2; j++) {
            char ch = s[2 * i + j];
            int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        out[i] = (unsigned char)v;
    }
    return 0;
}

/* A content row's value: {"hash","size","type","path"}. */
struct crow {
    unsigned char hash[32];
    uint64_t size;
    char type[128];
    char *path; /* owned */
};

static int crow_parse(const void *v, size_t vl, struct crow *r)
{
    long failures0 = sc_alloc_failures();
    cJSON *j = cJSON_ParseWithLength(v, vl);
    const cJSON *sz = cJSON_GetObjectItem(j, "size");
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"));
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(j, "path"));
    int rc = SCORM_ERR_STORE;
    memset(r, 0, sizeof *r);
    if (!j) /* out of memory, or a row that is not one: never taken for absent */
        return sc_alloc_failures() != failures0 ? SCORM_ERR_NOMEM : SCORM_ERR_STORE;
    if (unhex(cJSON_GetStringValue(cJSON_GetObjectItem(j, "hash")), r->hash) == 0 &&
        cJSON_IsNumber(sz) && sz->valuedouble >= 0 && type && path) {
        r->size = (uint64_t)sz->valuedouble;
        snprintf(r->type, sizeof r->type, "%s", type);
        r->path = sc_strdup(path);
        rc = r->path ? SCORM_OK : SCORM_ERR_NOMEM;
    }
    cJSON_Delete(j);
    return rc;
}

/* A blob row's value: the size and the reference count, 8 bytes big-endian each (no parse,
 * no allocation: a reference count is changed by every import and delete). */
static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

int scorm__cdb_blob_parse(const void *v, size_t vl, uint64_t *size, long long *refs)
{
    if (vl != 16 || get_be64((const unsigned char *)v + 8) > (uint64_t)INT64_MAX)
        return -1;
    *size = get_be64(v);
    *refs = (long long)get_be64((const unsigned char *)v + 8);
    return 0;
}

static int blob_put(struct stmt_db_txn *txn, const unsigned char hash[32], uint64_t size,
                    long long refs)
{
    unsigned char v[16];
    put_be64(v, size);
    put_be64(v + 8, (uint64_t)refs);
    return stmt_db_put(txn, SCORM__T_BLOB, hash, 32, v, sizeof v, 0);
}

/* ---- read --------------------------------------------------------------------------------- */

static int get_chunk(struct stmt_db_txn *txn, struct scorm_content *c, uint32_t n)
{
    unsigned char k[36];
    const void *v;
    size_t vl;
    int rc;
    scorm__cdb_chunk_key(k, c->hash, n);
    rc = stmt_db_get(txn, SCORM__T_CHUNK, k, sizeof k, &v, &vl);
    if (rc)
        return rc == STMT_DB_NOTFOUND ? SCORM_ERR_NOTFOUND : SCORM_ERR_STORE;
    /* every chunk but the last is full; the last holds the rest */
    uint64_t want = (uint64_t)n + 1 < nchunks(c->size) ? CHUNK : c->size - (uint64_t)n * CHUNK;
    if (vl != want)
        return SCORM_ERR_STORE;
    if (!c->chunk && !(c->chunk = sc_malloc(CHUNK)))
        return SCORM_ERR_NOMEM;
    memcpy(c->chunk, v, vl);
    c->chunk_len = vl;
    c->chunk_n = n;
    c->have_chunk = 1;
    return SCORM_OK;
}

int scorm__cdb_open(struct stmt_db *db, const char *course, int version, const char *path,
                    struct scorm_content *c)
{
    unsigned char k[STMT_DB_MAX_KEY];
    size_t kl = content_key(k, course, version, path), vl;
    struct stmt_db_txn *txn = NULL;
    const void *v;
    struct crow row;
    char hex[65];
    int rc;

    memset(&row, 0, sizeof row);
    if (!kl)
        return SCORM_ERR_NOTFOUND;
    if (stmt_db_txn_begin(db, 0, &txn))
        return SCORM_ERR_STORE;
    rc = stmt_db_get(txn, SCORM__T_CONTENT, k, kl, &v, &vl);
    if (rc) {
        rc = rc == STMT_DB_NOTFOUND ? SCORM_ERR_NOTFOUND : SCORM_ERR_STORE;
        goto out;
    }
    if ((rc = crow_parse(v, vl, &row)) != 0)
        goto out;
    if (strcmp(row.path, path) != 0) { /* a hashed key: the row must be of this very path */
        rc = SCORM_ERR_NOTFOUND;
        goto out;
    }
    memcpy(c->hash, row.hash, 32);
    c->size = row.size;
    snprintf(c->typebuf, sizeof c->typebuf, "%s", row.type);
    c->type = c->typebuf[0] ? c->typebuf : NULL;
    sc_hex(row.hash, 32, hex);
    snprintf(c->etag, sizeof c->etag, "\"%s\"", hex);
    /* most files are one chunk: read it in the same transaction; a larger one from this
     * node's cache when it holds it, else its entry is written as the file is read */
    if (c->size > 0 && c->size <= CHUNK)
        rc = get_chunk(txn, c, 0);
    else if (c->size > CHUNK && (c->fd = scorm__ccache_open(c)) < 0)
        scorm__ccache_fill_begin(c);
out:
    stmt_db_txn_abort(txn);
    sc_free(row.path);
    return rc;
}

int scorm__cdb_read_chunk(struct scorm_content *c, uint32_t n)
{
    struct stmt_db_txn *txn = NULL;
    int rc;
    if (stmt_db_txn_begin(c->db, 0, &txn))
        return SCORM_ERR_STORE;
    rc = get_chunk(txn, c, n);
    stmt_db_txn_abort(txn);
    if (rc == SCORM_OK)
        scorm__ccache_fill_step(c);
    return rc;
}

/* ---- import ------------------------------------------------------------------------------- */

struct walk {
    struct scorm__content_stage *s;
    unsigned char *buf;
    EVP_MD_CTX *md;
    struct scorm_diag *diag;
};

static int hash_file(struct walk *w, int fd, const char *rel, uint64_t *size, unsigned char h[32])
{
    uint64_t total = 0;
    if (!EVP_DigestInit_ex(w->md, EVP_sha256(), NULL))
        return SCORM_ERR_NOMEM;
    for (;;) {
        ssize_t r = read(fd, w->buf, CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            scorm__diag_set(w->diag, SCORM_ERR_IO, 0, rel, "cannot read the extracted %s: %s", rel,
                            strerror(errno));
            return SCORM_ERR_IO;
        }
        if (r == 0)
            break;
        if (!EVP_DigestUpdate(w->md, w->buf, (size_t)r))
            return SCORM_ERR_NOMEM;
        total += (uint64_t)r;
    }
    if (!EVP_DigestFinal_ex(w->md, h, NULL))
        return SCORM_ERR_NOMEM;
    *size = total;
    return SCORM_OK;
}

static int add_file(struct walk *w, const char *rel, int fd)
{
    struct scorm__content_stage *s = w->s;
    struct scorm__cfile *f;
    int rc;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct scorm__cfile *nf = sc_realloc(s->files, cap * sizeof *nf);
        if (!nf)
            return SCORM_ERR_NOMEM;
        s->files = nf;
        s->cap = cap;
    }
    f = &s->files[s->n];
    memset(f, 0, sizeof *f);
    if ((rc = hash_file(w, fd, rel, &f->size, f->hash)) != 0)
        return rc;
    if (!(f->path = sc_strdup(rel)))
        return SCORM_ERR_NOMEM;
    f->type = scorm_content_mime(rel);
    s->n++;
    return SCORM_OK;
}

/* Every regular file below dirfd (the extraction wrote only folders and regular files,
 * scorm_zip.c); rel is the folder's path in the package ("" at the root). */
static int walk_dir(struct walk *w, int dirfd, const char *rel)
{
    DIR *d = fdopendir(dirfd);
    struct dirent *de;
    int rc = SCORM_OK;
    if (!d) {
        close(dirfd);
        return SCORM_ERR_IO;
    }
    while (rc == SCORM_OK && (errno = 0, de = readdir(d)) != NULL) {
        char sub[4096];
        struct stat st;
        int fd;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) >=
            sizeof sub) {
            rc = SCORM_ERR_IO;
            break;
        }
        fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) != 0) {
            scorm__diag_set(w->diag, SCORM_ERR_IO, 0, sub, "cannot open the extracted %s: %s", sub,
                            strerror(errno));
            if (fd >= 0)
                close(fd);
            rc = SCORM_ERR_IO;
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = walk_dir(w, fd, sub); /* closes fd */
            continue;
        }
        if (S_ISREG(st.st_mode))
            rc = add_file(w, sub, fd);
        close(fd);
    }
    if (rc == SCORM_OK && errno != 0)
        rc = SCORM_ERR_IO;
    closedir(d);
    return rc;
}

int scorm__cdb_stage_scan(struct scorm__content_stage *s, struct scorm_diag *diag)
{
    struct walk w = {s, sc_malloc(CHUNK), EVP_MD_CTX_new(), diag};
    int rc, fd;
    if (!w.buf || !w.md) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    fd = open(s->tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, s->tmpdir, "cannot open %s: %s", s->tmpdir,
                        strerror(errno));
        rc = SCORM_ERR_IO;
        goto out;
    }
    rc = walk_dir(&w, fd, "");
    /* the new blobs' chunks now, in short transactions of their own (scorm_content_pre.c) */
    if (rc == SCORM_OK)
        rc = scorm__cdb_prewrite(s, diag);
out:
    EVP_MD_CTX_free(w.md);
    sc_free(w.buf);
    return rc;
}

/* Exactly want bytes from fd into buf, or SCORM_ERR_IO with diag naming f. */
static int read_exact(int fd, unsigned char *buf, size_t want, const struct scorm__cfile *f,
                      struct scorm_diag *diag)
{
    size_t got = 0;
    while (got < want) {
        ssize_t r = read(fd, buf + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            scorm__diag_set(diag, SCORM_ERR_IO, 0, f->path, "cannot read the extracted %s: %s",
                            f->path, strerror(errno));
            return SCORM_ERR_IO;
        }
        if (r == 0) { /* changed since it was hashed: never stored under that hash */
            scorm__diag_set(diag, SCORM_ERR_IO, 0, f->path, "the extracted %s changed size",
                            f->path);
            return SCORM_ERR_IO;
        }
        got += (size_t)r;
    }
    return SCORM_OK;
}

int scorm__cdb_extracted_chunks(const char *tmpdir, const struct scorm__cfile *f,
                                unsigned char *buf, scorm__chunk_fn *put, void *ctx,
                                struct scorm_diag *diag)
{
    char p[8192];
    uint64_t done = 0;
    int fd, rc = SCORM_OK;
    if ((size_t)snprintf(p, sizeof p, "%s/%s", tmpdir, f->path) >= sizeof p) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, f->path, "the path of the extracted %s is too long",
                        f->path);
        return SCORM_ERR_IO;
    }
    fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, f->path, "cannot open the extracted %s: %s", f->path,
                        strerror(errno));
        return SCORM_ERR_IO;
    }
    for (uint32_t n = 0; rc == SCORM_OK && done < f->size; n++) {
        size_t want = f->size - done < CHUNK ? (size_t)(f->size - done) : CHUNK;
        rc = read_exact(fd, buf, want, f, diag);
        if (rc == SCORM_OK)
            rc = put(ctx, n, buf, want, done + want == f->size, diag);
        done += want;
    }
    close(fd);
    return rc;
}

struct chunk_put {
    struct stmt_db_txn *txn;
    const struct scorm__cfile *f;
    int *dbrc;
};

static int put_chunk(void *ctx, uint32_t n, const unsigned char *chunk, size_t len, int last,
                     struct scorm_diag *diag)
{
    struct chunk_put *cp = ctx;
    unsigned char k[36];
    (void)last, (void)diag; /* the caller names the store's error */
    scorm__cdb_chunk_key(k, cp->f->hash, n);
    *cp->dbrc = stmt_db_put(cp->txn, SCORM__T_CHUNK, k, sizeof k, chunk, len, 0);
    return *cp->dbrc ? SCORM_ERR_STORE : SCORM_OK;
}

/* The chunks of a new blob, read from the extracted file. */
static int put_chunks(struct stmt_db_txn *txn, const char *tmpdir, const struct scorm__cfile *f,
                      unsigned char *buf, struct scorm_diag *diag, int *dbrc)
{
    struct chunk_put cp = {txn, f, dbrc};
    return scorm__cdb_extracted_chunks(tmpdir, f, buf, put_chunk, &cp, diag);
}

static int put_crow(struct stmt_db_txn *txn, const char *course, int version,
                    const struct scorm__cfile *f)
{
    unsigned char k[STMT_DB_MAX_KEY];
    size_t kl = content_key(k, course, version, f->path);
    char hex[65];
    struct sc_buf b;
    int rc;
    sc_hex(f->hash, 32, hex);
    sc_buf_init(&b, 0);
    sc_buf_printf(&b, "{\"hash\":\"%s\",\"size\":%llu,\"type\":", hex, (unsigned long long)f->size);
    sc_buf_json_str(&b, f->type ? f->type : "", strlen(f->type ? f->type : ""));
    sc_buf_puts(&b, ",\"path\":");
    sc_buf_json_str(&b, f->path, strlen(f->path));
    sc_buf_puts(&b, "}");
    if (sc_buf_error(&b) || !kl) {
        sc_buf_free(&b);
        return STMT_DB_ERR_NOMEM;
    }
    rc = stmt_db_put(txn, SCORM__T_CONTENT, k, kl, b.data, b.len, 0);
    sc_buf_free(&b);
    return rc;
}

/* What the import's transaction does with one file's blob (scorm__cdb_place). */
struct place_file {
    int known;      /* the blob row is there: one more reference, no chunk written */
    int same;       /* the page's earlier file of the same content, or -1 */
    uint64_t size;  /* the blob's */
    long long refs; /* its references once this file's content row is in */
};

/* The files of page [p0, p0 + n): their blob rows in one batched lookup (on PostgreSQL one
 * round trip), read into pf before anything is written (the values are lent until then); a
 * file whose content an earlier file of the page has counts on that one's references. */
static int place_lookup(struct scorm__content_stage *s, struct stmt_db_txn *txn, size_t p0,
                        size_t n, struct place_file *pf, struct scorm_diag *diag, int *dbrc)
{
    struct stmt_db_kv items[PLACE_PAGE];
    for (size_t j = 0; j < n; j++) {
        memset(&items[j], 0, sizeof items[j]);
        items[j].key = s->files[p0 + j].hash;
        items[j].klen = 32;
    }
    *dbrc = stmt_db_get_many(txn, SCORM__T_BLOB, items, n);
    if (*dbrc)
        return SCORM_ERR_STORE;
    for (size_t j = 0; j < n; j++) {
        const struct scorm__cfile *f = &s->files[p0 + j];
        pf[j].same = -1;
        for (size_t k = j; k-- > 0;)
            if (!memcmp(s->files[p0 + k].hash, f->hash, 32)) {
                pf[j].same = (int)k;
                break;
            }
        if (pf[j].same >= 0) {
            pf[j].known = 1;
            pf[j].size = pf[pf[j].same].size;
            pf[j].refs = pf[pf[j].same].refs + 1;
        } else if (items[j].val) {
            pf[j].known = 1;
            if (scorm__cdb_blob_parse(items[j].val, items[j].vlen, &pf[j].size, &pf[j].refs) ||
                pf[j].size != f->size) {
                scorm__diag_set(diag, SCORM_ERR_STORE, 0, f->path,
                                "the stored blob of %s is unreadable or of another size", f->path);
                return SCORM_ERR_STORE;
            }
            pf[j].refs++;
        } else { /* new here: not written before (empty, another import's, or collected
                  * meanwhile): its chunks in this transaction, as before issue 19's split */
            pf[j].known = 0;
            pf[j].size = f->size;
            pf[j].refs = 1;
        }
    }
    return SCORM_OK;
}

int scorm__cdb_place(struct scorm__content_stage *s, struct stmt_db_txn *txn, const char *course,
                     int version, struct scorm_diag *diag)
{
    struct place_file pf[PLACE_PAGE];
    unsigned char *buf = NULL;
    const char *at = "";
    int rc = SCORM_OK, dbrc = 0;
    s->full = 0;
    /* by pages: a lookup, then the deletes, then the puts, which the PostgreSQL backend sends
     * as one batch (stmt_db_pg_batch.c) unless a read or delete comes between: about one round
     * trip per file written before the transaction (its pending row's delete), none per known
     * one, instead of four per file one by one */
    for (size_t p0 = 0; rc == SCORM_OK && p0 < s->n; p0 += PLACE_PAGE) {
        size_t n = s->n - p0 < PLACE_PAGE ? s->n - p0 : PLACE_PAGE;
        at = s->files[p0].path;
        rc = place_lookup(s, txn, p0, n, pf, diag, &dbrc);
        /* written before this transaction (scorm_content_pre.c): referenced from now on */
        for (size_t j = 0; rc == SCORM_OK && j < n; j++)
            if (pf[j].known && pf[j].same < 0 && scorm__cdb_pre_mine(s, p0 + j) &&
                (dbrc = scorm__cdb_pre_claim(txn, s->files[p0 + j].hash)) != 0) {
                at = s->files[p0 + j].path;
                rc = SCORM_ERR_STORE;
            }
        for (size_t j = 0; rc == SCORM_OK && j < n; j++) {
            const struct scorm__cfile *f = &s->files[p0 + j];
            at = f->path;
            if (!pf[j].known) {
                if (!buf && !(buf = sc_malloc(CHUNK))) {
                    rc = SCORM_ERR_NOMEM;
                    break;
                }
                rc = put_chunks(txn, s->tmpdir, f, buf, diag, &dbrc);
                if (rc)
                    break;
            }
            dbrc = blob_put(txn, f->hash, pf[j].size, pf[j].refs);
            if (!dbrc)
                dbrc = put_crow(txn, course, version, f);
            if (dbrc)
                rc = SCORM_ERR_STORE;
        }
    }
    if (rc == SCORM_ERR_STORE && dbrc) {
        s->full = dbrc == STMT_DB_ERR_FULL;
        scorm__diag_set(diag, SCORM_ERR_STORE, 0, at, "storing %s: %s", at, stmt_db_strerror(dbrc));
    }
    sc_free(buf);
    return rc;
}

/* ---- delete ------------------------------------------------------------------------------- */

struct drop_row {
    unsigned char key[STMT_DB_MAX_KEY];
    size_t klen;
    unsigned char hash[32];
};

struct drop_scan {
    const unsigned char *prefix;
    size_t plen;
    struct drop_row *rows;
    size_t n, cap;
    int rc;
};

static int drop_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct drop_scan *d = ctx;
    struct crow row;
    if (klen < d->plen || memcmp(key, d->prefix, d->plen) != 0 || klen > STMT_DB_MAX_KEY)
        return 1; /* past the course's (or version's) rows */
    if ((d->rc = crow_parse(val, vlen, &row)) != 0)
        return -1;
    sc_free(row.path);
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct drop_row *nr = sc_realloc(d->rows, cap * sizeof *nr);
        if (!nr) {
            d->rc = SCORM_ERR_NOMEM;
            return -1;
        }
        d->rows = nr;
        d->cap = cap;
    }
    memcpy(d->rows[d->n].key, key, klen);
    d->rows[d->n].klen = klen;
    memcpy(d->rows[d->n].hash, row.hash, 32);
    d->n++;
    return 0;
}

/* The hash of a blob the delete freed, for scorm__ccache_forget after the commit. Best effort:
 * without memory the entry stays until the cache's limit takes it. */
static void freed_add(struct scorm__freed *f, const unsigned char hash[32])
{
    if (!f || f->nomem)
        return;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        void *nh = sc_realloc(f->h, cap * sizeof *f->h);
        if (!nh) {
            f->nomem = 1;
            return;
        }
        f->h = nh;
        f->cap = cap;
    }
    memcpy(f->h[f->n++], hash, 32);
}

/* One reference less; the blob and its chunks go with the last one (its hash into freed). */
static int blob_unref(struct stmt_db_txn *txn, const unsigned char hash[32],
                      struct scorm__freed *freed)
{
    const void *v;
    size_t vl;
    uint64_t size = 0;
    long long refs = 0;
    int rc = stmt_db_get(txn, SCORM__T_BLOB, hash, 32, &v, &vl);
    if (rc == STMT_DB_NOTFOUND)
        return 0; /* nothing to release (`scolar check` counts such a row) */
    if (rc)
        return rc;
    if (scorm__cdb_blob_parse(v, vl, &size, &refs) != 0)
        return STMT_DB_ERR_CORRUPT;
    if (refs > 1)
        return blob_put(txn, hash, size, refs - 1);
    /* an import writing this blob's chunks before its transaction (a pending row): they stay
     * for it (scorm_content_pre.c); its own transaction or the collection decides */
    rc = stmt_db_get(txn, SCORM__T_PENDING, hash, 32, &v, &vl);
    if (rc == 0)
        return stmt_db_del(txn, SCORM__T_BLOB, hash, 32);
    if (rc != STMT_DB_NOTFOUND)
        return rc;
    for (uint64_t n = 0; n < nchunks(size); n++) {
        unsigned char k[36];
        scorm__cdb_chunk_key(k, hash, (uint32_t)n);
        rc = stmt_db_del(txn, SCORM__T_CHUNK, k, sizeof k);
        if (rc && rc != STMT_DB_NOTFOUND)
            return rc;
    }
    rc = stmt_db_del(txn, SCORM__T_BLOB, hash, 32);
    if (rc == 0 && size > SCORM_CONTENT_CHUNK) /* only those can have a cache entry */
        freed_add(freed, hash);
    return rc;
}

int scorm__cdb_drop(struct stmt_db_txn *txn, const char *course, int version,
                    struct scorm__freed *freed)
{
    unsigned char prefix[STMT_DB_MAX_KEY];
    struct drop_scan d;
    int rc;
    memset(&d, 0, sizeof d);
    if (version > 0) {
        d.plen = content_key(prefix, course, version, NULL);
    } else { /* every version: "<course>\x1f" */
        d.plen = (size_t)snprintf((char *)prefix, sizeof prefix, "%s\x1f", course);
    }
    d.prefix = prefix;
    rc = stmt_db_scan(txn, SCORM__T_CONTENT, prefix, d.plen, drop_visit, &d);
    if (rc < 0 && d.rc == SCORM_OK)
        d.rc = SCORM_ERR_STORE;
    for (size_t i = 0; d.rc == SCORM_OK && i < d.n; i++) {
        rc = stmt_db_del(txn, SCORM__T_CONTENT, d.rows[i].key, d.rows[i].klen);
        if (rc == 0)
            rc = blob_unref(txn, d.rows[i].hash, freed);
        if (rc)
            d.rc = SCORM_ERR_STORE;
    }
    sc_free(d.rows);
    return d.rc;
}

/* ---- counts and the consistency walk ------------------------------------------------------ */

struct hashes {
    unsigned char (*h)[32];
    uint64_t *size; /* blobs: the size */
    long long *refs, *seen;
    size_t n, cap;
    int nomem;
};

static int hashes_add(struct hashes *hs, const unsigned char h[32], uint64_t size, long long refs)
{
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? hs->cap * 2 : 256;
        void *a = sc_realloc(hs->h, cap * 32), *b, *c, *d;
        if (a)
            hs->h = a;
        b = a ? sc_realloc(hs->size, cap * sizeof *hs->size) : NULL;
        if (b)
            hs->size = b;
        c = b ? sc_realloc(hs->refs, cap * sizeof *hs->refs) : NULL;
        if (c)
            hs->refs = c;
        d = c ? sc_realloc(hs->seen, cap * sizeof *hs->seen) : NULL;
        if (!d) {
            hs->nomem = 1;
            return -1;
        }
        hs->seen = d;
        hs->cap = cap;
    }
    memcpy(hs->h[hs->n], h, 32);
    hs->size[hs->n] = size;
    hs->refs[hs->n] = refs;
    hs->seen[hs->n] = 0;
    hs->n++;
    return 0;
}

/* blobs come in key order (the hash), so a binary search finds one */
static long hashes_find(const struct hashes *hs, const unsigned char h[32])
{
    size_t lo = 0, hi = hs->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = memcmp(hs->h[mid], h, 32);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

struct stats_walk {
    struct hashes blobs;
    struct hashes pending; /* blobs an import is writing (scorm_content_pre.c) */
    long long *chunks_seen;
    struct scorm_content_stats *out;
};

static int stats_blob(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct stats_walk *w = ctx;
    uint64_t size = 0;
    long long refs = 0;
    w->out->blobs++;
    if (klen != 32 || scorm__cdb_blob_parse(val, vlen, &size, &refs) != 0) {
        w->out->bad++;
        return 0;
    }
    w->out->blob_bytes += size;
    return hashes_add(&w->blobs, key, size, refs);
}

static int stats_pending(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct stats_walk *w = ctx;
    (void)val, (void)vlen;
    return klen == 32 ? hashes_add(&w->pending, key, 0, 0) : 0;
}

static int stats_content(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct stats_walk *w = ctx;
    struct crow row;
    long i;
    (void)key, (void)klen;
    w->out->files++;
    if (crow_parse(val, vlen, &row) != 0) {
        w->out->bad++;
        return 0;
    }
    sc_free(row.path);
    i = hashes_find(&w->blobs, row.hash);
    if (i < 0 || w->blobs.size[i] != row.size)
        w->out->bad++; /* no blob, or a blob of another size */
    else
        w->blobs.seen[i]++;
    return 0;
}

static int stats_chunk(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct stats_walk *w = ctx;
    const unsigned char *k = key;
    long i;
    (void)val;
    w->out->chunks++;
    i = klen == 36 ? hashes_find(&w->blobs, k) : -1;
    if (i < 0) {
        if (klen != 36 || hashes_find(&w->pending, k) < 0)
            w->out->bad++; /* a chunk of no blob, and no import is writing it */
        return 0;
    }
    uint32_t n = (uint32_t)k[32] << 24 | (uint32_t)k[33] << 16 | (uint32_t)k[34] << 8 | k[35];
    uint64_t size = w->blobs.size[i];
    uint64_t want = (uint64_t)n + 1 < nchunks(size) ? CHUNK : size - (uint64_t)n * CHUNK;
    if ((uint64_t)n >= nchunks(size) || vlen != want)
        w->out->bad++;
    else
        w->chunks_seen[i]++;
    return 0;
}

int scorm__cdb_stats(struct stmt_db *db, struct scorm_content_stats *out)
{
    struct stats_walk w;
    struct stmt_db_txn *txn = NULL;
    int rc;
    memset(&w, 0, sizeof w);
    w.out = out;
    if (stmt_db_txn_begin(db, 0, &txn))
        return SCORM_ERR_STORE;
    rc = stmt_db_scan(txn, SCORM__T_BLOB, NULL, 0, stats_blob, &w);
    if (rc == 0)
        rc = stmt_db_scan(txn, SCORM__T_PENDING, NULL, 0, stats_pending, &w);
    if (rc == 0 && w.blobs.n && !(w.chunks_seen = sc_calloc(w.blobs.n, sizeof *w.chunks_seen)))
        rc = -1;
    if (rc == 0)
        rc = stmt_db_scan(txn, SCORM__T_CONTENT, NULL, 0, stats_content, &w);
    if (rc == 0)
        rc = stmt_db_scan(txn, SCORM__T_CHUNK, NULL, 0, stats_chunk, &w);
    for (size_t i = 0; rc == 0 && i < w.blobs.n; i++) {
        if (w.blobs.seen[i] != w.blobs.refs[i]) /* a reference count that is not the rows' */
            out->bad++;
        if ((uint64_t)w.chunks_seen[i] != nchunks(w.blobs.size[i]))
            out->bad++;
    }
    stmt_db_txn_abort(txn);
    rc = rc ? (w.blobs.nomem || w.pending.nomem ? SCORM_ERR_NOMEM : SCORM_ERR_STORE) : SCORM_OK;
    sc_free(w.pending.h);
    sc_free(w.pending.size);
    sc_free(w.pending.refs);
    sc_free(w.pending.seen);
    sc_free(w.blobs.h);
    sc_free(w.blobs.size);
    sc_free(w.blobs.refs);
    sc_free(w.blobs.seen);
    sc_free(w.chunks_seen);
    return rc;
}
