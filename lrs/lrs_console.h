/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The web console's server side (issue 13), private to lrs/: the embedded console files,
 * console sessions (cookie sign-in with a CSRF token), console users, and the guards every
 * /api/ request passes (Origin and Content-Type, issue 15).
 */
#ifndef LRS_CONSOLE_H
#define LRS_CONSOLE_H

#include "lrs/lrs.h"

#include <stdint.h>

#define LRS_SESSION_COOKIE "scolar_session"
#define LRS_SESSION_IDLE_S 1800 /* default idle expiry (SCOLAR_SESSION_IDLE) */
#define LRS_CSRF_HEADER "X-CSRF-Token"
#define LRS_USER_MIN_PASSWORD 10
#define LRS_USER_MAX_NAME 64

/* ---- guards and sessions (lrs_session.c) ----------------------------------------------- */

/**
 * Runs in dispatch before authentication for every /api/ request: a request whose Origin
 * header names another origin than the API origin's own is refused (403; issue 15). Non-zero
 * when it has answered.
 */
int lrs_console_origin_guard(struct lrs_req *r);
/**
 * Runs in dispatch after authentication for every /api/ request: a POST/PUT/PATCH with a body
 * must declare application/json (uploads to POST /api/courses: application/zip,
 * application/octet-stream or multipart/form-data), else 415. Non-zero when it has answered.
 */
int lrs_console_type_guard(struct lrs_req *r);
/**
 * Authenticate an admin request by the session cookie (dispatch, LRS_AUTH_ADMIN routes, when
 * the request has no Authorization header). 1: authenticated, r->cred filled (scopes of the
 * credential, or admin for a console user); 0: no session cookie; -1: answered (401 unknown or
 * expired session, 403 missing or wrong X-CSRF-Token on a non-GET/HEAD request).
 */
int lrs_session_auth(struct lrs_req *r);
/** Idle expiry in seconds (SCOLAR_SESSION_IDLE, else LRS_SESSION_IDLE_S). */
int64_t lrs_session_idle_s(void);
/** Delete every session of a console user or credential (kind "user"/"credential"). */
void lrs_session_drop_all(struct stmt_db *db, const char *kind, const char *name);
/** The same inside the caller's write transaction t (one write: the user and its sessions go
 *  together). 0 or a stmt_db error (then the caller aborts t). */
int lrs_session_drop_all_txn(struct stmt_db_txn *t, const char *kind, const char *name);
/** The headers of every console page: CSP, X-Frame-Options, Referrer-Policy. */
void lrs_console_headers(struct lrs_req *r);

/** The paging parameters of a console list: q (NULL when absent), offset (default 0) and
 *  limit (default 50, at most 500). 0, or -1 after answering 400. */
int lrs_page_params(struct lrs_req *r, const char **q, size_t *offset, size_t *limit);

void lrs_route_session(struct lrs_req *r);  /* /api/session */
void lrs_route_console(struct lrs_req *r);  /* GET / and /web/<file> (route_console.c) */
void lrs_route_favicon(struct lrs_req *r);  /* GET /favicon.ico, both origins */
void lrs_route_users(struct lrs_req *r);    /* /api/users (lrs_users.c) */
void lrs_route_learners(struct lrs_req *r); /* /api/learners (route_learners.c) */

/* ---- console users (lrs_users.c) -------------------------------------------------------- */

/* the errors of lrs_user_create; lrs_status(LRS_ERRS_USER, code) is their HTTP status */
enum lrs_user_err {
    LRS_USER_ERR_NAME = -1,     /* not a valid user name */
    LRS_USER_ERR_PASSWORD = -2, /* too short or too long */
    LRS_USER_ERR_EXISTS = -3,   /* a user of that name exists */
    LRS_USER_ERR_STORE = -4,    /* out of memory, hashing or storage */
};
/** Create user `name` (1..64 of [A-Za-z0-9._@-]) with `password` (>= 10 characters), stored as
 *  a salted PBKDF2-HMAC-SHA-256 hash. 0 or an enum lrs_user_err; err (may be NULL) gets a
 *  sentence. */
int lrs_user_create(struct stmt_db *db, const char *name, const char *password, char *err,
                    size_t errlen);
/** 0, STMT_DB_NOTFOUND, or another stmt_db error (then nothing changed). The user's sessions
 *  end in the same transaction. */
int lrs_user_delete(struct stmt_db *db, const char *name);
/** Owned array [{name, created}] sorted by name, or NULL. */
cJSON *lrs_user_list(struct stmt_db *db);
/** 0 when the user exists and the password is right, else -1. The same PBKDF2 work is done
 *  for an unknown user (a dummy hash), so the answer time does not tell whether it exists. */
int lrs_user_verify(struct stmt_db *db, const char *name, const char *password);
/** 1 when the user exists, 0 when not, -1 when the store cannot tell (out of memory). */
int lrs_user_exists(struct stmt_db *db, const char *name);

/** CLI: `scolar user create|list|delete` (cmd_user.c). */
int lrs_cmd_user(int argc, char **argv);

#endif
