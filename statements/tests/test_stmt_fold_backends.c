/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The writer's report tallies (stmt_report.c) and outbox (stmt_outbox.c) on stmt_db.h run on
 * both backends (issue 19 step 2):
 *   test_stmt_fold_backends lmdb   on a fresh LMDB data directory
 *   test_stmt_fold_backends pg     on a fresh PostgreSQL database (SCOLAR_TEST_PG)
 * A store object is set up by hand over the backend (the fold's code alone, without the
 * writer; test_stmt_report_pg runs the whole store): the records, id and index entries of a few
 * statements are written with stmt_db_put in the layout of stmt_store_int.h, then the fold's
 * report code (stmt__report_fold, stmt__report_flush) runs in write transactions of that
 * backend and stmt_report_activity reads the tallies. The oracle is a real LMDB statement
 * store given the same statements: both reports must be equal (but for the stored days), and
 * hold the numbers the statements imply. Voiding takes statements out (the recheck walks the
 * actor's index entries with a cursor). The outbox: rows written by stmt__outbox_write in a
 * transaction of the backend for the statements that match a target's filter (a StatementRef
 * through its target), an event row, then peek, done, park, stats, parked and records.
 */
#include "statements/stmt_db.h"
#include "statements/stmt_outbox.h"
#include "statements/stmt_report.h"
#include "statements/stmt_report_int.h"
#include "statements/stmt_store.h"
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"
#include "common/sc_time.h"
#include "common/tap.h"
#include "statements/tests/pg_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADL "http://adlnet.gov/expapi/verbs/"
#define X "http://example.org/course/x"
#define Q1 "http://example.org/question/1"
#define ID(n) "1d000000-0000-4000-8000-00000000000" #n
#define MBOX(w) "{\"mbox\":\"mailto:" w "@example.org\"}"

/* s1..s5 are about X; s6 voids s2, s7 voids s5 */
static const char *const STMTS[] = {
    "{\"id\":\"" ID(1) "\",\"actor\":" MBOX("a") ",\"verb\":{\"id\":\"" ADL
                                                 "passed\"},\"object\":{\"id\":\"" X
                                                 "\"},\"result\":{\"completion\":true,"
                                                 "\"score\":{\"scaled\":0.8}}}",
    "{\"id\":\"" ID(2) "\",\"actor\":" MBOX("b") ",\"verb\":{\"id\":\"" ADL
                                                 "failed\"},\"object\":{\"id\":\"" X
                                                 "\"},\"result\":{\"score\":{\"scaled\":0.5}}}",
    "{\"id\":\"" ID(3) "\",\"actor\":" MBOX("c") ",\"verb\":{\"id\":\"" ADL
                                                 "experienced\"},\"object\":{\"id\":\"" X
                                                 "\"},\"result\":{\"score\":{\"scaled\":0.2}}}",
    "{\"id\":\"" ID(4) "\",\"actor\":" MBOX(
        "a") ",\"verb\":{\"id\":\"" ADL "answered\"},\"object\":{\"id\":\"" Q1
             "\",\"definition\":{\"type\":"
             "\"http://adlnet.gov/expapi/activities/"
             "cmi.interaction\",\"name\":{\"en-US\":\"Question "
             "one\"}}},\"result\":{\"success\":true,\"response\":\"b\"},\"context\":{"
             "\"contextActivities\":{\"parent\":[{\"id\":\"" X "\"}]}}}",
    "{\"id\":\"" ID(5) "\",\"actor\":" MBOX("a") ",\"verb\":{\"id\":\"" ADL
                                                 "experienced\"},\"object\":{\"id\":\"" X "\"}}",
    "{\"id\":\"" ID(6) "\",\"actor\":" MBOX(
        "admin") ",\"verb\":{\"id\":\"" ADL
                 "voided\"},\"object\":{\"objectType\":\"StatementRef\",\"id\":\"" ID(2) "\"}}",
    "{\"id\":\"" ID(7) "\",\"actor\":" MBOX(
        "admin") ",\"verb\":{\"id\":\"" ADL
                 "voided\"},\"object\":{\"objectType\":\"StatementRef\",\"id\":\"" ID(5) "\"}}",
    /* s8: a verb new to the store, folded first in a transaction that aborts */
    "{\"id\":\"" ID(8) "\",\"actor\":" MBOX("c") ",\"verb\":{\"id\":\"http://example.org/"
                                                 "verbs/new\"},\"object\":{\"id\":\"" X "\"}}",
    /* s9: a fails X the next day (its latest result; windows see one or the other) */
    "{\"id\":\"" ID(9) "\",\"actor\":" MBOX("a") ",\"verb\":{\"id\":\"" ADL
                                                 "failed\"},\"object\":{\"id\":\"" X "\"}}",
};
#define NST 7                    /* s1..s7 */
#define NALL 9                   /* and s8, s9 */
#define NFIRST 5                 /* the first fold: s1..s5 */
#define SEQ0 1733011200000000ull /* 2024-12-01T00:00:00Z */
#define DAY_US 86400000000ull
/* statement i (0-based): one second apart, s9 on the next day */
#define SEQ(i) (SEQ0 + 1000000ull * (i) + ((i) == 8 ? DAY_US : 0))

