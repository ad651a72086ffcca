/**
 * The state stores side by side (memory, files, a real redis-server): what every caller relies
 * on (get/set/delete, an atomic update under a crowd, locks that exclude), what only Redis
 * does (every value sealed with OKTA_STATE_KEY; clear errors for a wrong URL, a missing or wrong
 * password, an unreachable server; no secret in any message), and instance namespaces.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ConfigError, StateError } from '../../../integration/base/errors.js';
import { namespacedStore } from '../../../integration/state/namespace.js';
import { openStateStore } from '../../../integration/state/open-store.js';
import { REDIS_PREFIX, RedisStore } from '../../../integration/state/redis-store.js';
import { StateCipher } from '../../../integration/state/state-key.js';
import { FileStore, MemoryStore, type StateStore } from '../../../integration/state/store.js';
import { startRedis, type RedisServer } from '../../helpers/redis-server.js';

const KEY = 'a'.repeat(64);
let redis: RedisServer;
let dir: string;
const opened: StateStore[] = [];
const redisStore = (key = KEY, url = redis.url) => {
  const s = new RedisStore(url, StateCipher.parse(key, 'OKTA_STATE_KEY'), { connectTimeoutMs: 2000 });
  opened.push(s);
  return s;
};

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-stores-'));
}, 20_000);
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close?.();
});
afterAll(async () => {
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Kind = 'memory' | 'files' | 'redis';
/** Two handles on one store, as two processes would have. */
function pair(kind: Kind, name: string): [StateStore, StateStore] {
  if (kind === 'memory') {
    const m = new MemoryStore();
    return [m, m];
  }
  if (kind === 'files') return [new FileStore(path.join(dir, name)), new FileStore(path.join(dir, name))];
  return [namespacedStore(redisStore(), name), namespacedStore(redisStore(), name)];
}

describe.each<Kind>(['memory', 'files', 'redis'])('%s store', (kind) => {
  test('get, set, delete', async () => {
    const [a, b] = pair(kind, 'basic');
    expect(await a.get('k1')).toBeUndefined();
    await a.set('k1', 'hello');
    expect(await b.get('k1')).toBe('hello');
    await b.delete('k1');
    expect(await a.get('k1')).toBeUndefined();
  });

  test('update is one atomic step: 60 concurrent increments from two handles count 60', async () => {
    const [a, b] = pair(kind, 'counter');
    const inc = (s: StateStore) => s.update('n', (cur) => ({ value: String(Number(cur ?? '0') + 1), result: undefined }));
    await Promise.all(Array.from({ length: 60 }, (_, i) => inc(i % 2 ? a : b)));
    expect(await a.get('n')).toBe('60');
  }, 60_000);

  test('update can leave a value alone, or delete it, and returns its result', async () => {
    const [a] = pair(kind, 'upd');
    await a.set('u', 'x');
    expect(await a.update('u', (cur) => ({ result: cur }))).toBe('x');
    expect(await a.get('u')).toBe('x');
    expect(await a.update('u', () => ({ value: null, result: 'gone' }))).toBe('gone');
    expect(await a.get('u')).toBeUndefined();
  });

  test('withLock excludes: two holders of one lock never overlap', async () => {
    const [a, b] = pair(kind, 'locks');
    let inside = 0;
    let most = 0;
    const work = (s: StateStore) =>
      s.withLock('L', async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 15));
        inside--;
      });
    await Promise.all([work(a), work(b), work(a), work(b)]);
    expect(most).toBe(1);
  });
});

