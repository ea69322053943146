/* SPDX-License-Identifier: Apache-2.0 */
/* Big-endian 64-bit integers in keys and values (sorted as numbers by the stores' byte order). */
#ifndef SC_BE_H
#define SC_BE_H

#include <stdint.h>

static inline void sc_be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static inline uint64_t sc_be64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
