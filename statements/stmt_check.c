/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `scolar check` for the statement store: do the id table and the query indexes agree with
 * the records? Read-only, in one read transaction, on a store no server has open.
 *
 * For every record folded (stored <= indexed_through): its id entry is in the epoch its stored
 * value falls into and points back at it, and each of its own terms has its index entry
 * there. Then every id and index entry: a 20-byte key in a listed epoch, whose stored value
 * lies in that epoch and whose record exists. (Index entries a StatementRef gets from its
 * target's terms, G5, are not recomputed here; the second pass checks that they point at
 * records.) Findings are counted per kind, the first few are described.
 */
#include "statements/stmt_store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SHOW 5 /* findings described per kind */

struct report {
    char *buf;
    size_t len, off;
    size_t bad;
};

static void vsay(struct report *r, const char *fmt, va_list ap)
{
    int n;
    if (r->off >= r->len)
        return;
    n = vsnprintf(r->buf + r->off, r->len - r->off, fmt, ap);
    if (n > 0)
        r->off += (size_t)n < r->len - r->off ? (size_t)n : r->len - r->off - 1;
}

static void say(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(r, fmt, ap);
    va_end(ap);
}

/* A finding of one kind: counted always, described for the first SHOW of the kind. */
static void finding(struct report *r, size_t *count, const char *fmt, ...)
{
    va_list ap;
    r->bad++;
    if ((*count)++ >= SHOW)
        return;
    va_start(ap, fmt);
    vsay(r, fmt, ap);
    va_end(ap);
}

/* Is `seq` inside epoch e of view v? */
static int in_epoch(const struct stmt__epv *v, uint32_t e, uint64_t seq)
{
    return e < v->n && seq >= stmt__epv_first(v, e) &&
           (e + 1 == v->n || seq < stmt__epv_first(v, e + 1));
}

static int check_records(struct stmt_store *st, struct stmt_db_txn *t, const struct stmt__epv *ev,
                         uint64_t through, struct report *r, size_t *nrec, size_t *nfolded)
{
    struct stmt_db_cursor *cur;
    struct stmt_db_kv kv;
    size_t c_id = 0, c_term = 0, c_rec = 0;
    int rc = stmt_db_cursor_open(t, st->tbl.stmt, &cur);
    if (rc)
        return rc;
    for (rc = stmt_db_cursor_next(cur, &kv); rc == 0; rc = stmt_db_cursor_next(cur, &kv)) {
        const unsigned char *rec = kv.val;
        unsigned char ik[STMT_ID_KEY], xk[STMT_IDX_KEY];
        const void *iv, *xv;
        size_t il, xl;
        uint64_t seq;
        uint32_t e;
        size_t nt;
        ++*nrec;
        if (kv.klen != 8 || kv.vlen < STMT_REC_HDR ||
            STMT_REC_HDR + 8 * (nt = (size_t)(rec[2] << 8 | rec[3])) > kv.vlen) {
            finding(r, &c_rec, "statements: malformed record #%zu\n", *nrec);
            continue;
        }
        seq = stmt__be64_get(kv.key);
        if (seq > through)
            continue; /* not folded yet: the next serve folds it */
        ++*nfolded;
        e = stmt__epv_of(ev, seq);
        stmt__be32_put(ik, e);
        memcpy(ik + 4, rec + 4, 16);
        rc = stmt_db_get(t, st->tbl.id, ik, sizeof ik, &iv, &il);
        if (rc == STMT_DB_NOTFOUND || (rc == 0 && (il != 8 || stmt__be64_get(iv) != seq))) {
            char id[STMT_STORE_UUID_LEN];
            stmt__uuid_format(rec + 4, id);
            finding(r, &c_id, "statements: %s has no id entry in epoch %u\n", id, (unsigned)e);
        } else if (rc) {
            break;
        }
        for (size_t i = 0; i < nt; i++) {
            stmt__idx_key(xk, e, stmt__be64_get(rec + STMT_REC_HDR + 8 * i), seq);
            rc = stmt_db_get(t, st->tbl.idx, xk, sizeof xk, &xv, &xl);
            if (rc == STMT_DB_NOTFOUND) {
                char id[STMT_STORE_UUID_LEN];
                stmt__uuid_format(rec + 4, id);
                finding(r, &c_term, "statements: %s misses index term %zu of %zu\n", id, i + 1, nt);
            } else if (rc) {
                goto out;
            }
        }
    }
out:
    stmt_db_cursor_close(cur);
    if (c_id > SHOW || c_term > SHOW || c_rec > SHOW)
        say(r,
            "statements: %zu records without id entry, %zu missing index terms, %zu "
            "malformed in all\n",
            c_id, c_term, c_rec);
    return rc == STMT_DB_NOTFOUND ? 0 : rc;
}

