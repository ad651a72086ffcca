/**
 * Signs a person in to the sandbox org over plain HTTP, as a browser would (tests, and tools
 * that drive `okta-soar login --no-browser`): opens the /oauth2/v1/authorize URL, submits the
 * sign-in form, and reports where Okta sent the browser. The device flow's /activate form too.
 */

export interface SignInResult {
  /** The status of the last answer: 302 when the browser was sent back to the client. */
  status: number;
  /** Where the browser was sent (the redirect URI with `code` and `state`, or `error`). */
  location?: string;
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
  /** The message the page showed instead (wrong password, Okta's error page for a bad client or redirect URI …). */
  pageError?: string;
}

export interface SignInCredentials {
  username: string;
  password: string;
}

function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

/** The text of the element with this id (our own pages: no nesting inside these elements). */
function elementText(page: string, id: string): string | undefined {
  const m = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(page);
  return m ? decodeEntities(m[1]!) : undefined;
}

/** Hidden and text inputs of a form, by name. */
function formInputs(page: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="(?:hidden|text)"[^>]*\bname="([^"]*)" value="([^"]*)"/g)) out[decodeEntities(m[1]!)] = decodeEntities(m[2]!);
  return out;
}

function pageError(page: string): string | undefined {
  const code = elementText(page, 'okta-error-code');
  if (code !== undefined) return `${code}: ${elementText(page, 'okta-error-description') ?? ''}`;
  return elementText(page, 'okta-signin-error');
}

/** Reads the authorization response from a redirect (query or fragment) or a form_post page. */
function fromRedirect(status: number, location: string | undefined, page?: string): SignInResult {
  let params: URLSearchParams | undefined;
  if (location !== undefined) {
    const u = new URL(location);
    params = u.hash.length > 1 ? new URLSearchParams(u.hash.slice(1)) : u.searchParams;
  } else if (page !== undefined) {
    params = new URLSearchParams(formInputs(page));
    location = /<form id="okta-form-post"[^>]*action="([^"]*)"/.exec(page)?.[1];
    if (location !== undefined) location = decodeEntities(location);
  }
  const get = (k: string) => params?.get(k) ?? undefined;
  const r: SignInResult = { status };
  if (location !== undefined) r.location = location;
  for (const [key, name] of [
    ['code', 'code'],
    ['state', 'state'],
    ['error', 'error'],
    ['errorDescription', 'error_description'],
  ] as const) {
    const v = get(name);
    if (v !== undefined) r[key] = v;
  }
  return r;
}

async function answer(res: Response): Promise<{ status: number; location?: string; page: string }> {
  const page = await res.text();
  const location = res.headers.get('location') ?? undefined;
  return { status: res.status, page, ...(location !== null && location !== undefined ? { location } : {}) };
}

/**
 * Opens `authorizeUrl` and signs in with the sandbox's sign-in form. Resolves with the redirect
 * (code and state, or error=access_denied for a user not assigned to the app), or with the page's
 * message when there was no redirect (wrong password: status 401; Okta's error page: 400).
 */
export async function signInOverHttp(authorizeUrl: string, creds: SignInCredentials): Promise<SignInResult> {
  const first = await answer(await fetch(authorizeUrl, { redirect: 'manual' }));
  if (first.status === 302) return fromRedirect(first.status, first.location);
  const oktaKey = formInputs(first.page).okta_key;
  if (first.status !== 200 || oktaKey === undefined) return { status: first.status, ...optional('pageError', pageError(first.page)) };
  const form = new URLSearchParams({ okta_key: oktaKey, username: creds.username, password: creds.password });
  const res = await fetch(new URL('/login/sign-in', authorizeUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  });
  const second = await answer(res);
  if (second.status === 302) return fromRedirect(second.status, second.location);
  if (second.status === 200 && second.page.includes('id="okta-form-post"')) return fromRedirect(second.status, undefined, second.page);
  return { status: second.status, ...optional('pageError', pageError(second.page)) };
}

export interface ActivationResult {
  status: number;
  /** True when the device was allowed (its poll will get tokens). */
  activated: boolean;
  /** The page's heading or message. */
  message?: string;
}

/**
 * Enters a device flow's user code on the sandbox's /activate page and signs in there.
 * `verificationUri` is the `verification_uri` (or `verification_uri_complete`) Okta returned.
 */
export async function activateDeviceOverHttp(
  verificationUri: string,
  input: SignInCredentials & { userCode: string; decision?: 'allow' | 'deny' },
): Promise<ActivationResult> {
  const url = new URL(verificationUri);
  url.search = '';
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_code: input.userCode, username: input.username, password: input.password, decision: input.decision ?? 'allow' }),
    redirect: 'manual',
  });
  const { status, page } = await answer(res);
  const activated = page.includes('id="okta-device-activated"');
  const message = elementText(page, 'okta-signin-error') ?? elementText(page, 'okta-device-activated') ?? elementText(page, 'okta-device-denied');
  return { status, activated, ...optional('message', message) };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
