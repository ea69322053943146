/* SPDX-License-Identifier: Apache-2.0 */
/* Private to scorm/: the checked zip, manifest helpers and the import steps. */
#ifndef SCORM_INT_H
#define SCORM_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct stmt_store;
struct stmt_db_txn;
/* scorm_events.c: course.imported for the webhooks of st (may be NULL), in the import's txn.
 * 0 or an error (then abort the transaction). */
int scorm__import_event(struct stmt_store *st, struct stmt_db_txn *txn, const cJSON *course,
                        int version);
#include <libxml/tree.h>
#include <zip.h>

#include "scorm/scorm.h"

/** One accepted zip entry. name is normalised ('/' separators, top folder stripped), without
 *  a trailing '/' for directories. */
struct scorm__entry {
    zip_uint64_t index;
    char *name;
    char *folded; /* ASCII lower-case copy, for case-insensitive lookups */
    int is_dir;
    uint64_t size;  /* declared uncompressed size */
    uint64_t csize; /* declared compressed size */
};

/** An archive whose every entry passed the name, type and cap checks. */
struct scorm__zip {
    zip_t *za;
    struct scorm__entry *ent;
    size_t n;
    size_t *by_name;   /* indexes into ent sorted by name */
    size_t *by_folded; /* sorted by folded name */
    long manifest;     /* index into ent of imsmanifest.xml, -1 if none */
    struct scorm_import_opts opts;
};

