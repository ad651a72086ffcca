import { AuthError, NetworkError, OktaApiError, RateLimitError, SecurityError, type OktaErrorCause } from '../base/errors.js';
import { redactString } from '../base/redact.js';
import { parseLinks } from './link.js';
import { bucketKey, isConcurrencyLimit, RateBudget, readRateHeaders, retryAfterMs } from './rate-budget.js';
import { notify, rateOf } from './observer.js';
import { Semaphore } from './semaphore.js';
import { failureKind } from './transport.js';
import { buildQuery, checkOwnUrl, fillPath } from './url.js';
import type { ClientOptions, HttpMethod, OktaClient, OktaRequest, OktaResponse, RateLimitSnapshot, RequestUrlOptions, WireResponse } from './types.js';

function isIdempotent(method: HttpMethod, flag?: boolean): boolean {
  return flag ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
}

/** Why a request that may have reached Okta was not sent again. */
function notRepeated(method: HttpMethod): string {
  return `Not retried: a ${method} that may have reached Okta is not sent twice (it may have taken effect); check before running the command again`;
}

function exhausted(e: Error, failures: number): Error {
  if (failures > 0) e.message += ` (gave up after ${failures + 1} attempts)`;
  return e;
}

function parseBody(res: WireResponse): unknown {
  if (!res.body) return undefined;
  const ct = res.headers['content-type'] ?? '';
  if (ct.includes('json') || /^\s*[[{]/.test(res.body)) {
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      return res.body;
    }
  }
  return res.body;
}

/** A body that is an empty JSON list (`[]`, maybe with white space): tested without parsing. */
const EMPTY_LIST = /^\s*\[\s*\]\s*$/;

/**
 * A 2xx answer whose body is parsed on first use of `data` (then kept as a plain property), so a
 * caller can send the next page's request before paying for this page's JSON.parse.
 */
function okResponse<T>(res: WireResponse, nextUrl: string | undefined): OktaResponse<T> {
  const out: Omit<OktaResponse<T>, 'data'> = { status: res.status, headers: res.headers };
  if (nextUrl) out.nextUrl = nextUrl;
  out.emptyList = res.body.length < 64 && EMPTY_LIST.test(res.body);
  const settle = (value: T, parsed: boolean): T => {
    Object.defineProperty(out, 'data', { value, writable: true, enumerable: true, configurable: true });
    // The text a JSON list or object was parsed from: the redaction gate reads it instead of walking the data.
    if (parsed && value !== null && typeof value === 'object') Object.defineProperty(out, 'text', { value: res.body, writable: true, enumerable: false, configurable: true });
    return value;
  };
  Object.defineProperty(out, 'data', {
    enumerable: true,
    configurable: true,
    get: () => settle(parseBody(res) as T, true),
    set: (value: T) => void settle(value, false),
  });
  return out as OktaResponse<T>;
}

/**
 * The Okta client: auth header → rate budget → transport → retry/backoff → typed error.
 * It never follows redirects, never sends credentials off the configured origin, and never
 * knows which command called it.
 */
export class OktaHttpClient implements OktaClient {
  readonly origin: string;
  private budget: RateBudget;
  private sem: Semaphore;
  private sent = 0;

  private random: () => number;

  constructor(private opts: ClientOptions & { maxConcurrency?: number; random?: () => number }) {
    this.origin = opts.origin;
    this.random = opts.random ?? Math.random;
    this.budget = new RateBudget({
      clock: opts.clock,
      capacityPct: opts.maxApiCapacity,
      random: this.random,
      state: opts.state,
      origin: opts.origin,
      // A reservation whose answer never comes (its process was killed) stops counting after this.
      holdMs: opts.timeoutMs + 30_000,
    });
    this.sem = new Semaphore(opts.maxConcurrency ?? 8);
  }

  get requestCount(): number {
    return this.sent;
  }

  rateLimit(): RateLimitSnapshot {
    return this.budget.snapshot();
  }

  async request<T = unknown>(req: OktaRequest): Promise<OktaResponse<T>> {
    const url = this.origin + fillPath(req.path, req.pathParams) + buildQuery(req.query);
    return this.send<T>(req.method, url, req.body, isIdempotent(req.method, req.idempotent), req.headers);
  }

  async requestUrl<T = unknown>(method: HttpMethod, url: string, opts: RequestUrlOptions = {}): Promise<OktaResponse<T>> {
    const u = checkOwnUrl(this.origin, url, opts.allowedPath);
    return this.send<T>(method, u.toString(), opts.body, isIdempotent(method), {}, opts.signal, opts.onWire);
  }

  async *pages<T = unknown>(first: OktaRequest | { url: string }): AsyncGenerator<OktaResponse<T[]>, void, undefined> {
    let res: OktaResponse<T[]> = 'url' in first ? await this.requestUrl<T[]>('GET', first.url) : await this.request<T[]>(first);
    for (;;) {
      if (!Array.isArray(res.data)) throw new OktaApiError(res.status, 'GET', '(list)', undefined, 'Okta returned a non-list body for a list request');
      yield res;
      if (!res.nextUrl) return;
      res = await this.requestUrl<T[]>('GET', res.nextUrl);
    }
  }

  private async send<T>(
    method: HttpMethod,
    url: string,
    body: unknown,
    idempotent: boolean,
    extraHeaders: Record<string, string> = {},
    signal?: AbortSignal,
    onWire?: () => void,
  ): Promise<OktaResponse<T>> {
    const u = new URL(url);
    if (u.origin !== this.origin) throw new SecurityError(`refused to send credentials to ${u.origin}`);
    const { clock, maxRetries, maxWaitMs, timeoutMs } = this.opts;
    const key = bucketKey(method, u.pathname);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const label = `${method} ${u.pathname}`;
    /** Time spent waiting because Okta said "wait" (budget and 429s): capped by max_wait_seconds. */
    let rateWaited = 0;
    /** 5xx answers and network failures so far: capped by max_retries. */
    let failures = 0;
    let authRetried = false;
    let rate429 = 0;
    let concurrency429 = 0;
    let retryFor: string | undefined;
    for (;;) {
      const slot = await this.budget.acquire(key, maxWaitMs - rateWaited, (ms) => this.waitNote(`the rate limit for ${key} is used up for this window`, ms), signal);
      if (slot.abandoned || signal?.aborted) {
        if (slot.ticket) await this.budget.record(key, slot.ticket);
        throw new NetworkError(`${label}: abandoned, the caller no longer wants the answer`, 'ERR_CANCELED');
      }
      if (slot.refused) throw this.rateLimitError(key, slot.refused.reset, slot.refused.resetAt, true);
      if (slot.waited > 0) notify(this.opts.observer, 'waited', { bucket: key, ms: slot.waited, reason: 'budget' });
      rateWaited += slot.waited;
      let res: WireResponse;
      const at: { phase: 'auth' | 'wire' } = { phase: 'auth' };
      const started = clock.now();
      try {
        res = await this.sem.run(async () => {
          // Credentials are fetched inside the slot, right before sending: a DPoP proof's iat stays fresh.
          const auth = await this.opts.auth.authorize(method, u.origin + u.pathname + u.search);
          at.phase = 'wire';
          const headers: Record<string, string> = {
            Accept: 'application/json',
            'User-Agent': this.opts.userAgent,
            ...(data !== undefined ? { 'Content-Type': 'application/json' } : {}),
            ...(retryFor ? { 'X-Okta-Retry-For': retryFor, 'X-Okta-Retry-Count': String(rate429 + concurrency429) } : {}),
            ...extraHeaders,
            ...auth,
          };
          this.sent++;
          onWire?.();
          return this.opts.transport({ method, url: u.toString(), headers, data, timeoutMs, ...(signal ? { signal } : {}) });
        });
      } catch (e) {
        await this.budget.record(key, slot.ticket);
        if (at.phase === 'wire') notify(this.opts.observer, 'exchange', { bucket: key, status: 0, ms: clock.now() - started });
        // A failed token request (network, or Okta's 5xx) means the API request never left: safe to repeat.
        const tokenOutage = at.phase === 'auth' && e instanceof AuthError && (e.status ?? 0) >= 500;
        if ((!(e instanceof NetworkError) && !tokenOutage) || signal?.aborted) throw e;
        const code = e instanceof NetworkError ? e.cause_code : undefined;
        const kind = failureKind(code);
        if (kind === 'permanent') throw e;
        if (at.phase === 'wire' && kind === 'maybe-sent' && !idempotent)
          throw new NetworkError(`${e.message}. ${notRepeated(method)}`, code);
        if (failures >= maxRetries) throw exhausted(e, failures);
        failures++;
        const wait = this.backoff(failures);
        this.opts.debug?.(`${label}: ${code ?? 'token endpoint outage'}, retry ${failures} of ${maxRetries} in ${wait} ms`);
        await clock.sleep(wait, signal);
        continue;
      }
      await this.budget.record(key, slot.ticket, res.headers);
      if (this.opts.observer) notify(this.opts.observer, 'exchange', { bucket: key, status: res.status, ms: clock.now() - started, ...rateOf(readRateHeaders(res.headers)) });
      this.opts.debug?.(redactString(`${method} ${u.pathname}${u.search} -> ${res.status} (${clock.now() - started} ms)`));

      if (res.status >= 200 && res.status < 300) {
        if (res.headers['dpop-nonce'] !== undefined) await this.opts.auth.onNonce?.(res);
        const links = parseLinks(res.headers.link);
        if (links.next) checkOwnUrl(this.origin, links.next);
        return okResponse<T>(res, links.next);
      }
      if (res.status >= 300 && res.status < 400) throw new SecurityError(`Okta answered ${label} with a redirect (${res.status}); redirects are never followed with credentials`);
      if (res.status === 429) {
        // Okta did not act on a 429: repeating it is safe for every method.
        const r = readRateHeaders(res.headers);
        retryFor = res.headers['x-okta-request-id'];
        let wait: number;
        if (isConcurrencyLimit(r)) {
          // Too many requests in flight org-wide; Reset is only a suggestion. Back off briefly, exponentially.
          concurrency429++;
          wait = this.jitter(Math.min(30_000, 500 * 2 ** (concurrency429 - 1)));
          if (rateWaited + wait > maxWaitMs) throw this.concurrencyError(key, concurrency429, rateWaited);
          this.waitNote(`Okta's concurrency limit (requests in flight across the org) was reached`, wait);
        } else {
          rate429++;
          if (r.reset !== undefined) {
            const resetAt = this.budget.toLocal(r.reset, res.headers);
            wait = Math.max(0, resetAt - clock.now()) + this.jitter(1000);
            // The reset has passed by our reckoning but Okta still says wait (skewed clock, a bucket shared with others): back off too.
            if (rate429 > 1) wait = Math.max(wait, this.jitter(Math.min(60_000, 1000 * 2 ** (rate429 - 1))));
            if (rateWaited + wait > maxWaitMs) throw this.rateLimitError(key, r.reset, resetAt, false);
          } else {
            wait = retryAfterMs(res.headers, clock.now()) ?? this.jitter(Math.min(60_000, 2000 * 2 ** (rate429 - 1)));
            if (rateWaited + wait > maxWaitMs) throw this.rateLimitError(key, undefined, clock.now() + wait, false);
          }
          this.waitNote(`Okta's rate limit for ${key} was reached`, wait);
        }
        notify(this.opts.observer, 'waited', { bucket: key, ms: wait, reason: isConcurrencyLimit(r) ? 'concurrency' : 'rate_limit' });
        await clock.sleep(wait, signal);
        rateWaited += wait;
        continue;
      }
      if ((res.status === 401 || res.status === 400 || res.status === 403) && !authRetried) {
        const verdict = await this.opts.auth.onAuthFailure(res, { method, url: u.toString() });
        if (verdict === 'retry') {
          authRetried = true;
          continue;
        }
      }
      if (res.status >= 500) {
        const transient = res.status !== 501 && res.status !== 505;
        if (transient && idempotent && failures < maxRetries) {
          failures++;
          const wait = Math.max(this.backoff(failures), Math.min(60_000, retryAfterMs(res.headers, clock.now()) ?? 0));
          this.opts.debug?.(`${label}: HTTP ${res.status}, retry ${failures} of ${maxRetries} in ${wait} ms`);
          await clock.sleep(wait, signal);
          continue;
        }
        const err = this.apiError(res, method, u.pathname);
        if (transient && !idempotent) err.message += `. ${notRepeated(method)}`;
        else if (failures > 0) err.message += ` (gave up after ${failures + 1} attempts)`;
        throw err;
      }
      throw this.apiError(res, method, u.pathname);
    }
  }

  /** `ms` with jitter: between half and all of it. */
  private jitter(ms: number): number {
    return Math.round(ms / 2 + this.random() * (ms / 2));
  }

  /** Wait before retry `attempt` (1-based) after a 5xx or a network failure: 0.5 s, 1 s, 2 s … capped at 20 s, with jitter. */
  private backoff(attempt: number): number {
    return this.jitter(Math.min(20_000, 500 * 2 ** (attempt - 1)));
  }

  /** Long waits are worth a line on stderr; short ones only in debug output. */
  private waitNote(why: string, ms: number): void {
    const line = `${why}; waiting ${Math.max(1, Math.round(ms / 1000))} s`;
    if (ms >= 5000) this.opts.warn?.(line);
    else this.opts.debug?.(line);
  }

  private rateLimitError(key: string, reset: number | undefined, resetAtLocal: number, ownShare: boolean): RateLimitError {
    const { clock, maxWaitMs, maxApiCapacity } = this.opts;
    const secs = Math.max(1, Math.ceil((resetAtLocal - clock.now()) / 1000));
    const at = new Date(reset !== undefined ? reset * 1000 : resetAtLocal).toISOString();
    const share = ownShare && maxApiCapacity < 100 ? ` (the ${maxApiCapacity} % of it that max_api_capacity allows)` : '';
    return new RateLimitError(
      `Okta's rate limit for ${key}${share} is spent until ${at}, in ${secs} s: longer than max_wait_seconds (${Math.round(maxWaitMs / 1000)} s) allows. ` +
        `Run the command again after ${at}, or raise max_wait_seconds.`,
      key,
      reset !== undefined ? reset * 1000 : resetAtLocal,
    );
  }

  private concurrencyError(key: string, strikes: number, waited: number): RateLimitError {
    const { clock, maxWaitMs } = this.opts;
    return new RateLimitError(
      `Okta's concurrency limit (requests in flight at once across the org) answered ${key} with HTTP 429 ${strikes} times over ${Math.round(waited / 1000)} s; ` +
        `waiting longer would pass max_wait_seconds (${Math.round(maxWaitMs / 1000)} s). Other integrations are using the org heavily: try again in a minute, or lower max_concurrency.`,
      'concurrency',
      clock.now() + 60_000,
    );
  }

  private apiError(res: WireResponse, method: string, path: string): OktaApiError {
    const b = parseBody(res);
    const o = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
    let errorCode = typeof o.errorCode === 'string' ? o.errorCode : undefined;
    let summary = typeof o.errorSummary === 'string' ? o.errorSummary : undefined;
    if (!errorCode && typeof o.error === 'string') {
      errorCode = o.error;
      summary = typeof o.error_description === 'string' ? o.error_description : summary;
    }
    if (!errorCode) {
      const www = res.headers['www-authenticate'];
      const m = www && /error="([^"]+)"(?:.*error_description="([^"]+)")?/.exec(www);
      if (m) {
        errorCode = m[1];
        summary = m[2] ?? summary;
      }
    }
    const causes: OktaErrorCause[] = Array.isArray(o.errorCauses)
      ? (o.errorCauses as unknown[]).map((c) => ({ errorSummary: String((c as Record<string, unknown>)?.errorSummary ?? '') }))
      : [];
    const err = new OktaApiError(
      res.status,
      method,
      path,
      errorCode,
      summary ?? (typeof b === 'string' && b.length < 300 ? b : undefined),
      causes,
      typeof o.errorId === 'string' ? o.errorId : undefined,
      res.headers['x-okta-request-id'],
    );
    if (res.status === 403 && this.opts.auth.kind === 'user') err.message += `. ${forbiddenForAnalyst(res.headers['www-authenticate'])}`;
    return err;
  }
}

/**
 * A 403 under an analyst's sign-in (auth_method user): a token holding the scope does not prove
 * the analyst may do it; Okta checks their own admin roles after the token's scopes.
 */
function forbiddenForAnalyst(www: string | undefined): string {
  if (www && /insufficient_scope/i.test(www))
    return "The sign-in's token lacks the Okta API scope this needs: grant it to the analysts' OIDC app (its Okta API Scopes tab), add it to OKTA_SCOPES, then run `okta-soar login` again";
  return "This ran as the signed-in analyst: the token's scopes allow it, but the analyst's own Okta admin permissions (their admin roles) do not. Ask an Okta super administrator for a role that allows it";
}
