import { promises as fs } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseWarRoomLine } from '../../../engine/args.js';
import { SoarError } from '../../../base/errors.js';
import { loadManifest } from '../../../engine/manifest.js';
import { redactString } from '../../../base/redact.js';
import { defaultStateDir } from '../../../state/store.js';
import type { Params } from '../../../engine/types.js';
import { logErr, progressReporter, write, type CliIO } from '../io.js';
import { cliInstances, cliParams, commandHelp, stateStore, type GlobalFlags, type LoadDispatch } from '../shared.js';
import { renderMarkdown } from '../markdown-term.js';
import { resolveConfig } from '../../../engine/config.js';
import { notSignedInMessage, SignInStore } from '../../../okta/auth/user-signin.js';
import type { StateStore } from '../../../state/store.js';

const HISTORY_FILE = 'shell_history';
const HISTORY_MAX = 500;

/** Completes `!command`, then `name=` of that command's arguments, then predefined values. */
export function completer(line: string): [string[], string] {
  const { commands } = loadManifest();
  const words = line.split(/\s+/);
  const current = words[words.length - 1] ?? '';
  if (words.length <= 1) {
    const bang = current.startsWith('!');
    const names = [...commands.keys(), 'help', 'commands', 'exit'].map((n) => (bang && !['help', 'commands', 'exit'].includes(n) ? `!${n}` : n));
    const hits = names.filter((n) => n.startsWith(current));
    return [hits.length ? hits : names, current];
  }
  const c = commands.get(words[0]!.replace(/^!/, ''));
  if (!c) return [[], current];
  const eq = current.indexOf('=');
  if (eq > 0) {
    const a = c.arguments.find((x) => x.name === current.slice(0, eq));
    const values = (a?.predefined ?? []).map((v) => `${a!.name}=${v}`);
    return [values.filter((v) => v.startsWith(current)), current];
  }
  const used = new Set(words.slice(1, -1).map((w) => w.split('=')[0]));
  const names = [...c.arguments.map((a) => a.name), ...(c.changes ? ['dry_run'] : [])].filter((n) => !used.has(n)).map((n) => `${n}=`);
  return [names.filter((n) => n.startsWith(current)), current];
}

/**
 * History lines are kept unless they may carry a secret (a password must not land on disk): a
 * secret argument by name or as the positional word, or a line that does not even parse.
 */
export function keepInHistory(line: string): boolean {
  try {
    const p = parseWarRoomLine(line);
    const c = loadManifest().commands.get(p.command);
    const secretArgs = (c?.arguments ?? []).filter((a) => a.secret);
    if (p.positional.length && secretArgs.some((a) => a.default)) return false;
    return !Object.keys(p.args).some((k) => secretArgs.some((a) => a.name === k));
  } catch {
    return false;
  }
}

interface Session {
  params: Params;
  banner: string;
  close(): Promise<void>;
}

/** With no org configured, start the sandbox org on loopback and connect to it. */
async function openSession(io: CliIO, flags: GlobalFlags): Promise<Session> {
  const instancesFile = (flags.flags.get('--instances') as string | undefined) ?? io.env.OKTA_INSTANCES_FILE;
  if (instancesFile) return { params: cliParams(io, flags), banner: `Instances of ${instancesFile}: add using=NAME to a command to pick one.`, close: async () => undefined };
  const configured = !!io.env.OKTA_URL || !!flags.config;
  if (configured) return { params: cliParams(io, flags), banner: `Connected to ${io.env.OKTA_URL ?? `the org in ${flags.config}`}.`, close: async () => undefined };
  const { startSandbox } = await import('../../../../sandbox/index.js');
  const sb = await startSandbox({ quiet: true });
  const banner = [
    'No Okta org is configured (OKTA_URL is not set), so okta-soar started its sandbox Okta org on loopback.',
    'Nothing here touches a real org. Other tools can use it too while this shell runs:',
    `  OKTA_URL=${sb.url}`,
    `  OKTA_API_TOKEN=${sb.apiToken}   (the sandbox's fixed token: not a secret)`,
    `  OKTA_CLIENT_ID=${sb.clientId}  OKTA_PRIVATE_KEY_FILE=${sb.privateKeyFile}  OKTA_KEY_ID=${sb.keyId}`,
    `  analysts as themselves: OKTA_URL=${sb.url} OKTA_CLIENT_ID=${sb.oidc.nativeClientId} okta-soar login   (alice@example.com / sandbox-alice)`,
    'Try: !okta-get-user username=alice@example.com   !okta-suspend-user alice@example.com   !okta-get-logs limit=5',
  ].join('\n');
  return { params: { url: sb.url, apitoken: sb.apiToken }, banner, close: () => sb.close() };
}

