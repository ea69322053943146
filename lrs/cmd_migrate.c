/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `scolar migrate` (issue 17): bring another LRS's data into this data directory, or push
 * this store's statements to another LRS, over libcurl, resumable.
 *
 * --from URL (an xAPI endpoint): GET URL/statements?ascending=true&attachments=true&limit=0,
 * following `more` (Comm 2.1.3), oldest first; pages are fetched, parsed and validated by
 * mig_http.c (ahead, on a thread, with more than 2 cores). Each page goes into the store with
 * stmt_store_insert_rows, keeping ids and authorities (the store assigns its own `stored`,
 * Data 2.4.8); attachments of a multipart/mixed answer (Comm 1.5.2) are stored under the SHA-2
 * we compute, when it is the one the statement declares. A query never returns voided
 * statements (Comm 2.1.3 S10),
 * so for each voiding statement whose target is missing here the target is fetched with
 * voidedStatementId and stored first: both arrive. Then, unless --no-documents, the activity
 * profiles of each activity seen, the agent profiles of each agent seen and the state
 * documents of each (activity, agent, registration) seen together in a statement are copied
 * (Comm 2.3, 2.6, 2.4 "multiple document" GETs, then one GET per document).
 * The checkpoint (the next `more` URL, in the store's outbox table) is written in the
 * transaction that stores the page (with documents: after the page's documents), so a run
 * killed at any moment resumes at the first page not stored: run the same command again (a
 * re-sent page would change nothing anyway: same id, same content is a no-op, Comm 2.1.2).
 * Once complete, the checkpoint keeps the last `stored` seen, so a later run brings only what
 * is newer (since).
 *
 * --to URL: POST this store's statements (voided ones too, stored order) in batches of 100 to
 * URL/statements; a batch the target refuses (400/409) is split to find the statement, which
 * is reported and skipped. The checkpoint is the last stored time pushed.
 *
 * The server must be stopped (the data directory is locked by a running server).
 */
#include "lrs/lrs_cli.h"
#include "lrs/mig.h"
#include "lrs/fwd.h"
#include "lrs/lrs_multipart.h"
#include "common/sc_alloc.h"
#include "common/sc_base64.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_attach.h"
#include "statements/stmt_doc.h"
#include "statements/stmt_json.h"
#include "statements/stmt_outbox.h"
#include "statements/stmt_store.h"
#include "statements/stmt_validate.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char USAGE[] =
    "usage: scolar migrate --from URL --key K --secret S [--since ISO] [--no-documents]\n"
    "       scolar migrate --to URL --key K --secret S\n"
    "       [--data DIR] [--restart]\n"
    "       scolar migrate --from STORE --to STORE [--data DIR] [--resume]\n"
    "\n"
    "  --from URL       the xAPI endpoint of the LRS to copy from (e.g. https://lrs/xapi/):\n"
    "                   every statement (voided ones and their voiding statements), with\n"
    "                   attachments, keeping ids; then the activity and agent profiles and\n"
    "                   the state documents of the activities, agents and registrations seen\n"
    "  --to URL         the xAPI endpoint to copy this store's statements to\n"
    "  --key K --secret S   HTTP Basic credentials at the other LRS\n"
    "  --since ISO      --from: only statements stored after this time\n"
    "  --no-documents   --from: statements only\n"
    "  --restart        ignore the checkpoint of an earlier run with the same URL\n"
    "  --data DIR       data directory (env SCOLAR_DATA; default ./scolar-data); the server\n"
    "                   must be stopped\n"
    "  --store URL      the store in PostgreSQL (env SCOLAR_STORE; docs/postgresql.md)\n"
    "\n"
    "  STORE            a data directory or a postgres:// URL: with two stores (neither an\n"
    "                   http(s) URL) migrate copies a whole store between backends, as\n"
    "                   `scolar copy-store` does (scolar copy-store --help)\n"
    "\n"
    "Resumable: after an interruption run the same command again. Prints progress on a\n"
    "terminal and a summary; exit 0, 1 on a failure, 2 on a usage error.\n";

#define PUSH_BATCH 100

static int seen_add(struct mig_seen *s, const char *a, const char *b, const char *c)
{
    uint64_t h;
    char buf[3000];
    int n = snprintf(buf, sizeof buf, "%s\x1f%s\x1f%s", a, b ? b : "", c ? c : "");
    if (n < 0)
        return 0;
    h = sc_hash64(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) | 1;
    if (s->n * 2 >= s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        uint64_t *nv = sc_calloc(nc, sizeof *nv);
        if (!nv)
            return 1; /* without memory: fetch again rather than skip */
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i])
                for (size_t j = s->v[i] & (nc - 1);; j = (j + 1) & (nc - 1))
                    if (!nv[j]) {
                        nv[j] = s->v[i];
                        break;
                    }
        sc_free(s->v);
        s->v = nv;
        s->cap = nc;
    }
    for (size_t j = h & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
        if (s->v[j] == h)
            return 0;
        if (!s->v[j]) {
            s->v[j] = h;
            s->n++;
            return 1;
        }
    }
}

