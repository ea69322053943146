/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL part of test_stmt_store.c (issue 19): a write transaction's batched puts
 * (test_put_batches) and two nodes on one database (test_two_nodes: read-your-writes, conflicts
 * and voiding across nodes, `more` paging while both write, Consistent-Through). Included by
 * test_stmt_store.c after its helpers (insert1, present, uuid, fresh_store, rm_rf), as the
 * contract_*.h parts are by test_stmt_db_contract.c; kept apart to hold each file under 1,000
 * lines.
 */
#ifndef STORE_NODES_TESTS_H
#define STORE_NODES_TESTS_H

/* The writer of node `a` while node `b` writes too (test_two_nodes). */
struct node_writer {
    struct stmt_store *st;
    const char *verb;
    int n, failed;
    atomic_int done;
};

static void *node_writer_main(void *arg)
{
    struct node_writer *w = arg;
    for (int i = 0; i < w->n; i++) {
        cJSON *batch[5];
        struct stmt_insert_result res;
        for (int k = 0; k < 5; k++)
            batch[k] = mk(NULL, "n@example.org", w->verb, "http://ex.org/a/nodes");
        w->failed += stmt_store_insert(w->st, batch, 5, AUTH, &res) != STMT_STORE_OK;
        stmt_insert_result_free(&res);
        for (int k = 0; k < 5; k++)
            cJSON_Delete(batch[k]);
    }
    atomic_store(&w->done, 1);
    return NULL;
}

static int grouped_put_fail(struct stmt_db_txn *t, void *ctx)
{
    (void)ctx;
    stmt_db_put(t, "docs", "g1", 2, "x", 1, 0);
    return STMT_DB_ERR_IO; /* this work's puts are rolled back (a savepoint on PostgreSQL) */
}

static int grouped_put_ok(struct stmt_db_txn *t, void *ctx)
{
    (void)ctx;
    return stmt_db_put(t, "docs", "g2", 2, "y", 1, 0);
}

/* Plain puts of a PostgreSQL write transaction go to the server together (stmt_db_pg_batch.c)
 * before its next other statement: the same answers as one by one. */
static void test_put_batches(struct stmt_db *db)
{
    struct stmt_db_txn *t = NULL;
    const void *v;
    size_t vl;
    char *got = NULL;
    int rc = stmt_db_txn_begin(db, 1, &t);
    rc = rc ? rc : stmt_db_put(t, "docs", "k1", 2, "one", 3, 0);
    rc = rc ? rc : stmt_db_put(t, "docs", "k1", 2, "two", 3, 0); /* same key, same batch */
    rc = rc ? rc : stmt_db_put(t, "docs", "k2", 2, "gone", 4, 0);
    rc = rc ? rc : stmt_db_del(t, "docs", "k2", 2); /* sends the batch first */
    rc = rc ? rc : stmt_db_put(t, "docs", "k3", 2, "three", 5, 0);
    if (!rc) {
        rc = stmt_db_get(t, "docs", "k3", 2, &v, &vl); /* reads its own put */
        ok(rc == 0 && vl == 5 && !memcmp(v, "three", 5), "a get sees the puts before it");
    }
    is_int(rc ? rc : stmt_db_txn_commit(t), STMT_DB_OK, "batched puts committed");
    if (rc)
        stmt_db_txn_abort(t);
    ok(stmt_db_get1(db, "docs", "k1", 2, &got, &vl) == 0 && vl == 3 && !memcmp(got, "two", 3),
       "a key put twice keeps its last value");
    sc_free(got);
    got = NULL;
    is_int(stmt_db_get1(db, "docs", "k2", 2, &got, &vl), STMT_DB_NOTFOUND,
           "a put then deleted is gone");
    sc_free(got);
    got = NULL;
    if (stmt_db_txn_begin(db, 1, &t) == STMT_DB_OK) {
        stmt_db_put(t, "docs", "k4", 2, "four", 4, 0);
        stmt_db_txn_abort(t);
    }
    is_int(stmt_db_get1(db, "docs", "k4", 2, &got, &vl), STMT_DB_NOTFOUND,
           "an aborted transaction's unsent puts are dropped");
    sc_free(got);
    got = NULL;
    is_int(stmt_db_txn_run_grouped(db, grouped_put_fail, NULL), STMT_DB_ERR_IO, "a failing work");
    is_int(stmt_db_txn_run_grouped(db, grouped_put_ok, NULL), STMT_DB_OK, "then a good one");
    ok(stmt_db_get1(db, "docs", "g1", 2, &got, &vl) == STMT_DB_NOTFOUND,
       "the failed work's puts are rolled back");
    sc_free(got);
    got = NULL;
    ok(stmt_db_get1(db, "docs", "g2", 2, &got, &vl) == 0, "the good one's are stored");
    sc_free(got);
}

