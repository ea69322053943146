/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP layer: two civetweb contexts (the API origin and the content origin), one catch-all
 * handler each, our own routing, body reading, responses and the access log.
 *
 * civetweb is configured so that none of its own file or CORS machinery runs (security.md §2):
 * no document_root (CVE-2025-55763 sits in that path), access_control_allow_methods="" so
 * civetweb does not answer preflights itself, and no form API. Requests carrying both
 * Transfer-Encoding and Content-Length are refused in begin_request (request smuggling, T4).
 */
#include "lrs/lrs.h"
#include "lrs/lrs_guard.h"
#include "lrs/lrs_console.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "statements/stmt_json.h"

#include <civetweb.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

/* civetweb's keep-alive timeout and the header that announces it (start_ctx) */
#define LRS_KEEP_ALIVE_MS "5000"
#define LRS_KEEP_ALIVE_HDR "Keep-Alive: timeout=5\r\n"

const char *lrs_req_header(struct lrs_req *r, const char *name)
{
    /* Alternate Request Syntax (Comm 1.3): form fields stand for these headers */
    for (size_t i = 0; i < r->nalt_hdrs; i++)
        if (!strcasecmp(r->alt_hdrs[i].name, name))
            return r->alt_hdrs[i].value;
    if (r->alt_hdrs && (!strcasecmp(name, "Content-Type") || !strcasecmp(name, "Content-Length")))
        return NULL; /* the outer form's own, not the content's */
    return mg_get_header(r->conn, name);
}

