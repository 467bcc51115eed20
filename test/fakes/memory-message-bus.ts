import { KhaosError } from '../../src/core/errors.js';
import type { MessageBus, OutgoingRecord, ReadRecord } from '../../src/ports/message-bus.js';

/** A stored record: what readAllCommitted returns, plus its timestamp. */
export type StoredRecord = ReadRecord & { timestampMs: number };

/**
 * An in-memory MessageBus with switches: `failNextProduce` makes the next produce throw like a
 * broker refusal; `produceCalls` records batch sizes. Records keyed to partitions by hash. A
 * record's timestamp is the `timestampMs` it was produced with, 0 when absent (no wall clock).
 */
export class MemoryMessageBus implements MessageBus {
  readonly topics = new Map<string, StoredRecord[][]>();
  readonly produceCalls: { topic: string; size: number }[] = [];
  failNextProduce = false;
  private readonly followers = new Set<{ topic: string; onRecord: (value: string, seenAtMs: number, timestampMs: number) => void }>();

  /** `now` stamps what followers see (the test's clock; records are visible once produced). */
  constructor(private readonly now: () => number = Date.now) {}

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    if (!this.topics.has(topic)) this.topics.set(topic, Array.from({ length: partitions }, () => []));
  }

  private topic(topic: string): StoredRecord[][] {
    const t = this.topics.get(topic);
    if (!t) throw new KhaosError('platform', `Kafka produce to ${topic} failed: This server does not host this topic-partition`);
    return t;
  }

  async partitions(topic: string): Promise<number> {
    return this.topic(topic).length;
  }

  async produce(topic: string, records: OutgoingRecord[]): Promise<void> {
    const parts = this.topic(topic);
    if (this.failNextProduce) {
      this.failNextProduce = false;
      throw new KhaosError('platform', `Kafka produce to ${topic} failed: broker refused`);
    }
    this.produceCalls.push({ topic, size: records.length });
    for (const r of records) {
      const p = r.partition ?? [...r.key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 0) % parts.length;
      if (p < 0 || p >= parts.length) throw new KhaosError('platform', `Kafka produce to ${topic} failed: partition ${p} does not exist`);
      parts[p]!.push({ key: r.key, value: r.value, partition: p, offset: String(parts[p]!.length), timestampMs: r.timestampMs ?? 0 });
    }
    for (const f of this.followers) if (f.topic === topic) for (const r of records) f.onRecord(r.value, this.now(), r.timestampMs ?? 0);
  }

  async topicExists(topic: string): Promise<boolean> {
    return this.topics.has(topic);
  }

  async endOffsetTotal(topic: string): Promise<number> {
    return this.topic(topic).reduce((n, p) => n + p.length, 0);
  }

  async readAllCommitted(topic: string): Promise<ReadRecord[]> {
    return this.topic(topic).flat().map(({ key, value, partition, offset }) => ({ key, value, partition, offset }));
  }

  async readTimestamps(topic: string): Promise<number[]> {
    return this.topic(topic).flat().map((r) => r.timestampMs);
  }

  async tailCommitted(topic: string, onRecord: (value: string, seenAtMs: number, timestampMs: number) => void): Promise<{ close(): Promise<void> }> {
    this.topic(topic);
    const f = { topic, onRecord };
    this.followers.add(f);
    return { close: async () => void this.followers.delete(f) };
  }

  async close(): Promise<void> {}
}
