/** Users, lifecycle, sessions, a user's groups/roles/appLinks, factors and push verification. */
import { errors, notFound, oktaError, validationFailed } from './errors.js';
import type { SandboxUser } from './model.js';
import { linkHeaders, pageAfter, parseLimit } from './paging.js';
import type { RouteRequest, RouteResult, Router } from './router.js';
import { compileScim, parseScimFilter, scimHasNot, scimLeaves, ScimParseError, type ScimNode } from './scim-filter.js';
import { userActor, userTarget } from './seed-logs.js';
import { appLinkJson, factorJson, groupJson, pushJson, roleJson, userJson } from './serialize.js';

const USER_FILTER_ATTRS = new Set(['status', 'lastUpdated', 'id', 'profile.login', 'profile.email', 'profile.firstName', 'profile.lastName']);

export const LIFECYCLE_OPS = [
  'activate',
  'reactivate',
  'deactivate',
  'suspend',
  'unsuspend',
  'unlock',
  'expire_password',
  'expire_password_with_temp_password',
  'reset_password',
  'reset_factors',
] as const;

function parseFilterOrThrow(src: string): ScimNode {
  try {
    return parseScimFilter(src);
  } catch (e) {
    if (e instanceof ScimParseError) throw errors.invalidSearch(e.message);
    throw e;
  }
}

function jsonBody(req: RouteRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined) return {};
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw errors.malformedBody();
  return b as Record<string, unknown>;
}

/** The user a path's `{id}` names; `me` is the API token's admin, or the signed-in user of a user's token. */
function pathUser(req: RouteRequest, name = 'id'): SandboxUser {
  const id = req.params[name]!;
  if (id === 'me') {
    if (req.principal.userId !== undefined) return req.org.users.get(req.principal.userId) ?? req.org.requireUser(req.principal.userId);
    if (req.principal.kind !== 'ssws') throw notFound('me', 'User');
    return req.org.users.get(req.org.adminUserId)!;
  }
  return req.org.requireUser(id);
}

function listUsers(req: RouteRequest): RouteResult {
  const { org, query } = req;
  const q = query.get('q');
  const search = query.get('search');
  const filter = query.get('filter');
  if (search && filter) throw errors.searchAndFilter();
  let users = [...org.users.values()];
  if (q !== null && q !== '' && !search && !filter) {
    // Prefix match on first name, last name or email; no paging; no DEPROVISIONED users.
    const limit = parseLimit(query, 10, 200);
    const p = q.toLowerCase();
    const hits = users.filter(
      (u) =>
        u.status !== 'DEPROVISIONED' &&
        [u.profile.firstName, u.profile.lastName, u.profile.email].some((v) => typeof v === 'string' && v.toLowerCase().startsWith(p)),
    );
    return { status: 200, body: hits.slice(0, limit).map((u) => userJson(req.origin, u)), headers: { link: linkHeaders(req, undefined) } };
  }
  if (search) {
    const pred = compileScim(parseFilterOrThrow(search));
    users = users.filter((u) => pred(u));
    const sortBy = query.get('sortBy');
    if (sortBy) {
      const parts = sortBy.split('.');
      const get = (u: SandboxUser) => parts.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), u);
      const dir = (query.get('sortOrder') ?? 'asc').toLowerCase().startsWith('desc') ? -1 : 1;
      users.sort((a, b) => {
        const x = String(get(a) ?? '');
        const y = String(get(b) ?? '');
        return (x < y ? -1 : x > y ? 1 : 0) * dir || ((org.ordinalOf(a.id) ?? 0) - (org.ordinalOf(b.id) ?? 0));
      });
    }
  } else if (filter) {
    const ast = parseFilterOrThrow(filter);
    if (scimHasNot(ast)) throw errors.invalidSearch('The not operator is not supported in filter; use search.');
    scimLeaves(ast, (leaf) => {
      if (!USER_FILTER_ATTRS.has(leaf.path)) throw errors.invalidSearch(`Filtering on ${leaf.path} is not supported; use search.`);
      if (leaf.kind === 'pr') throw errors.invalidSearch('The pr operator is not supported in filter; use search.');
      if (leaf.op !== 'eq' && !(leaf.path === 'lastUpdated' && ['gt', 'ge', 'lt', 'le'].includes(leaf.op))) {
        throw errors.invalidSearch(`The ${leaf.op} operator is not supported for ${leaf.path} in filter; use search.`);
      }
    });
    const pred = compileScim(ast);
    users = users.filter((u) => pred(u));
  } else {
    users = users.filter((u) => u.status !== 'DEPROVISIONED');
  }
  const limit = parseLimit(query, 200, 200);
  const { page, nextAfter } = pageAfter(users, (u) => u.id, (id) => org.ordinalOf(id), query.get('after'), limit);
  return { status: 200, body: page.map((u) => userJson(req.origin, u)), headers: { link: linkHeaders(req, nextAfter) } };
}

function boolParam(q: URLSearchParams, name: string, dflt: boolean): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (v !== 'true' && v !== 'false') throw validationFailed(name, [`${name}: Invalid boolean value ${v}`]);
  return v === 'true';
}

