import { describe, expect, it } from 'vitest';
import { KafkajsMessageBus, LEADER_WAIT_MS, type KafkaClient } from '../../src/adapters/kafka/kafkajs-message-bus.js';

/** A clock that moves only when the bus sleeps (or the fake broker takes time), and the lines the bus logs. */
function harness() {
  const h = { t: 0, lines: [] as string[], now: () => h.t, sleep: async (ms: number) => void (h.t += ms), log: (l: string) => void h.lines.push(l) };
  return h;
}

const notLeader = () => Object.assign(new Error('This server is not the leader for that topic-partition'), { name: 'KafkaJSProtocolError', type: 'NOT_LEADER_OR_FOLLOWER', retriable: true });

/**
 * An admin that behaves as KafkaJS 2.2.4's against a broker whose partition leaders are elected
 * `electionMs` after the topic is created (a broker next to a CPU hog): createTopics with
 * waitForLeaders waits 10 s at most (its `timeout` unset), then throws a KafkaJSTimeout it marks
 * non-retriable; until the election ends, metadata names no leader and offsets say NOT_LEADER.
 */
function slowElectionKafka(h: ReturnType<typeof harness>, electionMs: number) {
  const topics = new Map<string, number>();
  const elected = (topic: string) => h.t >= topics.get(topic)! + electionMs;
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => [...topics.keys()],
    createTopics: async ({ topics: ts, waitForLeaders = true }: { topics: { topic: string }[]; waitForLeaders?: boolean }) => {
      for (const { topic } of ts) topics.set(topic, h.t);
      if (!waitForLeaders) return true;
      const remaining = topics.get(ts[0]!.topic)! + electionMs - h.t;
      h.t += Math.min(remaining, 10_000);
      if (remaining <= 10_000) return true;
      throw Object.assign(new Error('Timed out while waiting for topic leaders'), { name: 'KafkaJSTimeout', retriable: false });
    },
    fetchTopicMetadata: async ({ topics: [topic] }: { topics: string[] }) => ({
      topics: [{ name: topic, partitions: [0, 1].map((partitionId) => ({ partitionId, leader: elected(topic!) ? 1 : -1, partitionErrorCode: elected(topic!) ? 0 : 5 })) }],
    }),
    fetchTopicOffsets: async (topic: string) => {
      if (!elected(topic)) throw notLeader();
      return [0, 1].map((partition) => ({ partition, offset: '0', high: '0', low: '0' }));
    },
  };
  return { admin: () => admin, producer: () => undefined, consumer: () => undefined } as unknown as KafkaClient;
}

describe('ensureTopic on a loaded machine', () => {
  it('waits out a leader election longer than KafkaJS’s 10 s (the CI failure of issue 21), with a line per retry', async () => {
    const h = harness();
    const bus = new KafkajsMessageBus('broker:9092', undefined, { client: slowElectionKafka(h, 25_000), now: h.now, sleep: h.sleep, log: h.log });
    await bus.ensureTopic('khaos-eval-1-input', 2);
    expect(h.t).toBeGreaterThanOrEqual(25_000);
    expect(h.t).toBeLessThan(25_000 + 2_000 + 1); // polled at most 2 s apart, no fixed sleep past the election
    expect(h.lines.length).toBeGreaterThan(5);
    // The first 2 s of an election are expected on every new topic and not logged; after that, a line per retry.
    expect(h.lines[0]).toMatch(/^Kafka wait for leaders of khaos-eval-1-input: .*partitions 0, 1 of khaos-eval-1-input have no leader yet; retry \d+ \((2|3)\.\d s of at most 120 s\) in \d+ ms$/);
  });

  it('gives up at its deadline, naming the broker, the topic and the partitions without a leader', async () => {
    const h = harness();
    const bus = new KafkajsMessageBus('broker:9092', undefined, { client: slowElectionKafka(h, Number.POSITIVE_INFINITY), now: h.now, sleep: h.sleep, log: h.log });
    const e = await bus.ensureTopic('t', 2).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'platform', message: expect.stringMatching(/^Kafka at broker:9092: wait for leaders of t failed: NotReadyYet: partitions 0, 1 of t have no leader yet \(gave up after \d+ attempts in 1[12]\d\.\d s\)$/) });
    expect(h.t).toBeLessThanOrEqual(LEADER_WAIT_MS);
    expect(h.t).toBeGreaterThan(LEADER_WAIT_MS - 2_000 - 1);
  });
});

describe('a dead broker', () => {
  it('fails fast: KafkaJS’s own retries off under Khaos’s, a line per retry, the address in the message', async () => {
    const h = harness();
    const bus = new KafkajsMessageBus('127.0.0.1:1', undefined, { now: h.now, sleep: h.sleep, log: h.log });
    const started = performance.now();
    const e = await bus.ensureTopic('t', 1).catch((x: unknown) => x);
    await bus.close();
    // Each attempt is one refused connection: milliseconds, not KafkaJS's backoff of seconds each.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(e).toMatchObject({ kind: 'platform', message: expect.stringMatching(/^Kafka at 127\.0\.0\.1:1: connect failed: .*ECONNREFUSED.*\(gave up after 8 attempts in \d+\.\d s\)$/), hint: expect.stringMatching(/check the address/) });
    expect(h.lines.filter((l) => /^Kafka connect: .*; retry \d\/7 in \d+ ms$/.test(l))).toHaveLength(7);
    expect(h.t).toBeLessThan(15_000);
  }, 20_000);
});