static void progress(struct mig *m, int last)
{
    int64_t now = sc_time_now_us();
    double secs = (double)(now - m->t0) / 1e6;
    if (!m->bar || (!last && now - m->last_bar < 200000))
        return;
    m->last_bar = now;
    fprintf(stderr, "\r[%c] %zu statements (%zu new), %zu documents, %.0f statements/s   %s",
            "|/-\\"[m->pages % 4], m -> fetched, m -> stored, m -> ndocs,
            secs > 0 ? (double)m -> fetched / secs : 0, last ? "\n" : "");
}

/* ---- checkpoint ------------------------------------------------------------------------ */

static void ckey_of(const char *url, char dir, char out[1 + 64 + 1])
{
    unsigned char h[32];
    char hex[65];
    sc_sha256(url, strlen(url), h);
    sc_hex(h, 32, hex);
    out[0] = 'm';
    memcpy(out + 1, hex, 63);
    out[64] = dir; /* 'f' from, 't' to */
    out[65] = 0;
}

static cJSON *ck_load(struct mig *m)
{
    char *v = NULL;
    size_t vl;
    cJSON *j = NULL;
    if (stmt_db_get1(m->db, "outbox", m->ckey, strlen(m->ckey), &v, &vl) == STMT_DB_OK)
        j = cJSON_ParseWithLength(v, vl);
    sc_free(v);
    return j ? j : cJSON_CreateObject();
}

static int ck_put(struct mig *m, const struct stmt_row *row)
{
    if (stmt_db_put1(m->db, "outbox", row->key, row->klen, row->val, row->vlen, 0) == 0)
        return 0;
    fprintf(stderr, "\nscolar: cannot write the checkpoint\n");
    return -1;
}

static int ck_save(struct mig *m, const cJSON *ck)
{
    char *text = cJSON_PrintUnformatted(ck);
    int rc =
        text ? stmt_db_put1(m->db, "outbox", m->ckey, strlen(m->ckey), text, strlen(text), 0) : -1;
    cJSON_free(text);
    if (rc)
        fprintf(stderr, "\nscolar: cannot write the checkpoint\n");
    return rc ? -1 : 0;
}

/* ---- --from ---------------------------------------------------------------------------- */

static char *esc(struct mig *m, const char *s)
{
    return curl_easy_escape(m->c, s, 0);
}

/* The documents of one resource kind: GET the id list, then each document. */
static int copy_docs(struct mig *m, const char *res, const char *query,
                     const struct stmt_doc_ctx *ctx, const char *idparam)
{
    struct mig_resp r = {0};
    char url[8192];
    cJSON *ids = NULL, *id;
    int ret = 0;
    snprintf(url, sizeof url, "%s%s?%s", m->endpoint, res, query);
    if (mig__http(m, m->c, "GET", url, NULL, 0, NULL, &r) || r.status != 200) {
        fprintf(stderr, "\nscolar: GET %s: %ld\n", url, r.status);
        sc_buf_free(&r.body);
        return -1;
    }
    ids = cJSON_ParseWithLength(r.body.data ? r.body.data : "", r.body.len);
    cJSON_ArrayForEach(id, ids)
    {
        struct stmt_doc_cond cond = {0};
        char *e;
        if (!cJSON_IsString(id))
            continue;
        e = esc(m, id->valuestring);
        snprintf(url, sizeof url, "%s%s?%s&%s=%s", m->endpoint, res, query, idparam, e ? e : "");
        curl_free(e);
        if (mig__http(m, m->c, "GET", url, NULL, 0, NULL, &r) || r.status != 200) {
            ret = -1;
            continue;
        }
        if (stmt_doc_put(m->db, ctx, id->valuestring, r.body.data ? r.body.data : "", r.body.len,
                         r.ctype[0] ? r.ctype : NULL, &cond, NULL, sc_time_now_us(), NULL) == 0)
            m->ndocs++;
        else
            ret = -1;
    }
    cJSON_Delete(ids);
    sc_buf_free(&r.body);
    return ret;
}

