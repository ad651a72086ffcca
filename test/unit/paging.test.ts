/**
 * Reading lists page by page with the next page requested before the current one is parsed:
 * the requests are the ones the one-at-a-time walk sends (same count, same sizes, same cursors),
 * and what a command gets is already redacted and cannot be changed behind the redaction's back.
 */
import nock from 'nock';
import { dispatch } from '../../entry/index.js';
import { ManualClock } from '../../integration/base/clock.js';
import { addSecret, clearSecrets, MASK, redact } from '../../integration/base/redact.js';
import { MemoryStore, type StateStore, type StateUpdate } from '../../integration/state/store.js';
import { collect, pagesOf } from '../../integration/okta/paging.js';
import type { CommandContext } from '../../integration/engine/command.js';
import { closeClients, makeClient } from './resilience/helpers.js';
import { ORG, sswsParams } from '../helpers/fixtures.js';

const opts = () => ({ clock: new ManualClock(Date.UTC(2026, 10, 22, 12)), state: new MemoryStore() });
const SINCE = '2026-11-21T00:00:00.000Z';

/** System Log events numbered from `from`. */
const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ uuid: `e-${from + i}`, published: SINCE, eventType: 'user.session.start', displayMessage: `event ${from + i}` }));

/** The link Okta sends to the page after cursor `after`, keeping the page size asked for. */
const next = (after: string, limit: number) => ({ link: `<${ORG}/api/v1/logs?since=${encodeURIComponent(SINCE)}&limit=${limit}&after=${after}>; rel="next"` });

let unmatched: string[] = [];
const onNoMatch = (req: { method?: string; path?: string }) => unmatched.push(`${req.method} ${req.path}`);

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  unmatched = [];
  nock.emitter.on('no match', onNoMatch);
});
afterEach(() => {
  nock.emitter.removeListener('no match', onNoMatch);
  nock.cleanAll();
  clearSecrets();
  closeClients();
});
afterAll(() => nock.enableNetConnect());

/** Answers GET /api/v1/logs, recording the `limit` of each request and answering with `pages[i]`. */
function logPages(pages: Array<{ after?: string; n: number; from: number; nextAfter: string }>): { limits: number[]; scope: nock.Scope } {
  const limits: number[] = [];
  const scope = nock(ORG);
  for (const p of pages) {
    scope
      .get('/api/v1/logs')
      .query((q) => (p.after ? q.after === p.after : q.after === undefined))
      .reply(function (uri) {
        const limit = Number(new URL(ORG + uri).searchParams.get('limit'));
        limits.push(limit);
        return [200, p.n ? events(p.from, Math.min(p.n, limit)) : [], next(p.nextAfter, limit)];
      });
  }
  return { limits, scope };
}

describe('lists read with the next page already on its way', () => {
  test('the walk sends the same requests, sized the same, as one page at a time would', async () => {
    const { limits, scope } = logPages([
      { n: 1000, from: 0, nextAfter: 'c1' },
      { after: 'c1', n: 1000, from: 1000, nextAfter: 'c2' },
      { after: 'c2', n: 1000, from: 2000, nextAfter: 'c3' },
    ]);
    const { entries, exitCode } = await dispatch('okta-get-logs', { since: SINCE, limit: 2500 }, sswsParams(), opts());
    expect(exitCode).toBe(0);
    scope.done();
    expect(unmatched).toEqual([]);
    expect(limits).toEqual([1000, 1000, 500]);
    const got = entries[0]!.Contents as Array<{ uuid: string }>;
    expect(got).toHaveLength(2500);
    expect(got[2499]!.uuid).toBe('e-2499');
    expect(new Set(got.map((e) => e.uuid)).size).toBe(2500);
    expect(entries[0]!.EntryContext!['Okta.LogsCursor(true)']).toEqual({ next: 'c3' });
  });

  test('a short page means a smaller next page: no item skipped, none extra, the cursor exact', async () => {
    const { limits, scope } = logPages([
      { n: 600, from: 0, nextAfter: 'c1' },
      { after: 'c1', n: 1000, from: 600, nextAfter: 'c2' },
      { after: 'c2', n: 1000, from: 1600, nextAfter: 'c3' },
    ]);
    const { entries } = await dispatch('okta-get-logs', { since: SINCE, limit: 2500 }, sswsParams(), opts());
    scope.done();
    expect(unmatched).toEqual([]);
    // The second page was asked for before the first was parsed (as if it were full); the third after it.
    expect(limits).toEqual([1000, 1000, 900]);
    const got = entries[0]!.Contents as Array<{ uuid: string }>;
    expect(got.map((e) => e.uuid)).toEqual(events(0, 2500).map((e) => e.uuid));
    expect(entries[0]!.EntryContext!['Okta.LogsCursor(true)']).toEqual({ next: 'c3' });
  });

  test('the end of the System Log (an empty page, with its polling link) costs one request, as before', async () => {
    const { limits, scope } = logPages([
      { n: 1000, from: 0, nextAfter: 'c1' },
      { after: 'c1', n: 300, from: 1000, nextAfter: 'c2' },
      { after: 'c2', n: 0, from: 0, nextAfter: 'c2' },
    ]);
    const { entries } = await dispatch('okta-get-logs', { since: SINCE, limit: 5000 }, sswsParams(), opts());
    scope.done();
    expect(unmatched).toEqual([]);
    expect(limits).toEqual([1000, 1000, 1000]);
    expect(entries[0]!.Contents).toHaveLength(1300);
  });
});

