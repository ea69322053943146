/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scorm/: SCORM package import (this header's first half) and, later, the run-time.
 *
 * Import (DESIGN.md "Data flow" 3, security.md §4 and §5): a zip is checked entry by entry
 * (names, types, sizes, ratio, count), its imsmanifest.xml parsed with libxml2 (SCORM 1.2 and
 * 2004 2nd/3rd/4th edition CAM, IMS Simple Sequencing), the course tree checked (resources,
 * launch files), the files extracted into DATA/content/.tmp-<random>/ and placed as the
 * version's content (scorm_content.h: renamed into DATA/content/<course>/<version>/ on LMDB,
 * content/blob/chunk rows on PostgreSQL) in the one write transaction that writes the course
 * record. All or nothing: on any failure nothing is left behind, and a crash in the middle
 * leaves only a .tmp-* folder that scorm_import_cleanup() removes.
 *
 * The parsed tree (JSON) is documented at scorm_manifest_parse() below.
 *
 * Threads: every function may be called from any thread. Call xmlInitParser() once in main()
 * before threads start (libxml2 2.9 requires it). The import forks a worker (RLIMIT_CPU,
 * RLIMIT_FSIZE, RLIMIT_AS outside ASan builds, 120 s wall clock, killed if the caller's
 * process dies) unless opts->in_process is set.
 */
#ifndef SCORM_H
#define SCORM_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct stmt_db;

enum scorm_err {
    SCORM_OK = 0,
    SCORM_ERR_NOMEM = -1,
    SCORM_ERR_IO = -2,        /* file system error (diag names the path) */
    SCORM_ERR_ARG = -3,       /* bad argument, e.g. an invalid course id */
    SCORM_ERR_ZIP = -4,       /* not a zip, truncated, inconsistent or corrupt data */
    SCORM_ERR_ZIP_EMPTY = -5, /* the archive has no entries */
    SCORM_ERR_ZIP_NAME = -6,  /* unsafe entry name (security.md §5.1) */
    SCORM_ERR_ZIP_TYPE = -7,  /* symlink, device or FIFO entry */
    SCORM_ERR_ZIP_DUP = -8,   /* duplicate entry name (exact or after case-folding) */
    SCORM_ERR_ZIP_ENCRYPTED = -9,
    SCORM_ERR_ZIP_LIMIT = -10,   /* entry count, entry size, total size or zip size cap */
    SCORM_ERR_ZIP_RATIO = -11,   /* compression ratio cap (zip bomb) */
    SCORM_ERR_NO_MANIFEST = -12, /* no imsmanifest.xml at the root (or in one top folder) */
    SCORM_ERR_MANIFEST_SIZE = -13,
    SCORM_ERR_XML = -14,              /* not well-formed XML; diag.line holds the line */
    SCORM_ERR_XML_DOCTYPE = -15,      /* DOCTYPE / entity declarations are refused */
    SCORM_ERR_XML_ENCODING = -16,     /* neither UTF-8 nor ISO-8859-1 */
    SCORM_ERR_XML_LIMIT = -17,        /* node budget or depth exceeded */
    SCORM_ERR_MANIFEST = -18,         /* structure violates the CAM (missing identifier, ...) */
    SCORM_ERR_RESOURCE_MISSING = -19, /* item identifierref / dependency / IDRef unresolved */
    SCORM_ERR_HREF = -20,             /* href or xml:base escapes the package or bad scheme */
    SCORM_ERR_LAUNCH_MISSING = -21,   /* a launchable item's file is not in the package */
    SCORM_ERR_NO_LAUNCH = -22,        /* no launchable item at all */
    SCORM_ERR_NOTFOUND = -23,         /* course or version not found */
    SCORM_ERR_STORE = -24,            /* LMDB failure (diag holds the store's message) */
    SCORM_ERR_CHILD = -25,            /* the import child process died or hit an rlimit */
    SCORM_ERR_EXISTS = -26,           /* a new course with a course id that is taken */
    SCORM_ERR_IN_USE = -27,           /* the course has registrations (delete refused) */
};

/** Static English text for a code; never NULL. */
const char *scorm_strerror(int code);

/** Details of a failure: the code, the XML line (0 if none), the file inside the package (or
 *  the JSON/XML element path) and a message citing the rule. */
struct scorm_diag {
    int code;
    int line;
    char file[256];
    char msg[512];
};

