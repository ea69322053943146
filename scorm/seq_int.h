/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to scorm/seq_*.c: the activity tree (SN 4.2 tracking model, IMS SS 1.0 sequencing
 * definition model) and the processes shared across files. Process names follow the SN book
 * of SCORM 2004 4th edition (OP, NB, TB, SB, DB, UP, RB, SR).
 */
#ifndef SCORM_SEQ_INT_H
#define SCORM_SEQ_INT_H

#include "scorm/seq.h"

#include <stddef.h>
#include <stdint.h>

/* rule actions (IMS SS 5.2.4) */
enum seq__action {
    SEQ__A_NONE = 0,
    SEQ__A_SKIP = 1 << 0,
    SEQ__A_DISABLED = 1 << 1,
    SEQ__A_HIDDEN = 1 << 2,
    SEQ__A_STOP_FORWARD = 1 << 3,
    SEQ__A_EXIT = 1 << 4,
    SEQ__A_EXIT_PARENT = 1 << 5,
    SEQ__A_EXIT_ALL = 1 << 6,
    SEQ__A_RETRY = 1 << 7,
    SEQ__A_RETRY_ALL = 1 << 8,
    SEQ__A_CONTINUE = 1 << 9,
    SEQ__A_PREVIOUS = 1 << 10,
    /* rollup actions */
    SEQ__A_SATISFIED = 1 << 11,
    SEQ__A_NOT_SATISFIED = 1 << 12,
    SEQ__A_COMPLETED = 1 << 13,
    SEQ__A_INCOMPLETE = 1 << 14,
};

enum seq__cond {
    SEQ__C_ALWAYS,
    SEQ__C_SATISFIED,
    SEQ__C_OBJ_STATUS_KNOWN,
    SEQ__C_OBJ_MEASURE_KNOWN,
    SEQ__C_MEASURE_GT,
    SEQ__C_MEASURE_LT,
    SEQ__C_COMPLETED,
    SEQ__C_PROGRESS_KNOWN,
    SEQ__C_ATTEMPTED,
    SEQ__C_ATTEMPT_LIMIT_EXCEEDED,
    SEQ__C_TIME_LIMIT_EXCEEDED,
    SEQ__C_OUTSIDE_TIME_RANGE,
    SEQ__C_UNKNOWN_NAME, /* evaluates to unknown */
};

struct seq__condition {
    enum seq__cond cond;
    int negate;
    int objective; /* index into act->objs, -1 = primary */
    double threshold;
};

enum seq__set { SEQ__SET_ALL, SEQ__SET_ANY, SEQ__SET_NONE, SEQ__SET_COUNT, SEQ__SET_PERCENT };

struct seq__rule {
    int any; /* conditionCombination any (else all) */
    struct seq__condition *conds;
    size_t n_conds;
    unsigned action;
    /* rollup rules */
    enum seq__set set;
    double min_count, min_percent;
};

/* rollup considerations (adlseq 4th ed.) */
enum seq__req {
    SEQ__REQ_ALWAYS,
    SEQ__REQ_IF_ATTEMPTED,
    SEQ__REQ_IF_NOT_SKIPPED,
    SEQ__REQ_IF_NOT_SUSPENDED
};

struct seq__map {
    char *target;
    unsigned char read_sat, read_measure, write_sat, write_measure;
    /* adlseq:objectives mapInfo (CAM 4th 5.1.10) */
    unsigned char read_raw, read_min, read_max, read_completion, read_progress;
    unsigned char write_raw, write_min, write_max, write_completion, write_progress;
};

/* one global objective (shared through mapInfo) */
struct seq__global {
    char *id;
    int sat_known, satisfied, measure_known;
    double measure;
    int completion_known, completed, progress_known;
    double progress;
    int raw_known, min_known, max_known;
    double raw, min, max;
    int dirty;
};

struct seq__obj {
    char *id; /* "" for a primary objective without objectiveID */
    int primary;
    int satisfied_by_measure;
    double min_measure;
    struct seq__map *maps;
    size_t n_maps;
    /* tracking (SN 4.2.1.x objective progress information) */
    int progress_status, satisfied_status, measure_status;
    double measure;
    int completion_known, completed; /* 4th ed. objective completion (non-primary objectives) */
};

struct seq__act {
    char *id, *title;
    int visible;
    int index, depth;
    struct seq__act *parent;
    struct seq__act **kids; /* all children, manifest order */
    size_t n_kids;
    struct seq__act **avail; /* available children (after SR.1/SR.2) */
    size_t n_avail;
    int launchable;

