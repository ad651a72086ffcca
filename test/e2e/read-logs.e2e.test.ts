/**
 * The library's streaming System Log read (`readLogs`) against the sandbox org over loopback:
 * every event once and in order, resumable from any page, bad input named, secrets kept out.
 */
import { readLogs, type LogPage, type LogQuery } from '../../integration/faces/library.js';
import { ArgumentError, OktaApiError } from '../../integration/base/errors.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { sandboxParams } from './helpers.js';

const DAY = 86_400_000;
const NOW = Date.now();
let sb: Sandbox;
const since = new Date(NOW - 8 * DAY).toISOString();

beforeAll(async () => {
  sb = await startSandbox({ users: 10, logEvents: 2600, quiet: true });
});
afterAll(() => sb.close());

async function all(pages: AsyncIterable<LogPage>): Promise<LogPage[]> {
  const out: LogPage[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

const logRequests = () => sb.stats.byRoute['GET /api/v1/logs'] ?? 0;

describe('readLogs', () => {
  test('hands over every event once, in order, page by page, and ends at the end of the log', async () => {
    const before = logRequests();
    const pages = await all(readLogs(sandboxParams(sb, 'ssws'), { since }));
    const uuids = pages.flatMap((p) => p.events.map((e) => e.uuid));
    expect(uuids).toHaveLength(2600);
    expect(new Set(uuids).size).toBe(2600);
    expect(uuids).toEqual(sb.org.events.map((s) => (s.event as { uuid: string }).uuid));
    expect(pages.map((p) => p.events.length)).toEqual([1000, 1000, 600]);
    // Three pages and the empty one that says the log ends here: no request more.
    expect(logRequests() - before).toBe(4);
    expect(pages.every((p) => typeof p.after === 'string')).toBe(true);
  });

  test('a page\'s `after` resumes exactly after it; `limit` stops at that many events', async () => {
    const first = await all(readLogs(sandboxParams(sb, 'ssws'), { since, limit: 1300 }));
    expect(first.map((p) => p.events.length)).toEqual([1000, 300]);
    const rest = await all(readLogs(sandboxParams(sb, 'ssws'), { after: first.at(-1)!.after! }));
    const uuids = [...first, ...rest].flatMap((p) => p.events.map((e) => e.uuid));
    expect(uuids).toEqual(sb.org.events.map((s) => (s.event as { uuid: string }).uuid));
  });

  test('works the same under OAuth with DPoP', async () => {
    const pages = await all(readLogs(sandboxParams(sb, 'dpop'), { since, limit: 1500 }));
    expect(pages.flatMap((p) => p.events)).toHaveLength(1500);
  });

  test('bad input is refused before any request, naming the argument and the rule', async () => {
    const before = sb.stats.requests;
    await expect(all(readLogs(sandboxParams(sb, 'ssws'), { since: 'the other day' }))).rejects.toMatchObject({
      constructor: ArgumentError,
      argument: 'since',
      message: expect.stringMatching(/^readLogs: .*since/),
    });
    await expect(all(readLogs(sandboxParams(sb, 'ssws'), { since, limit: 0 }))).rejects.toMatchObject({ argument: 'limit', message: expect.stringContaining('positive integer') });
    await expect(all(readLogs(sandboxParams(sb, 'ssws'), { since, sortOrder: 'SIDEWAYS' as 'ASCENDING' }))).rejects.toMatchObject({ argument: 'sortOrder' });
    await expect(all(readLogs(sandboxParams(sb, 'ssws'), { sinse: '1 day' } as unknown as LogQuery))).rejects.toThrow('readLogs: unknown argument sinse (did you mean since?)');
    await expect(all(readLogs(sandboxParams(sb, 'ssws'), '1 day' as unknown as LogQuery))).rejects.toThrow('readLogs: the query must be an object');
    expect(sb.stats.requests).toBe(before);
  });

  test('a wrong token is Okta\'s 401, and the token is not in the error', async () => {
    const token = 'wrong-token-0123456789abcdefghij';
    const err = await all(readLogs(sandboxParams(sb, 'ssws', { apitoken: token }), { since })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OktaApiError);
    expect((err as OktaApiError).status).toBe(401);
    expect(String((err as Error).message)).not.toContain(token);
    expect(JSON.stringify(err)).not.toContain(token);
  });

  test('leaving the loop early stops reading (at most the one page already asked for)', async () => {
    const before = logRequests();
    for await (const page of readLogs(sandboxParams(sb, 'ssws'), { since })) {
      expect(page.events).toHaveLength(1000);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(logRequests() - before).toBeLessThanOrEqual(2);
  });
});
