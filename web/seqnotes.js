// SPDX-License-Identifier: Apache-2.0
// Short notes in words on an activity's SCORM 2004 sequencing (the manifest's imsss:sequencing
// as scorm/scorm_manifest_seq.c stores it) and 1.2 item settings, for the course structure.

function cond(c) {
  const not = c.operator === 'not' ? 'not ' : '';
  const names = {
    satisfied: 'satisfied', objectiveStatusKnown: 'status known', objectiveMeasureKnown: 'score known',
    objectiveMeasureGreaterThan: `score > ${c.measureThreshold ?? '?'}`,
    objectiveMeasureLessThan: `score < ${c.measureThreshold ?? '?'}`, completed: 'completed',
    activityProgressKnown: 'progress known', attempted: 'attempted', attemptLimitExceeded: 'attempt limit reached',
    timeLimitExceeded: 'time limit reached', outsideAvailableTimeRange: 'outside its time window', always: 'always',
  };
  const negated = { satisfied: 'not satisfied', objectiveStatusKnown: 'status unknown', objectiveMeasureKnown: 'score unknown',
    completed: 'not completed', activityProgressKnown: 'progress unknown', attempted: 'not attempted' };
  if (c.condition === 'always') return 'always';
  if (not && negated[c.condition]) return negated[c.condition] + (c.referencedObjective ? ` (objective ${c.referencedObjective})` : '');
  const what = names[c.condition] || c.condition;
  const obj = c.referencedObjective ? ` (objective ${c.referencedObjective})` : '';
  return `${not}${what}${obj}`;
}

function rule(r) {
  const list = (r.conditions || []).map(cond);
  const joined = list.join(r.conditionCombination === 'any' ? ' or ' : ' and ');
  return joined === 'always' ? '' : ` when ${joined || 'no condition'}`;
}

const ACTIONS = {
  skip: 'skipped', disabled: 'disabled', hiddenFromChoice: 'hidden from the menu', stopForwardTraversal: 'stops moving forward',
  exitParent: 'exits its parent', exitAll: 'ends the course', retry: 'retried', retryAll: 'whole course retried',
  continue: 'continues', previous: 'goes back', exit: 'exits',
};

export function seqNotes(item) {
  const notes = [];
  if (item.isvisible === false) notes.push('hidden from the menu');
  if (Number.isFinite(item.masteryscore)) notes.push(`passing score ${item.masteryscore}`);
  if (item.prerequisites && item.prerequisites.value) notes.push(`prerequisites: ${item.prerequisites.value}`);
  if (item.completionThreshold) {
    const t = item.completionThreshold;
    if (t.completedByMeasure || Number.isFinite(t.value)) notes.push(`completed at progress ${t.minProgressMeasure ?? t.value}`);
  }
  const s = item.sequencing;
  if (!s) return notes;
  const cm = s.controlMode;
  if (cm) {
    if (cm.choice === false) notes.push('learners cannot pick its parts from the menu');
    if (cm.flow === true) notes.push('Previous/Next navigation');
    if (cm.forwardOnly === true) notes.push('forward only');
    if (cm.choiceExit === false) notes.push('cannot leave it from the menu');
  }
  const sr = s.sequencingRules || {};
  for (const r of sr.preConditionRules || []) notes.push(`${ACTIONS[r.action] || r.action}${rule(r)}`);
  for (const r of sr.exitConditionRules || []) notes.push(`exits${rule(r)}`);
  for (const r of sr.postConditionRules || []) notes.push(`afterwards ${ACTIONS[r.action] || r.action}${rule(r)}`);
  const lc = s.limitConditions;
  if (lc && Number.isFinite(lc.attemptLimit) && lc.attemptLimit > 0) notes.push(`at most ${lc.attemptLimit} attempt${lc.attemptLimit === 1 ? '' : 's'}`);
  const rc = s.randomizationControls;
  if (rc) {
    if (rc.reorderChildren) notes.push('parts in random order');
    if (Number.isFinite(rc.selectCount)) notes.push(`picks ${rc.selectCount} of its parts`);
  }
  const dc = s.deliveryControls;
  if (dc && dc.tracked === false) notes.push('not tracked');
  const rr = s.rollupRules;
  if (rr) {
    if (rr.rollupObjectiveSatisfied === false) notes.push('does not count toward passing');
    if (rr.rollupProgressCompletion === false) notes.push('does not count toward completion');
    for (const r of rr.rules || []) {
      notes.push(`rollup: ${r.action || '?'} when ${r.childActivitySet || 'all'} children ${(r.conditions || []).map(cond).join(r.conditionCombination === 'any' ? ' or ' : ' and ')}`);
    }
  }
  const ob = s.objectives;
  if (ob) {
    const all = [ob.primary, ...(ob.objectives || [])].filter(Boolean);
    const shared = all.filter((o) => (o.mapInfo || []).length).length;
    if (ob.primary && ob.primary.satisfiedByMeasure) notes.push(`passed at score ${ob.primary.minNormalizedMeasure}`);
    if (shared) notes.push(`${shared} objective${shared === 1 ? '' : 's'} shared with other activities`);
  }
  if (s.IDRef) notes.push(`uses shared rules “${s.IDRef}”`);
  return notes;
}
