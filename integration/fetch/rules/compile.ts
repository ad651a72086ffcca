/**
 * A rule's `detection` section compiled into one test on an event: each search identifier is a
 * map (every entry must match) or a list (any element: a map, or a keyword), and `condition`
 * combines them. Everything is checked here, when the rule loads; evaluation cannot fail.
 */
import { showValue } from '../../base/errors.js';
import { evalCondition, parseCondition, type Condition } from './condition.js';
import type { EventView } from './fields.js';
import { RuleSyntaxError } from './rule-error.js';
import { compileEntry, type FieldTest } from './values.js';

/** A search identifier: any of `alternatives`, each a list of entries that must all match. */
export interface SearchIdentifier {
  readonly name: string;
  readonly alternatives: readonly (readonly FieldTest[])[];
  /** A keyword list (no field named): it can match any event type. */
  readonly keywords: boolean;
}

export interface CompiledDetection {
  readonly identifiers: ReadonlyMap<string, SearchIdentifier>;
  readonly condition: Condition;
  match(view: EventView): boolean;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function compileMap(name: string, map: Record<string, unknown>): FieldTest[] {
  const keys = Object.keys(map);
  if (!keys.length) throw new RuleSyntaxError(`detection.${name}`, 'is an empty map, which would match every event');
  return keys.map((key) => {
    try {
      return compileEntry(key, map[key]);
    } catch (e) {
      if (e instanceof RuleSyntaxError) throw new RuleSyntaxError(`detection.${name}: ${e.construct}`, e.message);
      throw e;
    }
  });
}

function compileIdentifier(name: string, def: unknown): SearchIdentifier {
  if (isMap(def)) return { name, alternatives: [compileMap(name, def)], keywords: false };
  const list = Array.isArray(def) ? def : [def];
  if (def === null || def === undefined || list.length === 0) throw new RuleSyntaxError(`detection.${name}`, 'is empty: give a map of fields or a list');
  const alternatives: FieldTest[][] = [];
  const words: unknown[] = [];
  for (const item of list) {
    if (isMap(item)) alternatives.push(compileMap(name, item));
    else if (typeof item === 'string' || typeof item === 'number') words.push(item);
    else throw new RuleSyntaxError(`detection.${name}`, `a list holds maps of fields or keywords (strings), not ${showValue(JSON.stringify(item))}`);
  }
  if (words.length) {
    try {
      alternatives.push([compileEntry('', words)]);
    } catch (e) {
      if (e instanceof RuleSyntaxError) throw new RuleSyntaxError(`detection.${name}: ${e.construct}`, e.message);
      throw e;
    }
  }
  return { name, alternatives, keywords: words.length > 0 };
}

/** Compiles a `detection` section (the caller has checked it is a map). */
export function compileDetection(detection: Record<string, unknown>): CompiledDetection {
  if ('timeframe' in detection)
    throw new RuleSyntaxError('detection.timeframe', 'is Sigma 1 aggregation syntax okta-soar does not evaluate: write a correlation rule with a timespan instead');
  const rawCondition = detection.condition;
  if (rawCondition === undefined || rawCondition === null || rawCondition === '') throw new RuleSyntaxError('detection.condition', 'is missing');
  const conditions = Array.isArray(rawCondition) ? rawCondition : [rawCondition];
  if (!conditions.length || conditions.some((c) => typeof c !== 'string' || !c.trim())) throw new RuleSyntaxError('detection.condition', 'must be a non-empty string (or a list of them)');

  const identifiers = new Map<string, SearchIdentifier>();
  for (const [name, def] of Object.entries(detection)) if (name !== 'condition') identifiers.set(name, compileIdentifier(name, def));
  if (!identifiers.size) throw new RuleSyntaxError('detection', 'defines no search identifier (a map of fields, or keywords)');

  const names = [...identifiers.keys()];
  const parsed = (conditions as string[]).map((c) => parseCondition(c, names));
  // A list of conditions is Sigma's shorthand for "any of them".
  const condition: Condition = parsed.length === 1 ? parsed[0]! : { k: 'or', items: parsed };

  const order = new Map(names.map((n, i) => [n, i]));
  const idents = names.map((n) => identifiers.get(n)!);
  const match = (view: EventView): boolean => {
    // 0 unknown, 1 true, 2 false: each identifier is tested at most once per event.
    const memo = new Uint8Array(idents.length);
    return evalCondition(condition, (name) => {
      const i = order.get(name)!;
      if (memo[i] === 0) memo[i] = idents[i]!.alternatives.some((alt) => alt.every((t) => t.test(view))) ? 1 : 2;
      return memo[i] === 1;
    });
  };
  return { identifiers, condition, match };
}
