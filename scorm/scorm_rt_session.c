/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attempts and sessions of one SCO of a registration: launch (entry, resume, LMS-supplied
 * values), commits (sequence numbers, server-side validation, session_time and exit), the
 * end of a session (total_time, SCORM 1.2 lesson_status rules and mastery score, 2004 status
 * evaluation, next entry or a new attempt). The registration's context is scorm_rt_ctx.c; the
 * player's state and the registration report are scorm_rt_state.c.
 *
 * Rules (reference/scorm-runtime.md §7, §8, §11):
 * - entry: "ab-initio" at the first launch of an attempt, "resume" after exit=suspend (2004
 *   also adl.nav.request=suspendAll) and after a session that never reached Terminate (its
 *   data kept: "a session that never reached Terminate keeps its data and resumes"); any
 *   other exit ends the attempt and the next launch starts a new one (ab-initio, fresh data).
 * - total_time = sum of session_time of the sessions of the attempt, added once when the
 *   session ends (final commit or implicit end); the last session_time set in a session wins.
 * - SCORM 1.2 at LMSFinish (1.2 RTE 3.4.4 cmi.core.lesson_status / mastery_score): browse mode
 *   and status "not attempted" -> "browsed"; otherwise "not attempted" -> "completed"; with
 *   credit, a mastery score and a numeric score.raw the LMS sets "passed" (raw >= mastery) or
 *   "failed".
 * - SCORM 2004: completion_status from progress_measure when completion_threshold is defined
 *   (RTE 4.2.4.1), success_status from score.scaled when scaled_passing_score is defined
 *   (RTE 4.2.22.1), as the shim evaluates them on GetValue.
 */
#include "scorm/scorm_rt_int.h"
#include "scorm/scorm_int.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"
#include "statements/stmt_db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 420
_Static_assert(KEY_MAX + 64 == SCORM__SCO_KEY_MAX, "scorm__sco_key buffers");

void scorm__sco_key(char *out, size_t outlen, const char *reg, const char *sco, int attempt)
{
    char tail[32] = "";
    if (attempt > 0)
        snprintf(tail, sizeof tail, "/%d", attempt);
    if (strlen(reg) + strlen(sco) + strlen(tail) + 2 < KEY_MAX) {
        snprintf(out, outlen, "%s/%s%s", reg, sco, tail);
    } else {
        unsigned char h[32];
        char hex[65];
        sc_sha256(sco, strlen(sco), h);
        sc_hex(h, sizeof h, hex);
        snprintf(out, outlen, "%s/#%s%s", reg, hex, tail);
    }
}

/* Every write of a SCO's record goes through here: the course report's tallies move in the
 * same transaction (scorm_rt_report_keep.c). */
static int cmi_put(struct stmt_db_txn *txn, struct scorm__regctx *c, const char *sco,
                   const char *key, const struct scorm__sco_rec *rec)
{
    struct seq_tree *t = NULL; /* the SCO's status: one per item (issue 15) */
    int rc = scorm__sco_rec_put(txn, key, rec);
    if (!rc && !c->is12)
        rc = scorm__regctx_seq(c, txn, &t);
    return rc ? rc : scorm__report_sco(txn, c->reg, sco, rec, t);
}

/* In the call's transaction: the SCO's record (cmi table, key written to key), a new one
 * when the SCO has none yet. */
static int sco_record_read(struct stmt_db_txn *txn, const char *reg, const char *sco, char *key,
                           size_t keylen, struct scorm__sco_rec *rec)
{
    int rc;
    scorm__sco_key(key, keylen, reg, sco, 0);
    rc = scorm__sco_rec_get(txn, key, rec);
    if (rc == SCORM_RT_ERR_NOTFOUND)
        rc = scorm__sco_rec_new(rec);
    return rc;
}

static void bridge_ctx(struct scorm_rt *rt, const struct scorm__regctx *c, const cJSON *item,
                       const struct scorm__sco_rec *rec, const char *session,
                       struct scorm__bridge_ctx *b)
{
    const cJSON *learner = cJSON_GetObjectItemCaseSensitive(c->reg, "learner");
    memset(b, 0, sizeof *b);
    b->rt = rt;
    b->registration = scorm__jstr(c->reg, "id");
    b->course = scorm__jstr(c->reg, "course");
    b->course_title = scorm__jstr(c->reg, "title");
    b->sco = scorm__jstr(item, "identifier");
    b->sco_title = scorm__jstr(item, "title");
    b->learner_id = scorm__jstr(learner, "id");
    b->learner_name = scorm__jstr(learner, "name");
    b->session = session;
    b->attempt = rec->attempt;
    b->attempt_id = rec->attempt_id;
    b->is12 = c->is12;
    b->preview = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->reg, "preview"));
}

