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

#include <stdio.h>

/* The tables of lrs/: credentials (lrs_auth.c), console users and their sessions
 * (lrs_users.c, lrs_session.c). */
static const char *const LRS_TABLES[] = {"creds", "users", "console_sessions"};

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

int lrs_app_open(struct lrs_app *app, char *err, size_t errlen)
{
    int rc = scorm_import_cleanup(app->db);
    if (rc) {
        snprintf(err, errlen, "cannot clean up interrupted imports: %s", scorm_strerror(rc));
        return -1;
    }
    int64_t t0 = sc_time_now_us();
    rc = stmt_store_open(app->db, NULL, &app->store);
    if (rc) {
        snprintf(err, errlen, "cannot open the statement store: %s", stmt_store_strerror(rc));
        return -1;
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
