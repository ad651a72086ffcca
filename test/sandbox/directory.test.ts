import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { allPages, call, get, post, q, type Json } from './helpers.js';

let clock = Date.UTC(2026, 10, 22, 12, 0, 0);
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ users: 40, logEvents: 0, now: () => clock, quiet: true });
});
afterAll(() => sb.close());

const groupId = (name: string) => [...sb.org.groups.values()].find((g) => g.profile.name === name)!.id;
const userId = (login: string) => sb.org.findUser(login)!.id;

describe('groups', () => {
  it('q is a starts-with match, so names sharing a prefix all come back', async () => {
    const r = await get(sb, '/api/v1/groups?q=Engineering');
    expect(r.status).toBe(200);
    expect(r.body.map((g: Json) => g.profile.name).sort()).toEqual(['Engineering', 'Engineering Managers', 'Engineering-Contractors']);
    expect(r.links.next).toBeUndefined();
    expect(r.body[0].id).toMatch(/^00g[A-Za-z0-9]{17}$/);
  });

  it('search eq finds the exact name; filter supports type', async () => {
    let r = await get(sb, `/api/v1/groups?search=${q('profile.name eq "Engineering"')}`);
    expect(r.body.map((g: Json) => g.profile.name)).toEqual(['Engineering']);
    r = await get(sb, `/api/v1/groups?filter=${q('type eq "APP_GROUP"')}`);
    expect(r.body.map((g: Json) => g.profile.name).sort()).toEqual(['Domain Admins', 'Domain Users']);
    expect((await get(sb, `/api/v1/groups?filter=${q('profile.name eq "HR"')}`)).status).toBe(400);
  });

  it('pages the group list and its members with next links', async () => {
    const { items } = await allPages(sb, '/api/v1/groups?limit=4');
    expect(items).toHaveLength(sb.org.groups.size);
    const everyone = groupId('Everyone');
    const members = await allPages(sb, `/api/v1/groups/${everyone}/users?limit=7`);
    expect(members.items.map((u: Json) => u.id)).toEqual([...sb.org.users.keys()]);
    expect(members.pages).toBe(Math.ceil(sb.org.users.size / 7));
  });

  it('adds and removes members of OKTA_GROUP groups (204), not of APP_GROUP ones (403 E0000006)', async () => {
    const hr = groupId('HR');
    const alice = userId('alice@example.com');
    expect((await call(sb, 'PUT', `/api/v1/groups/${hr}/users/${alice}`)).status).toBe(204);
    expect(sb.org.groupMembers.get(hr)!.has(alice)).toBe(true);
    let r = await get(sb, `/api/v1/users/${alice}/groups`);
    expect(r.body.map((g: Json) => g.profile.name)).toContain('HR');
    expect((await call(sb, 'DELETE', `/api/v1/groups/${hr}/users/${alice}`)).status).toBe(204);
    expect(sb.org.groupMembers.get(hr)!.has(alice)).toBe(false);
    r = await call(sb, 'PUT', `/api/v1/groups/${groupId('Domain Users')}/users/${alice}`);
    expect(r.status).toBe(403);
    expect(r.body.errorCode).toBe('E0000006');
    r = await call(sb, 'PUT', `/api/v1/groups/00gnonexistent0000000/users/${alice}`);
    expect(r.status).toBe(404);
    expect(r.body.errorSummary).toBe('Not found: Resource not found: 00gnonexistent0000000 (UserGroup)');
  });

  it('creates, replaces and deletes groups', async () => {
    let r = await post(sb, '/api/v1/groups', { profile: { name: 'Incident Responders', description: 'IR on-call' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ type: 'OKTA_GROUP', profile: { name: 'Incident Responders' }, objectClass: ['okta:user_group'] });
    const id = r.body.id;
    expect((await post(sb, '/api/v1/groups', { profile: { name: 'Incident Responders' } })).status).toBe(400);
    r = await call(sb, 'PUT', `/api/v1/groups/${id}`, { body: { profile: { name: 'Incident Response', description: 'x' } } });
    expect(r.body.profile.name).toBe('Incident Response');
    expect((await call(sb, 'DELETE', `/api/v1/groups/${id}`)).status).toBe(204);
    expect((await get(sb, `/api/v1/groups/${id}`)).status).toBe(404);
  });
});

describe('apps', () => {
  const appId = (label: string) => [...sb.org.apps.values()].find((a) => a.label === label)!.id;

  it('lists with q (starts-with on label or name), filter and paging', async () => {
    let r = await get(sb, '/api/v1/apps?q=Jira');
    expect(r.body.map((a: Json) => a.label).sort()).toEqual(['Jira', 'Jira Service Management']);
    expect(r.body[0].id).toMatch(/^0oa[A-Za-z0-9]{17}$/);
    r = await get(sb, `/api/v1/apps?filter=${q('status eq "INACTIVE"')}`);
    expect(r.body.map((a: Json) => a.label)).toEqual(['Legacy Expenses']);
    const { items, pages } = await allPages(sb, '/api/v1/apps?limit=3');
    expect(items).toHaveLength(sb.org.apps.size);
    expect(pages).toBe(Math.ceil(sb.org.apps.size / 3));
    r = await get(sb, `/api/v1/apps/${appId('Slack')}`);
    expect(r.body).toMatchObject({ label: 'Slack', signOnMode: 'SAML_2_0', status: 'ACTIVE' });
  });

  it('assigns and unassigns users, assigns groups, and shows appLinks', async () => {
    const app = appId('Salesforce.com');
    const bob = userId('bob@example.com');
    let r = await post(sb, `/api/v1/apps/${app}/users`, { id: bob, scope: 'USER', credentials: { userName: 'bob@example.com' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: bob, scope: 'USER', credentials: { userName: 'bob@example.com' } });
    r = await get(sb, `/api/v1/users/${bob}/appLinks`);
    expect(r.body.map((l: Json) => l.label)).toContain('Salesforce.com');
    const users = await allPages(sb, `/api/v1/apps/${app}/users?limit=5`);
    expect(users.items.map((u: Json) => u.id)).toContain(bob);
    expect((await call(sb, 'DELETE', `/api/v1/apps/${app}/users/${bob}`)).status).toBe(204);
    expect((await call(sb, 'DELETE', `/api/v1/apps/${app}/users/${bob}`)).status).toBe(404);
    const viaGroup = [...sb.org.appUsers.get(app)!.values()].find((a) => a.scope === 'GROUP')!;
    r = await call(sb, 'DELETE', `/api/v1/apps/${app}/users/${viaGroup.id}`);
    expect(r.status).toBe(403);
    expect(r.body.errorCode).toBe('E0000046');
    r = await call(sb, 'PUT', `/api/v1/apps/${app}/groups/${groupId('Finance')}`, { body: {} });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(groupId('Finance'));
    r = await get(sb, `/api/v1/apps/${app}/groups`);
    expect(r.body.map((g: Json) => g.id)).toContain(groupId('Finance'));
  });
});

describe('network zones', () => {
  it('lists IP zones with Okta ids and usages, filters by usage', async () => {
    let r = await get(sb, '/api/v1/zones');
    expect(r.body.map((z: Json) => z.name)).toEqual(expect.arrayContaining(['LegacyIpZone', 'BlockedIpZone', 'Corporate HQ', 'Known bad IPs']));
    for (const z of r.body) expect(z.id).toMatch(/^nzo[A-Za-z0-9]{17}$/);
    r = await get(sb, `/api/v1/zones?filter=${q('usage eq "BLOCKLIST"')}`);
    expect(r.body.every((z: Json) => z.usage === 'BLOCKLIST')).toBe(true);
  });

  it('creates, replaces, deactivates and deletes a zone; an active zone cannot be deleted', async () => {
    let r = await post(sb, '/api/v1/zones', { type: 'IP', name: 'Attackers', usage: 'BLOCKLIST', gateways: [{ type: 'CIDR', value: '192.0.2.50/32' }] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ type: 'IP', status: 'ACTIVE', usage: 'BLOCKLIST', system: false });
    const id = r.body.id;
    r = await call(sb, 'PUT', `/api/v1/zones/${id}`, { body: { type: 'IP', name: 'Attackers', usage: 'BLOCKLIST', gateways: [{ type: 'CIDR', value: '192.0.2.50/32' }, { type: 'RANGE', value: '192.0.2.60-192.0.2.70' }] } });
    expect(r.body.gateways).toHaveLength(2);
    r = await post(sb, '/api/v1/zones', { type: 'IP', name: 'Bad', gateways: [{ type: 'CIDR', value: '999.1.1.1/8' }] });
    expect(r.status).toBe(400);
    expect(r.body.errorCode).toBe('E0000001');
    r = await call(sb, 'DELETE', `/api/v1/zones/${id}`);
    expect(r.status).toBe(400);
    r = await post(sb, `/api/v1/zones/${id}/lifecycle/deactivate`);
    expect(r.body.status).toBe('INACTIVE');
    expect((await call(sb, 'DELETE', `/api/v1/zones/${id}`)).status).toBe(204);
    r = await get(sb, `/api/v1/zones/${id}`);
    expect(r.status).toBe(404);
    expect(r.body.errorSummary).toBe(`Not found: Resource not found: ${id} (NetworkZone)`);
  });
});

describe('factors and push verification', () => {
  const pushOf = (login: string) => sb.org.userFactors(login).factors.find((f) => f.factorType === 'push')!;

  it("lists alice's factors (Okta Verify push first) and deletes one", async () => {
    const alice = userId('alice@example.com');
    const r = await get(sb, `/api/v1/users/${alice}/factors`);
    expect(r.body.map((f: Json) => f.factorType)).toEqual(['push', 'sms', 'token:software:totp']);
    expect(r.body[0].id).toMatch(/^opf[A-Za-z0-9]{17}$/);
    const sms = r.body[1].id;
    expect((await call(sb, 'DELETE', `/api/v1/users/${alice}/factors/${sms}`)).status).toBe(204);
    expect((await call(sb, 'DELETE', `/api/v1/users/${alice}/factors/${sms}`)).status).toBe(404);
  });

  async function verify(login: string) {
    const uid = userId(login);
    const r = await post(sb, `/api/v1/users/${uid}/factors/${pushOf(login).id}/verify`);
    expect(r.status).toBe(201);
    expect(r.body.factorResult).toBe('WAITING');
    expect(r.body._links.poll.href).toMatch(new RegExp(`^${sb.url}/api/v1/users/${uid}/factors/opf[A-Za-z0-9]{17}/transactions/`));
    expect(r.body._links.cancel.href).toBe(r.body._links.poll.href);
    expect(Date.parse(r.body.expiresAt)).toBe(clock + 5 * 60_000);
    return r.body._links.poll.href as string;
  }

  it('approves after N polls', async () => {
    sb.org.setPushOutcome('alice@example.com', { result: 'SUCCESS', afterPolls: 2 });
    const poll = await verify('alice@example.com');
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await get(sb, poll)).body.factorResult);
    expect(results).toEqual(['WAITING', 'WAITING', 'SUCCESS']);
  });

  it('rejects', async () => {
    const poll = await verify('bob@example.com'); // seeded: rejects after 1 poll
    expect((await get(sb, poll)).body.factorResult).toBe('WAITING');
    const r = await get(sb, poll);
    expect(r.body.factorResult).toBe('REJECTED');
    expect(r.body._links.verify.href).toContain('/verify');
  });

  it('never answered: WAITING until expiresAt, then TIMEOUT', async () => {
    const poll = await verify('mallory@example.com');
    expect((await get(sb, poll)).body.factorResult).toBe('WAITING');
    clock += 5 * 60_000;
    expect((await get(sb, poll)).body.factorResult).toBe('TIMEOUT');
  });

  it('requires a User-Agent for push and 404s unknown transactions', async () => {
    const alice = userId('alice@example.com');
    const res = await fetch(`${sb.url}/api/v1/users/${alice}/factors/${pushOf('alice@example.com').id}/verify`, { method: 'POST', headers: { Authorization: `SSWS ${sb.apiToken}`, 'User-Agent': '' } });
    expect(res.status).toBe(400);
    await res.text();
    expect((await get(sb, `/api/v1/users/${alice}/factors/${pushOf('alice@example.com').id}/transactions/v2mst.nope`)).status).toBe(404);
  });
});

describe('roles', () => {
  it('shows seeded admin roles', async () => {
    let r = await get(sb, `/api/v1/users/${userId('alice@example.com')}/roles`);
    expect(r.body).toEqual([expect.objectContaining({ type: 'ORG_ADMIN', status: 'ACTIVE', assignmentType: 'USER', label: 'Organization Administrator' })]);
    r = await get(sb, `/api/v1/users/${userId('admin@example.com')}/roles`);
    // Directly, and through Security-Admins (security-model.ts seeds group roles).
    expect(r.body.map((x: Json) => `${x.type}/${x.assignmentType}`)).toEqual(['SUPER_ADMIN/USER', 'SUPER_ADMIN/GROUP']);
    r = await get(sb, `/api/v1/users/${userId('carol@example.com')}/roles`);
    expect(r.body).toEqual([]);
  });
});
