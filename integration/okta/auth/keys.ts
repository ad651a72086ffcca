/**
 * The service app's private key: PEM (PKCS#8, PKCS#1, SEC1) or JWK JSON text, turned into a
 * node:crypto KeyObject plus the JWS algorithm that fits it.
 *
 * Everything goes through `createPrivateKey` first: jose's importPKCS8 only reads PKCS#8, but
 * admins paste what openssl and the Okta console give them (`BEGIN RSA PRIVATE KEY`,
 * `BEGIN EC PRIVATE KEY`, JWK). Error messages name the parameter and the problem, never any
 * part of the key text (node's own messages are not passed on either).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../../base/errors.js';

export const JWS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const;
export type JwsAlgorithm = (typeof JWS_ALGORITHMS)[number];

export interface SigningKey {
  /** The private key. Never serialise it: KeyObjects print and stringify without key material. */
  readonly key: KeyObject;
  /** The public half (for tests and for printing a JWK). */
  readonly publicKey: KeyObject;
  readonly alg: JwsAlgorithm;
  /** JWS `kid` header: `key_id` when set, else the JWK's own `kid`, else none. */
  readonly kid?: string;
  readonly keyType: 'RSA' | 'EC';
  /** e.g. "an RSA 2048-bit key", "an EC P-256 key": safe for messages. */
  readonly description: string;
}

const CURVE_ALG: Record<string, { alg: JwsAlgorithm; name: string }> = {
  prime256v1: { alg: 'ES256', name: 'P-256' },
  'P-256': { alg: 'ES256', name: 'P-256' },
  secp384r1: { alg: 'ES384', name: 'P-384' },
  'P-384': { alg: 'ES384', name: 'P-384' },
  secp521r1: { alg: 'ES512', name: 'P-521' },
  'P-521': { alg: 'ES512', name: 'P-521' },
};

/** Members of a JWK that are private key material. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function fail(message: string): never {
  throw new ConfigError(message, 'private_key');
}

/** Env vars and YAML often carry a PEM with literal `\n`; a PEM never contains a backslash. */
function normalisePem(text: string): string {
  let t = text.trim();
  if (t.includes('\\n')) t = t.replace(/\\r\\n|\\n/g, '\n');
  return t.replace(/\r\n/g, '\n');
}

function parseJwkText(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail('private_key looks like JSON but does not parse as JSON; paste the private JWK exactly as exported');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) fail('private_key JSON is not a JWK object');
  let jwk = parsed as Record<string, unknown>;
  // A JWKS with exactly one private key is accepted too (what some consoles export).
  if (Array.isArray(jwk.keys)) {
    const keys = (jwk.keys as unknown[]).filter((k) => k && typeof k === 'object' && 'd' in (k as object));
    if (keys.length !== 1) fail(`private_key is a JWK set with ${keys.length} private keys; give exactly one private JWK`);
    jwk = keys[0] as Record<string, unknown>;
  }
  if (typeof jwk.kty !== 'string') fail('private_key JWK has no "kty" member');
  if (!('d' in jwk)) fail('private_key is a public JWK (no "d" member); okta-soar needs the private key, and Okta needs only the public one');
  return jwk;
}

function loadKeyObject(text: string): { key: KeyObject; jwk?: Record<string, unknown> } {
  const t = normalisePem(text);
  if (t === '') fail('private_key is empty');
  if (t.startsWith('{')) {
    const jwk = parseJwkText(t);
    try {
      // Drop members node does not know (kid, use, alg, key_ops, x5c…) before import.
      const { kty, crv, x, y, d, n, e, p, q, dp, dq, qi } = jwk;
      const clean = Object.fromEntries(Object.entries({ kty, crv, x, y, d, n, e, p, q, dp, dq, qi }).filter(([, v]) => v !== undefined));
      return { key: createPrivateKey({ key: clean as never, format: 'jwk' }), jwk };
    } catch {
      fail(`private_key JWK (kty ${String(jwk.kty)}) could not be imported: a member is missing or malformed`);
    }
  }
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(t);
  if (!begin) fail('private_key is neither a PEM private key (a "BEGIN PRIVATE KEY" block) nor JWK JSON text');
  const label = begin[1]!;
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(t)) {
    fail('private_key is encrypted with a passphrase; decrypt it first (openssl pkcs8 -topk8 -nocrypt -in key.pem)');
  }
  if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY' || label === 'CERTIFICATE') {
    fail(`private_key is a ${label.toLowerCase()}, not a private key; okta-soar signs with the private key`);
  }
  // openssl ecparam -genkey prints an EC PARAMETERS block before the key: skip it.
  const block = /-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/.exec(t);
  if (!block) fail(`private_key PEM block "${label}" is not a supported private key (PKCS#8, PKCS#1 RSA or SEC1 EC)`);
  try {
    return { key: createPrivateKey({ key: block[0], format: 'pem' }) };
  } catch {
    fail(`private_key PEM (${block[1]}) could not be read: the base64 body is damaged or truncated`);
  }
}

