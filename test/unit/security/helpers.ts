/**
 * Shared pieces of the security tests: a fake CLI IO that collects what the CLI prints, a
 * catch-all Okta stub (nock) that records every request, a leak scanner, and valid stand-in
 * values for a command's other arguments.
 */
import { Readable, Writable } from 'node:stream';
import { Ajv } from 'ajv';
import nock from 'nock';
import { argumentSchema } from '../../../integration/engine/args.js';
import type { CliIO } from '../../../integration/faces/cli/io.js';
import type { ManifestArgument, ManifestCommand } from '../../../integration/engine/manifest.js';

export const ORG = 'https://example.okta.com';

export interface FakeIO {
  io: CliIO;
  stdout(): string;
  stderr(): string;
}

/** A CliIO whose stdout and stderr collect strings; stdin holds `input` (or is a fake terminal). */
export function fakeIO(env: Record<string, string | undefined>, input = ''): FakeIO {
  let out = '';
  let err = '';
  const collect = (add: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        add(chunk.toString());
        cb();
      },
    });
  const stdout = collect((s) => (out += s));
  const stderr = collect((s) => (err += s));
  const stdin = Readable.from(input ? [Buffer.from(input)] : []);
  return { io: { stdout, stderr, stdin, env: { ...env } }, stdout: () => out, stderr: () => err };
}

