/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `scolar user create NAME [--password-stdin]`, `scolar user list`, `scolar user delete NAME`:
 * console users (lrs_users.c) on a data directory no server has open. Without
 * --password-stdin the password is read from the terminal without echo; with it, the first
 * line of standard input (for scripts). Exit 0, 1 with one line naming the cause, 2 on a
 * usage error.
 */
#include "lrs/lrs_cli.h"
#include "lrs/lrs_console.h"
#include "common/sc_alloc.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char USER_USAGE[] =
    "usage: scolar user create NAME [--password-stdin] [--data DIR]\n"
    "       scolar user list [--data DIR]\n"
    "       scolar user delete NAME [--data DIR]\n"
    "\n"
    "  console users sign in to the web console with a name and a password (at least 10\n"
    "  characters; stored as a salted PBKDF2-HMAC-SHA-256 hash). A console user administers\n"
    "  everything an admin credential does.\n"
    "\n"
    "  NAME               1 to 64 letters, digits or . _ - @\n"
    "  --password-stdin   read the password from the first line of standard input\n"
    "                     (otherwise it is asked for on the terminal)\n"
    "  --data DIR         data directory (env SCOLAR_DATA; default ./scolar-data)\n"
    "  --store URL        the store in PostgreSQL (env SCOLAR_STORE; docs/postgresql.md)\n";

static int read_password(int from_stdin, char *pw, size_t cap)
{
    struct termios old, noecho;
    int tty = !from_stdin && isatty(STDIN_FILENO);
    size_t n;
    if (tty) {
        fprintf(stderr, "password: ");
        if (tcgetattr(STDIN_FILENO, &old) == 0) {
            noecho = old;
            noecho.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
        } else {
            tty = 0;
        }
    }
    if (!fgets(pw, (int)cap, stdin))
        pw[0] = 0;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    n = strlen(pw);
    while (n && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
        pw[--n] = 0;
    return n ? 0 : -1;
}

int lrs_cmd_user(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"store", required_argument, NULL, LRS_OPT_STORE},
                                         {"password-stdin", no_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    struct lrs_config cfg;
    struct stmt_db *db = NULL;
    const char *sub, *name = NULL;
    char pw[1100], err[200];
    int c, from_stdin = 0, rc = 1;

    if (argc < 2)
        return lrs_cli_usage_error(USER_USAGE, "user needs a subcommand%s", "");
    sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        fputs(USER_USAGE, stdout);
        return 0;
    }
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "delete"))
        return lrs_cli_usage_error(USER_USAGE, "unknown user subcommand '%s'", sub);
    lrs_config_defaults(&cfg);
    lrs_config_from_env(&cfg);
    optind = 1;
    opterr = 0;
    /* options may follow NAME: permute, as `scolar user create alice --password-stdin` */
    while ((c = getopt_long(argc - 1, argv + 1, "-", opts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (name)
                return lrs_cli_usage_error(USER_USAGE, "unexpected argument '%s'", optarg);
            name = optarg;
            break;
        case 'd':
            snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", optarg);
            break;
        case LRS_OPT_STORE:
            snprintf(cfg.store, sizeof cfg.store, "%s", optarg);
            break;
        case 'p':
            from_stdin = 1;
            break;
        case 'h':
            fputs(USER_USAGE, stdout);
            return 0;
        default:
            return lrs_cli_usage_error(USER_USAGE, "unknown or incomplete option '%s'",
                                       argv[optind]);
        }
    }
    if (strcmp(sub, "list") && !name)
        return lrs_cli_usage_error(USER_USAGE, "user %s needs a NAME", sub);
    if (!strcmp(sub, "list") && name)
        return lrs_cli_usage_error(USER_USAGE, "unexpected argument '%s'", name);
    if (!strcmp(sub, "create") && read_password(from_stdin, pw, sizeof pw)) {
        fprintf(stderr, "scolar: no password given\n");
        return 1;
    }
    if (lrs_cli_open_db(&cfg, &db))
        return 1;
    if (!strcmp(sub, "create")) {
        if (lrs_user_create(db, name, pw, err, sizeof err)) {
            fprintf(stderr, "scolar: %s\n", err);
            goto out;
        }
        printf("user %s created\n", name);
    } else if (!strcmp(sub, "delete")) {
        int d = lrs_user_delete(db, name);
        if (d) {
            fprintf(stderr, "scolar: %s\n",
                    d == STMT_DB_NOTFOUND ? "no such user" : stmt_db_strerror(d));
            goto out;
        }
        printf("user %s deleted\n", name);
    } else {
        cJSON *list = lrs_user_list(db);
        const cJSON *u;
        if (!list) {
            fprintf(stderr, "scolar: cannot read the users\n");
            goto out;
        }
        cJSON_ArrayForEach(u, list)
        {
            printf("%s\t%s\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "name")),
                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "created")));
        }
        cJSON_Delete(list);
    }
    rc = 0;
out:
    memset(pw, 0, sizeof pw);
    stmt_db_close(db);
    return rc;
}
