import fs from 'node:fs';
import path from 'node:path';
import type { EvaluateReport } from '../report/evaluate-report.js';

/**
 * Writes an evaluation into `outDir`: the plots and `extra` files, evaluate.json, and report.md
 * last (an earlier report.md is removed first, so a report.md is always of a finished evaluation).
 * Returns the path of report.md.
 */
export function writeReport(outDir: string, json: string, report: EvaluateReport, extra: readonly { name: string; content: string }[] = []): string {
  fs.mkdirSync(outDir, { recursive: true });
  const markdownPath = path.join(outDir, 'report.md');
  fs.rmSync(markdownPath, { force: true });
  for (const f of [...report.files, ...extra]) fs.writeFileSync(path.join(outDir, f.name), f.content);
  fs.writeFileSync(path.join(outDir, 'evaluate.json'), json);
  fs.writeFileSync(markdownPath, report.markdown);
  return markdownPath;
}