static int docs_of(struct mig *m, const cJSON *s)
{
    const cJSON *actor = cJSON_GetObjectItemCaseSensitive(s, "actor");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(s, "object");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(s, "context");
    const char *ot = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "objectType"));
    const char *act = (!ot || !strcmp(ot, "Activity"))
                          ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "id"))
                          : NULL;
    const char *reg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ctx, "registration"));
    char ifi[600], q[6000], *ea = NULL, *eg = NULL, *agent_json = NULL;
    int ret = 0;
    if (stmt_store_agent_ifi(actor, ifi, sizeof ifi) != STMT_STORE_OK)
        ifi[0] = 0;
    if (act && seen_add(&m->seen, "A", act, NULL)) {
        struct stmt_doc_ctx c = {STMT_DOC_ACTIVITY_PROFILE, act, NULL, NULL};
        ea = esc(m, act);
        snprintf(q, sizeof q, "activityId=%s", ea ? ea : "");
        ret |= copy_docs(m, "activities/profile", q, &c, "profileId");
    }
    if (ifi[0]) {
        agent_json = cJSON_PrintUnformatted(actor);
        eg = agent_json ? esc(m, agent_json) : NULL;
    }
    if (eg && seen_add(&m->seen, "G", ifi, NULL)) {
        struct stmt_doc_ctx c = {STMT_DOC_AGENT_PROFILE, NULL, ifi, NULL};
        snprintf(q, sizeof q, "agent=%s", eg);
        ret |= copy_docs(m, "agents/profile", q, &c, "profileId");
    }
    if (act && eg && seen_add(&m->seen, act, ifi, reg)) {
        char low[40] = "";
        struct stmt_doc_ctx c = {STMT_DOC_STATE, act, ifi, NULL};
        if (!ea)
            ea = esc(m, act);
        if (reg && strlen(reg) == 36) {
            for (int i = 0; i < 36; i++)
                low[i] = (char)((reg[i] >= 'A' && reg[i] <= 'Z') ? reg[i] - 'A' + 'a' : reg[i]);
            low[36] = 0;
            c.registration = low;
        }
        snprintf(q, sizeof q, "activityId=%s&agent=%s%s%s", ea ? ea : "", eg,
                 low[0] ? "&registration=" : "", low);
        ret |= copy_docs(m, "activities/state", q, &c, "stateId");
    }
    curl_free(ea);
    curl_free(eg);
    cJSON_free(agent_json);
    return ret;
}

/* Attachments of a multipart answer whose hash matches what a statement declares. */
static void store_attachments(struct mig *m, const struct lrs_part *parts, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        char want[STMT_SHA2_HEX_MAX], got[STMT_SHA2_HEX_MAX];
        int created = 0;
        if (lrs_part_header(&parts[i], "X-Experience-API-Hash", want, sizeof want))
            continue;
        for (char *p = want; *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
        /* our own hash of the bytes must be the declared one (security.md 9) */
        if (stmt_attach_sha2(parts[i].data, parts[i].len, strlen(want), got) || strcmp(got, want))
            continue;
        if (stmt_attach_put(m->db, got, parts[i].data, parts[i].len, &created) == 0)
            m->attach += created;
    }
}

/* Insert statements one at a time (a batch failed): count what the store refuses. */
static int insert_each(struct mig *m, cJSON **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct stmt_insert_result res = {0};
        int rc = stmt_store_insert(m->st, &v[i], 1, NULL, &res);
        if (rc == STMT_STORE_ERR_CONFLICT || rc == STMT_STORE_ERR_VOID_VOIDING ||
            rc == STMT_STORE_ERR_ARG) {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v[i], "id"));
            fprintf(stderr, "\nscolar: statement %s refused: %s\n", id ? id : "?",
                    stmt_store_strerror(rc));
            m->refused++;
        } else if (rc) {
            stmt_insert_result_free(&res);
            return -1;
        } else {
            m->stored += res.n_stored;
            m->dup += 1 - res.n_stored;
        }
        stmt_insert_result_free(&res);
    }
    return 0;
}

