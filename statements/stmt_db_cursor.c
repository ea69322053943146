/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cursors, counts, clears and reservations of stmt_db.h on both backends (issue 19, step 1 of
 * docs/architecture.md "PostgreSQL backend"): what statements/ took from LMDB directly.
 *
 * LMDB: an MDB_cursor of the transaction, opened once (its one allocation); each step is one
 * mdb_cursor_get, no allocation. The cursor's own state (not positioned, on a key, past the
 * end, before the start) gives both backends one behaviour at the ends: _prev past the end is
 * the last key (MDB_LAST), _next before the start the first (MDB_FIRST). A write cursor
 * follows the transaction's own writes: LMDB tracks every cursor of a write transaction and
 * moves it over inserts and deletes (lmdb.h mdb_cursor_open; mdb_del marks a cursor on the
 * deleted key so that MDB_NEXT gives the key after it).
 *
 * PostgreSQL: stmt_db_pg.c reads pages with a keyset in the walk's direction.
 */
#include "statements/stmt_db.h"
#include "statements/stmt_db_int.h"
#include "statements/stmt_db_pg.h"
#include "common/sc_alloc.h"

#include <lmdb.h>
#include <stdint.h>
#include <string.h>

enum { C_UNSET, C_ON, C_AFTER, C_BEFORE };

struct stmt_db_cursor {
    MDB_cursor *mc;          /* LMDB */
    struct stmt__pgcur *pgc; /* PostgreSQL */
    int state;               /* C_*, LMDB */
};

int stmt_db_cursor_open(struct stmt_db_txn *t, const char *table, struct stmt_db_cursor **out)
{
    struct stmt_db_cursor *c;
    MDB_dbi dbi;
    int rc;
    if (stmt__db_group_remote(t)) /* its LMDB transaction belongs to the group's leader */
        return STMT_DB_ERR_IO;
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc)
        return rc;
    c = sc_calloc(1, sizeof *c);
    if (!c)
        return STMT_DB_ERR_NOMEM;
    rc = t->pgt ? stmt__pg_cursor_open(t->pgt, table, &c->pgc)
                : stmt__db_err(mdb_cursor_open(t->txn, dbi, &c->mc));
    if (rc) {
        sc_free(c);
        return rc;
    }
    *out = c;
    return STMT_DB_OK;
}

void stmt_db_cursor_close(struct stmt_db_cursor *c)
{
    if (!c)
        return;
    if (c->pgc)
        stmt__pg_cursor_close(c->pgc);
    else
        mdb_cursor_close(c->mc);
    sc_free(c);
}

/* One mdb_cursor_get; on MDB_NOTFOUND the cursor's state is `end`. */
static int lm_get(struct stmt_db_cursor *c, MDB_val *k, MDB_cursor_op op, int end,
                  struct stmt_db_kv *out)
{
    MDB_val v;
    int rc = mdb_cursor_get(c->mc, k, &v, op);
    if (rc == MDB_SUCCESS) {
        c->state = C_ON;
        out->key = k->mv_data;
        out->klen = k->mv_size;
        out->val = v.mv_data;
        out->vlen = v.mv_size;
        return STMT_DB_OK;
    }
    c->state = rc == MDB_NOTFOUND ? end : C_UNSET;
    return stmt__db_err(rc);
}

int stmt_db_cursor_seek(struct stmt_db_cursor *c, const void *key, size_t klen,
                        struct stmt_db_kv *out)
{
    MDB_val k = {klen, (void *)key};
    if (klen > STMT_DB_MAX_KEY)
        return STMT_DB_ERR_KEY;
    if (c->pgc)
        return stmt__pg_cursor_get(c->pgc, STMT__PGC_SEEK, key, klen, out);
    if (!klen)
        return lm_get(c, &k, MDB_FIRST, C_AFTER, out);
    return lm_get(c, &k, MDB_SET_RANGE, C_AFTER, out);
}

void stmt_db_cursor_hint(struct stmt_db_cursor *c, size_t n)
{
    if (c->pgc)
        stmt__pg_cursor_hint(c->pgc, n);
}

