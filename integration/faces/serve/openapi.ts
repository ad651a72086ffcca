/**
 * serve's self-description (contract §9): an OpenAPI 3.1 document and a Swagger 2.0 one (Logic
 * Apps and Power Automate import only that), both made from integration.yml and schemas/ alone.
 * One operation per command: its argument schema as the request body, its entries as the
 * response with the context outputs described, its scopes (`x-okta-scopes`) and whether it
 * changes Okta (`x-okta-changes`). `npm run build` writes both to dist/openapi/; serve answers
 * with those files when they were made from this manifest, and makes them itself otherwise.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DRY_RUN_ARG, validatedSchema } from '../../engine/args.js';
import { loadManifest, type LoadedManifest, type ManifestCommand } from '../../engine/manifest.js';
import { packageRoot } from '../../engine/paths.js';
import { describeOutputs, entryContextSchema, outputsOf, type JsonSchema } from '../context-schema.js';

export interface ApiDocuments {
  /** OpenAPI 3.1 (`GET /v1/openapi.json`). */
  openapi: JsonSchema;
  /** Swagger 2.0 (`GET /v1/swagger.json`). */
  swagger: JsonSchema;
}

/** `okta-get-user` → `oktaGetUser` (what code generators and Logic Apps name the operation). */
export function operationId(command: string): string {
  return command.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function pascal(command: string): string {
  const id = operationId(command);
  return id.charAt(0).toUpperCase() + id.slice(1);
}

/** The route of a command. */
export function commandPath(command: string): string {
  return `/v1/commands/${command}`;
}

/** A command's group: the resource of its first scope (`okta.users.read` → `users`). */
function tagOf(c: ManifestCommand): string {
  return /^okta\.([A-Za-z]+)\./.exec(c.scopes[0] ?? '')?.[1] ?? 'okta';
}

function readJson(file: string): JsonSchema {
  return JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
}

function version(root: string): string {
  return String(readJson(path.join(root, 'package.json')).version);
}

/** schemas/entry.schema.json as a component (its own $schema and $id left out). */
function entrySchema(root: string): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = readJson(path.join(root, 'schemas', 'entry.schema.json'));
  return rest;
}

