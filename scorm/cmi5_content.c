/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The files of cmi5 packages (issue 19 step 6) behind scorm_content.h's handle:
 *
 *   - LMDB store: files on disk, DATA/cmi5/<course>/<path>, as every data directory since the
 *     cmi5 import was written (nothing moves);
 *   - PostgreSQL store: the rows of scorm_content_db.c (content, blob, blob_chunk), shared by
 *     every node on the database, under the content course key "cmi5:<course>", version 1.
 *     ':' is not allowed in a SCORM course id (scorm__course_id_valid), so no SCORM course's
 *     rows ("<course>\x1f<version>\x1f...") can share that prefix, and blobs stay
 *     deduplicated with SCORM content (same hash, one more reference).
 *
 * The rows are written in the cmi5 import's write transaction (the course record's), and go
 * with the course record's delete (blobs other rows name are kept): one logical write each.
 */
#include "scorm/cmi5_int.h"
#include "scorm/scorm_content_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sc_alloc.h"
#include "statements/stmt_db.h"

#define CMI5_CONTENT_VERSION 1

int cmi5__content_in_db(struct cmi5 *c)
{
    return scorm__content_in_db(c->db);
}

/* "cmi5:<course>": the content rows' course key of a cmi5 course */
static int content_course(const char *id, char out[SCORM_MAX_COURSE_ID + 8])
{
    if (!scorm__course_id_valid(id))
        return -1;
    snprintf(out, SCORM_MAX_COURSE_ID + 8, "cmi5:%s", id);
    return 0;
}

static int from_scorm(int rc)
{
    switch (rc) {
    case SCORM_OK:
        return CMI5_OK;
    case SCORM_ERR_NOMEM:
        return CMI5_ERR_NOMEM;
    case SCORM_ERR_NOTFOUND:
        return CMI5_ERR_NOTFOUND;
    case SCORM_ERR_IO:
        return CMI5_ERR_IO;
    default:
        return CMI5_ERR_STORE;
    }
}

int cmi5__content_stage(struct cmi5 *c, const char *tmpdir, struct scorm__content_stage **out)
{
    struct scorm_diag sd;
    memset(&sd, 0, sizeof sd);
    return from_scorm(scorm__content_stage_open(c->db, tmpdir, out, &sd));
}

/* a cmi5__txn_fn: the package's rows in the course record's transaction */
int cmi5__content_place(struct stmt_db_txn *txn, void *ctx)
{
    struct cmi5__content_place_ctx *p = ctx;
    struct scorm_diag sd;
    char key[SCORM_MAX_COURSE_ID + 8];
    int rc;
    memset(&sd, 0, sizeof sd);
    if (content_course(p->id, key))
        return CMI5_ERR_ARG;
    rc = scorm__content_stage_place(p->stage, txn, key, CMI5_CONTENT_VERSION, &sd);
    if (rc && scorm__content_stage_full(p->stage))
        return STMT_DB_ERR_FULL; /* cmi5__save_fn retries */
    return from_scorm(rc);
}

/* a cmi5__txn_fn: the package's rows go in the course delete's transaction */
int cmi5__content_drop(struct stmt_db_txn *txn, void *ctx)
{
    struct cmi5 *c = ((struct cmi5__content_place_ctx *)ctx)->c;
    struct scorm__content_drop *d = NULL;
    char key[SCORM_MAX_COURSE_ID + 8];
    int rc;
    if (content_course(((struct cmi5__content_place_ctx *)ctx)->id, key))
        return CMI5_ERR_ARG;
    rc = scorm__content_drop(c->db, txn, key, CMI5_CONTENT_VERSION, &d);
    scorm__content_drop_end(d, 1); /* NULL in the database */
    return from_scorm(rc);
}

/* On disk: DATA/cmi5/<course>/<path>, resolving inside the course's folder, a regular file. */
static int files_open(struct cmi5 *c, const char *id, const char *path, struct scorm_content *h)
{
    struct {
        char base[PATH_MAX], full[PATH_MAX], rbase[PATH_MAX], rfull[PATH_MAX];
    } *pb = sc_malloc(sizeof *pb); /* 16 KiB: worker stacks are small */
    struct stat st;
    int rc = CMI5_ERR_NOTFOUND;
    size_t bl;
    if (!pb)
        return CMI5_ERR_NOMEM;
    if (cmi5__dir(c, id, pb->base, PATH_MAX) ||
        (size_t)snprintf(pb->full, PATH_MAX, "%s/%s", pb->base, path) >= PATH_MAX ||
        !realpath(pb->base, pb->rbase) || !realpath(pb->full, pb->rfull))
        goto out;
    bl = strlen(pb->rbase);
    if (strncmp(pb->rfull, pb->rbase, bl) != 0 || pb->rfull[bl] != '/')
        goto out;
    h->fd = open(pb->rfull, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (h->fd < 0) {
        rc = errno == ENOENT || errno == ELOOP ? CMI5_ERR_NOTFOUND : CMI5_ERR_IO;
        goto out;
    }
    if (fstat(h->fd, &st) != 0 || !S_ISREG(st.st_mode))
        goto out; /* scorm_content_close closes fd */
    h->size = (uint64_t)st.st_size;
    h->type = scorm_content_mime(path);
    /* strong ETag (RFC 9110 8.8.3): package files are never modified after the import */
    snprintf(h->etag, sizeof h->etag, "\"f-%llx-%llx-%llx.%lx\"", (unsigned long long)st.st_ino,
             (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
             (unsigned long)st.st_mtim.tv_nsec);
    rc = CMI5_OK;
out:
    sc_free(pb);
    return rc;
}

int cmi5_content_open(struct cmi5 *c, const char *id, const char *path, struct scorm_content **out)
{
    struct scorm_content *h;
    char key[SCORM_MAX_COURSE_ID + 8];
    int rc;
    *out = NULL;
    if (!id || content_course(id, key) || !path || !scorm_content_path_ok(path) ||
        !cmi5_course_exists(c, id))
        return CMI5_ERR_NOTFOUND;
    h = sc_calloc(1, sizeof *h);
    if (!h)
        return CMI5_ERR_NOMEM;
    h->db = c->db;
    h->fd = -1;
    rc = cmi5__content_in_db(c)
             ? from_scorm(scorm__cdb_open(c->db, key, CMI5_CONTENT_VERSION, path, h))
             : files_open(c, id, path, h);
    if (rc) {
        scorm_content_close(h);
        return rc;
    }
    *out = h;
    return CMI5_OK;
}
