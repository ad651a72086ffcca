/**
 * Routes for the security objects incident response acts on (security-model.ts): API tokens,
 * role assignments, identity providers, user risk, Universal Logout, devices, OAuth grants and
 * clients, application lifecycle and policies. Bodies follow Okta's spec and its examples.
 */
import { errors, validationFailed } from './errors.js';
import type { SandboxUser } from './model.js';
import { linkHeaders, pageAfter, parseLimit } from './paging.js';
import type { Handler, RouteRequest, Router } from './router.js';
import type { SandboxApiToken, SandboxDevice, SandboxGrant, SandboxIdp, SandboxOAuthClient, SandboxPolicy, SandboxPolicyRule, SandboxSecurity } from './security-model.js';
import { roleJson } from './serialize.js';

type Json = Record<string, unknown>;

const ORG_ORN = 'orn:okta:directory:00o1sandboxorg0000000';
const POLICY_TYPES = new Set([
  'ACCESS_POLICY',
  'ENTITY_RISK',
  'IDP_DISCOVERY',
  'MFA_ENROLL',
  'OKTA_SIGN_ON',
  'PASSWORD',
  'POST_AUTH_SESSION',
  'PROFILE_ENROLLMENT',
  'DEVICE_SIGNAL_COLLECTION',
  'SESSION_VIOLATION_DETECTION',
  'CLIENT_UPDATE',
  'IDENTITY_CLAIM_SOURCING',
]);

const hint = (href: string, ...allow: string[]) => ({ href, hints: { allow } });

function apiTokenJson(origin: string, t: SandboxApiToken): Json {
  return { ...t, _links: { self: hint(`${origin}/api/v1/api-tokens/${t.id}`, 'GET', 'DELETE'), user: hint(`${origin}/api/v1/users/${t.userId}`, 'GET') } };
}

function idpJson(origin: string, i: SandboxIdp): Json {
  const base = `${origin}/api/v1/idps/${i.id}`;
  return {
    ...i,
    _links: {
      authorize: {
        href: `${origin}/oauth2/v1/authorize?idp=${i.id}&client_id={clientId}&response_type={responseType}&response_mode={responseMode}&scope={scopes}&redirect_uri={redirectUri}&state={state}`,
        templated: true,
        hints: { allow: ['GET'] },
      },
      clientRedirectUri: hint(`${origin}/oauth2/v1/authorize/callback`, 'POST'),
      ...(i.status === 'ACTIVE' ? { deactivate: hint(`${base}/lifecycle/deactivate`, 'POST') } : { activate: hint(`${base}/lifecycle/activate`, 'POST') }),
    },
  };
}

function deviceJson(origin: string, d: SandboxDevice): Json {
  const base = `${origin}/api/v1/devices/${d.id}`;
  const life: Json = {};
  if (d.status === 'ACTIVE') Object.assign(life, { suspend: hint(`${base}/lifecycle/suspend`, 'POST'), deactivate: hint(`${base}/lifecycle/deactivate`, 'POST') });
  else if (d.status === 'SUSPENDED') Object.assign(life, { unsuspend: hint(`${base}/lifecycle/unsuspend`, 'POST'), deactivate: hint(`${base}/lifecycle/deactivate`, 'POST') });
  else life.activate = hint(`${base}/lifecycle/activate`, 'POST');
  return {
    id: d.id,
    status: d.status,
    created: d.created,
    lastUpdated: d.lastUpdated,
    profile: d.profile,
    resourceId: d.id,
    resourceDisplayName: { value: d.profile.displayName, sensitive: false },
    resourceType: 'UDDevice',
    _links: { self: hint(base, 'GET', 'PUT'), users: hint(`${base}/users`, 'GET'), ...life },
  };
}

