/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests on the PostgreSQL backend (issue 19): tools/test.sh starts a throwaway cluster
 * (tools/pg-throwaway.sh) and exports its URL as SCOLAR_TEST_PG; tools/pg-gate.sh runs these
 * tests only then (skipped by name otherwise, failed when CI=true). Each store a test opens is
 * a database of its own, created here, so tests never see each other's rows.
 */
#ifndef PG_TEST_UTIL_H
#define PG_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statements/stmt_db.h"

#ifdef SCOLAR_HAVE_PG
#include <libpq-fe.h>

/* Run one SQL command on the database of url; 0 or -1 (the reason on stderr). */
static inline int pgtu_exec(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r;
    int rc = -1;
    if (PQstatus(c) == CONNECTION_OK) {
        r = PQexec(c, sql);
        rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
        if (rc)
            fprintf(stderr, "pgtu_exec %s: %s", sql, PQerrorMessage(c));
        PQclear(r);
    } else {
        fprintf(stderr, "pgtu_exec: cannot connect: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return rc;
}
#else
static inline int pgtu_exec(const char *url, const char *sql)
{
    (void)url;
    (void)sql;
    fprintf(stderr, "built without libpq\n");
    return -1;
}
#endif

/* The URL of a new, empty database on the cluster of SCOLAR_TEST_PG (a URL of the form
 * postgresql://user@/dbname?params, as tools/pg-throwaway.sh prints). 0, or -1 when there is
 * no cluster or the database could not be made. */
static inline int pgtu_fresh_url(char *out, size_t n)
{
    static int seq;
    const char *base = getenv("SCOLAR_TEST_PG");
    const char *q, *slash;
    char name[64], sql[128];
    if (!base || !*base)
        return -1;
    q = strchr(base, '?');
    if (!q)
        q = base + strlen(base);
    slash = q;
    while (slash > base && *slash != '/')
        slash--;
    if (*slash != '/')
        return -1;
    snprintf(name, sizeof name, "scolar_t%ld_%d", (long)getpid(), seq++);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    if (pgtu_exec(base, sql))
        return -1;
    if (snprintf(out, n, "%.*s/%s%s", (int)(slash - base), base, name, q) >= (int)n)
        return -1;
    return 0;
}

/* stmt_db_open of a test's store: the LMDB folder dir, or with SCOLAR_TEST_BACKEND=pg (the
 * *_pg tests, tools/pg-gate.sh) a fresh database of SCOLAR_TEST_PG with dir as the node's
 * folder (issue 19). Returns stmt_db_open's code, or -1 with err set when no database. */
static inline int pgtu_open_env(const char *dir, struct stmt_db **db, char *err, size_t errlen)
{
    const char *be = getenv("SCOLAR_TEST_BACKEND");
    char url[512];
    if (!be || strcmp(be, "pg") != 0)
        return stmt_db_open(dir, db, err, errlen);
    if (pgtu_fresh_url(url, sizeof url)) {
        snprintf(err, errlen, "SCOLAR_TEST_BACKEND=pg: no fresh database on SCOLAR_TEST_PG");
        return -1;
    }
    return stmt_db_open_url(url, dir, db, err, errlen);
}

/* A new empty store for a test: on PostgreSQL a fresh database of SCOLAR_TEST_PG (use_pg),
 * else an LMDB folder under tmp; its node folder is tmp/dN either way. The location opened is
 * copied to loc (may be NULL). Exits 2 (the test cannot run) when it cannot be opened. */
static inline struct stmt_db *pgtu_fresh_db(int use_pg, const char *tmp, char *loc, size_t locn)
{
    static int n;
    struct stmt_db *db = NULL;
    char where[512], dir[320], err[512];
    snprintf(dir, sizeof dir, "%s/d%d", tmp, n++);
    if (use_pg) {
        if (pgtu_fresh_url(where, sizeof where)) {
            fprintf(stderr, "no fresh database on SCOLAR_TEST_PG\n");
            exit(2);
        }
    } else {
        snprintf(where, sizeof where, "%s", dir);
    }
    if (stmt_db_open_url(where, dir, &db, err, sizeof err) != STMT_DB_OK) {
        fprintf(stderr, "open %s: %s\n", where, err);
        exit(2);
    }
    if (loc)
        snprintf(loc, locn, "%s", where);
    return db;
}

#endif
