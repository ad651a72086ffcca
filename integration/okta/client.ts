import { NetworkError, OktaApiError, RateLimitError, SecurityError, type OktaErrorCause } from '../errors.js';
import { redactString } from '../redact.js';
import { parseLinks } from './link.js';
import { bucketKey, clockSkew, RateBudget, readRateHeaders } from './rate-budget.js';
import { Semaphore } from './semaphore.js';
import { buildQuery, checkOwnUrl, fillPath } from './url.js';
import type { ClientOptions, HttpMethod, OktaClient, OktaRequest, OktaResponse, RateLimitSnapshot, WireResponse } from './types.js';

/** Network failures where the request certainly never reached Okta: safe to resend any method. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function isIdempotent(method: HttpMethod, flag?: boolean): boolean {
  return flag ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
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
  /** Dry-run: changing requests are recorded here instead of sent. */
  dryRunLog?: Array<{ method: HttpMethod; path: string; body?: unknown }>;

  constructor(private opts: ClientOptions & { maxConcurrency?: number }) {
    this.origin = opts.origin;
    this.budget = new RateBudget(opts.clock, opts.maxApiCapacity);
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

  async requestUrl<T = unknown>(method: HttpMethod, url: string, opts: { allowedPath?: RegExp; body?: unknown } = {}): Promise<OktaResponse<T>> {
    const u = checkOwnUrl(this.origin, url, opts.allowedPath);
    return this.send<T>(method, u.toString(), opts.body, isIdempotent(method));
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

  private async send<T>(method: HttpMethod, url: string, body: unknown, idempotent: boolean, extraHeaders: Record<string, string> = {}): Promise<OktaResponse<T>> {
    const u = new URL(url);
    if (u.origin !== this.origin) throw new SecurityError(`refused to send credentials to ${u.origin}`);
    if (this.dryRunLog && method !== 'GET') {
      this.dryRunLog.push({ method, path: u.pathname + u.search, body });
      return { status: 200, data: {} as T, headers: {} };
    }
    const { clock, maxRetries, maxWaitMs, timeoutMs } = this.opts;
    const key = bucketKey(method, u.pathname);
    const data = body === undefined ? undefined : JSON.stringify(body);
    let waitedForRate = 0;
    let failures = 0;
    let authRetried = false;
    let concurrencyStrikes = 0;
    for (;;) {
      const slot = await this.budget.acquire(key, maxWaitMs - waitedForRate);
      if (slot.refusedFor !== undefined) throw this.rateLimitError(key, clock.now() + slot.refusedFor);
      waitedForRate += slot.waited;
      let res: WireResponse;
      const started = clock.now();
      try {
        const headers: Record<string, string> = {
          Accept: 'application/json',
          'User-Agent': this.opts.userAgent,
          ...(data !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...extraHeaders,
          ...(await this.opts.auth.authorize(method, u.origin + u.pathname + u.search)),
        };
        this.sent++;
        res = await this.sem.run(() => this.opts.transport({ method, url: u.toString(), headers, data, timeoutMs }));
      } catch (e) {
        this.budget.release(key);
        if (!(e instanceof NetworkError)) throw e;
        const retryable = NEVER_SENT.has(e.cause_code ?? '') || idempotent;
        if (!retryable || failures >= maxRetries) throw this.giveUp(e, failures, idempotent);
        failures++;
        await clock.sleep(this.backoff(failures));
        continue;
      }
      this.budget.release(key);
      this.budget.update(key, res.headers);
      this.opts.debug?.(redactString(`${method} ${u.pathname}${u.search} -> ${res.status} (${clock.now() - started} ms)`));

      if (res.status >= 200 && res.status < 300) {
        const links = parseLinks(res.headers.link);
        const out: OktaResponse<T> = { status: res.status, data: parseBody(res) as T, headers: res.headers };
        if (links.next) {
          checkOwnUrl(this.origin, links.next);
          out.nextUrl = links.next;
        }
        return out;
      }
      if (res.status >= 300 && res.status < 400) throw new SecurityError(`Okta answered ${method} ${u.pathname} with a redirect (${res.status}); redirects are never followed with credentials`);
      if (res.status === 429) {
        const { limit, remaining, reset } = readRateHeaders(res.headers);
        let wait: number;
        if (limit === 0 && remaining === 0) {
          // Concurrency limit: too many requests in flight org-wide. Back off briefly.
          concurrencyStrikes++;
          wait = Math.min(30_000, 250 * 2 ** concurrencyStrikes) + Math.random() * 250;
        } else if (reset !== undefined) {
          const serverNow = clock.now() + clockSkew(res.headers, clock.now());
          wait = Math.max(0, reset * 1000 - serverNow) + 1000 + Math.random() * 500;
        } else wait = 60_000;
        if (waitedForRate + wait > maxWaitMs) throw this.rateLimitError(key, reset !== undefined ? reset * 1000 : clock.now() + wait);
        this.opts.warn?.(`Okta rate limit reached for ${key}; waiting ${Math.ceil(wait / 1000)} s`);
        await clock.sleep(wait);
        waitedForRate += wait;
        continue;
      }
      if ((res.status === 401 || res.status === 400 || res.status === 403) && !authRetried) {
        const verdict = await this.opts.auth.onAuthFailure(res, { method, url: u.toString() });
        if (verdict === 'retry') {
          authRetried = true;
          continue;
        }
      }
      if (res.status >= 500 && idempotent && failures < maxRetries) {
        failures++;
        await clock.sleep(this.backoff(failures));
        continue;
      }
      throw this.apiError(res, method, u.pathname);
    }
  }

  private backoff(attempt: number): number {
    const base = Math.min(20_000, 500 * 2 ** (attempt - 1));
    return base / 2 + Math.random() * (base / 2);
  }

  private giveUp(e: NetworkError, failures: number, idempotent: boolean): NetworkError {
    const note = failures ? ` after ${failures + 1} attempts` : idempotent ? '' : ' (not retried: the request may have reached Okta)';
    return new NetworkError(`${e.message}${note}`, e.cause_code);
  }

  private rateLimitError(key: string, resetAt: number): RateLimitError {
    const secs = Math.max(0, Math.ceil((resetAt - this.opts.clock.now()) / 1000));
    return new RateLimitError(
      `Okta's rate limit for ${key} is spent and resets at ${new Date(resetAt).toISOString()} (in ${secs} s), beyond max_wait_seconds (${Math.round(this.opts.maxWaitMs / 1000)} s). Try again then, or raise max_wait_seconds.`,
      key,
      resetAt,
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
    return err;
  }
}
