/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scolar: the command line. `scolar serve` runs the LRS and the SCORM player; the other
 * subcommands work on a data directory that no server has open (the store is locked by the
 * serving process). Exit codes: 0 success, 1 failure with one line naming the cause on stderr,
 * 2 usage error (usage on stderr).
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "lrs/lrs_console.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "scorm/scorm.h"
#include "scorm/scorm_content.h"
#include "scorm/scorm_rt.h"
#include "statements/stmt_store.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <libxml/parser.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char MAIN_USAGE[] =
    "usage: scolar <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve          run the xAPI LRS, the admin API and the SCORM player\n"
    "  import FILE    import a SCORM package (zip) into the data directory\n"
    "  creds          create, list or revoke credentials\n"
    "  registration   create a registration (a learner's launch link for a course)\n"
    "  user           create, list or delete console users (web console sign-in)\n"
    "  check          verify the store (and the statement indexes against the statements)\n"
    "  reindex        rebuild the statement id table and query indexes from the statements\n"
    "  export         write statements as JSON lines or CSV (server stopped)\n"
    "  migrate        copy another LRS's statements and documents here, or push ours\n"
    "  copy-store     copy a whole store between LMDB and PostgreSQL (--from, --to)\n"
    "  backup DEST    copy the store (compacted) and course files, also while serving\n"
    "  restore BACKUP restore a backup into a new data directory and verify it\n"
    "  config check   check the configuration (--config FILE, environment)\n"
    "\n"
    "  scolar <command> --help    options of a command\n"
    "  scolar --version           print the version\n";

static const char SERVE_USAGE[] =
    "usage: scolar serve [--data DIR] [--store URL] [--listen HOST:PORT] [--content-listen "
    "HOST:PORT]\n"
    "\n"
    "  --data DIR                 data directory (env SCOLAR_DATA; default ./scolar-data)\n"
    "  --store URL                keep the store in PostgreSQL (postgres://USER@HOST/DB, env\n"
    "                             SCOLAR_STORE): several nodes may serve one database; --data\n"
    "                             is then this node's own folder\n"
    "  --listen HOST:PORT         API and admin origin (env SCOLAR_LISTEN; default "
    "127.0.0.1:8080)\n"
    "  --content-listen HOST:PORT content origin for the player and packages\n"
    "                             (env SCOLAR_CONTENT_LISTEN; default 127.0.0.1:8081)\n"
    "  --max-body BYTES           request body cap, 413 past it (env SCOLAR_MAX_BODY)\n"
    "  --max-document BYTES       xAPI document (State, profiles) cap (env "
    "SCOLAR_MAX_DOCUMENT;\n"
    "                             default 1048576)\n"
    "  --threads N                HTTP workers per origin (env SCOLAR_THREADS; default 512)\n"
    "  --public-url URL           how clients reach --listen: launch links, activity IRIs\n"
    "                             (env SCOLAR_PUBLIC_URL; default http(s)://LISTEN)\n"
    "  --content-url URL          how browsers reach --content-listen (env SCOLAR_CONTENT_URL)\n"
    "  --tls-cert FILE            serve HTTPS on both origins with this PEM certificate chain\n"
    "                             (env SCOLAR_TLS_CERT)\n"
    "  --tls-key FILE             its PEM private key (env SCOLAR_TLS_KEY; default: in the "
    "cert file)\n"
    "  --trusted-proxy ADDRS      comma-separated proxy addresses whose X-Forwarded-For is\n"
    "                             believed (env SCOLAR_TRUSTED_PROXY; default none)\n"
    "  --log-format text|json     log lines (env SCOLAR_LOG_FORMAT; default text)\n"
    "  --config FILE              read settings from FILE first (any command; env "
    "SCOLAR_CONFIG)\n"
    "\n"
    "On a store with no credentials, serve creates an admin credential and prints it once;\n"
    "SCOLAR_ADMIN_KEY and SCOLAR_ADMIN_SECRET choose it instead.\n";