/* Every key of the id table (klen 20, value = seq) or the index (klen 20, seq in the key). */
static int check_entries(struct stmt_store *st, struct stmt_db_txn *t, const struct stmt__epv *ev,
                         const char *table, const char *what, struct report *r, size_t *n)
{
    struct stmt_db_cursor *cur;
    struct stmt_db_kv kv;
    size_t c = 0;
    uint32_t nofilter = UINT32_MAX; /* the last epoch reported without a filter */
    int ids = table == st->tbl.id;
    int rc = stmt_db_cursor_open(t, table, &cur);
    if (rc)
        return rc;
    for (rc = stmt_db_cursor_next(cur, &kv); rc == 0; rc = stmt_db_cursor_next(cur, &kv)) {
        const unsigned char *kp = kv.key;
        uint32_t e;
        uint64_t seq;
        unsigned char s8[8];
        const void *rv;
        size_t rl;
        ++*n;
        if (kv.klen != 20 || (ids && kv.vlen != 8)) {
            finding(r, &c, "%s: entry #%zu has a %zu-byte key (layout 2 keys are 20 bytes)\n", what,
                    *n, kv.klen);
            continue;
        }
        e = stmt__be32_get(kp);
        seq = ids ? stmt__be64_get(kv.val) : stmt__be64_get(kp + 12);
        if (!in_epoch(ev, e, seq)) {
            finding(r, &c, "%s: entry #%zu is in epoch %u, its statement is not\n", what, *n,
                    (unsigned)e);
            continue;
        }
        if (ids && e + 1 < ev->n) {
            /* A closed epoch's persisted filter must hold every id of the epoch: one that
             * rules an id out hides it from lookups (and from the conflict check). */
            int f = stmt__bloom_test(st, t, e, kp + 4);
            if (f == 0)
                finding(r, &c, "stmt_id: entry #%zu is ruled out by the Bloom filter of epoch %u\n",
                        *n, (unsigned)e);
            else if (f < 0 && nofilter != e)
                say(r,
                    "stmt_id: epoch %u has no Bloom filter (lookups probe it; the next "
                    "serve writes it)\n",
                    (unsigned)(nofilter = e));
        }
        stmt__be64_put(s8, seq);
        rc = stmt_db_get(t, st->tbl.stmt, s8, 8, &rv, &rl);
        if (rc == STMT_DB_NOTFOUND ||
            (rc == 0 && ids &&
             (rl < STMT_REC_HDR || memcmp((const unsigned char *)rv + 4, kp + 4, 16))))
            finding(r, &c, "%s: entry #%zu points at no statement of its id\n", what, *n);
        else if (rc)
            break;
    }
    stmt_db_cursor_close(cur);
    if (c > SHOW)
        say(r, "%s: %zu bad entries in all\n", what, c);
    return rc == STMT_DB_NOTFOUND ? 0 : rc;
}

/* Persisted Bloom filters ("bloom" ‖ be32 epoch in stmt_meta) exist only for closed epochs. */
static int check_filters(struct stmt_store *st, struct stmt_db_txn *t, const struct stmt__epv *ev,
                         struct report *r)
{
    struct stmt_db_cursor *cur;
    struct stmt_db_kv kv;
    int rc = stmt_db_cursor_open(t, st->tbl.meta, &cur);
    if (rc)
        return rc;
    for (rc = stmt_db_cursor_seek(cur, "bloom", 5, &kv);
         rc == 0 && kv.klen == 9 && !memcmp(kv.key, "bloom", 5);
         rc = stmt_db_cursor_next(cur, &kv)) {
        uint32_t e = stmt__be32_get((const unsigned char *)kv.key + 5);
        if (e + 1 >= ev->n || e == UINT32_MAX) {
            say(r, "stmt_meta: a Bloom filter for epoch %u, which is not a closed epoch\n",
                (unsigned)e);
            r->bad++;
        }
    }
    stmt_db_cursor_close(cur);
    return rc == STMT_DB_NOTFOUND || rc == 0 ? 0 : rc;
}

