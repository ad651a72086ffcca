/**
 * The transport decodes bodies itself (bodyText: Latin-1 for ASCII, else UTF-8): what comes back must
 * be the body Okta sent, whatever its size, encoding or compression, and a body cut half-way is a
 * network failure, never a shorter answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createTransport } from '../../integration/okta/transport.js';
import { NetworkError } from '../../integration/base/errors.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let server: http.Server;
let base = '';
let handler: Handler = (_req, res) => res.end();
const transport = createTransport({ proxy: false, insecure: false });

beforeAll(async () => {
  server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  transport.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const get = (path = '/x') => transport({ method: 'GET', url: base + path, headers: { Accept: 'application/json' }, timeoutMs: 10_000 });

/** A JSON list of `n` events, about 1.8 kB each. */
function events(n: number, tag: string): string {
  return JSON.stringify(Array.from({ length: n }, (_, i) => ({ uuid: `${tag}-${i}`, displayMessage: 'x'.repeat(1800) })));
}

describe('bodies read by the transport', () => {
  test('lists of every size come back whole, one after another, each its own text', async () => {
    // 10 kB, 1.8 MB (a System Log page), 5.4 MB (more than any kept buffer holds at first), then small again.
    const sizes = [5, 1000, 3000, 2, 1000];
    const texts = sizes.map((n, i) => events(n, `p${i}`));
    let k = 0;
    handler = (_req, res) => {
      const body = texts[k++]!;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    const got: string[] = [];
    for (let i = 0; i < sizes.length; i++) got.push((await get()).body);
    // A text handed back earlier is not changed by the bodies read after it.
    expect(got).toEqual(texts);
  });

  test('a body without a length (chunked) and a gzip-compressed body', async () => {
    const text = events(1500, 'chunked');
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      for (let i = 0; i < text.length; i += 100_000) res.write(text.slice(i, i + 100_000));
      res.end();
    };
    expect((await get()).body).toBe(text);
    handler = (_req, res) => {
      const z = gzipSync(text);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': z.length });
      res.end(z);
    };
    expect((await get()).body).toBe(text);
  });

  test('UTF-8 text is decoded, a leading byte-order mark dropped', async () => {
    const text = JSON.stringify([{ displayName: 'Zoë Ångström 山田 😀', n: 1 }]);
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
    };
    expect((await get()).body).toBe(text);
  });

  test('a body cut half-way is a network failure, and the next answer is read whole', async () => {
    const text = events(1000, 'cut');
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.write(text.slice(0, 700_000), () => res.socket?.destroy());
    };
    const err = await get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/x failed/);
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    expect((await get()).body).toBe(text);
  });
});
