import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { childEnv } from '../child-env.js';
import { BIN, runCli, tempStateDir, type CliResult } from './helpers.js';

/**
 * Issue #16, with a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser is ever downloaded) opens the URL `okta-soar login --no-browser`
 * prints, signs in on the sandbox's sign-in page as a person would, lands on the CLI's "you may
 * close this" page; then a command changes Okta and the System Log names the analyst.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCOPES = 'okta.users.read okta.users.manage okta.logs.read';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('okta-soar login in a real browser (headless Chromium)', () => {
  let sb: Sandbox;
  let browser: Browser;
  let env: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test installs it as root)`);
    sb = await startSandbox({ users: 40, logEvents: 20, quiet: true });
    const redirect = `http://127.0.0.1:${await freePort()}/callback`;
    sb.oidc.setRedirectUris([redirect]);
    env = { OKTA_URL: sb.url, OKTA_CLIENT_ID: sb.oidc.nativeClientId, OKTA_REDIRECT_URI: redirect, OKTA_SCOPES: SCOPES, OKTA_STATE_DIR: tempStateDir() };
    // --no-sandbox: CI runs as root, where Chromium's own sandbox cannot start; the page is the loopback sandbox org.
    // Chromium runs on the real clock: under CI's libfaketime pass it hangs, and its clock matters to nothing here (the pages are the sandbox's).
    const browserEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'LD_PRELOAD' && !k.startsWith('FAKETIME'))) as Record<string, string>;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, env: browserEnv, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await sb?.close();
  });

  test('from login --no-browser to a suspend logged with the analyst as the actor', async () => {
    let closingPage = '';
    const login = await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'login', '--no-browser'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let driving: Promise<void> | undefined;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /^(http:\/\/\S+\/oauth2\/v1\/authorize\?\S+)$/m.exec(stderr);
        if (!m || driving) return;
        driving = (async () => {
          const page = await browser.newPage();
          await page.goto(m[1]!);
          await page.getByLabel('Username').fill('alice@example.com');
          await page.getByLabel('Password').fill('sandbox-alice');
          await page.click('#okta-signin-submit');
          await page.waitForSelector('#okta-soar-result', { timeout: 20_000 });
          closingPage = (await page.textContent('body')) ?? '';
          await page.close();
        })().catch((e: Error) => {
          closingPage = `browser failed: ${e.message}`;
        });
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
      child.on('error', reject);
      child.on('close', async (code, signal) => {
        clearTimeout(timer);
        await driving;
        resolve({ code, signal, stdout, stderr });
      });
    });
    expect(closingPage).toContain('You are signed in to okta-soar. You may close this window.');
    expect([login.code, login.stdout]).toEqual([0, `Signed in to ${sb.url} as alice@example.com\n`]);

    expect((await runCli(['whoami'], env)).stdout).toContain(`Signed in to ${sb.url} as alice@example.com`);
    const before = sb.org.events.length;
    const r = await runCli(['run', 'okta-suspend-user', 'username=bob@example.com'], env);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const suspend = sb.org.events
      .slice(before)
      .map((e) => e.event)
      .find((e) => e.eventType === 'user.lifecycle.suspend');
    expect(suspend?.actor).toMatchObject({ type: 'User', alternateId: 'alice@example.com' });
  }, 60_000);
});
