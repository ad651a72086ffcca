/**
 * Typed errors with stable codes. The dispatcher turns each into an error entry;
 * nothing else formats errors for users.
 */
export abstract class SoarError extends Error {
  abstract readonly code: string;
  /** Exit status the CLI should use when this error ends a command. */
  readonly exitCode: 1 | 2 = 1;
}

/** A command argument failed validation. */
export class ArgumentError extends SoarError {
  readonly code = 'ERR_ARGUMENT';
  constructor(
    message: string,
    readonly argument?: string,
    readonly rule?: string,
  ) {
    super(message);
    this.name = 'ArgumentError';
  }
}

/** Configuration is missing or invalid. */
export class ConfigError extends SoarError {
  readonly code = 'ERR_CONFIG';
  constructor(
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** CLI misuse: unknown verb or command, malformed flags. Exit 2. */
export class UsageError extends SoarError {
  readonly code = 'ERR_USAGE';
  override readonly exitCode = 2 as const;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Authentication failed before or while talking to Okta (token endpoint, key, DPoP). */
export class AuthError extends SoarError {
  readonly code = 'ERR_AUTH';
  constructor(
    message: string,
    /** OAuth `error` (invalid_client, invalid_scope, …) when the token endpoint gave one. */
    readonly oauthError?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** A command needs an OAuth scope outside the configured set. Raised before any request. */
export class ScopeError extends SoarError {
  readonly code = 'ERR_SCOPE';
  constructor(
    message: string,
    readonly missingScopes: string[],
  ) {
    super(message);
    this.name = 'ScopeError';
  }
}

export interface OktaErrorCause {
  errorSummary: string;
}

/** Okta answered with an error status. Carries Okta's error body fields. */
export class OktaApiError extends SoarError {
  readonly code = 'ERR_OKTA_API';
  constructor(
    readonly status: number,
    readonly method: string,
    /** Path only (no origin, no query): safe to show. */
    readonly path: string,
    readonly errorCode?: string,
    readonly errorSummary?: string,
    readonly errorCauses: OktaErrorCause[] = [],
    readonly errorId?: string,
    readonly requestId?: string,
  ) {
    super(OktaApiError.describe(status, method, path, errorCode, errorSummary, errorCauses, errorId));
    this.name = 'OktaApiError';
  }

  static describe(
    status: number,
    method: string,
    path: string,
    errorCode?: string,
    errorSummary?: string,
    errorCauses: OktaErrorCause[] = [],
    errorId?: string,
  ): string {
    let s = `Okta answered HTTP ${status} to ${method} ${path}`;
    if (errorCode) s += `: ${errorCode}`;
    if (errorSummary) s += ` ${errorSummary}`;
    const causes = errorCauses.map((c) => c.errorSummary).filter(Boolean);
    if (causes.length) s += ` (causes: ${causes.join('; ')})`;
    if (errorId) s += ` [errorId ${errorId}]`;
    return s;
  }
}

/** Okta kept saying "wait" longer than we may wait. */
export class RateLimitError extends SoarError {
  readonly code = 'ERR_RATE_LIMIT';
  constructor(
    message: string,
    readonly bucket: string,
    /** Epoch ms when Okta said the bucket resets. */
    readonly resetAt?: number,
  ) {
    super(message);
    this.name = 'RateLimitError';
  }
}

/** The network failed (DNS, refused, reset, timeout, TLS) after retries. */
export class NetworkError extends SoarError {
  readonly code = 'ERR_NETWORK';
  constructor(
    message: string,
    readonly cause_code?: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

/**
 * The state store (a directory, or Redis) could not be used: unreachable, refused, lost, or a
 * value it holds cannot be read with the configured key. The message names the store without
 * credentials.
 */
export class StateError extends SoarError {
  readonly code = 'ERR_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

/** A request was refused locally for safety (foreign origin, redirect, bad polling URL). */
export class SecurityError extends SoarError {
  readonly code = 'ERR_SECURITY';
  constructor(message: string) {
    super(message);
    this.name = 'SecurityError';
  }
}

/** The user asked for something that does not exist (group by name, app by name). */
export class NotFoundError extends SoarError {
  readonly code = 'ERR_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/**
 * An untrusted value (a command name, an argument name, a stray word) as it may appear in a
 * message: quoted, cut to `max` characters, and with every character that could forge lines,
 * reorder text or hide itself (controls, line separators, bidi overrides) escaped. Messages
 * stay one line whatever a playbook feeds in.
 */
export function showValue(v: unknown, max = 64): string {
  const s = typeof v === 'string' ? v : String(v);
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
