import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore } from '../../integration/state/store.js';

describe('FileStore locks', () => {
  test('a lock whose holder was killed is taken over at once, not after the stale window', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lock-'));
    const store = new FileStore(dir);
    // A child that takes the lock the way FileStore does, writes its owner file, then is killed.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    await new Promise((r) => setTimeout(r, 100));
    const release = await store.tryLock('fetch');
    expect(release).toBeDefined();
    // Pretend the child held it: the lock directory stays, the owner file names the child.
    const { writeFileSync } = await import('node:fs');
    const { hostname } = await import('node:os');
    writeFileSync(path.join(dir, 'fetch.lock-target.owner'), JSON.stringify({ pid: child.pid, host: hostname() }));
    const held = await new FileStore(dir).tryLock('fetch');
    expect(held).toBeUndefined(); // its holder is alive: refused
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const started = Date.now();
    const taken = await new FileStore(dir).tryLock('fetch');
    expect(taken).toBeDefined();
    expect(Date.now() - started).toBeLessThan(2000);
    await taken!();
    expect(existsSync(path.join(dir, 'fetch.lock-target.owner'))).toBe(false);
  });

  test('withLock serialises holders in one process and across store instances', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lock-'));
    const order: string[] = [];
    const a = new FileStore(dir);
    const b = new FileStore(dir);
    await Promise.all([
      a.withLock('mint', async () => {
        order.push('a+');
        await new Promise((r) => setTimeout(r, 150));
        order.push('a-');
      }),
      new Promise((r) => setTimeout(r, 20)).then(() => b.withLock('mint', async () => void order.push('b'))),
    ]);
    expect(order).toEqual(['a+', 'a-', 'b']);
  });

  test("a held lock is not judged stale when the process clock runs far from the file system's", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lock-'));
    // The process clock an hour ahead of the file system's (an NFS server's, or libfaketime's).
    const realNow = Date.now.bind(Date);
    const spy = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 3_600_000);
    try {
      // Two locks in a row: the second is taken with proper-lockfile's cached mtime precision, its
      // mtime then straight from mkdir, and that is the one another holder must still see as held.
      await (await new FileStore(dir).tryLock('warm'))!();
      const held = await new FileStore(dir).tryLock('fetch');
      expect(held).toBeDefined();
      expect(await new FileStore(dir).tryLock('fetch')).toBeUndefined();
      await held!();
      expect(await new FileStore(dir).tryLock('fetch')).toBeDefined();
    } finally {
      spy.mockRestore();
    }
  });
  test("a lock whose holder stopped refreshing is still taken over when its mtime came from a clock far ahead", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lock-'));
    const store = new FileStore(dir);
    await store.tryLock('warm').then((r) => r?.());
    // A dead holder on a clock ten years ahead left its lock directory 60 s before "now".
    const { mkdirSync, utimesSync, writeFileSync } = await import('node:fs');
    const realNow = Date.now.bind(Date);
    const ahead = 3650 * 86_400_000;
    writeFileSync(path.join(dir, 'fetch.lock-target'), '');
    mkdirSync(path.join(dir, 'fetch.lock-target.lock'));
    const old = new Date(realNow() + ahead - 60_000);
    utimesSync(path.join(dir, 'fetch.lock-target.lock'), old, old);
    const spy = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ahead);
    try {
      const taken = await new FileStore(dir).tryLock('fetch');
      expect(taken).toBeDefined();
      await taken!();
    } finally {
      spy.mockRestore();
    }
  });
});
