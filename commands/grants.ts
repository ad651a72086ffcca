/** A user's OAuth 2.0 consent grants and the clients (apps) holding tokens for them. */
import type { Handler } from '../integration/engine/command.js';
import { ArgumentError } from '../integration/base/errors.js';
import { contextKey, tableToMarkdown } from '../integration/engine/results.js';
import { forEachUser } from './bulk.js';
import { compact, resolveUserId, userRefFromArgs } from './common.js';
import { listResult, pickByName } from './lists.js';
import { collect } from '../integration/okta/paging.js';
import { notFoundAs, readEachUser } from './rows.js';

interface OktaGrant {
  id: string;
  clientId?: string;
  userId?: string;
  scopeId?: string;
  issuer?: string;
  source?: string;
  status?: string;
  created?: string;
  lastUpdated?: string;
  createdBy?: { id?: string; type?: string };
  _links?: { client?: { title?: string } };
}

interface OktaClientResource {
  client_id: string;
  client_name?: string;
  client_uri?: string;
}

const GRANT_KEY = contextKey('Okta.Grant', 'ID');
const CLIENT_KEY = 'Okta.UserClient(val.UserID && val.UserID === obj.UserID && val.ClientID === obj.ClientID)';

/** okta-list-user-grants: the scopes a user consented to, per app (a consent-phishing app shows up here). */
export const listUserGrants: Handler = async (ctx) => {
  const ref = userRefFromArgs(ctx.args);
  const user = await resolveUserId(ctx, ref);
  const who = user.login ?? ref.username ?? ref.userEmail ?? user.id;
  let got;
  try {
    got = await collect<OktaGrant>(ctx, { method: 'GET', path: '/api/v1/users/{userId}/grants', pathParams: { userId: user.id }, query: { after: ctx.args.after as string } }, Number(ctx.args.limit ?? 200), 200);
  } catch (e) {
    throw notFoundAs(e, `user ${who}`);
  }
  const rows = got.items.map((g) =>
    compact({ ID: g.id, UserID: user.id, ClientID: g.clientId, Client: g._links?.client?.title, ScopeID: g.scopeId, Source: g.source, Status: g.status, Issuer: g.issuer, Created: g.created }),
  );
  return listResult(got, rows, { title: `Okta OAuth grants of ${who}`, empty: `${who} has no OAuth grants.`, headers: ['Client', 'ClientID', 'ScopeID', 'Source', 'Status', 'Created', 'ID'], key: GRANT_KEY, cursorKey: 'Okta.GrantCursor(true)', command: 'okta-list-user-grants' });
};

/** okta-revoke-user-grants: revokes every OAuth consent a user gave (apps must ask again). */
export const revokeUserGrants: Handler = (ctx) =>
  forEachUser(ctx, 'revoke grants', 'Okta.Lifecycle', async (ref) => {
    const user = await resolveUserId(ctx, ref);
    try {
      await ctx.okta.request({ method: 'DELETE', path: '/api/v1/users/{userId}/grants', pathParams: { userId: user.id }, responseType: 'text' });
    } catch (e) {
      throw notFoundAs(e, `user ${user.login ?? user.id}`);
    }
    return { UserID: user.id, Username: user.login ?? ref.username ?? ref.userEmail, Result: 'done (every OAuth consent grant revoked)' };
  });

async function clientsOf(ctx: Parameters<Handler>[0], userId: string): Promise<OktaClientResource[]> {
  const res = await ctx.okta.request<OktaClientResource[]>({ method: 'GET', path: '/api/v1/users/{userId}/clients', pathParams: { userId } });
  return Array.isArray(res.data) ? res.data : [];
}

/** okta-list-user-clients: the apps (OAuth clients) holding grants or tokens of each user named. */
export const listUserClients: Handler = async (ctx) => {
  const { items, failures } = await readEachUser(ctx, (user) => clientsOf(ctx, user.id));
  const rows = items.map(({ user, item }) => compact({ UserID: user.id, Username: user.login, ClientID: item.client_id, ClientName: item.client_name, ClientURI: item.client_uri }));
  const main = rows.length
    ? { readable: tableToMarkdown(`Okta OAuth clients of users (${rows.length})`, rows, ['Username', 'UserID', 'ClientName', 'ClientID', 'ClientURI']), raw: items.map((i) => ({ userId: i.user.id, ...i.item })), context: { [CLIENT_KEY]: rows } }
    : { readable: 'No OAuth clients hold grants or tokens of these users.', raw: [] };
  return [main, ...failures];
};

/**
 * okta-revoke-user-client-tokens: revokes the tokens one app (by client id, or its exact name
 * among the user's clients) holds for each user named; the app must sign the user in again.
 */
export const revokeUserClientTokens: Handler = async (ctx) => {
  const { args } = ctx;
  const clientId = args.clientId as string | undefined;
  const clientName = args.clientName as string | undefined;
  if ((clientId === undefined) === (clientName === undefined)) throw new ArgumentError('give one of clientId or clientName', 'clientId', 'requireOneOf');
  return forEachUser(ctx, `revoke tokens of ${clientId ?? `"${clientName}"`}`, 'Okta.Lifecycle', async (ref) => {
    const user = await resolveUserId(ctx, ref);
    const who = user.login ?? ref.username ?? ref.userEmail ?? user.id;
    let id = clientId;
    let label = clientId;
    if (clientName !== undefined) {
      const clients = await clientsOf(ctx, user.id).catch((e: unknown) => {
        throw notFoundAs(e, `user ${who}`);
      });
      const { hit, ambiguous } = pickByName(clients, clientName, (c) => [c.client_name]);
      if (ambiguous) throw new ArgumentError(`several of ${who}'s apps are named "${clientName}" (${ambiguous.map((c) => c.client_id).join(', ')}); use clientId`, 'clientName', 'ambiguous');
      // Nothing of this app's to revoke: say so plainly, it is not an error.
      if (!hit) return { UserID: user.id, Username: who, Result: `no grants or tokens of an app named "${clientName}"` };
      id = hit.client_id;
      label = `"${hit.client_name ?? clientName}" (${hit.client_id})`;
    }
    try {
      await ctx.okta.request({ method: 'DELETE', path: '/api/v1/users/{userId}/clients/{clientId}/tokens', pathParams: { userId: user.id, clientId: id! }, responseType: 'text' });
    } catch (e) {
      throw notFoundAs(e, `the app ${label} (or the user ${who})`);
    }
    return { UserID: user.id, Username: who, Result: `done (tokens of ${label} revoked)` };
  });
};
