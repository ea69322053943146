/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A node-local read-through cache of course content kept in the database (issue 19 step 6,
 * docs/architecture.md): a blob of more than one chunk that a reader reads from its start to
 * its end, in order (the player sending a whole file, or a media element's "bytes=0-"), is
 * written to DATA/content/.cache/<sha-256 hex> as it goes; its next opens on this node read
 * the file instead of the chunk rows. Blobs are immutable and named by their content's hash,
 * so an entry is never invalidated: the file is renamed into place only after its SHA-256 was
 * checked against its name and its data synced. A course delete that frees blobs removes this
 * node's entries of them after its commit (scorm__ccache_forget); a delete through another node
 * leaves entries nobody opens until the same bytes are stored again (the same hash), and then
 * they hold exactly those bytes: a stale entry is never a wrong one. Entries go oldest first
 * when the cache passes its limit (scorm_content_cache_limit; 0 disables it) or the disk keeps
 * less than a tenth free.
 */
#include "scorm/scorm_content_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "statements/stmt_db.h"

static _Atomic uint64_t cache_limit = SCORM_CONTENT_CACHE_DEFAULT;

void scorm_content_cache_limit(uint64_t bytes)
{
    atomic_store(&cache_limit, bytes);
}

struct scorm__cfill {
    int fd;
    uint32_t next; /* the chunk expected next */
    EVP_MD_CTX *md;
    char tmp[4096];
};

static int cache_dir(struct stmt_db *db, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/content/.cache", stmt_db_dir(db));
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int entry_path(struct stmt_db *db, const unsigned char hash[32], char *buf, size_t len)
{
    char hex[65];
    sc_hex(hash, 32, hex);
    int n = snprintf(buf, len, "%s/content/.cache/%s", stmt_db_dir(db), hex);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int scorm__ccache_open(struct scorm_content *c)
{
    char p[4096];
    struct stat st;
    int fd;
    if (c->size <= SCORM_CONTENT_CHUNK || !atomic_load(&cache_limit) ||
        entry_path(c->db, c->hash, p, sizeof p))
        return -1;
    fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != c->size) {
        close(fd); /* not a whole entry: read the rows (a fill replaces it) */
        return -1;
    }
    return fd;
}

void scorm__ccache_fill_begin(struct scorm_content *c)
{
    uint64_t limit = atomic_load(&cache_limit);
    struct scorm__cfill *f;
    struct statvfs vfs;
    unsigned char rnd[8];
    char dir[4096], hex[17];
    if (c->size <= SCORM_CONTENT_CHUNK || !limit || c->size > limit / 4 ||
        cache_dir(c->db, dir, sizeof dir))
        return;
    /* a tenth of the disk stays free: the cache never fills it */
    if (statvfs(stmt_db_dir(c->db), &vfs) != 0 ||
        (uint64_t)vfs.f_bavail * vfs.f_frsize <
            c->size + (uint64_t)vfs.f_blocks * vfs.f_frsize / 10)
        return;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return;
    if (sc_random_bytes(rnd, sizeof rnd) != 0 || !(f = sc_calloc(1, sizeof *f)))
        return;
    sc_hex(rnd, sizeof rnd, hex);
    if ((size_t)snprintf(f->tmp, sizeof f->tmp, "%s/.fill-%s", dir, hex) >= sizeof f->tmp) {
        sc_free(f);
        return;
    }
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    f->md = EVP_MD_CTX_new();
    if (f->fd < 0 || !f->md || !EVP_DigestInit_ex(f->md, EVP_sha256(), NULL)) {
        if (f->fd >= 0) {
            close(f->fd);
            unlink(f->tmp);
        }
        EVP_MD_CTX_free(f->md);
        sc_free(f);
        return;
    }
    c->fill = f;
}

void scorm__ccache_fill_abort(struct scorm_content *c)
{
    struct scorm__cfill *f = c->fill;
    if (!f)
        return;
    close(f->fd);
    unlink(f->tmp);
    EVP_MD_CTX_free(f->md);
    sc_free(f);
    c->fill = NULL;
}

struct entry {
    char name[72];
    uint64_t size;
    int64_t mtime;
};

static int by_mtime(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* Oldest entries out until the cache holds at most three quarters of its limit. */
static void evict(struct stmt_db *db, uint64_t limit)
{
    char dir[4096];
    DIR *d;
    struct dirent *de;
    struct entry *v = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    if (cache_dir(db, dir, sizeof dir) || !(d = opendir(dir)))
        return;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (strlen(de->d_name) != 64 || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
            continue;
        if (n == cap) {
            struct entry *nv = sc_realloc(v, (cap = cap ? cap * 2 : 64) * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        memcpy(v[n].name, de->d_name, 65); /* 64 hex digits and the NUL, checked above */
        v[n].size = (uint64_t)st.st_size;
        v[n].mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        total += v[n].size;
        n++;
    }
    if (total > limit && n) {
        qsort(v, n, sizeof *v, by_mtime);
        for (size_t i = 0; i < n && total > limit / 4 * 3; i++)
            if (unlinkat(dirfd(d), v[i].name, 0) == 0)
                total -= v[i].size;
    }
    closedir(d);
    sc_free(v);
}

void scorm__ccache_fill_step(struct scorm_content *c)
{
    struct scorm__cfill *f = c->fill;
    const unsigned char *p = c->chunk;
    size_t left = c->chunk_len;
    unsigned char h[32];
    char dest[4096];
    if (!f)
        return;
    if (c->chunk_n != f->next) { /* not a read from start to end: no entry from this one */
        scorm__ccache_fill_abort(c);
        return;
    }
    while (left > 0) {
        ssize_t w = write(f->fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            scorm__ccache_fill_abort(c); /* disk full: the rows still serve */
            return;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!EVP_DigestUpdate(f->md, c->chunk, c->chunk_len)) {
        scorm__ccache_fill_abort(c);
        return;
    }
    f->next++;
    if ((uint64_t)f->next * SCORM_CONTENT_CHUNK < c->size)
        return;
    /* the last chunk: the entry goes in place only as the very bytes its name promises */
    if (!EVP_DigestFinal_ex(f->md, h, NULL) || memcmp(h, c->hash, 32) != 0 ||
        fdatasync(f->fd) != 0 || entry_path(c->db, c->hash, dest, sizeof dest) ||
        rename(f->tmp, dest) != 0) {
        scorm__ccache_fill_abort(c);
        return;
    }
    close(f->fd);
    EVP_MD_CTX_free(f->md);
    sc_free(f);
    c->fill = NULL;
    evict(c->db, atomic_load(&cache_limit));
}

void scorm__ccache_forget(struct stmt_db *db, const struct scorm__freed *f)
{
    char p[4096];
    for (size_t i = 0; f && i < f->n; i++)
        if (!entry_path(db, f->h[i], p, sizeof p))
            unlink(p); /* ENOENT: never cached here; a reader with it open keeps its file */
}

void scorm__ccache_cleanup(struct stmt_db *db)
{
    char dir[4096];
    DIR *d;
    struct dirent *de;
    if (cache_dir(db, dir, sizeof dir) || !(d = opendir(dir)))
        return;
    while ((de = readdir(d)) != NULL)
        if (!strncmp(de->d_name, ".fill-", 6)) /* a fill a crash interrupted */
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
    evict(db, atomic_load(&cache_limit));
}
