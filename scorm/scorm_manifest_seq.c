/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imsss:sequencing -> JSON for the sequencing engine (IMS Simple Sequencing 1.0 information
 * model as profiled by SCORM 2004 CAM 5.1, with the ADL extensions adlseq_v1p3: constrained
 * choice, rollup considerations and the 4th edition adlseq:objectives mapInfo).
 *
 * For every element present, every attribute is emitted with the schema default filled in
 * (imsss_v1p0*.xsd, adlseq_v1p3.xsd), so the engine never needs the schema; elements that are
 * absent stay absent (the engine applies the defaults of SN Table 3.1a). Collections
 * (imsss:sequencingCollection) are merged through IDRef: the referenced sequencing is the
 * base and the item's own child elements replace the same children (CAM 4th 5.1.5, as the ADL
 * sample RTE's ADLSequencerBuilder does).
 */
#include "scorm/scorm_int.h"

#include <math.h>
#include <string.h>

#include "common/sc_alloc.h"
#include "common/sc_json.h"

#define NAN_DEF (nan(""))

static int is_ss(const xmlNode *n, const char *name)
{
    return scorm__xml_is(n, SCORM__NS_IMSSS, name);
}

static int is_seq(const xmlNode *n, const char *name)
{
    return scorm__xml_is(n, SCORM__NS_ADLSEQ, name);
}

static cJSON *add_arr(cJSON *o, const char *key)
{
    cJSON *a = cJSON_GetObjectItem(o, key);
    return a ? a : cJSON_AddArrayToObject(o, key);
}

/* imsss:ruleConditions / rollupConditions with their conditions */
static int parse_conditions(struct scorm__mctx *c, const xmlNode *n, cJSON *rule, int rollup)
{
    cJSON *conds;
    scorm__attr_str(rule, n, NULL, "conditionCombination", rollup ? "any" : "all");
    conds = cJSON_AddArrayToObject(rule, "conditions");
    if (!conds)
        return SCORM_ERR_NOMEM;
    for (const xmlNode *k = n->children; k; k = k->next) {
        if (!is_ss(k, rollup ? "rollupCondition" : "ruleCondition"))
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return SCORM_ERR_NOMEM;
        cJSON_AddItemToArray(conds, o);
        xmlChar *cond = scorm__xml_attr(k, NULL, "condition");
        if (!cond) {
            scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(k), "imsmanifest.xml",
                            "<%s> has no condition attribute (IMS SS 5.2.3, required)",
                            (const char *)k->name);
            return SCORM_ERR_MANIFEST;
        }
        cJSON_AddStringToObject(o, "condition", (const char *)cond);
        xmlFree(cond);
        scorm__attr_str(o, k, NULL, "operator", "noOp");
        if (!rollup) {
            scorm__attr_str(o, k, NULL, "referencedObjective", NULL);
            scorm__attr_num(c, o, k, NULL, "measureThreshold", NAN_DEF);
        }
    }
    return SCORM_OK;
}

static int parse_action(struct scorm__mctx *c, const xmlNode *n, cJSON *rule)
{
    xmlChar *a = scorm__xml_attr(n, NULL, "action");
    if (!a) {
        scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(n), "imsmanifest.xml",
                        "<%s> has no action attribute (IMS SS 5.2.4, required)",
                        (const char *)n->name);
        return SCORM_ERR_MANIFEST;
    }
    cJSON_AddStringToObject(rule, "action", (const char *)a);
    xmlFree(a);
    return SCORM_OK;
}

