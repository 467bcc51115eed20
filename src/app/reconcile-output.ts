import { KhaosError } from '../core/errors.js';
import { flushEvent, type EventGenerator } from '../core/load/events.js';
import type { JobDescriptor } from '../core/jobs.js';
import { atPath } from '../core/load/template.js';
import { notChecked, reconcile, reconcileCount, reconcileFirstOccurrences, reconcileIds, type AuditRecord, type FirstOccurrences, type Reconciliation } from '../core/reconcile.js';
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
  settle: Settle = { completed: () => 0, atLeast: 0 },
): Promise<Reconciliation> {
  const read = async () => {
    const records = await bus.readAllCommitted(auditTopic, { idleMs: 1500, timeoutMs: 60_000 });
    const r = reconcile(produced, records.map((m) => parseAudit(m.value)));
    log(`reconcile: produced ${r.producedTotal}, counted ${r.countedTotal} in committed output, ${r.duplicateWindows} duplicate windows`);
    return r;
  };
  return awaitOutput(clock, read, timeoutMs, settledAfterReads, settle);
}

/** When a count that stopped changing is final: see awaitReconciliation. */
type Settle = { completed: () => number; atLeast: number };

/** Reads (`read`) until the output reconciles, is over, is settled or the deadline passed; the last reconciliation either way. */
async function awaitOutput(clock: Clock, read: () => Promise<Reconciliation>, timeoutMs: number, settledAfterReads: number, settle: Settle): Promise<Reconciliation> {
  const deadline = clock.now() + timeoutMs;
  let last = -1;
  let same = 0;
  let completedWhenChanged = settle.completed();
  for (;;) {
    const r = await read();
    if (r.countedTotal !== last) completedWhenChanged = settle.completed();
    same = r.countedTotal === last ? same + 1 : 1;
    last = r.countedTotal;
    const settled = same >= settledAfterReads && settle.completed() - completedWhenChanged >= settle.atLeast;
    if (r.ok || r.countedTotal > r.producedTotal || r.duplicateWindows > 0 || settled || clock.now() > deadline) return r;
    await clock.sleep(2000);
  }
}

/** The id at `path` of a JSON record, as a string; '' when it has none (or is not JSON). */
function idAt(value: string, path: string): string {
  try {
    const id = atPath(JSON.parse(value), path);
    return id === undefined || id === null ? '' : String(id);
  } catch {
    return '';
  }
}

/**
 * Wraps a generator to note each distinct id (at `path` of the record) it sends: what the
 * committed output must hold once each. Holds every id, so only for runs of bounded length
 * (tests, demos, control and evaluation runs).
 */
export function notingIds(generate: EventGenerator, path = 'id'): { generate: EventGenerator; ids: Set<string> } {
  const ids = new Set<string>();
  return {
    ids,
    generate: (ts) => {
      const e = generate(ts);
      const id = idAt(e.value, path);
      if (id !== '') ids.add(id);
      return e;
    },
  };
}

/** The path of the input ids the job's reconcile mode checks (id-field, the dedup job's first occurrences), or undefined. */
const idPathOf = (job: Pick<JobDescriptor, 'reconcile'>): string | undefined => (job.reconcile.kind === 'id-field' ? job.reconcile.path : job.reconcile.kind === 'audit' ? job.reconcile.ids : undefined);

/** The replay's generator for the job: noting the input ids its reconcile mode checks, when it checks any. */
export function notingFor(job: Pick<JobDescriptor, 'reconcile'>, generate: EventGenerator): { generate: EventGenerator; ids?: Set<string> } {
  const path = idPathOf(job);
  return path === undefined ? { generate } : notingIds(generate, path);
}

/** Reads the dedup job's committed main output once (after its audit reconciled) and checks each id sent came out once. */
export async function checkFirstOccurrences(bus: MessageBus, outputTopic: string, sent: ReadonlySet<string>, log: (line: string) => void, path = 'id'): Promise<FirstOccurrences> {
  const records = await bus.readAllCommitted(outputTopic, { idleMs: 1500, timeoutMs: 60_000 });
  const r = reconcileFirstOccurrences(sent, records.map((m) => idAt(m.value, path)));
  log(r.ok ? `dedup: OK, ${r.expected} distinct ids each emitted once` : `dedup: FAILED: of ${r.expected} distinct ids, ${r.missing} missing, ${r.duplicated} emitted more than once, ${r.unexpected} never sent`);
  return r;
}

/** A replica's topics: the input it reads, its main output and its audit output. */
export interface ReplicaTopics {
  input: string;
  output: string;
  audit: string;
}

/**
 * Checks the replica's committed output against what the replay sent, as the job's descriptor
 * says (job.reconcile): audit (the sample jobs: flush their windows, then per-key counts; the
 * dedup job also its first occurrences), count-1to1, id-field (`ids`: noted by notingFor), or
 * none (not checked). Output commits with checkpoints: reads until it reconciles, is settled
 * (`settledAfterReads`, `settle`) or `timeoutMs` passed.
 */
export async function checkOutput(
  deps: { bus: MessageBus; clock: Clock; log: (line: string) => void },
  job: Pick<JobDescriptor, 'reconcile'>,
  topics: ReplicaTopics,
  sent: { producedTotal: number; producedPerKey: ReadonlyMap<string, number>; ids?: ReadonlySet<string> },
  o: { timeoutMs: number; settledAfterReads?: number; settle?: Settle },
): Promise<{ reconciliation: Reconciliation; firstOccurrences?: FirstOccurrences }> {
  const { bus, clock, log } = deps;
  const r = job.reconcile;
  const settledAfterReads = o.settledAfterReads ?? Infinity;
  const settle = o.settle ?? { completed: () => 0, atLeast: 0 };
  const readOutput = () => bus.readAllCommitted(topics.output, { idleMs: 1500, timeoutMs: 60_000 });
  switch (r.kind) {
    case 'none':
      return { reconciliation: notChecked(sent.producedTotal) };
    case 'count-1to1': {
      const read = async () => reconcileCount(sent.producedTotal, (await readOutput()).length);
      return { reconciliation: await awaitOutput(clock, read, o.timeoutMs, settledAfterReads, settle) };
    }
    case 'id-field': {
      const ids = sent.ids ?? new Set<string>();
      const read = async () => reconcileIds(ids, (await readOutput()).map((m) => idAt(m.value, r.path)));
      return { reconciliation: await awaitOutput(clock, read, o.timeoutMs, settledAfterReads, settle) };
    }
    case 'audit': {
      await flushWindows(bus, topics.input, r.flushField, clock.now() + 120_000);
      const reconciliation = await awaitReconciliation(bus, clock, topics.audit, sent.producedPerKey, o.timeoutMs, log, settledAfterReads, settle);
      const firstOccurrences = r.ids !== undefined && sent.ids ? await checkFirstOccurrences(bus, topics.output, sent.ids, log, r.ids) : undefined;
      return { reconciliation, ...(firstOccurrences ? { firstOccurrences } : {}) };
    }
  }
}