int stmt_db_cursor_seek_le(struct stmt_db_cursor *c, const void *key, size_t klen,
                           struct stmt_db_kv *out)
{
    MDB_val k = {klen, (void *)key};
    int rc;
    if (klen > STMT_DB_MAX_KEY)
        return STMT_DB_ERR_KEY;
    if (c->pgc)
        return stmt__pg_cursor_get(c->pgc, STMT__PGC_SEEK_LE, key, klen, out);
    if (!klen)
        return lm_get(c, &k, MDB_LAST, C_BEFORE, out);
    rc = lm_get(c, &k, MDB_SET_RANGE, C_AFTER, out);
    if (rc == STMT_DB_NOTFOUND) /* every key is smaller: the last */
        return lm_get(c, &k, MDB_LAST, C_BEFORE, out);
    if (rc || (out->klen == klen && memcmp(out->key, key, klen) == 0))
        return rc;
    return lm_get(c, &k, MDB_PREV, C_BEFORE, out); /* the first key > key: the one before it */
}

int stmt_db_cursor_next(struct stmt_db_cursor *c, struct stmt_db_kv *out)
{
    MDB_val k;
    if (c->pgc)
        return stmt__pg_cursor_get(c->pgc, STMT__PGC_NEXT, NULL, 0, out);
    switch (c->state) {
    case C_ON:
        return lm_get(c, &k, MDB_NEXT, C_AFTER, out);
    case C_AFTER:
        return STMT_DB_NOTFOUND;
    default:
        return lm_get(c, &k, MDB_FIRST, C_AFTER, out);
    }
}

int stmt_db_cursor_prev(struct stmt_db_cursor *c, struct stmt_db_kv *out)
{
    MDB_val k;
    if (c->pgc)
        return stmt__pg_cursor_get(c->pgc, STMT__PGC_PREV, NULL, 0, out);
    switch (c->state) {
    case C_ON:
        return lm_get(c, &k, MDB_PREV, C_BEFORE, out);
    case C_BEFORE:
        return STMT_DB_NOTFOUND;
    default:
        return lm_get(c, &k, MDB_LAST, C_BEFORE, out);
    }
}

int stmt_db_cursor_last(struct stmt_db_cursor *c, struct stmt_db_kv *out)
{
    MDB_val k;
    if (c->pgc)
        return stmt__pg_cursor_get(c->pgc, STMT__PGC_LAST, NULL, 0, out);
    return lm_get(c, &k, MDB_LAST, C_UNSET, out);
}

