import type { CommandContext, Handler } from '../integration/engine/command.js';
import { ArgumentError, NotFoundError, SecurityError } from '../integration/base/errors.js';
import { tableToMarkdown, type CommandResult } from '../integration/engine/results.js';
import { compact, resolveUserId, userRefsFromArgs, type OktaUser } from './common.js';
import { GROUP_KEY, resolveGroup, type ResolvedGroup } from './groups.js';
import { ROLE_HEADERS, roleRow, type OktaRole } from './roles.js';
import { eachItem, eachOutcome, notFoundAs, rowResults, type NamedUser, type Row } from './rows.js';

const REMOVAL_KEY = 'Okta.RoleRemoval(val.AssignmentID && val.AssignmentID === obj.AssignmentID && val.AssigneeID === obj.AssigneeID)';

/** Statuses in which a Super Administrator can still sign in and act (a locked-out one can be unlocked by recovery). */
const CAN_SIGN_IN = new Set(['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']);

/** Users with role assignments come in pages whose next link is in the body (`_links.next.href`). */
const ASSIGNEES_PATH = /^\/api\/v1\/iam\/assignees\/users$/;
interface AssigneesPage {
  value?: Array<{ id: string }>;
  _links?: { next?: { href?: string } };
}

/** The group a GROUP assignment comes from (its assignee link), when Okta says. */
function assigneeGroup(r: OktaRole): string | undefined {
  return /\/api\/v1\/groups\/([A-Za-z0-9]+)$/.exec(r._links?.assignee?.href ?? '')?.[1];
}

const describeRole = (r: OktaRole) => `${r.label ?? r.type} (${r.type})`;

async function rolesOf(ctx: CommandContext, kind: 'users' | 'groups', id: string): Promise<OktaRole[]> {
  const path = kind === 'users' ? '/api/v1/users/{id}/roles' : '/api/v1/groups/{id}/roles';
  const res = await ctx.okta.request<OktaRole[]>({ method: 'GET', path, pathParams: { id } });
  return Array.isArray(res.data) ? res.data : [];
}

/** The assignments that `roleId` or `roleType` names among `roles`. */
function matching(roles: OktaRole[], args: Record<string, unknown>): OktaRole[] {
  return typeof args.roleId === 'string' ? roles.filter((r) => r.id === args.roleId) : roles.filter((r) => r.type === args.roleType);
}

/** One CUSTOM assignment at most per removal by type: custom roles differ, and removing all at once is rarely meant. */
function checkCustom(direct: OktaRole[], who: string): void {
  if (direct.length > 1)
    throw new ArgumentError(`${who} has ${direct.length} custom role assignments (${direct.map((r) => `${r.id} ${r.label ?? ''}`.trim()).join(', ')}); name the one to remove with roleId`, 'roleType', 'ambiguous');
}

/** A removal about to be made: from one user (direct), or from a group (every member). */
interface Removal {
  role: OktaRole;
  userId?: string;
  groupId?: string;
}

/** The Super Administrators of the org who can sign in, each with their SUPER_ADMIN assignments. */
async function superAdmins(ctx: CommandContext): Promise<Array<{ id: string; login: string; roles: OktaRole[] }>> {
  const ids: string[] = [];
  let page = (await ctx.okta.request<AssigneesPage>({ method: 'GET', path: '/api/v1/iam/assignees/users', query: { limit: 100 } })).data;
  for (let n = 0; ; n++) {
    for (const v of page?.value ?? []) if (typeof v?.id === 'string') ids.push(v.id);
    const next = page?._links?.next?.href;
    if (!next || n >= 1000) break;
    page = (await ctx.okta.requestUrl<AssigneesPage>('GET', next, { allowedPath: ASSIGNEES_PATH })).data;
  }
  const outcomes = await eachOutcome(ctx, [...new Set(ids)], 'admins', async (id) => {
    const roles = (await rolesOf(ctx, 'users', id)).filter((r) => r.type === 'SUPER_ADMIN');
    if (!roles.length) return undefined;
    const u = (await ctx.okta.request<OktaUser>({ method: 'GET', path: '/api/v1/users/{id}', pathParams: { id } })).data;
    return CAN_SIGN_IN.has(u.status) ? { id, login: u.profile?.login ?? id, roles } : undefined;
  });
  // Counting cannot be partial: an admin we could not read might be the last one.
  const failed = outcomes.find((o) => 'error' in o);
  if (failed && 'error' in failed) throw new SecurityError(`refused, nothing was removed: okta-soar could not count the org's Super Administrators (${failed.error})`);
  return outcomes.flatMap((o) => ('value' in o && o.value ? [o.value] : []));
}