static const char CREDS_USAGE[] =
    "usage: scolar creds create --name NAME --scopes SCOPES [--data DIR] [--store URL]\n"
    "       scolar creds list [--data DIR] [--store URL]\n"
    "       scolar creds revoke KEY [--data DIR] [--store URL]\n"
    "\n"
    "  SCOPES is a comma-separated list of: all, all/read, statements/write, statements/read,\n"
    "  statements/read/mine, state, define, profile, admin\n";

static const char CHECK_USAGE[] = "usage: scolar check [--data DIR] [--store URL]\n"
                                  "  verifies the store and prints what it holds; exit 1 on a "
                                  "finding\n"
                                  "  (with the report tallies against tallies built again from "
                                  "the data,\n"
                                  "  the SCORM run-time data against its statements: a "
                                  "SCO reported\n"
                                  "  completed has its completed statement; bridge outbox rows "
                                  "waiting or dead)\n";

static const char REINDEX_USAGE[] =
    "usage: scolar reindex [--data DIR] [--store URL]\n"
    "  empties the statement id table and query indexes and rebuilds them from the stored\n"
    "  statements (after `scolar check` reported findings); statements are not changed\n";

/* Shared option parsing for the subcommands that only take --data (and --help). */
int lrs_cli_data_opts(int argc, char **argv, const char *usage, struct lrs_config *cfg,
                      int *first_arg)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"store", required_argument, NULL, LRS_OPT_STORE},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", optarg);
            break;
        case LRS_OPT_STORE:
            snprintf(cfg->store, sizeof cfg->store, "%s", optarg);
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return lrs_cli_usage_error(usage, "unknown or incomplete option '%s'",
                                       argv[optind - 1]);
        }
    }
    *first_arg = optind;
    return 0;
}

/* ---- serve ----------------------------------------------------------------------------- */

