import type { CommandContext } from '../integration/engine/command.js';
import type { CommandResult } from '../integration/engine/results.js';
import { describeRef, userRefsFromArgs, type UserRef } from './common.js';
import { eachItem, rowResults } from './rows.js';

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
  const rows = await eachItem(
    ctx,
    refs,
    'users',
    async (ref) => {
      const r = await one(ref);
      return { Action: action, ...r, ok: r.ok ?? true };
    },
    (ref, message) => ({ Action: action, Username: ref.username ?? ref.userEmail, UserID: ref.userId, Result: message, ok: false }),
  );
  const failed = rows.filter((r) => !r.ok).length;
  const title = refs.length === 1 ? `Okta ${action}: ${describeRef(refs[0]!)}` : `Okta ${action}: ${rows.length - failed} of ${rows.length} users done`;
  return rowResults(ctx, title, `${contextPath}(val.UserID && val.UserID === obj.UserID && val.Action === obj.Action)`, rows, ['Username', 'UserID', 'Action', 'Result'], (f) => f.Username ?? f.UserID);
}
