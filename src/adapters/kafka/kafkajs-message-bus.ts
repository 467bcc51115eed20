import { Kafka, logLevel, type Admin, type KafkaMessage, type Producer } from 'kafkajs';
import { KhaosError } from '../../core/errors.js';
import type { MessageBus, OutgoingRecord, ReadRecord } from '../../ports/message-bus.js';
import { isRetriableKafkaError, NotReadyYet, withRetry, type RetryPolicy } from './retry.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/** Failures of `f` as KhaosError('platform'), naming the broker address: a wrong address and a dead broker look alike from here. */
const wrap = async <T>(bootstrap: string, what: string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    if (e instanceof KhaosError) throw e;
    throw new KhaosError('platform', `Kafka at ${bootstrap}: ${what} failed: ${(e as Error).message}`, `check the address (HOST:PORT of a broker) and that the broker runs (\`khaos stack status\` for a local stack)`, { cause: e });
  }
};

/**
 * Connecting: a broker that refuses connections is dead or the address wrong, so a few quick
 * tries (about 9 s, a line each), not the default's 30 s on top of KafkaJS's own retries.
 */
const CONNECT_RETRY: Partial<RetryPolicy> = { maxAttempts: 8, maxElapsedMs: 15_000, maxDelayMs: 2_000 };

/**
 * How long the partitions of a topic just created may take to get a leader that serves them. An
 * idle broker elects one in well under a second; next to a CPU hog on both cores an election
 * outlasted KafkaJS's fixed 10 s wait (issue 21), so this is generous, and still a bound.
 */
export const LEADER_WAIT_MS = 120_000;

/** The KafkaJS client's factories the bus uses (a fake in tests). */
export type KafkaClient = Pick<Kafka, 'admin' | 'producer' | 'consumer'>;

/** How long after this bus ensured a topic an UNKNOWN_TOPIC_OR_PARTITION for it counts as metadata still on its way. */
const JUST_CREATED_MS = 60_000;

export interface KafkajsMessageBusOptions {
  /** Receives one line per retried Kafka operation (default: stderr). */
  log?: (line: string) => void;
  /** Bounds of the retries (default DEFAULT_RETRY_POLICY: 8 attempts, 30 s). */
  retry?: Partial<RetryPolicy>;
  /** Longest wait for the partitions of a new topic to get serving leaders, ms (default LEADER_WAIT_MS). */
  leaderWaitMs?: number;
  /** The KafkaJS client (default: one for `bootstrap`), and the clock and sleep of the retries (default: the system's); tests inject them. */
  client?: KafkaClient;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * MessageBus over KafkaJS (checked against the real Kafka 4.3 broker by the integration tests:
 * Kafka 4 removed old protocol versions, KafkaJS negotiates newer ones). Every operation retries
 * retriable errors (a leader still being elected right after topic creation, say) within a bound,
 * logging each retry; see retry.ts.
 */
/** How long a follower may take to join its group (seconds on a fresh or busy broker). */
const TAIL_JOIN_MS = 60_000;

export class KafkajsMessageBus implements MessageBus {
  private readonly kafka: KafkaClient;
  private readonly adminKafka: KafkaClient;
  private admin?: Admin;
  private producer?: Producer;
  private resendSafe?: boolean;
  private readonly ensuredAt = new Map<string, number>();
  private readonly log: (line: string) => void;
  private readonly retryPolicy?: Partial<RetryPolicy>;
  private readonly leaderWaitMs: number;
  private readonly now: () => number;
  private readonly sleep?: (ms: number) => Promise<void>;

  /**
   * `committedReader`, when given, serves readAllCommitted (see java-committed-reader.ts: KafkaJS's
   * own read_committed let records of aborted transactions through).
   */
  constructor(
    readonly bootstrap: string,
    private readonly committedReader?: (topic: string, opts: { idleMs: number; timeoutMs: number }) => Promise<ReadRecord[]>,
    options: KafkajsMessageBusOptions = {},
  ) {
    // connectionTimeout: KafkaJS's 1 s is short for a broker on a loaded machine; a dead one refuses at once anyway.
    const client = (retry: { retries: number; initialRetryTime?: number }) => new Kafka({ clientId: 'khaos', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 3_000, retry });
    this.kafka = options.client ?? client({ retries: 8, initialRetryTime: 200 });
    // The admin on a client of its own without KafkaJS's retries (the client's apply to connecting
    // too): under Khaos's attempt() a dead broker would otherwise be retried for a minute in silence.
    this.adminKafka = options.client ?? client({ retries: 0 });
    this.log = options.log ?? ((line) => void process.stderr.write(`${line}\n`));
    this.retryPolicy = options.retry;
    this.leaderWaitMs = options.leaderWaitMs ?? LEADER_WAIT_MS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep;
  }

