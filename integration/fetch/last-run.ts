import { createHash } from 'node:crypto';
import { SecurityError } from '../base/errors.js';
import { checkOwnUrl } from '../okta/url.js';

/** The System Log endpoint: the only place a stored cursor may point to. */
export const LOGS_PATH = /^\/api\/v1\/logs$/;

/** Okta's largest System Log page. */
export const MAX_PAGE = 1000;

/**
 * Uuids kept beyond those the cursor page needs: the last events returned, a guard against an
 * event Okta repeats across a page boundary. Cheap, and never wrong: a uuid names one event.
 */
export const SEEN_TAIL = 100;

/** The most uuids a lastRun holds: the head of the cursor's page (≤ one page) plus the tail. */
export const MAX_SEEN = MAX_PAGE + SEEN_TAIL;

export type ResetReason = 'filter_changed' | 'org_changed' | 'cursor_rejected' | 'invalid_last_run';

/**
 * What one fetch cycle hands to the next. The design (why it returns every event once):
 *
 * - `cursor` is the URL of the page to read next: the first polling query of this history
 *   (`since`, `sortOrder=ASCENDING`, `limit`, `filter`, no `until`), or a `next` link exactly as
 *   Okta gave it. A polling query walks the log in persistence order and its `next` link is a
 *   position in that order, so events persisted late (with an older `published`) and events
 *   sharing one millisecond are all still ahead of it; nothing is keyed on `published`.
 * - The cursor moves past a page only once every event of that page has been returned.
 *   When `max_fetch` ends a cycle inside a page, the cursor stays on that page and `seen` holds
 *   the uuids of the part already returned; the next cycle reads the same page again (same
 *   position, same events) and skips them. We chose this over stashing the rest of the page in
 *   lastRun: uuids cost 36 bytes where events cost kilobytes, so lastRun stays under ~50 kB
 *   (≤ 1,100 uuids, `latestSeen`'s few, one URL) whatever the page size, and no event is held
 *   between cycles. Bounds: latestSeen ≤ 1,000; previousSeen ≤ 2,100, only until a continuing
 *   history first catches up.
 * - `fingerprint` (org + filter) ties the cursor to the query it came from. A changed org starts
 *   a new history from `first_fetch`, and says so. A changed filter (`fetch_query_filter`, or the
 *   event types the rules read: a rule added, removed or retyped, a new default rule) starts a new
 *   history that CONTINUES the old one (continuationPoint): its first polling query's `since` is
 *   the old history's `latestPublished` (the exact millisecond; its `historyStart` when nothing
 *   was returned, or for a lastRun written before latestPublished was used), and the uuids the old
 *   history returned from its first event of that millisecond on (`latestSeen`) and last (`seen`)
 *   come along in `previousSeen`: an event already returned is skipped when that query lists it
 *   again. Events of the new filter from that point on are evaluated by the new rules (none was
 *   delivered before), open windows of unchanged correlation rules keep counting.
 *   Not covered at a filter change: an event of the new filter published before the continuation
 *   point (the rules apply from that point on), and an event Okta persisted late that the old
 *   history returned before its latest-published event and that is not among its last 100 (then
 *   it may come again, recognisable by its dbotMirrorId).
 */
export interface FetchLastRun {
  version: 1;
  /** The org this history reads (`https://acme.okta.com`). */
  org: string;
  /** sha256 of org and filter (hex, 16 characters). */
  fingerprint: string;
  /** URL of the next page to read: our first polling query, or Okta's own `next` link. */
  cursor: string;
  /** Uuids already returned from the cursor's page, plus the last few returned (≤ MAX_SEEN). */
  seen: string[];
  /** `since` of this history's first query (ISO 8601). */
  historyStart: string;
  /** The last cycle read up to an empty page: nothing was waiting. */
  caughtUp: boolean;
  /** Incidents returned in this history so far. */
  fetched: number;
  /**
   * The latest `published` returned so far. Never used to read on within a history; a changed
   * filter continues from it (see above).
   */
  latestPublished?: string;
  /**
   * Uuids the previous history returned last (its `seen`), when this one continues it after a
   * filter change: skipped too, until this history first catches up (by then its cursor is past
   * every event persisted before the change). Absent otherwise.
   */
  previousSeen?: string[];
  /**
   * Uuids of the events returned from the first one published at `latestPublished` on (at most
   * MAX_PAGE; usually a few): what a changed filter's query from that millisecond could list again.
   */
  latestSeen?: string[];
  /** Why and when the current history began anew, when it did not begin with an empty lastRun. */
  reset?: { reason: ResetReason; at: string; detail: string };
  /** The last cycle stopped early (rate limit, Okta error, network); the cursor resumes exactly there. */
  error?: { at: string; message: string };
  /**
   * The correlation rules' open windows (gzipped JSON, base64), counted up to `cursor`: saved with
   * it, so a restart neither loses a half-counted window nor fires one twice. Absent without
   * correlation rules.
   */
  windows?: string;
}

export function fingerprintOf(org: string, filter: string): string {
  return createHash('sha256').update(`${org}\n${filter}`).digest('hex').slice(0, 16);
}

