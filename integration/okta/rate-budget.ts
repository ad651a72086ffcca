import type { Clock } from '../base/clock.js';
import type { RateLimitSnapshot } from './types.js';

/**
 * Okta's rate limits, as the client sees them (reference/okta-api.md §2.6): every response
 * carries X-Rate-Limit-Limit/Remaining/Reset (epoch seconds) for the bucket of its endpoint;
 * windows are not aligned to the minute; a concurrency 429 reports 0/0.
 */

/** Path words kept as they are; every other segment at an id position is folded to `{id}`. */
const WORDS = /^(me|lifecycle|default|current)$/;

/**
 * The name a request's rate-limit bucket is tracked under: method and path with ids folded
 * (`GET /api/v1/users/{id}/groups`). Okta paths alternate collection and id
 * (`/api/v1/users/{id}/factors/{id}/verify`), so ids sit at even offsets after `/api/v1/`;
 * `lifecycle/<action>` and `me` are words. Never coarser than Okta's own buckets: merging two
 * buckets would mix their windows, while splitting one only costs an occasional 429 (handled).
 */
export function bucketKey(method: string, pathname: string): string {
  const segs = pathname.split('/');
  const out = segs.map((s, i) => {
    if (i < 4 || s === '') return s; // '', 'api', 'v1', the collection
    if (WORDS.test(s) || segs[i - 1] === 'lifecycle') return s;
    return (i - 4) % 2 === 0 ? '{id}' : s;
  });
  return `${method.toUpperCase()} ${out.join('/')}`;
}

export interface RateHeaders {
  limit?: number;
  remaining?: number;
  /** Epoch seconds (the server's clock). */
  reset?: number;
}

export function readRateHeaders(h: Record<string, string>): RateHeaders {
  const num = (v: string | undefined) => {
    if (v === undefined) return undefined;
    // Duplicate headers arrive joined with ", " (OKTA-112507): take the most conservative.
    const ns = v
      .split(',')
      .map((x) => x.trim())
      .filter((x) => /^\d+(\.\d+)?$/.test(x))
      .map(Number);
    return ns.length ? Math.min(...ns) : undefined;
  };
  return { limit: num(h['x-rate-limit-limit']), remaining: num(h['x-rate-limit-remaining']), reset: num(h['x-rate-limit-reset']) };
}

/** Server time minus local time from a response's `Date` header, or undefined when there is none. */
export function clockSkew(h: Record<string, string>, localNow: number): number | undefined {
  const d = h.date ? Date.parse(h.date) : NaN;
  return Number.isFinite(d) ? d - localNow : undefined;
}

