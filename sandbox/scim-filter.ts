/**
 * The SCIM filter language as Okta accepts it in `filter=` and `search=`:
 * `attr op value`, `attr pr`, `and`, `or`, `not`, parentheses. Operators: eq ne co sw ew gt ge lt le pr.
 * Attribute names are case-sensitive; operators and string values are not. A dotted path that
 * crosses an array (`target.id`) matches when any element matches.
 */

export type ScimOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type ScimValue = string | number | boolean | null;

export type ScimNode =
  | { kind: 'cmp'; path: string; op: ScimOp; value: ScimValue }
  | { kind: 'pr'; path: string }
  | { kind: 'and' | 'or'; left: ScimNode; right: ScimNode }
  | { kind: 'not'; expr: ScimNode };

export class ScimParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScimParseError';
  }
}

type Token =
  | { t: 'lp' | 'rp' }
  | { t: 'word'; v: string }
  | { t: 'str'; v: string };

const OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '+') {
      i++;
    } else if (c === '(') {
      out.push({ t: 'lp' });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp' });
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ScimParseError('Unterminated string literal');
        const d = src[i]!;
        if (d === '\\' && i + 1 < src.length) {
          v += src[i + 1];
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          v += d;
          i++;
        }
      }
      out.push({ t: 'str', v });
    } else if (c === '[' || c === ']') {
      throw new ScimParseError('The [ ] operator is not supported');
    } else {
      let v = '';
      while (i < src.length && !' \t\n\r()"'.includes(src[i]!)) v += src[i++];
      out.push({ t: 'word', v });
    }
  }
  return out;
}

const ATTR = /^[A-Za-z_$][A-Za-z0-9_$-]*(\.[A-Za-z_$][A-Za-z0-9_$-]*)*$/;

