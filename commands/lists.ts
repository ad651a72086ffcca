import type { CommandResult } from '../integration/engine/results.js';
import type { Collected } from '../integration/okta/paging.js';

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
