/**
 * Real processes: the auth modules are transpiled to a temp directory, child `node` processes
 * share one FileStore directory and talk to the sandbox authorization server over loopback
 * HTTP. Proves the contract's "several CLI processes mint one token between them" and that a
 * mint lock whose holder was killed (SIGKILL) is taken over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { createSandboxOAuth, type SandboxOAuthServer } from '../../../sandbox/oauth-server.js';
import { makeKey, SCOPES, CLIENT_ID, type TestKey } from './helpers.js';
import { childEnv } from '../../child-env.js';

const ROOT = path.resolve(process.cwd());
/** Entry points of the child; their relative imports are followed, so new dependencies come along. */
const ENTRIES = ['integration/state/store.ts', 'integration/base/clock.ts', 'integration/okta/auth/oauth.ts'];

const CHILD = `
import { FileStore } from './integration/state/store.js';
import { systemClock } from './integration/base/clock.js';
import { createOAuthAuth } from './integration/okta/auth/oauth.js';
const env = process.env;
const hang = env.MODE === 'hang';
const transport = async (req) => {
  if (hang && req.url.endsWith('/oauth2/v1/token')) {
    // Stay alive holding the lock (a pending promise alone would let node exit and release it).
    setInterval(() => {}, 1000);
    process.stdout.write('MINTING\\n');
    return new Promise(() => {});
  }
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.data });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
};
const auth = createOAuthAuth({
  origin: env.ORIGIN, clientId: env.CLIENT_ID, privateKey: env.KEY, keyId: env.KID,
  scopes: env.SCOPES.split(' '), dpop: 'auto', transport, state: new FileStore(env.STATE_DIR), clock: systemClock,
});
const url = env.ORIGIN + '/api/v1/users';
let res = await transport({ method: 'GET', url, headers: await auth.authorize('GET', url) });
if ((res.status === 401 || res.status === 400) && (await auth.onAuthFailure(res, { method: 'GET', url })) === 'retry') {
  res = await transport({ method: 'GET', url, headers: await auth.authorize('GET', url) });
}
process.stdout.write(JSON.stringify({ status: res.status, tokenRequests: auth.stats.tokenRequests }) + '\\n');
`;

let work: string;
let key: TestKey;
let server: http.Server;
let origin: string;
let sandbox: SandboxOAuthServer;

beforeAll(async () => {
  key = await makeKey('EC');
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-soar-mp-'));
  const queue = [...ENTRIES];
  const seen = new Set<string>();
  while (queue.length) {
    const rel = queue.shift()!;
    if (seen.has(rel)) continue;
    seen.add(rel);
    const src = await fs.readFile(path.join(ROOT, rel), 'utf8');
    for (const m of src.matchAll(/from\s+'(\.{1,2}\/[^']+)\.js'/g)) queue.push(path.posix.join(path.posix.dirname(rel), `${m[1]}.ts`));
    const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const dest = path.join(work, rel.replace(/\.ts$/, '.js'));
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(dest, out);
  }
  await fs.writeFile(path.join(work, 'package.json'), '{"type":"module"}');
  await fs.writeFile(path.join(work, 'child.js'), CHILD);
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');

  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
      const sreq = { method: req.method ?? 'GET', url: origin + (req.url ?? '/'), headers, body: Buffer.concat(chunks).toString('utf8') };
      let answer;
      if ((req.url ?? '').startsWith('/oauth2/v1/token')) answer = await sandbox.handleToken(sreq);
      else {
        const r = await sandbox.authenticate(sreq);
        answer = r.ok ? { status: 200, headers: {}, body: [] } : r.response;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await fs.rm(work, { recursive: true, force: true });
});

function freshSandbox(requireDpop: boolean) {
  sandbox = createSandboxOAuth({ origin, now: () => Date.now(), apps: [{ clientId: CLIENT_ID, publicJwks: [key.publicJwk], grantedScopes: SCOPES, requireDpop }] });
}

function child(stateDir: string, mode: 'run' | 'hang' = 'run'): { proc: ChildProcess; lines: string[]; done: Promise<number | null> } {
  const proc = spawn(process.execPath, ['child.js'], {
    cwd: work,
    env: childEnv({ ORIGIN: origin, CLIENT_ID, KEY: key.pkcs8, KID: key.kid, SCOPES: SCOPES.join(' '), STATE_DIR: stateDir, MODE: mode }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      if (code && code !== 0) lines.push(`STDERR ${err}`);
      resolve(code);
    }),
  );
  return { proc, lines, done };
}

async function result(c: ReturnType<typeof child>): Promise<{ status: number; tokenRequests: number }> {
  const code = await c.done;
  expect({ code, lines: c.lines }).toMatchObject({ code: 0 });
  return JSON.parse(c.lines.at(-1)!);
}

describe.each([
  ['Bearer', false],
  ['DPoP', true],
])('separate processes, %s', (_name, requireDpop) => {
  let stateDir: string;
  beforeEach(async () => {
    freshSandbox(requireDpop);
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-soar-mp-state-'));
  });
  afterEach(async () => {
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('three processes in a row mint one token between them', async () => {
    for (let i = 0; i < 3; i++) expect((await result(child(stateDir))).status).toBe(200);
    expect(sandbox.stats.tokensMinted).toBe(1);
  });

  it('four processes at once mint one token between them', async () => {
    const all = await Promise.all([0, 1, 2, 3].map(() => result(child(stateDir))));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(sandbox.stats.tokensMinted).toBe(1);
  });
});

describe('a killed lock holder', () => {
  it('SIGKILL while minting: the next process takes the stale lock over and mints', async () => {
    freshSandbox(false);
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-soar-mp-state-'));
    try {
      const holder = child(stateDir, 'hang');
      while (!holder.lines.includes('MINTING')) await new Promise((r) => setTimeout(r, 20));
      const lockDir = (await fs.readdir(stateDir)).find((f) => f.endsWith('.lock-target.lock'));
      expect(lockDir).toMatch(/^mint-/);
      holder.proc.kill('SIGKILL');
      expect(await holder.done).toBeNull(); // killed, not exited: its lock directory stays behind
      expect(await fs.readdir(stateDir)).toContain(lockDir);
      const started = Date.now();
      const r = await result(child(stateDir));
      expect(r.status).toBe(200);
      expect(sandbox.stats.tokensMinted).toBe(1);
      // proper-lockfile treats a lock as stale 10 s after its holder stopped refreshing it.
      expect(Date.now() - started).toBeGreaterThan(5_000);
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  }, 40_000);
});
