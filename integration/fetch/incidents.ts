import { createHash } from 'node:crypto';
import { ConfigError } from '../base/errors.js';
import { redactString } from '../base/redact.js';
import type { LogEvent } from '../okta/logs.js';
import type { IncidentLabel, IncidentRule } from './rules/incident.js';

/** One incident in XSOAR's fetch-incidents shape (contract §5). */
export interface Incident {
  /** From a rule: `<rule title>: <actor> → <target user>`; a correlation window: `<title>: N events for … within 10m`. */
  name: string;
  /** The event's `published` (ISO 8601). */
  occurred: string;
  /** XSOAR scale: 0 unknown, 1 low, 2 medium, 3 high, 4 critical. */
  severity: number;
  /** The Okta event as JSON text. */
  rawJSON: string;
  /** The event's `uuid`: a repeat is recognisable by it. */
  dbotMirrorId: string;
  /** `incidentType` when configured. */
  type?: string;
  /** The Sigma rules that raised it (id, title, level, ATT&CK tags, references), most severe first. */
  rules?: IncidentRule[];
  /** XSOAR labels: `Sigma rule`, `ATT&CK tactic`, `ATT&CK technique`. */
  labels?: IncidentLabel[];
  /** Each rule's title, level and description, for the analyst. */
  details?: string;
}

/** Okta severity → XSOAR severity (contract §5). Anything else is 0 (unknown). */
export const DEFAULT_SEVERITY: Readonly<Record<string, number>> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

/** Parses and checks `severity_map` (JSON text: event type → integer 0–4). */
export function parseSeverityMap(text: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (text === undefined || text === null || (typeof text === 'string' && text.trim() === '')) return out;
  let doc: unknown;
  try {
    doc = typeof text === 'string' ? JSON.parse(text) : text;
  } catch (e) {
    throw new ConfigError(`severity_map is not valid JSON (${(e as Error).message}); expected e.g. {"security.threat.detected":4}`, 'severity_map');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('severity_map must be a JSON object of event type → severity, e.g. {"security.threat.detected":4}', 'severity_map');
  for (const [type, v] of Object.entries(doc as Record<string, unknown>)) {
    if (!type.trim()) throw new ConfigError('severity_map has an empty event type', 'severity_map');
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 4)
      throw new ConfigError(`severity_map: the severity of ${JSON.stringify(type)} must be an integer from 0 to 4 (XSOAR's scale), not ${JSON.stringify(v)}`, 'severity_map');
    out.set(type, v);
  }
  return out;
}

/** A stable id for an event: its uuid, or (for a malformed event without one) a hash of it. */
export function eventId(e: LogEvent, raw?: string): string {
  if (typeof e.uuid === 'string' && e.uuid !== '') return e.uuid;
  return `sha256:${createHash('sha256')
    .update(raw ?? JSON.stringify(e))
    .digest('hex')
    .slice(0, 32)}`;
}

export function incidentName(e: LogEvent): string {
  const type = typeof e.eventType === 'string' && e.eventType ? e.eventType : 'okta.event';
  const msg = typeof e.displayMessage === 'string' && e.displayMessage.trim() ? e.displayMessage.trim() : '';
  const who = e.actor && typeof e.actor.alternateId === 'string' && e.actor.alternateId && e.actor.alternateId !== 'unknown' ? e.actor.alternateId : '';
  return `${type}${msg ? `: ${msg}` : ''}${who ? ` (${who})` : ''}`;
}

export interface IncidentOptions {
  severityMap: Map<string, number>;
  incidentType?: string;
}

/** One System Log event → one incident. Secrets this process knows never reach the output. */
export function toIncident(e: LogEvent, opts: IncidentOptions): Incident {
  const raw = JSON.stringify(e);
  const severity = opts.severityMap.get(e.eventType) ?? DEFAULT_SEVERITY[String(e.severity ?? '').toUpperCase()] ?? 0;
  const inc: Incident = {
    name: redactString(incidentName(e)),
    occurred: typeof e.published === 'string' ? e.published : '',
    severity,
    rawJSON: redactString(raw),
    dbotMirrorId: eventId(e, raw),
  };
  if (opts.incidentType) inc.type = opts.incidentType;
  return inc;
}
