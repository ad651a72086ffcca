import { runCli, tempStateDir } from './helpers.js';

/** `npm start` on a fresh machine: no org configured, so the shell starts the sandbox and works there. */
test('the war room starts the sandbox org when no org is configured, and get-user, suspend-user, get-logs work there', async () => {
  const input = [
    '!okta-get-user username=alice@example.com',
    '!okta-suspend-user alice@example.com',
    '!okta-get-user username=alice@example.com',
    '!okta-get-logs limit=2 filter="eventType eq \\"user.lifecycle.suspend\\""',
    'exit',
  ].join('\n');
  const r = await runCli(['shell'], { OKTA_STATE_DIR: tempStateDir() }, { input, timeoutMs: 60_000 });
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/No Okta org is configured .* started its sandbox Okta org/);
  expect(r.stderr).toMatch(/OKTA_URL=http:\/\/127\.0\.0\.1:\d+/);
  expect(r.stderr).toContain('OKTA_API_TOKEN=00sandbox-api-token-not-a-secret');
  const out = r.stdout;
  expect(out).toMatch(/Okta user alice@example.com\n/);
  expect(out).toMatch(/done \(ACTIVE → SUSPENDED\)/);
  expect(out).toMatch(/alice@example\.com +.* SUSPENDED/);
  expect(out).toMatch(/Okta events \(2\)/);
  expect(out).not.toMatch(/Error:/);
});

test('a failing line is reported and the shell goes on; piped input ends with exit 1 when a line failed', async () => {
  const r = await runCli(['shell'], { OKTA_STATE_DIR: tempStateDir() }, { input: '!okta-get-user usernme=alice\n!okta-get-user username=bob@example.com\n', timeoutMs: 60_000 });
  expect(r.stdout).toMatch(/Error: okta-get-user: unknown argument usernme \(did you mean username\?\)/);
  expect(r.stdout).toMatch(/Okta user bob@example.com/);
  expect(r.code).toBe(1);
});
