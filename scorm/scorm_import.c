/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Package import, all or nothing (issue 5 "Store", security.md §5.2):
 *
 *   1. a fresh DATA/content/.tmp-<random>/ folder;
 *   2. in a worker process with rlimits (RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_AS; it never touches
 *      the LMDB environment, which forbids use after fork): zip checks, manifest parse, tree
 *      checks, extraction into the temp folder; the result (tree, warnings) comes back as
 *      JSON over a pipe (scorm_import_worker.c);
 *   3. in the parent, one write transaction: the next version number is read, the files are
 *      placed (scorm_content.c: on an LMDB store the temp folder is renamed, renameat2
 *      RENAME_NOREPLACE, to DATA/content/<course>/<n>/; on PostgreSQL they were hashed, and
 *      the chunks of new blobs written, before the transaction in short transactions of their
 *      own, scorm_content_pre.c, so the write lock of every node is not held for the package's
 *      bytes; in it they become content rows and blob references, scorm_content_db.c),
 *      the course and version records are written and committed. A failure anywhere removes
 *      the folder and leaves no row; a crash leaves a .tmp-* folder or a version folder
 *      without record, which scorm_import_cleanup() removes at the next start (and on
 *      PostgreSQL blobs written before the transaction, once older than an hour).
 */
#include "scorm/scorm_int.h"
#include "scorm/scorm_content_int.h" /* the collection of blobs left by a crash */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"

const char *scorm_strerror(int code)
{
    switch (code) {
    case SCORM_OK:
        return "success";
    case SCORM_ERR_NOMEM:
        return "out of memory";
    case SCORM_ERR_IO:
        return "file system error";
    case SCORM_ERR_ARG:
        return "invalid argument";
    case SCORM_ERR_ZIP:
        return "not a valid zip archive";
    case SCORM_ERR_ZIP_EMPTY:
        return "the zip archive is empty";
    case SCORM_ERR_ZIP_NAME:
        return "unsafe zip entry name";
    case SCORM_ERR_ZIP_TYPE:
        return "zip entry is not a regular file or directory";
    case SCORM_ERR_ZIP_DUP:
        return "duplicate zip entry";
    case SCORM_ERR_ZIP_ENCRYPTED:
        return "encrypted zip entry";
    case SCORM_ERR_ZIP_LIMIT:
        return "zip size or entry limit exceeded";
    case SCORM_ERR_ZIP_RATIO:
        return "compression ratio limit exceeded (zip bomb)";
    case SCORM_ERR_NO_MANIFEST:
        return "no imsmanifest.xml in the package";
    case SCORM_ERR_MANIFEST_SIZE:
        return "imsmanifest.xml is too large";
    case SCORM_ERR_XML:
        return "imsmanifest.xml is not well-formed XML";
    case SCORM_ERR_XML_DOCTYPE:
        return "DOCTYPE or entity declaration refused";
    case SCORM_ERR_XML_ENCODING:
        return "unsupported manifest encoding";
    case SCORM_ERR_XML_LIMIT:
        return "manifest too deep or too many nodes";
    case SCORM_ERR_MANIFEST:
        return "invalid manifest structure";
    case SCORM_ERR_RESOURCE_MISSING:
        return "reference to a missing resource";
    case SCORM_ERR_HREF:
        return "href outside the package or with a forbidden scheme";
    case SCORM_ERR_LAUNCH_MISSING:
        return "launch file missing from the package";
    case SCORM_ERR_NO_LAUNCH:
        return "no launchable item";
    case SCORM_ERR_NOTFOUND:
        return "course not found";
    case SCORM_ERR_STORE:
        return "store failure";
    case SCORM_ERR_CHILD:
        return "the import process failed";
    case SCORM_ERR_EXISTS:
        return "a course with this id exists";
    case SCORM_ERR_IN_USE:
        return "the course has registrations";
    default:
        return "unknown error";
    }
}

