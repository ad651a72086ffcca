/** The System Log: Okta's event shape, its page size, and the query a log read sends. */
import { ArgumentError } from '../base/errors.js';
import { oktaTime, parseTime } from '../base/time.js';

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

/** The System Log's largest page. */
export const LOG_PAGE = 1000;

/**
 * The System Log query for validated okta-get-logs arguments (times resolved against `now`). A
 * preset's filter (okta-get-failed-logins …) is AND-ed with the caller's; `preset.name` names the
 * caller in errors.
 */
export function logQuery(args: Record<string, unknown>, now: number, preset: { name: string; filter?: string | undefined }): Record<string, string | undefined> {
  const command = preset.name;
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
