/**
 * A real redis-server (Debian's package) for tests: on a free loopback port, in a temporary
 * directory, with its append-only file on (so a restart keeps the data, as a deployment that
 * follows docs/deploy.md does). `scripts/test.mjs` installs the package when it is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  /** SIGKILL-free restart on the same port and data (SIGTERM, then start again). */
  restart(opts?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * redis-server on the real clock: under libfaketime (CI's second pass) it hangs at start
 * (recursive clock_gettime). Its clock only times TTLs, which are relative.
 */
function realClockEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'LD_PRELOAD' && !k.startsWith('FAKETIME')));
}

export function redisServerBinary(): string {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8', env: realClockEnv() });
  if (r.status !== 0) throw new Error('redis-server is not installed: apt-get install -y redis-server (npm test installs it when run as root)');
  return 'redis-server';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(opts: { password?: string } = {}): Promise<RedisServer> {
  const bin = redisServerBinary();
  const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no', '--protected-mode', 'yes'];
  if (opts.password) args.push('--requirepass', opts.password);
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: realClockEnv() });
      child = c;
      let out = '';
      const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out.slice(-500)}`)), 10_000);
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(t);
          resolve();
        }
      });
      c.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`));
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return resolve();
      c.removeAllListeners('exit');
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  await start();
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    start,
    stop,
    restart: async ({ downMs = 0 } = {}) => {
      await stop();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
