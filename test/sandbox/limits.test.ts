import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { fetchIncidents } from '../../integration/faces/library.js';
import { call, get, post } from './helpers.js';

describe('rate limits', () => {
  let clock = Date.UTC(2026, 10, 22, 12, 0, 0, 250);
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 12, logEvents: 20, now: () => clock, rateLimits: { logs: { limit: 3, windowMs: 2000 } }, quiet: true });
  });
  afterAll(() => sb.close());

  it('counts per bucket, answers 429 E0000047 with X-Rate-Limit-* headers, and resets at X-Rate-Limit-Reset', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await get(sb, '/api/v1/logs?limit=1');
      expect(r.status).toBe(200);
      remaining.push(r.headers.get('x-rate-limit-remaining')!);
      expect(r.headers.get('x-rate-limit-limit')).toBe('3');
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await get(sb, '/api/v1/logs?limit=1');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' });
    expect(limited.headers.get('x-rate-limit-remaining')).toBe('0');
    const reset = Number(limited.headers.get('x-rate-limit-reset'));
    expect(reset).toBe(Math.ceil((Date.UTC(2026, 10, 22, 12, 0, 0, 250) + 2000) / 1000));
    expect(Date.parse(limited.headers.get('date')!)).toBe(Date.UTC(2026, 10, 22, 12, 0, 0)); // the sandbox clock, second precision
    expect(sb.stats.status429).toBe(1);
    // Other buckets are unaffected.
    expect((await get(sb, '/api/v1/users?limit=1')).status).toBe(200);
    // After the reset time the window is fresh.
    clock = reset * 1000;
    expect((await get(sb, '/api/v1/logs?limit=1')).status).toBe(200);
  });

  it('the first 429 of a window writes one system.operation.rate_limit.violation event, naming the caller', async () => {
    sb.org.setRateLimit('groups', { limit: 1, windowMs: 60_000 });
    const before = sb.org.events.length;
    expect((await get(sb, '/api/v1/groups?limit=1')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get(sb, '/api/v1/groups?limit=1')).status).toBe(429);
    const added = sb.org.events.slice(before).map((s) => s.event as unknown as { eventType: string; severity: string; outcome: { result: string }; actor: { type: string }; debugContext: { debugData: Record<string, unknown> } });
    expect(added.map((e) => e.eventType)).toEqual(['system.operation.rate_limit.violation']);
    expect(added[0]).toMatchObject({ severity: 'WARN', outcome: { result: 'RATE_LIMIT' }, actor: { type: 'User' } });
    expect(added[0]!.debugContext.debugData).toMatchObject({ operationRateLimitThreshold: '1', operationRateLimitTimeUnit: 'MINUTE', requestUri: '/api/v1/groups' });
    // The next window's first 429 writes the next one.
    clock += 60_000;
    expect((await get(sb, '/api/v1/groups?limit=1')).status).toBe(200);
    expect((await get(sb, '/api/v1/groups?limit=1')).status).toBe(429);
    expect(sb.org.events.length - before).toBe(2);
    // fetch-incidents' default rules make it an incident ("Okta org rate limit exceeded", level low: severity 1).
    const { incidents } = await fetchIncidents({ url: sb.url, apitoken: sb.apiToken, first_fetch: '7 days', max_fetch: 1000 }, undefined, { clock: { now: () => clock, sleep: async (ms) => void (clock += ms) } });
    const violations = incidents.filter((i) => i.name.startsWith('Okta org rate limit exceeded'));
    expect(violations.length).toBeGreaterThanOrEqual(2);
    expect(violations.every((i) => i.severity === 1 && (JSON.parse(i.rawJSON) as { eventType: string }).eventType === 'system.operation.rate_limit.violation')).toBe(true);
  });

  it('can be changed at run time per bucket', async () => {
    sb.org.setRateLimit('user', { limit: 1, windowMs: 60_000 });
    expect((await get(sb, '/api/v1/users/alice@example.com')).status).toBe(200);
    const r = await get(sb, '/api/v1/users/alice@example.com');
    expect(r.status).toBe(429);
    expect(r.headers.get('x-rate-limit-limit')).toBe('1');
    expect((await post(sb, '/api/v1/users/alice@example.com', { profile: { title: 'x' } })).status).toBe(200); // user-write bucket
    expect(sb.stats.byRoute['GET /api/v1/users/{id}']).toBe(2);
  });
});

