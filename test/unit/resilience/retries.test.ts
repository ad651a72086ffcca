/**
 * Retries after 5xx answers and failed token requests, and the rule that a request which may
 * have reached Okta is sent again only when it is safe to repeat. Backoff waits run on a
 * ManualClock (jitter pinned to the middle). Network failures and timeouts: network.test.ts.
 */
import nock from 'nock';
import { ManualClock } from '../../../integration/base/clock.js';
import { dispatch } from '../../../entry/index.js';
import { AuthError, NetworkError, OktaApiError } from '../../../integration/base/errors.js';
import type { AuthProvider } from '../../../integration/okta/types.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { sswsParams } from '../../helpers/fixtures.js';
import { closeClients, makeClient, ORG, T0 } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  closeClients();
});
afterAll(() => nock.enableNetConnect());

const E503 = { errorCode: 'E0000009', errorSummary: 'Internal Server Error', errorId: 'oae503' };
const getUser = { method: 'GET' as const, path: '/api/v1/users/{id}', pathParams: { id: 'alice@example.com' } };
const suspend = { method: 'POST' as const, path: '/api/v1/users/{id}/lifecycle/suspend', pathParams: { id: '00u1' } };
const createGroup = { method: 'POST' as const, path: '/api/v1/groups', body: { profile: { name: 'x' } } };
const opts = () => ({ clock: new ManualClock(T0), state: new MemoryStore() });

describe('5xx storms', () => {
  test('503 four times, then 200: retried up to max_retries (4) with growing, jittered backoff', async () => {
    const { client, clock } = makeClient();
    const scope = nock(ORG).get('/api/v1/users/alice@example.com').times(4).reply(503, E503).get('/api/v1/users/alice@example.com').reply(200, { id: '00u1' });
    const res = await client.request(getUser);
    scope.done();
    expect(res.data).toEqual({ id: '00u1' });
    expect(clock.slept).toEqual([375, 750, 1500, 3000]);
  });

  test('503 five times: a clear error entry with Okta\'s fields and the number of attempts', async () => {
    nock(ORG).get('/api/v1/users/alice@example.com').times(5).reply(503, E503);
    const { entries, exitCode } = await dispatch('okta-get-user', { username: 'alice@example.com' }, sswsParams(), opts());
    expect(nock.pendingMocks()).toEqual([]);
    expect(exitCode).toBe(1);
    expect(entries[0]!.Contents).toBe(
      'okta-get-user: Okta answered HTTP 503 to GET /api/v1/users/alice@example.com: E0000009 Internal Server Error [errorId oae503] (gave up after 5 attempts)',
    );
  });

  test('max_retries=0 means one attempt', async () => {
    const { client } = makeClient({ maxRetries: 0 });
    nock(ORG).get('/api/v1/users/alice@example.com').reply(502, 'Bad Gateway');
    await expect(client.request(getUser)).rejects.toThrow(/HTTP 502/);
    expect(client.requestCount).toBe(1);
  });

  test('Retry-After on a 503 is honoured when longer than the backoff', async () => {
    const { client, clock } = makeClient();
    nock(ORG).get('/api/v1/users/alice@example.com').reply(503, E503, { 'Retry-After': '7' }).get('/api/v1/users/alice@example.com').reply(200, {});
    await client.request(getUser);
    expect(clock.slept).toEqual([7000]);
  });

  test('501 Not Implemented is not retried', async () => {
    const { client } = makeClient();
    nock(ORG).get('/api/v1/users/alice@example.com').reply(501, {});
    await expect(client.request(getUser)).rejects.toBeInstanceOf(OktaApiError);
    expect(client.requestCount).toBe(1);
  });

  test('a POST that got a 5xx is not repeated, and the error says why and what to check', async () => {
    const { client } = makeClient();
    const scope = nock(ORG).post('/api/v1/groups').reply(503, E503).post('/api/v1/groups').reply(200, {});
    const err = (await client.request(createGroup).catch((e: unknown) => e)) as OktaApiError;
    expect(err).toBeInstanceOf(OktaApiError);
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/HTTP 503 to POST \/api\/v1\/groups: E0000009 .*Not retried: a POST that may have reached Okta is not sent twice/);
    expect(scope.pendingMocks()).toHaveLength(1);
    expect(client.requestCount).toBe(1);
  });

  test('through dispatch: okta-create-group that got a 502 is one request and an error entry that says to check', async () => {
    nock(ORG).post('/api/v1/groups').reply(502, E503).post('/api/v1/groups').reply(200, { id: '00g1' });
    const { entries, exitCode } = await dispatch('okta-create-group', { name: 'Responders' }, sswsParams(), opts());
    expect(exitCode).toBe(1);
    expect(entries[0]!.Contents).toBe(
      'okta-create-group: Okta answered HTTP 502 to POST /api/v1/groups: E0000009 Internal Server Error [errorId oae503]. ' +
        'Not retried: a POST that may have reached Okta is not sent twice (it may have taken effect); check before running the command again',
    );
    expect(nock.pendingMocks()).toHaveLength(1);
  });

  test('a POST marked idempotent is retried after a 5xx', async () => {
    const { client } = makeClient();
    const scope = nock(ORG).post('/api/v1/users/00u1/lifecycle/suspend').reply(503, E503).post('/api/v1/users/00u1/lifecycle/suspend').reply(200, {});
    await client.request({ ...suspend, idempotent: true });
    scope.done();
  });

  test('PUT and DELETE are idempotent by default', async () => {
    const { client } = makeClient();
    const scope = nock(ORG)
      .put('/api/v1/groups/00g1/users/00u1')
      .reply(503, E503)
      .put('/api/v1/groups/00g1/users/00u1')
      .reply(204)
      .delete('/api/v1/groups/00g1/users/00u1')
      .reply(502, '')
      .delete('/api/v1/groups/00g1/users/00u1')
      .reply(204);
    await client.request({ method: 'PUT', path: '/api/v1/groups/{g}/users/{u}', pathParams: { g: '00g1', u: '00u1' } });
    await client.request({ method: 'DELETE', path: '/api/v1/groups/{g}/users/{u}', pathParams: { g: '00g1', u: '00u1' } });
    scope.done();
  });
});

