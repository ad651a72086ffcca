/**
 * Secret arguments (passwords) off the command line (--secret-stdin / --secret-file /
 * --secret-env), masked everywhere while their command runs, and one-time links (a password
 * reset URL) hidden unless the analyst explicitly asks to see them.
 *
 * Two commands are registered for the test only (the manifest map and the handler table are
 * the seams): one that sets a password, one that returns a reset link. They do what the real
 * okta-set-password and okta-reset-password do on the wire.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import nock from 'nock';
import { handlers } from '../../../commands/index.js';
import type { Handler } from '../../../integration/engine/command.js';
import { main } from '../../../entry/cli.js';
import { ManualClock } from '../../../integration/base/clock.js';
import { dispatch } from '../../../entry/index.js';
import { loadManifest, type ManifestCommand } from '../../../integration/engine/manifest.js';
import { clearSecrets, redactString } from '../../../integration/base/redact.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { assertNoLeak, fakeIO, ORG, strings } from './helpers.js';

const TOKEN = '00SecretArgs-apiToken-0123456789abcdefghij';
const PASSWORD = 'Tr0ub4dor&3-horse staple';
const RESET_URL = `${ORG}/signin/reset-password/XE6wE17zmphl3KqAPFxO`;

const SET_PW: ManifestCommand = {
  name: 'okta-sectest-set-password',
  description: 'Sets a password (test double of okta-set-password).',
  scopes: ['okta.users.manage'],
  changes: true,
  arguments: [
    { name: 'username', description: 'login', default: true, required: true, schema: { type: 'string', minLength: 1, maxLength: 1024 } },
    { name: 'password', description: 'the new password', secret: true, required: true, schema: { type: 'string', minLength: 1, maxLength: 1024 } },
  ],
  outputs: [],
};

const setPassword: Handler = async (ctx) => {
  const res = await ctx.okta.request<{ id: string; passwordChanged?: string }>({
    method: 'POST',
    path: '/api/v1/users/{id}',
    pathParams: { id: String(ctx.args.username) },
    body: { credentials: { password: { value: ctx.args.password } } },
  });
  return { readable: `${String(ctx.args.username)} password was last changed on ${res.data.passwordChanged ?? '?'}`, raw: res.data };
};

const RESET: ManifestCommand = {
  name: 'okta-sectest-reset-password',
  description: 'Returns a reset link (test double of okta-reset-password sendEmail=false).',
  scopes: ['okta.users.manage'],
  changes: true,
  arguments: [
    { name: 'username', description: 'login', default: true, required: true, schema: { type: 'string', minLength: 1, maxLength: 1024 } },
    { name: 'reveal_url', description: 'show the link', defaultValue: 'false', predefined: ['true', 'false'] },
  ],
  outputs: [],
};

const resetPassword: Handler = async (ctx) => {
  const res = await ctx.okta.request<{ resetPasswordUrl: string }>({
    method: 'POST',
    path: '/api/v1/users/{id}/lifecycle/reset_password',
    pathParams: { id: String(ctx.args.username) },
    query: { sendEmail: false },
  });
  const url = res.data.resetPasswordUrl;
  return {
    readable: `### Password reset link for ${String(ctx.args.username)}\n|Reset link|\n|---|\n|${url}|\n`,
    raw: res.data,
    context: { 'Okta.ResetPassword(val.Username && val.Username === obj.Username)': { Username: ctx.args.username, ResetPasswordUrl: url } },
    ...(ctx.args.reveal_url === true ? { reveal: [url] } : {}),
  };
};

beforeAll(() => {
  nock.disableNetConnect();
  const { commands } = loadManifest();
  commands.set(SET_PW.name, SET_PW);
  commands.set(RESET.name, RESET);
  handlers[SET_PW.name] = setPassword;
  handlers[RESET.name] = resetPassword;
});
afterAll(() => {
  nock.enableNetConnect();
  // Unpatch Node's http module: later test files in this Jest worker may need real sockets.
  nock.restore();
  loadManifest().commands.delete(SET_PW.name);
  loadManifest().commands.delete(RESET.name);
  delete handlers[SET_PW.name];
  delete handlers[RESET.name];
});
afterEach(() => {
  nock.cleanAll();
  clearSecrets();
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = () => ({ OKTA_URL: ORG, OKTA_API_TOKEN: TOKEN, OKTA_STATE_DIR: path.join(dir, 'state'), OKTA_MAX_RETRIES: '0', OKTA_PROXY: 'false' });

/** Okta answering the password change; a hostile one echoes the password back. */
function oktaSetPassword(echo = true): { body(): unknown } {
  let got: unknown;
  nock(ORG)
    .post('/api/v1/users/alice@example.com', (b: unknown) => ((got = b), true))
    .reply(400, {
      errorCode: 'E0000001',
      errorSummary: 'Api validation failed: password',
      errorId: 'oaePw',
      errorCauses: [{ errorSummary: echo ? `password: '${PASSWORD}' was used recently` : 'password: was used recently' }],
    });
  return { body: () => got };
}

