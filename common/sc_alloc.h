/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One allocation wrapper for the whole program. cJSON is pointed at it in main() through
 * cJSON_InitHooks, so tests can fail the Nth allocation (curl's torture tests, SQLite's OOM
 * tests) with sc_alloc_fail_after().
 */
#ifndef SC_ALLOC_H
#define SC_ALLOC_H

#include <stddef.h>

/** malloc/calloc/realloc/free through the wrapper; NULL on failure (or injected failure). */
void *sc_malloc(size_t n) __attribute__((warn_unused_result));
void *sc_calloc(size_t nmemb, size_t size) __attribute__((warn_unused_result));
void *sc_realloc(void *p, size_t n) __attribute__((warn_unused_result));
void sc_free(void *p);
/** Returns an owned copy of s (free with sc_free), NULL when s is NULL or on failure. */
char *sc_strdup(const char *s) __attribute__((warn_unused_result));
/** Owned copy of the first n bytes of s, NUL-terminated. */
char *sc_strndup(const char *s, size_t n) __attribute__((warn_unused_result));

/**
 * Make the allocation after the next n succeed-calls fail (n = 0: the very next one).
 * A negative n switches failure injection off. For tests only; not thread-safe by design.
 */
void sc_alloc_fail_after(long n);

/**
 * Allocations that failed so far (injected or real), process-wide. A writer that does many
 * small unchecked allocations (cJSON trees) compares it before and after building what it
 * writes and commits nothing when it moved: an allocation failure may have left a part out.
 */
long sc_alloc_failures(void);

/** Install the wrapper as cJSON's allocator. Call once in main before threads start. */
void sc_alloc_init_cjson(void);

#endif
