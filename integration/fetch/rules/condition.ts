/**
 * Sigma's `condition`: search identifiers combined with `and`, `or`, `not` and parentheses
 * (`not` binds tightest, then `and`, then `or`), and the quantifiers `1 of selection_*`,
 * `all of selection_*`, `N of them`, `all of them` (`them`: every identifier not starting with
 * an underscore). Sigma 1's aggregations (`| count() by …`) and `near` are refused: correlation
 * rules say the same thing properly.
 */
import { showValue } from '../../base/errors.js';
import { RuleSyntaxError } from './rule-error.js';
import { wildcardTest } from './values.js';

export type Condition =
  | { readonly k: 'id'; readonly name: string }
  | { readonly k: 'and'; readonly items: readonly Condition[] }
  | { readonly k: 'or'; readonly items: readonly Condition[] }
  | { readonly k: 'not'; readonly item: Condition }
  /** At least `min` of `names` (min = names.length for `all of`). */
  | { readonly k: 'of'; readonly min: number; readonly names: readonly string[] };

type Token = { t: '(' | ')' | 'word'; v: string; at: number };

const WORD = /[A-Za-z0-9_*\-.]/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c, v: c, at: i++ });
    } else if (c === '|') {
      throw new RuleSyntaxError(
        'condition',
        `aggregations after '|' (${showValue(src.slice(i).trim(), 40)}) are Sigma 1 syntax okta-soar does not evaluate: write a correlation rule (type event_count or value_count) instead`,
      );
    } else if (WORD.test(c)) {
      const start = i;
      while (i < src.length && WORD.test(src[i]!)) i++;
      out.push({ t: 'word', v: src.slice(start, i), at: start });
    } else {
      throw new RuleSyntaxError('condition', `unexpected ${showValue(c)} at position ${i + 1} of ${showValue(src, 120)}`);
    }
  }
  return out;
}

/**
 * Parses `src` against the rule's search identifiers. Every identifier named must exist and every
 * pattern must match at least one, so a typo is an error, not a rule that never fires.
 */
export function parseCondition(src: string, identifiers: readonly string[]): Condition {
  const tokens = tokenize(src);
  let pos = 0;
  const known = new Set(identifiers);
  const peek = (): Token | undefined => tokens[pos];
  const word = (tok: Token | undefined, w: string) => tok?.t === 'word' && tok.v.toLowerCase() === w;
  const fail = (msg: string): never => {
    throw new RuleSyntaxError('condition', `${msg} in ${showValue(src, 120)}`);
  };

  const expand = (pattern: string): string[] => {
    if (pattern.toLowerCase() === 'them') return identifiers.filter((n) => !n.startsWith('_'));
    if (!pattern.includes('*')) {
      if (!known.has(pattern)) fail(`unknown search identifier ${showValue(pattern)} (the rule defines ${identifiers.join(', ') || 'none'})`);
      return [pattern];
    }
    const test = wildcardTest(pattern, true);
    const names = identifiers.filter(test);
    if (!names.length) fail(`${showValue(pattern)} matches no search identifier (the rule defines ${identifiers.join(', ') || 'none'})`);
    return names;
  };

  function primary(): Condition {
    const tok = peek();
    if (!tok) return fail('the condition ends too early');
    if (tok.t === '(') {
      pos++;
      const inner = orExpr();
      if (peek()?.t !== ')') fail(`missing ')' for the '(' at position ${tok.at + 1}`);
      pos++;
      return inner;
    }
    if (tok.t === ')') fail(`unexpected ')' at position ${tok.at + 1}`);
    const next = tokens[pos + 1];
    if (word(next, 'of')) {
      const q = tok.v.toLowerCase();
      const target = tokens[pos + 2];
      if (!target || target.t !== 'word') return fail(`'${tok.v} of' needs an identifier pattern or 'them'`);
      pos += 3;
      const names = expand(target.v);
      if (q === 'all') return { k: 'of', min: names.length, names };
      if (q === 'any') return { k: 'of', min: 1, names };
      if (!/^\d+$/.test(q) || Number(q) < 1) return fail(`'${tok.v} of': the count must be 'all', 'any' or a whole number from 1`);
      return { k: 'of', min: Number(q), names };
    }
    const w = tok.v.toLowerCase();
    if (w === 'near') fail("'near' (Sigma 1 temporal proximity) is not supported: use a correlation rule");
    if (['and', 'or', 'not', 'of', 'them'].includes(w)) fail(`unexpected '${tok.v}' at position ${tok.at + 1}`);
    pos++;
    if (tok.v.includes('*')) fail(`${showValue(tok.v)} is a pattern: write '1 of ${tok.v}' or 'all of ${tok.v}'`);
    expand(tok.v);
    return { k: 'id', name: tok.v };
  }

  function notExpr(): Condition {
    if (word(peek(), 'not')) {
      pos++;
      return { k: 'not', item: notExpr() };
    }
    return primary();
  }

  /** `next (op next)*`: and over not-expressions, or over and-expressions. */
  function chain(op: 'and' | 'or', next: () => Condition): Condition {
    const items = [next()];
    while (word(peek(), op)) {
      pos++;
      items.push(next());
    }
    return items.length === 1 ? items[0]! : { k: op, items };
  }

  function orExpr(): Condition {
    return chain('or', () => chain('and', notExpr));
  }

  if (!tokens.length) fail('the condition is empty');
  const c = orExpr();
  const rest = peek();
  if (rest) fail(`unexpected ${showValue(rest.v)} at position ${rest.at + 1}`);
  return c;
}

/** Evaluates a condition; `ident` answers one identifier (the caller memoises if it wants). */
export function evalCondition(c: Condition, ident: (name: string) => boolean): boolean {
  switch (c.k) {
    case 'id':
      return ident(c.name);
    case 'and':
      return c.items.every((x) => evalCondition(x, ident));
    case 'or':
      return c.items.some((x) => evalCondition(x, ident));
    case 'not':
      return !evalCondition(c.item, ident);
    case 'of': {
      let hits = 0;
      let left = c.names.length;
      for (const n of c.names) {
        if (ident(n)) hits++;
        left--;
        if (hits >= c.min) return true;
        if (hits + left < c.min) return false;
      }
      return hits >= c.min;
    }
  }
}
