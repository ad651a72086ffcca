import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { ConfigError, StateError } from '../base/errors.js';
import type { StateCipher } from './state-key.js';
import { checkKey, type StateStore, type StateUpdate } from './store.js';

/** Every key okta-soar writes starts with this, so one Redis can serve other tenants too. */
export const REDIS_PREFIX = 'okta-soar:';

/**
 * Compare-and-set: writes (or deletes) the key only when it still holds the value the caller
 * read (by SHA-1; `-` for "absent"). Returns 1 when written, 0 when someone else wrote first.
 */
const CAS = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '-' then
  if cur then return 0 end
elseif (not cur) or redis.sha1hex(cur) ~= ARGV[1] then
  return 0
end
if ARGV[2] == 'del' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[3]) end
return 1`;

/** Extends a lock's expiry only while this holder's token is still the one there. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
/** Deletes a lock only when this holder's token is still the one there. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A lock left by a killed holder frees itself after this long without renewal. */
const LOCK_TTL_MS = 15_000;
/** Re-runs of an update that lost a race before giving up (each loses only to another's completed write). */
const MAX_UPDATE_ATTEMPTS = 200;

interface ScriptedRedis extends RedisClient {
  oktaCas(key: string, expected: string, op: string, value: string): Promise<number>;
  oktaRenew(key: string, token: string, ttlMs: string): Promise<number>;
  oktaRelease(key: string, token: string): Promise<number>;
}

/** The URL without credentials, for messages: `redis://host:port/db`. */
export function redisLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'OKTA_STATE_URL';
  }
}

/** Checks OKTA_STATE_URL's shape before anything connects. */
export function checkRedisUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError('OKTA_STATE_URL is not a URL; expected redis://host:6379 or rediss://host:6380 (credentials as redis://user:password@host)', 'OKTA_STATE_URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new ConfigError(`OKTA_STATE_URL must start with redis:// or rediss:// (got ${JSON.stringify(u.protocol.slice(0, 20))})`, 'OKTA_STATE_URL');
  if (!u.hostname) throw new ConfigError('OKTA_STATE_URL names no host; expected redis://host:6379', 'OKTA_STATE_URL');
  if (u.pathname && u.pathname !== '/' && !/^\/\d{1,2}$/.test(u.pathname))
    throw new ConfigError(`OKTA_STATE_URL: the path must be a database number such as /0 (got ${JSON.stringify(u.pathname.slice(0, 20))})`, 'OKTA_STATE_URL');
}

