/** Analyst sign-in, second half: the authorization_code and refresh_token grants, ID tokens, revocation, userinfo. */
import { createLocalJWKSet, jwtVerify, decodeJwt } from 'jose';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { SCOPE_LIST } from '../e2e/helpers.js';
import { get, type Json } from './helpers.js';
import { LOGIN_SCOPES, login, manualClock, refresh, signIn, tokenRequest } from './oidc-helpers.js';

const HOUR = 3600_000;

function codeForm(s: Awaited<ReturnType<typeof signIn>>, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'authorization_code', code: s.result.code!, redirect_uri: s.redirectUri, client_id: s.clientId, code_verifier: s.pkce!.verifier, ...extra };
}

describe('analyst sign-in: the authorization_code grant', () => {
  let sb: Sandbox;
  const clock = manualClock();
  beforeAll(async () => {
    sb = await startSandbox({ users: 20, logEvents: 10, quiet: true, now: clock.now, grantedScopes: SCOPE_LIST });
  });
  afterAll(() => sb.close());

  it('exchanges a code for an access token, a refresh token and an RS256 ID token naming the user', async () => {
    const s = await signIn(sb, 'alice@example.com', { extra: { nonce: 'n-0S6_WzA2Mj' } });
    const t = await tokenRequest(sb, codeForm(s));
    expect(t.status).toBe(200);
    expect(t.headers.get('cache-control')).toBe('no-store');
    expect(t.body).toEqual({
      token_type: 'Bearer',
      expires_in: 3600,
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      id_token: expect.any(String),
      scope: LOGIN_SCOPES,
    });
    const keys = (await get(sb, '/oauth2/v1/keys', { auth: null })).body;
    const { payload, protectedHeader } = await jwtVerify(t.body.id_token, createLocalJWKSet(keys), {
      issuer: sb.url,
      audience: sb.oidc.nativeClientId,
      currentDate: new Date(clock.now()),
    });
    const alice = sb.org.requireUser('alice@example.com');
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: sb.oidc.signingJwk.kid });
    expect(payload).toMatchObject({ sub: alice.id, preferred_username: 'alice@example.com', name: 'Alice Example', nonce: 'n-0S6_WzA2Mj', amr: ['pwd'], ver: 1 });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.iat).toBe(Math.floor(clock.now() / 1000));
    expect(payload.at_hash).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const me = await get(sb, '/api/v1/users/me', { auth: `Bearer ${t.body.access_token}` });
    expect([me.status, me.body.profile.login]).toEqual([200, 'alice@example.com']);
  });

  it('issues no refresh token without offline_access, and no ID token without openid', async () => {
    const a = await login(sb, 'alice@example.com', { scope: 'openid profile okta.users.read' });
    expect(a.body).toHaveProperty('id_token');
    expect(a.body).not.toHaveProperty('refresh_token');
    const b = await login(sb, 'alice@example.com', { scope: 'okta.users.read' });
    expect(b.body).not.toHaveProperty('id_token');
    expect(b.body).not.toHaveProperty('refresh_token');
    expect(b.body.scope).toBe('okta.users.read');
  });

  it('drops the Okta scopes the app was not granted, silently', async () => {
    const t = await login(sb, 'alice@example.com', { scope: 'openid okta.users.read okta.factors.manage okta.policies.read' });
    expect(t.status).toBe(200);
    expect(t.body.scope).toBe('openid okta.users.read');
  });

  it('uses a code once: a second exchange fails and revokes what the first one minted', async () => {
    const s = await signIn(sb, 'alice@example.com');
    const first = await tokenRequest(sb, codeForm(s));
    expect(first.status).toBe(200);
    const second = await tokenRequest(sb, codeForm(s));
    expect([second.status, second.body]).toEqual([400, { error: 'invalid_grant', error_description: 'The authorization code is invalid or has expired.' }]);
    const api = await get(sb, '/api/v1/users/me', { auth: `Bearer ${first.body.access_token}` });
    expect(api.status).toBe(401);
    expect((await refresh(sb, first.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('lets a code live 300 seconds of the sandbox clock', async () => {
    const ok = await signIn(sb, 'alice@example.com');
    clock.advance(299_999);
    expect((await tokenRequest(sb, codeForm(ok))).status).toBe(200);
    const late = await signIn(sb, 'alice@example.com');
    clock.advance(300_000);
    const r = await tokenRequest(sb, codeForm(late));
    expect([r.status, r.body.error_description]).toEqual([400, 'The authorization code is invalid or has expired.']);
  });

  it('checks PKCE, the redirect URI and the client', async () => {
    const s = await signIn(sb, 'alice@example.com');
    const cases: [Record<string, string>, number, string, string][] = [
      [{ code_verifier: 'w'.repeat(43) }, 400, 'invalid_grant', 'PKCE verification failed.'],
      [{ code_verifier: 'short' }, 400, 'invalid_grant', 'PKCE verification failed.'],
      [{ redirect_uri: 'http://127.0.0.1:8400/other' }, 400, 'invalid_grant', "The 'redirect_uri' does not match the redirection URI used in the authorization request."],
      [{ client_id: sb.oidc.webClientId, client_secret: sb.oidc.webClientSecret }, 400, 'invalid_grant', "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request."],
    ];
    for (const [extra, status, error, description] of cases) {
      const r = await tokenRequest(sb, codeForm(s, extra));
      expect({ extra, status: r.status, body: r.body }).toEqual({ extra, status, body: { error, error_description: description } });
    }
    const form = codeForm(s);
    delete (form as Record<string, string | undefined>).code_verifier;
    const missing = await tokenRequest(sb, form);
    expect(missing.body).toEqual({ error: 'invalid_request', error_description: 'PKCE code verifier is required by the application.' });
    // None of these used the code up.
    expect((await tokenRequest(sb, codeForm(s))).status).toBe(200);
  });

  it('authenticates the Web app with client_secret_post, and the Native app with its client id alone', async () => {
    const web = await login(sb, 'alice@example.com', { web: true });
    expect(web.status).toBe(200);
    const s = await signIn(sb, 'alice@example.com', { clientId: sb.oidc.webClientId });
    const base = codeForm(s);
    const cases: [Record<string, string>, Record<string, string>, number, string, string][] = [
      [{}, {}, 401, 'invalid_client', 'Client authentication failed. Either the client or the client credentials are invalid.'],
      [{ client_secret: 'wrong' }, {}, 401, 'invalid_client', 'The client secret supplied for a confidential client is invalid.'],
      [{}, { Authorization: `Basic ${Buffer.from(`${sb.oidc.webClientId}:${sb.oidc.webClientSecret}`).toString('base64')}` }, 401, 'invalid_client', 'Client authentication failed. Either the client or the client credentials are invalid.'],
      [{ client_id: '0oaUNKNOWN00000000000' }, {}, 401, 'invalid_client', "Invalid value for 'client_id' parameter."],
      [{ client_id: '' }, {}, 401, 'invalid_client', 'No client credentials found.'],
      [{ client_id: sb.oidc.nativeClientId, client_secret: 'anything' }, {}, 401, 'invalid_client', 'Client authentication failed. Either the client or the client credentials are invalid.'],
    ];
    for (const [extra, headers, status, error, description] of cases) {
      const r = await tokenRequest(sb, { ...base, ...extra }, headers);
      expect({ extra, status: r.status, body: r.body }).toEqual({ extra, status, body: { error, error_description: description } });
    }
    expect((await tokenRequest(sb, { ...base, client_secret: sb.oidc.webClientSecret })).status).toBe(200);
  });

  it('refuses the user grants to the service app, and client credentials to the OIDC apps', async () => {
    const cc = await tokenRequest(sb, { grant_type: 'client_credentials', scope: 'okta.users.read', client_id: sb.oidc.webClientId, client_secret: sb.oidc.webClientSecret });
    expect([cc.status, cc.body.error_description]).toEqual([401, 'Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.']);
    const dev = await tokenRequest(sb, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'x', client_id: sb.oidc.webClientId, client_secret: sb.oidc.webClientSecret });
    expect([dev.status, dev.body]).toEqual([400, { error: 'unauthorized_client', error_description: 'The client is not authorized to use the provided grant type. Configured grant types: [authorization_code, refresh_token].' }]);
  });

  it('makes access tokens expire after an hour of the sandbox clock', async () => {
    const t = await login(sb, 'alice@example.com');
    clock.advance(HOUR - 1000);
    expect((await get(sb, '/api/v1/users/me', { auth: `Bearer ${t.body.access_token}` })).status).toBe(200);
    clock.advance(1000);
    const r = await get(sb, '/api/v1/users/me', { auth: `Bearer ${t.body.access_token}` });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('error_description="The token has expired."');
    const again = await refresh(sb, t.body.refresh_token);
    expect(again.status).toBe(200);
    expect((await get(sb, '/api/v1/users/me', { auth: `Bearer ${again.body.access_token}` })).status).toBe(200);
  });
});

describe('analyst sign-in: refresh tokens', () => {
  let sb: Sandbox;
  const clock = manualClock();
  beforeAll(async () => {
    sb = await startSandbox({ users: 20, logEvents: 10, quiet: true, now: clock.now });
  });
  afterAll(() => sb.close());

  const api = (token: string) => get(sb, '/api/v1/users/me', { auth: `Bearer ${token}` }).then((r) => r.status);

  it('rotates the refresh token on every use, with a fresh access and ID token', async () => {
    const t = await login(sb, 'alice@example.com');
    const r1 = await refresh(sb, t.body.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: LOGIN_SCOPES });
    expect(r1.body.refresh_token).not.toBe(t.body.refresh_token);
    expect(r1.body.access_token).not.toBe(t.body.access_token);
    expect(decodeJwt(r1.body.id_token)).toMatchObject({ preferred_username: 'alice@example.com', aud: sb.oidc.nativeClientId });
    const r2 = await refresh(sb, r1.body.refresh_token);
    expect(r2.status).toBe(200);
    // Earlier access tokens keep working until they expire.
    expect(await api(t.body.access_token)).toBe(200);
  });

  it('answers an old refresh token within the grace period with the newest one', async () => {
    const t = await login(sb, 'alice@example.com');
    const r1 = await refresh(sb, t.body.refresh_token);
    clock.advance(30_000);
    const again = await refresh(sb, t.body.refresh_token);
    expect(again.status).toBe(200);
    expect(again.body.refresh_token).toBe(r1.body.refresh_token);
    expect(await api(again.body.access_token)).toBe(200);
    expect((await refresh(sb, r1.body.refresh_token)).status).toBe(200);
  });

  it('revokes all of the user\'s tokens for the app when a rotated refresh token is used after the grace period', async () => {
    const other = await login(sb, 'alice@example.com'); // another sign-in of the same user, same app
    const web = await login(sb, 'alice@example.com', { web: true }); // the same user, another app
    const bob = await login(sb, 'bob@example.com');
    const t = await login(sb, 'alice@example.com');
    const r1 = await refresh(sb, t.body.refresh_token);
    clock.advance(30_001);
    const before = sb.org.logs.size;
    const reuse = await refresh(sb, t.body.refresh_token);
    expect([reuse.status, reuse.body]).toEqual([400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or expired.' }]);
    expect((await refresh(sb, r1.body.refresh_token)).body.error).toBe('invalid_grant');
    expect(await api(r1.body.access_token)).toBe(401);
    expect(await api(other.body.access_token)).toBe(401);
    expect((await refresh(sb, other.body.refresh_token)).body.error).toBe('invalid_grant');
    expect(await api(web.body.access_token)).toBe(200);
    expect(await api(bob.body.access_token)).toBe(200);
    const ev = sb.org.events.slice(before).map((e) => e.event);
    expect(ev).toEqual([
      expect.objectContaining({
        eventType: 'app.oauth2.token.detect_reuse',
        severity: 'WARN',
        actor: expect.objectContaining({ id: sb.oidc.nativeClientId, type: 'PublicClientApp' }),
        target: [expect.objectContaining({ alternateId: 'alice@example.com' })],
      }),
    ]);
    expect(sb.oidc.stats.reuseDetected).toBe(1);
  });

  it('keeps the same refresh token when rotation is off', async () => {
    sb.oidc.updateApp(sb.oidc.nativeClientId, { refreshTokenRotation: 'STATIC' });
    try {
      const t = await login(sb, 'alice@example.com');
      const r1 = await refresh(sb, t.body.refresh_token);
      const r2 = await refresh(sb, t.body.refresh_token);
      expect([r1.body.refresh_token, r2.body.refresh_token]).toEqual([t.body.refresh_token, t.body.refresh_token]);
    } finally {
      sb.oidc.updateApp(sb.oidc.nativeClientId, { refreshTokenRotation: 'ROTATE' });
    }
  });

  it('lets a refresh token live 90 days', async () => {
    const t = await login(sb, 'alice@example.com');
    clock.advance(90 * 24 * HOUR - 1);
    const r = await refresh(sb, t.body.refresh_token);
    expect(r.status).toBe(200);
    clock.advance(90 * 24 * HOUR);
    expect((await refresh(sb, r.body.refresh_token)).body).toEqual({ error: 'invalid_grant', error_description: 'The refresh token is invalid or expired.' });
  });

  it('narrows scopes on request, never widens them', async () => {
    const t = await login(sb, 'alice@example.com', { scope: 'openid offline_access okta.users.read okta.logs.read' });
    const narrow = await refresh(sb, t.body.refresh_token, { scope: 'openid okta.users.read' });
    expect([narrow.status, narrow.body.scope]).toEqual([200, 'openid okta.users.read']);
    const wide = await refresh(sb, narrow.body.refresh_token, { scope: 'openid okta.users.manage' });
    expect([wide.status, wide.body]).toEqual([
      400,
      { error: 'access_denied', error_description: 'Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: okta.users.manage.' },
    ]);
  });

  it('stops refreshing, and stops serving the API, once the user is suspended', async () => {
    const t = await login(sb, 'bob@example.com');
    const bob = sb.org.requireUser('bob@example.com');
    bob.status = 'SUSPENDED';
    try {
      expect(await api(t.body.access_token)).toBe(401);
      expect((await refresh(sb, t.body.refresh_token)).body.error).toBe('invalid_grant');
    } finally {
      bob.status = 'ACTIVE';
    }
  });

  it('stops refreshing once the user is unassigned from the app', async () => {
    const t = await login(sb, 'bob@example.com');
    sb.oidc.unassign('bob@example.com');
    try {
      expect((await refresh(sb, t.body.refresh_token)).body).toEqual({ error: 'access_denied', error_description: 'User is not assigned to the client application.' });
    } finally {
      sb.oidc.assign('bob@example.com');
    }
  });

  it('forgets what has expired: forms, codes, refresh tokens, grants', async () => {
    for (let i = 0; i < 5; i++) await login(sb, 'alice@example.com');
    await tokenRequest(sb, { client_id: sb.oidc.nativeClientId, scope: 'openid' }, {}, '/oauth2/v1/device/authorize');
    expect(sb.oidc.held().grants).toBeGreaterThanOrEqual(5);
    clock.advance(91 * 24 * HOUR);
    expect(sb.oidc.held()).toEqual({ signInForms: 0, codes: 0, grants: 0, refreshTokens: 0, deviceCodes: 0 });
  });

  it('refuses a refresh token of another app, and a missing one', async () => {
    const web = await login(sb, 'alice@example.com', { web: true });
    expect((await refresh(sb, web.body.refresh_token)).body.error).toBe('invalid_grant');
    const none = await tokenRequest(sb, { grant_type: 'refresh_token', client_id: sb.oidc.nativeClientId });
    expect(none.body).toEqual({ error: 'invalid_request', error_description: "The required parameter 'refresh_token' is missing." });
  });
});

describe('analyst sign-in: revocation and userinfo', () => {
  let sb: Sandbox;
  const clock = manualClock();
  beforeAll(async () => {
    sb = await startSandbox({ users: 20, logEvents: 10, quiet: true, now: clock.now });
  });
  afterAll(() => sb.close());

  const api = (token: string) => get(sb, '/api/v1/users/me', { auth: `Bearer ${token}` });
  const revoke = (form: Record<string, string>) => tokenRequest(sb, form, {}, '/oauth2/v1/revoke');

  it('answers 200 with no body, even for unknown tokens', async () => {
    const r = await revoke({ token: 'never-issued', client_id: sb.oidc.nativeClientId });
    expect([r.status, r.body]).toEqual([200, undefined]);
  });

  it('ends a refresh token and every access token minted with it', async () => {
    const t = await login(sb, 'alice@example.com');
    const r1 = await refresh(sb, t.body.refresh_token);
    const before = sb.org.logs.size;
    expect((await revoke({ token: r1.body.refresh_token, token_type_hint: 'refresh_token', client_id: sb.oidc.nativeClientId })).status).toBe(200);
    const gone = await api(r1.body.access_token);
    expect(gone.status).toBe(401);
    expect(gone.headers.get('www-authenticate')).toContain('error_description="The access token has been revoked."');
    expect((await api(t.body.access_token)).status).toBe(401);
    expect((await refresh(sb, r1.body.refresh_token)).body.error).toBe('invalid_grant');
    expect(sb.org.events.slice(before).map((e) => e.event.eventType)).toEqual(['app.oauth2.token.revoke']);
  });

  it('ends just the access token when given one', async () => {
    const t = await login(sb, 'alice@example.com');
    expect((await revoke({ token: t.body.access_token, client_id: sb.oidc.nativeClientId })).status).toBe(200);
    expect((await api(t.body.access_token)).status).toBe(401);
    expect((await refresh(sb, t.body.refresh_token)).status).toBe(200);
  });

  it("lets a client revoke only its own tokens, and authenticates it", async () => {
    const t = await login(sb, 'alice@example.com');
    expect((await revoke({ token: t.body.refresh_token, client_id: sb.oidc.webClientId, client_secret: sb.oidc.webClientSecret })).status).toBe(200);
    expect((await refresh(sb, t.body.refresh_token)).status).toBe(200);
    const noSecret = await revoke({ token: t.body.refresh_token, client_id: sb.oidc.webClientId });
    expect([noSecret.status, noSecret.body.error]).toEqual([401, 'invalid_client']);
    const noToken = await revoke({ client_id: sb.oidc.nativeClientId });
    expect([noToken.status, noToken.body]).toEqual([400, { error: 'invalid_request', error_description: "The 'token' parameter is required." }]);
  });

  it('serves userinfo for a token with openid and profile', async () => {
    const t = await login(sb, 'bob@example.com', { scope: 'openid profile email okta.users.read' });
    const r = await get(sb, '/oauth2/v1/userinfo', { auth: `Bearer ${t.body.access_token}` });
    const bob = sb.org.requireUser('bob@example.com');
    expect([r.status, r.body]).toEqual([200, expect.objectContaining({ sub: bob.id, preferred_username: 'bob@example.com', name: 'Bob Example', email: 'bob@example.com', email_verified: true })]);
    const bare = await login(sb, 'bob@example.com', { scope: 'openid okta.users.read' });
    const forbidden = await get(sb, '/oauth2/v1/userinfo', { auth: `Bearer ${bare.body.access_token}` });
    expect([forbidden.status, forbidden.headers.get('www-authenticate')]).toEqual([403, expect.stringContaining('error="insufficient_scope"')]);
    const unknown = await get(sb, '/oauth2/v1/userinfo', { auth: 'Bearer nope' });
    expect([unknown.status, unknown.body, unknown.headers.get('www-authenticate')]).toEqual([401, undefined, expect.stringContaining('error="invalid_token"')]);
  });

  it('never records codes, verifiers, tokens or passwords', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'oidc-rec-'));
    const file = path.join(dir, 'rec.jsonl');
    const rec = await startSandbox({ users: 12, logEvents: 0, quiet: true, recordFile: file });
    try {
      const s = await signIn(rec, 'alice@example.com');
      const t = await tokenRequest(rec, codeForm(s));
      const r = await refresh(rec, t.body.refresh_token);
      await tokenRequest(rec, { token: r.body.refresh_token, client_id: rec.oidc.nativeClientId }, {}, '/oauth2/v1/revoke');
      const dev = await tokenRequest(rec, { client_id: rec.oidc.nativeClientId, scope: 'openid' }, {}, '/oauth2/v1/device/authorize');
      const text = readFileSync(file, 'utf8');
      const secrets = [s.result.code!, s.pkce!.verifier, t.body.access_token, t.body.refresh_token, t.body.id_token, r.body.refresh_token, dev.body.device_code, dev.body.user_code, 'sandbox-alice'];
      for (const secret of secrets) expect(text).not.toContain(secret);
      const lines: Json[] = text.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => `${l.method} ${l.path} ${l.status}`)).toEqual([
        'GET /oauth2/v1/authorize 200',
        'POST /oauth2/v1/token 200',
        'POST /oauth2/v1/token 200',
        'POST /oauth2/v1/revoke 200',
        'POST /oauth2/v1/device/authorize 200',
      ]);
      expect(lines[1].requestBody).toMatchObject({ code: '[redacted]', code_verifier: '[redacted]' });
    } finally {
      await rec.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