/* Validate (unless the fetcher did) and insert an array of statements (the tree stays the
 * caller's). ck, when not NULL, is the checkpoint row written in the transaction that stores
 * them (stmt_store_insert_rows: the page and the checkpoint past it are durable together, so a
 * run killed at any moment resumes at the first page not stored), or after them when the
 * batch is split. */
static int insert_all(struct mig *m, cJSON *arr, const struct stmt_row *ck, int validated)
{
    size_t n = 0, cap = (size_t)cJSON_GetArraySize(arr);
    cJSON **v = sc_calloc(cap ? cap : 1, sizeof *v), *s;
    struct stmt_insert_result res = {0};
    int rc;
    if (!v)
        return -1;
    cJSON_ArrayForEach(s, arr)
    {
        struct stmt_diag d;
        memset(&d, 0, sizeof d);
        if (!validated && stmt_validate(s, mig__vflags(s), &d) != STMT_OK) {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "id"));
            fprintf(stderr, "\nscolar: statement %s refused: %s: %s\n", id ? id : "?", d.path,
                    d.msg);
            m->refused++;
            continue;
        }
        v[n++] = s;
    }
    if (!n) {
        sc_free(v);
        return ck ? ck_put(m, ck) : 0;
    }
    rc = stmt_store_insert_rows(m->st, v, n, NULL, ck, ck ? 1 : 0, &res);
    if (rc == STMT_STORE_OK) {
        m->stored += res.n_stored;
        m->dup += n - res.n_stored;
    } else if (rc == STMT_STORE_ERR_CONFLICT || rc == STMT_STORE_ERR_VOID_VOIDING ||
               rc == STMT_STORE_ERR_DUP_ID) {
        rc = insert_each(m, v, n);
        if (!rc && ck)
            rc = ck_put(m, ck);
    } else {
        fprintf(stderr, "\nscolar: storing statements: %s\n", stmt_store_strerror(rc));
        rc = -1;
    }
    stmt_insert_result_free(&res);
    sc_free(v);
    return rc ? -1 : 0;
}

/* Voided statements are not in query results (S10): fetch the targets of voiding statements
 * that are missing here, and store them before the page. */
static int fetch_voided(struct mig *m, const cJSON *stmts)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, stmts)
    {
        const cJSON *verb = cJSON_GetObjectItemCaseSensitive(s, "verb");
        const cJSON *obj = cJSON_GetObjectItemCaseSensitive(s, "object");
        const char *vid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(verb, "id"));
        const char *tid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "id"));
        struct mig_resp r = {0};
        char url[2400];
        char *json = NULL;
        cJSON *one, *arr;
        int rc;
        if (!vid || strcmp(vid, "http://adlnet.gov/expapi/verbs/voided") || !tid ||
            strlen(tid) != 36)
            continue;
        if (stmt_store_get(m->st, tid, 0, &json, NULL) == 0 ||
            stmt_store_get(m->st, tid, 1, &json, NULL) == 0) {
            sc_free(json);
            continue;
        }
        snprintf(url, sizeof url, "%sstatements?voidedStatementId=%s&attachments=true", m->endpoint,
                 tid);
        if (mig__http(m, m->c, "GET", url, NULL, 0, NULL, &r)) {
            sc_buf_free(&r.body);
            return -1;
        }
        if (r.status == 404) { /* never stored there, or gone: nothing to bring */
            sc_buf_free(&r.body);
            continue;
        }
        one = NULL;
        if (r.status == 200) {
            struct lrs_part *parts;
            size_t np;
            one = mig__parse_answer(m, &r, &parts, &np);
            store_attachments(m, parts, np);
            sc_free(parts);
        }
        sc_buf_free(&r.body);
        arr = cJSON_CreateArray();
        if (!one || !arr || !cJSON_AddItemToArray(arr, one)) {
            cJSON_Delete(one);
            cJSON_Delete(arr);
            fprintf(stderr, "\nscolar: GET voided statement %s: HTTP %ld\n", tid, r.status);
            return -1;
        }
        rc = insert_all(m, arr, NULL, 0);
        m->voided++;
        m->fetched++;
        cJSON_Delete(arr);
        if (rc)
            return -1;
    }
    return 0;
}

/* Pages come from the fetcher thread (mig_http.c), in order, fetched and parsed ahead; each is
 * stored here with the checkpoint (the next page's URL) in the same transaction, or, when
 * documents are copied too, in a transaction of its own after them. */
