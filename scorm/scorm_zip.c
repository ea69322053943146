/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Safe reading and extraction of SCORM package zips with libzip 1.7.
 *
 * libzip returns raw entry names and does no path checking, so every name goes through the
 * rules of security.md §5.1 (zip slip, CWE-22) before anything is written: no empty, '.', '..'
 * or over-long names, no absolute paths or drive letters, no control characters, valid UTF-8,
 * no duplicates even after case-folding, only regular files and directories, no encryption.
 * Backslash separators (old Windows zippers) are turned into '/' first, with a warning, so a
 * "..\..\x" name meets the same rules. Caps (security.md §5.2): entries, declared and actually
 * inflated bytes (counted while writing: declared sizes are not trusted), per entry, and the
 * compression ratio of entries above 1 MiB. Extraction uses openat/mkdirat component by
 * component with O_NOFOLLOW | O_EXCL under a fresh directory, modes 0644/0755.
 */
#include "scorm/scorm_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sc_alloc.h"

#define MAX_NAME 1024
#define MAX_DEPTH 32
#define COPY_CHUNK (64 * 1024)

int scorm__utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

static char *fold_dup(const char *s)
{
    char *f = sc_strdup(s);
    if (f) {
        for (char *p = f; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
    return f;
}

/*
 * Normalise and check one raw entry name (security.md §5.1). On success *out is the owned
 * normalised name without a trailing '/', *is_dir tells whether the name ended with '/'.
 */
static int name_check(const char *raw, int *backslash, char **out, int *is_dir,
                      struct scorm_diag *diag)
{
    size_t n = strlen(raw);
    char *name = NULL;
    int depth = 0;

    if (n == 0 || n > MAX_NAME) {
        scorm__diag_set(diag, SCORM_ERR_ZIP_NAME, 0, "",
                        "zip entry name is empty or longer than %d bytes (security.md 5.1)",
                        MAX_NAME);
        return SCORM_ERR_ZIP_NAME;
    }
    if (!scorm__utf8_valid(raw, n)) {
        scorm__diag_set(diag, SCORM_ERR_ZIP_NAME, 0, "",
                        "zip entry name is not valid UTF-8 (security.md 5.1)");
        return SCORM_ERR_ZIP_NAME;
    }
    name = sc_strdup(raw);
    if (!name)
        return SCORM_ERR_NOMEM;
    for (char *p = name; *p; p++) {
        if (*p == '\\') {
            *p = '/';
            *backslash = 1;
        }
    }
    *is_dir = 0;
    if (n > 1 && name[n - 1] == '/') {
        name[--n] = '\0';
        *is_dir = 1;
    }
    if (name[0] == '/') {
        scorm__diag_set(diag, SCORM_ERR_ZIP_NAME, 0, raw,
                        "zip entry name is an absolute path (security.md 5.1, CWE-22)");
        sc_free(name);
        return SCORM_ERR_ZIP_NAME;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7F) {
            scorm__diag_set(diag, SCORM_ERR_ZIP_NAME, 0, "",
                            "zip entry name contains a control character (security.md 5.1)");
            sc_free(name);
            return SCORM_ERR_ZIP_NAME;
        }
    }
    const char *seg = name;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        depth++;
        if (len == 0 || (len == 1 && seg[0] == '.') ||
            (len == 2 && seg[0] == '.' && seg[1] == '.')) {
            scorm__diag_set(diag, SCORM_ERR_ZIP_NAME, 0, raw,
                            "zip entry name has an empty, '.' or '..' component "
                            "(security.md 5.1, zip slip CWE-22)");
            sc_free(name);
            return SCORM_ERR_ZIP_NAME;
        }
        if (depth == 1 && memchr(seg, ':', len)) {
            scorm__diag_set(diag, SCORM_ERR_ZIP_NAME, 0, raw,
                            "zip entry name has a ':' in its first component (drive letter, "
                            "security.md 5.1)");
            sc_free(name);
            return SCORM_ERR_ZIP_NAME;
        }
        if (!slash)
            break;
        seg = slash + 1;
    }
    if (depth > MAX_DEPTH) {
        scorm__diag_set(diag, SCORM_ERR_ZIP_NAME, 0, raw,
                        "zip entry name is deeper than %d components (security.md 5.1)", MAX_DEPTH);
        sc_free(name);
        return SCORM_ERR_ZIP_NAME;
    }
    *out = name;
    return SCORM_OK;
}

