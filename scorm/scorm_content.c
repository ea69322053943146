/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The files of course versions behind one interface (scorm_content.h, issue 19 step 6): this
 * file holds the interface, the media type table, and the backend of files on disk that every
 * LMDB data directory has used since issue 5:
 *
 *   DATA/content/<course>/<version>/<path>   placed by the import with one rename of its
 *                                            temporary folder, inside its write transaction;
 *   DATA/content/.tmp-<random>/              an import's extraction, or a deleted folder
 *                                            hidden until the delete commits.
 *
 * The PostgreSQL backend (rows of the store, deduplicated by SHA-256) is scorm_content_db.c;
 * an import there still extracts into a .tmp-* folder of the node's own directory (the worker
 * process and its rlimits stay the same, security.md 5.2), then the parent hashes and stores
 * the files, and the folder goes.
 */
#include "scorm/scorm_content_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "statements/stmt_db.h"

static int force_db; /* tests only (scorm__content_force_db), set before any thread starts */

void scorm__content_force_db(int on)
{
    force_db = on;
}

int scorm__content_in_db(struct stmt_db *db)
{
    return force_db || stmt_db_is_pg(db);
}

/* ---- media types and paths ---------------------------------------------------------------- */

static const struct {
    const char *ext;
    const char *type;
} mime_table[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"xhtml", "application/xhtml+xml"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"xml", "application/xml"},
    {"xsd", "application/xml"},
    {"txt", "text/plain; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"svg", "image/svg+xml"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"bmp", "image/bmp"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"m4a", "audio/mp4"},
    {"mp4", "video/mp4"},
    {"m4v", "video/mp4"},
    {"webm", "video/webm"},
    {"ogv", "video/ogg"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"eot", "application/vnd.ms-fontobject"},
    {"pdf", "application/pdf"},
    {"swf", "application/x-shockwave-flash"},
    {"wasm", "application/wasm"},
    {"map", "application/json"},
};

const char *scorm_content_mime(const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return NULL;
    for (size_t i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++)
        if (!strcasecmp(dot + 1, mime_table[i].ext))
            return mime_table[i].type;
    return NULL;
}

int scorm_content_path_ok(const char *p)
{
    const char *s = p;
    if (!*p || *p == '/')
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == '\\' || *s == 0x7f)
            return 0;
    for (s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return 0;
        s += n;
        if (*s == '/')
            s++;
    }
    return 1;
}

/* ---- folders ------------------------------------------------------------------------------ */

static int rm_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int scorm__rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_visit, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int scorm__content_dir(struct stmt_db *db, char *buf, size_t len, const char *a, const char *b)
{
    int n;
    if (b)
        n = snprintf(buf, len, "%s/content/%s/%s", stmt_db_dir(db), a, b);
    else if (a)
        n = snprintf(buf, len, "%s/content/%s", stmt_db_dir(db), a);
    else
        n = snprintf(buf, len, "%s/content", stmt_db_dir(db));
    return (n < 0 || (size_t)n >= len) ? SCORM_ERR_IO : SCORM_OK;
}

int scorm__content_tmp(struct stmt_db *db, char *path, size_t len, struct scorm_diag *diag)
{
    unsigned char rnd[8];
    char hex[17], name[32];
    if (scorm__content_dir(db, path, len, NULL, NULL) != 0)
        return SCORM_ERR_IO;
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, path, "cannot create %s: %s", path, strerror(errno));
        return SCORM_ERR_IO;
    }
    if (sc_random_bytes(rnd, sizeof rnd) != 0)
        return SCORM_ERR_IO;
    sc_hex(rnd, sizeof rnd, hex);
    snprintf(name, sizeof name, ".tmp-%s", hex);
    if (scorm__content_dir(db, path, len, name, NULL) != 0)
        return SCORM_ERR_IO;
    if (mkdir(path, 0700) != 0) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, path, "cannot create %s: %s", path, strerror(errno));
        return SCORM_ERR_IO;
    }
    return SCORM_OK;
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* On disk: the file must resolve inside `base` (a symlink cannot be in a package, scorm_zip.c;
 * this also holds if one were put there by hand: realpath, then O_NOFOLLOW) and be a regular
 * file (security.md 5.1). The ETag is strong (RFC 9110 8.8.3): package files are never
 * modified after the import's rename, so inode, size and mtime name one content. */
