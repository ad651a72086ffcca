/**
 * The state directory holds cached access tokens and the DPoP private key: directory 0700,
 * files 0600, writes atomic (a reader sees the old value or the new one, never a torn file),
 * keys that cannot leave the directory, and no trust in a directory another user owns.
 */
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore } from '../../../integration/state/store.js';

const posix = process.platform !== 'win32';
let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'okta-soar-store-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;

(posix ? describe : describe.skip)('modes', () => {
  test('a new directory is 0700 and its files 0600, whatever the umask', async () => {
    const old = process.umask(0);
    try {
      const dir = path.join(root, 'a', 'state');
      const s = new FileStore(dir);
      await s.set('token-abc', 'x');
      await s.withLock('mint-abc', async () => undefined);
      expect(mode(dir)).toBe(0o700);
      for (const f of readdirSync(dir)) {
        const st = statSync(path.join(dir, f));
        if (st.isFile()) expect({ f, mode: st.mode & 0o777 }).toEqual({ f, mode: 0o600 });
      }
    } finally {
      process.umask(old);
    }
  });

  test('a directory created looser (0755) is tightened before the first write and before the first read', async () => {
    const dir = path.join(root, 'loose');
    mkdirSync(dir, { mode: 0o755 });
    writeFileSync(path.join(dir, 'dpop-key'), '{"kty":"EC"}', { mode: 0o644 });
    const reader = new FileStore(dir);
    expect(await reader.get('dpop-key')).toBe('{"kty":"EC"}');
    expect(mode(dir)).toBe(0o700);

    const dir2 = path.join(root, 'loose2');
    mkdirSync(dir2, { mode: 0o777 });
    await new FileStore(dir2).set('k', 'v');
    expect(mode(dir2)).toBe(0o700);
  });

  test('rewriting a file that was 0644 leaves it 0600 (a new file is renamed over it)', async () => {
    const dir = path.join(root, 's');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(path.join(dir, 'token-x'), 'old', { mode: 0o644 });
    await new FileStore(dir).set('token-x', 'new');
    expect(mode(path.join(dir, 'token-x'))).toBe(0o600);
  });

  (process.getuid?.() === 0 ? test : test.skip)('a directory another user owns is refused, for reading and for writing', async () => {
    const dir = path.join(root, 'theirs');
    mkdirSync(dir, { mode: 0o777 });
    writeFileSync(path.join(dir, 'token-planted'), '{"access_token":"theirs"}');
    chownSync(dir, 4242, 4242);
    await expect(new FileStore(dir).get('token-planted')).rejects.toThrow(/belongs to another user \(uid 4242\)/);
    await expect(new FileStore(dir).set('token-planted', 'x')).rejects.toThrow(/belongs to another user/);
  });
});

describe('keys cannot leave the directory', () => {
  test.each(['../escape', 'a/b', '..', '.hidden', '', 'x'.repeat(129), 'a\\b', 'a\u0000b', 'token abc'])('%j is refused', async (key) => {
    const s = new FileStore(path.join(root, 's'));
    await expect(s.set(key, 'v')).rejects.toThrow(/invalid state key/);
    await expect(s.get(key)).rejects.toThrow(/invalid state key/);
    expect(readdirSync(root).filter((f) => f !== 's')).toEqual([]);
  });
});

describe('atomic writes', () => {
  test('concurrent writers and readers: every read is a whole value (or nothing yet), no temporary file is left', async () => {
    const dir = path.join(root, 'race');
    const writers = [new FileStore(dir), new FileStore(dir), new FileStore(dir)];
    const reader = new FileStore(dir);
    // Large values with a checksum-like frame: a torn read cannot pass for a whole one.
    const values = Array.from({ length: 6 }, (_, i) => `<${i}>` + String.fromCharCode(97 + i).repeat(512 * 1024 + i * 7919) + `</${i}>`);
    const whole = new Set(values);
    let reads = 0;
    let done = false;
    const readLoop = (async () => {
      while (!done) {
        const v = await reader.get('token-race');
        if (v !== undefined) {
          reads++;
          if (!whole.has(v)) throw new Error(`torn read: ${v.length} chars, starts ${v.slice(0, 4)}, ends ${v.slice(-5)}`);
        }
      }
    })();
    await Promise.all(writers.map(async (w, k) => {
      for (let round = 0; round < 8; round++) await w.set('token-race', values[(k + round) % values.length]!);
    }));
    done = true;
    await readLoop;
    expect(reads).toBeGreaterThan(0);
    expect(whole.has((await reader.get('token-race'))!)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a write that fails part-way leaves the old value and no temporary file', async () => {
    const dir = path.join(root, 'fail');
    const s = new FileStore(dir);
    await s.set('token-x', 'old');
    // A directory where the file should be: the rename fails after the temp file was written.
    mkdirSync(path.join(dir, 'token-y'));
    writeFileSync(path.join(dir, 'token-y', 'child'), '');
    await expect(s.set('token-y', 'new')).rejects.toThrow();
    expect(await s.get('token-x')).toBe('old');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
