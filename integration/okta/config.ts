/**
 * The client's configuration: what one Okta org, its credentials and the resilience settings
 * resolve to. The engine resolves the manifest's parameters into it (engine/config.ts).
 */

/** The scopes of Okta's setup guide for this integration: requested when OKTA_SCOPES is not set. */
export const DEFAULT_SCOPES = [
  'okta.apps.manage',
  'okta.apps.read',
  'okta.groups.manage',
  'okta.groups.read',
  'okta.logs.read',
  'okta.networkZones.manage',
  'okta.networkZones.read',
  'okta.sessions.manage',
  'okta.sessions.read',
  'okta.users.manage',
  'okta.users.read',
] as const;

export type AuthMethod = 'api_token' | 'oauth' | 'user';

/** Where `okta-soar login` listens for the browser unless OKTA_REDIRECT_URI says otherwise (contract §2). */
export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:8400/callback';

/** Everything the client needs to talk to one Okta org, resolved and checked (engine/config.ts builds it from the parameters). */
export interface OktaConfig {
  /** https://acme.okta.com (no trailing slash, no path). */
  origin: string;
  authMethod: AuthMethod;
  apiToken?: string;
  clientId?: string;
  privateKey?: string;
  /** auth_method user with an OIDC Web app: its client secret (client_secret_post). */
  clientSecret?: string;
  /** auth_method user: the sign-in redirect URI registered on the app (loopback http). */
  redirectUri?: string;
  /** auth_method user: how long `okta-soar login` waits for the browser. */
  loginTimeoutMs?: number;
  keyId?: string;
  jwtAlgorithm?: string;
  scopes: string[];
  dpop: 'auto' | 'true' | 'false';
  insecure: boolean;
  /** true: honour HTTPS_PROXY/NO_PROXY; false: ignore them; a URL: use it. */
  proxy: boolean | string;
  maxRetries: number;
  timeoutMs: number;
  maxWaitMs: number;
  maxApiCapacity: number;
  maxConcurrency: number;
  /** All parameters with defaults applied (secrets included: never print this object). */
  params: Record<string, unknown>;
}