static int pull(struct mig *m, const char *since)
{
    struct mig_fetcher f;
    cJSON *ck = ck_load(m);
    char url[4096];
    const char *next = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ck, "next"));
    const char *last = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ck, "last_stored"));
    int ret = -1;
    if (!ck)
        return -1;
    if (next) {
        snprintf(url, sizeof url, "%s", next);
        fprintf(stderr, "scolar: resuming from the checkpoint\n");
    } else {
        const char *from = last ? last : since;
        char *e = from ? esc(m, from) : NULL;
        /* limit=0: the largest page the source allows (Comm 2.1.3 "limit") */
        snprintf(url, sizeof url, "%sstatements?ascending=true&attachments=true&limit=0%s%s",
                 m->endpoint, e ? "&since=" : "", e ? e : "");
        curl_free(e);
    }
    if (mig__fetch_start(&f, m, url)) {
        fprintf(stderr, "scolar: cannot start the page fetcher\n");
        cJSON_Delete(ck);
        return -1;
    }
    for (;;) {
        int64_t t0 = sc_time_mono_us(), t1;
        struct mig_page *p = mig__fetch_next(&f);
        cJSON *stmts, *s;
        const char *stored = NULL;
        char *text = NULL;
        int end, rc;
        t1 = sc_time_mono_us();
        m->wait_us += t1 - t0;
        if (!p || p->failed) {
            if (!p)
                fprintf(stderr, "\nscolar: out of memory\n");
            mig__page_done(&f, p);
            goto out;
        }
        store_attachments(m, p->parts, p->np);
        m->refused += p->refused;
        stmts = cJSON_GetObjectItemCaseSensitive(p->doc, "statements");
        /* the source's stored time of the page's last statement, read before the insert
         * (the store drops a submitted "stored", Data 2.4.8) */
        cJSON_ArrayForEach(s, stmts)
        {
            const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "stored"));
            if (st)
                stored = st;
        }
        if (stored) {
            cJSON_DeleteItemFromObjectCaseSensitive(ck, "last_stored");
            cJSON_AddStringToObject(ck, "last_stored", stored);
        }
        end = !p->next[0];
        cJSON_DeleteItemFromObjectCaseSensitive(ck, "next");
        if (!end)
            cJSON_AddStringToObject(ck, "next", p->next);
        text = cJSON_PrintUnformatted(ck);
        if (!text) {
            mig__page_done(&f, p);
            goto out;
        }
        {
            struct stmt_row row = {"outbox", m->ckey, strlen(m->ckey), text, strlen(text)};
            rc = fetch_voided(m, stmts) || insert_all(m, stmts, m->docs ? NULL : &row, 1);
            m->store_us += sc_time_mono_us() - t1;
            m->fetched += (size_t)cJSON_GetArraySize(stmts);
            m->pages++;
            cJSON_ArrayForEach(s, stmts)
            {
                if (!rc && m->docs && docs_of(m, s))
                    fprintf(stderr, "\nscolar: some documents could not be copied (see above)\n");
            }
            if (!rc && m->docs)
                rc = ck_put(m, &row);
        }
        cJSON_free(text);
        mig__page_done(&f, p);
        if (rc)
            goto out;
        progress(m, 0);
        if (end)
            break;
    }
    ret = 0;
out:
    mig__fetch_stop(&f);
    cJSON_Delete(ck);
    return ret;
}

/* ---- --to ------------------------------------------------------------------------------ */

static int push_range(struct mig *m, const char *url, struct stmt_outbox_item *it, size_t lo,
                      size_t hi)
{
    struct sc_buf b;
    struct mig_resp r = {0};
    char ctype[128];
    int ret;
    sc_buf_init(&b, MIG_BODY_MAX);
    /* with the attachments this store holds (multipart/mixed, Comm 1.5.2) */
    if (fwd__body(m->db, it, lo, hi, &b, ctype, sizeof ctype) ||
        mig__http(m, m->c, "POST", url, b.data, b.len, ctype, &r)) {
        sc_buf_free(&b);
        sc_buf_free(&r.body);
        return -1;
    }
    sc_buf_free(&b);
    if (r.status == 200 || r.status == 204) {
        m->stored += hi - lo;
        ret = 0;
    } else if ((r.status == 400 || r.status == 409) && hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        ret = push_range(m, url, it, lo, mid);
        if (!ret)
            ret = push_range(m, url, it, mid, hi);
    } else if (r.status == 400 || r.status == 409) {
        fprintf(stderr, "\nscolar: the target refused a statement (HTTP %ld): %.*s\n", r.status,
                (int)(r.body.len < 300 ? r.body.len : 300), r.body.data ? r.body.data : "");
        m->refused++;
        ret = 0;
    } else {
        fprintf(stderr, "\nscolar: POST %s: HTTP %ld: %.*s\n", url, r.status,
                (int)(r.body.len < 300 ? r.body.len : 300), r.body.data ? r.body.data : "");
        ret = -1;
    }
    sc_buf_free(&r.body);
    return ret;
}

