/**
 * auth_method user (contract §7): the analyst's token provider against nock, through the real
 * transport and client. Refresh on expiry and on 401, once between providers sharing a state
 * (re-read under the lock), DPoP keys kept, a refused refresh token forgotten with "run
 * okta-soar login", the sign-in of another org named, a 403 explained; no secret in any message.
 */
import nock from 'nock';
import { ManualClock } from '../../../integration/base/clock.js';
import { resolveConfig } from '../../../integration/engine/config.js';
import { generateDpopKey } from '../../../integration/okta/auth/dpop.js';
import { createUserAuth, type UserAuthProvider } from '../../../integration/okta/auth/user.js';
import { authorizeRequest, identityOf, UserEndpoints } from '../../../integration/okta/auth/user-endpoints.js';
import { SignInStore, type SignInRecord } from '../../../integration/okta/auth/user-signin.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { createTransport } from '../../../integration/okta/transport.js';
import { closeClients, makeClient, ORG, T0 } from '../resilience/helpers.js';

const CLIENT = '0oaANALYSTS';
const USER = 'alice@acme.com';
const REFRESH_1 = 'refresh-token-one-0123456789';
const ACCESS_1 = 'access-token-one-0123456789';

function record(over: Partial<SignInRecord> = {}): SignInRecord {
  return {
    v: 1,
    origin: ORG,
    clientId: CLIENT,
    user: USER,
    access_token: ACCESS_1,
    token_type: 'Bearer',
    refresh_token: REFRESH_1,
    expires_at: T0 + 3600_000,
    obtained_at: T0,
    scope: 'openid profile offline_access okta.users.read',
    signed_in_at: T0,
    ...over,
  };
}

function provider(state: MemoryStore, clock: ManualClock, over: { secret?: string } = {}): UserAuthProvider {
  return createUserAuth({
    origin: ORG,
    clientId: CLIENT,
    ...(over.secret ? { clientSecret: over.secret } : {}),
    scopes: ['okta.users.read'],
    dpop: 'auto',
    transport: transport(),
    state,
    clock,
  });
}

const transports: Array<ReturnType<typeof createTransport>> = [];
function transport(): ReturnType<typeof createTransport> {
  const t = createTransport({ proxy: false, insecure: false });
  transports.push(t);
  return t;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  closeClients();
  for (const t of transports.splice(0)) t.close();
});

