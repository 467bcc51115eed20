/**
 * One committed record of a job's audit topic: `count` events of `key`. The jobs number each
 * key's records with `seq` (0, 1, 2, ...), checkpointed with the counts, so a replay repeats them.
 * Jars built before that emitted one record per 1 s event-time window instead, identified by
 * `windowEnd`; those are still read.
 */
export interface AuditRecord {
  key: string;
  count: number;
  seq?: number;
  windowEnd?: number;
}

export interface Reconciliation {
  ok: boolean;
  producedTotal: number;
  countedTotal: number;
  /** Keys whose counted total is below what was produced (events lost). */
  missing: { key: string; produced: number; counted: number }[];
  /** Keys counted more often than produced (events duplicated). */
  extra: { key: string; produced: number; counted: number }[];
  /** Audit records committed more than once (same key and seq; legacy: key and window): a replayed, non-transactional write. */
  duplicateWindows: number;
}

/** What a replay of the job would emit again for this record. */
function identity(r: AuditRecord): string {
  return r.seq !== undefined ? `${r.key}#${r.seq}` : `${r.key}@${r.windowEnd}`;
}

/**
 * Reconciles what was produced (per key) with a job's committed audit output: exactly-once holds
 * when every key's count matches and no audit record was committed twice.
 */
export function reconcile(produced: ReadonlyMap<string, number>, audit: readonly AuditRecord[]): Reconciliation {
  const counted = new Map<string, number>();
  const seen = new Set<string>();
  let duplicateWindows = 0;
  for (const r of audit) {
    const id = identity(r);
    if (seen.has(id)) duplicateWindows++;
    seen.add(id);
    counted.set(r.key, (counted.get(r.key) ?? 0) + r.count);
  }
  const missing: Reconciliation['missing'] = [];
  const extra: Reconciliation['extra'] = [];
  for (const key of new Set([...produced.keys(), ...counted.keys()])) {
    const p = produced.get(key) ?? 0;
    const c = counted.get(key) ?? 0;
    if (c < p) missing.push({ key, produced: p, counted: c });
    if (c > p) extra.push({ key, produced: p, counted: c });
  }
  const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    ok: missing.length === 0 && extra.length === 0 && duplicateWindows === 0,
    producedTotal: sum(produced),
    countedTotal: sum(counted),
    missing,
    extra,
    duplicateWindows,
  };
}

export interface FirstOccurrences {
  ok: boolean;
  /** Distinct ids sent. */
  expected: number;
  /** Output records. */
  emitted: number;
  /** Ids sent and not in the output. */
  missing: number;
  /** Ids in the output more than once (each counted once). */
  duplicated: number;
  /** Ids in the output that were never sent. */
  unexpected: number;
}

/**
 * The dedup job's main output against what was sent: exactly-once deduplication holds when the
 * committed output holds every distinct id sent exactly once (its repeats fall within the
 * retention, so none may come out again) and nothing else.
 */
export function reconcileFirstOccurrences(sent: ReadonlySet<string>, outputIds: readonly string[]): FirstOccurrences {
  const times = new Map<string, number>();
  for (const id of outputIds) times.set(id, (times.get(id) ?? 0) + 1);
  let missing = 0;
  for (const id of sent) if (!times.has(id)) missing++;
  let duplicated = 0;
  let unexpected = 0;
  for (const [id, n] of times) {
    if (n > 1) duplicated++;
    if (!sent.has(id)) unexpected++;
  }
  return { ok: missing === 0 && duplicated === 0 && unexpected === 0, expected: sent.size, emitted: outputIds.length, missing, duplicated, unexpected };
}
