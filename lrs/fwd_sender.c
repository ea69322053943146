/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sender thread of one forwarding target or webhook (issue 17). It works off the target's
 * outbox rows (statements/stmt_outbox.h) in stored order over libcurl (connections kept alive
 * between requests; TLS peers and host names are verified, libcurl's default; http and https
 * only, no redirects). A forwarder keeps up to `concurrency` batches in flight, one connection
 * each (send_window); a flusher thread deletes the delivered rows.
 *
 * Forwarders POST batches of up to FWD_BATCH statements to <endpoint>statements (xAPI Comm
 * 2.1.2 "POST Statements"); statement ids are kept, so a conformant receiver takes a repeated
 * batch as a no-op (Comm 2.1.1/2.1.2: same id, same content) and delivery is at-least-once.
 * Webhooks POST one event each, signed: X-Scolar-Signature: sha256=<hex HMAC-SHA256 of the
 * body keyed by the webhook's secret>.
 *
 * Answers: 2xx: the rows are deleted (and counted sent) in one transaction. A refusal of the
 * content (forwarders: 400, 409, 413; webhooks: any 4xx but 408 and 429) splits the batch in
 * halves until the refused statement stands alone; it is then parked with the target's status
 * and answer, and the others go on. Anything else (transport errors, timeouts, a closed
 * connection, 5xx, 401/403/404, 408, 429) is retried after an exponential backoff with jitter
 * (half to all of initial * 2^(failures-1), at most retry_max), or after Retry-After (RFC 9110
 * 10.2.3: seconds or an HTTP date, honoured up to one hour) on 429 and 503. Rows older than the
 * give-up window (default 72 h) whose delivery fails are parked with the last error instead of
 * being retried. Nothing is dropped silently; each target has its own thread, so a stalled
 * target never blocks the others.
 */
#include "lrs/fwd.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_outbox.h"
#include "statements/stmt_store.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define IDLE_POLL_MS 100         /* an empty outbox is looked at again after this */
#define RETRY_AFTER_MAX_S 3600   /* a Retry-After longer than this is cut to it */
#define REQ_BODY_MAX (64u << 20) /* a batch body larger than this is split first */

struct xfer {
    struct fwd_target *t;
    struct sc_buf answer;
    long retry_after_s; /* -1: none */
};

static int stopping(struct fwd_target *t)
{
    return __atomic_load_n(&t->stop, __ATOMIC_RELAXED);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n, room = FWD_ANSWER_MAX - 1 - x->answer.len;
    if (x->answer.len < FWD_ANSWER_MAX - 1)
        (void)sc_buf_append(&x->answer, p, len < room ? len : room);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n;
    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        char v[128];
        size_t vl = len - 12;
        char *end;
        long s;
        if (vl >= sizeof v)
            vl = sizeof v - 1;
        memcpy(v, p + 12, vl);
        v[vl] = 0;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            v[--vl] = 0;
        end = v;
        while (*end == ' ')
            end++;
        errno = 0;
        s = strtol(end, &end, 10);
        if (!errno && !*end && s >= 0) {
            x->retry_after_s = s;
        } else {
            time_t when = curl_getdate(v, NULL); /* an HTTP-date */
            if (when > 0)
                x->retry_after_s = (long)(when - time(NULL)) > 0 ? (long)(when - time(NULL)) : 0;
        }
    }
    return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return stopping(ud) ? 1 : 0; /* delete or shutdown: abort a request in flight */
}

void fwd__signature(const char *secret, const char *body, size_t n, char out[72])
{
    unsigned char mac[32];
    sc_hmac_sha256(secret, strlen(secret), body, n, mac);
    memcpy(out, "sha256=", 7);
    sc_hex(mac, 32, out + 7);
}

static void set_error(struct fwd_target *t, const char *msg, long status, const struct xfer *x)
{
    t->errors++;
    t->failing++;
    t->bp_armed = 0;  /* not healthy: its backlog drains before it holds ingest (fwd_admit.c) */
    t->rate_rows = 0; /* the pace is measured again from here */
    t->rate_busy_us = 0;
    if (t->busy_since)
        t->busy_since = sc_time_mono_us();
    t->last_err_us = sc_time_now_us();
    t->last_status = status;
    snprintf(t->last_error, sizeof t->last_error, "%s", msg);
    snprintf(t->last_answer, sizeof t->last_answer, "%.*s",
             x && x->answer.data ? (int)x->answer.len : 0,
             x && x->answer.data ? x->answer.data : "");
}

