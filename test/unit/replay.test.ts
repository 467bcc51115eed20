import { describe, expect, it } from 'vitest';
import { replayWorkload } from '../../src/app/replay.js';
import { eventGenerator } from '../../src/core/load/events.js';
import { seededRandom } from '../../src/core/random.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { MemoryMessageBus } from '../fakes/memory-message-bus.js';

describe('replayWorkload', () => {
  it('produces exactly the schedule, slice by slice, and counts per key', async () => {
    const bus = new MemoryMessageBus();
    await bus.ensureTopic('in', 4);
    const clock = new ManualClock();
    const t0 = clock.now();
    const r = await replayWorkload({ bus, clock, topic: 'in', schedule: [100, 0, 35], generate: eventGenerator('iot', seededRandom(1)), slicesPerSecond: 10 });
    expect(r.producedTotal).toBe(135);
    expect(await bus.endOffsetTotal('in')).toBe(135);
    expect([...r.producedPerKey.values()].reduce((a, b) => a + b, 0)).toBe(135);
    expect(r.seconds.map((s) => s.produced)).toEqual([100, 0, 35]);
    expect(bus.produceCalls.filter((c) => c.size > 0)).toHaveLength(20); // second 1 sends nothing
    expect(clock.now() - t0).toBeGreaterThanOrEqual(2900);
  });

  it('is deterministic for a seed', async () => {
    const run = async (seed: number) => {
      const bus = new MemoryMessageBus();
      await bus.ensureTopic('in', 1);
      await replayWorkload({ bus, clock: new ManualClock(), topic: 'in', schedule: [50], generate: eventGenerator('ysb', seededRandom(seed)) });
      return (await bus.readAllCommitted('in')).map((m) => m.value.replace(/"ts":\d+/, ''));
    };
    expect(await run(7)).toEqual(await run(7));
    expect(await run(7)).not.toEqual(await run(8));
  });

  it('stops early when asked and reports only what it sent', async () => {
    const bus = new MemoryMessageBus();
    await bus.ensureTopic('in', 1);
    let n = 0;
    const r = await replayWorkload({ bus, clock: new ManualClock(), topic: 'in', schedule: [10, 10, 10, 10], generate: eventGenerator('iot', seededRandom(1)), shouldStop: () => n++ >= 2 });
    expect(r.producedTotal).toBe(20);
    expect(r.scheduledTotal).toBe(40);
  });

  it('passes a broker refusal up without claiming the batch', async () => {
    const bus = new MemoryMessageBus();
    await bus.ensureTopic('in', 1);
    bus.failNextProduce = true;
    await expect(replayWorkload({ bus, clock: new ManualClock(), topic: 'in', schedule: [10], generate: eventGenerator('iot', seededRandom(1)) })).rejects.toThrow(/broker refused/);
  });
});
