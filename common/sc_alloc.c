/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation wrapper with failure injection; see sc_alloc.h. */
#include "common/sc_alloc.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown = -1;
static atomic_long failures; /* allocations that returned NULL, injected or real */

static int should_fail(void)
{
    long n = atomic_load(&fail_countdown);
    /* compare-and-swap: a load then a store let another thread's allocation put back a
     * countdown the test had just switched off (sc_alloc_fail_after(-1)), and a later
     * allocation anywhere failed */
    while (n >= 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &n, n == 0 ? -1 : n - 1))
            return n == 0;
    }
    return 0;
}

void sc_alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}

void *sc_malloc(size_t n)
{
    void *r = should_fail() ? NULL : malloc(n ? n : 1);
    if (!r)
        atomic_fetch_add(&failures, 1);
    return r;
}

void *sc_calloc(size_t nmemb, size_t size)
{
    void *r = should_fail() ? NULL : calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!r)
        atomic_fetch_add(&failures, 1);
    return r;
}

void *sc_realloc(void *p, size_t n)
{
    void *r = should_fail() ? NULL : realloc(p, n ? n : 1);
    if (!r)
        atomic_fetch_add(&failures, 1);
    return r;
}

long sc_alloc_failures(void)
{
    return atomic_load(&failures);
}

void sc_free(void *p)
{
    free(p);
}

char *sc_strndup(const char *s, size_t n)
{
    char *d;
    if (!s)
        return NULL;
    d = sc_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *sc_strdup(const char *s)
{
    return s ? sc_strndup(s, strlen(s)) : NULL;
}

void sc_alloc_init_cjson(void)
{
    cJSON_Hooks hooks = {sc_malloc, sc_free};
    cJSON_InitHooks(&hooks);
}
