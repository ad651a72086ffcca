/**
 * Okta's rate limits (reference/okta-api.md §2.6): 429s with X-Rate-Limit-Reset, with and
 * without a Date header and with the server's clock far from ours; concurrency 429s (0/0);
 * max_wait_seconds; and the budget that waits before a request instead of taking the 429.
 * Time is a ManualClock: every wait is recorded in `clock.slept` and costs nothing.
 */
import nock from 'nock';
import { dispatch } from '../../../entry/index.js';
import { ManualClock } from '../../../integration/base/clock.js';
import { RateLimitError } from '../../../integration/base/errors.js';
import { bucketKey, RateBudget, readRateHeaders } from '../../../integration/okta/rate-budget.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { fixture, makeUsers, sswsParams } from '../../helpers/fixtures.js';
import { closeClients, E0000047, makeClient, ORG, rateHeaders, SimulatedBucket, T0, T0S } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  closeClients();
});
afterAll(() => nock.enableNetConnect());

const getUser = { method: 'GET' as const, path: '/api/v1/users/{id}', pathParams: { id: 'alice@example.com' } };
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('429 with X-Rate-Limit-Reset', () => {
  test('without a Date header: waits until the reset by the local clock (plus a margin), then succeeds', async () => {
    const { client, clock } = makeClient();
    const scope = nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(429, E0000047, rateHeaders(600, 0, T0S + 30))
      .get('/api/v1/users/alice@example.com')
      .reply(200, { id: '00u1' }, rateHeaders(600, 599, T0S + 90));
    const res = await client.request(getUser);
    scope.done();
    expect(res.data).toEqual({ id: '00u1' });
    expect(client.requestCount).toBe(2);
    expect(clock.slept).toHaveLength(1);
    expect(clock.slept[0]).toBeGreaterThanOrEqual(30_000);
    expect(clock.slept[0]).toBeLessThanOrEqual(31_000);
  });

  test('the retry names the 429 it retries (X-Okta-Retry-For / X-Okta-Retry-Count)', async () => {
    const { client } = makeClient();
    const first = rateHeaders(600, 0, T0S + 5);
    const scope = nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(429, E0000047, first)
      .get('/api/v1/users/alice@example.com')
      .matchHeader('x-okta-retry-for', first['X-Okta-Request-Id']!)
      .matchHeader('x-okta-retry-count', '1')
      .reply(200, {});
    await client.request(getUser);
    scope.done();
  });

  test('server clock an hour ahead: the wait is measured against the Date header (30 s), not the local clock (3630 s)', async () => {
    const { client, clock } = makeClient();
    const serverNow = T0 + 3_600_000;
    nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(429, E0000047, rateHeaders(600, 0, serverNow / 1000 + 30, serverNow))
      .get('/api/v1/users/alice@example.com')
      .reply(200, {});
    await client.request(getUser);
    expect(clock.slept[0]).toBeGreaterThanOrEqual(30_000);
    expect(clock.slept[0]).toBeLessThanOrEqual(31_000);
  });

  test('server clock an hour behind: still 30 s (by the local clock the reset is long past, which would retry at once)', async () => {
    const { client, clock } = makeClient();
    const serverNow = T0 - 3_600_000;
    nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(429, E0000047, rateHeaders(600, 0, serverNow / 1000 + 30, serverNow))
      .get('/api/v1/users/alice@example.com')
      .reply(200, {});
    await client.request(getUser);
    expect(clock.slept[0]).toBeGreaterThanOrEqual(30_000);
    expect(clock.slept[0]).toBeLessThanOrEqual(31_000);
  });

  test('a 429 without Date uses the offset learned from an earlier answer that had one', async () => {
    const { client, clock } = makeClient();
    const serverNow = T0 + 7_200_000;
    nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(200, {}, rateHeaders(600, 10, serverNow / 1000 + 50, serverNow))
      .get('/api/v1/users/alice@example.com')
      .reply(429, E0000047, rateHeaders(600, 0, serverNow / 1000 + 20))
      .get('/api/v1/users/alice@example.com')
      .reply(200, {});
    await client.request(getUser);
    await client.request(getUser);
    expect(clock.slept).toHaveLength(1);
    expect(clock.slept[0]).toBeGreaterThanOrEqual(20_000);
    expect(clock.slept[0]).toBeLessThanOrEqual(21_000);
  });

  test('a sequence of 429s over several windows: each waits for its own reset; the command succeeds', async () => {
    const { client, clock } = makeClient();
    const s = nock(ORG);
    for (let i = 1; i <= 3; i++) s.get('/api/v1/users/alice@example.com').reply(429, E0000047, rateHeaders(600, 0, T0S + 60 * i));
    s.get('/api/v1/users/alice@example.com').reply(200, { ok: true });
    const res = await client.request(getUser);
    expect(res.data).toEqual({ ok: true });
    expect(client.requestCount).toBe(4);
    expect(clock.now() - T0).toBeGreaterThanOrEqual(180_000);
    expect(clock.now() - T0).toBeLessThan(190_000);
  });

  test('when Okta keeps answering 429 although the reset has passed, the waits grow instead of hammering', async () => {
    const { client, clock } = makeClient();
    const s = nock(ORG);
    for (let i = 0; i < 4; i++) s.get('/api/v1/users/alice@example.com').reply(429, E0000047, rateHeaders(600, 0, T0S - 10));
    s.get('/api/v1/users/alice@example.com').reply(200, {});
    await client.request(getUser);
    expect(clock.slept).toHaveLength(4);
    for (let i = 1; i < 4; i++) expect(clock.slept[i]!).toBeGreaterThan(clock.slept[i - 1]!);
  });

  test('a POST that got a 429 is repeated: Okta did not act on it', async () => {
    const { client } = makeClient();
    const scope = nock(ORG)
      .post('/api/v1/users/00u1/lifecycle/suspend')
      .reply(429, E0000047, rateHeaders(600, 0, T0S + 3))
      .post('/api/v1/users/00u1/lifecycle/suspend')
      .reply(200, {});
    await client.request({ method: 'POST', path: '/api/v1/users/{id}/lifecycle/suspend', pathParams: { id: '00u1' } });
    scope.done();
  });
});

