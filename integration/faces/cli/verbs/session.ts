/**
 * `okta-soar whoami [--json]` and `okta-soar logout` (contract §3, §7): the analyst's stored
 * sign-in, read or ended. whoami reads the state only; logout revokes the refresh token (which
 * ends its access tokens) and the access token at /oauth2/v1/revoke, then forgets the sign-in.
 */
import { AuthError } from '../../../base/errors.js';
import { addSecret } from '../../../base/redact.js';
import { notSignedInMessage, signInLockName } from '../../../okta/auth/user-signin.js';
import { logErr, write, type CliIO } from '../io.js';
import type { GlobalFlags } from '../shared.js';
import { openUserSession } from './login.js';

const OPENID = new Set(['openid', 'profile', 'email', 'offline_access', 'address', 'phone', 'groups']);

export async function whoamiVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
  const s = await openUserSession(io, flags, 'whoami');
  try {
    const { cfg, signIns } = s;
    const rec = await signIns.current(cfg.origin, cfg.clientId);
    if (!rec) throw new AuthError(await notSignedInMessage(signIns, cfg.origin, cfg.clientId), 'login_required');
    const scopes = rec.scope.split(/\s+/).filter((x) => x && !OPENID.has(x));
    const expiresAt = new Date(rec.expires_at).toISOString();
    if (flags.json) {
      await write(
        io.stdout,
        JSON.stringify({
          org: rec.origin,
          user: rec.user,
          clientId: rec.clientId,
          scopes,
          expiresAt,
          tokenType: rec.token_type,
          refreshable: !!rec.refresh_token,
          signedInAt: new Date(rec.signed_in_at).toISOString(),
        }) + '\n',
      );
    } else {
      const expired = rec.expires_at <= s.clock.now();
      await write(
        io.stdout,
        `Signed in to ${rec.origin} as ${rec.user}\n` +
          `Client: ${rec.clientId}\n` +
          `Scopes: ${scopes.join(' ') || '(none)'}\n` +
          `Access token (${rec.token_type}) ${expired ? 'expired' : 'expires'} ${expiresAt}${rec.refresh_token ? '; renewed with the refresh token when needed' : '; no refresh token: sign in again then'}\n` +
          `Signed in at ${new Date(rec.signed_in_at).toISOString()}\n`,
      );
    }
    return 0;
  } finally {
    s.transport.close();
  }
}

export async function logoutVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
  const s = await openUserSession(io, flags, 'logout');
  try {
    const { cfg, signIns, endpoints } = s;
    const user = await signIns.currentUser(cfg.origin, cfg.clientId);
    if (user === undefined) {
      await write(io.stdout, `Nobody is signed in to ${cfg.origin} (client ${cfg.clientId}); nothing to do.\n`);
      return 0;
    }
    const failure = await s.state.withLock(signInLockName(cfg.origin, cfg.clientId, user), async () => {
      const rec = await signIns.read(cfg.origin, cfg.clientId, user);
      let failed: string | undefined;
      if (rec) {
        addSecret(rec.access_token);
        addSecret(rec.refresh_token);
        try {
          // The refresh token first: revoking it ends every access token minted with it.
          if (rec.refresh_token) await endpoints.revoke(rec.refresh_token, 'refresh_token');
          await endpoints.revoke(rec.access_token, 'access_token');
        } catch (e) {
          failed = (e as Error).message;
        }
      }
      // Forgotten here whatever Okta said: the analyst asked to be signed out.
      await signIns.forget(cfg.origin, cfg.clientId, user);
      return failed;
    });
    if (failure) {
      logErr(
        io,
        `okta-soar: signed ${user} out here, but Okta could not be told (${failure}): the refresh token stays valid at Okta until it expires ` +
          'or an Okta admin clears the user\'s sessions and tokens.',
      );
      return 1;
    }
    await write(io.stdout, `Signed out of ${cfg.origin} (${user}): Okta revoked the sign-in.\n`);
    return 0;
  } finally {
    s.transport.close();
  }
}