static int push(struct mig *m)
{
    cJSON *ck = ck_load(m);
    const cJSON *after = cJSON_GetObjectItemCaseSensitive(ck, "after_us");
    uint64_t from = cJSON_IsNumber(after) ? (uint64_t)after->valuedouble : 0;
    char url[2200];
    int ret = -1;
    if (!ck)
        return -1;
    if (from)
        fprintf(stderr, "scolar: resuming from the checkpoint\n");
    snprintf(url, sizeof url, "%sstatements", m->endpoint);
    for (;;) {
        struct stmt_outbox_item *it = NULL;
        size_t n = 0;
        int rc = stmt_outbox_records(m->st, from, PUSH_BATCH, &it, &n);
        if (rc) {
            fprintf(stderr, "\nscolar: reading the store: %s\n", stmt_store_strerror(rc));
            goto out;
        }
        if (!n) {
            stmt_outbox_items_free(it, n);
            break;
        }
        /* runs of one version class: 2.0.x statements go with X-Experience-API-Version 2.0.0
         * (a 1.0.3 LRS refuses them, Data 2.4.10; they are never converted, Comm 3.3) */
        for (size_t lo = 0, hi; !rc && lo < n; lo = hi) {
            int v2 = fwd__is_v2(it[lo].json, it[lo].len);
            for (hi = lo + 1; hi < n && fwd__is_v2(it[hi].json, it[hi].len) == v2; hi++)
                ;
            m->xver = v2 ? "X-Experience-API-Version: 2.0.0" : NULL;
            rc = push_range(m, url, it, lo, hi);
        }
        m->xver = NULL;
        m->fetched += n;
        m->pages++;
        from = it[n - 1].seq;
        stmt_outbox_items_free(it, n);
        if (rc)
            goto out;
        cJSON_DeleteItemFromObjectCaseSensitive(ck, "after_us");
        cJSON_AddNumberToObject(ck, "after_us", (double)from);
        if (ck_save(m, ck))
            goto out;
        progress(m, 0);
    }
    ret = 0;
out:
    cJSON_Delete(ck);
    return ret;
}

