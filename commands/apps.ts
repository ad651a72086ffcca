import type { CommandContext, Handler } from '../integration/engine/command.js';
import { ArgumentError, NotFoundError } from '../integration/base/errors.js';
import { contextKey, tableToMarkdown } from '../integration/engine/results.js';
import { forEachUser } from './bulk.js';
import { compact, resolveUserId } from './common.js';
import { resolveGroup } from './groups.js';
import { pickByName, withCursor } from './lists.js';
import { collect } from '../integration/okta/paging.js';
import { readEachUser } from './rows.js';

export interface OktaApp {
  id: string;
  name: string;
  label: string;
  status: string;
  signOnMode?: string;
  created?: string;
  lastUpdated?: string;
  [k: string]: unknown;
}

interface OktaAppUser {
  id: string;
  scope?: string;
  status?: string;
  syncState?: string;
  created?: string;
  lastUpdated?: string;
  statusChanged?: string | null;
  credentials?: { userName?: string } | null;
  profile?: { email?: string | null } | null;
  [k: string]: unknown;
}

/** Okta IAM's path for applications (XSOAR's Okta IAM integration writes Okta.Application). */
export const APP_KEY = contextKey('Okta.Application', 'ID');
const APP_USER_KEY = 'Okta.AppUser(val.AppID && val.AppID === obj.AppID && val.UserID === obj.UserID)';

export function appContext(a: OktaApp): Record<string, unknown> {
  return compact({ ID: a.id, Name: a.name, Label: a.label, Status: a.status, SignOnMode: a.signOnMode, Created: a.created, LastUpdated: a.lastUpdated });
}

export interface ResolvedApp {
  id: string;
  label?: string;
}

/**
 * The application named by appId or appName (its label, as the Admin Console shows it, or its
 * technical name). Okta's `q=` is a prefix match on both, so the hits are filtered to an exact
 * match; none is an error (never a request to /apps/None), several too.
 */
export async function resolveApp(ctx: CommandContext, args: Record<string, unknown> = ctx.args): Promise<ResolvedApp> {
  if (typeof args.appId === 'string') return { id: args.appId };
  const name = args.appName;
  if (typeof name !== 'string') throw new ArgumentError('one of appId or appName is required', 'appId', 'requireOneOf');
  const found: OktaApp[] = [];
  for await (const page of ctx.okta.pages<OktaApp>({ method: 'GET', path: '/api/v1/apps', query: { q: name, limit: 200 } })) found.push(...page.data);
  const { hit, ambiguous } = pickByName(found, name, (a) => [a.label, a.name]);
  if (ambiguous) throw new ArgumentError(`several Okta applications are named "${name}" (${ambiguous.map((a) => `${a.id} ${a.label}`).join(', ')}); use appId`, 'appName', 'ambiguous');
  if (!hit) throw new NotFoundError(`the application "${name}" was not found in Okta`);
  return { id: hit.id, label: hit.label };
}

const appLabel = (a: ResolvedApp) => (a.label ? `"${a.label}" (${a.id})` : a.id);

const APP_HEADERS = ['ID', 'Label', 'Name', 'Status', 'SignOnMode', 'Created', 'LastUpdated'];

export const listApps: Handler = async (ctx) => {
  const { args } = ctx;
  const got = await collect<OktaApp>(
    ctx,
    { method: 'GET', path: '/api/v1/apps', query: { q: args.query as string, filter: args.filter as string, after: args.after as string } },
    Number(args.limit ?? 200),
    200,
  );
  const rows = got.items.map(appContext);
  const result = got.items.length
    ? { readable: tableToMarkdown(`Okta applications (${got.items.length})`, rows, APP_HEADERS), raw: got.items, context: { [APP_KEY]: rows } }
    : { readable: 'No applications found in Okta', raw: [] };
  return withCursor(result, got, { key: 'Okta.ApplicationCursor(true)', command: 'okta-list-apps' });
};

