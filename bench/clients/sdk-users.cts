/** The official SDK listing users: `listUsers({limit: 200})` and `for await`, up to BENCH_N users. */
import { Client } from '@okta/okta-sdk-nodejs';

async function main(): Promise<void> {
  const client = new Client({ orgUrl: process.env.OKTA_URL!, token: process.env.OKTA_API_TOKEN! });
  const n = Number(process.env.BENCH_N);
  const t0 = performance.now();
  let count = 0;
  const users = await client.userApi.listUsers({ limit: 200 });
  for await (const u of users) {
    if (!u) break;
    if (++count >= n) break;
  }
  process.stdout.write(JSON.stringify({ count, ms: performance.now() - t0 }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`sdk-users: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
