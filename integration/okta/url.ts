import { ArgumentError, SecurityError, showValue } from '../base/errors.js';
import type { QueryValue } from './types.js';

/**
 * Percent-encodes one path segment. RFC 3986 pchar characters such as `@` and `:` stay as
 * they are: Okta compares DPoP `htu` with the decoded path, and logins in paths carry `@`.
 */
export function encodePathSegment(v: string): string {
  return encodeURIComponent(v).replace(/%40/g, '@').replace(/%3A/gi, ':');
}

/** A UTF-16 string without unpaired surrogates (which cannot be percent-encoded). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Decodes %XX escapes once, leaving malformed ones alone (what a lenient server or proxy would do). */
function decodeOnce(v: string): string {
  return v.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return m;
    }
  });
}

/** Why `v` cannot be one path segment, or undefined when it can. Checked as given and once decoded. */
function segmentProblem(v: string): string | undefined {
  if (LONE_SURROGATE.test(v)) return 'contains an unpaired surrogate (not valid Unicode text)';
  for (const form of [v, decodeOnce(v)]) {
    const t = form.trim();
    if (t === '.' || t === '..') return 'is a "." or ".." path segment';
    if (/[/\\]/.test(form)) return 'contains "/" or "\\"';
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f-\u009f]/.test(form)) return 'contains control characters';
  }
  return undefined;
}

/**
 * Fills a path template. Each value must be one plain segment: never `.`/`..`, `/`, `\`, or
 * control characters, neither as given nor once percent-decoded (`%2e%2e`, `%2F`, `.%2e`), so no
 * value can reach another path than the template's, whatever decodes it on the way.
 */
export function fillPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => {
    const v = params[name];
    if (typeof v !== 'string' || v === '') throw new ArgumentError(`missing value for ${name}`, name, 'required');
    if (v.length > 1024) throw new ArgumentError(`${name} is longer than 1024 characters`, name, 'maxLength');
    const problem = segmentProblem(v);
    if (problem) throw new ArgumentError(`${showValue(v, 40)} cannot be an id or login in a request path ({${name}}): it ${problem}`, name, 'pathSegment');
    return encodePathSegment(v);
  });
}

export function buildQuery(query: Record<string, QueryValue> = {}): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    const text = String(v);
    if (LONE_SURROGATE.test(text) || LONE_SURROGATE.test(k)) throw new ArgumentError(`the value for ${k} contains an unpaired surrogate (not valid Unicode text)`, k, 'unicode');
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(text)}`);
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
  if (!u.pathname.startsWith('/api/v1/') || /\/\.\.?(\/|$)/.test(u.pathname) || /%2e|%2f|%5c|%00/i.test(u.pathname))
    throw new SecurityError('refused a URL outside the Okta API');
  if (allowedPath && !allowedPath.test(u.pathname)) throw new SecurityError('refused a URL that is not of the expected operation');
  return u;
}

/**
 * Okta's `next` link with only its page size (`limit`) changed; the position (`after`) and the
 * rest stay Okta's. Returned as it is when it already asks for that size.
 */
export function withPageLimit(url: string, limit: number): string {
  const u = new URL(url);
  if (u.searchParams.get('limit') === String(limit)) return url;
  u.searchParams.set('limit', String(limit));
  return u.toString();
}
