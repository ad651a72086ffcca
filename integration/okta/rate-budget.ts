import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../base/clock.js';
import { MemoryStore, type StateStore } from '../state/store.js';
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

/**
 * One bucket as every process sharing the state sees it (the store's value, JSON). Times are
 * epoch ms on the local clock of whoever wrote them: processes of one state share a clock (one
 * machine) or keep theirs in step (NTP), and a wrong guess costs a wait or a 429, never more.
 */
interface Bucket {
  /** Undefined until a response reports it. */
  limit?: number;
  remaining: number;
  /** The window's reset as Okta reported it (server epoch seconds); 0 when unknown. */
  reset: number;
  /** The same on the local clock (ms); null when unknown (before the first answer, after a window ends). */
  resetAt: number | null;
  /** A response came back without rate-limit headers: nothing to go by, so nothing is held back. */
  unmetered?: boolean;
  /**
   * Requests let through and not answered yet, by ticket, with the time after which a ticket
   * no longer counts (its process was killed before it could record the answer).
   */
  held: Record<string, number>;
}

function emptyBucket(): Bucket {
  return { remaining: 0, reset: 0, resetAt: null, held: {} };
}

function parseBucket(text: string | undefined): Bucket {
  if (!text) return emptyBucket();
  try {
    const b = JSON.parse(text) as Partial<Bucket>;
    return {
      ...(typeof b.limit === 'number' ? { limit: b.limit } : {}),
      remaining: typeof b.remaining === 'number' ? b.remaining : 0,
      reset: typeof b.reset === 'number' ? b.reset : 0,
      resetAt: typeof b.resetAt === 'number' ? b.resetAt : null,
      ...(b.unmetered === true ? { unmetered: true } : {}),
      held: b.held && typeof b.held === 'object' ? (b.held as Record<string, number>) : {},
    };
  } catch {
    return emptyBucket(); // unreadable: start over, as after a restart
  }
}

/** Tickets still counting at `now`: a killed process's reservations expire. */
function inflight(b: Bucket, now: number): number {
  let n = 0;
  for (const [t, until] of Object.entries(b.held)) {
    if (until > now) n++;
    else delete b.held[t];
  }
  return n;
}

export type Acquired =
  | { waited: number; ticket: string; refused?: undefined; abandoned?: undefined }
  | { waited: number; refused: { waitMs: number; resetAt: number; reset: number }; ticket?: undefined; abandoned?: undefined }
  /** The caller's signal fired while waiting: nothing is counted in flight. */
  | { waited: number; abandoned: true; ticket?: undefined; refused?: undefined };

/** Extra time after a window's reset before the next request goes (the reset is rounded to seconds). */
export const RESET_MARGIN_MS = 250;

/** How often a process waiting for another process's answer looks at the shared bucket again. */
const POLL_MS = 40;

/** The store key of one bucket of one org. */
function bucketStateKey(origin: string, key: string): string {
  return `rate-${createHash('sha256').update(`${origin}\n${key}`).digest('hex').slice(0, 40)}`;
}

export interface RateBudgetOptions {
  clock: Clock;
  /** Percent (1–100) of each bucket's reported limit we allow ourselves. */
  capacityPct?: number;
  /** Random extra wait (0..1) after a reset, so parallel clients do not all arrive at once. */
  random?: () => number;
  /**
   * Where the buckets live. A store other processes see (files, Redis) makes one budget of every
   * process sharing it; a process-only store (memory, the default) keeps the budget to this client.
   */
  state?: StateStore;
  /** The org the buckets belong to (part of the store key). */
  origin?: string;
  /** How long a request let through counts in flight at most, when its answer is never recorded. */
  holdMs?: number;
}

/**
 * Keeps each bucket's use under `capacityPct` percent of what Okta reports, by waiting *before*
 * a request when the bucket's share is spent, instead of learning it from a 429.
 *
 * Concurrent requests count: a request let through is in flight until its answer is recorded,
 * and counts against the share like a request Okta has already counted. The first request to a
 * bucket nobody has heard of goes alone; the others wait for its answer (which says how big
 * the bucket is). When a window ends the next one is unknown: at most the share goes out until
 * an answer reports the new window. Answers may come back out of order: an answer of an
 * earlier window never overwrites a later one, and within a window the lowest `remaining` wins.
 *
 * Every process sharing a state keeps one budget: each bucket is a value of the state store,
 * and `acquire` (reserve before a request) and `record` (what Okta's headers said after it) are
 * each one atomic `update` of it, so a crowd of processes waits before Okta says 429.
 */
