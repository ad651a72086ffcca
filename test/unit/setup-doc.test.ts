import { readFileSync } from 'node:fs';
import { loadManifest } from '../../integration/engine/manifest.js';
import { packageRoot } from '../../integration/engine/paths.js';

test("docs/setup.md lists every command with exactly the scopes the manifest checks, and an admin role", () => {
  const doc = readFileSync(`${packageRoot()}/docs/setup.md`, 'utf8');
  const section = doc.slice(doc.indexOf('## Every command: its scopes'), doc.indexOf('## B. API token'));
  const listed = new Map([...section.matchAll(/^\| `([a-z0-9-]+)`(?: ✎)? \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => [m[1]!, { scopes: m[2]!.trim(), role: m[3]!.trim() }]));
  const want = new Map([...loadManifest().commands.values()].map((c) => [c.name, c.scopes.length ? c.scopes.map((s) => `\`${s}\``).join(', ') : 'none']));
  expect([...listed.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [name, row] of listed) {
    expect({ name, scopes: row.scopes }).toEqual({ name, scopes: want.get(name) });
    expect(row.role).toMatch(/Administrator$|^none/);
  }
});
