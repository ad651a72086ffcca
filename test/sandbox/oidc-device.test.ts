/** Analyst sign-in without a browser: the Device Authorization grant (Native app only). */
import { activateDeviceOverHttp, startSandbox, type Sandbox } from '../../sandbox/index.js';
import { get } from './helpers.js';
import { manualClock, tokenRequest } from './oidc-helpers.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe('analyst sign-in: the device flow', () => {
  let sb: Sandbox;
  const clock = manualClock();
  beforeAll(async () => {
    sb = await startSandbox({ users: 20, logEvents: 10, quiet: true, now: clock.now });
  });
  afterAll(() => sb.close());

  const start = (scope = 'openid profile offline_access okta.users.read', clientId = sb.oidc.nativeClientId, extra: Record<string, string> = {}) =>
    tokenRequest(sb, { client_id: clientId, scope, ...extra }, {}, '/oauth2/v1/device/authorize');
  const poll = (deviceCode: string) => tokenRequest(sb, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: sb.oidc.nativeClientId });

  it('hands out a device code, a user code and where to enter it', async () => {
    const d = await start();
    expect(d.status).toBe(200);
    expect(d.body).toEqual({
      device_code: expect.stringMatching(/^[0-9a-f-]{36}$/),
      user_code: expect.stringMatching(/^[B-DF-HJ-NP-TV-XZ]{8}$/),
      verification_uri: `${sb.url}/activate`,
      verification_uri_complete: `${sb.url}/activate?user_code=${d.body.user_code}`,
      expires_in: 600,
      interval: 5,
    });
    const page = await fetch(d.body.verification_uri_complete);
    const text = await page.text();
    expect(page.status).toBe(200);
    expect(text).toContain(`<input type="text" id="okta-activate-user-code" name="user_code" value="${d.body.user_code}"`);
    expect(text).toContain('id="okta-signin-username" name="username"');
    expect(text).toContain('id="okta-signin-password" name="password"');
  });

  it('is for the Native app only', async () => {
    const web = await start(undefined, sb.oidc.webClientId, { client_secret: sb.oidc.webClientSecret });
    expect([web.status, web.body]).toEqual([
      400,
      { error: 'unauthorized_client', error_description: 'The client is not authorized to use the provided grant type. Configured grant types: [authorization_code, refresh_token].' },
    ]);
    const unknown = await start(undefined, '0oaNOPE0000000000000');
    expect([unknown.status, unknown.body.error]).toEqual([401, 'invalid_client']);
    const badScope = await start('profile okta.users.read');
    expect([badScope.status, badScope.body.error]).toEqual([400, 'invalid_scope']);
  });

  it('answers authorization_pending, then slow_down to a poll that comes too soon (and widens the interval)', async () => {
    const d = await start();
    expect((await poll(d.body.device_code)).body).toEqual({ error: 'authorization_pending', error_description: 'The device authorization is pending. Please try again later.' });
    clock.advance(4_000);
    expect((await poll(d.body.device_code)).body).toEqual({ error: 'slow_down', error_description: 'Slow down the polling frequency. Please try again later.' });
    clock.advance(5_000); // the interval is 10 s now
    expect((await poll(d.body.device_code)).body.error).toBe('slow_down');
    clock.advance(15_000);
    expect((await poll(d.body.device_code)).body.error).toBe('authorization_pending');
  });

  it('issues tokens once the user signs in on the activation page', async () => {
    const d = await start();
    const before = sb.org.logs.size;
    const act = await activateDeviceOverHttp(d.body.verification_uri, { userCode: d.body.user_code.toLowerCase(), username: 'alice@example.com', password: 'sandbox-alice' });
    expect(act).toEqual({ status: 200, activated: true, message: 'Device activated' });
    clock.advance(5_000);
    const t = await poll(d.body.device_code);
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile offline_access okta.users.read', refresh_token: expect.any(String), id_token: expect.any(String) });
    const me = await get(sb, '/api/v1/users/me', { auth: `Bearer ${t.body.access_token}` });
    expect(me.body.profile.login).toBe('alice@example.com');
    expect(sb.org.events.slice(before).map((e) => e.event.eventType)).toEqual([
      'user.session.start',
      'user.authentication.sso',
      'app.oauth2.token.grant.access_token',
      'app.oauth2.token.grant.id_token',
      'app.oauth2.token.grant.refresh_token',
    ]);
    clock.advance(5_000);
    expect((await poll(d.body.device_code)).body).toEqual({ error: 'invalid_grant', error_description: 'The device code is invalid or has expired.' });
  });

  it('answers access_denied when the user denies, or is not assigned to the app', async () => {
    const denied = await start();
    expect(await activateDeviceOverHttp(denied.body.verification_uri, { userCode: denied.body.user_code, username: 'alice@example.com', password: 'sandbox-alice', decision: 'deny' })).toMatchObject({ activated: false });
    expect((await poll(denied.body.device_code)).body).toEqual({ error: 'access_denied', error_description: 'The resource owner or authorization server denied the request.' });
    const mallory = await start();
    const act = await activateDeviceOverHttp(mallory.body.verification_uri, { userCode: mallory.body.user_code, username: 'mallory@example.com', password: 'sandbox-mallory' });
    expect(act).toEqual({ status: 403, activated: false, message: 'Device not activated' });
    expect((await poll(mallory.body.device_code)).body).toEqual({ error: 'access_denied', error_description: 'User is not assigned to the client application.' });
  });

  it('keeps the activation page on a wrong password or an unknown code', async () => {
    const d = await start();
    expect(await activateDeviceOverHttp(d.body.verification_uri, { userCode: d.body.user_code, username: 'alice@example.com', password: 'wrong' })).toEqual({ status: 401, activated: false, message: 'Unable to sign in' });
    expect(await activateDeviceOverHttp(d.body.verification_uri, { userCode: 'BCDFGHJK', username: 'alice@example.com', password: 'sandbox-alice' })).toEqual({
      status: 400,
      activated: false,
      message: 'The user code is invalid or has expired.',
    });
    expect((await poll(d.body.device_code)).body.error).toBe('authorization_pending');
  });

  it('expires the device code after 600 seconds', async () => {
    const d = await start();
    clock.advance(600_000);
    expect((await poll(d.body.device_code)).body).toEqual({ error: 'expired_token', error_description: 'The device code has expired.' });
    expect((await activateDeviceOverHttp(d.body.verification_uri, { userCode: d.body.user_code, username: 'alice@example.com', password: 'sandbox-alice' })).status).toBe(400);
  });
});
