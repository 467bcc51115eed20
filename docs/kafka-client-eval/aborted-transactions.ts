import { Kafka, logLevel, type Producer, type Transaction } from 'kafkajs';
import type { MessageBus, ReadRecord } from './ports/message-bus.js';

/**
 * Topics holding committed and aborted transactions in the layouts that broke JavaScript
 * clients' read_committed, each on its own one-partition topic, written with KafkaJS's
 * transactional producer (Kafka's broker writes the commit and abort markers itself).
 */
export interface AbortScenario {
  name: string;
  topic: string;
  /** Values a read_committed reader must return, in offset order (plain records and committed transactions). */
  committed: string[];
  /** Values of aborted transactions: read_uncommitted returns them too, read_committed never. */
  aborted: string[];
}

const values = (prefix: string, n: number, pad = 0) => Array.from({ length: n }, (_, i) => `${prefix}-${i}${pad > 0 ? `-${'x'.repeat(pad)}` : ''}`);

export async function writeAbortScenarios(bootstrap: string, topicPrefix: string, bus: MessageBus): Promise<AbortScenario[]> {
  const kafka = new Kafka({ clientId: 'khaos-abort-fixture', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const producers: Producer[] = [];
  const txProducer = async (id: string) => {
    const p = kafka.producer({ transactionalId: `${topicPrefix}-${id}`, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await p.connect();
    producers.push(p);
    return p;
  };
  const send = async (tx: Transaction | Producer, topic: string, vs: string[]) => {
    // 200 records a request: a large transaction is many batches, as a Flink sink writes it.
    for (let i = 0; i < vs.length; i += 200) await tx.send({ topic, acks: -1, messages: vs.slice(i, i + 200).map((value) => ({ key: 'k', value })) });
  };
  const plain = (topic: string, vs: string[]) => bus.produce(topic, vs.map((value) => ({ key: 'k', value, partition: 0 })));
  const scenarios: AbortScenario[] = [];
  const scenario = async (name: string, write: (topic: string, s: AbortScenario) => Promise<void>) => {
    const topic = `${topicPrefix}-${name}`;
    await bus.ensureTopic(topic, 1);
    const s: AbortScenario = { name, topic, committed: [], aborted: [] };
    await write(topic, s);
    scenarios.push(s);
  };
  const committedTx = async (p: Producer, topic: string, s: AbortScenario, vs: string[]) => {
    const tx = await p.transaction();
    await send(tx, topic, vs);
    await tx.commit();
    s.committed.push(...vs);
  };
  const abortedTx = async (p: Producer, topic: string, s: AbortScenario, vs: string[]) => {
    const tx = await p.transaction();
    await send(tx, topic, vs);
    await tx.abort();
    s.aborted.push(...vs);
  };
  try {
    // One aborted transaction between plain records and a committed one.
    await scenario('single-abort', async (topic, s) => {
      const p = await txProducer('single');
      await plain(topic, values('plain-a', 3));
      s.committed.push(...values('plain-a', 3));
      await abortedTx(p, topic, s, values('aborted', 5));
      await committedTx(p, topic, s, values('committed', 5));
      await plain(topic, values('plain-b', 3));
      s.committed.push(...values('plain-b', 3));
    });
    // The same producer aborts twice, with a commit between (a Flink sink's transactional id
    // aborting several checkpoints' transactions over time).
    await scenario('same-producer-aborts-twice', async (topic, s) => {
      const p = await txProducer('twice');
      await abortedTx(p, topic, s, values('aborted-1', 5));
      await committedTx(p, topic, s, values('committed-1', 5));
      await abortedTx(p, topic, s, values('aborted-2', 5));
      await committedTx(p, topic, s, values('committed-2', 5));
    });
    // Two producers' transactions interleave in the log and the one that started later ends
    // (aborts) first, while a third commits around them: several Flink subtasks writing one partition.
    await scenario('interleaved-later-aborts-first', async (topic, s) => {
      const [a, b, c] = [await txProducer('il-a'), await txProducer('il-b'), await txProducer('il-c')];
      const [ta, tb, tc] = [await a.transaction(), await b.transaction(), await c.transaction()];
      await send(ta, topic, values('a-aborted-1', 3));
      await send(tc, topic, values('c-committed-1', 3));
      await send(tb, topic, values('b-aborted', 3));
      await send(ta, topic, values('a-aborted-2', 3));
      await send(tc, topic, values('c-committed-2', 3));
      await tb.abort();
      await ta.abort();
      await tc.commit();
      s.aborted.push(...values('a-aborted-1', 3), ...values('b-aborted', 3), ...values('a-aborted-2', 3));
      s.committed.push(...values('c-committed-1', 3), ...values('c-committed-2', 3));
    });
    // A producer dies inside a transaction; its successor with the same transactional id
    // (a restarted Flink task) fences it, which makes the broker abort the open transaction.
    await scenario('fenced-zombie', async (topic, s) => {
      const zombie = await txProducer('zombie');
      const tz = await zombie.transaction();
      await send(tz, topic, values('zombie-aborted', 5));
      s.aborted.push(...values('zombie-aborted', 5));
      const successor = kafka.producer({ transactionalId: `${topicPrefix}-zombie`, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await successor.connect();
      producers.push(successor);
      await committedTx(successor, topic, s, values('successor-committed', 5));
    });
    // An aborted transaction of about 12 MiB, larger than one fetch of a partition (1 MiB for
    // KafkaJS and the Java consumer, 10 MiB for @platformatic/kafka by default), so its records
    // and its abort marker arrive in different fetch responses.
    await scenario('large-abort', async (topic, s) => {
      const p = await txProducer('large');
      await committedTx(p, topic, s, values('committed-1', 5));
      await abortedTx(p, topic, s, values('aborted', 12_000, 1000));
      await committedTx(p, topic, s, values('committed-2', 5));
    });
  } finally {
    await Promise.allSettled(producers.map((p) => p.disconnect()));
  }
  return scenarios;
}

/** What a reader got wrong on a scenario: aborted records it returned, committed ones it missed, records it returned twice. */
export function judge(s: AbortScenario, read: ReadRecord[]): { leakedAborted: number; missingCommitted: number; duplicates: number; outOfOrder: boolean } {
  const got = read.map((r) => r.value);
  const aborted = new Set(s.aborted);
  const committed = new Set(s.committed);
  const seen = new Set<string>();
  let duplicates = 0;
  for (const v of got) {
    if (seen.has(v)) duplicates++;
    seen.add(v);
  }
  const committedGot = got.filter((v) => committed.has(v));
  return {
    leakedAborted: got.filter((v) => aborted.has(v)).length,
    missingCommitted: s.committed.filter((v) => !seen.has(v)).length,
    duplicates,
    outOfOrder: committedGot.some((v, i) => i > 0 && s.committed.indexOf(v) < s.committed.indexOf(committedGot[i - 1]!)),
  };
}
