import { statSync } from 'node:fs';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { runCli, tempStateDir } from './helpers.js';
import { ALL_SCOPES } from './response-steps.js';

let sb: Sandbox;
beforeAll(async () => {
  // Every scope granted and asked for (the incident-response ones too), so every command is available.
  sb = await startSandbox({ users: 60, logEvents: 100, dpop: true, quiet: true, grantedScopes: ALL_SCOPES });
});
afterAll(() => sb?.close());

test('keygen, paste the public JWK into the app, and test-module confirms the connection (DPoP left on)', async () => {
  const state = tempStateDir();
  const k = await runCli(['keygen', '--json'], { OKTA_STATE_DIR: state });
  expect(k.code).toBe(0);
  const { publicJwk, privateKeyFile, keyId } = JSON.parse(k.stdout) as { publicJwk: Record<string, string>; privateKeyFile: string; keyId: string };
  expect(publicJwk.d).toBeUndefined(); // the public key only
  expect(statSync(privateKeyFile).mode & 0o777).toBe(0o600);
  expect(k.stdout).not.toMatch(/PRIVATE KEY/);
  // The admin's step in the Okta console: Add key → paste the JWK.
  sb.oauth.updateApp(sb.clientId, { publicJwks: [publicJwk] });
  const env = { OKTA_URL: sb.url, OKTA_CLIENT_ID: sb.clientId, OKTA_PRIVATE_KEY_FILE: privateKeyFile, OKTA_KEY_ID: keyId, OKTA_SCOPES: ALL_SCOPES.join(' '), OKTA_STATE_DIR: state };
  const t = await runCli(['test-module'], env);
  expect(t.code).toBe(0);
  expect(t.stdout).toMatch(/^ok\n/);
  expect(t.stdout).toContain('token type DPoP');
  expect(t.stdout).toContain('Every command is available with these scopes.');
});
