/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `scolar check`: the activity report tallies the writer keeps (statements/stmt_report.c)
 * against tallies built again from the statements. The store is copied (stmt_db_copy_open,
 * into a folder inside the data directory, removed afterwards), the copy is reindexed (the
 * fold rebuilds every tally from the records in stored order, as `scolar reindex` does), and
 * the report of every activity the statements name (object and context activities, up to
 * CHECK_MAX_ACTIVITIES) is read from both and compared: numbers within 1e-9 relative (a
 * voided score is subtracted from a sum the copy never added), everything else exactly.
 */
#include "lrs/lrs.h"
#include "lrs/lrs_cli.h"
#include "common/sc_alloc.h"
#include "common/sc_json.h"
#include "statements/stmt_db.h"
#include "statements/stmt_report.h"
#include "statements/stmt_store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_MAX_ACTIVITIES 200000

/* A set of activity IRIs (open addressing on a power-of-two table). */
struct iris {
    char **slot;
    size_t cap, n;
    int full, nomem;
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void iris_add(struct iris *t, const char *s)
{
    size_t i;
    if (!s || t->nomem)
        return;
    if (t->n * 2 >= t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 1024;
        char **ns;
        if (t->n >= CHECK_MAX_ACTIVITIES) {
            t->full = 1;
            return;
        }
        ns = sc_calloc(nc, sizeof *ns);
        if (!ns) {
            t->nomem = 1;
            return;
        }
        for (size_t k = 0; k < t->cap; k++) {
            if (!t->slot[k])
                continue;
            for (i = fnv(t->slot[k]) & (nc - 1); ns[i]; i = (i + 1) & (nc - 1))
                ;
            ns[i] = t->slot[k];
        }
        sc_free(t->slot);
        t->slot = ns;
        t->cap = nc;
    }
    for (i = fnv(s) & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
        if (!strcmp(t->slot[i], s))
            return;
    if (!(t->slot[i] = sc_strdup(s))) {
        t->nomem = 1;
        return;
    }
    t->n++;
}

static void iris_free(struct iris *t)
{
    for (size_t i = 0; i < t->cap; i++)
        sc_free(t->slot[i]);
    sc_free(t->slot);
}

static void add_context(struct iris *t, const cJSON *s)
{
    static const char *const kinds[] = {"parent", "grouping", "category", "other"};
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s, "context"), "contextActivities");
    for (size_t k = 0; k < 4; k++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(ca, kinds[k]), *a;
        if (cJSON_IsObject(list))
            iris_add(t, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(list, "id")));
        else
            cJSON_ArrayForEach(a, list)
            {
                iris_add(t, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "id")));
            }
    }
}

/* Every activity the store's statements are about (voided ones left out, as the reports do). */
static int collect(struct stmt_store *st, struct iris *t)
{
    struct stmt_query q;
    struct stmt_page page;
    char more[STMT_STORE_MORE_LEN] = "";
    int rc;
    memset(&q, 0, sizeof q);
    q.ascending = 1;
    q.limit = 1000;
    q.scope = "scolar check";
    do {
        q.cursor = more[0] ? more : NULL;
        rc = stmt_store_query(st, &q, &page);
        if (rc)
            return rc;
        for (size_t i = 0; i < page.n; i++) {
            cJSON *s = cJSON_ParseWithLength(page.items[i].json, page.items[i].len);
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(s, "object");
            const char *ot =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "objectType"));
            if (!s) {
                stmt_page_free(&page);
                return STMT_STORE_ERR_NOMEM;
            }
            if (!ot || !strcmp(ot, "Activity"))
                iris_add(t, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id")));
            add_context(t, s);
            cJSON_Delete(s);
        }
        snprintf(more, sizeof more, "%s", page.more);
        stmt_page_free(&page);
    } while (more[0] && !t->full && !t->nomem);
    return t->nomem ? STMT_STORE_ERR_NOMEM : STMT_STORE_OK;
}

static int rm_visit(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static cJSON *report_of(struct stmt_store *st, const char *iri)
{
    cJSON *r = NULL;
    if (stmt_report_activity(st, iri, 0, 0, &r))
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(r, "consistent_through");
    return r;
}

int lrs_check_activity_reports(const struct lrs_config *cfg, struct stmt_db *db)
{
    const char *data_dir = cfg->data_dir;
    char tmp[4096], file[4200], err[512];
    struct stmt_db *cdb = NULL;
    struct stmt_store *st = NULL, *cst = NULL;
    struct stmt_store_opts ro;
    struct iris acts = {0};
    size_t bad = 0, checked = 0;
    int rc = 1;

    if (snprintf(tmp, sizeof tmp, "%s/check-XXXXXX", data_dir) >= (int)sizeof tmp ||
        !mkdtemp(tmp)) {
        fprintf(stderr, "activity reports: cannot make a folder in %s for the copy\n", data_dir);
        return 1;
    }
    snprintf(file, sizeof file, "%s/store.mdb", tmp);
    if (cfg->store[0]) {
        /* PostgreSQL: the copy is an LMDB store made row by row (cmd_copy.c) */
        if (lrs_cli_open_dir(tmp, &cdb) || lrs_store_copy(db, cdb, 0, NULL, err, sizeof err)) {
            fprintf(stderr, "activity reports: copying the store failed: %s\n",
                    cdb ? err : "cannot open the copy");
            goto out;
        }
    } else if (stmt_db_copy_open(db, file, err, sizeof err)) {
        fprintf(stderr, "activity reports: copying the store failed: %s\n", err);
        goto out;
    }
    memset(&ro, 0, sizeof ro);
    ro.reindex = 1;
    if ((!cdb && lrs_cli_open_dir(tmp, &cdb)) || stmt_store_open(cdb, &ro, &cst) ||
        stmt_store_open(db, NULL, &st)) {
        fprintf(stderr, "activity reports: opening the store or its copy failed\n");
        goto out;
    }
    if (collect(st, &acts)) {
        fprintf(stderr, "activity reports: reading the statements failed\n");
        goto out;
    }
    for (size_t i = 0; i < acts.cap; i++) {
        cJSON *kept, *built;
        char why[512];
        if (!acts.slot[i])
            continue;
        kept = report_of(st, acts.slot[i]);
        built = report_of(cst, acts.slot[i]);
        if (!kept || !built) {
            cJSON_Delete(kept);
            cJSON_Delete(built);
            fprintf(stderr, "activity reports: reading the report of %.200s failed\n",
                    acts.slot[i]);
            goto out;
        }
        checked++;
        if (!sc_json_near(kept, built, 1e-9, why, sizeof why) && bad++ < 20)
            fprintf(stderr, "activity %.200s: the kept report differs from one built again at %s\n",
                    acts.slot[i], why);
        cJSON_Delete(kept);
        cJSON_Delete(built);
    }
    if (bad) {
        fprintf(stderr,
                "activity reports: %zu of %zu differ from the statements (scolar reindex "
                "rebuilds them)\n",
                bad, checked);
        goto out;
    }
    printf("activity reports: %zu activities, kept tallies match the statements%s\n", checked,
           acts.full ? " (the first 200,000 activities checked)" : "");
    rc = 0;
out:
    stmt_store_close(cst);
    stmt_store_close(st);
    if (cdb)
        stmt_db_close(cdb);
    iris_free(&acts);
    nftw(tmp, rm_visit, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
