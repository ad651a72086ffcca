/**
 * Issue 7's "Done when", through the real CLI process (dist/, as `npx okta-soar` runs it)
 * against the sandbox org on loopback: a wrong token, an unknown command, an over-long value, a
 * traversal attempt, a quote in a filter value and a non-numeric limit each end in exit 1 or 2
 * and one clear error entry under --json, never a stack trace, never a secret. Plus the other
 * rows of docs/security.md that need a real process: secrets from stdin or a file, a foreign
 * polling URL, a hidden reset link.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { runCli, sandboxEnv, tempStateDir, type CliResult } from './helpers.js';

let sb: Sandbox;
let env: Record<string, string>;
let scratch: string;

beforeAll(async () => {
  sb = await startSandbox({ users: 60, logEvents: 200, quiet: true });
  env = sandboxEnv(sb, 'ssws', tempStateDir(), { OKTA_MAX_RETRIES: '0' });
  scratch = mkdtempSync(path.join(tmpdir(), 'okta-soar-hostile-'));
});
afterAll(async () => {
  await sb?.close();
  rmSync(scratch, { recursive: true, force: true });
});

interface ErrorEntry {
  Type: number;
  ContentsFormat: string;
  Contents: string;
  HumanReadable: string;
}

/** Exit 1 or 2, exactly one JSON document on stdout with one error entry, no stack anywhere. */
function expectErrorEntry(r: CliResult, exit: 1 | 2, message: RegExp, secrets: string[] = []): ErrorEntry {
  const out = `${r.stdout}\n${r.stderr}`;
  expect(out).not.toMatch(/\n\s+at /);
  for (const s of secrets) expect(out).not.toContain(s);
  expect({ code: r.code, signal: r.signal }).toEqual({ code: exit, signal: null });
  const entries = JSON.parse(r.stdout) as ErrorEntry[];
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ Type: 4, ContentsFormat: 'text' });
  expect(entries[0]!.Contents).toMatch(message);
  expect(entries[0]!.Contents).not.toMatch(/\n/);
  return entries[0]!;
}

