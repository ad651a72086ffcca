/**
 * `okta-soar sandbox [--port N] [--json]`: serves the sandbox org on loopback until SIGINT or
 * SIGTERM. With `--json` the first stdout line, once listening, is
 * `{"url","apiToken","clientId","privateKeyFile","keyId"}` and the analyst sign-in's fields
 * `{"nativeClientId","webClientId","webClientSecret","redirectUri","signInUsers"}`.
 */
import { startSandbox, type Sandbox, type SandboxOptions } from './index.js';

export interface SandboxCliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const USAGE = `usage: okta-soar sandbox [--port N] [--json] [--seed N] [--users N] [--log-events N] [--dpop] [--latency-ms N] [--redirect-uri URI]...

Serves a sandbox Okta org on loopback until interrupted (Ctrl-C).
  --port N         port to listen on (default: a free one)
  --json           print {"url","apiToken","clientId","privateKeyFile","keyId","nativeClientId","webClientId",
                   "webClientSecret","redirectUri","signInUsers"} as the first line
  --seed N         deterministic data seed (default 1)
  --users N        number of users (default 60)
  --log-events N   seeded System Log events (default 20000)
  --dpop           the OAuth apps (service, Native, Web) require DPoP
  --latency-ms N   delay every answer by N ms
  --redirect-uri U a sign-in redirect URI of the OIDC apps (repeatable; default http://127.0.0.1:8400/callback)
`;

function intArg(name: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${name} needs a whole number`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}`);
  return n;
}

class UsageError extends Error {}

export function parseSandboxArgs(argv: string[]): { opts: SandboxOptions; json: boolean; help: boolean } {
  const opts: SandboxOptions = {};
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--port':
        opts.port = intArg('--port', value(), 0, 65535);
        break;
      case '--json':
        json = true;
        break;
      case '--seed':
        opts.seed = intArg('--seed', value(), 0, 2 ** 31);
        break;
      case '--users':
        opts.users = intArg('--users', value(), 1, 100_000);
        break;
      case '--log-events':
        opts.logEvents = intArg('--log-events', value(), 0, 5_000_000);
        break;
      case '--latency-ms':
        opts.latencyMs = intArg('--latency-ms', value(), 0, 60_000);
        break;
      case '--dpop':
        opts.dpop = true;
        break;
      case '--redirect-uri': {
        const uri = value();
        if (uri === undefined || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(uri)) throw new UsageError('--redirect-uri needs an absolute URL, e.g. http://127.0.0.1:8400/callback');
        opts.oidc = { ...opts.oidc, redirectUris: [...(opts.oidc?.redirectUris ?? []), uri] };
        break;
      }
      case '-h':
      case '--help':
        help = true;
        break;
      default:
        throw new UsageError(`unknown option ${a}`);
    }
  }
  return { opts, json, help };
}

export async function sandboxMain(argv: string[], io: SandboxCliIo): Promise<number> {
  let parsed: ReturnType<typeof parseSandboxArgs>;
  try {
    parsed = parseSandboxArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`okta-soar sandbox: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  let sandbox;
  try {
    sandbox = await startSandbox({ ...parsed.opts, quiet: parsed.json });
  } catch (e) {
    io.stderr.write(`okta-soar sandbox: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const facts = sandboxFacts(sandbox);
  if (parsed.json) {
    io.stdout.write(JSON.stringify(facts) + '\n');
  } else {
    io.stdout.write(
      [
        `Sandbox Okta org listening on ${facts.url}`,
        '',
        `  Org URL          ${facts.url}`,
        `  API token        ${facts.apiToken}        (Authorization: SSWS <token>)`,
        `  OAuth client id  ${facts.clientId}`,
        `  Private key      ${facts.privateKeyFile}`,
        `  Key id (kid)     ${facts.keyId}`,
        '',
        'Analysts sign in (okta-soar login): OIDC apps on the org authorization server',
        `  Native app       ${facts.nativeClientId}        (public client, PKCE)`,
        `  Web app          ${facts.webClientId}  secret ${facts.webClientSecret}`,
        `  Redirect URI     ${facts.redirectUri}`,
        ...signInLines(facts.signInUsers),
        '',
        '  These credentials are fixed for the sandbox and are not secrets.',
        '  Try: OKTA_URL=' + facts.url + ' OKTA_API_TOKEN=' + facts.apiToken + ' npx okta-soar run okta-get-user username=alice@example.com',
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sandbox.close();
  if (!parsed.json) io.stderr.write('Sandbox stopped.\n');
  return 0;
}

/** What `sandbox --json` prints (and the banner shows): how to reach and sign in to the sandbox. */
export function sandboxFacts(sb: Sandbox) {
  return {
    url: sb.url,
    apiToken: sb.apiToken,
    clientId: sb.clientId,
    privateKeyFile: sb.privateKeyFile,
    keyId: sb.keyId,
    nativeClientId: sb.oidc.nativeClientId,
    webClientId: sb.oidc.webClientId,
    webClientSecret: sb.oidc.webClientSecret,
    redirectUri: sb.oidc.redirectUri,
    signInUsers: sb.oidc.users.filter((u) => u.password !== null).map((u) => ({ login: u.login, password: u.password!, roles: u.roles, status: u.status, assigned: u.assigned })),
  };
}

/** The banner's sign-in users: who can sign in, as what, and who is refused and why. */
function signInLines(users: ReturnType<typeof sandboxFacts>['signInUsers']): string[] {
  return users.map((u, i) => {
    const what =
      u.status !== 'ACTIVE' ? `${u.status}: cannot sign in` : !u.assigned ? 'not assigned: error=access_denied' : u.roles.length ? u.roles.join(', ') : 'no admin role: API changes get 403';
    return `  ${i === 0 ? 'Users' : '     '}            ${u.login.padEnd(22)} ${u.password.padEnd(18)} ${what}`;
  });
}
