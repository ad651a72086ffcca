/**
 * Sigma correlation rules (event_count, value_count) evaluated on a stream of events, and the
 * window state that carries them from one fetch cycle to the next.
 *
 * Windows: for each group (the values of `group-by`), the events the referenced rules matched
 * are kept for `timespan`. When the events inside some span of `timespan` meet the condition
 * (event_count: that many events; value_count: that many distinct values of `field`), one window
 * fires: one incident carrying those events. The window then stays open until its first event +
 * `timespan`: events of the same group before that end add to nothing (no second incident for the
 * same burst); after it, counting starts afresh. Time is the events' `published`, so the result
 * does not depend on when a cycle runs; events Okta persists late (up to ALLOWED_LATENESS_MS
 * after later ones) still count in their window.
 *
 * The state is plain JSON (`toJSON`, `restoreState`): it belongs in fetch's lastRun, committed
 * with the cursor, so a restart neither loses a half-counted window nor fires one twice. Feeding
 * an event twice (a re-read page) counts it once. The state is bounded: entries are kept only as
 * long as a window could still use them, and per rule at most MAX_GROUPS groups (least recently
 * seen dropped first) of at most MAX_ENTRIES events.
 */
import { createHash } from 'node:crypto';
import { showValue } from '../../base/errors.js';
import { fieldPath, type EventView, type FieldPath } from './fields.js';
import { RuleSyntaxError } from './rule-error.js';
import type { CorrelationRule, CorrelationType, CorrelationWindow, EventSummary, OktaEvent } from './types.js';

/** How long after later events an event may arrive and still count (Okta persists some late). */
export const ALLOWED_LATENESS_MS = 15 * 60_000;
/** Groups kept per correlation rule. */
export const MAX_GROUPS = 1000;
/** Events kept per group. */
export const MAX_ENTRIES = 1000;
/** Event summaries carried by one window (the newest); every uuid is carried. */
export const MAX_WINDOW_EVENTS = 50;
/** Longest timespan accepted: Okta keeps 90 days of System Log. */
const MAX_TIMESPAN_MS = 90 * 86_400_000;

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

// ---------------------------------------------------------------- reading the rule

/** The `correlation` section, read and checked; rule references are resolved by the loader. */
export interface CorrelationSection {
  type: CorrelationType;
  refs: string[];
  groupBy: string[];
  timespan: string;
  timespanMs: number;
  condition: { op: 'gt' | 'gte'; value: number };
  field?: string;
  aliases: Record<string, Record<string, string>>;
  generate: boolean;
}

function strings(v: unknown, construct: string): string[] {
  const list = v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  return list.map((x) => {
    if (typeof x !== 'string' || !x.trim()) throw new RuleSyntaxError(construct, `must be a list of names; ${showValue(JSON.stringify(x))} is not one`);
    return x.trim();
  });
}

