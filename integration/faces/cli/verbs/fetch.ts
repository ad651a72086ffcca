import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock, type Clock } from '../../../base/clock.js';
import { resolveConfig } from '../../../engine/config.js';
import { ConfigError, ScopeError, SoarError, StateError, UsageError } from '../../../base/errors.js';
import { fetchIncidents, type FetchResult, type FetchStop } from '../../../fetch/index.js';
import { redactString } from '../../../base/redact.js';
import type { StateStore } from '../../../state/store.js';
import { namespacedStore } from '../../../state/namespace.js';
import { FetchLease, fetchStateKeys, LeaseLostError, type LeaseInfo, type TakeResult } from '../../../fetch/lease.js';
import { mapBounded, Semaphore } from '../../../okta/semaphore.js';
import type { Params } from '../../../engine/types.js';
import { logErr, progressReporter, write, type CliIO } from '../io.js';
import { cliInstances, cliParams, stateStore, type GlobalFlags } from '../shared.js';
import { ClientPool } from '../../../okta/client-pool.js';

/** Another fetcher holds this org's fetch lease. */
export class FetchLockedError extends SoarError {
  readonly code = 'ERR_FETCH_LOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'FetchLockedError';
  }
}

export { fetchStateKeys };

const STOP_TEXT: Record<FetchStop, string> = {
  caught_up: 'caught up',
  max_fetch: 'max_fetch reached; more events are waiting',
  error: 'stopped early; the next fetch resumes right after these',
  aborted: 'stopped on request; the next fetch resumes right after these',
};

function summary(origin: string, instance: string | undefined, r: FetchResult): string {
  const n = r.incidents.length;
  const from = instance ? `${origin} (instance ${instance})` : origin;
  let s = `${n ? `Fetched ${n} incident${n === 1 ? '' : 's'}` : 'No new incidents'} from ${from} (${STOP_TEXT[r.stop]}).\n`;
  for (const i of r.incidents) s += `  ${i.occurred}  severity ${i.severity}  ${i.name}\n`;
  return redactString(s);
}

/** What every cycle of the run shares. */
interface RunContext {
  io: CliIO;
  json: boolean;
  follow: boolean;
  clock: Clock;
  debug?: (line: string) => void;
  /** One client per instance (connections, rate budget) for every cycle of the run. */
  clients: ClientPool;
  /** Whole documents only: cycles of several instances never interleave their output. */
  out: Semaphore;
}

/** One org to fetch: the only one, or one instance of OKTA_INSTANCES_FILE. */
interface Target {
  instance?: string;
  params: Params;
  origin: string;
  store: StateStore;
  lease: FetchLease;
  ttlMs: number;
  intervalMs: number;
  /** Stops this target's cycle when its lease is lost. */
  lost?: AbortController;
  /** When the next cycle (or look at a held lease) is due (epoch ms). */
  dueAt: number;
}

/** Incidents per write of the --json document. */
const WRITE_BATCH = 25;

/**
 * `{"incidents":[…],"lastRun":{…}}` and a newline, byte for byte what JSON.stringify would make of
 * it, written 25 incidents (~60 KB) at a time: a cycle of 1,000 events never holds the whole ~2.5 MB
 * document, and its bytes, in memory at once.
 */
async function writeDocument(out: NodeJS.WritableStream, r: FetchResult, instance: string | undefined): Promise<void> {
  await write(out, instance ? `{"instance":${JSON.stringify(instance)},"incidents":[` : '{"incidents":[');
  for (let i = 0; i < r.incidents.length; i += WRITE_BATCH) {
    const part = r.incidents.slice(i, i + WRITE_BATCH).map((inc) => JSON.stringify(inc));
    await write(out, (i ? ',' : '') + part.join(','));
  }
  await write(out, `],"lastRun":${JSON.stringify(r.lastRun)}}\n`);
}

/** `signal` and `other` as one: fires when either does. */
function anyOf(signal: AbortSignal, other?: AbortSignal): AbortSignal {
  return other ? AbortSignal.any([signal, other]) : signal;
}

type CycleOutcome = FetchStop | 'failed' | 'unwritten' | 'lost';

/**
 * One cycle of one target, holding its lease: read lastRun, fetch, write the output whole, and
 * only then commit lastRun, fenced (a fetcher that was taken over meanwhile commits nothing).
 */
