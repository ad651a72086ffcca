/**
 * okta-soar's own rules, shipped in the package (`rules/okta/*.yml`): what fetch-incidents uses
 * when no `fetch_rules` is set. They are ordinary Sigma rules a user can copy and change.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRules } from './load.js';
import type { RuleSet } from './rule-set.js';

let dir: string | undefined;
let cached: RuleSet | undefined;

/** The folder of the default rules (from the sources under ts-jest, or from dist/ when installed). */
export function defaultRulesDir(): string {
  if (dir) return dir;
  // integration/fetch/rules/ in the sources, dist/integration/fetch/rules/ when built.
  for (let up = path.dirname(fileURLToPath(import.meta.url)), i = 0; i < 6; i++, up = path.dirname(up)) {
    const candidate = path.join(up, 'rules', 'okta');
    if (existsSync(path.join(up, 'package.json')) && existsSync(candidate)) return (dir = candidate);
  }
  throw new Error(`okta-soar: the default rules (rules/okta) are missing from the package above ${fileURLToPath(import.meta.url)}`);
}

/** The default rules, loaded once (they are part of the package: a problem is a packaging bug). */
export function defaultRules(): RuleSet {
  return (cached ??= loadRules([defaultRulesDir()], { parameter: 'default rules' }));
}