export const listAppUsers: Handler = async (ctx) => {
  const { args } = ctx;
  const app = await resolveApp(ctx);
  const got = await collect<OktaAppUser>(
    ctx,
    { method: 'GET', path: '/api/v1/apps/{appId}/users', pathParams: { appId: app.id }, query: { q: args.query as string, after: args.after as string } },
    Number(args.limit ?? 200),
    500,
  );
  const rows = got.items.map((u) =>
    compact({
      AppID: app.id,
      UserID: u.id,
      UserName: u.credentials?.userName,
      Email: u.profile?.email ?? undefined,
      Scope: u.scope,
      Status: u.status,
      SyncState: u.syncState,
      Created: u.created,
      LastUpdated: u.lastUpdated,
    }),
  );
  const result = got.items.length
    ? {
        readable: tableToMarkdown(`Users assigned to Okta application ${appLabel(app)} (${rows.length})`, rows, ['UserID', 'UserName', 'Email', 'Scope', 'Status', 'SyncState', 'LastUpdated']),
        raw: got.items,
        context: { [APP_USER_KEY]: rows },
      }
    : { readable: `No users are assigned to the Okta application ${appLabel(app)}`, raw: [] };
  return withCursor(result, got, { key: 'Okta.AppUserCursor(true)', command: 'okta-list-app-users' });
};

export const assignUserToApp: Handler = async (ctx) => {
  const app = await resolveApp(ctx);
  return forEachUser(ctx, `assign to application ${appLabel(app)}`, 'Okta.AppAssignment', async (ref) => {
    const user = await resolveUserId(ctx, ref);
    const res = await ctx.okta.request<OktaAppUser>({ method: 'POST', path: '/api/v1/apps/{appId}/users', pathParams: { appId: app.id }, body: { id: user.id, scope: 'USER' } });
    return { UserID: user.id, Username: user.login ?? ref.username ?? ref.userEmail, Result: res.data?.status ? `done (${res.data.status})` : 'done' };
  });
};

export const unassignUserFromApp: Handler = async (ctx) => {
  const app = await resolveApp(ctx);
  return forEachUser(ctx, `unassign from application ${appLabel(app)}`, 'Okta.AppAssignment', async (ref) => {
    const user = await resolveUserId(ctx, ref);
    await ctx.okta.request({ method: 'DELETE', path: '/api/v1/apps/{appId}/users/{userId}', pathParams: { appId: app.id, userId: user.id }, query: { sendEmail: false }, responseType: 'text' });
    return { UserID: user.id, Username: user.login ?? ref.username ?? ref.userEmail, Result: 'done' };
  });
};

/** okta-assign-group-to-app: both names are resolved before anything is assigned. */
export const assignGroupToApp: Handler = async (ctx) => {
  const group = await resolveGroup(ctx);
  const app = await resolveApp(ctx);
  const res = await ctx.okta.request({ method: 'PUT', path: '/api/v1/apps/{appId}/groups/{groupId}', pathParams: { appId: app.id, groupId: group.id }, body: {} });
  const g = group.name ? `"${group.name}" (${group.id})` : group.id;
  return {
    readable: `Group ${g} was assigned to the Okta application ${appLabel(app)}.`,
    raw: res.data,
    context: { 'Okta.AppGroupAssignment(val.AppID && val.AppID === obj.AppID && val.GroupID === obj.GroupID)': compact({ AppID: app.id, GroupID: group.id, GroupName: group.name, AppLabel: app.label }) },
  };
};

interface OktaAppLink {
  label?: string;
  appName?: string;
  appInstanceId?: string;
  appAssignmentId?: string;
  linkUrl?: string;
  hidden?: boolean;
}

/** okta-get-user-app-links: the apps each user named can sign in to (their Okta dashboard), with the assignment behind each. */
export const getUserAppLinks: Handler = async (ctx) => {
  const { items, failures } = await readEachUser(ctx, async (user) => {
    const res = await ctx.okta.request<OktaAppLink[]>({ method: 'GET', path: '/api/v1/users/{id}/appLinks', pathParams: { id: user.id } });
    return Array.isArray(res.data) ? res.data : [];
  });
  const rows = items.map(({ user, item }) =>
    compact({ UserID: user.id, Username: user.login, Label: item.label, AppName: item.appName, AppInstanceID: item.appInstanceId, AppAssignmentID: item.appAssignmentId, LinkURL: item.linkUrl, Hidden: item.hidden }),
  );
  const main = rows.length
    ? {
        readable: tableToMarkdown(`Okta app links (${rows.length})`, rows, ['Username', 'Label', 'AppName', 'AppInstanceID', 'AppAssignmentID', 'Hidden']),
        raw: items.map((i) => ({ userId: i.user.id, ...i.item })),
        context: { 'Okta.AppLink(val.UserID && val.UserID === obj.UserID && val.AppAssignmentID === obj.AppAssignmentID && val.Label === obj.Label)': rows },
      }
    : { readable: 'These users have no app links in Okta.', raw: [] };
  return [main, ...failures];
};
