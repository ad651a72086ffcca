import { readFileSync } from 'node:fs';
import { loadManifest } from '../../integration/engine/manifest.js';
import { packageRoot } from '../../integration/engine/paths.js';

test("the README's command table lists every command of the manifest, and no other", () => {
  const readme = readFileSync(`${packageRoot()}/README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Commands'), readme.indexOf('## Dry run'));
  const listed = [...section.matchAll(/^\| `([a-z0-9-]+)`/gm)].map((m) => m[1]);
  expect(listed.sort()).toEqual([...loadManifest().commands.keys()].sort());
});
