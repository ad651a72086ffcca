/** Analyst sign-in, first half: /oauth2/v1/authorize, the sign-in page, discovery and keys. */
import { startSandbox, signInOverHttp, type Sandbox } from '../../sandbox/index.js';
import { SCOPE_LIST } from '../e2e/helpers.js';
import { authorizeUrl, manualClock, signIn } from './oidc-helpers.js';
import { get } from './helpers.js';

async function fetchPage(url: string): Promise<{ status: number; location: string | null; contentType: string | null; text: string }> {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), contentType: res.headers.get('content-type'), text: await res.text() };
}

function redirectParams(location: string | null): URLSearchParams {
  if (!location) throw new Error('no redirect');
  return new URL(location).searchParams;
}

describe('analyst sign-in: /oauth2/v1/authorize and the sign-in page', () => {
  let sb: Sandbox;
  const clock = manualClock();
  beforeAll(async () => {
    sb = await startSandbox({ users: 20, logEvents: 10, quiet: true, now: clock.now, grantedScopes: SCOPE_LIST });
  });
  afterAll(() => sb.close());

  it('publishes the org authorization server metadata and its signing key', async () => {
    const meta = await get(sb, '/.well-known/openid-configuration', { auth: null });
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({
      issuer: sb.url,
      authorization_endpoint: `${sb.url}/oauth2/v1/authorize`,
      token_endpoint: `${sb.url}/oauth2/v1/token`,
      jwks_uri: `${sb.url}/oauth2/v1/keys`,
      revocation_endpoint: `${sb.url}/oauth2/v1/revoke`,
      device_authorization_endpoint: `${sb.url}/oauth2/v1/device/authorize`,
      userinfo_endpoint: `${sb.url}/oauth2/v1/userinfo`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const keys = await get(sb, '/oauth2/v1/keys', { auth: null });
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: sb.oidc.signingJwk.kid, n: expect.any(String), e: 'AQAB' })]);
    expect(keys.body.keys[0]).not.toHaveProperty('d');
  });

  it('shows a sign-in form with stable ids, labels and field names', async () => {
    const a = authorizeUrl(sb, { extra: { login_hint: 'alice@example.com' } });
    const page = await fetchPage(a.url);
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    expect(page.text).toContain('<form id="okta-signin-form" method="post" action="/login/sign-in"');
    expect(page.text).toMatch(/<input type="hidden" name="okta_key" value="[A-Za-z0-9_-]{32}">/);
    expect(page.text).toContain('<label for="okta-signin-username">Username</label>');
    expect(page.text).toContain('<input type="text" id="okta-signin-username" name="username" value="alice@example.com"');
    expect(page.text).toContain('<label for="okta-signin-password">Password</label>');
    expect(page.text).toContain('<input type="password" id="okta-signin-password" name="password"');
    expect(page.text).toContain('<button type="submit" id="okta-signin-submit">Sign In</button>');
    expect(page.text).toContain('okta-soar analysts (Native)');
  });

  it('escapes what the request puts on the page', async () => {
    const a = authorizeUrl(sb, { extra: { login_hint: '"><script>alert(1)</script>' } });
    const page = await fetchPage(a.url);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>alert(1)');
    expect(page.text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('signs an assigned user in and redirects with a code and the state', async () => {
    const s = await signIn(sb, 'alice@example.com');
    expect(s.result.status).toBe(302);
    expect(s.result.location!.startsWith(`${sb.oidc.redirectUri}?`)).toBe(true);
    expect(s.result.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.result.state).toBe(s.state);
    expect(s.result.error).toBeUndefined();
  });

  it('shows Okta\'s error page, never a redirect, for a wrong redirect URI (port, path, host or scheme)', async () => {
    for (const redirectUri of ['http://127.0.0.1:8401/callback', 'http://127.0.0.1:8400/callback/', 'http://localhost:8400/callback', 'https://127.0.0.1:8400/callback', 'http://127.0.0.1:8400/Callback']) {
      const page = await fetchPage(authorizeUrl(sb, { redirectUri }).url);
      expect({ redirectUri, status: page.status, location: page.location }).toEqual({ redirectUri, status: 400, location: null });
      expect(page.text).toContain('<dd id="okta-error-code">invalid_request</dd>');
      expect(page.text).toContain('The &#39;redirect_uri&#39; parameter must be a Login redirect URI in the client app settings.');
    }
    const missing = await fetchPage(`${sb.url}/oauth2/v1/authorize?client_id=${sb.oidc.nativeClientId}&response_type=code&scope=openid&state=x`);
    expect([missing.status, missing.location]).toEqual([400, null]);
  });

  it("shows Okta's error page for an unknown client id and for the service app", async () => {
    const unknown = await fetchPage(authorizeUrl(sb, { clientId: '0oaNOTANAPP000000000' }).url);
    expect([unknown.status, unknown.location]).toEqual([400, null]);
    expect(unknown.text).toContain('<dd id="okta-error-code">invalid_client</dd>');
    expect(unknown.text).toContain('Invalid value for &#39;client_id&#39; parameter.');
    const service = await fetchPage(authorizeUrl(sb, { clientId: sb.clientId }).url);
    expect([service.status, service.location]).toEqual([400, null]);
    expect(service.text).toContain('Clients with &#39;application_type&#39; of &#39;service&#39; are not allowed to access the &#39;authorize&#39; endpoint.');
    const r = await signInOverHttp(authorizeUrl(sb, { clientId: 'nope' }).url, { username: 'alice@example.com', password: 'x' });
    expect(r).toEqual({ status: 400, pageError: "invalid_client: Invalid value for 'client_id' parameter." });
  });

  it('requires a state of letters, digits and , . _ - (redirected without it)', async () => {
    for (const state of [null, '', 'has space', 'a/b', 'x'.repeat(2049), 'é']) {
      const page = await fetchPage(authorizeUrl(sb, { state }).url);
      expect(page.status).toBe(302);
      const p = redirectParams(page.location);
      expect({ state, error: p.get('error'), description: p.get('error_description'), echoed: p.get('state') }).toEqual({
        state,
        error: 'invalid_request',
        description: "The authentication request has an invalid 'state' parameter.",
        echoed: null,
      });
    }
    const ok = await fetchPage(authorizeUrl(sb, { state: 'Ab9,._-' }).url);
    expect(ok.status).toBe(200);
  });

  it('accepts only S256 PKCE, and requires it', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }, 'PKCE code challenge method is not supported. Valid values: [S256]'],
      [{ code_challenge: 'x'.repeat(43) }, 'PKCE code challenge method is not supported. Valid values: [S256]'],
      [{ code_challenge: 'x'.repeat(42), code_challenge_method: 'S256' }, 'PKCE code challenge contains illegal characters.'],
      [{ code_challenge: `${'x'.repeat(42)}+`, code_challenge_method: 'S256' }, 'PKCE code challenge contains illegal characters.'],
      [{}, 'PKCE code challenge is required by the application.'],
    ];
    for (const [extra, description] of cases) {
      const a = authorizeUrl(sb, { pkce: null, extra });
      const page = await fetchPage(a.url);
      const p = redirectParams(page.location);
      expect({ extra, error: p.get('error'), description: p.get('error_description'), state: p.get('state') }).toEqual({ extra, error: 'invalid_request', description, state: a.state });
    }
  });

  it('answers other bad requests with a redirect carrying the error', async () => {
    const cases: [Parameters<typeof authorizeUrl>[1], string, string][] = [
      [{ extra: { response_type: 'token' } }, 'unsupported_response_type', 'The response type is not supported by the authorization server. Configured response types: [code].'],
      [{ scope: 'profile okta.users.read' }, 'invalid_scope', "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."],
      [{ scope: 'offline_access okta.users.read' }, 'invalid_scope', "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."],
      [{ scope: 'openid calendar.read' }, 'invalid_scope', 'The following scopes are not allowed for this request: [calendar.read].'],
      [{ scope: '' }, 'invalid_scope', 'No scopes were requested.'],
      [{ scope: 'okta.factors.manage' }, 'access_denied', 'Policy evaluation succeeded, but all the requested scopes were rejected.'],
      [{ extra: { prompt: 'none' } }, 'login_required', 'The client specified not to prompt, but the user is not logged in.'],
      [{ extra: { max_age: '-1' } }, 'invalid_request', "Invalid value for 'max_age' parameter. It should be within range 0 - 2^31-1."],
      [{ extra: { response_mode: 'web_message' } }, 'unsupported_response_mode', 'The response mode is not supported by the authorization server. Valid response modes: [query, fragment, form_post, okta_post_message].'],
      [{ extra: { request: 'eyJhbGciOiJub25lIn0.e30.' } }, 'request_not_supported', 'The authorize request object is not supported by this client.'],
      [{ extra: { request_uri: 'urn:ietf:params:oauth:request_uri:x' } }, 'request_uri_not_supported', 'The authorize request uri is not supported by this client.'],
    ];
    for (const [input, error, description] of cases) {
      const a = authorizeUrl(sb, input);
      const page = await fetchPage(a.url);
      expect(page.status).toBe(302);
      const p = redirectParams(page.location);
      expect({ input, error: p.get('error'), description: p.get('error_description'), state: p.get('state') }).toEqual({ input, error, description, state: a.state });
    }
    const dup = await fetchPage(`${authorizeUrl(sb).url}&scope=openid`);
    expect(redirectParams(dup.location).get('error_description')).toBe('Duplicate parameter provided in request. Duplicated parameters: [scope].');
  });

  it('keeps the page when the password is wrong, and logs the failed sign-in', async () => {
    const before = sb.org.logs.size;
    const r = await signInOverHttp(authorizeUrl(sb).url, { username: 'alice@example.com', password: 'not-her-password' });
    expect(r).toEqual({ status: 401, pageError: 'Unable to sign in' });
    const ev = sb.org.events.slice(before).map((e) => e.event);
    expect(ev).toEqual([expect.objectContaining({ eventType: 'user.session.start', severity: 'WARN', outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' }, actor: expect.objectContaining({ alternateId: 'alice@example.com', type: 'User' }) })]);
    const unknown = await signInOverHttp(authorizeUrl(sb).url, { username: 'nobody@example.com', password: 'x' });
    expect(unknown).toEqual({ status: 401, pageError: 'Unable to sign in' });
  });

  it('refuses users who cannot sign in, each with what Okta tells them', async () => {
    const expected: Record<string, string> = {
      'carol@example.com': 'Unable to sign in', // SUSPENDED
      'ivan@example.com': 'Unable to sign in', // DEPROVISIONED
      'heidi@example.com': 'Unable to sign in', // RECOVERY
      'dave@example.com': 'Your account is locked. Contact your administrator.',
      'grace@example.com': 'Your password has expired. Change it in Okta, then sign in again.',
    };
    for (const [login, message] of Object.entries(expected)) {
      const s = await signIn(sb, login);
      expect({ login, ...s.result }).toEqual({ login, status: 401, pageError: message });
    }
  });

  it('redirects error=access_denied for a user not assigned to the app', async () => {
    const before = sb.org.logs.size;
    const s = await signIn(sb, 'mallory@example.com');
    expect(s.result).toMatchObject({ status: 302, error: 'access_denied', errorDescription: 'User is not assigned to the client application.', state: s.state });
    expect(s.result.code).toBeUndefined();
    const types = sb.org.events.slice(before).map((e) => [e.event.eventType, (e.event.outcome as { result?: string } | null)?.result]);
    expect(types).toEqual([
      ['user.session.start', 'SUCCESS'],
      ['user.authentication.sso', 'FAILURE'],
    ]);
  });

  it('follows assignment changes: directly, and through the assigned group', async () => {
    sb.oidc.assign('mallory@example.com');
    expect((await signIn(sb, 'mallory@example.com')).result.code).toBeDefined();
    sb.oidc.unassign('mallory@example.com');
    expect((await signIn(sb, 'mallory@example.com')).result.error).toBe('access_denied');
    const security = [...sb.org.groups.values()].find((g) => g.profile.name === 'Security')!;
    const mallory = sb.org.requireUser('mallory@example.com');
    sb.org.groupMembers.get(security.id)!.add(mallory.id);
    try {
      expect((await signIn(sb, 'mallory@example.com')).result.code).toBeDefined();
    } finally {
      sb.org.groupMembers.get(security.id)!.delete(mallory.id);
    }
  });

  it('signs users in with a password a test sets', async () => {
    sb.oidc.setPassword('bob@example.com', 'Correct-Horse-1');
    expect(sb.oidc.passwordOf('bob@example.com')).toBe('Correct-Horse-1');
    expect((await signInOverHttp(authorizeUrl(sb).url, { username: 'bob@example.com', password: 'sandbox-bob' })).status).toBe(401);
    expect((await signInOverHttp(authorizeUrl(sb).url, { username: 'bob@example.com', password: 'Correct-Horse-1' })).code).toBeDefined();
    sb.oidc.setPassword('bob@example.com', 'sandbox-bob');
  });

  it('lets a sign-in form be used once, for ten minutes of the sandbox clock', async () => {
    const page = await fetchPage(authorizeUrl(sb).url);
    const key = /name="okta_key" value="([^"]+)"/.exec(page.text)![1]!;
    const post = (k: string) =>
      fetch(`${sb.url}/login/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ okta_key: k, username: 'alice@example.com', password: 'sandbox-alice' }) });
    clock.advance(10 * 60_000 + 1);
    const late = await post(key);
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('Request expired, please start over and try again.');
    const fresh = /name="okta_key" value="([^"]+)"/.exec((await fetchPage(authorizeUrl(sb).url)).text)![1]!;
    expect((await post(fresh)).status).toBe(302);
    expect((await post(fresh)).status).toBe(400);
  });

  it('answers in the fragment or with a form_post page when asked', async () => {
    const frag = await signIn(sb, 'alice@example.com', { extra: { response_mode: 'fragment' } });
    expect(frag.result.location).toMatch(new RegExp(`^${sb.oidc.redirectUri.replace(/[.?]/g, '\\$&')}#code=`));
    expect(frag.result.code).toBeDefined();
    const post = await signIn(sb, 'alice@example.com', { extra: { response_mode: 'form_post' } });
    expect(post.result).toMatchObject({ status: 200, location: sb.oidc.redirectUri, state: post.state, code: expect.any(String) });
  });
});

describe('analyst sign-in: registered redirect URIs', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 12, logEvents: 0, quiet: true, oidc: { redirectUris: ['http://localhost:9876/cb', 'http://127.0.0.1:9877/done?tenant=a'] } });
  });
  afterAll(() => sb.close());

  it('uses the redirect URIs it was given, exactly, and keeps a registered query', async () => {
    expect(sb.oidc.redirectUri).toBe('http://localhost:9876/cb');
    expect(sb.oidc.redirectUris).toEqual(['http://localhost:9876/cb', 'http://127.0.0.1:9877/done?tenant=a']);
    const a = await signIn(sb, 'alice@example.com', { redirectUri: 'http://127.0.0.1:9877/done?tenant=a' });
    expect(a.result.location).toMatch(/^http:\/\/127\.0\.0\.1:9877\/done\?tenant=a&code=/);
    const dflt = await fetch(authorizeUrl(sb, { redirectUri: 'http://127.0.0.1:8400/callback' }).url, { redirect: 'manual' });
    expect(dflt.status).toBe(400);
  });

  it('takes new redirect URIs at run time, on both apps', async () => {
    sb.oidc.setRedirectUris(['http://127.0.0.1:45678/callback']);
    expect(sb.oidc.redirectUri).toBe('http://127.0.0.1:45678/callback');
    const web = await signIn(sb, 'alice@example.com', { clientId: sb.oidc.webClientId, redirectUri: 'http://127.0.0.1:45678/callback' });
    expect(web.result.location).toMatch(/^http:\/\/127\.0\.0\.1:45678\/callback\?code=/);
    expect((await fetch(authorizeUrl(sb, { redirectUri: 'http://localhost:9876/cb' }).url, { redirect: 'manual' })).status).toBe(400);
    expect(() => sb.oidc.setRedirectUris(['not a url'])).toThrow('is not an absolute URL');
  });

  it('refuses to start with a redirect URI that is not an absolute URL', async () => {
    await expect(startSandbox({ users: 12, logEvents: 0, quiet: true, oidc: { redirectUris: ['/callback'] } })).rejects.toThrow('redirect URI "/callback" is not an absolute URL');
    await expect(startSandbox({ users: 12, logEvents: 0, quiet: true, oidc: { assignedGroups: ['No Such Group'] } })).rejects.toThrow('no group named No Such Group');
  });
});
