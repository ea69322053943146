/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The harness of the allocation-failure tests that go through real request handling
 * (test_lrs_oom_http.c, test_lrs_oom_admin.c): the server (lrs_app_open, lrs_server_start:
 * civetweb on 127.0.0.1) runs in the test's process and the test talks HTTP to it over a
 * socket, allocating nothing of its own while a request is in flight. For each write the Nth
 * allocation of the process fails, N = 0, 1, ... until a request runs without meeting the
 * failure. After each request:
 *   - an answer 2xx: the write is stored, whole, and the body names it (nothing acknowledged
 *     is lost);
 *   - any other answer: 5xx with a JSON message, and every table of the store is byte for byte
 *     as before (nothing half-written remains); then the same request without injection
 *     succeeds and changes the record count by exactly the write's own.
 * The background threads of the server (the statement writer, forward senders) share the
 * countdown: a failure they take instead is a request that succeeds, which the checks above
 * cover as well.
 */
#ifndef LRS_OOM_HTTP_H
#define LRS_OOM_HTTP_H

#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "lrs/lrs_console.h"
#include "common/sc_alloc.h"
#include "common/sc_base64.h"
#include "common/tap.h"
#include "scorm/scorm.h"
#include "statements/stmt_db.h"
#include "statements/stmt_doc.h"
#include "statements/stmt_store.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct lrs_app app;
static char tmp[256];

static inline void bail(const char *why)
{
    printf("Bail out! %s\n", why);
    exit(2);
}

static inline const char *str_or(const char *s)
{
    return s ? s : "";
}

/* the countdown of the next request: armed by http() right before it connects, so that the
 * test's own reads before a request take none of it */
static long pending_arm = -1;
static int api_port, content_port;
static char basic[200]; /* "Basic ..." of the admin credential */
static char admin_key[80], admin_secret[80];

/* ---- a client that allocates nothing ------------------------------------------------------ */

struct resp {
    int status;
    char head[8192];
    char body[65536];
    size_t blen;
};

static inline int port_of(struct mg_context *ctx)
{
    struct mg_server_port p[2];
    return mg_get_server_ports(ctx, 2, p) > 0 ? p[0].port : -1;
}

/* One request on its own connection (Connection: close). extra: header lines, each ending
 * in \r\n. Returns the status, or -1 when no answer came. */
