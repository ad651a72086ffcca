/**
 * Issue 18's benchmarks (bench/README.md, "Shared state"): a crowd of CLI processes through one
 * shared rate budget (files and Redis), the budget's cost per request, and one --follow process
 * polling 200 instances once a minute. run.ts hands in its sandbox process and measuring tools.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Row, Series } from './report.js';
import type { SandboxOptions } from '../sandbox/index.js';
import { startRedis } from '../test/helpers/redis-server.js';

export interface Measured {
  wallMs: number;
  cpuMs?: number;
  maxRssMb?: number;
  code: number | null;
  stdout: string;
  result?: { count: number; ms: number; extra?: Record<string, number | string> };
  server: { requests: number; status429: number; byRoute: Record<string, number> };
}

export interface SandboxProcess {
  facts: { url: string; apiToken: string };
  stats(): Promise<{ status429: number; requests: number }>;
  close(): Promise<void>;
}

export interface BenchTools {
  cli: string;
  client: (file: string) => string;
  tmpRoot: string;
  quick: boolean;
  startServer(opts: SandboxOptions): Promise<SandboxProcess>;
  measure(server: SandboxProcess, script: string, args: string[], opts: { env: Record<string, string>; stdout?: 'result' | 'text'; onLine?: (line: string) => boolean | void; probe?: boolean }): Promise<Measured>;
  series(label: string, unit: string, values: number[], better: 'higher' | 'lower'): Series;
  log(m: string): void;
}

const STATE_KEY = 'b'.repeat(64);

export async function sharedStateBenchmarks(t: BenchTools, rows: Row[], notes: string[]): Promise<void> {
  const redis = await startRedis();
  try {
    await crowd(t, rows, redis.url);
    await budgetCost(t, rows, redis.url);
    await manyInstances(t, rows);
  } finally {
    await redis.close();
  }
  notes.push(
    'Shared state: the crowd runs real CLI processes started together against a sandbox allowing 3 requests per 2 s on /api/v1/logs; ' +
      '429s are counted at the sandbox. The per-request cost is acquire + record of the rate budget alone (no HTTP), in one process, uncontended.',
  );
}

/** 8 processes started together, each `okta-get-logs limit=1500` (two requests), through 3 requests per 2 s. */
async function crowd(t: BenchTools, rows: Row[], redisUrl: string): Promise<void> {
  const procs = t.quick ? 4 : 8;
  t.log(`[shared] ${procs} concurrent processes reading the System Log through 3 requests per 2 s: separate state, one directory, one Redis`);
  const since = new Date(Date.now() - 8 * 86_400_000).toISOString();
  const run = async (label: string, stateFor: (i: number) => Record<string, string>) => {
    const sb = await t.startServer({ seed: 1, users: 20, logEvents: 2000, rateLimits: { logs: { limit: 3, windowMs: 2000 } } });
    try {
      const before = await sb.stats();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: procs }, (_, i) =>
          t.measure(sb, t.cli, ['run', 'okta-get-logs', 'limit=1500', `since=${since}`, '--json'], { env: { OKTA_URL: sb.facts.url, OKTA_API_TOKEN: sb.facts.apiToken, ...stateFor(i) }, stdout: 'text', probe: false }),
        ),
      );
      const wall = performance.now() - started;
      const n429 = (await sb.stats()).status429 - before.status429;
      t.log(`  ${label}: ${n429} × 429, ${(wall / 1000).toFixed(1)} s for all ${procs}`);
      return { n429, wall };
    } finally {
      await sb.close();
    }
  };
  const dirOf = (name: string) => {
    const d = path.join(t.tmpRoot, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const apart = await run('each its own state', (i) => ({ OKTA_STATE_DIR: dirOf(`apart-${i}`) }));
  const files = await run('one OKTA_STATE_DIR', () => ({ OKTA_STATE_DIR: dirOf('crowd-files') }));
  const redis = await run('one OKTA_STATE_URL', () => ({ OKTA_STATE_URL: `${redisUrl}/1`, OKTA_STATE_KEY: STATE_KEY, OKTA_STATE_DIR: dirOf('crowd-redis') }));
  for (const [id, label, r] of [
    ['shared-budget-files', 'one OKTA_STATE_DIR', files],
    ['shared-budget-redis', 'one OKTA_STATE_URL (Redis)', redis],
  ] as const) {
    rows.push({
      id,
      group: 'Shared state',
      title: `${procs} concurrent processes, okta-get-logs limit=1500 each, through 3 requests per 2 s: answers of 429 (${label})`,
      soar: t.series(`okta-soar, ${label}`, '429s', [r.n429], 'lower'),
      reference: t.series('each process its own state (no sharing)', '429s', [apart.n429], 'lower'),
      target: 'at most 1',
      met: r.n429 <= 1,
      detail: { 'wall time for all, s': Math.round(r.wall / 100) / 10, 'wall time without sharing, s': Math.round(apart.wall / 100) / 10 },
    });
  }
}

/** acquire + record per request, through each store. */
async function budgetCost(t: BenchTools, rows: Row[], redisUrl: string): Promise<void> {
  const n = t.quick ? 100 : 1000;
  t.log(`[shared] the shared budget's cost per request (${n} acquire + record, no HTTP), memory / files / Redis`);
  const none = await t.startServer({ seed: 1, users: 20, logEvents: 0 });
  const per: Record<string, number[]> = { memory: [], files: [], redis: [] };
  for (let round = 0; round < 3; round++) {
    for (const kind of Object.keys(per)) {
      const env: Record<string, string> = { BENCH_STORE: kind, BENCH_N: String(n), ...(kind === 'redis' ? { OKTA_STATE_URL: `${redisUrl}/2`, OKTA_STATE_KEY: STATE_KEY } : {}) };
      const m = await measureAlone(t, none, env);
      per[kind]!.push(m);
    }
  }
  await none.close();
  for (const kind of ['files', 'redis'] as const) {
    rows.push({
      id: `budget-cost-${kind}`,
      group: 'Shared state',
      title: `The shared rate budget's cost per request, ${kind === 'files' ? 'one OKTA_STATE_DIR' : 'Redis on loopback'} (ms, acquire + record)`,
      soar: t.series(`okta-soar, ${kind}`, 'ms', per[kind]!, 'lower'),
      reference: t.series('one process, memory', 'ms', per.memory!, 'lower'),
      target: 'reported (no target)',
    });
  }
  t.log(`  ms per request: memory ${per.memory!.map((v) => v.toFixed(3)).join(' ')}, files ${per.files!.map((v) => v.toFixed(2)).join(' ')}, redis ${per.redis!.map((v) => v.toFixed(3)).join(' ')}`);

  async function measureAlone(tools: BenchTools, sb: SandboxProcess, env: Record<string, string>): Promise<number> {
    const m = await tools.measure(sb, tools.client('budget-cost.js'), [], { env, probe: false });
    return Number(m.result?.extra?.msPerRequest ?? NaN);
  }
}

/** One `fetch-incidents --follow` polling 200 instances (all on one sandbox org) once a minute: CPU and peak RSS. */
async function manyInstances(t: BenchTools, rows: Row[]): Promise<void> {
  const count = t.quick ? 20 : 200;
  const intervalS = t.quick ? 10 : 60;
  const rounds = 2;
  t.log(`[shared] one fetch-incidents --follow polling ${count} instances every ${intervalS} s, ${rounds} rounds`);
  const sb = await t.startServer({ seed: 1, users: 60, logEvents: 2000 });
  try {
    const file = path.join(t.tmpRoot, 'instances.yml');
    let yml = 'instances:\n';
    for (let i = 0; i < count; i++) yml += `  org-${String(i).padStart(3, '0')}:\n    url: ${sb.facts.url}\n    apitoken: ${sb.facts.apiToken}\n    first_fetch: 1 day\n    fetch_interval: ${intervalS}\n`;
    writeFileSync(file, yml);
    chmodSync(file, 0o600);
    const dir = path.join(t.tmpRoot, 'state-instances');
    mkdirSync(dir, { recursive: true });
    let lines = 0;
    let incidents = 0;
    let firstRoundMs = 0;
    const started = performance.now();
    const m = await t.measure(sb, t.cli, ['fetch-incidents', '--follow', '--json'], {
      env: { OKTA_INSTANCES_FILE: file, OKTA_STATE_DIR: dir },
      onLine: (line) => {
        if (!line) return;
        lines++;
        for (let i = line.indexOf('"dbotMirrorId"'); i >= 0; i = line.indexOf('"dbotMirrorId"', i + 14)) incidents++;
        if (lines === count) firstRoundMs = performance.now() - started;
        return lines >= count * rounds;
      },
    });
    t.log(`  ${lines} cycles, ${incidents} incidents; first round in ${(firstRoundMs / 1000).toFixed(1)} s; CPU ${m.cpuMs} ms, peak RSS ${m.maxRssMb?.toFixed(0)} MB, wall ${(m.wallMs / 1000).toFixed(0)} s`);
    rows.push({
      id: 'instances-cpu',
      group: 'Shared state',
      title: `One fetch-incidents --follow polling ${count} instances every ${intervalS} s: CPU per round of ${count} cycles (ms)`,
      soar: t.series('okta-soar CLI', 'ms', [(m.cpuMs ?? NaN) / rounds], 'lower'),
      target: 'reported (no target)',
      detail: {
        'CPU for the whole run (start-up and both rounds), ms': m.cpuMs ?? NaN,
        'first round (every instance once), s': Math.round(firstRoundMs / 100) / 10,
        'API calls': m.server.requests,
        'incidents printed': incidents,
      },
    });
    rows.push({
      id: 'instances-rss',
      group: 'Shared state',
      title: `One fetch-incidents --follow polling ${count} instances: peak RSS (MB)`,
      soar: t.series('okta-soar CLI', 'MB', [m.maxRssMb ?? NaN], 'lower'),
      target: 'reported (no target)',
    });
  } finally {
    await sb.close();
  }
}