describe('CLI: secret arguments from stdin, a file or the environment', () => {
  test('--secret-stdin: the password goes to Okta (one trailing newline dropped) and nowhere else', async () => {
    const okta = oktaSetPassword();
    const f = fakeIO(env(), `${PASSWORD}\n`);
    const code = await main(['run', SET_PW.name, 'username=alice@example.com', '--secret-stdin', 'password', '--json', '--debug'], f.io);
    expect(code).toBe(1);
    expect(okta.body()).toEqual({ credentials: { password: { value: PASSWORD } } });
    const [entry] = JSON.parse(f.stdout()) as Array<{ Contents: string }>;
    expect(entry!.Contents).toMatch(/HTTP 400 .*E0000001 .*\[REDACTED\]/);
    expect(f.stderr()).not.toMatch(/warning: password given on the command line/);
    assertNoLeak({ stdout: f.stdout(), stderr: f.stderr() }, [PASSWORD, TOKEN]);
  });

  test('--secret-file NAME=PATH (and a warning when the file is readable by others)', async () => {
    const file = path.join(dir, 'pw.txt');
    writeFileSync(file, `${PASSWORD}\r\n`, { mode: 0o600 });
    const okta = oktaSetPassword();
    let f = fakeIO(env());
    expect(await main(['run', SET_PW.name, 'alice@example.com', `--secret-file=password=${file}`, '--json'], f.io)).toBe(1);
    expect(okta.body()).toEqual({ credentials: { password: { value: PASSWORD } } });
    expect(f.stderr()).toBe('');
    assertNoLeak({ stdout: f.stdout() }, [PASSWORD]);

    chmodSync(file, 0o644);
    oktaSetPassword();
    f = fakeIO(env());
    await main(['run', SET_PW.name, 'alice@example.com', '--secret-file', `password=${file}`, '--json'], f.io);
    expect(f.stderr()).toMatch(/can be read by other users \(mode 644\); chmod 600 it/);
    assertNoLeak({ stdout: f.stdout(), stderr: f.stderr() }, [PASSWORD]);
  });

  test('--secret-env NAME=VAR', async () => {
    const okta = oktaSetPassword();
    const f = fakeIO({ ...env(), NEW_PW: PASSWORD });
    await main(['run', SET_PW.name, 'username=alice@example.com', '--secret-env', 'password=NEW_PW', '--json'], f.io);
    expect(okta.body()).toEqual({ credentials: { password: { value: PASSWORD } } });
    assertNoLeak({ stdout: f.stdout(), stderr: f.stderr() }, [PASSWORD]);
  });

  test('on a terminal, --secret-stdin prompts without echo', async () => {
    const okta = oktaSetPassword();
    const f = fakeIO(env());
    let raw = false;
    const tty = Object.assign(new Readable({ read() {} }), {
      isTTY: true,
      setRawMode(on: boolean) {
        raw = on;
        return this;
      },
    });
    f.io.stdin = tty;
    setTimeout(() => tty.push(Buffer.from(`${PASSWORD}x\u007f\r`)), 10);
    await main(['run', SET_PW.name, 'username=alice@example.com', '--secret-stdin', 'password', '--json'], f.io);
    expect(raw).toBe(false);
    expect(okta.body()).toEqual({ credentials: { password: { value: PASSWORD } } });
    expect(f.stderr()).toBe('password: \n');
  });

  test('a password given as name=value works, with a warning that ps and history see it', async () => {
    const okta = oktaSetPassword();
    const f = fakeIO(env());
    await main(['run', SET_PW.name, 'username=alice@example.com', `password=${PASSWORD}`, '--json'], f.io);
    expect(okta.body()).toEqual({ credentials: { password: { value: PASSWORD } } });
    expect(f.stderr()).toMatch(/warning: password given on the command line is visible to other local users \(ps\) and stays in shell history; use --secret-stdin password/);
    assertNoLeak({ stdout: f.stdout(), stderr: f.stderr() }, [PASSWORD]);
  });

  test.each([
    [['--secret-stdin', 'username'], 2, /username is not a secret argument of okta-sectest-set-password; give it as username=value/],
    [['--secret-stdin', 'nope'], 2, /has no argument nope \(its secret arguments: password\)/],
    [['--secret-stdin', 'password', `password=${PASSWORD}`], 2, /argument password is given twice/],
    [['--secret-stdin', 'password', '--secret-env', 'password=X'], 2, /given once|given twice/],
    [['--secret-file', 'password'], 2, /--secret-file needs NAME=PATH/],
    [['--secret-file', 'password=/nonexistent/pw'], 1, /cannot read password from "\/nonexistent\/pw": ENOENT/],
    [['--secret-env', 'password=UNSET_VARIABLE_X'], 1, /UNSET_VARIABLE_X" is not set/],
    [['--secret-stdin'], 2, /--secret-stdin needs a value/],
  ])('%j → exit %i', async (flags, exit, message) => {
    const f = fakeIO(env(), `${PASSWORD}\n`);
    const code = await main(['run', SET_PW.name, 'username=alice@example.com', ...flags, '--json'], f.io);
    expect(code).toBe(exit);
    const [entry] = JSON.parse(f.stdout()) as Array<{ Type: number; Contents: string }>;
    expect(entry!.Type).toBe(4);
    expect(entry!.Contents).toMatch(message);
    assertNoLeak({ stdout: f.stdout(), stderr: f.stderr() }, [PASSWORD]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  test('empty standard input is an error, not an empty password', async () => {
    const f = fakeIO(env(), '\n');
    expect(await main(['run', SET_PW.name, 'username=alice@example.com', '--secret-stdin', 'password', '--json'], f.io)).toBe(1);
    expect(JSON.parse(f.stdout())[0].Contents).toMatch(/argument password is empty \(read with --secret-stdin\)/);
  });

  test('the flags belong to run only', async () => {
    const f = fakeIO(env());
    expect(await main(['commands', '--secret-stdin', 'password', '--json'], f.io)).toBe(2);
    expect(JSON.parse(f.stdout())[0].Contents).toMatch(/--secret-stdin applies to run only/);
  });

  test('--help lists the flags for a command with a secret argument', async () => {
    const f = fakeIO(env());
    expect(await main(['run', SET_PW.name, '--help'], f.io)).toBe(0);
    expect(f.stdout()).toMatch(/--secret-stdin NAME/);
    expect(f.stdout()).toMatch(/--secret-file NAME=PATH/);
  });
});

describe('dispatch: a password argument is masked everywhere while its command runs, and forgotten after', () => {
  const opts = () => ({ clock: new ManualClock(), state: new MemoryStore() });

  test('an Okta error echoing it, the debug lines, the entries', async () => {
    oktaSetPassword();
    const logs: string[] = [];
    const o = await dispatch(SET_PW.name, { username: 'alice@example.com', password: PASSWORD }, { url: ORG, apitoken: TOKEN }, { ...opts(), debug: (l) => logs.push(l) });
    expect(o.exitCode).toBe(1);
    assertNoLeak({ entries: JSON.stringify(o.entries), strings: strings(o.entries).join('\n'), debug: logs.join('\n') }, [PASSWORD, TOKEN]);
    // Held for the run only: a long-running serve process does not collect every password it saw.
    expect(redactString(`x ${PASSWORD} y`)).toBe(`x ${PASSWORD} y`);
  });

  test('a short password (4 characters) is masked too', async () => {
    nock(ORG).post('/api/v1/users/alice@example.com').reply(400, { errorCode: 'E0000001', errorSummary: 'password: Pw1! is too short', errorCauses: [] });
    const o = await dispatch(SET_PW.name, { username: 'alice@example.com', password: 'Pw1!' }, { url: ORG, apitoken: TOKEN }, opts());
    expect(JSON.stringify(o.entries)).not.toContain('Pw1!');
  });

  test('dry_run=true shows the request it would send, with the password masked', async () => {
    const o = await dispatch(SET_PW.name, { username: 'alice@example.com', password: PASSWORD, dry_run: 'true' }, { url: ORG, apitoken: TOKEN }, opts());
    expect(o.exitCode).toBe(0);
    const text = JSON.stringify(o.entries);
    expect(text).toContain('/api/v1/users/alice@example.com');
    expect(text).toContain('[REDACTED]');
    assertNoLeak({ entries: text }, [PASSWORD]);
  });
});

describe('a password reset link is a secret unless the analyst asks to see it', () => {
  const reply = () =>
    nock(ORG)
      .post('/api/v1/users/alice@example.com/lifecycle/reset_password')
      .query({ sendEmail: 'false' })
      .reply(200, { resetPasswordUrl: RESET_URL });

  test('by default: masked in Contents, context and readable', async () => {
    reply();
    const o = await dispatch(RESET.name, { username: 'alice@example.com' }, { url: ORG, apitoken: TOKEN }, { clock: new ManualClock(), state: new MemoryStore() });
    expect(o.exitCode).toBe(0);
    expect(o.entries[0]!.Contents).toEqual({ resetPasswordUrl: '[REDACTED]' });
    expect(o.entries[0]!.HumanReadable).toContain(`${ORG}/signin/reset-password/[REDACTED]`);
    assertNoLeak({ entries: JSON.stringify(o.entries) }, ['XE6wE17zmphl3KqAPFxO']);
  });

  test('revealed on request: shown by dispatch and by the CLI (--json and readable)', async () => {
    reply();
    const o = await dispatch(RESET.name, { username: 'alice@example.com', reveal_url: 'true' }, { url: ORG, apitoken: TOKEN }, { clock: new ManualClock(), state: new MemoryStore() });
    expect(o.entries[0]!.Contents).toEqual({ resetPasswordUrl: RESET_URL });
    expect(o.revealed).toEqual([RESET_URL]);

    reply();
    let f = fakeIO(env());
    expect(await main(['run', RESET.name, 'alice@example.com', 'reveal_url=true', '--json'], f.io)).toBe(0);
    expect(JSON.parse(f.stdout())[0].Contents).toEqual({ resetPasswordUrl: RESET_URL });

    reply();
    f = fakeIO(env());
    expect(await main(['run', RESET.name, 'alice@example.com', 'reveal_url=true'], f.io)).toBe(0);
    expect(f.stdout()).toContain(RESET_URL);

    reply();
    f = fakeIO(env());
    expect(await main(['run', RESET.name, 'alice@example.com'], f.io)).toBe(0);
    expect(f.stdout()).not.toContain('XE6wE17zmphl3KqAPFxO');
  });
});
