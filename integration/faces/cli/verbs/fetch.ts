import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../../../base/clock.js';
import { resolveConfig } from '../../../engine/config.js';
import { ConfigError, ScopeError, SoarError, UsageError } from '../../../base/errors.js';
import { fetchIncidents, type FetchResult, type FetchStop } from '../../../fetch/index.js';
import { redactString } from '../../../base/redact.js';
import type { FileStore } from '../../../state/store.js';
import type { Params } from '../../../engine/types.js';
import { logErr, progressReporter, write, type CliIO } from '../io.js';
import { cliParams, stateStore, type GlobalFlags } from '../shared.js';
import { ClientPool } from '../../../okta/client-pool.js';

/** Another fetcher holds this org's fetch state. */
export class FetchLockedError extends SoarError {
  readonly code = 'ERR_FETCH_LOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'FetchLockedError';
  }
}

/**
 * State keys for one org. One history per org and state directory (not per filter): a changed
 * fetch_query_filter is then seen, reported and started anew, instead of silently leaving an old
 * history behind. Two fetchers with different filters on one org need two OKTA_STATE_DIRs.
 */
export function fetchStateKeys(origin: string): { lastRun: string; lock: string } {
  const h = createHash('sha256').update(origin).digest('hex').slice(0, 12);
  return { lastRun: `fetch-lastrun-${h}`, lock: `fetch-${h}` };
}

const STOP_TEXT: Record<FetchStop, string> = {
  caught_up: 'caught up',
  max_fetch: 'max_fetch reached; more events are waiting',
  error: 'stopped early; the next fetch resumes right after these',
  aborted: 'stopped on request; the next fetch resumes right after these',
};

function summary(origin: string, r: FetchResult): string {
  const n = r.incidents.length;
  let s = `${n ? `Fetched ${n} incident${n === 1 ? '' : 's'}` : 'No new incidents'} from ${origin} (${STOP_TEXT[r.stop]}).\n`;
  for (const i of r.incidents) s += `  ${i.occurred}  severity ${i.severity}  ${i.name}\n`;
  return redactString(s);
}

interface CycleContext {
  io: CliIO;
  json: boolean;
  follow: boolean;
  params: Params;
  origin: string;
  store: FileStore;
  key: string;
  signal: AbortSignal;
  clock: Clock;
  debug?: (line: string) => void;
  /** One client (connections, rate budget) for every cycle of the run. */
  clients: ClientPool;
}

/** Incidents per write of the --json document. */
const WRITE_BATCH = 25;

/**
 * `{"incidents":[…],"lastRun":{…}}` and a newline, byte for byte what JSON.stringify would make of
 * it, written 25 incidents (~60 KB) at a time: a cycle of 1,000 events never holds the whole ~2.5 MB
 * document, and its bytes, in memory at once.
 */
async function writeDocument(out: NodeJS.WritableStream, r: FetchResult): Promise<void> {
  await write(out, '{"incidents":[');
  for (let i = 0; i < r.incidents.length; i += WRITE_BATCH) {
    const part = r.incidents.slice(i, i + WRITE_BATCH).map((inc) => JSON.stringify(inc));
    await write(out, (i ? ',' : '') + part.join(','));
  }
  await write(out, `],"lastRun":${JSON.stringify(r.lastRun)}}\n`);
}

