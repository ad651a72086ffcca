#!/usr/bin/env node
// Build step: validates integration.yml against schemas/manifest.schema.json and caches it
// (dist/manifest.cache.json), and generates standalone validators for every command's
// arguments and for the configuration (dist/validators.cjs), so the CLI starts without
// parsing YAML or loading ajv. Both are keyed by the yml's hash; an edited yml is re-validated.
import { writeFileSync } from 'node:fs';
import { writeManifestCache, loadManifest } from '../dist/integration/engine/manifest.js';
import { validatedSchema } from '../dist/integration/engine/args.js';
import { configSchema } from '../dist/integration/engine/config.js';
import { generateValidatorsCode, precompiledPath } from '../dist/integration/engine/validators.js';

try {
  writeManifestCache();
  const { manifest, hash } = loadManifest();
  const schemas = { config: configSchema() };
  for (const c of manifest.script.commands) schemas[`cmd:${c.name}`] = validatedSchema(c);
  writeFileSync(precompiledPath(), generateValidatorsCode(hash, schemas));
} catch (e) {
  console.error(`build: ${e.message}`);
  process.exitCode = 1;
}
