/**
 * The incident-response commands against Okta as nock plays it: the cases the sandbox story does
 * not reach (an admin with several API tokens, paged and hostile role-assignee lists, a Super
 * Administrator who cannot sign in, roles through groups, custom roles, look-alike names, secrets
 * in Okta's answers). Every refusal is checked to send no change.
 */
import { generateKeyPairSync } from 'node:crypto';
import nock from 'nock';
import { fixture, ORG, run, useNock } from './helpers.js';

useNock();

const ADMIN = '00uadmin000000000001';
const OTHER = '00uother000000000002';
const user = (id: string, login: string, status = 'ACTIVE') => ({ ...fixture<Record<string, unknown>>('users/get-user-alice.json'), id, status, profile: { login, email: login, firstName: 'A', lastName: 'B' } });
const token = (id: string, userId: string, name: string) => ({ id, name, userId, clientName: 'Okta API', tokenWindow: 'P30D', network: { connection: 'ANYWHERE' }, created: '2026-01-01T00:00:00.000Z', lastUpdated: '2026-06-01T00:00:00.000Z', expiresAt: '2026-07-01T00:00:00.000Z' });
const role = (id: string, type: string, assignee: string, assignmentType = 'USER') => ({
  id,
  type,
  label: type,
  status: 'ACTIVE',
  assignmentType,
  created: '2026-01-01T00:00:00.000Z',
  lastUpdated: '2026-01-01T00:00:00.000Z',
  _links: { assignee: { href: `${ORG}/api/v1/${assignmentType === 'GROUP' ? 'groups' : 'users'}/${assignee}` } },
});
const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

