/**
 * The org authorization server's endpoints an analyst's sign-in uses (contract §7): authorize
 * (the URL the browser opens, S256 PKCE, a fresh state), token (authorization_code,
 * refresh_token and device_code grants), revoke and device/authorize. Requests go through the
 * same Transport as API calls (proxy, TLS). DPoP proofs come from the sign-in's own key, with the
 * server's nonce (use_dpop_nonce is answered once or twice); dpop=auto switches to DPoP when the
 * app says it requires it.
 *
 * Nothing here writes a token, code, verifier or secret into a message: Okta's
 * error_description is scrubbed of what was sent before it is quoted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { AuthError, NetworkError, SoarError } from '../../base/errors.js';
import type { StateStore } from '../../state/store.js';
import type { Clock } from '../../base/clock.js';
import type { Transport, WireResponse } from '../types.js';
import { NonceBook, createDpopProof, generateDpopKey, parseStoredDpopKey, plausibleNonce, type DpopKey } from './dpop.js';
import type { DpopMode } from './oauth.js';
import type { SignInRecord } from './user-signin.js';

/** Scopes every sign-in asks for besides the Okta API scopes: the ID token names the analyst, the refresh token keeps the sign-in. */
export const SIGN_IN_SCOPES = ['openid', 'profile', 'offline_access'] as const;

export interface UserEndpointOptions {
  origin: string;
  clientId: string;
  /** A Web app's client secret (client_secret_post); a Native app has none. */
  clientSecret?: string;
  transport: Transport;
  clock: Clock;
  /** For the DPoP nonces (shared with the service app's: one server). */
  state: StateStore;
  dpop: DpopMode;
  timeoutMs?: number;
  userAgent?: string;
  /** Told every secret value made or received (tokens, proofs, codes, verifiers). */
  onSecret?: (value: string) => void;
}

/** A refusal from the org authorization server (or an answer we cannot use). */
export class SignInError extends AuthError {
  constructor(
    message: string,
    oauthError?: string,
    status?: number,
  ) {
    super(message, oauthError, status);
    this.name = 'AuthError';
  }
}

export interface TokenAnswer {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
  /** When the request was sent (epoch ms): lifetimes count from there. */
  requestedAt: number;
  /** The DPoP key the tokens are bound to (stored JWK text), when they are. */
  dpopKey?: { key: DpopKey; stored: string };
}

export interface AuthorizeRequest {
  url: string;
  state: string;
  verifier: string;
  scopes: string[];
}

function b64url(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** The authorize URL (response_type=code, S256 PKCE, a fresh state of letters, digits, - and _). */
export function authorizeRequest(origin: string, clientId: string, redirectUri: string, oktaScopes: readonly string[]): AuthorizeRequest {
  const verifier = b64url(48);
  const state = b64url(24);
  const scopes = [...new Set([...SIGN_IN_SCOPES, ...oktaScopes])];
  const q = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    response_mode: 'query',
    redirect_uri: redirectUri,
    scope: scopes.join(' '),
    state,
    code_challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url'),
    code_challenge_method: 'S256',
  });
  return { url: `${origin}/oauth2/v1/authorize?${q.toString()}`, state, verifier, scopes };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function headerOf(res: WireResponse, name: string): string | undefined {
  for (const [k, v] of Object.entries(res.headers ?? {})) if (k.toLowerCase() === name) return v;
  return undefined;
}

const MAX_NONCE_RETRIES = 2;

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval: number;
}

export class UserEndpoints {
  readonly tokenUrl: string;
  private readonly nonces: NonceBook;

  constructor(private readonly o: UserEndpointOptions) {
    this.tokenUrl = `${o.origin}/oauth2/v1/token`;
    this.nonces = new NonceBook(o.state, o.origin);
  }

  private secret(v: string | undefined): void {
    if (!v) return;
    try {
      this.o.onSecret?.(v);
    } catch {
      /* a redaction hook must not break sign-in */
    }
  }

  private clientFields(): Record<string, string> {
    return { client_id: this.o.clientId, ...(this.o.clientSecret ? { client_secret: this.o.clientSecret } : {}) };
  }