export async function shellVerb(io: CliIO, flags: GlobalFlags, loadDispatch: LoadDispatch): Promise<number> {
  const session = await openSession(io, flags);
  const dispatch = await loadDispatch();
  const interactive = !!io.stdin.isTTY && !!io.stdout.isTTY;
  const color = interactive && !io.env.NO_COLOR;
  const stateDir = defaultStateDir(io.env);
  const state = await stateStore(io);
  const instances = cliInstances(io, flags, session.params);
  const historyPath = path.join(stateDir, HISTORY_FILE);
  let history: string[] = [];
  if (interactive) {
    try {
      history = (await fs.readFile(historyPath, 'utf8')).split('\n').filter(Boolean).reverse().slice(0, HISTORY_MAX);
    } catch {
      /* no history yet */
    }
  }
  const rl = readline.createInterface({
    input: io.stdin,
    output: interactive ? io.stdout : undefined,
    terminal: interactive,
    completer: interactive ? completer : undefined,
    history,
    historySize: HISTORY_MAX,
    prompt: color ? '\x1b[36mokta-soar>\x1b[0m ' : 'okta-soar> ',
  });
  const greeting = await analystGreeting(session.params, state);
  await write(interactive ? io.stdout : io.stderr, `${session.banner}\n${greeting ? `${greeting}\n` : ''}Type help for help, exit to leave.\n`);
  let failures = 0;
  let closing = false;
  const cols = () => (io.stdout as { columns?: number }).columns ?? 120;

  const runLine = async (raw: string): Promise<void> => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (line === 'exit' || line === 'quit') {
      closing = true;
      rl.close();
      return;
    }
    if (line === 'help') {
      await write(io.stdout, 'Type a war-room line such as !okta-get-user username=alice@example.com\n  help <command>   the command\'s arguments\n  commands         every command\n  exit             leave (Ctrl-D too)\nTab completes command and argument names.\n');
      return;
    }
    if (line === 'commands') {
      await write(io.stdout, [...loadManifest().commands.values()].map((c) => `${c.name}  ${DIMC(c.description, color)}`).join('\n') + '\n');
      return;
    }
    try {
      if (line.startsWith('help ')) {
        await write(io.stdout, commandHelp(line.slice(5).trim().replace(/^!/, '')));
        return;
      }
      const p = parseWarRoomLine(line);
      const outcome = await dispatch(p.command, p.args, session.params, {
        positional: p.positional,
        state,
        ...(instances ? { instances } : {}),
        progress: progressReporter(io),
        warn: (m) => logErr(io, `warning: ${m}`),
      });
      for (const e of outcome.entries) {
        const text = renderMarkdown(redactString(e.HumanReadable, { reveal: outcome.revealed }), { width: cols(), color });
        await write(io.stdout, (e.Type === 4 ? (color ? `\x1b[31mError:\x1b[0m ${text}` : `Error: ${text}`) : text).replace(/\n*$/, '\n\n'));
      }
      if (outcome.exitCode !== 0) failures++;
    } catch (e) {
      failures++;
      await write(io.stdout, `Error: ${redactString(e instanceof SoarError ? e.message : String((e as Error).message))}\n\n`);
    }
  };

  // Lines are run one at a time, in order, even when pasted or piped in quickly.
  let queue = Promise.resolve();
  rl.on('line', (l) => {
    queue = queue.then(() => runLine(l)).then(() => {
      if (interactive && !closing) rl.prompt();
    });
  });
  if (interactive) rl.prompt();
  await new Promise<void>((resolve) => rl.on('close', () => resolve()));
  await queue;
  if (interactive) {
    const kept = ((rl as unknown as { history?: string[] }).history ?? []).filter(keepInHistory).slice(0, HISTORY_MAX).reverse();
    await fs.mkdir(stateDir, { recursive: true, mode: 0o700 }).catch(() => undefined);
    await fs.writeFile(historyPath, kept.join('\n') + '\n', { mode: 0o600 }).catch(() => undefined);
  }
  await session.close();
  return interactive ? 0 : failures ? 1 : 0;
}

/** auth_method user: greets the signed-in analyst by login (or says to sign in). Nothing for the other methods. */
async function analystGreeting(params: Params, state: StateStore): Promise<string | undefined> {
  let cfg;
  try {
    cfg = resolveConfig(params);
  } catch {
    return undefined; // the first command says what is wrong
  }
  if (cfg.authMethod !== 'user' || !cfg.clientId) return undefined;
  const signIns = new SignInStore(state);
  const rec = await signIns.current(cfg.origin, cfg.clientId).catch(() => undefined);
  if (!rec) return `Nobody is signed in: ${await notSignedInMessage(signIns, cfg.origin, cfg.clientId)}.`;
  return `Hello ${rec.user}: commands run as you (signed in to ${rec.origin}), and Okta's System Log will name you.`;
}

function DIMC(s: string, color: boolean): string {
  return color ? `\x1b[2m${s}\x1b[0m` : s;
}
