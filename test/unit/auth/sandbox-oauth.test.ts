/**
 * The sandbox authorization server on its own, fed hand-made assertions and proofs: each
 * refusal has Okta's status, error and error_description.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, exportJWK, type JWK } from 'jose';
import { createSandboxOAuth, type SandboxOAuthServer } from '../../../sandbox/oauth-server.js';
import type { SandboxHttpRequest } from '../../../sandbox/oauth-types.js';
import { makeKey, type TestKey } from './helpers.js';

const ORIGIN = 'http://127.0.0.1:4321';
const TOKEN_URL = `${ORIGIN}/oauth2/v1/token`;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const IAT = T0 / 1000;
const CID = '0oaSANDBOX';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let ec: TestKey;
let rsa: TestKey;
let dpopPriv: KeyObject;
let dpopJwk: JWK;
let now: number;
let server: SandboxOAuthServer;
let jti = 0;

beforeAll(async () => {
  [ec, rsa] = await Promise.all([makeKey('EC'), makeKey('RSA')]);
  const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  dpopPriv = kp.privateKey;
  dpopJwk = await exportJWK(kp.publicKey);
});

beforeEach(() => {
  now = T0;
  server = createSandboxOAuth({
    origin: ORIGIN,
    now: () => now,
    apps: [
      { clientId: CID, publicJwks: [ec.publicJwk, rsa.publicJwk], grantedScopes: ['okta.users.read', 'okta.users.manage'], requireDpop: false },
      { clientId: 'dpopapp', publicJwks: [ec.publicJwk], grantedScopes: ['okta.users.read'], requireDpop: true },
    ],
  });
});

async function assertion(over: Record<string, unknown> = {}, head: Record<string, unknown> = {}, key: KeyObject = ec.privateKey): Promise<string> {
  const claims = { iss: CID, sub: CID, aud: TOKEN_URL, iat: IAT, exp: IAT + 300, jti: `a${++jti}`, ...over };
  for (const k of Object.keys(claims)) if (claims[k as keyof typeof claims] === undefined) delete claims[k as keyof typeof claims];
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: ec.kid, ...head } as never).sign(key);
}

async function proof(over: Record<string, unknown> = {}, head: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: TOKEN_URL, iat: IAT, jti: `p${++jti}`, ...over })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: dpopJwk, ...head } as never)
    .sign(dpopPriv);
}

function tokenReq(fields: Record<string, string | undefined>, headers: Record<string, string> = {}): SandboxHttpRequest {
  const body = new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== undefined) as Array<[string, string]>).toString();
  return { method: 'POST', url: TOKEN_URL, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body };
}

async function post(fields: Record<string, string | undefined>, headers: Record<string, string> = {}) {
  return server.handleToken(tokenReq({ grant_type: 'client_credentials', scope: 'okta.users.read', client_assertion_type: ASSERTION_TYPE, ...fields }, headers));
}

/** A DPoP token for dpopapp (goes through the nonce challenge). */
async function dpopToken(): Promise<string> {
  const first = await post({ client_assertion: await assertion({ iss: 'dpopapp', sub: 'dpopapp' }) }, { dpop: await proof() });
  expect(first.status).toBe(400);
  const nonce = first.headers['dpop-nonce']!;
  const ok = await post({ client_assertion: await assertion({ iss: 'dpopapp', sub: 'dpopapp' }) }, { dpop: await proof({ nonce }) });
  expect(ok.status).toBe(200);
  return (ok.body as { access_token: string }).access_token;
}

const ath = (t: string) => createHash('sha256').update(t).digest('base64url');