cJSON *lrs_req_json(struct lrs_req *r, const char *what)
{
    struct stmt_diag diag;
    cJSON *j;
    memset(&diag, 0, sizeof diag);
    /* the strict scan of the statement API (RFC 8259, UTF-8, no \u0000, no duplicate keys) for
     * every JSON body, so nothing stored through another path is JSON the xAPI side refuses */
    j = stmt_json_parse(r->body.data ? r->body.data : "", r->body.len, NULL, &diag);
    if (!j) {
        lrs_reply_error(r, diag.code == STMT_ERR_NOMEM ? 500 : 400, "%s: %s: %s", what,
                        diag.path[0] ? diag.path : "$", diag.msg[0] ? diag.msg : "invalid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        lrs_reply_error(r, 400, "%s must be a JSON object", what);
        return NULL;
    }
    return j;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decode (and '+' → space, application/x-www-form-urlencoded). NULL on a bad escape
 * or an encoded NUL, or without memory (then *oom is set). */
static char *url_decode(const char *s, size_t n, int *oom)
{
    char *out = sc_malloc(n + 1);
    size_t j = 0;
    if (!out) {
        *oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= n || (hi = hexval((unsigned char)s[i + 1])) < 0 ||
                (lo = hexval((unsigned char)s[i + 2])) < 0 || (hi == 0 && lo == 0)) {
                sc_free(out);
                return NULL;
            }
            out[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (s[i] == '+') {
            out[j++] = ' ';
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}

int lrs_params_parse(const char *qs, size_t len, struct lrs_param **out, size_t *nout)
{
    struct lrs_param *ps = NULL;
    size_t np = 0;
    int oom = 0;
    const char *p = qs, *end = qs + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *seg_end = amp ? amp : end;
        if (seg_end > p) {
            const char *eq = memchr(p, '=', (size_t)(seg_end - p));
            const char *name_end = eq ? eq : seg_end;
            struct lrs_param *grown = sc_realloc(ps, (np + 1) * sizeof *ps);
            if (!grown) {
                oom = 1;
                goto fail;
            }
            ps = grown;
            ps[np].name = url_decode(p, (size_t)(name_end - p), &oom);
            ps[np].value =
                eq ? url_decode(eq + 1, (size_t)(seg_end - eq - 1), &oom) : sc_strdup("");
            oom |= !eq && !ps[np].value;
            np++;
            if (!ps[np - 1].name || !ps[np - 1].value)
                goto fail;
        }
        p = seg_end + 1;
    }
    *out = ps;
    *nout = np;
    return 0;
fail:
    lrs_params_free(ps, np);
    return oom ? 500 : 400;
}

void lrs_params_free(struct lrs_param *ps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sc_free(ps[i].name);
        sc_free(ps[i].value);
    }
    sc_free(ps);
}

int lrs_req_parse_query(struct lrs_req *r)
{
    if (r->params)
        return 0;
    return lrs_params_parse(r->query, strlen(r->query), &r->params, &r->nparams);
}

const char *lrs_req_param(struct lrs_req *r, const char *name)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (!strcmp(r->params[i].name, name))
            return r->params[i].value;
    return NULL;
}

void lrs_resp_header(struct lrs_req *r, const char *name, const char *fmt, ...)
{
    va_list ap;
    sc_buf_printf(&r->hdrs, "%s: ", name);
    va_start(ap, fmt);
    sc_buf_vprintf(&r->hdrs, fmt, ap);
    va_end(ap);
    sc_buf_puts(&r->hdrs, "\r\n");
}

/* civetweb's own rule (should_keep_alive in civetweb.c): a Connection header keeps the
 * connection only when it lists keep-alive; without one, HTTP/1.1 keeps it. */
static const char *connection_token(struct lrs_req *r)
{
    const char *c;
    if (lrs_guard_body_pending(r))
        return "close";
    c = mg_get_header(r->conn, "Connection");
    if (c)
        return strcasestr(c, "keep-alive") ? "keep-alive" : "close";
    return (r->ri->http_version && !strcmp(r->ri->http_version, "1.1")) ? "keep-alive" : "close";
}

/*
 * The status line and headers, and the body when it is small, go out in ONE write. civetweb's
 * mg_response_header_send sends every header line with its own send(2), and with TCP_NODELAY
 * each became its own TCP segment: ten per answer, each a trip through the network stack of
 * both ends (measured: a third of the server's CPU per single-statement POST).
 */
#define REPLY_INLINE_BODY (64u << 10)

/* The extra headers up to their last complete line: a header whose append failed (sticky
 * errors keep what came before it) is left out rather than sent half. */
static size_t hdrs_complete(const struct sc_buf *h)
{
    size_t n = h->len;
    if (!sc_buf_error(h))
        return n;
    while (n >= 2 && !(h->data[n - 2] == '\r' && h->data[n - 1] == '\n'))
        n--;
    return n >= 2 ? n : 0;
}
void lrs_reply_head(struct lrs_req *r, int status, const char *ctype, int has_length, size_t length,
                    const void *body, size_t n)
{
    char date[SC_TIME_ISO_LEN];
    struct sc_buf b;
    int bad = 0, with_body = body && n && !r->head && n <= REPLY_INLINE_BODY;
    const char *text = mg_get_response_code_text(r->conn, status), *conn;
    size_t hlen = hdrs_complete(&r->hdrs);
    sc_buf_init(&b, 0);
    bad |= sc_buf_printf(&b, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, text ? text : "",
                         sc_time_format_http(sc_time_now_us(), date));
    if (ctype)
        bad |= sc_buf_printf(&b, "Content-Type: %s\r\n", ctype);
    if (has_length)
        bad |= sc_buf_printf(&b, "Content-Length: %zu\r\n", length);
    bad |= sc_buf_puts(&b, "X-Content-Type-Options: nosniff\r\n");
    if (hlen)
        bad |= sc_buf_append(&b, r->hdrs.data, hlen);
    conn = connection_token(r);
    if (!strcmp(conn, "keep-alive"))
        bad |= sc_buf_puts(&b, LRS_KEEP_ALIVE_HDR);
    bad |= sc_buf_printf(&b, "Connection: %s\r\n\r\n", conn);
    if (with_body)
        bad |= sc_buf_append(&b, body, n);
    if (!bad) {
        mg_write(r->conn, b.data, b.len);
    } else {
        /* out of memory for the copy: the same bytes in pieces (no allocation here: an
         * answer after a committed write must still go out whole, with its headers) */
        char line[512];
        int ln = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
                          text ? text : "", date);
        mg_write(r->conn, line, (size_t)ln);
        if (ctype) {
            ln = snprintf(line, sizeof line, "Content-Type: %s\r\n", ctype);
            mg_write(r->conn, line, (size_t)ln < sizeof line ? (size_t)ln : sizeof line - 1);
        }
        if (has_length) {
            ln = snprintf(line, sizeof line, "Content-Length: %zu\r\n", length);
            mg_write(r->conn, line, (size_t)ln);
        }
        if (hlen)
            mg_write(r->conn, r->hdrs.data, hlen);
        mg_write(r->conn, "Connection: close\r\n\r\n", 21);
        with_body = 0;
    }
    sc_buf_free(&b);
    if (!with_body && body && n && !r->head)
        mg_write(r->conn, body, n);
}