describe('concurrency limit', () => {
  it('answers a concurrency 429 with limit and remaining 0', async () => {
    const sb = await startSandbox({ users: 12, logEvents: 0, concurrencyLimit: 2, latencyMs: 150, quiet: true });
    try {
      const replies = await Promise.all(Array.from({ length: 5 }, () => get(sb, '/api/v1/users?limit=1')));
      const limited = replies.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(1);
      expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(2);
      for (const r of limited) {
        expect(r.headers.get('x-rate-limit-limit')).toBe('0');
        expect(r.headers.get('x-rate-limit-remaining')).toBe('0');
        expect(r.body.errorCode).toBe('E0000047');
      }
    } finally {
      await sb.close();
    }
  });
});

describe('fault injection', () => {
  it('every503 answers every Nth API request with 503', async () => {
    const sb = await startSandbox({ users: 12, logEvents: 0, faults: { every503: 3 }, quiet: true });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await get(sb, '/api/v1/users?limit=1')).status);
      expect(statuses).toEqual([200, 200, 503, 200, 200, 503]);
    } finally {
      await sb.close();
    }
  });

  it('resetEvery destroys the socket of every Nth API request', async () => {
    const sb = await startSandbox({ users: 12, logEvents: 0, faults: { resetEvery: 2 }, quiet: true });
    try {
      expect((await get(sb, '/api/v1/users?limit=1')).status).toBe(200);
      await expect(get(sb, '/api/v1/users?limit=1')).rejects.toThrow();
      expect((await get(sb, '/api/v1/users?limit=1')).status).toBe(200);
      sb.org.setFaults({});
      expect((await get(sb, '/api/v1/users?limit=1')).status).toBe(200);
    } finally {
      await sb.close();
    }
  });
});

describe('recording', () => {
  it('appends one JSON line per exchange, without credentials', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sandbox-rec-'));
    const file = path.join(dir, 'rec.jsonl');
    const sb = await startSandbox({ users: 12, logEvents: 5, recordFile: file, quiet: true });
    try {
      await get(sb, '/api/v1/users?limit=2&filter=' + encodeURIComponent('status eq "ACTIVE"'));
      await post(sb, '/api/v1/users/alice@example.com/lifecycle/suspend');
      await call(sb, 'DELETE', '/api/v1/users/ivan@example.com');
      await get(sb, '/api/v1/users', { auth: 'SSWS wrong' });
      await get(sb, '/api/v1/logs?limit=2');
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(5);
      expect(lines[0]).toMatchObject({ method: 'GET', path: '/api/v1/users', query: { limit: '2', filter: 'status eq "ACTIVE"' }, status: 200, responseContentType: 'application/json' });
      expect(lines[0].responseBody).toHaveLength(2);
      expect(lines[1]).toMatchObject({ method: 'POST', path: '/api/v1/users/alice@example.com/lifecycle/suspend', status: 200, responseBody: {} });
      expect(lines[2]).toMatchObject({ method: 'DELETE', status: 204 });
      expect(lines[2]).not.toHaveProperty('responseBody');
      expect(lines[3]).toMatchObject({ status: 401, responseBody: { errorCode: 'E0000011' } });
      expect(lines[4].responseBody).toHaveLength(2);
      expect(readFileSync(file, 'utf8')).not.toContain(sb.apiToken);
    } finally {
      await sb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a file per sandbox in OKTA_SANDBOX_RECORD_DIR', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sandbox-recdir-'));
    const prev = process.env.OKTA_SANDBOX_RECORD_DIR;
    process.env.OKTA_SANDBOX_RECORD_DIR = dir;
    try {
      const a = await startSandbox({ users: 12, logEvents: 0, quiet: true });
      const b = await startSandbox({ users: 12, logEvents: 0, quiet: true });
      await get(a, '/api/v1/users/me');
      await get(b, '/api/v1/users/me');
      await a.close();
      await b.close();
      const files = readdirSync(dir);
      expect(files).toHaveLength(2);
      for (const f of files) expect(readFileSync(path.join(dir, f), 'utf8').trim().split('\n')).toHaveLength(1);
    } finally {
      if (prev === undefined) delete process.env.OKTA_SANDBOX_RECORD_DIR;
      else process.env.OKTA_SANDBOX_RECORD_DIR = prev;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