describe('token endpoint: client authentication', () => {
  it('issues an opaque Bearer token with expires_in 3600 and the scope', async () => {
    const res = await post({ client_assertion: await assertion(), scope: 'okta.users.read okta.users.manage' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ token_type: 'Bearer', expires_in: 3600, access_token: expect.stringMatching(/^sbx\.[A-Za-z0-9_-]{43}$/), scope: 'okta.users.read okta.users.manage' });
    expect(server.stats).toMatchObject({ tokenRequests: 1, tokensMinted: 1 });
  });

  it('accepts RS256 chosen by kid, and no kid when a key fits', async () => {
    const rs = await assertion({}, { alg: 'RS256', kid: rsa.kid }, rsa.privateKey);
    expect((await post({ client_assertion: rs })).status).toBe(200);
    const nokid = await new SignJWT({ iss: CID, sub: CID, aud: TOKEN_URL, iat: IAT, exp: IAT + 60, jti: 'nokid' }).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey);
    expect((await post({ client_assertion: nokid })).status).toBe(200);
  });

  it.each<[string, () => Promise<Record<string, string | undefined>>, Record<string, string>, number, string, string]>([
    ['unknown client', async () => ({ client_assertion: await assertion({ iss: 'nobody', sub: 'nobody' }) }), {}, 401, 'invalid_client', 'The issuer claim for client_assertion is not a valid client_id.'],
    ['sub ≠ iss', async () => ({ client_assertion: await assertion({ sub: 'other' }) }), {}, 401, 'invalid_client', 'The subject claim for client_assertion is not a valid client_id.'],
    ['wrong aud (no /token)', async () => ({ client_assertion: await assertion({ aud: ORIGIN }) }), {}, 401, 'invalid_client', 'The audience claim for client_assertion must be the endpoint invoked for the request.'],
    ['aud of another org', async () => ({ client_assertion: await assertion({ aud: 'https://acme.okta.com/oauth2/v1/token' }) }), {}, 401, 'invalid_client', 'The audience claim for client_assertion must be the endpoint invoked for the request.'],
    ['no exp', async () => ({ client_assertion: await assertion({ exp: undefined }) }), {}, 401, 'invalid_client', "The client_assertion must contain the 'exp' claim as seconds since epoch."],
    ['expired', async () => ({ client_assertion: await assertion({ iat: IAT - 600, exp: IAT - 1 }) }), {}, 401, 'invalid_client', 'The client_assertion token is expired.'],
    ['exp > 1 h ahead', async () => ({ client_assertion: await assertion({ exp: IAT + 3601 }) }), {}, 401, 'invalid_client', 'The client_assertion token has an expiration too far into the future.'],
    ['iat in the future', async () => ({ client_assertion: await assertion({ iat: IAT + 120 }) }), {}, 401, 'invalid_client', 'The client_assertion token must be issued before the current time.'],
    ['unknown kid', async () => ({ client_assertion: await assertion({}, { kid: 'nope' }) }), {}, 401, 'invalid_client', 'The client_assertion JWT kid is invalid.'],
    ['HS256', async () => ({ client_assertion: await new SignJWT({ iss: CID, sub: CID, aud: TOKEN_URL, exp: IAT + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32)) }), {}, 401, 'invalid_client', 'The client_assertion JWT signature algorithm is invalid.'],
    ['signed by another key', async () => ({ client_assertion: await assertion({}, {}, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) }), {}, 401, 'invalid_client', 'The client_assertion signature is invalid.'],
    ['garbage assertion', async () => ({ client_assertion: 'not.a.jwt' }), {}, 401, 'invalid_client', 'The parsing of the client_assertion failed.'],
    ['no assertion', async () => ({ client_assertion: undefined }), {}, 401, 'invalid_client', 'No client credentials found.'],
    ['client_id as well', async () => ({ client_assertion: await assertion(), client_id: CID }), {}, 401, 'invalid_request', 'Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.'],
    ['Basic as well', async () => ({ client_assertion: await assertion() }), { authorization: 'Basic eDp5' }, 401, 'invalid_request', 'Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.'],
    ['client_secret only', async () => ({ client_assertion: undefined, client_assertion_type: undefined, client_id: CID, client_secret: 's' }), {}, 401, 'invalid_client', 'Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.'],
    ['wrong assertion type', async () => ({ client_assertion: await assertion(), client_assertion_type: 'urn:x' }), {}, 400, 'invalid_request', 'The client_assertion_type is invalid.'],
    ['password grant', async () => ({ client_assertion: await assertion(), grant_type: 'password' }), {}, 400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].'],
    ['no scope', async () => ({ client_assertion: await assertion(), scope: undefined }), {}, 400, 'invalid_scope', 'No scopes were requested.'],
    ['scope not granted', async () => ({ client_assertion: await assertion(), scope: 'okta.users.read okta.logs.read okta.apps.read' }), {}, 400, 'invalid_scope', 'The following scopes are not allowed for this request: [okta.logs.read, okta.apps.read].'],
  ])('%s', async (_name, fields, headers, status, error, description) => {
    const res = await post(await fields(), headers);
    expect(res).toMatchObject({ status, body: { error, error_description: description } });
    expect(server.stats.tokensMinted).toBe(0);
  });

  it('a jti is single-use', async () => {
    const a = await assertion({ jti: 'once' });
    expect((await post({ client_assertion: a })).status).toBe(200);
    expect(await post({ client_assertion: a })).toMatchObject({ status: 401, body: { error: 'invalid_client', error_description: 'The client_assertion token has already been used.' } });
  });

  it('the jti is consumed even when the answer is use_dpop_nonce', async () => {
    const a = await assertion({ iss: 'dpopapp', sub: 'dpopapp' });
    expect((await post({ client_assertion: a }, { dpop: await proof() })).body).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = server.currentNonce();
    expect(await post({ client_assertion: a }, { dpop: await proof({ nonce }) })).toMatchObject({ status: 401, body: { error_description: 'The client_assertion token has already been used.' } });
  });
});

