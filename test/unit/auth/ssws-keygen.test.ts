import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, jwtVerify } from 'jose';
import { ManualClock } from '../../../integration/base/clock.js';
import { ConfigError } from '../../../integration/base/errors.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { createSswsAuth } from '../../../integration/okta/auth/ssws.js';
import { generateServiceAppKey, writePrivateKeyFile } from '../../../integration/okta/auth/keygen.js';
import { loadSigningKey } from '../../../integration/okta/auth/keys.js';
import { createOAuthAuth } from '../../../integration/okta/auth/oauth.js';
import { CLIENT_ID, ORIGIN, SCOPES, callApi, sandboxHarness } from './helpers.js';

describe('SSWS', () => {
  it('adds Authorization: SSWS <token>, reports it once, and never retries', async () => {
    const seen: string[] = [];
    const auth = createSswsAuth('00abcDEF_ghi-123', { onSecret: (s) => seen.push(s) });
    expect(auth.kind).toBe('api_token');
    expect(auth.scopes).toBeUndefined();
    expect(await auth.authorize('GET', `${ORIGIN}/api/v1/users`)).toEqual({ Authorization: 'SSWS 00abcDEF_ghi-123' });
    expect(await auth.onAuthFailure({ status: 401, headers: {}, body: '{"errorCode":"E0000011"}' }, { method: 'GET', url: ORIGIN })).toBe('fail');
    expect(seen).toEqual(['00abcDEF_ghi-123']);
  });

  it('refuses empty tokens, a pasted "SSWS " prefix and whitespace, without echoing the token', () => {
    expect(() => createSswsAuth('')).toThrow(ConfigError);
    expect(() => createSswsAuth('SSWS 00secretvalue')).toThrow(/without the "SSWS " prefix/);
    let err: unknown;
    try {
      createSswsAuth('00secret\nvalue');
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).parameter).toBe('apitoken');
    expect(String((err as Error).message)).not.toContain('00secret');
  });
});

describe('keygen', () => {
  it.each([
    ['EC', 'ES256', { kty: 'EC', crv: 'P-256' }],
    ['RSA', 'RS256', { kty: 'RSA', e: 'AQAB' }],
  ] as const)('%s: PKCS#8 private key, public JWK with kid = thumbprint, use sig, alg', async (kind, alg, shape) => {
    const k = await generateServiceAppKey(kind);
    expect(k.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(k.publicJwk).toMatchObject({ ...shape, use: 'sig', alg, kid: k.kid });
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k.publicJwk).not.toHaveProperty(m);
    const { kid: _kid, use: _use, alg: _alg, ...bare } = k.publicJwk;
    expect(await calculateJwkThumbprint(bare)).toBe(k.kid);
    // The key loads with the expected algorithm and matches the printed JWK.
    const loaded = loadSigningKey(k.privateKeyPem, { keyId: k.kid });
    expect(loaded.alg).toBe(alg);
    expect(createPublicKey(loaded.key).export({ format: 'jwk' })).toMatchObject(bare);
  });

  it('defaults to EC P-256', async () => {
    expect((await generateServiceAppKey()).alg).toBe('ES256');
  });

  it('the printed public JWK is all the sandbox app needs: the key authenticates end to end', async () => {
    const k = await generateServiceAppKey();
    const clock = new ManualClock();
    const h = sandboxHarness({ now: () => clock.now(), apps: [{ clientId: CLIENT_ID, publicJwks: [k.publicJwk], grantedScopes: SCOPES, requireDpop: true }] });
    const auth = createOAuthAuth({ origin: ORIGIN, clientId: CLIENT_ID, privateKey: k.privateKeyPem, keyId: k.kid, scopes: SCOPES, transport: h.transport, state: new MemoryStore(), clock });
    expect((await callApi(auth, h.transport, 'GET', `${ORIGIN}/api/v1/users`)).status).toBe(200);
    const assertion = new URLSearchParams(h.tokenRequests().at(-1)!.req.data).get('client_assertion')!;
    await jwtVerify(assertion, await importJWK(k.publicJwk, 'ES256'), { currentDate: new Date(clock.now()) });
  });

  it('writes the key file 0600 and never overwrites one', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-soar-keygen-'));
    try {
      const file = path.join(dir, 'sub', 'okta-app-key.pem');
      const k = await generateServiceAppKey();
      await writePrivateKeyFile(file, k.privateKeyPem);
      expect(await fs.readFile(file, 'utf8')).toBe(k.privateKeyPem);
      if (process.platform !== 'win32') {
        expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
        expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o700);
      }
      await expect(writePrivateKeyFile(file, 'other')).rejects.toMatchObject({ code: 'EEXIST' });
      expect(await fs.readFile(file, 'utf8')).toBe(k.privateKeyPem);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