/**
 * Refuses removals that would leave the org without a Super Administrator who can sign in.
 * Checked for all the removals of one command together, before the first is made.
 */
async function keepLastSuperAdmin(ctx: CommandContext, removals: Removal[]): Promise<void> {
  const lost = removals.filter((r) => r.role.type === 'SUPER_ADMIN');
  if (!lost.length) return;
  const admins = await superAdmins(ctx);
  const gone = (userId: string, r: OktaRole) =>
    lost.some((x) => (x.userId !== undefined ? x.userId === userId && x.role.id === r.id : x.role.id === r.id || (r.assignmentType === 'GROUP' && assigneeGroup(r) === x.groupId)));
  const remaining = admins.filter((a) => a.roles.some((r) => !gone(a.id, r)));
  if (remaining.length) return;
  const now = admins.map((a) => a.login).join(', ') || 'none that can sign in';
  throw new SecurityError(
    `refused, nothing was removed: this would leave the org without a Super Administrator who can sign in (today: ${now}). Make another admin Super Administrator first`,
  );
}

/** okta-list-group-roles: the admin roles assigned to a group (every member holds them). */
export const listGroupRoles: Handler = async (ctx) => {
  const group = await resolveGroup(ctx);
  const roles = await rolesOf(ctx, 'groups', group.id).catch((e: unknown) => {
    throw notFoundAs(e, `group ${group.id}`);
  });
  const name = group.name ?? group.id;
  const rows = roles.map(roleRow);
  return {
    readable: rows.length ? tableToMarkdown(`Okta admin roles of group ${name} (${rows.length})`, rows, ROLE_HEADERS) : `The group ${name} has no Okta admin roles.`,
    raw: roles,
    context: { [GROUP_KEY]: compact({ ID: group.id, Name: group.name, Role: rows }) },
  };
};

function removalRow(assigneeType: 'USER' | 'GROUP', assigneeId: string | undefined, assignee: string | undefined, role: OktaRole | undefined, result: string, ok: boolean): Row {
  return { ...compact({ AssigneeType: assigneeType, AssigneeID: assigneeId, Assignee: assignee, RoleType: role?.type, Role: role?.label, AssignmentID: role?.id }), Result: result, ok };
}

/**
 * okta-remove-user-role: takes an admin role away from users, by assignment id or role type.
 * Every user is read first; a role held through a group is named (it is removed from the group);
 * removing the last Super Administrator is refused for the whole command before any change.
 */
