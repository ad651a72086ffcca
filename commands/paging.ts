import type { CommandContext } from '../integration/command.js';
import type { OktaRequest } from '../integration/okta/types.js';

export interface Collected<T> {
  items: T[];
  /** Okta's `after` cursor continuing exactly after the last item returned (undefined at the end). */
  after?: string;
  /** Pages requested. */
  pages: number;
  /** More items were received than `limit` (a server that ignores `limit`): there is no exact cursor. */
  more?: boolean;
}

/** Okta's `next` link with only its page size lowered, so the page ends where the caller's limit does. */
function withLimit(nextUrl: string, limit: number): string {
  const u = new URL(nextUrl);
  u.searchParams.set('limit', String(limit));
  return u.toString();
}

/**
 * Collects up to `limit` items, following Okta's `next` links (never rebuilt: only the last
 * page's `limit` is lowered), so the returned cursor continues exactly after the last item.
 * Stops at `limit`, at the end of the list, or on an empty page (System Log polling queries
 * always carry a next link).
 */
export async function collect<T>(ctx: CommandContext, first: OktaRequest, limit: number, pageMax: number, opts: { sendLimit?: boolean } = {}): Promise<Collected<T>> {
  // Some lists (a user's groups) take no `limit`: Okta decides the page size, we cut at `limit`.
  const sendLimit = opts.sendLimit !== false;
  const req: OktaRequest = sendLimit ? { ...first, query: { ...first.query, limit: Math.min(limit, pageMax) } } : first;
  let res = await ctx.okta.request<T[]>(req);
  const items: T[] = [...(Array.isArray(res.data) ? res.data : [])];
  let pages = 1;
  while (items.length < limit && res.nextUrl && Array.isArray(res.data) && res.data.length > 0) {
    const remaining = limit - items.length;
    ctx.progress(items.length, limit, 'items');
    res = await ctx.okta.requestUrl<T[]>('GET', sendLimit && remaining < pageMax ? withLimit(res.nextUrl, remaining) : res.nextUrl);
    pages++;
    if (Array.isArray(res.data)) items.push(...res.data);
  }
  if (pages > 1) ctx.progress(items.length, limit, 'items');
  const cut = items.length > limit;
  const out: Collected<T> = { items: cut ? items.slice(0, limit) : items, pages };
  if (cut) out.more = true;
  // A server that ignored `limit` leaves no exact cursor: say nothing rather than skip items.
  if (!cut && res.nextUrl && Array.isArray(res.data) && res.data.length > 0) {
    const after = new URL(res.nextUrl).searchParams.get('after');
    if (after) out.after = after;
  }
  return out;
}