/** A default as the coerced type says (`"200"` → 200 for an integer, `"false"` → false). */
function typedDefault(value: string | number | boolean, schema: JsonSchema): unknown {
  if (typeof value !== 'string') return value;
  if (schema.type === 'integer' || schema.type === 'number') return Number.isFinite(Number(value)) ? Number(value) : undefined;
  if (schema.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : undefined;
  if (schema.type === 'array') return value.split(',').map((v) => v.trim());
  return value;
}

/** The request body: the schema the engine validates, with each argument's description and default. */
function argumentsSchema(c: ManifestCommand): JsonSchema {
  const s = validatedSchema(c);
  const props = s.properties as Record<string, JsonSchema>;
  for (const a of c.arguments) {
    const p = (props[a.name] = { ...props[a.name] });
    p.description = a.description;
    if (a.defaultValue !== undefined) {
      const d = typedDefault(a.defaultValue, p);
      if (d !== undefined) p.default = d;
    }
    if (a.secret) p.format = 'password';
    if (a.deprecated) p.deprecated = true;
  }
  if (props[DRY_RUN_ARG]) props[DRY_RUN_ARG] = { ...props[DRY_RUN_ARG], default: false, description: 'Send no change: resolve what would change (reads still happen) and return the requests that would be sent.' };
  if (c.requireOneOf?.length) s.description = c.requireOneOf.map((g) => `At least one of ${g.join(', ')} is required.`).join(' ');
  return s;
}

function bodyRequired(c: ManifestCommand): boolean {
  return c.arguments.some((a) => a.required) || !!c.requireOneOf?.length;
}

function operationText(c: ManifestCommand): string {
  const lines = [c.description];
  if (c.scopes.length) lines.push(`Okta API scopes: ${c.scopes.join(', ')}.`);
  if (c.changes) lines.push('Changes Okta: a read-only caller gets 403. `dry_run: true` returns the requests without sending them.');
  return lines.join('\n\n');
}

interface Operation {
  c: ManifestCommand;
  name: string;
  args: JsonSchema;
  context: JsonSchema;
}

function operations(m: LoadedManifest): Operation[] {
  return m.manifest.script.commands
    .filter((c) => !c.hidden)
    .map((c) => ({ c, name: pascal(c.name), args: argumentsSchema(c), context: entryContextSchema(outputsOf(c)) }));
}

/** The error answers every command route may give, and what each means. */
const ERRORS: Record<string, { name: string; description: string }> = {
  '400': { name: 'BadRequest', description: 'The body is not JSON, not an object, or too deep; or a usage error. One error entry names the problem; nothing was sent to Okta.' },
  '401': { name: 'Unauthorized', description: 'No bearer token, or not one of the configured callers.' },
  '403': { name: 'Forbidden', description: 'The caller is read-only and the command changes Okta. Nothing was sent to Okta.' },
  '404': { name: 'NotFound', description: 'No such route or command.' },
  '413': { name: 'TooLarge', description: 'The body is larger than serve accepts.' },
  '503': { name: 'Busy', description: 'Too many commands are running; try again after Retry-After seconds.' },
};

const FAILED = 'The command returned at least one error entry (arguments that fail the schema, an Okta error …); each error entry names the problem. A bulk command may mix results and errors.';

const INCIDENT: JsonSchema = {
  type: 'object',
  required: ['name', 'occurred', 'severity', 'rawJSON', 'dbotMirrorId'],
  properties: {
    name: { type: 'string', description: "The Sigma rule's title and who: `<title> (+N more): <actor> → <target user>`; a correlation window: `<title>: N events for <group> within <timespan>`." },
    occurred: { type: 'string', format: 'date-time', description: "The event's published time (a window: the event that completed it)." },
    severity: { type: 'integer', minimum: 0, maximum: 4, description: "XSOAR scale 0-4, from the rule's level: informational 0, low 1, medium 2, high 3, critical 4." },
    rawJSON: { type: 'string', description: 'The Okta System Log event as JSON text; for a correlation window, the window (correlation, start and end, count, event summaries and uuids).' },
    dbotMirrorId: { type: 'string', description: "The event's uuid; for a correlation window `sigma:<rule id>:<hash>`, stable for the same window." },
    type: { type: 'string', description: 'incidentType, when configured.' },
    rules: {
      type: 'array',
      description: 'The Sigma rules that raised it, most severe first.',
      items: {
        type: 'object',
        required: ['id', 'title', 'severity'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          level: { type: 'string', enum: ['informational', 'low', 'medium', 'high', 'critical'] },
          severity: { type: 'integer', minimum: 0, maximum: 4 },
          description: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
          attack: { type: 'object', properties: { tactics: { type: 'array', items: { type: 'string' } }, techniques: { type: 'array', items: { type: 'string' } } } },
          references: { type: 'array', items: { type: 'string' } },
          file: { type: 'string' },
        },
      },
    },
    labels: { type: 'array', description: 'XSOAR labels: Sigma rule, ATT&CK tactic, ATT&CK technique.', items: { type: 'object', required: ['type', 'value'], properties: { type: { type: 'string' }, value: { type: 'string' } } } },
    details: { type: 'string', description: "Each rule's title, level and description." },
  },
};

const COMMAND_SUMMARY: JsonSchema = {
  type: 'object',
  required: ['name', 'description', 'scopes', 'changes', 'arguments'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    changes: { type: 'boolean' },
    arguments: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, required: { type: 'boolean' }, description: { type: 'string' } } } },
  },
};

const SECURITY_TEXT =
  'A serve token: `Authorization: Bearer <token>`. OKTA_SOAR_SERVE_TOKEN, or one of the callers of OKTA_SOAR_SERVE_TOKENS_FILE / OKTA_SOAR_SERVE_TOKENS; a read-only caller cannot run a command that changes Okta.';

const DESCRIPTION =
  'Okta for security automation: every command of integration.yml as one POST operation whose JSON body holds its arguments. ' +
  'Every answer is a list of entries in Cortex XSOAR\'s shape (Type 1 a result, 4 an error); context outputs are in each entry\'s EntryContext.';

