/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Activity reports (issue 14; DESIGN.md "Report numbers are kept, not computed per request").
 *
 * The writer keeps tallies per xAPI activity in the "stmt_rpt" table of the statement store,
 * in the same transaction that folds statements into the query indexes (stmt_writer.c), so a
 * report is a few range reads whatever the store holds, and it is exactly as current as the
 * statement queries: it covers every statement up to X-Experience-API-Consistent-Through.
 *
 * A statement is "about" activity A when its object is the Activity A or A is among its
 * context activities (parent, grouping, category, other), as related_activities matches
 * (without SubStatements). Voiding statements are not counted; a voided statement is taken
 * out when its voiding statement is folded (or never counted if the voiding came first).
 * Days are UTC days of the `stored` time; since/until select whole days.
 *
 * Keys (kind byte, act = activity hash stmt__term_hash('o', IRI), day = stored / 86,400 s,
 * actor = the 'a' index term of the actor's IFI, ord = its dense ordinal, all big-endian):
 *   'N'                       -> next actor ordinal      'O' actor -> ordinal + 1
 *   'D' act day               -> statements and actors of that day, and its scores: count,
 *                                sum, min, max, stale (a voided min/max), histogram[10]
 *   'B' act chunk             -> four bitmaps of 2,048 actors: seen, completed, passed, failed
 *                                (all time; their populations are the report's totals)
 *   'b' act day chunk         -> two bitmaps: seen and completed that day
 *   'F' act ord seq           -> 1 passed / 2 failed (one per passed/failed statement)
 *   'V' act day verb          -> count
 *   'Q' act day question      -> attempts, correct
 *   'R' act day question resp -> count
 *   'T' hash                  -> text of a verb id, "question id\0name", or a response
 * A statement touches a few keys per activity it is about, all shared by many statements
 * (merged in the writer's write-back cache), plus an 'F' key for passed/failed. Voiding
 * clears an actor's bits only after walking that actor's index entries for another counted
 * statement (recheck in stmt_report.c). bench/results/reports.md has the costs.
 */
#ifndef STMT_REPORT_H
#define STMT_REPORT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "statements/stmt_store.h"

#define STMT_REPORT_MAX_CONTEXT 64 /* context activities of one statement taken into account */
#define STMT_REPORT_MAX_TEXT 1024  /* bytes of a response or name kept (longer ones cut) */
#define STMT_REPORT_DAY_US 86400000000LL

/**
 * The activity report of issue 14 as a new JSON object (owned by the caller, cJSON_Delete):
 * {"activity", "since", "until" (null or the day bounds used), "consistent_through",
 *  "statements", "actors", "completed", "passed", "failed",
 *  "score": {"count", "mean", "min", "max", "histogram": [10]},
 *  "verbs": [{"id", "count"}], "questions": [{"id", "name", "attempts", "correct",
 *  "responses": [{"response", "count"}]}], "by_day": [{"day", "statements", "actors"}]}.
 * since_us / until_us (0 = open) select the UTC days from the one holding since_us through
 * the one holding until_us. An activity with no statements gives zeros and empty lists.
 * @return STMT_STORE_OK (then *out is set), STMT_STORE_ERR_ARG, STMT_STORE_ERR_IO,
 *         STMT_STORE_ERR_NOMEM.
 */
int stmt_report_activity(struct stmt_store *st, const char *activity, int64_t since_us,
                         int64_t until_us, cJSON **out);

#endif