static int parse_rules(struct scorm__mctx *c, const xmlNode *n, cJSON *seq)
{
    cJSON *o = cJSON_AddObjectToObject(seq, "sequencingRules");
    static const char *const kinds[3][2] = {{"preConditionRule", "preConditionRules"},
                                            {"exitConditionRule", "exitConditionRules"},
                                            {"postConditionRule", "postConditionRules"}};
    int rc;
    if (!o)
        return SCORM_ERR_NOMEM;
    for (int i = 0; i < 3; i++)
        if (!cJSON_AddArrayToObject(o, kinds[i][1]))
            return SCORM_ERR_NOMEM;
    for (const xmlNode *k = n->children; k; k = k->next) {
        for (int i = 0; i < 3; i++) {
            if (!is_ss(k, kinds[i][0]))
                continue;
            cJSON *rule = cJSON_CreateObject();
            if (!rule)
                return SCORM_ERR_NOMEM;
            cJSON_AddItemToArray(cJSON_GetObjectItem(o, kinds[i][1]), rule);
            int have_action = 0;
            for (const xmlNode *r = k->children; r; r = r->next) {
                if (is_ss(r, "ruleConditions")) {
                    if ((rc = parse_conditions(c, r, rule, 0)) != 0)
                        return rc;
                } else if (is_ss(r, "ruleAction")) {
                    if ((rc = parse_action(c, r, rule)) != 0)
                        return rc;
                    have_action = 1;
                }
            }
            if (!have_action) {
                scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(k), "imsmanifest.xml",
                                "<%s> has no <ruleAction> (IMS SS 5.2.4, required)", kinds[i][0]);
                return SCORM_ERR_MANIFEST;
            }
            if (!cJSON_GetObjectItem(rule, "conditions")) {
                cJSON_AddStringToObject(rule, "conditionCombination", "all");
                cJSON_AddArrayToObject(rule, "conditions");
            }
        }
    }
    return SCORM_OK;
}

static int parse_rollup(struct scorm__mctx *c, const xmlNode *n, cJSON *seq)
{
    cJSON *o = cJSON_AddObjectToObject(seq, "rollupRules"), *rules;
    int rc;
    if (!o)
        return SCORM_ERR_NOMEM;
    scorm__attr_bool(c, o, n, NULL, "rollupObjectiveSatisfied", 1);
    scorm__attr_bool(c, o, n, NULL, "rollupProgressCompletion", 1);
    scorm__attr_num(c, o, n, NULL, "objectiveMeasureWeight", 1.0);
    rules = cJSON_AddArrayToObject(o, "rules");
    if (!rules)
        return SCORM_ERR_NOMEM;
    for (const xmlNode *k = n->children; k; k = k->next) {
        if (!is_ss(k, "rollupRule"))
            continue;
        cJSON *rule = cJSON_CreateObject();
        if (!rule)
            return SCORM_ERR_NOMEM;
        cJSON_AddItemToArray(rules, rule);
        scorm__attr_str(rule, k, NULL, "childActivitySet", "all");
        scorm__attr_num(c, rule, k, NULL, "minimumCount", 0);
        scorm__attr_num(c, rule, k, NULL, "minimumPercent", 0);
        int have_action = 0;
        for (const xmlNode *r = k->children; r; r = r->next) {
            if (is_ss(r, "rollupConditions")) {
                if ((rc = parse_conditions(c, r, rule, 1)) != 0)
                    return rc;
            } else if (is_ss(r, "rollupAction")) {
                if ((rc = parse_action(c, r, rule)) != 0)
                    return rc;
                have_action = 1;
            }
        }
        if (!have_action) {
            scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(k), "imsmanifest.xml",
                            "<rollupRule> has no <rollupAction> (IMS SS 5.3.4, required)");
            return SCORM_ERR_MANIFEST;
        }
    }
    return SCORM_OK;
}

