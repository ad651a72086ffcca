/**
 * DPoP (RFC 9449) for Okta: one EC P-256 key pair per state store, proofs per request, nonces.
 *
 * The key lives in the StateStore (key `dpop-key`, private JWK JSON) rather than in memory,
 * because a DPoP-bound token is only usable with the key it is bound to (`cnf.jkt`): processes
 * sharing a token cache must share the key too. It is separate from the client's signing key
 * (RFC 9449 allows any key; a dedicated one can be rotated with `okta-auth-reset` without
 * touching the app's registered JWKS).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { StateStore } from '../../state/store.js';

export const DPOP_KEY_STATE = 'dpop-key';
export const DPOP_ALG = 'ES256';

export interface DpopKey {
  readonly privateKey: KeyObject;
  /** kty, crv, x, y only: what goes into the proof header. */
  readonly publicJwk: JWK;
  /** RFC 7638 thumbprint of the public JWK: the token's `cnf.jkt`. */
  readonly jkt: string;
  readonly alg: typeof DPOP_ALG;
}

async function fromPrivateJwk(jwk: Record<string, unknown>): Promise<DpopKey> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') throw new Error('not an EC P-256 private JWK');
  const { kty, crv, x, y, d } = jwk;
  const privateKey = createPrivateKey({ key: { kty, crv, x, y, d } as never, format: 'jwk' });
  const full = await exportJWK(createPublicKey(privateKey));
  const publicJwk: JWK = { kty: full.kty!, crv: full.crv!, x: full.x!, y: full.y! };
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256'), alg: DPOP_ALG };
}

/** A new DPoP key and the text to store for it. */
export async function generateDpopKey(): Promise<{ key: DpopKey; stored: string }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const key = await fromPrivateJwk(jwk);
  return { key, stored: JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }) };
}

/** Parses a stored DPoP key; undefined when absent or unusable. */
export async function parseStoredDpopKey(text: string | undefined): Promise<DpopKey | undefined> {
  if (!text) return undefined;
  try {
    return await fromPrivateJwk(JSON.parse(text) as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/**
 * The store's DPoP key, created on first use. Creation happens under a lock so that two
 * processes starting together agree on one key.
 */
export async function loadOrCreateDpopKey(state: StateStore, warn?: (line: string) => void): Promise<DpopKey> {
  const existing = await parseStoredDpopKey(await state.get(DPOP_KEY_STATE));
  if (existing) return existing;
  return state.withLock(DPOP_KEY_STATE, async () => {
    const raw = await state.get(DPOP_KEY_STATE);
    const again = await parseStoredDpopKey(raw);
    if (again) return again;
    if (raw !== undefined) warn?.(`the DPoP key in ${state.location} was unreadable; created a new one (tokens bound to the old key will be re-minted)`);
    const { key, stored } = await generateDpopKey();
    await state.set(DPOP_KEY_STATE, stored);
    return key;
  });
}

/**
 * `htu` for a request URL: origin + path, no query or fragment. The path is percent-DECODED,
 * because Okta compares `htu` with the decoded request path (a login with `@` sent as `%40`
 * otherwise fails: okta-sdk-nodejs #521, okta-sdk-python #541). A malformed escape is left as is.
 */
export function dpopHtu(url: string): string {
  const u = new URL(url);
  let path = u.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    /* keep the raw path */
  }
  return u.origin + path;
}

/** `ath`: base64url(SHA-256(ASCII access token)). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

export interface DpopProofOptions {
  key: DpopKey;
  method: string;
  /** The exact URL the request goes to. */
  url: string;
  /** Epoch milliseconds. */
  now: number;
  /** Set on resource requests: adds `ath`. */
  accessToken?: string;
  nonce?: string;
  /** Tests only. */
  jti?: string;
}

export async function createDpopProof(opts: DpopProofOptions): Promise<string> {
  const claims: Record<string, string> = { htm: opts.method.toUpperCase(), htu: dpopHtu(opts.url) };
  if (opts.accessToken !== undefined) claims.ath = accessTokenHash(opts.accessToken);
  if (opts.nonce) claims.nonce = opts.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: opts.key.alg, jwk: opts.key.publicJwk })
    .setIssuedAt(Math.floor(opts.now / 1000))
    .setJti(opts.jti ?? randomUUID())
    .sign(opts.key.privateKey);
}

export type NonceTarget = 'token' | 'api';

/** State key for the nonce a server gave us: one for the token endpoint, one for the API. */
export function nonceStateKey(origin: string, target: NonceTarget): string {
  return `dpop-nonce-${createHash('sha256').update(`${origin}\n${target}`).digest('hex').slice(0, 32)}`;
}

/**
 * DPoP nonces, kept in the store so a new process does not pay the use_dpop_nonce round trip
 * again (Okta rotates its nonce daily and accepts an old one for three days).
 */
export class NonceBook {
  private mem = new Map<NonceTarget, string | null>();
  constructor(
    private readonly state: StateStore,
    private readonly origin: string,
  ) {}

  async get(target: NonceTarget): Promise<string | undefined> {
    if (!this.mem.has(target)) {
      let nonce: string | null = null;
      try {
        const raw = await this.state.get(nonceStateKey(this.origin, target));
        const parsed = raw ? (JSON.parse(raw) as { nonce?: unknown }) : undefined;
        if (parsed && typeof parsed.nonce === 'string') nonce = parsed.nonce;
      } catch {
        nonce = null;
      }
      this.mem.set(target, nonce);
    }
    return this.mem.get(target) ?? undefined;
  }

  async set(target: NonceTarget, nonce: string, now: number): Promise<void> {
    if (this.mem.get(target) === nonce) return;
    this.mem.set(target, nonce);
    await this.state.set(nonceStateKey(this.origin, target), JSON.stringify({ nonce, saved_at: new Date(now).toISOString() }));
  }

  forget(): void {
    this.mem.clear();
  }
}

/** A nonce value we are willing to echo (RFC 9449: NQCHAR, 1*). */
export function plausibleNonce(value: string | undefined): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 1024 && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(value);
}
