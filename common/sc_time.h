/* SPDX-License-Identifier: Apache-2.0 */
/* Wall-clock and ISO 8601 helpers shared by the LRS and the SCORM bridge. */
#ifndef SC_TIME_H
#define SC_TIME_H

#include <stddef.h>
#include <stdint.h>

#define SC_TIME_ISO_LEN 40 /* enough for "YYYY-MM-DDTHH:MM:SS.ffffffZ" and more */

/** Microseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t sc_time_now_us(void);
/** Monotonic microseconds (CLOCK_MONOTONIC), for measuring durations. */
int64_t sc_time_mono_us(void);

/**
 * Format us (since the epoch, UTC) as ISO 8601 "YYYY-MM-DDTHH:MM:SS.fffZ" with `digits`
 * fractional digits (0, 3 or 6). out must hold SC_TIME_ISO_LEN bytes. Returns out.
 */
char *sc_time_format_iso(int64_t us, int digits, char out[SC_TIME_ISO_LEN]);

/** RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for Last-Modified and Date. */
char *sc_time_format_http(int64_t us, char out[SC_TIME_ISO_LEN]);

/**
 * Parse an ISO 8601 / RFC 3339 date-time "YYYY-MM-DDTHH:MM:SS[.f+](Z|+HH:MM|+HHMM|+HH)".
 * xAPI Data 4.5: an offset of -00, -0000 or -00:00 is rejected (RFC 3339 "unknown offset").
 * A time with no zone is rejected. Sets *us (UTC) on success. Returns 0 or -1.
 */
int sc_time_parse_iso(const char *s, size_t n, int64_t *us);

#endif
