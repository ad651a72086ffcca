/**
 * The JSON text a list was read from, kept beside the list for a face that writes JSON (the CLI's
 * `--json`), which then writes that text instead of serialising the list again. For okta-get-logs
 * of 20,000 events that is 36 MB of JSON.stringify and the copy of its text, twice over (Contents
 * and the context), that the user gets nothing from: the text is what Okta sent.
 *
 * Only lists kept by `keepJsonText` have a text, and only while all of this holds:
 *  - every page passed the redaction gate (`sealParsed`): nothing in its text was to be masked,
 *    and its items are sealed (frozen all the way down), so they are still what the text says;
 *  - the list holds exactly those items, in that order (checked item by item: a list is a plain
 *    array a command could have changed);
 *  - no secret was registered since (the generation is the same), and no known value holds a
 *    quote or a backslash (`knownValuesQuotable`): the text then holds a known value only where
 *    JSON.stringify's text would.
 * The text parses to what JSON.stringify's text parses to; it may differ in escapes and white
 * space, which no JSON reader sees.
 */
import { knownValuesQuotable, secretsGeneration } from './redact.js';

/** One page: its items (the whole list it parsed to) and its text. */
export interface TextPage {
  items: readonly unknown[];
  text: string;
}

interface Kept {
  pages: TextPage[];
  generation: number;
}

const kept = new WeakMap<object, Kept>();

/**
 * Keeps `pages`' texts beside `list`, which must be their items one after another, each page's
 * text having passed the gate under `generation` (sealParsed's `gated`).
 */
export function keepJsonText(list: readonly unknown[], pages: TextPage[], generation: number): void {
  kept.set(list, { pages, generation });
}

/** Where a list's items are in its JSON text: between the brackets (undefined: not a list, or empty). */
function itemsSpan(text: string): { from: number; to: number } | undefined {
  const open = text.indexOf('[');
  const close = text.lastIndexOf(']');
  if (open < 0 || close <= open || text.slice(0, open).trim() !== '' || text.slice(close + 1).trim() !== '') return undefined;
  const inner = text.slice(open + 1, close);
  return inner.trim() === '' ? undefined : { from: open + 1, to: close };
}

/**
 * The JSON text of `value`, in pieces, when it is a list kept by `keepJsonText` and still what
 * its pages' texts say (see above); undefined otherwise (serialise it).
 */
export function jsonTextOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const k = kept.get(value);
  if (!k || k.generation !== secretsGeneration() || !knownValuesQuotable()) return undefined;
  const list = value as readonly unknown[];
  const pieces: string[] = ['['];
  let i = 0;
  for (const page of k.pages) {
    if (!Object.isFrozen(page.items)) return undefined;
    for (const item of page.items) if (list[i++] !== item) return undefined;
    if (!page.items.length) continue;
    const span = itemsSpan(page.text);
    if (!span) return undefined;
    if (pieces.length > 1) pieces.push(',');
    pieces.push(page.text.slice(span.from, span.to));
  }
  if (i !== list.length) return undefined;
  pieces.push(']');
  return pieces;
}
