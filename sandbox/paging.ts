/** Cursor paging and `Link` headers the way Okta does them (two separate `link` headers). */
import { oktaError } from './errors.js';
import type { RouteRequest } from './router.js';

/** `limit`: an integer; clamped to [1, max]; `dflt` when absent. Non-numbers are a 400. */
export function parseLimit(query: URLSearchParams, dflt: number, max: number): number {
  const raw = query.get('limit');
  if (raw === null || raw === '') return dflt;
  if (!/^-?\d+$/.test(raw)) throw oktaError(400, 'E0000001', 'Api validation failed: limit', ['limit: The limit must be a number.']);
  const n = Number(raw);
  if (n < 1) return dflt;
  return Math.min(n, max);
}

/**
 * One page of `items` (already in list order) after the item whose id is `after`. The cursor
 * is the last returned id, placed by creation ordinal so it survives deletions.
 */
export function pageAfter<T>(items: readonly T[], idOf: (t: T) => string, ordinalOf: (id: string) => number | undefined, after: string | null, limit: number): { page: T[]; nextAfter?: string } {
  let start = 0;
  if (after) {
    const ord = ordinalOf(after);
    if (ord === undefined) throw oktaError(400, 'E0000029', 'Invalid paging request.');
    start = items.findIndex((t) => (ordinalOf(idOf(t)) ?? -1) > ord);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return more && page.length ? { page, nextAfter: idOf(page[page.length - 1]!) } : { page };
}

/** `Link: <self>; rel="self"` and, when there is a next page, `Link: <…after=…>; rel="next"`. */
export function linkHeaders(req: Pick<RouteRequest, 'url'>, nextAfter: string | undefined, drop: string[] = []): string[] {
  const links = [`<${req.url}>; rel="self"`];
  if (nextAfter !== undefined) {
    const u = new URL(req.url);
    const params = new URLSearchParams(u.search);
    params.delete('after');
    for (const d of drop) params.delete(d);
    params.set('after', nextAfter);
    links.push(`<${u.origin}${u.pathname}?${params.toString()}>; rel="next"`);
  }
  return links;
}
