/**
 * fetch-incidents end to end, against the sandbox org (real HTTP on loopback, Okta's polling
 * semantics, its SCIM filter): exactly once over the seeded log (shared milliseconds, late
 * persistence); the real CLI process killed (SIGKILL) at random points across many runs; the
 * lock; --follow with SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fetchStateKeys } from '../../integration/faces/cli/verbs/fetch.js';
import { DEFAULT_EVENT_TYPES, fetchIncidents, type FetchLastRun, type Incident } from '../../integration/fetch/index.js';
import { defaultRules, type OktaEvent } from '../../integration/fetch/rules/index.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { childEnv } from '../child-env.js';
import { BIN, ROOT, tempStateDir } from './helpers.js';
import { rng } from '../helpers/rng.js';

/** `npm test` builds first; a direct jest run rebuilds when dist is older than the fetch sources. */
function ensureBuilt(): void {
  const pairs: Array<[string, string]> = [
    ['integration/fetch/fetch.ts', 'dist/integration/fetch/fetch.js'],
    ['integration/fetch/last-run.ts', 'dist/integration/fetch/last-run.js'],
    ['integration/fetch/incidents.ts', 'dist/integration/fetch/incidents.js'],
    ['integration/faces/cli/verbs/fetch.ts', 'dist/integration/faces/cli/verbs/fetch.js'],
  ];
  const stale = pairs.some(([src, out]) => !existsSync(path.join(ROOT, out)) || statSync(path.join(ROOT, out)).mtimeMs < statSync(path.join(ROOT, src)).mtimeMs);
  if (!stale) return;
  // Emits even when other parts of the tree have type errors (those are typecheck's business).
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(BIN)) throw new Error('dist/ could not be built: run npm run build');
}


/** An event some default rule (rules/okta) makes an incident of on its own. */
const matchesDefault = (e: OktaEvent) => defaultRules().matching(e).some((r) => r.standalone);
const isWindow = (id: string) => id.startsWith('sigma:');

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Kill {
  afterMs?: number;
  /** As soon as the first stdout bytes arrive: the window between printing and committing. */
  onOutput?: boolean;
  /** As soon as the sandbox has seen one more System Log request: certainly before any output. */
  onRequest?: () => number;
}

function runFetch(env: Record<string, string>, kill: Kill = {}, args = ['fetch-incidents', '--json']): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const killNow = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (kill.onOutput) killNow();
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = kill.afterMs !== undefined ? setTimeout(killNow, kill.afterMs) : undefined;
    const seen = kill.onRequest?.();
    const poll = kill.onRequest ? setInterval(() => kill.onRequest!() > seen! && killNow(), 1) : undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({ stdout, stderr, code, signal });
    });
  });
}

interface Printed {
  incidents: Incident[];
  lastRun: FetchLastRun;
}

/** The one JSON document of a run, when it was printed whole (a consumer ignores a torn one). */
function printed(stdout: string): Printed | undefined {
  if (!stdout.endsWith('\n')) return undefined;
  try {
    return JSON.parse(stdout) as Printed;
  } catch {
    return undefined;
  }
}

beforeAll(ensureBuilt, 120_000);

describe('exactly once against the sandbox’s seeded System Log (library)', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 40, logEvents: 20_000, quiet: true });
  });
  afterAll(() => sb?.close());

  test('20,000 seeded events (4 % sharing a millisecond, 1 % persisted late) and three attacks, drained with several max_fetch, then late arrivals: each event incident and each correlation window once', async () => {
    const since = new Date(Date.now() - 6 * 86_400_000).toISOString();
    const base = { url: sb.url, apitoken: sb.apiToken, first_fetch: since };
    // Attacks the default correlation rules count (the seeded log holds none): their windows must
    // fire once each, though max_fetch cuts the cycles anywhere inside them.
    for (const name of ['push-bombing', 'password-spray', 'push-flood'] as const) sb.org.appendScenario(name);
    const inHistory = sb.org.events.filter((s) => s.persistedMs >= Date.parse(since));
    const expected = new Set(inHistory.filter((s) => matchesDefault(s.event as unknown as OktaEvent)).map((s) => s.event.uuid));
    expect(expected.size).toBeGreaterThan(300);
    // The correlation windows the default rules find in the same events read in one go, in
    // persistence order: fetch, cycle after cycle with the windows in lastRun, must find the same.
    const reference = defaultRules();
    const refState = reference.newState();
    const expectedWindows = new Set(inHistory.flatMap((s) => reference.evaluate(s.event as unknown as OktaEvent, refState).windows.map((w) => w.id)));
    expect(expectedWindows.size).toBe(3);
    const counts = new Map<string, number>();
    let lastRun: unknown = {};
    let cycles = 0;
    const maxFetches = [1000, 37, 250, 1500, 3];
    for (let n = 0; n < 500; n++) {
      const r = await fetchIncidents({ ...base, max_fetch: maxFetches[n % maxFetches.length] }, lastRun);
      cycles++;
      for (const i of r.incidents) counts.set(i.dbotMirrorId, (counts.get(i.dbotMirrorId) ?? 0) + 1);
      lastRun = JSON.parse(JSON.stringify(r.lastRun));
      if (r.stop === 'caught_up' && n > maxFetches.length) break;
    }
    // Late arrivals: persisted now, published 10 minutes ago (behind everything already fetched),
    // and a burst sharing one millisecond.
    const t = new Date(Date.now() - 600_000).toISOString();
    const late = sb.org.appendEvents(Array.from({ length: 40 }, (_, i) => ({ eventType: DEFAULT_EVENT_TYPES[i % 11]!.eventType, published: t })));
    for (const e of late) expected.add(e.uuid);
    const r = await fetchIncidents({ ...base, max_fetch: 1000 }, lastRun);
    for (const i of r.incidents) counts.set(i.dbotMirrorId, (counts.get(i.dbotMirrorId) ?? 0) + 1);
    expect(r.incidents.map((i) => i.dbotMirrorId).sort()).toEqual(late.map((e) => e.uuid).sort());
    const windows = [...counts.keys()].filter(isWindow);
    expect(windows.sort()).toEqual([...expectedWindows].sort());
    expect([...counts.keys()].filter((u) => !isWindow(u) && !expected.has(u))).toEqual([]);
    expect([...expected].filter((u) => !counts.has(u))).toEqual([]);
    expect([...counts.values()].filter((c) => c > 1)).toEqual([]);
    expect(cycles).toBeGreaterThan(5);
  }, 120_000);
});