    /* sequencing definition model */
    int choice, choice_exit, flow, forward_only, use_cur_obj, use_cur_prog;
    struct seq__rule *pre, *exit_rules, *post, *rollup;
    size_t n_pre, n_exit, n_post, n_rollup;
    int attempt_limit; /* 0: none */
    /* IMS SS 5.1.2 limit conditions; durations in seconds, < 0: no limit (control false) */
    double attempt_abs_dur_limit, attempt_exp_dur_limit;
    double activity_abs_dur_limit, activity_exp_dur_limit;
    long long begin_time_us, end_time_us; /* beginTimeLimit / endTimeLimit, 0: none */
    int rollup_satisfied, rollup_progress;
    double measure_weight;
    enum seq__req req_sat, req_not_sat, req_comp, req_incomp;
    int measure_sat_if_active;
    struct seq__obj *objs; /* objs[0] is the primary (rolled-up) objective */
    size_t n_objs;
    int tracked, completion_by_content, objective_by_content;
    int prevent_activation, constrain_choice;
    int completed_by_measure;
    double min_progress, progress_weight;
    int sel_timing, rnd_timing; /* 0 never, 1 once, 2 onEachNewAttempt */
    int select_count;           /* -1: none */
    int reorder;

    /* tracking state (SN 4.2) */
    int active, suspended;
    int attempt_count;
    int activity_progress_status;
    int attempt_progress_status, attempt_completion_status;
    int completion_amount_status;
    double completion_amount;
    double attempt_duration, activity_duration; /* seconds experienced (SCO session times) */
    /* wall clock (us since the epoch) for the absolute durations (SN 4th 4.2.1.2/4.2.1.3):
     * start of the first attempt, start and end of the current/last attempt (0: none) */
    long long activity_start_us, attempt_start_us, attempt_end_us;
    int selected, randomized;
    int parent_attempt; /* the parent's attempt count when this attempt began */
    int reported_completion, reported_success; /* the SCO set the value, even "unknown" */
};

struct seq_tree {
    struct seq__act *root;
    struct seq__act **acts; /* preorder */
    size_t n_acts;
    struct seq__global *globals;
    size_t n_globals;
    int objectives_global_to_system;
    struct seq__act *current, *suspended;
    int ended;
    uint64_t rng;         /* splitmix64 state (SR.1, SR.2) */
    int no_global_writes; /* set while rolling up clusters not attempted yet */
    long long clock_us;   /* seq_tree_set_clock: fixed "now", 0: wall clock */
};

/* seq_tree.c */
int seq__id_equal(const char *a, const char *b);
struct seq__act *seq__act_find(const struct seq_tree *t, const char *id);
int seq__is_leaf(const struct seq__act *a);
int seq__is_avail(const struct seq__act *a);
int seq__avail_index(const struct seq__act *a);
struct seq__act *seq__common_ancestor(struct seq__act *a, struct seq__act *b);
int seq__is_ancestor(const struct seq__act *anc, const struct seq__act *a);
uint64_t seq__rand(struct seq_tree *t);
/* a registration's first request (no saved state): mix its id into the seed and redo the
 * "once" selection and randomization (seq_state_load) */
void seq__tree_seed_registration(struct seq_tree *t, const char *registration);

/* seq_obj.c: objective reads go through read maps, writes through write maps */
int seq__obj_progress(const struct seq_tree *t, const struct seq__act *a, const struct seq__obj *o);
int seq__obj_satisfied(const struct seq_tree *t, const struct seq__act *a,
                       const struct seq__obj *o);
int seq__obj_measure_status(const struct seq_tree *t, const struct seq__act *a,
                            const struct seq__obj *o);
double seq__obj_measure(const struct seq_tree *t, const struct seq__act *a,
                        const struct seq__obj *o);
void seq__obj_set_satisfied(struct seq_tree *t, struct seq__act *a, struct seq__obj *o, int known,
                            int satisfied);
void seq__obj_set_measure(struct seq_tree *t, struct seq__act *a, struct seq__obj *o, int known,
                          double measure);
/* 1 when the value is read from a global objective (useCurrentAttempt*Info, seq_rollup.c) */
int seq__obj_sat_global(const struct seq_tree *t, const struct seq__act *a,
                        const struct seq__obj *o);
