import type { Handler } from '../integration/engine/command.js';
import { tableToMarkdown } from '../integration/engine/results.js';
import { ACCOUNT_KEY, compact, resolveUserId, userRefFromArgs } from './common.js';

interface OktaRole {
  id: string;
  label?: string;
  type?: string;
  status?: string;
  assignmentType?: string;
  created?: string;
  lastUpdated?: string;
  [k: string]: unknown;
}

/** okta-list-user-roles: a user's admin roles (assigned directly or through a group), for investigations. */
export const listUserRoles: Handler = async (ctx) => {
  const ref = userRefFromArgs(ctx.args);
  const user = await resolveUserId(ctx, ref);
  const res = await ctx.okta.request<OktaRole[]>({ method: 'GET', path: '/api/v1/users/{userId}/roles', pathParams: { userId: user.id } });
  const roles = Array.isArray(res.data) ? res.data : [];
  const who = user.login ?? ref.username ?? ref.userEmail ?? user.id;
  const rows = roles.map((r) =>
    compact({ ID: r.id, Label: r.label, Type: r.type, Status: r.status, AssignmentType: r.assignmentType, Created: r.created, LastUpdated: r.lastUpdated }),
  );
  return {
    readable: rows.length
      ? tableToMarkdown(`Okta admin roles of ${who} (${rows.length})`, rows, ['Label', 'Type', 'Status', 'AssignmentType', 'ID', 'Created'])
      : `${who} has no Okta admin roles.`,
    raw: roles,
    context: { [ACCOUNT_KEY]: { ID: user.id, Type: 'Okta', Role: rows } },
  };
};
