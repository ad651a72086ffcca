/**
 * The System Log as a stream of pages, for scripts (library API): the query, argument rules,
 * auth, rate budget, retries and redaction of `okta-get-logs`, without building one result that
 * holds everything. Each page's successor is requested before the page is handed over, so the
 * caller's work on a page overlaps Okta's work on the next. Nothing is kept once a page is handed
 * over.
 */
import { prepareArgs } from './args.js';
import { systemClock, type Clock } from '../base/clock.js';
import { resolveConfig } from './config.js';
import { ArgumentError, SoarError } from '../base/errors.js';
import { loadManifest } from './manifest.js';
import { clientForCall, type ClientPool } from '../okta/client-pool.js';
import type { Transport } from '../okta/types.js';
import { redact, redactParsed, redactString } from '../base/redact.js';
import { checkScopes } from './scopes.js';
import type { StateStore } from '../state/store.js';
import type { Params } from './types.js';
import { LOG_PAGE, logQuery, type LogEvent } from '../okta/logs.js';
import { pagesOf } from '../okta/paging.js';

/** What to read: the arguments of `okta-get-logs`, with the same rules. */
export interface LogQuery {
  /** Okta's filter expression, e.g. `eventType eq "user.session.start"`. */
  filter?: string;
  /** Okta's keyword search (`q`). */
  query?: string;
  /** ISO 8601, or relative: `7 days`, `2 hours ago`. */
  since?: string;
  until?: string;
  sortOrder?: 'ASCENDING' | 'DESCENDING';
  /** A cursor from an earlier page's `after`: continue right after it (replaces `since`). */
  after?: string;
  /** At most this many events in all (default: every event up to the end of the log). */
  limit?: number;
}

export interface LogPage {
  /** The page's events, redacted like every result. */
  events: LogEvent[];
  /** Continue exactly after this page with `{ after }` (undefined at the end of the log, or when a page had to be cut). */
  after?: string;
}

export interface ReadLogsOptions {
  /** Where OAuth tokens and the DPoP key live. Default: memory (the library touches no files). */
  state?: StateStore;
  clock?: Clock;
  /** Replace the HTTP transport (tests, benchmarks). */
  transport?: Transport;
  warn?: (message: string) => void;
  debug?: (line: string) => void;
  /** Reuse clients (connections, rate budgets) across calls. */
  clients?: ClientPool;
}

const NAME = 'readLogs';
const COMMAND = 'okta-get-logs';

/** An error as the caller sees it: ours, named after readLogs, with nothing secret in its message. */
function shown(e: unknown): unknown {
  if (!(e instanceof SoarError)) return e;
  const m = e.message.startsWith(`${COMMAND}:`) ? NAME + e.message.slice(COMMAND.length) : e.message.startsWith(`${NAME}:`) ? e.message : `${NAME}: ${e.message}`;
  e.message = redactString(m);
  return e;
}

/**
 * Reads the System Log page by page: `for await (const { events, after } of readLogs(params, { since: '1 day' }))`.
 * Ends at the end of the log (an empty page) or at `limit`. Rejects with ArgumentError (a bad
 * query, naming the argument), ConfigError, OktaApiError, RateLimitError or NetworkError; a
 * failure after some pages leaves the last `after` handed over as the place to resume.
 * Leaving the loop early (break) closes the connection.
 */
export async function* readLogs(params: Params, query: LogQuery = {}, options: ReadLogsOptions = {}): AsyncGenerator<LogPage, void, undefined> {
  const clock = options.clock ?? systemClock;
  /** Closes the read's own client (a pooled one stays open). */
  let done: (() => void) | undefined;
  try {
    if (query !== undefined && query !== null && (typeof query !== 'object' || Array.isArray(query)))
      throw new ArgumentError(`${NAME}: the query must be an object such as { since: '1 day' }`, undefined, 'object');
    const { limit, ...rest } = query ?? {};
    if (limit !== undefined && !(typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 1))
      throw new ArgumentError(`${NAME}: limit must be a positive integer, or left out to read to the end of the log`, 'limit', 'positive integer');
    const command = loadManifest().commands.get(COMMAND)!;
    // Validated as okta-get-logs arguments (its limit, at most 100,000 per command, does not apply to a stream).
    const args = prepareArgs(command, rest as Record<string, unknown>);
    const q = logQuery(args, clock.now(), { name: COMMAND });
    const cfg = resolveConfig(params);
    if (cfg.authMethod === 'oauth') checkScopes(NAME, command.scopes, cfg.scopes);
    const call = await clientForCall(cfg, { ...options, clock });
    done = call.done;
    const pages = pagesOf<LogEvent>(call.built.client, { method: 'GET', path: '/api/v1/logs', query: q }, limit ?? Number.MAX_SAFE_INTEGER, LOG_PAGE);
    for await (const page of pages) {
      if (!page.items.length) return;
      const out: LogPage = { events: page.text === undefined ? redact(page.items) : redactParsed(page.items, page.text) };
      if (page.after) out.after = page.after;
      yield out;
    }
  } catch (e) {
    throw shown(e);
  } finally {
    done?.();
  }
}
