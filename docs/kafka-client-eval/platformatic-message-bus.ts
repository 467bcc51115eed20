import { Admin, Consumer, FetchIsolationLevels, MessagesStreamModes, ProduceAcks, Producer, stringDeserializers, stringSerializers, type Message } from '@platformatic/kafka';
import { KhaosError } from '../../core/errors.js';
import type { MessageBus, OutgoingRecord, ReadRecord } from '../../ports/message-bus.js';
import { isRetriableKafkaError, NotReadyYet, withRetry, type RetryPolicy } from './retry.js';

const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    if (e instanceof KhaosError) throw e;
    throw new KhaosError('platform', `Kafka ${what} failed: ${describePlatformaticError(e)}`, 'is the broker running? `khaos stack status`', { cause: e });
  }
};

/** How long after this bus ensured a topic an UNKNOWN_TOPIC_OR_PARTITION for it counts as metadata still on its way. */
const JUST_CREATED_MS = 60_000;

/** Kafka protocol errors (by @platformatic/kafka's `apiId`) that pass once leadership or metadata settles. */
const TRANSIENT_API_IDS = new Set(['NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'REQUEST_TIMED_OUT', 'NOT_CONTROLLER', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'NOT_COORDINATOR', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH']);

interface PlatformaticLikeError {
  code?: string;
  apiId?: string;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
}

/**
 * Whether an @platformatic/kafka error is worth another attempt (the counterpart of retry.ts's
 * isRetriableKafkaError, whose KafkaJS shapes these errors do not have): the transient protocol
 * errors above, network errors and time-outs, an aggregate (MultipleErrors, ResponseError) when
 * every part is; UNKNOWN_TOPIC_OR_PARTITION only when `topicJustCreated`.
 */
export function isRetriablePlatformaticError(e: unknown, ctx: { topicJustCreated: boolean }): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as PlatformaticLikeError;
  if (err.apiId === 'UNKNOWN_TOPIC_OR_PARTITION') return ctx.topicJustCreated;
  if (err.apiId !== undefined) return TRANSIENT_API_IDS.has(err.apiId);
  if (Array.isArray(err.errors)) return err.errors.length > 0 && err.errors.every((x) => isRetriablePlatformaticError(x, ctx));
  if (err.code === 'PLT_KFK_NETWORK' || err.code === 'PLT_KFK_TIMEOUT') return true;
  // NotReadyYet, and messages that survived a wrapping.
  return isRetriableKafkaError(e, ctx);
}

/** One line naming an @platformatic/kafka error: its code, Kafka error, message, and the parts of an aggregate. */
export function describePlatformaticError(e: unknown): string {
  if (typeof e !== 'object' || e === null) return String(e);
  const err = e as PlatformaticLikeError;
  const head = `${err.apiId ?? err.code ?? (e as Error).name ?? 'Error'}: ${err.message ?? ''}`;
  if (Array.isArray(err.errors) && err.errors.length > 0) {
    const parts = [...new Set(err.errors.map(describePlatformaticError))];
    return `${head} (${parts.join('; ')})`;
  }
  return head;
}

export interface PlatformaticMessageBusOptions {
  /** Receives one line per retried Kafka operation (default: stderr). */
  log?: (line: string) => void;
  /** Bounds of the retries (default DEFAULT_RETRY_POLICY: 8 attempts, 30 s). */
  retry?: Partial<RetryPolicy>;
}

type Isolation = 'read_committed' | 'read_uncommitted';

/**
 * MessageBus over @platformatic/kafka (pure JavaScript). Admin and read operations retry
 * retriable errors within a bound (see retry.ts). A produce is not sent again after it failed:
 * the client's idempotent producer drops its producer id after a failed send, so a resend would
 * duplicate what the broker did append; the client's own retries (same sequence numbers) apply.
 */
export class PlatformaticMessageBus implements MessageBus {
  private admin?: Admin;
  private producer?: Producer<string, string, string, string>;
  private readonly ensuredAt = new Map<string, number>();
  private readonly log: (line: string) => void;
  private readonly retryPolicy?: Partial<RetryPolicy>;
  private readonly brokers: string[];

  constructor(
    readonly bootstrap: string,
    options: PlatformaticMessageBusOptions = {},
  ) {
    this.brokers = bootstrap.split(',');
    this.log = options.log ?? ((line) => void process.stderr.write(`${line}\n`));
    this.retryPolicy = options.retry;
  }

  private base() {
    return { clientId: 'khaos', bootstrapBrokers: this.brokers, retries: 5, retryDelay: 250, timeout: 10_000 };
  }

  /** `f` retried while it fails retriably, then failures translated to KhaosError('platform'). */
  private attempt<T>(what: string, f: () => Promise<T>, opts: { topic?: string; retriable?: boolean } = {}): Promise<T> {
    const ensured = opts.topic === undefined ? undefined : this.ensuredAt.get(opts.topic);
    const topicJustCreated = ensured !== undefined && Date.now() - ensured < JUST_CREATED_MS;
    const isRetriable = (e: unknown) => opts.retriable !== false && isRetriablePlatformaticError(e, { topicJustCreated });
    return wrap(what, () => withRetry(`Kafka ${what}`, f, { isRetriable, log: this.log, policy: this.retryPolicy }));
  }

  private adminClient(): Admin {
    this.admin ??= new Admin(this.base());
    return this.admin;
  }

