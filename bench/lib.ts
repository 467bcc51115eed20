import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mean, quantileSorted } from '../src/core/stats.js';

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

export const machine = () => ({ cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, when: new Date().toISOString() });

/** Prints a benchmark's setup and results and writes both to bench/results/<name>.json. */
export function report(name: string, setup: Record<string, unknown>, results: unknown): void {
  const body = { benchmark: name, setup: { ...setup, machine: machine() }, results };
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  console.log(JSON.stringify(body, null, 2));
  console.log(`written to ${path.relative(process.cwd(), file)}`);
}

export const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, min: s[0], median: quantileSorted(s, 0.5), p90: quantileSorted(s, 0.9), max: s[s.length - 1], mean: mean(s) };
};
