import type { CommandContext, Handler } from '../integration/engine/command.js';
import { SecurityError } from '../integration/base/errors.js';
import { tableToMarkdown } from '../integration/engine/results.js';
import { APP_KEY, appContext, resolveApp, type OktaApp } from './apps.js';
import { notFoundAs } from './rows.js';

/** Okta's own apps: without the Admin Console no admin can sign in to undo anything. */
const OKTA_FIRST_PARTY = new Set(['saasure', 'okta_enduser', 'okta_browser_plugin']);

/** Why deactivating `app` would lock okta-soar or the admins out, or undefined. */
function lockout(ctx: CommandContext, app: OktaApp): string | undefined {
  const clientId = ctx.config.params.client_id;
  const oauthClient = (app.credentials as { oauthClient?: { client_id?: string } } | undefined)?.oauthClient?.client_id;
  if (ctx.config.authMethod !== 'api_token' && typeof clientId === 'string' && (app.id === clientId || oauthClient === clientId))
    return `refused: "${app.label}" (${app.id}) is the app okta-soar signs in with (client id ${clientId}): deactivating it would cut okta-soar off from Okta`;
  if (OKTA_FIRST_PARTY.has(app.name)) return `refused: "${app.label}" (${app.id}) is one of Okta's own apps (${app.name}): deactivating it would lock every admin out of the org`;
  return undefined;
}

export const APP_TRANSITIONS: Record<string, { op: 'activate' | 'deactivate'; becomes: 'ACTIVE' | 'INACTIVE' }> = {
  'okta-activate-app': { op: 'activate', becomes: 'ACTIVE' },
  'okta-deactivate-app': { op: 'deactivate', becomes: 'INACTIVE' },
};

/**
 * Activating and deactivating applications: one mechanic, configured by data. The app is read
 * first (its status, its OAuth client): deactivating the app okta-soar signs in with, or one of
 * Okta's own, is refused; there is no force.
 */
export function appLifecycleHandler(command: string): Handler {
  const t = APP_TRANSITIONS[command]!;
  return async (ctx) => {
    const { id } = await resolveApp(ctx);
    let app: OktaApp;
    try {
      app = (await ctx.okta.request<OktaApp>({ method: 'GET', path: '/api/v1/apps/{appId}', pathParams: { appId: id } })).data;
    } catch (e) {
      throw notFoundAs(e, `the application ${id}`);
    }
    const label = `"${app.label}" (${app.id})`;
    if (app.status === t.becomes) return { readable: `The Okta application ${label} is already ${app.status}: nothing to do.`, raw: app, context: { [APP_KEY]: appContext(app) } };
    if (t.op === 'deactivate') {
      const refused = lockout(ctx, app);
      if (refused) throw new SecurityError(refused);
    }
    // A second activation or deactivation leaves the same state: safe to retry.
    await ctx.okta.request({ method: 'POST', path: `/api/v1/apps/{appId}/lifecycle/${t.op}`, pathParams: { appId: app.id }, responseType: 'text', idempotent: true });
    const after = { ...app, status: t.becomes };
    const note = t.op === 'deactivate' ? ' Nobody can sign in to it until it is activated again; its assignments are kept.' : '';
    return {
      readable: tableToMarkdown(`Okta application ${t.op}d: ${label} (${app.status} → ${t.becomes})`, appContext(after), ['ID', 'Label', 'Name', 'Status', 'SignOnMode']) + note,
      raw: after,
      context: { [APP_KEY]: appContext(after) },
    };
  };
}
