/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Part of test_stmt_store.c on PostgreSQL (issue 19): two nodes on one database, each with
 * four clients writing at once, so that each node's writer takes groups of several requests
 * (stmt_writer.c takes the database's write lock first and the queued requests after; a
 * group's ids are looked up together; its inline fold reads its records from memory). Within
 * and across groups and nodes: identical statements stored once, a race for one id with
 * different content won by exactly one client (S2), voiding of a statement of an earlier group,
 * every acknowledged statement found through the other node by id and by its index, stored
 * values one strictly ascending order that is each client's order too. Included by
 * test_stmt_store.c after its helpers (mk, mk_void, present, uuid, rm_rf).
 */
#ifndef STORE_GROUPS_TESTS_H
#define STORE_GROUPS_TESTS_H

#define GRP_CLIENTS 8 /* even ones write through node A, odd ones through B */
#define GRP_ROUNDS 20
#define GRP_VERB "http://ex.org/v/grouped"

struct grp_state {
    struct stmt_store *node[2];
    pthread_barrier_t go;
    /* ids made before the run: each client's own (f: voided by its next round, u: never
     * voided, w: the voiding one), and per round one shared by every client (s: the same
     * statement from all, c: other content from each) */
    char f[GRP_CLIENTS][GRP_ROUNDS][SC_UUID_LEN], u[GRP_CLIENTS][GRP_ROUNDS][SC_UUID_LEN];
    char w[GRP_CLIENTS][GRP_ROUNDS][SC_UUID_LEN];
    char s[GRP_ROUNDS][SC_UUID_LEN], c[GRP_ROUNDS][SC_UUID_LEN];
    /* results */
    int64_t f_stored[GRP_CLIENTS][GRP_ROUNDS];
    int batch_rc[GRP_CLIENTS][GRP_ROUNDS], c_rc[GRP_CLIENTS][GRP_ROUNDS];
    size_t n_stored[GRP_CLIENTS][GRP_ROUNDS];
    int order_ok[GRP_CLIENTS];
};

struct grp_client {
    struct grp_state *g;
    int k;
};

static void *grp_client_main(void *arg)
{
    struct grp_client *cl = arg;
    struct grp_state *g = cl->g;
    struct stmt_store *st = g->node[cl->k % 2];
    int k = cl->k;
    int64_t prev = 0;
    g->order_ok[k] = 1;
    pthread_barrier_wait(&g->go);
    for (int r = 0; r < GRP_ROUNDS; r++) {
        cJSON *b[4], *c[2];
        size_t n = 0, sat = (size_t)(k + r) % 2 ? 1 : 3;
        char who[64], act[64];
        struct stmt_insert_result res;
        /* f first (its stored value is the batch's), then s at a place that differs between
         * clients and rounds (requests of one group are looked up together) */
        snprintf(who, sizeof who, "g%d-%d@example.org", k, r);
        b[n++] = mk(g->f[k][r], who, GRP_VERB, "http://ex.org/a/g");
        snprintf(act, sizeof act, "http://ex.org/a/u%d-%d", k, r);
        b[n++] = mk(g->u[k][r], who, GRP_VERB, act);
        if (r > 0)
            b[n++] = mk_void(g->w[k][r], g->f[k][r - 1]);
        snprintf(act, sizeof act, "http://ex.org/a/s%d", r);
        b[n++] = mk(g->s[r], "shared@example.org", GRP_VERB, act);
        if (sat < n - 1) {
            cJSON *x = b[sat];
            b[sat] = b[n - 1];
            b[n - 1] = x;
        }
        g->batch_rc[k][r] = stmt_store_insert(st, b, n, AUTH, &res);
        if (g->batch_rc[k][r] == STMT_STORE_OK) {
            g->n_stored[k][r] = res.n_stored;
            /* the first new statement of the batch: f (always new) */
            g->order_ok[k] &= res.stored_us > prev;
            prev = res.stored_us;
            g->f_stored[k][r] = res.stored_us; /* u is stored after it (its query) */
        }
        stmt_insert_result_free(&res);
        for (size_t i = 0; i < n; i++)
            cJSON_Delete(b[i]);
        /* c with a new statement of no interest (verb "other"), before or after it */
        snprintf(who, sizeof who, "c%d@example.org", k);
        c[k % 2] = mk(g->c[r], who, GRP_VERB, "http://ex.org/a/c");
        c[1 - k % 2] = mk(NULL, who, "http://ex.org/v/other", "http://ex.org/a/c");
        g->c_rc[k][r] = stmt_store_insert(st, c, 2, AUTH, &res);
        cJSON_Delete(c[0]);
        cJSON_Delete(c[1]);
        if (g->c_rc[k][r] == STMT_STORE_OK) {
            g->order_ok[k] &= res.stored_us > prev;
            prev = res.stored_us;
        }
        stmt_insert_result_free(&res);
    }
    return NULL;
}

/* The statements of a query through st, all pages; -1 on a failed query. */
static int grp_query(struct stmt_store *st, struct stmt_query *q, char (*ids)[SC_UUID_LEN],
                     int64_t *stored, int max)
{
    char more[STMT_STORE_MORE_LEN] = "";
    int n = 0;
    do {
        struct stmt_page page;
        q->cursor = more[0] ? more : NULL;
        if (stmt_store_query(st, q, &page) != STMT_STORE_OK)
            return -1;
        for (size_t i = 0; i < page.n; i++, n++) {
            if (n < max) {
                memcpy(ids[n], page.items[i].id, SC_UUID_LEN);
                stored[n] = page.items[i].stored_us;
            }
        }
        snprintf(more, sizeof more, "%s", page.more);
        stmt_page_free(&page);
    } while (more[0]);
    return n;
}

static void test_nodes_grouped(const char *url)
{
    static struct grp_state g;
    struct stmt_db *dbs[2] = {NULL, NULL};
    struct grp_client cl[GRP_CLIENTS];
    pthread_t th[GRP_CLIENTS];
    char err[256] = "", dir[256];
    int all_ok = 1, s_once = 1, c_once = 1, voided_ok = 1, found = 1, order = 1, exact = 1;
    memset(&g, 0, sizeof g);
    snprintf(dir, sizeof dir, "/tmp/scolar-test-store-groups-%d", (int)getpid());
    for (int i = 0; i < 2; i++) {
        if (stmt_db_open_url(url, dir, &dbs[i], err, sizeof err) ||
            stmt_store_open(dbs[i], NULL, &g.node[i])) {
            ok(0, "node %c opens the database %s", 'A' + i, err);
            goto out;
        }
    }
    for (int r = 0; r < GRP_ROUNDS; r++) {
        uuid(g.s[r]);
        uuid(g.c[r]);
        for (int k = 0; k < GRP_CLIENTS; k++) {
            uuid(g.f[k][r]);
            uuid(g.u[k][r]);
            uuid(g.w[k][r]);
        }
    }
    pthread_barrier_init(&g.go, NULL, GRP_CLIENTS);
    for (int k = 0; k < GRP_CLIENTS; k++) {
        cl[k].g = &g;
        cl[k].k = k;
        pthread_create(&th[k], NULL, grp_client_main, &cl[k]);
    }
    for (int k = 0; k < GRP_CLIENTS; k++)
        pthread_join(th[k], NULL);
    pthread_barrier_destroy(&g.go);

    for (int r = 0; r < GRP_ROUNDS; r++) {
        int s_new = 0, c_won = -1, c_lost = 0;
        for (int k = 0; k < GRP_CLIENTS; k++) {
            size_t own = r > 0 ? 3 : 2; /* f, u, and the voiding statement */
            if (g.batch_rc[k][r] != STMT_STORE_OK) {
                all_ok = 0;
                tap_diag("client %d round %d: batch answered %d", k, r, g.batch_rc[k][r]);
                continue;
            }
            if (g.n_stored[k][r] == own + 1)
                s_new++;
            else if (g.n_stored[k][r] != own)
                s_once = 0;
            if (g.c_rc[k][r] == STMT_STORE_OK)
                c_won = c_won < 0 ? k : -2;
            else if (g.c_rc[k][r] == STMT_STORE_ERR_CONFLICT)
                c_lost++;
        }
        s_once &= s_new == 1;
        c_once &= c_won >= 0 && c_lost == GRP_CLIENTS - 1;
        if (c_won >= 0) {
            /* the winner's content, through both nodes */
            for (int i = 0; i < 2; i++) {
                char *json = NULL, want[64];
                snprintf(want, sizeof want, "mailto:c%d@example.org", c_won);
                c_once &= stmt_store_get(g.node[i], g.c[r], 0, &json, NULL) == STMT_STORE_OK &&
                          json && strstr(json, want) != NULL;
                sc_free(json);
            }
        }
    }
    ok(all_ok, "8 clients, 4 through each node, 20 batches each: every batch stored");
    ok(s_once, "the same statement sent by every client in a round is stored once (S1), "
               "the others' copies are no-ops");
    ok(c_once, "one id with other content from each client: exactly one stored, the other 7 "
               "refused (S2), and the stored one is the winner's through both nodes");
    for (int k = 0; k < GRP_CLIENTS; k++) {
        struct stmt_store *other = g.node[1 - k % 2];
        order &= g.order_ok[k];
        for (int r = 0; r < GRP_ROUNDS; r++) {
            int last = r == GRP_ROUNDS - 1;
            voided_ok &= present(other, g.f[k][r], !last) && !present(other, g.f[k][r], last);
            found &= present(other, g.u[k][r], 0) && (r == 0 || present(other, g.w[k][r], 0));
            {
                /* the index of every group's records: its own activity, through the other node */
                struct stmt_query q = {0};
                char act[64], ids[2][SC_UUID_LEN];
                int64_t stored[2];
                snprintf(act, sizeof act, "http://ex.org/a/u%d-%d", k, r);
                q.activity = act;
                int n = grp_query(other, &q, ids, stored, 2);
                if (n != 1 || strcmp(ids[0], g.u[k][r]) || stored[0] <= g.f_stored[k][r]) {
                    exact = 0;
                    tap_diag("client %d round %d: activity query through the other node: %d", k, r,
                             n);
                }
            }
        }
    }
    ok(voided_ok, "each client's statement voided by its next batch is voided through the other "
                  "node, the last one is not");
    ok(found, "every acknowledged statement is found by id through the other node");
    ok(exact, "and by its activity through the other node's index (exactly it)");
    ok(order, "each client's answers have ascending stored values (commit order)");
    {
        /* one total order: the whole verb ascending through A, the same descending through B */
        static char up[400][SC_UUID_LEN], down[400][SC_UUID_LEN];
        static int64_t su[400], sd[400];
        struct stmt_query q = {0};
        int n1, n2, same = 1, mono = 1;
        /* not voided: u of every client and round, f of the last round, s and c per round;
         * and the voiding statements, whose targets have the verb (Comm 2.1.3: a statement
         * targeting another meets a filter its target meets) */
        int want = GRP_CLIENTS * GRP_ROUNDS + GRP_CLIENTS + 2 * GRP_ROUNDS +
                   GRP_CLIENTS * (GRP_ROUNDS - 1);
        q.verb = GRP_VERB;
        q.ascending = 1;
        q.limit = 37;
        n1 = grp_query(g.node[0], &q, up, su, 400);
        q.ascending = 0;
        q.limit = 23;
        n2 = grp_query(g.node[1], &q, down, sd, 400);
        for (int i = 0; i < n1 && i < 400; i++) {
            mono &= i == 0 || su[i] > su[i - 1];
            same &= n1 == n2 && !strcmp(up[i], down[n1 - 1 - i]) && su[i] == sd[n1 - 1 - i];
        }
        is_int(n1, want, "the verb's statements through A: all acknowledged ones");
        ok(mono, "in strictly ascending stored order");
        ok(same, "through B, descending, the same statements in the reverse order");
    }
out:
    for (int i = 0; i < 2; i++) {
        stmt_store_close(g.node[i]);
        stmt_db_close(dbs[i]);
    }
    rm_rf(dir);
}

#endif