export function parseScimFilter(src: string): ScimNode {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const isWord = (tok: Token | undefined, w: string): boolean =>
    tok !== undefined && tok.t === 'word' && tok.v.toLowerCase() === w;

  function parseOr(): ScimNode {
    let left = parseAnd();
    while (isWord(peek(), 'or')) {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  }
  function parseAnd(): ScimNode {
    let left = parseUnary();
    while (isWord(peek(), 'and')) {
      pos++;
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  }
  function parseUnary(): ScimNode {
    const tok = peek();
    if (!tok) throw new ScimParseError('Unexpected end of filter');
    if (isWord(tok, 'not')) {
      pos++;
      return { kind: 'not', expr: parseUnary() };
    }
    if (tok.t === 'lp') {
      pos++;
      const e = parseOr();
      if (peek()?.t !== 'rp') throw new ScimParseError('Missing closing parenthesis');
      pos++;
      return e;
    }
    if (tok.t !== 'word' || !ATTR.test(tok.v)) throw new ScimParseError(`Expected an attribute name at token ${pos + 1}`);
    pos++;
    const path = tok.v;
    const opTok = peek();
    if (!opTok || opTok.t !== 'word') throw new ScimParseError(`Expected an operator after ${path}`);
    const op = opTok.v.toLowerCase();
    pos++;
    if (op === 'pr') return { kind: 'pr', path };
    if (!OPS.has(op)) throw new ScimParseError(`Unknown operator ${opTok.v}`);
    const vTok = peek();
    if (!vTok || vTok.t === 'lp' || vTok.t === 'rp') throw new ScimParseError(`Expected a value after ${path} ${op}`);
    pos++;
    let value: ScimValue;
    if (vTok.t === 'str') value = vTok.v;
    else if (vTok.t === 'word') {
      const w = vTok.v.toLowerCase();
      if (w === 'true') value = true;
      else if (w === 'false') value = false;
      else if (w === 'null') value = null;
      else if (/^-?\d+(\.\d+)?$/.test(vTok.v)) value = Number(vTok.v);
      else throw new ScimParseError(`Invalid value ${vTok.v}: strings must be quoted`);
    } else {
      throw new ScimParseError(`Expected a value after ${path} ${op}`);
    }
    return { kind: 'cmp', path, op: op as ScimOp, value };
  }

  if (toks.length === 0) throw new ScimParseError('Empty filter');
  const node = parseOr();
  if (pos !== toks.length) throw new ScimParseError(`Unexpected token at position ${pos + 1}`);
  return node;
}

/** Visits every comparison of a filter (for endpoints that accept only some attributes/operators). */
export function scimLeaves(node: ScimNode, visit: (leaf: Extract<ScimNode, { kind: 'cmp' | 'pr' }>) => void): void {
  if (node.kind === 'cmp' || node.kind === 'pr') visit(node);
  else if (node.kind === 'not') scimLeaves(node.expr, visit);
  else {
    scimLeaves(node.left, visit);
    scimLeaves(node.right, visit);
  }
}

export function scimHasNot(node: ScimNode): boolean {
  if (node.kind === 'not') return true;
  if (node.kind === 'and' || node.kind === 'or') return scimHasNot(node.left) || scimHasNot(node.right);
  return false;
}

function collect(obj: unknown, parts: readonly string[], i: number, out: unknown[]): void {
  if (obj === undefined) return;
  if (Array.isArray(obj)) {
    for (const el of obj) collect(el, parts, i, out);
    return;
  }
  if (i === parts.length) {
    out.push(obj);
    return;
  }
  if (obj === null || typeof obj !== 'object') return;
  collect((obj as Record<string, unknown>)[parts[i]!], parts, i + 1, out);
}

const ISO = /^\d{4}-\d{2}-\d{2}T/;

function compareOrdered(leaf: unknown, value: ScimValue): number | undefined {
  if (typeof value === 'number') {
    const n = typeof leaf === 'number' ? leaf : typeof leaf === 'string' && leaf.trim() !== '' ? Number(leaf) : NaN;
    return Number.isNaN(n) ? undefined : n - value;
  }
  if (typeof value === 'string' && typeof leaf === 'string') {
    if (ISO.test(value) && ISO.test(leaf)) {
      const a = Date.parse(leaf);
      const b = Date.parse(value);
      if (!Number.isNaN(a) && !Number.isNaN(b)) return a - b;
    }
    const a = leaf.toLowerCase();
    const b = value.toLowerCase();
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return undefined;
}

function leafMatches(leaf: unknown, op: ScimOp, value: ScimValue): boolean {
  switch (op) {
    case 'eq':
    case 'ne': {
      if (value === null) return leaf === null;
      if (typeof value === 'string') {
        if (typeof leaf === 'string') return leaf.toLowerCase() === value.toLowerCase();
        if (typeof leaf === 'number' || typeof leaf === 'boolean') return String(leaf) === value;
        return false;
      }
      if (typeof value === 'number') return typeof leaf === 'number' ? leaf === value : typeof leaf === 'string' && Number(leaf) === value;
      return leaf === value;
    }
    case 'co':
    case 'sw':
    case 'ew': {
      if (value === null || leaf === null || typeof leaf === 'object') return false;
      const a = String(leaf).toLowerCase();
      const b = String(value).toLowerCase();
      return op === 'co' ? a.includes(b) : op === 'sw' ? a.startsWith(b) : a.endsWith(b);
    }
    default: {
      const c = compareOrdered(leaf, value);
      if (c === undefined) return false;
      return op === 'gt' ? c > 0 : op === 'ge' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0;
    }
  }
}

export type ScimPredicate = (obj: unknown) => boolean;

/** Compiles a filter into a predicate over plain objects. */
export function compileScim(node: ScimNode): ScimPredicate {
  switch (node.kind) {
    case 'and': {
      const l = compileScim(node.left);
      const r = compileScim(node.right);
      return (o) => l(o) && r(o);
    }
    case 'or': {
      const l = compileScim(node.left);
      const r = compileScim(node.right);
      return (o) => l(o) || r(o);
    }
    case 'not': {
      const e = compileScim(node.expr);
      return (o) => !e(o);
    }
    case 'pr': {
      const parts = node.path.split('.');
      return (o) => {
        const vals: unknown[] = [];
        collect(o, parts, 0, vals);
        return vals.some((v) => v !== null && v !== '' && v !== undefined);
      };
    }
    case 'cmp': {
      const parts = node.path.split('.');
      const { op, value } = node;
      if (op === 'ne') {
        return (o) => {
          const vals: unknown[] = [];
          collect(o, parts, 0, vals);
          return !vals.some((v) => leafMatches(v, 'eq', value));
        };
      }
      if (op === 'eq' && value === null) {
        return (o) => {
          const vals: unknown[] = [];
          collect(o, parts, 0, vals);
          return vals.length === 0 || vals.some((v) => v === null);
        };
      }
      return (o) => {
        const vals: unknown[] = [];
        collect(o, parts, 0, vals);
        for (const v of vals) if (leafMatches(v, op, value)) return true;
        return false;
      };
    }
  }
}
