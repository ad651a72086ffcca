import { request as httpRequest } from 'node:http';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { allPages, call, get, post, q, type Json } from './helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ users: 30, logEvents: 50, quiet: true });
});
afterAll(() => sb.close());

describe('authentication', () => {
  it('accepts the fixed SSWS token and answers with Okta headers', async () => {
    const r = await get(sb, '/api/v1/users/me');
    expect(r.status).toBe(200);
    expect(r.body.profile.login).toBe('admin@example.com');
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('x-okta-request-id')).toMatch(/^[A-Za-z0-9]{20,}$/);
    expect(r.headers.get('date')).toBeTruthy();
    for (const h of ['x-rate-limit-limit', 'x-rate-limit-remaining', 'x-rate-limit-reset']) expect(r.headers.get(h)).toMatch(/^\d+$/);
  });

  it('refuses a wrong SSWS token with 401 E0000011', async () => {
    const r = await get(sb, '/api/v1/users', { auth: 'SSWS not-the-token' });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorLink: 'E0000011', errorCauses: [] });
    expect(typeof r.body.errorId).toBe('string');
  });

  it('refuses a request without credentials with 403 E0000005', async () => {
    const r = await get(sb, '/api/v1/users', { auth: null });
    expect(r.status).toBe(403);
    expect(r.body.errorCode).toBe('E0000005');
  });

  it('answers unknown paths 404 and wrong methods 405, never redirects', async () => {
    // Not recorded: the conformance check rightly finds no such operations in the spec.
    const other = await startSandbox({ users: 12, logEvents: 0, quiet: true, recordFile: '' });
    try {
      expect((await get(other, '/api/v1/nothing-here')).status).toBe(404);
      const r = await call(other, 'PATCH', '/api/v1/users');
      expect(r.status).toBe(405);
      expect(r.body.errorCode).toBe('E0000022');
    } finally {
      await other.close();
    }
  });
});

