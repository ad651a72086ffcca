/**
 * The analyst sign-in's public face (sandbox/oidc.ts): the OIDC apps, their options, the sign-in
 * users, and what tests and the sandbox CLI use (`sb.oidc`).
 */
import type { JWK } from 'jose';

/** The redirect URI both OIDC apps register by default (the CLI's default OKTA_REDIRECT_URI). */
export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:8400/callback';
/** The Web app's fixed client secret. Not a secret: the sandbox's credentials are documented. */
export const SANDBOX_WEB_CLIENT_SECRET = 'sandbox-web-app-client-secret-not-a-secret';

export const GRANT_AUTHORIZATION_CODE = 'authorization_code';
export const GRANT_REFRESH_TOKEN = 'refresh_token';
export const GRANT_DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

/** The password a sandbox user has unless a test set another: `sandbox-` + the login's local part. */
export function defaultPassword(login: string): string {
  return `sandbox-${login.split('@')[0]}`;
}

export type OidcAppKind = 'native' | 'web';

/** An OIDC app integration of the sandbox org. */
export interface SandboxOidcApp {
  clientId: string;
  kind: OidcAppKind;
  label: string;
  /** The Web app's client secret (client_secret_post); none for the Native app. */
  clientSecret?: string;
  /** Sign-in redirect URIs, matched exactly. */
  redirectUris: string[];
  /** Okta API scopes granted to the app (its "Okta API Scopes" tab); '*': every one it asks for. */
  grantedScopes: string[] | '*';
  requireDpop: boolean;
  /** "Require PKCE as additional verification" (both apps: on). */
  requirePkce: boolean;
  refreshTokenRotation: 'ROTATE' | 'STATIC';
  /** Seconds a rotated refresh token still answers (Okta: 0–60, default 30). */
  refreshGraceSeconds: number;
  /** Users assigned directly (ids). */
  assignedUserIds: Set<string>;
  /** Groups assigned (ids): their members are assigned. */
  assignedGroupIds: Set<string>;
}

export interface SandboxOidcOptions {
  /** Sign-in redirect URIs registered on both apps (default: http://127.0.0.1:8400/callback). */
  redirectUris?: string[];
  /** Okta API scopes granted to both apps (default: the service app's). */
  grantedScopes?: string[];
  /** Logins assigned directly to both apps (default: bob@example.com). */
  assignedUsers?: string[];
  /** Group names assigned to both apps (default: Security: admin, alice, heidi and generated security staff). */
  assignedGroups?: string[];
  /** Grace period of refresh token rotation in seconds (default 30). */
  refreshGraceSeconds?: number;
  refreshTokenRotation?: 'ROTATE' | 'STATIC';
  /** Both apps require DPoP. */
  requireDpop?: boolean;
}

/** A sign-in user of the sandbox, as documented (sandbox --json `signInUsers`). */
export interface SignInUser {
  login: string;
  /** null: the user has no password (STAGED). */
  password: string | null;
  status: string;
  /** Admin role types (SUPER_ADMIN, ORG_ADMIN …); empty for an end user. */
  roles: string[];
  /** Assigned to the OIDC apps (else the sign-in ends in error=access_denied). */
  assigned: boolean;
}

export interface SandboxOidcStats {
  authorizeRequests: number;
  signIns: number;
  signInFailures: number;
  codesIssued: number;
  /** Token responses of the user grants (code, refresh, device). */
  userTokenResponses: number;
  refreshes: number;
  reuseDetected: number;
  revocations: number;
  deviceAuthorizations: number;
}

/** The analyst sign-in, as tests and the sandbox CLI see it (`sb.oidc`). */
export interface SandboxOidc {
  /** The org authorization server's issuer (= the sandbox URL). */
  readonly issuer: string;
  readonly nativeClientId: string;
  readonly webClientId: string;
  readonly webClientSecret: string;
  /** The first registered redirect URI (default http://127.0.0.1:8400/callback). */
  readonly redirectUri: string;
  readonly redirectUris: readonly string[];
  /** The documented people, their passwords, roles and assignment. */
  readonly users: readonly SignInUser[];
  readonly stats: SandboxOidcStats;
  /** The ID token signing key (public), also at /oauth2/v1/keys. */
  readonly signingJwk: JWK;
  app(clientId: string): SandboxOidcApp;
  /** The password a user signs in with (undefined: none). */
  passwordOf(login: string): string | undefined;
  setPassword(login: string, password: string): void;
  /** Assign or unassign a user (directly) to both apps. */
  assign(login: string): void;
  unassign(login: string): void;
  /** Change an app's settings at run time. */
  updateApp(clientId: string, patch: Partial<Omit<SandboxOidcApp, 'clientId' | 'kind'>>): void;
  /** Registers these sign-in redirect URIs on both apps (e.g. the free port a test's CLI listens on). */
  setRedirectUris(uris: string[]): void;
  /** What the server still holds (tests: expired state is forgotten). */
  held(): { signInForms: number; codes: number; grants: number; refreshTokens: number; deviceCodes: number };
}
