/* SPDX-License-Identifier: Apache-2.0 */
/* Private to scorm_content.c (the interface, files on disk), scorm_content_db.c (rows of the
 * key/value store), scorm_content_copy.c and cmi5_content.c: the handle, the import's staged
 * files, the database side. */
#ifndef SCORM_CONTENT_INT_H
#define SCORM_CONTENT_INT_H

#include "scorm/scorm_content.h"
#include "scorm/scorm_int.h"

/* Tables (scorm_db.c):
 *   content     "<course>\x1f<version>\x1f<path>" (a path that would make the key longer than
 *               the store allows: "<course>\x1f<version>\x1f\x01" + SHA-256 of the path) ->
 *               {"hash": hex, "size": n, "type": "..." ("" unknown), "path": "..."}
 *   blob        SHA-256 (32 bytes) -> size and reference count (the content rows naming it),
 *               8 bytes big-endian each
 *   blob_chunk  SHA-256 + chunk number (4 bytes big-endian) -> at most SCORM_CONTENT_CHUNK
 *               bytes; a blob of size s has ceil(s / chunk) rows, none when empty. */
#define SCORM__T_CONTENT "content"
#define SCORM__T_BLOB "blob"
#define SCORM__T_CHUNK "blob_chunk"
/*   blob_pending  SHA-256 -> token(16) created_us(8, big-endian): an import writes this blob's
 *               chunks before its transaction (scorm_content_pre.c); while the row exists a
 *               delete that releases the blob's last reference leaves its chunks. */
#define SCORM__T_PENDING "blob_pending"

struct scorm_content {
    struct stmt_db *db;
    int fd; /* files on disk: the open file; -1 in the database */
    uint64_t size;
    const char *type; /* static (scorm_content_mime) or typebuf; NULL unknown */
    char typebuf[128];
    char etag[80];
    unsigned char hash[32];
    unsigned char *chunk; /* the database: the last chunk read (SCORM_CONTENT_CHUNK bytes) */
    uint32_t chunk_n;
    size_t chunk_len;
    int have_chunk;
    struct scorm__cfill *fill; /* the node-local cache entry being written, or NULL */
};

/* One extracted file of an import to place in the database. */
struct scorm__cfile {
    char *path; /* relative to the package root */
    uint64_t size;
    unsigned char hash[32];
    const char *type;
};

struct scorm__content_stage {
    struct stmt_db *db;
    int in_db;
    char tmpdir[4096];
    /* files on disk: where the folder is now (tmpdir, or a version folder of a try) */
    char placed[4096], cdir[4096];
    int is_placed;
    int full; /* the last place failed with STMT_DB_ERR_FULL (LMDB: grow the map, try again) */
    /* the database: the files, hashed before the transaction */
    struct scorm__cfile *files;
    size_t n, cap;
    struct scorm__cpre *pre; /* blobs written before the transaction (scorm_content_pre.c) */
};

/* scorm_content.c: one file of a package, for SCORM versions and cmi5 courses alike */
/** Open `path` (already checked with scorm_content_path_ok) below the folder `base` into c
 *  (fd, size, type, ETag): it must resolve inside base (realpath of both, then O_NOFOLLOW) and
 *  be a regular file, else SCORM_ERR_NOTFOUND (c->fd stays -1); SCORM_ERR_IO, _NOMEM. */
int scorm__content_open_file(const char *base, const char *path, struct scorm_content *c);
/** A handle on `path`: below the folder `base` when base is not NULL, else the database rows
 *  of content key `key` (a SCORM course id, or "cmi5:<course>" of cmi5_content.c) and version.
 *  The key is not checked here: callers do. */
int scorm__content_open_as(struct stmt_db *db, const char *key, int version, const char *base,
                           const char *path, struct scorm_content **out);

/* scorm_content_copy.c: copy-store's conversions under any content key (cmi5_content.c too) */
/** scorm_content_put_dir without the SCORM course id check. */
int scorm__content_put_dir(struct stmt_db *db, const char *key, int version, const char *dir,
                           char *err, size_t errlen);
/** The files of (key, version) of the database store `from` into the existing empty folder
 *  tmp, which then takes dest's place (one rename; a folder already at dest is replaced);
 *  dest's parent is created when missing and synced. tmp is removed on failure. */
int scorm__content_export_dir(struct stmt_db *from, const char *key, int version, const char *tmp,
                              const char *dest, char *err, size_t errlen);

/* scorm_content_db.c */
int scorm__cdb_open(struct stmt_db *db, const char *course, int version, const char *path,
                    struct scorm_content *c);
