/**
 * Plan-then-confirm for MCP tools that change Okta (contract §9): the first call returns the dry
 * run and a confirmation token; only a second call of the same tool, with the same arguments, by
 * the same caller, carrying that token before it expires, makes the change. A token confirms one
 * change: it is spent by the first call that presents it, whatever that call's fate. The server
 * keeps only a hash of each token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../base/clock.js';

/** How long a plan's token stays good. */
export const CONFIRM_TTL_MS = 5 * 60_000;

/** Tokens kept at most (oldest dropped first): a runaway agent cannot fill memory. */
const MAX_TOKENS = 10_000;

const PREFIX = 'okc_';

interface Pending {
  tool: string;
  args: string;
  caller: string;
  expiresAt: number;
  used: boolean;
}

export interface Issued {
  token: string;
  /** ISO 8601. */
  expiresAt: string;
}

export type Redeemed = { ok: true } | { ok: false; reason: string };

/** JSON with keys sorted at every level: the same arguments always read the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class Confirmations {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = CONFIRM_TTL_MS,
  ) {}

  issue(tool: string, args: Record<string, unknown>, caller: string): Issued {
    this.prune();
    const token = PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = this.clock.now() + this.ttlMs;
    this.pending.set(sha256(token), { tool, args: sha256(canonicalJson(args)), caller, expiresAt, used: false });
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Spends the token when it is one of ours; says exactly why it does not confirm this call otherwise. */
  redeem(token: unknown, tool: string, args: Record<string, unknown>, caller: string): Redeemed {
    const again = `call ${tool} without confirm for a new plan and token`;
    if (typeof token !== 'string' || !token.startsWith(PREFIX) || token.length > 100)
      return { ok: false, reason: `confirm must be the token that ${tool}'s plan gave (okc_…); ${again}` };
    const p = this.pending.get(sha256(token));
    if (!p) return { ok: false, reason: `confirm is not a token this server issued (forged, mistyped, or from before a restart); nothing was changed; ${again}` };
    if (p.used) return { ok: false, reason: `this confirmation token was already used: each token confirms one change; nothing was changed; ${again}` };
    p.used = true;
    if (this.clock.now() >= p.expiresAt) return { ok: false, reason: `this confirmation token expired at ${new Date(p.expiresAt).toISOString()}; nothing was changed; ${again}` };
    if (p.caller !== caller) return { ok: false, reason: `this confirmation token was issued to another caller; nothing was changed; ${again}` };
    if (p.tool !== tool) return { ok: false, reason: `this confirmation token was issued for ${p.tool}, not ${tool}; nothing was changed; call ${p.tool} without confirm for a new plan` };
    if (p.args !== sha256(canonicalJson(args)))
      return { ok: false, reason: `this confirmation token was issued for other arguments: a token confirms exactly the plan it came with; nothing was changed; ${again}` };
    return { ok: true };
  }

  /** Drops tokens past their expiry (kept one more TTL so a late replay is still named as such), and the oldest beyond the cap. */
  private prune(): void {
    const now = this.clock.now();
    for (const [k, p] of this.pending) if (now >= p.expiresAt + this.ttlMs) this.pending.delete(k);
    while (this.pending.size >= MAX_TOKENS) this.pending.delete(this.pending.keys().next().value as string);
  }
}
