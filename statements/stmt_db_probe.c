/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Is there a store at a location, without creating one (issue 19)? stmt_db_open_url creates
 * what is missing (an LMDB store in an empty folder; on PostgreSQL the schema, by its
 * migrations), which is right for `serve` and the commands that write, and wrong for the ones
 * that read or repair a store (`scolar check`, `reindex`, `export`, a copy's source): pointed
 * at a mistyped folder or an empty database they would create an empty store and report it
 * sound. They ask here first.
 *
 * LMDB: the folder holds store.mdb. PostgreSQL: the database has the table scolar_schema, which
 * the first migration creates (stmt_db_pg.c), looked up with to_regclass (PostgreSQL 15 docs
 * §9.26, "System Catalog Information Functions": NULL when no such relation is visible), on a
 * connection of its own that runs that one query and nothing else.
 */
#include "statements/stmt_db.h"
#include "statements/stmt_db_pg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#ifdef SCOLAR_HAVE_PG
#include <libpq-fe.h>
#endif

#ifdef SCOLAR_HAVE_PG
static int pg_exists(const char *url, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r = NULL;
    int rc;
    if (!c || PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s",
                 c ? PQerrorMessage(c) : "out of memory");
        rc = STMT_DB_ERR_ACCESS;
        goto out;
    }
    /* the schema search path of the connection, as the migrations' CREATE TABLE uses it */
    r = PQexec(c, "SELECT to_regclass('scolar_schema') IS NOT NULL");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        snprintf(err, errlen, "PostgreSQL: %s", PQerrorMessage(c));
        rc = STMT_DB_ERR_IO;
        goto out;
    }
    rc = !strcmp(PQgetvalue(r, 0, 0), "t");
    if (!rc)
        snprintf(err, errlen, "no scolar store in this database (no table scolar_schema)");
out:
    PQclear(r);
    PQfinish(c);
    return rc;
}
#endif

int stmt_db_exists(const char *location, const char *dir, char *err, size_t errlen)
{
    char path[4200];
    struct stat sb;
    if (stmt__pg_is_url(location)) {
#ifdef SCOLAR_HAVE_PG
        return pg_exists(location, err, errlen);
#else
        snprintf(err, errlen, "this scolar was built without PostgreSQL (libpq-dev missing)");
        return STMT_DB_ERR_ACCESS;
#endif
    }
    if (location && *location)
        dir = location;
    if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", dir);
        return 0;
    }
    snprintf(path, sizeof path, "%s/store.mdb", dir);
    if (stat(path, &sb) == 0)
        return 1;
    snprintf(err, errlen, "no store in %s (%s: %s)", dir, path, strerror(errno));
    return 0;
}
