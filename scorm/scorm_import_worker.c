/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The import's work without the store (scorm_import.c holds the store side): zip checks,
 * manifest parse, tree checks and extraction into the temporary folder, run in a worker
 * process with rlimits (security.md 5.2). The worker is the scolar binary itself started with
 * posix_spawn (scorm_import_opts.worker_exe, argument SCORM_IMPORT_WORKER_ARG), or a fork for
 * single-threaded callers; its answer comes back as one JSON document over a pipe.
 */
#include "scorm/scorm_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/sc_time.h"

#define CHILD_CPU_SECONDS 120
#define CHILD_WALL_SECONDS 120
#define CHILD_RESULT_CAP (256u << 20)

/* ---- the work without the store (child side) -------------------------------------------- */

int scorm__import_work(const void *buf, size_t len, const struct scorm_import_opts *o,
                       const char *tmpdir, cJSON **work, struct scorm_diag *diag)
{
    int rc = SCORM_OK, scos = 0, dfd = -1;
    struct scorm__zip *z = NULL;
    char *xml = NULL;
    size_t xlen = 0;
    cJSON *warnings = cJSON_CreateArray(), *tree = NULL, *w = NULL;
    uint64_t bytes = 0;
    long failures0 = sc_alloc_failures();

    if (!warnings) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    if ((rc = scorm__zip_open(buf, len, o, &z, warnings, diag)) != 0)
        goto out;
    /* free disk checked before extraction (security.md 5.2), against the declared sizes */
    {
        struct statvfs vfs;
        uint64_t need = 0;
        for (size_t i = 0; i < z->n; i++)
            need += z->ent[i].size;
        if (statvfs(tmpdir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < need) {
            scorm__diag_set(diag, SCORM_ERR_ZIP_LIMIT, 0, "",
                            "the package needs %llu bytes, the data directory has %llu free "
                            "(security.md 5.2)",
                            (unsigned long long)need,
                            (unsigned long long)vfs.f_bavail * vfs.f_frsize);
            rc = SCORM_ERR_ZIP_LIMIT;
            goto out;
        }
    }
    if ((rc = scorm__zip_read(z, (size_t)z->manifest, o->max_manifest_bytes, &xml, &xlen, diag)) !=
        0)
        goto out;
    if ((rc = scorm_manifest_parse(xml, xlen, o->max_manifest_bytes, &tree, warnings, diag)) != 0)
        goto out;
    if ((rc = scorm__course_check(tree, z, warnings, &scos, diag)) != 0)
        goto out;
    dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, tmpdir, "cannot open %s: %s", tmpdir,
                        strerror(errno));
        rc = SCORM_ERR_IO;
        goto out;
    }
    if ((rc = scorm__zip_extract(z, dfd, diag)) != 0)
        goto out;
    /* durable before the record that points at it is committed */
    if (syncfs(dfd) != 0) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, tmpdir, "syncfs: %s", strerror(errno));
        rc = SCORM_ERR_IO;
        goto out;
    }
    for (size_t i = 0; i < z->n; i++)
        bytes += z->ent[i].size;
    w = cJSON_CreateObject();
    if (!w) {
        rc = SCORM_ERR_NOMEM;
        goto out;
    }
    cJSON_AddItemToObject(w, "tree", tree);
    tree = NULL;
    cJSON_AddItemToObject(w, "warnings", warnings);
    warnings = NULL;
    cJSON_AddNumberToObject(w, "scos", scos);
    cJSON_AddNumberToObject(w, "files", (double)z->n);
    cJSON_AddNumberToObject(w, "bytes", (double)bytes);
    *work = w;
out:
    /* the manifest's tree is built with unchecked cJSON calls: after an allocation failure it
     * may lack a member (an item's launch: then "no launchable item"), so the answer is out of
     * memory, never a package error or a tree with a hole (sc_alloc.h) */
    if (sc_alloc_failures() != failures0) {
        if (rc == SCORM_OK) {
            cJSON_Delete(*work);
            *work = NULL;
        }
        rc = SCORM_ERR_NOMEM;
        scorm__diag_set(diag, rc, 0, "", "out of memory while reading the package");
    }
    if (dfd >= 0)
        close(dfd);
    sc_free(xml);
    scorm__zip_close(z);
    cJSON_Delete(tree);
    cJSON_Delete(warnings);
    return rc;
}

