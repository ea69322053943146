/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Webhook events of the run-time and of imports (issue 17), written as outbox rows of the
 * statement store (statements/stmt_outbox.h) in the transaction of the change they report:
 *
 * - registration.completed / .passed / .failed: from a SCORM call's bridge statements, in the
 *   call's transaction (scorm__outbox_put). The bridge writes a completed, passed or failed
 *   statement when a SCO's status changes; the event is sent when, after that change, the
 *   registration's summary (scorm_rt_index.c, updated earlier in the same transaction) is
 *   completed, passed or failed: the registration reached that state with this call.
 * - the same three for a cmi5 registration (scorm__outcome_events), from the change of its
 *   moveOn outcome in the transaction that changes it (cmi5_reg.c): completed when the course
 *   becomes satisfied, passed / failed when its success becomes so; no score or statement.
 * - course.imported: in the import's transaction (scorm_import.c), with the course id,
 *   version and title.
 *
 * Payload: {"event", "id" (UUID of this event), "time", ...the event's fields}. Nothing is
 * written when no webhook listens (stmt_outbox_event).
 */
#include "scorm/scorm_rt_int.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"
#include "statements/stmt_outbox.h"

#include <string.h>

#define V_ADL "http://adlnet.gov/expapi/verbs/"

/* {"event","id","time"} (owned) or NULL. */
static cJSON *event_new(const char *name)
{
    char id[SC_UUID_LEN], iso[SC_TIME_ISO_LEN];
    cJSON *e = cJSON_CreateObject();
    if (!e || sc_uuid_v4(id) || !cJSON_AddStringToObject(e, "event", name) ||
        !cJSON_AddStringToObject(e, "id", id) ||
        !cJSON_AddStringToObject(e, "time", sc_time_format_iso(sc_time_now_us(), 3, iso))) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

/* Write event e, built since the allocation-failure count was fails0: an event a failed
 * allocation left incomplete is never written (the caller's transaction is aborted). */
static int emit(struct stmt_store *st, struct stmt_db_txn *txn, unsigned ev, cJSON *e, long fails0)
{
    char *text = e && sc_alloc_failures() == fails0 ? cJSON_PrintUnformatted(e) : NULL;
    int rc;
    if (!text || sc_alloc_failures() != fails0) {
        cJSON_free(text);
        return SCORM_RT_ERR_NOMEM;
    }
    rc = stmt_outbox_event(st, txn, ev, text, strlen(text));
    cJSON_free(text);
    return rc == STMT_DB_OK          ? SCORM_RT_OK
           : rc == STMT_DB_ERR_NOMEM ? SCORM_RT_ERR_NOMEM
                                     : SCORM_RT_ERR_STORE;
}

static cJSON *json_at(struct stmt_db_txn *txn, const char *table, const char *key)
{
    const void *v;
    size_t vl;
    if (stmt_db_get(txn, table, key, strlen(key), &v, &vl) != STMT_DB_OK)
        return NULL;
    return cJSON_ParseWithLength(v, vl);
}

/* One registration event: {"event","id","time","registration","course","learner",
 * "completion","success"[,"score"][,"statement"]}. */
static int reg_event(struct stmt_store *st, struct stmt_db_txn *txn, unsigned bit, const char *name,
                     const char *reg, const char *course, const cJSON *learner,
                     const char *completion, const char *success, const cJSON *score,
                     const char *statement)
{
    long fails0 = sc_alloc_failures();
    cJSON *e = event_new(name);
    int rc;
    if (e) {
        cJSON_AddStringToObject(e, "registration", reg);
        if (course)
            cJSON_AddStringToObject(e, "course", course);
        cJSON_AddItemToObject(e, "learner", cJSON_Duplicate(learner, 1));
        cJSON_AddStringToObject(e, "completion", completion);
        cJSON_AddStringToObject(e, "success", success);
        if (cJSON_IsNumber(score))
            cJSON_AddNumberToObject(e, "score", score->valuedouble);
        if (statement)
            cJSON_AddStringToObject(e, "statement", statement);
    }
    rc = emit(st, txn, bit, e, fails0);
    cJSON_Delete(e);
    return rc;
}

static const struct {
    const char *verb, *field, *value, *event;
    unsigned bit;
} K[] = {
    {V_ADL "completed", "completion", "completed", "registration.completed",
     STMT_OUTBOX_EV_COMPLETED},
    {V_ADL "passed", "success", "passed", "registration.passed", STMT_OUTBOX_EV_PASSED},
    {V_ADL "failed", "success", "failed", "registration.failed", STMT_OUTBOX_EV_FAILED},
};

int scorm__outbox_events(struct scorm_rt *rt, struct stmt_db_txn *txn, const cJSON *stmts)
{
    const cJSON *s;
    int rc = SCORM_RT_OK;
    if (!rt->store)
        return SCORM_RT_OK;
    for (size_t k = 0; k < sizeof K / sizeof K[0] && !rc; k++) {
        const cJSON *hit = NULL;
        cJSON_ArrayForEach(s, stmts)
        {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "verb");
            /* SCO-level status statements only (objectives have their own activity type) */
            const cJSON *def = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(s, "object"), "definition");
            const char *type = scorm__jstr(def, "type");
            if (scorm__jstr(v, "id") && !strcmp(scorm__jstr(v, "id"), K[k].verb) &&
                !(type && strstr(type, "objective"))) {
                hit = s;
                break;
            }
        }
        if (!hit)
            continue;
        const char *reg =
            scorm__jstr(cJSON_GetObjectItemCaseSensitive(hit, "context"), "registration");
        cJSON *sum = reg ? json_at(txn, "reg_summary", reg) : NULL;
        cJSON *rec = reg ? json_at(txn, "registrations", reg) : NULL;
        const char *now = scorm__jstr(sum, K[k].field);
        if (now && !strcmp(now, K[k].value))
            rc = reg_event(rt->store, txn, K[k].bit, K[k].event, reg, scorm__jstr(rec, "course"),
                           cJSON_GetObjectItemCaseSensitive(rec, "learner"),
                           scorm__jstr(sum, "completion"), scorm__jstr(sum, "success"),
                           cJSON_GetObjectItemCaseSensitive(sum, "score"), scorm__jstr(hit, "id"));
        cJSON_Delete(sum);
        cJSON_Delete(rec);
    }
    return rc;
}

