import type { Handler } from '../integration/engine/command.js';
import { NotFoundError, OktaApiError } from '../integration/base/errors.js';
import { tableToMarkdown, type CommandResult } from '../integration/engine/results.js';
import { forEachUser } from './bulk.js';
import { ACCOUNT_KEY, accountContext, describeRef, requireUser, userRefFromArgs, type OktaUser } from './common.js';

/**
 * Okta-generated credentials (temporary passwords, reset links) are shown only when the analyst
 * asks (hide_password=false, reveal_url=true): the war room is shared and kept.
 */
/*
 * Action names avoid "password:" (as in "Okta expire password: alice"), which the redaction net
 * rightly takes for a secret and masks.
 */

/** Appends the table of generated credentials, or says they were hidden (and makes sure they stay so). */
function generatedTable(
  results: CommandResult[],
  title: string,
  column: string,
  noun: string,
  rows: Array<{ Username?: string; UserID?: string; value: string }>,
  show: boolean,
  showWith: string,
): void {
  if (!rows.length || !results[0]) return;
  if (!show) {
    // Never put anywhere, so nothing to mask.
    results[0].readable += `\nOkta generated ${rows.length === 1 ? `a ${noun}` : `${rows.length} ${noun}s`}, not shown: Okta will not show ${rows.length === 1 ? 'it' : 'them'} again. Run again with ${showWith} to generate ${rows.length === 1 ? 'one' : 'new ones'} that ${rows.length === 1 ? 'is' : 'are'} shown.\n`;
    return;
  }
  results[0].readable += '\n' + tableToMarkdown(title, rows.map((r) => ({ Username: r.Username, UserID: r.UserID, [column]: r.value })), ['Username', 'UserID', column]);
  results[0].raw = { results: results[0].raw, [column.replace(/\s+/g, '')]: rows.map((r) => ({ UserID: r.UserID, Username: r.Username, Value: r.value })) };
  // Asked for: the redaction layer leaves exactly these values visible (never in context).
  results[0].reveal = [...(results[0].reveal ?? []), ...rows.map((r) => r.value)];
}

/**
 * okta-set-password: sets the password an analyst chose. With temporary_password=true the user
 * must change it at the next sign-in (Okta's expire_password, which keeps the password just set).
 */
export const setPassword: Handler = async (ctx) => {
  const ref = userRefFromArgs(ctx.args);
  const key = ref.userId ?? ref.username ?? (await requireUser(ctx, ref)).id;
  let user: OktaUser;
  try {
    user = (
      await ctx.okta.request<OktaUser>({ method: 'POST', path: '/api/v1/users/{id}', pathParams: { id: key }, body: { credentials: { password: { value: ctx.args.password } } } })
    ).data;
  } catch (e) {
    if (e instanceof OktaApiError && e.status === 404) throw new NotFoundError(`user ${describeRef(ref)} was not found in Okta`);
    throw e;
  }
  const login = user.profile?.login ?? key;
  let readable = `${login} password was last changed on ${user.passwordChanged ?? 'an unknown date'}.`;
  if (ctx.args.temporary_password === true) {
    user = (await ctx.okta.request<OktaUser>({ method: 'POST', path: '/api/v1/users/{id}/lifecycle/expire_password', pathParams: { id: user.id }, idempotent: true })).data ?? user;
    readable += ` The password is temporary: ${login} must change it at the next sign-in (status ${user.status ?? 'PASSWORD_EXPIRED'}).`;
  }
  return { readable, raw: user, context: user.id ? { [ACCOUNT_KEY]: accountContext(user) } : undefined };
};

/**
 * okta-expire-password: the user must choose a new password at the next sign-in. With
 * temporary_password=true Okta also generates a temporary password (hidden unless
 * hide_password=false); revoke_session=true ends the user's sessions too.
 */
export const expirePassword: Handler = async (ctx) => {
  const { args } = ctx;
  const temp = args.temporary_password === true;
  const revoke = args.revoke_session === true;
  const accounts: Record<string, unknown>[] = [];
  const generated: Array<{ Username?: string; UserID?: string; value: string }> = [];
  const results = await forEachUser(ctx, 'password expiry', 'Okta.Lifecycle', async (ref) => {
    const user = await requireUser(ctx, ref);
    const base = { UserID: user.id, Username: user.profile.login };
    let after: OktaUser = { ...user, status: 'PASSWORD_EXPIRED' };
    const notes: string[] = [];
    if (temp) {
      const res = await ctx.okta.request<Partial<OktaUser> & { tempPassword?: string }>({
        method: 'POST',
        path: '/api/v1/users/{id}/lifecycle/expire_password_with_temp_password',
        pathParams: { id: user.id },
        query: { revokeSessions: revoke },
      });
      const { tempPassword, ...rest } = res.data ?? {};
      if (rest.id) after = rest as OktaUser;
      if (tempPassword) {
        generated.push({ ...base, value: tempPassword });
        notes.push(args.hide_password === false ? 'temporary password below' : 'temporary password hidden');
      }
      if (revoke) notes.push('sessions revoked');
    } else {
      const res = await ctx.okta.request<OktaUser>({ method: 'POST', path: '/api/v1/users/{id}/lifecycle/expire_password', pathParams: { id: user.id }, idempotent: true });
      if (res.data?.id) after = res.data;
      if (revoke) {
        await ctx.okta.request({ method: 'DELETE', path: '/api/v1/users/{id}/sessions', pathParams: { id: user.id } });
        notes.push('sessions revoked');
      }
    }
    accounts.push(accountContext(after));
    return { ...base, Result: `done (${after.status}${notes.length ? `; ${notes.join('; ')}` : ''})` };
  });
  if (accounts.length && results[0]) results[0].context = { ...results[0].context, [ACCOUNT_KEY]: accounts };
  generatedTable(results, 'Okta temporary passwords', 'Temporary Password', 'temporary password', generated, args.hide_password === false, 'hide_password=false');
  return results;
};

/**
 * okta-reset-password: starts Okta's reset-password flow. With sendEmail=true (default) Okta
 * emails the user; with sendEmail=false it returns a one-time reset link (hidden unless
 * reveal_url=true).
 */
export const resetPassword: Handler = async (ctx) => {
  const { args } = ctx;
  const sendEmail = args.sendEmail !== false;
  const generated: Array<{ Username?: string; UserID?: string; value: string }> = [];
  const results = await forEachUser(ctx, 'password reset', 'Okta.Lifecycle', async (ref) => {
    const user = await requireUser(ctx, ref);
    const base = { UserID: user.id, Username: user.profile.login };
    const res = await ctx.okta.request<{ resetPasswordUrl?: string }>({
      method: 'POST',
      path: '/api/v1/users/{id}/lifecycle/reset_password',
      pathParams: { id: user.id },
      query: { sendEmail, revokeSessions: args.revokeSessions === true ? true : undefined },
    });
    if (res.data?.resetPasswordUrl) generated.push({ ...base, value: res.data.resetPasswordUrl });
    const what = sendEmail ? 'reset email sent' : res.data?.resetPasswordUrl ? `reset link ${args.reveal_url === true ? 'below' : 'hidden'}` : 'reset started';
    return { ...base, Result: `done (${what}${args.revokeSessions === true ? '; sessions revoked' : ''})` };
  });
  generatedTable(results, 'Okta password reset links', 'Reset Link', 'reset link', generated, args.reveal_url === true, 'reveal_url=true');
  return results;
};
