/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `scolar migrate` over HTTP (issue 17): requests with retries, the statements answer (JSON or
 * multipart/mixed, Comm 2.1.3), and the page fetcher of --from.
 *
 * The fetcher GETs page after page (following `more`, Comm 2.1.3) with its own libcurl handle,
 * parses and validates each. With more than 2 cores it is a thread that queues them, at most
 * MIG_FETCH_AHEAD ahead: the source's query, the transfer and our parse of the next pages
 * overlap the caller's commit of the current one. On 2 cores shared with the source it cost
 * more CPU than it saved (bench/results/forward.md), so there it fetches on the caller's
 * thread when asked (SCOLAR_MIGRATE_THREAD=0/1 chooses). The caller takes pages in order and
 * owns the checkpoint: a page fetched ahead but not stored is fetched again after an
 * interruption.
 */
#include "lrs/mig.h"
#include "common/sc_alloc.h"
#include "statements/stmt_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define HTTP_TRIES 6

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct mig_resp *r = ud;
    return sc_buf_append(&r->body, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct mig_resp *r = ud;
    size_t len = size * n;
    if (len > 13 && strncasecmp(p, "Content-Type:", 13) == 0) {
        size_t vl = len - 13;
        const char *v = p + 13;
        while (vl && *v == ' ')
            v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
            vl--;
        snprintf(r->ctype, sizeof r->ctype, "%.*s", (int)vl, v);
    }
    return len;
}

int mig__http(struct mig *m, CURL *c, const char *method, const char *url, const char *body,
              size_t blen, const char *ctype, struct mig_resp *r)
{
    char ctline[160];
    snprintf(ctline, sizeof ctline, "Content-Type: %s", ctype ? ctype : "application/json");
    for (int attempt = 0; attempt < HTTP_TRIES; attempt++) {
        struct curl_slist *h = NULL;
        CURLcode cc;
        /* the storage of the last answer is kept: pages are alike in size, and growing a
         * buffer of half a megabyte by doubling for each page cost 10 % of a migration */
        if (r->body.max != MIG_BODY_MAX) {
            sc_buf_free(&r->body);
            sc_buf_init(&r->body, MIG_BODY_MAX);
        }
        sc_buf_reset(&r->body);
        if (r->hint)
            (void)sc_buf_reserve(&r->body, r->hint); /* a failure shows in the append */
        r->ctype[0] = 0;
        r->status = 0;
        h = curl_slist_append(h, m->authz);
        h = curl_slist_append(h, m->xver ? m->xver : "X-Experience-API-Version: 1.0.3");
        if (body)
            h = curl_slist_append(h, ctline);
        h = curl_slist_append(h, "Expect:");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        if (body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        } else {
            curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        }
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
        cc = curl_easy_perform(c);
        curl_slist_free_all(h);
        if (cc == CURLE_ABORTED_BY_CALLBACK)
            return -1; /* the fetcher is stopping */
        if (cc == CURLE_OK) {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
            if (r->status != 429 && r->status < 500)
                return 0;
        }
        if (attempt + 1 < HTTP_TRIES) {
            struct timespec ts = {0, 250000000L};
            for (int i = 0; i < attempt; i++)
                ts.tv_sec = ts.tv_sec * 2 + (ts.tv_nsec >= 500000000L),
                ts.tv_nsec = (ts.tv_nsec * 2) % 1000000000L;
            nanosleep(&ts, NULL);
        } else {
            if (cc != CURLE_OK)
                fprintf(stderr, "\nscolar: %s %s: %s\n", method, url, curl_easy_strerror(cc));
            else
                fprintf(stderr, "\nscolar: %s %s: HTTP %ld\n", method, url, r->status);
        }
    }
    return -1;
}

/* The first part of a multipart answer the strict parser refused. Some LRSs put no CRLF
 * before the closing delimiter (RFC 2046 5.1.1 requires one): take the part's Content-Length,
 * or the bytes up to the next delimiter. Attachments of such an answer are not read. */
static cJSON *lenient_first_part(const struct mig_resp *r, const char *boundary)
{
    char delim[80];
    const char *body = r->body.data, *end = body + r->body.len, *p, *hdr_end, *q;
    size_t dl, len;
    int n = snprintf(delim, sizeof delim, "--%s", boundary);
    if (!body || n < 0 || (size_t)n >= sizeof delim)
        return NULL;
    dl = (size_t)n;
    p = memmem(body, r->body.len, delim, dl);
    if (!p)
        return NULL;
    p += dl;
    hdr_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
    if (!hdr_end)
        return NULL;
    q = hdr_end + 4;
    len = (size_t)(end - q);
    for (const char *h = p; h < hdr_end; h++) {
        if ((size_t)(hdr_end - h) > 15 && strncasecmp(h, "Content-Length:", 15) == 0) {
            char *e;
            unsigned long v = strtoul(h + 15, &e, 10);
            if (e != h + 15 && v <= len)
                len = v;
            goto parse;
        }
    }
    {
        const char *next = memmem(q, len, delim, dl);
        if (next)
            len = (size_t)(next - q);
    }
parse:
    return cJSON_ParseWithLength(q, len);
}

