/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statement forwarding and webhooks (issue 17), private to lrs/. Targets are kept in the
 * statement store's outbox (statements/stmt_outbox.h: definitions, queued rows written in the
 * statement's or the SCORM commit's transaction, parked rows, counters); this module holds
 * one sender thread per target (fwd_sender.c, libcurl) and the registry the admin API reads
 * and changes (fwd_target.c, route_forwarders.c).
 */
#ifndef LRS_FWD_H
#define LRS_FWD_H

#include "lrs/lrs.h"

#include <pthread.h>
#include <stdint.h>

struct stmt_outbox_item;

enum fwd_kind { FWD_FORWARDER = 1, FWD_WEBHOOK = 2 };

#define FWD_BATCH 100                       /* statements per POST (issue 17) */
#define FWD_GIVE_UP_S_DEFAULT (72 * 3600)   /* give-up window */
#define FWD_TIMEOUT_MS_DEFAULT 30000        /* whole request */
#define FWD_CONNECT_TIMEOUT_MS_DEFAULT 5000 /* connection (part of the whole) */
#define FWD_RETRY_INITIAL_MS_DEFAULT 1000
#define FWD_RETRY_MAX_MS_DEFAULT 300000
#define FWD_ANSWER_MAX 1024   /* bytes of a target's answer kept for the status */
#define FWD_CONCURRENCY_MAX 8 /* batches in flight at once ("concurrency") */
#define FWD_CONCURRENCY_DEFAULT 8
#define FWD_FLUSH_ROWS 8000 /* delivered rows deleted at once (at most) */
#define FWD_FLUSH_MS 500    /* ... or once the oldest waited this long */
/* Back-pressure on ingest (fwd_admit.c): statement writes wait while a healthy forwarder's lag
 * is over its bound, for at most the hold time per request. */
#define FWD_MAX_LAG_MS_DEFAULT 2000 /* SCOLAR_FORWARD_MAX_LAG_MS, "max_lag_ms"; 0: off */
#define FWD_HOLD_MS_DEFAULT 1000    /* SCOLAR_FORWARD_HOLD_MS: longest wait of one request */
#define FWD_HOLD_MS_MAX 10000
#define FWD_STALL_MS 3000 /* rows wait and no batch was taken for this long: not healthy */
#define FWD_COUNT_MS 100  /* the queued rows are counted again after this */
#define FWD_RECOUNT_MS 20 /* ... or this, when the estimate says to hold */
#define FWD_RATE_MS 500   /* busy time of one measure of the sender's pace */
/* Several nodes on one PostgreSQL database (fwd_nodes.c): one node at a time sends for a target,
 * the holder of its lease (outbox row "fwd_lease/<kind>/<id>" = node id(16) expiry_us(8),
 * written in a short write transaction). The holder renews it every FWD_LEASE_RENEW_MS; it
 * stops sending FWD_LEASE_MARGIN_MS before the stored expiry unless renewed; another node takes
 * it once it expired (so a killed holder is replaced within FWD_LEASE_TTL_MS + FWD_SYNC_MS).
 * Nodes' clocks must agree to well within the margin. Definitions are read again every
 * FWD_SYNC_MS: targets created, paused, resumed or deleted through another node are started,
 * paused or stopped here. On LMDB (one process) every lease is held at once and none of this
 * runs. */
#define FWD_LEASE_TTL_MS 10000
#define FWD_LEASE_RENEW_MS 2000
#define FWD_LEASE_MARGIN_MS 2000
#define FWD_SYNC_MS 1000

