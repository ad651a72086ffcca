/**
 * `npm run bench`: okta-soar against the official Okta Node SDK (@okta/okta-sdk-nodejs), side by
 * side, on the sandbox org over loopback. See bench/README.md for what each number means.
 *
 * The sandbox runs in its own process (bench/server.ts); every measured client runs in its own
 * process too, preloaded with bench/probe.cts, which reports that process's own peak RSS and CPU.
 * Sides alternate run by run (the order rotates each round) and medians are reported with their
 * spread. Results: bench/results/latest.json, latest.md and chart.svg.
 *
 * Sizes (environment): BENCH_EVENTS (100000), BENCH_USERS (10000), BENCH_RUNS (5 runs per side of
 * the volume benchmarks), BENCH_PROC_RUNS (15 processes per side of the one-command benchmark),
 * BENCH_OAUTH_STEPS (100). `--quick` shrinks everything for a smoke run.
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientResult } from './clients/common.js';
import { renderChart, renderMarkdown, type BenchResults, type Row, type Series } from './report.js';
import type { FromServer, ServerFacts, ServerStats, ToServer } from './server.js';
import type { SandboxOptions } from '../sandbox/index.js';
import { sharedStateBenchmarks } from './shared-state.js';

const HERE = path.dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = path.resolve(HERE, '..', '..');
const CLI = path.join(ROOT, 'dist', 'entry', 'bin.js');
const PROBE = path.join(HERE, 'probe.cjs');
const client = (f: string) => path.join(HERE, 'clients', f);
const RESULTS = path.join(ROOT, 'bench', 'results');

const quick = process.argv.includes('--quick');
const sharedOnly = process.argv.includes('--shared-only');
const envInt = (name: string, full: number, small: number) => {
  const v = process.env[name];
  return v && /^\d+$/.test(v) ? Number(v) : quick ? small : full;
};
const SIZES = {
  events: envInt('BENCH_EVENTS', 100_000, 10_000),
  users: envInt('BENCH_USERS', 10_000, 1_000),
  runs: envInt('BENCH_RUNS', 5, 1),
  procRuns: envInt('BENCH_PROC_RUNS', 15, 3),
  oauthSteps: envInt('BENCH_OAUTH_STEPS', 100, 10),
  seed: 1,
};
const LOG_PAGE = 1000;
const USER_PAGE = 200;
const CALLS_PER = 10_000;
const SCOPES = 'okta.users.read okta.logs.read';

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

/**
 * Why a target is missed, from profiling (`node --cpu-prof`) the measured clients; attached to a
 * row when its verdict is "missed". bench/README.md (Findings) has the measured effect of each fix.
 */
const WHY: Record<string, string> = {
  'log-read':
    "Why: the client and the sandbox share this machine's 2 cores, and readLogs is bound by their CPU together: readLogs's own (the " +
    'client CPU in the details, GC helper threads included; ~3.5 s a run) plus the sandbox\'s (~2.3 s) needs at least half their sum in ' +
    'wall time, ~2.9 s, where 2× the SDK needs ~2.7 s. The ceiling (a client that reads the bytes and parses nothing, ~0.6 s of CPU) is ' +
    'bound by the sandbox alone. Of readLogs\'s busy main thread (node --cpu-prof, 2026-12-05 evening): garbage collection ~30 % (a page ' +
    'is still alive when the next one\'s parse triggers scavenges, so it is copied and promoted), JSON.parse ~26 %, the redaction gate ' +
    '~11 %, reading, joining and decoding bodies ~10 %. Asking for the next page as soon as a page\'s head arrives did not help a ' +
    'client bound by its CPU (measured): see bench/README.md, Status.',
  'logs-process':
    'Why: the process does what the SDK script does not: it keeps all 20,000 events (the SDK script drops each one), seals them (a deep ' +
    "freeze), builds a 20,000-row table and writes a 77 MB document (the events twice, XSOAR's Contents and context, as the text Okta " +
    "sent). Profile (node --cpu-prof, 1.69 s): garbage collection ~19 % (the 20,000 events kept), waiting for the sandbox ~16 %, start-up " +
    '~12 % (axios ~100 ms of it), JSON.parse ~9 %, the gate ~6 %, sealing ~4 %, the table ~4 %, writing ~2 %: see bench/README.md, Status.',
  process:
    "Why: loading axios (its CommonJS build requires form-data, follow-redirects and https-proxy-agent, and probes fetch, which loads " +
    "Node's undici: ~100 ms together) is the largest part of okta-soar's start-up after Node's own; the ratio also moves with the " +
    'machine\'s load: see bench/README.md.',
  'fetch-rss':
    'Why: ~64 MB of the peak is the process and its modules; the rest is what each cycle leaves for the garbage collector: the 1.7 MB page as a ' +
    'Buffer and a string (large objects, freed only by a full collection), 1,000 parsed events and 1,000 JSON strings. The CLI writes its ' +
    'document 25 incidents (~60 KB) at a time and, with --follow, collects its garbage between rounds once resident memory passes ' +
    '125 MB: see bench/README.md, Status.',
};

// ---------------------------------------------------------------- the sandbox process

