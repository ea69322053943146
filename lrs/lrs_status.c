/* SPDX-License-Identifier: Apache-2.0 */
/* The one table that turns the modules' error codes into HTTP statuses (STYLE.md 3: "Only lrs/
 * turns codes into HTTP statuses, in one table"). Codes of different modules may share a
 * value, so a row names its module. Messages stay with the routes; statuses come from here. */
#include "lrs/lrs.h"
#include "lrs/lrs_console.h"
#include "scorm/scorm.h"
#include "scorm/scorm_rt.h"
#include "statements/stmt_db.h"
#include "statements/stmt_doc.h"
#include "statements/stmt_store.h"

static const struct {
    enum lrs_errs mod;
    int code, status;
} TABLE[] = {
    /* statements/stmt_db.h */
    {LRS_ERRS_DB, STMT_DB_NOTFOUND, 404},
    {LRS_ERRS_DB, STMT_DB_ERR_FULL, 507},
    {LRS_ERRS_DB, STMT_DB_ERR_EXISTS, 409},
    /* statements/stmt_store.h (Comm 2.1.1-2.1.2, Data 2.3.2) */
    {LRS_ERRS_STORE, STMT_STORE_ERR_CONFLICT, 409},
    {LRS_ERRS_STORE, STMT_STORE_ERR_VOID_VOIDING, 400},
    {LRS_ERRS_STORE, STMT_STORE_ERR_DUP_ID, 400},
    {LRS_ERRS_STORE, STMT_STORE_ERR_ARG, 400},
    {LRS_ERRS_STORE, STMT_STORE_ERR_CURSOR, 400},
    {LRS_ERRS_STORE, STMT_STORE_ERR_NOTFOUND, 404},
    {LRS_ERRS_STORE, STMT_STORE_ERR_FULL, 507},
    {LRS_ERRS_STORE, STMT_STORE_ERR_CLOSED, 503},
    /* statements/stmt_doc.h (Comm 3.1, 2.2) */
    {LRS_ERRS_DOC, STMT_DOC_ERR_NOTFOUND, 404},
    {LRS_ERRS_DOC, STMT_DOC_ERR_PRECONDITION, 412},
    {LRS_ERRS_DOC, STMT_DOC_ERR_CONFLICT, 409},
    {LRS_ERRS_DOC, STMT_DOC_ERR_MERGE, 400},
    {LRS_ERRS_DOC, STMT_DOC_ERR_NO_HEADER, 400},
    {LRS_ERRS_DOC, STMT_DOC_ERR_ARG, 400},
    {LRS_ERRS_DOC, STMT_DOC_ERR_TOO_LARGE, 413},
    {LRS_ERRS_DOC, STMT_DOC_ERR_FULL, 507},
    /* scorm/scorm.h: import and courses (anything else is the package's fault: 400) */
    {LRS_ERRS_SCORM, SCORM_ERR_NOTFOUND, 404},
    {LRS_ERRS_SCORM, SCORM_ERR_EXISTS, 409},
    {LRS_ERRS_SCORM, SCORM_ERR_IN_USE, 409},
    {LRS_ERRS_SCORM, SCORM_ERR_ZIP_LIMIT, 413},
    {LRS_ERRS_SCORM, SCORM_ERR_ZIP_RATIO, 413},
    {LRS_ERRS_SCORM, SCORM_ERR_MANIFEST_SIZE, 413},
    {LRS_ERRS_SCORM, SCORM_ERR_NOMEM, 500},
    {LRS_ERRS_SCORM, SCORM_ERR_IO, 500},
    {LRS_ERRS_SCORM, SCORM_ERR_STORE, 500},
    {LRS_ERRS_SCORM, SCORM_ERR_CHILD, 500},
    /* lrs/lrs_console.h: console users (lrs_users.c) */
    {LRS_ERRS_USER, LRS_USER_ERR_NAME, 400},
    {LRS_ERRS_USER, LRS_USER_ERR_PASSWORD, 400},
    {LRS_ERRS_USER, LRS_USER_ERR_EXISTS, 409},
    {LRS_ERRS_USER, LRS_USER_ERR_STORE, 500},
    /* scorm/scorm_rt.h: the run-time */
    {LRS_ERRS_RT, SCORM_RT_ERR_NOTFOUND, 404},
    {LRS_ERRS_RT, SCORM_RT_ERR_NOT_LAUNCHABLE, 404},
    {LRS_ERRS_RT, SCORM_RT_ERR_TOKEN, 401},
    {LRS_ERRS_RT, SCORM_RT_ERR_EXPIRED, 401},
    {LRS_ERRS_RT, SCORM_RT_ERR_OTHER_REG, 403},
    {LRS_ERRS_RT, SCORM_RT_ERR_PAYLOAD, 400},
    {LRS_ERRS_RT, SCORM_RT_ERR_ELEMENT, 400},
    {LRS_ERRS_RT, SCORM_RT_ERR_READONLY, 400},
    {LRS_ERRS_RT, SCORM_RT_ERR_VALUE, 400},
    {LRS_ERRS_RT, SCORM_RT_ERR_ARG, 400},
    {LRS_ERRS_RT, SCORM_RT_ERR_CLOSED, 409},
    {LRS_ERRS_RT, SCORM_RT_ERR_SEQUENCING, 409},
};

/* a code no row names: the server's failure, except scorm/'s (the package's: 400) */
static const int OTHERWISE[] = {
    [LRS_ERRS_DB] = 500,    [LRS_ERRS_STORE] = 500, [LRS_ERRS_DOC] = 500,
    [LRS_ERRS_SCORM] = 400, [LRS_ERRS_RT] = 500,    [LRS_ERRS_USER] = 500,
};

int lrs_status(enum lrs_errs mod, int code)
{
    if (code == 0)
        return 200;
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (TABLE[i].mod == mod && TABLE[i].code == code)
            return TABLE[i].status;
    return (unsigned)mod < sizeof OTHERWISE / sizeof OTHERWISE[0] ? OTHERWISE[mod] : 500;
}

int lrs_scorm_status(int code)
{
    return lrs_status(LRS_ERRS_SCORM, code);
}

int lrs_rt_status(int code)
{
    return lrs_status(LRS_ERRS_RT, code);
}
