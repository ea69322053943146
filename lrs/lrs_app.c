/* SPDX-License-Identifier: Apache-2.0 */
/* What `serve` opens beyond the store: the statement store's writer thread and the SCORM
 * run-time. Closed in reverse order after the HTTP server has stopped, so every in-flight write
 * is committed before LMDB closes. */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "lrs/fwd.h"
#include "common/sc_time.h"
#include "scorm/scorm.h"
#include "statements/stmt_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* The tables of lrs/: credentials (lrs_auth.c), console users and their sessions
 * (lrs_users.c, lrs_session.c). */
static const char *const LRS_TABLES[] = {"creds", "users", "console_sessions",
                                         "auth_fails" /* lrs_fails.h */};

int lrs_db_register(struct stmt_db *db, char *err, size_t errlen)
{
    int rc = scorm_db_register(db);
    if (rc) {
        snprintf(err, errlen, "cannot open the SCORM tables: %s", scorm_strerror(rc));
        return -1;
    }
    rc = stmt_db_tables_register(db, LRS_TABLES, sizeof LRS_TABLES / sizeof LRS_TABLES[0]);
    if (rc) {
        snprintf(err, errlen, "cannot open the LRS tables: %s", stmt_db_strerror(rc));
        return -1;
    }
    return 0;
}

/* Issue 18: "a data directory of an older format is upgraded in place only after a backup is
 * written beside it". When the open would convert the store, a compacted copy goes to
 * DATA/backup-before-upgrade-<UTC time>/store.mdb first (`scolar restore` reads that
 * directory); no copy, no start. */
int lrs_backup_before_upgrade(struct stmt_db *db, char *err, size_t errlen)
{
    char why[256], dir[4096], path[4200], stamp[32], cerr[512];
    time_t now = time(NULL);
    struct tm tm;
    int rc = stmt_store_needs_upgrade(db, why, sizeof why);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read the statement store's layout: %s", stmt_db_strerror(rc));
        return -1;
    }
    if (rc == 0)
        return 0;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(dir, sizeof dir, "%s/backup-before-upgrade-%s", stmt_db_dir(db), stamp);
    if (mkdir(dir, 0750) != 0) {
        snprintf(err, errlen,
                 "the data directory needs an upgrade (%s), and its backup cannot "
                 "be written: cannot create %s: %s; not started",
                 why, dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/store.mdb", dir);
    rc = stmt_db_copy_open(db, path, cerr, sizeof cerr);
    if (rc) {
        rmdir(dir);
        snprintf(err, errlen,
                 "the data directory needs an upgrade (%s), and its backup cannot "
                 "be written%s: %s; not started",
                 why, rc == STMT_DB_ERR_FULL ? " (disk full)" : "", cerr);
        return -1;
    }
    lrs_log(LRS_LOG_INFO,
            "data directory of an older format (%s): backup written to %s before "
            "the upgrade (`scolar restore %s --data NEW` brings it back)",
            why, dir, dir);
    return 0;
}

void lrs_disk_state(const char *dir, char *out, size_t n)
{
    struct statvfs v;
    if (statvfs(dir, &v)) {
        snprintf(out, n, "%s: no space left on device (ENOSPC)", dir);
        return;
    }
    unsigned long long avail = (unsigned long long)v.f_bavail * v.f_frsize;
    unsigned long long size = (unsigned long long)v.f_blocks * v.f_frsize;
    snprintf(out, n, "%s: no space left on device (ENOSPC), %llu KiB free of %.1f MiB", dir,
             avail >> 10, (double)size / (1024.0 * 1024.0));
}

int lrs_app_open(struct lrs_app *app, char *err, size_t errlen)
{
    if (lrs_backup_before_upgrade(app->db, err, errlen))
        return -1;

    int rc = scorm_import_cleanup(app->db);
    if (rc) {
        snprintf(err, errlen, "cannot clean up interrupted imports: %s", scorm_strerror(rc));
        return -1;
    }
    int64_t t0 = sc_time_now_us();
    rc = stmt_store_open(app->db, NULL, &app->store);
    if (rc == STMT_STORE_ERR_FULL) {
        char disk[600];
        lrs_disk_state(stmt_db_dir(app->db), disk, sizeof disk);
        snprintf(err, errlen,
                 "the disk is full: %s; the statement store cannot open: free space "
                 "and start again",
                 disk);
        return -1;
    }
    if (rc) {
        snprintf(err, errlen, "cannot open the statement store: %s", stmt_store_strerror(rc));
        return -1;
    }
    if (stmt_store_open_full(app->store)) {
        char disk[600];
        lrs_disk_state(stmt_db_dir(app->db), disk, sizeof disk);
        lrs_log(LRS_LOG_WARN,
                "the disk is full: %s; started anyway: reads are served (the last run's %zu "
                "unindexed statements from memory), writes that need space answer 507 "
                "(storage full) until space is freed, then go through without a restart",
                disk, stmt_store_open_full(app->store));
    }
    {
        size_t folded;
        int migrated;
        stmt_store_open_info(app->store, &folded, &migrated);
        if (migrated)
            lrs_log(LRS_LOG_INFO,
                    "statement store upgraded to layout 2 (fold epochs): %zu statements "
                    "re-indexed in %.1f s",
                    folded, (double)(sc_time_now_us() - t0) / 1e6);
        else if (folded)
            lrs_log(LRS_LOG_INFO, "statement store: %zu statements of the last run indexed",
                    folded);
    }
    /* A run-time that cannot open (runtime files missing) is logged; the LRS still serves and
     * the player routes answer 503 with the reason. */
    lrs_rt_open(app);
    if (lrs_fwd_open(app, err, errlen)) {
        lrs_app_close(app);
        return -1;
    }
    lrs_cmi5_open(app);
    return 0;
}

void lrs_app_close(struct lrs_app *app)
{
    lrs_cmi5_close(app);
    lrs_fwd_close(app); /* senders read the store */
    lrs_rt_close(app);  /* its statement sink writes into the store: closed first */
    stmt_store_close(app->store);
    app->store = NULL;
}
