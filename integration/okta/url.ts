import { ArgumentError, SecurityError } from '../errors.js';
import type { QueryValue } from './types.js';

/**
 * Percent-encodes one path segment. RFC 3986 pchar characters such as `@` and `:` stay as
 * they are: Okta compares DPoP `htu` with the decoded path, and logins in paths carry `@`.
 */
export function encodePathSegment(v: string): string {
  return encodeURIComponent(v).replace(/%40/g, '@').replace(/%3A/gi, ':');
}

/** Fills a path template. Each value must be one plain segment: never `.`/`..`, `/`, `\`, or control characters. */
export function fillPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => {
    const v = params[name];
    if (typeof v !== 'string' || v === '') throw new ArgumentError(`missing value for ${name}`, name, 'required');
    if (v.length > 1024) throw new ArgumentError(`${name} is too long`, name, 'maxLength');
    // eslint-disable-next-line no-control-regex
    if (v === '.' || v === '..' || /[/\\\u0000-\u001f\u007f]/.test(v) || /%2f|%5c|%2e%2e/i.test(v))
      throw new ArgumentError(`${name} must be a single identifier (no "/", "\\", ".." or control characters)`, name, 'pathSegment');
    return encodePathSegment(v);
  });
}

export function buildQuery(query: Record<string, QueryValue> = {}): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * Accepts a URL Okta gave us (a `next` link, a poll link) only on our own origin,
 * and only where the path is an API path (and matches `allowedPath` when given).
 */
export function checkOwnUrl(origin: string, url: string, allowedPath?: RegExp): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SecurityError('refused a URL that does not parse');
  }
  if (u.origin !== origin) throw new SecurityError(`refused to send credentials to ${u.origin}: only the configured Okta org (${origin}) is contacted`);
  if (u.username || u.password || u.hash) throw new SecurityError('refused a URL with credentials or a fragment');
  if (!u.pathname.startsWith('/api/v1/') || /\/\.\.?(\/|$)/.test(u.pathname) || /%2e%2e|%2f/i.test(u.pathname))
    throw new SecurityError('refused a URL outside the Okta API');
  if (allowedPath && !allowedPath.test(u.pathname)) throw new SecurityError('refused a URL that is not of the expected operation');
  return u;
}