static inline int http(int port, const char *method, const char *path, const char *extra,
                       const char *ctype, const char *body, struct resp *out)
{
    static char buf[sizeof out->head + sizeof out->body + 1];
    char req[4096];
    struct sockaddr_in a;
    size_t blen = body ? strlen(body) : 0, got = 0;
    int fd, n;
    char *sep;

    if (pending_arm >= 0) {
        sc_alloc_fail_after(pending_arm);
        pending_arm = -1;
    }
    out->status = -1;
    out->head[0] = out->body[0] = 0;
    out->blen = 0;
    n = snprintf(req, sizeof req,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s%s%s%s"
                 "Content-Length: %zu\r\n\r\n",
                 method, path, port, extra ? extra : "", ctype ? "Content-Type: " : "",
                 ctype ? ctype : "", ctype ? "\r\n" : "", blen);
    if (n < 0 || (size_t)n >= sizeof req)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        write(fd, req, (size_t)n) != n || (blen && write(fd, body, blen) != (ssize_t)blen)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while (got < sizeof buf - 1 && (n = (int)read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    buf[got] = 0;
    sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.1 %d", &out->status) != 1)
        return out->status = -1;
    snprintf(out->head, sizeof out->head, "%.*s", (int)(sep - buf), buf);
    out->blen = got - (size_t)(sep + 4 - buf);
    if (out->blen >= sizeof out->body)
        out->blen = sizeof out->body - 1;
    memcpy(out->body, sep + 4, out->blen);
    out->body[out->blen] = 0;
    return out->status;
}

static inline int api(const char *method, const char *path, const char *extra_hdrs,
                      const char *ctype, const char *body, struct resp *out)
{
    char hdrs[1024];
    snprintf(hdrs, sizeof hdrs, "Authorization: %s\r\nX-Experience-API-Version: 1.0.3\r\n%s", basic,
             extra_hdrs ? extra_hdrs : "");
    return http(api_port, method, path, hdrs, ctype, body, out);
}

/* The value of header `name` in r (case-sensitive name), copied into out; 0 when absent. */
static inline int header(const struct resp *r, const char *name, char *out, size_t n)
{
    char pat[100];
    const char *p, *e;
    snprintf(pat, sizeof pat, "\r\n%s: ", name);
    if (!(p = strstr(r->head, pat)))
        return 0;
    p += strlen(pat);
    e = strstr(p, "\r\n");
    snprintf(out, n, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
    return 1;
}

/* ---- the store, read back (no injection while these run) ---------------------------------- */

/* every table of statements/, scorm/ and lrs/; check_tables() proves the list complete */
static const char *const TABLES[] = {"meta",
                                     "docs",
                                     "activities",
                                     "agents",
                                     "attachments",
                                     "outbox",
                                     "stmt",
                                     "stmt_id",
                                     "stmt_voided",
                                     "stmt_idx",
                                     "stmt_meta",
                                     "reports",
                                     "stmt_ref",
                                     "stmt_rpt",
                                     "courses",
                                     "course_versions",
                                     "course_stats",
                                     "registrations",
                                     "attempts",
                                     "tokens",
                                     "cmi",
                                     "sessions",
                                     "shared_data",
                                     "reg_by_course",
                                     "reg_by_learner",
                                     "learners",
                                     "reg_summary",
                                     "seq_state",
                                     "global_obj",
                                     "bridge_outbox",
                                     "bridge_outbox_dead",
                                     "reg_contrib",
                                     "course_report",
                                     "course_report_idx",
                                     "cmi5_courses",
                                     "cmi5_regs",
                                     "cmi5_sessions",
                                     "creds",
                                     "users",
                                     "console_sessions"};
#define NTABLES (sizeof TABLES / sizeof TABLES[0])

struct snap {
    uint64_t hash[NTABLES];
    size_t count[NTABLES];
};

struct hctx {
    uint64_t h;
    size_t n;
    int skip_n;
};

static inline uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

static inline int hash_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct hctx *c = ctx;
    /* the outbox's target id sequence (key "n") advances on a create that then fails, as a SQL
     * sequence does: ids are never given twice (queued rows name them); so does the version of
     * the stored filters (key "v", statements/stmt_outbox_spec.c: the create and the delete
     * that undoes it each bump it, and it must never go back) */
    if (c->skip_n && kl == 1 && (!memcmp(k, "n", 1) || !memcmp(k, "v", 1)))
        return 0;
    c->h = fnv(c->h, &kl, sizeof kl);
    c->h = fnv(c->h, k, kl);
    c->h = fnv(c->h, &vl, sizeof vl);
    c->h = fnv(c->h, v, vl);
    c->n++;
    return 0;
}

static inline void snapshot(struct snap *s)
{
    struct stmt_db_txn *t;
    memset(s, 0, sizeof *s);
    /* the statement writer folds index entries later, on its own: wait until it has */
    if (stmt_store_sync(app.store))
        bail("sync");
    if (stmt_db_txn_begin(app.db, 0, &t))
        bail("read transaction");
    for (size_t i = 0; i < NTABLES; i++) {
        struct hctx c = {14695981039346656037ULL, 0, !strcmp(TABLES[i], "outbox")};
        if (stmt_db_scan(t, TABLES[i], NULL, 0, hash_visit, &c))
            bail("scan");
        s->hash[i] = c.h;
        s->count[i] = c.n;
    }
    stmt_db_txn_abort(t);
}

/* the tables that differ, into out ("" when none) */
static inline void snap_diff(const struct snap *a, const struct snap *b, char *out, size_t n)
{
    size_t off = 0;
    out[0] = 0;
    for (size_t i = 0; i < NTABLES && off < n; i++)
        if (a->hash[i] != b->hash[i])
            off += (size_t)snprintf(out + off, n - off, "%s%s(%zu->%zu)", off ? " " : "", TABLES[i],
                                    a->count[i], b->count[i]);
}

static inline int count_visit(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k;
    (void)kl;
    (void)v;
    (void)vl;
    ++*(size_t *)ctx;
    return 0;
}

static inline size_t count_of(const char *table)
{
    struct stmt_db_txn *t;
    size_t n = 0;
    if (stmt_db_txn_begin(app.db, 0, &t) || stmt_db_scan(t, table, NULL, 0, count_visit, &n))
        bail("count");
    stmt_db_txn_abort(t);
    return n;
}

/* every table stmt_db_check counts is one the snapshot covers */
static inline void check_tables(void)
{
    static char report[16384];
    int missing = 0;
    stmt_db_check(app.db, report, sizeof report);
    for (char *line = report, *next; *line; line = next) {
        char *colon = strchr(line, ':');
        int found = 0;
        next = strchr(line, '\n');
        next = next ? next + 1 : line + strlen(line);
        if (!colon || colon > next)
            continue;
        *colon = 0;
        for (size_t i = 0; i < NTABLES; i++)
            found |= !strcmp(TABLES[i], line);
        if (!found) {
            tap_diag("table %s is not in the snapshot", line);
            missing++;
        }
    }
    is_int(missing, 0, "the snapshot covers every table with records");
}

/* ---- the sweep ----------------------------------------------------------------------------- */

struct op {
    const char *name;
    const char *table; /* whose record count the write changes by `delta` */
    int delta;
    /* before attempt i (no injection): make what the request needs; 0 or -1 */
    int (*setup)(int i);
    /* the request of attempt i */
    void (*send)(int i, struct resp *r);
    /* after a 2xx of attempt i: 1 when the write is stored whole and the body names it */
    int (*stored)(int i, const struct resp *r);
    /* after the checks of attempt i (may be NULL): undo what would make the next one longer */
    void (*cleanup)(int i);
    /* the record count when `table` is not it (may be NULL) */
    size_t (*count)(void);
};

static inline size_t op_count(const struct op *op);

static inline int is_error_with_message(const struct resp *r)
{
    cJSON *j, *m;
    int ok;
    if (r->status < 500 || r->status > 599)
        return 0;
    j = cJSON_Parse(r->body);
    m = cJSON_GetObjectItemCaseSensitive(j, "message");
    ok = cJSON_IsString(m) && m->valuestring[0];
    cJSON_Delete(j);
    return ok;
}

static inline size_t op_count(const struct op *op)
{
    return op->count ? op->count() : count_of(op->table);
}

#define MAX_N 3000

static inline void sweep(const struct op *op)
{
    int n, acked = 0, refused = 0, lost = 0, wrong_status = 0, changed = 0, retry_bad = 0;
    int fired_ok = 0, shown = 0;
    for (n = 0; n < MAX_N; n++) {
        struct snap before, after;
        struct resp r;
        char diff[512];
        long f0;
        size_t c0;
        int fired;
        if (op->setup && op->setup(n)) {
            tap_diag("%s: setup %d failed", op->name, n);
            retry_bad++;
            break;
        }
        snapshot(&before);
        c0 = op_count(op);
        f0 = sc_alloc_failures();
        pending_arm = n;
        op->send(n, &r);
        pending_arm = -1;
        sc_alloc_fail_after(-1);
        fired = sc_alloc_failures() != f0;
        if (r.status >= 200 && r.status < 300) {
            acked++;
            fired_ok += fired;
            if (!op->stored(n, &r) || op_count(op) != c0 + (size_t)(long)op->delta) {
                lost++;
                if (shown++ < 30)
                    tap_diag("%s N=%d: %d acknowledged, not stored whole (%zu -> %zu): %.300s",
                             op->name, n, r.status, c0, op_count(op), r.body);
            }
            if (op->cleanup)
                op->cleanup(n);
            if (!fired)
                break; /* the request ran to its end without meeting the failure */
            continue;
        }
        refused++;
        if (!fired) {
            tap_diag("%s N=%d: refused (%d) with no failure injected: %.300s", op->name, n,
                     r.status, r.body);
            retry_bad++;
            break;
        }
        snapshot(&after);
        snap_diff(&before, &after, diff, sizeof diff);
        if (!is_error_with_message(&r)) {
            wrong_status++;
            if (shown++ < 30)
                tap_diag("%s N=%d: answered %d: %.300s", op->name, n, r.status, r.body);
        }
        if (diff[0]) {
            changed++;
            if (shown++ < 30)
                tap_diag("%s N=%d: refused (%d) but changed %s", op->name, n, r.status, diff);
        }
        /* the same request again, without injection: done once */
        op->send(n, &r);
        if (r.status < 200 || r.status > 299 || !op->stored(n, &r) ||
            op_count(op) != c0 + (size_t)(long)op->delta) {
            retry_bad++;
            if (shown++ < 30)
                tap_diag("%s N=%d: retry answered %d (%zu -> %zu): %.300s", op->name, n, r.status,
                         c0, op_count(op), r.body);
        }
        if (op->cleanup)
            op->cleanup(n);
    }
    ok(n < MAX_N && refused > 0,
       "%s: %d requests refused under injection, %d acknowledged (%d of them after a failure)",
       op->name, refused, acked, fired_ok);
    is_int(lost, 0, "%s: every acknowledged write is stored whole", op->name);
    is_int(wrong_status, 0, "%s: every refusal is a 5xx with a message", op->name);
    is_int(changed, 0, "%s: a refused request changed nothing in the store", op->name);
    is_int(retry_bad, 0, "%s: the request again succeeds, with exactly its own record", op->name);
}

/* ---- the server ------------------------------------------------------------------------------ */

/* Open a store in a new folder, an admin credential, and the server on two free ports. */
static inline void oomh_start(void)
{
    char dir[300], err[1024], pair[200];
    sc_alloc_init_cjson(); /* cJSON's allocations fail too, as in main() */
    signal(SIGPIPE, SIG_IGN);
    setenv("SCOLAR_SIGNIN_FAILS", "1000000", 1);
    lrs_log_set_level(LRS_LOG_ERROR);
    /* memory-backed when there is one: thousands of commits, and what is measured here is
     * what an allocation failure leaves, not the disk's sync time */
    snprintf(tmp, sizeof tmp, "/dev/shm/scolar-test-lrs-oom-http-XXXXXX");
    if (!mkdtemp(tmp)) {
        snprintf(tmp, sizeof tmp, "/tmp/scolar-test-lrs-oom-http-XXXXXX");
        if (!mkdtemp(tmp))
            bail("mkdtemp");
    }
    snprintf(dir, sizeof dir, "%s/data", tmp);
    memset(&app, 0, sizeof app);
    lrs_config_defaults(&app.cfg);
    snprintf(app.cfg.data_dir, sizeof app.cfg.data_dir, "%s", dir);
    snprintf(app.cfg.listen, sizeof app.cfg.listen, "127.0.0.1:0");
    snprintf(app.cfg.content_listen, sizeof app.cfg.content_listen, "127.0.0.1:0");
    app.cfg.threads = 2;
    if (stmt_db_open(dir, &app.db, err, sizeof err) || lrs_db_register(app.db, err, sizeof err))
        bail(err);
    if (lrs_cred_create(app.db, "admin", LRS_SCOPE_ALL | LRS_SCOPE_ADMIN, "oomadmin",
                        "oom-admin-secret", admin_key, sizeof admin_key, admin_secret,
                        sizeof admin_secret))
        bail("admin credential");
    snprintf(pair, sizeof pair, "%s:%s", admin_key, admin_secret);
    memcpy(basic, "Basic ", 6);
    sc_base64_encode(pair, strlen(pair), basic + 6, 0);
    lrs_config_urls(&app.cfg);
    if (lrs_app_open(&app, err, sizeof err) || lrs_server_start(&app, err, sizeof err))
        bail(err);
    api_port = port_of(app.ctx);
    content_port = port_of(app.content_ctx);
    ok(api_port > 0 && content_port > 0, "server listening on %d and %d", api_port, content_port);
    /* the URLs the server hands out name the ports it got */
    snprintf(app.cfg.public_url, sizeof app.cfg.public_url, "http://127.0.0.1:%d", api_port);
    snprintf(app.cfg.content_url, sizeof app.cfg.content_url, "http://127.0.0.1:%d", content_port);
}

/* Sweep the ops whose name contains `only` (NULL: all), check the snapshot's table list, stop
 * the server and remove the folder; the exit code. */
static inline int oomh_run(const struct op *ops, size_t n, const char *only)
{
    char cmd[300];
    for (size_t i = 0; i < n; i++)
        if (!only || strstr(ops[i].name, only))
            sweep(&ops[i]);
    check_tables();
    lrs_server_stop(&app);
    lrs_app_close(&app);
    stmt_db_close(app.db);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        tap_diag("cleanup of %s failed", tmp);
    return tap_done();
}

#endif
