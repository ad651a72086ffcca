import type { CommandContext } from '../integration/engine/command.js';
import { NotFoundError, OktaApiError, SoarError } from '../integration/base/errors.js';
import { mapBounded } from '../integration/okta/semaphore.js';
import { tableToMarkdown, type CommandResult } from '../integration/engine/results.js';
import { describeRef, resolveUserId, userRefsFromArgs } from './common.js';

/** One object acted on (a user, a token, a device …): what it is, and what came of it. */
export type Row = Record<string, unknown> & {
  /** "done", "already …", or the error for this object. */
  Result: string;
  ok: boolean;
};

/** The message a failure for one object shows (our errors as they are; anything else is a bug, said without a stack). */
export function failureText(e: unknown): string {
  return e instanceof SoarError ? e.message : `internal error: ${(e as Error).message}`;
}

/** The most objects worked on at once: each costs requests from Okta's shared rate limits. */
export function concurrency(ctx: CommandContext): number {
  return Math.min(ctx.config.maxConcurrency, 8);
}

/** Runs `one` for every item with bounded concurrency: each one's value, or its failure as text (never the end of the others). */
export async function eachOutcome<T, R>(ctx: CommandContext, items: T[], label: string, one: (item: T) => Promise<R>): Promise<Array<{ value: R } | { error: string }>> {
  let done = 0;
  return mapBounded(items, concurrency(ctx), async (item) => {
    try {
      return { value: await one(item) };
    } catch (e) {
      return { error: failureText(e) };
    } finally {
      done++;
      if (items.length > 1) ctx.progress(done, items.length, label);
    }
  });
}

/** `eachOutcome` with rows: a failure for one item becomes its row (from `failed`). */
export async function eachItem<T>(ctx: CommandContext, items: T[], label: string, one: (item: T) => Promise<Row>, failed: (item: T, message: string) => Row): Promise<Row[]> {
  const outcomes = await eachOutcome(ctx, items, label, one);
  return outcomes.map((o, i) => ('error' in o ? failed(items[i]!, o.error) : o.value));
}

/**
 * One table of rows (context under `contextKey`, `ok` left out) and one error entry per failed
 * row, so the exit status says something failed and which.
 */
export function rowResults(ctx: CommandContext, title: string, contextKey: string, rows: Row[], headers: string[], name: (r: Row) => unknown): CommandResult[] {
  const table = rows.map(({ ok: _ok, ...r }) => r);
  const results: CommandResult[] = [{ readable: tableToMarkdown(title, table, headers), raw: table, context: { [contextKey]: table } }];
  for (const f of rows.filter((r) => !r.ok)) results.push({ readable: `${ctx.command.name}: ${String(name(f))}: ${f.Result}`, error: true });
  return results;
}

/** Okta's 404 for `what` as a clear message; any other error unchanged. */
export function notFoundAs(e: unknown, what: string): unknown {
  return e instanceof OktaApiError && e.status === 404 ? new NotFoundError(`${what} was not found in Okta`) : e;
}

/** A user as a command names them: the id, and the login when it was looked up. */
export interface NamedUser {
  id: string;
  login?: string;
}

/**
 * Reads something for each user named by the user arguments (comma-separated lists too): the
 * items with their user, and an error entry for each user that could not be read (an unknown
 * user is Okta's 404 said plainly). The others are read all the same.
 */
export async function readEachUser<T>(ctx: CommandContext, read: (user: NamedUser) => Promise<T[]>): Promise<{ users: NamedUser[]; items: Array<{ user: NamedUser; item: T }>; failures: CommandResult[] }> {
  const refs = userRefsFromArgs(ctx.args);
  const outcomes = await eachOutcome(ctx, refs, 'users', async (ref) => {
    const user = await resolveUserId(ctx, ref);
    try {
      return { user, got: await read(user) };
    } catch (e) {
      throw notFoundAs(e, `user ${describeRef(ref)}`);
    }
  });
  // In the order the users were named, whatever order the answers came in.
  const users: NamedUser[] = [];
  const items: Array<{ user: NamedUser; item: T }> = [];
  const failures: CommandResult[] = [];
  outcomes.forEach((o, i) => {
    if ('error' in o) failures.push({ readable: `${ctx.command.name}: ${describeRef(refs[i]!)}: ${o.error}`, error: true });
    else {
      users.push(o.value.user);
      for (const item of o.value.got) items.push({ user: o.value.user, item });
    }
  });
  return { users, items, failures };
}