/** One target and its sender thread. The fields above `mu` are fixed once it runs. */
struct fwd_target {
    uint32_t id;
    enum fwd_kind kind;
    cJSON *def;     /* the stored definition (secrets included: never sent to clients) */
    char *post_url; /* forwarder: <endpoint>statements; webhook: the URL */
    char *authz;    /* "Authorization: ..." header line, or NULL */
    char *secret;   /* webhook HMAC key, or NULL */
    char version[16];
    long timeout_ms, connect_ms;
    long retry_initial_ms, retry_max_ms;
    int concurrency; /* batches in flight (forwarders; 1: strictly one after the other) */
    int64_t give_up_us;
    struct stmt_store *store;
    struct stmt_db *db; /* attachment blobs (fwd_body.c) */
    struct lrs_fwd *fwd;
    int64_t max_lag_us; /* back-pressure bound of this forwarder (0: it never holds ingest) */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, paused, started;
    pthread_t th;
    /* status, under mu */
    uint64_t attempts, errors; /* requests, failed requests */
    int failing;               /* consecutive failed requests */
    long last_status;          /* HTTP status of the last answer, 0 none / transport error */
    char last_error[256];
    char last_answer[FWD_ANSWER_MAX];
    int64_t last_ok_us, last_err_us, next_try_us;
    /* Forwarders: rows up to `cursor` are delivered or parked; the delivered ones not yet
     * deleted (pending_n of them, in the sender's `pend`) are deleted in larger transactions
     * (FWD_FLUSH_ROWS, FWD_FLUSH_MS): one fsync per batch less on the source. A crash before
     * the deletion sends them again (at-least-once; ids are kept). */
    uint64_t cursor;
    size_t pending_n;
    uint64_t *pend; /* sender thread only */
    int64_t pend_since;
    /* The deletion runs on a thread of its own (fwd_sender.c flusher), so the sender never
     * waits for the store's write lock and fsync: `pend` is handed over as fl_buf (fl_n rows
     * being deleted, counted in `sent` like pending_n), under mu. */
    uint64_t *fl_buf;
    size_t fl_n;
    int fl_quit, fl_started;
    pthread_cond_t fl_cv;
    pthread_t fl_th;
    /* Back-pressure (fwd_admit.c), under mu: the key (stored time) of the oldest row the
     * sender knows to be waiting or in flight (0: none), whether the target caught up (lag
     * under its bound while healthy) since its last failure or pause (a backlog left by a
     * pause or an outage drains without holding ingest), and what it held. */
    uint64_t oldest_us;
    int bp_armed;
    uint64_t held_n;
    int64_t held_us;
    /* ... and the backlog in rows against the sender's pace: rows delivered per second of
     * sending (busy: rows in flight), measured over windows of busy time, and the queued rows
     * counted at most every FWD_COUNT_MS by a held request (a bounded scan) */
    double send_rate;
    uint64_t rate_rows;
    int64_t rate_busy_us, busy_since;
    uint64_t queued_est;
    int64_t counted_at;
    int counting;
    /* lease (fwd_nodes.c), under mu: the sender sends while now < lease_until_us (realtime);
     * INT64_MAX on LMDB */
    int64_t lease_until_us;
    int64_t lease_renewed_us; /* coordinator thread only */
    struct fwd_target *next;
};

struct lrs_fwd {
    pthread_mutex_t mu; /* the list; held while a status is built or a target deleted */
    struct fwd_target *list;
    struct lrs_app *app;
    /* back-pressure (fwd_admit.c) */
    int64_t max_lag_us; /* default bound of a forwarder without "max_lag_ms" */
    int64_t hold_us;    /* longest wait of one request (0: never hold) */
    pthread_mutex_t adm_mu;
    pthread_cond_t adm_cv;        /* broadcast by a sender when its oldest row changes */
    int adm_waiters;              /* requests waiting now (atomic) */
    uint64_t held_n, held_capped; /* under adm_mu: requests held, of which released by the cap */
    int64_t held_us;
    /* several nodes (fwd_nodes.c): the coordinator thread, PostgreSQL only */
    unsigned char node[16]; /* this process's node id (random) */
    pthread_t co_th;
    /* held by the coordinator while it renews leases without mu, and by lrs_fwd_delete: a
     * target leaves the list only under both (order: co_mu, then mu), so the coordinator walks
     * the list without mu (additions only prepend) and ingest never waits for a lease write */
    pthread_mutex_t co_mu;
    int co_started, co_quit; /* co_quit under mu */
    pthread_cond_t co_cv;
};

/** serve: load every target of the store and start its sender. 0 or -1 (err filled). */
int lrs_fwd_open(struct lrs_app *app, char *err, size_t errlen);
/** Stop and join every sender (rows stay queued for the next start). NULL-tolerant. */
void lrs_fwd_close(struct lrs_app *app);

/** Validate a POST body, store the target, start it. 0 and *id, or an HTTP status with a
 *  message in err (400: the field and the rule; 503: storage). */
int lrs_fwd_create(struct lrs_app *app, enum fwd_kind kind, const cJSON *body, uint32_t *id,
                   char *err, size_t errlen);