/* The start statement of a session, once: initialized, or resumed when its entry is resume. */
static void session_started(struct scorm_rt *rt, const struct scorm__regctx *c, const cJSON *item,
                            const struct scorm__sco_rec *rec, struct scorm__session *sess,
                            cJSON *stmts)
{
    struct scorm__bridge_ctx b;
    if (sess->initialized)
        return;
    sess->initialized = 1;
    bridge_ctx(rt, c, item, rec, sess->id, &b);
    if (stmts)
        scorm__bridge_start(&b, scorm__entry_name(sess->entry), stmts);
}

/*
 * End the SCO's current attempt inside txn: archive it (table "attempts") and start the next
 * one (attempt + 1, entry ab-initio, fresh values, total_time 0). exitv is the exit the
 * attempt ended with (borrowed, may be NULL). rec is modified.
 */
static int attempt_next(struct stmt_db_txn *txn, const struct scorm__regctx *c, const cJSON *item,
                        struct scorm__sco_rec *rec, const char *exitv)
{
    char key[KEY_MAX + 64];
    struct scorm__attempt_rec arch;
    cJSON *fresh = cJSON_CreateObject();
    int rc;
    if (!fresh)
        return SCORM_RT_ERR_NOMEM;
    memset(&arch, 0, sizeof arch);
    arch.attempt = rec->attempt;
    memcpy(arch.attempt_id, rec->attempt_id, sizeof arch.attempt_id);
    arch.values = rec->values; /* borrowed for the write */
    arch.total_cs = rec->total_cs;
    arch.has_result = rec->has_result;
    arch.result = rec->result;
    snprintf(arch.exit, sizeof arch.exit, "%s", exitv ? exitv : "");
    scorm__sco_key(key, sizeof key, scorm__jstr(c->reg, "id"), scorm__jstr(item, "identifier"),
                   rec->attempt);
    rc = scorm__attempt_rec_put(txn, key, &arch);
    if (!rc && sc_uuid_v4(rec->attempt_id))
        rc = SCORM_RT_ERR_NOMEM;
    if (rc) {
        cJSON_Delete(fresh);
        return rc;
    }
    rec->attempt++;
    rec->entry = SCORM__E_AB_INITIO;
    cJSON_Delete(rec->values);
    rec->values = fresh;
    rec->total_cs = 0;
    rec->attempt_sessions = 0;
    return SCORM_RT_OK;
}

/*
 * End a session inside txn: add its time, apply the final rules, decide the next entry or
 * start a new attempt, and append the end statements. final = 1 for Terminate/LMSFinish,
 * 0 for a session that was left open (kept as a suspend). rec and sess are modified.
 */
static int session_end(struct scorm_rt *rt, struct stmt_db_txn *txn, const struct scorm__regctx *c,
                       const cJSON *item, struct scorm__sco_rec *rec, struct scorm__session *sess,
                       int final, cJSON *stmts)
{
    const char *nav = sess->nav_request;
    int64_t scs = sess->session_cs;
    int suspend = !final || !strcmp(sess->exit, "suspend") || (nav && !strcmp(nav, "suspendAll"));
    struct scorm__bridge_ctx b;

    rec->total_cs += scs;
    rec->time_all_cs += scs;
    if (final && c->is12)
        scorm__lesson_status_finish(rec->values, item, c->reg);
    scorm__result_of(rec->values, item, c->is12, &rec->result);
    rec->has_result = 1;
    sess->open = 0;
    sess->has_terminated = 1;
    sess->terminated = final;
    sess->ended_us = sc_time_now_us();
    if (final)
        session_started(rt, c, item, rec, sess, stmts);
    bridge_ctx(rt, c, item, rec, sess->id, &b);
    /* a session whose SCO never initialised has nothing to state */
    if (stmts && sess->initialized)
        scorm__bridge_end(&b, rec->values, sess->changed, &rec->result,
                          sess->has_start_result ? &sess->start_result : NULL, suspend, scs, stmts);
    cJSON_Delete(sess->changed);
    sess->changed = NULL;
    rec->session[0] = '\0';
    if (suspend) {
        rec->entry = SCORM__E_RESUME;
        return SCORM_RT_OK;
    }
    /* a non-suspend exit ends the attempt: archive it and start the next (RTE 4.2.8) */
    return attempt_next(txn, c, item, rec, sess->exit);
}

