/**
 * The ceiling of the set-up: the least a client can do to read the System Log. Plain node:http
 * with keep-alive, follows the `next` link of each page, reads and drops the bytes, parses
 * nothing. Pages are full (limit 1000), so it stops after ceil(N / 1000) pages or on an empty one.
 */
import http from 'node:http';
import { emit, fail, need } from './common.js';

const agent = new http.Agent({ keepAlive: true });

function get(url: string, token: string): Promise<{ bytes: number; next?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { Authorization: `SSWS ${token}`, Accept: 'application/json' } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        const link = String(res.headers.link ?? '');
        const m = /<([^>]+)>\s*;\s*rel="next"/.exec(link);
        resolve({ bytes, next: m?.[1] });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const origin = need('OKTA_URL');
  const token = need('OKTA_API_TOKEN');
  const n = Number(need('BENCH_N'));
  const t0 = performance.now();
  let url: string | undefined = `${origin}/api/v1/logs?since=${encodeURIComponent(need('BENCH_SINCE'))}&limit=1000`;
  let pages = 0;
  let bytes = 0;
  while (url && pages * 1000 < n) {
    const r = await get(url, token);
    if (r.bytes <= 2) break;
    pages++;
    bytes += r.bytes;
    url = r.next;
  }
  emit({ count: Math.min(n, pages * 1000), ms: performance.now() - t0, extra: { pages, bytes } });
  agent.destroy();
}

main().catch(fail);