export class RateBudget {
  /** The last value seen of each bucket: Okta.Metadata, and waits reported without a store round trip. */
  private seen = new Map<string, Bucket>();
  /** Acquirers of this process waiting for an answer in a bucket (not for time to pass). */
  private waiters = new Map<string, Array<() => void>>();
  /** Last server-minus-local offset seen in a `Date` header: used for answers without one. */
  private skew = 0;
  private readonly clock: Clock;
  private readonly capacityPct: number;
  private readonly random: () => number;
  private readonly state: StateStore;
  private readonly origin: string;
  private readonly holdMs: number;
  private tickets = 0;
  /** Per bucket, the end of this process's line of acquirers. */
  private gates = new Map<string, Promise<void>>();
  private readonly tag = randomBytes(6).toString('hex');

  constructor(opts: RateBudgetOptions) {
    this.clock = opts.clock;
    this.capacityPct = opts.capacityPct ?? 100;
    this.random = opts.random ?? Math.random;
    this.state = opts.state && opts.state.scope !== 'process' ? opts.state : new MemoryStore();
    this.origin = opts.origin ?? '';
    this.holdMs = opts.holdMs ?? 120_000;
  }

  /** Whether other processes share these buckets. */
  get shared(): boolean {
    return this.state.scope !== 'process';
  }

  /** The requests a bucket allows us in one window. */
  share(limit: number): number {
    return Math.max(1, Math.floor((limit * this.capacityPct) / 100));
  }

  /** 'go', a time to wait (ms), or 'answer' (wait until a request in flight is answered). */
  private decide(b: Bucket, now: number): 'go' | 'answer' | number {
    if (b.unmetered) return 'go';
    const flying = inflight(b, now);
    if (b.limit === undefined) return flying === 0 ? 'go' : 'answer';
    if (b.resetAt !== null && now >= b.resetAt) {
      // The window is over; the next one starts with our next request. Its size is probably the same.
      b.remaining = b.limit;
      b.resetAt = null;
    }
    const used = b.limit - b.remaining;
    if (used + flying < this.share(b.limit)) return 'go';
    if (b.resetAt !== null) return b.resetAt - now;
    // Window unknown: only answers can tell more. With nothing in flight, nothing will: go.
    return flying > 0 ? 'answer' : 'go';
  }

  /** How long a request to `key` would wait for time to pass now (ms); 0 when it may go or only waits for an answer. */
  async waitFor(key: string): Promise<number> {
    const b = parseBucket(await this.state.get(bucketStateKey(this.origin, key)));
    const d = this.decide(b, this.clock.now());
    return typeof d === 'number' ? d : 0;
  }

  /**
   * Waits until a request to `key` may go, then counts it in flight under a ticket (hand the
   * ticket to `record` when its answer is in, or it failed). Refuses, without waiting, when the
   * wait would pass `maxWaitMs`: the answer then says for how long the bucket is spent.
   */
  async acquire(key: string, maxWaitMs: number, onWait?: (ms: number) => void, signal?: AbortSignal): Promise<Acquired> {
    const start = this.clock.now();
    // This process's requests to one bucket decide one after another: the store sees one of them at
    // a time, and a request decides only after the one before it has gone (or given up).
    const prev = this.gates.get(key) ?? Promise.resolve();
    let open!: () => void;
    const mine = new Promise<void>((r) => (open = r));
    const chain = prev.then(() => mine);
    this.gates.set(key, chain);
    try {
      if (!(await untilOrAbort(prev, signal))) return { waited: this.clock.now() - start, abandoned: true };
      return await this.decideLoop(key, start, maxWaitMs, onWait, signal);
    } finally {
      // An abandoned place in the line opens once the one before it has: order is kept.
      void prev.then(open);
      if (this.gates.get(key) === chain) void chain.then(() => this.gates.get(key) === chain && this.gates.delete(key));
    }
  }

