/**
 * auth_method `user` (contract §7): every request carries the signed-in analyst's access token,
 * so Okta acts as the analyst (their admin roles limit what the token's scopes allow, and the
 * System Log names them). The token is refreshed with the stored refresh token when it is about
 * to expire or Okta calls it invalid, under the state's lock and after reading the stored
 * sign-in again: processes sharing a state refresh ONCE between them. That matters: with
 * rotation on, a rotated refresh token used again after the grace period makes Okta revoke every
 * token of the analyst. A refresh token Okta refuses ends the sign-in (it is forgotten) and the
 * message says to run `okta-soar login`.
 */
import { AuthError, ConfigError, SecurityError } from '../../base/errors.js';
import type { Clock } from '../../base/clock.js';
import type { StateStore } from '../../state/store.js';
import type { AuthProvider, HttpMethod, Transport, WireResponse } from '../types.js';
import { NonceBook, type DpopKey } from './dpop.js';
import type { DpopMode } from './oauth.js';
import { keepNonce, readRefusal, tokenHeaders } from './present-token.js';
import { isFresh, REFRESH_MARGIN_MS, tokenFingerprint } from './token-cache.js';
import { recordFrom, signInDpopKey, SignInError, UserEndpoints } from './user-endpoints.js';
import { notSignedInMessage, signInLockName, SignInStore, type SignInRecord } from './user-signin.js';

export interface UserAuthOptions {
  origin: string;
  clientId: string;
  clientSecret?: string;
  /** The Okta API scopes configured (what `login` asks for besides openid, profile, offline_access). */
  scopes: readonly string[];
  dpop?: DpopMode;
  transport: Transport;
  state: StateStore;
  clock: Clock;
  timeoutMs?: number;
  userAgent?: string;
  refreshMarginMs?: number;
  warn?: (line: string) => void;
  debug?: (line: string) => void;
  onSecret?: (value: string) => void;
  /** How long to wait for another process's refresh (the state's lock); default the store's. */
  lockWaitMs?: number;
}

export interface UserAuthProvider extends AuthProvider {
  readonly kind: 'user';
  /** The signed-in analyst (reads the stored sign-in). */
  whoami(): Promise<SignInRecord | undefined>;
  readonly stats: { refreshes: number };
}

export function createUserAuth(o: UserAuthOptions): UserAuthProvider {
  return new UserProvider(o);
}

function useKey(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}

class UserProvider implements UserAuthProvider {
  readonly kind = 'user' as const;
  readonly scopes: readonly string[];
  readonly stats = { refreshes: 0 };
  private readonly signIns: SignInStore;
  private readonly endpoints: UserEndpoints;
  private readonly nonces: NonceBook;
  private readonly margin: number;
  private mem?: SignInRecord;
  private memKey?: DpopKey;
  private inflight?: Promise<SignInRecord>;
  private usedFp = new Map<string, string>();

