import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from './repo/src/adapters/local/local-stack.js';
import { KafkajsMessageBus } from './adapters/kafka/kafkajs-message-bus.js';
import { readCommittedWithJava } from './adapters/kafka/java-committed-reader.js';
import type { MessageBus, ReadRecord } from './ports/message-bus.js';
import { messageBusContract } from './repo/test/contract/message-bus.contract.js';
import { testStack } from './repo/test/integration/helpers.js';
import { judge, writeAbortScenarios, type AbortScenario } from './aborted-transactions.js';

type Isolation = 'read_committed' | 'read_uncommitted';
interface Candidate {
  make: (bootstrap: string, log: (l: string) => void) => MessageBus & { readAll(topic: string, o: { idleMs: number; timeoutMs: number }, i: Isolation): Promise<ReadRecord[]> };
  /** Creates topics and produces right after, with nothing waiting for leaders: the raw client's behaviour. */
  rawCreateThenUse: (bootstrap: string, topic: string) => Promise<string[]>;
}

const CLIENT = process.env.EVAL_CLIENT ?? 'platformatic';
const candidates: Record<string, () => Promise<Candidate>> = {
  platformatic: async () => (await import('./platformatic-eval.js')).candidate,
  confluent: async () => (await import('./confluent-eval.js')).candidate,
};
/** Beside the harness directory: the evaluation directory. */
const resultsFile = new URL(`../results-${CLIENT}.json`, import.meta.url);
const results: Record<string, unknown> = { client: CLIENT };
const save = () => fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2));

let stack: LocalStack;
let candidate: Candidate;
const logs: string[] = [];
const log = (l: string) => {
  logs.push(l);
  process.stderr.write(`  [bus] ${l}\n`);
};
beforeAll(async () => {
  candidate = await candidates[CLIENT]!();
  stack = await testStack(`eval-${CLIENT}`);
});
afterAll(async () => {
  results.retryLog = logs;
  save();
  await stack?.down();
});

let n = 0;
messageBusContract(`${CLIENT} against a real Kafka 4.3 broker`, async () => ({ bus: candidate.make(stack.bootstrap, log), topicPrefix: `c${n++}` }));

describe('read_committed over aborted transactions', () => {
  let scenarios: AbortScenario[] = [];
  const readers: Record<string, (topic: string, isolation: Isolation) => Promise<ReadRecord[]>> = {};
  beforeAll(async () => {
    const kbus = new KafkajsMessageBus(stack.bootstrap);
    try {
      scenarios = await writeAbortScenarios(stack.bootstrap, `rc${Date.now()}`, kbus);
    } finally {
      await kbus.close();
    }
    readers['java-console-consumer'] = (topic) => readCommittedWithJava(stack.kafkaClasspath, stack.bootstrap, topic, { idleMs: 3000, timeoutMs: 60_000 });
    readers['kafkajs-2.2.4'] = async (topic) => {
      const b = new KafkajsMessageBus(stack.bootstrap);
      try {
        return await b.readAllCommitted(topic, { idleMs: 2000, timeoutMs: 60_000 });
      } finally {
        await b.close();
      }
    };
    readers[CLIENT] = async (topic, isolation) => {
      const b = candidate.make(stack.bootstrap, log);
      try {
        return await b.readAll(topic, { idleMs: 2000, timeoutMs: 60_000 }, isolation);
      } finally {
        await b.close();
      }
    };
  });

  it('every reader, every scenario (results recorded, candidate and oracle asserted)', async () => {
    const table: Record<string, Record<string, unknown>> = {};
    for (const s of scenarios) {
      table[s.name] = { committed: s.committed.length, aborted: s.aborted.length };
      for (const [name, read] of Object.entries(readers)) {
        const got = await read(s.topic, 'read_committed');
        table[s.name]![name] = judge(s, got);
        process.stderr.write(`  [rc] ${s.name} ${name}: ${JSON.stringify(table[s.name]![name])}\n`);
      }
      const all = await readers[CLIENT]!(s.topic, 'read_uncommitted');
      const values = new Set(all.map((r) => r.value));
      table[s.name]![`${CLIENT} read_uncommitted`] = { records: all.length, hasEveryAborted: s.aborted.every((v) => values.has(v)), hasEveryCommitted: s.committed.every((v) => values.has(v)) };
      process.stderr.write(`  [ru] ${s.name}: ${JSON.stringify(table[s.name]![`${CLIENT} read_uncommitted`])}\n`);
    }
    results.readCommitted = table;
    save();
    const ok = { leakedAborted: 0, missingCommitted: 0, duplicates: 0, outOfOrder: false };
    for (const s of scenarios) expect(table[s.name]!['java-console-consumer'], `oracle on ${s.name}`).toEqual(ok);
    for (const s of scenarios) expect(table[s.name]![`${CLIENT} read_uncommitted`], `${CLIENT} read_uncommitted on ${s.name}`).toEqual({ records: s.committed.length + s.aborted.length, hasEveryAborted: true, hasEveryCommitted: true });
    for (const s of scenarios) expect.soft(table[s.name]![CLIENT], `${CLIENT} read_committed on ${s.name}`).toEqual(ok);
  });
});

describe('retriable errors right after topic creation', () => {
  it('the raw client, then the adapter', async () => {
    const raw: Record<string, string[]> = {};
    for (let i = 0; i < 10; i++) raw[`raw-${i}`] = await candidate.rawCreateThenUse(stack.bootstrap, `fresh-raw-${i}-${Date.now()}`);
    results.rawCreateThenUse = raw;
    save();
    const bus = candidate.make(stack.bootstrap, log);
    try {
      for (let i = 0; i < 10; i++) {
        const topic = `fresh-bus-${i}-${Date.now()}`;
        await bus.ensureTopic(topic, 4);
        await bus.produce(topic, Array.from({ length: 40 }, (_, j) => ({ key: `k${j}`, value: `v${j}` })));
        expect(await bus.endOffsetTotal(topic)).toBe(40);
      }
    } finally {
      await bus.close();
    }
  });
});
