/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the PostgreSQL backend (stmt_db_pg.c, stmt_db_pg_cursor.c; built with libpq only):
 * the pool and the transaction, and the helpers both files use. */
#ifndef STMT_DB_PG_INT_H
#define STMT_DB_PG_INT_H

#include "statements/stmt_db_pg.h"

#include <libpq-fe.h>
#include <pthread.h>

/* The advisory lock key of the one write transaction at a time (stmt_db_pg.c), as SQL text. */
#define WRITE_LOCK "7310730100002"

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
    unsigned rflags; /* its stmt_db_reserve flags */
    char rtable[32];
    unsigned char rkey[STMT_DB_MAX_KEY];
    size_t rklen, rlen, rcap;
    unsigned char *rbuf;
    struct stmt__pgbatch *batch; /* puts not sent yet (stmt_db_pg_batch.c) */
    int nsub;        /* savepoints the batch's plain inserts took (at most PG_SUB_MAX) */
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
/* stmt_db_pg_batch.c: puts sent together as one statement before the transaction's next other
 * statement. put copies the row (a write: lent values go); flush sends them (0 or the error,
 * which fails the transaction); discard drops them (abort, rollback to a savepoint). */
int stmt__pg_batch_put(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                       const void *val, size_t vlen, unsigned flags);
int stmt__pg_batch_flush(struct stmt__pgtxn *t);
void stmt__pg_batch_discard(struct stmt__pgtxn *t);
void stmt__pg_batch_free(struct stmt__pgtxn *t);
/** Free the results whose bytes stmt_db_get lent (at a write or the end). */
void stmt__pg_free_lent(struct stmt__pgtxn *t);
/** The common part of every write of t: refused in a read transaction (STMT_DB_ERR_ACCESS);
 *  with flush, the reservation and the batched puts are sent first (the statement that follows
 *  must see them); then the values stmt_db_get lent are freed and cursors read their page
 *  again (wgen). 0 or the error. */
int stmt__pg_write_prep(struct stmt__pgtxn *t, int flush);

/** A connection of the pool (an idle one, else a new one up to POOL_MAX, else it waits), NULL
 *  when none can be had; give it back with stmt__pg_pool_give, which keeps it when it is healthy
 *  and outside any transaction, else closes it (stmt_db_pg_idle.c). */
PGconn *stmt__pg_pool_take(struct stmt__pg *pg);
void stmt__pg_pool_give(struct stmt__pg *pg, PGconn *c);

#endif