static char last_loc[512]; /* the location fresh opened last */

static struct stmt_db *fresh(int use_pg, const char *tmp)
{
    return pgtu_fresh_db(use_pg, tmp, last_loc, sizeof last_loc);
}

/* A statement store object over db as stmt_store_open would set it up for the writer's fold:
 * table names, one epoch from SEQ0, the outbox. */
static struct stmt_store *hand_store(struct stmt_db *db)
{
    struct stmt_store *st = calloc(1, sizeof *st);
    if (!st)
        exit(2);
    st->db = db;
    stmt__store_names(st);
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->work, NULL);
    pthread_cond_init(&st->done, NULL);
    st->ep.bloom_bytes = 1024; /* the open epoch's filter of ids (put_rows adds them) */
    if (stmt__epochs_push(&st->ep, SEQ0) || st->ep.n != 1)
        exit(2);
    if (stmt__outbox_init(st) != STMT_STORE_OK)
        exit(2);
    return st;
}

static void hand_free(struct stmt_store *st)
{
    stmt__report_free(st);
    stmt__outbox_free(st);
    stmt__epochs_free(&st->ep);
    pthread_cond_destroy(&st->work);
    pthread_cond_destroy(&st->done);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* Statement i prepared as the writer has it (terms, flags, JSON) and its record. */
struct prepared {
    struct stmt__prep p;
    unsigned char *rec;
    size_t len;
};

static void prepare(int i, struct prepared *out)
{
    cJSON *tree = cJSON_Parse(STMTS[i]);
    char iso[SC_TIME_ISO_LEN], *json;
    size_t jl, nt;
    memset(out, 0, sizeof *out);
    if (!tree || stmt__terms_collect(tree, &out->p.terms, &out->p.nterms))
        exit(2);
    out->p.flags = stmt__ref_of(tree, out->p.ref);
    stmt__uuid_parse(cJSON_GetObjectItemCaseSensitive(tree, "id")->valuestring, out->p.id);
    sc_time_format_iso((int64_t)SEQ(i), 6, iso);
    cJSON_AddStringToObject(tree, "stored", iso);
    json = cJSON_PrintUnformatted(tree);
    cJSON_Delete(tree);
    if (!json)
        exit(2);
    jl = strlen(json);
    nt = out->p.nterms;
    out->len = STMT_REC_HDR + 8 * nt + jl;
    out->rec = calloc(1, out->len);
    if (!out->rec)
        exit(2);
    out->rec[0] = STMT_REC_FORMAT;
    out->rec[1] = (unsigned char)out->p.flags;
    out->rec[2] = (unsigned char)(nt >> 8);
    out->rec[3] = (unsigned char)nt;
    memcpy(out->rec + 4, out->p.id, 16);
    memcpy(out->rec + 20, out->p.ref, 16);
    for (size_t k = 0; k < nt; k++)
        stmt__be64_put(out->rec + STMT_REC_HDR + 8 * k, out->p.terms[k]);
    memcpy(out->rec + STMT_REC_HDR + 8 * nt, json, jl);
    out->p.json = json;
    out->p.json_len = jl;
    out->p.stored_us = (int64_t)SEQ(i);
}

static void prepared_free(struct prepared *p)
{
    sc_free(p->p.terms);
    cJSON_free(p->p.json);
    free(p->rec);
}

/* The rows the writer and the fold write for statement i (record, id, index entries, and
 * the voided entry of a voiding statement's target), in t. */
static int put_rows(struct stmt_store *st, struct stmt_db_txn *t, const struct prepared *p, int i)
{
    unsigned char s8[8], k[STMT_IDX_KEY];
    int rc;
    stmt__bloom_add(&st->ep, 0, p->p.id);
    stmt__be64_put(s8, SEQ(i));
    rc = stmt_db_put(t, st->tbl.stmt, s8, 8, p->rec, p->len, STMT_DB_APPEND);
    stmt__be32_put(k, 0);
    memcpy(k + 4, p->p.id, 16);
    if (!rc)
        rc = stmt_db_put(t, st->tbl.id, k, STMT_ID_KEY, s8, 8, 0);
    for (size_t j = 0; j < p->p.nterms && !rc; j++) {
        stmt__idx_key(k, 0, p->p.terms[j], SEQ(i));
        rc = stmt_db_put(t, st->tbl.idx, k, STMT_IDX_KEY, "", 0, 0);
    }
    if (!rc && (p->p.flags & STMT_REC_VOIDING))
        rc = stmt_db_put(t, st->tbl.voided, p->p.ref, 16, s8, 8, 0);
    return rc;
}

static int use_prefetch; /* fold: queue the facts and prefetch, as the writer on PostgreSQL */

/* Fold statements [from, to) into the tallies in one write transaction. */
static int fold(struct stmt_store *st, const struct prepared *p, int from, int to)
{
    struct stmt_db_txn *t;
    int rc = stmt_db_txn_begin(st->db, 1, &t);
    if (rc)
        return rc;
    for (int i = from; i < to && !rc; i++)
        rc = put_rows(st, t, &p[i], i);
    for (int i = from; i < to && !rc && use_prefetch; i++) {
        cJSON *tree = cJSON_Parse(STMTS[i]);
        struct stmt__rfacts *f = NULL;
        if (!(p[i].p.flags & STMT_REC_VOIDING) && stmt__report_facts(tree, &f) == STMT_STORE_OK)
            stmt__report_queue(st, (int64_t)SEQ(i), f);
        cJSON_Delete(tree);
    }
    if (!rc && use_prefetch)
        rc = stmt__report_prefetch(st, t, (int64_t)SEQ(from), (int64_t)SEQ(to - 1));
    for (int i = from; i < to && !rc; i++)
        rc = stmt__report_fold(st, t, p[i].rec, p[i].len, SEQ(i));
    if (!rc)
        rc = stmt__report_flush(st, t);
    if (rc) {
        stmt__report_discard(st);
        stmt_db_txn_abort(t);
        return rc;
    }
    return stmt_db_txn_commit(t);
}

/* The report without what differs between two stores given the same statements at other
 * times: the stored days and the consistency time. */
static cJSON *comparable(cJSON *rep)
{
    cJSON *d;
    cJSON_DeleteItemFromObject(rep, "consistent_through");
    cJSON_DeleteItemFromObject(rep, "since");
    cJSON_DeleteItemFromObject(rep, "until");
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(rep, "by_day"))
    {
        cJSON_DeleteItemFromObject(d, "day");
    }
    return rep;
}