  /** Creates the topic if absent, then waits (bounded) until every partition has a leader that answers. */
  async ensureTopic(topic: string, partitions: number): Promise<void> {
    const admin = this.adminClient();
    await this.attempt(`create topic ${topic}`, async () => {
      const existing = await admin.listTopics();
      if (existing.includes(topic)) return;
      try {
        await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
      } catch (e) {
        // Another creator (or an earlier attempt whose answer was lost) got there first.
        if (!describePlatformaticError(e).includes('TOPIC_ALREADY_EXISTS')) throw e;
      }
    });
    this.ensuredAt.set(topic, Date.now());
    await this.attempt(
      `wait for leaders of ${topic}`,
      async () => {
        const meta = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
        const leaderless = (meta?.partitions ?? []).flatMap((p, i) => (p.leader < 0 ? [i] : []));
        if (!meta || meta.partitionsCount === 0 || leaderless.length > 0) throw new NotReadyYet(`partitions ${!meta ? '(none yet)' : leaderless.join(', ')} of ${topic} have no leader yet`);
        // Metadata naming a leader does not mean the leader serves the partition yet: ask it.
        await this.listOffsets(topic, -1n, 'read_uncommitted');
      },
      { topic },
    );
  }

  async partitions(topic: string): Promise<number> {
    return this.attempt(
      `describe topic ${topic}`,
      async () => {
        const meta = (await this.adminClient().metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
        if (!meta) throw new NotReadyYet(`no metadata for ${topic} yet`);
        return meta.partitionsCount;
      },
      { topic },
    );
  }

  /** Offsets of every partition at `timestamp` (-1n: the end; -2n: the start). */
  private async listOffsets(topic: string, timestamp: bigint, isolation: Isolation): Promise<{ partition: number; offset: bigint }[]> {
    const admin = this.adminClient();
    const meta = (await admin.metadata({ topics: [topic] })).topics.get(topic);
    if (!meta) throw new NotReadyYet(`no metadata for ${topic} yet`);
    const listed = await admin.listOffsets({
      topics: [{ name: topic, partitions: Array.from({ length: meta.partitionsCount }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
      isolationLevel: isolation === 'read_committed' ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
    });
    return (listed[0]?.partitions ?? []).map((p) => ({ partition: p.partitionIndex, offset: p.offset }));
  }

  async produce(topic: string, records: OutgoingRecord[]): Promise<void> {
    this.producer ??= new Producer({ ...this.base(), serializers: stringSerializers, idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false });
    const producer = this.producer;
    const messages = records.map((r) => ({
      topic,
      key: r.key,
      value: r.value,
      ...(r.partition === undefined ? {} : { partition: r.partition }),
      ...(r.timestampMs === undefined ? {} : { timestamp: BigInt(r.timestampMs) }),
    }));
    await this.attempt(`produce to ${topic}`, () => producer.send({ messages }), { topic, retriable: false });
  }

  async endOffsetTotal(topic: string): Promise<number> {
    return this.attempt(`offsets of ${topic}`, async () => (await this.listOffsets(topic, -1n, 'read_uncommitted')).reduce((sum, p) => sum + Number(p.offset), 0), { topic });
  }

  async readAllCommitted(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<ReadRecord[]> {
    return this.readAll(topic, opts, 'read_committed');
  }

  /** Every record from the beginning at the given isolation level (read_uncommitted shows aborted transactions' records too). */
  async readAll(topic: string, opts: { idleMs: number; timeoutMs: number }, isolation: Isolation): Promise<ReadRecord[]> {
    return this.consumeAll(topic, opts, isolation, (m) => ({ key: m.key ?? null, value: m.value ?? '', partition: m.partition, offset: m.offset.toString() }));
  }

  async readTimestamps(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<number[]> {
    return this.consumeAll(topic, opts, 'read_committed', (m) => Number(m.timestamp));
  }

  /**
   * Reads every record from the beginning with a fresh group, until idle or timed out. A retried
   * attempt starts over with a new group and drops what the failed one had read.
   */
  private consumeAll<T>(topic: string, opts: { idleMs: number; timeoutMs: number }, isolation: Isolation, toRecord: (m: Message<string, string, string, string>) => T): Promise<T[]> {
    return this.attempt(
      `read ${topic}`,
      async () => {
        const out: T[] = [];
        const consumer = new Consumer({
          ...this.base(),
          groupId: `khaos-reader-${topic}-${process.pid}-${Date.now()}`,
          deserializers: stringDeserializers,
          isolationLevel: isolation === 'read_committed' ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
          autocreateTopics: false,
        });
        try {
          const started = Date.now();
          const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false, maxWaitTime: 200 });
          // Idle time counts from the group join (consume() resolves once joined).
          let lastRecordAt = Date.now();
          let failed: Error | undefined;
          stream.on('data', (m) => {
            out.push(toRecord(m));
            lastRecordAt = Date.now();
          });
          stream.on('error', (e) => (failed = e));
          while (Date.now() - lastRecordAt < opts.idleMs && Date.now() - started < opts.timeoutMs) {
            if (failed) throw failed;
            await new Promise((r) => setTimeout(r, 100));
          }
          await stream.close();
          return out;
        } finally {
          // Forced: the stream was closed above, or failed.
          await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
        }
      },
      { topic },
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer?.close(), this.admin?.close()]);
  }
}
