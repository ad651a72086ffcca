import { ScopeError } from '../base/errors.js';

/** The scopes of `needed` that `configured` lacks (okta.x.manage covers okta.x.read, as in Okta). */
export function missingScopes(needed: readonly string[], configured: readonly string[]): string[] {
  const have = new Set(configured);
  return needed.filter((s) => !have.has(s) && !(s.endsWith('.read') && have.has(s.replace(/\.read$/, '.manage'))));
}

/** Fails before any request when the configured scopes leave `what` out, naming the scopes to add and grant. */
export function checkScopes(what: string, needed: readonly string[], configured: readonly string[]): void {
  const missing = missingScopes(needed, configured);
  if (!missing.length) return;
  const many = missing.length > 1;
  throw new ScopeError(
    `${what} needs the Okta API scope${many ? 's' : ''} ${missing.join(', ')}, which ${many ? 'are' : 'is'} not in the configured scopes. ` +
      `Add ${missing.join(' ')} to OKTA_SCOPES (scopes), and grant ${many ? 'them' : 'it'} to the service app in the Okta Admin Console under Applications → your app → Okta API Scopes.`,
    missing,
  );
}
