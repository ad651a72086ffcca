import type { CommandContext } from '../integration/engine/command.js';
import { ArgumentError, NotFoundError } from '../integration/base/errors.js';
import type { OktaRequest } from '../integration/okta/types.js';
import { tableToMarkdown, type CommandResult } from '../integration/engine/results.js';
import type { Collected } from '../integration/okta/paging.js';
import { notFoundAs } from './rows.js';

/**
 * What every list command adds to its result: the cursor (context and a readable line), and
 * honest notes when the list may be cut (q= searches Okta cannot page, servers ignoring limit).
 */
export function withCursor<T>(
  result: CommandResult,
  got: Collected<T>,
  cursor: { key: string; field?: string; command: string },
  notes: string[] = [],
): CommandResult {
  const context = { ...(result.context ?? {}) };
  let readable = result.readable;
  if (got.after) {
    context[cursor.key] = { [cursor.field ?? 'next']: got.after };
    readable += `\nMore results: run ${cursor.command} again with after=${got.after}\n`;
  }
  if (got.more) readable += '\nOkta returned more than asked: the list was cut at limit and has no exact cursor; raise limit to see the rest.\n';
  for (const n of notes) readable += `\n${n}\n`;
  return { ...result, readable, context };
}

/** The note for a `q=` search, which Okta answers with one page only. */
export function qNote(argName: string, alternative: string): string {
  return `Okta does not page ${argName}= (q=) searches: this list may be cut. Use ${alternative} to page through every match.`;
}

/** Exact match first; a unique case-insensitive match next; several of either is ambiguous. */
export function pickByName<T>(items: T[], name: string, names: (t: T) => Array<string | undefined>): { hit?: T; ambiguous?: T[] } {
  const exact = items.filter((t) => names(t).some((n) => n === name));
  if (exact.length === 1) return { hit: exact[0] };
  if (exact.length > 1) return { ambiguous: exact };
  const folded = items.filter((t) => names(t).some((n) => n !== undefined && n.toLowerCase() === name.toLowerCase()));
  if (folded.length === 1) return { hit: folded[0] };
  if (folded.length > 1) return { ambiguous: folded };
  return {};
}

/** A list command's whole result: the table and context of its rows (or `empty`), and the cursor. */
export function listResult<T>(got: Collected<T>, rows: Record<string, unknown>[], o: { title: string; empty: string; headers: string[]; key: string; cursorKey: string; command: string }): CommandResult {
  const result: CommandResult = rows.length
    ? { readable: tableToMarkdown(`${o.title} (${rows.length})`, rows, o.headers), raw: got.items, context: { [o.key]: rows } }
    : { readable: o.empty, raw: [] };
  return withCursor(result, got, { key: o.cursorKey, command: o.command });
}

/**
 * The object an id names (one GET; Okta's 404 said plainly), or the one an exact name names: a
 * `q=` search narrows, `pickByName` decides (never a prefix match); none or several is an error.
 */
export async function findByIdOrName<T>(
  ctx: CommandContext,
  o: { what: string; id?: string; name?: string; idArg: string; nameArg: string; get: (id: string) => OktaRequest; search: (name: string) => OktaRequest; names: (t: T) => Array<string | undefined>; describe: (t: T) => string },
): Promise<T> {
  if (o.id !== undefined) {
    try {
      return (await ctx.okta.request<T>(o.get(o.id))).data;
    } catch (e) {
      throw notFoundAs(e, `the ${o.what} ${o.id}`);
    }
  }
  if (o.name === undefined) throw new ArgumentError(`one of ${o.idArg} or ${o.nameArg} is required`, o.idArg, 'requireOneOf');
  const found: T[] = [];
  for await (const page of ctx.okta.pages<T>(o.search(o.name))) found.push(...(Array.isArray(page.data) ? page.data : []));
  const { hit, ambiguous } = pickByName(found, o.name, o.names);
  if (ambiguous) throw new ArgumentError(`several ${o.what}s are named "${o.name}" (${ambiguous.map(o.describe).join(', ')}); use ${o.idArg}`, o.nameArg, 'ambiguous');
  if (!hit) throw new NotFoundError(`the ${o.what} "${o.name}" was not found in Okta`);
  return hit;
}