int seq__obj_measure_global(const struct seq_tree *t, const struct seq__act *a,
                            const struct seq__obj *o);
int seq__act_completion_global(const struct seq_tree *t, const struct seq__act *a);
int seq__act_amount_global(const struct seq_tree *t, const struct seq__act *a);
/* attempt completion through the primary objective's adlseq maps */
int seq__act_amount_known(const struct seq_tree *t, const struct seq__act *a);
double seq__act_amount(const struct seq_tree *t, const struct seq__act *a);
int seq__act_progress_known(const struct seq_tree *t, const struct seq__act *a);
int seq__act_completed(const struct seq_tree *t, const struct seq__act *a);
void seq__act_set_completion(struct seq_tree *t, struct seq__act *a, int known, int completed);
void seq__act_set_amount(struct seq_tree *t, struct seq__act *a, int known, double amount);
struct seq__global *seq__global_get(struct seq_tree *t, const char *id, int create);
void seq__obj_reset_attempt(struct seq__act *a);
int seq__obj_completion_known(const struct seq_tree *t, const struct seq__obj *o);
int seq__obj_completed(const struct seq_tree *t, const struct seq__obj *o);
void seq__obj_set_completion(struct seq_tree *t, struct seq__obj *o, int known, int completed);

/* seq_rules.c */
long long seq__now(const struct seq_tree *t); /* "now" in us since the epoch */
int seq__limit_check(const struct seq_tree *t, const struct seq__act *a); /* UP.1 */
unsigned seq__rules_check(const struct seq_tree *t, const struct seq__act *a,
                          const struct seq__rule *rules, size_t n, unsigned mask); /* UP.2 */
int seq__check_activity(const struct seq_tree *t, const struct seq__act *a);       /* UP.5 */
/* three-valued: 1 true, 0 false, -1 unknown */
int seq__cond_eval(const struct seq_tree *t, const struct seq__act *a,
                   const struct seq__condition *c, int rollup);

/* seq_rollup.c */
void seq__rollup_overall(struct seq_tree *t, struct seq__act *a); /* RB.1.5 */
void seq__rollup_all(struct seq_tree *t);

/* seq_term.c */
void seq__end_attempt(struct seq_tree *t, struct seq__act *a);           /* UP.4 */
void seq__terminate_descendents(struct seq_tree *t, struct seq__act *a); /* UP.3 */

/* seq_select.c */
void seq__select_children(struct seq_tree *t, struct seq__act *a);    /* SR.1 */
void seq__randomize_children(struct seq_tree *t, struct seq__act *a); /* SR.2 */

/* sequencing request kinds */
enum seq__sreq {
    SEQ__S_NONE,
    SEQ__S_START,
    SEQ__S_RESUME_ALL,
    SEQ__S_CONTINUE,
    SEQ__S_PREVIOUS,
    SEQ__S_CHOICE,
    SEQ__S_JUMP,
    SEQ__S_RETRY,
    SEQ__S_EXIT,
};
enum seq__treq {
    SEQ__T_NONE,
    SEQ__T_EXIT,
    SEQ__T_EXIT_ALL,
    SEQ__T_SUSPEND_ALL,
    SEQ__T_ABANDON,
    SEQ__T_ABANDON_ALL,
};

/* one step's outcome: exception code ("" when valid) */
struct seq__out {
    char exc[16];
    int end_session;
    struct seq__act *deliver;
};
void seq__exc(struct seq__out *o, const char *code);

/* seq_nav.c */
int seq__nav_request(struct seq_tree *t, enum seq_nav nav, struct seq__act *target,
                     enum seq__treq *treq, enum seq__sreq *sreq, struct seq__out *o); /* NB.2.1 */
/* seq_term.c */
int seq__termination_request(struct seq_tree *t, enum seq__treq treq, enum seq__sreq *sreq,
                             struct seq__out *o); /* TB.2.3 */
/* seq_seq.c */
int seq__sequencing_request(struct seq_tree *t, enum seq__sreq sreq, struct seq__act *target,
                            struct seq__out *o);                                       /* SB.2.12 */
int seq__delivery_request(struct seq_tree *t, struct seq__act *a, struct seq__out *o); /* DB.1.1 */
void seq__content_delivery(struct seq_tree *t, struct seq__act *a);                    /* DB.2 */

/* seq_state.c */
int seq__state_snapshot(const struct seq_tree *t, cJSON **out);
void seq__state_restore(struct seq_tree *t, const cJSON *snap);

#endif
