/**
 * Sigma rule files and folders → a RuleSet. Every problem is collected with its file, rule and
 * construct (a YAML error with its line), and a set with any problem is refused whole: fetch
 * never starts with part of its rules silently missing. `parseRules` hands the problems back
 * (for `rules test`); `loadRules` throws them as one RuleLoadError.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { showValue } from '../../base/errors.js';
import { compileDetection } from './compile.js';
import { compileCorrelation, readCorrelation, type CompiledCorrelation, type CorrelationSection } from './correlation.js';
import { eventTypesOf } from './filter.js';
import { readMeta } from './meta.js';
import { RuleLoadError, RuleSyntaxError } from './rule-error.js';
import { RuleSet, type CompiledRule } from './rule-set.js';
import type { CorrelationRule, DetectionRule, LoadedRule, RuleMeta, RuleProblem } from './types.js';

/** A rule file larger than this is refused (rules are a few kB; this is a mistake or an attack). */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;
const RULE_FILE = /\.ya?ml$/i;

export interface ParsedRules {
  /** The rules, or null when there is any problem. */
  ruleSet: RuleSet | null;
  problems: RuleProblem[];
  /** The rule files read. */
  files: string[];
}

export interface LoadOptions {
  /** The setting named in errors (`fetch_rules`; `rules test` names its argument). */
  parameter?: string;
}

/** Splits a setting's text into paths: commas or new lines separate them. */
export function parseRulePaths(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function walk(dir: string, out: string[], seen: Set<string>, problems: RuleProblem[]): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return;
  }
  if (seen.has(real)) return;
  seen.add(real);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    problems.push({ file: dir, message: `cannot read the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
    return;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = path.join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(p, out, seen, problems);
    else if (st.isFile() && RULE_FILE.test(name)) out.push(p);
  }
}

/** The rule files under the paths given: a file as it is, a folder's *.yml / *.yaml (recursively, sorted). */
export function ruleFiles(paths: readonly string[], problems: RuleProblem[]): string[] {
  const files: string[] = [];
  if (!paths.length) problems.push({ file: '(none)', message: 'no rule file or folder was given' });
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push({ file: p, message: code === 'ENOENT' ? 'does not exist (give a Sigma rule file or a folder of them)' : `cannot be read (${code ?? (e as Error).message})` });
      continue;
    }
    if (st.isDirectory()) {
      const found: string[] = [];
      walk(p, found, new Set(), problems);
      if (!found.length) problems.push({ file: p, message: 'holds no Sigma rule file (*.yml, *.yaml)' });
      files.push(...found);
    } else {
      files.push(p);
    }
  }
  return [...new Set(files)];
}

interface Doc {
  file: string;
  document: number;
  body: Record<string, unknown>;
}

/** A rule's name in a problem: its id, else its title, else its place in the file. */
function ruleLabel(d: Doc): string {
  const { id, title } = d.body;
  if (typeof id === 'string' && id.trim()) return id.trim();
  if (typeof title === 'string' && title.trim()) return title.trim();
  return `#${d.document}`;
}

function readDocs(file: string, text: string, problems: RuleProblem[]): Doc[] {
  const docs: Doc[] = [];
  let n = 0;
  for (const doc of parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true })) {
    n++;
    if (doc.errors.length) {
      for (const err of doc.errors) problems.push({ file, rule: `#${n}`, construct: 'YAML', message: err.message.split('\n')[0]!.replace(/:$/, ''), ...(err.linePos ? { line: err.linePos[0].line } : {}) });
      continue;
    }
    let body: unknown;
    try {
      // Aliases are capped so a "billion laughs" document cannot blow up memory.
      body = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      problems.push({ file, rule: `#${n}`, construct: 'YAML', message: (e as Error).message });
      continue;
    }
    if (body === null || body === undefined) continue; // An empty document (a trailing ---).
    if (typeof body !== 'object' || Array.isArray(body)) {
      problems.push({ file, rule: `#${n}`, message: 'is not a Sigma rule (a YAML map with title, logsource and detection)' });
      continue;
    }
    docs.push({ file, document: n, body: body as Record<string, unknown> });
  }
  return docs;
}

