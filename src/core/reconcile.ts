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
  /**
   * How the output was checked (job.reconcile; absent: audit, as before other modes). With `none`
   * nothing was checked: `ok` is true only in that nothing was found, and every line says "not checked".
   */
  mode?: 'audit' | 'count-1to1' | 'id-field' | 'none';
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

/** count-1to1: as many committed output records as input records (one key, `records`, in missing / extra). */
export function reconcileCount(producedTotal: number, countedTotal: number): Reconciliation {
  const entry = [{ key: 'records', produced: producedTotal, counted: countedTotal }];
  return { mode: 'count-1to1', ok: countedTotal === producedTotal, producedTotal, countedTotal, missing: countedTotal < producedTotal ? entry : [], extra: countedTotal > producedTotal ? entry : [], duplicateWindows: 0 };
}

/**
 * id-field: every input id in the output exactly once. Missing ids are in `missing` (produced 1,
 * counted 0), ids out more than once in `extra`; output ids never sent count in neither (the
 * totals show them).
 */
export function reconcileIds(sent: ReadonlySet<string>, outputIds: readonly string[]): Reconciliation {
  const times = new Map<string, number>();
  for (const id of outputIds) times.set(id, (times.get(id) ?? 0) + 1);
  const missing = [...sent].filter((id) => !times.has(id)).map((key) => ({ key, produced: 1, counted: 0 }));
  const extra = [...times].filter(([id, n]) => sent.has(id) && n > 1).map(([key, counted]) => ({ key, produced: 1, counted }));
  return { mode: 'id-field', ok: missing.length === 0 && extra.length === 0, producedTotal: sent.size, countedTotal: outputIds.length, missing, extra, duplicateWindows: 0 };
}

/** none: the output is not checked. */
export const notChecked = (producedTotal: number): Reconciliation => ({ mode: 'none', ok: true, producedTotal, countedTotal: 0, missing: [], extra: [], duplicateWindows: 0 });

/** One line saying how the output fared, as logs and reports print it; "not checked" for none. */
export function reconciliationLine(r: Reconciliation): string {
  const lost = r.missing.reduce((a, k) => a + k.produced - k.counted, 0);
  const over = r.extra.reduce((a, k) => a + k.counted - k.produced, 0);
  switch (r.mode) {
    case 'none':
      return `output: not checked (job.reconcile: none), ${r.producedTotal} records sent`;
    case 'count-1to1':
      return r.ok ? `exactly-once: OK, ${r.countedTotal} output records for ${r.producedTotal} input records` : `exactly-once: FAILED: ${r.countedTotal} output records for ${r.producedTotal} input records (one each expected)`;
    case 'id-field':
      return r.ok ? `exactly-once: OK, ${r.producedTotal} input ids each in the output once` : `exactly-once: FAILED: of ${r.producedTotal} input ids, ${lost} missing from the output, ${r.extra.length} in it more than once (${over} extra records)`;
    default:
      return r.ok ? `exactly-once: OK, ${r.countedTotal} events each counted once` : `exactly-once: FAILED: ${r.missing.length} keys short, ${r.extra.length} keys over, ${r.duplicateWindows} duplicate windows`;
  }
}
