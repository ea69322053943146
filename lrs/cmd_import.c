/* SPDX-License-Identifier: Apache-2.0 */
/* `scolar import [--data DIR] [--course ID] FILE.zip`: prints the import JSON and exits 0, or
 * prints the error (naming the file and line where known) and exits 1 with nothing stored.
 * Without --course the import is always a new course (scorm.h scorm_import_opts). */
#include "lrs/lrs_cli.h"
#include "common/sc_alloc.h"
#include "scorm/cmi5.h"
#include "scorm/scorm.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* A cmi5 course (cmi5.xml in a zip, or the course structure XML itself; scorm/cmi5.h): 0 or 1
 * as the command's exit status, -1 when the file is not a cmi5 course. */
static int import_cmi5(struct stmt_db *db, const char *path, const char *course)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    int rc = -1;
    struct cmi5 *c = NULL;
    struct cmi5_diag d;
    cJSON *out = NULL;
    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
        (unsigned long long)n > SCORM_MAX_ZIP_BYTES || fseek(f, 0, SEEK_SET) ||
        !(buf = sc_malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n ||
        !cmi5_sniff(buf, (size_t)n))
        goto out;
    if (course) {
        fprintf(stderr, "scolar: %s is a cmi5 course: --course is for SCORM versions\n", path);
        rc = 1;
        goto out;
    }
    memset(&d, 0, sizeof d);
    rc = 1;
    if (cmi5_open(db, NULL, NULL, &c)) { /* importing writes no statements: no store */
        fprintf(stderr, "scolar: out of memory\n");
        goto out;
    }
    if (cmi5_course_import(c, buf, (size_t)n, n >= 2 && buf[0] == 'P' && buf[1] == 'K', &out, &d)) {
        fprintf(stderr, "scolar: import of %s failed: %s%s%s%s%s%s\n", path, d.msg,
                d.rule[0] ? " (cmi5 " : "", d.rule, d.rule[0] ? ")" : "", d.where[0] ? ": " : "",
                d.where);
        goto out;
    }
    {
        char *js = cJSON_PrintUnformatted(out);
        printf("%s\n", js ? js : "{}");
        cJSON_free(js);
    }
    rc = 0;
out:
    if (f)
        fclose(f);
    sc_free(buf);
    cJSON_Delete(out);
    cmi5_close(c);
    return rc;
}

static const char IMPORT_USAGE[] =
    "usage: scolar import [--data DIR] [--course ID] FILE.zip|cmi5.xml\n"
    "\n"
    "  --data DIR    data directory (env SCOLAR_DATA; default ./scolar-data)\n"
    "  --store URL   the store in PostgreSQL (env SCOLAR_STORE; docs/postgresql.md)\n"
    "  --course ID   course id ([A-Za-z0-9._-], at most 64): a new version of course ID when it\n"
    "                exists, else a new course with that id\n"
    "\n"
    "Prints {\"course\",\"title\",\"version\",\"scos\",\"course_version\",\"warnings\"}.\n"
    "Without --course every import is a NEW course: its id is derived from the manifest\n"
    "identifier, with a -2, -3, ... suffix when that id is taken (tool-default identifiers\n"
    "repeat across unrelated packages), so a package never silently joins another course.\n"
    "A cmi5 course (a zip with cmi5.xml, or the course structure XML whose AU urls are\n"
    "absolute) prints its course record (docs/cmi5.md).\n";

int lrs_cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"store", required_argument, NULL, LRS_OPT_STORE},
                                         {"course", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    struct lrs_config cfg;
    struct stmt_db *db = NULL;
    struct scorm_import_opts io;
    struct scorm_diag diag;
    cJSON *result = NULL;
    const char *course = NULL;
    int c, rc;

    lrs_config_defaults(&cfg);
    lrs_config_from_env(&cfg);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", optarg);
            break;
        case LRS_OPT_STORE:
            snprintf(cfg.store, sizeof cfg.store, "%s", optarg);
            break;
        case 'c':
            course = optarg;
            break;
        case 'h':
            fputs(IMPORT_USAGE, stdout);
            return 0;
        default:
            return lrs_cli_usage_error(IMPORT_USAGE, "unknown or incomplete option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return lrs_cli_usage_error(IMPORT_USAGE, "import needs exactly one FILE.zip%s", "");
    if (lrs_cli_open_db(&cfg, &db))
        return 1;
    memset(&io, 0, sizeof io);
    memset(&diag, 0, sizeof diag);
    io.course_id = course;
    io.worker_exe = LRS_SELF_EXE;
    scorm_import_cleanup(db);
    rc = import_cmi5(db, argv[optind], course);
    if (rc >= 0) {
        stmt_db_close(db);
        return rc;
    }
    rc = scorm_import_file(db, argv[optind], &io, &result, &diag);
    if (rc) {
        fprintf(stderr, "scolar: import of %s failed: %s", argv[optind], scorm_strerror(rc));
        if (diag.file[0])
            fprintf(stderr, " (%s%s%d)", diag.file, diag.line ? " line " : "",
                    diag.line ? diag.line : 0);
        else if (diag.line)
            fprintf(stderr, " (line %d)", diag.line);
        if (diag.msg[0])
            fprintf(stderr, ": %s", diag.msg);
        fprintf(stderr, "\n");
        stmt_db_close(db);
        return 1;
    }
    char *s = cJSON_PrintUnformatted(result);
    printf("%s\n", s ? s : "{}");
    cJSON_free(s);
    cJSON_Delete(result);
    stmt_db_close(db);
    return 0;
}
