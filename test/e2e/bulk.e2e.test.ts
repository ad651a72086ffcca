import { dispatch } from '../../entry/index.js';
import { MemoryStore } from '../../integration/state/store.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { sandboxParams } from './helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({
    users: 120,
    logEvents: 100,
    quiet: true,
    // A tight budget: 8 lifecycle calls and 16 look-ups per second.
    rateLimits: { 'user-write': { limit: 8, windowMs: 1000 }, user: { limit: 16, windowMs: 1000 } },
  });
});
afterAll(() => sb?.close());

function activeLogins(n: number): string[] {
  return [...sb.org.users.values()].filter((u) => u.status === 'ACTIVE').slice(0, n).map((u) => String(u.profile.login));
}

describe('bulk commands under a tight rate limit', () => {
  test('a bulk suspend of 50 users finishes with 50 rows, each user suspended once', async () => {
    const logins = activeLogins(50);
    expect(logins).toHaveLength(50);
    const before = sb.stats.status429;
    const { entries, exitCode } = await dispatch('okta-suspend-user', { username: logins.join(',') }, sandboxParams(sb, 'ssws'), { state: new MemoryStore() });
    expect(exitCode).toBe(0);
    expect(entries).toHaveLength(1);
    const rows = entries[0]!.Contents as Array<{ Username: string; Result: string }>;
    expect(rows).toHaveLength(50);
    expect(rows.map((r) => r.Username).sort()).toEqual([...logins].sort());
    expect(rows.every((r) => r.Result.startsWith('done'))).toBe(true);
    for (const l of logins) expect(sb.org.findUser(l)!.status).toBe('SUSPENDED');
    // The budget read from X-Rate-Limit-* headers waits before sending; Okta rarely has to say 429.
    expect(sb.stats.status429 - before).toBeLessThanOrEqual(4);
  }, 60_000);

  test('a partial failure is reported per user, and the exit status says so', async () => {
    const logins = activeLogins(3);
    const { entries, exitCode } = await dispatch('okta-suspend-user', { username: [...logins, 'nobody@example.com'].join(',') }, sandboxParams(sb, 'ssws'), { state: new MemoryStore() });
    expect(exitCode).toBe(1);
    const rows = entries[0]!.Contents as Array<{ Username: string; Result: string }>;
    expect(rows).toHaveLength(4);
    expect(rows.find((r) => r.Username === 'nobody@example.com')!.Result).toMatch(/not found/);
    expect(entries.slice(1).map((e) => e.Type)).toEqual([4]);
  }, 30_000);

  test('dry_run=true on a bulk command sends no change', async () => {
    const logins = activeLogins(5);
    const { entries, exitCode } = await dispatch('okta-suspend-user', { username: logins.join(','), dry_run: 'true' }, sandboxParams(sb, 'ssws'), { state: new MemoryStore() });
    expect(exitCode).toBe(0);
    expect((entries[0]!.Contents as { requests: unknown[] }).requests).toHaveLength(5);
    for (const l of logins) expect(sb.org.findUser(l)!.status).toBe('ACTIVE');
  }, 30_000);
});
