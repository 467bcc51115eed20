import { KafkaJS } from '@confluentinc/kafka-javascript';
import { KhaosError } from '../../core/errors.js';
import type { MessageBus, OutgoingRecord, ReadRecord } from '../../ports/message-bus.js';
import { describeError, isRetriableKafkaError, NotReadyYet, withRetry, type RetryPolicy } from './retry.js';

type Admin = KafkaJS.Admin;
type Producer = KafkaJS.Producer;
type Isolation = 'read_committed' | 'read_uncommitted';

const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    if (e instanceof KhaosError) throw e;
    throw new KhaosError('platform', `Kafka ${what} failed: ${describeError(e)}`, 'is the broker running? `khaos stack status`', { cause: e });
  }
};

const JUST_CREATED_MS = 60_000;
/** librdkafka error codes worth another attempt (leader moving, metadata on its way, time-outs, transport). */
const TRANSIENT_CODES = new Set([5, 6, 7, 41, 15, 14, 16, -185, -195, -187]);

function isRetriableConfluentError(e: unknown, ctx: { topicJustCreated: boolean }): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: number; errors?: unknown[] };
  // 3 UNKNOWN_TOPIC_OR_PARTITION, -188 _UNKNOWN_TOPIC, -190 _UNKNOWN_PARTITION
  if (err.code === 3 || err.code === -188 || err.code === -190) return ctx.topicJustCreated;
  if (typeof err.code === 'number' && TRANSIENT_CODES.has(err.code)) return true;
  if (Array.isArray(err.errors)) return err.errors.length > 0 && err.errors.every((x) => isRetriableConfluentError(x, ctx));
  return isRetriableKafkaError(e, ctx);
}

/** MessageBus over @confluentinc/kafka-javascript (librdkafka), through its KafkaJS-shaped API. Evaluation only. */
export class ConfluentMessageBus implements MessageBus {
  private readonly kafka: KafkaJS.Kafka;
  private admin?: Admin;
  private producer?: Producer;
  private readonly ensuredAt = new Map<string, number>();
  private readonly log: (line: string) => void;

  constructor(
    readonly bootstrap: string,
    options: { log?: (line: string) => void; retry?: Partial<RetryPolicy> } = {},
  ) {
    this.kafka = new KafkaJS.Kafka({ kafkaJS: { clientId: 'khaos', brokers: bootstrap.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
    this.log = options.log ?? ((line) => void process.stderr.write(`${line}\n`));
  }

  private attempt<T>(what: string, f: () => Promise<T>, opts: { topic?: string; retriable?: boolean } = {}): Promise<T> {
    const ensured = opts.topic === undefined ? undefined : this.ensuredAt.get(opts.topic);
    const topicJustCreated = ensured !== undefined && Date.now() - ensured < JUST_CREATED_MS;
    const isRetriable = (e: unknown) => opts.retriable !== false && isRetriableConfluentError(e, { topicJustCreated });
    return wrap(what, () => withRetry(`Kafka ${what}`, f, { isRetriable, log: this.log }));
  }

  private async adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await this.attempt('connect', () => admin.connect());
      this.admin = admin;
    }
    return this.admin;
  }

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    const admin = await this.adminClient();
    await this.attempt(`create topic ${topic}`, async () => {
      const existing = await admin.listTopics();
      if (!existing.includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
    });
    this.ensuredAt.set(topic, Date.now());
    await this.attempt(
      `wait for leaders of ${topic}`,
      async () => {
        const meta = (await admin.fetchTopicMetadata({ topics: [topic] }))[0]?.partitions ?? [];
        const leaderless = meta.filter((p) => p.leader < 0).map((p) => p.partitionId);
        if (meta.length === 0 || leaderless.length > 0) throw new NotReadyYet(`partitions ${meta.length === 0 ? '(none yet)' : leaderless.join(', ')} of ${topic} have no leader yet`);
        await admin.fetchTopicOffsets(topic);
      },
      { topic },
    );
  }

  async partitions(topic: string): Promise<number> {
    const admin = await this.adminClient();
    return this.attempt(`describe topic ${topic}`, async () => (await admin.fetchTopicOffsets(topic)).length, { topic });
  }

  /** librdkafka retries a failed send itself with the same producer id and sequence numbers, so a failed produce is not sent again here. */
  async produce(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        kafkaJS: { idempotent: true, acks: -1, allowAutoTopicCreation: false },
        // An unknown topic fails a send after this long (librdkafka's default waits 30 s).
        'topic.metadata.propagation.max.ms': 5000,
        'message.timeout.ms': 30_000,
        'linger.ms': 5,
      });
      await this.attempt('connect producer', () => producer.connect());
      this.producer = producer;
    }
    const producer = this.producer;
    const messages = records.map((r) => ({
      key: r.key,
      value: r.value,
      ...(r.partition === undefined ? {} : { partition: r.partition }),
      ...(r.timestampMs === undefined ? {} : { timestamp: String(r.timestampMs) }),
    }));
    await this.attempt(`produce to ${topic}`, () => producer.send({ topic, messages }), { topic, retriable: false });
  }

  async endOffsetTotal(topic: string): Promise<number> {
    const admin = await this.adminClient();
    return this.attempt(`offsets of ${topic}`, async () => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0), { topic });
  }

  async readAllCommitted(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<ReadRecord[]> {
    return this.readAll(topic, opts, 'read_committed');
  }

  async readAll(topic: string, opts: { idleMs: number; timeoutMs: number }, isolation: Isolation): Promise<ReadRecord[]> {
    return this.consumeAll(topic, opts, isolation, (partition, m) => ({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? '', partition, offset: m.offset }));
  }

  async readTimestamps(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<number[]> {
    return this.consumeAll(topic, opts, 'read_committed', (_, m) => Number(m.timestamp));
  }

  private consumeAll<T>(topic: string, opts: { idleMs: number; timeoutMs: number }, isolation: Isolation, toRecord: (partition: number, m: KafkaJS.KafkaMessage) => T): Promise<T[]> {
    return this.attempt(
      `read ${topic}`,
      async () => {
        const out: T[] = [];
        const consumer = this.kafka.consumer({
          kafkaJS: { groupId: `khaos-reader-${topic}-${process.pid}-${Date.now()}`, fromBeginning: true, autoCommit: false },
          'isolation.level': isolation,
          'allow.auto.create.topics': false,
        });
        await consumer.connect();
        try {
          await consumer.subscribe({ topics: [topic] });
          let lastRecordAt = Number.POSITIVE_INFINITY;
          const started = Date.now();
          let failed: unknown;
          consumer
            .run({
              eachBatch: async ({ batch }) => {
                for (const m of batch.messages) out.push(toRecord(batch.partition, m));
                if (batch.messages.length > 0) lastRecordAt = Date.now();
              },
            })
            .catch((e: unknown) => (failed = e));
          while (!(Date.now() - lastRecordAt >= opts.idleMs) && Date.now() - started < opts.timeoutMs) {
            if (failed) throw failed;
            // Idle time counts from the assignment: joining takes a while on a fresh broker.
            if (lastRecordAt === Number.POSITIVE_INFINITY && consumer.assignment().length > 0) lastRecordAt = Date.now();
            await new Promise((r) => setTimeout(r, 100));
          }
          return out;
        } finally {
          await consumer.disconnect();
        }
      },
      { topic },
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer?.disconnect(), this.admin?.disconnect()]);
  }
}
