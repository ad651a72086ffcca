/**
 * Phase 2 of `npm test`: every HTTP exchange the sandbox recorded during phase 1 must conform to
 * Okta's official OpenAPI spec (see validate.ts for the rules, spec-defects.ts for the
 * documented exceptions). Runs alone (jest.conformance.config.js): the spec is loaded once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { recordDir, REPORT_FILE } from './paths.js';
import { loadOktaSpec, type SpecIndex } from './spec.js';
import { auditDefects } from './audit.js';
import { ConformanceChecker, describeFailures, loadRecordings, readRecordings, recordingFiles, summaryLine } from './validate.js';

describe("conformance to Okta's OpenAPI spec", () => {
  let spec: SpecIndex;
  let loadMs = 0;
  let rssAfterLoadMb = 0;

  beforeAll(() => {
    const t0 = performance.now();
    spec = loadOktaSpec();
    loadMs = performance.now() - t0;
    rssAfterLoadMb = Math.round(process.memoryUsage().rss / 1e6);
  });

  it('the spec, with the documented defects worked around, compiles as JSON Schema', () => {
    expect(spec.stats.badPatterns).toEqual([]);
    expect(spec.stats.refCycles).toEqual([]);
  });

  it('every recorded request matches an operation and every response validates', () => {
    const dir = recordDir();
    const files = recordingFiles(dir);
    const t0 = performance.now();
    const checker = new ConformanceChecker(spec);
    for (const item of readRecordings(files)) checker.add(item);
    const report = checker.report(files);
    const checkMs = performance.now() - t0;
    if (report.exchanges === 0 && report.failures.length === 0) {
      throw new Error(`conformance: no recordings in ${dir}. Run \`npm test\`: its first phase has the sandbox record every HTTP exchange there.`);
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, REPORT_FILE),
      JSON.stringify({ ...report, timings: { specLoadMs: Math.round(loadMs), checkMs: Math.round(checkMs), rssAfterLoadMb, rssAfterCheckMb: Math.round(process.memoryUsage().rss / 1e6) }, spec: spec.stats }, null, 2) + '\n',
    );
    console.log(`${summaryLine(report)}\n  spec loaded in ${(loadMs / 1000).toFixed(1)} s (rss ${rssAfterLoadMb} MB); checked in ${(checkMs / 1000).toFixed(1)} s; report: ${path.join(dir, REPORT_FILE)}`);
    if (report.failures.length) throw new Error(`${summaryLine(report)}\n${describeFailures(report.failures)}`);
  });

  // Opt-in (OKTA_CONFORMANCE_AUDIT=1): is every documented defect still needed by these recordings?
  (process.env.OKTA_CONFORMANCE_AUDIT ? it : it.skip)('every documented spec defect is still needed', () => {
    const { exchanges } = loadRecordings(recordDir());
    const audit = auditDefects(exchanges);
    console.log(audit.map((a) => `${a.needed ? 'needed ' : 'UNUSED '} ${a.id}: ${a.failuresWithout} failures, ${a.compileProblemsWithout} compile problems without it`).join('\n'));
    expect(audit.filter((a) => !a.needed).map((a) => a.id)).toEqual([]);
  });
});
