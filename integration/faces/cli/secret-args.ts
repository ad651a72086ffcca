/**
 * Secret arguments (those with `secret: true` in integration.yml, such as okta-set-password's
 * `password`) from standard input, a file or an environment variable instead of the command
 * line, where `ps` shows them to every local user and shell history keeps them:
 *
 *   okta-soar run okta-set-password username=alice@acme.com --secret-stdin password < pw.txt
 *   okta-soar run okta-set-password username=alice@acme.com --secret-file password=/run/secrets/pw
 *   okta-soar run okta-set-password username=alice@acme.com --secret-env password=NEW_PASSWORD
 *
 * Why flags and not a value syntax such as `password=-` or `password=@/path`: a value comes from
 * the playbook, which may come from an attacker, and must stay a value (contract §2: "arguments
 * are values, never addresses"). `password=@/etc/shadow` would read a local file on the
 * attacker's behalf; a password that really is "-" or starts with "@" would be misread. A flag is
 * written by whoever wrote the command line, never by the data it carries.
 *
 * Rules: only secret arguments; each at most once (a flag and `name=value` together is an error);
 * stdin once per command; one trailing newline is dropped (`echo pw |` works); an empty value
 * is an error. On a terminal, --secret-stdin prompts without echo.
 */
import { promises as fs } from 'node:fs';
import { ArgumentError, showValue, UsageError } from '../../base/errors.js';
import type { ManifestCommand } from '../../engine/manifest.js';
import { addSecret } from '../../base/redact.js';
import type { CliIO } from './io.js';

export const SECRET_FLAGS: ReadonlySet<string> = new Set(['--secret-stdin', '--secret-file', '--secret-env']);

/** One `--secret-*` flag as given. */
export interface SecretFlag {
  flag: string;
  value: string;
}

/** The most a secret may hold (a password is short; a key file is not a password). */
export const MAX_SECRET_BYTES = 64 * 1024;

export const SECRET_ARGS_HELP = `Secret arguments (passwords) are best kept off the command line, where ps and shell history see them:
  --secret-stdin NAME        read argument NAME from standard input (a terminal prompts without echo)
  --secret-file NAME=PATH    read argument NAME from the file PATH
  --secret-env NAME=VAR      read argument NAME from the environment variable VAR
One trailing newline is dropped. Only arguments marked secret accept these flags.`;

function secretNames(c: ManifestCommand): string[] {
  return c.arguments.filter((a) => a.secret).map((a) => a.name);
}

function stripNewline(s: string): string {
  return s.replace(/\r?\n$/, '');
}

function splitPair(flag: string, value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new UsageError(`${flag} needs NAME=${flag === '--secret-env' ? 'VARIABLE' : 'PATH'} (e.g. ${flag} password=${flag === '--secret-env' ? 'NEW_PASSWORD' : '/run/secrets/password'})`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

async function readStream(stream: NodeJS.ReadableStream, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    size += b.length;
    if (size > MAX_SECRET_BYTES) throw new ArgumentError(`${what} holds more than ${MAX_SECRET_BYTES} bytes; a secret argument is one short value`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

type RawTty = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown; pause(): unknown; resume(): unknown };

/** Reads one line from a terminal without echoing it. */
function readHidden(io: CliIO, name: string): Promise<string> {
  const tty = io.stdin as RawTty;
  io.stderr.write(`${name}: `);
  tty.setRawMode!(true);
  tty.resume();
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (err?: Error) => {
      tty.off('data', onData);
      tty.setRawMode!(false);
      tty.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new UsageError(`reading ${name} was cancelled`));
        if (ch === '\u007f' || ch === '\b') buf = Array.from(buf).slice(0, -1).join('');
        else buf += ch;
        if (buf.length > MAX_SECRET_BYTES) return finish(new ArgumentError(`${name} is longer than ${MAX_SECRET_BYTES} characters`));
      }
    };
    tty.on('data', onData);
  });
}

async function readSecretFile(file: string, name: string, warn: (m: string) => void): Promise<string> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    // The path is the operator's own; still, never quote file contents.
    throw new ArgumentError(`cannot read ${name} from ${showValue(file, 200)}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, name);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new ArgumentError(`cannot read ${name} from ${showValue(file, 200)}: it is a directory`, name);
    if (st.isFile() && process.platform !== 'win32' && (st.mode & 0o077) !== 0)
      warn(`${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    const buf = Buffer.alloc(MAX_SECRET_BYTES + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > MAX_SECRET_BYTES) throw new ArgumentError(`${showValue(file, 200)} holds more than ${MAX_SECRET_BYTES} bytes; a secret argument is one short value`, name);
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Fills a command's secret arguments from the `--secret-*` flags, and warns about secret
 * arguments given on the command line. Returns the arguments to dispatch.
 */
export async function applySecretArgs(
  io: CliIO,
  command: ManifestCommand | undefined,
  args: Record<string, string>,
  positional: string[],
  flags: readonly SecretFlag[],
  warn: (message: string) => void,
): Promise<Record<string, string>> {
  if (!command) {
    if (flags.length) throw new UsageError(`${flags[0]!.flag}: unknown command, so no secret argument to fill`);
    return args;
  }
  const secret = secretNames(command);
  const out: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, args);
  const positionalSecret = command.arguments.find((a) => a.default && a.secret)?.name;
  for (const name of secret) {
    if (Object.hasOwn(args, name) || (name === positionalSecret && positional.length))
      warn(`${name} given on the command line is visible to other local users (ps) and stays in shell history; use --secret-stdin ${name} or --secret-file ${name}=FILE`);
  }
  let usedStdin = false;
  const filled = new Set<string>();
  for (const { flag, value } of flags) {
    let name: string;
    let text: string;
    if (flag === '--secret-stdin') {
      name = value;
      if (usedStdin) throw new UsageError('--secret-stdin can be given once (standard input holds one value); use --secret-file or --secret-env for the others');
      usedStdin = true;
    } else name = splitPair(flag, value)[0];
    if (!command.arguments.some((a) => a.name === name))
      throw new UsageError(`${flag}: ${command.name} has no argument ${/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name) ? name : showValue(name)}${secret.length ? ` (its secret arguments: ${secret.join(', ')})` : ' (it takes no secret argument)'}`);
    if (!secret.includes(name)) throw new UsageError(`${flag}: ${name} is not a secret argument of ${command.name}; give it as ${name}=value`);
    if (filled.has(name) || Object.hasOwn(args, name) || (name === positionalSecret && positional.length))
      throw new UsageError(`argument ${name} is given twice (${flag} and ${filled.has(name) ? 'another --secret-* flag' : 'the command line'})`);
    filled.add(name);

    if (flag === '--secret-stdin') {
      const tty = io.stdin as RawTty;
      text = tty.isTTY && typeof tty.setRawMode === 'function' ? await readHidden(io, name) : stripNewline(await readStream(io.stdin, 'standard input'));
    } else if (flag === '--secret-file') {
      text = stripNewline(await readSecretFile(splitPair(flag, value)[1], name, warn));
    } else {
      const variable = splitPair(flag, value)[1];
      const v = io.env[variable];
      if (v === undefined) throw new ArgumentError(`--secret-env: the environment variable ${showValue(variable)} is not set`, name);
      text = v;
    }
    if (text === '') throw new ArgumentError(`${command.name}: argument ${name} is empty (read with ${flag})`, name, 'minLength');
    // Known to the redaction layer from the moment it is read, whatever its length.
    addSecret(text);
    out[name] = text;
  }
  return { ...out };
}
