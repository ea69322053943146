/* SPDX-License-Identifier: Apache-2.0 */
/* The one logger (STYLE.md 5): only lrs/ logs. Lines go to stderr, one per call, with an
 * ISO 8601 UTC timestamp; control characters in the message are escaped. With --log-format
 * json every line is one JSON object (RFC 8259): {"time","level","msg"}, and access lines carry
 * their fields (origin, method, path, status, bytes, us, client, request_id) instead of msg. */
#include "lrs/lrs.h"
#include "common/sc_time.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int min_level = LRS_LOG_INFO;
static atomic_int json_lines;
static const char *const NAMES[] = {"debug", "info", "warn", "error"};

void lrs_log_set_level(enum lrs_log_level lvl)
{
    atomic_store(&min_level, (int)lvl);
}

void lrs_log_set_json(int on)
{
    atomic_store(&json_lines, on ? 1 : 0);
}

/* s as the inside of a JSON string (json) or with control characters as \xNN (text) */
static void clean(const char *s, int json, char *out, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; s[i] && j + 8 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            j += (size_t)snprintf(out + j, n - j, json ? "\\u%04x" : "\\x%02x", c);
        else if (json && (c == '"' || c == '\\'))
            j += (size_t)snprintf(out + j, n - j, "\\%c", c);
        else
            out[j++] = (char)c;
    }
    out[j] = '\0';
}

void lrs_log(enum lrs_log_level lvl, const char *fmt, ...)
{
    char line[2048], ts[SC_TIME_ISO_LEN], out[4096];
    va_list ap;
    int json = atomic_load(&json_lines);

    if ((int)lvl < atomic_load(&min_level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    clean(line, json, out, sizeof out);
    sc_time_format_iso(sc_time_now_us(), 3, ts);
    if (json)
        fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts, NAMES[lvl], out);
    else
        fprintf(stderr, "%s %s %s\n", ts, NAMES[lvl], out);
}

void lrs_log_access(const char *origin, const char *method, const char *path, int status,
                    size_t bytes, long long us, const char *client, const char *request_id)
{
    char ts[SC_TIME_ISO_LEN], m[64], p[2048], cl[128];

    if (LRS_LOG_INFO < atomic_load(&min_level))
        return;
    if (!atomic_load(&json_lines)) {
        lrs_log(LRS_LOG_INFO, "%s %s %s %d %zu %lldus %s %s", origin, method, path, status, bytes,
                us, client, request_id);
        return;
    }
    clean(method, 1, m, sizeof m);
    clean(path, 1, p, sizeof p);
    clean(client, 1, cl, sizeof cl);
    sc_time_format_iso(sc_time_now_us(), 3, ts);
    fprintf(stderr,
            "{\"time\":\"%s\",\"level\":\"info\",\"type\":\"access\",\"origin\":\"%s\","
            "\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"bytes\":%zu,\"us\":%lld,"
            "\"client\":\"%s\",\"request_id\":\"%s\"}\n",
            ts, origin, m, p, status, bytes, us, cl, request_id);
}