describe('issue 7, Done when: hostile input through the real CLI', () => {
  test('a wrong token: exit 1, Okta 401 E0000011 named, the token nowhere (also with --debug)', async () => {
    const wrong = '00wrong-token-0123456789abcdefghijklmnopq';
    const r = await runCli(['run', 'okta-get-user', 'username=alice@example.com', '--json', '--debug'], { ...env, OKTA_API_TOKEN: wrong });
    expectErrorEntry(r, 1, /^okta-get-user: Okta answered HTTP 401 to GET \/api\/v1\/users\/alice@example.com: E0000011 Invalid token provided/, [wrong]);
    expect(r.stderr).toMatch(/debug: GET \/api\/v1\/users\/alice@example.com -> 401/);
  });

  test('an unknown command: exit 2 with a suggestion', async () => {
    const r = await runCli(['run', 'okta-get-usr', 'username=alice@example.com', '--json'], env);
    expectErrorEntry(r, 2, /^unknown command okta-get-usr \(did you mean okta-get-user\?\): see `okta-soar commands`$/);
  });

  test('an unknown command that is itself hostile: quoted, cut, one line', async () => {
    // (With a second word, the first is taken as the command name, not as a war-room line.)
    const r = await runCli(['run', `x\n    at evil (/x.js:1:1)${'y'.repeat(10_000)}`, 'a=b', '--json'], env);
    const e = expectErrorEntry(r, 2, /^unknown command "x\\n {4}at evil/);
    expect(e.Contents.length).toBeLessThan(200);
  });

  test('an over-long value: exit 1, the bound named, nothing sent', async () => {
    const before = sb.stats.requests;
    const r = await runCli(['run', 'okta-get-user', `username=${'a'.repeat(5000)}@example.com`, '--json'], env);
    expectErrorEntry(r, 1, /^okta-get-user: argument username is longer than 1024 characters$/);
    expect(sb.stats.requests).toBe(before);
  });

  test.each([
    ['userId=../../groups', /argument userId does not have the expected form/],
    ['username=../../groups', /cannot be an id or login in a request path/],
    ['username=..%2f..%2fgroups', /cannot be an id or login in a request path/],
    ['username=..', /cannot be an id or login in a request path/],
  ])('a traversal attempt (%s): exit 1, nothing sent', async (arg, message) => {
    const before = sb.stats.requests;
    const r = await runCli(['run', 'okta-get-user', arg, '--json'], env);
    expectErrorEntry(r, 1, message);
    expect(sb.stats.requests).toBe(before);
  });

  test('a quote in a filter value stays a value: an injection finds nobody', async () => {
    // Unescaped, this would read: profile.email eq "x" or status eq "ACTIVE" (every active user),
    // as the same expression given as a filter shows.
    const raw = await runCli(['run', 'okta-list-users', 'filter=profile.email eq "x" or status eq "ACTIVE"', 'limit=3', '--json'], env);
    expect((JSON.parse(raw.stdout) as Array<{ Contents: unknown[] }>)[0]!.Contents).toHaveLength(3);
    const r = await runCli(['run', 'okta-get-user', 'userEmail=x" or status eq "ACTIVE', '--json'], env);
    expect(r.code).toBe(0);
    const [e] = JSON.parse(r.stdout) as Array<{ Type: number; HumanReadable: string; EntryContext?: Record<string, unknown> }>;
    expect(e).toMatchObject({ Type: 1, HumanReadable: 'User \'x" or status eq "ACTIVE\' was not found.' });
    expect(Object.keys(e!.EntryContext ?? {}).filter((k) => k.startsWith('Account'))).toEqual([]);
  });

  test('a quote left open in a filter expression: exit 1, Okta\'s own error named', async () => {
    const r = await runCli(['run', 'okta-list-users', 'filter=status eq "ACTIVE', '--json'], env);
    expectErrorEntry(r, 1, /^okta-list-users: Okta answered HTTP 400 to GET \/api\/v1\/users: E0000031/);
  });

  test.each([['limit=lots'], ['limit=1e3'], ['limit=-5'], ['limit=0x10']])('a non-numeric or out-of-range limit (%s): exit 1', async (arg) => {
    const r = await runCli(['run', 'okta-list-users', arg, '--json'], env);
    expectErrorEntry(r, 1, /^okta-list-users: argument limit must be (a whole number|at least 1)$/);
  });

  test('a line break in a value: exit 1 (a value stays one line)', async () => {
    const r = await runCli(['run', 'okta-get-user', 'userEmail=alice@example.com\nbob@example.com', '--json'], env);
    expectErrorEntry(r, 1, /argument userEmail contains a line break/);
  });

  test('a polling_url on another host: exit 1, refused before any request', async () => {
    const before = sb.stats.requests;
    const r = await runCli(['run', 'okta-verify-mfa-status', 'polling_url=https://evil.example/api/v1/users/00u1/factors/opf1/transactions/v2mst1', '--json'], env);
    expectErrorEntry(r, 1, /refused to send credentials to https:\/\/evil.example/);
    expect(sb.stats.requests).toBe(before);
  });

  test('a malformed flag under --json: exit 2 with an error entry', async () => {
    const r = await runCli(['run', 'okta-get-user', '--secret-stdin', '--json'], env);
    expectErrorEntry(r, 2, /--secret-stdin needs a value/);
  });
});

describe('secrets through the real CLI', () => {
  const password = 'Corr3ct-Horse-Battery-Staple!';

  test('okta-set-password with --secret-stdin: set, never printed, no warning', async () => {
    const r = await runCli(['run', 'okta-set-password', 'username=alice@example.com', '--secret-stdin', 'password', '--json', '--debug'], env, { input: `${password}\n` });
    expect(r.code).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
    expect(r.stderr).not.toMatch(/visible to other local users/);
    expect(JSON.parse(r.stdout)[0].Type).toBe(1);
  });

  test('okta-set-password with --secret-file (0644: warned)', async () => {
    const file = path.join(scratch, 'pw');
    writeFileSync(file, `${password}\n`);
    chmodSync(file, 0o644);
    const r = await runCli(['run', 'okta-set-password', 'alice@example.com', `--secret-file=password=${file}`, '--json'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/can be read by other users \(mode 644\)/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
  });

  test('a password on the command line still works, with a warning, and is not echoed', async () => {
    const r = await runCli(['run', 'okta-set-password', 'username=alice@example.com', `password=${password}`, '--json'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: password given on the command line is visible to other local users/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
  });

  test('okta-reset-password sendEmail=false: the one-time link is hidden unless reveal_url=true', async () => {
    const hidden = await runCli(['run', 'okta-reset-password', 'username=bob@example.com', 'sendEmail=false', '--json'], env);
    expect(hidden.code).toBe(0);
    expect(hidden.stdout).not.toMatch(/reset-password\/[A-Za-z0-9_-]{10,}|reset_password\/[A-Za-z0-9_-]{10,}/);
    const shown = await runCli(['run', 'okta-reset-password', 'username=bob@example.com', 'sendEmail=false', 'reveal_url=true', '--json'], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/\/(signin\/reset-password|reset_password)\/[A-Za-z0-9_-]{10,}/);
  });
});
