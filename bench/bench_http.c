/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP load client for xAPI statement ingest and queries (issue 3 "Speed").
 *
 *   bench_http --url http://127.0.0.1:8080/xapi --user K --pass S \
 *              --mode post --clients 8 --batch 100 --seconds 20
 *   bench_http ... --mode get --clients 8 --seconds 10 --query 'agent=...&verb=...&limit=100'
 *   --agents N (1000) --activities N (500) --regs N (50 per client): distinct values generated
 *   --requests N: each client stops after N requests (a fixed workload, for instruction counts
 *   of the server under valgrind); --seconds still bounds the run
 *   --url2 URL: a second node (issue 19, two nodes on one PostgreSQL database): each client
 *   sends its requests to --url and --url2 in turn, a keep-alive connection to each
 *
 * Each client thread keeps one keep-alive connection (its own CURL easy handle) and sends
 * requests back to back for the given time. Statements are generated with distinct actors,
 * verbs and activities so the indexes see realistic spread. Prints one JSON line:
 * {"mode","clients","batch","requests","statements","errors","seconds","stmts_per_s",
 *  "req_per_s","p50_ms","p99_ms"}.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct opts {
    const char *url, *url2, *user, *pass, *mode, *query;
    int clients, batch;
    long requests; /* per client; 0: no limit */
    double seconds;
    unsigned long long agents, activities, regs; /* distinct values generated */
};

