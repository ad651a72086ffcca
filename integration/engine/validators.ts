import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ValidateFunction, Ajv as AjvType } from 'ajv';
import { packageRoot } from './paths.js';

const require = createRequire(import.meta.url);

/** Where `npm run build` writes standalone validators (ajv code generation) for the manifest of `hash`. */
export function precompiledPath(root = packageRoot()): string {
  return path.join(root, 'dist', 'validators.cjs');
}

let ajv: AjvType | undefined;
let precompiled: { hash: string; validators: Record<string, ValidateFunction> } | null | undefined;
const compiled = new Map<string, ValidateFunction>();

/** Turns a validator name (`cmd:okta-get-user`, `config`) into an identifier for generated code. */
export function exportName(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '_');
}

function runtimeAjv(): AjvType {
  if (!ajv) {
    const { Ajv } = require('ajv') as typeof import('ajv');
    ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false, coerceTypes: false });
  }
  return ajv;
}

/**
 * The validator for a schema, compiled at most once per process. When the build left
 * precompiled validators for this exact manifest (`manifestHash`), they are used and ajv is
 * never loaded: one-command processes start faster.
 */
export function getValidator(name: string, manifestHash: string, schema: () => Record<string, unknown>): ValidateFunction {
  let v = compiled.get(name);
  if (v) return v;
  if (precompiled === undefined) {
    precompiled = null;
    const file = precompiledPath();
    if (existsSync(file)) {
      const mod = require(file) as { hash: string } & Record<string, ValidateFunction>;
      if (mod.hash === manifestHash) precompiled = { hash: mod.hash, validators: mod };
    }
  }
  v = precompiled?.validators[exportName(name)] ?? runtimeAjv().compile(schema());
  compiled.set(name, v);
  return v;
}

/** Build step: standalone code for every named schema (CommonJS, requiring only ajv's small runtime helpers). */
export function generateValidatorsCode(manifestHash: string, schemas: Record<string, Record<string, unknown>>): string {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standaloneCode = (require('ajv/dist/standalone') as { default: (ajv: AjvType, refs: Record<string, string>) => string }).default;
  const gen = new Ajv({ allErrors: true, strict: false, useDefaults: false, coerceTypes: false, code: { source: true } });
  const refs: Record<string, string> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const id = `okta-soar:${name}`;
    gen.addSchema({ ...schema, $id: id });
    refs[exportName(name)] = id;
  }
  return `${standaloneCode(gen, refs)}\nexports.hash = ${JSON.stringify(manifestHash)};\n`;
}
