import type { CommandContext, Handler } from '../integration/engine/command.js';
import { ArgumentError, SecurityError } from '../integration/base/errors.js';
import { contextKey, tableToMarkdown, type CommandResult } from '../integration/engine/results.js';
import { compact, resolveUserId, userRefsFromArgs, type OktaUser } from './common.js';
import { eachItem, eachOutcome, notFoundAs, rowResults, type NamedUser, type Row } from './rows.js';

/** An API token's metadata as Okta lists it (the token itself is never shown again after creation). */
export interface OktaApiToken {
  id: string;
  name: string;
  userId: string;
  clientName?: string;
  created?: string;
  lastUpdated?: string;
  expiresAt?: string;
  tokenWindow?: string;
  network?: { connection?: string; include?: string[]; exclude?: string[] };
}

const TOKEN_KEY = contextKey('Okta.ApiToken', 'ID');
const REVOKED_KEY = contextKey('Okta.ApiTokenRevocation', 'ID');

async function allTokens(ctx: CommandContext): Promise<OktaApiToken[]> {
  const out: OktaApiToken[] = [];
  for await (const page of ctx.okta.pages<OktaApiToken>({ method: 'GET', path: '/api/v1/api-tokens' })) out.push(...(Array.isArray(page.data) ? page.data : []));
  return out;
}

/** What okta-soar knows about its own API token (only an SSWS configuration has one). */
interface OwnToken {
  /** Tokens that are certainly okta-soar's own. */
  ids: Set<string>;
  /** The admin the configured token acts as. */
  owner?: { id: string; login: string };
  /** That admin has several tokens and api_token_id does not say which is okta-soar's. */
  ambiguous: boolean;
}

/**
 * Finds okta-soar's own API token among `tokens`. Okta never shows a token again, so it is found
 * by its admin (`/users/me` answers with the token's admin): that admin's only token is it, and
 * `api_token_id` names it when the admin has several. Under OAuth there is none to protect.
 */
async function ownToken(ctx: CommandContext, tokens: OktaApiToken[]): Promise<OwnToken> {
  if (ctx.config.authMethod !== 'api_token') return { ids: new Set(), ambiguous: false };
  const me = (await ctx.okta.request<OktaUser>({ method: 'GET', path: '/api/v1/users/me' })).data;
  const configured = typeof ctx.config.params.api_token_id === 'string' ? ctx.config.params.api_token_id : undefined;
  const theirs = tokens.filter((t) => t.userId === me.id);
  const ids = new Set<string>(configured ? [configured] : []);
  if (theirs.length === 1) ids.add(theirs[0]!.id);
  return { ids, owner: { id: me.id, login: me.profile?.login ?? me.id }, ambiguous: !configured && theirs.length > 1 };
}

/** Why revoking `t` would cut okta-soar off from Okta, or undefined when it would not. */
function lockout(t: { id: string; userId?: string }, own: OwnToken): string | undefined {
  if (own.ids.has(t.id)) return `API token ${t.id} is the one okta-soar itself uses: revoking it would cut okta-soar off from Okta. Give okta-soar a new token first (OKTA_API_TOKEN), then revoke this one`;
  if (own.ambiguous && own.owner && t.userId === own.owner.id)
    return `API token ${t.id} belongs to ${own.owner.login}, whose rights okta-soar's own token carries, and okta-soar cannot tell which of their tokens it uses. Set OKTA_API_TOKEN_ID (api_token_id) to the id of okta-soar's token (Admin Console → Security → API → Tokens) and run this again`;
  return undefined;
}

function tokenRow(t: OktaApiToken, login: string | undefined, own: OwnToken): Record<string, unknown> {
  return compact({
    ID: t.id,
    Name: t.name,
    UserID: t.userId,
    Username: login,
    ClientName: t.clientName,
    Created: t.created,
    LastUsed: t.lastUpdated,
    ExpiresAt: t.expiresAt,
    TokenWindow: t.tokenWindow,
    Network: t.network?.connection,
    UsedByOktaSoar: own.ids.has(t.id) ? true : undefined,
  });
}

/** Logins of the tokens' admins, one look-up per admin (a deleted admin keeps only the id). */
async function ownerLogins(ctx: CommandContext, tokens: OktaApiToken[]): Promise<Map<string, string>> {
  const ids = [...new Set(tokens.map((t) => t.userId).filter(Boolean))];
  const outcomes = await eachOutcome(ctx, ids, 'admins', async (id) => (await ctx.okta.request<OktaUser>({ method: 'GET', path: '/api/v1/users/{id}', pathParams: { id } })).data);
  const out = new Map<string, string>();
  outcomes.forEach((o, i) => {
    if ('value' in o && o.value?.profile?.login) out.set(ids[i]!, o.value.profile.login);
  });
  return out;
}

/** The users named by the user arguments, each resolved once; the ones that could not be, as failed rows. */
async function namedUsers(ctx: CommandContext): Promise<{ users: NamedUser[]; failed: Row[] }> {
  const refs = userRefsFromArgs(ctx.args);
  const outcomes = await eachOutcome(ctx, refs, 'users', (ref) => resolveUserId(ctx, ref));
  const users: NamedUser[] = [];
  const failed: Row[] = [];
  outcomes.forEach((o, i) => {
    if ('value' in o) users.push(o.value);
    else failed.push({ ...compact({ UserID: refs[i]!.userId, Username: refs[i]!.username ?? refs[i]!.userEmail }), Result: o.error, ok: false });
  });
  return { users, failed };
}

