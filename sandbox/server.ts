/**
 * The sandbox's HTTP server: Okta's request pipeline in miniature.
 * fault injection → rate limits (per bucket) and concurrency → token endpoint | authentication
 * (SSWS, Bearer, DPoP) → scope → handler → Okta's headers → optional recording.
 * Never redirects; every answer is JSON with `X-Okta-Request-Id` and `X-Rate-Limit-*`.
 */
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errors, SandboxHttpError, type OktaErrorBody } from './errors.js';
import type { Principal, SandboxExtraEndpoints, SandboxHttpRequest, SandboxHttpResponse, SandboxOAuth, SandboxOAuthStats } from './oauth-types.js';
import type { ActionContext, SandboxOrg } from './org.js';
import { randomAlnum } from './random.js';
import { hasScope, Router, type RouteResult } from './router.js';
import { apiClient, userActor } from './seed-logs.js';

const MAX_BODY = 10 * 1024 * 1024;

export interface SandboxStats {
  requests: number;
  /** `METHOD /template` → count (unmatched paths under `unmatched`). */
  byRoute: Record<string, number>;
  status429: number;
  oauth: SandboxOAuthStats;
}

export interface ServerDeps {
  org: SandboxOrg;
  router: Router;
  apiToken: string;
  clientId: string;
  oauth: () => SandboxOAuth | undefined;
  /** The analyst sign-in (OIDC apps): authorize, sign-in pages, revoke, device flow, keys … */
  extra?: () => SandboxExtraEndpoints | undefined;
  latencyMs: number;
  concurrencyLimit?: number;
  recordFile?: string;
  quiet: boolean;
}