describe('the real CLI, killed at random points (SIGKILL), run after run', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    // No seeded log: every event is one the test appended, so "none lost" is checkable exactly.
    sb = await startSandbox({ users: 20, logEvents: 0, quiet: true, recordFile: '' });
  });
  afterAll(() => sb?.close());

  // FETCH_E2E_RUNS=300 FETCH_E2E_SEED=n for a longer soak.
  const RUNS = Number(process.env.FETCH_E2E_RUNS ?? 40);
  test(`over ${RUNS} runs (about half SIGKILLed): every event printed, each in exactly one committed batch; repeats only from printed-but-uncommitted batches`, async () => {
    const seed = Number(process.env.FETCH_E2E_SEED ?? 5);
    const rand = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const stateDir = tempStateDir();
    const stateFile = path.join(stateDir, fetchStateKeys(sb.url).record);
    const env = { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_STATE_DIR: stateDir };
    const types = DEFAULT_EVENT_TYPES.filter((t) => !t.outcome).map((t) => t.eventType);
    const appended: string[] = [];
    const committedCount = new Map<string, number>();
    const uncommittedPrinted = new Set<string>();
    const stats = { runs: 0, killed: 0, killedBeforeOutput: 0, killedTornOutput: 0, killedPrintedNotCommitted: 0, killedAfterCommit: 0, events: 0, noise: 0 };

    const append = () => {
      const n = 1 + Math.floor(rand() * 250);
      const shape = pick(['normal', 'same-ms', 'late'] as const);
      const t = new Date(Date.now() - (shape === 'late' ? 60_000 + Math.floor(rand() * 900_000) : 0)).toISOString();
      const batch = Array.from({ length: n }, () => {
        const r = rand();
        // Noise no default rule raises an incident for (one actor's failed sign-ins are no spray),
        // allowed sign-on evaluations; and denied ones, which a default rule does raise.
        if (r < 0.15) return { eventType: 'user.session.start', outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' } };
        if (r < 0.2) return { eventType: 'policy.evaluate_sign_on', outcome: { result: 'ALLOW', reason: null } };
        if (r < 0.25) return { eventType: 'policy.evaluate_sign_on', outcome: { result: 'DENY', reason: 'Sign-on policy evaluation resulted in DENY' } };
        return { eventType: pick(types), ...(shape === 'normal' ? {} : { published: t }) };
      });
      for (const e of sb.org.appendEvents(batch)) {
        if (matchesDefault(e as unknown as OktaEvent)) appended.push(e.uuid);
        else stats.noise++;
      }
    };
    const clearStaleLock = () => {
      // A SIGKILLed holder's lock would free itself after 10 s (proper-lockfile's staleness); the
      // holder is certainly dead here, so don't wait for it.
      for (const f of readdirSync(stateDir)) if (f.endsWith('.lock')) rmSync(path.join(stateDir, f), { recursive: true, force: true });
    };
    const account = (r: Run) => {
      stats.runs++;
      const doc = printed(r.stdout);
      const committed = existsSync(stateFile) ? ((JSON.parse(readFileSync(stateFile, 'utf8')) as { lastRun?: FetchLastRun }).lastRun) : undefined;
      const isCommitted = !!doc && JSON.stringify(committed) === JSON.stringify(doc.lastRun);
      if (r.signal === 'SIGKILL') {
        stats.killed++;
        if (!r.stdout) stats.killedBeforeOutput++;
        else if (!doc) stats.killedTornOutput++;
        else if (!isCommitted) stats.killedPrintedNotCommitted++;
        else stats.killedAfterCommit++;
        clearStaleLock();
      } else expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      if (!doc) return undefined;
      for (const i of doc.incidents) {
        if (isCommitted) committedCount.set(i.dbotMirrorId, (committedCount.get(i.dbotMirrorId) ?? 0) + 1);
        else uncommittedPrinted.add(i.dbotMirrorId);
      }
      return doc;
    };

    for (let k = 0; k < RUNS; k++) {
      if (rand() < 0.7) append();
      const runEnv = { ...env, OKTA_MAX_FETCH: String(pick([50, 300, 1000, 1500])) };
      const how = rand();
      // Killed as soon as output appears (the print-to-commit window), while a request is in
      // flight, at a random time (start-up, requests, writing, committing), or not at all.
      const logRequests = () => sb.stats.byRoute['GET /api/v1/logs'] ?? 0;
      const kill: Kill = how < 0.25 ? {} : how < 0.55 ? { onOutput: true } : how < 0.75 ? { onRequest: logRequests } : { afterMs: Math.floor(rand() * 1500) };
      account(await runFetch(runEnv, kill));
    }
    // Then runs without kills until a run finds nothing new.
    for (let k = 0; k < 100; k++) {
      const doc = account(await runFetch({ ...env, OKTA_MAX_FETCH: '1000' }));
      if (doc && doc.incidents.length === 0 && doc.lastRun.caughtUp) break;
    }
    stats.events = appended.length;

    const lost = appended.filter((u) => !committedCount.has(u));
    const repeatedCommitted = [...committedCount].filter(([, c]) => c > 1);
    const strangers = [...committedCount.keys(), ...uncommittedPrinted].filter((u) => !appended.includes(u));
    expect({ lost: lost.length, repeatedCommitted: repeatedCommitted.length, strangers: strangers.length }).toEqual({ lost: 0, repeatedCommitted: 0, strangers: 0 });
    // So every repeat a consumer can see (same dbotMirrorId twice) involves a batch that was
    // printed but not committed: committed batches never overlap.
    const printedTwice = [...uncommittedPrinted].filter((u) => committedCount.has(u));
    // The interesting windows were really hit (numbers for the report).
    expect(stats.killed).toBeGreaterThanOrEqual(RUNS / 3);
    expect(stats.killedBeforeOutput).toBeGreaterThan(0);
    expect(stats.killedPrintedNotCommitted + stats.killedTornOutput).toBeGreaterThan(0);
    expect(stats.events).toBeGreaterThan(RUNS * 50);
    console.log(`fetch crash test (seed ${seed}): ${JSON.stringify(stats)}, repeats seen by a consumer: ${printedTwice.length}`);
    rmSync(stateDir, { recursive: true, force: true });
  }, 300_000);
});