void scorm__diag_set(struct scorm_diag *d, int code, int line, const char *file, const char *fmt,
                     ...)
{
    va_list ap;
    if (!d)
        return;
    d->code = code;
    d->line = line;
    snprintf(d->file, sizeof d->file, "%s", file ? file : "");
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

void scorm__warn(cJSON *warnings, const char *fmt, ...)
{
    char buf[768];
    va_list ap;
    if (!warnings || cJSON_GetArraySize(warnings) >= 1000)
        return; /* a hostile manifest must not grow the report without bound */
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(warnings, cJSON_CreateString(buf));
}

void scorm__opts_fill(struct scorm_import_opts *dst, const struct scorm_import_opts *src)
{
    if (src)
        *dst = *src;
    else
        memset(dst, 0, sizeof *dst);
    if (!dst->max_zip_bytes)
        dst->max_zip_bytes = SCORM_MAX_ZIP_BYTES;
    if (!dst->max_entries)
        dst->max_entries = SCORM_MAX_ENTRIES;
    if (!dst->max_total_bytes)
        dst->max_total_bytes = SCORM_MAX_TOTAL_BYTES;
    if (!dst->max_entry_bytes)
        dst->max_entry_bytes = SCORM_MAX_ENTRY_BYTES;
    if (!dst->max_ratio)
        dst->max_ratio = SCORM_MAX_RATIO;
    if (!dst->max_manifest_bytes)
        dst->max_manifest_bytes = SCORM_MAX_MANIFEST_BYTES;
}

/* ---- commit ----------------------------------------------------------------------------- */

static int put_json(struct stmt_db_txn *txn, const char *table, const char *key, cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    int rc;
    if (!s)
        return STMT_DB_ERR_NOMEM;
    rc = stmt_db_put(txn, table, key, strlen(key), s, strlen(s), 0);
    cJSON_free(s);
    return rc;
}

/* Candidate n (1, 2, ...) of a fresh course id from `base`: base itself, then base cut to
 * leave room for "-n" (issue 13: never a truncation into another course's id). */
static void id_candidate(const char *base, int n, char out[SCORM_MAX_COURSE_ID + 1])
{
    char suffix[16];
    size_t bl = strlen(base), sl;
    if (n <= 1) {
        snprintf(out, SCORM_MAX_COURSE_ID + 1, "%s", base);
        return;
    }
    if (n <= 1000) {
        snprintf(suffix, sizeof suffix, "-%d", n);
    } else { /* a thousand taken: a random suffix */
        unsigned char rnd[4];
        char hex[9];
        if (sc_random_bytes(rnd, sizeof rnd))
            memset(rnd, n & 0xff, sizeof rnd);
        sc_hex(rnd, sizeof rnd, hex);
        snprintf(suffix, sizeof suffix, "-%s", hex);
    }
    sl = strlen(suffix);
    if (bl + sl > SCORM_MAX_COURSE_ID)
        bl = SCORM_MAX_COURSE_ID - sl;
    snprintf(out, SCORM_MAX_COURSE_ID + 1, "%.*s%s", (int)bl, base, suffix);
}

/* The course record of `id` in txn for this import. existing 2: a NEW course, and id (in/out)
 * becomes the first free candidate of itself; 1: must exist; -1: must not; 0: either. A new
 * course's record is made (*out). */
static int resolve_course(struct stmt_db_txn *txn, char id[SCORM_MAX_COURSE_ID + 1], int existing,
                          const char *iso, cJSON **out)
{
    char base[SCORM_MAX_COURSE_ID + 1];
    cJSON *course = NULL;
    int rc;
    snprintf(base, sizeof base, "%s", id);
    for (int n = 1;; n++) {
        if (existing == 2)
            id_candidate(base, n, id);
        rc = scorm__course_get_txn(txn, id, &course);
        if (rc != SCORM_OK || existing != 2)
            break;
        cJSON_Delete(course); /* taken: next candidate */
        course = NULL;
        if (n > 1100)
            return SCORM_ERR_EXISTS;
    }
    if (rc == SCORM_OK && existing == -1) {
        cJSON_Delete(course);
        return SCORM_ERR_EXISTS;
    }
    if (rc == SCORM_ERR_NOTFOUND && existing != 1) {
        course = cJSON_CreateObject();
        if (!course || !cJSON_AddStringToObject(course, "id", id) ||
            !cJSON_AddStringToObject(course, "created", iso) ||
            !cJSON_AddArrayToObject(course, "versions")) {
            cJSON_Delete(course);
            return SCORM_ERR_NOMEM;
        }
        rc = SCORM_OK;
    }
    if (rc == SCORM_OK)
        *out = course;
    return rc;
}

/* One write transaction: the course id (a fresh one for a new course), next version, rename
 * into place, records, commit. id is in/out. */
static int commit_import(struct stmt_db *db, char id[SCORM_MAX_COURSE_ID + 1], int existing,
                         struct scorm__content_stage *stage, cJSON *work, int *out_version,
                         struct scorm_diag *diag, struct stmt_store *events)
{
    char vkey[SCORM_MAX_COURSE_ID + 32], iso[SC_TIME_ISO_LEN];
    int rc = SCORM_OK, version = 0;
    struct stmt_db_txn *txn = NULL;
    cJSON *course = NULL, *ver = NULL, *tree = cJSON_GetObjectItem(work, "tree");

    char base[SCORM_MAX_COURSE_ID + 1];
    long failures0 = sc_alloc_failures(); /* the records' cJSON calls are not checked one by one */

    sc_time_format_iso(sc_time_now_us(), 3, iso);
    snprintf(base, sizeof base, "%s", id);
    for (int attempt = 0; attempt < 4; attempt++) {
        int r = stmt_db_txn_begin(db, 1, &txn);
        if (r) {
            scorm__diag_set(diag, SCORM_ERR_STORE, 0, "", "begin: %s", stmt_db_strerror(r));
            rc = SCORM_ERR_STORE;
            goto out;
        }
        cJSON_Delete(course);
        course = NULL;
        /* the id is chosen inside the write transaction: two imports of one identifier at
         * once still get two courses */
        snprintf(id, SCORM_MAX_COURSE_ID + 1, "%s", base);
        rc = resolve_course(txn, id, existing, iso, &course);
        if (rc == SCORM_ERR_NOTFOUND)
            scorm__diag_set(diag, rc, 0, "", "no course %s to add a version to", id);
        else if (rc == SCORM_ERR_EXISTS)
            scorm__diag_set(diag, rc, 0, "", "a course with the id %s exists", id);
        if (rc)
            goto out;
        int maxv = 0;
        cJSON *v;
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(course, "versions"))
        {
            if ((int)cJSON_GetNumberValue(v) > maxv)
                maxv = (int)cJSON_GetNumberValue(v);
        }
        version = maxv + 1;
        /* the files: a folder renamed into DATA/content/<id>/<n>/ (LMDB), or the content,
         * blob and chunk rows of this transaction (PostgreSQL; scorm_content.h) */
        rc = scorm__content_stage_place(stage, txn, id, version, diag);
        if (rc && scorm__content_stage_full(stage)) {
            stmt_db_txn_abort(txn); /* the map grows at the next begin */
            txn = NULL;
            rc = SCORM_OK;
            continue;
        }
        if (rc)
            goto out;
        cJSON_DeleteItemFromObject(course, "title");
        cJSON_AddStringToObject(course, "title",
                                cJSON_GetStringValue(cJSON_GetObjectItem(tree, "title")));
        cJSON_DeleteItemFromObject(course, "scorm_version");
        cJSON_AddStringToObject(course, "scorm_version",
                                cJSON_GetStringValue(cJSON_GetObjectItem(tree, "version")));
        cJSON_DeleteItemFromObject(course, "current");
        cJSON_AddNumberToObject(course, "current", version);
        cJSON_DeleteItemFromObject(course, "updated");
        cJSON_AddStringToObject(course, "updated", iso);
        cJSON_DeleteItemFromObject(course, "scos"); /* the console's list reads it here */
        cJSON_AddNumberToObject(course, "scos",
                                cJSON_GetNumberValue(cJSON_GetObjectItem(work, "scos")));
        cJSON_AddItemToArray(cJSON_GetObjectItem(course, "versions"), cJSON_CreateNumber(version));

        cJSON_Delete(ver);
        ver = cJSON_CreateObject();
        if (!ver) {
            rc = SCORM_ERR_NOMEM;
            goto out;
        }
        cJSON_AddStringToObject(ver, "course", id);
        cJSON_AddNumberToObject(ver, "version", version);
        {
            char rel[SCORM_MAX_COURSE_ID + 32];
            snprintf(rel, sizeof rel, "content/%s/%d", id, version);
            cJSON_AddStringToObject(ver, "path", rel);
        }
        cJSON_AddStringToObject(ver, "imported", iso);
        cJSON *rep = cJSON_AddObjectToObject(ver, "report");
        if (rep) {
            cJSON_AddNumberToObject(rep, "scos",
                                    cJSON_GetNumberValue(cJSON_GetObjectItem(work, "scos")));
            cJSON_AddNumberToObject(rep, "files",
                                    cJSON_GetNumberValue(cJSON_GetObjectItem(work, "files")));
            cJSON_AddNumberToObject(rep, "bytes",
                                    cJSON_GetNumberValue(cJSON_GetObjectItem(work, "bytes")));
        }
        /* references: the work object keeps ownership of tree and warnings */
        if (scorm__add_ref(ver, "tree", tree) ||
            scorm__add_ref(ver, "warnings", cJSON_GetObjectItem(work, "warnings")))
            r = STMT_DB_ERR_NOMEM; /* never a version record without its tree */
        scorm__version_key(vkey, sizeof vkey, id, version);
        if (r == 0)
            r = put_json(txn, "course_versions", vkey, ver);
        if (r == 0)
            r = put_json(txn, "courses", id, course);
        if (r == 0 && scorm__import_event(events, txn, course, version)) /* webhooks (issue 17) */
            r = STMT_DB_ERR_IO;
        if (r == 0 && sc_alloc_failures() != failures0)
            r = STMT_DB_ERR_NOMEM; /* a record may lack a member: never committed */
        if (r == 0) {
            r = stmt_db_txn_commit(txn);
            txn = NULL;
        } else {
            stmt_db_txn_abort(txn);
            txn = NULL;
        }
        if (r == STMT_DB_ERR_FULL) {
            /* the map grows at the next begin; the folder moves if the number changed */
            continue;
        }
        if (r) {
            scorm__diag_set(diag, SCORM_ERR_STORE, 0, "", "storing the course: %s",
                            stmt_db_strerror(r));
            rc = SCORM_ERR_STORE;
            goto out;
        }
        *out_version = version;
        goto out;
    }
    scorm__diag_set(diag, SCORM_ERR_STORE, 0, "", "storing the course: the store is full");
    rc = SCORM_ERR_STORE;
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(course);
    cJSON_Delete(ver);
    return rc;
}

