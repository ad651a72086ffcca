/**
 * The seam between the sandbox's HTTP server (sandbox/server.ts) and its OAuth 2.0
 * authorization server (sandbox/oauth-server.ts): token endpoint, private_key_jwt client
 * assertions, access tokens, DPoP proofs and nonces.
 */
import type { JWK } from 'jose';

export interface SandboxHttpRequest {
  method: string;
  /** Origin + path + query, exactly as the client addressed it (e.g. http://127.0.0.1:4321/api/v1/users?limit=2). */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** Raw request body text. */
  body: string;
  /** The caller's address (System Log events of sign-ins). */
  remoteAddress?: string;
  /** X-Okta-Request-Id of this exchange. */
  requestId?: string;
}

export interface SandboxHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON-serialisable body (undefined for an empty body). */
  body: unknown;
  /** A body that is not JSON (HTML pages); set its Content-Type in `headers`. Wins over `body`. */
  text?: string;
  /** Not written to the recording: pages for people (sign-in, device activation), not Okta's API. */
  unrecorded?: boolean;
}

export interface SandboxOAuthApp {
  clientId: string;
  /** Public keys registered for the app (JWKS); `kid` set on each. */
  publicJwks: JWK[];
  /** Okta API scopes an admin granted to the app; '*': whatever it asks for. */
  grantedScopes: string[] | '*';
  /** "Require Demonstrating Proof of Possession (DPoP)" on the app. */
  requireDpop: boolean;
}

/** Who made an API request and what they may do. */
export interface Principal {
  kind: 'ssws' | 'oauth';
  /** '*' for an API token (it inherits its admin's rights). */
  scopes: string[] | '*';
  clientId?: string;
  /** The signed-in user an access token acts for (Authorization Code or device grant); absent for a service app. */
  userId?: string;
}

export interface SandboxOAuthStats {
  tokenRequests: number;
  tokensMinted: number;
}

export interface SandboxOAuth {
  /** POST {origin}/oauth2/v1/token. */
  handleToken(req: SandboxHttpRequest): Promise<SandboxHttpResponse>;
  /**
   * Checks an API request whose Authorization header is `Bearer …` or `DPoP …`.
   * On failure, returns the exact answer Okta gives (status, WWW-Authenticate, body).
   */
  authenticate(req: SandboxHttpRequest): Promise<{ ok: true; principal: Principal } | { ok: false; response: SandboxHttpResponse }>;
  readonly stats: SandboxOAuthStats;
  /** Change an app's settings at run time (tests: revoke a scope, require DPoP). */
  updateApp(clientId: string, patch: Partial<Omit<SandboxOAuthApp, 'clientId'>>): void;
  /** Invalidate every issued access token (tests: 401 invalid_token then re-mint). */
  revokeAllTokens(): void;
}

export interface SandboxOAuthOptions {
  /** The sandbox origin, e.g. http://127.0.0.1:4321 (token `aud` is origin + /oauth2/v1/token). */
  origin: string;
  apps: SandboxOAuthApp[];
  /** Epoch ms. */
  now: () => number;
  /** Access token lifetime in seconds (Okta: 3600). */
  tokenLifetimeSeconds?: number;
}

/**
 * Endpoints served beside the management API and the token endpoint: the analyst sign-in of the
 * OIDC apps (sandbox/oidc.ts). The server asks it which paths it serves and, for a user's access
 * token, whether the user's own admin roles allow a route.
 */
export interface SandboxExtraEndpoints {
  /** The rate-limit bucket of a path this serves; undefined when it serves none. */
  bucketOf(method: string, path: string): string | undefined;
  handle(req: SandboxHttpRequest): Promise<SandboxHttpResponse>;
  /** Whether a signed-in user may call a management route (their admin roles); false → 403 E0000006. */
  userMay(userId: string, route: { method: string; template: string; scope: string; params: Record<string, string> }): boolean;
}
