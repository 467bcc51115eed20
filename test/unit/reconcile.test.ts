import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/core/reconcile.js';

const produced = new Map([['a', 3], ['b', 2]]);

describe('reconcile', () => {
  it('accepts output that counts every event once', () => {
    const r = reconcile(produced, [{ key: 'a', windowEnd: 1, count: 2 }, { key: 'a', windowEnd: 2, count: 1 }, { key: 'b', windowEnd: 1, count: 2 }]);
    expect(r).toMatchObject({ ok: true, producedTotal: 5, countedTotal: 5, duplicateWindows: 0 });
  });

  it('finds lost events', () => {
    const r = reconcile(produced, [{ key: 'a', windowEnd: 1, count: 3 }]);
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual([{ key: 'b', produced: 2, counted: 0 }]);
  });

  it('finds a window committed twice even when totals would hide it', () => {
    const r = reconcile(new Map([['a', 4]]), [{ key: 'a', windowEnd: 1, count: 2 }, { key: 'a', windowEnd: 1, count: 2 }]);
    expect(r.ok).toBe(false);
    expect(r.duplicateWindows).toBe(1);
  });

  // The jobs' audit records since they count without event-time windows: per key, numbered by seq.
  it('adds up every numbered record of a key, however many fall in the same second of event time', () => {
    // A reader that stalled behind the watermark: its records come in a later emission of the key.
    const r = reconcile(produced, [{ key: 'a', seq: 0, count: 2 }, { key: 'b', seq: 0, count: 2 }, { key: 'a', seq: 1, count: 1 }]);
    expect(r).toMatchObject({ ok: true, countedTotal: 5, duplicateWindows: 0 });
  });

  it('flags a numbered record committed twice even when the replay grouped it differently and the totals hide it', () => {
    // A non-transactional replay re-emits seq 1 from the checkpoint; a loss of 1 elsewhere balances the totals.
    const r = reconcile(produced, [{ key: 'a', seq: 0, count: 1 }, { key: 'a', seq: 1, count: 1 }, { key: 'a', seq: 1, count: 1 }, { key: 'b', seq: 0, count: 2 }]);
    expect(r).toMatchObject({ ok: false, countedTotal: 5, duplicateWindows: 1, missing: [], extra: [] });
  });

  it('finds lost events among numbered records', () => {
    expect(reconcile(produced, [{ key: 'a', seq: 0, count: 3 }, { key: 'b', seq: 0, count: 1 }]).missing).toEqual([{ key: 'b', produced: 2, counted: 1 }]);
  });

  it('finds keys that were never produced', () => {
    expect(reconcile(produced, [{ key: 'a', windowEnd: 1, count: 3 }, { key: 'b', windowEnd: 1, count: 2 }, { key: 'z', windowEnd: 1, count: 1 }]).extra).toEqual([{ key: 'z', produced: 0, counted: 1 }]);
  });
});
