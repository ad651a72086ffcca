import type { Handler } from '../integration/engine/command.js';
import { tableToMarkdown } from '../integration/engine/results.js';
import { LOG_PAGE, logQuery, type LogEvent } from '../integration/okta/logs.js';
import { collect } from '../integration/okta/paging.js';

export const LOGS_KEY = 'Okta.Logs.Events(val.uuid && val.uuid === obj.uuid)';
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

export function logQueryHandler(command: string): Handler {
  const preset = LOG_PRESETS[command]!;
  return async (ctx) => {
    const { args } = ctx;
    const query = logQuery(args, ctx.clock.now(), { name: command, filter: preset.filter });
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
