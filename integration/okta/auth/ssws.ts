/** API token auth: `Authorization: SSWS <token>`. Nothing to refresh, so failures are final. */
import { ConfigError } from '../../base/errors.js';
import type { AuthProvider } from '../types.js';

export interface SswsOptions {
  /** Told the token once, so the redaction layer can mask it. */
  onSecret?: (value: string) => void;
}

export function createSswsAuth(token: string, opts: SswsOptions = {}): AuthProvider {
  const value = typeof token === 'string' ? token.trim() : '';
  if (value === '') throw new ConfigError('apitoken is empty: set OKTA_API_TOKEN or apitoken', 'apitoken');
  // Header injection and copy-paste accidents (a whole "SSWS xyz" line, a trailing newline).
  if (/\s/.test(value)) {
    throw new ConfigError(
      /^ssws\s/i.test(value) ? 'apitoken should be the token alone, without the "SSWS " prefix' : 'apitoken contains whitespace; paste the token alone',
      'apitoken',
    );
  }
  if (!/^[\x21-\x7e]+$/.test(value)) throw new ConfigError('apitoken contains characters an Okta API token never has', 'apitoken');
  opts.onSecret?.(value);
  const headers = Object.freeze({ Authorization: `SSWS ${value}` });
  return {
    kind: 'api_token',
    async authorize() {
      return { ...headers };
    },
    async onAuthFailure() {
      return 'fail';
    },
    async describe() {
      return { authMethod: 'api_token', tokenType: 'SSWS' };
    },
  };
}
