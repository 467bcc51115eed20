import { traceFromTimestamps } from '../../core/load/steady-state.js';
import type { Trace } from '../../core/load/trace.js';
import type { MessageBus } from '../../ports/message-bus.js';
import type { RateSource } from '../../ports/rate-source.js';

/**
 * The rate a Kafka topic was written at: its records counted per second of their Kafka
 * timestamp (CreateTime: when the producer sent them), as a trace of 1 s steps. Reads the whole
 * topic, so it suits recorded inputs of hours, not months.
 */
export class KafkaTopicRateSource implements RateSource {
  constructor(
    private readonly bus: MessageBus,
    readonly topic: string,
    private readonly read: { idleMs: number; timeoutMs: number } = { idleMs: 3000, timeoutMs: 300_000 },
  ) {}

  describe(): string {
    return `Kafka topic ${this.topic} (records per second of their timestamps)`;
  }

  async load(): Promise<Trace> {
    const timestamps = await this.bus.readTimestamps(this.topic, this.read);
    return traceFromTimestamps(timestamps, `topic ${this.topic}`);
  }
}
