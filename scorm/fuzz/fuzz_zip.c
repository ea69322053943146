/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the zip reader (security.md §5, §12 fuzz_zip_import): an in-memory zip goes
 * through the entry checks, the manifest, the tree checks and extraction into a fresh folder.
 * Invariant: everything created is a regular file or a directory below that folder.
 */
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "common/sc_alloc.h"
#include "scorm/fuzz/fuzz_common.h"
#include "scorm/scorm_int.h"

static int bad_entry;

static int check_visit(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)p;
    (void)ftw;
    if (flag == FTW_SL || flag == FTW_SLN || !(S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)))
        bad_entry = 1;
    return 0;
}

static int rm_visit(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scorm__zip *z = NULL;
    struct scorm_import_opts o;
    struct scorm_diag d;
    cJSON *warnings = cJSON_CreateArray(), *tree = NULL;
    char *xml = NULL, dir[] = "/tmp/scorm-fuzz-zip-XXXXXX";
    size_t xlen = 0;
    int scos = 0;

    memset(&o, 0, sizeof o);
    o.max_total_bytes = 64u << 20; /* keep the fuzzer's disk use small */
    memset(&d, 0, sizeof d);
    if (scorm__zip_open(data, size, &o, &z, warnings, &d) != 0)
        goto out;
    if (scorm__zip_read(z, (size_t)z->manifest, SCORM_MAX_MANIFEST_BYTES, &xml, &xlen, &d) != 0)
        goto out;
    if (scorm_manifest_parse(xml, xlen, 0, &tree, warnings, &d) != 0)
        goto out;
    if (scorm__course_check(tree, z, warnings, &scos, &d) != 0)
        goto out;
    if (!mkdtemp(dir))
        abort();
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        abort();
    scorm__zip_extract(z, fd, &d);
    close(fd);
    bad_entry = 0;
    nftw(dir, check_visit, 16, FTW_PHYS);
    nftw(dir, rm_visit, 16, FTW_DEPTH | FTW_PHYS);
    if (bad_entry)
        abort();
out:
    sc_free(xml);
    cJSON_Delete(tree);
    cJSON_Delete(warnings);
    scorm__zip_close(z);
    return 0;
}

#ifndef SCORM_LIBFUZZER
FUZZ_REPLAY_MAIN_XML(120)
#endif
