import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseWarRoomLine, splitArgWords } from '../args.js';
import { paramsFromSources, readConfigFile } from '../config.js';
import type { dispatch as Dispatch } from '../dispatcher.js';
import { SoarError, UsageError } from '../errors.js';
import { loadManifest } from '../manifest.js';
import { packageRoot } from '../paths.js';
import { redact, redactString } from '../redact.js';
import { errorEntry } from '../results.js';
import { defaultStateDir, FileStore } from '../state/store.js';
import type { Entry, Params } from '../types.js';
import { logErr, progressReporter, write, type CliIO } from './io.js';
import { applySecretArgs, SECRET_ARGS_HELP, SECRET_FLAGS, type SecretFlag } from './secret-args.js';

/**
 * The dispatcher, and with it every command, the HTTP transport (axios) and the auth code, loads
 * only for the verbs that send requests: `--version`, `--help`, `commands`, `sandbox` and
 * `keygen` start without them (start-up time matters for one-command processes).
 */
async function loadDispatch(): Promise<typeof Dispatch> {
  return (await import('../dispatcher.js')).dispatch;
}

export interface GlobalFlags {
  json: boolean;
  debug: boolean;
  help: boolean;
  config?: string;
  rest: string[];
  flags: Map<string, string | true>;
  /** `--secret-stdin NAME`, `--secret-file NAME=PATH`, `--secret-env NAME=VAR` (see secret-args.ts), in order. */
  secrets: SecretFlag[];
}

const VALUE_FLAGS = new Set(['--config', '--port', '--host', ...SECRET_FLAGS]);
const BOOL_FLAGS = new Set(['--json', '--debug', '--help', '-h', '--follow', '--version', '-v', '--rsa', '--once']);

/** Splits flags from words. Flags may come anywhere; `--` ends them. Unknown flags are usage errors. */
export function parseFlags(argv: string[]): GlobalFlags {
  const out: GlobalFlags = { json: false, debug: false, help: false, rest: [], flags: new Map(), secrets: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.rest.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && !a.includes('=') || /^--[a-z-]+=/.test(a)) {
      const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (VALUE_FLAGS.has(name!)) {
        const v = inline ?? argv[++i];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
        if (SECRET_FLAGS.has(name!)) out.secrets.push({ flag: name!, value: v });
        else out.flags.set(name!, v);
      } else if (BOOL_FLAGS.has(name!) && inline === undefined) out.flags.set(name!, true);
      else throw new UsageError(`unknown flag ${a}`);
      continue;
    }
    out.rest.push(a);
  }
  out.json = out.flags.has('--json');
  out.debug = out.flags.has('--debug');
  out.help = out.flags.has('--help') || out.flags.has('-h');
  const cfg = out.flags.get('--config');
  if (typeof cfg === 'string') out.config = cfg;
  return out;
}

