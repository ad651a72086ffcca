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
}

export interface SandboxHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON-serialisable body (undefined for an empty body). */
  body: unknown;
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
