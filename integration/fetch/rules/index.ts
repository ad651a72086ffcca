/**
 * The Sigma rule engine for fetch-incidents (issue #20): Sigma rules for Okta's System Log,
 * loaded from files and folders, evaluated on each event, with correlation windows that live in
 * fetch's lastRun.
 *
 *   const rules = loadRules(['rules/'])            // or defaultRules(); throws RuleLoadError
 *   rules.logFilter()                              // the System Log filter, or null: every event
 *   const { state } = rules.restoreState(lastRun.windows)
 *   const { matches, windows } = rules.evaluate(event, state)
 *   eventIncident(event, matches)                  // name, severity, rules … or null
 *   windows.map(windowIncident)                    // one incident per correlation window
 *   lastRun.windows = rules.saveState(state)
 */
export { loadRules, parseRules, parseRuleText, parseRulePaths, MAX_RULE_FILE_BYTES, type ParsedRules, type LoadOptions } from './load.js';
export { RuleSet, eventKey } from './rule-set.js';
export { WindowState, ALLOWED_LATENESS_MS, MAX_GROUPS, MAX_ENTRIES, MAX_WINDOW_EVENTS, type WindowStateJSON } from './correlation.js';
export { defaultRules, defaultRulesDir } from './default-rules.js';
export { eventIncident, eventIncidentName, windowIncident, subjectOf, type RuleIncidentFields, type WindowIncidentFields, type CorrelationDocument, type IncidentRule, type IncidentLabel } from './incident.js';
export { RuleLoadError, describeProblem } from './rule-error.js';
export * from './types.js';
