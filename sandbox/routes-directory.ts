/** Groups, apps (with user and group assignments) and network zones. */
import { errors, notFound } from './errors.js';
import type { SandboxApp, SandboxGroup, SandboxZone } from './model.js';
import { linkHeaders, pageAfter, parseLimit } from './paging.js';
import type { RouteRequest, Router } from './router.js';
import { compileScim, parseScimFilter, scimHasNot, scimLeaves, ScimParseError, type ScimNode, type ScimPredicate } from './scim-filter.js';
import { appGroupJson, appJson, appUserJson, groupJson, userJson, zoneJson } from './serialize.js';

function parse(src: string): ScimNode {
  try {
    return parseScimFilter(src);
  } catch (e) {
    if (e instanceof ScimParseError) throw errors.invalidSearch(e.message);
    throw e;
  }
}

/** A `filter=` limited to some attributes, `eq` (and date comparisons where allowed), and/or. */
function limitedFilter(src: string, attrs: Set<string>, ordered: Set<string> = new Set()): ScimPredicate {
  const ast = parse(src);
  if (scimHasNot(ast)) throw errors.invalidSearch('The not operator is not supported in filter.');
  scimLeaves(ast, (leaf) => {
    if (!attrs.has(leaf.path)) throw errors.invalidSearch(`Filtering on ${leaf.path} is not supported.`);
    if (leaf.kind === 'pr' || (leaf.op !== 'eq' && !(ordered.has(leaf.path) && ['gt', 'ge', 'lt', 'le'].includes(leaf.op)))) {
      throw errors.invalidSearch(`The ${leaf.kind === 'pr' ? 'pr' : leaf.op} operator is not supported for ${leaf.path} in filter.`);
    }
  });
  return compileScim(ast);
}

function body(req: RouteRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined) return {};
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw errors.malformedBody();
  return b as Record<string, unknown>;
}

function startsWith(v: unknown, p: string): boolean {
  return typeof v === 'string' && v.toLowerCase().startsWith(p);
}

