#!/usr/bin/env node
// `npm test`: build (the end-to-end tests run the real CLI from dist/), then phase 1 (unit and
// end-to-end tests; sandboxes record every HTTP exchange), then phase 2 (the recordings checked
// against Okta's OpenAPI spec). With arguments (`npm test -- test/unit`), only phase 1 runs, on
// the files named. Type errors are reported by `npm run typecheck`, not here.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);

// Debian packages the tests need: installed when missing (as root), or a stop at once naming them.
// chromium: the analyst sign-in's browser test drives it headless with playwright-core (which never downloads a browser).
const NEEDED = [
  { bin: 'redis-server', pkg: 'redis-server' },
  { bin: 'chromium', pkg: 'chromium' },
];
const missing = NEEDED.filter(({ bin }) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status !== 0);
if (missing.length) {
  const pkgs = missing.map((m) => m.pkg);
  if (process.getuid?.() !== 0) {
    console.error(`test: the tests need Debian's ${pkgs.join(', ')}: run apt-get install -y ${pkgs.join(' ')} as root (or npm test as root installs it)`);
    process.exit(1);
  }
  console.error(`test: installing ${pkgs.join(', ')} (apt-get)`);
  const apt = (argv) => spawnSync('apt-get', argv, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status;
  if (apt(['update', '-qq']) !== 0 || apt(['install', '-y', '-qq', ...pkgs]) !== 0) {
    console.error(`test: apt-get could not install ${pkgs.join(', ')}; install it by hand: apt-get install -y ${pkgs.join(' ')}`);
    process.exit(1);
  }
}
const env = { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules'].filter(Boolean).join(' ') };
const run = (cmd, argv, opts = {}) => spawnSync(cmd, argv, { stdio: 'inherit', env, ...opts }).status ?? 1;

if (run('npm', ['run', '--silent', 'build']) !== 0) console.error('test: the build reported type errors (see npm run typecheck); testing what it emitted.');
const jest = ['node_modules/jest/bin/jest.js'];
let code = run(process.execPath, [...jest, ...args]);
if (code === 0 && args.length === 0) code = run(process.execPath, [...jest, '-c', 'jest.conformance.config.js']);
process.exitCode = code;
