/**
 * serve's Prometheus metrics (`GET /metrics`), with prom-client on a registry of serve's own.
 * The Okta client's side comes from its observer (okta/observer.ts): this face turns those
 * events into counters and gauges, so the client never knows prom-client. Labels name the
 * caller (its configured name), never its token; buckets carry no ids (rate-budget `bucketKey`).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../../base/clock.js';
import type { OktaObserver } from '../../okta/observer.js';
import { isConcurrencyLimit } from '../../okta/rate-budget.js';

/** How a command ended, as the metrics and the request log say it. */
export type CommandOutcome = 'ok' | 'error' | 'usage_error' | 'denied' | 'planned' | 'unconfirmed';

const WAIT_BUCKETS = [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300];
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'instance' | 'bucket' | 'status'>;
  private readonly limited: Counter<'instance' | 'bucket' | 'kind'>;
  private readonly waits: Histogram<'instance' | 'bucket' | 'reason'>;
  private readonly oktaDuration: Histogram<'instance' | 'bucket'>;
  private readonly remainingRatio: Gauge<'instance' | 'bucket'>;
  private readonly limit: Gauge<'instance' | 'bucket'>;
  private readonly mints: Counter<'instance' | 'dpop'>;
  private readonly commands: Counter<'command' | 'outcome' | 'caller'>;
  private readonly commandSeconds: Histogram<'command'>;
  private readonly incidents: Counter<'instance'>;
  private readonly http: Counter<'route' | 'method' | 'status' | 'caller'>;
  /** Per instance: published (epoch ms) of the newest incident fetched. */
  private readonly newest = new Map<string, number>();
  /** Per instance and bucket: the window the remaining-share gauge shows. */
  private readonly windows = new Map<string, { reset: number; remaining: number }>();
  private readonly observers = new Map<string, OktaObserver>();

  constructor(clock: Clock) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'okta_soar_' });
    this.requests = new Counter({ name: 'okta_soar_okta_requests_total', help: 'Requests to Okta (each attempt), by rate-limit bucket and HTTP status (0: no answer).', labelNames: ['instance', 'bucket', 'status'], registers });
    this.limited = new Counter({ name: 'okta_soar_okta_rate_limited_total', help: "Okta's HTTP 429 answers, by bucket; kind concurrency is the org-wide in-flight limit.", labelNames: ['instance', 'bucket', 'kind'], registers });
    this.waits = new Histogram({ name: 'okta_soar_okta_wait_seconds', help: 'Time requests waited for rate limits: budget (our share of the bucket was spent), rate_limit and concurrency (after a 429).', labelNames: ['instance', 'bucket', 'reason'], buckets: WAIT_BUCKETS, registers });
    this.oktaDuration = new Histogram({ name: 'okta_soar_okta_request_duration_seconds', help: 'Time on the wire of each request to Okta.', labelNames: ['instance', 'bucket'], buckets: DURATION_BUCKETS, registers });
    this.remainingRatio = new Gauge({ name: 'okta_soar_okta_rate_limit_remaining_ratio', help: "Share of the bucket's current window left, as Okta last reported it (X-Rate-Limit-Remaining / Limit).", labelNames: ['instance', 'bucket'], registers });
    this.limit = new Gauge({ name: 'okta_soar_okta_rate_limit_limit', help: "The bucket's requests per window, as Okta last reported it.", labelNames: ['instance', 'bucket'], registers });
    this.mints = new Counter({ name: 'okta_soar_token_mints_total', help: 'OAuth access tokens minted at the token endpoint.', labelNames: ['instance', 'dpop'], registers });
    this.commands = new Counter({ name: 'okta_soar_commands_total', help: 'Commands run (HTTP and MCP), by name, outcome and caller.', labelNames: ['command', 'outcome', 'caller'], registers });
    this.commandSeconds = new Histogram({ name: 'okta_soar_command_duration_seconds', help: 'Time to run a command, waits for rate limits included.', labelNames: ['command'], buckets: DURATION_BUCKETS, registers });
    this.incidents = new Counter({ name: 'okta_soar_fetch_incidents_total', help: 'Incidents returned by fetch-incidents.', labelNames: ['instance'], registers });
    this.http = new Counter({ name: 'okta_soar_http_requests_total', help: "Requests to serve, by route, status and caller ('-' before a caller is known).", labelNames: ['route', 'method', 'status', 'caller'], registers });
    const newest = this.newest;
    new Gauge({
      name: 'okta_soar_fetch_lag_seconds',
      help: 'Now minus the published time of the newest incident fetched, per instance.',
      labelNames: ['instance'],
      registers,
      collect(this: Gauge<'instance'>) {
        for (const [instance, at] of newest) this.set({ instance }, Math.max(0, (clock.now() - at) / 1000));
      },
    });
  }

  /** The observer for one instance's Okta client (one per instance, kept). */
  oktaObserver(instance: string): OktaObserver {
    let o = this.observers.get(instance);
    if (o) return o;
    o = {
      exchange: (e) => {
        const labels = { instance, bucket: e.bucket };
        this.requests.inc({ ...labels, status: String(e.status) });
        if (e.status) this.oktaDuration.observe(labels, e.ms / 1000);
        if (e.status === 429) this.limited.inc({ ...labels, kind: e.rate && isConcurrencyLimit(e.rate) ? 'concurrency' : 'rate' });
        if (e.rate && e.rate.limit > 0) this.window(instance, e.bucket, e.rate.limit, e.rate.remaining, e.rate.reset ?? 0);
      },
      waited: (e) => this.waits.observe({ instance, bucket: e.bucket, reason: e.reason }, e.ms / 1000),
      tokenMinted: (e) => this.mints.inc({ instance, dpop: String(e.dpop) }),
    };
    this.observers.set(instance, o);
    return o;
  }

  /** Answers may come back out of order: a window never goes back, and within one the lowest remaining wins. */
  private window(instance: string, bucket: string, limit: number, remaining: number, reset: number): void {
    const key = `${instance}\n${bucket}`;
    const w = this.windows.get(key);
    if (w && reset < w.reset) return;
    const left = w && reset === w.reset ? Math.min(w.remaining, remaining) : remaining;
    this.windows.set(key, { reset, remaining: left });
    this.remainingRatio.set({ instance, bucket }, left / limit);
    this.limit.set({ instance, bucket }, limit);
  }

  command(command: string, outcome: CommandOutcome, caller: string, seconds: number): void {
    this.commands.inc({ command, outcome, caller });
    if (outcome !== 'denied') this.commandSeconds.observe({ command }, seconds);
  }

  /** A fetch cycle's incidents: the newest published time feeds the lag gauge. */
  fetched(instance: string, incidents: ReadonlyArray<{ occurred?: unknown }>): void {
    this.incidents.inc({ instance }, incidents.length);
    for (const i of incidents) {
      const t = typeof i.occurred === 'string' ? Date.parse(i.occurred) : NaN;
      if (Number.isFinite(t) && t > (this.newest.get(instance) ?? -Infinity)) this.newest.set(instance, t);
    }
  }

  httpRequest(route: string, method: string, status: number, caller: string | undefined): void {
    this.http.inc({ route, method, status: String(status), caller: caller ?? '-' });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