/** Status JSON of one target (owned) or NULL when absent / of another kind. */
cJSON *lrs_fwd_show(struct lrs_app *app, enum fwd_kind kind, uint32_t id);
/** {"forwarders"|"webhooks": [...]} (owned), NULL without memory. */
cJSON *lrs_fwd_list(struct lrs_app *app, enum fwd_kind kind);
/** Parked rows of a target with the target's reasons (owned), NULL when absent. */
cJSON *lrs_fwd_parked(struct lrs_app *app, enum fwd_kind kind, uint32_t id, size_t max);
/** Pause (1) or resume (0). 0, 404 or 503. */
int lrs_fwd_pause(struct lrs_app *app, enum fwd_kind kind, uint32_t id, int paused);
/** Stop its sender and delete it with its rows. 0, 404 or 503. */
int lrs_fwd_delete(struct lrs_app *app, enum fwd_kind kind, uint32_t id);
/** Prometheus lines of every target (lrs_metrics.c). */
void lrs_fwd_metrics(struct lrs_app *app, struct sc_buf *b);

/* fwd_admit.c */
/** Before a statement write is accepted (POST/PUT /xapi/statements): wait while a healthy
 *  forwarder that caught up has a lag over its bound, at most the hold time; n: the statements
 *  of the request (they count in the backlog until it is counted again). NULL-tolerant
 *  (no forwarding: returns at once). Never refuses. */
void lrs_fwd_admit(struct lrs_app *app, size_t n);
/** Read SCOLAR_FORWARD_MAX_LAG_MS and SCOLAR_FORWARD_HOLD_MS into f; init its lock. */
void fwd__admit_init(struct lrs_fwd *f);
void fwd__admit_free(struct lrs_fwd *f);
/** The sender's oldest waiting row changed (0: none): wake the requests held. */
void fwd__admit_oldest(struct fwd_target *t, uint64_t oldest_us);
/** The sender delivered n rows (its pace, fwd_admit.c). */
void fwd__admit_sent(struct fwd_target *t, size_t n); /* t->mu held */
/** The back-pressure member of a target's status ({max_lag_ms, state, held_requests, held_s});
 *  called with t->mu held. */
cJSON *fwd__admit_status(struct fwd_target *t, int64_t now);
/** Prometheus lines of back-pressure (lrs_fwd_metrics). */
void fwd__admit_metrics(struct lrs_fwd *f, struct sc_buf *b);

/* fwd_nodes.c */
/** Start the coordinator (leases, definitions of other nodes) when the store is shared; on LMDB
 *  mark every target's lease held. 0 or -1. Called by lrs_fwd_open with the list loaded. */
int fwd__nodes_start(struct lrs_fwd *f);
/** Stop the coordinator and give up the leases held (another node takes over at once). */
void fwd__nodes_stop(struct lrs_fwd *f);
/** A new target's initial lease (held for ever on LMDB, none on PostgreSQL). */
void fwd__lease_init(struct lrs_fwd *f, struct fwd_target *t);
/** 1 while the lease of t is held (t->mu held). */
int fwd__lease_ok(const struct fwd_target *t, int64_t now_us);
/** Delete the lease row of a deleted target (best effort). */
void fwd__lease_drop(struct lrs_fwd *f, struct fwd_target *t);
/** Pieces of fwd_target.c the coordinator uses (f->mu held). */
struct fwd_target *fwd__target_new(struct lrs_fwd *fw, uint32_t id, cJSON *def);
int fwd__target_start(struct fwd_target *t);
void fwd__target_stop(struct fwd_target *t);
void fwd__target_free(struct fwd_target *t);

/* fwd_body.c: the body of a statements POST for rows items[lo..hi): a JSON array, or
 * multipart/mixed with the attachments db holds (db may be NULL: JSON only). ctype gets the
 * Content-Type. 0, 1 (body over its cap, SC_BUF_ERR_CAP) or -1 (memory, store). */
int fwd__body(struct stmt_db *db, const struct stmt_outbox_item *items, size_t lo, size_t hi,
              struct sc_buf *body, char *ctype, size_t ctlen);

/* fwd_sender.c */
void *fwd__sender_main(void *arg);
/** "sha256=<hex HMAC-SHA256(secret, body)>" into out (72 bytes). */
void fwd__signature(const char *secret, const char *body, size_t n, char out[72]);

/** 1 when a stored statement (compact JSON) has version 2.0.x: it goes to another LRS with
 *  X-Experience-API-Version 2.0.0 only (Data 2.4.10; never converted, Comm 3.3). */
int fwd__is_v2(const char *json, size_t len);

/* route_forwarders.c */
void lrs_route_forwarders(struct lrs_req *r);
void lrs_route_webhooks(struct lrs_req *r);

/** A target's url: absolute http(s), not the content origin of cfg (fwd_url.c). 0, or -1 with
 *  the reason in err. */
int fwd__check_url(const struct lrs_config *cfg, const char *url, char *err, size_t errlen);

#endif
