/** A rule's descriptive attributes (title, id, level, tags …), checked, and its ATT&CK tags. */
import { showValue } from '../../base/errors.js';
import { RuleSyntaxError } from './rule-error.js';
import { LEVELS, LEVEL_SEVERITY, type AttackTags, type Level, type RuleMeta } from './types.js';

function optionalString(doc: Record<string, unknown>, key: string): string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new RuleSyntaxError(key, `must be a string, not ${showValue(JSON.stringify(v))}`);
  return v.trim() || undefined;
}

function stringList(doc: Record<string, unknown>, key: string): string[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    if (typeof x !== 'string' && typeof x !== 'number') throw new RuleSyntaxError(key, `must be a list of strings; ${showValue(JSON.stringify(x))} is not one`);
    return String(x);
  });
}

/** Technique ids (`attack.t1098.003`) and tactic names (`attack.credential_access` or `-access`). */
export function attackOf(tags: readonly string[]): AttackTags {
  const tactics = new Set<string>();
  const techniques = new Set<string>();
  for (const tag of tags) {
    const m = /^attack\.(.+)$/i.exec(tag.trim());
    if (!m) continue;
    const v = m[1]!.toLowerCase();
    if (/^t\d{4}(\.\d{3})?$/.test(v)) techniques.add(v.toUpperCase());
    // Groups (g0016) and software (s0154) are neither tactics nor techniques.
    else if (!/^[gs]\d{4}$/.test(v)) tactics.add(v.replace(/_/g, '-'));
  }
  return { tactics: [...tactics], techniques: [...techniques] };
}

/** Reads the attributes every rule shares; a rule without id or name is known as `<file>#<document>`. */
export function readMeta(doc: Record<string, unknown>, file: string, document: number, needsLevel: boolean): RuleMeta {
  const title = optionalString(doc, 'title');
  if (!title) throw new RuleSyntaxError('title', 'is missing: every rule needs a title (it names the incident)');
  const id = optionalString(doc, 'id');
  const name = optionalString(doc, 'name');
  const rawLevel = optionalString(doc, 'level');
  let level: Level | undefined;
  if (rawLevel !== undefined) {
    level = rawLevel.toLowerCase() as Level;
    if (!LEVELS.includes(level)) throw new RuleSyntaxError('level', `${showValue(rawLevel)} is not a Sigma level (${LEVELS.join(', ')})`);
  } else if (needsLevel) {
    throw new RuleSyntaxError('level', `is missing: say ${LEVELS.join(', ')} (it becomes the incident's severity)`);
  }
  const tags = stringList(doc, 'tags');
  const optional = { name, level, description: optionalString(doc, 'description'), status: optionalString(doc, 'status'), author: optionalString(doc, 'author') };
  return {
    id: id ?? name ?? `${file}#${document}`,
    title,
    ...(Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) as Partial<typeof optional>),
    severity: level ? LEVEL_SEVERITY[level] : 0,
    tags,
    attack: attackOf(tags),
    references: stringList(doc, 'references'),
    falsepositives: stringList(doc, 'falsepositives'),
    file,
    document,
  };
}