function grantJson(origin: string, g: SandboxGrant, client: SandboxOAuthClient | undefined, expandScope: boolean): Json {
  return {
    id: g.id,
    status: g.status,
    created: g.created,
    createdBy: g.createdBy,
    lastUpdated: g.lastUpdated,
    issuer: origin,
    clientId: g.clientId,
    userId: g.userId,
    scopeId: g.scopeId,
    source: g.source,
    ...(expandScope ? { _embedded: { scope: { id: g.scopeId } } } : {}),
    _links: {
      app: { href: `${origin}/api/v1/apps/${g.clientId}`, title: client?.client_name ?? g.clientId },
      self: hint(`${origin}/api/v1/users/${g.userId}/grants/${g.id}`, 'GET', 'DELETE'),
      client: { href: `${origin}/oauth2/v1/clients/${g.clientId}`, title: client?.client_name ?? g.clientId },
    },
  };
}

function clientJson(origin: string, userId: string, c: SandboxOAuthClient): Json {
  const base = `${origin}/api/v1/users/${userId}/clients/${c.client_id}`;
  // Okta sends null for a missing client_uri or logo_uri; the spec types them as strings, so they are left out.
  const { client_uri, logo_uri, ...rest } = c;
  return { ...rest, ...(client_uri ? { client_uri } : {}), ...(logo_uri ? { logo_uri } : {}), _links: { grants: { href: `${base}/grants` }, tokens: { href: `${base}/tokens` } } };
}

function policyJson(origin: string, p: SandboxPolicy): Json {
  const base = `${origin}/api/v1/policies/${p.id}`;
  return {
    type: p.type,
    id: p.id,
    status: p.status,
    name: p.name,
    description: p.description,
    priority: p.priority,
    system: p.system,
    created: p.created,
    lastUpdated: p.lastUpdated,
    ...p.body,
    _links: {
      self: hint(base, 'GET', 'PUT', 'DELETE'),
      rules: hint(`${base}/rules`, 'GET', 'POST'),
      ...(p.status === 'ACTIVE' ? { deactivate: hint(`${base}/lifecycle/deactivate`, 'POST') } : { activate: hint(`${base}/lifecycle/activate`, 'POST') }),
    },
  };
}

function ruleJson(origin: string, r: SandboxPolicyRule): Json {
  const base = `${origin}/api/v1/policies/${r.policyId}/rules/${r.id}`;
  return {
    id: r.id,
    status: r.status,
    name: r.name,
    priority: r.priority,
    created: r.created,
    lastUpdated: r.lastUpdated,
    system: r.system,
    conditions: r.conditions,
    actions: r.actions,
    type: r.type,
    _links: {
      self: hint(base, 'GET', 'PUT', 'DELETE'),
      ...(r.status === 'ACTIVE' ? { deactivate: hint(`${base}/lifecycle/deactivate`, 'POST') } : { activate: hint(`${base}/lifecycle/activate`, 'POST') }),
    },
  };
}

function riskLinks(origin: string, userId: string): Json {
  return { self: hint(`${origin}/api/v1/users/${userId}/risk`, 'GET', 'PUT'), user: hint(`${origin}/api/v1/users/${userId}`, 'GET') };
}

function jsonBody(req: RouteRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined) return {};
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw errors.malformedBody();
  return b as Record<string, unknown>;
}

const sec = (req: RouteRequest): SandboxSecurity => req.org.security;
const pathUser = (req: RouteRequest, name = 'userId'): SandboxUser => req.org.requireUser(req.params[name]!);

/** `POST {base}/lifecycle/{op}` for each op: the one shape of Okta's lifecycle operations. */
function lifecycleRoutes(r: Router, base: string, bucket: string, scope: string, ops: Record<string, Handler>): void {
  for (const [op, handler] of Object.entries(ops)) r.add({ method: 'POST', template: `${base}/lifecycle/${op}`, bucket, scope, handler });
}