interface Outgoing {
  status: number;
  headers: Record<string, string | string[]>;
  body?: unknown;
  rawJson?: string;
  /** A body that is not JSON (HTML); its Content-Type is in `headers`. */
  text?: string;
  /** Not recorded (pages for people, not Okta's API). */
  unrecorded?: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function decodeQuery(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const REDACT_FORM = new Set(['client_assertion', 'client_secret', 'password', 'code', 'code_verifier', 'refresh_token', 'device_code', 'token']);
const REDACT_JSON = new Set(['access_token', 'refresh_token', 'id_token', 'device_code', 'user_code', 'verification_uri_complete']);

export class SandboxServer {
  readonly stats: SandboxStats;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private inFlight = 0;
  private apiRequests = 0;
  origin = '';

  constructor(private readonly deps: ServerDeps) {
    this.stats = {
      requests: 0,
      byRoute: {},
      status429: 0,
      get oauth(): SandboxOAuthStats {
        return deps.oauth()?.stats ?? { tokenRequests: 0, tokensMinted: 0 };
      },
    };
  }

  async listen(port: number, host: string): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!this.deps.quiet) process.stderr.write(`sandbox: ${e instanceof Error ? e.stack : String(e)}\n`);
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(errors.internal().body));
        } else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    const h = addr.family === 'IPv6' || host.includes(':') ? `[${addr.address}]` : addr.address;
    this.origin = `http://${h}:${addr.port}`;
    return this.origin;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections?.();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { org, router } = this.deps;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413, { 'Content-Type': 'application/json', Connection: 'close' });
        res.end(JSON.stringify(errors.malformedBody().body));
        return;
      }
      chunks.push(c);
    }
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const qIdx = rawUrl.indexOf('?');
    const path = qIdx >= 0 ? rawUrl.slice(0, qIdx) : rawUrl;
    const search = qIdx >= 0 ? rawUrl.slice(qIdx) : '';
    const url = `${this.origin}${path}${search}`;
    const query = new URLSearchParams(search);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const requestId = randomAlnum(27);

    this.stats.requests++;

    const matched = router.match(method, path);
    const routeKey = matched && 'route' in matched ? `${method} ${matched.route.template}` : 'unmatched';
    this.stats.byRoute[routeKey] = (this.stats.byRoute[routeKey] ?? 0) + 1;
    const isToken = path === '/oauth2/v1/token';
    const extra = this.deps.extra?.();
    const extraBucket = !isToken && !matched ? extra?.bucketOf(method, path) : undefined;
    const bucket = isToken ? 'token' : matched ? ('route' in matched ? matched.route.bucket : matched.bucket) : (extraBucket ?? 'other');

    const record = (out: Outgoing) => this.record(method, path, query, rawBody, headers['content-type'], out);
    const send = (out: Outgoing) => {
      record(out);
      this.write(res, out);
    };

    // Fault injection (API requests only).
    if (path.startsWith('/api/')) {
      this.apiRequests++;
      const f = org.faults;
      if (f.resetEvery && this.apiRequests % f.resetEvery === 0) {
        // No answer at all, so nothing to record.
        req.socket.destroy();
        return;
      }
      if (f.every503 && this.apiRequests % f.every503 === 0) {
        send({ status: 503, headers: { 'X-Okta-Request-Id': requestId }, body: errors.unavailable().body });
        return;
      }
    }

    this.inFlight++;
    try {
      const base: Record<string, string | string[]> = { 'X-Okta-Request-Id': requestId };
      const limit = this.deps.concurrencyLimit;
      if (limit !== undefined && limit > 0 && this.inFlight > limit) {
        this.stats.status429++;
        const reset = Math.ceil((org.now() + 1000) / 1000);
        send({ status: 429, headers: { ...base, 'X-Rate-Limit-Limit': '0', 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': String(reset) }, body: errors.rateLimited().body });
        return;
      }
      // Latency counts as time in flight (so it drives the concurrency limit).
      if (this.deps.latencyMs > 0) await sleep(this.deps.latencyMs);
      const decision = org.rateLimiter.take(bucket);
      Object.assign(base, {
        'X-Rate-Limit-Limit': String(decision.limit),
        'X-Rate-Limit-Remaining': String(decision.remaining),
        'X-Rate-Limit-Reset': String(decision.reset),
      });
      if (!decision.allowed) {
        this.stats.status429++;
        // Okta writes a violation event to the System Log, once per bucket and window.
        if (decision.firstRefusal) {
          const ctx = this.callerContext(headers, req.socket.remoteAddress, requestId, path);
          org.logRateLimitViolation(ctx, decision.limit, decision.windowMs, decision.reset);
        }
        send({ status: 429, headers: base, body: errors.rateLimited().body });
        return;
      }

      const sreq: SandboxHttpRequest = { method, url, headers, body: rawBody, remoteAddress: normaliseIp(req.socket.remoteAddress), requestId };
      if (isToken) {
        const oauth = this.deps.oauth();
        if (method !== 'POST') {
          send({ status: 405, headers: { ...base, Allow: 'POST' }, body: errors.methodNotAllowed().body });
          return;
        }
        if (!oauth) {
          send({ status: 401, headers: base, body: { error: 'invalid_client', error_description: 'Client authentication failed. Either the client or the client credentials are invalid.' } });
          return;
        }
        const r = await oauth.handleToken(sreq);
        send(this.fromOAuth(r, base));
        return;
      }

      if (extra && extraBucket !== undefined) {
        send(this.fromOAuth(await extra.handle(sreq), base));
        return;
      }

      if (!matched) {
        send({ status: 404, headers: base, body: errors.pathNotFound().body });
        return;
      }

      // Authentication.
      const auth = headers.authorization ?? '';
      const scheme = auth.split(' ', 1)[0]!.toLowerCase();
      let principal: Principal;
      if (scheme === 'ssws') {
        // A revoked token is refused like a wrong one.
        if (auth.slice(5).trim() !== this.deps.apiToken || org.security.selfTokenRevoked) {
          send({ status: 401, headers: base, body: errors.invalidToken().body });
          return;
        }
        principal = { kind: 'ssws', scopes: '*' };
      } else if (scheme === 'bearer' || scheme === 'dpop') {
        const oauth = this.deps.oauth();
        if (!oauth) {
          send({ status: 401, headers: base, body: errors.invalidToken().body });
          return;
        }
        const r = await oauth.authenticate(sreq);
        if (!r.ok) {
          send(this.fromOAuth(r.response, base));
          return;
        }
        principal = r.principal;
      } else {
        send({ status: 403, headers: base, body: errors.invalidSession().body });
        return;
      }

      if ('methodMismatch' in matched) {
        send({ status: 405, headers: base, body: errors.methodNotAllowed().body });
        return;
      }
      const { route, params } = matched;
      if (!hasScope(principal.scopes, route.scope)) {
        send({
          status: 403,
          headers: {
            ...base,
            'WWW-Authenticate': `Bearer authorization_uri="${this.origin}/oauth2/v1/authorize", realm="${this.origin}", scope="${route.scope}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="${path}"`,
          },
          body: errors.accessDenied().body,
        });
        return;
      }
      // A user's token is limited by the user's own admin roles (Okta answers 403 E0000006).
      if (principal.userId !== undefined && !(this.deps.extra?.()?.userMay(principal.userId, { method, template: route.template, scope: route.scope, params }) ?? false)) {
        send({ status: 403, headers: base, body: errors.accessDenied().body });
        return;
      }

      let body: unknown;
      if (rawBody.trim() !== '') {
        try {
          body = JSON.parse(rawBody);
        } catch {
          send({ status: 400, headers: base, body: errors.malformedBody().body });
          return;
        }
      }
      const ctx = this.callerContext(headers, req.socket.remoteAddress, requestId, path, principal);
      let result: RouteResult;
      try {
        result = await route.handler({ method, params, query, body, headers, origin: this.origin, url, principal, ctx, org });
      } catch (e) {
        if (e instanceof SandboxHttpError) {
          send({ status: e.status, headers: { ...base, ...e.headers }, body: e.body });
          return;
        }
        throw e;
      }
      send({ status: result.status, headers: { ...base, ...result.headers }, body: result.body, rawJson: result.rawJson });
    } finally {
      this.inFlight--;
    }
  }

  /**
   * Who is calling, for the System Log: the API token's admin, or the OAuth app (from the
   * principal once authenticated; before that, from the Authorization scheme alone).
   */
  private callerContext(headers: Record<string, string | undefined>, remote: string | undefined, requestId: string, requestUri: string, principal?: Principal): ActionContext {
    const org = this.deps.org;
    const user = principal?.userId !== undefined ? org.users.get(principal.userId) : undefined;
    const app = principal ? principal.kind !== 'ssws' : /^(bearer|dpop)\s/i.test(headers.authorization ?? '');
    const clientId = (principal && principal.kind !== 'ssws' ? principal.clientId : undefined) ?? this.deps.clientId;
    return {
      actor: user
        ? userActor(user)
        : app
        ? { id: clientId, type: 'PublicClientApp', alternateId: clientId, displayName: 'okta-soar sandbox service app', detailEntry: null }
        : userActor(org.users.get(org.adminUserId) ?? [...org.users.values()][0]!),
      client: apiClient(normaliseIp(remote), headers['user-agent'] ?? ''),
      requestId,
      requestUri,
    };
  }

  private fromOAuth(r: SandboxHttpResponse, base: Record<string, string | string[]>): Outgoing {
    if (r.status === 429) this.stats.status429++;
    return { status: r.status, headers: { ...base, ...r.headers }, body: r.body, ...(r.text !== undefined ? { text: r.text } : {}), ...(r.unrecorded ? { unrecorded: true } : {}) };
  }

  private write(res: ServerResponse, out: Outgoing): void {
    const text = out.text ?? out.rawJson ?? (out.body === undefined ? '' : JSON.stringify(out.body));
    // Date follows the sandbox clock, so Reset − Date (what Okta's SDKs wait) is consistent with a test clock.
    const headers: Record<string, string | string[]> = { Date: new Date(this.deps.org.now()).toUTCString(), 'Content-Type': 'application/json', ...out.headers };
    if (out.status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    headers['Content-Length'] = String(Buffer.byteLength(text));
    res.writeHead(out.status, headers);
    res.end(text);
  }

  private record(method: string, path: string, query: URLSearchParams, rawBody: string, contentType: string | undefined, out: Outgoing): void {
    const file = this.deps.recordFile;
    if (!file || out.unrecorded) return;
    const entry: Record<string, unknown> = { method, path, query: decodeQuery(query), status: out.status };
    if (rawBody.trim() !== '') {
      if ((contentType ?? '').includes('application/x-www-form-urlencoded')) {
        const form: Record<string, string> = {};
        for (const [k, v] of new URLSearchParams(rawBody)) form[k] = REDACT_FORM.has(k) ? '[redacted]' : v;
        entry.requestBody = form;
      } else {
        try {
          entry.requestBody = JSON.parse(rawBody);
        } catch {
          entry.requestBody = rawBody;
        }
      }
    }
    let line = JSON.stringify(entry);
    if (out.status !== 0 && out.status !== 204) {
      const ct = String(out.headers['Content-Type'] ?? 'application/json');
      let bodyText: string | undefined;
      if (out.text !== undefined) bodyText = JSON.stringify(out.text);
      else if (out.rawJson !== undefined) bodyText = out.rawJson;
      else if (out.body !== undefined) {
        const b = out.body;
        bodyText = JSON.stringify(
          b && typeof b === 'object' && !Array.isArray(b) ? Object.fromEntries(Object.entries(b).map(([k, v]) => [k, REDACT_JSON.has(k) ? '[redacted]' : v])) : b,
        );
      }
      line = line.slice(0, -1) + (bodyText !== undefined ? `,"responseBody":${bodyText}` : '') + `,"responseContentType":${JSON.stringify(ct)}}`;
    }
    appendFileSync(file, line + '\n');
  }
}

function normaliseIp(ip: string | undefined): string {
  if (!ip) return '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export type { OktaErrorBody };
