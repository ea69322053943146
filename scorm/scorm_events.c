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

int scorm__outbox_events(struct scorm_rt *rt, struct stmt_db_txn *txn, const cJSON *stmts)
{
    static const struct {
        const char *verb, *field, *value, *event;
        unsigned bit;
    } K[] = {
        {V_ADL "completed", "completion", "completed", "registration.completed",
         STMT_OUTBOX_EV_COMPLETED},
        {V_ADL "passed", "success", "passed", "registration.passed", STMT_OUTBOX_EV_PASSED},
        {V_ADL "failed", "success", "failed", "registration.failed", STMT_OUTBOX_EV_FAILED},
    };
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
        if (now && !strcmp(now, K[k].value)) {
            long fails0 = sc_alloc_failures();
            cJSON *e = event_new(K[k].event);
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(sum, "score");
            if (e) {
                cJSON_AddStringToObject(e, "registration", reg);
                if (scorm__jstr(rec, "course"))
                    cJSON_AddStringToObject(e, "course", scorm__jstr(rec, "course"));
                cJSON_AddItemToObject(
                    e, "learner",
                    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "learner"), 1));
                cJSON_AddStringToObject(e, "completion", scorm__jstr(sum, "completion"));
                cJSON_AddStringToObject(e, "success", scorm__jstr(sum, "success"));
                if (cJSON_IsNumber(sc))
                    cJSON_AddNumberToObject(e, "score", sc->valuedouble);
                cJSON_AddStringToObject(e, "statement", scorm__jstr(hit, "id"));
            }
            rc = emit(rt->store, txn, K[k].bit, e, fails0);
            cJSON_Delete(e);
        }
        cJSON_Delete(sum);
        cJSON_Delete(rec);
    }
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
