/** Identity Threat Protection: a user's risk level, and Universal Logout. */
import type { Handler } from '../integration/engine/command.js';
import { contextKey, tableToMarkdown } from '../integration/engine/results.js';
import { forEachUser } from './bulk.js';
import { compact, requireUser } from './common.js';
import { readEachUser } from './rows.js';

interface OktaUserRisk {
  riskLevel?: string;
  reason?: string;
}

const RISK_KEY = contextKey('Okta.UserRisk', 'UserID');

/** okta-get-user-risk: the risk level Okta's Identity Threat Protection holds for each user named. */
export const getUserRisk: Handler = async (ctx) => {
  const { items, failures } = await readEachUser(ctx, async (user) => [(await ctx.okta.request<OktaUserRisk>({ method: 'GET', path: '/api/v1/users/{userId}/risk', pathParams: { userId: user.id } })).data ?? {}]);
  const rows = items.map(({ user, item }) => compact({ UserID: user.id, Username: user.login, RiskLevel: item.riskLevel ?? 'NONE', Reason: item.reason }));
  if (!rows.length) return failures;
  return [
    { readable: tableToMarkdown(`Okta user risk (${rows.length})`, rows, ['Username', 'UserID', 'RiskLevel', 'Reason']), raw: items.map((i) => ({ userId: i.user.id, ...i.item })), context: { [RISK_KEY]: rows } },
    ...failures,
  ];
};

/**
 * okta-set-user-risk: sets users' risk level (Okta's upsertUserRisk). Entity risk policies act on
 * it: HIGH can end sessions or demand MFA at once, as the org's policy says.
 */
export const setUserRisk: Handler = async (ctx) => {
  const level = String(ctx.args.riskLevel);
  const reason = ctx.args.riskReason as string | undefined;
  const set: Record<string, unknown>[] = [];
  const results = await forEachUser(ctx, `set risk ${level}`, 'Okta.UserRiskChange', async (ref) => {
    const user = await requireUser(ctx, ref);
    const res = await ctx.okta.request<OktaUserRisk>({ method: 'PUT', path: '/api/v1/users/{userId}/risk', pathParams: { userId: user.id }, body: compact({ riskLevel: level, riskReason: reason }) });
    const now = res.data?.riskLevel ?? level;
    set.push(compact({ UserID: user.id, Username: user.profile.login, RiskLevel: now, Reason: res.data?.reason ?? reason }));
    return { UserID: user.id, Username: user.profile.login, Result: `done (${res.status === 201 ? 'risk set' : 'risk updated'}: ${now})` };
  });
  if (set.length && results[0]) results[0].context = { ...results[0].context, [RISK_KEY]: set };
  return results;
};

/**
 * okta-universal-logout: Okta's global token revocation for each user: every Okta session and
 * token ends, and apps that support Universal Logout sign the user out too.
 */
export const universalLogout: Handler = (ctx) =>
  forEachUser(ctx, 'universal logout', 'Okta.Lifecycle', async (ref) => {
    // Looked up first: Okta answers a subject it does not know with a bare 400.
    const user = await requireUser(ctx, ref);
    await ctx.okta.request({ method: 'POST', path: '/oauth2/v1/global-token-revocation', body: { sub_id: { format: 'opaque', id: user.id } }, responseType: 'text', idempotent: true });
    return { UserID: user.id, Username: user.profile.login, Result: 'done (Okta sessions and tokens revoked; apps with Universal Logout sign the user out)' };
  });
