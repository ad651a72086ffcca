/**
 * Okta-style rate limits: one fixed window per bucket that starts with the first request in it
 * (not aligned to the minute) and resets at `X-Rate-Limit-Reset` (epoch seconds, rounded up so
 * a client that waits until then always finds a fresh window).
 */

export interface RateLimitConfig {
  limit: number;
  windowMs: number;
}

/** Okta's endpoint groups, named after what they cover. */
export const BUCKETS = ['logs', 'users', 'user', 'user-write', 'groups', 'group', 'apps', 'app', 'zones', 'other', 'token'] as const;
export type BucketName = (typeof BUCKETS)[number];

/** Generous defaults: tests and benchmarks should only see 429s they ask for. */
export const DEFAULT_RATE_LIMIT: RateLimitConfig = { limit: 100_000, windowMs: 60_000 };

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds. */
  reset: number;
  /** The first refusal in this window: Okta writes one violation event per bucket and window. */
  firstRefusal?: true;
  /** The bucket's window length, for that event. */
  windowMs: number;
}

export class RateLimiter {
  private readonly config = new Map<string, RateLimitConfig>();
  private readonly windows = new Map<string, { start: number; count: number; violated?: boolean }>();

  constructor(
    private readonly now: () => number,
    initial: Record<string, RateLimitConfig> = {},
  ) {
    for (const [k, v] of Object.entries(initial)) this.set(k, v);
  }

  set(bucket: string, cfg: RateLimitConfig): void {
    if (!(cfg.limit >= 0) || !(cfg.windowMs > 0)) throw new Error(`Invalid rate limit for ${bucket}: ${JSON.stringify(cfg)}`);
    this.config.set(bucket, { ...cfg });
    this.windows.delete(bucket);
  }

  get(bucket: string): RateLimitConfig {
    return this.config.get(bucket) ?? DEFAULT_RATE_LIMIT;
  }

  /** Forget all counts (tests). */
  reset(): void {
    this.windows.clear();
  }

  /** Counts one request against the bucket and says whether it may proceed. */
  take(bucket: string): RateDecision {
    const cfg = this.get(bucket);
    const now = this.now();
    let w = this.windows.get(bucket);
    if (!w || now >= w.start + cfg.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(bucket, w);
    }
    const reset = Math.ceil((w.start + cfg.windowMs) / 1000);
    if (w.count >= cfg.limit) {
      const first = !w.violated;
      w.violated = true;
      return { allowed: false, limit: cfg.limit, remaining: 0, reset, windowMs: cfg.windowMs, ...(first ? { firstRefusal: true as const } : {}) };
    }
    w.count++;
    return { allowed: true, limit: cfg.limit, remaining: Math.max(0, cfg.limit - w.count), reset, windowMs: cfg.windowMs };
  }
}
