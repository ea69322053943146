/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The forwarding and webhook outbox (issue 17; DESIGN.md "Principles learned": work that must
 * follow a write is an outbox row written in that write's transaction). Each statement the
 * writer stores that matches a forwarding target's filter gets one row for that target in the
 * statement's own group-commit transaction; each event another module reports from inside its
 * transaction (stmt_outbox_event) gets one row per subscribed webhook. So a statement that was
 * acknowledged, or a SCORM commit that returned, always has its rows: nothing is lost by a
 * crash, and `lrs/` senders work the rows off and delete them once the target took them.
 *
 * Table "outbox" (keys big-endian, so a target's rows are in stored order):
 *   'q' target(4) seq(8) -> ""          a statement: seq is its stored time (the record is read
 *                                        from "stmt" when it is sent)
 *                        -> payload      an event for a webhook (seq: a unique time in us)
 *   'p' target(4) seq(8) -> reason       parked: the target refused it for good, or the give-up
 *                                        window passed (kept for the admin to see)
 *   't' target(4)        -> definition   the target as `lrs/` describes it (opaque JSON)
 *   'c' target(4)        -> sent(8) parked(8)  counters, updated with the rows they count
 *   'n'                  -> next target id(4)
 *   'w' target(4)        -> spec         what the target queues: its filter or its events
 *   'v'                  -> version(8)   of the specs (stmt_outbox_spec.c)
 *   'm' sha256(url) dir  -> checkpoint of `scolar migrate` (lrs/cmd_migrate.c, JSON)
 *
 * Matching uses the xAPI query filter semantics of GET /xapi/statements (Comm 2.1.3): verb,
 * activity, agent, registration, related_activities, related_agents, by the index terms the
 * store computes for every statement (stmt_store.h), confirmed against the statement's JSON
 * like a query confirms; a statement whose object is a StatementRef also matches when the
 * statement it targets does ("Filter Conditions for StatementRefs"), so voiding statements of
 * forwarded statements are forwarded too.
 *
 * Several nodes on one PostgreSQL database (issue 19): the filters in memory follow the stored
 * specs. Each write transaction that matches (the writer's group, stmt_outbox_event) first reads
 * the specs' version and reloads them when it changed, so a target created through any node
 * before a statement's transaction began gets that statement's row, and a deleted one none.
 *
 * Threads: every function is thread-safe. The writer holds the filter lock while it matches a
 * group; the senders use their own short transactions.
 */
#ifndef STMT_OUTBOX_H
#define STMT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "statements/stmt_db.h"

struct stmt_store;

/** Filter of a forwarding target: every non-NULL field must match (AND, as in a query). */
struct stmt_outbox_filter {
    const char *agent;        /* IFI string from stmt_store_agent_ifi */
    const char *verb;         /* verb id IRI */
    const char *activity;     /* activity id IRI */
    const char *registration; /* UUID */
    int related_activities;
    int related_agents;
};

/* Webhook events (bit mask). */
#define STMT_OUTBOX_EV_COMPLETED 0x1u /* registration.completed */
#define STMT_OUTBOX_EV_PASSED 0x2u    /* registration.passed */
#define STMT_OUTBOX_EV_FAILED 0x4u    /* registration.failed */
#define STMT_OUTBOX_EV_IMPORTED 0x8u  /* course.imported */

/** Create a target: assigns its id and writes its definition (and zero counters) in one
 *  transaction. def is opaque to the store. STMT_STORE_OK or a store error code. */
int stmt_outbox_target_create(struct stmt_store *st, const char *def, size_t len, uint32_t *id);
/** Create a target with what it queues, in one transaction: with f, a forwarder matching f
 *  (every field NULL: every statement); with f NULL, a webhook subscribed to `events`
 *  (STMT_OUTBOX_EV_*). The filter is stored with the target and matched from its commit on by
 *  every writer on the store (every node); it is also watched here at once. STMT_STORE_OK,
 *  STMT_STORE_ERR_ARG (a bad registration or agent: nothing stored), or a store error. */
int stmt_outbox_target_create_for(struct stmt_store *st, const char *def, size_t len,
                                  const struct stmt_outbox_filter *f, unsigned events,
                                  uint32_t *id);
/** Replace the definition of target id. STMT_STORE_ERR_NOTFOUND when absent. */
int stmt_outbox_target_update(struct stmt_store *st, uint32_t id, const char *def, size_t len);
/** Delete target id with its queued and parked rows and counters, in one transaction. The
 *  caller first stops matching for it (stmt_outbox_forget). */
int stmt_outbox_target_delete(struct stmt_store *st, uint32_t id);
/** Visit every target's definition in id order (borrowed, valid during the call). */
typedef int (*stmt_outbox_target_fn)(void *ctx, uint32_t id, const char *def, size_t len);
int stmt_outbox_targets(struct stmt_store *st, stmt_outbox_target_fn fn, void *ctx);

/** Start matching new statements for target id with filter f (copied; replaces an earlier
 *  one). When target id exists and its stored filter is not f (a store written before filters
 *  were stored with their targets), f is stored with it (a write transaction). The target
 *  must exist: the filters in memory follow the stored ones at the next write transaction
 *  after any target changed, so a filter of no stored target does not last. STMT_STORE_OK,
 *  STMT_STORE_ERR_ARG (bad registration or agent), ERR_NOMEM, a store error. */
int stmt_outbox_watch(struct stmt_store *st, uint32_t id, const struct stmt_outbox_filter *f);
/** Start queueing the events of `events` (STMT_OUTBOX_EV_*) for webhook target id (stored with
 *  it as stmt_outbox_watch stores a filter). */
int stmt_outbox_subscribe(struct stmt_store *st, uint32_t id, unsigned events);
/** Stop matching statements and events for target id here (memory only: the stored filter
 *  goes with stmt_outbox_target_delete, which every node's writer then follows). */
void stmt_outbox_forget(struct stmt_store *st, uint32_t id);

/**
 * Report event `ev` (one STMT_OUTBOX_EV_* bit) from inside the caller's write transaction t:
 * one row with `payload` (JSON text) per webhook subscribed to it, committed or aborted with
 * t. STMT_DB_OK or a stmt_db error code (then abort t).
 */
int stmt_outbox_event(struct stmt_store *st, struct stmt_db_txn *t, unsigned ev,
                      const char *payload, size_t len);

struct stmt_outbox_item {
    uint64_t seq; /* the row's key: stored time of a statement, or the event's time (us) */
    char *json;   /* owned, NUL-terminated: the statement as stored, or the event payload */
    size_t len;
};

/** The first `max` queued rows of target id with a key after `after` (0: from the first), in
 *  order, into an owned array (free with stmt_outbox_items_free). A row whose statement record
 *  is missing is returned with json NULL (the caller parks it). A forwarder's rows are written
 *  in increasing key order by the single writer, so a sender may keep a cursor and delete what
 *  it delivered later, in larger transactions (a crash then resends them: at-least-once).
 *  STMT_STORE_OK (*n may be 0) or an error. */
int stmt_outbox_peek(struct stmt_store *st, uint32_t id, uint64_t after, size_t max,
                     struct stmt_outbox_item **items, size_t *n);
void stmt_outbox_items_free(struct stmt_outbox_item *items, size_t n);
/** The target took these rows: delete them and add n to its sent counter, one transaction. */
int stmt_outbox_done(struct stmt_store *st, uint32_t id, const uint64_t *seqs, size_t n);
/** The target refused row seq for good: move it to the parked rows with `reason`. */
int stmt_outbox_park(struct stmt_store *st, uint32_t id, uint64_t seq, const char *reason);

struct stmt_outbox_stats {
    uint64_t queued;    /* rows waiting */
    uint64_t sent;      /* rows the target took */
    uint64_t parked;    /* rows parked (refused for good) */
    uint64_t oldest_us; /* key of the oldest waiting row, 0 when none */
};
/** Counters of target id; queued and oldest_us count only rows with a key after `after`. */
int stmt_outbox_stats(struct stmt_store *st, uint32_t id, uint64_t after,
                      struct stmt_outbox_stats *out);
/** Queued rows of target id with a key after `after`, counting at most `max` (a bounded scan:
 *  *n == max means "max or more"). For the back-pressure check of lrs/fwd_admit.c. */
int stmt_outbox_count(struct stmt_store *st, uint32_t id, uint64_t after, uint64_t max,
                      uint64_t *n);
/** Visit parked rows of target id in order, at most max (borrowed reason). */
typedef int (*stmt_outbox_parked_fn)(void *ctx, uint64_t seq, const char *reason, size_t len);
int stmt_outbox_parked(struct stmt_store *st, uint32_t id, size_t max, stmt_outbox_parked_fn fn,
                       void *ctx);

/** Migration (`scolar migrate --to`): up to max statements stored after `after` (a stored
 *  time in us; 0 = from the first), voided ones included, in stored order, into an owned array
 *  (seq = stored time, json = the statement as stored). Free with stmt_outbox_items_free. */
int stmt_outbox_records(struct stmt_store *st, uint64_t after, size_t max,
                        struct stmt_outbox_item **items, size_t *n);

#endif
