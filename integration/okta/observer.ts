/**
 * What the client lets the outside see of its work, for metrics: every answer from Okta, every
 * wait for a rate limit, every token minted. The client calls an observer it is handed (ClientDeps
 * → ClientOptions / OAuthAuthOptions) and knows nothing of what listens: serve turns the events
 * into Prometheus metrics, a test may count them. Events carry no secret and no id: a bucket is a
 * method and a path with every id folded to `{id}` (rate-budget.ts `bucketKey`).
 */

/** One attempt at an Okta endpoint: answered (any status), or failed before an answer came. */
export interface OktaExchangeEvent {
  /** The endpoint's rate-limit bucket, e.g. `POST /api/v1/users/{id}/lifecycle/suspend`. */
  bucket: string;
  /** The HTTP status, or 0 when no answer came (network failure, timeout). */
  status: number;
  /** Time on the wire (ms). */
  ms: number;
  /** The answer's X-Rate-Limit-* headers, when it had them (reset: epoch seconds, Okta's clock). */
  rate?: { limit: number; remaining: number; reset?: number };
}

/** Why a request waited before going (again). */
export type OktaWaitReason = 'budget' | 'rate_limit' | 'concurrency';

export interface OktaWaitEvent {
  bucket: string;
  ms: number;
  /** `budget`: our own share of the bucket was spent, so it waited before sending; `rate_limit` / `concurrency`: Okta answered 429. */
  reason: OktaWaitReason;
}

export interface OktaTokenEvent {
  /** The token is bound to a DPoP key. */
  dpop: boolean;
}

/** Every method is optional; a throwing observer never breaks a request (see `notify`). */
export interface OktaObserver {
  exchange?(e: OktaExchangeEvent): void;
  waited?(e: OktaWaitEvent): void;
  tokenMinted?(e: OktaTokenEvent): void;
}

/** An answer's rate headers (rate-budget `readRateHeaders`) as an exchange event carries them: none when Okta sent none. */
export function rateOf({ limit, remaining, reset }: { limit?: number; remaining?: number; reset?: number }): Pick<OktaExchangeEvent, 'rate'> {
  return limit !== undefined && remaining !== undefined ? { rate: { limit, remaining, reset } } : {};
}

/** Tells the observer, if any; whatever it does wrong stays with it. */
export function notify<K extends keyof OktaObserver>(observer: OktaObserver | undefined, kind: K, event: Parameters<NonNullable<OktaObserver[K]>>[0]): void {
  const fn = observer?.[kind] as ((e: typeof event) => void) | undefined;
  if (!fn) return;
  try {
    fn.call(observer, event);
  } catch {
    /* metrics must never fail a call to Okta */
  }
}
