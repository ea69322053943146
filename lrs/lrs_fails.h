/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Failure counts of the sign-in limits, shared by every node of a PostgreSQL store (issue 19:
 * with N nodes behind a load balancer a guesser must not get N times the attempts). Two kinds:
 * the console sign-in's fixed windows (lrs_session.c; the window functions below serve both
 * backends, in memory on LMDB, where one process sees every request) and HTTP Basic's token
 * buckets (lrs_auth.c keeps them in memory on LMDB; the bucket functions are PostgreSQL's).
 * Private to lrs/ (lrs_auth_fails.c).
 *
 * Rows of table "auth_fails", in short transactions of their own:
 *   'w' SHA-256(name) -> start_us(8) fails(8)    a window (name: "a:<address>", "n:<key>", and
 *                                                "p:<address>\x1f<key>": the failures of that
 *                                                address against that key, which a successful
 *                                                sign-in from it takes back)
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

/* Windows (both backends). names: a sign-in's address ("a:<address>"), its key or user name
 * ("n:<name>") and the pair ("p:<address>\x1f<name>"), none NULL. */
/** *wait_s the seconds until the later of names[0] and names[1] may try again (0: now), when
 *  `max` failures were noted for it in the window begun at its first failure. 0, or a stmt_db
 *  error (the store cannot answer: refuse with 503). */
int lrs__fails_window_wait(struct stmt_db *db, const char *const names[3], int max,
                           int64_t window_us, int64_t now_us, int64_t *wait_s);
/** One failure for each of the three names, in one write transaction: a name whose window
 *  ended (or that has none) begins a new one at now_us. 0 or a stmt_db error. */
int lrs__fails_window_note(struct stmt_db *db, const char *const names[3], int64_t window_us,
                           int64_t now_us);
/** A successful sign-in: the failures of the pair (that address against that name) in its
 *  running window are taken back from the address's and the name's windows, when those began
 *  at or before it, and the pair is forgotten; failures from other addresses, or against other
 *  names, stay. No write when the pair has none. 0 or a stmt_db error. */
int lrs__fails_window_forgive(struct stmt_db *db, const char *const names[3], int64_t window_us,
                              int64_t now_us);

/* Buckets (PostgreSQL). names[i] may be NULL (skipped). */
/** *low 1 when either non-NULL name has less than one token left (refilled at
 *  refill_per_s up to burst since its last change; a name without a row is full). 0 or a
 *  stmt_db error. */
int lrs__fails_bucket_low(struct stmt_db *db, const char *const names[2], double burst,
                          double refill_per_s, int64_t now_us, int *low);
/** Take one token from each non-NULL name's bucket (refilled first), one write transaction. */
int lrs__fails_bucket_take(struct stmt_db *db, const char *const names[2], double burst,
                           double refill_per_s, int64_t now_us);

#endif