export function registerSecurityRoutes(r: Router): void {
  // ------------------------------------------------------------ API tokens
  r.add({
    method: 'GET',
    template: '/api/v1/api-tokens',
    bucket: 'other',
    scope: 'okta.apiTokens.read',
    handler: (req) => ({ status: 200, body: [...sec(req).apiTokens.values()].map((t) => apiTokenJson(req.origin, t)), headers: { link: linkHeaders(req, undefined) } }),
  });
  r.add({
    // Before /{apiTokenId}: "current" is the token of the request itself (SSWS only).
    method: 'DELETE',
    template: '/api/v1/api-tokens/current',
    bucket: 'other',
    scope: 'okta.apiTokens.manage',
    handler: (req) => {
      if (req.principal.kind !== 'ssws') throw errors.accessDenied();
      sec(req).revokeApiToken(sec(req).selfTokenId, req.ctx);
      return { status: 204 };
    },
  });
  r.add({ method: 'GET', template: '/api/v1/api-tokens/{apiTokenId}', bucket: 'other', scope: 'okta.apiTokens.read', handler: (req) => ({ status: 200, body: apiTokenJson(req.origin, sec(req).requireApiToken(req.params.apiTokenId!)) }) });
  r.add({
    method: 'DELETE',
    template: '/api/v1/api-tokens/{apiTokenId}',
    bucket: 'other',
    scope: 'okta.apiTokens.manage',
    handler: (req) => {
      sec(req).revokeApiToken(req.params.apiTokenId!, req.ctx);
      return { status: 204 };
    },
  });

  // ------------------------------------------------------------ admin role assignments
  r.add({
    method: 'GET',
    template: '/api/v1/iam/assignees/users',
    bucket: 'other',
    scope: 'okta.roles.read',
    handler: (req) => {
      const users = sec(req).usersWithRoles();
      const { page, nextAfter } = pageAfter(users, (u) => u.id, (id) => req.org.ordinalOf(id), req.query.get('after'), parseLimit(req.query, 100, 100));
      // This list pages in its body (`_links.next`), not in a Link header.
      const links: Json = {};
      if (nextAfter) {
        const u = new URL(req.url);
        u.searchParams.set('after', nextAfter);
        links.next = { href: u.toString() };
      }
      const value = page.map((u) => ({ id: u.id, orn: `${ORG_ORN}:users:${u.id}`, _links: { self: { href: `${req.origin}/api/v1/users/${u.id}` }, roles: { href: `${req.origin}/api/v1/users/${u.id}/roles` } } }));
      return { status: 200, body: { value, _links: links } };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/groups/{groupId}/roles',
    bucket: 'other',
    scope: 'okta.roles.read',
    handler: (req) => {
      const g = req.org.requireGroup(req.params.groupId!);
      return { status: 200, body: (sec(req).groupRoles.get(g.id) ?? []).map((role) => roleJson(req.origin, g.id, role)) };
    },
  });
  r.add({
    method: 'DELETE',
    template: '/api/v1/groups/{groupId}/roles/{roleAssignmentId}',
    bucket: 'other',
    scope: 'okta.roles.manage',
    handler: (req) => {
      sec(req).unassignGroupRole(req.params.groupId!, req.params.roleAssignmentId!, req.ctx);
      return { status: 204 };
    },
  });
  r.add({
    method: 'DELETE',
    template: '/api/v1/users/{userId}/roles/{roleAssignmentId}',
    bucket: 'other',
    scope: 'okta.roles.manage',
    handler: (req) => {
      sec(req).unassignUserRole(pathUser(req).id, req.params.roleAssignmentId!, req.ctx);
      return { status: 204 };
    },
  });

  // ------------------------------------------------------------ identity providers
  r.add({
    method: 'GET',
    template: '/api/v1/idps',
    bucket: 'other',
    scope: 'okta.idps.read',
    handler: (req) => {
      let idps = [...sec(req).idps.values()];
      const q = req.query.get('q');
      if (q) idps = idps.filter((i) => i.name.toLowerCase().startsWith(q.toLowerCase()));
      const type = req.query.get('type');
      if (type) idps = idps.filter((i) => i.type === type);
      const { page, nextAfter } = pageAfter(idps, (i) => i.id, (id) => sec(req).ordinalOf(id), req.query.get('after'), parseLimit(req.query, 20, 200));
      return { status: 200, body: page.map((i) => idpJson(req.origin, i)), headers: { link: linkHeaders(req, nextAfter) } };
    },
  });
  r.add({ method: 'GET', template: '/api/v1/idps/{idpId}', bucket: 'other', scope: 'okta.idps.read', handler: (req) => ({ status: 200, body: idpJson(req.origin, sec(req).requireIdp(req.params.idpId!)) }) });
  const idpStatus = (status: 'ACTIVE' | 'INACTIVE'): Handler => (req) => ({ status: 200, body: idpJson(req.origin, sec(req).setIdpStatus(req.params.idpId!, status, req.ctx)) });
  lifecycleRoutes(r, '/api/v1/idps/{idpId}', 'other', 'okta.idps.manage', { activate: idpStatus('ACTIVE'), deactivate: idpStatus('INACTIVE') });

  // ------------------------------------------------------------ user risk and Universal Logout (Identity Threat Protection)
  r.add({
    method: 'GET',
    template: '/api/v1/users/{userId}/risk',
    bucket: 'user',
    scope: 'okta.userRisk.read',
    handler: (req) => {
      const u = pathUser(req);
      const risk = sec(req).userRisk(u.id);
      return { status: 200, body: { riskLevel: risk?.riskLevel ?? 'NONE', ...(risk ? { reason: risk.reason } : {}), _links: riskLinks(req.origin, u.id) } };
    },
  });
  r.add({
    method: 'PUT',
    template: '/api/v1/users/{userId}/risk',
    bucket: 'user-write',
    scope: 'okta.userRisk.manage',
    handler: (req) => {
      const u = pathUser(req);
      const { risk, created } = sec(req).setUserRisk(u.id, jsonBody(req), req.ctx);
      return { status: created ? 201 : 200, body: { riskLevel: risk.riskLevel, reason: risk.reason, _links: riskLinks(req.origin, u.id) } };
    },
  });
  r.add({
    method: 'POST',
    template: '/oauth2/v1/global-token-revocation',
    bucket: 'other',
    scope: 'okta.universalLogout.manage',
    handler: (req) => {
      // The spec's 400 has no body: a request that names no user of this org gets just the status.
      const sub = (jsonBody(req).sub_id ?? {}) as Record<string, unknown>;
      const user = sub.format === 'opaque' && typeof sub.id === 'string' ? req.org.findUser(sub.id) : undefined;
      if (!user || user.id !== sub.id) return { status: 400 };
      sec(req).universalLogout(user.id, req.ctx);
      return { status: 204 };
    },
  });

  // ------------------------------------------------------------ devices
  r.add({
    method: 'GET',
    template: '/api/v1/users/{userId}/devices',
    bucket: 'user',
    scope: 'okta.users.read',
    handler: (req) => ({
      status: 200,
      body: sec(req)
        .userDevices(pathUser(req).id)
        .map(({ device, enrollment }) => ({ created: enrollment.created, device: deviceJson(req.origin, device), deviceUserId: enrollment.deviceUserId })),
    }),
  });
  r.add({ method: 'GET', template: '/api/v1/devices/{deviceId}', bucket: 'other', scope: 'okta.devices.read', handler: (req) => ({ status: 200, body: deviceJson(req.origin, sec(req).requireDevice(req.params.deviceId!)) }) });
  const deviceOp = (op: 'suspend' | 'unsuspend' | 'deactivate'): Handler => (req) => {
    sec(req).deviceLifecycle(req.params.deviceId!, op, req.ctx);
    return { status: 204 };
  };
  lifecycleRoutes(r, '/api/v1/devices/{deviceId}', 'other', 'okta.devices.manage', { suspend: deviceOp('suspend'), unsuspend: deviceOp('unsuspend'), deactivate: deviceOp('deactivate') });

  // ------------------------------------------------------------ OAuth grants, clients and tokens of a user
  r.add({
    method: 'GET',
    template: '/api/v1/users/{userId}/grants',
    bucket: 'user',
    scope: 'okta.users.read',
    handler: (req) => {
      const u = pathUser(req);
      const scopeId = req.query.get('scopeId');
      const grants = sec(req)
        .userGrants(u.id)
        .filter((g) => !scopeId || g.scopeId === scopeId);
      const { page, nextAfter } = pageAfter(grants, (g) => g.id, (id) => sec(req).ordinalOf(id), req.query.get('after'), parseLimit(req.query, 20, 200));
      const expand = req.query.get('expand') === 'scope';
      return { status: 200, body: page.map((g) => grantJson(req.origin, g, sec(req).clients.get(g.clientId), expand)), headers: { link: linkHeaders(req, nextAfter) } };
    },
  });
  r.add({
    method: 'DELETE',
    template: '/api/v1/users/{userId}/grants',
    bucket: 'user-write',
    scope: 'okta.users.manage',
    handler: (req) => {
      sec(req).revokeUserGrants(pathUser(req).id, req.ctx);
      return { status: 204 };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/users/{userId}/clients',
    bucket: 'user',
    scope: 'okta.users.read',
    handler: (req) => {
      const u = pathUser(req);
      return { status: 200, body: sec(req).userClients(u.id).map((c) => clientJson(req.origin, u.id, c)) };
    },
  });
  r.add({
    method: 'DELETE',
    template: '/api/v1/users/{userId}/clients/{clientId}/tokens',
    bucket: 'user-write',
    scope: 'okta.users.manage',
    handler: (req) => {
      sec(req).revokeUserClientTokens(pathUser(req).id, req.params.clientId!, req.ctx);
      return { status: 204 };
    },
  });

  // ------------------------------------------------------------ application lifecycle
  const appStatus = (status: 'ACTIVE' | 'INACTIVE'): Handler => (req) => {
    sec(req).setAppStatus(req.params.appId!, status, req.ctx);
    // The spec declares this 200 without a body.
    return { status: 200 };
  };
  lifecycleRoutes(r, '/api/v1/apps/{appId}', 'app', 'okta.apps.manage', { activate: appStatus('ACTIVE'), deactivate: appStatus('INACTIVE') });

  // ------------------------------------------------------------ policies and rules
  r.add({
    method: 'GET',
    template: '/api/v1/policies',
    bucket: 'other',
    scope: 'okta.policies.read',
    handler: (req) => {
      const type = req.query.get('type');
      if (!type) throw validationFailed('type', ['type: The field cannot be left blank']);
      if (!POLICY_TYPES.has(type)) throw validationFailed('type', [`type: Invalid policy type ${type}`]);
      let policies = [...sec(req).policies.values()].filter((p) => p.type === type);
      const status = req.query.get('status');
      if (status) policies = policies.filter((p) => p.status === status);
      const q = req.query.get('q');
      if (q) policies = policies.filter((p) => p.name.toLowerCase().startsWith(q.toLowerCase()));
      policies.sort((a, b) => a.priority - b.priority);
      const { page, nextAfter } = pageAfter(policies, (p) => p.id, (id) => sec(req).ordinalOf(id), req.query.get('after'), parseLimit(req.query, 20, 200));
      return { status: 200, body: page.map((p) => policyJson(req.origin, p)), headers: { link: linkHeaders(req, nextAfter) } };
    },
  });
  r.add({ method: 'GET', template: '/api/v1/policies/{policyId}', bucket: 'other', scope: 'okta.policies.read', handler: (req) => ({ status: 200, body: policyJson(req.origin, sec(req).requirePolicy(req.params.policyId!)) }) });
  r.add({
    method: 'GET',
    template: '/api/v1/policies/{policyId}/rules',
    bucket: 'other',
    scope: 'okta.policies.read',
    handler: (req) => {
      const rules = sec(req).policyRules(req.params.policyId!).slice(0, parseLimit(req.query, 1000, 1000));
      return { status: 200, body: rules.map((x) => ruleJson(req.origin, x)) };
    },
  });
  r.add({
    method: 'GET',
    template: '/api/v1/policies/{policyId}/rules/{ruleId}',
    bucket: 'other',
    scope: 'okta.policies.read',
    handler: (req) => ({ status: 200, body: ruleJson(req.origin, sec(req).requireRule(req.params.policyId!, req.params.ruleId!)) }),
  });
  const ruleStatus = (status: 'ACTIVE' | 'INACTIVE'): Handler => (req) => {
    sec(req).setRuleStatus(req.params.policyId!, req.params.ruleId!, status, req.ctx);
    return { status: 204 };
  };
  lifecycleRoutes(r, '/api/v1/policies/{policyId}/rules/{ruleId}', 'other', 'okta.policies.manage', { activate: ruleStatus('ACTIVE'), deactivate: ruleStatus('INACTIVE') });
}