int scorm__content_open_file(const char *base, const char *path, struct scorm_content *c)
{
    struct {
        char full[PATH_MAX], rbase[PATH_MAX], rfull[PATH_MAX];
    } *pb = sc_malloc(sizeof *pb); /* 12 KiB: worker stacks are small */
    struct stat st;
    int rc = SCORM_ERR_NOTFOUND;
    size_t bl;

    if (!pb)
        return SCORM_ERR_NOMEM;
    if ((size_t)snprintf(pb->full, PATH_MAX, "%s/%s", base, path) >= PATH_MAX ||
        !realpath(base, pb->rbase) || !realpath(pb->full, pb->rfull))
        goto out;
    bl = strlen(pb->rbase);
    if (strncmp(pb->rfull, pb->rbase, bl) != 0 || pb->rfull[bl] != '/')
        goto out;
    /* O_NONBLOCK: a FIFO put there would otherwise hold the open until a writer comes (it has
     * no effect on the reads of a regular file, the only kind kept below) */
    c->fd = open(pb->rfull, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (c->fd < 0) {
        rc = errno == ENOENT || errno == ELOOP ? SCORM_ERR_NOTFOUND : SCORM_ERR_IO;
        goto out;
    }
    if (fstat(c->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(c->fd);
        c->fd = -1;
        goto out;
    }
    c->size = (uint64_t)st.st_size;
    c->type = scorm_content_mime(path);
    snprintf(c->etag, sizeof c->etag, "\"f-%llx-%llx-%llx.%lx\"", (unsigned long long)st.st_ino,
             (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
             (unsigned long)st.st_mtim.tv_nsec);
    rc = SCORM_OK;
out:
    sc_free(pb);
    return rc;
}

int scorm__content_open_as(struct stmt_db *db, const char *key, int version, const char *base,
                           const char *path, struct scorm_content **out)
{
    struct scorm_content *c;
    int rc;
    *out = NULL;
    c = sc_calloc(1, sizeof *c);
    if (!c)
        return SCORM_ERR_NOMEM;
    c->db = db;
    c->fd = -1;
    rc =
        base ? scorm__content_open_file(base, path, c) : scorm__cdb_open(db, key, version, path, c);
    if (rc) {
        scorm_content_close(c);
        return rc;
    }
    *out = c;
    return SCORM_OK;
}

int scorm_content_open(struct stmt_db *db, const char *course, int version, const char *path,
                       struct scorm_content **out)
{
    char base[PATH_MAX], vname[16];
    *out = NULL;
    if (!db || !scorm__course_id_valid(course) || version <= 0 || !path ||
        !scorm_content_path_ok(path))
        return SCORM_ERR_NOTFOUND;
    if (scorm__content_in_db(db))
        return scorm__content_open_as(db, course, version, NULL, path, out);
    snprintf(vname, sizeof vname, "%d", version);
    if (scorm__content_dir(db, base, sizeof base, course, vname) != 0)
        return SCORM_ERR_NOTFOUND;
    return scorm__content_open_as(db, course, version, base, path, out);
}

uint64_t scorm_content_size(const struct scorm_content *c)
{
    return c->size;
}

const char *scorm_content_type(const struct scorm_content *c)
{
    return c->type;
}

const char *scorm_content_etag(const struct scorm_content *c)
{
    return c->etag;
}

int scorm_content_read(struct scorm_content *c, uint64_t offset, void *buf, size_t len, size_t *got)
{
    size_t done = 0;
    if (offset >= c->size || len == 0) {
        *got = 0;
        return SCORM_OK;
    }
    if (len > c->size - offset)
        len = (size_t)(c->size - offset);
    while (done < len) {
        if (c->fd >= 0) {
            ssize_t r = pread(c->fd, (char *)buf + done, len - done, (off_t)(offset + done));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return SCORM_ERR_IO; /* shorter than at the open: never sent as the file */
            done += (size_t)r;
            continue;
        }
        uint64_t at = offset + done;
        uint32_t n = (uint32_t)(at / SCORM_CONTENT_CHUNK);
        size_t in = (size_t)(at % SCORM_CONTENT_CHUNK), take;
        if (!c->have_chunk || c->chunk_n != n) {
            int rc = scorm__cdb_read_chunk(c, n);
            if (rc)
                return rc;
        }
        if (in >= c->chunk_len)
            return SCORM_ERR_STORE; /* a chunk shorter than the blob's size says */
        take = c->chunk_len - in < len - done ? c->chunk_len - in : len - done;
        memcpy((char *)buf + done, c->chunk + in, take);
        done += take;
    }
    *got = done;
    return SCORM_OK;
}

void scorm_content_close(struct scorm_content *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    scorm__ccache_fill_abort(c); /* a file not read to its end: no entry */
    sc_free(c->chunk);
    sc_free(c);
}

int scorm_content_stats(struct stmt_db *db, struct scorm_content_stats *out)
{
    memset(out, 0, sizeof *out);
    return scorm__cdb_stats(db, out);
}

/* ---- the import's placement --------------------------------------------------------------- */

int scorm__content_stage_open(struct stmt_db *db, const char *tmpdir,
                              struct scorm__content_stage **out, struct scorm_diag *diag)
{
    struct scorm__content_stage *s = sc_calloc(1, sizeof *s);
    int rc = SCORM_OK;
    if (!s)
        return SCORM_ERR_NOMEM;
    s->db = db;
    s->in_db = scorm__content_in_db(db);
    snprintf(s->tmpdir, sizeof s->tmpdir, "%s", tmpdir);
    if (s->in_db)
        rc = scorm__cdb_stage_scan(s, diag);
    if (rc) {
        scorm__content_stage_end(s, 0);
        return rc;
    }
    *out = s;
    return SCORM_OK;
}

/* On disk: the folder goes to DATA/content/<course>/<version>/ with one rename (from where a
 * previous try of the transaction put it, when the version number changed). */
static int files_place(struct scorm__content_stage *s, const char *course, int version,
                       struct scorm_diag *diag)
{
    char dest[4096], vname[16];
    if (scorm__content_dir(s->db, s->cdir, sizeof s->cdir, course, NULL) != 0)
        return SCORM_ERR_IO;
    if (mkdir(s->cdir, 0755) != 0 && errno != EEXIST) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, s->cdir, "cannot create %s: %s", s->cdir,
                        strerror(errno));
        return SCORM_ERR_IO;
    }
    snprintf(vname, sizeof vname, "%d", version);
    if (scorm__content_dir(s->db, dest, sizeof dest, course, vname) != 0)
        return SCORM_ERR_IO;
    if (s->is_placed && strcmp(s->placed, dest) == 0)
        return SCORM_OK;
    const char *from = s->is_placed ? s->placed : s->tmpdir;
    int r = renameat2(AT_FDCWD, from, AT_FDCWD, dest, RENAME_NOREPLACE);
    if (r != 0 && (errno == EEXIST || errno == ENOTEMPTY)) {
        /* a version folder without record: left by a crash; replace it */
        scorm__rm_rf(dest);
        r = renameat2(AT_FDCWD, from, AT_FDCWD, dest, RENAME_NOREPLACE);
    }
    if (r != 0) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, dest, "cannot rename into %s: %s", dest,
                        strerror(errno));
        return SCORM_ERR_IO;
    }
    s->is_placed = 1;
    snprintf(s->placed, sizeof s->placed, "%s", dest);
    return SCORM_OK;
}