const userGiven = (args: Record<string, unknown>) => ['userId', 'username', 'userEmail'].some((k) => args[k] !== undefined);

/** okta-list-api-tokens: every API token's metadata (or the tokens of the users named), with okta-soar's own marked. */
export const listApiTokens: Handler = async (ctx) => {
  let tokens = await allTokens(ctx);
  let scope = '';
  const failures: CommandResult[] = [];
  if (userGiven(ctx.args)) {
    const { users, failed } = await namedUsers(ctx);
    for (const f of failed) failures.push({ readable: `${ctx.command.name}: ${String(f.Username ?? f.UserID)}: ${f.Result}`, error: true });
    const ids = new Set(users.map((u) => u.id));
    tokens = tokens.filter((t) => ids.has(t.userId));
    scope = ` of ${users.map((u) => u.login ?? u.id).join(', ')}`;
  }
  const own = await ownToken(ctx, tokens);
  const logins = await ownerLogins(ctx, tokens);
  const rows = tokens.map((t) => tokenRow(t, logins.get(t.userId), own));
  if (!rows.length) return [{ readable: `No API tokens${scope} in Okta.`, raw: [] }, ...failures];
  let readable = tableToMarkdown(`Okta API tokens${scope} (${rows.length})`, rows, ['ID', 'Name', 'Username', 'UserID', 'Created', 'LastUsed', 'ExpiresAt', 'Network', 'UsedByOktaSoar']);
  if (own.ambiguous) readable += `\nokta-soar's own token is one of ${own.owner!.login}'s; set OKTA_API_TOKEN_ID to say which, so the others can be revoked.\n`;
  return [{ readable, raw: tokens, context: { [TOKEN_KEY]: rows } }, ...failures];
};

/**
 * okta-revoke-api-token: tokens by id, or every token of the users named. Every name is resolved
 * and every token checked before the first revocation: okta-soar's own token is refused (the
 * whole command, so nothing is half-done), an unknown id gets its own error row.
 */
export const revokeApiToken: Handler = async (ctx): Promise<CommandResult[]> => {
  const ids = (ctx.args.tokenId as string[] | undefined) ?? [];
  if (ids.length && userGiven(ctx.args)) throw new ArgumentError('give tokenId, or a user whose tokens to revoke, not both', 'tokenId', 'conflict');
  if (!ids.length && !userGiven(ctx.args)) throw new ArgumentError('one of tokenId, username, userId or userEmail is required', 'tokenId', 'requireOneOf');
  const tokens = await allTokens(ctx);
  const byId = new Map(tokens.map((t) => [t.id, t]));
  const { users, failed } = ids.length ? { users: [], failed: [] } : await namedUsers(ctx);
  // What to revoke: the ids given (an unlisted one is tried, and Okta's 404 reported), or each user's tokens.
  const targets: Array<{ id: string; token?: OktaApiToken }> = ids.length
    ? [...new Set(ids)].map((id) => ({ id, token: byId.get(id) }))
    : tokens.filter((t) => users.some((u) => u.id === t.userId)).map((t) => ({ id: t.id, token: t }));
  const own = await ownToken(ctx, tokens);
  const refused = targets.map((t) => lockout({ id: t.id, userId: t.token?.userId }, own)).filter((r): r is string => !!r);
  if (refused.length) throw new SecurityError(`refused, nothing was revoked: ${refused.join('; ')}`);
  const login = new Map(users.map((u) => [u.id, u.login]));
  const rows: Row[] = await eachItem(
    ctx,
    targets,
    'tokens',
    async ({ id, token }) => {
      try {
        await ctx.okta.request({ method: 'DELETE', path: '/api/v1/api-tokens/{apiTokenId}', pathParams: { apiTokenId: id }, responseType: 'text' });
      } catch (e) {
        throw notFoundAs(e, `API token ${id}`);
      }
      return { ...compact({ ID: id, Name: token?.name, UserID: token?.userId, Username: token ? login.get(token.userId) : undefined }), Result: 'revoked', ok: true };
    },
    ({ id, token }, message) => ({ ...compact({ ID: id, Name: token?.name, UserID: token?.userId }), Result: message, ok: false }),
  );
  rows.push(...failed);
  // A user with no token is said so (not an error: there is nothing of theirs to revoke).
  for (const u of users) if (!targets.some((t) => t.token?.userId === u.id)) rows.push({ UserID: u.id, Username: u.login, Result: 'no API tokens', ok: true });
  const done = rows.filter((r) => r.Result === 'revoked').length;
  const title = users.length ? `Okta API tokens revoked for ${users.map((u) => u.login ?? u.id).join(', ')}: ${done}` : `Okta API tokens revoked: ${done} of ${targets.length}`;
  return rowResults(ctx, title, REVOKED_KEY, rows, ['ID', 'Name', 'Username', 'UserID', 'Result'], (r) => r.ID ?? r.Username ?? r.UserID);
};
