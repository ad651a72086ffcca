import type { CommandContext } from '../integration/engine/command.js';
import { SoarError } from '../integration/base/errors.js';
import { mapBounded } from '../integration/okta/semaphore.js';
import { tableToMarkdown, type CommandResult } from '../integration/engine/results.js';
import { describeRef, userRefsFromArgs, type UserRef } from './common.js';

export interface BulkRow {
  /** The user acted on (id when known). */
  UserID?: string;
  Username?: string;
  Action: string;
  /** "done", "already <state>", or the error message. */
  Result: string;
  ok: boolean;
}

/**
 * Runs `one` for every user named by the bulk arguments (comma-separated lists), with
 * bounded concurrency, and reports one row per user. A failure for one user does not stop
 * the others; it becomes an error entry of its own so the exit status says something failed.
 */
export async function forEachUser(
  ctx: CommandContext,
  action: string,
  contextPath: string,
  one: (ref: UserRef) => Promise<Omit<BulkRow, 'ok' | 'Action'> & { ok?: boolean }>,
): Promise<CommandResult[]> {
  const refs = userRefsFromArgs(ctx.args);
  let done = 0;
  const rows = await mapBounded(refs, Math.min(ctx.config.maxConcurrency, 8), async (ref): Promise<BulkRow> => {
    try {
      const r = await one(ref);
      return { Action: action, ...r, ok: r.ok ?? true };
    } catch (e) {
      const msg = e instanceof SoarError ? e.message : `internal error: ${(e as Error).message}`;
      return { Action: action, Username: ref.username ?? ref.userEmail, UserID: ref.userId, Result: msg, ok: false };
    } finally {
      done++;
      if (refs.length > 1) ctx.progress(done, refs.length, 'users');
    }
  });
  const table = rows.map(({ ok: _ok, ...r }) => r);
  const failed = rows.filter((r) => !r.ok);
  const title = refs.length === 1 ? `Okta ${action}: ${describeRef(refs[0]!)}` : `Okta ${action}: ${rows.length - failed.length} of ${rows.length} users done`;
  const results: CommandResult[] = [
    {
      readable: tableToMarkdown(title, table, ['Username', 'UserID', 'Action', 'Result']),
      raw: table,
      context: { [`${contextPath}(val.UserID && val.UserID === obj.UserID && val.Action === obj.Action)`]: table },
    },
  ];
  for (const f of failed) results.push({ readable: `${ctx.command.name}: ${f.Username ?? f.UserID}: ${f.Result}`, error: true });
  return results;
}
