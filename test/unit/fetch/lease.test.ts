/**
 * Fetch leases (contract §8): one holder at a time, take-over only after the lease runs out,
 * and fencing: a fetcher that paused past its lease can never commit over the one that took over.
 */
import { ManualClock } from '../../../integration/base/clock.js';
import { FetchLease, fetchStateKeys, LeaseLostError } from '../../../integration/fetch/lease.js';
import { MemoryStore } from '../../../integration/state/store.js';

const ORG = 'https://example.okta.com';
const keys = fetchStateKeys(ORG);
const setup = () => {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const lease = (holder: string) => new FetchLease(store, keys, { clock, ttlMs: 60_000, holder });
  return { clock, store, lease };
};

test('a held lease refuses a second fetcher until it runs out; then the second takes it with a higher fence', async () => {
  const { clock, lease } = setup();
  const a = lease('a');
  const b = lease('b');
  const ta = await a.take();
  expect(ta).toMatchObject({ ok: true, fence: 1 });
  const tb = await b.take();
  expect(tb).toMatchObject({ ok: false, heldBy: { holder: 'a', fence: 1 } });
  clock.advance(59_000);
  expect((await b.take()).ok).toBe(false);
  clock.advance(1_000);
  expect(await b.take()).toMatchObject({ ok: true, fence: 2, tookOver: { holder: 'a' } });
});

test('renewal keeps the lease: a renewed holder is never taken over', async () => {
  const { clock, lease } = setup();
  const a = lease('a');
  const b = lease('b');
  await a.take();
  for (let i = 0; i < 5; i++) {
    clock.advance(20_000);
    expect(await a.renew()).toBe(true);
    expect((await b.take()).ok).toBe(false);
  }
});

test('a stale fetcher cannot commit over the one that took over; the newer commit stands', async () => {
  const { clock, lease } = setup();
  const a = lease('a');
  const b = lease('b');
  await a.take();
  await a.commit({ cursor: 'one' });
  clock.advance(61_000); // a pauses past its lease
  expect(await b.take()).toMatchObject({ ok: true, fence: 2, lastRun: { cursor: 'one' } });
  await b.commit({ cursor: 'two' });
  const err = await a.commit({ cursor: 'stale' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(LeaseLostError);
  expect((err as Error).message).toMatch(/fence 1 is stale; now 2/);
  expect(await b.lastRun()).toEqual({ cursor: 'two' });
  expect(await a.renew()).toBe(false);
});

test('a lease that ran out but was taken by nobody still commits (no newer fetcher exists)', async () => {
  const { clock, lease } = setup();
  const a = lease('a');
  await a.take();
  clock.advance(120_000);
  await a.commit({ cursor: 'late' });
  expect(await a.lastRun()).toEqual({ cursor: 'late' });
});

test('release hands the lease over at once; the fence never goes back', async () => {
  const { lease } = setup();
  const a = lease('a');
  await a.take();
  await a.commit({ cursor: 'x' });
  await a.release();
  expect(await lease('b').take()).toMatchObject({ ok: true, fence: 2, lastRun: { cursor: 'x' } });
});

test('a lastRun written by an earlier version (its own key) is continued', async () => {
  const { store, lease } = setup();
  await store.set(keys.legacyLastRun, JSON.stringify({ cursor: 'old' }));
  expect(await lease('a').take()).toMatchObject({ ok: true, lastRun: { cursor: 'old' } });
});
