/**
 * private_key_jwt client assertions for Okta's org authorization server (RFC 7523 §3, Okta's
 * service-app guide): `aud` is exactly the token URL, `iss` = `sub` = client id, `exp` a few
 * minutes ahead (Okta refuses more than one hour), and a fresh `jti` for every token request,
 * the DPoP nonce retry included (Okta consumes the jti even when it answers use_dpop_nonce).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './keys.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Default lifetime: 5 minutes, what Okta's own SDKs use. */
export const ASSERTION_LIFETIME_SECONDS = 300;
/** Okta's ceiling (client_assertion_expires_too_far_in_future). */
export const MAX_ASSERTION_LIFETIME_SECONDS = 3600;

export interface ClientAssertionOptions {
  key: SigningKey;
  clientId: string;
  /** `${origin}/oauth2/v1/token`, exactly the URL the assertion is sent to. */
  tokenUrl: string;
  /** Epoch milliseconds (the injected clock). */
  now: number;
  lifetimeSeconds?: number;
  /** Tests only: a fixed jti. */
  jti?: string;
}

export function tokenEndpoint(origin: string): string {
  return `${origin}/oauth2/v1/token`;
}

export async function createClientAssertion(opts: ClientAssertionOptions): Promise<string> {
  const lifetime = Math.min(Math.max(1, Math.floor(opts.lifetimeSeconds ?? ASSERTION_LIFETIME_SECONDS)), MAX_ASSERTION_LIFETIME_SECONDS);
  const iat = Math.floor(opts.now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: opts.key.alg, ...(opts.key.kid ? { kid: opts.key.kid } : {}) })
    .setIssuer(opts.clientId)
    .setSubject(opts.clientId)
    .setAudience(opts.tokenUrl)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime)
    .setJti(opts.jti ?? randomUUID())
    .sign(opts.key.key);
}
