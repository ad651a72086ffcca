import type { CommandContext, Handler } from '../integration/engine/command.js';
import { ArgumentError, NotFoundError } from '../integration/base/errors.js';
import type { HttpMethod } from '../integration/okta/types.js';
import { contextKey, tableToMarkdown } from '../integration/engine/results.js';
import { forEachUser } from './bulk.js';
import { ACCOUNT_KEY, accountContext, filterValue, resolveUserId, userRefFromArgs, type OktaUser } from './common.js';
import { pickByName, qNote, withCursor } from './lists.js';
import { collect } from '../integration/okta/paging.js';
import { usersReadable } from './users.js';

export interface OktaGroup {
  id: string;
  created?: string;
  lastUpdated?: string;
  lastMembershipUpdated?: string;
  objectClass?: string[];
  type?: string;
  profile: { name: string; description?: string | null; [k: string]: unknown };
  _links?: unknown;
}

export const GROUP_KEY = contextKey('Okta.Group', 'ID');
/** okta-create-group's XSOAR path, kept because playbooks read it. */
export const OKTA_GROUP_KEY = contextKey('OktaGroup', 'ID');

/** XSOAR's group context (Okta.Group, Account.Group). */
export function groupContext(g: OktaGroup): Record<string, unknown> {
  return {
    ID: g.id,
    Created: g.created,
    ObjectClass: g.objectClass,
    LastUpdated: g.lastUpdated,
    LastMembershipUpdated: g.lastMembershipUpdated,
    Type: g.type,
    Name: g.profile?.name,
    Description: g.profile?.description ?? undefined,
  };
}

const GROUP_HEADERS = ['ID', 'Name', 'Description', 'Type', 'Created', 'LastUpdated', 'LastMembershipUpdated'];
const groupRow = (g: OktaGroup) => {
  const { ObjectClass: _oc, ...row } = groupContext(g);
  return row;
};

export interface ResolvedGroup {
  id: string;
  name?: string;
  /** The group object when resolving it fetched one. */
  group?: OktaGroup;
}

/**
 * The group named by groupId or groupName. A name is looked up with Okta's exact `search`
 * (`profile.name eq "…"`), across every page, never by `q=` prefix; no match is an error, and
 * so are several (APP_GROUPs imported from different directories may share a name).
 */
export async function resolveGroup(ctx: CommandContext, args: Record<string, unknown> = ctx.args): Promise<ResolvedGroup> {
  if (typeof args.groupId === 'string') return { id: args.groupId };
  const name = args.groupName;
  if (typeof name !== 'string') throw new ArgumentError('one of groupId or groupName is required', 'groupId', 'requireOneOf');
  const found: OktaGroup[] = [];
  for await (const page of ctx.okta.pages<OktaGroup>({ method: 'GET', path: '/api/v1/groups', query: { search: `profile.name eq ${filterValue(name)}`, limit: 200 } }))
    found.push(...page.data);
  const { hit, ambiguous } = pickByName(found, name, (g) => [g.profile?.name]);
  if (ambiguous)
    throw new ArgumentError(`several Okta groups are named "${name}" (${ambiguous.map((g) => `${g.id} ${g.type ?? ''}`.trim()).join(', ')}); use groupId`, 'groupName', 'ambiguous');
  if (!hit) throw new NotFoundError(`the group "${name}" was not found in Okta`);
  return { id: hit.id, name: hit.profile.name, group: hit };
}

const label = (g: ResolvedGroup) => (g.name ? `"${g.name}" (${g.id})` : g.id);

/** okta-list-groups: q, filter or search; pages past Okta's page size; cursor in Okta.GroupCursor.next. */
export const listGroups: Handler = async (ctx) => {
  const { args } = ctx;
  const got = await collect<OktaGroup>(
    ctx,
    { method: 'GET', path: '/api/v1/groups', query: { q: args.query as string, filter: args.filter as string, search: args.search as string, after: args.after as string } },
    Number(args.limit ?? 200),
    1000,
  );
  const result = got.items.length
    ? { readable: tableToMarkdown(`Okta groups (${got.items.length})`, got.items.map(groupRow), GROUP_HEADERS), raw: got.items, context: { [GROUP_KEY]: got.items.map(groupContext) } }
    : { readable: 'No groups found in Okta', raw: [] };
  return withCursor(result, got, { key: 'Okta.GroupCursor(true)', command: 'okta-list-groups' }, args.query ? [qNote('query', 'search= (or filter=)')] : []);
};

