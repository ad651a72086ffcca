import type { Handler } from '../integration/command.js';
import type { Args } from '../integration/types.js';
import { ArgumentError } from '../integration/errors.js';
import { tableToMarkdown } from '../integration/results.js';
import { oktaTime, parseTime } from '../integration/time.js';
import { collect } from './paging.js';

export interface LogEvent {
  uuid: string;
  published: string;
  eventType: string;
  displayMessage?: string | null;
  severity?: string;
  actor?: { id?: string; type?: string; alternateId?: string; displayName?: string } | null;
  client?: {
    userAgent?: { rawUserAgent?: string | null; os?: string | null; browser?: string | null } | null;
    device?: string | null;
    ipAddress?: string | null;
    geographicalContext?: { city?: string | null; state?: string | null; country?: string | null } | null;
  } | null;
  outcome?: { result?: string; reason?: string | null } | null;
  target?: Array<{ id?: string; type?: string; alternateId?: string; displayName?: string }> | null;
  request?: { ipChain?: Array<{ ip?: string | null }> | null } | null;
  [k: string]: unknown;
}

export const LOGS_KEY = 'Okta.Logs.Events(val.uuid && val.uuid === obj.uuid)';
/** The System Log's largest page. */
export const LOG_PAGE = 1000;

/** The preset System Log queries of XSOAR's Okta v2: one handler, configured by data. */
export const LOG_PRESETS: Record<string, { title: string; filter?: string }> = {
  'okta-get-logs': { title: 'Okta events' },
  'okta-get-failed-logins': { title: 'Failed login events', filter: 'eventType eq "user.session.start" and outcome.result eq "FAILURE"' },
  'okta-get-group-assignments': { title: 'Group assignment events', filter: 'eventType eq "group.user_membership.add"' },
  'okta-get-application-assignments': { title: 'Application assignment events', filter: 'eventType eq "application.user_membership.add"' },
  'okta-get-application-authentication': { title: 'Application authentication events', filter: 'eventType eq "user.authentication.sso"' },
};

/** XSOAR's readable row for an event (with its typo fixed: ActorAlternateId). */
export function logRow(e: LogEvent): Record<string, unknown> {
  const ua = e.client?.userAgent;
  return {
    Time: e.published,
    Actor: e.actor ? `${e.actor.displayName ?? ''} (${e.actor.type ?? ''})` : '',
    ActorAlternateId: e.actor?.alternateId,
    EventInfo: e.displayMessage,
    EventOutcome: e.outcome ? `${e.outcome.result ?? ''}${e.outcome.reason ? `: ${e.outcome.reason}` : ''}` : '',
    EventSeverity: e.severity,
    Client: `${ua?.browser ?? 'Unknown browser'} on ${ua?.os ?? 'Unknown OS'} ${e.client?.device ?? 'Unknown device'}`,
    RequestIP: e.client?.ipAddress,
    ChainIP: (e.request?.ipChain ?? []).map((c) => c.ip).filter(Boolean),
    Targets: (e.target ?? []).map((t) => `${t.displayName ?? ''} (${t.type ?? ''})`).join('\n'),
  };
}

const LOG_HEADERS = ['Time', 'Actor', 'ActorAlternateId', 'EventInfo', 'EventOutcome', 'EventSeverity', 'Client', 'RequestIP', 'ChainIP', 'Targets'];

/** The System Log query of one of the log commands, from its validated arguments (times resolved against `now`). */
export function logQuery(command: string, args: Args, now: number): Record<string, string | undefined> {
  const preset = LOG_PRESETS[command]!;
  const userFilter = args.filter as string | undefined;
  // A preset is AND-ed with the user's own filter, never replaced by it: the user's filter must
  // be one balanced expression, or `x") or (true` would step out of its parentheses.
  if (preset.filter && userFilter && !balancedOutsideQuotes(userFilter))
    throw new ArgumentError(`${command}: argument filter has unbalanced parentheses or an open quote`, 'filter', 'balanced');
  const filter = preset.filter && userFilter ? `(${preset.filter}) and (${userFilter})` : (preset.filter ?? userFilter);
  const query: Record<string, string | undefined> = {
    filter,
    q: args.query as string | undefined,
    since: args.since ? oktaTime(parseTime(String(args.since), now, 'since')) : undefined,
    until: args.until ? oktaTime(parseTime(String(args.until), now, 'until')) : undefined,
    sortOrder: args.sortOrder as string | undefined,
    after: args.after as string | undefined,
  };
  if (query.after) delete query.since; // Okta: since and after are mutually exclusive
  return query;
}

export function logQueryHandler(command: string): Handler {
  const preset = LOG_PRESETS[command]!;
  return async (ctx) => {
    const { args } = ctx;
    const query = logQuery(command, args, ctx.clock.now());
    const limit = Number(args.limit ?? 100);
    const got = await collect<LogEvent>(ctx, { method: 'GET', path: '/api/v1/logs', query }, limit, LOG_PAGE);
    if (!got.items.length) return { readable: 'No logs found', raw: [], context: got.after ? { 'Okta.LogsCursor(true)': { next: got.after } } : undefined };
    const context: Record<string, unknown> = { [LOGS_KEY]: got.items };
    if (got.after) context['Okta.LogsCursor(true)'] = { next: got.after };
    return {
      readable: tableToMarkdown(`${preset.title} (${got.items.length})`, got.items.map(logRow), LOG_HEADERS),
      raw: got.items,
      context,
    };
  };
}

/** True when every parenthesis outside "quoted strings" is matched and no quote is left open. */
export function balancedOutsideQuotes(expr: string): boolean {
  let depth = 0;
  let inQuote = false;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0 && !inQuote;
}