/** OpenAPI 3.1. */
export function buildOpenApi(m: LoadedManifest = loadManifest(), root = packageRoot()): JsonSchema {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('ErrorEntries') } } });
  const json = (description: string, schema: JsonSchema) => ({ description, content: { 'application/json': { schema } } });
  const schemas: Record<string, JsonSchema> = {
    Entry: entrySchema(root),
    ErrorEntries: { type: 'array', items: ref('Entry'), description: 'Error entries (Type 4), each naming the problem.' },
    CommandSummary: COMMAND_SUMMARY,
    Incident: INCIDENT,
  };
  const responses: Record<string, JsonSchema> = {};
  for (const e of Object.values(ERRORS)) responses[e.name] = errorResponse(e.description);
  const paths: Record<string, JsonSchema> = {};
  for (const { c, name, args, context } of operations(m)) {
    schemas[`${name}Arguments`] = args;
    schemas[`${name}Entries`] = {
      type: 'array',
      items: { allOf: [ref('Entry'), { type: 'object', properties: { EntryContext: context } }] },
      'x-okta-context-outputs': outputsOf(c),
    };
    paths[commandPath(c.name)] = {
      post: {
        operationId: operationId(c.name),
        summary: c.name,
        description: operationText(c),
        tags: [tagOf(c)],
        'x-okta-command': c.name,
        'x-okta-scopes': c.scopes,
        'x-okta-changes': !!c.changes,
        requestBody: { required: bodyRequired(c), content: { 'application/json': { schema: ref(`${name}Arguments`) } } },
        responses: {
          '200': json('Every entry is a result.', ref(`${name}Entries`)),
          '422': json(FAILED, ref(`${name}Entries`)),
          ...Object.fromEntries(Object.entries(ERRORS).map(([status, e]) => [status, { $ref: `#/components/responses/${e.name}` }])),
        },
      },
    };
  }
  const common = (status: string[]) => Object.fromEntries(status.map((s) => [s, { $ref: `#/components/responses/${ERRORS[s]!.name}` }]));
  paths['/v1/commands'] = {
    get: { operationId: 'listCommands', summary: 'The commands', tags: ['serve'], responses: { '200': json('The commands of integration.yml.', { type: 'array', items: ref('CommandSummary') }), ...common(['401']) } },
  };
  paths['/v1/fetch-incidents'] = {
    post: {
      operationId: 'fetchIncidents',
      summary: 'fetch-incidents',
      description: 'One fetch cycle (contract §5): the System Log events after lastRun that the Sigma rules (fetch_rules, or the default rules) match, as incidents, with one incident per correlation window, and the lastRun to send next time.',
      tags: ['serve'],
      'x-okta-scopes': ['okta.logs.read'],
      'x-okta-changes': false,
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { lastRun: { type: 'object', description: 'The lastRun of the previous answer; leave it out the first time.' } } } } } },
      responses: {
        '200': json('The incidents and the next lastRun.', { type: 'object', required: ['incidents', 'lastRun'], properties: { incidents: { type: 'array', items: ref('Incident') }, lastRun: { type: 'object' }, warnings: { type: 'array', items: { type: 'string' } } } }),
        '422': errorResponse('The fetch failed before any event was read (configuration, Sigma rules that cannot be evaluated, Okta error); the entry names the problem.'),
        ...common(['400', '401', '413', '503']),
      },
    },
  };
  paths['/metrics'] = {
    get: { operationId: 'metrics', summary: 'Prometheus metrics', tags: ['serve'], responses: { '200': { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } }, ...common(['401']) } },
  };
  paths['/healthz'] = {
    get: { operationId: 'health', summary: 'Liveness', tags: ['serve'], responses: { '200': json('serve is up.', { type: 'object', properties: { ok: { type: 'boolean' } } }), ...common(['401']) } },
  };
  return {
    openapi: '3.1.0',
    info: { title: m.manifest.display, version: version(root), description: DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
    servers: [{ url: '/', description: 'The serve instance this document came from' }],
    security: [{ bearer: [] }],
    tags: [...new Set(operations(m).map((o) => tagOf(o.c)))].map((name) => ({ name })),
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: SECURITY_TEXT } }, schemas, responses },
  };
}

/** A JSON Schema of the 3.1 document in Swagger 2.0's dialect (draft 4 subset, x-nullable, definitions). */
export function toSwaggerSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toSwaggerSchema);
  if (typeof s !== 'object' || s === null) return s;
  const out: JsonSchema = {};
  const notes: string[] = [];
  for (const [k, v] of Object.entries(s as JsonSchema)) {
    switch (k) {
      case '$ref':
        out.$ref = String(v).replace('#/components/schemas/', '#/definitions/');
        break;
      case 'type':
        if (Array.isArray(v)) {
          const types = v.filter((t) => t !== 'null');
          if (types.length === 1) out.type = types[0];
          if (types.length < v.length) out['x-nullable'] = true;
        } else out.type = v;
        break;
      case 'anyOf':
      case 'oneOf': {
        // Swagger 2.0 has neither: a context node (object | list | null) keeps its object form; a rule becomes words.
        const objectForm = (v as JsonSchema[]).find((b) => b.type === 'object');
        if (objectForm) Object.assign(out, toSwaggerSchema(objectForm) as JsonSchema, { 'x-nullable': true });
        break;
      }
      case 'allOf': {
        const kept = (v as JsonSchema[]).filter((b) => !b.anyOf && !b.oneOf);
        if (kept.length) out.allOf = toSwaggerSchema(kept);
        break;
      }
      case 'patternProperties':
      case 'const':
      case 'deprecated':
      case '$schema':
      case '$id':
        if (k === 'const') out.enum = [v];
        if (k === 'deprecated' && v) notes.push('Deprecated.');
        break;
      case 'required':
        if (Array.isArray(v) && v.length) out.required = v;
        break;
      case 'properties':
      case 'definitions': {
        const props: JsonSchema = {};
        for (const [pk, pv] of Object.entries(v as JsonSchema)) props[pk] = toSwaggerSchema(pv);
        out[k] = props;
        break;
      }
      default:
        out[k] = toSwaggerSchema(v);
    }
  }
  if (notes.length) out.description = [out.description, ...notes].filter(Boolean).join(' ');
  return out;
}

