/** Where the conformance check finds the repository and the sandbox's recordings. Light: no spec here. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORD_DIR_FROM_ROOT } from '../global-setup.js';

/** Set for sandboxes started by tests: each appends one JSON line per HTTP exchange to a file in this directory. */
export const RECORD_DIR_ENV = 'OKTA_SANDBOX_RECORD_DIR';

let root: string | undefined;

/** The repository root: the nearest directory above this file holding okta-soar's package.json. */
export function repoRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && /"name"\s*:\s*"okta-soar"/.test(readFileSync(pkg, 'utf8'))) return (root = dir);
    dir = path.dirname(dir);
  }
  throw new Error('conformance: cannot find the okta-soar package.json above ' + fileURLToPath(import.meta.url));
}

/** Phase 2 reads another directory of recordings when this is set (debugging, the sandbox tour). */
export const CHECK_DIR_ENV = 'OKTA_CONFORMANCE_RECORD_DIR';

/**
 * The recordings phase 2 checks: `<repo>/node_modules/.cache/okta-soar-conformance/`, where phase 1
 * (test/global-setup.ts) has sandboxes record, unless $OKTA_CONFORMANCE_RECORD_DIR names another.
 */
export function recordDir(): string {
  const other = process.env[CHECK_DIR_ENV];
  return other ? path.resolve(other) : path.join(repoRoot(), ...RECORD_DIR_FROM_ROOT);
}

/** The name of phase 2's report in the record directory (never read as a recording). */
export const REPORT_FILE = 'report.json';
