/** okta-soar listing users through its library API: one `runCommand('okta-list-users', {limit: N})`. */
import { runCommand } from '../../entry/index.js';
import { emit, fail, loadHttpLibrary, need } from './common.js';

async function main(): Promise<void> {
  const params = { url: need('OKTA_URL'), apitoken: need('OKTA_API_TOKEN') };
  const n = Number(need('BENCH_N'));
  loadHttpLibrary();
  const t0 = performance.now();
  const [e] = await runCommand('okta-list-users', { limit: n }, params);
  if (!e || e.Type !== 1) throw new Error(`okta-list-users failed: ${String(e?.HumanReadable ?? e?.Contents)}`);
  emit({ count: Array.isArray(e.Contents) ? e.Contents.length : 0, ms: performance.now() - t0 });
}

main().catch(fail);
