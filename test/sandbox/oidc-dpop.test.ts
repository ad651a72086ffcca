/** DPoP with the analyst's code flow: the tokens, and the refresh token, are bound to the client's key. */
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { get } from './helpers.js';
import { dpopKey, login, manualClock, refresh, signIn, tokenRequest } from './oidc-helpers.js';

describe('analyst sign-in with DPoP', () => {
  let sb: Sandbox;
  const clock = manualClock();
  const tokenUrl = () => `${sb.url}/oauth2/v1/token`;
  beforeAll(async () => {
    sb = await startSandbox({ users: 20, logEvents: 10, quiet: true, now: clock.now });
  });
  afterAll(() => sb.close());

  /** Exchanges a fresh code with DPoP, answering the nonce challenge as a client does. */
  async function dpopLogin(key: Awaited<ReturnType<typeof dpopKey>>) {
    const s = await signIn(sb, 'alice@example.com');
    const form = { grant_type: 'authorization_code', code: s.result.code!, redirect_uri: s.redirectUri, client_id: s.clientId, code_verifier: s.pkce!.verifier };
    const first = await tokenRequest(sb, form, { DPoP: await key.proof('POST', tokenUrl()) });
    expect([first.status, first.body.error]).toEqual([400, 'use_dpop_nonce']);
    const nonce = first.headers.get('dpop-nonce')!;
    // The nonce challenge did not use the code up.
    const t = await tokenRequest(sb, form, { DPoP: await key.proof('POST', tokenUrl(), { nonce }) });
    expect(t.status).toBe(200);
    return { t, nonce };
  }

  it('binds the access token to the key, and the API then wants a proof', async () => {
    const key = await dpopKey(clock.now);
    const { t } = await dpopLogin(key);
    expect(t.body.token_type).toBe('DPoP');
    const url = `${sb.url}/api/v1/users/me`;
    const ok = await get(sb, '/api/v1/users/me', { auth: `DPoP ${t.body.access_token}`, headers: { DPoP: await key.proof('GET', url, { accessToken: t.body.access_token }) } });
    expect([ok.status, ok.body.profile.login]).toEqual([200, 'alice@example.com']);
    const bearer = await get(sb, '/api/v1/users/me', { auth: `Bearer ${t.body.access_token}` });
    expect(bearer.status).toBe(400);
  });

  it('binds the refresh token: a refresh needs a proof from the same key', async () => {
    const key = await dpopKey(clock.now);
    const { t, nonce } = await dpopLogin(key);
    const none = await refresh(sb, t.body.refresh_token);
    expect([none.status, none.body]).toEqual([400, { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' }]);
    const other = await dpopKey(clock.now);
    const wrong = await refresh(sb, t.body.refresh_token, {}, { DPoP: await other.proof('POST', tokenUrl(), { nonce }) });
    expect([wrong.status, wrong.body]).toEqual([400, { error: 'invalid_dpop_proof', error_description: 'Invalid DPoP Public Key binding in refresh token' }]);
    const right = await refresh(sb, t.body.refresh_token, {}, { DPoP: await key.proof('POST', tokenUrl(), { nonce }) });
    expect([right.status, right.body.token_type]).toEqual([200, 'DPoP']);
    // The failed attempts did not rotate the token away: it was used once, by the key holder.
    expect(right.body.refresh_token).not.toBe(t.body.refresh_token);
  });

  it('refuses a code exchange without a proof when the apps require DPoP', async () => {
    sb.oidc.updateApp(sb.oidc.nativeClientId, { requireDpop: true });
    try {
      const r = await login(sb, 'alice@example.com');
      expect([r.status, r.body]).toEqual([400, { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' }]);
    } finally {
      sb.oidc.updateApp(sb.oidc.nativeClientId, { requireDpop: false });
    }
  });

  it('makes every app require DPoP with the sandbox option dpop', async () => {
    const strict = await startSandbox({ users: 12, logEvents: 0, quiet: true, dpop: true });
    try {
      expect(strict.oidc.app(strict.oidc.nativeClientId).requireDpop).toBe(true);
      expect(strict.oidc.app(strict.oidc.webClientId).requireDpop).toBe(true);
      expect((await login(strict, 'alice@example.com', { web: true })).body.error).toBe('invalid_dpop_proof');
    } finally {
      await strict.close();
    }
  });

  it('accepts a proof on a device-code poll without counting the nonce challenge as a poll', async () => {
    const key = await dpopKey(clock.now);
    const d = await tokenRequest(sb, { client_id: sb.oidc.nativeClientId, scope: 'openid okta.users.read' }, {}, '/oauth2/v1/device/authorize');
    const form = { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: d.body.device_code, client_id: sb.oidc.nativeClientId };
    const first = await tokenRequest(sb, form, { DPoP: await key.proof('POST', tokenUrl()) });
    expect(first.body.error).toBe('use_dpop_nonce');
    const second = await tokenRequest(sb, form, { DPoP: await key.proof('POST', tokenUrl(), { nonce: first.headers.get('dpop-nonce')! }) });
    expect(second.body.error).toBe('authorization_pending');
  });
});
