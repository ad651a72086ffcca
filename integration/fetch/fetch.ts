import { systemClock, type Clock } from '../base/clock.js';
import { resolveConfig } from '../engine/config.js';
import type { OktaConfig } from '../okta/config.js';
import { ArgumentError, ConfigError, OktaApiError } from '../base/errors.js';
import type { OktaResponse, Transport } from '../okta/types.js';
import { buildQuery, withPageLimit } from '../okta/url.js';
import { redactString } from '../base/redact.js';
import type { StateStore } from '../state/store.js';
import { clientForCall, type ClientPool } from '../okta/client-pool.js';
import { checkScopes } from '../engine/scopes.js';
import { oktaTime, parseTime } from '../base/time.js';
import type { Params } from '../engine/types.js';
import type { LogEvent } from '../okta/logs.js';
import type { OktaObserver } from '../okta/observer.js';
import { combineFilters, evaluateEvent, fetchRules, MAX_WINDOWS_BYTES, maxIncidentsPerEvent, packWindows, unpackWindows, type FetchRules } from './detection.js';
import { eventId, parseSeverityMap, type Incident } from './incidents.js';
import type { WindowState, WindowStateJSON } from './rules/index.js';
import { carriedSeen, checkLastRun, fingerprintOf, LOGS_PATH, MAX_PAGE, nextSeen, type FetchLastRun, type ResetReason } from './last-run.js';

const DAY = 86_400_000;
/** The System Log keeps 90 days; a `since` beyond that finds nothing older anyway. */
const RETENTION_MS = 90 * DAY;

export interface FetchOptions {
  /** Where OAuth tokens and the DPoP key live. Default: memory (the library touches no files). */
  state?: StateStore;
  clock?: Clock;
  /** Replace the HTTP transport (tests, benchmarks). */
  transport?: Transport;
  /** Stops the cycle between pages; what was fetched is returned with a lastRun that resumes after it. */
  signal?: AbortSignal;
  /** Events returned so far in this cycle, of at most `max_fetch`. */
  progress?: (done: number, total?: number, label?: string) => void;
  /** Warnings for the user (already redacted); they are in the result's `warnings` too. */
  warn?: (message: string) => void;
  debug?: (line: string) => void;
  /** Reuse clients (connections, rate budgets) across cycles: --follow and serve. */
  clients?: ClientPool;
  /** Sees every answer from Okta, rate-limit wait and token mint (serve's metrics). */
  observer?: OktaObserver;
}

/** Why a cycle ended. */
export type FetchStop = 'caught_up' | 'max_fetch' | 'error' | 'aborted';

export interface FetchResult {
  incidents: Incident[];
  lastRun: FetchLastRun;
  stop: FetchStop;
  warnings: string[];
}

/** What fetch-incidents reads from the configuration. */
export interface FetchSettings {
  /** The System Log filter: the rules' event types (and fetch_query_filter); null reads every event. */
  filter: string | null;
  /** The Sigma rules every event is evaluated on: fetch_rules, or the default rules. */
  rules: FetchRules;
  firstFetch: string;
  maxFetch: number;
  /** `limit` of a new history's first query; Okta keeps it in every `next` link. */
  pageLimit: number;
  severityMap: Map<string, number>;
  incidentType?: string;
}

/**
 * The settings of a cycle, rules included: every problem (a rule that cannot be evaluated, a bad
 * severity_map …) is thrown here, before any request.
 */
export function fetchSettings(cfg: OktaConfig): FetchSettings {
  const p = cfg.params;
  const userFilter = typeof p.fetch_query_filter === 'string' && p.fetch_query_filter.trim() ? p.fetch_query_filter.trim() : undefined;
  const maxFetch = Number(p.max_fetch ?? 1000);
  if (!Number.isInteger(maxFetch) || maxFetch < 1) throw new ConfigError('max_fetch must be a positive integer', 'max_fetch');
  const severityMap = parseSeverityMap(p.severity_map);
  const rules = fetchRules(p.fetch_rules);
  const s: FetchSettings = {
    filter: combineFilters(rules.ruleSet.logFilter(), userFilter),
    rules,
    firstFetch: String(p.first_fetch ?? '3 days'),
    maxFetch,
    pageLimit: Math.min(MAX_PAGE, maxFetch),
    severityMap,
  };
  if (typeof p.incidentType === 'string' && p.incidentType.trim()) s.incidentType = p.incidentType.trim();
  return s;
}

