/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by test_scorm_content.c and test_cmi5_content.c (package files through
 * scorm_content.h): the run on each layout of the files (the store's own, then the database
 * layout forced on LMDB), read a file back through an open handle, and the refusals of the
 * confined file open on disk (scorm__content_open_file: a symlink out of the folder, "..", a
 * FIFO, a directory).
 */
#ifndef CONTENT_TEST_UTIL_H
#define CONTENT_TEST_UTIL_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tap.h"
#include "scorm/cmi5.h"
#include "scorm/scorm_content.h"
#include "scorm/scorm_int.h"
#include "scorm/tests/scorm_test_util.h"

/* One run of a content test on a fresh store: db, its data folder, and a label for the TAP
 * lines. */
typedef void (*ct_run_fn)(struct stmt_db *db, const char *datadir, const char *label);

/* run on the store of SCOLAR_TEST_BACKEND (pg: PostgreSQL, the files as rows; else LMDB, the
 * files on disk), then, on LMDB, again with the database layout forced (scorm__content_force_db)
 * so that the rows' code runs in every build. *in_db is set before each run: 1 when the files
 * are rows. Returns 1 on PostgreSQL. */
static inline int ct_each_layout(ct_run_fn run, int *in_db)
{
    char datadir[512];
    struct stmt_db *db;
    const char *be = getenv("SCOLAR_TEST_BACKEND");
    int pg = be && !strcmp(be, "pg");
    db = tu_db_open(datadir, sizeof datadir);
    *in_db = pg;
    run(db, datadir, pg ? "PostgreSQL" : "LMDB");
    stmt_db_close(db);
    if (!pg) {
        scorm__content_force_db(1);
        *in_db = 1;
        db = tu_db_open(datadir, sizeof datadir);
        run(db, datadir, "LMDB with the database layout");
        stmt_db_close(db);
        scorm__content_force_db(0);
    }
    return pg;
}

/* The whole file of handle h (closed here, NULL-tolerant) read in pieces of `piece` bytes; its
 * ETag and type (copied: the handle's strings go with it) when etag / type are not NULL. NULL
 * when a read fails or comes short of the size; else *len = the size. */
static inline unsigned char *ct_read_back(struct scorm_content *h, size_t piece, size_t *len,
                                          char etag[80], char type[128])
{
    unsigned char *buf;
    size_t size, at = 0;
    if (!h)
        return NULL;
    size = (size_t)scorm_content_size(h);
    buf = malloc(size + 1);
    while (buf && at < size) {
        size_t got = 0;
        if (scorm_content_read(h, at, buf + at, piece, &got) != 0 || got == 0)
            break;
        at += got;
    }
    if (etag)
        snprintf(etag, 80, "%s", scorm_content_etag(h));
    if (type)
        snprintf(type, 128, "%s", scorm_content_type(h) ? scorm_content_type(h) : "");
    scorm_content_close(h);
    if (at != size) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

/* A course under test: a cmi5 course (cmi5 set, id its course id) or version 1 of a SCORM
 * course (db set, id the course). */
struct ct_course {
    struct cmi5 *cmi5;
    struct stmt_db *db;
    const char *id;
};

/* `path` of course c through its module's own open (cmi5_content_open or scorm_content_open):
 * its return code, *out the handle on success */
static inline int ct_open(const struct ct_course *c, const char *path, struct scorm_content **out)
{
    if (c->cmi5)
        return cmi5_content_open(c->cmi5, c->id, path, out);
    return scorm_content_open(c->db, c->id, 1, path, out);
}

static inline void ct_alarm(int sig)
{
    (void)sig;
    static const char m[] = "not ok - the confined open blocked on a FIFO\n";
    (void)!write(1, m, sizeof m - 1);
    _exit(1);
}

/* In the files' folder `base` of a course on disk, next to the package file `good` (opens):
 * a symlink to a file outside base, the same file reached through a symlink to "..", an
 * absolute symlink, a FIFO (must not block the open) and a directory with a page's name are
 * all not found (`notfound`, the module's code), with no handle. The entries go again. */
static inline void ct_confinement(const char *base, const char *good, const struct ct_course *c,
                                  int notfound, const char *what)
{
    static const char *const names[] = {"ct-escape.html", "ct-up", "ct-abs.html", "ct-pipe.html",
                                        "ct-dir.html"};
    static const char *const paths[] = {"ct-escape.html", "ct-up/ct-outside.html", "ct-abs.html",
                                        "ct-pipe.html", "ct-dir.html"};
    char p[1200], outside[1200];
    struct scorm_content *h = NULL;
    FILE *f;
    int made = 1;

    snprintf(outside, sizeof outside, "%s/../ct-outside.html", base);
    f = fopen(outside, "w");
    made &= f && fputs("<html>outside the course</html>", f) >= 0;
    if (f)
        fclose(f);
    snprintf(p, sizeof p, "%s/%s", base, names[0]);
    made &= symlink(outside, p) == 0;
    snprintf(p, sizeof p, "%s/%s", base, names[1]);
    made &= symlink("..", p) == 0;
    snprintf(p, sizeof p, "%s/%s", base, names[2]);
    made &= symlink("/etc/passwd", p) == 0;
    snprintf(p, sizeof p, "%s/%s", base, names[3]);
    made &= mkfifo(p, 0644) == 0;
    snprintf(p, sizeof p, "%s/%s", base, names[4]);
    made &= mkdir(p, 0755) == 0;
    ok(made, "%s: a symlink out, a symlink to .., an absolute symlink, a FIFO, a directory made",
       what);
    is_int(ct_open(c, good, &h), 0, "%s: %s opens beside them", what, good);
    scorm_content_close(h);
    signal(SIGALRM, ct_alarm);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        h = NULL;
        alarm(10); /* a FIFO opened without O_NONBLOCK waits for a writer forever */
        is_int(ct_open(c, paths[i], &h), notfound, "%s: %s not found", what, paths[i]);
        alarm(0);
        ok(h == NULL, "%s: %s: no handle", what, paths[i]);
        scorm_content_close(h);
    }
    signal(SIGALRM, SIG_DFL);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", base, names[i]);
        if (i == 4)
            rmdir(p);
        else
            unlink(p);
    }
    unlink(outside);
}

#endif