function tokenAnswer(n: number, extra: Record<string, unknown> = {}) {
  return { token_type: 'Bearer', expires_in: 3600, access_token: `access-token-${n}-0123456789`, refresh_token: `refresh-token-${n}-0123456789`, scope: 'openid profile offline_access okta.users.read', ...extra };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('configuration (contract §2)', () => {
  it('a client id alone means user; with a private key, oauth; the redirect URI defaults and must be loopback http', () => {
    expect(resolveConfig({ url: ORG, client_id: CLIENT }).authMethod).toBe('user');
    expect(resolveConfig({ url: ORG, client_id: CLIENT }).redirectUri).toBe('http://127.0.0.1:8400/callback');
    expect(resolveConfig({ url: ORG, client_id: CLIENT, private_key: 'x' }).authMethod).toBe('oauth');
    expect(resolveConfig({ url: ORG, apitoken: 'abc' }).authMethod).toBe('api_token');
    expect(resolveConfig({ url: ORG, client_id: CLIENT, redirect_uri: 'http://localhost:9000/cb' }).redirectUri).toBe('http://localhost:9000/cb');
    expect(resolveConfig({ url: ORG, client_id: CLIENT, redirect_uri: 'http://[::1]:9000/cb' }).redirectUri).toBe('http://[::1]:9000/cb');
    expect(() => resolveConfig({ url: ORG, client_id: CLIENT, redirect_uri: 'https://127.0.0.1:8400/callback' })).toThrow(/loopback/);
    expect(() => resolveConfig({ url: ORG, client_id: CLIENT, redirect_uri: 'http://evil.example:8400/callback' })).toThrow(/loopback/);
    expect(() => resolveConfig({ url: ORG, client_id: CLIENT, redirect_uri: 'http://127.0.0.1:8400/cb?x=1' })).toThrow(/query/);
    expect(() => resolveConfig({ url: ORG, auth_method: 'user' })).toThrow(/needs client_id/);
    const web = resolveConfig({ url: ORG, client_id: CLIENT, client_secret: 's3cret-value-of-web-app' });
    expect(web.clientSecret).toBe('s3cret-value-of-web-app');
  });

  it('the authorize URL: S256 PKCE, a fresh state of letters, digits, - and _, openid profile offline_access + the Okta scopes', () => {
    const a = authorizeRequest(ORG, CLIENT, 'http://127.0.0.1:8400/callback', ['okta.users.read', 'okta.users.manage']);
    const b = authorizeRequest(ORG, CLIENT, 'http://127.0.0.1:8400/callback', ['okta.users.read']);
    const u = new URL(a.url);
    expect(u.origin + u.pathname).toBe(`${ORG}/oauth2/v1/authorize`);
    expect(Object.fromEntries(u.searchParams)).toMatchObject({
      client_id: CLIENT,
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:8400/callback',
      scope: 'openid profile offline_access okta.users.read okta.users.manage',
      code_challenge_method: 'S256',
      state: a.state,
    });
    expect(a.state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(a.state).not.toBe(b.state);
    expect(a.url).not.toContain(a.verifier);
  });

  it('reads who signed in from the ID token, checking issuer and audience', () => {
    const jwt = (claims: Record<string, unknown>) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expect(identityOf(jwt({ iss: ORG, aud: CLIENT, sub: '00u1', preferred_username: USER }), ORG, CLIENT)).toEqual({ user: USER, userId: '00u1' });
    expect(() => identityOf(jwt({ iss: 'https://evil.example', aud: CLIENT, preferred_username: USER }), ORG, CLIENT)).toThrow(/issued by/);
    expect(() => identityOf(jwt({ iss: ORG, aud: 'other', preferred_username: USER }), ORG, CLIENT)).toThrow(/another client/);
  });
});

describe('the analyst token provider', () => {
  it('uses the stored access token, and nobody signed in says to run okta-soar login', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0);
    const e = await failure(provider(state, clock).authorize('GET', `${ORG}/api/v1/users/me`));
    expect(e.message).toMatch(/nobody is signed in to https:\/\/example.okta.com \(client 0oaANALYSTS\).*run `okta-soar login`/);
    await new SignInStore(state).save(record());
    expect(await provider(state, clock).authorize('GET', `${ORG}/api/v1/users/me`)).toEqual({ Authorization: `Bearer ${ACCESS_1}` });
  });

  it('names the sign-in this state holds for another org', async () => {
    const state = new MemoryStore();
    await new SignInStore(state).save(record({ origin: 'https://other.okta.com' }));
    const e = await failure(provider(state, new ManualClock(T0)).authorize('GET', `${ORG}/api/v1/users/me`));
    expect(e.message).toContain('the sign-in kept there is for another org, https://other.okta.com (as alice@acme.com), and OKTA_URL names https://example.okta.com: run `okta-soar login`');
  });

  it('refuses to send the token to another origin', async () => {
    const state = new MemoryStore();
    await new SignInStore(state).save(record());
    const e = await failure(provider(state, new ManualClock(T0)).authorize('GET', 'https://evil.example/api/v1/users'));
    expect(e.message).toMatch(/refusing to send the analyst's token to https:\/\/evil.example/);
  });

  it('refreshes near expiry with the refresh token (client_secret for a Web app) and stores the rotated one', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0);
    await new SignInStore(state).save(record());
    clock.advance(3600_000 - 60_000);
    let form: URLSearchParams | undefined;
    const scope = nock(ORG)
      .post('/oauth2/v1/token', (b: string) => {
        form = new URLSearchParams(b);
        return true;
      })
      .reply(200, tokenAnswer(2));
    const p = provider(state, clock, { secret: 'web-app-secret-0123456789' });
    expect(await p.authorize('GET', `${ORG}/api/v1/users/me`)).toEqual({ Authorization: 'Bearer access-token-2-0123456789' });
    scope.done();
    expect(Object.fromEntries(form!)).toEqual({ grant_type: 'refresh_token', refresh_token: REFRESH_1, client_id: CLIENT, client_secret: 'web-app-secret-0123456789' });
    const rec = await new SignInStore(state).current(ORG, CLIENT);
    expect(rec).toMatchObject({ refresh_token: 'refresh-token-2-0123456789', access_token: 'access-token-2-0123456789', expires_at: clock.now() + 3600_000, user: USER });
  });

  it('keeps the refresh token when Okta does not rotate it', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0 + 3600_000);
    await new SignInStore(state).save(record());
    nock(ORG).post('/oauth2/v1/token').reply(200, tokenAnswer(2, { refresh_token: undefined }));
    await provider(state, clock).authorize('GET', `${ORG}/api/v1/users/me`);
    expect((await new SignInStore(state).current(ORG, CLIENT))?.refresh_token).toBe(REFRESH_1);
  });

  it('on a 401 invalid_token refreshes and retries the request once, through the client', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0);
    await new SignInStore(state).save(record());
    const auth = provider(state, clock);
    const { client } = makeClient({ auth, clock, state });
    nock(ORG)
      .get('/api/v1/users/me')
      .matchHeader('authorization', `Bearer ${ACCESS_1}`)
      .reply(401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' }, { 'WWW-Authenticate': 'Bearer realm="IdpMyAccountAPI", error="invalid_token", error_description="The token has expired."' })
      .post('/oauth2/v1/token')
      .reply(200, tokenAnswer(2))
      .get('/api/v1/users/me')
      .matchHeader('authorization', 'Bearer access-token-2-0123456789')
      .reply(200, { id: '00u1' });
    expect((await client.request({ method: 'GET', path: '/api/v1/users/me' })).data).toEqual({ id: '00u1' });
    expect(auth.stats.refreshes).toBe(1);
  });

  it('processes sharing a state refresh ONCE: the others find the new tokens under the lock', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0);
    await new SignInStore(state).save(record());
    clock.advance(3600_000);
    let grants = 0;
    nock(ORG)
      .post('/oauth2/v1/token')
      .times(4)
      .delay(20)
      .reply(200, () => tokenAnswer(++grants + 1));
    const providers = [0, 1, 2, 3].map(() => provider(state, clock));
    const headers = await Promise.all(providers.map((p) => p.authorize('GET', `${ORG}/api/v1/users/me`)));
    expect(grants).toBe(1);
    expect(new Set(headers.map((h) => h.Authorization))).toEqual(new Set(['Bearer access-token-2-0123456789']));
    expect(providers.map((p) => p.stats.refreshes).reduce((a, b) => a + b)).toBe(1);
  });

  it('after a 401, another provider that already refreshed is not refreshed again', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0);
    await new SignInStore(state).save(record());
    const a = provider(state, clock);
    const b = provider(state, clock);
    await a.authorize('GET', `${ORG}/api/v1/users/me`);
    await b.authorize('GET', `${ORG}/api/v1/users/me`);
    nock(ORG).post('/oauth2/v1/token').once().reply(200, tokenAnswer(2));
    const expired = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: '' };
    expect(await a.onAuthFailure(expired, { method: 'GET', url: `${ORG}/api/v1/users/me` })).toBe('retry');
    expect(await b.onAuthFailure(expired, { method: 'GET', url: `${ORG}/api/v1/users/me` })).toBe('retry');
    expect(await b.authorize('GET', `${ORG}/api/v1/users/me`)).toEqual({ Authorization: 'Bearer access-token-2-0123456789' });
    expect(a.stats.refreshes + b.stats.refreshes).toBe(1);
    expect(nock.isDone()).toBe(true);
  });

  it('a refresh token Okta refuses: the sign-in is forgotten and the message says to run login, without the token', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0 + 3600_000);
    await new SignInStore(state).save(record());
    nock(ORG)
      .post('/oauth2/v1/token')
      .reply(400, { error: 'invalid_grant', error_description: `The refresh token is invalid or expired. (${REFRESH_1})` });
    const e = await failure(provider(state, clock).authorize('GET', `${ORG}/api/v1/users/me`));
    expect(e.message).toMatch(/refused the stored sign-in's refresh token \(HTTP 400 invalid_grant\).*run `okta-soar login`/);
    expect(e.message).not.toContain(REFRESH_1);
    expect(e.message).toContain('[REDACTED]');
    expect(await new SignInStore(state).current(ORG, CLIENT)).toBeUndefined();
  });

  it('a refresh that fails on the network keeps the sign-in', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0 + 3600_000);
    await new SignInStore(state).save(record());
    const reset = async (): Promise<never> => {
      throw Object.assign(new Error(`socket hang up while sending refresh_token=${REFRESH_1}`), { code: 'ECONNRESET' });
    };
    const p = createUserAuth({ origin: ORG, clientId: CLIENT, scopes: ['okta.users.read'], transport: reset, state, clock });
    const e = await failure(p.authorize('GET', `${ORG}/api/v1/users/me`));
    expect(e.message).toMatch(/request to .*\/oauth2\/v1\/token failed/);
    expect(e.message).not.toContain(REFRESH_1);
    expect(await new SignInStore(state).current(ORG, CLIENT)).toBeDefined();
  });

  it('DPoP: proofs from the sign-in key on API calls, and the refresh uses that key (the refresh token is bound to it)', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0);
    const { key, stored } = await generateDpopKey();
    await new SignInStore(state).save(record({ token_type: 'DPoP', dpop_key: stored, jkt: key.jkt }));
    const p = provider(state, clock);
    const h = await p.authorize('GET', `${ORG}/api/v1/users/me`);
    expect(h.Authorization).toBe(`DPoP ${ACCESS_1}`);
    const header = JSON.parse(Buffer.from(h.DPoP!.split('.')[0]!, 'base64url').toString()) as { jwk: unknown };
    expect(header.jwk).toEqual(key.publicJwk);
    clock.advance(3600_000);
    let proof: string | undefined;
    nock(ORG)
      .post('/oauth2/v1/token')
      .reply(function () {
        proof = this.req.headers.dpop as string;
        return [200, tokenAnswer(2, { token_type: 'DPoP' })];
      });
    await p.authorize('GET', `${ORG}/api/v1/users/me`);
    const refreshHeader = JSON.parse(Buffer.from(proof!.split('.')[0]!, 'base64url').toString()) as { jwk: unknown };
    expect(refreshHeader.jwk).toEqual(key.publicJwk);
    expect((await new SignInStore(state).current(ORG, CLIENT))?.dpop_key).toBe(stored);
  });

  it('a 403 under the analyst names their own admin permissions', async () => {
    const state = new MemoryStore();
    const clock = new ManualClock(T0);
    await new SignInStore(state).save(record());
    const { client } = makeClient({ auth: provider(state, clock), clock, state });
    nock(ORG).post('/api/v1/users/00u2/lifecycle/suspend').reply(403, { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' });
    const e = await failure(client.request({ method: 'POST', path: '/api/v1/users/{id}/lifecycle/suspend', pathParams: { id: '00u2' } }));
    expect(e.message).toMatch(/HTTP 403 .*E0000006.*the analyst's own Okta admin permissions \(their admin roles\) do not/);
  });
});

describe('the device authorization grant', () => {
  it('waits interval before each poll, 5 s more after slow_down, and ends with tokens', async () => {
    const clock = new ManualClock(T0);
    const ep = new UserEndpoints({ origin: ORG, clientId: CLIENT, transport: transport(), clock, state: new MemoryStore(), dpop: 'false' });
    nock(ORG)
      .post('/oauth2/v1/device/authorize', (b: string) => new URLSearchParams(b).get('scope') === 'openid okta.users.read')
      .reply(200, { device_code: 'device-code-0123456789', user_code: 'BCDFGHJK', verification_uri: `${ORG}/activate`, expires_in: 600, interval: 5 });
    const d = await ep.deviceAuthorize(['openid', 'okta.users.read']);
    expect(d).toMatchObject({ user_code: 'BCDFGHJK', interval: 5, verification_uri: `${ORG}/activate` });
    nock(ORG)
      .post('/oauth2/v1/token', (b: string) => new URLSearchParams(b).get('device_code') === 'device-code-0123456789')
      .reply(400, { error: 'authorization_pending' })
      .post('/oauth2/v1/token')
      .reply(400, { error: 'slow_down' })
      .post('/oauth2/v1/token')
      .reply(400, { error: 'authorization_pending' })
      .post('/oauth2/v1/token')
      .reply(200, tokenAnswer(7));
    expect(await ep.pollDevice(d, undefined)).toMatchObject({ access_token: 'access-token-7-0123456789' });
    expect(clock.slept).toEqual([5000, 5000, 10_000, 10_000]);
  });

  it('gives up when the device code expires, and says so; access_denied ends it too', async () => {
    const clock = new ManualClock(T0);
    const ep = new UserEndpoints({ origin: ORG, clientId: CLIENT, transport: transport(), clock, state: new MemoryStore(), dpop: 'false' });
    nock(ORG).post('/oauth2/v1/token').times(3).reply(400, { error: 'authorization_pending' });
    const d = { device_code: 'device-code-0123456789', user_code: 'X', verification_uri: `${ORG}/activate`, expires_in: 15, interval: 5 };
    expect((await failure(ep.pollDevice(d, undefined))).message).toMatch(/not approved within 15 s.*login --device/);
    nock(ORG).post('/oauth2/v1/token').reply(400, { error: 'access_denied', error_description: 'The resource owner or authorization server denied the request.' });
    expect((await failure(ep.pollDevice(d, undefined))).message).toMatch(/access_denied.*denied the request/);
  });
});
