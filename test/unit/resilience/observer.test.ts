/**
 * The client's observer (integration/okta/observer.ts): what serve's metrics are made of. Every
 * answer with its bucket, status and rate headers; waits for the budget and for 429s, by reason;
 * token mints; a failing observer never fails a request; no event carries an id or a secret.
 */
import nock from 'nock';
import { ManualClock } from '../../../integration/base/clock.js';
import { createOAuthAuth } from '../../../integration/okta/auth/oauth.js';
import { createTransport } from '../../../integration/okta/transport.js';
import type { OktaExchangeEvent, OktaObserver, OktaTokenEvent, OktaWaitEvent } from '../../../integration/okta/observer.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { closeClients, E0000047, makeClient, ORG, rateHeaders, startScriptedServer, T0, T0S } from './helpers.js';
import { generateKeyPairSync } from 'node:crypto';

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterEach(() => {
  nock.cleanAll();
  closeClients();
});
afterAll(() => nock.enableNetConnect());

function recorder(): OktaObserver & { exchanges: OktaExchangeEvent[]; waits: OktaWaitEvent[]; mints: OktaTokenEvent[] } {
  const r = {
    exchanges: [] as OktaExchangeEvent[],
    waits: [] as OktaWaitEvent[],
    mints: [] as OktaTokenEvent[],
    exchange: (e: OktaExchangeEvent) => void r.exchanges.push(e),
    waited: (e: OktaWaitEvent) => void r.waits.push(e),
    tokenMinted: (e: OktaTokenEvent) => void r.mints.push(e),
  };
  return r;
}

const suspend = (id: string) => ({ method: 'POST' as const, path: '/api/v1/users/{id}/lifecycle/suspend', pathParams: { id }, idempotent: true });

test('each answer is told with its bucket (ids folded), status and rate headers; a 429 wait is told with its reason', async () => {
  const obs = recorder();
  const { client } = makeClient({ observer: obs });
  nock(ORG)
    .post('/api/v1/users/00u1/lifecycle/suspend')
    .reply(429, E0000047, rateHeaders(50, 0, T0S + 10))
    .post('/api/v1/users/00u1/lifecycle/suspend')
    .reply(200, {}, rateHeaders(50, 49, T0S + 70));
  await client.request(suspend('00u1'));
  const bucket = 'POST /api/v1/users/{id}/lifecycle/suspend';
  expect(obs.exchanges.map((e) => [e.bucket, e.status, e.rate])).toEqual([
    [bucket, 429, { limit: 50, remaining: 0, reset: T0S + 10 }],
    [bucket, 200, { limit: 50, remaining: 49, reset: T0S + 70 }],
  ]);
  expect(obs.waits).toHaveLength(1);
  expect(obs.waits[0]).toMatchObject({ bucket, reason: 'rate_limit' });
  expect(obs.waits[0]!.ms).toBeGreaterThanOrEqual(10_000);
  expect(JSON.stringify(obs)).not.toContain('00u1');
});

test('a request held back by its own budget is told as a budget wait; a concurrency 429 as concurrency', async () => {
  const obs = recorder();
  const { client, clock } = makeClient({ observer: obs });
  nock(ORG)
    .get('/api/v1/users/a')
    .reply(200, {}, rateHeaders(1, 0, T0S + 20))
    .get('/api/v1/users/b')
    .reply(429, E0000047, rateHeaders(0, 0, T0S + 21))
    .get('/api/v1/users/b')
    .reply(200, {}, rateHeaders(1, 0, T0S + 80));
  await client.request({ method: 'GET', path: '/api/v1/users/{id}', pathParams: { id: 'a' } });
  await client.request({ method: 'GET', path: '/api/v1/users/{id}', pathParams: { id: 'b' } });
  expect(obs.waits.map((w) => w.reason)).toEqual(['budget', 'concurrency']);
  expect(obs.waits[0]!.ms).toBeGreaterThanOrEqual(20_000);
  expect(clock.slept.length).toBeGreaterThanOrEqual(2);
});

test('a network failure is told as status 0; an observer that throws changes nothing', async () => {
  const server = await startScriptedServer(['hangup', { status: 200, body: { id: 'a' } }]);
  const seen: number[] = [];
  const { client } = makeClient({
    origin: server.origin,
    observer: {
      exchange: (e) => {
        seen.push(e.status);
        throw new Error('broken metrics');
      },
    },
    maxRetries: 1,
  });
  try {
    const res = await client.request({ method: 'GET', path: '/api/v1/users/{id}', pathParams: { id: 'a' } });
    expect(res.data).toEqual({ id: 'a' });
    expect(seen).toEqual([0, 200]);
  } finally {
    await server.close();
  }
});

test('the OAuth provider tells each token request and each mint, and no event holds the token or the assertion', async () => {
  const obs = recorder();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const transport = createTransport({ proxy: false, insecure: false });
  const clock = new ManualClock(T0);
  const accessToken = 'eyJ.access-token-for-the-observer-test.sig';
  nock(ORG)
    .post('/oauth2/v1/token')
    .reply(429, { error: 'too_many_requests' }, rateHeaders(10, 0, T0S + 2))
    .post('/oauth2/v1/token')
    .reply(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: 'okta.users.read' }, rateHeaders(10, 8, T0S + 60));
  const auth = createOAuthAuth({
    origin: ORG,
    clientId: '0oaObserverTest',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    scopes: ['okta.users.read'],
    dpop: false,
    transport,
    state: new MemoryStore(),
    clock,
    maxWaitMs: 60_000,
    observer: obs,
  });
  try {
    await auth.authorize('GET', `${ORG}/api/v1/users/a`);
    await auth.authorize('GET', `${ORG}/api/v1/users/b`);
  } finally {
    transport.close?.();
  }
  expect(obs.exchanges.map((e) => [e.bucket, e.status])).toEqual([
    ['POST /oauth2/v1/token', 429],
    ['POST /oauth2/v1/token', 200],
  ]);
  expect(obs.waits).toEqual([expect.objectContaining({ bucket: 'POST /oauth2/v1/token', reason: 'rate_limit' })]);
  expect(obs.mints).toEqual([{ dpop: false }]);
  expect(JSON.stringify(obs)).not.toContain(accessToken);
});