/*
 * The transaction of a call runs on the group leader's thread (stmt_db_txn_run_grouped: one
 * thread per LMDB write transaction, one shared fsync per group): fn does the call's reads and
 * writes in txn, then the call's statements are written in it as bridge outbox rows (one
 * call, one durable transaction: DESIGN.md). After the group is durable the statements go to
 * the statement store. fails0 is sc_alloc_failures() when the call began: when an allocation
 * failed since, a value or a statement may be missing from what the call built, so nothing is
 * committed (SCORM_RT_ERR_NOMEM; the player retries). fn must not begin a transaction.
 * Returns fn's error, SCORM_RT_ERR_NOMEM, SCORM_RT_ERR_STORE, or SCORM_RT_OK once durable.
 */
struct phase {
    struct scorm_rt *rt;
    cJSON *stmts;
    long fails0;
    int (*fn)(struct stmt_db_txn *txn, void *ctx);
    void *ctx;
    struct scorm__obx ob;
    int rc; /* what fn and the rows gave (the group's own failure is told apart) */
};

static int phase_work(struct stmt_db_txn *txn, void *v)
{
    struct phase *p = v;
    int rc = p->fn(txn, p->ctx);
    if (!rc) {
        rc = scorm__outbox_put(p->rt, txn, p->stmts, p->fails0, &p->ob);
        if (!rc && sc_alloc_failures() != p->fails0)
            rc = SCORM_RT_ERR_NOMEM;
        if (rc)
            scorm__obx_free(&p->ob);
    }
    p->rc = rc;
    return rc;
}

static int run_phase(struct scorm_rt *rt, cJSON *stmts, long fails0,
                     int (*fn)(struct stmt_db_txn *txn, void *ctx), void *ctx)
{
    struct phase p;
    int rc;
    memset(&p, 0, sizeof p);
    p.rt = rt;
    p.stmts = stmts;
    p.fails0 = fails0;
    p.fn = fn;
    p.ctx = ctx;
    p.rc = SCORM_RT_ERR_STORE; /* fn never ran */
    rc = stmt_db_txn_run_grouped(rt->db, phase_work, &p);
    if (rc) {
        if (!p.rc) /* fn and the rows were fine: the group's commit failed */
            scorm__obx_free(&p.ob);
        return p.rc ? p.rc : SCORM_RT_ERR_STORE;
    }
    scorm__commit_done(rt);
    scorm__outbox_sent(rt, stmts, &p.ob);
    return SCORM_RT_OK;
}

/* The prologue of a session's calls (commit, initialized), before their transaction: the
 * registration's context and a statement array. On error the outputs hold what was made (the
 * caller frees them; c is safe to free either way). */
static int session_prep(struct scorm_rt *rt, const char *reg, const char *session,
                        struct scorm__regctx *c, cJSON **stmts)
{
    int rc;
    memset(c, 0, sizeof *c);
    if (!session || !sc_uuid_valid(session, strlen(session)))
        return SCORM_RT_ERR_NOTFOUND;
    rc = scorm__regctx_load(rt, reg, c);
    if (rc)
        return rc;
    *stmts = cJSON_CreateArray();
    return *stmts ? SCORM_RT_OK : SCORM_RT_ERR_NOMEM;
}

/* In the call's transaction: the session record, which must belong to reg and be open. */
static int session_read(struct stmt_db_txn *txn, const char *reg, const char *session,
                        struct scorm__session *sess)
{
    int rc = scorm__session_get(txn, session, sess);
    if (rc)
        return rc;
    if (strcmp(sess->registration, reg))
        return SCORM_RT_ERR_NOTFOUND;
    return sess->open ? SCORM_RT_OK : SCORM_RT_ERR_CLOSED;
}

struct launch_ctx {
    struct scorm_rt *rt;
    struct scorm__regctx *c;
    const char *reg, *sco, *sid;
    const cJSON *item;
    cJSON *stmts, *res;
};

/* A session of the SCO left open (tab closed, no Terminate) ends as a suspend, in txn; rec is
 * modified. A session record that cannot be read is an error, not a closed session. */
static int open_session_end(struct scorm_rt *rt, struct stmt_db_txn *txn,
                            const struct scorm__regctx *c, const cJSON *item,
                            struct scorm__sco_rec *rec, cJSON *stmts)
{
    struct scorm__session old;
    int rc;
    memset(&old, 0, sizeof old);
    if (!rec->session[0])
        return SCORM_RT_OK;
    rc = scorm__session_get(txn, rec->session, &old);
    if (rc == SCORM_RT_ERR_NOTFOUND)
        rc = SCORM_RT_OK;
    else if (!rc && old.open && !(rc = session_end(rt, txn, c, item, rec, &old, 0, stmts)))
        rc = scorm__session_put(txn, &old);
    scorm__session_free(&old);
    if (!rc)
        rec->session[0] = '\0';
    return rc;
}

