/**
 * `okta-soar login [--no-browser] [--device] [--json]` (contract §7): an analyst signs in to the
 * org authorization server with Authorization Code + PKCE (or the Device Authorization grant),
 * and the sign-in is stored for every later command (auth_method user).
 *
 * The browser comes back to OKTA_REDIRECT_URI, exactly as registered on the app (Okta matches it
 * character for character, port included), so the CLI listens on that address and port alone,
 * for one redirect, for at most login_timeout_seconds. The authorize URL always goes to stderr on
 * a line of its own (a person on a remote shell copies it). No code, verifier, token or secret is
 * ever printed or logged.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { AuthError, ConfigError, UsageError } from '../../../base/errors.js';
import { systemClock, type Clock } from '../../../base/clock.js';
import { addSecret } from '../../../base/redact.js';
import { resolveConfig } from '../../../engine/config.js';
import type { OktaConfig } from '../../../okta/config.js';
import { USER_AGENT } from '../../../okta/factory.js';
import { createTransport } from '../../../okta/transport.js';
import type { Transport } from '../../../okta/types.js';
import { generateDpopKey } from '../../../okta/auth/dpop.js';
import { authorizeRequest, identityOf, recordFrom, SignInError, UserEndpoints, SIGN_IN_SCOPES, type TokenAnswer } from '../../../okta/auth/user-endpoints.js';
import { signInLockName, SignInStore } from '../../../okta/auth/user-signin.js';
import type { StateStore } from '../../../state/store.js';
import { logErr, write, type CliIO } from '../io.js';
import { cliInstances, cliParams, stateStore, type GlobalFlags } from '../shared.js';
import { splitArgWords } from '../../../engine/args.js';
import { forInstance } from '../../../engine/dispatcher.js';

/**
 * The configuration and state of an analyst's sign-in, or a clear word about why this is not one.
 * With instances (OKTA_INSTANCES_FILE), `using=NAME` picks the org; its sign-in lives in that
 * instance's own part of the state, where its commands look for it.
 */
export async function userSetup(io: CliIO, flags: GlobalFlags, verb: string): Promise<{ cfg: OktaConfig & { clientId: string; redirectUri: string }; state: StateStore }> {
  const words = splitArgWords(flags.rest.slice(1));
  const extra = Object.keys(words.args).find((k) => k !== 'using') ?? words.positional[0];
  if (extra !== undefined) throw new UsageError(`${verb} takes no arguments but using=NAME (got ${JSON.stringify(extra.slice(0, 40))})`);
  const params = cliParams(io, flags);
  const instances = cliInstances(io, flags, params);
  const picked = forInstance(params, words.args.using, { state: await stateStore(io), ...(instances ? { instances } : {}) });
  const cfg = resolveConfig(picked.params);
  if (cfg.authMethod !== 'user' || !cfg.clientId || !cfg.redirectUri)
    throw new ConfigError(
      `okta-soar ${verb} is for analysts who sign in as themselves (auth_method user), but ${picked.instance ? `instance ${picked.instance}` : 'this configuration'} uses ${cfg.authMethod}: ` +
        "set OKTA_CLIENT_ID to the Client ID of the analysts' OIDC app without a private key or API token, or OKTA_AUTH_METHOD=user",
      'auth_method',
    );
  addSecret(cfg.clientSecret);
  return { cfg: cfg as OktaConfig & { clientId: string; redirectUri: string }, state: picked.state! };
}

export interface UserSession {
  cfg: OktaConfig & { clientId: string; redirectUri: string };
  state: StateStore;
  clock: Clock;
  transport: Transport & { close(): void };
  endpoints: UserEndpoints;
  signIns: SignInStore;
}

export async function openUserSession(io: CliIO, flags: GlobalFlags, verb: string): Promise<UserSession> {
  const { cfg, state } = await userSetup(io, flags, verb);
  const clock = io.clock ?? systemClock;
  const transport = createTransport({ proxy: cfg.proxy, insecure: cfg.insecure });
  const endpoints = new UserEndpoints({
    origin: cfg.origin,
    clientId: cfg.clientId,
    ...(cfg.clientSecret ? { clientSecret: cfg.clientSecret } : {}),
    transport,
    clock,
    state,
    dpop: cfg.dpop,
    timeoutMs: cfg.timeoutMs,
    userAgent: USER_AGENT,
    onSecret: addSecret,
  });
  return { cfg, state, clock, transport, endpoints, signIns: new SignInStore(state) };
}

