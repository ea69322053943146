/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the outbox's files (stmt_outbox.c: filters, matching, targets; stmt_outbox_send.c:
 * the senders' side): the table, its keys and the shared transaction helper. */
#ifndef STMT_OUTBOX_INT_H
#define STMT_OUTBOX_INT_H

#include "statements/stmt_outbox.h"
#include "statements/stmt_store_int.h"

#define OBX_TABLE "outbox"

static inline void stmt__obx_be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static inline uint32_t stmt__obx_be32_get(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 'q' or 'p' target(4) seq(8) */
static inline void stmt__obx_row_key(unsigned char k[13], char kind, uint32_t id, uint64_t seq)
{
    k[0] = (unsigned char)kind;
    stmt__obx_be32_put(k + 1, id);
    stmt__be64_put(k + 5, seq);
}

/* Run work(t, ctx) in a write transaction of its own and commit it; a transaction that met a
 * full map is done again (the map grows in between, stmt_db.c). A stmt_store code. */
int stmt__obx_write_txn(struct stmt_store *st, int (*work)(struct stmt_db_txn *t, void *ctx),
                        void *ctx);

#endif
