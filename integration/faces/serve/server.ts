import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { forInstance, type Dispatch, type RunOptions } from '../../engine/dispatcher.js';
import type { Instances } from '../../engine/instances.js';
import { SoarError } from '../../base/errors.js';
import { loadManifest } from '../../engine/manifest.js';
import { ClientPool } from '../../okta/client-pool.js';
import { redact } from '../../base/redact.js';
import { errorEntry } from '../../engine/results.js';
import type { StateStore } from '../../state/store.js';
import type { Params } from '../../engine/types.js';

export interface ServeOptions {
  /** The engine with the commands (entry/ hands it to the CLI, which hands it here). */
  dispatch: Dispatch;
  /** Required: every request must carry `Authorization: Bearer <token>`. */
  token: string;
  params: Params;
  state: StateStore;
  host?: string;
  port?: number;
  /** Largest request body accepted (bytes). */
  maxBodyBytes?: number;
  /** Commands running at once; more get 503 with Retry-After. */
  maxConcurrent?: number;
  /** For fetch-incidents (loaded lazily). */
  fetchIncidents?: (params: Params, lastRun: Record<string, unknown>, opts: RunOptions) => Promise<unknown>;
  run?: Omit<RunOptions, 'clients' | 'state' | 'instances'>;
  /** Several orgs: a request's `using` picks one (contract §8). */
  instances?: Instances;
  log?: (line: string) => void;
}

export interface Server {
  url: string;
  close(): Promise<void>;
}

const MIN_TOKEN_LENGTH = 16;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, reveal?: string[]): void {
  // Redacted once more on the way out; values the analyst asked to see (hide_password=false) stay.
  const text = JSON.stringify(redact(body, { reveal }));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // Stop buffering; the 413 answer closes the connection.
        req.removeAllListeners('data');
        req.resume();
        reject(Object.assign(new Error('too large'), { status: 413 }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * HTTP engine mode for playbooks: POST /v1/commands/{name}, GET /v1/commands,
 * POST /v1/fetch-incidents, GET /healthz. Every request needs the bearer token; one shared
 * client pool (rate budgets, connections) and token cache serve all requests.
 */
export async function startServer(opts: ServeOptions): Promise<Server> {
  if (!opts.token || opts.token.length < MIN_TOKEN_LENGTH)
    throw new Error(`OKTA_SOAR_SERVE_TOKEN must be set to a random value of at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`);
  const want = digest(opts.token);
  const clients = new ClientPool();
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const maxConcurrent = opts.maxConcurrent ?? 16;
  let running = 0;

  const server = http.createServer(async (req, res) => {
    const started = Date.now();
    try {
      const auth = req.headers.authorization ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      if (!m || !timingSafeEqual(digest(m[1]!.trim()), want)) {
        send(res, 401, { error: 'unauthorized', message: 'Authorization: Bearer <OKTA_SOAR_SERVE_TOKEN> is required' }, { 'WWW-Authenticate': 'Bearer realm="okta-soar"' });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { ok: true });
      if (req.method === 'GET' && url.pathname === '/v1/commands') {
        return send(
          res,
          200,
          [...loadManifest().commands.values()].map((c) => ({ name: c.name, description: c.description, scopes: c.scopes, changes: !!c.changes, arguments: c.arguments.map((a) => ({ name: a.name, required: !!a.required, description: a.description })) })),
        );
      }
      const cmd = /^\/v1\/commands\/([a-z0-9-]{1,100})$/.exec(url.pathname);
      const isFetch = url.pathname === '/v1/fetch-incidents';
      if (!cmd && !isFetch) return send(res, 404, { error: 'not_found', message: `no route ${req.method} ${url.pathname}` });
      if (req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
      if (running >= maxConcurrent) return send(res, 503, { error: 'busy', message: `${maxConcurrent} commands are already running` }, { 'Retry-After': '1' });
      if (Number(req.headers['content-length'] ?? 0) > maxBody) return send(res, 413, [errorEntry(`request body larger than ${maxBody} bytes`)], { Connection: 'close' });
      running++;
      try {
        let body: unknown = {};
        const text = await readBody(req, maxBody);
        if (text.trim()) {
          try {
            body = JSON.parse(text);
          } catch {
            return send(res, 400, [errorEntry('the request body is not valid JSON')]);
          }
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return send(res, 400, [errorEntry('the request body must be a JSON object of arguments')]);
        const runOpts: RunOptions = { ...opts.run, clients, state: opts.state, ...(opts.instances ? { instances: opts.instances } : {}) };
        if (isFetch) {
          if (!opts.fetchIncidents) return send(res, 501, { error: 'not_available' });
          const lastRun = ((body as Record<string, unknown>).lastRun ?? {}) as Record<string, unknown>;
          let picked;
          try {
            picked = forInstance(opts.params, (body as Record<string, unknown>).using, runOpts);
          } catch (e) {
            return send(res, 400, [errorEntry(e instanceof SoarError ? e.message : 'bad request')]);
          }
          return send(res, 200, await opts.fetchIncidents(picked.params, lastRun, { ...runOpts, state: picked.state }));
        }
        const name = cmd![1]!;
        if (!loadManifest().commands.has(name)) return send(res, 404, [errorEntry(`unknown command ${name}`)]);
        const out = await opts.dispatch(name, body as Record<string, unknown>, opts.params, runOpts);
        send(res, out.exitCode === 0 ? 200 : out.exitCode === 2 ? 400 : 422, out.entries, {}, out.revealed);
      } finally {
        running--;
      }
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500;
      if (!res.headersSent) send(res, status, [errorEntry(status === 413 ? `request body larger than ${maxBody} bytes` : 'internal error')], status === 413 ? { Connection: 'close' } : {});
    } finally {
      opts.log?.(`${req.method} ${(req.url ?? '').split('?')[0]} ${res.statusCode} ${Date.now() - started}ms`);
    }
  });
  server.requestTimeout = 15 * 60_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8750, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await clients.closeAll();
    },
  };
}
