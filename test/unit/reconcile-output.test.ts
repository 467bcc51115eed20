import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { awaitReconciliation } from '../../src/app/reconcile-output.js';
import type { MessageBus } from '../../src/ports/message-bus.js';

/** A bus whose committed audit output holds `counted()` of key k (what a job committed so far). */
const busCounting = (counted: () => number) =>
  ({ readAllCommitted: async () => [{ key: 'k', value: JSON.stringify({ key: 'k', seq: 0, count: counted() }), partition: 0, offset: '0' }] }) as unknown as MessageBus;

describe('awaitReconciliation: when an unchanged count is final', () => {
  const produced = new Map([['k', 10]]);

  it('not while checkpoints stall (a loaded machine): the count unchanged over the reads is not a loss until checkpoints complete', async () => {
    const clock = new ManualClock(0);
    let completed = 0;
    let counted = 6;
    // Checkpoints stall for 60 s, then complete and commit the rest.
    const job = (async () => {
      await clock.sleep(60_000);
      counted = 10;
      completed += 2;
    })();
    const r = await awaitReconciliation(busCounting(() => counted), clock, 'audit', produced, 120_000, () => undefined, 4, { completed: () => completed, atLeast: 2 });
    await job;
    expect(r).toMatchObject({ ok: true, countedTotal: 10 });
  });

  it('once checkpoints complete and the count stays: final, short by what was lost', async () => {
    const clock = new ManualClock(0);
    let completed = 0;
    // A checkpoint completes between every two reads; nothing more is ever committed.
    const bus = busCounting(() => (completed++, 6));
    const r = await awaitReconciliation(bus, clock, 'audit', produced, 120_000, () => undefined, 4, { completed: () => completed, atLeast: 2 });
    expect(r).toMatchObject({ ok: false, countedTotal: 6 });
    expect(clock.now()).toBeLessThan(20_000);
  });
});