int scorm_import_mem(struct stmt_db *db, const void *buf, size_t len,
                     const struct scorm_import_opts *opts, cJSON **result, struct scorm_diag *diag)
{
    struct scorm_import_opts o;
    char tmpdir[4096] = "", id[SCORM_MAX_COURSE_ID + 1];
    cJSON *work = NULL, *res = NULL, *tree;
    struct scorm__content_stage *stage = NULL;
    int rc, version = 0;
    long failures0 = sc_alloc_failures();

    if (diag)
        memset(diag, 0, sizeof *diag);
    scorm__opts_fill(&o, opts);
    if (o.course_id && !scorm__course_id_valid(o.course_id)) {
        scorm__diag_set(diag, SCORM_ERR_ARG, 0, "",
                        "course id '%.64s' must be 1 to %d characters of [A-Za-z0-9._-] not "
                        "starting with '.'",
                        o.course_id, SCORM_MAX_COURSE_ID);
        return SCORM_ERR_ARG;
    }
    if (o.course_id && o.existing) { /* answer a wrong id before the work; commit re-checks */
        struct stmt_db_txn *t = NULL;
        cJSON *c = NULL;
        if (stmt_db_txn_begin(db, 0, &t))
            return SCORM_ERR_STORE;
        rc = scorm__course_get_txn(t, o.course_id, &c);
        stmt_db_txn_abort(t);
        cJSON_Delete(c);
        if (rc == SCORM_OK && o.existing == -1) {
            scorm__diag_set(diag, SCORM_ERR_EXISTS, 0, "", "a course with the id %s exists",
                            o.course_id);
            return SCORM_ERR_EXISTS;
        }
        if (rc == SCORM_ERR_NOTFOUND && o.existing == 1) {
            scorm__diag_set(diag, rc, 0, "", "no course %s to add a version to", o.course_id);
            return rc;
        }
        if (rc != SCORM_OK && rc != SCORM_ERR_NOTFOUND)
            return rc;
    }
    if ((rc = scorm__content_tmp(db, tmpdir, sizeof tmpdir, diag)) != 0) {
        tmpdir[0] = '\0';
        goto out;
    }
    if (o.in_process)
        rc = scorm__import_work(buf, len, &o, tmpdir, &work, diag);
    else
        rc = scorm__import_run_child(buf, len, &o, tmpdir, &work, diag);
    if (rc == SCORM_OK && sc_alloc_failures() != failures0)
        rc = SCORM_ERR_NOMEM; /* in process: the tree may lack a member (sc_alloc.h) */
    if (rc)
        goto out;
    tree = cJSON_GetObjectItem(work, "tree");
    if (o.course_id)
        snprintf(id, sizeof id, "%s", o.course_id);
    else
        scorm__course_id_derive(cJSON_GetStringValue(cJSON_GetObjectItem(tree, "identifier")), id);
    if ((rc = scorm__content_stage_open(db, tmpdir, &stage, diag)) != 0)
        goto out;
    if ((rc = commit_import(db, id, o.course_id ? o.existing : 2, stage, work, &version, diag,
                            o.events)) != 0)
        goto out;
    res = cJSON_CreateObject();
    if (!res) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    cJSON_AddStringToObject(res, "course", id);
    cJSON_AddStringToObject(res, "title", cJSON_GetStringValue(cJSON_GetObjectItem(tree, "title")));
    cJSON_AddStringToObject(res, "version",
                            cJSON_GetStringValue(cJSON_GetObjectItem(tree, "version")));
    cJSON_AddNumberToObject(res, "scos", cJSON_GetNumberValue(cJSON_GetObjectItem(work, "scos")));
    cJSON_AddNumberToObject(res, "course_version", version);
    cJSON_AddItemToObject(res, "warnings", cJSON_DetachItemFromObject(work, "warnings"));
    *result = res;
out:
    scorm__content_stage_end(stage, version > 0); /* version: set once committed */
    if (tmpdir[0])
        scorm__rm_rf(tmpdir); /* on disk, after a successful rename it no longer exists */
    if (rc != SCORM_OK && diag && diag->code == 0)
        scorm__diag_set(diag, rc, 0, "", "%s", scorm_strerror(rc));
    cJSON_Delete(work);
    return rc;
}

