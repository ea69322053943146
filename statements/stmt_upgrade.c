/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whether stmt_store_open will convert the store of an older build (issue 18: "a data
 * directory of an older format is upgraded in place only after a backup is written beside
 * it"). Mirrors the decisions of layout() in stmt_epoch.c, in a read transaction, so that
 * `scolar serve` can copy the store before opening it.
 */
#include "statements/stmt_store.h"
#include "statements/stmt_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int meta(MDB_txn *txn, MDB_dbi dbi, const char *name, MDB_val *v)
{
    MDB_val k = {strlen(name), (void *)name};
    return mdb_get(txn, dbi, &k, v);
}

static size_t entries(MDB_txn *txn, MDB_dbi dbi)
{
    MDB_stat s;
    return mdb_stat(txn, dbi, &s) == 0 ? s.ms_entries : 0;
}

int stmt_store_needs_upgrade(struct stmt_db *db, char *why, size_t whylen)
{
    struct stmt_db_txn *t = NULL;
    MDB_dbi d_meta, d_stmt, d_id, d_idx, d_fmt;
    MDB_val v;
    MDB_txn *txn;
    long fmt = STMT_DB_FORMAT;
    int rc, up = 0;

    if (whylen)
        why[0] = '\0';
    rc = stmt_db_txn_begin(db, 0, &t);
    if (rc)
        return rc < 0 ? rc : -rc;
    txn = stmt__db_txn_raw(t);
    if (stmt__db_table(t, "stmt", 0, &d_stmt) || stmt__db_table(t, "stmt_id", 0, &d_id) ||
        stmt__db_table(t, "stmt_idx", 0, &d_idx) || stmt__db_table(t, "stmt_meta", 0, &d_meta)) {
        stmt_db_txn_abort(t);
        return 0; /* no statement store yet: nothing to convert */
    }
    if (stmt__db_table(t, "meta", 0, &d_fmt) == 0 && meta(txn, d_fmt, "format", &v) == 0) {
        char tmp[32];
        size_t n = v.mv_size < sizeof tmp - 1 ? v.mv_size : sizeof tmp - 1;
        memcpy(tmp, v.mv_data, n);
        tmp[n] = '\0';
        fmt = strtol(tmp, NULL, 10);
    }
    rc = meta(txn, d_meta, "layout", &v);
    if (rc == MDB_NOTFOUND) {
        /* layout 1 (stmt_epoch.c layout()): id and index tables are emptied and rebuilt; a
         * format 1 store without them still gets its format record raised */
        if (entries(txn, d_id) || entries(txn, d_idx) ||
            meta(txn, d_meta, "indexed_through", &v) == 0) {
            snprintf(why, whylen,
                     "statement store of layout 1 (keys without fold epochs): its id table and "
                     "indexes are rebuilt");
            up = 1;
        } else if (fmt < STMT_DB_FORMAT && entries(txn, d_stmt)) {
            snprintf(why, whylen, "store format %ld: raised to %d", fmt, STMT_DB_FORMAT);
            up = 1;
        }
    } else if (rc == 0) {
        /* a store folded by a build without report tallies is refolded once; a layout the
         * open refuses (corrupt or newer) converts nothing */
        if (v.mv_size == 4 && stmt__be32_get(v.mv_data) == STMT_LAYOUT &&
            meta(txn, d_meta, "reports", &v) == MDB_NOTFOUND &&
            meta(txn, d_meta, "indexed_through", &v) == 0) {
            snprintf(why, whylen,
                     "statement store folded by a build without report tallies: its indexes "
                     "are rebuilt");
            up = 1;
        }
    }
    stmt_db_txn_abort(t);
    return up;
}
