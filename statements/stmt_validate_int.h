/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the statement validator (stmt_validate*.c): the walk state, which keeps the
 * JSON path of where it is and reports the first violation in the caller's stmt_diag, and
 * the checks the files share. Every check returns STMT_OK or STMT_ERR_INVALID (diag set).
 */
#ifndef STMT_VALIDATE_INT_H
#define STMT_VALIDATE_INT_H

#include <stddef.h>

#include "statements/stmt_validate.h"

struct stmt__vwalk {
    struct stmt_diag *diag;
    int v2; /* STMT_VALIDATE_V2: the rules of IEEE 9274.1.1 (xAPI 2.0) */
    char path[256];
    size_t plen;
};
/* ---- the walk (stmt_validate_walk.c) ---- */
/* Append to the path; returns the old length for stmt__v_pop. */
size_t stmt__v_push(struct stmt__vwalk *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void stmt__v_pop(struct stmt__vwalk *v, size_t old);
/* Report a violation at the current path (fail_at: at its member `key`). */
int stmt__v_fail(struct stmt__vwalk *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int stmt__v_fail_at(struct stmt__vwalk *v, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const cJSON *stmt__v_get(const cJSON *o, const char *key);
/* 1 when key is one of the NULL-terminated list */
int stmt__v_in_list(const char *key, const char *const *list);
int stmt__v_check_keys(struct stmt__vwalk *v, const cJSON *o, const char *const *allowed,
                       const char *what, const char *sec);
int stmt__v_expect_object(struct stmt__vwalk *v, const cJSON *j, const char *what, const char *sec);
int stmt__v_opt_str(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                    const char **out);
int stmt__v_req_str(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                    const char **out);
int stmt__v_opt_iri(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                    int required);
int stmt__v_opt_uuid(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                     int required);
int stmt__v_opt_bool(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec);
int stmt__v_lang_map(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *sec,
                     int required);
int stmt__v_extensions(struct stmt__vwalk *v, const cJSON *o, const char *sec);
/* 1 when s is exactly n hex digits */
int stmt__v_is_hex_str(const char *s, size_t n);
/* Check member `key` of o, when present, with fn (it must be an object). */
int stmt__v_member_obj(struct stmt__vwalk *v, const cJSON *o, const char *key, const char *what,
                       const char *sec, int (*fn)(struct stmt__vwalk *, const cJSON *));

/* ---- actors, verb, activity, statement reference (stmt_validate_object.c) ---- */
int stmt__v_agent(struct stmt__vwalk *v, const cJSON *o);
/* *nmembers gets the member count (for authority). */
int stmt__v_group(struct stmt__vwalk *v, const cJSON *o, int *nmembers);
int stmt__v_actor(struct stmt__vwalk *v, const cJSON *o);
int stmt__v_verb(struct stmt__vwalk *v, const cJSON *o);
int stmt__v_activity(struct stmt__vwalk *v, const cJSON *o);
int stmt__v_statement_ref(struct stmt__vwalk *v, const cJSON *o);

#endif
