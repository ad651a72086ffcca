import type { OktaClient, OktaRequest, OktaResponse } from './types.js';
import { keepJsonText, type TextPage } from '../base/json-text.js';
import { redactSealed, sealParsed } from '../base/redact.js';
import { withPageLimit } from './url.js';

/** Who reads a list: the client, and where progress is reported (a command's context is one). */
export interface ListReader {
  okta: OktaClient;
  progress(done: number, total?: number, label?: string): void;
  /** Keep the JSON text of the lists collected, for a face that writes JSON (see json-text.ts). */
  keepJsonText?: boolean;
}

export interface Collected<T> {
  items: T[];
  /** Okta's `after` cursor continuing exactly after the last item returned (undefined at the end). */
  after?: string;
  /** Pages requested. */
  pages: number;
  /** More items were received than `limit` (a server that ignores `limit`): there is no exact cursor. */
  more?: boolean;
}

/** One page of a list as `pagesOf` hands it over. */
export interface ListPage<T> {
  /** The page's items, cut so that no more than `limit` items are handed over in all. */
  items: T[];
  /** Okta's `after` cursor continuing exactly after this page's last item (undefined: at the end, or no exact cursor). */
  after?: string;
  /** The page was cut at `limit` (a server that ignored `limit`): there is no exact cursor. */
  cut?: boolean;
  /** The JSON text the items were parsed from (they are all of its list, or its first ones), when known. */
  text?: string;
}

/** Lets a request that was just handed to the transport reach the socket (it goes through a few promise steps). */
const letItGo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The longest a page is held back for its successor's request to reach the transport. The rate
 * budget in a state directory or Redis takes a few turns of the event loop (a lock, a read, a
 * write) that a page's synchronous parse would otherwise delay until it ends, so the read ahead
 * would leave only after the parse; a budget that makes the request wait (its window is used up)
 * must not hold the page back, hence the cap.
 */
const WIRE_WAIT_MS = 25;

/** Starts a request and resolves when it reaches the transport (`onWire`), settles, or WIRE_WAIT_MS pass, whichever is first. */
function untilOnWire(start: (onWire: () => void) => Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, WIRE_WAIT_MS);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    void start(done).then(done, done);
  });
}

/**
 * The pages of a list, up to `limit` items, following Okta's `next` links (never rebuilt: only a
 * page's `limit` is lowered, so cursors continue exactly after the last item handed over). Ends at
 * `limit`, at the end of the list, or with an empty page (System Log polling queries always carry
 * a next link), which is handed over too.
 *
 * Pages are requested one after another, never two at once, but a page known not to be empty (the
 * client says so without parsing it) has its successor requested before it is parsed, sized as if
 * it were full: parsing the page, and whatever the caller does with it, overlaps Okta's work on
 * the next one. A page that turns out short only means a smaller next page: no request is sent
 * that the one-at-a-time walk would not have sent.
 */