void lrs_reply(struct lrs_req *r, int status, const char *ctype, const void *body, size_t n)
{
    int nobody = status == 204 || status == 304;
    if (r->status) /* already answered */
        return;
    r->status = status;
    if (r->is_xapi)
        lrs_xapi_headers(r);
    lrs_reply_head(r, status, nobody ? NULL : ctype, !nobody, n, nobody ? NULL : body, n);
    if (!r->head && n && !nobody)
        r->bytes_out = n;
}

/* An answer printed without allocating: after a committed write the client must be told it
 * succeeded even when no memory is left (cJSON_PrintPreallocated writes into this buffer). */
#define REPLY_JSON_STACK (32u << 10)

void lrs_reply_json(struct lrs_req *r, int status, const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s) {
        char buf[REPLY_JSON_STACK];
        if (j && cJSON_PrintPreallocated((cJSON *)j, buf, (int)sizeof buf, 0)) {
            lrs_reply(r, status, "application/json", buf, strlen(buf));
            return;
        }
        static const char oom[] = "{\"error\":true,\"status\":500,\"message\":\"out of memory\"}";
        lrs_reply(r, 500, "application/json", oom, sizeof oom - 1);
        return;
    }
    lrs_reply(r, status, "application/json", s, strlen(s));
    cJSON_free(s);
}

cJSON *lrs_json_str_of_len(size_t n)
{
    char buf[2048];
    if (n >= sizeof buf)
        return NULL;
    memset(buf, 'x', n);
    buf[n] = 0;
    return cJSON_CreateString(buf);
}

int lrs_json_str_fill(cJSON *item, const char *v)
{
    size_t n = strlen(v);
    if (cJSON_IsString(item) && strlen(item->valuestring) == n) {
        memcpy(item->valuestring, v, n);
        return 0;
    }
    return cJSON_SetValuestring(item, v) ? 0 : -1;
}

void lrs_reply_error(struct lrs_req *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    struct sc_buf b = SC_BUF_INIT;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sc_buf_printf(&b, "{\"error\":true,\"status\":%d,\"message\":", status);
    sc_buf_json_str(&b, msg, strlen(msg));
    sc_buf_puts(&b, "}");
    lrs_reply_buf(r, status, "application/json", &b);
    sc_buf_free(&b);
}

void lrs_reply_buf(struct lrs_req *r, int status, const char *ctype, const struct sc_buf *b)
{
    static const char oom[] = "{\"error\":true,\"status\":500,\"message\":\"out of memory "
                              "while building the answer\"}";
    /* a builder that failed part way holds half a document: never send it (sticky errors) */
    if (sc_buf_error(b)) {
        lrs_reply(r, 500, "application/json", oom, sizeof oom - 1);
        return;
    }
    lrs_reply(r, status, ctype, b->data ? b->data : "", b->len);
}

/* ---- dispatch -------------------------------------------------------------------------- */

static int path_match(const char *pattern, const char *path)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return strncmp(pattern, path, n - 1) == 0;
    return strcmp(pattern, path) == 0;
}