describe('concurrency 429 (limit and remaining 0)', () => {
  test('backs off briefly and exponentially, whatever Reset suggests', async () => {
    const { client, clock } = makeClient();
    const s = nock(ORG);
    for (let i = 0; i < 4; i++) s.get('/api/v1/users/alice@example.com').reply(429, E0000047, rateHeaders(0, 0, T0S + 60));
    s.get('/api/v1/users/alice@example.com').reply(200, {});
    await client.request(getUser);
    // jitter pinned to the middle: 3/4 of 0.5 s, 1 s, 2 s, 4 s
    expect(clock.slept).toEqual([375, 750, 1500, 3000]);
  });

  test('a concurrency 429 says nothing about the bucket: Okta.Metadata keeps the real bucket', async () => {
    const { client } = makeClient();
    nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(200, {}, rateHeaders(600, 400, T0S + 60))
      .get('/api/v1/users/alice@example.com')
      .reply(429, E0000047, rateHeaders(0, 0, T0S + 1))
      .get('/api/v1/users/alice@example.com')
      .reply(200, {}, rateHeaders(600, 399, T0S + 60));
    await client.request(getUser);
    await client.request(getUser);
    expect(client.rateLimit()).toEqual({ 'x-rate-limit-limit': 600, 'x-rate-limit-remaining': 399, 'x-rate-limit-reset': T0S + 60 });
  });

  test('past max_wait_seconds it gives up with a message saying what to do', async () => {
    const { client } = makeClient({ maxWaitMs: 2000 });
    const s = nock(ORG);
    for (let i = 0; i < 5; i++) s.get('/api/v1/users/alice@example.com').reply(429, E0000047, rateHeaders(0, 0, T0S + 1));
    const err = await client.request(getUser).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).message).toMatch(/concurrency limit .* 429 3 times .* max_wait_seconds \(2 s\)/);
  });
});

