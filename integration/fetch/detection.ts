/**
 * fetch-incidents through the Sigma rules (issue #20): which rules a fetch uses (`fetch_rules`, or
 * the shipped default rules), the System Log filter they need, what an event makes (one incident
 * naming every rule it matched, and one per correlation window it completed), and the correlation
 * windows packed into lastRun beside the cursor.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { redactString } from '../base/redact.js';
import type { LogEvent } from '../okta/logs.js';
import { eventId, type Incident } from './incidents.js';
import { defaultRules, defaultRulesDir, eventIncident, loadRules, parseRulePaths, windowIncident, eventIncidentName, type DetectionRule, type IncidentLabel, type IncidentRule, type RuleSet, type WindowState, type WindowStateJSON } from './rules/index.js';
import { ruleFiles } from './rules/load.js';
import type { RuleProblem } from './rules/types.js';

/** The rules a fetch runs: where they came from, and the set. */
export interface FetchRules {
  ruleSet: RuleSet;
  /** `fetch_rules` as given (paths), or the default rules' folder. */
  paths: string[];
  /** True when `fetch_rules` is unset: the rules shipped in the package. */
  isDefault: boolean;
  /** How an incident names a rule's file: as given, or (default rules) inside the package (`rules/okta/…`). */
  shownFile: (file: string) => string;
}

/** A default rule's file as the package has it (`rules/okta/x.yml`), not where it is installed. */
function packagePath(file: string): string {
  const root = path.dirname(path.dirname(defaultRulesDir()));
  return path.relative(root, file).split(path.sep).join('/');
}

interface Cached {
  signature: string;
  rules: FetchRules;
}

/** Loaded sets by `fetch_rules` text, each checked against its files' sizes and times before reuse. */
const cache = new Map<string, Cached>();
const CACHE_MAX = 32;

/** The files under `paths` with their size and change time: a changed file is read again. */
function signatureOf(paths: readonly string[]): string {
  const problems: RuleProblem[] = [];
  const files = ruleFiles(paths, problems);
  const parts = files.map((f) => {
    try {
      const st = statSync(f);
      return `${f}\t${st.size}\t${st.mtimeMs}`;
    } catch {
      return `${f}\t-`;
    }
  });
  return [...parts, ...problems.map((p) => `!${p.file}`)].join('\n');
}

/**
 * The rules of `fetch_rules` (files or folders, separated by commas or new lines), or the default
 * rules when it is unset. Throws RuleLoadError (a ConfigError naming `fetch_rules`, every file,
 * rule and construct) when any rule cannot be evaluated: fetch never runs with part of its rules.
 * A set is loaded once and read again only when one of its files changes (--follow, serve).
 */
export function fetchRules(setting: unknown): FetchRules {
  const text = typeof setting === 'string' ? setting.trim() : '';
  if (!text) return { ruleSet: defaultRules(), paths: [defaultRulesDir()], isDefault: true, shownFile: packagePath };
  const paths = parseRulePaths(text);
  const signature = signatureOf(paths);
  const hit = cache.get(text);
  if (hit && hit.signature === signature) return hit.rules;
  const rules: FetchRules = { ruleSet: loadRules(paths, { parameter: 'fetch_rules' }), paths, isDefault: false, shownFile: (f) => f };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(text, { signature, rules });
  return rules;
}

/**
 * The System Log filter of a cycle: the rules' event types, narrowed by `fetch_query_filter` when
 * the user set one; null reads every event.
 */
export function combineFilters(rulesFilter: string | null, userFilter: string | undefined): string | null {
  if (!userFilter) return rulesFilter;
  if (!rulesFilter) return userFilter;
  return `(${rulesFilter}) and (${userFilter})`;
}

/** Most bytes of packed window state kept in lastRun; beyond it, counting starts afresh (and says so). */
export const MAX_WINDOWS_BYTES = 4 * 1024 * 1024;

/** Correlation windows as lastRun keeps them: gzipped JSON, base64. */
export function packWindows(json: WindowStateJSON): string {
  return gzipSync(Buffer.from(JSON.stringify(json), 'utf8'), { level: 6 }).toString('base64');
}

