import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../base/clock.js';
import { SoarError } from '../../base/errors.js';
import { redact } from '../../base/redact.js';
import { closest, DRY_RUN_ARG, readsTrue } from '../../engine/args.js';
import type { Dispatch, RunOptions } from '../../engine/dispatcher.js';
import { loadManifest } from '../../engine/manifest.js';
import { errorEntry } from '../../engine/results.js';
import type { Params } from '../../engine/types.js';
import { ClientPool } from '../../okta/client-pool.js';
import type { StateStore } from '../../state/store.js';
import { singleInstance, type Instance, type Instances } from '../instances.js';
import { Confirmations } from '../mcp/confirmations.js';
import { Callers, DEFAULT_CALLER, MIN_TOKEN_LENGTH, tokenHash, type Caller } from './callers.js';
import { McpEndpoint } from './mcp-http.js';
import { ServeMetrics, type CommandOutcome } from './metrics.js';
import { apiDocuments, type ApiDocuments } from './openapi.js';

export interface ServeOptions {
  /** The engine with the commands (entry/ hands it to the CLI, which hands it here). */
  dispatch: Dispatch;
  /** Who may call (callers.ts). Without it, `token` is the one caller, `default`, allowed to change Okta. */
  callers?: Callers;
  /** OKTA_SOAR_SERVE_TOKEN: used when `callers` is not given. */
  token?: string;
  /** The one configuration (when `instances` is not given). */
  params?: Params;
  /** Which configuration a request runs on (`using`, contract §8). Default: `params`, alone. */
  instances?: Instances;
  state: StateStore;
  host?: string;
  port?: number;
  /** Largest request body accepted (bytes). */
  maxBodyBytes?: number;
  /** Commands running at once; more get 503 with Retry-After. */
  maxConcurrent?: number;
  /** For fetch-incidents (loaded lazily). */
  fetchIncidents?: (params: Params, lastRun: Record<string, unknown>, opts: RunOptions) => Promise<{ incidents: Array<{ occurred?: unknown }> }>;
  run?: Omit<RunOptions, 'clients' | 'state'>;
  /** OKTA_MCP_CHANGES=confirm: /mcp offers the tools that change Okta (to callers allowed to), through plan-then-confirm. */
  mcpChanges?: boolean;
  /** Package version (MCP's server info, the documents have their own). */
  version?: string;
  clock?: Clock;
  /** One redacted JSON line per request (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface Server {
  url: string;
  close(): Promise<void>;
}

/** Accepts a caller's own X-Request-Id when it is short and plain; makes one otherwise. */
function requestId(req: http.IncomingMessage): string {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(h) ? h : randomUUID();
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, reveal?: string[]): void {
  // Redacted once more on the way out; values the analyst asked to see (hide_password=false) stay.
  const text = JSON.stringify(redact(body, { reveal }));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

/** An answer that is one error entry (every error of serve's own routes). */
function fail(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  send(res, status, [errorEntry(message)], headers);
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

class BadBody extends Error {}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A JSON object body (empty: {}). */
async function jsonObject(req: http.IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const text = await readBody(req, limit);
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadBody('the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadBody('the request body must be a JSON object of arguments');
  return body as Record<string, unknown>;
}

/** A read-only caller may still ask for a dry run: `dry_run` as the engine reads it. */
function isDryRun(body: Record<string, unknown>): boolean {
  return readsTrue(body[DRY_RUN_ARG]);
}

const ROUTES: Record<string, string[]> = {
  '/healthz': ['GET'],
  '/metrics': ['GET'],
  '/v1/commands': ['GET'],
  '/v1/openapi.json': ['GET'],
  '/v1/swagger.json': ['GET'],
  '/v1/fetch-incidents': ['POST'],
  '/mcp': ['POST', 'GET', 'DELETE'],
};

/**
 * HTTP engine mode for playbooks and agents (contract §9): POST /v1/commands/{name},
 * GET /v1/commands, POST /v1/fetch-incidents, GET /v1/openapi.json and /v1/swagger.json,
 * GET /metrics, /mcp (MCP, streamable HTTP), GET /healthz. Every request needs a caller's bearer
 * token; one shared client pool (rate budgets, connections) and token cache serve all requests.
 *
 * node:http, not a framework: the routes are few and fixed, arguments are validated by the engine
 * (war-room coercion and error entries that name the argument, which a framework's own schema
 * validation would duplicate with other messages), the MCP SDK's transport wants Node's own
 * request and response, and logs go through our redaction.
 */
export async function startServer(opts: ServeOptions): Promise<Server> {
  const callers = opts.callers ?? new Callers();
  if (!opts.callers) {
    if (!opts.token || opts.token.length < MIN_TOKEN_LENGTH)
      throw new Error(`OKTA_SOAR_SERVE_TOKEN must be set to a random value of at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`);
    callers.add(tokenHash(opts.token), { name: DEFAULT_CALLER, changes: true }, 'OKTA_SOAR_SERVE_TOKEN');
  }
  if (!callers.size) throw new Error('serve needs at least one caller: OKTA_SOAR_SERVE_TOKEN, OKTA_SOAR_SERVE_TOKENS_FILE or OKTA_SOAR_SERVE_TOKENS');
  const instances = opts.instances ?? singleInstance(opts.params ?? {});
  const clock = opts.clock ?? systemClock;
  const clients = new ClientPool();
  const metrics = new ServeMetrics(clock);
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const maxConcurrent = opts.maxConcurrent ?? 16;
  let docs: ApiDocuments | undefined;
  let running = 0;
  const mcp = new McpEndpoint(
    {
      dispatch: opts.dispatch,
      instances,
      state: opts.state,
      clients,
      confirmations: new Confirmations(clock),
      changes: !!opts.mcpChanges,
      version: opts.version ?? '0.0.0',
      clock,
      observer: (instance) => metrics.oktaObserver(instance),
      onCall: (tool, outcome, seconds, caller) => {
        metrics.command(tool, outcome, caller, seconds);
        opts.log?.(JSON.stringify(redact({ time: new Date(clock.now()).toISOString(), msg: 'mcp tool call', route: '/mcp', caller, command: tool, outcome, ms: Math.round(seconds * 1000) })));
      },
      ...(opts.run?.warn ? { warn: opts.run.warn } : {}),
    },
    clock,
  );

  const server = http.createServer(async (req, res) => {
    const started = clock.now();
    const id = requestId(req);
    res.setHeader('X-Request-Id', id);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cmd = /^\/v1\/commands\/([^/]{1,200})$/.exec(url.pathname);
    const route = cmd ? '/v1/commands/{name}' : Object.hasOwn(ROUTES, url.pathname) ? url.pathname : 'other';
    const line: Record<string, unknown> = { id, method: req.method, route };
    let caller: Caller | undefined;
    const outcome = (command: string, o: CommandOutcome) => {
      line.command = command;
      line.outcome = o;
      metrics.command(command, o, caller!.name, (clock.now() - started) / 1000);
    };
    try {
      caller = callers.authenticate(req.headers.authorization);
      if (!caller) return fail(res, 401, 'unauthorized: every request needs Authorization: Bearer <token> with the token of a configured caller', { 'WWW-Authenticate': 'Bearer realm="okta-soar"' });
      line.caller = caller.name;
      const methods = cmd ? ['POST'] : ROUTES[url.pathname];
      if (!methods) return fail(res, 404, `no route ${String(req.method).slice(0, 10)} ${url.pathname.slice(0, 200)}: see GET /v1/openapi.json`);
      if (!methods.includes(req.method ?? '')) return fail(res, 405, `${url.pathname} takes ${methods.join(', ')}`, { Allow: methods.join(', ') });

      if (url.pathname === '/healthz') return send(res, 200, { ok: true });
      if (url.pathname === '/metrics') {
        const text = await metrics.text();
        res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
        return void res.end(text);
      }
      if (url.pathname === '/v1/openapi.json' || url.pathname === '/v1/swagger.json') {
        docs ??= apiDocuments();
        // Our own description, with no data in it: not redacted (arguments named password would be masked).
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
        return void res.end(JSON.stringify(url.pathname === '/v1/openapi.json' ? docs.openapi : docs.swagger));
      }
      if (url.pathname === '/v1/commands') {
        return send(
          res,
          200,
          loadManifest()
            .manifest.script.commands.filter((c) => !c.hidden)
            .map((c) => ({ name: c.name, description: c.description, scopes: c.scopes, changes: !!c.changes, arguments: c.arguments.map((a) => ({ name: a.name, required: !!a.required, description: a.description })) })),
        );
      }
      if (url.pathname === '/mcp') {
        let body: unknown;
        if (req.method === 'POST') {
          const text = await readBody(req, maxBody);
          try {
            body = JSON.parse(text);
          } catch {
            res.writeHead(400, { 'Content-Type': 'application/json' });
            return void res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not JSON' }, id: null }));
          }
        }
        return await mcp.handle(req, res, caller, body);
      }

      if (running >= maxConcurrent) return fail(res, 503, `busy: ${maxConcurrent} commands are already running; try again shortly`, { 'Retry-After': '1' });
      if (Number(req.headers['content-length'] ?? 0) > maxBody) return fail(res, 413, `request body larger than ${maxBody} bytes`, { Connection: 'close' });
      running++;
      try {
        const body = await jsonObject(req, maxBody);
        let instance: Instance;
        try {
          instance = instances.resolve(body.using);
        } catch (e) {
          // `using` names no instance: the error names the ones there are.
          if (e instanceof SoarError) return fail(res, 400, e.message);
          throw e;
        }
        const runOpts: RunOptions = { ...opts.run, clients, state: instance.state ?? opts.state, clock, observer: metrics.oktaObserver(instance.name) };
        if (!cmd) {
          if (!opts.fetchIncidents) return fail(res, 501, 'fetch-incidents is not available in this build');
          const lastRun = body.lastRun ?? {};
          if (typeof lastRun !== 'object' || lastRun === null || Array.isArray(lastRun)) return fail(res, 400, 'fetch-incidents: lastRun must be the JSON object of the previous answer');
          try {
            const result = await opts.fetchIncidents(instance.params, lastRun as Record<string, unknown>, runOpts);
            metrics.fetched(instance.name, result.incidents);
            outcome('fetch-incidents', 'ok');
            return send(res, 200, result);
          } catch (e) {
            outcome('fetch-incidents', 'error');
            if (e instanceof SoarError) return fail(res, 422, `fetch-incidents: ${e.message}`);
            throw e;
          }
        }
        const name = decodeSegment(cmd[1]!);
        const command = loadManifest().commands.get(name);
        if (!command || command.hidden) {
          const hint = name.length <= 64 ? closest(name, loadManifest().commands.keys()) : undefined;
          return fail(res, 404, `unknown command ${/^[a-z0-9-]{1,64}$/.test(name) ? name : JSON.stringify(name.slice(0, 64))}${hint ? ` (did you mean ${hint}?)` : ''}: see GET /v1/commands`);
        }
        if (command.changes && !caller.changes && !isDryRun(body)) {
          outcome(name, 'denied');
          return fail(res, 403, `${name} changes Okta, and caller ${caller.name} may only read (its token entry has no changes: true); nothing was sent to Okta. ${DRY_RUN_ARG}: true shows what it would do.`);
        }
        const out = await opts.dispatch(name, body, instance.params, runOpts);
        // A dry run that went well changed nothing: counted apart from the changes made.
        outcome(name, out.exitCode === 0 ? (command.changes && isDryRun(body) ? 'planned' : 'ok') : out.exitCode === 2 ? 'usage_error' : 'error');
        send(res, out.exitCode === 0 ? 200 : out.exitCode === 2 ? 400 : 422, out.entries, {}, out.revealed);
      } finally {
        running--;
      }
    } catch (e) {
      const status = e instanceof BadBody ? 400 : ((e as { status?: number }).status ?? 500);
      if (!res.headersSent) {
        if (status === 413) fail(res, 413, `request body larger than ${maxBody} bytes`, { Connection: 'close' });
        else fail(res, status, status === 400 ? (e as Error).message : 'internal error');
      }
    } finally {
      const status = res.statusCode;
      metrics.httpRequest(route, String(req.method), status, caller?.name);
      opts.log?.(JSON.stringify(redact({ time: new Date(clock.now()).toISOString(), msg: 'request', ...line, status, ms: clock.now() - started })));
    }
  });
  server.requestTimeout = 15 * 60_000;
  server.headersTimeout = 30_000;
  // Idle keep-alive connections outlive a platform's pause between calls and a load balancer's 60 s:
  // closed sooner, a client that reuses one as it closes gets ECONNRESET (seen with MCP clients).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8750, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: async () => {
      await mcp.closeAll();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await clients.closeAll();
    },
  };
}