/* The transaction of a launch (run_phase): the SCO's record and a new session. */
static int launch_work(struct stmt_db_txn *txn, void *v)
{
    struct launch_ctx *a = v;
    struct scorm_rt *rt = a->rt;
    struct scorm__regctx *c = a->c;
    const char *reg = a->reg, *sco = a->sco, *sid = a->sid;
    const cJSON *item = a->item;
    cJSON *stmts = a->stmts, *res = a->res;
    struct scorm__sco_rec rec;
    struct scorm__session sess;
    char key[KEY_MAX + 64];
    int rc;
    scorm__sco_rec_init(&rec);
    memset(&sess, 0, sizeof sess);
    if ((rc = sco_record_read(txn, reg, sco, key, sizeof key, &rec)) ||
        (rc = open_session_end(rt, txn, c, item, &rec, stmts)))
        goto out;
    snprintf(sess.id, sizeof sess.id, "%s", sid);
    snprintf(sess.registration, sizeof sess.registration, "%s", reg);
    sess.sco = sc_strdup(sco);
    sess.changed = cJSON_CreateObject();
    if (!sess.sco || !sess.changed) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    sess.attempt = rec.attempt;
    sess.open = 1;
    sess.entry = rec.entry;
    sess.started_us = sc_time_now_us();
    if (rec.entry == SCORM__E_RESUME && rec.has_result) {
        sess.has_start_result = 1;
        sess.start_result = rec.result;
    }
    if (rec.attempt_sessions <= 0 && !c->is12)
        scorm__seed_objectives(item, rec.values);
    snprintf(rec.session, sizeof rec.session, "%s", sid);
    rec.sessions++;
    rec.attempt_sessions++;
    /* initialized / resumed are stated when the SCO calls Initialize (the player reports it)
     * or at its first commit, whichever comes first: content that never initialises leaves
     * no statements (xAPI SCORM Profile §5.0) */
    cJSON *init = scorm__initial_values(c, item, &rec);
    if (!init) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    cJSON_AddItemToObject(res, "initial", init);
    /* shared data stores of the SCO (adl.data, RTE 4th 4.3) */
    if (!c->is12 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(item, "data")) > 0) {
        cJSON *sd = NULL;
        rc = scorm__data_entries(txn, c->org, item, scorm__regctx_learner(c), reg, &sd);
        if (rc)
            goto out;
        cJSON_AddItemToObject(init, "adl.data", sd);
    }
    /* the entry of later launches, unless this session ends otherwise: a session that never
     * reaches Terminate resumes (scorm-runtime.md §8) */
    rec.entry = SCORM__E_RESUME;
    /* the registration record is re-read inside this write transaction: a token issued since
     * scorm__regctx_load must not be lost by writing back the older copy */
    {
        cJSON *cur = NULL;
        rc = scorm__rt_get(txn, "registrations", reg, &cur);
        if (!rc) {
            scorm__jset_str(cur, "last_sco", sco);
            rc = scorm__rt_put(txn, "registrations", reg, cur);
        }
        cJSON_Delete(cur);
        if (rc)
            goto out;
    }
    if ((rc = cmi_put(txn, c, sco, key, &rec)) || (rc = scorm__session_put(txn, &sess)))
        goto out;
    /* the answer is made before the commit: a failure after it would leave a session the
     * player never hears of */
    cJSON_AddStringToObject(res, "session", sid);
    cJSON_AddStringToObject(res, "sco", sco);
    cJSON_AddStringToObject(res, "title",
                            scorm__jstr(item, "title") ? scorm__jstr(item, "title") : sco);
    cJSON_AddStringToObject(res, "href", scorm__jstr(item, "launch"));
    cJSON_AddStringToObject(res, "scorm_version", c->is12 ? "scorm12" : "scorm2004");
    cJSON_AddNumberToObject(res, "seq", 0);
    cJSON_AddBoolToObject(res, "strict", scorm__regctx_strict(c));
    rc = SCORM_RT_OK;
out:
    scorm__sco_rec_free(&rec);
    scorm__session_free(&sess);
    return rc;
}

int scorm_rt_launch(struct scorm_rt *rt, const char *reg, const char *sco, cJSON **out,
                    struct scorm_diag *diag)
{
    struct scorm__regctx c;
    struct launch_ctx lc;
    cJSON *res = NULL, *stmts = NULL;
    const cJSON *item;
    char sid[SC_UUID_LEN];
    int rc;

