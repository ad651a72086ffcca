/**
 * Credentials go only to the configured origin: redirects are never followed, `Link` next URLs
 * and polling URLs on another host (or scheme, port, path) are refused before anything is sent
 * there, and the refusal is a clear error entry.
 */
import nock from 'nock';
import { ManualClock } from '../../../integration/base/clock.js';
import { dispatch } from '../../../entry/index.js';
import { loadManifest } from '../../../integration/engine/manifest.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { catchAllOkta, ORG } from './helpers.js';

const TOKEN = '00Origin-apiToken-0123456789abcdefghijklmnop';
const EVIL = 'https://evil.example';
const params = { url: ORG, apitoken: TOKEN, max_retries: 0 };
const opts = () => ({ clock: new ManualClock(), state: new MemoryStore() });
const user = (i: number) => ({ id: `00u${i}`, status: 'ACTIVE', profile: { login: `u${i}@example.com`, email: `u${i}@example.com` } });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => {
  nock.enableNetConnect();
  // Unpatch Node's http module: later test files in this Jest worker may need real sockets.
  nock.restore();
});

/** A trap on another host: it must never be called. */
function trap(host = EVIL): nock.Scope {
  return nock(host).persist().get(/.*/).reply(200, []).post(/.*/).reply(200, {});
}

describe('Link: rel="next" to anywhere but the org API is refused', () => {
  test.each([
    [`${EVIL}/api/v1/users?after=00u2&limit=200`],
    [`http://example.okta.com/api/v1/users?after=00u2&limit=200`],
    [`https://example.okta.com:444/api/v1/users?after=00u2&limit=200`],
    [`https://example.okta.com.evil.example/api/v1/users?after=00u2`],
    [`https://example.okta.com/oauth2/v1/token?after=00u2`],
    [`https://example.okta.com/api/v1/../../admin?after=00u2`],
  ])('okta-list-users with next link %s', async (next) => {
    const evil = trap();
    nock(ORG)
      .get('/api/v1/users')
      .query(true)
      .reply(200, [user(1)], { Link: `<${ORG}/api/v1/users?limit=200>; rel="self", <${next}>; rel="next"` });
    const { entries, exitCode } = await dispatch('okta-list-users', { limit: '500' }, params, opts());
    expect(exitCode).toBe(1);
    expect(entries[0]).toMatchObject({ Type: 4 });
    expect(entries[0]!.Contents).toMatch(/^okta-list-users: refused (to send credentials to|a URL outside the Okta API)/);
    expect(evil.isDone()).toBe(false);
    expect(nock.pendingMocks().filter((m) => !m.includes('evil.example'))).toEqual([]);
  });

  test('okta-get-logs: a System Log next link to another host is refused', async () => {
    const evil = trap();
    nock(ORG)
      .get('/api/v1/logs')
      .query(true)
      .reply(200, [{ uuid: 'e1', published: '2026-01-01T00:00:00.000Z', eventType: 'user.session.start' }], { Link: `<${EVIL}/api/v1/logs?after=e1>; rel="next"` });
    const { entries, exitCode } = await dispatch('okta-get-logs', { limit: '5000' }, params, opts());
    expect(exitCode).toBe(1);
    expect(entries[0]!.Contents).toMatch(/refused to send credentials to https:\/\/evil.example/);
    expect(evil.isDone()).toBe(false);
  });
});

describe('redirects are never followed', () => {
  test.each([301, 302, 303, 307, 308])('HTTP %i from the API, to another host or to the org itself', async (status) => {
    const evil = trap();
    for (const location of [`${EVIL}/api/v1/users/alice@example.com`, `${ORG}/api/v1/users/bob@example.com`]) {
      nock(ORG).get('/api/v1/users/alice@example.com').reply(status, '', { Location: location });
      const { entries, exitCode } = await dispatch('okta-get-user', { username: 'alice@example.com' }, params, opts());
      expect(exitCode).toBe(1);
      expect(entries[0]!.Contents).toBe(`okta-get-user: Okta answered GET /api/v1/users/alice@example.com with a redirect (${status}); redirects are never followed with credentials`);
    }
    expect(evil.isDone()).toBe(false);
    expect(nock.pendingMocks().filter((m) => !m.includes('evil.example'))).toEqual([]);
  });

  test('a redirect from the token endpoint: the assertion does not follow it', async () => {
    const evil = trap();
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    nock(ORG).post('/oauth2/v1/token').reply(307, '', { Location: `${EVIL}/oauth2/v1/token` });
    const { entries, exitCode } = await dispatch(
      'okta-get-user',
      { username: 'alice@example.com' },
      { url: ORG, client_id: '0oaOrigin', private_key: pem, scopes: 'okta.users.read', dpop: 'false' },
      opts(),
    );
    expect(exitCode).toBe(1);
    expect(entries[0]!.Contents).toMatch(/token endpoint .* refused to issue an access token \(HTTP 307\)/);
    expect(evil.isDone()).toBe(false);
  });
});

const hasVerifyStatus = loadManifest().commands.has('okta-verify-mfa-status');

(hasVerifyStatus ? describe : describe.skip)('polling_url (okta-verify-mfa-status): only the org, only a factor transaction', () => {
  const good = `${ORG}/api/v1/users/00u1abc/factors/opf1abc/transactions/v2mst1abc`;

  test.each([
    [`${EVIL}/api/v1/users/00u1abc/factors/opf1abc/transactions/v2mst1abc`],
    [`http://example.okta.com/api/v1/users/00u1abc/factors/opf1abc/transactions/v2mst1abc`],
    [`https://example.okta.com@evil.example/api/v1/users/00u1abc/factors/opf1abc/transactions/v2mst1abc`],
    [`${ORG}/api/v1/users/00u1abc/lifecycle/deactivate`],
    [`${ORG}/api/v1/users/00u1abc/factors/opf1abc/transactions/x/../../../../lifecycle/deactivate`],
    [`${ORG}/api/v1/users/00u1abc/factors/opf1abc/transactions/%2e%2e`],
    [`${ORG}/oauth2/v1/token`],
    [`${good}?x=1`],
    [`${good}#x`],
    ['file:///etc/passwd'],
    ['not a url'],
  ])('%s is refused before any request', async (url) => {
    const evil = trap();
    const stub = catchAllOkta();
    try {
      const { entries, exitCode } = await dispatch('okta-verify-mfa-status', { polling_url: url }, params, opts());
      expect(exitCode).toBe(1);
      expect(entries[0]!.Type).toBe(4);
      expect(entries[0]!.Contents).toMatch(/refused|expected form/);
      expect(stub.seen).toEqual([]);
      expect(evil.isDone()).toBe(false);
    } finally {
      stub.stop();
    }
  });

  test('the org\'s own factor transaction URL is polled', async () => {
    nock(ORG).get('/api/v1/users/00u1abc/factors/opf1abc/transactions/v2mst1abc').reply(200, { factorResult: 'WAITING' });
    const { exitCode } = await dispatch('okta-verify-mfa-status', { polling_url: good }, params, opts());
    expect(exitCode).toBe(0);
  });
});
