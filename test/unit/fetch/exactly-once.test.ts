/**
 * fetch-incidents, run after run: every System Log event once (contract §5), with the polling
 * query of reference/okta-api.md §2.3.
 */
import fc from 'fast-check';
import { defaultRules } from '../../../integration/fetch/rules/index.js';
import type { FetchLastRun } from '../../../integration/fetch/index.js';
import { drain, expectExactlyOnce, ORG, setupNock, world } from './harness.js';

setupNock();

const DAY = 86_400_000;

describe('the polling query', () => {
  test('first cycle: open ascending query from first_fetch with the default rules\' filter; the next link becomes the cursor', async () => {
    const w = world();
    w.model.add(3);
    const r = await w.cycle();
    const first = w.model.requests[0]!;
    expect(first.origin + first.pathname).toBe(`${ORG}/api/v1/logs`);
    expect(Object.fromEntries(first.searchParams)).toEqual({
      since: new Date(w.clock.now() - 3 * DAY).toISOString(),
      sortOrder: 'ASCENDING',
      limit: '1000',
      // The event types the default rules read (no fetch_rules, no fetch_query_filter).
      filter: defaultRules().logFilter(),
    });
    expect(first.searchParams.has('until')).toBe(false);
    // The second request is Okta's next link exactly as sent (no rebuilding), and it was empty.
    expect(w.model.requests).toHaveLength(2);
    expect(w.model.requests[1]!.searchParams.get('after')).toBe(Buffer.from('p3').toString('base64url'));
    expect(r.incidents).toHaveLength(3);
    expect(r.stop).toBe('caught_up');
    const lr = r.lastRun;
    expect(lr.cursor).toBe(w.model.requests[1]!.toString());
    expect(lr).toMatchObject({ version: 1, org: ORG, caughtUp: true, fetched: 3, historyStart: new Date(w.clock.now() - 3 * DAY).toISOString() });
    expect(lr.reset).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });

  test('limit is min(1000, max_fetch); fetch_query_filter narrows the rules\' filter; first_fetch may be an ISO time', async () => {
    const w = world();
    await w.cycle({ max_fetch: 50, fetch_query_filter: 'eventType eq "user.account.lock"', first_fetch: '2026-11-20T00:00:00Z' });
    expect(Object.fromEntries(w.model.requests[0]!.searchParams)).toMatchObject({
      limit: '50',
      filter: `(${defaultRules().logFilter()!}) and (eventType eq "user.account.lock")`,
      since: '2026-11-20T00:00:00.000Z',
    });
  });

  test('a new max_fetch sizes the next page: one request for 1,000 after a history started at 100, and the other way round', async () => {
    const w = world();
    w.model.add(2600);
    const a = await w.cycle({ max_fetch: 100 });
    expect(a.incidents).toHaveLength(100);
    const before = w.model.requests.length;
    const b = await w.cycle({ max_fetch: 1000 });
    expect(b.incidents).toHaveLength(1000);
    expect(w.model.requests.slice(before).map((u) => u.searchParams.get('limit'))).toEqual(['1000']);
    const mid = w.model.requests.length;
    const c = await w.cycle({ max_fetch: 50 });
    expect(w.model.requests.slice(mid).map((u) => u.searchParams.get('limit'))).toEqual(['50']);
    const rest = await drain(w, { max_fetch: 1000 });
    expect(rest).toBeGreaterThan(0);
    expect(c.incidents).toHaveLength(50);
    expectExactlyOnce(w);
  });

  test('first_fetch beyond the 90-day retention starts at the retention edge, with a warning', async () => {
    const w = world();
    const r = await w.cycle({ first_fetch: '200 days' });
    expect(w.model.requests[0]!.searchParams.get('since')).toBe(new Date(w.clock.now() - 90 * DAY).toISOString());
    expect(r.warnings.join('\n')).toMatch(/90-day retention/);
  });

  test('a cycle ends on an empty page, also with no events at all; the empty page’s next link is kept', async () => {
    const w = world();
    const r1 = await w.cycle();
    expect(r1.incidents).toEqual([]);
    expect(r1.stop).toBe('caught_up');
    expect(w.model.requests).toHaveLength(1);
    const r2 = await w.cycle();
    expect(w.model.requests[1]!.toString()).toBe(r1.lastRun.cursor);
    expect(r2.lastRun.cursor).toBe(r1.lastRun.cursor);
  });
});