/** Swagger 2.0, from the 3.1 document's own pieces. */
export function buildSwagger(m: LoadedManifest = loadManifest(), root = packageRoot()): JsonSchema {
  const oas = buildOpenApi(m, root);
  const components = oas.components as { schemas: Record<string, JsonSchema>; responses: Record<string, { description: string }> };
  const definitions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(components.schemas)) definitions[k] = toSwaggerSchema(v);
  // An EntryContext's keys hold merge-key expressions, which 2.0 cannot name: it is described in words.
  for (const { c, name } of operations(m)) {
    definitions[`${name}Entries`] = {
      type: 'array',
      items: { allOf: [{ $ref: '#/definitions/Entry' }, { type: 'object', properties: { EntryContext: { type: 'object', description: describeOutputs(outputsOf(c)) } } }] },
      'x-okta-context-outputs': outputsOf(c),
    };
  }
  const responses: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(components.responses)) responses[k] = { description: v.description, schema: { $ref: '#/definitions/ErrorEntries' } };
  const paths: Record<string, unknown> = {};
  for (const [p, item] of Object.entries(oas.paths as Record<string, Record<string, JsonSchema>>)) {
    const converted: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(item)) {
      const { requestBody, responses: rs, ...rest } = op as { requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> }; responses: Record<string, JsonSchema> };
      const o: JsonSchema = { ...rest, consumes: ['application/json'], produces: [method === 'get' && p === '/metrics' ? 'text/plain' : 'application/json'] };
      if (requestBody) o.parameters = [{ name: 'body', in: 'body', required: requestBody.required, schema: toSwaggerSchema(requestBody.content['application/json']!.schema) }];
      const out: Record<string, unknown> = {};
      for (const [status, r] of Object.entries(rs)) {
        if (typeof r.$ref === 'string') out[status] = { $ref: r.$ref.replace('#/components/responses/', '#/responses/') };
        else {
          const content = r.content as Record<string, { schema: JsonSchema }> | undefined;
          const schema = content ? Object.values(content)[0]!.schema : undefined;
          out[status] = { description: r.description, ...(schema ? { schema: toSwaggerSchema(schema) } : {}) };
        }
      }
      o.responses = out;
      converted[method] = o;
    }
    paths[p] = converted;
  }
  const info = oas.info as JsonSchema;
  return {
    swagger: '2.0',
    info: { ...info, license: { name: (info.license as JsonSchema).name } },
    basePath: '/',
    schemes: ['https', 'http'],
    consumes: ['application/json'],
    produces: ['application/json'],
    security: [{ bearer: [] }],
    securityDefinitions: { bearer: { type: 'apiKey', in: 'header', name: 'Authorization', description: `${SECURITY_TEXT} Enter it as "Bearer <token>".` } },
    tags: oas.tags,
    paths,
    definitions,
    responses,
  };
}

/** What the documents are made of: the manifest, the entry schema and the package version. */
function sourceKey(m: LoadedManifest, root: string): string {
  return createHash('sha256')
    .update(m.hash)
    .update(readFileSync(path.join(root, 'schemas', 'entry.schema.json')))
    .update(version(root))
    .digest('hex');
}

export function documentsDir(root = packageRoot()): string {
  return path.join(root, 'dist', 'openapi');
}

const SOURCE_KEY = 'x-okta-soar-source';

/** Build step: writes dist/openapi/openapi.json and swagger.json. */
export function writeApiDocuments(root = packageRoot()): string[] {
  const m = loadManifest();
  const key = sourceKey(m, root);
  const dir = documentsDir(root);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const [file, doc] of [
    ['openapi.json', buildOpenApi(m, root)],
    ['swagger.json', buildSwagger(m, root)],
  ] as const) {
    (doc.info as JsonSchema)[SOURCE_KEY] = key;
    const f = path.join(dir, file);
    writeFileSync(f, JSON.stringify(doc) + '\n');
    files.push(f);
  }
  return files;
}

/** The documents for this manifest: the build's, when made from it, else made now. */
export function apiDocuments(root = packageRoot()): ApiDocuments {
  const m = loadManifest();
  const key = sourceKey(m, root);
  const read = (file: string): JsonSchema | undefined => {
    try {
      const doc = readJson(path.join(documentsDir(root), file));
      return (doc.info as JsonSchema | undefined)?.[SOURCE_KEY] === key ? doc : undefined;
    } catch {
      return undefined;
    }
  };
  return { openapi: read('openapi.json') ?? buildOpenApi(m, root), swagger: read('swagger.json') ?? buildSwagger(m, root) };
}