static void dispatch(struct lrs_req *r, const struct lrs_route *routes)
{
    const struct lrs_route *hit = NULL;
    int path_seen = 0;

    for (const struct lrs_route *rt = routes; rt->path; rt++) {
        if (!path_match(rt->path, r->path))
            continue;
        path_seen = 1;
        if (rt->method && strcmp(rt->method, r->method) && !(r->head && !strcmp(rt->method, "GET")))
            continue;
        hit = rt;
        break;
    }
    if (hit)
        r->route = hit->path;
    if (!hit) {
        if (path_seen)
            lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
        else
            lrs_reply_error(r, 404, "no resource at %s", r->path);
        return;
    }
    /* the query, parsed once here: a request that cannot be parsed for want of memory is
     * refused before anything is done (a bad encoding is each route's 400 to word) */
    if (lrs_req_parse_query(r) == 500) {
        lrs_reply_error(r, 503, "out of memory reading the query: retry");
        return;
    }
    /* issue 15: no cross-origin browser requests, declared body types (lrs_session.c) */
    if (!strncmp(r->path, "/api/", 5) && lrs_console_origin_guard(r))
        return;
    if (hit->auth != LRS_AUTH_NONE) {
        const char *authz = lrs_req_header(r, "Authorization");
        int by_cookie = 0, vrc = -1;
        /* the console's session cookie stands for an admin credential (lrs_session.c) */
        if (!authz && hit->auth == LRS_AUTH_ADMIN && (by_cookie = lrs_session_auth(r)) < 0)
            return;
        /* a cmi5 session's auth token (route_cmi5.c, cmi5 8.2) is good for /xapi/ only */
        if (!by_cookie && authz && hit->auth == LRS_AUTH_XAPI &&
            (vrc = lrs_cmi5_auth(r, authz)) != 0)
            vrc = vrc > 0 ? 0 : -1;
        else if (!by_cookie && authz)
            vrc = lrs_cred_verify_from(r->app->db, authz, r->client, &r->cred);
        if (vrc == LRS_AUTH_UNAVAILABLE) {
            lrs_reply_error(r, 503,
                            "cannot check the credentials now (out of memory or "
                            "storage): retry");
            return;
        }
        if (vrc == LRS_AUTH_THROTTLED) {
            lrs_resp_header(r, "Retry-After", "1");
            lrs_reply_error(r, 429,
                            "too many failed sign-ins from this address or for this key: "
                            "wait and retry");
            return;
        }
        if (!by_cookie && vrc != 0) {
            if (hit->auth == LRS_AUTH_XAPI)
                lrs_resp_header(r, "WWW-Authenticate", "Basic realm=\"scolar xAPI\"");
            else /* security.md §7: no Basic challenge on admin routes (browsers cache it) */
                lrs_resp_header(r, "WWW-Authenticate", "ScolarKey realm=\"scolar-admin\"");
            lrs_reply_error(r, 401, authz ? "credentials refused" : "authorization required");
            return;
        }
        r->authed = 1;
        if (!lrs_scope_allowed(r->path, r->method, r->cred.scopes)) {
            lrs_reply_error(r, 403, "this credential's scopes do not allow %s %s", r->method,
                            r->path);
            return;
        }
    }
    if (!strncmp(r->path, "/api/", 5) && lrs_console_type_guard(r))
        return;
    hit->fn(r);
    if (!r->status)
        lrs_reply_error(r, 500, "handler produced no answer");
}

static void handle(struct mg_connection *conn, struct lrs_app *app, const struct lrs_route *rt,
                   int content)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    struct lrs_req r;
    int64_t t0 = sc_time_mono_us();

    memset(&r, 0, sizeof r);
    r.app = app;
    r.conn = conn;
    r.ri = ri;
    r.method = ri->request_method;
    r.path = ri->local_uri ? ri->local_uri : "/";
    r.query = ri->query_string ? ri->query_string : "";
    r.head = !strcmp(r.method, "HEAD");
    sc_buf_init(&r.hdrs, 64 * 1024);
    /* room for the usual headers up front: adding them to an answer after a committed write
     * then needs no allocation that could fail (hdrs_complete drops a header that did) */
    int no_room = sc_buf_reserve(&r.hdrs, 1024) != SC_BUF_OK;
    r.is_xapi = !content && !strncmp(r.path, "/xapi/", 6);
    lrs_client_addr(&app->cfg, ri->remote_addr, lrs_req_header(&r, "X-Forwarded-For"), r.client,
                    sizeof r.client);
    {
        /* a request id for the access line and the answer's X-Request-Id: the process's start
         * time and a counter, unique over restarts, unguessable it need not be */
        static atomic_ullong next;
        unsigned long long n = atomic_fetch_add(&next, 1);
        snprintf(r.request_id, sizeof r.request_id, "%08llx%08llx",
                 (unsigned long long)(app->started_us / 1000000) & 0xffffffffULL,
                 n & 0xffffffffULL);
        lrs_resp_header(&r, "X-Request-Id", "%s", r.request_id);
    }
    /* xAPI pre-checks (preflight, version header) may answer the request themselves. */
    if (no_room) {
        static const char busy[] = "{\"error\":true,\"status\":503,\"message\":\"out of "
                                   "memory: request not handled, retry\"}";
        lrs_reply(&r, 503, "application/json", busy, sizeof busy - 1);
    } else if (!r.is_xapi || (lrs_altsyntax_apply(&r) == 0 && lrs_xapi_pre(&r) == 0)) {
        dispatch(&r, rt);
    }
    lrs_guard_request_done(&r);
    lrs_metrics_request(r.route, content, r.status, sc_time_mono_us() - t0);
    lrs_log_access(content ? "content" : "api", r.method, r.path, r.status, r.bytes_out,
                   (long long)(sc_time_mono_us() - t0), r.client, r.request_id);
    lrs_params_free(r.params, r.nparams);
    lrs_params_free(r.alt_hdrs, r.nalt_hdrs);
    sc_buf_free(&r.body);
    sc_buf_free(&r.hdrs);
    lrs_cred_clear(&r.cred);
}

