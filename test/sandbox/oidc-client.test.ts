/**
 * An independent relying party against the sandbox: openid-client (OpenID-certified) discovers the
 * org authorization server, completes Authorization Code + PKCE through the sandbox's sign-in form
 * (over HTTP), validates the ID token against /oauth2/v1/keys, refreshes, reads userinfo and
 * revokes; with the Native app, the Web app (client_secret_post), and DPoP.
 */
import * as client from 'openid-client';
import { signInOverHttp, startSandbox, type Sandbox } from '../../sandbox/index.js';
import { get } from './helpers.js';
import { manualClock } from './oidc-helpers.js';

const SCOPE = 'openid profile offline_access okta.users.read okta.users.manage';

describe('openid-client against the sandbox org', () => {
  let sb: Sandbox;
  const clock = manualClock();
  beforeAll(async () => {
    sb = await startSandbox({ users: 20, logEvents: 10, quiet: true, now: clock.now });
  });
  afterAll(() => sb.close());

  /** The client's view of time follows the sandbox clock (set in the past or the future on purpose). */
  const skew = () => Math.round((clock.now() - Date.now()) / 1000);

  async function configure(clientId: string, auth: client.ClientAuth): Promise<client.Configuration> {
    return client.discovery(new URL(sb.url), clientId, { [client.clockSkew]: skew() }, auth, { execute: [client.allowInsecureRequests] });
  }

  async function signInWith(config: client.Configuration, login: string, options?: client.DPoPOptions) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: sb.oidc.redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const back = await signInOverHttp(url.href, { username: login, password: sb.oidc.passwordOf(login)! });
    if (!back.location) throw new Error(`no redirect: ${JSON.stringify(back)}`);
    return client.authorizationCodeGrant(config, new URL(back.location), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }, undefined, options);
  }

  it('discovers the org authorization server', async () => {
    const config = await configure(sb.oidc.nativeClientId, client.None());
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(sb.url);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.supportsPKCE()).toBe(true);
  });

  it('completes Authorization Code + PKCE with the Native app, then refreshes, reads userinfo and revokes', async () => {
    const config = await configure(sb.oidc.nativeClientId, client.None());
    const tokens = await signInWith(config, 'alice@example.com');
    const claims = tokens.claims()!;
    const alice = sb.org.requireUser('alice@example.com');
    expect(claims).toMatchObject({ iss: sb.url, aud: sb.oidc.nativeClientId, sub: alice.id, preferred_username: 'alice@example.com' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope).toBe(SCOPE);

    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: alice.id, preferred_username: 'alice@example.com' });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()).toMatchObject({ sub: alice.id });
    const me = await get(sb, '/api/v1/users/me', { auth: `Bearer ${refreshed.access_token}` });
    expect(me.body.profile.login).toBe('alice@example.com');

    await client.tokenRevocation(config, refreshed.refresh_token!, { token_type_hint: 'refresh_token' });
    expect((await get(sb, '/api/v1/users/me', { auth: `Bearer ${refreshed.access_token}` })).status).toBe(401);
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('completes the flow with the Web app and client_secret_post', async () => {
    const config = await configure(sb.oidc.webClientId, client.ClientSecretPost(sb.oidc.webClientSecret));
    const tokens = await signInWith(config, 'bob@example.com');
    expect(tokens.claims()).toMatchObject({ aud: sb.oidc.webClientId, preferred_username: 'bob@example.com' });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
  });

  it('binds the tokens with DPoP, handling the nonce challenge itself', async () => {
    const config = await configure(sb.oidc.nativeClientId, client.None());
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const tokens = await signInWith(config, 'alice@example.com', { DPoP: dpop });
    expect(tokens.token_type).toBe('dpop');
    const res = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${sb.url}/api/v1/users/me`), 'GET', undefined, undefined, { DPoP: dpop });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { profile: { login: string } }).profile.login).toBe('alice@example.com');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(refreshed.token_type).toBe('dpop');
    // Without the key, the refresh token is useless.
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('reports an unassigned user as access_denied from the authorization response', async () => {
    const config = await configure(sb.oidc.nativeClientId, client.None());
    await expect(signInWith(config, 'mallory@example.com')).rejects.toMatchObject({ error: 'access_denied', error_description: 'User is not assigned to the client application.' });
  });
});
