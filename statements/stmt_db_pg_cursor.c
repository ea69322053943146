/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cursors, counts and clears of stmt_db.h on PostgreSQL (issue 19; stmt_db_cursor.c hands the
 * calls on a PostgreSQL store here). A cursor reads pages of (k, v) rows of scolar_kv with a
 * keyset in the walk's direction, with the prepared statements of stmt_db_pg.c: "s0" (k >=
 * seek key), "s1" (k > current key), "cp" (k < current key, descending), "cl" (the last keys,
 * descending), "cq" (k <= seek key, descending: stmt_db_cursor_seek_le); CUR_PAGE0 rows after a
 * seek, twice as many each further page up to CUR_PAGE_MAX. Turning round inside a page reads
 * nothing. A write of the transaction bumps its generation (wgen): the cursor's next step then
 * reads again from its current key, so a walk sees its own transaction's writes as an LMDB cursor
 * does. A range count is one count(*) of a LIMITed subquery ("cn").
 */
#include "statements/stmt_db_pg.h"

#ifndef SCOLAR_HAVE_PG

int stmt__pg_cursor_open(struct stmt__pgtxn *t, const char *table, struct stmt__pgcur **out)
{
    (void)t, (void)table, (void)out;
    return STMT_DB_ERR_IO;
}
int stmt__pg_cursor_get(struct stmt__pgcur *c, int op, const void *key, size_t klen,
                        struct stmt_db_kv *out)
{
    (void)c, (void)op, (void)key, (void)klen, (void)out;
    return STMT_DB_ERR_IO;
}
void stmt__pg_cursor_close(struct stmt__pgcur *c)
{
    (void)c;
}
void stmt__pg_cursor_hint(struct stmt__pgcur *c, size_t n)
{
    (void)c, (void)n;
}
int stmt__pg_cursor_count(struct stmt__pgcur *c, const void *lo, size_t lolen, const void *hi,
                          size_t hilen, size_t cap, size_t *n)
{
    (void)c, (void)lo, (void)lolen, (void)hi, (void)hilen, (void)cap, (void)n;
    return STMT_DB_ERR_IO;
}
int stmt__pg_count(struct stmt__pgtxn *t, const char *table, size_t *n)
{
    (void)t, (void)table, (void)n;
    return STMT_DB_ERR_IO;
}
int stmt__pg_clear(struct stmt__pgtxn *t, const char *table)
{
    (void)t, (void)table;
    return STMT_DB_ERR_IO;
}

#else

#include "statements/stmt_db_pg_int.h"
#include "common/sc_alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUR_PAGE0 32     /* a cursor's first page after a seek: most walks stop early */
#define CUR_PAGE_MAX 512 /* and each further page twice the last, up to this */

enum { CS_UNSET, CS_ON, CS_AFTER, CS_BEFORE };

struct stmt__pgcur {
    struct stmt__pgtxn *t;
    char table[32];
    PGresult *page; /* the rows read last, in the direction dir */
    int n, i, dir;  /* rows, the current one, 1 ascending or -1 descending */
    int lim;        /* the rows that page asked for (fewer: the table ends there) */
    int first;      /* rows of the first page after a positioning call (stmt_db_cursor_hint) */
    unsigned gen;   /* t->wgen when it was read */
    int state;      /* CS_*: on page row i, or not positioned, past the end, before the start */
    unsigned char key[STMT_DB_MAX_KEY]; /* the current key, while the next page is read */
};

int stmt__pg_cursor_open(struct stmt__pgtxn *t, const char *table, struct stmt__pgcur **out)
{
    struct stmt__pgcur *c = sc_calloc(1, sizeof *c);
    if (!c)
        return STMT_DB_ERR_NOMEM;
    c->t = t;
    c->first = CUR_PAGE0;
    snprintf(c->table, sizeof c->table, "%s", table);
    *out = c;
    return STMT_DB_OK;
}

void stmt__pg_cursor_hint(struct stmt__pgcur *c, size_t n)
{
    c->first = n < 1 ? CUR_PAGE0 : n > CUR_PAGE_MAX ? CUR_PAGE_MAX : (int)n;
}

void stmt__pg_cursor_close(struct stmt__pgcur *c)
{
    if (!c)
        return;
    PQclear(c->page);
    sc_free(c);
}

static void cur_row(const struct stmt__pgcur *c, struct stmt_db_kv *out)
{
    out->key = PQgetvalue(c->page, c->i, 0);
    out->klen = (size_t)PQgetlength(c->page, c->i, 0);
    out->val = PQgetvalue(c->page, c->i, 1);
    out->vlen = (size_t)PQgetlength(c->page, c->i, 1);
}

/* Read a page: q "s0" (k >= key), "s1" (k > key), "cp" (k < key, descending), "cq" (k <= key,
 * descending) or "cl" (the last keys, descending) with lim rows; position on its first row. */