/** The windows' JSON from lastRun, or undefined (with a note) when it is not ours. */
export function unpackWindows(packed: unknown): { json?: unknown; note?: string } {
  if (packed === undefined || packed === null) return {};
  if (typeof packed !== 'string' || packed.length > MAX_WINDOWS_BYTES * 2) return { note: 'the stored correlation windows are not readable; counting starts afresh' };
  try {
    return { json: JSON.parse(gunzipSync(Buffer.from(packed, 'base64'), { maxOutputLength: 64 * MAX_WINDOWS_BYTES }).toString('utf8')) as unknown };
  } catch {
    return { note: 'the stored correlation windows are not readable; counting starts afresh' };
  }
}

export interface RuleIncidentOptions {
  incidentType?: string;
  /** How a rule's file is named in the incident. */
  shownFile?: (file: string) => string;
  /** severity_map: an event type's severity, over the rules' level (event incidents only). */
  severityMap: Map<string, number>;
}

/**
 * The incidents one event makes: one for the event when standalone rules match it (named after
 * the most severe, naming them all), then one per correlation window it completed. `state` is
 * updated with the event.
 */
export function evaluateEvent(ruleSet: RuleSet, ev: LogEvent, state: WindowState, opts: RuleIncidentOptions): Incident[] {
  const event = ev as unknown as Readonly<Record<string, unknown>>;
  const { matches, windows } = ruleSet.evaluate(event, state);
  const out: Incident[] = [];
  if (matches.length) {
    const fixed = sameRules(ruleSet, matches, opts);
    const raw = JSON.stringify(ev);
    const inc: Incident = {
      name: redactString(eventIncidentName(event, matches)),
      occurred: typeof ev.published === 'string' ? ev.published : '',
      severity: opts.severityMap.get(ev.eventType) ?? fixed.severity,
      rawJSON: redactString(raw),
      dbotMirrorId: eventId(ev, raw),
      rules: fixed.rules,
      labels: fixed.labels,
      details: fixed.details,
    };
    if (opts.incidentType) inc.type = opts.incidentType;
    out.push(inc);
  }
  for (const w of windows) {
    const f = windowIncident(w);
    const inc: Incident = {
      name: redactString(f.name),
      occurred: f.occurred,
      severity: f.severity,
      rawJSON: redactString(JSON.stringify(f.document)),
      dbotMirrorId: f.dbotMirrorId,
      rules: shown(f.rules, opts),
      labels: f.labels,
      details: redactString(f.details),
    };
    if (opts.incidentType) inc.type = opts.incidentType;
    out.push(inc);
  }
  return out;
}

interface RuleFields {
  severity: number;
  rules: IncidentRule[];
  labels: IncidentLabel[];
  details: string;
}

/** Per rule set and file naming: what incidents of the same matched rules share, made once (most events match one rule or two). */
const byMatches = new WeakMap<RuleSet, Map<RuleIncidentOptions['shownFile'], Map<string, RuleFields>>>();
const BY_MATCHES_MAX = 4096;

function sameRules(ruleSet: RuleSet, matches: readonly DetectionRule[], opts: RuleIncidentOptions): RuleFields {
  let perSet = byMatches.get(ruleSet);
  if (!perSet) byMatches.set(ruleSet, (perSet = new Map()));
  let cache = perSet.get(opts.shownFile);
  if (!cache) perSet.set(opts.shownFile, (cache = new Map()));
  const key = matches.length === 1 ? matches[0]!.id : matches.map((m) => m.id).join('\n');
  let f = cache.get(key);
  if (!f) {
    const all = eventIncident({}, matches)!;
    // Shared by every incident of these rules: frozen, so changing one cannot change the others.
    f = { severity: all.severity, rules: deepFreeze(shown(all.rules, opts)), labels: deepFreeze(all.labels), details: redactString(all.details) };
    if (cache.size >= BY_MATCHES_MAX) cache.clear();
    cache.set(key, f);
  }
  return f;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function shown(rules: IncidentRule[], opts: RuleIncidentOptions): IncidentRule[] {
  const f = opts.shownFile;
  return f ? rules.map((r) => ({ ...r, file: f(r.file) })) : rules;
}

/** The most incidents one event can make: its own, and one per correlation rule. */
export function maxIncidentsPerEvent(ruleSet: RuleSet): number {
  return 1 + ruleSet.correlations.length;
}
