import { ConfigError, showValue } from '../../base/errors.js';
import type { RuleProblem } from './types.js';

/** Problems listed in a RuleLoadError's message; the rest are counted. */
const LISTED = 10;

/** One problem as a line: file(:line), rule, construct, message. */
export function describeProblem(p: RuleProblem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  const rule = p.rule ? ` rule ${showValue(p.rule, 80)}` : '';
  const construct = p.construct ? ` ${p.construct}:` : ':';
  return `${where}${rule}${construct} ${p.message}`;
}

/**
 * Rules that cannot be used. Loading refuses the whole set: fetch never starts with some rules
 * silently missing. `problems` lists every one (file, rule, construct), for `rules test`.
 */
export class RuleLoadError extends ConfigError {
  constructor(
    readonly problems: readonly RuleProblem[],
    parameter = 'fetch_rules',
  ) {
    const shown = problems.slice(0, LISTED).map(describeProblem);
    const more = problems.length > LISTED ? `; and ${problems.length - LISTED} more` : '';
    const what = problems.length === 1 ? 'a Sigma rule problem' : `${problems.length} Sigma rule problems`;
    super(`${parameter}: ${what}, so no rule is used: ${shown.join('; ')}${more}`, parameter);
    this.name = 'RuleLoadError';
  }
}

/** Thrown while compiling one rule; the loader turns it into a RuleProblem with the file and rule. */
export class RuleSyntaxError extends Error {
  constructor(
    readonly construct: string,
    message: string,
  ) {
    super(message);
    this.name = 'RuleSyntaxError';
  }
}
