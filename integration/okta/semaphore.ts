/** Bounds how many tasks run at once. A finishing task hands its slot straight to the next in line. */
export class Semaphore {
  private active = 0;
  private queue: Array<() => void> = [];
  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`Semaphore size must be at least 1 (got ${max})`);
  }

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  private async take(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    // The slot is handed over by `give` without `active` ever dropping, so no newcomer can slip in between.
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private give(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.take();
    try {
      return await fn();
    } finally {
      this.give();
    }
  }
}

/**
 * Maps `items` through `fn` with at most `concurrency` in flight, keeping order. When one
 * call throws, no new item starts, the calls in flight are awaited, and the first error is thrown.
 */
export async function mapBounded<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length)) }, worker));
  if (failed) throw failed.error;
  return out;
}
