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
 *
 * Reading on disk is scorm_content.c's confined open (scorm__content_open_file) with the
 * course's folder as base. `scolar copy-store` between the two backends converts the files
 * with scorm_content_copy.c's code under the cmi5 key (cmi5_content_convert).
 */
#include "scorm/cmi5_int.h"
#include "scorm/scorm_content_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sc_alloc.h"
#include "common/sc_rand.h"
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
    struct cmi5__content_place_ctx *p = ctx;
    char key[SCORM_MAX_COURSE_ID + 8];
    if (content_course(p->id, key))
        return CMI5_ERR_ARG;
    scorm__content_drop_end(p->drop, 0); /* an earlier try of the transaction (it was retried) */
    p->drop = NULL;
    /* the freed blobs' entries of this node's cache go when the caller ends it after the commit */
    return from_scorm(scorm__content_drop(p->c->db, txn, key, CMI5_CONTENT_VERSION, &p->drop));
}

void cmi5__content_cleanup(struct cmi5 *c)
{
    char dir[4096], p[4400];
    DIR *d;
    struct dirent *de;
    /* PostgreSQL: imports extract into DATA/content/.tmp-*, which scorm_import_cleanup empties */
    if (cmi5__content_in_db(c) || cmi5__dir(c, NULL, dir, sizeof dir) || !(d = opendir(dir)))
        return;
    while ((de = readdir(d)) != NULL)
        if (!strncmp(de->d_name, ".tmp-", 5) &&
            (size_t)snprintf(p, sizeof p, "%s/%s", dir, de->d_name) < sizeof p)
            cmi5__rm_rf(p); /* an import a crash interrupted (its record never committed) */
    closedir(d);
}

int cmi5_content_open(struct cmi5 *c, const char *id, const char *path, struct scorm_content **out)
{
    char key[SCORM_MAX_COURSE_ID + 8], base[4096];
    *out = NULL;
    if (!id || content_course(id, key) || !path || !scorm_content_path_ok(path) ||
        !cmi5_course_exists(c, id))
        return CMI5_ERR_NOTFOUND;
    if (cmi5__content_in_db(c))
        return from_scorm(
            scorm__content_open_as(c->db, key, CMI5_CONTENT_VERSION, NULL, path, out));
    /* on disk: DATA/cmi5/<course>/<path>, resolving inside the course's folder, a regular file */
    if (cmi5__dir(c, id, base, sizeof base))
        return CMI5_ERR_NOTFOUND;
    return from_scorm(scorm__content_open_as(c->db, key, CMI5_CONTENT_VERSION, base, path, out));
}

/* ---- `scolar copy-store` between the backends (lrs/cmd_copy.c) --------------------------- */

struct pkg_list {
    char (*id)[SCORM_MAX_COURSE_ID + 1];
    size_t n, cap;
    int nomem;
    char bad[SCORM_MAX_COURSE_ID + 1]; /* a record that is not JSON */
};

/* a course record with "package": true has files (cmi5_course_import) */
static int pkg_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct pkg_list *l = ctx;
    cJSON *j;
    int pkg;
    if (klen > SCORM_MAX_COURSE_ID)
        return 0; /* not a course id: scolar check names such a key */
    j = cJSON_ParseWithLength(val, vlen);
    if (!j) { /* not JSON (or no memory): the copy stops, naming it */
        memcpy(l->bad, key, klen);
        l->bad[klen] = 0;
        return -1;
    }
    pkg = cJSON_IsTrue(cJSON_GetObjectItem(j, "package"));
    cJSON_Delete(j);
    if (!pkg)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *nv = sc_realloc(l->id, cap * sizeof *l->id);
        if (!nv) {
            l->nomem = 1;
            return -1;
        }
        l->id = nv;
        l->cap = cap;
    }
    memcpy(l->id[l->n], key, klen);
    l->id[l->n][klen] = 0;
    l->n++;
    return 0;
}

/* DATA/cmi5 of an LMDB store (or its course folder) */
static int files_dir(struct stmt_db *db, const char *id, char *out, size_t len)
{
    int n = id ? snprintf(out, len, "%s/cmi5/%s", stmt_db_dir(db), id)
               : snprintf(out, len, "%s/cmi5", stmt_db_dir(db));
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* PostgreSQL -> LMDB: the rows of one course into DATA/cmi5/.tmp-*, renamed to DATA/cmi5/<id> */
static int export_course(struct stmt_db *from, struct stmt_db *to, const char *id, const char *key,
                         char *err, size_t errlen)
{
    char root[4096], tmp[4200], dest[4200], hex[17];
    unsigned char rnd[8];
    if (files_dir(to, NULL, root, sizeof root) || files_dir(to, id, dest, sizeof dest) ||
        sc_random_bytes(rnd, sizeof rnd)) {
        snprintf(err, errlen, "cmi5 course %s: folder name too long", id);
        return SCORM_ERR_IO;
    }
    sc_hex(rnd, sizeof rnd, hex);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s", root, hex);
    if ((mkdir(root, 0755) != 0 && errno != EEXIST) || mkdir(tmp, 0755) != 0) {
        snprintf(err, errlen, "cannot create %.300s: %s", tmp, strerror(errno));
        return SCORM_ERR_IO;
    }
    return scorm__content_export_dir(from, key, CMI5_CONTENT_VERSION, tmp, dest, err, errlen);
}

int cmi5_content_convert(struct stmt_db *from, struct stmt_db *to, size_t *courses, char *err,
                         size_t errlen)
{
    struct pkg_list l = {0};
    struct stmt_db_txn *t = NULL;
    int rc = SCORM_OK, into_db = scorm__content_in_db(to);
    *courses = 0;
    if (scorm__content_in_db(from) == into_db) {
        snprintf(err, errlen, "cmi5 package files are converted between the two backends only");
        return CMI5_ERR_ARG;
    }
    if (stmt_db_txn_begin(from, 0, &t) || stmt_db_scan(t, CMI5_T_COURSES, NULL, 0, pkg_visit, &l))
        rc = l.nomem ? SCORM_ERR_NOMEM : SCORM_ERR_STORE;
    stmt_db_txn_abort(t);
    if (rc && l.bad[0])
        snprintf(
            err, errlen,
            "cmi5 course record %s of the source: cannot parse it (not JSON, or out of memory)",
            l.bad);
    else if (rc)
        snprintf(err, errlen, "cannot list the cmi5 courses of the source");
    for (size_t i = 0; rc == SCORM_OK && i < l.n; i++) {
        char key[SCORM_MAX_COURSE_ID + 8], dir[4200];
        struct stat st;
        if (content_course(l.id[i], key)) {
            snprintf(err, errlen, "cmi5 course record %.100s: not a course id", l.id[i]);
            rc = SCORM_ERR_STORE;
        } else if (!into_db) {
            rc = export_course(from, to, l.id[i], key, err, errlen);
        } else if (files_dir(from, l.id[i], dir, sizeof dir) || stat(dir, &st) != 0 ||
                   !S_ISDIR(st.st_mode)) {
            /* a package course without its files: the source is damaged, say which */
            snprintf(err, errlen, "cmi5 course %s: its package folder %.300s is missing", l.id[i],
                     dir);
            rc = SCORM_ERR_IO;
        } else {
            /* one write transaction per course, replacing rows of an earlier try (--resume) */
            rc = scorm__content_put_dir(to, key, CMI5_CONTENT_VERSION, dir, err, errlen);
        }
        if (rc == SCORM_OK)
            (*courses)++;
    }
    sc_free(l.id);
    return from_scorm(rc);
}
