import type { KhaosConfig } from '../config/schema.js';
import type { EventGenerator } from '../core/load/events.js';
import { replaySchedule, type Trace } from '../core/load/trace.js';
import type { Clock } from '../ports/clock.js';
import type { MessageBus, OutgoingRecord } from '../ports/message-bus.js';
import { jobInputGenerator } from './job-input.js';

export interface ReplaySecond {
  second: number;
  scheduled: number;
  produced: number;
  /** How late the second's last slice was sent, ms (0 when on schedule). */
  lateMs: number;
}

export interface ReplayResult {
  scheduledTotal: number;
  producedTotal: number;
  /** Events produced per key: what the job's audit output must reconcile with. */
  producedPerKey: Map<string, number>;
  wallMs: number;
  seconds: ReplaySecond[];
}

export interface ReplayOptions {
  bus: MessageBus;
  clock: Clock;
  topic: string;
  /** Events per wall second (core/trace.ts replaySchedule). */
  schedule: number[];
  generate: EventGenerator;
  /** Sends per second; each slice's events go out in one batch. */
  slicesPerSecond?: number;
  onSecond?: (s: ReplaySecond) => void;
  /** Checked between slices; true ends the replay early (Ctrl-C). */
  shouldStop?: () => boolean;
}

/**
 * Produces a workload at its scheduled per-second rates. Each second is split into slices sent
 * at their due time; when production falls behind, slices go out at once and the lateness is
 * reported instead of silently stretching the schedule.
 */
export async function replayWorkload(o: ReplayOptions): Promise<ReplayResult> {
  const slices = o.slicesPerSecond ?? 10;
  const start = o.clock.now();
  const perKey = new Map<string, number>();
  const seconds: ReplaySecond[] = [];
  let producedTotal = 0;
  for (let sec = 0; sec < o.schedule.length && !o.shouldStop?.(); sec++) {
    const scheduled = o.schedule[sec]!;
    let produced = 0;
    let lateMs = 0;
    for (let slice = 0; slice < slices; slice++) {
      const due = start + sec * 1000 + (slice * 1000) / slices;
      const wait = due - o.clock.now();
      if (wait > 0) await o.clock.sleep(wait);
      else lateMs = -wait;
      const n = Math.floor((scheduled * (slice + 1)) / slices) - Math.floor((scheduled * slice) / slices);
      if (n === 0) continue;
      const ts = o.clock.now();
      const batch: OutgoingRecord[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const e = o.generate(ts);
        batch[i] = e;
        perKey.set(e.key, (perKey.get(e.key) ?? 0) + 1);
      }
      await o.bus.produce(o.topic, batch);
      produced += n;
    }
    producedTotal += produced;
    const s = { second: sec, scheduled, produced, lateMs: Math.round(lateMs) };
    seconds.push(s);
    o.onSecond?.(s);
  }
  const end = start + seconds.length * 1000; // a replay of N seconds lasts N seconds
  if (end > o.clock.now()) await o.clock.sleep(end - o.clock.now());
  return { scheduledTotal: o.schedule.reduce((a, b) => a + b, 0), producedTotal, producedPerKey: perKey, wallMs: o.clock.now() - start, seconds };
}

/**
 * `khaos replay`: the config's trace, compressed as its replay section says, replayed into
 * `topic` (created with the stack's partitions if missing) as events of the config's job.
 * `onStart` gets the schedule's length (s) and events before the first is sent.
 */
export async function replayFromConfig(
  deps: { bus: MessageBus; clock: Clock },
  c: KhaosConfig,
  trace: Trace,
  topic: string,
  o: { shouldStop: () => boolean; onStart?: (seconds: number, events: number) => void; onSecond?: (s: ReplaySecond) => void },
): Promise<ReplayResult & { scheduleSec: number }> {
  const schedule = replaySchedule(trace, c.replay);
  await deps.bus.ensureTopic(topic, c.stack.partitions);
  o.onStart?.(schedule.length, schedule.reduce((a, b) => a + b, 0));
  // The job's input as its descriptor says (job.input): a sample job's generator, a template, or a recorded topic.
  const generate = await jobInputGenerator(deps.bus, c.job.descriptor, c.replay.seed, '`khaos replay`');
  const r = await replayWorkload({ bus: deps.bus, clock: deps.clock, topic, schedule, generate, shouldStop: o.shouldStop, onSecond: o.onSecond });
  return { ...r, scheduleSec: schedule.length };
}