describe('max_wait_seconds: giving up says which bucket and how long', () => {
  const opts = () => ({ clock: new ManualClock(T0), state: new MemoryStore() });

  test('a 429 whose reset is beyond max_wait_seconds: an error entry naming the bucket, the reset time and the seconds left; no waiting', async () => {
    nock(ORG).get('/api/v1/users/alice@example.com').reply(429, E0000047, rateHeaders(1000, 0, T0S + 600));
    const o = opts();
    const { entries, exitCode } = await dispatch('okta-get-user', { username: 'alice@example.com' }, sswsParams({ max_wait_seconds: 60 }), o);
    expect(exitCode).toBe(1);
    expect(entries[0]!.Type).toBe(4);
    expect(entries[0]!.Contents).toBe(
      "okta-get-user: Okta's rate limit for GET /api/v1/users/{id} is spent until 2026-11-22T12:10:00.000Z, in 600 s: longer than max_wait_seconds (60 s) allows. " +
        'Run the command again after 2026-11-22T12:10:00.000Z, or raise max_wait_seconds.',
    );
    expect(o.clock.slept).toEqual([]);
  });

  test('the reset time is Okta\'s (from its Date), the seconds are real seconds from now', async () => {
    const serverNow = T0 + 3_600_000;
    nock(ORG).get('/api/v1/users/alice@example.com').reply(429, E0000047, rateHeaders(1000, 0, serverNow / 1000 + 400, serverNow));
    const { entries } = await dispatch('okta-get-user', { username: 'alice@example.com' }, sswsParams({ max_wait_seconds: 60 }), opts());
    expect(entries[0]!.Contents).toContain('is spent until 2026-11-22T13:06:40.000Z, in 400 s');
  });

  test('the budget refuses before sending when the bucket is spent for longer than max_wait_seconds', async () => {
    const users = makeUsers(300);
    const scope = nock(ORG)
      .get('/api/v1/users')
      .query({ limit: '200' })
      .reply(200, users.slice(0, 200), { ...rateHeaders(600, 0, T0S + 500), Link: `<${ORG}/api/v1/users?after=x&limit=200>; rel="next"` });
    const { entries, exitCode } = await dispatch('okta-list-users', { limit: '300' }, sswsParams({ max_wait_seconds: 120 }), opts());
    scope.done();
    expect(nock.pendingMocks()).toEqual([]);
    expect(exitCode).toBe(1);
    expect(entries.at(-1)!.Contents).toMatch(/rate limit for GET \/api\/v1\/users is spent until 2026-11-22T12:08:20.000Z, in 50\d s: longer than max_wait_seconds \(120 s\)/);
  });

  test('within max_wait_seconds the same command succeeds: nothing fails only because Okta said wait', async () => {
    nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(429, E0000047, rateHeaders(1000, 0, T0S + 250))
      .get('/api/v1/users/alice@example.com')
      .reply(200, fixture('users/get-user-alice.json'), rateHeaders(1000, 999, T0S + 310));
    const o = opts();
    const { entries, exitCode } = await dispatch('okta-get-user', { username: 'alice@example.com' }, sswsParams(), o);
    expect(exitCode).toBe(0);
    expect(entries[0]!.EntryContext!['Okta.Metadata(true)']).toEqual({ 'x-rate-limit-limit': 1000, 'x-rate-limit-remaining': 999, 'x-rate-limit-reset': T0S + 310 });
    expect(sum(o.clock.slept)).toBeGreaterThanOrEqual(250_000);
  });
});

