import type { Handler } from '../integration/engine/command.js';
import { OktaApiError } from '../integration/base/errors.js';
import { tableToMarkdown } from '../integration/engine/results.js';
import { ACCOUNT_KEY, accountContext, filterValue, USER_HEADERS, userRefFromArgs, userRow, verboseUserTables, describeRef, type OktaUser } from './common.js';
import { collect } from '../integration/okta/paging.js';

const PAGE = 200;

export function usersReadable(title: string, users: OktaUser[], verbose: boolean): string {
  if (!verbose) return tableToMarkdown(title, users.map(userRow), USER_HEADERS);
  return users
    .map((u) => {
      const t = verboseUserTables(u);
      return tableToMarkdown(`Okta user ${u.profile.login}: profile`, t.profile) + tableToMarkdown('Additional data', t.additional);
    })
    .join('\n');
}

export const getUser: Handler = async (ctx) => {
  const ref = userRefFromArgs(ctx.args);
  let user: OktaUser | undefined;
  if (ref.userEmail && !ref.userId && !ref.username) {
    const res = await ctx.okta.request<OktaUser[]>({ method: 'GET', path: '/api/v1/users', query: { filter: `profile.email eq ${filterValue(ref.userEmail)}`, limit: 2 } });
    user = res.data[0];
    if (res.data.length > 1) ctx.warn(`more than one user has the email ${ref.userEmail}; showing the first`);
  } else {
    try {
      user = (await ctx.okta.request<OktaUser>({ method: 'GET', path: '/api/v1/users/{id}', pathParams: { id: (ref.userId ?? ref.username)! } })).data;
    } catch (e) {
      if (!(e instanceof OktaApiError && e.status === 404)) throw e;
    }
  }
  // XSOAR parity: a missing user is a result, not an error.
  if (!user) return { readable: `User '${describeRef(ref)}' was not found.`, raw: null };
  return {
    readable: usersReadable(`Okta user ${user.profile.login}`, [user], ctx.args.verbose === true),
    raw: user,
    context: { [ACCOUNT_KEY]: accountContext(user) },
  };
};

export const listUsers: Handler = async (ctx) => {
  const { args } = ctx;
  const limit = Number(args.limit ?? PAGE);
  const query: Record<string, string | undefined> = {
    after: args.after as string | undefined,
    q: args.query as string | undefined,
    filter: args.filter as string | undefined,
    search: args.search as string | undefined,
  };
  const got = await collect<OktaUser>(ctx, { method: 'GET', path: '/api/v1/users', query }, limit, PAGE);
  const context: Record<string, unknown> = { [ACCOUNT_KEY]: got.items.map(accountContext) };
  let readable = usersReadable(`Okta users (${got.items.length})`, got.items, args.verbose === true);
  if (got.after) {
    context['Okta.User(val.tag)'] = { tag: got.after };
    readable += `\n### tag: ${got.after}\n`;
  }
  if (args.query) readable += '\nOkta does not page q= searches: this list may be cut. Use search= (or filter=) to page through every match.\n';
  return { readable, raw: got.items, context };
};

export const search: Handler = async (ctx) => {
  const { args } = ctx;
  const limit = Number(args.limit ?? PAGE);
  let users: OktaUser[];
  let note = '';
  if (args.advanced_search) {
    users = (await collect<OktaUser>(ctx, { method: 'GET', path: '/api/v1/users', query: { search: args.advanced_search as string } }, limit, PAGE)).items;
  } else {
    const res = await ctx.okta.request<OktaUser[]>({ method: 'GET', path: '/api/v1/users', query: { q: args.term as string, limit: Math.min(limit, PAGE) } });
    users = res.data;
    if (limit > PAGE || users.length === Math.min(limit, PAGE))
      note = '\nOkta does not page q= searches: this list may be cut. Use advanced_search= to page through every match.\n';
  }
  if (!users.length) return { readable: 'No users found in Okta', raw: [] };
  return {
    readable: usersReadable(`Okta users found (${users.length})`, users, args.verbose === true) + note,
    raw: users,
    context: { [ACCOUNT_KEY]: users.map(accountContext) },
  };
};