/** Retry-After (seconds or an HTTP date) in ms from now, when present and sane. */
export function retryAfterMs(h: Record<string, string>, now: number): number | undefined {
  const v = h['retry-after']?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

/** A concurrency 429 (too many requests in flight org-wide) reports limit and remaining 0. */
export function isConcurrencyLimit(r: RateHeaders): boolean {
  return r.limit === 0 && r.remaining === 0;
}

interface Bucket {
  /** Undefined until a response reports it. */
  limit?: number;
  remaining: number;
  /** The window's reset as Okta reported it (server epoch seconds); 0 when unknown. */
  reset: number;
  /** The same on the local clock (ms); Infinity when unknown (before the first answer, after a window ends). */
  resetAt: number;
  /** Requests let through and not answered yet. */
  inflight: number;
  /** A response came back without rate-limit headers: nothing to go by, so nothing is held back. */
  unmetered: boolean;
  /** Acquirers waiting for an answer in this bucket (not for time to pass). */
  waiters: Array<() => void>;
}

export type Acquired =
  | { waited: number; refused?: undefined; abandoned?: undefined }
  | { waited: number; refused: { waitMs: number; resetAt: number; reset: number }; abandoned?: undefined }
  /** The caller's signal fired while waiting: nothing is counted in flight. */
  | { waited: number; refused?: undefined; abandoned: true };

/** Extra time after a window's reset before the next request goes (the reset is rounded to seconds). */
export const RESET_MARGIN_MS = 250;

/**
 * Keeps each bucket's use under `capacityPct` percent of what Okta reports, by waiting *before*
 * a request when the bucket's share is spent, instead of learning it from a 429.
 *
 * Concurrent requests count: a request let through is in flight until its answer is seen, and
 * counts against the share like a request Okta has already counted. The first request to a
 * bucket nobody has heard of goes alone; the others wait for its answer (which says how big
 * the bucket is). When a window ends the next one is unknown: at most the share goes out until
 * an answer reports the new window. Answers may come back out of order: an answer of an
 * earlier window never overwrites a later one, and within a window the lowest `remaining` wins.
 */
export class RateBudget {
  private buckets = new Map<string, Bucket>();
  /** Last server-minus-local offset seen in a `Date` header: used for answers without one. */
  private skew = 0;

  constructor(
    private clock: Clock,
    private capacityPct = 100,
    /** Random extra wait (0..1) after a reset, so parallel clients do not all arrive at once. */
    private random: () => number = Math.random,
  ) {}

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { remaining: 0, reset: 0, resetAt: Infinity, inflight: 0, unmetered: false, waiters: [] };
      this.buckets.set(key, b);
    }
    return b;
  }

  /** The requests a bucket allows us in one window. */
  share(limit: number): number {
    return Math.max(1, Math.floor((limit * this.capacityPct) / 100));
  }

  /** 'go', a time to wait (ms), or 'answer' (wait until a request in flight is answered). */
  private decide(b: Bucket, now: number): 'go' | 'answer' | number {
    if (b.unmetered) return 'go';
    if (b.limit === undefined) return b.inflight === 0 ? 'go' : 'answer';
    if (now >= b.resetAt) {
      // The window is over; the next one starts with our next request. Its size is probably the same.
      b.remaining = b.limit;
      b.resetAt = Infinity;
    }
    const used = b.limit - b.remaining;
    if (used + b.inflight < this.share(b.limit)) return 'go';
    if (b.resetAt !== Infinity) return b.resetAt - now;
    // Window unknown: only answers can tell more. With nothing in flight, nothing will: go.
    return b.inflight > 0 ? 'answer' : 'go';
  }

  /** How long a request to `key` would wait for time to pass now (ms); 0 when it may go or only waits for an answer. */
  waitFor(key: string): number {
    const d = this.decide(this.bucket(key), this.clock.now());
    return typeof d === 'number' ? d : 0;
  }

  /**
   * Waits until a request to `key` may go, then counts it in flight (call `release` when its
   * answer is in, or it failed). Refuses, without waiting, when the wait would pass
   * `maxWaitMs`: the answer then says for how long the bucket is spent.
   */
  async acquire(key: string, maxWaitMs: number, onWait?: (ms: number) => void, signal?: AbortSignal): Promise<Acquired> {
    const start = this.clock.now();
    for (;;) {
      if (signal?.aborted) return { waited: this.clock.now() - start, abandoned: true };
      const b = this.bucket(key);
      const now = this.clock.now();
      const d = this.decide(b, now);
      if (d === 'go') {
        b.inflight++;
        return { waited: now - start };
      }
      if (d === 'answer') {
        await new Promise<void>((resolve) => b.waiters.push(resolve));
        continue;
      }
      const wait = d + RESET_MARGIN_MS + Math.floor(this.random() * RESET_MARGIN_MS);
      if (now - start + wait > maxWaitMs) return { waited: now - start, refused: { waitMs: wait, resetAt: b.resetAt, reset: b.reset } };
      onWait?.(wait);
      await this.clock.sleep(wait, signal);
    }
  }

  /** The request let through by `acquire` is over (answered or failed). */
  release(key: string): void {
    const b = this.buckets.get(key);
    if (!b) return;
    if (b.inflight > 0) b.inflight--;
    this.wake(b);
  }

  private wake(b: Bucket): void {
    const w = b.waiters;
    b.waiters = [];
    for (const r of w) r();
  }

  /** Local epoch ms at which a reset (server epoch seconds) happens, going by the `Date` header when there is one. */
  toLocal(reset: number, headers: Record<string, string>, localNow = this.clock.now()): number {
    const s = clockSkew(headers, localNow);
    if (s !== undefined) this.skew = s;
    return reset * 1000 - this.skew;
  }

  /** Learns from an answer's X-Rate-Limit-* headers (call before `release`, or right after it). */
  update(key: string, headers: Record<string, string>): void {
    const b = this.bucket(key);
    const r = readRateHeaders(headers);
    if (r.limit === undefined || r.remaining === undefined) {
      // No headers at all (a proxy's answer, a test double): nothing will ever tell us the size.
      if (b.limit === undefined && r.limit === undefined && r.remaining === undefined && r.reset === undefined) b.unmetered = true;
      this.wake(b);
      return;
    }
    if (isConcurrencyLimit(r)) {
      this.wake(b); // not about this bucket's size
      return;
    }
    b.unmetered = false;
    b.limit = r.limit;
    const resetAt = r.reset !== undefined ? this.toLocal(r.reset, headers) : Infinity;
    if (r.reset === undefined) b.remaining = r.remaining; // no window to place it in: the latest word
    else if (r.reset > b.reset) {
      // A later window (or the first we hear of).
      b.reset = r.reset;
      b.resetAt = resetAt;
      b.remaining = r.remaining;
    } else if (r.reset === b.reset) {
      b.remaining = Math.min(b.remaining, r.remaining);
      if (b.resetAt === Infinity) b.resetAt = resetAt; // we had rolled it over early (clock skew): Okta says it is still on
    }
    // r.reset < b.reset: an answer from an earlier window arriving late; it says nothing about this one.
    this.wake(b);
  }

  /** The bucket seen that is closest to being spent (lowest remaining share): Okta.Metadata. */
  snapshot(): RateLimitSnapshot {
    let best: RateLimitSnapshot | undefined;
    for (const b of this.buckets.values()) {
      if (b.limit === undefined || b.reset === 0) continue;
      best = moreConstrained(best, b.limit, b.remaining, b.reset);
    }
    return best ?? {};
  }
}

/**
 * Okta.Metadata's rule, for a client's buckets and for one command's responses alike: keep the
 * bucket closest to being spent (lowest remaining share; on a tie, fewer requests left). A
 * concurrency 429's 0/0 is not a bucket size and is never kept.
 */
export function moreConstrained(current: RateLimitSnapshot | undefined, limit: number, remaining: number, reset: number): RateLimitSnapshot | undefined {
  if (limit <= 0) return current;
  const cur = current?.['x-rate-limit-limit'] ? current['x-rate-limit-remaining']! / current['x-rate-limit-limit'] : Infinity;
  const frac = remaining / limit;
  if (frac < cur || (frac === cur && remaining < (current?.['x-rate-limit-remaining'] ?? Infinity)))
    return { 'x-rate-limit-limit': limit, 'x-rate-limit-remaining': remaining, 'x-rate-limit-reset': reset };
  return current;
}