  /** `f` retried while it fails retriably, then failures translated to KhaosError('platform'). */
  private attempt<T>(what: string, f: () => Promise<T>, opts: { topic?: string; retriable?: boolean; policy?: Partial<RetryPolicy>; quietForMs?: number } = {}): Promise<T> {
    const ensured = opts.topic === undefined ? undefined : this.ensuredAt.get(opts.topic);
    const topicJustCreated = ensured !== undefined && this.now() - ensured < JUST_CREATED_MS;
    const isRetriable = (e: unknown) => opts.retriable !== false && isRetriableKafkaError(e, { topicJustCreated });
    const policy = { ...opts.policy, ...this.retryPolicy };
    return wrap(this.bootstrap, what, () => withRetry(`Kafka ${what}`, f, { isRetriable, log: this.log, policy, now: this.now, sleep: this.sleep, quietForMs: opts.quietForMs }));
  }

  private async adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.adminKafka.admin();
      await this.attempt('connect', () => admin.connect(), { policy: CONNECT_RETRY });
      this.admin = admin;
    }
    return this.admin;
  }

  /** Creates the topic if absent, then waits (up to leaderWaitMs) until every partition has a leader that answers. */
  async ensureTopic(topic: string, partitions: number): Promise<void> {
    const admin = await this.adminClient();
    await this.attempt(`create topic ${topic}`, async () => {
      const existing = await admin.listTopics();
      // Not waitForLeaders: KafkaJS waits for them 10 s at most, then throws a KafkaJSTimeout it
      // marks non-retriable, which ended a loaded CI run (issue 21). The wait below bounds it.
      if (!existing.includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: false });
    });
    this.ensuredAt.set(topic, this.now());
    // waitForLeaders only waits for metadata to name leaders; the leader itself may not serve
    // the partition yet (NOT_LEADER_OR_FOLLOWER right after creation), so ask it.
    await this.attempt(
      `wait for leaders of ${topic}`,
      async () => {
        const meta = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [];
        const leaderless = meta.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0).map((p) => p.partitionId);
        if (meta.length === 0 || leaderless.length > 0) throw new NotReadyYet(`partitions ${meta.length === 0 ? '(none yet)' : leaderless.join(', ')} of ${topic} have no leader yet`);
        await admin.fetchTopicOffsets(topic);
      },
      // A deadline, not a count of attempts: an election takes what it takes on a loaded machine.
      // A new topic's partitions answer NOT_LEADER for a moment on every creation: say so only once the wait is long.
      { topic, policy: { maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: this.leaderWaitMs, maxDelayMs: 2_000 }, quietForMs: 2_000 },
    );
  }

  async partitions(topic: string): Promise<number> {
    const admin = await this.adminClient();
    return this.attempt(`describe topic ${topic}`, async () => (await admin.fetchTopicOffsets(topic)).length, { topic });
  }

  /**
   * Sending again after a failed send does not duplicate records on a single broker: KafkaJS
   * rolls back the idempotent producer's sequence numbers of a failed request, so the resend
   * carries the same ones and the broker drops what it already appended. With several brokers,
   * a send that failed on one may have succeeded on another, whose records a resend would
   * duplicate: there only KafkaJS's own retries (per broker) apply.
   */
  async produce(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (!this.producer) {
      // KafkaJS's retries bounded (its idempotent producer needs some): attempt() retries past them, with a line each.
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 } });
      await this.attempt('connect producer', () => producer.connect());
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
    await this.attempt(`produce to ${topic}`, () => producer.send({ topic, acks: -1, messages }), { topic, retriable: await this.resendIsSafe() });
  }

  /** Whether the cluster has a single broker (asked once; unknown counts as no, and is asked again next time). */
  private async resendIsSafe(): Promise<boolean> {
    this.resendSafe ??= await this.adminClient()
      .then((admin) => admin.describeCluster())
      .then(
        (cluster) => cluster.brokers.length === 1,
        () => undefined,
      );
    return this.resendSafe ?? false;
  }

  async topicExists(topic: string): Promise<boolean> {
    const admin = await this.adminClient();
    return this.attempt(`list topics`, async () => (await admin.listTopics()).includes(topic));
  }

  async endOffsetTotal(topic: string): Promise<number> {
    const admin = await this.adminClient();
    return this.attempt(`offsets of ${topic}`, async () => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0), { topic });
  }

  async readAllCommitted(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<ReadRecord[]> {
    if (this.committedReader) return this.committedReader(topic, opts);
    return this.consumeAll(topic, opts, (partition, m) => ({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? '', partition, offset: m.offset }));
  }

  async readTimestamps(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<number[]> {
    // KafkaJS gives the record timestamp as a string of ms.
    return this.consumeAll(topic, opts, (_, m) => Number(m.timestamp));
  }

  /**
   * Reads every committed record from the beginning with a fresh group, until idle or timed out.
   * A retried attempt starts over with a new group and drops what the failed one had read.
   */
  private async consumeAll<T>(topic: string, opts: { idleMs: number; timeoutMs: number }, toRecord: (partition: number, m: KafkaMessage) => T): Promise<T[]> {
    await this.adminClient(); // a dead broker or a wrong address fails here, fast, not after the consumer's own retries
    return this.attempt(
      `read ${topic}`,
      async () => {
        const out: T[] = [];
        const consumer = this.kafka.consumer({ groupId: `khaos-reader-${topic}-${process.pid}-${Date.now()}`, readUncommitted: false, allowAutoTopicCreation: false });
        await consumer.connect();
        try {
          await consumer.subscribe({ topic, fromBeginning: true });
          // Idle time counts from the group join: joining takes seconds on a fresh broker.
          let lastRecordAt = Number.POSITIVE_INFINITY;
          let crashed: Error | undefined;
          consumer.on(consumer.events.GROUP_JOIN, () => (lastRecordAt = Date.now()));
          // A crash KafkaJS does not restart from would otherwise look like an idle topic.
          consumer.on(consumer.events.CRASH, (e) => {
            if (!e.payload.restart) crashed = e.payload.error;
          });
          const started = Date.now();
          await consumer.run({
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) out.push(toRecord(batch.partition, m));
              if (batch.messages.length > 0) lastRecordAt = Date.now();
            },
          });
          while (!(Date.now() - lastRecordAt >= opts.idleMs) && Date.now() - started < opts.timeoutMs) {
            if (crashed) throw crashed;
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

  async tailCommitted(topic: string, onRecord: (value: string, seenAtMs: number, timestampMs: number) => void): Promise<{ close(): Promise<void> }> {
    // KafkaJS's read_committed can return records of aborted transactions (docs/kafka-client.md):
    // fine for latency outside failures, which is what this is for; exactly-once checks use the Java reader.
    return this.attempt(
      `follow ${topic}`,
      async () => {
        // From the end as it is now: fetched first, then sought to once the group assigned the
        // partitions (a consumer left to reset to "latest" would skip what is written meanwhile).
        const ends = (await (await this.adminClient()).fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high }));
        const consumer = this.kafka.consumer({ groupId: `khaos-tail-${topic}-${process.pid}-${Date.now()}`, readUncommitted: false, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
        await consumer.connect();
        try {
          let joined!: () => void;
          const join = new Promise<void>((resolve) => (joined = resolve));
          consumer.on(consumer.events.GROUP_JOIN, () => {
            for (const e of ends) consumer.seek({ topic, ...e });
            joined();
          });
          await consumer.subscribe({ topic, fromBeginning: false });
          await consumer.run({
            eachBatch: async ({ batch }) => {
              const seenAtMs = Date.now();
              // KafkaJS gives the record timestamp as a string of ms.
              for (const m of batch.messages) onRecord(m.value?.toString() ?? '', seenAtMs, Number(m.timestamp));
            },
          });
          let timer: NodeJS.Timeout | undefined;
          const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no group join within ${TAIL_JOIN_MS} ms`)), TAIL_JOIN_MS)));
          await Promise.race([join, deadline]).finally(() => clearTimeout(timer));
        } catch (e) {
          await consumer.disconnect();
          throw e;
        }
        return { close: () => consumer.disconnect() };
      },
      { topic },
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer?.disconnect(), this.admin?.disconnect()]);
  }
}
