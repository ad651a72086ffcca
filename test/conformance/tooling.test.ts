/**
 * Tests of the conformance tooling itself, on a tiny inline spec (never Okta's real one: that is
 * loaded once, in phase 2).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import globalSetup from '../global-setup.js';
import { RECORD_DIR_ENV } from './paths.js';
import { compileTemplate, SpecIndex, type OpenApiDoc } from './spec.js';
import { EMPTY_BODY_OK, propertyOf, type SpecDefect } from './spec-defects.js';
import { checkExchanges, loadRecordings, readLines, summaryLine, type RecordedExchange } from './validate.js';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errorResponse = { $ref: '#/components/responses/Error404' };

function managementDoc(): OpenApiDoc {
  return {
    openapi: '3.0.3',
    paths: {
      // The template is declared before the literal: the literal must still win.
      '/api/v1/users/{id}': {
        parameters: [{ $ref: '#/components/parameters/pathId' }],
        get: {
          operationId: 'getUser',
          parameters: [{ name: 'expand', in: 'query', schema: { type: 'string' } }],
          responses: { '200': json({ $ref: '#/components/schemas/User' }), '404': errorResponse },
        },
        delete: { operationId: 'deleteUser', responses: { '204': { description: 'No Content' } } },
      },
      '/api/v1/users/me': {
        get: { operationId: 'getMe', responses: { '200': json({ $ref: '#/components/schemas/User' }) } },
      },
      '/api/v1/users': {
        get: {
          operationId: 'listUsers',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
            { name: 'sortOrder', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } },
          ],
          responses: { '200': json({ type: 'array', items: { $ref: '#/components/schemas/User' } }) },
        },
      },
      '/api/v1/users/{userId}/lifecycle/reset_password': {
        post: {
          operationId: 'resetPassword',
          parameters: [{ name: 'sendEmail', in: 'query', required: true, schema: { type: 'boolean' } }],
          responses: { '200': json({ type: 'object' }) },
        },
      },
      '/api/v1/zones/{zoneId}': {
        get: { operationId: 'getZone', responses: { '200': json({ $ref: '#/components/schemas/NetworkZone' }) } },
      },
      '/api/v1/apps/{appId}': {
        get: {
          operationId: 'getApp',
          responses: {
            '200': json({
              oneOf: [{ $ref: '#/components/schemas/BookmarkApp' }, { $ref: '#/components/schemas/SamlApp' }],
              discriminator: { propertyName: 'signOnMode', mapping: { BOOKMARK: '#/components/schemas/BookmarkApp', SAML_2_0: '#/components/schemas/SamlApp' } },
            }),
          },
        },
      },
    },
    components: {
      parameters: { pathId: { name: 'id', in: 'path', required: true, schema: { type: 'string' } } },
      responses: { Error404: json({ $ref: '#/components/schemas/Error' }) },
      schemas: {
        Error: { type: 'object', properties: { errorCode: { type: 'string' }, errorSummary: { type: 'string' } } },
        User: {
          type: 'object',
          required: ['id', 'status', 'password'],
          properties: {
            id: { type: 'string', readOnly: true },
            status: { $ref: '#/components/schemas/UserStatus' },
            password: { type: 'string', writeOnly: true },
            lastLogin: { type: 'string', format: 'date-time', nullable: true },
            transitioningToStatus: { type: 'string', nullable: true, enum: ['ACTIVE', 'DEPROVISIONED'] },
            type: { $ref: '#/components/schemas/UserType', nullable: true },
            created: { type: 'string', format: 'date-time' },
            profile: { type: 'object', additionalProperties: true, properties: { email: { type: 'string', format: 'email' } } },
            // Okta's spec has properties literally named `$ref` and `$schema`.
            $ref: { type: 'string', description: 'not a reference' },
            token: { type: 'string', pattern: '(?i)^[0-9a-f]+$' },
          },
        },
        UserStatus: { type: 'string', enum: ['ACTIVE', 'SUSPENDED'] },
        UserType: { type: 'object', properties: { id: { type: 'string' } } },
        NetworkZone: {
          type: 'object',
          properties: { type: { type: 'string' }, name: { type: 'string' } },
          discriminator: { propertyName: 'type', mapping: { IP: '#/components/schemas/IPNetworkZone' } },
        },
        IPNetworkZone: {
          allOf: [
            { $ref: '#/components/schemas/NetworkZone' },
            { type: 'object', properties: { gateways: { type: 'array', items: { type: 'object' } } } },
          ],
        },
        BookmarkApp: { type: 'object', properties: { signOnMode: { type: 'string' }, url: { type: 'string' } }, required: ['url'] },
        SamlApp: { type: 'object', properties: { signOnMode: { type: 'string' }, ssoAcsUrl: { type: 'string' } }, required: ['ssoAcsUrl'] },
        // A cycle that consumes no data, like oauth.yaml's JsonSigningWebKey.
        LoopA: { oneOf: [{ $ref: '#/components/schemas/LoopB' }] },
        LoopB: { allOf: [{ $ref: '#/components/schemas/LoopA' }] },
      },
    },
  };
}

function oauthDoc(): OpenApiDoc {
  return {
    openapi: '3.0.3',
    paths: {
      '/oauth2/v1/token': {
        post: {
          operationId: 'token',
          responses: {
            '200': json({ type: 'object', properties: { token_type: { type: 'string', enum: ['Bearer'] } } }),
            '400': json({ $ref: '#/components/schemas/OAuthError' }),
          },
        },
      },
    },
    components: { schemas: { OAuthError: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, error_description: { type: 'string' } } } } },
  };
}

const fallbackDefect: SpecDefect = {
  id: 'undeclared-error-statuses',
  spec: 'management',
  where: 'test',
  specSays: '',
  oktaSends: '',
  evidence: '',
  workaround: '',
  undeclaredErrorStatuses: { statuses: (s) => s >= 400, schema: 'Error' },
};

function index(defects: SpecDefect[] = [fallbackDefect]): SpecIndex {
  return new SpecIndex(
    [
      { name: 'management', doc: managementDoc() },
      { name: 'oauth', doc: oauthDoc() },
    ],
    { defects },
  );
}

const user = { id: '00u1', status: 'ACTIVE', lastLogin: '2024-05-01T10:00:00.000Z', created: '2024-01-01T00:00:00.000Z', profile: { email: 'a@example.com', custom: 1 } };
const ex = (e: Partial<RecordedExchange>): RecordedExchange => ({ method: 'GET', path: '/api/v1/users/00u1', query: {}, status: 200, responseContentType: 'application/json', responseBody: user, ...e });

describe('path templates', () => {
  it('compiles a template into a regex with one capture per parameter', () => {
    const t = compileTemplate('/api/v1/users/{userId}/factors/{factorId}');
    expect(t.params).toEqual(['userId', 'factorId']);
    expect(t.regex.test('/api/v1/users/00u1/factors/mbl1')).toBe(true);
    expect(t.regex.test('/api/v1/users/00u1/factors')).toBe(false);
    expect(t.regex.test('/api/v1/users/00u1/factors/mbl1/verify')).toBe(false);
  });

  it('prefers a literal path over a template, whatever the declaration order', () => {
    const spec = index();
    expect(spec.match('GET', '/api/v1/users/me')?.op.operationId).toBe('getMe');
    const m = spec.match('get', '/api/v1/users/alice%40example.com');
    expect(m?.op.operationId).toBe('getUser');
    expect(m?.pathParams).toEqual({ id: 'alice%40example.com' });
  });

  it('matches on the method too', () => {
    const spec = index();
    expect(spec.match('DELETE', '/api/v1/users/00u1')?.op.operationId).toBe('deleteUser');
    expect(spec.match('PUT', '/api/v1/users/00u1')).toBeUndefined();
  });
});

describe('checking exchanges', () => {
  it('passes a conforming exchange and counts it', () => {
    const r = checkExchanges(index(), [ex({}), ex({ path: '/api/v1/users/me' }), ex({ path: '/api/v1/users', query: { limit: '2' }, responseBody: [user] })]);
    expect(r.failures).toEqual([]);
    expect(r.operationsChecked).toBe(3);
    expect(r.responsesChecked).toBe(3);
    expect(summaryLine(r)).toMatch(/^conformance: 3 operations, 3 responses checked, 0 failures \(1 spec defects worked around/);
  });

  it('reports a request that matches no operation', () => {
    const r = checkExchanges(index(), [ex({ path: '/api/v1/nothing' }), ex({ method: 'PUT' })]);
    expect(r.failures.map((f) => f.kind)).toEqual(['unknown-operation', 'unknown-operation']);
    expect(r.failures[1]!.reason).toMatch(/no PUT operation .*GET, DELETE/);
  });

  it('reports an undeclared query parameter', () => {
    const r = checkExchanges(index(), [ex({ path: '/api/v1/users', query: { limit: '2', sortBy: 'id' }, responseBody: [] })]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({ kind: 'query', operation: 'listUsers (GET /api/v1/users)' });
    expect(r.failures[0]!.reason).toMatch(/undeclared query parameter\(s\): sortBy \(declared: limit, sortOrder\)/);
  });

  it('reads query parameters left in the path', () => {
    const r = checkExchanges(index(), [ex({ path: '/api/v1/users?after=00u9', responseBody: [] })]);
    expect(r.failures[0]?.reason).toMatch(/undeclared query parameter\(s\): after/);
  });

  it('checks required query parameters and values when the call succeeded', () => {
    const r = checkExchanges(index(), [
      ex({ method: 'POST', path: '/api/v1/users/00u1/lifecycle/reset_password', responseBody: {} }),
      ex({ path: '/api/v1/users', query: { limit: 'ten', sortOrder: 'up' }, responseBody: [] }),
      ex({ path: '/api/v1/users', query: { limit: '500' }, responseBody: [] }),
      // A rejected request may carry bad values: that is what the error test is for.
      ex({ path: '/api/v1/users', query: { limit: 'ten' }, status: 400, responseBody: { errorCode: 'E0000001' } }),
    ]);
    expect(r.failures.map((f) => f.reason)).toEqual([
      'required query parameter(s) missing: sendEmail',
      'invalid query value accepted: limit="ten" is not of type integer',
      'invalid query value accepted: sortOrder="up" is not one of asc, desc',
      'invalid query value accepted: limit=500 is above the maximum 200',
    ]);
  });

  it('catches a wrong body, with the path to the wrong value', () => {
    const r = checkExchanges(index(), [ex({ responseBody: { ...user, status: 'LOCKED', created: 'yesterday' } })]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.kind).toBe('response');
    expect(r.failures[0]!.errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/status must be equal to one of the allowed values \["ACTIVE","SUSPENDED"\] \(got "LOCKED"\)/), expect.stringMatching(/^\/created must match format "date-time"/)]),
    );
    const missing = checkExchanges(index(), [ex({ responseBody: { status: 'ACTIVE' } })]);
    expect(missing.failures[0]!.errors).toEqual([expect.stringMatching(/must have required property 'id'/)]);
  });

  it('allows null where the spec says nullable, and only there', () => {
    const ok = checkExchanges(index(), [ex({ responseBody: { ...user, lastLogin: null, transitioningToStatus: null, type: null } })]);
    expect(ok.failures).toEqual([]);
    const bad = checkExchanges(index(), [ex({ responseBody: { ...user, created: null, transitioningToStatus: 'SUSPENDED' } })]);
    expect(bad.failures[0]!.errors).toEqual(expect.arrayContaining([expect.stringMatching(/^\/created must be string/), expect.stringMatching(/^\/transitioningToStatus must be equal to one of/)]));
  });

  it('does not require writeOnly properties in responses', () => {
    expect(checkExchanges(index(), [ex({})]).failures).toEqual([]);
  });

  it('dispatches on a discriminator, from oneOf and from a base schema', () => {
    const spec = index();
    const r = checkExchanges(spec, [
      ex({ path: '/api/v1/apps/0oa1', responseBody: { signOnMode: 'BOOKMARK', url: 'https://x' } }),
      ex({ path: '/api/v1/apps/0oa2', responseBody: { signOnMode: 'SAML_2_0', url: 'https://x' } }),
      ex({ path: '/api/v1/zones/nzo1', responseBody: { type: 'IP', gateways: [{}] } }),
      ex({ path: '/api/v1/zones/nzo2', responseBody: { type: 'IP', gateways: 'none' } }),
      ex({ path: '/api/v1/zones/nzo3', responseBody: { type: 'DYNAMIC', gateways: 'none' } }),
    ]);
    expect(r.failures.map((f) => `${f.path} ${f.errors?.[0]}`)).toEqual([
      expect.stringMatching(/^\/api\/v1\/apps\/0oa2 \/ must have required property 'ssoAcsUrl'/),
      expect.stringMatching(/^\/api\/v1\/zones\/nzo2 \/gateways must be array/),
    ]);
  });

  it('accepts an empty body only where the spec declares no content', () => {
    const r = checkExchanges(index(), [
      ex({ method: 'DELETE', status: 204, responseBody: undefined, responseContentType: undefined }),
      ex({ method: 'DELETE', status: 204, responseBody: { id: 'x' } }),
      ex({ responseBody: undefined, responseContentType: undefined }),
      ex({ responseContentType: 'text/html' }),
    ]);
    expect(r.failures.map((f) => f.reason)).toEqual([
      expect.stringMatching(/declares no body for 204/),
      expect.stringMatching(/declares a body for 200 \(application\/json\), but the response is empty/),
      expect.stringMatching(/content type text\/html is not declared/),
    ]);
  });

  it('checks the request of an exchange without a response (status 0, a dropped connection), not its response', () => {
    const r = checkExchanges(index(), [ex({ status: 0, responseBody: undefined }), ex({ path: '/api/v1/users', query: { bad: '1' }, status: 0 })]);
    expect(r.noResponse).toBe(2);
    expect(r.responsesChecked).toBe(0);
    expect(r.failures.map((f) => f.reason)).toEqual([expect.stringMatching(/undeclared query parameter\(s\): bad/)]);
  });

  it('accepts a JSON body given as text, and media type parameters', () => {
    const r = checkExchanges(index(), [ex({ responseBody: JSON.stringify(user), responseContentType: 'application/json; charset=utf-8' })]);
    expect(r.failures).toEqual([]);
  });

  it('checks an undeclared error status against the generic error schema only through the defect', () => {
    const body = { errorCode: 'E0000011', errorSummary: 'Invalid token provided' };
    const withDefect = checkExchanges(index(), [ex({ status: 401, responseBody: body }), ex({ status: 401, responseBody: { errorCode: 11 } })]);
    expect(withDefect.undeclaredErrorStatuses).toBe(1);
    expect(withDefect.failures).toHaveLength(1);
    expect(withDefect.failures[0]!.errors).toEqual([expect.stringMatching(/^\/errorCode must be string/)]);
    const without = checkExchanges(index([]), [ex({ status: 401, responseBody: body })]);
    expect(without.failures[0]!.reason).toBe('status 401 is not declared (declared: 200, 404)');
    // A success status is never excused.
    expect(checkExchanges(index(), [ex({ status: 201 })]).failures[0]!.reason).toMatch(/status 201 is not declared/);
  });

  it('validates the org authorization server from oauth.yaml', () => {
    const r = checkExchanges(index(), [
      ex({ method: 'POST', path: '/oauth2/v1/token', status: 400, responseBody: { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' } }),
      ex({ method: 'POST', path: '/oauth2/v1/token', status: 200, responseBody: { token_type: 'DPoP' } }),
    ]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.errors?.[0]).toMatch(/^\/token_type must be equal to one of the allowed values \["Bearer"\]/);
  });

  it('groups the same failure across exchanges and array items', () => {
    const bad = { ...user, status: 'LOCKED' };
    const r = checkExchanges(index(), [
      ex({ path: '/api/v1/users', responseBody: [user, bad] }),
      ex({ path: '/api/v1/users', responseBody: [bad, user, user] }),
    ]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.count).toBe(2);
  });
});

describe('spec problems and defects', () => {
  it('reports patterns JavaScript cannot compile and $ref cycles that consume no data', () => {
    const spec = index();
    expect(spec.stats.badPatterns).toEqual([expect.objectContaining({ spec: 'management', pattern: '(?i)^[0-9a-f]+$' })]);
    expect(spec.stats.refCycles).toEqual([['LoopA', 'LoopB', 'LoopA']]);
  });

  it('lets a defect declare a body that Okta may also omit', () => {
    const emptyObject: SpecDefect = {
      ...fallbackDefect,
      id: 'empty-object',
      undeclaredErrorStatuses: undefined,
      apply: (doc) => {
        const r = (doc.paths['/api/v1/users/{id}']!.delete as { responses: Record<string, Record<string, unknown>> }).responses['204']!;
        r.content = { 'application/json': { schema: { type: 'object', maxProperties: 0 } } };
        r[EMPTY_BODY_OK] = true;
      },
    };
    const r = checkExchanges(index([emptyObject]), [
      ex({ method: 'DELETE', status: 204, responseBody: undefined, responseContentType: undefined }),
      ex({ method: 'DELETE', status: 204, responseBody: {} }),
      ex({ method: 'DELETE', status: 204, responseBody: { id: 'x' } }),
    ]);
    expect(r.failures.map((f) => f.errors?.[0])).toEqual([expect.stringMatching(/must NOT have more than 0 properties/)]);
  });

  it('finds a property in a schema or its inline allOf members, and throws when it is gone', () => {
    const doc = managementDoc();
    expect(propertyOf(doc, 'User', 'lastLogin')).toMatchObject({ nullable: true });
    expect(propertyOf(doc, 'IPNetworkZone', 'gateways')).toMatchObject({ type: 'array' });
    expect(() => propertyOf(doc, 'User', 'nothing')).toThrow(/User.nothing is not in the spec any more/);
    expect(() => propertyOf(doc, 'Nobody', 'id')).toThrow(/not in the spec any more/);
  });

  it('applies a defect workaround to the parsed spec: patch, extra query parameter', () => {
    const defects: SpecDefect[] = [
      {
        ...fallbackDefect,
        id: 'patch',
        undeclaredErrorStatuses: undefined,
        apply: (doc) => {
          const s = doc.components!.schemas!.UserStatus as { enum: string[] };
          s.enum.push('LOCKED_OUT');
        },
      },
      { ...fallbackDefect, id: 'query', undeclaredErrorStatuses: undefined, extraQueryParams: { method: 'GET', path: '/api/v1/users', names: ['sortBy'] } },
    ];
    const r = checkExchanges(index(defects), [
      ex({ responseBody: { ...user, status: 'LOCKED_OUT' } }),
      ex({ path: '/api/v1/users', query: { sortBy: 'id' }, responseBody: [] }),
    ]);
    expect(r.failures).toEqual([]);
    expect(r.defects.map((d) => d.id)).toEqual(['patch', 'query']);
  });
});

describe('recordings', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-conformance-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads JSON lines from every file but the report, and reports malformed lines', () => {
    writeFileSync(path.join(dir, 'sandbox-1.jsonl'), JSON.stringify(ex({})) + '\n\n' + '{"method":"GET"\n');
    writeFileSync(path.join(dir, 'sandbox-2.jsonl'), JSON.stringify({ method: 'GET', path: 'api/v1/users', status: 200 }) + '\n');
    writeFileSync(path.join(dir, 'report.json'), '{"not":"a recording"}');
    const { files, exchanges, malformed } = loadRecordings(dir);
    expect(files.map((f) => path.basename(f))).toEqual(['sandbox-1.jsonl', 'sandbox-2.jsonl']);
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]!.source).toBe('sandbox-1.jsonl:1');
    expect(malformed.map((m) => `${m.source} ${m.reason}`)).toEqual([expect.stringMatching(/^sandbox-1.jsonl:3 not JSON/), 'sandbox-2.jsonl:1 no "path" (absolute, without origin)']);
  });

  it('reads lines across chunk boundaries, multi-byte characters included', () => {
    const file = path.join(dir, 'lines.jsonl');
    writeFileSync(file, 'é€a\nbb\n\nccc');
    expect([...readLines(file, 3)]).toEqual(['é€a', 'bb', '', 'ccc']);
  });

  it('finds nothing in a directory that does not exist', () => {
    expect(loadRecordings(path.join(dir, 'missing')).exchanges).toEqual([]);
  });
});

describe('phase 1 globalSetup', () => {
  it('empties the record directory under the root and points sandboxes at it', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'okta-soar-root-'));
    const saved = process.env[RECORD_DIR_ENV];
    try {
      const dir = path.join(root, 'node_modules', '.cache', 'okta-soar-conformance');
      mkdirSync(path.join(dir, 'old'), { recursive: true });
      writeFileSync(path.join(dir, 'sandbox-old.jsonl'), '{}\n');
      globalSetup({}, { rootDir: root });
      expect(process.env[RECORD_DIR_ENV]).toBe(dir);
      expect(existsSync(dir)).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env[RECORD_DIR_ENV];
      else process.env[RECORD_DIR_ENV] = saved;
      rmSync(root, { recursive: true, force: true });
    }
  });
});
