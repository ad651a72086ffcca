import type { Entry } from './types.js';
import type { RateLimitSnapshot } from '../okta/types.js';

/** What a handler returns: readable text, the raw Okta data, and XSOAR context. */
export interface CommandResult {
  /** Markdown for analysts. */
  readable: string;
  /** The raw Okta response (entry Contents). */
  raw?: unknown;
  /** Context keyed by XSOAR path with merge key, e.g. `Account(val.ID && val.ID === obj.ID)`. */
  context?: Record<string, unknown>;
  /** A per-item failure inside a bulk command: becomes an error entry. */
  error?: boolean;
  /**
   * Secret values the analyst explicitly asked to see (a temporary password with
   * hide_password=false, a reset link with reveal_url=true): the redaction layer leaves exactly
   * these as they are. Anything secret not listed here is masked.
   */
  reveal?: string[];
}

/** `Account(val.ID && val.ID === obj.ID)`: XSOAR's merge-key spelling. */
export function contextKey(path: string, key: string): string {
  return `${path}(val.${key} && val.${key} === obj.${key})`;
}

export const METADATA_KEY = 'Okta.Metadata(true)';

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s: string;
  if (Array.isArray(v)) s = v.map((x) => (typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x))).join(', ');
  else if (typeof v === 'object') s = JSON.stringify(v);
  else s = String(v);
  // Nearly every cell has nothing to escape: three searches instead of three replacements.
  if (s.indexOf('\\') < 0 && s.indexOf('|') < 0 && s.indexOf('\n') < 0) return s;
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** XSOAR's tableToMarkdown: a `### title` and a pipe table; an empty list says so. */
export function tableToMarkdown(title: string, rows: Record<string, unknown>[] | Record<string, unknown>, headers?: string[]): string {
  const list = Array.isArray(rows) ? rows : [rows];
  let md = title ? `### ${title}\n` : '';
  if (!list.length) return md + '**No entries.**\n';
  const cols = headers ?? [...new Set(list.flatMap((r) => Object.keys(r)))];
  md += `|${cols.map(cell).join('|')}|\n|${cols.map(() => '---').join('|')}|\n`;
  for (const r of list) md += `|${cols.map((c) => cell(r[c])).join('|')}|\n`;
  return md;
}

export function resultEntry(r: CommandResult, rate?: RateLimitSnapshot): Entry {
  if (r.error) return errorEntry(r.readable);
  const ctx: Record<string, unknown> = { ...(r.context ?? {}) };
  if (rate && Object.keys(rate).length) ctx[METADATA_KEY] = rate;
  const entry: Entry = {
    Type: 1,
    ContentsFormat: 'json',
    Contents: r.raw ?? r.context ?? {},
    HumanReadable: r.readable,
  };
  if (Object.keys(ctx).length) entry.EntryContext = ctx;
  return entry;
}

/**
 * An error entry: one paragraph (contract §4). Line breaks and other control characters that
 * an untrusted value may have carried into the message are flattened, so no error can pass
 * for a stack trace or forge further lines in a log.
 */
export function errorEntry(message: string): Entry {
  const text = String(message)
    .split(/[\r\n\u2028\u2029]+/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return { Type: 4, ContentsFormat: 'text', Contents: text, HumanReadable: text };
}