void scorm__diag_set(struct scorm_diag *d, int code, int line, const char *file, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));
/** Append a formatted warning string to `warnings` (NULL-tolerant). */
void scorm__warn(cJSON *warnings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Copy src (may be NULL) into dst, replacing zero fields by the defaults. */
void scorm__opts_fill(struct scorm_import_opts *dst, const struct scorm_import_opts *src);

/* ---- scorm_zip.c ---- */
/** Open and check a zip held in memory (buf borrowed until scorm__zip_close). */
int scorm__zip_open(const void *buf, size_t len, const struct scorm_import_opts *opts,
                    struct scorm__zip **out, cJSON *warnings, struct scorm_diag *diag);
/** The same; need_manifest 0 accepts an archive without imsmanifest.xml (cmi5 packages, whose
 *  cmi5.xml the caller looks for) and never strips a top folder. */
int scorm__zip_open_opt(const void *buf, size_t len, const struct scorm_import_opts *opts,
                        int need_manifest, struct scorm__zip **out, cJSON *warnings,
                        struct scorm_diag *diag);
void scorm__zip_close(struct scorm__zip *z);
/** Read entry i fully, at most cap bytes (else SCORM_ERR_MANIFEST_SIZE). *buf owned (sc_free),
 *  NUL-terminated. */
int scorm__zip_read(struct scorm__zip *z, size_t i, size_t cap, char **buf, size_t *len,
                    struct scorm_diag *diag);
/** Extract every entry under the directory dirfd (empty, freshly created), counting bytes as
 *  they are inflated. */
int scorm__zip_extract(struct scorm__zip *z, int dirfd, struct scorm_diag *diag);
/** Find a regular file by exact path; if absent, by case-insensitive path (*case_only set).
 *  Returns the entry or NULL. */
const struct scorm__entry *scorm__zip_find(const struct scorm__zip *z, const char *path,
                                           int *case_only);
/** 1 when s (n bytes) is valid UTF-8 without overlongs or surrogates. */
int scorm__utf8_valid(const char *s, size_t n);

/* ---- scorm_manifest_xml.c (helpers shared by scorm_manifest.c and scorm_manifest_seq.c) ---- */
#define SCORM__NS_IMSSS "http://www.imsglobal.org/xsd/imsss"
#define SCORM__NS_ADLSEQ "http://www.adlnet.org/xsd/adlseq_v1p3"
#define SCORM__NS_ADLNAV "http://www.adlnet.org/xsd/adlnav_v1p3"

/* xmlGetLineNo returns long; lines fit an int (the manifest is at most 1 MiB) */
#define SCORM__LINE(n) ((int)xmlGetLineNo(n))

struct scorm__mctx {
    cJSON *warnings;
    struct scorm_diag *diag;
    const xmlChar *cp_ns; /* namespace URI of the root <manifest> (NULL: none) */
    int is12;
    unsigned long visits;
    cJSON *collection; /* id -> sequencing object (imsss:sequencingCollection) */
};

/** 1 when node is an element named `name` in namespace `ns` (NULL: no namespace). */
int scorm__xml_is(const xmlNode *n, const char *ns, const char *name);
/** 1 for an element in any ADL CP namespace (adlcp_rootv1p2, adlcp_v1p3, ...) named `name`
 *  compared case-insensitively (1.2 writes masteryscore, 2004 dataFromLMS). */
int scorm__xml_is_adlcp(const xmlNode *n, const char *name);
/** Attribute value (owned, xmlFree) by namespace + local name; ns NULL = unqualified. */
xmlChar *scorm__xml_attr(const xmlNode *n, const char *ns, const char *name);
/** Trimmed text content, owned (sc_free); NULL on allocation failure. */
char *scorm__xml_text(const xmlNode *n);
/** Count a visit; SCORM_ERR_XML_LIMIT past the budget. */
int scorm__xml_visit(struct scorm__mctx *c, const xmlNode *n);
/** Add an xs:boolean attribute (default def) to obj under key; invalid values warn. */
void scorm__attr_bool(struct scorm__mctx *c, cJSON *obj, const xmlNode *n, const char *ns,
                      const char *name, int def);
/** Add a decimal attribute; absent -> def unless isnan(def) (then omitted). */
void scorm__attr_num(struct scorm__mctx *c, cJSON *obj, const xmlNode *n, const char *ns,
                     const char *name, double def);
/** Add a string attribute; absent -> def unless def is NULL. */
void scorm__attr_str(cJSON *obj, const xmlNode *n, const char *ns, const char *name,
                     const char *def);

/** 1 for an element of the IMS CP namespace of this manifest (c->cp_ns). */
int scorm__xml_is_cp(const struct scorm__mctx *c, const xmlNode *n, const char *name);
/** Attribute in any ADL CP namespace, name compared case-insensitively; owned (xmlFree). */
xmlChar *scorm__xml_attr_adlcp(const xmlNode *n, const char *name);
/** Copy of s without leading and trailing white space, owned (sc_free); NULL on no memory. */
char *scorm__trim_dup(const char *s);
/** xs:boolean ("true"/"false"/"1"/"0", trimmed): 1 and *out set when valid, else 0. */
int scorm__parse_bool(const char *s, int *out);
/** A decimal: 1 and *out set when valid, else 0. */
int scorm__parse_num(const char *s, double *out);

struct sc_buf;
/** Percent-encode a package path for a URL (keeps unreserved characters and '/'). */
int scorm__url_encode_path(struct sc_buf *b, const char *p);

/* ---- scorm_manifest_xml.c: hrefs and xml:base (security.md 5.3, RFC 3986 5.2) ---- */
struct scorm__href {
    char *path;  /* decoded, dot segments removed, inside the package ("" never) */
    char *query; /* "?..." / "#..." as written, or "" */
    char *url;   /* absolute http(s) URL when external */
};
void scorm__href_free(struct scorm__href *h);
/** Resolve base (the xml:base chain, may be "") + href into *out (owned, scorm__href_free).
 *  External http(s) URLs are kept as links; other schemes, absolute paths, bad escapes and
 *  '..' above the root fail with SCORM_ERR_HREF. */
int scorm__href_resolve(struct scorm__mctx *c, const xmlNode *at, const char *base,
                        const char *href, struct scorm__href *out);
/** base + the xml:base of n (if any), owned in *out. */
int scorm__base_join(struct scorm__mctx *c, const xmlNode *n, const char *base, char **out);

/* ---- scorm_manifest_seq.c ---- */
/** Parse an imsss:sequencing element into *out (owned). */
int scorm__seq_parse(struct scorm__mctx *c, const xmlNode *seq, cJSON **out);
/** Resolve IDRef against c->collection and merge: on success *seq is replaced by the merged
 *  object (the old one freed); on failure *seq is left to the caller. */
int scorm__seq_resolve(struct scorm__mctx *c, cJSON **seq, const char *where);

/* ---- scorm_course.c ---- */
/** Check the parsed tree against the archive: launch files present (case-only mismatches
 *  fixed with a warning), file hrefs present (warning), at least one launchable item.
 *  Sets *scos. The tree is updated in place. */
int scorm__course_check(cJSON *tree, const struct scorm__zip *z, cJSON *warnings, int *scos,
                        struct scorm_diag *diag);
/** The default organization of a course tree (its default_organization, else the first). */
const cJSON *scorm__default_org(const cJSON *tree);
/** One definition of a SCO (issue 15), used by import, the registration report, the player's
 *  table of contents and the console's summaries: a launchable item (identifier and launch)
 *  whose resource is a SCO (adlcp:scormType "sco"); launchable items of asset resources are
 *  assets: they are shown and launched but have no run-time data and no status. */
int scorm__item_is_sco(const cJSON *item);
/** The SCOs among items and their descendants. */
int scorm__count_scos(const cJSON *items);
/** Add a reference to object or array `item` (owned elsewhere) to obj under key; 0, or -1 with
 *  nothing added or leaked. */
int scorm__add_ref(cJSON *obj, const char *key, cJSON *item);
/** Sanitise an identifier into a course id ([A-Za-z0-9._-], at most 64). */
int scorm__course_id_derive(const char *ident, char out[SCORM_MAX_COURSE_ID + 1]);
/** 1 when id is a valid course id. */
int scorm__course_id_valid(const char *id);
/** 1 when n bytes at hay contain needle, ASCII letters compared case-insensitively (the
 *  console's searches, q). An empty needle is contained everywhere. */
int scorm__contains(const void *hay, size_t n, const char *needle);
struct stmt_db_txn;
/** The course record of id in txn; *out owned. SCORM_ERR_NOTFOUND when absent. */
int scorm__course_get_txn(struct stmt_db_txn *txn, const char *id, cJSON **out);
/** "<id>\x1f<n>" into buf; returns its length or -1. */
int scorm__version_key(char *buf, size_t len, const char *id, int version);

/* ---- scorm_content.c: the files of course versions, on disk (LMDB) or as rows of the store
 * (PostgreSQL; scorm_content_db.c), issue 19 step 6 ---- */
/** 1 when db keeps course content in its tables (PostgreSQL, or forced by a test). */
int scorm__content_in_db(struct stmt_db *db);
/** Tests: 1 keeps the content of LMDB stores in the tables too (the database layout on
 *  either backend); 0 back to the default. Set before any import. */
void scorm__content_force_db(int on);
/** Remove a tree without following symlinks or crossing mounts; 0 or -1. */
int scorm__rm_rf(const char *path);
/** "<dir>/content[/a[/b]]" of db's own folder into buf; SCORM_OK or SCORM_ERR_IO. */
int scorm__content_dir(struct stmt_db *db, char *buf, size_t len, const char *a, const char *b);
/** A fresh DATA/content/.tmp-<random>/ folder (mode 0700) into path. */
int scorm__content_tmp(struct stmt_db *db, char *path, size_t len, struct scorm_diag *diag);
struct scorm__content_stage;
/** The files an import extracted into tmpdir, to be placed as a version: on the database
 *  each file is hashed here, before the transaction. *out owned (scorm__content_stage_end). */
int scorm__content_stage_open(struct stmt_db *db, const char *tmpdir,
                              struct scorm__content_stage **out, struct scorm_diag *diag);
/** In the import's write transaction: place them as `version` of `course`. On disk the folder
 *  is renamed into DATA/content/<course>/<version>/ (from where a previous try put it); in
 *  the database the content rows are written, and the blob and chunk rows of new hashes.
 *  Called again in the next transaction when a commit is retried. */
int scorm__content_stage_place(struct scorm__content_stage *s, struct stmt_db_txn *txn,
                               const char *course, int version, struct scorm_diag *diag);
/** 1 when the last place failed because the store was full (LMDB: the map grows at the next
 *  begin; the import tries again). */
int scorm__content_stage_full(const struct scorm__content_stage *s);
/** After the transaction: committed 1 makes a placed folder durable, 0 removes it. Frees s
 *  (NULL-tolerant); the caller removes tmpdir. */
void scorm__content_stage_end(struct scorm__content_stage *s, int committed);
/** Start-up: remove interrupted fills of the node-local content cache and trim it to its
 *  limit (scorm_content_cache.c). */
void scorm__ccache_cleanup(struct stmt_db *db);
struct scorm__content_drop;
/** In the write transaction that deletes version `version` of `course` (0: every version):
 *  in the database its content rows go, and the blobs no other row names; on disk the folder
 *  is hidden (one rename) and *out set to finish after the commit. */
int scorm__content_drop(struct stmt_db *db, struct stmt_db_txn *txn, const char *course,
                        int version, struct scorm__content_drop **out);
/** After that transaction: committed 1 removes the hidden folder, 0 puts it back. Frees d
 *  (NULL-tolerant). */
void scorm__content_drop_end(struct scorm__content_drop *d, int committed);

/* scorm_import_worker.c: the import's work without the store, in process (fuzzing,
 * debugging) or in a worker process; *work is the owned {tree, warnings, scos, files, bytes}. */
int scorm__import_work(const void *buf, size_t len, const struct scorm_import_opts *o,
                       const char *tmpdir, cJSON **work, struct scorm_diag *diag);
int scorm__import_run_child(const void *buf, size_t len, const struct scorm_import_opts *o,
                            const char *tmpdir, cJSON **work, struct scorm_diag *diag);

#endif