    rc = scorm__regctx_load(rt, reg, &c);
    if (rc)
        return rc;
    item = sco ? scorm__find_item(cJSON_GetObjectItemCaseSensitive(c.org, "items"), sco) : NULL;
    if (!item) {
        scorm__diag_set(diag, SCORM_RT_ERR_NOTFOUND, 0, "sco", "no item %.100s in the course",
                        sco ? sco : "(none)");
        rc = SCORM_RT_ERR_NOTFOUND;
        goto out;
    }
    if (!scorm__jstr(item, "launch")) {
        scorm__diag_set(diag, SCORM_RT_ERR_NOT_LAUNCHABLE, 0, "sco",
                        "item %.100s has no resource to launch", sco);
        rc = SCORM_RT_ERR_NOT_LAUNCHABLE;
        goto out;
    }
    stmts = cJSON_CreateArray();
    res = cJSON_CreateObject();
    if (!stmts || !res || sc_uuid_v4(sid)) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    lc = (struct launch_ctx){rt, &c, reg, sco, sid, item, stmts, res};
    if ((rc = run_phase(rt, stmts, c.fails0, launch_work, &lc)))
        goto out;
    *out = res;
    res = NULL;
    rc = SCORM_RT_OK;
out:
    cJSON_Delete(res);
    cJSON_Delete(stmts);
    scorm__regctx_free(&c);
    return rc;
}

/*
 * End the SCO's current attempt inside txn, closing first a session left open (tab closed
 * without Terminate) as a launch would; its next launch is ab-initio. rec is modified.
 */
static int sco_attempt_end(struct scorm_rt *rt, struct stmt_db_txn *txn,
                           const struct scorm__regctx *c, const cJSON *item,
                           struct scorm__sco_rec *rec, cJSON *stmts)
{
    int rc = open_session_end(rt, txn, c, item, rec, stmts);
    return rc ? rc : attempt_next(txn, c, item, rec, NULL);
}

struct delivered_ctx {
    struct scorm_rt *rt;
    struct scorm__regctx *c;
    const char *reg, *sco;
    const cJSON *item;
    int activity_attempt;
    cJSON *stmts;
};

static int delivered_work(struct stmt_db_txn *txn, void *v)
{
    struct delivered_ctx *a = v;
    struct scorm_rt *rt = a->rt;
    struct scorm__regctx *c = a->c;
    const char *reg = a->reg, *sco = a->sco;
    const cJSON *item = a->item;
    int activity_attempt = a->activity_attempt;
    cJSON *stmts = a->stmts;
    struct scorm__sco_rec rec;
    char key[KEY_MAX + 64];
    int rc;
    scorm__sco_rec_init(&rec);
    if ((rc = sco_record_read(txn, reg, sco, key, sizeof key, &rec)))
        goto out;
    if (rec.has_activity_attempt && rec.activity_attempt == activity_attempt)
        goto out; /* the same attempt (a resume, a relaunch): nothing changes (rc OK) */
    /* SN 4th DB.2: the sequencer began a new attempt on the activity (a suspended activity is
     * resumed in the same attempt). RTE 4th 4.2.7 / 4.2.8: the SCO's learner attempt is that
     * attempt, so its data of the earlier one ends and cmi.entry is ab-initio. A record with
     * no attempt known yet (a first delivery) only learns it. */
    if (rec.has_activity_attempt && rec.attempt_sessions > 0) {
        rc = sco_attempt_end(rt, txn, c, item, &rec, stmts);
        if (rc)
            goto out;
    }
    rec.has_activity_attempt = 1;
    rec.activity_attempt = activity_attempt;
    if ((rc = cmi_put(txn, c, sco, key, &rec)))
        goto out;
out:
    scorm__sco_rec_free(&rec);
    return rc;
}

int scorm_rt_delivered(struct scorm_rt *rt, const char *reg, const char *sco, int activity_attempt)
{
    struct scorm__regctx c;
    struct delivered_ctx dc;
    cJSON *stmts = NULL;
    const cJSON *item;
    int rc;

    if (activity_attempt < 1)
        return SCORM_RT_ERR_ARG;
    rc = scorm__regctx_load(rt, reg, &c);
    if (rc)
        return rc;
    item = sco ? scorm__find_item(cJSON_GetObjectItemCaseSensitive(c.org, "items"), sco) : NULL;
    if (!item) {
        rc = SCORM_RT_ERR_NOTFOUND;
        goto out;
    }
    stmts = cJSON_CreateArray();
    if (!stmts) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    dc = (struct delivered_ctx){rt, &c, reg, sco, item, activity_attempt, stmts};
    rc = run_phase(rt, stmts, c.fails0, delivered_work, &dc);
out:
    cJSON_Delete(stmts);
    scorm__regctx_free(&c);
    return rc;
}

