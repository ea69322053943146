/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guards of the HTTP layer against slow and hostile clients (issue 15, "no cheap denial of
 * service"; docs/configuration.md "Slow and hostile clients"): header and body deadlines, the
 * body watchdog, the close after a body left unread, connections per client address, and the
 * checks of begin_request (request smuggling). lrs_http.c calls these; nothing else does.
 */
#include "lrs/lrs.h"
#include "lrs/lrs_guard.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

/*
 * Deadlines (no cheap denial of service, issue 15). civetweb holds one worker per connection,
 * so a client that sends slowly holds a worker:
 * - headers: civetweb's request_timeout_ms (cfg.request_timeout_ms, 10 s) is an overall
 *   deadline for the request line and headers (read_message measures from the connection's
 *   request time), and the longest a single read of a body or write of an answer waits;
 * - bodies: lrs_req_read_body allows cfg.body_grace_ms (20 s) plus one second per
 *   LRS_BODY_MIN_RATE bytes received (the rule of Apache's mod_reqtimeout, body=20,MinRate=500:
 *   a client must keep sending, and a large upload may take as long as it needs at that rate),
 *   then answers 408 and closes.
 */
#define LRS_BODY_MIN_RATE 1000LL /* bytes per second */

/*
 * The body watchdog. civetweb's mg_read returns only when the buffer is full or no byte came
 * for request_timeout_ms, so a client sending a byte every few seconds keeps one read blocked
 * for hours and the deadline cannot be checked between reads. Each body read in progress is
 * registered here; a thread checks them four times a second and, for one past its deadline,
 * finds the connection's socket (civetweb does not expose it: the descriptor whose peer and
 * local ports are the request's) and shuts down its reading side. The blocked read then
 * returns at once and lrs_req_read_body answers 408. The scan over descriptors costs
 * microseconds per open descriptor and runs only for connections already past their deadline.
 * Registration and the scan hold watch_mu, so the socket cannot be closed during the scan (its
 * worker is inside lrs_req_read_body until it unregisters).
 */
struct body_watch {
    struct body_watch *next;
    int64_t t0;       /* monotonic us when the read began */
    long long got;    /* bytes received so far (written by the worker under watch_mu) */
    int64_t grace_us; /* cfg.body_grace_ms */
    char addr[48];    /* client address */
    int rport, lport; /* client port, server port */
    int fired;        /* its socket was shut down */
    int no_rate;      /* the deadline does not grow with the bytes received */
};
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cv = PTHREAD_COND_INITIALIZER;
static struct body_watch *watches;
static pthread_t watch_thread;
static int watch_running, watch_stop;

static int64_t body_deadline(const struct body_watch *w)
{
    return w->t0 + w->grace_us + (w->no_rate ? 0 : w->got * 1000000LL / LRS_BODY_MIN_RATE);
}

static int sockaddr_port(const struct sockaddr_storage *ss, char *host, size_t hostlen)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, (socklen_t)hostlen);
        return ntohs(in->sin_port);
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, (socklen_t)hostlen);
        return ntohs(in6->sin6_port);
    }
    return -1;
}

/* Shut down the reading side of the socket connected to w's client; 0 when found. */
static int watch_shutdown(const struct body_watch *w)
{
    struct rlimit rl;
    int maxfd = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)maxfd)
        maxfd = (int)rl.rlim_cur;
    for (int fd = 3; fd < maxfd; fd++) {
        struct sockaddr_storage peer, self;
        socklen_t pl = sizeof peer, sl = sizeof self;
        char host[64], ignored[64];
        if (getpeername(fd, (struct sockaddr *)&peer, &pl) != 0)
            continue;
        if (sockaddr_port(&peer, host, sizeof host) != w->rport || strcmp(host, w->addr) ||
            getsockname(fd, (struct sockaddr *)&self, &sl) != 0 ||
            sockaddr_port(&self, ignored, sizeof ignored) != w->lport)
            continue;
        return shutdown(fd, SHUT_RD);
    }
    return -1;
}

