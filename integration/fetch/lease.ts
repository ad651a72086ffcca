import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../base/clock.js';
import { SoarError } from '../base/errors.js';
import type { StateStore } from '../state/store.js';

/**
 * Who may fetch an org's System Log, and the lastRun it continues from: one value of the state
 * store per org (per instance, through the instance's namespaced store), so that taking the
 * lease, renewing it and committing lastRun are each one atomic `update`.
 *
 * Fencing: every take issues a higher `fence`. A commit carries the fence its fetcher was given
 * and is refused unless that is still the lease's fence, so a fetcher that paused past its lease
 * (a stopped VM, a long GC, a partition) can never write over the lastRun of the one that took
 * over. The fence never goes back: it lives beside lastRun, in a value that is never deleted.
 */
export interface LeaseInfo {
  holder: string;
  fence: number;
  /** Epoch ms (the holder's clock) after which another fetcher may take over. */
  expiresAt: number;
  pid: number;
  host: string;
}

interface FetchRecord {
  version: 1;
  /** The last fence issued. */
  fence: number;
  lease?: LeaseInfo;
  lastRun?: unknown;
}

/** A commit or renewal came from a fetcher whose lease another has taken over. */
export class LeaseLostError extends SoarError {
  readonly code = 'ERR_LEASE_LOST';
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

/**
 * State keys for one org: the record (lease, fence, lastRun), and where earlier versions kept
 * lastRun alone (read once, when the record does not exist yet). One history per org and state,
 * not per filter: a changed fetch_query_filter is seen, reported and started anew.
 */
export function fetchStateKeys(origin: string): { record: string; legacyLastRun: string } {
  const h = createHash('sha256').update(origin).digest('hex').slice(0, 12);
  return { record: `fetch-${h}`, legacyLastRun: `fetch-lastrun-${h}` };
}

function parseRecord(text: string | undefined): FetchRecord {
  if (text) {
    try {
      const r = JSON.parse(text) as Partial<FetchRecord>;
      if (r && r.version === 1 && typeof r.fence === 'number') return r as FetchRecord;
    } catch {
      /* a damaged record: start a new one; fetchIncidents reports the missing lastRun */
    }
  }
  return { version: 1, fence: 0 };
}

export type TakeResult = { ok: true; fence: number; lastRun: unknown; tookOver?: LeaseInfo } | { ok: false; heldBy: LeaseInfo };

export interface LeaseOptions {
  clock: Clock;
  /** fetch_lease_seconds in ms. */
  ttlMs: number;
  /** Tells the holder apart in messages and records (default: host:pid:random). */
  holder?: string;
}

/** True when `l` names a process of this host that no longer runs. */
function holderIsDead(l: LeaseInfo): boolean {
  if (l.host !== os.hostname() || l.pid === process.pid) return false;
  try {
    process.kill(l.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class FetchLease {
  readonly holder: string;
  private fence = 0;

  constructor(
    private readonly store: StateStore,
    private readonly keys: { record: string; legacyLastRun: string },
    private readonly opts: LeaseOptions,
  ) {
    this.holder = opts.holder ?? `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  }

  /** The fence this fetcher holds (0: none). */
  get held(): number {
    return this.fence;
  }

  /**
   * Takes the lease when it is free, expired, already ours, or (on one machine) held by a process
   * that no longer exists; returns the lastRun to continue from. Otherwise says who holds it.
   */
  async take(): Promise<TakeResult> {
    const legacy = await this.legacyLastRun();
    const now = this.opts.clock.now();
    let dead: LeaseInfo | undefined;
    for (;;) {
      const r = await this.store.update<TakeResult>(this.keys.record, (cur) => {
        const rec = parseRecord(cur);
        const l = rec.lease;
        const free = !l || l.expiresAt <= now || l.holder === this.holder || (dead !== undefined && l.holder === dead.holder && l.fence === dead.fence);
        if (!free) return { result: { ok: false, heldBy: l } };
        const fence = l?.holder === this.holder && l.fence === this.fence ? l.fence : rec.fence + 1;
        const next: FetchRecord = {
          ...rec,
          fence: Math.max(rec.fence, fence),
          lease: { holder: this.holder, fence, expiresAt: now + this.opts.ttlMs, pid: process.pid, host: os.hostname() },
        };
        if (next.lastRun === undefined && legacy !== undefined) next.lastRun = legacy;
        const took = l && l.holder !== this.holder ? { tookOver: l } : {};
        return { value: JSON.stringify(next), result: { ok: true, fence, lastRun: next.lastRun, ...took } };
      });
      if (r.ok) {
        this.fence = r.fence;
        return r;
      }
      // A holder killed on this machine is replaced at once; elsewhere its lease runs out first.
      if (this.store.scope !== 'network' && !dead && holderIsDead(r.heldBy)) {
        dead = r.heldBy;
        continue;
      }
      this.fence = 0;
      return r;
    }
  }

  /** Extends the lease; false (and the lease is dropped) when another fetcher holds it now. */
  async renew(): Promise<boolean> {
    if (!this.fence) return false;
    const now = this.opts.clock.now();
    const ok = await this.store.update<boolean>(this.keys.record, (cur) => {
      const rec = parseRecord(cur);
      if (rec.lease?.fence !== this.fence || rec.lease.holder !== this.holder) return { result: false };
      return { value: JSON.stringify({ ...rec, lease: { ...rec.lease, expiresAt: now + this.opts.ttlMs } }), result: true };
    });
    if (!ok) this.fence = 0;
    return ok;
  }

  /** The lastRun committed so far. */
  async lastRun(): Promise<unknown> {
    const rec = parseRecord(await this.store.get(this.keys.record));
    return rec.lastRun ?? (await this.legacyLastRun());
  }

  /**
   * Commits lastRun (and renews the lease) in one step, only while this fetcher's fence is still
   * the lease's: a commit from a fetcher that was taken over is refused with LeaseLostError.
   */
  async commit(lastRun: unknown): Promise<void> {
    const fence = this.fence;
    const now = this.opts.clock.now();
    const current = await this.store.update<LeaseInfo | undefined | true>(this.keys.record, (cur) => {
      const rec = parseRecord(cur);
      // A lease that ran out but was taken by nobody still has our fence: nobody newer exists.
      if (!fence || rec.lease?.fence !== fence) return { result: rec.lease };
      return { value: JSON.stringify({ ...rec, lastRun, lease: { ...rec.lease, expiresAt: now + this.opts.ttlMs } }), result: true };
    });
    if (current === true) return;
    this.fence = 0;
    throw new LeaseLostError(
      `lastRun was not saved: another fetcher${current ? ` (${current.host}, pid ${current.pid})` : ''} took over this org's fetch while this one was working (fence ${fence} is stale${current ? `; now ${current.fence}` : ''}). ` +
        'It continues from the last saved lastRun; the incidents printed by this cycle may be returned again, recognisable by their dbotMirrorId',
    );
  }

  /** Lets go of the lease (on a clean stop), so a standby fetcher takes over at once. */
  async release(): Promise<void> {
    const fence = this.fence;
    this.fence = 0;
    if (!fence) return;
    await this.store.update<void>(this.keys.record, (cur) => {
      const rec = parseRecord(cur);
      if (rec.lease?.fence !== fence) return { result: undefined };
      const { lease: _gone, ...rest } = rec;
      return { value: JSON.stringify(rest), result: undefined };
    });
  }

  private async legacyLastRun(): Promise<unknown> {
    const raw = await this.store.get(this.keys.legacyLastRun);
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw; // not JSON: fetchIncidents reports it and starts a new history
    }
  }
}