/** Default store for tokens when the caller names none: one per process, in memory. */

function firstFetchMs(s: FetchSettings, now: number): number {
  try {
    return parseTime(s.firstFetch, now, 'first_fetch');
  } catch (e) {
    if (e instanceof ArgumentError) throw new ConfigError(e.message, 'first_fetch');
    throw e;
  }
}

/**
 * A new history: the open ascending polling query (no `until`) from `since` (epoch ms; a new
 * history's is `first_fetch`), at most the System Log's retention back.
 */
function newHistory(cfg: OktaConfig, s: FetchSettings, fingerprint: string, since: number, now: number, warn: (m: string) => void, what: string): FetchLastRun {
  if (since < now - RETENTION_MS) {
    since = now - RETENTION_MS;
    warn(`${what} reaches beyond the System Log's 90-day retention; starting at ${oktaTime(since)}`);
  }
  const cursor = cfg.origin + '/api/v1/logs' + buildQuery({ since: oktaTime(since), sortOrder: 'ASCENDING', limit: s.pageLimit, filter: s.filter ?? undefined });
  return { version: 1, org: cfg.origin, fingerprint, cursor, seen: [], historyStart: oktaTime(since), caughtUp: false, fetched: 0 };
}

/** 400 E0000053 / E0000001 on a stored cursor: Okta no longer accepts it (too old, or its query is). */
function isRejectedCursor(e: unknown): e is OktaApiError {
  return e instanceof OktaApiError && e.status === 400 && (e.errorCode === 'E0000053' || e.errorCode === 'E0000001');
}

const RESET_WHY: Record<ResetReason, string> = {
  filter_changed: 'fetch_query_filter changed, or the event types the rules read did',
  org_changed: 'the Okta org changed',
  cursor_rejected: 'Okta no longer accepts the saved System Log cursor',
  invalid_last_run: 'the saved lastRun is not usable',
};

/** Events one cycle evaluates at most, when few of them make incidents (a cycle stays bounded in time). */
export const MAX_READ_PER_CYCLE = 10_000;

/**
 * One fetch-incidents cycle (contract §5, §6): reads System Log events after `lastRun`, evaluates
 * every Sigma rule on each (fetch_rules, or the default rules), and returns the incidents they
 * raise, at most `max_fetch`, with the lastRun that continues exactly after the last event read:
 * the cursor and the correlation windows move together. Touches no files (but the rule files).
 * Rejects (ConfigError, RuleLoadError, OktaApiError, RateLimitError, NetworkError …) only when
 * nothing could be read; a failure after some events returns their incidents, with a lastRun
 * that resumes right after them and `stop: 'error'`.
 */
