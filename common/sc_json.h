/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Comparing two JSON documents the way a report check needs: numbers equal within a relative
 * tolerance (tallies kept by adding and subtracting drift in the last bits), everything else
 * exactly, object members by name whatever their order, arrays in order.
 */
#ifndef SC_JSON_H
#define SC_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct sc_buf;

/**
 * 1 when a and b are equal (numbers within rel * (1 + |b|)), else 0 with the path of the first
 * difference and both values written to why ("$.score.mean: 0.5 and 0.25").
 */
int sc_json_near(const cJSON *a, const cJSON *b, double rel, char *why, size_t whylen);

/**
 * Append j to b as cJSON_PrintUnformatted(j) writes it, byte for byte (cJSON 1.7.15's escapes,
 * its own number formatting), without its per-node buffer growth: the statement store
 * serializes every statement it stores. 0, or non-zero: the sticky error of b (SC_BUF_ERR_*),
 * or -1 also for a node cJSON cannot print (an invalid type, a raw node without text).
 */
int sc_json_print(const cJSON *j, struct sc_buf *b);

/**
 * The tree cJSON_ParseWithLength(buf, len) builds (the same nodes, strings, numbers, links),
 * built faster, for text that the strict pre-scan (stmt_json_scan) accepted: valid RFC 8259
 * JSON without "\u0000". Anything else is undefined. NULL when out of memory.
 */
cJSON *sc_json_parse_valid(const char *buf, size_t len);

#endif