int scorm_import_file(struct stmt_db *db, const char *zip_path,
                      const struct scorm_import_opts *opts, cJSON **result, struct scorm_diag *diag)
{
    struct scorm_import_opts o;
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    int fd, rc;

    if (diag)
        memset(diag, 0, sizeof *diag);
    scorm__opts_fill(&o, opts);
    fd = open(zip_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, zip_path, "cannot read %s: %s", zip_path,
                        fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return SCORM_ERR_IO;
    }
    if ((uint64_t)st.st_size > o.max_zip_bytes) {
        close(fd);
        scorm__diag_set(diag, SCORM_ERR_ZIP_LIMIT, 0, zip_path,
                        "the zip is %lld bytes, above the cap of %llu (security.md 5.2)",
                        (long long)st.st_size, (unsigned long long)o.max_zip_bytes);
        return SCORM_ERR_ZIP_LIMIT;
    }
    buf = sc_malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return SCORM_ERR_NOMEM;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    rc = scorm_import_mem(db, buf, got, opts, result, diag);
    sc_free(buf);
    return rc;
}

/* ---- delete and cleanup ----------------------------------------------------------------- */

int scorm_course_delete(struct stmt_db *db, const char *id)
{
    struct stmt_db_txn *txn = NULL;
    cJSON *course = NULL, *v;
    struct scorm__content_drop *drop = NULL;
    char vkey[SCORM_MAX_COURSE_ID + 32];
    int rc;

    if (!scorm__course_id_valid(id))
        return SCORM_ERR_NOTFOUND;
    rc = stmt_db_txn_begin(db, 1, &txn);
    if (rc)
        return rc == STMT_DB_ERR_NOMEM ? SCORM_ERR_NOMEM : SCORM_ERR_STORE;
    rc = scorm__course_get_txn(txn, id, &course);
    if (rc)
        goto out;
    { /* issue 13: refused while registrations exist (counted in the same store) */
        const void *sv;
        size_t svl;
        if (stmt_db_get(txn, "course_stats", id, strlen(id), &sv, &svl) == 0) {
            cJSON *st = cJSON_ParseWithLength(sv, svl);
            int regs = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(st, "registrations"));
            int unread = st == NULL;
            cJSON_Delete(st);
            if (unread) { /* out of memory: never taken for "no registrations" */
                rc = SCORM_ERR_NOMEM;
                goto out;
            }
            if (regs > 0) {
                rc = SCORM_ERR_IN_USE;
                goto out;
            }
        }
        int r = stmt_db_del(txn, "course_stats", id, strlen(id));
        if (r && r != STMT_DB_NOTFOUND) {
            rc = SCORM_ERR_STORE;
            goto out;
        }
    }
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(course, "versions"))
    {
        scorm__version_key(vkey, sizeof vkey, id, (int)cJSON_GetNumberValue(v));
        int r = stmt_db_del(txn, "course_versions", vkey, strlen(vkey));
        if (r && r != STMT_DB_NOTFOUND) {
            rc = SCORM_ERR_STORE;
            goto out;
        }
    }
    if (stmt_db_del(txn, "courses", id, strlen(id)) != 0) {
        rc = SCORM_ERR_STORE;
        goto out;
    }
    /* the files: hidden on disk until the commit (LMDB), or the content rows and the blobs no
     * other course uses, in this transaction (PostgreSQL; scorm_content.h) */
    if ((rc = scorm__content_drop(db, txn, id, 0, &drop)) != 0)
        goto out;
    rc = stmt_db_txn_commit(txn) == 0 ? SCORM_OK : SCORM_ERR_STORE;
    txn = NULL;
    scorm__content_drop_end(drop, rc == SCORM_OK);