/* The value of option `name` (--name V or --name=V) in argv, or NULL. */
static const char *arg_value(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strncmp(argv[i], name, n) && argv[i][n] == '=')
            return argv[i] + n + 1;
        if (!strcmp(argv[i], name) && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

static int is_http(const char *s)
{
    return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

int lrs_cmd_migrate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"key", required_argument, NULL, 'k'},
        {"secret", required_argument, NULL, 's'},
        {"since", required_argument, NULL, 'S'},
        {"data", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, LRS_OPT_STORE},
        {"no-documents", no_argument, NULL, 'n'},
        {"restart", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct lrs_config cfg;
    struct mig m;
    const char *from = NULL, *to = NULL, *key = NULL, *secret = NULL, *since = NULL, *url;
    int c, restart = 0, rc = 1;
    char pair[600], b64[820];

    /* Issue 19: "scolar migrate copies a store between backends". Two store locations (a
     * data directory, a postgres:// URL; neither an xAPI endpoint) are the store copy of
     * cmd_copy.c, with its options (--data, --resume). */
    from = arg_value(argc, argv, "--from");
    to = arg_value(argc, argv, "--to");
    if (from && to && !is_http(from) && !is_http(to))
        return lrs_cmd_copy_store(argc, argv);
    from = to = NULL;
    memset(&m, 0, sizeof m);
    m.docs = 1;
    lrs_config_defaults(&cfg);
    lrs_config_from_env(&cfg);
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            from = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 's':
            secret = optarg;
            break;
        case 'S':
            since = optarg;
            break;
        case 'd':
            snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", optarg);
            break;
        case LRS_OPT_STORE:
            snprintf(cfg.store, sizeof cfg.store, "%s", optarg);
            break;
        case 'n':
            m.docs = 0;
            break;
        case 'r':
            restart = 1;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return 0;
        default:
            return lrs_cli_usage_error(USAGE, "unknown option", NULL);
        }
    }
    if (optind < argc)
        return lrs_cli_usage_error(USAGE, "unexpected argument '%s'", argv[optind]);
    if (!!from == !!to)
        return lrs_cli_usage_error(USAGE, "one of --from URL or --to URL is required", NULL);
    if (!key || !secret || strchr(key, ':') || strlen(key) + strlen(secret) > 500)
        return lrs_cli_usage_error(USAGE, "--key and --secret are required (key without ':')",
                                   NULL);
    url = from ? from : to;
    if ((strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) || strlen(url) > 2000)
        return lrs_cli_usage_error(USAGE, "the URL must be an http or https xAPI endpoint: %s",
                                   url);
    if (since) {
        int64_t us;
        if (!from || sc_time_parse_iso(since, strlen(since), &us))
            return lrs_cli_usage_error(USAGE, "--since needs --from and an ISO 8601 time: %s",
                                       since);
    }
    snprintf(m.endpoint, sizeof m.endpoint, "%s%s", url, url[strlen(url) - 1] == '/' ? "" : "/");
    snprintf(pair, sizeof pair, "%s:%s", key, secret);
    sc_base64_encode(pair, strlen(pair), b64, 0);
    snprintf(m.authz, sizeof m.authz, "Authorization: Basic %s", b64);
    ckey_of(m.endpoint, from ? 'f' : 't', m.ckey);

    if (lrs_cli_open_db(&cfg, &m.db))
        return 1;
    {
        char err[1024];
        if (lrs_backup_before_upgrade(m.db, err, sizeof err)) {
            fprintf(stderr, "scolar: %s\n", err);
            goto out;
        }
    }
    if (stmt_store_open(m.db, NULL, &m.st) != STMT_STORE_OK) {
        fprintf(stderr, "scolar: cannot open the statement store of %s\n", cfg.data_dir);
        goto out;
    }
    if (restart && stmt_db_del1(m.db, "outbox", m.ckey, strlen(m.ckey)) < STMT_DB_NOTFOUND) {
        fprintf(stderr, "scolar: cannot remove the checkpoint\n");
        goto out;
    }
    m.c = curl_easy_init();
    if (!m.c)
        goto out;
    curl_easy_setopt(m.c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(m.c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(m.c, CURLOPT_TIMEOUT_MS, 600000L);
    curl_easy_setopt(m.c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(m.c, CURLOPT_USERAGENT, "scolar-migrate");
    curl_easy_setopt(m.c, CURLOPT_ACCEPT_ENCODING, "");
    m.bar = isatty(STDERR_FILENO);
    m.t0 = sc_time_now_us();
    rc = (from ? pull(&m, since) : push(&m)) ? 1 : 0;
    progress(&m, 1);
    {
        double secs = (double)(sc_time_now_us() - m.t0) / 1e6;
        if (from)
            fprintf(stderr,
                    "scolar: migrate %s: %zu statements read (%zu voided ones by id), %zu new, "
                    "%zu already here, %zu refused, %zu attachments, %zu documents, %.1f s "
                    "(%.0f statements/s; %.1f s getting pages, %.1f s storing)%s\n",
                    rc ? "stopped" : "done", m.fetched, m.voided, m.stored, m.dup, m.refused,
                    m.attach, m.ndocs, secs, secs > 0 ? (double)m.fetched / secs : 0,
                    (double)m.wait_us / 1e6, (double)m.store_us / 1e6,
                    rc ? "; run the same command again to resume" : "");
        else
            fprintf(stderr,
                    "scolar: migrate %s: %zu statements sent, %zu accepted, %zu refused, %.1f s "
                    "(%.0f statements/s)%s\n",
                    rc ? "stopped" : "done", m.fetched, m.stored, m.refused, secs,
                    secs > 0 ? (double)m.fetched / secs : 0,
                    rc ? "; run the same command again to resume" : "");
    }
out:
    if (m.c)
        curl_easy_cleanup(m.c);
    sc_free(m.seen.v);
    stmt_store_close(m.st);
    stmt_db_close(m.db);
    return rc;
}
