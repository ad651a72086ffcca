import { SoarError, UsageError } from '../../base/errors.js';
import { redact } from '../../base/redact.js';
import { parseWarRoomLine, splitArgWords } from '../../engine/args.js';
import { loadManifest } from '../../engine/manifest.js';
import { errorEntry } from '../../engine/results.js';
import { logErr, progressReporter, write, type CliIO } from './io.js';
import { applySecretArgs, SECRET_ARGS_HELP } from './secret-args.js';
import { cliInstances, cliParams, closeStateStore, commandHelp, output, parseFlags, stateStore, version, type GlobalFlags, type LoadDispatch } from './shared.js';

const HELP = `okta-soar: Okta for security automation (XSOAR-compatible commands)

Usage:
  okta-soar run <command> [name=value ...] [--json]   one war-room command
  okta-soar run '!<command> name="a value"'           the same, as one war-room line
  okta-soar fetch-incidents [--json] [--follow]       one fetch cycle (or poll until stopped)
  okta-soar rules test FILE|DIR [--events FILE] [--json]
                                                      what Sigma rules match (in a file of events, or the last day)
  okta-soar test-module                               checks URL, credentials, scopes ("ok" first)
  okta-soar commands [--json]                         the commands of integration.yml
  okta-soar shell                                     interactive war room (npm start)
  okta-soar sandbox [--port N] [--json]               a sandbox Okta org on loopback
  okta-soar keygen                                    a new key for an OAuth service app
  okta-soar serve [--port N] [--host H] [--json]      HTTP engine mode for playbooks
  okta-soar instances [--json]                        the instances (orgs) of OKTA_INSTANCES_FILE
  okta-soar mcp                                       the commands as MCP tools for AI agents, on stdio
  okta-soar login [--no-browser] [--device] [--json]  sign in as yourself (analysts: auth_method user)
  okta-soar logout                                    revoke your sign-in at Okta and forget it
  okta-soar whoami [--json]                           who is signed in, to which org, with which scopes
  okta-soar --help | --version | run <command> --help

Flags: --json (one JSON document on stdout), --config FILE.yml, --instances FILE.yml (several orgs; using=NAME picks one),
  --debug (redacted request log on stderr)
Configuration: OKTA_URL, OKTA_API_TOKEN or OKTA_CLIENT_ID + OKTA_PRIVATE_KEY_FILE (a service app) or OKTA_CLIENT_ID alone
  (analysts: okta-soar login; OKTA_CLIENT_SECRET for a Web app, OKTA_REDIRECT_URI), OKTA_STATE_DIR or OKTA_STATE_URL, …
  (every parameter as OKTA_<NAME>; see README.md). Exit status: 0 ok, 1 error entry, 2 usage error.

${SECRET_ARGS_HELP}
`;

async function runVerb(io: CliIO, flags: GlobalFlags, loadDispatch: LoadDispatch): Promise<number> {
  const [, first, ...words] = flags.rest;
  if (!first) throw new UsageError('run needs a command: okta-soar run okta-get-user username=alice@example.com');
  let name: string;
  let args: Record<string, string>;
  let positional: string[];
  if (first.trim().startsWith('!') || (/\s/.test(first.trim()) && !words.length)) {
    ({ command: name, args, positional } = parseWarRoomLine(first));
  } else {
    name = first;
    ({ args, positional } = splitArgWords(words));
  }
  if (flags.help) {
    await write(io.stdout, commandHelp(name));
    return 0;
  }
  args = await applySecretArgs(io, loadManifest().commands.get(name), args, positional, flags.secrets, (m) => logErr(io, `warning: ${m}`));
  const params = cliParams(io, flags);
  const instances = cliInstances(io, flags, params);
  const dispatch = await loadDispatch();
  const outcome = await dispatch(name, args, params, {
    positional,
    state: await stateStore(io),
    instances,
    clock: io.clock,
    progress: flags.json ? undefined : progressReporter(io),
    keepJsonText: flags.json,
    warn: (m) => logErr(io, `warning: ${m}`),
    debug: flags.debug || io.env.OKTA_DEBUG === '1' ? (l) => logErr(io, `debug: ${l}`) : undefined,
  });
  await output(io, flags.json, outcome.entries, outcome.revealed);
  return outcome.exitCode;
}