async function cycle(c: RunContext, t: Target, stop: AbortSignal): Promise<CycleOutcome> {
  const name = t.instance ? ` (instance ${t.instance})` : '';
  const report = async (msg: string, lastRun: unknown) => {
    logErr(c.io, `okta-soar: fetch-incidents${name}: ${msg}`);
    if (c.json) await c.out.run(() => write(c.io.stdout, JSON.stringify({ ...(t.instance ? { instance: t.instance } : {}), incidents: [], lastRun, error: msg }) + '\n'));
  };
  let lastRun: unknown = {};
  const progress = c.follow && t.instance ? () => undefined : progressReporter(c.io);
  let drawn = false;
  const clearProgress = () => {
    if (drawn && c.io.stderr.isTTY) c.io.stderr.write('\r\x1b[K');
  };
  let result: FetchResult;
  t.lost = new AbortController();
  try {
    lastRun = (await t.lease.lastRun()) ?? {};
    result = await fetchIncidents(t.params, lastRun, {
      state: t.store,
      clock: c.clock,
      clients: c.clients,
      signal: anyOf(stop, t.lost.signal),
      progress: (done, total, label) => {
        drawn = true;
        progress(done, total, label);
      },
      warn: (m) => logErr(c.io, `warning${name}: ${m}`),
      debug: c.debug,
    });
  } catch (e) {
    clearProgress();
    // One cycle failing does not end --follow; a configuration problem does.
    if (!c.follow || e instanceof ConfigError || e instanceof ScopeError || !(e instanceof SoarError)) throw e;
    await report(redactString(e.message), lastRun);
    return 'failed';
  }
  clearProgress();
  if (t.lost.signal.aborted && !result.incidents.length) return 'lost';
  // The output is handed to the OS before lastRun moves: a crash in between can repeat this
  // batch (recognisable by dbotMirrorId), never lose it.
  try {
    await c.out.run(async () => {
      if (c.json) await writeDocument(c.io.stdout, result, t.instance);
      else await write(c.io.stdout, summary(t.origin, t.instance, result));
    });
  } catch (e) {
    logErr(c.io, `okta-soar: fetch-incidents${name}: the output could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); lastRun is not saved, so the next fetch returns these ${result.incidents.length} incidents again`);
    return 'unwritten';
  }
  try {
    await t.lease.commit(result.lastRun);
  } catch (e) {
    if (!(e instanceof SoarError)) throw e;
    const msg = e instanceof LeaseLostError ? e.message : `lastRun was not saved (${e.message}); the next cycle returns these ${result.incidents.length} incidents again (same dbotMirrorId)`;
    if (!c.follow) throw e instanceof LeaseLostError ? e : new StateError(redactString(msg));
    logErr(c.io, `okta-soar: fetch-incidents${name}: ${redactString(msg)}`);
    return e instanceof LeaseLostError ? 'lost' : 'failed';
  }
  return result.stop;
}

/** Fetchers polling many instances at once, at most. */
const INSTANCE_CONCURRENCY = 8;

function lockedMessage(t: Target, heldBy: LeaseInfo, now: number): string {
  const secs = Math.max(0, Math.ceil((heldBy.expiresAt - now) / 1000));
  return (
    `another fetch-incidents (${heldBy.host}, pid ${heldBy.pid}) holds the fetch of ${t.origin}${t.instance ? ` (instance ${t.instance})` : ''} with the state in ${t.store.location}; ` +
    `two fetchers of one org would return events twice. Stop the other one, run this one with --follow to stand by and take over, or give it its own state. ` +
    `(The lease of a fetcher that was killed runs out within fetch_lease_seconds: ${secs} s from now.)`
  );
}

/** Resident memory above which a --follow run collects its garbage between rounds of cycles. */
const RSS_SOFT_LIMIT = 125 * 1024 * 1024;
let fullCollection: (() => void) | null | undefined;

/**
 * Between rounds of cycles, when resident memory is past RSS_SOFT_LIMIT, a full garbage
 * collection. A cycle leaves its page behind as Buffers and external strings (several MB, freed
 * only when their owners are collected), and V8 waits for ~64 MB of such memory before it looks:
 * cycles that run back to back while a backlog drains would otherwise push a long-running fetcher
 * past 150 MB. A collection takes ~10 ms; it is not needed more than every few cycles.
 */
function relieveMemory(): void {
  if (process.memoryUsage.rss() < RSS_SOFT_LIMIT) return;
  if (fullCollection === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      fullCollection = runInNewContext('gc') as () => void;
    } catch {
      fullCollection = null;
    }
  }
  fullCollection?.();
}

/**
 * `okta-soar fetch-incidents [--json] [--follow]`: one cycle, or (with --follow) a cycle every
 * fetch_interval seconds, at once while a backlog drains, until SIGINT/SIGTERM; a signal lets the
 * current cycle finish and commit (a second one quits at once, without committing). With an
 * instances file, every instance is fetched (at most 8 at once), each under its own lease.
 * Fetchers sharing a state take turns through the leases: a --follow fetcher that finds the lease
 * held stands by and takes over when its holder stops or its lease runs out.
 */
