/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Course content between the two backends for `scolar copy-store` (issue 19, lrs/cmd_copy.c):
 * an LMDB data directory keeps the files of a version in DATA/content/<course>/<version>/, a
 * PostgreSQL store keeps them as rows (content, blob, blob_chunk; scorm_content_db.c). Copying
 * rows table by table cannot move content from one form to the other, so copy-store converts
 * it a version at a time with the import's own code:
 *
 *   - into PostgreSQL: the version folder is hashed and placed exactly as an import's extracted
 *     folder (scorm__cdb_place: blobs deduplicated by SHA-256, reference counts, chunks), in one
 *     write transaction that first drops rows of the version left by an earlier try (--resume);
 *   - into LMDB: every file of the version is read through scorm_content_open into a .tmp-*
 *     folder of the target's content directory, which then takes the version's place with one
 *     rename (a folder left by an earlier try is replaced), as an import places its folder.
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

#include "common/sc_alloc.h"
#include "statements/stmt_db.h"

int scorm_content_is_table(const char *table)
{
    /* blob_pending: imports in progress on PostgreSQL (scorm_content_pre.c); the files of
     * committed versions are converted, an import's pending chunks are not content */
    return !strcmp(table, SCORM__T_CONTENT) || !strcmp(table, SCORM__T_BLOB) ||
           !strcmp(table, SCORM__T_CHUNK) || !strcmp(table, SCORM__T_PENDING);
}

/* ---- the versions that have content ------------------------------------------------------- */

struct vlist {
    struct {
        char course[80];
        int version;
    } * v;
    size_t n, cap;
    int nomem;
};

static int vlist_add(struct vlist *l, const char *course, size_t clen, int version)
{
    if (clen >= sizeof l->v[0].course)
        return 0; /* not a course id (scorm__course_id_valid: at most 64 bytes) */
    if (l->n && l->v[l->n - 1].version == version && strlen(l->v[l->n - 1].course) == clen &&
        !memcmp(l->v[l->n - 1].course, course, clen))
        return 0; /* the next file of the same version (rows come in key order) */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        void *nv = sc_realloc(l->v, cap * sizeof *l->v);
        if (!nv) {
            l->nomem = 1;
            return -1;
        }
        l->v = nv;
        l->cap = cap;
    }
    memcpy(l->v[l->n].course, course, clen);
    l->v[l->n].course[clen] = 0;
    l->v[l->n].version = version;
    l->n++;
    return 0;
}

/* content keys are "<course>\x1f<version>\x1f<path>" (scorm_content_db.c) */
static int rows_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    const char *k = key, *s1 = memchr(k, 0x1f, klen), *s2;
    long v = 0;
    (void)val, (void)vlen;
    if (!s1)
        return 0;
    s2 = memchr(s1 + 1, 0x1f, klen - (size_t)(s1 + 1 - k));
    if (!s2)
        return 0;
    for (const char *p = s1 + 1; p < s2 && v < 1000000000; p++)
        v = *p >= '0' && *p <= '9' ? v * 10 + (*p - '0') : -1000000000;
    /* SCORM courses only: a cmi5 package's rows ("cmi5:<course>", cmi5_content.c) are
     * converted with the cmi5 course records (cmi5_content_convert) */
    if (v <= 0 || memchr(k, ':', (size_t)(s1 - k)))
        return 0;
    return vlist_add(ctx, k, (size_t)(s1 - k), (int)v);
}

static int folders_list(struct stmt_db *db, struct vlist *l)
{
    char root[4096], cdir[4400];
    DIR *d, *cd;
    struct dirent *de, *ve;
    if (scorm__content_dir(db, root, sizeof root, NULL, NULL) != 0)
        return SCORM_ERR_IO;
    if (!(d = opendir(root)))
        return errno == ENOENT ? SCORM_OK : SCORM_ERR_IO;
    while ((de = readdir(d)) != NULL) {
        if (!scorm__course_id_valid(de->d_name)) /* also skips .tmp-* and .cache */
            continue;
        if ((size_t)snprintf(cdir, sizeof cdir, "%s/%s", root, de->d_name) >= sizeof cdir ||
            !(cd = opendir(cdir)))
            continue;
        while ((ve = readdir(cd)) != NULL) {
            char *end;
            long v = strtol(ve->d_name, &end, 10);
            if (ve->d_name[0] >= '1' && ve->d_name[0] <= '9' && !*end && v > 0 && v < 1000000000 &&
                vlist_add(l, de->d_name, strlen(de->d_name), (int)v))
                break;
        }
        closedir(cd);
        if (l->nomem)
            break;
    }
    closedir(d);
    return l->nomem ? SCORM_ERR_NOMEM : SCORM_OK;
}