describe('token endpoint: DPoP', () => {
  it('no DPoP header for an app that requires it → invalid_dpop_proof "header is missing"', async () => {
    const res = await post({ client_assertion: await assertion({ iss: 'dpopapp', sub: 'dpopapp' }) });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' } });
  });

  it('a valid proof without nonce → 400 use_dpop_nonce + DPoP-Nonce; with it → a DPoP token', async () => {
    const first = await post({ client_assertion: await assertion({ iss: 'dpopapp', sub: 'dpopapp' }) }, { dpop: await proof() });
    expect(first).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' } });
    expect(first.headers['dpop-nonce']).toBe(server.currentNonce());
    const ok = await post({ client_assertion: await assertion({ iss: 'dpopapp', sub: 'dpopapp' }) }, { dpop: await proof({ nonce: first.headers['dpop-nonce'] }) });
    expect(ok).toMatchObject({ status: 200, body: { token_type: 'DPoP', expires_in: 3600, scope: 'okta.users.read' } });
  });

  it('a proof sent to an app that does not require DPoP binds the token too', async () => {
    const nonce = server.currentNonce();
    const ok = await post({ client_assertion: await assertion() }, { dpop: await proof({ nonce }) });
    expect(ok.body).toMatchObject({ token_type: 'DPoP' });
  });

  it.each<[string, () => Promise<string>, string]>([
    ['typ not dpop+jwt', () => proof({}, { typ: 'JWT' }), "'typ' must be 'dpop+jwt' in the DPoP proof JWT."],
    ['private key in jwk', async () => proof({}, { jwk: await exportJWK(dpopPriv) }), 'The DPoP proof JWT is invalid.'],
    ['HS256', () => new SignJWT({ htm: 'POST', htu: TOKEN_URL, iat: IAT, jti: 'h' }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256' }).sign(new Uint8Array(32)), 'The DPoP proof JWT signature algorithm is invalid.'],
    ['signature by another key', async () => new SignJWT({ htm: 'POST', htu: TOKEN_URL, iat: IAT, jti: 'x' }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: dpopJwk }).sign(ec.privateKey), 'The DPoP proof JWT signature is invalid.'],
    ['htm GET', () => proof({ htm: 'GET' }), "'htm' claim in the DPoP proof JWT is invalid."],
    ['htu of another path', () => proof({ htu: `${ORIGIN}/oauth2/v1/tokens` }), "'htu' claim in the DPoP proof JWT is invalid."],
    ['iat 6 min old', () => proof({ iat: IAT - 360 }), 'The DPoP proof JWT is issued more than five minutes in the past.'],
    ['iat 6 min ahead', () => proof({ iat: IAT + 360 }), 'The DPoP proof JWT is issued in the future.'],
    ['no jti', () => proof({ jti: undefined }), "'jti' claim in the DPoP proof JWT is invalid."],
    ['garbage', async () => 'x.y.z', 'The DPoP proof JWT cannot be parsed.'],
  ])('%s → invalid_dpop_proof', async (_name, make, description) => {
    const res = await post({ client_assertion: await assertion({ iss: 'dpopapp', sub: 'dpopapp' }) }, { dpop: await make() });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: description } });
  });

  it('htu query and fragment are ignored; scheme and host compare case-insensitively', async () => {
    const nonce = server.currentNonce();
    const res = await post({ client_assertion: await assertion() }, { dpop: await proof({ nonce, htu: 'HTTP://127.0.0.1:4321/oauth2/v1/token?x=1' }) });
    expect(res.status).toBe(200);
  });

  it('a replayed proof is refused', async () => {
    const nonce = server.currentNonce();
    const p = await proof({ nonce });
    expect((await post({ client_assertion: await assertion() }, { dpop: p })).status).toBe(200);
    expect(await post({ client_assertion: await assertion() }, { dpop: p })).toMatchObject({ status: 400, body: { error_description: 'The DPoP proof JWT has already been used.' } });
  });
});