export function registerDirectoryRoutes(r: Router): void {
  // ------------------------------------------------------------ groups
  r.add({
    method: 'GET',
    template: '/api/v1/groups',
    bucket: 'groups',
    scope: 'okta.groups.read',
    handler: (req) => {
      const { org, query } = req;
      let groups: SandboxGroup[] = [...org.groups.values()];
      const q = query.get('q');
      const search = query.get('search');
      const filter = query.get('filter');
      if (search && filter) throw errors.searchAndFilter();
      if (q && !search && !filter) {
        // Starts-with on the name; a query does not page (default 300 results).
        const p = q.toLowerCase();
        const hits = groups.filter((g) => startsWith(g.profile.name, p));
        return { status: 200, body: hits.slice(0, parseLimit(query, 300, 10000)).map((g) => groupJson(req.origin, g)), headers: { link: linkHeaders(req, undefined) } };
      }
      if (search) {
        const pred = compileScim(parse(search));
        groups = groups.filter((g) => pred(g));
      } else if (filter) {
        const pred = limitedFilter(filter, new Set(['id', 'type', 'lastUpdated', 'lastMembershipUpdated']), new Set(['lastUpdated', 'lastMembershipUpdated']));
        groups = groups.filter((g) => pred(g));
      }
      const { page, nextAfter } = pageAfter(groups, (g) => g.id, (id) => org.ordinalOf(id), query.get('after'), parseLimit(query, 10000, 10000));
      return { status: 200, body: page.map((g) => groupJson(req.origin, g)), headers: { link: linkHeaders(req, nextAfter) } };
    },
  });
  r.add({ method: 'POST', template: '/api/v1/groups', bucket: 'groups', scope: 'okta.groups.manage', handler: (req) => ({ status: 200, body: groupJson(req.origin, req.org.createGroup(body(req) as { profile?: Record<string, unknown> }, req.ctx)) }) });
  r.add({ method: 'GET', template: '/api/v1/groups/{groupId}', bucket: 'group', scope: 'okta.groups.read', handler: (req) => ({ status: 200, body: groupJson(req.origin, req.org.requireGroup(req.params.groupId!)) }) });
  r.add({
    method: 'PUT',
    template: '/api/v1/groups/{groupId}',
    bucket: 'group',
    scope: 'okta.groups.manage',
    handler: (req) => ({ status: 200, body: groupJson(req.origin, req.org.replaceGroup(req.params.groupId!, body(req) as { profile?: Record<string, unknown> }, req.ctx)) }),
  });
  r.add({
    method: 'DELETE',
    template: '/api/v1/groups/{groupId}',
    bucket: 'group',
    scope: 'okta.groups.manage',
    handler: (req) => {
      req.org.deleteGroup(req.params.groupId!, req.ctx);
      return { status: 204 };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/groups/{groupId}/users',
    bucket: 'group',
    scope: 'okta.groups.read',
    handler: (req) => {
      const users = req.org.groupUsers(req.params.groupId!);
      users.sort((a, b) => (req.org.ordinalOf(a.id) ?? 0) - (req.org.ordinalOf(b.id) ?? 0));
      const { page, nextAfter } = pageAfter(users, (u) => u.id, (id) => req.org.ordinalOf(id), req.query.get('after'), parseLimit(req.query, 1000, 10000));
      return { status: 200, body: page.map((u) => userJson(req.origin, u)), headers: { link: linkHeaders(req, nextAfter) } };
    },
  });
  r.add({
    method: 'PUT',
    template: '/api/v1/groups/{groupId}/users/{userId}',
    bucket: 'group',
    scope: 'okta.groups.manage',
    handler: (req) => {
      req.org.addToGroup(req.params.groupId!, req.params.userId!, req.ctx);
      return { status: 204 };
    },
  });
  r.add({
    method: 'DELETE',
    template: '/api/v1/groups/{groupId}/users/{userId}',
    bucket: 'group',
    scope: 'okta.groups.manage',
    handler: (req) => {
      req.org.removeFromGroup(req.params.groupId!, req.params.userId!, req.ctx);
      return { status: 204 };
    },
  });

  // ------------------------------------------------------------ apps
  r.add({
    method: 'GET',
    template: '/api/v1/apps',
    bucket: 'apps',
    scope: 'okta.apps.read',
    handler: (req) => {
      const { org, query } = req;
      let apps: SandboxApp[] = [...org.apps.values()];
      const q = query.get('q');
      if (q) {
        const p = q.toLowerCase();
        apps = apps.filter((a) => startsWith(a.label, p) || startsWith(a.name, p));
      }
      const filter = query.get('filter');
      if (filter) {
        const pred = limitedFilter(filter, new Set(['id', 'status', 'name', 'signOnMode', 'credentials.signing.kid', 'settings.slo.enabled']));
        apps = apps.filter((a) => pred(a));
      }
      const { page, nextAfter } = pageAfter(apps, (a) => a.id, (id) => org.ordinalOf(id), query.get('after'), parseLimit(query, 20, 200));
      return { status: 200, body: page.map((a) => appJson(req.origin, a)), headers: { link: linkHeaders(req, nextAfter) } };
    },
  });
  r.add({ method: 'GET', template: '/api/v1/apps/{appId}', bucket: 'app', scope: 'okta.apps.read', handler: (req) => ({ status: 200, body: appJson(req.origin, req.org.requireApp(req.params.appId!)) }) });
  r.add({
    method: 'GET',
    template: '/api/v1/apps/{appId}/users',
    bucket: 'apps',
    scope: 'okta.apps.read',
    handler: (req) => {
      const app = req.org.requireApp(req.params.appId!);
      let rows = [...(req.org.appUsers.get(app.id)?.values() ?? [])];
      rows.sort((a, b) => (req.org.ordinalOf(a.id) ?? 0) - (req.org.ordinalOf(b.id) ?? 0));
      const q = req.query.get('q');
      if (q) {
        const p = q.toLowerCase();
        rows = rows.filter((a) => startsWith(a.credentials.userName, p) || ['firstName', 'lastName', 'email'].some((k) => startsWith(a.profile[k], p)));
      }
      const { page, nextAfter } = pageAfter(rows, (a) => a.id, (id) => req.org.ordinalOf(id), req.query.get('after'), parseLimit(req.query, 50, 500));
      return { status: 200, body: page.map((a) => appUserJson(req.origin, app.id, a)), headers: { link: linkHeaders(req, nextAfter) } };
    },
  });
  r.add({
    method: 'POST',
    template: '/api/v1/apps/{appId}/users',
    bucket: 'apps',
    scope: 'okta.apps.manage',
    handler: (req) => {
      const a = req.org.assignUserToApp(req.params.appId!, body(req) as Parameters<typeof req.org.assignUserToApp>[1], req.ctx);
      return { status: 200, body: appUserJson(req.origin, req.params.appId!, a) };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/apps/{appId}/users/{userId}',
    bucket: 'apps',
    scope: 'okta.apps.read',
    handler: (req) => {
      const app = req.org.requireApp(req.params.appId!);
      const a = req.org.appUsers.get(app.id)?.get(req.params.userId!);
      if (!a) throw notFound(req.params.userId!, 'AppUser');
      return { status: 200, body: appUserJson(req.origin, app.id, a) };
    },
  });
  r.add({
    method: 'DELETE',
    template: '/api/v1/apps/{appId}/users/{userId}',
    bucket: 'apps',
    scope: 'okta.apps.manage',
    handler: (req) => {
      req.org.unassignUserFromApp(req.params.appId!, req.params.userId!, req.ctx);
      return { status: 204 };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/apps/{appId}/groups',
    bucket: 'apps',
    scope: 'okta.apps.read',
    handler: (req) => {
      const app = req.org.requireApp(req.params.appId!);
      let rows = [...(req.org.appGroups.get(app.id)?.values() ?? [])];
      const q = req.query.get('q');
      if (q) {
        const p = q.toLowerCase();
        rows = rows.filter((a) => startsWith(req.org.groups.get(a.id)?.profile.name, p));
      }
      const { page, nextAfter } = pageAfter(rows, (a) => a.id, (id) => req.org.ordinalOf(id), req.query.get('after'), parseLimit(req.query, 20, 200));
      return { status: 200, body: page.map((a) => appGroupJson(req.origin, app.id, a)), headers: { link: linkHeaders(req, nextAfter) } };
    },
  });
  r.add({
    method: 'PUT',
    template: '/api/v1/apps/{appId}/groups/{groupId}',
    bucket: 'apps',
    scope: 'okta.apps.manage',
    handler: (req) => {
      const a = req.org.assignGroupToApp(req.params.appId!, req.params.groupId!, body(req), req.ctx);
      return { status: 200, body: appGroupJson(req.origin, req.params.appId!, a) };
    },
  });

  // ------------------------------------------------------------ network zones
  r.add({
    method: 'GET',
    template: '/api/v1/zones',
    bucket: 'zones',
    scope: 'okta.networkZones.read',
    handler: (req) => {
      const { org, query } = req;
      let zones: SandboxZone[] = [...org.zones.values()];
      const filter = query.get('filter');
      if (filter) {
        const pred = limitedFilter(filter, new Set(['id', 'usage', 'system']));
        zones = zones.filter((z) => pred(z));
      }
      const limitRaw = query.get('limit');
      const limit = limitRaw === null || limitRaw === '-1' ? 10000 : parseLimit(query, 10000, 10000);
      const { page, nextAfter } = pageAfter(zones, (z) => z.id, (id) => org.ordinalOf(id), query.get('after'), limit);
      return { status: 200, body: page.map((z) => zoneJson(req.origin, z)), headers: { link: linkHeaders(req, nextAfter) } };
    },
  });
  r.add({ method: 'POST', template: '/api/v1/zones', bucket: 'zones', scope: 'okta.networkZones.manage', handler: (req) => ({ status: 200, body: zoneJson(req.origin, req.org.createZone(body(req), req.ctx)) }) });
  r.add({ method: 'GET', template: '/api/v1/zones/{zoneId}', bucket: 'zones', scope: 'okta.networkZones.read', handler: (req) => ({ status: 200, body: zoneJson(req.origin, req.org.requireZone(req.params.zoneId!)) }) });
  r.add({ method: 'PUT', template: '/api/v1/zones/{zoneId}', bucket: 'zones', scope: 'okta.networkZones.manage', handler: (req) => ({ status: 200, body: zoneJson(req.origin, req.org.replaceZone(req.params.zoneId!, body(req), req.ctx)) }) });
  r.add({
    method: 'DELETE',
    template: '/api/v1/zones/{zoneId}',
    bucket: 'zones',
    scope: 'okta.networkZones.manage',
    handler: (req) => {
      req.org.deleteZone(req.params.zoneId!, req.ctx);
      return { status: 204 };
    },
  });
  for (const [op, status] of [['activate', 'ACTIVE'], ['deactivate', 'INACTIVE']] as const) {
    r.add({
      method: 'POST',
      template: `/api/v1/zones/{zoneId}/lifecycle/${op}`,
      bucket: 'zones',
      scope: 'okta.networkZones.manage',
      handler: (req) => ({ status: 200, body: zoneJson(req.origin, req.org.setZoneStatus(req.params.zoneId!, status, req.ctx)) }),
    });
  }
}