  /** POSTs a form; answers use_dpop_nonce; returns the last answer and the key used (if any). */
  private async post(
    path: string,
    fields: Record<string, string>,
    dpop: { key: DpopKey } | undefined,
  ): Promise<{ res: WireResponse; body: Record<string, unknown> | undefined; requestedAt: number }> {
    const url = `${this.o.origin}${path}`;
    const sent = Object.values(fields);
    for (let attempt = 0; ; attempt++) {
      const now = this.o.clock.now();
      const headers: Record<string, string> = {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
        ...(this.o.userAgent ? { 'User-Agent': this.o.userAgent } : {}),
      };
      if (dpop) {
        const nonce = await this.nonces.get('token');
        const proof = await createDpopProof({ key: dpop.key, method: 'POST', url, now, ...(nonce ? { nonce } : {}) });
        this.secret(proof);
        headers.DPoP = proof;
      }
      let res: WireResponse;
      try {
        res = await this.o.transport({ method: 'POST', url, headers, data: new URLSearchParams(fields).toString(), timeoutMs: this.o.timeoutMs ?? 30_000 });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException)?.code;
        const msg = e instanceof Error ? scrub(e.message, sent) : 'request failed';
        if (e instanceof SoarError) {
          e.message = scrub(e.message, sent);
          throw e;
        }
        throw new NetworkError(`request to ${url} failed: ${msg}`, typeof code === 'string' ? code : undefined);
      }
      const body = parseJson(res.body) as Record<string, unknown> | undefined;
      const nonce = headerOf(res, 'dpop-nonce');
      if (dpop && plausibleNonce(nonce)) await this.nonces.set('token', nonce, now);
      if (dpop && res.status === 400 && body?.error === 'use_dpop_nonce' && plausibleNonce(nonce) && attempt < MAX_NONCE_RETRIES) continue;
      return { res, body, requestedAt: now };
    }
  }

  /**
   * A token request of a user grant. `key`: the sign-in's DPoP key (a refresh must use the key
   * its refresh token is bound to); without one, dpop=true makes a new key and dpop=auto makes one
   * only when the app says DPoP is required.
   */
  async token(fields: Record<string, string>, key: { key: DpopKey; stored: string } | undefined, what: 'code' | 'refresh' | 'device'): Promise<TokenAnswer | { pending: string; interval?: number }> {
    let dkey = key ?? (this.o.dpop === 'true' ? await generateDpopKey() : undefined);
    const all = { grant_type: '', ...fields, ...this.clientFields() };
    for (let switched = false; ; switched = true) {
      const { res, body, requestedAt } = await this.post('/oauth2/v1/token', all, dkey);
      if (res.status >= 200 && res.status < 300) return this.tokenAnswer(res, body, requestedAt, dkey);
      const error = typeof body?.error === 'string' ? body.error : undefined;
      const description = typeof body?.error_description === 'string' ? scrub(body.error_description, Object.values(all)).slice(0, 400) : undefined;
      if (what === 'device' && (error === 'authorization_pending' || error === 'slow_down')) return { pending: error };
      if (!dkey && !switched && this.o.dpop === 'auto' && error === 'invalid_dpop_proof' && /missing/i.test(description ?? '')) {
        dkey = await generateDpopKey();
        continue;
      }
      throw this.tokenError(res, error, description, what);
    }
  }

  private tokenAnswer(res: WireResponse, body: Record<string, unknown> | undefined, requestedAt: number, dkey: { key: DpopKey; stored: string } | undefined): TokenAnswer {
    const bad = (why: string) => new SignInError(`Okta's token endpoint ${this.tokenUrl} answered HTTP ${res.status} but ${why}; is url the Okta org?`, undefined, res.status);
    if (!body || typeof body !== 'object') throw bad('the body is not a JSON token response');
    const at = body.access_token;
    if (typeof at !== 'string' || !/^[\x21-\x7e]+$/.test(at)) throw bad('without a usable access_token');
    this.secret(at);
    const rt = typeof body.refresh_token === 'string' && body.refresh_token ? body.refresh_token : undefined;
    this.secret(rt);
    const idt = typeof body.id_token === 'string' && body.id_token ? body.id_token : undefined;
    this.secret(idt);
    const rawType = typeof body.token_type === 'string' ? body.token_type.toLowerCase() : '';
    if (rawType !== 'bearer' && rawType !== 'dpop') throw bad('with an unknown token_type');
    const tokenType = rawType === 'dpop' ? 'DPoP' : 'Bearer';
    if (tokenType === 'DPoP' && !dkey) throw bad('issued a DPoP-bound token to a request without a DPoP proof');
    const expiresIn = Number(body.expires_in) > 0 ? Number(body.expires_in) : 3600;
    return {
      access_token: at,
      token_type: tokenType,
      expires_in: expiresIn,
      scope: typeof body.scope === 'string' ? body.scope : '',
      ...(rt ? { refresh_token: rt } : {}),
      ...(idt ? { id_token: idt } : {}),
      requestedAt,
      ...(tokenType === 'DPoP' && dkey ? { dpopKey: dkey } : {}),
    };
  }

  private tokenError(res: WireResponse, error: string | undefined, description: string | undefined, what: 'code' | 'refresh' | 'device'): SignInError {
    let head = `Okta's token endpoint ${this.tokenUrl} refused the ${what === 'code' ? 'sign-in code' : what === 'refresh' ? "stored sign-in's refresh token" : 'device sign-in'} (HTTP ${res.status}${error ? ` ${error}` : ''})`;
    if (description) head += `: ${description.replace(/\.$/, '')}`;
    head += '.';
    let advice: string;
    switch (error) {
      case 'invalid_grant':
        advice =
          what === 'refresh'
            ? 'The sign-in has ended: its refresh token expired or was revoked (a logout, an admin, or a rotated refresh token used twice), or the analyst was suspended or unassigned. Sign in again: run `okta-soar login`.'
            : what === 'code'
              ? 'A sign-in code lives 300 s and works once: run `okta-soar login` again.'
              : 'Run `okta-soar login --device` again.';
        break;
      case 'invalid_client':
        advice = `Check that client_id (${this.o.clientId}) is the Client ID of the analysts' OIDC app; a Web app needs its client secret in OKTA_CLIENT_SECRET, a Native app none.`;
        break;
      case 'unauthorized_client':
        advice = `The app must allow this grant: in Okta, the OIDC app's General Settings → Grant type: Authorization Code and Refresh Token${what === 'device' ? ', and Device Authorization (Native apps only)' : ''}.`;
        break;
      case 'access_denied':
        advice = 'Okta denied it: the analyst may no longer be assigned to the app, or a policy blocks it.';
        break;
      case 'expired_token':
        advice = 'The device code expired before the sign-in was approved: run `okta-soar login --device` again.';
        break;
      case 'invalid_dpop_proof':
        advice = "Okta refused the DPoP proof: if it mentions iat, check this machine's clock; otherwise run `okta-soar login` again.";
        break;
      case 'invalid_scope':
        advice = 'Set scopes (OKTA_SCOPES) to Okta API scopes granted to the app (its Okta API Scopes tab).';
        break;
      default:
        advice = res.status >= 500 ? "This is a problem on Okta's side (or a proxy in between); try again later." : 'Check the OIDC app in Okta (grant types, redirect URI, assignment).';
    }
    return new SignInError(`${head} ${advice}`, error, res.status);
  }

  /** Revokes a token at /oauth2/v1/revoke (Okta answers 200 even for an unknown token). */
  async revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<void> {
    const { res, body } = await this.post('/oauth2/v1/revoke', { token, token_type_hint: hint, ...this.clientFields() }, undefined);
    if (res.status >= 200 && res.status < 300) return;
    const error = typeof body?.error === 'string' ? body.error : undefined;
    const description = typeof body?.error_description === 'string' ? scrub(body.error_description, [token, this.o.clientSecret]).slice(0, 300) : undefined;
    throw new SignInError(`Okta's revoke endpoint answered HTTP ${res.status}${error ? ` ${error}` : ''}${description ? `: ${description}` : ''}`, error, res.status);
  }

  /**
   * Polls the token endpoint until the device sign-in is approved (RFC 8628 §3.4–3.5): waits
   * `interval` seconds before each poll, adds 5 s for this and every later poll on slow_down,
   * gives up when the device code expires.
   */
  async pollDevice(d: DeviceAuthorization, key: { key: DpopKey; stored: string } | undefined): Promise<TokenAnswer> {
    const deadline = this.o.clock.now() + d.expires_in * 1000;
    let interval = d.interval;
    for (;;) {
      await this.o.clock.sleep(interval * 1000);
      if (this.o.clock.now() > deadline) throw new SignInError(`the device sign-in was not approved within ${d.expires_in} s: run \`okta-soar login --device\` again`, 'expired_token');
      const answer = await this.token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: d.device_code }, key, 'device');
      if (!('pending' in answer)) return answer;
      if (answer.pending === 'slow_down') interval += 5;
    }
  }

  /** Starts the device authorization grant (Native apps). */
  async deviceAuthorize(scopes: readonly string[]): Promise<DeviceAuthorization> {
    const { res, body } = await this.post('/oauth2/v1/device/authorize', { client_id: this.o.clientId, scope: scopes.join(' ') }, undefined);
    if (res.status < 200 || res.status >= 300 || !body) {
      const error = typeof body?.error === 'string' ? body.error : undefined;
      const description = typeof body?.error_description === 'string' ? body.error_description.slice(0, 300) : undefined;
      const hint = error === 'invalid_client' || error === 'unauthorized_client' ? ' The device flow works for Native apps with the Device Authorization grant type enabled.' : '';
      throw new SignInError(`Okta's device authorization endpoint answered HTTP ${res.status}${error ? ` ${error}` : ''}${description ? `: ${description}` : ''}.${hint}`, error, res.status);
    }
    const dc = body.device_code;
    const uc = body.user_code;
    const vu = body.verification_uri;
    if (typeof dc !== 'string' || typeof uc !== 'string' || typeof vu !== 'string') throw new SignInError("Okta's device authorization answer lacks device_code, user_code or verification_uri");
    this.secret(dc);
    return {
      device_code: dc,
      user_code: uc,
      verification_uri: vu,
      ...(typeof body.verification_uri_complete === 'string' ? { verification_uri_complete: body.verification_uri_complete } : {}),
      expires_in: Number(body.expires_in) > 0 ? Number(body.expires_in) : 600,
      interval: Number(body.interval) > 0 ? Number(body.interval) : 5,
    };
  }
}