int scorm__outcome_events(struct stmt_store *st, struct stmt_db_txn *txn, const char *reg,
                          const char *course, const cJSON *learner, const int was[2],
                          int completion, int success)
{
    /* K's order: completed, passed, failed */
    const int now[3] = {was[0] != SCORM__C_COMPLETED && completion == SCORM__C_COMPLETED,
                        was[1] != SCORM__S_PASSED && success == SCORM__S_PASSED,
                        was[1] != SCORM__S_FAILED && success == SCORM__S_FAILED};
    int rc = SCORM_RT_OK;
    if (!st)
        return SCORM_RT_OK;
    for (size_t k = 0; k < sizeof K / sizeof K[0] && !rc; k++)
        if (now[k])
            rc = reg_event(st, txn, K[k].bit, K[k].event, reg, course, learner,
                           scorm__completion_name((enum scorm__completion)completion),
                           scorm__success_name((enum scorm__success)success), NULL, NULL);
    return rc;
}

int scorm__import_event(struct stmt_store *st, struct stmt_db_txn *txn, const cJSON *course,
                        int version)
{
    cJSON *e;
    long fails0 = sc_alloc_failures();
    int rc;
    if (!st)
        return SCORM_RT_OK;
    e = event_new("course.imported");
    if (e) {
        cJSON_AddStringToObject(e, "course", scorm__jstr(course, "id"));
        cJSON_AddNumberToObject(e, "version", version);
        if (scorm__jstr(course, "title"))
            cJSON_AddStringToObject(e, "title", scorm__jstr(course, "title"));
    }
    rc = emit(st, txn, STMT_OUTBOX_EV_IMPORTED, e, fails0);
    cJSON_Delete(e);
    return rc;
}
