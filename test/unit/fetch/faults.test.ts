/**
 * fetch-incidents when things go wrong: rate limits and 5xx in the middle of a cycle, network
 * failures, a cursor Okta no longer accepts, a changed filter or org, a lastRun that is not ours.
 */
import nock from 'nock';
import { fetchIncidents, type FetchLastRun } from '../../../integration/fetch/index.js';
import { NetworkError, OktaApiError, RateLimitError } from '../../../integration/base/errors.js';
import { expectExactlyOnce, ORG, params, setupNock, TOKEN, world, type World } from './harness.js';

setupNock();

const DAY = 86_400_000;
const rateLimited = (w: World) => ({
  status: 429,
  body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.', errorCauses: [] },
  headers: { 'x-rate-limit-limit': '60', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil(w.clock.now() / 1000) + 600) },
});

describe('a failure in the middle of a cycle', () => {
  test('429 beyond the wait cap: the pages before it are returned, and the next cycle resumes exactly after them', async () => {
    const w = world();
    w.model.add(2500);
    w.model.failAfter(1, rateLimited(w));
    const r = await w.cycle({ max_fetch: 3000, max_wait_seconds: 60 });
    expect(r.stop).toBe('error');
    expect(r.incidents).toHaveLength(1000);
    expect(r.lastRun.error?.message).toMatch(/rate limit for GET \/api\/v1\/logs/);
    expect(r.warnings.join('\n')).toMatch(/fetch stopped early after 1000 events: .*The next fetch resumes right after them/);
    // The cursor is the page that failed: page 1's next link.
    expect(r.lastRun.cursor).toBe(w.model.requests[1]!.toString());
    expect(r.lastRun.caughtUp).toBe(false);
    const r2 = await w.cycle({ max_fetch: 3000, max_wait_seconds: 60 });
    expect(r2.incidents).toHaveLength(1500);
    expect(r2.lastRun.error).toBeUndefined();
    expectExactlyOnce(w);
  });

  test('429 within the wait cap: the client waits (on the injected clock) and the cycle completes', async () => {
    const w = world();
    w.model.add(2500);
    w.model.failAfter(1, rateLimited(w));
    const r = await w.cycle({ max_fetch: 3000, max_wait_seconds: 900 });
    expect(r.stop).toBe('caught_up');
    expect(r.incidents).toHaveLength(2500);
    expect(Math.max(...w.clock.slept)).toBeGreaterThanOrEqual(600_000);
    expectExactlyOnce(w);
  });

  test('5xx after the retries: partial result, then an exact resume', async () => {
    const w = world();
    w.model.add(1500);
    w.model.failAfter(1, { status: 503, times: 3 });
    const r = await w.cycle({ max_fetch: 3000, max_retries: 2 });
    expect(r.stop).toBe('error');
    expect(r.incidents).toHaveLength(1000);
    expect(r.lastRun.error?.message).toMatch(/HTTP 503/);
    await w.cycle({ max_fetch: 3000, max_retries: 2 });
    expectExactlyOnce(w);
  });

  test('a 5xx the retries absorb is invisible', async () => {
    const w = world();
    w.model.add(1500);
    w.model.failAfter(1, { status: 500, times: 2 });
    const r = await w.cycle({ max_fetch: 3000 });
    expect(r.stop).toBe('caught_up');
    expect(r.warnings).toEqual([]);
    expectExactlyOnce(w);
  });

  // Network failures come from the transport itself here (nock's emitted request errors go
  // unhandled when other test files ran in the same worker).
  test('a network failure mid-cycle: partial result, exact resume', async () => {
    const w = world({ via: 'transport' });
    w.model.add(1200);
    w.model.failAfter(1, { status: 0, network: true, times: 5 });
    const r = await w.cycle({ max_fetch: 3000, max_retries: 1 });
    expect(r.stop).toBe('error');
    expect(r.incidents).toHaveLength(1000);
    w.model.clearFaults();
    await w.cycle({ max_fetch: 3000 });
    expectExactlyOnce(w);
  });

  test('a failure before anything was fetched rejects with the typed error; the same lastRun then fetches everything', async () => {
    const w = world({ via: 'transport' });
    w.model.add(10);
    await w.cycle();
    w.model.add(5);
    const before = JSON.stringify(w.lastRun);
    w.model.fail(rateLimited(w));
    await expect(w.cycle({ max_wait_seconds: 1 })).rejects.toBeInstanceOf(RateLimitError);
    w.model.fail({ status: 502, times: 10 });
    await expect(w.cycle({ max_retries: 0 })).rejects.toBeInstanceOf(OktaApiError);
    w.model.clearFaults();
    w.model.fail({ status: 0, network: true, times: 10 });
    await expect(w.cycle({ max_retries: 0 })).rejects.toBeInstanceOf(NetworkError);
    w.model.clearFaults();
    expect(JSON.stringify(w.lastRun)).toBe(before);
    const r = await w.cycle();
    expect(r.incidents).toHaveLength(5);
    expectExactlyOnce(w);
  });

  test('an abort between pages returns what was fetched; an abort before the first page keeps lastRun whole', async () => {
    const w = world();
    await w.cycle({ max_fetch: 1000 });
    const evs = w.model.add(2000);
    await w.cycle({ max_fetch: 1400 }); // pages of 1000: stops 400 events into the second, whose 400 uuids go to seen
    const seen = (w.lastRun as FetchLastRun).seen;
    expect(seen).toEqual(expect.arrayContaining(evs.slice(1000, 1400).map((e) => e.uuid)));
    const ac = new AbortController();
    ac.abort();
    const r0 = await w.cycle({ max_fetch: 1400 }, { signal: ac.signal });
    expect(r0.stop).toBe('aborted');
    expect(r0.incidents).toEqual([]);
    expect(r0.lastRun.seen).toEqual(seen);
    w.model.add(500);
    const ac2 = new AbortController();
    const r = await w.cycle({ max_fetch: 5000 }, { signal: ac2.signal, progress: () => ac2.abort() });
    expect(r.stop).toBe('aborted');
    expect(r.incidents).toHaveLength(600); // the rest of the split page, then stop
    await w.cycle({ max_fetch: 5000 });
    expectExactlyOnce(w);
  });
});

