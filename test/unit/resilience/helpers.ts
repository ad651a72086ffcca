/**
 * Shared pieces of the resilience tests: a client wired to nock through the real transport,
 * a simulated Okta rate limiter on the ManualClock, a recording CONNECT proxy and a
 * self-signed certificate made at test time (nothing committed).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { ManualClock } from '../../../integration/base/clock.js';
import { createSswsAuth } from '../../../integration/okta/auth/ssws.js';
import { OktaHttpClient } from '../../../integration/okta/client.js';
import { createTransport } from '../../../integration/okta/transport.js';
import type { AuthProvider, ClientOptions, Transport } from '../../../integration/okta/types.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { ORG, TOKEN } from '../../helpers/fixtures.js';

export { ORG, TOKEN };

/** 2026-11-22T12:00:00Z: a whole second, so epoch-second resets are exact. */
export const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
export const T0S = T0 / 1000;

export type ClientOver = Partial<ClientOptions> & { maxConcurrency?: number; random?: () => number; transport?: Transport; auth?: AuthProvider };

export interface TestClient {
  client: OktaHttpClient;
  clock: ManualClock;
  warnings: string[];
  debug: string[];
  close(): void;
}

const open: TestClient[] = [];

/** Closes the keep-alive agents of every client `makeClient` made (call in afterEach). */
export function closeClients(): void {
  for (const c of open.splice(0)) c.close();
}

/** An SSWS client on ORG through the real axios transport (nock intercepts it), a ManualClock, and jitter pinned to the middle. */
export function makeClient(over: ClientOver = {}): TestClient {
  const clock = over.clock instanceof ManualClock ? over.clock : new ManualClock(T0);
  const own = over.transport ? undefined : createTransport({ proxy: false, insecure: false });
  const warnings: string[] = [];
  const debug: string[] = [];
  const client = new OktaHttpClient({
    origin: ORG,
    auth: createSswsAuth(TOKEN),
    transport: own!,
    state: new MemoryStore(),
    userAgent: 'okta-soar/test',
    maxRetries: 4,
    timeoutMs: 60_000,
    maxWaitMs: 300_000,
    maxApiCapacity: 100,
    maxConcurrency: 8,
    random: () => 0.5,
    warn: (l) => warnings.push(l),
    debug: (l) => debug.push(l),
    ...over,
    clock,
  });
  const t = { client, clock, warnings, debug, close: () => own?.close() };
  open.push(t);
  return t;
}

export function rateHeaders(limit: number, remaining: number, reset: number, date?: number): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Rate-Limit-Limit': String(limit),
    'X-Rate-Limit-Remaining': String(remaining),
    'X-Rate-Limit-Reset': String(reset),
    'X-Okta-Request-Id': `req-${Math.random().toString(36).slice(2)}`,
  };
  if (date !== undefined) h.Date = new Date(date).toUTCString();
  return h;
}

export const E0000047 = {
  errorCode: 'E0000047',
  errorSummary: 'API call exceeded rate limit due to too many requests.',
  errorLink: 'E0000047',
  errorId: 'oaeRateLimit',
  errorCauses: [],
};

/**
 * Okta's limiter in miniature, on a clock: a window starts with the first request in it and
 * resets `windowMs` later (reported rounded up to the second); over the limit answers 429.
 */
export class SimulatedBucket {
  private start = -Infinity;
  private count = 0;
  readonly log: Array<{ at: number; status: number }> = [];
  constructor(
    private readonly now: () => number,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** A nock reply: [status, body, headers]. */
  reply(body: unknown = {}): [number, unknown, Record<string, string>] {
    const now = this.now();
    if (now >= this.start + this.windowMs) {
      this.start = now;
      this.count = 0;
    }
    const reset = Math.ceil((this.start + this.windowMs) / 1000);
    const allowed = this.count < this.limit;
    if (allowed) this.count++;
    const status = allowed ? 200 : 429;
    this.log.push({ at: now, status });
    return [status, allowed ? body : E0000047, rateHeaders(this.limit, this.limit - this.count, reset)];
  }

  get answered429(): number {
    return this.log.filter((l) => l.status === 429).length;
  }

  /** Requests let through per window start. */
  perWindow(): number[] {
    const out = new Map<number, number>();
    let windowStart = -Infinity;
    for (const l of this.log) {
      if (l.at >= windowStart + this.windowMs) windowStart = l.at;
      if (l.status === 200) out.set(windowStart, (out.get(windowStart) ?? 0) + 1);
    }
    return [...out.values()];
  }
}

// ---------------------------------------------------------------- a misbehaving server

export type Step =
  /** Destroy the connection without an answer: the client sees `socket hang up` (ECONNRESET). */
  | 'hangup'
  /** Reset the connection (TCP RST): the client sees `read ECONNRESET`. */
  | 'reset'
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };

export interface ScriptedServer {
  origin: string;
  /** `METHOD /path` of every request that arrived, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that answers request n with step n (then 599). Network
 * failures are made with real sockets: nock's replyWithError hangs with a plain object and,
 * with an Error, emits socket errors nobody listens to in long runs.
 */
export async function startScriptedServer(steps: Step[]): Promise<ScriptedServer> {
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const step = steps[requests.length] ?? { status: 599, body: { error: 'no more steps' } };
      requests.push(`${req.method} ${req.url}`);
      if (step === 'hangup') return void req.socket.destroy();
      if (step === 'reset') return void req.socket.resetAndDestroy();
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(step.status, { 'Content-Type': 'application/json', ...step.headers });
        res.end(step.body === undefined ? '' : JSON.stringify(step.body));
      };
      if (!step.delayMs) return send();
      const t = setTimeout(() => {
        timers.delete(t);
        send();
      }, step.delayMs);
      timers.add(t);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------- a recording CONNECT proxy

export interface RecordingProxy {
  url: string;
  /** `host:port` of every CONNECT. */
  connects: string[];
  /** `METHOD /path?query` of every plain-text request seen inside a tunnel (TLS tunnels are opaque). */
  requests: string[];
  close(): Promise<void>;
}

/** An HTTP proxy on 127.0.0.1 that only tunnels (CONNECT), like most corporate proxies; `route` may send a name to a local port. */
export async function startConnectProxy(route: (host: string, port: number) => { host: string; port: number } = (host, port) => ({ host, port })): Promise<RecordingProxy> {
  const connects: string[] = [];
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405, { 'Content-Type': 'text/plain' });
    res.end('this proxy only tunnels (CONNECT)');
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    connects.push(target);
    const i = target.lastIndexOf(':');
    const to = route(target.slice(0, i).replace(/^\[|\]$/g, ''), Number(target.slice(i + 1)));
    const upstream = net.connect(to.port, to.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.on('data', (chunk: Buffer) => {
      for (const m of chunk.toString('latin1').matchAll(/^(GET|POST|PUT|DELETE|PATCH) (\S+) HTTP\/1\.[01]\r?$/gm)) requests.push(`${m[1]} ${m[2]}`);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------- a self-signed certificate, made at test time

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => der(0x31, Buffer.concat(parts));
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const v of rest) {
    const groups = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) groups.unshift((x & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}
/**
 * Valid from 2000 to RFC 5280's "no well-defined expiration" (99991231235959Z): TLS checks the
 * validity against the clock of Node's OpenSSL, which libfaketime does not move, while the test's
 * own clock may be years ahead; a window around either would fail on the other.
 */
const VALIDITY = seq(der(0x17, Buffer.from('000101000000Z')), der(0x18, Buffer.from('99991231235959Z')));

/** A P-256 self-signed certificate for `names` (DNS) and 127.0.0.1, valid whatever the clock says. */
export function selfSignedCert(names: string[]): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), der(0x0c, Buffer.from('okta-soar test')))));
  const san = seq(...names.map((n) => der(0x82, Buffer.from(n))), der(0x87, Buffer.from([127, 0, 0, 1])));
  const extensions = der(0xa3, seq(seq(oid('2.5.29.17'), der(0x04, san))));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.from([0x01, ...Array.from({ length: 8 }, () => Math.floor(Math.random() * 256))])),
    ecdsaSha256,
    name,
    VALIDITY,
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = seq(tbs, ecdsaSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = cert.toString('base64').replace(/.{64}/g, '$&\n');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`,
  };
}