static int parse_objective(struct scorm__mctx *c, const xmlNode *n, cJSON *obj, int primary)
{
    cJSON *maps;
    xmlChar *oid = scorm__xml_attr(n, NULL, "objectiveID");
    if (oid) {
        cJSON_AddStringToObject(obj, "objectiveID", (const char *)oid);
        xmlFree(oid);
    } else if (!primary) {
        scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(n), "imsmanifest.xml",
                        "<imsss:objective> has no objectiveID (IMS SS 5.4.1.1, required)");
        return SCORM_ERR_MANIFEST;
    }
    scorm__attr_bool(c, obj, n, NULL, "satisfiedByMeasure", 0);
    cJSON_AddNumberToObject(obj, "minNormalizedMeasure", 1.0);
    maps = cJSON_AddArrayToObject(obj, "mapInfo");
    if (!maps)
        return SCORM_ERR_NOMEM;
    for (const xmlNode *k = n->children; k; k = k->next) {
        if (is_ss(k, "minNormalizedMeasure")) {
            char *t = scorm__xml_text(k);
            char *end = NULL;
            double v = t ? strtod(t, &end) : NAN;
            if (t && end != t && *end == '\0' && isfinite(v))
                sc_json_set(obj, "minNormalizedMeasure", cJSON_CreateNumber(v));
            else
                scorm__warn(c->warnings,
                            "line %d: minNormalizedMeasure '%s' is not a decimal; 1.0 applies",
                            SCORM__LINE(k), t ? t : "");
            sc_free(t);
        } else if (is_ss(k, "mapInfo")) {
            cJSON *m = cJSON_CreateObject();
            xmlChar *tid;
            if (!m)
                return SCORM_ERR_NOMEM;
            cJSON_AddItemToArray(maps, m);
            tid = scorm__xml_attr(k, NULL, "targetObjectiveID");
            if (!tid) {
                scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(k), "imsmanifest.xml",
                                "<imsss:mapInfo> has no targetObjectiveID (IMS SS 5.4.1.4)");
                return SCORM_ERR_MANIFEST;
            }
            cJSON_AddStringToObject(m, "targetObjectiveID", (const char *)tid);
            xmlFree(tid);
            scorm__attr_bool(c, m, k, NULL, "readSatisfiedStatus", 1);
            scorm__attr_bool(c, m, k, NULL, "readNormalizedMeasure", 1);
            scorm__attr_bool(c, m, k, NULL, "writeSatisfiedStatus", 0);
            scorm__attr_bool(c, m, k, NULL, "writeNormalizedMeasure", 0);
        }
    }
    return SCORM_OK;
}

static int parse_objectives(struct scorm__mctx *c, const xmlNode *n, cJSON *seq)
{
    cJSON *o = cJSON_AddObjectToObject(seq, "objectives"), *list;
    int rc;
    if (!o)
        return SCORM_ERR_NOMEM;
    list = cJSON_AddArrayToObject(o, "objectives");
    if (!list)
        return SCORM_ERR_NOMEM;
    for (const xmlNode *k = n->children; k; k = k->next) {
        if (is_ss(k, "primaryObjective")) {
            cJSON *p = cJSON_AddObjectToObject(o, "primary");
            if (!p)
                return SCORM_ERR_NOMEM;
            if ((rc = parse_objective(c, k, p, 1)) != 0)
                return rc;
        } else if (is_ss(k, "objective")) {
            cJSON *p = cJSON_CreateObject();
            if (!p)
                return SCORM_ERR_NOMEM;
            cJSON_AddItemToArray(list, p);
            if ((rc = parse_objective(c, k, p, 0)) != 0)
                return rc;
        }
    }
    return SCORM_OK;
}

/* adlseq:objectives (SCORM 2004 4th CAM 5.1.10): extended mapInfo per objective */
static int parse_adlseq_objectives(struct scorm__mctx *c, const xmlNode *n, cJSON *seq)
{
    static const char *const rd[] = {"readRawScore", "readMinScore", "readMaxScore",
                                     "readCompletionStatus", "readProgressMeasure"};
    static const char *const wr[] = {"writeRawScore", "writeMinScore", "writeMaxScore",
                                     "writeCompletionStatus", "writeProgressMeasure"};
    cJSON *list = add_arr(seq, "adlseqObjectives");
    if (!list)
        return SCORM_ERR_NOMEM;
    for (const xmlNode *k = n->children; k; k = k->next) {
        if (!is_seq(k, "objective"))
            continue;
        cJSON *o = cJSON_CreateObject(), *maps;
        if (!o)
            return SCORM_ERR_NOMEM;
        cJSON_AddItemToArray(list, o);
        xmlChar *oid = scorm__xml_attr(k, NULL, "objectiveID");
        if (!oid) {
            scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(k), "imsmanifest.xml",
                            "<adlseq:objective> has no objectiveID (CAM 4th 5.1.10, required)");
            return SCORM_ERR_MANIFEST;
        }
        cJSON_AddStringToObject(o, "objectiveID", (const char *)oid);
        xmlFree(oid);
        maps = cJSON_AddArrayToObject(o, "mapInfo");
        if (!maps)
            return SCORM_ERR_NOMEM;
        for (const xmlNode *m = k->children; m; m = m->next) {
            if (!is_seq(m, "mapInfo"))
                continue;
            cJSON *mo = cJSON_CreateObject();
            if (!mo)
                return SCORM_ERR_NOMEM;
            cJSON_AddItemToArray(maps, mo);
            xmlChar *tid = scorm__xml_attr(m, NULL, "targetObjectiveID");
            if (!tid) {
                scorm__diag_set(c->diag, SCORM_ERR_MANIFEST, SCORM__LINE(m), "imsmanifest.xml",
                                "<adlseq:mapInfo> has no targetObjectiveID (CAM 4th 5.1.10)");
                return SCORM_ERR_MANIFEST;
            }
            cJSON_AddStringToObject(mo, "targetObjectiveID", (const char *)tid);
            xmlFree(tid);
            for (int i = 0; i < 5; i++)
                scorm__attr_bool(c, mo, m, NULL, rd[i], 1);
            for (int i = 0; i < 5; i++)
                scorm__attr_bool(c, mo, m, NULL, wr[i], 0);
        }
    }
    return SCORM_OK;
}