/** okta-get-groups: the groups a user belongs to, as Account.Group. */
export const getUserGroups: Handler = async (ctx) => {
  const ref = userRefFromArgs(ctx.args);
  const user = await resolveUserId(ctx, ref);
  // GET /users/{id}/groups takes no limit: Okta decides the page size; we cut at limit.
  const got = await collect<OktaGroup>(
    ctx,
    { method: 'GET', path: '/api/v1/users/{id}/groups', pathParams: { id: user.id }, query: { after: ctx.args.after as string } },
    Number(ctx.args.limit ?? 1000),
    1000,
    { sendLimit: false },
  );
  const who = user.login ?? ref.username ?? ref.userEmail ?? user.id;
  const result = {
    readable: got.items.length ? tableToMarkdown(`Okta groups of ${who} (${got.items.length})`, got.items.map(groupRow), GROUP_HEADERS) : `${who} is in no Okta group`,
    raw: got.items,
    context: { [ACCOUNT_KEY]: { ID: user.id, Type: 'Okta', Group: got.items.map(groupContext) } },
  };
  return withCursor(result, got, { key: 'Okta.UserGroupsCursor(true)', command: 'okta-get-groups' });
};

/** okta-get-group-members: the members of a group, as Account. */
export const getGroupMembers: Handler = async (ctx) => {
  const { args } = ctx;
  const group = await resolveGroup(ctx);
  const got = await collect<OktaUser>(
    ctx,
    { method: 'GET', path: '/api/v1/groups/{groupId}/users', pathParams: { groupId: group.id }, query: { after: args.after as string } },
    Number(args.limit ?? 1000),
    1000,
  );
  const result = got.items.length
    ? {
        readable: usersReadable(`Members of Okta group ${label(group)} (${got.items.length})`, got.items, args.verbose === true),
        raw: got.items,
        context: { [ACCOUNT_KEY]: got.items.map(accountContext) },
      }
    : { readable: `The Okta group ${label(group)} has no members`, raw: [] };
  return withCursor(result, got, { key: 'Okta.GroupMembersCursor(true)', command: 'okta-get-group-members' });
};

export const createGroup: Handler = async (ctx) => {
  const profile: Record<string, unknown> = { name: ctx.args.name };
  if (ctx.args.description !== undefined) profile.description = ctx.args.description;
  const g = (await ctx.okta.request<OktaGroup>({ method: 'POST', path: '/api/v1/groups', body: { profile } })).data;
  const c = groupContext(g);
  return {
    readable: tableToMarkdown(`Okta group created: ${g.profile?.name ?? String(ctx.args.name)}`, groupRow(g), GROUP_HEADERS),
    raw: g,
    context: { [OKTA_GROUP_KEY]: { ID: c.ID, Name: c.Name, Description: c.Description, Type: c.Type }, [GROUP_KEY]: c },
  };
};

/** okta-update-group: renames or re-describes an OKTA_GROUP (Okta replaces the profile, so the rest is kept from the current one). */
export const updateGroup: Handler = async (ctx) => {
  const resolved = await resolveGroup(ctx);
  const current =
    resolved.group ?? (await ctx.okta.request<OktaGroup>({ method: 'GET', path: '/api/v1/groups/{groupId}', pathParams: { groupId: resolved.id } })).data;
  const profile: Record<string, unknown> = { ...current.profile };
  if (ctx.args.name !== undefined) profile.name = ctx.args.name;
  if (ctx.args.description !== undefined) profile.description = ctx.args.description;
  const g = (await ctx.okta.request<OktaGroup>({ method: 'PUT', path: '/api/v1/groups/{groupId}', pathParams: { groupId: resolved.id }, body: { profile } })).data;
  return {
    readable: tableToMarkdown(`Okta group updated: ${g.profile?.name ?? String(profile.name)}`, groupRow(g), GROUP_HEADERS),
    raw: g,
    context: { [GROUP_KEY]: groupContext(g) },
  };
};

export const deleteGroup: Handler = async (ctx) => {
  const group = await resolveGroup(ctx);
  await ctx.okta.request({ method: 'DELETE', path: '/api/v1/groups/{groupId}', pathParams: { groupId: group.id }, responseType: 'text' });
  return { readable: `Okta group ${label(group)} was deleted.`, raw: { id: group.id, deleted: true } };
};

/** Adding and removing members: one mechanic, two verbs. */
const MEMBERSHIP: Record<string, { method: HttpMethod; verb: string }> = {
  'okta-add-to-group': { method: 'PUT', verb: 'add to' },
  'okta-remove-from-group': { method: 'DELETE', verb: 'remove from' },
};

export function membershipHandler(command: string): Handler {
  const m = MEMBERSHIP[command]!;
  return async (ctx) => {
    // The group is found (or not) before any user is touched.
    const group = await resolveGroup(ctx);
    return forEachUser(ctx, `${m.verb} group ${label(group)}`, 'Okta.GroupMembership', async (ref) => {
      const user = await resolveUserId(ctx, ref);
      await ctx.okta.request({ method: m.method, path: '/api/v1/groups/{groupId}/users/{userId}', pathParams: { groupId: group.id, userId: user.id }, responseType: 'text' });
      return { UserID: user.id, Username: user.login ?? ref.username ?? ref.userEmail, Result: 'done' };
    });
  };
}

export const MEMBERSHIP_COMMANDS = Object.keys(MEMBERSHIP);
