/**
 * OAuth 2.0 for Okta's Management API: client credentials with a private_key_jwt client
 * assertion at the org authorization server, optional DPoP binding, and a token cache shared
 * by every process that uses the same StateStore.
 *
 * What the official Node SDK gets wrong and we do not (reference/okta-api.md §1.3–1.4, §4):
 * token errors are never cached and reach the admin with Okta's `error_description` and what
 * to change; the token request goes through the same Transport as API calls (proxy, TLS);
 * tokens are renewed before expiry, not after a 401; one mint at a time within a process
 * and across processes; DPoP proofs use the DPoP key's own algorithm, the decoded path in
 * `htu`, and the server's nonce is kept.
 */
import { ConfigError, AuthError, NetworkError, RateLimitError, SecurityError, SoarError } from '../../base/errors.js';
import type { Clock } from '../../base/clock.js';
import type { StateStore } from '../../state/store.js';
import type { AuthProvider, HttpMethod, Transport, WireRequest, WireResponse } from '../types.js';
import { CLIENT_ASSERTION_TYPE, createClientAssertion, tokenEndpoint } from './client-assertion.js';
import { DPOP_KEY_STATE, NonceBook, createDpopProof, loadOrCreateDpopKey, plausibleNonce, type DpopKey } from './dpop.js';
import { loadSigningKey, type SigningKey } from './keys.js';
import { headerOf, keepNonce, readRefusal, tokenHeaders } from './present-token.js';

export { parseWwwAuthenticate } from './present-token.js';
import { bucketKey, clockSkew, readRateHeaders, RESET_MARGIN_MS, retryAfterMs } from '../rate-budget.js';
import { notify, rateOf, type OktaObserver } from '../observer.js';
import {
  REFRESH_MARGIN_MS,
  TokenCache,
  dpopModeKey,
  isFresh,
  mintLockName,
  tokenCacheKey,
  tokenFingerprint,
  type CachedToken,
  type TokenIdentity,
} from './token-cache.js';

export type DpopMode = 'auto' | 'true' | 'false';

export interface OAuthAuthOptions {
  /** Org origin, e.g. https://acme.okta.com (a trailing `/` is dropped). */
  origin: string;
  clientId: string;
  /** PEM (PKCS#8, PKCS#1, SEC1) or JWK JSON text, or a key loaded with loadSigningKey. */
  privateKey: string | SigningKey;
  /** `key_id`: JWS kid (default: the JWK's own kid). */
  keyId?: string;
  /** `jwt_algorithm` (default: what the key is). */
  algorithm?: string;
  scopes: readonly string[];
  /** `auto` (default): Bearer until Okta says the app requires DPoP, then DPoP. */
  dpop?: DpopMode | boolean;
  transport: Transport;
  state: StateStore;
  clock: Clock;
  /** Warnings for the user (never contain secrets). */
  warn?: (line: string) => void;
  /** Told every secret value this provider creates or loads (access tokens, assertions, proofs). */
  onSecret?: (value: string) => void;
  /** Timeout for one token request (default 30 s). */
  timeoutMs?: number;
  /**
   * `max_wait_seconds`: how long a token request may wait in all for Okta's rate limit on the
   * token endpoint (HTTP 429) to reset before it gives up with a RateLimitError (default 0: never wait).
   */
  maxWaitMs?: number;
  userAgent?: string;
  /** Renew this long before expiry (default 5 min, capped at half the token lifetime). */
  refreshMarginMs?: number;
  /** Sees each token request's answer and each token minted (metrics). */
  observer?: OktaObserver;
}

export interface OAuthDescription extends Record<string, unknown> {
  authMethod: 'oauth';
  clientId: string;
  tokenType: 'Bearer' | 'DPoP';
  grantedScopes: string[];
  requestedScopes: string[];
  dpop: DpopMode;
  algorithm: string;
  keyId?: string;
  tokenExpiresAt: string;
}

export interface OAuthAuthProvider extends AuthProvider {
  readonly kind: 'oauth';
  readonly scopes: readonly string[];
  describe(): Promise<OAuthDescription>;
  reset(opts?: { dpopKey?: boolean }): Promise<void>;
  /** Counters for tests and debug output. */
  readonly stats: { tokenRequests: number; tokensMinted: number };
}

