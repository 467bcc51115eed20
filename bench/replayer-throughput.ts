/**
 * Replayer throughput into the real local Kafka broker: constant target rates for a fixed time,
 * achieved rate and lateness per target. Run: npx tsx bench/replayer-throughput.ts [seconds]
 */
import { replayWorkload } from '../src/app/replay.js';
import { resolveConfig } from '../src/config/schema.js';
import { KafkajsMessageBus, startLocalStack, SystemClock } from '../src/compose.js';
import { eventGenerator } from '../src/core/load/events.js';
import { seededRandom } from '../src/core/random.js';
import { report } from './lib.js';

const seconds = Number(process.argv[2] ?? 20);
const targets = [10_000, 20_000, 40_000, 60_000, 80_000];
const stack = await startLocalStack(resolveConfig({ stack: { name: 'bench-replay' } }), console.log, true);
const results = [];
try {
  const bus = new KafkajsMessageBus(stack.bootstrap);
  for (const target of targets) {
    for (const job of ['iot', 'ysb'] as const) {
      const topic = `bench-${job}-${target}`;
      await bus.ensureTopic(topic, 4);
      const r = await replayWorkload({ bus, clock: new SystemClock(), topic, schedule: new Array(seconds).fill(target), generate: eventGenerator(job, seededRandom(1)) });
      const late = r.seconds.filter((s) => s.lateMs > 100).length;
      const row = { job, targetEps: target, produced: r.producedTotal, wallSec: r.wallMs / 1000, achievedEps: Math.round(r.producedTotal / (r.wallMs / 1000)), secondsLateOver100ms: late, inTopic: await bus.endOffsetTotal(topic) };
      console.log(row);
      results.push(row);
    }
  }
  await bus.close();
} finally {
  await stack.down();
}
report('replayer-throughput', { seconds, targets, partitions: 4, producer: 'KafkaJS 2.2.4, idempotent, acks=all, 10 batches/s', broker: 'Kafka 4.3.1 KRaft, one node, 512 MiB heap' }, results);
