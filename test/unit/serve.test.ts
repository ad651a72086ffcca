import nock from 'nock';
import { startServer, type Server } from '../../integration/faces/serve/server.js';
import { dispatch } from '../../entry/index.js';
import { MemoryStore } from '../../integration/state/store.js';
import { fixture, ORG, sswsParams, TOKEN } from '../helpers/fixtures.js';

const SERVE_TOKEN = 'serve-token-0123456789abcdef';
let server: Server;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  server = await startServer({ dispatch, token: SERVE_TOKEN, params: sswsParams(), state: new MemoryStore(), port: 0, maxBodyBytes: 4096 });
});
afterAll(async () => {
  await server.close();
  nock.cleanAll();
  nock.enableNetConnect();
});
afterEach(() => nock.cleanAll());

const call = (path: string, init: RequestInit = {}, token: string | null = SERVE_TOKEN) =>
  fetch(server.url + path, { ...init, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) } });

describe('okta-soar serve', () => {
  test('refuses to start without a token', async () => {
    await expect(startServer({ dispatch, token: '', params: sswsParams(), state: new MemoryStore(), port: 0 })).rejects.toThrow(/OKTA_SOAR_SERVE_TOKEN/);
  });

  test('refuses a request without the token, or with a wrong one', async () => {
    const none = await call('/v1/commands', {}, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await call('/v1/commands', {}, 'wrong-token-wrong-token')).status).toBe(401);
    expect((await call('/healthz', {}, null)).status).toBe(401);
  });

  test('lists commands and runs one, returning entries', async () => {
    const list = (await (await call('/v1/commands')).json()) as Array<{ name: string }>;
    expect(list.map((c) => c.name)).toContain('okta-get-user');
    const scope = nock(ORG, { reqheaders: { authorization: `SSWS ${TOKEN}` } }).get('/api/v1/users/alice@example.com').reply(200, fixture('users/get-user-alice.json'));
    const res = await call('/v1/commands/okta-get-user', { method: 'POST', body: JSON.stringify({ username: 'alice@example.com' }) });
    expect(res.status).toBe(200);
    const entries = (await res.json()) as Array<{ Type: number; EntryContext: Record<string, { ID: string }> }>;
    expect(entries[0]!.EntryContext['Account(val.ID && val.ID === obj.ID)']!.ID).toBe('00ub0oNGTSWTBKOLGLNR');
    scope.done();
  });

  test('bad requests get clear answers', async () => {
    expect((await call('/v1/commands/okta-nope', { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await call('/v1/commands/okta-get-user', { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await call('/v1/commands/okta-get-user', { method: 'POST', body: JSON.stringify({ username: 'x'.repeat(5000) }) })).status).toBe(413);
    const bad = await call('/v1/commands/okta-get-user', { method: 'POST', body: JSON.stringify({ usernme: 'a' }) });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as Array<{ Contents: string }>)[0]!.Contents).toMatch(/did you mean username/);
  });
});

describe('dry_run', () => {
  test('resolves the user (a read) and sends no change, returning the exact request it would send', async () => {
    const user = fixture<{ id: string }>('users/get-user-alice.json');
    const scope = nock(ORG).get('/api/v1/users/alice@example.com').reply(200, user);
    const change = nock(ORG).post(/lifecycle/).reply(200, {});
    const res = await call('/v1/commands/okta-suspend-user', { method: 'POST', body: JSON.stringify({ username: 'alice@example.com', dry_run: true }) });
    expect(res.status).toBe(200);
    const entries = (await res.json()) as Array<{ Contents: { dryRun: boolean; requests: unknown[] }; HumanReadable: string }>;
    scope.done();
    expect(change.isDone()).toBe(false);
    expect(entries[0]!.Contents).toEqual({ dryRun: true, requests: [{ method: 'POST', path: `/api/v1/users/${user.id}/lifecycle/suspend` }] });
    expect(entries[0]!.HumanReadable).toMatch(/1 change request would be sent, none was/);
  });
});

describe('values the analyst asked to see', () => {
  test('a temporary password with hide_password=false survives serve\'s own redaction; hidden by default', async () => {
    const user = fixture<{ id: string }>('users/get-user-alice.json');
    const tempPassword = 'Tmp-Pw-7fK2xQ9z';
    for (const hide of ['false', 'true']) {
      nock(ORG)
        .get('/api/v1/users/alice@example.com')
        .reply(200, user)
        .post(`/api/v1/users/${user.id}/lifecycle/expire_password_with_temp_password`)
        .query(true)
        .reply(200, { tempPassword });
      const res = await call('/v1/commands/okta-expire-password', { method: 'POST', body: JSON.stringify({ username: 'alice@example.com', temporary_password: true, hide_password: hide }) });
      expect(res.status).toBe(200);
      const text = await res.text();
      if (hide === 'false') expect(text).toContain(tempPassword);
      else expect(text).not.toContain(tempPassword);
    }
  });
});
