import { loadManifest, checkManifest } from '../../integration/engine/manifest.js';
import { commandSchema } from '../../integration/engine/args.js';
import { handlers } from '../../commands/index.js';
import { Ajv } from 'ajv';

const BUILTINS = ['test-module'];

describe('integration.yml', () => {
  const { manifest, commands } = loadManifest();

  test('validates against schemas/manifest.schema.json', () => {
    expect(checkManifest(manifest)).toEqual([]);
  });

  test('every manifest command has a handler, and every handler a manifest entry', () => {
    const withoutHandler = [...commands.keys()].filter((n) => !handlers[n]);
    const withoutEntry = Object.keys(handlers).filter((n) => !commands.has(n) && !BUILTINS.includes(n));
    expect({ withoutHandler, withoutEntry }).toEqual({ withoutHandler: [], withoutEntry: [] });
  });

  test('every command has an argument schema that compiles', () => {
    const ajv = new Ajv({ strict: false });
    for (const c of commands.values()) expect(() => ajv.compile(commandSchema(c))).not.toThrow();
  });

  test('every command declares the Okta API scopes it needs', () => {
    const none = [...commands.values()].filter((c) => c.name !== 'okta-auth-reset' && c.scopes.length === 0).map((c) => c.name);
    expect(none).toEqual([]);
  });

  test('a broken manifest is rejected with the reason', () => {
    const broken = structuredClone(manifest) as unknown as { script: { commands: Array<Record<string, unknown>> } };
    delete broken.script.commands[0]!.scopes;
    broken.script.commands.push({ ...broken.script.commands[1]! });
    const problems = checkManifest(broken);
    expect(problems.join('\n')).toMatch(/scopes/);
  });
});
