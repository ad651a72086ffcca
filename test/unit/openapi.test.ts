/**
 * serve's OpenAPI 3.1 and Swagger 2.0 documents (contract §9, issue 19): valid by two maintained
 * validators that know 3.1, made from integration.yml alone (a command added there appears with
 * nothing else written), one operation per command with the engine's own argument schema, and
 * the build's files the same as what the generator makes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validatedSchema } from '../../integration/engine/args.js';
import { loadManifest, type LoadedManifest, type ManifestCommand } from '../../integration/engine/manifest.js';
import { packageRoot } from '../../integration/engine/paths.js';
import { buildOpenApi, buildSwagger, commandPath, documentsDir, operationId } from '../../integration/faces/serve/openapi.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking a JSON document

const oas: Doc = buildOpenApi();
const swagger: Doc = buildSwagger();
const commands = loadManifest().manifest.script.commands.filter((c) => !c.hidden);

async function seriousme(doc: Doc): Promise<{ valid: boolean; errors?: unknown }> {
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  return new Validator().validate(structuredClone(doc));
}

async function readme(doc: Doc): Promise<{ valid: boolean; text: string }> {
  const { validate, compileErrors } = await import('@readme/openapi-parser');
  const r = await validate(structuredClone(doc) as never);
  return { valid: r.valid, text: r.valid ? '' : compileErrors(r) };
}

describe('both documents validate', () => {
  test.each([
    ['OpenAPI 3.1', oas],
    ['Swagger 2.0', swagger],
  ])('%s: @seriousme/openapi-schema-validator and @readme/openapi-parser', async (_name, doc) => {
    const a = await seriousme(doc);
    expect(a.errors).toBeUndefined();
    expect(a.valid).toBe(true);
    const b = await readme(doc);
    expect(b.text).toBe('');
    expect(b.valid).toBe(true);
  }, 60_000);

  test('a broken document is refused by both (the validators are not blind)', async () => {
    const broken = structuredClone(oas);
    broken.paths['/v1/commands/okta-get-user'].post.responses = 'none';
    expect((await seriousme(broken)).valid).toBe(false);
    expect((await readme(broken)).valid).toBe(false);
  }, 60_000);
});

describe('one operation per command, from the manifest', () => {
  test('every command, its scopes, whether it changes Okta, the bearer scheme', () => {
    const ops = Object.entries(oas.paths as Doc).filter(([p]) => p.startsWith('/v1/commands/'));
    expect(ops).toHaveLength(commands.length);
    for (const c of commands) {
      const op = oas.paths[commandPath(c.name)].post;
      expect(op.operationId).toBe(operationId(c.name));
      expect(op['x-okta-scopes']).toEqual(c.scopes);
      expect(op['x-okta-changes']).toBe(!!c.changes);
      const sw = swagger.paths[commandPath(c.name)].post;
      expect(sw['x-okta-scopes']).toEqual(c.scopes);
      expect(sw.parameters[0].in).toBe('body');
    }
    expect(oas.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(oas.security).toEqual([{ bearer: [] }]);
    expect(swagger.securityDefinitions.bearer).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
  });

  test('the request body is the schema the engine validates, described', () => {
    for (const c of commands) {
      const body = oas.components.schemas[`${operationId(c.name).replace(/^./, (x) => x.toUpperCase())}Arguments`];
      const engine = validatedSchema(c) as Doc;
      expect(Object.keys(body.properties).sort()).toEqual(Object.keys(engine.properties).sort());
      expect(body.required).toEqual(engine.required);
      expect(body.additionalProperties).toBe(false);
      for (const a of c.arguments) expect(body.properties[a.name].description).toBe(a.description);
    }
    const getUser = oas.components.schemas.OktaGetUserArguments;
    expect(getUser.allOf).toEqual([{ anyOf: [{ required: ['username'] }, { required: ['userId'] }, { required: ['userEmail'] }] }]);
    expect(getUser.properties.verbose).toMatchObject({ type: 'boolean', default: false });
    expect(oas.components.schemas.OktaSuspendUserArguments.properties.dry_run).toMatchObject({ type: 'boolean' });
  });

  test('the response is the entries, their context outputs described; errors are error entries', () => {
    const op = oas.paths['/v1/commands/okta-get-user'].post;
    expect(op.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/OktaGetUserEntries' });
    for (const s of ['400', '401', '403', '404', '413', '503']) expect(op.responses[s].$ref).toMatch(/^#\/components\/responses\//);
    const entries = oas.components.schemas.OktaGetUserEntries;
    const context = entries.items.allOf[1].properties.EntryContext;
    expect(Object.keys(context.patternProperties)).toEqual(['^Account(\\(.*\\))?$', '^Okta\\.Metadata(\\(.*\\))?$']);
    expect(context.patternProperties['^Account(\\(.*\\))?$'].anyOf[0].properties.ID).toMatchObject({ type: ['string', 'null'], description: 'Okta user id.' });
    expect(context.description).toContain('Account.DisplayName (String)');
    // A change's entries also describe its dry run.
    expect(JSON.stringify(oas.components.schemas.OktaSuspendUserEntries)).toContain('Okta.DryRun');
  });

  test('a command added to integration.yml appears in both documents with nothing else written', () => {
    const m = loadManifest();
    const added: ManifestCommand = {
      name: 'okta-frobnicate-user',
      description: 'A command that does not exist yet.',
      scopes: ['okta.users.manage'],
      changes: true,
      arguments: [{ name: 'userId', description: 'Who.', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9]{1,64}$' } }],
      outputs: [{ contextPath: 'Okta.Frob.ID', type: 'String', description: 'Frobbed.' }],
    };
    const more: LoadedManifest = { ...m, manifest: { ...m.manifest, script: { ...m.manifest.script, commands: [...m.manifest.script.commands, added] } } };
    const a: Doc = buildOpenApi(more);
    const b: Doc = buildSwagger(more);
    expect(a.paths['/v1/commands/okta-frobnicate-user'].post).toMatchObject({ operationId: 'oktaFrobnicateUser', 'x-okta-changes': true, 'x-okta-scopes': ['okta.users.manage'] });
    expect(a.components.schemas.OktaFrobnicateUserArguments.required).toEqual(['userId']);
    expect(b.definitions.OktaFrobnicateUserArguments.properties.userId.pattern).toBe('^[A-Za-z0-9]{1,64}$');
  });
});

describe('Swagger 2.0 for Logic Apps and Power Automate', () => {
  test('under 1 MB, in 2.0 dialect only (no anyOf, oneOf, patternProperties, type lists or components)', () => {
    const text = JSON.stringify(swagger);
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
    const bad: string[] = [];
    const walk = (v: unknown, at: string): void => {
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}/${i}`));
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (['anyOf', 'oneOf', 'patternProperties', 'const', '$defs'].includes(k) && !at.includes('x-okta')) bad.push(`${at}/${k}`);
        if (k === 'type' && Array.isArray(x)) bad.push(`${at}/type`);
        if (k === '$ref' && typeof x === 'string' && x.includes('components')) bad.push(`${at}/$ref`);
        walk(x, `${at}/${k}`);
      }
    };
    walk(swagger, '');
    expect(bad).toEqual([]);
    // "At least one of" survives as words where 2.0 cannot say it.
    expect(swagger.definitions.OktaGetUserArguments.description).toMatch(/At least one of username, userId, userEmail/);
  });
});

describe('generated at build time', () => {
  test('dist/openapi holds exactly what the generator makes from this manifest (npm run build)', () => {
    for (const [file, doc] of [
      ['openapi.json', oas],
      ['swagger.json', swagger],
    ] as const) {
      const built = JSON.parse(readFileSync(path.join(documentsDir(), file), 'utf8')) as Doc;
      expect(built.info['x-okta-soar-source']).toMatch(/^[0-9a-f]{64}$/);
      delete built.info['x-okta-soar-source'];
      expect(built).toEqual(doc);
    }
    expect(documentsDir()).toBe(path.join(packageRoot(), 'dist', 'openapi'));
  });
});
