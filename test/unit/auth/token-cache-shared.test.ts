/**
 * The token cache shared through a FileStore (one temp directory, several store instances as
 * separate processes would have): one mint between them, cross-process single-flight through
 * the store's lock, takeover of a lock whose holder died.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../../integration/base/clock.js';
import { FileStore, MemoryStore, type StateStore } from '../../../integration/state/store.js';
import { createOAuthAuth } from '../../../integration/okta/auth/oauth.js';
import { mintLockName, tokenCacheKey } from '../../../integration/okta/auth/token-cache.js';
import type { SandboxOAuthApp } from '../../../sandbox/oauth-types.js';
import { CLIENT_ID, ORIGIN, SCOPES, callApi, makeKey, sandboxHarness, type Harness, type TestKey } from './helpers.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const USERS = `${ORIGIN}/api/v1/users`;
const ID = { origin: ORIGIN, clientId: CLIENT_ID, scopes: SCOPES };

let key: TestKey;
let dir: string;
let clock: ManualClock;

beforeAll(async () => {
  key = await makeKey('EC');
});
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-soar-tokens-'));
  clock = new ManualClock(T0);
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function harness(requireDpop: boolean): Harness {
  const app: SandboxOAuthApp = { clientId: CLIENT_ID, publicJwks: [key.publicJwk], grantedScopes: SCOPES, requireDpop };
  return sandboxHarness({ now: () => clock.now(), apps: [app] });
}

/** A provider as one CLI process would build it: its own store instance on the shared directory. */
function processLike(h: Harness, state: StateStore = new FileStore(dir)) {
  return createOAuthAuth({ origin: ORIGIN, clientId: CLIENT_ID, privateKey: key.pkcs8, keyId: key.kid, scopes: SCOPES, dpop: 'auto', transport: h.transport, state, clock });
}

describe.each([
  ['Bearer', false, 1],
  ['DPoP (dpop=auto discovers it)', true, 3],
])('%s', (_name, requireDpop, tokenRequestsForFirstMint) => {
  it('three processes in a row mint one token between them', async () => {
    const h = harness(requireDpop);
    for (let i = 0; i < 3; i++) {
      const res = await callApi(processLike(h), h.transport, 'GET', USERS);
      expect(res.status).toBe(200);
    }
    expect(h.server.stats.tokensMinted).toBe(1);
    expect(h.server.stats.tokenRequests).toBe(tokenRequestsForFirstMint);
    const file = path.join(dir, tokenCacheKey(ID, requireDpop));
    const cached = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(cached.token_type).toBe(requireDpop ? 'DPoP' : 'Bearer');
    if (process.platform !== 'win32') expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('five processes starting together mint one token (cross-process single-flight)', async () => {
    const h = harness(requireDpop);
    const results = await Promise.all(Array.from({ length: 5 }, () => callApi(processLike(h), h.transport, 'GET', USERS)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(h.server.stats.tokensMinted).toBe(1);
  });
});

describe('the mint lock', () => {
  it('a waiter re-reads the cache after taking the lock and uses what the holder minted', async () => {
    const h = harness(false);
    const holder = new FileStore(dir);
    const release = await holder.tryLock(mintLockName(ID));
    expect(release).toBeDefined();

    const waiter = processLike(h);
    let done = false;
    const pending = waiter.authorize('GET', USERS).then((hd) => {
      done = true;
      return hd;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);

    // The holder mints (here: through a provider on a private store) and writes the shared cache.
    const scratch = new MemoryStore();
    const minted = await processLike(h, scratch).authorize('GET', USERS);
    const entry = await scratch.get(tokenCacheKey(ID, false));
    await holder.set(tokenCacheKey(ID, false), entry!);
    await release!();

    expect(await pending).toEqual(minted);
    expect(h.server.stats.tokensMinted).toBe(1);
  });

  it('a lock whose holder died (stale lock directory) is taken over', async () => {
    const h = harness(false);
    const lockDir = path.join(dir, `${mintLockName(ID)}.lock-target.lock`);
    await fs.writeFile(path.join(dir, `${mintLockName(ID)}.lock-target`), '');
    await fs.mkdir(lockDir);
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lockDir, old, old);

    const started = Date.now();
    const res = await callApi(processLike(h), h.transport, 'GET', USERS);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(h.server.stats.tokensMinted).toBe(1);
  });

  it('when the lock cannot be had within the wait (ELOCKED), it mints without it and says so', async () => {
    const h = harness(false);
    const inner = new MemoryStore();
    const jammed: StateStore = {
      location: 'jammed',
      scope: 'process',
      get: (k) => inner.get(k),
      update: (k, fn) => inner.update(k, fn),
      set: (k, v) => inner.set(k, v),
      delete: (k) => inner.delete(k),
      withLock: async (name, fn) => {
        if (name.startsWith('mint-')) throw Object.assign(new Error('Lock file is already being held'), { code: 'ELOCKED' });
        return inner.withLock(name, fn);
      },
    };
    const warnings: string[] = [];
    const auth = createOAuthAuth({ origin: ORIGIN, clientId: CLIENT_ID, privateKey: key.pkcs8, keyId: key.kid, scopes: SCOPES, transport: h.transport, state: jammed, clock, warn: (w) => warnings.push(w) });
    expect((await callApi(auth, h.transport, 'GET', USERS)).status).toBe(200);
    expect(warnings).toEqual([expect.stringContaining('minting without waiting')]);
  });

  it('a damaged cache file is a miss, not a crash', async () => {
    const h = harness(false);
    await fs.writeFile(path.join(dir, tokenCacheKey(ID, false)), '{"access_token":', { mode: 0o600 });
    expect((await callApi(processLike(h), h.transport, 'GET', USERS)).status).toBe(200);
    expect(h.server.stats.tokensMinted).toBe(1);
  });
});
