/**
 * The benchmark's sandbox org, in its own process (forked with an IPC channel by run.ts), so the
 * server's CPU is never billed to the clients being measured. Options come as one JSON argument;
 * it answers `{type:'ready', facts}` once listening, `{type:'stats'}` with a copy of the
 * sandbox's counters and its own CPU time, and `{type:'close'}` by closing and exiting.
 */
import { startSandbox, type SandboxOptions } from '../sandbox/index.js';

export interface ServerFacts {
  url: string;
  apiToken: string;
  clientId: string;
  keyId: string;
  privateKeyFile: string;
  privateKeyPem: string;
  /** The id of alice@example.com (the SDK's DPoP proofs cannot address a user by a login with "@"). */
  aliceId: string;
  /** Time to seed the org and start listening. */
  startMs: number;
  rssMb: number;
}

export interface ServerStats {
  requests: number;
  byRoute: Record<string, number>;
  status429: number;
  tokensMinted: number;
  tokenRequests: number;
  /** The server process's CPU time so far (user + system), ms. */
  cpuMs: number;
}

export type ToServer = { type: 'stats'; id: number } | { type: 'close' };
export type FromServer = { type: 'ready'; facts: ServerFacts } | { type: 'stats'; id: number; stats: ServerStats } | { type: 'error'; message: string };

async function main(): Promise<void> {
  const send = (m: FromServer) => process.send?.(m);
  const opts = JSON.parse(process.argv[2] ?? '{}') as SandboxOptions;
  const t0 = performance.now();
  const sb = await startSandbox({ ...opts, quiet: true });
  const facts: ServerFacts = {
    url: sb.url,
    apiToken: sb.apiToken,
    clientId: sb.clientId,
    keyId: sb.keyId,
    privateKeyFile: sb.privateKeyFile,
    privateKeyPem: sb.privateKeyPem,
    aliceId: [...sb.org.users.values()].find((u) => u.profile.login === 'alice@example.com')?.id ?? '',
    startMs: Math.round(performance.now() - t0),
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
  };
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await sb.close();
    process.exit(0);
  };
  process.on('message', (m: ToServer) => {
    if (m.type === 'close') void close();
    else if (m.type === 'stats') {
      const s = sb.stats;
      const cpu = process.cpuUsage();
      send({
        type: 'stats',
        id: m.id,
        stats: {
          requests: s.requests,
          byRoute: { ...s.byRoute },
          status429: s.status429,
          tokensMinted: s.oauth.tokensMinted,
          tokenRequests: s.oauth.tokenRequests,
          cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        },
      });
    }
  });
  // The parent went away: never linger.
  process.on('disconnect', () => void close());
  send({ type: 'ready', facts });
}

main().catch((e: unknown) => {
  process.send?.({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies FromServer);
  process.exit(1);
});