/* Two nodes on one PostgreSQL database (issue 19): two stmt_db handles and two stores in this
 * process, as two scolar processes would have. What A acknowledges is in B's next get and
 * query; stored values are one total order across both writers, so `more` paging through B
 * while both write misses nothing and repeats nothing. */
static void test_two_nodes(const char *url)
{
    struct stmt_db *da = NULL, *db = NULL;
    struct stmt_store *a = NULL, *b = NULL;
    struct stmt_insert_result res;
    char err[256] = "", dir[256];
    snprintf(dir, sizeof dir, "/tmp/scolar-test-store-nodes-%d", (int)getpid());
    if (stmt_db_open_url(url, dir, &da, err, sizeof err) ||
        stmt_db_open_url(url, dir, &db, err, sizeof err) || stmt_store_open(da, NULL, &a) ||
        stmt_store_open(db, NULL, &b)) {
        ok(0, "two nodes open the same database %s", err);
        goto out;
    }
    for (int i = 0; i < 20; i++) {
        struct stmt_query q = {0};
        struct stmt_page page;
        struct stmt_store *w = i % 2 ? b : a, *r = i % 2 ? a : b;
        char verb[64];
        int64_t ct, ct_w;
        snprintf(verb, sizeof verb, "http://ex.org/v/node-%d", i);
        if (insert1(w, mk(NULL, "x@example.org", verb, "http://ex.org/a/x"), &res)) {
            ok(0, "insert %d", i);
            break;
        }
        q.verb = verb;
        ct_w = stmt_store_consistent_through(w); /* the insert's answer */
        if (stmt_store_query(r, &q, &page) == STMT_STORE_OK) {
            ct = stmt_store_consistent_through(r);
            if (page.n != 1 || strcmp(page.items[0].id, res.ids[0]) || ct < res.stored_us ||
                ct_w < res.stored_us) {
                ok(0,
                   "statement %d written through %s found through the other node at once "
                   "(%zu, Consistent-Through %lld, stored %lld)",
                   i, i % 2 ? "B" : "A", page.n, (long long)ct, (long long)res.stored_us);
                stmt_page_free(&page);
                stmt_insert_result_free(&res);
                goto out;
            }
            stmt_page_free(&page);
        }
        if (i == 19) {
            ok(1, "20 statements written alternately through A and B: each found at once by "
                  "the other node's query, Consistent-Through of the insert and of the query "
                  ">= its stored");
            ok(present(r, res.ids[0], 0), "and by the other node's get by id");
        }
        stmt_insert_result_free(&res);
    }
    /* conflicts and voiding across nodes */
    {
        char id[SC_UUID_LEN], vid[SC_UUID_LEN];
        uuid(id);
        uuid(vid);
        is_int(insert1(a, mk(id, "c@example.org", "http://ex.org/v/c", "http://ex.org/a/c"), &res),
               STMT_STORE_OK, "A stores an id");
        stmt_insert_result_free(&res);
        is_int(
            insert1(b, mk(id, "c@example.org", "http://ex.org/v/c", "http://ex.org/a/OTHER"), &res),
            STMT_STORE_ERR_CONFLICT, "B refuses the same id with other content (S2)");
        stmt_insert_result_free(&res);
        is_int(insert1(b, mk(id, "c@example.org", "http://ex.org/v/c", "http://ex.org/a/c"), &res),
               STMT_STORE_OK, "B accepts the same statement again");
        is_int(res.n_stored, 0, "as a no-op (S1)");
        stmt_insert_result_free(&res);
        {
            /* batches (their ids are looked up together on PostgreSQL) */
            cJSON *two[2];
            char id2[SC_UUID_LEN];
            uuid(id2);
            two[0] = mk(NULL, "c@example.org", "http://ex.org/v/c", "http://ex.org/a/c2");
            two[1] = mk(id, "c@example.org", "http://ex.org/v/c", "http://ex.org/a/c");
            is_int(stmt_store_insert(b, two, 2, AUTH, &res), STMT_STORE_OK,
                   "B: a batch with A's statement again and a new one");
            is_int(res.n_stored, 1, "stores only the new one");
            stmt_insert_result_free(&res);
            cJSON_Delete(two[0]);
            cJSON_Delete(two[1]);
            two[0] = mk(id2, "c@example.org", "http://ex.org/v/c", "http://ex.org/a/c3");
            two[1] = mk(id, "c@example.org", "http://ex.org/v/c", "http://ex.org/a/OTHER");
            is_int(stmt_store_insert(b, two, 2, AUTH, &res), STMT_STORE_ERR_CONFLICT,
                   "B: a batch with A's id and other content is refused (S2)");
            is_int(res.bad_index, 1, "naming the second statement");
            stmt_insert_result_free(&res);
            ok(!present(a, id2, 0), "and nothing of it is stored (S6)");
            cJSON_Delete(two[0]);
            cJSON_Delete(two[1]);
        }
        is_int(insert1(b, mk_void(vid, id), &res), STMT_STORE_OK, "B voids A's statement");
        stmt_insert_result_free(&res);
        ok(!present(a, id, 0) && present(a, id, 1), "A sees it voided at once");
    }
    /* concurrent writers on both nodes, paging through B meanwhile */
    {
        static char seen[4000][SC_UUID_LEN];
        struct node_writer wa = {a, "http://ex.org/v/both", 40, 0, 0};
        struct node_writer wb = {b, "http://ex.org/v/both", 40, 0, 0};
        pthread_t ta, tb;
        int n = 0, mono = 1, rounds = 0, complete = 1;
        pthread_create(&ta, NULL, node_writer_main, &wa);
        pthread_create(&tb, NULL, node_writer_main, &wb);
        for (;;) {
            /* ascending paging from the start, while both nodes write; a finished walk over
             * a snapshot is compared with the same query bounded by its last stored value */
            struct stmt_query q = {0};
            char more[STMT_STORE_MORE_LEN] = "";
            int64_t prev = 0;
            int done = atomic_load(&wa.done) && atomic_load(&wb.done);
            q.verb = "http://ex.org/v/both";
            q.limit = 9;
            q.ascending = 1;
            n = 0;
            do {
                struct stmt_page page;
                q.cursor = more[0] ? more : NULL;
                if (stmt_store_query(b, &q, &page) != STMT_STORE_OK) {
                    mono = 0;
                    break;
                }
                for (size_t i = 0; i < page.n && n < 4000; i++) {
                    mono &= page.items[i].stored_us > prev;
                    prev = page.items[i].stored_us;
                    memcpy(seen[n++], page.items[i].id, SC_UUID_LEN);
                }
                snprintf(more, sizeof more, "%s", page.more);
                stmt_page_free(&page);
            } while (more[0]);
            if (n) { /* (until 0 would be no bound) */
                struct stmt_query f = {0};
                struct stmt_page page;
                int m = 0;
                char more2[STMT_STORE_MORE_LEN] = "";
                f.verb = q.verb;
                f.until_us = prev;
                f.ascending = 1;
                f.limit = 500;
                do {
                    f.cursor = more2[0] ? more2 : NULL;
                    if (stmt_store_query(a, &f, &page) != STMT_STORE_OK)
                        break;
                    for (size_t i = 0; i < page.n; i++, m++)
                        complete &= m < n && !strcmp(seen[m], page.items[i].id);
                    snprintf(more2, sizeof more2, "%s", page.more);
                    stmt_page_free(&page);
                } while (more2[0]);
                complete &= m == n;
            }
            rounds++;
            if (done) /* the writers had ended before this walk began: it saw everything */
                break;
        }
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        ok(mono, "paging through B while A and B write: strictly ascending stored values");
        ok(complete,
           "each walk equals the query bounded by its last value through A (no gap, "
           "no repeat; %d rounds)",
           rounds);
        is_int(n, 400, "the last walk has all 400 statements of both writers");
        is_int(wa.failed + wb.failed, 0, "every batch of both writers stored");
    }
    {
        /* Nobody writes: Consistent-Through is the present (the ADL suite waits for it to
         * pass the time of its last request), for a query's answer and without one. */
        struct stmt_query q = {0};
        struct stmt_page page;
        int64_t t0 = sc_time_now_us(), ct;
        ok(stmt_store_consistent_through(b) >= t0 - 1, "idle: Consistent-Through is the present");
        q.verb = "http://ex.org/v/both";
        q.limit = 1;
        t0 = sc_time_now_us();
        if (stmt_store_query(a, &q, &page) == STMT_STORE_OK)
            stmt_page_free(&page);
        ct = stmt_store_consistent_through(a);
        ok(ct >= t0 - 1, "idle: a query's Consistent-Through is the present too (%lld us behind)",
           (long long)(t0 - ct));
        {
            /* a write transaction open on A (it holds the database's write lock): B cannot
             * vouch for the present, only for the last committed statement */
            struct stmt_db_txn *wt = NULL;
            usleep(2000);
            t0 = sc_time_now_us();
            if (stmt_db_txn_begin(da, 1, &wt) == STMT_DB_OK) {
                ct = stmt_store_consistent_through(b);
                ok(ct > 0 && ct < t0,
                   "a node writing: Consistent-Through is the last committed statement");
                stmt_db_txn_abort(wt);
            } else {
                ok(0, "a write transaction on A");
            }
        }
    }
out:
    stmt_store_close(a);
    stmt_store_close(b);
    stmt_db_close(da);
    stmt_db_close(db);
    rm_rf(dir);
}

#endif
