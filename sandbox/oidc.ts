/**
 * The sandbox org's analyst sign-in: OIDC apps beside the service app, on the org authorization
 * server, as Okta's guide for user-based API access sets them up (seed 003): a Native app (public
 * client, PKCE) and a Web app (client_secret_post), consent-free, assigned to some users.
 *
 * It serves /oauth2/v1/authorize with a sign-in page for the org's users, the authorization_code,
 * refresh_token and device_code grants of /oauth2/v1/token (handed over by oauth-server.ts),
 * /oauth2/v1/revoke, /oauth2/v1/device/authorize with its /activate page, /oauth2/v1/userinfo,
 * /oauth2/v1/keys and /.well-known/openid-configuration. Error codes and texts are Okta's
 * (okta-developer-docs data/oauth2-error-codes.json).
 *
 * Rules (Okta's, or our documented choice where Okta is silent):
 * - A wrong client_id or redirect_uri gets Okta's own error page (HTTP 400, HTML), never a redirect.
 *   Every later error is redirected to the client with `error`, `error_description` and `state`.
 * - `state` is required: letters, digits, `,` `.` `_` `-` (at most 2048). Only S256 PKCE; both apps
 *   require it. Redirect URIs match exactly, port included.
 * - OpenID scopes (profile, email, offline_access …) need `openid`; `okta.*` scopes the app was not
 *   granted are dropped silently; other unknown scopes are refused (invalid_scope).
 * - Codes live 300 s and are single use (a second use revokes what the first one minted).
 * - Access and ID tokens live 1 h, refresh tokens 90 days (each from its issue). Refresh tokens
 *   rotate on use; the previous one still answers for the grace period (30 s) with the newest
 *   refresh token, and after that its use revokes every token of that user for that app
 *   (app.oauth2.token.detect_reuse).
 * - DPoP works with every user grant; a refresh token is bound to the key its grant was bound to.
 * - The device grant is for the Native app; polls closer than `interval` get slow_down (and
 *   `interval` grows by 5 s, RFC 8628 §3.5).
 * - Sign-in: ACTIVE users with their password; PASSWORD_EXPIRED and LOCKED_OUT users are told so;
 *   any other status, a wrong password or an unknown user gets "Unable to sign in". No lockout
 *   after failures, no MFA, no Okta session (each authorize request shows the form; prompt=none
 *   answers login_required).
 */
import { createHash, createPublicKey, generateKeyPair, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, SignJWT, type JWK } from 'jose';
import { userMay as rolesAllow } from './admin-permissions.js';
import { errors } from './errors.js';
import type { SandboxUser } from './model.js';
import type { SandboxExtraEndpoints, SandboxHttpRequest, SandboxHttpResponse } from './oauth-types.js';
import { Refusal, type SandboxOAuthServer, type UserGrantHandler } from './oauth-server.js';
import type { ActionContext, SandboxOrg } from './org.js';
import { Rng } from './random.js';
import { FIXED_PEOPLE } from './seed-directory.js';
import { activatePage, errorPage, formPostPage, messagePage, signInPage } from './sign-in-page.js';
import {
  DEFAULT_REDIRECT_URI,
  defaultPassword,
  GRANT_AUTHORIZATION_CODE,
  GRANT_DEVICE_CODE,
  GRANT_REFRESH_TOKEN,
  SANDBOX_WEB_CLIENT_SECRET,
  type SandboxOidc,
  type SandboxOidcApp,
  type SandboxOidcOptions,
  type SandboxOidcStats,
  type SignInUser,
} from './oidc-types.js';
import { apiClient, userActor, userTarget, type LogActor, type LogTarget } from './seed-logs.js';

const CODE_LIFETIME_MS = 300_000;
const REFRESH_LIFETIME_MS = 90 * 86_400_000;
const SIGN_IN_LIFETIME_MS = 600_000;
const DEVICE_LIFETIME_S = 600;
const DEVICE_INTERVAL_S = 5;
const DEFAULT_GRACE_S = 30;
const MAX_SCOPE_CHARS = 1024;
/** Scopes that only OpenID Connect requests may carry (they need `openid`). */
const OPENID_SCOPES = new Set(['profile', 'email', 'address', 'phone', 'offline_access', 'groups']);
const STATE_RE = /^[A-Za-z0-9,._-]{1,2048}$/;
const CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/;
const VERIFIER_RE = /^[A-Za-z0-9._~-]{43,128}$/;
const USER_CODE_LETTERS = 'BCDFGHJKLMNPQRSTVWXZ';

/** Okta's texts (data/oauth2-error-codes.json). */
const T = {
  invalidClientId: "Invalid value for 'client_id' parameter.",
  serviceClient: (endpoint: string) => `Clients with 'application_type' of 'service' are not allowed to access the '${endpoint}' endpoint.`,
  invalidClient: 'Client authentication failed. Either the client or the client credentials are invalid.',
  noCredentials: 'No client credentials found.',
  badSecret: 'The client secret supplied for a confidential client is invalid.',
  redirectUri: "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.",
  duplicates: (names: string[]) => `Duplicate parameter provided in request. Duplicated parameters: [${names.join(', ')}].`,
  duplicateForm: 'The request contained multiple parameters with the same name.',
  state: "The authentication request has an invalid 'state' parameter.",
  missing: (name: string) => `The required parameter '${name}' is missing.`,
  responseType: 'The response type is not supported by the authorization server. Configured response types: [code].',
  responseMode: 'The response mode is not supported by the authorization server. Valid response modes: [query, fragment, form_post, okta_post_message].',
  postMessageWithCode: "'okta_post_message' response mode cannot be used with the 'code' response type.",
  noScopes: 'No scopes were requested.',
  badScope: 'The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner.',
  illegalScopes: (s: string[]) => `The following scopes are not allowed for this request: [${s.join(', ')}].`,
  openidRequired: "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.",
  allScopesRejected: 'Policy evaluation succeeded, but all the requested scopes were rejected.',
  refreshScopesDenied: (s: string[]) => `Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: ${s.join(', ')}.`,
  pkceMethod: 'PKCE code challenge method is not supported. Valid values: [S256]',
  pkceMissingChallenge: 'PKCE code challenge is required by the application.',
  pkceIllegalChallenge: 'PKCE code challenge contains illegal characters.',
  pkceMissingVerifier: 'PKCE code verifier is required by the application.',
  pkceUnexpectedVerifier: 'PKCE code challenge should be specified in the authorize request for code verification.',
  pkceFailed: 'PKCE verification failed.',
  maxAge: "Invalid value for 'max_age' parameter. It should be within range 0 - 2^31-1.",
  requestObject: 'The authorize request object is not supported by this client.',
  requestUri: 'The authorize request uri is not supported by this client.',
  loginRequired: 'The client specified not to prompt, but the user is not logged in.',
  requestExpired: 'Request expired, please start over and try again.',
  notAssigned: 'User is not assigned to the client application.',
  denied: 'The resource owner or authorization server denied the request.',
  badCode: 'The authorization code is invalid or has expired.',
  mismatchedClient: "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request.",
  mismatchedRedirect: "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
  badRefresh: 'The refresh token is invalid or expired.',
  refreshBinding: 'Invalid DPoP Public Key binding in refresh token',
  badDevice: 'The device code is invalid or has expired.',
  deviceExpired: 'The device code has expired.',
  pending: 'The device authorization is pending. Please try again later.',
  slowDown: 'Slow down the polling frequency. Please try again later.',
  badUserCode: 'The user code is invalid or has expired.',
  unauthorizedGrant: (grants: string[]) => `The client is not authorized to use the provided grant type. Configured grant types: [${grants.join(', ')}].`,
  tokenRequired: "The 'token' parameter is required.",
  invalidRequest: 'Invalid request',
  signInFailed: 'Unable to sign in',
  passwordExpired: 'Your password has expired. Change it in Okta, then sign in again.',
  lockedOut: 'Your account is locked. Contact your administrator.',
};