static int write_full(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define SCORM__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCORM__ASAN 1
#endif
#endif

/* Child: rlimits, the work, the answer as one JSON document on fd; never returns. */
static void child_main(int fd, pid_t parent, const void *buf, size_t len,
                       const struct scorm_import_opts *o, const char *tmpdir)
{
    struct scorm_diag d;
    cJSON *work = NULL, *ans = cJSON_CreateObject();
    char *txt;
    struct rlimit rl;
    int rc;

    memset(&d, 0, sizeof d);
    /* die with the parent: a killed server must not leave a worker extracting */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(5);
    signal(SIGXFSZ, SIG_IGN); /* an oversize write fails with EFBIG instead of killing us */
    rl.rlim_cur = rl.rlim_max = CHILD_CPU_SECONDS;
    setrlimit(RLIMIT_CPU, &rl);
    rl.rlim_cur = rl.rlim_max = (rlim_t)o->max_entry_bytes + 1;
    setrlimit(RLIMIT_FSIZE, &rl);
#ifndef SCORM__ASAN
    /* ASan reserves terabytes of address space: RLIMIT_AS only in normal builds */
    rl.rlim_cur = rl.rlim_max = (rlim_t)(2ull << 30) + (rlim_t)len * 2;
    setrlimit(RLIMIT_AS, &rl);
#endif
    rc = scorm__import_work(buf, len, o, tmpdir, &work, &d);
    if (!ans)
        _exit(3);
    cJSON_AddNumberToObject(ans, "rc", rc);
    cJSON_AddNumberToObject(ans, "line", d.line);
    cJSON_AddStringToObject(ans, "file", d.file);
    cJSON_AddStringToObject(ans, "msg", d.msg);
    if (work)
        cJSON_AddItemToObject(ans, "work", work);
    txt = cJSON_PrintUnformatted(ans);
    if (!txt || write_full(fd, txt, strlen(txt)) != 0)
        _exit(4);
    _exit(0);
}

int scorm_import_worker_main(int argc, char **argv)
{
    struct scorm_import_opts o;
    struct stat st;
    void *buf = NULL;
    unsigned long long v[7];

    /* argv: ARG parent tmpdir max_zip max_entries max_total max_entry max_ratio max_manifest */
    if (argc != 9 || strcmp(argv[0], SCORM_IMPORT_WORKER_ARG))
        _exit(6);
    for (int i = 0; i < 7; i++) {
        char *end;
        errno = 0;
        v[i] = strtoull(argv[i == 0 ? 1 : i + 2], &end, 10);
        if (errno || *end)
            _exit(6);
    }
    memset(&o, 0, sizeof o);
    o.max_zip_bytes = v[1];
    o.max_entries = (uint32_t)v[2];
    o.max_total_bytes = v[3];
    o.max_entry_bytes = v[4];
    o.max_ratio = (uint32_t)v[5];
    o.max_manifest_bytes = (uint32_t)v[6];
    if (fstat(3, &st) != 0)
        _exit(6);
    if (st.st_size > 0) {
        buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, 3, 0);
        if (buf == MAP_FAILED)
            _exit(6);
    }
    child_main(4, (pid_t)v[0], buf ? buf : "", (size_t)st.st_size, &o, argv[2]);
    return 6; /* not reached */
}

/* Start the worker: the package in a memory file as descriptor 3, the answer pipe as 4. */
static int spawn_worker(const void *buf, size_t len, const struct scorm_import_opts *o,
                        const char *tmpdir, int answer_fd, pid_t *pid, struct scorm_diag *diag)
{
    char a[7][24];
    char *argv[11];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none;
    extern char **environ;
    int mfd, err;

    mfd = memfd_create("scolar-import", MFD_CLOEXEC);
    if (mfd < 0 || write_full(mfd, buf, len) != 0) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, "",
                        "cannot pass the package to the import "
                        "process: %s",
                        strerror(errno));
        if (mfd >= 0)
            close(mfd);
        return SCORM_ERR_IO;
    }
    snprintf(a[0], sizeof a[0], "%lld", (long long)getpid());
    snprintf(a[1], sizeof a[1], "%llu", (unsigned long long)o->max_zip_bytes);
    snprintf(a[2], sizeof a[2], "%u", o->max_entries);
    snprintf(a[3], sizeof a[3], "%llu", (unsigned long long)o->max_total_bytes);
    snprintf(a[4], sizeof a[4], "%llu", (unsigned long long)o->max_entry_bytes);
    snprintf(a[5], sizeof a[5], "%u", o->max_ratio);
    snprintf(a[6], sizeof a[6], "%u", o->max_manifest_bytes);
    /* the program, then the subcommand its main() dispatches on, then the worker's own */
    argv[0] = (char *)o->worker_exe;
    argv[1] = (char *)SCORM_IMPORT_WORKER_ARG;
    argv[2] = a[0];
    argv[3] = (char *)tmpdir;
    for (int i = 1; i < 7; i++)
        argv[i + 3] = a[i];
    argv[10] = NULL;
    sigemptyset(&none);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    /* dup2 clears close-on-exec on the copies: only 0-2, 3 and 4 reach the worker */
    posix_spawn_file_actions_adddup2(&fa, mfd, 3);
    posix_spawn_file_actions_adddup2(&fa, answer_fd, 4);
    posix_spawnattr_setsigmask(&at, &none); /* the server blocks SIGTERM for sigwait */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
    err = posix_spawn(pid, o->worker_exe, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(mfd);
    if (err) {
        scorm__diag_set(diag, SCORM_ERR_CHILD, 0, "", "cannot start the import process %s: %s",
                        o->worker_exe, strerror(err));
        return SCORM_ERR_CHILD;
    }
    return SCORM_OK;
}

