import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Ajv } from 'ajv';
import { packageRoot } from './paths.js';

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
  commands: Map<string, ManifestCommand>;
  params: Map<string, ManifestParam>;
}

let loaded: LoadedManifest | undefined;

/** Validates a parsed manifest against schemas/manifest.schema.json; returns problems (empty when fine). */
export function checkManifest(doc: unknown, root = packageRoot()): string[] {
  const schema = JSON.parse(readFileSync(path.join(root, 'schemas', 'manifest.schema.json'), 'utf8'));
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

/**
 * The manifest, loaded and validated once per process. The schema check costs a few
 * milliseconds of ajv compilation; it runs here so a broken manifest can never half-work.
 */
export function loadManifest(): LoadedManifest {
  if (loaded) return loaded;
  const root = packageRoot();
  const doc = parseYaml(readFileSync(path.join(root, 'integration.yml'), 'utf8')) as unknown;
  const problems = checkManifest(doc, root);
  if (problems.length) throw new Error(`integration.yml is invalid:\n- ${problems.join('\n- ')}`);
  const manifest = doc as Manifest;
  loaded = {
    manifest,
    commands: new Map(manifest.script.commands.map((c) => [c.name, c])),
    params: new Map(manifest.configuration.map((p) => [p.name, p])),
  };
  return loaded;
}