struct exited_ctx {
    struct scorm_rt *rt;
    struct scorm__regctx *c;
    const char *reg;
    const struct scorm__flat *f;
    cJSON *stmts;
};

static int exited_work(struct stmt_db_txn *txn, void *v)
{
    struct exited_ctx *a = v;
    struct scorm_rt *rt = a->rt;
    struct scorm__regctx *c = a->c;
    const char *reg = a->reg;
    const struct scorm__flat *f = a->f;
    cJSON *stmts = a->stmts;
    struct scorm__sco_rec rec;
    char key[KEY_MAX + 64];
    int rc = SCORM_RT_OK;
    scorm__sco_rec_init(&rec);
    for (size_t i = 0; i < f->n; i++) {
        const char *id = scorm__jstr(f->item[i], "identifier");
        if (!id || !scorm__jstr(f->item[i], "launch"))
            continue;
        scorm__sco_key(key, sizeof key, reg, id, 0);
        rc = scorm__sco_rec_get(txn, key, &rec);
        if (rc == SCORM_RT_ERR_NOTFOUND) {
            rc = SCORM_RT_OK;
            continue;
        }
        if (rc)
            goto out;
        /* an attempt with sessions is still going: a suspended SCO (cmi.exit "suspend") or
         * one whose session never reached Terminate; a SCO that exited otherwise already
         * started its next attempt (attempt_sessions 0) */
        if (rec.attempt_sessions > 0) {
            rc = sco_attempt_end(rt, txn, c, f->item[i], &rec, stmts);
            if (!rc)
                rc = cmi_put(txn, c, id, key, &rec);
            if (rc)
                goto out;
        }
        scorm__sco_rec_free(&rec);
    }
out:
    scorm__sco_rec_free(&rec);
    return rc;
}

int scorm_rt_course_exited(struct scorm_rt *rt, const char *reg)
{
    struct scorm__regctx c;
    struct exited_ctx ec;
    struct scorm__flat *f = NULL;
    cJSON *stmts = NULL;
    int rc = scorm__regctx_load(rt, reg, &c);
    if (rc)
        return rc;
    f = sc_calloc(1, sizeof *f);
    stmts = cJSON_CreateArray();
    if (!f || !stmts) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    scorm__flatten(cJSON_GetObjectItemCaseSensitive(c.org, "items"), 0, f);
    ec = (struct exited_ctx){rt, &c, reg, f, stmts};
    rc = run_phase(rt, stmts, c.fails0, exited_work, &ec);
out:
    cJSON_Delete(stmts);
    sc_free(f);
    scorm__regctx_free(&c);
    return rc;
}

/* ---- commit ---------------------------------------------------------------------------- */

/* the 2004 model's value_max (characters stored in full, RTE 4.1.1.5); 0 when absent */
static size_t value_max(const struct scorm_rt *rt)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rt->dm.root, "models"), "scorm2004");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value_max");
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (size_t)v->valuedouble : 0;
}

static int map_code(int scorm_code)
{
    switch (scorm_code) {
    case 401:
    case 402:
        return SCORM_RT_ERR_ELEMENT;
    case 404:
        return SCORM_RT_ERR_READONLY;
    default:
        return SCORM_RT_ERR_VALUE;
    }
}

struct commit_ctx {
    struct scorm_rt *rt;
    struct scorm__regctx *c;
    const char *reg, *session;
    const cJSON *changes;
    double seq;
    int final;
    struct scorm_diag *diag;
    cJSON *stmts;
    int dup; /* out: a duplicate or a late arrival, nothing changed */
};

/* The transaction of a commit (run_phase): validate and apply the changes to the SCO's record
 * and session, the tracking, the end of the session, the summary and the report. */
