import type { Handler } from '../integration/engine/command.js';
import { SecurityError } from '../integration/base/errors.js';
import { contextKey, tableToMarkdown } from '../integration/engine/results.js';
import { forEachUser } from './bulk.js';
import { ACCOUNT_KEY, compact, requireUser, resolveUserId, userRefFromArgs } from './common.js';

interface OktaFactor {
  id: string;
  factorType?: string;
  provider?: string;
  vendorName?: string;
  status?: string;
  created?: string;
  lastUpdated?: string;
  profile?: Record<string, unknown>;
  _embedded?: unknown;
  _links?: unknown;
}

interface VerifyAnswer {
  factorResult?: string;
  expiresAt?: string;
  _links?: { poll?: { href?: string } };
  _embedded?: { challenge?: { correctAnswer?: number } };
}

/**
 * The one shape a factor transaction (poll) URL may have. The transaction id is Okta's opaque
 * token, which can carry dots (Okta's own example: `v2mst.GldKV5VxTrifyeZmWSQguA`), but it
 * must start with a letter or digit, so `.` and `..` can never be a segment.
 */
export const FACTOR_TRANSACTION_PATH = /^\/api\/v1\/users\/[A-Za-z0-9]{1,64}\/factors\/[A-Za-z0-9]{1,64}\/transactions\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const FACTOR_RESULT_KEY = contextKey('Okta.FactorResult', 'ID');

function factorContext(f: OktaFactor): Record<string, unknown> {
  return compact({ ID: f.id, FactorType: f.factorType, Provider: f.provider, VendorName: f.vendorName, Status: f.status, Profile: f.profile, Created: f.created, LastUpdated: f.lastUpdated });
}

/** What identifies a factor to an analyst; the rest of its profile (a device's public keys …) stays in context. */
const PROFILE_SUMMARY = ['credentialId', 'name', 'deviceType', 'platform', 'phoneNumber', 'email', 'questionText', 'authenticatorName'];
function profileSummary(p?: Record<string, unknown>): string {
  if (!p) return '';
  return PROFILE_SUMMARY.filter((k) => p[k] !== undefined && p[k] !== null && p[k] !== '')
    .map((k) => `${k}: ${String(p[k])}`)
    .join(', ');
}

export const getUserFactors: Handler = async (ctx) => {
  const ref = userRefFromArgs(ctx.args);
  const user = await resolveUserId(ctx, ref);
  const res = await ctx.okta.request<OktaFactor[]>({ method: 'GET', path: '/api/v1/users/{userId}/factors', pathParams: { userId: user.id } });
  // _embedded can carry enrolment secrets (a pending TOTP factor's sharedSecret): never echoed.
  const factors = (Array.isArray(res.data) ? res.data : []).map(({ _embedded: _e, ...f }) => f);
  if (!factors.length) return { readable: 'No Factors found', raw: [] };
  const rows = factors.map(factorContext);
  const who = user.login ?? ref.username ?? ref.userEmail ?? user.id;
  return {
    readable: tableToMarkdown(
      `Okta factors of ${who} (${rows.length})`,
      factors.map((f, i) => ({ ...rows[i], Profile: profileSummary(f.profile) })),
      ['ID', 'FactorType', 'Provider', 'VendorName', 'Status', 'Profile', 'Created'],
    ),
    raw: factors,
    context: { [ACCOUNT_KEY]: { ID: user.id, Factor: rows } },
  };
};

export const resetFactor: Handler = async (ctx) => {
  const ref = userRefFromArgs(ctx.args);
  const user = await resolveUserId(ctx, ref);
  const factorId = ctx.args.factorId as string;
  await ctx.okta.request({ method: 'DELETE', path: '/api/v1/users/{userId}/factors/{factorId}', pathParams: { userId: user.id, factorId }, responseType: 'text' });
  return {
    readable: `Factor: ${factorId} deleted (user ${user.login ?? ref.username ?? ref.userEmail ?? user.id} must enroll it again).`,
    raw: { userId: user.id, factorId, deleted: true },
  };
};

/** okta-reset-factors: every factor of each user (Okta's lifecycle/reset_factors). */
export const resetFactors: Handler = (ctx) =>
  forEachUser(ctx, 'reset factors', 'Okta.Lifecycle', async (ref) => {
    const user = await requireUser(ctx, ref);
    // Resetting twice leaves the same state: safe to retry.
    await ctx.okta.request({ method: 'POST', path: '/api/v1/users/{id}/lifecycle/reset_factors', pathParams: { id: user.id }, idempotent: true });
    return { UserID: user.id, Username: user.profile.login, Result: 'done (every factor removed: the user must enroll again)' };
  });

