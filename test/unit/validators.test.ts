import { createRequire } from 'node:module';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { validatedSchema } from '../../integration/engine/args.js';
import { configSchema } from '../../integration/engine/config.js';
import { loadManifest } from '../../integration/engine/manifest.js';
import { exportName, generateValidatorsCode } from '../../integration/engine/validators.js';

const require = createRequire(import.meta.url);

test('the build-time validators accept and reject exactly what runtime-compiled ones do', () => {
  const { manifest, hash } = loadManifest();
  const schemas: Record<string, Record<string, unknown>> = { config: configSchema() };
  for (const c of manifest.script.commands) schemas[`cmd:${c.name}`] = validatedSchema(c);
  // Generated code requires ajv's runtime helpers: place it where node_modules resolves.
  const dir = path.join(process.cwd(), 'node_modules', '.cache');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `validators-test-${process.pid}.cjs`);
  writeFileSync(file, generateValidatorsCode(hash, schemas));
  let mod: Record<string, ValidateFunction> & { hash: string };
  try {
    mod = require(file) as Record<string, ValidateFunction> & { hash: string };
  } finally {
    rmSync(file, { force: true });
  }
  expect(mod.hash).toBe(hash);
  const ajv = new Ajv({ allErrors: true, strict: false });
  const samples: Array<[string, unknown]> = [
    ['cmd:okta-list-users', { limit: 5 }],
    ['cmd:okta-list-users', { limit: 0 }],
    ['cmd:okta-list-users', { limit: 'x' }],
    ['cmd:okta-get-user', {}],
    ['cmd:okta-get-user', { userId: '../x' }],
    ['cmd:okta-get-user', { username: 'a'.repeat(2000) }],
    ['cmd:okta-suspend-user', { username: 'a', dry_run: true }],
    ['cmd:okta-get-logs', { sortOrder: 'SIDEWAYS' }],
    ['config', { url: 'x', max_retries: 99 }],
    ['config', { url: 'x', dpop: 'auto' }],
  ];
  for (const [name, data] of samples) {
    const runtime = ajv.compile(schemas[name]!);
    const pre = mod[exportName(name)]!;
    expect([name, pre(data)]).toEqual([name, runtime(data)]);
    expect((pre.errors ?? []).map((e) => e.keyword).sort()).toEqual((runtime.errors ?? []).map((e) => e.keyword).sort());
  }
});
