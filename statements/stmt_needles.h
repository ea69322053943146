/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to statements/: the confirmation of one filter term of a statement query (Comm
 * 2.1.3 agent, verb, activity, registration, related_*) against a record's JSON. The index
 * finds candidates by the term's hash (stmt__term_hash); a candidate is confirmed when the JSON
 * string literals of the term (the IRI, the IFI's value, or an account's homePage and name)
 * occur in its text, printed with the escaping of the stored record. Used by the statement
 * query (stmt_query.c) and the forwarding filters (stmt_outbox.c).
 */
#ifndef STMT_NEEDLES_H
#define STMT_NEEDLES_H

#include <stddef.h>
#include <stdint.h>

struct stmt__needles {
    char *s[2]; /* JSON string literals that must occur in the record (cJSON_free) */
    size_t len[2];
    int n;
    int ci; /* compared case-insensitively (registration UUIDs) */
};

/** The needles and hash of a term of kind STMT_TERM_* with value as the index stores it (an
 *  agent as its IFI key "mbox:...", "account:home\x1fname"); a registration is checked as a
 *  UUID and taken in lower case. nd is zeroed first; free with stmt__needles_free even on
 *  failure. STMT_STORE_OK, STMT_STORE_ERR_ARG or STMT_STORE_ERR_NOMEM. */
int stmt__needles_init(struct stmt__needles *nd, char kind, const char *value, uint64_t *hash);
void stmt__needles_free(struct stmt__needles *nd);
/** 1 when a record (stmt_store_int.h: nterms sorted term hashes after STMT_REC_HDR) holds
 *  term, else 0. */
int stmt__rec_has_term(const unsigned char *rec, size_t nterms, uint64_t term);
/** 1 when every needle occurs in json[0..jl), else 0. */
int stmt__needles_in(const struct stmt__needles *nd, const char *json, size_t jl);

#endif
