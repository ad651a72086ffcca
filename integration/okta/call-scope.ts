import { moreConstrained, readRateHeaders } from './rate-budget.js';
import type { HttpMethod, OktaClient, OktaRequest, OktaResponse, RateLimitSnapshot, RequestUrlOptions } from './types.js';
import { buildQuery, checkOwnUrl, fillPath } from './url.js';

export interface PlannedRequest {
  method: HttpMethod;
  path: string;
  body?: unknown;
}

/**
 * One command's view of a (possibly shared) client. It records the rate-limit headers of
 * this call's own responses (Okta.Metadata), and in a dry run it answers every changing
 * request itself, recording what would have been sent; reads still go to Okta.
 */
export class CallScope implements OktaClient {
  readonly planned: PlannedRequest[] = [];
  private lowest?: RateLimitSnapshot;
  private startCount: number;

  constructor(
    private parent: OktaClient,
    private dryRun = false,
  ) {
    this.startCount = parent.requestCount;
  }

  get origin(): string {
    return this.parent.origin;
  }

  get requestCount(): number {
    return this.parent.requestCount - this.startCount;
  }

  rateLimit(): RateLimitSnapshot {
    return this.lowest ? { ...this.lowest } : {};
  }

  private seen<T>(res: OktaResponse<T>): OktaResponse<T> {
    const { limit, remaining, reset } = readRateHeaders(res.headers);
    if (limit !== undefined && remaining !== undefined && reset !== undefined) this.lowest = moreConstrained(this.lowest, limit, remaining, reset);
    return res;
  }

  private plan<T>(method: HttpMethod, path: string, body: unknown): OktaResponse<T> {
    this.planned.push({ method, path, body });
    return { status: method === 'POST' ? 200 : 204, data: {} as T, headers: {} };
  }

  async request<T = unknown>(req: OktaRequest): Promise<OktaResponse<T>> {
    if (this.dryRun && req.method !== 'GET') return this.plan<T>(req.method, fillPath(req.path, req.pathParams) + buildQuery(req.query), req.body);
    return this.seen(await this.parent.request<T>(req));
  }

  async requestUrl<T = unknown>(method: HttpMethod, url: string, opts?: RequestUrlOptions): Promise<OktaResponse<T>> {
    if (this.dryRun && method !== 'GET') {
      const u = checkOwnUrl(this.origin, url, opts?.allowedPath);
      return this.plan<T>(method, u.pathname + u.search, opts?.body);
    }
    return this.seen(await this.parent.requestUrl<T>(method, url, opts));
  }

  async *pages<T = unknown>(first: OktaRequest | { url: string }): AsyncGenerator<OktaResponse<T[]>, void, undefined> {
    for await (const page of this.parent.pages<T>(first)) yield this.seen(page);
  }
}
