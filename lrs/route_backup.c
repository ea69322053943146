/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /api/backup (admin scope; issue 18): the backup `scolar backup` writes, as one tar
 * stream: store.mdb (a compacted copy of the open store, stmt_db_copy_fd, consistent as of the
 * request) and content/... (the course files), in the layout `scolar restore` reads after
 *   mkdir b && tar -xf backup.tar -C b && scolar restore b --data NEW
 * The copy goes to an unlinked temporary file in the data directory first (its size belongs
 * in the tar header); the answer is chunked. Format: POSIX ustar (IEEE Std 1003.1-2008, pax
 * "ustar Interchange Format"), with GNU's ././@LongLink entries for names over 100 bytes.
 */
#include "lrs/lrs.h"

#include <civetweb.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct tar_out {
    struct lrs_req *r;
    size_t bytes;
    int failed; /* the client went away or a write failed */
};

static void out(struct tar_out *t, const void *p, size_t n)
{
    if (t->failed || !n)
        return;
    if (mg_send_chunk(t->r->conn, p, (unsigned)n) <= 0)
        t->failed = 1;
    else
        t->bytes += n;
}

/* width - 1 octal digits and a NUL (ustar numeric fields) */
static void octal(char *dst, size_t width, unsigned long long v)
{
    dst[width - 1] = '\0';
    for (size_t i = width - 1; i > 0; i--, v >>= 3)
        dst[i - 1] = (char)('0' + (v & 7));
}

/* one 512-byte header; typeflag '0' file, 'L' GNU long name */
static void header(struct tar_out *t, const char *name, unsigned long long size, long long mtime,
                   char type)
{
    unsigned char h[512];
    unsigned sum = 0;
    memset(h, 0, sizeof h);
    memcpy(h, name, strnlen(name, 100));
    octal((char *)h + 100, 8, 0640);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    octal((char *)h + 124, 12, size);
    octal((char *)h + 136, 12, (unsigned long long)(mtime > 0 ? mtime : 0));
    memset(h + 148, ' ', 8);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    for (size_t i = 0; i < sizeof h; i++)
        sum += h[i];
    octal((char *)h + 148, 7, sum); /* six digits, NUL, and the space already there */
    out(t, h, sizeof h);
}

static void pad(struct tar_out *t, unsigned long long size)
{
    static const char zero[512];
    if (size % 512)
        out(t, zero, 512 - (size_t)(size % 512));
}

/* the entry `name` with `size` bytes read from fd (zeros past a file that shrank) */
static void entry(struct tar_out *t, const char *name, int fd, unsigned long long size,
                  long long mtime)
{
    char buf[1 << 16];
    size_t len = strlen(name);
    if (len >= 100) { /* GNU long name: the name as the data of an 'L' entry */
        header(t, "././@LongLink", len + 1, 0, 'L');
        out(t, name, len + 1);
        pad(t, len + 1);
    }
    header(t, name, size, mtime, '0');
    for (unsigned long long done = 0; done < size && !t->failed;) {
        size_t want = size - done < sizeof buf ? (size_t)(size - done) : sizeof buf;
        ssize_t n = read(fd, buf, want);
        if (n <= 0) {
            memset(buf, 0, want);
            n = (ssize_t)want;
        }
        out(t, buf, (size_t)n);
        done += (unsigned long long)n;
    }
    pad(t, size);
}

static void tree(struct tar_out *t, const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while (!t->failed && (de = readdir(d)) != NULL) {
        char p[4096], n[4096];
        struct stat st;
        if (de->d_name[0] == '.') /* ".", "..", and import scratch folders (.tmp-*) */
            continue;
        if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p ||
            snprintf(n, sizeof n, "%s/%s", name, de->d_name) >= (int)sizeof n)
            continue;
        if (lstat(p, &st))
            continue; /* deleted meanwhile */
        if (S_ISDIR(st.st_mode)) {
            tree(t, p, n);
        } else if (S_ISREG(st.st_mode)) {
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                entry(t, n, fd, (unsigned long long)st.st_size, (long long)st.st_mtime);
                close(fd);
            }
        }
    }
    closedir(d);
}

void lrs_route_backup(struct lrs_req *r)
{
    const char *dir = r->app->cfg.data_dir;
    char tmp[1100], stamp[32], content[1100];
    struct tar_out t = {r, 0, 0};
    struct stat st;
    time_t now = time(NULL);
    struct tm tm;
    int fd, rc;

    if (strcmp(r->method, "GET")) {
        lrs_reply_error(r, 405, "the backup is read with GET");
        return;
    }
    if (stmt_db_is_pg(r->app->db)) {
        /* the tar holds an LMDB file; a PostgreSQL store is backed up by the database's own
         * tools (docs/postgresql.md), as `scolar backup` says (cmd_ops.c). RFC 9110 15.6.2:
         * 501, the server does not support the functionality required. */
        lrs_reply_error(r, 501,
                        "the store is in PostgreSQL: back it up with pg_dump, or copy it into a "
                        "data directory with `scolar copy-store --from URL --to DIR`");
        return;
    }
    snprintf(tmp, sizeof tmp, "%s/.backup-XXXXXX", dir);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        lrs_reply_error(r, errno == ENOSPC ? 507 : 500, "cannot create a temporary file in %s: %s",
                        dir, strerror(errno));
        return;
    }
    unlink(tmp); /* gone with the descriptor, whatever happens */
    rc = stmt_db_copy_fd(r->app->db, fd);
    if (rc || fstat(fd, &st) || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        if (rc == STMT_DB_ERR_FULL)
            lrs_reply_error(r, 507, "storage full: no room for the copy of the store in %s", dir);
        else
            lrs_reply_error(r, 500, "copy of the store failed: %s",
                            rc ? stmt_db_strerror(rc) : strerror(errno));
        return;
    }
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    lrs_resp_header(r, "Transfer-Encoding", "chunked");
    lrs_resp_header(r, "Content-Disposition", "attachment; filename=\"scolar-backup-%s.tar\"",
                    stamp);
    lrs_resp_header(r, "Cache-Control", "no-store");
    lrs_reply_head(r, 200, "application/x-tar", 0, 0, NULL, 0);
    r->status = 200;
    entry(&t, "store.mdb", fd, (unsigned long long)st.st_size, (long long)now);
    close(fd);
    snprintf(content, sizeof content, "%s/content", dir);
    tree(&t, content, "content");
    {
        static const char end[1024]; /* two zero blocks end the archive */
        out(&t, end, sizeof end);
    }
    if (!t.failed)
        mg_send_chunk(r->conn, "", 0); /* the last chunk; without it the client sees a cut */
    else
        lrs_log(LRS_LOG_WARN, "backup stream stopped after %zu bytes", t.bytes);
    r->bytes_out = t.bytes;
}