static int ensure_admin(struct lrs_app *app)
{
    const char *k = getenv("SCOLAR_ADMIN_KEY"), *s = getenv("SCOLAR_ADMIN_SECRET");
    char key[80], secret[80];
    int n = lrs_cred_count(app->db);
    if (n < 0) {
        fprintf(stderr, "scolar: cannot read credentials from the store\n");
        return 1;
    }
    if (k && *k && s && *s) {
        char *existing = NULL;
        size_t len;
        if (stmt_db_get1(app->db, "creds", k, strlen(k), &existing, &len) == STMT_DB_OK) {
            sc_free(existing);
            return 0;
        }
        int rc = lrs_cred_create(app->db, "admin", LRS_SCOPE_ALL | LRS_SCOPE_ADMIN, k, s, key,
                                 sizeof key, secret, sizeof secret);
        if (rc) {
            fprintf(stderr,
                    "scolar: SCOLAR_ADMIN_KEY/SCOLAR_ADMIN_SECRET rejected (printable ASCII, "
                    "no spaces or colons, key at most 64 and secret at most 72 characters)\n");
            return 1;
        }
        return 0;
    }
    if (n > 0)
        return 0;
    if (lrs_cred_create(app->db, "admin", LRS_SCOPE_ALL | LRS_SCOPE_ADMIN, NULL, NULL, key,
                        sizeof key, secret, sizeof secret)) {
        fprintf(stderr, "scolar: cannot create the admin credential\n");
        return 1;
    }
    printf("scolar: created admin credential (shown once; store it now)\n"
           "  key:    %s\n  secret: %s\n",
           key, secret);
    fflush(stdout);
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"store", required_argument, NULL, LRS_OPT_STORE},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"content-listen", required_argument, NULL, 'c'},
                                         {"max-body", required_argument, NULL, 'b'},
                                         {"max-document", required_argument, NULL, 'D'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"public-url", required_argument, NULL, 'P'},
                                         {"content-url", required_argument, NULL, 'C'},
                                         {"tls-cert", required_argument, NULL, 'T'},
                                         {"tls-key", required_argument, NULL, 'K'},
                                         {"trusted-proxy", required_argument, NULL, 'X'},
                                         {"log-format", required_argument, NULL, 'F'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    struct lrs_app app;
    char err[1024];
    sigset_t set;
    int c, sig = 0, rc = 1;

    memset(&app, 0, sizeof app);
    lrs_config_defaults(&app.cfg);
    lrs_config_from_env(&app.cfg);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        char *end;
        unsigned long long v;
        switch (c) {
        case 'd':
            snprintf(app.cfg.data_dir, sizeof app.cfg.data_dir, "%s", optarg);
            break;
        case LRS_OPT_STORE:
            snprintf(app.cfg.store, sizeof app.cfg.store, "%s", optarg);
            break;
        case 'l':
            snprintf(app.cfg.listen, sizeof app.cfg.listen, "%s", optarg);
            break;
        case 'c':
            snprintf(app.cfg.content_listen, sizeof app.cfg.content_listen, "%s", optarg);
            break;
        case 'b':
            v = strtoull(optarg, &end, 10);
            if (*end || !v)
                return lrs_cli_usage_error(SERVE_USAGE, "--max-body needs a byte count, not '%s'",
                                           optarg);
            app.cfg.max_body = (size_t)v;
            break;
        case 'D':
            v = strtoull(optarg, &end, 10);
            if (*end || !v)
                return lrs_cli_usage_error(SERVE_USAGE,
                                           "--max-document needs a byte count, not '%s'", optarg);
            app.cfg.max_doc = (size_t)v;
            break;
        case 't':
            v = strtoull(optarg, &end, 10);
            if (*end || !v || v > LRS_MAX_THREADS)
                return lrs_cli_usage_error(SERVE_USAGE, "--threads needs 1..4096, not '%s'",
                                           optarg);
            app.cfg.threads = (int)v;
            break;
        case 'P':
            snprintf(app.cfg.public_url, sizeof app.cfg.public_url, "%s", optarg);
            break;
        case 'C':
            snprintf(app.cfg.content_url, sizeof app.cfg.content_url, "%s", optarg);
            break;
        case 'T':
            snprintf(app.cfg.tls_cert, sizeof app.cfg.tls_cert, "%s", optarg);
            break;
        case 'K':
            snprintf(app.cfg.tls_key, sizeof app.cfg.tls_key, "%s", optarg);
            break;
        case 'X':
            snprintf(app.cfg.trusted_proxies, sizeof app.cfg.trusted_proxies, "%s", optarg);
            break;
        case 'F':
            if (strcmp(optarg, "json") && strcmp(optarg, "text"))
                return lrs_cli_usage_error(SERVE_USAGE, "--log-format is text or json, not '%s'",
                                           optarg);
            app.cfg.log_json = !strcmp(optarg, "json");
            break;
        case 'h':
            fputs(SERVE_USAGE, stdout);
            return 0;
        default:
            return lrs_cli_usage_error(SERVE_USAGE, "unknown or incomplete option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind < argc)
        return lrs_cli_usage_error(SERVE_USAGE, "unexpected argument '%s'", argv[optind]);
    lrs_log_set_level((enum lrs_log_level)app.cfg.log_level);
    lrs_log_set_json(app.cfg.log_json);
    if (lrs_config_validate(&app.cfg, err, sizeof err) ||
        (app.cfg.tls_cert[0] && lrs_tls_open(&app.cfg, err, sizeof err))) {
        fprintf(stderr, "scolar: %s\n", err);
        return 1;
    }
    lrs_config_urls(&app.cfg);

    /* Large buffers (the unfolded tail's arrays, report caches, import results) come and go
     * with the load: a fixed mmap threshold keeps every allocation over 256 KiB in its own
     * mapping, returned to the system when freed. glibc's default raises the threshold to the
     * largest block freed so far, after which such blocks live in the heap and their memory
     * stays with the process (45 MiB after an ingest burst, bench/run_memory.sh). */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    /* Signals are taken synchronously by this thread. They are blocked before any thread
     * starts (the store's writer and fold threads, civetweb's workers): every thread inherits
     * the mask, so a SIGTERM during start-up waits for sigwait below instead of killing the
     * process through a thread that had not blocked it. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP); /* reload the TLS certificate */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (lrs_cli_open_db(&app.cfg, &app.db))
        return 1;
    if (ensure_admin(&app))
        goto out;
    if (lrs_app_open(&app, err, sizeof err)) {
        fprintf(stderr, "scolar: %s\n", err);
        goto out;
    }
    app.started_us = sc_time_now_us();
    if (lrs_server_start(&app, err, sizeof err)) {
        fprintf(stderr, "scolar: %s\n", err);
        lrs_app_close(&app);
        goto out;
    }
    printf("scolar %s serving\n  console: %s/ (sign in with an admin key and secret)\n"
           "  xAPI:    %s/xapi/\n  admin:   %s/api/ (courses, registrations, "
           "credentials)\n  content: %s/\n  data:    %s\n%s%s%s",
           SCOLAR_VERSION, app.cfg.public_url, app.cfg.public_url, app.cfg.public_url,
           app.cfg.content_url, app.cfg.data_dir, app.cfg.store[0] ? "  store:   " : "",
           app.cfg.store[0] ? lrs_store_describe(&app.cfg, err, sizeof err) : "",
           app.cfg.store[0] ? "\n" : "");
    fflush(stdout);
    while (!sigwait(&set, &sig) && sig == SIGHUP) {
        if (!app.cfg.tls_cert[0])
            lrs_log(LRS_LOG_INFO, "SIGHUP: nothing to reload (no tls-cert)");
        else if (lrs_tls_reload(err, sizeof err))
            lrs_log(LRS_LOG_ERROR, "SIGHUP: %s; the certificate in use is kept", err);
        else
            lrs_log(LRS_LOG_INFO, "SIGHUP: TLS certificate reloaded from %s", app.cfg.tls_cert);
    }
    lrs_log(LRS_LOG_INFO, "signal %d: stopping (finishing in-flight requests)", sig);
    lrs_server_stop(&app);
    lrs_app_close(&app);
    lrs_log(LRS_LOG_INFO, "stopped cleanly");
    rc = 0;
out:
    stmt_db_close(app.db);
    lrs_tls_close();
    return rc;
}

/* ---- creds ----------------------------------------------------------------------------- */

static int cmd_creds(int argc, char **argv)
{
    struct lrs_config cfg;
    struct stmt_db *db = NULL;
    const char *sub;
    int rc = 1;

    lrs_config_defaults(&cfg);
    lrs_config_from_env(&cfg);
    if (argc < 2)
        return lrs_cli_usage_error(CREDS_USAGE, "creds needs a subcommand%s", "");
    sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        fputs(CREDS_USAGE, stdout);
        return 0;
    }
    if (!strcmp(sub, "create")) {
        static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                             {"store", required_argument, NULL, LRS_OPT_STORE},
                                             {"name", required_argument, NULL, 'n'},
                                             {"scopes", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0, 0, 0, 0}};
        const char *name = NULL, *scopes_s = NULL;
        unsigned scopes;
        char err[256], key[80], secret[80];
        int c;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc - 1, argv + 1, "+", opts, NULL)) != -1) {
            switch (c) {
            case 'd':
                snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", optarg);
                break;
            case LRS_OPT_STORE:
                snprintf(cfg.store, sizeof cfg.store, "%s", optarg);
                break;
            case 'n':
                name = optarg;
                break;
            case 's':
                scopes_s = optarg;
                break;
            case 'h':
                fputs(CREDS_USAGE, stdout);
                return 0;
            default:
                return lrs_cli_usage_error(CREDS_USAGE, "unknown or incomplete option '%s'",
                                           argv[optind]);
            }
        }
        if (optind < argc - 1)
            return lrs_cli_usage_error(CREDS_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        if (!name || !scopes_s)
            return lrs_cli_usage_error(CREDS_USAGE, "creds create needs --name and --scopes%s", "");
        if (lrs_scopes_parse(scopes_s, &scopes, err, sizeof err))
            return lrs_cli_usage_error(CREDS_USAGE, "--scopes: %s", err);
        if (lrs_cli_open_db(&cfg, &db))
            return 1;
        if (lrs_cred_create(db, name, scopes, NULL, NULL, key, sizeof key, secret, sizeof secret)) {
            fprintf(stderr, "scolar: cannot store the credential\n");
            goto out;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "key", key);
        cJSON_AddStringToObject(o, "secret", secret);
        cJSON_AddItemToObject(o, "scopes", lrs_scopes_json(scopes));
        char *s = cJSON_PrintUnformatted(o);
        printf("%s\n", s);
        cJSON_free(s);
        cJSON_Delete(o);
        rc = 0;
        goto out;
    }
    if (!strcmp(sub, "list") || !strcmp(sub, "revoke")) {
        int first;
        int r = lrs_cli_data_opts(argc - 1, argv + 1, CREDS_USAGE, &cfg, &first);
        if (r)
            return r < 0 ? 0 : r;
        first += 1; /* index into argv */
        if (!strcmp(sub, "list")) {
            if (first < argc)
                return lrs_cli_usage_error(CREDS_USAGE, "unexpected argument '%s'", argv[first]);
            if (lrs_cli_open_db(&cfg, &db))
                return 1;
            cJSON *l = lrs_cred_list(db);
            char *s = l ? cJSON_PrintUnformatted(l) : NULL;
            if (s) {
                printf("%s\n", s);
                rc = 0;
            } else {
                fprintf(stderr, "scolar: cannot read credentials\n");
            }
            cJSON_free(s);
            cJSON_Delete(l);
            goto out;
        }
        if (first != argc - 1)
            return lrs_cli_usage_error(CREDS_USAGE, "creds revoke needs exactly one KEY%s", "");
        if (lrs_cli_open_db(&cfg, &db))
            return 1;
        int r2 = lrs_cred_revoke(db, argv[first]);
        if (r2 == STMT_DB_NOTFOUND)
            fprintf(stderr, "scolar: no credential with key %s\n", argv[first]);
        else if (r2)
            fprintf(stderr, "scolar: cannot revoke: %s\n", stmt_db_strerror(r2));
        else
            rc = 0;
        goto out;
    }
    return lrs_cli_usage_error(CREDS_USAGE, "unknown creds subcommand '%s'", sub);
