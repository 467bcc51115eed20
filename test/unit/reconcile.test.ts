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

  it('finds keys that were never produced', () => {
    expect(reconcile(produced, [{ key: 'a', windowEnd: 1, count: 3 }, { key: 'b', windowEnd: 1, count: 2 }, { key: 'z', windowEnd: 1, count: 1 }]).extra).toEqual([{ key: 'z', produced: 0, counted: 1 }]);
  });
});