/*
 * Big stacks. Debian builds civetweb with its CMake default CIVETWEB_THREAD_STACK_SIZE of
 * 102400 bytes per worker: too small for libxml2, libzip, OpenSSL and a recursive cJSON parse
 * (ASan found a stack overflow in the import path). Each civetweb worker therefore runs its
 * requests on a fiber of its own: an 8 MiB stack (mmap'd with a guard page, touched pages only
 * cost memory) entered with swapcontext(3) on the worker's own thread. Unlike a companion
 * thread this costs no futex hand-off and no scheduler round trip per request (two
 * sigprocmask calls instead), which matters on a small machine where every wake-up waits for
 * a core. The fiber is made on the worker's first request and unmapped when the worker exits
 * (thread-specific data destructor). Under ASan the switches are announced with
 * __sanitizer_start/finish_switch_fiber so that stack checks follow the fiber.
 */
#define LRS_STACK_SIZE (8u << 20)

#if defined(__SANITIZE_ADDRESS__)
#define LRS_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LRS_ASAN_FIBERS 1
#endif
#endif
#ifdef LRS_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

struct fiber {
    ucontext_t caller, self;
    unsigned char *map; /* guard page + stack */
    size_t map_len;
    struct mg_connection *conn;
    struct lrs_app *app;
    const struct lrs_route *routes;
    int content;
#ifdef LRS_ASAN_FIBERS
    const void *caller_bottom;
    size_t caller_size;
#endif
};

static pthread_key_t fiber_key;
static pthread_once_t fiber_once = PTHREAD_ONCE_INIT;
static _Thread_local struct fiber *fiber_boot; /* makecontext passes only ints */

static void fiber_main(void)
{
    struct fiber *f = fiber_boot;
#ifdef LRS_ASAN_FIBERS
    void *fake = NULL;
#endif
    for (;;) {
#ifdef LRS_ASAN_FIBERS
        __sanitizer_finish_switch_fiber(fake, &f->caller_bottom, &f->caller_size);
#endif
        handle(f->conn, f->app, f->routes, f->content);
#ifdef LRS_ASAN_FIBERS
        __sanitizer_start_switch_fiber(&fake, f->caller_bottom, f->caller_size);
#endif
        swapcontext(&f->self, &f->caller);
    }
}

/* Runs at worker exit: the fiber is parked between requests and owns nothing but its stack. */
static void fiber_destroy(void *arg)
{
    struct fiber *f = arg;
    munmap(f->map, f->map_len);
    sc_free(f);
}

static void fiber_key_init(void)
{
    pthread_key_create(&fiber_key, fiber_destroy);
}