static double num(const cJSON *o, const char *path)
{
    char buf[64], *save = NULL, *part;
    snprintf(buf, sizeof buf, "%s", path);
    for (part = strtok_r(buf, ".", &save); part && o; part = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, part);
    return cJSON_IsNumber(o) ? o->valuedouble : -1;
}

/* The report of X on both stores (windowed: the day of each store's statements) equal. */
static void same_report(struct stmt_store *hand, struct stmt_store *real, int64_t real_day_us,
                        int windowed, const char *what, cJSON **keep)
{
    cJSON *a = NULL, *b = NULL;
    int64_t hs = windowed ? (int64_t)SEQ0 : 0, rs = windowed ? real_day_us : 0;
    int ra = stmt_report_activity(hand, X, hs, hs, &a);
    int rb = stmt_report_activity(real, X, rs, rs, &b);
    is_int(ra, STMT_STORE_OK, "%s: the report on this backend", what);
    is_int(rb, STMT_STORE_OK, "%s: the report of the LMDB statement store", what);
    if (ra || rb) {
        cJSON_Delete(a);
        cJSON_Delete(b);
        return;
    }
    comparable(a);
    comparable(b);
    if (!ok(cJSON_Compare(a, b, 1), "%s: both reports agree", what)) {
        char *sa = cJSON_PrintUnformatted(a), *sb = cJSON_PrintUnformatted(b);
        tap_diag("this backend: %s", sa);
        tap_diag("LMDB store:   %s", sb);
        free(sa);
        free(sb);
    }
    cJSON_Delete(b);
    *keep = a;
}