class Server {
  private nextId = 0;
  private waiting = new Map<number, (s: ServerStats) => void>();
  constructor(
    private readonly child: ChildProcess,
    readonly facts: ServerFacts,
  ) {
    child.on('message', (m: FromServer) => {
      if (m.type === 'stats') {
        this.waiting.get(m.id)?.(m.stats);
        this.waiting.delete(m.id);
      }
    });
  }

  static start(opts: SandboxOptions): Promise<Server> {
    const child = fork(path.join(HERE, 'server.js'), [JSON.stringify(opts)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the sandbox process exited (${code}) before it was ready`));
      child.once('exit', onExit);
      child.once('message', (m: FromServer) => {
        child.off('exit', onExit);
        if (m.type === 'ready') resolve(new Server(child, m.facts));
        else reject(new Error(`sandbox: ${m.type === 'error' ? m.message : 'unexpected message'}`));
      });
    });
  }

  stats(): Promise<ServerStats> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ type: 'stats', id } satisfies ToServer);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'close' } satisfies ToServer);
    });
  }
}

interface Delta {
  requests: number;
  byRoute: Record<string, number>;
  status429: number;
  tokensMinted: number;
  tokenRequests: number;
  serverCpuMs: number;
}

function delta(a: ServerStats, b: ServerStats): Delta {
  const byRoute: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.byRoute)) if (v - (a.byRoute[k] ?? 0)) byRoute[k] = v - (a.byRoute[k] ?? 0);
  return {
    requests: b.requests - a.requests,
    byRoute,
    status429: b.status429 - a.status429,
    tokensMinted: b.tokensMinted - a.tokensMinted,
    tokenRequests: b.tokenRequests - a.tokenRequests,
    serverCpuMs: b.cpuMs - a.cpuMs,
  };
}

// ---------------------------------------------------------------- measured processes

interface Measured {
  wallMs: number;
  cpuMs?: number;
  maxRssMb?: number;
  code: number | null;
  stdout: string;
  result?: ClientResult;
  server: Delta;
}

interface SpawnOpts {
  env: Record<string, string>;
  /** Keep stdout (default: the last line, parsed as a ClientResult). */
  stdout?: 'result' | 'text';
  /** Called with each stdout line; may return true to SIGTERM the process. */
  onLine?: (line: string) => boolean | void;
  /**
   * Read stdout as bytes to the end and keep only its first `headBytes` (in Measured.stdout): for a
   * large document whose content is checked elsewhere, read as a consumer that does not decode it
   * would (decoding 77 MB in the runner holds the measured process up on a full pipe).
   */
  headBytes?: number;
  probe?: boolean;
}

let tmpRoot = '';
let probeSeq = 0;

async function measure(server: Server, script: string, args: string[], opts: SpawnOpts): Promise<Measured> {
  const probeFile = path.join(tmpRoot, `probe-${++probeSeq}.json`);
  const before = await server.stats();
  const argv = [...(opts.probe === false ? [] : ['--require', PROBE]), script, ...args];
  const started = performance.now();
  const child = spawn(process.execPath, argv, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpRoot, ...opts.env, BENCH_PROBE_FILE: probeFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const pieces: string[] = [];
  let err = '';
  let head = Buffer.alloc(0);
  if (opts.headBytes !== undefined) {
    const keep = opts.headBytes;
    child.stdout!.on('data', (c: Buffer) => {
      if (head.length < keep) head = Buffer.concat([head, c.subarray(0, keep - head.length)]);
    });
  } else child.stdout!.setEncoding('utf8');
  if (opts.headBytes === undefined) child.stdout!.on('data', (c: string) => {
    if (opts.onLine) {
      // Lines of 2.5 MB arrive in 64 KB chunks: look for the newline in the new chunk only, and
      // join a line's pieces once (a reader that rescans what it holds is quadratic, slow enough
      // to hold the measured process up on a full pipe).
      let from = 0;
      for (let i = c.indexOf('\n'); i >= 0; i = c.indexOf('\n', from)) {
        pieces.push(c.slice(from, i));
        const line = pieces.join('');
        pieces.length = 0;
        from = i + 1;
        if (opts.onLine(line)) child.kill('SIGTERM');
      }
      if (from < c.length) pieces.push(c.slice(from));
    } else out += c;
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (err = (err + c).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const wallMs = performance.now() - started;
  const after = await server.stats();
  const m: Measured = { wallMs, code, stdout: opts.headBytes !== undefined ? head.toString('utf8') : out, server: delta(before, after) };
  try {
    const p = JSON.parse(readFileSync(probeFile, 'utf8')) as { maxRssKb: number; cpuMs: number };
    m.maxRssMb = p.maxRssKb / 1024;
    m.cpuMs = p.cpuMs;
  } catch {
    /* no probe */
  }
  if (code !== 0) throw new Error(`${path.basename(script)} ${args.join(' ')} exited ${code}: ${err.trim()}`);
  if (opts.stdout !== 'text' && !opts.onLine && opts.headBytes === undefined) {
    const last = out.trim().split('\n').pop() ?? '';
    m.result = JSON.parse(last) as ClientResult;
  }
  return m;
}

// ---------------------------------------------------------------- statistics

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function series(label: string, unit: string, values: number[], better: 'higher' | 'lower'): Series {
  return { label, unit, better, runs: values.map((v) => round(v)), median: round(median(values)), min: round(Math.min(...values)), max: round(Math.max(...values)) };
}

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}

/** Runs each side `rounds` times, alternating, with the order rotated every round. */
async function alternate<K extends string>(rounds: number, sides: Record<K, () => Promise<Measured>>, label: string): Promise<Record<K, Measured[]>> {
  const keys = Object.keys(sides) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as Measured[]])) as Record<K, Measured[]>;
  for (let r = 0; r < rounds; r++) {
    const order = keys.map((_, i) => keys[(i + r) % keys.length]!);
    for (const k of order) {
      const m = await sides[k]();
      out[k].push(m);
      log(`  ${label} round ${r + 1}/${rounds} ${k}: ${describe(m)}  [${elapsed()}]`);
    }
  }
  return out;
}

function describe(m: Measured): string {
  const parts = [`wall ${m.wallMs.toFixed(0)} ms`];
  if (m.result) parts.unshift(`${m.result.count} items in ${m.result.ms.toFixed(0)} ms (${rate(m).toFixed(0)}/s)`);
  if (m.cpuMs !== undefined) parts.push(`cpu ${m.cpuMs} ms`);
  if (m.maxRssMb !== undefined) parts.push(`rss ${m.maxRssMb.toFixed(0)} MB`);
  parts.push(`${m.server.requests} req`);
  return parts.join(', ');
}

const rate = (m: Measured) => (m.result ? m.result.count / (m.result.ms / 1000) : NaN);
const apiCalls = (m: Measured, route: string) => m.server.byRoute[route] ?? 0;

function checkCount(what: string, ms: Measured[], want: number): void {
  for (const m of ms) if (m.result && m.result.count !== want) throw new Error(`${what} read ${m.result.count} items, expected ${want}`);
}

// ---------------------------------------------------------------- benchmarks

/** The build caches the validated manifest keyed by integration.yml's hash; a stale cache slows every start. */
function manifestCacheProblem(): string | undefined {
  try {
    const text = readFileSync(path.join(ROOT, 'integration.yml'));
    const hash = createHash('sha256').update(text).digest('hex');
    const cached = JSON.parse(readFileSync(path.join(ROOT, 'dist', 'manifest.cache.json'), 'utf8')) as { hash?: string };
    return cached.hash === hash ? undefined : 'a stale dist/manifest.cache.json (integration.yml changed after the build)';
  } catch {
    return 'no dist/manifest.cache.json';
  }
}

async function main(): Promise<void> {
  tmpRoot = mkdtempSync(path.join(tmpdir(), 'okta-soar-bench-'));
  const servers: Server[] = [];
  const rows: Row[] = [];
  const notes: string[] = [];
  const load0 = loadavg();
  try {
    // Every okta-soar process reads the manifest from the build's cache, keyed by integration.yml's hash; when the yml
    // changes (someone editing the tree during a run), every process parses YAML and compiles schemas instead.
    const staleNotes = new Set<string>();
    const checkManifest = (when: string) => {
      const stale = manifestCacheProblem();
      if (!stale || staleNotes.has(stale)) return;
      staleNotes.add(stale);
      notes.push(
        `Measured with ${stale} (found ${when}): okta-soar processes parsed integration.yml and compiled its schemas, which they do not do after a clean \`npm run build\`; its start-up, CPU and RSS numbers are too high.`,
      );
      log(`warning: ${stale} (${when}); run \`npm run build\` first for start-up numbers that mean anything`);
    };
    checkManifest('at the start');
    log(`sizes ${JSON.stringify(SIZES)}${quick ? ' (--quick)' : ''}; ${cpus().length} CPUs, load ${load0.map((l) => l.toFixed(1)).join(' ')}`);
    // `--shared-only`: only the shared-state benchmarks (issue 18), for a quick look at them.
    classic: {
    if (sharedOnly) break classic;
    log(`starting the sandbox (${SIZES.users} users, ${SIZES.events} System Log events, seed ${SIZES.seed}) in its own process…`);
    const big = await Server.start({ seed: SIZES.seed, users: SIZES.users, logEvents: SIZES.events });
    servers.push(big);
    log(`sandbox ready at ${big.facts.url} in ${big.facts.startMs} ms (server RSS ${big.facts.rssMb} MB)  [${elapsed()}]`);
    const f = big.facts;
    // Every seeded event is published within the 7 days before start-up: 8 days back reads all of them.
    const since = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const sswsEnv = { OKTA_URL: f.url, OKTA_API_TOKEN: f.apiToken };
    const logEnv = (n: number, extra: Record<string, string> = {}) => ({ ...sswsEnv, BENCH_N: String(n), BENCH_SINCE: since, ...extra });

    const soarLogs = (n: number, mode: 'stream' | 'whole' | 'paged') => () => measure(big, client('soar-logs.js'), [], { env: logEnv(n, { BENCH_MODE: mode }) });
    const sdkLogs = (n: number) => () => measure(big, client('sdk-logs.cjs'), [], { env: logEnv(n) });
    const ceilLogs = (n: number) => () => measure(big, client('ceiling-logs.js'), [], { env: logEnv(n) });
    /** The ceiling's runs are short, so load swings them most: three per round. */
    const ceilingRuns: Measured[] = [];
    const ceilLogs3 = (n: number) => async () => {
      for (let i = 0; i < 2; i++) ceilingRuns.push(await ceilLogs(n)());
      const m = await ceilLogs(n)();
      ceilingRuns.push(m);
      return m;
    };

    // ---- 5a (also the warm-up of every path): API calls per 10k events
    const perN = Math.min(CALLS_PER, SIZES.events);
    log(`[5] API calls per ${perN} System Log events (also warms the server up)`);
    const calls = await alternate(
      1,
      { 'okta-soar readLogs': soarLogs(perN, 'stream'), 'okta-soar okta-get-logs': soarLogs(perN, 'whole'), 'okta-soar paged': soarLogs(perN, 'paged'), sdk: sdkLogs(perN), ceiling: ceilLogs(perN) },
      'calls',
    );
    const LOGS = 'GET /api/v1/logs';
    const minLogCalls = Math.ceil(perN / LOG_PAGE);
    const callsSoar = apiCalls(calls['okta-soar readLogs'][0]!, LOGS);
    const callsSoarWhole = apiCalls(calls['okta-soar okta-get-logs'][0]!, LOGS);
    const callsSoarPaged = apiCalls(calls['okta-soar paged'][0]!, LOGS);
    const callsSdk = apiCalls(calls.sdk[0]!, LOGS);
    rows.push({
      id: 'log-calls',
      group: 'API calls',
      title: `API calls per ${perN.toLocaleString('en')} System Log events (limit 1000)`,
      soar: series('okta-soar readLogs', 'calls', [callsSoar], 'lower'),
      extra: [series('okta-soar okta-get-logs', 'calls', [callsSoarWhole], 'lower'), series('okta-soar paged', 'calls', [callsSoarPaged], 'lower')],
      sdk: series('SDK', 'calls', [callsSdk], 'lower'),
      reference: series('minimum', 'calls', [minLogCalls], 'lower'),
      target: `at the minimum (${minLogCalls})`,
      met: callsSoar === minLogCalls && callsSoarWhole === minLogCalls && callsSoarPaged === minLogCalls,
    });

    // ---- 1: System Log read
    log(`[1] System Log read of ${SIZES.events} events, ${SIZES.runs} alternating runs per side`);
    const reads = await alternate(
      SIZES.runs,
      {
        'okta-soar readLogs': soarLogs(SIZES.events, 'stream'),
        'okta-soar okta-get-logs': soarLogs(SIZES.events, 'whole'),
        'okta-soar paged': soarLogs(SIZES.events, 'paged'),
        sdk: sdkLogs(SIZES.events),
        ceiling: ceilLogs3(SIZES.events),
      },
      'logs',
    );
    for (const [k, ms] of Object.entries(reads)) checkCount(`logs ${k}`, ms, SIZES.events);
    const evs = (ms: Measured[], label: string) => series(label, 'events/s', ms.map(rate), 'higher');
    const rss = (ms: Measured[], label: string) => series(label, 'MB', ms.map((m) => m.maxRssMb ?? NaN), 'lower');
    const logSoar = evs(reads['okta-soar readLogs'], 'okta-soar readLogs');
    const logWhole = evs(reads['okta-soar okta-get-logs'], 'okta-soar okta-get-logs');
    const logPaged = evs(reads['okta-soar paged'], 'okta-soar paged');
    const logSdk = evs(reads.sdk, 'SDK');
    reads.ceiling = ceilingRuns;
    const logCeil = evs(reads.ceiling, 'ceiling');
    rows.push({
      id: 'log-read',
      group: 'System Log read',
      title: `System Log read of ${SIZES.events.toLocaleString('en')} events (events/s)`,
      soar: logSoar,
      extra: [logWhole, logPaged],
      sdk: logSdk,
      reference: logCeil,
      ratio: round(logSoar.median / logSdk.median),
      ratioLabel: 'okta-soar ÷ SDK',
      ceilingRatio: round(logCeil.median / logSoar.median),
      target: '≥ 2× SDK and within 1.3× of the ceiling',
      met: logSoar.median >= 2 * logSdk.median && logCeil.median <= 1.3 * logSoar.median,
      detail: {
        'okta-soar okta-get-logs ÷ SDK': round(logWhole.median / logSdk.median),
        'okta-soar paged ÷ SDK': round(logPaged.median / logSdk.median),
        'ceiling ÷ okta-soar okta-get-logs': round(logCeil.median / logWhole.median),
        'server CPU per run, ms (median)': round(median(reads.ceiling.map((m) => m.server.serverCpuMs))),
        'okta-soar readLogs client CPU per run, ms (median)': round(median(reads['okta-soar readLogs'].map((m) => m.cpuMs ?? NaN))),
        'okta-soar okta-get-logs client CPU per run, ms (median)': round(median(reads['okta-soar okta-get-logs'].map((m) => m.cpuMs ?? NaN))),
        'SDK client CPU per run, ms (median)': round(median(reads.sdk.map((m) => m.cpuMs ?? NaN))),
      },
    });
    rows.push({
      id: 'log-rss',
      group: 'System Log read',
      title: `Peak RSS reading ${SIZES.events.toLocaleString('en')} events (MB)`,
      soar: rss(reads['okta-soar readLogs'], 'okta-soar readLogs'),
      extra: [rss(reads['okta-soar okta-get-logs'], 'okta-soar okta-get-logs'), rss(reads['okta-soar paged'], 'okta-soar paged')],
      sdk: rss(reads.sdk, 'SDK'),
      reference: rss(reads.ceiling, 'ceiling'),
      target: 'reported (no target)',
    });

    // ---- 1b: okta-get-logs as a whole process (the CLI, --json), against the SDK's loop as a process
    const procEvents = Math.min(20_000, SIZES.events);
    log(`[1b] okta-get-logs of ${procEvents} events as a whole process (CLI, --json), ${SIZES.runs} alternating runs per side`);
    const soarLogsProcess = async () => {
      const m = await measure(big, CLI, ['run', 'okta-get-logs', `limit=${procEvents}`, `since=${since}`, '--json'], {
        env: { ...sswsEnv, OKTA_STATE_DIR: path.join(tmpRoot, 'state-logs-process') },
        headBytes: 300,
      });
      if (!m.stdout.startsWith('[{"Type":1')) throw new Error(`okta-get-logs failed: ${m.stdout}`);
      return m;
    };
    const sdkLogsProcess = sdkLogs(procEvents);
    mkdirSync(path.join(tmpRoot, 'state-logs-process'), { recursive: true });
    const logProcs = await alternate(SIZES.runs, { 'okta-soar': soarLogsProcess, sdk: sdkLogsProcess }, 'logs-process');
    const lpSoar = series('okta-soar CLI', 'ms', logProcs['okta-soar'].map((m) => m.wallMs), 'lower');
    const lpSdk = series('SDK script', 'ms', logProcs.sdk.map((m) => m.wallMs), 'lower');
    rows.push({
      id: 'logs-process',
      group: 'System Log read',
      title: `okta-get-logs of ${procEvents.toLocaleString('en')} events as a whole process (\`run okta-get-logs … --json\`, output read to the end): wall time (ms)`,
      soar: lpSoar,
      sdk: lpSdk,
      ratio: round(lpSdk.median / lpSoar.median),
      ratioLabel: 'SDK ÷ okta-soar (speed-up)',
      target: '≥ 1.5× the SDK (its listLogEvents loop as a process)',
      met: lpSdk.median >= 1.5 * lpSoar.median,
      detail: {
        'okta-soar CPU per run, ms (median)': round(median(logProcs['okta-soar'].map((m) => m.cpuMs ?? NaN))),
        'SDK CPU per run, ms (median)': round(median(logProcs.sdk.map((m) => m.cpuMs ?? NaN))),
        'okta-soar peak RSS, MB (median)': round(median(logProcs['okta-soar'].map((m) => m.maxRssMb ?? NaN))),
        'SDK peak RSS, MB (median)': round(median(logProcs.sdk.map((m) => m.maxRssMb ?? NaN))),
      },
    });

    // ---- 2: one command as a whole process
    log(`[2] okta-get-user as a whole process, ${SIZES.procRuns} alternating runs per side (after one warm-up each)`);
    const stateDir = path.join(tmpRoot, 'state-ssws');
    mkdirSync(stateDir, { recursive: true });
    const soarGetUser = () =>
      measure(big, CLI, ['run', 'okta-get-user', 'username=alice@example.com', '--json'], { env: { ...sswsEnv, OKTA_STATE_DIR: stateDir }, stdout: 'text' }).then((m) => {
        const e = JSON.parse(m.stdout) as Array<{ Type: number }>;
        if (e[0]?.Type !== 1) throw new Error(`okta-get-user failed: ${m.stdout.slice(0, 300)}`);
        return m;
      });
    const sdkGetUser = () =>
      measure(big, client('sdk-get-user.cjs'), ['alice@example.com'], { env: sswsEnv, stdout: 'text' }).then((m) => {
        if (!(JSON.parse(m.stdout) as { id?: string }).id) throw new Error(`SDK getUser printed no user: ${m.stdout.slice(0, 300)}`);
        return m;
      });
    await soarGetUser();
    await sdkGetUser();
    const procs = await alternate(SIZES.procRuns, { 'okta-soar': soarGetUser, sdk: sdkGetUser }, 'get-user');
    const wall = (ms: Measured[], label: string) => series(label, 'ms', ms.map((m) => m.wallMs), 'lower');
    const cpu = (ms: Measured[], label: string) => series(label, 'ms', ms.map((m) => m.cpuMs ?? NaN), 'lower');
    const pSoar = wall(procs['okta-soar'], 'okta-soar CLI');
    const pSdk = wall(procs.sdk, 'SDK script');
    rows.push({
      id: 'process',
      group: 'One command (process)',
      title: 'okta-get-user as a whole process: wall time (ms)',
      soar: pSoar,
      sdk: pSdk,
      ratio: round(pSoar.median / pSdk.median),
      ratioLabel: 'okta-soar ÷ SDK',
      target: '≤ ¼ of the SDK (ratio ≤ 0.25)',
      met: pSoar.median <= 0.25 * pSdk.median,
    });
    const cSoar = cpu(procs['okta-soar'], 'okta-soar CLI');
    const cSdk = cpu(procs.sdk, 'SDK script');
    rows.push({
      id: 'process-cpu',
      group: 'One command (process)',
      title: 'okta-get-user as a whole process: CPU time (ms)',
      soar: cSoar,
      sdk: cSdk,
      ratio: round(cSoar.median / cSdk.median),
      ratioLabel: 'okta-soar ÷ SDK',
      target: 'reported (less noisy than wall time on a loaded machine)',
    });
    rows.push({
      id: 'process-rss',
      group: 'One command (process)',
      title: 'okta-get-user as a whole process: peak RSS (MB)',
      soar: rss(procs['okta-soar'], 'okta-soar CLI'),
      sdk: rss(procs.sdk, 'SDK script'),
      target: 'reported (no target)',
    });

    checkManifest('after the one-command benchmark');

    // ---- 3: listing users
    log(`[3] listing ${SIZES.users} users, ${SIZES.runs} alternating runs per side`);
    const userEnv = { ...sswsEnv, BENCH_N: String(SIZES.users) };
    const lists = await alternate(
      SIZES.runs,
      { 'okta-soar': () => measure(big, client('soar-users.js'), [], { env: userEnv }), sdk: () => measure(big, client('sdk-users.cjs'), [], { env: userEnv }) },
      'users',
    );
    // Okta leaves DEPROVISIONED users out of a plain list: both sides must read the same number, whatever it is.
    const listed = lists.sdk[0]!.result!.count;
    for (const [k, ms] of Object.entries(lists)) checkCount(`users ${k}`, ms, listed);
    const uTime = (ms: Measured[], label: string) => series(label, 'ms', ms.map((m) => m.result!.ms), 'lower');
    const uSoar = uTime(lists['okta-soar'], 'okta-soar');
    const uSdk = uTime(lists.sdk, 'SDK');
    const USERS = 'GET /api/v1/users';
    const minUserCalls = Math.ceil(listed / USER_PAGE);
    rows.push({
      id: 'users',
      group: 'Listing users',
      title: `Listing users (${listed.toLocaleString('en')} of ${SIZES.users.toLocaleString('en')}; the rest are deprovisioned): time (ms)`,
      soar: uSoar,
      sdk: uSdk,
      ratio: round(uSoar.median / uSdk.median),
      ratioLabel: 'okta-soar ÷ SDK',
      target: 'reported (no target)',
      detail: {
        'okta-soar API calls': apiCalls(lists['okta-soar'][0]!, USERS),
        'SDK API calls': apiCalls(lists.sdk[0]!, USERS),
        'minimum API calls': minUserCalls,
      },
    });
    rows.push({
      id: 'users-rss',
      group: 'Listing users',
      title: `Listing ${listed.toLocaleString('en')} users: peak RSS (MB)`,
      soar: rss(lists['okta-soar'], 'okta-soar'),
      sdk: rss(lists.sdk, 'SDK'),
      target: 'reported (no target)',
    });
    rows.push({
      id: 'user-calls',
      group: 'API calls',
      title: `API calls listing ${listed.toLocaleString('en')} users (pages of 200)`,
      soar: series('okta-soar', 'calls', [apiCalls(lists['okta-soar'][0]!, USERS)], 'lower'),
      sdk: series('SDK', 'calls', [apiCalls(lists.sdk[0]!, USERS)], 'lower'),
      reference: series('minimum', 'calls', [minUserCalls], 'lower'),
      target: `at the minimum (${minUserCalls})`,
      met: apiCalls(lists['okta-soar'][0]!, USERS) === minUserCalls,
    });

    // ---- 4: fetch-incidents draining the backlog
    log(`[4] fetch-incidents draining a ${SIZES.events}-event backlog (max_fetch 1000, filter "uuid pr" and a rule matching every event)`);
    // Every event an incident: a Sigma rule that matches any event (fetch always runs through rules).
    const everyEvent = path.join(tmpRoot, 'every_event.yml');
    writeFileSync(everyEvent, 'title: Okta event\nid: every-event\nlevel: informational\nlogsource:\n  product: okta\ndetection:\n  event:\n    uuid|exists: true\n  condition: event\n');
    const fetchEnv = { ...sswsEnv, BENCH_FILTER: 'uuid pr', BENCH_RULES: everyEvent, BENCH_FIRST_FETCH: '8 days', BENCH_MAX_FETCH: '1000' };
    const libFetch = () => measure(big, client('soar-fetch.js'), [], { env: fetchEnv });
    let cliSeq = 0;
    const cliFetch = async () => {
      const dir = path.join(tmpRoot, `state-fetch-${++cliSeq}`);
      mkdirSync(dir, { recursive: true });
      let count = 0;
      let cycles = 0;
      let lastAt = 0;
      const spawnedAt = performance.now();
      const m = await measure(big, CLI, ['fetch-incidents', '--follow', '--json'], {
        env: { ...sswsEnv, OKTA_STATE_DIR: dir, OKTA_FETCH_FILTER: 'uuid pr', OKTA_FETCH_RULES: everyEvent, OKTA_FIRST_FETCH: '8 days', OKTA_MAX_FETCH: '1000', OKTA_FETCH_INTERVAL: '60' },
        onLine: (line) => {
          if (!line) return;
          lastAt = performance.now();
          cycles++;
          for (let i = line.indexOf('"dbotMirrorId"'); i >= 0; i = line.indexOf('"dbotMirrorId"', i + 14)) count++;
          return line.slice(-4096).includes('"caughtUp":true');
        },
      });
      // From spawning the process to the line of the cycle that caught up: start-up included, the wait for SIGTERM not.
      m.result = { count, ms: lastAt - spawnedAt, extra: { cycles } };
      return m;
    };
    const fetches = await alternate(Math.max(1, Math.min(SIZES.runs, 2)), { library: libFetch, cli: cliFetch }, 'fetch');
    // The same drain stopped after a fifth of the backlog: peak memory must not grow with the backlog.
    const partial = Math.round(SIZES.events / 5);
    const libFetchPartial = () => measure(big, client('soar-fetch.js'), [], { env: { ...fetchEnv, BENCH_STOP_AFTER: String(partial) } });
    const fetchesPartial = await alternate(Math.max(1, Math.min(SIZES.runs, 2)), { library: libFetchPartial }, 'fetch-partial');
    for (const [k, ms] of Object.entries(fetches)) checkCount(`fetch ${k}`, ms, SIZES.events);
    const fLib = evs(fetches.library, 'okta-soar library');
    const fCli = evs(fetches.cli, 'okta-soar CLI --follow');
    const fRssLib = rss(fetches.library, 'okta-soar library');
    const fRssCli = rss(fetches.cli, 'okta-soar CLI --follow');
    const fRssPartial = rss(fetchesPartial.library, `okta-soar library, ${partial.toLocaleString('en')} events`);
    const fetchCalls = apiCalls(fetches.library[0]!, LOGS);
    const minFetchCalls = Math.ceil(SIZES.events / 1000) + 1;
    rows.push({
      id: 'fetch',
      group: 'fetch-incidents',
      title: `fetch-incidents draining a ${SIZES.events.toLocaleString('en')}-event backlog (events/s)`,
      soar: fLib,
      extra: [fCli],
      reference: logCeil,
      ceilingRatio: round(logCeil.median / fLib.median),
      target: 'reported; peak RSS is the target (next row)',
      detail: {
        'cycles (library)': fetches.library[0]!.result?.extra?.cycles ?? NaN,
        'cycles (CLI)': fetches.cli[0]!.result?.extra?.cycles ?? NaN,
        'API calls (library)': fetchCalls,
        'API calls (CLI)': apiCalls(fetches.cli[0]!, LOGS),
        'minimum API calls': minFetchCalls,
      },
    });
    rows.push({
      id: 'fetch-rss',
      group: 'fetch-incidents',
      title: `fetch-incidents draining a ${SIZES.events.toLocaleString('en')}-event backlog: peak RSS (MB)`,
      soar: fRssLib,
      extra: [fRssCli],
      target: '< 150 MB',
      met: Math.max(fRssLib.max, fRssCli.max) < 150,
    });
    rows.push({
      id: 'fetch-rss-growth',
      group: 'fetch-incidents',
      title: `fetch-incidents peak RSS: ${partial.toLocaleString('en')} vs ${SIZES.events.toLocaleString('en')} events drained (library; MB)`,
      soar: fRssPartial,
      extra: [fRssLib],
      ratio: round(fRssLib.median / fRssPartial.median),
      ratioLabel: `${SIZES.events.toLocaleString('en')} ÷ ${partial.toLocaleString('en')}`,
      target: 'does not grow with the backlog (ratio ≤ 1.1 for 5× the events)',
      met: fRssLib.median / fRssPartial.median <= 1.1,
    });
    rows.push({
      id: 'fetch-calls',
      group: 'API calls',
      title: `API calls per ${CALLS_PER.toLocaleString('en')} events fetched (fetch-incidents, max_fetch 1000)`,
      soar: series('okta-soar', 'calls', [(fetchCalls * CALLS_PER) / SIZES.events], 'lower'),
      reference: series('minimum', 'calls', [(minFetchCalls * CALLS_PER) / SIZES.events], 'lower'),
      target: `at the minimum (${minFetchCalls} for the whole backlog: one per page and one to see it is caught up)`,
      met: fetchCalls === minFetchCalls && apiCalls(fetches.cli[0]!, LOGS) === minFetchCalls,
    });

    await big.close();
    servers.pop();

    // ---- 5b: token mints under OAuth
    log(`[5] token mints per ${SIZES.oauthSteps} commands under OAuth (a small sandbox of its own)`);
    const small = await Server.start({ seed: SIZES.seed, users: 60, logEvents: 100 });
    servers.push(small);
    const s = small.facts;
    const oauthEnv = { OKTA_URL: s.url, OKTA_CLIENT_ID: s.clientId, OKTA_PRIVATE_KEY_FILE: s.privateKeyFile, OKTA_KEY_ID: s.keyId, OKTA_SCOPES: SCOPES };
    const oauthDir = path.join(tmpRoot, 'state-oauth');
    mkdirSync(oauthDir, { recursive: true });
    const before = await small.stats();
    const startedSoar = performance.now();
    const walls: number[] = [];
    let next = 0;
    // Two at a time, as two playbooks would: the token cache in OKTA_STATE_DIR is shared between processes.
    const worker = async () => {
      while (next < SIZES.oauthSteps) {
        next++;
        const m = await measure(small, CLI, ['run', 'okta-get-user', 'username=alice@example.com', '--json'], { env: { ...oauthEnv, OKTA_STATE_DIR: oauthDir }, stdout: 'text', probe: false });
        if ((JSON.parse(m.stdout) as Array<{ Type: number }>)[0]?.Type !== 1) throw new Error(`okta-get-user (OAuth) failed: ${m.stdout.slice(0, 300)}`);
        walls.push(m.wallMs);
      }
    };
    await Promise.all([worker(), worker()]);
    const soarOauth = delta(before, await small.stats());
    log(`  okta-soar: ${SIZES.oauthSteps} CLI processes in ${((performance.now() - startedSoar) / 1000).toFixed(1)} s, ${soarOauth.tokensMinted} token(s) minted, ${soarOauth.tokenRequests} token request(s)  [${elapsed()}]`);
    // By id: the SDK always offers a DPoP proof, so its token is DPoP-bound, and its proofs keep "%40" in htu, which Okta
    // (and the sandbox) refuse for /users/alice%40example.com (E0000011). An SDK script must look the user up by id.
    const sdkRun = await measure(small, client('sdk-oauth-steps.cjs'), [s.aliceId], { env: { ...oauthEnv, BENCH_N: String(SIZES.oauthSteps) } });
    log(`  SDK: ${SIZES.oauthSteps} clients, ${sdkRun.server.tokensMinted} token(s) minted, ${sdkRun.server.tokenRequests} token request(s)  [${elapsed()}]`);
    const n = SIZES.oauthSteps;
    rows.push({
      id: 'token-mints',
      group: 'API calls',
      title: `OAuth token mints in ${n} okta-get-user commands`,
      soar: series('okta-soar CLI, shared state dir', 'tokens', [soarOauth.tokensMinted], 'lower'),
      sdk: series('SDK, a Client per command', 'tokens', [sdkRun.server.tokensMinted], 'lower'),
      reference: series('minimum', 'tokens', [1], 'lower'),
      target: 'at the minimum (1: a token lives an hour)',
      met: soarOauth.tokensMinted === 1,
      detail: {
        'okta-soar token requests': soarOauth.tokenRequests,
        'SDK token requests': sdkRun.server.tokenRequests,
        'okta-soar CLI wall per process under OAuth, ms (median)': round(median(walls)),
      },
    });

    }

    // ---- Shared state (issue 18): a crowd through one budget, its cost, 200 instances
    await sharedStateBenchmarks(
      { cli: CLI, client, tmpRoot, quick, startServer: (o) => Server.start(o), measure: (sv, script, args, o) => measure(sv as Server, script, args, o), series, log },
      rows,
      notes,
    );

    checkManifest('at the end');
    for (const r of rows) if (r.met === false && WHY[r.id]) r.note = WHY[r.id];
    notes.push(
      'System Log read: the verdict is on `readLogs`, the library\'s page-by-page read, which is what the SDK\'s `listLogEvents` loop is to a ' +
        'script; okta-soar still does more work per event than the SDK (it redacts every string of every event, as every result is redacted). ' +
        '`okta-get-logs` (one command whose entry holds all the events, their XSOAR context and a readable table) and the paged command ' +
        '(`limit=1000` and its cursor, again and again) are reported beside it.',
    );
    const load1 = loadavg();
    const results: BenchResults = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadavg: { start: load0.map(round), end: load1.map(round) },
      sizes: SIZES,
      quick,
      durationS: round((performance.now() - t0) / 1000),
      rows,
      notes,
    };
    mkdirSync(RESULTS, { recursive: true });
    // A --shared-only run leaves the full run's results alone.
    const name = sharedOnly ? 'shared-state' : 'latest';
    writeFileSync(path.join(RESULTS, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(path.join(RESULTS, `${name}.md`), renderMarkdown(results));
    if (!sharedOnly) writeFileSync(path.join(RESULTS, 'chart.svg'), renderChart(results));
    log(`done in ${elapsed()}: bench/results/${name}.md, ${name}.json${sharedOnly ? '' : ', chart.svg'}`);
    process.stdout.write(renderMarkdown(results));
  } finally {
    for (const s of servers) await s.close().catch(() => undefined);
    rmSync(tmpRoot, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(`failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