static struct fiber *fiber_get(void)
{
    struct fiber *f;
    long page = sysconf(_SC_PAGESIZE);
    pthread_once(&fiber_once, fiber_key_init);
    f = pthread_getspecific(fiber_key);
    if (f)
        return f;
    f = sc_calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->map_len = LRS_STACK_SIZE + (size_t)page;
    f->map = mmap(NULL, f->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (f->map == MAP_FAILED) {
        sc_free(f);
        return NULL;
    }
    /* the stack grows down: an overflow hits the inaccessible lowest page, not the heap */
    if (mprotect(f->map, (size_t)page, PROT_NONE) != 0 || getcontext(&f->self) != 0) {
        munmap(f->map, f->map_len);
        sc_free(f);
        return NULL;
    }
    f->self.uc_stack.ss_sp = f->map + page;
    f->self.uc_stack.ss_size = LRS_STACK_SIZE;
    f->self.uc_link = NULL; /* fiber_main never returns */
    fiber_boot = f;
    makecontext(&f->self, fiber_main, 0);
    pthread_setspecific(fiber_key, f);
    return f;
}

static void handle_on_big_stack(struct mg_connection *conn, struct lrs_app *app,
                                const struct lrs_route *routes, int content)
{
    struct fiber *f = fiber_get();
#ifdef LRS_ASAN_FIBERS
    void *fake = NULL;
#endif
    if (!f) {
        lrs_log(LRS_LOG_WARN, "no fiber stack: handling on the civetweb stack");
        handle(conn, app, routes, content);
        return;
    }
    f->conn = conn;
    f->app = app;
    f->routes = routes;
    f->content = content;
#ifdef LRS_ASAN_FIBERS
    __sanitizer_start_switch_fiber(&fake, f->self.uc_stack.ss_sp, f->self.uc_stack.ss_size);
#endif
    swapcontext(&f->caller, &f->self);
#ifdef LRS_ASAN_FIBERS
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

static int api_handler(struct mg_connection *conn, void *cbdata)
{
    struct lrs_app *app = cbdata;
    handle_on_big_stack(conn, app, lrs_api_routes, 0);
    return 1;
}

static int content_handler(struct mg_connection *conn, void *cbdata)
{
    struct lrs_app *app = cbdata;
    handle_on_big_stack(conn, app, lrs_content_routes, 1);
    return 1;
}

static int log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    /* OpenSSL's reason when a plain HTTP request reaches a TLS port: the connection is closed */
    lrs_log(LRS_LOG_WARN, "civetweb: %s%s", message,
            strstr(message, "SSL routines::http request") ? " (plain HTTP sent to the HTTPS port)"
                                                          : "");
    return 1;
}

/* --tls-cert/--tls-key: lrs_tls.c sets up civetweb's SSL_CTX */
static int init_ssl(void *ssl_ctx, void *user_data)
{
    (void)user_data;
    return lrs_tls_setup_ctx(ssl_ctx);
}

/*
 * civetweb takes handlers only once a context runs (mg_set_request_handler after mg_start2),
 * and a context answers from the moment its master thread starts, inside mg_start2: a request
 * in between got civetweb's own "404 Not Found" (shown with gdb in non-stop mode, the main
 * thread held before the content origin's handler was set). The content origin starts after
 * the API origin answers /healthz, and a client that connected while its workers were being
 * created is served as soon as the master thread starts: under load that was test_runtime_http's
 * "GET /player → 404 right after start". So requests wait in begin_request until both origins
 * have their handler (bounded: 10 s).
 */
static atomic_int handlers_ready;

static int begin_request(struct mg_connection *conn)
{
    for (int i = 0; i < 10000 && !atomic_load(&handlers_ready); i++)
        usleep(1000);
    return lrs_guard_begin_request(conn);
}

static struct mg_context *start_ctx(struct lrs_app *app, const char *listen_addr, int threads,
                                    mg_request_handler h, char *err, size_t errlen)
{
    char threads_s[16], timeout_s[16], listen[300];
    int tls = app->cfg.tls_cert[0] != 0;
    unsigned code = 0;
    char text[256] = "";
    struct mg_error_data e = {&code, text, sizeof text};
    struct mg_callbacks cb;
    struct mg_init_data init;
    struct mg_context *ctx;

    /* civetweb's port syntax: a trailing 's' makes the listener TLS */
    snprintf(listen, sizeof listen, "%s%s", listen_addr, tls ? "s" : "");
    snprintf(threads_s, sizeof threads_s, "%d", threads);
    snprintf(timeout_s, sizeof timeout_s, "%d", app->cfg.request_timeout_ms);
    /* civetweb keeps a worker on a kept-alive connection until the client sends again or the
     * keep-alive timeout passes, so idle browsers hold workers: with more open connections than
     * workers, new ones wait in the queue for that timeout (found with 50 learners committing
     * on 48 workers: p99 4.3 s). Hence many cheap workers (their big stacks are fibers that
     * cost only the pages they touch). The timeout is announced in a Keep-Alive header
     * (lrs_reply_head) so that clients close first: a client reusing a connection the server
     * is closing at that moment sees "other side closed" (undici's default is 4 s). */
    const char *opts[] = {"listening_ports", listen, "num_threads", threads_s, "request_timeout_ms",
                          timeout_s, "enable_keep_alive", "yes", "keep_alive_timeout_ms",
                          LRS_KEEP_ALIVE_MS, "access_control_allow_methods", "",
                          "enable_directory_listing", "no", "decode_url", "yes",
                          /* without it Nagle + delayed ACK add ~40 ms to small answers */
                          "tcp_nodelay", "1",
                          /* TLS 1.2 and newer only (4: SSL2, SSL3, TLS1.0, TLS1.1 off) */
                          tls ? "ssl_protocol_version" : NULL, "4", NULL};
    memset(&cb, 0, sizeof cb);
    cb.begin_request = begin_request;
    cb.log_message = log_message;
    cb.connection_close = lrs_guard_conn_closed;
    if (tls)
        cb.init_ssl = init_ssl;
    init.callbacks = &cb;
    init.user_data = app;
    init.configuration_options = opts;
    ctx = mg_start2(&init, &e);
    if (!ctx) {
        snprintf(err, errlen, "cannot listen on %s: %s", listen, text[0] ? text : "failed");
        return NULL;
    }
    mg_set_request_handler(ctx, "/", h, app);
    return ctx;
}

int lrs_server_start(struct lrs_app *app, char *err, size_t errlen)
{
    atomic_store(&handlers_ready, 0);
    if (lrs_guard_start(app, err, errlen))
        return -1;
    /* 2: MG_FEATURES_TLS. civetweb 1.15 answers without it when it cannot load OpenSSL, and
     * would then start TLS listeners anyway and crash at the first handshake (lrs_tls_shim.c) */
    if (!(mg_init_library(app->cfg.tls_cert[0] ? 2 : 0) & 2) && app->cfg.tls_cert[0]) {
        snprintf(err, errlen, "--tls-cert: civetweb cannot load OpenSSL (libssl.so)");
        mg_exit_library();
        goto fail;
    }
    app->ctx = start_ctx(app, app->cfg.listen, app->cfg.threads, api_handler, err, errlen);
    if (!app->ctx)
        goto fail;
    /* keep-alive holds a worker per open connection: the content origin serves every
     * learner's player and commits, so it gets as many workers as the API origin */
    app->content_ctx =
        start_ctx(app, app->cfg.content_listen, app->cfg.threads, content_handler, err, errlen);
    if (!app->content_ctx) {
        atomic_store(&handlers_ready, 1); /* nothing to wait for: the API origin stops */
        mg_stop(app->ctx);
        app->ctx = NULL;
        goto fail;
    }
    atomic_store(&handlers_ready, 1);
    return 0;
fail:
    lrs_guard_stop();
    return -1;
}

/*
 * Stopping. mg_stop sets civetweb's stop flag, then waits for its master thread, which only
 * looks at the flag when its poll of the listeners returns: after a connection, or after
 * SOCKET_TIMEOUT_QUANTUM (2 s in civetweb 1.15). Stopped one after the other, the two origins
 * took 4 s on an idle server. So both stop at once, each in a thread of its own, and this
 * thread knocks on their listening ports (a connection opened and closed) until both are
 * down: the master threads wake at once. A listener bound to an address that the knock
 * cannot reach still stops, after the quantum.
 */
struct stopper {
    struct mg_context *ctx;
    pthread_t thread;
    int started, port;
    atomic_int done;
};

static void *stopper_main(void *arg)
{
    struct stopper *s = arg;
    mg_stop(s->ctx);
    atomic_store(&s->done, 1);
    return NULL;
}

static void knock(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)connect(fd, (struct sockaddr *)&a, sizeof a); /* in progress is enough */
    close(fd);
}