static void report_tests(int use_pg, const char *tmp, int voiding)
{
    struct stmt_db *db = fresh(use_pg, tmp), *rdb = fresh(0, tmp);
    struct stmt_store *st = hand_store(db), *real = NULL;
    struct prepared p[NALL];
    cJSON *rep = NULL, *batch[NST];
    char *first_json = NULL;
    int64_t real_day;

    for (int i = 0; i < NALL; i++)
        prepare(i, &p[i]);
    is_int(stmt_store_open(rdb, NULL, &real), STMT_STORE_OK, "the LMDB oracle store opens");
    for (int i = 0; i < NFIRST; i++)
        batch[i] = cJSON_Parse(STMTS[i]);
    {
        struct stmt_insert_result res = {0};
        is_int(stmt_store_insert(real, batch, NFIRST, MBOX("lrs"), &res), STMT_STORE_OK,
               "the oracle takes s1..s5");
        stmt_insert_result_free(&res);
    }
    real_day = sc_time_now_us();

    is_int(fold(st, p, 0, NFIRST), STMT_DB_OK, "s1..s5 folded in one transaction");
    same_report(st, real, real_day, 0, "after s1..s5", &rep);
    if (rep) {
        first_json = cJSON_PrintUnformatted(rep);
        is_int((int)num(rep, "statements"), 5, "5 statements about X (one through its context)");
        is_int((int)num(rep, "actors"), 3, "3 actors");
        is_int((int)num(rep, "completed"), 1, "1 completed");
        is_int((int)num(rep, "passed"), 1, "1 passed");
        is_int((int)num(rep, "failed"), 1, "1 failed");
        is_int((int)num(rep, "score.count"), 3, "3 scores");
        ok(num(rep, "score.min") == 0.2 && num(rep, "score.max") == 0.8, "min 0.2, max 0.8");
        ok(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, "verbs")) == 4, "4 verbs");
        ok(strstr(first_json, "\"name\":\"Question one\"") &&
               strstr(first_json, "\"response\":\"b\",\"count\":1"),
           "the question's texts, stored by the fold");
        cJSON_Delete(rep);
        rep = NULL;
    }
    same_report(st, real, real_day, 1, "windowed, after s1..s5", &rep);
    if (rep) {
        is_int((int)num(rep, "passed"), 1, "windowed: 1 passed (latest 'F' key, by cursor)");
        is_int((int)num(rep, "failed"), 1, "windowed: 1 failed");
        cJSON_Delete(rep);
        rep = NULL;
    }

    if (voiding) {
        for (int i = NFIRST; i < NST; i++)
            batch[i] = cJSON_Parse(STMTS[i]);
        struct stmt_insert_result res = {0};
        is_int(stmt_store_insert(real, batch + NFIRST, NST - NFIRST, MBOX("lrs"), &res),
               STMT_STORE_OK, "the oracle takes the voiding statements");
        stmt_insert_result_free(&res);
        is_int(fold(st, p, NFIRST, NST), STMT_DB_OK, "s6, s7 (voiding s2, s5) folded");
        same_report(st, real, real_day, 0, "after voiding", &rep);
        if (rep) {
            is_int((int)num(rep, "statements"), 3, "3 statements left");
            is_int((int)num(rep, "actors"), 2, "2 actors: b is gone, a stays (recheck)");
            is_int((int)num(rep, "failed"), 0, "0 failed");
            is_int((int)num(rep, "score.count"), 2, "2 scores");
            cJSON_Delete(rep);
            rep = NULL;
        }
        same_report(st, real, real_day, 1, "windowed, after voiding", &rep);
        if (rep) {
            is_int((int)num(rep, "failed"), 0, "windowed: 0 failed");
            cJSON_Delete(rep);
            rep = NULL;
        }
        for (int i = NFIRST; i < NST; i++)
            cJSON_Delete(batch[i]);
    } else {
        tap_diag("voiding left out");
    }

    /* an aborted fold leaves the tallies as they were (the cache is dropped with it) */
    {
        struct stmt_db_txn *t;
        cJSON *after = NULL;
        char *aj;
        stmt_db_txn_begin(db, 1, &t);
        int rc = put_rows(st, t, &p[0], 0); /* again: a put over the same rows */
        if (!rc)
            rc = stmt__report_fold(st, t, p[0].rec, p[0].len, SEQ(0) + 7);
        is_int(rc, STMT_STORE_OK, "a fold in a transaction that will abort");
        stmt__report_discard(st);
        stmt_db_txn_abort(t);
        if (stmt_report_activity(st, X, 0, 0, &after) == STMT_STORE_OK) {
            aj = cJSON_PrintUnformatted(comparable(after));
            if (!voiding)
                ok(aj && first_json && strcmp(aj, first_json) == 0,
                   "the aborted fold changed no tally");
            else
                ok(num(after, "statements") == 3 && num(after, "actors") == 2,
                   "the aborted fold changed no tally");
            free(aj);
            cJSON_Delete(after);
        } else {
            ok(0, "the report after the aborted fold");
        }
    }
    /* a text the aborted fold stored is not taken as stored afterwards */
    {
        struct stmt_db_txn *t;
        cJSON *after = NULL;
        char *aj = NULL;
        stmt_db_txn_begin(db, 1, &t);
        int rc = put_rows(st, t, &p[7], 7);
        if (!rc)
            rc = stmt__report_fold(st, t, p[7].rec, p[7].len, SEQ(7));
        is_int(rc, STMT_STORE_OK, "s8 folded in a transaction that will abort");
        stmt__report_discard(st);
        stmt_db_txn_abort(t);
        is_int(fold(st, p, 7, 8), STMT_DB_OK, "s8 folded again, committed");
        if (stmt_report_activity(st, X, 0, 0, &after) == STMT_STORE_OK)
            aj = cJSON_PrintUnformatted(after);
        ok(aj && strstr(aj, "{\"id\":\"http://example.org/verbs/new\",\"count\":1}"),
           "its verb is in the report with its id text");
        if (aj && !strstr(aj, "verbs/new"))
            tap_diag("%s", aj);
        free(aj);
        cJSON_Delete(after);
    }
    /* passed/failed in windows: a passed on day 0 and fails on day 1 (LMDB: a seek per actor;
     * PostgreSQL: one walk of the activity's 'F' keys) */
    if (voiding) {
        cJSON *d0 = NULL, *d1 = NULL, *all = NULL;
        is_int(fold(st, p, 8, 9), STMT_DB_OK, "s9 folded (day 1)");
        stmt_report_activity(st, X, (int64_t)SEQ0, (int64_t)SEQ0, &d0);
        stmt_report_activity(st, X, (int64_t)(SEQ0 + DAY_US), (int64_t)(SEQ0 + DAY_US), &d1);
        stmt_report_activity(st, X, (int64_t)SEQ0, (int64_t)(SEQ0 + DAY_US), &all);
        ok(num(d0, "passed") == 1 && num(d0, "failed") == 0,
           "window day 0: a passed (b's failure is voided)");
        ok(num(d1, "passed") == 0 && num(d1, "failed") == 1, "window day 1: a failed");
        ok(num(all, "passed") == 0 && num(all, "failed") == 1 && num(all, "actors") == 2,
           "both days: a's latest, failed");
        cJSON_Delete(d0);
        cJSON_Delete(d1);
        cJSON_Delete(all);
    }

    for (int i = 0; i < NFIRST; i++)
        cJSON_Delete(batch[i]);
    free(first_json);
    for (int i = 0; i < NALL; i++)
        prepared_free(&p[i]);
    stmt_store_close(real);
    stmt_db_close(rdb);
    hand_free(st);
    stmt_db_close(db);
}

