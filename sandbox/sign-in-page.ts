/**
 * The sandbox org's pages for people: the sign-in form behind /oauth2/v1/authorize, the device
 * activation form (/activate), Okta-style error pages, and the form_post answer.
 *
 * Element ids and field names are stable (the end-to-end tests drive them with a headless browser
 * and with plain HTTP): they are those of Okta's sign-in widget where it has one.
 *   sign-in form  #okta-signin-form: POST /login/sign-in with okta_key (hidden), username, password
 *   activation    #okta-activate-form: POST /activate with user_code, username, password, decision=allow|deny
 *   errors        #okta-signin-error (the form's message), #okta-error-code and #okta-error-description (error page)
 */

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f4f4;margin:0}
main{max-width:360px;margin:60px auto;background:#fff;border:1px solid #ddd;border-radius:4px;padding:32px}
h1{font-size:20px;margin:0 0 8px}p.sub{color:#555;margin:0 0 20px}
label{display:block;font-weight:600;margin:14px 0 4px}input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;border:1px solid #aaa;border-radius:3px}
.actions{margin-top:20px;display:flex;gap:8px}button{padding:9px 18px;border:0;border-radius:3px;background:#1662dd;color:#fff;font-size:15px;cursor:pointer}
button.secondary{background:#777}.error{background:#fbe9e9;border:1px solid #e34843;color:#a00;padding:8px;margin:0 0 12px;border-radius:3px}
dl dt{font-weight:600;margin-top:8px}dl dd{margin:2px 0 0}`;

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
${body}
</main></body>
</html>
`;
}

function errorBox(message: string | undefined): string {
  return message ? `<p class="error" id="okta-signin-error" role="alert">${escapeHtml(message)}</p>` : '';
}

export interface SignInPageInput {
  /** The org's origin (shown as the place being signed in to). */
  org: string;
  /** The app's name. */
  appLabel: string;
  /** The sign-in transaction (hidden field okta_key). */
  oktaKey: string;
  /** Pre-filled username (login_hint, or what was typed before a failure). */
  username?: string;
  error?: string;
}

export function signInPage(i: SignInPageInput): string {
  return page(
    'Sign In',
    `<h1>Sign In</h1>
<p class="sub">to <strong>${escapeHtml(i.appLabel)}</strong> at ${escapeHtml(i.org)}</p>
${errorBox(i.error)}<form id="okta-signin-form" method="post" action="/login/sign-in" autocomplete="off">
<input type="hidden" name="okta_key" value="${escapeHtml(i.oktaKey)}">
<label for="okta-signin-username">Username</label>
<input type="text" id="okta-signin-username" name="username" value="${escapeHtml(i.username ?? '')}" autocomplete="username" autofocus>
<label for="okta-signin-password">Password</label>
<input type="password" id="okta-signin-password" name="password" autocomplete="current-password">
<div class="actions"><button type="submit" id="okta-signin-submit">Sign In</button></div>
</form>`,
  );
}

export interface ActivatePageInput {
  org: string;
  userCode?: string;
  username?: string;
  error?: string;
}

export function activatePage(i: ActivatePageInput): string {
  return page(
    'Activate your device',
    `<h1>Activate your device</h1>
<p class="sub">Enter the code shown on your device, then sign in to ${escapeHtml(i.org)}.</p>
${errorBox(i.error)}<form id="okta-activate-form" method="post" action="/activate" autocomplete="off">
<label for="okta-activate-user-code">Activation code</label>
<input type="text" id="okta-activate-user-code" name="user_code" value="${escapeHtml(i.userCode ?? '')}" autocapitalize="characters">
<label for="okta-signin-username">Username</label>
<input type="text" id="okta-signin-username" name="username" value="${escapeHtml(i.username ?? '')}" autocomplete="username">
<label for="okta-signin-password">Password</label>
<input type="password" id="okta-signin-password" name="password" autocomplete="current-password">
<div class="actions"><button type="submit" id="okta-signin-submit" name="decision" value="allow">Sign In and Allow</button>
<button type="submit" id="okta-activate-deny" name="decision" value="deny" class="secondary">Deny</button></div>
</form>`,
  );
}

export function messagePage(title: string, message: string, id: string): string {
  return page(title, `<h1 id="${escapeHtml(id)}">${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

/** Okta's error page: shown instead of a redirect when the client or the redirect URI cannot be trusted. */
export function errorPage(error: string, description: string): string {
  return page(
    'Error',
    `<h1>400 Bad Request</h1>
<p class="sub">The request could not be completed. Check the app's client id and its sign-in redirect URIs.</p>
<dl><dt>Error Code:</dt><dd id="okta-error-code">${escapeHtml(error)}</dd>
<dt>Description:</dt><dd id="okta-error-description">${escapeHtml(description)}</dd></dl>`,
  );
}

/** response_mode=form_post: the parameters posted to the redirect URI by the browser. */
export function formPostPage(redirectUri: string, params: Record<string, string>): string {
  const inputs = Object.entries(params)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  return page(
    'Submit this form',
    `<form id="okta-form-post" method="post" action="${escapeHtml(redirectUri)}">
${inputs}
<noscript><p>Script is disabled. Click Submit to continue.</p></noscript>
<div class="actions"><button type="submit">Submit</button></div>
</form>
<script>document.getElementById('okta-form-post').submit();</script>`,
  );
}
