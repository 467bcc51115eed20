/** One record to produce; `partition` pins it (used for watermark-flush records). */
export interface OutgoingRecord {
  key: string;
  value: string;
  partition?: number;
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
  /** Sum over partitions of the end offsets: how many records the topic holds. */
  endOffsetTotal(topic: string): Promise<number>;
  /**
   * Reads every committed record from the beginning (read_committed, so transactional output
   * appears only once its transaction commits), until idle for `idleMs` or `timeoutMs` passed.
   */
  readAllCommitted(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<ReadRecord[]>;
  close(): Promise<void>;
}