int scorm_content_versions(struct stmt_db *db, scorm_content_version_fn fn, void *ctx)
{
    struct vlist l = {0};
    int rc = SCORM_OK;
    if (scorm__content_in_db(db)) {
        struct stmt_db_txn *t = NULL;
        if (stmt_db_txn_begin(db, 0, &t))
            return SCORM_ERR_STORE;
        if (stmt_db_scan(t, SCORM__T_CONTENT, NULL, 0, rows_visit, &l))
            rc = l.nomem ? SCORM_ERR_NOMEM : SCORM_ERR_STORE;
        stmt_db_txn_abort(t);
    } else {
        rc = folders_list(db, &l);
    }
    for (size_t i = 0; rc == SCORM_OK && i < l.n; i++)
        rc = fn(ctx, l.v[i].course, l.v[i].version);
    sc_free(l.v);
    return rc;
}

/* ---- into the database -------------------------------------------------------------------- */

int scorm_content_put_dir(struct stmt_db *db, const char *course, int version, const char *dir,
                          char *err, size_t errlen)
{
    if (!scorm__course_id_valid(course)) {
        snprintf(err, errlen, "%s/%d: not a course version of a database store", course, version);
        return SCORM_ERR_STORE;
    }
    return scorm__content_put_dir(db, course, version, dir, err, errlen);
}

int scorm__content_put_dir(struct stmt_db *db, const char *course, int version, const char *dir,
                           char *err, size_t errlen)
{
    struct scorm_diag diag;
    struct scorm__content_stage *s = NULL;
    struct stmt_db_txn *txn = NULL;
    int rc, dbrc;
    memset(&diag, 0, sizeof diag);
    if (!scorm__content_in_db(db) || !course[0] || version <= 0) {
        snprintf(err, errlen, "%s/%d: not a course version of a database store", course, version);
        return SCORM_ERR_STORE;
    }
    rc = scorm__content_stage_open(db, dir, &s, &diag); /* hashes every file, no transaction */
    if (rc) {
        snprintf(err, errlen, "%s: %s", dir, diag.msg[0] ? diag.msg : "cannot read the folder");
        return rc;
    }
    if ((dbrc = stmt_db_txn_begin(db, 1, &txn)) != 0) {
        snprintf(err, errlen, "%s/%d: %s", course, version, stmt_db_strerror(dbrc));
        scorm__content_stage_end(s, 0);
        return SCORM_ERR_STORE;
    }
    rc = scorm__cdb_drop(txn, course, version, NULL); /* rows of an earlier try (--resume) */
    if (rc == SCORM_OK)
        rc = scorm__cdb_place(s, txn, course, version, &diag);
    if (rc == SCORM_OK) {
        dbrc = stmt_db_txn_commit(txn); /* frees it, also on failure */
        txn = NULL;
        if (dbrc) {
            snprintf(err, errlen, "%s/%d: %s", course, version, stmt_db_strerror(dbrc));
            rc = SCORM_ERR_STORE;
        }
    } else {
        snprintf(err, errlen, "%s/%d: %s", course, version,
                 diag.msg[0] ? diag.msg : "cannot store the files");
    }
    stmt_db_txn_abort(txn);
    scorm__content_stage_end(s, rc == SCORM_OK);
    return rc;
}

/* ---- into a data directory ---------------------------------------------------------------- */

struct paths {
    char **p;
    size_t n, cap;
    int nomem;
    size_t plen;
    const char *prefix;
};

static int paths_visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct paths *ps = ctx;
    cJSON *j;
    const char *path;
    if (klen < ps->plen || memcmp(key, ps->prefix, ps->plen) != 0)
        return 1; /* past the version's rows */
    j = cJSON_ParseWithLength(val, vlen);
    path = cJSON_GetStringValue(cJSON_GetObjectItem(j, "path"));
    if (path && ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64;
        char **np = sc_realloc(ps->p, cap * sizeof *np);
        if (np) {
            ps->p = np;
            ps->cap = cap;
        }
    }
    if (!path || ps->n == ps->cap || !(ps->p[ps->n] = sc_strdup(path))) {
        ps->nomem = 1; /* or a row without its path: `scolar check` names it */
        cJSON_Delete(j);
        return -1;
    }
    ps->n++;
    cJSON_Delete(j);
    return 0;
}

/* Write one file of the version below tmp (its folders created as needed). */
static int export_file(struct stmt_db *from, const char *course, int version, const char *tmp,
                       const char *path, unsigned char *buf, char *err, size_t errlen)
{
    char full[8192];
    struct scorm_content *c = NULL;
    uint64_t off = 0;
    int fd, rc;
    if (!scorm_content_path_ok(path) ||
        (size_t)snprintf(full, sizeof full, "%s/%s", tmp, path) >= sizeof full) {
        snprintf(err, errlen, "%s/%d: the stored path %.200s is not a package path", course,
                 version, path);
        return SCORM_ERR_STORE;
    }
    for (char *s = full + strlen(tmp) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = 0;
        rc = mkdir(full, 0755) != 0 && errno != EEXIST;
        *s = '/';
        if (rc)
            goto io;
    }
    if ((rc = scorm__content_open_as(from, course, version, NULL, path, &c)) != 0) {
        snprintf(err, errlen, "%s/%d/%.200s: cannot read the stored file (%d)", course, version,
                 path, rc);
        return rc;
    }
    fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        scorm_content_close(c);
        goto io;
    }
    while (off < scorm_content_size(c)) {
        size_t got = 0, done = 0;
        if ((rc = scorm_content_read(c, off, buf, SCORM_CONTENT_CHUNK, &got)) != 0 || !got) {
            snprintf(err, errlen, "%s/%d/%.200s: cannot read the stored file (%d)", course, version,
                     path, rc);
            close(fd);
            scorm_content_close(c);
            return rc ? rc : SCORM_ERR_STORE;
        }
        while (done < got) {
            ssize_t w = write(fd, buf + done, got - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                close(fd);
                scorm_content_close(c);
                goto io;
            }
            done += (size_t)w;
        }
        off += got;
    }
    scorm_content_close(c);
    if (fsync(fd) != 0 || close(fd) != 0)
        goto io;
    return SCORM_OK;