int scorm__import_run_child(const void *buf, size_t len, const struct scorm_import_opts *o,
                            const char *tmpdir, cJSON **work, struct scorm_diag *diag)
{
    int pfd[2], status = 0, rc = SCORM_OK, timed_out = 0;
    pid_t pid, parent;
    struct sc_buf b = SC_BUF_INIT;
    cJSON *ans = NULL;
    char chunk[65536];

    if (pipe2(pfd, O_CLOEXEC) != 0) {
        scorm__diag_set(diag, SCORM_ERR_IO, 0, "", "pipe: %s", strerror(errno));
        return SCORM_ERR_IO;
    }
    fflush(NULL);
    parent = getpid();
    if (o->worker_exe) {
        rc = spawn_worker(buf, len, o, tmpdir, pfd[1], &pid, diag);
        if (rc) {
            close(pfd[0]);
            close(pfd[1]);
            return rc;
        }
    } else {
        pid = fork();
        if (pid < 0) {
            close(pfd[0]);
            close(pfd[1]);
            scorm__diag_set(diag, SCORM_ERR_CHILD, 0, "", "fork: %s", strerror(errno));
            return SCORM_ERR_CHILD;
        }
        if (pid == 0) {
            close(pfd[0]);
            child_main(pfd[1], parent, buf, len, o, tmpdir);
        }
    }
    close(pfd[1]);
    sc_buf_init(&b, CHILD_RESULT_CAP);
    int64_t deadline = sc_time_mono_us() + (int64_t)CHILD_WALL_SECONDS * 1000000;
    for (;;) {
        /* wall-clock cap (security.md 5.2): RLIMIT_CPU does not catch a worker that sleeps or
         * deadlocks (fork of a threaded server) */
        struct pollfd pf = {pfd[0], POLLIN, 0};
        int64_t left = deadline - sc_time_mono_us();
        int pr = left > 0 ? poll(&pf, 1, (int)(left / 1000) + 1) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            rc = SCORM_ERR_CHILD;
            timed_out = 1;
            break;
        }
        ssize_t r = read(pfd[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (sc_buf_append(&b, chunk, (size_t)r) != 0) {
            rc = SCORM_ERR_CHILD;
            break;
        }
    }
    close(pfd[0]);
    if (rc != SCORM_OK)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rc == SCORM_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        rc = SCORM_ERR_CHILD;
        if (WIFSIGNALED(status))
            scorm__diag_set(diag, rc, 0, "",
                            "the import process was killed by signal %d (%s; rlimits: %d s "
                            "CPU, security.md 5.2)",
                            WTERMSIG(status), strsignal(WTERMSIG(status)), CHILD_CPU_SECONDS);
        else
            scorm__diag_set(diag, rc, 0, "", "the import process exited with status %d",
                            WEXITSTATUS(status));
        goto out;
    }
    if (rc != SCORM_OK) {
        if (timed_out)
            scorm__diag_set(diag, rc, 0, "",
                            "the import took longer than %d s and was stopped (security.md 5.2)",
                            CHILD_WALL_SECONDS);
        else
            scorm__diag_set(diag, rc, 0, "", "the import result is larger than %u bytes",
                            CHILD_RESULT_CAP);
        goto out;
    }
    ans = b.data ? cJSON_ParseWithLength(b.data, b.len) : NULL;
    if (!ans) {
        rc = SCORM_ERR_CHILD;
        scorm__diag_set(diag, rc, 0, "", "the import process sent no result");
        goto out;
    }
    rc = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(ans, "rc"));
    if (rc != SCORM_OK) {
        scorm__diag_set(diag, rc, (int)cJSON_GetNumberValue(cJSON_GetObjectItem(ans, "line")),
                        cJSON_GetStringValue(cJSON_GetObjectItem(ans, "file")), "%s",
                        cJSON_GetStringValue(cJSON_GetObjectItem(ans, "msg")));
        goto out;
    }
    *work = cJSON_DetachItemFromObject(ans, "work");
    if (!*work)
        rc = SCORM_ERR_CHILD;
out:
    cJSON_Delete(ans);
    sc_buf_free(&b);
    return rc;
}
