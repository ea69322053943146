/* SPDX-License-Identifier: Apache-2.0 */
/* The one logger (STYLE.md 5): only lrs/ logs. Lines go to stderr, one per call, with an
 * ISO 8601 UTC timestamp; control characters in the message are escaped. */
#include "lrs/lrs.h"
#include "common/sc_time.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int min_level = LRS_LOG_INFO;

void lrs_log_set_level(enum lrs_log_level lvl)
{
    atomic_store(&min_level, (int)lvl);
}

void lrs_log(enum lrs_log_level lvl, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    char line[2048], ts[SC_TIME_ISO_LEN], clean[2048];
    va_list ap;
    size_t j = 0;

    if ((int)lvl < atomic_load(&min_level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (size_t i = 0; line[i] && j + 5 < sizeof clean; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f) {
            j += (size_t)snprintf(clean + j, sizeof clean - j, "\\x%02x", c);
        } else {
            clean[j++] = (char)c;
        }
    }
    clean[j] = '\0';
    fprintf(stderr, "%s %s %s\n", sc_time_format_iso(sc_time_now_us(), 3, ts), names[lvl], clean);
}
