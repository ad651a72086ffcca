import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, StateError } from '../base/errors.js';

/**
 * The key that encrypts what okta-soar keeps in Redis (AES-256-GCM): every value, so a dump of
 * the database, a replica or a backup holds no access token, refresh token or private key.
 * Every process sharing one OKTA_STATE_URL sets the same key.
 */
export class StateCipher {
  private constructor(private readonly key: Buffer) {}

  /** 32 bytes as 64 hex digits, or base64 / base64url (43–44 characters). */
  static parse(text: string, from: string): StateCipher {
    const t = text.trim();
    let key: Buffer | undefined;
    if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
    else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    // Never echo the value: it is the key.
    if (!key || key.length !== 32)
      throw new ConfigError(`${from} must be 32 random bytes as 64 hex digits or base64 (make one with: openssl rand -hex 32)`, 'OKTA_STATE_KEY');
    return new StateCipher(key);
  }

  /** From OKTA_STATE_KEY, or the file OKTA_STATE_KEY_FILE names (readable by its owner only). */
  static fromEnv(env: NodeJS.ProcessEnv): StateCipher {
    const inline = env.OKTA_STATE_KEY?.trim();
    if (inline) return StateCipher.parse(inline, 'OKTA_STATE_KEY');
    const file = env.OKTA_STATE_KEY_FILE?.trim();
    if (!file)
      throw new ConfigError(
        'OKTA_STATE_URL needs OKTA_STATE_KEY (or OKTA_STATE_KEY_FILE): the key that encrypts tokens and keys kept in Redis, the same for every process sharing it (make one with: openssl rand -hex 32)',
        'OKTA_STATE_KEY',
      );
    let text: string;
    try {
      const st = statSync(file);
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
        throw new ConfigError(`OKTA_STATE_KEY_FILE ${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`, 'OKTA_STATE_KEY');
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(`cannot read OKTA_STATE_KEY_FILE ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, 'OKTA_STATE_KEY');
    }
    return StateCipher.parse(text, `OKTA_STATE_KEY_FILE ${file}`);
  }

  /** `v1.` + base64(iv ‖ tag ‖ ciphertext); the key name is authenticated, so a value cannot be moved to another key. */
  seal(name: string, plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(name));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v1.${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`;
  }

  open(name: string, sealed: string, where: string): string {
    const raw = sealed.startsWith('v1.') ? Buffer.from(sealed.slice(3), 'base64') : undefined;
    if (!raw || raw.length < 28) throw new StateError(`the value of ${name} in ${where} is not one okta-soar wrote (not encrypted with its format)`);
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      d.setAAD(Buffer.from(name));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
    } catch {
      throw new StateError(
        `cannot decrypt ${name} in ${where}: it was written with another OKTA_STATE_KEY (every process sharing the state must set the same key), or changed by something else`,
      );
    }
  }
}
