/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the PostgreSQL backend (stmt_db_pg.c, stmt_db_pg_cursor.c; built with libpq only):
 * the pool and the transaction, and the helpers both files use. */
#ifndef STMT_DB_PG_INT_H
#define STMT_DB_PG_INT_H

#include "statements/stmt_db_pg.h"

#include <libpq-fe.h>
#include <pthread.h>

#define POOL_MAX 64

struct stmt__pg {
    char *url;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    PGconn *idle[POOL_MAX];
    int nidle, nopen;
};

struct stmt__pgtxn {
    struct stmt__pg *pg;
    PGconn *c;
    int write;
    int failed;    /* a statement failed: the transaction can only roll back */
    unsigned wgen; /* bumped by every write: cursors read their page again after one */
    /* a value of stmt_db_reserve, put before the next statement (rpending) */
    int rpending;
    char rtable[32];
    unsigned char rkey[STMT_DB_MAX_KEY];
    size_t rklen, rlen, rcap;
    unsigned char *rbuf;
    PGresult **lent; /* results whose bytes stmt_db_get handed out (freed at the next write) */
    size_t nlent, caplent;
};

/** r's status is want: STMT_DB_OK; else the transaction is failed and the SQLSTATE mapped. */
int stmt__pg_result_err(struct stmt__pgtxn *t, PGresult *r, ExecStatusType want);
/** Put the value stmt_db_reserve handed out (filled by now) before anything else. */
int stmt__pg_flush_resv(struct stmt__pgtxn *t);
/** Keep r until the transaction's next write or its end (stmt_db_get lends its bytes), or
 *  PQclear it and answer STMT_DB_ERR_NOMEM. */
int stmt__pg_lend(struct stmt__pgtxn *t, PGresult *r);
/** Free the results whose bytes stmt_db_get lent (at a write or the end). */
void stmt__pg_free_lent(struct stmt__pgtxn *t);

#endif
