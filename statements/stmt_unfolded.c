/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening a store on a full disk (issue 18). stmt_store_open folds the statements a previous
 * run committed but had not yet folded into the indexes, so that the writer starts with an
 * empty in-memory tail. That fold is a write: when the disk is full it cannot commit, and the
 * store could not open at all ("statement storage I/O error"), leaving every acknowledged
 * statement unreachable until an operator freed space.
 *
 * Instead, on a full disk the open reads those statements' records and publishes their ids and
 * terms in memory, exactly as the writer does after a commit (stmt_writer.c: `recent`, `utail`,
 * the StatementRef term): queries and gets see them as they saw them before the stop
 * (read-your-writes holds across the restart, Comm 2.1.3's consistency), writes fail with
 * STMT_STORE_ERR_FULL (507) while the disk stays full, and the writer folds them after the
 * first commit that finds space again.
 */
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"

#include <string.h>

int stmt__unfolded_load(struct stmt_store *st)
{
    struct stmt_db_txn *t = NULL;
    MDB_cursor *cur = NULL;
    unsigned char from[8];
    MDB_val k = {8, from}, v;
    int rc, ret = STMT_STORE_OK;
    size_t n = 0, cap = 0;
    uint64_t *terms = NULL;

    stmt__be64_put(from, (uint64_t)st->indexed_us + 1);
    if (stmt_db_txn_begin(st->db, 0, &t))
        return STMT_STORE_ERR_IO;
    rc = mdb_cursor_open(stmt__db_txn_raw(t), st->t_stmt, &cur);
    if (!rc)
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    pthread_mutex_lock(&st->lock);
    for (; rc == 0 && !ret; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        /* the record's header as stmt_writer.c writes it: flags, term count, id, ref, terms */
        const unsigned char *r = v.mv_data;
        size_t nt;
        int64_t seq;
        if (k.mv_size != 8 || v.mv_size < STMT_REC_HDR) {
            ret = STMT_STORE_ERR_IO;
            break;
        }
        nt = (size_t)(r[2] << 8 | r[3]);
        if (STMT_REC_HDR + 8 * nt > v.mv_size) {
            ret = STMT_STORE_ERR_IO;
            break;
        }
        seq = (int64_t)stmt__be64_get(k.mv_data);
        if (nt > cap) {
            uint64_t *grown = sc_realloc(terms, nt * sizeof *terms);
            if (!grown) {
                ret = STMT_STORE_ERR_NOMEM;
                break;
            }
            terms = grown;
            cap = nt;
        }
        for (size_t i = 0; i < nt; i++)
            terms[i] = stmt__be64_get(r + STMT_REC_HDR + 8 * i);
        if (stmt__idmap_put(&st->recent, r + 4, seq) ||
            stmt__tail_add(&st->utail, seq, terms, nt) ||
            ((r[1] & STMT_REC_REF) &&
             stmt__tail_add(&st->utail, seq, &(const uint64_t){STMT_TAIL_REF_TERM}, 1)))
            ret = STMT_STORE_ERR_NOMEM;
        if (n++ == 0)
            st->unfolded_us = seq;
    }
    if (!ret && rc != MDB_NOTFOUND)
        ret = STMT_STORE_ERR_IO;
    if (!ret) {
        st->unindexed = n;
        st->open_full = n ? n : 1;
    }
    pthread_mutex_unlock(&st->lock);
    sc_free(terms);
    if (cur)
        mdb_cursor_close(cur);
    stmt_db_txn_abort(t);
    return ret;
}