void lrs_server_stop(struct lrs_app *app)
{
    struct stopper st[2];
    struct mg_context *ctxs[2] = {app->content_ctx, app->ctx};
    /* mg_stop closes the listeners and waits for the workers: in-flight requests finish. */
    memset(st, 0, sizeof st);
    for (int i = 0; i < 2; i++) {
        struct mg_server_port ports[4];
        if (!ctxs[i])
            continue;
        st[i].ctx = ctxs[i];
        if (mg_get_server_ports(ctxs[i], 4, ports) > 0)
            st[i].port = ports[0].port;
        atomic_init(&st[i].done, 0);
        st[i].started = pthread_create(&st[i].thread, NULL, stopper_main, &st[i]) == 0;
        if (!st[i].started)
            mg_stop(ctxs[i]); /* no thread: the slow way */
    }
    for (;;) {
        int pending = 0;
        for (int i = 0; i < 2; i++)
            if (st[i].started && !atomic_load(&st[i].done)) {
                pending = 1;
                if (st[i].port > 0)
                    knock(st[i].port);
            }
        if (!pending)
            break;
        usleep(20 * 1000);
    }
    for (int i = 0; i < 2; i++)
        if (st[i].started)
            pthread_join(st[i].thread, NULL);
    app->ctx = app->content_ctx = NULL;
    mg_exit_library();
    lrs_guard_stop();
}