int stmt_store_check(struct stmt_db *db, char *report, size_t reportlen)
{
    struct stmt_store st;
    struct stmt_db_txn *t = NULL;
    struct report r = {report, reportlen, 0, 0};
    struct stmt__epv ev;
    const void *v;
    size_t vl;
    uint64_t through = 0, last = 0;
    size_t nrec = 0, nfolded = 0, nid = 0, nidx = 0;
    int rc;

    report[0] = '\0';
    memset(&st, 0, sizeof st);
    st.db = db;
    stmt__store_names(&st);
    rc = stmt_db_txn_begin(db, 0, &t);
    if (rc)
        return rc;
    rc = stmt_db_get(t, st.tbl.meta, "layout", 6, &v, &vl);
    if (rc == STMT_DB_ERR_TABLE) {
        stmt_db_txn_abort(t);
        return STMT_DB_OK; /* no statement store yet */
    }
    if (rc == STMT_DB_NOTFOUND) {
        size_t n = 0;
        if (stmt_db_count(t, st.tbl.stmt, &n) == 0 && n)
            say(&r, "statements: layout 1 (keys without fold epochs); scolar serve converts it "
                    "and rebuilds the indexes when it next opens the store\n");
        stmt_db_txn_abort(t);
        return STMT_DB_OK;
    }
    if (rc || vl != 4 || stmt__be32_get(v) != STMT_LAYOUT) {
        say(&r, "statements: layout record unreadable or unknown\n");
        stmt_db_txn_abort(t);
        return STMT_DB_ERR_CORRUPT;
    }
    rc = stmt__epv_read(&st, t, &ev);
    for (uint32_t e = 1; rc == 0 && e < ev.n; e++)
        if (stmt__epv_first(&ev, e) <= stmt__epv_first(&ev, e - 1)) {
            say(&r, "statements: epoch %u does not begin after epoch %u\n", (unsigned)e,
                (unsigned)e - 1);
            r.bad++;
        }
    if (rc == 0 && stmt_db_get(t, st.tbl.meta, "indexed_through", 15, &v, &vl) == 0 && vl == 8)
        through = stmt__be64_get(v);
    if (rc == 0) {
        struct stmt_db_cursor *cur;
        struct stmt_db_kv kv;
        rc = stmt_db_cursor_open(t, st.tbl.stmt, &cur);
        if (rc == 0) {
            if (stmt_db_cursor_last(cur, &kv) == 0 && kv.klen == 8)
                last = stmt__be64_get(kv.key);
            stmt_db_cursor_close(cur);
        }
    }
    if (rc == 0 && through > last) {
        say(&r, "statements: indexed through a statement that is not stored\n");
        r.bad++;
    }
    if (rc == 0)
        rc = check_records(&st, t, &ev, through, &r, &nrec, &nfolded);
    if (rc == 0)
        rc = check_filters(&st, t, &ev, &r);
    if (rc == 0)
        rc = check_entries(&st, t, &ev, st.tbl.id, "stmt_id", &r, &nid);
    if (rc == 0)
        rc = check_entries(&st, t, &ev, st.tbl.idx, "stmt_idx", &r, &nidx);
    if (rc == 0 && nid != nfolded) {
        say(&r, "stmt_id: %zu entries for %zu folded statements\n", nid, nfolded);
        r.bad++;
    }
    stmt_db_txn_abort(t);
    if (rc) {
        say(&r, "statements: read failed: %s\n", stmt_db_strerror(rc));
        return STMT_DB_ERR_CORRUPT;
    }
    say(&r, "statements: %zu stored, %zu folded into %u epochs, %zu index entries: %s\n", nrec,
        nfolded, (unsigned)ev.n, nidx, r.bad ? "FINDINGS above" : "ids and indexes agree");
    return r.bad ? STMT_DB_ERR_CORRUPT : STMT_DB_OK;
}
