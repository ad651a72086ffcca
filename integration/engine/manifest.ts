import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { createRequire } from 'node:module';
import { packageRoot } from './paths.js';

const require = createRequire(import.meta.url);

export interface ManifestParam {
  name: string;
  display: string;
  type: number;
  required: boolean;
  defaultvalue?: unknown;
  secret?: boolean;
  hidden?: boolean;
  advanced?: boolean;
  section?: string;
  options?: string[];
  additionalinfo?: string;
  env?: string;
  schema?: Record<string, unknown>;
}

export interface ManifestArgument {
  name: string;
  description: string;
  required?: boolean;
  default?: boolean;
  defaultValue?: string | number | boolean;
  predefined?: string[];
  auto?: 'PREDEFINED';
  isArray?: boolean;
  secret?: boolean;
  deprecated?: boolean;
  schema?: Record<string, unknown>;
}

export interface ManifestOutput {
  contextPath: string;
  type: 'String' | 'Number' | 'Boolean' | 'Date' | 'Unknown';
  description?: string;
}

export interface ManifestCommand {
  name: string;
  description: string;
  execution?: boolean;
  changes?: boolean;
  bulk?: boolean;
  /** With `changes`: the change can take something away (default true); false when it only adds. */
  destructive?: boolean;
  /** With `changes`: repeating it with the same arguments changes nothing more (default false). */
  idempotent?: boolean;
  scopes: string[];
  requireOneOf?: string[][];
  arguments: ManifestArgument[];
  outputs: ManifestOutput[];
  hidden?: boolean;
}

export interface Manifest {
  commonfields: { id: string };
  name: string;
  display: string;
  description: string;
  configuration: ManifestParam[];
  script: { isfetch: boolean; commands: ManifestCommand[] };
}

export interface LoadedManifest {
  manifest: Manifest;
  /** SHA-256 of integration.yml: keys the build's caches. */
  hash: string;
  commands: Map<string, ManifestCommand>;
  params: Map<string, ManifestParam>;
}

let loaded: LoadedManifest | undefined;

/** Validates a parsed manifest against schemas/manifest.schema.json; returns problems (empty when fine). */
export function checkManifest(doc: unknown, root = packageRoot()): string[] {
  const schema = JSON.parse(readFileSync(path.join(root, 'schemas', 'manifest.schema.json'), 'utf8'));
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  const problems: string[] = [];
  if (!validate(doc)) {
    for (const e of validate.errors ?? []) {
      const extra = (e.params as { additionalProperty?: string }).additionalProperty;
      problems.push(`${e.instancePath || '/'} ${e.message ?? ''}${extra ? ` (${extra})` : ''}`.trim());
    }
  }
  if (problems.length) return problems;
  const m = doc as Manifest;
  const seen = new Set<string>();
  for (const c of m.script.commands) {
    if (seen.has(c.name)) problems.push(`command ${c.name} is declared twice`);
    seen.add(c.name);
    const argNames = new Set<string>();
    let positional = 0;
    for (const a of c.arguments) {
      if (argNames.has(a.name)) problems.push(`${c.name}: argument ${a.name} is declared twice`);
      argNames.add(a.name);
      if (a.default) positional++;
    }
    if (positional > 1) problems.push(`${c.name}: more than one positional default argument`);
    for (const group of c.requireOneOf ?? [])
      for (const n of group) if (!argNames.has(n)) problems.push(`${c.name}: requireOneOf names unknown argument ${n}`);
  }
  const pnames = new Set<string>();
  for (const p of m.configuration) {
    if (pnames.has(p.name)) problems.push(`parameter ${p.name} is declared twice`);
    pnames.add(p.name);
  }
  return problems;
}

/** Where `npm run build` leaves the validated manifest, keyed by the yml's hash. */
function cachePath(root: string): string {
  return path.join(root, 'dist', 'manifest.cache.json');
}

function index(manifest: Manifest, hash: string): LoadedManifest {
  return {
    manifest,
    hash,
    commands: new Map(manifest.script.commands.map((c) => [c.name, c])),
    params: new Map(manifest.configuration.map((p) => [p.name, p])),
  };
}

function parseAndCheck(text: string, root: string): Manifest {
  // Our own, trusted file: allow the anchors it reuses (yaml's default budget is 100 aliases).
  const doc = (require('yaml') as typeof import('yaml')).parse(text, { maxAliasCount: 2000 }) as unknown;
  const problems = checkManifest(doc, root);
  if (problems.length) throw new Error(`integration.yml is invalid:\n- ${problems.join('\n- ')}`);
  return doc as Manifest;
}

/**
 * The manifest, loaded and validated once per process. `npm run build` validates it and
 * caches the result beside the build, keyed by the SHA-256 of integration.yml; a process whose
 * yml matches the cache skips YAML parsing and schema compilation (start-up time matters to
 * one-command processes). An edited yml is parsed and validated again.
 */
export function loadManifest(): LoadedManifest {
  if (loaded) return loaded;
  const root = packageRoot();
  const text = readFileSync(path.join(root, 'integration.yml'), 'utf8');
  const hash = createHash('sha256').update(text).digest('hex');
  try {
    const cached = JSON.parse(readFileSync(cachePath(root), 'utf8')) as { hash: string; manifest: Manifest };
    if (cached.hash === hash) return (loaded = index(cached.manifest, hash));
  } catch {
    /* no cache: parse below */
  }
  return (loaded = index(parseAndCheck(text, root), hash));
}

/** Build step: validate integration.yml and write the cache loadManifest reads. */
export function writeManifestCache(): string {
  const root = packageRoot();
  const text = readFileSync(path.join(root, 'integration.yml'), 'utf8');
  const manifest = parseAndCheck(text, root);
  const file = cachePath(root);
  writeFileSync(file, JSON.stringify({ hash: createHash('sha256').update(text).digest('hex'), manifest }));
  return file;
}
