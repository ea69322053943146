/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `scolar export`: every statement (or those the xAPI query filters select) as JSON lines or
 * CSV (docs/reports.md) to a file or stdout, from the data directory of a stopped server (a
 * running one holds the directory's lock: use GET /api/export/statements then). The walk is
 * the export endpoint's (lrs_export_run): page by page, constant memory. On a terminal,
 * stderr shows a progress bar.
 */
#include "lrs/lrs_cli.h"
#include "common/sc_time.h"
#include "statements/stmt_json.h"
#include "statements/stmt_store.h"
#include "statements/stmt_validate.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char EXPORT_USAGE[] =
    "usage: scolar export [--data DIR] [--format jsonl|csv] [-o FILE] [filters]\n"
    "\n"
    "  --data DIR               data directory (env SCOLAR_DATA; default ./scolar-data);\n"
    "                           the server must be stopped (with it running, use\n"
    "                           GET /api/export/statements)\n"
    "  --store URL              the store in PostgreSQL (env SCOLAR_STORE; docs/postgresql.md)\n"
    "  --format jsonl|csv       one statement per line (default), or CSV with the columns\n"
    "                           of docs/reports.md\n"
    "  -o, --output FILE        write to FILE (default: stdout)\n"
    "\n"
    "Filters (as GET /xapi/statements, xAPI Comm 2.1.3):\n"
    "  --agent JSON             an Agent object, e.g. '{\"mbox\":\"mailto:a@example.org\"}'\n"
    "  --verb IRI  --activity IRI  --registration UUID\n"
    "  --related-activities  --related-agents\n"
    "  --since ISO  --until ISO  stored after since, up to until\n"
    "  --limit N                at most N statements (default: all)\n"
    "  --ascending              oldest first (default: newest first)\n"
    "\n"
    "Prints the number of statements written to stderr; exit 0, 1 on a failure, 2 on a usage\n"
    "error.\n";

struct file_sink {
    FILE *f;
    size_t total; /* statements in the store (an upper bound for the bar), 0 unknown */
    size_t done;  /* statements written so far (approximate: by bytes of the pages) */
    int bar;
    int64_t t0;
};

static int file_write(void *ctx, const char *data, size_t n)
{
    struct file_sink *s = ctx;
    if (fwrite(data, 1, n, s->f) != n)
        return -1;
    if (s->bar) {
        /* a page is STMT_STORE_MAX_LIMIT statements except the last */
        double secs = (double)(sc_time_now_us() - s->t0) / 1e6;
        size_t width = 30, fill;
        s->done += STMT_STORE_MAX_LIMIT;
        if (s->total && s->done > s->total)
            s->done = s->total;
        fill = s->total ? width * s->done / s->total : 0;
        fprintf(stderr, "\r[");
        for (size_t i = 0; i < width; i++)
            fputc(i < fill ? '#' : (s->total ? '.' : ' '), stderr);
        fprintf(stderr, "] ~%zu statements, %.0f/s ", s->done,
                secs > 0 ? (double)s->done / secs : 0);
    }
    return 0;
}

static int bool_opt(const char *name, const char *v, int *out)
{
    if (!v || !strcmp(v, "true")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "false")) {
        *out = 0;
        return 0;
    }
    return lrs_cli_usage_error(EXPORT_USAGE, "%s takes true or false", name);
}