describe('Okta.Metadata', () => {
  test('absent rate-limit headers are tolerated: no Okta.Metadata, no error', async () => {
    nock(ORG).get('/api/v1/users/alice@example.com').reply(200, fixture('users/get-user-alice.json'));
    const { entries, exitCode } = await dispatch('okta-get-user', { username: 'alice@example.com' }, sswsParams(), { clock: new ManualClock(T0), state: new MemoryStore() });
    expect(exitCode).toBe(0);
    expect(entries[0]!.EntryContext).not.toHaveProperty(['Okta.Metadata(true)']);
  });
});

describe('the budget waits before the request instead of taking a 429', () => {
  test('12 sequential requests through a 3-per-minute bucket: no 429, four windows, three in each', async () => {
    const { client, clock } = makeClient();
    const bucket = new SimulatedBucket(() => clock.now(), 3, 60_000);
    nock(ORG)
      .get('/api/v1/logs')
      .times(12)
      .reply(() => bucket.reply([]));
    for (let i = 0; i < 12; i++) await client.request({ method: 'GET', path: '/api/v1/logs' });
    expect(bucket.answered429).toBe(0);
    expect(bucket.perWindow()).toEqual([3, 3, 3, 3]);
    expect(clock.slept).toHaveLength(3);
  });

  test('max_api_capacity=50 halves usage: 2 of a 4-request window, still no 429', async () => {
    const { client, clock } = makeClient({ maxApiCapacity: 50 });
    const bucket = new SimulatedBucket(() => clock.now(), 4, 60_000);
    nock(ORG)
      .get('/api/v1/logs')
      .times(8)
      .reply(() => bucket.reply([]));
    for (let i = 0; i < 8; i++) await client.request({ method: 'GET', path: '/api/v1/logs' });
    expect(bucket.answered429).toBe(0);
    expect(bucket.perWindow()).toEqual([2, 2, 2, 2]);
  });

  test('concurrent requests count while in flight: 10 at once through a 3-per-minute bucket, no 429', async () => {
    const { client, clock } = makeClient({ maxConcurrency: 8 });
    const bucket = new SimulatedBucket(() => clock.now(), 3, 60_000);
    nock(ORG)
      .get('/api/v1/logs')
      .times(10)
      .delay(5)
      .reply(() => bucket.reply([]));
    await Promise.all(Array.from({ length: 10 }, () => client.request({ method: 'GET', path: '/api/v1/logs' })));
    expect(bucket.answered429).toBe(0);
    expect(bucket.log).toHaveLength(10);
  });

  test('the first request to an unknown bucket goes alone; the rest follow its answer', async () => {
    const { client } = makeClient({ maxConcurrency: 8 });
    let inflight = 0;
    const seen: number[] = [];
    nock(ORG)
      .get('/api/v1/groups')
      .times(6)
      .reply(async () => {
        inflight++;
        seen.push(inflight);
        await new Promise((r) => setTimeout(r, 20));
        inflight--;
        return [200, [], rateHeaders(100, 90, T0S + 60)];
      });
    await Promise.all(Array.from({ length: 6 }, () => client.request({ method: 'GET', path: '/api/v1/groups' })));
    expect(seen[0]).toBe(1);
    expect(Math.max(...seen)).toBeGreaterThan(1);
  });

  test('answers without rate-limit headers hold nothing back', async () => {
    const { client, clock } = makeClient();
    nock(ORG).get('/api/v1/groups').times(5).reply(200, []);
    await Promise.all(Array.from({ length: 5 }, () => client.request({ method: 'GET', path: '/api/v1/groups' })));
    expect(clock.slept).toEqual([]);
    expect(client.rateLimit()).toEqual({});
  });
});

