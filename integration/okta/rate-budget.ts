import type { Clock } from '../clock.js';
import type { RateLimitSnapshot } from './types.js';

interface Bucket {
  limit: number;
  remaining: number;
  /** Local-clock epoch ms at which Okta said the window resets. */
  resetAt: number;
  inflight: number;
}

/** The name we track a request's rate-limit bucket under: method and path with ids folded. */
export function bucketKey(method: string, pathname: string): string {
  const segs = pathname.split('/').map((s, i, all) => {
    if (i < 3) return s; // '', 'api', 'v1'
    if (/^(users|groups|apps|zones|factors|transactions|roles|sessions|logs|lifecycle|me|verify|credentials|appLinks)$/.test(s)) return s;
    if (all[i - 1] === 'lifecycle') return s;
    return '{id}';
  });
  return `${method} ${segs.join('/')}`;
}

export function readRateHeaders(h: Record<string, string>): { limit?: number; remaining?: number; reset?: number } {
  const num = (v: string | undefined) => {
    if (v === undefined) return undefined;
    // Duplicate headers arrive joined with ", " (an Okta quirk): take the most conservative.
    const ns = v.split(',').map((x) => Number(x.trim())).filter((n) => Number.isFinite(n));
    return ns.length ? Math.min(...ns) : undefined;
  };
  return { limit: num(h['x-rate-limit-limit']), remaining: num(h['x-rate-limit-remaining']), reset: num(h['x-rate-limit-reset']) };
}

/** Server time minus local time, from a response's Date header (0 when there is none). */
export function clockSkew(h: Record<string, string>, localNow: number): number {
  const d = h.date ? Date.parse(h.date) : NaN;
  return Number.isFinite(d) ? d - localNow : 0;
}

/**
 * Keeps each bucket's use under `capacity` percent of what Okta reports, by waiting *before*
 * a request when the bucket is spent, instead of learning it from a 429.
 */
export class RateBudget {
  private buckets = new Map<string, Bucket>();
  private lowest?: RateLimitSnapshot;

  constructor(
    private clock: Clock,
    private capacityPct = 100,
  ) {}

  /** How long a request to `key` would have to wait now (ms), 0 when it may go. */
  waitFor(key: string): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const now = this.clock.now();
    if (now >= b.resetAt) {
      b.remaining = b.limit;
      b.resetAt = Infinity; // unknown until the next response says
      return 0;
    }
    const allowed = Math.max(1, Math.floor((b.limit * this.capacityPct) / 100));
    const used = b.limit - b.remaining;
    if (used + b.inflight < allowed) return 0;
    return b.resetAt === Infinity ? 0 : b.resetAt - now;
  }

  /** Waits until a request may go, then counts it in flight. Gives up past `maxWaitMs` (returns the wait it would need). */
  async acquire(key: string, maxWaitMs: number): Promise<{ waited: number; refusedFor?: number }> {
    let waited = 0;
    for (;;) {
      const w = this.waitFor(key);
      if (w <= 0) break;
      if (waited + w > maxWaitMs) return { waited, refusedFor: w };
      const jitter = Math.floor(Math.random() * 100);
      await this.clock.sleep(w + jitter);
      waited += w + jitter;
    }
    const b = this.buckets.get(key);
    if (b) b.inflight++;
    return { waited };
  }

  release(key: string): void {
    const b = this.buckets.get(key);
    if (b && b.inflight > 0) b.inflight--;
  }

  /** Learns from a response's X-Rate-Limit-* headers. */
  update(key: string, headers: Record<string, string>): void {
    const { limit, remaining, reset } = readRateHeaders(headers);
    if (limit === undefined || remaining === undefined || reset === undefined) return;
    const snap: RateLimitSnapshot = { 'x-rate-limit-limit': limit, 'x-rate-limit-remaining': remaining, 'x-rate-limit-reset': reset };
    if (!this.lowest || remaining <= (this.lowest['x-rate-limit-remaining'] ?? Infinity)) this.lowest = snap;
    if (limit === 0) return; // a concurrency 429 reports 0/0: not a bucket size
    const now = this.clock.now();
    const resetAt = reset * 1000 - clockSkew(headers, now);
    const b = this.buckets.get(key);
    if (b) {
      // Responses can arrive out of order: within one window keep the lowest remaining.
      if (resetAt > b.resetAt + 500 || b.resetAt === Infinity) b.remaining = remaining;
      else b.remaining = Math.min(b.remaining, remaining);
      b.limit = limit;
      b.resetAt = Math.max(b.resetAt === Infinity ? 0 : b.resetAt, resetAt);
    } else this.buckets.set(key, { limit, remaining, resetAt, inflight: 0 });
  }

  /** The most constrained bucket seen (lowest remaining): Okta.Metadata. */
  snapshot(): RateLimitSnapshot {
    return this.lowest ? { ...this.lowest } : {};
  }
}
