import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { runCli, sandboxEnv, tempStateDir } from './helpers.js';

let sb: Sandbox;
let env: Record<string, string>;

beforeAll(async () => {
  sb = await startSandbox({ users: 520, logEvents: 3000, quiet: true });
  env = sandboxEnv(sb, 'ssws', tempStateDir());
});
afterAll(() => sb?.close());

describe('okta-soar CLI against the sandbox org (real process, real HTTP on loopback)', () => {
  test('run okta-get-user --json prints the contract §4 entry with the Account context', async () => {
    const r = await runCli(['run', 'okta-get-user', 'username=alice@example.com', '--json'], env);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(entries).toHaveLength(1);
    const e = entries[0]!;
    expect(e).toMatchObject({ Type: 1, ContentsFormat: 'json' });
    expect(typeof e.HumanReadable).toBe('string');
    const account = (e.EntryContext as Record<string, Record<string, unknown>>)['Account(val.ID && val.ID === obj.ID)']!;
    expect(account).toMatchObject({ Username: 'alice@example.com', Email: 'alice@example.com', Status: 'ACTIVE', Type: 'Okta', DisplayName: 'Alice Example' });
    expect(account.ID).toMatch(/^00u[A-Za-z0-9]{17}$/);
  });

  test('an Okta error is an error entry with exit 1 naming status, errorCode and errorSummary', async () => {
    const r = await runCli(['run', 'okta-get-user', 'username=alice@example.com', '--json'], { ...env, OKTA_API_TOKEN: 'wrong-token-0000000000' });
    expect(r.code).toBe(1);
    const [e] = JSON.parse(r.stdout) as Array<{ Type: number; Contents: string }>;
    expect(e!.Type).toBe(4);
    expect(e!.Contents).toMatch(/okta-get-user: Okta answered HTTP 401 .*E0000011 Invalid token provided/);
    expect(r.stdout + r.stderr).not.toContain('wrong-token-0000000000');
  });

  test('a malformed argument gets an error entry that names the argument (exit 1), an unknown command exit 2', async () => {
    const bad = await runCli(['run', 'okta-list-users', 'limit=lots', '--json'], env);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)[0].Contents).toBe('okta-list-users: argument limit must be a whole number');
    const unknown = await runCli(['run', 'okta-frobnicate', '--json'], env);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)[0]).toMatchObject({ Type: 4 });
  });

  test('okta-list-users limit=450 returns 450 users from three pages; its cursor continues right after', async () => {
    const before = sb.stats.byRoute['GET /api/v1/users'] ?? 0;
    const r = await runCli(['run', 'okta-list-users', 'limit=450', '--json'], env);
    expect(r.code).toBe(0);
    const [e] = JSON.parse(r.stdout) as Array<{ EntryContext: Record<string, unknown> }>;
    const users = e!.EntryContext['Account(val.ID && val.ID === obj.ID)'] as Array<{ ID: string }>;
    expect(users).toHaveLength(450);
    expect(new Set(users.map((u) => u.ID)).size).toBe(450);
    expect((sb.stats.byRoute['GET /api/v1/users'] ?? 0) - before).toBe(3);
    const tag = (e!.EntryContext['Okta.User(val.tag)'] as { tag: string }).tag;
    const next = await runCli(['run', 'okta-list-users', 'limit=10', `after=${tag}`, '--json'], env);
    const nextUsers = JSON.parse(next.stdout)[0].EntryContext['Account(val.ID && val.ID === obj.ID)'] as Array<{ ID: string }>;
    const all = await runCli(['run', 'okta-list-users', 'limit=460', '--json'], env);
    const allUsers = JSON.parse(all.stdout)[0].EntryContext['Account(val.ID && val.ID === obj.ID)'] as Array<{ ID: string }>;
    expect(nextUsers.map((u) => u.ID)).toEqual(allUsers.slice(450, 460).map((u) => u.ID));
  });

  test('--help, --version and run <command> --help', async () => {
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/okta-soar run <command>/);
    const v = await runCli(['--version'], {});
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const ch = await runCli(['run', 'okta-list-users', '--help'], {});
    expect(ch.code).toBe(0);
    expect(ch.stdout).toMatch(/limit \(positional, default 200\)/);
    expect(ch.stdout).toMatch(/Okta API scopes: okta.users.read/);
  });

  test('a large result reaches a pipe whole before the process exits', async () => {
    const r = await runCli(['run', 'okta-get-logs', 'limit=3000', '--json'], env, { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const [e] = JSON.parse(r.stdout) as Array<{ Contents: unknown[] }>;
    expect(e!.Contents).toHaveLength(3000);
  });

  test('war-room lines run unchanged, quoting included', async () => {
    const r = await runCli(['run', '!okta-get-logs filter="eventType eq \\"user.session.start\\"" limit=5', '--json'], env);
    expect(r.code).toBe(0);
    const events = JSON.parse(r.stdout)[0].Contents as Array<{ eventType: string }>;
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((ev) => ev.eventType === 'user.session.start')).toBe(true);
  });
});