out:
    stmt_db_close(db);
    return rc;
}

/* ---- check ----------------------------------------------------------------------------- */

/* The store of a command that takes only --data/--store and must find a store there (check,
 * reindex: lrs_cli_open_existing creates nothing), opened into *db; tmp: its temporary node
 * folder on PostgreSQL ("" none; lrs_cli_close_existing removes it). -1 after --help (exit 0),
 * else 0 or the exit status of a usage error or a failed open. */
static int open_data_only(int argc, char **argv, const char *usage, struct lrs_config *cfg,
                          struct stmt_db **db, char *tmp, size_t tmplen)
{
    int first, rc;
    tmp[0] = '\0';
    lrs_config_defaults(cfg);
    lrs_config_from_env(cfg);
    rc = lrs_cli_data_opts(argc, argv, usage, cfg, &first);
    if (rc)
        return rc;
    if (first < argc)
        return lrs_cli_usage_error(usage, "unexpected argument '%s'", argv[first]);
    return lrs_cli_open_existing(cfg, db, tmp, tmplen);
}

/* The course reports the run-time keeps (scorm_rt_report_keep.c) against the ones computed
 * from the registrations' records. */
static int check_course_reports(const struct lrs_config *cfg, struct stmt_db *db)
{
    struct lrs_app app;
    struct scorm_rt *rt;
    char err[512], report[4096];
    int bad, rerr = 0;
    memset(&app, 0, sizeof app);
    app.cfg = *cfg;
    app.db = db;
    lrs_rt_open(&app); /* no statement store: nothing is drained or emitted */
    rt = lrs_rt_get(&app, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "course reports: the SCORM run-time is unavailable: %s\n", err);
        return 1;
    }
    bad = scorm_rt_course_reports_check(rt, db, report, sizeof report, &rerr);
    lrs_rt_close(&app);
    if (bad < 0) {
        fprintf(stderr, "course reports: unreadable: %s\n", scorm_rt_strerror(rerr));
        return 1;
    }
    if (bad) {
        fputs(report, stderr);
        fprintf(stderr,
                "course reports: %d differ from their registrations' data (scolar "
                "reindex rebuilds them)\n",
                bad);
        return 1;
    }
    printf("course reports: kept tallies match the registrations' data\n");
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    struct lrs_config cfg;
    struct stmt_db *db = NULL;
    char report[8192], tmp[1100];
    int rc = open_data_only(argc, argv, CHECK_USAGE, &cfg, &db, tmp, sizeof tmp);

    if (rc)
        return rc < 0 ? 0 : rc;
    rc = stmt_db_check(db, report, sizeof report);
    fputs(report, rc ? stderr : stdout);
    if (!rc) {
        rc = stmt_store_check(db, report, sizeof report);
        fputs(report, rc ? stderr : stdout);
    }
    if (!rc) {
        /* the SCORM run-time data against its statements (scorm_check.c): a SCO reported
         * completed has its completed bridge statement; the bridge outbox's rows wait only
         * between a crash and the next start (its drain stores them before serving); a dead
         * row is a statement the store refused */
        struct stmt_store *st = NULL;
        struct stmt_store_opts so = {0};
        struct scorm_check ck;
        char *rep = NULL;
        int src;
        char berr[1024];
        if (lrs_backup_before_upgrade(db, berr, sizeof berr)) {
            fprintf(stderr, "scolar: %s\n", berr);
            rc = 1;
        } else if ((src = stmt_store_open(db, &so, &st)) != 0) {
            fprintf(stderr, "scorm: cannot open the statement store: %s\n",
                    stmt_store_strerror(src));
            rc = 1;
        } else if ((src = scorm_check_statements(db, st, &ck, &rep)) != 0) {
            fprintf(stderr, "scorm: cannot check the run-time data: %s\n", scorm_rt_strerror(src));
            rc = 1;
        } else {
            rc = ck.missing || ck.unreadable || ck.dead;
            fputs(rep, rc ? stderr : stdout);
            printf("scorm: %zu registrations, %zu SCOs reported completed: %zu with their "
                   "completed statement, %zu waiting as outbox rows, %zu in sessions still "
                   "open, %zu without\n",
                   ck.registrations, ck.completed, ck.completed - ck.open - ck.pending - ck.missing,
                   ck.pending, ck.open, ck.missing);
            printf("scorm bridge outbox: %zu statements waiting (stored at the next start), "
                   "%zu refused\n",
                   ck.rows, ck.dead);
        }
        sc_free(rep);
        stmt_store_close(st);
    }
    if (!rc)
        rc = check_course_reports(&cfg, db);
    if (!rc && stmt_db_is_pg(db)) {
        /* course content in the database (scorm_content.h, issue 19): every blob's reference
         * count is the number of content rows naming it and its chunks are all there */
        struct scorm_content_stats cs;
        int crc = scorm_content_stats(db, &cs);
        if (crc) {
            fprintf(stderr, "course content: cannot read: %s\n", scorm_strerror(crc));
            rc = 1;
        } else if (cs.bad) {
            fprintf(stderr, "course content: %zu findings (reference counts or chunks)\n", cs.bad);
            rc = 1;
        } else {
            printf("course content: %zu files, %zu blobs (%llu bytes), %zu chunks\n", cs.files,
                   cs.blobs, (unsigned long long)cs.blob_bytes, cs.chunks);
        }
    }
    if (!rc) /* the activity report tallies against tallies built again (cmd_check_reports.c) */
        rc = lrs_check_activity_reports(&cfg, db);
    if (!rc) {
        char *fmt = NULL, where[1100];
        size_t n = 0;
        stmt_db_get1(db, "meta", "format", 6, &fmt, &n);
        printf("store %s: ok (format %s)\n", lrs_store_describe(&cfg, where, sizeof where),
               fmt ? fmt : "?");
        sc_free(fmt);
    }
    lrs_cli_close_existing(db, tmp);
    return rc ? 1 : 0;
}

