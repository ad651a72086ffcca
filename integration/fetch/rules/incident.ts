/**
 * How a rule match becomes an incident (contract §5): the name from the rule's title and the
 * event, the severity from the rule's level, and the rules (ids, ATT&CK tags, references) carried
 * with it. An event that several rules match is one incident, named after the most severe.
 * The caller adds `rawJSON` and `dbotMirrorId` for an event (as for any incident, redacted), and
 * serialises `document` (redacted) as the `rawJSON` of a correlation window.
 */
import type { AttackTags, CorrelationWindow, DetectionRule, EventSummary, Level, OktaEvent, RuleMeta, Severity } from './types.js';

/** What an incident says about one rule it came from. */
export interface IncidentRule {
  id: string;
  title: string;
  level?: Level;
  severity: Severity;
  description?: string;
  tags: string[];
  attack: AttackTags;
  references: string[];
  file: string;
}

/** An XSOAR incident label. */
export interface IncidentLabel {
  type: string;
  value: string;
}

export interface RuleIncidentFields {
  name: string;
  /** ISO 8601: the event's `published` (a window: the event that completed it). */
  occurred: string;
  severity: Severity;
  /** Most severe first. */
  rules: IncidentRule[];
  /** `Sigma rule` (one per rule id), `ATT&CK tactic`, `ATT&CK technique`. */
  labels: IncidentLabel[];
  /** Plain text for the analyst: each rule's title, level and description. */
  details: string;
}

export interface WindowIncidentFields extends RuleIncidentFields {
  /** The window's stable id (same window, same id): use it as dbotMirrorId. */
  dbotMirrorId: string;
  /** The correlation and the events that made it: serialise it as rawJSON. */
  document: CorrelationDocument;
}

/** A correlation incident's body. */
export interface CorrelationDocument {
  correlation: { id: string; title: string; type: string; timespan: string; condition: string; groupBy: Record<string, string | null>; field?: string };
  window: { start: string; end: string };
  /** Events (event_count) or distinct values (value_count) counted. */
  count: number;
  values?: string[];
  /** The newest events of the window (at most 50), oldest first; `eventIds` has every one. */
  events: EventSummary[];
  eventIds: string[];
  /** The detection rules whose matches were counted. */
  rules: string[];
}

const NAME_MAX = 200;

export function incidentRule(r: RuleMeta): IncidentRule {
  const out: IncidentRule = {
    id: r.id,
    title: r.title,
    severity: r.severity,
    tags: [...r.tags],
    attack: { tactics: [...r.attack.tactics], techniques: [...r.attack.techniques] },
    references: [...r.references],
    file: r.file,
  };
  if (r.level) out.level = r.level;
  if (r.description) out.description = r.description;
  return out;
}

function labelsOf(rules: readonly RuleMeta[]): IncidentLabel[] {
  const labels: IncidentLabel[] = [];
  const seen = new Set<string>();
  const add = (type: string, value: string) => {
    const k = `${type}\n${value}`;
    if (seen.has(k)) return;
    seen.add(k);
    labels.push({ type, value });
  };
  for (const r of rules) add('Sigma rule', r.id);
  for (const r of rules) for (const t of r.attack.tactics) add('ATT&CK tactic', t);
  for (const r of rules) for (const t of r.attack.techniques) add('ATT&CK technique', t);
  return labels;
}

function detailsOf(rules: readonly RuleMeta[]): string {
  return rules.map((r) => `${r.title} (${r.level ?? 'no level'}, rule ${r.id})${r.description ? `: ${r.description.trim()}` : ''}`).join('\n');
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const clip = (s: string) => (s.length > NAME_MAX ? `${s.slice(0, NAME_MAX - 1)}…` : s);

/** Who did it (and to whom, when a user other than the actor is the target). */
export function subjectOf(e: { actor?: unknown; target?: unknown; eventType?: unknown }): string {
  const actor = e.actor && typeof e.actor === 'object' ? text((e.actor as Record<string, unknown>).alternateId) : '';
  const who = actor && actor !== 'unknown' ? actor : '';
  const targets = Array.isArray(e.target) ? (e.target as unknown[]) : [];
  const user = targets.find((t) => t && typeof t === 'object' && (t as Record<string, unknown>).type === 'User') as Record<string, unknown> | undefined;
  const whom = user ? text(user.alternateId) : '';
  if (who && whom && whom !== who && whom !== 'unknown') return `${who} → ${whom}`;
  return who || (whom && whom !== 'unknown' ? whom : '') || text(e.eventType);
}

/** The name of an event's incident (`matches` non-empty, most severe first): what eventIncident gives as `name`. */
export function eventIncidentName(event: OktaEvent, matches: readonly DetectionRule[]): string {
  const top = matches[0]!;
  const more = matches.length > 1 ? ` (+${matches.length - 1} more)` : '';
  const subject = subjectOf(event);
  return clip(`${top.title}${more}${subject ? `: ${subject}` : ''}`);
}

/**
 * The incident for an event that standalone rules matched (`matches` as Evaluation gives them,
 * most severe first), or null when none did. Name: `<title of the most severe rule> (+N more):
 * <actor> → <target user>`.
 */
export function eventIncident(event: OktaEvent, matches: readonly DetectionRule[]): RuleIncidentFields | null {
  if (!matches.length) return null;
  return {
    name: eventIncidentName(event, matches),
    occurred: text(event.published),
    severity: Math.max(...matches.map((m) => m.severity)) as Severity,
    rules: matches.map(incidentRule),
    labels: labelsOf(matches),
    details: detailsOf(matches),
  };
}

function groupText(w: CorrelationWindow): string {
  const parts = Object.entries(w.group).map(([k, v]) => `${k}=${v ?? '(none)'}`);
  return parts.length ? `for ${parts.join(', ')}` : 'across the org';
}

/** The incident for a correlation window. Name: `<title>: 5 events for actor.alternateId=bob@… within 10m`. */
export function windowIncident(w: CorrelationWindow): WindowIncidentFields {
  const r = w.rule;
  const what = r.type === 'value_count' ? `${w.count} distinct ${r.field}` : `${w.count} events`;
  const document: CorrelationDocument = {
    correlation: {
      id: r.id,
      title: r.title,
      type: r.type,
      timespan: r.timespan,
      condition: `${r.condition.op} ${r.condition.value}`,
      groupBy: { ...w.group },
      ...(r.field !== undefined ? { field: r.field } : {}),
    },
    window: { start: w.start, end: w.end },
    count: w.count,
    ...(w.values ? { values: [...w.values] } : {}),
    events: w.events.map((e) => ({ ...e })),
    eventIds: [...w.eventIds],
    rules: [...r.rules],
  };
  return {
    name: clip(`${r.title}: ${what} ${groupText(w)} within ${r.timespan}`),
    occurred: w.trigger.published,
    severity: r.severity,
    rules: [incidentRule(r)],
    labels: labelsOf([r]),
    details: detailsOf([r]),
    dbotMirrorId: w.id,
    document,
  };
}
