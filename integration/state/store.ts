import * as fsCallbacks from 'node:fs';
import { promises as fs, constants as fsc, type Stats } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Lockfile from 'proper-lockfile';
import { ConfigError } from '../base/errors.js';

/**
 * Who else sees a store's values: this process only (memory), every process of this machine
 * (a directory), or every process of every host that names it (Redis).
 */
export type StateScope = 'process' | 'host' | 'network';

/**
 * What an `update` step decides: the new value (`null` deletes the key, `undefined` leaves it as
 * it was) and what the caller gets back.
 */
export interface StateUpdate<T> {
  value?: string | null;
  result: T;
  /**
   * false: the value is advisory and cheap to lose (a rate budget, rebuilt from the next answer's
   * headers): a store may write it without syncing it to disk. Still atomic: readers never see a
   * torn value. Default true.
   */
  durable?: boolean;
}

/**
 * Where the integration keeps what must outlive a call: cached tokens, the DPoP key, the DPoP
 * nonce, rate-limit budgets, fetch-incidents state and leases. Keys are short names
 * ("token-<hash>", "dpop-key", "rate-<hash>"): letters, digits, `.`, `_` and `-`, at most 128.
 *
 * Three stores implement it: MemoryStore (the library's default), FileStore (one machine:
 * `OKTA_STATE_DIR`) and RedisStore (many hosts: `OKTA_STATE_URL`). Everything shared between
 * processes goes through these five operations; nothing reads the store's files or keys directly.
 */
export interface StateStore {
  get(key: string): Promise<string | undefined>;
  /** Atomic: readers see the old value or the new one, never a torn one. */
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * One atomic read-modify-write of `key`: `fn` gets the current value (undefined when absent)
   * and returns the new one and a result. No other writer of `key` (through `set`, `delete` or
   * `update`, in any process sharing the store) comes between the read and the write.
   * `fn` must be synchronous and pure: a store may call it more than once (Redis re-runs it when
   * another process wrote the key in between) and keeps only the last call's outcome.
   */
  update<T>(key: string, fn: (current: string | undefined) => StateUpdate<T>): Promise<T>;
  /**
   * Runs `fn` while holding a named lock shared by every process using this store: for work
   * that spans several keys or waits on the network (minting a token). A lock whose holder
   * was killed is taken over once it goes stale.
   */
  withLock<T>(name: string, fn: () => Promise<T>, opts?: { waitMs?: number }): Promise<T>;
  /** Human-readable location for messages ("memory", a directory, or redis://host:port/db without credentials). */
  readonly location: string;
  /** Who else sees the values (see StateScope). */
  readonly scope: StateScope;
  /** Lets go of connections (Redis); the store is not used afterwards. */
  close?(): Promise<void>;
}

const KEY_RE = /^[A-Za-z0-9._-]{1,128}$/;

export function checkKey(key: string): void {
  if (!KEY_RE.test(key) || key.startsWith('.')) throw new Error(`invalid state key: ${key}`);
}

/** The library's default store: nothing touches the disk. */
export class MemoryStore implements StateStore {
  readonly location = 'memory';
  readonly scope = 'process' as const;
  private data = new Map<string, string>();
  private locks = new Map<string, Promise<unknown>>();

  async get(key: string) {
    checkKey(key);
    return this.data.get(key);
  }
  async set(key: string, value: string) {
    checkKey(key);
    this.data.set(key, value);
  }
  async delete(key: string) {
    checkKey(key);
    this.data.delete(key);
  }
  async update<T>(key: string, fn: (current: string | undefined) => StateUpdate<T>): Promise<T> {
    checkKey(key);
    // One synchronous step: nothing else runs between the read and the write.
    const u = fn(this.data.get(key));
    if (u.value === null) this.data.delete(key);
    else if (u.value !== undefined) this.data.set(key, u.value);
    return u.result;
  }
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    checkKey(name);
    const prev = this.locks.get(name) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    this.locks.set(
      name,
      run.catch(() => undefined),
    );
    return run;
  }
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.OKTA_STATE_DIR && env.OKTA_STATE_DIR.trim() !== ''
    ? path.resolve(env.OKTA_STATE_DIR)
    : path.join(os.homedir(), '.okta-soar');
}

/**
 * Creates `file` (never an existing one: O_EXCL) readable by its owner only (0600), writes
 * `text` and syncs it to disk before closing (unless `sync` is false).
 */
