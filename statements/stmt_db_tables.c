/* SPDX-License-Identifier: Apache-2.0 */
/* The registered tables of a store, by position (issue 19: `scolar copy-store` walks every
 * table of one store into another without naming any module's tables itself). */
#include "statements/stmt_db_int.h"

const char *stmt_db_table_name(struct stmt_db *db, int i)
{
    /* entries below ntables are complete and never change (stmt_db.c registration) */
    int n = atomic_load_explicit(&db->ntables, memory_order_acquire);
    return i >= 0 && i < n ? db->tables[i].name : NULL;
}
