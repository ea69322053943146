/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to `scolar migrate` (cmd_migrate.c, mig_http.c): the run's state, its HTTP requests
 * with retries, the parsing of a statements answer, and the page fetcher of --from, a thread
 * that GETs and parses the next pages while the caller stores the current one.
 */
#ifndef LRS_MIG_H
#define LRS_MIG_H

#include "common/sc_buf.h"
#include "lrs/lrs_multipart.h"
#include "statements/stmt_db.h"
#include "statements/stmt_store.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>

#define MIG_BODY_MAX (1024u << 20)

struct mig_seen {
    uint64_t *v; /* open addressing, 0 = empty */
    size_t cap, n;
};

struct mig {
    struct stmt_db *db;
    struct stmt_store *st;
    CURL *c;
    char endpoint[2100];
    char authz[1000];
    char ckey[1 + 64 + 1];
    int docs, bar;
    int lenient_said; /* the malformed-multipart notice was printed (atomic) */
    const char *xver; /* X-Experience-API-Version of the requests (NULL: 1.0.3) */
    int64_t t0, last_bar;
    struct mig_seen seen;
    /* summary */
    size_t fetched, stored, dup, voided, attach, ndocs, refused, pages;
    int64_t wait_us, store_us; /* --from: getting the next page (GET, parse, validation, or the
                                * wait for the fetcher thread); storing it */
};

struct mig_resp {
    struct sc_buf body;
    char ctype[256];
    long status;
    size_t hint; /* expected body size: reserved before the transfer */
};

/** One request over c with retries on transport errors, 429 and 5xx (backoff). 0 with
 *  r->status set, or -1 (printed). r->body is reset first. */
int mig__http(struct mig *m, CURL *c, const char *method, const char *url, const char *body,
              size_t blen, const char *ctype, struct mig_resp *r);

/** A statements answer: JSON, or multipart/mixed with the JSON first (Comm 2.1.3). The
 *  attachment parts (*parts[1..*np), pointing into r->body) are the caller's to free with
 *  sc_free; *np is 0 for a JSON answer. NULL when unreadable. */
cJSON *mig__parse_answer(struct mig *m, struct mig_resp *r, struct lrs_part **parts, size_t *np);

/** The stmt_validate flags of a statement read from another LRS: an id required, and the
 *  rules of its version (2.0.x: STMT_VALIDATE_V2). */
unsigned mig__vflags(const cJSON *s);

/** A `more` link (relative to the endpoint) as an absolute URL. 0 or -1. */
int mig__resolve_more(struct mig *m, const char *more, char *out, size_t outlen);

/** A page of --from: the answer, its StatementResult (valid statements only), attachments, and
 *  the next page's URL. */
struct mig_page {
    struct mig_resp r;
    cJSON *doc;             /* the StatementResult (an object with a "statements" array) */
    struct lrs_part *parts; /* parts[1..np): attachments of a multipart answer */
    size_t np;
    char url[4096];
    char next[4096]; /* the resolved `more` URL; "" on the last page */
    int failed;      /* the GET or the parse failed (said on stderr) */
    size_t refused;  /* statements that failed validation (said, and left out of doc) */
};

#define MIG_FETCH_AHEAD 2 /* pages fetched and parsed ahead of the one being stored */

struct mig_fetcher {
    struct mig *m;
    CURL *c;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct mig_page *q[MIG_FETCH_AHEAD];
    size_t head, n;
    struct mig_page *spare[MIG_FETCH_AHEAD + 1]; /* pages given back, their buffers kept */
    size_t nspare;
    int stop, started;
    int sync;       /* SCOLAR_MIGRATE_THREAD=0: pages fetched on the caller's thread, on demand */
    char url[4096]; /* the next page to fetch */
    size_t hint;    /* the last answer's size */
};

/** Start fetching from url (the first page), following `more`. 0 or -1. */
int mig__fetch_start(struct mig_fetcher *f, struct mig *m, const char *url);
/** The next page, in order (blocks); NULL when out of memory. A page with failed set is the
 *  last one the fetcher gives. Free with mig__page_free. */
struct mig_page *mig__fetch_next(struct mig_fetcher *f);
void mig__page_free(struct mig_page *p);
/** A page the caller is done with, given back to f: its answer buffer is used again for a later
 *  page (a page is half a megabyte: allocating it each time costs more than parsing it). */
void mig__page_done(struct mig_fetcher *f, struct mig_page *p);
/** Stop the thread (a request in flight is finished or times out) and free what is queued. */
void mig__fetch_stop(struct mig_fetcher *f);

#endif
