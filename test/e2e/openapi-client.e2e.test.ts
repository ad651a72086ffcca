/**
 * Issue 19, "Done when": a client generated from serve's OpenAPI 3.1 document by an independent tool
 * (@hey-api/openapi-ts, offline) works. The real CLI serves the sandbox org; the document is fetched
 * from it, the client generated and compiled with tsc together with a caller whose calls must
 * type-check against the generated types, and that caller runs three commands through it. The
 * answers also validate against the document's own response schemas.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { tokenHash } from '../../integration/faces/serve/callers.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { childEnv } from '../child-env.js';
import { BIN, ROOT } from './helpers.js';

const require = createRequire(import.meta.url);
const TOKEN = 'generated-client-token-7c41d2e9b3a8';
const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-genclient-'));
let sb: Sandbox;
let serve: ChildProcess;
let url: string;
const stderr: string[] = [];

beforeAll(async () => {
  sb = await startSandbox({ users: 20, logEvents: 100, quiet: true });
  serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json'], {
    env: childEnv({
      OKTA_URL: sb.url,
      OKTA_API_TOKEN: sb.apiToken,
      OKTA_STATE_DIR: path.join(dir, 'state'),
      OKTA_SOAR_SERVE_TOKENS: JSON.stringify({ callers: [{ name: 'generated-client', sha256: tokenHash(TOKEN), changes: true }] }),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serve.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    serve.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
    });
    serve.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr.join('')}`)));
  });
}, 30_000);

afterAll(async () => {
  if (serve.exitCode === null) {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The caller: its calls must type-check against the generated types (an unknown argument must not). */
const CALLER = `
import { client } from './gen/client.gen.js';
import { oktaGetUser, oktaListUsers, oktaSuspendUser } from './gen/sdk.gen.js';

declare const process: { argv: string[]; stdout: { write(s: string): void } };
const [, , baseUrl, token, login] = process.argv;
client.setConfig({ baseUrl, auth: () => token });

// @ts-expect-error the generated argument type knows there is no argument "usernme"
void (() => oktaGetUser({ body: { usernme: 'x' } }));

const got = await oktaGetUser({ body: { username: 'alice@example.com', verbose: true } });
const listed = await oktaListUsers({ body: { limit: 3 } });
const suspended = await oktaSuspendUser({ body: { username: login } });
const refused = await oktaGetUser({ body: { username: 'a', userId: '!!!' } });
process.stdout.write(JSON.stringify({
  got: { status: got.response.status, data: got.data },
  listed: { status: listed.response.status, data: listed.data },
  suspended: { status: suspended.response.status, data: suspended.data },
  refused: { status: refused.response.status, error: refused.error },
}));
`;

/** A child process, awaited without blocking: the sandbox answers from this process's event loop. */
function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(args[0] ?? cmd)} failed (${code}): ${out}\n${err}`));
    });
  });
}

test('a client generated from /v1/openapi.json runs okta-get-user, okta-list-users and okta-suspend-user against the sandbox', async () => {
  const res = await fetch(`${url}/v1/openapi.json`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { openapi: string; components: Record<string, unknown> };
  expect(doc.openapi).toBe('3.1.0');
  const docFile = path.join(dir, 'openapi.json');
  writeFileSync(docFile, JSON.stringify(doc));

  const app = path.join(dir, 'app');
  const gen = path.join(app, 'gen');
  // Generate (offline: a local file in, TypeScript out).
  await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createClient } from '@hey-api/openapi-ts';
       await createClient({ input: ${JSON.stringify(docFile)}, output: { path: ${JSON.stringify(gen)} }, plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'], logs: { level: 'silent' } });`,
    ],
    ROOT,
  );
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(path.join(app, 'main.ts'), CALLER);
  writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [], outDir: 'js', skipLibCheck: true }, include: ['main.ts', 'gen/**/*.ts'] }),
  );
  await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(app, 'tsconfig.json')], app);

  const login = sb.org.addUser({ login: 'generated.client@example.com', status: 'ACTIVE' }).profile.login as string;
  const out = JSON.parse(await run(process.execPath, [path.join(app, 'js', 'main.js'), url, TOKEN, login], app)) as Record<string, { status: number; data?: unknown; error?: unknown }>;

  const got = out.got!.data as Array<{ EntryContext: Record<string, { Username: string }> }>;
  expect(out.got!.status).toBe(200);
  expect(got[0]!.EntryContext['Account(val.ID && val.ID === obj.ID)']!.Username).toBe('alice@example.com');
  expect(out.listed!.status).toBe(200);
  expect((out.listed!.data as Array<{ Contents: unknown[] }>)[0]!.Contents).toHaveLength(3);
  expect(out.suspended!.status).toBe(200);
  expect(sb.org.requireUser(login).status).toBe('SUSPENDED');
  expect(out.refused!.status).toBe(422);
  expect(JSON.stringify(out.refused!.error)).toMatch(/argument userId does not have the expected form/);

  // The answers are what the document says they are.
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const check = (name: string, data: unknown) => {
    const v = ajv.compile({ $ref: `#/components/schemas/${name}`, components: doc.components });
    expect(v(data) ? [] : v.errors).toEqual([]);
  };
  check('OktaGetUserEntries', out.got!.data);
  check('OktaListUsersEntries', out.listed!.data);
  check('OktaSuspendUserEntries', out.suspended!.data);
  check('ErrorEntries', out.refused!.error);
  // serve logged each call on stderr as JSON, naming the caller and never its token.
  const lines = stderr.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { caller?: string; command?: string });
  expect(lines.filter((l) => l.caller === 'generated-client' && l.command).map((l) => l.command)).toEqual(['okta-get-user', 'okta-list-users', 'okta-suspend-user', 'okta-get-user']);
  expect(stderr.join('')).not.toContain(TOKEN);
}, 180_000);
