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
 *   (≤ 1,100 uuids and one URL) whatever the page size, and no event is held between cycles.
 * - `fingerprint` (org + filter) ties the cursor to the query it came from: a changed
 *   `fetch_query_filter` or org starts a new history from `first_fetch`, and says so.
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
  /** The latest `published` returned so far (informational; never used to query). */
  latestPublished?: string;
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

export type LastRunCheck = { kind: 'fresh' } | { kind: 'resume'; run: FetchLastRun } | { kind: 'new-history'; reason: ResetReason; detail: string };

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
  if (r.fingerprint !== fingerprint) return { kind: 'new-history', reason: 'filter_changed', detail: 'the saved history was read with another filter' };
  try {
    const u = checkOwnUrl(org, r.cursor, LOGS_PATH);
    // Only a polling query's cursor keeps the guarantee (a bounded one is ordered by published).
    if (u.searchParams.has('until') || /^DESCENDING$/i.test(u.searchParams.get('sortOrder') ?? '')) throw new SecurityError('not a polling query');
  } catch (e) {
    if (!(e instanceof SecurityError)) throw e;
    return { kind: 'new-history', reason: 'invalid_last_run', detail: `the stored cursor is not a System Log polling URL of ${org}` };
  }
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
  if (r.reset && typeof r.reset === 'object') run.reset = r.reset;
  if (typeof r.windows === 'string') run.windows = r.windows;
  return { kind: 'resume', run };
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