static int parse_limits(struct scorm__mctx *c, const xmlNode *n, cJSON *seq)
{
    cJSON *o = cJSON_AddObjectToObject(seq, "limitConditions");
    if (!o)
        return SCORM_ERR_NOMEM;
    scorm__attr_num(c, o, n, NULL, "attemptLimit", NAN_DEF);
    /* the duration limits are xs:duration strings, kept as written (IMS SS 5.1.2) */
    static const char *const durs[] = {"attemptAbsoluteDurationLimit",
                                       "attemptExperiencedDurationLimit",
                                       "activityAbsoluteDurationLimit",
                                       "activityExperiencedDurationLimit",
                                       "beginTimeLimit",
                                       "endTimeLimit"};
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++)
        scorm__attr_str(o, n, NULL, durs[i], NULL);
    return SCORM_OK;
}

int scorm__seq_parse(struct scorm__mctx *c, const xmlNode *seq, cJSON **out)
{
    int rc = SCORM_OK;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return SCORM_ERR_NOMEM;
    scorm__attr_str(o, seq, NULL, "ID", NULL);
    scorm__attr_str(o, seq, NULL, "IDRef", NULL);
    for (const xmlNode *k = seq->children; k && rc == SCORM_OK; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if ((rc = scorm__xml_visit(c, k)) != 0)
            break;
        if (is_ss(k, "controlMode")) {
            cJSON *m = cJSON_AddObjectToObject(o, "controlMode");
            if (!m) {
                rc = SCORM_ERR_NOMEM;
                break;
            }
            scorm__attr_bool(c, m, k, NULL, "choice", 1);
            scorm__attr_bool(c, m, k, NULL, "choiceExit", 1);
            scorm__attr_bool(c, m, k, NULL, "flow", 0);
            scorm__attr_bool(c, m, k, NULL, "forwardOnly", 0);
            scorm__attr_bool(c, m, k, NULL, "useCurrentAttemptObjectiveInfo", 1);
            scorm__attr_bool(c, m, k, NULL, "useCurrentAttemptProgressInfo", 1);
        } else if (is_ss(k, "sequencingRules")) {
            rc = parse_rules(c, k, o);
        } else if (is_ss(k, "limitConditions")) {
            rc = parse_limits(c, k, o);
        } else if (is_ss(k, "auxiliaryResources")) {
            cJSON *a = add_arr(o, "auxiliaryResources");
            if (!a) {
                rc = SCORM_ERR_NOMEM;
                break;
            }
            for (const xmlNode *r = k->children; r; r = r->next) {
                if (!is_ss(r, "auxiliaryResource"))
                    continue;
                cJSON *ro = cJSON_CreateObject();
                if (!ro) {
                    rc = SCORM_ERR_NOMEM;
                    break;
                }
                cJSON_AddItemToArray(a, ro);
                scorm__attr_str(ro, r, NULL, "auxiliaryResourceID", "");
                scorm__attr_str(ro, r, NULL, "purpose", "");
            }
        } else if (is_ss(k, "rollupRules")) {
            rc = parse_rollup(c, k, o);
        } else if (is_ss(k, "objectives")) {
            rc = parse_objectives(c, k, o);
        } else if (is_ss(k, "randomizationControls")) {
            cJSON *m = cJSON_AddObjectToObject(o, "randomizationControls");
            if (!m) {
                rc = SCORM_ERR_NOMEM;
                break;
            }
            scorm__attr_str(m, k, NULL, "randomizationTiming", "never");
            scorm__attr_num(c, m, k, NULL, "selectCount", NAN_DEF);
            scorm__attr_bool(c, m, k, NULL, "reorderChildren", 0);
            scorm__attr_str(m, k, NULL, "selectionTiming", "never");
        } else if (is_ss(k, "deliveryControls")) {
            cJSON *m = cJSON_AddObjectToObject(o, "deliveryControls");
            if (!m) {
                rc = SCORM_ERR_NOMEM;
                break;
            }
            scorm__attr_bool(c, m, k, NULL, "tracked", 1);
            scorm__attr_bool(c, m, k, NULL, "completionSetByContent", 0);
            scorm__attr_bool(c, m, k, NULL, "objectiveSetByContent", 0);
        } else if (is_seq(k, "constrainedChoiceConsiderations")) {
            cJSON *m = cJSON_AddObjectToObject(o, "constrainedChoiceConsiderations");
            if (!m) {
                rc = SCORM_ERR_NOMEM;
                break;
            }
            scorm__attr_bool(c, m, k, NULL, "preventActivation", 0);
            scorm__attr_bool(c, m, k, NULL, "constrainChoice", 0);
        } else if (is_seq(k, "rollupConsiderations")) {
            cJSON *m = cJSON_AddObjectToObject(o, "rollupConsiderations");
            if (!m) {
                rc = SCORM_ERR_NOMEM;
                break;
            }
            scorm__attr_str(m, k, NULL, "requiredForSatisfied", "always");
            scorm__attr_str(m, k, NULL, "requiredForNotSatisfied", "always");
            scorm__attr_str(m, k, NULL, "requiredForCompleted", "always");
            scorm__attr_str(m, k, NULL, "requiredForIncomplete", "always");
            scorm__attr_bool(c, m, k, NULL, "measureSatisfactionIfActive", 1);
        } else if (is_seq(k, "objectives")) {
            rc = parse_adlseq_objectives(c, k, o);
        }
    }
    if (rc != SCORM_OK) {
        cJSON_Delete(o);
        return rc;
    }
    *out = o;
    return SCORM_OK;
}