export async function loginVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
  const s = await openUserSession(io, flags, 'login');
  try {
    const { cfg, endpoints, clock } = s;
    // dpop=true: one key for the whole sign-in (the refresh token is bound to it).
    const key = cfg.dpop === 'true' ? await generateDpopKey() : undefined;
    const answer = flags.flags.has('--device') ? await deviceLogin(io, s, key) : await browserLogin(io, s, key, !flags.flags.has('--no-browser'));
    const who = identityOf(answer.id_token, cfg.origin, cfg.clientId);
    const user = who.user ?? who.userId;
    if (!user) throw new SignInError('Okta sent no ID token naming the analyst (the sign-in asks for openid and profile): check the OIDC app allows them');
    const rec = recordFrom(answer, { origin: cfg.origin, clientId: cfg.clientId, user, ...(who.userId ? { userId: who.userId } : {}), signedInAt: clock.now() });
    // One analyst per app and state: another's sign-in is ended rather than left behind with a live refresh token.
    const previous = await s.signIns.currentUser(cfg.origin, cfg.clientId);
    if (previous !== undefined && previous.toLowerCase() !== user.toLowerCase()) {
      await s.state.withLock(signInLockName(cfg.origin, cfg.clientId, previous), async () => {
        const old = await s.signIns.read(cfg.origin, cfg.clientId, previous);
        if (old?.refresh_token) {
          addSecret(old.refresh_token);
          await endpoints.revoke(old.refresh_token, 'refresh_token').catch(() => undefined);
        }
        await s.signIns.forget(cfg.origin, cfg.clientId, previous);
      });
      logErr(io, `signed ${previous} out of ${cfg.origin}: ${user} signed in with this app and state`);
    }
    await s.state.withLock(signInLockName(cfg.origin, cfg.clientId, user), async () => {
      const old = await s.signIns.read(cfg.origin, cfg.clientId, user);
      await s.signIns.save(rec);
      // Signing in again: the previous sign-in's refresh token is not needed any more.
      if (old?.refresh_token && old.refresh_token !== rec.refresh_token) {
        addSecret(old.refresh_token);
        await endpoints.revoke(old.refresh_token, 'refresh_token').catch(() => undefined);
      }
    });
    const granted = rec.scope.split(/\s+/).filter(Boolean);
    const refused = cfg.scopes.filter((x) => !granted.includes(x));
    if (refused.length)
      logErr(
        io,
        `warning: Okta did not grant ${refused.join(', ')} (it drops scopes the app was not granted without a word): grant them to the analysts' OIDC app ` +
          '(Applications → <the app> → Okta API Scopes) and sign in again, or remove them from OKTA_SCOPES; commands that need them will be refused',
      );
    if (!rec.refresh_token) logErr(io, 'warning: Okta sent no refresh token (the app must allow the Refresh Token grant): you will have to sign in again in an hour');
    const okta = granted.filter((x) => !(SIGN_IN_SCOPES as readonly string[]).includes(x));
    if (flags.json) await write(io.stdout, JSON.stringify({ org: cfg.origin, user, scopes: okta, expiresAt: new Date(rec.expires_at).toISOString() }) + '\n');
    else await write(io.stdout, `Signed in to ${cfg.origin} as ${user}\n`);
    return 0;
  } finally {
    s.transport.close();
  }
}

// ---- the browser ---------------------------------------------------------------------------------

const PAGE_STYLE = 'font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;line-height:1.5';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="${PAGE_STYLE}"><h1 id="okta-soar-result">${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', Connection: 'close' });
  res.end(body);
}