export type LastRunCheck =
  | { kind: 'fresh' }
  | { kind: 'resume'; run: FetchLastRun }
  | { kind: 'new-history'; reason: ResetReason; detail: string }
  /** Same org, another filter: a new history continuing `previous` from `from` (epoch ms). */
  | { kind: 'continue'; reason: 'filter_changed'; detail: string; previous: FetchLastRun; from: number };

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/**
 * Decides whether a lastRun continues this query. An empty lastRun (XSOAR's first run) is a
 * fresh start; anything else that is not a lastRun of ours for this org and filter starts a new
 * history with a reason to report.
 */
export function checkLastRun(raw: unknown, org: string, fingerprint: string): LastRunCheck {
  if (raw === undefined || raw === null || (typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0)) return { kind: 'fresh' };
  const r = raw as Partial<FetchLastRun>;
  if (
    typeof raw !== 'object' ||
    Array.isArray(raw) ||
    r.version !== 1 ||
    typeof r.cursor !== 'string' ||
    typeof r.org !== 'string' ||
    typeof r.fingerprint !== 'string' ||
    !isStringArray(r.seen) ||
    typeof r.historyStart !== 'string'
  )
    return { kind: 'new-history', reason: 'invalid_last_run', detail: 'the stored lastRun is not one this version of okta-soar wrote' };
  if (r.org !== org) return { kind: 'new-history', reason: 'org_changed', detail: `the saved history reads ${r.org}, not ${org}` };
  if (r.fingerprint !== fingerprint) {
    const previous = sanitize(r as FetchLastRun);
    const from = continuationPoint(previous);
    if (from === undefined) return { kind: 'new-history', reason: 'invalid_last_run', detail: 'the stored lastRun is not one this version of okta-soar wrote (no time to continue from)' };
    return { kind: 'continue', reason: 'filter_changed', detail: 'the saved history was read with another filter', previous, from };
  }
  try {
    const u = checkOwnUrl(org, r.cursor, LOGS_PATH);
    // Only a polling query's cursor keeps the guarantee (a bounded one is ordered by published).
    if (u.searchParams.has('until') || /^DESCENDING$/i.test(u.searchParams.get('sortOrder') ?? '')) throw new SecurityError('not a polling query');
  } catch (e) {
    if (!(e instanceof SecurityError)) throw e;
    return { kind: 'new-history', reason: 'invalid_last_run', detail: `the stored cursor is not a System Log polling URL of ${org}` };
  }
  return { kind: 'resume', run: sanitize(r as FetchLastRun) };
}

/** The fields of a structurally checked lastRun, bounded; what is not ours is left out. */
function sanitize(r: FetchLastRun): FetchLastRun {
  const run: FetchLastRun = {
    version: 1,
    org: r.org,
    fingerprint: r.fingerprint,
    cursor: r.cursor,
    seen: r.seen.slice(-MAX_SEEN),
    historyStart: r.historyStart,
    caughtUp: r.caughtUp === true,
    fetched: typeof r.fetched === 'number' && Number.isFinite(r.fetched) ? r.fetched : 0,
  };
  if (typeof r.latestPublished === 'string') run.latestPublished = r.latestPublished;
  if (isStringArray(r.previousSeen)) run.previousSeen = r.previousSeen.slice(-(MAX_SEEN + MAX_PAGE));
  if (isStringArray(r.latestSeen)) run.latestSeen = r.latestSeen.slice(0, MAX_PAGE);
  if (r.reset && typeof r.reset === 'object') run.reset = r.reset;
  if (typeof r.windows === 'string') run.windows = r.windows;
  return run;
}

function timeOf(v: string | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Where a history continues `previous` after a filter change (epoch ms): its latest returned
 * `published`, exactly; its start when it returned nothing (or was written before latestPublished
 * was kept). Undefined when neither is a time.
 */
export function continuationPoint(previous: FetchLastRun): number | undefined {
  return timeOf(previous.latestPublished) ?? timeOf(previous.historyStart);
}

/**
 * The uuids a continuing history skips: those its predecessor returned from its latest
 * `published` on and last, and those it had itself carried when it did not catch up before the
 * filter changed again. Bounded by MAX_SEEN + MAX_PAGE.
 */
export function carriedSeen(previous: FetchLastRun): string[] {
  const out = new Set([...(previous.latestSeen ?? []), ...[...(previous.previousSeen ?? []), ...previous.seen].slice(-MAX_SEEN)]);
  return [...out];
}

/**
 * The uuids the next cycle needs: those of the cursor page's already returned head (when the
 * cycle stopped inside a page), then the last SEEN_TAIL returned. Bounded by MAX_SEEN.
 */
export function nextSeen(recent: readonly string[], pageHead: readonly string[]): string[] {
  if (!pageHead.length) return recent.slice(-SEEN_TAIL);
  const head = new Set(pageHead);
  const tail: string[] = [];
  for (let i = recent.length - 1; i >= 0 && tail.length < SEEN_TAIL; i--) if (!head.has(recent[i]!)) tail.push(recent[i]!);
  return [...tail.reverse(), ...pageHead.slice(-MAX_PAGE)];
}