/** One cycle: read lastRun, fetch, write the output whole, and only then commit lastRun. */
async function cycle(c: CycleContext): Promise<FetchStop | 'failed' | 'unwritten'> {
  const stored = await c.store.get(c.key);
  let lastRun: unknown = {};
  if (stored !== undefined) {
    try {
      lastRun = JSON.parse(stored);
    } catch {
      lastRun = stored; // not JSON: fetchIncidents reports it and starts a new history
    }
  }
  const progress = progressReporter(c.io);
  let drawn = false;
  const clearProgress = () => {
    if (drawn && c.io.stderr.isTTY) c.io.stderr.write('\r\x1b[K');
  };
  let result: FetchResult;
  try {
    result = await fetchIncidents(c.params, lastRun, {
      state: c.store,
      clock: c.clock,
      clients: c.clients,
      signal: c.signal,
      progress: (done, total, label) => {
        drawn = true;
        progress(done, total, label);
      },
      warn: (m) => logErr(c.io, `warning: ${m}`),
      debug: c.debug,
    });
  } catch (e) {
    clearProgress();
    // One cycle failing does not end --follow; a configuration problem does.
    if (!c.follow || e instanceof ConfigError || e instanceof ScopeError || !(e instanceof SoarError)) throw e;
    const msg = redactString(e.message);
    logErr(c.io, `okta-soar: fetch-incidents: ${msg}`);
    if (c.json) await write(c.io.stdout, JSON.stringify({ incidents: [], lastRun, error: msg }) + '\n');
    return 'failed';
  }
  clearProgress();
  // The output is handed to the OS before lastRun moves: a crash in between can repeat this
  // batch (recognisable by dbotMirrorId), never lose it.
  try {
    if (c.json) await writeDocument(c.io.stdout, result);
    else await write(c.io.stdout, summary(c.origin, result));
  } catch (e) {
    logErr(c.io, `okta-soar: fetch-incidents: the output could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); lastRun is not saved, so the next fetch returns these ${result.incidents.length} incidents again`);
    return 'unwritten';
  }
  await c.store.set(c.key, JSON.stringify(result.lastRun));
  return result.stop;
}

/**
 * `okta-soar fetch-incidents [--json] [--follow]`: one cycle, or (with --follow) a cycle every
 * fetch_interval seconds, at once while a backlog drains, until SIGINT/SIGTERM; a signal lets the
 * current cycle finish and commit (a second one quits at once, without committing).
 */
export async function fetchVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
  const extra = flags.rest.slice(1);
  if (extra.length) throw new UsageError(`fetch-incidents takes no arguments (got "${extra[0]}"); configure it with OKTA_* variables or --config FILE.yml`);
  for (const f of ['--port', '--host', '--once', '--rsa']) if (flags.flags.has(f)) throw new UsageError(`fetch-incidents does not take ${f}`);
  const follow = flags.flags.has('--follow');
  const params = cliParams(io, flags);
  const cfg = resolveConfig(params);
  const store = stateStore(io);
  const keys = fetchStateKeys(cfg.origin);
  const release = await store.tryLock(keys.lock);
  if (!release)
    throw new FetchLockedError(
      `another fetch-incidents is running for ${cfg.origin} with the state in ${store.location}; two fetchers on one state would return events twice. ` +
        `Stop the other one, or give this one its own OKTA_STATE_DIR. (The lock of a fetcher that was killed frees itself within 10 s.)`,
    );
  const ac = new AbortController();
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    ac.abort();
    logErr(io, 'okta-soar: stopping after the current cycle (again to quit at once, without saving)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that went away (EPIPE) is reported by the write itself; without a listener the
  // stream's 'error' event would end the process before it can say that nothing was saved.
  const onStdoutError = () => undefined;
  io.stdout.on('error', onStdoutError);
  const interval = Number(cfg.params.fetch_interval ?? 60) * 1000;
  const ctx: CycleContext = {
    io,
    json: flags.json,
    follow,
    params,
    origin: cfg.origin,
    store,
    key: keys.lastRun,
    signal: ac.signal,
    clock: io.clock ?? systemClock,
    debug: flags.debug || io.env.OKTA_DEBUG === '1' ? (l) => logErr(io, `debug: ${l}`) : undefined,
    clients: new ClientPool(),
  };
  try {
    for (;;) {
      const stop = await cycle(ctx);
      if (stop === 'unwritten') return 1;
      if (!follow) return 0;
      if (ac.signal.aborted) return 0;
      // A backlog drains cycle after cycle; otherwise wait for new events.
      if (stop !== 'max_fetch') await ctx.clock.sleep(interval, ac.signal);
      if (ac.signal.aborted) return 0;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    io.stdout.off('error', onStdoutError);
    await ctx.clients.closeAll();
    await release().catch(() => undefined);
  }
}