export function readCorrelation(doc: Record<string, unknown>): CorrelationSection {
  const c = doc.correlation;
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new RuleSyntaxError('correlation', 'must be a map (type, rules, group-by, timespan, condition)');
  const sec = c as Record<string, unknown>;
  const type = sec.type;
  if (type === 'temporal' || type === 'temporal_ordered')
    throw new RuleSyntaxError('correlation.type', `'${type}' is not supported (okta-soar evaluates event_count and value_count)`);
  if (type !== 'event_count' && type !== 'value_count') throw new RuleSyntaxError('correlation.type', `must be event_count or value_count, not ${showValue(JSON.stringify(type))}`);
  const refs = strings(sec.rules, 'correlation.rules');
  if (!refs.length) throw new RuleSyntaxError('correlation.rules', 'is missing: name the rules (id or name) whose events are counted');
  const groupBy = strings(sec['group-by'], 'correlation.group-by');

  const span = typeof sec.timespan === 'string' ? /^(\d+)([smhdw])$/.exec(sec.timespan.trim()) : null;
  if (!span) throw new RuleSyntaxError('correlation.timespan', `must be a number and a unit (s, m, h, d, w), e.g. 10m; not ${showValue(JSON.stringify(sec.timespan ?? null))}`);
  const timespanMs = Number(span[1]) * UNITS[span[2]!]!;
  if (timespanMs <= 0 || timespanMs > MAX_TIMESPAN_MS) throw new RuleSyntaxError('correlation.timespan', 'must be more than 0 and at most 90 days (the System Log keeps 90 days)');

  const cond = sec.condition;
  if (!cond || typeof cond !== 'object' || Array.isArray(cond)) throw new RuleSyntaxError('correlation.condition', 'must be a map such as {gte: 5}');
  const cm = cond as Record<string, unknown>;
  let field: string | undefined;
  const ops: ['gt' | 'gte', number][] = [];
  for (const [k, v] of Object.entries(cm)) {
    if (k === 'field') {
      if (typeof v !== 'string' || !v.trim()) throw new RuleSyntaxError('correlation.condition.field', 'must be a field name');
      field = v.trim();
    } else if (k === 'gt' || k === 'gte') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < (k === 'gt' ? 0 : 1)) throw new RuleSyntaxError(`correlation.condition.${k}`, `must be a whole number${k === 'gt' ? '' : ' from 1'}, not ${showValue(JSON.stringify(v))}`);
      ops.push([k, v]);
    } else if (['lt', 'lte', 'eq', 'neq'].includes(k)) {
      throw new RuleSyntaxError(
        `correlation.condition.${k}`,
        'is not supported: an upper bound can only be judged once a window has closed, and fetch raises incidents as events arrive (use gt or gte)',
      );
    } else {
      throw new RuleSyntaxError(`correlation.condition.${showValue(k)}`, 'is not a condition (gt, gte; field for value_count)');
    }
  }
  if (ops.length !== 1) throw new RuleSyntaxError('correlation.condition', 'needs exactly one of gt or gte');
  if (type === 'value_count' && !field) throw new RuleSyntaxError('correlation.condition.field', 'is missing: value_count counts the distinct values of this field');
  if (type === 'event_count' && field) throw new RuleSyntaxError('correlation.condition.field', 'is for value_count only (event_count counts events)');

  const aliases: Record<string, Record<string, string>> = {};
  if (sec.aliases !== undefined && sec.aliases !== null) {
    if (typeof sec.aliases !== 'object' || Array.isArray(sec.aliases)) throw new RuleSyntaxError('correlation.aliases', 'must be a map: alias → rule name → field');
    for (const [alias, byRule] of Object.entries(sec.aliases as Record<string, unknown>)) {
      if (!byRule || typeof byRule !== 'object' || Array.isArray(byRule)) throw new RuleSyntaxError(`correlation.aliases.${alias}`, 'must be a map: rule name → field');
      aliases[alias] = {};
      for (const [rule, f] of Object.entries(byRule as Record<string, unknown>)) {
        if (typeof f !== 'string' || !f.trim()) throw new RuleSyntaxError(`correlation.aliases.${alias}.${rule}`, 'must be a field name');
        aliases[alias]![rule] = f.trim();
      }
    }
  }
  const generate = sec.generate ?? doc.generate ?? false;
  if (typeof generate !== 'boolean') throw new RuleSyntaxError('generate', 'must be true or false');
  const section: CorrelationSection = { type, refs, groupBy, timespan: span[0], timespanMs, condition: { op: ops[0]![0], value: ops[0]![1] }, aliases, generate };
  if (field) section.field = field;
  return section;
}

// ---------------------------------------------------------------- compiled for evaluation

/** A correlation rule ready to count: the fields to read for each rule it refers to. */
export interface CompiledCorrelation {
  readonly rule: CorrelationRule;
  /** Changes when anything that shapes its windows changes: old windows are then dropped. */
  readonly fingerprint: string;
  /** Per referenced rule id: the group-by paths, and (value_count) the counted field. */
  readonly paths: ReadonlyMap<string, { group: readonly FieldPath[]; value?: FieldPath }>;
  /** Events needed to fire: condition gte n, or gt n-1. */
  readonly threshold: number;
}

/** `rules` (resolved ids) and the name of each, for aliases. */
export function compileCorrelation(rule: CorrelationRule, referenced: readonly { id: string; name?: string }[]): CompiledCorrelation {
  const pathFor = (alias: string, ref: { id: string; name?: string }): FieldPath => {
    const byRule = rule.aliases[alias];
    if (!byRule) return fieldPath(alias);
    const f = (ref.name !== undefined ? byRule[ref.name] : undefined) ?? byRule[ref.id];
    if (f === undefined) throw new RuleSyntaxError(`correlation.aliases.${alias}`, `gives no field for the rule ${showValue(ref.name ?? ref.id)}`);
    return fieldPath(f);
  };
  const paths = new Map<string, { group: FieldPath[]; value?: FieldPath }>();
  for (const ref of referenced) {
    const entry: { group: FieldPath[]; value?: FieldPath } = { group: rule.groupBy.map((g) => pathFor(g, ref)) };
    if (rule.field) entry.value = pathFor(rule.field, ref);
    paths.set(ref.id, entry);
  }
  const shape = { type: rule.type, rules: rule.rules, groupBy: rule.groupBy, timespanMs: rule.timespanMs, condition: rule.condition, field: rule.field ?? null, aliases: rule.aliases };
  const fingerprint = createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
  const threshold = rule.condition.op === 'gte' ? rule.condition.value : rule.condition.value + 1;
  return { rule, fingerprint, paths, threshold };
}