function describeKey(key: KeyObject): { keyType: 'RSA' | 'EC'; description: string; fits: JwsAlgorithm[] } {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < 2048) fail(`private_key is an RSA ${bits}-bit key; Okta requires at least 2048 bits`);
    return { keyType: 'RSA', description: `an RSA ${bits}-bit key`, fits: ['RS256', 'RS384', 'RS512'] };
  }
  if (type === 'ec') {
    const curve = CURVE_ALG[details.namedCurve ?? ''];
    if (!curve) fail(`private_key is an EC key on curve ${details.namedCurve ?? 'unknown'}; Okta accepts P-256, P-384 and P-521`);
    return { keyType: 'EC', description: `an EC ${curve.name} key`, fits: [curve.alg] };
  }
  fail(`private_key is a${type === 'ed25519' || type === 'ed448' ? 'n' : ''} ${type ?? 'unknown'} key; Okta client assertions use RSA (RS256/384/512) or EC (ES256/384/512) keys`);
}

export interface LoadKeyOptions {
  /** `jwt_algorithm`: must fit the key; default follows the key. */
  algorithm?: string;
  /** `key_id`: the JWS `kid`; default is the JWK's own `kid`. */
  keyId?: string;
}

/** Reads the private key text and settles alg and kid. Throws ConfigError; never echoes the key. */
export function loadSigningKey(text: string, opts: LoadKeyOptions = {}): SigningKey {
  if (typeof text !== 'string') fail('private_key must be text (PEM or JWK JSON)');
  const { key, jwk } = loadKeyObject(text);
  const { keyType, description, fits } = describeKey(key);

  let alg: JwsAlgorithm;
  const configured = opts.algorithm?.trim();
  if (configured) {
    const upper = configured.toUpperCase();
    if (!(JWS_ALGORITHMS as readonly string[]).includes(upper)) {
      throw new ConfigError(`jwt_algorithm "${configured}" is not supported; use one of ${JWS_ALGORITHMS.join(', ')}`, 'jwt_algorithm');
    }
    if (!fits.includes(upper as JwsAlgorithm)) {
      throw new ConfigError(
        `jwt_algorithm ${upper} does not fit private_key, which is ${description}; use ${fits.join(' or ')}, or leave jwt_algorithm unset`,
        'jwt_algorithm',
      );
    }
    alg = upper as JwsAlgorithm;
  } else if (jwk && typeof jwk.alg === 'string') {
    if (!fits.includes(jwk.alg as JwsAlgorithm)) {
      fail(`private_key JWK says "alg": "${jwk.alg}", which does not fit ${description}; fix the JWK or set jwt_algorithm`);
    }
    alg = jwk.alg as JwsAlgorithm;
  } else {
    alg = fits[0]!;
  }

  let kid: string | undefined = opts.keyId?.trim() || undefined;
  if (!kid && jwk && typeof jwk.kid === 'string' && jwk.kid !== '') kid = jwk.kid;
  if (kid !== undefined && (kid.length > 256 || !/^[\x20-\x7e]+$/.test(kid))) {
    throw new ConfigError('key_id is not a plausible JWK kid (too long, or not printable ASCII)', 'key_id');
  }

  return { key, publicKey: createPublicKey(key), alg, ...(kid ? { kid } : {}), keyType, description };
}

/** True when a JWK carries private members (DPoP proofs and JWKS entries must not). */
export function hasPrivateMembers(jwk: object): boolean {
  return PRIVATE_JWK_MEMBERS.some((m) => m in jwk);
}
