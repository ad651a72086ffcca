/**
 * Keeps spec-defects.ts minimal: rebuilds the index once per defect, without that defect, and
 * reports whether the recordings (or the spec's own compilability) still need it. Opt-in
 * (OKTA_CONFORMANCE_AUDIT=1): it parses the spec once more and compiles validators per defect.
 */
import path from 'node:path';
import { parseSpecFile, resolveSpecDir, SpecIndex } from './spec.js';
import { SPEC_DEFECTS, type SpecDefect } from './spec-defects.js';
import { checkExchanges, type RecordedExchange } from './validate.js';

export interface DefectAudit {
  id: string;
  /** Failures (exchanges) the recordings would have without this defect's workaround. */
  failuresWithout: number;
  /** Uncompilable patterns and $ref cycles the spec would have without it. */
  compileProblemsWithout: number;
  needed: boolean;
}

export function auditDefects(exchanges: RecordedExchange[], defects: readonly SpecDefect[] = SPEC_DEFECTS): DefectAudit[] {
  const dir = resolveSpecDir();
  const management = parseSpecFile(path.join(dir, 'management.yaml'));
  const oauth = parseSpecFile(path.join(dir, 'oauth.yaml'));
  return defects.map((d) => {
    const spec = new SpecIndex(
      [
        { name: 'management', doc: structuredClone(management) },
        { name: 'oauth', doc: structuredClone(oauth) },
      ],
      { defects: defects.filter((x) => x !== d) },
    );
    const failuresWithout = checkExchanges(spec, exchanges).failures.reduce((n, f) => n + f.count, 0);
    const compileProblemsWithout = spec.stats.badPatterns.length + spec.stats.refCycles.length;
    return { id: d.id, failuresWithout, compileProblemsWithout, needed: failuresWithout + compileProblemsWithout > 0 };
  });
}
