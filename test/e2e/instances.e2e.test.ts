/**
 * Instances (contract §8): one deployment, several orgs. The real CLI against two sandbox orgs:
 * `okta-soar instances`, `using=NAME` on run, fetch-incidents polling every instance with its own
 * cursor, and the bad inputs (a bad name, an unknown using=, a file holding secrets that others
 * can read, a missing using= with several instances): exit 1, the reason, no secret.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { runCli, SCOPES, tempStateDir } from './helpers.js';

let acme: Sandbox;
let beta: Sandbox;
const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-instances-e2e-'));

beforeAll(async () => {
  [acme, beta] = await Promise.all([startSandbox({ seed: 1, users: 20, logEvents: 0, quiet: true }), startSandbox({ seed: 2, users: 20, logEvents: 0, quiet: true })]);
});
afterAll(async () => {
  await Promise.all([acme?.close(), beta?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** acme by API token (a secret in the file: mode 0600), beta by OAuth with its key in a file of its own. */
function instancesFile(name = 'instances.yml', mode = 0o600, extra = ''): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `instances:
  acme:
    url: ${acme.url}
    apitoken: ${acme.apiToken}
    fetch_query_filter: uuid pr
    first_fetch: 1 hour
  beta:
    url: ${beta.url}
    client_id: ${beta.clientId}
    private_key_file: ${beta.privateKeyFile}
    key_id: ${beta.keyId}
    scopes: ${SCOPES}
    fetch_query_filter: uuid pr
    first_fetch: 1 hour
${extra}`,
  );
  chmodSync(file, mode);
  return file;
}

test('okta-soar instances lists each org and how it signs in, never a secret', async () => {
  const file = instancesFile();
  const r = await runCli(['instances', '--json'], { OKTA_INSTANCES_FILE: file });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual([
    { name: 'acme', url: acme.url, authMethod: 'api_token' },
    { name: 'beta', url: beta.url, authMethod: 'oauth', clientId: beta.clientId },
  ]);
  const text = await runCli(['instances', '--instances', file], {});
  expect(text.stdout).toMatch(/^2 instances in .*instances\.yml:\nacme {2}http/);
  expect(text.stdout + text.stderr).not.toContain(acme.apiToken);
});

test('using=NAME picks the org of a command; each instance answers from its own org', async () => {
  const file = instancesFile();
  const env = { OKTA_INSTANCES_FILE: file, OKTA_STATE_DIR: tempStateDir() };
  const a = await runCli(['run', 'okta-get-user', 'username=alice@example.com', 'using=acme', '--json'], env);
  const b = await runCli(['run', 'okta-get-user', 'username=alice@example.com', 'using=beta', '--json'], env);
  expect([a.code, b.code]).toEqual([0, 0]);
  const id = (r: { stdout: string }) => (JSON.parse(r.stdout) as Array<{ Contents: { id: string } }>)[0]!.Contents.id;
  expect(id(a)).not.toBe(id(b)); // two orgs (two seeds), two ids for alice
  expect(beta.stats.oauth.tokensMinted).toBeGreaterThanOrEqual(1);
});

test('fetch-incidents fetches every instance, each from its own cursor, each document naming its instance', async () => {
  const file = instancesFile();
  const env = { OKTA_INSTANCES_FILE: file, OKTA_STATE_DIR: tempStateDir() };
  const inA = acme.org.appendEvents([{ eventType: 'user.account.lock' }, { eventType: 'user.account.lock' }]).map((e) => e.uuid);
  const inB = beta.org.appendEvents([{ eventType: 'security.threat.detected' }]).map((e) => e.uuid);
  const r = await runCli(['fetch-incidents', '--json'], env);
  expect(r.code).toBe(0);
  const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { instance: string; incidents: Array<{ dbotMirrorId: string }> });
  const by = Object.fromEntries(docs.map((d) => [d.instance, d.incidents.map((i) => i.dbotMirrorId)]));
  expect(by).toEqual({ acme: inA, beta: inB });
  const more = beta.org.appendEvents([{ eventType: 'user.account.lock' }]).map((e) => e.uuid);
  const again = await runCli(['fetch-incidents', '--json'], env);
  const docs2 = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as { instance: string; incidents: Array<{ dbotMirrorId: string }> });
  expect(Object.fromEntries(docs2.map((d) => [d.instance, d.incidents.map((i) => i.dbotMirrorId)]))).toEqual({ acme: [], beta: more });
}, 60_000);

describe('bad instances input: exit 1, the reason, no secret', () => {
  const expectRefused = (r: { code: number | null; stdout: string; stderr: string }, reason: RegExp) => {
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(reason);
    expect(r.stdout + r.stderr).not.toContain(acme.apiToken);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  test('a file holding secrets that group or others may read is refused, saying so', async () => {
    const file = instancesFile('open.yml', 0o644);
    expectRefused(await runCli(['instances'], { OKTA_INSTANCES_FILE: file }), /holds secrets \(apitoken of acme\) and is readable by group or others \(mode 644\); chmod 600/);
  });

  test('an instance name that is not letters, digits, - and _', async () => {
    const file = path.join(dir, 'badname.yml');
    writeFileSync(file, `instances:\n  "acme corp":\n    url: ${acme.url}\n    apitoken: x\n`, { mode: 0o600 });
    expectRefused(await runCli(['instances'], { OKTA_INSTANCES_FILE: file }), /the instance name "acme corp" must be 1–64 letters, digits, - and _/);
  });

  test('an unknown using= names the instances (and the closest one)', async () => {
    const file = instancesFile();
    const r = await runCli(['run', 'okta-get-user', 'username=alice@example.com', 'using=acmee'], { OKTA_INSTANCES_FILE: file, OKTA_STATE_DIR: tempStateDir() });
    expectRefused(r, /unknown instance "acmee" \(using=\); the instances of .* are: acme, beta \(did you mean acme\?\)/);
  });

  test('several instances and no using=: says which to pick from', async () => {
    const file = instancesFile();
    const r = await runCli(['run', 'okta-get-user', 'username=alice@example.com'], { OKTA_INSTANCES_FILE: file, OKTA_STATE_DIR: tempStateDir() });
    expectRefused(r, /using=NAME is needed: .* has 2 instances \(acme, beta\)/);
  });

  test('an instance with a bad parameter is named at start-up', async () => {
    const file = instancesFile('typo.yml', 0o600, '  gamma:\n    url: ftp://nowhere\n    apitoken: y\n');
    expectRefused(await runCli(['instances'], { OKTA_INSTANCES_FILE: file }), /instance gamma: url must use https:\/\//);
  });
});
