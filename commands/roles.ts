import type { Handler } from '../integration/engine/command.js';
import { tableToMarkdown } from '../integration/engine/results.js';
import { ACCOUNT_KEY, compact, resolveUserId, userRefFromArgs } from './common.js';

export interface OktaRole {
  id: string;
  label?: string;
  type?: string;
  status?: string;
  assignmentType?: string;
  created?: string;
  lastUpdated?: string;
  _links?: { assignee?: { href?: string } };
  [k: string]: unknown;
}

/** A role assignment as context and table rows show it (Account.Role, Okta.Group.Role). */
export function roleRow(r: OktaRole): Record<string, unknown> {
  return compact({ ID: r.id, Label: r.label, Type: r.type, Status: r.status, AssignmentType: r.assignmentType, Created: r.created, LastUpdated: r.lastUpdated });
}

export const ROLE_HEADERS = ['Label', 'Type', 'Status', 'AssignmentType', 'ID', 'Created'];

/** okta-list-user-roles: a user's admin roles (assigned directly or through a group), for investigations. */
export const listUserRoles: Handler = async (ctx) => {
  const ref = userRefFromArgs(ctx.args);
  const user = await resolveUserId(ctx, ref);
  const res = await ctx.okta.request<OktaRole[]>({ method: 'GET', path: '/api/v1/users/{userId}/roles', pathParams: { userId: user.id } });
  const roles = Array.isArray(res.data) ? res.data : [];
  const who = user.login ?? ref.username ?? ref.userEmail ?? user.id;
  const rows = roles.map(roleRow);
  return {
    readable: rows.length ? tableToMarkdown(`Okta admin roles of ${who} (${rows.length})`, rows, ROLE_HEADERS) : `${who} has no Okta admin roles.`,
    raw: roles,
    context: { [ACCOUNT_KEY]: { ID: user.id, Type: 'Okta', Role: rows } },
  };
};
