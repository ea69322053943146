/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the outbox's files (stmt_outbox.c: filters, matching, targets; stmt_outbox_send.c:
 * the senders' side): the table, its keys and the shared transaction helper. */
#ifndef STMT_OUTBOX_INT_H
#define STMT_OUTBOX_INT_H

#include "statements/stmt_outbox.h"
#include "statements/stmt_needles.h"
#include "statements/stmt_store_int.h"

#define OBX_TABLE "outbox"

struct ofilt {
    uint64_t hash;
    struct stmt__needles nd; /* what must occur in the statement's JSON (stmt_needles.h) */
};

struct watch {
    uint32_t id;
    int nf;
    struct ofilt f[4];
};

struct sub {
    uint32_t id;
    unsigned events;
};

struct stmt__obx {
    pthread_mutex_t mu;
    uint64_t ver; /* the version of the stored filters loaded into w and s (stmt_outbox_spec.c) */
    int ver_known;
    struct watch *w;
    size_t nw, wcap;
    struct sub *s;
    size_t ns, scap;
    uint64_t last_ev; /* last event key (us), under mu */
    const char *tbl;  /* OBX_TABLE as registered (stmt__db_table_ref: no string compare) */
};

/* stmt_outbox.c */
int stmt__obx_build_watch(struct watch *w, const struct stmt_outbox_filter *f);
void stmt__obx_watch_clear(struct watch *w);

/* stmt_outbox_spec.c: what each target queues, stored with it ('w' rows, version 'v') */
/** The spec of a forwarder (f) or, with f NULL, of a webhook (events): owned *out. */
int stmt__obx_spec_encode(const struct stmt_outbox_filter *f, unsigned events, unsigned char **out,
                          size_t *len);
/** Store the spec of target id and bump the version, in t. A stmt_db code. */
int stmt__obx_spec_put(struct stmt_db_txn *t, uint32_t id, const unsigned char *spec, size_t len);
/** Delete the spec of target id (if any) and bump the version, in t. A stmt_db code. */
int stmt__obx_spec_del(struct stmt_db_txn *t, uint32_t id);
/** Store the spec of target id when the target exists and its stored spec is another (a store
 *  written before specs were stored, issue 19): a read, and a write only then. stmt_store code. */
int stmt__obx_spec_persist(struct stmt_store *st, uint32_t id, const unsigned char *spec,
                           size_t len);
/** In write transaction t, before matching: when the stored version is not the one in memory,
 *  load every stored spec as t sees it into o->w and o->s (the caller does not hold o->mu). */
int stmt__obx_sync(struct stmt_store *st, struct stmt_db_txn *t);

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