describe('the OAuth token request failing', () => {
  test('a failed token request means the API request never left: even a POST is retried', async () => {
    let calls = 0;
    const auth: AuthProvider = {
      kind: 'oauth',
      async authorize() {
        calls++;
        if (calls === 1) throw new NetworkError('token request to https://example.okta.com/oauth2/v1/token failed: socket hang up', 'ECONNRESET');
        if (calls === 2) throw new AuthError("Okta's token endpoint answered HTTP 503", undefined, 503);
        return { Authorization: 'Bearer abc' };
      },
      async onAuthFailure() {
        return 'fail';
      },
    };
    const { client } = makeClient({ auth });
    const scope = nock(ORG).post('/api/v1/groups').reply(200, { id: '00g1' });
    await client.request(createGroup);
    scope.done();
    expect(calls).toBe(3);
    expect(client.requestCount).toBe(1);
  });

  test('a token refusal (4xx) is not retried', async () => {
    const auth: AuthProvider = {
      kind: 'oauth',
      async authorize() {
        throw new AuthError('invalid_client', 'invalid_client', 401);
      },
      async onAuthFailure() {
        return 'fail';
      },
    };
    const { client } = makeClient({ auth });
    await expect(client.request(getUser)).rejects.toBeInstanceOf(AuthError);
    expect(client.requestCount).toBe(0);
  });
});

describe('bounded concurrency', () => {
  test('30 requests at once with max_concurrency=4: never more than 4 in flight', async () => {
    const { client } = makeClient({ maxConcurrency: 4 });
    let inflight = 0;
    let peak = 0;
    nock(ORG)
      .get(/\/api\/v1\/users\/u\d+/)
      .times(30)
      .reply(async () => {
        inflight++;
        peak = Math.max(peak, inflight);
        await new Promise((r) => setTimeout(r, 10));
        inflight--;
        return [200, {}];
      });
    await Promise.all(Array.from({ length: 30 }, (_, i) => client.request({ method: 'GET', path: '/api/v1/users/{id}', pathParams: { id: `u${i}` } })));
    expect(peak).toBe(4);
  });
});