static void *watch_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&watch_mu);
    while (!watch_stop) {
        struct timespec ts;
        int64_t now = sc_time_mono_us();
        for (struct body_watch *w = watches; w; w = w->next) {
            if (w->fired || now <= body_deadline(w))
                continue;
            w->fired = 1;
            lrs_log(LRS_LOG_WARN, "body from %s too slow (%lld bytes in %lld ms): closing", w->addr,
                    w->got, (long long)((now - w->t0) / 1000));
            if (watch_shutdown(w) != 0)
                lrs_log(LRS_LOG_WARN, "cannot find the socket of %s:%d", w->addr, w->rport);
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&watch_cv, &watch_mu, &ts);
    }
    pthread_mutex_unlock(&watch_mu);
    return NULL;
}

static void watch_add(struct body_watch *w)
{
    pthread_mutex_lock(&watch_mu);
    w->next = watches;
    watches = w;
    pthread_mutex_unlock(&watch_mu);
}

static void watch_remove(struct body_watch *w)
{
    pthread_mutex_lock(&watch_mu);
    for (struct body_watch **pp = &watches; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    pthread_mutex_unlock(&watch_mu);
}

int lrs_req_read_body(struct lrs_req *r, size_t cap)
{
    char chunk[16384];
    long long cl = r->ri->content_length;
    struct body_watch w;
    int rc = 0;
    if (r->body_done)
        return 0;
    if (!cap)
        cap = r->app->cfg.max_body;
    sc_buf_init(&r->body, cap);
    if (cl > 0 && (unsigned long long)cl > cap)
        return 413; /* unread: lrs_reply_head closes the connection (body_pending) */
    memset(&w, 0, sizeof w);
    w.t0 = sc_time_mono_us();
    w.grace_us = r->app->cfg.body_grace_ms * 1000LL;
    snprintf(w.addr, sizeof w.addr, "%s", r->ri->remote_addr);
    w.rport = r->ri->remote_port;
    w.lport = r->ri->server_port;
    watch_add(&w);
    for (;;) {
        int n = mg_read(r->conn, chunk, sizeof chunk), late;
        pthread_mutex_lock(&watch_mu);
        if (n > 0)
            w.got += n;
        late = w.fired || sc_time_mono_us() > body_deadline(&w);
        pthread_mutex_unlock(&watch_mu);
        if (late) {
            rc = 408;
            break;
        }
        if (n < 0) {
            rc = 400;
            break;
        }
        if (n == 0)
            break;
        int brc = sc_buf_append(&r->body, chunk, (size_t)n);
        if (brc) {
            rc = brc == SC_BUF_ERR_CAP ? 413 : 500;
            break;
        }
    }
    watch_remove(&w);
    if (rc)
        return rc;
    if (!r->body.data)
        sc_buf_append(&r->body, "", 0);
    r->body_done = 1;
    return 0;
}

/* A request body the handler has not read to its end (refused before reading: 401, 403, 413,
 * 415, a timeout). civetweb would read and discard it after the handler returns, for as long
 * as the client cares to send it, before it can take the next request on the connection: a
 * client announcing a large Content-Length and sending nothing held a worker for a minute.
 * Such a connection is closed after the answer instead (conn_must_close). */
int lrs_guard_body_pending(struct lrs_req *r)
{
    if (r->body_done)
        return 0;
    return r->ri->content_length > 0 || mg_get_header(r->conn, "Transfer-Encoding") != NULL;
}

/*
 * Make civetweb close the connection after this request without reading what remains of the
 * body. civetweb 1.15 has no public call for it; mg_send_http_error sets the connection's
 * must_close flag, and once the answer has been written (mg_write sets the request state to
 * "data sent") it adds no header, and a 304 has no body, so it writes nothing more
 * (mg_send_http_error_impl in civetweb.c 1.15). conformance_tests/http/test_dos.mjs checks
 * that such a connection closes at once; it fails if a civetweb update changes this.
 */
static void conn_must_close(struct mg_connection *conn)
{
    mg_send_http_error(conn, 304, "%s", "");
}

/*
 * What is left of a body the handler did not read, after the answer has been sent (its
 * Connection: close included). Closing a socket with unread data makes the kernel send a
 * reset, and a client still sending its body then sees "connection reset" instead of the
 * answer (a 413 for an upload over the cap). So a body of at most LRS_DRAIN_MAX bytes is read
 * and thrown away for at most LRS_DRAIN_MS (the body watchdog ends the wait), the "lingering
 * close" of nginx; a larger one, or a client that stops sending, is cut off. Either way the
 * connection is closed after: a worker is held at most LRS_DRAIN_MS, not until the client
 * finishes or civetweb's discard loop gives up.
 */
#define LRS_DRAIN_MAX (64LL << 20)
#define LRS_DRAIN_MS 2000
static void drain_body(struct lrs_req *r)
{
    char chunk[16384];
    struct body_watch w;
    long long cl = r->ri->content_length;
    if (cl > LRS_DRAIN_MAX)
        return;
    memset(&w, 0, sizeof w);
    w.t0 = sc_time_mono_us();
    w.grace_us = LRS_DRAIN_MS * 1000LL;
    w.no_rate = 1;
    snprintf(w.addr, sizeof w.addr, "%s", r->ri->remote_addr);
    w.rport = r->ri->remote_port;
    w.lport = r->ri->server_port;
    watch_add(&w);
    for (long long total = 0; total < LRS_DRAIN_MAX;) {
        int n = mg_read(r->conn, chunk, sizeof chunk), late;
        pthread_mutex_lock(&watch_mu);
        late = w.fired || sc_time_mono_us() > body_deadline(&w);
        pthread_mutex_unlock(&watch_mu);
        if (n <= 0 || late)
            break;
        total += n;
    }
    watch_remove(&w);
}

/* ---- connections per client address ---------------------------------------------------- */

/*
 * Each origin has a fixed pool of workers and a connection holds one until it closes, so one
 * client opening many connections could take them all. Connections are counted per client
 * address over both origins (init_connection / connection_close); a request on a connection
 * beyond the address's limit is answered 503 and the connection closed. /healthz is always
 * answered (monitoring comes from the same address as a proxy). The table holds one entry per
 * address with open connections (at most one per worker), swap-removed at zero.
 */
struct addr_count {
    char addr[48];
    int n;
};
static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static struct addr_count *conns;
static size_t nconns, conns_cap;
static int conns_limit;

static struct addr_count *addr_find(const char *addr)
{
    for (size_t i = 0; i < nconns; i++)
        if (!strcmp(conns[i].addr, addr))
            return &conns[i];
    return NULL;
}

/*
 * A connection is counted at its first request (begin_request; civetweb's init_connection
 * callback runs before the request information, and with it the address, can be read) and
 * uncounted when civetweb closes it. Its user data holds an owned copy of the address: set
 * means counted. Connections that never complete a request line and headers are bounded by
 * the header deadline instead.
 */
static void conn_count(const struct mg_connection *conn, const char *addr)
{
    struct addr_count *a;
    char *copy;
    if (mg_get_user_connection_data(conn))
        return;
    copy = sc_strdup(addr);
    if (!copy)
        return;
    pthread_mutex_lock(&conns_mu);
    a = addr_find(addr);
    if (!a && nconns < conns_cap) {
        a = &conns[nconns++];
        snprintf(a->addr, sizeof a->addr, "%s", addr);
        a->n = 0;
    }
    if (a)
        a->n++;
    pthread_mutex_unlock(&conns_mu);
    if (a)
        mg_set_user_connection_data(conn, copy);
    else
        sc_free(copy);
}

void lrs_guard_conn_closed(const struct mg_connection *conn)
{
    char *addr = mg_get_user_connection_data(conn);
    struct addr_count *a;
    if (!addr)
        return;
    pthread_mutex_lock(&conns_mu);
    a = addr_find(addr);
    if (a && --a->n <= 0)
        *a = conns[--nconns];
    pthread_mutex_unlock(&conns_mu);
    mg_set_user_connection_data(conn, NULL);
    sc_free(addr);
}

static int addr_over_limit(const char *addr)
{
    struct addr_count *a;
    int over;
    if (conns_limit <= 0)
        return 0;
    pthread_mutex_lock(&conns_mu);
    a = addr_find(addr);
    over = a && a->n > conns_limit;
    pthread_mutex_unlock(&conns_mu);
    return over;
}

/* An answer from begin_request (before any handler): written whole, then the connection is
 * closed without reading what the client may still send. */
static int early_answer(struct mg_connection *conn, int status, const char *text, const char *msg)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":true,\"status\":%d,\"message\":\"%s\"}", status,
                     msg);
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
              "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n%s",
              status, text, n, body);
    conn_must_close(conn);
    return status;
}

