/** `okta-soar fetch-incidents` in-process: output first, then the commit; the lock; exit codes. */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../../entry/cli.js';
import type { CliIO } from '../../../integration/faces/cli/io.js';
import { fetchStateKeys } from '../../../integration/faces/cli/verbs/fetch.js';
import { FetchLease } from '../../../integration/fetch/lease.js';
import { FileStore } from '../../../integration/state/store.js';
import { ORG, setupNock, TOKEN, world as newWorld, type World } from './harness.js';

setupNock();

class Sink extends Writable {
  text = '';
  isTTY = false;
  onWrite?: () => void;
  fail = false;
  override _write(chunk: Buffer, _enc: string, cb: (e?: Error | null) => void): void {
    this.onWrite?.();
    if (this.fail) return cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    this.text += chunk.toString();
    cb();
  }
}

let dir: string;
/** The world of the running test: its System Log's events are dated by its clock, and so is the CLI's "now". */
let current: World;
const world = (): World => (current = newWorld());
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'okta-soar-fetch-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function io(extraEnv: Record<string, string> = {}): CliIO & { stdout: Sink; stderr: Sink } {
  return {
    stdout: new Sink(),
    stderr: new Sink(),
    stdin: process.stdin,
    env: { OKTA_URL: ORG, OKTA_API_TOKEN: TOKEN, OKTA_STATE_DIR: dir, ...extraEnv },
    clock: current.clock,
  };
}

const stateFile = () => path.join(dir, fetchStateKeys(ORG).record);
const committed = () => (existsSync(stateFile()) ? (JSON.parse(readFileSync(stateFile(), 'utf8')) as { lastRun?: Record<string, unknown> }).lastRun : undefined);

