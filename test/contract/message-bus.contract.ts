import { describe, expect, it } from 'vitest';
import type { MessageBus } from '../../src/ports/message-bus.js';
import { until } from './until.js';

/** One contract for every MessageBus: the in-memory fake and the real Kafka adapter both pass it. */
export function messageBusContract(name: string, make: () => Promise<{ bus: MessageBus; topicPrefix: string; done?: () => Promise<void> }>) {
  describe(`MessageBus contract: ${name}`, () => {
    it('creates topics idempotently, produces in order per partition, reads back every record', async () => {
      const { bus, topicPrefix, done } = await make();
      try {
        const topic = `${topicPrefix}-contract`;
        await bus.ensureTopic(topic, 3);
        await bus.ensureTopic(topic, 3);
        expect(await bus.partitions(topic)).toBe(3);
        await bus.produce(topic, Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}` })));
        await bus.produce(topic, [{ key: 'pinned', value: 'p', partition: 2 }]);
        expect(await bus.endOffsetTotal(topic)).toBe(31);
        const read = await bus.readAllCommitted(topic, { idleMs: 1500, timeoutMs: 30_000 });
        expect(read).toHaveLength(31);
        expect(read.find((r) => r.key === 'pinned')?.partition).toBe(2);
        const k1 = read.filter((r) => r.key === 'k1').map((r) => Number(r.value.slice(1)));
        expect(k1).toEqual([...k1].sort((a, b) => a - b));
        expect(new Set(read.filter((r) => r.key === 'k1').map((r) => r.partition)).size).toBe(1);
      } finally {
        await done?.();
        await bus.close();
      }
    });

    it('reads back the timestamps records were produced with', async () => {
      const { bus, topicPrefix, done } = await make();
      try {
        const topic = `${topicPrefix}-timestamps`;
        await bus.ensureTopic(topic, 2);
        // An hour in the past, on a whole second: inside any broker's accepted range and retention.
        const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
        const sent = Array.from({ length: 12 }, (_, i) => base + i * 250);
        await bus.produce(topic, sent.map((t, i) => ({ key: `k${i % 3}`, value: `v${i}`, timestampMs: t })));
        const read = await bus.readTimestamps(topic, { idleMs: 1500, timeoutMs: 30_000 });
        expect([...read].sort((a, b) => a - b)).toEqual(sent);
      } finally {
        await done?.();
        await bus.close();
      }
    });

    it('follows a topic from its end: sees each record produced after it started, with when and its timestamp, until closed', async () => {
      const { bus, topicPrefix, done } = await make();
      try {
        const topic = `${topicPrefix}-tail`;
        await bus.ensureTopic(topic, 2);
        await bus.produce(topic, [{ key: 'a', value: 'before' }]);
        const seen: { value: string; seenAtMs: number; timestampMs: number }[] = [];
        const tail = await bus.tailCommitted(topic, (value, seenAtMs, timestampMs) => seen.push({ value, seenAtMs, timestampMs }));
        const sentAtMs = Date.now();
        await bus.produce(topic, Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `after-${i}`, timestampMs: 1_700_000_000_000 + i })));
        await until({ waitMs: (ms) => new Promise((r) => setTimeout(r, ms)), deadlineMs: 30_000 }, 'the follower to see 6 records', () => (seen.length >= 6 ? true : undefined));
        expect(seen.map((r) => r.value).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `after-${i}`));
        for (const r of seen) expect(r.seenAtMs).toBeGreaterThanOrEqual(sentAtMs - 1000);
        for (const r of seen) expect(r.timestampMs).toBe(1_700_000_000_000 + Number(r.value.slice('after-'.length)));
        await tail.close();
        await bus.produce(topic, [{ key: 'z', value: 'after-close' }]);
        expect(await bus.endOffsetTotal(topic)).toBe(8);
        expect(seen.map((r) => r.value)).not.toContain('after-close');
      } finally {
        await done?.();
        await bus.close();
      }
    });

    it('refuses to produce to a topic that does not exist', async () => {
      const { bus, topicPrefix, done } = await make();
      try {
        expect(await bus.topicExists(`${topicPrefix}-absent`)).toBe(false);
        await bus.ensureTopic(`${topicPrefix}-present`, 1);
        expect(await bus.topicExists(`${topicPrefix}-present`)).toBe(true);
        await expect(bus.produce(`${topicPrefix}-absent`, [{ key: 'a', value: 'b' }])).rejects.toMatchObject({ name: 'KhaosError', kind: 'platform' });
      } finally {
        await done?.();
        await bus.close();
      }
    });
  });
}
