// Wall time of `khaos models fit` against the number of samples, on SIMULATED failures drawn
// from the physical equations plus noise (src/core/models/simulated-samples.ts).
//
//   npx tsx bench/model-fit-scale.ts [N ...]        (default: 10000 1000000)
//
// Each size is written as a samples CSV to a temporary directory and fitted in-process through
// the CLI's own `models fit`; a size that fails is recorded with its error, not retried.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { modelsCommand } from '../src/cli/models.js';
import { samplesToCsv } from '../src/core/profiling/samples.js';
import { DEFAULT_SIMULATION, simulateSamples } from '../src/core/models/simulated-samples.js';
import { seededRandom } from '../src/core/random.js';
import { report } from './lib.js';

const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [10_000, 1_000_000];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-fit-scale-'));
const results = [];
try {
  for (const n of sizes) {
    const file = path.join(tmp, `samples-${n}.csv`);
    fs.writeFileSync(file, samplesToCsv(simulateSamples(DEFAULT_SIMULATION, n, seededRandom(1)), ['SIMULATED failures (bench/model-fit-scale.ts)']));
    let out = '';
    const started = performance.now();
    let error: string | undefined;
    try {
      await modelsCommand(['fit', '--samples', file, '--out', tmp], { out: (s) => (out += s), err: (s) => process.stderr.write(s) });
    } catch (e) {
      error = (e as Error).message.split('\n')[0];
    }
    const row = { samples: n, wallSec: Number(((performance.now() - started) / 1000).toFixed(2)), ...(error ? { error } : { chosen: out.match(/wrote .*: .*/g) }) };
    console.log(row);
    results.push(row);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
report('model-fit-scale', { data: 'SIMULATED (DEFAULT_SIMULATION, seed 1)', sizes, command: `npx tsx bench/model-fit-scale.ts ${process.argv.slice(2).join(' ')}`.trim() }, results);
