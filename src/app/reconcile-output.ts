import { KhaosError } from '../core/errors.js';
import { flushEvent, type EventGenerator } from '../core/load/events.js';
import { reconcile, reconcileFirstOccurrences, type AuditRecord, type FirstOccurrences, type Reconciliation } from '../core/reconcile.js';
import type { Clock } from '../ports/clock.js';
import type { MessageBus } from '../ports/message-bus.js';

function parseAudit(value: string): AuditRecord {
  const r = JSON.parse(value) as Partial<AuditRecord>;
  const identified = typeof r.seq === 'number' || typeof r.windowEnd === 'number';
  if (typeof r.key !== 'string' || typeof r.count !== 'number' || !identified) {
    throw new KhaosError('platform', `audit record has an unexpected shape: ${value.slice(0, 200)}`, 'is the job jar current? rebuild jobs/');
  }
  return r as AuditRecord;
}

/** Sends one watermark-advancing control record to every partition, so the last windows fire (`idField`: where the job reads its id). */
export async function flushWindows(bus: MessageBus, topic: string, idField: string, eventTimeMs: number): Promise<void> {
  const n = await bus.partitions(topic);
  await bus.produce(topic, Array.from({ length: n }, (_, partition) => ({ ...flushEvent(idField, eventTimeMs), partition })));
}

/**
 * Reads the job's committed audit output until it reconciles with what was produced, or the
 * deadline passes (output commits only with checkpoints, so it can trail by an interval).
 * Returns the last reconciliation either way.
 */
export async function awaitReconciliation(
  bus: MessageBus,
  clock: Clock,
  auditTopic: string,
  produced: ReadonlyMap<string, number>,
  timeoutMs: number,
  log: (line: string) => void,
  /** With checkpoints paced every few seconds meanwhile: the count unchanged over this many reads is final… */
  settledAfterReads = Infinity,
  /**
   * …once this many checkpoints completed while it stayed unchanged (`completed` counts them):
   * on a loaded machine checkpoints can stall for longer than those reads, and a count that has
   * not been committed yet is not a loss.
   */
  settle: { completed: () => number; atLeast: number } = { completed: () => 0, atLeast: 0 },
): Promise<Reconciliation> {
  const deadline = clock.now() + timeoutMs;
  let last = -1;
  let same = 0;
  let completedWhenChanged = settle.completed();
  for (;;) {
    const records = await bus.readAllCommitted(auditTopic, { idleMs: 1500, timeoutMs: 60_000 });
    const r = reconcile(produced, records.map((m) => parseAudit(m.value)));
    log(`reconcile: produced ${r.producedTotal}, counted ${r.countedTotal} in committed output, ${r.duplicateWindows} duplicate windows`);
    if (r.countedTotal !== last) completedWhenChanged = settle.completed();
    same = r.countedTotal === last ? same + 1 : 1;
    last = r.countedTotal;
    const settled = same >= settledAfterReads && settle.completed() - completedWhenChanged >= settle.atLeast;
    if (r.ok || r.countedTotal > r.producedTotal || r.duplicateWindows > 0 || settled || clock.now() > deadline) return r;
    await clock.sleep(2000);
  }
}

const ID = /"id":"([^"]*)"/;

/**
 * Wraps the dedup job's generator to note each distinct id it sends: what the committed main
 * output must hold once each. Holds every id, so only for runs of bounded length (tests, demos).
 */
export function notingIds(generate: EventGenerator): { generate: EventGenerator; ids: Set<string> } {
  const ids = new Set<string>();
  return {
    ids,
    generate: (ts) => {
      const e = generate(ts);
      const id = ID.exec(e.value)?.[1];
      if (id !== undefined) ids.add(id);
      return e;
    },
  };
}

/** Reads the dedup job's committed main output once (after its audit reconciled) and checks each id sent came out once. */
export async function checkFirstOccurrences(bus: MessageBus, outputTopic: string, sent: ReadonlySet<string>, log: (line: string) => void): Promise<FirstOccurrences> {
  const records = await bus.readAllCommitted(outputTopic, { idleMs: 1500, timeoutMs: 60_000 });
  const r = reconcileFirstOccurrences(sent, records.map((m) => ID.exec(m.value)?.[1] ?? ''));
  log(r.ok ? `dedup: OK, ${r.expected} distinct ids each emitted once` : `dedup: FAILED: of ${r.expected} distinct ids, ${r.missing} missing, ${r.duplicated} emitted more than once, ${r.unexpected} never sent`);
  return r;
}
