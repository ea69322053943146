/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store of a command that reads or repairs it (`scolar check`, `reindex`): it must exist.
 * Opening creates what is missing (an LMDB store in an empty folder, the schema in an empty
 * PostgreSQL database), so a mistyped --data or --store would give an empty store reported
 * sound. The same finding on both backends instead, exit status 1, and nothing created:
 *   LMDB        "scolar: no store in DIR (DIR/store.mdb: No such file or directory)"
 *   PostgreSQL  "scolar: --store URL: no scolar store in this database (no table scolar_schema)"
 * (stmt_db_exists, statements/stmt_db_probe.c). On PostgreSQL --data is only the node's own
 * folder: when it does not exist it is not created either, and the command runs with a
 * temporary folder of its own instead (for check's scratch copy), removed at its end.
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int lrs_cli_open_existing(struct lrs_config *cfg, struct stmt_db **db, char *tmp, size_t tmplen)
{
    char err[1200] = "", shown[600];
    struct stat sb;
    int rc;
    tmp[0] = '\0';
    if (lrs_store_check(cfg->store, err, sizeof err)) {
        fprintf(stderr, "scolar: %s\n", err);
        return 1;
    }
    if (stat(cfg->data_dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) { /* the same on both */
        fprintf(stderr, "scolar: %s is not a directory\n", cfg->data_dir);
        return 1;
    }
    if (cfg->store[0])
        setenv("PGCONNECT_TIMEOUT", "10", 0); /* as lrs_cli_open_db: a bounded connection */
    rc = stmt_db_exists(cfg->store, cfg->data_dir, err, sizeof err);
    if (rc != 1) {
        if (cfg->store[0]) {
            for (size_t n = strlen(err); n && (err[n - 1] == '\n' || err[n - 1] == ' ');)
                err[--n] = '\0'; /* libpq's messages end in a newline */
            lrs_store_redact(cfg->store, shown, sizeof shown);
            fprintf(stderr, "scolar: --store %s: %s\n", shown, err);
        } else {
            fprintf(stderr, "scolar: %s\n", err);
        }
        return 1;
    }
    if (cfg->store[0] && stat(cfg->data_dir, &sb) != 0 && errno == ENOENT) {
        const char *t = getenv("TMPDIR");
        if ((size_t)snprintf(tmp, tmplen, "%s/scolar-node-XXXXXX", t && *t ? t : "/tmp") >=
                tmplen ||
            !mkdtemp(tmp)) {
            fprintf(stderr, "scolar: cannot make a temporary folder for this node: %s\n",
                    strerror(errno));
            tmp[0] = '\0';
            return 1;
        }
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", tmp);
    }
    if (lrs_cli_open_db(cfg, db)) {
        lrs_cli_close_existing(NULL, tmp);
        return 1;
    }
    return 0;
}

static int rm_visit(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

void lrs_cli_close_existing(struct stmt_db *db, char *tmp)
{
    stmt_db_close(db);
    if (tmp[0] && nftw(tmp, rm_visit, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "scolar: cannot remove the temporary folder %s: %s\n", tmp,
                strerror(errno));
    tmp[0] = '\0';
}
