import { describe, expect, it } from 'vitest';
import { checkOutput, notingFor } from '../../src/app/reconcile-output.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { builtInJob, type JobReconcile } from '../../src/core/jobs.js';
import { reconciliationLine } from '../../src/core/reconcile.js';
import { MemoryMessageBus } from '../fakes/memory-message-bus.js';

const TOPICS = { input: 'in', output: 'out', audit: 'audit' };
const payment = (id: string) => ({ key: id, value: JSON.stringify({ payment: { id }, score: 0.2 }) });

/** The output check of a job reconciled as `reconcile`, after `sent` payments went in and `out` came out committed. */
async function check(reconcile: JobReconcile, sent: string[], out: string[]) {
  const clock = new ManualClock();
  const bus = new MemoryMessageBus(() => clock.now());
  for (const t of Object.values(TOPICS)) await bus.ensureTopic(t, 2);
  await bus.produce('out', out.map(payment));
  const job = { reconcile };
  const noted = notingFor(job, (() => {
    let i = 0;
    return () => payment(sent[i++]!);
  })());
  sent.forEach(() => noted.generate(0));
  const lines: string[] = [];
  const { reconciliation } = await checkOutput({ bus, clock, log: (l) => lines.push(l) }, job, TOPICS, { producedTotal: sent.length, producedPerKey: new Map(), ids: noted.ids }, { timeoutMs: 10_000, settledAfterReads: 3 });
  return { r: reconciliation, line: reconciliationLine(reconciliation), noted };
}

describe('checking an own job’s output (job.reconcile)', () => {
  it('count-1to1: as many committed output records as input records', async () => {
    expect((await check({ kind: 'count-1to1' }, ['a', 'b', 'c'], ['a', 'b', 'c'])).line).toBe('exactly-once: OK, 3 output records for 3 input records');
    const short = await check({ kind: 'count-1to1' }, ['a', 'b', 'c'], ['a', 'b']);
    expect(short.r).toMatchObject({ ok: false, mode: 'count-1to1', missing: [{ key: 'records', produced: 3, counted: 2 }] });
    expect(short.line).toBe('exactly-once: FAILED: 2 output records for 3 input records (one each expected)');
    expect((await check({ kind: 'count-1to1' }, ['a'], ['a', 'a'])).r.extra).toEqual([{ key: 'records', produced: 1, counted: 2 }]);
  });

  it('id-field: every input id, at a dotted path, in the output exactly once', async () => {
    const ok = await check({ kind: 'id-field', path: 'payment.id' }, ['a', 'b', 'c'], ['c', 'a', 'b']);
    expect(ok.noted.ids).toEqual(new Set(['a', 'b', 'c']));
    expect(ok.line).toBe('exactly-once: OK, 3 input ids each in the output once');
    const bad = await check({ kind: 'id-field', path: 'payment.id' }, ['a', 'b', 'c'], ['a', 'a', 'b']);
    expect(bad.r).toMatchObject({ ok: false, missing: [{ key: 'c', produced: 1, counted: 0 }], extra: [{ key: 'a', produced: 1, counted: 2 }] });
    expect(bad.line).toBe('exactly-once: FAILED: of 3 input ids, 1 missing from the output, 1 in it more than once (1 extra records)');
  });

  it('none: nothing is read, and the line says plainly it was not checked', async () => {
    const none = await check({ kind: 'none' }, ['a', 'b'], []);
    expect(none.noted.ids).toBeUndefined();
    expect(none.r).toMatchObject({ mode: 'none', countedTotal: 0 });
    expect(none.line).toBe('output: not checked (job.reconcile: none), 2 records sent');
  });

  it('the sample jobs keep their audit check as their descriptors’ default; the dedup job also its ids', () => {
    expect(builtInJob('iot').reconcile).toEqual({ kind: 'audit', flushField: 'id' });
    expect(builtInJob('ysb').reconcile).toEqual({ kind: 'audit', flushField: 'ad' });
    expect(builtInJob('dedup').reconcile).toEqual({ kind: 'audit', flushField: 'id', ids: 'id' });
  });
});