cJSON *mig__parse_answer(struct mig *m, struct mig_resp *r, struct lrs_part **parts, size_t *np)
{
    char b[128] = "", err[128] = "";
    cJSON *j;
    *parts = NULL;
    *np = 0;
    if (strncasecmp(r->ctype, "multipart/mixed", 15) != 0)
        return cJSON_ParseWithLength(r->body.data ? r->body.data : "", r->body.len);
    if (lrs_multipart_boundary(r->ctype, b, sizeof b) ||
        lrs_multipart_parse(r->body.data, r->body.len, b, 100000, parts, np, err, sizeof err) ||
        *np == 0) {
        sc_free(*parts);
        *parts = NULL;
        *np = 0;
        if (!__atomic_exchange_n(&m->lenient_said, 1, __ATOMIC_RELAXED))
            fprintf(stderr,
                    "\nscolar: the source's multipart answer is malformed (%s, RFC 2046 "
                    "5.1.1); reading its statements leniently, without attachments\n",
                    err);
        return b[0] ? lenient_first_part(r, b) : NULL;
    }
    j = cJSON_ParseWithLength((*parts)[0].data, (*parts)[0].len);
    return j;
}

int mig__resolve_more(struct mig *m, const char *more, char *out, size_t outlen)
{
    CURLU *u = curl_url();
    char *full = NULL;
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, m->endpoint, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, more, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK && strlen(full) < outlen) {
        snprintf(out, outlen, "%s", full);
        rc = 0;
    }
    curl_free(full);
    curl_url_cleanup(u);
    return rc;
}

unsigned mig__vflags(const cJSON *s)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "version"));
    /* a statement keeps the version it was accepted with (Data 2.4.10): a 2.0.x one is held to
     * the rules of xAPI 2.0, as when it was POSTed with X-Experience-API-Version: 2.0.0 */
    return STMT_VALIDATE_REQUIRE_ID | (v && !strncmp(v, "2.0", 3) ? STMT_VALIDATE_V2 : 0u);
}

/* ---- the page fetcher ------------------------------------------------------------------ */

void mig__page_free(struct mig_page *p)
{
    if (!p)
        return;
    cJSON_Delete(p->doc);
    sc_free(p->parts);
    sc_buf_free(&p->r.body);
    sc_free(p);
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return __atomic_load_n(&((struct mig_fetcher *)ud)->stop, __ATOMIC_RELAXED) ? 1 : 0;
}

/* GET and parse one page into p (p->failed on failure, said on stderr). */
static void fetch_page(struct mig_fetcher *f, struct mig_page *p, size_t hint)
{
    const cJSON *stmts;
    const char *more;
    p->r.hint = hint;
    if (mig__http(f->m, f->c, "GET", p->url, NULL, 0, NULL, &p->r) || p->r.status != 200) {
        if (p->r.status && !__atomic_load_n(&f->stop, __ATOMIC_RELAXED))
            fprintf(stderr, "\nscolar: GET %s: HTTP %ld: %.*s\n", p->url, p->r.status,
                    (int)(p->r.body.len < 300 ? p->r.body.len : 300),
                    p->r.body.data ? p->r.body.data : "");
        p->failed = 1;
        return;
    }
    p->doc = mig__parse_answer(f->m, &p->r, &p->parts, &p->np);
    stmts = cJSON_GetObjectItemCaseSensitive(p->doc, "statements");
    more = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->doc, "more"));
    if (!cJSON_IsArray(stmts)) {
        fprintf(stderr, "\nscolar: GET %s: not a StatementResult\n", p->url);
        p->failed = 1;
    } else if (more && *more && mig__resolve_more(f->m, more, p->next, sizeof p->next)) {
        fprintf(stderr, "\nscolar: GET %s: the more link cannot be resolved: %.300s\n", p->url,
                more);
        p->failed = 1;
    } else {
        /* validated here, on this thread, as a request body would be (Data 2.4, with the id
         * the source assigned required): what fails is reported and left out */
        cJSON *s = stmts->child, *nx;
        for (; s; s = nx) {
            struct stmt_diag d;
            nx = s->next;
            memset(&d, 0, sizeof d);
            if (stmt_validate(s, mig__vflags(s), &d) == STMT_OK)
                continue;
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "id"));
            fprintf(stderr, "\nscolar: statement %s refused: %s: %s\n", id ? id : "?", d.path,
                    d.msg);
            p->refused++;
            cJSON_Delete(cJSON_DetachItemViaPointer((cJSON *)stmts, s));
        }
    }
}

