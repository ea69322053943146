/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The physical limit for statement ingest (issue 3): the same records and index entries the
 * statement store writes (statements/stmt_store.h layout: record under the big-endian stored
 * sequence with MDB_APPEND, id -> seq, one "stmt_idx" entry per term), written straight to
 * LMDB from one thread in durable transactions of 100 statements (full sync, no unsafe flags).
 * Preparing the records (JSON, terms) is done before the clock starts.
 *
 *   bench_lmdb_raw [statements=100000] [dir=/tmp/scolar-bench-raw]
 */
#include "bench/bench_stmt_gen.h"
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define AUTH "{\"objectType\":\"Agent\",\"name\":\"bench\",\"mbox\":\"mailto:bench@example.org\"}"

struct rec {
    unsigned char id[16];
    unsigned char *bytes;
    size_t len;
    uint64_t *terms;
    size_t nterms;
};

static int check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "bench_lmdb_raw: %s: %s\n", what, mdb_strerror(rc));
        exit(1);
    }
    return rc;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    const char *dir = argc > 2 ? argv[2] : "/tmp/scolar-bench-raw";
    struct rec *recs = sc_calloc(n, sizeof *recs);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    cJSON *auth = cJSON_Parse(AUTH);
    MDB_env *env;
    MDB_dbi t_stmt, t_id, t_idx;
    MDB_txn *txn;
    char cmd[512], path[600];
    size_t bytes = 0, entries = 0;
    int64_t t0, t1, seq0 = sc_time_now_us();
    /* RAW_BATCH / RAW_NOIDX: variants used to find where the time goes (see results). */
    size_t batch = getenv("RAW_BATCH") ? strtoul(getenv("RAW_BATCH"), NULL, 10) : 100;
    int noidx = getenv("RAW_NOIDX") != NULL;

    if (!recs || !auth)
        return 1;
    for (size_t i = 0; i < n; i++) {
        cJSON *s = bench_stmt(&seed);
        char id[SC_UUID_LEN], iso[SC_TIME_ISO_LEN], *json;
        unsigned char *r;
        size_t jl, sl;
        char suffix[96];
        sc_uuid_v4(id);
        cJSON_AddStringToObject(s, "id", id);
        cJSON_AddItemToObject(s, "authority", cJSON_Duplicate(auth, 1));
        cJSON_AddStringToObject(s, "version", "1.0.0");
        stmt__uuid_parse(id, recs[i].id);
        stmt__terms_collect(s, &recs[i].terms, &recs[i].nterms);
        json = cJSON_PrintUnformatted(s);
        jl = strlen(json) - 1;
        sc_time_format_iso(seq0 + (int64_t)i, 6, iso);
        sl = (size_t)snprintf(suffix, sizeof suffix, ",\"stored\":\"%s\"}", iso);
        recs[i].len = STMT_REC_HDR + 8 * recs[i].nterms + jl + sl;
        r = recs[i].bytes = sc_malloc(recs[i].len);
        if (!r)
            return 1;
        memset(r, 0, STMT_REC_HDR);
        r[0] = STMT_REC_FORMAT;
        r[2] = (unsigned char)(recs[i].nterms >> 8);
        r[3] = (unsigned char)recs[i].nterms;
        memcpy(r + 4, recs[i].id, 16);
        for (size_t k = 0; k < recs[i].nterms; k++)
            stmt__be64_put(r + STMT_REC_HDR + 8 * k, recs[i].terms[k]);
        memcpy(r + STMT_REC_HDR + 8 * recs[i].nterms, json, jl);
        memcpy(r + STMT_REC_HDR + 8 * recs[i].nterms + jl, suffix, sl);
        bytes += recs[i].len;
        entries += 2 + recs[i].nterms;
        cJSON_free(json);
        cJSON_Delete(s);
    }

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    mkdir(dir, 0750);
    snprintf(path, sizeof path, "%s/store.mdb", dir);
    check(mdb_env_create(&env), "env_create");
    mdb_env_set_maxdbs(env, 8);
    mdb_env_set_mapsize(env, (size_t)16 << 30);
    check(mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOTLS, 0640), "env_open");
    check(mdb_txn_begin(env, NULL, 0, &txn), "txn");
    check(mdb_dbi_open(txn, "stmt", MDB_CREATE, &t_stmt), "dbi stmt");
    check(mdb_dbi_open(txn, "stmt_id", MDB_CREATE, &t_id), "dbi stmt_id");
    check(mdb_dbi_open(txn, "stmt_idx", MDB_CREATE, &t_idx), "dbi stmt_idx");
    check(mdb_txn_commit(txn), "commit");

    t0 = sc_time_mono_us();
    for (size_t b = 0; b < n; b += batch) {
        check(mdb_txn_begin(env, NULL, 0, &txn), "txn");
        for (size_t i = b; i < b + batch && i < n; i++) {
            unsigned char seq8[8], ik[16];
            MDB_val k = {8, seq8}, v = {recs[i].len, recs[i].bytes};
            MDB_val idk = {16, recs[i].id}, idv = {8, seq8}, e = {0, NULL};
            stmt__be64_put(seq8, (uint64_t)(seq0 + (int64_t)i));
            check(mdb_put(txn, t_stmt, &k, &v, MDB_APPEND), "put stmt");
            check(mdb_put(txn, t_id, &idk, &idv, MDB_NOOVERWRITE), "put id");
            for (size_t t = 0; !noidx && t < recs[i].nterms; t++) {
                MDB_val xk = {16, ik};
                stmt__be64_put(ik, recs[i].terms[t]);
                memcpy(ik + 8, seq8, 8);
                check(mdb_put(txn, t_idx, &xk, &e, 0), "put idx");
            }
        }
        check(mdb_txn_commit(txn), "commit");
    }
    t1 = sc_time_mono_us();
    printf("raw LMDB: %zu statements (%zu bytes of records, %zu keys) in batches of %zu%s: "
           "%.2f s, %.0f statements/s\n",
           n, bytes, entries, batch, noidx ? " (no index entries)" : "", (double)(t1 - t0) / 1e6,
           (double)n * 1e6 / (double)(t1 - t0));
    mdb_env_close(env);
    for (size_t i = 0; i < n; i++) {
        sc_free(recs[i].bytes);
        sc_free(recs[i].terms);
    }
    sc_free(recs);
    cJSON_Delete(auth);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
