/**
 * The System Log filter a rule set needs: the event types its rules can match. A rule's types
 * are read from its condition soundly (never narrower than what the rule can match): an `eventType`
 * entry with literal values constrains its selection, `and` keeps the tightest side, `or` joins,
 * and `not`, keywords or any other form of `eventType` leave the rule open to every type. One
 * open rule and the filter is none: every event is read.
 */
import type { CompiledDetection, SearchIdentifier } from './compile.js';
import type { Condition } from './condition.js';

/** Event types (lower case): exact ones and prefixes (`sw`); null: any type. */
export interface TypeSet {
  eq: Set<string>;
  sw: Set<string>;
}

// Okta event types are dotted words; anything else is not put into a filter expression.
const SAFE = /^[a-z0-9_.-]+$/i;

function union(sets: readonly (TypeSet | null)[]): TypeSet | null {
  const out: TypeSet = { eq: new Set(), sw: new Set() };
  for (const s of sets) {
    if (!s) return null;
    for (const v of s.eq) out.eq.add(v);
    for (const v of s.sw) out.sw.add(v);
  }
  return out;
}

/** A TypeSet's size as a filter clause count (smaller is tighter). */
const size = (s: TypeSet) => s.eq.size + s.sw.size;

/** Both hold: exact sets intersect; otherwise the smaller side is kept (still sound). */
function both(a: TypeSet, b: TypeSet): TypeSet {
  if (!a.sw.size && !b.sw.size) return { eq: new Set([...a.eq].filter((v) => b.eq.has(v))), sw: new Set() };
  return size(b) < size(a) ? b : a;
}

function intersect(sets: readonly (TypeSet | null)[]): TypeSet | null {
  const known = sets.filter((s): s is TypeSet => s !== null);
  return known.length ? known.reduce(both) : null;
}

function ofIdentifier(id: SearchIdentifier): TypeSet | null {
  if (id.keywords) return null;
  return union(
    id.alternatives.map((entries) =>
      intersect(
        entries.map((e) => {
          if (e.field.toLowerCase() !== 'eventtype' || !e.literals) return null;
          if (![...e.literals.eq, ...e.literals.sw].every((v) => SAFE.test(v))) return null;
          return { eq: new Set(e.literals.eq), sw: new Set(e.literals.sw) };
        }),
      ),
    ),
  );
}

function ofCondition(c: Condition, ids: ReadonlyMap<string, SearchIdentifier>): TypeSet | null {
  switch (c.k) {
    case 'id':
      return ofIdentifier(ids.get(c.name)!);
    case 'and':
      return intersect(c.items.map((x) => ofCondition(x, ids)));
    case 'or':
      return union(c.items.map((x) => ofCondition(x, ids)));
    case 'not':
      return null;
    case 'of': {
      const sets = c.names.map((n) => ofIdentifier(ids.get(n)!));
      // All of them: each must hold. At least N: one of them holds at least, so their union.
      return c.min === c.names.length ? intersect(sets) : union(sets);
    }
  }
}

/** The event types a detection can match: sorted, `prefix*` for prefixes; null when any type. */
export function eventTypesOf(d: CompiledDetection): string[] | null {
  const s = ofCondition(d.condition, d.identifiers);
  if (!s) return null;
  return [...[...s.eq].sort(), ...[...s.sw].sort().map((p) => `${p}*`)];
}

/**
 * The System Log filter (Okta's SCIM syntax) for rules with these event types, or null when one
 * of them can match any type. Sorted and deduplicated, so the same rules give the same text (the
 * fetch cursor is tied to its filter).
 */
export function logFilterFor(typeLists: readonly (readonly string[] | null)[]): string | null {
  const eq = new Set<string>();
  const sw = new Set<string>();
  for (const list of typeLists) {
    if (!list) return null;
    for (const t of list) (t.endsWith('*') ? sw : eq).add(t.endsWith('*') ? t.slice(0, -1) : t);
  }
  const prefixes = [...sw].sort();
  // A type under a prefix already read needs no clause of its own.
  const exact = [...eq].filter((t) => !prefixes.some((p) => t.startsWith(p))).sort();
  const clauses = [...exact.map((t) => `eventType eq "${t}"`), ...prefixes.map((p) => `eventType sw "${p}"`)];
  return clauses.length ? clauses.join(' or ') : null;
}