int scorm__cdb_read_chunk(struct scorm_content *c, uint32_t n);
/** Called with each chunk of an extracted file in order: n its number, len its length (CHUNK
 *  but the last), last 1 for the file's last. SCORM_OK, or an error that ends the walk. */
typedef int scorm__chunk_fn(void *ctx, uint32_t n, const unsigned char *chunk, size_t len, int last,
                            struct scorm_diag *diag);
/** Read f's extracted file below tmpdir (O_NOFOLLOW) chunk by chunk into buf (CHUNK bytes) and
 *  pass each to put: the import's two chunk writers (scorm__cdb_place here, before the
 *  transaction scorm_content_pre.c). SCORM_OK, put's error, or SCORM_ERR_IO with diag naming
 *  the file: cannot open or read it, or "the extracted <path> changed size" when it ends before
 *  f->size (it changed since it was hashed: never stored under that hash). */
int scorm__cdb_extracted_chunks(const char *tmpdir, const struct scorm__cfile *f,
                                unsigned char *buf, scorm__chunk_fn *put, void *ctx,
                                struct scorm_diag *diag);
int scorm__cdb_stage_scan(struct scorm__content_stage *s, struct scorm_diag *diag);
int scorm__cdb_place(struct scorm__content_stage *s, struct stmt_db_txn *txn, const char *course,
                     int version, struct scorm_diag *diag);
/* the hashes of blobs a delete freed whose node-local cache entries may exist */
struct scorm__freed {
    unsigned char (*h)[32];
    size_t n, cap;
    int nomem; /* some were not kept: their entries stay until the limit takes them */
};
/** In txn: the content rows of (course, version) go (version 0: every version), and each blob
 *  whose last reference they were, with its chunks; freed (may be NULL) gets those blobs of
 *  more than one chunk. */
int scorm__cdb_drop(struct stmt_db_txn *txn, const char *course, int version,
                    struct scorm__freed *freed);
int scorm__cdb_stats(struct stmt_db *db, struct scorm_content_stats *out);
void scorm__cdb_chunk_key(unsigned char k[36], const unsigned char hash[32], uint32_t n);
int scorm__cdb_blob_parse(const void *v, size_t vl, uint64_t *size, long long *refs);

/* scorm_content_pre.c (issue 19): the chunks of an import's new blobs are written in short
 * transactions of their own before its transaction, which then only references them, so the
 * store's write lock (on PostgreSQL every node's) is held for the records only. */
struct scorm__cpre;
/** After the scan: write the chunks of every blob the store does not have, and its blob row
 *  with no reference, under a pending row of this import. SCORM_OK, or an error (nothing
 *  needs undoing by the caller: scorm__cdb_pre_end releases what was written). */
int scorm__cdb_prewrite(struct scorm__content_stage *s, struct scorm_diag *diag);
/** 1 when file i's blob was written by scorm__cdb_prewrite: its pending row goes in the
 *  import's transaction (scorm__cdb_pre_claim). */
int scorm__cdb_pre_mine(const struct scorm__content_stage *s, size_t i);
int scorm__cdb_pre_claim(struct stmt_db_txn *txn, const unsigned char hash[32]);
/** The end of the stage: when not committed, the blobs it wrote that nothing references go
 *  (each in a short transaction); then the state is freed. NULL-tolerant. */
void scorm__cdb_pre_end(struct scorm__content_stage *s, int committed);
/** Collect what imports that crashed between their first and last transaction left: pending
 *  rows created before `before_us`, with their blobs when nothing references them, chunks
 *  included. *n: blobs removed. SCORM_OK or SCORM_ERR_STORE/_NOMEM. */
int scorm__cdb_collect(struct stmt_db *db, int64_t before_us, size_t *n);
/** How old a pending row must be for scorm_import_cleanup to collect it (an import still
 *  running on another node writes for less than that). */
#define SCORM__PENDING_GRACE_US (3600 * INT64_C(1000000))

/* scorm_content_cache.c: the node-local cache of blobs of more than one chunk */
struct scorm__cfill;
/** A descriptor of c's entry in the cache (its whole size checked), or -1. */
int scorm__ccache_open(struct scorm_content *c);
/** Start writing c's entry (c->fill) when c may be cached; nothing on any failure. */
void scorm__ccache_fill_begin(struct scorm_content *c);
/** c->chunk was just read: appended when it is the next of the entry, which goes in place
 *  (hash checked, synced, renamed) after the last; any other read abandons the entry. */
void scorm__ccache_fill_step(struct scorm_content *c);
void scorm__ccache_fill_abort(struct scorm_content *c);
/** After a delete committed: this node's cache entries of the blobs it freed go. */
void scorm__ccache_forget(struct stmt_db *db, const struct scorm__freed *f);

#endif