describe('authenticate (API requests)', () => {
  const API = `${ORIGIN}/api/v1/users/a%40b.com`;
  const api = (headers: Record<string, string>, method = 'GET', url = API): SandboxHttpRequest => ({ method, url, headers, body: '' });

  async function bearer(): Promise<string> {
    const res = await post({ client_assertion: await assertion(), scope: 'okta.users.read' });
    return (res.body as { access_token: string }).access_token;
  }

  it('a Bearer token gives a principal with its scopes', async () => {
    const r = await server.authenticate(api({ authorization: `Bearer ${await bearer()}` }));
    expect(r).toEqual({ ok: true, principal: { kind: 'oauth', scopes: ['okta.users.read'], clientId: CID } });
  });

  it('unknown, expired and revoked tokens → 401 WWW-Authenticate Bearer error="invalid_token" + E0000011', async () => {
    const t = await bearer();
    const unknown = await server.authenticate(api({ authorization: 'Bearer nope' }));
    expect(unknown.ok).toBe(false);
    const res = (unknown as { response: { status: number; headers: Record<string, string>; body: Record<string, unknown> } }).response;
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer authorization_uri="${ORIGIN}/oauth2/v1/authorize", realm="${ORIGIN}", error="invalid_token", error_description="The access token is invalid.", resource="/api/v1/users/a%40b.com"`,
    );
    expect(res.body).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorLink: 'E0000011', errorCauses: [] });
    expect(res.body.errorId).toMatch(/^oae/);

    now += 3600_000;
    const expired = await server.authenticate(api({ authorization: `Bearer ${t}` }));
    expect(JSON.stringify(expired)).toContain('The token has expired.');
    now = T0;
    server.revokeAllTokens();
    const revoked = await server.authenticate(api({ authorization: `Bearer ${t}` }));
    expect(JSON.stringify(revoked)).toContain('The access token has been revoked.');
  });

  it('DPoP scheme rules', async () => {
    const t = await dpopToken();
    const good = await proof({ htm: 'GET', htu: `${ORIGIN}/api/v1/users/a@b.com`, ath: ath(t) });
    const cases: Array<[Record<string, string>, number, string, string]> = [
      [{ authorization: `Bearer ${t}` }, 400, 'invalid_request', 'The resource request must use the DPoP authentication scheme when using a DPoP bound token.'],
      [{ authorization: `DPoP ${t}` }, 400, 'invalid_request', 'The resource request requires a DPoP proof.'],
      [{ authorization: `DPoP ${t}`, dpop: await proof({ htm: 'GET', htu: `${ORIGIN}/api/v1/users/a@b.com`, ath: ath('other') }) }, 400, 'invalid_dpop_proof', "'ath' claim in the DPoP proof does not match the presented access_token."],
      [{ authorization: `DPoP ${t}`, dpop: await proof({ htm: 'POST', htu: `${ORIGIN}/api/v1/users/a@b.com`, ath: ath(t) }) }, 400, 'invalid_dpop_proof', "'htm' claim in the DPoP proof JWT is invalid."],
      [{ authorization: `DPoP ${t}`, dpop: await proof({ htm: 'GET', htu: `${ORIGIN}/api/v1/users/a%40b.com`, ath: ath(t) }) }, 400, 'invalid_dpop_proof', "'htu' claim in the DPoP proof JWT is invalid."],
    ];
    for (const [headers, status, error, description] of cases) {
      const r = await server.authenticate(api(headers));
      expect(r.ok).toBe(false);
      const res = (r as { response: { status: number; headers: Record<string, string> } }).response;
      expect(res.status).toBe(status);
      expect(res.headers['www-authenticate']).toMatch(/^DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", /);
      expect(res.headers['www-authenticate']).toContain(`error="${error}", error_description="${description}"`);
    }
    expect(await server.authenticate(api({ authorization: `DPoP ${t}`, dpop: good }))).toMatchObject({ ok: true });
    // The same proof twice is a replay.
    expect(JSON.stringify(await server.authenticate(api({ authorization: `DPoP ${t}`, dpop: good })))).toContain('The DPoP proof JWT has already been used.');
  });

  it('a proof by another key than the bound one is refused', async () => {
    const t = await dpopToken();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const p = await new SignJWT({ htm: 'GET', htu: `${ORIGIN}/api/v1/users/a@b.com`, ath: ath(t), iat: IAT, jti: 'o1' })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await exportJWK(other.publicKey) })
      .sign(other.privateKey);
    expect(JSON.stringify(await server.authenticate(api({ authorization: `DPoP ${t}`, dpop: p })))).toContain('The access_token is not bound to the provided DPoP proof.');
  });

  it('the DPoP scheme with a Bearer token → 401 invalid_token "not DPoP bound"', async () => {
    const r = await server.authenticate(api({ authorization: `DPoP ${await bearer()}` }));
    expect(JSON.stringify(r)).toContain('The presented access_token is not DPoP bound.');
    expect((r as { response: { status: number } }).response.status).toBe(401);
  });

  it('updateApp and revokeAllTokens take effect at once; stats count', async () => {
    server.updateApp(CID, { grantedScopes: ['okta.users.read'] });
    expect((await post({ client_assertion: await assertion(), scope: 'okta.users.manage' })).status).toBe(400);
    server.updateApp(CID, { requireDpop: true });
    expect((await post({ client_assertion: await assertion() })).body).toMatchObject({ error: 'invalid_dpop_proof' });
    expect(() => server.updateApp('nope', {})).toThrow(/no OAuth app/);
    expect(server.stats).toMatchObject({ tokenRequests: 2, tokensMinted: 0, tokenErrors: 2 });
  });
});