/* Defaults of the caps (security.md §5.2). */
#define SCORM_MAX_ZIP_BYTES (1ull << 30)
#define SCORM_MAX_ENTRIES 10000u
#define SCORM_MAX_TOTAL_BYTES (4ull << 30)
#define SCORM_MAX_ENTRY_BYTES (1ull << 30)
#define SCORM_MAX_RATIO 200u
#define SCORM_RATIO_MIN_BYTES (1u << 20) /* the ratio applies to entries above 1 MiB */
#define SCORM_MAX_MANIFEST_BYTES (1u << 20)
#define SCORM_MAX_XML_NODES 100000u
#define SCORM_MAX_COURSE_ID 64

/** Import options; a zero field takes its default. The struct may be NULL. */
struct scorm_import_opts {
    const char *course_id;       /* NULL: a NEW course whose id is derived from the manifest
                                    identifier, made unique ("-2", "-3", ... when taken) */
    int existing;                /* with course_id: 1 = a new version of that course, which must
                                    exist (else SCORM_ERR_NOTFOUND); -1 = a new course with exactly
                                    that id (SCORM_ERR_EXISTS when taken); 0 = either */
    uint64_t max_zip_bytes;      /* SCORM_MAX_ZIP_BYTES */
    uint32_t max_entries;        /* SCORM_MAX_ENTRIES */
    uint64_t max_total_bytes;    /* bytes actually inflated, SCORM_MAX_TOTAL_BYTES */
    uint64_t max_entry_bytes;    /* SCORM_MAX_ENTRY_BYTES */
    uint32_t max_ratio;          /* SCORM_MAX_RATIO (uncompressed:compressed) */
    uint32_t max_manifest_bytes; /* SCORM_MAX_MANIFEST_BYTES */
    int in_process;              /* 1: skip the child process (fuzzing, debugging) */
    /* The program to run the import worker in: the scolar binary itself ("/proc/self/exe"),
     * started with posix_spawn and the argument SCORM_IMPORT_WORKER_ARG, which its main()
     * hands to scorm_import_worker_main. A threaded caller (the server) must set it: a fork
     * that keeps running this process's code can deadlock on a lock another thread held at
     * the fork. NULL: fork without exec (single-threaded callers: tests, fuzzers). */
    const char *worker_exe;
    /* The statement store whose webhooks hear course.imported, written in the import's
     * transaction (statements/stmt_outbox.h; borrowed, may be NULL). */
    struct stmt_store *events;
};

#define SCORM_IMPORT_WORKER_ARG "__import-worker"
/**
 * The import worker's process, started by scorm_import_* with worker_exe: argv[0] is
 * SCORM_IMPORT_WORKER_ARG, then the parent's pid, the temporary folder and the limits; the
 * package is read from descriptor 3 and the answer written to descriptor 4. Never returns.
 */
int scorm_import_worker_main(int argc, char **argv);

/**
 * Import a SCORM package (zip) into the store. "scos" counts the SCO resources.
 *
 * On success *result (owned by the caller, free with cJSON_Delete) is
 * {"course": ID, "title": ..., "version": "scorm12"|"scorm2004-2nd"|"scorm2004-3rd"|
 *  "scorm2004-4th", "scos": N, "course_version": n, "warnings": [...]}.
 * Without opts->course_id every import is a NEW course (issue 13: tool-default manifest
 * identifiers repeat across unrelated packages, so an identifier never silently joins another
 * course): the id derived from the identifier gets a "-N" suffix when it is taken, the base cut
 * so that the whole stays within SCORM_MAX_COURSE_ID. With course_id (see opts->existing)
 * importing an existing course id adds version n+1; earlier versions stay readable.
 * On failure nothing is stored, no file is left behind, *result is untouched and diag (may
 * be NULL) says why. Returns 0 or a negative enum scorm_err.
 *
 * scorm_import_mem reads buf (borrowed for the duration of the call only).
 */
int scorm_import_file(struct stmt_db *db, const char *zip_path,
                      const struct scorm_import_opts *opts, cJSON **result,
                      struct scorm_diag *diag);
int scorm_import_mem(struct stmt_db *db, const void *buf, size_t len,
                     const struct scorm_import_opts *opts, cJSON **result, struct scorm_diag *diag);

/** Remove stale DATA/content/.tmp-* folders and, on LMDB, version folders that have no record
 *  (left by a crash during import or delete). Call once at startup before serving. Returns 0
 *  or an error. */
int scorm_import_cleanup(struct stmt_db *db);