/* A failed request for rows items[lo..hi): schedule the retry, or park the rows that passed
 * the give-up window. 1 (retry later) or 0 (rows parked: go on at once). */
static int transient(struct fwd_target *t, struct stmt_outbox_item *items, size_t lo, size_t hi,
                     const char *msg, long status, const struct xfer *x)
{
    int64_t now = sc_time_now_us(), delay_ms;
    uint32_t r = 0;
    pthread_mutex_lock(&t->mu);
    set_error(t, msg, status, x);
    if (now - (int64_t)items[lo].seq > t->give_up_us) {
        int64_t give_up_s = t->give_up_us / 1000000;
        pthread_mutex_unlock(&t->mu);
        for (size_t i = lo; i < hi; i++) {
            char reason[FWD_ANSWER_MAX + 400];
            snprintf(reason, sizeof reason,
                     "{\"reason\":\"gave up after %lld s\",\"error\":\"%s\",\"status\":%ld}",
                     (long long)give_up_s, msg, status);
            if (stmt_outbox_park(t->store, t->id, items[i].seq, reason) != STMT_STORE_OK)
                return 1;
            if (t->kind == FWD_FORWARDER) {
                pthread_mutex_lock(&t->mu);
                t->cursor = items[i].seq;
                pthread_mutex_unlock(&t->mu);
            }
        }
        return 0;
    }
    if (x && x->retry_after_s >= 0 && (status == 429 || status == 503)) {
        delay_ms =
            (x->retry_after_s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : x->retry_after_s) * 1000;
    } else {
        int shift = t->failing - 1 > 30 ? 30 : t->failing - 1;
        delay_ms = (int64_t)t->retry_initial_ms << shift;
        if (delay_ms > t->retry_max_ms)
            delay_ms = t->retry_max_ms;
        /* jitter: half to all of the delay, so targets that failed together spread out */
        (void)sc_random_bytes(&r, sizeof r);
        delay_ms = delay_ms / 2 + (int64_t)(r % (uint32_t)(delay_ms / 2 + 1));
    }
    t->next_try_us = now + delay_ms * 1000;
    pthread_mutex_unlock(&t->mu);
    return 1;
}

/* Park one row with the target's answer as the reason (JSON text). */
static int park(struct fwd_target *t, uint64_t seq, long status, const struct xfer *x)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL, *ans;
    int rc = -1;
    ans = sc_strndup(x->answer.data ? x->answer.data : "", x->answer.data ? x->answer.len : 0);
    if (o && ans && cJSON_AddStringToObject(o, "reason", "refused by the target") &&
        cJSON_AddNumberToObject(o, "status", (double)status) &&
        cJSON_AddStringToObject(o, "answer", ans))
        text = cJSON_PrintUnformatted(o);
    if (text)
        rc = stmt_outbox_park(t->store, t->id, seq, text);
    cJSON_free(text);
    cJSON_Delete(o);
    sc_free(ans);
    return rc ? -1 : 0;
}

/* The flusher thread of a forwarder: deletes the delivered rows handed over by flush (one
 * transaction per hand-over, stmt_outbox_done), while the sender goes on sending. A failure
 * is logged and the rows stay in the outbox, behind the cursor: sent again after a restart
 * (at-least-once). */
