/**
 * okta-soar's fetch-incidents draining a backlog through the library: `fetchIncidents(params,
 * lastRun)` cycle after cycle (max_fetch each), feeding each lastRun to the next, until a cycle
 * says it caught up (or, with BENCH_STOP_AFTER, once that many were fetched: the same drain over
 * a smaller part of the backlog, to show memory does not grow with it). Incidents are counted and
 * dropped, as a SOAR would hand them on.
 */
import { fetchIncidents } from '../../integration/faces/library.js';
import { emit, fail, need } from './common.js';

async function main(): Promise<void> {
  const params = {
    url: need('OKTA_URL'),
    apitoken: need('OKTA_API_TOKEN'),
    fetch_query_filter: need('BENCH_FILTER'),
    fetch_rules: need('BENCH_RULES'),
    first_fetch: need('BENCH_FIRST_FETCH'),
    max_fetch: Number(need('BENCH_MAX_FETCH')),
  };
  const t0 = performance.now();
  let lastRun: unknown = undefined;
  let count = 0;
  let cycles = 0;
  const stopAfter = Number(process.env.BENCH_STOP_AFTER ?? Infinity);
  for (;;) {
    const r = await fetchIncidents(params, lastRun);
    cycles++;
    count += r.incidents.length;
    lastRun = r.lastRun;
    if (r.stop === 'caught_up' || count >= stopAfter) break;
    if (r.stop !== 'max_fetch') throw new Error(`fetch cycle ${cycles} stopped: ${r.stop} ${r.warnings.join('; ')}`);
  }
  emit({ count, ms: performance.now() - t0, extra: { cycles } });
}

main().catch(fail);
