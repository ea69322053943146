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

/**
 * 1 when a and b are equal (numbers within rel * (1 + |b|)), else 0 with the path of the first
 * difference and both values written to why ("$.score.mean: 0.5 and 0.25").
 */
int sc_json_near(const cJSON *a, const cJSON *b, double rel, char *why, size_t whylen);

#endif
