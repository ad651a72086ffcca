/**
 * The official SDK reading the System Log as its README shows: `listLogEvents` and `for await`.
 * A polling query always has a next link, so the Collection never ends on its own: at the end of
 * the log it yields null; the loop stops there or at BENCH_N events, whichever comes first.
 */
import { Client } from '@okta/okta-sdk-nodejs';

async function main(): Promise<void> {
  const client = new Client({ orgUrl: process.env.OKTA_URL!, token: process.env.OKTA_API_TOKEN! });
  const n = Number(process.env.BENCH_N);
  const t0 = performance.now();
  let count = 0;
  const events = await client.systemLogApi.listLogEvents({ since: process.env.BENCH_SINCE!, limit: 1000 });
  for await (const e of events) {
    if (!e) break;
    if (++count >= n) break;
  }
  process.stdout.write(JSON.stringify({ count, ms: performance.now() - t0 }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`sdk-logs: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