describe('RateBudget', () => {
  /** Header names as the transport hands them over: lower case. */
  const wire = (...a: Parameters<typeof rateHeaders>) => Object.fromEntries(Object.entries(rateHeaders(...a)).map(([k, v]) => [k.toLowerCase(), v]));
  const clock = () => new ManualClock(T0);

  test('answers arriving out of order: an earlier window never overwrites a later one', async () => {
    const c = clock();
    const b = new RateBudget({ clock: c, random: () => 0 });
    const key = 'GET /api/v1/logs';
    const slot = await b.acquire(key, 0);
    await b.record(key, slot.ticket, wire(3, 2, T0S + 60));
    c.advance(61_000);
    // A new window's answer, then a straggler from the old window saying it was spent.
    await b.record(key, undefined, wire(3, 2, T0S + 121));
    await b.record(key, undefined, wire(3, 0, T0S + 60));
    expect(await b.waitFor(key)).toBe(0);
    expect(b.snapshot()['x-rate-limit-remaining']).toBe(2);
  });

  test('within a window the lowest remaining wins, whatever the order', async () => {
    const b = new RateBudget({ clock: clock() });
    const key = 'GET /api/v1/logs';
    await b.record(key, undefined, wire(3, 0, T0S + 60));
    await b.record(key, undefined, wire(3, 1, T0S + 60));
    expect(await b.waitFor(key)).toBe(60_000);
  });

  test('when a window ends, at most the share goes out until an answer reports the new window', async () => {
    const c = clock();
    const b = new RateBudget({ clock: c, random: () => 0 });
    const key = 'GET /api/v1/logs';
    const first = await b.acquire(key, 0);
    await b.record(key, first.ticket, wire(2, 0, T0S + 10));
    c.advance(10_000);
    const second = await b.acquire(key, 0);
    await b.acquire(key, 0);
    let third = false;
    const p = b.acquire(key, 60_000).then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false); // two in flight in a window nobody has reported yet: wait for an answer
    // The answer: the new window ends at T0S+20 with 1 left, and 1 is still in flight: the share is spent until then.
    await b.record(key, second.ticket, wire(2, 1, T0S + 20));
    await p;
    expect(c.now()).toBeGreaterThanOrEqual(T0 + 20_000);
  });

  test('Okta.Metadata is the most constrained bucket (lowest share left), not the lowest count', async () => {
    const b = new RateBudget({ clock: clock() });
    await b.record('GET /api/v1/users/{id}', undefined, wire(2000, 150, T0S + 60));
    await b.record('GET /api/v1/logs', undefined, wire(120, 100, T0S + 60));
    await b.record('GET /api/v1/groups', undefined, wire(500, 20, T0S + 60));
    expect(b.snapshot()).toEqual({ 'x-rate-limit-limit': 500, 'x-rate-limit-remaining': 20, 'x-rate-limit-reset': T0S + 60 });
  });

  test('absent or malformed headers are tolerated', async () => {
    const b = new RateBudget({ clock: clock() });
    await b.record('k', undefined, {});
    await b.record('k', undefined, { 'x-rate-limit-limit': 'abc', 'x-rate-limit-remaining': '' });
    expect(b.snapshot()).toEqual({});
    expect(await b.waitFor('k')).toBe(0);
    expect(readRateHeaders({ 'x-rate-limit-remaining': '5, 3', 'x-rate-limit-reset': '1700000000, 1700000060' })).toEqual({
      limit: undefined,
      remaining: 3,
      reset: 1700000000,
    });
  });

  test('bucket keys fold ids and keep words', () => {
    expect(bucketKey('GET', '/api/v1/users/00u1abc')).toBe('GET /api/v1/users/{id}');
    expect(bucketKey('GET', '/api/v1/users/alice@example.com/groups')).toBe('GET /api/v1/users/{id}/groups');
    expect(bucketKey('POST', '/api/v1/users/00u1/lifecycle/suspend')).toBe('POST /api/v1/users/{id}/lifecycle/suspend');
    expect(bucketKey('POST', '/api/v1/users/00u1/factors/ufs1/verify')).toBe('POST /api/v1/users/{id}/factors/{id}/verify');
    expect(bucketKey('GET', '/api/v1/users/me')).toBe('GET /api/v1/users/me');
    expect(bucketKey('GET', '/api/v1/principal-rate-limits')).toBe('GET /api/v1/principal-rate-limits');
    expect(bucketKey('GET', '/api/v1/logs')).toBe('GET /api/v1/logs');
  });
});
