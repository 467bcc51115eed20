import type { MessageBus, ReadRecord } from '../../src/ports/message-bus.js';
import { MemoryMessageBus } from './memory-message-bus.js';

/**
 * The fake platform models processing, not output: the job's committed audit output (`audit`) is
 * made up here as an exactly-once job would commit it (each record of `input` counted once under
 * its key), so a reconciliation has something to read.
 */
export class AuditingBus extends MemoryMessageBus {
  closed = false;
  /** Produce calls made after close(): a loop that outlived the run's teardown. */
  producedAfterClose = 0;
  constructor(
    private readonly input: string,
    private readonly audit: string,
  ) {
    super();
  }
  override async produce(topic: string, records: Parameters<MessageBus['produce']>[1]): Promise<void> {
    if (this.closed) this.producedAfterClose++;
    return super.produce(topic, records);
  }
  override async readAllCommitted(topic: string): Promise<ReadRecord[]> {
    if (topic !== this.audit) return super.readAllCommitted(topic);
    const counts = new Map<string, number>();
    for (const { key } of await super.readAllCommitted(this.input)) if (key && !key.startsWith('__')) counts.set(key, (counts.get(key) ?? 0) + 1);
    return [...counts].map(([key, count], i) => ({ key, value: JSON.stringify({ key, seq: 0, count }), partition: 0, offset: String(i) }));
  }
  override async close(): Promise<void> {
    this.closed = true;
    return super.close();
  }
}
