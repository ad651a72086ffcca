/** A tiny HTTP client for the sandbox tests: real requests over loopback. */
import type { Sandbox } from '../../sandbox/index.js';

/** A JSON body as the tests poke at it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Reply<T = Json> {
  status: number;
  headers: Headers;
  body: T;
  links: Record<string, string>;
}

/** Parses `Link` (fetch joins repeated headers with ", "). */
export function parseLinks(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const m of header.matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) out[m[2]!] = m[1]!;
  return out;
}

export async function call<T = Json>(
  sb: Pick<Sandbox, 'url' | 'apiToken'>,
  method: string,
  pathOrUrl: string,
  opts: { body?: unknown; auth?: string | null; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : sb.url + pathOrUrl;
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'okta-soar-tests/1.0', ...opts.headers };
  const auth = opts.auth === undefined ? `SSWS ${sb.apiToken}` : opts.auth;
  if (auth !== null) headers.Authorization = auth;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, links: parseLinks(res.headers.get('link')) };
}

export const get = <T = Json>(sb: Pick<Sandbox, 'url' | 'apiToken'>, p: string, opts?: Parameters<typeof call>[3]) => call<T>(sb, 'GET', p, opts);
export const post = <T = Json>(sb: Pick<Sandbox, 'url' | 'apiToken'>, p: string, body?: unknown, opts?: Parameters<typeof call>[3]) => call<T>(sb, 'POST', p, { ...opts, body });

/** Follows rel="next" until it is missing (or `max` pages). */
export async function allPages<T = Json>(sb: Pick<Sandbox, 'url' | 'apiToken'>, first: string, max = 1000): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let next: string | undefined = first;
  let pages = 0;
  while (next && pages < max) {
    const r: Reply<T[]> = await get<T[]>(sb, next);
    if (r.status !== 200) throw new Error(`GET ${next}: ${r.status} ${JSON.stringify(r.body)}`);
    items.push(...r.body);
    pages++;
    next = r.links.next;
  }
  return { items, pages };
}

export const q = (s: string) => encodeURIComponent(s);