/** All course records, sorted by id: *out = [{"id","title","versions":[1,..],"current",
 *  "scorm_version","created"}...] (owned by the caller). */
int scorm_course_list(struct stmt_db *db, cJSON **out);
#define SCORM_PAGE_MAX 500 /* items in one page of a console list */
/**
 * A page of the course list for the console, by id: *out (owned) = {"items": [{"id","title",
 * "version" (current version number),"edition" ("1.2", "2004 3rd", ...),"scorm_version",
 * "scos","registrations","completed","completion_rate" (0..1, null without registrations),
 * "created","updated"}], "total", "offset", "limit"}. q (may be NULL or "") keeps the courses
 * whose id or title contains it, case-insensitively. The counters are kept by the run-time
 * (scorm_rt_index.c), not counted here. limit is capped at SCORM_PAGE_MAX.
 */
int scorm_course_page(struct stmt_db *db, const char *q, size_t offset, size_t limit, cJSON **out);
/** 1 when course `id` exists, else 0. */
int scorm_course_exists(struct stmt_db *db, const char *id);
/** The course's counters (0 when it has none). SCORM_ERR_NOTFOUND for an invalid id. */
int scorm_course_stats(struct stmt_db *db, const char *id, int *registrations, int *completed);
/** One course record plus "tree" (the current version's parsed tree, with the item tree),
 *  "warnings", "registrations" and "completed" (counters), with "versions" as
 *  [{"version","created","title","scos"}]. SCORM_ERR_NOTFOUND when absent. *out owned. */
int scorm_course_get(struct stmt_db *db, const char *id, cJSON **out);
/** Delete a course: its record, every version record and its content (DATA/content/<id>/ on
 *  LMDB; on PostgreSQL its content rows and the blobs no other course uses, in the same
 *  transaction).
 *  SCORM_ERR_IN_USE while it has registrations (course_stats; preview ones do not count). */
int scorm_course_delete(struct stmt_db *db, const char *id);
/** The stored version record {"course","version","tree","report","warnings","path"} of one
 *  version (version 0 = current). *tree owned by the caller. */
int scorm_course_version_get(struct stmt_db *db, const char *id, int version, cJSON **tree);

/**
 * Parse an imsmanifest.xml held in memory (len bytes, at most max_bytes; 0 = default 1 MiB).
 * Safe libxml2 options only (security.md §4): no network, no entities, no DTD; a DOCTYPE is
 * rejected; UTF-8 (BOM allowed) or ISO-8859-1; at most SCORM_MAX_XML_NODES nodes.
 *
 * *tree (owned by the caller) is:
 *   {"identifier", "version": "scorm12"|..., "schemaversion", "base",
 *    "default_organization", "title",
 *    "organizations": [{"identifier","title","default":bool,"objectivesGlobalToSystem",
 *        "sharedDataGlobalToSystem","sequencing"?,"completionThreshold"?,"items":[ITEM]}],
 *    "resources": [{"identifier","type","scormType":"sco"|"asset","base","href",
 *        "files":[path],"dependencies":[id]}],
 *    "submanifests": [{"identifier","base","organizations","resources","submanifests"}]}
 *   ITEM = {"identifier","title","isvisible","identifierref"?,"parameters"?,"resource"?,
 *     "scormType"?,"launch"? (href resolved through xml:base, plus parameters),
 *     "masteryscore"?,"prerequisites"?{"type","value"},"maxtimeallowed"?,"timelimitaction"?,
 *     "datafromlms"?,"completionThreshold"?,"data"?[{"targetID","readSharedData",
 *     "writeSharedData"}],"hideLMSUI"?[...],"sequencing"?,"submanifest"?,"items"?[ITEM]}
 * Sequencing objects carry every IMS SS child present, with schema defaults filled in for
 * the attributes of elements that are present; IDRef collections are merged in (the item's
 * own children win, CAM 5.1.5). Warnings (strings) are appended to `warnings` if non-NULL.
 */
int scorm_manifest_parse(const void *xml, size_t len, size_t max_bytes, cJSON **tree,
                         cJSON *warnings, struct scorm_diag *diag);

/** Register the tables of scorm/ (courses, registrations, run-time data, sequencing state,
 *  bridge outbox; scorm_db.c) in a store just opened, before any other call of this module on
 *  it (stmt_db_tables_register). SCORM_OK or SCORM_ERR_STORE. */
int scorm_db_register(struct stmt_db *db);

#endif
