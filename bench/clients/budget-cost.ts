/**
 * The cost of the shared rate budget per request: `acquire` (reserve) and `record` (Okta's
 * headers after the answer) of the client's RateBudget, BENCH_N times, on a bucket with room to
 * spare (no wait), through the store BENCH_STORE names: memory (one process), files (a state
 * directory) or redis (OKTA_STATE_URL). No HTTP: what this measures is what a request pays.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../integration/base/clock.js';
import { RateBudget } from '../../integration/okta/rate-budget.js';
import { openStateStore } from '../../integration/state/open-store.js';
import { MemoryStore, type StateStore } from '../../integration/state/store.js';
import { emit, fail, need } from './common.js';

async function main(): Promise<void> {
  const kind = need('BENCH_STORE');
  const n = Number(need('BENCH_N'));
  const store: StateStore =
    kind === 'memory' ? new MemoryStore() : await openStateStore(kind === 'files' ? { OKTA_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'okta-soar-budget-')) } : process.env);
  const budget = new RateBudget({ clock: systemClock, state: store, origin: 'https://bench.okta.com' });
  const key = 'GET /api/v1/logs';
  const reset = () => String(Math.floor(Date.now() / 1000) + 60);
  const headers = () => ({ 'x-rate-limit-limit': '1000000', 'x-rate-limit-remaining': '999999', 'x-rate-limit-reset': reset() });
  // Warm-up: the first answer sizes the bucket (and opens the connection, the directory).
  await budget.record(key, (await budget.acquire(key, 1000)).ticket, headers());
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const slot = await budget.acquire(key, 1000);
    await budget.record(key, slot.ticket, headers());
  }
  const ms = performance.now() - t0;
  await store.close?.();
  emit({ count: n, ms, extra: { msPerRequest: ms / n } });
}

main().catch(fail);