describe('new histories', () => {
  test('a cursor Okta no longer accepts (400 E0000053) is reported and fetching restarts from first_fetch', async () => {
    const w = world();
    w.model.add(20);
    await w.cycle();
    w.clock.advance(91 * DAY);
    w.model.expiredBelow = 21; // the saved cursor (after event 20) is past retention
    const fresh = w.model.add(3);
    const before = w.model.requests.length;
    const r = await w.cycle();
    const [rejected, restart] = w.model.requests.slice(before);
    expect(rejected!.searchParams.has('after')).toBe(true);
    expect(restart!.searchParams.get('since')).toBe(new Date(w.clock.now() - 3 * DAY).toISOString());
    expect(r.incidents.map((i) => i.dbotMirrorId)).toEqual(fresh.map((e) => e.uuid));
    expect(r.lastRun.reset).toMatchObject({ reason: 'cursor_rejected', at: new Date(w.clock.now()).toISOString() });
    expect(r.lastRun.reset!.detail).toMatch(/E0000053/);
    expect(r.lastRun.historyStart).toBe(new Date(w.clock.now() - 3 * DAY).toISOString());
    expect(r.warnings.join('\n')).toMatch(/no longer accepts the saved System Log cursor.*starting a new fetch history from first_fetch/);
    // The next cycle continues the new history quietly.
    const r2 = await w.cycle();
    expect(r2.warnings).toEqual([]);
    expect(r2.lastRun.reset?.reason).toBe('cursor_rejected');
  });

  test('400 on a new history’s own query (an invalid filter) is an error, not a restart loop', async () => {
    const w = world();
    w.model.fail({ status: 400, body: { errorCode: 'E0000053', errorSummary: 'Invalid search criteria.', errorCauses: [] } });
    await expect(w.cycle({ fetch_query_filter: 'eventType eq' })).rejects.toThrow(/HTTP 400 .*E0000053/);
    expect(w.model.requests).toHaveLength(1);
  });

  test('a changed fetch_query_filter continues the history from the last event returned (same millisecond included), and says so', async () => {
    const w = world();
    const a = 'eventType eq "user.account.lock"';
    const b = 'eventType eq "system.api_token.create"';
    // Tokens of an earlier minute: before the continuation point, never read by either history.
    w.model.add(3, { eventType: 'system.api_token.create' });
    w.clock.advance(60_000);
    const t1 = w.clock.now();
    const locks1 = w.model.add(5);
    const tokens1 = w.model.add(4, { eventType: 'system.api_token.create' });
    const r1 = await w.cycle({ fetch_query_filter: a });
    expect(r1.incidents.map((i) => i.dbotMirrorId)).toEqual(locks1.map((e) => e.uuid));
    expect(r1.lastRun.latestPublished).toBe(new Date(t1).toISOString());
    w.clock.advance(60_000);
    const t2 = w.clock.now();
    const tokens2 = w.model.add(2, { eventType: 'system.api_token.create' });
    const locks2 = w.model.add(2);
    const r2 = await w.cycle({ fetch_query_filter: b });
    expect(r2.lastRun.reset).toMatchObject({ reason: 'filter_changed', at: new Date(t2).toISOString() });
    expect(r2.lastRun.reset!.detail).toMatch(/the history continues from .*T.*Z$/);
    expect(r2.warnings.join('\n')).toMatch(/fetch_query_filter changed.*the fetch history continues from .*where the previous one stopped/);
    expect(r2.warnings.join('\n')).not.toMatch(/first_fetch/);
    expect(r2.lastRun.fingerprint).not.toBe(r1.lastRun.fingerprint);
    // The new query starts at the exact millisecond of the last event returned, not at first_fetch.
    const q = w.model.requests.find((u) => u.searchParams.get('filter')?.endsWith(`and (${b})`))!;
    expect(q.searchParams.get('since')).toBe(new Date(t1).toISOString());
    expect(r2.lastRun.historyStart).toBe(new Date(t1).toISOString());
    // Tokens of t1's millisecond (never delivered: the old filter left them out) and after it.
    expect(r2.incidents.map((i) => i.dbotMirrorId)).toEqual([...tokens1, ...tokens2].map((e) => e.uuid));
    // Back to the default filter (both types), continued from t2: t2's two locks come, t2's tokens not again.
    const r3 = await w.cycle();
    expect(r3.lastRun.reset?.reason).toBe('filter_changed');
    expect(r3.lastRun.historyStart).toBe(new Date(t2).toISOString());
    expect(r3.incidents.map((i) => i.dbotMirrorId)).toEqual(locks2.map((e) => e.uuid));
    const r4 = await w.cycle();
    expect(r4.warnings).toEqual([]);
    expect(r4.incidents).toEqual([]);
    expect(r4.lastRun.previousSeen).toBeUndefined();
    expect([...w.counts.values()].every((n) => n === 1)).toBe(true);
    expect(w.counts.size).toBe(5 + 4 + 2 + 2);
  });

  test('a changed filter with a lastRun written before latestPublished was used continues from its historyStart', async () => {
    const w = world();
    const t0 = w.clock.now();
    w.model.add(2);
    const r1 = await w.cycle({ fetch_query_filter: 'eventType eq "user.account.lock"' });
    expect(r1.incidents).toHaveLength(2);
    const old = JSON.parse(JSON.stringify(r1.lastRun)) as FetchLastRun;
    delete old.latestPublished;
    delete old.latestSeen;
    old.seen = [];
    old.historyStart = new Date(t0 - DAY).toISOString();
    w.lastRun = old;
    w.clock.advance(60_000);
    const r2 = await w.cycle();
    expect(r2.lastRun.historyStart).toBe(new Date(t0 - DAY).toISOString());
    expect(w.model.requests.at(-2)!.searchParams.get('since')).toBe(new Date(t0 - DAY).toISOString());
    expect(r2.lastRun.reset?.detail).toMatch(/continues from /);
  });

  test('a changed org still starts a new history from first_fetch', async () => {
    const w = world();
    w.model.add(2);
    await w.cycle();
    const moved = { ...(w.lastRun as FetchLastRun), org: 'https://old.okta.com', fingerprint: 'y', latestPublished: new Date(w.clock.now()).toISOString() };
    w.lastRun = moved;
    w.clock.advance(60_000);
    const r = await w.cycle();
    expect(r.lastRun.reset?.reason).toBe('org_changed');
    expect(r.warnings.join('\n')).toMatch(/Okta org changed.*starting a new fetch history from first_fetch/);
    expect(w.model.requests.at(-2)!.searchParams.get('since')).toBe(new Date(w.clock.now() - 3 * DAY).toISOString());
    expect(r.incidents).toHaveLength(2);
  });

  test('a lastRun of another org is not followed (its cursor never receives our token)', async () => {
    const w = world();
    const other = nock('https://other.okta.com').get(/.*/).reply(200, []);
    const foreign: FetchLastRun = {
      version: 1,
      org: 'https://other.okta.com',
      fingerprint: 'x',
      cursor: 'https://other.okta.com/api/v1/logs?after=abc',
      seen: [],
      historyStart: '2026-11-01T00:00:00.000Z',
      caughtUp: true,
      fetched: 0,
    };
    w.lastRun = foreign;
    const r = await w.cycle();
    expect(r.lastRun.reset?.reason).toBe('org_changed');
    expect(other.isDone()).toBe(false);
    expect(w.model.requests[0]!.searchParams.has('since')).toBe(true);
  });

  test('a tampered cursor (other host, other path, a bounded query) starts a new history and is never requested', async () => {
    for (const cursor of ['https://evil.example/api/v1/logs?after=x', `${ORG}/api/v1/users?after=x`, `${ORG}/api/v1/logs?since=2026-11-01T00:00:00Z&until=2026-11-02T00:00:00Z`]) {
      const w = world();
      const evil = nock('https://evil.example').get(/.*/).reply(200, []);
      const first = await w.cycle();
      w.lastRun = { ...(first.lastRun as object), cursor };
      const r = await w.cycle();
      expect(r.lastRun.reset?.reason).toBe('invalid_last_run');
      expect(evil.isDone()).toBe(false);
      expect(w.model.requests.every((u) => !u.searchParams.has('until'))).toBe(true);
    }
  });

  test('garbage or an XSOAR IAM lastRun starts a new history with a warning; {} is a quiet first run', async () => {
    for (const lr of ['not json', [1, 2], { last_run_time: '2026-11-01T00:00:00Z', last_run_full_url: `${ORG}/api/v1/logs?after=x` }]) {
      const w = world();
      w.lastRun = lr;
      const r = await w.cycle();
      expect(r.lastRun.reset?.reason).toBe('invalid_last_run');
      expect(r.warnings).toHaveLength(1);
    }
    const w = world();
    const r = await w.cycle();
    expect(r.lastRun.reset).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });
});