describe('the CLI: lock and --follow', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 20, logEvents: 0, quiet: true });
  });
  afterAll(() => sb?.close());

  test('--follow --json: one line per cycle; new events in the next cycle; a second fetcher is refused; SIGTERM finishes, commits, exits 0', async () => {
    const stateDir = tempStateDir();
    const env = { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_STATE_DIR: stateDir, OKTA_FETCH_INTERVAL: '1' };
    const child = spawn(process.execPath, [BIN, 'fetch-incidents', '--json', '--follow'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let stderr = '';
    const lines: Printed[] = [];
    const waiters: Array<() => void> = [];
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)) as Printed);
        buf = buf.slice(i + 1);
        waiters.splice(0).forEach((w) => w());
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const until = async (pred: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out; stderr: ${stderr}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    };
    try {
      await until(() => lines.length >= 1);
      expect(lines[0]!.incidents).toEqual([]);
      const added = sb.org.appendEvents([{ eventType: 'user.account.lock' }, { eventType: 'security.threat.detected' }, { eventType: 'user.session.start' }]);
      await until(() => lines.some((l) => l.incidents.length > 0));
      const got = lines.flatMap((l) => l.incidents.map((i) => i.dbotMirrorId));
      expect(got).toEqual(added.slice(0, 2).map((e) => e.uuid));

      const second = await runFetch(env);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/another fetch-incidents \(.*pid \d+\) holds the fetch of http:\/\/127\.0\.0\.1:\d+/);

      child.kill('SIGTERM');
      expect(await closed).toBe(0);
      const committed = (JSON.parse(readFileSync(path.join(stateDir, fetchStateKeys(sb.url).record), 'utf8')) as { lastRun: FetchLastRun }).lastRun;
      expect(committed).toEqual(lines[lines.length - 1]!.lastRun);
      // The lock is free again.
      const after = await runFetch(env);
      expect(after.code).toBe(0);
      expect(printed(after.stdout)!.incidents).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 60_000);
});