/* 1 when the request has a Content-Length that is not exactly one run of digits, or more than
 * one Content-Length header (even with equal values): RFC 9112 6.3 says such a message is
 * unrecoverable, and a proxy in front that takes the last value while civetweb takes the first
 * lets a request be smuggled inside another (issue 15, medium). */
static int bad_content_length(const struct mg_request_info *ri)
{
    int seen = 0;
    for (int i = 0; i < ri->num_headers; i++) {
        const char *v = ri->http_headers[i].value;
        if (strcasecmp(ri->http_headers[i].name, "Content-Length"))
            continue;
        if (++seen > 1 || !v || !*v)
            return 1;
        for (; *v; v++)
            if (!isdigit((unsigned char)*v))
                return 1;
    }
    return 0;
}

int lrs_guard_begin_request(struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    /* T4: both Transfer-Encoding and Content-Length → 400 (civetweb 1.15 accepts them). */
    if (mg_get_header(conn, "Transfer-Encoding") && mg_get_header(conn, "Content-Length"))
        return early_answer(conn, 400, "Bad Request", "both Transfer-Encoding and Content-Length");
    if (bad_content_length(ri))
        return early_answer(conn, 400, "Bad Request",
                            "Content-Length must be one header holding one decimal number");
    conn_count(conn, ri->remote_addr);
    if (addr_over_limit(ri->remote_addr) && !(ri->local_uri && !strcmp(ri->local_uri, "/healthz")))
        return early_answer(conn, 503, "Service Unavailable",
                            "too many connections from this address: close some and retry");
    return 0;
}

