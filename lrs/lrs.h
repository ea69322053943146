/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lrs/: the application. This header is private to lrs/ (the top of the dependency graph:
 * nothing includes it from another module). It declares the shared application state, the
 * request/response helpers every route uses, logging, configuration and credentials.
 */
#ifndef LRS_H
#define LRS_H

#include "common/sc_buf.h"
#include "statements/stmt_db.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct mg_connection;
struct mg_request_info;
struct stmt_store;

/* ---- logging (lrs_log.c) --------------------------------------------------------------- */
enum lrs_log_level { LRS_LOG_DEBUG, LRS_LOG_INFO, LRS_LOG_WARN, LRS_LOG_ERROR };
void lrs_log_set_level(enum lrs_log_level lvl);
/** One line to stderr with a timestamp; never pass credentials or whole statements. */
void lrs_log(enum lrs_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Lines as JSON objects (--log-format json: {"time","level","msg"}, access lines with fields)
 *  instead of "TIME LEVEL message". */
void lrs_log_set_json(int on);
/** The access line of one request: path without its query (launch tokens travel there). */
void lrs_log_access(const char *origin, const char *method, const char *path, int status,
                    size_t bytes, long long us, const char *client, const char *request_id);

/* ---- configuration (lrs_config.c) ------------------------------------------------------ */
#define LRS_MAX_THREADS 4096
/* this program, for starting its own worker processes (package imports) */
#define LRS_SELF_EXE "/proc/self/exe"
struct lrs_config {
    char data_dir[1024];
    char store[1024];         /* --store: a PostgreSQL URL (issue 19), or "" for LMDB in data_dir */
    char listen[256];         /* HOST:PORT of the LMS/API origin */
    char content_listen[256]; /* HOST:PORT of the content origin (player, packages) */
    char public_url[300];     /* how clients reach `listen` (for printed and launch URLs) */
    char content_url[300];    /* how browsers reach `content_listen` */
    size_t max_body;          /* request body cap, bytes (413 past it) */
    size_t max_upload;        /* course upload cap, bytes */
    int threads;              /* civetweb worker threads per origin */
    int max_conn_per_addr;    /* open connections per client address over both origins; 0: any */
    int request_timeout_ms;   /* headers' overall deadline, and the longest wait of one read */
    int body_grace_ms;        /* a body may take this long plus 1 s per 1000 bytes received */
    int log_level;
    char cors_origins[1024];    /* "*" or a comma-separated list for /xapi/ */
    size_t max_doc;             /* xAPI document (State, profiles) cap, bytes (413 past it) */
    char tls_cert[1024];        /* PEM certificate (chain): both origins serve HTTPS when set */
    char tls_key[1024];         /* PEM private key (default: in tls_cert) */
    char trusted_proxies[1024]; /* comma-separated addresses whose X-Forwarded-For is believed */
    int log_json;               /* --log-format json */
};
void lrs_config_defaults(struct lrs_config *c);
/** Apply SCOLAR_* environment variables (flags are applied after, so they win). */
void lrs_config_from_env(struct lrs_config *c);
/** Public and content URLs default to http(s)://<listen> and http(s)://<content listen> when
 *  unset (https when a TLS certificate is configured). */
void lrs_config_urls(struct lrs_config *c);
/** Check the settings that flags and env cannot check one by one (URLs, TLS files, proxies).
 *  0, or -1 naming the setting and the rule in err. */
int lrs_config_validate(const struct lrs_config *c, char *err, size_t errlen);
/** Read a configuration file (--config, SCOLAR_CONFIG; docs/configuration.md): lines "key =
 *  value", '#' comments; every key is a flag's name and stands for the environment variable
 *  SCOLAR_<KEY> (upper case, '-' as '_'), which it sets unless the environment already has it.
 *  0, or -1 naming the file, line and rule in err. `apply` 0 only checks. */
int lrs_config_file(const char *path, int apply, char *err, size_t errlen);
/* ---- TLS (lrs_tls.c) -------------------------------------------------------------------- */
/** Before the servers start (and before the data directory is touched): reads c->tls_cert and
 *  c->tls_key (default: tls_cert) and loads what civetweb needs to use OpenSSL 3. 0, or -1 with
 *  err naming the file and the reason. */
int lrs_tls_open(const struct lrs_config *c, char *err, size_t errlen);
/** civetweb's init_ssl callback: TLS 1.2+, the certificate callback. 1 (ready) or -1. */
int lrs_tls_setup_ctx(void *ssl_ctx);
/** Reads the certificate and key files again (SIGHUP): new connections get them. 0, or -1 with
 *  err set (the pair in use is kept). */
int lrs_tls_reload(char *err, size_t errlen);
/** After the servers stopped. */
void lrs_tls_close(void);
/** The client's address: remote, or when remote is a trusted proxy the nearest address of
 *  X-Forwarded-For (`xff`, may be NULL) that is not a trusted proxy. */
void lrs_client_addr(const struct lrs_config *c, const char *remote, const char *xff, char *out,
                     size_t n);

/* ---- credentials (lrs_auth.c) ---------------------------------------------------------- */
enum lrs_scope {
    LRS_SCOPE_STATEMENTS_WRITE = 1u << 0,
    LRS_SCOPE_STATEMENTS_READ = 1u << 1,
    LRS_SCOPE_STATEMENTS_READ_MINE = 1u << 2,
    LRS_SCOPE_ALL_READ = 1u << 3,
    LRS_SCOPE_ALL = 1u << 4,
    LRS_SCOPE_STATE = 1u << 5,
    LRS_SCOPE_DEFINE = 1u << 6,
    LRS_SCOPE_PROFILE = 1u << 7,
    LRS_SCOPE_ADMIN = 1u << 8, /* the /api/ admin surface */
};

/* account.homePage of the Agent that stands for a credential as statement authority */
#define LRS_AUTHORITY_HOME "urn:scolar:credential"

struct lrs_cred {
    char key[80];
    char name[128];
    unsigned scopes;
    char *authority;       /* owned JSON text of the Agent used as statement authority */
    char cmi5_session[40]; /* a cmi5 AU session's auth token (route_cmi5.c), else "" */
};

/** Parse "all,statements/write,..." into scope bits; -1 naming the bad token in err. */
int lrs_scopes_parse(const char *s, unsigned *out, char *err, size_t errlen);
/** JSON array of scope names (owned), NULL without memory (never a partial list). */
cJSON *lrs_scopes_json(unsigned scopes);
/** Create a credential; key/secret NULL → random. Returns 0 and fills the key and secret
 *  (secret only printed once: it is stored as a salted PBKDF2 hash). */
int lrs_cred_create(struct stmt_db *db, const char *name, unsigned scopes, const char *key,
                    const char *secret, char *key_out, size_t keylen, char *secret_out,
                    size_t secretlen);
int lrs_cred_revoke(struct stmt_db *db, const char *key);
/** Owned JSON array of {key,name,scopes,created,revoked} (no secrets). */
cJSON *lrs_cred_list(struct stmt_db *db);
/** Count of active credentials. */
int lrs_cred_count(struct stmt_db *db);
/** Verify an Authorization header value (Basic). 0 and fills *out (free with
 *  lrs_cred_clear) or -1. Successful verifications are cached in memory. */
int lrs_cred_verify_basic(struct stmt_db *db, const char *authz, struct lrs_cred *out);
#define LRS_AUTH_THROTTLED (-2)
/** The same, counting failures against the client address `addr` (may be NULL) and the key:
 *  LRS_AUTH_THROTTLED (answer 429) when either has failed too often lately and the secret is
 *  not one verified before. */
int lrs_cred_verify_from(struct stmt_db *db, const char *authz, const char *addr,
                         struct lrs_cred *out);
/* lrs_cred_verify_from/_basic: the credential could not be checked (out of memory, storage
 * error): answer 503, never 401, and count no failure against the key */
#define LRS_AUTH_UNAVAILABLE (-3)
void lrs_cred_clear(struct lrs_cred *c);
/** The one authorization check (lrs_auth.c SCOPE_TABLE): 1 when `scopes` allow `method` on
 *  `path` (GET/HEAD read, anything else writes), else 0. Unknown protected paths are closed. */
int lrs_scope_allowed(const char *path, const char *method, unsigned scopes);
/** Same table, for a decision that is not the request's own (e.g. learning definitions). */
int lrs_scope_may(unsigned scopes, const char *path, int write);
void lrs_auth_cache_flush(void);

/* ---- the application and requests (lrs_http.c) ---------------------------------------- */
struct scorm_rt;

struct lrs_app {
    struct lrs_config cfg;
    struct stmt_db *db;
    struct stmt_store *store;
    struct scorm_rt *rt;            /* SCORM run-time, NULL when it could not open */
    struct cmi5 *cmi5;              /* cmi5 LMS (route_cmi5.c), NULL when it could not open */
    char rt_error[512];             /* why rt is NULL */
    struct mg_context *ctx;         /* API origin */
    struct mg_context *content_ctx; /* content origin */
    int64_t started_us;
    struct lrs_fwd *fwd; /* forwarding and webhooks (fwd.h), NULL when not running */
};

struct lrs_param {
    char *name;  /* decoded, owned */
    char *value; /* decoded, owned */
};

struct lrs_req {
    struct lrs_app *app;
    struct mg_connection *conn;
    const struct mg_request_info *ri;
    const char *method;
    const char *path;  /* decoded path */
    const char *query; /* raw query string or "" */
    struct lrs_param *params;
    size_t nparams;
    struct sc_buf body;
    int body_done;
    struct lrs_cred cred;
    int authed;
    int is_xapi;
    int xver;           /* xAPI version the request is answered under: LRS_XAPI_* (lrs_xapi.c) */
    int head;           /* HEAD request: headers only */
    struct sc_buf hdrs; /* extra response headers, "Name: value\r\n" each */
    /* headers given as form fields by the Alternate Request Syntax (owned; lrs_altsyntax.c) */
    struct lrs_param *alt_hdrs;
    size_t nalt_hdrs;
    int status;
    size_t bytes_out;
    const char *route; /* the matched route's pattern (static), for metrics; NULL: none */
    char client[64];   /* client address (lrs_client_addr: X-Forwarded-For from a trusted proxy) */
    char request_id[20]; /* X-Request-Id of the answer and the access log line */
};

/** Read the whole body (in a loop, up to cfg.max_body or `cap` when non-zero).
 *  0 on success; 413 when over the cap; 400 on a read error. */
int lrs_req_read_body(struct lrs_req *r, size_t cap);
/** The body read by lrs_req_read_body as a JSON object, through the strict pre-scan of
 *  stmt_json.h. NULL after answering 400 (naming `what`, the JSON path and the rule) or 500;
 *  the tree is owned by the caller. */
cJSON *lrs_req_json(struct lrs_req *r, const char *what);
/** Request header (case-insensitive), or NULL. */
const char *lrs_req_header(struct lrs_req *r, const char *name);
/** Parse the query string into r->params (decoded). 0, 400 on bad encoding, 500 without
 *  memory (dispatch has parsed it before any route runs: a route sees 0 or 400). */
int lrs_req_parse_query(struct lrs_req *r);
/** First value of a query parameter (exact-case name), or NULL. */
const char *lrs_req_param(struct lrs_req *r, const char *name);

void lrs_resp_header(struct lrs_req *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lrs_reply(struct lrs_req *r, int status, const char *ctype, const void *body, size_t n);
/** Writes the status line, the standard headers, r->hdrs and Content-Length (when has_length)
 * in one write, with body (n bytes, may be NULL) after it unless r->head; larger bodies go in
 * a second write. For handlers that stream the body themselves (body NULL). Does not set
 * r->status. */
void lrs_reply_head(struct lrs_req *r, int status, const char *ctype, int has_length, size_t length,
                    const void *body, size_t n);
/** Prints j compactly (j is borrowed). */
void lrs_reply_json(struct lrs_req *r, int status, const cJSON *j);
/** Answer with a built buffer; a buffer whose building failed (sc_buf_error) is answered 500
 *  instead, so a truncated document never goes out with a success status. */
void lrs_reply_buf(struct lrs_req *r, int status, const char *ctype, const struct sc_buf *b);
/**
 * Members of an answer known only once a write is done (a launch URL, a token) are made before
 * it as strings of the right length, then filled in place and moved in with
 * cJSON_AddItemToObjectCS (a constant key): after the commit no allocation can fail, so a
 * stored record is always answered 2xx and whole. lrs_json_str_of_len: an owned string of n
 * 'x' (NULL without memory or past 2047); lrs_json_str_fill: 0 when item holds v (in place
 * when of the same length), -1 without memory.
 */
cJSON *lrs_json_str_of_len(size_t n);
int lrs_json_str_fill(cJSON *item, const char *v);
/** {"error": true, "status": N, "message": "..."} as JSON. */
void lrs_reply_error(struct lrs_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef void (*lrs_handler_fn)(struct lrs_req *r);

enum lrs_auth_kind { LRS_AUTH_NONE, LRS_AUTH_XAPI, LRS_AUTH_ADMIN };

struct lrs_route {
    const char *method; /* NULL = any */
    const char *path;   /* exact, or prefix when it ends with '*' */
    enum lrs_auth_kind auth;
    lrs_handler_fn fn;
};

extern const struct lrs_route lrs_api_routes[];     /* lrs_routes.c; ends with {0} */
extern const struct lrs_route lrs_content_routes[]; /* lrs_routes.c */

/** Decode an application/x-www-form-urlencoded string into owned params. 0, 400 (bad
 *  encoding) or 500 (out of memory). */
int lrs_params_parse(const char *qs, size_t len, struct lrs_param **out, size_t *nout);
void lrs_params_free(struct lrs_param *ps, size_t n);

/* ---- xAPI common behaviour (lrs_xapi.c) ------------------------------------------------ */
/* The versions one endpoint serves, chosen per request by X-Experience-API-Version (Comm 3.3;
 * xAPI 2.0 Comm 3.3, IEEE 9274.1.1). 0: not decided yet (answered as the client's last version). */
enum lrs_xapi_version { LRS_XAPI_NONE = 0, LRS_XAPI_1 = 1, LRS_XAPI_2 = 2 };
/** Parse a version header value: LRS_XAPI_1 for "1.0" / "1.0.x", LRS_XAPI_2 for "2.0" /
 *  "2.0.x", else LRS_XAPI_NONE. */
int lrs_xapi_version_parse(const char *v);
/** The version a response carries ("1.0.3" or "2.0.0"). */
const char *lrs_xapi_version_name(int xver);
/** Runs before routing for /xapi/: CORS preflight, X-Experience-API-Version check.
 *  Returns non-zero when it has answered the request. */
int lrs_xapi_pre(struct lrs_req *r);
/** Adds the headers every xAPI response carries (version, CORS, consistent-through). */
void lrs_xapi_headers(struct lrs_req *r);

int lrs_server_start(struct lrs_app *app, char *err, size_t errlen);
void lrs_server_stop(struct lrs_app *app);

/* ---- routes ---------------------------------------------------------------------------- */
void lrs_route_about(struct lrs_req *r);
void lrs_route_not_found(struct lrs_req *r);
void lrs_route_healthz(struct lrs_req *r);
/* ---- monitoring (lrs_metrics.c) -------------------------------------------------------- */
/** Count one answered request (route: a route table's static pattern, or NULL). */
void lrs_metrics_request(const char *route, int content, int status, int64_t us);
void lrs_route_metrics(struct lrs_req *r);
void lrs_route_readyz(struct lrs_req *r);
void lrs_route_credentials(struct lrs_req *r);
void lrs_route_statements(struct lrs_req *r);
void lrs_route_courses(struct lrs_req *r);
void lrs_route_state(struct lrs_req *r);            /* route_documents.c */
void lrs_route_activity_profile(struct lrs_req *r); /* route_documents.c */
void lrs_route_agent_profile(struct lrs_req *r);    /* route_documents.c */
void lrs_route_activities(struct lrs_req *r);       /* route_activities.c */
void lrs_route_agents(struct lrs_req *r);           /* route_activities.c */
/** Document size cap in bytes (cfg.max_doc, else SCOLAR_MAX_DOCUMENT, else 1 MiB). */
size_t lrs_doc_max(const struct lrs_app *app);
/** Validate the "agent" parameter (an Agent, not a Group) into its IFI; *agent_out (may be
 *  NULL) gets the owned parsed object. 0, or -1 after answering 400. */
int lrs_agent_param(struct lrs_req *r, const char *v, char *ifi, size_t ifilen, cJSON **agent_out);
/** 400 for a parameter not in the NULL-terminated `allowed` list or given twice: -1 after
 *  answering, else 0. */
int lrs_params_check(struct lrs_req *r, const char *const *allowed, const char *section);
/** After a successful statement write: merge Activity definitions and Agent names from
 *  `body` (a statement or an array) when the credential has `define` or `all`. */
void lrs_statements_learn(struct lrs_req *r, const cJSON *body);
/** Alternate Request Syntax (Comm 1.3, lrs_altsyntax.c): rewrites a POST ?method=X request
 *  in place (method, headers, parameters, body). Non-zero when it has answered (400). */
int lrs_altsyntax_apply(struct lrs_req *r);
/** The modules whose error codes lrs_status knows (their values overlap). */
enum lrs_errs {
    LRS_ERRS_DB,
    LRS_ERRS_STORE,
    LRS_ERRS_DOC,
    LRS_ERRS_SCORM,
    LRS_ERRS_RT,
    LRS_ERRS_USER
};
/** HTTP status for an error code of module mod (lrs_status.c: the program's one table); 200
 *  for 0. */
int lrs_status(enum lrs_errs mod, int code);
/** lrs_status(LRS_ERRS_SCORM, code): a scorm/ error code. */
int lrs_scorm_status(int code);
void lrs_route_registrations(struct lrs_req *r); /* route_registrations.c */
void lrs_route_navigation(struct lrs_req *r);    /* route_navigation.c: .../ID/navigation */

/* LRS_NAV_PLAYER: a SCORM 1.2 course, or a 2004 one without imsss:sequencing or whose tree the
 * engine cannot build, answers 200 {"sequencing": false} (the player keeps its tree order). */
#define LRS_NAV_PLAYER 1
/**
 * The navigation core (route_navigation.c) of POST /api/registrations/ID/navigation and
 * POST /player/<reg>/nav: body {"request", "target"?, "cmi"?} (borrowed); load the
 * registration's sequencing state, apply "cmi" (seq_tree_report), navigate (OP.1), save.
 * Returns the HTTP status: 200 with *answer (owned by the caller) set, else *answer is NULL
 * and emsg names the field and the rule.
 */
int lrs_navigation_run(struct lrs_app *app, const char *reg, const cJSON *body, int flags,
                       cJSON **answer, char *emsg, size_t elen);
void lrs_route_player(struct lrs_req *r); /* route_player.c: content origin */
/** route_player.c, also for cmi5 package files: the Content-Type of a package file by its
 *  extension (NULL when unknown: serve it as a download), and 1 when a package-relative path
 *  is safe (relative; no "", "." or ".." segment, backslash or control character). */
const char *lrs_content_mime(const char *path);
int lrs_content_path_ok(const char *p);
struct scorm_content;
/** route_player.c: RFC 9110 13.1.2, 1 when the If-None-Match list h names etag (weakly). */
int lrs_content_etag_listed(const char *h, const char *etag);
/** route_player.c: c's file to the client, whole or one Range (206/416), read in pieces. */
void lrs_content_send(struct lrs_req *r, struct scorm_content *c, const char *ctype);
void lrs_route_runtime(struct lrs_req *r);
void lrs_route_content(struct lrs_req *r);
/** Opens app->rt, the SCORM run-time, with runtime_js/ (player files, datamodel.json) over
 *  app->db, its statements going to app->store when set. 0, or -1 with app->rt_error set (and
 *  logged). Called by lrs_app_open before the HTTP server starts. */
int lrs_rt_open(struct lrs_app *app);
/** Closes app->rt and frees the player files; NULL-tolerant. Before the store closes. */
void lrs_rt_close(struct lrs_app *app);
/** app->rt (borrowed), or NULL with err set to why it is not open. */
struct scorm_rt *lrs_rt_get(struct lrs_app *app, char *err, size_t errlen);
/** lrs_status(LRS_ERRS_RT, code): a scorm_rt code. */
int lrs_rt_status(int code);
int lrs_cmd_registration(int argc, char **argv); /* cmd_registration.c: `scolar registration` */

/* ---- reports and export (route_reports.c, route_export.c, cmd_export.c) ---------------- */
struct stmt_query;
/** The xAPI statement query filters of r (agent, verb, activity, registration,
 *  related_activities, related_agents, since, until, limit, ascending; Comm 2.1.3) into *q
 *  (zeroed first; its strings borrow from r and ifi). 0, or -1 after answering 400 with a
 *  message naming the parameter. route_statements.c. */
int lrs_query_params(struct lrs_req *r, struct stmt_query *q, char *ifi, size_t ifilen);
void lrs_route_report_activity(struct lrs_req *r);    /* GET /api/reports/activity */
void lrs_route_report_course(struct lrs_req *r);      /* GET /api/reports/course */
void lrs_route_report_learner(struct lrs_req *r);     /* GET /api/reports/learner */
void lrs_route_export(struct lrs_req *r);             /* GET /api/export/statements */
void lrs_route_backup(struct lrs_req *r);             /* GET /api/backup (route_backup.c) */
void lrs_route_statements_console(struct lrs_req *r); /* GET /api/statements (console) */
int lrs_cmd_export(int argc, char **argv);            /* cmd_export.c: `scolar export` */
/** One CSV field (RFC 4180 quoting) and its separator: ',' or, when last, CRLF (lrs_csv.c).
 *  Non-zero when the buffer failed (it keeps its first error). */
int lrs_csv_field(struct sc_buf *b, const char *s, size_t n, int last);
int lrs_csv_str(struct sc_buf *b, const char *s, int last); /* s NUL-terminated, NULL = "" */
/** A number in the shortest %g form that reads back exactly (lrs_csv.c). */
void lrs_num_shortest(double d, char *out, size_t n);
/** Where an export writes: 0 to go on, non-zero when the reader is gone. */
typedef int (*lrs_export_sink)(void *ctx, const char *data, size_t n);
#define LRS_EXPORT_GONE 1                  /* lrs_export_run: the sink refused (client gone) */
extern const char LRS_EXPORT_CSV_HEADER[]; /* the CSV header line (docs/reports.md) */
/** Write every statement of query q (its limit and cursor ignored; max = at most that many, 0 =
 *  all) as JSON lines or CSV records to sink, page by page, one read transaction per page
 *  (route_export.c). *count (may be NULL) gets the number written. 0, LRS_EXPORT_GONE, or a
 *  stmt_store error code. */
int lrs_export_run(struct stmt_store *st, const struct stmt_query *q, int csv, size_t max,
                   lrs_export_sink sink, void *ctx, size_t *count);

/* ---- cmi5 (route_cmi5.c; the rules are scorm/cmi5.h) ------------------------------------ */
struct cmi5_plan;
int lrs_cmi5_open(struct lrs_app *app);
void lrs_cmi5_close(struct lrs_app *app);
/** dispatch: 1 when authz is a cmi5 session's auth token (r->cred filled), -1 when it is one
 *  that is refused (401), 0 when it is not one. */
int lrs_cmi5_auth(struct lrs_req *r, const char *authz);
/** Statements of a session (r->cred.cmi5_session): 0 with *extra (owned, the LMS's statements
 *  to store in the same batch), *plan and the records to write in the batch's transaction
 *  (*rows, borrowed from the plan), *at the index where *extra goes (after the statement that
 *  satisfied the AU), or -1 after answering 403 naming the rule. */
struct stmt_row;
int lrs_cmi5_statements(struct lrs_req *r, cJSON *const *stmts, size_t n, cJSON **extra,
                        struct cmi5_plan **plan, const struct stmt_row **rows, size_t *nrows,
                        size_t *at);
void lrs_cmi5_statements_done(struct lrs_req *r, struct cmi5_plan *plan, int stored);
/** Documents of a session: kind (enum stmt_doc_kind), id (NULL: all), the agent's IFI (NULL when
 *  none). 0, or -1 after answering. */
int lrs_cmi5_document(struct lrs_req *r, int kind, const char *id, const char *agent_ifi);
void lrs_cmi5_course_post(struct lrs_req *r, const void *buf, size_t len);
int lrs_cmi5_is_course(struct lrs_req *r, const char *id);
void lrs_cmi5_course(struct lrs_req *r, const char *id, const char *sub);
/** /api/registrations for cmi5: 1 when it answered, 0 when the request is not about cmi5. */
int lrs_cmi5_registrations(struct lrs_req *r);
void lrs_route_cmi5_api(struct lrs_req *r);     /* /api/cmi5/... */
void lrs_route_cmi5_fetch(struct lrs_req *r);   /* /cmi5/fetch/<session> */
void lrs_route_cmi5_content(struct lrs_req *r); /* content origin: /cmi5/content/... */
void lrs_route_cmi5_launch(struct lrs_req *r);  /* content origin: /cmi5/launch/... */

#endif