function checkLogsource(body: Record<string, unknown>): void {
  const ls = body.logsource;
  if (ls === undefined || ls === null) return;
  if (typeof ls !== 'object' || Array.isArray(ls)) throw new RuleSyntaxError('logsource', 'must be a map (product: okta)');
  const { product, service, category } = ls as Record<string, unknown>;
  const isOkta = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim().toLowerCase() === 'okta');
  if (!isOkta(product) || !isOkta(service) || (category !== undefined && category !== null && product === undefined && service === undefined))
    throw new RuleSyntaxError('logsource', `${showValue(JSON.stringify(ls), 100)} is not Okta's System Log (product: okta): this rule would never match an Okta event`);
}

interface PendingCorrelation {
  doc: Doc;
  meta: RuleMeta;
  section: CorrelationSection;
}

/** Reads and checks rules from files and folders. Never throws for a rule problem: see `problems`. */
export function parseRules(paths: string | readonly string[]): ParsedRules {
  const problems: RuleProblem[] = [];
  const list = typeof paths === 'string' ? parseRulePaths(paths) : [...paths];
  const files = ruleFiles(list, problems);
  const docs: Doc[] = [];
  for (const file of files) {
    let text: string;
    try {
      if (statSync(file).size > MAX_RULE_FILE_BYTES) {
        problems.push({ file, message: `is larger than ${MAX_RULE_FILE_BYTES / 1024} KiB: not a rule file` });
        continue;
      }
      text = readFileSync(file, 'utf8');
    } catch (e) {
      problems.push({ file, message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      continue;
    }
    docs.push(...readDocs(file, text, problems));
  }
  return { ...buildRuleSet(docs, files, problems), files };
}

/** Rules from YAML text (one or more documents); `file` names it in problems. */
export function parseRuleText(text: string, file = '(text)'): ParsedRules {
  const problems: RuleProblem[] = [];
  const docs = readDocs(file, text, problems);
  return { ...buildRuleSet(docs, [file], problems), files: [file] };
}

function buildRuleSet(docs: readonly Doc[], files: readonly string[], problems: RuleProblem[]): { ruleSet: RuleSet | null; problems: RuleProblem[] } {
  const detections: { doc: Doc; meta: RuleMeta; detection: ReturnType<typeof compileDetection> }[] = [];
  const pending: PendingCorrelation[] = [];
  const fail = (d: Doc, e: unknown) => {
    if (!(e instanceof RuleSyntaxError)) throw e;
    problems.push({ file: d.file, rule: ruleLabel(d), construct: e.construct, message: e.message });
  };

  // Rules named by a correlation that is refused: their own level is not asked for (the
  // correlation's problem is the one to fix; the set is refused anyway).
  const refusedRefs = new Set<string>();
  const noteRefused = (d: Doc) => {
    const c = d.body.correlation as Record<string, unknown> | undefined;
    const refs = c && typeof c === 'object' ? c.rules : undefined;
    for (const r of Array.isArray(refs) ? refs : [refs]) if (typeof r === 'string') refusedRefs.add(r.trim());
  };

  for (const d of docs) {
    const b = d.body;
    try {
      if ('action' in b) throw new RuleSyntaxError('action', `${showValue(JSON.stringify(b.action))}: Sigma 1 rule collections (global, reset, repeat) are not supported; write each rule out`);
      if ('correlation' in b) {
        pending.push({ doc: d, meta: readMeta(b, d.file, d.document, true), section: readCorrelation(b) });
      } else if ('detection' in b) {
        if (!b.detection || typeof b.detection !== 'object' || Array.isArray(b.detection)) throw new RuleSyntaxError('detection', 'must be a map of search identifiers and a condition');
        const meta = readMeta(b, d.file, d.document, false);
        checkLogsource(b);
        detections.push({ doc: d, meta, detection: compileDetection(b.detection as Record<string, unknown>) });
      } else if ('filter' in b) {
        throw new RuleSyntaxError('filter', 'Sigma filter documents are not supported: add the exclusion to the rule (… and not filter)');
      } else {
        throw new RuleSyntaxError('detection', 'is missing: a Sigma rule needs a detection section (or a correlation section)');
      }
    } catch (e) {
      fail(d, e);
      if ('correlation' in b) noteRefused(d);
    }
  }

  // Ids and names must be unique: incidents name rules by id, and correlations refer by either.
  const owners = new Map<string, Doc>();
  for (const { doc, meta } of [...detections, ...pending]) {
    for (const key of new Set([meta.id, ...(meta.name !== undefined ? [meta.name] : [])])) {
      const first = owners.get(key);
      if (first) problems.push({ file: doc.file, rule: ruleLabel(doc), construct: meta.id === key ? 'id' : 'name', message: `${showValue(key)} is already used by a rule in ${first.file} (document ${first.document})` });
      else owners.set(key, doc);
    }
  }

  const byRef = new Map<string, (typeof detections)[number]>();
  for (const det of detections) {
    byRef.set(det.meta.id, det);
    if (det.meta.name !== undefined) byRef.set(det.meta.name, det);
  }
  const correlationRefs = new Set(pending.flatMap((p) => [p.meta.id, ...(p.meta.name !== undefined ? [p.meta.name] : [])]));
  const feeds = new Map<string, { generate: boolean; compiled: CompiledCorrelation }[]>();
  const compiledCorrelations: CompiledCorrelation[] = [];
  const correlationInfo = new Map<Doc, CorrelationRule>();
  for (const p of pending) {
    try {
      const referenced = p.section.refs.map((ref) => {
        if (correlationRefs.has(ref)) throw new RuleSyntaxError('correlation.rules', `${showValue(ref)} is a correlation rule: chaining correlations is not supported`);
        const det = byRef.get(ref);
        if (!det) throw new RuleSyntaxError('correlation.rules', `${showValue(ref)} is not the id or name of a loaded detection rule`);
        return det;
      });
      const info: CorrelationRule = {
        ...p.meta,
        kind: 'correlation',
        type: p.section.type,
        rules: [...new Set(referenced.map((r) => r.meta.id))],
        groupBy: p.section.groupBy,
        timespan: p.section.timespan,
        timespanMs: p.section.timespanMs,
        condition: p.section.condition,
        aliases: p.section.aliases,
        ...(p.section.field !== undefined ? { field: p.section.field } : {}),
      };
      const compiled = compileCorrelation(
        info,
        referenced.map((r) => ({ id: r.meta.id, ...(r.meta.name !== undefined ? { name: r.meta.name } : {}) })),
      );
      compiledCorrelations.push(compiled);
      correlationInfo.set(p.doc, info);
      for (const id of info.rules) feeds.set(id, [...(feeds.get(id) ?? []), { generate: p.section.generate, compiled }]);
    } catch (e) {
      fail(p.doc, e);
      noteRefused(p.doc);
    }
  }

  const compiled: CompiledRule[] = [];
  const infoByDoc = new Map<Doc, LoadedRule>(correlationInfo);
  for (const det of detections) {
    const fed = feeds.get(det.meta.id) ?? [];
    // Sigma: a rule a correlation refers to makes no alert of its own unless one says generate.
    const standalone = fed.length === 0 || fed.some((f) => f.generate);
    const namedByRefused = refusedRefs.has(det.meta.id) || (det.meta.name !== undefined && refusedRefs.has(det.meta.name));
    if (standalone && !det.meta.level && !namedByRefused) {
      fail(det.doc, new RuleSyntaxError('level', 'is missing: say informational, low, medium, high or critical (it becomes the incident\'s severity)'));
      continue;
    }
    const info: DetectionRule = { ...det.meta, kind: 'detection', standalone, eventTypes: eventTypesOf(det.detection) };
    compiled.push({ info, detection: det.detection, correlations: fed.map((f) => f.compiled) });
    infoByDoc.set(det.doc, info);
  }
  if (!problems.length && !compiled.length) problems.push({ file: files.join(', ') || '(none)', message: 'holds no Sigma rule' });
  if (problems.length) return { ruleSet: null, problems };
  const order = docs.map((d) => infoByDoc.get(d)).filter((r): r is LoadedRule => r !== undefined);
  return { ruleSet: new RuleSet(compiled, compiledCorrelations, order, files), problems };
}

/** Loads rules from files and folders; any problem throws a RuleLoadError naming every one. */
export function loadRules(paths: string | readonly string[], opts: LoadOptions = {}): RuleSet {
  const { ruleSet, problems } = parseRules(paths);
  if (!ruleSet) throw new RuleLoadError(problems, opts.parameter);
  return ruleSet;
}
