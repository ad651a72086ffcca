import path from 'node:path';
import { generateServiceAppKey, writePrivateKeyFile } from '../../../okta/auth/keygen.js';
import { defaultStateDir } from '../../../state/store.js';
import { write, type CliIO } from '../io.js';
import type { GlobalFlags } from '../shared.js';
import { promises as fs } from 'node:fs';

/**
 * `okta-soar keygen [--rsa]`: a new private key for an OAuth service app, written to the state
 * directory with mode 0600; the public JWK goes to stdout to paste into the app's PUBLIC KEYS.
 * The private key is never printed.
 */
export async function keygenVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
  const key = await generateServiceAppKey(flags.flags.has('--rsa') ? 'RSA' : 'EC');
  const dir = defaultStateDir(io.env);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `service-app-key-${key.kid}.pem`);
  await writePrivateKeyFile(file, key.privateKeyPem);
  if (flags.json) {
    await write(io.stdout, JSON.stringify({ publicJwk: key.publicJwk, privateKeyFile: file, keyId: key.kid }) + '\n');
    return 0;
  }
  await write(
    io.stdout,
    [
      `Private key written to ${file} (mode 0600). It is not printed; keep it there.`,
      '',
      'Public key (JWK): paste it in the Okta Admin Console under Applications → your API service app →',
      'General → Client Credentials → Public key / Private key → Add key → Paste your own key:',
      '',
      JSON.stringify(key.publicJwk, null, 2),
      '',
      'Then configure okta-soar with:',
      `  export OKTA_CLIENT_ID=<the app's client id>`,
      `  export OKTA_PRIVATE_KEY_FILE=${file}`,
      `  export OKTA_KEY_ID=${key.kid}`,
      'and run `okta-soar test-module` to check the connection and the granted scopes.',
      '',
    ].join('\n'),
  );
  return 0;
}