// ---------------------------------------------------------------- state

/** One counted event: published (ms), uuid, the counted value (value_count) or null. */
type Entry = [number, string, string | null];

interface Group {
  /** Sorted by time, then uuid. value_count keeps one entry per value (its latest). */
  e: Entry[];
  /** Summaries of events in `e` (restored, or made when saved), by uuid; the newest only. */
  s: Record<string, EventSummary>;
  /** A window fired; events published before this time add to nothing. */
  until?: number;
  /** The latest published time seen in this group. */
  last: number;
}

interface RuleWindows {
  fp: string;
  groups: Map<string, Group>;
}

/** The JSON form of the window state (what fetch keeps in its lastRun). */
export interface WindowStateJSON {
  version: 1;
  /** The latest `published` counted (ms since the epoch). */
  watermark: number | null;
  /** Correlation rule id → its fingerprint and groups (group key: JSON of the group-by values). */
  rules: Record<string, { fp: string; groups: Record<string, Group> }>;
}

/** Counting state of every correlation rule of a set. Opaque: use toJSON / RuleSet.restoreState. */
export class WindowState {
  /** @internal */ readonly rules = new Map<string, RuleWindows>();
  /** @internal */ watermark = -Infinity;
  /** @internal Events counted since the last save, by group: summarised only when a window or a save needs them. */
  readonly pending = new WeakMap<Group, Map<string, OktaEvent>>();

  /** @internal The summary of a counted event. */
  summary(g: Group, entry: Entry): EventSummary {
    const raw = this.pending.get(g)?.get(entry[1]);
    return g.s[entry[1]] ?? (raw ? summarize(raw, entry[1]) : { uuid: entry[1], published: new Date(entry[0]).toISOString(), eventType: '' });
  }

  /** Groups held, over all rules. */
  get groups(): number {
    let n = 0;
    for (const r of this.rules.values()) n += r.groups.size;
    return n;
  }

  /** The JSON to store; entries no window can use any more are dropped first. */
  toJSON(): WindowStateJSON {
    const rules: WindowStateJSON['rules'] = {};
    for (const [id, r] of this.rules) {
      const groups: Record<string, Group> = {};
      for (const [k, g] of r.groups) {
        // Summaries of the newest events only: a window carries at most MAX_WINDOW_EVENTS.
        const s: Record<string, EventSummary> = {};
        for (const entry of g.e.slice(-MAX_WINDOW_EVENTS)) s[entry[1]] = this.summary(g, entry);
        g.s = s;
        this.pending.delete(g);
        groups[k] = g;
      }
      rules[id] = { fp: r.fp, groups };
    }
    return { version: 1, watermark: Number.isFinite(this.watermark) ? this.watermark : null, rules };
  }

  /** @internal Drops groups whose every entry and open window ended before any event could still count. */
  prune(spans: ReadonlyMap<string, number>): void {
    for (const [id, r] of this.rules) {
      const span = spans.get(id) ?? 0;
      const horizon = this.watermark - span - ALLOWED_LATENESS_MS;
      for (const [k, g] of r.groups) if (g.last < horizon && (g.until ?? -Infinity) < horizon) r.groups.delete(k);
    }
  }
}

function isEntry(v: unknown): v is Entry {
  return Array.isArray(v) && v.length === 3 && typeof v[0] === 'number' && Number.isFinite(v[0]) && typeof v[1] === 'string' && (v[2] === null || typeof v[2] === 'string');
}

function isGroup(v: unknown): v is Group {
  if (!v || typeof v !== 'object') return false;
  const g = v as Partial<Group>;
  return (
    Array.isArray(g.e) &&
    g.e.every(isEntry) &&
    !!g.s &&
    typeof g.s === 'object' &&
    typeof g.last === 'number' &&
    Number.isFinite(g.last) &&
    (g.until === undefined || (typeof g.until === 'number' && Number.isFinite(g.until)))
  );
}

