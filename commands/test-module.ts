import type { Handler } from '../integration/engine/command.js';
import { loadManifest } from '../integration/engine/manifest.js';
import { missingScopes } from '../integration/engine/scopes.js';

/** Checks URL, credentials and (under OAuth) scopes. First readable line: "ok". */
export const testModule: Handler = async (ctx) => {
  const lines: string[] = [];
  if (ctx.config.authMethod === 'api_token') {
    const me = await ctx.okta.request<{ profile?: { login?: string } }>({ method: 'GET', path: '/api/v1/users/me' });
    lines.push('ok', `Connected to ${ctx.okta.origin} with an API token of ${me.data?.profile?.login ?? 'an admin'}.`);
  } else {
    await ctx.okta.request({ method: 'GET', path: '/api/v1/users', query: { limit: 1 } });
    const d = ((await ctx.auth.describe?.()) ?? {}) as { tokenType?: string; grantedScopes?: string[] };
    const granted = new Set(d.grantedScopes ?? ctx.config.scopes);
    // Grouped by what is missing, so the line says what to grant for which commands.
    const byScopes = new Map<string, string[]>();
    for (const c of loadManifest().commands.values()) {
      const lacking = missingScopes(c.scopes, [...granted]);
      if (lacking.length) byScopes.set(lacking.join(' + '), [...(byScopes.get(lacking.join(' + ')) ?? []), c.name]);
    }
    const unavailable = [...byScopes].sort(([a], [b]) => a.localeCompare(b)).map(([scopes, names]) => `${scopes}: ${names.join(', ')}`);
    lines.push(
      'ok',
      ctx.config.authMethod === 'user'
        ? `Connected to ${ctx.okta.origin} as the analyst ${String((d as { user?: unknown }).user ?? '?')} (okta-soar login; token type ${d.tokenType ?? 'Bearer'}).`
        : `Connected to ${ctx.okta.origin} with OAuth 2.0 (token type ${d.tokenType ?? 'Bearer'}).`,
      `Granted scopes: ${[...granted].sort().join(' ')}`,
      unavailable.length ? `Commands unavailable with these scopes, by the scope they lack: ${unavailable.join('; ')}` : 'Every command is available with these scopes.',
    );
  }
  return { readable: lines.join('\n'), raw: { ok: true } };
};