async function commandsVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
  const { manifest } = loadManifest();
  const cmds = manifest.script.commands.filter((c) => !c.hidden);
  if (flags.json) {
    await write(io.stdout, JSON.stringify(cmds.map((c) => ({ name: c.name, description: c.description, scopes: c.scopes, changes: !!c.changes, arguments: c.arguments.map((a) => a.name) }))) + '\n');
  } else {
    const w = Math.max(...cmds.map((c) => c.name.length));
    await write(io.stdout, cmds.map((c) => `${c.name.padEnd(w)}  ${c.description}`).join('\n') + '\n');
  }
  return 0;
}

type VerbFn = (io: CliIO, flags: GlobalFlags, loadDispatch: LoadDispatch) => Promise<number>;

/** Verbs whose code loads only when used (start-up time matters for one-command processes). */
const LAZY_VERBS: Record<string, () => Promise<VerbFn>> = {
  keygen: async () => (await import('./verbs/keygen.js')).keygenVerb,
  'fetch-incidents': async () => (await import('./verbs/fetch.js')).fetchVerb,
  rules: async () => (await import('./verbs/rules.js')).rulesVerb,
  instances: async () => (await import('./verbs/instances.js')).instancesVerb,
  shell: async () => (await import('./verbs/shell.js')).shellVerb,
  serve: async () => (await import('./verbs/serve.js')).serveVerb,
  mcp: async () => (await import('./verbs/mcp.js')).mcpVerb,
  login: async () => (await import('./verbs/login.js')).loginVerb,
  logout: async () => (await import('./verbs/session.js')).logoutVerb,
  whoami: async () => (await import('./verbs/session.js')).whoamiVerb,
};

/** The CLI: one verb, its exit code. `loadDispatch` brings the engine with the commands (entry/cli.ts). */
export async function main(argv: string[], io: CliIO, loadDispatch: LoadDispatch): Promise<number> {
  let flags: GlobalFlags | undefined;
  try {
    // The sandbox has options of its own (--seed, --users, --log-events, --dpop …): it parses them.
    if (argv[0] === 'sandbox') {
      const { sandboxMain } = await import('../../../sandbox/cli.js');
      return await sandboxMain(argv.slice(1), { stdout: io.stdout, stderr: io.stderr });
    }
    flags = parseFlags(argv);
    const verb = flags.rest[0];
    if (flags.flags.has('--version') || flags.flags.has('-v')) {
      await write(io.stdout, `${version()}\n`);
      return 0;
    }
    if (!verb || (flags.help && verb !== 'run')) {
      await write(io.stdout, HELP);
      return verb || flags.help ? 0 : 2;
    }
    if (flags.secrets.length && verb !== 'run') throw new UsageError(`${flags.secrets[0]!.flag} applies to run only`);
    switch (verb) {
      case 'run':
        return await runVerb(io, flags, loadDispatch);
      case 'test-module': {
        const params = cliParams(io, flags);
        const instances = cliInstances(io, flags, params);
        // `using=NAME` picks the instance to check; nothing else is taken.
        const words = splitArgWords(flags.rest.slice(1));
        const extra = Object.keys(words.args).find((k) => k !== 'using') ?? words.positional[0];
        if (extra !== undefined) throw new UsageError(`test-module takes no arguments but using=NAME (got ${JSON.stringify(extra.slice(0, 40))})`);
        const dispatch = await loadDispatch();
        const outcome = await dispatch('test-module', words.args, params, {
          state: await stateStore(io),
          instances,
          clock: io.clock,
          warn: (m) => logErr(io, `warning: ${m}`),
          debug: flags.debug || io.env.OKTA_DEBUG === '1' ? (l) => logErr(io, `debug: ${l}`) : undefined,
        });
        await output(io, flags.json, outcome.entries);
        return outcome.exitCode;
      }
      case 'commands':
        return await commandsVerb(io, flags);
      default: {
        const lazy = LAZY_VERBS[verb];
        if (!lazy) throw new UsageError(`unknown verb ${verb}: see okta-soar --help`);
        return await (await lazy())(io, flags, loadDispatch);
      }
    }
  } catch (e) {
    const msg = e instanceof SoarError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
    const code = e instanceof UsageError ? 2 : e instanceof SoarError ? e.exitCode : 1;
    // A malformed flag fails before flags exist: --json still asks for the error entry (contract §3).
    if (flags?.json ?? argv.includes('--json')) await write(io.stdout, JSON.stringify([redact(errorEntry(msg))]) + '\n');
    logErr(io, `okta-soar: ${msg}`);
    return code;
  } finally {
    await closeStateStore(io);
  }
}