export async function* pagesOf<T>(okta: OktaClient, first: OktaRequest, limit: number, pageMax: number, opts: { sendLimit?: boolean } = {}): AsyncGenerator<ListPage<T>, void, undefined> {
  // Some lists (a user's groups) take no `limit`: Okta decides the page size, we cut at `limit`.
  const sendLimit = opts.sendLimit !== false;
  /** The page size wanted once `have` items are in. */
  const sizeAfter = (have: number) => Math.min(pageMax, limit - have);
  const req: OktaRequest = sendLimit ? { ...first, query: { ...first.query, limit: sizeAfter(0) } } : first;
  /** Okta's next link, its page size lowered so the page ends where the caller's limit does. */
  const nextPage = (nextUrl: string, have: number) => (sendLimit && sizeAfter(have) < pageMax ? withPageLimit(nextUrl, sizeAfter(have)) : nextUrl);
  let res = await okta.request<T[]>(req);
  /** The page size the request `res` answers asked for (undefined: Okta decided). */
  let asked = sendLimit ? sizeAfter(0) : undefined;
  let have = 0;
  /** Cancels the page read ahead when nobody will read it (the caller stopped, or this page ended the walk). */
  let unwanted: AbortController | undefined;
  /** That page's request, settled before the walk returns: nothing is left running behind the caller. */
  let inFlight: Promise<unknown> | undefined;
  try {
    for (;;) {
      // Ask for the next page now when it will be wanted even if this one is full.
      let ahead: Promise<OktaResponse<T[]>> | undefined;
      let aheadSize: number | undefined;
      if (res.nextUrl && res.emptyList === false && asked !== undefined && have + asked < limit) {
        aheadSize = sizeAfter(have + asked);
        const signal = (unwanted = new AbortController()).signal;
        const url = nextPage(res.nextUrl, have + asked);
        await untilOnWire((onWire) => {
          ahead = okta.requestUrl<T[]>('GET', url, { signal, onWire });
          // Awaited below; if this page ends the walk instead, its failure must not go unhandled.
          return (inFlight = ahead.catch(() => undefined));
        });
        await letItGo();
      }
      const data = res.data;
      const list = Array.isArray(data) ? (data as T[]) : [];
      const cut = have + list.length > limit;
      const items = cut ? list.slice(0, limit - have) : list;
      have += items.length;
      const page: ListPage<T> = { items };
      if (Array.isArray(data) && res.text !== undefined) page.text = res.text;
      if (cut) page.cut = true;
      // A server that ignored `limit` leaves no exact cursor: say nothing rather than skip items.
      else if (res.nextUrl && list.length > 0) {
        const after = new URL(res.nextUrl).searchParams.get('after');
        if (after) page.after = after;
      }
      const more = have < limit && res.nextUrl !== undefined && list.length > 0;
      yield page;
      if (!more || !res.nextUrl) return;
      if (ahead) {
        res = await ahead;
        unwanted = undefined;
        inFlight = undefined;
        asked = aheadSize;
      } else {
        res = await okta.requestUrl<T[]>('GET', nextPage(res.nextUrl, have));
        asked = sendLimit ? sizeAfter(have) : undefined;
      }
    }
  } finally {
    unwanted?.abort();
    await inFlight;
  }
}

/**
 * Collects up to `limit` items of a list (see `pagesOf`), with the cursor that continues exactly
 * after the last of them. Each page is redacted and sealed as it arrives, while the next one is on
 * its way: the entry's last redaction pass then finds these items clean instead of walking them
 * all at the end. A page whose JSON text passes the redaction gate (nearly every page) is sealed
 * without being walked.
 */
export async function collect<T>(ctx: ListReader, first: OktaRequest, limit: number, pageMax: number, opts: { sendLimit?: boolean } = {}): Promise<Collected<T>> {
  const items: T[] = [];
  let pages = 0;
  let last: ListPage<T> | undefined;
  /** The pages' texts, while every page so far passed the redaction gate under one generation of secrets. */
  let texts: TextPage[] | undefined = ctx.keepJsonText ? [] : undefined;
  let gatedUnder: number | undefined;
  for await (const page of pagesOf<T>(ctx.okta, first, limit, pageMax, opts)) {
    // Said when a second page arrives, and after each one from then on: a one-page list says nothing.
    if (++pages > 1) ctx.progress(items.length, limit, 'items');
    if (page.text === undefined) {
      texts = undefined;
      for (const item of redactSealed(page.items)) items.push(item);
    } else {
      const { value, gated } = sealParsed(page.items, page.text);
      // A page cut short holds fewer items than its text.
      if (gated === undefined || page.cut || (gatedUnder !== undefined && gated !== gatedUnder)) texts = undefined;
      gatedUnder = gated;
      texts?.push({ items: value, text: page.text });
      for (const item of value) items.push(item);
    }
    last = page;
  }
  if (texts?.length && gatedUnder !== undefined) keepJsonText(items, texts, gatedUnder);
  if (pages > 1) ctx.progress(items.length, limit, 'items');
  const out: Collected<T> = { items, pages };
  if (last?.cut) out.more = true;
  if (last?.after) out.after = last.after;
  return out;
}
