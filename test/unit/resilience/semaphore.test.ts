/** Bounded concurrency: the Semaphore under the client and mapBounded under bulk commands. */
import { mapBounded, Semaphore } from '../../../integration/okta/semaphore.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('Semaphore', () => {
  test.each([0, 1, 2, 3, 4, 5, 6, 7, 8])('a freed slot goes to the first waiter; a newcomer %i microtasks after the release cannot slip past the limit', async (hops) => {
    const sem = new Semaphore(1);
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    let releaseFirst!: () => void;
    const task = (name: string, gate?: Promise<void>) =>
      sem.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(name);
        await (gate ?? tick());
        running--;
      });
    const first = task('first', new Promise<void>((r) => (releaseFirst = r)));
    const second = task('second');
    await tick();
    releaseFirst();
    let p: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < hops; i++) p = p.then(() => undefined);
    const third = p.then(() => task('third'));
    await Promise.all([first, second, third]);
    expect(peak).toBe(1);
    expect(order).toEqual(['first', 'second', 'third']);
  });

  test('a task that throws frees its slot', async () => {
    const sem = new Semaphore(1);
    await expect(sem.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sem.run(async () => 'ok')).resolves.toBe('ok');
    expect(sem.running).toBe(0);
  });

  test('size must be at least 1', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});

describe('mapBounded', () => {
  test('keeps order and never runs more than the bound', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });

  test('after a failure no new item starts; the first error is thrown once the others are done', async () => {
    const started: number[] = [];
    const err = await mapBounded([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await tick();
      if (n === 1) throw new Error('item 1 failed');
      return n;
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('item 1 failed');
    expect(started.length).toBeLessThan(6);
  });

  test('no items: no calls', async () => {
    await expect(mapBounded([], 4, async () => 1)).resolves.toEqual([]);
  });
});
