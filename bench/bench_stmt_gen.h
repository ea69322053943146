/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Deterministic statement generator shared by bench_lmdb_raw.c and bench_store.c, so both
 * write the same records and index entries. A statement is ~800 bytes of compact JSON, shaped
 * like SCORM/cmi5 traffic: an mbox actor out of BENCH_AGENTS, one of BENCH_VERBS verbs, an
 * activity with a definition, a registration, parent/grouping context activities, a result.
 */
#ifndef BENCH_STMT_GEN_H
#define BENCH_STMT_GEN_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define BENCH_AGENTS 10000
#define BENCH_VERBS 20
#define BENCH_ACTIVITIES 1000
#define BENCH_REGS 5000

static inline uint64_t bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static inline void bench_agent_mbox(unsigned a, char *out, size_t n)
{
    snprintf(out, n, "mailto:learner%05u@example.org", a);
}

static inline void bench_verb(unsigned v, char *out, size_t n)
{
    snprintf(out, n, "http://adlnet.gov/expapi/verbs/bench-verb-%02u", v);
}

/* An owned statement tree (no id: the store generates it, as for most real traffic). */
static inline cJSON *bench_stmt(uint64_t *seed)
{
    char buf[2048], mbox[64], verb[96];
    unsigned a = (unsigned)(bench_rand(seed) % BENCH_AGENTS);
    unsigned v = (unsigned)(bench_rand(seed) % BENCH_VERBS);
    unsigned act = (unsigned)(bench_rand(seed) % BENCH_ACTIVITIES);
    unsigned reg = (unsigned)(bench_rand(seed) % BENCH_REGS);
    unsigned score = (unsigned)(bench_rand(seed) % 101);
    bench_agent_mbox(a, mbox, sizeof mbox);
    bench_verb(v, verb, sizeof verb);
    snprintf(buf, sizeof buf,
             "{\"actor\":{\"objectType\":\"Agent\",\"name\":\"Learner %u\",\"mbox\":\"%s\"},"
             "\"verb\":{\"id\":\"%s\",\"display\":{\"en-US\":\"verb %u\"}},"
             "\"object\":{\"objectType\":\"Activity\","
             "\"id\":\"http://courses.example.org/course-%u/activity-%u\","
             "\"definition\":{\"name\":{\"en-US\":\"Activity %u\"},"
             "\"description\":{\"en-US\":\"Interaction %u of the benchmark course\"},"
             "\"type\":\"http://adlnet.gov/expapi/activities/interaction\"}},"
             "\"result\":{\"score\":{\"scaled\":%u.%02u,\"raw\":%u,\"min\":0,\"max\":100},"
             "\"success\":%s,\"completion\":true,\"duration\":\"PT%uM%uS\"},"
             "\"context\":{\"registration\":\"%08x-0000-4000-8000-%012x\","
             "\"contextActivities\":{\"parent\":[{\"id\":\"http://courses.example.org/"
             "course-%u\"}],\"grouping\":[{\"id\":\"http://courses.example.org/"
             "program\"}]},\"platform\":\"scolar-bench\",\"language\":\"en-US\"},"
             "\"timestamp\":\"2026-11-28T10:00:00.000Z\"}",
             a, mbox, verb, v, act / 50, act, act, act, score / 100, score % 100, score,
             score >= 50 ? "true" : "false", score % 60, score % 59, reg, reg, act / 50);
    return cJSON_Parse(buf);
}

#endif
