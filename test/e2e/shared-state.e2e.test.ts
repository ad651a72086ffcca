/**
 * Issue 18 with real parts: several real CLI processes, the sandbox org on loopback, and a real
 * redis-server on a free loopback port (test/helpers/redis-server.ts).
 *
 * - one rate budget for processes sharing a state (a directory, or Redis): a crowd of processes
 *   reading the System Log through 3 requests per 2 s waits instead of taking 429s;
 * - two `fetch-incidents --follow` on one Redis state: kill -9 the one holding the lease, the
 *   other takes over, and what both printed holds every event, repeats only from the batch the
 *   killed one printed and could not commit;
 * - Redis restarted in the middle of a --follow fetch: the cycle fails cleanly, the next continues,
 *   nothing is lost;
 * - two engines on two state URLs never mix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { childEnv } from '../child-env.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { BIN, recordedStatuses, runCli, tempStateDir } from './helpers.js';

const STATE_KEY = 'c'.repeat(64);
const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-shared-e2e-'));
let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
}, 20_000);
afterAll(async () => {
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Doc {
  incidents: Array<{ dbotMirrorId: string }>;
  lastRun: unknown;
  error?: string;
}

/** A long-running CLI process whose stdout lines (JSON documents) and stderr are collected as they come. */
class Follower {
  readonly child: ChildProcess;
  readonly docs: Doc[] = [];
  stderr = '';
  private buf = '';
  private waiters: Array<() => void> = [];
  readonly closed: Promise<number | null>;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [BIN, 'fetch-incidents', '--follow', '--json'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (line.trim()) this.docs.push(JSON.parse(line) as Doc);
      }
      this.wake();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.wake();
    });
    this.closed = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  ids(): string[] {
    return this.docs.flatMap((d) => d.incidents.map((i) => i.dbotMirrorId));
  }

  async until(cond: () => boolean, what: string, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${this.stderr.slice(-1500)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }
}

const followers: Follower[] = [];
afterEach(async () => {
  for (const f of followers.splice(0)) {
    f.kill('SIGKILL');
    await f.closed;
  }
});

function redisEnv(url = redis.url): Record<string, string> {
  return { OKTA_STATE_URL: url, OKTA_STATE_KEY: STATE_KEY };
}

/** A --follow fetcher of every event of the last hour, a cycle a second, on Redis database `db`. */
function followEnv(sb: Sandbox, db: number, extra: Record<string, string>): Record<string, string> {
  return {
    OKTA_URL: sb.url,
    OKTA_API_TOKEN: sb.apiToken,
    OKTA_STATE_DIR: tempStateDir(),
    OKTA_FETCH_FILTER: 'uuid pr',
    OKTA_FIRST_FETCH: '1 hour',
    OKTA_FETCH_INTERVAL: '1',
    ...redisEnv(`${redis.url}/${db}`),
    ...extra,
  };
}

describe('one rate budget for every process sharing a state', () => {
  const since = () => new Date(Date.now() - 8 * 86_400_000).toISOString();

  async function crowd(name: string, state: Record<string, string>): Promise<{ statuses: number[]; codes: Array<number | null>; counts: number[] }> {
    const recordFile = path.join(dir, `${name}.jsonl`);
    const sb: Sandbox = await startSandbox({ rateLimits: { logs: { limit: 3, windowMs: 2000 } }, logEvents: 2000, users: 20, quiet: true, recordFile });
    try {
      const env = { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, ...state };
      const s = since();
      // Four processes started together, each reading 1500 events: two requests each, eight through 3 per 2 s.
      const runs = await Promise.all(Array.from({ length: 4 }, () => runCli(['run', 'okta-get-logs', 'limit=1500', `since=${s}`, '--json'], env, { timeoutMs: 90_000 })));
      const statuses = recordedStatuses(recordFile, '/api/v1/logs');
      const counts = runs.map((r) => {
        const e = JSON.parse(r.stdout || '[]') as Array<{ Contents: unknown[] }>;
        return Array.isArray(e[0]?.Contents) ? e[0]!.Contents.length : -1;
      });
      return { statuses, codes: runs.map((r) => r.code), counts };
    } finally {
      await sb.close();
    }
  }

  test.each([
    ['files (one OKTA_STATE_DIR)', () => ({ OKTA_STATE_DIR: tempStateDir() })],
    ['Redis (one OKTA_STATE_URL)', () => ({ ...redisEnv(), OKTA_STATE_DIR: tempStateDir() })],
  ])('%s: four processes, eight requests through 3 per 2 s, at most one 429, every process gets its 1500 events', async (_name, state) => {
    const r = await crowd(_name.startsWith('files') ? 'crowd-files' : 'crowd-redis', state());
    expect(r.codes).toEqual([0, 0, 0, 0]);
    expect(r.counts).toEqual([1500, 1500, 1500, 1500]);
    expect(r.statuses.filter((s) => s === 200)).toHaveLength(8);
    expect(r.statuses.filter((s) => s === 429).length).toBeLessThanOrEqual(1);
  }, 120_000);
});