struct worker {
    struct opts *o;
    int idx;
    long requests, statements, errors;
    double *lat; /* ms */
    size_t nlat, caplat;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

static void make_uuid(unsigned long long a, unsigned long long b, char out[37])
{
    snprintf(out, 37, "%08llx-%04llx-4%03llx-8%03llx-%012llx", (a >> 32) & 0xffffffffULL,
             (a >> 16) & 0xffff, a & 0xfff, (b >> 48) & 0xfff, b & 0xffffffffffffULL);
}

static char *make_body(struct worker *w, unsigned long long *ctr, size_t *len)
{
    size_t cap = (size_t)w->o->batch * 700 + 64, off = 0;
    char *buf = malloc(cap);
    unsigned long long seed = ((unsigned long long)time(NULL) << 20) ^ (unsigned long long)w->idx;
    if (w->o->batch > 1)
        buf[off++] = '[';
    for (int i = 0; i < w->o->batch; i++) {
        unsigned long long k = (*ctr)++;
        char id[37];
        make_uuid(seed * 2654435761ULL + (unsigned long long)w->idx, k * 40503ULL + 7, id);
        off += (size_t)snprintf(
            buf + off, cap - off,
            "%s{\"id\":\"%s\",\"actor\":{\"objectType\":\"Agent\",\"name\":\"Learner %llu\","
            "\"mbox\":\"mailto:learner%llu@example.com\"},\"verb\":{\"id\":"
            "\"http://adlnet.gov/expapi/verbs/v%llu\",\"display\":{\"en-US\":\"v%llu\"}},"
            "\"object\":{\"objectType\":\"Activity\",\"id\":\"http://example.com/activity/%llu\","
            "\"definition\":{\"name\":{\"en-US\":\"Activity %llu\"}}},\"result\":{\"score\":"
            "{\"scaled\":0.%02llu},\"completion\":true,\"duration\":\"PT%lluS\"},\"context\":"
            "{\"registration\":\"%08llx-0000-4000-8000-000000000000\"}}",
            i ? "," : "", id, k % w->o->agents, k % w->o->agents, k % 20, k % 20,
            k % w->o->activities, k % w->o->activities, k % 100, k % 3600,
            (unsigned long long)w->idx * 1000000 + k % w->o->regs);
    }
    if (w->o->batch > 1)
        buf[off++] = ']';
    buf[off] = '\0';
    *len = off;
    return buf;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    struct opts *o = w->o;
    CURL *c1 = curl_easy_init(), *c2 = NULL, *c;
    struct curl_slist *h = NULL;
    char url[2048], url2[2048], userpwd[512];
    unsigned long long ctr = 0;
    int post = !strcmp(o->mode, "post");

    h = curl_slist_append(h, "X-Experience-API-Version: 1.0.3");
    h = curl_slist_append(h, "Content-Type: application/json");
    snprintf(url, sizeof url, "%s/statements%s%s", o->url, post ? "" : "?",
             post ? "" : (o->query ? o->query : ""));
    snprintf(url2, sizeof url2, "%s/statements%s%s", o->url2 ? o->url2 : o->url, post ? "" : "?",
             post ? "" : (o->query ? o->query : ""));
    snprintf(userpwd, sizeof userpwd, "%s:%s", o->user, o->pass);
    if (o->url2)
        c2 = curl_easy_init();
    for (int k = 0; k < 2; k++) {
        c = k ? c2 : c1;
        if (!c)
            continue;
        curl_easy_setopt(c, CURLOPT_URL, k ? url2 : url);
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    }
    double end = now_s() + o->seconds;
    while (now_s() < end && (!o->requests || w->requests < o->requests)) {
        size_t len = 0;
        char *body = NULL;
        c = c2 && (w->requests + w->idx) % 2 ? c2 : c1;
        if (post) {
            body = make_body(w, &ctr, &len);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
        }
        double t0 = now_s();
        CURLcode rc = curl_easy_perform(c);
        double ms = (now_s() - t0) * 1000.0;
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        free(body);
        w->requests++;
        if (rc != CURLE_OK || status != 200) {
            w->errors++;
            if (w->errors < 3)
                fprintf(stderr, "bench_http: %s status %ld\n", curl_easy_strerror(rc), status);
            continue;
        }
        if (post)
            w->statements += o->batch;
        if (w->nlat == w->caplat) {
            w->caplat = w->caplat ? w->caplat * 2 : 4096;
            w->lat = realloc(w->lat, w->caplat * sizeof *w->lat);
        }
        w->lat[w->nlat++] = ms;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c1);
    if (c2)
        curl_easy_cleanup(c2);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct opts o = {
        "http://127.0.0.1:8080/xapi", NULL, "", "", "post", NULL, 8, 100, 0, 10.0, 1000, 500, 50};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--url"))
            o.url = argv[i + 1];
        else if (!strcmp(argv[i], "--url2"))
            o.url2 = argv[i + 1];
        else if (!strcmp(argv[i], "--user"))
            o.user = argv[i + 1];
        else if (!strcmp(argv[i], "--pass"))
            o.pass = argv[i + 1];
        else if (!strcmp(argv[i], "--mode"))
            o.mode = argv[i + 1];
        else if (!strcmp(argv[i], "--query"))
            o.query = argv[i + 1];
        else if (!strcmp(argv[i], "--clients"))
            o.clients = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--batch"))
            o.batch = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seconds"))
            o.seconds = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--agents"))
            o.agents = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--activities"))
            o.activities = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--requests"))
            o.requests = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--regs"))
            o.regs = strtoull(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "bench_http: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (o.clients < 1 || o.clients > 512 || o.batch < 1 || o.requests < 0 || o.seconds <= 0 ||
        !o.agents || !o.activities || !o.regs) {
        fprintf(stderr,
                "bench_http: bad --clients/--batch/--seconds/--agents/--activities/--regs\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct worker *ws = calloc((size_t)o.clients, sizeof *ws);
    pthread_t *th = calloc((size_t)o.clients, sizeof *th);
    double t0 = now_s();
    for (int i = 0; i < o.clients; i++) {
        ws[i].o = &o;
        ws[i].idx = i;
        pthread_create(&th[i], NULL, run, &ws[i]);
    }
    long req = 0, stm = 0, err = 0;
    size_t nl = 0;
    for (int i = 0; i < o.clients; i++) {
        pthread_join(th[i], NULL);
        req += ws[i].requests;
        stm += ws[i].statements;
        err += ws[i].errors;
        nl += ws[i].nlat;
    }
    double el = now_s() - t0;
    double *all = malloc((nl ? nl : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < o.clients; i++) {
        memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof *all);
        k += ws[i].nlat;
        free(ws[i].lat);
    }
    qsort(all, nl, sizeof *all, cmp_d);
    double p50 = nl ? all[nl / 2] : 0, p99 = nl ? all[(size_t)((double)nl * 0.99)] : 0;
    printf("{\"mode\":\"%s\",\"clients\":%d,\"batch\":%d,\"requests\":%ld,\"statements\":%ld,"
           "\"errors\":%ld,\"seconds\":%.2f,\"stmts_per_s\":%.0f,\"req_per_s\":%.0f,"
           "\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n",
           o.mode, o.clients, o.batch, req, stm, err, el, (double)stm / el, (double)req / el, p50,
           p99);
    free(all);
    free(ws);
    free(th);
    curl_global_cleanup();
    return err && !stm && strcmp(o.mode, "get") ? 1 : 0;
}