describe('GET /api/v1/users', () => {
  it('pages with opaque rel="next" links until the last page, skipping DEPROVISIONED users', async () => {
    const first = await get(sb, '/api/v1/users?limit=7');
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(7);
    expect(first.links.self).toBe(`${sb.url}/api/v1/users?limit=7`);
    expect(first.links.next).toMatch(/after=/);
    const { items, pages } = await allPages(sb, '/api/v1/users?limit=7');
    const active = [...sb.org.users.values()].filter((u) => u.status !== 'DEPROVISIONED');
    expect(items.map((u: Json) => u.id)).toEqual(active.map((u) => u.id));
    expect(new Set(items.map((u: Json) => u.id)).size).toBe(items.length);
    expect(pages).toBe(Math.ceil(active.length / 7));
    expect(items.some((u: Json) => u.status === 'DEPROVISIONED')).toBe(false);
  });

  it('sends self and next as two Link headers', async () => {
    const raw = await new Promise<string[]>((resolve, reject) => {
      const req = httpRequest(`${sb.url}/api/v1/users?limit=2`, { headers: { Authorization: `SSWS ${sb.apiToken}` } }, (res) => {
        res.resume();
        resolve(res.rawHeaders);
      });
      req.on('error', reject);
      req.end();
    });
    const links = raw.filter((_, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === 'link');
    expect(links).toHaveLength(2);
    expect(links[0]).toMatch(/rel="self"$/);
    expect(links[1]).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/api\/v1\/users\?limit=2&after=[^>]+>; rel="next"$/);
  });

  it('caps limit at 200', async () => {
    const big = await startSandbox({ users: 230, logEvents: 0, quiet: true });
    try {
      const r = await get(big, '/api/v1/users?limit=500');
      expect(r.body).toHaveLength(200);
      expect(r.links.next).toBeDefined();
    } finally {
      await big.close();
    }
  });

  it('filters on profile.login exactly (eq), status, id, and/or', async () => {
    let r = await get(sb, `/api/v1/users?filter=${q('profile.login eq "alice@example.com"')}`);
    expect(r.body.map((u: Json) => u.profile.login)).toEqual(['alice@example.com']);
    r = await get(sb, `/api/v1/users?filter=${q('status eq "DEPROVISIONED"')}`);
    expect(r.body.length).toBeGreaterThan(0);
    expect(r.body.every((u: Json) => u.status === 'DEPROVISIONED')).toBe(true);
    r = await get(sb, `/api/v1/users?filter=${q('profile.email eq "bob@example.com" or profile.email eq "carol@example.com"')}`);
    expect(r.body.map((u: Json) => u.profile.login).sort()).toEqual(['bob@example.com', 'carol@example.com']);
    const alice = sb.org.findUser('alice@example.com')!;
    r = await get(sb, `/api/v1/users?filter=${q(`id eq "${alice.id}" and status eq "ACTIVE"`)}`);
    expect(r.body).toHaveLength(1);
    r = await get(sb, `/api/v1/users?filter=${q('lastUpdated gt "2000-01-01T00:00:00.000Z"')}`);
    expect(r.body.length).toBe(sb.org.users.size);
  });

  it('refuses filter operators and attributes Okta does not support in filter (400 E0000031)', async () => {
    for (const f of ['profile.login sw "alice"', 'profile.department eq "Engineering"', 'not (status eq "ACTIVE")', 'status eq ACTIVE']) {
      const r = await get(sb, `/api/v1/users?filter=${q(f)}`);
      expect(r.status).toBe(400);
      expect(r.body.errorCode).toBe('E0000031');
    }
  });

  it('search supports profile attributes, sw and co, and includes DEPROVISIONED users', async () => {
    let r = await get(sb, `/api/v1/users?search=${q('profile.department eq "Engineering" and status eq "ACTIVE"')}`);
    expect(r.body.length).toBeGreaterThan(0);
    expect(r.body.every((u: Json) => u.profile.department === 'Engineering' && u.status === 'ACTIVE')).toBe(true);
    r = await get(sb, `/api/v1/users?search=${q('profile.login sw "ivan"')}`);
    expect(r.body.map((u: Json) => u.status)).toEqual(['DEPROVISIONED']);
    r = await get(sb, `/api/v1/users?search=${q('profile.email co "example.com"')}`);
    expect(r.body.length).toBe(sb.org.users.size);
    expect((await get(sb, `/api/v1/users?search=${q('status eq "ACTIVE"')}&filter=${q('status eq "ACTIVE"')}`)).status).toBe(400);
  });

  it('q is a prefix match on first name, last name and email, without paging or DEPROVISIONED users', async () => {
    let r = await get(sb, '/api/v1/users?q=ali');
    expect(r.body.map((u: Json) => u.profile.login)).toContain('alice@example.com');
    expect(r.links.next).toBeUndefined();
    r = await get(sb, '/api/v1/users?q=Example&limit=200');
    const logins = r.body.map((u: Json) => u.profile.login);
    expect(logins).toContain('bob@example.com');
    expect(logins).not.toContain('ivan@example.com');
    r = await get(sb, '/api/v1/users?q=lice');
    expect(r.body.map((u: Json) => u.profile.login)).not.toContain('alice@example.com');
  });
});