/**
 * Rebuilds a state from its JSON for these correlation rules. Windows of rules no longer loaded,
 * or whose definition changed, are dropped and said so in `notes`; what is not a state of ours
 * starts empty (also said).
 */
export function restoreState(json: unknown, correlations: readonly CompiledCorrelation[]): { state: WindowState; notes: string[] } {
  const state = new WindowState();
  const notes: string[] = [];
  if (json === undefined || json === null) return { state, notes };
  const j = json as Partial<WindowStateJSON>;
  if (typeof json !== 'object' || j.version !== 1 || !j.rules || typeof j.rules !== 'object' || (j.watermark !== null && typeof j.watermark !== 'number')) {
    notes.push('the stored correlation windows are not a state this version of okta-soar wrote; counting starts afresh');
    return { state, notes };
  }
  if (typeof j.watermark === 'number') state.watermark = j.watermark;
  const byId = new Map(correlations.map((c) => [c.rule.id, c]));
  for (const [id, r] of Object.entries(j.rules)) {
    const c = byId.get(id);
    if (!c) {
      notes.push(`windows of ${showValue(id)} dropped: no loaded correlation rule has that id`);
      continue;
    }
    if (!r || r.fp !== c.fingerprint) {
      notes.push(`windows of ${showValue(id)} dropped: the rule changed since they were counted`);
      continue;
    }
    const groups = new Map<string, Group>();
    let bad = 0;
    for (const [k, g] of Object.entries(r.groups ?? {})) {
      if (isGroup(g)) groups.set(k, { e: g.e.slice(-MAX_ENTRIES), s: g.s, last: g.last, ...(g.until !== undefined ? { until: g.until } : {}) });
      else bad++;
    }
    if (bad) notes.push(`${bad} malformed window group(s) of ${showValue(id)} dropped`);
    state.rules.set(id, { fp: c.fingerprint, groups });
  }
  return { state, notes };
}

// ---------------------------------------------------------------- counting

const CAP = 512;
const cut = (v: unknown): string | undefined => (typeof v === 'string' ? (v.length > CAP ? `${v.slice(0, CAP)}…` : v) : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function compact<T extends object>(o: T): T | undefined {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return Object.keys(out).length ? out : undefined;
}

/** What a window keeps of an event: who, from where, what, and its uuid to fetch the rest. */
export function summarize(e: OktaEvent, uuid: string): EventSummary {
  const actor = obj(e.actor);
  const client = obj(e.client);
  const geo = obj(client.geographicalContext);
  const sec = obj(e.securityContext);
  const outcome = obj(e.outcome);
  const targets = Array.isArray(e.target) ? e.target.slice(0, 5).map(obj) : [];
  const s: EventSummary = { uuid, published: cut(e.published) ?? '', eventType: cut(e.eventType) ?? '' };
  const rest: Omit<EventSummary, 'uuid' | 'published' | 'eventType'> = {
    displayMessage: cut(e.displayMessage),
    severity: cut(e.severity),
    outcome: compact({ result: cut(outcome.result), reason: cut(outcome.reason) }),
    actor: compact({ id: cut(actor.id), type: cut(actor.type), alternateId: cut(actor.alternateId), displayName: cut(actor.displayName) }),
    client: compact({ ipAddress: cut(client.ipAddress), rawUserAgent: cut(obj(client.userAgent).rawUserAgent), city: cut(geo.city), country: cut(geo.country) }),
    securityContext: compact({ isProxy: typeof sec.isProxy === 'boolean' ? sec.isProxy : undefined, asOrg: cut(sec.asOrg) }),
    target: targets.length ? targets.map((t) => ({ ...compact({ id: cut(t.id), type: cut(t.type), alternateId: cut(t.alternateId), displayName: cut(t.displayName) }) })) : undefined,
  };
  return { ...s, ...compact(rest) };
}

const firstText = (view: EventView, p: FieldPath): string | null => view.get(p).text.find((t) => t !== undefined) ?? null;

function sortedInsert(entries: Entry[], entry: Entry): void {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = entries[mid]!;
    if (m[0] < entry[0] || (m[0] === entry[0] && m[1] < entry[1])) lo = mid + 1;
    else hi = mid;
  }
  entries.splice(lo, 0, entry);
}

/** The entries in (end - span, end], when they meet the condition. */
function windowEndingAt(c: CompiledCorrelation, entries: Entry[], endIdx: number): Entry[] | null {
  const end = entries[endIdx]![0];
  let i = endIdx;
  while (i > 0 && entries[i - 1]![0] > end - c.rule.timespanMs) i--;
  const win = entries.slice(i, endIdx + 1);
  const count = c.rule.type === 'value_count' ? new Set(win.map((x) => x[2]).filter((v) => v !== null)).size : win.length;
  return count >= c.threshold ? win : null;
}

