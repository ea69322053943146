/* SPDX-License-Identifier: Apache-2.0 */
/* Private to statements/ (stmt_db.c, stmt_db_group.c): the PostgreSQL backend of stmt_db.h
 * (stmt_db_pg.c, issue 19). stmt_db.c checks the table name and the key, then hands every call
 * on a store opened with a postgres:// URL to these functions; the LMDB code is untouched.
 * Built only when libpq is found (SCOLAR_HAVE_PG); without it stmt__pg_open refuses. */
#ifndef STMT_DB_PG_H
#define STMT_DB_PG_H

#include "statements/stmt_db.h"

struct stmt__pg;    /* the connection pool of a store */
struct stmt__pgtxn; /* one transaction: a connection of the pool, and the results it lends */

/** Is location a PostgreSQL URL (postgres:// or postgresql://)? */
int stmt__pg_is_url(const char *location);
/** Connect, apply the schema migrations under an advisory lock, check the format record. */
int stmt__pg_open(const char *url, struct stmt__pg **out, char *err, size_t errlen);
void stmt__pg_close(struct stmt__pg *pg);
int stmt__pg_begin(struct stmt__pg *pg, int write, struct stmt__pgtxn **out);
/** Commit (commit 1: durable when it returns 0) or roll back, give the connection back, free. */
int stmt__pg_end(struct stmt__pgtxn *t, int commit);
int stmt__pg_put(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                 const void *val, size_t vlen, unsigned flags);
/** stmt_db_reserve: *buf (owned by t) is put before t's next statement or commit. */
int stmt__pg_reserve(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                     size_t vlen, unsigned flags, void **buf);
int stmt__pg_get(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen,
                 const void **val, size_t *vlen);
int stmt__pg_del(struct stmt__pgtxn *t, const char *table, const void *key, size_t klen);
int stmt__pg_scan(struct stmt__pgtxn *t, const char *table, const void *from, size_t flen,
                  stmt_db_visit_fn fn, void *ctx);
/** The group commit's nesting (stmt_db_group.c): op 0 opens a savepoint, 1 releases it (the
 *  work is kept in the transaction), 2 rolls back to it and releases it (the work is undone,
 *  and a failed statement of it no longer fails the transaction). */
int stmt__pg_savepoint(struct stmt__pgtxn *t, int op);
/** Cursors (stmt_db_cursor.c hands them on): pages of keys read with a keyset in the walk's
 *  direction; a write of the transaction makes the next step read again from the cursor's
 *  key, so the walk sees it. op: STMT__PGC_*; key only for SEEK. */
struct stmt__pgcur;
enum { STMT__PGC_SEEK = 1, STMT__PGC_NEXT, STMT__PGC_PREV, STMT__PGC_LAST, STMT__PGC_SEEK_LE };
int stmt__pg_cursor_open(struct stmt__pgtxn *t, const char *table, struct stmt__pgcur **out);
int stmt__pg_cursor_get(struct stmt__pgcur *c, int op, const void *key, size_t klen,
                        struct stmt_db_kv *out);
void stmt__pg_cursor_close(struct stmt__pgcur *c);
void stmt__pg_cursor_hint(struct stmt__pgcur *c, size_t n);
int stmt__pg_cursor_count(struct stmt__pgcur *c, const void *lo, size_t lolen, const void *hi,
                          size_t hilen, size_t cap, size_t *n);
/** stmt_db_get_many (stmt_db_pg_many.c): one query for the n keys (each 1..STMT_DB_MAX_KEY
 *  bytes; the caller leaves the others out). */
int stmt__pg_get_many(struct stmt__pgtxn *t, const char *table, struct stmt_db_kv *items, size_t n);
/** stmt_db_seek_many: one query, a LATERAL "first key >= k" per key (keys valid, as above). */
int stmt__pg_seek_many(struct stmt__pgtxn *t, const char *table, const struct stmt_db_kv *from,
                       struct stmt_db_kv *found, size_t n);
int stmt__pg_count(struct stmt__pgtxn *t, const char *table, size_t *n);
int stmt__pg_clear(struct stmt__pgtxn *t, const char *table);
/** map_bytes = used_bytes = the database's size, readers = connections open. */
int stmt__pg_stats(struct stmt__pg *pg, struct stmt_db_stats *out);

#endif