describe('GET /api/v1/users/{id}', () => {
  it('finds a user by id, login and unambiguous short login; 404 E0000007 otherwise', async () => {
    const alice = sb.org.findUser('alice@example.com')!;
    for (const key of [alice.id, 'alice@example.com', 'alice']) {
      const r = await get(sb, `/api/v1/users/${encodeURIComponent(key)}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: alice.id, status: 'ACTIVE', profile: { firstName: 'Alice', lastName: 'Example', login: 'alice@example.com' } });
      expect(r.body._links.self.href).toBe(`${sb.url}/api/v1/users/${alice.id}`);
    }
    const r = await get(sb, '/api/v1/users/nobody@example.com');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: nobody@example.com (User)' });
  });

  it('has Okta-style ids, deterministic per seed', async () => {
    const other = await startSandbox({ users: 30, logEvents: 0, quiet: true });
    try {
      const ids = [...sb.org.users.values()].map((u) => u.id);
      expect([...other.org.users.values()].map((u) => u.id)).toEqual(ids);
      for (const id of ids) expect(id).toMatch(/^00u[A-Za-z0-9]{17}$/);
    } finally {
      await other.close();
    }
  });
});

describe('create, update, delete', () => {
  it('creates users (ACTIVE with a password, PROVISIONED without, STAGED with activate=false) and refuses duplicates', async () => {
    const profile = { firstName: 'New', lastName: 'Person', email: 'new.person@example.com', login: 'new.person@example.com' };
    let r = await post(sb, '/api/v1/users?activate=true', { profile, credentials: { password: { value: 'Tr0ub4dor&3x!' } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ACTIVE', profile: { login: 'new.person@example.com' } });
    expect(r.body.id).toMatch(/^00u[A-Za-z0-9]{17}$/);
    expect(JSON.stringify(r.body)).not.toContain('Tr0ub4dor');
    r = await post(sb, '/api/v1/users', { profile });
    expect(r.status).toBe(400);
    expect(r.body.errorCode).toBe('E0000001');
    expect(r.body.errorCauses[0].errorSummary).toMatch(/login: An object with this field already exists/);
    r = await post(sb, '/api/v1/users', { profile: { ...profile, login: 'p2@example.com', email: 'p2@example.com' } });
    expect(r.body.status).toBe('PROVISIONED');
    r = await post(sb, '/api/v1/users?activate=false', { profile: { ...profile, login: 'p3@example.com', email: 'p3@example.com' } });
    expect(r.body.status).toBe('STAGED');
    r = await post(sb, '/api/v1/users', { profile: { login: 'p4@example.com' } });
    expect(r.status).toBe(400);
    expect(r.body.errorCauses.map((c: Json) => c.errorSummary)).toEqual(expect.arrayContaining(['email: The field cannot be left blank']));
    r = await post(sb, '/api/v1/users?activate=false&nextLogin=changePassword', { profile: { ...profile, login: 'p5@example.com', email: 'p5@example.com' }, credentials: { password: { value: 'x' } } });
    expect(r.body.errorCode).toBe('E0000125');
  });

  it('updates partially with POST and refuses malformed JSON', async () => {
    let r = await post(sb, '/api/v1/users/bob@example.com', { profile: { title: 'Principal Contractor' } });
    expect(r.status).toBe(200);
    expect(r.body.profile).toMatchObject({ title: 'Principal Contractor', firstName: 'Bob', login: 'bob@example.com' });
    const res = await fetch(`${sb.url}/api/v1/users/bob@example.com`, { method: 'POST', headers: { Authorization: `SSWS ${sb.apiToken}`, 'Content-Type': 'application/json' }, body: '{nope' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errorCode: string }).errorCode).toBe('E0000003');
    r = await post(sb, '/api/v1/users/ivan@example.com', { profile: { title: 'x' } });
    expect(r.status).toBe(403);
    expect(r.body.errorCode).toBe('E0000038');
  });

  it('DELETE deactivates first, deletes second, then 404', async () => {
    const u = sb.org.addUser({ login: 'temp.delete@example.com', firstName: 'Temp', lastName: 'Delete' });
    let r = await call(sb, 'DELETE', `/api/v1/users/${u.id}`);
    expect(r.status).toBe(204);
    expect(sb.org.users.get(u.id)!.status).toBe('DEPROVISIONED');
    r = await call(sb, 'DELETE', `/api/v1/users/${u.id}`);
    expect(r.status).toBe(204);
    expect(sb.org.users.has(u.id)).toBe(false);
    r = await call(sb, 'DELETE', `/api/v1/users/${u.id}`);
    expect(r.status).toBe(404);
    expect(r.body.errorCode).toBe('E0000007');
  });
});

describe('lifecycle', () => {
  let life: Sandbox;
  beforeAll(async () => {
    life = await startSandbox({ users: 20, logEvents: 0, quiet: true });
  });
  afterAll(() => life.close());
  const op = (user: string, name: string, query = '') => post(life, `/api/v1/users/${user}/lifecycle/${name}${query}`);
  const status = (login: string) => life.org.findUser(login)!.status;

  it('suspend / unsuspend follow Okta state rules and error codes', async () => {
    let r = await op('alice@example.com', 'suspend');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({}); // "Returns an empty object" (Okta's Users API reference)
    expect(status('alice@example.com')).toBe('SUSPENDED');
    r = await op('alice@example.com', 'suspend');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ errorCode: 'E0000001', errorSummary: 'Cannot suspend a user that is not active' });
    r = await op('alice@example.com', 'unsuspend');
    expect(r.status).toBe(200);
    expect(status('alice@example.com')).toBe('ACTIVE');
    r = await op('alice@example.com', 'unsuspend');
    expect(r.status).toBe(400);
    expect(r.body.errorSummary).toBe('Cannot unsuspend a user that is not suspended');
  });

  it('activate: STAGED → ACTIVE; an active user → 403 E0000016', async () => {
    let r = await op('erin@example.com', 'activate', '?sendEmail=false');
    expect(r.status).toBe(200);
    expect(r.body.activationToken).toBeTruthy();
    expect(r.body.activationUrl).toContain(life.url);
    expect(status('erin@example.com')).toBe('PROVISIONED'); // no password yet
    r = await op('alice@example.com', 'activate');
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ errorCode: 'E0000016', errorSummary: 'Activation failed because the user is already active' });
  });

  it('unlock: LOCKED_OUT → ACTIVE; otherwise 403 E0000032', async () => {
    expect((await op('dave@example.com', 'unlock')).status).toBe(200);
    expect(status('dave@example.com')).toBe('ACTIVE');
    const r = await op('dave@example.com', 'unlock');
    expect(r.status).toBe(403);
    expect(r.body.errorCode).toBe('E0000032');
  });

  it('deactivate: → DEPROVISIONED; again → 404 E0000007', async () => {
    expect((await op('frank@example.com', 'deactivate')).status).toBe(200);
    expect(status('frank@example.com')).toBe('DEPROVISIONED');
    const r = await op('frank@example.com', 'deactivate');
    expect(r.status).toBe(404);
    expect(r.body.errorCode).toBe('E0000007');
    expect((await op('frank@example.com', 'activate')).status).toBe(200);
  });

  it('expire_password returns the user, the temp-password variant only {tempPassword}; reset_password → RECOVERY', async () => {
    let r = await op('mallory@example.com', 'expire_password');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'PASSWORD_EXPIRED', profile: { login: 'mallory@example.com' } });
    r = await op('grace@example.com', 'expire_password_with_temp_password');
    expect(Object.keys(r.body)).toEqual(['tempPassword']);
    expect(status('grace@example.com')).toBe('PASSWORD_EXPIRED');
    r = await op('grace@example.com', 'reset_password', '?sendEmail=false');
    expect(r.body.resetPasswordUrl).toContain(life.url);
    expect(status('grace@example.com')).toBe('RECOVERY');
    r = await op('ivan@example.com', 'reset_password');
    expect(r.status).toBe(403);
    expect(r.body.errorCode).toBe('E0000038');
  });

  it('still honours the legacy expire_password?tempPassword=true: {tempPassword} only', async () => {
    // Not recorded: the current spec no longer declares the parameter (XSOAR's Okta v2 still sends it).
    const legacy = await startSandbox({ users: 12, logEvents: 0, quiet: true, recordFile: '' });
    try {
      const r = await post(legacy, '/api/v1/users/alice@example.com/lifecycle/expire_password?tempPassword=true');
      expect(r.status).toBe(200);
      expect(Object.keys(r.body)).toEqual(['tempPassword']);
      expect(legacy.org.findUser('alice@example.com')!.status).toBe('PASSWORD_EXPIRED');
    } finally {
      await legacy.close();
    }
  });

  it('reset_factors removes every factor', async () => {
    expect(life.org.userFactors('heidi@example.com').factors.length).toBeGreaterThan(0);
    expect((await op('heidi@example.com', 'reset_factors')).status).toBe(200);
    expect(life.org.userFactors('heidi@example.com').factors).toEqual([]);
  });

  it('lifecycle calls append matching System Log events', async () => {
    const before = life.org.logs.size;
    await op('bob@example.com', 'suspend');
    const ev = life.org.events[life.org.logs.size - 1]!.event as Json;
    expect(life.org.logs.size).toBe(before + 1);
    expect(ev).toMatchObject({ eventType: 'user.lifecycle.suspend', actor: { alternateId: 'admin@example.com' }, target: [{ alternateId: 'bob@example.com', type: 'User' }] });
  });

  it('clears sessions with 204', async () => {
    const bob = life.org.findUser('bob@example.com')!;
    const r = await call(life, 'DELETE', `/api/v1/users/${bob.id}/sessions?oauthTokens=true`);
    expect(r.status).toBe(204);
    expect(life.org.sessionsCleared.get(bob.id)).toBe(1);
  });
});
