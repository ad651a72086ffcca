/**
 * Jest globalSetup for phase 1 of `npm test`: sandboxes started by tests record every HTTP
 * exchange (OKTA_SANDBOX_RECORD_DIR) into an emptied directory, which phase 2
 * (jest.conformance.config.js) checks against Okta's OpenAPI spec. Jest forks its workers after
 * this runs, so they inherit the variable.
 *
 * Jest loads this file with Node's own loader (no moduleNameMapper), so it imports only Node
 * built-ins; test/conformance/paths.ts takes the directory from here.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/** The record directory, relative to the repository root. */
export const RECORD_DIR_FROM_ROOT = ['node_modules', '.cache', 'okta-soar-conformance'] as const;

export default function globalSetup(_globalConfig: unknown, projectConfig: { rootDir: string }): void {
  const dir = path.join(projectConfig.rootDir, ...RECORD_DIR_FROM_ROOT);
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) rmSync(path.join(dir, name), { recursive: true, force: true });
  process.env.OKTA_SANDBOX_RECORD_DIR = dir;
}
