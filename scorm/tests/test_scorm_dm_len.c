/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scorm__dm_char_len counts characters (code points of UTF-8, RTE 4.1.1.5: SPMs are in
 * characters), eight bytes at a time: checked against a byte-by-byte count on strings of every
 * length up to 600 bytes mixing ASCII and 2-, 3- and 4-byte sequences at every alignment, and on
 * 4,096 continuation bytes (the most the lane sums hold).
 */
#include "common/tap.h"
#include "scorm/scorm_rt_int.h"

#include <stdlib.h>
#include <string.h>

static size_t slow_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int main(void)
{
    static const char *const pieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "z"};
    char buf[700];
    int all = 1;
    for (size_t len = 0; len <= 600 && all; len++) {
        for (size_t start = 0; start < 5 && all; start++) {
            size_t n = 0, k = start;
            while (n < len) {
                const char *p = pieces[k++ % 5];
                size_t pl = strlen(p);
                if (n + pl > len)
                    p = "a", pl = 1;
                memcpy(buf + n, p, pl);
                n += pl;
            }
            buf[n] = '\0';
            all = scorm__dm_char_len(buf) == slow_len(buf);
            if (!all)
                tap_diag("length %zu, start %zu: %zu, want %zu", len, start,
                         scorm__dm_char_len(buf), slow_len(buf));
        }
    }
    ok(all, "the character count matches a byte-by-byte count up to 600 bytes");
    is_int(scorm__dm_char_len("\xe2\x82\xac"
                              "abc\xc3\xa9"),
           5, "euro, abc, e-acute: 5");
    char *cont = malloc(4097);
    memset(cont, 0x80, 4096);
    cont[4096] = '\0';
    is_int(scorm__dm_char_len(cont), 0, "4,096 continuation bytes: no character");
    memset(cont, 'x', 4096);
    is_int(scorm__dm_char_len(cont), 4096, "4,096 ASCII bytes: 4,096 characters");
    free(cont);
    return tap_done();
}
