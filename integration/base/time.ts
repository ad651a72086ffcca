import { ArgumentError } from './errors.js';

const UNITS: Record<string, number> = {
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
  month: 2_592_000_000, months: 2_592_000_000,
};

/** Okta's timestamp format: ISO 8601 UTC with milliseconds. */
export function oktaTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Parses "3 days", "12 hours ago", "now" or an ISO 8601 time into epoch ms (UTC).
 * Relative times count back from `now`.
 */
export function parseTime(text: string, now: number, argName = 'time'): number {
  const s = text.trim();
  if (/^now$/i.test(s)) return now;
  const rel = /^(\d+)\s*([a-z]+)(\s+ago)?$/i.exec(s);
  if (rel) {
    const unit = UNITS[rel[2]!.toLowerCase()];
    if (unit) return now - Number(rel[1]) * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    // A time without a zone is UTC (never local time labelled as UTC).
    const iso = /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) || !s.includes('T') ? s : `${s}Z`;
    const ms = Date.parse(iso);
    if (Number.isFinite(ms)) return ms;
  }
  throw new ArgumentError(`${argName} must be an ISO 8601 time (2024-05-01T00:00:00Z) or a relative time such as "3 days"`, argName, 'time');
}
