/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Failure counts of the sign-in limits, shared by every node of a PostgreSQL store (issue 19:
 * with N nodes behind a load balancer a guesser must not get N times the attempts). Two kinds,
 * the ones lrs_session.c (console sign-in: a fixed window) and lrs_auth.c (HTTP Basic: a token
 * bucket) keep in memory on LMDB, where one process sees every request. Private to lrs/
 * (lrs_auth_fails.c).
 *
 * Rows of table "auth_fails", in short transactions of their own:
 *   'w' SHA-256(name) -> start_us(8) fails(8)    a window (name: "a:<address>", "n:<key>")
 *   'b' SHA-256(name) -> tokens(8, IEEE double) at_us(8)   a bucket
 * all big-endian, times from the wall clock (nodes' clocks agree, as for the forwarders'
 * leases). Only hashes are stored: the table names no address and no key. Rows past their
 * window, and buckets full again, are deleted by the node that notes a failure, at most once
 * a minute per node.
 */
#ifndef LRS_FAILS_H
#define LRS_FAILS_H

#include <stdint.h>

struct stmt_db;

#define LRS_FAILS_TABLE "auth_fails"

/** 1 when the counts are rows of the store (PostgreSQL), 0 when they stay in memory. */
int lrs__fails_shared(const struct stmt_db *db);

/** Window: *wait_s the seconds until the later of the two names may try again (0: now), when
 *  `max` failures were noted for it in the window begun at its first failure. names[i] may be
 *  NULL (skipped). 0, or a stmt_db error (the store cannot answer: refuse with 503). */
int lrs__fails_window_wait(struct stmt_db *db, const char *const names[2], int max,
                           int64_t window_us, int64_t now_us, int64_t *wait_s);
/** One failure for each non-NULL name, in one write transaction: a name whose window ended
 *  (or that has none) begins a new one at now_us. 0 or a stmt_db error. */
int lrs__fails_window_note(struct stmt_db *db, const char *const names[2], int64_t window_us,
                           int64_t now_us);

/** Bucket: *low 1 when either non-NULL name has less than one token left (refilled at
 *  refill_per_s up to burst since its last change; a name without a row is full). 0 or a
 *  stmt_db error. */
int lrs__fails_bucket_low(struct stmt_db *db, const char *const names[2], double burst,
                          double refill_per_s, int64_t now_us, int *low);
/** Take one token from each non-NULL name's bucket (refilled first), one write transaction. */
int lrs__fails_bucket_take(struct stmt_db *db, const char *const names[2], double burst,
                           double refill_per_s, int64_t now_us);

#endif