static int commit_work(struct stmt_db_txn *txn, void *v)
{
    struct commit_ctx *a = v;
    struct scorm_rt *rt = a->rt;
    struct scorm__regctx *c = a->c;
    const char *reg = a->reg, *session = a->session;
    const cJSON *changes = a->changes, *ch, *item;
    double seq = a->seq;
    int final = a->final;
    struct scorm_diag *diag = a->diag;
    cJSON *stmts = a->stmts, *counts = NULL, *values;
    struct scorm__session sess;
    struct scorm__sco_rec rec;
    char key[KEY_MAX + 64], why[512];
    int rc;
    memset(&sess, 0, sizeof sess);
    scorm__sco_rec_init(&rec);
    if ((rc = session_read(txn, reg, session, &sess)))
        goto out;
    if (seq <= (double)sess.seq) {
        a->dup = 1; /* a duplicate or a late arrival: nothing changes */
        goto out;
    }
    item = scorm__find_item(cJSON_GetObjectItemCaseSensitive(c->org, "items"), sess.sco);
    if (!item) {
        rc = SCORM_RT_ERR_NOTFOUND;
        goto out;
    }
    scorm__sco_key(key, sizeof key, reg, sess.sco, 0);
    if ((rc = scorm__sco_rec_get(txn, key, &rec)))
        goto out;
    session_started(rt, c, item, &rec, &sess, stmts); /* a commit means Initialize happened */
    values = rec.values;
    counts = scorm__dm_counts(values);
    if (!counts) {
        rc = SCORM_RT_ERR_NOMEM;
        goto out;
    }
    /* exit, session_time and adl.nav.request live in the session, not in the attempt's values;
     * a commit may set them more than once across commits: the last value wins */
    const char *ex_key = c->is12 ? "cmi.core.exit" : "cmi.exit";
    const char *st_key = c->is12 ? "cmi.core.session_time" : "cmi.session_time";
    cJSON_ArrayForEach(ch, changes)
    {
        int code;
        if (!c->is12 && !strncmp(ch->string, "adl.data.", 9)) {
            /* shared data goes to its store (scorm_rt_data.c), not to the attempt's values */
            rc = scorm__data_set(txn, c->org, item, scorm__regctx_learner(c), reg, ch->string,
                                 ch->valuestring, value_max(rt), diag);
            if (rc)
                goto out;
            continue;
        }
        code = scorm__dm_set(&rt->dm, c->is12 ? "scorm12" : "scorm2004", scorm__regctx_strict(c),
                             values, counts, ch->string, ch->valuestring, why, sizeof why);
        if (code) {
            rc = map_code(code);
            scorm__diag_set(diag, code, 0, ch->string, "%s", why);
            goto out;
        }
        scorm__jset_str(sess.changed, ch->string, ch->valuestring);
    }
    {
        const char *v;
        if ((v = scorm__jstr(values, ex_key))) {
            /* a vocabulary value (RTE 4.2.8, 1.2 RTE 3.4.4): "time-out", "suspend", ... */
            snprintf(sess.exit, sizeof sess.exit, "%s", v);
            sess.has_exit = 1;
            cJSON_DeleteItemFromObjectCaseSensitive(values, ex_key);
        }
        if ((v = scorm__jstr(values, st_key))) {
            int64_t cs = c->is12 ? scorm_rt_timespan12_cs(v) : scorm_rt_duration_cs(v);
            if (cs >= 0)
                sess.session_cs = cs;
            cJSON_DeleteItemFromObjectCaseSensitive(values, st_key);
        }
        if ((v = scorm__jstr(values, "adl.nav.request"))) {
            char *nav = sc_strdup(v);
            if (!nav) {
                rc = SCORM_RT_ERR_NOMEM;
                goto out;
            }
            sc_free(sess.nav_request);
            sess.nav_request = nav;
            cJSON_DeleteItemFromObjectCaseSensitive(values, "adl.nav.request");
        }
    }
    sess.seq = (int64_t)seq;
    scorm__result_of(values, item, c->is12, &rec.result);
    rec.has_result = 1;
    /* the sequencing tracking follows the validated data in this transaction (issue 15) */
    if (!c->is12) {
        struct seq_tree *t = NULL;
        if ((rc = scorm__regctx_seq(c, txn, &t)) ||
            (t && (rc = scorm__track_commit(txn, t, reg, scorm__regctx_learner(c), item, values,
                                            &sess, final))))
            goto out;
    }
    if (final) {
        rc = session_end(rt, txn, c, item, &rec, &sess, 1, stmts);
        if (rc)
            goto out;
    }
    /* the console's summary and counters move in the same transaction (scorm_rt_index.c) */
    if ((rc = cmi_put(txn, c, sess.sco, key, &rec)) || (rc = scorm__session_put(txn, &sess)) ||
        (rc = scorm__summary_commit(txn, c->reg, c->org, sess.sco, &rec)))
        goto out;
out:
    scorm__session_free(&sess);
    scorm__sco_rec_free(&rec);
    cJSON_Delete(counts);
    return rc;
}

