/**
 * A loaded set of Sigma rules: what fetch-incidents and `rules test` use. Evaluation looks at
 * each event once: rules are indexed by the event types they can match, field values are read
 * once per event, and an event's matches and completed correlation windows come back together.
 */
import { createHash } from 'node:crypto';
import type { CompiledDetection } from './compile.js';
import { countEvent, restoreState, WindowState, type CompiledCorrelation } from './correlation.js';
import { EventView } from './fields.js';
import { logFilterFor } from './filter.js';
import type { CorrelationRule, CorrelationWindow, DetectionRule, Evaluation, LoadedRule, OktaEvent } from './types.js';

/** A detection rule with its compiled test and the correlations that count its matches. */
export interface CompiledRule {
  readonly info: DetectionRule;
  readonly detection: CompiledDetection;
  readonly correlations: readonly CompiledCorrelation[];
}

/** Event types remembered with their candidate rules (a bound: an org has a few hundred types). */
const TYPE_CACHE = 4096;

/** An event's identity for correlation windows: its uuid, else a hash of it. */
export function eventKey(e: OktaEvent): string {
  if (typeof e.uuid === 'string' && e.uuid) return e.uuid;
  return `sha256:${createHash('sha256').update(JSON.stringify(e)).digest('hex').slice(0, 32)}`;
}

/** Most severe first, then by title (stable across runs). */
export function bySeverity(a: { severity: number; title: string }, b: { severity: number; title: string }): number {
  return b.severity - a.severity || a.title.localeCompare(b.title);
}

export class RuleSet {
  /** Every rule, in load order (files sorted, documents in file order). */
  readonly rules: readonly LoadedRule[];
  readonly detections: readonly DetectionRule[];
  readonly correlations: readonly CorrelationRule[];
  /** The files the rules came from. */
  readonly files: readonly string[];
  private readonly compiled: readonly CompiledRule[];
  private readonly compiledCorrelations: readonly CompiledCorrelation[];
  private readonly exact = new Map<string, CompiledRule[]>();
  private readonly prefixed: [string, CompiledRule][] = [];
  private readonly anyType: CompiledRule[] = [];
  private readonly candidates = new Map<string, readonly CompiledRule[]>();
  private readonly spans: ReadonlyMap<string, number>;

  /** @internal Built by loadRules / parseRules. */
  constructor(compiled: readonly CompiledRule[], correlations: readonly CompiledCorrelation[], order: readonly LoadedRule[], files: readonly string[]) {
    this.compiled = compiled;
    this.compiledCorrelations = correlations;
    this.rules = order;
    this.detections = compiled.map((c) => c.info);
    this.correlations = correlations.map((c) => c.rule);
    this.files = files;
    this.spans = new Map(correlations.map((c) => [c.rule.id, c.rule.timespanMs]));
    for (const r of compiled) {
      const types = r.info.eventTypes;
      if (!types) {
        this.anyType.push(r);
        continue;
      }
      for (const t of types) {
        if (t.endsWith('*')) this.prefixed.push([t.slice(0, -1), r]);
        else this.exact.set(t, [...(this.exact.get(t) ?? []), r]);
      }
    }
  }

  /** The rule with this id. */
  get(id: string): LoadedRule | undefined {
    return this.rules.find((r) => r.id === id);
  }

  /**
   * The event types (lower case, `prefix*` for prefixes) the rules can match, or null when a rule
   * can match any type (then every event must be read).
   */
  eventTypes(): string[] | null {
    const all = new Set<string>();
    for (const r of this.detections) {
      if (!r.eventTypes) return null;
      for (const t of r.eventTypes) all.add(t);
    }
    return [...all].sort();
  }

  /**
   * The System Log filter (SCIM) that reads every event a rule could match, or null for none
   * (a rule names no event type: every event is read). Stable for the same rules.
   */
  logFilter(): string | null {
    return logFilterFor(this.detections.map((r) => r.eventTypes));
  }

  /** Empty correlation windows. */
  newState(): WindowState {
    return new WindowState();
  }

  /**
   * Window state from its JSON (fetch's lastRun). Never throws: what cannot be used is dropped
   * and said in `notes` (a rule removed or changed, a state from elsewhere).
   */
  restoreState(json: unknown): { state: WindowState; notes: string[] } {
    return restoreState(json, this.compiledCorrelations);
  }

  /** The state's JSON, with what no window can use any more dropped. */
  saveState(state: WindowState): ReturnType<WindowState['toJSON']> {
    state.prune(this.spans);
    return state.toJSON();
  }

  private rulesFor(type: string): readonly CompiledRule[] {
    let list = this.candidates.get(type);
    if (!list) {
      const set = new Set<CompiledRule>([...(this.exact.get(type) ?? []), ...this.anyType]);
      for (const [p, r] of this.prefixed) if (type.startsWith(p)) set.add(r);
      // Load order, so results do not depend on which event type came first.
      list = this.compiled.filter((r) => set.has(r));
      if (this.candidates.size >= TYPE_CACHE) this.candidates.clear();
      this.candidates.set(type, list);
    }
    return list;
  }

  /**
   * Every detection rule the event matches, those that only feed a correlation included, in load
   * order. Keeps no state (`rules test` reports each rule's matches with it).
   */
  matching(event: OktaEvent): DetectionRule[] {
    const view = new EventView(event);
    const type = typeof event.eventType === 'string' ? event.eventType.toLowerCase() : '';
    return this.rulesFor(type)
      .filter((r) => r.detection.match(view))
      .map((r) => r.info);
  }

  /**
   * Evaluates every rule on one event. `state` holds the correlation windows and is updated;
   * events must come in the order they are fetched (Okta's persistence order), each once per
   * history (a repeat is recognised by its uuid and counted once).
   */
  evaluate(event: OktaEvent, state: WindowState): Evaluation {
    const view = new EventView(event);
    const type = typeof event.eventType === 'string' ? event.eventType.toLowerCase() : '';
    const matched: CompiledRule[] = [];
    for (const r of this.rulesFor(type)) if (r.detection.match(view)) matched.push(r);
    if (!matched.length) return { matches: [], windows: [] };
    const matches: DetectionRule[] = [];
    for (const r of matched) if (r.info.standalone) matches.push(r.info);
    if (matches.length > 1) matches.sort(bySeverity);
    const windows: CorrelationWindow[] = [];
    const counted = new Set<string>();
    let key: string | undefined;
    for (const r of matched) {
      for (const c of r.correlations) {
        // An event that several rules of one correlation match counts once.
        if (counted.has(c.rule.id)) continue;
        counted.add(c.rule.id);
        const w = countEvent(c, state, view, r.info.id, (key ??= eventKey(event)));
        if (w) windows.push(w);
      }
    }
    return { matches, windows };
  }
}
