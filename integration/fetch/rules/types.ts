/**
 * The shapes the Sigma engine hands to its callers (fetch-incidents, `rules test`): loaded rules
 * with their metadata, and what evaluating an event yields.
 */

/** A System Log event as Okta returns it (JSON). The engine only reads it. */
export type OktaEvent = Readonly<Record<string, unknown>>;

/** Sigma's `level` values, least to most severe. */
export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof LEVELS)[number];
export type Severity = 0 | 1 | 2 | 3 | 4;

/** XSOAR severity of a Sigma level (contract §5): informational 0, low 1, medium 2, high 3, critical 4. */
export const LEVEL_SEVERITY: Readonly<Record<Level, Severity>> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** MITRE ATT&CK references read from a rule's `attack.*` tags. */
export interface AttackTags {
  /** Tactics as Sigma names them, hyphenated: `credential-access`, `privilege-escalation`. */
  tactics: string[];
  /** Technique ids, upper case: `T1098.003`. */
  techniques: string[];
}

/** What every loaded rule (detection or correlation) says about itself. */
export interface RuleMeta {
  /** The rule's `id`; else its `name`; else `<file>#<document>` (1-based). Unique in a rule set. */
  readonly id: string;
  /** Sigma's `name` (what correlation rules refer to), when given. */
  readonly name?: string;
  readonly title: string;
  readonly description?: string;
  /** Missing only on a rule that only feeds correlations (it makes no incident of its own). */
  readonly level?: Level;
  /** LEVEL_SEVERITY of `level` (0 when there is none). */
  readonly severity: Severity;
  readonly status?: string;
  readonly author?: string;
  readonly tags: readonly string[];
  readonly attack: AttackTags;
  readonly references: readonly string[];
  readonly falsepositives: readonly string[];
  /** The file the rule came from, as it was found (path given, or under a folder given). */
  readonly file: string;
  /** 1-based position of the YAML document in its file. */
  readonly document: number;
}

/** A Sigma detection rule. */
export interface DetectionRule extends RuleMeta {
  readonly kind: 'detection';
  /**
   * Whether a match makes an incident of its own. False for a rule that a correlation rule
   * refers to without `generate: true` (Sigma: it then only feeds the correlation).
   */
  readonly standalone: boolean;
  /**
   * The event types (lower case) an event must have to match, or null when the rule can match
   * events of any type (it names none, or only through `not`, keywords or patterns).
   * A `prefix*` entry stands for every type starting with `prefix`.
   */
  readonly eventTypes: readonly string[] | null;
}

export type CorrelationType = 'event_count' | 'value_count';

/** A Sigma correlation rule (event_count, value_count). */
export interface CorrelationRule extends RuleMeta {
  readonly kind: 'correlation';
  readonly type: CorrelationType;
  /** Ids of the detection rules it counts. */
  readonly rules: readonly string[];
  /** Fields (or aliases) that split the count: one window per distinct combination. */
  readonly groupBy: readonly string[];
  /** As written (`10m`). */
  readonly timespan: string;
  readonly timespanMs: number;
  /** The count must reach this (gte) or exceed it (gt). */
  readonly condition: { readonly op: 'gt' | 'gte'; readonly value: number };
  /** value_count: the field whose distinct values are counted. */
  readonly field?: string;
  /** `aliases`: alias → rule name → field. */
  readonly aliases: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export type LoadedRule = DetectionRule | CorrelationRule;

/** A rule, or a rule file, that cannot be used: what and where. */
export interface RuleProblem {
  /** The file (or the path given, when it is not there). */
  file: string;
  /** The rule's id, else its title, else its document number (`#2`), when the problem is inside a rule. */
  rule?: string;
  /** The construct refused (`modifier 'base64'`, `condition`, `correlation.type` …). */
  construct?: string;
  message: string;
  /** 1-based line in the file, for YAML errors. */
  line?: number;
}

/** A compact copy of an event kept in a correlation window (what an analyst reads first). */
export interface EventSummary {
  uuid: string;
  published: string;
  eventType: string;
  displayMessage?: string;
  severity?: string;
  outcome?: { result?: string; reason?: string };
  actor?: { id?: string; type?: string; alternateId?: string; displayName?: string };
  client?: { ipAddress?: string; rawUserAgent?: string; city?: string; country?: string };
  securityContext?: { isProxy?: boolean; asOrg?: string };
  target?: { id?: string; type?: string; alternateId?: string; displayName?: string }[];
}

/** A correlation rule's condition met in one window: one incident. */
export interface CorrelationWindow {
  readonly rule: CorrelationRule;
  /** group-by field → the value of this window's group (null where the events have none). */
  readonly group: Readonly<Record<string, string | null>>;
  /** Events counted (event_count), or distinct values counted (value_count). */
  readonly count: number;
  /** value_count: the distinct values (at most MAX_WINDOW_EVENTS of them). */
  readonly values?: readonly string[];
  /** `published` of the window's first event and the window's end (first + timespan), ISO 8601. */
  readonly start: string;
  readonly end: string;
  /** The event that met the condition (its `published` is the incident's `occurred`). */
  readonly trigger: EventSummary;
  /** The events that made the window, oldest first (at most MAX_WINDOW_EVENTS, newest kept). */
  readonly events: readonly EventSummary[];
  /** Uuids of every event counted in the window, oldest first. */
  readonly eventIds: readonly string[];
  /** Stable id of this window (same events, same id): the incident's dbotMirrorId. */
  readonly id: string;
}

/** What one event does to a rule set. */
export interface Evaluation {
  /** Standalone detection rules the event matched, most severe first (then by title). */
  readonly matches: readonly DetectionRule[];
  /** Correlation windows this event completed. */
  readonly windows: readonly CorrelationWindow[];
}
