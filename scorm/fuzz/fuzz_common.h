/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Corpus replay for the scorm/ fuzz targets. Built with -DSCORM_LIBFUZZER (and
 * -fsanitize=fuzzer) the target is a libFuzzer target; otherwise main() replays every file of
 * the corpus folder given as argv[1], plus deterministic mutations of each (bit flips,
 * truncations, byte insertions), as a TAP test: a crash, a leak or a sanitizer report fails.
 */
#ifndef SCORM_FUZZ_COMMON_H
#define SCORM_FUZZ_COMMON_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef SCORM_LIBFUZZER
static int replay_file(const char *path, int mutations)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf, *mut;
    long n;
    uint32_t x = 2166136261u;
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    mut = malloc((size_t)n + 2);
    if (!buf || !mut || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        free(mut);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    for (int i = 0; i < mutations && n > 0; i++) {
        size_t len = (size_t)n;
        x = x * 1103515245u + 12345u;
        size_t pos = (x >> 8) % (size_t)n;
        memcpy(mut, buf, (size_t)n);
        switch (i % 4) {
        case 0: /* flip one bit */
            mut[pos] ^= (uint8_t)(1u << (x % 8));
            break;
        case 1: /* truncate */
            len = pos;
            break;
        case 2: /* overwrite with a structural byte */
            mut[pos] = (uint8_t) "<>&\"'/\\:%\0PK\xff"[x % 13];
            break;
        default: /* insert a byte */
            memmove(mut + pos + 1, mut + pos, (size_t)n - pos);
            mut[pos] = (uint8_t)(x >> 3);
            len = (size_t)n + 1;
            break;
        }
        LLVMFuzzerTestOneInput(mut, len);
    }
    free(buf);
    free(mut);
    return 0;
}

static int replay_main(int argc, char **argv, int mutations)
{
    DIR *d;
    struct dirent *de;
    int files = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    d = opendir(argv[1]);
    if (!ok(d != NULL, "corpus %s", argv[1]))
        return tap_done();
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
        ok(replay_file(path, mutations) == 0, "%s and %d mutations", de->d_name, mutations);
        files++;
    }
    closedir(d);
    ok(files >= 5, "corpus has %d files", files);
    return tap_done();
}
/* main of a replay binary whose target parses XML: libxml2 set up once around the replay */
#define FUZZ_REPLAY_MAIN_XML(mutations)                                                            \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        xmlInitParser();                                                                           \
        int rc_ = replay_main(argc, argv, (mutations));                                            \
        xmlCleanupParser();                                                                        \
        return rc_;                                                                                \
    }
#endif

#endif
