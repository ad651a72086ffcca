/**
 * An analyst's sign-in (contract §7): what `okta-soar login` stores and every later command
 * uses. One record per org, client and user in the StateStore (FileStore: 0600 files; Redis:
 * sealed with OKTA_STATE_KEY), holding the access token, the refresh token, the DPoP key the
 * refresh token is bound to (when DPoP is used), who signed in and with which scopes.
 *
 * Keys: `signin-<hash(org, client, user)>` the record; `signin-current-<hash(org, client)>` which
 * user of that app is signed in; `signin-last` the last sign-in of this state (to tell an analyst
 * that the sign-in they have is for another org).
 */
import { createHash } from 'node:crypto';
import type { StateStore } from '../../state/store.js';

export interface SignInRecord {
  v: 1;
  origin: string;
  clientId: string;
  /** The analyst's login (the ID token's preferred_username). */
  user: string;
  /** The user id (the ID token's sub), when known. */
  userId?: string;
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  refresh_token?: string;
  /** Epoch ms (counted from when the token was asked for). */
  expires_at: number;
  obtained_at: number;
  /** Space-separated scopes Okta granted. */
  scope: string;
  /** DPoP-bound sign-ins: the private JWK (JSON text) the tokens are bound to, and its thumbprint. */
  dpop_key?: string;
  jkt?: string;
  /** When the analyst signed in (epoch ms). */
  signed_in_at: number;
}

export interface SignInPointer {
  origin: string;
  clientId: string;
  user: string;
}

function digest(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 40);
}

export function signInKey(origin: string, clientId: string, user: string): string {
  return `signin-${digest([origin, clientId, user.toLowerCase()])}`;
}

export function currentSignInKey(origin: string, clientId: string): string {
  return `signin-current-${digest([origin, clientId])}`;
}

export const LAST_SIGNIN_KEY = 'signin-last';

/** The lock under which a sign-in is refreshed, stored or revoked: one refresh at a time across processes. */
export function signInLockName(origin: string, clientId: string, user: string): string {
  return `signin-lock-${digest([origin, clientId, user.toLowerCase()])}`;
}

function parse(raw: string | undefined): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is SignInRecord {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    r.v === 1 &&
    typeof r.origin === 'string' &&
    typeof r.clientId === 'string' &&
    typeof r.user === 'string' &&
    typeof r.access_token === 'string' &&
    r.access_token !== '' &&
    (r.token_type === 'Bearer' || r.token_type === 'DPoP') &&
    (r.refresh_token === undefined || typeof r.refresh_token === 'string') &&
    typeof r.expires_at === 'number' &&
    typeof r.obtained_at === 'number' &&
    typeof r.scope === 'string' &&
    (r.dpop_key === undefined || typeof r.dpop_key === 'string') &&
    typeof r.signed_in_at === 'number'
  );
}

function isPointer(v: unknown): v is SignInPointer {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return typeof p.origin === 'string' && typeof p.clientId === 'string' && typeof p.user === 'string';
}

/** The sign-ins of one state store. */
export class SignInStore {
  constructor(readonly state: StateStore) {}

  /** Which user of this org and app is signed in (undefined: nobody). */
  async currentUser(origin: string, clientId: string): Promise<string | undefined> {
    const p = parse(await this.state.get(currentSignInKey(origin, clientId)));
    return isPointer(p) && p.origin === origin && p.clientId === clientId ? p.user : undefined;
  }

  async read(origin: string, clientId: string, user: string): Promise<SignInRecord | undefined> {
    const r = parse(await this.state.get(signInKey(origin, clientId, user)));
    // A record filed under another identity (a copied file) is not this sign-in.
    return isRecord(r) && r.origin === origin && r.clientId === clientId && r.user.toLowerCase() === user.toLowerCase() ? r : undefined;
  }

  /** The signed-in user's record of this org and app. */
  async current(origin: string, clientId: string): Promise<SignInRecord | undefined> {
    const user = await this.currentUser(origin, clientId);
    return user === undefined ? undefined : this.read(origin, clientId, user);
  }

  /** Stores a new or refreshed sign-in and makes it the current one of its org and app. */
  async save(rec: SignInRecord): Promise<void> {
    await this.state.set(signInKey(rec.origin, rec.clientId, rec.user), JSON.stringify(rec));
    const pointer: SignInPointer = { origin: rec.origin, clientId: rec.clientId, user: rec.user };
    await this.state.set(currentSignInKey(rec.origin, rec.clientId), JSON.stringify(pointer));
    await this.state.set(LAST_SIGNIN_KEY, JSON.stringify(pointer));
  }

  /** Only the tokens changed (a refresh): the record alone. */
  async update(rec: SignInRecord): Promise<void> {
    await this.state.set(signInKey(rec.origin, rec.clientId, rec.user), JSON.stringify(rec));
  }

  /** Forgets a sign-in (logout, or a refresh token Okta refused). */
  async forget(origin: string, clientId: string, user: string): Promise<void> {
    await this.state.delete(signInKey(origin, clientId, user));
    if ((await this.currentUser(origin, clientId))?.toLowerCase() === user.toLowerCase()) await this.state.delete(currentSignInKey(origin, clientId));
    const last = parse(await this.state.get(LAST_SIGNIN_KEY));
    if (isPointer(last) && last.origin === origin && last.clientId === clientId && last.user.toLowerCase() === user.toLowerCase()) await this.state.delete(LAST_SIGNIN_KEY);
  }

  /** The last sign-in of this state, whatever its org (to say "you are signed in to another org"). */
  async last(): Promise<SignInPointer | undefined> {
    const p = parse(await this.state.get(LAST_SIGNIN_KEY));
    return isPointer(p) ? p : undefined;
  }
}

/** "run okta-soar login", with a word about a sign-in this state holds for another org or app. */
export async function notSignedInMessage(store: SignInStore, origin: string, clientId: string, why?: string): Promise<string> {
  let s = why ?? `nobody is signed in to ${origin} (client ${clientId}) in ${store.state.location}`;
  const last = await store.last().catch(() => undefined);
  if (last && (last.origin !== origin || last.clientId !== clientId)) {
    s +=
      last.origin !== origin
        ? `; the sign-in kept there is for another org, ${last.origin} (as ${last.user}), and OKTA_URL names ${origin}`
        : `; the sign-in kept there is for another app of this org (client ${last.clientId}, as ${last.user}), and OKTA_CLIENT_ID names ${clientId}`;
  }
  return `${s}: run \`okta-soar login\``;
}
