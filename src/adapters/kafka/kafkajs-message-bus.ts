import { Kafka, logLevel, type Admin, type KafkaMessage, type Producer } from 'kafkajs';
import { KhaosError } from '../../core/errors.js';
import type { MessageBus, OutgoingRecord, ReadRecord } from '../../ports/message-bus.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    if (e instanceof KhaosError) throw e;
    throw new KhaosError('platform', `Kafka ${what} failed: ${(e as Error).message}`, 'is the broker running? `khaos stack status`', { cause: e });
  }
};

/**
 * MessageBus over KafkaJS (checked against the real Kafka 4.3 broker by the integration tests:
 * Kafka 4 removed old protocol versions, KafkaJS negotiates newer ones).
 */
export class KafkajsMessageBus implements MessageBus {
  private readonly kafka: Kafka;
  private admin?: Admin;
  private producer?: Producer;

  /**
   * `committedReader`, when given, serves readAllCommitted (see java-committed-reader.ts: KafkaJS's
   * own read_committed let records of aborted transactions through).
   */
  constructor(
    readonly bootstrap: string,
    private readonly committedReader?: (topic: string, opts: { idleMs: number; timeoutMs: number }) => Promise<ReadRecord[]>,
  ) {
    this.kafka = new Kafka({ clientId: 'khaos', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
  }

  private async adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await wrap('connect', () => admin.connect());
      this.admin = admin;
    }
    return this.admin;
  }

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    const admin = await this.adminClient();
    await wrap(`create topic ${topic}`, async () => {
      const existing = await admin.listTopics();
      if (!existing.includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    });
  }

  async partitions(topic: string): Promise<number> {
    const admin = await this.adminClient();
    return wrap(`describe topic ${topic}`, async () => (await admin.fetchTopicOffsets(topic)).length);
  }

  async produce(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (!this.producer) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await wrap('connect producer', () => producer.connect());
      this.producer = producer;
    }
    const producer = this.producer;
    // Only set fields are passed on: KafkaJS reads a present-but-undefined partition as a choice.
    const messages = records.map((r) => ({
      key: r.key,
      value: r.value,
      ...(r.partition === undefined ? {} : { partition: r.partition }),
      ...(r.timestampMs === undefined ? {} : { timestamp: String(r.timestampMs) }),
    }));
    await wrap(`produce to ${topic}`, () => producer.send({ topic, acks: -1, messages }));
  }

  async endOffsetTotal(topic: string): Promise<number> {
    const admin = await this.adminClient();
    return wrap(`offsets of ${topic}`, async () => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0));
  }

  async readAllCommitted(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<ReadRecord[]> {
    if (this.committedReader) return this.committedReader(topic, opts);
    const out: ReadRecord[] = [];
    await this.consumeAll(topic, opts, (partition, m) => out.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? '', partition, offset: m.offset }));
    return out;
  }

  async readTimestamps(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<number[]> {
    const out: number[] = [];
    // KafkaJS gives the record timestamp as a string of ms.
    await this.consumeAll(topic, opts, (_, m) => out.push(Number(m.timestamp)));
    return out;
  }

  /** Reads every committed record from the beginning with a fresh group, until idle or timed out. */
  private async consumeAll(topic: string, opts: { idleMs: number; timeoutMs: number }, onMessage: (partition: number, m: KafkaMessage) => void): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `khaos-reader-${topic}-${process.pid}-${Date.now()}`, readUncommitted: false, allowAutoTopicCreation: false });
    return wrap(`read ${topic}`, async () => {
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        // Idle time counts from the group join: joining takes seconds on a fresh broker.
        let lastRecordAt = Number.POSITIVE_INFINITY;
        consumer.on(consumer.events.GROUP_JOIN, () => (lastRecordAt = Date.now()));
        const started = Date.now();
        await consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) onMessage(batch.partition, m);
            if (batch.messages.length > 0) lastRecordAt = Date.now();
          },
        });
        while (!(Date.now() - lastRecordAt >= opts.idleMs) && Date.now() - started < opts.timeoutMs) await new Promise((r) => setTimeout(r, 100));
      } finally {
        await consumer.disconnect();
      }
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer?.disconnect(), this.admin?.disconnect()]);
  }
}