export async function writeNewPrivateFile(file: string, text: string, sync = true): Promise<void> {
  const fh = await fs.open(file, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Files in a directory (mode 0700), one file per key (mode 0600), written to a temporary
 * file, fsynced and renamed into place. Locks are proper-lockfile lock directories, which
 * go stale (and are taken over) when their holder stops refreshing them.
 */
export class FileStore implements StateStore {
  readonly scope = 'host' as const;
  private ready?: Promise<void>;
  private trusted?: Promise<boolean>;
  constructor(readonly dir: string) {}

  get location() {
    return this.dir;
  }

  private ensureDir(): Promise<void> {
    this.ready ??= (async () => {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await this.checkDir(await fs.stat(this.dir));
    })();
    return this.ready;
  }

  /**
   * A directory another user owns could hold planted files (a token, a DPoP key) or be read by
   * them: refuse it. Tighten one of ours created with a looser mode (POSIX only).
   */
  private async checkDir(st: Stats): Promise<void> {
    if (process.platform === 'win32') return;
    if (!st.isDirectory()) throw new ConfigError(`state directory ${this.dir} is not a directory (OKTA_STATE_DIR)`);
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid)
      throw new ConfigError(`state directory ${this.dir} belongs to another user (uid ${st.uid}); set OKTA_STATE_DIR to a directory of your own`);
    if ((st.mode & 0o077) !== 0) await fs.chmod(this.dir, 0o700);
  }

  /** Before reading: the directory exists and is ours (checked once; a missing one is checked again later). */
  private readable(): Promise<boolean> {
    this.trusted ??= (async () => {
      let st: Stats;
      try {
        st = await fs.stat(this.dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        this.trusted = undefined;
        return false;
      }
      await this.checkDir(st);
      return true;
    })();
    return this.trusted;
  }

  private file(key: string): string {
    checkKey(key);
    return path.join(this.dir, key);
  }

  async get(key: string): Promise<string | undefined> {
    const file = this.file(key);
    if (!(await this.readable())) return undefined;
    try {
      return await fs.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async set(key: string, value: string): Promise<void> {
    await this.write(key, value, true);
  }

  /** Written to a temporary file (synced to disk when `durable`) and renamed into place. */
  private async write(key: string, value: string, durable: boolean): Promise<void> {
    const target = this.file(key);
    await this.ensureDir();
    const tmp = path.join(this.dir, `.${key}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    await writeNewPrivateFile(tmp, value, durable);
    try {
      await fs.rename(tmp, target);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }

  /** Under the key's own lock file: read, decide, write (atomically renamed into place). */
  async update<T>(key: string, fn: (current: string | undefined) => StateUpdate<T>): Promise<T> {
    checkKey(key);
    return this.withLock(`${key}.u`, async () => {
      const u = fn(await this.get(key));
      if (u.value === null) await this.delete(key);
      else if (u.value !== undefined) await this.write(key, u.value, u.durable !== false);
      return u.result;
    });
  }

  async withLock<T>(name: string, fn: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
    const target = await this.lockTarget(name);
    const waitMs = opts.waitMs ?? 30_000;
    const release = await this.acquire(target, { retries: Math.max(1, Math.ceil(waitMs / 100)), minTimeout: 50, maxTimeout: 200, factor: 1.2 });
    try {
      return await fn();
    } finally {
      await release().catch(() => undefined);
    }
  }

  /** Tries to take a lock without waiting; resolves to a release function, or undefined when held. */
  async tryLock(name: string): Promise<(() => Promise<void>) | undefined> {
    const target = await this.lockTarget(name);
    try {
      return await this.acquire(target, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
      throw e;
    }
  }

  private async lockTarget(name: string): Promise<string> {
    const target = this.file(`${name}.lock-target`);
    await this.ensureDir();
    // proper-lockfile locks an existing path; the target is an empty marker file.
    await fs.writeFile(target, '', { flag: 'a', mode: 0o600 });
    return target;
  }

  /**
   * Takes the lock. A lock held by a process of this host that no longer exists is taken over at
   * once (its owner file names the pid); one held elsewhere goes stale after 10 s without refresh.
   */
  private async acquire(target: string, retries: Lockfile.LockOptions['retries']): Promise<() => Promise<void>> {
    const lib = lockfileLib();
    const opts: Lockfile.LockOptions = {
      fs: processClockFs(),
      stale: LOCK_STALE_MS,
      update: 2_000,
      realpath: false,
      retries,
      // The default throws from a timer (an uncaught crash). The work a lock guards here is short and
      // written atomically, so a holder that lost its lock finishes, and the next holder re-reads.
      onCompromised: () => undefined,
    };
    const owner = `${target}.owner`;
    let release: () => Promise<void>;
    try {
      release = await lib.lock(target, opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED' || !(await holderIsDead(owner))) throw e;
      await fs.rm(`${target}.lock`, { recursive: true, force: true });
      release = await lib.lock(target, opts);
    }
    await fs.writeFile(owner, JSON.stringify({ pid: process.pid, host: os.hostname() }), { mode: 0o600 }).catch(() => undefined);
    return async () => {
      await fs.rm(owner, { force: true }).catch(() => undefined);
      await release();
    };
  }
}

const requireCjs = createRequire(import.meta.url);
let lockfileMod: typeof Lockfile | undefined;

/** proper-lockfile (and graceful-fs under it) loads only when a lock is taken: start-up time. */
function lockfileLib(): typeof Lockfile {
  return (lockfileMod ??= requireCjs('proper-lockfile') as typeof Lockfile);
}

let clockFs: typeof fsCallbacks | undefined;

/** How long a lock may go without a refresh before another process takes it over. */
const LOCK_STALE_MS = 10_000;

/**
 * The file system for proper-lockfile: node:fs, except for two things, both because
 * proper-lockfile judges a lock stale by comparing its mtime with this process's Date.now(),
 * while a new lock directory carries the file system's clock (an NFS server's, or the real one
 * under a faked process clock):
 * - a new lock directory's mtime is set from this process's clock right after mkdir;
 * - between that mkdir and that utimes, another process may look at the lock. So a lock that
 *   looks stale by this process's clock is still fresh when its mtime is the file system's
 *   "now" (read from a probe file written beside it), give or take 10 s. Without that, two processes whose clocks
 *   differ from the file system's by more than 10 s both held "exclusive" locks now and then
 *   (60 concurrent increments counted 55-59 with the clock 10 years ahead).
 */
function processClockFs(): typeof fsCallbacks {
  const mkdir = (p: string, cb: (err: NodeJS.ErrnoException | null) => void): void =>
    fsCallbacks.mkdir(p, (err) => {
      if (err) return cb(err);
      const now = new Date(Date.now()); // the clock proper-lockfile compares with
      fsCallbacks.utimes(p, now, now, () => cb(null));
    });
  const stat = (p: string, cb: (err: NodeJS.ErrnoException | null, st?: Stats) => void): void =>
    fsCallbacks.stat(p, (err, st) => {
      if (err || !p.endsWith('.lock') || st.mtimeMs >= Date.now() - LOCK_STALE_MS) return cb(err, st);
      fileSystemNow(path.dirname(p), (fsNow) => {
        if (fsNow !== undefined && Math.abs(st.mtimeMs - fsNow) <= LOCK_STALE_MS) {
          // Made just now by the file system's clock: its maker has yet to set its mtime. Fresh it
          // is. (A lock whose mtime a holder set from a clock far from the file system's, and then
          // stopped refreshing, is not near fsNow: stale by this process's clock, it is taken over.)
          Object.defineProperty(st, 'mtime', { value: new Date(Date.now()), configurable: true });
        }
        cb(null, st);
      });
    });
  // The module namespace is frozen: proper-lockfile gets a copy with mkdir and stat replaced.
  return (clockFs ??= { ...fsCallbacks, mkdir, stat } as typeof fsCallbacks);
}

/** The file system's clock now (ms), as the mtime of a probe file written in `dir`; undefined if it cannot be written. */
function fileSystemNow(dir: string, cb: (ms: number | undefined) => void): void {
  const probe = path.join(dir, `.clock-probe-${process.pid}-${randomBytes(6).toString('hex')}`);
  fsCallbacks.writeFile(probe, '', { mode: 0o600 }, (err) => {
    if (err) return cb(undefined);
    fsCallbacks.stat(probe, (e, st) => fsCallbacks.unlink(probe, () => cb(e ? undefined : st.mtimeMs)));
  });
}

/** True when the owner file names a process on this host that no longer runs. */
async function holderIsDead(ownerFile: string): Promise<boolean> {
  try {
    const o = JSON.parse(await fs.readFile(ownerFile, 'utf8')) as { pid?: number; host?: string };
    if (typeof o.pid !== 'number' || o.host !== os.hostname() || o.pid === process.pid) return false;
    try {
      process.kill(o.pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false;
  }
}
