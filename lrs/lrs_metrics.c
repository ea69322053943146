/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Monitoring (issue 18): GET /metrics in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), with an admin credential;
 * GET /readyz (no credential): 200 when the store and the SCORM run-time are open and the data
 * directory's file system has room, else 503 naming what is wrong. /healthz stays "alive".
 *
 * Requests are counted by origin, route (the route table's pattern, so the label set is
 * bounded by the tables, never by client input) and status; durations go into one histogram
 * per origin and route. The tables are fixed arrays under one mutex: a request costs one
 * lock and a short scan.
 */
#include "lrs/lrs.h"
#include "lrs/fwd.h"
#include "common/sc_time.h"
#include "statements/stmt_store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#define MAX_COUNTERS 512
#define MAX_HISTS 128
/* seconds; the usual Prometheus default buckets, from 1 ms */
static const double BUCKETS[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                 0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof BUCKETS / sizeof BUCKETS[0])

struct counter {
    const char *route; /* static string of a route table; compared by pointer */
    int content, status;
    unsigned long long n;
};
struct hist {
    const char *route;
    int content;
    unsigned long long bucket[NBUCKETS], count;
    double sum;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct counter counters[MAX_COUNTERS];
static struct hist hists[MAX_HISTS];
static size_t ncounters, nhists;
static unsigned long long dropped; /* requests whose label set found no free slot */

void lrs_metrics_request(const char *route, int content, int status, int64_t us)
{
    double s = (double)us / 1e6;
    struct counter *c = NULL;
    struct hist *h = NULL;
    if (!route)
        route = "(no route)";
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < ncounters && !c; i++)
        if (counters[i].route == route && counters[i].content == content &&
            counters[i].status == status)
            c = &counters[i];
    if (!c && ncounters < MAX_COUNTERS) {
        c = &counters[ncounters++];
        c->route = route;
        c->content = content;
        c->status = status;
    }
    for (size_t i = 0; i < nhists && !h; i++)
        if (hists[i].route == route && hists[i].content == content)
            h = &hists[i];
    if (!h && nhists < MAX_HISTS) {
        h = &hists[nhists++];
        h->route = route;
        h->content = content;
    }
    if (c)
        c->n++;
    if (h) {
        for (size_t b = 0; b < NBUCKETS; b++)
            if (s <= BUCKETS[b])
                h->bucket[b]++;
        h->count++;
        h->sum += s;
    }
    if (!c || !h)
        dropped++;
    pthread_mutex_unlock(&mu);
}

/* A label value: routes are our own ASCII patterns, but escape as the format says anyway. */
static void label(struct sc_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            sc_buf_putc(b, '\\');
        if (*v == '\n') {
            sc_buf_puts(b, "\\n");
            continue;
        }
        sc_buf_putc(b, *v);
    }
}

