import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from 'jose';
import { FileStore, MemoryStore } from '../../../integration/state/store.js';
import {
  DPOP_KEY_STATE,
  NonceBook,
  accessTokenHash,
  createDpopProof,
  dpopHtu,
  generateDpopKey,
  loadOrCreateDpopKey,
  nonceStateKey,
} from '../../../integration/okta/auth/dpop.js';
import { decodeSegment } from './helpers.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0, 500);
const IAT = Math.floor(NOW / 1000);

describe('dpopHtu', () => {
  it('is origin + path, without query or fragment', () => {
    expect(dpopHtu('https://acme.okta.com/api/v1/users?limit=2&after=x#frag')).toBe('https://acme.okta.com/api/v1/users');
    expect(dpopHtu('https://ACME.okta.com:443/api/v1/groups')).toBe('https://acme.okta.com/api/v1/groups');
    expect(dpopHtu('http://127.0.0.1:4321/oauth2/v1/token')).toBe('http://127.0.0.1:4321/oauth2/v1/token');
  });

  it('percent-DECODES the path, as Okta compares it (a login with @ sent as %40)', () => {
    expect(dpopHtu('https://acme.okta.com/api/v1/users/alice%40acme.com/lifecycle/suspend')).toBe(
      'https://acme.okta.com/api/v1/users/alice@acme.com/lifecycle/suspend',
    );
    expect(dpopHtu('https://acme.okta.com/api/v1/users/j%C3%BCrgen')).toBe('https://acme.okta.com/api/v1/users/jürgen');
  });

  it('keeps a malformed escape as sent', () => {
    expect(dpopHtu('https://acme.okta.com/api/v1/users/%E0%A4%A')).toBe('https://acme.okta.com/api/v1/users/%E0%A4%A');
  });
});

describe('DPoP proofs', () => {
  it('pins header and claims (API call: ath and nonce) and verifies with the embedded public key', async () => {
    const { key } = await generateDpopKey();
    const proof = await createDpopProof({
      key,
      method: 'get',
      url: 'https://acme.okta.com/api/v1/users/a%40b.com?x=1',
      now: NOW,
      accessToken: 'the-access-token',
      nonce: 'n-123',
      jti: 'proof-jti',
    });
    const header = decodeSegment(proof, 0);
    expect(header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: key.publicJwk.x, y: key.publicJwk.y } });
    expect(header.jwk).not.toHaveProperty('d');
    expect(decodeSegment(proof, 1)).toEqual({
      htm: 'GET',
      htu: 'https://acme.okta.com/api/v1/users/a@b.com',
      ath: createHash('sha256').update('the-access-token').digest('base64url'),
      nonce: 'n-123',
      iat: IAT,
      jti: 'proof-jti',
    });
    const { protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'], currentDate: new Date(NOW) });
    expect(await calculateJwkThumbprint(protectedHeader.jwk!)).toBe(key.jkt);
  });

  it('token endpoint proofs have no ath, and no nonce until one is known; jti is fresh each time', async () => {
    const { key } = await generateDpopKey();
    const a = await createDpopProof({ key, method: 'POST', url: 'https://acme.okta.com/oauth2/v1/token', now: NOW });
    const b = await createDpopProof({ key, method: 'POST', url: 'https://acme.okta.com/oauth2/v1/token', now: NOW });
    const pa = decodeSegment(a, 1);
    expect(Object.keys(pa).sort()).toEqual(['htm', 'htu', 'iat', 'jti']);
    expect(pa.jti).not.toBe(decodeSegment(b, 1).jti);
  });

  it('ath is base64url(SHA-256(token))', () => {
    expect(accessTokenHash('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});

describe('DPoP key in the StateStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-soar-dpop-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('is created once, stored as a private JWK with mode 0600, and the same key is loaded by another store instance', async () => {
    const a = await loadOrCreateDpopKey(new FileStore(dir));
    const b = await loadOrCreateDpopKey(new FileStore(dir));
    expect(b.jkt).toBe(a.jkt);
    const file = path.join(dir, DPOP_KEY_STATE);
    const stored = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(Object.keys(stored).sort()).toEqual(['crv', 'd', 'kty', 'x', 'y']);
    if (process.platform !== 'win32') expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('concurrent first uses agree on one key', async () => {
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateDpopKey(new FileStore(dir))));
    expect(new Set(keys.map((k) => k.jkt)).size).toBe(1);
  });

  it('replaces an unreadable key and says so (without key material)', async () => {
    const state = new MemoryStore();
    await state.set(DPOP_KEY_STATE, '{broken');
    const warnings: string[] = [];
    const k = await loadOrCreateDpopKey(state, (w) => warnings.push(w));
    expect(k.jkt).toBeTruthy();
    expect(warnings).toEqual([expect.stringMatching(/DPoP key in memory was unreadable; created a new one/)]);
  });

  it('nonces are kept per server part (token endpoint vs API) and survive a new process', async () => {
    const a = new NonceBook(new FileStore(dir), 'https://acme.okta.com');
    await a.set('token', 'tok-nonce', NOW);
    await a.set('api', 'api-nonce', NOW);
    const b = new NonceBook(new FileStore(dir), 'https://acme.okta.com');
    expect(await b.get('token')).toBe('tok-nonce');
    expect(await b.get('api')).toBe('api-nonce');
    expect(await new NonceBook(new FileStore(dir), 'https://other.okta.com').get('token')).toBeUndefined();
    expect(nonceStateKey('https://acme.okta.com', 'token')).toMatch(/^dpop-nonce-[0-9a-f]{32}$/);
    expect(nonceStateKey('https://acme.okta.com', 'token')).not.toBe(nonceStateKey('https://acme.okta.com', 'api'));
  });
});
