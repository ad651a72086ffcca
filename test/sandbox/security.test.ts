/**
 * The sandbox's security objects over real HTTP: API tokens, role assignments, identity providers,
 * user risk, Universal Logout, devices, OAuth grants and clients, application and policy-rule
 * lifecycle. Shapes and errors as Okta's; every change in the System Log; scopes enforced.
 */
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { SCOPE_LIST } from '../e2e/helpers.js';
import { allPages, call, get, post, q, type Json } from './helpers.js';

const clock = Date.UTC(2026, 10, 22, 12, 0, 0);
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ users: 30, logEvents: 0, now: () => clock, quiet: true, grantedScopes: [...SCOPE_LIST, 'okta.apiTokens.read', 'okta.policies.read'] });
});
afterAll(() => sb.close());

const userId = (login: string) => sb.org.findUser(login)!.id;
const groupId = (name: string) => [...sb.org.groups.values()].find((g) => g.profile.name === name)!.id;
const del = (p: string) => call(sb, 'DELETE', p);
/** The events appended since `from` (an index into the log). */
const eventsSince = (from: number) => sb.org.events.slice(from).map((s) => s.event);

async function bearer(scope: string): Promise<string> {
  const key = await importPKCS8(sb.privateKeyPem, 'RS256');
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: sb.keyId })
    .setIssuer(sb.clientId)
    .setSubject(sb.clientId)
    .setAudience(`${sb.url}/oauth2/v1/token`)
    .setIssuedAt(Math.floor(clock / 1000))
    .setExpirationTime(Math.floor(clock / 1000) + 300)
    .setJti(randomUUID())
    .sign(key);
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
  const res = await fetch(`${sb.url}/oauth2/v1/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
  const body = (await res.json()) as Json;
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
  return `Bearer ${body.access_token}`;
}

describe('API tokens', () => {
  it('lists token metadata (never a secret), the SSWS token among them, and the intruder token of mallory', async () => {
    const r = await get(sb, '/api/v1/api-tokens');
    expect(r.status).toBe(200);
    const names = r.body.map((t: Json) => `${t.name}:${t.userId}`);
    expect(names).toEqual([`okta-soar sandbox:${userId('admin@example.com')}`, `Terraform CI:${userId('alice@example.com')}`, `backup-sync:${userId('mallory@example.com')}`]);
    expect(r.body[0]).toMatchObject({ id: sb.org.security.selfTokenId, clientName: 'Okta API', tokenWindow: 'P30D', network: { connection: 'ANYWHERE' } });
    expect(r.body[0].id).toMatch(/^00T[A-Za-z0-9]{17}$/);
    expect(JSON.stringify(r.body)).not.toContain(sb.apiToken);
    expect((await get(sb, `/api/v1/api-tokens/${r.body[1].id}`)).body.network).toMatchObject({ connection: 'ZONE', include: [expect.stringMatching(/^nzo/)] });
  });

  it('revokes one (204, system.api_token.revoke by the admin of the SSWS token); an unknown id is 404 E0000007', async () => {
    const t = sb.org.security.addApiToken('bob@example.com', 'scratch');
    const from = sb.org.events.length;
    expect((await del(`/api/v1/api-tokens/${t.id}`)).status).toBe(204);
    expect((await get(sb, `/api/v1/api-tokens/${t.id}`)).status).toBe(404);
    const r = await del(`/api/v1/api-tokens/${t.id}`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ errorCode: 'E0000007', errorSummary: `Not found: Resource not found: ${t.id} (ApiToken)` });
    const [ev] = eventsSince(from);
    expect(ev).toMatchObject({ eventType: 'system.api_token.revoke', displayMessage: 'Revoke API token', target: [{ id: t.id, type: 'Token', displayName: 'scratch' }], actor: { alternateId: 'admin@example.com' } });
  });

  it('needs okta.apiTokens.manage to revoke (403 E0000006 with only .read)', async () => {
    const t = sb.org.security.addApiToken('bob@example.com', 'scoped');
    const auth = await bearer('okta.apiTokens.read');
    expect((await get(sb, '/api/v1/api-tokens', { auth })).status).toBe(200);
    const r = await call(sb, 'DELETE', `/api/v1/api-tokens/${t.id}`, { auth });
    expect(r.status).toBe(403);
    expect(r.body.errorCode).toBe('E0000006');
    expect(r.headers.get('www-authenticate')).toContain('scope="okta.apiTokens.manage"');
  });
});

describe('admin role assignments', () => {
  it("lists a user's roles with the ones through groups (assignee: the group), and a group's roles", async () => {
    const admin = userId('admin@example.com');
    let r = await get(sb, `/api/v1/users/${admin}/roles`);
    expect(r.body.map((x: Json) => `${x.type}/${x.assignmentType}`)).toEqual(['SUPER_ADMIN/USER', 'SUPER_ADMIN/GROUP']);
    expect(r.body[1]._links.assignee.href).toBe(`${sb.url}/api/v1/groups/${groupId('Security-Admins')}`);
    expect(r.body[1]).not.toHaveProperty('groupId');
    r = await get(sb, `/api/v1/groups/${groupId('Security-Admins')}/roles`);
    expect(r.body).toEqual([expect.objectContaining({ type: 'SUPER_ADMIN', label: 'Super Administrator', assignmentType: 'GROUP' })]);
    expect((await get(sb, '/api/v1/groups/00gnope/roles')).status).toBe(404);
  });

  it('lists users with role assignments, paged in the body (_links.next)', async () => {
    const first = await get(sb, '/api/v1/iam/assignees/users?limit=2');
    expect(first.body.value).toHaveLength(2);
    expect(first.body.value[0]).toMatchObject({ id: userId('admin@example.com'), orn: expect.stringMatching(/:users:00u/) });
    const ids = [...first.body.value.map((v: Json) => v.id)];
    let next: string | undefined = first.body._links.next?.href;
    while (next) {
      const page: Json = await get(sb, next);
      ids.push(...page.body.value.map((v: Json) => v.id));
      next = page.body._links.next?.href;
    }
    expect(ids).toEqual(sb.org.security.usersWithRoles().map((u) => u.id));
    expect(ids).toEqual(expect.arrayContaining([userId('alice@example.com'), userId('mallory@example.com'), userId('frank@example.com')]));
  });

  it('unassigns roles from users and groups, logging the revocations, and keeps the last Super Administrator', async () => {
    const sb2 = await startSandbox({ users: 12, logEvents: 0, now: () => clock, quiet: true, recordFile: '' });
    try {
      const uid = (l: string) => sb2.org.findUser(l)!.id;
      const roleOf = async (user: string, type: string) => (await get(sb2, `/api/v1/users/${uid(user)}/roles`)).body.find((x: Json) => x.type === type && x.assignmentType === 'USER').id as string;
      const from = sb2.org.events.length;
      expect((await call(sb2, 'DELETE', `/api/v1/users/${uid('mallory@example.com')}/roles/${await roleOf('mallory@example.com', 'SUPER_ADMIN')}`)).status).toBe(204);
      expect((await call(sb2, 'DELETE', `/api/v1/users/${uid('admin@example.com')}/roles/${await roleOf('admin@example.com', 'SUPER_ADMIN')}`)).status).toBe(204);
      const secAdmins = [...sb2.org.groups.values()].find((g) => g.profile.name === 'Security-Admins')!.id;
      const groupRole = (await get(sb2, `/api/v1/groups/${secAdmins}/roles`)).body[0].id;
      // admin@example.com now holds Super Administrator only through Security-Admins.
      const r = await call(sb2, 'DELETE', `/api/v1/groups/${secAdmins}/roles/${groupRole}`);
      expect(r.status).toBe(403);
      expect(r.body.errorCauses).toEqual([{ errorSummary: 'The last Super Administrator of the org cannot be removed.' }]);
      expect((await call(sb2, 'DELETE', `/api/v1/users/${uid('alice@example.com')}/roles/ra1nope`)).status).toBe(404);
      expect(sb2.org.events.slice(from).map((s) => s.event.eventType)).toEqual(['user.account.privilege.revoke', 'user.account.privilege.revoke']);
      const hr = [...sb2.org.groups.values()].find((g) => g.profile.name === 'HR')!.id;
      const helpDesk = (await get(sb2, `/api/v1/groups/${hr}/roles`)).body[0];
      expect(helpDesk.type).toBe('HELP_DESK_ADMIN');
      expect((await call(sb2, 'DELETE', `/api/v1/groups/${hr}/roles/${helpDesk.id}`)).status).toBe(204);
      expect(sb2.org.events.at(-1)!.event).toMatchObject({ eventType: 'group.privilege.revoke', target: [{ id: hr, type: 'UserGroup' }], debugContext: { debugData: { privilegeRevoked: 'Help Desk Administrator' } } });
    } finally {
      await sb2.close();
    }
  });
});

describe('identity providers', () => {
  it('lists with q (starts-with), type and paging; deactivates (200, the IdP INACTIVE) and logs it', async () => {
    let r = await get(sb, `/api/v1/idps?q=${q('Corporate')}`);
    expect(r.body.map((i: Json) => i.name)).toEqual(['Corporate AD FS', 'Corporate AD FS Staging']);
    r = await get(sb, '/api/v1/idps?type=GOOGLE');
    expect(r.body.map((i: Json) => i.name)).toEqual(['Google Workspace']);
    const { items, pages } = await allPages(sb, '/api/v1/idps?limit=3');
    expect(items).toHaveLength(4);
    expect(pages).toBe(2);
    const rogue = items.find((i: Json) => i.name === 'Partner Federation');
    expect(rogue).toMatchObject({ type: 'OIDC', status: 'ACTIVE', protocol: { type: 'OIDC' }, policy: { accountLink: { action: 'AUTO' } } });
    expect(JSON.stringify(items)).not.toMatch(/client_secret/);
    const from = sb.org.events.length;
    r = await post(sb, `/api/v1/idps/${rogue.id}/lifecycle/deactivate`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: rogue.id, status: 'INACTIVE', _links: { activate: expect.any(Object) } });
    expect(eventsSince(from).map((e) => e.eventType)).toEqual(['system.idp.lifecycle.deactivate']);
    expect((await post(sb, '/api/v1/idps/0oanope/lifecycle/deactivate')).body.errorCode).toBe('E0000007');
  });
});

describe('user risk and Universal Logout', () => {
  it('reads NONE for a user without risk, HIGH for mallory; PUT creates (201) then updates (200); bad levels are 400', async () => {
    expect((await get(sb, `/api/v1/users/${userId('carol@example.com')}/risk`)).body).toMatchObject({ riskLevel: 'NONE' });
    expect((await get(sb, `/api/v1/users/${userId('mallory@example.com')}/risk`)).body).toMatchObject({ riskLevel: 'HIGH', reason: expect.any(String) });
    const carol = userId('carol@example.com');
    let r = await call(sb, 'PUT', `/api/v1/users/${carol}/risk`, { body: { riskLevel: 'MEDIUM' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ riskLevel: 'MEDIUM', reason: 'override.by.admin' });
    r = await call(sb, 'PUT', `/api/v1/users/${carol}/risk`, { body: { riskLevel: 'HIGH', riskReason: 'Phishing report, SOC case 42' } });
    expect(r.status).toBe(200);
    expect(sb.org.events.at(-1)!.event).toMatchObject({ eventType: 'user.risk.change', severity: 'WARN', target: [{ id: carol }] });
    expect((await call(sb, 'PUT', `/api/v1/users/${carol}/risk`, { body: { riskLevel: 'SEVERE' } })).body.errorCode).toBe('E0000001');
    expect((await call(sb, 'PUT', `/api/v1/users/${carol}/risk`, { body: { riskLevel: 'LOW', riskReason: 'no <html>' } })).status).toBe(400);
    expect((await get(sb, '/api/v1/users/00unope/risk')).status).toBe(404);
  });

  it('global token revocation ends sessions and tokens (204); a request naming nobody is a bare 400', async () => {
    const mallory = userId('mallory@example.com');
    expect((await get(sb, `/api/v1/users/${mallory}/clients`)).body.length).toBeGreaterThan(0);
    const r = await post(sb, '/oauth2/v1/global-token-revocation', { sub_id: { format: 'opaque', id: mallory } });
    expect(r.status).toBe(204);
    expect(sb.org.security.universalLogouts.get(mallory)).toBe(1);
    expect(sb.org.events.at(-1)!.event).toMatchObject({ eventType: 'user.authentication.universal_logout', target: [{ id: mallory }] });
    const bad = await post(sb, '/oauth2/v1/global-token-revocation', { sub_id: { format: 'opaque', id: '00unope' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toBeUndefined();
    const scoped = await call(sb, 'POST', '/oauth2/v1/global-token-revocation', { body: { sub_id: { format: 'opaque', id: mallory } }, auth: await bearer('okta.users.manage') });
    expect(scoped.status).toBe(403);
  });
});

describe('devices', () => {
  it("lists a user's devices and suspends, unsuspends, deactivates them with Okta's status rules", async () => {
    const r = await get(sb, `/api/v1/users/${userId('mallory@example.com')}/devices`);
    expect(r.body.map((d: Json) => d.device.profile.displayName)).toEqual(["Mallory's ThinkPad", 'DESKTOP-7F3K2QA']);
    const rogue = r.body[1];
    expect(rogue).toMatchObject({ deviceUserId: expect.stringMatching(/^lnk/), device: { status: 'ACTIVE', resourceType: 'UDDevice', profile: { platform: 'WINDOWS', managed: false } } });
    const id = rogue.device.id;
    const from = sb.org.events.length;
    expect((await post(sb, `/api/v1/devices/${id}/lifecycle/suspend`)).status).toBe(204);
    expect((await get(sb, `/api/v1/devices/${id}`)).body.status).toBe('SUSPENDED');
    expect((await post(sb, `/api/v1/devices/${id}/lifecycle/suspend`)).body.errorCode).toBe('E0000001');
    expect((await post(sb, `/api/v1/devices/${id}/lifecycle/deactivate`)).status).toBe(204);
    const again = await post(sb, `/api/v1/devices/${id}/lifecycle/deactivate`);
    expect(again.status).toBe(400);
    expect(again.body.errorCauses[0].errorSummary).toMatch(/DEACTIVATED/);
    expect(eventsSince(from).map((e) => e.eventType)).toEqual(['device.lifecycle.suspend', 'device.lifecycle.deactivate']);
    expect((await post(sb, '/api/v1/devices/guonope/lifecycle/suspend')).status).toBe(404);
  });
});

describe('OAuth grants, clients and tokens of a user', () => {
  it('lists grants (paged, scopeId, expand=scope) and clients; revokes grants and one client\'s tokens', async () => {
    const alice = userId('alice@example.com');
    const { items, pages } = await allPages(sb, `/api/v1/users/${alice}/grants?limit=2`);
    expect(items.map((g: Json) => g.scopeId)).toEqual(['openid', 'profile', 'email', 'offline_access', 'openid', 'offline_access']);
    expect(pages).toBe(3);
    expect(items[0]).toMatchObject({ userId: alice, status: 'ACTIVE', source: 'END_USER', issuer: sb.url, _links: { client: { title: 'Slack Desktop' } } });
    const r = await get(sb, `/api/v1/users/${alice}/grants?scopeId=email&expand=scope`);
    expect(r.body).toEqual([expect.objectContaining({ scopeId: 'email', _embedded: { scope: { id: 'email' } } })]);
    const clients = (await get(sb, `/api/v1/users/${alice}/clients`)).body;
    expect(clients.map((c: Json) => c.client_name)).toEqual(['Slack Desktop', 'GitHub CLI']);
    expect(clients[0]._links.tokens.href).toBe(`${sb.url}/api/v1/users/${alice}/clients/${clients[0].client_id}/tokens`);
    const from = sb.org.events.length;
    expect((await del(`/api/v1/users/${alice}/clients/${clients[1].client_id}/tokens`)).status).toBe(204);
    expect((await del(`/api/v1/users/${alice}/clients/0oanope/tokens`)).status).toBe(404);
    expect((await del(`/api/v1/users/${alice}/grants`)).status).toBe(204);
    expect((await get(sb, `/api/v1/users/${alice}/grants`)).body).toEqual([]);
    // Slack still holds refresh tokens, GitHub CLI nothing any more.
    expect((await get(sb, `/api/v1/users/${alice}/clients`)).body.map((c: Json) => c.client_name)).toEqual(['Slack Desktop']);
    expect(eventsSince(from).map((e) => e.eventType)).toEqual(['app.oauth2.as.token.revoke', ...Array(6).fill('app.oauth2.as.consent.revoke')]);
  });
});

describe('applications', () => {
  it("lists the OAuth service app okta-soar signs in with; deactivates and activates apps (200, no body)", async () => {
    const svc = await get(sb, `/api/v1/apps/${sb.clientId}`);
    expect(svc.body).toMatchObject({ label: 'okta-soar sandbox service app', signOnMode: 'OPENID_CONNECT', credentials: { oauthClient: { client_id: sb.clientId } } });
    const zoom = [...sb.org.apps.values()].find((a) => a.label === 'Zoom')!.id;
    const from = sb.org.events.length;
    const r = await post(sb, `/api/v1/apps/${zoom}/lifecycle/deactivate`);
    expect(r.status).toBe(200);
    expect(r.body).toBeUndefined();
    expect((await get(sb, `/api/v1/apps/${zoom}`)).body.status).toBe('INACTIVE');
    expect((await post(sb, `/api/v1/apps/${zoom}/lifecycle/activate`)).status).toBe(200);
    expect(eventsSince(from).map((e) => e.eventType)).toEqual(['application.lifecycle.deactivate', 'application.lifecycle.activate']);
    expect((await post(sb, '/api/v1/apps/0oanope/lifecycle/deactivate')).status).toBe(404);
  });
});

describe('policies', () => {
  it('needs a type; lists by type in priority order; lists rules; deactivates a rule, never a default rule', async () => {
    expect((await get(sb, '/api/v1/policies')).body.errorCode).toBe('E0000001');
    expect((await get(sb, '/api/v1/policies?type=NOPE')).status).toBe(400);
    let r = await get(sb, '/api/v1/policies?type=OKTA_SIGN_ON');
    expect(r.body.map((p: Json) => `${p.priority} ${p.name}`)).toEqual(['1 Contractors', '2 Default Policy']);
    expect((await get(sb, '/api/v1/policies?type=PASSWORD')).body.map((p: Json) => p.name)).toEqual(['Default Policy']);
    const contractors = r.body[0].id;
    r = await get(sb, `/api/v1/policies/${contractors}/rules`);
    expect(r.body.map((x: Json) => `${x.name}/${x.type}/${x.system}`)).toEqual(['Temporary access - no MFA/SIGN_ON/false', 'MFA every sign-in/SIGN_ON/false', 'Default Rule/SIGN_ON/true']);
    const [weak, , dflt] = r.body;
    expect(weak.actions.signon).toMatchObject({ access: 'ALLOW', requireFactor: false });
    const from = sb.org.events.length;
    expect((await post(sb, `/api/v1/policies/${contractors}/rules/${weak.id}/lifecycle/deactivate`)).status).toBe(204);
    expect((await get(sb, `/api/v1/policies/${contractors}/rules/${weak.id}`)).body.status).toBe('INACTIVE');
    const refused = await post(sb, `/api/v1/policies/${contractors}/rules/${dflt.id}/lifecycle/deactivate`);
    expect(refused.status).toBe(400);
    expect(eventsSince(from).map((e) => e.eventType)).toEqual(['policy.rule.deactivate']);
    expect((await get(sb, `/api/v1/policies/${contractors}/rules/0prnope`)).status).toBe(404);
    const auth = await bearer('okta.policies.read');
    expect((await call(sb, 'POST', `/api/v1/policies/${contractors}/rules/${weak.id}/lifecycle/activate`, { auth })).status).toBe(403);
  });
});

describe('the sandbox SSWS token', () => {
  it('stops working once revoked, as a revoked Okta token does', async () => {
    const sb2 = await startSandbox({ users: 12, logEvents: 0, now: () => clock, quiet: true, recordFile: '' });
    try {
      expect((await get(sb2, '/api/v1/users/me')).status).toBe(200);
      expect((await call(sb2, 'DELETE', `/api/v1/api-tokens/${sb2.org.security.selfTokenId}`)).status).toBe(204);
      const r = await get(sb2, '/api/v1/users/me');
      expect(r.status).toBe(401);
      expect(r.body.errorCode).toBe('E0000011');
    } finally {
      await sb2.close();
    }
  });
});
