import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError, showValue } from '../base/errors.js';
import { INSTANCE_NAME_RE } from '../state/namespace.js';
import { closest } from './args.js';
import { resolveConfig } from './config.js';
import type { Params } from './types.js';

const require = createRequire(import.meta.url);

/** Keys that hold a secret in an instance (XSOAR's `credentials` holds the API token). */
const SECRET_KEYS = ['apitoken', 'private_key', 'client_secret', 'credentials'];

export interface Instance {
  name: string;
  /** The instance's parameters over the shared ones (environment, --config): ready for resolveConfig. */
  params: Params;
}

/** The orgs of one deployment (contract §8): an OKTA_INSTANCES_FILE, read and checked. */
export interface Instances {
  file: string;
  /** In the file's order. */
  names: string[];
  get(name: string): Instance | undefined;
}

function fail(file: string, what: string, parameter = 'OKTA_INSTANCES_FILE'): never {
  throw new ConfigError(`instances file ${file}: ${what}`, parameter);
}

/**
 * Reads an instances file: `instances:` maps each name (letters, digits, `-`, `_`) to the
 * parameters of `--config`; `private_key_file` names a key file (relative to the instances file).
 * Each instance's parameters go over `shared` (the environment and --config) and are checked
 * now, so a typo in one instance fails at start-up naming the instance. A file holding secrets
 * (an API token, a private key, a client secret) that group or others may read is refused.
 */
export function loadInstances(file: string, shared: Params = {}): Instances {
  let text: string;
  let mode = 0;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = (require('yaml') as typeof import('yaml')).parse(text);
  } catch (e) {
    fail(file, `is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const top = doc as { instances?: unknown } | null;
  if (!top || typeof top !== 'object' || Array.isArray(top) || !top.instances || typeof top.instances !== 'object' || Array.isArray(top.instances))
    fail(file, 'must hold `instances:`, a mapping of instance names to their parameters (see docs/deploy.md)');
  const extra = Object.keys(top).filter((k) => k !== 'instances');
  if (extra.length) fail(file, `unknown top-level key ${showValue(extra[0])}; only \`instances:\` is read`);
  const entries = Object.entries(top.instances as Record<string, unknown>);
  if (!entries.length) fail(file, 'lists no instance');
  const secretHolders: string[] = [];
  const out = new Map<string, Instance>();
  for (const [name, raw] of entries) {
    if (!INSTANCE_NAME_RE.test(name)) fail(file, `the instance name ${showValue(name)} must be 1–64 letters, digits, - and _`);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(file, `instance ${name} must be a mapping of parameter names to values`);
    const own = { ...(raw as Record<string, unknown>) };
    for (const k of SECRET_KEYS) if (own[k] !== undefined && own[k] !== '') secretHolders.push(`${k} of ${name}`);
    if (own.private_key_file !== undefined) {
      if (typeof own.private_key_file !== 'string' || !own.private_key_file.trim()) fail(file, `instance ${name}: private_key_file must be a path`);
      if (own.private_key !== undefined) fail(file, `instance ${name}: set private_key or private_key_file, not both`);
      const keyFile = path.resolve(path.dirname(file), own.private_key_file);
      try {
        own.private_key = readFileSync(keyFile, 'utf8');
      } catch (e) {
        fail(file, `instance ${name}: cannot read private_key_file ${keyFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      delete own.private_key_file;
    }
    // The org and its credentials come from the instance alone: an OKTA_URL or OKTA_API_TOKEN of the
    // environment never mixes into an instance that names another org or another way in.
    const base = { ...shared };
    for (const k of ['url', 'apitoken', 'credentials', 'client_id', 'private_key', 'key_id', 'client_secret', 'auth_method', 'use_oauth']) delete base[k];
    const params: Params = { ...base, ...own };
    try {
      resolveConfig(params);
    } catch (e) {
      if (e instanceof ConfigError) fail(file, `instance ${name}: ${e.message}`, e.parameter);
      throw e;
    }
    out.set(name, { name, params });
  }
  if (secretHolders.length && process.platform !== 'win32' && (mode & 0o077) !== 0)
    fail(
      file,
      `holds secrets (${secretHolders.slice(0, 3).join(', ')}${secretHolders.length > 3 ? ' …' : ''}) and is readable by group or others (mode ${(mode & 0o777).toString(8)}); ` +
        `chmod 600 it, or keep the keys in files it names (private_key_file)`,
    );
  return { file, names: [...out.keys()], get: (n) => out.get(n) };
}

/**
 * The instance a call is for: `using=NAME` (XSOAR's platform argument), or the only one. An
 * unknown name, or none when there are several, is an error that lists the names.
 */
export function pickInstance(instances: Instances, using: unknown): Instance {
  const list = instances.names.join(', ');
  if (using === undefined || using === null || using === '') {
    if (instances.names.length === 1) return instances.get(instances.names[0]!)!;
    throw new ConfigError(`using=NAME is needed: ${instances.file} has ${instances.names.length} instances (${list})`, 'using');
  }
  const name = String(using);
  const inst = instances.get(name);
  if (inst) return inst;
  const hint = name.length <= 64 ? closest(name, instances.names) : undefined;
  throw new ConfigError(`unknown instance ${showValue(name)} (using=); the instances of ${instances.file} are: ${list}${hint ? ` (did you mean ${hint}?)` : ''}`, 'using');
}