  constructor(private readonly o: UserAuthOptions) {
    if (!o.clientId) throw new ConfigError('auth_method user needs client_id (OKTA_CLIENT_ID)', 'client_id');
    this.scopes = Object.freeze([...o.scopes]);
    this.signIns = new SignInStore(o.state);
    this.endpoints = new UserEndpoints({
      origin: o.origin,
      clientId: o.clientId,
      ...(o.clientSecret ? { clientSecret: o.clientSecret } : {}),
      transport: o.transport,
      clock: o.clock,
      state: o.state,
      dpop: o.dpop ?? 'auto',
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.userAgent ? { userAgent: o.userAgent } : {}),
      ...(o.onSecret ? { onSecret: o.onSecret } : {}),
    });
    this.nonces = new NonceBook(o.state, o.origin);
    this.margin = o.refreshMarginMs ?? REFRESH_MARGIN_MS;
    if (o.clientSecret) this.secret(o.clientSecret);
  }

  async authorize(method: HttpMethod, url: string): Promise<Record<string, string>> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new SecurityError('refusing to attach the sign-in to a malformed URL');
    }
    if (target.origin !== this.o.origin) throw new SecurityError(`refusing to send the analyst's token to ${target.origin}: it is not the configured Okta org ${this.o.origin}`);
    const rec = await this.token();
    const k = useKey(method, url);
    this.usedFp.delete(k);
    this.usedFp.set(k, tokenFingerprint(rec.access_token));
    if (this.usedFp.size > 500) this.usedFp.delete(this.usedFp.keys().next().value as string);
    return tokenHeaders(rec, { method, url, now: this.o.clock.now() }, { key: () => this.key(rec), nonces: this.nonces, secret: (s) => this.secret(s) });
  }

  async onAuthFailure(res: WireResponse, req: { method: HttpMethod; url: string }): Promise<'retry' | 'fail'> {
    const challenge = await readRefusal(res, this.nonces, this.o.clock.now(), this.mem?.token_type === 'DPoP');
    if (challenge.retryWithNonce) return 'retry';
    if (challenge.badNonce) return 'fail';
    if (challenge.invalidToken) {
      const failed = this.usedFp.get(useKey(req.method, req.url)) ?? (this.mem ? tokenFingerprint(this.mem.access_token) : '*');
      this.o.debug?.(`the analyst's access token was refused (${challenge.errorDescription ?? 'invalid_token'}); refreshing the sign-in`);
      await this.replace(failed);
      return 'retry';
    }
    return 'fail';
  }

  async onNonce(res: WireResponse): Promise<void> {
    await keepNonce(res, this.nonces, this.o.clock.now(), this.mem?.token_type === 'DPoP');
  }

  async describe(): Promise<Record<string, unknown>> {
    const rec = await this.token();
    return {
      authMethod: 'user',
      user: rec.user,
      clientId: this.o.clientId,
      tokenType: rec.token_type,
      grantedScopes: rec.scope.split(/\s+/).filter((s) => s.startsWith('okta.')),
      requestedScopes: [...this.scopes],
      tokenExpiresAt: new Date(rec.expires_at).toISOString(),
    };
  }

  async reset(): Promise<void> {
    this.mem = undefined;
    this.memKey = undefined;
    this.usedFp.clear();
  }

  async whoami(): Promise<SignInRecord | undefined> {
    return this.signIns.current(this.o.origin, this.o.clientId);
  }

  // ---- the token ------------------------------------------------------------------------------

  private token(): Promise<SignInRecord> {
    if (this.mem && isFresh(this.mem, this.o.clock.now(), this.margin)) return Promise.resolve(this.mem);
    return this.singleFlight(() => this.obtain(undefined));
  }

  private singleFlight(fn: () => Promise<SignInRecord>): Promise<SignInRecord> {
    this.inflight ??= fn().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async replace(failedFp: string): Promise<void> {
    if (this.inflight) await this.inflight.catch(() => undefined);
    if (this.mem && tokenFingerprint(this.mem.access_token) !== failedFp && isFresh(this.mem, this.o.clock.now(), this.margin)) return;
    this.mem = undefined;
    await this.singleFlight(() => this.obtain(failedFp));
  }

  /** Usable unless it is about to expire or it is the token the API just refused. */
  private usable(rec: SignInRecord | undefined, failedFp: string | undefined): boolean {
    if (!rec || !isFresh(rec, this.o.clock.now(), this.margin)) return false;
    return failedFp === undefined || (failedFp !== '*' && tokenFingerprint(rec.access_token) !== failedFp);
  }

  private async obtain(failedFp: string | undefined): Promise<SignInRecord> {
    const { origin, clientId } = this.o;
    const user = await this.signIns.currentUser(origin, clientId);
    if (user === undefined) throw new AuthError(await notSignedInMessage(this.signIns, origin, clientId), 'login_required');
    const first = await this.signIns.read(origin, clientId, user);
    if (first && this.usable(first, failedFp)) return this.adopt(first);
    return this.underLock(
      signInLockName(origin, clientId, user),
      async () => {
        // Another process may have refreshed while we waited for the lock: use its tokens.
        const rec = await this.signIns.read(origin, clientId, user);
        if (!rec) throw new AuthError(await notSignedInMessage(this.signIns, origin, clientId, `the sign-in of ${user} to ${origin} is gone (signed out?)`), 'login_required');
        if (this.usable(rec, failedFp)) return this.adopt(rec);
        if (!rec.refresh_token)
          throw new AuthError(`the sign-in of ${rec.user} to ${origin} has expired and has no refresh token (the app must allow Refresh Token): run \`okta-soar login\``, 'login_required');
        return this.adopt(await this.refresh(rec));
      },
      this.o.lockWaitMs !== undefined ? { waitMs: this.o.lockWaitMs } : undefined,
    );
  }

  /**
   * The state's lock, or a clear word when another process has held it for the whole wait (a
   * refresh that hangs). Never refreshed without it: a rotated refresh token used twice ends the sign-in.
   */
  private async underLock<T>(name: string, fn: () => Promise<T>, opts: { waitMs?: number } | undefined): Promise<T> {
    let started = false;
    try {
      return await this.o.state.withLock(
        name,
        () => {
          started = true;
          return fn();
        },
        opts,
      );
    } catch (e) {
      if (started || (e as NodeJS.ErrnoException)?.code !== 'ELOCKED') throw e;
      throw new AuthError(
        `another okta-soar process has been refreshing the analyst's sign-in for a long time (lock in ${this.o.state.location}); try again in a minute`,
        'locked',
      );
    }
  }

  /** One refresh_token grant; the new tokens are stored before anyone can use the old refresh token again. */
  private async refresh(rec: SignInRecord): Promise<SignInRecord> {
    this.secret(rec.refresh_token);
    const key = await signInDpopKey(rec);
    this.stats.refreshes++;
    this.o.debug?.(`refreshing the sign-in of ${rec.user} at ${this.endpoints.tokenUrl}`);
    let answer;
    try {
      answer = await this.endpoints.token({ grant_type: 'refresh_token', refresh_token: rec.refresh_token! }, key, 'refresh');
    } catch (e) {
      if (e instanceof SignInError && (e.oauthError === 'invalid_grant' || e.oauthError === 'access_denied')) {
        // The sign-in is over at Okta: forget it here too, so nobody tries it again.
        await this.signIns.forget(rec.origin, rec.clientId, rec.user).catch(() => undefined);
      }
      throw e;
    }
    if ('pending' in answer) throw new SignInError('unexpected answer to a refresh');
    const next = recordFrom(answer, { origin: rec.origin, clientId: rec.clientId, user: rec.user, ...(rec.userId ? { userId: rec.userId } : {}), signedInAt: rec.signed_in_at }, rec);
    await this.signIns.update(next);
    return next;
  }

  private adopt(rec: SignInRecord): SignInRecord {
    this.secret(rec.access_token);
    this.secret(rec.refresh_token);
    if (this.mem?.dpop_key !== rec.dpop_key) this.memKey = undefined;
    this.mem = rec;
    return rec;
  }

  private async key(rec: SignInRecord): Promise<DpopKey> {
    if (this.memKey && this.mem === rec) return this.memKey;
    const k = await signInDpopKey(rec);
    if (!k) throw new SignInError('the stored sign-in is DPoP-bound but has no DPoP key: run `okta-soar login` again');
    this.memKey = k.key;
    return k.key;
  }

  private secret(v: string | undefined): void {
    if (!v) return;
    try {
      this.o.onSecret?.(v);
    } catch {
      /* a redaction hook must not break auth */
    }
  }
}
