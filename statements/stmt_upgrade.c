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

static int meta(struct stmt_db_txn *t, const char *table, const char *name, const void **v,
                size_t *vl)
{
    return stmt_db_get(t, table, name, strlen(name), v, vl);
}

static size_t entries(struct stmt_db_txn *t, const char *table)
{
    size_t n = 0;
    return stmt_db_count(t, table, &n) == 0 ? n : 0;
}

int stmt_store_needs_upgrade(struct stmt_db *db, char *why, size_t whylen)
{
    struct stmt_db_txn *t = NULL;
    const void *v;
    size_t vl;
    long fmt = STMT_DB_FORMAT;
    int rc, up = 0;

    if (whylen)
        why[0] = '\0';
    rc = stmt_db_txn_begin(db, 0, &t);
    if (rc)
        return rc < 0 ? rc : -rc;
    if (meta(t, "meta", "format", &v, &vl) == 0) {
        char tmp[32];
        size_t n = vl < sizeof tmp - 1 ? vl : sizeof tmp - 1;
        memcpy(tmp, v, n);
        tmp[n] = '\0';
        fmt = strtol(tmp, NULL, 10);
    }
    rc = meta(t, "stmt_meta", "layout", &v, &vl);
    if (rc == STMT_DB_ERR_TABLE) {
        stmt_db_txn_abort(t);
        return 0; /* no statement store yet: nothing to convert */
    }
    if (rc == STMT_DB_NOTFOUND) {
        /* layout 1 (stmt_epoch.c layout()): id and index tables are emptied and rebuilt; a
         * format 1 store without them still gets its format record raised */
        if (entries(t, "stmt_id") || entries(t, "stmt_idx") ||
            meta(t, "stmt_meta", "indexed_through", &v, &vl) == 0) {
            snprintf(why, whylen,
                     "statement store of layout 1 (keys without fold epochs): its id table and "
                     "indexes are rebuilt");
            up = 1;
        } else if (fmt < STMT_DB_FORMAT && entries(t, "stmt")) {
            snprintf(why, whylen, "store format %ld: raised to %d", fmt, STMT_DB_FORMAT);
            up = 1;
        }
    } else if (rc == 0) {
        /* a store folded by a build without report tallies is refolded once; a layout the
         * open refuses (corrupt or newer) converts nothing */
        if (vl == 4 && stmt__be32_get(v) == STMT_LAYOUT &&
            meta(t, "stmt_meta", "reports", &v, &vl) == STMT_DB_NOTFOUND &&
            meta(t, "stmt_meta", "indexed_through", &v, &vl) == 0) {
            snprintf(why, whylen,
                     "statement store folded by a build without report tallies: its indexes "
                     "are rebuilt");
            up = 1;
        }
    }
    stmt_db_txn_abort(t);
    return up;
}