static void diag_file(struct scorm_diag *diag, const char *name)
{
    if (diag)
        snprintf(diag->file, sizeof diag->file, "%s", name);
}

/* qsort has no context argument in C11: the zip being sorted, per thread (two imports of one
 * process, e.g. two nodes in one test or the copy of a store, sort at the same time) */
static _Thread_local const struct scorm__zip *sort_z;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(sort_z->ent[*(const size_t *)a].name, sort_z->ent[*(const size_t *)b].name);
}

static int cmp_folded(const void *a, const void *b)
{
    return strcmp(sort_z->ent[*(const size_t *)a].folded, sort_z->ent[*(const size_t *)b].folded);
}

static int map_zip_error(int ze, struct scorm_diag *diag, const char *what)
{
    zip_error_t err;
    zip_error_init_with_code(&err, ze);
    scorm__diag_set(diag, SCORM_ERR_ZIP, 0, "", "%s: %s (APPNOTE.TXT 4.3)", what,
                    zip_error_strerror(&err));
    zip_error_fini(&err);
    return SCORM_ERR_ZIP;
}

/* A single top folder around the manifest (authors zip the folder): strip it with a warning. */
static int strip_top_folder(struct scorm__zip *z, cJSON *warnings)
{
    const char *first = NULL;
    size_t flen = 0;
    for (size_t i = 0; i < z->n; i++) {
        const char *nm = z->ent[i].name;
        const char *slash = strchr(nm, '/');
        size_t len = slash ? (size_t)(slash - nm) : strlen(nm);
        if (!slash && !z->ent[i].is_dir)
            return 0; /* a file at the root: no single top folder */
        if (!first) {
            first = nm;
            flen = len;
        } else if (len != flen || memcmp(first, nm, len) != 0) {
            return 0;
        }
    }
    if (!first)
        return 0;
    char want[MAX_NAME + 32];
    snprintf(want, sizeof want, "%.*s/imsmanifest.xml", (int)flen, first);
    long m = -1;
    for (size_t i = 0; i < z->n; i++)
        if (!z->ent[i].is_dir && strcmp(z->ent[i].name, want) == 0)
            m = (long)i;
    if (m < 0)
        return 0;
    char prefix[MAX_NAME + 1];
    snprintf(prefix, sizeof prefix, "%.*s", (int)flen, first);
    size_t w = 0;
    for (size_t i = 0; i < z->n; i++) {
        struct scorm__entry e = z->ent[i];
        if (strlen(e.name) == flen) { /* the folder's own directory entry */
            sc_free(e.name);
            sc_free(e.folded);
            continue;
        }
        memmove(e.name, e.name + flen + 1, strlen(e.name + flen + 1) + 1);
        memmove(e.folded, e.folded + flen + 1, strlen(e.folded + flen + 1) + 1);
        z->ent[w++] = e;
    }
    z->n = w;
    scorm__warn(warnings,
                "the package is wrapped in the folder '%s/'; it was stripped (the manifest "
                "belongs at the root, CAM 3.2)",
                prefix);
    return 1;
}

int scorm__zip_open(const void *buf, size_t len, const struct scorm_import_opts *opts,
                    struct scorm__zip **out, cJSON *warnings, struct scorm_diag *diag)
{
    return scorm__zip_open_opt(buf, len, opts, 1, out, warnings, diag);
}

