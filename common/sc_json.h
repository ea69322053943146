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

/** cJSON_AddItemToObject(o, key, item) that deletes item when it cannot be added: cJSON 1.7.15
 *  keeps an item whose key copy failed (out of memory), leaking it. item may be NULL (a failed
 *  duplicate): nothing is added. 1 when added, else 0. */
int sc_json_add(cJSON *o, const char *key, cJSON *item);

/** o.key = item (case-sensitive key), replacing a member of that name or adding one; item is
 *  consumed, also on failure. A replaced member's key moves to item, so a replacement does not
 *  allocate: cJSON 1.7.15's cJSON_ReplaceItemInObject copies the key without checking the copy,
 *  and out of memory left a member without a name, after which every lookup in the object
 *  failed (a record saved then lost that member and all after it). item may be NULL (a failed
 *  create): nothing changes. 1 when set, else 0. */
int sc_json_set(cJSON *o, const char *key, cJSON *item);

#endif
