/**
 * Issue 6, "Done when": reading 5000 System Log events through a limit of 3 requests per 2 s
 * returns all 5000, each once, with at most two 429 answers; the same with every third request
 * answering 503. Real time, the sandbox org on loopback, `okta-get-logs limit=5000` through
 * dispatch(); the 429s and 503s are counted by the server (its exchange record), not the client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dispatch } from '../../entry/index.js';
import { MemoryStore } from '../../integration/state/store.js';
import { recordedStatuses } from './helpers.js';
import { SANDBOX_API_TOKEN, startSandbox, type Sandbox, type SandboxFaults } from '../../sandbox/index.js';

const EVENTS = 5000;
const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-rate-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  uuids: string[];
  seeded: Set<string>;
  statuses: number[];
  seconds: number;
  exitCode: number;
  warnings: string[];
}

async function readLogsThroughLimit(name: string, faults: SandboxFaults): Promise<Run> {
  const recordFile = path.join(dir, `${name}.jsonl`);
  let sb: Sandbox | undefined;
  try {
    sb = await startSandbox({ rateLimits: { logs: { limit: 3, windowMs: 2000 } }, faults, logEvents: EVENTS, users: 20, quiet: true, recordFile });
    const seeded = new Set(sb.org.logs.events.map((s) => String(s.event.uuid)));
    const warnings: string[] = [];
    const started = Date.now();
    const since = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const { entries, exitCode } = await dispatch('okta-get-logs', { limit: String(EVENTS), since }, { url: sb.url, apitoken: SANDBOX_API_TOKEN }, { state: new MemoryStore(), warn: (w) => warnings.push(w) });
    const seconds = (Date.now() - started) / 1000;
    const events = (entries[0]?.Contents ?? []) as Array<{ uuid: string }>;
    const statuses = recordedStatuses(recordFile, '/api/v1/logs');
    return { uuids: Array.isArray(events) ? events.map((e) => e.uuid) : [], seeded, statuses, seconds, exitCode, warnings };
  } finally {
    await sb?.close();
  }
}

function report(name: string, r: Run): void {
  const count = (s: number) => r.statuses.filter((x) => x === s).length;
  process.stderr.write(`rate-limits e2e (${name}): ${r.statuses.length} requests, ${count(200)} × 200, ${count(429)} × 429, ${count(503)} × 503, ${r.seconds.toFixed(1)} s\n`);
}

describe('5000 System Log events through 3 requests per 2 s', () => {
  test('all 5000, each once, with at most two 429 answers', async () => {
    const r = await readLogsThroughLimit('plain', {});
    report('plain', r);
    expect(r.exitCode).toBe(0);
    expect(r.uuids).toHaveLength(EVENTS);
    expect(new Set(r.uuids).size).toBe(EVENTS);
    expect(r.uuids.every((u) => r.seeded.has(u))).toBe(true);
    expect(r.statuses.filter((s) => s === 429).length).toBeLessThanOrEqual(2);
    expect(r.statuses.filter((s) => s === 200)).toHaveLength(5); // 5 pages of 1000
  }, 60_000);

  test('the same with every third request answering 503', async () => {
    const r = await readLogsThroughLimit('every503', { every503: 3 });
    report('every third request 503', r);
    expect(r.exitCode).toBe(0);
    expect(r.uuids).toHaveLength(EVENTS);
    expect(new Set(r.uuids).size).toBe(EVENTS);
    expect(r.uuids.every((u) => r.seeded.has(u))).toBe(true);
    expect(r.statuses.filter((s) => s === 429).length).toBeLessThanOrEqual(2);
    expect(r.statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(2);
    expect(r.statuses.filter((s) => s === 200)).toHaveLength(5);
  }, 60_000);
});
