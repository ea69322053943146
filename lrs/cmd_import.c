/* SPDX-License-Identifier: Apache-2.0 */
/* `scolar import [--data DIR] [--course ID] FILE.zip`: prints the import JSON and exits 0, or
 * prints the error (naming the file and line where known) and exits 1 with nothing stored.
 * Without --course the import is always a new course (scorm.h scorm_import_opts). */
#include "lrs/lrs_cli.h"
#include "scorm/scorm.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char IMPORT_USAGE[] =
    "usage: scolar import [--data DIR] [--course ID] FILE.zip\n"
    "\n"
    "  --data DIR    data directory (env SCOLAR_DATA; default ./scolar-data)\n"
    "  --course ID   course id ([A-Za-z0-9._-], at most 64): a new version of course ID when it\n"
    "                exists, else a new course with that id\n"
    "\n"
    "Prints {\"course\",\"title\",\"version\",\"scos\",\"course_version\",\"warnings\"}.\n"
    "Without --course every import is a NEW course: its id is derived from the manifest\n"
    "identifier, with a -2, -3, ... suffix when that id is taken (tool-default identifiers\n"
    "repeat across unrelated packages), so a package never silently joins another course.\n";

int lrs_cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
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
    if (lrs_cli_open_db(cfg.data_dir, &db))
        return 1;
    memset(&io, 0, sizeof io);
    memset(&diag, 0, sizeof diag);
    io.course_id = course;
    io.worker_exe = LRS_SELF_EXE;
    scorm_import_cleanup(db);
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