describe('okta-revoke-api-token: okta-soar keeps its own token', () => {
  const tokens = [token('00Tmine00000000000001', ADMIN, 'okta-soar'), token('00Tsiem00000000000002', ADMIN, 'SIEM export'), token('00Tevil00000000000003', OTHER, 'backup-sync')];

  test("when its admin has several tokens and api_token_id is unset, none of that admin's is revoked, and the refusal says how to fix it", async () => {
    nock(ORG).get('/api/v1/api-tokens').reply(200, tokens).get('/api/v1/users/me').reply(200, user(ADMIN, 'svc-soar@example.com'));
    const r = await run('okta-revoke-api-token', { tokenId: '00Tsiem00000000000002,00Tevil00000000000003' });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toMatch(/^okta-revoke-api-token: refused, nothing was revoked: API token 00Tsiem00000000000002 belongs to svc-soar@example.com, whose rights okta-soar's own token carries/);
    expect(r.e.Contents).toMatch(/Set OKTA_API_TOKEN_ID \(api_token_id\)/);
    // No DELETE was interceptable, so none was sent (nock would have thrown on an unknown request).
  });

  test('api_token_id names it: the admin\'s other token is revoked, that one refused', async () => {
    nock(ORG)
      .get('/api/v1/api-tokens')
      .twice()
      .reply(200, tokens)
      .get('/api/v1/users/me')
      .twice()
      .reply(200, user(ADMIN, 'svc-soar@example.com'))
      .delete('/api/v1/api-tokens/00Tsiem00000000000002')
      .reply(204);
    const params = { url: ORG, apitoken: '00abcdEFGHijklMNOPqrstuvWXyz0123456789-_SECRET', api_token_id: '00Tmine00000000000001' };
    const ok = await run('okta-revoke-api-token', { tokenId: '00Tsiem00000000000002' }, { params });
    expect(ok.exitCode).toBe(0);
    expect(ok.ctx['Okta.ApiTokenRevocation(val.ID && val.ID === obj.ID)']).toEqual([{ ID: '00Tsiem00000000000002', Name: 'SIEM export', UserID: ADMIN, Result: 'revoked' }]);
    const refused = await run('okta-revoke-api-token', { tokenId: '00Tmine00000000000001' }, { params });
    expect(refused.e.Contents).toMatch(/API token 00Tmine00000000000001 is the one okta-soar itself uses/);
  });

  test('under OAuth okta-soar has no API token: /users/me is not even asked, and the list marks none', async () => {
    nock(ORG)
      .post('/oauth2/v1/token')
      .reply(200, { token_type: 'Bearer', expires_in: 3600, access_token: `at-${'x'.repeat(40)}`, scope: 'okta.apiTokens.read okta.users.read' })
      .get('/api/v1/api-tokens')
      .reply(200, tokens)
      .get(`/api/v1/users/${ADMIN}`)
      .reply(200, user(ADMIN, 'svc-soar@example.com'))
      .get(`/api/v1/users/${OTHER}`)
      .reply(404, { errorCode: 'E0000007', errorSummary: `Not found: Resource not found: ${OTHER} (User)`, errorCauses: [] });
    const r = await run('okta-list-api-tokens', {}, { params: { url: ORG, client_id: '0oa1testclient', private_key: pem(), dpop: 'false', scopes: 'okta.apiTokens.read okta.users.read' } });
    expect(r.exitCode).toBe(0);
    const rows = r.ctx['Okta.ApiToken(val.ID && val.ID === obj.ID)'] as Array<Record<string, unknown>>;
    expect(rows.map((t) => [t.Name, t.Username ?? null, t.UsedByOktaSoar ?? false])).toEqual([
      ['okta-soar', 'svc-soar@example.com', false],
      ['SIEM export', 'svc-soar@example.com', false],
      // A deleted admin keeps only the id.
      ['backup-sync', null, false],
    ]);
  });
});

describe('okta-remove-user-role and okta-remove-group-role: the last Super Administrator', () => {
  const GROUP = '00gsecadmins00000001';

  test('assignees paged in the body are all counted; a SUSPENDED Super Administrator does not count', async () => {
    nock(ORG)
      .get('/api/v1/users/a@example.com')
      .reply(200, user(ADMIN, 'a@example.com'))
      .get(`/api/v1/users/${ADMIN}/roles`)
      .twice()
      .reply(200, [role('ra1direct', 'SUPER_ADMIN', ADMIN)])
      .get('/api/v1/iam/assignees/users')
      .query({ limit: 100 })
      .reply(200, { value: [{ id: ADMIN }], _links: { next: { href: `${ORG}/api/v1/iam/assignees/users?after=${ADMIN}&limit=100` } } })
      .get('/api/v1/iam/assignees/users')
      .query({ after: ADMIN, limit: 100 })
      .reply(200, { value: [{ id: OTHER }], _links: {} })
      .get(`/api/v1/users/${OTHER}/roles`)
      .reply(200, [role('ra1other', 'SUPER_ADMIN', OTHER)])
      .get(`/api/v1/users/${ADMIN}`)
      .reply(200, user(ADMIN, 'a@example.com'))
      .get(`/api/v1/users/${OTHER}`)
      .reply(200, user(OTHER, 'b@example.com', 'SUSPENDED'));
    const r = await run('okta-remove-user-role', { username: 'a@example.com', roleType: 'SUPER_ADMIN' });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toBe(
      'okta-remove-user-role: refused, nothing was removed: this would leave the org without a Super Administrator who can sign in (today: a@example.com). Make another admin Super Administrator first',
    );
  });

  test('a next link to another host or operation is refused, and nothing is removed', async () => {
    nock(ORG)
      .get(`/api/v1/users/${ADMIN}/roles`)
      .reply(200, [role('ra1direct', 'SUPER_ADMIN', ADMIN)])
      .get('/api/v1/iam/assignees/users')
      .query(true)
      .reply(200, { value: [{ id: ADMIN }], _links: { next: { href: `${ORG}/api/v1/users/${ADMIN}/lifecycle/deactivate` } } });
    const r = await run('okta-remove-user-role', { userId: ADMIN, roleType: 'SUPER_ADMIN' });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toMatch(/refused a URL that is not of the expected operation/);
  });

  test('a group removal counts the members who hold the role only through that group', async () => {
    nock(ORG)
      .get(`/api/v1/groups/${GROUP}/roles`)
      .reply(200, [role('ra1group', 'SUPER_ADMIN', GROUP, 'GROUP')])
      .get('/api/v1/iam/assignees/users')
      .query(true)
      .reply(200, { value: [{ id: ADMIN }, { id: OTHER }], _links: {} })
      // The member's copy of the group's assignment: another id, the group as assignee.
      .get(`/api/v1/users/${ADMIN}/roles`)
      .reply(200, [role('ra1copy', 'SUPER_ADMIN', GROUP, 'GROUP')])
      .get(`/api/v1/users/${OTHER}/roles`)
      .reply(200, [role('ra1ro', 'READ_ONLY_ADMIN', OTHER)])
      .get(`/api/v1/users/${ADMIN}`)
      .reply(200, user(ADMIN, 'a@example.com'));
    const r = await run('okta-remove-group-role', { groupId: GROUP, roleType: 'SUPER_ADMIN' });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toMatch(/refused, nothing was removed: this would leave the org without a Super Administrator/);
  });

  test('removing several users at once is judged as a whole: each alone would be fine, both together are not', async () => {
    const scope = nock(ORG)
      .get(`/api/v1/users/${ADMIN}/roles`)
      .twice()
      .reply(200, [role('ra1a', 'SUPER_ADMIN', ADMIN)])
      .get(`/api/v1/users/${OTHER}/roles`)
      .twice()
      .reply(200, [role('ra1b', 'SUPER_ADMIN', OTHER)])
      .get('/api/v1/iam/assignees/users')
      .query(true)
      .reply(200, { value: [{ id: ADMIN }, { id: OTHER }] })
      .get(`/api/v1/users/${ADMIN}`)
      .reply(200, user(ADMIN, 'a@example.com'))
      .get(`/api/v1/users/${OTHER}`)
      .reply(200, user(OTHER, 'b@example.com'));
    const r = await run('okta-remove-user-role', { userId: `${ADMIN},${OTHER}`, roleType: 'SUPER_ADMIN' });
    scope.done();
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toMatch(/today: a@example.com, b@example.com/);
  });
});

describe('okta-remove-user-role: what it will not guess', () => {
  test('an assignment id that comes through a group is named with its group, and not removed', async () => {
    nock(ORG).get(`/api/v1/users/${ADMIN}/roles`).reply(200, [role('ra1viagroup', 'ORG_ADMIN', '00ggroup000000000001', 'GROUP')]);
    const r = await run('okta-remove-user-role', { userId: ADMIN, roleId: 'ra1viagroup' });
    expect(r.exitCode).toBe(1);
    expect(r.entries.at(-1)!.Contents).toMatch(/holds ORG_ADMIN \(ORG_ADMIN\) through group 00ggroup000000000001, not directly: remove it from the group with okta-remove-group-role/);
  });

  test('two custom roles: roleType=CUSTOM asks for roleId', async () => {
    nock(ORG).get(`/api/v1/users/${ADMIN}/roles`).reply(200, [role('cr0one', 'CUSTOM', ADMIN), role('cr0two', 'CUSTOM', ADMIN)]);
    const r = await run('okta-remove-user-role', { userId: ADMIN, roleType: 'CUSTOM' });
    expect(r.entries.at(-1)!.Contents).toMatch(/has 2 custom role assignments \(cr0one CUSTOM, cr0two CUSTOM\); name the one to remove with roleId/);
  });

  test('a role the user does not hold is nothing to remove (exit 0); a roleId with several users is refused before any request', async () => {
    nock(ORG).get(`/api/v1/users/${ADMIN}/roles`).reply(200, []);
    const none = await run('okta-remove-user-role', { userId: ADMIN, roleType: 'APP_ADMIN' });
    expect(none.exitCode).toBe(0);
    expect(none.e.HumanReadable).toMatch(/no APP_ADMIN role \(nothing to remove\)/);
    const many = await run('okta-remove-user-role', { userId: `${ADMIN},${OTHER}`, roleId: 'ra1x' });
    expect(many.e.Contents).toMatch(/a roleId is one user's assignment/);
  });

  test('a role type that does not exist is refused by the argument check', async () => {
    const r = await run('okta-remove-user-role', { userId: ADMIN, roleType: 'GOD_MODE' });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toMatch(/roleType/);
  });
});

describe('exact names, never prefixes', () => {
  test('okta-deactivate-policy-rule picks "Temporary access", not "Temporary access - no MFA"', async () => {
    const rule = (id: string, name: string) => ({ id, name, type: 'SIGN_ON', status: 'ACTIVE', priority: 1, system: false, actions: { signon: { access: 'ALLOW', requireFactor: false } } });
    nock(ORG)
      .get('/api/v1/policies')
      .query({ type: 'OKTA_SIGN_ON', q: 'Contractors', limit: 200 })
      .reply(200, [{ id: '00pcontractorsplus01', name: 'Contractors (EMEA)', type: 'OKTA_SIGN_ON' }, { id: '00pcontractors000001', name: 'Contractors', type: 'OKTA_SIGN_ON' }])
      .get('/api/v1/policies/00pcontractors000001/rules')
      .reply(200, [rule('0prlong', 'Temporary access - no MFA'), rule('0prshort', 'Temporary access')])
      .post('/api/v1/policies/00pcontractors000001/rules/0prshort/lifecycle/deactivate')
      .reply(204);
    const r = await run('okta-deactivate-policy-rule', { policyName: 'Contractors', ruleName: 'Temporary access' });
    expect(r.exitCode).toBe(0);
    expect(r.e.HumanReadable).toMatch(/deactivated: "Temporary access" \(0prshort\) of policy Contractors/);
  });

  test('okta-revoke-user-client-tokens with a name the user has no app of is said plainly, and nothing is sent', async () => {
    nock(ORG)
      .get(`/api/v1/users/${ADMIN}/clients`)
      .reply(200, [{ client_id: '0oamailsyncpro000001', client_name: 'Mail Sync Pro Max' }]);
    const r = await run('okta-revoke-user-client-tokens', { userId: ADMIN, clientName: 'Mail Sync Pro' });
    expect(r.exitCode).toBe(0);
    expect(r.e.HumanReadable).toMatch(/no grants or tokens of an app named "Mail Sync Pro"/);
  });
});

describe('okta-deactivate-app: the app okta-soar signs in with', () => {
  test('found by its OAuth client id even when the app id differs; refused under OAuth, nothing sent', async () => {
    nock(ORG)
      .post('/oauth2/v1/token')
      .reply(200, { token_type: 'Bearer', expires_in: 3600, access_token: `at-${'y'.repeat(40)}`, scope: 'okta.apps.manage' })
      .get('/api/v1/apps/0oasoarapp0000000001')
      .reply(200, { id: '0oasoarapp0000000001', name: 'oidc_client', label: 'okta-soar', status: 'ACTIVE', signOnMode: 'OPENID_CONNECT', credentials: { oauthClient: { client_id: 'okta-soar-client' } } });
    const r = await run('okta-deactivate-app', { appId: '0oasoarapp0000000001', dry_run: 'true' }, { params: { url: ORG, client_id: 'okta-soar-client', private_key: pem(), dpop: 'false', scopes: 'okta.apps.manage' } });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toBe('okta-deactivate-app: refused: "okta-soar" (0oasoarapp0000000001) is the app okta-soar signs in with (client id okta-soar-client): deactivating it would cut okta-soar off from Okta');
  });
});

describe('devices', () => {
  test('an unknown device is a clear entry; a DEACTIVATED one cannot be suspended; the others are still done', async () => {
    nock(ORG)
      .get('/api/v1/devices/guounknown0000000001')
      .reply(404, { errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: guounknown0000000001 (Device)', errorCauses: [] })
      .get('/api/v1/devices/guodead0000000000001')
      .reply(200, { id: 'guodead0000000000001', status: 'DEACTIVATED', profile: { displayName: 'Old laptop', platform: 'WINDOWS' } })
      .get('/api/v1/devices/guolive0000000000001')
      .reply(200, { id: 'guolive0000000000001', status: 'ACTIVE', profile: { displayName: 'DESKTOP-7F3K2QA', platform: 'WINDOWS' } })
      .post('/api/v1/devices/guolive0000000000001/lifecycle/suspend')
      .reply(204);
    const r = await run('okta-suspend-device', { deviceId: 'guounknown0000000001,guodead0000000000001,guolive0000000000001' });
    expect(r.exitCode).toBe(1);
    const rows = r.ctx['Okta.DeviceLifecycle(val.ID && val.ID === obj.ID && val.Action === obj.Action)'] as Array<{ ID: string; Result: string }>;
    expect(rows.map((x) => x.Result)).toEqual([
      'device guounknown0000000001 was not found in Okta',
      'the device is DEACTIVATED: Okta can suspend only a device that is ACTIVE',
      'done (ACTIVE → SUSPENDED)',
    ]);
    expect(r.entries.slice(1).map((e) => e.Contents)).toEqual([
      'okta-suspend-device: guounknown0000000001: device guounknown0000000001 was not found in Okta',
      'okta-suspend-device: Old laptop: the device is DEACTIVATED: Okta can suspend only a device that is ACTIVE',
    ]);
  });

  test('a device id with a path in it is refused before any request', async () => {
    const r = await run('okta-deactivate-device', { deviceId: '../../users/me' });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toMatch(/deviceId/);
  });
});

describe('secrets in what Okta answers', () => {
  test("an IdP's client secret never reaches the entry", async () => {
    const secret = 'idp-client-secret-VALUE-0123456789';
    nock(ORG)
      .get('/api/v1/idps')
      .query(true)
      .reply(200, [{ id: '0oaidp00000000000001', name: 'Partner', type: 'OIDC', status: 'ACTIVE', protocol: { type: 'OIDC', credentials: { client: { client_id: 'abc', client_secret: secret } } } }]);
    const r = await run('okta-list-idps');
    expect(r.exitCode).toBe(0);
    expect(JSON.stringify(r.entries)).not.toContain(secret);
  });
});

describe('test-module under OAuth', () => {
  test('names the commands the granted scopes leave out, grouped by the scope they lack', async () => {
    const granted = 'okta.users.read okta.users.manage okta.apiTokens.read';
    nock(ORG)
      .post('/oauth2/v1/token')
      .reply(200, { token_type: 'Bearer', expires_in: 3600, access_token: `at-${'z'.repeat(40)}`, scope: granted })
      .get('/api/v1/users')
      .query({ limit: 1 })
      .reply(200, []);
    const r = await run('test-module', {}, { params: { url: ORG, client_id: '0oa1testclient', private_key: pem(), dpop: 'false', scopes: granted } });
    expect(r.exitCode).toBe(0);
    const line = String(r.e.HumanReadable).split('\n')[3]!;
    expect(line).toMatch(/^Commands unavailable with these scopes, by the scope they lack: /);
    expect(line).toContain(': okta.apiTokens.manage: okta-revoke-api-token; ');
    expect(line).toContain('; okta.roles.manage: okta-remove-user-role; ');
    expect(line).toContain('; okta.roles.manage + okta.groups.read: okta-remove-group-role; ');
    // okta.apiTokens.read is granted: okta-list-api-tokens is not named.
    expect(line).not.toContain('okta-list-api-tokens');
  });
});
