/**
 * docs/response.md's war-room examples, run as written, in order, against a fresh sandbox org
 * (SSWS, every scope): each line exits as the page says (0, or 1 where it ends in `# exit 1`,
 * then with a refusal that changed nothing). `${Path(val.Field === 'x').Other}` is resolved from
 * the context earlier lines wrote, as XSOAR resolves it in a war room.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseWarRoomLine } from '../../integration/engine/args.js';
import { dispatch } from '../../entry/index.js';
import { MemoryStore } from '../../integration/state/store.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { ROOT, sandboxParams } from './helpers.js';

interface Example {
  section: string;
  line: string;
  exit: 0 | 1;
}

/** The lines of every ```war-room block, with the section they are in. */
function examples(markdown: string): Example[] {
  const out: Example[] = [];
  let section = '';
  let inBlock = false;
  for (const raw of markdown.split('\n')) {
    if (!inBlock && raw.startsWith('## ')) section = raw.slice(3);
    if (raw.trim() === '```war-room') inBlock = true;
    else if (inBlock && raw.trim() === '```') inBlock = false;
    else if (inBlock && raw.trim()) {
      const m = /^(.*?)\s*(?:#\s*exit\s+(\d))?$/.exec(raw.trim())!;
      out.push({ section, line: m[1]!, exit: m[2] === '1' ? 1 : 0 });
    }
  }
  return out;
}

/** Context as XSOAR keeps it: per path, items merged by the key's fields (`val.ID === obj.ID …`). */
type Context = Map<string, Array<Record<string, unknown>>>;

function remember(ctx: Context, entryContext: Record<string, unknown> | undefined): void {
  for (const [k, v] of Object.entries(entryContext ?? {})) {
    const p = k.replace(/\(.*$/, '');
    const keys = [...k.matchAll(/val\.(\w+) === obj\.\1/g)].map((m) => m[1]!);
    const incoming = (Array.isArray(v) ? v : [v]) as Array<Record<string, unknown>>;
    const same = (a: Record<string, unknown>, b: Record<string, unknown>) => keys.length > 0 && keys.every((f) => a[f] === b[f]);
    ctx.set(p, [...(ctx.get(p) ?? []).filter((old) => keys.length > 0 && !incoming.some((n) => same(old, n))), ...incoming]);
  }
}

/** `${Path.Field}` and `${Path(val.Field === 'value').Field}`: the two forms the page uses. */
function resolve(line: string, ctx: Context): string {
  return line.replace(/\$\{([A-Za-z.]+?)(?:\(val\.(\w+) === '([^']*)'\))?\.(\w+)\}/g, (whole, p: string, field?: string, value?: string, want?: string) => {
    const items = ctx.get(p) ?? [];
    const hit = items.find((i) => field === undefined || i[field] === value);
    if (!hit || hit[want!] === undefined) throw new Error(`${whole}: nothing in context ${p} matches (${JSON.stringify(items).slice(0, 300)})`);
    return String(hit[want!]);
  });
}

const page = readFileSync(path.join(ROOT, 'docs', 'response.md'), 'utf8');
const EXAMPLES = examples(page);

test('the page has an example block for each detection family', () => {
  const sections = new Set(EXAMPLES.map((e) => e.section.replace(/:.*$/, '')));
  expect(sections.size).toBe(12);
  expect(EXAMPLES.length).toBeGreaterThan(50);
});

describe("docs/response.md's examples against the sandbox org", () => {
  let sb: Sandbox;
  const ctx: Context = new Map();
  const state = new MemoryStore();
  beforeAll(async () => {
    sb = await startSandbox({ users: 40, logEvents: 3000, quiet: true });
  });
  afterAll(() => sb?.close());

  test.each(EXAMPLES.map((e, i) => [`${String(i + 1).padStart(2, '0')} ${e.line.slice(0, 110)}`, e] as const))('%s', async (_name, ex) => {
    const { command, args, positional } = parseWarRoomLine(resolve(ex.line, ctx));
    const before = sb.stats.byRoute;
    const changesBefore = Object.entries(before).filter(([k]) => !k.startsWith('GET ')).reduce((n, [, c]) => n + c, 0);
    const { entries, exitCode } = await dispatch(command, args, sandboxParams(sb, 'ssws'), { state, positional });
    if (exitCode !== ex.exit) throw new Error(`${ex.line}\nexited ${exitCode}, the page says ${ex.exit}: ${entries.map((e) => e.HumanReadable ?? e.Contents).join(' | ')}`);
    for (const e of entries) remember(ctx, e.EntryContext);
    if (ex.exit === 1) {
      expect(String(entries[0]!.Contents)).toMatch(/refused/);
      const changesAfter = Object.entries(sb.stats.byRoute).filter(([k]) => !k.startsWith('GET ')).reduce((n, [, c]) => n + c, 0);
      expect(changesAfter).toBe(changesBefore);
    }
  });
});