static void *flusher_main(void *arg)
{
    struct fwd_target *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->fl_n && !t->fl_quit)
            pthread_cond_wait(&t->fl_cv, &t->mu);
        if (!t->fl_n)
            break;
        size_t n = t->fl_n;
        pthread_mutex_unlock(&t->mu);
        if (stmt_outbox_done(t->store, t->id, t->fl_buf, n) != STMT_STORE_OK)
            lrs_log(LRS_LOG_ERROR, "forwarding %u: cannot delete %zu delivered rows", t->id, n);
        pthread_mutex_lock(&t->mu);
        t->fl_n = 0;
        pthread_cond_broadcast(&t->fl_cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* Hand the delivered rows over to the flusher (forwarders), waiting only while it still
 * deletes the previous ones. Without a flusher: delete them here. 0 or -1 (kept for the next
 * try). */
static int flush(struct fwd_target *t)
{
    uint64_t *swap;
    size_t n;
    pthread_mutex_lock(&t->mu);
    n = t->pending_n;
    if (!n || !t->fl_started) {
        pthread_mutex_unlock(&t->mu);
        if (!n)
            return 0;
        if (stmt_outbox_done(t->store, t->id, t->pend, n) != STMT_STORE_OK) {
            lrs_log(LRS_LOG_ERROR, "forwarding %u: cannot delete %zu delivered rows", t->id, n);
            return -1;
        }
        pthread_mutex_lock(&t->mu);
        t->pending_n = 0;
        pthread_mutex_unlock(&t->mu);
        return 0;
    }
    while (t->fl_n)
        pthread_cond_wait(&t->fl_cv, &t->mu);
    swap = t->fl_buf;
    t->fl_buf = t->pend;
    t->fl_n = n;
    t->pend = swap;
    t->pending_n = 0;
    pthread_cond_broadcast(&t->fl_cv);
    pthread_mutex_unlock(&t->mu);
    return 0;
}

static void flusher_start(struct fwd_target *t)
{
    t->fl_buf = sc_malloc(FWD_FLUSH_ROWS * sizeof *t->fl_buf);
    if (!t->fl_buf)
        return;
    if (pthread_cond_init(&t->fl_cv, NULL))
        return;
    if (pthread_create(&t->fl_th, NULL, flusher_main, t)) {
        pthread_cond_destroy(&t->fl_cv);
        return;
    }
    t->fl_started = 1;
}

/* The last rows are deleted, then the flusher ends. */
static void flusher_stop(struct fwd_target *t)
{
    if (!t->fl_started)
        return;
    pthread_mutex_lock(&t->mu);
    t->fl_quit = 1;
    pthread_cond_broadcast(&t->fl_cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->fl_th, NULL);
    pthread_cond_destroy(&t->fl_cv);
    t->fl_started = 0;
}

/* Rows items[lo..hi) were delivered. */
static int delivered(struct fwd_target *t, struct stmt_outbox_item *items, size_t lo, size_t hi)
{
    if (t->kind == FWD_WEBHOOK) {
        uint64_t seqs[FWD_BATCH];
        size_t n = 0;
        for (size_t i = lo; i < hi && n < FWD_BATCH; i++)
            seqs[n++] = items[i].seq;
        return stmt_outbox_done(t->store, t->id, seqs, n) == STMT_STORE_OK ? 0 : -1;
    }
    if (t->pending_n + (hi - lo) > FWD_FLUSH_ROWS && flush(t))
        return -1;
    pthread_mutex_lock(&t->mu);
    if (!t->pending_n)
        t->pend_since = sc_time_mono_us();
    for (size_t i = lo; i < hi; i++)
        t->pend[t->pending_n++] = items[i].seq;
    t->cursor = items[hi - 1].seq;
    fwd__admit_sent(t, hi - lo);
    pthread_mutex_unlock(&t->mu);
    return 0;
}

static int refused(const struct fwd_target *t, long status)
{
    if (t->kind == FWD_FORWARDER)
        return status == 400 || status == 409 || status == 413;
    return status >= 400 && status < 500 && status != 408 && status != 429;
}

/* One request: its body, headers and answer. */
struct req {
    CURL *c;
    struct sc_buf body;
    struct curl_slist *h;
    struct xfer x;
    char errbuf[CURL_ERROR_SIZE];
    size_t lo, hi;
    CURLcode cc;
};

static void req_free(struct req *r)
{
    sc_buf_free(&r->body);
    sc_buf_free(&r->x.answer);
    curl_slist_free_all(r->h);
    r->h = NULL;
}

/* Build the request for rows items[lo..hi) on r->c. 0 ready, 1 the body is too large, -1 out
 * of memory (r is freed on failure). */
static int req_prepare(struct fwd_target *t, struct req *r, struct stmt_outbox_item *items,
                       size_t lo, size_t hi)
{
    char line[256];
    r->lo = lo;
    r->hi = hi;
    r->h = NULL;
    r->cc = CURLE_OK;
    r->errbuf[0] = 0;
    sc_buf_init(&r->body, REQ_BODY_MAX);
    sc_buf_init(&r->x.answer, FWD_ANSWER_MAX);
    r->x.t = t;
    r->x.retry_after_s = -1;
    char ctype[128] = "application/json";
    int brc = 0;
    if (t->kind == FWD_FORWARDER)
        brc = fwd__body(t->db, items, lo, hi, &r->body, ctype, sizeof ctype);
    else
        sc_buf_append(&r->body, items[lo].json, items[lo].len);
    if (brc || sc_buf_error(&r->body)) {
        int tl = brc == 1 || sc_buf_error(&r->body) == SC_BUF_ERR_CAP;
        req_free(r);
        return tl ? 1 : -1;
    }
    snprintf(line, sizeof line, "Content-Type: %s", ctype);
    r->h = curl_slist_append(r->h, line);
    if (t->kind == FWD_FORWARDER) {
        snprintf(line, sizeof line, "X-Experience-API-Version: %s", t->version);
        r->h = curl_slist_append(r->h, line);
        if (t->authz)
            r->h = curl_slist_append(r->h, t->authz);
    } else {
        char sig[72];
        const char *ev = "";
        cJSON *p = cJSON_ParseWithLength(items[lo].json, items[lo].len);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(p, "event");
        if (cJSON_IsString(e) && strlen(e->valuestring) < 64)
            ev = e->valuestring;
        fwd__signature(t->secret, r->body.data, r->body.len, sig);
        snprintf(line, sizeof line, "X-Scolar-Signature: %s", sig);
        r->h = curl_slist_append(r->h, line);
        snprintf(line, sizeof line, "X-Scolar-Event: %s", ev);
        r->h = curl_slist_append(r->h, line);
        cJSON_Delete(p);
        snprintf(line, sizeof line, "X-Scolar-Delivery: %u-%llu", t->id,
                 (unsigned long long)items[lo].seq);
        r->h = curl_slist_append(r->h, line);
    }
    r->h = curl_slist_append(r->h, "Expect:"); /* no 100-continue round trip */
    if (!r->h) {
        req_free(r);
        return -1;
    }
    curl_easy_setopt(r->c, CURLOPT_HTTPHEADER, r->h);
    curl_easy_setopt(r->c, CURLOPT_POSTFIELDS, r->body.data);
    curl_easy_setopt(r->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
    curl_easy_setopt(r->c, CURLOPT_WRITEDATA, &r->x);
    curl_easy_setopt(r->c, CURLOPT_HEADERDATA, &r->x);
    curl_easy_setopt(r->c, CURLOPT_ERRORBUFFER, r->errbuf);
    return 0;
}

static int send_range(struct fwd_target *t, CURL *c, struct stmt_outbox_item *items, size_t lo,
                      size_t hi);

/* What the answer to r means for its rows. 0: every row is delivered or parked; 1: a failure
 * was recorded (retry later); -1: stopping. */
static int req_finish(struct fwd_target *t, struct req *r, struct stmt_outbox_item *items)
{
    size_t lo = r->lo, hi = r->hi;
    long status = 0;
    char line[256];
    int ret;
    curl_easy_getinfo(r->c, CURLINFO_RESPONSE_CODE, &status);
    pthread_mutex_lock(&t->mu);
    t->attempts++;
    pthread_mutex_unlock(&t->mu);
    if (r->cc != CURLE_OK) {
        char msg[CURL_ERROR_SIZE + 64];
        if (stopping(t))
            return -1;
        snprintf(msg, sizeof msg, "%s%s%s", curl_easy_strerror(r->cc), r->errbuf[0] ? ": " : "",
                 r->errbuf);
        ret = transient(t, items, lo, hi, msg, 0, &r->x);
    } else if (status >= 200 && status < 300) {
        if (delivered(t, items, lo, hi)) {
            ret = transient(t, items, lo, hi, "cannot record the delivery in the store", status,
                            &r->x);
        } else {
            pthread_mutex_lock(&t->mu);
            t->failing = 0;
            t->last_ok_us = sc_time_now_us();
            pthread_mutex_unlock(&t->mu);
            ret = 0;
        }
    } else if (refused(t, status)) {
        snprintf(line, sizeof line, "HTTP %ld: the target refused the content", status);
        pthread_mutex_lock(&t->mu);
        set_error(t, line, status, &r->x);
        t->failing = 0; /* not a failure of the target: go on without waiting */
        pthread_mutex_unlock(&t->mu);
        if (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            ret = send_range(t, r->c, items, lo, mid);
            if (!ret)
                ret = send_range(t, r->c, items, mid, hi);
        } else {
            ret = park(t, items[lo].seq, status, &r->x)
                      ? transient(t, items, lo, hi, "cannot park a refused row", status, &r->x)
                      : 0;
            if (!ret && t->kind == FWD_FORWARDER) {
                pthread_mutex_lock(&t->mu);
                t->cursor = items[lo].seq;
                pthread_mutex_unlock(&t->mu);
            }
        }
    } else {
        snprintf(line, sizeof line, "HTTP %ld", status);
        ret = transient(t, items, lo, hi, line, status, &r->x);
    }
    return ret;
}

/* Deliver rows items[lo..hi) over c. 0, 1 or -1 as req_finish. */
static int send_range(struct fwd_target *t, CURL *c, struct stmt_outbox_item *items, size_t lo,
                      size_t hi)
{
    struct req r;
    int ret;
    if (stopping(t))
        return -1;
    r.c = c;
    ret = req_prepare(t, &r, items, lo, hi);
    if (ret == 1 && hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        ret = send_range(t, c, items, lo, mid);
        return ret ? ret : send_range(t, c, items, mid, hi);
    }
    if (ret)
        return transient(t, items, lo, hi,
                         ret == 1 ? "the request body is too large" : "out of memory", 0, NULL);
    r.cc = curl_easy_perform(c);
    ret = req_finish(t, &r, items);
    req_free(&r);
    return ret;
}

static int paused(struct fwd_target *t)
{
    int p;
    pthread_mutex_lock(&t->mu);
    p = t->paused || !fwd__lease_ok(t, sc_time_now_us()); /* another node sends (fwd_nodes.c) */
    pthread_mutex_unlock(&t->mu);
    return p;
}

/* A statement stored with version 2.0.x for a forwarder that speaks 1.0.3: statements are
 * forwarded with the version they were stored with (Data 2.4.10: an LRS returns the version
 * it accepted), and a 1.0.3 LRS must refuse a version that does not start with 1.0 (ibid.). */
static int newer_than_target(const struct fwd_target *t, const struct stmt_outbox_item *it)
{
    return t->kind == FWD_FORWARDER && !strncmp(t->version, "1.", 2) &&
           fwd__is_v2(it->json, it->len);
}

/* The first FWD_BATCH rows after `after` whose records exist (a row whose record is gone cannot
 * be sent: it is parked, the others keep their order). *last: the key of the last row read
 * (0: none). 0, or -1 (said in the log). */
static int take_rows(struct fwd_target *t, uint64_t after, size_t max,
                     struct stmt_outbox_item **items, size_t *w, uint64_t *last)
{
    size_t n = 0;
    int rc = stmt_outbox_peek(t->store, t->id, after, max, items, &n);
    *w = 0;
    *last = 0;
    if (rc) {
        lrs_log(LRS_LOG_ERROR, "forwarding %u: reading the outbox: %s", t->id,
                stmt_store_strerror(rc));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *why = "{\"reason\":\"the statement record is missing\"}";
        *last = (*items)[i].seq;
        if ((*items)[i].json && !newer_than_target(t, &(*items)[i])) {
            (*items)[(*w)++] = (*items)[i];
            continue;
        }
        if ((*items)[i].json) {
            why = "{\"reason\":\"a 2.0 statement is not sent to a 1.0.3 target: statements of "
                  "newer versions MUST NOT be converted into a prior version format (xAPI 1.0.3 "
                  "Communication 3.3)\"}";
            sc_free((*items)[i].json);
            (*items)[i].json = NULL;
        }
        if (stmt_outbox_park(t->store, t->id, (*items)[i].seq, why))
            lrs_log(LRS_LOG_ERROR, "forwarding %u: cannot park a row without its record", t->id);
    }
    return 0;
}

/* One batch of the window of send_window. */
struct slot {
    struct req r;
    struct stmt_outbox_item *items;
    size_t n;
    int prep; /* req_prepare's result: 0 in flight, else sent by send_range when settled */
    int done;
};

/* Forwarders with concurrency k > 1: a window of up to k consecutive batches in flight, one
 * connection each, refilled as soon as the oldest is settled, so the connections never wait
 * for each other (each batch is in stored order; the target may store a later batch before an
 * earlier one). Answers are settled in order: a batch counts as delivered only after every
 * earlier one; after the first batch that is not settled (a failure to retry later, or
 * stopping) the later ones are abandoned and sent again (at-least-once). Returns the number
 * of batches settled; it returns when the outbox has nothing more to send, after a failure, on
 * pause or when stopping. */
static size_t send_window(struct fwd_target *t, CURLM *m, CURL **cs, int k)
{
    struct slot sl[FWD_CONCURRENCY_MAX];
    int head = 0, nin = 0, end = 0;
    uint64_t after = t->cursor;
    size_t settled = 0;
    memset(sl, 0, sizeof sl);
    for (;;) {
        /* fill the window */
        while (!end && nin < k && !stopping(t) && !paused(t)) {
            int i = (head + nin) % k;
            struct slot *s = &sl[i];
            uint64_t last;
            memset(s, 0, sizeof *s);
            if (take_rows(t, after, FWD_BATCH, &s->items, &s->n, &last) || !last) {
                stmt_outbox_items_free(s->items, s->n);
                s->items = NULL;
                end = 1;
                break;
            }
            after = last;
            if (!s->n) {
                stmt_outbox_items_free(s->items, 0);
                s->items = NULL;
                continue;
            }
            s->r.c = cs[i];
            s->prep = req_prepare(t, &s->r, s->items, 0, s->n);
            if (!s->prep && curl_multi_add_handle(m, s->r.c) != CURLM_OK) {
                req_free(&s->r);
                s->prep = -1;
            }
            nin++;
        }
        /* the oldest row waiting is the first of the oldest batch in the window */
        fwd__admit_oldest(t, nin ? sl[head].items[0].seq : 0);
        if (!nin)
            break;
        /* drive the transfers until the oldest is answered */
        struct slot *h = &sl[head];
        while (!h->prep && !h->done) {
            int running = 0, left;
            CURLMsg *msg;
            CURLMcode mc = curl_multi_perform(m, &running);
            while ((msg = curl_multi_info_read(m, &left)))
                for (int j = 0; j < k; j++)
                    if (msg->msg == CURLMSG_DONE && sl[j].items && !sl[j].prep &&
                        msg->easy_handle == sl[j].r.c) {
                        sl[j].done = 1;
                        sl[j].r.cc = msg->data.result;
                    }
            if (h->done)
                break;
            if (mc == CURLM_OK && !stopping(t))
                mc = curl_multi_poll(m, NULL, 0, 200, NULL);
            if (mc != CURLM_OK || stopping(t)) {
                h->done = 1; /* the multi interface failed, or stopping: abandon */
                h->r.cc = CURLE_ABORTED_BY_CALLBACK;
            }
        }
        /* settle the oldest */
        int ret;
        if (!h->prep) {
            curl_multi_remove_handle(m, h->r.c);
            ret = req_finish(t, &h->r, h->items);
            req_free(&h->r);
        } else {
            ret = send_range(t, h->r.c, h->items, 0, h->n); /* too large: split, or no memory */
        }
        stmt_outbox_items_free(h->items, h->n);
        h->items = NULL;
        head = (head + 1) % k;
        nin--;
        settled++;
        if (ret)
            break;
        if (t->pending_n && sc_time_mono_us() - t->pend_since > FWD_FLUSH_MS * 1000 && flush(t))
            break;
    }
    /* abandon what is still in the window (sent again from the cursor) */
    while (nin) {
        struct slot *s = &sl[head];
        if (!s->prep) {
            curl_multi_remove_handle(m, s->r.c);
            req_free(&s->r);
        }
        stmt_outbox_items_free(s->items, s->n);
        head = (head + 1) % k;
        nin--;
    }
    return settled;
}

static CURL *easy_new(struct fwd_target *t)
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, t->post_url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, t->connect_ms);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "scolar-forwarder");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
    return c;
}