/** What went wrong with Redis, in words, without the URL's credentials or anything Redis echoed. */
export function describeRedisError(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  if (/^NOAUTH/.test(msg)) return 'Redis needs a password: put it in OKTA_STATE_URL as redis://:PASSWORD@host:port (or redis://USER:PASSWORD@host:port with ACLs)';
  if (/^WRONGPASS|invalid password|invalid username-password/i.test(msg)) return 'Redis refused the user name or password in OKTA_STATE_URL';
  if (/^NOPERM/.test(msg)) return 'the Redis user of OKTA_STATE_URL may not run what okta-soar needs (GET, SET, DEL, EVALSHA/EVAL, PEXPIRE on okta-soar:* keys)';
  if (/^LOADING/.test(msg)) return 'Redis is still loading its data set; try again in a moment';
  if (/^(READONLY|MASTERDOWN)/.test(msg)) return 'OKTA_STATE_URL points at a read-only replica; point it at the primary';
  if (code === 'ECONNREFUSED') return 'the connection was refused (ECONNREFUSED): is redis-server running there?';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name does not resolve (${code})`;
  if (code === 'ETIMEDOUT' || /ETIMEDOUT|timed? ?out/i.test(msg)) return 'no answer in time (ETIMEDOUT)';
  if (code === 'ECONNRESET' || /Connection is closed|isn't writeable|Stream isn't writeable/i.test(msg)) return 'the connection was lost';
  if (code && /^(CERT_|UNABLE_TO_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) return `the TLS certificate was not accepted (${code}); for a private CA set NODE_EXTRA_CA_CERTS`;
  if (code) return `failed (${code})`;
  // A Redis error reply: its first word is its kind; the rest may quote our arguments.
  const kind = /^[A-Z]+\b/.exec(msg)?.[0];
  return kind ? `Redis answered an error (${kind})` : 'failed';
}

const requireCjs = createRequire(import.meta.url);

/**
 * State in Redis, shared by every process and host that names the same OKTA_STATE_URL (and
 * OKTA_STATE_KEY). Every value is sealed with AES-256-GCM (StateCipher) under a key name that
 * is itself authenticated; keys are `okta-soar:` + the state key (hashes, never secrets).
 * Atomic steps are Lua scripts: compare-and-set for `update`, token-checked renew and release for
 * locks. Commands never queue while the connection is down: they fail at once with a StateError,
 * and the client reconnects in the background for the next call.
 */
export class RedisStore implements StateStore {
  readonly scope = 'network' as const;
  readonly location: string;
  private client?: ScriptedRedis;
  private ready?: Promise<ScriptedRedis>;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly cipher: StateCipher,
    private readonly opts: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {},
  ) {
    checkRedisUrl(url);
    this.location = redisLabel(url);
  }

  private fail(what: string, e: unknown): StateError {
    if (e instanceof StateError) return e;
    return new StateError(`Redis at ${this.location} (OKTA_STATE_URL): ${what} ${describeRedisError(e)}`);
  }

  /** Connects on first use; a failed first connection is reported and not retried behind the caller's back. */
  private redis(): Promise<ScriptedRedis> {
    if (this.closed) return Promise.reject(new StateError(`the state store ${this.location} is closed`));
    this.ready ??= (async () => {
      const { Redis } = requireCjs('ioredis') as typeof import('ioredis');
      let connected = false;
      const options: RedisOptions = {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: this.opts.connectTimeoutMs ?? 5000,
        commandTimeout: this.opts.commandTimeoutMs ?? 10_000,
        // After the first connection: reconnect in the background (a restart, a fail-over), while calls fail fast.
        retryStrategy: (times) => (connected ? Math.min(100 * times, 2000) : null),
        reconnectOnError: () => false,
      };
      const client = new Redis(this.url, options) as ScriptedRedis;
      client.defineCommand('oktaCas', { numberOfKeys: 1, lua: CAS });
      client.defineCommand('oktaRenew', { numberOfKeys: 1, lua: RENEW });
      client.defineCommand('oktaRelease', { numberOfKeys: 1, lua: RELEASE });
      // ioredis reports connection trouble as 'error' events; the first connection's says why it failed
      // (connect() itself only rejects with "Connection is closed").
      let firstError: unknown;
      client.on('error', (e: unknown) => {
        if (!connected) firstError ??= e;
      });
      try {
        await client.connect();
        // A server that needs a password accepts the connection and refuses the first command.
        await client.ping();
      } catch (e) {
        client.disconnect();
        this.ready = undefined;
        throw this.fail('cannot be used:', firstError ?? e);
      }
      connected = true;
      this.client = client;
      return client;
    })();
    return this.ready;
  }

  private async call<T>(what: string, fn: (r: ScriptedRedis) => Promise<T>): Promise<T> {
    const r = await this.redis();
    try {
      return await fn(r);
    } catch (e) {
      throw this.fail(`${what} failed:`, e);
    }
  }

  async get(key: string): Promise<string | undefined> {
    checkKey(key);
    const raw = await this.call('reading state', (r) => r.get(REDIS_PREFIX + key));
    return raw === null ? undefined : this.cipher.open(key, raw, this.location);
  }

  async set(key: string, value: string): Promise<void> {
    checkKey(key);
    const sealed = this.cipher.seal(key, value);
    await this.call('writing state', (r) => r.set(REDIS_PREFIX + key, sealed));
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.call('deleting state', (r) => r.del(REDIS_PREFIX + key));
  }

  async update<T>(key: string, fn: (current: string | undefined) => StateUpdate<T>): Promise<T> {
    checkKey(key);
    const k = REDIS_PREFIX + key;
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const raw = await this.call('reading state', (r) => r.get(k));
      const u = fn(raw === null ? undefined : this.cipher.open(key, raw, this.location));
      if (u.value === undefined) return u.result;
      const expected = raw === null ? '-' : createHash('sha1').update(raw).digest('hex');
      const written =
        u.value === null
          ? await this.call('updating state', (r) => r.oktaCas(k, expected, 'del', ''))
          : await this.call('updating state', (r) => r.oktaCas(k, expected, 'set', this.cipher.seal(key, u.value as string)));
      if (written === 1) return u.result;
      // Another process wrote in between: read again and decide again. Spread retries under a crowd.
      if (attempt > 2) await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, attempt)));
    }
    throw new StateError(`Redis at ${this.location}: gave up updating ${key} after ${MAX_UPDATE_ATTEMPTS} attempts (too many processes writing it at once)`);
  }

  async withLock<T>(name: string, fn: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
    checkKey(name);
    const k = `${REDIS_PREFIX}lock:${name}`;
    const token = randomBytes(16).toString('hex');
    const deadline = Date.now() + (opts.waitMs ?? 30_000);
    for (;;) {
      const got = await this.call('taking a lock', (r) => r.set(k, token, 'PX', LOCK_TTL_MS, 'NX'));
      if (got === 'OK') break;
      if (Date.now() >= deadline)
        throw new StateError(`waited ${Math.round((opts.waitMs ?? 30_000) / 1000)} s for the lock ${name} in Redis at ${this.location}; another okta-soar process holds it`);
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
    }
    // Renewed while the work runs, so a slow holder keeps it and a killed one loses it within LOCK_TTL_MS.
    const renew = setInterval(() => void this.client?.oktaRenew(k, token, String(LOCK_TTL_MS)).catch(() => undefined), LOCK_TTL_MS / 3);
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.client?.oktaRelease(k, token).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    this.ready = undefined;
    if (!c) return;
    await c.quit().catch(() => c.disconnect());
  }
}
