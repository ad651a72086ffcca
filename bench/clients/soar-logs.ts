/**
 * okta-soar reading the System Log through its library API, the way a user would:
 * - BENCH_MODE=whole: one `runCommand('okta-get-logs', {limit: N, since})` (all N events in one
 *   result, with its entry, readable table and context built, as the command returns them);
 * - BENCH_MODE=paged: `runCommand` with limit=1000 repeatedly, continuing from the returned
 *   `Okta.LogsCursor.next` (`after`), so memory stays bounded;
 * - BENCH_MODE=stream: `for await (const page of readLogs(params, {since, limit: N}))`, the
 *   library's streaming read (the counterpart of the SDK's `listLogEvents` iteration): each page
 *   redacted and handed over, nothing kept.
 */
import { readLogs, runCommand, type Entry } from '../../entry/index.js';
import { emit, fail, loadHttpLibrary, need } from './common.js';

const CURSOR_KEY = 'Okta.LogsCursor(true)';

function events(e: Entry[]): { count: number; next?: string } {
  const first = e[0];
  if (!first || first.Type !== 1) throw new Error(`okta-get-logs failed: ${String(first?.HumanReadable ?? first?.Contents)}`);
  const contents = first.Contents;
  const ctx = first.EntryContext as Record<string, { next?: string } | undefined> | undefined;
  return { count: Array.isArray(contents) ? contents.length : 0, next: ctx?.[CURSOR_KEY]?.next };
}

async function main(): Promise<void> {
  const params = { url: need('OKTA_URL'), apitoken: need('OKTA_API_TOKEN') };
  const n = Number(need('BENCH_N'));
  const since = need('BENCH_SINCE');
  const mode = process.env.BENCH_MODE ?? 'whole';
  loadHttpLibrary();
  const t0 = performance.now();
  let count = 0;
  let calls = 0;
  if (mode === 'stream') {
    for await (const page of readLogs(params, { since, limit: n })) {
      calls++;
      count += page.events.length;
    }
  } else if (mode === 'whole') {
    count = events(await runCommand('okta-get-logs', { limit: n, since }, params)).count;
    calls = 1;
  } else {
    let after: string | undefined;
    while (count < n) {
      const args: Record<string, unknown> = { limit: Math.min(1000, n - count) };
      if (after) args.after = after;
      else args.since = since;
      const got = events(await runCommand('okta-get-logs', args, params));
      calls++;
      count += got.count;
      after = got.next;
      if (!got.count || !after) break;
    }
  }
  emit({ count, ms: performance.now() - t0, extra: { [mode === 'stream' ? 'pages' : 'runCommandCalls']: calls } });
}

main().catch(fail);
