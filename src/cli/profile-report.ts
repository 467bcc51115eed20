import fs from 'node:fs';
import path from 'node:path';
import type { FailureMeasurement, ProfileRecord, StepRecord } from '../core/profiling/profile-records.js';
import { buildProfileReport } from '../report/profile-report.js';

/**
 * Writes the report of a profile into `outDir` (created if missing): `report.md` and the SVG plots
 * it links by relative name, so the directory can be moved or published as a whole. Files of an
 * earlier report in the same directory are overwritten. `seed` seeds the cross-validation shuffle;
 * by default the profile's own seed, so the same profile always gives the same report. `steps`
 * (the stored steps) add the failures per hour of wall time.
 * Throws what node:fs throws when the directory cannot be created or written.
 */
export function writeProfileReport(record: ProfileRecord, measurements: FailureMeasurement[], outDir: string, seed: number = record.plan.seed, steps?: readonly StepRecord[]): { markdownPath: string } {
  const report = buildProfileReport(record, measurements, { seed, steps });
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of report.files) fs.writeFileSync(path.join(outDir, f.name), f.content);
  const markdownPath = path.join(outDir, 'report.md');
  fs.writeFileSync(markdownPath, report.markdown);
  return { markdownPath };
}