describe('Redis', () => {
  test('every value is sealed: the database holds no plaintext, and the key names are the only thing readable', async () => {
    const s = redisStore();
    const token = 'eyJ.secret-access-token-value.sig';
    await s.set('token-abc', JSON.stringify({ access_token: token }));
    const raw = new Redis(redis.url);
    try {
      const keys = await raw.keys(`${REDIS_PREFIX}*`);
      expect(keys).toContain(`${REDIS_PREFIX}token-abc`);
      const dump = (await Promise.all(keys.map((k) => raw.get(k)))).join('\n');
      expect(dump).not.toContain(token);
      expect(dump).not.toContain('access_token');
      // A value moved to another key does not open there (the key name is authenticated).
      await raw.set(`${REDIS_PREFIX}token-xyz`, (await raw.get(`${REDIS_PREFIX}token-abc`))!);
    } finally {
      raw.disconnect();
    }
    await expect(s.get('token-xyz')).rejects.toThrow(StateError);
    expect(await s.get('token-abc')).toContain(token);
  });

  test('a process with another OKTA_STATE_KEY cannot read the values, and says why', async () => {
    await redisStore().set('dpop-key', '{"d":"private"}');
    const other = redisStore('b'.repeat(64));
    const err = await other.get('dpop-key').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as Error).message).toMatch(/cannot decrypt dpop-key .*another OKTA_STATE_KEY/);
  });

  test('instances never mix: the same key in two namespaces holds two values', async () => {
    const base = redisStore();
    const acme = namespacedStore(base, 'acme');
    const beta = namespacedStore(base, 'beta');
    await acme.set('fetch-1', 'acme cursor');
    await beta.set('fetch-1', 'beta cursor');
    expect(await acme.get('fetch-1')).toBe('acme cursor');
    expect(await beta.get('fetch-1')).toBe('beta cursor');
    expect(await base.get('fetch-1')).toBeUndefined();
  });

  test('an unreachable server: a StateError naming the URL without its password, no crash', async () => {
    const s = redisStore(KEY, 'redis://:hunter2-secret@127.0.0.1:1');
    const err = (await s.get('k').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1 \(OKTA_STATE_URL\).*refused/);
    expect(err.message).not.toContain('hunter2');
  });

  test('a server that needs a password, and a wrong password: each says what to do, neither shows the password', async () => {
    const locked = await startRedis({ password: 'right-pass-123' });
    try {
      const none = redisStore(KEY, `redis://127.0.0.1:${locked.port}`);
      const e1 = (await none.get('k').catch((e: unknown) => e)) as Error;
      expect(e1).toBeInstanceOf(StateError);
      expect(e1.message).toMatch(/Redis needs a password: put it in OKTA_STATE_URL/);
      const wrong = redisStore(KEY, `redis://:wrong-pass-456@127.0.0.1:${locked.port}`);
      const e2 = (await wrong.set('k', 'v').catch((e: unknown) => e)) as Error;
      expect(e2.message).toMatch(/refused the user name or password/);
      expect(e2.message).not.toContain('wrong-pass-456');
      const right = redisStore(KEY, locked.url);
      await right.set('k', 'v');
      expect(await right.get('k')).toBe('v');
    } finally {
      await locked.close();
    }
  }, 30_000);

  test('a lost connection fails the call at once with a StateError; the next call after the restart works', async () => {
    const s = redisStore();
    await s.set('k', 'before');
    await redis.stop();
    const err = (await s.get('k').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(/lost|refused/);
    await redis.start();
    let value: string | undefined;
    for (let i = 0; i < 50 && value === undefined; i++) {
      value = await s.get('k').catch(() => undefined);
      if (value === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(value).toBe('before'); // the append-only file kept it
  }, 30_000);

  test('bad settings: a wrong scheme, a path that is not a database, a missing or malformed key', async () => {
    const env = (e: Record<string, string>) => openStateStore(e);
    await expect(env({ OKTA_STATE_URL: 'http://127.0.0.1:6379', OKTA_STATE_KEY: KEY })).rejects.toThrow(/must start with redis:\/\/ or rediss:\/\//);
    await expect(env({ OKTA_STATE_URL: 'redis://127.0.0.1:6379/x', OKTA_STATE_KEY: KEY })).rejects.toThrow(/database number/);
    await expect(env({ OKTA_STATE_URL: 'redis://127.0.0.1:6379' })).rejects.toThrow(/needs OKTA_STATE_KEY/);
    const bad = await env({ OKTA_STATE_URL: 'redis://127.0.0.1:6379', OKTA_STATE_KEY: 'not-a-key-at-all' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).not.toContain('not-a-key-at-all');
    const keyFile = path.join(dir, 'state.key');
    writeFileSync(keyFile, KEY, { mode: 0o644 });
    await expect(env({ OKTA_STATE_URL: 'redis://127.0.0.1:6379', OKTA_STATE_KEY_FILE: keyFile })).rejects.toThrow(/readable by group or others/);
    writeFileSync(path.join(dir, 'ok.key'), Buffer.alloc(32, 7).toString('base64'), { mode: 0o600 });
    const s = await env({ OKTA_STATE_URL: redis.url, OKTA_STATE_KEY_FILE: path.join(dir, 'ok.key') });
    opened.push(s);
    await s.set('x', 'y');
    expect(await s.get('x')).toBe('y');
  });
});
