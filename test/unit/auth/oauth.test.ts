/**
 * The OAuth provider against the sandbox authorization server, in process, real jose on both
 * sides, a frozen clock shared by client and server.
 */
import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from 'jose';
import { ManualClock } from '../../../integration/base/clock.js';
import { AuthError, NetworkError, RateLimitError, SecurityError } from '../../../integration/base/errors.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { createOAuthAuth, type OAuthAuthOptions, type OAuthAuthProvider } from '../../../integration/okta/auth/oauth.js';
import { DPOP_KEY_STATE, loadOrCreateDpopKey } from '../../../integration/okta/auth/dpop.js';
import { dpopModeKey, tokenCacheKey } from '../../../integration/okta/auth/token-cache.js';
import type { Transport, WireResponse } from '../../../integration/okta/types.js';
import type { SandboxOAuthApp } from '../../../sandbox/oauth-types.js';
import { CLIENT_ID, ORIGIN, SCOPES, SecretLog, callApi, decodeSegment, form, makeKey, sandboxHarness, type Harness, type TestKey } from './helpers.js';
import { closeClients, makeClient } from '../resilience/helpers.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const TOKEN_URL = `${ORIGIN}/oauth2/v1/token`;
const USERS = `${ORIGIN}/api/v1/users?limit=2`;

let ec: TestKey;
let rsa: TestKey;
let other: TestKey;

beforeAll(async () => {
  [ec, rsa, other] = await Promise.all([makeKey('EC'), makeKey('RSA'), makeKey('EC')]);
});
afterEach(() => closeClients());

function app(over: Partial<SandboxOAuthApp> = {}): SandboxOAuthApp {
  return { clientId: CLIENT_ID, publicJwks: [ec.publicJwk, rsa.publicJwk], grantedScopes: [...SCOPES], requireDpop: false, ...over };
}

interface Setup {
  clock: ManualClock;
  h: Harness;
  state: MemoryStore;
  log: SecretLog;
  warnings: string[];
  make(over?: Partial<OAuthAuthOptions>): OAuthAuthProvider;
}

function setup(appOver: Partial<SandboxOAuthApp> = {}, harnessOver: { requireApiNonce?: boolean } = {}): Setup {
  const clock = new ManualClock(T0);
  const h = sandboxHarness({ now: () => clock.now(), apps: [app(appOver)], ...harnessOver });
  const state = new MemoryStore();
  const log = new SecretLog();
  log.addKey(ec);
  log.addKey(rsa);
  const warnings: string[] = [];
  const make = (over: Partial<OAuthAuthOptions> = {}) =>
    createOAuthAuth({
      origin: ORIGIN,
      clientId: CLIENT_ID,
      privateKey: ec.pkcs8,
      keyId: ec.kid,
      scopes: SCOPES,
      dpop: 'auto',
      transport: h.transport,
      state,
      clock,
      warn: (w) => warnings.push(w),
      onSecret: log.add,
      ...over,
    });
  return { clock, h, state, log, warnings, make };
}

async function failure(p: Promise<unknown>): Promise<AuthError> {
  try {
    await p;
  } catch (e) {
    return e as AuthError;
  }
  throw new Error('expected a failure');
}

