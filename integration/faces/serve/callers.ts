/**
 * Who may call serve: named callers, each known by the SHA-256 of its bearer token and either
 * read-only or allowed to change Okta, so a read-only dashboard cannot suspend anyone. Metrics
 * and logs name the caller, never the token. Sources: OKTA_SOAR_SERVE_TOKEN (one caller,
 * `default`, allowed to change Okta, as before), OKTA_SOAR_SERVE_TOKENS_FILE (a YAML or JSON
 * file of hashed tokens, schemas/serve-callers.schema.json) and OKTA_SOAR_SERVE_TOKENS (the same
 * text in the environment).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError } from '../../base/errors.js';
import { packageRoot } from '../../engine/paths.js';

const require = createRequire(import.meta.url);

export interface Caller {
  name: string;
  /** May run commands that change Okta. */
  changes: boolean;
}

/** The shortest OKTA_SOAR_SERVE_TOKEN accepted (a hashed token's length cannot be checked). */
export const MIN_TOKEN_LENGTH = 16;

/** The name OKTA_SOAR_SERVE_TOKEN's caller goes by. */
export const DEFAULT_CALLER = 'default';

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class Callers {
  private readonly byHash = new Map<string, Caller>();

  add(sha256: string, caller: Caller, source: string): void {
    const h = sha256.toLowerCase();
    for (const c of this.byHash.values()) if (c.name === caller.name) throw new ConfigError(`${source}: caller ${caller.name} is named twice`);
    if (this.byHash.has(h)) throw new ConfigError(`${source}: caller ${caller.name} has the same token as caller ${this.byHash.get(h)!.name}`);
    this.byHash.set(h, caller);
  }

  get size(): number {
    return this.byHash.size;
  }

  names(): string[] {
    return [...this.byHash.values()].map((c) => c.name);
  }

  /**
   * The caller an `Authorization` header names, or undefined. Looked up by the token's hash: the
   * map never holds a token, and a lookup time says nothing about any token's characters.
   */
  authenticate(header: string | undefined): Caller | undefined {
    const m = /^Bearer[ \t]+([\x21-\x7e]{1,4096})[ \t]*$/i.exec(header ?? '');
    return m ? this.byHash.get(tokenHash(m[1]!)) : undefined;
  }
}

let validate: ((doc: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null } | undefined;

function check(doc: unknown, source: string): { callers: Array<{ name: string; sha256: string; changes?: boolean }> } {
  if (!validate) {
    const { Ajv } = require('ajv') as typeof import('ajv');
    const schema = JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', 'serve-callers.schema.json'), 'utf8')) as Record<string, unknown>;
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (!validate(doc)) {
    const e = validate.errors?.[0];
    throw new ConfigError(`${source}: ${e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'is invalid'} (see schemas/serve-callers.schema.json)`);
  }
  return doc as { callers: Array<{ name: string; sha256: string; changes?: boolean }> };
}

function parse(text: string, source: string): unknown {
  try {
    return (require('yaml') as typeof import('yaml')).parse(text) as unknown;
  } catch (e) {
    throw new ConfigError(`${source} is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The callers the environment configures; a ConfigError names what is wrong (never a token). */
export function callersFromEnv(env: Record<string, string | undefined>): Callers {
  const callers = new Callers();
  const token = env.OKTA_SOAR_SERVE_TOKEN;
  if (token !== undefined && token !== '') {
    if (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token))
      throw new ConfigError(`OKTA_SOAR_SERVE_TOKEN must be a random value of at least ${MIN_TOKEN_LENGTH} printable characters without spaces (e.g. openssl rand -hex 32)`);
    callers.add(tokenHash(token), { name: DEFAULT_CALLER, changes: true }, 'OKTA_SOAR_SERVE_TOKEN');
  }
  const sources: Array<[string, () => string]> = [];
  if (env.OKTA_SOAR_SERVE_TOKENS_FILE) {
    const file = env.OKTA_SOAR_SERVE_TOKENS_FILE;
    sources.push([
      `OKTA_SOAR_SERVE_TOKENS_FILE (${file})`,
      () => {
        try {
          return readFileSync(file, 'utf8');
        } catch (e) {
          throw new ConfigError(`OKTA_SOAR_SERVE_TOKENS_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      },
    ]);
  }
  if (env.OKTA_SOAR_SERVE_TOKENS) sources.push(['OKTA_SOAR_SERVE_TOKENS', () => env.OKTA_SOAR_SERVE_TOKENS!]);
  for (const [source, text] of sources) {
    for (const c of check(parse(text(), source), source).callers) callers.add(c.sha256, { name: c.name, changes: c.changes === true }, source);
  }
  return callers;
}
