import type { MessageBus, ReadRecord } from '../../src/ports/message-bus.js';
import { MemoryMessageBus } from './memory-message-bus.js';

/** The input topic of an evaluation run (`<prefix>-<position>-input`) and of the audit topic of one of its replicas (`<prefix>-<position>-eval-<i>-audit`). */
export const isEvaluationInput = (t: string) => /-input$/.test(t);
const evaluationInputOf = (audit: string) => (audit.endsWith('-audit') ? audit.replace(/-eval-\d+-audit$/, '-input') : undefined);

/**
 * The fake platform models processing, not output: a job's committed audit output is made up here
 * as an exactly-once job would commit it (each record of its input counted once under its key), so
 * a reconciliation has something to read and passes by construction. What it shows is the flow,
 * not exactly-once. Given `input` and `audit`, only that pair; otherwise every evaluation replica's
 * audit topic from its run's input.
 */
export class AuditingBus extends MemoryMessageBus {
  closed = false;
  /** Produce calls made after close(): a loop that outlived the run's teardown. */
  producedAfterClose = 0;
  private readonly inputOf: (topic: string) => string | undefined;
  constructor(input?: string, audit?: string) {
    super();
    this.inputOf = input !== undefined && audit !== undefined ? (t) => (t === audit ? input : undefined) : evaluationInputOf;
  }
  override async produce(topic: string, records: Parameters<MessageBus['produce']>[1]): Promise<void> {
    if (this.closed) this.producedAfterClose++;
    return super.produce(topic, records);
  }
  override async readAllCommitted(topic: string): Promise<ReadRecord[]> {
    const input = this.inputOf(topic);
    if (input === undefined) return super.readAllCommitted(topic);
    const counts = new Map<string, number>();
    for (const { key } of await super.readAllCommitted(input)) if (key && !key.startsWith('__')) counts.set(key, (counts.get(key) ?? 0) + 1);
    return [...counts].map(([key, count], i) => ({ key, value: JSON.stringify({ key, seq: 0, count }), partition: 0, offset: String(i) }));
  }
  override async close(): Promise<void> {
    this.closed = true;
    return super.close();
  }
}
