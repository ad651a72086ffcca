/**
 * `okta-soar keygen`: a new key pair for an Okta API Services app. The private key stays on
 * this machine (PKCS#8 PEM, written 0600); the public JWK is what the admin pastes into the
 * app's PUBLIC KEYS. Better than the seed guides, which have admins copy a private key out of
 * a browser dialog.
 *
 * Default: EC P-256 (ES256). Okta accepts it for client assertions; the key is 32 bytes
 * instead of 256+, signing is an order of magnitude faster than RSA-2048, and it gives
 * ~128-bit security (RSA needs 3072 bits for the same). RSA stays available for orgs whose
 * tooling expects RS256; it is 2048 bits, what Okta's own console generates.
 */
import { generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { JwsAlgorithm } from './keys.js';
import { writeNewPrivateFile } from '../../state/store.js';

const generateKeyPair = promisify(generateKeyPairCb);

export type ServiceAppKeyKind = 'EC' | 'RSA';

export interface ServiceAppKey {
  /** PKCS#8 PEM. Secret: write it 0600, never print it. */
  privateKeyPem: string;
  /** Public only: kty, crv/x/y or n/e, plus kid (RFC 7638 thumbprint), use "sig", alg. */
  publicJwk: JWK & { kid: string; use: 'sig'; alg: JwsAlgorithm };
  kid: string;
  alg: JwsAlgorithm;
}

export async function generateServiceAppKey(kind: ServiceAppKeyKind = 'EC'): Promise<ServiceAppKey> {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  let alg: JwsAlgorithm;
  if (kind === 'EC') {
    ({ privateKey, publicKey } = await generateKeyPair('ec', { namedCurve: 'P-256' }));
    alg = 'ES256';
  } else if (kind === 'RSA') {
    ({ privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }));
    alg = 'RS256';
  } else {
    throw new Error(`unknown key kind "${String(kind)}": use EC or RSA`);
  }
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const publicJwk = { ...jwk, kid, use: 'sig' as const, alg };
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { privateKeyPem, publicJwk, kid, alg };
}

/**
 * Writes a private key file with mode 0600 (directory 0700), refusing to overwrite an existing
 * file: replacing a key that an app still trusts would lock the integration out.
 */
export async function writePrivateKeyFile(file: string, pem: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeNewPrivateFile(file, pem);
}