export function version(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

const HELP = `okta-soar: Okta for security automation (XSOAR-compatible commands)

Usage:
  okta-soar run <command> [name=value ...] [--json]   one war-room command
  okta-soar run '!<command> name="a value"'           the same, as one war-room line
  okta-soar fetch-incidents [--json] [--follow]       one fetch cycle (or poll until stopped)
  okta-soar test-module                               checks URL, credentials, scopes ("ok" first)
  okta-soar commands [--json]                         the commands of integration.yml
  okta-soar shell                                     interactive war room (npm start)
  okta-soar sandbox [--port N] [--json]               a sandbox Okta org on loopback
  okta-soar keygen                                    a new key for an OAuth service app
  okta-soar serve [--port N] [--host H] [--json]      HTTP engine mode for playbooks
  okta-soar --help | --version | run <command> --help

Flags: --json (one JSON document on stdout), --config FILE.yml, --debug (redacted request log on stderr)
Configuration: OKTA_URL, OKTA_API_TOKEN or OKTA_CLIENT_ID + OKTA_PRIVATE_KEY_FILE, OKTA_STATE_DIR, …
  (every parameter as OKTA_<NAME>; see README.md). Exit status: 0 ok, 1 error entry, 2 usage error.

${SECRET_ARGS_HELP}
`;

export function commandHelp(name: string): string {
  const c = loadManifest().commands.get(name);
  if (!c) throw new UsageError(`unknown command ${name}: see \`okta-soar commands\``);
  let s = `${c.name}: ${c.description}\n`;
  if (c.scopes.length) s += `Okta API scopes: ${c.scopes.join(', ')}\n`;
  if (c.changes) s += 'Changes Okta: add dry_run=true to see the requests without sending them.\n';
  s += '\nArguments:\n';
  if (!c.arguments.length) s += '  (none)\n';
  for (const a of c.arguments) {
    const flags = [a.required ? 'required' : '', a.default ? 'positional' : '', a.isArray ? 'list' : '', a.defaultValue !== undefined ? `default ${a.defaultValue}` : '', a.predefined ? `one of ${a.predefined.join('|')}` : '']
      .filter(Boolean)
      .join(', ');
    s += `  ${a.name}${flags ? ` (${flags})` : ''}\n      ${a.description}\n`;
  }
  if (c.requireOneOf?.length) s += `\nAt least one of: ${c.requireOneOf.map((g) => g.join(' | ')).join('; ')}\n`;
  if (c.arguments.some((a) => a.secret)) s += `\n${SECRET_ARGS_HELP}\n`;
  if (c.outputs.length) s += `\nContext outputs:\n${c.outputs.map((o) => `  ${o.contextPath} (${o.type})`).join('\n')}\n`;
  return s;
}

function entriesText(entries: Entry[]): string {
  return entries.map((e) => (e.Type === 4 ? `Error: ${e.HumanReadable}` : e.HumanReadable).replace(/\n*$/, '\n')).join('\n');
}

/** Prints entries, redacted once more; `reveal` are the values the analyst asked to see (DispatchOutcome.revealed). */
export async function output(io: CliIO, json: boolean, entries: Entry[], reveal?: string[]): Promise<void> {
  if (json) await write(io.stdout, JSON.stringify(redact(entries, { reveal })) + '\n');
  else {
    const text = redactString(entriesText(entries), { reveal });
    const errs = entries.every((e) => e.Type === 4);
    await write(errs ? io.stderr : io.stdout, text);
  }
}

/** Parameters for the CLI: environment, then --config, then manifest defaults. */
export function cliParams(io: CliIO, flags: GlobalFlags): Params {
  return paramsFromSources(io.env, flags.config ? readConfigFile(flags.config) : undefined);
}

export function stateStore(io: CliIO): FileStore {
  return new FileStore(defaultStateDir(io.env));
}

async function runVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
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
  const dispatch = await loadDispatch();
  const outcome = await dispatch(name, args, params, {
    positional,
    state: stateStore(io),
    clock: io.clock,
    progress: flags.json ? undefined : progressReporter(io),
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

type VerbFn = (io: CliIO, flags: GlobalFlags, argv: string[]) => Promise<number>;

/** Verbs whose code loads only when used (start-up time matters for one-command processes). */
const LAZY_VERBS: Record<string, () => Promise<VerbFn>> = {
  keygen: async () => (await import('./verbs/keygen.js')).keygenVerb,
  'fetch-incidents': async () => (await import('./verbs/fetch.js')).fetchVerb,
  shell: async () => (await import('./verbs/shell.js')).shellVerb,
  serve: async () => (await import('./verbs/serve.js')).serveVerb,
};

export async function main(argv: string[], io: CliIO): Promise<number> {
  let flags: GlobalFlags | undefined;
  try {
    // The sandbox has options of its own (--seed, --users, --log-events, --dpop …): it parses them.
    if (argv[0] === 'sandbox') {
      const { sandboxMain } = await import('../../sandbox/cli.js');
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
        return await runVerb(io, flags);
      case 'test-module': {
        const dispatch = await loadDispatch();
        const outcome = await dispatch('test-module', {}, cliParams(io, flags), {
          state: stateStore(io),
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
        return await (await lazy())(io, flags, argv);
      }
    }
  } catch (e) {
    const msg = e instanceof SoarError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
    const code = e instanceof UsageError ? 2 : e instanceof SoarError ? e.exitCode : 1;
    // A malformed flag fails before flags exist: --json still asks for the error entry (contract §3).
    if (flags?.json ?? argv.includes('--json')) await write(io.stdout, JSON.stringify([redact(errorEntry(msg))]) + '\n');
    logErr(io, `okta-soar: ${msg}`);
    return code;
  }
}
