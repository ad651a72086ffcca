/**
 * A command's context outputs (the manifest's `outputs`: `Account.ID`, `Okta.Logs.Events.actor.id`
 * …) as JSON Schema, for the faces that describe results: the OpenAPI documents (an entry's
 * EntryContext) and MCP (a tool's structured output). Written once here, from the manifest alone.
 */
import { DRY_RUN_OUTPUTS } from '../engine/dispatcher.js';
import type { ManifestCommand, ManifestOutput } from '../engine/manifest.js';
import type { Entry } from '../engine/types.js';

export type JsonSchema = Record<string, unknown>;

/** A command's context outputs, with the dry run's where it changes Okta. */
export function outputsOf(c: ManifestCommand): ManifestOutput[] {
  return c.changes ? [...c.outputs, ...DRY_RUN_OUTPUTS] : [...c.outputs];
}

interface Node {
  output?: ManifestOutput;
  children: Map<string, Node>;
}

/** The outputs as a tree of path segments (`Account` → `Group` → `ID`). */
function tree(outputs: readonly ManifestOutput[]): Node {
  const root: Node = { children: new Map() };
  for (const o of outputs) {
    let n = root;
    for (const seg of o.contextPath.split('.')) {
      let c = n.children.get(seg);
      if (!c) n.children.set(seg, (c = { children: new Map() }));
      n = c;
    }
    n.output = o;
  }
  return root;
}

const LEAF_TYPE: Record<ManifestOutput['type'], JsonSchema> = {
  String: { type: ['string', 'null'] },
  Number: { type: ['number', 'null'] },
  Boolean: { type: ['boolean', 'null'] },
  Date: { type: ['string', 'null'], description: 'ISO 8601 time' },
  Unknown: {},
};

function leafSchema(o: ManifestOutput): JsonSchema {
  const s: JsonSchema = { ...LEAF_TYPE[o.type] };
  const text = [o.description, s.description].filter(Boolean).join(' ');
  if (text) s.description = text;
  else delete s.description;
  return s;
}

/** A node with children: one object, or a list of them (XSOAR merges a key's values into a list), or null. */
function nodeSchema(n: Node): JsonSchema {
  if (!n.children.size) return leafSchema(n.output!);
  const properties: Record<string, JsonSchema> = {};
  for (const [k, c] of n.children) properties[k] = nodeSchema(c);
  const obj: JsonSchema = { type: 'object', properties };
  const s: JsonSchema = { anyOf: [obj, { type: 'array', items: obj }, { type: 'null' }] };
  if (n.output?.description) s.description = n.output.description;
  return s;
}

/**
 * The context of a command as one tree, merge keys left out: `{ Account: { ID, Group: [...] },
 * Okta: { Metadata: {...} } }`. Objects stay open: the engine may add keys (Okta.Metadata,
 * Okta.DryRun) a manifest entry does not list.
 */
export function contextSchema(outputs: readonly ManifestOutput[]): JsonSchema {
  const root = tree(outputs);
  const properties: Record<string, JsonSchema> = {};
  for (const [k, c] of root.children) properties[k] = nodeSchema(c);
  return { type: 'object', properties };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * An entry's EntryContext: keys are context paths with XSOAR's merge key
 * (`Account(val.ID && val.ID === obj.ID)`, `Okta.Metadata(true)`). A key is the outermost node
 * that holds outputs of its own (`Account`, `Okta.Logs.Events`), its value that node's subtree.
 */
export function entryContextSchema(outputs: readonly ManifestOutput[]): JsonSchema {
  const patternProperties: Record<string, JsonSchema> = {};
  const walk = (n: Node, path: string[]): void => {
    for (const [k, c] of n.children) {
      const p = [...path, k];
      const ownLeaves = [...c.children.values()].some((g) => !g.children.size);
      if (c.children.size && ownLeaves) patternProperties[`^${escapeRegExp(p.join('.'))}(\\(.*\\))?$`] = nodeSchema(c);
      else walk(c, p);
    }
  };
  walk(tree(outputs), []);
  return { type: 'object', description: describeOutputs(outputs), patternProperties };
}

/** The outputs as readable lines, for documents that cannot say more (Swagger 2.0). */
export function describeOutputs(outputs: readonly ManifestOutput[]): string {
  if (!outputs.length) return 'XSOAR context: none.';
  return `XSOAR context, keyed by path with merge key (e.g. \`Account(val.ID && val.ID === obj.ID)\`). Outputs:\n${outputs.map((o) => `- ${o.contextPath} (${o.type})${o.description ? `: ${o.description}` : ''}`).join('\n')}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The context of some entries as the tree `contextSchema` describes: each key's merge key is
 * dropped and its value placed at its path; a path given twice (a bulk command's entries) holds
 * the list of the values.
 */
export function contextOf(entries: readonly Entry[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const e of entries) {
    for (const [key, value] of Object.entries(e.EntryContext ?? {})) {
      const segs = key.replace(/\(.*\)$/s, '').split('.');
      let at: Record<string, unknown> = root;
      let placed = true;
      for (const seg of segs.slice(0, -1)) {
        const next = Object.hasOwn(at, seg) ? at[seg] : (at[seg] = {});
        if (!isPlainObject(next)) {
          placed = false;
          break;
        }
        at = next;
      }
      const last = segs[segs.length - 1]!;
      if (!placed) {
        // A path that runs through a list: keep the value whole under its full key.
        root[key] = value;
        continue;
      }
      at[last] = Object.hasOwn(at, last) ? ([] as unknown[]).concat(at[last], value) : value;
    }
  }
  return root;
}
