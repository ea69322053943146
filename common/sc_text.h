/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text formats more than one module checks or writes, one implementation each: ISO 8601
 * durations (xAPI Data 4.6, SCORM 2004 RTE 4.2 timeinterval, IMS SS xs:duration limits),
 * language tags (xAPI Data 4.2 / RFC 5646, SCORM 2004 RTE 4.2 language_type / RFC 3066) and
 * percent-encoding (RFC 3986 2.1). Pure functions: no allocation, no global state.
 */
#ifndef SC_TEXT_H
#define SC_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct sc_buf;

/* ---- ISO 8601 durations ----------------------------------------------------------------- */

/** ISO 8601:2004 4.4.3.2 in full (xAPI Data 4.6): also PnW, a decimal fraction (',' or '.')
 *  on the lowest-order component given, whichever it is. Without it, the form of xs:duration
 *  and SCORM 2004 timeinterval: a fraction ('.') on seconds only, no weeks. */
#define SC_DURATION_ISO 0x1u
/** At most two fraction digits (SCORM 2004 RTE 4.2 timeinterval (second,10,2)). */
#define SC_DURATION_CS2 0x2u

/**
 * Parse an ISO 8601 duration PnYnMnDTnHnMnS (components optional but in this order, at least
 * one, "T" only before time components; the alternative format 4.4.3.3 is never accepted).
 * cs_out (may be NULL) gets the length in centiseconds, years taken as 365 days and months as
 * 30 (what SCORM and IMS SS limits compare), a fraction rounded half up to 0.01 s.
 * @return 0, or -1 when s is NULL or not such a duration, or when cs_out is given and the
 *         length does not fit in 63 bits of centiseconds.
 */
int sc_duration_parse(const char *s, unsigned flags, int64_t *cs_out);

/* ---- language tags ---------------------------------------------------------------------- */

/** RFC 5646 2.1 (xAPI Data 2.2 "at least validate ... the sequence of token lengths"): the
 *  subtags in their order, extensions, private use, and the irregular grandfathered tags.
 *  Without it, RFC 3066 2.1 (SCORM 2004 RTE 4.2 language_type): 1*8ALPHA *("-" 1*8alphanum). */
#define SC_LANG_RFC5646 0x1u

/** 1 when the n bytes at s are a language tag under the rules of flags, else 0. Case is
 *  free (RFC 5646 2.1.1). The registry is not consulted (SCORM's strict mode checks the
 *  primary subtag against ISO 639 itself). */
int sc_lang_tag_valid(const char *s, size_t n, unsigned flags);

/* ---- percent-encoding ------------------------------------------------------------------- */

/**
 * Append the n bytes at s to b percent-encoded (RFC 3986 2.1, upper-case hex): every byte but
 * the unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~", RFC 3986 2.3) and those in
 * keep (e.g. "/" for a path; may be NULL). @return 0 or the buffer's (sticky) error.
 */
int sc_pct_encode(struct sc_buf *b, const char *s, size_t n, const char *keep);

#endif
