/* SPDX-License-Identifier: Apache-2.0 */
/* Private to statements/: raw LMDB access for the statement store, which needs cursors and
 * its own tables on the hot path. Other modules use stmt_db.h only. */
#ifndef STMT_DB_INT_H
#define STMT_DB_INT_H

#include "statements/stmt_db.h"

#include <lmdb.h>

/** The raw transaction (borrowed; valid until commit/abort). */
MDB_txn *stmt__db_txn_raw(struct stmt_db_txn *txn);
/** Open (creating in a write txn) a named table; flags are extra mdb_dbi_open flags
 *  (MDB_INTEGERKEY etc.; first open wins). Returns 0 or an stmt_db_err. */
int stmt__db_table(struct stmt_db_txn *txn, const char *name, unsigned flags, MDB_dbi *out);
/** Map an LMDB return code to stmt_db_err. */
int stmt__db_err(int mdb_rc);
/** Mark the map for growth; the next stmt_db_txn_begin(write) grows it. */
void stmt__db_want_grow(struct stmt_db *db);
MDB_env *stmt__db_env(struct stmt_db *db);

#endif