describe('Bearer (app without DPoP)', () => {
  it('sends a client-credentials form POST with a verified private_key_jwt assertion through the injected Transport', async () => {
    const s = setup();
    const auth = s.make();
    const headers = await auth.authorize('GET', USERS);
    const [ex] = s.h.tokenRequests();
    expect(ex).toBeDefined();
    const { req } = ex!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(TOKEN_URL);
    expect(req.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' });
    const f = form(req.data);
    expect(Object.keys(f).sort()).toEqual(['client_assertion', 'client_assertion_type', 'grant_type', 'scope']);
    expect(f).toMatchObject({
      grant_type: 'client_credentials',
      scope: SCOPES.join(' '),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    });
    expect(f).not.toHaveProperty('client_id');
    const iat = Math.floor(T0 / 1000);
    expect(decodeSegment(f.client_assertion!, 0)).toEqual({ alg: 'ES256', kid: ec.kid });
    const { payload } = await jwtVerify(f.client_assertion!, ec.publicKey, { currentDate: new Date(T0), audience: TOKEN_URL, issuer: CLIENT_ID, subject: CLIENT_ID });
    expect(payload).toEqual({ iss: CLIENT_ID, sub: CLIENT_ID, aud: TOKEN_URL, iat, exp: iat + 300, jti: expect.any(String) });

    const token = headers.Authorization!.replace(/^Bearer /, '');
    expect(headers).toEqual({ Authorization: `Bearer ${token}` });
    expect(s.log.values.has(token)).toBe(true);
    expect(s.log.values.has(f.client_assertion!)).toBe(true);
    const res = await s.h.transport({ method: 'GET', url: USERS, headers });
    expect(JSON.parse(res.body)).toEqual({ ok: true, principal: { kind: 'oauth', scopes: SCOPES, clientId: CLIENT_ID } });
  });

  it('works with an RSA PKCS#1 key and a JWK key (kid from the JWK)', async () => {
    for (const privateKey of [rsa.traditional, JSON.stringify(rsa.privateJwk)]) {
      const s = setup();
      const auth = s.make({ privateKey, keyId: privateKey.startsWith('{') ? undefined : rsa.kid });
      const res = await callApi(auth, s.h.transport, 'GET', USERS);
      expect(res.status).toBe(200);
      const f = form(s.h.tokenRequests()[0]!.req.data);
      expect(decodeSegment(f.client_assertion!, 0)).toEqual({ alg: 'RS256', kid: rsa.kid });
    }
  });

  it('reuses the token until 5 minutes before expiry, then mints a new one', async () => {
    const s = setup();
    const auth = s.make();
    const first = await auth.authorize('GET', USERS);
    s.clock.advance(54 * 60_000);
    expect(await auth.authorize('GET', USERS)).toEqual(first);
    expect(s.h.server.stats.tokensMinted).toBe(1);
    s.clock.advance(60_001); // 55 min + 1 ms: inside the 5-minute margin
    const second = await auth.authorize('GET', USERS);
    expect(second).not.toEqual(first);
    expect(s.h.server.stats.tokensMinted).toBe(2);
    expect(auth.stats).toEqual({ tokenRequests: 2, tokensMinted: 2 });
  });

  it('single-flight: 20 concurrent first requests mint one token', async () => {
    const s = setup();
    const auth = s.make();
    const all = await Promise.all(Array.from({ length: 20 }, () => auth.authorize('GET', USERS)));
    expect(new Set(all.map((h) => h.Authorization)).size).toBe(1);
    expect(s.h.server.stats.tokenRequests).toBe(1);
  });

  it('a second provider on the same store reuses the cached token', async () => {
    const s = setup();
    const a = await s.make().authorize('GET', USERS);
    const b = await s.make().authorize('GET', USERS);
    expect(b).toEqual(a);
    expect(s.h.server.stats.tokenRequests).toBe(1);
    const cached = JSON.parse((await s.state.get(tokenCacheKey({ origin: ORIGIN, clientId: CLIENT_ID, scopes: SCOPES }, false)))!);
    expect(cached).toEqual({
      access_token: a.Authorization!.slice(7),
      token_type: 'Bearer',
      expires_at: T0 + 3600_000,
      obtained_at: T0,
      scope: SCOPES.join(' '),
    });
  });

  it('the cache key ignores scope order and duplicates but not the scope set', () => {
    const id = { origin: ORIGIN, clientId: CLIENT_ID };
    expect(tokenCacheKey({ ...id, scopes: ['b', 'a', 'a'] }, false)).toBe(tokenCacheKey({ ...id, scopes: ['a', 'b'] }, false));
    expect(tokenCacheKey({ ...id, scopes: ['a'] }, false)).not.toBe(tokenCacheKey({ ...id, scopes: ['a', 'b'] }, false));
    expect(tokenCacheKey({ ...id, scopes: ['a'] }, false)).not.toBe(tokenCacheKey({ ...id, scopes: ['a'] }, true));
    expect(tokenCacheKey({ ...id, scopes: ['a'] }, false)).not.toBe(tokenCacheKey({ ...id, clientId: 'x', scopes: ['a'] }, false));
  });

  it('on 401 invalid_token: drops the cache, mints once more, answers retry, and the retry succeeds', async () => {
    const s = setup();
    const auth = s.make();
    expect((await callApi(auth, s.h.transport, 'GET', USERS)).status).toBe(200);
    s.h.server.revokeAllTokens();
    const res = await callApi(auth, s.h.transport, 'GET', USERS);
    expect(res.status).toBe(200);
    expect(s.h.server.stats.tokensMinted).toBe(2);
    const refused = s.h.exchanges.find((e) => e.res.status === 401)!.res;
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    expect(JSON.parse(refused.body).errorCode).toBe('E0000011');
  });

  it('concurrent 401s for the same stale token lead to one new token, not one each', async () => {
    const s = setup();
    const auth = s.make();
    await auth.authorize('GET', USERS);
    s.h.server.revokeAllTokens();
    const urls = Array.from({ length: 8 }, (_, i) => `${ORIGIN}/api/v1/users/u${i}`);
    const results = await Promise.all(urls.map((u) => callApi(auth, s.h.transport, 'GET', u)));
    expect(results.map((r) => r.status)).toEqual(urls.map(() => 200));
    expect(s.h.server.stats.tokensMinted).toBe(2);
  });

  it('a 401 without invalid_token, or a 403, is final', async () => {
    const s = setup();
    const auth = s.make();
    await auth.authorize('GET', USERS);
    const forbidden: WireResponse = { status: 403, headers: {}, body: '{"errorCode":"E0000006"}' };
    expect(await auth.onAuthFailure(forbidden, { method: 'GET', url: USERS })).toBe('fail');
    expect(s.h.server.stats.tokenRequests).toBe(1);
  });

  it('refuses to attach credentials to another origin', async () => {
    const s = setup();
    const auth = s.make();
    await expect(auth.authorize('GET', 'https://evil.example/api/v1/users')).rejects.toBeInstanceOf(SecurityError);
    await expect(auth.authorize('GET', 'http://acme.okta.example/api/v1/users')).rejects.toThrow(/not the configured Okta org/);
    expect(s.h.exchanges).toHaveLength(0);
  });

  it('describe() reports token type, granted and requested scopes', async () => {
    const s = setup();
    const auth = s.make({ scopes: ['okta.users.read', 'okta.groups.read'] });
    expect(await auth.describe()).toEqual({
      authMethod: 'oauth',
      clientId: CLIENT_ID,
      tokenType: 'Bearer',
      grantedScopes: ['okta.users.read', 'okta.groups.read'],
      requestedScopes: ['okta.users.read', 'okta.groups.read'],
      dpop: 'auto',
      algorithm: 'ES256',
      keyId: ec.kid,
      tokenExpiresAt: new Date(T0 + 3600_000).toISOString(),
    });
    expect(auth.scopes).toEqual(['okta.users.read', 'okta.groups.read']);
  });

  it('reset() forgets the token (next call mints) and keeps the DPoP key unless asked', async () => {
    const s = setup();
    const auth = s.make({ dpop: 'true' });
    await auth.authorize('GET', USERS);
    const key = await s.state.get(DPOP_KEY_STATE);
    await auth.reset();
    expect(await s.state.get(DPOP_KEY_STATE)).toBe(key);
    await auth.authorize('GET', USERS);
    expect(s.h.server.stats.tokensMinted).toBe(2);
    await auth.reset({ dpopKey: true });
    expect(await s.state.get(DPOP_KEY_STATE)).toBeUndefined();
    const h = await auth.authorize('GET', USERS);
    expect(s.h.server.stats.tokensMinted).toBe(3);
    expect(await s.state.get(DPOP_KEY_STATE)).not.toBe(key);
    const proofJwk = decodeSegment(h.DPoP!, 0).jwk as Record<string, string>;
    expect(await calculateJwkThumbprint(proofJwk)).toBe((await loadOrCreateDpopKey(s.state)).jkt);
  });
});

describe('token endpoint errors: never cached, told in admin terms, no secrets', () => {
  it('invalid_scope names the scope and where to grant it', async () => {
    const s = setup({ grantedScopes: ['okta.users.read', 'okta.groups.read'] });
    const auth = s.make();
    const err = await failure(auth.authorize('GET', USERS));
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'ERR_AUTH', oauthError: 'invalid_scope', status: 400, refusedScopes: ['okta.users.manage'] });
    expect(err.message).toContain('The following scopes are not allowed for this request: [okta.users.manage]');
    expect(err.message).toContain('Okta has not granted okta.users.manage to this app. Grant it under Applications → Applications → <your API Services app> → Okta API Scopes');
    expect(err.message).toContain('or remove it from scopes (OKTA_SCOPES)');
    s.log.assertClean(err);

    // Not cached: once the admin grants it, the very next call mints.
    expect(await s.state.get(tokenCacheKey({ origin: ORIGIN, clientId: CLIENT_ID, scopes: SCOPES }, false))).toBeUndefined();
    s.h.server.updateApp(CLIENT_ID, { grantedScopes: SCOPES });
    expect((await callApi(auth, s.h.transport, 'GET', USERS)).status).toBe(200);
  });

  it('invalid_client for a key the app does not know says what to check', async () => {
    const s = setup({ publicJwks: [other.publicJwk] });
    const err = await failure(s.make({ keyId: undefined }).authorize('GET', USERS));
    expect(err).toMatchObject({ oauthError: 'invalid_client', status: 401 });
    expect(err.message).toContain('The client_assertion signature is invalid');
    expect(err.message).toMatch(/Check that client_id \(0oa1testclient\) is the app's Client ID, that private_key is the private half of a public key registered under .*PUBLIC KEYS/);
    expect(err.message).toContain('okta-soar keygen');
    s.log.assertClean(err);
  });

  it('invalid_client for an unknown kid and for a wrong client id', async () => {
    const s = setup();
    const e1 = await failure(s.make({ keyId: 'nope' }).authorize('GET', USERS));
    expect(e1.message).toContain('The client_assertion JWT kid is invalid');
    expect(e1.message).toContain('key_id ("nope") is that key\'s KID');
    const e2 = await failure(s.make({ clientId: '0oaWRONG' }).authorize('GET', USERS));
    expect(e2.message).toContain('client_id (0oaWRONG)');
    for (const e of [e1, e2]) s.log.assertClean(e);
  });

  it('assertion time claims refused → check the clock', async () => {
    const s = setup();
    const clientClock = new ManualClock(T0 - 10 * 60_000); // 10 minutes slow: the assertion is already expired
    const err = await failure(s.make({ clock: clientClock }).authorize('GET', USERS));
    expect(err.message).toContain('The client_assertion token is expired');
    expect(err.message).toContain("check that this machine's clock is right");
  });

  describe('HTTP 429 from the token endpoint', () => {
    const limited = (resetS: number, date?: number) => ({
      status: 429,
      headers: {
        'content-type': 'application/json',
        'x-rate-limit-limit': '600',
        'x-rate-limit-remaining': '0',
        'x-rate-limit-reset': String(resetS),
        ...(date !== undefined ? { date: new Date(date).toUTCString() } : {}),
      },
      body: JSON.stringify({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' }),
    });

    it('is waited out until the reset when max_wait_seconds allows, with a new assertion, and the token is cached', async () => {
      const s = setup();
      const sent: string[] = [];
      let calls = 0;
      const transport: Transport = async (req) => {
        if (req.url === TOKEN_URL) sent.push(new URLSearchParams(req.data).get('client_assertion') ?? '');
        if (req.url === TOKEN_URL && ++calls === 1) return limited(T0 / 1000 + 20);
        return s.h.transport(req);
      };
      const auth = s.make({ transport, maxWaitMs: 60_000 });
      expect((await callApi(auth, transport, 'GET', USERS)).status).toBe(200);
      expect(s.clock.slept).toEqual([20_250]);
      expect(s.warnings.some((w) => /rate-limiting its token endpoint; waiting 20 s/.test(w))).toBe(true);
      expect(sent).toHaveLength(2);
      expect(sent[0]).not.toBe(sent[1]); // Okta consumes an assertion's jti: never send one twice
      expect((await callApi(auth, transport, 'GET', USERS)).status).toBe(200);
      expect(sent).toHaveLength(2);
    });

    it("reads the reset against Okta's Date header, so a machine clock that is off does not matter", async () => {
      const s = setup();
      let calls = 0;
      const transport: Transport = async (req) => (req.url === TOKEN_URL && ++calls === 1 ? limited(T0 / 1000 + 3600 + 30, T0 + 3600_000) : s.h.transport(req));
      const auth = s.make({ transport, maxWaitMs: 60_000 });
      expect((await callApi(auth, transport, 'GET', USERS)).status).toBe(200);
      expect(s.clock.slept).toEqual([30_250]);
    });

    it('past max_wait_seconds it is a RateLimitError that says until when, without waiting, and nothing is cached', async () => {
      const s = setup();
      let calls = 0;
      const transport: Transport = async (req) => (req.url === TOKEN_URL && ++calls === 1 ? limited(T0 / 1000 + 600) : s.h.transport(req));
      const auth = s.make({ transport, maxWaitMs: 60_000 });
      const err = await failure(auth.authorize('GET', USERS));
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as unknown as RateLimitError).resetAt).toBe(T0 + 600_000);
      expect(err.message).toMatch(/until 2026-11-22T12:10:00.000Z, in 600 s: longer than max_wait_seconds \(60 s\)/);
      expect(s.clock.slept).toEqual([]);
      s.log.assertClean(err);
      expect((await callApi(auth, s.h.transport, 'GET', USERS)).status).toBe(200);
      expect(calls).toBe(2);
    });
  });

  it.each([
    [500, { error: 'server_error', error_description: 'The authorization server encountered an unexpected condition.' }, /problem on Okta's side/],
    [503, '<html>down</html>', /problem on Okta's side/],
    [403, { error: 'access_denied', error_description: "The request is made from outside the client's permitted network zones." }, /network zones/],
    [400, { error: 'unsupported_grant_type', error_description: 'x' }, /Client Credentials grant type enabled/],
    [400, { error: 'invalid_request', error_description: 'Cannot supply multiple client credentials.' }, /considers the request malformed/],
    [404, '<html>not found</html>', /not an OAuth error \(content-type text\/html\)/],
  ])('HTTP %s is an AuthError and is never cached', async (status, body, re) => {
    const s = setup();
    let calls = 0;
    const transport: Transport = async (req) => {
      calls++;
      if (calls === 1) {
        return {
          status,
          headers: { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', 'x-rate-limit-reset': String(T0 / 1000 + 60) },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        };
      }
      return s.h.transport(req);
    };
    const auth = s.make({ transport });
    const err = await failure(auth.authorize('GET', USERS));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.status).toBe(status);
    expect(err.message).toMatch(re);
    s.log.assertClean(err);
    expect((await callApi(auth, s.h.transport, 'GET', USERS)).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('a network failure in the token request becomes a NetworkError without the request body', async () => {
    const s = setup();
    let seen = '';
    const transport: Transport = async (req) => {
      seen = req.data!;
      const e = new Error(`socket hang up while sending ${req.data}`) as Error & { config?: unknown };
      e.config = { data: req.data, headers: req.headers };
      throw e;
    };
    const err = await failure(s.make({ transport }).authorize('GET', USERS));
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toContain('socket hang up while sending');
    expect(err.message).toContain('[REDACTED]');
    expect(seen).toContain('client_assertion=');
    s.log.assertClean(err);
  });

  it('a 200 that is not a token response does not quote the body', async () => {
    const s = setup();
    const transport: Transport = async () => ({ status: 200, headers: {}, body: '{"access_token":"leaky-token-value","token_type":"MAC"}' });
    const err = await failure(s.make({ transport }).authorize('GET', USERS));
    expect(err.message).toMatch(/token_type "MAC"/);
    expect(err.message).not.toContain('leaky-token-value');
  });
});

describe('DPoP', () => {
  it('dpop=auto on a DPoP-requiring app: missing-header answer → switch, nonce, DPoP token; both proofs verified', async () => {
    const s = setup({ requireDpop: true });
    const auth = s.make();
    const headers = await auth.authorize('POST', `${ORIGIN}/api/v1/users/a%40b.com/lifecycle/suspend`);
    const reqs = s.h.tokenRequests();
    expect(reqs.map((e) => [e.res.status, JSON.parse(e.res.body).error ?? JSON.parse(e.res.body).token_type])).toEqual([
      [400, 'invalid_dpop_proof'],
      [400, 'use_dpop_nonce'],
      [200, 'DPoP'],
    ]);
    expect(reqs[0]!.req.headers.DPoP).toBeUndefined();
    expect(JSON.parse(reqs[0]!.res.body).error_description).toBe('The DPoP proof JWT header is missing.');
    const nonce = reqs[1]!.res.headers['dpop-nonce'];
    expect(nonce).toBe(s.h.server.currentNonce());

    // Every attempt carried a new assertion (the jti is single-use even on use_dpop_nonce).
    const jtis = reqs.map((e) => decodeSegment(form(e.req.data).client_assertion!, 1).jti);
    expect(new Set(jtis).size).toBe(3);

    const key = await loadOrCreateDpopKey(s.state);
    const iat = Math.floor(T0 / 1000);
    const p1 = reqs[1]!.req.headers.DPoP!;
    const p2 = reqs[2]!.req.headers.DPoP!;
    for (const p of [p1, p2]) {
      const { protectedHeader } = await jwtVerify(p, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'], currentDate: new Date(T0) });
      expect(protectedHeader).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    }
    expect(decodeSegment(p1, 1)).toEqual({ htm: 'POST', htu: TOKEN_URL, iat, jti: expect.any(String) });
    expect(decodeSegment(p2, 1)).toEqual({ htm: 'POST', htu: TOKEN_URL, iat, jti: expect.any(String), nonce });

    // The API proof: decoded htu, ath, no private key material, DPoP scheme.
    const token = headers.Authorization!.replace(/^DPoP /, '');
    expect(headers.Authorization).toBe(`DPoP ${token}`);
    const api = decodeSegment(headers.DPoP!, 1);
    expect(api).toEqual({
      htm: 'POST',
      htu: `${ORIGIN}/api/v1/users/a@b.com/lifecycle/suspend`,
      ath: createHash('sha256').update(token).digest('base64url'),
      iat,
      jti: expect.any(String),
    });
    expect(JSON.stringify(decodeSegment(headers.DPoP!, 0))).not.toContain('"d"');
    const res = await s.h.transport({ method: 'POST', url: `${ORIGIN}/api/v1/users/a%40b.com/lifecycle/suspend`, headers });
    expect(res.status).toBe(200);
    expect(s.warnings).toEqual(['this Okta app requires DPoP; switching to DPoP-bound tokens (dpop=auto)']);
    expect(await s.state.get(dpopModeKey({ origin: ORIGIN, clientId: CLIENT_ID }))).toContain('required');
  });

  it('a proof whose htu keeps %40 fails at the sandbox as it fails at Okta', async () => {
    const s = setup({ requireDpop: true });
    const auth = s.make({ dpop: 'true' });
    const url = `${ORIGIN}/api/v1/users/a%40b.com`;
    const headers = await auth.authorize('GET', url);
    const { createDpopProof } = await import('../../../integration/okta/auth/dpop.js');
    const key = await loadOrCreateDpopKey(s.state);
    const token = headers.Authorization!.slice(5);
    // Hand-made proof with the raw (encoded) path in htu.
    const { SignJWT } = await import('jose');
    const bad = await new SignJWT({ htm: 'GET', htu: url, ath: createHash('sha256').update(token).digest('base64url') })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
      .setIssuedAt(Math.floor(T0 / 1000))
      .setJti('x1')
      .sign(key.privateKey);
    const res = await s.h.transport({ method: 'GET', url, headers: { ...headers, DPoP: bad } });
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toMatch(/^DPoP .*error="invalid_dpop_proof", error_description="'htu' claim in the DPoP proof JWT is invalid."/);
    const good = await createDpopProof({ key, method: 'GET', url, now: T0, accessToken: token });
    expect((await s.h.transport({ method: 'GET', url, headers: { ...headers, DPoP: good } })).status).toBe(200);
  });

  it('the learned DPoP requirement and nonce are shared: a second process mints with one request', async () => {
    const s = setup({ requireDpop: true });
    await s.make().authorize('GET', USERS);
    expect(s.h.server.stats.tokenRequests).toBe(3);
    await s.make().authorize('GET', USERS); // cached DPoP token reused
    expect(s.h.server.stats.tokenRequests).toBe(3);
    s.clock.advance(56 * 60_000);
    await s.make().authorize('GET', USERS); // expiring: new mint, DPoP + known nonce at once
    expect(s.h.server.stats.tokenRequests).toBe(4);
    expect(s.h.server.stats.tokensMinted).toBe(2);
  });

  it('a stale nonce is answered with a new one, and the retry is bounded', async () => {
    const s = setup({ requireDpop: true });
    const auth = s.make({ dpop: 'true' });
    await auth.authorize('GET', USERS);
    s.clock.advance(4 * 24 * 3600_000); // nonce rotated, old one past its grace period
    await auth.authorize('GET', USERS);
    const last = s.h.tokenRequests().slice(-2);
    expect(last.map((e) => e.res.status)).toEqual([400, 200]);

    // A server that never accepts: give up after 1 + 2 retries.
    let n = 0;
    const stubborn: Transport = async () => ({
      status: 400,
      headers: { 'dpop-nonce': `n${++n}` },
      body: JSON.stringify({ error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' }),
    });
    const s2 = setup({ requireDpop: true });
    const err = await failure(s2.make({ dpop: 'true', transport: stubborn }).authorize('GET', USERS));
    expect(n).toBe(3);
    expect(err).toMatchObject({ oauthError: 'use_dpop_nonce', status: 400 });
    s2.log.assertClean(err);
  });

  it('dpop=false with a DPoP-requiring app tells the admin to set dpop=auto or true', async () => {
    const s = setup({ requireDpop: true });
    const err = await failure(s.make({ dpop: 'false' }).authorize('GET', USERS));
    expect(err).toMatchObject({ oauthError: 'invalid_dpop_proof', status: 400 });
    expect(err.message).toContain('The DPoP proof JWT header is missing');
    expect(err.message).toContain('but dpop=false. Set dpop=auto (OKTA_DPOP=auto, the default) or dpop=true');
    expect(s.h.server.stats.tokenRequests).toBe(1);
  });

  it('dpop=true on an app that does not require DPoP gets a DPoP-bound token', async () => {
    const s = setup({ requireDpop: false });
    const auth = s.make({ dpop: 'true' });
    const h = await auth.authorize('GET', USERS);
    expect(h.Authorization).toMatch(/^DPoP /);
    expect((await auth.describe()).tokenType).toBe('DPoP');
    // Bearer with a DPoP-bound token is refused the way Okta refuses it.
    const res = await s.h.transport({ method: 'GET', url: USERS, headers: { Authorization: `Bearer ${h.Authorization!.slice(5)}` } });
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request", error_description="The resource request must use the DPoP authentication scheme when using a DPoP bound token."');
  });

  it('API use_dpop_nonce (WWW-Authenticate: DPoP error="use_dpop_nonce" + DPoP-Nonce): keep the nonce, retry once', async () => {
    const s = setup({ requireDpop: true }, { requireApiNonce: true });
    const auth = s.make({ dpop: 'true' });
    const res = await callApi(auth, s.h.transport, 'GET', USERS);
    expect(res.status).toBe(200);
    const api = s.h.exchanges.filter((e) => !e.req.url.endsWith('/token'));
    expect(api.map((e) => e.res.status)).toEqual([401, 200]);
    expect(api[0]!.res.headers['www-authenticate']).toMatch(/^DPoP .*error="use_dpop_nonce"/);
    expect(decodeSegment(api[0]!.req.headers.DPoP!, 1)).not.toHaveProperty('nonce');
    expect(decodeSegment(api[1]!.req.headers.DPoP!, 1).nonce).toBe(api[0]!.res.headers['dpop-nonce']);
    // Kept for later calls: no further challenge.
    expect((await callApi(auth, s.h.transport, 'GET', USERS)).status).toBe(200);
    expect(s.h.server.stats.nonceChallenges).toBe(2); // one at /token, one at the API
  });

  it('a fresh nonce handed out with a successful answer is used next time: no 401 round trip when the old one lapses', async () => {
    const s = setup({ requireDpop: true }, { requireApiNonce: true });
    const auth = s.make({ dpop: 'true' });
    // The server hands its current nonce out with every successful API answer (RFC 9449 §8.2).
    const transport: Transport = async (req) => {
      const res = await s.h.transport(req);
      if (req.url.endsWith('/token') || res.status !== 200) return res;
      return { ...res, headers: { ...res.headers, 'dpop-nonce': s.h.server.currentNonce() } };
    };
    const { client } = makeClient({ auth, transport, clock: s.clock, origin: ORIGIN });
    await client.request({ method: 'GET', path: '/api/v1/users', query: { limit: 2 } });
    const first = s.h.server.currentNonce();
    // A day later the server rotates its nonce (the old one stays valid for a grace period) …
    s.clock.advance(24 * 3600_000 + 1);
    await client.request({ method: 'GET', path: '/api/v1/users', query: { limit: 2 } });
    const second = s.h.server.currentNonce();
    expect(second).not.toBe(first);
    // … and the old one lapses (3 days after it was issued): a client still sending it would be challenged again.
    s.clock.advance(2 * 24 * 3600_000 + 1);
    const before = s.h.exchanges.length;
    await client.request({ method: 'GET', path: '/api/v1/users', query: { limit: 2 } });
    const api = s.h.exchanges.slice(before).filter((e) => !e.req.url.endsWith('/token'));
    expect(api.map((e) => e.res.status)).toEqual([200]);
    expect(decodeSegment(api[0]!.req.headers.DPoP!, 1).nonce).toBe(second);
  });

  it('a DPoP token revoked at the API is re-minted and the retry carries a fresh proof', async () => {
    const s = setup({ requireDpop: true });
    const auth = s.make({ dpop: 'true' });
    await callApi(auth, s.h.transport, 'GET', USERS);
    s.h.server.revokeAllTokens();
    const res = await callApi(auth, s.h.transport, 'GET', USERS);
    expect(res.status).toBe(200);
    const refused = s.h.exchanges.find((e) => e.res.status === 401)!;
    expect(refused.res.headers['www-authenticate']).toContain('error="invalid_token", error_description="The access token has been revoked."');
    expect(s.h.server.stats.tokensMinted).toBe(2);
  });

  it('a cached DPoP token bound to another key is not used', async () => {
    const s = setup({ requireDpop: true });
    await s.make({ dpop: 'true' }).authorize('GET', USERS);
    await s.state.delete(DPOP_KEY_STATE); // e.g. another process rotated the key
    const h = await s.make({ dpop: 'true' }).authorize('GET', USERS);
    expect(s.h.server.stats.tokensMinted).toBe(2);
    expect((await s.h.transport({ method: 'GET', url: USERS, headers: h })).status).toBe(200);
  });
});

describe('secrets', () => {
  it('onSecret learns every access token, assertion and proof; errors and warnings carry none of them', async () => {
    const s = setup({ requireDpop: true, grantedScopes: ['okta.users.read'] });
    const auth = s.make();
    const err = await failure(auth.authorize('GET', USERS));
    const sent = s.h.tokenRequests();
    for (const e of sent) {
      expect(s.log.values.has(form(e.req.data).client_assertion!)).toBe(true);
      if (e.req.headers.DPoP) expect(s.log.values.has(e.req.headers.DPoP)).toBe(true);
    }
    s.log.assertClean(err);
    for (const w of s.warnings) s.log.assertClean(new Error(w));

    s.h.server.updateApp(CLIENT_ID, { grantedScopes: SCOPES });
    const h = await auth.authorize('GET', USERS);
    expect(s.log.values.has(h.Authorization!.slice(5))).toBe(true);
    expect(s.log.values.has(h.DPoP!)).toBe(true);
    // A new process learns the cached token too (its redaction layer must mask it).
    const log2 = new SecretLog();
    await s.make({ onSecret: log2.add }).authorize('GET', USERS);
    expect(log2.values.has(h.Authorization!.slice(5))).toBe(true);
  });

  it('configuration errors are ConfigErrors before any request', () => {
    const s = setup();
    expect(() => s.make({ scopes: [] })).toThrow(/scopes is empty/);
    expect(() => s.make({ origin: 'https://acme.okta.com/oauth2' })).toThrow(/org origin only/);
    expect(() => s.make({ dpop: 'maybe' as never })).toThrow(/dpop must be auto, true or false/);
    expect(() => s.make({ algorithm: 'RS256' })).toThrow(/jwt_algorithm RS256 does not fit private_key, which is an EC P-256 key/);
    expect(() => s.make({ clientId: ' ' })).toThrow(/client_id is empty/);
    expect(s.h.exchanges).toHaveLength(0);
  });

  it('a trailing slash on the org URL does not leak into aud or htu', async () => {
    const s = setup({ requireDpop: true });
    const h = await s.make({ origin: `${ORIGIN}/`, dpop: 'true' }).authorize('GET', USERS);
    expect(decodeSegment(form(s.h.tokenRequests()[0]!.req.data).client_assertion!, 1).aud).toBe(TOKEN_URL);
    expect(decodeSegment(h.DPoP!, 1).htu).toBe(`${ORIGIN}/api/v1/users`);
  });
});
