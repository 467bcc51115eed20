import type { ReadRecord } from '../../src/ports/message-bus.js';
import { MemoryMessageBus } from './memory-message-bus.js';

/** The input topic of an evaluation run (`<prefix>-<position>-input`) and of the audit topic of one of its replicas (`<prefix>-<position>-eval-<i>-audit`). */
export const isEvaluationInput = (t: string) => /-input$/.test(t);
const inputOf = (audit: string) => audit.replace(/-eval-\d+-audit$/, '-input');

/**
 * The fake models processing, not output: each evaluation replica's audit output is made up as an
 * exactly-once job would commit it (every input key counted as often as it was produced), so
 * the output check passes by construction. What it shows is the flow, not exactly-once.
 */
export class AuditingBus extends MemoryMessageBus {
  override async readAllCommitted(topic: string): Promise<ReadRecord[]> {
    if (!topic.endsWith('-audit')) return super.readAllCommitted(topic);
    const counts = new Map<string, number>();
    for (const { key } of await super.readAllCommitted(inputOf(topic))) if (key && !key.startsWith('__')) counts.set(key, (counts.get(key) ?? 0) + 1);
    return [...counts].map(([key, count], i) => ({ key, value: JSON.stringify({ key, seq: 0, count }), partition: 0, offset: String(i) }));
  }
}