/** A store shared with other processes (as a state directory or Redis is) that takes a few turns of the event loop for each update (a lock, a read, a write). */
class SlowStore implements StateStore {
  readonly location = 'slow';
  readonly scope = 'host' as const;
  private inner = new MemoryStore();
  get(key: string) {
    return this.inner.get(key);
  }
  set(key: string, value: string) {
    return this.inner.set(key, value);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  async update<T>(key: string, fn: (current: string | undefined) => StateUpdate<T>): Promise<T> {
    for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r));
    return this.inner.update(key, fn);
  }
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.inner.withLock(name, fn);
  }
}

describe('the read ahead with a rate budget in a shared store', () => {
  test("the next page's request has left before a page is handed over to be parsed", async () => {
    const { scope } = logPages([
      { n: 1000, from: 0, nextAfter: 'c1' },
      { after: 'c1', n: 1000, from: 1000, nextAfter: 'c2' },
      { after: 'c2', n: 1000, from: 2000, nextAfter: 'c3' },
    ]);
    const { client } = makeClient({ state: new SlowStore() });
    const sentWhenHandedOver: number[] = [];
    for await (const page of pagesOf(client, { method: 'GET', path: '/api/v1/logs', query: { since: SINCE } }, 3000, 1000)) {
      // What the caller does next (parse, seal) blocks the event loop: the request must be on its way already.
      sentWhenHandedOver.push(client.requestCount);
      expect(page.items).toHaveLength(1000);
    }
    scope.done();
    // Without waiting for the budget's store, the second request would still be deciding when the first page is parsed.
    expect(sentWhenHandedOver).toEqual([2, 3, 3]);
  });

  test('a request still waiting for its budget does not hold the page back', async () => {
    const { scope } = logPages([
      { n: 1000, from: 0, nextAfter: 'c1' },
      { after: 'c1', n: 1000, from: 1000, nextAfter: 'c2' },
    ]);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let updates = 0;
    class HeldStore extends SlowStore {
      override async update<T>(key: string, fn: (current: string | undefined) => StateUpdate<T>): Promise<T> {
        // The first page's acquire and record go through; the read ahead's acquire waits until released.
        if (++updates === 3) await held;
        return super.update(key, fn);
      }
    }
    const { client } = makeClient({ state: new HeldStore() });
    const handed: number[] = [];
    for await (const page of pagesOf(client, { method: 'GET', path: '/api/v1/logs', query: { since: SINCE } }, 2000, 1000)) {
      handed.push(page.items.length);
      if (handed.length === 1) {
        expect(client.requestCount).toBe(1);
        release();
      }
    }
    scope.done();
    expect(handed).toEqual([1000, 1000]);
  });
});

describe('a page read ahead that nobody will read', () => {
  test('is not sent when its caller has gone, and not retried once the caller goes', async () => {
    const { client } = makeClient();
    const gone = new AbortController();
    gone.abort();
    await expect(client.requestUrl('GET', `${ORG}/api/v1/logs?limit=1000`, { signal: gone.signal })).rejects.toMatchObject({ cause_code: 'ERR_CANCELED' });
    expect(client.requestCount).toBe(0);

    const leaving = new AbortController();
    nock(ORG)
      .get('/api/v1/logs')
      .query(true)
      .times(5)
      .reply(() => {
        leaving.abort();
        return [503, { errorCode: 'E0000009', errorSummary: 'Internal Server Error' }];
      });
    await expect(client.requestUrl('GET', `${ORG}/api/v1/logs?limit=1000`, { signal: leaving.signal })).rejects.toMatchObject({ cause_code: 'ERR_CANCELED' });
    // A 503 is normally retried (up to 4 times): not for a caller that has gone.
    expect(client.requestCount).toBe(1);
  });
});

describe('what a command gets from a list', () => {
  const ctxFor = (okta: CommandContext['okta']): CommandContext =>
    ({ okta, progress: () => undefined, warn: () => undefined }) as unknown as CommandContext;

  test('is redacted as it arrives, and sealed: writing into it throws instead of slipping past redaction', async () => {
    nock(ORG)
      .get('/api/v1/users')
      .query(true)
      .reply(200, [
        { id: '00u1', profile: { login: 'a@example.com', note: 'Authorization: Bearer abcdefghijklmnop12345' } },
        { id: '00u2', profile: { login: 'b@example.com' }, credentials: { password: { value: 'hunter2hunter2' } } },
      ]);
    const { client } = makeClient();
    const got = await collect<Record<string, Record<string, unknown>>>(ctxFor(client), { method: 'GET', path: '/api/v1/users' }, 10, 200);
    expect(got.items[0]!.profile!.note).toBe(`Authorization: Bearer ${MASK}`);
    expect(got.items[1]!.credentials!.password).toEqual({ value: MASK });
    expect(Object.isFrozen(got.items[0]!.profile)).toBe(true);
    expect(() => {
      got.items[0]!.profile!.note = 'Bearer zyxwvutsrqponmlk54321';
    }).toThrow(TypeError);
    expect(() => {
      got.items[0]!.extra = { token: 'x' };
    }).toThrow(TypeError);
  });

  test('a secret registered after the list was read is still masked on the way out', async () => {
    nock(ORG)
      .get('/api/v1/users')
      .query(true)
      .reply(200, [{ id: '00u1', profile: { login: 'a@example.com', nickName: 'later-secret-0001' } }]);
    const { client } = makeClient();
    const got = await collect<Record<string, Record<string, unknown>>>(ctxFor(client), { method: 'GET', path: '/api/v1/users' }, 10, 200);
    const entry = { Contents: got.items };
    expect(redact(entry).Contents[0]!.profile!.nickName).toBe('later-secret-0001');
    addSecret('later-secret-0001');
    expect(redact(entry).Contents[0]!.profile!.nickName).toBe(MASK);
  });
});