int scorm__zip_open_opt(const void *buf, size_t len, const struct scorm_import_opts *opts,
                        int need_manifest, struct scorm__zip **out, cJSON *warnings,
                        struct scorm_diag *diag)
{
    int rc = SCORM_OK;
    struct scorm__zip *z = NULL;
    zip_source_t *src = NULL;
    zip_error_t zerr;
    int backslash = 0, macosx = 0;
    uint64_t total = 0;

    zip_error_init(&zerr);
    z = sc_calloc(1, sizeof *z);
    if (!z) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    scorm__opts_fill(&z->opts, opts);
    z->manifest = -1;
    if (len > z->opts.max_zip_bytes) {
        scorm__diag_set(diag, SCORM_ERR_ZIP_LIMIT, 0, "",
                        "the zip is %zu bytes, above the cap of %llu (security.md 5.2)", len,
                        (unsigned long long)z->opts.max_zip_bytes);
        rc = SCORM_ERR_ZIP_LIMIT;
        goto out;
    }
    if (len < 22) { /* shorter than an end-of-central-directory record */
        scorm__diag_set(diag, SCORM_ERR_ZIP, 0, "",
                        "not a zip archive: %zu bytes, no end of central directory record "
                        "(APPNOTE.TXT 4.3.16)",
                        len);
        rc = SCORM_ERR_ZIP;
        goto out;
    }
    src = zip_source_buffer_create(buf, len, 0, &zerr);
    if (!src) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    /* ZIP_CHECKCONS: local and central headers must agree (catches overlapping entries). */
    z->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!z->za) {
        int ze = zip_error_code_zip(&zerr);
        if (ze == ZIP_ER_EXISTS) {
            /* libzip refuses an archive whose central directory names an entry twice */
            scorm__diag_set(diag, SCORM_ERR_ZIP_DUP, 0, "",
                            "two zip entries have the same name (security.md 5.1)");
            rc = SCORM_ERR_ZIP_DUP;
            goto out;
        }
        if (ze == ZIP_ER_NOZIP)
            scorm__diag_set(diag, SCORM_ERR_ZIP, 0, "",
                            "not a zip archive (no end of central directory record, "
                            "APPNOTE.TXT 4.3.16)");
        else
            map_zip_error(ze, diag, "the zip archive cannot be read");
        rc = SCORM_ERR_ZIP;
        goto out;
    }
    src = NULL; /* owned by the archive now */

    zip_int64_t ne = zip_get_num_entries(z->za, 0);
    if (ne <= 0) {
        scorm__diag_set(diag, SCORM_ERR_ZIP_EMPTY, 0, "", "the zip archive has no entries");
        rc = SCORM_ERR_ZIP_EMPTY;
        goto out;
    }
    if ((uint64_t)ne > z->opts.max_entries) {
        scorm__diag_set(diag, SCORM_ERR_ZIP_LIMIT, 0, "",
                        "the zip has %lld entries, above the cap of %u (security.md 5.2)",
                        (long long)ne, z->opts.max_entries);
        rc = SCORM_ERR_ZIP_LIMIT;
        goto out;
    }
    z->ent = sc_calloc((size_t)ne, sizeof *z->ent);
    if (!z->ent) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    for (zip_int64_t i = 0; i < ne; i++) {
        zip_stat_t st;
        zip_uint8_t opsys;
        zip_uint32_t attr;
        struct scorm__entry *e = &z->ent[z->n];
        const char *raw;

        zip_stat_init(&st);
        if (zip_stat_index(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW, &st) != 0) {
            rc = map_zip_error(zip_error_code_zip(zip_get_error(z->za)), diag,
                               "a zip entry cannot be read");
            goto out;
        }
        raw = st.name;
        if (!raw) {
            scorm__diag_set(diag, SCORM_ERR_ZIP_NAME, 0, "", "a zip entry has no name");
            rc = SCORM_ERR_ZIP_NAME;
            goto out;
        }
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
            scorm__diag_set(diag, SCORM_ERR_ZIP_ENCRYPTED, 0, "",
                            "zip entry %lld is encrypted; packages must not be (security.md 5.1)",
                            (long long)i);
            diag_file(diag, raw);
            rc = SCORM_ERR_ZIP_ENCRYPTED;
            goto out;
        }
        if (zip_file_get_external_attributes(z->za, (zip_uint64_t)i, 0, &opsys, &attr) == 0 &&
            opsys == ZIP_OPSYS_UNIX) {
            unsigned mode = (attr >> 16) & 0xFFFFu;
            unsigned type = mode & S_IFMT;
            if (type != 0 && type != S_IFREG && type != S_IFDIR) {
                scorm__diag_set(diag, SCORM_ERR_ZIP_TYPE, 0, "",
                                "zip entry is a %s, only regular files and directories are "
                                "allowed (security.md 5.1)",
                                type == S_IFLNK ? "symbolic link" : "special file");
                diag_file(diag, raw);
                rc = SCORM_ERR_ZIP_TYPE;
                goto out;
            }
        }
        rc = name_check(raw, &backslash, &e->name, &e->is_dir, diag);
        if (rc != SCORM_OK)
            goto out;
        if (strcmp(e->name, "__MACOSX") == 0 || strncmp(e->name, "__MACOSX/", 9) == 0) {
            /* Finder's resource-fork folder: never part of the package; skipped. */
            sc_free(e->name);
            e->name = NULL;
            macosx = 1;
            continue;
        }
        e->folded = fold_dup(e->name);
        if (!e->folded) { /* not counted in z->n yet: scorm__zip_close would not free it */
            sc_free(e->name);
            e->name = NULL;
            rc = SCORM_ERR_NOMEM;
            goto out;
        }
        e->index = (zip_uint64_t)i;
        e->size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
        e->csize = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
        if (e->size > z->opts.max_entry_bytes) {
            scorm__diag_set(diag, SCORM_ERR_ZIP_LIMIT, 0, "",
                            "zip entry declares %llu bytes, above the per-entry cap of %llu "
                            "(security.md 5.2)",
                            (unsigned long long)e->size,
                            (unsigned long long)z->opts.max_entry_bytes);
            diag_file(diag, e->name);
            z->n++;
            rc = SCORM_ERR_ZIP_LIMIT;
            goto out;
        }
        if (e->size > SCORM_RATIO_MIN_BYTES &&
            e->size / (e->csize ? e->csize : 1) > z->opts.max_ratio) {
            scorm__diag_set(diag, SCORM_ERR_ZIP_RATIO, 0, "",
                            "zip entry compresses %llu bytes into %llu, a ratio above %u:1 "
                            "(zip bomb, security.md 5.2)",
                            (unsigned long long)e->size, (unsigned long long)e->csize,
                            z->opts.max_ratio);
            diag_file(diag, e->name);
            z->n++;
            rc = SCORM_ERR_ZIP_RATIO;
            goto out;
        }
        total += e->size;
        z->n++;
        if (total > z->opts.max_total_bytes) {
            scorm__diag_set(diag, SCORM_ERR_ZIP_LIMIT, 0, "",
                            "the entries declare more than %llu bytes in total (security.md "
                            "5.2)",
                            (unsigned long long)z->opts.max_total_bytes);
            rc = SCORM_ERR_ZIP_LIMIT;
            goto out;
        }
    }
    if (z->n == 0) {
        scorm__diag_set(diag, SCORM_ERR_ZIP_EMPTY, 0, "", "the zip archive has no entries");
        rc = SCORM_ERR_ZIP_EMPTY;
        goto out;
    }
    if (backslash)
        scorm__warn(warnings, "zip entry names use '\\' separators; they were read as '/' "
                              "(APPNOTE.TXT 4.4.17.1)");
    if (macosx)
        scorm__warn(warnings, "the __MACOSX/ folder of the zip was skipped");

    int have = 0;
    for (size_t i = 0; i < z->n; i++)
        if (!z->ent[i].is_dir && strcmp(z->ent[i].name, "imsmanifest.xml") == 0)
            have = 1;
    if (!have && need_manifest)
        strip_top_folder(z, warnings);

    z->by_name = sc_malloc(z->n * sizeof *z->by_name);
    z->by_folded = sc_malloc(z->n * sizeof *z->by_folded);
    if (!z->by_name || !z->by_folded) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < z->n; i++)
        z->by_name[i] = z->by_folded[i] = i;
    sort_z = z;
    qsort(z->by_name, z->n, sizeof *z->by_name, cmp_name);
    qsort(z->by_folded, z->n, sizeof *z->by_folded, cmp_folded);
    sort_z = NULL;
    for (size_t i = 1; i < z->n; i++) {
        const struct scorm__entry *a = &z->ent[z->by_folded[i - 1]];
        const struct scorm__entry *b = &z->ent[z->by_folded[i]];
        if (strcmp(a->folded, b->folded) == 0) {
            int exact = strcmp(a->name, b->name) == 0;
            scorm__diag_set(diag, SCORM_ERR_ZIP_DUP, 0, "",
                            "zip entries '%s' and '%s' collide%s (security.md 5.1)", a->name,
                            b->name, exact ? "" : " after case-folding");
            diag_file(diag, b->name);
            rc = SCORM_ERR_ZIP_DUP;
            goto out;
        }
    }
    for (size_t i = 0; i < z->n; i++)
        if (!z->ent[i].is_dir && strcmp(z->ent[i].name, "imsmanifest.xml") == 0)
            z->manifest = (long)i;
    if (z->manifest < 0 && need_manifest) {
        int case_only = 0;
        const struct scorm__entry *m = scorm__zip_find(z, "imsmanifest.xml", &case_only);
        if (m) {
            z->manifest = (long)(m - z->ent);
            scorm__warn(warnings,
                        "the manifest is named '%s'; CAM 3.2 requires "
                        "'imsmanifest.xml'",
                        m->name);
        }
    }
    if (z->manifest < 0 && need_manifest) {
        scorm__diag_set(diag, SCORM_ERR_NO_MANIFEST, 0, "imsmanifest.xml",
                        "no imsmanifest.xml at the root of the package (CAM 3.2: the manifest "
                        "must be at the root of the package interchange file)");
        rc = SCORM_ERR_NO_MANIFEST;
        goto out;
    }
    *out = z;
    z = NULL;
