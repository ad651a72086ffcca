/**
 * Network failures and timeouts with real sockets on loopback: connections reset and hung up
 * by a scripted server, refused by a closed port, answers slower than timeout_seconds. A request
 * that may have reached Okta is sent again only when it is safe to repeat. Backoff waits run on
 * a ManualClock; timeouts are real, and short.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../../integration/base/clock.js';
import { dispatch } from '../../../entry/index.js';
import { NetworkError } from '../../../integration/base/errors.js';
import { createTransport, describeFailure, failureKind } from '../../../integration/okta/transport.js';
import type { Transport } from '../../../integration/okta/types.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { closeClients, makeClient, startScriptedServer, T0, TOKEN, type ScriptedServer, type Step } from './helpers.js';

const servers: ScriptedServer[] = [];
afterEach(async () => {
  closeClients();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(...steps: Step[]): Promise<ScriptedServer> {
  const s = await startScriptedServer(steps);
  servers.push(s);
  return s;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const getUser = { method: 'GET' as const, path: '/api/v1/users/{id}', pathParams: { id: 'alice@example.com' } };
const createGroup = { method: 'POST' as const, path: '/api/v1/groups', body: { profile: { name: 'x' } } };
const ok = (body: unknown = {}): Step => ({ status: 200, body });

describe('connection resets', () => {
  test('a GET whose connection was reset, then hung up, is retried and succeeds', async () => {
    const s = await serve('reset', 'hangup', ok({ id: '00u1' }));
    const { client, clock } = makeClient({ origin: s.origin });
    const res = await client.request(getUser);
    expect(res.data).toEqual({ id: '00u1' });
    expect(s.requests).toHaveLength(3);
    expect(clock.slept).toEqual([375, 750]);
  });

  test('resets until max_retries: a NetworkError naming the failure and the attempts, without the token', async () => {
    const s = await serve('hangup', 'hangup', 'hangup');
    const { client } = makeClient({ origin: s.origin, maxRetries: 2 });
    const err = (await client.request(getUser).catch((e: unknown) => e)) as NetworkError;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.cause_code).toBe('ECONNRESET');
    expect(err.message).toBe(`GET ${s.origin}/api/v1/users/alice@example.com failed: the connection was reset (ECONNRESET) (gave up after 3 attempts)`);
    expect(JSON.stringify({ m: err.message, s: err.stack, e: err })).not.toContain(TOKEN);
    expect(s.requests).toHaveLength(3);
  });

  test('a POST whose connection was reset is not repeated: it may have reached Okta', async () => {
    const s = await serve('hangup', ok());
    const { client } = makeClient({ origin: s.origin });
    const err = (await client.request(createGroup).catch((e: unknown) => e)) as NetworkError;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toBe(
      `POST ${s.origin}/api/v1/groups failed: the connection was reset (ECONNRESET). ` +
        'Not retried: a POST that may have reached Okta is not sent twice (it may have taken effect); check before running the command again',
    );
    expect(s.requests).toEqual(['POST /api/v1/groups']);
  });

  test('a POST marked idempotent is retried after a reset', async () => {
    const s = await serve('reset', ok());
    const { client } = makeClient({ origin: s.origin });
    await client.request({ method: 'POST', path: '/api/v1/users/{id}/lifecycle/suspend', pathParams: { id: '00u1' }, idempotent: true });
    expect(s.requests).toHaveLength(2);
  });
});

describe('failures before anything was sent', () => {
  test('connection refused: retried even for a POST (it never left), then a clear error', async () => {
    const origin = `http://127.0.0.1:${await closedPort()}`;
    const { client, clock } = makeClient({ origin, maxRetries: 2 });
    const err = (await client.request(createGroup).catch((e: unknown) => e)) as NetworkError;
    expect(err.cause_code).toBe('ECONNREFUSED');
    expect(err.message).toBe(`POST ${origin}/api/v1/groups failed: the connection was refused (ECONNREFUSED) (gave up after 3 attempts)`);
    expect(clock.slept).toEqual([375, 750]);
  });

  test('a host that does not resolve is not retried', async () => {
    let calls = 0;
    const dns: Transport = async (req) => {
      calls++;
      throw new NetworkError(`${req.method} ${new URL(req.url).origin} ${describeFailure('ENOTFOUND', req.timeoutMs)}`, 'ENOTFOUND');
    };
    const { client } = makeClient({ transport: dns });
    await expect(client.request(getUser)).rejects.toThrow('failed: the host name does not resolve (ENOTFOUND); check url');
    expect(calls).toBe(1);
  });

  test('what each failure means for a retry', () => {
    expect(['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].map(failureKind)).toEqual(Array(4).fill('not-sent'));
    expect(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_NETWORK', undefined].map(failureKind)).toEqual(Array(5).fill('maybe-sent'));
    expect(['ENOTFOUND', 'ERR_CANCELED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'].map(failureKind)).toEqual(
      Array(6).fill('permanent'),
    );
    expect(describeFailure('CERT_HAS_EXPIRED', 1000)).toMatch(/TLS certificate was not accepted \(CERT_HAS_EXPIRED\).*NODE_EXTRA_CA_CERTS/);
  });
});

describe('timeouts: timeout_seconds is a deadline per attempt', () => {
  test('an answer slower than the deadline fails that attempt; the retry gets a fresh deadline and succeeds', async () => {
    const s = await serve({ status: 200, body: { late: true }, delayMs: 3000 }, { status: 200, body: { id: '00u1' }, delayMs: 200 });
    const { client } = makeClient({ origin: s.origin, timeoutMs: 300 });
    const started = Date.now();
    const res = await client.request(getUser);
    expect(res.data).toEqual({ id: '00u1' });
    // 300 ms for the first attempt, then 200 ms: more than one 300 ms deadline could allow.
    expect(Date.now() - started).toBeGreaterThanOrEqual(480);
    expect(s.requests).toHaveLength(2);
  });

  test('every attempt too slow: a NetworkError saying so, after max_retries', async () => {
    const s = await serve({ status: 200, delayMs: 3000 }, { status: 200, delayMs: 3000 });
    const { client } = makeClient({ origin: s.origin, timeoutMs: 100, maxRetries: 1 });
    const err = (await client.request(getUser).catch((e: unknown) => e)) as NetworkError;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.cause_code).toBe('ETIMEDOUT');
    expect(err.message).toBe(`GET ${s.origin}/api/v1/users/alice@example.com timed out after 0.1 s (timeout_seconds) (gave up after 2 attempts)`);
  });

  test('the deadline covers the whole answer: a body that trickles in slowly still times out', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('[');
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), 50);
      res.on('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const t = createTransport({ proxy: false, insecure: false });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/users`;
      const started = Date.now();
      await expect(t({ method: 'GET', url, headers: {}, timeoutMs: 400 })).rejects.toMatchObject({ cause_code: 'ETIMEDOUT' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      t.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('a POST that timed out is not repeated', async () => {
    const s = await serve({ status: 200, delayMs: 3000 }, ok());
    const { client } = makeClient({ origin: s.origin, timeoutMs: 100 });
    await expect(client.request(createGroup)).rejects.toThrow(/timed out after 0\.1 s \(timeout_seconds\)\. Not retried/);
    expect(s.requests).toEqual(['POST /api/v1/groups']);
  });

  test('through dispatch: timeout_seconds=1, max_retries=0 is one attempt and an error entry', async () => {
    const s = await serve({ status: 200, delayMs: 3000 });
    const { entries, exitCode } = await dispatch(
      'okta-get-user',
      { username: 'alice@example.com' },
      { url: s.origin, apitoken: TOKEN, timeout_seconds: 1, max_retries: 0 },
      { clock: new ManualClock(T0), state: new MemoryStore() },
    );
    expect(exitCode).toBe(1);
    expect(entries[0]!.Contents).toBe(`okta-get-user: GET ${s.origin}/api/v1/users/alice@example.com timed out after 1 s (timeout_seconds)`);
    expect(s.requests).toHaveLength(1);
  });
});