export function registerUserRoutes(r: Router): void {
  r.add({ method: 'GET', template: '/api/v1/users', bucket: 'users', scope: 'okta.users.read', handler: listUsers });
  r.add({
    method: 'POST',
    template: '/api/v1/users',
    bucket: 'users',
    scope: 'okta.users.manage',
    handler: (req) => {
      const body = jsonBody(req);
      const nextLogin = req.query.get('nextLogin') ?? undefined;
      if (nextLogin !== undefined && nextLogin !== 'changePassword') throw validationFailed('nextLogin', ['nextLogin: Invalid value; the only value is changePassword.']);
      const u = req.org.createUser(body as Parameters<typeof req.org.createUser>[0], { activate: boolParam(req.query, 'activate', true), provider: boolParam(req.query, 'provider', false), nextLogin }, req.ctx);
      return { status: 200, body: userJson(req.origin, u, true) };
    },
  });
  r.add({ method: 'GET', template: '/api/v1/users/{id}', bucket: 'user', scope: 'okta.users.read', handler: (req) => ({ status: 200, body: userJson(req.origin, pathUser(req), true) }) });
  for (const [method, replace] of [['POST', false], ['PUT', true]] as const) {
    r.add({
      method,
      template: '/api/v1/users/{id}',
      bucket: 'user-write',
      scope: 'okta.users.manage',
      handler: (req) => {
        const u = pathUser(req);
        const updated = req.org.updateUser(u.id, jsonBody(req) as Parameters<typeof req.org.updateUser>[1], replace, req.ctx);
        return { status: 200, body: userJson(req.origin, updated, true) };
      },
    });
  }
  r.add({
    method: 'DELETE',
    template: '/api/v1/users/{id}',
    bucket: 'user-write',
    scope: 'okta.users.manage',
    handler: (req) => {
      req.org.deleteUser(pathUser(req).id, req.ctx);
      return { status: 204 };
    },
  });
  for (const op of LIFECYCLE_OPS) {
    r.add({
      method: 'POST',
      template: `/api/v1/users/{id}/lifecycle/${op}`,
      bucket: 'user-write',
      scope: 'okta.users.manage',
      handler: (req) => {
        const u = pathUser(req);
        const result = req.org.lifecycle(u.id, op, req.query, req.ctx);
        // expire_password answers with the user itself.
        if (result === u) return { status: 200, body: userJson(req.origin, u, true) };
        return { status: 200, body: result };
      },
    });
  }
  r.add({
    method: 'DELETE',
    template: '/api/v1/users/{userId}/sessions',
    bucket: 'user-write',
    scope: 'okta.users.manage',
    handler: (req) => {
      req.org.clearSessions(pathUser(req, 'userId').id, boolParam(req.query, 'oauthTokens', false), req.ctx);
      return { status: 204 };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/users/{id}/groups',
    bucket: 'user',
    scope: 'okta.users.read',
    handler: (req) => ({ status: 200, body: req.org.userGroups(pathUser(req).id).map((g) => groupJson(req.origin, g)) }),
  });
  r.add({
    method: 'GET',
    template: '/api/v1/users/{userId}/roles',
    bucket: 'other',
    scope: 'okta.roles.read',
    handler: (req) => {
      const u = pathUser(req, 'userId');
      return { status: 200, body: req.org.userRoles(u.id).map((role) => roleJson(req.origin, u.id, role)) };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/users/{id}/appLinks',
    bucket: 'user',
    scope: 'okta.users.read',
    handler: (req) => {
      const u = pathUser(req);
      return { status: 200, body: req.org.userAppLinks(u.id).map(({ app, assignment }, i) => appLinkJson(req.origin, u.id, app, assignment, i)) };
    },
  });

  // Factors and push verification.
  r.add({
    method: 'GET',
    template: '/api/v1/users/{userId}/factors',
    bucket: 'other',
    scope: 'okta.users.read',
    handler: (req) => {
      const { user, factors } = req.org.userFactors(pathUser(req, 'userId').id);
      return { status: 200, body: factors.map((f) => factorJson(req.origin, user.id, f)) };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/users/{userId}/factors/{factorId}',
    bucket: 'other',
    scope: 'okta.users.read',
    handler: (req) => {
      const { user, factor } = req.org.requireFactor(pathUser(req, 'userId').id, req.params.factorId!);
      return { status: 200, body: factorJson(req.origin, user.id, factor) };
    },
  });
  r.add({
    method: 'DELETE',
    template: '/api/v1/users/{userId}/factors/{factorId}',
    bucket: 'other',
    scope: 'okta.users.manage',
    handler: (req) => {
      req.org.deleteFactor(pathUser(req, 'userId').id, req.params.factorId!, req.ctx);
      return { status: 204 };
    },
  });
  r.add({
    method: 'POST',
    template: '/api/v1/users/{userId}/factors/{factorId}/verify',
    bucket: 'other',
    scope: 'okta.users.manage',
    handler: (req) => {
      const u = pathUser(req, 'userId');
      const { factor } = req.org.requireFactor(u.id, req.params.factorId!);
      if (factor.factorType === 'push' && !req.headers['user-agent']) {
        throw oktaError(400, 'E0000001', 'Api validation failed: User-Agent', ['User-Agent: The User-Agent header is required for push verification.']);
      }
      const tx = req.org.startPush(u.id, factor.id, req.ctx);
      return { status: 201, body: pushJson(req.origin, tx, 'WAITING', u.profile.login, false) };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/users/{userId}/factors/{factorId}/transactions/{transactionId}',
    bucket: 'other',
    scope: 'okta.users.read',
    handler: (req) => {
      const u = pathUser(req, 'userId');
      const { tx, result } = req.org.pollPush(u.id, req.params.factorId!, req.params.transactionId!);
      if (result === 'REJECTED' && tx.outcome.result === 'REJECTED' && tx.polls === (tx.outcome.afterPolls ?? 0) + 1) {
        // The user's own answer, logged once.
        req.org.log({ ...req.ctx, actor: userActor(u) }, 'user.mfa.okta_verify.deny_push', [userTarget(u)], { result: 'FAILURE', reason: 'User rejected Okta push verify' });
      }
      return { status: 200, body: pushJson(req.origin, tx, result, u.profile.login) };
    },
  });
}
