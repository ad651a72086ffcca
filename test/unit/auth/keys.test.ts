import { generateKeyPairSync } from 'node:crypto';
import { jwtVerify } from 'jose';
import { ConfigError } from '../../../integration/base/errors.js';
import { loadSigningKey } from '../../../integration/okta/auth/keys.js';
import { createClientAssertion } from '../../../integration/okta/auth/client-assertion.js';
import { makeKey, SecretLog, type TestKey } from './helpers.js';

let ec256: TestKey, ec384: TestKey, ec521: TestKey, rsa: TestKey;

beforeAll(async () => {
  [ec256, ec384, ec521, rsa] = await Promise.all([makeKey('EC', 'P-256'), makeKey('EC', 'P-384'), makeKey('EC', 'P-521'), makeKey('RSA')]);
});

async function signsAndVerifies(text: string, k: TestKey, opts = {}) {
  const key = loadSigningKey(text, opts);
  const jwt = await createClientAssertion({ key, clientId: 'c', tokenUrl: 'https://o.example/oauth2/v1/token', now: Date.UTC(2026, 0, 1) });
  await jwtVerify(jwt, k.publicKey, { currentDate: new Date(Date.UTC(2026, 0, 1)) });
  return key;
}

describe('loadSigningKey: formats', () => {
  it('reads PKCS#8 PEM (EC and RSA)', async () => {
    expect(ec256.pkcs8).toContain('BEGIN PRIVATE KEY');
    expect((await signsAndVerifies(ec256.pkcs8, ec256)).alg).toBe('ES256');
    expect((await signsAndVerifies(rsa.pkcs8, rsa)).alg).toBe('RS256');
  });

  it('reads PKCS#1 PEM (BEGIN RSA PRIVATE KEY), which jose importPKCS8 rejects', async () => {
    expect(rsa.traditional).toContain('BEGIN RSA PRIVATE KEY');
    const key = await signsAndVerifies(rsa.traditional, rsa);
    expect(key).toMatchObject({ alg: 'RS256', keyType: 'RSA', description: 'an RSA 2048-bit key' });
  });

  it('reads SEC1 PEM (BEGIN EC PRIVATE KEY), also after an EC PARAMETERS block as openssl ecparam prints it', async () => {
    expect(ec256.traditional).toContain('BEGIN EC PRIVATE KEY');
    await signsAndVerifies(ec256.traditional, ec256);
    const withParams = `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${ec256.traditional}`;
    expect((await signsAndVerifies(withParams, ec256)).alg).toBe('ES256');
  });

  it('reads JWK JSON text and uses its kid when key_id is unset', async () => {
    const key = await signsAndVerifies(JSON.stringify(ec256.privateJwk), ec256);
    expect(key.kid).toBe(ec256.kid);
    const rsaKey = await signsAndVerifies(JSON.stringify({ ...rsa.privateJwk, use: 'sig' }), rsa);
    expect(rsaKey.kid).toBe(rsa.kid);
  });

  it('key_id overrides the JWK kid; PEM keys have no kid unless key_id is set', () => {
    expect(loadSigningKey(JSON.stringify(ec256.privateJwk), { keyId: 'configured' }).kid).toBe('configured');
    expect(loadSigningKey(ec256.pkcs8).kid).toBeUndefined();
    expect(loadSigningKey(ec256.pkcs8, { keyId: 'k1' }).kid).toBe('k1');
  });

  it('accepts a PEM with literal \\n escapes (env vars) and CRLF line ends', async () => {
    await signsAndVerifies(rsa.pkcs8.replace(/\n/g, '\\n'), rsa);
    await signsAndVerifies(ec256.traditional.replace(/\n/g, '\r\n'), ec256);
  });

  it('accepts a JWKS holding exactly one private key', async () => {
    await signsAndVerifies(JSON.stringify({ keys: [ec256.privateJwk] }), ec256);
  });
});

