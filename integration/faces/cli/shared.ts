/**
 * What every verb of the CLI uses: the flags, the parameters (environment, then --config), the
 * state store, a command's help and the way entries are printed. main.ts and the verbs import
 * this; nothing here imports a verb.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../base/errors.js';
import { redact, redactString } from '../../base/redact.js';
import { jsonTextOf } from '../../base/json-text.js';
import { paramsFromSources, readConfigFile } from '../../engine/config.js';
import type { Dispatch } from '../../engine/dispatcher.js';
import { loadManifest } from '../../engine/manifest.js';
import { packageRoot } from '../../engine/paths.js';
import type { Entry, Params } from '../../engine/types.js';
import type { StateStore } from '../../state/store.js';
import { openStateStore } from '../../state/open-store.js';
import { loadInstances, type Instances } from '../../engine/instances.js';
import { write, type CliIO } from './io.js';
import { SECRET_ARGS_HELP, SECRET_FLAGS, type SecretFlag } from './secret-args.js';

/**
 * The engine with the commands, loaded on first use: the entry (entry/cli.ts) hands it in, and
 * `--version`, `--help`, `commands`, `sandbox` and `keygen` start without loading it (start-up
 * time matters for one-command processes).
 */
export type LoadDispatch = () => Promise<Dispatch>;

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

const VALUE_FLAGS = new Set(['--config', '--port', '--host', '--instances', '--events', ...SECRET_FLAGS]);
const BOOL_FLAGS = new Set(['--json', '--debug', '--help', '-h', '--follow', '--version', '-v', '--rsa', '--once', '--no-browser', '--device']);

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

/** A plain object or array whose JSON text does not depend on where it stands (no toJSON). */
function plainJson(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === Array.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

/**
 * JSON.stringify(entries), in pieces: a value an entry holds twice (its Contents and a context
 * key: okta-get-logs's events, 36 MB for 20,000 of them) is serialised once and its text written
 * twice, and the pieces are written one after another rather than joined. A list that kept the
 * JSON text it was read from (json-text.ts) is written as that text, which parses to the same
 * value (it may differ in escapes and white space); everything else is JSON.stringify's text,
 * byte for byte.
 */
export function entriesJson(entries: unknown[]): string[] {
  const texts = new Map<object, string[]>();
  const shared = (v: unknown): string[] | undefined => {
    if (!plainJson(v)) return one(JSON.stringify(v));
    let t = texts.get(v);
    if (t === undefined) texts.set(v, (t = jsonTextOf(v) ?? [JSON.stringify(v)]));
    return t;
  };
  const one = (t: string | undefined) => (t === undefined ? undefined : [t]);
  /** An object's JSON pieces, JSON.stringify's order and rules for a plain object; `member` adds a member's pieces (false: left out). */
  const object = (o: Record<string, unknown>, member: (v: unknown, out: string[]) => boolean, out: string[]) => {
    out.push('{');
    let first = true;
    for (const k of Object.keys(o)) {
      const at = out.length;
      out.push(`${first ? '' : ','}${JSON.stringify(k)}:`);
      if (member(o[k], out)) first = false;
      else out.length = at;
    }
    out.push('}');
  };
  const add = (t: string[] | undefined, out: string[]) => (t === undefined ? false : (out.push(...t), true));
  const out: string[] = ['['];
  entries.forEach((e, i) => {
    if (i) out.push(',');
    if (!plainJson(e) || Array.isArray(e)) {
      out.push(JSON.stringify(e) ?? 'null');
      return;
    }
    object(
      e,
      (v, o) => {
        if (v === e.Contents) return add(shared(v), o);
        // The context: its members' texts shared with Contents (and with each other).
        if (v === e.EntryContext && plainJson(v) && !Array.isArray(v)) {
          object(v, (m, o2) => add(shared(m), o2), o);
          return true;
        }
        return add(one(JSON.stringify(v)), o);
      },
      out,
    );
  });
  out.push(']');
  return out;
}

/** Characters of a large piece encoded at a time. */
const CHUNK = 1 << 20;

/**
 * Writes a large text as UTF-8 through one reused buffer, CHUNK characters at a time (a surrogate
 * pair is never split). Encoding a 36 MB text whole costs ~95 ms, nearly all of it the first touch
 * of a fresh 36 MB buffer; through a reused one, ~5 ms.
 */
async function writeChunked(stream: NodeJS.WritableStream, text: string, buf: Buffer): Promise<void> {
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + CHUNK);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    const n = buf.write(text.slice(i, end), 0, 'utf8');
    await write(stream, buf.subarray(0, n));
    i = end;
  }
}

/** Prints entries, redacted once more; `reveal` are the values the analyst asked to see (DispatchOutcome.revealed). */
export async function output(io: CliIO, json: boolean, entries: Entry[], reveal?: string[]): Promise<void> {
  if (json) {
    const pieces = entriesJson(redact(entries, { reveal }));
    pieces.push('\n');
    let chunk: Buffer | undefined;
    for (const p of pieces) {
      if (p.length < CHUNK) await write(io.stdout, p);
      else await writeChunked(io.stdout, p, (chunk ??= Buffer.allocUnsafe(CHUNK * 3)));
    }
  } else {
    const text = redactString(entriesText(entries), { reveal });
    const errs = entries.every((e) => e.Type === 4);
    await write(errs ? io.stderr : io.stdout, text);
  }
}

/** Parameters for the CLI: environment, then --config, then manifest defaults. */
export function cliParams(io: CliIO, flags: GlobalFlags): Params {
  return paramsFromSources(io.env, flags.config ? readConfigFile(flags.config) : undefined);
}

const stores = new WeakMap<CliIO, Promise<StateStore>>();

/**
 * The state store of this run (OKTA_STATE_URL, else OKTA_STATE_DIR): one per run, closed by
 * `closeStateStore` when the verb is done (a Redis connection would keep the process alive).
 */
export function stateStore(io: CliIO): Promise<StateStore> {
  let s = stores.get(io);
  if (!s) {
    s = openStateStore(io.env);
    stores.set(io, s);
    s.catch(() => stores.delete(io));
  }
  return s;
}

export async function closeStateStore(io: CliIO): Promise<void> {
  const s = stores.get(io);
  stores.delete(io);
  await (await s?.catch(() => undefined))?.close?.();
}

/** The instances of `--instances FILE` or OKTA_INSTANCES_FILE, over the run's parameters; undefined when neither is set. */
export function cliInstances(io: CliIO, flags: GlobalFlags, params: Params): Instances | undefined {
  const flag = flags.flags.get('--instances');
  const file = typeof flag === 'string' ? flag : io.env.OKTA_INSTANCES_FILE?.trim();
  return file ? loadInstances(path.resolve(file), params) : undefined;
}