static int cur_fetch(struct stmt__pgcur *c, const char *q, const void *key, size_t klen, int lim,
                     struct stmt_db_kv *out)
{
    char limit[16];
    const char *vals[3];
    int lens[3] = {0, (int)klen, 0}, fmts[3] = {0, 1, 0}, np, rc;
    PGresult *r;
    if ((rc = stmt__pg_flush_resv(c->t)))
        return rc;
    snprintf(limit, sizeof limit, "%d", lim);
    vals[0] = c->table;
    if (strcmp(q, "cl") == 0) {
        vals[1] = limit;
        fmts[1] = 0;
        np = 2;
    } else {
        vals[1] = klen ? (const char *)key : "";
        vals[2] = limit;
        np = 3;
    }
    r = PQexecPrepared(c->t->c, q, np, vals, lens, fmts, 1);
    rc = stmt__pg_result_err(c->t, r, PGRES_TUPLES_OK);
    PQclear(c->page);
    c->page = NULL;
    if (rc) {
        PQclear(r);
        c->state = CS_UNSET;
        return rc;
    }
    c->page = r;
    c->n = PQntuples(r);
    c->i = 0;
    c->dir = q[0] == 'c' ? -1 : 1;
    c->lim = lim;
    c->gen = c->t->wgen;
    if (!c->n) {
        c->state = strcmp(q, "cl") == 0 ? CS_UNSET : c->dir > 0 ? CS_AFTER : CS_BEFORE;
        return STMT_DB_NOTFOUND;
    }
    c->state = CS_ON;
    cur_row(c, out);
    return STMT_DB_OK;
}

/* One step in direction d (1 next, -1 previous). */
static int cur_step(struct stmt__pgcur *c, int d, struct stmt_db_kv *out)
{
    size_t kl;
    int lim;
    if (c->state == CS_UNSET || (c->state == CS_BEFORE && d > 0) || (c->state == CS_AFTER && d < 0))
        return d > 0 ? cur_fetch(c, "s0", NULL, 0, c->first, out)
                     : cur_fetch(c, "cl", NULL, 0, c->first, out);
    if (c->state != CS_ON)
        return STMT_DB_NOTFOUND;
    if (c->gen == c->t->wgen) { /* no write since the page was read: it is current */
        if (d == c->dir && c->i + 1 < c->n) {
            c->i++;
            cur_row(c, out);
            return STMT_DB_OK;
        }
        if (d != c->dir && c->i > 0) {
            c->i--;
            cur_row(c, out);
            return STMT_DB_OK;
        }
        if (d == c->dir && c->n < c->lim) { /* the page ended before its limit: so does the table */
            PQclear(c->page);
            c->page = NULL;
            c->state = d > 0 ? CS_AFTER : CS_BEFORE;
            return STMT_DB_NOTFOUND;
        }
    }
    /* the next page, from the current key on (exclusive) */
    kl = (size_t)PQgetlength(c->page, c->i, 0);
    memcpy(c->key, PQgetvalue(c->page, c->i, 0), kl);
    lim = d == c->dir && c->lim < CUR_PAGE_MAX ? c->lim * 2 : c->lim;
    return cur_fetch(c, d > 0 ? "s1" : "cp", c->key, kl, lim, out);
}

int stmt__pg_cursor_get(struct stmt__pgcur *c, int op, const void *key, size_t klen,
                        struct stmt_db_kv *out)
{
    switch (op) {
    case STMT__PGC_SEEK:
        return cur_fetch(c, "s0", key, klen, c->first, out);
    case STMT__PGC_NEXT:
        return cur_step(c, 1, out);
    case STMT__PGC_PREV:
        return cur_step(c, -1, out);
    case STMT__PGC_LAST:
        return cur_fetch(c, "cl", NULL, 0, c->first, out);
    case STMT__PGC_SEEK_LE: /* "cq": k <= key, descending */
        return klen ? cur_fetch(c, "cq", key, klen, c->first, out)
                    : cur_fetch(c, "cl", NULL, 0, c->first, out);
    default:
        return STMT_DB_ERR_IO;
    }
}

int stmt__pg_cursor_count(struct stmt__pgcur *c, const void *lo, size_t lolen, const void *hi,
                          size_t hilen, size_t cap, size_t *n)
{
    char limit[24];
    const char *vals[4] = {c->table, lolen ? lo : "", hilen ? hi : "", limit};
    int lens[4] = {0, (int)lolen, (int)hilen, 0}, fmts[4] = {0, 1, 1, 0};
    PGresult *r;
    int rc = stmt__pg_flush_resv(c->t);
    if (rc)
        return rc;
    PQclear(c->page);
    c->page = NULL;
    c->state = CS_UNSET;
    snprintf(limit, sizeof limit, "%zu", cap < (size_t)INT64_MAX ? cap : (size_t)INT64_MAX);
    r = PQexecPrepared(c->t->c, "cn", 4, vals, lens, fmts, 0);
    rc = stmt__pg_result_err(c->t, r, PGRES_TUPLES_OK);
    if (!rc)
        *n = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return rc;
}

int stmt__pg_count(struct stmt__pgtxn *t, const char *table, size_t *n)
{
    const char *vals[1] = {table};
    PGresult *r;
    int rc = stmt__pg_flush_resv(t);
    if (rc)
        return rc;
    r = PQexecPrepared(t->c, "n", 1, vals, NULL, NULL, 0);
    rc = stmt__pg_result_err(t, r, PGRES_TUPLES_OK);
    if (!rc)
        *n = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return rc;
}

int stmt__pg_clear(struct stmt__pgtxn *t, const char *table)
{
    const char *vals[1] = {table};
    PGresult *r;
    int rc = stmt__pg_write_prep(t, 1);
    if (rc)
        return rc;
    stmt__pg_free_lent(t);
    r = PQexecPrepared(t->c, "x", 1, vals, NULL, NULL, 0);
    rc = stmt__pg_result_err(t, r, PGRES_COMMAND_OK);
    PQclear(r);
    return rc;
}

#endif