  private async decideLoop(key: string, start: number, maxWaitMs: number, onWait?: (ms: number) => void, signal?: AbortSignal): Promise<Acquired> {
    const skey = bucketStateKey(this.origin, key);
    for (;;) {
      if (signal?.aborted) return { waited: this.clock.now() - start, abandoned: true };
      const now = this.clock.now();
      const ticket = `${this.tag}-${++this.tickets}`;
      const { d, b } = await this.state.update<{ d: 'go' | 'answer' | number; b: Bucket }>(skey, (cur) => {
        const b = parseBucket(cur);
        const d = this.decide(b, now);
        if (d !== 'go') return { result: { d, b } };
        b.held[ticket] = now + this.holdMs;
        return { value: JSON.stringify(b), result: { d, b }, durable: false };
      });
      this.seen.set(key, b);
      if (d === 'go') return { waited: now - start, ticket };
      if (d === 'answer') {
        await this.answerOrPoll(key, signal);
        continue;
      }
      const wait = d + RESET_MARGIN_MS + Math.floor(this.random() * RESET_MARGIN_MS);
      if (now - start + wait > maxWaitMs) return { waited: now - start, refused: { waitMs: wait, resetAt: b.resetAt ?? Infinity, reset: b.reset } };
      onWait?.(wait);
      await this.clock.sleep(wait, signal);
    }
  }

  /**
   * Until this process records an answer in the bucket, or (when other processes share it) a
   * short poll interval has passed: their answers reach us only through the store.
   */
  private answerOrPoll(key: string, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const list = this.waiters.get(key) ?? [];
      list.push(done);
      this.waiters.set(key, list);
      signal?.addEventListener('abort', done, { once: true });
      if (this.shared) timer = setTimeout(done, POLL_MS + Math.floor(this.random() * POLL_MS));
    });
  }

  private wake(key: string): void {
    const w = this.waiters.get(key);
    if (!w) return;
    this.waiters.delete(key);
    for (const r of w) r();
  }

  /** Local epoch ms at which a reset (server epoch seconds) happens, going by the `Date` header when there is one. */
  toLocal(reset: number, headers: Record<string, string>, localNow = this.clock.now()): number {
    const s = clockSkew(headers, localNow);
    if (s !== undefined) this.skew = s;
    return reset * 1000 - this.skew;
  }

  /**
   * The request let through under `ticket` is over: learns from its answer's X-Rate-Limit-*
   * headers (none when it failed before an answer) and stops counting it in flight.
   */
  async record(key: string, ticket: string | undefined, headers?: Record<string, string>): Promise<void> {
    const r = headers ? readRateHeaders(headers) : undefined;
    const resetAt = r?.reset !== undefined && headers ? this.toLocal(r.reset, headers) : null;
    try {
      const b = await this.state.update(bucketStateKey(this.origin, key), (cur) => {
        const b = parseBucket(cur);
        if (ticket) delete b.held[ticket];
        if (r) learn(b, r, resetAt);
        return { value: JSON.stringify(b), result: b, durable: false };
      });
      this.seen.set(key, b);
    } finally {
      this.wake(key);
    }
  }

  /** The bucket seen that is closest to being spent (lowest remaining share): Okta.Metadata. */
  snapshot(): RateLimitSnapshot {
    let best: RateLimitSnapshot | undefined;
    for (const b of this.seen.values()) {
      if (b.limit === undefined || b.reset === 0) continue;
      best = moreConstrained(best, b.limit, b.remaining, b.reset);
    }
    return best ?? {};
  }
}

/** Resolves true when `p` settles, false as soon as `signal` fires. */
function untilOrAbort(p: Promise<void>, signal?: AbortSignal): Promise<boolean> {
  if (!signal) return p.then(() => true);
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
  });
}

/** What one answer's headers teach about its bucket (the rules of the class comment). */
function learn(b: Bucket, r: RateHeaders, resetAt: number | null): void {
  if (r.limit === undefined || r.remaining === undefined) {
    // No headers at all (a proxy's answer, a test double): nothing will ever tell us the size.
    if (b.limit === undefined && r.limit === undefined && r.remaining === undefined && r.reset === undefined) b.unmetered = true;
    return;
  }
  if (isConcurrencyLimit(r)) return; // not about this bucket's size
  delete b.unmetered;
  b.limit = r.limit;
  if (r.reset === undefined) b.remaining = r.remaining; // no window to place it in: the latest word
  else if (r.reset > b.reset) {
    // A later window (or the first we hear of).
    b.reset = r.reset;
    b.resetAt = resetAt;
    b.remaining = r.remaining;
  } else if (r.reset === b.reset) {
    b.remaining = Math.min(b.remaining, r.remaining);
    if (b.resetAt === null) b.resetAt = resetAt; // we had rolled it over early (clock skew): Okta says it is still on
  }
  // r.reset < b.reset: an answer from an earlier window arriving late; it says nothing about this one.
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
