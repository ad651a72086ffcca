/**
 * `GET /api/v1/logs` with Okta's two kinds of query:
 * - polling (no `until`, ASCENDING): events in persistence order, `since` on persistence time,
 *   and always a `rel="next"` link (also on an empty page) whose `after` is a position;
 * - bounded (`until` given, or DESCENDING): events ordered by `published` within
 *   [since, until), finite pages, no `next` after the last one.
 * Unfiltered pages cost O(limit); a filter or `q` scans.
 */
import { errors, oktaError, validationFailed } from './errors.js';
import type { LogEvent, LogStore, StoredEvent } from './log-store.js';
import { compileScim, parseScimFilter, scimLeaves, ScimParseError, type ScimPredicate } from './scim-filter.js';

const DAY = 86_400_000;

type Cursor =
  | { kind: 'poll'; pos: number }
  | { kind: 'bounded'; publishedMs: number; seq: number; sinceMs: number; untilMs: number; desc: boolean };

function encodeCursor(c: Cursor): string {
  const raw = c.kind === 'poll' ? `p.${c.pos}` : `b.${c.publishedMs}.${c.seq}.${c.sinceMs}.${c.untilMs}.${c.desc ? 1 : 0}`;
  return Buffer.from(raw).toString('base64url');
}

function decodeCursor(s: string): Cursor | undefined {
  let raw: string;
  try {
    raw = Buffer.from(s, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
  const parts = raw.split('.');
  const nums = parts.slice(1).map(Number);
  if (nums.some((n) => !Number.isInteger(n) || n < 0)) return undefined;
  if (parts[0] === 'p' && nums.length === 1) return { kind: 'poll', pos: nums[0]! };
  if (parts[0] === 'b' && nums.length === 5) return { kind: 'bounded', publishedMs: nums[0]!, seq: nums[1]!, sinceMs: nums[2]!, untilMs: nums[3]!, desc: nums[4] === 1 };
  return undefined;
}

function parseTime(name: string, v: string): number {
  // Okta accepts ISO 8601 (with or without milliseconds / offset).
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) {
    throw validationFailed(name, [`${name}: The date format in your query is not recognized. Please enter dates using ISO8601 string format.`]);
  }
  return ms;
}

/** Words of `q`: case-insensitive, every keyword must appear somewhere in the event's text fields. */
function keywordPredicate(q: string): ScimPredicate {
  const words = q.split(/\s+/).filter(Boolean).map((w) => w.toLowerCase());
  if (words.length > 10 || words.some((w) => w.length > 40)) {
    throw validationFailed('q', ['q: A maximum of 10 keywords of at most 40 characters each is allowed.']);
  }
  const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
  return (e) => {
    const parts: unknown[] = [
      at(e, 'eventType'),
      at(e, 'displayMessage'),
      at(e, 'legacyEventType'),
      at(e, 'outcome', 'result'),
      at(e, 'outcome', 'reason'),
      at(e, 'actor', 'id'),
      at(e, 'actor', 'alternateId'),
      at(e, 'actor', 'displayName'),
      at(e, 'client', 'ipAddress'),
      at(e, 'client', 'userAgent', 'rawUserAgent'),
      at(e, 'severity'),
    ];
    const targets = at(e, 'target');
    if (Array.isArray(targets)) for (const t of targets) parts.push(at(t, 'id'), at(t, 'alternateId'), at(t, 'displayName'));
    const text = parts.filter((p) => typeof p === 'string').join(' ').toLowerCase();
    return words.every((w) => text.includes(w));
  };
}

export interface LogsPage {
  events: StoredEvent[];
  /** The `after` value of the next link, when there is one. */
  nextAfter?: string;
}

export function queryLogs(store: LogStore, query: URLSearchParams, nowMs: number): LogsPage {
  const limitRaw = query.get('limit');
  let limit = 100;
  if (limitRaw !== null) {
    limit = /^-?\d+$/.test(limitRaw) ? Number(limitRaw) : NaN;
    if (!Number.isInteger(limit) || limit < 0 || limit > 1000) throw validationFailed('limit', ['limit: The limit must be an integer between 0 and 1000.']);
  }
  const sortOrder = (query.get('sortOrder') ?? 'ASCENDING').toUpperCase();
  if (sortOrder !== 'ASCENDING' && sortOrder !== 'DESCENDING') throw validationFailed('sortOrder', ['sortOrder: Must be ASCENDING or DESCENDING.']);
  const desc = sortOrder === 'DESCENDING';

  let predicate: ScimPredicate | undefined;
  const filter = query.get('filter');
  if (filter !== null && filter.trim() !== '') {
    try {
      const ast = parseScimFilter(filter);
      scimLeaves(ast, (leaf) => {
        if (leaf.path === 'published') throw new ScimParseError("'published' cannot be used in a filter; use since and until");
      });
      predicate = compileScim(ast);
    } catch (e) {
      if (e instanceof ScimParseError) throw errors.invalidSearch(`Invalid filter: ${e.message}`);
      throw e;
    }
  }
  const q = query.get('q');
  if (q !== null && q.trim() !== '') {
    const kw = keywordPredicate(q);
    const f = predicate;
    predicate = f ? (o) => f(o) && kw(o) : kw;
  }
  const match = (s: StoredEvent) => !predicate || predicate(s.event);

  const after = query.get('after');
  let cursor: Cursor | undefined;
  if (after !== null && after !== '') {
    cursor = decodeCursor(after);
    if (!cursor) throw validationFailed('after', ['after: The cursor is not valid.']);
  }
  const untilRaw = query.get('until');
  const sinceRaw = query.get('since');
  const polling = cursor ? cursor.kind === 'poll' : untilRaw === null && !desc;

  if (polling) {
    let pos: number;
    if (cursor?.kind === 'poll') {
      pos = Math.min(cursor.pos, store.size);
    } else {
      const sinceMs = sinceRaw !== null ? parseTime('since', sinceRaw) : nowMs - 7 * DAY;
      if (sinceMs < nowMs - 180 * DAY) throw oktaError(400, 'E0000001', 'Api validation failed: since', ['since: The since parameter must be within the last 180 days.']);
      pos = store.firstPersistedAtOrAfter(sinceMs);
    }
    const out: StoredEvent[] = [];
    const all = store.events;
    const end = all.length;
    while (pos < end && out.length < limit) {
      const s = all[pos++]!;
      if (match(s)) out.push(s);
    }
    return { events: out, nextAfter: encodeCursor({ kind: 'poll', pos }) };
  }

  // Bounded query, ordered by published.
  let sinceMs: number;
  let untilMs: number;
  if (cursor?.kind === 'bounded') {
    sinceMs = cursor.sinceMs;
    untilMs = cursor.untilMs;
  } else {
    untilMs = untilRaw !== null ? parseTime('until', untilRaw) : nowMs;
    sinceMs = sinceRaw !== null ? parseTime('since', sinceRaw) : untilMs - 7 * DAY;
    if (sinceMs < nowMs - 180 * DAY) throw oktaError(400, 'E0000001', 'Api validation failed: since', ['since: The since parameter must be within the last 180 days.']);
    if (sinceMs > untilMs) throw validationFailed('since', ['since: The since parameter must be before until.']);
  }
  const order = store.publishedOrder();
  const all = store.events;
  const out: StoredEvent[] = [];
  let last: StoredEvent | undefined;
  let more = false;
  if (!desc) {
    let i = cursor?.kind === 'bounded' ? store.lowerBoundPublished(cursor.publishedMs, cursor.seq + 1) : store.lowerBoundPublished(sinceMs, -1);
    for (; i < order.length; i++) {
      const s = all[order[i]!]!;
      if (s.publishedMs >= untilMs) break;
      if (!match(s)) continue;
      if (out.length === limit) {
        more = true;
        break;
      }
      out.push(s);
      last = s;
    }
  } else {
    let i = (cursor?.kind === 'bounded' ? store.lowerBoundPublished(cursor.publishedMs, cursor.seq) : store.lowerBoundPublished(untilMs, -1)) - 1;
    for (; i >= 0; i--) {
      const s = all[order[i]!]!;
      if (s.publishedMs < sinceMs) break;
      if (!match(s)) continue;
      if (out.length === limit) {
        more = true;
        break;
      }
      out.push(s);
      last = s;
    }
  }
  if (!more || !last) return { events: out };
  return { events: out, nextAfter: encodeCursor({ kind: 'bounded', publishedMs: last.publishedMs, seq: last.seq, sinceMs, untilMs, desc }) };
}

/** The page as JSON text (events serialised once per page). */
export function pageJson(events: readonly StoredEvent[]): string {
  if (events.length === 0) return '[]';
  let s = '[';
  for (let i = 0; i < events.length; i++) {
    if (i) s += ',';
    s += JSON.stringify(events[i]!.event as LogEvent);
  }
  return s + ']';
}
