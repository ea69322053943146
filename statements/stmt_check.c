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

static int check_records(struct stmt_store *st, MDB_txn *txn, const struct stmt__epv *ev,
                         uint64_t through, struct report *r, size_t *nrec, size_t *nfolded)
{
    MDB_cursor *cur;
    MDB_val k, v;
    size_t c_id = 0, c_term = 0, c_rec = 0;
    int rc = mdb_cursor_open(txn, st->t_stmt, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *rec = v.mv_data;
        unsigned char ik[STMT_ID_KEY], xk[STMT_IDX_KEY];
        MDB_val ikv = {sizeof ik, ik}, xkv = {sizeof xk, xk}, iv, xv;
        uint64_t seq;
        uint32_t e;
        size_t nt;
        ++*nrec;
        if (k.mv_size != 8 || v.mv_size < STMT_REC_HDR ||
            STMT_REC_HDR + 8 * (nt = (size_t)(rec[2] << 8 | rec[3])) > v.mv_size) {
            finding(r, &c_rec, "statements: malformed record #%zu\n", *nrec);
            continue;
        }
        seq = stmt__be64_get(k.mv_data);
        if (seq > through)
            continue; /* not folded yet: the next serve folds it */
        ++*nfolded;
        e = stmt__epv_of(ev, seq);
        stmt__be32_put(ik, e);
        memcpy(ik + 4, rec + 4, 16);
        rc = mdb_get(txn, st->t_id, &ikv, &iv);
        if (rc == MDB_NOTFOUND ||
            (rc == 0 && (iv.mv_size != 8 || stmt__be64_get(iv.mv_data) != seq))) {
            char id[STMT_STORE_UUID_LEN];
            stmt__uuid_format(rec + 4, id);
            finding(r, &c_id, "statements: %s has no id entry in epoch %u\n", id, (unsigned)e);
        } else if (rc) {
            break;
        }
        for (size_t i = 0; i < nt; i++) {
            stmt__idx_key(xk, e, stmt__be64_get(rec + STMT_REC_HDR + 8 * i), seq);
            rc = mdb_get(txn, st->t_idx, &xkv, &xv);
            if (rc == MDB_NOTFOUND) {
                char id[STMT_STORE_UUID_LEN];
                stmt__uuid_format(rec + 4, id);
                finding(r, &c_term, "statements: %s misses index term %zu of %zu\n", id, i + 1, nt);
            } else if (rc) {
                goto out;
            }
        }
    }
out:
    mdb_cursor_close(cur);
    if (c_id > SHOW || c_term > SHOW || c_rec > SHOW)
        say(r,
            "statements: %zu records without id entry, %zu missing index terms, %zu "
            "malformed in all\n",
            c_id, c_term, c_rec);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Every key of the id table (klen 20, value = seq) or the index (klen 20, seq in the key). */
static int check_entries(struct stmt_store *st, MDB_txn *txn, const struct stmt__epv *ev,
                         MDB_dbi dbi, const char *what, struct report *r, size_t *n)
{
    MDB_cursor *cur;
    MDB_val k, v;
    size_t c = 0;
    uint32_t nofilter = UINT32_MAX; /* the last epoch reported without a filter */
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        uint32_t e;
        uint64_t seq;
        unsigned char s8[8];
        MDB_val sk = {8, s8}, rv;
        ++*n;
        if (k.mv_size != 20 || (dbi == st->t_id && v.mv_size != 8)) {
            finding(r, &c, "%s: entry #%zu has a %zu-byte key (layout 2 keys are 20 bytes)\n", what,
                    *n, k.mv_size);
            continue;
        }
        e = stmt__be32_get(kp);
        seq = dbi == st->t_id ? stmt__be64_get(v.mv_data) : stmt__be64_get(kp + 12);
        if (!in_epoch(ev, e, seq)) {
            finding(r, &c, "%s: entry #%zu is in epoch %u, its statement is not\n", what, *n,
                    (unsigned)e);
            continue;
        }
        if (dbi == st->t_id && e + 1 < ev->n) {
            /* A closed epoch's persisted filter must hold every id of the epoch: one that
             * rules an id out hides it from lookups (and from the conflict check). */
            int f = stmt__bloom_test(st, txn, e, kp + 4);
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
        rc = mdb_get(txn, st->t_stmt, &sk, &rv);
        if (rc == MDB_NOTFOUND ||
            (rc == 0 && dbi == st->t_id &&
             (rv.mv_size < STMT_REC_HDR || memcmp((unsigned char *)rv.mv_data + 4, kp + 4, 16))))
            finding(r, &c, "%s: entry #%zu points at no statement of its id\n", what, *n);
        else if (rc)
            break;
    }
    mdb_cursor_close(cur);
    if (c > SHOW)
        say(r, "%s: %zu bad entries in all\n", what, c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Persisted Bloom filters ("bloom" ‖ be32 epoch in stmt_meta) exist only for closed epochs. */
static int check_filters(struct stmt_store *st, MDB_txn *txn, const struct stmt__epv *ev,
                         struct report *r)
{
    MDB_cursor *cur;
    MDB_val k = {5, "bloom"}, v;
    int rc = mdb_cursor_open(txn, st->t_meta, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size == 9 && !memcmp(k.mv_data, "bloom", 5);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint32_t e = stmt__be32_get((const unsigned char *)k.mv_data + 5);
        if (e + 1 >= ev->n || e == UINT32_MAX) {
            say(r, "stmt_meta: a Bloom filter for epoch %u, which is not a closed epoch\n",
                (unsigned)e);
            r->bad++;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

int stmt_store_check(struct stmt_db *db, char *report, size_t reportlen)
{
    struct stmt_store st;
    struct stmt_db_txn *t = NULL;
    struct report r = {report, reportlen, 0, 0};
    struct stmt__epv ev;
    MDB_txn *txn;
    MDB_val k, v;
    uint64_t through = 0, last = 0;
    size_t nrec = 0, nfolded = 0, nid = 0, nidx = 0;
    int rc;

    report[0] = '\0';
    memset(&st, 0, sizeof st);
    st.db = db;
    rc = stmt_db_txn_begin(db, 0, &t);
    if (rc)
        return rc;
    txn = stmt__db_txn_raw(t);
    if (stmt__db_table(t, "stmt", 0, &st.t_stmt) || stmt__db_table(t, "stmt_id", 0, &st.t_id) ||
        stmt__db_table(t, "stmt_idx", 0, &st.t_idx) ||
        stmt__db_table(t, "stmt_meta", 0, &st.t_meta)) {
        stmt_db_txn_abort(t);
        return STMT_DB_OK; /* no statement store yet */
    }
    k.mv_size = 6;
    k.mv_data = "layout";
    rc = mdb_get(txn, st.t_meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        MDB_stat ms;
        if (mdb_stat(txn, st.t_stmt, &ms) == 0 && ms.ms_entries)
            say(&r, "statements: layout 1 (keys without fold epochs); scolar serve converts it "
                    "and rebuilds the indexes when it next opens the store\n");
        stmt_db_txn_abort(t);
        return STMT_DB_OK;
    }
    if (rc || v.mv_size != 4 || stmt__be32_get(v.mv_data) != STMT_LAYOUT) {
        say(&r, "statements: layout record unreadable or unknown\n");
        stmt_db_txn_abort(t);
        return STMT_DB_ERR_CORRUPT;
    }
    rc = stmt__epv_read(&st, txn, &ev);
    for (uint32_t e = 1; rc == 0 && e < ev.n; e++)
        if (stmt__epv_first(&ev, e) <= stmt__epv_first(&ev, e - 1)) {
            say(&r, "statements: epoch %u does not begin after epoch %u\n", (unsigned)e,
                (unsigned)e - 1);
            r.bad++;
        }
    k.mv_size = 15;
    k.mv_data = "indexed_through";
    if (rc == 0 && mdb_get(txn, st.t_meta, &k, &v) == 0 && v.mv_size == 8)
        through = stmt__be64_get(v.mv_data);
    if (rc == 0) {
        MDB_cursor *cur;
        rc = mdb_cursor_open(txn, st.t_stmt, &cur);
        if (rc == 0) {
            if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
                last = stmt__be64_get(k.mv_data);
            mdb_cursor_close(cur);
        }
    }
    if (rc == 0 && through > last) {
        say(&r, "statements: indexed through a statement that is not stored\n");
        r.bad++;
    }
    if (rc == 0)
        rc = check_records(&st, txn, &ev, through, &r, &nrec, &nfolded);
    if (rc == 0)
        rc = check_filters(&st, txn, &ev, &r);
    if (rc == 0)
        rc = check_entries(&st, txn, &ev, st.t_id, "stmt_id", &r, &nid);
    if (rc == 0)
        rc = check_entries(&st, txn, &ev, st.t_idx, "stmt_idx", &r, &nidx);
    if (rc == 0 && nid != nfolded) {
        say(&r, "stmt_id: %zu entries for %zu folded statements\n", nid, nfolded);
        r.bad++;
    }
    stmt_db_txn_abort(t);
    if (rc) {
        say(&r, "statements: read failed: %s\n", mdb_strerror(rc));
        return STMT_DB_ERR_CORRUPT;
    }
    say(&r, "statements: %zu stored, %zu folded into %u epochs, %zu index entries: %s\n", nrec,
        nfolded, (unsigned)ev.n, nidx, r.bad ? "FINDINGS above" : "ids and indexes agree");
    return r.bad ? STMT_DB_ERR_CORRUPT : STMT_DB_OK;
}
