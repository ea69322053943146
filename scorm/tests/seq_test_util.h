/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of the sequencing engine's tests (test_seq_process.c, test_seq_golf.c): small
 * activity trees in the JSON shape of scorm_manifest_parse, a navigation and a report in one
 * call, the state and table of contents as text, and the corpus check.
 */
#ifndef SEQ_TEST_UTIL_H
#define SEQ_TEST_UTIL_H
#include <dirent.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/scorm.h"
#include "scorm/seq.h"
#include "statements/stmt_db.h"

/* a manifest with one organization: flow at the root unless `root_seq` says otherwise;
 * seed 0 takes a random seed (seq_opts) */
static inline struct seq_tree *tree_new_seed(const char *org_attrs, const char *root_seq,
                                             const char *items, uint64_t seed)
{
    char buf[8192];
    cJSON *m;
    struct seq_tree *t = NULL;
    struct seq_opts o = {NULL, seed};
    snprintf(buf, sizeof buf,
             "{\"default_organization\":\"org\",\"organizations\":[{%s\"identifier\":\"org\","
             "\"title\":\"Org\",\"sequencing\":%s,\"items\":[%s]}]}",
             org_attrs ? org_attrs : "",
             root_seq ? root_seq : "{\"controlMode\":{\"flow\":true,\"choice\":true}}", items);
    m = cJSON_Parse(buf);
    if (!m)
        return NULL;
    if (seq_tree_create(m, &o, &t, NULL) != SEQ_OK)
        t = NULL;
    cJSON_Delete(m);
    return t;
}

static inline struct seq_tree *tree_new_org(const char *org_attrs, const char *root_seq,
                                            const char *items)
{
    return tree_new_seed(org_attrs, root_seq, items, 42);
}

static inline struct seq_tree *tree_new(const char *root_seq, const char *items)
{
    return tree_new_org(NULL, root_seq, items);
}

#define LEAF(id) "{\"identifier\":\"" id "\",\"title\":\"" id "\",\"launch\":\"x.html\"}"
#define LEAFS(id, seq)                                                                             \
    "{\"identifier\":\"" id "\",\"title\":\"" id "\",\"launch\":\"x.html\",\"sequencing\":" seq "}"

static inline const char *nav(struct seq_tree *t, enum seq_nav n, const char *target,
                              struct seq_result *r)
{
    seq_tree_navigate(t, n, target, r);
    return r->deliver ? r->deliver : "";
}

static inline void report(struct seq_tree *t, enum seq_status completion, enum seq_status success)
{
    struct seq_cmi c;
    memset(&c, 0, sizeof c);
    c.primary.completion = completion;
    c.primary.success = success;
    seq_tree_report(t, &c);
}

static inline char *state_text(const struct seq_tree *t)
{
    cJSON *s = NULL;
    char *txt;
    if (seq_state_to_json(t, &s) != SEQ_OK)
        return NULL;
    txt = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    return txt;
}

static inline const char *toc_field(struct seq_tree *t, const char *item, const char *field,
                                    char *buf, size_t len)
{
    cJSON *toc = NULL, *e;
    buf[0] = '\0';
    if (seq_tree_toc(t, &toc) != SEQ_OK)
        return buf;
    cJSON_ArrayForEach(e, toc)
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "item")), item) == 0) {
            cJSON *v = cJSON_GetObjectItem(e, field);
            snprintf(buf, len, "%s",
                     cJSON_IsString(v) ? v->valuestring
                     : cJSON_IsTrue(v) ? "true"
                                       : "false");
        }
    }
    cJSON_Delete(toc);
    return buf;
}

/* 1 when the third-party corpus (SHARED_DIR/scorm-packages) is present; else a skipped test
 * (a failure when CI=true: issue 18) */
static inline int corpus(const char *what)
{
    char dir[1024];
    struct stat st;
    const char *shared = getenv("SHARED_DIR"), *ci = getenv("CI");
    snprintf(dir, sizeof dir, "%s/scorm-packages", shared ? shared : "../../shared");
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    if (ci && !strcmp(ci, "true"))
        ok(0, "%s: the corpus %s is required when CI=true", what, dir);
    else
        ok(1, "# SKIP %s: needs the third-party SCORM corpus %s", what, dir);
    return 0;
}

#endif