out:
    stmt_db_txn_abort(txn);
    cJSON_Delete(course);
    return rc;
}

static int has_version(const cJSON *course, const char *name)
{
    const cJSON *v;
    char *end;
    long n = strtol(name, &end, 10);
    if (*end || end == name)
        return 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(course, "versions"))
    {
        if ((long)cJSON_GetNumberValue(v) == n)
            return 1;
    }
    return 0;
}

int scorm_import_cleanup(struct stmt_db *db)
{
    char cdir[4096], path[4096];
    DIR *d;
    struct dirent *de;
    int rc = SCORM_OK, in_db = scorm__content_in_db(db);

    if (scorm__content_dir(db, cdir, sizeof cdir, NULL, NULL) != 0)
        return SCORM_ERR_IO;
    if (in_db) {
        size_t n = 0;
        scorm__ccache_cleanup(db);
        /* blobs of imports that crashed between their first and last transaction */
        if (scorm__cdb_collect(db, sc_time_now_us() - SCORM__PENDING_GRACE_US, &n) != SCORM_OK)
            rc = SCORM_ERR_STORE;
    }
    d = opendir(cdir);
    if (!d)
        return errno == ENOENT ? SCORM_OK : SCORM_ERR_IO;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (snprintf(path, sizeof path, "%s/%s", cdir, de->d_name) >= (int)sizeof path)
            continue;
        if (strncmp(de->d_name, ".tmp-", 5) == 0) {
            if (scorm__rm_rf(path) != 0)
                rc = SCORM_ERR_IO;
            continue;
        }
        /* with the content in the database, the node's folder holds only .tmp-* folders:
         * anything else (a data directory of an LMDB store given as the node's folder) is
         * not ours to remove, since its courses are not in this store */
        if (in_db || !scorm__course_id_valid(de->d_name))
            continue;
        struct stmt_db_txn *txn = NULL;
        cJSON *course = NULL;
        if (stmt_db_txn_begin(db, 0, &txn) != 0) {
            rc = SCORM_ERR_STORE;
            break;
        }
        int r = scorm__course_get_txn(txn, de->d_name, &course);
        stmt_db_txn_abort(txn);
        if (r == SCORM_ERR_NOTFOUND) {
            scorm__rm_rf(path); /* folder of an import that crashed before its commit */
            continue;
        }
        if (r) {
            rc = r;
            continue;
        }
        DIR *vd = opendir(path);
        struct dirent *ve;
        while (vd && (ve = readdir(vd)) != NULL) {
            char vpath[4096 + 512];
            if (ve->d_name[0] == '.' || has_version(course, ve->d_name))
                continue;
            if (snprintf(vpath, sizeof vpath, "%s/%s", path, ve->d_name) < (int)sizeof vpath)
                scorm__rm_rf(vpath);
        }
        if (vd)
            closedir(vd);
        cJSON_Delete(course);
    }
    closedir(d);
    return rc;
}