export interface SeenRequest {
  method: string;
  /** Path and query exactly as they reached the server. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Answers every request to `origin` like a quiet Okta org (lists are empty, single objects are
 * not found, changes succeed) and records them. Anything to another host fails (nock's
 * disableNetConnect must be on) and is recorded in `foreign`.
 */
export function catchAllOkta(origin = ORG): { seen: SeenRequest[]; foreign: string[]; stop(): void } {
  const seen: SeenRequest[] = [];
  const foreign: string[] = [];
  const onNoMatch = (req: { method?: string; href?: string; path?: string; hostname?: string }) => {
    foreign.push(`${req.method ?? '?'} ${req.href ?? `${req.hostname ?? ''}${req.path ?? ''}`}`);
  };
  nock.emitter.on('no match', onNoMatch);
  const reply = function (this: { req: { headers: Record<string, string | string[] | undefined>; method?: string } }, uri: string, body: unknown): [number, unknown] {
    const method = String(this.req.method ?? '').toUpperCase();
    seen.push({ method, path: uri, headers: this.req.headers, body: typeof body === 'string' ? body : JSON.stringify(body ?? '') });
    const pathname = uri.split('?')[0]!;
    if (method === 'GET') {
      if (/^\/api\/v1\/[A-Za-z]+$/.test(pathname)) return [200, []];
      return [404, { errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: x (User)', errorLink: 'E0000007', errorId: 'oaeNotFound', errorCauses: [] }];
    }
    return [200, {}];
  };
  const scope = nock(origin).persist();
  for (const m of ['get', 'post', 'put', 'delete', 'patch'] as const) scope[m](/.*/).reply(reply as never);
  return {
    seen,
    foreign,
    stop() {
      nock.emitter.removeListener('no match', onNoMatch);
    },
  };
}

/** Every string in a value, deep. */
export function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** Lines of a stack trace ("    at fn (file:1:2)"). */
export const STACK_LINE = /\n\s+at /;

/** The 16+ character base64 lines of a PEM: any of them would be a key fragment. */
export function pemLines(pem: string): string[] {
  return pem.split(/\r?\n/).filter((l) => l.length >= 16 && !l.startsWith('-----'));
}

/**
 * Asserts that no secret appears in any of the texts, and that no text holds a JWT, a PEM
 * private key or a stack trace. Names the secret and where, never prints it whole.
 */
export function assertNoLeak(texts: Record<string, string>, secrets: Iterable<string>): void {
  const list = [...new Set([...secrets].filter((s) => s && s.length >= 4))];
  for (const [where, text] of Object.entries(texts)) {
    for (const s of list) {
      if (text.includes(s)) throw new Error(`secret ${JSON.stringify(s.slice(0, 6))}… (${s.length} chars) leaked into ${where}: …${text.slice(Math.max(0, text.indexOf(s) - 60), text.indexOf(s))}…`);
    }
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/]/.test(text)) throw new Error(`a PEM private key leaked into ${where}`);
    if (/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(text)) throw new Error(`a JWT leaked into ${where}: ${text.slice(0, 300)}`);
    if (STACK_LINE.test(text)) throw new Error(`a stack trace in ${where}: ${text.slice(0, 500)}`);
  }
}

const ajv = new Ajv({ strict: false });
const CANDIDATES = ['00u1abcdEFGH2345ijkl', 'alice@example.com', 'a', 'ACTIVE', '1.1.1.1', '2024-01-01T00:00:00.000Z', '1 day', '5', 'true', '{}'];

/** A valid war-room string for an argument (for filling a command's other required arguments). */
export function validValue(a: ManifestArgument): string {
  if (a.defaultValue !== undefined) return String(a.defaultValue);
  const s = argumentSchema(a);
  const items = (s.items as Record<string, unknown> | undefined) ?? s;
  if (Array.isArray(items.enum) && items.enum.length) return String(items.enum[0]);
  const t = items.type;
  if (t === 'integer' || t === 'number') return String(typeof items.minimum === 'number' ? Math.max(items.minimum, 1) : 1);
  if (t === 'boolean') return 'false';
  if (t === 'object') return '{}';
  const check = ajv.compile(items);
  const hit = CANDIDATES.find((c) => check(c));
  return hit ?? 'a';
}

/** Arguments that satisfy `c` apart from `skip`: its required ones and one of each requireOneOf group. */
export function otherArgs(c: ManifestCommand, skip?: string): Record<string, string> {
  const out: Record<string, string> = {};
  const needed = new Set(c.arguments.filter((a) => a.required).map((a) => a.name));
  for (const group of c.requireOneOf ?? []) if (!skip || !group.includes(skip)) needed.add(group[0]!);
  for (const name of needed) {
    if (name === skip) continue;
    const a = c.arguments.find((x) => x.name === name)!;
    out[name] = validValue(a);
  }
  return out;
}

/** Safe percent-decoding (a malformed escape stays as it is). */
export function decodeLoosely(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A loopback server that reads each request and then resets the connection (a real
 * ECONNRESET, which nock's replyWithError only imitates). `requests` holds the raw request text.
 */
export async function resettingServer(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const { createServer } = await import('node:net');
  const requests: string[] = [];
  const server = createServer((socket) => {
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
      if (text.length - end - 4 < length) return;
      requests.push(text);
      socket.resetAndDestroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The credentials in a raw HTTP request: Authorization and DPoP header values, a client assertion. */
export function credentialsIn(raw: string): string[] {
  const out: string[] = [];
  for (const m of raw.matchAll(/\r\n(?:authorization|dpop):\s*(?:(?:SSWS|Bearer|DPoP)\s+)?([^\r\n]+)/gi)) out.push(m[1]!.trim());
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  const a = new URLSearchParams(body).get('client_assertion');
  if (a) out.push(a);
  return out;
}

/** The same quiet org as catchAllOkta, as an in-memory Transport (fast: no sockets). */
export function quietOrgTransport(origin = ORG): { transport: import('../../../integration/okta/types.js').Transport; seen: SeenRequest[]; foreign: string[] } {
  const seen: SeenRequest[] = [];
  const foreign: string[] = [];
  const transport = async (req: import('../../../integration/okta/types.js').WireRequest) => {
    const u = new URL(req.url);
    if (u.origin !== origin) {
      foreign.push(`${req.method} ${req.url}`);
      throw new Error('foreign host');
    }
    seen.push({ method: req.method, path: req.url.slice(origin.length), headers: req.headers, body: req.data ?? '' });
    const json = { 'content-type': 'application/json' };
    if (req.method === 'GET') {
      if (/^\/api\/v1\/[A-Za-z]+$/.test(u.pathname)) return { status: 200, headers: json, body: '[]' };
      return { status: 404, headers: json, body: JSON.stringify({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: x (User)', errorCauses: [] }) };
    }
    return { status: 200, headers: json, body: '{}' };
  };
  return { transport, seen, foreign };
}