export async function fetchIncidents(params: Params, lastRun?: unknown, options: FetchOptions = {}): Promise<FetchResult> {
  const clock = options.clock ?? systemClock;
  const warnings: string[] = [];
  const warn = (m: string) => {
    const line = redactString(m);
    warnings.push(line);
    options.warn?.(line);
  };
  const cfg = resolveConfig(params);
  if (cfg.authMethod === 'oauth') checkScopes('fetch-incidents', ['okta.logs.read'], cfg.scopes);
  const s = fetchSettings(cfg);
  const fingerprint = fingerprintOf(cfg.origin, s.filter ?? '');
  const check = checkLastRun(lastRun, cfg.origin, fingerprint);
  const ruleSet = s.rules.ruleSet;

  const startNewHistory = (reason: ResetReason | undefined, detail: string): FetchLastRun => {
    const run = newHistory(cfg, s, fingerprint, firstFetchMs(s, clock.now()), clock.now(), warn, `first_fetch (${s.firstFetch})`);
    if (reason) {
      run.reset = { reason, at: oktaTime(clock.now()), detail: redactString(detail) };
      warn(`${detail}: starting a new fetch history from first_fetch (${run.historyStart}). Events returned before may be returned again; their dbotMirrorId (uuid) identifies them.`);
    }
    return run;
  };
  let run: FetchLastRun;
  let resumed: boolean;
  // Correlation windows continue with the history they were counted in; a new history counts afresh.
  let state: WindowState = ruleSet.newState();
  if (check.kind === 'resume') {
    run = check.run;
    resumed = true;
    const { json, note } = unpackWindows(run.windows);
    if (note) warn(note);
    const restored = ruleSet.restoreState(json);
    for (const n of restored.notes) warn(n);
    state = restored.state;
  } else if (check.kind === 'continue') {
    // Same org, another filter (a rule or fetch_query_filter changed): the new history continues
    // where the old one stopped returning events, so nothing returned before comes again.
    const prev = check.previous;
    run = newHistory(cfg, s, fingerprint, check.from, clock.now(), warn, `the continuation point (${oktaTime(check.from)})`);
    const carried = carriedSeen(prev);
    if (carried.length) run.previousSeen = carried;
    if (prev.latestPublished !== undefined && check.from === Date.parse(prev.latestPublished)) run.latestPublished = oktaTime(check.from);
    const detail = redactString(`${RESET_WHY.filter_changed} (${check.detail})`);
    run.reset = { reason: 'filter_changed', at: oktaTime(clock.now()), detail: `${detail}; the history continues from ${run.historyStart}` };
    warn(
      `${detail}: the fetch history continues from ${run.historyStart}, where the previous one stopped (events returned before are not returned again). ` +
        'Events of the new filter published before that are not fetched: the rules apply from that point on.',
    );
    // Open windows of correlation rules that are still loaded, unchanged, keep counting (the others are dropped, with a note).
    const { json, note } = unpackWindows(prev.windows);
    if (note) warn(note);
    const restored = ruleSet.restoreState(json);
    for (const n of restored.notes) warn(n);
    state = restored.state;
    resumed = false;
  } else {
    run = check.kind === 'new-history' ? startNewHistory(check.reason, `${RESET_WHY[check.reason]} (${check.detail})`) : startNewHistory(undefined, '');
    resumed = false;
  }

  const { built, done } = await clientForCall(cfg, { ...options, clock });
  const incidents: Incident[] = [];
  const seen = new Set([...(run.previousSeen ?? []), ...run.seen]);
  /** Uuids in the order returned: the stored ones, then this cycle's. */
  const recent = [...run.seen];
  let cursor = run.cursor;
  /** Ids of the events before the stop point, when the cycle stopped inside the cursor's page. */
  let pageHead: string[] = [];
  let pagesRead = 0;
  let latestMs = run.latestPublished ? Date.parse(run.latestPublished) : NaN;
  /** Uuids returned from the first event published at latestMs on (bounded): lastRun.latestSeen. */
  let latestSeen = run.latestSeen ?? [];
  let stop: FetchStop;
  let failure: unknown;
  const incidentOpts = { severityMap: s.severityMap, shownFile: s.rules.shownFile, ...(s.incidentType ? { incidentType: s.incidentType } : {}) };
  /** Events evaluated this cycle. */
  let read = 0;
  const readLimit = Math.max(s.maxFetch, MAX_READ_PER_CYCLE);
  const perEvent = maxIncidentsPerEvent(ruleSet);
  try {
    for (;;) {
      if (options.signal?.aborted) {
        stop = 'aborted';
        break;
      }
      let res: OktaResponse<unknown>;
      try {
        // Pages of today's max_fetch: a history keeps the `limit` it started with in every next link, so
        // a raised max_fetch would cost several requests a cycle, a lowered one whole pages read for part
        // of them. Only the size changes; what was already returned is skipped by id.
        res = await built.client.requestUrl<unknown>('GET', withPageLimit(cursor, s.pageLimit), { allowedPath: LOGS_PATH });
      } catch (e) {
        if (resumed && pagesRead === 0 && isRejectedCursor(e)) {
          // Past retention (90 days) or otherwise refused: report it and start again from first_fetch.
          run = startNewHistory('cursor_rejected', `${RESET_WHY.cursor_rejected} (${e.message})`);
          resumed = false;
          seen.clear();
          recent.length = 0;
          delete run.previousSeen;
          cursor = run.cursor;
          latestMs = NaN;
          latestSeen = [];
          state = ruleSet.newState();
          continue;
        }
        failure = e;
        stop = 'error';
        break;
      }
      if (!Array.isArray(res.data)) {
        failure = new OktaApiError(res.status, 'GET', '/api/v1/logs', undefined, 'Okta returned something other than a list of events');
        stop = 'error';
        break;
      }
      pagesRead++;
      const events = res.data as LogEvent[];
      if (events.length === 0) {
        // Caught up. A polling query always has a next link, also here; it is the new cursor.
        if (res.nextUrl) cursor = res.nextUrl;
        stop = 'caught_up';
        break;
      }
      let i = 0;
      for (; i < events.length; i++) {
        const ev = events[i]!;
        if (!ev || typeof ev !== 'object') continue;
        const id = eventId(ev);
        if (seen.has(id)) continue; // already evaluated: the head of a page read again, or an Okta repeat
        if (incidents.length >= s.maxFetch || read >= readLimit) break;
        // Near max_fetch, an event could make more incidents than are left (its own and its
        // windows'): keep the windows as they were, to leave it, whole, to the next cycle.
        const snapshot = incidents.length && s.maxFetch - incidents.length < perEvent ? copyState(ruleSet.saveState(state)) : undefined;
        const made = evaluateEvent(ruleSet, ev, state, incidentOpts);
        if (snapshot && incidents.length + made.length > s.maxFetch) {
          state = ruleSet.restoreState(snapshot).state;
          break;
        }
        incidents.push(...made);
        read++;
        seen.add(id);
        recent.push(id);
        const t = typeof ev.published === 'string' ? Date.parse(ev.published) : NaN;
        if (!Number.isNaN(t) && !(t <= latestMs)) {
          latestMs = t;
          latestSeen = [id];
        } else if (latestSeen.length < MAX_PAGE) latestSeen.push(id);
      }
      if (i < events.length) {
        // max_fetch was reached inside this page: the cursor stays on it, and the ids of the part
        // already returned (this cycle's and earlier ones') go to lastRun so it is skipped next time.
        pageHead = idsOf(events.slice(0, i));
        stop = 'max_fetch';
        break;
      }
      if (!res.nextUrl) {
        // Never seen from a polling query. Every event of the page is returned; keep the cursor on
        // the page and all its ids, so the next cycle reads it again and returns nothing twice.
        pageHead = idsOf(events);
        failure = new OktaApiError(res.status, 'GET', '/api/v1/logs', undefined, 'Okta sent no next link for a System Log polling query');
        stop = 'error';
        break;
      }
      cursor = res.nextUrl;
      options.progress?.(incidents.length, s.maxFetch, 'incidents');
      if (incidents.length >= s.maxFetch || read >= readLimit) {
        stop = 'max_fetch';
        break;
      }
    }
  } finally {
    done();
  }

  if (stop === 'error' && read === 0) throw failure;
  const now = oktaTime(clock.now());
  run.cursor = cursor;
  // No page read: the cursor is still last cycle's page, whose returned head is in run.seen.
  run.seen = pagesRead === 0 ? run.seen : nextSeen(recent, pageHead);
  run.caughtUp = stop === 'caught_up';
  // Caught up, the cursor is past every event persisted before the filter changed: the previous history's uuids are done.
  if (run.caughtUp) delete run.previousSeen;
  run.fetched += incidents.length;
  if (!Number.isNaN(latestMs)) run.latestPublished = oktaTime(latestMs);
  if (latestSeen.length) run.latestSeen = latestSeen;
  else delete run.latestSeen;
  // The windows go in the same lastRun as the cursor: committed together, or not at all.
  delete run.windows;
  if (ruleSet.correlations.length) {
    const packed = packWindows(ruleSet.saveState(state));
    if (packed.length <= MAX_WINDOWS_BYTES) run.windows = packed;
    else warn(`the correlation windows outgrew ${MAX_WINDOWS_BYTES / 1024 / 1024} MiB in lastRun and were dropped; counting starts afresh`);
  }
  delete run.error;
  if (stop === 'error') {
    const message = redactString(failure instanceof Error ? failure.message : String(failure));
    run.error = { at: now, message };
    warn(`fetch stopped early after ${read} event${read === 1 ? '' : 's'}: ${message}. The next fetch resumes right after them.`);
  }
  return { incidents, lastRun: run, stop, warnings };
}

/** A deep copy of saved windows (the saved form shares its groups with the live state). */
function copyState(json: WindowStateJSON): WindowStateJSON {
  return JSON.parse(JSON.stringify(json)) as WindowStateJSON;
}

function idsOf(events: readonly LogEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) if (e && typeof e === 'object') out.push(eventId(e));
  return out;
}