/* Two nodes on one PostgreSQL database, each with its own writer state (counter cache), fold in
 * turns: each node's cached counters must give way to what the other wrote. */
static void two_nodes_tests(const char *tmp)
{
    struct stmt_db *db = fresh(1, tmp);
    char url[512];
    struct stmt_db *db2 = NULL;
    struct stmt_store *a, *b;
    struct prepared p[NALL];
    cJSON *rep = NULL;
    char err[256], dir[320];

    /* node B: a second open of the same database (its own pool) */
    snprintf(url, sizeof url, "%s", last_loc);
    snprintf(dir, sizeof dir, "%s/node-b", tmp);
    if (stmt_db_open_url(url, dir, &db2, err, sizeof err)) {
        ok(0, "node B opens the database: %s", err);
        stmt_db_close(db);
        return;
    }
    a = hand_store(db);
    b = hand_store(db2);
    for (int i = 0; i < NALL; i++)
        prepare(i, &p[i]);
    is_int(fold(a, p, 0, 2), STMT_DB_OK, "node A folds s1, s2");
    is_int(fold(b, p, 2, 3), STMT_DB_OK, "node B folds s3");
    is_int(fold(a, p, 3, 5), STMT_DB_OK, "node A folds s4, s5");
    is_int(fold(b, p, 7, 8), STMT_DB_OK, "node B folds s8");
    is_int(stmt_report_activity(b, X, 0, 0, &rep), STMT_STORE_OK, "the report");
    if (rep) {
        is_int((int)num(rep, "statements"), 6, "6 statements: no node wrote over the other's");
        is_int((int)num(rep, "actors"), 3, "3 actors");
        ok(num(rep, "score.count") == 3 && num(rep, "failed") == 1, "3 scores, 1 failed");
    }
    cJSON_Delete(rep);
    for (int i = 0; i < NALL; i++)
        prepared_free(&p[i]);
    hand_free(a);
    hand_free(b);
    stmt_db_close(db2);
    stmt_db_close(db);
}