/* The next page from f->url (the page's url moves on to its `more`); NULL without memory.
 * *end: it is the last one. */
static struct mig_page *fetch_one(struct mig_fetcher *f, int *end)
{
    struct mig_page *p = NULL;
    *end = 1;
    pthread_mutex_lock(&f->mu);
    if (f->nspare)
        p = f->spare[--f->nspare];
    pthread_mutex_unlock(&f->mu);
    if (p) { /* the tree is freed by the thread that allocated it */
        struct sc_buf keep = p->r.body;
        cJSON_Delete(p->doc);
        sc_free(p->parts);
        memset(p, 0, sizeof *p);
        p->r.body = keep;
    } else {
        p = sc_calloc(1, sizeof *p);
    }
    if (!p)
        return NULL;
    snprintf(p->url, sizeof p->url, "%s", f->url);
    fetch_page(f, p, f->hint + f->hint / 4);
    f->hint = p->r.body.len;
    *end = p->failed || !p->next[0];
    if (!*end)
        snprintf(f->url, sizeof f->url, "%s", p->next);
    return p;
}

static void *fetch_main(void *arg)
{
    struct mig_fetcher *f = arg;
    for (;;) {
        int end;
        struct mig_page *p = fetch_one(f, &end);
        pthread_mutex_lock(&f->mu);
        while (f->n == MIG_FETCH_AHEAD && !f->stop)
            pthread_cond_wait(&f->cv, &f->mu);
        if (f->stop) {
            pthread_mutex_unlock(&f->mu);
            mig__page_free(p);
            break;
        }
        f->q[(f->head + f->n) % MIG_FETCH_AHEAD] = p; /* NULL: out of memory, the end */
        f->n++;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
        if (end)
            break;
    }
    return NULL;
}

int mig__fetch_start(struct mig_fetcher *f, struct mig *m, const char *url)
{
    memset(f, 0, sizeof *f);
    f->m = m;
    snprintf(f->url, sizeof f->url, "%s", url);
    {
        /* The fetcher thread overlaps the source's query and our parse with our commit, but
         * costs CPU (bench/results/forward.md: 1.7x the user time on 2 loaded cores, where the
         * source runs too); it is used with more than 2 cores, or SCOLAR_MIGRATE_THREAD=1. */
        const char *e = getenv("SCOLAR_MIGRATE_THREAD");
        f->sync = e && *e ? strcmp(e, "1") != 0 : sysconf(_SC_NPROCESSORS_ONLN) <= 2;
    }
    f->c = curl_easy_duphandle(m->c);
    if (!f->c)
        return -1;
    curl_easy_setopt(f->c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(f->c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(f->c, CURLOPT_XFERINFODATA, f);
    if (pthread_mutex_init(&f->mu, NULL)) {
        curl_easy_cleanup(f->c);
        return -1;
    }
    if (pthread_cond_init(&f->cv, NULL)) {
        pthread_mutex_destroy(&f->mu);
        curl_easy_cleanup(f->c);
        return -1;
    }
    if (!f->sync && pthread_create(&f->th, NULL, fetch_main, f)) {
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        curl_easy_cleanup(f->c);
        return -1;
    }
    f->started = 1;
    return 0;
}

void mig__page_done(struct mig_fetcher *f, struct mig_page *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&f->mu);
    if (f->nspare < sizeof f->spare / sizeof f->spare[0]) {
        f->spare[f->nspare++] = p;
        p = NULL;
    }
    pthread_mutex_unlock(&f->mu);
    mig__page_free(p);
}

struct mig_page *mig__fetch_next(struct mig_fetcher *f)
{
    struct mig_page *p;
    if (f->sync) {
        int end;
        return fetch_one(f, &end);
    }
    pthread_mutex_lock(&f->mu);
    while (!f->n)
        pthread_cond_wait(&f->cv, &f->mu);
    p = f->q[f->head];
    f->head = (f->head + 1) % MIG_FETCH_AHEAD;
    f->n--;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return p;
}

void mig__fetch_stop(struct mig_fetcher *f)
{
    if (!f->started)
        return;
    pthread_mutex_lock(&f->mu);
    __atomic_store_n(&f->stop, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (!f->sync)
        pthread_join(f->th, NULL);
    while (f->n) {
        mig__page_free(f->q[f->head]);
        f->head = (f->head + 1) % MIG_FETCH_AHEAD;
        f->n--;
    }
    while (f->nspare)
        mig__page_free(f->spare[--f->nspare]);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    curl_easy_cleanup(f->c);
    f->started = 0;
}