export async function fetchVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
  const extra = flags.rest.slice(1);
  if (extra.length) throw new UsageError(`fetch-incidents takes no arguments (got "${extra[0]}"); configure it with OKTA_* variables, --config FILE.yml or --instances FILE.yml`);
  for (const f of ['--port', '--host', '--once', '--rsa']) if (flags.flags.has(f)) throw new UsageError(`fetch-incidents does not take ${f}`);
  const follow = flags.flags.has('--follow');
  const params = cliParams(io, flags);
  const instances = cliInstances(io, flags, params);
  const clock = io.clock ?? systemClock;
  const base = await stateStore(io);
  const targets: Target[] = (instances ? instances.names.map((n) => ({ instance: n, params: instances.get(n)!.params })) : [{ instance: undefined, params }]).map(
    ({ instance, params: p }) => {
      const cfg = resolveConfig(p);
      const store = instance ? namespacedStore(base, instance) : base;
      const ttlMs = Number(cfg.params.fetch_lease_seconds ?? 60) * 1000;
      return {
        ...(instance ? { instance } : {}),
        params: p,
        origin: cfg.origin,
        store,
        ttlMs,
        intervalMs: Number(cfg.params.fetch_interval ?? 60) * 1000,
        lease: new FetchLease(store, fetchStateKeys(cfg.origin), { clock, ttlMs }),
        dueAt: 0,
      };
    },
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
  const ctx: RunContext = {
    io,
    json: flags.json,
    follow,
    clock,
    debug: flags.debug || io.env.OKTA_DEBUG === '1' ? (l) => logErr(io, `debug: ${l}`) : undefined,
    clients: new ClientPool(),
    out: new Semaphore(1),
  };
  // Held leases are renewed every third of their time, whatever the cycles are doing.
  const renewEvery = Math.max(1000, Math.min(...targets.map((t) => t.ttlMs)) / 3);
  const renewer = setInterval(() => {
    for (const t of targets) {
      if (!t.lease.held) continue;
      t.lease.renew().then(
        (ok) => {
          if (ok) return;
          logErr(io, `okta-soar: fetch-incidents${t.instance ? ` (instance ${t.instance})` : ''}: another fetcher took over; this one stands by`);
          t.lost?.abort();
        },
        () => undefined, // the store is unreachable for now: the commit will tell whether the lease still holds
      );
    }
  }, renewEvery);
  renewer.unref();
  try {
    if (!follow) {
      let code = 0;
      await mapBounded(targets, INSTANCE_CONCURRENCY, async (t) => {
        const took = await t.lease.take();
        if (!took.ok) {
          const err = new FetchLockedError(lockedMessage(t, took.heldBy, clock.now()));
          if (targets.length === 1) throw err;
          logErr(io, `okta-soar: fetch-incidents: ${err.message}`);
          code = 1;
          return;
        }
        const stop = await cycle(ctx, t, ac.signal);
        if (stop === 'unwritten' || stop === 'failed' || stop === 'lost') code = 1;
      });
      return code;
    }
    for (;;) {
      const now = clock.now();
      const due = targets.filter((t) => t.dueAt <= now);
      await mapBounded(due, INSTANCE_CONCURRENCY, async (t) => {
        if (ac.signal.aborted) return;
        const standBy = Math.max(1000, Math.min(t.intervalMs, t.ttlMs / 10));
        if (!t.lease.held) {
          let took: TakeResult;
          try {
            took = await t.lease.take();
          } catch (e) {
            if (!(e instanceof SoarError)) throw e;
            logErr(io, `okta-soar: fetch-incidents${t.instance ? ` (instance ${t.instance})` : ''}: ${redactString(e.message)}`);
            t.dueAt = clock.now() + Math.min(t.intervalMs, standBy * 2);
            return;
          }
          if (!took.ok) {
            t.dueAt = clock.now() + standBy; // standing by: look again soon enough to take over within the lease
            return;
          }
          if (took.tookOver) logErr(io, `okta-soar: fetch-incidents${t.instance ? ` (instance ${t.instance})` : ''}: took over from ${took.tookOver.host} pid ${took.tookOver.pid} (fence ${took.fence})`);
        }
        const stop = await cycle(ctx, t, ac.signal);
        if (stop === 'unwritten') throw new UnwrittenError();
        // A backlog drains cycle after cycle; otherwise wait for new events.
        t.dueAt = stop === 'max_fetch' ? 0 : stop === 'lost' ? clock.now() + standBy : clock.now() + t.intervalMs;
      });
      if (ac.signal.aborted) return 0;
      relieveMemory();
      const next = Math.min(...targets.map((t) => t.dueAt));
      const wait = next - clock.now();
      if (wait > 0) await clock.sleep(wait, ac.signal);
      if (ac.signal.aborted) return 0;
    }
  } catch (e) {
    if (e instanceof UnwrittenError) return 1;
    throw e;
  } finally {
    clearInterval(renewer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    io.stdout.off('error', onStdoutError);
    await ctx.clients.closeAll();
    // A clean stop hands the fetch over at once.
    await Promise.all(targets.map((t) => t.lease.release().catch(() => undefined)));
  }
}

/** The output could not be written (the reader went away): the run ends. */
class UnwrittenError extends Error {}
