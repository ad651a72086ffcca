/**
 * The environment of a process a test starts: nothing of the developer's shell (no OKTA_*), only
 * PATH and HOME, plus the clock the test itself runs on. Under libfaketime (`.ci/run`'s second pass
 * moves the clock years ahead with LD_PRELOAD and FAKETIME*), a child started without those
 * variables would run on the real clock beside a sandbox on the moved one.
 */
export function childEnv(env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const clock: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (k === 'LD_PRELOAD' || k.startsWith('FAKETIME')) clock[k] = v;
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...clock, ...env };
}