/** A refusal from the token endpoint (or a token response we cannot use). */
export class OAuthTokenError extends AuthError {
  constructor(
    message: string,
    oauthError: string | undefined,
    status: number | undefined,
    /** Okta's error_description (scrubbed). */
    readonly errorDescription?: string,
    /** invalid_scope: the scopes Okta refused (when it named them). */
    readonly refusedScopes?: string[],
  ) {
    super(message, oauthError, status);
    this.name = 'AuthError';
  }
}

const MAX_NONCE_RETRIES = 2;
/** 429s from the token endpoint waited out in one token request, at most. */
const MAX_RATE_LIMIT_WAITS = 3;
const MAX_TOKEN_ATTEMPTS = 1 + MAX_NONCE_RETRIES + 1 + MAX_NONCE_RETRIES;
const SCOPE_RE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function normaliseOrigin(origin: string): string {
  let u: URL;
  try {
    u = new URL(origin.trim());
  } catch {
    throw new ConfigError(`url "${origin}" is not a URL`, 'url');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(`url must be https:// (got ${u.protocol})`, 'url');
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password) {
    throw new ConfigError('url must be the org origin only (e.g. https://acme.okta.com), without a path, query or credentials', 'url');
  }
  return u.origin;
}

function normaliseDpopMode(v: OAuthAuthOptions['dpop']): DpopMode {
  if (v === undefined || v === 'auto') return 'auto';
  if (v === true || v === 'true') return 'true';
  if (v === false || v === 'false') return 'false';
  throw new ConfigError(`dpop must be auto, true or false (got "${String(v)}")`, 'dpop');
}

export function createOAuthAuth(options: OAuthAuthOptions): OAuthAuthProvider {
  return new OAuthProvider(options);
}

class OAuthProvider implements OAuthAuthProvider {
  readonly kind = 'oauth' as const;
  readonly scopes: readonly string[];
  readonly stats = { tokenRequests: 0, tokensMinted: 0 };

  private readonly origin: string;
  private readonly tokenUrl: string;
  private readonly clientId: string;
  private readonly key: SigningKey;
  private readonly mode: DpopMode;
  private readonly id: TokenIdentity;
  private readonly cache: TokenCache;
  private readonly nonces: NonceBook;
  private readonly margin: number;

  private mem?: CachedToken;
  private inflight?: Promise<CachedToken>;
  private dpopKeyP?: Promise<DpopKey>;
  /** dpop=auto: learned (here or from the store) that the app requires DPoP. */
  private dpopRequired = false;
  /** Which token went out with which request, to tell a stale 401 from a fresh one. */
  private usedFp = new Map<string, string>();
  /** Secrets of the token request in flight, scrubbed from anything we pass on. */
  private live = new Set<string>();
  private cacheWriteWarned = false;

  constructor(private readonly o: OAuthAuthOptions) {
    this.origin = normaliseOrigin(o.origin);
    this.tokenUrl = tokenEndpoint(this.origin);
    if (typeof o.clientId !== 'string' || o.clientId.trim() === '') throw new ConfigError('client_id is empty', 'client_id');
    this.clientId = o.clientId.trim();
    if (!/^[\x21-\x7e]+$/.test(this.clientId)) throw new ConfigError('client_id contains whitespace or characters a client id never has', 'client_id');
    const scopes = [...new Set((o.scopes ?? []).flatMap((s) => String(s).split(/\s+/)).filter(Boolean))];
    if (!scopes.length) throw new ConfigError('scopes is empty: OAuth needs at least one scope', 'scopes');
    for (const s of scopes) if (!SCOPE_RE.test(s)) throw new ConfigError(`scopes: "${s}" is not a valid OAuth scope`, 'scopes');
    this.scopes = Object.freeze(scopes);
    this.mode = normaliseDpopMode(o.dpop);
    this.key =
      typeof o.privateKey === 'string'
        ? loadSigningKey(o.privateKey, { ...(o.algorithm ? { algorithm: o.algorithm } : {}), ...(o.keyId ? { keyId: o.keyId } : {}) })
        : o.privateKey;
    this.id = { origin: this.origin, clientId: this.clientId, scopes: this.scopes };
    this.cache = new TokenCache(o.state);
    this.nonces = new NonceBook(o.state, this.origin);
    this.margin = o.refreshMarginMs ?? REFRESH_MARGIN_MS;
  }

  // ---- AuthProvider ------------------------------------------------------------------------

