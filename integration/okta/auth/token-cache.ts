/**
 * Access tokens cached in the StateStore, so every process using the same state directory
 * (FileStore: 0600 files, atomic writes) shares one token per org, client, scope set and
 * binding. Okta tokens live one hour and cannot be refreshed: we mint a new one shortly
 * before expiry (5 minutes, or half the lifetime when that is shorter).
 */
import { createHash } from 'node:crypto';
import type { StateStore } from '../../state/store.js';

export interface CachedToken {
  access_token: string;
  /** 'Bearer' or 'DPoP' (normalised case). */
  token_type: 'Bearer' | 'DPoP';
  /** Epoch ms. */
  expires_at: number;
  /** Space-separated scopes Okta granted (the token response's `scope`). */
  scope: string;
  /** Epoch ms when we asked for it (the lifetime is counted from there: conservative). */
  obtained_at: number;
  /** DPoP tokens: thumbprint of the key they are bound to. */
  jkt?: string;
}

export const REFRESH_MARGIN_MS = 5 * 60_000;

export interface TokenIdentity {
  origin: string;
  clientId: string;
  scopes: readonly string[];
}

function digest(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 40);
}

/** Scopes as a set: order and duplicates do not change what a token can do. */
export function canonicalScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort();
}

/** State key of the cached token: hash(org, client id, sorted scopes, DPoP or not). */
export function tokenCacheKey(id: TokenIdentity, dpop: boolean): string {
  return `token-${digest([id.origin, id.clientId, canonicalScopes(id.scopes).join(' '), dpop ? 'dpop' : 'bearer'])}`;
}

/** Lock shared by both bindings of one identity: one mint at a time per org/client/scopes. */
export function mintLockName(id: TokenIdentity): string {
  return `mint-${digest([id.origin, id.clientId, canonicalScopes(id.scopes).join(' ')])}`;
}

/** Where dpop=auto remembers that this app requires DPoP. */
export function dpopModeKey(id: Pick<TokenIdentity, 'origin' | 'clientId'>): string {
  return `dpop-mode-${digest([id.origin, id.clientId])}`;
}

/** A short non-secret fingerprint to recognise a token without keeping it around. */
export function tokenFingerprint(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url').slice(0, 22);
}

/** Still worth using at `now`? */
export function isFresh(t: CachedToken, now: number, marginMs = REFRESH_MARGIN_MS): boolean {
  const lifetime = t.expires_at - t.obtained_at;
  const margin = Math.min(marginMs, Math.max(0, lifetime / 2));
  return t.expires_at - now > margin;
}

function isCachedToken(v: unknown): v is CachedToken {
  if (!v || typeof v !== 'object') return false;
  const t = v as Record<string, unknown>;
  return (
    typeof t.access_token === 'string' &&
    t.access_token.length > 0 &&
    (t.token_type === 'Bearer' || t.token_type === 'DPoP') &&
    typeof t.expires_at === 'number' &&
    typeof t.obtained_at === 'number' &&
    typeof t.scope === 'string' &&
    (t.jkt === undefined || typeof t.jkt === 'string')
  );
}

export class TokenCache {
  constructor(private readonly state: StateStore) {}

  /** The cached entry, or undefined when absent or unreadable (a damaged file is a miss). */
  async read(key: string): Promise<CachedToken | undefined> {
    const raw = await this.state.get(key);
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as unknown;
      return isCachedToken(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  async write(key: string, token: CachedToken): Promise<void> {
    await this.state.set(key, JSON.stringify(token));
  }

  async delete(key: string): Promise<void> {
    await this.state.delete(key);
  }
}
