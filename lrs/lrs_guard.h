/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP layer's guards against slow and hostile clients (lrs_guard.c); private to lrs/. */
#ifndef LRS_GUARD_H
#define LRS_GUARD_H

#include <stddef.h>

struct lrs_app;
struct lrs_req;
struct mg_connection;

/** Before the servers start: the per-address table, the open file limit, the watchdog thread.
 *  -1 with err set on failure. */
int lrs_guard_start(struct lrs_app *app, char *err, size_t errlen);
/** After the servers stopped (may run after a failed start). */
void lrs_guard_stop(void);
/** civetweb's begin_request callback: smuggling checks and the per-address limit; answers
 *  (and returns the status) or returns 0 to let the request through. */
int lrs_guard_begin_request(struct mg_connection *conn);
/** civetweb's connection_close callback. */
void lrs_guard_conn_closed(const struct mg_connection *conn);
/** 1 when the request's body has not been read to its end. */
int lrs_guard_body_pending(struct lrs_req *r);
/** After the answer: a body left unread is drained (bounded) and the connection closed. */
void lrs_guard_request_done(struct lrs_req *r);

#endif
