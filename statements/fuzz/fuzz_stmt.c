/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the statement data layer entry point that takes outside input (STYLE.md 9,
 * security.md 12): strict scan -> cJSON -> validation -> formats -> comparison, with
 * differential invariants:
 *   - what the scan accepts, cJSON parses (the scan is never looser than cJSON), and cJSON's
 *     serialisation of it passes the scan again (what the store writes can be read back);
 *   - a valid statement equals itself and its exact and canonical formats (stmt_equal);
 *   - every format of a valid statement is itself a valid statement.
 * Built with -DSC_FUZZING and -fsanitize=fuzzer it is a libFuzzer target; otherwise main()
 * replays every file of the corpus directories given as arguments, as a TAP test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "statements/stmt_validate.h"

/* returns NULL when every invariant holds, else the name of the broken one */
static const char *check_statement(const cJSON *s)
{
    static const enum stmt_format fmts[] = {STMT_FORMAT_EXACT, STMT_FORMAT_IDS,
                                            STMT_FORMAT_CANONICAL};
    struct stmt_diag d;
    const char *broken = NULL;

    if (stmt_validate(s, STMT_VALIDATE_DEFAULT, &d) != STMT_OK) {
        if (!d.path[0] || !d.msg[0])
            return "rejection without a path or message";
        return NULL;
    }
    if (stmt_equal(s, s) != 1)
        return "a valid statement differs from itself";
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]) && !broken; i++) {
        cJSON *f = stmt_format(s, fmts[i], "fr;q=0.5, en");
        if (!f)
            return "format returned NULL";
        if (stmt_validate(f, STMT_VALIDATE_DEFAULT, &d) != STMT_OK)
            broken = "a formatted statement is invalid";
        else if (fmts[i] != STMT_FORMAT_IDS && stmt_equal(s, f) != 1)
            broken = "exact/canonical format differs from the statement (Data 2.3.1)";
        cJSON_Delete(f);
    }
    return broken;
}

static const char *run_one(const uint8_t *data, size_t size)
{
    struct stmt_diag d;
    int scan = stmt_json_scan((const char *)data, size, NULL, &d);
    cJSON *j, *c;
    const char *broken = NULL;

    if (scan != STMT_OK)
        return (d.path[0] && d.msg[0]) ? NULL : "scan rejection without a path or message";
    j = cJSON_ParseWithLength((const char *)data, size);
    if (!j)
        return "the scan accepted what cJSON refuses";
    {
        /* what the store will write (cJSON_PrintUnformatted) must pass the scan again */
        char *printed = cJSON_PrintUnformatted(j);
        if (printed && stmt_json_scan(printed, strlen(printed), NULL, &d) != STMT_OK)
            broken = "cJSON's serialisation of an accepted text fails the scan";
        cJSON_free(printed);
    }
    if (broken) {
        /* reported below */
    } else if (cJSON_IsArray(j)) {
        (void)stmt_validate_batch(j, 0, &d);
        cJSON_ArrayForEach(c, j)
        {
            if (!broken && cJSON_IsObject(c))
                broken = check_statement(c);
        }
    } else if (cJSON_IsObject(j)) {
        broken = check_statement(j);
    }
    cJSON_Delete(j);
    return broken;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *broken = run_one(data, size);
    if (broken) {
        fprintf(stderr, "invariant broken: %s\n", broken);
        __builtin_trap();
    }
    return 0;
}

#ifndef SC_FUZZING
static int replay_dir(const char *dir, int *n, int *fail)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) {
        printf("not ok %d - open corpus %s\n", ++*n, dir);
        ++*fail;
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[1024];
        FILE *f;
        unsigned char *buf = NULL;
        long len;
        const char *broken;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        f = fopen(path, "rb");
        if (!f)
            continue;
        if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (buf = sc_malloc((size_t)len + 1)) != NULL &&
            fread(buf, 1, (size_t)len, f) == (size_t)len) {
            broken = run_one(buf, (size_t)len);
            printf("%sok %d - %s%s%s\n", broken ? "not " : "", ++*n, e->d_name, broken ? ": " : "",
                   broken ? broken : "");
            if (broken)
                ++*fail;
        }
        sc_free(buf);
        fclose(f);
    }
    closedir(d);
    return 0;
}

int main(int argc, char **argv)
{
    int n = 0, fail = 0;

    sc_alloc_init_cjson();
    for (int i = 1; i < argc; i++)
        replay_dir(argv[i], &n, &fail);
    if (argc < 2)
        replay_dir("fuzz/corpus", &n, &fail);
    printf("1..%d\n", n);
    return fail ? 1 : 0;
}
#endif