int scorm__seq_resolve(struct scorm__mctx *c, cJSON **seq, const char *where)
{
    const char *ref = cJSON_GetStringValue(cJSON_GetObjectItem(*seq, "IDRef"));
    cJSON *base, *merged, *k;
    if (!ref)
        return SCORM_OK;
    base = cJSON_GetObjectItemCaseSensitive(c->collection, ref);
    if (!base) {
        scorm__diag_set(c->diag, SCORM_ERR_RESOURCE_MISSING, 0, "imsmanifest.xml",
                        "%s: sequencing IDRef '%s' names no sequencing in the "
                        "sequencingCollection (CAM 4th 5.1.5)",
                        where, ref);
        return SCORM_ERR_RESOURCE_MISSING;
    }
    merged = cJSON_Duplicate(base, 1);
    if (!merged)
        return SCORM_ERR_NOMEM;
    cJSON_DeleteItemFromObject(merged, "ID");
    cJSON_DeleteItemFromObject(merged, "IDRef");
    while ((k = (*seq)->child) != NULL) {
        cJSON_DetachItemViaPointer(*seq, k);
        /* the item's own element replaces the collection's (delete, then move in) */
        cJSON_DeleteItemFromObjectCaseSensitive(merged, k->string);
        cJSON_AddItemToObject(merged, k->string, k);
    }
    cJSON_Delete(*seq);
    *seq = merged;
    return SCORM_OK;
}
