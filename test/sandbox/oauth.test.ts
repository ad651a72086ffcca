import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { exportJWK, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { get, type Json } from './helpers.js';

async function assertion(sb: Sandbox): Promise<string> {
  const key = await importPKCS8(sb.privateKeyPem, 'RS256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: sb.keyId })
    .setIssuer(sb.clientId)
    .setSubject(sb.clientId)
    .setAudience(`${sb.url}/oauth2/v1/token`)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(key);
}

async function token(sb: Sandbox, scope: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(sb),
  });
  const res = await fetch(`${sb.url}/oauth2/v1/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers }, body: form });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe('OAuth 2.0 service app', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 12, logEvents: 10, quiet: true });
  });
  afterAll(() => sb.close());

  it('publishes its key material: PKCS#8 PEM, a 0600 key file, a public JWK with the kid', () => {
    expect(sb.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(sb.privateKeyFile, 'utf8')).toBe(sb.privateKeyPem);
    expect(statSync(sb.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(sb.publicJwk).toMatchObject({ kty: 'RSA', kid: sb.keyId });
    expect(sb.publicJwk).not.toHaveProperty('d');
    expect(sb.clientId).toMatch(/^0oa[A-Za-z0-9]{17}$/);
  });

  it('mints a Bearer token for private_key_jwt and serves API calls with it', async () => {
    const t = await token(sb, 'okta.users.read okta.logs.read');
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'okta.users.read okta.logs.read' });
    expect(t.headers.get('x-rate-limit-limit')).toMatch(/^\d+$/);
    const r = await get(sb, '/api/v1/users?limit=1', { auth: `Bearer ${t.body.access_token}` });
    expect(r.status).toBe(200);
    expect(sb.stats.oauth.tokensMinted).toBe(1);
  });

  it("enforces the route's scope with Okta's 403 and WWW-Authenticate", async () => {
    const t = await token(sb, 'okta.users.read');
    const r = await get(sb, '/api/v1/logs?limit=1', { auth: `Bearer ${t.body.access_token}` });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' });
    expect(r.headers.get('www-authenticate')).toBe(
      `Bearer authorization_uri="${sb.url}/oauth2/v1/authorize", realm="${sb.url}", scope="okta.logs.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/logs"`,
    );
    // users.manage grants users.read.
    const m = await token(sb, 'okta.users.manage');
    expect((await get(sb, '/api/v1/users?limit=1', { auth: `Bearer ${m.body.access_token}` })).status).toBe(200);
  });

  it('refuses an unknown access token with 401', async () => {
    const r = await get(sb, '/api/v1/users', { auth: 'Bearer not-a-token' });
    expect(r.status).toBe(401);
    expect(r.body.errorCode).toBe('E0000011');
  });

  it('logs API actions of the app with the app as actor', async () => {
    const t = await token(sb, 'okta.users.manage');
    const before = sb.org.logs.size;
    const r = await fetch(`${sb.url}/api/v1/users/alice@example.com/lifecycle/suspend`, { method: 'POST', headers: { Authorization: `Bearer ${t.body.access_token}` } });
    expect(r.status).toBe(200);
    await r.text();
    const ev = sb.org.events[before]!.event as Json;
    expect(ev.actor).toMatchObject({ id: sb.clientId, type: 'PublicClientApp' });
    // /users/me has no user behind an app.
    expect((await get(sb, '/api/v1/users/me', { auth: `Bearer ${t.body.access_token}` })).status).toBe(404);
  });
});

describe('OAuth with DPoP', () => {
  it('requires DPoP when asked: nonce, then a DPoP-bound token used with proofs', async () => {
    const sb = await startSandbox({ users: 12, logEvents: 0, dpop: true, quiet: true });
    try {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const jwk = await exportJWK(publicKey);
      const proof = (htm: string, htu: string, extra: Record<string, string> = {}) =>
        new SignJWT({ htm, htu, ...extra }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).setIssuedAt().setJti(randomUUID()).sign(privateKey);
      const tokenUrl = `${sb.url}/oauth2/v1/token`;
      let t = await token(sb, 'okta.users.read', { DPoP: await proof('POST', tokenUrl) });
      expect(t.status).toBe(400);
      expect(t.body.error).toBe('use_dpop_nonce');
      const nonce = t.headers.get('dpop-nonce')!;
      expect(nonce).toBeTruthy();
      t = await token(sb, 'okta.users.read', { DPoP: await proof('POST', tokenUrl, { nonce }) });
      expect(t.status).toBe(200);
      expect(t.body.token_type).toBe('DPoP');
      const at = t.body.access_token as string;
      const ath = createHash('sha256').update(at).digest('base64url');
      const url = `${sb.url}/api/v1/users`;
      const r = await get(sb, '/api/v1/users?limit=1', { auth: `DPoP ${at}`, headers: { DPoP: await proof('GET', url, { ath }) } });
      expect(r.status).toBe(200);
      expect(r.body).toHaveLength(1);
      const noProof = await get(sb, '/api/v1/users?limit=1', { auth: `DPoP ${at}` });
      expect(noProof.status).toBeGreaterThanOrEqual(400);
    } finally {
      await sb.close();
    }
  });
});