int lrs_cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, LRS_OPT_STORE},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"agent", required_argument, NULL, 'a'},
        {"verb", required_argument, NULL, 'v'},
        {"activity", required_argument, NULL, 'A'},
        {"registration", required_argument, NULL, 'r'},
        {"related-activities", optional_argument, NULL, 'R'},
        {"related-agents", optional_argument, NULL, 'G'},
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {"limit", required_argument, NULL, 'l'},
        {"ascending", optional_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    struct lrs_config cfg;
    struct stmt_db *db = NULL;
    struct stmt_store *st = NULL;
    struct stmt_query q;
    struct file_sink sink = {0};
    const char *out = NULL, *agent = NULL;
    char ifi[1024], tmp[1100] = "";
    size_t max = 0, n = 0;
    int csv = 0, c, rc, ret = 1;

    memset(&q, 0, sizeof q);
    lrs_config_defaults(&cfg);
    lrs_config_from_env(&cfg);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", optarg);
            break;
        case LRS_OPT_STORE:
            snprintf(cfg.store, sizeof cfg.store, "%s", optarg);
            break;
        case 'f':
            if (strcmp(optarg, "jsonl") && strcmp(optarg, "csv"))
                return lrs_cli_usage_error(EXPORT_USAGE, "--format must be jsonl or csv, not '%s'",
                                           optarg);
            csv = !strcmp(optarg, "csv");
            break;
        case 'o':
            out = optarg;
            break;
        case 'a':
            agent = optarg;
            break;
        case 'v':
            if (!stmt_validate_iri(optarg))
                return lrs_cli_usage_error(EXPORT_USAGE, "--verb '%s' is not an IRI", optarg);
            q.verb = optarg;
            break;
        case 'A':
            if (!stmt_validate_iri(optarg))
                return lrs_cli_usage_error(EXPORT_USAGE, "--activity '%s' is not an IRI", optarg);
            q.activity = optarg;
            break;
        case 'r':
            if (!stmt_validate_uuid(optarg))
                return lrs_cli_usage_error(EXPORT_USAGE, "--registration '%s' is not a UUID",
                                           optarg);
            q.registration = optarg;
            break;
        case 'R':
            if ((rc = bool_opt("--related-activities", optarg, &q.related_activities)))
                return rc;
            break;
        case 'G':
            if ((rc = bool_opt("--related-agents", optarg, &q.related_agents)))
                return rc;
            break;
        case 'S':
            if ((rc = bool_opt("--ascending", optarg, &q.ascending)))
                return rc;
            break;
        case 's':
        case 'u':
            if (sc_time_parse_iso(optarg, strlen(optarg), c == 's' ? &q.since_us : &q.until_us))
                return lrs_cli_usage_error(EXPORT_USAGE, "not an ISO 8601 timestamp: '%s'", optarg);
            break;
        case 'l': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (!*optarg || *end || optarg[0] == '-' || errno)
                return lrs_cli_usage_error(EXPORT_USAGE, "--limit takes a number, not '%s'",
                                           optarg);
            max = (size_t)v;
            break;
        }
        case 'h':
            fputs(EXPORT_USAGE, stdout);
            return 0;
        default:
            return lrs_cli_usage_error(EXPORT_USAGE, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return lrs_cli_usage_error(EXPORT_USAGE, "unexpected argument '%s'", argv[optind]);
    if (agent) {
        struct stmt_diag diag;
        struct stmt_json_limits lim = STMT_JSON_LIMITS_DEFAULT;
        cJSON *a = stmt_json_parse(agent, strlen(agent), &lim, &diag);
        int bad = !a || stmt_validate_agent(a, &diag) ||
                  stmt_store_agent_ifi(a, ifi, sizeof ifi) != STMT_STORE_OK;
        cJSON_Delete(a);
        if (bad)
            return lrs_cli_usage_error(EXPORT_USAGE, "--agent is not an Agent: '%s'", agent);
        q.agent = ifi;
    }
    /* a store that exists (nothing created: cmd_store_open.c) */
    if (lrs_cli_open_existing(&cfg, &db, tmp, sizeof tmp)) {
        char p[1100];
        struct stat sb;
        snprintf(p, sizeof p, "%s/store.mdb", cfg.data_dir);
        if (!cfg.store[0] && stat(p, &sb) == 0) /* there, but locked */
            fprintf(stderr, "scolar: a running server exports with GET /api/export/statements\n");
        return 1;
    }
    {
        char err[1024];
        if (lrs_backup_before_upgrade(db, err, sizeof err)) {
            fprintf(stderr, "scolar: %s\n", err);
            rc = 1;
            goto out;
        }
    }
    rc = stmt_store_open(db, NULL, &st);
    if (rc) {
        fprintf(stderr, "scolar: cannot open the statements of %s: %s\n", cfg.data_dir,
                stmt_store_strerror(rc));
        goto out;
    }
    sink.f = stdout;
    if (out && !(sink.f = fopen(out, "wb"))) {
        fprintf(stderr, "scolar: cannot write %s: %s\n", out, strerror(errno));
        goto out;
    }
    sink.bar = isatty(STDERR_FILENO);
    sink.t0 = sc_time_now_us();
    if (sink.bar && stmt_store_count(st, &sink.total) != STMT_STORE_OK)
        sink.total = 0;
    q.scope = "cli";
    rc = lrs_export_run(st, &q, csv, max, file_write, &sink, &n);
    if (fflush(sink.f) != 0)
        rc = LRS_EXPORT_GONE;
    if (sink.bar)
        fputc('\n', stderr);
    if (rc == LRS_EXPORT_GONE) {
        fprintf(stderr, "scolar: writing %s failed after %zu statements: %s\n",
                out ? out : "stdout", n, strerror(errno));
    } else if (rc) {
        fprintf(stderr, "scolar: export failed after %zu statements: %s\n", n,
                stmt_store_strerror(rc));
    } else {
        fprintf(stderr, "%zu statements exported in %.1f s\n", n,
                (double)(sc_time_now_us() - sink.t0) / 1e6);
        ret = 0;
    }
out:
    if (sink.f && sink.f != stdout && fclose(sink.f) != 0 && ret == 0) {
        fprintf(stderr, "scolar: closing %s failed: %s\n", out, strerror(errno));
        ret = 1;
    }
    stmt_store_close(st);
    lrs_cli_close_existing(db, tmp);
    return ret;
}