interface SignInTransaction {
  clientId: string;
  redirectUri: string;
  responseMode: string;
  state: string;
  scopes: string[];
  nonce?: string;
  codeChallenge?: string;
  loginHint?: string;
  expiresAt: number;
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  userId: string;
  scopes: string[];
  nonce?: string;
  codeChallenge?: string;
  authTime: number;
  expiresAt: number;
  /** Set once exchanged: the grant it minted (a second use revokes it). */
  grantId?: string;
}

/** What one sign-in granted: its access tokens and refresh tokens share it. */
interface Grant {
  id: string;
  clientId: string;
  userId: string;
  scopes: string[];
  authTime: number;
  jkt?: string;
  revoked: boolean;
  /** The newest refresh token of the grant. */
  currentRefresh?: string;
  /** Refresh tokens of the grant still kept (pruning forgets the grant when none is left and its access tokens are past). */
  refreshTokens: number;
  /** When it last minted an access token (ms). */
  lastMintAt: number;
}

interface RefreshRecord {
  grantId: string;
  expiresAt: number;
  /** When it was rotated (replaced by a newer one). */
  rotatedAt?: number;
}

interface DeviceAuthorization {
  clientId: string;
  scopes: string[];
  userCode: string;
  expiresAt: number;
  interval: number;
  lastPollAt?: number;
  status: 'pending' | 'approved' | 'denied';
  deniedReason?: string;
  userId?: string;
  authTime?: number;
  used: boolean;
}

type Client = { kind: 'oidc'; app: SandboxOidcApp } | { kind: 'service'; clientId: string };

let signingKeyPromise: Promise<KeyObject> | undefined;

/** One RSA-2048 ID token signing key per process (key generation is slow). */
export function oidcSigningKey(): Promise<KeyObject> {
  signingKeyPromise ??= new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, _publicKey, privateKey) => (err ? reject(err) : resolve(privateKey))),
  );
  return signingKeyPromise;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** at_hash: the left half of the SHA-256 of the access token (OIDC Core §3.1.3.6). */
function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

function duplicateNames(params: URLSearchParams): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const k of params.keys()) (seen.has(k) ? dup : seen).add(k);
  return [...dup];
}

function header(req: SandboxHttpRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return v === undefined ? undefined : String(v);
}

