/**
 * serve's callers (issue 19): OKTA_SOAR_SERVE_TOKEN keeps working as the caller `default`;
 * a file (or env text) of hashed tokens names several, read-only unless `changes: true`; every
 * mistake is named without ever quoting a token.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../integration/base/errors.js';
import { callersFromEnv, tokenHash } from '../../integration/faces/serve/callers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-callers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const A = 'token-a-1f2e3d4c5b6a7980';
const B = 'token-b-0a9b8c7d6e5f4321';

test('OKTA_SOAR_SERVE_TOKEN alone: one caller, default, allowed to change Okta', () => {
  const c = callersFromEnv({ OKTA_SOAR_SERVE_TOKEN: A });
  expect(c.authenticate(`Bearer ${A}`)).toEqual({ name: 'default', changes: true });
  expect(c.authenticate(`bearer   ${A}`)).toEqual({ name: 'default', changes: true });
  expect(c.authenticate(`Bearer ${B}`)).toBeUndefined();
  expect(c.authenticate(`Basic ${A}`)).toBeUndefined();
  expect(c.authenticate(undefined)).toBeUndefined();
});

test('a YAML file and JSON in the environment, together with the single token', () => {
  const file = path.join(dir, 'callers.yml');
  writeFileSync(file, `callers:\n  - { name: dashboard, sha256: ${tokenHash(A)} }\n`);
  const c = callersFromEnv({
    OKTA_SOAR_SERVE_TOKENS_FILE: file,
    OKTA_SOAR_SERVE_TOKENS: JSON.stringify({ callers: [{ name: 'tines', sha256: tokenHash(B).toUpperCase(), changes: true }] }),
    OKTA_SOAR_SERVE_TOKEN: 'legacy-token-000000000000',
  });
  expect(c.names().sort()).toEqual(['dashboard', 'default', 'tines']);
  expect(c.authenticate(`Bearer ${A}`)).toEqual({ name: 'dashboard', changes: false });
  expect(c.authenticate(`Bearer ${B}`)).toEqual({ name: 'tines', changes: true });
});

test.each([
  ['a short single token', { OKTA_SOAR_SERVE_TOKEN: 'short' }, /at least 16/],
  ['a missing file', { OKTA_SOAR_SERVE_TOKENS_FILE: '/nonexistent/callers.yml' }, /cannot read \/nonexistent\/callers.yml \(ENOENT\)/],
  ['not YAML', { OKTA_SOAR_SERVE_TOKENS: 'callers: [' }, /OKTA_SOAR_SERVE_TOKENS is not valid YAML or JSON/],
  ['a plain token instead of its hash', { OKTA_SOAR_SERVE_TOKENS: `callers: [{ name: x, sha256: ${A} }]` }, /\/callers\/0\/sha256 must match pattern/],
  ['an unknown key', { OKTA_SOAR_SERVE_TOKENS: `callers: [{ name: x, sha256: ${tokenHash(A)}, token: ${A} }]` }, /must NOT have additional properties/],
  ['a name twice', { OKTA_SOAR_SERVE_TOKENS: `callers: [{ name: x, sha256: ${tokenHash(A)} }, { name: x, sha256: ${tokenHash(B)} }]` }, /caller x is named twice/],
  ['a token twice', { OKTA_SOAR_SERVE_TOKENS: `callers: [{ name: x, sha256: ${tokenHash(A)} }, { name: y, sha256: ${tokenHash(A)} }]` }, /caller y has the same token as caller x/],
])('%s is refused, naming the problem and no token', (_what, env, message) => {
  let err: unknown;
  try {
    callersFromEnv(env);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain(A);
});