/* Wait until stop, or until the target is not paused and its retry time has come (or
 * `idle_ms` passed when > 0). Returns 1 when stopping. */
static int wait_turn(struct fwd_target *t, long idle_ms)
{
    int64_t until = idle_ms > 0 ? sc_time_now_us() + idle_ms * 1000 : 0;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        int64_t now = sc_time_now_us(), wake;
        struct timespec ts;
        if (t->stop)
            break;
        if (t->paused) {
            pthread_cond_wait(&t->cv, &t->mu);
            continue;
        }
        if (!fwd__lease_ok(t, now)) {
            /* another node holds the lease (fwd_nodes.c): the coordinator wakes us when it
             * is ours; until then look again each FWD_SYNC_MS */
            wake = now + (int64_t)FWD_SYNC_MS * 1000;
            ts.tv_sec = (time_t)(wake / 1000000);
            ts.tv_nsec = (long)(wake % 1000000) * 1000;
            pthread_cond_timedwait(&t->cv, &t->mu, &ts);
            continue;
        }
        wake = t->failing && t->next_try_us > now ? t->next_try_us : 0;
        if (until > now && (!wake || until > wake))
            wake = until;
        if (!wake || wake <= now)
            break;
        ts.tv_sec = (time_t)(wake / 1000000);
        ts.tv_nsec = (long)(wake % 1000000) * 1000;
        pthread_cond_timedwait(&t->cv, &t->mu, &ts);
    }
    int stop = t->stop;
    pthread_mutex_unlock(&t->mu);
    return stop;
}

