import type { InputRate } from '../../src/adapters/sim/fluid-flink-cluster.js';
import type { MessageBus, OutgoingRecord, ReadRecord } from '../../src/ports/message-bus.js';

/**
 * The fake platform's shared input topic as a fluid: its end offset grows at the input rate,
 * which is constant from `sinceMs` and, when `untilMs` is set, 0 from then on.
 */
export class InputTopic implements InputRate {
  private base = 0;
  private rateEps = 0;
  private untilMs?: number;
  constructor(private sinceMs: number) {}
  endOffsetAt(tMs: number): number {
    const end = Math.min(tMs, this.untilMs ?? Infinity);
    return this.base + (this.rateEps * Math.max(0, end - this.sinceMs)) / 1000;
  }
  /** The rate in force just after `tMs`. */
  rateAt(tMs: number): number {
    return this.untilMs !== undefined && tMs >= this.untilMs ? 0 : this.rateEps;
  }
  /** Records still to arrive at `tMs` from a rate set for a while. */
  owedAt(tMs: number): number {
    return this.untilMs !== undefined && tMs < this.untilMs ? (this.rateEps * (this.untilMs - tMs)) / 1000 : 0;
  }
  /** When the rate next changes by itself after `tMs` (the end of a rate set for a while). */
  changeAfter(tMs: number): number | undefined {
    return this.untilMs !== undefined && this.untilMs > tMs ? this.untilMs : undefined;
  }
  setRate(tMs: number, eps: number, forMs?: number): void {
    this.base = this.endOffsetAt(tMs);
    this.sinceMs = tMs;
    this.rateEps = eps;
    this.untilMs = forMs === undefined ? undefined : tMs + forMs;
  }
}

/** See FakeFlinkPlatform.feedingBus. */
export class InputFeedingBus implements MessageBus {
  constructor(
    private readonly bus: MessageBus,
    private readonly isInput: (topic: string) => boolean,
    private readonly arrived: (records: number) => void,
  ) {}
  ensureTopic(topic: string, partitions: number): Promise<void> {
    return this.bus.ensureTopic(topic, partitions);
  }
  partitions(topic: string): Promise<number> {
    return this.bus.partitions(topic);
  }
  async produce(topic: string, records: OutgoingRecord[]): Promise<void> {
    await this.bus.produce(topic, records);
    if (this.isInput(topic) && records.length > 0) this.arrived(records.length);
  }
  topicExists(topic: string): Promise<boolean> {
    return this.bus.topicExists(topic);
  }

  endOffsetTotal(topic: string): Promise<number> {
    return this.bus.endOffsetTotal(topic);
  }
  readAllCommitted(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<ReadRecord[]> {
    return this.bus.readAllCommitted(topic, opts);
  }
  readTimestamps(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<number[]> {
    return this.bus.readTimestamps(topic, opts);
  }
  tailCommitted(topic: string, onRecord: (value: string, seenAtMs: number, timestampMs: number) => void): Promise<{ close(): Promise<void> }> {
    return this.bus.tailCommitted(topic, onRecord);
  }
  close(): Promise<void> {
    return this.bus.close();
  }
}