/** Starts the system's browser on `url`; no browser (or a failure to start one) is fine: the URL is on stderr. */
function openBrowser(url: string, env: NodeJS.ProcessEnv): void {
  let cmd: string;
  let args: string[];
  if (process.platform === 'darwin') [cmd, args] = ['open', [url]];
  else if (process.platform === 'win32') [cmd, args] = ['rundll32', ['url.dll,FileProtocolHandler', url]];
  else {
    if (!env.DISPLAY && !env.WAYLAND_DISPLAY && !env.BROWSER) return;
    [cmd, args] = [env.BROWSER?.trim() || 'xdg-open', [url]];
  }
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    /* the URL is on stderr */
  }
}

interface Redirect {
  code: string;
  /** Answers the waiting browser (after the code exchange). */
  finish(ok: boolean, text: string): void;
}

/** Listens on the redirect URI's host and port (only) for the one redirect of this sign-in. */
function listenForRedirect(redirectUri: string, expectedState: string, timeoutMs: number, clientId: string): { ready: Promise<void>; redirect: Promise<Redirect>; close(): void } {
  const target = new URL(redirectUri);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.port || 80);
  let settle!: { resolve: (r: Redirect) => void; reject: (e: Error) => void };
  const redirect = new Promise<Redirect>((resolve, reject) => (settle = { resolve, reject }));
  let done = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let u: URL;
    try {
      u = new URL(req.url ?? '/', redirectUri);
    } catch {
      return page(res, 400, 'Bad request', 'This address only takes the sign-in redirect.');
    }
    if (req.method !== 'GET' || u.pathname !== target.pathname) return page(res, 404, 'Not found', 'This address only takes the sign-in redirect of okta-soar login.');
    if (done) return page(res, 409, 'Already answered', 'This sign-in has already been answered. You may close this window.');
    const q = u.searchParams;
    const state = q.get('state');
    const error = q.get('error');
    const code = q.get('code');
    if (state !== expectedState && (state !== null || !error)) {
      done = true;
      page(res, 400, 'Sign-in refused', 'The answer does not belong to this sign-in (state mismatch). Run okta-soar login again. You may close this window.');
      return settle.reject(
        new AuthError(
          'the redirect to okta-soar login did not carry the state of this sign-in (a stale browser tab, or a redirect this login did not start): refused. Run `okta-soar login` again.',
          'state_mismatch',
        ),
      );
    }
    if (error) {
      done = true;
      const description = (q.get('error_description') ?? '').slice(0, 300);
      page(res, 400, 'Sign-in failed', `Okta answered ${error}${description ? `: ${description}` : ''}. You may close this window.`);
      return settle.reject(new AuthError(`Okta ended the sign-in with ${error}${description ? `: ${description.replace(/\.$/, '')}` : ''}. ${redirectAdvice(error, clientId)}`, error));
    }
    if (!code) return page(res, 400, 'Bad request', 'The redirect carries neither a code nor an error.');
    done = true;
    addSecret(code);
    settle.resolve({
      code,
      finish: (ok, text) => page(res, ok ? 200 : 400, ok ? 'Signed in' : 'Sign-in failed', text),
    });
  });
  server.keepAliveTimeout = 1000;
  const ready = new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const where = `${target.hostname}:${port}`;
      if (e.code === 'EADDRINUSE')
        reject(
          new ConfigError(
            `okta-soar login cannot listen on ${where} (redirect_uri ${redirectUri}): the port is in use, by another okta-soar login or another program. ` +
              'Stop it and try again, or register another loopback redirect URI on the app and set OKTA_REDIRECT_URI to it.',
            'redirect_uri',
          ),
        );
      else if (e.code === 'EACCES') reject(new ConfigError(`okta-soar login may not listen on ${where} (EACCES): use a port above 1023 in OKTA_REDIRECT_URI (and register it on the app)`, 'redirect_uri'));
      else if (e.code === 'EADDRNOTAVAIL') reject(new ConfigError(`okta-soar login cannot listen on ${where}: this machine has no such loopback address (OKTA_REDIRECT_URI)`, 'redirect_uri'));
      else reject(new ConfigError(`okta-soar login cannot listen on ${where}: ${e.code ?? e.message}`, 'redirect_uri'));
    });
    server.listen(port, host, () => resolve());
  });
  const timer = setTimeout(() => {
    if (done) return;
    done = true;
    settle.reject(
      new AuthError(
        `no sign-in came back to ${redirectUri} within ${Math.round(timeoutMs / 1000)} s. If the browser showed an Okta error page, check that ` +
          `client_id (${clientId}) is the Client ID of the analysts' OIDC app and that ${redirectUri} is registered on that app as a Sign-in redirect URI ` +
          'exactly (character for character, port included; or set OKTA_REDIRECT_URI to the one registered). Otherwise the browser was closed ' +
          'or the sign-in not finished: run `okta-soar login` again.',
        'timeout',
      ),
    );
  }, timeoutMs);
  timer.unref();
  // Nobody may be awaiting yet when the timer or a request settles it: never an unhandled rejection.
  redirect.catch(() => undefined);
  const close = () => {
    clearTimeout(timer);
    server.close();
    // The browser's last page is on its way: idle sockets go now, busy ones a moment later.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 500).unref();
  };
  return { ready, redirect, close };
}