describe('loadSigningKey: algorithm', () => {
  it('follows the key: RSA → RS256, P-256 → ES256, P-384 → ES384, P-521 → ES512', async () => {
    expect(loadSigningKey(rsa.pkcs8).alg).toBe('RS256');
    expect(loadSigningKey(ec256.pkcs8).alg).toBe('ES256');
    expect((await signsAndVerifies(ec384.pkcs8, ec384)).alg).toBe('ES384');
    expect((await signsAndVerifies(ec521.traditional, ec521)).alg).toBe('ES512');
  });

  it('honours a configured algorithm that fits (RS384/RS512 on RSA, case-insensitive)', async () => {
    expect((await signsAndVerifies(rsa.pkcs8, rsa, { algorithm: 'rs384' })).alg).toBe('RS384');
    expect((await signsAndVerifies(rsa.pkcs8, rsa, { algorithm: 'RS512' })).alg).toBe('RS512');
  });

  it.each([
    ['ES256', () => rsa, /jwt_algorithm ES256 does not fit private_key, which is an RSA 2048-bit key; use RS256 or RS384 or RS512/],
    ['RS256', () => ec256, /jwt_algorithm RS256 does not fit private_key, which is an EC P-256 key; use ES256/],
    ['ES384', () => ec256, /which is an EC P-256 key/],
    ['ES256', () => ec521, /which is an EC P-521 key; use ES512/],
  ])('a configured %s that does not fit the key is a ConfigError naming jwt_algorithm and the key type', (alg, key, re) => {
    let err: unknown;
    try {
      loadSigningKey(key().pkcs8, { algorithm: alg });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).parameter).toBe('jwt_algorithm');
    expect((err as Error).message).toMatch(re);
  });

  it('rejects an unknown algorithm and HS256', () => {
    expect(() => loadSigningKey(rsa.pkcs8, { algorithm: 'HS256' })).toThrow(/jwt_algorithm "HS256" is not supported/);
    expect(() => loadSigningKey(rsa.pkcs8, { algorithm: 'PS256' })).toThrow(ConfigError);
  });

  it("a JWK's own alg that does not fit is an error", () => {
    expect(() => loadSigningKey(JSON.stringify({ ...ec256.privateJwk, alg: 'RS256' }))).toThrow(/does not fit an EC P-256 key/);
  });
});

describe('loadSigningKey: refusals never echo key material', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['empty', () => '   ', /private_key is empty/],
    ['garbage', () => 'not a key at all', /neither a PEM private key/],
    ['public PEM', () => ec256.publicKey.export({ type: 'spki', format: 'pem' }) as string, /is a public key, not a private key/],
    ['public JWK', () => JSON.stringify(ec256.publicJwk), /public JWK/],
    ['broken JSON', () => `{"kty":"EC","d":"${ec256.privateJwk.d}"`, /does not parse as JSON/],
    ['damaged PEM body', () => rsa.pkcs8.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!'), /could not be read/],
    ['truncated JWK', () => JSON.stringify({ ...rsa.privateJwk, n: undefined }), /could not be imported/],
    ['encrypted PEM', () => '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----', /encrypted with a passphrase/],
    ['Ed25519', () => generateEd25519(), /ed25519 key; Okta client assertions use RSA/],
    ['small RSA', () => smallRsa, /RSA 1024-bit key; Okta requires at least 2048 bits/],
  ];
  let smallRsa = '';
  beforeAll(async () => {
    smallRsa = (await makeKey('RSA', 'P-256', 1024)).pkcs8;
  });

  it.each(cases)('%s', (_name, text, re) => {
    const log = new SecretLog();
    for (const k of [ec256, rsa]) log.addKey(k);
    let err: unknown;
    try {
      loadSigningKey(text());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).parameter).toBe('private_key');
    expect((err as Error).message).toMatch(re);
    log.assertClean(err);
    expect((err as Error).message).not.toMatch(/[A-Za-z0-9+/]{40,}/);
  });

  it('a loaded key prints and serialises without key material', () => {
    const log = new SecretLog();
    log.addKey(rsa);
    const key = loadSigningKey(rsa.pkcs8);
    log.assertClean({ message: JSON.stringify(key), stack: String(key) });
  });
});

function generateEd25519(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}