describe('fetch leases on Redis', () => {
  test('kill -9 the fetcher holding the lease: the other takes over, and between them every event is printed, repeats only from the killed one’s last batch', async () => {
    const sb = await startSandbox({ logEvents: 0, users: 20, quiet: true });
    try {
      const env = followEnv(sb, 3, { OKTA_MAX_FETCH: '20', OKTA_FETCH_LEASE_SECONDS: '5' });
      const appended: string[] = [];
      const add = (n: number) => appended.push(...sb.org.appendEvents(Array.from({ length: n }, () => ({ eventType: 'user.account.lock' }))).map((e) => e.uuid));
      add(30);
      const a = new Follower(env);
      followers.push(a);
      await a.until(() => a.ids().length >= 30, 'the first fetcher to drain the first events');
      const b = new Follower(env);
      followers.push(b);
      await new Promise((r) => setTimeout(r, 2500)); // B has looked at the lease and stands by
      expect(b.docs).toEqual([]);
      add(25);
      await a.until(() => a.ids().length >= 55, 'the holder to fetch the next events');
      add(40); // a backlog the holder is working through when it dies
      const killedAt = Date.now();
      a.kill('SIGKILL');
      await a.closed;
      await b.until(() => /took over from/.test(b.stderr), 'the standby to take over');
      const tookOverMs = Date.now() - killedAt;
      add(15);
      await b.until(() => appended.every((id) => a.ids().includes(id) || b.ids().includes(id)), 'every event to be printed by one of them');
      // Within the lease (5 s) and the standby's look every second, with room for a loaded machine.
      expect(tookOverMs).toBeLessThan(5000 + 6000);
      const all = [...a.ids(), ...b.ids()];
      expect(new Set(all)).toEqual(new Set(appended));
      const repeats = all.filter((id, i) => all.indexOf(id) !== i);
      const lastOfA = new Set(a.docs.at(-1)?.incidents.map((i) => i.dbotMirrorId) ?? []);
      expect(repeats.every((id) => lastOfA.has(id))).toBe(true);
      b.kill('SIGTERM');
      expect(await b.closed).toBe(0);
    } finally {
      await sb.close();
    }
  }, 120_000);

  test('Redis restarted in the middle of a --follow fetch: that cycle fails cleanly, the next continues, nothing is lost', async () => {
    const sb = await startSandbox({ logEvents: 0, users: 20, quiet: true, latencyMs: 150 });
    try {
      const env = followEnv(sb, 4, { OKTA_MAX_FETCH: '10' });
      const appended = sb.org.appendEvents(Array.from({ length: 200 }, () => ({ eventType: 'user.account.lock' }))).map((e) => e.uuid);
      const f = new Follower(env);
      followers.push(f);
      await f.until(() => f.ids().length >= 20, 'the first batches');
      await redis.restart({ downMs: 1500 });
      await f.until(() => appended.every((id) => f.ids().includes(id)), 'every event after the restart', 90_000);
      expect(f.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/4 \(OKTA_STATE_URL\)/);
      expect(f.child.exitCode).toBeNull(); // still following
      const ids = f.ids();
      expect(new Set(ids)).toEqual(new Set(appended));
      // A repeat is only a batch that was printed while its commit failed.
      const repeats = ids.filter((id, i) => ids.indexOf(id) !== i);
      expect(repeats.length).toBeLessThanOrEqual(20);
      f.kill('SIGTERM');
      expect(await f.closed).toBe(0);
    } finally {
      await sb.close();
    }
  }, 150_000);

  test('two engines on two state URLs never mix: each keeps its own cursor and its own token', async () => {
    const sb = await startSandbox({ logEvents: 0, users: 20, quiet: true });
    try {
      const ids = sb.org.appendEvents(Array.from({ length: 12 }, () => ({ eventType: 'user.account.lock' }))).map((e) => e.uuid);
      const base = { OKTA_URL: sb.url, OKTA_CLIENT_ID: sb.clientId, OKTA_PRIVATE_KEY_FILE: sb.privateKeyFile, OKTA_KEY_ID: sb.keyId, OKTA_SCOPES: 'okta.logs.read okta.users.read', OKTA_FETCH_FILTER: 'uuid pr', OKTA_FIRST_FETCH: '1 hour' };
      const one = { ...base, ...redisEnv(`${redis.url}/5`), OKTA_STATE_DIR: tempStateDir() };
      const two = { ...base, ...redisEnv(`${redis.url}/6`), OKTA_STATE_DIR: tempStateDir() };
      const minted0 = sb.stats.oauth.tokensMinted;
      const [r1, r2] = await Promise.all([runCli(['fetch-incidents', '--json'], one), runCli(['fetch-incidents', '--json'], two)]);
      expect([r1.code, r2.code]).toEqual([0, 0]);
      const got = (r: { stdout: string }) => (JSON.parse(r.stdout) as Doc).incidents.map((i) => i.dbotMirrorId);
      expect(got(r1)).toEqual(ids);
      expect(got(r2)).toEqual(ids);
      expect(sb.stats.oauth.tokensMinted - minted0).toBe(2);
      // Each engine continues its own history; a third run on engine one finds nothing new.
      const again = await runCli(['fetch-incidents', '--json'], one);
      expect(got(again)).toEqual([]);
      expect(sb.stats.oauth.tokensMinted - minted0).toBe(2); // its token came from its own state
    } finally {
      await sb.close();
    }
  }, 60_000);

  test('a Redis that cannot be reached or wants a password: exit 1, a clear message, no secret in it', async () => {
    const env = { OKTA_URL: 'http://127.0.0.1:9', OKTA_API_TOKEN: '00secret-token-value-xyz', OKTA_STATE_DIR: tempStateDir() };
    const unreachable = await runCli(['run', 'okta-get-user', 'username=alice@example.com', '--json'], { ...env, OKTA_STATE_URL: 'redis://:pw-in-url-123@127.0.0.1:1', OKTA_STATE_KEY: STATE_KEY });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout + unreachable.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1 \(OKTA_STATE_URL\).*refused/);
    const locked = await startRedis({ password: 'needs-this-pass' });
    try {
      const noPass = await runCli(['fetch-incidents', '--json'], { ...env, OKTA_STATE_URL: `redis://127.0.0.1:${locked.port}`, OKTA_STATE_KEY: STATE_KEY });
      expect(noPass.code).toBe(1);
      expect(noPass.stderr).toMatch(/Redis needs a password/);
      const noKey = await runCli(['run', 'okta-get-user', 'username=alice@example.com'], { ...env, OKTA_STATE_URL: locked.url });
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toMatch(/needs OKTA_STATE_KEY/);
      for (const r of [unreachable, noPass, noKey]) {
        for (const secret of ['pw-in-url-123', 'needs-this-pass', '00secret-token-value-xyz']) expect(r.stdout + r.stderr).not.toContain(secret);
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      }
    } finally {
      await locked.close();
    }
  }, 60_000);
});
