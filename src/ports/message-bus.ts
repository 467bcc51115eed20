/**
 * One record to produce; `partition` pins it (used for watermark-flush records). `timestampMs`
 * sets the record's Kafka timestamp (ms since the epoch); without it the broker or client stamps
 * the wall time (the in-memory fake stamps 0).
 */
export interface OutgoingRecord {
  key: string;
  value: string;
  partition?: number;
  timestampMs?: number;
}

export interface ReadRecord {
  key: string | null;
  value: string;
  partition: number;
  offset: string;
}

/**
 * The message broker Khaos replays workloads into and reads job output from (Kafka).
 * Implementations throw KhaosError('platform') when the broker refuses or is unreachable.
 */
export interface MessageBus {
  /** Creates the topic if absent (idempotent). */
  ensureTopic(topic: string, partitions: number): Promise<void>;
  partitions(topic: string): Promise<number>;
  /** Produces records durably (acks from all replicas, idempotent producer), in order per partition. */
  produce(topic: string, records: OutgoingRecord[]): Promise<void>;
  /** Whether the topic exists (never creates it). */
  topicExists(topic: string): Promise<boolean>;
  /** Sum over partitions of the end offsets: how many records the topic holds. */
  endOffsetTotal(topic: string): Promise<number>;
  /**
   * Reads every committed record from the beginning (read_committed, so transactional output
   * appears only once its transaction commits), until idle for `idleMs` or `timeoutMs` passed.
   */
  readAllCommitted(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<ReadRecord[]>;
  /**
   * The timestamps (ms since the epoch) of every committed record from the beginning, in no
   * particular order across partitions, read like readAllCommitted: until idle for `idleMs` or
   * `timeoutMs` passed. Used to recover the rate a topic was written at.
   */
  readTimestamps(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<number[]>;
  /**
   * Follows the topic from its end as a downstream consumer does (read_committed): calls
   * `onRecord` with each record's value, the wall time it became visible and its Kafka timestamp,
   * ms since the epoch. Resolves once following, so every record committed after that is seen;
   * `close` stops it.
   */
  tailCommitted(topic: string, onRecord: (value: string, seenAtMs: number, timestampMs: number) => void): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}