int scorm__content_stage_place(struct scorm__content_stage *s, struct stmt_db_txn *txn,
                               const char *course, int version, struct scorm_diag *diag)
{
    return s->in_db ? scorm__cdb_place(s, txn, course, version, diag)
                    : files_place(s, course, version, diag);
}

int scorm__content_stage_full(const struct scorm__content_stage *s)
{
    return s->full;
}

void scorm__content_stage_end(struct scorm__content_stage *s, int committed)
{
    if (!s)
        return;
    if (!s->in_db && committed && s->is_placed)
        fsync_dir(s->cdir); /* the rename durable with the record that names the folder */
    if (!s->in_db && !committed) {
        if (s->is_placed)
            scorm__rm_rf(s->placed);
        if (s->cdir[0])
            rmdir(s->cdir); /* only succeeds when this import created it and it is empty */
    }
    scorm__cdb_pre_end(s, committed); /* blobs written before the transaction: kept or given back */
    for (size_t i = 0; i < s->n; i++)
        sc_free(s->files[i].path);
    sc_free(s->files);
    sc_free(s);
}

/* ---- delete ------------------------------------------------------------------------------- */

struct scorm__content_drop {
    struct stmt_db *db;
    int in_db;
    struct scorm__freed freed; /* the database: blobs freed, for this node's cache */
    char from[4096], hidden[4096];
};

int scorm__content_drop(struct stmt_db *db, struct stmt_db_txn *txn, const char *course,
                        int version, struct scorm__content_drop **out)
{
    struct scorm__content_drop *d;
    char vname[16];
    int rc;
    *out = NULL;
    if (scorm__content_in_db(db)) {
        d = sc_calloc(1, sizeof *d);
        if (!d)
            return SCORM_ERR_NOMEM;
        d->db = db;
        d->in_db = 1;
        rc = scorm__cdb_drop(txn, course, version, &d->freed);
        if (rc) {
            scorm__content_drop_end(d, 0);
            return rc;
        }
        *out = d;
        return SCORM_OK;
    }
    /* hide the files first (one rename), so a crash leaves only a .tmp-* folder */
    d = sc_calloc(1, sizeof *d);
    if (!d)
        return SCORM_ERR_NOMEM;
    snprintf(vname, sizeof vname, "%d", version);
    if (scorm__content_dir(db, d->from, sizeof d->from, course, version ? vname : NULL) != 0 ||
        scorm__content_tmp(db, d->hidden, sizeof d->hidden, NULL) != 0) {
        sc_free(d);
        return SCORM_ERR_IO;
    }
    rmdir(d->hidden);
    if (rename(d->from, d->hidden) != 0) {
        int e = errno;
        sc_free(d);
        return e == ENOENT ? SCORM_OK : SCORM_ERR_IO; /* no folder: nothing to remove */
    }
    *out = d;
    return SCORM_OK;
}

void scorm__content_drop_end(struct scorm__content_drop *d, int committed)
{
    if (!d)
        return;
    if (d->in_db) { /* the rows went with the commit: the node-local cache entries of the
                     * blobs freed go too (docs/architecture.md step 6) */
        if (committed)
            scorm__ccache_forget(d->db, &d->freed);
        sc_free(d->freed.h);
        sc_free(d);
        return;
    }
    if (committed)
        scorm__rm_rf(d->hidden);
    else
        rename(d->hidden, d->from);
    sc_free(d);
}
