/**
 * Presenting an access token to Okta's API, and reading what a refusal says about it: the part a
 * service app's token (oauth.ts) and an analyst's (user.ts) share. Each provider decides what to
 * do with an invalid token (mint anew, or refresh the sign-in).
 */
import type { HttpMethod, WireResponse } from '../types.js';
import { createDpopProof, plausibleNonce, type DpopKey, type NonceBook } from './dpop.js';

/** A response header by name, whatever its case. */
export function headerOf(res: WireResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(res.headers ?? {})) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** `error` and `error_description` of a WWW-Authenticate challenge (Bearer or DPoP). */
export function parseWwwAuthenticate(value: string | undefined): { scheme?: string; error?: string; errorDescription?: string } {
  if (!value) return {};
  const scheme = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)/.exec(value)?.[1];
  const param = (name: string) => {
    const m = new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,]+))`, 'i').exec(value);
    if (!m) return undefined;
    return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
  };
  const out: { scheme?: string; error?: string; errorDescription?: string } = {};
  if (scheme) out.scheme = scheme;
  const error = param('error');
  if (error) out.error = error;
  const desc = param('error_description');
  if (desc) out.errorDescription = desc;
  return out;
}

export interface PresentedToken {
  token_type: string;
  access_token: string;
}

/** Bearer, or DPoP with a fresh proof carrying the API nonce Okta last gave. `secret` registers the proof for redaction. */
export async function tokenHeaders(
  token: PresentedToken,
  req: { method: HttpMethod; url: string; now: number },
  dpop: { key: () => Promise<DpopKey>; nonces: NonceBook; secret: (s: string) => void },
): Promise<Record<string, string>> {
  if (token.token_type !== 'DPoP') return { Authorization: `Bearer ${token.access_token}` };
  const key = await dpop.key();
  const nonce = await dpop.nonces.get('api');
  const proof = await createDpopProof({ key, method: req.method, url: req.url, now: req.now, accessToken: token.access_token, ...(nonce ? { nonce } : {}) });
  dpop.secret(proof);
  return { Authorization: `DPoP ${token.access_token}`, DPoP: proof };
}

/** Keeps a DPoP nonce handed out with any answer (RFC 9449 §8.2), when the token in use is DPoP-bound. */
export async function keepNonce(res: WireResponse, nonces: NonceBook, now: number, dpopBound: boolean): Promise<void> {
  const nonce = headerOf(res, 'dpop-nonce');
  if (plausibleNonce(nonce) && dpopBound) await nonces.set('api', nonce, now);
}

export type Refusal = ReturnType<typeof parseWwwAuthenticate> & {
  /** Okta asked for a DPoP nonce and gave one (kept): send again. */
  retryWithNonce?: boolean;
  /** Okta asked for a nonce without a usable one: give up. */
  badNonce?: boolean;
  /** The access token itself was refused (401 invalid_token, or Okta's E0000011). */
  invalidToken?: boolean;
};

/** What an API answer that refused the request says about the token; keeps any DPoP nonce it carries. */
export async function readRefusal(res: WireResponse, nonces: NonceBook, now: number, dpopBound: boolean): Promise<Refusal> {
  const challenge = parseWwwAuthenticate(headerOf(res, 'www-authenticate'));
  const nonce = headerOf(res, 'dpop-nonce');
  if (challenge.error === 'use_dpop_nonce') {
    if (!plausibleNonce(nonce)) return { ...challenge, badNonce: true };
    await nonces.set('api', nonce, now);
    return { ...challenge, retryWithNonce: true };
  }
  await keepNonce(res, nonces, now, dpopBound);
  let errorCode: unknown;
  try {
    errorCode = (JSON.parse(res.body) as { errorCode?: unknown } | null)?.errorCode;
  } catch {
    errorCode = undefined;
  }
  return { ...challenge, invalidToken: res.status === 401 && (challenge.error === 'invalid_token' || errorCode === 'E0000011') };
}
