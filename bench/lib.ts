import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtInJob } from '../src/core/jobs.js';
import { RestFlinkEngine } from '../src/adapters/flink-rest/rest-flink-engine.js';
import type { LocalStack } from '../src/adapters/local/local-stack.js';
import { replayWorkload } from '../src/app/replay.js';
import { KafkajsMessageBus, SystemClock } from '../src/compose.js';
import { seededRandom } from '../src/core/random.js';
import { mean, quantileSorted } from '../src/core/stats.js';
import { eventGenerator } from '../src/core/load/events.js';

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

/**
 * An IoT replica `iot-1` (parallelism 2) on `stack`, reading topics `<prefix>-in|out|audit`, under a
 * steady replayed load of `rateEps`. `end()` stops the load and closes the bus (idempotent).
 */
export async function loadedReplica(stack: LocalStack, prefix: string, checkpointIntervalMs: number, rateEps: number) {
  const bus = new KafkajsMessageBus(stack.bootstrap);
  for (const t of ['in', 'out', 'audit']) await bus.ensureTopic(`${prefix}-${t}`, 4);
  const replica = await stack.startReplica({ name: 'iot-1', job: builtInJob('iot'), checkpointIntervalMs, parallelism: 2, inputTopic: `${prefix}-in`, outputTopic: `${prefix}-out`, auditTopic: `${prefix}-audit`, groupId: prefix });
  let stopped = false;
  const load = replayWorkload({ bus, clock: new SystemClock(), topic: `${prefix}-in`, schedule: new Array(3600).fill(rateEps), generate: eventGenerator('iot', seededRandom(1)), shouldStop: () => stopped });
  let ended: Promise<void> | undefined;
  const end = () =>
    (ended ??= (async () => {
      stopped = true;
      await load;
      await bus.close();
    })());
  return { replica, flink: new RestFlinkEngine(replica.restUrl), end };
}