describe('okta-soar fetch-incidents', () => {
  test('--json prints one {incidents, lastRun} document; lastRun is committed after it; the next run continues', async () => {
    const w = world();
    const evs = w.model.add(3);
    const a = io();
    let committedAtWrite: unknown = 'unset';
    a.stdout.onWrite = () => (committedAtWrite = committed());
    expect(await main(['fetch-incidents', '--json'], a)).toBe(0);
    expect(committedAtWrite).toBeUndefined(); // nothing committed while the output was being written
    const doc = JSON.parse(a.stdout.text) as { incidents: Array<{ dbotMirrorId: string }>; lastRun: Record<string, unknown> };
    expect(Object.keys(doc)).toEqual(['incidents', 'lastRun']);
    expect(a.stdout.text.trim().split('\n')).toHaveLength(1);
    expect(doc.incidents.map((i) => i.dbotMirrorId)).toEqual(evs.map((e) => e.uuid));
    expect(committed()).toEqual(doc.lastRun);
    if (process.platform !== 'win32') expect(statSync(stateFile()).mode & 0o777).toBe(0o600);

    const more = w.model.add(2);
    const b = io();
    expect(await main(['fetch-incidents', '--json'], b)).toBe(0);
    const doc2 = JSON.parse(b.stdout.text) as { incidents: Array<{ dbotMirrorId: string }> };
    expect(doc2.incidents.map((i) => i.dbotMirrorId)).toEqual(more.map((e) => e.uuid));
  });

  test('a large batch is written in pieces, byte for byte the one JSON document, and committed only after the last piece', async () => {
    const w = world();
    const evs = w.model.add(60);
    const a = io();
    const commitSeen: unknown[] = [];
    a.stdout.onWrite = () => commitSeen.push(committed());
    expect(await main(['fetch-incidents', '--json'], a)).toBe(0);
    expect(commitSeen.length).toBeGreaterThan(2);
    expect(commitSeen.every((c) => c === undefined)).toBe(true);
    const doc = JSON.parse(a.stdout.text) as { incidents: Array<{ dbotMirrorId: string }>; lastRun: Record<string, unknown> };
    expect(a.stdout.text).toBe(JSON.stringify(doc) + '\n');
    expect(doc.incidents.map((i) => i.dbotMirrorId)).toEqual(evs.map((e) => e.uuid));
    expect(committed()).toEqual(doc.lastRun);
  });

  test('when the output cannot be written, lastRun is not committed (the batch comes again)', async () => {
    const w = world();
    w.model.add(3);
    const a = io();
    a.stdout.fail = true;
    a.stdout.on('error', () => undefined);
    // main exits 1 (or, when even its error entry cannot be written, bin.ts does).
    expect(await main(['fetch-incidents', '--json'], a).catch(() => 1)).toBe(1);
    expect(committed()).toBeUndefined();
    const b = io();
    expect(await main(['fetch-incidents', '--json'], b)).toBe(0);
    expect((JSON.parse(b.stdout.text) as { incidents: unknown[] }).incidents).toHaveLength(3);
  });

  test('without --json: a readable summary', async () => {
    const w = world();
    const [e] = w.model.add(1, { eventType: 'user.account.lock' });
    const a = io();
    expect(await main(['fetch-incidents'], a)).toBe(0);
    expect(a.stdout.text).toBe(`Fetched 1 incident from ${ORG} (caught up).\n  ${e!.published}  severity 2  Okta account locked out after failed sign-ins: ${e!.actor.alternateId}\n`);
    const b = io();
    expect(await main(['fetch-incidents'], b)).toBe(0);
    expect(b.stdout.text).toBe(`No new incidents from ${ORG} (caught up).\n`);
  });

  test('a second fetcher on the same state exits 1 with a clear message', async () => {
    world();
    // Another live fetcher (a lease under another holder, not yet run out).
    const other = new FetchLease(new FileStore(dir), fetchStateKeys(ORG), { clock: current.clock, ttlMs: 60_000, holder: 'other' });
    expect((await other.take()).ok).toBe(true);
    try {
      const a = io();
      expect(await main(['fetch-incidents', '--json'], a)).toBe(1);
      expect(a.stderr.text).toMatch(/another fetch-incidents \(.*\) holds the fetch of https:\/\/example.okta.com/);
      expect(a.stderr.text).toMatch(/within fetch_lease_seconds: 60 s from now/);
      const entry = JSON.parse(a.stdout.text) as Array<{ Type: number; Contents: string }>;
      expect(entry[0]).toMatchObject({ Type: 4 });
      expect(committed()).toBeUndefined();
    } finally {
      await other.release();
    }
  });

  test('usage and configuration errors: exit 2 and 1', async () => {
    world();
    expect(await main(['fetch-incidents', 'extra'], io())).toBe(2);
    expect(await main(['fetch-incidents', '--port', '1'], io())).toBe(2);
    const noUrl = io();
    delete noUrl.env.OKTA_URL;
    expect(await main(['fetch-incidents', '--json'], noUrl)).toBe(1);
    expect(noUrl.stdout.text).toMatch(/url is not set/);
    expect(await main(['fetch-incidents'], io({ OKTA_SEVERITY_MAP: '{"a": 9}' }))).toBe(1);
  });

  test('a failed cycle exits 1 and commits nothing; a partial one prints, commits and warns', async () => {
    const w = world();
    w.model.add(1500);
    w.model.fail({ status: 503, times: 10 });
    const a = io({ OKTA_MAX_RETRIES: '0' });
    expect(await main(['fetch-incidents', '--json'], a)).toBe(1);
    expect(a.stdout.text).toMatch(/HTTP 503/);
    expect(committed()).toBeUndefined();
    w.model.clearFaults();
    w.model.failAfter(1, { status: 503, times: 10 });
    const b = io({ OKTA_MAX_RETRIES: '0', OKTA_MAX_FETCH: '5000' });
    expect(await main(['fetch-incidents', '--json'], b)).toBe(0);
    const doc = JSON.parse(b.stdout.text) as { incidents: unknown[]; lastRun: { error?: unknown } };
    expect(doc.incidents).toHaveLength(1000);
    expect(doc.lastRun.error).toBeDefined();
    expect(committed()).toEqual(doc.lastRun);
    expect(b.stderr.text).toMatch(/warning: fetch stopped early after 1000 events/);
  });
});