  async authorize(method: HttpMethod, url: string): Promise<Record<string, string>> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new SecurityError('refusing to attach OAuth credentials to a malformed URL');
    }
    if (target.origin !== this.origin) {
      throw new SecurityError(`refusing to send OAuth credentials to ${target.origin}: it is not the configured Okta org ${this.origin}`);
    }
    const token = await this.token();
    this.rememberUse(method, url, token);
    return tokenHeaders(token, { method, url, now: this.o.clock.now() }, { key: () => this.dpopKey(), nonces: this.nonces, secret: (s) => this.secret(s) });
  }

  async onAuthFailure(res: WireResponse, req: { method: HttpMethod; url: string }): Promise<'retry' | 'fail'> {
    const challenge = await readRefusal(res, this.nonces, this.o.clock.now(), this.mem?.token_type === 'DPoP');
    if (challenge.retryWithNonce) return 'retry';
    if (challenge.badNonce) return 'fail';
    // Bearer sent with a DPoP-bound token or the reverse: our cached binding is stale.
    const wrongScheme = res.status === 400 && challenge.error === 'invalid_request' && /dpop/i.test(challenge.errorDescription ?? '');
    if (challenge.invalidToken || wrongScheme) {
      const failed = this.usedFp.get(useKey(req.method, req.url)) ?? (this.mem ? tokenFingerprint(this.mem.access_token) : undefined);
      await this.replaceToken(failed);
      return 'retry';
    }
    if (challenge.error === 'invalid_dpop_proof') {
      this.o.warn?.(
        `Okta refused the DPoP proof for ${req.method} ${safePath(req.url)}: ${this.scrub(challenge.errorDescription ?? 'no description')}` +
          ' (if it mentions iat, check this machine\'s clock)',
      );
    }
    return 'fail';
  }

  async onNonce(res: WireResponse): Promise<void> {
    await keepNonce(res, this.nonces, this.o.clock.now(), this.mem?.token_type === 'DPoP');
  }

  async describe(): Promise<OAuthDescription> {
    const t = await this.token();
    const granted = t.scope.split(/\s+/).filter(Boolean);
    return {
      authMethod: 'oauth',
      clientId: this.clientId,
      tokenType: t.token_type,
      grantedScopes: granted,
      requestedScopes: [...this.scopes],
      dpop: this.mode,
      algorithm: this.key.alg,
      ...optional('keyId', this.key.kid),
      tokenExpiresAt: new Date(t.expires_at).toISOString(),
    };
  }

  async reset(opts: { dpopKey?: boolean } = {}): Promise<void> {
    if (this.inflight) await this.inflight.catch(() => undefined);
    this.mem = undefined;
    this.usedFp.clear();
    this.dpopRequired = false;
    await this.o.state.withLock(mintLockName(this.id), async () => {
      await this.cache.delete(tokenCacheKey(this.id, false));
      await this.cache.delete(tokenCacheKey(this.id, true));
      await this.o.state.delete(dpopModeKey(this.id));
    });
    if (opts.dpopKey) {
      await this.o.state.withLock(DPOP_KEY_STATE, () => this.o.state.delete(DPOP_KEY_STATE));
      this.dpopKeyP = undefined;
      this.nonces.forget();
    }
  }

  // ---- token lifecycle ---------------------------------------------------------------------

  private async token(): Promise<CachedToken> {
    if (this.mem && isFresh(this.mem, this.o.clock.now(), this.margin)) return this.mem;
    return this.singleFlight(() => this.obtain());
  }

  private singleFlight(fn: () => Promise<CachedToken>): Promise<CachedToken> {
    if (!this.inflight) {
      this.inflight = fn().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /**
   * A usable token: from the shared cache, or minted under the cross-process lock (and the
   * cache re-read after the lock is taken: another process may have minted meanwhile).
   * `drop`: the fingerprint of a token the API called invalid; never hand it out again.
   */
  private async obtain(drop?: string): Promise<CachedToken> {
    if (drop === undefined) {
      const dpop = await this.wantDpop();
      const cached = await this.cache.read(tokenCacheKey(this.id, dpop));
      if (await this.usable(cached, dpop)) return this.adopt(cached!);
    }
    let started = false;
    const underLock = async (): Promise<CachedToken> => {
      started = true;
      const dpop = await this.wantDpop(true);
      const key = tokenCacheKey(this.id, dpop);
      const cached = await this.cache.read(key);
      if (cached && drop !== undefined && (drop === '*' || tokenFingerprint(cached.access_token) === drop)) {
        await this.cache.delete(key);
      } else if (await this.usable(cached, dpop)) {
        return this.adopt(cached!);
      }
      if (dpop) this.dpopKeyP = undefined; // pick up a key another process may have rotated
      const minted = await this.requestToken(dpop);
      this.stats.tokensMinted++;
      notify(this.o.observer, 'tokenMinted', { dpop: minted.dpop });
      try {
        await this.cache.write(tokenCacheKey(this.id, minted.dpop), minted.entry);
      } catch (e) {
        if (!this.cacheWriteWarned) {
          this.cacheWriteWarned = true;
          this.o.warn?.(`could not cache the access token in ${this.o.state.location} (${(e as NodeJS.ErrnoException).code ?? 'error'}); every process will mint its own`);
        }
      }
      return this.adopt(minted.entry);
    };
    try {
      return await this.o.state.withLock(mintLockName(this.id), underLock);
    } catch (e) {
      // Another process has held the mint lock for the whole wait (a slow or hung token
      // request that keeps refreshing its lock): mint without it rather than fail the command.
      if (started || (e as NodeJS.ErrnoException)?.code !== 'ELOCKED') throw e;
      this.o.warn?.(`another okta-soar process has been minting a token for a long time (lock in ${this.o.state.location}); minting without waiting`);
      return underLock();
    }
  }

  /** After the API called a token invalid: a new one, unless someone already replaced it. */
  private async replaceToken(failedFp: string | undefined): Promise<void> {
    if (this.inflight) await this.inflight.catch(() => undefined);
    const now = this.o.clock.now();
    if (this.mem && failedFp && tokenFingerprint(this.mem.access_token) !== failedFp && isFresh(this.mem, now, this.margin)) return;
    this.mem = undefined;
    await this.singleFlight(() => this.obtain(failedFp ?? '*'));
  }

  private async usable(t: CachedToken | undefined, dpop: boolean): Promise<boolean> {
    if (!t || !isFresh(t, this.o.clock.now(), this.margin)) return false;
    if (t.token_type !== 'DPoP') return true;
    if (!dpop) return false;
    return t.jkt === (await this.dpopKey()).jkt;
  }

  private adopt(t: CachedToken): CachedToken {
    this.secret(t.access_token);
    this.mem = t;
    return t;
  }

  private async wantDpop(reread = false): Promise<boolean> {
    if (this.mode !== 'auto') return this.mode === 'true';
    if (this.dpopRequired && !reread) return true;
    const raw = await this.o.state.get(dpopModeKey(this.id));
    this.dpopRequired = !!raw && (parseJson(raw) as { dpop?: unknown } | undefined)?.dpop === 'required';
    return this.dpopRequired;
  }

  private async learnDpopRequired(): Promise<void> {
    this.dpopRequired = true;
    await this.o.state.set(dpopModeKey(this.id), JSON.stringify({ dpop: 'required', learned_at: new Date(this.o.clock.now()).toISOString() }));
    this.o.warn?.('this Okta app requires DPoP; switching to DPoP-bound tokens (dpop=auto)');
  }

  private dpopKey(): Promise<DpopKey> {
    if (!this.dpopKeyP) {
      const p = loadOrCreateDpopKey(this.o.state, this.o.warn);
      this.dpopKeyP = p;
      p.catch(() => {
        if (this.dpopKeyP === p) this.dpopKeyP = undefined;
      });
    }
    return this.dpopKeyP;
  }

  // ---- the token endpoint ------------------------------------------------------------------

  private async requestToken(dpopAtStart: boolean): Promise<{ entry: CachedToken; dpop: boolean }> {
    let dpop = dpopAtStart;
    let nonceRetries = 0;
    let switched = false;
    let rateWaits = 0;
    let waited = 0;
    for (let attempt = 0; attempt < MAX_TOKEN_ATTEMPTS; attempt++) {
      const now = this.o.clock.now();
      // A new assertion (new jti) for every request: Okta consumes the jti even on use_dpop_nonce.
      const assertion = await createClientAssertion({ key: this.key, clientId: this.clientId, tokenUrl: this.tokenUrl, now });
      this.secret(assertion);
      const headers: Record<string, string> = {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
        ...optional('User-Agent', this.o.userAgent),
      };
      let dkey: DpopKey | undefined;
      if (dpop) {
        dkey = await this.dpopKey();
        const proof = await createDpopProof({ key: dkey, method: 'POST', url: this.tokenUrl, now, ...optional('nonce', await this.nonces.get('token')) });
        this.secret(proof);
        headers.DPoP = proof;
      }
      const data = new URLSearchParams({
        grant_type: 'client_credentials',
        scope: this.scopes.join(' '),
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: assertion,
      }).toString();

      const res = await this.send({ method: 'POST', url: this.tokenUrl, headers, data, timeoutMs: this.o.timeoutMs ?? 30_000 }, [assertion, headers.DPoP]);
      this.stats.tokenRequests++;

      const nonce = headerOf(res, 'dpop-nonce');
      if (dpop && plausibleNonce(nonce)) await this.nonces.set('token', nonce, now);

      if (res.status >= 200 && res.status < 300) return { entry: this.parseTokenResponse(res, now, dpop, dkey), dpop };

      if (res.status === 429) {
        // Okta did not act on it: asking again after the reset is safe (with a new assertion).
        const wait = this.rateLimitWait(res, now, rateWaits);
        if (rateWaits >= MAX_RATE_LIMIT_WAITS || waited + wait.ms > (this.o.maxWaitMs ?? 0)) throw this.rateLimitError(wait.resetAt);
        rateWaits++;
        waited += wait.ms;
        attempt--; // waiting out a rate limit is not one of the attempts
        if (wait.ms >= 5000) this.o.warn?.(`Okta is rate-limiting its token endpoint; waiting ${Math.round(wait.ms / 1000)} s`);
        notify(this.o.observer, 'waited', { bucket: bucketKey('POST', safePath(this.tokenUrl)), ms: wait.ms, reason: 'rate_limit' });
        await this.o.clock.sleep(wait.ms);
        continue;
      }

      const body = parseJson(res.body) as Record<string, unknown> | undefined;
      const error = typeof body?.error === 'string' ? body.error : undefined;
      // The request's own assertion and proof, as well as the live ones: an answer may echo them.
      const sent = [assertion, headers.DPoP];
      const description = typeof body?.error_description === 'string' ? this.scrub(body.error_description, sent).slice(0, 500) : undefined;

      if (error === 'use_dpop_nonce' && dpop && plausibleNonce(nonce) && nonceRetries < MAX_NONCE_RETRIES) {
        nonceRetries++;
        continue;
      }
      if (error === 'invalid_dpop_proof' && !dpop && this.mode === 'auto' && !switched && /missing/i.test(description ?? '')) {
        switched = true;
        dpop = true;
        nonceRetries = 0;
        await this.learnDpopRequired();
        continue;
      }
      throw this.tokenError(res, body, error, description, dpop, sent);
    }
    throw new OAuthTokenError(
      `Okta's token endpoint ${this.tokenUrl} kept asking for another DPoP nonce; gave up after ${MAX_TOKEN_ATTEMPTS} requests. Try again; if it persists, report it.`,
      'use_dpop_nonce',
      400,
    );
  }

  private parseTokenResponse(res: WireResponse, requestedAt: number, dpop: boolean, dkey: DpopKey | undefined): CachedToken {
    const body = parseJson(res.body) as Record<string, unknown> | undefined;
    // Never quote a success body: it holds the access token.
    const bad = (why: string) =>
      new OAuthTokenError(`Okta's token endpoint ${this.tokenUrl} answered HTTP ${res.status} but ${why}; is url the Okta org?`, undefined, res.status);
    if (!body || typeof body !== 'object') throw bad('the body is not a JSON token response');
    const accessToken = body.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') throw bad('without an access_token');
    this.secret(accessToken);
    if (!/^[\x21-\x7e]+$/.test(accessToken)) throw bad('the access_token has characters a token never has');
    const rawType = typeof body.token_type === 'string' ? body.token_type.toLowerCase() : '';
    let tokenType: 'Bearer' | 'DPoP';
    if (rawType === 'bearer') tokenType = 'Bearer';
    else if (rawType === 'dpop') tokenType = 'DPoP';
    else throw bad(`with token_type "${String(body.token_type).slice(0, 20)}" (expected Bearer or DPoP)`);
    if (tokenType === 'DPoP' && !dpop) throw bad('issued a DPoP-bound token to a request without a DPoP proof');
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : Number(body.expires_in) > 0 ? Number(body.expires_in) : 3600;
    const scope = typeof body.scope === 'string' ? body.scope : this.scopes.join(' ');
    return {
      access_token: accessToken,
      token_type: tokenType,
      expires_at: requestedAt + expiresIn * 1000,
      scope,
      obtained_at: requestedAt,
      ...(tokenType === 'DPoP' && dkey ? { jkt: dkey.jkt } : {}),
    };
  }

  /**
   * How long to wait after a 429 from the token endpoint: until X-Rate-Limit-Reset (read against
   * Okta's Date header, so this machine's clock does not matter), or Retry-After, or else an
   * exponential 2, 4, 8 s.
   */
  private rateLimitWait(res: WireResponse, now: number, before: number): { ms: number; resetAt: number } {
    const { reset } = readRateHeaders(res.headers);
    if (reset !== undefined && reset > 0) {
      const resetAt = reset * 1000 - (clockSkew(res.headers, now) ?? 0);
      return { ms: Math.max(0, resetAt - now) + RESET_MARGIN_MS, resetAt };
    }
    const ms = retryAfterMs(res.headers, now) ?? 2000 * 2 ** before;
    return { ms, resetAt: now + ms };
  }

  private rateLimitError(resetAt: number): RateLimitError {
    const at = new Date(resetAt).toISOString();
    const secs = Math.max(1, Math.ceil((resetAt - this.o.clock.now()) / 1000));
    return new RateLimitError(
      `Okta is rate-limiting its token endpoint ${this.tokenUrl} until ${at}, in ${secs} s: longer than max_wait_seconds ` +
        `(${Math.round((this.o.maxWaitMs ?? 0) / 1000)} s) allows. Run the command again after ${at}, or raise max_wait_seconds. ` +
        'Frequent token requests mean tokens are not being reused: point every process at one writable OKTA_STATE_DIR.',
      'POST /oauth2/v1/token',
      resetAt,
    );
  }

  private tokenError(
    res: WireResponse,
    body: Record<string, unknown> | undefined,
    error: string | undefined,
    description: string | undefined,
    dpop: boolean,
    sent: Array<string | undefined> = [],
  ): OAuthTokenError {
    const status = res.status;
    let head = `Okta's token endpoint ${this.tokenUrl} refused to issue an access token (HTTP ${status}${error ? ` ${error}` : ''})`;
    if (description) head += `: ${description.replace(/\.$/, '')}`;
    else if (typeof body?.errorSummary === 'string') head += `: ${this.scrub(body.errorSummary, sent).slice(0, 300).replace(/\.$/, '')}`;
    head += '.';
    const app = 'Applications → Applications → <your API Services app>';
    let advice: string;
    let refused: string[] | undefined;

    switch (error) {
      case 'invalid_client':
        if (/expir|issued|future/i.test(description ?? '')) {
          advice = "The assertion's time claims were refused: check that this machine's clock is right (NTP).";
        } else if (/already been used/i.test(description ?? '')) {
          advice = 'A client assertion was sent twice; this is a bug in okta-soar, please report it.';
        } else {
          advice =
            `Check that client_id (${this.clientId}) is the app's Client ID, that private_key is the private half of a public key ` +
            `registered under ${app} → General → Client Credentials → PUBLIC KEYS, and that ` +
            (this.key.kid ? `key_id ("${this.key.kid}") is that key's KID` : 'key_id is set to that key\'s KID when the app has several keys') +
            ` (signing with ${this.key.alg}, ${this.key.description}). \`okta-soar keygen\` makes a new key and prints the public JWK to add.`;
        }
        break;
      case 'invalid_scope': {
        refused = this.refusedScopes(description);
        if (refused.length) {
          const them = refused.length === 1 ? 'it' : 'them';
          advice =
            `Okta has not granted ${refused.join(', ')} to this app. Grant ${them} under ${app} → Okta API Scopes, ` +
            `or remove ${them} from scopes (OKTA_SCOPES) if the commands you use do not need ${them}.`;
        } else {
          advice = `Requested scopes: ${this.scopes.join(' ')}. Grant them under ${app} → Okta API Scopes, or set scopes (OKTA_SCOPES) to the ones granted.`;
        }
        break;
      }
      case 'invalid_dpop_proof':
        if (!dpop && /missing/i.test(description ?? '')) {
          advice =
            'This app requires DPoP ("Require Demonstrating Proof of Possession (DPoP) header in token requests"), but dpop=false. ' +
            'Set dpop=auto (OKTA_DPOP=auto, the default) or dpop=true; keeping DPoP required on the app is the safer setting.';
        } else {
          advice =
            "If the message is about 'iat', check this machine's clock. Otherwise make a new DPoP key (okta-auth-reset with the DPoP key option) and try again.";
        }
        break;
      case 'use_dpop_nonce':
        advice = 'Okta asked for a DPoP nonce without giving one (no DPoP-Nonce header); try again.';
        break;
      case 'access_denied':
        advice = `Okta denied the request: it may come from outside the app's allowed network zones, or a policy blocks it. Check ${app}.`;
        break;
      case 'unsupported_grant_type':
      case 'unauthorized_client':
        advice = `The app must be an API Services app with the Client Credentials grant type enabled (${app} → General).`;
        break;
      case 'invalid_request':
        advice = 'Okta considers the request malformed. If a proxy rewrites requests to Okta, exempt the org; otherwise please report this.';
        break;
      default:
        if (status >= 500) {
          advice = 'This is a problem on Okta\'s side (or a proxy in between); try again later.';
        } else if (!body) {
          advice = `The answer is not an OAuth error (content-type ${headerOf(res, 'content-type') ?? 'unknown'}): check url (the Okta org) and any proxy in between.`;
        } else {
          advice = 'Check the app\'s settings in Okta (API Services app, Client Credentials, public key, scopes).';
        }
    }
    return new OAuthTokenError(`${head} ${advice}`, error, status, description, refused);
  }

  /** The scopes an invalid_scope answer names ("… not allowed for this request: [a, b]."), or the requested ones it mentions. */
  private refusedScopes(description: string | undefined): string[] {
    if (!description) return [];
    const named: string[] = (description.match(/[A-Za-z0-9_.:/-]+/g) ?? []).map((w) => w.replace(/\.+$/, ''));
    const mentioned = this.scopes.filter((s) => named.includes(s));
    if (mentioned.length) return mentioned;
    const bracket = /\[([^\]]*)\]/.exec(description) ?? /:\s*([^.]*)\.?$/.exec(description);
    if (!bracket?.[1]) return [];
    return bracket[1]
      .split(/[\s,]+/)
      .map((s) => s.trim().replace(/\.+$/, ''))
      .filter((s) => SCOPE_RE.test(s) && s.includes('.'));
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private async send(req: WireRequest, secrets: Array<string | undefined>): Promise<WireResponse> {
    for (const s of secrets) if (s) this.live.add(s);
    const started = this.o.clock.now();
    const bucket = bucketKey(req.method, safePath(req.url));
    try {
      const res = await this.o.transport(req);
      notify(this.o.observer, 'exchange', { bucket, status: res.status, ms: this.o.clock.now() - started, ...rateOf(readRateHeaders(res.headers)) });
      return res;
    } catch (e) {
      notify(this.o.observer, 'exchange', { bucket, status: 0, ms: this.o.clock.now() - started });
      if (e instanceof SoarError) {
        e.message = this.scrub(e.message);
        if (e.stack) e.stack = this.scrub(e.stack);
        throw e;
      }
      // Foreign errors (axios…) may carry the request, body included: keep only a clean message.
      const code = (e as NodeJS.ErrnoException)?.code;
      const msg = e instanceof Error ? this.scrub(e.message) : 'request failed';
      throw new NetworkError(`token request to ${this.tokenUrl} failed: ${msg}`, typeof code === 'string' ? code : undefined);
    } finally {
      for (const s of secrets) if (s) this.live.delete(s);
    }
  }

  private scrub(text: string, extra: Array<string | undefined> = []): string {
    let out = text;
    const known = [...this.live, ...extra.filter((x): x is string => !!x)];
    if (this.mem) known.push(this.mem.access_token);
    for (const s of known) if (s && out.includes(s)) out = out.split(s).join('[REDACTED]');
    return out;
  }

  private secret(value: string): void {
    try {
      this.o.onSecret?.(value);
    } catch {
      /* a redaction hook must not break auth */
    }
  }

  private rememberUse(method: string, url: string, token: CachedToken): void {
    const k = useKey(method, url);
    this.usedFp.delete(k);
    this.usedFp.set(k, tokenFingerprint(token.access_token));
    if (this.usedFp.size > 500) this.usedFp.delete(this.usedFp.keys().next().value as string);
  }
}

function useKey(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(unparseable URL)';
  }
}

function optional<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}