/**
 * Counts one event that matched `ruleId` (a rule `c` refers to). Returns the window it completed,
 * or null. `uuid` identifies the event (a re-read event is counted once).
 */
export function countEvent(c: CompiledCorrelation, state: WindowState, view: EventView, ruleId: string, uuid: string): CorrelationWindow | null {
  const paths = c.paths.get(ruleId);
  const t = typeof view.event.published === 'string' ? Date.parse(view.event.published) : NaN;
  if (!paths || !Number.isFinite(t)) return null;
  let value: string | null = null;
  if (paths.value) {
    value = firstText(view, paths.value);
    // value_count counts values: an event without one adds nothing.
    if (value === null) return null;
  }
  const groupValues = paths.group.map((p) => firstText(view, p));
  const key = JSON.stringify(groupValues);

  let windows = state.rules.get(c.rule.id);
  if (!windows || windows.fp !== c.fingerprint) {
    windows = { fp: c.fingerprint, groups: new Map() };
    state.rules.set(c.rule.id, windows);
  }
  if (t > state.watermark) state.watermark = t;
  let g = windows.groups.get(key);
  if (g) windows.groups.delete(key);
  else g = { e: [], s: {}, last: t };
  // Map order is least recently seen first: re-inserted on every event, the first one goes.
  windows.groups.set(key, g);
  if (windows.groups.size > MAX_GROUPS) windows.groups.delete(windows.groups.keys().next().value!);
  if (t > g.last) g.last = t;
  // Inside a window that already fired: part of that burst.
  if (g.until !== undefined && t < g.until) return null;
  if (g.e.some((x) => x[1] === uuid)) return null;
  let pending = state.pending.get(g);
  if (!pending) state.pending.set(g, (pending = new Map()));
  const forget = (id: string) => {
    delete g!.s[id];
    pending!.delete(id);
  };

  if (value !== null) {
    // One entry per value, the latest: enough to count distinct values in any later window.
    const same = g.e.findIndex((x) => x[2] === value);
    if (same >= 0) {
      if (g.e[same]![0] > t) return null;
      forget(g.e[same]![1]);
      g.e.splice(same, 1);
    }
  }
  sortedInsert(g.e, [t, uuid, value]);
  pending.set(uuid, view.event);

  // Forget what no window can use: older than the newest event by more than span + lateness.
  const horizon = g.last - c.rule.timespanMs - ALLOWED_LATENESS_MS;
  while (g.e.length && (g.e[0]![0] < horizon || g.e.length > MAX_ENTRIES)) forget(g.e.shift()![1]);
  if (!g.e.some((x) => x[1] === uuid)) return null;

  // Windows that hold this event end at it or at a later event less than a span after it.
  let win: Entry[] | null = null;
  for (let j = g.e.findIndex((x) => x[1] === uuid); j < g.e.length && g.e[j]![0] < t + c.rule.timespanMs && !win; j++) win = windowEndingAt(c, g.e, j);
  if (!win) return null;

  const start = win[0]![0];
  const carried = win.slice(-MAX_WINDOW_EVENTS);
  const group: Record<string, string | null> = {};
  c.rule.groupBy.forEach((f, i) => (group[f] = groupValues[i]!));
  const fired: CorrelationWindow = {
    rule: c.rule,
    group,
    count: c.rule.type === 'value_count' ? new Set(win.map((x) => x[2])).size : win.length,
    ...(c.rule.type === 'value_count' ? { values: [...new Set(win.map((x) => x[2]!))].slice(0, MAX_WINDOW_EVENTS) } : {}),
    start: new Date(start).toISOString(),
    end: new Date(start + c.rule.timespanMs).toISOString(),
    trigger: state.summary(g, [t, uuid, value]),
    events: carried.map((x) => state.summary(g!, x)),
    eventIds: win.map((x) => x[1]),
    id: `sigma:${c.rule.id}:${createHash('sha256').update(`${key}\n${win[0]![1]}`).digest('hex').slice(0, 16)}`,
  };
  // The window stays open until first event + span; what is after it stays counted.
  g.until = start + c.rule.timespanMs;
  for (const x of g.e) if (x[0] < g.until) forget(x[1]);
  g.e = g.e.filter((x) => x[0] >= g!.until!);
  return fired;
}
