import type { Clock } from '../base/clock.js';
import type { StateStore } from '../state/store.js';
import type { OktaObserver } from './observer.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export type QueryValue = string | number | boolean | undefined | null;

/** A request as handlers describe it: a path template and values, never a raw URL. */
export interface OktaRequest {
  method: HttpMethod;
  /** Path template on the org, e.g. `/api/v1/users/{id}/lifecycle/suspend`. */
  path: string;
  /** Values for `{name}` placeholders; each is validated and percent-encoded as one segment. */
  pathParams?: Record<string, string>;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Extra headers (never Authorization). */
  headers?: Record<string, string>;
  /**
   * Safe to send twice? Defaults: GET/PUT/DELETE yes, POST/PATCH no. A POST that Okta treats
   * as idempotent (lifecycle transitions, which answer 400 when repeated) may say so.
   */
  idempotent?: boolean;
  /** Expect a non-JSON body (Okta answers some PUT/DELETE with empty text). */
  responseType?: 'json' | 'text';
}

export interface OktaResponse<T = unknown> {
  status: number;
  data: T;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The `Link: rel="next"` URL, exactly as Okta sent it. */
  nextUrl?: string;
  /**
   * Whether the body is an empty JSON list, known without parsing it (undefined: not known).
   * A caller paging through a list sends the next request before parsing a page it knows is
   * not empty, so parsing overlaps Okta's work on the next page.
   */
  emptyList?: boolean;
  /**
   * The body text `data` was parsed from, once `data` has been read (only when it parsed to a list
   * or an object). Lists are redacted by a gate that reads this text instead of walking the data.
   */
  text?: string;
}

export interface RateLimitSnapshot {
  'x-rate-limit-limit'?: number;
  'x-rate-limit-remaining'?: number;
  'x-rate-limit-reset'?: number;
}

/** What a handler may do with Okta. Handlers never see axios, URLs of other hosts, or credentials. */
export interface OktaClient {
  /** The org origin, e.g. `https://acme.okta.com` (for readable output only). */
  readonly origin: string;
  request<T = unknown>(req: OktaRequest): Promise<OktaResponse<T>>;
  /**
   * GET an absolute URL that Okta itself gave us (a `next` link, a poll link). Refused unless it
   * is on the configured origin and its path matches `allowedPath` when one is given.
   */
  requestUrl<T = unknown>(method: HttpMethod, url: string, opts?: RequestUrlOptions): Promise<OktaResponse<T>>;
  /** Pages of a list, following `Link: rel="next"` as an opaque URL. Stops when the caller stops. */
  pages<T = unknown>(first: OktaRequest | { url: string }): AsyncGenerator<OktaResponse<T[]>, void, undefined>;
  /** Rate-limit headers of the most constraining response seen (lowest remaining). */
  rateLimit(): RateLimitSnapshot;
  /** Number of HTTP requests sent so far (retries included). */
  readonly requestCount: number;
}

export interface RequestUrlOptions {
  allowedPath?: RegExp;
  body?: unknown;
  /**
   * The caller no longer wants the answer (a page read ahead that nobody will read): no further
   * attempt, retry or wait is made, the one on the wire is cut, and the promise rejects.
   */
  signal?: AbortSignal;
  /**
   * Called when the request is handed to the transport, its credentials and rate budget settled
   * (on each attempt). A caller reading ahead waits for it before a long synchronous step (parsing
   * a page): a budget kept in a state directory or Redis needs a few turns of the event loop.
   */
  onWire?: () => void;
}

/** What goes out on the wire. The transport knows proxy/TLS/timeout, never auth. */
export interface WireRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  /** Already serialised body (JSON text or form-encoded text). */
  data?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  /** Raw body text. */
  body: string;
}

/** Sends one HTTP exchange. No retries, no redirects, no auth. Network failures reject. */
export type Transport = (req: WireRequest) => Promise<WireResponse>;

/**
 * Puts credentials on requests. SSWS adds a header; OAuth mints, caches and binds tokens.
 * Implementations must never let a secret reach an error message.
 */
export interface AuthProvider {
  readonly kind: 'api_token' | 'oauth' | 'user';
  /** Headers to add to a request for exactly this method and URL (DPoP proofs depend on both). */
  authorize(method: HttpMethod, url: string): Promise<Record<string, string>>;
  /**
   * Looks at an error answer from the API. Returns 'retry' when it changed something that makes a
   * second attempt worthwhile (new token after invalid_token, a DPoP nonce, DPoP switched on);
   * the client retries at most once per request for auth reasons.
   */
  onAuthFailure(res: WireResponse, req: { method: HttpMethod; url: string }): Promise<'retry' | 'fail'>;
  /**
   * Sees a successful answer that carries a `DPoP-Nonce` header: a server may hand out its next
   * nonce with any answer (RFC 9449 §8.2), and using it saves the next request a 401 round trip.
   */
  onNonce?(res: WireResponse): Promise<void>;
  /** Scopes the provider will request (OAuth) or undefined (API token: scopes do not apply). */
  readonly scopes?: readonly string[];
  /** Details for test-module: token type, granted scopes. */
  describe?(): Promise<Record<string, unknown>>;
  /** Forget cached tokens (okta-auth-reset). */
  reset?(opts?: { dpopKey?: boolean }): Promise<void>;
}

export interface ClientOptions {
  origin: string;
  auth: AuthProvider;
  transport: Transport;
  clock: Clock;
  state: StateStore;
  userAgent: string;
  /** Retries after a 5xx or a network failure, for requests safe to repeat. */
  maxRetries: number;
  /** Deadline for one attempt (a retry gets a new one). */
  timeoutMs: number;
  /** Longest one request waits because Okta's rate limit is spent; past it, RateLimitError says until when. */
  maxWaitMs: number;
  /** Percent (1–100) of each bucket's reported limit we allow ourselves. */
  maxApiCapacity: number;
  /** Called with one line of redacted debug text per request when debugging. */
  debug?: (line: string) => void;
  /** Warnings for the user (stderr in the CLI). */
  warn?: (line: string) => void;
  /** Sees every answer, rate-limit wait and token mint (metrics); never told a secret. */
  observer?: OktaObserver;
}