export const removeUserRole: Handler = async (ctx): Promise<CommandResult[]> => {
  const { args } = ctx;
  if ((args.roleId === undefined) === (args.roleType === undefined)) throw new ArgumentError('give one of roleId (an assignment id) or roleType', 'roleType', 'requireOneOf');
  const refs = userRefsFromArgs(args);
  if (args.roleId !== undefined && refs.length > 1) throw new ArgumentError('a roleId is one user\'s assignment: name one user, or use roleType for several', 'roleId', 'oneUser');
  interface Plan {
    user: NamedUser;
    remove: OktaRole[];
    keptViaGroup: OktaRole[];
  }
  const planned = await eachOutcome(ctx, refs, 'users', async (ref): Promise<Plan> => {
    const user = await resolveUserId(ctx, ref);
    const who = user.login ?? user.id;
    const roles = await rolesOf(ctx, 'users', user.id).catch((e: unknown) => {
      throw notFoundAs(e, `user ${who}`);
    });
    const hits = matching(roles, args);
    const direct = hits.filter((r) => r.assignmentType !== 'GROUP');
    const viaGroup = hits.filter((r) => r.assignmentType === 'GROUP');
    if (typeof args.roleId === 'string' && !hits.length) throw new NotFoundError(`${who} has no role assignment ${args.roleId}`);
    if (!direct.length && viaGroup.length) {
      const groups = viaGroup.map((r) => assigneeGroup(r) ?? 'a group').join(', ');
      throw new ArgumentError(`${who} holds ${describeRole(viaGroup[0]!)} through group ${groups}, not directly: remove it from the group with okta-remove-group-role`, 'roleType', 'viaGroup');
    }
    if (args.roleType === 'CUSTOM') checkCustom(direct, who);
    return { user, remove: direct, keptViaGroup: viaGroup };
  });
  const plans = planned.flatMap((o) => ('value' in o ? [o.value] : []));
  await keepLastSuperAdmin(ctx, plans.flatMap((p) => p.remove.map((role) => ({ role, userId: p.user.id }))));
  const work = plans.flatMap((p) => p.remove.map((role) => ({ plan: p, role })));
  const rows = await eachItem(
    ctx,
    work,
    'roles',
    async ({ plan, role }) => {
      await ctx.okta.request({ method: 'DELETE', path: '/api/v1/users/{userId}/roles/{roleAssignmentId}', pathParams: { userId: plan.user.id, roleAssignmentId: role.id }, responseType: 'text' });
      const kept = plan.keptViaGroup.filter((r) => r.type === role.type);
      // The direct assignment is gone; one through a group still grants the role: not contained yet.
      if (kept.length) return removalRow('USER', plan.user.id, plan.user.login, role, `removed the direct assignment; still ${role.type} through group ${kept.map((r) => assigneeGroup(r) ?? '?').join(', ')} (okta-remove-group-role)`, false);
      return removalRow('USER', plan.user.id, plan.user.login, role, 'removed', true);
    },
    ({ plan, role }, message) => removalRow('USER', plan.user.id, plan.user.login, role, message, false),
  );
  planned.forEach((o, i) => {
    const ref = refs[i]!;
    if ('error' in o) rows.push(removalRow('USER', ref.userId, ref.username ?? ref.userEmail, undefined, o.error, false));
    else if (!o.value.remove.length) rows.push(removalRow('USER', o.value.user.id, o.value.user.login, undefined, `no ${String(args.roleType)} role (nothing to remove)`, true));
  });
  const done = rows.filter((r) => r.Result === 'removed').length;
  return rowResults(ctx, `Okta admin roles removed: ${done} of ${rows.length}`, REMOVAL_KEY, rows, ['Assignee', 'AssigneeID', 'Role', 'RoleType', 'AssignmentID', 'Result'], (r) => r.Assignee ?? r.AssigneeID);
};

/** okta-remove-group-role: takes an admin role away from a group (so from every member who holds it only that way). */
export const removeGroupRole: Handler = async (ctx): Promise<CommandResult[]> => {
  const { args } = ctx;
  if ((args.roleId === undefined) === (args.roleType === undefined)) throw new ArgumentError('give one of roleId (an assignment id) or roleType', 'roleType', 'requireOneOf');
  const group: ResolvedGroup = await resolveGroup(ctx);
  const name = group.name ?? group.id;
  const roles = await rolesOf(ctx, 'groups', group.id).catch((e: unknown) => {
    throw notFoundAs(e, `group ${group.id}`);
  });
  const hits = matching(roles, args);
  if (typeof args.roleId === 'string' && !hits.length) throw new NotFoundError(`the group ${name} has no role assignment ${args.roleId}`);
  if (!hits.length) return [{ readable: `The group ${name} has no ${String(args.roleType)} role: nothing to remove.`, raw: { groupId: group.id, removed: [] } }];
  if (args.roleType === 'CUSTOM') checkCustom(hits, `the group ${name}`);
  await keepLastSuperAdmin(
    ctx,
    hits.map((role) => ({ role, groupId: group.id })),
  );
  const rows = await eachItem(
    ctx,
    hits,
    'roles',
    async (role) => {
      await ctx.okta.request({ method: 'DELETE', path: '/api/v1/groups/{groupId}/roles/{roleAssignmentId}', pathParams: { groupId: group.id, roleAssignmentId: role.id }, responseType: 'text' });
      return removalRow('GROUP', group.id, group.name, role, 'removed', true);
    },
    (role, message) => removalRow('GROUP', group.id, group.name, role, message, false),
  );
  return rowResults(ctx, `Okta admin roles removed from group ${name}`, REMOVAL_KEY, rows, ['Assignee', 'AssigneeID', 'Role', 'RoleType', 'AssignmentID', 'Result'], (r) => r.Assignee ?? r.AssigneeID);
};