static void family(struct sc_buf *b, const char *name, const char *type, const char *help)
{
    sc_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void http_metrics(struct sc_buf *b)
{
    pthread_mutex_lock(&mu);
    family(b, "scolar_http_requests_total", "counter",
           "HTTP requests answered, by origin, route pattern and status code.");
    for (size_t i = 0; i < ncounters; i++) {
        sc_buf_printf(b, "scolar_http_requests_total{origin=\"%s\",route=\"",
                      counters[i].content ? "content" : "api");
        label(b, counters[i].route);
        sc_buf_printf(b, "\",code=\"%d\"} %llu\n", counters[i].status, counters[i].n);
    }
    family(b, "scolar_http_request_duration_seconds", "histogram",
           "Time from the request's headers to the end of its answer, by origin and route.");
    for (size_t i = 0; i < nhists; i++) {
        const char *o = hists[i].content ? "content" : "api";
        for (size_t k = 0; k < NBUCKETS + 1; k++) {
            sc_buf_printf(b, "scolar_http_request_duration_seconds_bucket{origin=\"%s\",route=\"",
                          o);
            label(b, hists[i].route);
            if (k < NBUCKETS)
                sc_buf_printf(b, "\",le=\"%g\"} %llu\n", BUCKETS[k], hists[i].bucket[k]);
            else
                sc_buf_printf(b, "\",le=\"+Inf\"} %llu\n", hists[i].count);
        }
        sc_buf_printf(b, "scolar_http_request_duration_seconds_sum{origin=\"%s\",route=\"", o);
        label(b, hists[i].route);
        sc_buf_printf(b, "\"} %.6f\n", hists[i].sum);
        sc_buf_printf(b, "scolar_http_request_duration_seconds_count{origin=\"%s\",route=\"", o);
        label(b, hists[i].route);
        sc_buf_printf(b, "\"} %llu\n", hists[i].count);
    }
    family(b, "scolar_http_requests_unlabelled_total", "counter",
           "Requests not in the tables above because every label slot was taken.");
    sc_buf_printf(b, "scolar_http_requests_unlabelled_total %llu\n", dropped);
    pthread_mutex_unlock(&mu);
}

void lrs_route_metrics(struct lrs_req *r)
{
    struct sc_buf b = SC_BUF_INIT;
    struct stmt_db_stats ds;
    size_t n = 0;
    int64_t now = sc_time_now_us();

    family(&b, "scolar_build_info", "gauge", "The version of this scolar, as a label.");
    sc_buf_printf(&b, "scolar_build_info{version=\"%s\"} 1\n", SCOLAR_VERSION);
    family(&b, "scolar_uptime_seconds", "gauge", "Seconds since this process began serving.");
    sc_buf_printf(&b, "scolar_uptime_seconds %.3f\n", (double)(now - r->app->started_us) / 1e6);
    http_metrics(&b);
    if (r->app->store && stmt_store_count(r->app->store, &n) == 0) {
        int64_t ct = stmt_store_consistent_through(r->app->store);
        family(&b, "scolar_statements_stored", "gauge",
               "Statements in the store, voided ones included.");
        sc_buf_printf(&b, "scolar_statements_stored %zu\n", n);
        family(&b, "scolar_index_lag_seconds", "gauge",
               "How far the statement indexes trail the newest acknowledged statement "
               "(X-Experience-API-Consistent-Through against now).");
        sc_buf_printf(&b, "scolar_index_lag_seconds %.6f\n",
                      ct > 0 && ct < now ? (double)(now - ct) / 1e6 : 0.0);
    }
    if (stmt_db_stats(r->app->db, &ds) == 0) {
        family(&b, "scolar_store_map_bytes", "gauge", "Size of the LMDB map (it grows on demand).");
        sc_buf_printf(&b, "scolar_store_map_bytes %zu\n", ds.map_bytes);
        family(&b, "scolar_store_used_bytes", "gauge", "Bytes of the map in use.");
        sc_buf_printf(&b, "scolar_store_used_bytes %zu\n", ds.used_bytes);
        family(&b, "scolar_store_readers", "gauge", "LMDB reader slots in use.");
        sc_buf_printf(&b, "scolar_store_readers %u\n", ds.readers);
    }
    lrs_fwd_metrics(r->app, &b);
    lrs_reply_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
    sc_buf_free(&b);
}

/* Free bytes below which the data directory is reported not ready (writes would soon fail). */
#define READY_MIN_FREE (64ull << 20)

void lrs_route_readyz(struct lrs_req *r)
{
    struct statvfs v;
    cJSON *j = cJSON_CreateObject(), *why = cJSON_CreateArray();
    int ok = 1;
    if (!j || !why) {
        cJSON_Delete(j);
        cJSON_Delete(why);
        lrs_reply_error(r, 500, "out of memory");
        return;
    }
    if (!r->app->store) {
        ok = 0;
        cJSON_AddItemToArray(why, cJSON_CreateString("the statement store is not open"));
    }
    if (!r->app->rt) {
        ok = 0;
        cJSON_AddItemToArray(why, cJSON_CreateString("the SCORM run-time is not open"));
    }
    if (statvfs(r->app->cfg.data_dir, &v) != 0) {
        ok = 0;
        cJSON_AddItemToArray(why, cJSON_CreateString("the data directory cannot be examined"));
    } else if ((unsigned long long)v.f_bavail * v.f_frsize < READY_MIN_FREE) {
        ok = 0;
        cJSON_AddItemToArray(why, cJSON_CreateString("the data directory's disk has less than "
                                                     "64 MiB free"));
    }
    cJSON_AddBoolToObject(j, "ready", ok);
    cJSON_AddItemToObject(j, "problems", why);
    lrs_reply_json(r, ok ? 200 : 503, j);
    cJSON_Delete(j);
}