out:
    zip_source_free(src);
    zip_error_fini(&zerr);
    scorm__zip_close(z);
    return rc;
}

void scorm__zip_close(struct scorm__zip *z)
{
    if (!z)
        return;
    if (z->za)
        zip_discard(z->za);
    for (size_t i = 0; i < z->n; i++) {
        sc_free(z->ent[i].name);
        sc_free(z->ent[i].folded);
    }
    sc_free(z->ent);
    sc_free(z->by_name);
    sc_free(z->by_folded);
    sc_free(z);
}

static const struct scorm__entry *bsearch_ent(const struct scorm__zip *z, const size_t *idx,
                                              const char *key, int folded)
{
    size_t lo = 0, hi = z->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct scorm__entry *e = &z->ent[idx[mid]];
        int c = strcmp(key, folded ? e->folded : e->name);
        if (c == 0)
            return e;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct scorm__entry *scorm__zip_find(const struct scorm__zip *z, const char *path,
                                           int *case_only)
{
    const struct scorm__entry *e;
    char *f;
    *case_only = 0;
    e = bsearch_ent(z, z->by_name, path, 0);
    if (e)
        return e->is_dir ? NULL : e;
    f = fold_dup(path);
    if (!f)
        return NULL;
    e = bsearch_ent(z, z->by_folded, f, 1);
    sc_free(f);
    if (e && !e->is_dir) {
        *case_only = 1;
        return e;
    }
    return NULL;
}

int scorm__zip_read(struct scorm__zip *z, size_t i, size_t cap, char **buf, size_t *len,
                    struct scorm_diag *diag)
{
    int rc = SCORM_OK;
    zip_file_t *zf = NULL;
    char *data = NULL;
    size_t used = 0;
    const struct scorm__entry *e = &z->ent[i];

    if (e->size > cap) {
        scorm__diag_set(diag, SCORM_ERR_MANIFEST_SIZE, 0, e->name,
                        "%s is %llu bytes, above the cap of %zu (security.md 4)", e->name,
                        (unsigned long long)e->size, cap);
        return SCORM_ERR_MANIFEST_SIZE;
    }
    data = sc_malloc(cap + 2);
    if (!data)
        return SCORM_ERR_NOMEM;
    zf = zip_fopen_index(z->za, e->index, 0);
    if (!zf) {
        rc = map_zip_error(zip_error_code_zip(zip_get_error(z->za)), diag, "cannot open entry");
        goto out;
    }
    for (;;) {
        zip_int64_t r = zip_fread(zf, data + used, cap + 1 - used);
        if (r < 0) {
            rc = map_zip_error(zip_error_code_zip(zip_file_get_error(zf)), diag,
                               "cannot inflate entry");
            goto out;
        }
        if (r == 0)
            break;
        used += (size_t)r;
        if (used > cap) {
            scorm__diag_set(diag, SCORM_ERR_MANIFEST_SIZE, 0, e->name,
                            "%s inflates past the cap of %zu bytes (security.md 4)", e->name, cap);
            rc = SCORM_ERR_MANIFEST_SIZE;
            goto out;
        }
    }
    data[used] = '\0';
    *buf = data;
    *len = used;
    data = NULL;
out:
    if (rc != SCORM_OK && diag && diag->file[0] == '\0')
        snprintf(diag->file, sizeof diag->file, "%s", e->name);
    if (zf)
        zip_fclose(zf);
    sc_free(data);
    return rc;
}

/* Open (creating) the directory holding `name` below root; returns a new fd or -1 (errno). */
static int open_parent(int root, const char *name, const char **leaf)
{
    int dfd = dup(root);
    const char *seg = name;
    char comp[MAX_NAME + 1];
    if (dfd < 0)
        return -1;
    for (;;) {
        const char *slash = strchr(seg, '/');
        if (!slash)
            break;
        size_t len = (size_t)(slash - seg);
        memcpy(comp, seg, len);
        comp[len] = '\0';
        if (mkdirat(dfd, comp, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            close(dfd);
            errno = e;
            return -1;
        }
        int nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(dfd);
        if (nfd < 0) {
            errno = e;
            return -1;
        }
        dfd = nfd;
        seg = slash + 1;
    }
    *leaf = seg;
    return dfd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int scorm__zip_extract(struct scorm__zip *z, int root, struct scorm_diag *diag)
{
    int rc = SCORM_OK;
    char *chunk = NULL;
    uint64_t total = 0;
    zip_file_t *zf = NULL;
    int dfd = -1, fd = -1;
    const struct scorm__entry *e = NULL;
    const char *cached = NULL; /* the folder dfd refers to: a prefix of an entry name */
    size_t cached_len = 0;

    chunk = sc_malloc(COPY_CHUNK);
    if (!chunk)
        return SCORM_ERR_NOMEM;
    for (size_t i = 0; i < z->n; i++) {
        const char *leaf = NULL;
        uint64_t done = 0;
        e = &z->ent[z->by_name[i]]; /* sorted: parents before children */
        const char *slash = strrchr(e->name, '/');
        size_t plen = slash ? (size_t)(slash - e->name) : 0;
        if (dfd >= 0 && plen == cached_len && memcmp(e->name, cached, plen) == 0) {
            leaf = slash ? slash + 1 : e->name; /* same folder as the previous entry */
        } else {
            if (dfd >= 0)
                close(dfd);
            dfd = open_parent(root, e->name, &leaf);
            if (dfd < 0)
                goto io_error;
            cached = e->name;
            cached_len = plen;
        }
        if (e->is_dir) {
            if (mkdirat(dfd, leaf, 0755) != 0 && errno != EEXIST)
                goto io_error;
            continue;
        }
        fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
            goto io_error;
        zf = zip_fopen_index(z->za, e->index, 0);
        if (!zf) {
            rc = map_zip_error(zip_error_code_zip(zip_get_error(z->za)), diag,
                               "cannot open zip entry");
            goto out;
        }
        for (;;) {
            zip_int64_t r = zip_fread(zf, chunk, COPY_CHUNK);
            if (r < 0) {
                rc = map_zip_error(zip_error_code_zip(zip_file_get_error(zf)), diag,
                                   "cannot inflate zip entry");
                goto out;
            }
            if (r == 0)
                break;
            done += (uint64_t)r;
            total += (uint64_t)r;
            /* Counted while inflating: declared sizes are not trusted (security.md 5.2). */
            if (done > e->size) {
                scorm__diag_set(diag, SCORM_ERR_ZIP, 0, "",
                                "zip entry inflates past its declared size of %llu bytes",
                                (unsigned long long)e->size);
                rc = SCORM_ERR_ZIP;
                goto out;
            }
            if (done > z->opts.max_entry_bytes || total > z->opts.max_total_bytes) {
                scorm__diag_set(diag, SCORM_ERR_ZIP_LIMIT, 0, "",
                                "extraction passed the %s cap of %llu bytes (security.md 5.2)",
                                done > z->opts.max_entry_bytes ? "per-entry" : "total",
                                (unsigned long long)(done > z->opts.max_entry_bytes
                                                         ? z->opts.max_entry_bytes
                                                         : z->opts.max_total_bytes));
                rc = SCORM_ERR_ZIP_LIMIT;
                goto out;
            }
            if (done > SCORM_RATIO_MIN_BYTES &&
                done / (e->csize ? e->csize : 1) > z->opts.max_ratio) {
                scorm__diag_set(diag, SCORM_ERR_ZIP_RATIO, 0, "",
                                "zip entry inflates above a ratio of %u:1 (zip bomb, "
                                "security.md 5.2)",
                                z->opts.max_ratio);
                rc = SCORM_ERR_ZIP_RATIO;
                goto out;
            }
            if (write_all(fd, chunk, (size_t)r) != 0)
                goto io_error;
        }
        if (done != e->size) {
            scorm__diag_set(diag, SCORM_ERR_ZIP, 0, "",
                            "zip entry inflated to %llu bytes, its header declares %llu",
                            (unsigned long long)done, (unsigned long long)e->size);
            rc = SCORM_ERR_ZIP;
            goto out;
        }
        zip_fclose(zf);
        zf = NULL;
        if (close(fd) != 0) {
            fd = -1;
            goto io_error;
        }
        fd = -1;
    }
    e = NULL;
    goto out;
io_error : {
    int err = errno;
    if (err == EEXIST || err == ENOTDIR || err == ELOOP) {
        /* A file and a folder of the same name, or a name reached twice: unsafe layout. */
        rc = SCORM_ERR_ZIP_NAME;
        scorm__diag_set(diag, rc, 0, "",
                        "zip entry collides with another entry's path (security.md 5.1)");
    } else {
        rc = (err == ENOSPC || err == EFBIG) ? SCORM_ERR_ZIP_LIMIT : SCORM_ERR_IO;
        scorm__diag_set(diag, rc, 0, "", "cannot extract the entry: %s", strerror(err));
    }
}
out:
    if (rc != SCORM_OK && diag && e)
        snprintf(diag->file, sizeof diag->file, "%s", e->name);
    if (zf)
        zip_fclose(zf);
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    sc_free(chunk);
    return rc;
}
