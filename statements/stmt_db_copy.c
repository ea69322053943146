/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Backup of a data directory's store while a server may be using it (issue 18). LMDB lets
 * another process open the same environment read-only (readers register in store.mdb-lock);
 * mdb_env_copy2 with MDB_CP_COMPACT walks one read transaction's snapshot and writes only the
 * pages in use, renumbered: a consistent copy of everything committed before it began, while
 * the server's writer goes on (LMDB readers never block the writer). The scolar.lock of the
 * directory is not taken: it guards against a second writer, and this is a reader.
 */
#include "statements/stmt_db.h"
#include "statements/stmt_db_int.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

int stmt_db_copy_compact(const char *dir, const char *dest, char *err, size_t errlen)
{
    char path[4096];
    MDB_env *env = NULL;
    struct stat st;
    int rc;

    snprintf(path, sizeof path, "%s/store.mdb", dir);
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "no store at %s: %s", path, strerror(errno));
        return STMT_DB_ERR_ACCESS;
    }
    if (stat(dest, &st) == 0) {
        snprintf(err, errlen, "%s exists: the copy is never written over a file", dest);
        return STMT_DB_ERR_EXISTS;
    }
    rc = mdb_env_create(&env);
    if (!rc)
        rc = mdb_env_set_maxdbs(env, 128);
    if (!rc)
        rc = mdb_env_set_maxreaders(env, 512);
    /* MDB_RDONLY: a reader of the live file; the map size is taken from the file (it may have
     * grown in the server since; mdb_env_copy2 begins its own read transaction, which adopts a
     * larger size written by another process) */
    if (!rc)
        rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOTLS, 0640);
    if (rc) {
        snprintf(err, errlen, "cannot open %s to copy it: %s", path, mdb_strerror(rc));
        mdb_env_close(env);
        return rc == ENOENT || rc == EACCES ? STMT_DB_ERR_ACCESS : STMT_DB_ERR_IO;
    }
    rc = mdb_env_copy2(env, dest, MDB_CP_COMPACT);
    if (rc == MDB_MAP_RESIZED) { /* the server grew the map between open and copy */
        mdb_env_set_mapsize(env, 0);
        rc = mdb_env_copy2(env, dest, MDB_CP_COMPACT);
    }
    mdb_env_close(env);
    if (rc) {
        snprintf(err, errlen, "copy of %s to %s failed: %s", path, dest, mdb_strerror(rc));
        remove(dest);
        return rc == ENOSPC ? STMT_DB_ERR_FULL : STMT_DB_ERR_IO;
    }
    return 0;
}

int stmt_db_copy_open(struct stmt_db *db, const char *dest, char *err, size_t errlen)
{
    /* the environment this process has open (stmt_db_copy_fd): a second mdb_env_open of the
     * same file in one process would break LMDB's locks (lmdb.h, "Caveats") */
    int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640), rc;
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", dest, strerror(errno));
        return errno == EEXIST ? STMT_DB_ERR_EXISTS : STMT_DB_ERR_ACCESS;
    }
    rc = stmt_db_copy_fd(db, fd);
    if (close(fd) != 0 && !rc)
        rc = STMT_DB_ERR_IO;
    if (rc) {
        snprintf(err, errlen, "copy to %s failed: %s", dest, stmt_db_strerror(rc));
        remove(dest);
    }
    return rc;
}