/* 8 bytes as a big-endian number: comparing two of them compares the bytes in order */
static inline uint64_t be64(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* Are the first p bytes of a and b equal? Inline (a libc memcmp call per key counted cost
 * more than the rest of the step). */
static inline int prefix_eq(const unsigned char *a, const unsigned char *b, size_t p)
{
    size_t i = 0;
    for (; i + 8 <= p; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return 0;
    }
    if (i + 4 <= p) {
        uint32_t x, y;
        memcpy(&x, a + i, 4);
        memcpy(&y, b + i, 4);
        if (x != y)
            return 0;
        i += 4;
    }
    for (; i < p; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* LMDB's default key order (mdb_cmp_memn) of x and y: bytes, then the shorter first. Inline,
 * 8 bytes a step. */
static inline int key_cmp(const unsigned char *x, size_t xl, const unsigned char *y, size_t yl)
{
    size_t m = xl < yl ? xl : yl, i = 0;
    for (; i + 8 <= m; i += 8) {
        uint64_t u = be64(x + i), v = be64(y + i);
        if (u != v)
            return u < v ? -1 : 1;
    }
    for (; i < m; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return (xl > yl) - (xl < yl);
}

int stmt_db_cursor_count(struct stmt_db_cursor *c, const void *lo, size_t lolen, const void *hi,
                         size_t hilen, size_t cap, size_t *n)
{
    MDB_val k = {lolen, (void *)lo}, v;
    const unsigned char *h = hi;
    size_t got = 0, cp = 0;
    uint64_t hv;
    int rc, fixed;
    if (lolen > STMT_DB_MAX_KEY || hilen > STMT_DB_MAX_KEY)
        return STMT_DB_ERR_KEY;
    if (c->pgc)
        return stmt__pg_cursor_count(c->pgc, lo, lolen, hi, hilen, cap, n);
    c->state = C_UNSET;
    /* Every key from lo on that lies in [lo, hi] begins with the prefix lo and hi share (cp
     * bytes), and the first key that does not is after hi: so the walk compares that prefix
     * (memcmp) and the rest of hi only. */
    while (cp < lolen && cp < hilen && ((const unsigned char *)lo)[cp] == h[cp])
        cp++;
    /* keys of hi's length whose last 8 bytes are all that may differ (the index: epoch ‖ term
     * ‖ seq): a prefix of hi-8 bytes (at most the shared one), then one number */
    fixed = hilen >= 8 && cp >= hilen - 8;
    if (fixed)
        cp = hilen - 8;
    hv = fixed ? be64(h + cp) : 0;
    rc = mdb_cursor_get(c->mc, &k, &v, lolen ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == MDB_SUCCESS && got < cap) {
        const unsigned char *kp = k.mv_data;
        int in = fixed && k.mv_size == hilen
                     ? prefix_eq(kp, h, cp) && be64(kp + cp) <= hv
                     : k.mv_size >= cp && prefix_eq(kp, h, cp) &&
                           key_cmp(kp + cp, k.mv_size - cp, h + cp, hilen - cp) <= 0;
        if (!in)
            break;
        got++;
        rc = mdb_cursor_get(c->mc, &k, &v, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND)
        return stmt__db_err(rc);
    *n = got;
    return STMT_DB_OK;
}

int stmt_db_count(struct stmt_db_txn *t, const char *table, size_t *n)
{
    MDB_dbi dbi;
    MDB_stat st;
    int rc;
    if (stmt__db_group_remote(t))
        return STMT_DB_ERR_IO;
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_count(t->pgt, table, n);
    rc = mdb_stat(t->txn, dbi, &st);
    if (rc)
        return stmt__db_err(rc);
    *n = st.ms_entries;
    return STMT_DB_OK;
}

int stmt_db_clear(struct stmt_db_txn *t, const char *table)
{
    MDB_dbi dbi;
    int rc;
    if (stmt__db_group_remote(t))
        return STMT_DB_ERR_IO;
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_clear(t->pgt, table);
    if (!t->write)
        return STMT_DB_ERR_ACCESS;
    return stmt__db_err(mdb_drop(t->txn, dbi, 0));
}

int stmt_db_reserve(struct stmt_db_txn *t, const char *table, const void *key, size_t klen,
                    size_t vlen, unsigned flags, void **buf)
{
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key}, v = {vlen, NULL};
    unsigned mf;
    int rc;
    if (klen == 0 || klen > STMT_DB_MAX_KEY)
        return STMT_DB_ERR_KEY;
    if (stmt__db_group_remote(t)) /* the buffer would be the leader's to fill */
        return STMT_DB_ERR_IO;
    rc = stmt__db_resolve(t, table, &dbi);
    if (rc)
        return rc;
    if (t->pgt)
        return stmt__pg_reserve(t->pgt, table, key, klen, vlen, flags, buf);
    mf = MDB_RESERVE | ((flags & STMT_DB_NOOVERWRITE) ? MDB_NOOVERWRITE : 0);
    rc = mdb_put(t->txn, dbi, &k, &v, mf | ((flags & STMT_DB_APPEND) ? MDB_APPEND : 0));
    if (rc == MDB_KEYEXIST && (flags & STMT_DB_APPEND)) { /* not after the last key: a hint */
        v.mv_size = vlen;
        rc = mdb_put(t->txn, dbi, &k, &v, mf);
    }
    if (rc == MDB_MAP_FULL)
        stmt__db_want_grow(t->db);
    if (rc)
        return stmt__db_err(rc);
    *buf = v.mv_data;
    return STMT_DB_OK;
}