static void watch_end(void)
{
    if (!watch_running)
        return;
    pthread_mutex_lock(&watch_mu);
    watch_stop = 1;
    pthread_cond_signal(&watch_cv);
    pthread_mutex_unlock(&watch_mu);
    pthread_join(watch_thread, NULL);
    watch_running = 0;
}

/* Every open connection is a descriptor: the soft limit (often 1024) would refuse
 * connections long before the workers are busy. Raise it toward the hard limit. */
static void raise_fd_limit(rlim_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        lrs_log(LRS_LOG_WARN, "cannot raise the open file limit to %llu",
                (unsigned long long)rl.rlim_cur);
}

void lrs_guard_request_done(struct lrs_req *r)
{
    if (lrs_guard_body_pending(r)) {
        drain_body(r);
        conn_must_close(r->conn);
    }
}

int lrs_guard_start(struct lrs_app *app, char *err, size_t errlen)
{
    /* one entry per open connection at most: every worker of both origins */
    conns_cap = 2 * (size_t)app->cfg.threads;
    conns = sc_calloc(conns_cap, sizeof *conns);
    if (!conns) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    nconns = 0;
    conns_limit = app->cfg.max_conn_per_addr;
    raise_fd_limit(4 * (rlim_t)app->cfg.threads + 256);
    watch_stop = 0;
    if (pthread_create(&watch_thread, NULL, watch_main, NULL) != 0) {
        snprintf(err, errlen, "cannot start the body watchdog thread");
        sc_free(conns);
        conns = NULL;
        return -1;
    }
    watch_running = 1;
    return 0;
}

void lrs_guard_stop(void)
{
    watch_end();
    sc_free(conns);
    conns = NULL;
    nconns = conns_cap = 0;
}