function redirectAdvice(error: string, clientId: string): string {
  switch (error) {
    case 'access_denied':
      return `Is the analyst assigned to the OIDC app (client ${clientId})? An Okta admin assigns analysts under Applications → <the app> → Assignments.`;
    case 'invalid_scope':
      return "Set OKTA_SCOPES to Okta API scopes (okta.<resource>.read|manage) granted to the app (its Okta API Scopes tab).";
    case 'login_required':
    case 'consent_required':
    case 'interaction_required':
      return 'Sign in in the browser, then try again.';
    case 'unauthorized_client':
      return 'The app must allow the Authorization Code grant (General Settings → Grant type).';
    default:
      return 'Check the OIDC app in Okta (grant types, PKCE, redirect URI, assignment) and run `okta-soar login` again.';
  }
}

async function browserLogin(io: CliIO, s: UserSession, key: Awaited<ReturnType<typeof generateDpopKey>> | undefined, browser: boolean): Promise<TokenAnswer> {
  const { cfg, endpoints } = s;
  const req = authorizeRequest(cfg.origin, cfg.clientId, cfg.redirectUri, cfg.scopes);
  addSecret(req.verifier);
  const timeoutMs = cfg.loginTimeoutMs ?? 300_000;
  const listener = listenForRedirect(cfg.redirectUri, req.state, timeoutMs, cfg.clientId);
  try {
    await listener.ready;
    // The URL on a line of its own, unredacted: it holds no secret (the verifier never leaves this process).
    io.stderr.write(`To sign in to ${cfg.origin}, open this address in a browser (waiting ${Math.round(timeoutMs / 1000)} s for it to come back to ${cfg.redirectUri}):\n${req.url}\n`);
    if (browser) openBrowser(req.url, io.env);
    const back = await listener.redirect;
    try {
      const answer = await endpoints.token({ grant_type: 'authorization_code', code: back.code, redirect_uri: cfg.redirectUri, code_verifier: req.verifier }, key, 'code');
      if ('pending' in answer) throw new SignInError('unexpected answer to the code exchange');
      back.finish(true, 'You are signed in to okta-soar. You may close this window.');
      return answer;
    } catch (e) {
      back.finish(false, 'okta-soar could not complete the sign-in; the terminal says why. You may close this window.');
      throw e;
    }
  } finally {
    listener.close();
  }
}

async function deviceLogin(io: CliIO, s: UserSession, key: Awaited<ReturnType<typeof generateDpopKey>> | undefined): Promise<TokenAnswer> {
  const { cfg, endpoints } = s;
  const d = await endpoints.deviceAuthorize([...SIGN_IN_SCOPES, ...cfg.scopes]);
  io.stderr.write(
    `To sign in to ${cfg.origin}, open ${d.verification_uri} on any device and enter the code ${d.user_code}\n` +
      (d.verification_uri_complete ? `${d.verification_uri_complete}\n` : ''),
  );
  return endpoints.pollDevice(d, key);
}
