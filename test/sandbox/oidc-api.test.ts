/** A signed-in analyst's access token on the management API: the user is the actor, and their admin roles are the limit. */
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { call, get, post } from './helpers.js';
import { LOGIN_SCOPES, login, manualClock } from './oidc-helpers.js';

describe("analyst sign-in: a user's token on the management API", () => {
  let sb: Sandbox;
  const clock = manualClock();
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    sb = await startSandbox({ users: 30, logEvents: 10, quiet: true, now: clock.now });
    for (const u of ['admin@example.com', 'alice@example.com', 'bob@example.com']) {
      const t = await login(sb, u, { scope: `${LOGIN_SCOPES} okta.roles.read` });
      if (t.status !== 200) throw new Error(`login ${u}: ${JSON.stringify(t.body)}`);
      tokens[u] = `Bearer ${t.body.access_token}`;
    }
  });
  afterAll(() => sb.close());

  it('knows the seeded roles it is tested against: a super admin, an org admin and an end user', () => {
    expect(sb.oidc.users.filter((u) => ['admin@example.com', 'alice@example.com', 'bob@example.com'].includes(u.login))).toEqual([
      { login: 'admin@example.com', password: 'sandbox-admin', status: 'ACTIVE', roles: ['SUPER_ADMIN'], assigned: true },
      { login: 'alice@example.com', password: 'sandbox-alice', status: 'ACTIVE', roles: ['ORG_ADMIN'], assigned: true },
      { login: 'bob@example.com', password: 'sandbox-bob', status: 'ACTIVE', roles: [], assigned: true },
    ]);
  });

  it("logs the analyst, not the app, as the actor of a change", async () => {
    const target = [...sb.org.users.values()].find((u) => u.status === 'ACTIVE' && u.profile.login.split('@')[0]!.includes('.'))!;
    const before = sb.org.logs.size;
    const r = await post(sb, `/api/v1/users/${target.id}/lifecycle/suspend`, undefined, { auth: tokens['alice@example.com'] });
    expect(r.status).toBe(200);
    const alice = sb.org.requireUser('alice@example.com');
    const ev = sb.org.events.slice(before).map((e) => e.event);
    expect(ev).toEqual([
      expect.objectContaining({
        eventType: 'user.lifecycle.suspend',
        actor: { id: alice.id, type: 'User', alternateId: 'alice@example.com', displayName: 'Alice Example', detailEntry: null },
        target: [expect.objectContaining({ id: target.id })],
      }),
    ]);
    // The System Log query an analyst would run finds it under their own id.
    const logs = await get(sb, `/api/v1/logs?filter=${encodeURIComponent(`actor.id eq "${alice.id}" and eventType eq "user.lifecycle.suspend"`)}`, { auth: tokens['admin@example.com'] });
    expect(logs.status).toBe(200);
    expect(logs.body.map((e: { target: { id: string }[] }) => e.target[0]!.id)).toContain(target.id);
  });

  it('gives a user without an admin role Okta\'s 403 E0000006, though the token holds okta.users.manage', async () => {
    const target = sb.org.requireUser('mallory@example.com');
    const before = sb.org.logs.size;
    const r = await post(sb, `/api/v1/users/${target.id}/lifecycle/suspend`, undefined, { auth: tokens['bob@example.com'] });
    expect([r.status, r.body.errorCode, r.body.errorSummary]).toEqual([403, 'E0000006', 'You do not have permission to perform the requested action']);
    expect(r.headers.get('www-authenticate')).toBeNull();
    expect(target.status).toBe('ACTIVE');
    expect(sb.org.logs.size).toBe(before);
    expect((await get(sb, '/api/v1/users?limit=2', { auth: tokens['bob@example.com'] })).status).toBe(403);
    expect((await get(sb, '/api/v1/logs?limit=2', { auth: tokens['bob@example.com'] })).status).toBe(403);
  });

  it('lets any user read their own record (/users/me, their groups)', async () => {
    const me = await get(sb, '/api/v1/users/me', { auth: tokens['bob@example.com'] });
    expect([me.status, me.body.profile.login]).toEqual([200, 'bob@example.com']);
    expect((await get(sb, '/api/v1/users/bob@example.com/groups', { auth: tokens['bob@example.com'] })).status).toBe(200);
    expect((await get(sb, '/api/v1/users/alice@example.com/groups', { auth: tokens['bob@example.com'] })).status).toBe(403);
  });

  it("follows the roles: an org admin does not manage apps or read admin roles; a super admin does", async () => {
    const app = [...sb.org.apps.values()].find((a) => a.status === 'ACTIVE')!;
    const mallory = sb.org.requireUser('mallory@example.com');
    const assign = (auth: string) => post(sb, `/api/v1/apps/${app.id}/users`, { id: mallory.id }, { auth });
    expect((await assign(tokens['alice@example.com']!)).status).toBe(403);
    expect((await get(sb, `/api/v1/apps/${app.id}`, { auth: tokens['alice@example.com'] })).status).toBe(200);
    expect((await get(sb, `/api/v1/users/${mallory.id}/roles`, { auth: tokens['alice@example.com'] })).status).toBe(403);
    expect((await assign(tokens['admin@example.com']!)).status).toBe(200);
    expect((await get(sb, `/api/v1/users/${mallory.id}/roles`, { auth: tokens['admin@example.com'] })).status).toBe(200);
  });

  it('still needs the scope first: a role does not stand in for a scope the token lacks', async () => {
    const t = await login(sb, 'admin@example.com', { scope: 'openid okta.users.read' });
    const r = await call(sb, 'POST', '/api/v1/users/mallory@example.com/lifecycle/suspend', { auth: `Bearer ${t.body.access_token}` });
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });
});
