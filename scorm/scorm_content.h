/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The files of imported course versions (issue 19 step 6, docs/architecture.md), read by the
 * player's content origin (lrs/route_player.c) through one interface whatever the store:
 *
 *   - LMDB store: files on disk, DATA/content/<course>/<version>/<path>, as every data
 *     directory since issue 5 (nothing moves);
 *   - PostgreSQL store: rows of the key/value store (stmt_db.h), so nodes on one database share
 *     nothing else: `content` (course, version, path -> hash, size, type), `blob` (SHA-256 ->
 *     size and reference count) and `blob_chunk` (hash, chunk number -> 256 KiB of data),
 *     written in the import's transaction and deduplicated by hash across versions and
 *     courses (scorm_content_db.c).
 *
 * A handle reads one file at any offset (Range requests), a chunk at a time on PostgreSQL:
 * never the whole file in memory. The ETag is strong (RFC 9110 8.8.3): the content's SHA-256
 * on PostgreSQL, the file's inode, size and modification time on disk (version folders are
 * never modified after the import's rename).
 *
 * Threads: any thread; a handle is used by one thread at a time.
 */
#ifndef SCORM_CONTENT_H
#define SCORM_CONTENT_H

#include <stddef.h>
#include <stdint.h>

struct stmt_db;
struct scorm_content;

#define SCORM_CONTENT_CHUNK (256u << 10) /* bytes per blob_chunk row */

/** Open the file `path` (relative, checked with scorm_content_path_ok) of version `version`
 *  (1, 2, ...) of course `course` on db's store. *out (owned, scorm_content_close) on
 *  success. SCORM_ERR_NOTFOUND when the course id, the version or the path is invalid or
 *  there is no such regular file (on disk: also a path that resolves outside the version's
 *  folder), SCORM_ERR_STORE, SCORM_ERR_IO or SCORM_ERR_NOMEM. A read transaction of its own
 *  on PostgreSQL, none kept open. */
int scorm_content_open(struct stmt_db *db, const char *course, int version, const char *path,
                       struct scorm_content **out);
/** The file's size in bytes. */
uint64_t scorm_content_size(const struct scorm_content *c);
/** Its media type (scorm_content_mime of the path at import), or NULL when the extension is
 *  unknown (security.md §6: sent as a download). Borrowed, valid until close. */
const char *scorm_content_type(const struct scorm_content *c);
/** Its strong ETag, quotes included (RFC 9110 8.8.3). Borrowed, valid until close. */
const char *scorm_content_etag(const struct scorm_content *c);
/** Read up to len bytes at offset into buf: *got is len, or less at the end of the file (0 at
 *  or past it). On PostgreSQL one chunk row is read per 256 KiB (a short read transaction per
 *  chunk; the last chunk read is kept). SCORM_ERR_NOTFOUND when the content went away since
 *  the open (its course deleted), SCORM_ERR_STORE, SCORM_ERR_IO. */
int scorm_content_read(struct scorm_content *c, uint64_t offset, void *buf, size_t len,
                       size_t *got);
/** NULL-tolerant. */
void scorm_content_close(struct scorm_content *c);

#define SCORM_CONTENT_CACHE_DEFAULT (1ull << 30) /* bytes of the node-local cache */
/** The node-local read-through cache of content kept in the database (scorm_content_cache.c):
 *  a file of more than one chunk read from start to end is kept in
 *  DATA/content/.cache/<sha-256> (checked against its hash before use), its next opens on this
 *  node read that file; the oldest entries go past `bytes` (default
 *  SCORM_CONTENT_CACHE_DEFAULT), and files larger than a quarter of it are never kept. 0
 *  disables it (and the next start-up cleanup empties it). Process-wide; any thread. */
void scorm_content_cache_limit(uint64_t bytes);

/** The media type of a package path by its extension (our table; security.md §6), or NULL
 *  when unknown. Static strings. */
const char *scorm_content_mime(const char *path);
/** security.md §5.1 / §6: 1 when p is relative and has no "..", "." or empty segment, no
 *  backslash and no control character; else 0. */
int scorm_content_path_ok(const char *p);

/** Counts of the content tables (PostgreSQL store; all 0 on LMDB, which keeps files): rows
 *  of content, blob and blob_chunk, and the bytes of the blobs. For tests and `scolar check`. */
struct scorm_content_stats {
    size_t files, blobs, chunks;
    uint64_t blob_bytes;
    /* findings of the walk: a blob whose reference count is not the number of content rows
     * naming it, a content row without its blob, a chunk missing, extra or of the wrong size */
    size_t bad;
};
int scorm_content_stats(struct stmt_db *db, struct scorm_content_stats *out);

/* ---- `scolar copy-store` between the backends (scorm_content_copy.c, lrs/cmd_copy.c) ------ */

/** 1 when `table` is one of the content tables (content, blob, blob_chunk, blob_pending):
 *  between an LMDB and a PostgreSQL store they are converted with the functions below, not
 *  copied row for row. */
int scorm_content_is_table(const char *table);
typedef int (*scorm_content_version_fn)(void *ctx, const char *course, int version);
/** Call fn for every (course, version) with content on db: the version folders of
 *  DATA/content/ on LMDB, the versions of the content rows on PostgreSQL (listed first, fn
 *  called outside any transaction). Stops at fn's first non-zero return, which it returns. */
int scorm_content_versions(struct stmt_db *db, scorm_content_version_fn fn, void *ctx);
/** Store the files of folder `dir` as version `version` of `course` on a PostgreSQL store,
 *  as an import does (hashed, blobs deduplicated and counted, chunks), replacing rows of that
 *  version, in one write transaction: done again after a cut copy, it gives the same rows.
 *  SCORM_OK, or a SCORM_ERR_* with a message in err. */
int scorm_content_put_dir(struct stmt_db *db, const char *course, int version, const char *dir,
                          char *err, size_t errlen);
/** Write the files of version `version` of `course` of the PostgreSQL store `from` into the
 *  LMDB data directory of `to` (DATA/content/<course>/<version>/): written to a .tmp-* folder,
 *  fsynced, then one rename (an existing folder of that version is replaced). */
int scorm_content_export(struct stmt_db *from, const char *course, int version, struct stmt_db *to,
                         char *err, size_t errlen);

#endif