void *fwd__sender_main(void *arg)
{
    struct fwd_target *t = arg;
    CURL *c = easy_new(t), *par[FWD_CONCURRENCY_MAX] = {NULL};
    CURLM *multi = NULL;
    long idle = 0;
    /* The sender runs at the server's priority: at nice 10 (until 2026-12-06) it fell behind
     * 8-client ingest without bound, the lag growing by a second each second
     * (bench/results/forward.md); to keep pace it needs its share of the CPU. */
    if (t->concurrency > 1) {
        int ok = (multi = curl_multi_init()) != NULL;
        par[0] = c;
        for (int i = 1; ok && i < t->concurrency; i++)
            ok = (par[i] = easy_new(t)) != NULL;
        if (!ok || !c) {
            lrs_log(LRS_LOG_WARN, "forwarding %u: one connection only (libcurl handles)", t->id);
            for (int i = 1; i < t->concurrency; i++)
                curl_easy_cleanup(par[i]);
            curl_multi_cleanup(multi);
            multi = NULL;
        }
    }
    /* without its buffer the sender cannot run: it tries again each second rather than end,
     * which left a listed target that never sent again until a restart */
    while (t->kind == FWD_FORWARDER && !t->pend &&
           !(t->pend = sc_malloc(FWD_FLUSH_ROWS * sizeof *t->pend))) {
        lrs_log(LRS_LOG_ERROR, "forwarding %u: out of memory, trying again in 1 s", t->id);
        if (wait_turn(t, 1000))
            goto out; /* stopped before it could run */
    }
    if (t->kind == FWD_FORWARDER)
        flusher_start(t); /* without it (no memory or thread): flush deletes in place */
    while (!wait_turn(t, idle)) {
        struct stmt_outbox_item *items = NULL;
        size_t w = 0;
        uint64_t last = 0;
        idle = 0;
        if (!c && !(c = easy_new(t))) {
            transient(t, &(struct stmt_outbox_item){(uint64_t)sc_time_now_us(), NULL, 0}, 0, 1,
                      "cannot create a libcurl handle", 0, NULL);
            continue;
        }
        if (t->kind == FWD_FORWARDER && multi) {
            if (!send_window(t, multi, par, t->concurrency))
                idle = IDLE_POLL_MS;
            if (t->pending_n && flush(t))
                idle = 1000;
            continue;
        }
        /* webhook rows may commit out of key order (concurrent transactions): from the first */
        if (take_rows(t, t->kind == FWD_WEBHOOK ? 0 : t->cursor,
                      t->kind == FWD_WEBHOOK ? 1 : FWD_BATCH, &items, &w, &last)) {
            idle = 1000;
            continue;
        }
        if (t->kind == FWD_FORWARDER && (w || !last))
            fwd__admit_oldest(t, w ? items[0].seq : 0);
        if (w) {
            /* after a short batch, likely nothing more waits: the next batch says otherwise */
            if (!send_range(t, c, items, 0, w) && w < FWD_BATCH && t->kind == FWD_FORWARDER)
                fwd__admit_oldest(t, 0);
        } else if (!last) {
            idle = IDLE_POLL_MS;
        }
        stmt_outbox_items_free(items, w);
        if (t->pending_n &&
            (w < FWD_BATCH || t->pending_n >= FWD_FLUSH_ROWS - FWD_BATCH ||
             sc_time_mono_us() - t->pend_since > FWD_FLUSH_MS * 1000) &&
            flush(t))
            idle = 1000;
    }
    flush(t);
    flusher_stop(t);
out:
    if (multi) {
        for (int i = 1; i < t->concurrency; i++)
            curl_easy_cleanup(par[i]);
        curl_multi_cleanup(multi);
    }
    curl_easy_cleanup(c);
    return NULL;
}
