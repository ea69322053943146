/* SPDX-License-Identifier: Apache-2.0 */
/* `scolar registration create --course ID --learner-id X [--learner-name N] [--data DIR]`:
 * creates a registration pinned to the course's current version and prints
 * {"registration","launch_url","token","expires","course","course_version"} (--mode, --credit
 * optional).
 * `scolar registration token --registration ID [--data DIR]`: a new launch token of an
 * existing registration (the CLI form of POST /api/registrations/ID/token), printed as
 * {"registration","token","expires","launch_url"}; earlier tokens stay valid until they
 * expire.
 * Exit 0, or 1 with one line naming the cause (unknown course or registration, bad learner
 * id), 2 on a usage error. */
#include "lrs/lrs_cli.h"
#include "common/sc_time.h"
#include "scorm/scorm_rt.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char REG_USAGE[] =
    "usage: scolar registration create --course ID --learner-id ID [--learner-name NAME]\n"
    "                                  [--mode MODE] [--credit CREDIT] [--strict] [--data DIR]\n"
    "\n"
    "  --course ID         an imported course (the registration keeps its current version)\n"
    "  --learner-id ID     the learner's identifier (cmi.learner_id; no whitespace)\n"
    "  --learner-name N    the learner's name (cmi.learner_name)\n"
    "  --mode MODE         normal (default), browse or review (cmi.mode)\n"
    "  --credit CREDIT     credit (default) or no-credit (cmi.credit)\n"
    "  --strict            spec-exact validation of every value (default: lenient where real\n"
    "                      content needs it; docs/registrations.md)\n"
    "  --data DIR          data directory (env SCOLAR_DATA; default ./scolar-data)\n"
    "  --store URL         the store in PostgreSQL (env SCOLAR_STORE; docs/postgresql.md)\n"
    "\n"
    "       scolar registration token --registration ID [--data DIR]\n"
    "\n"
    "  a new launch token and URL for an existing registration (relaunch links; earlier\n"
    "  tokens stay valid until they expire)\n"
    "\n"
    "The launch URL is on the content origin (SCOLAR_CONTENT_URL, else http://<content "
    "listen>).\n";

int lrs_cmd_registration(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"store", required_argument, NULL, LRS_OPT_STORE},
                                         {"course", required_argument, NULL, 'c'},
                                         {"learner-id", required_argument, NULL, 'i'},
                                         {"learner-name", required_argument, NULL, 'n'},
                                         {"mode", required_argument, NULL, 'm'},
                                         {"credit", required_argument, NULL, 'r'},
                                         {"strict", no_argument, NULL, 's'},
                                         {"registration", required_argument, NULL, 'g'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    struct lrs_app app;
    struct scorm_diag d;
    struct scorm_rt *rt;
    const char *course = NULL, *lid = NULL, *lname = "", *mode = NULL, *credit = NULL;
    const char *reg = NULL;
    cJSON *out = NULL;
    char err[512], url[1024];
    int c, rc = 1, strict = 0, create;

    if (argc < 2)
        return lrs_cli_usage_error(REG_USAGE, "registration needs a subcommand%s", "");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(REG_USAGE, stdout);
        return 0;
    }
    create = !strcmp(argv[1], "create");
    if (!create && strcmp(argv[1], "token"))
        return lrs_cli_usage_error(REG_USAGE, "unknown registration subcommand '%s'", argv[1]);
    memset(&app, 0, sizeof app);
    lrs_config_defaults(&app.cfg);
    lrs_config_from_env(&app.cfg);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            snprintf(app.cfg.data_dir, sizeof app.cfg.data_dir, "%s", optarg);
            break;
        case LRS_OPT_STORE:
            snprintf(app.cfg.store, sizeof app.cfg.store, "%s", optarg);
            break;
        case 'c':
            course = optarg;
            break;
        case 'i':
            lid = optarg;
            break;
        case 'n':
            lname = optarg;
            break;
        case 'm':
            mode = optarg;
            break;
        case 'r':
            credit = optarg;
            break;
        case 's':
            strict = 1;
            break;
        case 'g':
            reg = optarg;
            break;
        case 'h':
            fputs(REG_USAGE, stdout);
            return 0;
        default:
            return lrs_cli_usage_error(REG_USAGE, "unknown or incomplete option '%s'",
                                       argv[optind]);
        }
    }
    if (optind < argc - 1)
        return lrs_cli_usage_error(REG_USAGE, "unexpected argument '%s'", argv[optind + 1]);
    if (create && (!course || !lid || reg))
        return lrs_cli_usage_error(REG_USAGE,
                                   "registration create needs --course and --learner-id, "
                                   "and takes no --registration%s",
                                   "");
    if (!create && (!reg || course || lid || mode || credit || strict || lname[0]))
        return lrs_cli_usage_error(REG_USAGE,
                                   "registration token needs --registration and takes no "
                                   "other option but --data%s",
                                   "");
    lrs_config_urls(&app.cfg);
    if (lrs_cli_open_db(&app.cfg, &app.db))
        return 1;
    lrs_rt_open(&app); /* no statement store: the CLI emits no statements */
    rt = lrs_rt_get(&app, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "scolar: SCORM run-time unavailable: %s\n", err);
        goto out;
    }
    if (!create) {
        char token[SCORM_RT_TOKEN_LEN], ts[SC_TIME_ISO_LEN];
        int64_t exp;
        int trc = scorm_rt_token_issue(rt, reg, token, &exp);
        if (trc) {
            fprintf(stderr, "scolar: cannot issue a token for registration %s: %s\n", reg,
                    scorm_rt_strerror(trc));
            goto out;
        }
        out = cJSON_CreateObject();
        if (!out)
            goto out;
        cJSON_AddStringToObject(out, "registration", reg);
        cJSON_AddStringToObject(out, "token", token);
        cJSON_AddStringToObject(out, "expires", sc_time_format_iso(exp, 0, ts));
    } else {
        memset(&d, 0, sizeof d);
        struct scorm_rt_reg_opts ro = {mode, credit, strict, 0};
        if (scorm_rt_registration_create_opt(rt, course, lid, lname, &ro, &out, &d)) {
            fprintf(stderr, "scolar: cannot create the registration: %s%s%s\n", d.file,
                    d.file[0] ? ": " : "", d.msg);
            goto out;
        }
    }
    snprintf(url, sizeof url, "%s/player/%s?token=%s", app.cfg.content_url,
             cJSON_GetStringValue(cJSON_GetObjectItem(out, "registration")),
             cJSON_GetStringValue(cJSON_GetObjectItem(out, "token")));
    cJSON_AddStringToObject(out, "launch_url", url);
    char *s = cJSON_PrintUnformatted(out);
    printf("%s\n", s ? s : "{}");
    cJSON_free(s);
    rc = s ? 0 : 1;
out:
    cJSON_Delete(out);
    lrs_rt_close(&app);
    stmt_db_close(app.db);
    return rc;
}