function isForm(req: SandboxHttpRequest): boolean {
  return (header(req, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const PAGE_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' };

function html(status: number, text: string, unrecorded = false): SandboxHttpResponse {
  return { status, headers: { ...PAGE_HEADERS }, body: undefined, text, ...(unrecorded ? { unrecorded: true } : {}) };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): SandboxHttpResponse {
  return { status, headers: { ...NO_STORE, ...headers }, body };
}

export interface CreateOidcInput {
  org: SandboxOrg;
  oauth: SandboxOAuthServer;
  seed: number;
  /** The service app (refused at /authorize, allowed to revoke its own tokens). */
  serviceClientId: string;
  /** Default for the apps' grants (the service app's; '*': every scope asked for). */
  grantedScopes: string[] | '*';
  /** The org requires DPoP (sandbox option `dpop`). */
  requireDpop: boolean;
  options?: SandboxOidcOptions;
}

export async function createSandboxOidc(input: CreateOidcInput): Promise<SandboxOidcProvider> {
  const key = await oidcSigningKey();
  const publicJwk = createPublicKey(key).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk);
  return new SandboxOidcProvider(input, key, { ...publicJwk, kid, alg: 'RS256', use: 'sig' });
}

export class SandboxOidcProvider implements SandboxExtraEndpoints, UserGrantHandler, SandboxOidc {
  readonly grantTypes: ReadonlySet<string> = new Set([GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_DEVICE_CODE]);
  readonly issuer: string;
  readonly nativeClientId: string;
  readonly webClientId: string;
  readonly webClientSecret = SANDBOX_WEB_CLIENT_SECRET;
  readonly stats: SandboxOidcStats = {
    authorizeRequests: 0,
    signIns: 0,
    signInFailures: 0,
    codesIssued: 0,
    userTokenResponses: 0,
    refreshes: 0,
    reuseDetected: 0,
    revocations: 0,
    deviceAuthorizations: 0,
  };
  private readonly org: SandboxOrg;
  private readonly oauth: SandboxOAuthServer;
  private readonly serviceClientId: string;
  private readonly apps = new Map<string, SandboxOidcApp>();
  private readonly passwords = new Map<string, string>();
  private readonly transactions = new Map<string, SignInTransaction>();
  private readonly codes = new Map<string, AuthCode>();
  private readonly grants = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly devices = new Map<string, DeviceAuthorization>();
  private readonly userCodes = new Map<string, string>();
  private readonly orgId: string;

  constructor(
    input: CreateOidcInput,
    private readonly key: KeyObject,
    readonly signingJwk: JWK,
  ) {
    this.org = input.org;
    this.oauth = input.oauth;
    this.serviceClientId = input.serviceClientId;
    this.issuer = input.oauth.core.origin;
    const o = input.options ?? {};
    const rng = new Rng(input.seed, 'oidc-apps');
    this.nativeClientId = rng.oktaId('0oa');
    this.webClientId = rng.oktaId('0oa');
    this.orgId = new Rng(input.seed, 'org').oktaId('00o');
    const redirectUris = [...(o.redirectUris ?? [DEFAULT_REDIRECT_URI])];
    for (const uri of redirectUris) checkRedirectUri(uri);
    const users = new Set<string>();
    for (const login of o.assignedUsers ?? ['bob@example.com']) users.add(this.org.requireUser(login).id);
    const groups = new Set<string>();
    for (const name of o.assignedGroups ?? ['Security']) {
      const g = [...this.org.groups.values()].find((x) => x.profile.name === name);
      if (!g) throw new Error(`sandbox: no group named ${name} to assign the OIDC apps to`);
      groups.add(g.id);
    }
    const grace = o.refreshGraceSeconds ?? DEFAULT_GRACE_S;
    if (!(Number.isInteger(grace) && grace >= 0 && grace <= 60)) throw new Error('sandbox: refreshGraceSeconds must be a whole number from 0 to 60 (as Okta)');
    const common = {
      redirectUris,
      grantedScopes: o.grantedScopes ? [...o.grantedScopes] : input.grantedScopes,
      requireDpop: o.requireDpop ?? input.requireDpop,
      requirePkce: true,
      refreshTokenRotation: o.refreshTokenRotation ?? ('ROTATE' as const),
      refreshGraceSeconds: grace,
    };
    this.apps.set(this.nativeClientId, { ...common, clientId: this.nativeClientId, kind: 'native', label: 'okta-soar analysts (Native)', redirectUris: [...redirectUris], assignedUserIds: new Set(users), assignedGroupIds: new Set(groups) });
    this.apps.set(this.webClientId, {
      ...common,
      clientId: this.webClientId,
      kind: 'web',
      label: 'okta-soar analysts (Web)',
      clientSecret: SANDBOX_WEB_CLIENT_SECRET,
      redirectUris: [...redirectUris],
      assignedUserIds: new Set(users),
      assignedGroupIds: new Set(groups),
    });
    input.oauth.setUserGrants(this);
  }

  // ------------------------------------------------------------------ the sandbox's face

  get redirectUris(): readonly string[] {
    return [...this.app(this.nativeClientId).redirectUris];
  }

  get redirectUri(): string {
    return this.app(this.nativeClientId).redirectUris[0] ?? DEFAULT_REDIRECT_URI;
  }

  /** The documented people (the first users of every seed). */
  get users(): SignInUser[] {
    const native = this.app(this.nativeClientId);
    const out: SignInUser[] = [];
    for (const person of FIXED_PEOPLE) {
      const u = this.org.findUser(person.login);
      if (!u) continue; // deleted by a test
      out.push({
        login: u.profile.login,
        password: this.expectedPassword(u) ?? null,
        status: u.status,
        roles: (this.org.roles.get(u.id) ?? []).map((r) => r.type),
        assigned: this.assigned(native, u),
      });
    }
    return out;
  }

  app(clientId: string): SandboxOidcApp {
    const a = this.apps.get(clientId);
    if (!a) throw new Error(`sandbox: no OIDC app ${clientId}`);
    return a;
  }

  passwordOf(login: string): string | undefined {
    const u = this.org.findUser(login);
    return u ? this.expectedPassword(u) : undefined;
  }

  setPassword(login: string, password: string): void {
    this.passwords.set(this.org.requireUser(login).id, password);
  }

  assign(login: string): void {
    const id = this.org.requireUser(login).id;
    for (const a of this.apps.values()) a.assignedUserIds.add(id);
  }

  unassign(login: string): void {
    const id = this.org.requireUser(login).id;
    for (const a of this.apps.values()) a.assignedUserIds.delete(id);
  }

  updateApp(clientId: string, patch: Partial<Omit<SandboxOidcApp, 'clientId' | 'kind'>>): void {
    const a = this.app(clientId);
    if (patch.redirectUris) for (const uri of patch.redirectUris) checkRedirectUri(uri);
    Object.assign(a, patch, {
      ...(patch.redirectUris ? { redirectUris: [...patch.redirectUris] } : {}),
      ...(patch.grantedScopes ? { grantedScopes: patch.grantedScopes === '*' ? '*' : [...patch.grantedScopes] } : {}),
      ...(patch.assignedUserIds ? { assignedUserIds: new Set(patch.assignedUserIds) } : {}),
      ...(patch.assignedGroupIds ? { assignedGroupIds: new Set(patch.assignedGroupIds) } : {}),
    });
  }

  setRedirectUris(uris: string[]): void {
    if (!uris.length) throw new Error('sandbox: at least one redirect URI');
    for (const a of this.apps.values()) this.updateApp(a.clientId, { redirectUris: uris });
  }

  held(): { signInForms: number; codes: number; grants: number; refreshTokens: number; deviceCodes: number } {
    this.prune();
    return { signInForms: this.transactions.size, codes: this.codes.size, grants: this.grants.size, refreshTokens: this.refreshTokens.size, deviceCodes: this.devices.size };
  }

  // ------------------------------------------------------------------ SandboxExtraEndpoints

  bucketOf(_method: string, path: string): string | undefined {
    switch (path) {
      case '/oauth2/v1/revoke':
      case '/oauth2/v1/device/authorize':
        return 'token';
      case '/oauth2/v1/authorize':
      case '/login/sign-in':
      case '/activate':
      case '/oauth2/v1/keys':
      case '/oauth2/v1/userinfo':
      case '/.well-known/openid-configuration':
      case '/favicon.ico':
        return 'other';
      default:
        return undefined;
    }
  }

  async handle(req: SandboxHttpRequest): Promise<SandboxHttpResponse> {
    const url = new URL(req.url);
    const m = req.method.toUpperCase();
    // The pages for people are not Okta's API: nothing about them is recorded.
    const page = url.pathname === '/login/sign-in' || url.pathname === '/activate';
    const allow = (...methods: string[]): SandboxHttpResponse | undefined =>
      methods.includes(m) ? undefined : { status: 405, headers: { Allow: methods.join(', ') }, body: errors.methodNotAllowed().body, ...(page ? { unrecorded: true } : {}) };
    this.prune();
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return allow('GET') ?? this.discovery(url);
      case '/oauth2/v1/keys':
        return allow('GET') ?? json(200, { keys: [this.signingJwk] }, { 'cache-control': 'max-age=86400, must-revalidate' });
      case '/oauth2/v1/authorize':
        return allow('GET', 'POST') ?? this.authorize(req);
      case '/login/sign-in':
        return allow('POST') ?? this.signIn(req);
      case '/activate':
        return allow('GET', 'POST') ?? (m === 'GET' ? this.activateForm(url) : this.activate(req));
      case '/oauth2/v1/revoke':
        return allow('POST') ?? this.guard(() => this.revoke(req));
      case '/oauth2/v1/device/authorize':
        return allow('POST') ?? this.guard(() => this.deviceAuthorize(req));
      case '/oauth2/v1/userinfo':
        return allow('GET') ?? this.userinfo(req);
      case '/favicon.ico':
        // Every browser asks for it on the sign-in page; not part of Okta's API, so not recorded.
        return { status: 404, headers: {}, body: errors.pathNotFound().body, unrecorded: true };
      default:
        return { status: 404, headers: {}, body: errors.pathNotFound().body };
    }
  }

  userMay(userId: string, route: { method: string; template: string; scope: string; params: Record<string, string> }): boolean {
    const user = this.org.users.get(userId);
    if (!user) return false;
    const roles = (this.org.roles.get(userId) ?? []).map((r) => r.type);
    const named = route.params.id ?? route.params.userId;
    const isSelf = named !== undefined && (named === 'me' || this.org.findUser(named)?.id === userId);
    return rolesAllow(roles, route, isSelf);
  }

  // ------------------------------------------------------------------ UserGrantHandler

  userActive(userId: string): boolean {
    return this.org.users.get(userId)?.status === 'ACTIVE';
  }

  async token(req: SandboxHttpRequest, form: URLSearchParams): Promise<SandboxHttpResponse> {
    return this.guard(async () => {
      const client = await this.authenticateClient(req, form);
      const grantType = form.get('grant_type')!;
      if (client.kind === 'service') throw new Refusal(400, 'unauthorized_client', T.unauthorizedGrant(['client_credentials']));
      const allowed = grantTypesOf(client.app);
      if (!allowed.includes(grantType)) throw new Refusal(400, 'unauthorized_client', T.unauthorizedGrant(allowed));
      if (grantType === GRANT_AUTHORIZATION_CODE) return this.codeGrant(req, form, client.app);
      if (grantType === GRANT_REFRESH_TOKEN) return this.refreshGrant(req, form, client.app);
      return this.deviceGrant(req, form, client.app);
    });
  }

  // ------------------------------------------------------------------ helpers

  private async guard(f: () => Promise<SandboxHttpResponse> | SandboxHttpResponse): Promise<SandboxHttpResponse> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof Refusal) return this.oauth.core.tokenError(e);
      throw e;
    }
  }

  private now(): number {
    return this.oauth.core.now();
  }

  private prune(): void {
    const now = this.now();
    for (const [k, t] of this.transactions) if (t.expiresAt <= now) this.transactions.delete(k);
    for (const [k, c] of this.codes) if (c.expiresAt + 86_400_000 <= now) this.codes.delete(k);
    for (const [k, r] of this.refreshTokens) {
      if (r.expiresAt > now) continue;
      this.refreshTokens.delete(k);
      const g = this.grants.get(r.grantId);
      if (g) g.refreshTokens--;
    }
    const accessLifetimeMs = this.oauth.core.lifetimeSeconds * 1000;
    for (const [k, g] of this.grants) if (g.refreshTokens <= 0 && g.lastMintAt + accessLifetimeMs + 86_400_000 <= now) this.grants.delete(k);
    for (const [k, d] of this.devices) {
      if (d.expiresAt + 86_400_000 <= now) {
        this.devices.delete(k);
        this.userCodes.delete(d.userCode);
      }
    }
  }

  private expectedPassword(u: SandboxUser): string | undefined {
    return this.passwords.get(u.id) ?? (u.credentials.password ? defaultPassword(u.profile.login) : undefined);
  }

  private assigned(app: SandboxOidcApp, u: SandboxUser): boolean {
    if (app.assignedUserIds.has(u.id)) return true;
    for (const g of app.assignedGroupIds) if (this.org.groupMembers.get(g)?.has(u.id)) return true;
    return false;
  }

  private appActor(app: { clientId: string; label: string }): LogActor {
    return { id: app.clientId, type: 'PublicClientApp', alternateId: app.clientId, displayName: app.label, detailEntry: null };
  }

  private appTarget(app: SandboxOidcApp): LogTarget {
    return { id: app.clientId, type: 'AppInstance', alternateId: app.label, displayName: app.label, detailEntry: null };
  }

  private context(req: SandboxHttpRequest, actor: LogActor): ActionContext {
    return {
      actor,
      client: apiClient(req.remoteAddress ?? '127.0.0.1', header(req, 'user-agent') ?? ''),
      requestId: req.requestId ?? randomUUID().replace(/-/g, ''),
      requestUri: new URL(req.url).pathname,
    };
  }

  /** Checks a username and password as the sign-in page does. */
  private checkPassword(username: string, password: string): { user: SandboxUser } | { user?: SandboxUser; reason: 'INVALID_CREDENTIALS' | 'LOCKED_OUT' | 'PASSWORD_EXPIRED' } {
    const user = username.trim() ? this.org.findUser(username.trim()) : undefined;
    if (!user) return { reason: 'INVALID_CREDENTIALS' };
    const expected = this.expectedPassword(user);
    const right = expected !== undefined && sameSecret(password, expected);
    if (user.status === 'LOCKED_OUT') return { user, reason: 'LOCKED_OUT' };
    if (!right) return { user, reason: 'INVALID_CREDENTIALS' };
    if (user.status === 'PASSWORD_EXPIRED') return { user, reason: 'PASSWORD_EXPIRED' };
    if (user.status !== 'ACTIVE') return { user, reason: 'INVALID_CREDENTIALS' };
    return { user };
  }

  /** Signs a user in (the form's username and password) and logs the attempt; a failure answers the page's message. */
  private passwordSignIn(req: SandboxHttpRequest, username: string, password: string): { user: SandboxUser } | { message: string } {
    const r = this.checkPassword(username, password);
    if ('reason' in r) {
      this.stats.signInFailures++;
      const actor: LogActor = r.user ? userActor(r.user) : { id: 'unknown', type: 'User', alternateId: username.slice(0, 100), displayName: 'unknown', detailEntry: null };
      this.org.log(this.context(req, actor), 'user.session.start', null, { result: 'FAILURE', reason: r.reason }, undefined, { severity: 'WARN', legacyEventType: 'core.user_auth.login_failed' });
      return { message: r.reason === 'LOCKED_OUT' ? T.lockedOut : r.reason === 'PASSWORD_EXPIRED' ? T.passwordExpired : T.signInFailed };
    }
    this.stats.signIns++;
    r.user.lastLogin = new Date(this.now()).toISOString();
    this.org.log(this.context(req, userActor(r.user)), 'user.session.start', null);
    return { user: r.user };
  }

  /** Scopes of a request: OpenID rules, then the app's grants (ungranted okta.* scopes are dropped, as Okta does). */
  private resolveScopes(app: SandboxOidcApp, text: string | null): { scopes: string[] } | { error: string; description: string } {
    if (text === null || text.trim() === '') return { error: 'invalid_scope', description: T.noScopes };
    if (text.length > MAX_SCOPE_CHARS) return { error: 'invalid_scope', description: T.badScope };
    const requested = [...new Set(text.split(' ').filter(Boolean))];
    const unknown = requested.filter((s) => s !== 'openid' && !OPENID_SCOPES.has(s) && !s.startsWith('okta.'));
    if (unknown.length) return { error: 'invalid_scope', description: T.illegalScopes(unknown) };
    if (!requested.includes('openid') && requested.some((s) => OPENID_SCOPES.has(s))) return { error: 'invalid_scope', description: T.openidRequired };
    const scopes = requested.filter((s) => !s.startsWith('okta.') || grants(app, s));
    if (!scopes.length) return { error: 'access_denied', description: T.allScopesRejected };
    return { scopes };
  }

  /** The answer that goes back to the client's redirect URI. */
  private redirectBack(redirectUri: string, mode: string, params: Record<string, string>, unrecorded = false): SandboxHttpResponse {
    if (mode === 'form_post') return html(200, formPostPage(redirectUri, params), unrecorded);
    const u = new URL(redirectUri);
    if (mode === 'fragment') u.hash = new URLSearchParams(params).toString();
    else for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
    return { status: 302, headers: { Location: u.toString(), ...NO_STORE, 'Referrer-Policy': 'no-referrer' }, body: undefined, ...(unrecorded ? { unrecorded: true } : {}) };
  }

  // ------------------------------------------------------------------ discovery

  private discovery(url: URL): SandboxHttpResponse {
    const clientId = url.searchParams.get('client_id');
    if (clientId !== null && !this.apps.has(clientId) && clientId !== this.serviceClientId) {
      return json(400, { errorCode: 'invalid_client', errorSummary: 'Invalid value for `client_id` parameter', errorLink: 'invalid_client', errorId: `oae${randomBytes(11).toString('hex')}`, errorCauses: [] });
    }
    const o = this.issuer;
    return json(
      200,
      {
        issuer: o,
        authorization_endpoint: `${o}/oauth2/v1/authorize`,
        token_endpoint: `${o}/oauth2/v1/token`,
        userinfo_endpoint: `${o}/oauth2/v1/userinfo`,
        jwks_uri: `${o}/oauth2/v1/keys`,
        response_types_supported: ['code'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        grant_types_supported: [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, 'client_credentials', GRANT_DEVICE_CODE],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'email', 'profile', 'offline_access'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'none'],
        claims_supported: ['iss', 'ver', 'sub', 'aud', 'iat', 'exp', 'jti', 'auth_time', 'amr', 'idp', 'nonce', 'name', 'preferred_username', 'given_name', 'family_name', 'email', 'email_verified', 'locale', 'zoneinfo', 'updated_at', 'at_hash'],
        code_challenge_methods_supported: ['S256'],
        revocation_endpoint: `${o}/oauth2/v1/revoke`,
        revocation_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'none'],
        device_authorization_endpoint: `${o}/oauth2/v1/device/authorize`,
        dpop_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
      },
      { 'cache-control': 'max-age=86400, must-revalidate' },
    );
  }

  // ------------------------------------------------------------------ authorize and sign-in

  private authorize(req: SandboxHttpRequest): SandboxHttpResponse {
    this.stats.authorizeRequests++;
    let params: URLSearchParams;
    if (req.method.toUpperCase() === 'POST') {
      if (!isForm(req)) return html(400, errorPage('invalid_request', T.invalidRequest));
      params = new URLSearchParams(req.body);
    } else {
      params = new URL(req.url).searchParams;
    }
    const dup = duplicateNames(params);
    const clientId = params.get('client_id');
    if (dup.includes('client_id') || dup.includes('redirect_uri')) return html(400, errorPage('invalid_request', T.duplicates(dup)));
    if (clientId !== null && clientId === this.serviceClientId) return html(400, errorPage('invalid_request', T.serviceClient('authorize')));
    const app = clientId !== null ? this.apps.get(clientId) : undefined;
    if (!app) return html(400, errorPage('invalid_client', T.invalidClientId));
    const redirectUri = params.get('redirect_uri');
    if (redirectUri === null || !app.redirectUris.includes(redirectUri)) return html(400, errorPage('invalid_request', T.redirectUri));

    // From here on, errors go back to the client.
    const requestedMode = params.get('response_mode') ?? 'query';
    const mode = ['query', 'fragment', 'form_post'].includes(requestedMode) ? requestedMode : 'query';
    const state = params.get('state');
    const stateOk = state !== null && STATE_RE.test(state);
    const back = (error: string, description: string) => this.redirectBack(redirectUri, mode, { error, error_description: description, ...(stateOk ? { state: state! } : {}) });
    if (dup.length) return back('invalid_request', T.duplicates(dup));
    // Signed request objects and pushed requests (JAR, PAR) are not served here.
    if (params.has('request')) return back('request_not_supported', T.requestObject);
    if (params.has('request_uri')) return back('request_uri_not_supported', T.requestUri);
    if (requestedMode === 'okta_post_message') return back('unsupported_response_mode', T.postMessageWithCode);
    if (mode !== requestedMode) return back('unsupported_response_mode', T.responseMode);
    if (!stateOk) return back('invalid_request', T.state);
    const responseType = params.get('response_type');
    if (responseType === null) return back('invalid_request', T.missing('response_type'));
    if (responseType !== 'code') return back('unsupported_response_type', T.responseType);
    const challenge = params.get('code_challenge');
    const method = params.get('code_challenge_method');
    if (challenge !== null || method !== null) {
      if (method !== 'S256') return back('invalid_request', T.pkceMethod);
      if (challenge === null) return back('invalid_request', T.pkceMissingChallenge);
      if (!CHALLENGE_RE.test(challenge)) return back('invalid_request', T.pkceIllegalChallenge);
    } else if (app.requirePkce) {
      return back('invalid_request', T.pkceMissingChallenge);
    }
    const maxAge = params.get('max_age');
    if (maxAge !== null && !(/^\d{1,10}$/.test(maxAge) && Number(maxAge) <= 2 ** 31 - 1)) return back('invalid_request', T.maxAge);
    const scopes = this.resolveScopes(app, params.get('scope'));
    if ('error' in scopes) return back(scopes.error, scopes.description);
    if ((params.get('prompt') ?? '').split(' ').includes('none')) return back('login_required', T.loginRequired);

    const oktaKey = randomBytes(24).toString('base64url');
    const nonce = params.get('nonce');
    const loginHint = params.get('login_hint');
    this.transactions.set(oktaKey, {
      clientId: app.clientId,
      redirectUri,
      responseMode: mode,
      state: state!,
      scopes: scopes.scopes,
      ...(nonce !== null ? { nonce } : {}),
      ...(challenge !== null ? { codeChallenge: challenge } : {}),
      ...(loginHint !== null ? { loginHint } : {}),
      expiresAt: this.now() + SIGN_IN_LIFETIME_MS,
    });
    return html(200, signInPage({ org: this.issuer, appLabel: app.label, oktaKey, ...(loginHint !== null ? { username: loginHint } : {}) }));
  }

  private signIn(req: SandboxHttpRequest): SandboxHttpResponse {
    if (!isForm(req)) return html(400, errorPage('invalid_request', T.invalidRequest), true);
    const form = new URLSearchParams(req.body);
    const oktaKey = form.get('okta_key') ?? '';
    const txn = this.transactions.get(oktaKey);
    if (!txn || txn.expiresAt <= this.now()) return html(400, errorPage('login_required', T.requestExpired), true);
    const app = this.app(txn.clientId);
    const username = form.get('username') ?? '';
    const r = this.passwordSignIn(req, username, form.get('password') ?? '');
    if ('message' in r) return html(401, signInPage({ org: this.issuer, appLabel: app.label, oktaKey, username, error: r.message }), true);
    this.transactions.delete(oktaKey);
    const user = r.user;
    const ctx = this.context(req, userActor(user));
    if (!this.assigned(app, user)) {
      this.org.log(ctx, 'user.authentication.sso', [this.appTarget(app)], { result: 'FAILURE', reason: T.notAssigned }, undefined, { severity: 'WARN' });
      return this.redirectBack(txn.redirectUri, txn.responseMode, { error: 'access_denied', error_description: T.notAssigned, state: txn.state }, true);
    }
    const code = randomBytes(32).toString('base64url');
    const now = this.now();
    this.codes.set(code, {
      clientId: app.clientId,
      redirectUri: txn.redirectUri,
      userId: user.id,
      scopes: txn.scopes,
      ...(txn.nonce !== undefined ? { nonce: txn.nonce } : {}),
      ...(txn.codeChallenge !== undefined ? { codeChallenge: txn.codeChallenge } : {}),
      authTime: Math.floor(now / 1000),
      expiresAt: now + CODE_LIFETIME_MS,
    });
    this.stats.codesIssued++;
    this.org.log(ctx, 'user.authentication.sso', [this.appTarget(app)]);
    this.org.log(ctx, 'app.oauth2.authorize.code', [this.appTarget(app), userTarget(user)]);
    return this.redirectBack(txn.redirectUri, txn.responseMode, { code, state: txn.state }, true);
  }

  // ------------------------------------------------------------------ device authorization

  private async deviceAuthorize(req: SandboxHttpRequest): Promise<SandboxHttpResponse> {
    const form = this.tokenForm(req);
    const client = await this.authenticateClient(req, form);
    if (client.kind === 'service') throw new Refusal(400, 'unauthorized_client', T.unauthorizedGrant(['client_credentials']));
    if (!grantTypesOf(client.app).includes(GRANT_DEVICE_CODE)) throw new Refusal(400, 'unauthorized_client', T.unauthorizedGrant(grantTypesOf(client.app)));
    const scopes = this.resolveScopes(client.app, form.get('scope'));
    if ('error' in scopes) throw new Refusal(400, scopes.error, scopes.description);
    const deviceCode = randomUUID();
    let userCode: string;
    do userCode = Array.from(randomBytes(8), (b) => USER_CODE_LETTERS[b % USER_CODE_LETTERS.length]).join('');
    while (this.userCodes.has(userCode));
    this.devices.set(deviceCode, {
      clientId: client.app.clientId,
      scopes: scopes.scopes,
      userCode,
      expiresAt: this.now() + DEVICE_LIFETIME_S * 1000,
      interval: DEVICE_INTERVAL_S,
      status: 'pending',
      used: false,
    });
    this.userCodes.set(userCode, deviceCode);
    this.stats.deviceAuthorizations++;
    return json(200, {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: `${this.issuer}/activate`,
      verification_uri_complete: `${this.issuer}/activate?user_code=${userCode}`,
      expires_in: DEVICE_LIFETIME_S,
      interval: DEVICE_INTERVAL_S,
    });
  }

  private pendingDevice(userCodeInput: string): DeviceAuthorization | undefined {
    const userCode = userCodeInput.toUpperCase().replace(/[\s-]/g, '');
    const deviceCode = this.userCodes.get(userCode);
    const d = deviceCode !== undefined ? this.devices.get(deviceCode) : undefined;
    return d && d.status === 'pending' && d.expiresAt > this.now() ? d : undefined;
  }

  private activateForm(url: URL): SandboxHttpResponse {
    return html(200, activatePage({ org: this.issuer, userCode: url.searchParams.get('user_code') ?? '' }), true);
  }

  private activate(req: SandboxHttpRequest): SandboxHttpResponse {
    if (!isForm(req)) return html(400, errorPage('invalid_request', T.invalidRequest), true);
    const form = new URLSearchParams(req.body);
    const userCode = form.get('user_code') ?? '';
    const username = form.get('username') ?? '';
    const d = this.pendingDevice(userCode);
    if (!d) return html(400, activatePage({ org: this.issuer, userCode, username, error: T.badUserCode }), true);
    const r = this.passwordSignIn(req, username, form.get('password') ?? '');
    if ('message' in r) return html(401, activatePage({ org: this.issuer, userCode, username, error: r.message }), true);
    const app = this.app(d.clientId);
    const ctx = this.context(req, userActor(r.user));
    if (form.get('decision') === 'deny') {
      d.status = 'denied';
      d.deniedReason = T.denied;
      return html(200, messagePage('Device not activated', 'You denied access. You can close this window.', 'okta-device-denied'), true);
    }
    if (!this.assigned(app, r.user)) {
      d.status = 'denied';
      d.deniedReason = T.notAssigned;
      this.org.log(ctx, 'user.authentication.sso', [this.appTarget(app)], { result: 'FAILURE', reason: T.notAssigned }, undefined, { severity: 'WARN' });
      return html(403, messagePage('Device not activated', T.notAssigned, 'okta-device-denied'), true);
    }
    d.status = 'approved';
    d.userId = r.user.id;
    d.authTime = Math.floor(this.now() / 1000);
    this.org.log(ctx, 'user.authentication.sso', [this.appTarget(app)]);
    return html(200, messagePage('Device activated', `${app.label} is signed in as ${r.user.profile.login}. You can close this window.`, 'okta-device-activated'), true);
  }

  // ------------------------------------------------------------------ token endpoint

  /** A token-style form body (content type and duplicate names checked). */
  private tokenForm(req: SandboxHttpRequest): URLSearchParams {
    if (!isForm(req)) throw new Refusal(400, 'invalid_request', T.invalidRequest);
    const form = new URLSearchParams(req.body);
    if (duplicateNames(form).length) throw new Refusal(400, 'invalid_request', T.duplicateForm);
    return form;
  }

  /** Client authentication: the Native app by client_id alone, the Web app by client_secret_post, the service app by private_key_jwt. */
  private async authenticateClient(req: SandboxHttpRequest, form: URLSearchParams): Promise<Client> {
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      const svc = await this.oauth.core.verifyAssertion(assertion, new URL(req.url).origin);
      return { kind: 'service', clientId: svc.clientId };
    }
    if (/^\s*basic\s/i.test(header(req, 'authorization') ?? '')) throw new Refusal(401, 'invalid_client', T.invalidClient);
    const clientId = form.get('client_id');
    if (clientId === null || clientId === '') throw new Refusal(401, 'invalid_client', T.noCredentials);
    const app = this.apps.get(clientId);
    if (!app) throw new Refusal(401, 'invalid_client', clientId === this.serviceClientId ? T.invalidClient : T.invalidClientId);
    const secret = form.get('client_secret');
    if (app.kind === 'native') {
      if (secret !== null) throw new Refusal(401, 'invalid_client', T.invalidClient);
    } else {
      if (secret === null) throw new Refusal(401, 'invalid_client', T.invalidClient);
      if (!sameSecret(secret, app.clientSecret ?? '')) throw new Refusal(401, 'invalid_client', T.badSecret);
    }
    return { kind: 'oidc', app };
  }

  private async codeGrant(req: SandboxHttpRequest, form: URLSearchParams, app: SandboxOidcApp): Promise<SandboxHttpResponse> {
    // DPoP first: a nonce challenge must leave the code unused for the retry.
    const jkt = await this.oauth.core.tokenEndpointProof(req, app.requireDpop);
    const code = form.get('code');
    if (code === null || code === '') throw new Refusal(400, 'invalid_request', T.missing('code'));
    const rec = this.codes.get(code);
    if (!rec || rec.expiresAt <= this.now()) throw new Refusal(400, 'invalid_grant', T.badCode);
    if (rec.grantId !== undefined) {
      // A code used twice: what the first exchange minted is revoked (RFC 6749 §4.1.2).
      this.revokeGrant(rec.grantId);
      throw new Refusal(400, 'invalid_grant', T.badCode);
    }
    if (rec.clientId !== app.clientId) throw new Refusal(400, 'invalid_grant', T.mismatchedClient);
    if (form.get('redirect_uri') !== rec.redirectUri) throw new Refusal(400, 'invalid_grant', T.mismatchedRedirect);
    const verifier = form.get('code_verifier');
    if (rec.codeChallenge !== undefined) {
      if (verifier === null) throw new Refusal(400, 'invalid_request', T.pkceMissingVerifier);
      if (!VERIFIER_RE.test(verifier) || s256(verifier) !== rec.codeChallenge) throw new Refusal(400, 'invalid_grant', T.pkceFailed);
    } else if (verifier !== null) {
      throw new Refusal(400, 'invalid_request', T.pkceUnexpectedVerifier);
    }
    const user = this.org.users.get(rec.userId);
    if (!user || user.status !== 'ACTIVE') throw new Refusal(400, 'invalid_grant', T.badCode);
    const grant = this.newGrant(app, user, rec.scopes, rec.authTime, jkt);
    rec.grantId = grant.id;
    return this.tokenResponse(req, app, user, grant, rec.scopes, { jkt, newRefresh: true, ...(rec.nonce !== undefined ? { nonce: rec.nonce } : {}) });
  }

  private async refreshGrant(req: SandboxHttpRequest, form: URLSearchParams, app: SandboxOidcApp): Promise<SandboxHttpResponse> {
    const token = form.get('refresh_token');
    const rec = token ? this.refreshTokens.get(token) : undefined;
    const grant = rec ? this.grants.get(rec.grantId) : undefined;
    // The binding is checked before anything else: only the key holder learns about the token.
    const jkt = await this.oauth.core.tokenEndpointProof(req, app.requireDpop || grant?.jkt !== undefined);
    if (token === null || token === '') throw new Refusal(400, 'invalid_request', T.missing('refresh_token'));
    if (!rec || !grant || grant.clientId !== app.clientId || grant.revoked || rec.expiresAt <= this.now()) throw new Refusal(400, 'invalid_grant', T.badRefresh);
    if (grant.jkt !== undefined && jkt !== grant.jkt) throw new Refusal(400, 'invalid_dpop_proof', T.refreshBinding);
    const now = this.now();
    // A rotated token answers with the grant's newest refresh token for the grace period; after it, its use is reuse.
    if (rec.rotatedAt !== undefined && now > rec.rotatedAt + app.refreshGraceSeconds * 1000) {
      this.reuseDetected(req, app, grant);
      throw new Refusal(400, 'invalid_grant', T.badRefresh);
    }
    const rotate = rec.rotatedAt === undefined && app.refreshTokenRotation === 'ROTATE';
    const user = this.org.users.get(grant.userId);
    if (!user || user.status !== 'ACTIVE') throw new Refusal(400, 'invalid_grant', T.badRefresh);
    if (!this.assigned(app, user)) throw new Refusal(400, 'access_denied', T.notAssigned);
    let scopes = grant.scopes;
    const scopeParam = form.get('scope');
    if (scopeParam !== null) {
      const asked = [...new Set(scopeParam.split(' ').filter(Boolean))];
      const denied = asked.filter((s) => !grant.scopes.includes(s));
      if (denied.length) throw new Refusal(400, 'access_denied', T.refreshScopesDenied(denied));
      if (asked.length) scopes = asked;
    }
    // A grant taken back from the app since the sign-in is not renewed.
    scopes = scopes.filter((s) => !s.startsWith('okta.') || grants(app, s));
    if (rotate) rec.rotatedAt = now;
    this.stats.refreshes++;
    return this.tokenResponse(req, app, user, grant, scopes, { jkt: grant.jkt ?? jkt, newRefresh: rotate });
  }

  private async deviceGrant(req: SandboxHttpRequest, form: URLSearchParams, app: SandboxOidcApp): Promise<SandboxHttpResponse> {
    // DPoP first: a nonce challenge is not a poll.
    const jkt = await this.oauth.core.tokenEndpointProof(req, app.requireDpop);
    const deviceCode = form.get('device_code');
    if (deviceCode === null || deviceCode === '') throw new Refusal(400, 'invalid_request', T.missing('device_code'));
    const d = this.devices.get(deviceCode);
    if (!d || d.clientId !== app.clientId || d.used) throw new Refusal(400, 'invalid_grant', T.badDevice);
    const now = this.now();
    if (d.expiresAt <= now) throw new Refusal(400, 'expired_token', T.deviceExpired);
    if (d.lastPollAt !== undefined && now - d.lastPollAt < d.interval * 1000) {
      d.lastPollAt = now;
      d.interval += 5;
      throw new Refusal(400, 'slow_down', T.slowDown);
    }
    d.lastPollAt = now;
    if (d.status === 'pending') throw new Refusal(400, 'authorization_pending', T.pending);
    if (d.status === 'denied') throw new Refusal(400, 'access_denied', d.deniedReason ?? T.denied);
    const user = d.userId !== undefined ? this.org.users.get(d.userId) : undefined;
    if (!user || user.status !== 'ACTIVE') throw new Refusal(400, 'invalid_grant', T.badDevice);
    d.used = true;
    const grant = this.newGrant(app, user, d.scopes, d.authTime ?? Math.floor(now / 1000), jkt);
    return this.tokenResponse(req, app, user, grant, d.scopes, { jkt, newRefresh: true });
  }

  private newGrant(app: SandboxOidcApp, user: SandboxUser, scopes: string[], authTime: number, jkt: string | undefined): Grant {
    const grant: Grant = { id: randomUUID(), clientId: app.clientId, userId: user.id, scopes: [...scopes], authTime, revoked: false, refreshTokens: 0, lastMintAt: this.now(), ...(jkt ? { jkt } : {}) };
    this.grants.set(grant.id, grant);
    return grant;
  }

  private async tokenResponse(
    req: SandboxHttpRequest,
    app: SandboxOidcApp,
    user: SandboxUser,
    grant: Grant,
    scopes: string[],
    o: { jkt: string | undefined; newRefresh: boolean; nonce?: string },
  ): Promise<SandboxHttpResponse> {
    const now = this.now();
    const { accessToken, expiresIn } = this.oauth.core.mint({ clientId: app.clientId, scopes, userId: user.id, grantId: grant.id, ...(o.jkt ? { jkt: o.jkt } : {}) });
    grant.lastMintAt = now;
    let refreshToken: string | undefined;
    if (grant.scopes.includes('offline_access')) {
      if (o.newRefresh || grant.currentRefresh === undefined) {
        refreshToken = randomBytes(32).toString('base64url');
        this.refreshTokens.set(refreshToken, { grantId: grant.id, expiresAt: now + REFRESH_LIFETIME_MS });
        grant.refreshTokens++;
        grant.currentRefresh = refreshToken;
      } else {
        refreshToken = grant.currentRefresh;
      }
    }
    let idToken: string | undefined;
    if (scopes.includes('openid')) idToken = await this.idToken(app, user, scopes, grant.authTime, accessToken, o.nonce);
    this.stats.userTokenResponses++;
    const ctx = this.context(req, this.appActor(app));
    const targets = [userTarget(user)];
    this.org.log(ctx, 'app.oauth2.token.grant.access_token', targets);
    if (idToken) this.org.log(ctx, 'app.oauth2.token.grant.id_token', targets);
    if (refreshToken && o.newRefresh) this.org.log(ctx, 'app.oauth2.token.grant.refresh_token', targets);
    return json(200, {
      token_type: o.jkt ? 'DPoP' : 'Bearer',
      expires_in: expiresIn,
      access_token: accessToken,
      scope: scopes.join(' '),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      ...(idToken ? { id_token: idToken } : {}),
    });
  }

  private idToken(app: SandboxOidcApp, user: SandboxUser, scopes: string[], authTime: number, accessToken: string, nonce: string | undefined): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    const claims: Record<string, unknown> = {
      ver: 1,
      jti: `ID.${randomBytes(24).toString('base64url')}`,
      amr: ['pwd'],
      idp: this.orgId,
      auth_time: authTime,
      at_hash: atHash(accessToken),
      ...(nonce !== undefined ? { nonce } : {}),
      ...this.profileClaims(user, scopes),
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.signingJwk.kid! })
      .setIssuer(this.issuer)
      .setSubject(user.id)
      .setAudience(app.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.oauth.core.lifetimeSeconds)
      .sign(this.key);
  }

  /** Claims of the `profile` and `email` scopes (ID token and userinfo). */
  private profileClaims(user: SandboxUser, scopes: string[]): Record<string, unknown> {
    const p = user.profile;
    return {
      ...(scopes.includes('profile')
        ? {
            name: [p.firstName, p.lastName].filter(Boolean).join(' '),
            preferred_username: p.login,
            given_name: p.firstName,
            family_name: p.lastName,
            locale: 'en_US',
            zoneinfo: 'America/Los_Angeles',
            updated_at: Math.floor(Date.parse(user.lastUpdated) / 1000),
          }
        : {}),
      ...(scopes.includes('email') ? { email: p.email, email_verified: true } : {}),
    };
  }

  /** Revokes a grant: its refresh tokens and every access token minted in it. */
  private revokeGrant(grantId: string): void {
    const g = this.grants.get(grantId);
    if (g) g.revoked = true;
    this.oauth.core.revokeWhere((t) => t.grantId === grantId);
  }

  private reuseDetected(req: SandboxHttpRequest, app: SandboxOidcApp, grant: Grant): void {
    this.stats.reuseDetected++;
    for (const g of this.grants.values()) if (g.userId === grant.userId && g.clientId === grant.clientId) this.revokeGrant(g.id);
    const user = this.org.users.get(grant.userId);
    this.org.log(this.context(req, this.appActor(app)), 'app.oauth2.token.detect_reuse', user ? [userTarget(user)] : null, { result: 'FAILURE', reason: 'Refresh token reuse detected' });
  }

  // ------------------------------------------------------------------ revoke and userinfo

  private async revoke(req: SandboxHttpRequest): Promise<SandboxHttpResponse> {
    const form = this.tokenForm(req);
    const client = await this.authenticateClient(req, form);
    const token = form.get('token');
    if (token === null || token === '') throw new Refusal(400, 'invalid_request', T.tokenRequired);
    const clientId = client.kind === 'service' ? client.clientId : client.app.clientId;
    // Unknown, expired or foreign tokens are a success too (nothing is leaked).
    const rec = this.refreshTokens.get(token);
    const grant = rec ? this.grants.get(rec.grantId) : undefined;
    let revoked = false;
    if (grant && grant.clientId === clientId) {
      this.revokeGrant(grant.id);
      revoked = true;
    } else {
      const t = this.oauth.core.find(token);
      if (t && t.clientId === clientId) revoked = this.oauth.core.revokeWhere((x) => x === t) > 0;
    }
    if (revoked) {
      this.stats.revocations++;
      const userId = grant?.userId ?? this.oauth.core.find(token)?.userId;
      const user = userId !== undefined ? this.org.users.get(userId) : undefined;
      const label = client.kind === 'oidc' ? client.app.label : 'okta-soar sandbox service app';
      this.org.log(this.context(req, this.appActor({ clientId, label })), 'app.oauth2.token.revoke', user ? [userTarget(user)] : null);
    }
    return { status: 200, headers: { ...NO_STORE }, body: undefined };
  }

  private async userinfo(req: SandboxHttpRequest): Promise<SandboxHttpResponse> {
    const r = await this.oauth.core.authenticate(req);
    if (!r.ok) {
      // The spec's 401 carries only the challenge.
      const challenge = r.response.headers['www-authenticate'];
      return { status: 401, headers: challenge ? { 'WWW-Authenticate': challenge } : {}, body: undefined };
    }
    const scopes = r.principal.scopes === '*' ? [] : r.principal.scopes;
    const user = r.principal.userId !== undefined ? this.org.users.get(r.principal.userId) : undefined;
    if (!user || !scopes.includes('openid') || !['profile', 'email', 'address', 'phone'].some((s) => scopes.includes(s))) {
      return {
        status: 403,
        headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope", error_description="The access token must provide access to at least one of these scopes - profile, email, address or phone"' },
        body: undefined,
      };
    }
    return json(200, { sub: user.id, ...this.profileClaims(user, scopes) });
  }
}

function grantTypesOf(app: SandboxOidcApp): string[] {
  return app.kind === 'native' ? [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_DEVICE_CODE] : [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN];
}

/** Sign-in redirect URIs are absolute, without a fragment (as Okta's app settings require). */
function checkRedirectUri(uri: string): void {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new Error(`sandbox: redirect URI ${JSON.stringify(uri)} is not an absolute URL`);
  }
  if (u.hash) throw new Error(`sandbox: redirect URI ${uri} must not have a fragment`);
}

/** The app was granted this Okta API scope (Okta grants exactly: a .manage grant is no .read grant). */
function grants(app: SandboxOidcApp, scope: string): boolean {
  return app.grantedScopes === '*' || app.grantedScopes.includes(scope);
}