/* ---- reindex --------------------------------------------------------------------------- */

static int cmd_reindex(int argc, char **argv)
{
    struct lrs_config cfg;
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    struct stmt_store_opts o = {0};
    int64_t t0 = sc_time_now_us();
    size_t folded = 0;
    char tmp[1100];
    int migrated = 0, rc = open_data_only(argc, argv, REINDEX_USAGE, &cfg, &db, tmp, sizeof tmp);

    if (rc)
        return rc < 0 ? 0 : rc;
    o.reindex = 1;
    rc = stmt_store_open(db, &o, &st); /* the rebuild is the fold that open runs */
    if (rc) {
        char where[1100];
        fprintf(stderr, "scolar: reindex of %s failed: %s\n",
                lrs_store_describe(&cfg, where, sizeof where), stmt_store_strerror(rc));
        lrs_cli_close_existing(db, tmp);
        return 1;
    }
    stmt_store_open_info(st, &folded, &migrated);
    stmt_store_close(st);
    {
        /* the course reports the run-time keeps, from the registrations' records */
        struct lrs_app app;
        struct scorm_rt *rt;
        char err[512];
        memset(&app, 0, sizeof app);
        app.cfg = cfg;
        app.db = db;
        lrs_rt_open(&app);
        rt = lrs_rt_get(&app, err, sizeof err);
        rc = rt ? scorm_rt_course_reports_rebuild(rt, db) : SCORM_RT_ERR_STORE;
        lrs_rt_close(&app);
        if (rc) {
            char where[1100];
            fprintf(stderr, "scolar: rebuilding the course reports of %s failed: %s\n",
                    lrs_store_describe(&cfg, where, sizeof where),
                    rt ? scorm_rt_strerror(rc) : err);
            lrs_cli_close_existing(db, tmp);
            return 1;
        }
    }
    lrs_cli_close_existing(db, tmp);
    printf("reindexed %zu statements in %.1f s\n", folded, (double)(sc_time_now_us() - t0) / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    sc_alloc_init_cjson();
    /* a package import's worker process (scorm_import_opts.worker_exe): nothing else runs */
    if (argc > 1 && !strcmp(argv[1], SCORM_IMPORT_WORKER_ARG))
        return scorm_import_worker_main(argc - 1, argv + 1);
    xmlInitParser(); /* security.md §4: once, before threads */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc;
    if (lrs_cli_config_prepass(&argc, argv))
        return 1;
    if (argc < 2)
        return lrs_cli_usage_error(MAIN_USAGE, "missing command%s", "");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("scolar %s\n", SCOLAR_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(MAIN_USAGE, stdout);
        return 0;
    }
    if (!strcmp(cmd, "serve"))
        rc = cmd_serve(argc - 1, argv + 1);
    else if (!strcmp(cmd, "creds"))
        rc = cmd_creds(argc - 1, argv + 1);
    else if (!strcmp(cmd, "check"))
        rc = cmd_check(argc - 1, argv + 1);
    else if (!strcmp(cmd, "import"))
        rc = lrs_cmd_import(argc - 1, argv + 1);
    else if (!strcmp(cmd, "reindex"))
        rc = cmd_reindex(argc - 1, argv + 1);
    else if (!strcmp(cmd, "registration"))
        rc = lrs_cmd_registration(argc - 1, argv + 1);
    else if (!strcmp(cmd, "user"))
        rc = lrs_cmd_user(argc - 1, argv + 1);
    else if (!strcmp(cmd, "export"))
        rc = lrs_cmd_export(argc - 1, argv + 1);
    else if (!strcmp(cmd, "migrate"))
        rc = lrs_cmd_migrate(argc - 1, argv + 1);
    else if (!strcmp(cmd, "copy-store"))
        rc = lrs_cmd_copy_store(argc - 1, argv + 1);
    else if (!strcmp(cmd, "backup"))
        rc = lrs_cmd_backup(argc - 1, argv + 1);
    else if (!strcmp(cmd, "restore"))
        rc = lrs_cmd_restore(argc - 1, argv + 1);
    else if (!strcmp(cmd, "config"))
        rc = lrs_cmd_config(argc - 1, argv + 1);
    else
        rc = lrs_cli_usage_error(MAIN_USAGE, "unknown command '%s'", cmd);
    curl_global_cleanup();
    xmlCleanupParser();
    return rc;
}
