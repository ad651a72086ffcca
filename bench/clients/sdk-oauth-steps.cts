/**
 * Token mints of SDK playbook steps under OAuth: each step is a script that creates its own
 * Client (the SDK keeps tokens in that Client's memory only), so BENCH_N steps are simulated as
 * BENCH_N Clients, one after another in this one process, each calling getUser once. The token
 * behaviour is that of BENCH_N separate processes, without paying the SDK's start-up BENCH_N times.
 */
import { readFileSync } from 'node:fs';
import { Client } from '@okta/okta-sdk-nodejs';

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_N);
  const privateKey = readFileSync(process.env.OKTA_PRIVATE_KEY_FILE!, 'utf8');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const client = new Client({
      orgUrl: process.env.OKTA_URL!,
      authorizationMode: 'PrivateKey',
      clientId: process.env.OKTA_CLIENT_ID!,
      keyId: process.env.OKTA_KEY_ID!,
      scopes: process.env.OKTA_SCOPES!.split(' '),
      privateKey,
    });
    await client.userApi.getUser({ userId: process.argv[2]! });
  }
  process.stdout.write(JSON.stringify({ count: n, ms: performance.now() - t0 }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`sdk-oauth-steps: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
