/**
 * Producer throughput of each client's MessageBus adapter into one real Kafka 4.3.1 broker:
 * closed loop, one produce(batch) awaited after another (as the replayer sends its slices), IoT
 * events (small JSON), a 4-partition topic per run, idempotent producer, acks=all.
 * Run (see docs/kafka-client.md): KHAOS_HOME=$EVAL/home npx tsx $EVAL/harness/bench.ts [seconds-per-run] [rounds]
 */
import os from 'node:os';
import fs from 'node:fs';
import { resolveConfig } from './repo/src/config/schema.js';
import { startLocalStack } from './repo/src/compose.js';
import { eventGenerator } from './core/load/events.js';
import { seededRandom } from './core/random.js';
import type { MessageBus } from './ports/message-bus.js';
import { KafkajsMessageBus } from './adapters/kafka/kafkajs-message-bus.js';

const seconds = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 2);
const clients: Record<string, (b: string) => MessageBus> = {
  'kafkajs-2.2.4': (b) => new KafkajsMessageBus(b),
};
const { PlatformaticMessageBus } = await import('./adapters/kafka/platformatic-message-bus.js');
clients['platformatic-1.35.0'] = (b) => new PlatformaticMessageBus(b);
try {
  const { ConfluentMessageBus } = await import('./adapters/kafka/confluent-message-bus.js');
  clients['confluent-1.10.1'] = (b) => new ConfluentMessageBus(b);
} catch (e) {
  console.log(`confluent left out: ${(e as Error).message}`);
}
const batchSizes = [100, 500, 2000];
const stack = await startLocalStack(resolveConfig({ stack: { name: 'eval-bench' } }), console.log, true);
const rows: Record<string, unknown>[] = [];
try {
  const gen = eventGenerator('iot', seededRandom(1));
  const sample = gen(Date.now());
  console.log('sample event', JSON.stringify(sample), 'value bytes', Buffer.byteLength(sample.value));
  for (let round = 0; round < rounds; round++) {
    // Each round starts with another client, so a burst of load elsewhere on the machine does not always hit the same one.
    const entries = Object.entries(clients);
    for (const [name, make] of [...entries.slice(round % entries.length), ...entries.slice(0, round % entries.length)]) {
      for (const batch of batchSizes) {
        const bus = make(stack.bootstrap);
        const topic = `bench-${name.replace(/\W/g, '')}-${batch}-${round}`;
        await bus.ensureTopic(topic, 4);
        await bus.produce(topic, Array.from({ length: batch }, () => gen(Date.now()))); // warm-up: connect, producer id
        const load1 = os.loadavg()[0] ?? 0;
        let produced = 0;
        const started = performance.now();
        while (performance.now() - started < seconds * 1000) {
          const ts = Date.now();
          await bus.produce(topic, Array.from({ length: batch }, () => gen(ts)));
          produced += batch;
        }
        const wallSec = (performance.now() - started) / 1000;
        const inTopic = await bus.endOffsetTotal(topic);
        await bus.close();
        const row = { round, client: name, batch, produced, wallSec: Number(wallSec.toFixed(2)), eventsPerSec: Math.round(produced / wallSec), inTopicOk: inTopic === produced + batch, load1: Number(load1.toFixed(2)) };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
  }
} finally {
  await stack.down();
}
fs.writeFileSync(new URL('../bench-results.json', import.meta.url), JSON.stringify({ seconds, rounds, node: process.version, cpus: os.cpus().length, rows }, null, 2));
