/** Helpers for the analyst sign-in tests: authorize URLs with PKCE, token requests, DPoP proofs. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { signInOverHttp, type Sandbox, type SignInResult } from '../../sandbox/index.js';
import type { Json } from './helpers.js';

/** The scopes `okta-soar login` asks for: OpenID, a refresh token, and the setup guide's Okta scopes. */
export const LOGIN_SCOPES = 'openid profile offline_access okta.users.read okta.users.manage okta.logs.read okta.groups.manage okta.apps.read okta.apps.manage';

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeInput {
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  state?: string | null;
  pkce?: Pkce | null;
  extra?: Record<string, string>;
}

/** An /oauth2/v1/authorize URL for the Native app (unless told otherwise), with S256 PKCE and a state. */
export function authorizeUrl(sb: Sandbox, i: AuthorizeInput = {}): { url: string; pkce: Pkce | null; state: string | null } {
  const p = i.pkce === undefined ? pkce() : i.pkce;
  const state = i.state === undefined ? `st-${randomBytes(6).toString('hex')}` : i.state;
  const q = new URLSearchParams({
    client_id: i.clientId ?? sb.oidc.nativeClientId,
    response_type: 'code',
    scope: i.scope ?? LOGIN_SCOPES,
    redirect_uri: i.redirectUri ?? sb.oidc.redirectUri,
    ...(state !== null ? { state } : {}),
    ...(p ? { code_challenge: p.challenge, code_challenge_method: 'S256' } : {}),
    ...i.extra,
  });
  return { url: `${sb.url}/oauth2/v1/authorize?${q}`, pkce: p, state };
}

export interface TokenReply {
  status: number;
  body: Json;
  headers: Headers;
}

export async function tokenRequest(sb: Sandbox, form: Record<string, string>, headers: Record<string, string> = {}, path = '/oauth2/v1/token'): Promise<TokenReply> {
  const res = await fetch(`${sb.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Signs a user in (HTTP, the sign-in form) and returns the code, the verifier and the state. */
export async function signIn(
  sb: Sandbox,
  login: string,
  i: AuthorizeInput = {},
): Promise<{ result: SignInResult; pkce: Pkce | null; state: string | null; redirectUri: string; clientId: string }> {
  const a = authorizeUrl(sb, i);
  const password = sb.oidc.passwordOf(login) ?? '';
  const result = await signInOverHttp(a.url, { username: login, password });
  return { result, pkce: a.pkce, state: a.state, redirectUri: i.redirectUri ?? sb.oidc.redirectUri, clientId: i.clientId ?? sb.oidc.nativeClientId };
}

/** Signs in and exchanges the code: the token response of a fresh sign-in. */
export async function login(sb: Sandbox, user: string, i: AuthorizeInput & { web?: boolean; headers?: Record<string, string> } = {}): Promise<TokenReply> {
  const clientId = i.web ? sb.oidc.webClientId : (i.clientId ?? sb.oidc.nativeClientId);
  const s = await signIn(sb, user, { ...i, clientId });
  if (!s.result.code) throw new Error(`sign-in of ${user} failed: ${JSON.stringify(s.result)}`);
  return tokenRequest(
    sb,
    {
      grant_type: 'authorization_code',
      code: s.result.code,
      redirect_uri: s.redirectUri,
      client_id: clientId,
      ...(s.pkce ? { code_verifier: s.pkce.verifier } : {}),
      ...(i.web ? { client_secret: sb.oidc.webClientSecret } : {}),
    },
    i.headers,
  );
}

export function refresh(sb: Sandbox, refreshToken: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<TokenReply> {
  return tokenRequest(sb, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: sb.oidc.nativeClientId, ...extra }, headers);
}

/** A DPoP key and a proof maker (RFC 9449); proofs are issued at `now` (the sandbox's clock). */
export async function dpopKey(now: () => number = Date.now): Promise<{ jwk: JWK; jkt: string; proof: (method: string, url: string, o?: { nonce?: string; accessToken?: string }) => Promise<string> }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(jwk);
  return {
    jwk,
    jkt,
    proof: (method, url, o = {}) =>
      new SignJWT({
        htm: method,
        htu: url,
        ...(o.nonce ? { nonce: o.nonce } : {}),
        ...(o.accessToken ? { ath: createHash('sha256').update(o.accessToken).digest('base64url') } : {}),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt(Math.floor(now() / 1000))
        .setJti(randomUUID())
        .sign(privateKey as CryptoKey),
  };
}

/** A manual clock for a sandbox (epoch ms). */
export function manualClock(start = Date.parse('2031-03-04T05:06:07Z')): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms), set: (ms) => void (t = ms) };
}
