/**
 * Preloaded with `node --require dist/bench/probe.cjs` into every measured process (ours and the
 * SDK's alike): at exit it writes the process's own peak RSS and CPU time to $BENCH_PROBE_FILE.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000) }));
  });
}