io:
    snprintf(err, errlen, "%.300s: %s", full, strerror(errno));
    return SCORM_ERR_IO;
}

/* The file list of (course, version) on `from`, then each file below tmp; tmp then takes dest's
 * place with one rename (a folder left there by an earlier try is replaced), and dest's parent
 * is synced. tmp is removed on failure. */
int scorm__content_export_dir(struct stmt_db *from, const char *course, int version,
                              const char *tmp, const char *dest, char *err, size_t errlen)
{
    char parent[4096];
    unsigned char prefix[STMT_DB_MAX_KEY];
    struct paths ps = {0};
    struct stmt_db_txn *t = NULL;
    unsigned char *buf = NULL;
    char *slash;
    int rc = SCORM_OK, n;

    n = snprintf((char *)prefix, sizeof prefix, "%s\x1f%d\x1f", course, version);
    if (n < 0 || (size_t)n >= sizeof prefix ||
        (size_t)snprintf(parent, sizeof parent, "%s", dest) >= sizeof parent ||
        !(slash = strrchr(parent, '/'))) {
        snprintf(err, errlen, "%s/%d: key or folder too long", course, version);
        rc = SCORM_ERR_STORE;
        goto out;
    }
    *slash = 0;
    ps.prefix = (const char *)prefix;
    ps.plen = (size_t)n;
    if (stmt_db_txn_begin(from, 0, &t) ||
        stmt_db_scan(t, SCORM__T_CONTENT, prefix, ps.plen, paths_visit, &ps) < 0)
        rc = ps.nomem ? SCORM_ERR_NOMEM : SCORM_ERR_STORE;
    stmt_db_txn_abort(t);
    if (rc) {
        snprintf(err, errlen, "%s/%d: cannot list the stored files", course, version);
        goto out;
    }
    if (!(buf = sc_malloc(SCORM_CONTENT_CHUNK))) {
        rc = SCORM_ERR_NOMEM;
        snprintf(err, errlen, "out of memory");
    }
    for (size_t i = 0; rc == SCORM_OK && i < ps.n; i++)
        rc = export_file(from, course, version, tmp, ps.p[i], buf, err, errlen);
    if (rc == SCORM_OK && mkdir(parent, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %.300s: %s", parent, strerror(errno));
        rc = SCORM_ERR_IO;
    }
    if (rc == SCORM_OK) {
        int r = renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE);
        if (r != 0 && (errno == EEXIST || errno == ENOTEMPTY)) {
            scorm__rm_rf(dest); /* placed by an earlier try (--resume): the same files */
            r = renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE);
        }
        if (r != 0) {
            snprintf(err, errlen, "cannot rename into %.300s: %s", dest, strerror(errno));
            rc = SCORM_ERR_IO;
        }
    }
    if (rc == SCORM_OK) {
        int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) {
            snprintf(err, errlen, "%.300s: %s", parent, strerror(errno));
            rc = SCORM_ERR_IO;
        }
        if (fd >= 0)
            close(fd);
    }
out:
    if (rc != SCORM_OK)
        scorm__rm_rf(tmp);
    for (size_t i = 0; i < ps.n; i++)
        sc_free(ps.p[i]);
    sc_free(ps.p);
    sc_free(buf);
    return rc;
}

int scorm_content_export(struct stmt_db *from, const char *course, int version, struct stmt_db *to,
                         char *err, size_t errlen)
{
    char tmp[4096], dest[4096], vname[16];
    int rc;

    if (!scorm__content_in_db(from) || scorm__content_in_db(to) ||
        !scorm__course_id_valid(course) || version <= 0) {
        snprintf(err, errlen, "%s/%d: not a copy from a database store into a data directory",
                 course, version);
        return SCORM_ERR_STORE;
    }
    snprintf(vname, sizeof vname, "%d", version);
    if ((rc = scorm__content_dir(to, dest, sizeof dest, course, vname)) != 0 ||
        (rc = scorm__content_tmp(to, tmp, sizeof tmp, NULL)) != 0) {
        snprintf(err, errlen, "%s/%d: cannot create a folder in the target's content directory",
                 course, version);
        return rc;
    }
    return scorm__content_export_dir(from, course, version, tmp, dest, err, errlen);
}