struct parked_seen {
    int n;
    uint64_t seq;
    char reason[64];
};

static int on_parked(void *ctx, uint64_t seq, const char *reason, size_t len)
{
    struct parked_seen *s = ctx;
    s->n++;
    s->seq = seq;
    snprintf(s->reason, sizeof s->reason, "%.*s", (int)len, reason);
    return 0;
}

static void outbox_tests(int use_pg, const char *tmp, int refs)
{
    struct stmt_db *db = fresh(use_pg, tmp);
    struct stmt_store *st = hand_store(db);
    struct prepared p[NALL];
    struct stmt__req req;
    struct stmt_db_txn *t;
    struct stmt_outbox_item *items = NULL;
    struct stmt_outbox_stats s;
    struct parked_seen ps = {0};
    uint32_t fwd = 0, hook = 0;
    size_t n = 0, nst = refs ? NST : NFIRST;
    int rc = 0;

    for (int i = 0; i < NALL; i++)
        prepare(i, &p[i]);
    is_int(stmt_outbox_target_create(st, "{\"kind\":\"fwd\"}", 14, &fwd), STMT_STORE_OK,
           "a forwarding target");
    is_int(stmt_outbox_target_create(st, "{\"kind\":\"hook\"}", 15, &hook), STMT_STORE_OK,
           "a webhook target");
    is_int(stmt_outbox_watch(st, fwd, &(struct stmt_outbox_filter){.activity = X}), STMT_STORE_OK,
           "the forwarder watches activity X");
    is_int(stmt_outbox_subscribe(st, hook, STMT_OUTBOX_EV_COMPLETED), STMT_STORE_OK,
           "the webhook takes completions");

    /* one group of the writer: the statements' rows, then the outbox rows, one transaction */
    memset(&req, 0, sizeof req);
    req.items = calloc(nst, sizeof *req.items);
    req.n = nst;
    for (size_t i = 0; i < nst; i++)
        req.items[i] = p[i].p;
    stmt_db_txn_begin(db, 1, &t);
    for (size_t i = 0; i < nst && !rc; i++)
        rc = put_rows(st, t, &p[i], (int)i);
    if (!rc)
        rc = stmt__outbox_write(st, t, &req);
    if (!rc)
        rc = stmt_outbox_event(st, t, STMT_OUTBOX_EV_COMPLETED, "{\"ev\":1}", 8);
    is_int(rc, STMT_STORE_OK, "outbox rows written in the group's transaction");
    is_int(stmt_db_txn_commit(t), STMT_DB_OK, "and committed");
    free(req.items);

    /* activity X: s1, s2, s3, s5 (object X); s4 has X in its context only (no
     * related_activities); s6 and s7 by their targets s2 and s5 (Comm 2.1.3) */
    rc = stmt_outbox_peek(st, fwd, 0, 10, &items, &n);
    is_int(rc, STMT_STORE_OK, "peek");
    is_int((int)n, refs ? 6 : 4, "the matching statements are queued");
    if (n >= 4) {
        ok(items[0].seq == SEQ(0) && items[1].seq == SEQ(1) && items[2].seq == SEQ(2) &&
               items[3].seq == SEQ(4),
           "in stored order: s1, s2, s3, s5");
        ok(items[0].json && strlen(items[0].json) == p[0].p.json_len &&
               !memcmp(items[0].json, p[0].p.json, p[0].p.json_len),
           "with the statement's JSON from its record");
    }
    if (refs && n == 6)
        ok(items[4].seq == SEQ(5) && items[5].seq == SEQ(6),
           "and the voiding statements, by their targets");
    stmt_outbox_items_free(items, n);
    items = NULL;

    rc = stmt_outbox_peek(st, fwd, SEQ(1), 2, &items, &n);
    ok(rc == STMT_STORE_OK && n == 2 && items[0].seq == SEQ(2) && items[1].seq == SEQ(4),
       "peek after a key, at most 2");
    stmt_outbox_items_free(items, n);
    items = NULL;

    rc = stmt_outbox_peek(st, hook, 0, 10, &items, &n);
    ok(rc == STMT_STORE_OK && n == 1 && items[0].json && !strcmp(items[0].json, "{\"ev\":1}"),
       "the event row of the webhook, with its payload");
    stmt_outbox_items_free(items, n);
    items = NULL;

    {
        uint64_t done[2] = {SEQ(0), SEQ(1)};
        is_int(stmt_outbox_done(st, fwd, done, 2), STMT_STORE_OK, "two rows delivered");
    }
    is_int(stmt_outbox_park(st, fwd, SEQ(2), "refused: 400"), STMT_STORE_OK, "one row parked");
    is_int(stmt_outbox_stats(st, fwd, 0, &s), STMT_STORE_OK, "stats");
    ok(s.sent == 2 && s.parked == 1 && s.queued == (refs ? 3u : 1u) && s.oldest_us == SEQ(4),
       "sent 2, parked 1, the rest queued from s5");
    is_int(stmt_outbox_parked(st, fwd, 10, on_parked, &ps), STMT_STORE_OK, "parked rows");
    ok(ps.n == 1 && ps.seq == SEQ(2) && !strcmp(ps.reason, "refused: 400"),
       "the parked row with its reason");

    rc = stmt_outbox_records(st, SEQ(0), 3, &items, &n);
    ok(rc == STMT_STORE_OK && n == 3 && items[0].seq == SEQ(1) && items[2].seq == SEQ(3) &&
           items[1].json && strlen(items[1].json) == p[2].p.json_len,
       "records after s1: s2, s3, s4 (a cursor on the records)");
    stmt_outbox_items_free(items, n);
    items = NULL;
    rc = stmt_outbox_records(st, SEQ(nst - 1), 3, &items, &n);
    ok(rc == STMT_STORE_OK && n == 0, "no record after the last");
    stmt_outbox_items_free(items, n);

    is_int(stmt_outbox_target_delete(st, fwd), STMT_STORE_OK, "the forwarder deleted");
    rc = stmt_outbox_stats(st, fwd, 0, &s);
    ok(rc == STMT_STORE_OK && s.queued == 0 && s.sent == 0 && s.parked == 0,
       "with its rows and counters");

    for (int i = 0; i < NALL; i++)
        prepared_free(&p[i]);
    hand_free(st);
    stmt_db_close(db);
}

int main(int argc, char **argv)
{
    int use_pg = argc > 1 && strcmp(argv[1], "pg") == 0;
    int refs = 1; /* voiding and StatementRef matching (stmt__rec_by_id_t) on both */
    char tmp[] = "/tmp/scolar-foldb-XXXXXX", cmd[64];

    if (!mkdtemp(tmp))
        return 2;
    tap_diag("backend: %s", use_pg ? "PostgreSQL" : "LMDB");
    report_tests(use_pg, tmp, refs);
    tap_diag("again, each fold with its facts queued and prefetched (stmt_report_prefetch.c)");
    use_prefetch = 1;
    report_tests(use_pg, tmp, refs);
    outbox_tests(use_pg, tmp, refs);
    if (use_pg)
        two_nodes_tests(tmp);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0)
        tap_diag("cannot remove %s", tmp);
    return tap_done();
}