/**
 * okta-verify-push-factor: sends a push and, with polling=true, polls Okta's transaction until
 * the user answers, never longer than polling_time × max_polling_calls seconds. When that time
 * is up while Okta still says WAITING the result is TIMEOUT, and the readable says so.
 */
export const verifyPushFactor: Handler = async (ctx) => {
  const { args } = ctx;
  const ref = userRefFromArgs(args);
  const user = await resolveUserId(ctx, ref);
  const factorId = args.factorId as string;
  const who = user.login ?? ref.username ?? ref.userEmail ?? user.id;
  const sent = await ctx.okta.request<VerifyAnswer>({ method: 'POST', path: '/api/v1/users/{userId}/factors/{factorId}/verify', pathParams: { userId: user.id, factorId } });
  let answer: VerifyAnswer = sent.data ?? {};
  let result = answer.factorResult ?? 'UNKNOWN';
  let pollUrl = answer._links?.poll?.href;
  const correct = answer._embedded?.challenge?.correctAnswer;
  const numberNote = correct !== undefined ? ` Okta Verify asks ${who} to pick the number ${correct}.` : '';
  const accountCtx = { [ACCOUNT_KEY]: { ID: user.id, VerifyPushResult: result } };

  if (args.polling === false || result !== 'WAITING' || !pollUrl) {
    const waiting = result === 'WAITING' && pollUrl;
    return {
      readable:
        `Push sent to ${who}; Okta says ${result}.${numberNote}` +
        (waiting ? `\nCheck the answer with: !okta-verify-mfa-status polling_url="${pollUrl}"` : ''),
      raw: answer,
      context: waiting ? { ...accountCtx, 'Okta.PollingStatusURL': pollUrl } : accountCtx,
    };
  }

  const intervalMs = Number(args.polling_time ?? 5) * 1000;
  const maxPolls = Number(args.max_polling_calls ?? 10);
  const budgetMs = intervalMs * maxPolls;
  const deadline = ctx.clock.now() + budgetMs;
  let polls = 0;
  while (result === 'WAITING' && pollUrl && polls < maxPolls) {
    const wait = Math.min(intervalMs, deadline - ctx.clock.now());
    if (wait <= 0) break;
    await ctx.clock.sleep(wait);
    polls++;
    answer = (await ctx.okta.requestUrl<VerifyAnswer>('GET', pollUrl, { allowedPath: FACTOR_TRANSACTION_PATH })).data ?? {};
    result = answer.factorResult ?? result;
    pollUrl = answer._links?.poll?.href ?? pollUrl;
  }
  if (result === 'WAITING') {
    // We stopped waiting; Okta did not time the push out. Say both.
    return {
      readable:
        `Push sent to ${who}: no answer within ${budgetMs / 1000} s (${polls} poll${polls === 1 ? '' : 's'}, ${intervalMs / 1000} s apart), so the result is TIMEOUT. ` +
        `Okta still reported WAITING: the user may answer until the push expires.${numberNote}` +
        (pollUrl ? `\nCheck later with: !okta-verify-mfa-status polling_url="${pollUrl}"` : ''),
      raw: answer,
      context: { [ACCOUNT_KEY]: { ID: user.id, VerifyPushResult: 'TIMEOUT' }, ...(pollUrl ? { 'Okta.PollingStatusURL': pollUrl } : {}) },
    };
  }
  return {
    readable: `Push sent to ${who}: ${result}${polls ? ` (after ${polls} poll${polls === 1 ? '' : 's'})` : ''}.${numberNote}`,
    raw: answer,
    context: { [ACCOUNT_KEY]: { ID: user.id, VerifyPushResult: result } },
  };
};

/** okta-verify-mfa-status: one GET of a factor transaction URL, accepted only on our org and in that one shape. */
export const verifyMfaStatus: Handler = async (ctx) => {
  const raw = String(ctx.args.polling_url);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SecurityError('refused a polling_url that is not a URL');
  }
  if (u.search || u.hash || u.username || u.password)
    throw new SecurityError('refused a polling_url with a query, fragment or credentials: it must be a factor transaction URL as Okta gave it');
  const res = await ctx.okta.requestUrl<VerifyAnswer>('GET', raw, { allowedPath: FACTOR_TRANSACTION_PATH });
  const [, userId, factorId] = /^\/api\/v1\/users\/([^/]+)\/factors\/([^/]+)\//.exec(u.pathname) ?? [];
  const factorResult = res.data?.factorResult ?? 'UNKNOWN';
  const row = { ID: factorId, factorResult, UserID: userId };
  return {
    readable: tableToMarkdown('Okta factor verification status', row, ['UserID', 'ID', 'factorResult']),
    raw: res.data,
    context: { [FACTOR_RESULT_KEY]: row },
  };
};