int scorm_rt_commit(struct scorm_rt *rt, const char *reg, const char *session, const cJSON *payload,
                    cJSON **out, struct scorm_diag *diag)
{
    struct scorm__regctx c;
    struct commit_ctx cc;
    cJSON *stmts = NULL, *res = NULL, *dup = NULL;
    const cJSON *seqj = cJSON_GetObjectItemCaseSensitive(payload, "seq");
    const cJSON *finalj = cJSON_GetObjectItemCaseSensitive(payload, "final");
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(payload, "changes"), *ch;
    double seq;
    int rc, final = cJSON_IsTrue(finalj), nchanges = 0;

    memset(&c, 0, sizeof c);
    if (!cJSON_IsObject(payload) || !cJSON_IsNumber(seqj) || seqj->valuedouble < 1 ||
        seqj->valuedouble != floor(seqj->valuedouble) || seqj->valuedouble > 9007199254740991.0 ||
        (finalj && !cJSON_IsBool(finalj)) || (changes && !cJSON_IsObject(changes))) {
        scorm__diag_set(diag, SCORM_RT_ERR_PAYLOAD, 0, "seq",
                        "commit body must be {\"seq\": integer >= 1, \"final\": boolean, "
                        "\"changes\": {element: string}}");
        return SCORM_RT_ERR_PAYLOAD;
    }
    seq = seqj->valuedouble;
    cJSON_ArrayForEach(ch, changes)
    {
        if (!cJSON_IsString(ch)) {
            scorm__diag_set(diag, SCORM_RT_ERR_PAYLOAD, 0, ch->string,
                            "changes.%.200s must be a string (SetValue values are strings)",
                            ch->string);
            return SCORM_RT_ERR_PAYLOAD;
        }
        if (++nchanges > SCORM_RT_MAX_CHANGES) {
            scorm__diag_set(diag, SCORM_RT_ERR_PAYLOAD, 0, "changes",
                            "more than %d changes in one commit", SCORM_RT_MAX_CHANGES);
            return SCORM_RT_ERR_PAYLOAD;
        }
    }
    rc = session_prep(rt, reg, session, &c, &stmts);
    if (rc)
        goto out;
    if (out) { /* both answers are made before the commit: nothing can fail once it is durable */
        res = cJSON_CreateObject();
        dup = cJSON_CreateObject();
        if (!res || !cJSON_AddBoolToObject(res, "applied", 1) ||
            !cJSON_AddNumberToObject(res, "seq", seq) ||
            !cJSON_AddBoolToObject(res, "final", final) || !dup ||
            !cJSON_AddBoolToObject(dup, "applied", 0) ||
            !cJSON_AddNumberToObject(dup, "seq", seq) || !cJSON_AddBoolToObject(dup, "final", 0)) {
            rc = SCORM_RT_ERR_NOMEM;
            goto out;
        }
    }
    cc = (struct commit_ctx){rt, &c, reg, session, changes, seq, final, diag, stmts, 0};
    if ((rc = run_phase(rt, stmts, c.fails0, commit_work, &cc)))
        goto out;
    if (out) {
        *out = cc.dup ? dup : res;
        if (cc.dup)
            dup = NULL;
        else
            res = NULL;
    }
    rc = SCORM_RT_OK;
out:
    cJSON_Delete(res);
    cJSON_Delete(dup);
    cJSON_Delete(stmts);
    scorm__regctx_free(&c);
    return rc;
}

struct init_ctx {
    struct scorm_rt *rt;
    struct scorm__regctx *c;
    const char *reg, *session;
    cJSON *stmts;
};

static int initialized_work(struct stmt_db_txn *txn, void *v)
{
    struct init_ctx *a = v;
    struct scorm__regctx *c = a->c;
    struct scorm__session sess;
    struct scorm__sco_rec rec;
    const cJSON *item;
    char key[KEY_MAX + 64];
    int rc;
    memset(&sess, 0, sizeof sess);
    scorm__sco_rec_init(&rec);
    if ((rc = session_read(txn, a->reg, a->session, &sess)))
        goto out;
    if (sess.initialized)
        goto out; /* rc is OK: said once already */
    item = scorm__find_item(cJSON_GetObjectItemCaseSensitive(c->org, "items"), sess.sco);
    scorm__sco_key(key, sizeof key, a->reg, sess.sco, 0);
    if (!item || (rc = scorm__sco_rec_get(txn, key, &rec))) {
        rc = rc ? rc : SCORM_RT_ERR_NOTFOUND;
        goto out;
    }
    session_started(a->rt, c, item, &rec, &sess, a->stmts);
    rc = scorm__session_put(txn, &sess);
out:
    scorm__session_free(&sess);
    scorm__sco_rec_free(&rec);
    return rc;
}

int scorm_rt_initialized(struct scorm_rt *rt, const char *reg, const char *session)
{
    struct scorm__regctx c;
    struct init_ctx ic;
    cJSON *stmts = NULL;
    int rc = session_prep(rt, reg, session, &c, &stmts);
    if (!rc) {
        ic = (struct init_ctx){rt, &c, reg, session, stmts};
        rc = run_phase(rt, stmts, c.fails0, initialized_work, &ic);
    }
    cJSON_Delete(stmts);
    scorm__regctx_free(&c);
    return rc;
}