/** Replaces each secret sent with [REDACTED] (an answer may echo what it was sent). */
export function scrub(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 8 && out.includes(s)) out = out.split(s).join('[REDACTED]');
  return out;
}

/**
 * Who signed in, from the ID token. It came straight from the token endpoint over TLS (or
 * loopback), so its signature need not be checked (OpenID Connect Core §3.1.3.7); its issuer and
 * audience are.
 */
export function identityOf(idToken: string | undefined, origin: string, clientId: string): { user?: string; userId?: string } {
  if (!idToken) return {};
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(idToken);
  } catch {
    throw new SignInError("Okta's ID token could not be read; is url the Okta org?");
  }
  const aud = claims.aud;
  const audOk = aud === clientId || (Array.isArray(aud) && aud.includes(clientId));
  if (claims.iss !== origin || !audOk) throw new SignInError(`the ID token was issued by ${String(claims.iss).slice(0, 200)} for another client: expected ${origin} and ${clientId}`);
  return {
    ...(typeof claims.preferred_username === 'string' ? { user: claims.preferred_username } : {}),
    ...(typeof claims.sub === 'string' ? { userId: claims.sub } : {}),
  };
}

/** A stored sign-in from a token answer (a new sign-in, or a refresh of `prev`). */
export function recordFrom(t: TokenAnswer, base: { origin: string; clientId: string; user: string; userId?: string; signedInAt: number }, prev?: SignInRecord): SignInRecord {
  const key = t.dpopKey?.stored ?? prev?.dpop_key;
  const jkt = t.dpopKey?.key.jkt ?? prev?.jkt;
  return {
    v: 1,
    origin: base.origin,
    clientId: base.clientId,
    user: base.user,
    ...(base.userId ? { userId: base.userId } : {}),
    access_token: t.access_token,
    token_type: t.token_type,
    // Rotation off: Okta keeps the refresh token and sends none back.
    ...((t.refresh_token ?? prev?.refresh_token) ? { refresh_token: t.refresh_token ?? prev?.refresh_token } : {}),
    expires_at: t.requestedAt + t.expires_in * 1000,
    obtained_at: t.requestedAt,
    scope: t.scope || prev?.scope || '',
    ...(t.token_type === 'DPoP' && key ? { dpop_key: key, ...(jkt ? { jkt } : {}) } : {}),
    signed_in_at: base.signedInAt,
  };
}

/** The stored DPoP key of a sign-in. */
export async function signInDpopKey(rec: SignInRecord): Promise<{ key: DpopKey; stored: string } | undefined> {
  if (!rec.dpop_key) return undefined;
  const key = await parseStoredDpopKey(rec.dpop_key);
  if (!key) throw new SignInError('the DPoP key of the stored sign-in is unreadable: run `okta-soar login` again');
  return { key, stored: rec.dpop_key };
}