describe('exactly once', () => {
  test('events sharing one millisecond across pages and cycles', async () => {
    const w = world();
    const t = w.clock.now();
    w.model.add(2500, { publishedMs: t });
    const cycles = await drain(w);
    expect(cycles).toBe(3);
    expectExactlyOnce(w);
  });

  test('events persisted late (published before events already returned) still come', async () => {
    const w = world();
    w.model.add(10);
    await w.cycle();
    w.clock.advance(60_000);
    // Published an hour ago, persisted only now: behind the newest published time already fetched.
    const late = w.model.add(5, { publishedMs: w.clock.now() - 3_600_000 });
    const r = await w.cycle();
    expect(r.incidents.map((i) => i.dbotMirrorId)).toEqual(late.map((e) => e.uuid));
    expect(r.incidents[0]!.occurred < r.lastRun.latestPublished!).toBe(true);
    expectExactlyOnce(w);
  });

  test('max_fetch splits a page: the cursor stays on it, the returned head is skipped next time', async () => {
    const w = world();
    await w.cycle(); // history with limit=1000
    const evs = w.model.add(3000);
    const sizes: number[] = [];
    const first: string[] = [];
    const last: string[] = [];
    const seen: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const before = w.model.requests.length;
      const r = await w.cycle({ max_fetch: 1200 });
      sizes.push(r.incidents.length);
      const urls = w.model.requests.slice(before).map(String);
      first.push(urls[0]!);
      last.push(urls.at(-1)!);
      seen.push((w.lastRun as FetchLastRun).seen);
      if (i < 2) expect(r.stop).toBe('max_fetch');
    }
    // Pages of 1000: the first cycle stops 200 events into its second page, the second 400 into its third.
    expect(sizes).toEqual([1200, 1200, 600]);
    // The next cycle starts on the page the last one stopped in, and skips the head it returned.
    expect(first[1]).toBe(last[0]);
    expect(first[2]).toBe(last[1]);
    expect(seen[0]).toEqual(expect.arrayContaining(evs.slice(1000, 1200).map((e) => e.uuid)));
    expect(seen[1]).toEqual(expect.arrayContaining(evs.slice(2000, 2400).map((e) => e.uuid)));
    const lr = w.lastRun as FetchLastRun;
    expect(lr.caughtUp).toBe(true);
    expectExactlyOnce(w, evs);
  });

  test('max_fetch ending exactly at a page end moves the cursor to the next link', async () => {
    const w = world();
    w.model.add(1000);
    const r = await w.cycle({ max_fetch: 1000 });
    expect(r.incidents).toHaveLength(1000);
    expect(r.stop).toBe('max_fetch');
    expect(w.model.requests).toHaveLength(1);
    expect(r.lastRun.cursor).toContain(`after=${Buffer.from('p1000').toString('base64url')}`);
    expect(r.lastRun.seen).toHaveLength(100);
  });

  test('max_fetch above 1000 reads several pages in one cycle', async () => {
    const w = world();
    w.model.add(2600);
    const r = await w.cycle({ max_fetch: 2500 });
    expect(r.incidents).toHaveLength(2500);
    expect(w.model.requests).toHaveLength(3);
    expect(r.lastRun.seen.length).toBe(500 + 100); // page 3's head (500) + tail
    await w.cycle({ max_fetch: 2500 });
    expectExactlyOnce(w);
  });

  test('a filter: only matching events, the cursor still moves over the others', async () => {
    const w = world();
    const filter = 'eventType eq "user.mfa.factor.reset_all"';
    const wanted = [];
    for (let i = 0; i < 30; i++) {
      wanted.push(...w.model.add(1, { eventType: 'user.mfa.factor.reset_all' }));
      w.model.add(40, { eventType: 'user.session.start' });
    }
    await drain(w, { fetch_query_filter: filter, max_fetch: 7 });
    expectExactlyOnce(w, wanted);
  });

  test('property: any interleaving of arrivals, cycles (any max_fetch), faults and uncommitted cycles returns each event once', async () => {
    const op = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), n: fc.integer({ min: 1, max: 300 }), sameMs: fc.boolean(), lateMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7_200_000 })) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('cycle' as const), maxFetch: fc.constantFrom(1, 3, 50, 299, 1000, 1001, 2500), commit: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 120_000 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('fault' as const), after: fc.integer({ min: 0, max: 3 }), what: fc.constantFrom('429' as const, '503' as const, 'network' as const) }) },
    );
    const stats = { cycles: 0, uncommittedCycles: 0, failedCycles: 0, partialCycles: 0, events: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40, size: 'max' }), fc.constantFrom(7, 100, 1000, 1500), async (ops, firstMax) => {
        const w = world({ via: 'transport' });
        // One retry, no waiting for rate limits: faults surface as errors inside the cycle.
        const conn = { max_retries: 1, max_wait_seconds: 0 };
        await w.cycle({ max_fetch: firstMax, ...conn });
        for (const o of ops) {
          if (o.kind === 'add') {
            const t = w.clock.now() - o.lateMs;
            if (o.sameMs) w.model.add(o.n, { publishedMs: t });
            else w.model.append(Array.from({ length: o.n }, (_, i) => w.model.event({ publishedMs: t + i })));
          } else if (o.kind === 'wait') w.clock.advance(o.ms);
          else if (o.kind === 'fault') {
            // `after` good pages, then a fault that outlasts the retries.
            const fault =
              o.what === '429'
                ? { status: 429, body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' }, headers: { 'x-rate-limit-limit': '60', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil(w.clock.now() / 1000) + 3600) } }
                : o.what === '503'
                  ? { status: 503, times: 2 }
                  : { status: 0, network: true, times: 2 };
            w.model.failAfter(o.after, fault);
          } else {
            stats.cycles++;
            let r;
            try {
              r = await w.cycle({ max_fetch: o.maxFetch, ...conn }, { commit: o.commit });
            } catch {
              stats.failedCycles++; // nothing fetched: lastRun stays as it was
              continue;
            }
            if (!o.commit) stats.uncommittedCycles++;
            if (r.stop === 'error') stats.partialCycles++;
            expect(r.incidents.length).toBeLessThanOrEqual(o.maxFetch);
            expect(JSON.stringify(r.lastRun).length).toBeLessThan(50_000);
          }
        }
        w.model.clearFaults();
        stats.cycles += await drain(w, { max_fetch: 1000 });
        stats.events += w.model.events.length;
        // Committed cycles: every event exactly once. Uncommitted ones could only repeat.
        expectExactlyOnce(w);
      }),
      { numRuns: 120, seed: 20261122 },
    );
    // The scale of what this proves (numbers for the report): > 900 cycles, > 100,000 events.
    expect(stats.cycles).toBeGreaterThan(900);
    expect(stats.events).toBeGreaterThan(100_000);
    expect(stats.partialCycles).toBeGreaterThan(50);
    expect(stats.failedCycles).toBeGreaterThan(20);
    expect(stats.uncommittedCycles).toBeGreaterThan(200);
    console.log(`property: ${JSON.stringify(stats)}`);
  }, 120_000);
});