describe('safety', () => {
  test('a next link to another host is refused; nothing is sent there and the cursor does not move', async () => {
    nock.cleanAll();
    const evil = nock('https://evil.example').get(/.*/).reply(200, []);
    const ev = { uuid: 'u-1', published: '2026-11-22T11:00:00.000Z', eventType: 'user.account.lock', severity: 'WARN' };
    const scope = nock(ORG, { reqheaders: { authorization: `SSWS ${TOKEN}` } })
      .get('/api/v1/logs')
      .query(true)
      .reply(200, [ev], { link: '<https://evil.example/api/v1/logs?after=x>; rel="next"' });
    await expect(fetchIncidents(params(), {}, {})).rejects.toThrow(/refused to send credentials to https:\/\/evil.example/);
    scope.done();
    expect(evil.isDone()).toBe(false);
  });

  test('OAuth without okta.logs.read is refused before any request', async () => {
    await expect(fetchIncidents({ url: ORG, client_id: '0oa1', private_key: 'x'.repeat(40), scopes: 'okta.users.read' }, {})).rejects.toThrow(/needs the Okta API scope okta.logs.read/);
  });

  test('warnings and errors never carry the API token', async () => {
    const w = world();
    w.model.add(1001);
    w.model.failAfter(1, { status: 500, body: { errorCode: 'E0000009', errorSummary: `echo SSWS ${TOKEN}`, errorCauses: [] }, times: 9 });
    const r = await w.cycle({ max_fetch: 2000, max_retries: 0 });
    expect(r.stop).toBe('error');
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });
});
